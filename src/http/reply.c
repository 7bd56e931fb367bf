/* Building replies: JSON bodies, headers, and RFC 9457 problems. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ltvd/db.h"
#include "ltvd/http.h"
#include "ltvd/json_out.h"
#include "ltvd/log.h"
#include "ltvd/util.h"

struct problem_kind {
  int status;
  const char *slug;
  const char *title;
};

static const struct problem_kind problem_kinds[] = {
    {400, "bad-request", "Bad request"},
    {401, "unauthorized", "Unauthorized"},
    {403, "forbidden", "Forbidden"},
    {404, "not-found", "Not found"},
    {405, "method-not-allowed", "Method not allowed"},
    {409, "conflict", "Conflict"},
    {412, "precondition-failed", "Precondition failed"},
    {413, "payload-too-large", "Payload too large"},
    {415, "unsupported-media-type", "Unsupported media type"},
    {422, "validation", "Unprocessable content"},
    {429, "rate-limited", "Too many requests"},
    {500, "internal", "Internal server error"},
    {503, "unavailable", "Service unavailable"},
};

static const struct problem_kind *problem_kind(int status)
{
  for (size_t i = 0; i < sizeof problem_kinds / sizeof *problem_kinds; i++)
    if (problem_kinds[i].status == status)
      return &problem_kinds[i];
  return &problem_kinds[11]; /* internal */
}

void ltvd_reply_reset(struct ltvd_req *r)
{
  free(r->reply);
  r->reply = NULL;
  r->reply_len = 0;
  r->reply_type = NULL;
  r->status = 0;
  for (int i = 0; i < r->n_headers; i++) {
    free(r->header_names[i]);
    free(r->header_values[i]);
  }
  r->n_headers = 0;
}

void ltvd_reply_header(struct ltvd_req *r, const char *name, const char *fmt, ...)
{
  va_list ap;
  char *value;

  va_start(ap, fmt);
  if (vasprintf(&value, fmt, ap) < 0)
    abort();
  va_end(ap);
  for (int i = 0; i < r->n_headers; i++)
    if (strcasecmp(r->header_names[i], name) == 0) {
      free(r->header_values[i]);
      r->header_values[i] = value;
      return;
    }
  if (r->n_headers == LTVD_MAX_HEADERS) {
    free(value);
    return;
  }
  r->header_names[r->n_headers] = strdup(name);
  r->header_values[r->n_headers++] = value;
}

int ltvd_reply_bytes(struct ltvd_req *r, int status, const char *type, const char *data,
                     size_t len)
{
  free(r->reply);
  r->reply = malloc(len + 1);
  if (r->reply == NULL)
    abort();
  memcpy(r->reply, data, len);
  r->reply[len] = '\0';
  r->reply_len = len;
  r->reply_type = type;
  r->status = status;
  return status;
}

static int reply_dump(struct ltvd_req *r, int status, const char *type, json_t *body)
{
  char *text = ltvd_json_dumps(body);
  json_decref(body);
  free(r->reply);
  r->reply = text;
  r->reply_len = strlen(text);
  r->reply_type = type;
  r->status = status;
  return status;
}

int ltvd_reply_json_new(struct ltvd_req *r, int status, json_t *body)
{
  return reply_dump(r, status, "application/json", body);
}

/* The entity tag of a resource version; ltvd_req_if_match compares against it. */
static void etag(int64_t version, char out[32])
{
  snprintf(out, 32, "\"%lld\"", (long long) version);
}

int ltvd_reply_resource_new(struct ltvd_req *r, int status, int64_t version, json_t *body)
{
  char tag[32];

  etag(version, tag);
  ltvd_reply_header(r, "ETag", "%s", tag);
  return ltvd_reply_json_new(r, status, body);
}

int ltvd_reply_empty(struct ltvd_req *r, int status)
{
  free(r->reply);
  r->reply = NULL;
  r->reply_len = 0;
  r->reply_type = NULL;
  r->status = status;
  return status;
}

json_t *ltvd_field_error(const char *field, long index, const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *e = json_object();
  json_object_set_new(e, "field", json_string(field));
  json_object_set_new(e, "message", json_string(msg));
  if (index >= 0)
    json_object_set_new(e, "index", json_integer(index));
  return e;
}

int ltvd_problem_errors_new(struct ltvd_req *r, int status, const char *detail,
                            json_t *errors)
{
  const struct problem_kind *k = problem_kind(status);
  char type[64];

  snprintf(type, sizeof type, "urn:ltvd:problem:%s", k->slug);
  json_t *p = json_object();
  json_object_set_new(p, "type", json_string(type));
  json_object_set_new(p, "title", json_string(k->title));
  json_object_set_new(p, "status", json_integer(status));
  /* detail may quote client input: keep only what JSON can carry */
  json_t *d = json_string(detail);
  json_object_set_new(p, "detail", d ? d : json_string("invalid input"));
  json_object_set_new(p, "errors", errors ? errors : json_array());
  return reply_dump(r, status, "application/problem+json", p);
}

int ltvd_problem(struct ltvd_req *r, int status, const char *detail_fmt, ...)
{
  char detail[512];
  va_list ap;

  va_start(ap, detail_fmt);
  vsnprintf(detail, sizeof detail, detail_fmt, ap);
  va_end(ap);
  return ltvd_problem_errors_new(r, status, detail, NULL);
}

int ltvd_problem_field(struct ltvd_req *r, int status, const char *field, const char *fmt, ...)
{
  char detail[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  json_t *errors = json_array();
  json_array_append_new(errors, ltvd_field_error(field, -1, "%s", detail));
  return ltvd_problem_errors_new(r, status, detail, errors);
}

/* Which field a constraint guards, for conflict and reference errors. */
static const struct {
  const char *constraint;
  const char *field;
} constraint_fields[] = {
    {"customers_external_id", "external_id"},
    {"deals_external_id_key", "external_id"},
    {"products_pkey", "key"},
    {"business_units_pkey", "key"},
    {"pipelines_pkey", "key"},
    {"products_business_unit_fkey", "business_unit"},
    {"deals_customer_id_fkey", "customer_id"},
    {"deals_product_fkey", "product"},
    {"deals_pipeline_stage_fkey", "stage"},
    {"mrr_lines_customer_id_fkey", "customer_id"},
    {"mrr_lines_product_fkey", "product"},
    {"signals_customer_id_fkey", "customer_id"},
    {"signals_product_fkey", "product"},
    {"signals_source_event_id_key", "event_id"},
};

static const char *constraint_field(const char *constraint)
{
  for (size_t i = 0; i < sizeof constraint_fields / sizeof *constraint_fields; i++)
    if (strcmp(constraint_fields[i].constraint, constraint) == 0)
      return constraint_fields[i].field;
  return "";
}

int ltvd_reply_db_error(struct ltvd_req *r)
{
  const char *field = constraint_field(ltvd_db_last_constraint());
  json_t *errors = json_array();

  switch (ltvd_db_last_error()) {
  case LTVD_DB_CONNECTION:
    json_decref(errors);
    return ltvd_problem(r, 503, "the database is unavailable; retry shortly");
  case LTVD_DB_UNIQUE:
    json_array_append_new(errors, ltvd_field_error(field, -1, "is already taken"));
    return ltvd_problem_errors_new(r, 409, "a resource with this value already exists",
                                   errors);
  case LTVD_DB_FOREIGN_KEY:
    json_array_append_new(errors, ltvd_field_error(field, -1, "refers to nothing known"));
    return ltvd_problem_errors_new(r, 422, "a referenced resource does not exist", errors);
  case LTVD_DB_CHECK:
    json_array_append_new(errors, ltvd_field_error(field, -1, "is out of range"));
    return ltvd_problem_errors_new(r, 422, "a value is out of range", errors);
  case LTVD_DB_SERIALIZATION:
    json_decref(errors);
    return ltvd_problem(r, 503, "the request conflicted with concurrent changes; retry");
  default:
    json_decref(errors);
    return ltvd_problem(r, 500, "an internal error occurred (request %s)", r->request_id);
  }
}

bool ltvd_req_if_match(struct ltvd_req *r, int64_t current_version)
{
  const char *h = ltvd_req_header(r, "If-Match");
  char want[32];

  if (h == NULL)
    return true;
  etag(current_version, want);
  /* a list of entity tags, weak ones compared weakly */
  char *copy = strdup(h), *save = NULL;
  bool ok = false;
  for (char *tok = strtok_r(copy, ", \t", &save); tok && !ok;
       tok = strtok_r(NULL, ", \t", &save)) {
    if (strncmp(tok, "W/", 2) == 0)
      tok += 2;
    ok = strcmp(tok, "*") == 0 || strcmp(tok, want) == 0;
  }
  free(copy);
  if (!ok)
    ltvd_problem(r, 412, "If-Match %s does not match the current version %s", h, want);
  return ok;
}

bool ltvd_req_version_matches(struct ltvd_req *r, int64_t current_version)
{
  json_t *v = json_object_get(r->json, "version");

  if (v == NULL || json_integer_value(v) == current_version)
    return true;
  ltvd_problem(r, 412, "version %lld is not the current version %lld",
               (long long) json_integer_value(v), (long long) current_version);
  return false;
}
