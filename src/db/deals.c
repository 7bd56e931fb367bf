/* The SQL of deals (see include/ltvd/deals_db.h for the shape of the write statements).
 *
 * A create is one statement: it resolves the customer (live only), the pipeline's stage
 * (its first when none is named) with its state, and the product, inserts the deal with
 * closed_at set by the state, inserts its stage history, and reports what it found.
 * The list has a statement of its own for the customer filter so that even its generic
 * plan walks deals_customer (customer_id, id) instead of the whole table. */
#include "ltvd/deals_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/db.h"

/* The deal columns, named so that a CTE returning them can be read by name. */
#define COLUMNS                                                                                    \
  "d.id, d.external_id, d.customer_id, d.pipeline, d.stage, d.product, d.revenue_type, "           \
  "d.amount, d.mrr, to_char(d.expected_close_date, 'YYYY-MM-DD') AS expected_close_date, "         \
  "to_char(d.closed_at, 'YYYY-MM-DD') AS closed_at, "                                              \
  "to_char(d.contract_end_date, 'YYYY-MM-DD') AS contract_end_date, "                              \
  "ltvd_ts(d.created_at) AS created_at, ltvd_ts(d.updated_at) AS updated_at, d.version"
#define NAMES                                                                                      \
  "w.id, w.external_id, w.customer_id, w.pipeline, w.stage, w.product, w.revenue_type, "           \
  "w.amount, w.mrr, w.expected_close_date, w.closed_at, w.contract_end_date, "                     \
  "w.created_at, w.updated_at, w.version"

enum {
  C_ID = LTVD_DEAL_ID,
  C_EXTERNAL_ID,
  C_CUSTOMER,
  C_PIPELINE,
  C_STAGE,
  C_PRODUCT,
  C_REVENUE_TYPE,
  C_AMOUNT,
  C_MRR,
  C_EXPECTED,
  C_CLOSED,
  C_CONTRACT_END,
  C_CREATED,
  C_UPDATED,
  C_VERSION,
  /* what a write statement found, after the deal's columns */
  R_CUSTOMER,
  R_PIPELINE,
  R_STAGE,
  R_STATE,
  R_PRODUCT,
  R_HISTORY
};

const char *const ltvd_deal_writable[LTVD_DEAL_N_WRITABLE] = {"external_id",
                                                              "customer_id",
                                                              "pipeline",
                                                              "stage",
                                                              "product",
                                                              "revenue_type",
                                                              "amount",
                                                              "mrr",
                                                              "expected_close_date",
                                                              "closed_at",
                                                              "contract_end_date"};

#define LIVE_CUSTOMER                                                                              \
  "EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.archived_at IS NULL)"
/* The stage named by pipeline $P and stage $S, or the pipeline's first when $S is null. */
#define STAGE_OF(p, s)                                                                             \
  "SELECT s.pipeline, s.key, s.state FROM pipeline_stages s WHERE s.pipeline = " p                 \
  " AND s.key = coalesce(" s ", (SELECT f.key FROM pipeline_stages f WHERE f.pipeline = " p        \
  " ORDER BY f.position LIMIT 1))"
#define PRODUCT_OK(p) "(" p " IS NULL OR EXISTS (SELECT 1 FROM products p WHERE p.key = " p "))"
#define LIST_FILTERS                                                                               \
  "d.id > $1 AND ($3::text IS NULL OR d.pipeline = $3) AND ($4::text IS NULL OR d.stage = $4) "    \
  "AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM pipeline_stages s WHERE "                        \
  "s.pipeline = d.pipeline AND s.key = d.stage AND s.state = $5)) "                                \
  "AND ($6::text IS NULL OR d.product = $6) "                                                      \
  "AND ($7::date IS NULL OR d.closed_at >= $7) AND ($8::date IS NULL OR d.closed_at <= $8) "       \
  "AND ($9::date IS NULL OR d.expected_close_date >= $9) "                                         \
  "AND ($10::date IS NULL OR d.expected_close_date <= $10) AND " LIVE_CUSTOMER

const struct ltvd_stmt ltvd_db_deals_stmts[] = {
    {"deal_get", "SELECT " COLUMNS " FROM deals d WHERE d.id = $1 AND " LIVE_CUSTOMER},
    {"deal_lock",
     "SELECT " COLUMNS " FROM deals d WHERE d.id = $1 AND " LIVE_CUSTOMER " FOR UPDATE OF d"},
    {"deal_get_ext", "SELECT " COLUMNS " FROM deals d WHERE d.external_id = $1 AND " LIVE_CUSTOMER},
    {"deal_lock_ext", "SELECT " COLUMNS " FROM deals d WHERE d.external_id = $1 AND " LIVE_CUSTOMER
                      " FOR UPDATE OF d"},
    {"deal_list", "SELECT " COLUMNS " FROM deals d WHERE " LIST_FILTERS " ORDER BY d.id LIMIT $2"},
    {"deal_list_customer",
     "SELECT " COLUMNS " FROM deals d WHERE d.customer_id = $11 AND " LIST_FILTERS
     " ORDER BY d.id LIMIT $2"},
    {"deal_create",
     "WITH cust AS ("
     "SELECT id FROM customers WHERE id = $2::bigint AND archived_at IS NULL "
     "UNION ALL SELECT id FROM customers WHERE $2::bigint IS NULL AND external_id = $12::text "
     "AND archived_at IS NULL), "
     "st AS (" STAGE_OF(
         "$3::text",
         "$4::text") "), "
                     "ins AS (INSERT INTO deals AS d (external_id, customer_id, pipeline, stage, "
                     "product, "
                     "revenue_type, amount, mrr, expected_close_date, closed_at, "
                     "contract_end_date, "
                     "created_at, updated_at) "
                     "SELECT $1::text, cust.id, st.pipeline, st.key, $5::text, $6::text, "
                     "$7::bigint, "
                     "$8::bigint, $9::date, "
                     LTVD_DEAL_SQL_CLOSED_ON_CREATE("st.state", "$10::date", "$15::date") ", "
                     "$11::date, $13::timestamptz, $14::timestamptz FROM cust, st "
                     "WHERE " PRODUCT_OK(
                         "$5::text") " "
                                     "ON CONFLICT (external_id) DO NOTHING RETURNING " COLUMNS "), "
                                     "hist AS (INSERT INTO deal_stage_history (deal_id, pipeline, "
                                     "stage, entered_at) "
                                     "SELECT ins.id, ins.pipeline, h.stage, h.entered_at FROM ins, "
                                     "unnest(coalesce($16::text[], ARRAY[ins.stage]), "
                                     "coalesce($17::timestamptz[], ARRAY[$13::timestamptz])) "
                                     "WITH ORDINALITY AS h(stage, entered_at, ord) ORDER BY h.ord) "
                                     "SELECT " NAMES ", EXISTS (SELECT 1 FROM cust), "
                                     "EXISTS (SELECT 1 FROM pipelines WHERE key = $3::text), "
                                     "(SELECT key FROM st), (SELECT state FROM st), " PRODUCT_OK(
                                         "$5::text") ", "
                                                     "ARRAY(SELECT u.ord - 1 FROM "
                                                     "unnest($16::text[]) WITH ORDINALITY AS u(k, "
                                                     "ord) "
                                                     "WHERE NOT EXISTS (SELECT 1 FROM "
                                                     "pipeline_stages s WHERE s.pipeline = "
                                                     "$3::text "
                                                     "AND s.key = u.k) ORDER BY u.ord)::text "
                                                     "FROM (SELECT 1) AS one LEFT JOIN ins AS w ON "
                                                     "true"},
    /* closed_at: none in an open stage; on entering a won or lost stage the given date,
     * else today; staying in one, the given date, else the current one. */
    {"deal_update",
     "WITH old AS (SELECT id, pipeline, stage, closed_at FROM deals WHERE id = $1::bigint), "
     "st AS (" STAGE_OF(
         "$4::text",
         "$5::text") "), "
                     "ok AS (SELECT old.id, st.pipeline, st.key, "
                     "(st.pipeline, st.key) IS DISTINCT FROM (old.pipeline, old.stage) AS moved, "
                     LTVD_DEAL_SQL_CLOSED_ON_UPDATE(
                         "st.state", "(st.pipeline, st.key) IS DISTINCT FROM (old.pipeline, old.stage)",
                         "$11::date", "old.closed_at", "$14::date") " AS closed_at "
                     "FROM old, st WHERE " PRODUCT_OK(
                         "$6::text") "), "
                                     "upd AS (UPDATE deals AS d SET external_id = $2::text, "
                                     "customer_id = $3::bigint, "
                                     "pipeline = ok.pipeline, stage = ok.key, product = $6::text, "
                                     "revenue_type = $7::text, "
                                     "amount = $8::bigint, mrr = $9::bigint, expected_close_date = "
                                     "$10::date, "
                                     "closed_at = ok.closed_at, contract_end_date = $12::date, "
                                     "updated_at = $13::timestamptz, "
                                     "version = d.version + 1 FROM ok WHERE d.id = ok.id "
                                     "RETURNING " COLUMNS ", ok.moved), "
                                     "hist AS (INSERT INTO deal_stage_history (deal_id, pipeline, "
                                     "stage, entered_at) "
                                     "SELECT upd.id, upd.pipeline, upd.stage, $13::timestamptz "
                                     "FROM upd WHERE upd.moved) "
                                     "SELECT " NAMES ", true, EXISTS (SELECT 1 FROM pipelines "
                                                     "WHERE key = $4::text), "
                                     "(SELECT key FROM st), (SELECT state FROM st), " PRODUCT_OK(
                                         "$6::text") ", '{}' "
                                                     "FROM (SELECT 1) AS one LEFT JOIN upd AS w ON "
                                                     "true"},
    {"deal_delete", "DELETE FROM deals WHERE id = $1 RETURNING id"},
    {"deal_history", "SELECT h.stage, ltvd_ts(h.entered_at) FROM deals d "
                     "LEFT JOIN deal_stage_history h ON h.deal_id = d.id "
                     "WHERE d.id = $1 AND " LIVE_CUSTOMER " ORDER BY h.entered_at, h.id"},
    {NULL, NULL},
};

const char *ltvd_db_deal_text(const PGresult *res, int row, enum ltvd_deal_column col)
{
  return PQgetisnull(res, row, (int)col) ? NULL : PQgetvalue(res, row, (int)col);
}

int64_t ltvd_db_deal_id(const PGresult *res, int row)
{
  return strtoll(PQgetvalue(res, row, C_ID), NULL, 10);
}

int64_t ltvd_db_deal_version(const PGresult *res, int row)
{
  return strtoll(PQgetvalue(res, row, C_VERSION), NULL, 10);
}

json_t *ltvd_db_deal_record(const PGresult *res, int row)
{
  json_t *rec = json_object();

  json_object_set_new(rec, "external_id", ltvd_db_text_or_null(res, row, C_EXTERNAL_ID));
  json_object_set_new(rec, "customer_id", ltvd_db_integer_or_null(res, row, C_CUSTOMER));
  json_object_set_new(rec, "pipeline", ltvd_db_text_or_null(res, row, C_PIPELINE));
  json_object_set_new(rec, "stage", ltvd_db_text_or_null(res, row, C_STAGE));
  json_object_set_new(rec, "product", ltvd_db_text_or_null(res, row, C_PRODUCT));
  json_object_set_new(rec, "revenue_type", ltvd_db_text_or_null(res, row, C_REVENUE_TYPE));
  json_object_set_new(rec, "amount", ltvd_db_integer_or_null(res, row, C_AMOUNT));
  json_object_set_new(rec, "mrr", ltvd_db_integer_or_null(res, row, C_MRR));
  json_object_set_new(rec, "expected_close_date", ltvd_db_text_or_null(res, row, C_EXPECTED));
  json_object_set_new(rec, "closed_at", ltvd_db_text_or_null(res, row, C_CLOSED));
  json_object_set_new(rec, "contract_end_date", ltvd_db_text_or_null(res, row, C_CONTRACT_END));
  return rec;
}

json_t *ltvd_db_deal_json(const PGresult *res, int row, const char *currency)
{
  json_t *o = json_object();

  json_object_set_new(o, "id", json_integer(ltvd_db_deal_id(res, row)));
  json_object_set_new(o, "external_id", ltvd_db_text_or_null(res, row, C_EXTERNAL_ID));
  json_object_set_new(o, "customer_id", ltvd_db_integer_or_null(res, row, C_CUSTOMER));
  json_object_set_new(o, "pipeline", ltvd_db_text_or_null(res, row, C_PIPELINE));
  json_object_set_new(o, "stage", ltvd_db_text_or_null(res, row, C_STAGE));
  json_object_set_new(o, "product", ltvd_db_text_or_null(res, row, C_PRODUCT));
  json_object_set_new(o, "revenue_type", ltvd_db_text_or_null(res, row, C_REVENUE_TYPE));
  json_object_set_new(o, "amount", ltvd_db_integer_or_null(res, row, C_AMOUNT));
  json_object_set_new(o, "mrr", ltvd_db_integer_or_null(res, row, C_MRR));
  json_object_set_new(o, "expected_close_date", ltvd_db_text_or_null(res, row, C_EXPECTED));
  json_object_set_new(o, "closed_at", ltvd_db_text_or_null(res, row, C_CLOSED));
  json_object_set_new(o, "contract_end_date", ltvd_db_text_or_null(res, row, C_CONTRACT_END));
  json_object_set_new(o, "currency", json_string(currency));
  json_object_set_new(o, "created_at", ltvd_db_text_or_null(res, row, C_CREATED));
  json_object_set_new(o, "updated_at", ltvd_db_text_or_null(res, row, C_UPDATED));
  json_object_set_new(o, "version", json_integer(ltvd_db_deal_version(res, row)));
  return o;
}

static bool flag(const PGresult *res, int col)
{
  return !PQgetisnull(res, 0, col) && strcmp(PQgetvalue(res, 0, col), "t") == 0;
}

static const char *text(const PGresult *res, int col)
{
  return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

void ltvd_db_deal_refs(const PGresult *res, struct ltvd_deal_refs *out)
{
  out->written = !PQgetisnull(res, 0, C_ID);
  out->customer = flag(res, R_CUSTOMER);
  out->pipeline = flag(res, R_PIPELINE);
  out->product = flag(res, R_PRODUCT);
  out->stage = text(res, R_STAGE);
  out->state = text(res, R_STATE);
  out->closed = text(res, C_CLOSED);
  out->created = text(res, C_CREATED);
  out->unknown_history = ltvd_db_deal_indices(PQgetvalue(res, 0, R_HISTORY));
}

json_t *ltvd_db_deal_indices(const char *pg_array)
{
  json_t *out = json_array();

  for (const char *p = pg_array; *p; p++)
    if (*p >= '0' && *p <= '9') {
      char *end;
      json_array_append_new(out, json_integer(strtoll(p, &end, 10)));
      p = end - 1;
    }
  return out;
}

/* The statement parameters of a record; texts point into the record or into numbers. */
struct params {
  const char *values[LTVD_DEAL_N_WRITABLE + 8];
  char numbers[LTVD_DEAL_N_WRITABLE][24];
};

static void record_params(struct params *p, const json_t *record, int first)
{
  for (int i = 0; i < LTVD_DEAL_N_WRITABLE; i++) {
    json_t *v = json_object_get(record, ltvd_deal_writable[i]);
    const char **slot = &p->values[first + i];
    if (json_is_integer(v)) {
      snprintf(p->numbers[i], sizeof p->numbers[i], "%lld", (long long)json_integer_value(v));
      *slot = p->numbers[i];
    } else {
      *slot = json_string_value(v); /* NULL for null or absent */
    }
  }
}

/* A PostgreSQL array literal of member `name` of each entry of history (text, caller
 * frees), every element quoted. */
static char *array_literal(const json_t *history, const char *name)
{
  char *out = NULL;
  size_t len = 0, i;
  json_t *entry;
  FILE *f = open_memstream(&out, &len);

  if (f == NULL)
    abort();
  fputc('{', f);
  json_array_foreach(history, i, entry)
  {
    fputs(i ? ",\"" : "\"", f);
    for (const char *s = json_string_value(json_object_get(entry, name)); s && *s; s++) {
      if (*s == '"' || *s == '\\')
        fputc('\\', f);
      fputc(*s, f);
    }
    fputc('"', f);
  }
  fputc('}', f);
  fclose(f);
  return out;
}

PGresult *ltvd_db_deal_get(PGconn *c, int64_t id, bool for_update)
{
  char s[24];

  snprintf(s, sizeof s, "%lld", (long long)id);
  return LTVD_DB_RUN(c, for_update ? "deal_lock" : "deal_get", s);
}

PGresult *ltvd_db_deal_get_external(PGconn *c, const char *external_id, bool for_update)
{
  return LTVD_DB_RUN(c, for_update ? "deal_lock_ext" : "deal_get_ext", external_id);
}

PGresult *ltvd_db_deal_create(PGconn *c, const json_t *record, const char *customer_external_id,
                              const char *created_at, const char *updated_at, const json_t *history)
{
  struct params p = {0};
  char today[11];
  char *stages = history ? array_literal(history, "stage") : NULL;
  char *entered = history ? array_literal(history, "entered_at") : NULL;

  record_params(&p, record, 0);
  ltvd_clock_today(today);
  p.values[11] = customer_external_id;
  p.values[12] = created_at;
  p.values[13] = updated_at;
  p.values[14] = today;
  p.values[15] = stages;
  p.values[16] = entered;
  PGresult *res = ltvd_db_run(c, "deal_create", 17, p.values);
  free(stages);
  free(entered);
  return res;
}

PGresult *ltvd_db_deal_update(PGconn *c, int64_t id, const json_t *record)
{
  struct params p = {0};
  char s[24], now[32], today[11];

  snprintf(s, sizeof s, "%lld", (long long)id);
  p.values[0] = s;
  record_params(&p, record, 1);
  ltvd_clock_timestamp(now);
  ltvd_clock_today(today);
  p.values[12] = now;
  p.values[13] = today;
  return ltvd_db_run(c, "deal_update", 14, p.values);
}

PGresult *ltvd_db_deal_delete(PGconn *c, int64_t id)
{
  char s[24];

  snprintf(s, sizeof s, "%lld", (long long)id);
  return LTVD_DB_RUN(c, "deal_delete", s);
}

PGresult *ltvd_db_deal_history(PGconn *c, int64_t id)
{
  char s[24];

  snprintf(s, sizeof s, "%lld", (long long)id);
  return LTVD_DB_RUN(c, "deal_history", s);
}

PGresult *ltvd_db_deal_list(PGconn *c, const struct ltvd_deal_filter *f)
{
  char after[24], limit[16], customer[24];
  const char *values[11] = {
      after,          limit,        f->pipeline,      f->stage,       f->status, f->product,
      f->closed_from, f->closed_to, f->expected_from, f->expected_to, customer};

  snprintf(after, sizeof after, "%lld", (long long)f->after);
  snprintf(limit, sizeof limit, "%d", f->limit + 1);
  snprintf(customer, sizeof customer, "%lld", (long long)f->customer_id);
  return f->customer_id ? ltvd_db_run(c, "deal_list_customer", 11, values)
                        : ltvd_db_run(c, "deal_list", 10, values);
}
