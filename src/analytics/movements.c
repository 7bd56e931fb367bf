/* SPEC 4.6: MRR movements per month and the MRR summary.
 *
 * Design: one walk over each customer's MRR lines (sorted by month, then product), month
 * group by month group, keeping the previous group's total and per-family sums. With
 * p = MRR(c, m−1) and q = MRR(c, m), a movement can only happen in a month that has lines
 * or that follows one: so each group is a month m with its q (p is the previous group's
 * total when that group is m − 1, else 0), and a group with total > 0 followed by a gap
 * (or by nothing, before M) is a churn in the month after it. The months run from the
 * first month with any MRR line to M; months without lines have no movement (every p > 0
 * is a churn there). "Never had MRR > 0 before m" tells new from reactivation. An
 * expansion's cross_sell part is min(q − p, the sum of c's lines in m of the families
 * whose lines of c in m − 1 sum to 0 (or which had none)), the rest is upsell. Money is
 * summed exactly in int64; ratios are one division each, null on a zero denominator.
 * The walk is linear in lines plus customers (per-family sums are reset through the list
 * of families touched). */
#include "ltvd/analytics.h"

#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

struct month_row {
  int64_t starting, new_mrr, expansion, upsell, cross_sell, contraction, churn, reactivation,
      ending;
  int64_t at_start, churned, paying; /* customers with p > 0, p > 0 = q, q > 0 */
};

struct movements {
  int32_t first; /* the first month, LTVD_AN_NO_DAY when there is no MRR line */
  size_t n;      /* months first … M */
  struct month_row *m;
  int64_t nrr_num, nrr_den; /* Σ MRR(M) of the customers with MRR(M−12) > 0, Σ MRR(M−12) */
};

/* One month's per-family sums of one customer, with the families touched. */
struct fam_month {
  int64_t *sum; /* per family */
  int *touched;
  size_t n_touched;
};

static void fam_add(struct fam_month *f, int family, int64_t mrr)
{
  if (f->sum[family] == 0) {
    bool seen = false;
    for (size_t t = 0; t < f->n_touched && !seen; t++)
      seen = f->touched[t] == family;
    if (!seen)
      f->touched[f->n_touched++] = family;
  }
  f->sum[family] += mrr;
}

static void fam_clear(struct fam_month *f)
{
  for (size_t t = 0; t < f->n_touched; t++)
    f->sum[f->touched[t]] = 0;
  f->n_touched = 0;
}

/* Σ of cur's families whose sum in prev is 0. */
static int64_t new_family_mrr(const struct fam_month *cur, const struct fam_month *prev)
{
  int64_t x = 0;
  for (size_t t = 0; t < cur->n_touched; t++) {
    int f = cur->touched[t];
    if (prev->sum[f] == 0)
      x += cur->sum[f];
  }
  return x;
}

/* Books one customer's month: p, q, whether it had MRR > 0 before, and the MRR of its
 * families new since m − 1 (read only for an expansion). */
static void book(struct month_row *r, int64_t p, int64_t q, bool had, int64_t new_fam)
{
  r->starting += p;
  r->ending += q;
  r->at_start += p > 0;
  r->paying += q > 0;
  if (p == 0 && q > 0) {
    if (had)
      r->reactivation += q;
    else
      r->new_mrr += q;
  } else if (p > 0 && q > p) {
    int64_t cross = q - p < new_fam ? q - p : new_fam;
    r->expansion += q - p;
    r->cross_sell += cross;
    r->upsell += q - p - cross;
  } else if (q > 0 && q < p) {
    r->contraction += p - q;
  } else if (p > 0 && q == 0) {
    r->churn += p;
    r->churned++;
  }
}

static void walk_customer(const struct ltvd_an_snapshot *s, size_t i, struct movements *mv,
                          struct fam_month *cur, struct fam_month *prev)
{
  const struct ltvd_an_customer *cu = &s->customers[i];
  const struct ltvd_an_mrr *lines = &s->mrr[cu->mrr0];
  int32_t prev_month = LTVD_AN_NO_DAY;
  int64_t prev_total = 0, total = 0, mrr_m = 0, mrr_m12 = 0;
  bool had = false;

  fam_clear(prev);
  for (size_t j = 0; j < cu->n_mrr; j++) {
    int32_t m = lines[j].month;
    fam_add(cur, s->products[lines[j].product].family, lines[j].mrr);
    total += lines[j].mrr;
    if (j + 1 < cu->n_mrr && lines[j + 1].month == m)
      continue;
    bool follows = prev_month != LTVD_AN_NO_DAY && prev_month == m - 1;
    if (prev_month != LTVD_AN_NO_DAY && !follows && prev_total > 0)
      book(&mv->m[prev_month + 1 - mv->first], prev_total, 0, had, 0);
    int64_t p = follows ? prev_total : 0;
    book(&mv->m[m - mv->first], p, total, had, p > 0 && total > p ? new_family_mrr(cur, prev) : 0);
    had = had || total > 0;
    mrr_m = m == s->month ? total : mrr_m;
    mrr_m12 = m == s->month - 12 ? total : mrr_m12;
    struct fam_month swap = *prev;
    *prev = *cur;
    *cur = swap;
    fam_clear(cur);
    prev_month = m;
    prev_total = total;
    total = 0;
  }
  if (prev_month != LTVD_AN_NO_DAY && prev_month < s->month && prev_total > 0)
    book(&mv->m[prev_month + 1 - mv->first], prev_total, 0, had, 0);
  if (mrr_m12 > 0) {
    mv->nrr_num += mrr_m;
    mv->nrr_den += mrr_m12;
  }
}

static void movements_compute(const struct ltvd_an_snapshot *s, struct movements *mv)
{
  memset(mv, 0, sizeof *mv);
  mv->first = s->first_mrr_month;
  if (mv->first == LTVD_AN_NO_DAY)
    return;
  mv->n = (size_t)(s->month - mv->first + 1);
  mv->m = xcalloc(mv->n, sizeof *mv->m);
  size_t nf = s->n_families;
  struct fam_month a = {xcalloc(nf, sizeof(int64_t)), xcalloc(nf, sizeof(int)), 0};
  struct fam_month b = {xcalloc(nf, sizeof(int64_t)), xcalloc(nf, sizeof(int)), 0};
  for (size_t i = 0; i < s->n_customers; i++)
    walk_customer(s, i, mv, &a, &b);
  free(a.sum);
  free(a.touched);
  free(b.sum);
  free(b.touched);
}

static json_t *ratio(int64_t num, int64_t den)
{
  return den == 0 ? json_null() : json_real((double)num / (double)den);
}

static json_t *month_json(int32_t month, const struct month_row *r)
{
  char name[8];
  ltvd_an_format_month(month, name);
  json_t *row = json_object();
  json_object_set_new(row, "month", json_string(name));
  json_object_set_new(row, "starting_mrr", json_integer(r->starting));
  json_object_set_new(row, "new", json_integer(r->new_mrr));
  json_object_set_new(row, "expansion", json_integer(r->expansion));
  json_object_set_new(row, "upsell", json_integer(r->upsell));
  json_object_set_new(row, "cross_sell", json_integer(r->cross_sell));
  json_object_set_new(row, "contraction", json_integer(r->contraction));
  json_object_set_new(row, "churn", json_integer(r->churn));
  json_object_set_new(row, "reactivation", json_integer(r->reactivation));
  json_object_set_new(row, "ending_mrr", json_integer(r->ending));
  json_object_set_new(row, "customers_at_start", json_integer(r->at_start));
  json_object_set_new(row, "churned_customers", json_integer(r->churned));
  json_object_set_new(row, "logo_churn", ratio(r->churned, r->at_start));
  json_object_set_new(row, "arpa", ratio(r->ending, r->paying));
  json_object_set_new(row, "nrr",
                      ratio(r->starting + r->expansion - r->contraction - r->churn, r->starting));
  json_object_set_new(row, "grr", ratio(r->starting - r->contraction - r->churn, r->starting));
  return row;
}

json_t *ltvd_an_movements_rows(const struct ltvd_an_results *res)
{
  struct movements mv;
  movements_compute(res->snap, &mv);
  json_t *rows = json_array();
  for (size_t k = 0; k < mv.n; k++)
    json_array_append_new(rows, month_json(mv.first + (int32_t)k, &mv.m[k]));
  free(mv.m);
  return rows;
}

/* retention_first when Σ churn > 0.3 × Σ new over M−2..M, compared exactly as
 * 10 × churn > 3 × new; else expansion_first when nrr_12m < 1; else balanced (nrr_12m
 * null included). */
static const char *recommendation(const struct movements *mv, int32_t month)
{
  __int128 churn = 0, added = 0;
  for (int32_t m = month - 2; m <= month; m++) {
    if (mv->first == LTVD_AN_NO_DAY || m < mv->first)
      continue;
    churn += mv->m[m - mv->first].churn;
    added += mv->m[m - mv->first].new_mrr;
  }
  if (10 * churn > 3 * added)
    return "retention_first";
  if (mv->nrr_den > 0 && mv->nrr_num < mv->nrr_den)
    return "expansion_first";
  return "balanced";
}

json_t *ltvd_an_mrr_summary(const struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  struct movements mv;
  movements_compute(s, &mv);
  struct month_row none = {0};
  const struct month_row *r = mv.n > 0 ? &mv.m[mv.n - 1] : &none;
  char name[8];
  ltvd_an_format_month(s->month, name);
  json_t *doc = json_object();
  json_object_set_new(doc, "month", json_string(name));
  json_object_set_new(doc, "mrr", json_integer(r->ending));
  json_object_set_new(doc, "arr", json_integer(12 * r->ending));
  json_object_set_new(doc, "arpa", ratio(r->ending, r->paying));
  json_object_set_new(doc, "nrr_12m", ratio(mv.nrr_num, mv.nrr_den));
  json_object_set_new(doc, "recommendation", json_string(recommendation(&mv, s->month)));
  free(mv.m);
  return doc;
}
