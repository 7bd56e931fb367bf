/* Lifecycle phases and cross-usage (SPEC 4.5), cohort curves (4.2), MRR movements and
 * summary (4.6) and pipeline statistics (4.7), on snapshots built by hand with the
 * arithmetic of every expected number in comments.
 *
 * The per-customer facts of 4.1 that these read (paying, active, first_purchase_day) are
 * computed by ltvd_an_customers, another module's step: derive_41() below computes them
 * here from the text of 4.1 after ltvd_an_compute, and ltvd_an_phases runs again so that
 * the overall phase sees them, whatever state that step is in on this branch. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ltvd/analytics.h"
#include "unit.h"

/* got equals want to 12 significant digits (exact sums divided once agree to the last
 * bit; the tolerance only absorbs a differently ordered sum). */
static bool near(double got, double want)
{
  return fabs(got - want) <= 1e-12 * fmax(1, fabs(want));
}

#define ck_near(got, want)                                                                         \
  ck_assert_msg(near((got), (want)), "%s = %.17g, want %.17g", #got, (double)(got), (double)(want))

static struct ltvd_an_snapshot snap;
static struct ltvd_an_results res;
static int64_t next_deal_id;

static void setup(void)
{
  memset(&snap, 0, sizeof snap);
  memset(&res, 0, sizeof res);
  ltvd_an_settings_default(&snap.settings);
  next_deal_id = 1;
}

static void teardown(void)
{
  ltvd_an_results_free(&res);
  ltvd_an_snapshot_free(&snap);
}

/* ---- building ------------------------------------------------------------------ */

static int32_t day(int y, int m, int d)
{
  return ltvd_an_day(y, m, d);
}

static int32_t month(int y, int m)
{
  return y * 12 + m - 1;
}

/* A timestamp in fractional days. */
static double at(int y, int m, int d, int hour, int minute)
{
  return ltvd_an_day(y, m, d) + (hour * 60 + minute) / 1440.0;
}

static int32_t customer(int64_t id)
{
  return ltvd_an_add_customer(&snap, id, "customer", NULL, NULL, false, 0);
}

static int product(const char *key)
{
  int p = ltvd_an_product_index(&snap, key);
  ck_assert_msg(p >= 0, "no product %s", key);
  return p;
}

static void line(int32_t c, int y, int m, const char *key, int64_t mrr)
{
  ltvd_an_add_mrr(&snap, c, month(y, m), product(key), mrr);
}

/* The pipeline "nb": lead 0.1, proposal 0.5 (open), won 1, lost 0. */
static int sales_pipeline(void)
{
  int p = ltvd_an_add_pipeline(&snap, "nb", LTVD_AN_NEW_BUSINESS, 1);
  ltvd_an_add_stage(&snap, p, "lead", 1, 0.1, LTVD_AN_OPEN);
  ltvd_an_add_stage(&snap, p, "proposal", 2, 0.5, LTVD_AN_OPEN);
  ltvd_an_add_stage(&snap, p, "won", 3, 1, LTVD_AN_WON);
  ltvd_an_add_stage(&snap, p, "lost", 4, 0, LTVD_AN_LOST);
  return p;
}

static int64_t deal(int32_t c, const char *pipeline, const char *stage, const char *prod,
                    bool recurring, int64_t amount, int32_t created, int32_t closed,
                    int32_t expected)
{
  int p = ltvd_an_pipeline_index(&snap, pipeline);
  struct ltvd_an_deal d = {
      .id = next_deal_id++,
      .customer = c,
      .pipeline = p,
      .stage = ltvd_an_stage_index(&snap, p, stage),
      .product = prod ? product(prod) : LTVD_AN_NONE,
      .recurring = recurring,
      .amount = amount,
      .created_day = created,
      .closed_day = closed,
      .expected_close_day = expected,
      .contract_end_day = LTVD_AN_NO_DAY,
  };
  ck_assert(d.stage >= 0);
  ltvd_an_add_deal(&snap, &d);
  return d.id;
}

/* A purchase: a won one_time deal of pipeline nb closed (and created) on that day. */
static void purchase(int32_t c, const char *prod, int32_t on, int64_t amount)
{
  deal(c, "nb", "won", prod, false, amount, on, on, LTVD_AN_NO_DAY);
}

static void history(int64_t deal_id, const char *stage, double entered)
{
  int s = ltvd_an_stage_index(&snap, ltvd_an_pipeline_index(&snap, "nb"), stage);
  ltvd_an_add_history(&snap, deal_id, s, entered);
}

/* SPEC 4.1 from its text: first_purchase_day = min(first purchase, first day of the first
 * month with MRR > 0); paying when it exists; active = MRR(c, M) > 0 or a purchase on or
 * after T − dormant_after_days + 1. */
static void derive_41(void)
{
  for (size_t i = 0; i < snap.n_customers; i++) {
    const struct ltvd_an_customer *cu = &snap.customers[i];
    struct ltvd_an_cmetrics *m = &res.c[i];
    int32_t first = LTVD_AN_NO_DAY;
    bool active = false;
    for (size_t j = cu->purchase0; j < cu->purchase0 + cu->n_purchases; j++) {
      int32_t d = snap.purchases[j].day;
      first = first == LTVD_AN_NO_DAY || d < first ? d : first;
      active = active || d >= snap.today - snap.settings.dormant_after_days + 1;
    }
    int64_t total = 0;
    for (size_t j = cu->mrr0; j < cu->mrr0 + cu->n_mrr; j++) {
      const struct ltvd_an_mrr *l = &snap.mrr[j];
      total += l->mrr;
      if (j + 1 < cu->mrr0 + cu->n_mrr && snap.mrr[j + 1].month == l->month)
        continue;
      int32_t d = ltvd_an_month_first(l->month);
      if (total > 0 && (first == LTVD_AN_NO_DAY || d < first))
        first = d;
      active = active || (total > 0 && l->month == snap.month);
      total = 0;
    }
    m->first_purchase_day = first;
    m->paying = first != LTVD_AN_NO_DAY;
    m->active = active;
  }
}

static void run(void)
{
  ltvd_an_snapshot_finish(&snap);
  ltvd_an_compute(&snap, &res);
  derive_41();
  ltvd_an_phases(&res);
}

/* ---- reading the documents ----------------------------------------------------- */

static json_t *get(const json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  ck_assert_msg(v != NULL, "member %s missing", key);
  return v;
}

static int64_t ival(const json_t *o, const char *key)
{
  json_t *v = get(o, key);
  ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
  return json_integer_value(v);
}

static double rval(const json_t *o, const char *key)
{
  json_t *v = get(o, key);
  ck_assert_msg(json_is_real(v), "%s is not a real", key);
  return json_real_value(v);
}

static bool is_null(const json_t *o, const char *key)
{
  return json_is_null(get(o, key));
}

static const char *sval(const json_t *o, const char *key)
{
  json_t *v = get(o, key);
  ck_assert_msg(json_is_string(v), "%s is not a string", key);
  return json_string_value(v);
}

/* ---- 4.6 movements ------------------------------------------------------------- */

struct moves {
  const char *month;
  int64_t starting, new_mrr, expansion, upsell, cross_sell, contraction, churn, reactivation,
      ending, at_start, churned;
};

static void check_moves(const json_t *row, const struct moves *w)
{
  ck_assert_str_eq(sval(row, "month"), w->month);
  ck_assert_int_eq(ival(row, "starting_mrr"), w->starting);
  ck_assert_int_eq(ival(row, "new"), w->new_mrr);
  ck_assert_int_eq(ival(row, "expansion"), w->expansion);
  ck_assert_int_eq(ival(row, "upsell"), w->upsell);
  ck_assert_int_eq(ival(row, "cross_sell"), w->cross_sell);
  ck_assert_int_eq(ival(row, "contraction"), w->contraction);
  ck_assert_int_eq(ival(row, "churn"), w->churn);
  ck_assert_int_eq(ival(row, "reactivation"), w->reactivation);
  ck_assert_int_eq(ival(row, "ending_mrr"), w->ending);
  ck_assert_int_eq(ival(row, "customers_at_start"), w->at_start);
  ck_assert_int_eq(ival(row, "churned_customers"), w->churned);
}

/* Units u1; products a1, a2 (family A, tiers 1 and 2) and b1 (family B). T = 2025-06-15
 * with June lines, so M = 2025-06; the first line is in 2025-01.
 *
 *        Jan        Feb        Mar   Apr            May              Jun
 *   c1   a1 100     a1 150     —     a1 120         a1 120, b1 30    a1 120, b1 30
 *   c2   a1 200     a2 260     —     —              —                —
 *   c3   —          a1 80      —     a1 80          a1 60, b1 100    a1 60, b1 90
 *   c4   —          —          —     a1 100, b1 0   a1 150, b1 20    a1 150, b1 20
 *   c5   —          —          —     —              —                a1 0
 *   c6   (no lines)
 */
static void movements_fixture(void)
{
  snap.today = day(2025, 6, 15);
  ltvd_an_add_unit(&snap, "u1");
  ltvd_an_add_product(&snap, "a1", "u1", "A", 1, 100, NAN);
  ltvd_an_add_product(&snap, "a2", "u1", "A", 2, 200, NAN);
  ltvd_an_add_product(&snap, "b1", "u1", "B", 1, 50, NAN);
  int32_t c1 = customer(1), c2 = customer(2), c3 = customer(3), c4 = customer(4), c5 = customer(5);
  customer(6);
  line(c1, 2025, 1, "a1", 100), line(c1, 2025, 2, "a1", 150), line(c1, 2025, 4, "a1", 120);
  line(c1, 2025, 5, "a1", 120), line(c1, 2025, 5, "b1", 30);
  line(c1, 2025, 6, "b1", 30), line(c1, 2025, 6, "a1", 120);
  line(c2, 2025, 1, "a1", 200), line(c2, 2025, 2, "a2", 260);
  line(c3, 2025, 2, "a1", 80), line(c3, 2025, 4, "a1", 80);
  line(c3, 2025, 5, "a1", 60), line(c3, 2025, 5, "b1", 100);
  line(c3, 2025, 6, "a1", 60), line(c3, 2025, 6, "b1", 90);
  line(c4, 2025, 4, "a1", 100), line(c4, 2025, 4, "b1", 0);
  line(c4, 2025, 5, "a1", 150), line(c4, 2025, 5, "b1", 20);
  line(c4, 2025, 6, "a1", 150), line(c4, 2025, 6, "b1", 20);
  line(c5, 2025, 6, "a1", 0);
  run();
}

/* Jan, the first month: December has no line, so p = 0 for all: c1, c2 new (never had
 * MRR before). starting 0, new 300, ending 300; nobody at start: logo_churn, nrr, grr
 * null; arpa = 300 / 2 payers = 150. */
START_TEST(first_month_is_all_new)
{
  movements_fixture();
  json_t *rows = ltvd_an_movements_rows(&res);
  ck_assert_uint_eq(json_array_size(rows), 6);
  json_t *r = json_array_get(rows, 0);
  check_moves(r, &(struct moves){"2025-01", 0, 300, 0, 0, 0, 0, 0, 0, 300, 0, 0});
  ck_assert(is_null(r, "logo_churn"));
  ck_assert(is_null(r, "nrr"));
  ck_assert(is_null(r, "grr"));
  ck_near(rval(r, "arpa"), 150);
  json_decref(rows);
}
END_TEST

/* Feb: c1 100 → 150: expansion 50 inside family A (A had 100 in Jan, B has no line in
 * Feb): cross_sell min(50, 0) = 0, upsell 50. c2 a1 200 → a2 260: expansion 60, same
 * family: upsell 60. c3 0 → 80, never had MRR: new 80.
 * starting 300, new 80, expansion 110 = upsell 110, ending 150 + 260 + 80 = 490
 * (= 300 + 80 + 110). at start c1, c2: 2, none churned: logo_churn 0/2 = 0;
 * arpa 490/3; nrr (300 + 110)/300; grr (300 − 0 − 0)/300 = 1.
 * Mar has no line at all: every p > 0 churns: 150 + 260 + 80 = 490, 3 customers,
 * logo_churn 3/3 = 1, ending 0 so arpa null (no payer), nrr = grr = (490 − 490)/490 = 0. */
START_TEST(upsell_within_a_family_then_a_month_without_lines)
{
  movements_fixture();
  json_t *rows = ltvd_an_movements_rows(&res);
  json_t *feb = json_array_get(rows, 1), *mar = json_array_get(rows, 2);
  check_moves(feb, &(struct moves){"2025-02", 300, 80, 110, 110, 0, 0, 0, 0, 490, 2, 0});
  ck_near(rval(feb, "logo_churn"), 0);
  ck_near(rval(feb, "arpa"), 490.0 / 3);
  ck_near(rval(feb, "nrr"), 410.0 / 300);
  ck_near(rval(feb, "grr"), 1);
  check_moves(mar, &(struct moves){"2025-03", 490, 0, 0, 0, 0, 0, 490, 0, 0, 3, 3});
  ck_near(rval(mar, "logo_churn"), 1);
  ck_assert(is_null(mar, "arpa"));
  ck_near(rval(mar, "nrr"), 0);
  ck_near(rval(mar, "grr"), 0);
  json_decref(rows);
}
END_TEST

/* Apr: c1 (had 150 in Feb) 0 → 120 and c3 (had 80) 0 → 80 come back: reactivation
 * 200, not new; c4 0 → 100 (and a b1 line of 0) is new: 100. c2 stays gone. starting 0,
 * ending 300, nobody at start (ratios null), arpa 300/3 = 100. */
START_TEST(churn_then_reactivation_is_not_new)
{
  movements_fixture();
  json_t *rows = ltvd_an_movements_rows(&res);
  json_t *apr = json_array_get(rows, 3);
  check_moves(apr, &(struct moves){"2025-04", 0, 100, 0, 0, 0, 0, 0, 200, 300, 0, 0});
  ck_assert(is_null(apr, "logo_churn"));
  ck_assert(is_null(apr, "nrr"));
  ck_assert(is_null(apr, "grr"));
  ck_near(rval(apr, "arpa"), 100);
  json_decref(rows);
}
END_TEST

/* May, families new since April (their April lines sum to 0, or none):
 *   c1 120 → 150: q − p = 30; B new with 30: cross_sell min(30, 30) = 30, upsell 0;
 *   c3 80 → 160 (A 80 → 60, B 0 → 100): net q − p = 80; B new with 100:
 *      cross_sell min(80, 100) = 80, upsell 0 (the −20 of A nets against B);
 *   c4 100 → 170 (A 100 → 150, B 0 (a line of 0) → 20): q − p = 70; B new with 20:
 *      cross_sell 20, upsell 50.
 * starting 300, expansion 180 = upsell 50 + cross_sell 130, ending 480; 3 at start,
 * none churned: logo_churn 0; arpa 480/3 = 160; nrr 480/300 = 1.6; grr 1.
 * Jun: c3 160 → 150: contraction 10; c5's line of 0 moves nothing. starting 480,
 * ending 470, arpa 470/3, nrr = grr = 470/480. */
START_TEST(cross_sell_and_upsell_split_on_net_expansion)
{
  movements_fixture();
  json_t *rows = ltvd_an_movements_rows(&res);
  json_t *may = json_array_get(rows, 4), *jun = json_array_get(rows, 5);
  check_moves(may, &(struct moves){"2025-05", 300, 0, 180, 50, 130, 0, 0, 0, 480, 3, 0});
  ck_near(rval(may, "logo_churn"), 0);
  ck_near(rval(may, "arpa"), 160);
  ck_near(rval(may, "nrr"), 1.6);
  ck_near(rval(may, "grr"), 1);
  check_moves(jun, &(struct moves){"2025-06", 480, 0, 0, 0, 0, 10, 0, 0, 470, 3, 0});
  ck_near(rval(jun, "arpa"), 470.0 / 3);
  ck_near(rval(jun, "nrr"), 470.0 / 480);
  ck_near(rval(jun, "grr"), 470.0 / 480);
  json_decref(rows);
}
END_TEST

/* Summary of the same data: mrr = Σ MRR(Jun) = 470, arr 5640, arpa 470/3; no MRR in
 * 2024-06, so nrr_12m null; churn over Apr..Jun 0 ≤ 0.3 × new 100 and nrr_12m null:
 * balanced. */
START_TEST(summary_without_a_year_of_history_is_balanced)
{
  movements_fixture();
  json_t *doc = ltvd_an_mrr_summary(&res);
  ck_assert_str_eq(sval(doc, "month"), "2025-06");
  ck_assert_int_eq(ival(doc, "mrr"), 470);
  ck_assert_int_eq(ival(doc, "arr"), 5640);
  ck_near(rval(doc, "arpa"), 470.0 / 3);
  ck_assert(is_null(doc, "nrr_12m"));
  ck_assert_str_eq(sval(doc, "recommendation"), "balanced");
  json_decref(doc);
}
END_TEST

static void one_product(void)
{
  snap.today = day(2025, 6, 10); /* with June lines: M = 2025-06, M − 12 = 2024-06 */
  ltvd_an_add_unit(&snap, "u1");
  ltvd_an_add_product(&snap, "a1", "u1", "A", 1, 100, NAN);
}

/* c1: 2024-06 100, 2025-04 100 (a reactivation, not new), none in May: churn 100 in May.
 * c2: 2025-06 300, new. Over Apr..Jun churn 100 > 0.3 × new 300 = 90: retention_first.
 * mrr 300, arpa 300/1; nrr_12m = MRR(Jun 25) of c1 (0) / MRR(Jun 24) 100 = 0. */
START_TEST(summary_retention_first)
{
  one_product();
  int32_t c1 = customer(1), c2 = customer(2);
  line(c1, 2024, 6, "a1", 100), line(c1, 2025, 4, "a1", 100), line(c2, 2025, 6, "a1", 300);
  run();
  json_t *doc = ltvd_an_mrr_summary(&res);
  ck_assert_int_eq(ival(doc, "mrr"), 300);
  ck_assert_int_eq(ival(doc, "arr"), 3600);
  ck_near(rval(doc, "arpa"), 300);
  ck_near(rval(doc, "nrr_12m"), 0);
  ck_assert_str_eq(sval(doc, "recommendation"), "retention_first");
  json_decref(doc);
}
END_TEST

/* c1: 2024-06 100, 2025-06 90. c2: 2025-03 30 (new before the window), Apr 30, none in
 * May: churn 30 in May. c3: 2025-04 100 (new), May 100, Jun 100. Over Apr..Jun churn
 * 30 = 0.3 × new 100 exactly, not more; nrr_12m = 90 / 100 = 0.9 < 1: expansion_first.
 * mrr 90 + 100 = 190, arpa 190/2 = 95. */
START_TEST(summary_expansion_first_at_the_churn_boundary)
{
  one_product();
  int32_t c1 = customer(1), c2 = customer(2), c3 = customer(3);
  line(c1, 2024, 6, "a1", 100), line(c1, 2025, 6, "a1", 90);
  line(c2, 2025, 3, "a1", 30), line(c2, 2025, 4, "a1", 30);
  line(c3, 2025, 4, "a1", 100), line(c3, 2025, 5, "a1", 100), line(c3, 2025, 6, "a1", 100);
  run();
  json_t *doc = ltvd_an_mrr_summary(&res);
  ck_assert_int_eq(ival(doc, "mrr"), 190);
  ck_near(rval(doc, "arpa"), 95);
  ck_near(rval(doc, "nrr_12m"), 0.9);
  ck_assert_str_eq(sval(doc, "recommendation"), "expansion_first");
  json_decref(doc);
}
END_TEST

/* c1: 2024-06 100 and 2025-06 100 (a reactivation in June: no churn in Apr..Jun, no
 * new): 0 > 0 is false; nrr_12m = 100/100 = 1, not < 1: balanced. */
START_TEST(summary_balanced_at_nrr_one)
{
  one_product();
  int32_t c1 = customer(1);
  line(c1, 2024, 6, "a1", 100), line(c1, 2025, 6, "a1", 100);
  run();
  json_t *doc = ltvd_an_mrr_summary(&res);
  ck_near(rval(doc, "nrr_12m"), 1);
  ck_assert_str_eq(sval(doc, "recommendation"), "balanced");
  json_t *rows = ltvd_an_movements_rows(&res);
  ck_assert_uint_eq(json_array_size(rows), 13); /* 2024-06 … 2025-06 */
  check_moves(json_array_get(rows, 1),
              &(struct moves){"2024-07", 100, 0, 0, 0, 0, 0, 100, 0, 0, 1, 1});
  check_moves(json_array_get(rows, 12),
              &(struct moves){"2025-06", 0, 0, 0, 0, 0, 0, 0, 100, 100, 0, 0});
  json_decref(rows);
  json_decref(doc);
}
END_TEST

/* No MRR line at all: M is the month before T's; no movement row; the summary has 0
 * money, null ratios and is balanced. */
START_TEST(no_mrr_at_all)
{
  one_product();
  customer(1);
  run();
  json_t *rows = ltvd_an_movements_rows(&res);
  ck_assert_uint_eq(json_array_size(rows), 0);
  json_t *doc = ltvd_an_mrr_summary(&res);
  ck_assert_str_eq(sval(doc, "month"), "2025-05");
  ck_assert_int_eq(ival(doc, "mrr"), 0);
  ck_assert_int_eq(ival(doc, "arr"), 0);
  ck_assert(is_null(doc, "arpa"));
  ck_assert(is_null(doc, "nrr_12m"));
  ck_assert_str_eq(sval(doc, "recommendation"), "balanced");
  json_decref(rows);
  json_decref(doc);
}
END_TEST

/* A pseudo-random ledger (fixed seed): 300 customers over 2022-01 … 2025-06, 3 families
 * of 2 products, gaps, zero lines, family switches. Every month must satisfy
 * ending = starting + new + expansion + reactivation − contraction − churn,
 * expansion = upsell + cross_sell, starting(m) = ending(m − 1), and every figure must
 * equal a brute-force reading of SPEC 4.6 over a dense customer × month × family table. */
enum { RC = 300, RM = 42, RF = 3 };
static int64_t dense[RC][RM][RF];

static uint64_t rng_state = 12345;
static uint32_t rnd(uint32_t n)
{
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rng_state >> 33) % n;
}

START_TEST(movements_invariant_and_brute_force)
{
  static const char *keys[RF][2] = {{"a1", "a2"}, {"b1", "b2"}, {"c1", "c2"}};
  static const char *fams[RF] = {"A", "B", "C"};
  snap.today = day(2025, 6, 20);
  ltvd_an_add_unit(&snap, "u1");
  for (int f = 0; f < RF; f++)
    for (int t = 0; t < 2; t++)
      ltvd_an_add_product(&snap, keys[f][t], "u1", fams[f], t + 1, 100, NAN);
  memset(dense, 0, sizeof dense);
  for (int c = 0; c < RC; c++) {
    int32_t ci = customer(c + 1);
    bool on = rnd(3) == 0;
    for (int m = 0; m < RM; m++) {
      if (rnd(8) == 0)
        on = !on;
      if (!on)
        continue;
      for (int f = 0; f < RF; f++)
        for (int t = 0; t < 2; t++)
          if (rnd(4) == 0) {
            int64_t v = rnd(5) == 0 ? 0 : 10 * (int64_t)(1 + rnd(30));
            ltvd_an_add_mrr(&snap, ci, month(2022, 1) + m, product(keys[f][t]), v);
            dense[c][m][f] += v;
          }
    }
  }
  run();
  ck_assert_int_eq(snap.month, month(2025, 6));
  json_t *rows = ltvd_an_movements_rows(&res);
  int32_t m0 = snap.first_mrr_month - month(2022, 1);
  ck_assert_uint_eq(json_array_size(rows), (size_t)(RM - m0));
  int64_t before = 0;
  for (int m = m0; m < RM; m++) {
    struct moves w = {0};
    int64_t paying = 0;
    for (int c = 0; c < RC; c++) {
      int64_t p = 0, q = 0, x = 0;
      bool had = false;
      for (int k = 0; k < m; k++)
        for (int f = 0; f < RF; f++)
          had = had || dense[c][k][f] > 0;
      for (int f = 0; f < RF; f++) {
        p += m > 0 ? dense[c][m - 1][f] : 0;
        q += dense[c][m][f];
        if (m == 0 || dense[c][m - 1][f] == 0)
          x += dense[c][m][f];
      }
      w.starting += p, w.ending += q, w.at_start += p > 0, paying += q > 0;
      if (p == 0 && q > 0)
        *(had ? &w.reactivation : &w.new_mrr) += q;
      if (p > 0 && q > p) {
        w.expansion += q - p;
        w.cross_sell += q - p < x ? q - p : x;
        w.upsell += q - p - (q - p < x ? q - p : x);
      }
      if (q > 0 && q < p)
        w.contraction += p - q;
      if (p > 0 && q == 0)
        w.churn += p, w.churned++;
    }
    json_t *r = json_array_get(rows, (size_t)(m - m0));
    char name[8];
    ltvd_an_format_month(month(2022, 1) + m, name);
    w.month = name;
    check_moves(r, &w);
    ck_assert_int_eq(w.ending, w.starting + w.new_mrr + w.expansion + w.reactivation -
                                   w.contraction - w.churn);
    ck_assert_int_eq(ival(r, "ending_mrr"), ival(r, "starting_mrr") + ival(r, "new") +
                                                ival(r, "expansion") + ival(r, "reactivation") -
                                                ival(r, "contraction") - ival(r, "churn"));
    ck_assert_int_eq(ival(r, "expansion"), ival(r, "upsell") + ival(r, "cross_sell"));
    ck_assert_int_eq(ival(r, "starting_mrr"), before);
    before = ival(r, "ending_mrr");
    if (paying > 0)
      ck_near(rval(r, "arpa"), (double)w.ending / (double)paying);
  }
  json_decref(rows);
}
END_TEST

/* ---- 4.5 lifecycle ------------------------------------------------------------- */

/* Units alpha, beta, gamma with products pa, pb, pg; loyal_threshold 3; T = 2025-06-15,
 * M = 2025-06; "recent" purchases are on or after T − 365 + 1 = 2024-06-16.
 *   c1: pa MRR 10 in Apr, May, Jun 2025; pb purchase 2025-01-10.
 *       alpha k = 3 ≥ 3, active (MRR in M): loyal. beta k = 1, recent: first_purchase.
 *       overall k = 1 + 3 = 4, active: loyal.
 *   c2: pa purchases 2023-01-01, 2023-06-01; pb MRR 5 in May 2025; pb purchase
 *       2024-06-16 (the first recent day).
 *       alpha k = 2, not active: dormant. beta k = 1 + 1 = 2, active: repeat.
 *       overall k = 3 + 1 = 4, active (the recent purchase): loyal.
 *   c3: pb purchase 2024-06-15 (one day too old); a purchase without product 2025-06-01.
 *       beta k = 1, not active: dormant; alpha prospect. overall k = 2, active: repeat.
 *   c4: a pa line of 0 in June and an open deal: prospect everywhere.
 *   c5: in June pa 0 and pb 7; a won recurring pa deal (a booking, not a purchase).
 *       alpha k = 0: prospect. beta k = 1 (the month), active: first_purchase.
 *       overall k = 1, active: first_purchase.
 *   c6: pa MRR 20 in Jan and Feb 2023: alpha k = 2, not active: dormant; overall dormant.
 * alpha: prospect 3 (c3, c4, c5), loyal 1 (c1), dormant 2 (c2, c6).
 * beta: prospect 2 (c4, c6), first_purchase 2 (c1, c5), repeat 1 (c2), dormant 1 (c3).
 * gamma: prospect 6. overall: prospect 1, first_purchase 1, repeat 1, loyal 2, dormant 1.
 * Active in: c1 alpha + beta; c2 beta; c5 beta. Cross-usage alpha·alpha 1, alpha·beta 1,
 * beta·alpha 1, beta·beta 3, every pair with gamma 0. */
static void lifecycle_fixture(void)
{
  snap.today = day(2025, 6, 15);
  snap.settings.loyal_threshold = 3;
  ltvd_an_add_unit(&snap, "alpha");
  ltvd_an_add_unit(&snap, "beta");
  ltvd_an_add_unit(&snap, "gamma");
  ltvd_an_add_product(&snap, "pa", "alpha", "FA", 1, 10, NAN);
  ltvd_an_add_product(&snap, "pb", "beta", "FB", 1, 10, NAN);
  ltvd_an_add_product(&snap, "pg", "gamma", "FG", 1, 10, NAN);
  sales_pipeline();
  int32_t c1 = customer(1), c2 = customer(2), c3 = customer(3), c4 = customer(4), c5 = customer(5),
          c6 = customer(6);
  line(c1, 2025, 4, "pa", 10), line(c1, 2025, 5, "pa", 10), line(c1, 2025, 6, "pa", 10);
  purchase(c1, "pb", day(2025, 1, 10), 500);
  purchase(c2, "pa", day(2023, 1, 1), 100);
  purchase(c2, "pa", day(2023, 6, 1), 100);
  line(c2, 2025, 5, "pb", 5);
  purchase(c2, "pb", day(2024, 6, 16), 100);
  purchase(c3, "pb", day(2024, 6, 15), 100);
  purchase(c3, NULL, day(2025, 6, 1), 100);
  line(c4, 2025, 6, "pa", 0);
  deal(c4, "nb", "lead", "pa", false, 1000, day(2025, 6, 1), LTVD_AN_NO_DAY, LTVD_AN_NO_DAY);
  line(c5, 2025, 6, "pa", 0), line(c5, 2025, 6, "pb", 7);
  deal(c5, "nb", "won", "pa", true, 900, day(2025, 6, 2), day(2025, 6, 2), LTVD_AN_NO_DAY);
  line(c6, 2023, 1, "pa", 20), line(c6, 2023, 2, "pa", 20);
  run();
}

static void check_counts(const json_t *counts, int64_t prospect, int64_t first, int64_t repeat,
                         int64_t loyal, int64_t dormant)
{
  ck_assert_uint_eq(json_object_size(counts), 5);
  ck_assert_int_eq(ival(counts, "prospect"), prospect);
  ck_assert_int_eq(ival(counts, "first_purchase"), first);
  ck_assert_int_eq(ival(counts, "repeat"), repeat);
  ck_assert_int_eq(ival(counts, "loyal"), loyal);
  ck_assert_int_eq(ival(counts, "dormant"), dormant);
}

START_TEST(phases_per_unit_and_overall)
{
  lifecycle_fixture();
  static const int want_unit[6][3] = {
      {LTVD_AN_LOYAL, LTVD_AN_FIRST_PURCHASE, LTVD_AN_PROSPECT},
      {LTVD_AN_DORMANT, LTVD_AN_REPEAT, LTVD_AN_PROSPECT},
      {LTVD_AN_PROSPECT, LTVD_AN_DORMANT, LTVD_AN_PROSPECT},
      {LTVD_AN_PROSPECT, LTVD_AN_PROSPECT, LTVD_AN_PROSPECT},
      {LTVD_AN_PROSPECT, LTVD_AN_FIRST_PURCHASE, LTVD_AN_PROSPECT},
      {LTVD_AN_DORMANT, LTVD_AN_PROSPECT, LTVD_AN_PROSPECT},
  };
  static const int want_overall[6] = {LTVD_AN_LOYAL,    LTVD_AN_LOYAL,          LTVD_AN_REPEAT,
                                      LTVD_AN_PROSPECT, LTVD_AN_FIRST_PURCHASE, LTVD_AN_DORMANT};
  static const uint8_t want_active[6][3] = {{1, 1, 0}, {0, 1, 0}, {0, 0, 0},
                                            {0, 0, 0}, {0, 1, 0}, {0, 0, 0}};
  for (int i = 0; i < 6; i++) {
    for (int u = 0; u < 3; u++) {
      ck_assert_msg(res.phase_unit[i * 3 + u] == want_unit[i][u], "c%d unit %d: %s", i + 1, u,
                    ltvd_an_phase_name(res.phase_unit[i * 3 + u]));
      ck_assert_int_eq(res.active_unit[i * 3 + u], want_active[i][u]);
    }
    ck_assert_msg(res.c[i].phase == want_overall[i], "c%d overall: %s", i + 1,
                  ltvd_an_phase_name(res.c[i].phase));
  }
}
END_TEST

START_TEST(lifecycle_document_counts_every_phase_and_pair)
{
  lifecycle_fixture();
  json_t *doc = ltvd_an_lifecycle_doc(&res);
  json_t *by = get(doc, "by_business_unit");
  ck_assert_uint_eq(json_object_size(by), 3);
  check_counts(get(by, "alpha"), 3, 0, 0, 1, 2);
  check_counts(get(by, "beta"), 2, 2, 1, 0, 1);
  check_counts(get(by, "gamma"), 6, 0, 0, 0, 0);
  check_counts(get(doc, "overall"), 1, 1, 1, 2, 1);
  static const struct {
    const char *a, *b;
    int64_t n;
  } want[] = {{"alpha", "alpha", 1}, {"alpha", "beta", 1}, {"alpha", "gamma", 0},
              {"beta", "alpha", 1},  {"beta", "beta", 3},  {"beta", "gamma", 0},
              {"gamma", "alpha", 0}, {"gamma", "beta", 0}, {"gamma", "gamma", 0}};
  json_t *cross = get(doc, "cross_usage");
  ck_assert_uint_eq(json_array_size(cross), 9);
  for (size_t i = 0; i < 9; i++) {
    json_t *r = json_array_get(cross, i);
    ck_assert_str_eq(sval(r, "a"), want[i].a);
    ck_assert_str_eq(sval(r, "b"), want[i].b);
    ck_assert_int_eq(ival(r, "customers"), want[i].n);
  }
  json_decref(doc);
}
END_TEST

/* No unit, no customer: every overall phase present with 0, empty unit map and pairs. */
START_TEST(lifecycle_of_nothing)
{
  snap.today = day(2025, 6, 15);
  run();
  json_t *doc = ltvd_an_lifecycle_doc(&res);
  ck_assert_uint_eq(json_object_size(get(doc, "by_business_unit")), 0);
  check_counts(get(doc, "overall"), 0, 0, 0, 0, 0);
  ck_assert_uint_eq(json_array_size(get(doc, "cross_usage")), 0);
  json_decref(doc);
}
END_TEST

/* ---- 4.2 cohort curves --------------------------------------------------------- */

/* T = 2025-07-03 with no July line: M = 2025-06.
 *   c1: purchase 2025-01-20 1000 (f = Jan, cohort 2025-Q1); MRR Feb, Mar, Apr 100;
 *       purchase 2025-06-10 500; purchase 2025-07-01 9999 (after M: outside the curves).
 *       By month from Jan: 1000, 100, 100, 100, 0, 500; cumulative 1000, 1100, 1200,
 *       1300, 1300, 1800.
 *   c2: MRR 200 in Mar … Jun 2025 (f = Mar, later than its cohort's first month Jan).
 *       For k = 0 … 5 (M − Jan = 5): up to min(Mar + k, Jun): 200, 400, 600, 800, 800, 800.
 *   2025-Q1 mean: 600, 750, 900, 1050, 1050, 1300.
 *   c3: a line of 0 in 2024-10; purchase 2024-11-05 300 (f = Nov, cohort 2024-Q4, first
 *       month Oct, k = 0 … 8); MRR 50 in Dec 2024 and Jan 2025: 300, 350, 400, then 400
 *       up to k = 8 (min(Nov + 8, Jun) = Jun).
 *   c4: a prospect: in no cohort.
 *   c5: only purchase 2025-07-02: cohort 2025-Q3, whose first month is after M: listed
 *       with 1 customer and no offsets. */
START_TEST(cohort_curves)
{
  snap.today = day(2025, 7, 3);
  ltvd_an_add_unit(&snap, "u1");
  ltvd_an_add_product(&snap, "a1", "u1", "A", 1, 100, NAN);
  sales_pipeline();
  int32_t c1 = customer(1), c2 = customer(2), c3 = customer(3), c5;
  customer(4);
  c5 = customer(5);
  purchase(c1, "a1", day(2025, 1, 20), 1000);
  line(c1, 2025, 2, "a1", 100), line(c1, 2025, 3, "a1", 100), line(c1, 2025, 4, "a1", 100);
  purchase(c1, NULL, day(2025, 6, 10), 500);
  purchase(c1, "a1", day(2025, 7, 1), 9999);
  for (int m = 3; m <= 6; m++)
    line(c2, 2025, m, "a1", 200);
  line(c3, 2024, 10, "a1", 0);
  purchase(c3, "a1", day(2024, 11, 5), 300);
  line(c3, 2024, 12, "a1", 50), line(c3, 2025, 1, "a1", 50);
  purchase(c5, "a1", day(2025, 7, 2), 70);
  run();
  ck_assert_int_eq(snap.month, month(2025, 6));

  json_t *rows = ltvd_an_cohorts_rows(&res);
  ck_assert_uint_eq(json_array_size(rows), 3);
  static const double q4[] = {300, 350, 400, 400, 400, 400, 400, 400, 400};
  static const double q1[] = {600, 750, 900, 1050, 1050, 1300};
  json_t *r = json_array_get(rows, 0);
  ck_assert_str_eq(sval(r, "cohort"), "2024-Q4");
  ck_assert_int_eq(ival(r, "customers"), 1);
  json_t *curve = get(r, "revenue_per_customer");
  ck_assert_uint_eq(json_array_size(curve), 9);
  for (size_t k = 0; k < 9; k++)
    ck_near(json_real_value(json_array_get(curve, k)), q4[k]);
  r = json_array_get(rows, 1);
  ck_assert_str_eq(sval(r, "cohort"), "2025-Q1");
  ck_assert_int_eq(ival(r, "customers"), 2);
  curve = get(r, "revenue_per_customer");
  ck_assert_uint_eq(json_array_size(curve), 6);
  for (size_t k = 0; k < 6; k++) {
    ck_assert(json_is_real(json_array_get(curve, k)));
    ck_near(json_real_value(json_array_get(curve, k)), q1[k]);
  }
  r = json_array_get(rows, 2);
  ck_assert_str_eq(sval(r, "cohort"), "2025-Q3");
  ck_assert_int_eq(ival(r, "customers"), 1);
  ck_assert_uint_eq(json_array_size(get(r, "revenue_per_customer")), 0);
  json_decref(rows);
}
END_TEST

/* ---- 4.7 pipelines ------------------------------------------------------------- */

/* T = 2025-06-15; closed in the last 12 months: 2024-06-16 … 2025-06-15. Pipelines "nb"
 * (lead 0.1, proposal 0.5, won, lost) and "ren" (no deal).
 * Open: d1 lead 1000 exp 2025-08-20; d2 proposal 2000 exp 2025-07-01; d3 lead 500, no
 *   expected date; d4 proposal 300 exp 2025-08-31.
 *   lead: 2 deals, 1500, weighted 150; proposal: 2, 2300, weighted 1150.
 *   forecast: 2025-07 2000 × 0.5 = 1000; 2025-08 1000 × 0.1 + 300 × 0.5 = 250;
 *   unscheduled 500 × 0.1 = 50.
 * Closed: d5 won, created 01-01, lead 01-01 00:00, proposal 01-11 12:00, won 02-01:
 *   31 days to close; d6 won, created and closed 2025-03-01, history only its creation
 *   entry (won); d7 lost, lead 04-01 06:00, proposal 04-03 06:00, lead 04-04 18:00, lost
 *   04-10 00:00; d8 won, closed 2024-06-15 (too old: excluded); d9 lost, created
 *   2024-06-10, lead 06-10, lost 2024-06-16 (the oldest day kept); d10 won recurring,
 *   proposal 05-01, won 05-21: 20 days.
 *   won 3 (d5, d6, d10), lost 2 (d7, d9): win_rate 0.6; mean_days_to_close
 *   (31 + 0 + 20) / 3 = 17.
 *   lead: entered by d5, d7 (twice, counted once), d9 = 3, won 1: 1/3; stays
 *     10.5 (d5), 2 and 5.25 (d7), 6 (d9): 23.75 / 4 = 5.9375.
 *   proposal: d5, d7, d10 = 3, won 2: 2/3; stays 20.5, 1.5, 20: 42 / 3 = 14.
 *   won: d5, d6, d10 = 3, won 3: 1; no entry with a next one: null.
 *   lost: d7, d9 = 2, won 0: 0; null. */
START_TEST(pipeline_statistics)
{
  snap.today = day(2025, 6, 15);
  ltvd_an_add_unit(&snap, "u1");
  ltvd_an_add_product(&snap, "a1", "u1", "A", 1, 100, NAN);
  sales_pipeline();
  int ren = ltvd_an_add_pipeline(&snap, "ren", LTVD_AN_RENEWAL, 2);
  ltvd_an_add_stage(&snap, ren, "prep", 1, 0.5, LTVD_AN_OPEN);
  ltvd_an_add_stage(&snap, ren, "signed", 2, 1, LTVD_AN_WON);
  ltvd_an_add_stage(&snap, ren, "lost", 3, 0, LTVD_AN_LOST);
  int32_t c = customer(1);
  int32_t none = LTVD_AN_NO_DAY;
  deal(c, "nb", "lead", "a1", false, 1000, day(2025, 5, 1), none, day(2025, 8, 20));
  deal(c, "nb", "proposal", "a1", false, 2000, day(2025, 5, 1), none, day(2025, 7, 1));
  deal(c, "nb", "lead", NULL, false, 500, day(2025, 5, 1), none, none);
  deal(c, "nb", "proposal", "a1", false, 300, day(2025, 5, 1), none, day(2025, 8, 31));
  int64_t d5 = deal(c, "nb", "won", "a1", false, 10, day(2025, 1, 1), day(2025, 2, 1), none);
  history(d5, "lead", at(2025, 1, 1, 0, 0));
  history(d5, "proposal", at(2025, 1, 11, 12, 0));
  history(d5, "won", at(2025, 2, 1, 0, 0));
  int64_t d6 = deal(c, "nb", "won", "a1", false, 10, day(2025, 3, 1), day(2025, 3, 1), none);
  history(d6, "won", at(2025, 3, 1, 9, 30));
  int64_t d7 = deal(c, "nb", "lost", "a1", false, 10, day(2025, 4, 1), day(2025, 4, 10), none);
  history(d7, "lost", at(2025, 4, 10, 0, 0)); /* added out of order: finish sorts by time */
  history(d7, "lead", at(2025, 4, 1, 6, 0));
  history(d7, "proposal", at(2025, 4, 3, 6, 0));
  history(d7, "lead", at(2025, 4, 4, 18, 0));
  int64_t d8 = deal(c, "nb", "won", "a1", false, 10, day(2024, 6, 1), day(2024, 6, 15), none);
  history(d8, "lead", at(2024, 6, 1, 0, 0));
  history(d8, "won", at(2024, 6, 15, 0, 0));
  int64_t d9 = deal(c, "nb", "lost", "a1", false, 10, day(2024, 6, 10), day(2024, 6, 16), none);
  history(d9, "lead", at(2024, 6, 10, 0, 0));
  history(d9, "lost", at(2024, 6, 16, 0, 0));
  int64_t d10 = deal(c, "nb", "won", "a1", true, 10, day(2025, 5, 1), day(2025, 5, 21), none);
  history(d10, "proposal", at(2025, 5, 1, 0, 0));
  history(d10, "won", at(2025, 5, 21, 0, 0));
  run();

  json_t *rows = ltvd_an_pipelines_rows(&res);
  ck_assert_uint_eq(json_array_size(rows), 2);
  json_t *nb = json_array_get(rows, 0);
  ck_assert_str_eq(sval(nb, "pipeline"), "nb");
  ck_assert_str_eq(sval(nb, "kind"), "new_business");
  ck_assert_int_eq(ival(nb, "won"), 3);
  ck_assert_int_eq(ival(nb, "lost"), 2);
  ck_near(rval(nb, "win_rate"), 0.6);
  ck_near(rval(nb, "mean_days_to_close"), 17);

  static const struct {
    const char *stage;
    int64_t open, amount;
    double weighted, prob;
    int64_t entered;
    double win, days; /* NAN: null */
  } want[] = {{"lead", 2, 1500, 150, 0.1, 3, 1.0 / 3, 5.9375},
              {"proposal", 2, 2300, 1150, 0.5, 3, 2.0 / 3, 14},
              {"won", 0, 0, 0, 1, 3, 1, NAN},
              {"lost", 0, 0, 0, 0, 2, 0, NAN}};
  json_t *stages = get(nb, "stages");
  ck_assert_uint_eq(json_array_size(stages), 4);
  for (size_t k = 0; k < 4; k++) {
    json_t *s = json_array_get(stages, k);
    ck_assert_str_eq(sval(s, "stage"), want[k].stage);
    ck_assert_int_eq(ival(s, "open_deals"), want[k].open);
    ck_assert_int_eq(ival(s, "amount"), want[k].amount);
    ck_near(rval(s, "weighted_amount"), want[k].weighted);
    ck_near(rval(s, "configured_probability"), want[k].prob);
    ck_assert_int_eq(ival(s, "closed_deals_entered"), want[k].entered);
    ck_near(rval(s, "observed_win_rate"), want[k].win);
    if (isnan(want[k].days))
      ck_assert(is_null(s, "mean_days_in_stage"));
    else
      ck_near(rval(s, "mean_days_in_stage"), want[k].days);
  }

  json_t *fc = get(nb, "forecast");
  ck_assert_uint_eq(json_array_size(fc), 3);
  ck_assert_str_eq(sval(json_array_get(fc, 0), "month"), "2025-07");
  ck_near(rval(json_array_get(fc, 0), "weighted_amount"), 1000);
  ck_assert_str_eq(sval(json_array_get(fc, 1), "month"), "2025-08");
  ck_near(rval(json_array_get(fc, 1), "weighted_amount"), 250);
  ck_assert_str_eq(sval(json_array_get(fc, 2), "month"), "unscheduled");
  ck_near(rval(json_array_get(fc, 2), "weighted_amount"), 50);

  /* "ren": nothing closed, nothing open: counts 0, ratios null, empty forecast */
  json_t *rn = json_array_get(rows, 1);
  ck_assert_str_eq(sval(rn, "pipeline"), "ren");
  ck_assert_str_eq(sval(rn, "kind"), "renewal");
  ck_assert_int_eq(ival(rn, "won"), 0);
  ck_assert_int_eq(ival(rn, "lost"), 0);
  ck_assert(is_null(rn, "win_rate"));
  ck_assert(is_null(rn, "mean_days_to_close"));
  json_t *prep = json_array_get(get(rn, "stages"), 0);
  ck_assert_str_eq(sval(prep, "stage"), "prep");
  ck_assert_int_eq(ival(prep, "open_deals"), 0);
  ck_near(rval(prep, "weighted_amount"), 0);
  ck_assert_int_eq(ival(prep, "closed_deals_entered"), 0);
  ck_assert(is_null(prep, "observed_win_rate"));
  ck_assert(is_null(prep, "mean_days_in_stage"));
  ck_assert_uint_eq(json_array_size(get(rn, "forecast")), 0);
  json_decref(rows);
}
END_TEST

/* 120 open deals over two pipelines: in "nb", deal i (0 … 79) expects month
 * 2025-01 + (7i mod 50) (every one of 50 months, in scrambled order), amount 10(i + 1), in
 * lead (0.1) when i is even, else proposal (0.5), and i = 80 … 99 have no expected date;
 * "xs" (upsell; stages o 0.25, w, l) holds 20 deals expecting 2026-01 + (i mod 40).
 * Every month is listed once, ascending, unscheduled last, each pipeline apart, with
 * Σ amount × probability recomputed here. */
START_TEST(forecast_over_many_months)
{
  snap.today = day(2025, 6, 15);
  sales_pipeline();
  int xs = ltvd_an_add_pipeline(&snap, "xs", LTVD_AN_UPSELL, 2);
  ltvd_an_add_stage(&snap, xs, "o", 1, 0.25, LTVD_AN_OPEN);
  ltvd_an_add_stage(&snap, xs, "w", 2, 1, LTVD_AN_WON);
  ltvd_an_add_stage(&snap, xs, "l", 3, 0, LTVD_AN_LOST);
  int32_t c = customer(1);
  double nb_month[50] = {0}, xs_month[40] = {0}, unscheduled = 0;
  for (int i = 0; i < 120; i++) {
    int64_t amount = 10 * (i + 1);
    if (i < 80) {
      int k = 7 * i % 50;
      nb_month[k] += (double)amount * (i % 2 ? 0.5 : 0.1);
      deal(c, "nb", i % 2 ? "proposal" : "lead", NULL, false, amount, day(2025, 1, 1),
           LTVD_AN_NO_DAY, ltvd_an_month_first(month(2025, 1) + k) + i % 28);
    } else if (i < 100) {
      unscheduled += (double)amount * (i % 2 ? 0.5 : 0.1);
      deal(c, "nb", i % 2 ? "proposal" : "lead", NULL, false, amount, day(2025, 1, 1),
           LTVD_AN_NO_DAY, LTVD_AN_NO_DAY);
    } else {
      xs_month[i % 40] += (double)amount * 0.25;
      deal(c, "xs", "o", NULL, false, amount, day(2025, 1, 1), LTVD_AN_NO_DAY,
           ltvd_an_month_first(month(2026, 1) + i % 40));
    }
  }
  run();
  json_t *rows = ltvd_an_pipelines_rows(&res);
  json_t *fc = get(json_array_get(rows, 0), "forecast");
  ck_assert_uint_eq(json_array_size(fc), 51);
  for (int k = 0; k < 50; k++) {
    char name[8];
    ltvd_an_format_month(month(2025, 1) + k, name);
    ck_assert_str_eq(sval(json_array_get(fc, (size_t)k), "month"), name);
    ck_near(rval(json_array_get(fc, (size_t)k), "weighted_amount"), nb_month[k]);
  }
  ck_assert_str_eq(sval(json_array_get(fc, 50), "month"), "unscheduled");
  ck_near(rval(json_array_get(fc, 50), "weighted_amount"), unscheduled);
  fc = get(json_array_get(rows, 1), "forecast");
  ck_assert_uint_eq(json_array_size(fc), 20); /* i = 100 … 119: i mod 40 = 20 … 39 */
  for (int k = 0; k < 20; k++) {
    char name[8];
    ltvd_an_format_month(month(2026, 1) + 20 + k, name);
    ck_assert_str_eq(sval(json_array_get(fc, (size_t)k), "month"), name);
    ck_near(rval(json_array_get(fc, (size_t)k), "weighted_amount"), xs_month[20 + k]);
  }
  json_decref(rows);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("lifecycle");
  TCase *mv = tcase_create("movements");
  tcase_add_checked_fixture(mv, setup, teardown);
  ADD(mv, first_month_is_all_new);
  ADD(mv, upsell_within_a_family_then_a_month_without_lines);
  ADD(mv, churn_then_reactivation_is_not_new);
  ADD(mv, cross_sell_and_upsell_split_on_net_expansion);
  ADD(mv, summary_without_a_year_of_history_is_balanced);
  ADD(mv, summary_retention_first);
  ADD(mv, summary_expansion_first_at_the_churn_boundary);
  ADD(mv, summary_balanced_at_nrr_one);
  ADD(mv, no_mrr_at_all);
  ADD(mv, movements_invariant_and_brute_force);
  tcase_set_timeout(mv, 60); /* the brute force under valgrind */
  suite_add_tcase(s, mv);

  TCase *lc = tcase_create("lifecycle");
  tcase_add_checked_fixture(lc, setup, teardown);
  ADD(lc, phases_per_unit_and_overall);
  ADD(lc, lifecycle_document_counts_every_phase_and_pair);
  ADD(lc, lifecycle_of_nothing);
  suite_add_tcase(s, lc);

  TCase *co = tcase_create("cohorts");
  tcase_add_checked_fixture(co, setup, teardown);
  ADD(co, cohort_curves);
  suite_add_tcase(s, co);

  TCase *pl = tcase_create("pipelines");
  tcase_add_checked_fixture(pl, setup, teardown);
  ADD(pl, pipeline_statistics);
  ADD(pl, forecast_over_many_months);
  suite_add_tcase(s, pl);
  return s;
}
