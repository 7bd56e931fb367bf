/* The SQL of the analytics worker's loop (src/analytics/worker.c) and of its two
 * endpoints (src/api/analytics_runs.c). A run itself lives in src/db/analytics.c. */
#include "ltvd/db.h"
#include "ltvd/worker.h"

/* The statements below spell the lock's key out. */
_Static_assert(LTVD_WORKER_LOCK == 7418003, "the worker's lock key changed: update the SQL");

/* The advisory lock of ltvd/worker.h as pg_locks shows a bigint key: its high half in
 * classid, its low half in objid, objsubid 1. */
#define WORKER_LOCK_HELD                                                                           \
  "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "                        \
  "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "               \
  "AND classid = 0 AND objid = 7418003 AND objsubid = 1)"

const struct ltvd_stmt ltvd_db_analytics_runs_stmts[] = {
    {"worker_try_lock", "SELECT pg_try_advisory_lock(7418003)"},
    {"worker_unlock", "SELECT pg_advisory_unlock(7418003)"},
    /* $1: today. Stale: nothing published, an older data version, or an earlier T. */
    {"worker_stale",
     "SELECT computed_version IS NULL OR computed_version < (SELECT version FROM data_version) "
     "OR today < $1::date FROM analytics_state"},
    /* GET /v1/analytics/status: one statement, so one snapshot. A row per run (the
     * last ten, newest first), or one row of NULL run columns when none ran yet. The
     * one-row tables are read by scalar subqueries: joined, their missing statistics
     * made the planner expect millions of rows and spend 170 ms compiling it (JIT). */
    {"analytics_status",
     "SELECT (SELECT version FROM data_version), (SELECT computed_version FROM analytics_state), "
     "ltvd_ts(r.started_at), ltvd_ts(r.finished_at), r.duration_ms, r.data_version, r.status "
     "FROM (VALUES (1)) one LEFT JOIN (SELECT * FROM analytics_runs ORDER BY id DESC LIMIT 10) r "
     "ON true ORDER BY r.id DESC"},
    /* POST /v1/analytics/recompute: the data version to cover and the newest run so
     * far, with the request to the worker sent when this statement commits. */
    {"analytics_recompute_request",
     "SELECT version, (SELECT coalesce(max(id), 0) FROM analytics_runs), "
     "pg_notify('ltvd_recompute', '') FROM data_version"},
    /* $1: the data version to cover, $2: the newest run before the request. Whether
     * results covering $1 are published and a later run finished, whether such a run
     * failed, and whether any process holds the worker's lock. */
    {"analytics_recompute_poll",
     "SELECT coalesce(computed_version >= $1::bigint, false), "
     "EXISTS (SELECT 1 FROM analytics_runs WHERE id > $2::bigint AND status <> 'running'), "
     "EXISTS (SELECT 1 FROM analytics_runs WHERE id > $2::bigint AND status = "
     "'failed'), " WORKER_LOCK_HELD " FROM analytics_state"},
    {NULL, NULL},
};
