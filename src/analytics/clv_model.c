/* BG/NBD and Gamma-Gamma (Fader, Hardie & Lee 2005), SPEC section 4.10.
 *
 * BG/NBD: while alive a customer buys at Poisson rate λ ~ Gamma(r, α) and after each
 * purchase dies with probability p ~ Beta(a, b). With x repeat purchases, the last at t_x
 * and observation up to T (weeks since the first purchase), a customer's likelihood is
 *   L = Γ(r+x)α^r/Γ(r) · B(a, b+x)/B(a, b) · [(α+T)^-(r+x) + δ(x>0)·a/(b+x−1)·(α+t_x)^-(r+x)]
 * (the second term: died right after the last purchase). Both bracketed terms are positive,
 * so the log is taken term by term and the bracket by log-sum-exp; x = 0 has only the first
 * term. The fit maximises Σ log L over the logs of (r, α, a, b), which keeps the parameters
 * positive, with BFGS on the analytic gradient (digamma) from several starting points,
 * keeping the best; a start has converged when both the change in log-likelihood and the
 * gradient norm are below tolerance. Customers with the same (x, t_x, T) are counted once
 * with a weight; the terms that depend on x alone, and the logs of α+T and α+t_x, are
 * computed once per distinct value.
 *
 * E[X(t) | x, t_x, T] needs 2F1(r+x, b+x; a+b+x−1; z), z = t/(α+T+t). Its plain series
 * has positive terms but needs about x·z/(1−z) of them and grows like (1−z)^−x, so it is
 * taken after Euler's transformation 2F1(a,b;c;z) = (1−z)^(c−a−b) 2F1(c−a, c−b; c; z),
 * whose parameters c−a = a+b−1−r and c−b = a−1 do not grow with x while c does, so it
 * converges in a few terms; its terms may change sign (a < 1), so positive and negative
 * parts are summed apart, each relative to the largest term (the result is a log and never
 * overflows), and the plain series is the fallback when they cancel.
 *
 * Gamma-Gamma: per-purchase spend ~ Gamma(p, ν), ν ~ Gamma(q, γ); fitted the same way on
 * the customers with x > 0, on the mean of their repeat days' amounts. */
#include "ltvd/clv_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- special functions ---------------------------------------------------------- */

static double digamma(double x)
{
  double s = 0;

  while (x < 6) {
    s -= 1 / x;
    x += 1;
  }
  double f = 1 / (x * x);
  return s + log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

/* log(1 + e^u) */
static double softplus(double u)
{
  return u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
}

/* Σ_k (A)_k (B)_k / ((C)_k k!) z^k for C > 0, 0 ≤ z < 1: its log, with the positive and
 * negative terms summed apart. *lost is the fraction of the positive part cancelled
 * (1 = all); NaN when the sum is not positive or needs more than 10^6 terms (the count
 * grows as 1/(1 − z) when the parameters are small). */
static double log_series(double A, double B, double C, double z, double *lost)
{
  /* the positive and negative parts as e^scale · P and e^scale · N, each term t_k taken
   * from the last by its ratio (t_0 = 1) and e^scale raised whenever a term passes 1e200,
   * so that a term costs a few multiplications, not a log and an exp */
  double scale = 0, P = 1, N = 0, t = 1;
  int sign = 1;
  bool done = false;

  for (long k = 0; k < 1000000 && !done; k++) {
    double fa = A + k, fb = B + k;
    if (fa == 0 || fb == 0) {
      done = true;
      break;
    }
    double rho = z * fabs(fa * fb) / ((C + k) * (k + 1));
    t *= rho;
    if ((fa < 0) != (fb < 0))
      sign = -sign;
    if (t > 1e200) {
      P /= t;
      N /= t;
      scale += log(t);
      t = 1;
    }
    if (sign > 0)
      P += t;
    else
      N += t;
    /* the later ratios tend to z; bound the tail by the larger of the two */
    double bound = rho > z ? rho : z;
    done = bound < 1 && t * bound / (1 - bound) < 1e-16 * fmax(P, N);
  }
  *lost = 1;
  if (!done || N >= P)
    return NAN;
  *lost = N / P;
  return scale + log(P) + log1p(-*lost);
}

double ltvd_clv_log_hyp2f1(double a, double b, double c, double z)
{
  double lost;

  if (z == 0)
    return 0;
  /* Euler's transformation first, unless its terms would first grow for long: with
   * (c−a)(c−b)z far above c (e.g. a and b near 10^6 from a fit without an optimum) it
   * would sum up to 10^6 terms before giving up */
  if (fabs((c - a) * (c - b)) * z <= 1e3 * c) {
    double s = log_series(c - a, c - b, c, z, &lost);
    if (isfinite(s) && lost < 0.999)
      return (c - a - b) * log1p(-z) + s;
  }
  return log_series(a, b, c, z, &lost);
}

/* ---- BFGS on log-parameters ------------------------------------------------------ */

#define MAXDIM 4
/* Parameters are kept within [1e-8, 1e8]: on degenerate data (e.g. perfectly regular
 * purchases) the likelihood keeps rising along r, α -> ∞ and an unbounded search would
 * wander for thousands of iterations. */
#define LOG_BOUND 18.420680743952367

/* f(θ) to minimise and its gradient g; non-finite when θ is out of reach. */
typedef double objective(const double *th, double *g, void *ctx);

struct fit_result {
  double f;
  int iterations;
  bool converged;
};

static double dot(int n, const double *u, const double *v)
{
  double s = 0;
  for (int i = 0; i < n; i++)
    s += u[i] * v[i];
  return s;
}

static double norm_inf(int n, const double *g)
{
  double m = 0;
  for (int i = 0; i < n; i++)
    m = fmax(m, fabs(g[i]));
  return m;
}

/* Evaluations of the likelihood one fit (all its starts) may spend: enough for every
 * well-posed data set seen (CDNOW takes a few hundred), and a bound on the time a
 * degenerate one (no heterogeneity: the optimum at infinity) can take. */
#define EVALUATION_BUDGET 1500

/* Minimises f from th (updated in place), spending at most *budget evaluations.
 * Converged when an iteration changes f by at
 * most 1e-12·(1+|f|) and the gradient's largest component is at most 1e-7·(1+|f|). */
static struct fit_result bfgs(int n, double *th, objective *f, void *ctx, int *budget)
{
  double H[MAXDIM][MAXDIM] = {{0}}, g[MAXDIM], gn[MAXDIM], d[MAXDIM], s[MAXDIM], y[MAXDIM],
         tn[MAXDIM];
  struct fit_result res = {f(th, g, ctx), 0, false};
  --*budget;

  if (!isfinite(res.f))
    return res;
  for (int i = 0; i < n; i++)
    H[i][i] = 1;
  for (res.iterations = 1; res.iterations <= 500; res.iterations++) {
    for (int i = 0; i < n; i++) {
      d[i] = 0;
      for (int j = 0; j < n; j++)
        d[i] -= H[i][j] * g[j];
    }
    double slope = dot(n, d, g);
    if (slope >= 0) { /* lost descent: restart from the gradient */
      for (int i = 0; i < n; i++) {
        memset(H[i], 0, sizeof H[i]);
        H[i][i] = 1;
        d[i] = -g[i];
      }
      slope = dot(n, d, g);
    }
    /* no step beyond a factor e^2 in any parameter */
    double step = fmin(1, 2 / fmax(norm_inf(n, d), 1e-300)), fnew = NAN;
    for (int tries = 0; tries < 60 && *budget > 0; tries++, step /= 2) {
      for (int i = 0; i < n; i++) /* parameters stay within e^±LOG_BOUND */
        tn[i] = fmax(-LOG_BOUND, fmin(LOG_BOUND, th[i] + step * d[i]));
      fnew = f(tn, gn, ctx);
      --*budget;
      if (isfinite(fnew) && fnew <= res.f + 1e-4 * step * slope)
        break;
    }
    if (!isfinite(fnew) || fnew > res.f)
      break; /* no progress possible: the caller sees converged = false */
    for (int i = 0; i < n; i++) {
      s[i] = tn[i] - th[i];
      y[i] = gn[i] - g[i];
      th[i] = tn[i];
      g[i] = gn[i];
    }
    double change = res.f - fnew;
    res.f = fnew;
    double tol = 1 + fabs(fnew);
    if (change <= 1e-12 * tol && norm_inf(n, g) <= 1e-7 * tol) {
      res.converged = true;
      break;
    }
    double sy = dot(n, s, y);
    /* keep H when the curvature is not positive; scale the first H as Shanno does */
    if (sy <= 1e-300)
      continue;
    if (res.iterations == 1)
      for (int i = 0; i < n; i++)
        H[i][i] = sy / dot(n, y, y);
    double Hy[MAXDIM], yHy = 0;
    for (int i = 0; i < n; i++) {
      Hy[i] = dot(n, H[i], y);
      yHy += y[i] * Hy[i];
    }
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        H[i][j] += (sy + yHy) * s[i] * s[j] / (sy * sy) - (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
  }
  return res;
}

/* ---- data preparation -------------------------------------------------------------- */

static int by_day(const void *u, const void *v)
{
  const struct ltvd_clv_purchase *p = u, *q = v;
  return (p->day > q->day) - (p->day < q->day);
}

bool ltvd_clv_prepare(struct ltvd_clv_purchase *p, size_t n, int32_t today, double minor_per_major,
                      struct ltvd_clv_customer *out)
{
  qsort(p, n, sizeof *p, by_day);
  while (n > 0 && p[n - 1].day > today)
    n--;
  if (n == 0)
    return false;
  long days = 1;
  int64_t repeat_minor = 0;
  for (size_t i = 1; i < n; i++) {
    if (p[i].day != p[i - 1].day)
      days++;
    if (p[i].day != p[0].day)
      repeat_minor += p[i].amount_minor;
  }
  out->x = (double)(days - 1);
  out->t_x = (p[n - 1].day - p[0].day) / 7.0;
  out->T = (today - p[0].day) / 7.0;
  out->spend = days > 1 ? (double)repeat_minor / minor_per_major / (double)(days - 1) : 0;
  return true;
}

/* ---- BG/NBD ---------------------------------------------------------------------- */

/* Customers with equal (x, t_x, T) as one group of weight w; xi, ti and txi index the
 * distinct values of x, T and t_x, whose logs each evaluation computes once. */
struct group {
  double x, w;
  size_t xi, ti, txi;
};

struct distinct {
  double *v; /* ascending */
  size_t n;
  double *lg, *inv; /* per evaluation: log(α + v) and 1/(α + v) */
};

struct bgnbd_data {
  struct group *g;
  size_t ng;
  struct distinct xs, ts, txs;
  double *xterm; /* per distinct x: A1 + A2, log a/(b+x−1) and 4 gradient terms */
};

static int by_summary(const void *u, const void *v)
{
  const struct ltvd_clv_customer *a = u, *b = v;
  if (a->x != b->x)
    return a->x < b->x ? -1 : 1;
  if (a->t_x != b->t_x)
    return a->t_x < b->t_x ? -1 : 1;
  return (a->T > b->T) - (a->T < b->T);
}

static int by_value(const void *u, const void *v)
{
  double a = *(const double *)u, b = *(const double *)v;
  return (a > b) - (a < b);
}

/* The distinct values among n (sorted in place) into d; false when out of memory. */
static bool distinct_init(struct distinct *d, double *v, size_t n)
{
  qsort(v, n, sizeof *v, by_value);
  d->n = 0;
  for (size_t i = 0; i < n; i++)
    if (d->n == 0 || v[d->n - 1] != v[i])
      v[d->n++] = v[i];
  d->v = v;
  d->lg = malloc((d->n + 1) * sizeof *d->lg);
  d->inv = malloc((d->n + 1) * sizeof *d->inv);
  return d->lg != NULL && d->inv != NULL;
}

static size_t distinct_index(const struct distinct *d, double v)
{
  const double *p = bsearch(&v, d->v, d->n, sizeof v, by_value);
  return (size_t)(p - d->v);
}

static void distinct_eval(struct distinct *d, double alpha)
{
  for (size_t i = 0; i < d->n; i++) {
    d->lg[i] = log(alpha + d->v[i]);
    d->inv[i] = 1 / (alpha + d->v[i]);
  }
}

static void distinct_free(struct distinct *d)
{
  free(d->v);
  free(d->lg);
  free(d->inv);
}

static bool bgnbd_data_init(struct bgnbd_data *d, const struct ltvd_clv_customer *c, size_t n)
{
  struct ltvd_clv_customer *s = malloc(n * sizeof *s);
  double *xv = malloc(n * sizeof *xv), *tv = malloc(n * sizeof *tv), *txv = malloc(n * sizeof *txv);
  bool ok = false;

  memset(d, 0, sizeof *d);
  d->g = malloc(n * sizeof *d->g);
  if (s == NULL || xv == NULL || tv == NULL || txv == NULL || d->g == NULL)
    goto done;
  memcpy(s, c, n * sizeof *s);
  qsort(s, n, sizeof *s, by_summary);
  for (size_t i = 0; i < n; i++) {
    xv[i] = s[i].x;
    tv[i] = s[i].T;
    txv[i] = s[i].t_x;
  }
  ok = distinct_init(&d->xs, xv, n);
  xv = NULL;
  ok = distinct_init(&d->ts, tv, n) && ok;
  tv = NULL;
  ok = distinct_init(&d->txs, txv, n) && ok;
  txv = NULL;
  d->xterm = malloc(6 * (d->xs.n + 1) * sizeof *d->xterm);
  if (!ok || d->xterm == NULL) {
    ok = false;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && by_summary(&s[i], &s[i - 1]) == 0) {
      d->g[d->ng - 1].w += 1;
      continue;
    }
    d->g[d->ng++] =
        (struct group){s[i].x, 1, distinct_index(&d->xs, s[i].x), distinct_index(&d->ts, s[i].T),
                       distinct_index(&d->txs, s[i].t_x)};
  }
done:
  free(s);
  free(xv);
  free(tv);
  free(txv);
  return ok;
}

static void bgnbd_data_free(struct bgnbd_data *d)
{
  free(d->g);
  distinct_free(&d->xs);
  distinct_free(&d->ts);
  distinct_free(&d->txs);
  free(d->xterm);
}

/* −Σ log L at θ = log(r, α, a, b), and its gradient in θ when grad is not NULL. */
static double bgnbd_neg_ll(const double *th, double *grad, void *ctx)
{
  struct bgnbd_data *d = ctx;
  double r = exp(th[0]), al = exp(th[1]), a = exp(th[2]), b = exp(th[3]);
  double lal = log(al), lgr = lgamma(r), lgb = lgamma(b), lgab = lgamma(a + b);
  double psr = digamma(r), psb = digamma(b), psab = digamma(a + b);
  double ll = 0, gr = 0, gal = 0, ga = 0, gb = 0;

  if (!isfinite(r) || !isfinite(al) || !isfinite(a) || !isfinite(b) || r == 0 || al == 0 ||
      a == 0 || b == 0)
    return NAN;
  for (size_t i = 0; i < d->xs.n; i++) {
    double x = d->xs.v[i], *t = &d->xterm[6 * i];
    t[0] = lgamma(r + x) - lgr + r * lal + lgab + lgamma(b + x) - lgb - lgamma(a + b + x);
    t[1] = x > 0 ? log(a) - log(b + x - 1) : -INFINITY;
    if (grad != NULL) {
      double psabx = digamma(a + b + x);
      t[2] = digamma(r + x) - psr + lal;          /* ∂(A1+A2)/∂r */
      t[3] = psab - psabx;                        /* ∂/∂a */
      t[4] = psab + digamma(b + x) - psb - psabx; /* ∂/∂b */
      t[5] = x > 0 ? 1 / (b + x - 1) : 0;
    }
  }
  distinct_eval(&d->ts, al);
  distinct_eval(&d->txs, al);
  for (size_t i = 0; i < d->ng; i++) {
    const struct group *g = &d->g[i];
    const double *t = &d->xterm[6 * g->xi];
    double rx = r + g->x, lT = d->ts.lg[g->ti], li = -rx * lT, w4 = 0, ltx = 0;
    if (g->x > 0) {
      /* log[e^A3 + e^A4] = A3 + log(1 + e^(A4−A3)); w4 = e^A4 / (e^A3 + e^A4) */
      ltx = d->txs.lg[g->txi];
      double u = t[1] - rx * (ltx - lT), e = exp(-fabs(u));
      li += fmax(u, 0) + log1p(e);
      w4 = u > 0 ? 1 / (1 + e) : e / (1 + e);
    }
    ll += g->w * (t[0] + li);
    if (grad != NULL) {
      double w3 = 1 - w4;
      gr += g->w * (t[2] - w3 * lT - w4 * ltx);
      gal += g->w * (r / al - rx * (w3 * d->ts.inv[g->ti] + w4 * d->txs.inv[g->txi]));
      ga += g->w * (t[3] + w4 / a);
      gb += g->w * (t[4] - w4 * t[5]);
    }
  }
  if (grad != NULL) {
    grad[0] = -r * gr;
    grad[1] = -al * gal;
    grad[2] = -a * ga;
    grad[3] = -b * gb;
  }
  return -ll;
}

double ltvd_clv_bgnbd_log_likelihood(const struct ltvd_clv_bgnbd *m,
                                     const struct ltvd_clv_customer *c, size_t n)
{
  struct bgnbd_data d;
  double th[4] = {log(m->r), log(m->alpha), log(m->a), log(m->b)}, ll = NAN;

  if (bgnbd_data_init(&d, c, n))
    ll = -bgnbd_neg_ll(th, NULL, &d);
  bgnbd_data_free(&d);
  return ll;
}

static bool bgnbd_fit_from(const struct ltvd_clv_customer *c, size_t n,
                           const double (*starts)[4], size_t n_starts, struct ltvd_clv_bgnbd *out)
{
  struct bgnbd_data d;
  bool ok = false;
  int budget = EVALUATION_BUDGET;

  if (bgnbd_data_init(&d, c, n)) {
    for (size_t s = 0; s < n_starts; s++) {
      double th[4];
      for (int i = 0; i < 4; i++)
        th[i] = log(starts[s][i]);
      struct fit_result f = bfgs(4, th, bgnbd_neg_ll, &d, &budget);
      if (!isfinite(f.f) || (ok && -f.f <= out->log_likelihood))
        continue;
      *out = (struct ltvd_clv_bgnbd){.r = exp(th[0]),
                                     .alpha = exp(th[1]),
                                     .a = exp(th[2]),
                                     .b = exp(th[3]),
                                     .log_likelihood = -f.f,
                                     .iterations = f.iterations,
                                     .converged = f.converged};
      ok = true;
    }
  }
  bgnbd_data_free(&d);
  return ok;
}

bool ltvd_clv_bgnbd_fit(const struct ltvd_clv_customer *c, size_t n, struct ltvd_clv_bgnbd *out)
{
  double meanT = 0;

  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    meanT += c[i].T / (double)n;
  meanT = fmax(meanT, 1);
  /* (r, α, a, b): unit values, and two on the scale of the observation period */
  const double starts[][4] = {{1, 1, 1, 1}, {0.5, meanT / 4, 0.5, 2}, {2, meanT, 2, 5}};
  return bgnbd_fit_from(c, n, starts, 3, out);
}

bool ltvd_clv_bgnbd_refit(const struct ltvd_clv_customer *c, size_t n,
                          const struct ltvd_clv_bgnbd *from, struct ltvd_clv_bgnbd *out)
{
  const double start[][4] = {{from->r, from->alpha, from->a, from->b}};
  return n > 0 && bgnbd_fit_from(c, n, start, 1, out);
}

/* log of the denominator 1 + δ(x>0)·a/(b+x−1)·((α+T)/(α+t_x))^(r+x); P(alive) = 1/it */
static double log_alive_denominator(const struct ltvd_clv_bgnbd *m,
                                    const struct ltvd_clv_customer *c)
{
  if (c->x <= 0)
    return 0;
  return softplus(log(m->a) - log(m->b + c->x - 1) +
                  (m->r + c->x) * (log(m->alpha + c->T) - log(m->alpha + c->t_x)));
}

double ltvd_clv_p_alive(const struct ltvd_clv_bgnbd *m, const struct ltvd_clv_customer *c)
{
  return exp(-log_alive_denominator(m, c));
}

/* E[X(t)] at the given a (the other parameters from m), for a ≠ 1. */
static double expected_purchases_at(const struct ltvd_clv_bgnbd *m, double a,
                                    const struct ltvd_clv_customer *c, double t)
{
  struct ltvd_clv_bgnbd ma = *m;
  double x = c->x, r = m->r, b = m->b, z = t / (m->alpha + c->T + t);

  ma.a = a;
  /* L = log[((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1; z)] */
  double L = (r + x) * log1p(-z) + ltvd_clv_log_hyp2f1(r + x, b + x, a + b + x - 1, z);
  double k = (a + b + x - 1) / (a - 1), ld = log_alive_denominator(&ma, c);
  /* k·(1 − e^L): both factors change sign at a = 1, so take |1 − e^L| in log form */
  if (L > 0)
    return -k * exp(L + log(-expm1(-L)) - ld);
  return k * exp(log(-expm1(L)) - ld);
}

double ltvd_clv_expected_purchases(const struct ltvd_clv_bgnbd *m,
                                   const struct ltvd_clv_customer *c, double t)
{
  if (t <= 0)
    return 0;
  /* at a = 1 the formula is 0/0; E[X] is smooth in a, so take the symmetric mean */
  if (fabs(m->a - 1) < 1e-5)
    return (expected_purchases_at(m, 1 - 1e-5, c, t) + expected_purchases_at(m, 1 + 1e-5, c, t)) /
           2;
  return expected_purchases_at(m, m->a, c, t);
}

/* ---- Gamma-Gamma ----------------------------------------------------------------- */

/* The usable customers (x > 0, spend > 0) as (x, x·m̄) pairs with xi indexing the distinct
 * x, and the sums that do not depend on the parameters. */
struct gg_data {
  double *x, *xm;
  size_t *xi, n;
  struct distinct xs;
  double *cnt;                     /* customers per distinct x */
  double sum_lm, sum_xlm, sum_xlx; /* Σ ln m̄, Σ x ln m̄, Σ x ln x */
};

static bool gg_usable(const struct ltvd_clv_customer *c)
{
  return c->x > 0 && c->spend > 0;
}

static void gg_data_free(struct gg_data *d)
{
  free(d->x);
  free(d->xm);
  free(d->xi);
  free(d->cnt);
  distinct_free(&d->xs);
}

static bool gg_data_init(struct gg_data *d, const struct ltvd_clv_customer *c, size_t n)
{
  double *xv = malloc((n + 1) * sizeof *xv);

  memset(d, 0, sizeof *d);
  d->x = malloc((n + 1) * sizeof *d->x);
  d->xm = malloc((n + 1) * sizeof *d->xm);
  d->xi = malloc((n + 1) * sizeof *d->xi);
  if (xv == NULL || d->x == NULL || d->xm == NULL || d->xi == NULL) {
    free(xv);
    return false;
  }
  for (size_t i = 0; i < n; i++)
    if (gg_usable(&c[i])) {
      double lm = log(c[i].spend), lx = log(c[i].x);
      d->x[d->n] = xv[d->n] = c[i].x;
      d->xm[d->n++] = c[i].x * c[i].spend;
      d->sum_lm += lm;
      d->sum_xlm += c[i].x * lm;
      d->sum_xlx += c[i].x * lx;
    }
  if (!distinct_init(&d->xs, xv, d->n))
    return false;
  d->cnt = calloc(d->xs.n + 1, sizeof *d->cnt);
  if (d->cnt == NULL)
    return false;
  for (size_t i = 0; i < d->n; i++) {
    d->xi[i] = distinct_index(&d->xs, d->x[i]);
    d->cnt[d->xi[i]] += 1;
  }
  return true;
}

/* −Σ log f(m̄ | x) at θ = log(p, q, γ), with
 * log f = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(γ+x m̄);
 * the Γ terms are taken once per distinct x, the others from the sums but ln(γ+x m̄). */
static double gg_neg_ll(const double *th, double *grad, void *ctx)
{
  const struct gg_data *d = ctx;
  double p = exp(th[0]), q = exp(th[1]), ga = exp(th[2]), N = (double)d->n;
  double lga = log(ga), gp = 0, gq = 0, gg = 0;

  if (!isfinite(p) || !isfinite(q) || !isfinite(ga) || p == 0 || q == 0 || ga == 0)
    return NAN;
  double ll = N * (q * lga - lgamma(q)) + p * (d->sum_xlm + d->sum_xlx) - d->sum_lm;
  for (size_t i = 0; i < d->xs.n; i++) {
    double x = d->xs.v[i], px = p * x, c = d->cnt[i];
    ll += c * (lgamma(px + q) - lgamma(px));
    if (grad != NULL) {
      double ps = digamma(px + q);
      gp += c * x * (ps - digamma(px));
      gq += c * ps;
    }
  }
  for (size_t i = 0; i < d->n; i++) {
    double x = d->x[i], ls = log(ga + d->xm[i]);
    ll -= (p * x + q) * ls;
    if (grad != NULL) {
      gp -= x * ls;
      gq -= ls;
      gg -= (p * x + q) / (ga + d->xm[i]);
    }
  }
  if (grad != NULL) {
    grad[0] = -p * (gp + d->sum_xlm + d->sum_xlx);
    grad[1] = -q * (gq + N * (lga - digamma(q)));
    grad[2] = -ga * (gg + N * q / ga);
  }
  return -ll;
}

double ltvd_clv_gamma_gamma_log_likelihood(const struct ltvd_clv_gamma_gamma *m,
                                           const struct ltvd_clv_customer *c, size_t n)
{
  struct gg_data d;
  double th[3] = {log(m->p), log(m->q), log(m->gamma)}, ll = NAN;

  if (gg_data_init(&d, c, n))
    ll = -gg_neg_ll(th, NULL, &d);
  gg_data_free(&d);
  return ll;
}

/* Fits from the given starts, or (from NULL) from three of its own. */
static bool gamma_gamma_fit_from(const struct ltvd_clv_customer *c, size_t n,
                                 const struct ltvd_clv_gamma_gamma *from,
                                 struct ltvd_clv_gamma_gamma *out)
{
  struct gg_data d;
  double mean = 0;
  bool ok = false;
  int budget = EVALUATION_BUDGET;

  if (!gg_data_init(&d, c, n) || d.n == 0)
    goto done;
  for (size_t i = 0; i < d.n; i++)
    mean += d.xm[i] / d.x[i] / (double)d.n;
  /* (p, q, γ): unit values, and two with the population mean pγ/(q−1) near the data's */
  const double own[][3] = {{1, 1, 1}, {2, 3, mean}, {10, 5, 0.4 * mean}};
  const double warm[][3] = {{from ? from->p : 1, from ? from->q : 1, from ? from->gamma : 1}};
  const double (*starts)[3] = from ? warm : own;
  size_t n_starts = from ? 1 : 3;
  for (size_t s = 0; s < n_starts; s++) {
    double th[3];
    for (int i = 0; i < 3; i++)
      th[i] = log(starts[s][i]);
    struct fit_result f = bfgs(3, th, gg_neg_ll, &d, &budget);
    if (!isfinite(f.f) || (ok && -f.f <= out->log_likelihood))
      continue;
    *out = (struct ltvd_clv_gamma_gamma){.p = exp(th[0]),
                                         .q = exp(th[1]),
                                         .gamma = exp(th[2]),
                                         .log_likelihood = -f.f,
                                         .iterations = f.iterations,
                                         .converged = f.converged};
    ok = true;
  }
done:
  gg_data_free(&d);
  return ok;
}

bool ltvd_clv_gamma_gamma_fit(const struct ltvd_clv_customer *c, size_t n,
                              struct ltvd_clv_gamma_gamma *out)
{
  return gamma_gamma_fit_from(c, n, NULL, out);
}

bool ltvd_clv_gamma_gamma_refit(const struct ltvd_clv_customer *c, size_t n,
                                const struct ltvd_clv_gamma_gamma *from,
                                struct ltvd_clv_gamma_gamma *out)
{
  return gamma_gamma_fit_from(c, n, from, out);
}

double ltvd_clv_expected_spend(const struct ltvd_clv_gamma_gamma *m,
                               const struct ltvd_clv_customer *c)
{
  double x = c->x > 0 ? c->x : 0, sum = c->x > 0 ? x * c->spend : 0;
  return m->p * (m->gamma + sum) / (m->p * x + m->q - 1);
}

double ltvd_clv_predicted_clv(const struct ltvd_clv_bgnbd *m, const struct ltvd_clv_gamma_gamma *g,
                              const struct ltvd_clv_customer *c, int horizon_months,
                              double monthly_discount, double minor_per_major)
{
  double spend = ltvd_clv_expected_spend(g, c), prev = 0, clv = 0;

  for (int k = 1; k <= horizon_months; k++) {
    double e = ltvd_clv_expected_purchases(m, c, k * LTVD_CLV_WEEKS_PER_MONTH);
    clv += (e - prev) * spend / pow(1 + monthly_discount, k);
    prev = e;
  }
  return clv * minor_per_major;
}
