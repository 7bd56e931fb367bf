/* The analytics endpoints (SPEC sections 5 and 8): the worker's status and the
 * recompute request (src/api/analytics_runs.c), and the published documents
 * (src/api/analytics.c). */
#ifndef LTVD_ANALYTICS_API_H
#define LTVD_ANALYTICS_API_H

#include "ltvd/http.h"

/* For every route serving published results: 503 with Retry-After before the first run,
 * and a stored document (analytics_docs) replied as it is. */
int ltvd_api_analytics_not_computed(struct ltvd_req *r);
int ltvd_api_analytics_doc(struct ltvd_req *r, const char *name);

int ltvd_api_analytics_status(struct ltvd_req *r);
int ltvd_api_analytics_recompute(struct ltvd_req *r);

int ltvd_api_analytics_ltv(struct ltvd_req *r);
int ltvd_api_analytics_ltv_history(struct ltvd_req *r);
int ltvd_api_analytics_tiers(struct ltvd_req *r);
int ltvd_api_analytics_quadrants(struct ltvd_req *r);
int ltvd_api_analytics_quadrant_customers(struct ltvd_req *r);
int ltvd_api_analytics_lifecycle(struct ltvd_req *r);
int ltvd_api_analytics_cohorts(struct ltvd_req *r);
int ltvd_api_analytics_pipelines(struct ltvd_req *r);
int ltvd_api_analytics_clv_model(struct ltvd_req *r);
int ltvd_api_mrr_movements(struct ltvd_req *r);
int ltvd_api_mrr_summary(struct ltvd_req *r);

#endif
