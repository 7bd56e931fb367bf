/* The analytics of SPEC section 4, as pure computations over one consistent snapshot of
 * the data: the worker (src/analytics/worker.c) loads a snapshot (src/db/analytics.c),
 * runs ltvd_an_compute, renders the documents the analytics endpoints serve and
 * publishes them in one transaction. Nothing here does I/O.
 *
 * Conventions of every structure below:
 * - days are int32 days since 1970-01-01 (UTC dates), LTVD_AN_NO_DAY when absent;
 * - months are int32 month numbers year * 12 + (month - 1) (2026-11 is 2026*12+10);
 * - money is int64 minor units; shares and averages are doubles;
 * - customers, units, families, products and pipelines are referred to by their index
 *   in the snapshot's arrays, LTVD_AN_NONE when absent;
 * - text compares byte by byte (strcmp), as SPEC section 4.2 orders segments. */
#ifndef LTVD_ANALYTICS_H
#define LTVD_ANALYTICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LTVD_AN_NONE (-1)
#define LTVD_AN_NO_DAY INT32_MIN

/* ---- dates ---------------------------------------------------------------------- */

/* Days since 1970-01-01 of a civil date, and back. */
int32_t ltvd_an_day(int year, int month, int day);
void ltvd_an_civil(int32_t day, int *year, int *month, int *dom);
/* "YYYY-MM-DD" (exactly) to a day; false when not a valid date. */
bool ltvd_an_parse_day(const char *s, int32_t *day);
/* The month number of a day, the first and last day of a month number. */
int32_t ltvd_an_month_of(int32_t day);
int32_t ltvd_an_month_first(int32_t month);
int32_t ltvd_an_month_last(int32_t month);
/* "YYYY-MM-DD" into out[11]; "YYYY-MM" into out[8]. */
void ltvd_an_format_day(int32_t day, char out[11]);
void ltvd_an_format_month(int32_t month, char out[8]);

/* ---- the snapshot ---------------------------------------------------------------- */

/* The settings of SPEC section 4 with their defaults applied. */
struct ltvd_an_settings {
  int dormant_after_days;
  int loyal_threshold;
  double quadrant_percentile; /* 0..100 */
  int max_lifespan_months;
  int nps_detractor_max;
  double upsell_usage_threshold;
  double cross_sell_min_confidence;
  int cross_sell_min_support;
  double default_gross_margin;
  double w_size, w_whitespace, w_engagement, w_usage;
  int clv_horizon_months;
  double clv_monthly_discount;
};

/* Fills s with the defaults of SPEC section 4. */
void ltvd_an_settings_default(struct ltvd_an_settings *s);
/* Reads the settings document (GET /v1/settings' object); missing members keep s's
 * values. */
void ltvd_an_settings_from_json(struct ltvd_an_settings *s, const json_t *doc);

struct ltvd_an_product {
  const char *key;
  int unit;             /* index into units */
  int family;           /* index into families */
  int tier;             /* >= 1 */
  int64_t monthly_price;
  double gross_margin;  /* effective: the product's, else default_gross_margin */
};

enum ltvd_an_state { LTVD_AN_OPEN, LTVD_AN_WON, LTVD_AN_LOST };
enum ltvd_an_kind { LTVD_AN_NEW_BUSINESS, LTVD_AN_UPSELL, LTVD_AN_CROSS_SELL, LTVD_AN_RENEWAL };

struct ltvd_an_stage {
  const char *key;
  int position;
  double probability;
  enum ltvd_an_state state;
};

struct ltvd_an_pipeline {
  const char *key;
  enum ltvd_an_kind kind;
  int64_t seq;                 /* creation order: lower is older */
  int n_stages;
  struct ltvd_an_stage *stages; /* by position */
};

/* A deal of a live customer, not closed after T. */
struct ltvd_an_deal {
  int64_t id;
  int32_t customer;             /* index into customers */
  int pipeline;                 /* index into pipelines */
  int stage;                    /* index into that pipeline's stages */
  int product;                  /* LTVD_AN_NONE when the deal names none */
  bool recurring;               /* revenue_type */
  int64_t amount;
  int32_t created_day;          /* UTC date of created_at */
  int32_t closed_day;           /* LTVD_AN_NO_DAY while open */
  int32_t expected_close_day;   /* LTVD_AN_NO_DAY when none */
  int32_t contract_end_day;     /* LTVD_AN_NO_DAY when none */
  size_t hist0, n_hist;         /* its stage history in snapshot.history */
};

/* One stage history entry, oldest first within a deal (entered_at, then id). */
struct ltvd_an_history {
  int stage;                    /* index into the deal's pipeline's stages */
  double entered_at;            /* days since 1970-01-01, fractional (UTC) */
};

/* A purchase (SPEC 4.1): a won one_time deal closed on or before T. */
struct ltvd_an_purchase {
  int64_t deal_id;
  int32_t day;                  /* closed_at */
  int product;                  /* LTVD_AN_NONE when none */
  int64_t amount;
};

/* An MRR line of month <= M. */
struct ltvd_an_mrr {
  int32_t month;
  int product;
  int64_t mrr;
};

enum ltvd_an_signal_type {
  LTVD_AN_EMAIL_OPEN, LTVD_AN_EMAIL_CLICK, LTVD_AN_WEB_VISIT, LTVD_AN_MEETING,
  LTVD_AN_CALL, LTVD_AN_SUPPORT_TICKET, LTVD_AN_USAGE, LTVD_AN_FEATURE_INTEREST,
  LTVD_AN_NPS, LTVD_AN_SIGNAL_TYPES
};

/* A matched signal occurred on or before T that is either in the last 90 days or an
 * nps signal of any age. */
struct ltvd_an_signal {
  int64_t id;
  enum ltvd_an_signal_type type;
  int64_t occurred_us;          /* microseconds since 1970-01-01T00:00:00Z */
  int32_t day;                  /* UTC date of occurred_at */
  int product;                  /* LTVD_AN_NONE when none */
  bool has_value;
  double value;
};

struct ltvd_an_customer {
  int64_t id;
  const char *name;
  const char *industry;         /* NULL when unknown */
  const char *channel;          /* acquisition_channel, NULL when unknown */
  bool has_employees;
  int64_t employee_count;
  /* ranges into the snapshot's arrays */
  size_t purchase0, n_purchases; /* by day, then deal id */
  size_t mrr0, n_mrr;            /* by month, then product index */
  size_t deal0, n_deals;         /* by id */
  size_t signal0, n_signals;     /* by occurred_us, then id */
};

struct ltvd_an_snapshot {
  int64_t data_version;
  int32_t today;                /* T */
  int32_t month;                /* M */
  int32_t first_mrr_month;      /* the first month with any MRR line, LTVD_AN_NO_DAY if none */
  double minor_per_major;       /* of the currency: 100 for USD (0 is taken as 100) */
  struct ltvd_an_settings settings;

  size_t n_units;      char **units;      /* keys, byte order */
  size_t n_families;   char **families;   /* byte order */
  size_t n_products;   struct ltvd_an_product *products;   /* by key */
  size_t n_pipelines;  struct ltvd_an_pipeline *pipelines; /* by key */
  size_t n_customers;  struct ltvd_an_customer *customers; /* by id, live ones only */

  size_t n_purchases;  struct ltvd_an_purchase *purchases;
  size_t n_mrr;        struct ltvd_an_mrr *mrr;
  size_t n_deals;      struct ltvd_an_deal *deals;
  size_t n_history;    struct ltvd_an_history *history;
  size_t n_signals;    struct ltvd_an_signal *signals;

  struct ltvd_an_build *build; /* rows being added; NULL once finished */
};

/* Building a snapshot (the loader and the unit tests): set data_version, today and
 * settings; add units, products, pipelines with their stages, then customers in
 * ascending id order; then deals, history, MRR lines and signals in any order. Finish
 * derives the families (distinct, byte order) and the purchases, drops deals closed
 * after T, fixes M (the month of T when some MRR line exists for it, else the month
 * before) and drops MRR lines after M, sorts every row array as documented above and
 * sets each customer's ranges. Keys are copied. Every add returns the new index. */
int ltvd_an_add_unit(struct ltvd_an_snapshot *s, const char *key);   /* keys ascending */
int ltvd_an_add_product(struct ltvd_an_snapshot *s, const char *key, const char *unit,
                        const char *family, int tier, int64_t monthly_price,
                        double gross_margin /* NAN: the default setting */);
int ltvd_an_add_pipeline(struct ltvd_an_snapshot *s, const char *key, enum ltvd_an_kind kind,
                         int64_t seq);                                /* keys ascending */
/* Stages in position order. */
int ltvd_an_add_stage(struct ltvd_an_snapshot *s, int pipeline, const char *key,
                      int position, double probability, enum ltvd_an_state state);
int ltvd_an_add_customer(struct ltvd_an_snapshot *s, int64_t id, const char *name,
                         const char *industry, const char *channel, bool has_employees,
                         int64_t employee_count);
/* d->hist0/n_hist are set by finish; d->customer is the customer's index. */
void ltvd_an_add_deal(struct ltvd_an_snapshot *s, const struct ltvd_an_deal *d);
/* A history entry of deal deal_id, in the order entries are to be kept on equal times. */
void ltvd_an_add_history(struct ltvd_an_snapshot *s, int64_t deal_id, int stage,
                         double entered_at);
/* The same with the order of entries of equal times given by tie (ascending). */
void ltvd_an_add_history_tie(struct ltvd_an_snapshot *s, int64_t deal_id, int stage,
                             double entered_at, int64_t tie);
void ltvd_an_add_mrr(struct ltvd_an_snapshot *s, int32_t customer, int32_t month,
                     int product, int64_t mrr);
void ltvd_an_add_signal(struct ltvd_an_snapshot *s, int32_t customer,
                        const struct ltvd_an_signal *sig);
void ltvd_an_snapshot_finish(struct ltvd_an_snapshot *s);

/* Lookups in a snapshot being built or finished: LTVD_AN_NONE when absent. */
int ltvd_an_unit_index(const struct ltvd_an_snapshot *s, const char *key);
int ltvd_an_product_index(const struct ltvd_an_snapshot *s, const char *key);
int ltvd_an_family_index(const struct ltvd_an_snapshot *s, const char *name); /* finished */
int ltvd_an_pipeline_index(const struct ltvd_an_snapshot *s, const char *key);
int ltvd_an_stage_index(const struct ltvd_an_snapshot *s, int pipeline, const char *key);
int32_t ltvd_an_customer_index(const struct ltvd_an_snapshot *s, int64_t id);

/* Frees every array and string of s (each malloc'd on its own; a zeroed snapshot is
 * fine). */
void ltvd_an_snapshot_free(struct ltvd_an_snapshot *s);

/* ---- per-customer results -------------------------------------------------------- */

enum ltvd_an_tier { LTVD_AN_PLATINUM, LTVD_AN_GOLD, LTVD_AN_SILVER, LTVD_AN_BRONZE };
enum ltvd_an_phase {
  LTVD_AN_PROSPECT, LTVD_AN_FIRST_PURCHASE, LTVD_AN_REPEAT, LTVD_AN_LOYAL, LTVD_AN_DORMANT,
  LTVD_AN_PHASES
};

const char *ltvd_an_tier_name(int tier);    /* "platinum" ... */
const char *ltvd_an_phase_name(int phase);  /* "prospect" ... */
const char *ltvd_an_quadrant_name(int q);   /* 0..3: "A".."D" */
const char *ltvd_an_quadrant_label(int q);  /* "expand", "retain", "develop", "maintain" */

struct ltvd_an_cmetrics {
  /* 4.1 */
  bool paying, active, churned;
  int64_t revenue_to_date;
  int32_t first_purchase_day;   /* LTVD_AN_NO_DAY for a prospect */
  int64_t n_purchases, purchase_amount;
  double observed_years;        /* 4.2 basic, floored at 1/12; 0 for a prospect */
  int64_t mrr_m;                /* MRR(c, M) */
  double mrr_m_margin;          /* Σ over c's lines in M of mrr × gross_margin */
  int churn_events;             /* 4.2 subscription: months M-11..M with p > 0 = q */
  int churn_exposures;          /* ... with p > 0 */
  int months_with_mrr;          /* distinct months <= M with MRR > 0 */
  int32_t first_mrr_month, last_mrr_month; /* LTVD_AN_NO_DAY when none */
  bool has_nps;
  int nps;
  /* 4.3, 4.4 */
  int tier;                     /* enum ltvd_an_tier, LTVD_AN_NONE for a prospect */
  int quadrant;                 /* 0..3 = A..D, LTVD_AN_NONE for a prospect */
  double potential;             /* NAN for a prospect */
  double c_size, c_whitespace, c_engagement, c_usage;
  int64_t signals_90d;
  /* 4.5 */
  int phase;                    /* overall, enum ltvd_an_phase */
  /* 4.10: NAN when not fitted */
  double expected_purchases_12m, p_alive, expected_spend, predicted_clv;
};

struct ltvd_an_results {
  const struct ltvd_an_snapshot *snap;
  struct ltvd_an_cmetrics *c;   /* n_customers */
  /* n_customers × n_families, row-major: the held tier (0 when not held) */
  int *held;
  /* n_customers × n_units / × n_families: ever paid in (the 4.2 multi-valued axes) */
  uint8_t *paid_unit, *paid_family;
  /* n_customers × n_units: the phase in each unit, and active in that unit (4.5) */
  uint8_t *phase_unit, *active_unit;
  /* paying customers in tier order (revenue_to_date desc, id asc) */
  size_t n_paying;
  int32_t *tier_order;
  /* 4.4 thresholds (NAN with no paying customer) */
  double value_threshold, potential_threshold;
  /* 4.10 */
  bool clv_fitted;
  char clv_reason[160];
  size_t clv_customers, clv_repeat_customers;
  double clv_r, clv_alpha, clv_a, clv_b, clv_bgnbd_ll;
  double clv_p, clv_q, clv_gamma, clv_gg_ll;
  double clv_fit_ms;
};

/* Computes every per-customer result of snap into res (allocated here; free with
 * ltvd_an_results_free). The steps run in this order, each reading what the earlier
 * ones wrote: 4.1 (ltvd_an_customers), 4.3 (ltvd_an_tiers), 4.4 (ltvd_an_quadrants),
 * 4.5 (ltvd_an_phases), 4.10 (ltvd_an_clv). */
void ltvd_an_compute(const struct ltvd_an_snapshot *snap, struct ltvd_an_results *res);
void ltvd_an_results_free(struct ltvd_an_results *res);

void ltvd_an_customers(struct ltvd_an_results *res);  /* 4.1 + the 4.2 per-customer parts */
void ltvd_an_tiers(struct ltvd_an_results *res);      /* 4.3 */
void ltvd_an_quadrants(struct ltvd_an_results *res);  /* 4.4 */
void ltvd_an_phases(struct ltvd_an_results *res);     /* 4.5 per customer */
void ltvd_an_clv(struct ltvd_an_results *res);        /* 4.10 */

/* PostgreSQL's percent_rank() of each of v[0..n) ascending into out: (rank − 1)/(n − 1),
 * rank counting ties as the first of their peers; 0 when n = 1. */
void ltvd_an_percent_rank(const double *v, size_t n, double *out);
/* PostgreSQL's percentile_cont(p) over v[0..n) (sorted in place); NAN when n = 0. */
double ltvd_an_percentile_cont(double *v, size_t n, double p);

/* ---- the documents --------------------------------------------------------------- */

/* The analytics axes of SPEC 4.2, in this order. */
enum ltvd_an_axis {
  LTVD_AN_AXIS_INDUSTRY, LTVD_AN_AXIS_SIZE_BAND, LTVD_AN_AXIS_CHANNEL,
  LTVD_AN_AXIS_UNIT, LTVD_AN_AXIS_FAMILY, LTVD_AN_AXIS_COHORT, LTVD_AN_AXIS_QUADRANT,
  LTVD_AN_AXIS_TIER, LTVD_AN_AXIS_ALL, LTVD_AN_AXES
};
const char *ltvd_an_axis_name(int axis); /* "industry", ..., "business_unit", "all" */
int ltvd_an_axis_parse(const char *name); /* LTVD_AN_NONE when unknown */

/* The context every document carries. */
struct ltvd_an_as_of {
  int64_t data_version;
  char computed_at[32];         /* server timestamp, YYYY-MM-DDTHH:MM:SS.ffffffZ */
  const char *currency;
};

/* {"data_version","computed_at","today","month"} (SPEC section 8). */
json_t *ltvd_an_as_of_json(const struct ltvd_an_as_of *as_of, const struct ltvd_an_snapshot *s);

/* The rows of GET /v1/analytics/ltv?by=a[,b] (b = LTVD_AN_NONE for one axis), sorted as
 * SPEC 4.2 says: an array of {segment, customers, ..., predicted_clv}. */
json_t *ltvd_an_ltv_rows(const struct ltvd_an_results *res, int a, int b);
/* GET /v1/analytics/tiers without as_of/currency: {tiers, concentration}. */
json_t *ltvd_an_tiers_doc(const struct ltvd_an_results *res);
/* GET /v1/analytics/quadrants without as_of/currency: {thresholds, quadrants}. */
json_t *ltvd_an_quadrants_doc(const struct ltvd_an_results *res);
/* A customer's metrics object of SPEC section 8. */
json_t *ltvd_an_customer_metrics(const struct ltvd_an_results *res, size_t customer);
/* GET /v1/analytics/lifecycle without as_of: {by_business_unit, overall, cross_usage}. */
json_t *ltvd_an_lifecycle_doc(const struct ltvd_an_results *res);
/* GET /v1/analytics/cohorts' results array. */
json_t *ltvd_an_cohorts_rows(const struct ltvd_an_results *res);
/* GET /v1/mrr/movements' row of every month from the first month with an MRR line to M,
 * oldest first: {month, starting_mrr, ...}; and GET /v1/mrr/summary without as_of and
 * currency: {month, mrr, arr, arpa, nrr_12m, recommendation}. */
json_t *ltvd_an_movements_rows(const struct ltvd_an_results *res);
json_t *ltvd_an_mrr_summary(const struct ltvd_an_results *res);
/* GET /v1/analytics/pipelines' results array. */
json_t *ltvd_an_pipelines_rows(const struct ltvd_an_results *res);
/* GET /v1/analytics/clv/model without as_of. */
json_t *ltvd_an_clv_model_doc(const struct ltvd_an_results *res);

#endif
