/* SPEC 4.3 tiers and 4.4 potential and quadrants, with PostgreSQL's percent_rank and
 * percentile_cont. (stub) */
#include "ltvd/analytics.h"

#include <math.h>

void ltvd_an_tiers(struct ltvd_an_results *res)
{
  (void) res;
}

void ltvd_an_quadrants(struct ltvd_an_results *res)
{
  (void) res;
}

void ltvd_an_percent_rank(const double *v, size_t n, double *out)
{
  (void) v;
  for (size_t i = 0; i < n; i++)
    out[i] = 0;
}

double ltvd_an_percentile_cont(double *v, size_t n, double p)
{
  (void) v, (void) n, (void) p;
  return NAN;
}
