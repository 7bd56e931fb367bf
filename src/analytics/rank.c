/* SPEC 4.3 tiers and 4.4 potential and quadrants, with PostgreSQL's percent_rank and
 * percentile_cont computed the way PostgreSQL computes them (the same float8 operations in
 * the same order), so that the thresholds match a query over the same numbers bit for bit.
 *
 * Tier shares i/n are compared in integers (100·i ≤ 5·n), never as rounded doubles, so
 * the 5 % boundary is exact. */
#include "ltvd/analytics.h"

#include <math.h>
#include <stdlib.h>

#include "ltvd/util.h"

static void *xmalloc(size_t n)
{
  void *p = calloc(1, n ? n : 1);
  if (p == NULL)
    abort();
  return p;
}

struct ranked {
  double v;
  size_t i;
};

static int cmp_ranked(const void *a, const void *b)
{
  const struct ranked *x = a, *y = b;
  if (x->v != y->v)
    return x->v < y->v ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

void ltvd_an_percent_rank(const double *v, size_t n, double *out)
{
  struct ranked *r = xmalloc(n * sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = (struct ranked){.v = v[i], .i = i};
  ltvd_qsort(r, n, sizeof *r, cmp_ranked);
  size_t first = 0; /* the position of the first of the current peers */
  for (size_t j = 0; j < n; j++) {
    if (j > 0 && r[j].v != r[j - 1].v)
      first = j;
    out[r[j].i] = n > 1 ? (double) first / (double) (n - 1) : 0;
  }
  free(r);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double ltvd_an_percentile_cont(double *v, size_t n, double p)
{
  if (n == 0)
    return NAN;
  ltvd_qsort(v, n, sizeof *v, cmp_double);
  double pos = p * (double) (n - 1);
  double first = floor(pos), second = ceil(pos);
  double lo = v[(size_t) first];
  if (first == second)
    return lo;
  double hi = v[(size_t) second];
  return lo + (pos - first) * (hi - lo);
}

/* ---- 4.3 ----------------------------------------------------------------------- */

struct by_revenue {
  int64_t revenue, id;
  int32_t i;
};

static int cmp_by_revenue(const void *a, const void *b)
{
  const struct by_revenue *x = a, *y = b;
  if (x->revenue != y->revenue)
    return x->revenue > y->revenue ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* revenue_to_date descending, then id ascending. */
static void sort_tier_order(struct ltvd_an_results *res)
{
  size_t n = res->n_paying;
  struct by_revenue *r = xmalloc(n * sizeof *r);
  for (size_t j = 0; j < n; j++) {
    int32_t i = res->tier_order[j];
    r[j] = (struct by_revenue){
        .revenue = res->c[i].revenue_to_date, .id = res->snap->customers[i].id, .i = i};
  }
  ltvd_qsort(r, n, sizeof *r, cmp_by_revenue);
  for (size_t j = 0; j < n; j++)
    res->tier_order[j] = r[j].i;
  free(r);
}

void ltvd_an_tiers(struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  res->n_paying = 0;
  for (size_t i = 0; i < s->n_customers; i++)
    if (res->c[i].paying)
      res->tier_order[res->n_paying++] = (int32_t) i;
  sort_tier_order(res);
  int64_t n = (int64_t) res->n_paying;
  for (int64_t pos = 1; pos <= n; pos++) {
    struct ltvd_an_cmetrics *m = &res->c[res->tier_order[pos - 1]];
    if (100 * pos <= 5 * n)
      m->tier = LTVD_AN_PLATINUM;
    else if (100 * pos <= 20 * n)
      m->tier = LTVD_AN_GOLD;
    else if (100 * pos <= 75 * n)
      m->tier = LTVD_AN_SILVER;
    else
      m->tier = LTVD_AN_BRONZE;
  }
}

/* ---- 4.4 ----------------------------------------------------------------------- */

/* The highest usage value of the last 90 days, clamped to [0, 1]; 0 with none. */
static double usage(const struct ltvd_an_snapshot *s, size_t i)
{
  const struct ltvd_an_customer *cu = &s->customers[i];
  double best = 0;
  bool any = false;
  for (size_t j = cu->signal0; j < cu->signal0 + cu->n_signals; j++) {
    const struct ltvd_an_signal *g = &s->signals[j];
    if (g->type != LTVD_AN_USAGE || !g->has_value || g->day < s->today - 89 || g->day > s->today)
      continue;
    if (!any || g->value > best)
      best = g->value;
    any = true;
  }
  return best < 0 ? 0 : best > 1 ? 1 : best;
}

/* size: percent rank of employee_count among the paying customers that have one (0 for
 * the others); engagement: percent rank of signals_90d among all paying customers. */
static void rank_components(struct ltvd_an_results *res, const int32_t *paying, size_t n)
{
  const struct ltvd_an_snapshot *s = res->snap;
  double *v = xmalloc(n * sizeof *v), *out = xmalloc(n * sizeof *out);
  int32_t *who = xmalloc(n * sizeof *who);
  size_t k = 0;
  for (size_t j = 0; j < n; j++) {
    res->c[paying[j]].c_size = 0;
    if (s->customers[paying[j]].has_employees) {
      who[k] = paying[j];
      v[k++] = (double) s->customers[paying[j]].employee_count;
    }
  }
  ltvd_an_percent_rank(v, k, out);
  for (size_t j = 0; j < k; j++)
    res->c[who[j]].c_size = out[j];
  for (size_t j = 0; j < n; j++)
    v[j] = (double) res->c[paying[j]].signals_90d;
  ltvd_an_percent_rank(v, n, out);
  for (size_t j = 0; j < n; j++)
    res->c[paying[j]].c_engagement = out[j];
  free(who);
  free(out);
  free(v);
}

/* whitespace = (families − families held) / families; with no family at all (an empty
 * catalogue) there is no whitespace to sell into, so 0 rather than a 0/0. */
static double whitespace(const struct ltvd_an_results *res, size_t i)
{
  size_t nf = res->snap->n_families, held = 0;
  if (nf == 0)
    return 0;
  for (size_t f = 0; f < nf; f++)
    held += res->held[i * nf + f] > 0;
  return (double) (nf - held) / (double) nf;
}

static double potential(const struct ltvd_an_settings *w, const struct ltvd_an_cmetrics *m)
{
  double num = w->w_size * m->c_size;
  num += w->w_whitespace * m->c_whitespace;
  num += w->w_engagement * m->c_engagement;
  num += w->w_usage * m->c_usage;
  double den = w->w_size + w->w_whitespace + w->w_engagement + w->w_usage;
  return den != 0 ? 100 * num / den : 0; /* all weights 0: no axis counts, so 0 */
}

void ltvd_an_quadrants(struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  size_t n = res->n_paying;
  const int32_t *paying = res->tier_order;
  rank_components(res, paying, n);
  double *value = xmalloc(n * sizeof *value), *pot = xmalloc(n * sizeof *pot);
  for (size_t j = 0; j < n; j++) {
    struct ltvd_an_cmetrics *m = &res->c[paying[j]];
    m->c_whitespace = whitespace(res, (size_t) paying[j]);
    m->c_usage = usage(s, (size_t) paying[j]);
    m->potential = potential(&s->settings, m);
    value[j] = (double) m->revenue_to_date;
    pot[j] = m->potential;
  }
  double p = s->settings.quadrant_percentile / 100;
  res->value_threshold = ltvd_an_percentile_cont(value, n, p);
  res->potential_threshold = ltvd_an_percentile_cont(pot, n, p);
  for (size_t j = 0; j < n; j++) {
    struct ltvd_an_cmetrics *m = &res->c[paying[j]];
    bool high_value = (double) m->revenue_to_date >= res->value_threshold;
    bool high_potential = m->potential >= res->potential_threshold;
    m->quadrant = high_value ? (high_potential ? 0 : 1) : (high_potential ? 2 : 3);
  }
  free(pot);
  free(value);
}
