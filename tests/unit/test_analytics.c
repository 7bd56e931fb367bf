/* SPEC 4.1–4.4 on hand-built snapshots. Every expected number is worked out in the
 * comment beside it, and written as the same floating-point expression the SPEC text
 * gives, so the comparisons are exact. T is 2026-03-15 throughout: the last 365 days
 * start on 2025-03-16, the last 90 days on 2025-12-16. */
#include "an_fixture.h"
#include "unit.h"

#include <time.h>

#define W (0.3 + 0.3 + 0.2 + 0.2) /* the default weights' sum, in SPEC's order */

static const json_t *get(const json_t *o, const char *key)
{
  const json_t *v = json_object_get(o, key);
  ck_assert_msg(v != NULL, "no member %s", key);
  return v;
}

static double real(const json_t *o, const char *key)
{
  const json_t *v = get(o, key);
  ck_assert_msg(json_is_real(v), "%s is not a real", key);
  return json_real_value(v);
}

static int64_t integer(const json_t *o, const char *key)
{
  const json_t *v = get(o, key);
  ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
  return json_integer_value(v);
}

static bool boolean(const json_t *o, const char *key)
{
  const json_t *v = get(o, key);
  ck_assert_msg(json_is_boolean(v), "%s is not a boolean", key);
  return json_is_true(v);
}

static bool is_null(const json_t *o, const char *key)
{
  return json_is_null(get(o, key));
}

/* The row's segment is exactly {a: va} or {a: va, b: vb}, in that order. */
static void segment_is(const json_t *row, const char *a, const char *va, const char *b,
                       const char *vb)
{
  const json_t *seg = get(row, "segment");
  ck_assert_int_eq(json_object_size(seg), b == NULL ? 1 : 2);
  void *it = json_object_iter((json_t *) seg);
  ck_assert_str_eq(json_object_iter_key(it), a);
  ck_assert_str_eq(json_string_value(json_object_iter_value(it)), va);
  if (b == NULL)
    return;
  it = json_object_iter_next((json_t *) seg, it);
  ck_assert_str_eq(json_object_iter_key(it), b);
  ck_assert_str_eq(json_string_value(json_object_iter_value(it)), vb);
}

/* customers, paying_customers, active_customers, revenue_to_date */
static void counts_are(const json_t *row, int64_t customers, int64_t paying, int64_t active,
                       int64_t revenue)
{
  ck_assert_int_eq(integer(row, "customers"), customers);
  ck_assert_int_eq(integer(row, "paying_customers"), paying);
  ck_assert_int_eq(integer(row, "active_customers"), active);
  ck_assert_int_eq(integer(row, "revenue_to_date"), revenue);
}

static void json_is(json_t *got, json_t *want)
{
  char *g = json_dumps(got, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
  ck_assert_msg(json_equal(got, want), "got %s\nwant %s", g, w);
  free(g);
  free(w);
  json_decref(got);
  json_decref(want);
}

/* ---- 4.1 and 4.2 on one customer ---------------------------------------------------- */

/* One customer whose subscription never churned: both lifespans are infinite and capped. */
START_TEST(one_customer_that_never_churned)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "cloud");
  anf_product(&f, "c-std", "cloud", "compute", 1, 10000, 0.5);
  int32_t c = anf_customer(&f, 1, "retail", "web", 40);
  anf_purchase(&f, c, "2025-03-15", "c-std", 5000);
  anf_purchase(&f, c, "2026-01-10", NULL, 3000);
  anf_mrr(&f, c, "2026-01", "c-std", 10000);
  anf_mrr(&f, c, "2026-02", "c-std", 10000);
  anf_compute(&f);

  const struct ltvd_an_cmetrics *m = &f.r.c[c];
  ck_assert_int_eq(f.s.month, anf_month("2026-02")); /* no line in March: M = February */
  ck_assert(m->paying && m->active && !m->churned);
  ck_assert_int_eq(m->revenue_to_date, 28000);                    /* 5000 + 3000 + 2 × 10000 */
  ck_assert_int_eq(m->first_purchase_day, anf_day("2025-03-15")); /* before 2026-01-01 */
  ck_assert_int_eq(m->n_purchases, 2);
  ck_assert_int_eq(m->purchase_amount, 8000);
  ck_assert_double_eq(m->observed_years, 365 / 365.25); /* active: T − 2025-03-15 = 365 d */
  ck_assert_int_eq(m->mrr_m, 10000);
  ck_assert_double_eq(m->mrr_m_margin, 5000); /* 10000 × 0.5 */
  ck_assert_int_eq(m->churn_exposures, 1);    /* only m = 2026-02 has MRR(m − 1) > 0 */
  ck_assert_int_eq(m->churn_events, 0);
  ck_assert_int_eq(m->months_with_mrr, 2);
  ck_assert_int_eq(m->first_mrr_month, anf_month("2026-01"));
  ck_assert_int_eq(m->last_mrr_month, anf_month("2026-02"));
  ck_assert_int_eq(f.r.held[0], 1); /* compute, tier 1, by MRR in M and the recent purchase */
  ck_assert_int_eq(f.r.paid_unit[0], 1);
  ck_assert_int_eq(f.r.paid_family[0], 1);
  ck_assert(!m->has_nps);
  /* one paying customer: share 1/1 > 0.75 is bronze; alone it is the median of both
   * axes, so high on both: A */
  ck_assert_int_eq(m->tier, LTVD_AN_BRONZE);
  ck_assert_int_eq(m->quadrant, 0);
  ck_assert_double_eq(m->potential, 0); /* size 0 (one row), whitespace 0, engagement 0 */

  json_t *rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_ALL, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 1);
  const json_t *row = json_array_get(rows, 0);
  segment_is(row, "all", "all", NULL, NULL);
  counts_are(row, 1, 1, 1, 28000);
  const json_t *basic = get(row, "basic");
  ck_assert_double_eq(real(basic, "aov"), 4000); /* 8000 / 2 */
  double per_year = 2 / (365 / 365.25);          /* 2 / observed years */
  ck_assert_double_eq(real(basic, "purchases_per_year"), per_year);
  ck_assert_double_eq(real(basic, "lifespan_years"), 10); /* ∞, capped at 120/12 */
  ck_assert(boolean(basic, "lifespan_capped"));
  ck_assert_double_eq(real(basic, "ltv"), 4000.0 * per_year * 10);
  const json_t *sub = get(row, "subscription");
  ck_assert_double_eq(real(sub, "arpa"), 10000);
  ck_assert_double_eq(real(sub, "gross_margin"), 0.5);
  ck_assert_double_eq(real(sub, "monthly_churn"), 0);     /* 0 events / 1 exposure */
  ck_assert_double_eq(real(sub, "lifespan_months"), 120); /* 1/0 = ∞, capped */
  ck_assert(boolean(sub, "lifespan_capped"));
  ck_assert_double_eq(real(sub, "ltv"), 10000 * 0.5 * 120);
  ck_assert_double_eq(real(get(row, "cohort"), "revenue_per_customer"), 28000);
  ck_assert(is_null(row, "predicted_clv"));
  json_decref(rows);

  /* concentration with fewer than 5 or 10 customers takes all of them */
  json_t *tiers = ltvd_an_tiers_doc(&f.r);
  const json_t *conc = get(tiers, "concentration");
  ck_assert_double_eq(real(conc, "top1"), 1);
  ck_assert_double_eq(real(conc, "top5"), 1);
  ck_assert_double_eq(real(conc, "top10"), 1);
  const json_t *bronze = json_array_get(get(tiers, "tiers"), 3);
  ck_assert_str_eq(json_string_value(get(bronze, "tier")), "bronze");
  ck_assert_int_eq(integer(bronze, "customers"), 1);
  ck_assert_int_eq(integer(bronze, "revenue_to_date"), 28000);
  ck_assert_double_eq(real(bronze, "revenue_share"), 1);
  const json_t *gold = json_array_get(get(tiers, "tiers"), 1);
  ck_assert_int_eq(integer(gold, "customers"), 0);
  ck_assert_double_eq(real(gold, "revenue_share"), 0);
  json_decref(tiers);
  anf_free(&f);
}
END_TEST

/* A subscription that stops and comes back, one that stopped, and an old purchase. */
START_TEST(churn_and_reactivation)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "u");
  anf_product(&f, "p", "u", "fam", 1, 100, NAN); /* margin: the default 0.8 */
  int32_t c1 = anf_customer(&f, 1, "retail", "web", 10);
  int32_t c2 = anf_customer(&f, 2, "retail", "web", 10);
  int32_t c3 = anf_customer(&f, 3, "retail", "web", 10);
  /* c1: 100 in 2025-01..04, a gap in 05..07, 100 again in 2025-08..2026-02 */
  static const char *const c1_months[] = {"2025-01", "2025-02", "2025-03", "2025-04",
                                          "2025-08", "2025-09", "2025-10", "2025-11",
                                          "2025-12", "2026-01", "2026-02"};
  for (size_t i = 0; i < sizeof c1_months / sizeof *c1_months; i++)
    anf_mrr(&f, c1, c1_months[i], "p", 100);
  /* c2: 200 in 2025-06..09, then nothing */
  static const char *const c2_months[] = {"2025-06", "2025-07", "2025-08", "2025-09"};
  for (size_t i = 0; i < 4; i++)
    anf_mrr(&f, c2, c2_months[i], "p", 200);
  /* c3: one purchase more than 365 days ago */
  anf_purchase(&f, c3, "2024-01-10", NULL, 500);
  anf_compute(&f);

  const struct ltvd_an_cmetrics *m1 = &f.r.c[c1], *m2 = &f.r.c[c2], *m3 = &f.r.c[c3];
  /* c1, window m = 2025-03..2026-02: MRR(m − 1) > 0 for m − 1 in 2025-02..04 (3) and
   * 2025-08..2026-01 (6): 9 exposures; MRR(m) = 0 only for m = 2025-05: 1 event */
  ck_assert(m1->active && !m1->churned);
  ck_assert_int_eq(m1->churn_exposures, 9);
  ck_assert_int_eq(m1->churn_events, 1);
  ck_assert_int_eq(m1->months_with_mrr, 11);
  ck_assert_int_eq(m1->first_mrr_month, anf_month("2025-01"));
  ck_assert_int_eq(m1->last_mrr_month, anf_month("2026-02"));
  ck_assert_int_eq(m1->first_purchase_day, anf_day("2025-01-01"));
  ck_assert_int_eq(m1->revenue_to_date, 1100);
  ck_assert_double_eq(m1->observed_years, 438 / 365.25); /* 2025-01-01 → T: 438 days */
  /* c2: exposures for m − 1 = 2025-06..09 (4), event at m = 2025-10 (1); churned, its
   * end is 2025-09-30, 121 days after 2025-06-01 */
  ck_assert(m2->paying && !m2->active && m2->churned);
  ck_assert_int_eq(m2->churn_exposures, 4);
  ck_assert_int_eq(m2->churn_events, 1);
  ck_assert_double_eq(m2->observed_years, 121 / 365.25);
  ck_assert_int_eq(m2->revenue_to_date, 800);
  /* c3: dormant; 0 observed days floored at 1/12 */
  ck_assert(m3->paying && !m3->active && m3->churned);
  ck_assert_double_eq(m3->observed_years, 1.0 / 12);
  ck_assert_int_eq(f.r.held[c3], 0); /* no product, and too old anyway */

  json_t *rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_ALL, LTVD_AN_NONE);
  const json_t *row = json_array_get(rows, 0);
  counts_are(row, 3, 3, 1, 2400);
  const json_t *basic = get(row, "basic");
  double years = 438 / 365.25 + 121 / 365.25 + 1.0 / 12; /* in id order */
  ck_assert_double_eq(real(basic, "aov"), 500);          /* 500 / 1 */
  ck_assert_double_eq(real(basic, "purchases_per_year"), 1 / years);
  ck_assert_double_eq(real(basic, "lifespan_years"), years / 2); /* 2 churned, < 10 */
  ck_assert(!boolean(basic, "lifespan_capped"));
  ck_assert_double_eq(real(basic, "ltv"), 500.0 * (1 / years) * (years / 2));
  const json_t *sub = get(row, "subscription");
  ck_assert_double_eq(real(sub, "arpa"), 100); /* only c1 has MRR in M */
  ck_assert_double_eq(real(sub, "gross_margin"), 100 * 0.8 / 100);
  ck_assert_double_eq(real(sub, "monthly_churn"), 2.0 / 13); /* (1 + 1) / (9 + 4) */
  ck_assert_double_eq(real(sub, "lifespan_months"), 1 / (2.0 / 13));
  ck_assert(!boolean(sub, "lifespan_capped"));
  ck_assert_double_eq(real(sub, "ltv"), 100.0 * (100 * 0.8 / 100) * (1 / (2.0 / 13)));
  ck_assert_double_eq(real(get(row, "cohort"), "revenue_per_customer"), 2400.0 / 3);
  json_decref(rows);
  anf_free(&f);
}
END_TEST

/* M is T's month once it has a line (even one of 0), else the month before; lines after
 * M are ignored. */
START_TEST(reference_month)
{
  for (int variant = 0; variant < 3; variant++) {
    struct anf f;
    anf_init(&f, "2026-03-15");
    anf_unit(&f, "u");
    anf_product(&f, "p", "u", "fam", 1, 100, NAN);
    int32_t c1 = anf_customer(&f, 1, NULL, NULL, -1);
    int32_t c2 = anf_customer(&f, 2, NULL, NULL, -1);
    anf_mrr(&f, c1, "2026-02", "p", 100);
    anf_mrr(&f, c1, "2026-04", "p", 999); /* after M in every variant */
    if (variant == 1)
      anf_mrr(&f, c2, "2026-03", "p", 50);
    if (variant == 2)
      anf_mrr(&f, c2, "2026-03", "p", 0);
    anf_compute(&f);
    const struct ltvd_an_cmetrics *m1 = &f.r.c[c1], *m2 = &f.r.c[c2];
    ck_assert_int_eq(m1->revenue_to_date, 100); /* never the 999 */
    if (variant == 0) {
      ck_assert_int_eq(f.s.month, anf_month("2026-02"));
      ck_assert_int_eq(m1->mrr_m, 100);
      ck_assert(m1->active);
      ck_assert_int_eq(m1->churn_events, 0);
    } else {
      /* M = March: c1 has no MRR in M and no purchase, so it churned in March */
      ck_assert_int_eq(f.s.month, anf_month("2026-03"));
      ck_assert_int_eq(m1->mrr_m, 0);
      ck_assert(!m1->active && m1->churned);
      ck_assert_int_eq(m1->churn_exposures, 1);
      ck_assert_int_eq(m1->churn_events, 1);
      ck_assert_int_eq(m2->mrr_m, variant == 1 ? 50 : 0);
      ck_assert(m2->paying == (variant == 1)); /* a line of 0 makes nobody paying */
    }
    anf_free(&f);
  }
}
END_TEST

/* ---- 4.3 ------------------------------------------------------------------------ */

/* n = 20: position 1 is exactly 5 % (platinum), 2..4 up to 20 % (gold), 5..15 up to 75 %
 * (silver), 16..20 bronze. Customer k buys 1000·k, except customer 2 who buys 20000 like
 * customer 20 and goes first on the lower id. */
START_TEST(tiers_of_twenty)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  for (int k = 1; k <= 20; k++) {
    int32_t c = anf_customer(&f, k, NULL, NULL, -1);
    anf_purchase(&f, c, "2026-03-01", NULL, k == 2 ? 20000 : 1000 * k);
  }
  anf_compute(&f);
  ck_assert_int_eq(f.r.n_paying, 20);
  /* the order: 2, 20, 19, 18, 17, ..., 3, 1 */
  static const int64_t order[20] = {2,  20, 19, 18, 17, 16, 15, 14, 13, 12,
                                    11, 10, 9,  8,  7,  6,  5,  4,  3,  1};
  for (int i = 0; i < 20; i++)
    ck_assert_int_eq(f.s.customers[f.r.tier_order[i]].id, order[i]);
  for (int i = 0; i < 20; i++) {
    int want = i < 1    ? LTVD_AN_PLATINUM
               : i < 4  ? LTVD_AN_GOLD
               : i < 15 ? LTVD_AN_SILVER
                        : LTVD_AN_BRONZE;
    ck_assert_int_eq(f.r.c[f.r.tier_order[i]].tier, want);
  }

  /* platinum 20000; gold 20000 + 19000 + 18000 = 57000; silver 7..17 thousand = 132000;
   * bronze 6 + 5 + 4 + 3 + 1 thousand = 19000; total 228000 */
  json_t *doc = ltvd_an_tiers_doc(&f.r);
  static const int64_t count[4] = {1, 3, 11, 5}, revenue[4] = {20000, 57000, 132000, 19000};
  for (int t = 0; t < 4; t++) {
    const json_t *row = json_array_get(get(doc, "tiers"), (size_t) t);
    ck_assert_str_eq(json_string_value(get(row, "tier")), ltvd_an_tier_name(t));
    ck_assert_int_eq(integer(row, "customers"), count[t]);
    ck_assert_int_eq(integer(row, "revenue_to_date"), revenue[t]);
    ck_assert_double_eq(real(row, "revenue_share"), (double) revenue[t] / 228000);
  }
  const json_t *conc = get(doc, "concentration");
  ck_assert_double_eq(real(conc, "top1"), 20000.0 / 228000);
  ck_assert_double_eq(real(conc, "top5"), 94000.0 / 228000);   /* 20+20+19+18+17 */
  ck_assert_double_eq(real(conc, "top10"), 164000.0 / 228000); /* + 16+15+14+13+12 */
  json_decref(doc);

  /* by tier: byte order bronze, gold, platinum, silver */
  json_t *rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_TIER, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 4);
  segment_is(json_array_get(rows, 0), "tier", "bronze", NULL, NULL);
  segment_is(json_array_get(rows, 1), "tier", "gold", NULL, NULL);
  segment_is(json_array_get(rows, 2), "tier", "platinum", NULL, NULL);
  segment_is(json_array_get(rows, 3), "tier", "silver", NULL, NULL);
  counts_are(json_array_get(rows, 1), 3, 3, 3, 57000);
  json_decref(rows);
  anf_free(&f);
}
END_TEST

/* Nobody paying: empty tiers, null shares and thresholds; nobody at all: no rows. */
START_TEST(documents_without_paying_customers)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_customer(&f, 1, NULL, NULL, -1);
  anf_compute(&f);
  json_t *want = json_pack("{s:[{s:s, s:i, s:i, s:n}, {s:s, s:i, s:i, s:n}, {s:s, s:i, s:i, s:n},"
                           " {s:s, s:i, s:i, s:n}], s:{s:n, s:n, s:n}}",
                           "tiers", "tier", "platinum", "customers", 0, "revenue_to_date", 0,
                           "revenue_share", "tier", "gold", "customers", 0, "revenue_to_date", 0,
                           "revenue_share", "tier", "silver", "customers", 0, "revenue_to_date", 0,
                           "revenue_share", "tier", "bronze", "customers", 0, "revenue_to_date", 0,
                           "revenue_share", "concentration", "top1", "top5", "top10");
  json_is(ltvd_an_tiers_doc(&f.r), want);
  json_t *q = ltvd_an_quadrants_doc(&f.r);
  ck_assert(is_null(get(q, "thresholds"), "value"));
  ck_assert(is_null(get(q, "thresholds"), "potential"));
  ck_assert_int_eq(json_array_size(get(q, "quadrants")), 4);
  json_decref(q);
  anf_free(&f);

  /* no customer at all: no row on any axis */
  anf_init(&f, "2026-03-15");
  anf_compute(&f);
  for (int a = 0; a < LTVD_AN_AXES; a++) {
    json_t *rows = ltvd_an_ltv_rows(&f.r, a, a == LTVD_AN_AXIS_UNIT ? LTVD_AN_AXIS_FAMILY : -1);
    ck_assert_int_eq(json_array_size(rows), 0);
    json_decref(rows);
  }
  anf_free(&f);
}
END_TEST

/* ---- ranks ---------------------------------------------------------------------- */

START_TEST(percent_rank_and_percentile_cont)
{
  /* {30, 10, 20, 20}: ranks 4, 1, 2, 2 of 4 → (r − 1)/3 */
  double v[4] = {30, 10, 20, 20}, out[4];
  ltvd_an_percent_rank(v, 4, out);
  ck_assert_double_eq(out[0], 1);
  ck_assert_double_eq(out[1], 0);
  ck_assert_double_eq(out[2], 1.0 / 3);
  ck_assert_double_eq(out[3], 1.0 / 3);
  ltvd_an_percent_rank(v, 1, out); /* a single row ranks 0 */
  ck_assert_double_eq(out[0], 0);

  /* sorted {10, 20, 40}; p = 0.3: position 0.6 → 10 + 0.6 × (20 − 10) */
  double w[3] = {40, 10, 20};
  ck_assert_double_eq(ltvd_an_percentile_cont(w, 3, 0.3), 10 + (0.3 * 2) * (20 - 10));
  ck_assert_double_eq(ltvd_an_percentile_cont(w, 3, 0), 10);
  ck_assert_double_eq(ltvd_an_percentile_cont(w, 3, 1), 40);
  ck_assert_double_eq(ltvd_an_percentile_cont(w, 3, 0.5), 20); /* position 1 exactly */
  double x[4] = {4, 3, 2, 1};
  ck_assert_double_eq(ltvd_an_percentile_cont(x, 4, 0.5), 2.5); /* position 1.5 */
  ck_assert(isnan(ltvd_an_percentile_cont(x, 0, 0.5)));
}
END_TEST

/* ---- 4.4 ------------------------------------------------------------------------ */

/* Four paying customers, all holding the only family (whitespace 0):
 *        employees  signals in 90 d            usage   revenue
 *   c1   100        usage 1.7, web visit: 2     1       1000
 *   c2   100        usage 0.9 on T−90: 0        0       2000
 *   c3   300        usage 0.25: 1               0.25    3000
 *   c4   unknown    web visit on T−89: 1        0       4000
 * size: percent rank of {100, 100, 300} → 0, 0, 1; c4 0.
 * engagement: {2, 0, 1, 1} → c2 0, c3 and c4 1/3, c1 3/3. */
START_TEST(potential_and_quadrants)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "u");
  anf_product(&f, "p", "u", "fam", 1, 100, NAN);
  int32_t c[4];
  static const int64_t employees[4] = {100, 100, 300, -1};
  for (int i = 0; i < 4; i++) {
    c[i] = anf_customer(&f, i + 1, NULL, NULL, employees[i]);
    anf_purchase(&f, c[i], "2026-03-01", "p", 1000 * (i + 1));
  }
  anf_signal(&f, c[0], LTVD_AN_USAGE, "2026-03-01", 1.7, NULL);
  anf_signal(&f, c[0], LTVD_AN_WEB_VISIT, "2026-02-01", NAN, NULL);
  anf_signal(&f, c[1], LTVD_AN_USAGE, "2025-12-15", 0.9, NULL);
  anf_signal(&f, c[2], LTVD_AN_USAGE, "2026-01-01", 0.25, NULL);
  anf_signal(&f, c[3], LTVD_AN_WEB_VISIT, "2025-12-16", NAN, NULL);
  anf_compute(&f);

  const struct ltvd_an_cmetrics *m = f.r.c;
  ck_assert_int_eq(m[0].signals_90d, 2);
  ck_assert_int_eq(m[1].signals_90d, 0);
  ck_assert_int_eq(m[3].signals_90d, 1);
  ck_assert_double_eq(m[0].c_size, 0);
  ck_assert_double_eq(m[1].c_size, 0);
  ck_assert_double_eq(m[2].c_size, 1);
  ck_assert_double_eq(m[3].c_size, 0);
  ck_assert_double_eq(m[0].c_engagement, 1);
  ck_assert_double_eq(m[1].c_engagement, 0);
  ck_assert_double_eq(m[2].c_engagement, 1.0 / 3);
  ck_assert_double_eq(m[3].c_engagement, 1.0 / 3);
  ck_assert_double_eq(m[0].c_usage, 1); /* 1.7 clamped */
  ck_assert_double_eq(m[1].c_usage, 0); /* T − 90 is outside the last 90 days */
  ck_assert_double_eq(m[2].c_usage, 0.25);
  for (int i = 0; i < 4; i++)
    ck_assert_double_eq(m[i].c_whitespace, 0);
  double p1 = 100 * (0.3 * 0 + 0.3 * 0 + 0.2 * 1.0 + 0.2 * 1.0) / W;        /* 40 */
  double p3 = 100 * (0.3 * 1 + 0.3 * 0 + 0.2 * (1.0 / 3) + 0.2 * 0.25) / W; /* 41.67 */
  double p4 = 100 * (0.3 * 0 + 0.3 * 0 + 0.2 * (1.0 / 3) + 0.2 * 0) / W;    /* 6.67 */
  ck_assert_double_eq(m[0].potential, p1);
  ck_assert_double_eq(m[1].potential, 0);
  ck_assert_double_eq(m[2].potential, p3);
  ck_assert_double_eq(m[3].potential, p4);
  /* value: median of {1000, 2000, 3000, 4000} = 2500; potential: of {0, p4, p1, p3} =
   * p4 + 0.5 × (p1 − p4) */
  ck_assert_double_eq(f.r.value_threshold, 2500);
  double pt = p4 + (1.5 - 1) * (p1 - p4);
  ck_assert_double_eq(f.r.potential_threshold, pt);
  ck_assert_int_eq(m[0].quadrant, 2); /* low value, high potential: C */
  ck_assert_int_eq(m[1].quadrant, 3); /* D */
  ck_assert_int_eq(m[2].quadrant, 0); /* A */
  ck_assert_int_eq(m[3].quadrant, 1); /* high value, potential 6.67: B */

  json_t *want = json_pack(
      "{s:{s:f, s:f}, s:[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i},"
      " {s:s, s:s, s:i, s:i}]}",
      "thresholds", "value", 2500.0, "potential", pt, "quadrants", "quadrant", "A", "label",
      "expand", "customers", 1, "revenue_to_date", 3000, "quadrant", "B", "label", "retain",
      "customers", 1, "revenue_to_date", 4000, "quadrant", "C", "label", "develop", "customers", 1,
      "revenue_to_date", 1000, "quadrant", "D", "label", "maintain", "customers", 1,
      "revenue_to_date", 2000);
  json_is(ltvd_an_quadrants_doc(&f.r), want);
  anf_free(&f);
}
END_TEST

/* A value equal to the threshold is high: with {100, 200, 300} the median 200 is high,
 * and equal potentials (all 0) are all high. */
START_TEST(quadrant_threshold_is_inclusive)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "u");
  anf_product(&f, "p", "u", "fam", 1, 100, NAN);
  for (int i = 0; i < 3; i++)
    anf_purchase(&f, anf_customer(&f, i + 1, NULL, NULL, -1), "2026-03-01", "p", 100 * (i + 1));
  anf_compute(&f);
  ck_assert_double_eq(f.r.value_threshold, 200);
  ck_assert_double_eq(f.r.potential_threshold, 0);
  ck_assert_int_eq(f.r.c[0].quadrant, 2); /* 100 < 200: C */
  ck_assert_int_eq(f.r.c[1].quadrant, 0); /* 200 ≥ 200: A */
  ck_assert_int_eq(f.r.c[2].quadrant, 0);
  anf_free(&f);
}
END_TEST

/* ---- 4.2 segments ---------------------------------------------------------------- */

/*   c1  industry, channel, employees unknown; a purchase without product (2026-01-05, 700)
 *   c2  retail, web, 5; a prospect
 *   c3  retail, partner, 20; a purchase of p on 2025-08-10 (1200)
 *   c4  media, partner, 60; MRR 300 in M = 2026-02 only */
START_TEST(unknown_values_and_segments_without_purchases)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "u");
  anf_product(&f, "p", "u", "fam", 1, 100, NAN);
  int32_t c1 = anf_customer(&f, 1, NULL, NULL, -1);
  int32_t c2 = anf_customer(&f, 2, "retail", "web", 5);
  int32_t c3 = anf_customer(&f, 3, "retail", "partner", 20);
  int32_t c4 = anf_customer(&f, 4, "media", "partner", 60);
  anf_purchase(&f, c1, "2026-01-05", NULL, 700);
  anf_purchase(&f, c3, "2025-08-10", "p", 1200);
  anf_mrr(&f, c4, "2026-02", "p", 300);
  anf_compute(&f);
  ck_assert(!f.r.c[c2].paying);
  ck_assert_int_eq(f.r.c[c2].tier, LTVD_AN_NONE);
  ck_assert_int_eq(f.r.c[c2].quadrant, LTVD_AN_NONE);
  ck_assert(isnan(f.r.c[c2].potential));

  json_t *rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_INDUSTRY, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 3);
  const json_t *media = json_array_get(rows, 0), *retail = json_array_get(rows, 1);
  const json_t *unk = json_array_get(rows, 2);
  segment_is(media, "industry", "media", NULL, NULL);
  segment_is(retail, "industry", "retail", NULL, NULL);
  segment_is(unk, "industry", "unknown", NULL, NULL);
  /* media: MRR only, so no basic; 0 exposures → churn 0 → ∞ months, capped at 120 */
  counts_are(media, 1, 1, 1, 300);
  ck_assert(is_null(media, "basic"));
  const json_t *sub = get(media, "subscription");
  ck_assert_double_eq(real(sub, "gross_margin"), 300 * 0.8 / 300);
  ck_assert_double_eq(real(sub, "ltv"), 300.0 * (300 * 0.8 / 300) * 120);
  /* retail: c2 and c3, c3 alone paying: 1200 over (T − 2025-08-10 = 217 d) */
  counts_are(retail, 2, 1, 1, 1200);
  ck_assert(is_null(retail, "subscription"));
  ck_assert_double_eq(real(get(retail, "basic"), "purchases_per_year"), 1 / (217 / 365.25));
  ck_assert_double_eq(real(get(retail, "cohort"), "revenue_per_customer"), 1200);
  counts_are(unk, 1, 1, 1, 700);
  json_decref(rows);

  /* cohorts: c3 2025-Q3; c1 2026-01-05 and c4 2026-02-01 in 2026-Q1; the prospect last */
  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_COHORT, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 3);
  segment_is(json_array_get(rows, 0), "cohort", "2025-Q3", NULL, NULL);
  segment_is(json_array_get(rows, 1), "cohort", "2026-Q1", NULL, NULL);
  counts_are(json_array_get(rows, 1), 2, 2, 2, 1000);
  unk = json_array_get(rows, 2);
  segment_is(unk, "cohort", "unknown", NULL, NULL);
  counts_are(unk, 1, 0, 0, 0);
  ck_assert(is_null(unk, "basic"));
  ck_assert(is_null(unk, "subscription"));
  ck_assert(is_null(unk, "cohort"));
  ck_assert(is_null(unk, "predicted_clv"));
  json_decref(rows);

  /* units: c3 (purchase of p) and c4 (MRR for p) in u; c1's purchase names no product */
  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_UNIT, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 2);
  segment_is(json_array_get(rows, 0), "business_unit", "u", NULL, NULL);
  counts_are(json_array_get(rows, 0), 2, 2, 2, 1500);
  segment_is(json_array_get(rows, 1), "business_unit", "unknown", NULL, NULL);
  counts_are(json_array_get(rows, 1), 2, 1, 1, 700);
  json_decref(rows);

  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_SIZE_BAND, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 4);
  segment_is(json_array_get(rows, 0), "size_band", "1-9", NULL, NULL);
  segment_is(json_array_get(rows, 1), "size_band", "10-49", NULL, NULL);
  segment_is(json_array_get(rows, 2), "size_band", "50-249", NULL, NULL);
  segment_is(json_array_get(rows, 3), "size_band", "unknown", NULL, NULL);
  json_decref(rows);

  /* tiers of 3: 1200 (100 ≤ 225: silver), 700 (200: silver), 300 (300: bronze) */
  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_TIER, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 3);
  segment_is(json_array_get(rows, 0), "tier", "bronze", NULL, NULL);
  counts_are(json_array_get(rows, 0), 1, 1, 1, 300);
  segment_is(json_array_get(rows, 1), "tier", "silver", NULL, NULL);
  counts_are(json_array_get(rows, 1), 2, 2, 2, 1900);
  segment_is(json_array_get(rows, 2), "tier", "unknown", NULL, NULL);
  counts_are(json_array_get(rows, 2), 1, 0, 0, 0);
  json_decref(rows);

  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_QUADRANT, LTVD_AN_NONE);
  const json_t *last = json_array_get(rows, json_array_size(rows) - 1);
  segment_is(last, "quadrant", "unknown", NULL, NULL);
  counts_are(last, 1, 0, 0, 0);
  json_decref(rows);

  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_CHANNEL, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 3);
  segment_is(json_array_get(rows, 0), "acquisition_channel", "partner", NULL, NULL);
  counts_are(json_array_get(rows, 0), 2, 2, 2, 1500);
  segment_is(json_array_get(rows, 1), "acquisition_channel", "web", NULL, NULL);
  segment_is(json_array_get(rows, 2), "acquisition_channel", "unknown", NULL, NULL);
  json_decref(rows);
  anf_free(&f);
}
END_TEST

/* Units a, b; families fa (unit a), fb (unit b).
 *   c1  a purchase of pa (1000, 2026-03-01) and MRR 500 for pb in M: units a and b,
 *       families fa and fb, counted whole in each
 *   c2  a purchase of pa (300, 2026-03-01)
 *   c3  a prospect */
START_TEST(multi_valued_axes_count_customers_whole)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "a");
  anf_unit(&f, "b");
  anf_product(&f, "pa", "a", "fa", 1, 100, NAN);
  anf_product(&f, "pb", "b", "fb", 2, 100, NAN);
  int32_t c1 = anf_customer(&f, 1, NULL, NULL, -1);
  int32_t c2 = anf_customer(&f, 2, NULL, NULL, -1);
  anf_customer(&f, 3, NULL, NULL, -1);
  anf_purchase(&f, c1, "2026-03-01", "pa", 1000);
  anf_mrr(&f, c1, "2026-02", "pb", 500);
  anf_purchase(&f, c2, "2026-03-01", "pa", 300);
  anf_compute(&f);
  f.r.c[0].predicted_clv = 100.5; /* the model's place: the mean skips NAN */
  f.r.c[1].predicted_clv = NAN;

  json_t *rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_UNIT, LTVD_AN_NONE);
  ck_assert_int_eq(json_array_size(rows), 3);
  const json_t *a = json_array_get(rows, 0), *b = json_array_get(rows, 1);
  segment_is(a, "business_unit", "a", NULL, NULL);
  counts_are(a, 2, 2, 2, 1800);                           /* 1000 + 500 + 300 */
  ck_assert_double_eq(real(get(a, "basic"), "aov"), 650); /* 1300 / 2 */
  ck_assert_double_eq(real(get(a, "subscription"), "arpa"), 500);
  ck_assert_double_eq(real(a, "predicted_clv"), 100.5);
  segment_is(b, "business_unit", "b", NULL, NULL);
  counts_are(b, 1, 1, 1, 1500); /* all of c1's figures, its purchase of pa included */
  ck_assert_double_eq(real(get(b, "basic"), "aov"), 1000);
  segment_is(json_array_get(rows, 2), "business_unit", "unknown", NULL, NULL);
  counts_are(json_array_get(rows, 2), 1, 0, 0, 0);
  json_decref(rows);

  /* two multi-valued axes: every combination, first axis then second */
  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_UNIT, LTVD_AN_AXIS_FAMILY);
  ck_assert_int_eq(json_array_size(rows), 5);
  segment_is(json_array_get(rows, 0), "business_unit", "a", "product_family", "fa");
  counts_are(json_array_get(rows, 0), 2, 2, 2, 1800);
  segment_is(json_array_get(rows, 1), "business_unit", "a", "product_family", "fb");
  counts_are(json_array_get(rows, 1), 1, 1, 1, 1500);
  segment_is(json_array_get(rows, 2), "business_unit", "b", "product_family", "fa");
  segment_is(json_array_get(rows, 3), "business_unit", "b", "product_family", "fb");
  segment_is(json_array_get(rows, 4), "business_unit", "unknown", "product_family", "unknown");
  counts_are(json_array_get(rows, 4), 1, 0, 0, 0);
  json_decref(rows);

  /* held: c1 holds fa (recent purchase, tier 1) and fb (MRR in M, tier 2) */
  ck_assert_int_eq(f.r.held[0 * 2 + 0], 1);
  ck_assert_int_eq(f.r.held[0 * 2 + 1], 2);
  ck_assert_int_eq(f.r.held[1 * 2 + 1], 0);
  anf_free(&f);
}
END_TEST

/* Two single-valued axes: byte order ("Zeta" < "alpha" < "retail"), unknown last on both. */
START_TEST(two_axes_in_byte_order_with_unknown_last)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  static const struct {
    const char *industry, *channel;
  } c[] = {{"retail", NULL}, {NULL, "web"},   {"retail", "web"},
           {"alpha", "web"}, {"Zeta", "ads"}, {"retail", "ads"}};
  for (int i = 0; i < 6; i++)
    anf_customer(&f, i + 1, c[i].industry, c[i].channel, -1);
  anf_compute(&f);
  json_t *rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_INDUSTRY, LTVD_AN_AXIS_CHANNEL);
  static const char *const want[][2] = {{"Zeta", "ads"},       {"alpha", "web"},
                                        {"retail", "ads"},     {"retail", "web"},
                                        {"retail", "unknown"}, {"unknown", "web"}};
  ck_assert_int_eq(json_array_size(rows), 6);
  for (size_t i = 0; i < 6; i++) {
    segment_is(json_array_get(rows, i), "industry", want[i][0], "acquisition_channel", want[i][1]);
    counts_are(json_array_get(rows, i), 1, 0, 0, 0);
  }
  json_decref(rows);
  /* the other way round */
  rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_CHANNEL, LTVD_AN_AXIS_INDUSTRY);
  segment_is(json_array_get(rows, 0), "acquisition_channel", "ads", "industry", "Zeta");
  segment_is(json_array_get(rows, 1), "acquisition_channel", "ads", "industry", "retail");
  segment_is(json_array_get(rows, 5), "acquisition_channel", "unknown", "industry", "retail");
  json_decref(rows);
  anf_free(&f);
}
END_TEST

/* max_lifespan_months 24.
 *   c1 purchases 2023-03-15 and 2026-03-01 (1000 each): active, 1096 days observed
 *   c2 purchases 2024-01-01 and 2024-07-01 (500 each): churned, 182 days observed
 *   c3, c4 below are active since 2025-02-01, c5 churned; basic raw lifespan = Σ observed
 *   years / 2 churned (c2, c5) ≈ 3.1 years > 2: capped at 2.
 *   c3, c4 MRR 100 in 2025-02..2026-02: 12 exposures each, no event
 *   c5 MRR 100 in 2025-01..2025-06: exposures for m − 1 = 2025-02..06 (5), event at 07
 *   subscription: churn 1/29, raw 29 months > 24: capped at 24. */
START_TEST(lifespan_cap)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  f.s.settings.max_lifespan_months = 24;
  anf_unit(&f, "u");
  anf_product(&f, "p", "u", "fam", 1, 100, 1.0);
  int32_t c[5];
  for (int i = 0; i < 5; i++)
    c[i] = anf_customer(&f, i + 1, NULL, NULL, -1);
  anf_purchase(&f, c[0], "2023-03-15", NULL, 1000);
  anf_purchase(&f, c[0], "2026-03-01", NULL, 1000);
  anf_purchase(&f, c[1], "2024-01-01", NULL, 500);
  anf_purchase(&f, c[1], "2024-07-01", NULL, 500);
  char month[8];
  for (int32_t m = anf_month("2025-02"); m <= anf_month("2026-02"); m++) {
    ltvd_an_format_month(m, month);
    anf_mrr(&f, c[2], month, "p", 100);
    anf_mrr(&f, c[3], month, "p", 100);
  }
  for (int32_t m = anf_month("2025-01"); m <= anf_month("2025-06"); m++) {
    ltvd_an_format_month(m, month);
    anf_mrr(&f, c[4], month, "p", 100);
  }
  anf_compute(&f);
  ck_assert_int_eq(f.r.c[4].churn_exposures, 5);
  ck_assert_int_eq(f.r.c[4].churn_events, 1);

  json_t *rows = ltvd_an_ltv_rows(&f.r, LTVD_AN_AXIS_ALL, LTVD_AN_NONE);
  const json_t *row = json_array_get(rows, 0);
  const json_t *basic = get(row, "basic");
  /* Σ observed years over the 5 paying customers, in id order: c3 and c4 active since
   * 2025-02-01 (407 days), c5 churned: 2025-01-01 → 2025-06-30 (180 days) */
  double years = 1096 / 365.25 + 182 / 365.25 + 407 / 365.25 + 407 / 365.25 + 180 / 365.25;
  ck_assert_double_eq(real(basic, "aov"), 750); /* 3000 / 4 */
  ck_assert_double_eq(real(basic, "purchases_per_year"), 4 / years);
  ck_assert_double_eq(real(basic, "lifespan_years"), 2); /* raw years / 2 churned > 2 */
  ck_assert(boolean(basic, "lifespan_capped"));
  ck_assert_double_eq(real(basic, "ltv"), 750.0 * (4 / years) * 2);
  const json_t *sub = get(row, "subscription");
  ck_assert_double_eq(real(sub, "monthly_churn"), 1.0 / 29);
  ck_assert_double_eq(real(sub, "lifespan_months"), 24);
  ck_assert(boolean(sub, "lifespan_capped"));
  ck_assert_double_eq(real(sub, "arpa"), 100); /* (100 + 100) / 2 */
  ck_assert_double_eq(real(sub, "ltv"), 100.0 * 1.0 * 24);
  json_decref(rows);
  anf_free(&f);
}
END_TEST

/* ---- the metrics object ---------------------------------------------------------- */

/* c1: MRR in M for pa1 (fa, tier 1) 100 and pa (fa, tier 2) 50: holds fa at tier 2; an
 * old purchase of pb (fb) 400 on 2024-01-01 is paid in fb but not held. nps: 9 on
 * 2025-01-01 (id 1), 3 and 7 at the same instant on 2026-02-01 (ids 2, 3), 5 on
 * 2025-06-01 (id 4): the latest is id 3's 7. Potential: size 0 (alone), whitespace 1/2,
 * engagement 0 (alone), usage 0. c2: a prospect. */
START_TEST(metrics_of_a_paying_customer_and_a_prospect)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "a");
  anf_unit(&f, "b");
  anf_product(&f, "pa", "a", "fa", 2, 100, NAN);
  anf_product(&f, "pa1", "a", "fa", 1, 100, NAN);
  anf_product(&f, "pb", "b", "fb", 1, 100, NAN);
  int32_t c1 = anf_customer(&f, 1, "retail", "web", 10);
  int32_t c2 = anf_customer(&f, 2, NULL, NULL, -1);
  anf_mrr(&f, c1, "2026-02", "pa1", 100);
  anf_mrr(&f, c1, "2026-02", "pa", 50);
  anf_purchase(&f, c1, "2024-01-01", "pb", 400);
  anf_signal(&f, c1, LTVD_AN_NPS, "2025-01-01", 9, NULL);
  anf_signal(&f, c1, LTVD_AN_NPS, "2026-02-01", 3, NULL);
  anf_signal(&f, c1, LTVD_AN_NPS, "2026-02-01", 7, NULL);
  anf_signal(&f, c1, LTVD_AN_NPS, "2025-06-01", 5, NULL);
  anf_compute(&f);
  f.r.c[c1].predicted_clv = 1234.5;
  f.r.c[c1].p_alive = 0.75;

  const struct ltvd_an_cmetrics *m = &f.r.c[c1];
  ck_assert_int_eq(m->signals_90d, 2); /* the two of 2026-02-01 */
  double potential = 100 * (0.3 * 0 + 0.3 * 0.5 + 0.2 * 0 + 0.2 * 0) / W;
  json_t *want = json_pack(
      "{s:i, s:s, s:b, s:b, s:s, s:{s:s, s:s}, s:s, s:s, s:f, s:{s:f, s:f, s:f, s:f},"
      " s:{s:i}, s:i, s:n, s:f, s:n, s:f}",
      "revenue_to_date", 550, "first_purchase_date", "2024-01-01", "paying", 1, "active", 1,
      "phase", ltvd_an_phase_name(m->phase), "phases", "a",
      ltvd_an_phase_name(f.r.phase_unit[c1 * 2 + 0]), "b",
      ltvd_an_phase_name(f.r.phase_unit[c1 * 2 + 1]), "tier", "bronze", "quadrant", "A",
      "potential", potential, "potential_components", "size", 0.0, "whitespace", 0.5, "engagement",
      0.0, "usage", 0.0, "held_families", "fa", 2, "nps", 7, "expected_purchases_12m", "p_alive",
      0.75, "expected_spend", "predicted_clv", 1234.5);
  json_is(ltvd_an_customer_metrics(&f.r, (size_t) c1), want);

  m = &f.r.c[c2];
  want = json_pack("{s:i, s:n, s:b, s:b, s:s, s:{s:s, s:s}, s:n, s:n, s:n, s:n, s:{}, s:n,"
                   " s:n, s:n, s:n, s:n}",
                   "revenue_to_date", 0, "first_purchase_date", "paying", 0, "active", 0, "phase",
                   ltvd_an_phase_name(m->phase), "phases", "a",
                   ltvd_an_phase_name(f.r.phase_unit[c2 * 2 + 0]), "b",
                   ltvd_an_phase_name(f.r.phase_unit[c2 * 2 + 1]), "tier", "quadrant", "potential",
                   "potential_components", "held_families", "nps", "expected_purchases_12m",
                   "p_alive", "expected_spend", "predicted_clv");
  json_is(ltvd_an_customer_metrics(&f.r, (size_t) c2), want);
  anf_free(&f);
}
END_TEST

/* ---- size ------------------------------------------------------------------------ */

static uint64_t rng_state = 88172645463325252u;

static uint32_t rnd(uint32_t n)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t) (rng_state % n);
}

static double seconds_since(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double) (t1.tv_sec - t0->tv_sec) + (double) (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 100,000 customers over 5 units, 10 families, 20 products, 20 industries and 8
 * channels (and unknowns), purchases over 5 years and runs of MRR: every axis and
 * every ordered pair of distinct axes, timed. */
START_TEST(size_all_81_combinations_on_100k_customers)
{
  enum { N = 100000 };
  static const char *const industries[] = {
      "agri",  "auto",  "bank", "chem",  "constr", "edu",    "energy", "food",  "gov",    "health",
      "hotel", "insur", "law",  "media", "mining", "pharma", "retail", "telco", "transp", "util"};
  static const char *const channels[] = {"ads",     "event",    "organic", "outbound",
                                         "partner", "referral", "social",  "web"};
  struct anf f;
  anf_init(&f, "2026-03-15");
  char key[32], family[32];
  for (int u = 0; u < 5; u++) {
    snprintf(key, sizeof key, "unit%d", u);
    anf_unit(&f, key);
  }
  for (int p = 0; p < 20; p++) { /* keys p00..p19: unit p / 4, family p / 2 */
    snprintf(key, sizeof key, "p%02d", p);
    snprintf(family, sizeof family, "fam%d", p / 2);
    char unit[16];
    snprintf(unit, sizeof unit, "unit%d", p / 4);
    anf_product(&f, key, unit, family, 1 + p % 2, 1000, NAN);
  }
  int32_t first_day = anf_day("2021-03-15"), today = f.s.today;
  int32_t m_end = anf_month("2026-02");
  for (int i = 0; i < N; i++) {
    int32_t c =
        anf_customer(&f, i + 1, rnd(21) < 20 ? industries[rnd(20)] : NULL,
                     rnd(9) < 8 ? channels[rnd(8)] : NULL, rnd(5) ? (int64_t) rnd(5000) : -1);
    int purchases = (int) rnd(4);
    for (int k = 0; k < purchases; k++) {
      char day[11];
      ltvd_an_format_day(first_day + (int32_t) rnd((uint32_t) (today - first_day + 1)), day);
      snprintf(key, sizeof key, "p%02u", rnd(20));
      anf_purchase(&f, c, day, rnd(4) ? key : NULL, 100 + rnd(100000));
    }
    if (rnd(2) == 0) {
      int32_t start = m_end - (int32_t) rnd(36), len = 1 + (int32_t) rnd(24);
      snprintf(key, sizeof key, "p%02u", rnd(20));
      for (int32_t m = start; m < start + len && m <= m_end; m++) {
        char month[8];
        ltvd_an_format_month(m, month);
        anf_mrr(&f, c, month, key, 1000 + rnd(5000));
      }
    }
    for (int k = (int) rnd(3); k > 0; k--) {
      char day[11];
      ltvd_an_format_day(today - (int32_t) rnd(120), day);
      anf_signal(&f, c, rnd(2) ? LTVD_AN_USAGE : LTVD_AN_WEB_VISIT, day, rnd(100) / 80.0, NULL);
    }
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  anf_compute(&f);
  double compute_s = seconds_since(&t0);

  double worst = 0;
  size_t total_rows = 0;
  struct timespec cpu0, cpu1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int a = 0; a < LTVD_AN_AXES; a++)
    for (int b = -1; b < LTVD_AN_AXES; b++) {
      if (b == a)
        continue;
      struct timespec t1;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      json_t *rows = ltvd_an_ltv_rows(&f.r, a, b);
      double s = seconds_since(&t1);
      worst = s > worst ? s : worst;
      total_rows += json_array_size(rows);
      if (a == LTVD_AN_AXIS_ALL && b < 0) /* the one row holds everybody */
        ck_assert_int_eq(integer(json_array_get(rows, 0), "customers"), N);
      json_decref(rows);
    }
  double all_s = seconds_since(&t0);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  double cpu_s =
      (double) (cpu1.tv_sec - cpu0.tv_sec) + (double) (cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
  printf("ltv rows, 100000 customers: compute %.1f ms; 81 combinations %.1f ms wall, %.1f ms "
         "CPU (%.2f ms a call, worst %.1f ms wall), %zu rows\n",
         compute_s * 1e3, all_s * 1e3, cpu_s * 1e3, all_s * 1e3 / 81, worst * 1e3, total_rows);
  anf_free(&f);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("analytics");
  TCase *tc = tcase_create("per customer");
  ADD(tc, one_customer_that_never_churned);
  ADD(tc, churn_and_reactivation);
  ADD(tc, reference_month);
  suite_add_tcase(s, tc);

  tc = tcase_create("tiers and quadrants");
  ADD(tc, tiers_of_twenty);
  ADD(tc, documents_without_paying_customers);
  ADD(tc, percent_rank_and_percentile_cont);
  ADD(tc, potential_and_quadrants);
  ADD(tc, quadrant_threshold_is_inclusive);
  suite_add_tcase(s, tc);

  tc = tcase_create("segments");
  ADD(tc, unknown_values_and_segments_without_purchases);
  ADD(tc, multi_valued_axes_count_customers_whole);
  ADD(tc, two_axes_in_byte_order_with_unknown_last);
  ADD(tc, lifespan_cap);
  suite_add_tcase(s, tc);

  tc = tcase_create("metrics");
  ADD(tc, metrics_of_a_paying_customer_and_a_prospect);
  suite_add_tcase(s, tc);

  tc = tcase_create("size");
  tcase_set_timeout(tc, 300);
  ADD(tc, size_all_81_combinations_on_100k_customers);
  suite_add_tcase(s, tc);
  return s;
}
