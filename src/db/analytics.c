/* One analytics run (see ltvd/worker.h): load a snapshot in one REPEATABLE READ
 * transaction with COPY ... TO STDOUT, compute (src/analytics/), render every document
 * and publish them in one transaction, unless newer results are already published. */
#include "ltvd/worker.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ltvd/analytics.h"
#include "ltvd/clock.h"
#include "ltvd/copy_text.h"
#include "ltvd/db.h"
#include "ltvd/json_out.h"
#include "ltvd/log.h"
#include "ltvd/opportunities.h"
#include "ltvd/util.h"

/* ---- errors ------------------------------------------------------------------- */

struct run {
  PGconn *c;
  const struct ltvd_config *cfg;
  struct ltvd_an_run_report *rep;
  struct ltvd_an_snapshot snap;
  int32_t *by_id;      /* customer id -> index, when ids are dense enough */
  int64_t by_id_len;
};

static bool fail(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct run *run, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(run->rep->error, sizeof run->rep->error, fmt, ap);
  va_end(ap);
  return false;
}

static bool exec_ok(struct run *run, const char *sql)
{
  PGresult *res = PQexec(run->c, sql);
  ExecStatusType st = PQresultStatus(res);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok)
    fail(run, "%s: %s", sql, PQerrorMessage(run->c));
  PQclear(res);
  return ok;
}

static PGresult *query(struct run *run, const char *sql, int n, const char *const *params)
{
  PGresult *res = PQexecParams(run->c, sql, n, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
    fail(run, "%.80s: %s", sql, PQerrorMessage(run->c));
    PQclear(res);
    return NULL;
  }
  return res;
}

/* ---- COPY binary rows ---------------------------------------------------------- */

/* One field of a binary COPY row: len bytes at p, len < 0 for NULL. */
struct field {
  const unsigned char *p;
  int32_t len;
};

#define MAX_FIELDS 12
typedef bool (*row_fn)(struct run *run, const struct field *f);

static uint32_t be32(const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static int64_t f_int(const struct field *f)
{
  if (f->len == 8)
    return (int64_t) ((uint64_t) be32(f->p) << 32 | be32(f->p + 4));
  if (f->len == 4)
    return (int32_t) be32(f->p);
  if (f->len == 2)
    return (int16_t) (f->p[0] << 8 | f->p[1]);
  return 0;
}

static double f_real(const struct field *f)
{
  uint64_t bits = (uint64_t) f_int(f);
  double d;
  memcpy(&d, &bits, sizeof d);
  return f->len == 8 ? d : NAN;
}

/* PostgreSQL counts dates and timestamps from 2000-01-01. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US INT64_C(946684800000000)
#define US_PER_DAY INT64_C(86400000000)

static int32_t f_day(const struct field *f)
{
  if (f->len != 4)
    return LTVD_AN_NO_DAY;
  int32_t d = (int32_t) f_int(f);
  return d == INT32_MAX || d == INT32_MIN ? LTVD_AN_NO_DAY : d + PG_EPOCH_DAYS;
}

/* A timestamptz as microseconds since 1970-01-01T00:00:00Z. */
static int64_t f_us(const struct field *f)
{
  return f_int(f) + PG_EPOCH_US;
}

static int32_t day_of_us(int64_t us)
{
  return (int32_t) (us >= 0 ? us / US_PER_DAY : -((-us - 1) / US_PER_DAY) - 1);
}

/* The text of a field into buf (NUL-terminated, cut at size - 1); NULL for SQL NULL. */
static const char *f_text(const struct field *f, char *buf, size_t size)
{
  if (f->len < 0)
    return NULL;
  size_t n = (size_t) f->len < size - 1 ? (size_t) f->len : size - 1;
  memcpy(buf, f->p, n);
  buf[n] = '\0';
  return buf;
}

/* Parses the rows of one CopyData message (the first also carries the header, the last
 * the trailer); false on malformed data. */
static bool parse_rows(struct run *run, const unsigned char *p, const unsigned char *end,
                       bool *header_seen, int nfields, row_fn fn)
{
  static const unsigned char signature[11] = "PGCOPY\n\377\r\n";
  if (!*header_seen) {
    if (end - p < 19 || memcmp(p, signature, 11) != 0)
      return fail(run, "COPY: not a binary COPY header");
    p += 19 + be32(p + 15);
    *header_seen = true;
  }
  while (end - p >= 2) {
    int16_t n = (int16_t) (p[0] << 8 | p[1]);
    p += 2;
    if (n == -1)
      return true; /* the trailer */
    if (n != nfields)
      return fail(run, "COPY: %d fields, expected %d", n, nfields);
    struct field f[MAX_FIELDS];
    for (int i = 0; i < n; i++) {
      if (end - p < 4)
        return fail(run, "COPY: truncated row");
      f[i].len = (int32_t) be32(p);
      f[i].p = p + 4;
      p += 4 + (f[i].len > 0 ? f[i].len : 0);
      if (p > end)
        return fail(run, "COPY: truncated field");
    }
    if (!fn(run, f))
      return false;
  }
  return true;
}

/* Runs sql, a COPY (...) TO STDOUT (FORMAT binary), handing each row to fn. */
static bool copy_rows(struct run *run, const char *sql, int nfields, row_fn fn)
{
  PGresult *res = PQexec(run->c, sql);
  if (PQresultStatus(res) != PGRES_COPY_OUT) {
    fail(run, "%.80s: %s", sql, PQerrorMessage(run->c));
    PQclear(res);
    return false;
  }
  PQclear(res);
  bool ok = true, header_seen = false;
  char *buf;
  int len;
  while ((len = PQgetCopyData(run->c, &buf, 0)) > 0) {
    if (ok)
      ok = parse_rows(run, (const unsigned char *) buf, (const unsigned char *) buf + len,
                      &header_seen, nfields, fn);
    PQfreemem(buf);
  }
  if (len == -2)
    ok = fail(run, "COPY: %s", PQerrorMessage(run->c));
  while ((res = PQgetResult(run->c)) != NULL) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && ok)
      ok = fail(run, "%.80s: %s", sql, PQerrorMessage(run->c));
    PQclear(res);
  }
  return ok;
}

static int64_t to_i64(const char *s)
{
  return s ? strtoll(s, NULL, 10) : 0;
}

static int32_t customer_of(struct run *run, int64_t id)
{
  if (run->by_id != NULL)
    return id > 0 && id < run->by_id_len ? run->by_id[id] : LTVD_AN_NONE;
  return ltvd_an_customer_index(&run->snap, id);
}

/* ---- loading ------------------------------------------------------------------- */

#define KEY_BUF 256

/* id, name, industry, acquisition_channel, employee_count */
static bool customer_row(struct run *run, const struct field *f)
{
  char name[1024], industry[KEY_BUF], channel[KEY_BUF];
  ltvd_an_add_customer(&run->snap, f_int(&f[0]), f_text(&f[1], name, sizeof name),
                       f_text(&f[2], industry, sizeof industry),
                       f_text(&f[3], channel, sizeof channel), f[4].len >= 0, f_int(&f[4]));
  return true;
}

/* id, customer_id, pipeline, stage, product, recurring, amount, created_at, closed_at,
 * expected_close_date, contract_end_date */
static bool deal_row(struct run *run, const struct field *f)
{
  struct ltvd_an_snapshot *s = &run->snap;
  int32_t c = customer_of(run, f_int(&f[1]));
  if (c == LTVD_AN_NONE)
    return true; /* an archived customer's */
  char pipeline[KEY_BUF], stage[KEY_BUF], product[KEY_BUF];
  int p = ltvd_an_pipeline_index(s, f_text(&f[2], pipeline, sizeof pipeline));
  int st = ltvd_an_stage_index(s, p, f_text(&f[3], stage, sizeof stage));
  if (st == LTVD_AN_NONE)
    return fail(run, "deal %lld: unknown stage %s/%s", (long long) f_int(&f[0]), pipeline, stage);
  struct ltvd_an_deal d = {
      .id = f_int(&f[0]),
      .customer = c,
      .pipeline = p,
      .stage = st,
      .product = ltvd_an_product_index(s, f_text(&f[4], product, sizeof product)),
      .recurring = f[5].len == 1 && f[5].p[0] != 0,
      .amount = f_int(&f[6]),
      .created_day = day_of_us(f_us(&f[7])),
      .closed_day = f_day(&f[8]),
      .expected_close_day = f_day(&f[9]),
      .contract_end_day = f_day(&f[10]),
  };
  ltvd_an_add_deal(s, &d);
  return true;
}

/* deal_id, pipeline, stage, entered_at, id. Rows whose deal is not loaded are dropped by
 * finish; the stage is looked up in the entry's own pipeline, the deal's. */
static bool history_row(struct run *run, const struct field *f)
{
  struct ltvd_an_snapshot *s = &run->snap;
  char pipeline[KEY_BUF], stage[KEY_BUF];
  int st = ltvd_an_stage_index(s, ltvd_an_pipeline_index(s, f_text(&f[1], pipeline, sizeof pipeline)),
                               f_text(&f[2], stage, sizeof stage));
  if (st == LTVD_AN_NONE)
    return true;
  ltvd_an_add_history_tie(s, f_int(&f[0]), st, (double) f_us(&f[3]) / (double) US_PER_DAY,
                          f_int(&f[4]));
  return true;
}

/* customer_id, product, month, mrr */
static bool mrr_row(struct run *run, const struct field *f)
{
  int32_t c = customer_of(run, f_int(&f[0]));
  if (c == LTVD_AN_NONE)
    return true;
  char product[KEY_BUF];
  ltvd_an_add_mrr(&run->snap, c, ltvd_an_month_of(f_day(&f[2])),
                  ltvd_an_product_index(&run->snap, f_text(&f[1], product, sizeof product)),
                  f_int(&f[3]));
  return true;
}

static int signal_type(const char *t)
{
  static const char *const names[LTVD_AN_SIGNAL_TYPES] = {
      "email_open", "email_click", "web_visit", "meeting", "call",
      "support_ticket", "usage", "feature_interest", "nps"};
  for (int i = 0; t != NULL && i < LTVD_AN_SIGNAL_TYPES; i++)
    if (strcmp(t, names[i]) == 0)
      return i;
  return LTVD_AN_NONE;
}

/* id, customer_id, type, occurred_at, product, value */
static bool signal_row(struct run *run, const struct field *f)
{
  char type_text[KEY_BUF], product[KEY_BUF];
  int32_t c = customer_of(run, f_int(&f[1]));
  int type = signal_type(f_text(&f[2], type_text, sizeof type_text));
  if (c == LTVD_AN_NONE || type == LTVD_AN_NONE)
    return true;
  int64_t us = f_us(&f[3]);
  struct ltvd_an_signal sig = {
      .id = f_int(&f[0]),
      .type = (enum ltvd_an_signal_type) type,
      .occurred_us = us,
      .day = day_of_us(us),
      .product = ltvd_an_product_index(&run->snap, f_text(&f[4], product, sizeof product)),
      .has_value = f[5].len >= 0,
      .value = f[5].len >= 0 ? f_real(&f[5]) : 0,
  };
  ltvd_an_add_signal(&run->snap, c, &sig);
  return true;
}

static enum ltvd_an_kind pipeline_kind(const char *k)
{
  if (strcmp(k, "upsell") == 0)
    return LTVD_AN_UPSELL;
  if (strcmp(k, "cross_sell") == 0)
    return LTVD_AN_CROSS_SELL;
  if (strcmp(k, "renewal") == 0)
    return LTVD_AN_RENEWAL;
  return LTVD_AN_NEW_BUSINESS;
}

static enum ltvd_an_state stage_state(const char *s)
{
  return strcmp(s, "won") == 0 ? LTVD_AN_WON : strcmp(s, "lost") == 0 ? LTVD_AN_LOST : LTVD_AN_OPEN;
}

/* The catalogue, settings and data version: small, read with plain queries. */
static bool load_catalogue(struct run *run)
{
  struct ltvd_an_snapshot *s = &run->snap;
  PGresult *res = query(run, "SELECT (SELECT version FROM data_version), "
                             "(SELECT data::text FROM settings)", 0, NULL);
  if (res == NULL)
    return false;
  s->data_version = to_i64(PQgetvalue(res, 0, 0));
  ltvd_an_settings_default(&s->settings);
  json_t *doc = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
  if (doc != NULL)
    ltvd_an_settings_from_json(&s->settings, doc);
  json_decref(doc);
  PQclear(res);

  if ((res = query(run, "SELECT key FROM business_units ORDER BY key COLLATE \"C\"", 0,
                   NULL)) == NULL)
    return false;
  for (int i = 0; i < PQntuples(res); i++)
    ltvd_an_add_unit(s, PQgetvalue(res, i, 0));
  PQclear(res);

  if ((res = query(run, "SELECT key, business_unit, family, tier, monthly_price, gross_margin "
                        "FROM products ORDER BY key COLLATE \"C\"", 0, NULL)) == NULL)
    return false;
  for (int i = 0; i < PQntuples(res); i++)
    ltvd_an_add_product(s, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                        (int) to_i64(PQgetvalue(res, i, 3)), to_i64(PQgetvalue(res, i, 4)),
                        PQgetisnull(res, i, 5) ? NAN : strtod(PQgetvalue(res, i, 5), NULL));
  PQclear(res);

  if ((res = query(run, "SELECT p.key, p.kind, p.seq, s.key, s.position, s.probability, s.state "
                        "FROM pipelines p JOIN pipeline_stages s ON s.pipeline = p.key "
                        "ORDER BY p.key COLLATE \"C\", s.position", 0, NULL)) == NULL)
    return false;
  int p = LTVD_AN_NONE;
  for (int i = 0; i < PQntuples(res); i++) {
    if (p == LTVD_AN_NONE || strcmp(s->pipelines[p].key, PQgetvalue(res, i, 0)) != 0)
      p = ltvd_an_add_pipeline(s, PQgetvalue(res, i, 0), pipeline_kind(PQgetvalue(res, i, 1)),
                               to_i64(PQgetvalue(res, i, 2)));
    ltvd_an_add_stage(s, p, PQgetvalue(res, i, 3), (int) to_i64(PQgetvalue(res, i, 4)),
                      strtod(PQgetvalue(res, i, 5), NULL), stage_state(PQgetvalue(res, i, 6)));
  }
  PQclear(res);
  return true;
}

static void index_customers(struct run *run)
{
  const struct ltvd_an_snapshot *s = &run->snap;
  int64_t max = s->n_customers ? s->customers[s->n_customers - 1].id : 0;
  if (max > 4 * (int64_t) s->n_customers + 1000000)
    return; /* sparse ids: binary search */
  run->by_id_len = max + 1;
  run->by_id = malloc((size_t) run->by_id_len * sizeof *run->by_id);
  if (run->by_id == NULL)
    abort();
  for (int64_t i = 0; i < run->by_id_len; i++)
    run->by_id[i] = LTVD_AN_NONE;
  for (size_t i = 0; i < s->n_customers; i++)
    run->by_id[s->customers[i].id] = (int32_t) i;
}

/* The second loader: MRR lines and signals, read on a connection of its own in the same
 * snapshot as the first (pg_export_snapshot), while the first reads deals and history:
 * PostgreSQL and the parsing work on both cores. */
struct side_load {
  struct run run;      /* its own connection and scratch snapshot; by_id shared */
  struct ltvd_an_run_report rep; /* its own error */
  const char *snapshot_id;
  char today[11];
  bool ok;
};

static void *side_load_main(void *arg)
{
  struct side_load *side = arg;
  struct run *run = &side->run;
  char sql[1024], set[160];
  snprintf(set, sizeof set, "SET TRANSACTION SNAPSHOT '%.100s'", side->snapshot_id);
  bool ok = exec_ok(run, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") && exec_ok(run, set);
  snprintf(sql, sizeof sql,
           "COPY (SELECT customer_id, product, month, mrr FROM mrr_lines WHERE month <= "
           "date_trunc('month', '%s'::date)::date) TO STDOUT (FORMAT binary)", side->today);
  ok = ok && copy_rows(run, sql, 4, mrr_row);
  snprintf(sql, sizeof sql,
           "COPY (SELECT id, customer_id, type, occurred_at, product, value "
           "FROM signals WHERE customer_id IS NOT NULL "
           "AND occurred_at < ('%s'::date + 1)::timestamp AT TIME ZONE 'UTC' "
           "AND (type = 'nps' OR occurred_at >= ('%s'::date - 89)::timestamp AT TIME ZONE 'UTC')) "
           "TO STDOUT (FORMAT binary)", side->today, side->today);
  ok = ok && copy_rows(run, sql, 6, signal_row);
  side->ok = exec_ok(run, ok ? "COMMIT" : "ROLLBACK") && ok;
  return NULL;
}

static bool load(struct run *run)
{
  struct ltvd_an_snapshot *s = &run->snap;
  char today[11], sql[1024];
  ltvd_clock_today(today);
  s->minor_per_major = ltvd_currency_minor_per_major(run->cfg->currency);
  if (!ltvd_an_parse_day(today, &s->today))
    return fail(run, "today %s is not a date", today);

  if (!exec_ok(run, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    return false;
  bool ok = load_catalogue(run) &&
            copy_rows(run, "COPY (SELECT id, name, industry, acquisition_channel, "
                           "employee_count FROM customers WHERE archived_at IS NULL "
                           "ORDER BY id) TO STDOUT (FORMAT binary)", 5, customer_row);
  if (ok)
    index_customers(run);

  /* the side loader: the catalogue and customers shared read-only, rows of its own */
  struct side_load side = {.run = {.cfg = run->cfg, .by_id = run->by_id,
                                   .by_id_len = run->by_id_len}};
  side.run.rep = &side.rep;
  struct ltvd_an_snapshot *scratch = &side.run.snap;
  scratch->n_products = s->n_products, scratch->products = s->products;
  scratch->n_customers = s->n_customers, scratch->customers = s->customers;
  memcpy(side.today, today, sizeof today);
  char err[256];
  pthread_t thread;
  bool side_started = false;
  PGresult *exported = ok ? query(run, "SELECT pg_export_snapshot()", 0, NULL) : NULL;
  if (exported != NULL) {
    side.snapshot_id = PQgetvalue(exported, 0, 0);
    side.run.c = ltvd_db_connect(run->cfg->database_url, err, sizeof err);
    side_started = side.run.c != NULL &&
                   pthread_create(&thread, NULL, side_load_main, &side) == 0;
  }
  if (ok && !side_started)
    ok = fail(run, "the second loader could not start: %s",
              exported == NULL ? "no snapshot exported" : side.run.c ? "no thread" : err);

  /* T is a validated date: quoting it into COPY (which takes no parameters) is safe */
  snprintf(sql, sizeof sql,
           "COPY (SELECT id, customer_id, pipeline, stage, product, revenue_type = 'recurring', "
           "amount, created_at, closed_at, expected_close_date, contract_end_date FROM deals "
           "WHERE closed_at IS NULL OR closed_at <= '%s') TO STDOUT (FORMAT binary)", today);
  ok = ok && copy_rows(run, sql, 11, deal_row);
  ok = ok && copy_rows(run, "COPY (SELECT deal_id, pipeline, stage, entered_at, id "
                            "FROM deal_stage_history) TO STDOUT (FORMAT binary)", 5, history_row);
  if (side_started) {
    pthread_join(thread, NULL);
    if (!side.ok && ok)
      ok = fail(run, "%s", side.run.rep->error[0] ? side.run.rep->error : "the side load failed");
  }
  PQclear(exported);
  if (side.run.c != NULL)
    PQfinish(side.run.c);
  ok = exec_ok(run, ok ? "COMMIT" : "ROLLBACK") && ok;
  ltvd_an_snapshot_take_rows(s, scratch);
  scratch->n_products = 0, scratch->products = NULL;
  scratch->n_customers = 0, scratch->customers = NULL;
  ltvd_an_snapshot_free(scratch);
  if (ok)
    ltvd_an_snapshot_finish(s);
  return ok;
}

/* ---- publishing ---------------------------------------------------------------- */

/* A growing buffer of COPY text rows. */
static bool copy_in(struct run *run, const char *sql, struct ltvd_copy_rows *b)
{
  return ltvd_copy_send(run->c, sql, b) || fail(run, "%.60s: %s", sql, ltvd_db_last_message());
}

/* {"as_of", "currency", ...members of doc} as one response body. */
static json_t *response(const json_t *as_of, const char *currency, json_t *doc)
{
  json_t *o = json_object();
  json_object_set(o, "as_of", (json_t *) as_of);
  if (currency != NULL)
    json_object_set_new(o, "currency", json_string(currency));
  const char *k;
  json_t *v;
  json_object_foreach(doc, k, v)
    json_object_set(o, k, v);
  json_decref(doc);
  return o;
}

static void doc_row(struct ltvd_copy_rows *b, const char *name, json_t *body)
{
  ltvd_copy_field(b, name, false);
  ltvd_copy_field_json(b, body, true);
}

static json_t *ltv_by(int a, int b)
{
  json_t *by = json_array();
  json_array_append_new(by, json_string(ltvd_an_axis_name(a)));
  if (b != LTVD_AN_NONE)
    json_array_append_new(by, json_string(ltvd_an_axis_name(b)));
  return by;
}

/* The documents; single[a] receives the rows of axis a alone (for the series). */
static void render_docs(const struct ltvd_an_results *res, const json_t *as_of,
                        const char *cur, struct ltvd_copy_rows *docs,
                        json_t *single[LTVD_AN_AXES])
{
  doc_row(docs, "as_of", json_deep_copy(as_of));
  for (int a = 0; a < LTVD_AN_AXES; a++)
    for (int b = LTVD_AN_NONE; b < LTVD_AN_AXES; b++) {
      if (a == b)
        continue;
      char name[80];
      snprintf(name, sizeof name, "ltv:%s%s%s", ltvd_an_axis_name(a), b < 0 ? "" : ",",
               b < 0 ? "" : ltvd_an_axis_name(b));
      json_t *rows = ltvd_an_ltv_rows(res, a, b);
      if (b == LTVD_AN_NONE)
        single[a] = json_incref(rows);
      json_t *doc = json_pack("{s:o, s:o}", "by", ltv_by(a, b), "results", rows);
      doc_row(docs, name, response(as_of, cur, doc));
    }
  doc_row(docs, "tiers", response(as_of, cur, ltvd_an_tiers_doc(res)));
  doc_row(docs, "quadrants", response(as_of, cur, ltvd_an_quadrants_doc(res)));
  doc_row(docs, "lifecycle", response(as_of, NULL, ltvd_an_lifecycle_doc(res)));
  doc_row(docs, "cohorts",
          response(as_of, cur, json_pack("{s:o}", "results", ltvd_an_cohorts_rows(res))));
  doc_row(docs, "pipelines",
          response(as_of, cur, json_pack("{s:o}", "results", ltvd_an_pipelines_rows(res))));
  doc_row(docs, "mrr_summary", response(as_of, cur, ltvd_an_mrr_summary(res)));
  doc_row(docs, "clv_model", response(as_of, NULL, ltvd_an_clv_model_doc(res)));
}

/* The series rows: this month's single-axis LTV rows, and every month's movements. */
static void render_series(const struct ltvd_an_results *res, json_t *single[LTVD_AN_AXES],
                          struct ltvd_copy_rows *series)
{
  char month[11];
  ltvd_an_format_day(ltvd_an_month_first(res->snap->month), month);
  char month_text[8];
  ltvd_an_format_month(res->snap->month, month_text);
  for (int a = 0; a < LTVD_AN_AXES; a++) {
    json_t *rows = single[a];
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
      char pos[24];
      snprintf(pos, sizeof pos, "%zu", i);
      json_t *r = json_pack("{s:s}", "month", month_text);
      json_object_update(r, row);
      ltvd_copy_field(series, "ltv", false);
      ltvd_copy_field(series, ltvd_an_axis_name(a), false);
      ltvd_copy_field(series, month, false);
      ltvd_copy_field(series, pos, false);
      ltvd_copy_field_json(series, r, true);
    }
    json_decref(rows);
  }
  json_t *moves = ltvd_an_movements_rows(res);
  size_t i;
  json_t *row;
  json_array_foreach(moves, i, row) {
    const char *m = json_string_value(json_object_get(row, "month"));
    char first[11];
    snprintf(first, sizeof first, "%.7s-01", m ? m : "0000-00");
    ltvd_copy_field(series, "mrr_movements", false);
    ltvd_copy_field(series, "", false);
    ltvd_copy_field(series, first, false);
    ltvd_copy_field(series, "0", false);
    ltvd_copy_field_json(series, json_incref(row), true);
  }
  json_decref(moves);
}

/* One customer_metrics row of the COPY text: its customer, where it lies, its hash. */
struct crow {
  int64_t id;
  size_t off, len;
  uint64_t hash;
};

static uint64_t fnv1a(const char *p, size_t n)
{
  uint64_t h = UINT64_C(14695981039346656037);
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char) p[i]) * UINT64_C(1099511628211);
  return h;
}

/* The rows of customers [from, to) into b, described in out[from, to). */
static void render_customers(const struct ltvd_an_results *res, struct ltvd_copy_rows *b, struct crow *out,
                             size_t from, size_t to)
{
  const struct ltvd_an_snapshot *s = res->snap;
  for (size_t i = from; i < to; i++) {
    const struct ltvd_an_cmetrics *m = &res->c[i];
    char id[24], rtd[24], pot[32];
    size_t start = b->len;
    snprintf(id, sizeof id, "%" PRId64, s->customers[i].id);
    snprintf(rtd, sizeof rtd, "%" PRId64, m->revenue_to_date);
    if (!isnan(m->potential))
      ltvd_json_real(m->potential, pot);
    ltvd_copy_field(b, id, false);
    ltvd_copy_field(b, rtd, false);
    ltvd_copy_field(b, ltvd_an_tier_name(m->tier), false);
    ltvd_copy_field(b, ltvd_an_quadrant_name(m->quadrant), false);
    ltvd_copy_field(b, ltvd_an_phase_name(m->phase), false);
    ltvd_copy_field(b, isnan(m->potential) ? NULL : pot, false);
    ltvd_copy_field_json(b, ltvd_an_customer_metrics(res, i), false);
    uint64_t hash = fnv1a(b->p + start, b->len - start);
    char hash_text[24];
    snprintf(hash_text, sizeof hash_text, "%" PRId64, (int64_t) hash);
    ltvd_copy_field(b, hash_text, true);
    out[i] = (struct crow){.id = s->customers[i].id, .off = start, .len = b->len - start,
                           .hash = hash};
  }
}

struct render_half {
  const struct ltvd_an_results *res;
  struct crow *out;
  size_t from, to;
  struct ltvd_copy_rows rows;
};

static void *render_half_main(void *arg)
{
  struct render_half *h = arg;
  render_customers(h->res, &h->rows, h->out, h->from, h->to);
  return NULL;
}

/* The customer_metrics rows as published: (customer_id, hash) by id. */
struct published {
  size_t n;
  struct crow *rows; /* off/len unused */
};

static bool read_published(struct run *run, struct published *p)
{
  PGresult *r = query(run, "SELECT customer_id, hash FROM customer_metrics ORDER BY customer_id",
                      0, NULL);
  if (r == NULL)
    return false;
  p->n = (size_t) PQntuples(r);
  p->rows = calloc(p->n + 1, sizeof *p->rows);
  if (p->rows == NULL)
    abort();
  for (size_t i = 0; i < p->n; i++)
    p->rows[i] = (struct crow){.id = to_i64(PQgetvalue(r, (int) i, 0)),
                               .hash = (uint64_t) to_i64(PQgetvalue(r, (int) i, 1))};
  PQclear(r);
  return true;
}

/* The rows to write (into *write) and the ids to delete first (as a PostgreSQL array
 * literal into *ids): the rows that differ from the published ones, and the published
 * rows of customers no longer there. Returns how many rows differ. */
static size_t customer_changes(const struct published *pub, const struct crow *rows, size_t n,
                               const struct ltvd_copy_rows *all, struct ltvd_copy_rows *write, struct ltvd_copy_rows *ids)
{
  size_t j = 0, changed = 0;
  ltvd_copy_put(ids, "{", 1);
  bool first = true;
  for (size_t i = 0; i <= n; i++) {
    /* published rows with a lower id than this one are gone */
    while (j < pub->n && (i == n || pub->rows[j].id < rows[i].id)) {
      char id[32];
      int k = snprintf(id, sizeof id, "%s%" PRId64, first ? "" : ",", pub->rows[j++].id);
      ltvd_copy_put(ids, id, (size_t) k);
      first = false;
    }
    if (i == n)
      break;
    bool same = j < pub->n && pub->rows[j].id == rows[i].id && pub->rows[j].hash == rows[i].hash;
    if (j < pub->n && pub->rows[j].id == rows[i].id)
      j++;
    if (same)
      continue;
    char id[32];
    int k = snprintf(id, sizeof id, "%s%" PRId64, first ? "" : ",", rows[i].id);
    ltvd_copy_put(ids, id, (size_t) k);
    first = false;
    ltvd_copy_put(write, all->p + rows[i].off, rows[i].len);
    changed++;
  }
  ltvd_copy_put(ids, "}", 2); /* with the NUL */
  return changed;
}

/* Replaces customer_metrics by the rows that changed (each row carries the hash of its
 * text), or all of them when most changed (e.g. a CLV refit moves every prediction). */
static bool publish_customers(struct run *run, const struct crow *rows, struct ltvd_copy_rows *all)
{
  static const char copy_sql[] = "COPY customer_metrics (customer_id, revenue_to_date, tier, "
                                 "quadrant, phase, potential, body, hash) FROM STDIN";
  size_t n = run->snap.n_customers;
  struct published pub = {0};
  if (!read_published(run, &pub))
    return false;
  struct ltvd_copy_rows write = {0}, ids = {0};
  size_t changed = customer_changes(&pub, rows, n, all, &write, &ids);
  bool ok;
  if (changed > n / 2) {
    ok = exec_ok(run, "DELETE FROM customer_metrics") && copy_in(run, copy_sql, all);
  } else {
    const char *params[] = {ids.p};
    PGresult *r = query(run, "DELETE FROM customer_metrics WHERE customer_id = ANY($1::bigint[])",
                        1, params);
    ok = r != NULL && (write.len == 0 || copy_in(run, copy_sql, &write));
    PQclear(r);
  }
  free(write.p);
  free(ids.p);
  free(pub.rows);
  return ok;
}

/* Publishes in one transaction; *skipped when newer results are published. */
static bool publish(struct run *run, const struct ltvd_an_results *res, bool *skipped)
{
  const struct ltvd_an_snapshot *s = &run->snap;
  char today[11], month[11], version[24], computed_at[32];
  ltvd_an_format_day(s->today, today);
  ltvd_an_format_day(ltvd_an_month_first(s->month), month);
  snprintf(version, sizeof version, "%" PRId64, s->data_version);
  ltvd_clock_timestamp(computed_at);

  struct ltvd_an_as_of a = {.data_version = s->data_version, .currency = run->cfg->currency};
  memcpy(a.computed_at, computed_at, sizeof a.computed_at);
  json_t *as_of = ltvd_an_as_of_json(&a, s);
  struct ltvd_copy_rows docs = {0}, series = {0}, customers = {0};
  struct crow *crows = calloc(s->n_customers + 1, sizeof *crows);
  if (crows == NULL)
    abort();
  /* the second half of the customers on another thread while this one renders the rest */
  struct render_half half = {.res = res, .out = crows, .from = s->n_customers / 2,
                             .to = s->n_customers};
  pthread_t thread;
  bool threaded = pthread_create(&thread, NULL, render_half_main, &half) == 0;
  json_t *single[LTVD_AN_AXES];
  render_docs(res, as_of, run->cfg->currency, &docs, single);
  render_series(res, single, &series);
  render_customers(res, &customers, crows, 0, half.from);
  if (threaded)
    pthread_join(thread, NULL);
  else
    render_half_main(&half);
  for (size_t i = half.from; i < half.to; i++)
    crows[i].off += customers.len;
  if (half.rows.len > 0)
    ltvd_copy_put(&customers, half.rows.p, half.rows.len);
  free(half.rows.p);
  json_decref(as_of);

  *skipped = false;
  bool ok = exec_ok(run, "BEGIN");
  PGresult *r = NULL;
  if (ok) {
    const char *params[] = {version, today};
    r = query(run, "SELECT computed_version IS NOT NULL AND (computed_version > $1::bigint "
                   "OR (computed_version = $1::bigint AND today > $2::date)) "
                   "FROM analytics_state FOR UPDATE", 2, params);
    ok = r != NULL;
    *skipped = ok && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
  }
  if (ok && !*skipped) {
    const char *params[] = {version, today, month, computed_at};
    const char *month_param[] = {month};
    ok = publish_customers(run, crows, &customers) &&
         exec_ok(run, "DELETE FROM analytics_docs") &&
         copy_in(run, "COPY analytics_docs (name, body) FROM STDIN", &docs);
    if (ok) {
      r = query(run, "DELETE FROM analytics_series WHERE kind = 'mrr_movements' "
                     "OR (kind = 'ltv' AND month = $1::date)", 1, month_param);
      ok = r != NULL;
      PQclear(r);
    }
    ok = ok && copy_in(run, "COPY analytics_series (kind, key, month, pos, body) FROM STDIN",
                       &series);
    ok = ok && ltvd_an_publish_opportunities(run->c, res, computed_at, run->rep->error,
                                             sizeof run->rep->error);
    if (ok) {
      r = query(run, "UPDATE analytics_state SET computed_version = $1, today = $2, "
                     "month = $3, computed_at = $4", 4, params);
      ok = r != NULL;
      PQclear(r);
    }
    ok = ok && exec_ok(run, "NOTIFY ltvd_analytics");
  }
  ok = exec_ok(run, ok ? "COMMIT" : "ROLLBACK") && ok;
  free(crows);
  free(docs.p);
  free(series.p);
  free(customers.p);
  return ok;
}

/* ---- the run --------------------------------------------------------------------- */

static int64_t record_start(struct run *run)
{
  char host[256] = "", who[300], ts[32];
  gethostname(host, sizeof host - 1);
  snprintf(who, sizeof who, "%s:%ld", host, (long) getpid());
  ltvd_clock_timestamp(ts);
  const char *params[] = {ts, who};
  PGresult *r = query(run, "INSERT INTO analytics_runs (started_at, status, host) "
                           "VALUES ($1, 'running', $2) RETURNING id", 2, params);
  int64_t id = r ? to_i64(PQgetvalue(r, 0, 0)) : 0;
  PQclear(r);
  return id;
}

static void record_end(struct run *run, int64_t id, const char *status)
{
  char sid[24], ms[32], version[24], ts[32];
  snprintf(sid, sizeof sid, "%" PRId64, id);
  snprintf(ms, sizeof ms, "%.3f", run->rep->total_ms);
  snprintf(version, sizeof version, "%" PRId64, run->rep->data_version);
  ltvd_clock_timestamp(ts);
  const char *params[] = {sid, ts, ms, version, status,
                          run->rep->error[0] ? run->rep->error : NULL};
  char saved[sizeof run->rep->error];
  memcpy(saved, run->rep->error, sizeof saved);
  PGresult *r = query(run, "WITH done AS (UPDATE analytics_runs SET finished_at = $2, "
                           "duration_ms = $3, data_version = $4, status = $5, error = $6 "
                           "WHERE id = $1) DELETE FROM analytics_runs "
                           "WHERE id < $1::bigint - 200", 6, params);
  PQclear(r);
  memcpy(run->rep->error, saved, sizeof saved); /* the run's error, not the record's */
}

enum ltvd_an_run_status ltvd_an_run(PGconn *c, const struct ltvd_config *cfg,
                                    struct ltvd_an_run_report *rep)
{
  struct run run = {.c = c, .cfg = cfg, .rep = rep};
  struct ltvd_an_results res = {0};
  bool skipped = false;
  memset(rep, 0, sizeof *rep);

  double t0 = ltvd_monotonic();
  int64_t id = record_start(&run);
  bool ok = id > 0 && load(&run);
  double t1 = ltvd_monotonic();
  if (ok)
    ltvd_an_compute(&run.snap, &res);
  double t2 = ltvd_monotonic();
  ok = ok && publish(&run, &res, &skipped);
  double t3 = ltvd_monotonic();

  rep->data_version = run.snap.data_version;
  rep->load_ms = (t1 - t0) * 1000;
  rep->compute_ms = (t2 - t1) * 1000;
  rep->publish_ms = (t3 - t2) * 1000;
  rep->total_ms = (t3 - t0) * 1000;
  rep->status = !ok ? LTVD_AN_RUN_FAILED : skipped ? LTVD_AN_RUN_SKIPPED : LTVD_AN_RUN_PUBLISHED;
  if (!ok && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
    PQclear(PQexec(c, "ROLLBACK"));
  if (id > 0)
    record_end(&run, id, !ok ? "failed" : skipped ? "skipped" : "ok");
  ltvd_an_results_free(&res);
  ltvd_an_snapshot_free(&run.snap);
  free(run.by_id);
  return rep->status;
}
