/* SPEC 4.6: MRR movements per month and the MRR summary. (stub) */
#include "ltvd/analytics.h"

json_t *ltvd_an_movements_rows(const struct ltvd_an_results *res)
{
  (void) res;
  return json_array();
}

json_t *ltvd_an_mrr_summary(const struct ltvd_an_results *res)
{
  (void) res;
  return json_object();
}
