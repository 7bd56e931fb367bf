/* GET /v1/analytics/status and POST /v1/analytics/recompute (SPEC section 5). (stub) */
#include "ltvd/analytics_api.h"

int ltvd_api_analytics_status(struct ltvd_req *r)
{
  return ltvd_problem(r, 501, "not implemented yet");
}

int ltvd_api_analytics_recompute(struct ltvd_req *r)
{
  return ltvd_problem(r, 501, "not implemented yet");
}
