/* SPEC 4.7: pipeline statistics, stage calibration and the forecast. (stub) */
#include "ltvd/analytics.h"

json_t *ltvd_an_pipelines_rows(const struct ltvd_an_results *res)
{
  (void) res;
  return json_array();
}
