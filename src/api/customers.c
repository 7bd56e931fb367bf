/* The customers resource (SPEC section 3): list, create, get, merge patch, archive,
 * read and upsert by external id, and all-or-nothing batches. */
#include "ltvd/customers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/analytics.h"
#include "ltvd/batch.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/segments.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define MAX_PROPERTIES_DEPTH 16
#define MAX_PROPERTIES_BYTES (64 * 1024)

const struct ltvd_field ltvd_customer_fields[] = {
    {"external_id", LTVD_F_STRING, LTVD_NULLABLE, 0, 255, NULL},
    {"name", LTVD_F_STRING, LTVD_REQUIRED, 1, 500, NULL},
    {"industry", LTVD_F_STRING, LTVD_NULLABLE, 0, 100, NULL},
    {"employee_count", LTVD_F_INTEGER, LTVD_NULLABLE, 0, 2147483647, NULL},
    {"annual_revenue", LTVD_F_MONEY, LTVD_NULLABLE, 0, 0, NULL},
    {"acquisition_channel", LTVD_F_STRING, LTVD_NULLABLE, 0, 100, NULL},
    {"country", LTVD_F_STRING, LTVD_NULLABLE, 0, 100, NULL},
    {"properties", LTVD_F_OBJECT, LTVD_NULLABLE, 0, 0, NULL},
    {"id", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"size_band", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"currency", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"metrics", LTVD_F_OBJECT, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"updated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"version", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const optional_texts[] = {"external_id", "industry", "acquisition_channel",
                                             "country", NULL};
static const char *const patch_extras[] = {"version", NULL};

/* properties must stay small and shallow whatever way they were built */
static int check_properties(const json_t *props, long index, json_t *errors)
{
  if (!json_is_object(props))
    return 0;
  if (ltvd_json_depth(props) > MAX_PROPERTIES_DEPTH) {
    json_array_append_new(errors, ltvd_field_error("properties", index,
                                                   "must not nest deeper than %d levels",
                                                   MAX_PROPERTIES_DEPTH));
    return 1;
  }
  char *text = json_dumps(props, JSON_COMPACT);
  size_t len = text ? strlen(text) : 0;
  free(text);
  if (len > MAX_PROPERTIES_BYTES) {
    json_array_append_new(errors, ltvd_field_error("properties", index,
                                                   "must not exceed %d bytes as JSON",
                                                   MAX_PROPERTIES_BYTES));
    return 1;
  }
  return 0;
}

static int check_input(const json_t *in, enum ltvd_validate_mode mode, long index,
                       json_t *errors)
{
  const char *const *extras = mode == LTVD_VALIDATE_PATCH ? patch_extras : NULL;
  int n = ltvd_validate(in, ltvd_customer_fields, extras, mode, index, errors);

  if (mode == LTVD_VALIDATE_PATCH) {
    json_t *v = json_object_get(in, "version");
    if (v && !json_is_integer(v)) {
      json_array_append_new(errors, ltvd_field_error("version", index, "must be an integer"));
      n++;
    }
  }
  return n + check_properties(json_object_get(in, "properties"), index, errors);
}

/* Empty optional texts are stored as null; null properties are {}. */
static void normalise(json_t *rec)
{
  for (const char *const *f = optional_texts; *f; f++) {
    json_t *v = json_object_get(rec, *f);
    if (json_is_string(v) && json_string_length(v) == 0)
      json_object_set_new(rec, *f, json_null());
  }
  if (!json_is_object(json_object_get(rec, "properties")))
    json_object_set_new(rec, "properties", json_object());
}

/* The record a create or replace writes: every writable field, null when absent. */
static json_t *record_new(const json_t *in)
{
  json_t *rec = json_object();

  for (const struct ltvd_field *f = ltvd_customer_fields; f->name; f++) {
    if (f->flags & LTVD_READONLY)
      continue;
    json_t *v = json_object_get(in, f->name);
    json_object_set(rec, f->name, v ? v : json_null());
  }
  normalise(rec);
  return rec;
}

/* RFC 7396 JSON merge patch of target by patch (new reference). */
static json_t *merge_patch_new(const json_t *target, const json_t *patch)
{
  const char *key;
  json_t *v;

  if (!json_is_object(patch))
    return json_deep_copy(patch);
  json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
  json_object_foreach((json_t *) patch, key, v) {
    if (json_is_null(v))
      json_object_del(out, key);
    else
      json_object_set_new(out, key, merge_patch_new(json_object_get(out, key), v));
  }
  return out;
}

static int reply_customer(struct ltvd_req *r, int status, PGresult *res)
{
  int64_t id = ltvd_db_customer_id(res, 0);

  if (status == 201)
    ltvd_reply_header(r, "Location", "/v1/customers/%lld", (long long) id);
  json_t *body = ltvd_db_customer_json(res, 0, r->cfg->currency);
  int64_t version = ltvd_db_customer_version(res, 0);

  PQclear(res);
  return ltvd_reply_resource_new(r, status, version, body);
}

static int invalid(struct ltvd_req *r, json_t *errors, const char *what)
{
  return ltvd_problem_errors_new(r, 422, what, errors);
}

int ltvd_customer_check(const json_t *in, long index, json_t *errors)
{
  return check_input(in, LTVD_VALIDATE_CREATE, index, errors);
}

json_t *ltvd_customer_record_new(const json_t *in) { return record_new(in); }

/* A filter on a published metric: one of the names name_of(0), name_of(1), ...; 0, or
 * 400 after replying. */
static int metrics_filter(struct ltvd_req *r, const char *param, const char *(*name_of)(int),
                          const char **out)
{
  const char *v = ltvd_req_query(r, param);
  if (v == NULL)
    return 0;
  char allowed[128] = "";
  for (int i = 0; name_of(i) != NULL; i++) {
    if (strcmp(v, name_of(i)) == 0) {
      *out = v;
      return 0;
    }
    snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
             i ? ", " : "", name_of(i));
  }
  return ltvd_problem_field(r, 400, param, "must be one of %s", allowed);
}

int ltvd_api_customers_list(struct ltvd_req *r)
{
  struct ltvd_customer_filter f = {0};
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse(r, &page)))
    return status;
  f.after = page.after;
  f.limit = page.limit;
  f.industry = ltvd_req_query(r, "industry");
  f.acquisition_channel = ltvd_req_query(r, "acquisition_channel");
  f.country = ltvd_req_query(r, "country");
  f.name_prefix = ltvd_req_query(r, "q");
  if (f.name_prefix && strlen(f.name_prefix) > 500)
    return ltvd_problem_field(r, 400, "q", "must be at most 500 bytes");
  const char *band = ltvd_req_query(r, "size_band");
  if (band) {
    if (!ltvd_size_band_range(band, &f.band_lo, &f.band_hi, &f.band_unknown))
      return ltvd_problem_field(r, 400, "size_band",
                                "must be one of 1-9, 10-49, 50-249, 250-999, 1000+, unknown");
    f.band = true;
  }
  if ((status = metrics_filter(r, "quadrant", ltvd_an_quadrant_name, &f.quadrant)) ||
      (status = metrics_filter(r, "tier", ltvd_an_tier_name, &f.tier)) ||
      (status = metrics_filter(r, "phase", ltvd_an_phase_name, &f.phase)))
    return status;
  PGresult *res = ltvd_db_customer_list(r->db, &f);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > page.limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < page.limit; i++)
    json_array_append_new(results, ltvd_db_customer_json(res, i, r->cfg->currency));
  int64_t last = more ? ltvd_db_customer_id(res, page.limit - 1) : 0;
  PQclear(res);
  return ltvd_reply_json_new(r, 200, ltvd_paging_wrap_new(results, more, last));
}

int ltvd_api_customers_create(struct ltvd_req *r)
{
  json_t *errors = json_array();

  if (check_input(r->json, LTVD_VALIDATE_CREATE, -1, errors))
    return invalid(r, errors, "the customer is invalid");
  json_decref(errors);
  json_t *rec = record_new(r->json);
  PGresult *res = ltvd_db_customer_insert(r->db, rec);
  json_decref(rec);
  return res ? reply_customer(r, 201, res) : ltvd_reply_db_error(r);
}

/* The live customer of the path's id, locked for the transaction when lock: its row, or
 * NULL after replying (400 for a bad id, 404, or the database error). */
static PGresult *load_customer(struct ltvd_req *r, bool lock, int64_t *id)
{
  if (ltvd_req_id(r, 0, id))
    return NULL;
  PGresult *res = ltvd_db_customer_get(r->db, *id, lock);
  if (res == NULL) {
    ltvd_reply_db_error(r);
    return NULL;
  }
  if (PQntuples(res) == 0) {
    PQclear(res);
    ltvd_problem(r, 404, "customer %lld does not exist", (long long) *id);
    return NULL;
  }
  return res;
}

int ltvd_api_customer_live(struct ltvd_req *r, int64_t id, bool lock)
{
  PGresult *res = ltvd_db_customer_get(r->db, id, lock);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  bool found = PQntuples(res) == 1;
  PQclear(res);
  return found ? 0 : ltvd_problem(r, 404, "customer %lld does not exist", (long long) id);
}

int ltvd_api_customers_get(struct ltvd_req *r)
{
  int64_t id;
  PGresult *res = load_customer(r, false, &id);

  return res ? reply_customer(r, 200, res) : r->status;
}

int ltvd_api_customers_get_external(struct ltvd_req *r)
{
  PGresult *res = ltvd_db_customer_get_external(r->db, r->params[0], false);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) == 0) {
    PQclear(res);
    return ltvd_problem(r, 404, "no customer has this external_id");
  }
  return reply_customer(r, 200, res);
}

int ltvd_api_customers_patch(struct ltvd_req *r)
{
  int64_t id;
  const char *key;
  json_t *v;
  PGresult *res = load_customer(r, true, &id);

  if (res == NULL)
    return r->status;
  json_t *errors = json_array();
  if (check_input(r->json, LTVD_VALIDATE_PATCH, -1, errors)) {
    PQclear(res);
    return invalid(r, errors, "the patch is invalid");
  }
  int64_t current = ltvd_db_customer_version(res, 0);
  if (!ltvd_req_if_match(r, current) || !ltvd_req_version_matches(r, current)) {
    PQclear(res);
    json_decref(errors);
    return r->status;
  }
  json_t *rec = ltvd_db_customer_record(res, 0);
  PQclear(res);
  json_object_foreach(r->json, key, v) {
    if (strcmp(key, "version") == 0)
      continue;
    json_t *old = json_object_get(rec, key);
    json_object_set_new(rec, key, strcmp(key, "properties") == 0 ? merge_patch_new(old, v)
                                                                 : json_incref(v));
  }
  normalise(rec);
  if (check_properties(json_object_get(rec, "properties"), -1, errors)) {
    json_decref(rec);
    return invalid(r, errors, "the patched properties are too large");
  }
  json_decref(errors);
  res = ltvd_db_customer_update(r->db, id, rec);
  json_decref(rec);
  return res ? reply_customer(r, 200, res) : ltvd_reply_db_error(r);
}

int ltvd_api_customers_delete(struct ltvd_req *r)
{
  int64_t id;
  PGresult *res = load_customer(r, true, &id);

  if (res == NULL)
    return r->status;
  int64_t current = ltvd_db_customer_version(res, 0);
  PQclear(res);
  if (!ltvd_req_if_match(r, current))
    return r->status;
  if ((res = ltvd_db_customer_archive(r->db, id)) == NULL)
    return ltvd_reply_db_error(r);
  PQclear(res);
  return ltvd_reply_empty(r, 204);
}

int ltvd_api_customers_put_external(struct ltvd_req *r)
{
  const char *ext = r->params[0];
  json_t *errors = json_array();
  json_t *given = json_object_get(r->json, "external_id");
  long len = ltvd_utf8_length(ext, strlen(ext));

  check_input(r->json, LTVD_VALIDATE_CREATE, -1, errors);
  if (len < 1 || len > 255)
    json_array_append_new(errors, ltvd_field_error("external_id", -1,
                                                   "must be 1 to 255 characters long"));
  else if (json_is_string(given) && strcmp(json_string_value(given), ext) != 0)
    json_array_append_new(errors, ltvd_field_error("external_id", -1,
                                                   "must match the external_id in the path"));
  if (json_array_size(errors) > 0)
    return invalid(r, errors, "the customer is invalid");
  json_decref(errors);
  json_t *rec = record_new(r->json);
  json_object_set_new(rec, "external_id", json_string(ext));
  PGresult *res;
  int status = 200;
  if (ltvd_req_header(r, "If-Match")) {
    /* a precondition on a customer that does not exist fails (RFC 9110, 13.1.1) */
    res = ltvd_db_customer_get_external(r->db, ext, true);
    if (res && PQntuples(res) == 0) {
      PQclear(res);
      json_decref(rec);
      return ltvd_problem(r, 412, "If-Match given but no customer has this external_id");
    }
    if (res && !ltvd_req_if_match(r, ltvd_db_customer_version(res, 0))) {
      PQclear(res);
      json_decref(rec);
      return r->status;
    }
    int64_t id = res ? ltvd_db_customer_id(res, 0) : 0;
    PQclear(res);
    res = res ? ltvd_db_customer_update(r->db, id, rec) : NULL;
  } else {
    res = ltvd_db_customer_upsert(r->db, rec);
    if (res && strcmp(PQgetvalue(res, 0, PQnfields(res) - 1), "t") == 0)
      status = 201;
  }
  json_decref(rec);
  return res ? reply_customer(r, status, res) : ltvd_reply_db_error(r);
}

/* True (with an error) when record i repeats the external_id of an earlier record. */
static bool repeats_external_id(json_t *records, size_t i, const json_t *rec, json_t *errors)
{
  const char *a = json_string_value(json_object_get(rec, "external_id"));

  for (size_t k = 0; a && k < i; k++) {
    const char *b = json_string_value(json_object_get(json_array_get(records, k), "external_id"));
    if (b && strcmp(a, b) == 0) {
      json_array_append_new(errors, ltvd_field_error("external_id", (long) i,
                                                     "repeats the external_id of input %zu", k));
      return true;
    }
  }
  return false;
}

int ltvd_api_customers_batch(struct ltvd_req *r)
{
  json_t *inputs = ltvd_batch_inputs(r);

  if (inputs == NULL)
    return r->status;
  json_t *errors = json_array();
  size_t i;
  json_t *in;

  json_t *records = json_array();
  json_array_foreach(inputs, i, in) {
    if (!json_is_object(in))
      json_array_append_new(errors, ltvd_field_error("", (long) i, "must be an object"));
    else if (check_input(in, LTVD_VALIDATE_CREATE, (long) i, errors) == 0) {
      json_t *rec = record_new(in);
      repeats_external_id(records, i, rec, errors);
      json_array_append_new(records, rec);
      continue;
    }
    json_array_append_new(records, json_object());
  }
  if (json_array_size(errors) > 0) {
    json_decref(records);
    return invalid(r, errors, "some inputs are invalid; nothing was written");
  }
  json_decref(errors);
  json_t *results = json_array();
  json_array_foreach(records, i, in) {
    bool upsert = !json_is_null(json_object_get(in, "external_id"));
    PGresult *res = upsert ? ltvd_db_customer_upsert(r->db, in) : ltvd_db_customer_insert(r->db, in);
    if (res == NULL) {
      json_decref(records);
      json_decref(results);
      return ltvd_reply_db_error(r);
    }
    json_array_append_new(results, ltvd_db_customer_json(res, 0, r->cfg->currency));
    PQclear(res);
  }
  json_decref(records);
  return ltvd_reply_json_new(r, 200, json_pack("{s:o}", "results", results));
}
