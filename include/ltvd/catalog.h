/* Business units, products and pipelines (SPEC section 3). */
#ifndef LTVD_CATALOG_H
#define LTVD_CATALOG_H

#include "ltvd/http.h"

int ltvd_api_units_list(struct ltvd_req *r);
int ltvd_api_units_create(struct ltvd_req *r);
int ltvd_api_units_get(struct ltvd_req *r);
int ltvd_api_units_patch(struct ltvd_req *r);
int ltvd_api_units_delete(struct ltvd_req *r);
int ltvd_api_products_list(struct ltvd_req *r);
int ltvd_api_products_create(struct ltvd_req *r);
int ltvd_api_products_get(struct ltvd_req *r);
int ltvd_api_products_patch(struct ltvd_req *r);
int ltvd_api_products_delete(struct ltvd_req *r);
int ltvd_api_pipelines_list(struct ltvd_req *r);
int ltvd_api_pipelines_create(struct ltvd_req *r);
int ltvd_api_pipelines_get(struct ltvd_req *r);
int ltvd_api_pipelines_patch(struct ltvd_req *r);
int ltvd_api_pipelines_delete(struct ltvd_req *r);

#endif
