/* Products (SPEC section 3): list by key (filters business_unit, family), create, get,
 * merge patch, delete unless deals, MRR lines or signals refer to it. A product's
 * gross_margin may be null, meaning "the setting default_gross_margin"; responses show
 * the effective margin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/catalog.h"
#include "ltvd/catalog_db.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/validate.h"

static const struct ltvd_field product_fields[] = {
    {"key", LTVD_F_STRING, LTVD_REQUIRED, 0, INT64_MAX, NULL}, /* the pattern says the rest */
    {"name", LTVD_F_STRING, LTVD_REQUIRED, 1, 500, NULL},
    {"business_unit", LTVD_F_STRING, LTVD_REQUIRED, 1, 100, NULL},
    {"family", LTVD_F_STRING, LTVD_REQUIRED, 1, 100, NULL},
    {"tier", LTVD_F_INTEGER, 0, 1, 1000, NULL},
    {"monthly_price", LTVD_F_MONEY, 0, 0, 0, NULL},
    {"gross_margin", LTVD_F_NUMBER, LTVD_NULLABLE, 0, 1, NULL},
    {"currency", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"version", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"updated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const writable[] = {"name", "business_unit", "family", "tier",
                                       "monthly_price", "gross_margin", NULL};

static int reply_product(struct ltvd_req *r, int status, PGresult *res)
{
  if (status == 201)
    ltvd_reply_header(r, "Location", "/v1/products/%s", PQgetvalue(res, 0, 0));
  json_t *body = ltvd_db_product_json(res, 0, r->cfg->currency);
  int64_t version = ltvd_db_catalog_version(res, 0);

  PQclear(res);
  return ltvd_reply_resource_new(r, status, version, body);
}

static PGresult *find(struct ltvd_req *r, bool for_update)
{
  return ltvd_catalog_find(r, ltvd_db_product_get, for_update, "no product has this key");
}

/* Appends an error when the input names a business unit that does not exist; false on a
 * database error. */
static bool check_unit(PGconn *c, const json_t *in, json_t *errors)
{
  json_t *unit = json_object_get(in, "business_unit");

  if (!json_is_string(unit))
    return true;
  PGresult *res = ltvd_db_unit_get(c, json_string_value(unit), false);
  if (res == NULL)
    return false;
  if (PQntuples(res) == 0)
    json_array_append_new(errors, ltvd_field_error("business_unit", -1,
                                                   "refers to no business unit"));
  PQclear(res);
  return true;
}

int ltvd_api_products_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse_kind(r, LTVD_CURSOR_KEY, &page)))
    return status;
  PGresult *res = ltvd_db_product_list(r->db, page.after_key, page.limit + 1,
                                       ltvd_req_query(r, "business_unit"),
                                       ltvd_req_query(r, "family"));
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > page.limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < page.limit; i++)
    json_array_append_new(results, ltvd_db_product_json(res, i, r->cfg->currency));
  json_t *body = ltvd_paging_wrap_key_new(results, more,
                                          more ? PQgetvalue(res, page.limit - 1, 0) : NULL);
  PQclear(res);
  return ltvd_reply_json_new(r, 200, body);
}

int ltvd_api_products_create(struct ltvd_req *r)
{
  json_t *errors = json_array();
  const char *key = ltvd_catalog_check_new(r, product_fields, errors);

  if (!check_unit(r->db, r->json, errors)) {
    json_decref(errors);
    return ltvd_reply_db_error(r);
  }
  if (json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the product is invalid", errors);
  json_decref(errors);
  json_t *rec = json_pack("{s:I, s:I, s:n}", "tier", (json_int_t) 1, "monthly_price",
                          (json_int_t) 0, "gross_margin");
  for (const char *const *f = writable; *f; f++)
    if (json_object_get(r->json, *f))
      json_object_set(rec, *f, json_object_get(r->json, *f));
  PGresult *res = ltvd_db_product_insert(r->db, key, rec);
  json_decref(rec);
  return res ? reply_product(r, 201, res) : ltvd_reply_db_error(r);
}

int ltvd_api_products_get(struct ltvd_req *r)
{
  PGresult *res = find(r, false);

  return res ? reply_product(r, 200, res) : r->status;
}

int ltvd_api_products_patch(struct ltvd_req *r)
{
  PGresult *res = find(r, true);

  if (res == NULL)
    return r->status;
  json_t *errors = json_array();
  ltvd_catalog_check_patch(r, product_fields, errors);
  if (!check_unit(r->db, r->json, errors)) {
    PQclear(res);
    json_decref(errors);
    return ltvd_reply_db_error(r);
  }
  if (json_array_size(errors) > 0) {
    PQclear(res);
    return ltvd_problem_errors_new(r, 422, "the patch is invalid", errors);
  }
  json_decref(errors);
  int64_t current = ltvd_db_catalog_version(res, 0);
  json_t *rec = ltvd_db_product_record(res, 0);
  PQclear(res);
  if (!ltvd_req_if_match(r, current) || !ltvd_req_version_matches(r, current)) {
    json_decref(rec);
    return r->status;
  }
  for (const char *const *f = writable; *f; f++)
    if (json_object_get(r->json, *f))
      json_object_set(rec, *f, json_object_get(r->json, *f));
  res = ltvd_db_product_update(r->db, r->params[0], rec);
  json_decref(rec);
  return res ? reply_product(r, 200, res) : ltvd_reply_db_error(r);
}

/* 409 naming how many deals, MRR lines and signals refer to the product; 0 when none. */
static int in_use(struct ltvd_req *r)
{
  static const char *const what[][2] = {{"deal", "deals"}, {"MRR line", "MRR lines"},
                                        {"signal", "signals"}};
  PGresult *res = ltvd_db_product_references(r->db, r->params[0]);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  json_t *errors = json_array();
  char detail[200] = "the product is used by";
  for (int i = 0; i < 3; i++) {
    long long n = strtoll(PQgetvalue(res, 0, i), NULL, 10);
    if (n == 0)
      continue;
    size_t used = strlen(detail);
    snprintf(detail + used, sizeof detail - used, "%s %lld %s",
             json_array_size(errors) ? "," : "", n, what[i][n != 1]);
    json_array_append_new(errors, ltvd_field_error("key", -1, "used by %lld %s", n,
                                                   what[i][n != 1]));
  }
  PQclear(res);
  if (json_array_size(errors) == 0) {
    json_decref(errors);
    return 0;
  }
  return ltvd_problem_errors_new(r, 409, detail, errors);
}

int ltvd_api_products_delete(struct ltvd_req *r)
{
  PGresult *res;
  int status;

  if ((status = ltvd_catalog_may_delete(r, find(r, true))))
    return status;
  if ((status = in_use(r)))
    return status;
  if ((res = ltvd_db_product_delete(r->db, r->params[0])) == NULL)
    return ltvd_reply_db_error(r);
  PQclear(res);
  return ltvd_reply_empty(r, 204);
}
