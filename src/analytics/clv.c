/* SPEC 4.10 in the worker: the BG/NBD and Gamma-Gamma fit over the purchases of the
 * snapshot, and each customer's predictions. (stub) */
#include "ltvd/analytics.h"

#include <stdio.h>

void ltvd_an_clv(struct ltvd_an_results *res)
{
  res->clv_fitted = false;
  snprintf(res->clv_reason, sizeof res->clv_reason, "not computed yet");
}

json_t *ltvd_an_clv_model_doc(const struct ltvd_an_results *res)
{
  return json_pack("{s:b, s:s}", "fitted", res->clv_fitted, "reason", res->clv_reason);
}
