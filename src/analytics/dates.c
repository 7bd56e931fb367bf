/* Dates as day and month numbers, the settings of SPEC section 4, and the names of
 * tiers, phases, quadrants and axes. */
#include "ltvd/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clock.h"

/* Days from civil (proleptic Gregorian), after H. Hinnant's public-domain derivation. */
int32_t ltvd_an_day(int year, int month, int day)
{
  int y = year - (month <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t) (era * 146097 + doe - 719468);
}

void ltvd_an_civil(int32_t z, int *year, int *month, int *dom)
{
  int64_t zz = (int64_t) z + 719468;
  int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
  int64_t doe = zz - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = (int) (doy - (153 * mp + 2) / 5 + 1);
  int m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *year = (int) (yoe + era * 400 + (m <= 2));
  *month = m;
  *dom = d;
}

bool ltvd_an_parse_day(const char *s, int32_t *day)
{
  if (!ltvd_valid_date(s))
    return false;
  int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
  *day = ltvd_an_day(y, m, d);
  return true;
}

int32_t ltvd_an_month_of(int32_t day)
{
  int y, m, d;
  ltvd_an_civil(day, &y, &m, &d);
  return y * 12 + (m - 1);
}

int32_t ltvd_an_month_first(int32_t month)
{
  int y = month >= 0 ? month / 12 : -((-month + 11) / 12);
  return ltvd_an_day(y, month - y * 12 + 1, 1);
}

int32_t ltvd_an_month_last(int32_t month)
{
  return ltvd_an_month_first(month + 1) - 1;
}

void ltvd_an_format_day(int32_t day, char out[11])
{
  int y, m, d;
  ltvd_an_civil(day, &y, &m, &d);
  y = y < 0 ? 0 : y % 10000;
  out[0] = (char) ('0' + y / 1000), out[1] = (char) ('0' + y / 100 % 10);
  out[2] = (char) ('0' + y / 10 % 10), out[3] = (char) ('0' + y % 10), out[4] = '-';
  out[5] = (char) ('0' + m / 10), out[6] = (char) ('0' + m % 10), out[7] = '-';
  out[8] = (char) ('0' + d / 10), out[9] = (char) ('0' + d % 10), out[10] = '\0';
}

void ltvd_an_format_month(int32_t month, char out[8])
{
  char day[11];
  ltvd_an_format_day(ltvd_an_month_first(month), day);
  memcpy(out, day, 7);
  out[7] = '\0';
}

void ltvd_an_settings_default(struct ltvd_an_settings *s)
{
  *s = (struct ltvd_an_settings){
      .dormant_after_days = 365,
      .loyal_threshold = 12,
      .quadrant_percentile = 50,
      .max_lifespan_months = 120,
      .nps_detractor_max = 6,
      .upsell_usage_threshold = 0.8,
      .cross_sell_min_confidence = 0.5,
      .cross_sell_min_support = 3,
      .default_gross_margin = 0.8,
      .w_size = 0.3,
      .w_whitespace = 0.3,
      .w_engagement = 0.2,
      .w_usage = 0.2,
      .clv_horizon_months = 36,
      .clv_monthly_discount = 0.01,
  };
}

static void read_int(const json_t *doc, const char *name, int *out)
{
  const json_t *v = json_object_get(doc, name);
  if (json_is_integer(v))
    *out = (int) json_integer_value(v);
}

static void read_number(const json_t *doc, const char *name, double *out)
{
  const json_t *v = json_object_get(doc, name);
  if (json_is_number(v))
    *out = json_number_value(v);
}

void ltvd_an_settings_from_json(struct ltvd_an_settings *s, const json_t *doc)
{
  read_int(doc, "dormant_after_days", &s->dormant_after_days);
  read_int(doc, "loyal_threshold", &s->loyal_threshold);
  read_number(doc, "quadrant_percentile", &s->quadrant_percentile);
  read_int(doc, "max_lifespan_months", &s->max_lifespan_months);
  read_int(doc, "nps_detractor_max", &s->nps_detractor_max);
  read_number(doc, "upsell_usage_threshold", &s->upsell_usage_threshold);
  read_number(doc, "cross_sell_min_confidence", &s->cross_sell_min_confidence);
  read_int(doc, "cross_sell_min_support", &s->cross_sell_min_support);
  read_number(doc, "default_gross_margin", &s->default_gross_margin);
  const json_t *w = json_object_get(doc, "weights");
  read_number(w, "size", &s->w_size);
  read_number(w, "whitespace", &s->w_whitespace);
  read_number(w, "engagement", &s->w_engagement);
  read_number(w, "usage", &s->w_usage);
  read_int(doc, "clv_horizon_months", &s->clv_horizon_months);
  read_number(doc, "clv_monthly_discount", &s->clv_monthly_discount);
}

const char *ltvd_an_tier_name(int tier)
{
  static const char *const names[] = {"platinum", "gold", "silver", "bronze"};
  return tier >= 0 && tier < 4 ? names[tier] : NULL;
}

const char *ltvd_an_phase_name(int phase)
{
  static const char *const names[] = {"prospect", "first_purchase", "repeat", "loyal",
                                      "dormant"};
  return phase >= 0 && phase < LTVD_AN_PHASES ? names[phase] : NULL;
}

const char *ltvd_an_quadrant_name(int q)
{
  static const char *const names[] = {"A", "B", "C", "D"};
  return q >= 0 && q < 4 ? names[q] : NULL;
}

const char *ltvd_an_quadrant_label(int q)
{
  static const char *const labels[] = {"expand", "retain", "develop", "maintain"};
  return q >= 0 && q < 4 ? labels[q] : NULL;
}

static const char *const axis_names[LTVD_AN_AXES] = {
    "industry", "size_band", "acquisition_channel", "business_unit", "product_family",
    "cohort", "quadrant", "tier", "all"};

const char *ltvd_an_axis_name(int axis)
{
  return axis >= 0 && axis < LTVD_AN_AXES ? axis_names[axis] : NULL;
}

int ltvd_an_axis_parse(const char *name)
{
  for (int i = 0; i < LTVD_AN_AXES; i++)
    if (name != NULL && strcmp(name, axis_names[i]) == 0)
      return i;
  return LTVD_AN_NONE;
}
