/* The SQL of API keys as a resource (the lookup and insert of src/http/auth.c aside):
 * listing and revoking. The hash never leaves the database. */
#include <stdio.h>
#include <stdlib.h>

#include "ltvd/catalog_db.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"

#define COLUMNS "id, name, scope, prefix, ltvd_ts(created_at), ltvd_ts(revoked_at)"

enum { C_ID, C_NAME, C_SCOPE, C_PREFIX, C_CREATED, C_REVOKED };

const struct ltvd_stmt ltvd_db_api_keys_stmts[] = {
    {"api_key_list", "SELECT " COLUMNS " FROM api_keys WHERE id > $1 ORDER BY id LIMIT $2"},
    {"api_key_get", "SELECT " COLUMNS " FROM api_keys WHERE id = $1"},
    {"api_key_revoke",
     "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL "
     "RETURNING " COLUMNS},
    {NULL, NULL},
};

int64_t ltvd_db_api_key_id(const PGresult *res, int row)
{
  return strtoll(PQgetvalue(res, row, C_ID), NULL, 10);
}

json_t *ltvd_db_api_key_json(const PGresult *res, int row)
{
  return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "id",
                   (json_int_t) ltvd_db_api_key_id(res, row), "name",
                   PQgetvalue(res, row, C_NAME), "scope", PQgetvalue(res, row, C_SCOPE), "prefix",
                   PQgetvalue(res, row, C_PREFIX), "created_at", PQgetvalue(res, row, C_CREATED),
                   "revoked_at",
                   PQgetisnull(res, row, C_REVOKED) ? json_null()
                                                    : json_string(PQgetvalue(res, row, C_REVOKED)));
}

PGresult *ltvd_db_api_key_list(PGconn *c, int64_t after, int limit)
{
  char a[24], n[16];

  snprintf(a, sizeof a, "%lld", (long long) after);
  snprintf(n, sizeof n, "%d", limit);
  return LTVD_DB_RUN(c, "api_key_list", a, n);
}

PGresult *ltvd_db_api_key_get(PGconn *c, int64_t id)
{
  char s[24];

  snprintf(s, sizeof s, "%lld", (long long) id);
  return LTVD_DB_RUN(c, "api_key_get", s);
}

PGresult *ltvd_db_api_key_revoke(PGconn *c, int64_t id)
{
  char s[24], ts[32];

  snprintf(s, sizeof s, "%lld", (long long) id);
  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "api_key_revoke", s, ts);
}
