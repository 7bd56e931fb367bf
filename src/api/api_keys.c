/* STUB: replaced by the implementation. */
#include "ltvd/admin.h"

int ltvd_api_api_keys_list(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_api_keys_create(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_api_keys_delete(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

