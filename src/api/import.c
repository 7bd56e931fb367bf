/* Bulk import (SPEC section 6): POST /v1/import/{kind} with a CSV (RFC 4180, header row)
 * or NDJSON body, all rows or none.
 *
 * Each row becomes the JSON object the API would have been sent: a CSV cell is typed by
 * its column's field (an integer column's "12" is 12, a properties cell is parsed as
 * JSON, an empty cell is an absent field), so the resource's own checks judge it and
 * answer with its own words; a cell that is not of its column's type stays a string and
 * draws the API's type error. The checks that need no database run here, row by row,
 * while the good rows stream by COPY into a temporary staging table; the checks that
 * need the database (live customers, known products, keys repeated inside the file) and
 * the upsert are then a few set-based statements, so the cost per row is that of COPY.
 * Deals go as a single deal write goes: written first, then every row judged on what
 * the write found and wrote, by the function that judges POST /v1/deals.
 * Any error leaves the transaction to be rolled back: nothing is written. */
#include "ltvd/import.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ltvd/csv.h"
#include "ltvd/customers.h"
#include "ltvd/db.h"
#include "ltvd/deals.h"
#include "ltvd/revenue.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define MAX_ERRORS 100
#define COPY_FLUSH (256 * 1024)
#define STOP 1 /* a parse callback's return that ends the parse */

struct kind {
  const char *name;
  enum ltvd_import_kind db;
  const struct ltvd_field *fields;
  const struct ltvd_field *extra; /* columns the resource checks by hand, or NULL */
  int (*check)(const json_t *in, long row, json_t *errors);
  json_t *(*record_new)(const json_t *in);
};

/* A signal's value is typed by its type, so its table leaves it out. */
static const struct ltvd_field signal_extra[] = {
    {"value", LTVD_F_NUMBER, LTVD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* A deal's create-only fields, and its external_id: the key of the upsert, required. */
static const struct ltvd_field deal_extra[] = {
    {"created_at", LTVD_F_STRING, LTVD_NULLABLE, 0, 0, NULL},
    {"stage_history", LTVD_F_ARRAY, LTVD_NULLABLE, 0, 0, NULL},
    {"external_id", LTVD_F_STRING, LTVD_REQUIRED, 1, 255, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static bool has(const json_t *in, const char *name)
{
  json_t *v = json_object_get(in, name);
  return v && !json_is_null(v);
}

/* The API's rule for a reference: exactly one of customer_id and customer_external_id
 * (ltvd_db_customer_resolve), once both are of the right type. */
static int check_reference(const json_t *in, long row, json_t *errors)
{
  json_t *id = json_object_get(in, "customer_id");
  json_t *ext = json_object_get(in, "customer_external_id");

  if ((id && !json_is_integer(id) && !json_is_null(id)) ||
      (ext && !json_is_string(ext) && !json_is_null(ext)))
    return 0;
  bool has_id = has(in, "customer_id");
  if (has_id != has(in, "customer_external_id"))
    return 0;
  json_array_append_new(errors,
                        ltvd_field_error(has_id ? "customer_external_id" : "customer_id", row,
                                         "give exactly one of customer_id and "
                                         "customer_external_id"));
  return 1;
}

static int add_error_new(json_t *errors, json_t *error)
{
  json_array_append_new(errors, error);
  return 1;
}

static int mrr_check(const json_t *in, long row, json_t *errors)
{
  return ltvd_mrr_line_check(in, row, errors) + check_reference(in, row, errors);
}

static json_t *mrr_record_new(const json_t *in)
{
  return json_deep_copy(in);
}

static int signal_check(const json_t *in, long row, json_t *errors)
{
  return ltvd_signal_check(in, row, errors) + check_reference(in, row, errors);
}

/* A deal row: what POST /v1/deals accepts, with an external_id. */
static int deal_check(const json_t *in, long row, json_t *errors)
{
  json_t *ext = json_object_get(in, "external_id");
  int n = ltvd_deal_check(in, row, errors);

  if (ext == NULL || json_is_null(ext) || (json_is_string(ext) && json_string_length(ext) == 0))
    n += add_error_new(
        errors, ltvd_field_error("external_id", row, "is required: an import upserts deals by it"));
  return n;
}

/* The record of a create, with what a create takes besides: the customer's external id,
 * created_at and stage_history (null when absent). */
static json_t *deal_record_new(const json_t *in)
{
  static const char *const also[] = {"customer_external_id", "created_at", "stage_history", NULL};
  json_t *rec = ltvd_deal_record_new(in);

  for (const char *const *f = also; *f; f++) {
    json_t *v = json_object_get(in, *f);
    json_object_set(rec, *f, v ? v : json_null());
  }
  return rec;
}

static const struct kind kinds[] = {
    {"customers", LTVD_IMPORT_CUSTOMERS, ltvd_customer_fields, NULL, ltvd_customer_check,
     ltvd_customer_record_new},
    {"deals", LTVD_IMPORT_DEALS, ltvd_deal_fields, deal_extra, deal_check, deal_record_new},
    {"mrr", LTVD_IMPORT_MRR, ltvd_mrr_line_fields, NULL, mrr_check, mrr_record_new},
    {"signals", LTVD_IMPORT_SIGNALS, ltvd_signal_fields, signal_extra, signal_check,
     ltvd_signal_record_new},
};

static const struct ltvd_field *field_in(const struct ltvd_field *fields, const char *name)
{
  for (const struct ltvd_field *f = fields; f && f->name; f++)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

static const struct ltvd_field *field_of(const struct kind *k, const char *name)
{
  const struct ltvd_field *f = field_in(k->fields, name);

  return f ? f : field_in(k->extra, name);
}

struct import {
  struct ltvd_req *r;
  const struct kind *kind;
  const char *const *columns;
  char **header;
  const struct ltvd_field **types;
  size_t n_header;
  long row; /* data rows read */
  int64_t staged;
  json_t *errors;
  char *copy;
  size_t copy_len, copy_cap;
  bool db_failed;
};

/* Errors go through here so that at most MAX_ERRORS are kept; true while there is
 * room for more. */
static bool keep_errors(struct import *im, json_t *own)
{
  size_t i;
  json_t *e;

  json_array_foreach(own, i, e)
  {
    if (json_array_size(im->errors) < MAX_ERRORS)
      json_array_append(im->errors, e);
  }
  json_decref(own);
  return json_array_size(im->errors) < MAX_ERRORS;
}

/* --- COPY text format --- */

static void copy_put(struct import *im, const char *s, size_t n)
{
  if (im->copy_len + n > im->copy_cap) {
    im->copy_cap = (im->copy_len + n) * 2;
    im->copy = realloc(im->copy, im->copy_cap);
    if (im->copy == NULL)
      abort();
  }
  memcpy(im->copy + im->copy_len, s, n);
  im->copy_len += n;
}

static void copy_text(struct import *im, const char *s, size_t n)
{
  size_t from = 0;

  for (size_t i = 0; i < n; i++) {
    const char *esc = s[i] == '\\'   ? "\\\\"
                      : s[i] == '\t' ? "\\t"
                      : s[i] == '\n' ? "\\n"
                      : s[i] == '\r' ? "\\r"
                                     : NULL;
    if (esc) {
      copy_put(im, s + from, i - from);
      copy_put(im, esc, 2);
      from = i + 1;
    }
  }
  copy_put(im, s + from, n - from);
}

static void copy_value(struct import *im, const json_t *v)
{
  char buf[64];
  int n;

  switch (json_typeof(v)) {
  case JSON_STRING:
    copy_text(im, json_string_value(v), json_string_length(v));
    return;
  case JSON_INTEGER:
    n = snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    copy_put(im, buf, (size_t)n);
    return;
  case JSON_REAL:
    n = snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
    copy_put(im, buf, (size_t)n);
    return;
  case JSON_OBJECT:
  case JSON_ARRAY: {
    char *text = json_dumps(v, JSON_COMPACT);
    copy_text(im, text, strlen(text));
    free(text);
    return;
  }
  default:
    copy_put(im, "\\N", 2);
  }
}

static void flush(struct import *im)
{
  if (!im->db_failed && im->copy_len > 0 && !ltvd_db_copy_put(im->r->db, im->copy, im->copy_len))
    im->db_failed = true;
  im->copy_len = 0;
}

static void stage(struct import *im, const json_t *record)
{
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%ld", im->row);

  copy_put(im, buf, (size_t)n);
  for (const char *const *c = im->columns; *c; c++) {
    json_t *v = json_object_get(record, *c);
    copy_put(im, "\t", 1);
    copy_value(im, v ? v : json_null());
  }
  copy_put(im, "\n", 1);
  im->staged++;
  if (im->copy_len >= COPY_FLUSH)
    flush(im);
}

/* One row as the API would have been sent it (stolen): checked, then staged. */
static int take_row(struct import *im, json_t *in, json_t *own)
{
  if (json_array_size(own) == 0 && im->kind->check(in, im->row, own) == 0) {
    json_t *record = im->kind->record_new(in);
    stage(im, record);
    json_decref(record);
  }
  json_decref(in);
  return keep_errors(im, own) ? 0 : STOP;
}

/* --- CSV --- */

static json_t *typed_cell(const struct ltvd_field *f, const char *s)
{
  char *end;

  switch (f->type) {
  case LTVD_F_INTEGER:
  case LTVD_F_MONEY:
  case LTVD_F_NUMBER: {
    errno = 0;
    long long i = strtoll(s, &end, 10);
    if (*end == '\0' && errno == 0 && strspn(s, "-0123456789") == strlen(s))
      return json_integer(i);
    if (f->type != LTVD_F_NUMBER)
      break;
    double d = strtod(s, &end);
    if (*end == '\0' && isfinite(d) && strspn(s, "+-.0123456789eE") == strlen(s))
      return json_real(d);
    break;
  }
  case LTVD_F_OBJECT:
  case LTVD_F_ARRAY: {
    json_t *v = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    if (v)
      return v;
    break;
  }
  default:
    break;
  }
  return json_string(s);
}

static bool header_ok(struct import *im, char **fields, size_t n)
{
  json_t *own = json_array();

  im->header = calloc(n, sizeof *im->header);
  im->types = calloc(n, sizeof *im->types);
  if (im->header == NULL || im->types == NULL)
    abort();
  im->n_header = n;
  for (size_t i = 0; i < n; i++) {
    im->header[i] = strdup(fields[i]);
    const struct ltvd_field *f = field_of(im->kind, fields[i]);
    im->types[i] = f;
    if (f == NULL || (f->flags & LTVD_READONLY))
      json_array_append_new(
          own, ltvd_field_error(fields[i], -1, f ? "is read-only" : "is not a column of %s imports",
                                im->kind->name));
    for (size_t k = 0; k < i; k++)
      if (strcmp(fields[i], fields[k]) == 0) {
        json_array_append_new(own, ltvd_field_error(fields[i], -1, "is a column twice"));
        break;
      }
  }
  for (int t = 0; t < 2; t++)
    for (const struct ltvd_field *f = t ? im->kind->extra : im->kind->fields; f && f->name; f++) {
      bool found = false;
      for (size_t i = 0; i < n && !found; i++)
        found = strcmp(im->header[i], f->name) == 0;
      if ((f->flags & LTVD_REQUIRED) && !found)
        json_array_append_new(own, ltvd_field_error(f->name, -1, "is a required column"));
    }
  bool ok = json_array_size(own) == 0;
  keep_errors(im, own);
  return ok;
}

static int csv_record(void *ctx, char **fields, size_t n, uint64_t end)
{
  struct import *im = ctx;

  if (im->header == NULL)
    return header_ok(im, fields, n) ? 0 : STOP;
  im->row++;
  json_t *own = json_array(), *in = json_object();
  if (n != im->n_header) {
    json_array_append_new(
        own,
        ltvd_field_error("", im->row, "has %zu fields where the header has %zu", n, im->n_header));
    return take_row(im, in, own);
  }
  for (size_t i = 0; i < n; i++) {
    if (fields[i][0] == '\0')
      continue; /* an empty cell is an absent field */
    if (ltvd_utf8_length(fields[i], strlen(fields[i])) < 0)
      json_array_append_new(own, ltvd_field_error(im->header[i], im->row, "is not valid UTF-8"));
    else
      json_object_set_new(in, im->header[i], typed_cell(im->types[i], fields[i]));
  }
  return take_row(im, in, own);
}

static void read_csv(struct import *im)
{
  struct ltvd_csv p;

  ltvd_csv_init(&p, csv_record, im);
  int rc = ltvd_csv_feed(&p, im->r->body, im->r->body_len);
  if (rc == 0)
    rc = ltvd_csv_finish(&p);
  if (rc == LTVD_CSV_SYNTAX)
    json_array_append_new(im->errors,
                          ltvd_field_error("", im->row + 1, "is not valid CSV: %s", p.error));
  else if (rc == 0 && im->header == NULL)
    json_array_append_new(im->errors, ltvd_field_error("", -1, "the CSV has no header row"));
  ltvd_csv_free(&p);
}

/* --- NDJSON --- */

static void read_ndjson(struct import *im)
{
  size_t pos = 0, n;
  const char *line;
  json_error_t err;

  while (ltvd_ndjson_next(im->r->body, im->r->body_len, &pos, &line, &n)) {
    im->row++;
    json_t *own = json_array();
    json_t *in = json_loadb(line, n, JSON_REJECT_DUPLICATES, &err);
    if (in == NULL)
      json_array_append_new(own, ltvd_field_error("", im->row, "is not valid JSON: %s", err.text));
    else if (!json_is_object(in))
      json_array_append_new(own, ltvd_field_error("", im->row, "must be an object"));
    if (take_row(im, in ? in : json_object(), own) == STOP)
      return;
  }
}

/* --- the reply --- */

static long row_of(const json_t *e)
{
  json_t *i = json_object_get(e, "index");
  return json_is_integer(i) ? (long)json_integer_value(i) : 0;
}

static int by_row(const void *a, const void *b)
{
  long x = row_of(*(json_t *const *)a), y = row_of(*(json_t *const *)b);
  return x < y ? -1 : x > y;
}

/* The errors by row (header errors first), at most MAX_ERRORS, with "index" named
 * "row" (new reference). */
static json_t *errors_by_row(json_t *errors)
{
  size_t n = json_array_size(errors);
  json_t **all = calloc(n ? n : 1, sizeof *all);
  json_t *out = json_array();

  if (all == NULL)
    abort();
  for (size_t i = 0; i < n; i++)
    all[i] = json_array_get(errors, i);
  qsort(all, n, sizeof *all, by_row); /* rows come in order per source: merge, in effect */
  for (size_t i = 0; i < n && i < MAX_ERRORS; i++) {
    json_t *e = json_deep_copy(all[i]);
    json_t *index = json_object_get(e, "index");
    if (index) {
      json_object_set(e, "row", index);
      json_object_del(e, "index");
    }
    json_array_append_new(out, e);
  }
  free(all);
  return out;
}

/* Adds the staged rows' database errors; false on a database error. */
static bool check_staged(struct import *im)
{
  PGresult *res = ltvd_db_import_problems(im->r->db, im->kind->db, MAX_ERRORS);

  if (res == NULL)
    return false;
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(im->errors, ltvd_field_error(PQgetvalue(res, i, 1),
                                                       strtol(PQgetvalue(res, i, 0), NULL, 10),
                                                       "%s", PQgetvalue(res, i, 2)));
  PQclear(res);
  return true;
}

/* Writes the staged deals and judges every row by the rules of a single deal write,
 * adding its errors; false on a database error. */
static bool write_deals(struct import *im, struct ltvd_import_counts *counts)
{
  struct ltvd_import_deals facts;
  struct ltvd_deal_refs refs;
  struct ltvd_deal_expect x;
  bool held;
  int cursor = 0;

  if (!ltvd_db_import_deals_apply(im->r->db, &facts, counts))
    return false;
  json_t *own = json_array();
  for (int i = 0; i < PQntuples(facts.rows) && json_array_size(im->errors) < MAX_ERRORS; i++) {
    long row = ltvd_db_import_deal_facts(&facts, i, &cursor, &refs, &x, &held);
    if (held)
      add_error_new(
          own, ltvd_field_error("external_id", row, "is held by a deal of an archived customer"));
    if (ltvd_deal_judge(&refs, &x, row, own) + held > 0) {
      keep_errors(im, own);
      own = json_array();
    }
    json_decref(refs.unknown_history);
  }
  json_decref(own);
  ltvd_db_import_deals_free(&facts);
  return true;
}

static const struct kind *kind_named(const char *name)
{
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    if (strcmp(kinds[i].name, name) == 0)
      return &kinds[i];
  return NULL;
}

/* "text/csv", "application/x-ndjson" (parameters such as charset aside), else NULL. */
static const char *media_type(struct ltvd_req *r)
{
  static const char *const types[] = {"text/csv", "application/x-ndjson"};
  const char *h = ltvd_req_header(r, "Content-Type");

  for (size_t i = 0; h && i < 2; i++) {
    size_t n = strlen(types[i]);
    if (strncasecmp(h, types[i], n) == 0 && (h[n] == '\0' || h[n] == ';' || h[n] == ' '))
      return types[i];
  }
  return NULL;
}

static int run(struct import *im, bool csv)
{
  struct ltvd_req *r = im->r;
  struct ltvd_import_counts counts = {0};

  if (!ltvd_db_import_begin(r->db, im->kind->db))
    return ltvd_reply_db_error(r);
  if (csv)
    read_csv(im);
  else
    read_ndjson(im);
  flush(im);
  if (!ltvd_db_copy_end(r->db, !im->db_failed))
    return ltvd_reply_db_error(r);
  if (json_array_size(im->errors) < MAX_ERRORS && im->staged > 0 && !check_staged(im))
    return ltvd_reply_db_error(r);
  /* deals are judged on their write, which a refused import rolls back */
  bool deals = im->kind->db == LTVD_IMPORT_DEALS;
  if (deals && json_array_size(im->errors) < MAX_ERRORS && im->staged > 0 &&
      !write_deals(im, &counts))
    return ltvd_reply_db_error(r);
  if (json_array_size(im->errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the import holds invalid rows; nothing was written",
                                   errors_by_row(im->errors));
  if (deals)
    counts.skipped = im->staged - counts.inserted - counts.updated;
  else if (!ltvd_db_import_apply(r->db, im->kind->db, im->staged, &counts))
    return ltvd_reply_db_error(r);
  return ltvd_reply_json_new(r, 200,
                             json_pack("{s:I, s:I, s:I}", "inserted", (json_int_t)counts.inserted,
                                       "updated", (json_int_t)counts.updated, "skipped",
                                       (json_int_t)counts.skipped));
}

int ltvd_api_import(struct ltvd_req *r)
{
  const struct kind *kind = kind_named(r->params[0]);
  const char *type = media_type(r);

  if (kind == NULL)
    return ltvd_problem(r, 404, "there is no import of %s; kinds: customers, deals, mrr, signals",
                        r->params[0]);
  if (type == NULL)
    return ltvd_problem(r, 415,
                        "an import takes Content-Type text/csv or "
                        "application/x-ndjson");
  struct import im = {
      .r = r, .kind = kind, .columns = ltvd_db_import_columns(kind->db), .errors = json_array()};
  int status = run(&im, strcmp(type, "text/csv") == 0);
  for (size_t i = 0; i < im.n_header; i++)
    free(im.header[i]);
  free(im.header);
  free(im.types);
  free(im.copy);
  json_decref(im.errors);
  return status;
}
