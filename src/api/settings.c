/* STUB: replaced by the implementation. */
#include "ltvd/admin.h"

int ltvd_api_settings_get(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

int ltvd_api_settings_patch(struct ltvd_req *r)
{
  return ltvd_problem(r, 500, "not implemented yet");
}

