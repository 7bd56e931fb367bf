/* GET /v1/analytics/status and POST /v1/analytics/recompute (SPEC section 5).
 *
 * A recompute asks the worker (NOTIFY ltvd_recompute, whichever process leads) and
 * waits, polling, until results covering the data version current at the request are
 * published and a run that began after the request has finished; then it answers with
 * the status. It gives up with 503 after RECOMPUTE_LIMIT seconds, when a run begun after
 * the request failed while the results are still behind, or when no process has held the
 * worker's lock for NO_WORKER_LIMIT seconds (every process runs with LTVD_WORKER=off). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ltvd/analytics_api.h"
#include "ltvd/db.h"
#include "ltvd/util.h"

#define RECOMPUTE_LIMIT 120.0 /* seconds */
#define NO_WORKER_LIMIT 5.0   /* seconds; a takeover takes about one */
#define POLL_NS 25000000L     /* 25 ms */

static json_t *real_or_null(const PGresult *res, int row, int col)
{
  return PQgetisnull(res, row, col) ? json_null()
                                    : json_real(strtod(PQgetvalue(res, row, col), NULL));
}

/* Replies 200 with the status of SPEC section 8. */
static int reply_status(struct ltvd_req *r)
{
  PGresult *res = ltvd_db_run(r->db, "analytics_status", 0, NULL);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  json_t *body = json_object(), *runs = json_array();
  json_t *computed = ltvd_db_integer_or_null(res, 0, 1);
  int64_t version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  json_object_set_new(body, "data_version", json_integer(version));
  json_object_set_new(
      body, "stale",
      json_boolean(json_is_null(computed) || json_integer_value(computed) < version));
  json_object_set_new(body, "computed_version", computed);
  for (int i = 0; i < PQntuples(res); i++) {
    if (PQgetisnull(res, i, 6))
      continue; /* no run yet: the one row of the outer join */
    json_t *run = json_object();
    json_object_set_new(run, "started_at", ltvd_db_text_or_null(res, i, 2));
    json_object_set_new(run, "finished_at", ltvd_db_text_or_null(res, i, 3));
    json_object_set_new(run, "duration_ms", real_or_null(res, i, 4));
    json_object_set_new(run, "data_version", ltvd_db_integer_or_null(res, i, 5));
    json_object_set_new(run, "status", json_string(PQgetvalue(res, i, 6)));
    json_array_append_new(runs, run);
  }
  json_object_set_new(body, "runs", runs);
  PQclear(res);
  return ltvd_reply_json_new(r, 200, body);
}

int ltvd_api_analytics_status(struct ltvd_req *r)
{
  return reply_status(r);
}

int ltvd_api_analytics_recompute(struct ltvd_req *r)
{
  if (r->body_len > 0)
    return ltvd_problem(r, 400, "POST /v1/analytics/recompute takes no body");
  PGresult *res = ltvd_db_run(r->db, "analytics_recompute_request", 0, NULL);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  char version[24], last_run[24];
  snprintf(version, sizeof version, "%s", PQgetvalue(res, 0, 0));
  snprintf(last_run, sizeof last_run, "%s", PQgetvalue(res, 0, 1));
  PQclear(res);

  double start = ltvd_monotonic(), worker_seen = start;
  for (;;) {
    const struct timespec pause = {0, POLL_NS};
    nanosleep(&pause, NULL);
    res = LTVD_DB_RUN(r->db, "analytics_recompute_poll", version, last_run);
    if (res == NULL)
      return ltvd_reply_db_error(r);
    bool covered = PQgetvalue(res, 0, 0)[0] == 't', ran = PQgetvalue(res, 0, 1)[0] == 't';
    bool failed = PQgetvalue(res, 0, 2)[0] == 't', worker = PQgetvalue(res, 0, 3)[0] == 't';
    PQclear(res);
    double now = ltvd_monotonic();
    if (covered && ran)
      return reply_status(r);
    if (failed && !covered)
      return ltvd_problem(r, 503,
                          "the analytics run failed; the previous results stay "
                          "served and the worker retries with back-off (see GET "
                          "/v1/analytics/status)");
    if (worker)
      worker_seen = now;
    else if (now - worker_seen >= NO_WORKER_LIMIT)
      return ltvd_problem(r, 503,
                          "no ltvd process runs the analytics worker (is "
                          "LTVD_WORKER=off everywhere?); run ltvd recompute instead");
    if (now - start >= RECOMPUTE_LIMIT)
      return ltvd_problem(r, 503,
                          "the results were not published within %.0f s; the run "
                          "goes on (see GET /v1/analytics/status)",
                          RECOMPUTE_LIMIT);
  }
}
