/* SPEC 4.2 cohort curves. (stub) */
#include "ltvd/analytics.h"

json_t *ltvd_an_cohorts_rows(const struct ltvd_an_results *res)
{
  (void) res;
  return json_array();
}
