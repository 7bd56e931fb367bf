/* The settings of SPEC section 4: GET shows every setting (stored values over the
 * defaults) with version and updated_at; PATCH (admin) is a merge patch in which `null`
 * puts a setting back to its default and `weights` merges member by member. A change
 * bumps the data version (the route runs as LTVD_TX_DATA), so the analytics follow. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/admin.h"
#include "ltvd/catalog_db.h"
#include "ltvd/db.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

static const struct ltvd_field setting_fields[] = {
    {"dormant_after_days", LTVD_F_INTEGER, LTVD_NULLABLE, 1, 3650, NULL},
    {"loyal_threshold", LTVD_F_INTEGER, LTVD_NULLABLE, 1, 1000, NULL},
    {"quadrant_percentile", LTVD_F_NUMBER, LTVD_NULLABLE, 0, 100, NULL},
    {"max_lifespan_months", LTVD_F_INTEGER, LTVD_NULLABLE, 1, 1200, NULL},
    {"nps_detractor_max", LTVD_F_INTEGER, LTVD_NULLABLE, 0, 10, NULL},
    {"upsell_usage_threshold", LTVD_F_NUMBER, LTVD_NULLABLE, 0, 100, NULL},
    {"cross_sell_min_confidence", LTVD_F_NUMBER, LTVD_NULLABLE, 0, 1, NULL},
    {"cross_sell_min_support", LTVD_F_INTEGER, LTVD_NULLABLE, 1, 1000000, NULL},
    {"default_gross_margin", LTVD_F_NUMBER, LTVD_NULLABLE, 0, 1, NULL},
    {"weights", LTVD_F_OBJECT, LTVD_NULLABLE, 0, 0, NULL},
    {"clv_horizon_months", LTVD_F_INTEGER, LTVD_NULLABLE, 1, 600, NULL},
    {"clv_monthly_discount", LTVD_F_NUMBER, LTVD_NULLABLE, 0, 1, NULL},
    {"updated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const patch_extras[] = {"version", NULL};
static const char *const weight_names[] = {"size", "whitespace", "engagement", "usage", NULL};

#define DEFAULTS                                                                        \
  "{\"dormant_after_days\": 365, \"loyal_threshold\": 12, \"quadrant_percentile\": 50, "  \
  "\"max_lifespan_months\": 120, \"nps_detractor_max\": 6, "                             \
  "\"upsell_usage_threshold\": 0.8, \"cross_sell_min_confidence\": 0.5, "                \
  "\"cross_sell_min_support\": 3, \"default_gross_margin\": 0.8, "                       \
  "\"weights\": {\"size\": 0.3, \"whitespace\": 0.3, \"engagement\": 0.2, "              \
  "\"usage\": 0.2}, \"clv_horizon_months\": 36, \"clv_monthly_discount\": 0.01}"

/* The settings as stored (row 0 of res) over the defaults, in the defaults' order. */
static json_t *current_new(const PGresult *res)
{
  json_t *out = json_loads(DEFAULTS, 0, NULL);
  json_t *stored = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
  const char *name;
  json_t *v;

  json_object_foreach(stored, name, v) {
    json_t *def = json_object_get(out, name);
    if (def && json_is_object(def) && json_is_object(v))
      json_object_update_existing(def, v);
    else if (def)
      json_object_set(out, name, v);
  }
  json_decref(stored);
  return out;
}

static int reply_settings(struct ltvd_req *r, PGresult *res)
{
  json_t *body = current_new(res);

  json_object_set_new(body, "version", json_integer(ltvd_db_catalog_version(res, 0)));
  json_object_set_new(body, "updated_at", json_string(PQgetvalue(res, 0, 2)));
  int64_t version = ltvd_db_catalog_version(res, 0);

  PQclear(res);
  return ltvd_reply_resource_new(r, 200, version, body);
}

int ltvd_api_settings_get(struct ltvd_req *r)
{
  PGresult *res = ltvd_db_settings_get(r->db, false);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) != 1) {
    PQclear(res);
    return ltvd_problem(r, 500, "the settings row is missing (request %s)", r->request_id);
  }
  return reply_settings(r, res);
}

/* Checks the members of a weights patch into errors. */
static void check_weights(const json_t *weights, json_t *errors)
{
  const char *name;
  json_t *v;

  json_object_foreach((json_t *) weights, name, v) {
    bool known = false;
    for (const char *const *w = weight_names; *w; w++)
      known |= strcmp(*w, name) == 0;
    char *field = ltvd_strdup_printf("weights.%s", name);
    if (!known)
      json_array_append_new(errors, ltvd_field_error(field, -1, "is not a known field"));
    else if (!json_is_null(v) && !(json_is_number(v) && json_number_value(v) >= 0))
      json_array_append_new(errors, ltvd_field_error(field, -1, "must be a number >= 0"));
    free(field);
  }
}

/* Applies the patch to cur (settings over defaults): null restores a default. */
static void merge(json_t *cur, const json_t *patch)
{
  json_t *defaults = json_loads(DEFAULTS, 0, NULL);
  const char *name, *w;
  json_t *v, *x;

  json_object_foreach((json_t *) patch, name, v) {
    if (strcmp(name, "version") == 0)
      continue;
    if (json_is_null(v)) {
      json_object_set(cur, name, json_object_get(defaults, name));
    } else if (json_is_object(v)) {
      json_t *weights = json_object_get(cur, name);
      json_object_foreach(v, w, x) {
        json_object_set(weights, w, json_is_null(x)
                                        ? json_object_get(json_object_get(defaults, name), w)
                                        : x);
      }
    } else {
      json_object_set(cur, name, v);
    }
  }
  json_decref(defaults);
}

static bool positive_sum(const json_t *weights)
{
  double sum = 0;

  for (const char *const *w = weight_names; *w; w++)
    sum += json_number_value(json_object_get(weights, *w));
  return sum > 0 && isfinite(sum);
}

int ltvd_api_settings_patch(struct ltvd_req *r)
{
  json_t *errors = json_array();
  json_t *version = json_object_get(r->json, "version");

  ltvd_validate(r->json, setting_fields, patch_extras, LTVD_VALIDATE_PATCH, -1, errors);
  if (version && !json_is_integer(version))
    json_array_append_new(errors, ltvd_field_error("version", -1, "must be an integer"));
  if (json_is_object(json_object_get(r->json, "weights")))
    check_weights(json_object_get(r->json, "weights"), errors);
  if (json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the settings patch is invalid", errors);
  PGresult *res = ltvd_db_settings_get(r->db, true);
  if (res == NULL || PQntuples(res) != 1) {
    json_decref(errors);
    if (res == NULL)
      return ltvd_reply_db_error(r);
    PQclear(res);
    return ltvd_problem(r, 500, "the settings row is missing (request %s)", r->request_id);
  }
  int64_t current = ltvd_db_catalog_version(res, 0);
  json_t *data = current_new(res);
  PQclear(res);
  merge(data, r->json);
  if (!positive_sum(json_object_get(data, "weights"))) {
    json_decref(data);
    json_array_append_new(errors, ltvd_field_error("weights", -1, "must have a positive sum"));
    return ltvd_problem_errors_new(r, 422, "the settings patch is invalid", errors);
  }
  json_decref(errors);
  int status = 0;
  if (!ltvd_req_if_match(r, current) || !ltvd_req_version_matches(r, current))
    status = r->status;
  else if ((res = ltvd_db_settings_update(r->db, data)) == NULL)
    status = ltvd_reply_db_error(r);
  json_decref(data);
  return status ? status : reply_settings(r, res);
}
