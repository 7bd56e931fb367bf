/* SPEC 4.1 per customer, with the per-customer parts of 4.2 (observed years, MRR in M and
 * its margin, churn events and exposures over M-11..M) and the families held and units
 * and families ever paid in. One pass over each customer's purchases, MRR lines (by
 * month, so MRR(c, m) is the sum of a run of lines) and signals.
 *
 * A month "with MRR" is one whose MRR(c, m) is > 0: months_with_mrr, first_mrr_month and
 * last_mrr_month count only those, as first_purchase_date and observed years do. */
#include "ltvd/analytics.h"

#include <string.h>

/* MRR(c, m) for the 13 months M-12..M, enough for the churn window M-11..M. */
#define WINDOW 13

struct scan {
  const struct ltvd_an_snapshot *s;
  struct ltvd_an_results *res;
  int32_t recent; /* the first day of the last dormant_after_days days */
  int32_t day90;  /* the first day of the last 90 days */
};

static void held(struct scan *k, size_t i, int product)
{
  if (product == LTVD_AN_NONE)
    return;
  const struct ltvd_an_product *p = &k->s->products[product];
  int *h = &k->res->held[i * k->s->n_families + (size_t) p->family];
  if (p->tier > *h)
    *h = p->tier;
}

static void paid(struct scan *k, size_t i, int product)
{
  if (product == LTVD_AN_NONE)
    return;
  const struct ltvd_an_product *p = &k->s->products[product];
  if (p->unit != LTVD_AN_NONE)
    k->res->paid_unit[i * k->s->n_units + (size_t) p->unit] = 1;
  k->res->paid_family[i * k->s->n_families + (size_t) p->family] = 1;
}

static void scan_purchases(struct scan *k, size_t i, struct ltvd_an_cmetrics *m, int32_t *last_day)
{
  const struct ltvd_an_customer *cu = &k->s->customers[i];
  for (size_t j = cu->purchase0; j < cu->purchase0 + cu->n_purchases; j++) {
    const struct ltvd_an_purchase *p = &k->s->purchases[j];
    m->n_purchases++;
    m->purchase_amount += p->amount;
    if (m->first_purchase_day == LTVD_AN_NO_DAY || p->day < m->first_purchase_day)
      m->first_purchase_day = p->day;
    if (*last_day == LTVD_AN_NO_DAY || p->day > *last_day)
      *last_day = p->day;
    paid(k, i, p->product);
    if (p->day >= k->recent && p->day <= k->s->today) {
      m->active = true;
      held(k, i, p->product);
    }
  }
}

static double margin_of(const struct ltvd_an_snapshot *s, int product)
{
  return product == LTVD_AN_NONE ? s->settings.default_gross_margin
                                 : s->products[product].gross_margin;
}

static void scan_mrr(struct scan *k, size_t i, struct ltvd_an_cmetrics *m, int64_t window[WINDOW])
{
  const struct ltvd_an_snapshot *s = k->s;
  const struct ltvd_an_customer *cu = &s->customers[i];
  size_t end = cu->mrr0 + cu->n_mrr;
  for (size_t j = cu->mrr0; j < end;) {
    int32_t month = s->mrr[j].month;
    int64_t sum = 0;
    for (; j < end && s->mrr[j].month == month; j++) {
      const struct ltvd_an_mrr *l = &s->mrr[j];
      sum += l->mrr;
      if (l->mrr > 0)
        paid(k, i, l->product);
      if (month == s->month) {
        m->mrr_m_margin += (double) l->mrr * margin_of(s, l->product);
        if (l->mrr > 0)
          held(k, i, l->product);
      }
    }
    m->revenue_to_date += sum;
    if (month > s->month - WINDOW && month <= s->month)
      window[month - (s->month - WINDOW + 1)] = sum;
    if (month == s->month)
      m->mrr_m = sum;
    if (sum <= 0)
      continue;
    m->months_with_mrr++;
    if (m->first_mrr_month == LTVD_AN_NO_DAY)
      m->first_mrr_month = month;
    m->last_mrr_month = month;
  }
}

static void scan_signals(struct scan *k, size_t i, struct ltvd_an_cmetrics *m)
{
  const struct ltvd_an_customer *cu = &k->s->customers[i];
  for (size_t j = cu->signal0; j < cu->signal0 + cu->n_signals; j++) {
    const struct ltvd_an_signal *g = &k->s->signals[j];
    if (g->day >= k->day90 && g->day <= k->s->today)
      m->signals_90d++;
    if (g->type == LTVD_AN_NPS) { /* sorted by (occurred_us, id): the last one wins */
      m->has_nps = g->has_value;
      m->nps = g->has_value ? (int) g->value : 0;
    }
  }
}

/* Observed years of 4.2 basic: from first_purchase_date to T (active) or to the later of
 * the last purchase and the last day of the last month with MRR, floored at 1/12. */
static double observed_years(const struct ltvd_an_snapshot *s, const struct ltvd_an_cmetrics *m,
                             int32_t last_purchase)
{
  int32_t end = s->today;
  if (!m->active) {
    end = last_purchase;
    if (m->last_mrr_month != LTVD_AN_NO_DAY) {
      int32_t last = ltvd_an_month_last(m->last_mrr_month);
      if (end == LTVD_AN_NO_DAY || last > end)
        end = last;
    }
  }
  double years = (double) (end - m->first_purchase_day) / 365.25;
  return years < 1.0 / 12 ? 1.0 / 12 : years;
}

static void customer(struct scan *k, size_t i)
{
  struct ltvd_an_cmetrics *m = &k->res->c[i];
  int64_t window[WINDOW];
  int32_t last_purchase = LTVD_AN_NO_DAY;

  memset(window, 0, sizeof window);
  scan_purchases(k, i, m, &last_purchase);
  scan_mrr(k, i, m, window);
  scan_signals(k, i, m);
  m->revenue_to_date += m->purchase_amount;
  if (m->first_mrr_month != LTVD_AN_NO_DAY) {
    int32_t first = ltvd_an_month_first(m->first_mrr_month);
    if (m->first_purchase_day == LTVD_AN_NO_DAY || first < m->first_purchase_day)
      m->first_purchase_day = first;
  }
  m->paying = m->first_purchase_day != LTVD_AN_NO_DAY;
  if (m->mrr_m > 0)
    m->active = true;
  m->churned = m->paying && !m->active;
  m->observed_years = m->paying ? observed_years(k->s, m, last_purchase) : 0;
  for (int w = 1; w < WINDOW; w++) /* m = M-11..M: window[w] is MRR(m), [w-1] MRR(m-1) */
    if (window[w - 1] > 0) {
      m->churn_exposures++;
      if (window[w] == 0)
        m->churn_events++;
    }
}

void ltvd_an_customers(struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  struct scan k = {
      .s = s,
      .res = res,
      .recent = s->today - s->settings.dormant_after_days + 1,
      .day90 = s->today - 89,
  };
  for (size_t i = 0; i < s->n_customers; i++)
    customer(&k, i);
}
