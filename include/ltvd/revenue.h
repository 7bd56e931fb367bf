/* MRR lines, engagement signals and the customer timeline (SPEC sections 3, 8). */
#ifndef LTVD_REVENUE_H
#define LTVD_REVENUE_H

#include "ltvd/http.h"

int ltvd_api_mrr_put_month(struct ltvd_req *r);
int ltvd_api_mrr_list(struct ltvd_req *r);
int ltvd_api_mrr_batch(struct ltvd_req *r);
int ltvd_api_signals_create(struct ltvd_req *r);
int ltvd_api_signals_batch(struct ltvd_req *r);
int ltvd_api_signals_list(struct ltvd_req *r);
int ltvd_api_customer_signals(struct ltvd_req *r);
int ltvd_api_customer_timeline(struct ltvd_req *r);

#endif
