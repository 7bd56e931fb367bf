/* The SQL of pipelines and their stages. A pipeline is read with its stages folded into
 * one JSON array (by position), and stages are written from one JSON array, so a stage
 * list is a single parameter whatever its length. */
#include <stdio.h>
#include <stdlib.h>

#include "ltvd/catalog_db.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"

#define COLUMNS                                                                         \
  "key, version, name, kind, ltvd_ts(created_at), ltvd_ts(updated_at), "               \
  "(SELECT COALESCE(json_agg(json_build_object('key', s.key, 'name', s.name, "          \
  "'position', s.position, 'probability', s.probability, 'state', s.state) "            \
  "ORDER BY s.position), '[]') FROM pipeline_stages s WHERE s.pipeline = pipelines.key)"

enum { C_KEY, C_VERSION, C_NAME, C_KIND, C_CREATED, C_UPDATED, C_STAGES };

const struct ltvd_stmt ltvd_db_pipelines_stmts[] = {
    {"pipeline_list",
     "SELECT " COLUMNS " FROM pipelines WHERE key COLLATE \"C\" > $1 "
     "ORDER BY key COLLATE \"C\" LIMIT $2"},
    {"pipeline_get", "SELECT " COLUMNS " FROM pipelines WHERE key = $1"},
    {"pipeline_lock", "SELECT " COLUMNS " FROM pipelines WHERE key = $1 FOR UPDATE"},
    {"pipeline_insert",
     "INSERT INTO pipelines (key, name, kind, created_at, updated_at) "
     "VALUES ($1, $2, $3, $4, $4) RETURNING key"},
    {"pipeline_update",
     "UPDATE pipelines SET name = $2, kind = $3, updated_at = $4, version = version + 1 "
     "WHERE key = $1 RETURNING key"},
    {"pipeline_stages_prune",
     "DELETE FROM pipeline_stages WHERE pipeline = $1 AND key NOT IN "
     "(SELECT e->>'key' FROM jsonb_array_elements($2::jsonb) e)"},
    {"pipeline_stages_put",
     "INSERT INTO pipeline_stages (pipeline, key, name, position, probability, state) "
     "SELECT $1, e->>'key', e->>'name', n, (e->>'probability')::float8, e->>'state' "
     "FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) "
     "ON CONFLICT (pipeline, key) DO UPDATE SET name = excluded.name, "
     "position = excluded.position, probability = excluded.probability, "
     "state = excluded.state"},
    /* moving a deal into a stage key-share locks the stage row: locking the rows first,
     * in a statement of its own, makes the count that follows see every such deal */
    {"pipeline_stages_lock",
     "SELECT key FROM pipeline_stages WHERE pipeline = $1 FOR UPDATE"},
    {"pipeline_stage_deals",
     "SELECT s.key, s.state, count(d.id) FROM pipeline_stages s "
     "JOIN deals d ON d.pipeline = s.pipeline AND d.stage = s.key WHERE s.pipeline = $1 "
     "GROUP BY s.key, s.state, s.position ORDER BY s.position"},
    {"pipeline_delete", "DELETE FROM pipelines WHERE key = $1 RETURNING key"},
    {NULL, NULL},
};

json_t *ltvd_db_pipeline_json(const PGresult *res, int row)
{
  json_t *stages = json_loads(PQgetvalue(res, row, C_STAGES), 0, NULL);

  return json_pack("{s:s, s:s, s:s, s:o, s:I, s:s, s:s}", "key", PQgetvalue(res, row, C_KEY),
                   "name", PQgetvalue(res, row, C_NAME), "kind", PQgetvalue(res, row, C_KIND),
                   "stages", stages ? stages : json_array(), "version",
                   (json_int_t) ltvd_db_catalog_version(res, row), "created_at",
                   PQgetvalue(res, row, C_CREATED), "updated_at", PQgetvalue(res, row, C_UPDATED));
}

PGresult *ltvd_db_pipeline_list(PGconn *c, const char *after_key, int limit)
{
  char n[16];

  snprintf(n, sizeof n, "%d", limit);
  return LTVD_DB_RUN(c, "pipeline_list", after_key, n);
}

PGresult *ltvd_db_pipeline_get(PGconn *c, const char *key, bool for_update)
{
  return LTVD_DB_RUN(c, for_update ? "pipeline_lock" : "pipeline_get", key);
}

PGresult *ltvd_db_pipeline_insert(PGconn *c, const char *key, const char *name,
                                  const char *kind)
{
  char ts[32];

  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "pipeline_insert", key, name, kind, ts);
}

PGresult *ltvd_db_pipeline_update(PGconn *c, const char *key, const char *name,
                                  const char *kind)
{
  char ts[32];

  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "pipeline_update", key, name, kind, ts);
}

bool ltvd_db_pipeline_set_stages(PGconn *c, const char *key, const json_t *stages)
{
  char *text = json_dumps(stages, JSON_COMPACT | JSON_REAL_PRECISION(17));
  PGresult *res = LTVD_DB_RUN(c, "pipeline_stages_prune", key, text);
  bool ok = res != NULL;

  PQclear(res);
  if (ok) {
    res = LTVD_DB_RUN(c, "pipeline_stages_put", key, text);
    ok = res != NULL;
    PQclear(res);
  }
  free(text);
  return ok;
}

PGresult *ltvd_db_pipeline_stage_deals(PGconn *c, const char *key)
{
  PGresult *res = LTVD_DB_RUN(c, "pipeline_stages_lock", key);

  if (res == NULL)
    return NULL;
  PQclear(res);
  return LTVD_DB_RUN(c, "pipeline_stage_deals", key);
}

PGresult *ltvd_db_pipeline_delete(PGconn *c, const char *key)
{
  return LTVD_DB_RUN(c, "pipeline_delete", key);
}
