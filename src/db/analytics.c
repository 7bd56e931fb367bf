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
#include <sys/resource.h>
#include <unistd.h>

#include "ltvd/analytics.h"
#include "ltvd/clock.h"
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

/* ---- COPY text rows ------------------------------------------------------------ */

/* Undoes COPY's text escapes in place; NULL for \N. */
static char *copy_field(char *f)
{
  if (f[0] == '\\' && f[1] == 'N' && f[2] == '\0')
    return NULL;
  if (strchr(f, '\\') == NULL)
    return f;
  char *w = f;
  for (char *r = f; *r; r++) {
    if (*r != '\\' || r[1] == '\0') {
      *w++ = *r;
      continue;
    }
    r++;
    switch (*r) {
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'v': *w++ = '\v'; break;
    case 'x': {
      int v = 0, n = 0;
      while (n < 2 && ltvd_hex_value(r[1]) >= 0)
        v = v * 16 + ltvd_hex_value(*++r), n++;
      *w++ = (char) v;
      break;
    }
    default:
      if (*r >= '0' && *r <= '7') {
        int v = *r - '0', n = 1;
        while (n < 3 && r[1] >= '0' && r[1] <= '7')
          v = v * 8 + (*++r - '0'), n++;
        *w++ = (char) v;
      } else {
        *w++ = *r;
      }
    }
  }
  *w = '\0';
  return f;
}

#define MAX_FIELDS 12
typedef bool (*row_fn)(struct run *run, char **f);

/* Runs COPY (sql) TO STDOUT and hands each row's nfields fields to fn. */
static bool copy_rows(struct run *run, const char *sql, int nfields, row_fn fn)
{
  PGresult *res = PQexec(run->c, sql);
  if (PQresultStatus(res) != PGRES_COPY_OUT) {
    fail(run, "%.80s: %s", sql, PQerrorMessage(run->c));
    PQclear(res);
    return false;
  }
  PQclear(res);
  bool ok = true;
  char *buf;
  int len;
  while ((len = PQgetCopyData(run->c, &buf, 0)) > 0) {
    if (ok) {
      char *f[MAX_FIELDS];
      int n = 0;
      if (len > 0 && buf[len - 1] == '\n')
        buf[len - 1] = '\0';
      for (char *p = buf; n < MAX_FIELDS;) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL)
          break;
        *tab = '\0';
        p = tab + 1;
      }
      if (n != nfields) {
        ok = fail(run, "%.80s: %d fields, expected %d", sql, n, nfields);
      } else {
        for (int i = 0; i < n; i++)
          f[i] = copy_field(f[i]);
        ok = fn(run, f);
      }
    }
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

static int32_t to_day(const char *s)
{
  int32_t d;
  return s && ltvd_an_parse_day(s, &d) ? d : LTVD_AN_NO_DAY;
}

static int32_t customer_of(struct run *run, const char *id_text)
{
  int64_t id = to_i64(id_text);
  if (run->by_id != NULL)
    return id > 0 && id < run->by_id_len ? run->by_id[id] : LTVD_AN_NONE;
  return ltvd_an_customer_index(&run->snap, id);
}

/* ---- loading ------------------------------------------------------------------- */

static bool customer_row(struct run *run, char **f)
{
  ltvd_an_add_customer(&run->snap, to_i64(f[0]), f[1], f[2], f[3], f[4] != NULL, to_i64(f[4]));
  return true;
}

static bool deal_row(struct run *run, char **f)
{
  struct ltvd_an_snapshot *s = &run->snap;
  int32_t c = customer_of(run, f[1]);
  if (c == LTVD_AN_NONE)
    return true; /* an archived customer's */
  int p = ltvd_an_pipeline_index(s, f[2]);
  int st = ltvd_an_stage_index(s, p, f[3]);
  if (st == LTVD_AN_NONE)
    return fail(run, "deal %s: unknown stage %s/%s", f[0], f[2], f[3]);
  struct ltvd_an_deal d = {
      .id = to_i64(f[0]),
      .customer = c,
      .pipeline = p,
      .stage = st,
      .product = ltvd_an_product_index(s, f[4]),
      .recurring = f[5][0] == 't',
      .amount = to_i64(f[6]),
      .created_day = to_day(f[7]),
      .closed_day = to_day(f[8]),
      .expected_close_day = to_day(f[9]),
      .contract_end_day = to_day(f[10]),
  };
  ltvd_an_add_deal(s, &d);
  return true;
}

/* Stage history rows whose deal is not loaded are dropped by finish. The stage is
 * looked up in the entry's own pipeline, which is the deal's (the foreign key of a deal
 * names its pipeline's stages, and history records the pipeline it was in). */
static bool history_row(struct run *run, char **f)
{
  struct ltvd_an_snapshot *s = &run->snap;
  int st = ltvd_an_stage_index(s, ltvd_an_pipeline_index(s, f[1]), f[2]);
  if (st == LTVD_AN_NONE)
    return true;
  ltvd_an_add_history_tie(s, to_i64(f[0]), st, strtod(f[3], NULL) / 86400.0, to_i64(f[4]));
  return true;
}

static bool mrr_row(struct run *run, char **f)
{
  int32_t c = customer_of(run, f[0]);
  int32_t day = to_day(f[2]);
  if (c == LTVD_AN_NONE)
    return true;
  ltvd_an_add_mrr(&run->snap, c, ltvd_an_month_of(day), ltvd_an_product_index(&run->snap, f[1]),
                  to_i64(f[3]));
  return true;
}

static int signal_type(const char *t)
{
  static const char *const names[LTVD_AN_SIGNAL_TYPES] = {
      "email_open", "email_click", "web_visit", "meeting", "call",
      "support_ticket", "usage", "feature_interest", "nps"};
  for (int i = 0; i < LTVD_AN_SIGNAL_TYPES; i++)
    if (strcmp(t, names[i]) == 0)
      return i;
  return LTVD_AN_NONE;
}

static bool signal_row(struct run *run, char **f)
{
  int32_t c = customer_of(run, f[1]);
  int type = signal_type(f[2]);
  if (c == LTVD_AN_NONE || type == LTVD_AN_NONE)
    return true;
  int64_t us = to_i64(f[3]);
  int64_t day = us >= 0 ? us / INT64_C(86400000000) : -((-us - 1) / INT64_C(86400000000)) - 1;
  struct ltvd_an_signal sig = {
      .id = to_i64(f[0]),
      .type = (enum ltvd_an_signal_type) type,
      .occurred_us = us,
      .day = (int32_t) day,
      .product = ltvd_an_product_index(&run->snap, f[4]),
      .has_value = f[5] != NULL,
      .value = f[5] ? strtod(f[5], NULL) : 0,
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
                           "ORDER BY id) TO STDOUT", 5, customer_row);
  if (ok)
    index_customers(run);
  /* T is a validated date: quoting it into COPY (which takes no parameters) is safe */
  snprintf(sql, sizeof sql,
           "COPY (SELECT id, customer_id, pipeline, stage, product, revenue_type = 'recurring', "
           "amount, (created_at AT TIME ZONE 'UTC')::date, closed_at, expected_close_date, "
           "contract_end_date FROM deals WHERE closed_at IS NULL OR closed_at <= '%s') "
           "TO STDOUT", today);
  ok = ok && copy_rows(run, sql, 11, deal_row);
  ok = ok && copy_rows(run, "COPY (SELECT deal_id, pipeline, stage, "
                            "extract(epoch FROM entered_at), id FROM deal_stage_history) "
                            "TO STDOUT", 5, history_row);
  snprintf(sql, sizeof sql,
           "COPY (SELECT customer_id, product, month, mrr FROM mrr_lines "
           "WHERE month <= date_trunc('month', '%s'::date)::date) TO STDOUT", today);
  ok = ok && copy_rows(run, sql, 4, mrr_row);
  snprintf(sql, sizeof sql,
           "COPY (SELECT id, customer_id, type, "
           "(extract(epoch FROM occurred_at) * 1000000)::bigint, product, value "
           "FROM signals WHERE customer_id IS NOT NULL "
           "AND occurred_at < ('%s'::date + 1)::timestamp AT TIME ZONE 'UTC' "
           "AND (type = 'nps' OR occurred_at >= ('%s'::date - 89)::timestamp AT TIME ZONE 'UTC')) "
           "TO STDOUT", today, today);
  ok = ok && copy_rows(run, sql, 6, signal_row);
  ok = exec_ok(run, ok ? "COMMIT" : "ROLLBACK") && ok;
  if (ok)
    ltvd_an_snapshot_finish(s);
  return ok;
}

/* ---- publishing ---------------------------------------------------------------- */

/* A growing buffer of COPY text rows. */
struct rows {
  char *p;
  size_t len, cap;
};

static void rows_put(struct rows *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (b->p == NULL)
      abort();
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

/* A field, escaped for COPY text; NULL writes \N. */
static void rows_field(struct rows *b, const char *s, bool last)
{
  if (s == NULL) {
    rows_put(b, "\\N", 2);
  } else {
    const char *run = s;
    for (; *s; s++) {
      const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n"
                      : *s == '\r' ? "\\r" : NULL;
      if (esc == NULL)
        continue;
      rows_put(b, run, (size_t) (s - run));
      rows_put(b, esc, 2);
      run = s + 1;
    }
    rows_put(b, run, (size_t) (s - run));
  }
  rows_put(b, last ? "\n" : "\t", 1);
}

static void rows_json(struct rows *b, json_t *v, bool last)
{
  char *text = ltvd_json_dumps(v);
  rows_field(b, text, last);
  free(text);
  json_decref(v);
}

static bool copy_in(struct run *run, const char *sql, struct rows *b)
{
  bool ok = ltvd_db_copy_begin(run->c, sql);
  for (size_t off = 0; ok && off < b->len; off += 1 << 20) {
    size_t n = b->len - off < (1u << 20) ? b->len - off : 1u << 20;
    ok = ltvd_db_copy_put(run->c, b->p + off, n);
  }
  ok = ltvd_db_copy_end(run->c, ok) && ok;
  if (!ok)
    fail(run, "%.60s: %s", sql, ltvd_db_last_message());
  return ok;
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

static void doc_row(struct rows *b, const char *name, json_t *body)
{
  rows_field(b, name, false);
  rows_json(b, body, true);
}

static json_t *ltv_by(int a, int b)
{
  json_t *by = json_array();
  json_array_append_new(by, json_string(ltvd_an_axis_name(a)));
  if (b != LTVD_AN_NONE)
    json_array_append_new(by, json_string(ltvd_an_axis_name(b)));
  return by;
}

static void render_docs(const struct ltvd_an_results *res, const json_t *as_of,
                        const char *cur, struct rows *docs)
{
  doc_row(docs, "as_of", json_deep_copy(as_of));
  for (int a = 0; a < LTVD_AN_AXES; a++)
    for (int b = LTVD_AN_NONE; b < LTVD_AN_AXES; b++) {
      if (a == b)
        continue;
      char name[80];
      snprintf(name, sizeof name, "ltv:%s%s%s", ltvd_an_axis_name(a), b < 0 ? "" : ",",
               b < 0 ? "" : ltvd_an_axis_name(b));
      json_t *doc = json_pack("{s:o, s:o}", "by", ltv_by(a, b), "results",
                              ltvd_an_ltv_rows(res, a, b));
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
static void render_series(const struct ltvd_an_results *res, struct rows *series)
{
  char month[11];
  ltvd_an_format_day(ltvd_an_month_first(res->snap->month), month);
  char month_text[8];
  ltvd_an_format_month(res->snap->month, month_text);
  for (int a = 0; a < LTVD_AN_AXES; a++) {
    json_t *rows = ltvd_an_ltv_rows(res, a, LTVD_AN_NONE);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
      char pos[24];
      snprintf(pos, sizeof pos, "%zu", i);
      json_t *r = json_pack("{s:s}", "month", month_text);
      json_object_update(r, row);
      rows_field(series, "ltv", false);
      rows_field(series, ltvd_an_axis_name(a), false);
      rows_field(series, month, false);
      rows_field(series, pos, false);
      rows_json(series, r, true);
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
    rows_field(series, "mrr_movements", false);
    rows_field(series, "", false);
    rows_field(series, first, false);
    rows_field(series, "0", false);
    rows_json(series, json_incref(row), true);
  }
  json_decref(moves);
}

static void render_customers(const struct ltvd_an_results *res, struct rows *b)
{
  const struct ltvd_an_snapshot *s = res->snap;
  for (size_t i = 0; i < s->n_customers; i++) {
    const struct ltvd_an_cmetrics *m = &res->c[i];
    char id[24], rtd[24], pot[32];
    snprintf(id, sizeof id, "%" PRId64, s->customers[i].id);
    snprintf(rtd, sizeof rtd, "%" PRId64, m->revenue_to_date);
    if (!isnan(m->potential))
      ltvd_json_real(m->potential, pot);
    rows_field(b, id, false);
    rows_field(b, rtd, false);
    rows_field(b, ltvd_an_tier_name(m->tier), false);
    rows_field(b, ltvd_an_quadrant_name(m->quadrant), false);
    rows_field(b, ltvd_an_phase_name(m->phase), false);
    rows_field(b, isnan(m->potential) ? NULL : pot, false);
    rows_json(b, ltvd_an_customer_metrics(res, i), true);
  }
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
  struct rows docs = {0}, series = {0}, customers = {0};
  render_docs(res, as_of, run->cfg->currency, &docs);
  render_series(res, &series);
  render_customers(res, &customers);
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
    ok = exec_ok(run, "DELETE FROM customer_metrics") &&
         copy_in(run, "COPY customer_metrics (customer_id, revenue_to_date, tier, quadrant, "
                      "phase, potential, body) FROM STDIN", &customers) &&
         exec_ok(run, "DELETE FROM analytics_docs") &&
         copy_in(run, "COPY analytics_docs (name, body) FROM STDIN", &docs) &&
         (r = query(run, "DELETE FROM analytics_series WHERE kind = 'mrr_movements' "
                         "OR (kind = 'ltv' AND month = $1::date)", 1, month_param)) != NULL &&
         (PQclear(r), copy_in(run, "COPY analytics_series (kind, key, month, pos, body) "
                                   "FROM STDIN", &series)) &&
         (r = NULL, ltvd_an_publish_opportunities(run->c, res, computed_at, run->rep->error,
                                                  sizeof run->rep->error)) &&
         (r = query(run, "UPDATE analytics_state SET computed_version = $1, today = $2, "
                         "month = $3, computed_at = $4", 4, params)) != NULL;
    PQclear(r);
    ok = ok && exec_ok(run, "NOTIFY ltvd_analytics");
  }
  ok = exec_ok(run, ok ? "COMMIT" : "ROLLBACK") && ok;
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
