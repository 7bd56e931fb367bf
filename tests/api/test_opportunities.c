/* Opportunities and alerts over HTTP (SPEC 4.8, 4.9 and 8): a company built through the
 * API whose every opportunity, exclusion and alert is worked out by hand below.
 *
 * T = 2026-11-15 (LTVD_TODAY), M = 2026-11; settings are the defaults (nps_detractor_max 6,
 * upsell_usage_threshold 0.8, cross_sell_min_confidence 0.5, cross_sell_min_support 3).
 * Unit sw; families app: app_basic (tier 1, 1000), app_pro and app_pro2 (tier 2, 2500
 * each: a tie, app_pro is the lower key), app_max (tier 3, 5000); train: train_std
 * (1, 500); consult: consult_day (1, 3000).
 *
 * Customers, with their MRR in M (revenue_to_date is that, except where said):
 *   T1 consult_day 30000 + train_std 20000, 100 employees   revenue 50000
 *   T2 consult_day 30000 + train_std 15000, 200 employees   revenue 45000
 *   T3 train_std 40000, 300 employees                       revenue 40000
 *   U1 app_basic 1000, 50 employees; usage of app_basic 0.92 on 2026-10-02, interest in
 *      app_max on 2026-11-01, a won recurring deal for app_basic ending 2026-12-31
 *   U2 app_pro 2500; a product-less usage 0.85 on 2026-11-05; nps 10 on 2026-09-01
 *   X1 train_std 500, 200 employees;  X2 train_std 500, 100 employees
 *   D1 app_basic 1000; usage 0.95; nps 3 (a detractor)
 *   C1 a purchase of app_basic for 1000 on 2025-06-01 and nothing since: churned; usage 0.95
 *   P1 nothing bought (a prospect); usage 0.95
 *   E1 app_basic 1000; usage 0.9; an open deal for app_pro in the cross_sell pipeline
 *   F1..F4 app_basic 100; F5 app_basic 100 in 2026-10 and in M (revenue 200)
 * 15 paying customers (all but P1); by revenue T1, T2, T3 are positions 1..3, 3/15 = 0.2:
 * gold (1/15 > 0.05: no platinum). The top is {T1, T2, T3}.
 *
 * Cross-sell (4.8): holding train 3 (support 3), consult 2, app 0. Rules from train only:
 *   train->app 0/3 = 0, lift null (no top customer holds app);
 *   train->consult 2/3, lift (2/3) / (2/3) = 1.
 * Employee counts of the top 100, 200, 300: 25th percentile at 0.25 x 2 = 0.5: 150.
 * MRR in M in consult: 30000 and 30000: mean 30000, expected_annual_value 360000.
 *   T3 (300 >= 150) and X1 (200): consult, score 2/3, priority 240000 (T3 first by id).
 *   X2 (100 < 150): none.
 * Upsell:
 *   U1: 0.5 (usage) + 0.3 (app_max is tier 3 > 1) + 0.2 (contract ends T + 46) = 1.0;
 *       target app_pro (tier 2, the tie at 2500); value 12 (2500 - 1000) = 18000.
 *   U2: 0.5 (product-less usage); target app_max; value 12 (5000 - 2500) = 30000;
 *       priority 15000.
 *   D1 is at risk (nps 3 <= 6); C1 churned; P1 a prospect; E1's app is excluded by its open
 *   cross_sell deal; F1..F5 have no signal.
 * The list: T3, X1 (240000), U1 (18000), U2 (15000).
 *
 * Between run 1 (the baseline: no alert) and run 2: U1's opportunity becomes a deal (in
 * the seeded upsell pipeline although aaa_upsell, created later, sorts first by key), T3's
 * is dismissed until 2026-12-01; U2 gets a won deal ending 2026-12-15 (renewal_due, and
 * +0.2: score 0.7, priority 21000) and nps 7 (a drop of 3 from 10: nps_detractor); X2 gets
 * nps 4 (nps_detractor, and X2 is at risk); X1 a won deal ending 2026-12-10 with an open
 * renewal deal (no alert); F5's MRR in M is removed (churned); F2's becomes 20000 (value
 * above the median: quadrant_changed, and bronze to silver: tier_changed); F1 shows
 * interest in app_pro (an upsell of 0.3 x 18000 = 5400: opportunity_new). Run 3 follows
 * a change that moves nothing: no alert.
 *
 * The alert log is read through GET /v1/alerts. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static harness_env *env;

enum { T1, T2, T3, U1, U2, X1, X2, D1, C1, P1, E1, F1, F2, F3, F4, F5, N_CUSTOMERS };
static const char *const names[N_CUSTOMERS] = {"T1", "T2", "T3", "U1", "U2", "X1", "X2", "D1",
                                               "C1", "P1", "E1", "F1", "F2", "F3", "F4", "F5"};
static long long ids[N_CUSTOMERS];

/* The ids of the customers (each test runs in a process of its own). */
static void find_company(void)
{
  for (int i = 0; i < N_CUSTOMERS; i++)
    ids[i] = harness_sql_int(
        env->db,
        harness_fmt("SELECT coalesce((SELECT id FROM customers WHERE name = '%s'), 0)", names[i]));
}

static harness_response *get(const char *path)
{
  return harness_call(env, "read", "GET", path, NULL, NULL);
}

static harness_response *post(const char *path, const char *body)
{
  return harness_call(env, "write", "POST", path, NULL, body);
}

static void created(const char *path, const char *body)
{
  harness_assert_status(post(path, body), 201);
}

/* One analytics run over the data as it stands. The server the tests talk to runs with
 * LTVD_WORKER=off, so that no run happens while the company is being built (a run in the
 * middle would set the alerts' baseline there); a second server with the worker is
 * started for each run: it runs on becoming leader, then POST /v1/analytics/recompute
 * answers once a run begun after the request is published. */
static json_t *run_analytics(void)
{
  static const char *const worker_env[] = {"LTVD_TODAY=2026-11-15", NULL};
  harness_server *srv = harness_server_start(env->db, worker_env);
  const char *const headers[] = {
      harness_fmt("Authorization: Bearer %s", harness_env_key(env, "admin")), NULL};
  harness_response *r = harness_request(srv, "POST", "/v1/analytics/recompute", headers, NULL, 0);
  harness_assert_status(r, 200);
  harness_server_stop_ok(srv);
  return r->json;
}

#define assert_near(a, b)                                                                          \
  ck_assert_msg(fabs((double)(a) - (double)(b)) <= 1e-9 * fmax(1, fabs((double)(b))),              \
                "%s = %.17g, expected %.17g", #a, (double)(a), (double)(b))

static long long create_customer(const char *name, long long employees)
{
  harness_response *r =
      post("/v1/customers",
           employees > 0 ? harness_fmt("{\"name\":\"%s\",\"employee_count\":%lld}", name, employees)
                         : harness_fmt("{\"name\":\"%s\"}", name));
  harness_assert_status(r, 201);
  return harness_json_int(r, "id");
}

static void mrr(int c, const char *month, const char *lines)
{
  harness_assert_status(harness_call(env, "write", "PUT",
                                     harness_fmt("/v1/customers/%lld/mrr/%s", ids[c], month), NULL,
                                     harness_fmt("{\"lines\":[%s]}", lines)),
                        200);
}

/* A signal: value < 0 for none, product NULL for none. */
static void signal(int c, const char *type, double value, const char *product, const char *at)
{
  char v[64] = "", p[64] = "";
  if (value >= 0)
    snprintf(v, sizeof v, ",\"value\":%g", value);
  if (product)
    snprintf(p, sizeof p, ",\"product\":\"%s\"", product);
  harness_response *r =
      post("/v1/signals", harness_fmt("{\"customer_id\":%lld,\"type\":\"%s\",\"occurred_at\":"
                                      "\"%sT08:00:00Z\"%s%s}",
                                      ids[c], type, at, v, p));
  ck_assert_msg(r->status == 200 || r->status == 201, "signal: %ld %s", r->status, r->body);
}

/* A won recurring deal (a booking, no revenue) for product ending on contract_end. */
static long long won_contract(int c, const char *product, const char *contract_end)
{
  harness_response *r =
      post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\","
                                    "\"stage\":\"won\",\"product\":\"%s\",\"revenue_type\":"
                                    "\"recurring\",\"amount\":0,\"closed_at\":\"2026-01-15\","
                                    "\"created_at\":\"2026-01-10T00:00:00Z\","
                                    "\"contract_end_date\":\"%s\"}",
                                    ids[c], product, contract_end));
  harness_assert_status(r, 201);
  return harness_json_int(r, "id");
}

/* ---- the JSON at hand ----------------------------------------------------------- */

static json_t *at(json_t *j, const char *path)
{
  char buf[160];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *part = strtok(buf, "."); part; part = strtok(NULL, ".")) {
    json_t *next =
        json_is_array(j) ? json_array_get(j, strtoul(part, NULL, 10)) : json_object_get(j, part);
    ck_assert_msg(next != NULL, "no %s in %s", path, harness_dump(json_incref(j)));
    j = next;
  }
  return j;
}

static double num(json_t *j, const char *path)
{
  json_t *v = at(j, path);
  ck_assert_msg(json_is_number(v), "%s is not a number", path);
  return json_number_value(v);
}

static const char *str(json_t *j, const char *path)
{
  json_t *v = at(j, path);
  ck_assert_msg(json_is_string(v), "%s is not a string", path);
  return json_string_value(v);
}

/* The whole visible list, in order. */
static json_t *list(const char *query)
{
  harness_response *r = get(harness_fmt("/v1/opportunities%s", query));
  harness_assert_status(r, 200);
  ck_assert_str_eq(str(r->json, "currency"), "USD");
  ck_assert_str_eq(str(r->json, "as_of.today"), "2026-11-15");
  return at(r->json, "results");
}

/* The row of customer c in rows, NULL when none. */
static json_t *row_of(json_t *rows, int c)
{
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) if ((long long)num(row, "customer_id") == ids[c]) return row;
  return NULL;
}

static json_t *metrics(int c)
{
  harness_response *r = get(harness_fmt("/v1/customers/%lld", ids[c]));
  harness_assert_status(r, 200);
  return at(r->json, "metrics");
}

/* The row's quadrant and tier are its customer's. */
static void assert_customer_fields(json_t *row, int c)
{
  json_t *m = metrics(c);
  ck_assert(json_equal(at(row, "quadrant"), at(m, "quadrant")));
  ck_assert(json_equal(at(row, "tier"), at(m, "tier")));
}

/* ---- the company ------------------------------------------------------------------- */

START_TEST(test_setup_company)
{
  created("/v1/business-units", "{\"key\":\"sw\",\"name\":\"Software\"}");
  static const char *const products[] = {
      "\"key\":\"app_basic\",\"family\":\"app\",\"tier\":1,\"monthly_price\":1000",
      "\"key\":\"app_pro\",\"family\":\"app\",\"tier\":2,\"monthly_price\":2500",
      "\"key\":\"app_pro2\",\"family\":\"app\",\"tier\":2,\"monthly_price\":2500",
      "\"key\":\"app_max\",\"family\":\"app\",\"tier\":3,\"monthly_price\":5000",
      "\"key\":\"train_std\",\"family\":\"train\",\"tier\":1,\"monthly_price\":500",
      "\"key\":\"consult_day\",\"family\":\"consult\",\"tier\":1,\"monthly_price\":3000",
  };
  for (size_t i = 0; i < sizeof products / sizeof *products; i++)
    created("/v1/products",
            harness_fmt("{%s,\"name\":\"P\",\"business_unit\":\"sw\"}", products[i]));
  static const long long employees[N_CUSTOMERS] = {100, 200, 300, 50, 0, 200, 100};
  for (int i = 0; i < N_CUSTOMERS; i++)
    ids[i] = create_customer(names[i], employees[i]);

  mrr(T1, "2026-11",
      "{\"product\":\"consult_day\",\"mrr\":30000},"
      "{\"product\":\"train_std\",\"mrr\":20000}");
  mrr(T2, "2026-11",
      "{\"product\":\"consult_day\",\"mrr\":30000},"
      "{\"product\":\"train_std\",\"mrr\":15000}");
  mrr(T3, "2026-11", "{\"product\":\"train_std\",\"mrr\":40000}");
  mrr(U1, "2026-11", "{\"product\":\"app_basic\",\"mrr\":1000}");
  mrr(U2, "2026-11", "{\"product\":\"app_pro\",\"mrr\":2500}");
  mrr(X1, "2026-11", "{\"product\":\"train_std\",\"mrr\":500}");
  mrr(X2, "2026-11", "{\"product\":\"train_std\",\"mrr\":500}");
  mrr(D1, "2026-11", "{\"product\":\"app_basic\",\"mrr\":1000}");
  mrr(E1, "2026-11", "{\"product\":\"app_basic\",\"mrr\":1000}");
  for (int f = F1; f <= F5; f++)
    mrr(f, "2026-11", "{\"product\":\"app_basic\",\"mrr\":100}");
  mrr(F5, "2026-10", "{\"product\":\"app_basic\",\"mrr\":100}");

  signal(U1, "usage", 0.92, "app_basic", "2026-10-02");
  signal(U1, "feature_interest", -1, "app_max", "2026-11-01");
  won_contract(U1, "app_basic", "2026-12-31");
  signal(U2, "usage", 0.85, NULL, "2026-11-05");
  signal(U2, "nps", 10, NULL, "2026-09-01");
  signal(D1, "usage", 0.95, NULL, "2026-11-01");
  signal(D1, "nps", 3, NULL, "2026-10-01");
  created("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\","
                                   "\"stage\":\"won\",\"product\":\"app_basic\",\"amount\":1000,"
                                   "\"created_at\":\"2025-06-01T00:00:00Z\","
                                   "\"closed_at\":\"2025-06-01\"}",
                                   ids[C1]));
  signal(C1, "usage", 0.95, NULL, "2026-11-01");
  signal(P1, "usage", 0.95, NULL, "2026-11-01");
  signal(E1, "usage", 0.9, NULL, "2026-11-01");
  created("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"cross_sell\","
                                   "\"product\":\"app_pro\",\"amount\":30000}",
                                   ids[E1]));
  /* before the first run there is nothing to serve */
  harness_assert_problem(get("/v1/opportunities"), 503, NULL);
  harness_assert_problem(get("/v1/opportunities/at-risk"), 503, NULL);
  harness_assert_problem(get("/v1/analytics/cross-sell-rules"), 503, NULL);
  run_analytics();
}
END_TEST

/* ---- run 1 ---------------------------------------------------------------------------- */

START_TEST(test_the_list_is_worked_out_by_hand)
{
  json_t *rows = list("");
  ck_assert_int_eq(json_array_size(rows), 4);
  static const int order[] = {T3, X1, U1, U2};
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq((long long)num(json_array_get(rows, i), "customer_id"), ids[order[i]]);

  json_t *o = json_array_get(rows, 0);
  ck_assert_str_eq(str(o, "type"), "cross_sell");
  ck_assert_str_eq(str(o, "family"), "consult");
  ck_assert_str_eq(str(o, "product"), "consult_day");
  assert_near(num(o, "score"), 2.0 / 3);
  assert_near(num(o, "expected_annual_value"), 360000);
  assert_near(num(o, "priority"), 2.0 / 3 * 360000);
  ck_assert_str_eq(str(o, "reasons.0"), "2 of 3 top customers holding train also hold consult");
  ck_assert_str_eq(str(o, "tier"), "gold");
  assert_customer_fields(o, T3);
  ck_assert_int_eq(strlen(str(o, "id")), 24);
  ck_assert_int_eq(strncmp(str(o, "id"), "opp_", 4), 0);

  o = json_array_get(rows, 1);
  ck_assert_str_eq(str(o, "type"), "cross_sell");
  assert_near(num(o, "priority"), 2.0 / 3 * 360000);
  assert_customer_fields(o, X1);

  o = json_array_get(rows, 2);
  ck_assert_str_eq(str(o, "type"), "upsell");
  ck_assert_str_eq(str(o, "family"), "app");
  ck_assert_str_eq(str(o, "product"), "app_pro");
  assert_near(num(o, "score"), 1);
  assert_near(num(o, "expected_annual_value"), 18000);
  assert_near(num(o, "priority"), 18000);
  ck_assert_int_eq(json_array_size(at(o, "reasons")), 3);
  ck_assert_str_eq(str(o, "reasons.0"), "usage of app_basic at 92% of plan limit on 2026-10-02");
  ck_assert_str_eq(str(o, "reasons.1"),
                   "interest in app_max (tier 3, above the held tier 1) on 2026-11-01");
  ck_assert_int_eq(strncmp(str(o, "reasons.2"), "contract of deal ", 17), 0);
  assert_customer_fields(o, U1);

  o = json_array_get(rows, 3);
  ck_assert_str_eq(str(o, "product"), "app_max");
  assert_near(num(o, "score"), 0.5);
  assert_near(num(o, "expected_annual_value"), 30000);
  assert_near(num(o, "priority"), 15000);
  ck_assert_str_eq(str(o, "reasons.0"), "usage at 85% of plan limit on 2026-11-05");

  /* one of them alone, with as_of and currency; the same id after another run */
  const char *id = str(json_array_get(rows, 2), "id");
  harness_response *r = get(harness_fmt("/v1/opportunities/%s", id));
  harness_assert_status(r, 200);
  ck_assert_str_eq(str(r->json, "currency"), "USD");
  ck_assert(json_is_object(at(r->json, "as_of")));
  assert_near(num(r->json, "priority"), 18000);
  created("/v1/customers", "{\"name\":\"a prospect that changes nothing\"}");
  run_analytics();
  ck_assert_str_eq(str(json_array_get(list(""), 2), "id"), id);
}
END_TEST

START_TEST(test_exclusions_and_at_risk)
{
  json_t *rows = list("");
  static const int excluded[] = {T1, T2, X2, D1, C1, P1, E1, F1, F2, F3, F4, F5};
  for (size_t i = 0; i < sizeof excluded / sizeof *excluded; i++)
    ck_assert_msg(row_of(rows, excluded[i]) == NULL, "%s is listed", names[excluded[i]]);

  harness_response *r = get("/v1/opportunities/at-risk");
  harness_assert_status(r, 200);
  json_t *risk = at(r->json, "results");
  ck_assert_int_eq(json_array_size(risk), 1);
  ck_assert_int_eq((long long)num(risk, "0.customer_id"), ids[D1]);
  ck_assert_int_eq((long long)num(risk, "0.nps"), 3);
  ck_assert_str_eq(str(risk, "0.reason"), "nps 3 on 2026-10-01, at or below the detractor limit 6");
}
END_TEST

START_TEST(test_cross_sell_rules)
{
  harness_response *r = get("/v1/analytics/cross-sell-rules");
  harness_assert_status(r, 200);
  json_t *rules = at(r->json, "results");
  ck_assert_int_eq(json_array_size(rules), 2);
  ck_assert_str_eq(str(rules, "0.from_family"), "train");
  ck_assert_str_eq(str(rules, "0.to_family"), "app");
  ck_assert_int_eq((long long)num(rules, "0.support"), 3);
  assert_near(num(rules, "0.confidence"), 0);
  ck_assert(json_is_null(at(rules, "0.lift")));
  ck_assert_str_eq(str(rules, "1.to_family"), "consult");
  assert_near(num(rules, "1.confidence"), 2.0 / 3);
  assert_near(num(rules, "1.lift"), 1);
  ck_assert_str_eq(str(r->json, "as_of.month"), "2026-11");
}
END_TEST

START_TEST(test_filters_paging_and_csv)
{
  ck_assert_int_eq(json_array_size(list("?type=upsell")), 2);
  ck_assert_int_eq(json_array_size(list("?type=cross_sell&family=consult")), 2);
  ck_assert_int_eq(json_array_size(list("?family=train")), 0);
  ck_assert_int_eq(json_array_size(list("?min_score=0.7")), 1); /* U1's 1.0 */
  ck_assert_int_eq(json_array_size(list("?min_score=0.5")), 4);
  ck_assert_int_eq(json_array_size(list("?tier=gold")), 1); /* T3 */
  json_t *m = metrics(U1);
  json_t *rows = list(harness_fmt("?quadrant=%s&type=upsell", str(m, "quadrant")));
  ck_assert_ptr_nonnull(row_of(rows, U1));

  /* pages of one, in order */
  harness_response *r = get("/v1/opportunities?limit=3");
  ck_assert_int_eq(json_array_size(at(r->json, "results")), 3);
  const char *after = str(r->json, "paging.next.after");
  r = get(harness_fmt("/v1/opportunities?limit=3&after=%s", harness_urlenc(after)));
  ck_assert_int_eq(json_array_size(at(r->json, "results")), 1);
  ck_assert_int_eq((long long)num(r->json, "results.0.customer_id"), ids[U2]);
  ck_assert_ptr_null(json_object_get(r->json, "paging"));

  /* CSV: a header and every field, reasons joined by "; " */
  static const char *const csv[] = {"Accept: text/csv", NULL};
  r = harness_call(env, "read", "GET", "/v1/opportunities?type=upsell", csv, NULL);
  harness_assert_status(r, 200);
  ck_assert_int_eq(strncmp(harness_header(r, "Content-Type"), "text/csv", 8), 0);
  char *line = strtok(r->body, "\n");
  ck_assert_str_eq(line, "id,type,customer_id,family,product,score,expected_annual_value,"
                         "priority,quadrant,tier,reasons\r");
  line = strtok(NULL, "\n");
  ck_assert_ptr_nonnull(strstr(line, ",upsell,"));
  ck_assert_ptr_nonnull(strstr(line, harness_fmt(",%lld,app,app_pro,1", ids[U1])));
  ck_assert_ptr_nonnull(strstr(line, "on 2026-10-02; interest in app_max"));
  ck_assert_ptr_nonnull(strtok(NULL, "\n"));
  ck_assert_ptr_null(strtok(NULL, "\n"));
  r = harness_call(env, "read", "GET", "/v1/opportunities?limit=1", csv, NULL);
  ck_assert_ptr_nonnull(strstr(harness_header(r, "Link"), "rel=\"next\""));
}
END_TEST

START_TEST(test_bad_input_gets_problems)
{
  static const char *const bad[] = {
      "/v1/opportunities?type=crosssell", "/v1/opportunities?quadrant=E",
      "/v1/opportunities?tier=diamond",   "/v1/opportunities?min_score=high",
      "/v1/opportunities?min_score=nan",  "/v1/opportunities?min_score=",
      "/v1/opportunities?limit=0",        "/v1/opportunities?after=zzz",
      "/v1/opportunities?family=",        "/v1/opportunities?x=1",
      "/v1/opportunities/opp_XYZ",        "/v1/opportunities/opp_0123456789abcdef012",
      "/v1/opportunities/at-risk?limit=5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    harness_assert_problem(get(bad[i]), 400, NULL);
  harness_assert_problem(get("/v1/opportunities/opp_0123456789abcdef0123"), 404, NULL);
  const char *id = str(list(""), "0.id");
  const char *dismiss = harness_fmt("/v1/opportunities/%s/dismiss", id);
  harness_assert_problem(
      harness_call(env, "read", "POST", dismiss, NULL, "{\"until\":\"2026-12-01\"}"), 403, NULL);
  harness_assert_problem(post(dismiss, "{}"), 422, "until");
  harness_assert_problem(post(dismiss, "{\"until\":\"2026-11-14\"}"), 422, "until");
  harness_assert_problem(post(dismiss, "{\"until\":\"2026-02-30\"}"), 422, "until");
  harness_assert_problem(post(dismiss, "{\"until\":\"2026-12-01\",\"x\":1}"), 422, "x");
  harness_assert_problem(post(dismiss, "[]"), 400, NULL);
  harness_assert_problem(post(harness_fmt("/v1/opportunities/%s/deal", id), "{\"amount\":5}"), 422,
                         "amount");
  harness_assert_problem(post(harness_fmt("/v1/opportunities/%s/deal", id), "nope"), 400, NULL);
  harness_assert_problem(post("/v1/opportunities/opp_0123456789abcdef0123/deal", NULL), 404, NULL);
  harness_assert_problem(harness_call(env, NULL, "GET", "/v1/opportunities", NULL, NULL), 401,
                         NULL);
  /* nothing of that was written */
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM opportunity_actions"), 0);
}
END_TEST

/* ---- actions, run 2 and the alerts ----------------------------------------------------- */

struct alert {
  char type[32];
  long long customer;
  json_t *data;
};

/* The alert log after id `after`, oldest first (count in *n), from GET /v1/alerts. */
static struct alert *alerts_after(long long after, size_t *n)
{
  harness_response *r = get(harness_fmt("/v1/alerts?after=%lld&limit=1000", after));
  harness_assert_status(r, 200);
  json_t *rows = at(r->json, "results");
  ck_assert_ptr_null(json_object_get(r->json, "paging"));
  *n = json_array_size(rows);
  struct alert *a = harness_own(calloc(*n + 1, sizeof *a), free);
  long long last = after;
  for (size_t i = 0; i < *n; i++) {
    json_t *row = json_array_get(rows, i);
    ck_assert_int_gt((long long)num(row, "id"), last);
    last = (long long)num(row, "id");
    snprintf(a[i].type, sizeof a[i].type, "%s", str(row, "type"));
    a[i].customer = (long long)num(row, "customer_id");
    a[i].data = at(row, "data");
    harness_assert_timestamp("created_at", str(row, "created_at"));
  }
  return a;
}

static size_t count(const struct alert *a, size_t n, const char *type, int c)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += strcmp(a[i].type, type) == 0 && (c < 0 || a[i].customer == ids[c]);
  return k;
}

static const struct alert *one(const struct alert *a, size_t n, const char *type, int c)
{
  ck_assert_msg(count(a, n, type, c) == 1, "%zu %s alerts for %s", count(a, n, type, c), type,
                names[c]);
  for (size_t i = 0; i < n; i++)
    if (strcmp(a[i].type, type) == 0 && a[i].customer == ids[c])
      return &a[i];
  return NULL;
}

START_TEST(test_actions_and_alerts)
{
  size_t n;
  alerts_after(0, &n);
  ck_assert_int_eq(n, 0); /* the first runs set the baseline */
  json_t *before[N_CUSTOMERS];
  for (int c = 0; c < N_CUSTOMERS; c++)
    before[c] = metrics(c);
  json_t *rows = list("");
  const char *u1 = str(row_of(rows, U1), "id"), *t3 = str(row_of(rows, T3), "id");

  /* into a deal: the seeded upsell pipeline is the oldest, aaa_upsell sorts first by key */
  created("/v1/pipelines", "{\"key\":\"aaa_upsell\",\"name\":\"Later\",\"kind\":\"upsell\","
                           "\"stages\":[{\"key\":\"a\",\"probability\":0.4,\"state\":\"open\"},"
                           "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},"
                           "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}");
  harness_response *r = post(harness_fmt("/v1/opportunities/%s/deal", u1), NULL);
  harness_assert_status(r, 201);
  ck_assert_str_eq(str(r->json, "pipeline"), "upsell");
  ck_assert_str_eq(str(r->json, "stage"), "opportunity_recognised");
  ck_assert_str_eq(str(r->json, "product"), "app_pro");
  ck_assert_str_eq(str(r->json, "revenue_type"), "recurring");
  ck_assert_int_eq((long long)num(r->json, "amount"), 18000);
  ck_assert_int_eq((long long)num(r->json, "customer_id"), ids[U1]);
  long long deal = (long long)num(r->json, "id");
  ck_assert_str_eq(harness_header(r, "Location"), harness_fmt("/v1/deals/%lld", deal));
  ck_assert_ptr_nonnull(harness_header(r, "X-Ltvd-Data-Version"));
  harness_assert_problem(post(harness_fmt("/v1/opportunities/%s/deal", u1), NULL), 409, NULL);
  harness_assert_problem(get(harness_fmt("/v1/opportunities/%s", u1)), 404, NULL);
  harness_assert_problem(
      post(harness_fmt("/v1/opportunities/%s/dismiss", u1), "{\"until\":\"2026-12-01\"}"), 409,
      NULL);

  /* dismissed until 2026-12-01 */
  r = post(harness_fmt("/v1/opportunities/%s/dismiss", t3), "{\"until\":\"2026-12-01\"}");
  harness_assert_status(r, 200);
  ck_assert_str_eq(str(r->json, "until"), "2026-12-01");
  harness_assert_problem(get(harness_fmt("/v1/opportunities/%s", t3)), 404, NULL);
  rows = list("");
  ck_assert_int_eq(json_array_size(rows), 2);
  ck_assert(row_of(rows, U1) == NULL && row_of(rows, T3) == NULL);

  /* a webhook subscription for two of the types: the outbox gets their alerts */
  r = harness_call(env, "admin", "POST", "/v1/webhook-subscriptions", NULL,
                   "{\"url\":\"http://127.0.0.1:1/hook\",\"events\":[\"opportunity_new\","
                   "\"churned\"]}");
  harness_assert_status(r, 201);
  long long subscription = harness_json_int(r, "id");

  /* the changes of the header */
  long long renewal = won_contract(U2, "app_pro", "2026-12-15");
  signal(U2, "nps", 7, NULL, "2026-11-10");
  signal(X2, "nps", 4, NULL, "2026-11-10");
  won_contract(X1, "train_std", "2026-12-10");
  created("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\","
                                   "\"product\":\"train_std\",\"amount\":6000}",
                                   ids[X1]));
  mrr(F5, "2026-11", "");
  mrr(F2, "2026-11", "{\"product\":\"app_basic\",\"mrr\":20000}");
  signal(F1, "feature_interest", -1, "app_pro", "2026-11-12");
  run_analytics();

  struct alert *a = alerts_after(0, &n);
  const struct alert *x = one(a, n, "renewal_due", U2);
  ck_assert_int_eq(json_integer_value(json_object_get(x->data, "deal_id")), renewal);
  ck_assert_str_eq(json_string_value(json_object_get(x->data, "contract_end_date")), "2026-12-15");
  ck_assert_int_eq(count(a, n, "renewal_due", -1), 1); /* not U1's (baseline), not X1's */
  x = one(a, n, "nps_detractor", X2);
  ck_assert_int_eq(json_integer_value(json_object_get(x->data, "nps")), 4);
  x = one(a, n, "nps_detractor", U2);
  ck_assert_int_eq(json_integer_value(json_object_get(x->data, "previous_nps")), 10);
  ck_assert_int_eq(count(a, n, "nps_detractor", -1), 2);
  one(a, n, "churned", F5);
  ck_assert_int_eq(count(a, n, "churned", -1), 1);
  x = one(a, n, "opportunity_new", F1);
  ck_assert_int_eq(count(a, n, "opportunity_new", -1), 1);
  rows = list("");
  json_t *f1 = row_of(rows, F1);
  ck_assert_str_eq(json_string_value(json_object_get(x->data, "opportunity_id")), str(f1, "id"));
  assert_near(num(f1, "priority"), 5400);
  assert_near(num(row_of(rows, U2), "priority"), 21000);
  ck_assert_int_eq(json_array_size(rows), 3); /* X1, U2, F1: U1 converted, T3 dismissed */

  /* tier and quadrant changes: exactly the customers whose metrics moved */
  size_t tiers = 0, quadrants = 0;
  for (int c = 0; c < N_CUSTOMERS; c++) {
    json_t *now = metrics(c);
    bool tier = !json_equal(at(before[c], "tier"), at(now, "tier"));
    bool quadrant = !json_equal(at(before[c], "quadrant"), at(now, "quadrant"));
    ck_assert_int_eq(count(a, n, "tier_changed", c), tier);
    ck_assert_int_eq(count(a, n, "quadrant_changed", c), quadrant);
    if (tier) {
      x = one(a, n, "tier_changed", c);
      ck_assert(json_equal(json_object_get(x->data, "from"), at(before[c], "tier")));
      ck_assert(json_equal(json_object_get(x->data, "to"), at(now, "tier")));
    }
    tiers += tier;
    quadrants += quadrant;
  }
  ck_assert_int_eq(count(a, n, "tier_changed", -1), tiers);
  ck_assert_int_eq(count(a, n, "quadrant_changed", -1), quadrants);
  one(a, n, "tier_changed", F2);
  one(a, n, "quadrant_changed", F2);
  ck_assert_str_eq(str(metrics(F2), "tier"), "silver");

  /* the alerts of the subscribed types, and those alone, went to the outbox */
  r = harness_call(env, "admin", "GET",
                   harness_fmt("/v1/webhook-subscriptions/%lld/deliveries", subscription), NULL,
                   NULL);
  harness_assert_status(r, 200);
  json_t *deliveries = at(r->json, "results");
  ck_assert_int_eq(json_array_size(deliveries), 2);
  size_t i;
  json_t *d;
  json_array_foreach(deliveries, i, d)
  {
    const char *type = str(d, "type");
    ck_assert(strcmp(type, "opportunity_new") == 0 || strcmp(type, "churned") == 0);
  }

  /* at risk now: X2 and D1, by customer id */
  r = get("/v1/opportunities/at-risk");
  ck_assert_int_eq(json_array_size(at(r->json, "results")), 2);
  ck_assert_int_eq((long long)num(r->json, "results.0.customer_id"), ids[X2]);
  ck_assert_int_eq((long long)num(r->json, "results.1.customer_id"), ids[D1]);

  /* run 3 after a change that moves nothing: no alert */
  long long last = harness_sql_int(env->db, "SELECT max(id) FROM alerts");
  ck_assert_int_gt(last, 0);
  created("/v1/customers", "{\"name\":\"another prospect\"}");
  run_analytics();
  alerts_after(last, &n);
  ck_assert_int_eq(n, 0);
}
END_TEST

static Suite *opportunities_suite(void)
{
  Suite *s = suite_create("opportunities");
  TCase *tc = harness_tcase("hand-worked");
  tcase_add_checked_fixture(tc, find_company, NULL);
  tcase_add_test(tc, test_setup_company);
  tcase_add_test(tc, test_the_list_is_worked_out_by_hand);
  tcase_add_test(tc, test_exclusions_and_at_risk);
  tcase_add_test(tc, test_cross_sell_rules);
  tcase_add_test(tc, test_filters_paging_and_csv);
  tcase_add_test(tc, test_bad_input_gets_problems);
  tcase_add_test(tc, test_actions_and_alerts);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  static const char *const server_env[] = {"LTVD_TODAY=2026-11-15", "LTVD_WORKER=off", NULL};
  harness_init();
  env = harness_env_up(server_env);
  return harness_run(opportunities_suite(), env);
}
