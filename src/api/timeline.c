/* STUB: replaced by the implementation. */
#include "ltvd/revenue.h"

int ltvd_api_customer_timeline(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

