/* The analytics worker over HTTP (SPEC section 5): the status before any run and after
 * `ltvd recompute`, recompute covering a write made just before, a write reflected
 * without recompute (the debounce, and its bound under steady writes), a failing run
 * (refused by a trigger on analytics_state) that keeps the previous results, is logged
 * and retried with back-off, bad input, and two processes on one database: one leads,
 * both serve the same results, and when the leader is killed (-9) the other takes over.
 *
 * Times printed on stderr ("measured: ...") are the figures the README quotes. */
#include "badinput.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static harness_env *env;

/* Time limits: valgrind slows everything down by an order of magnitude. */
static int limit_ms(int ms)
{
  return harness_under_wrapper() ? ms * 10 : ms;
}

/* A harness_env for another server on a database: the keys are made once per db. */
static harness_env *env_on(harness_db *db, harness_server *srv, const harness_env *keys)
{
  harness_env *e = harness_own(calloc(1, sizeof *e), free);
  e->db = db;
  e->srv = srv;
  e->key_read = keys ? keys->key_read : harness_key_create(db, "read", "worker-read");
  e->key_write = keys ? keys->key_write : harness_key_create(db, "write", "worker-write");
  e->key_admin = keys ? keys->key_admin : harness_key_create(db, "admin", "worker-admin");
  return e;
}

static harness_response *status_of(const harness_env *e)
{
  harness_response *r = harness_call(e, "read", "GET", "/v1/analytics/status", NULL, NULL);
  harness_assert_status(r, 200);
  return r;
}

static harness_response *recompute_on(const harness_env *e)
{
  return harness_call(e, "admin", "POST", "/v1/analytics/recompute", NULL, NULL);
}

/* POST /v1/customers; returns the data version the write produced. */
static long long write_on(const harness_env *e)
{
  harness_response *r = harness_call(e, "write", "POST", "/v1/customers", NULL,
                                     harness_fmt("{\"name\":\"%s\"}", harness_tag("worker")));
  harness_assert_status(r, 201);
  const char *v = harness_header(r, "X-Ltvd-Data-Version");
  ck_assert_msg(v != NULL, "%s: no X-Ltvd-Data-Version", r->what);
  return strtoll(v, NULL, 10);
}

/* computed_version, -1 for null. */
static long long computed(const harness_response *r)
{
  json_t *c = json_object_get(r->json, "computed_version");
  return json_is_integer(c) ? json_integer_value(c) : -1;
}

/* Asserts the shape of SPEC section 8 and its internal consistency. */
static void assert_status_shape(const harness_response *r)
{
  json_t *j = r->json, *runs = json_object_get(j, "runs"), *run;
  size_t i;
  ck_assert_msg(json_is_object(j) && json_object_size(j) == 4, "%s: %s", r->what, r->body);
  ck_assert_msg(json_is_integer(json_object_get(j, "data_version")), "%s", r->body);
  json_t *c = json_object_get(j, "computed_version");
  ck_assert_msg(json_is_integer(c) || json_is_null(c), "%s", r->body);
  ck_assert_msg(json_is_boolean(json_object_get(j, "stale")), "%s", r->body);
  bool stale = json_is_null(c) ||
               json_integer_value(c) < json_integer_value(json_object_get(j, "data_version"));
  ck_assert_msg(json_is_true(json_object_get(j, "stale")) == stale, "stale wrong: %s", r->body);
  ck_assert_msg(json_is_array(runs) && json_array_size(runs) <= 10, "%s", r->body);
  const char *newer = NULL;
  json_array_foreach(runs, i, run)
  {
    ck_assert_msg(json_object_size(run) == 5, "a run has other members: %s", r->body);
    const char *started = json_string_value(json_object_get(run, "started_at"));
    const char *status = json_string_value(json_object_get(run, "status"));
    json_t *finished = json_object_get(run, "finished_at");
    json_t *duration = json_object_get(run, "duration_ms");
    harness_assert_timestamp("started_at", started);
    ck_assert_msg(status && (strcmp(status, "running") == 0 || strcmp(status, "ok") == 0 ||
                             strcmp(status, "failed") == 0 || strcmp(status, "skipped") == 0),
                  "run status: %s", r->body);
    if (strcmp(status, "running") == 0) {
      ck_assert(json_is_null(finished) && json_is_null(duration));
    } else {
      harness_assert_timestamp("finished_at", json_string_value(finished));
      ck_assert_msg(strcmp(json_string_value(finished), started) >= 0, "%s", r->body);
      ck_assert_msg(json_is_number(duration) && json_number_value(duration) >= 0, "%s", r->body);
      ck_assert_msg(json_is_integer(json_object_get(run, "data_version")), "%s", r->body);
    }
    if (newer)
      ck_assert_msg(strcmp(started, newer) <= 0, "runs are not newest first: %s", r->body);
    newer = started;
  }
}

static const char *run_status(const harness_response *r, size_t i)
{
  return json_string_value(
      json_object_get(json_array_get(json_object_get(r->json, "runs"), i), "status"));
}

/* Polls e's status until computed_version >= v; returns the milliseconds it took, or -1
 * after within_ms. */
static long long wait_computed(const harness_env *e, long long v, int within_ms)
{
  long long start = harness_now_ms();
  for (;;) {
    harness_response *r = status_of(e);
    long long c = computed(r);
    harness_response_free(r);
    if (c >= v)
      return harness_now_ms() - start;
    if (harness_now_ms() - start > within_ms)
      return -1;
    harness_sleep_ms(10);
  }
}

static const char *refuse_publishing =
    "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN RAISE EXCEPTION 'test refuses to publish'; END$$; "
    "CREATE TRIGGER test_refuse BEFORE UPDATE ON analytics_state "
    "FOR EACH ROW EXECUTE FUNCTION test_refuse()";
static const char *allow_publishing = "DROP TRIGGER test_refuse ON analytics_state";

/* The whole log of a server, freed by harness_free_all. */
static const char *server_log(const harness_server *s)
{
  FILE *f = fopen(harness_server_log(s), "r");
  ck_assert(f != NULL);
  char *text = harness_repeat('\0', 4 << 20);
  size_t n = fread(text, 1, (4 << 20) - 1, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

/* Before any run, and ltvd recompute ------------------------------------------------------ */

START_TEST(test_status_before_any_run_and_ltvd_recompute)
{
  static const char *const off[] = {"LTVD_WORKER=off", NULL};
  harness_db *db = harness_db_create();
  harness_env *e = env_on(db, harness_server_start(db, off), NULL);
  long long version = harness_sql_int(db, "SELECT version FROM data_version");

  harness_response *r = status_of(e);
  assert_status_shape(r);
  ck_assert_int_eq(harness_json_int(r, "data_version"), version);
  ck_assert(json_is_null(json_object_get(r->json, "computed_version")));
  ck_assert(json_is_true(json_object_get(r->json, "stale")));
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "runs")), 0);

  /* no process runs a worker: recompute gives up quickly and says why */
  long long t0 = harness_now_ms();
  r = recompute_on(e);
  long long took = harness_now_ms() - t0;
  harness_assert_problem(r, 503, NULL);
  ck_assert_msg(strstr(harness_json_str(r, "detail"), "LTVD_WORKER") != NULL, "%s", r->body);
  ck_assert_msg(took >= 4500 && took <= limit_ms(8000), "recompute gave up after %lld ms", took);
  ck_assert_int_eq(harness_sql_int(db, "SELECT count(*) FROM analytics_runs"), 0);

  /* ltvd recompute: one run, reported */
  char *out;
  int ws = harness_ltvd(db, (const char *const[]){"recompute", NULL}, &out, 120);
  ck_assert_msg(ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "ltvd recompute: %d %s", ws,
                out);
  json_t *rep = harness_own_json(json_loads(out, 0, NULL));
  ck_assert_msg(json_is_object(rep) && json_object_size(rep) == 7, "ltvd recompute printed %s",
                out);
  ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "published");
  ck_assert_int_eq(json_integer_value(json_object_get(rep, "data_version")), version);
  double parts = 0;
  static const char *const times[] = {"load_ms", "compute_ms", "publish_ms"};
  for (int i = 0; i < 3; i++) {
    ck_assert_msg(json_is_number(json_object_get(rep, times[i])), "%s", out);
    ck_assert(json_number_value(json_object_get(rep, times[i])) >= 0);
    parts += json_number_value(json_object_get(rep, times[i]));
  }
  double total = json_number_value(json_object_get(rep, "total_ms"));
  ck_assert_msg(total >= parts - 0.01 && total > 0, "%s", out);
  ck_assert_int_gt(json_integer_value(json_object_get(rep, "peak_rss_kb")), 1000);

  r = status_of(e);
  assert_status_shape(r);
  ck_assert_int_eq(computed(r), version);
  ck_assert(json_is_false(json_object_get(r->json, "stale")));
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "runs")), 1);
  ck_assert_str_eq(run_status(r, 0), "ok");
  json_t *run = json_array_get(json_object_get(r->json, "runs"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(run, "data_version")), version);
  ck_assert_msg(json_number_value(json_object_get(run, "duration_ms")) >= total - 0.01,
                "duration_ms %g, total_ms %g",
                json_number_value(json_object_get(run, "duration_ms")), total);
  /* recorded by the command's process, not the server's */
  ck_assert_int_eq(
      harness_sql_int(db, harness_fmt("SELECT count(*) FROM analytics_runs WHERE host LIKE '%%:%%' "
                                      "AND host NOT LIKE '%%:%ld'",
                                      (long)harness_server_pid(e->srv))),
      1);

  /* with the worker off, a write is not computed */
  long long v = write_on(e);
  harness_sleep_ms(1000);
  r = status_of(e);
  ck_assert_int_eq(harness_json_int(r, "data_version"), v);
  ck_assert_int_eq(computed(r), version);
  ck_assert(json_is_true(json_object_get(r->json, "stale")));

  /* a failing run: exit 1, the error reported, nothing published */
  harness_sql_exec(db, refuse_publishing);
  ws = harness_ltvd(db, (const char *const[]){"recompute", NULL}, &out, 120);
  ck_assert_msg(ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 1, "ltvd recompute: %d %s", ws,
                out);
  rep = harness_own_json(json_loads(out, 0, NULL));
  ck_assert_msg(json_is_object(rep), "%s", out);
  ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "failed");
  ck_assert_int_eq(json_integer_value(json_object_get(rep, "data_version")), v);
  ck_assert_msg(strstr(json_string_value(json_object_get(rep, "error")), "test refuses") != NULL,
                "%s", out);
  r = status_of(e);
  ck_assert_int_eq(computed(r), version);
  ck_assert_str_eq(run_status(r, 0), "failed");
  ck_assert_str_eq(run_status(r, 1), "ok");

  /* usage */
  ws = harness_ltvd(db, (const char *const[]){"recompute", "--help", NULL}, &out, 30);
  ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && strstr(out, "usage: ltvd recompute"));
  ws = harness_ltvd(db, (const char *const[]){"recompute", "now", NULL}, &out, 30);
  ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 2);

  harness_server_stop_ok(e->srv);
  harness_db_drop(db);
}
END_TEST

/* Recompute and the debounce ------------------------------------------------------------ */

START_TEST(test_recompute_covers_a_write_made_just_before)
{
  long long runs_before =
      harness_sql_int(env->db, "SELECT coalesce(max(id), 0) FROM analytics_runs");
  long long v = write_on(env);
  long long t0 = harness_now_ms();
  harness_response *r = recompute_on(env);
  long long took = harness_now_ms() - t0;
  harness_assert_status(r, 200);
  assert_status_shape(r);
  fprintf(stderr, "measured: recompute after a write answered in %lld ms\n", took);
  ck_assert_int_ge(computed(r), v);
  ck_assert_int_ge(harness_json_int(r, "data_version"), v);
  ck_assert(json_is_false(json_object_get(r->json, "stale")));
  /* a run that began after the request finished, and the status shows it */
  ck_assert_int_ge(
      harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM analytics_runs WHERE id > %lld "
                                           "AND status IN ('ok', 'skipped')",
                                           runs_before)),
      1);
  ck_assert_msg(strcmp(run_status(r, 0), "running") != 0, "%s", r->body);
  /* what GET says agrees */
  harness_response *s = status_of(env);
  assert_status_shape(s);
  ck_assert_int_ge(computed(s), computed(r));
}
END_TEST

START_TEST(test_a_write_is_computed_without_recompute)
{
  /* let any run of earlier writes end, then time one write alone */
  ck_assert_int_ge(wait_computed(env, write_on(env), limit_ms(10000)), 0);
  harness_sleep_ms(300);
  long long v = write_on(env);
  long long took = wait_computed(env, v, limit_ms(5000));
  ck_assert_msg(took >= 0, "version %lld was not computed within %d ms", v, limit_ms(5000));
  fprintf(stderr, "measured: a single write computed after %lld ms\n", took);
  ck_assert_msg(took >= 150, "computed after %lld ms: the 200 ms debounce did not wait", took);
}
END_TEST

START_TEST(test_steady_writes_do_not_starve_the_worker)
{
  /* a write every 50 ms never leaves the 200 ms pause the debounce waits for: only its
   * 2 s bound gets the first of them computed while they go on */
  ck_assert_int_ge(wait_computed(env, write_on(env), limit_ms(10000)), 0);
  long long t0 = harness_now_ms(), first = write_on(env), caught = -1;
  int stream_ms = limit_ms(5000), writes = 1;
  while (harness_now_ms() - t0 < stream_ms) {
    harness_sleep_ms(50);
    write_on(env);
    writes++;
    if (caught < 0) {
      harness_response *r = status_of(env);
      if (computed(r) >= first)
        caught = harness_now_ms() - t0;
      harness_response_free(r);
    }
  }
  fprintf(stderr,
          "measured: under a write every 50 ms (%d writes), the first was computed "
          "after %lld ms\n",
          writes, caught);
  ck_assert_msg(caught >= 0, "steady writes starved the worker for %d ms", stream_ms);
  ck_assert_msg(caught <= limit_ms(4000), "the first write took %lld ms to be computed", caught);
}
END_TEST

START_TEST(test_a_change_without_notification_is_computed_within_30_s)
{
  /* a change whose NOTIFY never arrived (e.g. sent while no process led) */
  ck_assert_int_ge(wait_computed(env, write_on(env), limit_ms(10000)), 0);
  long long v = harness_sql_int(env->db, "UPDATE data_version SET version = version + 1 "
                                         "RETURNING version");
  long long took = wait_computed(env, v, 31000 + limit_ms(3000));
  ck_assert_msg(took >= 0, "version %lld (no NOTIFY) was not computed within 30 s", v);
  fprintf(stderr, "measured: a change without NOTIFY computed after %lld ms\n", took);
}
END_TEST

/* A failing run ------------------------------------------------------------------------ */

START_TEST(test_a_failing_run_keeps_the_results_and_is_retried_with_back_off)
{
  harness_db *db = harness_db_create();
  harness_env *e = env_on(db, harness_server_start(db, NULL), NULL);
  harness_response *r = recompute_on(e);
  harness_assert_status(r, 200);
  long long before = computed(r);
  ck_assert_int_ge(before, 0);
  const char *tiers = harness_call(e, "read", "GET", "/v1/analytics/tiers", NULL, NULL)->body;
  long long last_run = harness_sql_int(db, "SELECT max(id) FROM analytics_runs");

  harness_sql_exec(db, refuse_publishing);
  long long v = write_on(e);
  /* failures at about 0, 1, 3 and 7 s: wait for four */
  long long t0 = harness_now_ms();
  const char *failed = harness_fmt("SELECT count(*) FROM analytics_runs WHERE id > %lld AND "
                                   "status = 'failed'",
                                   last_run);
  while (harness_sql_int(db, failed) < 4 && harness_now_ms() - t0 < limit_ms(15000))
    harness_sleep_ms(50);
  ck_assert_int_eq(harness_sql_int(db, failed), 4);
  char *gaps = harness_sql_value(
      db, harness_fmt("SELECT string_agg(round(gap::numeric, 2)::text, ' ' ORDER BY id) FROM "
                      "(SELECT id, extract(epoch FROM started_at - lag(started_at) OVER "
                      "(ORDER BY id)) AS gap FROM analytics_runs WHERE id > %lld) g "
                      "WHERE gap IS NOT NULL",
                      last_run));
  fprintf(stderr, "measured: seconds between failed runs: %s\n", gaps);
  double g1, g2, g3;
  ck_assert_msg(sscanf(gaps, "%lf %lf %lf", &g1, &g2, &g3) == 3, "gaps: %s", gaps);
  ck_assert_msg(g1 >= 0.9 && g2 >= 1.9 && g3 >= 3.9, "no back-off of 1, 2, 4 s: %s", gaps);
  ck_assert_msg(g3 <= (harness_under_wrapper() ? 12 : 6), "back-off too long: %s", gaps);

  /* the previous results stay served */
  r = status_of(e);
  assert_status_shape(r);
  ck_assert_int_eq(computed(r), before);
  ck_assert_int_eq(harness_json_int(r, "data_version"), v);
  ck_assert(json_is_true(json_object_get(r->json, "stale")));
  ck_assert_str_eq(harness_call(e, "read", "GET", "/v1/analytics/tiers", NULL, NULL)->body, tiers);
  /* logged with its error */
  const char *log = server_log(e->srv);
  ck_assert_msg(strstr(log, "\"analytics run failed after ") &&
                    strstr(log, "test refuses to publish"),
                "the failure is not logged with its error");

  /* a recompute runs at once despite the back-off, and reports the failure (no SQL) */
  t0 = harness_now_ms();
  r = recompute_on(e);
  harness_assert_problem(r, 503, NULL);
  ck_assert_msg(harness_now_ms() - t0 < limit_ms(3000), "recompute waited out the back-off");
  ck_assert_msg(strstr(r->body, "refuses") == NULL && strstr(r->body, "analytics_state") == NULL,
                "the problem leaks the error: %s", r->body);
  ck_assert_str_eq(run_status(status_of(e), 0), "failed");

  /* once publishing works again, the results catch up */
  harness_sql_exec(db, allow_publishing);
  r = recompute_on(e);
  harness_assert_status(r, 200);
  ck_assert_int_ge(computed(r), v);
  ck_assert_str_eq(run_status(r, 0), "ok");

  harness_server_stop_ok(e->srv);
  harness_db_drop(db);
}
END_TEST

/* Bad input ------------------------------------------------------------------------------ */

static const char *body_2mb(void)
{
  return bad_body_2mb("x");
}

static const struct bad_case bad_cases[] = {
    {.name = "recompute with a body",
     .method = "POST",
     .path = "/v1/analytics/recompute",
     .scope = "admin",
     .body = "{}",
     .status = 400},
    {.name = "recompute with a text body",
     .method = "POST",
     .path = "/v1/analytics/recompute",
     .scope = "admin",
     .header = "Content-Type: text/plain",
     .body = "now",
     .status = 400},
    {.name = "recompute with a query",
     .method = "POST",
     .path = "/v1/analytics/recompute?wait=0",
     .scope = "admin",
     .status = 400,
     .field = "wait"},
    {.name = "recompute with a read key",
     .method = "POST",
     .path = "/v1/analytics/recompute",
     .scope = "read",
     .status = 403},
    {.name = "recompute with a write key",
     .method = "POST",
     .path = "/v1/analytics/recompute",
     .scope = "write",
     .status = 403},
    {.name = "recompute without a key",
     .method = "POST",
     .path = "/v1/analytics/recompute",
     .status = 401},
    {.name = "recompute of 2 MiB",
     .method = "POST",
     .path = "/v1/analytics/recompute",
     .scope = "admin",
     .make_body = body_2mb,
     .status = 413},
    {.name = "recompute by GET",
     .method = "GET",
     .path = "/v1/analytics/recompute",
     .scope = "admin",
     .status = 405},
    {.name = "status with an unknown parameter",
     .method = "GET",
     .path = "/v1/analytics/status?limit=5",
     .scope = "read",
     .status = 400,
     .field = "limit"},
    {.name = "status with SQL",
     .method = "GET",
     .path = "/v1/analytics/status?x=%27%3B%20DROP%20TABLE%20analytics_runs%3B--",
     .scope = "read",
     .status = 400,
     .field = "x"},
    {.name = "status without a key",
     .method = "GET",
     .path = "/v1/analytics/status",
     .status = 401},
    {.name = "status by POST",
     .method = "POST",
     .path = "/v1/analytics/status",
     .scope = "admin",
     .status = 405},
};

START_TEST(test_bad_input)
{
  bad_case_check(env, &bad_cases[_i], NULL, NULL);
}
END_TEST

/* Two processes on one database ------------------------------------------------------------ */

static const char *host_of(const harness_server *s)
{
  return harness_fmt("%%:%ld", (long)harness_server_pid(s));
}

START_TEST(test_one_of_two_processes_leads_and_the_other_takes_over)
{
  harness_db *db = harness_db_create();
  harness_server *sa = harness_server_start(db, NULL);
  harness_env *a = env_on(db, sa, NULL);
  /* A leads: its first run is recorded */
  const char *by_a =
      harness_fmt("SELECT count(*) FROM analytics_runs WHERE host LIKE '%s'", host_of(sa));
  long long t0 = harness_now_ms();
  while (harness_sql_int(db, by_a) == 0 && harness_now_ms() - t0 < limit_ms(10000))
    harness_sleep_ms(20);
  ck_assert_int_ge(harness_sql_int(db, by_a), 1);
  /* the leader's lock is not the migrations' lock */
  char *out;
  int ws = harness_ltvd(db, (const char *const[]){"migrate", NULL}, &out, 30);
  ck_assert_msg(ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
                "ltvd migrate beside a leading worker: wait status %d", ws);
  harness_server *sb = harness_server_start(db, NULL);
  harness_env *b = env_on(db, sb, a);

  long long v = 0;
  for (int i = 0; i < 6; i++) {
    v = write_on(i % 2 ? b : a);
    harness_sleep_ms(300);
  }
  harness_response *r = recompute_on(b);
  harness_assert_status(r, 200);
  ck_assert_int_ge(computed(r), v);
  ck_assert_int_ge(harness_sql_int(db, "SELECT count(*) FROM analytics_runs"), 3);
  ck_assert_int_eq(harness_sql_int(db, "SELECT count(DISTINCT host) FROM analytics_runs"), 1);
  ck_assert_int_eq(
      harness_sql_int(db, "SELECT count(*) FROM analytics_runs") - harness_sql_int(db, by_a), 0);
  harness_response *sa_status = status_of(a), *sb_status = status_of(b);
  ck_assert_int_eq(computed(sa_status), computed(sb_status));
  ck_assert_int_eq(computed(sa_status), v);
  ck_assert_int_eq(harness_json_int(sa_status, "data_version"),
                   harness_json_int(sb_status, "data_version"));

  /* kill -9 the leader: B takes over */
  harness_server_kill(sa);
  long long killed = harness_now_ms();
  long long last_run = harness_sql_int(db, "SELECT max(id) FROM analytics_runs");
  v = write_on(b);
  long long took = wait_computed(b, v, limit_ms(10000));
  ck_assert_msg(took >= 0, "no process computed version %lld within %d ms of the kill", v,
                limit_ms(10000));
  fprintf(stderr,
          "measured: after kill -9 of the leader, a write was computed by the other "
          "process %lld ms after the kill\n",
          harness_now_ms() - killed);
  const char *by_b = harness_fmt("SELECT count(*) FROM analytics_runs WHERE id > %lld AND host "
                                 "LIKE '%s'",
                                 last_run, host_of(sb));
  ck_assert_int_ge(harness_sql_int(db, by_b), 1);
  ck_assert_int_eq(harness_sql_int(db, harness_fmt("SELECT count(*) FROM analytics_runs WHERE id > "
                                                   "%lld",
                                                   last_run)),
                   harness_sql_int(db, by_b));
  harness_server_stop_ok(sb);
  harness_db_drop(db);
}
END_TEST

static Suite *worker_suite(void)
{
  Suite *s = suite_create("worker");
  TCase *tc = harness_tcase("status");
  tcase_add_test(tc, test_status_before_any_run_and_ltvd_recompute);
  tcase_add_test(tc, test_recompute_covers_a_write_made_just_before);
  tcase_add_loop_test(tc, test_bad_input, 0, sizeof bad_cases / sizeof *bad_cases);
  suite_add_tcase(s, tc);
  tc = harness_tcase("debounce");
  tcase_add_test(tc, test_a_write_is_computed_without_recompute);
  tcase_add_test(tc, test_steady_writes_do_not_starve_the_worker);
  tcase_add_test(tc, test_a_change_without_notification_is_computed_within_30_s);
  suite_add_tcase(s, tc);
  tc = harness_tcase("failure");
  tcase_add_test(tc, test_a_failing_run_keeps_the_results_and_is_retried_with_back_off);
  suite_add_tcase(s, tc);
  tc = harness_tcase("leadership");
  tcase_add_test(tc, test_one_of_two_processes_leads_and_the_other_takes_over);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  return harness_run(worker_suite(), env);
}
