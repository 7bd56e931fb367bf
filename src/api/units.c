/* Business units (SPEC section 3): list by key, create, get, merge patch of the name,
 * delete unless products use the unit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/catalog.h"
#include "ltvd/catalog_db.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/validate.h"

static const struct ltvd_field unit_fields[] = {
    {"key", LTVD_F_STRING, LTVD_REQUIRED, 0, INT64_MAX, NULL}, /* the pattern says the rest */
    {"name", LTVD_F_STRING, LTVD_REQUIRED, 1, 500, NULL},
    {"version", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"updated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static int reply_unit(struct ltvd_req *r, int status, PGresult *res)
{
  if (status == 201)
    ltvd_reply_header(r, "Location", "/v1/business-units/%s", PQgetvalue(res, 0, 0));
  json_t *body = ltvd_db_unit_json(res, 0);
  int64_t version = ltvd_db_catalog_version(res, 0);

  PQclear(res);
  return ltvd_reply_resource_new(r, status, version, body);
}

/* The unit of the path (locked for a write), or NULL after a 404 or error reply. */
static PGresult *find(struct ltvd_req *r, bool for_update)
{
  return ltvd_catalog_find(r, ltvd_db_unit_get, for_update, "no business unit has this key");
}

int ltvd_api_units_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse_kind(r, LTVD_CURSOR_KEY, &page)))
    return status;
  return ltvd_reply_key_page(r, &page, ltvd_db_unit_list(r->db, page.after_key, page.limit + 1), ltvd_db_unit_json);
}

int ltvd_api_units_create(struct ltvd_req *r)
{
  json_t *errors = json_array();
  const char *key = ltvd_catalog_check_new(r, unit_fields, errors);

  if (json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the business unit is invalid", errors);
  json_decref(errors);
  PGresult *res = ltvd_db_unit_insert(
      r->db, key, json_string_value(json_object_get(r->json, "name")));
  return res ? reply_unit(r, 201, res) : ltvd_reply_db_error(r);
}

int ltvd_api_units_get(struct ltvd_req *r)
{
  PGresult *res = find(r, false);

  return res ? reply_unit(r, 200, res) : r->status;
}

int ltvd_api_units_patch(struct ltvd_req *r)
{
  PGresult *res = find(r, true);
  json_t *errors = json_array();

  if (res == NULL) {
    json_decref(errors);
    return r->status;
  }
  ltvd_catalog_check_patch(r, unit_fields, errors);
  if (json_array_size(errors) > 0) {
    PQclear(res);
    return ltvd_problem_errors_new(r, 422, "the patch is invalid", errors);
  }
  json_decref(errors);
  int64_t current = ltvd_db_catalog_version(res, 0);
  if (!ltvd_req_if_match(r, current) || !ltvd_req_version_matches(r, current)) {
    PQclear(res);
    return r->status;
  }
  json_t *name = json_object_get(r->json, "name");
  PGresult *upd = ltvd_db_unit_update(r->db, r->params[0],
                                      name ? json_string_value(name) : PQgetvalue(res, 0, 2));
  PQclear(res);
  return upd ? reply_unit(r, 200, upd) : ltvd_reply_db_error(r);
}

/* 409 naming the products (at most 20) that use the unit; 0 when none do. */
static int in_use(struct ltvd_req *r)
{
  PGresult *res = ltvd_db_unit_products(r->db, r->params[0]);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  if (n == 0) {
    PQclear(res);
    return 0;
  }
  json_t *errors = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(errors, ltvd_field_error("key", -1, "used by product %s",
                                                   PQgetvalue(res, i, 0)));
  long long total = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
  char detail[160];
  snprintf(detail, sizeof detail, "the business unit is used by %lld product%s%s", total,
           total == 1 ? "" : "s", total > n ? " (the first 20 are listed)" : "");
  PQclear(res);
  return ltvd_problem_errors_new(r, 409, detail, errors);
}

int ltvd_api_units_delete(struct ltvd_req *r)
{
  PGresult *res;
  int status;

  if ((status = ltvd_catalog_may_delete(r, find(r, true))))
    return status;
  if ((status = in_use(r)))
    return status;
  if ((res = ltvd_db_unit_delete(r->db, r->params[0])) == NULL)
    return ltvd_reply_db_error(r);
  PQclear(res);
  return ltvd_reply_empty(r, 204);
}
