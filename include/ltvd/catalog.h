/* Business units, products and pipelines (SPEC section 3). */
#ifndef LTVD_CATALOG_H
#define LTVD_CATALOG_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "ltvd/http.h"
#include "ltvd/validate.h"

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

/* What the three share: each is named by a key (the path's first parameter). */

/* A resource's row by key, locked when for_update (ltvd_db_unit_get and its kin). */
typedef PGresult *(*ltvd_catalog_get)(PGconn *c, const char *key, bool for_update);

/* The row of the path's key, or NULL after a 404 (with detail missing) or error reply. */
PGresult *ltvd_catalog_find(struct ltvd_req *r, ltvd_catalog_get get, bool for_update,
                            const char *missing);

/* Checks a new resource's body against fields, and its key against LTVD_KEY_PATTERN,
 * appending to errors; returns the key (NULL when absent or not a string). */
const char *ltvd_catalog_check_new(struct ltvd_req *r, const struct ltvd_field *fields,
                                   json_t *errors);

/* Checks a merge patch against fields, appending to errors: "version" is allowed (an
 * integer) and "key", when given, must be the path's. */
void ltvd_catalog_check_patch(struct ltvd_req *r, const struct ltvd_field *fields,
                              json_t *errors);

/* The preconditions of a delete of found (a ltvd_catalog_find result, cleared here):
 * 0 when it exists and If-Match allows it, else the status of the reply made. */
int ltvd_catalog_may_delete(struct ltvd_req *r, PGresult *found);

#endif
