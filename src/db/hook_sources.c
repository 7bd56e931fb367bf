/* The SQL of hook sources. Secrets leave the database only for the signature check
 * (hook_source_secrets) and never appear in the columns the API shows. The validity of
 * a rotated-out secret runs on the database's real clock, not on LTVD_TODAY: it is a
 * security window, not a business date. */
#include <stdio.h>

#include "ltvd/clock.h"
#include "ltvd/db.h"
#include "ltvd/hooks.h"

#define COLUMNS                                                                                    \
  "name, ltvd_ts(created_at), ltvd_ts(rotated_at), "                                               \
  "CASE WHEN previous_valid_until > clock_timestamp() "                                            \
  "THEN ltvd_ts(previous_valid_until) END"

enum { C_NAME, C_CREATED, C_ROTATED, C_PREVIOUS_UNTIL };

const struct ltvd_stmt ltvd_db_hook_sources_stmts[] = {
    {"hook_source_list", "SELECT " COLUMNS " FROM hook_sources WHERE name COLLATE \"C\" > $1 "
                         "ORDER BY name COLLATE \"C\" LIMIT $2"},
    {"hook_source_get", "SELECT " COLUMNS " FROM hook_sources WHERE name = $1"},
    {"hook_source_insert",
     "INSERT INTO hook_sources (name, secret, created_at) VALUES ($1, $2, $3) "
     "RETURNING " COLUMNS},
    {"hook_source_rotate",
     "UPDATE hook_sources SET previous_secret = secret, "
     "previous_valid_until = clock_timestamp() + interval '24 hours', secret = $2, "
     "rotated_at = $3 WHERE name = $1 RETURNING " COLUMNS},
    {"hook_source_delete", "DELETE FROM hook_sources WHERE name = $1 RETURNING name"},
    {"hook_source_secrets", "SELECT secret, CASE WHEN previous_valid_until > clock_timestamp() "
                            "THEN previous_secret END FROM hook_sources WHERE name = $1"},
    {NULL, NULL},
};

static json_t *nullable(const PGresult *res, int row, int col)
{
  return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

json_t *ltvd_db_hook_source_json(const PGresult *res, int row)
{
  const char *name = PQgetvalue(res, row, C_NAME);
  char path[128];

  snprintf(path, sizeof path, "/v1/hooks/%s", name);
  return json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", name, "path", path, "created_at",
                   PQgetvalue(res, row, C_CREATED), "rotated_at", nullable(res, row, C_ROTATED),
                   "previous_secret_valid_until", nullable(res, row, C_PREVIOUS_UNTIL));
}

PGresult *ltvd_db_hook_source_list(PGconn *c, const char *after_key, int limit)
{
  char n[16];

  snprintf(n, sizeof n, "%d", limit);
  return LTVD_DB_RUN(c, "hook_source_list", after_key, n);
}

PGresult *ltvd_db_hook_source_get(PGconn *c, const char *name)
{
  return LTVD_DB_RUN(c, "hook_source_get", name);
}

PGresult *ltvd_db_hook_source_insert(PGconn *c, const char *name, const char *secret)
{
  char ts[32];

  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "hook_source_insert", name, secret, ts);
}

PGresult *ltvd_db_hook_source_rotate(PGconn *c, const char *name, const char *secret)
{
  char ts[32];

  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "hook_source_rotate", name, secret, ts);
}

PGresult *ltvd_db_hook_source_delete(PGconn *c, const char *name)
{
  return LTVD_DB_RUN(c, "hook_source_delete", name);
}

PGresult *ltvd_db_hook_source_secrets(PGconn *c, const char *name)
{
  return LTVD_DB_RUN(c, "hook_source_secrets", name);
}
