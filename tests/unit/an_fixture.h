/* Terse analytics snapshots for unit tests: a fixture holds a snapshot being built and,
 * once anf_compute has run, its results. Dates are written as text ("2026-03-15",
 * "2026-03"); a bad date aborts the test program.
 *
 *   struct anf f;
 *   anf_init(&f, "2026-03-15");                 T; settings at their defaults
 *   anf_unit(&f, "cloud");                      units in key order
 *   anf_product(&f, "c-std", "cloud", "compute", 1, 10000, NAN);  products in key order
 *   int32_t c = anf_customer(&f, 1, "retail", "web", 40);         ids ascending; -1: unknown
 *   anf_purchase(&f, c, "2025-06-01", "c-std", 5000);             a won one_time deal
 *   anf_mrr(&f, c, "2026-02", "c-std", 10000);
 *   anf_signal(&f, c, LTVD_AN_USAGE, "2026-03-01", 0.5, NULL);
 *   anf_compute(&f);                            finish + ltvd_an_compute
 *   ... f.s, f.r ...
 *   anf_free(&f);
 *
 * Purchases go into a pipeline "new_business" (open, won, lost stages) created at the
 * first anf_purchase; tests that add their own pipelines use anf_deal with their own
 * indexes. Deal and signal ids count up from 1 in the order of the calls. */
#ifndef LTVD_TEST_AN_FIXTURE_H
#define LTVD_TEST_AN_FIXTURE_H

#include "ltvd/analytics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct anf {
  struct ltvd_an_snapshot s;
  struct ltvd_an_results r;
  bool computed;
  int pipeline; /* the purchases' pipeline, LTVD_AN_NONE until the first */
  int stage_open, stage_won, stage_lost;
  int64_t next_deal_id, next_signal_id;
};

static inline int32_t anf_day(const char *text)
{
  int32_t day;
  if (!ltvd_an_parse_day(text, &day)) {
    fprintf(stderr, "an_fixture: bad date %s\n", text == NULL ? "(null)" : text);
    abort();
  }
  return day;
}

/* "YYYY-MM" to a month number. */
static inline int32_t anf_month(const char *text)
{
  char day[11];
  if (text == NULL || strlen(text) != 7) {
    fprintf(stderr, "an_fixture: bad month %s\n", text == NULL ? "(null)" : text);
    abort();
  }
  memcpy(day, text, 7);
  memcpy(day + 7, "-01", 4);
  return ltvd_an_month_of(anf_day(day));
}

static inline void anf_init(struct anf *f, const char *today)
{
  memset(f, 0, sizeof *f);
  f->s.data_version = 1;
  f->s.today = anf_day(today);
  ltvd_an_settings_default(&f->s.settings);
  f->pipeline = LTVD_AN_NONE;
  f->next_deal_id = 1;
  f->next_signal_id = 1;
}

static inline int anf_unit(struct anf *f, const char *key)
{
  return ltvd_an_add_unit(&f->s, key);
}

/* gross_margin NAN: the default_gross_margin setting. */
static inline int anf_product(struct anf *f, const char *key, const char *unit, const char *family,
                              int tier, int64_t monthly_price, double gross_margin)
{
  return ltvd_an_add_product(&f->s, key, unit, family, tier, monthly_price, gross_margin);
}

static inline int anf_product_index(const struct anf *f, const char *key)
{
  if (key == NULL)
    return LTVD_AN_NONE;
  int p = ltvd_an_product_index(&f->s, key);
  if (p == LTVD_AN_NONE) {
    fprintf(stderr, "an_fixture: no product %s\n", key);
    abort();
  }
  return p;
}

/* employees < 0: unknown. The name is "c<id>". */
static inline int32_t anf_customer(struct anf *f, int64_t id, const char *industry,
                                   const char *channel, int64_t employees)
{
  char name[32];
  snprintf(name, sizeof name, "c%lld", (long long) id);
  return ltvd_an_add_customer(&f->s, id, name, industry, channel, employees >= 0,
                              employees >= 0 ? employees : 0);
}

/* Any deal; closed NULL while open. Returns its id. */
static inline int64_t anf_deal(struct anf *f, int32_t customer, int pipeline, int stage,
                               const char *product, bool recurring, int64_t amount,
                               const char *created, const char *closed)
{
  struct ltvd_an_deal d = {
      .id = f->next_deal_id++,
      .customer = customer,
      .pipeline = pipeline,
      .stage = stage,
      .product = anf_product_index(f, product),
      .recurring = recurring,
      .amount = amount,
      .created_day = anf_day(created),
      .closed_day = closed == NULL ? LTVD_AN_NO_DAY : anf_day(closed),
      .expected_close_day = LTVD_AN_NO_DAY,
      .contract_end_day = LTVD_AN_NO_DAY,
  };
  ltvd_an_add_deal(&f->s, &d);
  return d.id;
}

static inline int anf_purchase_pipeline(struct anf *f)
{
  if (f->pipeline == LTVD_AN_NONE) {
    f->pipeline = ltvd_an_add_pipeline(&f->s, "new_business", LTVD_AN_NEW_BUSINESS, 1);
    f->stage_open = ltvd_an_add_stage(&f->s, f->pipeline, "lead", 0, 0.1, LTVD_AN_OPEN);
    f->stage_won = ltvd_an_add_stage(&f->s, f->pipeline, "won", 1, 1.0, LTVD_AN_WON);
    f->stage_lost = ltvd_an_add_stage(&f->s, f->pipeline, "lost", 2, 0.0, LTVD_AN_LOST);
  }
  return f->pipeline;
}

/* A purchase: a won one_time deal created and closed on day; product may be NULL. */
static inline int64_t anf_purchase(struct anf *f, int32_t customer, const char *day,
                                   const char *product, int64_t amount)
{
  int p = anf_purchase_pipeline(f);
  return anf_deal(f, customer, p, f->stage_won, product, false, amount, day, day);
}

static inline void anf_mrr(struct anf *f, int32_t customer, const char *month, const char *product,
                           int64_t mrr)
{
  ltvd_an_add_mrr(&f->s, customer, anf_month(month), anf_product_index(f, product), mrr);
}

/* A signal at second `second` of day; value NAN: none. Returns its id. */
static inline int64_t anf_signal_at(struct anf *f, int32_t customer, enum ltvd_an_signal_type type,
                                    const char *day, int64_t second, double value,
                                    const char *product)
{
  int32_t d = anf_day(day);
  struct ltvd_an_signal sig = {
      .id = f->next_signal_id++,
      .type = type,
      .occurred_us = ((int64_t) d * 86400 + second) * 1000000,
      .day = d,
      .product = anf_product_index(f, product),
      .has_value = !isnan(value),
      .value = isnan(value) ? 0 : value,
  };
  ltvd_an_add_signal(&f->s, customer, &sig);
  return sig.id;
}

/* A signal at noon of day. */
static inline int64_t anf_signal(struct anf *f, int32_t customer, enum ltvd_an_signal_type type,
                                 const char *day, double value, const char *product)
{
  return anf_signal_at(f, customer, type, day, 12 * 3600, value, product);
}

/* Finishes the snapshot and computes every result into f->r. */
static inline void anf_compute(struct anf *f)
{
  ltvd_an_snapshot_finish(&f->s);
  ltvd_an_compute(&f->s, &f->r);
  f->computed = true;
}

static inline void anf_free(struct anf *f)
{
  if (f->computed)
    ltvd_an_results_free(&f->r);
  ltvd_an_snapshot_free(&f->s);
  memset(f, 0, sizeof *f);
}

#endif
