/* SPEC 4.9: the alerts of one run, derived by comparing it with the baseline the previous
 * run left (struct ltvd_an_alert_state). The first run only records a baseline.
 *
 * - churned: a customer of the baseline that was paying and active is now churned;
 * - tier_changed, quadrant_changed: a customer of the baseline whose tier or quadrant
 *   differs (a prospect that became paying changes from null); customers new since the
 *   previous run have nothing to change from;
 * - nps_detractor: per nps signal newer (by id) than the newest one already seen, when its
 *   score is at most nps_detractor_max or 3 or more below the customer's previous nps
 *   signal (the one before it in time);
 * - renewal_due: a won deal whose contract ends within 90 days after T while its customer
 *   has no open deal in a renewal pipeline, raised once per deal and contract end (kept in
 *   the baseline until that end has passed);
 * - opportunity_new: an opportunity whose id the previous run did not list, unless a
 *   conversion or a running dismissal hides it.
 *
 * Alerts are ordered by customer id (within a customer: churned, tier, quadrant, nps by
 * signal, renewals by deal), then the new opportunities in the list's order. */
#include "ltvd/analytics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/util.h"

static void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

const char *ltvd_an_alert_type_name(int type)
{
  static const char *const names[LTVD_AN_ALERT_TYPES] = {"renewal_due",      "nps_detractor",
                                                         "quadrant_changed", "tier_changed",
                                                         "opportunity_new",  "churned"};
  return type >= 0 && type < LTVD_AN_ALERT_TYPES ? names[type] : NULL;
}

static void add(struct ltvd_an_alerts *out, int type, int64_t customer_id, json_t *data)
{
  if (out->n == out->cap) {
    out->cap = out->cap ? out->cap * 2 : 64;
    out->a = realloc(out->a, out->cap * sizeof *out->a);
    if (out->a == NULL)
      abort();
  }
  out->a[out->n++] = (struct ltvd_an_alert){.type = type, .customer_id = customer_id, .data = data};
}

static json_t *name_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *day_or_null(int32_t day)
{
  char text[11];
  if (day == LTVD_AN_NO_DAY)
    return json_null();
  ltvd_an_format_day(day, text);
  return json_string(text);
}

/* An occurred_at in microseconds as YYYY-MM-DDTHH:MM:SS.ffffffZ. */
static json_t *timestamp(int64_t us, int32_t day)
{
  int64_t of_day = us - (int64_t)day * INT64_C(86400000000);
  int64_t secs = of_day / 1000000;
  char date[11], text[40];
  ltvd_an_format_day(day, date);
  snprintf(text, sizeof text, "%sT%02d:%02d:%02d.%06dZ", date, (int)(secs / 3600),
           (int)(secs / 60 % 60), (int)(secs % 60), (int)(of_day % 1000000));
  return json_string(text);
}

static int standing(const struct ltvd_an_cmetrics *m)
{
  return !m->paying  ? LTVD_AN_STANDING_PROSPECT
         : m->active ? LTVD_AN_STANDING_ACTIVE
                     : LTVD_AN_STANDING_CHURNED;
}

/* churned, tier_changed, quadrant_changed of customer c against its baseline record. */
static void changes(const struct ltvd_an_results *res, size_t c,
                    const struct ltvd_an_alert_customer *was, struct ltvd_an_alerts *out)
{
  const struct ltvd_an_snapshot *s = res->snap;
  const struct ltvd_an_cmetrics *m = &res->c[c];
  int64_t id = s->customers[c].id;
  if (was->standing == LTVD_AN_STANDING_ACTIVE && standing(m) == LTVD_AN_STANDING_CHURNED) {
    const struct ltvd_an_customer *cu = &s->customers[c];
    int32_t last_purchase =
        cu->n_purchases ? s->purchases[cu->purchase0 + cu->n_purchases - 1].day : LTVD_AN_NO_DAY;
    char month[8];
    if (m->last_mrr_month != LTVD_AN_NO_DAY)
      ltvd_an_format_month(m->last_mrr_month, month);
    add(out, LTVD_AN_ALERT_CHURNED, id,
        json_pack("{s:s, s:s, s:o, s:o}", "from", "active", "to", "churned", "last_mrr_month",
                  m->last_mrr_month != LTVD_AN_NO_DAY ? json_string(month) : json_null(),
                  "last_purchase_date", day_or_null(last_purchase)));
  }
  if (was->tier != m->tier)
    add(out, LTVD_AN_ALERT_TIER_CHANGED, id,
        json_pack("{s:o, s:o}", "from", name_or_null(ltvd_an_tier_name(was->tier)), "to",
                  name_or_null(ltvd_an_tier_name(m->tier))));
  if (was->quadrant != m->quadrant)
    add(out, LTVD_AN_ALERT_QUADRANT_CHANGED, id,
        json_pack("{s:o, s:o}", "from", name_or_null(ltvd_an_quadrant_name(was->quadrant)), "to",
                  name_or_null(ltvd_an_quadrant_name(m->quadrant))));
}

/* nps_detractor for each of c's nps signals newer than seen; returns the highest nps
 * signal id of c. */
static int64_t nps(const struct ltvd_an_results *res, size_t c, int64_t seen, bool raise,
                   struct ltvd_an_alerts *out)
{
  const struct ltvd_an_snapshot *s = res->snap;
  const struct ltvd_an_customer *cu = &s->customers[c];
  const struct ltvd_an_signal *prev = NULL;
  int64_t max_id = 0;
  for (size_t k = cu->signal0; k < cu->signal0 + cu->n_signals; k++) {
    const struct ltvd_an_signal *sig = &s->signals[k];
    if (sig->type != LTVD_AN_NPS || !sig->has_value || sig->day > s->today)
      continue;
    if (sig->id > max_id)
      max_id = sig->id;
    int score = (int)lround(sig->value);
    bool low = score <= s->settings.nps_detractor_max;
    bool drop = prev != NULL && (int)lround(prev->value) - score >= 3;
    if (raise && sig->id > seen && (low || drop))
      add(out, LTVD_AN_ALERT_NPS_DETRACTOR, cu->id,
          json_pack("{s:I, s:i, s:o, s:o, s:s}", "signal_id", (json_int_t)sig->id, "nps", score,
                    "previous_nps", prev ? json_integer(lround(prev->value)) : json_null(),
                    "occurred_at", timestamp(sig->occurred_us, sig->day), "reason",
                    low ? "detractor" : "drop"));
    prev = sig;
  }
  return max_id;
}

static int cmp_renewal(const void *a, const void *b)
{
  const struct ltvd_an_renewal_seen *x = a, *y = b;
  if (x->deal_id != y->deal_id)
    return x->deal_id < y->deal_id ? -1 : 1;
  return (x->contract_end_day > y->contract_end_day) - (x->contract_end_day < y->contract_end_day);
}

/* renewal_due of customer c; every due (deal, end) is appended to due. */
static void renewals(const struct ltvd_an_results *res, size_t c,
                     const struct ltvd_an_alert_state *prev, struct ltvd_an_alerts *out,
                     struct ltvd_an_renewal_seen *due, size_t *n_due)
{
  const struct ltvd_an_snapshot *s = res->snap;
  const struct ltvd_an_customer *cu = &s->customers[c];
  for (size_t k = cu->deal0; k < cu->deal0 + cu->n_deals; k++) {
    const struct ltvd_an_deal *d = &s->deals[k];
    const struct ltvd_an_pipeline *p = &s->pipelines[d->pipeline];
    if (p->kind == LTVD_AN_RENEWAL && p->stages[d->stage].state == LTVD_AN_OPEN)
      return;
  }
  for (size_t k = cu->deal0; k < cu->deal0 + cu->n_deals; k++) {
    const struct ltvd_an_deal *d = &s->deals[k];
    const struct ltvd_an_pipeline *p = &s->pipelines[d->pipeline];
    if (p->stages[d->stage].state != LTVD_AN_WON || d->contract_end_day == LTVD_AN_NO_DAY ||
        d->contract_end_day < s->today || d->contract_end_day > s->today + 90)
      continue;
    struct ltvd_an_renewal_seen key = {d->id, d->contract_end_day};
    due[(*n_due)++] = key;
    if (prev->first_run ||
        ltvd_bsearch(&key, prev->renewals, prev->n_renewals, sizeof key, cmp_renewal) != NULL)
      continue;
    add(out, LTVD_AN_ALERT_RENEWAL_DUE, cu->id,
        json_pack("{s:I, s:o, s:s, s:o}", "deal_id", (json_int_t)d->id, "contract_end_date",
                  day_or_null(d->contract_end_day), "pipeline", p->key, "product",
                  name_or_null(d->product != LTVD_AN_NONE ? s->products[d->product].key : NULL)));
  }
}

static int cmp_id(const void *a, const void *b)
{
  return strcmp(a, b);
}

/* The baseline's renewals: the previous ones whose end has not passed, and today's due. */
static void next_renewals(const struct ltvd_an_alert_state *prev, int32_t today,
                          struct ltvd_an_renewal_seen *due, size_t n_due,
                          struct ltvd_an_alert_state *next)
{
  next->renewals = xcalloc(prev->n_renewals + n_due, sizeof *next->renewals);
  size_t n = 0;
  for (size_t i = 0; i < prev->n_renewals; i++)
    if (prev->renewals[i].contract_end_day >= today)
      next->renewals[n++] = prev->renewals[i];
  if (n_due > 0)
    memcpy(next->renewals + n, due, n_due * sizeof *due);
  n += n_due;
  ltvd_qsort(next->renewals, n, sizeof *next->renewals, cmp_renewal);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (kept == 0 || cmp_renewal(&next->renewals[kept - 1], &next->renewals[i]) != 0)
      next->renewals[kept++] = next->renewals[i];
  next->n_renewals = kept;
}

static void new_opportunities(const struct ltvd_an_results *res, const struct ltvd_an_opps *opps,
                              const struct ltvd_an_alert_state *prev, struct ltvd_an_alerts *out)
{
  const struct ltvd_an_snapshot *s = res->snap;
  for (size_t i = 0; i < opps->n; i++) {
    const struct ltvd_an_opp *o = &opps->opps[i];
    if (ltvd_bsearch(o->id, prev->opp_ids, prev->n_opps, LTVD_AN_OPP_ID_LEN, cmp_id) != NULL ||
        ltvd_bsearch(o->id, prev->hidden_ids, prev->n_hidden, LTVD_AN_OPP_ID_LEN, cmp_id) != NULL)
      continue;
    add(out, LTVD_AN_ALERT_OPPORTUNITY_NEW, o->customer_id,
        json_pack("{s:s, s:s, s:s, s:s, s:f}", "opportunity_id", o->id, "type",
                  ltvd_an_opp_type_name(o->type), "family", s->families[o->family], "product",
                  s->products[o->product].key, "priority", o->priority));
  }
}

void ltvd_an_alerts_derive(const struct ltvd_an_results *res, const struct ltvd_an_opps *opps,
                           const struct ltvd_an_alert_state *prev, struct ltvd_an_alerts *out,
                           struct ltvd_an_alert_state *next)
{
  const struct ltvd_an_snapshot *s = res->snap;
  bool raise = !prev->first_run;
  memset(out, 0, sizeof *out);
  memset(next, 0, sizeof *next);
  next->nps_seen = prev->nps_seen;
  next->n_customers = s->n_customers;
  next->customers = xcalloc(s->n_customers, sizeof *next->customers);
  struct ltvd_an_renewal_seen *due = xcalloc(s->n_deals, sizeof *due);
  size_t n_due = 0, w = 0;

  for (size_t c = 0; c < s->n_customers; c++) {
    const struct ltvd_an_cmetrics *m = &res->c[c];
    int64_t id = s->customers[c].id;
    next->customers[c] = (struct ltvd_an_alert_customer){
        .customer_id = id, .tier = m->tier, .quadrant = m->quadrant, .standing = standing(m)};
    while (w < prev->n_customers && prev->customers[w].customer_id < id)
      w++;
    if (raise && w < prev->n_customers && prev->customers[w].customer_id == id)
      changes(res, c, &prev->customers[w], out);
    int64_t seen = nps(res, c, prev->nps_seen, raise, out);
    if (seen > next->nps_seen)
      next->nps_seen = seen;
    renewals(res, c, prev, out, due, &n_due);
  }
  if (raise)
    new_opportunities(res, opps, prev, out);

  next_renewals(prev, s->today, due, n_due, next);
  free(due);
  next->n_opps = opps->n;
  next->opp_ids = xcalloc(opps->n, LTVD_AN_OPP_ID_LEN);
  for (size_t i = 0; i < opps->n; i++)
    memcpy(next->opp_ids[i], opps->opps[i].id, LTVD_AN_OPP_ID_LEN);
  ltvd_qsort(next->opp_ids, opps->n, LTVD_AN_OPP_ID_LEN, cmp_id);
}

void ltvd_an_alerts_free(struct ltvd_an_alerts *a)
{
  for (size_t i = 0; i < a->n; i++)
    json_decref(a->a[i].data);
  free(a->a);
  memset(a, 0, sizeof *a);
}

void ltvd_an_alert_state_free(struct ltvd_an_alert_state *s)
{
  free(s->customers);
  free(s->renewals);
  free(s->opp_ids);
  free(s->hidden_ids);
  memset(s, 0, sizeof *s);
}
