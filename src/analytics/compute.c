/* One analytics run over a snapshot: the per-customer steps in their order, and the
 * as_of object every document carries. */
#include "ltvd/analytics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

void ltvd_an_compute(const struct ltvd_an_snapshot *snap, struct ltvd_an_results *res)
{
  size_t nc = snap->n_customers;
  memset(res, 0, sizeof *res);
  res->snap = snap;
  res->c = xcalloc(nc, sizeof *res->c);
  res->held = xcalloc(nc * snap->n_families, sizeof *res->held);
  res->paid_unit = xcalloc(nc * snap->n_units, 1);
  res->paid_family = xcalloc(nc * snap->n_families, 1);
  res->phase_unit = xcalloc(nc * snap->n_units, 1);
  res->active_unit = xcalloc(nc * snap->n_units, 1);
  res->tier_order = xcalloc(nc, sizeof *res->tier_order);
  res->value_threshold = NAN;
  res->potential_threshold = NAN;
  for (size_t i = 0; i < nc; i++) {
    struct ltvd_an_cmetrics *m = &res->c[i];
    m->first_purchase_day = LTVD_AN_NO_DAY;
    m->first_mrr_month = LTVD_AN_NO_DAY;
    m->last_mrr_month = LTVD_AN_NO_DAY;
    m->tier = LTVD_AN_NONE;
    m->quadrant = LTVD_AN_NONE;
    m->potential = NAN;
    m->c_size = m->c_whitespace = m->c_engagement = m->c_usage = NAN;
    m->expected_purchases_12m = m->p_alive = m->expected_spend = m->predicted_clv = NAN;
  }
  ltvd_an_customers(res);
  ltvd_an_tiers(res);
  ltvd_an_quadrants(res);
  ltvd_an_phases(res);
  ltvd_an_clv(res);
}

void ltvd_an_results_free(struct ltvd_an_results *res)
{
  free(res->c);
  free(res->held);
  free(res->paid_unit);
  free(res->paid_family);
  free(res->phase_unit);
  free(res->active_unit);
  free(res->tier_order);
  memset(res, 0, sizeof *res);
}

json_t *ltvd_an_as_of_json(const struct ltvd_an_as_of *as_of, const struct ltvd_an_snapshot *s)
{
  char today[11], month[8];
  ltvd_an_format_day(s->today, today);
  ltvd_an_format_month(s->month, month);
  return json_pack("{s:I, s:s, s:s, s:s}", "data_version", (json_int_t) as_of->data_version,
                   "computed_at", as_of->computed_at, "today", today, "month", month);
}
