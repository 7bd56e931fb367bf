/* The SQL of bulk import: a staging table per import, filled by COPY, checked and
 * upserted by a handful of set-based statements whatever the number of rows. The rules
 * that need the database are the ones the single-row API applies (a live customer, a
 * known product), stated here as joins. */
#include "ltvd/import.h"

#include <stdio.h>
#include <stdlib.h>

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
  return exec(c, kinds[kind].create) && ltvd_db_copy_begin(c, kinds[kind].copy);
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
