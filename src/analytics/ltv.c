/* The documents of SPEC 4.2 (segment LTV), 4.3 (tiers), 4.4 (quadrants) and the
 * customer metrics object. (stub) */
#include "ltvd/analytics.h"

json_t *ltvd_an_ltv_rows(const struct ltvd_an_results *res, int a, int b)
{
  (void) res, (void) a, (void) b;
  return json_array();
}

json_t *ltvd_an_tiers_doc(const struct ltvd_an_results *res)
{
  (void) res;
  return json_pack("{s:[], s:{s:n, s:n, s:n}}", "tiers", "concentration", "top1", "top5",
                   "top10");
}

json_t *ltvd_an_quadrants_doc(const struct ltvd_an_results *res)
{
  (void) res;
  return json_pack("{s:{s:n, s:n}, s:[]}", "thresholds", "value", "potential", "quadrants");
}

json_t *ltvd_an_customer_metrics(const struct ltvd_an_results *res, size_t customer)
{
  (void) res, (void) customer;
  return json_object();
}
