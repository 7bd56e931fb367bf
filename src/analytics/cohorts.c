/* SPEC 4.2 cohort curves.
 *
 * A cohort is the quarter (YYYY-Qn) of the paying customers' first_purchase_date. For
 * offset k = 0 … M − (the quarter's first month), its value is the mean over the cohort's
 * customers of their cumulative revenue from their own first month f (the month of
 * first_purchase_date, which may lie after the quarter's first month) to min(f + k, M).
 * The revenue of a month is the amounts of the purchases whose closed_at falls in it plus
 * MRR(c, m): purchases count by closed_at month, like MRR lines by their month, so a
 * purchase closed in the month of T while M is the month before (the ledger of the
 * current month not loaded yet) is outside every curve, though it is in revenue_to_date.
 * For the same reason a cohort whose first month is after M (all its customers' first
 * purchases closed in the current, unloaded month) is listed with an empty curve.
 * Sums are exact (int64 minor units); each mean is one division. */
#include "ltvd/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

/* The first month of the quarter holding month number mn (months are ≥ 0 for years ≥ 0). */
static int32_t quarter_first(int32_t mn)
{
  return mn - mn % 12 % 3;
}

struct cohort {
  int32_t first; /* the quarter's first month */
  int64_t customers;
  size_t n;     /* offsets: M − first + 1, or 0 */
  int64_t *sum; /* per offset, Σ cumulative revenue */
};

/* cum[j] = c's revenue in months f … f + j, for j = 0 … M − f (f ≤ M). */
static void cumulative(const struct ltvd_an_snapshot *s, size_t i, int32_t f, int64_t *cum)
{
  const struct ltvd_an_customer *cu = &s->customers[i];
  size_t n = (size_t)(s->month - f + 1);
  memset(cum, 0, n * sizeof *cum);
  for (size_t j = cu->purchase0; j < cu->purchase0 + cu->n_purchases; j++) {
    int32_t m = ltvd_an_month_of(s->purchases[j].day);
    if (m >= f && m <= s->month)
      cum[m - f] += s->purchases[j].amount;
  }
  for (size_t j = cu->mrr0; j < cu->mrr0 + cu->n_mrr; j++)
    if (s->mrr[j].month >= f)
      cum[s->mrr[j].month - f] += s->mrr[j].mrr;
  for (size_t j = 1; j < n; j++)
    cum[j] += cum[j - 1];
}

static json_t *cohort_row(const struct cohort *c)
{
  int y = c->first / 12, q = c->first % 12 / 3 + 1;
  char name[16];
  snprintf(name, sizeof name, "%04d-Q%d", y, q);
  json_t *curve = json_array();
  for (size_t k = 0; k < c->n; k++)
    json_array_append_new(curve, json_real((double)c->sum[k] / (double)c->customers));
  return json_pack("{s:s, s:I, s:o}", "cohort", name, "customers", (json_int_t)c->customers,
                   "revenue_per_customer", curve);
}

json_t *ltvd_an_cohorts_rows(const struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  int32_t lo = INT32_MAX, hi = INT32_MIN;
  for (size_t i = 0; i < s->n_customers; i++) {
    if (!res->c[i].paying)
      continue;
    int32_t q = quarter_first(ltvd_an_month_of(res->c[i].first_purchase_day));
    lo = q < lo ? q : lo;
    hi = q > hi ? q : hi;
  }
  json_t *rows = json_array();
  if (lo > hi)
    return rows;

  /* one slot per quarter between the oldest and the newest cohort */
  size_t n_slots = (size_t)(hi - lo) / 3 + 1;
  struct cohort *co = xcalloc(n_slots, sizeof *co);
  for (size_t q = 0; q < n_slots; q++) {
    co[q].first = lo + 3 * (int32_t)q;
    co[q].n = co[q].first <= s->month ? (size_t)(s->month - co[q].first + 1) : 0;
  }
  int64_t *cum = xcalloc(lo <= s->month ? (size_t)(s->month - lo + 1) : 1, sizeof *cum);
  for (size_t i = 0; i < s->n_customers; i++) {
    if (!res->c[i].paying)
      continue;
    int32_t f = ltvd_an_month_of(res->c[i].first_purchase_day);
    struct cohort *c = &co[(quarter_first(f) - lo) / 3];
    if (c->sum == NULL)
      c->sum = xcalloc(c->n, sizeof *c->sum);
    c->customers++;
    if (f > s->month)
      continue; /* its revenue lies after M: it adds 0 at every offset */
    cumulative(s, i, f, cum);
    size_t last = (size_t)(s->month - f);
    for (size_t k = 0; k < c->n; k++)
      c->sum[k] += cum[k < last ? k : last];
  }
  for (size_t q = 0; q < n_slots; q++) {
    if (co[q].customers > 0)
      json_array_append_new(rows, cohort_row(&co[q]));
    free(co[q].sum);
  }
  free(cum);
  free(co);
  return rows;
}
