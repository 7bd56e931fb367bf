/* Building a snapshot: the catalogue in key order, customers in id order, rows in any
 * order; ltvd_an_snapshot_finish derives and sorts (see ltvd/analytics.h). The loader
 * (src/db/analytics.c) and the unit tests build snapshots the same way. */
#include "ltvd/analytics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/util.h"

struct ltvd_an_build {
  size_t cap_units, cap_products, cap_pipelines, cap_customers, cap_deals, cap_history,
      cap_mrr, cap_signals;
  char **product_family;  /* per product, until the families are known */
  int64_t *history_deal;  /* per history entry: its deal's id */
  int64_t *history_tie;   /* per history entry: its order among equal times */
  int32_t *mrr_customer;  /* per MRR line */
  int32_t *signal_customer; /* per signal */
};

static void *xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (p == NULL)
    abort();
  return p;
}

static void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    abort();
  return p;
}

static char *xstrdup(const char *s)
{
  if (s == NULL)
    return NULL;
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

/* Makes room for one more element in *array (and in the parallel arrays of the build). */
static void reserve(void **array, size_t *cap, size_t used, size_t size)
{
  if (used < *cap)
    return;
  *cap = *cap ? *cap * 2 : 64;
  *array = xrealloc(*array, *cap * size);
}

static struct ltvd_an_build *build(struct ltvd_an_snapshot *s)
{
  if (s->build == NULL) {
    s->build = calloc(1, sizeof *s->build);
    if (s->build == NULL)
      abort();
  }
  return s->build;
}

int ltvd_an_add_unit(struct ltvd_an_snapshot *s, const char *key)
{
  struct ltvd_an_build *b = build(s);
  reserve((void **) &s->units, &b->cap_units, s->n_units, sizeof *s->units);
  s->units[s->n_units] = xstrdup(key);
  return (int) s->n_units++;
}

int ltvd_an_add_product(struct ltvd_an_snapshot *s, const char *key, const char *unit,
                        const char *family, int tier, int64_t monthly_price,
                        double gross_margin)
{
  struct ltvd_an_build *b = build(s);
  size_t cap = b->cap_products;
  reserve((void **) &s->products, &b->cap_products, s->n_products, sizeof *s->products);
  if (cap != b->cap_products)
    b->product_family = xrealloc(b->product_family, b->cap_products * sizeof(char *));
  s->products[s->n_products] = (struct ltvd_an_product){
      .key = xstrdup(key),
      .unit = ltvd_an_unit_index(s, unit),
      .family = LTVD_AN_NONE,
      .tier = tier,
      .monthly_price = monthly_price,
      .gross_margin = gross_margin,
  };
  b->product_family[s->n_products] = xstrdup(family);
  return (int) s->n_products++;
}

int ltvd_an_add_pipeline(struct ltvd_an_snapshot *s, const char *key, enum ltvd_an_kind kind,
                         int64_t seq)
{
  struct ltvd_an_build *b = build(s);
  reserve((void **) &s->pipelines, &b->cap_pipelines, s->n_pipelines, sizeof *s->pipelines);
  s->pipelines[s->n_pipelines] =
      (struct ltvd_an_pipeline){.key = xstrdup(key), .kind = kind, .seq = seq};
  return (int) s->n_pipelines++;
}

int ltvd_an_add_stage(struct ltvd_an_snapshot *s, int pipeline, const char *key,
                      int position, double probability, enum ltvd_an_state state)
{
  struct ltvd_an_pipeline *p = &s->pipelines[pipeline];
  p->stages = xrealloc(p->stages, (size_t) (p->n_stages + 1) * sizeof *p->stages);
  p->stages[p->n_stages] = (struct ltvd_an_stage){
      .key = xstrdup(key), .position = position, .probability = probability, .state = state};
  return p->n_stages++;
}

int ltvd_an_add_customer(struct ltvd_an_snapshot *s, int64_t id, const char *name,
                         const char *industry, const char *channel, bool has_employees,
                         int64_t employee_count)
{
  struct ltvd_an_build *b = build(s);
  reserve((void **) &s->customers, &b->cap_customers, s->n_customers, sizeof *s->customers);
  s->customers[s->n_customers] = (struct ltvd_an_customer){
      .id = id,
      .name = xstrdup(name),
      .industry = xstrdup(industry),
      .channel = xstrdup(channel),
      .has_employees = has_employees,
      .employee_count = has_employees ? employee_count : 0,
  };
  return (int) s->n_customers++;
}

void ltvd_an_add_deal(struct ltvd_an_snapshot *s, const struct ltvd_an_deal *d)
{
  struct ltvd_an_build *b = build(s);
  reserve((void **) &s->deals, &b->cap_deals, s->n_deals, sizeof *s->deals);
  s->deals[s->n_deals++] = *d;
}

void ltvd_an_add_history_tie(struct ltvd_an_snapshot *s, int64_t deal_id, int stage,
                             double entered_at, int64_t tie)
{
  struct ltvd_an_build *b = build(s);
  size_t cap = b->cap_history;
  reserve((void **) &s->history, &b->cap_history, s->n_history, sizeof *s->history);
  if (cap != b->cap_history) {
    b->history_deal = xrealloc(b->history_deal, b->cap_history * sizeof(int64_t));
    b->history_tie = xrealloc(b->history_tie, b->cap_history * sizeof(int64_t));
  }
  s->history[s->n_history] = (struct ltvd_an_history){.stage = stage, .entered_at = entered_at};
  b->history_tie[s->n_history] = tie;
  b->history_deal[s->n_history++] = deal_id;
}

void ltvd_an_add_history(struct ltvd_an_snapshot *s, int64_t deal_id, int stage,
                         double entered_at)
{
  ltvd_an_add_history_tie(s, deal_id, stage, entered_at, (int64_t) s->n_history);
}

void ltvd_an_add_mrr(struct ltvd_an_snapshot *s, int32_t customer, int32_t month,
                     int product, int64_t mrr)
{
  struct ltvd_an_build *b = build(s);
  size_t cap = b->cap_mrr;
  reserve((void **) &s->mrr, &b->cap_mrr, s->n_mrr, sizeof *s->mrr);
  if (cap != b->cap_mrr)
    b->mrr_customer = xrealloc(b->mrr_customer, b->cap_mrr * sizeof(int32_t));
  s->mrr[s->n_mrr] = (struct ltvd_an_mrr){.month = month, .product = product, .mrr = mrr};
  b->mrr_customer[s->n_mrr++] = customer;
}

void ltvd_an_add_signal(struct ltvd_an_snapshot *s, int32_t customer,
                        const struct ltvd_an_signal *sig)
{
  struct ltvd_an_build *b = build(s);
  size_t cap = b->cap_signals;
  reserve((void **) &s->signals, &b->cap_signals, s->n_signals, sizeof *s->signals);
  if (cap != b->cap_signals)
    b->signal_customer = xrealloc(b->signal_customer, b->cap_signals * sizeof(int32_t));
  s->signals[s->n_signals] = *sig;
  b->signal_customer[s->n_signals++] = customer;
}

void ltvd_an_snapshot_take_rows(struct ltvd_an_snapshot *dst, struct ltvd_an_snapshot *src)
{
  struct ltvd_an_build *from = build(src);
  for (size_t i = 0; i < src->n_mrr; i++)
    ltvd_an_add_mrr(dst, from->mrr_customer[i], src->mrr[i].month, src->mrr[i].product,
                    src->mrr[i].mrr);
  for (size_t i = 0; i < src->n_signals; i++)
    ltvd_an_add_signal(dst, from->signal_customer[i], &src->signals[i]);
  free(src->mrr);
  free(src->signals);
  free(from->mrr_customer);
  free(from->signal_customer);
  src->mrr = NULL, src->signals = NULL, src->n_mrr = src->n_signals = 0;
  from->mrr_customer = from->signal_customer = NULL;
  from->cap_mrr = from->cap_signals = 0;
}

/* ---- lookups ------------------------------------------------------------------- */

static int find_key(const void *base, size_t n, size_t size, size_t key_offset,
                    const char *key)
{
  if (key == NULL)
    return LTVD_AN_NONE;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *k = *(const char *const *) ((const char *) base + mid * size + key_offset);
    int c = strcmp(k, key);
    if (c == 0)
      return (int) mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return LTVD_AN_NONE;
}

int ltvd_an_unit_index(const struct ltvd_an_snapshot *s, const char *key)
{
  return find_key(s->units, s->n_units, sizeof *s->units, 0, key);
}

int ltvd_an_product_index(const struct ltvd_an_snapshot *s, const char *key)
{
  return find_key(s->products, s->n_products, sizeof *s->products,
                  offsetof(struct ltvd_an_product, key), key);
}

int ltvd_an_family_index(const struct ltvd_an_snapshot *s, const char *name)
{
  return find_key(s->families, s->n_families, sizeof *s->families, 0, name);
}

int ltvd_an_pipeline_index(const struct ltvd_an_snapshot *s, const char *key)
{
  return find_key(s->pipelines, s->n_pipelines, sizeof *s->pipelines,
                  offsetof(struct ltvd_an_pipeline, key), key);
}

int ltvd_an_stage_index(const struct ltvd_an_snapshot *s, int pipeline, const char *key)
{
  if (pipeline < 0 || key == NULL)
    return LTVD_AN_NONE;
  const struct ltvd_an_pipeline *p = &s->pipelines[pipeline];
  for (int i = 0; i < p->n_stages; i++)
    if (strcmp(p->stages[i].key, key) == 0)
      return i;
  return LTVD_AN_NONE;
}

int32_t ltvd_an_customer_index(const struct ltvd_an_snapshot *s, int64_t id)
{
  size_t lo = 0, hi = s->n_customers;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->customers[mid].id == id)
      return (int32_t) mid;
    if (s->customers[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return LTVD_AN_NONE;
}

/* ---- finishing ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Groups n rows of the given size by owner (0 .. n_owners-1), stably, in place; start
 * receives each owner's first row (n_owners + 1 entries). */
static void group_by_owner(void *rows, size_t n, size_t size, const int32_t *owner,
                           size_t n_owners, size_t *start)
{
  memset(start, 0, (n_owners + 1) * sizeof *start);
  for (size_t i = 0; i < n; i++)
    start[owner[i] + 1]++;
  for (size_t o = 0; o < n_owners; o++)
    start[o + 1] += start[o];
  size_t *next = xmalloc((n_owners + 1) * sizeof *next);
  memcpy(next, start, (n_owners + 1) * sizeof *next);
  char *sorted = xmalloc(n * size);
  for (size_t i = 0; i < n; i++)
    memcpy(sorted + next[owner[i]]++ * size, (char *) rows + i * size, size);
  if (n > 0)
    memcpy(rows, sorted, n * size);
  free(sorted);
  free(next);
}

/* Sorts each owner's range of rows with cmp (the ranges are small: insertion sort keeps
 * equal rows in their order and is fast on the nearly sorted input SQL gives). */
static void sort_ranges(void *rows, size_t size, const size_t *start, size_t n_owners,
                        int (*cmp)(const void *, const void *))
{
  char tmp[128];
  if (size > sizeof tmp)
    abort();
  for (size_t o = 0; o < n_owners; o++) {
    char *base = (char *) rows + start[o] * size;
    size_t n = start[o + 1] - start[o];
    if (n > 64) { /* every comparator orders ties by a unique key, so qsort is safe */
      ltvd_qsort(base, n, size, cmp);
      continue;
    }
    for (size_t i = 1; i < n; i++) {
      size_t j = i;
      memcpy(tmp, base + i * size, size);
      while (j > 0 && cmp(base + (j - 1) * size, tmp) > 0) {
        memcpy(base + j * size, base + (j - 1) * size, size);
        j--;
      }
      memcpy(base + j * size, tmp, size);
    }
  }
}

static int cmp_deal(const void *a, const void *b)
{
  const struct ltvd_an_deal *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

static int cmp_mrr(const void *a, const void *b)
{
  const struct ltvd_an_mrr *x = a, *y = b;
  if (x->month != y->month)
    return x->month < y->month ? -1 : 1;
  return (x->product > y->product) - (x->product < y->product);
}

static int cmp_signal(const void *a, const void *b)
{
  const struct ltvd_an_signal *x = a, *y = b;
  if (x->occurred_us != y->occurred_us)
    return x->occurred_us < y->occurred_us ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

static int cmp_purchase(const void *a, const void *b)
{
  const struct ltvd_an_purchase *x = a, *y = b;
  if (x->day != y->day)
    return x->day < y->day ? -1 : 1;
  return (x->deal_id > y->deal_id) - (x->deal_id < y->deal_id);
}

/* History entries carry their insertion order while sorting by time. */
struct history_row {
  struct ltvd_an_history h;
  int64_t seq;
};

static int cmp_history(const void *a, const void *b)
{
  const struct history_row *x = a, *y = b;
  if (x->h.entered_at != y->h.entered_at)
    return x->h.entered_at < y->h.entered_at ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

struct id_pos {
  int64_t id;
  size_t pos;
};

static int cmp_id_pos(const void *a, const void *b)
{
  const struct id_pos *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

static void finish_families(struct ltvd_an_snapshot *s, struct ltvd_an_build *b)
{
  char **names = xmalloc((s->n_products + 1) * sizeof *names);
  if (s->n_products > 0)
    memcpy(names, b->product_family, s->n_products * sizeof *names);
  ltvd_qsort(names, s->n_products, sizeof *names, cmp_str);
  s->families = xmalloc((s->n_products + 1) * sizeof *s->families);
  s->n_families = 0;
  for (size_t i = 0; i < s->n_products; i++)
    if (s->n_families == 0 || strcmp(s->families[s->n_families - 1], names[i]) != 0)
      s->families[s->n_families++] = xstrdup(names[i]);
  free(names);
  for (size_t i = 0; i < s->n_products; i++) {
    s->products[i].family = ltvd_an_family_index(s, b->product_family[i]);
    free(b->product_family[i]);
    if (isnan(s->products[i].gross_margin))
      s->products[i].gross_margin = s->settings.default_gross_margin;
  }
}

static void finish_deals(struct ltvd_an_snapshot *s, struct ltvd_an_build *b, size_t *start)
{
  size_t kept = 0;
  for (size_t i = 0; i < s->n_deals; i++)
    if (s->deals[i].closed_day == LTVD_AN_NO_DAY || s->deals[i].closed_day <= s->today)
      s->deals[kept++] = s->deals[i];
  s->n_deals = kept;

  int32_t *owner = xmalloc((kept + 1) * sizeof *owner);
  for (size_t i = 0; i < kept; i++)
    owner[i] = s->deals[i].customer;
  group_by_owner(s->deals, kept, sizeof *s->deals, owner, s->n_customers, start);
  sort_ranges(s->deals, sizeof *s->deals, start, s->n_customers, cmp_deal);
  for (size_t c = 0; c < s->n_customers; c++) {
    s->customers[c].deal0 = start[c];
    s->customers[c].n_deals = start[c + 1] - start[c];
  }
  free(owner);

  /* stage history: each entry to its deal's position (through a table by id when the
     ids are dense, else a binary search), entries of dropped deals dropped */
  int64_t max_id = 0;
  for (size_t i = 0; i < kept; i++)
    max_id = s->deals[i].id > max_id ? s->deals[i].id : max_id;
  bool dense = max_id <= 4 * (int64_t) kept + 1000000;
  int32_t *by_id = dense ? malloc(((size_t) max_id + 1) * sizeof *by_id) : NULL;
  struct id_pos *ids = dense ? NULL : xmalloc((kept + 1) * sizeof *ids);
  if (dense && by_id == NULL)
    abort();
  if (dense) {
    for (int64_t i = 0; i <= max_id; i++)
      by_id[i] = -1;
    for (size_t i = 0; i < kept; i++)
      if (s->deals[i].id >= 0)
        by_id[s->deals[i].id] = (int32_t) i;
  } else {
    for (size_t i = 0; i < kept; i++)
      ids[i] = (struct id_pos){.id = s->deals[i].id, .pos = i};
    ltvd_qsort(ids, kept, sizeof *ids, cmp_id_pos);
  }
  struct history_row *rows = xmalloc((s->n_history + 1) * sizeof *rows);
  int32_t *deal_of = calloc(s->n_history + 1, sizeof *deal_of);
  if (deal_of == NULL)
    abort();
  size_t n = 0;
  for (size_t i = 0; i < s->n_history; i++) {
    int64_t id = b->history_deal[i];
    int32_t pos = -1;
    if (dense) {
      pos = id >= 0 && id <= max_id ? by_id[id] : -1;
    } else {
      struct id_pos key = {.id = id};
      struct id_pos *hit = ltvd_bsearch(&key, ids, kept, sizeof *ids, cmp_id_pos);
      pos = hit ? (int32_t) hit->pos : -1;
    }
    if (pos < 0)
      continue;
    rows[n] = (struct history_row){.h = s->history[i], .seq = b->history_tie[i]};
    deal_of[n++] = pos;
  }
  free(by_id);
  size_t *hstart = xmalloc((kept + 1) * sizeof *hstart);
  group_by_owner(rows, n, sizeof *rows, deal_of, kept, hstart);
  sort_ranges(rows, sizeof *rows, hstart, kept, cmp_history);
  for (size_t i = 0; i < n; i++)
    s->history[i] = rows[i].h;
  s->n_history = n;
  for (size_t d = 0; d < kept; d++) {
    s->deals[d].hist0 = hstart[d];
    s->deals[d].n_hist = hstart[d + 1] - hstart[d];
  }
  free(hstart);
  free(deal_of);
  free(rows);
  free(ids);
}

static void finish_purchases(struct ltvd_an_snapshot *s)
{
  s->purchases = xmalloc((s->n_deals + 1) * sizeof *s->purchases);
  s->n_purchases = 0;
  for (size_t c = 0; c < s->n_customers; c++) {
    struct ltvd_an_customer *cu = &s->customers[c];
    cu->purchase0 = s->n_purchases;
    for (size_t i = cu->deal0; i < cu->deal0 + cu->n_deals; i++) {
      const struct ltvd_an_deal *d = &s->deals[i];
      const struct ltvd_an_stage *st = &s->pipelines[d->pipeline].stages[d->stage];
      if (st->state != LTVD_AN_WON || d->recurring || d->closed_day == LTVD_AN_NO_DAY ||
          d->closed_day > s->today)
        continue;
      s->purchases[s->n_purchases++] = (struct ltvd_an_purchase){
          .deal_id = d->id, .day = d->closed_day, .product = d->product, .amount = d->amount};
    }
    cu->n_purchases = s->n_purchases - cu->purchase0;
  }
  size_t *start = xmalloc((s->n_customers + 1) * sizeof *start);
  for (size_t c = 0; c < s->n_customers; c++)
    start[c] = s->customers[c].purchase0;
  start[s->n_customers] = s->n_purchases;
  sort_ranges(s->purchases, sizeof *s->purchases, start, s->n_customers, cmp_purchase);
  free(start);
}

static void finish_mrr(struct ltvd_an_snapshot *s, struct ltvd_an_build *b, size_t *start)
{
  int32_t current = ltvd_an_month_of(s->today);
  bool loaded = false;
  for (size_t i = 0; i < s->n_mrr && !loaded; i++)
    loaded = s->mrr[i].month == current;
  s->month = loaded ? current : current - 1;

  size_t kept = 0;
  s->first_mrr_month = LTVD_AN_NO_DAY;
  for (size_t i = 0; i < s->n_mrr; i++) {
    if (s->mrr[i].month > s->month)
      continue;
    if (s->first_mrr_month == LTVD_AN_NO_DAY || s->mrr[i].month < s->first_mrr_month)
      s->first_mrr_month = s->mrr[i].month;
    b->mrr_customer[kept] = b->mrr_customer[i];
    s->mrr[kept++] = s->mrr[i];
  }
  s->n_mrr = kept;
  group_by_owner(s->mrr, kept, sizeof *s->mrr, b->mrr_customer, s->n_customers, start);
  sort_ranges(s->mrr, sizeof *s->mrr, start, s->n_customers, cmp_mrr);
  for (size_t c = 0; c < s->n_customers; c++) {
    s->customers[c].mrr0 = start[c];
    s->customers[c].n_mrr = start[c + 1] - start[c];
  }
}

static void finish_signals(struct ltvd_an_snapshot *s, struct ltvd_an_build *b, size_t *start)
{
  group_by_owner(s->signals, s->n_signals, sizeof *s->signals, b->signal_customer,
                 s->n_customers, start);
  sort_ranges(s->signals, sizeof *s->signals, start, s->n_customers, cmp_signal);
  for (size_t c = 0; c < s->n_customers; c++) {
    s->customers[c].signal0 = start[c];
    s->customers[c].n_signals = start[c + 1] - start[c];
  }
}

void ltvd_an_snapshot_finish(struct ltvd_an_snapshot *s)
{
  struct ltvd_an_build *b = build(s);
  size_t *start = xmalloc((s->n_customers + 1) * sizeof *start);
  finish_families(s, b);
  finish_deals(s, b, start);
  finish_purchases(s);
  finish_mrr(s, b, start);
  finish_signals(s, b, start);
  free(start);
  free(b->product_family);
  free(b->history_deal);
  free(b->history_tie);
  free(b->mrr_customer);
  free(b->signal_customer);
  free(b);
  s->build = NULL;
}

void ltvd_an_snapshot_free(struct ltvd_an_snapshot *s)
{
  if (s->build != NULL) {
    for (size_t i = 0; i < s->n_products; i++)
      free(s->build->product_family[i]);
    free(s->build->product_family);
    free(s->build->history_deal);
    free(s->build->history_tie);
    free(s->build->mrr_customer);
    free(s->build->signal_customer);
    free(s->build);
  }
  for (size_t i = 0; i < s->n_units; i++)
    free(s->units[i]);
  free(s->units);
  for (size_t i = 0; i < s->n_families; i++)
    free(s->families[i]);
  free(s->families);
  for (size_t i = 0; i < s->n_products; i++)
    free((char *) s->products[i].key);
  free(s->products);
  for (size_t i = 0; i < s->n_pipelines; i++) {
    for (int j = 0; j < s->pipelines[i].n_stages; j++)
      free((char *) s->pipelines[i].stages[j].key);
    free(s->pipelines[i].stages);
    free((char *) s->pipelines[i].key);
  }
  free(s->pipelines);
  for (size_t i = 0; i < s->n_customers; i++) {
    free((char *) s->customers[i].name);
    free((char *) s->customers[i].industry);
    free((char *) s->customers[i].channel);
  }
  free(s->customers);
  free(s->purchases);
  free(s->mrr);
  free(s->deals);
  free(s->history);
  free(s->signals);
  memset(s, 0, sizeof *s);
}
