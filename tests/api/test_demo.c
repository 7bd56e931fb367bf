/* `ltvd demo` (issue 3): the demo company on a fresh database keeps the rules the API
 * enforces on imported data and gives every analytic of SPEC section 4 something to
 * show; a second run changes nothing; LTVD_TODAY moves every date and the same day
 * gives the same data. */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The stage's state of each deal. */
#define DEAL_STATE                                                                                 \
  "(SELECT state FROM pipeline_stages s WHERE s.pipeline = d.pipeline AND s.key = d.stage)"

/* Today's UTC date, and its midnight as a timestamptz, whatever the session's time zone. */
#define UTC_TODAY "((now() AT TIME ZONE 'UTC')::date)"
#define UTC_MIDNIGHT "(" UTC_TODAY "::timestamp AT TIME ZONE 'UTC')"

static void run_demo(harness_db *db, const char *expect)
{
  char *out;
  int status = harness_ltvd(db, (const char *[]){"demo", NULL}, &out, 60);
  ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "ltvd demo failed (wait status %d): %s", status, out);
  ck_assert_msg(strstr(out, expect) != NULL, "ltvd demo said \"%s\", expected \"%s\"", out,
                expect);
}

/* `ltvd demo` with LTVD_TODAY: harness_ltvd passes no LTVD_ variables, so this runs the
 * binary itself with the database URL and today's date as its only LTVD_ variables. */
static void run_demo_on(harness_db *db, const char *today)
{
  const char *bin = getenv("LTVD_BIN");
  char *url = harness_fmt("LTVD_DATABASE_URL=%s", harness_db_conninfo(db));
  char *day = harness_fmt("LTVD_TODAY=%s", today);
  char *path = harness_fmt("PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  char *const envp[] = {url, day, path, NULL};
  char *const argv[] = {(char *)bin, "demo", NULL};

  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execve(bin, argv, envp);
    _exit(127);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "LTVD_TODAY=%s ltvd demo failed (wait status %d)", today, status);
}

static long long count(harness_db *db, const char *sql) { return harness_sql_int(db, sql); }

#define assert_none(db, what, sql)                                                                 \
  do {                                                                                             \
    long long n_ = count((db), (sql));                                                             \
    ck_assert_msg(n_ == 0, "%s: %lld rows", (what), n_);                                          \
  } while (0)

#define assert_some(db, what, sql)                                                                 \
  do {                                                                                             \
    long long n_ = count((db), (sql));                                                             \
    ck_assert_msg(n_ > 0, "%s: none", (what));                                                     \
  } while (0)

/* Every customer's MRR movement per month (SPEC 4.6), from the first month with a line to
 * the month of `today`. */
static const char *movements(const char *today)
{
  return harness_fmt(
      "WITH months AS (SELECT generate_series((SELECT min(month) FROM mrr_lines), "
      "  date_trunc('month', %s)::date, '1 month')::date AS m), "
      "per AS (SELECT customer_id, month, sum(mrr) AS q FROM mrr_lines GROUP BY 1, 2), "
      "cm AS (SELECT c.id AS cid, months.m, coalesce(per.q, 0) AS q "
      "  FROM customers c CROSS JOIN months LEFT JOIN per ON per.customer_id = c.id "
      "  AND per.month = months.m), "
      "mv AS (SELECT cid, m, q, coalesce(lag(q) OVER w, 0) AS p, max(q) OVER (PARTITION BY "
      "  cid ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before "
      "  FROM cm WINDOW w AS (PARTITION BY cid ORDER BY m)) "
      "SELECT cid, m, CASE WHEN p = 0 AND q > 0 AND coalesce(before, 0) = 0 THEN 'new' "
      "  WHEN p = 0 AND q > 0 THEN 'reactivation' WHEN 0 < p AND p < q THEN 'expansion' "
      "  WHEN 0 < q AND q < p THEN 'contraction' WHEN p > 0 AND q = 0 THEN 'churn' END "
      "  AS movement FROM mv",
      today);
}

/* A digest of what the demo writes (tables without server clock defaults). */
static char *demo_digest(harness_db *db)
{
  static const char *const tables[] = {"business_units", "products", "customers", "deals",
                                       "deal_stage_history", "mrr_lines", "signals"};
  char *sql = harness_fmt("SELECT md5(''");
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
    sql = harness_fmt("%s || (SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text "
                      "COLLATE \"C\"), '') FROM %s t)",
                      sql, tables[i]);
  return harness_sql_value(db, harness_fmt("%s)", sql));
}

START_TEST(demo_loads_a_consistent_company)
{
  harness_db *db = harness_db_create();
  run_demo(db, "loaded");

  /* The shape of the company. */
  ck_assert_int_eq(count(db, "SELECT count(*) FROM business_units"), 3);
  ck_assert_int_eq(count(db, "SELECT count(*) FROM products"), 12);
  ck_assert_int_eq(count(db, "SELECT count(DISTINCT family) FROM products"), 5);
  ck_assert_int_eq(count(db, "SELECT max(tier) FROM products"), 3);
  assert_some(db, "products with a gross margin",
              "SELECT count(*) FROM products WHERE gross_margin IS NOT NULL");
  assert_some(db, "products without a gross margin",
              "SELECT count(*) FROM products WHERE gross_margin IS NULL");
  ck_assert_int_eq(count(db, "SELECT count(*) FROM customers WHERE external_id ~ "
                             "'^demo-[0-9]{4}$' AND external_id BETWEEN 'demo-0001' AND "
                             "'demo-0300'"),
                   300);
  assert_some(db, "customers of unknown size",
              "SELECT count(*) FROM customers WHERE employee_count IS NULL");
  ck_assert_int_eq(count(db, "SELECT version FROM data_version"), 1);

  /* Deals and their stage history: the rules of SPEC 3 for imported history. */
  assert_none(db, "deals whose history does not end with their stage",
              "SELECT count(*) FROM deals d WHERE (SELECT stage FROM deal_stage_history h "
              "WHERE h.deal_id = d.id ORDER BY entered_at DESC, id DESC LIMIT 1) "
              "IS DISTINCT FROM d.stage");
  assert_none(db, "deals whose history does not start at created_at",
              "SELECT count(*) FROM deals d WHERE (SELECT min(entered_at) FROM "
              "deal_stage_history h WHERE h.deal_id = d.id) IS DISTINCT FROM d.created_at");
  assert_none(db, "history going back in time",
              "SELECT count(*) FROM (SELECT entered_at < lag(entered_at) OVER (PARTITION BY "
              "deal_id ORDER BY id) AS back FROM deal_stage_history) x WHERE back");
  assert_none(db, "history entries of another pipeline or an unknown stage",
              "SELECT count(*) FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id "
              "LEFT JOIN pipeline_stages s ON s.pipeline = h.pipeline AND s.key = h.stage "
              "WHERE s.key IS NULL OR h.pipeline <> d.pipeline");
  assert_none(db, "closed deals without closed_at or last entry on another day",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " <> 'open' AND (closed_at IS "
              "NULL OR (SELECT (max(entered_at) AT TIME ZONE 'UTC')::date FROM "
              "deal_stage_history h WHERE h.deal_id = d.id) <> closed_at)");
  assert_none(db, "open deals with closed_at",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'open' AND closed_at IS NOT NULL");
  assert_none(db, "open deals without an expected close date",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'open' AND "
              "expected_close_date IS NULL");
  assert_none(db, "timestamps not in the past",
              "SELECT (SELECT count(*) FROM deals WHERE created_at >= " UTC_MIDNIGHT " OR "
              "updated_at >= " UTC_MIDNIGHT " OR closed_at >= " UTC_TODAY ") + (SELECT "
              "count(*) FROM deal_stage_history WHERE entered_at >= " UTC_MIDNIGHT ") + "
              "(SELECT count(*) FROM signals WHERE occurred_at >= " UTC_MIDNIGHT " OR "
              "created_at >= " UTC_MIDNIGHT ") + (SELECT count(*) FROM customers WHERE "
              "created_at >= " UTC_MIDNIGHT ")");
  assert_none(db, "stages without deals",
              "SELECT count(*) FROM pipeline_stages s WHERE NOT EXISTS (SELECT 1 FROM deals d "
              "WHERE d.pipeline = s.pipeline AND d.stage = s.key)");
  assert_some(db, "won one-time purchases with a product",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'won' AND revenue_type = "
              "'one_time' AND product IS NOT NULL");
  assert_some(db, "won one-time purchases without a product",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'won' AND revenue_type = "
              "'one_time' AND product IS NULL");
  assert_some(db, "lost one-time deals",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'lost' AND revenue_type = "
              "'one_time'");
  assert_some(db, "won recurring bookings",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'won' AND revenue_type = "
              "'recurring'");
  assert_some(db, "won contracts ending within 90 days",
              "SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'won' AND contract_end_date "
              "BETWEEN " UTC_TODAY " AND " UTC_TODAY " + 90");
  ck_assert_msg(count(db, "SELECT count(*) FROM (SELECT customer_id FROM deals d WHERE "
                          DEAL_STATE " = 'won' AND revenue_type = 'one_time' GROUP BY 1 "
                          "HAVING count(DISTINCT closed_at) > 1) x") >= 20,
                "fewer than 20 customers with repeat purchases (SPEC 4.10 fits no model)");

  /* The MRR ledger: two years of months, this one included, and every movement. */
  assert_none(db, "MRR months not on the first", "SELECT count(*) FROM mrr_lines WHERE "
                                                 "extract(day FROM month) <> 1");
  ck_assert_int_eq(count(db, "SELECT count(DISTINCT month) FROM mrr_lines"), 24);
  assert_some(db, "MRR lines of the current month",
              "SELECT count(*) FROM mrr_lines WHERE month = date_trunc('month', " UTC_TODAY ")");
  const char *mv = movements("" UTC_TODAY "");
  static const char *const kinds[] = {"new", "expansion", "contraction", "churn",
                                      "reactivation"};
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    ck_assert_msg(count(db, harness_fmt("SELECT count(DISTINCT cid) FROM (%s) x WHERE "
                                        "movement = '%s'",
                                        mv, kinds[i])) > 0,
                  "no customer with MRR movement %s", kinds[i]);
  assert_some(db, "cross-sell into a new family",
              "SELECT count(*) FROM mrr_lines a JOIN products pa ON pa.key = a.product "
              "WHERE EXISTS (SELECT 1 FROM mrr_lines b WHERE b.customer_id = a.customer_id AND "
              "b.month = a.month - interval '1 month') AND NOT EXISTS (SELECT 1 FROM mrr_lines "
              "b JOIN products pb ON pb.key = b.product WHERE b.customer_id = a.customer_id "
              "AND b.month = a.month - interval '1 month' AND pb.family = pa.family)");
  assert_some(db, "upsell to a higher tier",
              "SELECT count(*) FROM mrr_lines a JOIN products pa ON pa.key = a.product "
              "JOIN mrr_lines b ON b.customer_id = a.customer_id AND b.month = a.month - "
              "interval '1 month' JOIN products pb ON pb.key = b.product AND pb.family = "
              "pa.family AND pb.tier < pa.tier");

  /* Signals. */
  static const char *const types[] = {"email_open", "email_click", "web_visit",
                                      "meeting", "call", "support_ticket",
                                      "usage", "feature_interest", "nps"};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    ck_assert_msg(count(db, harness_fmt("SELECT count(*) FROM signals WHERE type = '%s' AND "
                                        "customer_id IS NOT NULL",
                                        types[i])) > 0,
                  "no %s signal", types[i]);
  assert_none(db, "signals not from source demo",
              "SELECT count(*) FROM signals WHERE source <> 'demo' OR event_id IS NULL");
  assert_none(db, "usage values outside 0..1.2",
              "SELECT count(*) FROM signals WHERE type = 'usage' AND (value IS NULL OR value < 0 "
              "OR value > 1.2)");
  assert_some(db, "usage above 0.8 in the last 90 days",
              "SELECT count(*) FROM signals WHERE type = 'usage' AND value > 0.8 AND "
              "occurred_at >= (" UTC_TODAY " - 89)::timestamp AT TIME ZONE 'UTC'");
  assert_none(db, "nps outside 0..10 or not integer",
              "SELECT count(*) FROM signals WHERE type = 'nps' AND (value IS NULL OR value < 0 "
              "OR value > 10 OR value <> round(value))");
  assert_some(db, "nps detractors", "SELECT count(*) FROM signals WHERE type = 'nps' AND value <= 6");
  assert_none(db, "values on signals that carry none",
              "SELECT count(*) FROM signals WHERE type NOT IN ('usage', 'nps') AND value IS "
              "NOT NULL");
  assert_none(db, "feature_interest without a product",
              "SELECT count(*) FROM signals WHERE type = 'feature_interest' AND product IS NULL");
  assert_some(db, "unmatched signals",
              "SELECT count(*) FROM signals WHERE customer_id IS NULL AND customer_external_id "
              "IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.external_id = "
              "customer_external_id)");

  /* Once only. */
  char *before = harness_db_digest(db);
  run_demo(db, "demo data already loaded");
  char *after = harness_db_digest(db);
  ck_assert_str_eq(before, after);
  harness_db_drop(db);
}
END_TEST

START_TEST(demo_follows_ltvd_today)
{
  harness_db *a = harness_db_create(), *b = harness_db_create(), *c = harness_db_create();
  run_demo_on(a, "2025-03-01");
  run_demo_on(b, "2025-03-01");
  run_demo_on(c, "2024-02-29");

  ck_assert_str_eq(demo_digest(a), demo_digest(b)); /* the same day, the same company */
  ck_assert_str_ne(demo_digest(a), demo_digest(c));

  struct {
    harness_db *db;
    const char *today, *month, *first;
  } cases[] = {{a, "2025-03-01", "2025-03-01", "2023-04-01"},
               {c, "2024-02-29", "2024-02-01", "2022-03-01"}};
  for (size_t i = 0; i < 2; i++) {
    harness_db *db = cases[i].db;
    const char *t = cases[i].today;
    ck_assert_str_eq(harness_sql_value(db, "SELECT max(month)::text FROM mrr_lines"),
                     cases[i].month);
    ck_assert_str_eq(harness_sql_value(db, "SELECT min(month)::text FROM mrr_lines"),
                     cases[i].first);
    assert_none(db, "timestamps on or after LTVD_TODAY",
                harness_fmt("SELECT (SELECT count(*) FROM deals WHERE created_at >= '%s+00' "
                            "OR updated_at >= '%s+00' OR closed_at >= '%s') + (SELECT count(*) "
                            "FROM deal_stage_history WHERE entered_at >= '%s+00') + (SELECT "
                            "count(*) FROM signals WHERE occurred_at >= '%s+00' OR created_at "
                            ">= '%s+00') + (SELECT count(*) FROM customers WHERE created_at >= "
                            "'%s+00')",
                            t, t, t, t, t, t, t));
    assert_some(db, "usage above 0.8 in the 90 days before LTVD_TODAY",
                harness_fmt("SELECT count(*) FROM signals WHERE type = 'usage' AND value > 0.8 "
                            "AND occurred_at >= ((date '%s' - 89)::timestamp AT TIME ZONE 'UTC')",
                            t));
    assert_some(db, "contracts ending within 90 days after LTVD_TODAY",
                harness_fmt("SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'won' AND "
                            "contract_end_date BETWEEN '%s' AND date '%s' + 90",
                            t, t));
    assert_some(db, "open deals expected after LTVD_TODAY",
                harness_fmt("SELECT count(*) FROM deals d WHERE " DEAL_STATE " = 'open' AND "
                            "expected_close_date > '%s'",
                            t));
    static const char *const kinds[] = {"new", "expansion", "contraction", "churn",
                                        "reactivation"};
    const char *mv = movements(harness_fmt("date '%s'", t));
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
      ck_assert_msg(count(db, harness_fmt("SELECT count(*) FROM (%s) x WHERE movement = '%s'",
                                          mv, kinds[k])) > 0,
                    "LTVD_TODAY=%s: no MRR movement %s", t, kinds[k]);
  }
  harness_db_drop(a);
  harness_db_drop(b);
  harness_db_drop(c);
}
END_TEST

static Suite *demo_suite(void)
{
  Suite *s = suite_create("demo");
  TCase *tc = harness_tcase("demo");
  tcase_add_test(tc, demo_loads_a_consistent_company);
  tcase_add_test(tc, demo_follows_ltvd_today);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  return harness_run(demo_suite(), NULL);
}
