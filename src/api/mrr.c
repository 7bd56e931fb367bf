/* STUB: replaced by the implementation. */
#include "ltvd/revenue.h"

int ltvd_api_mrr_put_month(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_mrr_list(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_mrr_batch(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

