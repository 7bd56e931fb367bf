/* Alerts and outbound webhooks over HTTP (issue 6, SPEC 4.9 and section 6): the alert
 * log and its filters, webhook subscriptions (admin, the secret shown once), and the
 * sender against a real HTTP receiver on 127.0.0.1 (receiver.c) that fails, goes away,
 * comes back, answers slowly or asks for a later retry. Alerts are inserted with SQL, as
 * the analytics worker does inside its publish transaction.
 *
 * Each delivery test runs its own database and ltvd (with short retry delays), so that
 * no other test's subscriptions or alerts mix into what it counts. */
#include "harness.h"
#include "receiver.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static harness_env *env;

/* ltvd for the delivery tests: retries from 0.2 s, a minute's window, 2 s per request */
static const char *const fast_retries[] = {"LTVD_WEBHOOK_BASE_DELAY=0.2", "LTVD_WEBHOOK_GIVE_UP=60",
                                           "LTVD_WEBHOOK_TIMEOUT=2", NULL};

/* Waits up to ms for cond, polling every 20 ms; fails the test with the message if not. */
#define WAIT_UNTIL(cond, ms, ...)                                                                  \
  do {                                                                                             \
    long long until_ = harness_now_ms() + (ms);                                                    \
    while (!(cond) && harness_now_ms() < until_)                                                   \
      harness_sleep_ms(20);                                                                        \
    ck_assert_msg((cond), __VA_ARGS__);                                                            \
  } while (0)

/* Helpers ------------------------------------------------------------------------------ */

/* Upper bounds on times stretch under valgrind, which slows ltvd tenfold or more. */
static int slack(void)
{
  return harness_under_wrapper() ? 10 : 1;
}

static harness_response *as(harness_env *e, const char *scope, const char *method, const char *path,
                            const char *body)
{
  return harness_call(e, scope, method, path, NULL, body);
}

struct sub {
  long long id;
  const char *secret;
};

static struct sub subscribe(harness_env *e, const char *url, const char *events)
{
  harness_response *r = as(e, "admin", "POST", "/v1/webhook-subscriptions",
                           events ? harness_fmt("{\"url\":\"%s\",\"events\":%s}", url, events)
                                  : harness_fmt("{\"url\":\"%s\"}", url));
  harness_assert_status(r, 201);
  struct sub s = {harness_json_int(r, "id"), harness_json_str(r, "secret")};
  ck_assert_msg(s.secret && strlen(s.secret) == 64, "no secret in %s", r->body);
  return s;
}

/* Inserts n alerts of type with data (JSON text) in one statement, as the worker does;
 * returns the last id (the others precede it). */
static long long insert_alerts(harness_db *db, int n, const char *type, const char *data)
{
  return harness_sql_int(
      db, harness_fmt("WITH i AS (INSERT INTO alerts (type, customer_id, data) SELECT '%s', g, "
                      "'%s'::jsonb FROM generate_series(1, %d) g RETURNING id) SELECT max(id) "
                      "FROM i",
                      type, data, n));
}

static long long deliveries_in(harness_db *db, const char *state)
{
  return harness_sql_int(
      db, harness_fmt("SELECT count(*) FROM webhook_deliveries WHERE state = '%s'", state));
}

/* The deliveries of a subscription as the API lists them (one page of 1000). */
static json_t *deliveries_of(harness_env *e, long long sub)
{
  harness_response *r =
      as(e, "admin", "GET",
         harness_fmt("/v1/webhook-subscriptions/%lld/deliveries?limit=1000", sub), NULL);
  harness_assert_status(r, 200);
  return json_object_get(r->json, "results");
}

static json_t *delivery_of_alert(harness_env *e, long long sub, long long alert)
{
  size_t i;
  json_t *d;
  json_array_foreach(deliveries_of(e, sub), i, d)
  {
    if (json_integer_value(json_object_get(d, "alert_id")) == alert)
      return d;
  }
  ck_abort_msg("no delivery of alert %lld to subscription %lld", alert, sub);
  return NULL;
}

static const char *str(json_t *o, const char *k)
{
  return json_string_value(json_object_get(o, k));
}

/* Every receipt verifies: signature, body, Content-Type, event id = body id. */
static void assert_receipts_valid(struct receiver *rv)
{
  for (int i = 0; i < receiver_count(rv); i++) {
    struct receipt r = receiver_get(rv, i);
    ck_assert_msg(r.signature_ok, "request %d (event %lld) has no valid signature", i, r.event_id);
    ck_assert_msg(r.body_ok, "request %d (event %lld) has a wrong body", i, r.event_id);
    ck_assert_msg(r.json_type, "request %d is not application/json", i);
    ck_assert_msg(r.event_id > 0 && r.event_id == r.body_id,
                  "request %d: X-Ltvd-Event-Id %lld, body id %lld", i, r.event_id, r.body_id);
  }
}

/* Subscriptions --------------------------------------------------------------------------- */

START_TEST(test_subscription_lifecycle_shows_the_secret_once)
{
  harness_response *r = as(env, "admin", "POST", "/v1/webhook-subscriptions",
                           "{\"url\":\"http://127.0.0.1:1/hook\",\"events\":[\"churned\","
                           "\"tier_changed\"]}");
  harness_assert_status(r, 201);
  long long id = harness_json_int(r, "id");
  const char *secret = harness_json_str(r, "secret");
  ck_assert_pstr_eq(harness_header(r, "Location"),
                    harness_fmt("/v1/webhook-subscriptions/%lld", id));
  ck_assert_pstr_eq(harness_header(r, "Cache-Control"), "no-store");
  ck_assert_pstr_eq(harness_header(r, "ETag"), "\"1\"");
  ck_assert_msg(harness_header(r, "X-Ltvd-Data-Version") == NULL, "subscriptions are not data");
  ck_assert_int_eq(strlen(secret), 64);
  ck_assert_int_eq(strspn(secret, "0123456789abcdef"), 64);
  ck_assert_pstr_eq(harness_json_str(r, "url"), "http://127.0.0.1:1/hook");
  ck_assert_str_eq(harness_dump(json_incref(json_object_get(r->json, "events"))),
                   "[\"churned\",\"tier_changed\"]");
  ck_assert(json_is_true(json_object_get(r->json, "active")));
  ck_assert_int_eq(harness_json_int(r, "version"), 1);
  harness_assert_timestamp("created_at", harness_json_str(r, "created_at"));
  harness_assert_timestamp("updated_at", harness_json_str(r, "updated_at"));
  ck_assert_int_eq(json_object_size(r->json), 8);
  const char *item = harness_fmt("/v1/webhook-subscriptions/%lld", id);

  harness_response *g = as(env, "admin", "GET", item, NULL);
  harness_assert_status(g, 200);
  ck_assert_msg(strstr(g->body, secret) == NULL && !json_object_get(g->json, "secret"),
                "GET shows the secret: %s", g->body);
  ck_assert_int_eq(json_object_size(g->json), 7);
  ck_assert_pstr_eq(harness_header(g, "ETag"), "\"1\"");
  harness_response *l = as(env, "admin", "GET", "/v1/webhook-subscriptions?limit=1000", NULL);
  harness_assert_status(l, 200);
  ck_assert_msg(strstr(l->body, item + strlen("/v1/webhook-subscriptions/")) &&
                    strstr(l->body, secret) == NULL,
                "the list must show the subscription and not its secret: %s", l->body);
  /* stored as generated, so that the sender can sign with it */
  ck_assert_str_eq(harness_sql_value(env->db, harness_fmt("SELECT secret FROM "
                                                          "webhook_subscriptions WHERE id = %lld",
                                                          id)),
                   secret);

  /* merge patch: url, events (null: every type), active; versions and ETags */
  harness_response *p = as(env, "admin", "PATCH", item,
                           "{\"url\":\"https://127.0.0.1:1/other\",\"events\":null,"
                           "\"active\":false}");
  harness_assert_status(p, 200);
  ck_assert_pstr_eq(harness_json_str(p, "url"), "https://127.0.0.1:1/other");
  ck_assert_int_eq(json_array_size(json_object_get(p->json, "events")), 0);
  ck_assert(json_is_false(json_object_get(p->json, "active")));
  ck_assert_int_eq(harness_json_int(p, "version"), 2);
  ck_assert_pstr_eq(harness_header(p, "ETag"), "\"2\"");
  ck_assert_msg(!json_object_get(p->json, "secret"), "PATCH shows the secret");
  const char *h_old[] = {"If-Match: \"1\"", NULL};
  harness_assert_problem(harness_call(env, "admin", "PATCH", item, h_old, "{\"active\":true}"), 412,
                         NULL);
  harness_assert_problem(as(env, "admin", "PATCH", item, "{\"active\":true,\"version\":1}"), 412,
                         NULL);
  const char *h_now[] = {"If-Match: \"2\"", NULL};
  p = harness_call(env, "admin", "PATCH", item, h_now, "{\"events\":[\"renewal_due\"]}");
  harness_assert_status(p, 200);
  ck_assert_str_eq(harness_dump(json_incref(json_object_get(p->json, "events"))),
                   "[\"renewal_due\"]");
  ck_assert(json_is_false(json_object_get(p->json, "active")));
  ck_assert_pstr_eq(harness_json_str(p, "url"), "https://127.0.0.1:1/other");
  ck_assert_int_eq(harness_json_int(p, "version"), 3);

  harness_assert_problem(harness_call(env, "admin", "DELETE", item, h_now, NULL), 412, NULL);
  harness_response *d = as(env, "admin", "DELETE", item, NULL);
  harness_assert_status(d, 204);
  harness_assert_problem(as(env, "admin", "GET", item, NULL), 404, NULL);
  harness_assert_problem(as(env, "admin", "DELETE", item, NULL), 404, NULL);
  harness_assert_problem(as(env, "admin", "PATCH", item, "{}"), 404, NULL);
  /* a replay would have to keep the secret: Idempotency-Key is refused */
  long long count = harness_sql_int(env->db, "SELECT count(*) FROM webhook_subscriptions");
  const char *idem[] = {"Idempotency-Key: sub-1", NULL};
  harness_assert_problem(harness_call(env, "admin", "POST", "/v1/webhook-subscriptions", idem,
                                      "{\"url\":\"http://127.0.0.1:1/idem\"}"),
                         422, "Idempotency-Key");
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM webhook_subscriptions"), count);
  /* another subscription, another secret */
  ck_assert_str_ne(subscribe(env, "http://127.0.0.1:1/x", NULL).secret, secret);
}
END_TEST

START_TEST(test_subscriptions_page_by_id)
{
  long long ids[3];
  for (int i = 0; i < 3; i++)
    ids[i] = subscribe(env, "http://127.0.0.1:1/page", "[\"churned\"]").id;
  const char *after = NULL;
  long long last = 0;
  int seen = 0, pages = 0;
  do {
    harness_response *r =
        as(env, "admin", "GET",
           harness_fmt("/v1/webhook-subscriptions?limit=2%s%s", after ? "&after=" : "",
                       after ? harness_urlenc(after) : ""),
           NULL);
    harness_assert_status(r, 200);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r->json, "results"), i, s)
    {
      long long id = json_integer_value(json_object_get(s, "id"));
      ck_assert_int_gt(id, last);
      last = id;
      for (int k = 0; k < 3; k++)
        seen += id == ids[k];
    }
    json_t *next = json_object_get(json_object_get(r->json, "paging"), "next");
    after = next ? harness_fmt("%s", str(next, "after")) : NULL;
    ck_assert_int_lt(++pages, 100);
  } while (after);
  ck_assert_int_eq(seen, 3);
}
END_TEST

START_TEST(test_only_admin_keys_reach_subscriptions)
{
  long long id = subscribe(env, "http://127.0.0.1:1/adm", "[]").id;
  const char *item = harness_fmt("/v1/webhook-subscriptions/%lld", id);
  struct {
    const char *method, *path, *body;
  } ops[] = {{"GET", "/v1/webhook-subscriptions", NULL},
             {"POST", "/v1/webhook-subscriptions", "{\"url\":\"http://127.0.0.1:1/\"}"},
             {"GET", item, NULL},
             {"PATCH", item, "{\"active\":false}"},
             {"DELETE", item, NULL},
             {"GET", harness_fmt("%s/deliveries", item), NULL},
             {"POST", "/v1/webhook-deliveries/1/retry", NULL}};
  const char *before = harness_db_digest(env->db);
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    harness_assert_problem(as(env, "write", ops[i].method, ops[i].path, ops[i].body), 403, NULL);
    harness_assert_problem(as(env, "read", ops[i].method, ops[i].path, ops[i].body), 403, NULL);
    harness_assert_problem(as(env, NULL, ops[i].method, ops[i].path, ops[i].body), 401, NULL);
  }
  ck_assert_str_eq(harness_db_digest(env->db), before);
  /* the alert log is for every key */
  harness_assert_status(as(env, "read", "GET", "/v1/alerts", NULL), 200);
  harness_assert_problem(as(env, NULL, "GET", "/v1/alerts", NULL), 401, NULL);
}
END_TEST

/* The alert log ------------------------------------------------------------------------- */

static json_t *alerts_page(const char *query)
{
  harness_response *r = as(env, "read", "GET", harness_fmt("/v1/alerts%s", query), NULL);
  harness_assert_status(r, 200);
  return r->json;
}

START_TEST(test_alert_log_filters_and_after)
{
  long long start = harness_sql_int(env->db, "SELECT coalesce(max(id), 0) FROM alerts");
  harness_sql_exec(env->db,
                   "INSERT INTO alerts (type, customer_id, data) VALUES "
                   "('tier_changed', 41, '{\"from\":\"silver\",\"to\":\"gold\"}'), "
                   "('churned', 42, '{}'), "
                   "('renewal_due', 41, '{\"deal_id\":7,\"contract_end_date\":\"2027-01-31\"}'), "
                   "('opportunity_new', NULL, '{\"opportunity_id\":\"u-1\"}'), "
                   "('tier_changed', 42, '{\"from\":null,\"to\":\"bronze\"}')");

  /* all five from start, two at a time: after is the last id seen, a plain integer */
  long long expect = start + 1;
  const char *after = harness_fmt("%lld", start);
  int pages = 0;
  while (after) {
    json_t *page = alerts_page(harness_fmt("?limit=2&after=%s", after));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(page, "results"), i, a)
    {
      ck_assert_int_eq(json_integer_value(json_object_get(a, "id")), expect);
      ck_assert_int_eq(json_object_size(a), 5);
      harness_assert_timestamp("created_at", str(a, "created_at"));
      ck_assert(json_is_object(json_object_get(a, "data")));
      expect++;
    }
    json_t *next = json_object_get(json_object_get(page, "paging"), "next");
    if (next)
      ck_assert_str_eq(str(next, "after"), harness_fmt("%lld", expect - 1));
    after = next ? harness_fmt("%s", str(next, "after")) : NULL;
    ck_assert_int_lt(++pages, 10);
  }
  ck_assert_int_eq(expect, start + 6);
  ck_assert_int_eq(pages, 3);

  json_t *first = json_array_get(
      json_object_get(alerts_page(harness_fmt("?after=%lld&limit=1", start)), "results"), 0);
  ck_assert_str_eq(harness_dump(json_incref(first)),
                   harness_fmt("{\"id\":%lld,\"type\":\"tier_changed\",\"customer_id\":41,"
                               "\"created_at\":\"%s\",\"data\":{\"to\":\"gold\",\"from\":"
                               "\"silver\"}}",
                               start + 1, str(first, "created_at")));
  json_t *opp = json_array_get(
      json_object_get(alerts_page(harness_fmt("?after=%lld&type=opportunity_new", start)),
                      "results"),
      0);
  ck_assert(json_is_null(json_object_get(opp, "customer_id")));

  /* filters, alone and together */
  json_t *r =
      json_object_get(alerts_page(harness_fmt("?after=%lld&type=tier_changed", start)), "results");
  ck_assert_int_eq(json_array_size(r), 2);
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 0), "id")), start + 1);
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 1), "id")), start + 5);
  r = json_object_get(alerts_page(harness_fmt("?after=%lld&customer_id=41", start)), "results");
  ck_assert_int_eq(json_array_size(r), 2);
  ck_assert_str_eq(str(json_array_get(r, 1), "type"), "renewal_due");
  r = json_object_get(
      alerts_page(harness_fmt("?after=%lld&customer_id=42&type=tier_changed", start)), "results");
  ck_assert_int_eq(json_array_size(r), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 0), "id")), start + 5);
  r = json_object_get(alerts_page(harness_fmt("?after=%lld&type=churned", start + 2)), "results");
  ck_assert_int_eq(json_array_size(r), 0);
  /* the end of the log: empty, no paging; after=0 is the beginning */
  json_t *end = alerts_page(harness_fmt("?after=%lld", start + 5));
  ck_assert_int_eq(json_array_size(json_object_get(end, "results")), 0);
  ck_assert_ptr_null(json_object_get(end, "paging"));
  ck_assert_int_eq(
      json_integer_value(json_object_get(
          json_array_get(json_object_get(alerts_page("?after=0&limit=1"), "results"), 0), "id")),
      harness_sql_int(env->db, "SELECT min(id) FROM alerts"));
}
END_TEST

START_TEST(test_alerts_are_append_only)
{
  long long id = insert_alerts(env->db, 1, "churned", "{}");
  PGconn *c = harness_db_connect(env->db);
  const char *sql[] = {"UPDATE alerts SET type = 'tier_changed' WHERE id = %lld",
                       "DELETE FROM alerts WHERE id = %lld"};
  for (int i = 0; i < 2; i++) {
    PGresult *res = PQexec(c, harness_fmt(sql[i], id));
    ck_assert_msg(PQresultStatus(res) == PGRES_FATAL_ERROR &&
                      strstr(PQresultErrorMessage(res), "append-only"),
                  "%s was allowed", sql[i]);
    PQclear(res);
  }
  PQfinish(c);
  ck_assert_str_eq(
      harness_sql_value(env->db, harness_fmt("SELECT type FROM alerts WHERE id = %lld", id)),
      "churned");
}
END_TEST

/* Delivery ---------------------------------------------------------------------------------- */

static bool all_received(struct receiver *rv, long long first, long long last, int status)
{
  for (long long id = first; id <= last; id++)
    if (receiver_count_event(rv, id, status) == 0)
      return false;
  return true;
}

START_TEST(test_every_event_arrives_through_failures_and_an_outage)
{
  harness_env *e = harness_env_up(fast_retries);
  struct receiver *rv = receiver_new(500);
  receiver_start(rv, 0);
  struct sub s = subscribe(e, receiver_url(rv, "/ltvd"), "[]");
  receiver_set_secret(rv, s.secret);
  long long last = insert_alerts(e->db, 5, "churned", "{\"from\":\"active\",\"to\":\"churned\"}");
  long long first = last - 4;

  /* every event is answered 500 at least once, then the receiver goes away */
  WAIT_UNTIL(all_received(rv, first, last, 500), 15000, "not every event was tried");
  receiver_stop(rv);
  int port = receiver_port(rv);
  WAIT_UNTIL(harness_sql_int(e->db, "SELECT count(DISTINCT delivery_id) FROM webhook_attempts "
                                    "WHERE status IS NULL AND error IS NOT NULL") == 5,
             15000, "not every delivery met the refused connection");
  ck_assert_int_eq(deliveries_in(e->db, "pending"), 5);

  /* it comes back and answers 200 */
  receiver_set_default(rv, 200, 0);
  receiver_start(rv, port);
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == 5, 30000, "%lld of 5 delivered",
             deliveries_in(e->db, "delivered"));
  ck_assert_msg(all_received(rv, first, last, 200), "an event never got its 200");
  assert_receipts_valid(rv);

  int refused = 0, failed = 0;
  size_t i, k;
  json_t *d, *a;
  json_t *list = deliveries_of(e, s.id);
  ck_assert_int_eq(json_array_size(list), 5);
  json_array_foreach(list, i, d)
  {
    ck_assert_str_eq(str(d, "state"), "delivered");
    ck_assert_str_eq(str(d, "type"), "churned");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "subscription_id")), s.id);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "last_status")), 200);
    ck_assert(json_is_null(json_object_get(d, "next_attempt_at")));
    harness_assert_timestamp("delivered_at", str(d, "delivered_at"));
    json_t *attempts = json_object_get(d, "attempts");
    ck_assert_int_eq(json_array_size(attempts),
                     json_integer_value(json_object_get(d, "attempt_count")));
    ck_assert_int_ge(json_array_size(attempts), 3);
    json_array_foreach(attempts, k, a)
    {
      harness_assert_timestamp("attempted_at", str(a, "attempted_at"));
      ck_assert(json_is_number(json_object_get(a, "duration_ms")));
      long long st = json_integer_value(json_object_get(a, "status"));
      if (json_is_null(json_object_get(a, "status"))) {
        ck_assert_msg(str(a, "error") != NULL, "an attempt without status has no error");
        refused++;
      } else {
        failed += st == 500;
        ck_assert_int_eq(st, k + 1 == json_array_size(attempts) ? 200 : 500);
      }
    }
  }
  ck_assert_int_ge(refused, 5);
  ck_assert_int_ge(failed, 5);
  /* each attempt the receiver saw is recorded, and none more */
  ck_assert_int_eq(harness_sql_int(e->db, "SELECT count(*) FROM webhook_attempts WHERE status IS "
                                          "NOT NULL"),
                   receiver_count(rv));
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

static int cmp_ll(const void *a, const void *b)
{
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

START_TEST(test_each_alert_goes_out_at_once)
{
  harness_env *e = harness_env_up(fast_retries);
  struct receiver *rv = receiver_new(200);
  receiver_start(rv, 0);
  struct sub s = subscribe(e, receiver_url(rv, "/"), NULL);
  receiver_set_secret(rv, s.secret);
  enum { N = 30 };
  long long ids[N], at[N], lat[N];
  for (int i = 0; i < N; i++) {
    ids[i] = insert_alerts(e->db, 1, "opportunity_new", "{}");
    at[i] = harness_now_ms(); /* committed */
    harness_sleep_ms(25 + 7 * (i % 5));
  }
  WAIT_UNTIL(receiver_count(rv) == N, 10000, "%d of %d arrived", receiver_count(rv), N);
  for (int i = 0; i < N; i++) {
    struct receipt r = receiver_get(rv, i);
    for (int k = 0; k < N; k++)
      if (ids[k] == r.event_id)
        lat[k] = r.at_ms - at[k];
  }
  qsort(lat, N, sizeof *lat, cmp_ll);
  fprintf(stderr, "one alert at a time: from commit to the receiver p50 %lld ms, max %lld ms\n",
          lat[N / 2], lat[N - 1]);
  ck_assert_int_lt(lat[N - 1], 500 * slack()); /* the poll is 1 s: NOTIFY must wake it */
  assert_receipts_valid(rv);
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

START_TEST(test_final_4xx_is_not_retried_but_408_is)
{
  harness_env *e = harness_env_up(fast_retries);
  struct receiver *rv = receiver_new(200);
  receiver_start(rv, 0);
  struct sub s = subscribe(e, receiver_url(rv, "/"), NULL);
  receiver_set_secret(rv, s.secret);
  long long gone = insert_alerts(e->db, 1, "tier_changed", "{\"answers\":[410,200]}");
  long long bad = insert_alerts(e->db, 1, "tier_changed", "{\"answers\":[400,200]}");
  long long timeout = insert_alerts(e->db, 1, "tier_changed", "{\"answers\":[408,200]}");
  WAIT_UNTIL(receiver_count_event(rv, timeout, 200) == 1, 15000, "408 was not retried");
  WAIT_UNTIL(deliveries_in(e->db, "failed") == 2, 15000, "the 4xx are not failed");
  harness_sleep_ms(1500); /* several retry delays: nothing more may come */
  ck_assert_int_eq(receiver_count_event(rv, gone, 0), 1);
  ck_assert_int_eq(receiver_count_event(rv, bad, 0), 1);
  json_t *d = delivery_of_alert(e, s.id, gone);
  ck_assert_str_eq(str(d, "state"), "failed");
  ck_assert_int_eq(json_integer_value(json_object_get(d, "attempt_count")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(d, "last_status")), 410);
  ck_assert(json_is_null(json_object_get(d, "next_attempt_at")));
  d = delivery_of_alert(e, s.id, timeout);
  ck_assert_str_eq(str(d, "state"), "delivered");
  ck_assert_int_eq(json_integer_value(json_object_get(d, "attempt_count")), 2);
  assert_receipts_valid(rv);
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

/* The gap in ms between the first and second request for an event. */
static long long gap_ms(struct receiver *rv, long long event)
{
  long long at[2];
  int n = 0;
  for (int i = 0; i < receiver_count(rv) && n < 2; i++) {
    struct receipt r = receiver_get(rv, i);
    if (r.event_id == event)
      at[n++] = r.at_ms;
  }
  ck_assert_int_eq(n, 2);
  return at[1] - at[0];
}

START_TEST(test_retry_after_is_honoured)
{
  harness_env *e = harness_env_up(fast_retries);
  struct receiver *rv = receiver_new(200);
  receiver_start(rv, 0);
  struct sub s = subscribe(e, receiver_url(rv, "/"), NULL);
  receiver_set_secret(rv, s.secret);
  long long seconds =
      insert_alerts(e->db, 1, "nps_detractor", "{\"answers\":[429,200],\"retry_after\":\"2\"}");
  long long date = insert_alerts(e->db, 1, "nps_detractor",
                                 "{\"answers\":[503,200],\"retry_after\":\"date+3\"}");
  long long small =
      insert_alerts(e->db, 1, "nps_detractor", "{\"answers\":[429,200],\"retry_after\":\"0\"}");
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == 3, 20000, "not all delivered");
  long long g1 = gap_ms(rv, seconds), g2 = gap_ms(rv, date), g3 = gap_ms(rv, small);
  fprintf(stderr, "retry-after: 2 s -> %lld ms, date +3 s -> %lld ms, 0 s -> %lld ms\n", g1, g2,
          g3);
  ck_assert_int_ge(g1, 1950);
  ck_assert_int_lt(g1, 4000 * slack());
  ck_assert_int_ge(g2, 1950); /* an HTTP date has whole seconds: now + 3 is 2..3 s away */
  ck_assert_int_lt(g2, 5000 * slack());
  ck_assert_int_lt(g3, 1500 * slack()); /* a smaller Retry-After leaves the back-off (0.2 s) */
  ck_assert_int_eq(
      json_integer_value(json_object_get(delivery_of_alert(e, s.id, seconds), "attempt_count")), 2);
  assert_receipts_valid(rv);
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

START_TEST(test_give_up_then_retry_by_hand)
{
  const char *const slow_retries[] = {"LTVD_WEBHOOK_BASE_DELAY=2", "LTVD_WEBHOOK_GIVE_UP=60",
                                      "LTVD_WEBHOOK_TIMEOUT=2", NULL};
  harness_env *e = harness_env_up(slow_retries);
  struct receiver *rv = receiver_new(200);
  receiver_start(rv, 0);
  struct sub s = subscribe(e, receiver_url(rv, "/"), NULL);
  receiver_set_secret(rv, s.secret);
  long long alert = insert_alerts(e->db, 1, "churned", "{\"answers\":[500,500,200]}");
  WAIT_UNTIL(harness_sql_int(e->db, "SELECT attempts FROM webhook_deliveries") == 1, 10000,
             "no first attempt recorded");
  ck_assert_int_eq(receiver_count_event(rv, alert, 500), 1);
  /* the window opened an hour ago: the next failure is the last */
  harness_sql_exec(e->db, "UPDATE webhook_deliveries SET window_start = now() - interval '1 hour'");
  WAIT_UNTIL(deliveries_in(e->db, "gave_up") == 1, 10000, "the delivery was not given up");
  json_t *d = delivery_of_alert(e, s.id, alert);
  ck_assert_int_eq(json_integer_value(json_object_get(d, "attempt_count")), 2);
  ck_assert(json_is_null(json_object_get(d, "next_attempt_at")));
  long long did = json_integer_value(json_object_get(d, "id"));
  harness_sleep_ms(2500);
  ck_assert_int_eq(receiver_count_event(rv, alert, 0), 2);

  /* held by a sender: 409; then a retry by hand opens a new window at once */
  harness_sql_exec(e->db, harness_fmt("UPDATE webhook_deliveries SET claim = gen_random_uuid(), "
                                      "claimed_until = now() + interval '1 minute' WHERE id = %lld",
                                      did));
  const char *retry = harness_fmt("/v1/webhook-deliveries/%lld/retry", did);
  harness_assert_problem(as(e, "admin", "POST", retry, NULL), 409, NULL);
  harness_sql_exec(e->db, harness_fmt("UPDATE webhook_deliveries SET claim = NULL, claimed_until "
                                      "= NULL WHERE id = %lld",
                                      did));
  long long asked = harness_now_ms();
  harness_response *r = as(e, "admin", "POST", retry, NULL);
  harness_assert_status(r, 202);
  ck_assert_str_eq(harness_json_str(r, "state"), "pending");
  ck_assert_int_eq(harness_json_int(r, "attempt_count"), 2);
  harness_assert_timestamp("next_attempt_at", harness_json_str(r, "next_attempt_at"));
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == 1, 5000, "the retry was not delivered");
  long long took = 0;
  for (int i = 0; i < receiver_count(rv); i++)
    if (receiver_get(rv, i).status == 200)
      took = receiver_get(rv, i).at_ms - asked;
  fprintf(stderr, "manual retry: sent %lld ms after the request\n", took);
  ck_assert_int_lt(took, 1000 * slack()); /* NOTIFY wakes the sender; no poll interval to wait */
  d = delivery_of_alert(e, s.id, alert);
  ck_assert_int_eq(json_integer_value(json_object_get(d, "attempt_count")), 3);
  /* delivered ones may be sent again by hand too */
  harness_assert_status(as(e, "admin", "POST", retry, NULL), 202);
  WAIT_UNTIL(receiver_count_event(rv, alert, 200) == 2, 5000, "the second retry was not sent");
  harness_assert_problem(as(e, "admin", "POST", "/v1/webhook-deliveries/999999/retry", NULL), 404,
                         NULL);
  assert_receipts_valid(rv);
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

START_TEST(test_restarts_lose_nothing)
{
  harness_env *e = harness_env_up(fast_retries);
  struct receiver *rv = receiver_new(200);
  receiver_start(rv, 0);
  int port = receiver_port(rv);
  receiver_stop(rv); /* the receiver is down from the start */
  struct sub s = subscribe(e, receiver_url(rv, "/"), NULL);
  receiver_set_secret(rv, s.secret);
  long long last = insert_alerts(e->db, 3, "renewal_due", "{}");
  WAIT_UNTIL(harness_sql_int(e->db, "SELECT count(*) FROM webhook_deliveries WHERE attempts > 0") ==
                 3,
             10000, "not every delivery was tried");

  /* ltvd stops (SIGTERM) with deliveries pending; they wait in the database */
  harness_server_stop_ok(e->srv);
  ck_assert_int_eq(deliveries_in(e->db, "pending"), 3);
  ck_assert_int_eq(harness_sql_int(e->db, "SELECT count(*) FROM webhook_deliveries WHERE claim "
                                          "IS NOT NULL"),
                   0);
  receiver_start(rv, port);
  long long started = harness_now_ms();
  e->srv = harness_server_start(e->db, fast_retries);
  WAIT_UNTIL(all_received(rv, last - 2, last, 200), 20000, "lost over a restart");
  fprintf(stderr, "restart: pending deliveries arrived %lld ms after ltvd was started again\n",
          harness_now_ms() - started);
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == 3, 5000, "not recorded as delivered");

  /* ltvd killed (SIGKILL) while a receiver holds the request: the lease runs out and
   * another process sends it again */
  long long slow = insert_alerts(e->db, 1, "renewal_due", "{\"delay_ms\":[1500,0]}");
  WAIT_UNTIL(receiver_count_event(rv, slow, 0) == 1, 10000, "the slow event was not sent");
  kill(harness_server_pid(e->srv), SIGKILL);
  harness_server_wait(e->srv, 5000);
  harness_server_stop(e->srv);
  long long killed = harness_now_ms();
  ck_assert_int_eq(harness_sql_int(e->db, harness_fmt("SELECT count(*) FROM webhook_deliveries "
                                                      "WHERE alert_id = %lld AND claim IS NOT "
                                                      "NULL",
                                                      slow)),
                   1);
  e->srv = harness_server_start(e->db, fast_retries);
  WAIT_UNTIL(receiver_count_event(rv, slow, 0) == 2, 20000, "lost when ltvd was killed");
  fprintf(stderr, "kill: the held delivery was sent again %lld ms after SIGKILL (lease 2 + 5 s)\n",
          harness_now_ms() - killed);
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == 4, 5000, "not recorded as delivered");
  ck_assert_int_eq(receiver_count_event(rv, slow, 0), 2); /* at least once: twice here */
  assert_receipts_valid(rv);
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

START_TEST(test_slow_receiver_blocks_nothing_else)
{
  const char *const vars[] = {"LTVD_WEBHOOK_BASE_DELAY=0.2", "LTVD_WEBHOOK_GIVE_UP=60",
                              "LTVD_WEBHOOK_TIMEOUT=1", NULL};
  harness_env *e = harness_env_up(vars);
  struct receiver *slow = receiver_new(200), *fast = receiver_new(200);
  receiver_set_default(slow, 200, 5000);
  receiver_start(slow, 0);
  receiver_start(fast, 0);
  struct sub ss = subscribe(e, receiver_url(slow, "/slow"), NULL);
  struct sub fs = subscribe(e, receiver_url(fast, "/fast"), NULL);
  receiver_set_secret(slow, ss.secret);
  receiver_set_secret(fast, fs.secret);
  for (int i = 0; i < 8; i++) /* every HTTP thread has its connection ready */
    harness_assert_status(as(e, "read", "GET", "/v1/alerts?limit=50", NULL), 200);

  enum { N = 40 };
  long long t0 = harness_now_ms();
  long long last = insert_alerts(e->db, N, "quadrant_changed", "{\"from\":\"B\",\"to\":\"A\"}");
  long long inserted = harness_now_ms();
  long long worst_api = 0;
  while (!all_received(fast, last - N + 1, last, 200) && harness_now_ms() - t0 < 20000) {
    long long a = harness_now_ms();
    harness_assert_status(as(e, "read", "GET", "/v1/alerts?limit=50", NULL), 200);
    if (harness_now_ms() - a > worst_api)
      worst_api = harness_now_ms() - a;
  }
  ck_assert_msg(all_received(fast, last - N + 1, last, 200), "the fast receiver missed events");
  long long lat[N], worst = 0;
  for (int i = 0; i < receiver_count(fast); i++) {
    struct receipt r = receiver_get(fast, i);
    lat[r.event_id - (last - N + 1)] = r.at_ms - inserted;
  }
  for (int i = 0; i < N; i++)
    worst = lat[i] > worst ? lat[i] : worst;
  fprintf(stderr,
          "slow receiver (5 s answers, 1 s timeout) beside a fast one: %d events reached the "
          "fast one within %lld ms of the insert (first %lld ms); slowest API call meanwhile "
          "%lld ms\n",
          N, worst, lat[0], worst_api);
  ck_assert_int_lt(worst, 800 * slack()); /* well inside the 1 s poll: woken by NOTIFY */
  ck_assert_int_lt(worst_api, 500 * slack());
  /* the slow receiver's attempts end by the timeout, recorded as such, and are retried */
  WAIT_UNTIL(harness_sql_int(e->db, harness_fmt("SELECT count(*) FROM webhook_attempts t JOIN "
                                                "webhook_deliveries d ON d.id = t.delivery_id "
                                                "WHERE d.subscription_id = %lld AND t.status IS "
                                                "NULL AND t.error ILIKE '%%timed out%%'",
                                                ss.id)) >= 4,
             10000, "no timed-out attempt recorded");
  ck_assert_int_le(harness_sql_int(e->db, harness_fmt("SELECT max(duration_ms) FROM "
                                                      "webhook_attempts t JOIN webhook_deliveries "
                                                      "d ON d.id = t.delivery_id WHERE "
                                                      "d.subscription_id = %lld",
                                                      ss.id)),
                   1500 * slack());
  ck_assert_int_eq(harness_sql_int(e->db, harness_fmt("SELECT count(*) FROM webhook_deliveries "
                                                      "WHERE subscription_id = %lld AND state = "
                                                      "'delivered'",
                                                      ss.id)),
                   0);
  assert_receipts_valid(fast);
  receiver_free(slow);
  receiver_free(fast);
  harness_env_down(e);
}
END_TEST

START_TEST(test_two_processes_send_each_event_once)
{
  harness_env *e = harness_env_up(fast_retries);
  harness_server *second = harness_server_start(e->db, fast_retries);
  struct receiver *rv = receiver_new(200);
  receiver_start(rv, 0);
  struct sub s = subscribe(e, receiver_url(rv, "/"), NULL);
  receiver_set_secret(rv, s.secret);
  enum { N = 300 };
  long long t0 = harness_now_ms();
  long long last = insert_alerts(e->db, N, "opportunity_new", "{\"opportunity_id\":\"x\"}");
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == N, 30000, "%lld of %d delivered",
             deliveries_in(e->db, "delivered"), N);
  long long took = harness_now_ms() - t0;
  ck_assert_msg(all_received(rv, last - N + 1, last, 200), "an event is missing");
  ck_assert_int_eq(receiver_count(rv), N); /* no event twice */
  fprintf(stderr, "two processes: %d events delivered in %lld ms (%.0f/s), none twice\n", N, took,
          N * 1000.0 / (double)took);
  assert_receipts_valid(rv);
  harness_server_stop_ok(second);
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

START_TEST(test_events_filter_and_inactive_subscriptions)
{
  harness_env *e = harness_env_up(fast_retries);
  struct receiver *rv = receiver_new(200);
  receiver_start(rv, 0);
  struct sub only = subscribe(e, receiver_url(rv, "/only-churned"), "[\"churned\"]");
  struct sub off = subscribe(e, receiver_url(rv, "/off"), "[]");
  harness_assert_status(as(e, "admin", "PATCH",
                           harness_fmt("/v1/webhook-subscriptions/%lld", off.id),
                           "{\"active\":false}"),
                        200);
  struct sub all = subscribe(e, receiver_url(rv, "/all"), NULL);
  (void)only, (void)all;
  receiver_set_secret(rv, only.secret);
  insert_alerts(e->db, 1, "churned", "{}");
  insert_alerts(e->db, 1, "tier_changed", "{}");
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == 3, 10000, "not delivered");
  ck_assert_int_eq(harness_sql_int(e->db, "SELECT count(*) FROM webhook_deliveries"), 3);
  int to_only = 0, to_all = 0;
  for (int i = 0; i < receiver_count(rv); i++) {
    struct receipt r = receiver_get(rv, i);
    ck_assert_str_ne(r.path, "/off");
    if (strcmp(r.path, "/only-churned") == 0) {
      ck_assert_str_eq(r.type, "churned");
      ck_assert(r.signature_ok); /* signed with its own subscription's secret */
      to_only++;
    } else {
      ck_assert_msg(!r.signature_ok, "another subscription's secret verifies");
      to_all++;
    }
  }
  ck_assert_int_eq(to_only, 1);
  ck_assert_int_eq(to_all, 2);
  /* made active again, it gets the alerts created from then on */
  harness_assert_status(as(e, "admin", "PATCH",
                           harness_fmt("/v1/webhook-subscriptions/%lld", off.id),
                           "{\"active\":true}"),
                        200);
  insert_alerts(e->db, 1, "renewal_due", "{}");
  WAIT_UNTIL(deliveries_in(e->db, "delivered") == 5, 10000, "not delivered after reactivation");
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

START_TEST(test_deleting_a_subscription_ends_its_deliveries)
{
  harness_env *e = harness_env_up(fast_retries);
  struct receiver *rv = receiver_new(500);
  receiver_start(rv, 0);
  struct sub s = subscribe(e, receiver_url(rv, "/"), NULL);
  receiver_set_secret(rv, s.secret);
  long long alert = insert_alerts(e->db, 1, "churned", "{}");
  WAIT_UNTIL(receiver_count_event(rv, alert, 500) >= 2, 10000, "not retried");
  harness_assert_status(
      as(e, "admin", "DELETE", harness_fmt("/v1/webhook-subscriptions/%lld", s.id), NULL), 204);
  ck_assert_int_eq(harness_sql_int(e->db, "SELECT count(*) FROM webhook_deliveries"), 0);
  ck_assert_int_eq(harness_sql_int(e->db, "SELECT count(*) FROM webhook_attempts"), 0);
  harness_sleep_ms(300); /* a request in flight at the DELETE may still arrive */
  int n = receiver_count(rv);
  harness_sleep_ms(1500);
  ck_assert_int_eq(receiver_count(rv), n);
  /* the alert stays in the log */
  ck_assert_int_eq(
      harness_sql_int(e->db, harness_fmt("SELECT count(*) FROM alerts WHERE id = %lld", alert)), 1);
  receiver_free(rv);
  harness_env_down(e);
}
END_TEST

/* Suite ------------------------------------------------------------------------------------ */

static Suite *webhooks_suite(void)
{
  Suite *s = suite_create("webhooks");
  TCase *tc = harness_tcase("subscriptions");
  tcase_add_test(tc, test_subscription_lifecycle_shows_the_secret_once);
  tcase_add_test(tc, test_subscriptions_page_by_id);
  tcase_add_test(tc, test_only_admin_keys_reach_subscriptions);
  suite_add_tcase(s, tc);

  tc = harness_tcase("alerts");
  tcase_add_test(tc, test_alert_log_filters_and_after);
  tcase_add_test(tc, test_alerts_are_append_only);
  suite_add_tcase(s, tc);

  tc = harness_tcase("delivery");
  tcase_add_test(tc, test_every_event_arrives_through_failures_and_an_outage);
  tcase_add_test(tc, test_each_alert_goes_out_at_once);
  tcase_add_test(tc, test_final_4xx_is_not_retried_but_408_is);
  tcase_add_test(tc, test_retry_after_is_honoured);
  tcase_add_test(tc, test_give_up_then_retry_by_hand);
  tcase_add_test(tc, test_restarts_lose_nothing);
  tcase_add_test(tc, test_slow_receiver_blocks_nothing_else);
  tcase_add_test(tc, test_two_processes_send_each_event_once);
  tcase_add_test(tc, test_events_filter_and_inactive_subscriptions);
  tcase_add_test(tc, test_deleting_a_subscription_ends_its_deliveries);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  return harness_run(webhooks_suite(), env);
}
