/* Deals, their stage moves and stage history (SPEC section 3). */
#ifndef LTVD_DEALS_H
#define LTVD_DEALS_H

#include "ltvd/http.h"

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
