/* Deals, their stage moves and stage history (SPEC section 3). */
#ifndef LTVD_DEALS_H
#define LTVD_DEALS_H

#include <jansson.h>

#include "ltvd/deals_db.h"
#include "ltvd/http.h"
#include "ltvd/validate.h"

/* The fields of a deal (writable and read-only); a create also takes created_at and
 * stage_history, which ltvd_deal_check judges by hand. */
extern const struct ltvd_field ltvd_deal_fields[];

/* The checks of a deal create input that need no database: types, ranges, key forms,
 * exactly one customer reference, created_at, the shape and order of stage_history. The
 * number of errors appended (index < 0: none). */
int ltvd_deal_check(const json_t *in, long index, json_t *errors);

/* The record (include/ltvd/deals_db.h) a create or replace of a checked input writes:
 * every writable field, its default when absent, empty optional texts as null. */
json_t *ltvd_deal_record_new(const json_t *in);

/* The rules that need the database, judged on what a write found and wrote: every
 * reference exists; then, on a written row, closed_at against its stage's state and
 * created_at, and an imported history ending with the deal's stage (on closed_at when
 * closed). The number of errors appended. */
int ltvd_deal_judge(const struct ltvd_deal_refs *refs, const struct ltvd_deal_expect *x, long index,
                    json_t *errors);

int ltvd_api_deals_list(struct ltvd_req *r);
int ltvd_api_deals_create(struct ltvd_req *r);
int ltvd_api_deals_batch(struct ltvd_req *r);
int ltvd_api_deals_get(struct ltvd_req *r);
int ltvd_api_deals_patch(struct ltvd_req *r);
int ltvd_api_deals_delete(struct ltvd_req *r);
int ltvd_api_deals_history(struct ltvd_req *r);
int ltvd_api_deals_get_external(struct ltvd_req *r);
int ltvd_api_deals_put_external(struct ltvd_req *r);

#endif
