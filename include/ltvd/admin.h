/* API keys over HTTP and the settings of SPEC section 4. */
#ifndef LTVD_ADMIN_H
#define LTVD_ADMIN_H

#include "ltvd/http.h"

int ltvd_api_settings_get(struct ltvd_req *r);
int ltvd_api_settings_patch(struct ltvd_req *r);
int ltvd_api_api_keys_list(struct ltvd_req *r);
int ltvd_api_api_keys_create(struct ltvd_req *r);
int ltvd_api_api_keys_delete(struct ltvd_req *r);

#endif
