/* MRR lines (SPEC section 3): a customer's month replaced as a whole, the lines of a
 * month range, and batches upserted by (customer, product, month). */
#include <stdlib.h>
#include <string.h>

#include "ltvd/batch.h"
#include "ltvd/clock.h"
#include "ltvd/customers.h"
#include "ltvd/db.h"
#include "ltvd/revenue.h"
#include "ltvd/revenue_db.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define MAX_LINES 1000

static const struct ltvd_field month_fields[] = {
    {"lines", LTVD_F_ARRAY, LTVD_REQUIRED, 0, 0, NULL},
    {"customer_id", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"month", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"currency", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct ltvd_field line_fields[] = {
    {"product", LTVD_F_STRING, LTVD_REQUIRED, 1, 100, NULL},
    {"mrr", LTVD_F_MONEY, LTVD_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct ltvd_field ltvd_mrr_line_fields[] = {
    LTVD_CUSTOMER_REFERENCE_FIELDS,
    {"product", LTVD_F_STRING, LTVD_REQUIRED, 1, 100, NULL},
    {"month", LTVD_F_STRING, LTVD_REQUIRED, 7, 7, NULL},
    {"mrr", LTVD_F_MONEY, LTVD_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int ltvd_mrr_line_check(const json_t *in, long index, json_t *errors)
{
  int n = ltvd_validate(in, ltvd_mrr_line_fields, NULL, LTVD_VALIDATE_CREATE, index, errors);
  json_t *month = json_object_get(in, "month");

  if (json_is_string(month) && json_string_length(month) == 7 &&
      !ltvd_valid_month(json_string_value(month))) {
    json_array_append_new(errors, ltvd_field_error("month", index, "must be a month YYYY-MM"));
    n++;
  }
  return n;
}

static int invalid(struct ltvd_req *r, json_t *errors, const char *what)
{
  return ltvd_problem_errors_new(r, 422, what, errors);
}

/* Appends the errors of `from` to `to` with their fields as "lines[i].<field>". */
static void append_line_errors(json_t *from, size_t i, json_t *to)
{
  size_t k;
  json_t *e;

  json_array_foreach(from, k, e) {
    const char *f = json_string_value(json_object_get(e, "field"));
    json_object_set_new(e, "field", f && *f ? json_sprintf("lines[%zu].%s", i, f)
                                            : json_sprintf("lines[%zu]", i));
    json_array_append(to, e);
  }
}

/* missing[i] (n of them) tells whether the product of items[i] (member "product") is a
 * string that names no product; NULL on a database error. */
static bool *products_missing(PGconn *c, const json_t *items)
{
  size_t i, n = json_array_size(items);
  json_t *keys = json_array(), *item;
  bool *missing = calloc(n ? n : 1, sizeof *missing);

  if (missing == NULL)
    abort();
  json_array_foreach(items, i, item) {
    json_t *p = json_object_get(item, "product");
    json_array_append_new(keys, json_string(json_is_string(p) ? json_string_value(p) : ""));
  }
  bool ok = n == 0 || ltvd_db_products_missing(c, keys, missing);
  json_decref(keys);
  json_array_foreach(items, i, item) {
    missing[i] = missing[i] && json_is_string(json_object_get(item, "product"));
  }
  if (!ok) {
    free(missing);
    return NULL;
  }
  return missing;
}

/* Validates the lines of a month body; false on a database error. */
static bool check_lines(PGconn *c, const json_t *lines, json_t *errors)
{
  size_t i;
  json_t *line;
  char field[64];

  if (json_array_size(lines) > MAX_LINES) {
    json_array_append_new(errors, ltvd_field_error("lines", -1, "must hold at most %d lines",
                                                   MAX_LINES));
    return true;
  }
  bool *missing = products_missing(c, lines);
  if (missing == NULL)
    return false;
  json_array_foreach(lines, i, line) {
    json_t *own = json_array();
    if (!json_is_object(line))
      json_array_append_new(own, ltvd_field_error("", -1, "must be an object"));
    else
      ltvd_validate(line, line_fields, NULL, LTVD_VALIDATE_CREATE, -1, own);
    bool fine = json_array_size(own) == 0;
    append_line_errors(own, i, errors);
    json_decref(own);
    if (!fine)
      continue;
    snprintf(field, sizeof field, "lines[%zu].product", i);
    if (missing[i])
      json_array_append_new(errors, ltvd_field_error(field, -1, "refers to no product"));
    for (size_t k = 0; k < i; k++)
      if (json_equal(json_object_get(json_array_get(lines, k), "product"),
                     json_object_get(line, "product"))) {
        json_array_append_new(errors, ltvd_field_error(field, -1,
                                                       "repeats the product of lines[%zu]", k));
        break;
      }
  }
  free(missing);
  return true;
}

static json_t *month_json(struct ltvd_req *r, int64_t id, const char *month, PGresult *res)
{
  json_t *lines = json_array();

  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(lines, json_pack("{s:s, s:I}", "product", PQgetvalue(res, i, 0),
                                           "mrr", (json_int_t) strtoll(PQgetvalue(res, i, 1),
                                                                       NULL, 10)));
  return json_pack("{s:I, s:s, s:s, s:o}", "customer_id", (json_int_t) id, "month", month,
                   "currency", r->cfg->currency, "lines", lines);
}

int ltvd_api_mrr_put_month(struct ltvd_req *r)
{
  int64_t id;
  int status;
  const char *month = r->params[1];

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  if (!ltvd_valid_month(month))
    return ltvd_problem_field(r, 400, "month", "the month in the path must be YYYY-MM");
  /* the lock orders concurrent replacements of the customer's months */
  if ((status = ltvd_api_customer_live(r, id, true)))
    return status;
  json_t *errors = json_array();
  json_t *lines = json_object_get(r->json, "lines");
  if (ltvd_validate(r->json, month_fields, NULL, LTVD_VALIDATE_CREATE, -1, errors) == 0 &&
      !check_lines(r->db, lines, errors)) {
    json_decref(errors);
    return ltvd_reply_db_error(r);
  }
  if (json_array_size(errors) > 0)
    return invalid(r, errors, "the MRR lines are invalid; nothing was written");
  json_decref(errors);
  if (!ltvd_db_mrr_replace_month(r->db, id, month, lines))
    return ltvd_reply_db_error(r);
  PGresult *res = ltvd_db_mrr_month(r->db, id, month);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  json_t *body = month_json(r, id, month, res);
  PQclear(res);
  return ltvd_reply_json_new(r, 200, body);
}

int ltvd_api_mrr_list(struct ltvd_req *r)
{
  int64_t id;
  int status;
  const char *from = ltvd_req_query(r, "from"), *to = ltvd_req_query(r, "to");

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  if (from && !ltvd_valid_month(from))
    return ltvd_problem_field(r, 400, "from", "must be a month YYYY-MM");
  if (to && !ltvd_valid_month(to))
    return ltvd_problem_field(r, 400, "to", "must be a month YYYY-MM");
  if (from && to && strcmp(from, to) > 0)
    return ltvd_problem_field(r, 400, "from", "must not be after to (%s)", to);
  if ((status = ltvd_api_customer_live(r, id, false)))
    return status;
  PGresult *res = ltvd_db_mrr_list(r->db, id, from, to);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  json_t *results = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(results,
                          json_pack("{s:s, s:s, s:I}", "month", PQgetvalue(res, i, 0),
                                    "product", PQgetvalue(res, i, 1), "mrr",
                                    (json_int_t) strtoll(PQgetvalue(res, i, 2), NULL, 10)));
  PQclear(res);
  return ltvd_reply_json_new(r, 200,
                             json_pack("{s:I, s:s, s:o}", "customer_id", (json_int_t) id,
                                       "currency", r->cfg->currency, "results", results));
}

static bool same_key(const json_t *a, const json_t *b)
{
  return json_equal(json_object_get(a, "customer_id"), json_object_get(b, "customer_id")) &&
         json_equal(json_object_get(a, "product"), json_object_get(b, "product")) &&
         json_equal(json_object_get(a, "month"), json_object_get(b, "month"));
}

/* Validates batch input i (lines holds the earlier inputs' lines, {} for invalid ones)
 * and appends its line; false on a database error. */
static bool check_batch_input(PGconn *c, const json_t *in, size_t i, bool missing,
                              json_t *lines, json_t *errors)
{
  long index = (long) i;
  json_t *line = json_object();

  json_array_append_new(lines, line);
  if (!json_is_object(in)) {
    json_array_append_new(errors, ltvd_field_error("", index, "must be an object"));
    return true;
  }
  size_t before = json_array_size(errors);
  ltvd_mrr_line_check(in, index, errors);
  json_t *month = json_object_get(in, "month");
  json_t *product = json_object_get(in, "product");
  long product_len = json_is_string(product) ? ltvd_utf8_length(json_string_value(product),
                                                                  json_string_length(product))
                                             : -1;
  if (missing && product_len >= 1 && product_len <= 100)
    json_array_append_new(errors, ltvd_field_error("product", index, "refers to no product"));
  json_t *cid = json_object_get(in, "customer_id");
  json_t *ext = json_object_get(in, "customer_external_id");
  if ((cid && !json_is_integer(cid)) || (ext && !json_is_string(ext)))
    return true; /* the type errors are reported already */
  int64_t id = ltvd_db_customer_resolve(c, in, index, errors);
  if (id < 0)
    return false;
  if (json_array_size(errors) > before)
    return true;
  json_object_set_new(line, "customer_id", json_integer(id));
  json_object_set(line, "product", json_object_get(in, "product"));
  json_object_set(line, "month", month);
  json_object_set(line, "mrr", json_object_get(in, "mrr"));
  for (size_t k = 0; k < i; k++)
    if (same_key(json_array_get(lines, k), line)) {
      json_array_append_new(errors,
                            ltvd_field_error("month", index,
                                             "repeats the customer, product and month of "
                                             "input %zu",
                                             k));
      break;
    }
  return true;
}

int ltvd_api_mrr_batch(struct ltvd_req *r)
{
  json_t *inputs = ltvd_batch_inputs(r);

  if (inputs == NULL)
    return r->status;
  json_t *errors = json_array();
  size_t i;
  json_t *in;

  bool *missing = products_missing(r->db, inputs);
  bool ok = missing != NULL;
  json_t *lines = json_array();
  json_array_foreach(inputs, i, in) {
    if (!ok || !check_batch_input(r->db, in, i, missing[i], lines, errors)) {
      ok = false;
      break;
    }
  }
  free(missing);
  if (!ok || json_array_size(errors) > 0) {
    json_decref(lines);
    if (ok)
      return invalid(r, errors, "some inputs are invalid; nothing was written");
    json_decref(errors);
    return ltvd_reply_db_error(r);
  }
  json_decref(errors);
  if (!ltvd_db_mrr_upsert(r->db, lines)) {
    json_decref(lines);
    return ltvd_reply_db_error(r);
  }
  return ltvd_reply_json_new(r, 200, json_pack("{s:s, s:o}", "currency", r->cfg->currency,
                                               "results", lines));
}
