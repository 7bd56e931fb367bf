/* The deals resource (SPEC section 3, contract of issue 3): list, create (with an imported
 * created_at and stage history), get, merge patch, delete, stage history, read and upsert
 * by external id, and all-or-nothing batches.
 *
 * Checks come in two rounds. What needs no database (types, ranges, key forms, the shape
 * and order of an imported history) is checked first, for every input. What needs the
 * database (does the customer, pipeline, stage, product exist; what state has the stage)
 * is answered by the write statement itself, which writes nothing when a reference is
 * missing; the rules that depend on the stage's state (closed_at, the end of an imported
 * history) are then checked on the written row. Any failure answers 422, which rolls the
 * request's transaction back, so a rejected write never shows. */
#include "ltvd/deals.h"

#include <stdlib.h>
#include <string.h>

#include "ltvd/batch.h"
#include "ltvd/clock.h"
#include "ltvd/customers.h"
#include "ltvd/db.h"
#include "ltvd/deals_db.h"
#include "ltvd/paging.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define MAX_HISTORY 1000
#define TIMESTAMP_FORM "a timestamp YYYY-MM-DDTHH:MM:SS[.ffffff]Z"

static const char *const revenue_types[] = {"one_time", "recurring", NULL};

const struct ltvd_field ltvd_deal_fields[] = {
    {"external_id", LTVD_F_STRING, LTVD_NULLABLE, 0, 255, NULL},
    LTVD_CUSTOMER_REFERENCE_FIELDS,
    {"pipeline", LTVD_F_STRING, LTVD_REQUIRED, 1, LTVD_KEY_MAX, NULL},
    {"stage", LTVD_F_STRING, LTVD_NULLABLE, 1, LTVD_KEY_MAX, NULL},
    {"product", LTVD_F_STRING, LTVD_NULLABLE, 0, LTVD_KEY_MAX, NULL},
    {"revenue_type", LTVD_F_ENUM, 0, 0, 0, revenue_types},
    {"amount", LTVD_F_MONEY, 0, 0, 0, NULL},
    {"mrr", LTVD_F_MONEY, LTVD_NULLABLE, 0, 0, NULL},
    {"expected_close_date", LTVD_F_DATE, LTVD_NULLABLE, 0, 0, NULL},
    {"closed_at", LTVD_F_DATE, LTVD_NULLABLE, 0, 0, NULL},
    {"contract_end_date", LTVD_F_DATE, LTVD_NULLABLE, 0, 0, NULL},
    {"id", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"currency", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"updated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"version", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Checked by hand: created_at and stage_history exist only on creation. */
static const char *const create_extras[] = {"created_at", "stage_history", NULL};
static const char *const patch_extras[] = {"created_at", "stage_history", "version", NULL};
static const char *const key_fields[] = {"pipeline", "stage", "product", NULL};

/* A create or replace input that passed the checks needing no database. */
struct input {
  const json_t *json;
  json_t *record;           /* the writable fields (owned) */
  const char *customer_ext; /* customer_external_id, or NULL */
  const json_t *history;    /* the imported stage history, or NULL */
  char created_at[32];      /* the given created_at, else the server's timestamp */
  bool created_given;
};

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* True when s is YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z; out (27 bytes) then receives
 * "YYYY-MM-DDTHH:MM:SS.ffffff", which orders as the instants do. */
static bool canonical_timestamp(const char *s, char out[27])
{
  size_t n = strlen(s);
  char date[11];

  if (n < 20 || n > 27 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[n - 1] != 'Z')
    return false;
  memcpy(date, s, 10);
  date[10] = '\0';
  if (!ltvd_valid_date(date))
    return false;
  for (int i = 11; i < 19; i++)
    if (i != 13 && i != 16 && !is_digit(s[i]))
      return false;
  if ((s[11] - '0') * 10 + (s[12] - '0') > 23 || s[14] > '5' || s[17] > '5')
    return false;
  if (n > 20 && (s[19] != '.' || n == 21))
    return false;
  for (size_t i = 20; i + 1 < n; i++)
    if (!is_digit(s[i]))
      return false;
  memcpy(out, s, 19);
  out[19] = '.';
  for (size_t i = 0; i < 6; i++)
    out[20 + i] = 20 + i + 1 < n ? s[20 + i] : '0';
  out[26] = '\0';
  return true;
}

static int add_error(json_t *errors, const char *field, long index, const char *message)
{
  json_array_append_new(errors, ltvd_field_error(field, index, "%s", message));
  return 1;
}

/* pipeline, stage and product must have the form of a key (a non-empty string). */
static int check_keys(const json_t *in, long index, json_t *errors)
{
  int n = 0;

  for (const char *const *f = key_fields; *f; f++) {
    json_t *v = json_object_get(in, *f);
    if (json_is_string(v) && json_string_length(v) > 0 && !ltvd_valid_key(json_string_value(v)))
      n += add_error(errors, *f, index,
                     "must be a key: a letter or digit, then up to 99 letters, digits, "
                     "'_', '.' or '-'");
  }
  return n;
}

/* Exactly one of customer_id and customer_external_id (when required, or when both). */
static int check_customer_ref(const json_t *in, bool required, long index, json_t *errors)
{
  bool has_id = json_object_get(in, "customer_id") != NULL;
  bool has_ext = json_object_get(in, "customer_external_id") != NULL;

  if ((has_id && has_ext) || (required && !has_id && !has_ext))
    return add_error(errors, has_id ? "customer_external_id" : "customer_id", index,
                     "give exactly one of customer_id and customer_external_id");
  return 0;
}

static int check_created_at(const json_t *v, long index, json_t *errors, char canon[27])
{
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_string(v) || !canonical_timestamp(json_string_value(v), canon))
    return add_error(errors, "created_at", index, "must be " TIMESTAMP_FORM);
  return 0;
}

/* One entry of an imported history: {stage, entered_at}; canon receives its instant. */
static int check_history_entry(const json_t *e, size_t i, long index, json_t *errors,
                               char canon[27])
{
  char field[96];
  const char *name;
  json_t *v;
  int n = 0;

  snprintf(field, sizeof field, "stage_history[%zu]", i);
  if (!json_is_object(e))
    return add_error(errors, field, index, "must be an object {stage, entered_at}");
  json_object_foreach((json_t *)e, name, v)
  {
    if (strcmp(name, "stage") != 0 && strcmp(name, "entered_at") != 0) {
      snprintf(field, sizeof field, "stage_history[%zu].%.30s", i, name);
      n += add_error(errors, field, index, "is not a known field");
    }
  }
  v = json_object_get(e, "stage");
  snprintf(field, sizeof field, "stage_history[%zu].stage", i);
  if (!json_is_string(v) || !ltvd_valid_key(json_string_value(v)))
    n += add_error(errors, field, index, "must be the key of a stage of the deal's pipeline");
  v = json_object_get(e, "entered_at");
  snprintf(field, sizeof field, "stage_history[%zu].entered_at", i);
  if (!json_is_string(v) || !canonical_timestamp(json_string_value(v), canon))
    n += add_error(errors, field, index, "must be " TIMESTAMP_FORM);
  return n;
}

/* The imported history's shape and order: 1..MAX_HISTORY entries, entered_at
 * non-decreasing, the first not before created_at (canonical). */
static int check_history(const json_t *h, const char *created, long index, json_t *errors)
{
  char prev[27] = "", canon[27], field[48];
  size_t i;
  json_t *e;
  int n = 0;

  if (h == NULL || json_is_null(h))
    return 0;
  if (!json_is_array(h) || json_array_size(h) == 0 || json_array_size(h) > MAX_HISTORY)
    return add_error(errors, "stage_history", index,
                     "must be an array of 1 to 1000 entries {stage, entered_at}");
  json_array_foreach(h, i, e)
  {
    if (check_history_entry(e, i, index, errors, canon)) {
      n++;
      prev[0] = '\0';
      continue;
    }
    snprintf(field, sizeof field, "stage_history[%zu]", i);
    if (i == 0 && created[0] && strcmp(canon, created) < 0)
      n += add_error(errors, field, index, "is entered before the deal's created_at");
    else if (i > 0 && prev[0] && strcmp(canon, prev) < 0)
      n += add_error(errors, field, index, "is entered before the entry preceding it");
    memcpy(prev, canon, sizeof prev);
  }
  return n;
}

/* Empty optional texts are stored as null. */
static void normalise(json_t *rec)
{
  static const char *const optional_texts[] = {"external_id", "product", NULL};

  for (const char *const *f = optional_texts; *f; f++) {
    json_t *v = json_object_get(rec, *f);
    if (json_is_string(v) && json_string_length(v) == 0)
      json_object_set_new(rec, *f, json_null());
  }
}

json_t *ltvd_deal_record_new(const json_t *in)
{
  json_t *rec = json_object();

  for (int i = 0; i < LTVD_DEAL_N_WRITABLE; i++) {
    json_t *v = json_object_get(in, ltvd_deal_writable[i]);
    json_object_set(rec, ltvd_deal_writable[i], v ? v : json_null());
  }
  if (json_is_null(json_object_get(rec, "revenue_type")))
    json_object_set_new(rec, "revenue_type", json_string("one_time"));
  if (json_is_null(json_object_get(rec, "amount")))
    json_object_set_new(rec, "amount", json_integer(0));
  normalise(rec);
  return rec;
}

/* The checks of a create input that need no database; the number of errors appended.
 * created (when not NULL) receives the given created_at, else the server's timestamp. */
static int check_create(const json_t *in, long index, json_t *errors, char created[32])
{
  char canon[27] = "", now[32];
  const json_t *given = json_object_get(in, "created_at");
  const json_t *history = json_object_get(in, "stage_history");
  int n = ltvd_validate(in, ltvd_deal_fields, create_extras, LTVD_VALIDATE_CREATE, index, errors);

  n += check_keys(in, index, errors);
  n += check_customer_ref(in, true, index, errors);
  n += check_created_at(given, index, errors, canon);
  bool absent = given == NULL || json_is_null(given);
  bool need_now = created || (absent && history && !json_is_null(history));

  if (need_now)
    ltvd_clock_timestamp(now);
  /* without created_at the deal is created now, and a history must not start before */
  if (absent && need_now)
    canonical_timestamp(now, canon);
  if (created)
    snprintf(created, 32, "%s", !absent && canon[0] ? json_string_value(given) : now);
  return n + check_history(history, canon, index, errors);
}

int ltvd_deal_check(const json_t *in, long index, json_t *errors)
{
  return check_create(in, index, errors, NULL);
}

/* Checks a create or replace input as far as no database is needed and fills out; returns
 * the number of errors appended (out->record is set only when there are none). */
static int check_input(const json_t *in, long index, json_t *errors, struct input *out)
{
  const json_t *history = json_object_get(in, "stage_history");

  memset(out, 0, sizeof *out);
  out->json = in;
  int n = check_create(in, index, errors, out->created_at);
  if (n)
    return n;
  out->created_given = json_is_string(json_object_get(in, "created_at"));
  out->record = ltvd_deal_record_new(in);
  out->customer_ext = json_string_value(json_object_get(in, "customer_external_id"));
  out->history = json_is_array(history) ? history : NULL;
  return 0;
}

static bool given_date(const json_t *in, const char *name)
{
  return json_is_string(json_object_get(in, name));
}

static const char *customer_field(const json_t *in)
{
  return json_object_get(in, "customer_external_id") ? "customer_external_id" : "customer_id";
}

/* The errors of references the write did not find. */
static int judge_refs(const struct ltvd_deal_refs *refs, const struct ltvd_deal_expect *x,
                      long index, json_t *errors)
{
  char field[48], msg[300];
  size_t i;
  json_t *v;
  int n = 0;

  if (!refs->customer)
    n += add_error(errors, x->customer_field, index, "refers to no customer");
  if (!refs->pipeline) {
    n += add_error(errors, "pipeline", index, "refers to no pipeline");
  } else if (refs->stage == NULL && (x->stage_given || x->stage == NULL)) {
    n += add_error(errors, "stage", index, "refers to no stage of the pipeline");
  } else if (refs->stage == NULL) {
    snprintf(msg, sizeof msg,
             "the deal's stage %s is not a stage of the new pipeline; "
             "give a stage of it",
             x->stage);
    n += add_error(errors, "stage", index, msg);
  }
  if (!refs->product)
    n += add_error(errors, "product", index, "refers to no product");
  json_array_foreach(refs->unknown_history, i, v)
  {
    snprintf(field, sizeof field, "stage_history[%lld].stage", (long long)json_integer_value(v));
    n += add_error(errors, field, index, "refers to no stage of the deal's pipeline");
  }
  return n;
}

/* The errors of the rules that depend on the state of the written row's stage. */
static int judge_rules(const struct ltvd_deal_refs *refs, const struct ltvd_deal_expect *x,
                       long index, json_t *errors)
{
  bool open = refs->state && strcmp(refs->state, "open") == 0;
  const char *closed = refs->closed, *created = refs->created, *stage = refs->stage;
  char field[48], msg[300];
  int n = 0;

  if (open && x->closed_given)
    n += add_error(errors, "closed_at", index, "must be null while the deal is in an open stage");
  if (!open && x->closed_cleared)
    n += add_error(errors, "closed_at", index,
                   "cannot be cleared while the deal is in a won or lost stage");
  if (closed && strncmp(closed, created, 10) < 0) {
    snprintf(msg, sizeof msg, "must not be before %.10s, the date of created_at", created);
    n += add_error(errors, "closed_at", index, msg);
  }
  if (x->history_len == 0)
    return n;
  snprintf(field, sizeof field, "stage_history[%zu]", x->history_len - 1);
  if (strcmp(x->last_stage, stage) != 0) {
    snprintf(msg, sizeof msg, "must be the deal's current stage %s", stage);
    n += add_error(errors, field, index, msg);
  } else if (!open && closed && strncmp(x->last_entered, closed, 10) != 0) {
    snprintf(msg, sizeof msg, "must be entered on the deal's closed_at %s", closed);
    n += add_error(errors, field, index, msg);
  }
  return n;
}

int ltvd_deal_judge(const struct ltvd_deal_refs *refs, const struct ltvd_deal_expect *x, long index,
                    json_t *errors)
{
  int n = judge_refs(refs, x, index, errors);

  return refs->written ? n + judge_rules(refs, x, index, errors) : n;
}

/* The errors of a write statement's result `res` against what x expects; sets *conflict
 * when nothing was written although every reference exists. */
static int verify(const PGresult *res, const struct ltvd_deal_expect *x, long index, json_t *errors,
                  bool *conflict)
{
  struct ltvd_deal_refs refs;

  ltvd_db_deal_refs(res, &refs);
  int n = ltvd_deal_judge(&refs, x, index, errors);
  json_decref(refs.unknown_history);
  *conflict = !refs.written && n == 0;
  return n;
}

/* The last entry of an imported history, as x needs it (nothing when history is NULL). */
static void expect_history(struct ltvd_deal_expect *x, const json_t *history)
{
  json_t *last = json_array_get(history, json_array_size(history) - 1);

  x->history_len = json_array_size(history);
  x->last_stage = json_string_value(json_object_get(last, "stage"));
  x->last_entered = json_string_value(json_object_get(last, "entered_at"));
}

enum outcome { WRITTEN, INVALID, CONFLICT, FAILED };

/* Creates the deal of input in; *res receives the written row. */
static enum outcome create_deal(PGconn *c, const struct input *in, long index, json_t *errors,
                                PGresult **res)
{
  json_t *stage = json_object_get(in->record, "stage");
  struct ltvd_deal_expect x = {.closed_given = given_date(in->json, "closed_at"),
                               .stage_given = json_is_string(stage),
                               .stage = json_string_value(stage),
                               .customer_field = customer_field(in->json)};
  bool conflict;
  char now[32];

  if (in->history)
    expect_history(&x, in->history);

  if (in->created_given)
    ltvd_clock_timestamp(now);
  else
    memcpy(now, in->created_at, sizeof now);
  *res = ltvd_db_deal_create(c, in->record, in->customer_ext, in->created_at, now, in->history);
  if (*res == NULL)
    return FAILED;
  int n = verify(*res, &x, index, errors, &conflict);
  if (n == 0 && !conflict)
    return WRITTEN;
  PQclear(*res);
  *res = NULL;
  return n ? INVALID : CONFLICT;
}

/* Writes record over deal id and checks the result against x. */
static enum outcome update_deal(PGconn *c, int64_t id, const json_t *record,
                                const struct ltvd_deal_expect *x, long index, json_t *errors,
                                PGresult **res)
{
  bool conflict;

  *res = ltvd_db_deal_update(c, id, record);
  if (*res == NULL)
    return FAILED;
  int n = verify(*res, x, index, errors, &conflict);
  if (n == 0 && !conflict)
    return WRITTEN;
  PQclear(*res);
  *res = NULL;
  return n ? INVALID : CONFLICT;
}

/* An outcome turned INVALID because an error was found before the write. */
static enum outcome invalid_after(enum outcome o, PGresult **res)
{
  if (o == WRITTEN) {
    PQclear(*res);
    *res = NULL;
  }
  return o == FAILED ? FAILED : INVALID;
}

/* Replaces every writable field of the locked deal `current` by input in (an imported
 * created_at or history does not apply to an existing deal). */
static enum outcome replace_deal(PGconn *c, const PGresult *current, const struct input *in,
                                 long index, json_t *errors, PGresult **res)
{
  size_t before = json_array_size(errors);
  int64_t customer = ltvd_db_customer_resolve(c, in->json, index, errors);
  json_t *stage = json_object_get(in->record, "stage");
  struct ltvd_deal_expect x = {.closed_given = given_date(in->json, "closed_at"),
                               .stage_given = json_is_string(stage),
                               .stage = json_string_value(stage),
                               .customer_field = customer_field(in->json)};

  if (customer < 0)
    return FAILED;
  json_t *rec = json_deep_copy(in->record);
  /* an unknown customer is reported; the write still runs to find the other errors */
  if (customer == 0)
    customer = strtoll(ltvd_db_deal_text(current, 0, LTVD_DEAL_CUSTOMER), NULL, 10);
  json_object_set_new(rec, "customer_id", json_integer(customer));
  enum outcome o = update_deal(c, ltvd_db_deal_id(current, 0), rec, &x, index, errors, res);
  json_decref(rec);
  return json_array_size(errors) > before ? invalid_after(o, res) : o;
}

/* Creates, or replaces the live deal holding the input's external_id (also when a
 * concurrent request created it first). *created tells which. */
static enum outcome upsert_deal(PGconn *c, const struct input *in, long index, json_t *errors,
                                PGresult **res, bool *created)
{
  const char *ext = json_string_value(json_object_get(in->record, "external_id"));

  for (int attempt = 0; attempt < 2; attempt++) {
    PGresult *cur = ltvd_db_deal_get_external(c, ext, true);
    if (cur == NULL)
      return FAILED;
    if (PQntuples(cur) == 1) {
      enum outcome o = replace_deal(c, cur, in, index, errors, res);
      PQclear(cur);
      *created = false;
      return o;
    }
    PQclear(cur);
    *created = true;
    enum outcome o = create_deal(c, in, index, errors, res);
    if (o != CONFLICT)
      return o;
  }
  /* a deal of an archived customer holds the external id */
  add_error(errors, "external_id", index, "is held by a deal of an archived customer");
  return CONFLICT;
}

static int reply_deal(struct ltvd_req *r, int status, PGresult *res)
{
  int64_t id = ltvd_db_deal_id(res, 0);

  if (status == 201)
    ltvd_reply_header(r, "Location", "/v1/deals/%lld", (long long)id);
  json_t *body = ltvd_db_deal_json(res, 0, r->cfg->currency);
  int64_t version = ltvd_db_deal_version(res, 0);

  PQclear(res);
  return ltvd_reply_resource_new(r, status, version, body);
}

static int invalid(struct ltvd_req *r, json_t *errors, const char *what)
{
  return ltvd_problem_errors_new(r, 422, what, errors);
}

/* The reply for an outcome other than WRITTEN; errors is consumed. */
static int reply_failure(struct ltvd_req *r, enum outcome o, json_t *errors, const char *what)
{
  if (o == INVALID)
    return invalid(r, errors, what);
  if (o == CONFLICT) {
    if (json_array_size(errors) == 0)
      json_array_append_new(errors, ltvd_field_error("external_id", -1, "is already taken"));
    return ltvd_problem_errors_new(r, 409, "a deal with this external_id already exists", errors);
  }
  json_decref(errors);
  return ltvd_reply_db_error(r);
}

/* --- list --- */

static int filter_date(struct ltvd_req *r, const char *name, const char **out)
{
  *out = ltvd_req_query(r, name);
  if (*out && !ltvd_valid_date(*out))
    return ltvd_problem_field(r, 400, name, "must be a date YYYY-MM-DD");
  return 0;
}

int ltvd_api_deals_list(struct ltvd_req *r)
{
  struct ltvd_deal_filter f = {0};
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse(r, &page)))
    return status;
  f.after = page.after;
  f.limit = page.limit;
  const char *customer = ltvd_req_query(r, "customer_id");
  if (customer && (customer[0] < '1' || customer[0] > '9' ||
                   !ltvd_parse_int64(customer, 1, LTVD_MONEY_MAX, &f.customer_id)))
    return ltvd_problem_field(r, 400, "customer_id", "must be a positive integer");
  f.status = ltvd_req_query(r, "status");
  if (f.status && strcmp(f.status, "open") != 0 && strcmp(f.status, "won") != 0 &&
      strcmp(f.status, "lost") != 0)
    return ltvd_problem_field(r, 400, "status", "must be one of open, won, lost");
  f.pipeline = ltvd_req_query(r, "pipeline");
  f.stage = ltvd_req_query(r, "stage");
  f.product = ltvd_req_query(r, "product");
  if ((status = filter_date(r, "closed_from", &f.closed_from)) ||
      (status = filter_date(r, "closed_to", &f.closed_to)) ||
      (status = filter_date(r, "expected_close_from", &f.expected_from)) ||
      (status = filter_date(r, "expected_close_to", &f.expected_to)))
    return status;
  PGresult *res = ltvd_db_deal_list(r->db, &f);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > page.limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < page.limit; i++)
    json_array_append_new(results, ltvd_db_deal_json(res, i, r->cfg->currency));
  int64_t last = more ? ltvd_db_deal_id(res, page.limit - 1) : 0;
  PQclear(res);
  return ltvd_reply_json_new(r, 200, ltvd_paging_wrap_new(results, more, last));
}

/* --- create, read, delete, history --- */

int ltvd_api_deals_create(struct ltvd_req *r)
{
  json_t *errors = json_array();
  struct input in;
  PGresult *res;

  if (check_input(r->json, -1, errors, &in))
    return invalid(r, errors, "the deal is invalid");
  enum outcome o = create_deal(r->db, &in, -1, errors, &res);
  json_decref(in.record);
  if (o != WRITTEN)
    return reply_failure(r, o, errors, "the deal is invalid");
  json_decref(errors);
  return reply_deal(r, 201, res);
}

static int reply_found(struct ltvd_req *r, PGresult *res, const char *missing)
{
  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) == 0) {
    PQclear(res);
    return ltvd_problem(r, 404, "%s", missing);
  }
  return reply_deal(r, 200, res);
}

int ltvd_api_deals_get(struct ltvd_req *r)
{
  int64_t id;
  int status;

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  return reply_found(r, ltvd_db_deal_get(r->db, id, false), "the deal does not exist");
}

int ltvd_api_deals_get_external(struct ltvd_req *r)
{
  return reply_found(r, ltvd_db_deal_get_external(r->db, r->params[0], false),
                     "no deal has this external_id");
}

int ltvd_api_deals_delete(struct ltvd_req *r)
{
  int64_t id;
  int status;

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  PGresult *res = ltvd_db_deal_get(r->db, id, true);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  bool found = PQntuples(res) == 1;
  int64_t current = found ? ltvd_db_deal_version(res, 0) : 0;
  PQclear(res);
  if (!found)
    return ltvd_problem(r, 404, "deal %lld does not exist", (long long)id);
  if (!ltvd_req_if_match(r, current))
    return r->status;
  if ((res = ltvd_db_deal_delete(r->db, id)) == NULL)
    return ltvd_reply_db_error(r);
  PQclear(res);
  return ltvd_reply_empty(r, 204);
}

int ltvd_api_deals_history(struct ltvd_req *r)
{
  int64_t id;
  int status;

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  PGresult *res = ltvd_db_deal_history(r->db, id);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) == 0) {
    PQclear(res);
    return ltvd_problem(r, 404, "deal %lld does not exist", (long long)id);
  }
  json_t *results = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    if (!PQgetisnull(res, i, 0))
      json_array_append_new(results, json_pack("{s:s, s:s}", "stage", PQgetvalue(res, i, 0),
                                               "entered_at", PQgetvalue(res, i, 1)));
  PQclear(res);
  return ltvd_reply_json_new(r, 200, json_pack("{s:o}", "results", results));
}

/* --- patch --- */

static int check_patch(const json_t *patch, json_t *errors)
{
  int n = ltvd_validate(patch, ltvd_deal_fields, patch_extras, LTVD_VALIDATE_PATCH, -1, errors);
  json_t *v = json_object_get(patch, "version");

  if (v && !json_is_integer(v))
    n += add_error(errors, "version", -1, "must be an integer");
  if (json_object_get(patch, "stage") && json_is_null(json_object_get(patch, "stage")))
    n += add_error(errors, "stage", -1, "must not be null");
  for (const char *const *f = create_extras; *f; f++)
    if (json_object_get(patch, *f))
      n += add_error(errors, *f, -1, "can only be given when the deal is created");
  n += check_keys(patch, -1, errors);
  return n + check_customer_ref(patch, false, -1, errors);
}

/* The record of the locked deal `current` with the patch applied (customer resolved);
 * NULL after a database error. */
static json_t *patched_record(struct ltvd_req *r, const PGresult *current, json_t *errors)
{
  json_t *rec = ltvd_db_deal_record(current, 0);
  const char *key;
  json_t *v;

  json_object_foreach(r->json, key, v)
  {
    if (json_object_get(rec, key) && strcmp(key, "customer_id") != 0)
      json_object_set(rec, key, v);
  }
  normalise(rec);
  /* the statement keeps the stored closed_at while the stage stays; a new stage wants
   * only a date the patch gives */
  if (json_object_get(r->json, "closed_at") == NULL)
    json_object_set_new(rec, "closed_at", json_null());
  if (json_object_get(r->json, "customer_id") || json_object_get(r->json, "customer_external_id")) {
    int64_t customer = ltvd_db_customer_resolve(r->db, r->json, -1, errors);
    if (customer < 0) {
      json_decref(rec);
      return NULL;
    }
    if (customer > 0)
      json_object_set_new(rec, "customer_id", json_integer(customer));
  }
  return rec;
}

int ltvd_api_deals_patch(struct ltvd_req *r)
{
  int64_t id;
  int status;

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  PGresult *cur = ltvd_db_deal_get(r->db, id, true);
  if (cur == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(cur) == 0) {
    PQclear(cur);
    return ltvd_problem(r, 404, "deal %lld does not exist", (long long)id);
  }
  json_t *errors = json_array();
  if (check_patch(r->json, errors)) {
    PQclear(cur);
    return invalid(r, errors, "the patch is invalid");
  }
  int64_t version = ltvd_db_deal_version(cur, 0);
  /* content errors come before a failed precondition, so the write runs either way (a
   * failure rolls it back); a failed precondition leaves its 412 in r meanwhile */
  bool precondition = ltvd_req_if_match(r, version) && ltvd_req_version_matches(r, version);
  json_t *rec = patched_record(r, cur, errors);
  PQclear(cur);
  if (rec == NULL) {
    json_decref(errors);
    return ltvd_reply_db_error(r);
  }
  json_t *closed = json_object_get(r->json, "closed_at");
  json_t *stage = json_object_get(rec, "stage");
  struct ltvd_deal_expect x = {.closed_given = json_is_string(closed),
                               .closed_cleared = closed && json_is_null(closed),
                               .stage_given = json_object_get(r->json, "stage") != NULL,
                               .stage = json_string_value(stage),
                               .customer_field = customer_field(r->json)};
  PGresult *res;
  size_t before = json_array_size(errors);
  enum outcome o = update_deal(r->db, id, rec, &x, -1, errors, &res);
  json_decref(rec);
  if (before > 0)
    o = invalid_after(o, &res);
  if (o == INVALID || (precondition && o != WRITTEN))
    return reply_failure(r, o, errors, "the patch is invalid");
  json_decref(errors);
  if (!precondition) { /* r holds the 412 made above */
    if (res)
      PQclear(res);
    return r->status;
  }
  return reply_deal(r, 200, res);
}

/* --- external id: read and upsert --- */

static int check_path_external_id(const char *ext, const json_t *in, json_t *errors)
{
  json_t *given = json_object_get(in, "external_id");
  long len = ltvd_utf8_length(ext, strlen(ext));

  if (len < 1 || len > 255)
    return add_error(errors, "external_id", -1, "must be 1 to 255 characters long");
  if (json_is_string(given) && strcmp(json_string_value(given), ext) != 0)
    return add_error(errors, "external_id", -1, "must match the external_id in the path");
  return 0;
}

int ltvd_api_deals_put_external(struct ltvd_req *r)
{
  const char *ext = r->params[0];
  json_t *errors = json_array();
  struct input in;
  PGresult *res;
  bool created = false;
  enum outcome o;

  int n = check_input(r->json, -1, errors, &in);
  n += check_path_external_id(ext, r->json, errors);
  if (n) {
    json_decref(in.record);
    return invalid(r, errors, "the deal is invalid");
  }
  json_object_set_new(in.record, "external_id", json_string(ext));
  if (ltvd_req_header(r, "If-Match")) {
    /* a precondition on a deal that does not exist fails (RFC 9110, 13.1.1) */
    PGresult *cur = ltvd_db_deal_get_external(r->db, ext, true);
    if (cur == NULL) {
      o = FAILED;
    } else if (PQntuples(cur) == 0) {
      PQclear(cur);
      json_decref(in.record);
      json_decref(errors);
      return ltvd_problem(r, 412, "If-Match given but no deal has this external_id");
    } else {
      int64_t version = ltvd_db_deal_version(cur, 0);
      o = replace_deal(r->db, cur, &in, -1, errors, &res);
      PQclear(cur);
      if (o == WRITTEN && !ltvd_req_if_match(r, version)) {
        PQclear(res);
        json_decref(in.record);
        json_decref(errors);
        return r->status;
      }
    }
  } else {
    o = upsert_deal(r->db, &in, -1, errors, &res, &created);
  }
  json_decref(in.record);
  if (o != WRITTEN)
    return reply_failure(r, o, errors, "the deal is invalid");
  json_decref(errors);
  return reply_deal(r, created ? 201 : 200, res);
}

/* --- batch --- */

/* True (with an error) when input i repeats the external_id of an earlier input. */
static bool repeats_external_id(const json_t *inputs, size_t i, json_t *errors)
{
  const char *a = json_string_value(json_object_get(json_array_get(inputs, i), "external_id"));

  for (size_t k = 0; a && *a && k < i; k++) {
    const char *b = json_string_value(json_object_get(json_array_get(inputs, k), "external_id"));
    if (b && strcmp(a, b) == 0) {
      json_array_append_new(errors, ltvd_field_error("external_id", (long)i,
                                                     "repeats the external_id of input %zu", k));
      return true;
    }
  }
  return false;
}

struct indexed {
  json_t *error;
  size_t position;
};

static int by_index(const void *pa, const void *pb)
{
  const struct indexed *a = pa, *b = pb;
  json_int_t ia = json_integer_value(json_object_get(a->error, "index"));
  json_int_t ib = json_integer_value(json_object_get(b->error, "index"));

  if (ia != ib)
    return ia < ib ? -1 : 1;
  return a->position < b->position ? -1 : a->position > b->position;
}

/* errors (new reference) in input order, each input's errors in the order found. */
static json_t *sorted_by_index(json_t *errors)
{
  size_t n = json_array_size(errors);
  struct indexed *all = calloc(n ? n : 1, sizeof *all);
  json_t *out = json_array();

  if (all == NULL)
    abort();
  for (size_t i = 0; i < n; i++)
    all[i] = (struct indexed){json_array_get(errors, i), i};
  qsort(all, n, sizeof *all, by_index);
  for (size_t i = 0; i < n; i++)
    json_array_append(out, all[i].error);
  free(all);
  return out;
}

/* Writes every checked input (all of them, so that every failing one is named); the
 * results in input order, or NULL after an error reply was made. */
static json_t *write_inputs(struct ltvd_req *r, struct input *inputs, size_t n, json_t *errors)
{
  json_t *results = json_array();
  bool invalid_seen = json_array_size(errors) > 0, conflict_seen = false;

  for (size_t i = 0; i < n; i++) {
    PGresult *res = NULL;
    bool created;
    enum outcome o;
    if (inputs[i].record == NULL)
      continue;
    if (json_is_null(json_object_get(inputs[i].record, "external_id")))
      o = create_deal(r->db, &inputs[i], (long)i, errors, &res);
    else
      o = upsert_deal(r->db, &inputs[i], (long)i, errors, &res, &created);
    if (o == FAILED) {
      json_decref(results);
      ltvd_reply_db_error(r);
      return NULL;
    }
    invalid_seen |= o == INVALID;
    conflict_seen |= o == CONFLICT;
    if (o == WRITTEN) {
      json_array_append_new(results, ltvd_db_deal_json(res, 0, r->cfg->currency));
      PQclear(res);
    }
  }
  if (!invalid_seen && !conflict_seen)
    return results;
  json_decref(results);
  /* content errors (422) come before conflicts (409) */
  reply_failure(r, invalid_seen ? INVALID : CONFLICT, sorted_by_index(errors),
                "some inputs are invalid; nothing was written");
  return NULL;
}

int ltvd_api_deals_batch(struct ltvd_req *r)
{
  json_t *inputs = ltvd_batch_inputs(r);

  if (inputs == NULL)
    return r->status;
  json_t *errors = json_array();
  size_t i, n = json_array_size(inputs);
  json_t *in;

  struct input *checked = calloc(n, sizeof *checked);
  if (checked == NULL)
    abort();
  json_array_foreach(inputs, i, in)
  {
    if (!json_is_object(in)) {
      json_array_append_new(errors, ltvd_field_error("", (long)i, "must be an object"));
    } else if (check_input(in, (long)i, errors, &checked[i]) +
               repeats_external_id(inputs, i, errors)) {
      json_decref(checked[i].record);
      checked[i].record = NULL;
    }
  }
  json_t *results = write_inputs(r, checked, n, errors);
  for (i = 0; i < n; i++)
    json_decref(checked[i].record);
  free(checked);
  json_decref(errors);
  if (results == NULL)
    return r->status;
  return ltvd_reply_json_new(r, 200, json_pack("{s:o}", "results", results));
}
