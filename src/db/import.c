/* The SQL of bulk import: a staging table per import, filled by COPY, checked and
 * upserted by a handful of set-based statements whatever the number of rows. The rules
 * that need the database are the ones the single-row API applies (a live customer, a
 * known product), stated here as joins. */
#include "ltvd/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/db.h"

struct kind_sql {
  const char *const *columns;
  const char *create; /* the staging table */
  const char *copy;
  const char *problems; /* $1: limit */
  const char *resolve;  /* customer_external_id to customer_id, or NULL */
  const char *apply;    /* one row: inserted, updated; $1: the timestamp when stamped */
  bool stamped;
  const char *after; /* run after apply, or NULL */
};

static const char *const customer_columns[] = {
    "external_id",    "name",           "industry",
    "employee_count", "annual_revenue", "acquisition_channel",
    "country",        "properties",     NULL};
static const char *const deal_columns[] = {"external_id",
                                           "customer_id",
                                           "customer_external_id",
                                           "pipeline",
                                           "stage",
                                           "product",
                                           "revenue_type",
                                           "amount",
                                           "mrr",
                                           "expected_close_date",
                                           "closed_at",
                                           "contract_end_date",
                                           "created_at",
                                           "stage_history",
                                           NULL};
static const char *const mrr_columns[] = {
    "customer_id", "customer_external_id", "product", "month", "mrr", NULL};
static const char *const signal_columns[] = {"customer_id", "customer_external_id",
                                             "type",        "occurred_at",
                                             "value",       "product",
                                             "source",      "event_id",
                                             NULL};

#define LIVE_ID(t)                                                                                 \
  "EXISTS (SELECT 1 FROM customers c WHERE c.id = " t ".customer_id "                              \
  "AND c.archived_at IS NULL)"
#define LIVE_EXT(t)                                                                                \
  "EXISTS (SELECT 1 FROM customers c WHERE c.external_id = " t ".customer_external_id "            \
  "AND c.archived_at IS NULL)"
#define KNOWN_PRODUCT(t) "EXISTS (SELECT 1 FROM products p WHERE p.key = " t ".product)"

static const struct kind_sql kinds[] = {
    [LTVD_IMPORT_CUSTOMERS] =
        {customer_columns,
         "CREATE TEMP TABLE import_customers (row bigint NOT NULL, external_id text, "
         "name text NOT NULL, industry text, employee_count integer, annual_revenue bigint, "
         "acquisition_channel text, country text, properties jsonb NOT NULL) "
         "ON COMMIT DROP",
         "COPY import_customers FROM STDIN",
         "SELECT row, 'external_id', 'repeats the external_id of row ' || first FROM "
         "(SELECT row, min(row) OVER (PARTITION BY external_id) AS first "
         "FROM import_customers WHERE external_id IS NOT NULL) d "
         "WHERE row <> first ORDER BY row LIMIT $1",
         NULL,
         /* an unchanged row is not written (its version stays): re-running an import
            is a no-op */
         "WITH up AS (INSERT INTO customers AS c (external_id, name, industry, "
         "employee_count, annual_revenue, acquisition_channel, country, properties, "
         "created_at, updated_at) "
         "SELECT external_id, name, industry, employee_count, annual_revenue, "
         "acquisition_channel, country, properties, $1, $1 FROM import_customers ORDER BY row "
         "ON CONFLICT (external_id) WHERE archived_at IS NULL DO UPDATE SET "
         "name = excluded.name, industry = excluded.industry, "
         "employee_count = excluded.employee_count, annual_revenue = excluded.annual_revenue, "
         "acquisition_channel = excluded.acquisition_channel, country = excluded.country, "
         "properties = excluded.properties, updated_at = excluded.updated_at, "
         "version = c.version + 1 "
         "WHERE (c.name, c.industry, c.employee_count, c.annual_revenue, "
         "c.acquisition_channel, c.country, c.properties) IS DISTINCT FROM "
         "(excluded.name, excluded.industry, excluded.employee_count, "
         "excluded.annual_revenue, excluded.acquisition_channel, excluded.country, "
         "excluded.properties) RETURNING (xmax = 0) AS inserted) "
         "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
         "FROM up",
         true,
         /* signals waiting for these external ids belong to their customers now */
         "UPDATE signals s SET customer_id = c.id FROM import_customers i "
         "JOIN customers c ON c.external_id = i.external_id AND c.archived_at IS NULL "
         "WHERE s.customer_id IS NULL AND s.customer_external_id = i.external_id"},
    /* the write and its checks: ltvd_db_import_deals_apply */
    [LTVD_IMPORT_DEALS] =
        {deal_columns,
         "CREATE TEMP TABLE import_deals (row bigint NOT NULL, external_id text NOT NULL, "
         "customer_id bigint, customer_external_id text, pipeline text NOT NULL, stage text, "
         "product text, revenue_type text NOT NULL, amount bigint NOT NULL, mrr bigint, "
         "expected_close_date date, closed_at date, contract_end_date date, "
         "created_at timestamptz, stage_history jsonb) ON COMMIT DROP",
         "COPY import_deals FROM STDIN",
         "SELECT i.row, 'external_id', 'repeats the external_id of row ' || d.first "
         "FROM import_deals i JOIN (SELECT external_id, min(row) AS first FROM import_deals "
         "GROUP BY external_id HAVING count(*) > 1) d USING (external_id) "
         "WHERE i.row <> d.first ORDER BY i.row LIMIT $1",
         NULL, NULL, false, NULL},
    [LTVD_IMPORT_MRR] =
        {mrr_columns,
         "CREATE TEMP TABLE import_mrr (row bigint NOT NULL, customer_id bigint, "
         "customer_external_id text, product text NOT NULL, month text NOT NULL, "
         "mrr bigint NOT NULL) ON COMMIT DROP",
         "COPY import_mrr FROM STDIN",
         "SELECT row, field, message FROM ("
         "SELECT row, 'customer_id' AS field, 'refers to no customer' AS message "
         "FROM import_mrr i WHERE customer_id IS NOT NULL AND NOT " LIVE_ID(
             "i") " "
                  "UNION ALL SELECT row, 'customer_external_id', 'refers to no customer' "
                  "FROM import_mrr i WHERE customer_external_id IS NOT NULL AND NOT " LIVE_EXT(
                      "i") " "
                           "UNION ALL SELECT row, 'product', 'refers to no product' "
                           "FROM import_mrr i WHERE NOT " KNOWN_PRODUCT(
                               "i") " "
                                    "UNION ALL SELECT row, 'month', "
                                    "'repeats the customer, product and month of row ' || first "
                                    "FROM "
                                    "(SELECT row, min(row) OVER (PARTITION BY "
                                    "coalesce(i.customer_id, c.id), product, "
                                    "month) AS first FROM import_mrr i LEFT JOIN customers c "
                                    "ON c.external_id = i.customer_external_id AND c.archived_at "
                                    "IS NULL "
                                    "WHERE coalesce(i.customer_id, c.id) IS NOT NULL) d WHERE row "
                                    "<> first) e ORDER BY row, field LIMIT $1",
         "UPDATE import_mrr i SET customer_id = c.id FROM customers c "
         "WHERE i.customer_id IS NULL AND c.external_id = i.customer_external_id "
         "AND c.archived_at IS NULL",
         "WITH up AS (INSERT INTO mrr_lines AS m (customer_id, product, month, mrr) "
         "SELECT customer_id, product, (month || '-01')::date, mrr FROM import_mrr "
         "ON CONFLICT (customer_id, product, month) DO UPDATE SET mrr = excluded.mrr "
         "WHERE m.mrr <> excluded.mrr RETURNING (xmax = 0) AS inserted) "
         "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
         "FROM up",
         false, NULL},
    [LTVD_IMPORT_SIGNALS] =
        {signal_columns,
         "CREATE TEMP TABLE import_signals (row bigint NOT NULL, customer_id bigint, "
         "customer_external_id text, type text NOT NULL, occurred_at timestamptz NOT NULL, "
         "value double precision, product text, source text NOT NULL, event_id text) "
         "ON COMMIT DROP",
         "COPY import_signals FROM STDIN",
         "SELECT row, field, message FROM ("
         "SELECT row, 'customer_id' AS field, 'refers to no customer' AS message "
         "FROM import_signals i WHERE customer_id IS NOT NULL AND NOT " LIVE_ID(
             "i") " "
                  "UNION ALL SELECT row, 'product', 'refers to no product' "
                  "FROM import_signals i WHERE product IS NOT NULL AND NOT " KNOWN_PRODUCT(
                      "i") ") e "
                           "ORDER BY row, field LIMIT $1",
         /* as a single signal: stored by id, matched by external id, else unmatched */
         "UPDATE import_signals i SET customer_id = c.id "
         "FROM customers c WHERE i.customer_id IS NULL "
         "AND c.external_id = i.customer_external_id AND c.archived_at IS NULL",
         /* a (source, event_id) stored before, or earlier in the file, is skipped */
         "WITH first AS (SELECT *, row_number() OVER (PARTITION BY source, "
         "coalesce(event_id, row::text) ORDER BY row) AS n FROM import_signals), "
         "ins AS (INSERT INTO signals (customer_id, customer_external_id, type, occurred_at, "
         "value, product, source, event_id, created_at) "
         "SELECT customer_id, customer_external_id, type, occurred_at, value, product, source, "
         "event_id, $1 FROM first WHERE n = 1 ORDER BY row "
         "ON CONFLICT (source, event_id) DO NOTHING RETURNING 1) "
         "SELECT count(*), 0 FROM ins",
         true, NULL},
};

const char *const *ltvd_db_import_columns(enum ltvd_import_kind kind)
{
  return kinds[kind].columns;
}

static bool exec(PGconn *c, const char *sql)
{
  PGresult *res = ltvd_db_exec(c, sql);

  PQclear(res);
  return res != NULL;
}

bool ltvd_db_import_begin(PGconn *c, enum ltvd_import_kind kind)
{
  /* the sorts and hashes of a 10 MiB import fit in memory; a setting of this
     transaction's speed, not of its durability */
  return exec(c, "SET LOCAL work_mem = '64MB'") && exec(c, kinds[kind].create) &&
         ltvd_db_copy_begin(c, kinds[kind].copy);
}

PGresult *ltvd_db_import_problems(PGconn *c, enum ltvd_import_kind kind, int limit)
{
  char n[16];
  const char *values[] = {n};

  snprintf(n, sizeof n, "%d", limit);
  return ltvd_db_exec_params(c, kinds[kind].problems, 1, values);
}

bool ltvd_db_import_apply(PGconn *c, enum ltvd_import_kind kind, int64_t rows,
                          struct ltvd_import_counts *counts)
{
  const struct kind_sql *k = &kinds[kind];
  char ts[32];
  const char *values[] = {ts};

  ltvd_clock_timestamp(ts);
  if (k->resolve && !exec(c, k->resolve))
    return false;
  PGresult *res = ltvd_db_exec_params(c, k->apply, k->stamped ? 1 : 0, values);
  if (res == NULL)
    return false;
  counts->inserted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  counts->updated = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
  counts->skipped = rows - counts->inserted - counts->updated;
  PQclear(res);
  return k->after == NULL || exec(c, k->after);
}

/* --- deals ----------------------------------------------------------------------------
 *
 * A deal import runs as a single deal write does (src/db/deals.c, src/api/deals.c):
 * resolve the references, write, and report what was found and written so that the
 * caller judges every row by the rules of ltvd_deal_judge and rolls back on any error.
 * Set-based: one statement resolves every row (customer, pipeline, stage or the
 * pipeline's first, product, the stages of an imported history, closed_at by the stage's
 * state), one inserts the new deals with their history (ON CONFLICT on external_id
 * sorts out the existing ones, also those a concurrent write just created), one
 * updates the existing ones; none reads the whole deals table. */

/* Every temporary table a later statement joins is a table, not a CTE, so that the
 * planner knows its size and hashes instead of looping over a large CTE. */
static const char deal_tables[] =
    /* the resolved rows */
    "CREATE TEMP TABLE import_deals_r (LIKE import_deals, customer bigint, "
    "pipeline_found boolean NOT NULL, stage_key text, state text, product_ok boolean NOT NULL, "
    "unknown_history integer[] NOT NULL, created timestamptz NOT NULL, closed date) "
    "ON COMMIT DROP; "
    /* the deals inserted */
    "CREATE TEMP TABLE import_deals_new (id bigint NOT NULL, external_id text NOT NULL, "
    "pipeline text NOT NULL, stage text NOT NULL, created_at timestamptz NOT NULL) "
    "ON COMMIT DROP; "
    /* the rows whose external_id a deal held already */
    "CREATE TEMP TABLE import_deals_old (row bigint NOT NULL) ON COMMIT DROP; "
    /* those rows with their deal (locked) and what replacing it writes */
    "CREATE TEMP TABLE import_deals_upd (row bigint NOT NULL, id bigint NOT NULL, "
    "live boolean NOT NULL, customer_id bigint NOT NULL, pipeline text NOT NULL, "
    "stage text NOT NULL, product text, revenue_type text NOT NULL, amount bigint NOT NULL, "
    "mrr bigint, expected_close_date date, closed_at date, contract_end_date date, "
    "moved boolean NOT NULL, created timestamptz NOT NULL) ON COMMIT DROP";

/* The F_* columns of import_deals_r. */
#define FACTS                                                                                      \
  "row, customer IS NOT NULL, pipeline_found, stage_key, state, product_ok, "                      \
  "CASE WHEN cardinality(unknown_history) > 0 THEN unknown_history::text END, "                    \
  "to_char(closed, 'YYYY-MM-DD'), CASE WHEN closed IS NOT NULL "                                   \
  "THEN to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD') END, closed_at IS NOT NULL, stage, "     \
  "customer_id IS NOT NULL, jsonb_array_length(stage_history), "                                   \
  "stage_history -> -1 ->> 'stage', stage_history -> -1 ->> 'entered_at'"

#define CLOSED_ON_CREATE LTVD_DEAL_SQL_CLOSED_ON_CREATE("s.state", "i.closed_at", "$2::date")

/* Resolves every staged row, answering in row order what ltvd_db_import_deal_facts
 * reads: the references found, closed_at as a create sets it, and what the row asked
 * for. created_at is answered (as its UTC date) only beside a closed_at, the one rule
 * that reads it. $1: the import's timestamp, $2: today. */
static const char deal_resolve[] =
    "INSERT INTO import_deals_r SELECT i.*, coalesce(ci.id, ce.id), p.key IS NOT NULL, s.key, "
    "s.state, i.product IS NULL OR pr.key IS NOT NULL, "
    "CASE WHEN i.stage_history IS NULL THEN '{}' ELSE ARRAY(SELECT e.ord - 1 "
    "FROM jsonb_array_elements(i.stage_history) WITH ORDINALITY AS e(v, ord) "
    "WHERE NOT EXISTS (SELECT 1 FROM pipeline_stages h WHERE h.pipeline = i.pipeline "
    "AND h.key = e.v ->> 'stage') ORDER BY e.ord) END, "
    "coalesce(i.created_at, $1::timestamptz), " CLOSED_ON_CREATE " FROM import_deals i "
    "LEFT JOIN customers ci ON ci.id = i.customer_id AND ci.archived_at IS NULL "
    "LEFT JOIN customers ce ON ce.external_id = i.customer_external_id "
    "AND ce.archived_at IS NULL "
    "LEFT JOIN pipelines p ON p.key = i.pipeline "
    "LEFT JOIN (SELECT DISTINCT ON (pipeline) pipeline, key FROM pipeline_stages "
    "ORDER BY pipeline, position) f ON f.pipeline = i.pipeline "
    "LEFT JOIN pipeline_stages s ON s.pipeline = i.pipeline AND s.key = coalesce(i.stage, f.key) "
    "LEFT JOIN products pr ON pr.key = i.product ORDER BY i.row RETURNING " FACTS;

/* A row whose references all exist, as a deal write demands. */
#define WRITABLE "r.customer IS NOT NULL AND r.stage_key IS NOT NULL AND r.product_ok"

/* The new deals, in row order (an external_id a deal holds is left for the update).
 * $1: the import's timestamp. */
static const char deal_insert[] =
    "WITH ins AS (INSERT INTO deals AS d (external_id, customer_id, pipeline, stage, product, "
    "revenue_type, amount, mrr, expected_close_date, closed_at, contract_end_date, created_at, "
    "updated_at) SELECT external_id, customer, pipeline, stage_key, product, revenue_type, "
    "amount, mrr, expected_close_date, closed, contract_end_date, created, $1::timestamptz "
    "FROM import_deals_r r WHERE " WRITABLE " ORDER BY row "
    "ON CONFLICT (external_id) DO NOTHING "
    "RETURNING d.id, d.external_id, d.pipeline, d.stage, d.created_at) "
    "INSERT INTO import_deals_new SELECT * FROM ins";

/* Each new deal's stage entered at created_at: the history of an import without any. */
static const char deal_insert_stages[] =
    "INSERT INTO deal_stage_history (deal_id, pipeline, stage, entered_at) "
    "SELECT id, pipeline, stage, created_at FROM import_deals_new";

/* Each new deal's imported history, else its stage entered at created_at. */
static const char deal_insert_history[] =
    "INSERT INTO deal_stage_history (deal_id, pipeline, stage, entered_at) "
    "SELECT n.id, n.pipeline, coalesce(e.v ->> 'stage', n.stage), "
    "coalesce((e.v ->> 'entered_at')::timestamptz, n.created_at) FROM import_deals_new n "
    "LEFT JOIN import_deals_r h ON h.external_id = n.external_id "
    "AND h.stage_history IS NOT NULL "
    "LEFT JOIN LATERAL jsonb_array_elements(h.stage_history) WITH ORDINALITY AS e(v, ord) "
    "ON true";

/* The rows that a deal's external_id kept out of the insert. */
static const char deal_find_old[] =
    "INSERT INTO import_deals_old SELECT r.row FROM import_deals_r r WHERE " WRITABLE
    " AND NOT EXISTS (SELECT 1 FROM import_deals_new n WHERE n.external_id = "
    "r.external_id)";

#define MOVED "(r.pipeline, r.stage_key) IS DISTINCT FROM (d.pipeline, d.stage)"
#define CLOSED_ON_UPDATE                                                                           \
  LTVD_DEAL_SQL_CLOSED_ON_UPDATE("r.state", MOVED, "r.closed_at", "d.closed_at", "$1::date")

/* The existing deals, locked, and what replacing them writes, as PUT .../external does:
 * every writable field, closed_at by the stage rules, a history entry when the stage
 * moves; created_at and stage_history are for creation only. A deal of an archived
 * customer is not replaced: it holds its external_id. $1: today. */
static const char deal_lock_old[] =
    "INSERT INTO import_deals_upd SELECT r.row, d.id, EXISTS (SELECT 1 FROM customers c "
    "WHERE c.id = d.customer_id AND c.archived_at IS NULL), r.customer, r.pipeline, "
    "r.stage_key, r.product, r.revenue_type, r.amount, r.mrr, r.expected_close_date, "
    "" CLOSED_ON_UPDATE ", r.contract_end_date, " MOVED ", d.created_at "
    "FROM import_deals_old o JOIN import_deals_r r USING (row) "
    "JOIN deals d ON d.external_id = r.external_id FOR UPDATE OF d";

#define DEAL_FIELDS(t)                                                                             \
  t "customer_id, " t "pipeline, " t "stage, " t "product, " t "revenue_type, " t "amount, " t     \
    "mrr, " t "expected_close_date, " t "closed_at, " t "contract_end_date"
#define STORED DEAL_FIELDS("d.")
#define REPLACED DEAL_FIELDS("n.")

/* Replaces the changed deals (an unchanged one keeps its version), with a history entry
 * for each that moved; answers how many. $1: the import's timestamp. */
static const char deal_update[] =
    "WITH upd AS (UPDATE deals AS d SET customer_id = n.customer_id, pipeline = n.pipeline, "
    "stage = n.stage, product = n.product, revenue_type = n.revenue_type, amount = n.amount, "
    "mrr = n.mrr, expected_close_date = n.expected_close_date, closed_at = n.closed_at, "
    "contract_end_date = n.contract_end_date, updated_at = $1::timestamptz, "
    "version = d.version + 1 FROM import_deals_upd n WHERE d.id = n.id AND n.live "
    "AND (" STORED ") IS DISTINCT FROM (" REPLACED
    ") RETURNING d.id, d.pipeline, d.stage, n.moved), "
    "hist AS (INSERT INTO deal_stage_history (deal_id, pipeline, stage, entered_at) "
    "SELECT id, pipeline, stage, $1::timestamptz FROM upd WHERE moved) "
    "SELECT count(*) FROM upd";

/* An existing deal that vanished between the insert and the update (deleted by a
 * concurrent request): run the import again, as after any serialization failure. */
static const char deal_retry[] = "DO $$BEGIN RAISE SQLSTATE '40001' USING MESSAGE = "
                                 "'a deal of the import changed concurrently'; END$$";

/* What the replaced deals wrote, in row order (U_* columns). */
static const char deal_updated[] =
    "SELECT row, to_char(closed_at, 'YYYY-MM-DD'), CASE WHEN closed_at IS NOT NULL "
    "THEN to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD') END, NOT live "
    "FROM import_deals_upd ORDER BY row";

enum {
  F_ROW,
  F_CUSTOMER,
  F_PIPELINE,
  F_STAGE,
  F_STATE,
  F_PRODUCT,
  F_UNKNOWN_HISTORY,
  F_CLOSED,
  F_CREATED,
  F_CLOSED_GIVEN,
  F_GIVEN_STAGE,
  F_BY_ID,
  F_HISTORY_LEN,
  F_LAST_STAGE,
  F_LAST_ENTERED,
};
enum { U_ROW, U_CLOSED, U_CREATED, U_HELD };

static int64_t number(const PGresult *res, int row, int col)
{
  return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static PGresult *run_params(PGconn *c, const char *sql, int n, const char *a, const char *b)
{
  const char *values[] = {a, b};

  return ltvd_db_exec_params(c, sql, n, values);
}

/* Runs sql (one parameter, a); *count receives the rows it affected or, when it answers
 * a row, that row's first value. */
static bool run_counted(PGconn *c, const char *sql, const char *a, int64_t *count)
{
  PGresult *res = run_params(c, sql, a ? 1 : 0, a, NULL);

  if (res == NULL)
    return false;
  *count = PQntuples(res) ? number(res, 0, 0) : strtoll(PQcmdTuples(res), NULL, 10);
  PQclear(res);
  return true;
}

/* The rows whose references all exist (the rows a write takes). */
static int64_t writable(const PGresult *rows)
{
  int64_t n = 0;

  for (int i = 0; i < PQntuples(rows); i++)
    n += PQgetvalue(rows, i, F_CUSTOMER)[0] == 't' && !PQgetisnull(rows, i, F_STAGE) &&
         PQgetvalue(rows, i, F_PRODUCT)[0] == 't';
  return n;
}

/* The statement that writes the new deals' history: without imported histories, one
 * without the join that finds them. */
static const char *history_statement(const PGresult *rows)
{
  for (int i = 0; i < PQntuples(rows); i++)
    if (!PQgetisnull(rows, i, F_HISTORY_LEN))
      return deal_insert_history;
  return deal_insert_stages;
}

/* Replaces the existing deals among the rows; false on a database error. */
static bool update_existing(PGconn *c, const char *now, const char *today,
                            struct ltvd_import_deals *out, struct ltvd_import_counts *counts)
{
  int64_t old, locked, n;

  if (!run_counted(c, deal_find_old, NULL, &old))
    return false;
  if (old == 0)
    return true;
  if (!run_counted(c, deal_lock_old, today, &locked) ||
      !run_counted(c, deal_update, now, &counts->updated))
    return false;
  if (locked < old && !run_counted(c, deal_retry, NULL, &n))
    return false;
  return (out->updated = ltvd_db_exec(c, deal_updated)) != NULL;
}

bool ltvd_db_import_deals_apply(PGconn *c, struct ltvd_import_deals *out,
                                struct ltvd_import_counts *counts)
{
  char now[32], today[11];
  int64_t n;

  ltvd_clock_timestamp(now);
  ltvd_clock_today(today);
  memset(counts, 0, sizeof *counts);
  memset(out, 0, sizeof *out);
  bool ok =
      exec(c, deal_tables) && (out->rows = run_params(c, deal_resolve, 2, now, today)) != NULL &&
      run_counted(c, deal_insert, now, &counts->inserted) &&
      (counts->inserted == 0 || run_counted(c, history_statement(out->rows), NULL, &n)) &&
      (counts->inserted == writable(out->rows) || update_existing(c, now, today, out, counts));
  if (!ok)
    ltvd_db_import_deals_free(out);
  return ok;
}

void ltvd_db_import_deals_free(struct ltvd_import_deals *f)
{
  PQclear(f->rows);
  PQclear(f->updated);
  f->rows = f->updated = NULL;
}

static bool truth(const PGresult *res, int row, int col)
{
  return PQgetvalue(res, row, col)[0] == 't';
}

static const char *text_or_null(const PGresult *res, int row, int col)
{
  return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

long ltvd_db_import_deal_facts(const struct ltvd_import_deals *f, int i, int *u,
                               struct ltvd_deal_refs *refs, struct ltvd_deal_expect *x, bool *held)
{
  const PGresult *res = f->rows;
  long row = strtol(PQgetvalue(res, i, F_ROW), NULL, 10);
  const char *unknown = text_or_null(res, i, F_UNKNOWN_HISTORY);

  *refs = (struct ltvd_deal_refs){
      .customer = truth(res, i, F_CUSTOMER),
      .pipeline = truth(res, i, F_PIPELINE),
      .product = truth(res, i, F_PRODUCT),
      .stage = text_or_null(res, i, F_STAGE),
      .state = text_or_null(res, i, F_STATE),
      .closed = text_or_null(res, i, F_CLOSED),
      .created = text_or_null(res, i, F_CREATED),
      .unknown_history = unknown ? ltvd_db_deal_indices(unknown) : NULL,
  };
  *x = (struct ltvd_deal_expect){
      .closed_given = truth(res, i, F_CLOSED_GIVEN),
      .stage_given = !PQgetisnull(res, i, F_GIVEN_STAGE),
      .stage = text_or_null(res, i, F_GIVEN_STAGE),
      .customer_field = truth(res, i, F_BY_ID) ? "customer_id" : "customer_external_id",
      .history_len = PQgetisnull(res, i, F_HISTORY_LEN) ? 0 : (size_t)number(res, i, F_HISTORY_LEN),
      .last_stage = text_or_null(res, i, F_LAST_STAGE),
      .last_entered = text_or_null(res, i, F_LAST_ENTERED),
  };
  *held = false;
  /* a row that replaced a deal: judged as a replace is, on what it wrote */
  const PGresult *upd = f->updated;
  while (upd && *u < PQntuples(upd) && number(upd, *u, U_ROW) < row)
    (*u)++;
  if (upd && *u < PQntuples(upd) && number(upd, *u, U_ROW) == row) {
    refs->closed = text_or_null(upd, *u, U_CLOSED);
    refs->created = text_or_null(upd, *u, U_CREATED);
    *held = truth(upd, *u, U_HELD);
    x->history_len = 0;
  }
  refs->written = refs->customer && refs->stage && refs->product && !*held;
  return row;
}
