/* The SQL of MRR lines. Lines travel as JSON arrays expanded by jsonb_to_recordset, so a
 * month or a whole batch is one statement with one parameter, never built SQL. Inserts
 * are sorted by key so that concurrent batches lock rows in one order (no deadlock). */
#include <stdio.h>
#include <stdlib.h>

#include "ltvd/db.h"
#include "ltvd/revenue_db.h"

const struct ltvd_stmt ltvd_db_mrr_stmts[] = {
    {"revenue_products_missing",
     "SELECT t.ord - 1 FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS t(k, ord) "
     "WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.key = t.k) ORDER BY t.ord"},
    {"mrr_month_delete",
     "DELETE FROM mrr_lines WHERE customer_id = $1 AND month = ($2::text || '-01')::date"},
    {"mrr_month_insert",
     "INSERT INTO mrr_lines (customer_id, product, month, mrr) "
     "SELECT $1, t.product, ($2::text || '-01')::date, t.mrr "
     "FROM jsonb_to_recordset($3::jsonb) AS t(product text, mrr bigint) "
     "ORDER BY t.product COLLATE \"C\""},
    {"mrr_month_get",
     "SELECT product, mrr FROM mrr_lines WHERE customer_id = $1 "
     "AND month = ($2::text || '-01')::date ORDER BY product COLLATE \"C\""},
    {"mrr_list",
     "SELECT to_char(month, 'YYYY-MM'), product, mrr FROM mrr_lines WHERE customer_id = $1 "
     "AND ($2::text IS NULL OR month >= ($2::text || '-01')::date) "
     "AND ($3::text IS NULL OR month <= ($3::text || '-01')::date) "
     "ORDER BY month, product COLLATE \"C\""},
    {"mrr_upsert",
     "INSERT INTO mrr_lines AS l (customer_id, product, month, mrr) "
     "SELECT t.customer_id, t.product, (t.month || '-01')::date, t.mrr "
     "FROM jsonb_to_recordset($1::jsonb) AS t(customer_id bigint, product text, month text, "
     "mrr bigint) ORDER BY t.customer_id, t.product COLLATE \"C\", t.month "
     "ON CONFLICT (customer_id, product, month) DO UPDATE SET mrr = excluded.mrr"},
    {NULL, NULL},
};

bool ltvd_db_products_missing(PGconn *c, const json_t *keys, bool *missing)
{
  char *text = json_dumps(keys, JSON_COMPACT);
  size_t n = json_array_size(keys);

  if (text == NULL)
    abort();
  PGresult *res = LTVD_DB_RUN(c, "revenue_products_missing", text);
  free(text);
  if (res == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    missing[i] = false;
  for (int row = 0; row < PQntuples(res); row++) {
    long i = strtol(PQgetvalue(res, row, 0), NULL, 10);
    if (i >= 0 && (size_t) i < n)
      missing[i] = true;
  }
  PQclear(res);
  return true;
}

static bool run_command(PGresult *res)
{
  PQclear(res);
  return res != NULL;
}

bool ltvd_db_mrr_replace_month(PGconn *c, int64_t customer_id, const char *month,
                               const json_t *lines)
{
  char id[24];

  snprintf(id, sizeof id, "%lld", (long long) customer_id);
  if (!run_command(LTVD_DB_RUN(c, "mrr_month_delete", id, month)))
    return false;
  if (json_array_size(lines) == 0)
    return true;
  char *text = json_dumps(lines, JSON_COMPACT);
  if (text == NULL)
    abort();
  bool ok = run_command(LTVD_DB_RUN(c, "mrr_month_insert", id, month, text));
  free(text);
  return ok;
}

PGresult *ltvd_db_mrr_month(PGconn *c, int64_t customer_id, const char *month)
{
  char id[24];

  snprintf(id, sizeof id, "%lld", (long long) customer_id);
  return LTVD_DB_RUN(c, "mrr_month_get", id, month);
}

PGresult *ltvd_db_mrr_list(PGconn *c, int64_t customer_id, const char *from, const char *to)
{
  char id[24];

  snprintf(id, sizeof id, "%lld", (long long) customer_id);
  return LTVD_DB_RUN(c, "mrr_list", id, from, to);
}

bool ltvd_db_mrr_upsert(PGconn *c, const json_t *lines)
{
  char *text = json_dumps(lines, JSON_COMPACT);

  if (text == NULL)
    abort();
  bool ok = run_command(LTVD_DB_RUN(c, "mrr_upsert", text));
  free(text);
  return ok;
}
