/* SPEC 4.5: lifecycle phases per customer and business unit, and cross-usage. (stub) */
#include "ltvd/analytics.h"

void ltvd_an_phases(struct ltvd_an_results *res)
{
  (void) res;
}

json_t *ltvd_an_lifecycle_doc(const struct ltvd_an_results *res)
{
  (void) res;
  return json_pack("{s:{}, s:{}, s:[]}", "by_business_unit", "overall", "cross_usage");
}
