/* The documents of SPEC 4.2 (segment LTV), 4.3 (tiers), 4.4 (quadrants) and the customer
 * metrics object of section 8.
 *
 * Segment rows are built in three steps, so that the 81 axis combinations of a run stay
 * cheap on many customers: each axis becomes a table of values in row order (byte order,
 * "unknown" last) and, per customer, the codes of the values it belongs to (one, or for
 * business_unit and product_family every unit or family ever paid in); the customers
 * are then folded into one accumulator per segment met (found through a direct table
 * on the pair of codes when the pairs are few, else a hash); only the accumulators, sorted by their
 * codes, become JSON. The sums run over the customers in id order, the order the snapshot holds
 * them in. */
#include "ltvd/analytics.h"
#include "ltvd/segments.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/util.h"

static const char unknown[] = "unknown";

static void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    abort();
  return p;
}

static void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

/* A real, or null when it is not a number (a ratio over 0, an unfitted model). */
static json_t *real_or_null(double d)
{
  return isfinite(d) ? json_real(d) : json_null();
}

/* ---- interning the values of an axis ---------------------------------------------- */

struct interner {
  size_t n, cap;      /* values; slots (a power of two, at least twice n) */
  const char **names; /* by provisional code */
  uint32_t *slots;    /* code + 1, 0 when free */
};

static uint64_t hash_str(const char *s)
{
  uint64_t h = 14695981039346656037u;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211u;
  return h;
}

static void interner_grow(struct interner *t)
{
  size_t cap = t->cap ? t->cap * 2 : 64;
  uint32_t *slots = xcalloc(cap, sizeof *slots);
  for (size_t c = 0; c < t->n; c++) {
    size_t k = (size_t) hash_str(t->names[c]) & (cap - 1);
    while (slots[k] != 0)
      k = (k + 1) & (cap - 1);
    slots[k] = (uint32_t) c + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  t->names = realloc(t->names, cap / 2 * sizeof *t->names);
  if (t->names == NULL)
    abort();
}

/* The code of s; s must outlive the interner. */
static uint32_t intern(struct interner *t, const char *s)
{
  if (2 * (t->n + 1) > t->cap)
    interner_grow(t);
  size_t k = (size_t) hash_str(s) & (t->cap - 1);
  for (; t->slots[k] != 0; k = (k + 1) & (t->cap - 1))
    if (strcmp(t->names[t->slots[k] - 1], s) == 0)
      return t->slots[k] - 1;
  t->names[t->n] = s;
  t->slots[k] = (uint32_t) t->n + 1;
  return (uint32_t) t->n++;
}

/* ---- an axis over all customers ----------------------------------------------------- */

struct axis {
  size_t n;           /* values */
  const char **names; /* in row order */
  uint32_t *start;    /* n_customers + 1 */
  uint32_t *codes;    /* customer i's: codes[start[i] .. start[i + 1]) */
  char *cohorts;      /* storage of the cohort values, 8 bytes a quarter */
};

static void axis_free(struct axis *x)
{
  free(x->names);
  free(x->start);
  free(x->codes);
  free(x->cohorts);
}

static int cmp_value(const char *a, const char *b)
{
  bool ua = strcmp(a, unknown) == 0, ub = strcmp(b, unknown) == 0;
  if (ua || ub)
    return ua - ub;
  return strcmp(a, b);
}

static int cmp_name(const void *a, const void *b)
{
  return cmp_value(*(const char *const *) a, *(const char *const *) b);
}

/* Turns the interner's codes into row-order codes and moves its names into x. */
static void axis_order(struct axis *x, struct interner *t, size_t n_codes)
{
  x->n = t->n;
  x->names = xmalloc(t->n * sizeof *x->names);
  if (t->n > 0)
    memcpy(x->names, t->names, t->n * sizeof *x->names);
  ltvd_qsort(x->names, t->n, sizeof *x->names, cmp_name);
  uint32_t *rank = xmalloc(t->n * sizeof *rank);
  for (size_t r = 0; r < t->n; r++)
    rank[intern(t, x->names[r])] = (uint32_t) r;
  for (size_t j = 0; j < n_codes; j++)
    x->codes[j] = rank[x->codes[j]];
  free(rank);
  free(t->names);
  free(t->slots);
}

static const char *single_value(const struct ltvd_an_results *res, int axis, size_t i)
{
  const struct ltvd_an_customer *cu = &res->snap->customers[i];
  const struct ltvd_an_cmetrics *m = &res->c[i];
  switch (axis) {
  case LTVD_AN_AXIS_INDUSTRY:
    return cu->industry != NULL ? cu->industry : unknown;
  case LTVD_AN_AXIS_CHANNEL:
    return cu->channel != NULL ? cu->channel : unknown;
  case LTVD_AN_AXIS_SIZE_BAND:
    return ltvd_size_band(cu->has_employees, cu->employee_count);
  case LTVD_AN_AXIS_QUADRANT:
    return m->quadrant != LTVD_AN_NONE ? ltvd_an_quadrant_name(m->quadrant) : unknown;
  case LTVD_AN_AXIS_TIER:
    return m->tier != LTVD_AN_NONE ? ltvd_an_tier_name(m->tier) : unknown;
  default:
    return "all";
  }
}

static void axis_single(struct axis *x, const struct ltvd_an_results *res, int axis)
{
  size_t nc = res->snap->n_customers;
  struct interner t = {0};
  x->start = xmalloc((nc + 1) * sizeof *x->start);
  x->codes = xmalloc(nc * sizeof *x->codes);
  for (size_t i = 0; i < nc; i++) {
    x->start[i] = (uint32_t) i;
    x->codes[i] = intern(&t, single_value(res, axis, i));
  }
  x->start[nc] = (uint32_t) nc;
  axis_order(x, &t, nc);
}

/* The quarter number year × 4 + quarter − 1 of a day. */
static int32_t quarter_of(int32_t day)
{
  int y, m, d;
  ltvd_an_civil(day, &y, &m, &d);
  return y * 4 + (m - 1) / 3;
}

/* "YYYY-Qn" of a quarter number into out[8]. */
static void format_quarter(int32_t q, char *out)
{
  char day[11];
  ltvd_an_format_day(ltvd_an_month_first(q * 3), day);
  memcpy(out, day, 5);
  out[5] = 'Q';
  out[6] = (char) ('1' + q % 4);
  out[7] = '\0';
}

/* cohort: "YYYY-Qn" of first_purchase_date, each quarter met formatted once. */
static void axis_cohort(struct axis *x, const struct ltvd_an_results *res)
{
  size_t nc = res->snap->n_customers;
  int32_t *q = xmalloc(nc * sizeof *q), lo = INT32_MAX, hi = INT32_MIN;
  for (size_t i = 0; i < nc; i++) {
    int32_t day = res->c[i].first_purchase_day;
    q[i] = day == LTVD_AN_NO_DAY ? INT32_MIN : quarter_of(day);
    if (q[i] != INT32_MIN) {
      lo = q[i] < lo ? q[i] : lo;
      hi = q[i] > hi ? q[i] : hi;
    }
  }
  size_t span = lo <= hi ? (size_t) ((int64_t) hi - lo + 1) : 0;
  uint32_t *code = xmalloc((span + 1) * sizeof *code);
  memset(code, 0xff, (span + 1) * sizeof *code);
  x->cohorts = xmalloc(span * 8 + 1);
  struct interner t = {0};
  x->start = xmalloc((nc + 1) * sizeof *x->start);
  x->codes = xmalloc(nc * sizeof *x->codes);
  for (size_t i = 0; i < nc; i++) {
    x->start[i] = (uint32_t) i;
    if (q[i] == INT32_MIN) {
      x->codes[i] = intern(&t, unknown);
      continue;
    }
    size_t k = (size_t) (q[i] - lo);
    if (code[k] == UINT32_MAX) {
      format_quarter(q[i], x->cohorts + k * 8);
      code[k] = intern(&t, x->cohorts + k * 8);
    }
    x->codes[i] = code[k];
  }
  x->start[nc] = (uint32_t) nc;
  free(code);
  free(q);
  axis_order(x, &t, nc);
}

/* business_unit or product_family: every one ever paid in, else "unknown". */
static void axis_multi(struct axis *x, const struct ltvd_an_results *res, int axis)
{
  const struct ltvd_an_snapshot *s = res->snap;
  bool units = axis == LTVD_AN_AXIS_UNIT;
  size_t nc = s->n_customers, nv = units ? s->n_units : s->n_families;
  const uint8_t *paid = units ? res->paid_unit : res->paid_family;
  char *const *keys = units ? s->units : s->families;
  struct interner t = {0};
  uint32_t *code = xmalloc((nv + 1) * sizeof *code);
  for (size_t v = 0; v < nv; v++)
    code[v] = intern(&t, keys[v]);
  uint32_t none = intern(&t, unknown);

  size_t total = 0;
  for (size_t i = 0; i < nc * nv; i++)
    total += paid[i];
  x->start = xmalloc((nc + 1) * sizeof *x->start);
  x->codes = xmalloc((total + nc) * sizeof *x->codes);
  size_t k = 0;
  for (size_t i = 0; i < nc; i++) {
    x->start[i] = (uint32_t) k;
    for (size_t v = 0; v < nv; v++)
      if (paid[i * nv + v])
        x->codes[k++] = code[v];
    if (k == x->start[i])
      x->codes[k++] = none;
  }
  x->start[nc] = (uint32_t) k;
  free(code);
  axis_order(x, &t, k);
}

static void axis_build(struct axis *x, const struct ltvd_an_results *res, int axis)
{
  memset(x, 0, sizeof *x);
  if (axis == LTVD_AN_AXIS_UNIT || axis == LTVD_AN_AXIS_FAMILY)
    axis_multi(x, res, axis);
  else if (axis == LTVD_AN_AXIS_COHORT)
    axis_cohort(x, res);
  else
    axis_single(x, res, axis);
}

/* ---- accumulating segments ---------------------------------------------------------- */

/* The sums of 4.2 over one segment; money in integers. */
struct acc {
  uint64_t key; /* first axis code × values of the second + second axis code */
  int64_t customers, paying, active, revenue;
  int64_t purchases, amount, churned; /* basic */
  double years;
  int64_t mrr, with_mrr, events, exposures; /* subscription */
  double margin;
  int64_t clv_n;
  double clv;
};

struct accs {
  size_t n, cap; /* accumulators; slots (a power of two, at least twice n) */
  struct acc *a;
  uint32_t *slots; /* index + 1, 0 when free */
  uint32_t *dense; /* with few possible keys: key → index + 1, 0 when none; else NULL */
};

/* Below this many possible segments a direct table replaces the hash. */
#define DENSE_KEYS 65536

static uint64_t hash_key(uint64_t k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdu;
  return k ^ (k >> 33);
}

static void accs_grow(struct accs *t)
{
  size_t cap = t->cap ? t->cap * 2 : 64;
  uint32_t *slots = xcalloc(cap, sizeof *slots);
  for (size_t j = 0; j < t->n; j++) {
    size_t k = (size_t) hash_key(t->a[j].key) & (cap - 1);
    while (slots[k] != 0)
      k = (k + 1) & (cap - 1);
    slots[k] = (uint32_t) j + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  t->a = realloc(t->a, cap / 2 * sizeof *t->a);
  if (t->a == NULL)
    abort();
}

static struct acc *accs_get(struct accs *t, uint64_t key)
{
  uint32_t *slot = NULL;
  if (t->dense != NULL && t->dense[key] != 0)
    return &t->a[t->dense[key] - 1];
  if (2 * (t->n + 1) > t->cap)
    accs_grow(t);
  if (t->dense != NULL) {
    slot = &t->dense[key];
  } else {
    size_t k = (size_t) hash_key(key) & (t->cap - 1);
    for (; t->slots[k] != 0; k = (k + 1) & (t->cap - 1))
      if (t->a[t->slots[k] - 1].key == key)
        return &t->a[t->slots[k] - 1];
    slot = &t->slots[k];
  }
  *slot = (uint32_t) t->n + 1;
  struct acc *a = &t->a[t->n++];
  memset(a, 0, sizeof *a);
  a->key = key;
  return a;
}

static void acc_add(struct acc *a, const struct ltvd_an_cmetrics *m)
{
  a->customers++;
  if (!m->paying)
    return;
  a->paying++;
  a->active += m->active;
  a->revenue += m->revenue_to_date;
  a->purchases += m->n_purchases;
  a->amount += m->purchase_amount;
  a->churned += m->churned;
  a->years += m->observed_years;
  if (m->mrr_m > 0) {
    a->mrr += m->mrr_m;
    a->with_mrr++;
    a->margin += m->mrr_m_margin;
  }
  a->events += m->churn_events;
  a->exposures += m->churn_exposures;
  if (!isnan(m->predicted_clv)) {
    a->clv += m->predicted_clv;
    a->clv_n++;
  }
}

static int cmp_acc(const void *x, const void *y)
{
  uint64_t a = ((const struct acc *) x)->key, b = ((const struct acc *) y)->key;
  return (a > b) - (a < b);
}

/* ---- rows ------------------------------------------------------------------------- */

static json_t *basic_json(const struct acc *a, int max_lifespan_months)
{
  if (a->purchases == 0)
    return json_null();
  double aov = (double) a->amount / (double) a->purchases;
  double per_year = (double) a->purchases / a->years;
  double cap = (double) max_lifespan_months / 12;
  double raw = a->churned > 0 ? a->years / (double) a->churned : INFINITY;
  double lifespan = raw < cap ? raw : cap;
  return json_pack("{s:o, s:o, s:o, s:b, s:o}", "aov", real_or_null(aov), "purchases_per_year",
                   real_or_null(per_year), "lifespan_years", real_or_null(lifespan),
                   "lifespan_capped", raw > cap, "ltv", real_or_null(aov * per_year * lifespan));
}

static json_t *subscription_json(const struct acc *a, int max_lifespan_months)
{
  if (a->with_mrr == 0)
    return json_null();
  double arpa = (double) a->mrr / (double) a->with_mrr;
  double margin = a->mrr != 0 ? a->margin / (double) a->mrr : NAN;
  double churn = a->exposures > 0 ? (double) a->events / (double) a->exposures : 0;
  double raw = churn != 0 ? 1 / churn : INFINITY;
  double cap = (double) max_lifespan_months;
  double lifespan = raw < cap ? raw : cap;
  return json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "arpa", real_or_null(arpa), "gross_margin",
                   real_or_null(margin), "monthly_churn", real_or_null(churn), "lifespan_months",
                   real_or_null(lifespan), "lifespan_capped", raw > cap, "ltv",
                   real_or_null(arpa * margin * lifespan));
}

static json_t *row_json(const struct acc *a, json_t *segment, int max_lifespan_months)
{
  json_t *cohort = a->paying > 0 ? json_pack("{s:f}", "revenue_per_customer",
                                             (double) a->revenue / (double) a->paying)
                                 : json_null();
  return json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "segment", segment, "customers",
                   (json_int_t) a->customers, "paying_customers", (json_int_t) a->paying,
                   "active_customers", (json_int_t) a->active, "revenue_to_date",
                   (json_int_t) a->revenue, "basic", basic_json(a, max_lifespan_months),
                   "subscription", subscription_json(a, max_lifespan_months), "cohort", cohort,
                   "predicted_clv",
                   a->clv_n > 0 ? real_or_null(a->clv / (double) a->clv_n) : json_null());
}

static void fold(struct accs *t, const struct ltvd_an_results *res, const struct axis *x,
                 const struct axis *y)
{
  uint64_t ny = y != NULL ? y->n : 1;
  for (size_t i = 0; i < res->snap->n_customers; i++)
    for (uint32_t j = x->start[i]; j < x->start[i + 1]; j++) {
      if (y == NULL) {
        acc_add(accs_get(t, x->codes[j]), &res->c[i]);
        continue;
      }
      for (uint32_t k = y->start[i]; k < y->start[i + 1]; k++)
        acc_add(accs_get(t, x->codes[j] * ny + y->codes[k]), &res->c[i]);
    }
}

json_t *ltvd_an_ltv_rows(const struct ltvd_an_results *res, int a, int b)
{
  json_t *rows = json_array();
  if (a < 0 || a >= LTVD_AN_AXES || b >= LTVD_AN_AXES)
    return rows;
  struct axis x, y;
  struct accs t = {0};
  axis_build(&x, res, a);
  if (b >= 0)
    axis_build(&y, res, b);
  uint64_t ny = b >= 0 ? y.n : 1;
  if (x.n * ny <= DENSE_KEYS)
    t.dense = xcalloc(x.n * ny, sizeof *t.dense);
  fold(&t, res, &x, b >= 0 ? &y : NULL);
  if (t.n > 0)
    ltvd_qsort(t.a, t.n, sizeof *t.a, cmp_acc);
  for (size_t r = 0; r < t.n; r++) {
    json_t *segment = json_object();
    json_object_set_new(segment, ltvd_an_axis_name(a), json_string(x.names[t.a[r].key / ny]));
    if (b >= 0)
      json_object_set_new(segment, ltvd_an_axis_name(b), json_string(y.names[t.a[r].key % ny]));
    json_array_append_new(rows,
                          row_json(&t.a[r], segment, res->snap->settings.max_lifespan_months));
  }
  free(t.a);
  free(t.slots);
  free(t.dense);
  axis_free(&x);
  if (b >= 0)
    axis_free(&y);
  return rows;
}

/* ---- tiers, quadrants ------------------------------------------------------------- */

static json_t *share_or_null(int64_t part, int64_t total)
{
  return total != 0 ? json_real((double) part / (double) total) : json_null();
}

json_t *ltvd_an_tiers_doc(const struct ltvd_an_results *res)
{
  int64_t count[4] = {0}, revenue[4] = {0}, total = 0, top[3] = {0};
  static const size_t top_n[3] = {1, 5, 10};
  for (size_t j = 0; j < res->n_paying; j++) {
    const struct ltvd_an_cmetrics *m = &res->c[res->tier_order[j]];
    count[m->tier]++;
    revenue[m->tier] += m->revenue_to_date;
    total += m->revenue_to_date;
    for (int k = 0; k < 3; k++)
      if (j < top_n[k])
        top[k] += m->revenue_to_date;
  }
  json_t *tiers = json_array();
  for (int t = 0; t < 4; t++)
    json_array_append_new(tiers, json_pack("{s:s, s:I, s:I, s:o}", "tier", ltvd_an_tier_name(t),
                                           "customers", (json_int_t) count[t], "revenue_to_date",
                                           (json_int_t) revenue[t], "revenue_share",
                                           share_or_null(revenue[t], total)));
  return json_pack("{s:o, s:{s:o, s:o, s:o}}", "tiers", tiers, "concentration", "top1",
                   share_or_null(top[0], total), "top5", share_or_null(top[1], total), "top10",
                   share_or_null(top[2], total));
}

json_t *ltvd_an_quadrants_doc(const struct ltvd_an_results *res)
{
  int64_t count[4] = {0}, revenue[4] = {0};
  for (size_t j = 0; j < res->n_paying; j++) {
    const struct ltvd_an_cmetrics *m = &res->c[res->tier_order[j]];
    count[m->quadrant]++;
    revenue[m->quadrant] += m->revenue_to_date;
  }
  json_t *quadrants = json_array();
  for (int q = 0; q < 4; q++)
    json_array_append_new(
        quadrants, json_pack("{s:s, s:s, s:I, s:I}", "quadrant", ltvd_an_quadrant_name(q), "label",
                             ltvd_an_quadrant_label(q), "customers", (json_int_t) count[q],
                             "revenue_to_date", (json_int_t) revenue[q]));
  bool any = res->n_paying > 0;
  return json_pack("{s:{s:o, s:o}, s:o}", "thresholds", "value",
                   any ? real_or_null(res->value_threshold) : json_null(), "potential",
                   any ? real_or_null(res->potential_threshold) : json_null(), "quadrants",
                   quadrants);
}

/* ---- a customer's metrics ----------------------------------------------------------- */

static json_t *name_or_null(const char *name)
{
  return name != NULL ? json_string(name) : json_null();
}

json_t *ltvd_an_customer_metrics(const struct ltvd_an_results *res, size_t i)
{
  const struct ltvd_an_snapshot *s = res->snap;
  const struct ltvd_an_cmetrics *m = &res->c[i];
  char day[11] = "";
  if (m->first_purchase_day != LTVD_AN_NO_DAY)
    ltvd_an_format_day(m->first_purchase_day, day);
  json_t *first = day[0] ? json_string(day) : json_null();
  json_t *phases = json_object();
  for (size_t u = 0; u < s->n_units; u++)
    json_object_set_new(phases, s->units[u],
                        name_or_null(ltvd_an_phase_name(res->phase_unit[i * s->n_units + u])));
  json_t *held = json_object();
  for (size_t f = 0; f < s->n_families; f++)
    if (res->held[i * s->n_families + f] > 0)
      json_object_set_new(held, s->families[f], json_integer(res->held[i * s->n_families + f]));
  json_t *components =
      m->paying ? json_pack("{s:o, s:o, s:o, s:o}", "size", real_or_null(m->c_size), "whitespace",
                            real_or_null(m->c_whitespace), "engagement",
                            real_or_null(m->c_engagement), "usage", real_or_null(m->c_usage))
                : json_null();
  return json_pack(
      "{s:I, s:o, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
      "revenue_to_date", (json_int_t) m->revenue_to_date, "first_purchase_date", first, "paying",
      m->paying, "active", m->active, "phase", name_or_null(ltvd_an_phase_name(m->phase)), "phases",
      phases, "tier", name_or_null(ltvd_an_tier_name(m->tier)), "quadrant",
      name_or_null(ltvd_an_quadrant_name(m->quadrant)), "potential", real_or_null(m->potential),
      "potential_components", components, "held_families", held, "nps",
      m->has_nps ? json_integer(m->nps) : json_null(), "expected_purchases_12m",
      real_or_null(m->expected_purchases_12m), "p_alive", real_or_null(m->p_alive),
      "expected_spend", real_or_null(m->expected_spend), "predicted_clv",
      real_or_null(m->predicted_clv));
}
