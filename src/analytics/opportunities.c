/* SPEC 4.8: whom to sell what next. From the per-customer results of 4.1-4.4 (paying,
 * active, nps, tier, the held tier of every family) and the snapshot's last 90 days of
 * signals, its deals and its catalogue:
 *
 * - candidates are the paying, active customers whose nps is null or above
 *   nps_detractor_max; the others of them are the at-risk list;
 * - a family F is excluded for c while c has an open deal for a product of F in any
 *   upsell or cross_sell pipeline, whatever the opportunity's type;
 * - upsell: per held family with a higher tier, a score of 0.5 (usage), 0.3 (interest in a
 *   higher tier) and 0.2 (a contract ending within 90 days), added in that order;
 * - cross-sell: rules F -> G counted over the top (gold and platinum) customers; a
 *   candidate's score for G is the best confidence over the families it holds.
 *
 * Each family's tiers and their cheapest product (ties: the lower key, which is the lower
 * index since products are in key order) and its MRR in M are worked out once, so the work
 * per customer is its own rows plus families × families for the cross-sell. */
#include "ltvd/analytics.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
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

const char *ltvd_an_opp_type_name(int type)
{
  return type == LTVD_AN_OPP_CROSS_SELL ? "cross_sell"
         : type == LTVD_AN_OPP_UPSELL   ? "upsell"
                                        : NULL;
}

void ltvd_an_opp_id(int64_t customer_id, int type, const char *family, char out[LTVD_AN_OPP_ID_LEN])
{
  char *text =
      ltvd_strdup_printf("%" PRId64 "|%s|%s", customer_id, ltvd_an_opp_type_name(type), family);
  unsigned char hash[32];
  char hex[65];
  ltvd_sha256(text, strlen(text), hash);
  free(text);
  ltvd_hex(hash, sizeof hash, hex);
  snprintf(out, LTVD_AN_OPP_ID_LEN, "opp_%.20s", hex);
}

/* ---- the catalogue per family ----------------------------------------------------- */

struct tier_entry {
  int tier;
  int cheapest; /* product index */
};

struct family {
  size_t n_tiers;
  struct tier_entry *tiers; /* ascending */
  int64_t mrr_sum;          /* Σ MRR in M of the customers with MRR > 0 in it in M */
  size_t mrr_customers;
};

static int cmp_tier_entry(const void *a, const void *b)
{
  const struct tier_entry *x = a, *y = b;
  return (x->tier > y->tier) - (x->tier < y->tier);
}

static struct family *families_new(const struct ltvd_an_snapshot *s)
{
  struct family *fam = xcalloc(s->n_families, sizeof *fam);
  for (size_t f = 0; f < s->n_families; f++)
    fam[f].tiers = xcalloc(s->n_products, sizeof *fam[f].tiers);
  for (size_t p = 0; p < s->n_products; p++) {
    const struct ltvd_an_product *pr = &s->products[p];
    struct family *F = &fam[pr->family];
    size_t t = 0;
    while (t < F->n_tiers && F->tiers[t].tier != pr->tier)
      t++;
    if (t == F->n_tiers)
      F->tiers[F->n_tiers++] = (struct tier_entry){pr->tier, (int)p};
    else if (pr->monthly_price < s->products[F->tiers[t].cheapest].monthly_price)
      F->tiers[t].cheapest = (int)p;
  }
  for (size_t f = 0; f < s->n_families; f++)
    ltvd_qsort(fam[f].tiers, fam[f].n_tiers, sizeof *fam[f].tiers, cmp_tier_entry);

  /* MRR in M per customer and family */
  int64_t *sum = xcalloc(s->n_families, sizeof *sum);
  for (size_t c = 0; c < s->n_customers; c++) {
    const struct ltvd_an_customer *cu = &s->customers[c];
    memset(sum, 0, s->n_families * sizeof *sum);
    for (size_t k = cu->mrr0; k < cu->mrr0 + cu->n_mrr; k++)
      if (s->mrr[k].month == s->month && s->mrr[k].product != LTVD_AN_NONE)
        sum[s->products[s->mrr[k].product].family] += s->mrr[k].mrr;
    for (size_t f = 0; f < s->n_families; f++)
      if (sum[f] > 0) {
        fam[f].mrr_sum += sum[f];
        fam[f].mrr_customers++;
      }
  }
  free(sum);
  return fam;
}

static void families_free(struct family *fam, size_t n)
{
  for (size_t f = 0; f < n; f++)
    free(fam[f].tiers);
  free(fam);
}

/* The cheapest product of the lowest tier above `above` (0: the lowest tier), or
 * LTVD_AN_NONE. */
static int target_above(const struct family *F, int above)
{
  for (size_t t = 0; t < F->n_tiers; t++)
    if (F->tiers[t].tier > above)
      return F->tiers[t].cheapest;
  return LTVD_AN_NONE;
}

/* ---- the run ---------------------------------------------------------------------- */

struct ctx {
  const struct ltvd_an_results *res;
  const struct ltvd_an_snapshot *s;
  struct family *fam;
  size_t nf;
  int32_t from90, to90, from_dormant;
  /* per customer scratch, one entry per family */
  uint8_t *excluded;
  const struct ltvd_an_signal **usage, **interest;
  const struct ltvd_an_deal **contract;
  /* cross-sell: confidence(F -> G) at [F * nf + G], NAN without a rule */
  double *conf;
  size_t *support, *both;
  struct ltvd_an_opps *out;
  size_t cap;
};

static struct ltvd_an_opp *push(struct ctx *x)
{
  struct ltvd_an_opps *o = x->out;
  if (o->n == x->cap) {
    x->cap = x->cap ? x->cap * 2 : 256;
    o->opps = realloc(o->opps, x->cap * sizeof *o->opps);
    if (o->opps == NULL)
      abort();
  }
  struct ltvd_an_opp *op = &o->opps[o->n++];
  memset(op, 0, sizeof *op);
  op->from_family = LTVD_AN_NONE;
  return op;
}

static bool in_last_90(const struct ctx *x, int32_t day)
{
  return day >= x->from90 && day <= x->s->today;
}

/* a later than b in the snapshot's signal order */
static bool later(const struct ltvd_an_signal *a, const struct ltvd_an_signal *b)
{
  return a->occurred_us != b->occurred_us ? a->occurred_us > b->occurred_us : a->id > b->id;
}

/* The better of two usage signals: the higher value, on a tie the later. */
static const struct ltvd_an_signal *better_usage(const struct ltvd_an_signal *a,
                                                 const struct ltvd_an_signal *b)
{
  if (a == NULL || b == NULL)
    return a ? a : b;
  if (a->value != b->value)
    return a->value > b->value ? a : b;
  return later(a, b) ? a : b;
}

static bool stage_is(const struct ltvd_an_snapshot *s, const struct ltvd_an_deal *d,
                     enum ltvd_an_state state)
{
  return s->pipelines[d->pipeline].stages[d->stage].state == state;
}

/* The families with an open deal in an upsell or cross_sell pipeline. */
static void mark_excluded(struct ctx *x, const struct ltvd_an_customer *cu)
{
  const struct ltvd_an_snapshot *s = x->s;
  memset(x->excluded, 0, x->nf);
  for (size_t k = cu->deal0; k < cu->deal0 + cu->n_deals; k++) {
    const struct ltvd_an_deal *d = &s->deals[k];
    enum ltvd_an_kind kind = s->pipelines[d->pipeline].kind;
    if (d->product != LTVD_AN_NONE && (kind == LTVD_AN_UPSELL || kind == LTVD_AN_CROSS_SELL) &&
        stage_is(s, d, LTVD_AN_OPEN))
      x->excluded[s->products[d->product].family] = 1;
  }
}

/* The highest monthly price among c's held products of family f at tier `tier`: products
 * with MRR > 0 in M or purchased in the last dormant_after_days days. */
static int64_t held_price(const struct ctx *x, const struct ltvd_an_customer *cu, int f, int tier)
{
  const struct ltvd_an_snapshot *s = x->s;
  int64_t best = 0;
  for (size_t k = cu->mrr0; k < cu->mrr0 + cu->n_mrr; k++) {
    const struct ltvd_an_mrr *l = &s->mrr[k];
    if (l->month != s->month || l->mrr <= 0 || l->product == LTVD_AN_NONE)
      continue;
    const struct ltvd_an_product *p = &s->products[l->product];
    if (p->family == f && p->tier == tier && p->monthly_price > best)
      best = p->monthly_price;
  }
  for (size_t k = cu->purchase0; k < cu->purchase0 + cu->n_purchases; k++) {
    const struct ltvd_an_purchase *pu = &s->purchases[k];
    if (pu->product == LTVD_AN_NONE || pu->day < x->from_dormant || pu->day > s->today)
      continue;
    const struct ltvd_an_product *p = &s->products[pu->product];
    if (p->family == f && p->tier == tier && p->monthly_price > best)
      best = p->monthly_price;
  }
  return best;
}

static void upsell(struct ctx *x, int32_t c)
{
  const struct ltvd_an_snapshot *s = x->s;
  const struct ltvd_an_customer *cu = &s->customers[c];
  const int *held = x->res->held + (size_t)c * x->nf;
  const struct ltvd_an_signal *usage_any = NULL;

  memset(x->usage, 0, x->nf * sizeof *x->usage);
  memset(x->interest, 0, x->nf * sizeof *x->interest);
  memset(x->contract, 0, x->nf * sizeof *x->contract);
  for (size_t k = cu->signal0; k < cu->signal0 + cu->n_signals; k++) {
    const struct ltvd_an_signal *sig = &s->signals[k];
    if (!in_last_90(x, sig->day))
      continue;
    if (sig->type == LTVD_AN_USAGE && sig->has_value) {
      if (sig->product == LTVD_AN_NONE) {
        usage_any = better_usage(usage_any, sig);
      } else {
        int f = s->products[sig->product].family;
        x->usage[f] = better_usage(x->usage[f], sig);
      }
    } else if (sig->type == LTVD_AN_FEATURE_INTEREST && sig->product != LTVD_AN_NONE) {
      int f = s->products[sig->product].family;
      if (held[f] > 0 && s->products[sig->product].tier > held[f])
        x->interest[f] = sig; /* signals run oldest first: the latest stays */
    }
  }
  for (size_t k = cu->deal0; k < cu->deal0 + cu->n_deals; k++) {
    const struct ltvd_an_deal *d = &s->deals[k];
    if (d->product == LTVD_AN_NONE || d->contract_end_day == LTVD_AN_NO_DAY ||
        d->contract_end_day < s->today || d->contract_end_day > x->to90 ||
        !stage_is(s, d, LTVD_AN_WON))
      continue;
    int f = s->products[d->product].family;
    if (x->contract[f] == NULL || d->contract_end_day < x->contract[f]->contract_end_day)
      x->contract[f] = d; /* deals run by id: on equal ends the lower id stays */
  }

  for (size_t f = 0; f < x->nf; f++) {
    if (held[f] <= 0 || x->excluded[f])
      continue;
    int target = target_above(&x->fam[f], held[f]);
    if (target == LTVD_AN_NONE)
      continue;
    const struct ltvd_an_signal *u = better_usage(x->usage[f], usage_any);
    bool usage_high = u != NULL && u->value >= s->settings.upsell_usage_threshold;
    double score = 0;
    if (usage_high)
      score += 0.5;
    if (x->interest[f] != NULL)
      score += 0.3;
    if (x->contract[f] != NULL)
      score += 0.2;
    if (!(score > 0))
      continue;
    int64_t diff = s->products[target].monthly_price - held_price(x, cu, (int)f, held[f]);
    struct ltvd_an_opp *op = push(x);
    op->type = LTVD_AN_OPP_UPSELL;
    op->customer = c;
    op->family = (int)f;
    op->product = target;
    op->score = score;
    op->expected_annual_value = diff > 0 ? (double)(12 * diff) : 0.0;
    op->priority = score * op->expected_annual_value;
    op->held_tier = held[f];
    op->usage = usage_high ? u : NULL;
    op->interest = x->interest[f];
    op->contract = x->contract[f];
  }
}

/* The rules over the top customers, and each candidate's pass on the size condition. */
static void rules(struct ctx *x)
{
  const struct ltvd_an_snapshot *s = x->s;
  const struct ltvd_an_results *res = x->res;
  struct ltvd_an_opps *o = x->out;
  size_t nf = x->nf, n_counts = 0;
  double *counts = xcalloc(s->n_customers, sizeof *counts);

  for (size_t c = 0; c < s->n_customers; c++) {
    int tier = res->c[c].tier;
    if (tier != LTVD_AN_PLATINUM && tier != LTVD_AN_GOLD)
      continue;
    o->n_top++;
    if (s->customers[c].has_employees)
      counts[n_counts++] = (double)s->customers[c].employee_count;
    const int *held = res->held + c * nf;
    for (size_t f = 0; f < nf; f++) {
      if (held[f] <= 0)
        continue;
      x->support[f]++;
      for (size_t g = 0; g < nf; g++)
        if (held[g] > 0)
          x->both[f * nf + g]++;
    }
  }
  o->size_p25 = n_counts ? ltvd_an_percentile_cont(counts, n_counts, 0.25) : NAN;
  free(counts);

  o->rules = xcalloc(nf * nf, sizeof *o->rules);
  for (size_t f = 0; f < nf; f++)
    for (size_t g = 0; g < nf; g++)
      x->conf[f * nf + g] = NAN;
  int64_t min_support = s->settings.cross_sell_min_support;
  for (size_t f = 0; f < nf; f++) {
    if ((int64_t)x->support[f] < min_support)
      continue;
    for (size_t g = 0; g < nf; g++) {
      if (g == f)
        continue;
      struct ltvd_an_rule *r = &o->rules[o->n_rules++];
      r->from = (int)f;
      r->to = (int)g;
      r->support = x->support[f];
      r->both = x->both[f * nf + g];
      r->holding_to = x->support[g];
      r->confidence = r->support ? (double)r->both / (double)r->support : NAN;
      r->lift = isnan(r->confidence) || r->holding_to == 0
                    ? NAN
                    : r->confidence / ((double)r->holding_to / (double)o->n_top);
      x->conf[f * nf + g] = r->confidence;
    }
  }
}

static void cross_sell(struct ctx *x, int32_t c)
{
  const struct ltvd_an_snapshot *s = x->s;
  const struct ltvd_an_customer *cu = &s->customers[c];
  const int *held = x->res->held + (size_t)c * x->nf;
  size_t nf = x->nf;
  double p25 = x->out->size_p25;

  if (!isnan(p25) && !(cu->has_employees && (double)cu->employee_count >= p25))
    return;
  for (size_t g = 0; g < nf; g++) {
    if (held[g] > 0 || x->excluded[g])
      continue;
    int from = LTVD_AN_NONE;
    double score = 0;
    for (size_t f = 0; f < nf; f++) {
      double conf = x->conf[f * nf + g];
      if (held[f] > 0 && !isnan(conf) && (from == LTVD_AN_NONE || conf > score)) {
        from = (int)f;
        score = conf;
      }
    }
    if (from == LTVD_AN_NONE || !(score >= s->settings.cross_sell_min_confidence))
      continue;
    int target = target_above(&x->fam[g], 0);
    if (target == LTVD_AN_NONE)
      continue;
    const struct family *G = &x->fam[g];
    struct ltvd_an_opp *op = push(x);
    op->type = LTVD_AN_OPP_CROSS_SELL;
    op->customer = c;
    op->family = (int)g;
    op->product = target;
    op->score = score;
    op->expected_annual_value = G->mrr_customers
                                    ? 12.0 * ((double)G->mrr_sum / (double)G->mrr_customers)
                                    : 12.0 * (double)s->products[target].monthly_price;
    op->priority = score * op->expected_annual_value;
    op->from_family = from;
    op->rule_both = x->both[(size_t)from * nf + g];
    op->rule_support = x->support[from];
  }
}

/* The latest nps signal of c (on or before T), NULL when none. */
static const struct ltvd_an_signal *latest_nps(const struct ltvd_an_snapshot *s,
                                               const struct ltvd_an_customer *cu)
{
  for (size_t k = cu->signal0 + cu->n_signals; k-- > cu->signal0;)
    if (s->signals[k].type == LTVD_AN_NPS && s->signals[k].has_value &&
        s->signals[k].day <= s->today)
      return &s->signals[k];
  return NULL;
}

static int cmp_opp(const void *a, const void *b)
{
  const struct ltvd_an_opp *x = a, *y = b;
  if (x->priority != y->priority)
    return x->priority > y->priority ? -1 : 1;
  if (x->customer_id != y->customer_id)
    return x->customer_id < y->customer_id ? -1 : 1;
  if (x->type != y->type)
    return x->type < y->type ? -1 : 1;
  return (x->family > y->family) - (x->family < y->family); /* families are in byte order */
}

void ltvd_an_opportunities(const struct ltvd_an_results *res, struct ltvd_an_opps *out)
{
  const struct ltvd_an_snapshot *s = res->snap;
  size_t nf = s->n_families;
  struct ctx x = {
      .res = res,
      .s = s,
      .fam = families_new(s),
      .nf = nf,
      .from90 = s->today - 89,
      .to90 = s->today + 90,
      .from_dormant = s->today - s->settings.dormant_after_days + 1,
      .excluded = xcalloc(nf, 1),
      .usage = xcalloc(nf, sizeof *x.usage),
      .interest = xcalloc(nf, sizeof *x.interest),
      .contract = xcalloc(nf, sizeof *x.contract),
      .conf = xcalloc(nf * nf, sizeof *x.conf),
      .support = xcalloc(nf, sizeof *x.support),
      .both = xcalloc(nf * nf, sizeof *x.both),
      .out = out,
  };
  memset(out, 0, sizeof *out);
  rules(&x);
  out->at_risk = xcalloc(s->n_customers, sizeof *out->at_risk);
  for (size_t c = 0; c < s->n_customers; c++) {
    const struct ltvd_an_cmetrics *m = &res->c[c];
    if (!m->paying || !m->active)
      continue;
    if (m->has_nps && m->nps <= s->settings.nps_detractor_max) {
      out->at_risk[out->n_at_risk++] = (struct ltvd_an_at_risk){
          .customer = (int32_t)c, .nps = m->nps, .signal = latest_nps(s, &s->customers[c])};
      continue;
    }
    mark_excluded(&x, &s->customers[c]);
    upsell(&x, (int32_t)c);
    cross_sell(&x, (int32_t)c);
  }
  for (size_t i = 0; i < out->n; i++) {
    struct ltvd_an_opp *op = &out->opps[i];
    op->customer_id = s->customers[op->customer].id;
    ltvd_an_opp_id(op->customer_id, op->type, s->families[op->family], op->id);
  }
  ltvd_qsort(out->opps, out->n, sizeof *out->opps, cmp_opp);
  families_free(x.fam, nf);
  free(x.excluded);
  free(x.usage);
  free(x.interest);
  free(x.contract);
  free(x.conf);
  free(x.support);
  free(x.both);
}

void ltvd_an_opps_free(struct ltvd_an_opps *o)
{
  free(o->opps);
  free(o->at_risk);
  free(o->rules);
  memset(o, 0, sizeof *o);
}

/* ---- rendering ---------------------------------------------------------------------- */

static json_t *string_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *number_or_null(double v)
{
  return isnan(v) ? json_null() : json_real(v);
}

static void append_reason(json_t *reasons, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append_reason(json_t *reasons, const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  json_array_append_new(reasons, json_string(buf));
}

static json_t *reasons(const struct ltvd_an_snapshot *s, const struct ltvd_an_opp *o)
{
  json_t *r = json_array();
  char day[11];
  if (o->type == LTVD_AN_OPP_CROSS_SELL) {
    append_reason(r, "%zu of %zu top customers holding %s also hold %s", o->rule_both,
                  o->rule_support, s->families[o->from_family], s->families[o->family]);
    return r;
  }
  if (o->usage != NULL) {
    ltvd_an_format_day(o->usage->day, day);
    if (o->usage->product != LTVD_AN_NONE)
      append_reason(r, "usage of %s at %.4g%% of plan limit on %s",
                    s->products[o->usage->product].key, o->usage->value * 100, day);
    else
      append_reason(r, "usage at %.4g%% of plan limit on %s", o->usage->value * 100, day);
  }
  if (o->interest != NULL) {
    const struct ltvd_an_product *p = &s->products[o->interest->product];
    ltvd_an_format_day(o->interest->day, day);
    append_reason(r, "interest in %s (tier %d, above the held tier %d) on %s", p->key, p->tier,
                  o->held_tier, day);
  }
  if (o->contract != NULL) {
    ltvd_an_format_day(o->contract->contract_end_day, day);
    append_reason(r, "contract of deal %" PRId64 " ends on %s", o->contract->id, day);
  }
  return r;
}

json_t *ltvd_an_opp_json(const struct ltvd_an_results *res, const struct ltvd_an_opp *o)
{
  const struct ltvd_an_snapshot *s = res->snap;
  const struct ltvd_an_cmetrics *m = &res->c[o->customer];
  return json_pack("{s:s, s:s, s:I, s:s, s:s, s:f, s:f, s:f, s:o, s:o, s:o}", "id", o->id, "type",
                   ltvd_an_opp_type_name(o->type), "customer_id", (json_int_t)o->customer_id,
                   "family", s->families[o->family], "product", s->products[o->product].key,
                   "score", o->score, "expected_annual_value", o->expected_annual_value, "priority",
                   o->priority, "quadrant", string_or_null(ltvd_an_quadrant_name(m->quadrant)),
                   "tier", string_or_null(ltvd_an_tier_name(m->tier)), "reasons", reasons(s, o));
}

json_t *ltvd_an_at_risk_rows(const struct ltvd_an_results *res, const struct ltvd_an_opps *o)
{
  const struct ltvd_an_snapshot *s = res->snap;
  json_t *rows = json_array();
  for (size_t i = 0; i < o->n_at_risk; i++) {
    const struct ltvd_an_at_risk *a = &o->at_risk[i];
    char reason[160], day[11];
    if (a->signal != NULL) {
      ltvd_an_format_day(a->signal->day, day);
      snprintf(reason, sizeof reason, "nps %d on %s, at or below the detractor limit %d", a->nps,
               day, s->settings.nps_detractor_max);
    } else {
      snprintf(reason, sizeof reason, "nps %d, at or below the detractor limit %d", a->nps,
               s->settings.nps_detractor_max);
    }
    json_array_append_new(rows, json_pack("{s:I, s:i, s:s}", "customer_id",
                                          (json_int_t)s->customers[a->customer].id, "nps", a->nps,
                                          "reason", reason));
  }
  return rows;
}

json_t *ltvd_an_rules_rows(const struct ltvd_an_results *res, const struct ltvd_an_opps *o)
{
  const struct ltvd_an_snapshot *s = res->snap;
  json_t *rows = json_array();
  for (size_t i = 0; i < o->n_rules; i++) {
    const struct ltvd_an_rule *r = &o->rules[i];
    json_array_append_new(rows, json_pack("{s:s, s:s, s:I, s:o, s:o}", "from_family",
                                          s->families[r->from], "to_family", s->families[r->to],
                                          "support", (json_int_t)r->support, "confidence",
                                          number_or_null(r->confidence), "lift",
                                          number_or_null(r->lift)));
  }
  return rows;
}
