/* SPEC 4.8 opportunities and 4.9 alerts on hand-worked cases.
 *
 * Each case builds a snapshot (catalogue, customers, deals, MRR lines, signals) and then
 * fills the per-customer results of 4.1-4.4 (paying, active, nps, tier, quadrant and the
 * held tier of every family) by hand: struct ltvd_an_results is plain data, and these
 * cases test the rules of 4.8 and 4.9, not how 4.1-4.4 arrive at their figures.
 *
 * T = 2026-11-15 throughout, so "the last 90 days" are 2026-08-18 .. 2026-11-15,
 * "within 90 days after T" is 2026-11-15 .. 2027-02-13 and, with dormant_after_days 365,
 * a purchase is recent from 2025-11-16 on. Settings are the defaults: nps_detractor_max 6,
 * upsell_usage_threshold 0.8, cross_sell_min_confidence 0.5, cross_sell_min_support 3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ltvd/analytics.h"
#include "ltvd/json_out.h"
#include "unit.h"

#define assert_near(a, b)                                                                          \
  ck_assert_msg(fabs((double)(a) - (double)(b)) <= 1e-12 * fmax(1, fabs((double)(b))),             \
                "%s = %.17g, expected %.17g", #a, (double)(a), (double)(b))

/* text and the JSON want denote the same value (numbers compared as numbers, so the
 * form the shared writer gives a real does not matter) */
static void assert_json(const char *text, const char *want)
{
  json_t *a = json_loads(text, 0, NULL), *b = json_loads(want, 0, NULL);
  ck_assert_msg(a != NULL && b != NULL && json_equal(a, b), "got %s\nwanted %s", text, want);
  json_decref(a);
  json_decref(b);
}

/* ---- building a case ------------------------------------------------------------- */

struct fx {
  struct ltvd_an_snapshot s;
  struct ltvd_an_results r;
  struct ltvd_an_opps o;
};

static int32_t day(const char *text)
{
  int32_t d;
  ck_assert_msg(ltvd_an_parse_day(text, &d), "bad date %s", text);
  return d;
}

static void pipeline(struct fx *f, const char *key, enum ltvd_an_kind kind, int64_t seq)
{
  int p = ltvd_an_add_pipeline(&f->s, key, kind, seq);
  ltvd_an_add_stage(&f->s, p, "open", 1, 0.5, LTVD_AN_OPEN);
  ltvd_an_add_stage(&f->s, p, "won", 2, 1, LTVD_AN_WON);
  ltvd_an_add_stage(&f->s, p, "lost", 3, 0, LTVD_AN_LOST);
}

/* The catalogue shared by the cases (keys ascending, as the loader adds them):
 *   academy: acad_a, acad_b (tier 1, 200 each: a tie, acad_a is the target)
 *   consult: cons_big (tier 1, 4000), cons_small (tier 1, 5000)
 *   core:    basic (1, 1000), basic_gold (1, 3000), basic_plus (1, 1500),
 *            ent (3, 2000), pro_a (2, 2500), pro_b (2, 2500), pro_c (2, 4000)
 *   extra:   addon (1, 500), addon_max (2, 900)
 *   fa, fb:  fa1/fb1 (1, 100), fa2/fb2 (2, 200); fc: fc1 (1, 100)
 * Pipelines: cross_sell, new_business, renewal, upsell and a second upsell pipeline
 * upsell_b, each with stages open, won, lost. */
static void begin(struct fx *f)
{
  static const struct {
    const char *key, *family;
    int tier;
    int64_t price;
  } products[] = {
      {"acad_a", "academy", 1, 200},
      {"acad_b", "academy", 1, 200},
      {"addon", "extra", 1, 500},
      {"addon_max", "extra", 2, 900},
      {"basic", "core", 1, 1000},
      {"basic_gold", "core", 1, 3000},
      {"basic_plus", "core", 1, 1500},
      {"cons_big", "consult", 1, 4000},
      {"cons_small", "consult", 1, 5000},
      {"ent", "core", 3, 2000},
      {"fa1", "fa", 1, 100},
      {"fa2", "fa", 2, 200},
      {"fb1", "fb", 1, 100},
      {"fb2", "fb", 2, 200},
      {"fc1", "fc", 1, 100},
      {"pro_a", "core", 2, 2500},
      {"pro_b", "core", 2, 2500},
      {"pro_c", "core", 2, 4000},
  };
  memset(f, 0, sizeof *f);
  f->s.data_version = 7;
  f->s.today = day("2026-11-15");
  ltvd_an_settings_default(&f->s.settings);
  ltvd_an_add_unit(&f->s, "sw");
  for (size_t i = 0; i < sizeof products / sizeof *products; i++)
    ltvd_an_add_product(&f->s, products[i].key, "sw", products[i].family, products[i].tier,
                        products[i].price, NAN);
  pipeline(f, "cross_sell", LTVD_AN_CROSS_SELL, 3);
  pipeline(f, "new_business", LTVD_AN_NEW_BUSINESS, 1);
  pipeline(f, "renewal", LTVD_AN_RENEWAL, 4);
  pipeline(f, "upsell", LTVD_AN_UPSELL, 2);
  pipeline(f, "upsell_b", LTVD_AN_UPSELL, 5);
}

static int32_t customer(struct fx *f, int64_t id, bool has_employees, int64_t employees)
{
  return ltvd_an_add_customer(&f->s, id, "c", NULL, NULL, has_employees, employees);
}

static void deal(struct fx *f, int64_t id, int32_t c, const char *pipeline_key, const char *stage,
                 const char *product, const char *closed, const char *contract_end)
{
  int p = ltvd_an_pipeline_index(&f->s, pipeline_key);
  struct ltvd_an_deal d = {
      .id = id,
      .customer = c,
      .pipeline = p,
      .stage = ltvd_an_stage_index(&f->s, p, stage),
      .product = product ? ltvd_an_product_index(&f->s, product) : LTVD_AN_NONE,
      .recurring = false,
      .amount = 100,
      .created_day = day("2025-01-01"),
      .closed_day = closed ? day(closed) : LTVD_AN_NO_DAY,
      .expected_close_day = LTVD_AN_NO_DAY,
      .contract_end_day = contract_end ? day(contract_end) : LTVD_AN_NO_DAY,
  };
  ltvd_an_add_deal(&f->s, &d);
}

/* A signal at noon UTC of `on`; value NAN for none, product NULL for none. */
static void signal(struct fx *f, int32_t c, int64_t id, enum ltvd_an_signal_type type,
                   const char *on, const char *product, double value)
{
  struct ltvd_an_signal sig = {
      .id = id,
      .type = type,
      .day = day(on),
      .occurred_us = (int64_t)day(on) * INT64_C(86400000000) + INT64_C(43200000000),
      .product = product ? ltvd_an_product_index(&f->s, product) : LTVD_AN_NONE,
      .has_value = !isnan(value),
      .value = isnan(value) ? 0 : value,
  };
  ltvd_an_add_signal(&f->s, c, &sig);
}

static void mrr(struct fx *f, int32_t c, const char *product, int64_t amount)
{
  ltvd_an_add_mrr(&f->s, c, ltvd_an_month_of(f->s.today), ltvd_an_product_index(&f->s, product),
                  amount);
}

/* Finishes the snapshot and allocates the results: everyone a prospect with no tier. */
static void finish(struct fx *f)
{
  ltvd_an_snapshot_finish(&f->s);
  size_t nc = f->s.n_customers, nf = f->s.n_families;
  f->r.snap = &f->s;
  f->r.c = calloc(nc + 1, sizeof *f->r.c);
  f->r.held = calloc(nc * nf + 1, sizeof *f->r.held);
  ck_assert(f->r.c != NULL && f->r.held != NULL);
  for (size_t i = 0; i < nc; i++) {
    f->r.c[i].tier = LTVD_AN_NONE;
    f->r.c[i].quadrant = LTVD_AN_NONE;
    f->r.c[i].first_purchase_day = LTVD_AN_NO_DAY;
    f->r.c[i].last_mrr_month = LTVD_AN_NO_DAY;
  }
}

/* Paying and active (or churned), with a tier and quadrant. */
static void paying(struct fx *f, int32_t c, bool active, int tier, int quadrant)
{
  f->r.c[c].paying = true;
  f->r.c[c].active = active;
  f->r.c[c].churned = !active;
  f->r.c[c].tier = tier;
  f->r.c[c].quadrant = quadrant;
}

static void hold(struct fx *f, int32_t c, const char *family, int tier)
{
  int fam = ltvd_an_family_index(&f->s, family);
  ck_assert_int_ge(fam, 0);
  f->r.held[(size_t)c * f->s.n_families + (size_t)fam] = tier;
}

static void nps(struct fx *f, int32_t c, int score)
{
  f->r.c[c].has_nps = true;
  f->r.c[c].nps = score;
}

static void done(struct fx *f)
{
  ltvd_an_opps_free(&f->o);
  free(f->r.c);
  free(f->r.held);
  ltvd_an_snapshot_free(&f->s);
}

/* The opportunity of customer id, type and family, NULL when not listed. */
static const struct ltvd_an_opp *find(const struct fx *f, int64_t id, int type, const char *family)
{
  for (size_t i = 0; i < f->o.n; i++) {
    const struct ltvd_an_opp *o = &f->o.opps[i];
    if (o->customer_id == id && o->type == type && strcmp(f->s.families[o->family], family) == 0)
      return o;
  }
  return NULL;
}

static const char *product_of(const struct fx *f, const struct ltvd_an_opp *o)
{
  return f->s.products[o->product].key;
}

static json_t *row_json(const struct fx *f, const struct ltvd_an_opp *o)
{
  return ltvd_an_opp_json(&f->r, o);
}

/* ---- upsell ------------------------------------------------------------------------ */

/* Customers 10..15 all hold core at tier 1; the lowest tier above is 2, whose cheapest
 * products pro_a and pro_b cost 2500 (a tie: pro_a, the lower key).
 *  10: usage of basic 0.92 on 2026-10-02 (>= 0.8: +0.5), interest in pro_c (tier 2 > 1)
 *      on 2026-11-01 (+0.3), won deal 501 on basic ending 2026-12-31 (+0.2): score 1.0;
 *      held tier-1 products: basic (MRR in M) -> 1000; value 12 (2500 - 1000) = 18000,
 *      priority 18000.
 *  11: usage of basic 0.79 (below), a product-less usage 0.85 on 2026-08-17 (91 days
 *      back: out), usage of addon 0.95 (another family), interest in pro_a on 2026-09-01:
 *      score 0.3; held tier-1 products basic (MRR 1000) and basic_plus (purchased
 *      2026-01-10, recent) -> 1500; value 12 (2500 - 1500) = 12000, priority 3600.
 *  12: product-less usage of exactly 0.8 on 2026-08-18 (the first of the 90 days):
 *      score 0.5, value 18000, priority 9000. It also holds extra at tier 2 (no tier
 *      above) and academy (one tier): no upsell there despite the product-less usage.
 *  13: core at tier 3 (the top): nothing.
 *  14: won deal 502 ending 2027-02-13 (T + 90: in), won deal 503 ending 2027-02-14 (out),
 *      an open deal 504 ending 2026-12-01 (not won): score 0.2, value 18000, priority 3600
 *      (= 11's: 11 first by customer id).
 *  15: interest in pro_b; holds basic_gold (3000 > 2500): value max(0, 12 (2500 - 3000))
 *      = 0, priority 0, still listed (score > 0).
 *  16: interest in addon (tier 1, not above its held tier 1 of extra) and in basic
 *      (family core, not held): nothing. */
static void upsell_case(struct fx *f)
{
  begin(f);
  int32_t c10 = customer(f, 10, false, 0), c11 = customer(f, 11, false, 0),
          c12 = customer(f, 12, false, 0), c13 = customer(f, 13, false, 0),
          c14 = customer(f, 14, false, 0), c15 = customer(f, 15, false, 0),
          c16 = customer(f, 16, false, 0);
  for (int32_t c = c10; c <= c14; c++)
    mrr(f, c, c == c13 ? "ent" : "basic", 1000);
  mrr(f, c15, "basic_gold", 3000);
  mrr(f, c16, "addon", 500);
  signal(f, c10, 1, LTVD_AN_USAGE, "2026-10-02", "basic", 0.92);
  signal(f, c10, 2, LTVD_AN_FEATURE_INTEREST, "2026-11-01", "pro_c", NAN);
  deal(f, 501, c10, "new_business", "won", "basic", "2026-01-01", "2026-12-31");
  signal(f, c11, 3, LTVD_AN_USAGE, "2026-10-01", "basic", 0.79);
  signal(f, c11, 4, LTVD_AN_USAGE, "2026-08-17", NULL, 0.85);
  signal(f, c11, 5, LTVD_AN_USAGE, "2026-10-01", "addon", 0.95);
  signal(f, c11, 6, LTVD_AN_FEATURE_INTEREST, "2026-09-01", "pro_a", NAN);
  deal(f, 505, c11, "new_business", "won", "basic_plus", "2026-01-10", NULL);
  signal(f, c12, 7, LTVD_AN_USAGE, "2026-08-18", NULL, 0.8);
  deal(f, 502, c14, "renewal", "won", "basic", "2026-02-01", "2027-02-13");
  deal(f, 503, c14, "new_business", "won", "basic", "2026-02-01", "2027-02-14");
  deal(f, 504, c14, "new_business", "open", "basic", NULL, "2026-12-01");
  signal(f, c15, 8, LTVD_AN_FEATURE_INTEREST, "2026-11-10", "pro_b", NAN);
  signal(f, c16, 9, LTVD_AN_FEATURE_INTEREST, "2026-11-10", "addon", NAN);
  signal(f, c16, 10, LTVD_AN_FEATURE_INTEREST, "2026-11-10", "basic", NAN);
  finish(f);
  for (int32_t c = c10; c <= c16; c++) {
    paying(f, c, true, LTVD_AN_SILVER, 2);
    hold(f, c, c == c16 ? "extra" : "core", c == c13 ? 3 : 1);
  }
  hold(f, c12, "extra", 2);
  hold(f, c12, "academy", 1);
  ltvd_an_opportunities(&f->r, &f->o);
}

START_TEST(upsell_score_parts_target_and_value)
{
  struct fx f;
  upsell_case(&f);
  ck_assert_int_eq(f.o.n, 5);

  const struct ltvd_an_opp *o = find(&f, 10, LTVD_AN_OPP_UPSELL, "core");
  ck_assert_ptr_nonnull(o);
  ck_assert(o->score == 0.5 + 0.3 + 0.2);
  ck_assert_str_eq(product_of(&f, o), "pro_a");
  ck_assert(o->expected_annual_value == 18000);
  ck_assert(o->priority == 18000);

  o = find(&f, 11, LTVD_AN_OPP_UPSELL, "core");
  ck_assert_ptr_nonnull(o);
  ck_assert(o->score == 0.3);
  ck_assert(o->expected_annual_value == 12000);
  assert_near(o->priority, 3600);

  o = find(&f, 12, LTVD_AN_OPP_UPSELL, "core");
  ck_assert(o != NULL && o->score == 0.5 && o->priority == 9000);
  ck_assert_ptr_null(find(&f, 12, LTVD_AN_OPP_UPSELL, "extra"));
  ck_assert_ptr_null(find(&f, 12, LTVD_AN_OPP_UPSELL, "academy"));
  ck_assert_ptr_null(find(&f, 13, LTVD_AN_OPP_UPSELL, "core"));

  o = find(&f, 14, LTVD_AN_OPP_UPSELL, "core");
  ck_assert(o != NULL && o->score == 0.2 && o->expected_annual_value == 18000);
  ck_assert_int_eq(o->contract->id, 502);

  o = find(&f, 15, LTVD_AN_OPP_UPSELL, "core");
  ck_assert(o != NULL && o->score == 0.3 && o->expected_annual_value == 0 && o->priority == 0);
  ck_assert_ptr_null(find(&f, 16, LTVD_AN_OPP_UPSELL, "extra"));
  ck_assert_ptr_null(find(&f, 16, LTVD_AN_OPP_UPSELL, "core"));
  done(&f);
}
END_TEST

START_TEST(upsell_order_reasons_and_id)
{
  struct fx f;
  upsell_case(&f);
  /* priority 18000, 9000, 3600 (11 before 14), 0 */
  static const int64_t order[] = {10, 12, 11, 14, 15};
  for (size_t i = 0; i < 5; i++)
    ck_assert_int_eq(f.o.opps[i].customer_id, order[i]);

  /* "opp_" + sha256("10|upsell|core")[0..20) (sha256sum of that text) */
  ck_assert_str_eq(f.o.opps[0].id, "opp_cc2bd3f2ae7f2951b69a");
  char id[LTVD_AN_OPP_ID_LEN];
  ltvd_an_opp_id(10, LTVD_AN_OPP_UPSELL, "core", id);
  ck_assert_str_eq(id, f.o.opps[0].id);

  json_t *row = row_json(&f, &f.o.opps[0]);
  char *text = ltvd_json_dumps(row);
  assert_json(text, "{\"id\":\"opp_cc2bd3f2ae7f2951b69a\",\"type\":\"upsell\",\"customer_id\":10,"
                    "\"family\":\"core\",\"product\":\"pro_a\",\"score\":1.0,"
                    "\"expected_annual_value\":18000.0,\"priority\":18000.0,\"quadrant\":\"C\","
                    "\"tier\":\"silver\",\"reasons\":[\"usage of basic at 92% of plan limit on "
                    "2026-10-02\",\"interest in pro_c (tier 2, above the held tier 1) on "
                    "2026-11-01\",\"contract of deal 501 ends on 2026-12-31\"]}");
  free(text);
  json_decref(row);

  row = row_json(&f, find(&f, 12, LTVD_AN_OPP_UPSELL, "core"));
  ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "reasons"), 0)),
                   "usage at 80% of plan limit on 2026-08-18");
  ck_assert_int_eq(json_array_size(json_object_get(row, "reasons")), 1);
  json_decref(row);
  done(&f);
}
END_TEST

/* ---- exclusions ------------------------------------------------------------------------ */

/* Everyone holds core at tier 1 with a product-less usage of 0.9 (score 0.5):
 *  20: nps 6 (= nps_detractor_max): at risk, no opportunity; its nps signal of 2026-10-05
 *      is the latest (an older 9 on 2026-01-05 is not).
 *  21: nps 7: a candidate, listed.
 *  22: paying, not active (churned): nothing, not at risk either.
 *  23: a prospect: nothing.
 *  24: an open deal for pro_c (core) in the cross_sell pipeline: no core opportunity of
 *      any type.
 *  25: an open deal for basic in upsell_b (a second upsell pipeline): none.
 *  26: an open new_business deal for pro_a, a won upsell deal for pro_a and an open upsell
 *      deal with no product: none of them excludes: listed.
 *  27: nps 2 and churned: neither listed nor at risk. */
START_TEST(exclusions_and_at_risk)
{
  struct fx f;
  begin(&f);
  int32_t c[8];
  for (int i = 0; i < 8; i++) {
    c[i] = customer(&f, 20 + i, false, 0);
    signal(&f, c[i], 100 + i, LTVD_AN_USAGE, "2026-11-01", NULL, 0.9);
  }
  signal(&f, c[0], 200, LTVD_AN_NPS, "2026-01-05", NULL, 9);
  signal(&f, c[0], 201, LTVD_AN_NPS, "2026-10-05", NULL, 6);
  deal(&f, 600, c[4], "cross_sell", "open", "pro_c", NULL, NULL);
  deal(&f, 601, c[5], "upsell_b", "open", "basic", NULL, NULL);
  deal(&f, 602, c[6], "new_business", "open", "pro_a", NULL, NULL);
  deal(&f, 603, c[6], "upsell", "won", "pro_a", "2026-03-01", NULL);
  deal(&f, 604, c[6], "upsell", "open", NULL, NULL, NULL);
  finish(&f);
  for (int i = 0; i < 8; i++) {
    if (i != 3)
      paying(&f, c[i], i != 2 && i != 7, LTVD_AN_BRONZE, 3);
    hold(&f, c[i], "core", 1);
  }
  nps(&f, c[0], 6);
  nps(&f, c[1], 7);
  nps(&f, c[7], 2);
  ltvd_an_opportunities(&f.r, &f.o);

  ck_assert_int_eq(f.o.n, 2);
  ck_assert_ptr_nonnull(find(&f, 21, LTVD_AN_OPP_UPSELL, "core"));
  ck_assert_ptr_nonnull(find(&f, 26, LTVD_AN_OPP_UPSELL, "core"));
  ck_assert_int_eq(f.o.n_at_risk, 1);
  json_t *rows = ltvd_an_at_risk_rows(&f.r, &f.o);
  char *text = ltvd_json_dumps(rows);
  ck_assert_str_eq(text, "[{\"customer_id\":20,\"nps\":6,\"reason\":\"nps 6 on 2026-10-05, at or "
                         "below the detractor limit 6\"}]");
  free(text);
  json_decref(rows);
  done(&f);
}
END_TEST

/* ---- cross-sell ------------------------------------------------------------------------- */

/* Top (gold and platinum) customers, all churned so that they are no candidates:
 *   30 academy+consult (100 employees), 31 academy+consult (200), 32 academy+consult (no
 *   count), 33 academy+core (50), 34 core (400); 35 is silver (churned too) with academy:
 *   not top.
 * |top| = 5; holding academy 4, consult 3, core 2, extra 0 (fa, fb, fc 0 as well).
 * Rules (support >= 3): from academy and consult only, to every other family:
 *   academy->consult 3/4 = 0.75, lift 0.75 / (3/5) = 1.25
 *   academy->core    1/4 = 0.25, lift 0.25 / (2/5) = 0.625
 *   academy->extra, ->fa, ->fb, ->fc: 0, lift null (no top customer holds them)
 *   consult->academy 3/3 = 1, lift 1 / (4/5) = 1.25; consult->core 0, lift 0; others 0/null
 * Employee counts of the top: 50, 100, 200, 400: the 25th percentile is at position
 * 0.25 (4 - 1) = 0.75: 50 + 0.75 (100 - 50) = 87.5.
 * MRR in M in consult: 30 cons_small 5000, 31 cons_big 3000: mean 4000, value 48000.
 * Candidates (paying, active, bronze):
 *   40 academy, 90 employees: consult 0.75 >= 0.5 -> listed, value 48000, priority 36000;
 *      core 0.25 and extra 0: no.
 *   41 academy, 80 employees: below 87.5: nothing.
 *   42 academy, no count: fails the condition.
 *   43 consult + core, 88 employees: academy 1.0 (from consult; academy holds no rule to
 *      itself), target acad_a (tie with acad_b at 200), no MRR in academy: value
 *      12 x 200 = 2400, priority 2400. extra: 0. fa/fb/fc: 0.
 *   44 academy, 500 employees, an open upsell deal for cons_big: consult excluded. */
static void cross_case(struct fx *f, bool top_counts)
{
  begin(f);
  static const int64_t employees[] = {100, 200, -1, 50, 400, -1, 90, 80, -1, 88, 500};
  static const int64_t ids[] = {30, 31, 32, 33, 34, 35, 40, 41, 42, 43, 44};
  int32_t c[11];
  for (int i = 0; i < 11; i++)
    c[i] = customer(f, ids[i], employees[i] >= 0 && (top_counts || i > 5), employees[i]);
  mrr(f, c[0], "cons_small", 5000);
  mrr(f, c[1], "cons_big", 3000);
  deal(f, 700, c[10], "upsell", "open", "cons_big", NULL, NULL);
  finish(f);
  for (int i = 0; i < 5; i++)
    paying(f, c[i], false, i == 0 ? LTVD_AN_PLATINUM : LTVD_AN_GOLD, 0);
  paying(f, c[5], false, LTVD_AN_SILVER, 1);
  for (int i = 6; i < 11; i++)
    paying(f, c[i], true, LTVD_AN_BRONZE, 3);
  for (int i = 0; i < 4; i++)
    hold(f, c[i], "academy", 1);
  for (int i = 0; i < 3; i++)
    hold(f, c[i], "consult", 1);
  hold(f, c[3], "core", 1);
  hold(f, c[4], "core", 1);
  hold(f, c[5], "academy", 1);
  for (int i = 6; i < 11; i++)
    hold(f, c[i], i == 9 ? "consult" : "academy", 1);
  hold(f, c[9], "core", 3);
  ltvd_an_opportunities(&f->r, &f->o);
}

START_TEST(cross_sell_rules_support_confidence_lift)
{
  struct fx f;
  cross_case(&f, true);
  ck_assert_int_eq(f.o.n_top, 5);
  /* 7 families: 6 rules from academy, 6 from consult */
  ck_assert_int_eq(f.o.n_rules, 12);
  const struct ltvd_an_rule *r = &f.o.rules[0];
  ck_assert_str_eq(f.s.families[r->from], "academy");
  ck_assert_str_eq(f.s.families[r->to], "consult");
  ck_assert_int_eq(r->support, 4);
  ck_assert(r->confidence == 0.75);
  assert_near(r->lift, 1.25);
  r = &f.o.rules[1]; /* academy -> core */
  ck_assert(r->confidence == 0.25);
  assert_near(r->lift, 0.625);
  r = &f.o.rules[2]; /* academy -> extra */
  ck_assert(r->confidence == 0 && isnan(r->lift));
  r = &f.o.rules[6]; /* consult -> academy */
  ck_assert_str_eq(f.s.families[r->from], "consult");
  ck_assert_str_eq(f.s.families[r->to], "academy");
  ck_assert(r->confidence == 1);
  assert_near(r->lift, 1.25);
  r = &f.o.rules[7]; /* consult -> core */
  ck_assert(r->confidence == 0 && r->lift == 0);

  json_t *rows = ltvd_an_rules_rows(&f.r, &f.o);
  char *text = ltvd_json_dumps(json_array_get(rows, 2));
  assert_json(text, "{\"from_family\":\"academy\",\"to_family\":\"extra\",\"support\":4,"
                    "\"confidence\":0.0,\"lift\":null}");
  free(text);
  json_decref(rows);
  assert_near(f.o.size_p25, 87.5);
  done(&f);
}
END_TEST

START_TEST(cross_sell_candidates_percentile_and_value)
{
  struct fx f;
  cross_case(&f, true);
  ck_assert_int_eq(f.o.n, 2);
  const struct ltvd_an_opp *o = &f.o.opps[0];
  ck_assert_int_eq(o->customer_id, 40);
  ck_assert_int_eq(o->type, LTVD_AN_OPP_CROSS_SELL);
  ck_assert_str_eq(f.s.families[o->family], "consult");
  ck_assert_str_eq(product_of(&f, o), "cons_big");
  ck_assert(o->score == 0.75 && o->expected_annual_value == 48000 && o->priority == 36000);
  json_t *row = row_json(&f, o);
  ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "reasons"), 0)),
                   "3 of 4 top customers holding academy also hold consult");
  json_decref(row);

  o = &f.o.opps[1];
  ck_assert_int_eq(o->customer_id, 43);
  ck_assert_str_eq(f.s.families[o->family], "academy");
  ck_assert_str_eq(product_of(&f, o), "acad_a");
  ck_assert(o->score == 1 && o->expected_annual_value == 2400 && o->priority == 2400);
  row = row_json(&f, o);
  ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "reasons"), 0)),
                   "3 of 3 top customers holding consult also hold academy");
  json_decref(row);
  /* "opp_" + sha256("20|cross_sell|consult")[0..20): the form of every id */
  char id[LTVD_AN_OPP_ID_LEN];
  ltvd_an_opp_id(20, LTVD_AN_OPP_CROSS_SELL, "consult", id);
  ck_assert_str_eq(id, "opp_e5c62932911a505e3412");
  done(&f);
}
END_TEST

/* The same company with no employee count among the top customers: the size condition
 * is dropped, so 41 (80) and 42 (no count) are listed too, and 44 still is not (its
 * consult is excluded by the open deal). */
START_TEST(cross_sell_without_top_counts_drops_the_size_condition)
{
  struct fx f;
  cross_case(&f, false);
  ck_assert(isnan(f.o.size_p25));
  ck_assert_int_eq(f.o.n, 4);
  /* priority 36000 for 40, 41, 42 (by id), then 43's 2400 */
  ck_assert_int_eq(f.o.opps[0].customer_id, 40);
  ck_assert_int_eq(f.o.opps[1].customer_id, 41);
  ck_assert_int_eq(f.o.opps[2].customer_id, 42);
  ck_assert_int_eq(f.o.opps[3].customer_id, 43);
  ck_assert_ptr_null(find(&f, 44, LTVD_AN_OPP_CROSS_SELL, "consult"));
  done(&f);
}
END_TEST

/* ---- ordering ties ------------------------------------------------------------------------ */

/* Families fa and fb (tiers 1 at 100, 2 at 200) and fc (one tier, 100). Four top
 * customers 50..53 (gold, churned) hold fa at tier 2, and 50 and 51 hold fc: fa->fc has
 * confidence 2/4 = 0.5 (>= 0.5). No top customer has an employee count.
 *   60 and 61 hold fa and fb at tier 1 (MRR 100 on fa1 and fb1 in M) and have a
 *   product-less usage of 0.9:
 *   upsell fa: 0.5 x 12 (200 - 100) = 600; upsell fb: the same 600;
 *   cross-sell fc: 0.5 x 12 x 100 = 600 (no MRR in fc).
 *   62 holds fa at tier 1 (fa1) with an interest in fa2 and a usage: 0.8 x 1200 = 960.
 * Order: 62's 960 first; then priority 600: customer 60 before 61; within a customer
 * cross_sell before upsell; within a type fa before fb. */
START_TEST(ordering_ties)
{
  struct fx f;
  begin(&f);
  int32_t top[4], cand[3];
  for (int i = 0; i < 4; i++)
    top[i] = customer(&f, 50 + i, false, 0);
  for (int i = 0; i < 3; i++) {
    cand[i] = customer(&f, 60 + i, false, 0);
    signal(&f, cand[i], 10 + i, LTVD_AN_USAGE, "2026-11-01", NULL, 0.9);
  }
  signal(&f, cand[2], 20, LTVD_AN_FEATURE_INTEREST, "2026-11-02", "fa2", NAN);
  for (int i = 0; i < 3; i++) {
    mrr(&f, cand[i], "fa1", 100);
    if (i < 2)
      mrr(&f, cand[i], "fb1", 100);
  }
  finish(&f);
  for (int i = 0; i < 4; i++) {
    paying(&f, top[i], false, LTVD_AN_GOLD, 0);
    hold(&f, top[i], "fa", 2);
    if (i < 2)
      hold(&f, top[i], "fc", 1);
  }
  for (int i = 0; i < 3; i++) {
    paying(&f, cand[i], true, LTVD_AN_BRONZE, 3);
    hold(&f, cand[i], "fa", 1);
    if (i < 2)
      hold(&f, cand[i], "fb", 1);
  }
  ltvd_an_opportunities(&f.r, &f.o);

  static const struct {
    int64_t customer;
    int type;
    const char *family;
    double priority;
  } want[] = {
      {62, LTVD_AN_OPP_UPSELL, "fa", 960},     {60, LTVD_AN_OPP_CROSS_SELL, "fc", 600},
      {60, LTVD_AN_OPP_UPSELL, "fa", 600},     {60, LTVD_AN_OPP_UPSELL, "fb", 600},
      {61, LTVD_AN_OPP_CROSS_SELL, "fc", 600}, {61, LTVD_AN_OPP_UPSELL, "fa", 600},
      {61, LTVD_AN_OPP_UPSELL, "fb", 600},     {62, LTVD_AN_OPP_CROSS_SELL, "fc", 600},
  };
  ck_assert_int_eq(f.o.n, sizeof want / sizeof *want);
  for (size_t i = 0; i < f.o.n; i++) {
    const struct ltvd_an_opp *o = &f.o.opps[i];
    ck_assert_msg(o->customer_id == want[i].customer && o->type == want[i].type &&
                      strcmp(f.s.families[o->family], want[i].family) == 0,
                  "position %zu: %lld %s %s", i, (long long)o->customer_id,
                  ltvd_an_opp_type_name(o->type), f.s.families[o->family]);
    assert_near(o->priority, want[i].priority);
  }
  done(&f);
}
END_TEST

/* ---- alerts -------------------------------------------------------------------------------- */

/* Customers 1..7, run after run:
 *   1: gold/A in run 1, silver/B in run 2: tier_changed gold->silver, quadrant_changed A->B.
 *   2: active in run 1, churned in run 2: churned (its tier and quadrant stay).
 *   3: a new nps 5 (id 902) in run 2: nps_detractor (detractor).
 *   4: nps 10 (id 900, seen in run 1), then 7 (id 903) in run 2: a drop of 3: nps_detractor.
 *   5: nps 9 (id 901), then 7 (id 904): a drop of 2, 7 > 6: nothing.
 *   6: won deal 800 ending T+30 in both runs: recorded by run 1, no alert in run 2; won
 *      deal 801 ending T+10 appears in run 2: renewal_due.
 *   7: won deal 802 ending T+20 but an open renewal deal 803 in run 2: nothing.
 *   8: appears in run 2 (no baseline) as platinum/A: no change alert.
 * Opportunities: run 1 lists 1/upsell/core; run 2 lists it and 2/cross_sell/consult (new:
 * opportunity_new) and 3/upsell/core (new but dismissed: hidden, no alert). Run 3 is run 2
 * again: nothing at all. */
struct alert_run {
  struct fx f;
  struct ltvd_an_opps opps;
};

static void alert_run(struct alert_run *a, int run)
{
  struct fx *f = &a->f;
  begin(f);
  int32_t c[8];
  for (int i = 0; i < (run == 1 ? 7 : 8); i++)
    c[i] = customer(f, i + 1, false, 0);
  signal(f, c[3], 900, LTVD_AN_NPS, "2026-05-01", NULL, 10);
  signal(f, c[4], 901, LTVD_AN_NPS, "2026-05-01", NULL, 9);
  deal(f, 800, c[5], "new_business", "won", "basic", "2026-01-01", "2026-12-15");
  if (run > 1) {
    signal(f, c[2], 902, LTVD_AN_NPS, "2026-11-01", NULL, 5);
    signal(f, c[3], 903, LTVD_AN_NPS, "2026-11-01", NULL, 7);
    signal(f, c[4], 904, LTVD_AN_NPS, "2026-11-01", NULL, 7);
    deal(f, 801, c[5], "new_business", "won", "basic", "2026-01-01", "2026-11-25");
    deal(f, 802, c[6], "new_business", "won", "basic", "2026-01-01", "2026-12-05");
    deal(f, 803, c[6], "renewal", "open", "basic", NULL, NULL);
  }
  finish(f);
  for (int i = 0; i < 7; i++)
    paying(f, c[i], !(run > 1 && i == 1), run > 1 && i == 0 ? LTVD_AN_SILVER : LTVD_AN_GOLD,
           run > 1 && i == 0 ? 1 : 0);
  if (run > 1)
    paying(f, c[7], true, LTVD_AN_PLATINUM, 0);
  /* the opportunities, by hand: only their ids, customers, types, families, products
     and priorities matter here */
  memset(&a->opps, 0, sizeof a->opps);
  a->opps.opps = calloc(3, sizeof *a->opps.opps);
  static const struct {
    int64_t customer;
    int type;
    const char *family, *product;
  } listed[] = {{1, LTVD_AN_OPP_UPSELL, "core", "pro_a"},
                {2, LTVD_AN_OPP_CROSS_SELL, "consult", "cons_big"},
                {3, LTVD_AN_OPP_UPSELL, "core", "pro_a"}};
  a->opps.n = run == 1 ? 1 : 3;
  for (size_t i = 0; i < a->opps.n; i++) {
    struct ltvd_an_opp *o = &a->opps.opps[i];
    o->customer_id = listed[i].customer;
    o->customer = ltvd_an_customer_index(&f->s, listed[i].customer);
    o->type = listed[i].type;
    o->family = ltvd_an_family_index(&f->s, listed[i].family);
    o->product = ltvd_an_product_index(&f->s, listed[i].product);
    o->priority = 1000.0 * (double)(3 - i);
    ltvd_an_opp_id(o->customer_id, o->type, listed[i].family, o->id);
  }
}

static void alert_run_free(struct alert_run *a)
{
  ltvd_an_opps_free(&a->opps);
  done(&a->f);
}

static char *alerts_text(const struct ltvd_an_alerts *al)
{
  json_t *all = json_array();
  for (size_t i = 0; i < al->n; i++)
    json_array_append_new(all, json_pack("{s:s, s:I, s:O}", "type",
                                         ltvd_an_alert_type_name(al->a[i].type), "customer_id",
                                         (json_int_t)al->a[i].customer_id, "data", al->a[i].data));
  char *text = ltvd_json_dumps(all);
  json_decref(all);
  return text;
}

START_TEST(alerts_first_run_each_type_once_then_none)
{
  struct ltvd_an_alert_state prev = {.first_run = true}, next;
  struct ltvd_an_alerts al;
  struct alert_run a;

  alert_run(&a, 1);
  ltvd_an_alerts_derive(&a.f.r, &a.opps, &prev, &al, &next);
  ck_assert_int_eq(al.n, 0);
  ck_assert(!next.first_run);
  ck_assert_int_eq(next.nps_seen, 901);
  ck_assert_int_eq(next.n_customers, 7);
  ck_assert_int_eq(next.n_renewals, 1); /* deal 800: recorded, not raised */
  ck_assert_int_eq(next.n_opps, 1);
  ltvd_an_alerts_free(&al);
  alert_run_free(&a);
  prev = next;

  /* run 2: 3/upsell/core is dismissed */
  alert_run(&a, 2);
  prev.n_hidden = 1;
  prev.hidden_ids = calloc(1, LTVD_AN_OPP_ID_LEN);
  ltvd_an_opp_id(3, LTVD_AN_OPP_UPSELL, "core", prev.hidden_ids[0]);
  ltvd_an_alerts_derive(&a.f.r, &a.opps, &prev, &al, &next);
  char *text = alerts_text(&al);
  char opp_id[LTVD_AN_OPP_ID_LEN];
  ltvd_an_opp_id(2, LTVD_AN_OPP_CROSS_SELL, "consult", opp_id);
  char *want;
  /* clang-format off */
  ck_assert(asprintf(&want,
      "[{\"type\":\"tier_changed\",\"customer_id\":1,\"data\":{\"from\":\"gold\",\"to\":\"silver\"}},"
      "{\"type\":\"quadrant_changed\",\"customer_id\":1,\"data\":{\"from\":\"A\",\"to\":\"B\"}},"
      "{\"type\":\"churned\",\"customer_id\":2,\"data\":{\"from\":\"active\",\"to\":\"churned\","
      "\"last_mrr_month\":null,\"last_purchase_date\":null}},"
      "{\"type\":\"nps_detractor\",\"customer_id\":3,\"data\":{\"signal_id\":902,\"nps\":5,"
      "\"previous_nps\":null,\"occurred_at\":\"2026-11-01T12:00:00.000000Z\",\"reason\":\"detractor\"}},"
      "{\"type\":\"nps_detractor\",\"customer_id\":4,\"data\":{\"signal_id\":903,\"nps\":7,"
      "\"previous_nps\":10,\"occurred_at\":\"2026-11-01T12:00:00.000000Z\",\"reason\":\"drop\"}},"
      "{\"type\":\"renewal_due\",\"customer_id\":6,\"data\":{\"deal_id\":801,"
      "\"contract_end_date\":\"2026-11-25\",\"pipeline\":\"new_business\",\"product\":\"basic\"}},"
      "{\"type\":\"opportunity_new\",\"customer_id\":2,\"data\":{\"opportunity_id\":\"%s\","
      "\"type\":\"cross_sell\",\"family\":\"consult\",\"product\":\"cons_big\",\"priority\":2000.0}}]",
      opp_id) > 0);
  /* clang-format on */
  assert_json(text, want);
  free(text);
  free(want);
  ck_assert_int_eq(next.nps_seen, 904);
  ck_assert_int_eq(next.n_renewals, 2); /* 800 and 801; 802 is not due (a renewal is open) */
  ltvd_an_alerts_free(&al);
  ltvd_an_alert_state_free(&prev);
  prev = next;

  /* run 3: the same data again: nothing */
  ltvd_an_alerts_derive(&a.f.r, &a.opps, &prev, &al, &next);
  ck_assert_int_eq(al.n, 0);
  ltvd_an_alerts_free(&al);
  ltvd_an_alert_state_free(&prev);
  ltvd_an_alert_state_free(&next);
  alert_run_free(&a);
}
END_TEST

/* A renewal stays announced until its contract end passes: a later run whose T is past
 * it drops it from the baseline. */
START_TEST(alerts_renewals_leave_the_baseline_once_ended)
{
  struct ltvd_an_alert_state prev = {.first_run = false, .n_renewals = 2}, next;
  struct ltvd_an_alerts al;
  struct alert_run a;
  prev.renewals = calloc(2, sizeof *prev.renewals);
  prev.renewals[0] = (struct ltvd_an_renewal_seen){700, day("2026-11-14")};
  prev.renewals[1] = (struct ltvd_an_renewal_seen){800, day("2026-12-15")};
  alert_run(&a, 1);
  ltvd_an_alerts_derive(&a.f.r, &a.opps, &prev, &al, &next);
  /* no baseline customers: no change alerts; deal 800 announced before: none; the
     opportunity is new */
  ck_assert_int_eq(al.n, 1);
  ck_assert_int_eq(al.a[0].type, LTVD_AN_ALERT_OPPORTUNITY_NEW);
  ck_assert_int_eq(next.n_renewals, 1);
  ck_assert_int_eq(next.renewals[0].deal_id, 800);
  ltvd_an_alerts_free(&al);
  ltvd_an_alert_state_free(&prev);
  ltvd_an_alert_state_free(&next);
  alert_run_free(&a);
}
END_TEST

/* ---- size ------------------------------------------------------------------------------------ */

/* 100,000 customers over 8 families of 3 tiers, ~40% of them top, a few signals and
 * deals each: the time of one computation is printed, not asserted. */
START_TEST(hundred_thousand_customers)
{
  struct fx f;
  memset(&f, 0, sizeof f);
  f.s.today = day("2026-11-15");
  ltvd_an_settings_default(&f.s.settings);
  ltvd_an_add_unit(&f.s, "u");
  char key[32], family[16];
  for (int fam = 0; fam < 8; fam++)
    for (int t = 1; t <= 3; t++) {
      snprintf(key, sizeof key, "f%d_t%d", fam, t);
      snprintf(family, sizeof family, "f%d", fam);
      ltvd_an_add_product(&f.s, key, "u", family, t, 1000 * t + 100 * fam, NAN);
    }
  pipeline(&f, "cross_sell", LTVD_AN_CROSS_SELL, 3);
  pipeline(&f, "upsell", LTVD_AN_UPSELL, 2);
  srand(42);
  const size_t n = 100000;
  for (size_t i = 0; i < n; i++) {
    int32_t c = customer(&f, (int64_t)i + 1, i % 7 != 0, 10 + rand() % 5000);
    for (int k = 0; k < 3; k++) {
      snprintf(key, sizeof key, "f%d_t%d", rand() % 8, 1 + rand() % 3);
      signal(&f, c, (int64_t)(i * 3 + (size_t)k + 1),
             k == 0 ? LTVD_AN_USAGE : LTVD_AN_FEATURE_INTEREST, "2026-11-01", key,
             k == 0 ? (rand() % 100) / 100.0 : NAN);
    }
    snprintf(key, sizeof key, "f%d_t1", rand() % 8);
    mrr(&f, c, key, 1000 + rand() % 1000);
    if (i % 5 == 0)
      deal(&f, (int64_t)i + 1, c, "upsell", "open", key, NULL, NULL);
  }
  finish(&f);
  for (size_t i = 0; i < n; i++) {
    int tier = rand() % 10 < 4 ? LTVD_AN_GOLD : LTVD_AN_SILVER;
    paying(&f, (int32_t)i, rand() % 10 != 0, tier, rand() % 4);
    for (int fam = 0; fam < 8; fam++)
      if (rand() % 3 == 0) {
        snprintf(family, sizeof family, "f%d", fam);
        hold(&f, (int32_t)i, family, 1 + rand() % 3);
      }
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ltvd_an_opportunities(&f.r, &f.o);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("opportunities of 100000 customers: %.1f ms, %zu opportunities, %zu rules\n", ms, f.o.n,
         f.o.n_rules);
  ck_assert_int_gt(f.o.n, 1000);
  for (size_t i = 1; i < f.o.n; i++)
    ck_assert(f.o.opps[i - 1].priority >= f.o.opps[i].priority);
  done(&f);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("opportunities");
  TCase *tc = tcase_create("upsell");
  ADD(tc, upsell_score_parts_target_and_value);
  ADD(tc, upsell_order_reasons_and_id);
  ADD(tc, exclusions_and_at_risk);
  suite_add_tcase(s, tc);
  tc = tcase_create("cross_sell");
  ADD(tc, cross_sell_rules_support_confidence_lift);
  ADD(tc, cross_sell_candidates_percentile_and_value);
  ADD(tc, cross_sell_without_top_counts_drops_the_size_condition);
  ADD(tc, ordering_ties);
  suite_add_tcase(s, tc);
  tc = tcase_create("alerts");
  ADD(tc, alerts_first_run_each_type_once_then_none);
  ADD(tc, alerts_renewals_leave_the_baseline_once_ended);
  suite_add_tcase(s, tc);
  tc = tcase_create("size");
  tcase_set_timeout(tc, 120);
  ADD(tc, hundred_thousand_customers);
  suite_add_tcase(s, tc);
  return s;
}
