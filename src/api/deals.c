/* STUB: replaced by the implementation. */
#include "ltvd/deals.h"

int ltvd_api_deals_list(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_create(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_batch(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_get(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_patch(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_delete(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_history(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_get_external(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_deals_put_external(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

