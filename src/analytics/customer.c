/* SPEC 4.1 per customer, with the per-customer parts of 4.2. (stub) */
#include "ltvd/analytics.h"

void ltvd_an_customers(struct ltvd_an_results *res)
{
  (void) res;
}
