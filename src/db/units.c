/* The SQL of business units. Every catalog result (units, products, pipelines, settings)
 * has its version in column 1, so one function reads it for all of them. */
#include <stdio.h>
#include <stdlib.h>

#include "ltvd/catalog_db.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"

#define COLUMNS "key, version, name, ltvd_ts(created_at), ltvd_ts(updated_at)"

enum { C_KEY, C_VERSION, C_NAME, C_CREATED, C_UPDATED };

/* Keys order byte by byte (SPEC section 4: text compares byte by byte). */
const struct ltvd_stmt ltvd_db_units_stmts[] = {
    {"unit_list",
     "SELECT " COLUMNS " FROM business_units WHERE key COLLATE \"C\" > $1 "
     "ORDER BY key COLLATE \"C\" LIMIT $2"},
    {"unit_get", "SELECT " COLUMNS " FROM business_units WHERE key = $1"},
    {"unit_lock", "SELECT " COLUMNS " FROM business_units WHERE key = $1 FOR UPDATE"},
    {"unit_insert",
     "INSERT INTO business_units (key, name, created_at, updated_at) VALUES ($1, $2, $3, $3) "
     "RETURNING " COLUMNS},
    {"unit_update",
     "UPDATE business_units SET name = $2, updated_at = $3, version = version + 1 "
     "WHERE key = $1 RETURNING " COLUMNS},
    {"unit_delete", "DELETE FROM business_units WHERE key = $1 RETURNING key"},
    {"unit_products",
     "SELECT key, count(*) OVER () FROM products WHERE business_unit = $1 "
     "ORDER BY key COLLATE \"C\" LIMIT 20"},
    {NULL, NULL},
};

int64_t ltvd_db_catalog_version(const PGresult *res, int row)
{
  return strtoll(PQgetvalue(res, row, 1), NULL, 10);
}

json_t *ltvd_db_unit_json(const PGresult *res, int row)
{
  return json_pack("{s:s, s:s, s:I, s:s, s:s}", "key", PQgetvalue(res, row, C_KEY), "name",
                   PQgetvalue(res, row, C_NAME), "version",
                   (json_int_t) ltvd_db_catalog_version(res, row), "created_at",
                   PQgetvalue(res, row, C_CREATED), "updated_at", PQgetvalue(res, row, C_UPDATED));
}

PGresult *ltvd_db_unit_list(PGconn *c, const char *after_key, int limit)
{
  char n[16];

  snprintf(n, sizeof n, "%d", limit);
  return LTVD_DB_RUN(c, "unit_list", after_key, n);
}

PGresult *ltvd_db_unit_get(PGconn *c, const char *key, bool for_update)
{
  return LTVD_DB_RUN(c, for_update ? "unit_lock" : "unit_get", key);
}

PGresult *ltvd_db_unit_insert(PGconn *c, const char *key, const char *name)
{
  char ts[32];

  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "unit_insert", key, name, ts);
}

PGresult *ltvd_db_unit_update(PGconn *c, const char *key, const char *name)
{
  char ts[32];

  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "unit_update", key, name, ts);
}

PGresult *ltvd_db_unit_delete(PGconn *c, const char *key)
{
  return LTVD_DB_RUN(c, "unit_delete", key);
}

PGresult *ltvd_db_unit_products(PGconn *c, const char *key)
{
  return LTVD_DB_RUN(c, "unit_products", key);
}
