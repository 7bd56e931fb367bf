/* The demo company of `ltvd demo`: three business units, twelve products in five
 * families, 300 customers and two years of their history up to today — deals in the
 * four default pipelines with their stage history, the MRR ledger month by month, and
 * engagement signals.  Everything comes from fixed pseudo-random sequences and from
 * today's date alone, so the same day always gives the same company.
 *
 * The customers are prospects, one-time buyers (consulting workshops, live training,
 * projects without a product) and subscribers.  A subscriber is simulated month by
 * month from the month after its first deal closed: it may upgrade a tier (upsell),
 * add a family (cross-sell), add or drop seats, downgrade, cancel (churn) and, after
 * a pause, come back (reactivation); each of these that a salesperson would book is a
 * won or lost deal closed in the month before it takes effect, and the contract is
 * renewed every twelve months in the renewal pipeline. */
#include "demo.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_CUSTOMERS 300
#define DAY 86400LL

/* Array literals ------------------------------------------------------------------- */

static void col_put(struct demo_col *c, const char *s, size_t n)
{
  if (c->len + n + 2 > c->cap) {
    size_t cap = c->cap ? c->cap : 4096;
    while (c->len + n + 2 > cap)
      cap *= 2;
    char *p = realloc(c->p, cap);
    if (p == NULL)
      abort();
    c->p = p;
    c->cap = cap;
  }
  memcpy(c->p + c->len, s, n);
  c->len += n;
  c->p[c->len] = '\0';
}

static void col_sep(struct demo_col *c) { col_put(c, c->len ? "," : "{", 1); }

/* A text element, quoted ("" and \ escaped); NULL for SQL NULL. */
static void put_text(struct demo_table *t, int col, const char *s)
{
  struct demo_col *c = &t->cols[col];

  col_sep(c);
  if (s == NULL) {
    col_put(c, "NULL", 4);
    return;
  }
  col_put(c, "\"", 1);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      col_put(c, "\\", 1);
    col_put(c, s, 1);
  }
  col_put(c, "\"", 1);
}

static void put_fmt(struct demo_table *t, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put_fmt(struct demo_table *t, int col, const char *fmt, ...)
{
  char buf[256];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  put_text(t, col, buf);
}

static void put_int(struct demo_table *t, int col, long long v)
{
  put_fmt(t, col, "%lld", v);
}

static void row_done(struct demo_table *t) { t->rows++; }

const char *demo_col_text(struct demo_col *c)
{
  if (c->len == 0)
    col_put(c, "{", 1);
  if (c->p[c->len - 1] != '}') /* an element never ends with } */
    col_put(c, "}", 1);
  return c->p;
}

void demo_free(struct demo_data *d)
{
  struct demo_table *tables[] = {&d->units, &d->products, &d->customers, &d->deals,
                                 &d->history, &d->mrr, &d->signals};
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
    for (int k = 0; k < DEMO_MAX_COLS; k++)
      free(tables[i]->cols[k].p);
  memset(d, 0, sizeof *d);
}

/* Dates: days since 1970-01-01, months as year * 12 + month - 1 -------------------- */

static long days_from_civil(int y, int m, int d)
{
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  *d = (int) (doy - (153 * mp + 2) / 5 + 1);
  *m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *y = (int) (yoe + era * 400 + (*m <= 2));
}

static int month_of(long day)
{
  int y, m, d;
  civil_from_days(day, &y, &m, &d);
  return y * 12 + m - 1;
}

static long month_first(int mi) { return days_from_civil(mi / 12, mi % 12 + 1, 1); }
static long month_last(int mi) { return month_first(mi + 1) - 1; }

static void put_date(struct demo_table *t, int col, long day)
{
  int y, m, d;
  civil_from_days(day, &y, &m, &d);
  put_fmt(t, col, "%04d-%02d-%02d", y, m, d);
}

static void put_ts(struct demo_table *t, int col, long long secs)
{
  int y, m, d;
  long day = (long) (secs / DAY);
  long s = (long) (secs % DAY);
  civil_from_days(day, &y, &m, &d);
  put_fmt(t, col, "%04d-%02d-%02d %02ld:%02ld:%02ld+00", y, m, d, s / 3600, s / 60 % 60,
          s % 60);
}

/* Pseudo-random numbers: splitmix64, one stream per customer ------------------------- */

static uint64_t next64(uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static long rnd(uint64_t *s, long n) { return n <= 0 ? 0 : (long) (next64(s) % (uint64_t) n); }
static double rndf(uint64_t *s) { return (double) (next64(s) >> 11) / 9007199254740992.0; }
static bool chance(uint64_t *s, double p) { return rndf(s) < p; }
/* A time of day in working hours, in seconds. */
static long long office(uint64_t *s) { return 8 * 3600 + rnd(s, 10 * 3600); }

/* The catalogue ---------------------------------------------------------------------- */

enum { F_ANALYTICS, F_CRM, F_SUPPORT, F_CONSULTING, F_TRAINING, N_FAMILIES };
static const char *const family_names[] = {"analytics", "crm", "support", "consulting",
                                           "training"};

static const struct unit {
  const char *key, *name;
} units[] = {
    {"software", "Software"},
    {"services", "Professional services"},
    {"academy", "Academy"},
};

static const struct product {
  const char *key, *name, *unit;
  int family, tier;
  long long price;  /* minor units a month (one-time products: the list price) */
  double margin;    /* < 0: null, the default_gross_margin setting applies */
  bool recurring;   /* sold as a subscription (MRR lines) or as one-time purchases */
} products[] = {
    {"analytics_starter", "Analytics Starter", "software", F_ANALYTICS, 1, 49900, 0.86, true},
    {"analytics_pro", "Analytics Pro", "software", F_ANALYTICS, 2, 129900, 0.88, true},
    {"analytics_enterprise", "Analytics Enterprise", "software", F_ANALYTICS, 3, 349900, -1, true},
    {"crm_basic", "CRM Basic", "software", F_CRM, 1, 29900, 0.82, true},
    {"crm_plus", "CRM Plus", "software", F_CRM, 2, 79900, -1, true},
    {"crm_premium", "CRM Premium", "software", F_CRM, 3, 189900, 0.9, true},
    {"support_standard", "Support Standard", "services", F_SUPPORT, 1, 19900, 0.55, true},
    {"support_premium", "Support Premium", "services", F_SUPPORT, 2, 59900, -1, true},
    {"consulting_workshop", "Consulting workshop", "services", F_CONSULTING, 1, 450000, 0.35, false},
    {"consulting_retainer", "Consulting retainer", "services", F_CONSULTING, 2, 900000, 0.4, true},
    {"training_online", "Online training", "academy", F_TRAINING, 1, 9900, -1, true},
    {"training_live", "Live training course", "academy", F_TRAINING, 2, 120000, 0.7, false},
};
#define N_PRODUCTS ((int) (sizeof products / sizeof *products))

/* The recurring product of a family at a tier, or -1. */
static int recurring_product(int family, int tier)
{
  for (int i = 0; i < N_PRODUCTS; i++)
    if (products[i].family == family && products[i].tier == tier && products[i].recurring)
      return i;
  return -1;
}

/* The lowest recurring tier of a family. */
static int entry_tier(int family)
{
  for (int tier = 1; tier <= 3; tier++)
    if (recurring_product(family, tier) >= 0)
      return tier;
  return 0;
}

/* Pipelines (the four seeded by migration 0001) ------------------------------------- */

enum { PL_NEW, PL_UPSELL, PL_CROSS, PL_RENEWAL };
enum outcome { OPEN, WON, LOST };

static const struct pipeline {
  const char *key;
  const char *open[4];
  int n_open;
  const char *won, *lost;
} pipelines[] = {
    {"new_business", {"lead", "qualified", "proposal", "negotiation"}, 4, "won", "lost"},
    {"upsell", {"opportunity_recognised", "needs_confirmed", "proposal", "negotiation"}, 4, "won", "lost"},
    {"cross_sell", {"opportunity_recognised", "needs_confirmed", "proposal", "negotiation"}, 4, "won", "lost"},
    {"renewal", {"preparation", "terms_presented", "agreed"}, 3, "signed", "lost"},
};

/* The generator's state -------------------------------------------------------------- */

struct gen {
  struct demo_data *d;
  long today;          /* T, as a day number */
  long long midnight;  /* T 00:00 UTC in seconds: every timestamp lies before it */
  int month;           /* M, the month of T */
  long window;         /* the first day of the two years of history */
  int deals, signals;  /* counters for external ids */
  int open_turn[4];    /* round robin over open stages, so that every stage holds deals */
  const char *ext;     /* the current customer's external id */
  uint64_t *rng;       /* the current customer's stream */
};

static void signal(struct gen *g, const char *ext, const char *type, long long at, double value,
                   const char *product)
{
  struct demo_table *t = &g->d->signals;

  if (at >= g->midnight)
    return;
  put_text(t, S_CUSTOMER, ext);
  put_text(t, S_TYPE, type);
  put_ts(t, S_OCCURRED, at);
  if (isnan(value))
    put_text(t, S_VALUE, NULL);
  else
    put_fmt(t, S_VALUE, "%.3f", value);
  put_text(t, S_PRODUCT, product);
  put_fmt(t, S_EVENT, "demo-s%06d", ++g->signals);
  long long ingested = at + 30 + at % 577; /* a little later, still before today */
  put_ts(t, S_CREATED, ingested < g->midnight ? ingested : g->midnight - 1);
  row_done(t);
}

static void history(struct gen *g, const char *deal, const char *pipeline, const char *stage,
                    long long at)
{
  struct demo_table *t = &g->d->history;

  put_text(t, H_DEAL, deal);
  put_text(t, H_PIPELINE, pipeline);
  put_text(t, H_STAGE, stage);
  put_ts(t, H_ENTERED, at);
  row_done(t);
}

struct deal {
  int pipeline;
  enum outcome outcome;
  int reached;          /* closed: the last open stage passed (-1: the first); open: the
                           current stage (-1: the next in the round robin) */
  int product;          /* -1: none */
  bool recurring;
  long long amount, mrr; /* mrr < 0: null */
  long day;             /* closed: closed_at; open: created day */
  int cycle;            /* closed: days from creation to closing */
  long expected;        /* expected close date, 0: none */
  long contract_end;    /* 0: none */
};

/* Writes a deal and its stage history; returns its creation time. */
static long long deal(struct gen *g, const struct deal *x)
{
  const struct pipeline *p = &pipelines[x->pipeline];
  struct demo_table *t = &g->d->deals;
  uint64_t *r = g->rng;
  char ext[24];
  long long t0, tend;
  int reached = x->reached;

  snprintf(ext, sizeof ext, "demo-d%05d", ++g->deals);
  if (x->outcome == OPEN) {
    if (reached < 0)
      reached = g->open_turn[x->pipeline]++ % p->n_open;
    t0 = x->day * DAY + office(r);
    if (t0 >= g->midnight)
      t0 = g->midnight - 4 * 3600;
    tend = t0 + (long long) ((double) (g->midnight - 1 - t0) * (0.3 + 0.65 * rndf(r)));
  } else {
    if (reached < 0)
      reached = x->outcome == WON ? p->n_open - 1 : (int) rnd(r, p->n_open);
    t0 = (x->day - x->cycle) * DAY + office(r);
    tend = x->day * DAY + office(r);
    if (tend <= t0)
      tend = t0 + 1800;
  }

  /* History: the open stages up to `reached`, then the closing stage, spread evenly. */
  int n = reached + 1 + (x->outcome != OPEN);
  long long at = t0;
  for (int k = 0; k < n; k++) {
    at = n == 1 ? t0 : t0 + (tend - t0) * k / (n - 1);
    const char *stage = k <= reached ? p->open[k] : x->outcome == WON ? p->won : p->lost;
    history(g, ext, p->key, stage, at);
  }

  put_text(t, D_EXT, ext);
  put_text(t, D_CUSTOMER, g->ext);
  put_text(t, D_PIPELINE, p->key);
  put_text(t, D_STAGE,
           x->outcome == OPEN ? p->open[reached] : x->outcome == WON ? p->won : p->lost);
  put_text(t, D_PRODUCT, x->product >= 0 ? products[x->product].key : NULL);
  put_text(t, D_TYPE, x->recurring ? "recurring" : "one_time");
  put_int(t, D_AMOUNT, x->amount);
  if (x->mrr >= 0)
    put_int(t, D_MRR, x->mrr);
  else
    put_text(t, D_MRR, NULL);
  if (x->expected)
    put_date(t, D_EXPECTED, x->expected);
  else
    put_text(t, D_EXPECTED, NULL);
  if (x->outcome != OPEN)
    put_date(t, D_CLOSED, x->day);
  else
    put_text(t, D_CLOSED, NULL);
  if (x->contract_end)
    put_date(t, D_CONTRACT_END, x->contract_end);
  else
    put_text(t, D_CONTRACT_END, NULL);
  put_ts(t, D_CREATED, t0);
  put_ts(t, D_UPDATED, at);
  row_done(t);

  /* The conversations around it. */
  signal(g, g->ext, "call", t0 + DAY + rnd(r, 2 * DAY), NAN, NULL);
  if (chance(r, 0.6))
    signal(g, g->ext, "meeting", t0 + (at - t0) / 2 + rnd(r, 3600), NAN, NULL);
  return t0;
}

/* A deal closed in the month before month m (which it takes effect in). */
static void closed_before(struct gen *g, struct deal *x, int m, int min_cycle, int spread)
{
  long first = month_first(m - 1);
  x->day = first + 1 + rnd(g->rng, 25);
  if (x->day >= g->today)
    x->day = g->today - 1;
  x->cycle = min_cycle + (int) rnd(g->rng, spread);
  x->expected = x->day + rnd(g->rng, 15) - 7;
}

/* Customers -------------------------------------------------------------------------- */

static const char *const prefixes[] = {"Acme", "Globex", "Initech", "Umbrella", "Stark",
                                       "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Hooli",
                                       "Vandelay", "Wonka", "Gringotts", "Oscorp", "Aperture"};
static const char *const suffixes[] = {"Analytics", "Logistics", "Health", "Foods",
                                       "Robotics", "Capital", "Learning", "Energy",
                                       "Retail", "Labs"};
static const char *const industries[] = {"software", "manufacturing", "healthcare", "finance",
                                         "retail", "logistics", "education"};
static const char *const channels[] = {"inbound", "outbound", "partner", "referral", "event"};
static const char *const countries[] = {"US", "DE", "GB", "FR", "NL", "SE", "JP", "BR"};

#define PICK(arr, x) (arr)[(x) % (sizeof(arr) / sizeof *(arr))]

/* The attributes of the original demo (a fixed linear congruential sequence), with a
 * few industries and channels left unknown. */
static void customer_row(struct gen *g, int i, unsigned long r, long long created)
{
  static const int sizes[] = {4, 25, 120, 600, 3500};
  struct demo_table *t = &g->d->customers;
  int band = (int) (r % 5);

  put_text(t, C_EXT, g->ext);
  put_fmt(t, C_NAME, "%s %s %d", PICK(prefixes, r >> 3), PICK(suffixes, r >> 7), i);
  put_text(t, C_INDUSTRY, i % 41 == 0 ? NULL : PICK(industries, r >> 11));
  if (i % 17 == 0)
    put_text(t, C_EMPLOYEES, NULL);
  else
    put_int(t, C_EMPLOYEES, sizes[band] + (int) ((r >> 14) % (unsigned long) (sizes[band] / 2 + 1)));
  put_int(t, C_REVENUE, (long long) ((r >> 20) % 5000 + 10) * 100000000);
  put_text(t, C_CHANNEL, i % 37 == 0 ? NULL : PICK(channels, r >> 17));
  put_text(t, C_COUNTRY, PICK(countries, r >> 23));
  put_text(t, C_PROPS, "{\"source\": \"demo\"}");
  put_ts(t, C_CREATED, created);
  row_done(t);
}

/* Marketing touches from `from` to today, about `per_month` a month. */
static void marketing(struct gen *g, long from, double per_month)
{
  static const char *const types[] = {"email_open", "email_open", "email_open", "email_open",
                                      "email_open", "email_click", "email_click",
                                      "web_visit", "web_visit", "web_visit"};
  long days = g->today - from;
  long n = (long) ((double) days / 30.0 * per_month + 0.5);

  for (long k = 0; k < n; k++)
    signal(g, g->ext, types[rnd(g->rng, 10)], (from + rnd(g->rng, days)) * DAY + rnd(g->rng, DAY),
           NAN, NULL);
}

static void one_time_purchases(struct gen *g, long from, int max, double repeat)
{
  uint64_t *r = g->rng;
  long day = from;
  int bought_family = -1;

  for (int k = 0; k < max; k++) {
    day += k == 0 ? 10 + rnd(r, 60) : 25 + rnd(r, 200);
    if (day >= g->today)
      break;
    int pick = (int) rnd(r, 10);
    int product = pick < 4 ? 8 /* consulting_workshop */ : pick < 8 ? 11 /* training_live */ : -1;
    long long amount = product >= 0 ? products[product].price * (1 + rnd(r, 3))
                                    : (150000 + rnd(r, 2350000)) / 100 * 100;
    int family = product >= 0 ? products[product].family : -1;
    struct deal x = {k == 0                   ? PL_NEW
                     : family == bought_family ? PL_UPSELL
                     : family >= 0            ? PL_CROSS
                                              : PL_NEW,
                     WON, -1, product, false, amount, -1, day, 7 + (int) rnd(r, 50),
                     day + rnd(r, 21) - 10, 0};
    deal(g, &x);
    if (family >= 0)
      bought_family = family;
    if (chance(r, 0.25)) { /* the next offer was turned down */
      long lost = day + 20 + rnd(r, 90);
      if (lost < g->today) {
        struct deal y = {PL_CROSS, LOST, -1, chance(r, 0.5) ? 8 : 11, false,
                         products[11].price * 2, -1, lost, 10 + (int) rnd(r, 40), lost, 0};
        deal(g, &y);
      }
    }
    if (!chance(r, repeat))
      break;
  }
}

/* Subscribers ------------------------------------------------------------------------- */

struct holding {
  int tier, qty; /* tier 0: not held */
};

static long long holdings_mrr(const struct holding *h)
{
  long long sum = 0;
  for (int f = 0; f < N_FAMILIES; f++)
    if (h[f].tier)
      sum += products[recurring_product(f, h[f].tier)].price * h[f].qty;
  return sum;
}

static int n_held(const struct holding *h)
{
  int n = 0;
  for (int f = 0; f < N_FAMILIES; f++)
    n += h[f].tier > 0;
  return n;
}

/* A random family satisfying want (held and upgradable, or not held), or -1. */
static int pick_family(uint64_t *r, const struct holding *h, bool upgradable)
{
  int cand[N_FAMILIES], n = 0;
  for (int f = 0; f < N_FAMILIES; f++) {
    if (upgradable ? h[f].tier > 0 && recurring_product(f, h[f].tier + 1) >= 0
                   : h[f].tier == 0)
      cand[n++] = f;
  }
  return n ? cand[rnd(r, n)] : -1;
}

static void subscriber(struct gen *g, long close0, int cycle0, double health)
{
  uint64_t *r = g->rng;
  struct holding h[N_FAMILIES] = {{0, 0}};
  double use[N_FAMILIES];
  int s0 = month_of(close0) + 1, anchor = s0, main = chance(r, 0.55) ? F_ANALYTICS : F_CRM;
  bool active = true;
  int back_at = -1, last_nps = -1;

  h[main].tier = chance(r, 0.6) ? 1 : chance(r, 0.75) ? 2 : 3;
  h[main].qty = 1 + (int) rnd(r, 4);
  if (chance(r, 0.25))
    h[F_SUPPORT] = (struct holding){1, 1};
  if (chance(r, 0.12))
    h[F_TRAINING] = (struct holding){1, 1 + (int) rnd(r, 5)};
  for (int f = 0; f < N_FAMILIES; f++)
    use[f] = 0.25 + 0.5 * rndf(r);

  long long mrr0 = holdings_mrr(h);
  struct deal first = {PL_NEW, WON, -1, recurring_product(main, h[main].tier), true, 12 * mrr0,
                       mrr0, close0, cycle0, close0 + rnd(r, 21) - 10, month_last(s0 + 11)};
  deal(g, &first);

  for (int m = s0; m <= g->month; m++) {
    long long before = holdings_mrr(h);
    bool changed_tier = false;

    if (!active) {
      if (m != back_at)
        continue;
      /* Reactivation: a win-back deal, the main family at its entry tier. */
      memset(h, 0, sizeof h);
      h[main] = (struct holding){1, 1};
      active = true;
      anchor = m;
      struct deal x = {PL_NEW, WON, -1, recurring_product(main, 1), true,
                       12 * holdings_mrr(h), holdings_mrr(h), 0, 0, 0, month_last(m + 11)};
      closed_before(g, &x, m, 10, 40);
      deal(g, &x);
    } else if (m > anchor) {
      double x = rndf(r);
      bool anniversary = (m - anchor) % 12 == 0;
      double p_churn = anniversary ? 0.06 + 0.3 * (1 - health) : 0.003 + 0.02 * (1 - health);
      int f;

      if (m - anchor >= 3 && x < p_churn) {
        /* Churn: the renewal (or a plea to stay) was lost; all lines end. */
        struct deal y = {PL_RENEWAL, LOST, -1, recurring_product(main, h[main].tier),
                         true, 12 * before, before, 0, 0, 0, 0};
        closed_before(g, &y, m, 20, 40);
        deal(g, &y);
        memset(h, 0, sizeof h);
        active = false;
        if (chance(r, 0.5))
          back_at = m + 3 + (int) rnd(r, 9);
        continue;
      }
      if (anniversary) {
        struct deal y = {PL_RENEWAL, WON, -1, recurring_product(main, h[main].tier), true, 12 * before, before, 0, 0, 0,
                         month_last(m + 11)};
        closed_before(g, &y, m, 25, 40);
        deal(g, &y);
      }
      x = rndf(r);
      if (x < 0.035 && (f = pick_family(r, h, true)) >= 0) {
        /* Upsell: one tier up. */
        h[f].tier++;
        changed_tier = true;
        use[f] *= 0.55;
        long long after = holdings_mrr(h);
        struct deal y = {PL_UPSELL, WON, -1, recurring_product(f, h[f].tier), true,
                         12 * (after - before), products[recurring_product(f, h[f].tier)].price * h[f].qty,
                         0, 0, 0, month_last(anchor + ((m - anchor) / 12 + 1) * 12 - 1)};
        closed_before(g, &y, m, 10, 35);
        deal(g, &y);
      } else if (x < 0.065 && (f = pick_family(r, h, false)) >= 0) {
        /* Cross-sell: a family the customer did not have. */
        h[f] = (struct holding){entry_tier(f), 1};
        use[f] = 0.2 + 0.3 * rndf(r);
        long long line = products[recurring_product(f, h[f].tier)].price;
        struct deal y = {PL_CROSS, WON, -1, recurring_product(f, h[f].tier), true, 12 * line,
                         line, 0, 0, 0, month_last(anchor + ((m - anchor) / 12 + 1) * 12 - 1)};
        closed_before(g, &y, m, 15, 45);
        deal(g, &y);
      } else if (x < 0.095) {
        /* More seats of something held. */
        int held[N_FAMILIES], n = 0;
        for (f = 0; f < N_FAMILIES; f++)
          if (h[f].tier)
            held[n++] = f;
        f = held[rnd(r, n)];
        h[f].qty++;
        use[f] *= 0.8;
      } else if (x < 0.095 + 0.03 * (1.3 - health)) {
        /* Contraction: fewer seats, else a tier down, else a family dropped. */
        int shrink = -1, down = -1, drop = -1;
        for (f = 0; f < N_FAMILIES; f++) {
          if (h[f].qty > 1 && shrink < 0)
            shrink = f;
          if (h[f].tier > 1 && recurring_product(f, h[f].tier - 1) >= 0 && down < 0)
            down = f;
          if (h[f].tier && f != main && drop < 0)
            drop = f;
        }
        if (shrink >= 0)
          h[shrink].qty--;
        else if (down >= 0)
          h[down].tier--, changed_tier = true;
        else if (drop >= 0 && n_held(h) > 1)
          h[drop] = (struct holding){0, 0};
      }
    }

    /* The month's ledger, usage and the occasional ticket and survey. */
    long first = month_first(m);
    for (int f = 0; f < N_FAMILIES; f++) {
      if (!h[f].tier)
        continue;
      int p = recurring_product(f, h[f].tier);
      struct demo_table *t = &g->d->mrr;
      put_text(t, M_CUSTOMER, g->ext);
      put_text(t, M_PRODUCT, products[p].key);
      put_date(t, M_MONTH, first);
      put_int(t, M_MRR, products[p].price * h[f].qty);
      row_done(t);
      if (f == F_SUPPORT || f == F_CONSULTING)
        continue;
      use[f] += (health - 0.45) * 0.08 + (rndf(r) - 0.5) * 0.1;
      if (changed_tier)
        use[f] = use[f] > 0.6 ? use[f] * 0.7 : use[f];
      use[f] = use[f] < 0.02 ? 0.02 : use[f] > 1.2 ? 1.2 : use[f];
      signal(g, g->ext, "usage", (first + 14 + rnd(r, 12)) * DAY + rnd(r, DAY), use[f],
             chance(r, 0.06) ? NULL : products[p].key);
    }
    if (chance(r, 0.12 + 0.3 * (1 - health)))
      signal(g, g->ext, "support_ticket", (first + rnd(r, 28)) * DAY + office(r), NAN, NULL);
    if ((m - s0) % 3 == 2) {
      int score = (int) lround(4.5 + 6 * health + (rndf(r) - 0.5) * 3);
      if (last_nps >= 0 && health < 0.35 && chance(r, 0.4))
        score = last_nps - 3; /* a sharp drop */
      score = score < 0 ? 0 : score > 10 ? 10 : score;
      last_nps = score;
      signal(g, g->ext, "nps", (first + 5 + rnd(r, 10)) * DAY + office(r), score, NULL);
    }
  }

  if (!active)
    return;

  /* Today's contract: ends at the month before the next anniversary. */
  int next = anchor + ((g->month - anchor) / 12 + 1) * 12;
  long ends = month_last(next - 1);
  if (ends - g->today <= 90 && chance(r, 0.55)) {
    long long now = holdings_mrr(h);
    struct deal x = {PL_RENEWAL, OPEN, -1, recurring_product(main, h[main].tier),
                     true, 12 * now, now, g->today - 5 - rnd(r, 40), 0, ends - rnd(r, 10), 0};
    deal(g, &x);
  }

  /* Interest in more, and the salespeople acting on it. */
  if (chance(r, 0.5)) {
    int f = pick_family(r, h, true), product;
    if (f >= 0 && chance(r, 0.6))
      product = recurring_product(f, h[f].tier + 1);
    else if ((f = pick_family(r, h, false)) >= 0)
      product = recurring_product(f, entry_tier(f));
    else
      product = -1;
    if (product >= 0) {
      for (long k = 0, n = 1 + rnd(r, 2); k < n; k++)
        signal(g, g->ext, "feature_interest", (g->today - 1 - rnd(r, 80)) * DAY + rnd(r, DAY),
               NAN, products[product].key);
      if (chance(r, 0.55)) {
        bool up = h[products[product].family].tier > 0;
        struct deal x = {up ? PL_UPSELL : PL_CROSS, OPEN, -1, product, true,
                         12 * products[product].price, products[product].price,
                         g->today - 3 - rnd(r, 70), 0, g->today + 7 + rnd(r, 110), 0};
        deal(g, &x);
      }
    }
  }
  if (chance(r, 0.3)) { /* an earlier proposal that went nowhere */
    long lost = g->today - 20 - rnd(r, 300);
    bool up = chance(r, 0.5);
    int f = pick_family(r, h, up);
    if (lost > close0 + 60 && f >= 0) {
      int product = up ? recurring_product(f, h[f].tier + 1) : recurring_product(f, entry_tier(f));
      struct deal x = {up ? PL_UPSELL : PL_CROSS, LOST, -1, product, true,
                       12 * products[product].price, products[product].price, lost,
                       15 + (int) rnd(r, 40), lost, 0};
      deal(g, &x);
    }
  }
}

/* The company ------------------------------------------------------------------------- */

static void catalogue(struct gen *g)
{
  long long ts = (g->window - 60) * DAY + 9 * 3600;

  for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
    put_text(&g->d->units, U_KEY, units[i].key);
    put_text(&g->d->units, U_NAME, units[i].name);
    put_ts(&g->d->units, U_TS, ts);
    row_done(&g->d->units);
  }
  for (int i = 0; i < N_PRODUCTS; i++) {
    struct demo_table *t = &g->d->products;
    put_text(t, P_KEY, products[i].key);
    put_text(t, P_NAME, products[i].name);
    put_text(t, P_UNIT, products[i].unit);
    put_text(t, P_FAMILY, family_names[products[i].family]);
    put_int(t, P_TIER, products[i].tier);
    put_int(t, P_PRICE, products[i].price);
    if (products[i].margin < 0)
      put_text(t, P_MARGIN, NULL);
    else
      put_fmt(t, P_MARGIN, "%.2f", products[i].margin);
    put_ts(t, P_TS, ts + i * 600);
    row_done(t);
  }
}

void demo_generate(struct demo_data *d, const char *today)
{
  struct gen g = {.d = d};
  int y, m, dd;

  memset(d, 0, sizeof *d);
  d->units.ncols = U_NCOLS;
  d->products.ncols = P_NCOLS;
  d->customers.ncols = C_NCOLS;
  d->deals.ncols = D_NCOLS;
  d->history.ncols = H_NCOLS;
  d->mrr.ncols = M_NCOLS;
  d->signals.ncols = S_NCOLS;

  sscanf(today, "%d-%d-%d", &y, &m, &dd);
  g.today = days_from_civil(y, m, dd);
  g.midnight = g.today * DAY;
  g.month = month_of(g.today);
  g.window = month_first(g.month - 24);
  catalogue(&g);

  unsigned long lcg = 20261123;
  for (int i = 1; i <= DEMO_CUSTOMERS; i++) {
    char ext[16];
    uint64_t r = 0xD3A0ULL * 1000003ULL + (uint64_t) i * 0x9E3779B97F4A7C15ULL;
    lcg = lcg * 6364136223846793005UL + 1442695040888963407UL;

    snprintf(ext, sizeof ext, "demo-%04d", i);
    g.ext = ext;
    g.rng = &r;
    double health = rndf(&r);
    int kind = (int) rnd(&r, 100);
    long span = g.today - 1 - g.window;
    long since;

    if (kind >= 40) {
      /* A subscriber: its first deal closes within the two years; one closing this
       * month has not started yet and stays an open deal. */
      long close0 = g.window + rnd(&r, span);
      int cycle = 20 + (int) rnd(&r, 60);
      since = close0 - cycle - rnd(&r, 45);
      customer_row(&g, i, lcg >> 33, since * DAY + office(&r));
      if (month_of(close0) < g.month) {
        subscriber(&g, close0, cycle, health);
        if (chance(&r, 0.2))
          one_time_purchases(&g, close0 + 30, 3, 0.5);
      } else {
        int product = recurring_product(chance(&r, 0.5) ? F_ANALYTICS : F_CRM, 1);
        struct deal x = {PL_NEW, OPEN, -1, product, true, 12 * products[product].price,
                         products[product].price, close0 - cycle > since ? close0 - cycle : since,
                         0, g.today + 5 + rnd(&r, 60), 0};
        if (x.day >= g.today)
          x.day = g.today - 1;
        deal(&g, &x);
      }
    } else if (kind >= 20) {
      /* A buyer of workshops, courses and projects. */
      since = g.window + rnd(&r, span - 30);
      customer_row(&g, i, lcg >> 33, since * DAY + office(&r));
      one_time_purchases(&g, since, 6, 0.3 + 0.6 * health);
      if (chance(&r, 0.3)) {
        int score = (int) lround(3 + 7 * health);
        signal(&g, ext, "nps", (g.today - 1 - rnd(&r, 300)) * DAY + office(&r),
               score > 10 ? 10 : score, NULL);
      }
    } else {
      /* A prospect: talks, maybe a deal in the pipeline, maybe one lost. */
      since = g.window + rnd(&r, span - 5);
      customer_row(&g, i, lcg >> 33, since * DAY + office(&r));
      int product = chance(&r, 0.3) ? -1 : (int) rnd(&r, N_PRODUCTS);
      bool recurring = product >= 0 && products[product].recurring;
      long long price = product >= 0 ? products[product].price : 800000;
      if (chance(&r, 0.6)) {
        long created = since + rnd(&r, g.today - since);
        struct deal x = {PL_NEW, OPEN, -1, product, recurring, recurring ? 12 * price : price,
                         recurring ? price : -1, created, 0, g.today + 3 + rnd(&r, 120), 0};
        deal(&g, &x);
      }
      if (chance(&r, 0.35)) {
        long lost = since + 20 + rnd(&r, 200);
        if (lost < g.today) {
          struct deal x = {PL_NEW, LOST, -1, product, recurring, recurring ? 12 * price : price,
                           recurring ? price : -1, lost, 10 + (int) rnd(&r, 19), lost, 0};
          deal(&g, &x);
        }
      }
      if (chance(&r, 0.25))
        signal(&g, ext, "feature_interest", (since + rnd(&r, g.today - since)) * DAY + office(&r),
               NAN, products[rnd(&r, N_PRODUCTS)].key);
    }
    marketing(&g, since, 0.4 + 2.6 * health);
  }

  /* Events for contacts the CRM does not know yet: kept unmatched. */
  uint64_t r = 77;
  static const char *const strangers[] = {"lead-9001", "lead-9002", "lead-9003"};
  static const char *const types[] = {"web_visit", "email_open", "feature_interest",
                                      "web_visit", "email_click"};
  for (int k = 0; k < 5; k++)
    signal(&g, strangers[k % 3], types[k], (g.today - 1 - rnd(&r, 40)) * DAY + rnd(&r, DAY),
           NAN, k == 2 ? "analytics_pro" : NULL);
}
