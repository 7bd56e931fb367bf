/* The published analytics documents (SPEC section 8). (stub) */
#include "ltvd/analytics_api.h"

#define STUB(fn)                                                                        \
  int fn(struct ltvd_req *r)                                                            \
  {                                                                                     \
    return ltvd_problem(r, 501, "not implemented yet");                                 \
  }

STUB(ltvd_api_analytics_ltv)
STUB(ltvd_api_analytics_ltv_history)
STUB(ltvd_api_analytics_tiers)
STUB(ltvd_api_analytics_quadrants)
STUB(ltvd_api_analytics_quadrant_customers)
STUB(ltvd_api_analytics_lifecycle)
STUB(ltvd_api_analytics_cohorts)
STUB(ltvd_api_analytics_pipelines)
STUB(ltvd_api_analytics_clv_model)
STUB(ltvd_api_mrr_movements)
STUB(ltvd_api_mrr_summary)
