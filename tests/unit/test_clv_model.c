/* The CLV models (src/analytics/clv_model.c). Built twice: as test_clv_model, the cases
 * checkable by hand; with LTVD_TEST_CDNOW, the published CDNOW results (Fader, Hardie &
 * Lee 2005) on the sample in $LTVD_CDNOW_DIR, which exits 77 (skip) when the data is
 * missing, except under CI where that fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clv_model.h"
#include "unit.h"

#define ck_near(got, want, tol)                                                                    \
  ck_assert_msg(fabs((got) - (want)) <= (tol), "%s = %.12g, want %.12g ± %g", #got, (double)(got), \
                (double)(want), (double)(tol))
#define ck_rel(got, want, rel) ck_near(got, want, (rel)*fabs(want))

#ifndef LTVD_TEST_CDNOW

/* r = 1, α = 1, a = 1, b = 2.
 * A: x = 0, T = 1: L = Γ(1)·1/Γ(1) · B(1,2)/B(1,2) · (1+1)^−1 = 1/2.
 * B: x = 1, t_x = 1, T = 3: Γ(2)/Γ(1) · 1^1 = 1; B(1,3)/B(1,2) = (1/3)/(1/2) = 2/3;
 *    bracket (1+3)^−2 + a/(b+x−1)·(1+1)^−2 = 1/16 + 1/2·1/4 = 3/16; L = 2/3 · 3/16 = 1/8.
 * log L_A + log L_B = −log 2 − log 8 = −log 16. */
static const struct ltvd_clv_bgnbd tiny = {.r = 1, .alpha = 1, .a = 1, .b = 2};
static const struct ltvd_clv_customer cust_a = {0, 0, 1, 0}, cust_b = {1, 1, 3, 5};

START_TEST(bgnbd_likelihood_by_hand)
{
  struct ltvd_clv_customer both[] = {cust_a, cust_b, cust_b};

  ck_near(ltvd_clv_bgnbd_log_likelihood(&tiny, both, 1), -log(2), 1e-12);
  ck_near(ltvd_clv_bgnbd_log_likelihood(&tiny, both + 1, 1), -log(8), 1e-12);
  ck_near(ltvd_clv_bgnbd_log_likelihood(&tiny, both, 2), -log(16), 1e-12);
  /* equal customers count once each: log L_A + 2 log L_B */
  ck_near(ltvd_clv_bgnbd_log_likelihood(&tiny, both, 3), -log(2) - 2 * log(8), 1e-12);
}
END_TEST

/* x = 0 has only the first term, (α/(α+T))^r whatever a and b: (2/8)^0.5 = 1/2. */
START_TEST(bgnbd_likelihood_without_repeat)
{
  struct ltvd_clv_customer c = {0, 0, 6, 0};
  for (double a = 0.2; a < 5; a *= 2.3) {
    struct ltvd_clv_bgnbd m = {.r = 0.5, .alpha = 2, .a = a, .b = 3.1 - a / 2};
    ck_near(ltvd_clv_bgnbd_log_likelihood(&m, &c, 1), log(0.5), 1e-12);
  }
}
END_TEST

/* P(alive) = 1 / (1 + a/(b+x−1)·((α+T)/(α+t_x))^(r+x)): 1 with no repeat; for B
 * 1/(1 + 1/2·(4/2)^2) = 1/3; 1/(1 + a/(b+x−1)) when the last purchase is at T. */
START_TEST(p_alive_limits)
{
  struct ltvd_clv_customer at_T = {3, 7, 7, 1};

  ck_near(ltvd_clv_p_alive(&tiny, &cust_a), 1, 1e-15);
  ck_near(ltvd_clv_p_alive(&tiny, &cust_b), 1.0 / 3, 1e-14);
  ck_near(ltvd_clv_p_alive(&tiny, &at_T), 1 / (1 + 1.0 / 4), 1e-14);
  /* a long silence after many purchases: nearly certainly gone, without overflow */
  struct ltvd_clv_customer gone = {400, 1, 500, 1};
  double p = ltvd_clv_p_alive(&tiny, &gone);
  ck_assert(p >= 0 && p < 1e-100);
}
END_TEST

/* E[X(0)] = 0; for small t, E[X(t)] ≈ t·P(alive)·(r+x)/(α+T) (the posterior rate of
 * someone alive); as t → ∞ with a > 1 and no history, the mean number of purchases before
 * dropping out, E[1/p] = (a+b−1)/(a−1). a = 1 exactly (a 0/0 in the formula) too. */
START_TEST(expected_purchases_limits)
{
  const struct ltvd_clv_bgnbd models[] = {tiny,
                                          {.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426},
                                          {.r = 2, .alpha = 3, .a = 3, .b = 2}};
  const struct ltvd_clv_customer cs[] = {cust_a, cust_b, {2, 30.43, 38.86, 0}, {40, 30, 31, 0}};

  for (size_t i = 0; i < sizeof models / sizeof *models; i++)
    for (size_t j = 0; j < sizeof cs / sizeof *cs; j++) {
      const struct ltvd_clv_bgnbd *m = &models[i];
      const struct ltvd_clv_customer *c = &cs[j];
      double rate = ltvd_clv_p_alive(m, c) * (m->r + c->x) / (m->alpha + c->T);
      ck_assert(ltvd_clv_expected_purchases(m, c, 0) == 0);
      ck_rel(ltvd_clv_expected_purchases(m, c, 1e-4) / 1e-4, rate, 1e-3);
      double e1 = ltvd_clv_expected_purchases(m, c, 10), e2 = ltvd_clv_expected_purchases(m, c, 20);
      ck_assert(e1 > 0 && e2 > e1);
    }
  const struct ltvd_clv_customer fresh = {0, 0, 0, 0};
  ck_rel(ltvd_clv_expected_purchases(&models[2], &fresh, 1e4), 4.0 / 2, 1e-4);
  /* beyond 10^6 series terms (1 − z below about 4e-5) it says so rather than guess */
  ck_assert(isnan(ltvd_clv_expected_purchases(&models[2], &fresh, 1e7)));
}
END_TEST

/* The published example (Fader, Hardie & Lee 2005): x = 2, t_x = 30.43, T = 38.86 at the
 * published parameters expects 1.226 purchases in the next 39 weeks (SciPy's hyp2f1 gives
 * 1.2260282). */
START_TEST(expected_purchases_published_example)
{
  struct ltvd_clv_bgnbd m = {.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426};
  struct ltvd_clv_customer c = {2, 30.43, 38.86, 0};
  ck_near(ltvd_clv_expected_purchases(&m, &c, 39), 1.2260282, 1e-6);
}
END_TEST

/* Closed forms: 2F1(1,1;2;z) = −log(1−z)/z and 2F1(a,b;b;z) = (1−z)^−a; then the plain
 * series summed term by term in log space (Python, math.lgamma) for large x and z near 1
 * at CDNOW-like parameters, where SciPy's hyp2f1 overflows for the second. */
START_TEST(hyp2f1_values)
{
  for (double z = 0.1; z < 0.9995; z = 1 - (1 - z) / 3)
    ck_rel(ltvd_clv_log_hyp2f1(1, 1, 2, z), log(-log1p(-z) / z), 1e-12);
  ck_rel(ltvd_clv_log_hyp2f1(50.5, 3, 3, 0.95), -50.5 * log(0.05), 1e-13);
  ck_near(ltvd_clv_log_hyp2f1(2, 3, 4, 0), 0, 0);
  ck_rel(ltvd_clv_log_hyp2f1(100.2426, 102.4259, 102.2188, 0.95), 300.916554835038, 1e-12);
  ck_rel(ltvd_clv_log_hyp2f1(300.2426, 302.4259, 302.2188, 0.99), 1383.6206540386481, 1e-12);
  ck_rel(ltvd_clv_log_hyp2f1(2.2426, 4.4259, 4.2188, 0.4803), 1.5490093893847816, 1e-12);
  ck_rel(ltvd_clv_log_hyp2f1(0.2426, 2.4259, 2.2188, 0.9), 0.6656027410856019, 1e-12);
}
END_TEST

/* Same-day purchases merge; later ones are ignored. Days 10, 10, 17 (and 31 after today
 * 24): x = 1, t_x = 1, T = 2, spend = day 17's amount, 12.50. */
START_TEST(prepare_follows_spec)
{
  struct ltvd_clv_purchase p[] = {{31, 999}, {17, 1250}, {10, 300}, {10, 700}};
  struct ltvd_clv_customer c;

  ck_assert(ltvd_clv_prepare(p, 4, 24, 100, &c));
  ck_near(c.x, 1, 0);
  ck_near(c.t_x, 1, 1e-15);
  ck_near(c.T, 2, 1e-15);
  ck_near(c.spend, 12.5, 1e-15);

  struct ltvd_clv_purchase one[] = {{5, 100}, {5, 200}};
  ck_assert(ltvd_clv_prepare(one, 2, 12, 100, &c));
  ck_assert(c.x == 0 && c.t_x == 0 && c.spend == 0);
  ck_near(c.T, 1, 1e-15);

  struct ltvd_clv_purchase later[] = {{30, 100}};
  ck_assert(!ltvd_clv_prepare(later, 1, 12, 100, &c));
}
END_TEST

/* p = 1, q = 2, γ = 1, x = 1, m̄ = 1: m̄ | ν ~ Exp(ν), ν ~ Gamma(2, 1), so
 * f(m) = ∫ ν e^(−νm) ν e^(−ν) dν = 2/(1+m)^3 = 1/4. Expected spend p(γ+x m̄)/(px+q−1):
 * 6·(15 + 2·20)/(12 + 4 − 1) = 22, and pγ/(q−1) = 30 with no repeat. */
START_TEST(gamma_gamma_by_hand)
{
  struct ltvd_clv_gamma_gamma g = {.p = 1, .q = 2, .gamma = 1};
  struct ltvd_clv_customer cs[] = {{1, 0, 1, 1}, {0, 0, 1, 0}};

  ck_near(ltvd_clv_gamma_gamma_log_likelihood(&g, cs, 2), -log(4), 1e-12);
  struct ltvd_clv_gamma_gamma g2 = {.p = 6, .q = 4, .gamma = 15};
  struct ltvd_clv_customer c = {2, 5, 9, 20};
  ck_near(ltvd_clv_expected_spend(&g2, &c), 22, 1e-12);
  ck_near(ltvd_clv_expected_spend(&g2, &cs[1]), 30, 1e-12);
}
END_TEST

/* With no discount the increments telescope: E[X(H months)] × spend, in minor units; a
 * discount weights month k by 1/(1+d)^k. */
START_TEST(predicted_clv_sums_discounted_months)
{
  struct ltvd_clv_bgnbd m = {.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426};
  struct ltvd_clv_gamma_gamma g = {.p = 6, .q = 4, .gamma = 15};
  struct ltvd_clv_customer c = {2, 30.43, 38.86, 20};
  double w = LTVD_CLV_WEEKS_PER_MONTH, s = ltvd_clv_expected_spend(&g, &c);

  ck_rel(ltvd_clv_predicted_clv(&m, &g, &c, 12, 0, 100),
         ltvd_clv_expected_purchases(&m, &c, 12 * w) * s * 100, 1e-12);
  double e1 = ltvd_clv_expected_purchases(&m, &c, w),
         e2 = ltvd_clv_expected_purchases(&m, &c, 2 * w);
  ck_rel(ltvd_clv_predicted_clv(&m, &g, &c, 2, 0.01, 100),
         (e1 / 1.01 + (e2 - e1) / (1.01 * 1.01)) * s * 100, 1e-12);
  ck_assert(ltvd_clv_predicted_clv(&m, &g, &c, 0, 0.01, 100) == 0);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("clv_model");
  TCase *tc = tcase_create("by hand");
  tcase_set_timeout(tc, 60); /* the 10^6-term series of the NaN case, under valgrind */

  ADD(tc, bgnbd_likelihood_by_hand);
  ADD(tc, bgnbd_likelihood_without_repeat);
  ADD(tc, p_alive_limits);
  ADD(tc, expected_purchases_limits);
  ADD(tc, expected_purchases_published_example);
  ADD(tc, hyp2f1_values);
  ADD(tc, prepare_follows_spec);
  ADD(tc, gamma_gamma_by_hand);
  ADD(tc, predicted_clv_sums_discounted_months);
  suite_add_tcase(s, tc);
  return s;
}

#else

static long days_from_civil(long y, long m, long d)
{
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static char sample_path[4096];

/* The sample's customers (ids 1..2357, in order) summarised up to 1997-09-30. */
static size_t read_sample(struct ltvd_clv_customer *out, size_t max)
{
  FILE *f = fopen(sample_path, "r");
  static struct ltvd_clv_purchase p[512];
  long end = days_from_civil(1997, 9, 30), id, prev = -1, master, date, cds;
  double dollars;
  size_t np = 0, nc = 0;

  ck_assert_msg(f != NULL, "cannot open %s", sample_path);
  for (;;) {
    int got = fscanf(f, "%ld %ld %ld %ld %lf", &master, &id, &date, &cds, &dollars);
    if ((got != 5 || id != prev) && np > 0) {
      ck_assert(nc < max);
      if (ltvd_clv_prepare(p, np, (int32_t)end, 100, &out[nc]))
        nc++;
      np = 0;
    }
    if (got != 5)
      break;
    ck_assert(np < sizeof p / sizeof *p);
    p[np++] = (struct ltvd_clv_purchase){
        (int32_t)days_from_civil(date / 10000, date / 100 % 100, date % 100),
        llround(dollars * 100)};
    prev = id;
  }
  fclose(f);
  return nc;
}

START_TEST(cdnow_sample_reproduces_the_published_fit)
{
  static struct ltvd_clv_customer c[4000];
  struct ltvd_clv_bgnbd m;
  struct ltvd_clv_gamma_gamma g;
  size_t n = read_sample(c, 4000), repeat = 0;

  ck_assert_uint_eq(n, 2357);
  for (size_t i = 0; i < n; i++)
    repeat += c[i].x > 0;
  ck_assert_uint_eq(repeat, 946);

  ck_assert(ltvd_clv_bgnbd_fit(c, n, &m));
  ck_assert(m.converged);
  ck_rel(m.r, 0.2426, 1e-3);
  ck_rel(m.alpha, 4.4136, 1e-3);
  ck_rel(m.a, 0.7929, 1e-3);
  ck_rel(m.b, 2.4259, 1e-3);
  ck_near(m.log_likelihood, -9582.43, 0.01);

  ck_assert(ltvd_clv_gamma_gamma_fit(c, n, &g));
  ck_assert(g.converged);
  ck_rel(g.p, 6.2496, 1e-3);
  ck_rel(g.q, 3.7442, 1e-3);
  ck_rel(g.gamma, 15.4435, 1e-3);

  /* customer 1: x = 2, t_x = 213/7 = 30.43, T = 272/7 = 38.86 weeks */
  ck_near(c[0].x, 2, 0);
  ck_near(c[0].t_x, 30.43, 0.005);
  ck_near(c[0].T, 38.86, 0.005);
  ck_near(ltvd_clv_expected_purchases(&m, &c[0], 39), 1.226, 5e-4);
}
END_TEST

static Suite *suite(void)
{
  const char *dir = getenv("LTVD_CDNOW_DIR");
  FILE *f;

  snprintf(sample_path, sizeof sample_path, "%s/CDNOW_sample.txt", dir ? dir : ".");
  if ((f = fopen(sample_path, "r")) == NULL) {
    fprintf(stderr, "test_clv_cdnow: %s is missing (set LTVD_CDNOW_DIR)\n", sample_path);
    exit(getenv("CI") != NULL ? EXIT_FAILURE : 77);
  }
  fclose(f);

  Suite *s = suite_create("clv_cdnow");
  TCase *tc = tcase_create("cdnow");
  tcase_set_timeout(tc, 60);
  ADD(tc, cdnow_sample_reproduces_the_published_fit);
  suite_add_tcase(s, tc);
  return s;
}

#endif
