/* SPEC 4.7: pipeline statistics, stage calibration and the forecast.
 *
 * One pass over the deals fills per-stage tallies (stages of every pipeline laid end to
 * end). Open deals are those whose stage state is open. The closed deals of the last 12
 * months are those in a won or lost stage with closed_at in T − 364 … T; over them: won,
 * lost, the days from the UTC date of created_at to closed_at of the won ones, and per
 * stage the deals having it in their history (once per deal, however often entered),
 * the won among them, and every history entry of that stage that has a next entry, with
 * the time to that next entry in fractional days. Weighted amounts (amount × probability)
 * are JSON reals, not rounded to minor units: SPEC section 2 keeps averages and ratios
 * unrounded and an expected value is one; plain amounts stay integers. Each weighted sum
 * is computed as Σ over stages of probability × (the exact int64 sum of the amounts in
 * that stage), so it does not depend on the order of the deals. The forecast groups the
 * open deals by the month of expected_close_date into buckets, one per (pipeline, month)
 * found through an open-addressing hash and holding the amount per stage; the few buckets
 * are then sorted, months ascending and `unscheduled` (no expected date) last. A month is
 * listed when it has an open deal, even one weighing 0. */
#include "ltvd/analytics.h"

#include <stdlib.h>
#include <string.h>

#include "ltvd/util.h"

#define UNSCHEDULED INT32_MAX

static void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

static void *xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (p == NULL)
    abort();
  return p;
}

static const char *kind_name(enum ltvd_an_kind k)
{
  static const char *const names[] = {"new_business", "upsell", "cross_sell", "renewal"};
  return names[k];
}

struct stage_tally {
  int64_t open_deals, amount;
  int64_t entered, entered_won;
  int64_t dwell_n;
  double dwell_days;
};

struct pipe_tally {
  int64_t won, lost, days_to_close;
};

/* The forecast's buckets. A key is pipeline << 32 | month (UNSCHEDULED sorts last). */
struct buckets {
  size_t n, cap;   /* buckets used, hash slots (a power of two, at least 2n) */
  size_t stride;   /* stages per bucket: the most any pipeline has */
  int64_t *key;    /* per bucket */
  int64_t *amount; /* per bucket, stride amounts */
  size_t *slot;    /* per hash slot: bucket + 1, 0 when empty */
};

static size_t *find_slot(const struct buckets *b, int64_t key)
{
  size_t h = (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> 17) & (b->cap - 1);
  while (b->slot[h] != 0 && b->key[b->slot[h] - 1] != key)
    h = (h + 1) & (b->cap - 1);
  return &b->slot[h];
}

static void grow(struct buckets *b)
{
  size_t old = b->cap / 2;
  b->cap = b->cap ? b->cap * 2 : 64;
  b->key = xrealloc(b->key, b->cap / 2 * sizeof *b->key);
  b->amount = xrealloc(b->amount, b->cap / 2 * b->stride * sizeof *b->amount);
  free(b->slot);
  b->slot = xcalloc(b->cap, sizeof *b->slot);
  memset(b->amount + old * b->stride, 0, (b->cap / 2 - old) * b->stride * sizeof *b->amount);
  for (size_t i = 0; i < b->n; i++)
    *find_slot(b, b->key[i]) = i + 1;
}

static void bucket_add(struct buckets *b, int32_t pipeline, int32_t month, int stage,
                       int64_t amount)
{
  int64_t key = (int64_t)pipeline << 32 | (int64_t)(uint32_t)month;
  if (b->n + 1 > b->cap / 2)
    grow(b);
  size_t *slot = find_slot(b, key);
  if (*slot == 0) {
    b->key[b->n] = key;
    *slot = ++b->n;
  }
  b->amount[(*slot - 1) * b->stride + (size_t)stage] += amount;
}

/* A bucket as the forecast lists them: by key. */
struct ordered {
  int64_t key;
  size_t bucket;
};

static int cmp_ordered(const void *x, const void *y)
{
  const struct ordered *a = x, *b = y;
  return (a->key > b->key) - (a->key < b->key);
}

struct tallies {
  size_t *base; /* per pipeline: its first stage in st */
  struct stage_tally *st;
  struct pipe_tally *pt;
  struct buckets fc;
  struct ordered *order; /* the buckets by key */
  uint8_t *seen;         /* per stage of one deal */
};

static void closed_deal(const struct ltvd_an_snapshot *s, const struct ltvd_an_deal *d,
                        struct tallies *t)
{
  const struct ltvd_an_pipeline *pl = &s->pipelines[d->pipeline];
  bool won = pl->stages[d->stage].state == LTVD_AN_WON;
  struct pipe_tally *pt = &t->pt[d->pipeline];
  struct stage_tally *st = &t->st[t->base[d->pipeline]];
  if (won) {
    pt->won++;
    pt->days_to_close += d->closed_day - d->created_day;
  } else {
    pt->lost++;
  }
  memset(t->seen, 0, (size_t)pl->n_stages);
  const struct ltvd_an_history *h = &s->history[d->hist0];
  for (size_t j = 0; j < d->n_hist; j++) {
    int k = h[j].stage;
    if (!t->seen[k]) {
      t->seen[k] = 1;
      st[k].entered++;
      st[k].entered_won += won;
    }
    if (j + 1 < d->n_hist) {
      st[k].dwell_n++;
      st[k].dwell_days += h[j + 1].entered_at - h[j].entered_at;
    }
  }
}

static void tally(const struct ltvd_an_snapshot *s, struct tallies *t)
{
  int32_t window = s->today - 364;
  for (size_t i = 0; i < s->n_deals; i++) {
    const struct ltvd_an_deal *d = &s->deals[i];
    const struct ltvd_an_stage *stage = &s->pipelines[d->pipeline].stages[d->stage];
    if (stage->state == LTVD_AN_OPEN) {
      struct stage_tally *st = &t->st[t->base[d->pipeline] + (size_t)d->stage];
      st->open_deals++;
      st->amount += d->amount;
      int32_t month = d->expected_close_day == LTVD_AN_NO_DAY
                          ? UNSCHEDULED
                          : ltvd_an_month_of(d->expected_close_day);
      bucket_add(&t->fc, d->pipeline, month, d->stage, d->amount);
    } else if (d->closed_day != LTVD_AN_NO_DAY && d->closed_day >= window &&
               d->closed_day <= s->today) {
      closed_deal(s, d, t);
    }
  }
  t->order = xcalloc(t->fc.n, sizeof *t->order);
  for (size_t i = 0; i < t->fc.n; i++)
    t->order[i] = (struct ordered){.key = t->fc.key[i], .bucket = i};
  ltvd_qsort(t->order, t->fc.n, sizeof *t->order, cmp_ordered);
}

static json_t *ratio(double num, int64_t den)
{
  return den == 0 ? json_null() : json_real(num / (double)den);
}

static json_t *stage_json(const struct ltvd_an_stage *stage, const struct stage_tally *st)
{
  json_t *o = json_object();
  json_object_set_new(o, "stage", json_string(stage->key));
  json_object_set_new(o, "open_deals", json_integer(st->open_deals));
  json_object_set_new(o, "amount", json_integer(st->amount));
  json_object_set_new(o, "weighted_amount", json_real((double)st->amount * stage->probability));
  json_object_set_new(o, "configured_probability", json_real(stage->probability));
  json_object_set_new(o, "closed_deals_entered", json_integer(st->entered));
  json_object_set_new(o, "observed_win_rate", ratio((double)st->entered_won, st->entered));
  json_object_set_new(o, "mean_days_in_stage", ratio(st->dwell_days, st->dwell_n));
  return o;
}

/* The forecast of pipeline p from its buckets, the first at *pos in key order. */
static json_t *forecast_json(const struct ltvd_an_pipeline *pl, int32_t p, const struct tallies *t,
                             size_t *pos)
{
  json_t *rows = json_array();
  for (; *pos < t->fc.n && t->order[*pos].key >> 32 == p; ++*pos) {
    size_t b = t->order[*pos].bucket;
    int32_t month = (int32_t)(uint32_t)(t->order[*pos].key & 0xffffffff);
    const int64_t *amount = &t->fc.amount[b * t->fc.stride];
    double weighted = 0;
    for (int k = 0; k < pl->n_stages; k++)
      weighted += (double)amount[k] * pl->stages[k].probability;
    char name[8];
    if (month != UNSCHEDULED)
      ltvd_an_format_month(month, name);
    json_array_append_new(rows, json_pack("{s:s, s:f}", "month",
                                          month == UNSCHEDULED ? "unscheduled" : name,
                                          "weighted_amount", weighted));
  }
  return rows;
}

static json_t *pipeline_json(const struct ltvd_an_snapshot *s, int32_t p, const struct tallies *t,
                             size_t *pos)
{
  const struct ltvd_an_pipeline *pl = &s->pipelines[p];
  const struct pipe_tally *pt = &t->pt[p];
  json_t *stages = json_array();
  for (int k = 0; k < pl->n_stages; k++)
    json_array_append_new(stages, stage_json(&pl->stages[k], &t->st[t->base[p] + (size_t)k]));
  json_t *o = json_object();
  json_object_set_new(o, "pipeline", json_string(pl->key));
  json_object_set_new(o, "kind", json_string(kind_name(pl->kind)));
  json_object_set_new(o, "won", json_integer(pt->won));
  json_object_set_new(o, "lost", json_integer(pt->lost));
  json_object_set_new(o, "win_rate", ratio((double)pt->won, pt->won + pt->lost));
  json_object_set_new(o, "mean_days_to_close", ratio((double)pt->days_to_close, pt->won));
  json_object_set_new(o, "stages", stages);
  json_object_set_new(o, "forecast", forecast_json(pl, p, t, pos));
  return o;
}

json_t *ltvd_an_pipelines_rows(const struct ltvd_an_results *res)
{
  const struct ltvd_an_snapshot *s = res->snap;
  size_t np = s->n_pipelines, n_st = 0, max_st = 0;
  struct tallies t = {.base = xcalloc(np, sizeof *t.base)};
  for (size_t p = 0; p < np; p++) {
    t.base[p] = n_st;
    n_st += (size_t)s->pipelines[p].n_stages;
    max_st = (size_t)s->pipelines[p].n_stages > max_st ? (size_t)s->pipelines[p].n_stages : max_st;
  }
  t.st = xcalloc(n_st, sizeof *t.st);
  t.pt = xcalloc(np, sizeof *t.pt);
  t.fc.stride = max_st;
  t.seen = xcalloc(max_st, 1);
  tally(s, &t);

  json_t *rows = json_array();
  size_t pos = 0;
  for (size_t p = 0; p < np; p++)
    json_array_append_new(rows, pipeline_json(s, (int32_t)p, &t, &pos));
  free(t.base);
  free(t.st);
  free(t.pt);
  free(t.fc.key);
  free(t.fc.amount);
  free(t.fc.slot);
  free(t.order);
  free(t.seen);
  return rows;
}
