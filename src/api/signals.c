/* STUB: replaced by the implementation. */
#include "ltvd/revenue.h"

int ltvd_api_signals_create(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_signals_batch(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_signals_list(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_customer_signals(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

