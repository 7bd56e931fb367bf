/* SPEC 4.5: lifecycle phases per customer and business unit, and cross-usage.
 *
 * One walk over each customer's purchases and MRR lines (sorted by month, then product)
 * counts, per unit u, k_u = purchases of u's products + distinct months in which the sum
 * of the customer's lines of u's products is > 0, and marks the customer active in u
 * when that sum is > 0 in M or a purchase of u's products closed on T − dormant_after_days
 * + 1 or later. The overall phase counts every purchase (with or without a product) and
 * the months with MRR(c, m) > 0, and takes `active` from 4.1 (ltvd_an_customers), so the
 * two notions of activity cannot drift apart. A product without a unit (not possible
 * through the API) counts only in the overall phase. */
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

/* The rule of 4.5, in its order: k = 0 decides before activity, loyal before repeat. */
static int phase_of(int64_t k, bool active, int loyal_threshold)
{
  if (k == 0)
    return LTVD_AN_PROSPECT;
  if (!active)
    return LTVD_AN_DORMANT;
  if (k >= loyal_threshold)
    return LTVD_AN_LOYAL;
  if (k >= 2)
    return LTVD_AN_REPEAT;
  return LTVD_AN_FIRST_PURCHASE;
}

/* Scratch space of one walk, reused from customer to customer. */
struct walk {
  int64_t *k;      /* per unit */
  uint8_t *active; /* per unit */
  int64_t *sum;    /* per unit, within one month */
  int *touched;    /* units with a line in the current month */
  size_t n_touched;
};

/* Closes one month of lines: every unit whose lines summed to > 0 gains a month. */
static void close_month(struct walk *w, bool is_m)
{
  for (size_t t = 0; t < w->n_touched; t++) {
    int u = w->touched[t];
    if (w->sum[u] > 0) {
      w->k[u]++;
      if (is_m)
        w->active[u] = 1;
    }
    w->sum[u] = 0;
  }
  w->n_touched = 0;
}

static void add_line(struct walk *w, int unit, int64_t mrr)
{
  if (unit < 0)
    return;
  bool seen = false;
  for (size_t t = 0; t < w->n_touched && !seen; t++)
    seen = w->touched[t] == unit;
  if (!seen)
    w->touched[w->n_touched++] = unit;
  w->sum[unit] += mrr;
}

static void customer_phases(struct ltvd_an_results *res, size_t i, struct walk *w)
{
  const struct ltvd_an_snapshot *s = res->snap;
  const struct ltvd_an_customer *cu = &s->customers[i];
  size_t nu = s->n_units;
  int32_t recent = s->today - s->settings.dormant_after_days + 1;

  memset(w->k, 0, nu * sizeof *w->k);
  memset(w->active, 0, nu);
  for (size_t j = cu->purchase0; j < cu->purchase0 + cu->n_purchases; j++) {
    const struct ltvd_an_purchase *p = &s->purchases[j];
    int u = p->product >= 0 ? s->products[p->product].unit : LTVD_AN_NONE;
    if (u < 0)
      continue;
    w->k[u]++;
    if (p->day >= recent)
      w->active[u] = 1;
  }

  int64_t months = 0, total = 0;
  const struct ltvd_an_mrr *lines = &s->mrr[cu->mrr0];
  for (size_t j = 0; j < cu->n_mrr; j++) {
    add_line(w, s->products[lines[j].product].unit, lines[j].mrr);
    total += lines[j].mrr;
    if (j + 1 == cu->n_mrr || lines[j + 1].month != lines[j].month) {
      close_month(w, lines[j].month == s->month);
      months += total > 0;
      total = 0;
    }
  }

  int loyal = s->settings.loyal_threshold;
  for (size_t u = 0; u < nu; u++) {
    res->phase_unit[i * nu + u] = (uint8_t)phase_of(w->k[u], w->active[u], loyal);
    res->active_unit[i * nu + u] = w->active[u];
  }
  res->c[i].phase = phase_of((int64_t)cu->n_purchases + months, res->c[i].active, loyal);
}

void ltvd_an_phases(struct ltvd_an_results *res)
{
  size_t nu = res->snap->n_units;
  struct walk w = {
      .k = xcalloc(nu, sizeof *w.k),
      .active = xcalloc(nu, 1),
      .sum = xcalloc(nu, sizeof *w.sum),
      .touched = xcalloc(nu, sizeof *w.touched),
  };
  for (size_t i = 0; i < res->snap->n_customers; i++)
    customer_phases(res, i, &w);
  free(w.k);
  free(w.active);
  free(w.sum);
  free(w.touched);
}

/* {phase: count} with every phase, in the order of enum ltvd_an_phase. */
static json_t *phase_counts(const int64_t *count)
{
  json_t *o = json_object();
  for (int ph = 0; ph < LTVD_AN_PHASES; ph++)
    json_object_set_new(o, ltvd_an_phase_name(ph), json_integer((json_int_t)count[ph]));
  return o;
}

json_t *ltvd_an_lifecycle_doc(const struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  size_t nu = s->n_units, nc = s->n_customers;
  int64_t *by_unit = xcalloc(nu * LTVD_AN_PHASES, sizeof *by_unit);
  int64_t overall[LTVD_AN_PHASES] = {0};
  int64_t *both = xcalloc(nu * nu, sizeof *both);
  int *act = xcalloc(nu, sizeof *act);

  for (size_t i = 0; i < nc; i++) {
    overall[res->c[i].phase]++;
    size_t n_act = 0;
    for (size_t u = 0; u < nu; u++) {
      by_unit[u * LTVD_AN_PHASES + res->phase_unit[i * nu + u]]++;
      if (res->active_unit[i * nu + u])
        act[n_act++] = (int)u;
    }
    for (size_t a = 0; a < n_act; a++)
      for (size_t b = 0; b < n_act; b++)
        both[(size_t)act[a] * nu + (size_t)act[b]]++;
  }

  json_t *units = json_object();
  for (size_t u = 0; u < nu; u++)
    json_object_set_new(units, s->units[u], phase_counts(&by_unit[u * LTVD_AN_PHASES]));
  json_t *cross = json_array();
  for (size_t a = 0; a < nu; a++)
    for (size_t b = 0; b < nu; b++)
      json_array_append_new(cross, json_pack("{s:s, s:s, s:I}", "a", s->units[a], "b", s->units[b],
                                             "customers", (json_int_t)both[a * nu + b]));
  free(by_unit);
  free(both);
  free(act);
  return json_pack("{s:o, s:o, s:o}", "by_business_unit", units, "overall", phase_counts(overall),
                   "cross_usage", cross);
}
