/* Predictive CLV (SPEC section 4.10): the BG/NBD purchase model and the Gamma-Gamma
 * spend model of Fader, Hardie & Lee (2005), fitted by maximum likelihood. Pure: data
 * in, numbers out, no I/O. Time is in weeks, money in major units unless named minor. */
#ifndef LTVD_CLV_MODEL_H
#define LTVD_CLV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A month in weeks: 365.25 / 12 days. */
#define LTVD_CLV_WEEKS_PER_MONTH (365.25 / 12.0 / 7.0)

/* One purchase: a day number (any epoch, e.g. days since 1970-01-01) and its amount in
 * minor units. */
struct ltvd_clv_purchase {
  int32_t day;
  int64_t amount_minor;
};

/* A customer's summary: x repeat purchase days, t_x and T in weeks, and spend, the mean
 * of the repeat days' amounts in major units (0 when x = 0). */
struct ltvd_clv_customer {
  double x, t_x, T, spend;
};

struct ltvd_clv_bgnbd {
  double r, alpha, a, b;
  double log_likelihood;
  int iterations; /* of the best start */
  bool converged; /* likelihood change and gradient norm both below tolerance */
};

struct ltvd_clv_gamma_gamma {
  double p, q, gamma;
  double log_likelihood;
  int iterations;
  bool converged;
};

/* The summary of one customer's purchases (SPEC 4.10): those after `today` are ignored,
 * same-day purchases merge (amounts summed), x = distinct days − 1, t_x = (last − first
 * day) / 7, T = (today − first day) / 7. Sorts p in place. False when no purchase is on
 * or before today (the customer is not part of the model). */
bool ltvd_clv_prepare(struct ltvd_clv_purchase *p, size_t n, int32_t today, double minor_per_major,
                      struct ltvd_clv_customer *out);

/* BG/NBD log-likelihood of the data at m's parameters (m's log_likelihood is ignored). */
double ltvd_clv_bgnbd_log_likelihood(const struct ltvd_clv_bgnbd *m,
                                     const struct ltvd_clv_customer *c, size_t n);

/* Maximum-likelihood fit of BG/NBD. False when n = 0 or no start reached a finite
 * likelihood. */
bool ltvd_clv_bgnbd_fit(const struct ltvd_clv_customer *c, size_t n, struct ltvd_clv_bgnbd *out);

/* The same from one start, a previous fit's parameters: after a small change of the data
 * the optimum is near and a few iterations find it. */
bool ltvd_clv_bgnbd_refit(const struct ltvd_clv_customer *c, size_t n,
                          const struct ltvd_clv_bgnbd *from, struct ltvd_clv_bgnbd *out);

/* E[X(t) | x, t_x, T]: expected purchases in the next t weeks. NaN when 2F1's series would
 * need more than 10^6 terms: with small parameters, when t/(α+T+t) is within about 4e-5
 * of 1, i.e. t beyond some 25,000 times α + T (centuries for CDNOW's α of 4 weeks). */
double ltvd_clv_expected_purchases(const struct ltvd_clv_bgnbd *m,
                                   const struct ltvd_clv_customer *c, double t);

/* P(alive | x, t_x, T). */
double ltvd_clv_p_alive(const struct ltvd_clv_bgnbd *m, const struct ltvd_clv_customer *c);

/* Gamma-Gamma log-likelihood over the customers with x > 0 (others are skipped). */
double ltvd_clv_gamma_gamma_log_likelihood(const struct ltvd_clv_gamma_gamma *m,
                                           const struct ltvd_clv_customer *c, size_t n);

/* Maximum-likelihood fit of Gamma-Gamma on the customers with x > 0 and spend > 0.
 * False when there are none or the fit fails. */
bool ltvd_clv_gamma_gamma_fit(const struct ltvd_clv_customer *c, size_t n,
                              struct ltvd_clv_gamma_gamma *out);

/* The same from one start, a previous fit's parameters. */
bool ltvd_clv_gamma_gamma_refit(const struct ltvd_clv_customer *c, size_t n,
                                const struct ltvd_clv_gamma_gamma *from,
                                struct ltvd_clv_gamma_gamma *out);

/* The conditional expected spend per purchase, p(γ + x·m̄) / (p·x + q − 1), in major
 * units (the population mean pγ/(q − 1) when x = 0). Needs q > 1. */
double ltvd_clv_expected_spend(const struct ltvd_clv_gamma_gamma *m,
                               const struct ltvd_clv_customer *c);

/* predicted_clv in minor units: Σ over k = 1 … horizon_months of
 * (E[X(k months)] − E[X(k−1 months)]) × expected spend / (1 + monthly_discount)^k. */
double ltvd_clv_predicted_clv(const struct ltvd_clv_bgnbd *m, const struct ltvd_clv_gamma_gamma *g,
                              const struct ltvd_clv_customer *c, int horizon_months,
                              double monthly_discount, double minor_per_major);

/* log 2F1(a, b; c; z) for a, b, c > 0 and 0 ≤ z < 1 (then 2F1 ≥ 1 > 0); NaN past 10^6
 * series terms. */
double ltvd_clv_log_hyp2f1(double a, double b, double c, double z);

#endif
