/* SPEC 4.10 in the worker: BG/NBD and Gamma-Gamma fitted on the snapshot's purchases
 * (src/analytics/clv_model.c does the mathematics), then each customer's predictions.
 * The fit is kept while the purchase summaries are unchanged, so a run whose changes do
 * not touch purchases (or T) does not refit; after a change the refit starts from the
 * previous optimum (the first fit of a process starts from several points). */
#include "ltvd/analytics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clv_model.h"
#include "ltvd/util.h"

#define MIN_REPEAT_CUSTOMERS 20

/* The last fit, keyed by a hash of the data it was fitted on. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  uint64_t key;
  bool valid;
  bool fitted;
  struct ltvd_clv_bgnbd bg;
  struct ltvd_clv_gamma_gamma gg;
} cache;

static uint64_t hash_step(uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * UINT64_C(1099511628211);
  return h;
}

void ltvd_an_clv(struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  double minor = s->minor_per_major > 0 ? s->minor_per_major : 100;
  struct ltvd_clv_customer *cs = calloc(s->n_customers + 1, sizeof *cs);
  int32_t *who = calloc(s->n_customers + 1, sizeof *who);
  struct ltvd_clv_purchase *buf = NULL;
  size_t n = 0, cap = 0, repeat = 0;
  uint64_t key = UINT64_C(14695981039346656037);
  if (cs == NULL || who == NULL)
    abort();

  for (size_t i = 0; i < s->n_customers; i++) {
    const struct ltvd_an_customer *c = &s->customers[i];
    if (c->n_purchases == 0)
      continue;
    if (c->n_purchases > cap) {
      cap = c->n_purchases * 2;
      if ((buf = realloc(buf, cap * sizeof *buf)) == NULL)
        abort();
    }
    for (size_t k = 0; k < c->n_purchases; k++)
      buf[k] = (struct ltvd_clv_purchase){.day = s->purchases[c->purchase0 + k].day,
                                          .amount_minor = s->purchases[c->purchase0 + k].amount};
    if (!ltvd_clv_prepare(buf, c->n_purchases, s->today, minor, &cs[n]))
      continue;
    key = hash_step(key, &cs[n], sizeof cs[n]);
    repeat += cs[n].x > 0;
    who[n++] = (int32_t) i;
  }
  free(buf);
  res->clv_customers = n;
  res->clv_repeat_customers = repeat;

  double t0 = ltvd_monotonic();
  struct ltvd_clv_bgnbd bg = {0};
  struct ltvd_clv_gamma_gamma gg = {0};
  bool fitted = false;
  if (repeat < MIN_REPEAT_CUSTOMERS) {
    snprintf(res->clv_reason, sizeof res->clv_reason,
             "%zu customers have repeat purchases; the models need at least %d", repeat,
             MIN_REPEAT_CUSTOMERS);
  } else {
    pthread_mutex_lock(&cache_lock);
    if (cache.valid && cache.key == key) {
      fitted = cache.fitted, bg = cache.bg, gg = cache.gg;
    } else if (cache.valid && cache.fitted) { /* the data moved a little: start from there */
      fitted = ltvd_clv_bgnbd_refit(cs, n, &cache.bg, &bg) &&
               ltvd_clv_gamma_gamma_refit(cs, n, &cache.gg, &gg) && gg.q > 1;
    } else {
      fitted = ltvd_clv_bgnbd_fit(cs, n, &bg) && ltvd_clv_gamma_gamma_fit(cs, n, &gg) &&
               gg.q > 1;
      cache.key = key, cache.valid = true, cache.fitted = fitted, cache.bg = bg, cache.gg = gg;
    }
    pthread_mutex_unlock(&cache_lock);
    if (!fitted)
      snprintf(res->clv_reason, sizeof res->clv_reason,
               "the maximum-likelihood fit did not converge to usable parameters (Gamma-Gamma "
               "needs q > 1)");
  }
  res->clv_fit_ms = (ltvd_monotonic() - t0) * 1000;
  res->clv_fitted = fitted;
  if (fitted) {
    res->clv_reason[0] = '\0';
    res->clv_r = bg.r, res->clv_alpha = bg.alpha, res->clv_a = bg.a, res->clv_b = bg.b;
    res->clv_bgnbd_ll = bg.log_likelihood;
    res->clv_p = gg.p, res->clv_q = gg.q, res->clv_gamma = gg.gamma;
    res->clv_gg_ll = gg.log_likelihood;
    double year = 12 * LTVD_CLV_WEEKS_PER_MONTH;
    for (size_t k = 0; k < n; k++) {
      struct ltvd_an_cmetrics *m = &res->c[who[k]];
      m->expected_purchases_12m = ltvd_clv_expected_purchases(&bg, &cs[k], year);
      m->p_alive = ltvd_clv_p_alive(&bg, &cs[k]);
      m->expected_spend = ltvd_clv_expected_spend(&gg, &cs[k]) * minor;
      m->predicted_clv = ltvd_clv_predicted_clv(&bg, &gg, &cs[k], s->settings.clv_horizon_months,
                                                s->settings.clv_monthly_discount, minor);
    }
  }
  free(cs);
  free(who);
}

static json_t *real_or_null(double v)
{
  return isfinite(v) ? json_real(v) : json_null();
}

json_t *ltvd_an_clv_model_doc(const struct ltvd_an_results *res)
{
  json_t *doc = json_pack("{s:b, s:o, s:I, s:I}", "fitted", res->clv_fitted, "reason",
                          res->clv_fitted ? json_null() : json_string(res->clv_reason),
                          "customers", (json_int_t) res->clv_customers, "repeat_customers",
                          (json_int_t) res->clv_repeat_customers);
  if (res->clv_fitted) {
    json_object_set_new(doc, "bgnbd",
                        json_pack("{s:o, s:o, s:o, s:o, s:o}", "r", real_or_null(res->clv_r),
                                  "alpha", real_or_null(res->clv_alpha), "a",
                                  real_or_null(res->clv_a), "b", real_or_null(res->clv_b),
                                  "log_likelihood", real_or_null(res->clv_bgnbd_ll)));
    json_object_set_new(doc, "gamma_gamma",
                        json_pack("{s:o, s:o, s:o, s:o}", "p", real_or_null(res->clv_p), "q",
                                  real_or_null(res->clv_q), "gamma", real_or_null(res->clv_gamma),
                                  "log_likelihood", real_or_null(res->clv_gg_ll)));
  } else {
    json_object_set_new(doc, "bgnbd", json_null());
    json_object_set_new(doc, "gamma_gamma", json_null());
  }
  json_object_set_new(doc, "fit_ms", json_real(res->clv_fit_ms));
  return doc;
}
