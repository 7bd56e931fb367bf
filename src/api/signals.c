/* Engagement signals (SPEC section 3): one or a batch stored, each answered as stored,
 * unmatched (its customer_external_id names no live customer yet) or duplicate (its
 * (source, event_id) was stored before); lists of all signals and of a customer's. */
#include <stdlib.h>
#include <string.h>

#include "ltvd/batch.h"
#include "ltvd/clock.h"
#include "ltvd/customers.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/revenue.h"
#include "ltvd/revenue_db.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define NPS_MAX 10

static const char *const signal_types[] = {"email_open", "email_click", "web_visit",
                                           "meeting", "call", "support_ticket", "usage",
                                           "feature_interest", "nps", NULL};

const struct ltvd_field ltvd_signal_fields[] = {
    LTVD_CUSTOMER_REFERENCE_FIELDS,
    {"type", LTVD_F_ENUM, LTVD_REQUIRED, 0, 0, signal_types},
    {"occurred_at", LTVD_F_STRING, LTVD_REQUIRED, 1, 32, NULL},
    {"product", LTVD_F_STRING, LTVD_NULLABLE, 0, 100, NULL},
    {"source", LTVD_F_STRING, LTVD_NULLABLE, 1, 100, NULL},
    {"event_id", LTVD_F_STRING, LTVD_NULLABLE, 0, 255, NULL},
    {"id", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* value depends on type: checked by check_value */
static const char *const checked_apart[] = {"value", NULL};

static bool digits(const char *s, int n)
{
  for (int i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

bool ltvd_valid_timestamp(const char *s)
{
  char date[11];
  size_t n = s ? strlen(s) : 0;

  if (n < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
    return false;
  memcpy(date, s, 10);
  date[10] = '\0';
  if (!ltvd_valid_date(date) || !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2))
    return false;
  if (atoi(s + 11) > 23 || atoi(s + 14) > 59 || atoi(s + 17) > 59)
    return false;
  const char *p = s + 19;
  if (*p == '.') {
    size_t f = strspn(p + 1, "0123456789");
    if (f < 1 || f > 6)
      return false;
    p += 1 + f;
  }
  return strcmp(p, "Z") == 0;
}

static bool has(const json_t *in, const char *name)
{
  json_t *v = json_object_get(in, name);
  return v && !json_is_null(v);
}

static bool known_type(const char *type)
{
  for (const char *const *t = signal_types; *t; t++)
    if (strcmp(*t, type) == 0)
      return true;
  return false;
}

/* The rules that depend on the type: value and product. */
static int check_type_rules(const json_t *in, long index, json_t *errors)
{
  const char *type = json_string_value(json_object_get(in, "type"));
  json_t *value = json_object_get(in, "value");
  const char *msg = NULL;

  if (type == NULL || !known_type(type)) { /* reported already; value can only be checked
                                              for being a number */
    if (has(in, "value") && !json_is_number(value)) {
      json_array_append_new(errors, ltvd_field_error("value", index, "must be a number"));
      return 1;
    }
    return 0;
  }
  if (strcmp(type, "usage") == 0) {
    if (!has(in, "value"))
      msg = "is required for type usage";
    else if (!json_is_number(value) || !(json_number_value(value) >= 0))
      msg = "must be a number of at least 0 for type usage";
  } else if (strcmp(type, "nps") == 0) {
    if (!has(in, "value"))
      msg = "is required for type nps";
    else if (!json_is_integer(value) || json_integer_value(value) < 0 ||
             json_integer_value(value) > NPS_MAX)
      msg = "must be an integer from 0 to 10 for type nps";
  } else if (has(in, "value")) {
    msg = "must be absent or null for this type";
  }
  int n = 0;
  if (msg) {
    json_array_append_new(errors, ltvd_field_error("value", index, "%s", msg));
    n++;
  }
  json_t *product = json_object_get(in, "product");
  if (strcmp(type, "feature_interest") == 0 &&
      !(json_is_string(product) && json_string_length(product) > 0)) {
    json_array_append_new(errors, ltvd_field_error("product", index,
                                                   "is required for type feature_interest"));
    n++;
  }
  return n;
}

static int check_fields(const json_t *in, long index, json_t *errors)
{
  int n = ltvd_validate(in, ltvd_signal_fields, checked_apart, LTVD_VALIDATE_CREATE, index, errors);
  json_t *at = json_object_get(in, "occurred_at");

  if (json_is_string(at) && json_string_length(at) > 0 && json_string_length(at) <= 32 &&
      !ltvd_valid_timestamp(json_string_value(at))) {
    json_array_append_new(errors, ltvd_field_error("occurred_at", index,
                                                   "must be a timestamp "
                                                   "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"));
    n++;
  }
  return n + check_type_rules(in, index, errors);
}

/* The record ltvd_db_signal_store takes. */
static json_t *record_new(const json_t *in)
{
  static const char *const names[] = {"customer_id", "customer_external_id", "type",
                                      "occurred_at", "value", "product", "source",
                                      "event_id"};
  json_t *rec = json_object();

  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    json_t *v = json_object_get(in, names[i]);
    bool empty = json_is_string(v) && json_string_length(v) == 0;
    json_object_set(rec, names[i], v && !empty ? v : json_null());
  }
  if (json_is_null(json_object_get(rec, "source")))
    json_object_set_new(rec, "source", json_string("api"));
  return rec;
}

int ltvd_signal_check(const json_t *in, long index, json_t *errors)
{
  return check_fields(in, index, errors);
}

json_t *ltvd_signal_record_new(const json_t *in) { return record_new(in); }

int ltvd_signal_prepare(PGconn *c, const json_t *in, long index, json_t *errors,
                        json_t **record)
{
  *record = NULL;
  if (!json_is_object(in)) {
    json_array_append_new(errors, ltvd_field_error("", index, "must be an object"));
    return 1;
  }
  size_t before = json_array_size(errors);
  check_fields(in, index, errors);
  json_t *cid = json_object_get(in, "customer_id");
  json_t *ext = json_object_get(in, "customer_external_id");
  bool typed = (!cid || json_is_integer(cid)) && (!ext || json_is_string(ext));
  /* an unknown customer_external_id keeps the signal unmatched: only resolve an id */
  if (typed && (has(in, "customer_id") || !has(in, "customer_external_id")) &&
      ltvd_db_customer_resolve(c, in, index, errors) < 0)
    return -1;
  json_t *product = json_object_get(in, "product");
  if (json_is_string(product) && json_string_length(product) > 0) {
    json_t *keys = json_pack("[O]", product);
    bool missing = false;
    bool ok = ltvd_db_products_missing(c, keys, &missing);
    json_decref(keys);
    if (!ok)
      return -1;
    long len = ltvd_utf8_length(json_string_value(product), json_string_length(product));
    if (missing && len <= 100)
      json_array_append_new(errors, ltvd_field_error("product", index, "refers to no product"));
  }
  int n = (int) (json_array_size(errors) - before);
  if (n == 0)
    *record = record_new(in);
  return n;
}

/* Stores a prepared record; the {status, signal} object, or NULL on a database error. */
static json_t *store(PGconn *c, const json_t *record, enum ltvd_signal_status *status)
{
  json_t *signal;

  *status = ltvd_db_signal_store(c, record, &signal);
  if (*status == LTVD_SIGNAL_FAILED)
    return NULL;
  return json_pack("{s:s, s:o}", "status", ltvd_signal_status_name(*status), "signal", signal);
}

int ltvd_api_signals_create(struct ltvd_req *r)
{
  json_t *errors = json_array(), *record;
  enum ltvd_signal_status status;
  int n = ltvd_signal_prepare(r->db, r->json, -1, errors, &record);

  if (n < 0) {
    json_decref(errors);
    return ltvd_reply_db_error(r);
  }
  if (n > 0)
    return ltvd_problem_errors_new(r, 422, "the signal is invalid", errors);
  json_decref(errors);
  json_t *body = store(r->db, record, &status);
  json_decref(record);
  if (body == NULL)
    return ltvd_reply_db_error(r);
  return ltvd_reply_json_new(r, status == LTVD_SIGNAL_DUPLICATE ? 200 : 201, body);
}

int ltvd_api_signals_batch(struct ltvd_req *r)
{
  json_t *inputs = ltvd_batch_inputs(r);

  if (inputs == NULL)
    return r->status;
  json_t *errors = json_array();
  size_t i;
  json_t *in, *record;
  enum ltvd_signal_status status;

  json_t *records = json_array();
  json_array_foreach(inputs, i, in) {
    int bad = ltvd_signal_prepare(r->db, in, (long) i, errors, &record);
    if (bad < 0) {
      json_decref(records);
      json_decref(errors);
      return ltvd_reply_db_error(r);
    }
    json_array_append_new(records, bad ? json_null() : record);
  }
  if (json_array_size(errors) > 0) {
    json_decref(records);
    return ltvd_problem_errors_new(r, 422, "some inputs are invalid; nothing was written",
                                   errors);
  }
  json_decref(errors);
  json_t *results = json_array();
  json_array_foreach(records, i, record) {
    json_t *result = store(r->db, record, &status);
    if (result == NULL) {
      json_decref(records);
      json_decref(results);
      return ltvd_reply_db_error(r);
    }
    json_array_append_new(results, result);
  }
  json_decref(records);
  return ltvd_reply_json_new(r, 200, json_pack("{s:o}", "results", results));
}

static int reply_list(struct ltvd_req *r, const struct ltvd_signal_filter *f)
{
  PGresult *res = ltvd_db_signal_list(r->db, f);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > f->limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < f->limit; i++)
    json_array_append_new(results, ltvd_db_signal_json(res, i));
  int64_t last = more ? ltvd_db_signal_id(res, f->limit - 1) : 0;
  PQclear(res);
  return ltvd_reply_json_new(r, 200, ltvd_paging_wrap_new(results, more, last));
}

/* Reads paging and the type filter shared by both lists; 0 or the status replied. */
static int parse_common(struct ltvd_req *r, struct ltvd_signal_filter *f)
{
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse(r, &page)))
    return status;
  f->after = page.after;
  f->limit = page.limit;
  f->unmatched = -1;
  f->type = ltvd_req_query(r, "type");
  if (f->type && !known_type(f->type))
    return ltvd_problem_field(r, 400, "type",
                              "must be one of email_open, email_click, web_visit, meeting, "
                              "call, support_ticket, usage, feature_interest, nps");
  return 0;
}

int ltvd_api_signals_list(struct ltvd_req *r)
{
  struct ltvd_signal_filter f = {0};
  int status;

  if ((status = parse_common(r, &f)))
    return status;
  const char *unmatched = ltvd_req_query(r, "unmatched");
  if (unmatched) {
    if (strcmp(unmatched, "true") != 0 && strcmp(unmatched, "false") != 0)
      return ltvd_problem_field(r, 400, "unmatched", "must be true or false");
    f.unmatched = strcmp(unmatched, "true") == 0;
  }
  const char *customer = ltvd_req_query(r, "customer_id");
  if (customer && (customer[0] < '1' || customer[0] > '9' ||
                   !ltvd_parse_int64(customer, 1, LTVD_MONEY_MAX, &f.customer_id)))
    return ltvd_problem_field(r, 400, "customer_id", "must be a positive integer");
  f.source = ltvd_req_query(r, "source");
  return reply_list(r, &f);
}

int ltvd_api_customer_signals(struct ltvd_req *r)
{
  struct ltvd_signal_filter f = {0};
  int64_t id;
  int status;

  if ((status = ltvd_req_id(r, 0, &id)) || (status = parse_common(r, &f)) ||
      (status = ltvd_api_customer_live(r, id, false)))
    return status;
  f.customer_id = id;
  return reply_list(r, &f);
}
