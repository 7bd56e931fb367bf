/* The analytics over HTTP (issue 4, SPEC sections 4.1-4.4 and 8): a small company built
 * through the API whose every figure is worked out by hand below, a write reflected
 * after the worker's run, the invariants over the demo data, and bad input.
 *
 * T = 2026-11-15 (the server's LTVD_TODAY), so M = 2026-11 (lines exist for it).
 * Unit sw; products basic (family core, tier 1), pro (core, tier 2), addon (extra, 1).
 *   A: industry tech, 50 employees; purchase 10000 of basic closed 2026-06-01;
 *      MRR basic 1000 in 2026-10 and 2026-11.
 *   B: industry retail, 10 employees; purchase 20000 of addon closed 2025-01-10.
 *   C: nothing known, nothing bought: a prospect.
 * 4.1  A: revenue 10000 + 1000 + 1000 = 12000, first purchase 2026-06-01, active (MRR in M).
 *      B: revenue 20000, first 2025-01-10; its only purchase is before T - 364 = 2025-11-16
 *      and it has no MRR: churned.
 * 4.3  n = 2 paying, by revenue: B (i = 1, 1/2 = 0.5 <= 0.75: silver), A (i = 2: bronze).
 *      concentration: top1 = 20000 / 32000 = 0.625, top5 = top10 = 1.
 * 4.4  size: percent rank of 50 and 10 -> A 1, B 0. whitespace (2 families): A holds core
 *      -> 1/2; B holds nothing (its addon purchase is older than 365 days) -> 1.
 *      engagement: no signals, a tie -> 0 for both; usage 0.
 *      potential A = 100 (0.3 * 1 + 0.3 * 0.5) / 1 = 45, B = 100 (0.3 * 1) / 1 = 30.
 *      thresholds: median revenue (12000 + 20000) / 2 = 16000, median potential 37.5.
 *      A: low value, high potential -> C; B: high value, low potential -> B.
 * 4.2  by=all: customers 3, paying 2, active 1, revenue 32000.
 *      basic: aov = 30000 / 2 = 15000; observed years A = 167 / 365.25 (2026-06-01 to T),
 *      B = 1/12 (0 days, floored); purchases_per_year = 2 / (167/365.25 + 1/12); one churned
 *      customer so lifespan_years = the same sum (under the 10-year cap);
 *      ltv = 15000 * 2 = 30000.
 *      subscription: arpa = 1000 / 1; gross_margin 0.8 (the default); churn: A was exposed
 *      once in M-11..M (2026-10 > 0) and did not churn -> 0 -> lifespan capped at 120;
 *      ltv = 1000 * 0.8 * 120 = 96000.
 *      cohort: 32000 / 2 = 16000. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static harness_env *env;
static long long id_a, id_b, id_c;

static harness_response *get(const char *path)
{
  return harness_call(env, "read", "GET", path, NULL, NULL);
}

static harness_response *post(const char *path, const char *body)
{
  return harness_call(env, "write", "POST", path, NULL, body);
}

/* POST /v1/analytics/recompute: answers once the results cover every write before it. */
static json_t *recompute(void)
{
  harness_response *r = harness_call(env, "admin", "POST", "/v1/analytics/recompute", NULL, NULL);
  harness_assert_status(r, 200);
  return r->json;
}

/* The member at a dotted path ("basic.ltv"), asserted present. */
static json_t *at(json_t *j, const char *path)
{
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *part = strtok(buf, "."); part; part = strtok(NULL, ".")) {
    json_t *next = json_is_array(j) ? json_array_get(j, strtoul(part, NULL, 10))
                                    : json_object_get(j, part);
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

static void assert_near_at(const char *what, double a, double b)
{
  ck_assert_msg(fabs(a - b) <= 1e-9 * fmax(1, fabs(b)), "%s = %.17g, expected %.17g", what, a, b);
}
#define assert_near(a, b) assert_near_at(#a, (a), (b))

static long long create_customer(const char *body)
{
  harness_response *r = post("/v1/customers", body);
  harness_assert_status(r, 201);
  return harness_json_int(r, "id");
}

static void purchase(long long customer, const char *product, long long amount, const char *day)
{
  harness_assert_status(
      post("/v1/deals",
           harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"stage\":\"won\","
                       "\"product\":\"%s\",\"amount\":%lld,\"created_at\":\"%sT00:00:00Z\","
                       "\"closed_at\":\"%s\"}",
                       customer, product, amount, day, day)),
      201);
}

static json_t *metrics(long long id)
{
  harness_response *r = get(harness_fmt("/v1/customers/%lld", id));
  harness_assert_status(r, 200);
  return at(r->json, "metrics");
}

START_TEST(test_customer_metrics_are_worked_out_by_hand)
{
  json_t *m = metrics(id_a);
  ck_assert_int_eq((long long) num(m, "revenue_to_date"), 12000);
  ck_assert_str_eq(str(m, "first_purchase_date"), "2026-06-01");
  ck_assert(json_is_true(at(m, "paying")) && json_is_true(at(m, "active")));
  ck_assert_str_eq(str(m, "tier"), "bronze");
  ck_assert_str_eq(str(m, "quadrant"), "C");
  assert_near(num(m, "potential"), 45);
  assert_near(num(m, "potential_components.size"), 1);
  assert_near(num(m, "potential_components.whitespace"), 0.5);
  assert_near(num(m, "potential_components.engagement"), 0);
  assert_near(num(m, "potential_components.usage"), 0);
  ck_assert_int_eq((long long) num(m, "held_families.core"), 1);
  ck_assert_ptr_null(json_object_get(at(m, "held_families"), "extra"));

  m = metrics(id_b);
  ck_assert_int_eq((long long) num(m, "revenue_to_date"), 20000);
  ck_assert(json_is_true(at(m, "paying")) && json_is_false(at(m, "active")));
  ck_assert_str_eq(str(m, "tier"), "silver");
  ck_assert_str_eq(str(m, "quadrant"), "B");
  assert_near(num(m, "potential"), 30);
  ck_assert_str_eq(str(m, "phase"), "dormant");

  m = metrics(id_c);
  ck_assert_int_eq((long long) num(m, "revenue_to_date"), 0);
  ck_assert(json_is_false(at(m, "paying")));
  ck_assert(json_is_null(at(m, "tier")) && json_is_null(at(m, "quadrant")));
  ck_assert(json_is_null(at(m, "potential")) && json_is_null(at(m, "first_purchase_date")));
  ck_assert_str_eq(str(m, "phase"), "prospect");
}
END_TEST

START_TEST(test_segment_ltv_by_all_is_worked_out_by_hand)
{
  harness_response *r = get("/v1/analytics/ltv");
  harness_assert_status(r, 200);
  ck_assert_str_eq(str(r->json, "currency"), "USD");
  ck_assert_str_eq(str(r->json, "as_of.today"), "2026-11-15");
  ck_assert_str_eq(str(r->json, "as_of.month"), "2026-11");
  ck_assert_int_eq(json_array_size(at(r->json, "results")), 1);
  json_t *row = at(r->json, "results.0");
  ck_assert_str_eq(str(row, "segment.all"), "all");
  ck_assert_int_eq((long long) num(row, "customers"), 3);
  ck_assert_int_eq((long long) num(row, "paying_customers"), 2);
  ck_assert_int_eq((long long) num(row, "active_customers"), 1);
  ck_assert_int_eq((long long) num(row, "revenue_to_date"), 32000);
  double years = 167 / 365.25 + 1.0 / 12;
  assert_near(num(row, "basic.aov"), 15000);
  assert_near(num(row, "basic.purchases_per_year"), 2 / years);
  assert_near(num(row, "basic.lifespan_years"), years);
  ck_assert(json_is_false(at(row, "basic.lifespan_capped")));
  assert_near(num(row, "basic.ltv"), 30000);
  assert_near(num(row, "subscription.arpa"), 1000);
  assert_near(num(row, "subscription.gross_margin"), 0.8);
  assert_near(num(row, "subscription.monthly_churn"), 0);
  ck_assert(json_is_true(at(row, "subscription.lifespan_capped")));
  assert_near(num(row, "subscription.ltv"), 96000);
  assert_near(num(row, "cohort.revenue_per_customer"), 16000);
}
END_TEST

START_TEST(test_segments_sort_bytewise_with_unknown_last)
{
  harness_response *r = get("/v1/analytics/ltv?by=industry");
  harness_assert_status(r, 200);
  json_t *rows = at(r->json, "results");
  ck_assert_int_eq(json_array_size(rows), 3);
  ck_assert_str_eq(str(rows, "0.segment.industry"), "retail");
  ck_assert_str_eq(str(rows, "1.segment.industry"), "tech");
  ck_assert_str_eq(str(rows, "2.segment.industry"), "unknown");
  ck_assert(json_is_null(at(rows, "2.basic")) && json_is_null(at(rows, "2.cohort")));
  /* retail is B alone: one purchase of 20000, churned, observed 1/12 year */
  assert_near(num(rows, "0.basic.purchases_per_year"), 12);
  assert_near(num(rows, "0.basic.lifespan_years"), 1.0 / 12);
  ck_assert(json_is_null(at(rows, "0.subscription")));

  r = get("/v1/analytics/ltv?by=quadrant,industry");
  harness_assert_status(r, 200);
  rows = at(r->json, "results");
  ck_assert_int_eq(json_array_size(rows), 3); /* B/retail, C/tech, unknown/unknown */
  ck_assert_str_eq(str(rows, "0.segment.quadrant"), "B");
  ck_assert_str_eq(str(rows, "1.segment.quadrant"), "C");
  ck_assert_str_eq(str(rows, "2.segment.quadrant"), "unknown");
  ck_assert_str_eq(str(rows, "2.segment.industry"), "unknown");
}
END_TEST

START_TEST(test_tiers_and_quadrants_documents)
{
  harness_response *r = get("/v1/analytics/tiers");
  harness_assert_status(r, 200);
  json_t *tiers = at(r->json, "tiers");
  ck_assert_int_eq(json_array_size(tiers), 4);
  ck_assert_str_eq(str(tiers, "0.tier"), "platinum");
  ck_assert_int_eq((long long) num(tiers, "0.customers"), 0);
  ck_assert_str_eq(str(tiers, "2.tier"), "silver");
  ck_assert_int_eq((long long) num(tiers, "2.revenue_to_date"), 20000);
  assert_near(num(tiers, "2.revenue_share"), 0.625);
  assert_near(num(r->json, "concentration.top1"), 0.625);
  assert_near(num(r->json, "concentration.top5"), 1);

  r = get("/v1/analytics/quadrants");
  harness_assert_status(r, 200);
  assert_near(num(r->json, "thresholds.value"), 16000);
  assert_near(num(r->json, "thresholds.potential"), 37.5);
  json_t *q = at(r->json, "quadrants");
  ck_assert_str_eq(str(q, "1.label"), "retain");
  ck_assert_int_eq((long long) num(q, "1.customers"), 1);
  ck_assert_int_eq((long long) num(q, "2.revenue_to_date"), 12000);

  r = get("/v1/analytics/quadrants/C/customers");
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(at(r->json, "results")), 1);
  ck_assert_int_eq((long long) num(r->json, "results.0.customer_id"), id_a);
  ck_assert_str_eq(str(r->json, "results.0.tier"), "bronze");

  r = get("/v1/customers?quadrant=B");
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(at(r->json, "results")), 1);
  ck_assert_int_eq((long long) num(r->json, "results.0.id"), id_b);
  r = get("/v1/customers?tier=bronze&phase=first_purchase");
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(at(r->json, "results")), 0); /* A has 3 purchase-months */
}
END_TEST

/* A write shows after the worker's run: C buys, and becomes paying. Runs last. */
START_TEST(test_a_write_is_reflected_after_the_run)
{
  long long before = (long long) num(recompute(), "computed_version");
  purchase(id_c, "pro", 5000, "2026-11-01");
  json_t *st = recompute();
  ck_assert_int_gt((long long) num(st, "computed_version"), before);
  json_t *m = metrics(id_c);
  ck_assert(json_is_true(at(m, "paying")) && json_is_true(at(m, "active")));
  ck_assert_int_eq((long long) num(m, "revenue_to_date"), 5000);
  ck_assert_int_eq((long long) num(m, "held_families.core"), 2);
  harness_response *r = get("/v1/analytics/ltv");
  ck_assert_int_eq((long long) num(r->json, "results.0.paying_customers"), 3);
  ck_assert_int_eq((long long) num(r->json, "as_of.data_version"),
                   (long long) num(st, "computed_version"));
}
END_TEST

START_TEST(test_bad_input_gets_problems)
{
  static const char *const bad[] = {
      "/v1/analytics/ltv?by=foo",         "/v1/analytics/ltv?by=industry,industry",
      "/v1/analytics/ltv?by=industry,tier,all", "/v1/analytics/ltv?by=",
      "/v1/analytics/ltv?by=%27;DROP%20TABLE%20customers",
      "/v1/analytics/ltv/history?by=industry,tier", "/v1/analytics/ltv/history?from=2026-13",
      "/v1/analytics/ltv/history?from=2026-10&to=2026-09", "/v1/mrr/movements?to=26-01",
      "/v1/mrr/movements?from=2026-01-01", "/v1/analytics/quadrants/A/customers?limit=0",
      "/v1/analytics/quadrants/A/customers?after=zzz", "/v1/analytics/tiers?x=1",
      "/v1/customers?quadrant=E", "/v1/customers?tier=gold%00", "/v1/customers?phase=new"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    harness_assert_problem(get(bad[i]), 400, NULL);
  harness_assert_problem(get("/v1/analytics/quadrants/E/customers"), 404, NULL);
  harness_assert_problem(get(harness_fmt("/v1/analytics/ltv?by=%s", harness_repeat('a', 5000))),
                         400, NULL);
  harness_assert_problem(harness_call(env, NULL, "GET", "/v1/analytics/ltv", NULL, NULL), 401,
                         NULL);
}
END_TEST

/* The demo company: every paying customer in exactly one tier and one quadrant. */
START_TEST(test_demo_invariants)
{
  static const char *const server_env[] = {"LTVD_TODAY=2026-11-15", NULL};
  harness_env *demo = harness_env_up(server_env);
  char *out;
  harness_ltvd(demo->db, (const char *[]){"demo", NULL}, &out, 120);
  harness_env *saved = env;
  env = demo;
  json_t *st = recompute();
  ck_assert(json_is_false(at(st, "stale")));
  json_t *all = at(get("/v1/analytics/ltv")->json, "results.0");
  long long paying = (long long) num(all, "paying_customers");
  ck_assert_int_gt(paying, 50);
  long long in_tiers = 0, in_quadrants = 0, revenue = 0;
  json_t *tiers = at(get("/v1/analytics/tiers")->json, "tiers");
  json_t *quadrants = at(get("/v1/analytics/quadrants")->json, "quadrants");
  for (int i = 0; i < 4; i++) {
    in_tiers += (long long) num(json_array_get(tiers, i), "customers");
    in_quadrants += (long long) num(json_array_get(quadrants, i), "customers");
    revenue += (long long) num(json_array_get(quadrants, i), "revenue_to_date");
  }
  ck_assert_int_eq(in_tiers, paying);
  ck_assert_int_eq(in_quadrants, paying);
  ck_assert_int_eq(revenue, (long long) num(all, "revenue_to_date"));
  /* in the database: paying <=> a tier and a quadrant, for every live customer */
  ck_assert_int_eq(harness_sql_int(demo->db, "SELECT count(*) FROM customer_metrics m "
                                             "WHERE (m.body::jsonb->>'paying')::boolean "
                                             "<> (m.tier IS NOT NULL AND m.quadrant IS NOT NULL)"),
                   0);
  ck_assert_int_eq(harness_sql_int(demo->db, "SELECT count(*) FROM customers c WHERE "
                                             "archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
                                             "customer_metrics m WHERE m.customer_id = c.id)"),
                   0);
  /* every axis and pair answers, and the single axes' customers cover everyone */
  static const char *const axes[] = {"industry", "size_band", "acquisition_channel",
                                     "business_unit", "product_family", "cohort",
                                     "quadrant", "tier", "all"};
  long long customers = (long long) num(all, "customers");
  for (size_t a = 0; a < 9; a++) {
    json_t *rows = at(get(harness_fmt("/v1/analytics/ltv?by=%s", axes[a]))->json, "results");
    long long sum = 0;
    for (size_t i = 0; i < json_array_size(rows); i++)
      sum += (long long) num(json_array_get(rows, i), "customers");
    if (a == 3 || a == 4) /* multi-valued: at least everyone once */
      ck_assert_int_ge(sum, customers);
    else
      ck_assert_int_eq(sum, customers);
    for (size_t b = 0; b < 9; b++)
      if (b != a)
        harness_assert_status(get(harness_fmt("/v1/analytics/ltv?by=%s,%s", axes[a], axes[b])),
                              200);
  }
  env = saved;
  harness_env_down(demo);
}
END_TEST

static Suite *analytics_suite(void)
{
  Suite *s = suite_create("analytics");
  TCase *tc = harness_tcase("hand-worked");
  tcase_add_test(tc, test_customer_metrics_are_worked_out_by_hand);
  tcase_add_test(tc, test_segment_ltv_by_all_is_worked_out_by_hand);
  tcase_add_test(tc, test_segments_sort_bytewise_with_unknown_last);
  tcase_add_test(tc, test_tiers_and_quadrants_documents);
  tcase_add_test(tc, test_bad_input_gets_problems);
  tcase_add_test(tc, test_a_write_is_reflected_after_the_run);
  suite_add_tcase(s, tc);
  tc = harness_tcase("demo");
  tcase_add_test(tc, test_demo_invariants);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  static const char *const server_env[] = {"LTVD_TODAY=2026-11-15", NULL};
  harness_init();
  env = harness_env_up(server_env);
  harness_sql_exec(env->db,
                   "INSERT INTO business_units (key, name, created_at, updated_at) "
                   "VALUES ('sw', 'Software', now(), now()); "
                   "INSERT INTO products (key, name, business_unit, family, tier, monthly_price, "
                   "created_at, updated_at) VALUES "
                   "('basic', 'Basic', 'sw', 'core', 1, 1000, now(), now()), "
                   "('pro', 'Pro', 'sw', 'core', 2, 3000, now(), now()), "
                   "('addon', 'Add-on', 'sw', 'extra', 1, 500, now(), now())");
  id_a = create_customer("{\"name\":\"A\",\"industry\":\"tech\",\"employee_count\":50}");
  id_b = create_customer("{\"name\":\"B\",\"industry\":\"retail\",\"employee_count\":10}");
  id_c = create_customer("{\"name\":\"C\"}");
  purchase(id_a, "basic", 10000, "2026-06-01");
  purchase(id_b, "addon", 20000, "2025-01-10");
  harness_assert_status(harness_call(env, "write", "PUT",
                                     harness_fmt("/v1/customers/%lld/mrr/2026-10", id_a), NULL,
                                     "{\"lines\":[{\"product\":\"basic\",\"mrr\":1000}]}"),
                        200);
  harness_assert_status(harness_call(env, "write", "PUT",
                                     harness_fmt("/v1/customers/%lld/mrr/2026-11", id_a), NULL,
                                     "{\"lines\":[{\"product\":\"basic\",\"mrr\":1000}]}"),
                        200);
  recompute();
  harness_free_all();
  return harness_run(analytics_suite(), env);
}
