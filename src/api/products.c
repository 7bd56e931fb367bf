/* STUB: replaced by the implementation. */
#include "ltvd/catalog.h"

int ltvd_api_products_list(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_products_create(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_products_get(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_products_patch(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_products_delete(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

