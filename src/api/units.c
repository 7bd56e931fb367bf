/* STUB: replaced by the implementation. */
#include "ltvd/catalog.h"

int ltvd_api_units_list(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_units_create(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_units_get(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_units_patch(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_units_delete(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

