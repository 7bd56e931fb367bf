/* MRR lines, engagement signals and the customer timeline (SPEC sections 3, 8). */
#ifndef LTVD_REVENUE_H
#define LTVD_REVENUE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "ltvd/http.h"
#include "ltvd/validate.h"

int ltvd_api_mrr_put_month(struct ltvd_req *r);
int ltvd_api_mrr_list(struct ltvd_req *r);
int ltvd_api_mrr_batch(struct ltvd_req *r);
int ltvd_api_signals_create(struct ltvd_req *r);
int ltvd_api_signals_batch(struct ltvd_req *r);
int ltvd_api_signals_list(struct ltvd_req *r);
int ltvd_api_customer_signals(struct ltvd_req *r);
int ltvd_api_customer_timeline(struct ltvd_req *r);

/* Checks one signal input (an API body, a batch input, a hook's event, an import row)
 * against the rules of SPEC section 3: the fields and their types, the value rules of
 * each type, the customer (customer_id must be live; an unknown customer_external_id is
 * fine: the signal is kept unmatched) and the product. Appends an error per failing
 * field to errors (with index when index >= 0) and returns how many; -1 on a database
 * error. With no error, *record (new reference) is the record ltvd_db_signal_store
 * (include/ltvd/revenue_db.h) takes: optional empty strings made null, source
 * defaulting to "api" (a caller such as a hook may set its own before storing). */
int ltvd_signal_prepare(PGconn *c, const json_t *in, long index, json_t *errors,
                        json_t **record);

/* The fields of a batch MRR line and of a signal (a signal's "value" is checked apart,
 * by type), for readers such as the import that type raw text by them. */
extern const struct ltvd_field ltvd_mrr_line_fields[];
extern const struct ltvd_field ltvd_signal_fields[];

/* The database-free rules of one batch MRR line and of one signal input: field types,
 * the month, the value and product rules of a signal's type (references are the
 * caller's). An error per failing field appended to errors; how many. */
int ltvd_mrr_line_check(const json_t *in, long index, json_t *errors);
int ltvd_signal_check(const json_t *in, long index, json_t *errors);
/* The record ltvd_db_signal_store takes, from a checked input (new reference). */
json_t *ltvd_signal_record_new(const json_t *in);

/* True when s is a timestamp YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z of a valid date and time. */
bool ltvd_valid_timestamp(const char *s);

#endif
