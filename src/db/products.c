/* The SQL of products. gross_margin is stored as given (null: follow the setting
 * default_gross_margin); every read also returns the effective margin, so responses
 * follow a settings change at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/catalog_db.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"

#define COLUMNS                                                                         \
  "key, version, name, business_unit, family, tier, monthly_price, gross_margin, "     \
  "COALESCE(gross_margin, (SELECT (data->>'default_gross_margin')::float8 FROM settings)), " \
  "ltvd_ts(created_at), ltvd_ts(updated_at)"

enum { C_KEY, C_VERSION, C_NAME, C_UNIT, C_FAMILY, C_TIER, C_PRICE, C_MARGIN, C_EFFECTIVE,
       C_CREATED, C_UPDATED };

const struct ltvd_stmt ltvd_db_products_stmts[] = {
    {"product_list",
     "SELECT " COLUMNS " FROM products WHERE key COLLATE \"C\" > $1 "
     "AND ($2::text IS NULL OR business_unit = $2) AND ($3::text IS NULL OR family = $3) "
     "ORDER BY key COLLATE \"C\" LIMIT $4"},
    {"product_get", "SELECT " COLUMNS " FROM products WHERE key = $1"},
    {"product_lock", "SELECT " COLUMNS " FROM products WHERE key = $1 FOR UPDATE"},
    {"product_insert",
     "INSERT INTO products (key, name, business_unit, family, tier, monthly_price, "
     "gross_margin, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
     "RETURNING " COLUMNS},
    {"product_update",
     "UPDATE products SET name = $2, business_unit = $3, family = $4, tier = $5, "
     "monthly_price = $6, gross_margin = $7, updated_at = $8, version = version + 1 "
     "WHERE key = $1 RETURNING " COLUMNS},
    {"product_delete", "DELETE FROM products WHERE key = $1 RETURNING key"},
    {"product_references",
     "SELECT (SELECT count(*) FROM deals WHERE product = $1), "
     "(SELECT count(*) FROM mrr_lines WHERE product = $1), "
     "(SELECT count(*) FROM signals WHERE product = $1)"},
    {NULL, NULL},
};

static json_t *number(const PGresult *res, int row, int col)
{
  return PQgetisnull(res, row, col) ? json_null()
                                    : json_real(strtod(PQgetvalue(res, row, col), NULL));
}

static json_t *integer(const PGresult *res, int row, int col)
{
  return json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}

json_t *ltvd_db_product_record(const PGresult *res, int row)
{
  json_t *rec = json_object();

  json_object_set_new(rec, "name", json_string(PQgetvalue(res, row, C_NAME)));
  json_object_set_new(rec, "business_unit", json_string(PQgetvalue(res, row, C_UNIT)));
  json_object_set_new(rec, "family", json_string(PQgetvalue(res, row, C_FAMILY)));
  json_object_set_new(rec, "tier", integer(res, row, C_TIER));
  json_object_set_new(rec, "monthly_price", integer(res, row, C_PRICE));
  json_object_set_new(rec, "gross_margin", number(res, row, C_MARGIN));
  return rec;
}

json_t *ltvd_db_product_json(const PGresult *res, int row, const char *currency)
{
  json_t *o = json_object();

  json_object_set_new(o, "key", json_string(PQgetvalue(res, row, C_KEY)));
  json_object_set_new(o, "name", json_string(PQgetvalue(res, row, C_NAME)));
  json_object_set_new(o, "business_unit", json_string(PQgetvalue(res, row, C_UNIT)));
  json_object_set_new(o, "family", json_string(PQgetvalue(res, row, C_FAMILY)));
  json_object_set_new(o, "tier", integer(res, row, C_TIER));
  json_object_set_new(o, "monthly_price", integer(res, row, C_PRICE));
  json_object_set_new(o, "gross_margin", number(res, row, C_EFFECTIVE));
  json_object_set_new(o, "currency", json_string(currency));
  json_object_set_new(o, "version", integer(res, row, C_VERSION));
  json_object_set_new(o, "created_at", json_string(PQgetvalue(res, row, C_CREATED)));
  json_object_set_new(o, "updated_at", json_string(PQgetvalue(res, row, C_UPDATED)));
  return o;
}

PGresult *ltvd_db_product_list(PGconn *c, const char *after_key, int limit,
                               const char *business_unit, const char *family)
{
  char n[16];

  snprintf(n, sizeof n, "%d", limit);
  return LTVD_DB_RUN(c, "product_list", after_key, business_unit, family, n);
}

PGresult *ltvd_db_product_get(PGconn *c, const char *key, bool for_update)
{
  return LTVD_DB_RUN(c, for_update ? "product_lock" : "product_get", key);
}

static PGresult *write_record(PGconn *c, const char *stmt, const char *key,
                              const json_t *record)
{
  char tier[24], price[24], margin[32], ts[32];
  json_t *m = json_object_get(record, "gross_margin");

  snprintf(tier, sizeof tier, "%lld", (long long) json_integer_value(json_object_get(record, "tier")));
  snprintf(price, sizeof price, "%lld",
           (long long) json_integer_value(json_object_get(record, "monthly_price")));
  snprintf(margin, sizeof margin, "%.17g", json_number_value(m));
  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, stmt, key, json_string_value(json_object_get(record, "name")),
                     json_string_value(json_object_get(record, "business_unit")),
                     json_string_value(json_object_get(record, "family")), tier, price,
                     json_is_number(m) ? margin : NULL, ts);
}

PGresult *ltvd_db_product_insert(PGconn *c, const char *key, const json_t *record)
{
  return write_record(c, "product_insert", key, record);
}

PGresult *ltvd_db_product_update(PGconn *c, const char *key, const json_t *record)
{
  return write_record(c, "product_update", key, record);
}

PGresult *ltvd_db_product_delete(PGconn *c, const char *key)
{
  return LTVD_DB_RUN(c, "product_delete", key);
}

PGresult *ltvd_db_product_references(PGconn *c, const char *key)
{
  return LTVD_DB_RUN(c, "product_references", key);
}
