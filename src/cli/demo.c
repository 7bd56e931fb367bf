/* `ltvd demo`: a deterministic demo company (src/cli/demo_data.c), so that a newcomer's
 * first curl calls and every analytic return something worth looking at.  Loaded in one
 * transaction with one data version bump, one INSERT ... SELECT FROM unnest(...) per
 * table; running it again changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"
#include "ltvd/cli.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"

/* Each statement takes one array per column, in the order of demo.h's enums.  Customers
 * are referred to by external id (the live customer holding it), deals by theirs. */
static const struct ltvd_stmt demo_stmts[] = {
    {"demo_lock", "SELECT pg_advisory_xact_lock(hashtext('ltvd demo'))"},
    /* Archived demo customers count as loaded: their deals keep the demo's ids. */
    {"demo_present", "SELECT 1 FROM customers WHERE external_id = 'demo-0001' LIMIT 1"},
    {"demo_units",
     "INSERT INTO business_units (key, name, created_at, updated_at) "
     "SELECT k, n, t, t FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(k, n, t)"},
    {"demo_products",
     "INSERT INTO products (key, name, business_unit, family, tier, monthly_price, "
     "gross_margin, created_at, updated_at) "
     "SELECT k, n, u, f, tier, price, gm, t, t FROM unnest($1::text[], $2::text[], "
     "$3::text[], $4::text[], $5::int[], $6::bigint[], $7::float8[], $8::timestamptz[]) "
     "AS p(k, n, u, f, tier, price, gm, t)"},
    {"demo_customers",
     "INSERT INTO customers (external_id, name, industry, employee_count, annual_revenue, "
     "acquisition_channel, country, properties, created_at, updated_at) "
     "SELECT e, n, i, emp, rev, ch, co, props, t, t FROM unnest($1::text[], $2::text[], "
     "$3::text[], $4::int[], $5::bigint[], $6::text[], $7::text[], $8::jsonb[], "
     "$9::timestamptz[]) WITH ORDINALITY AS c(e, n, i, emp, rev, ch, co, props, t, o) "
     "ORDER BY o"},
    {"demo_deals",
     "INSERT INTO deals (external_id, customer_id, pipeline, stage, product, revenue_type, "
     "amount, mrr, expected_close_date, closed_at, contract_end_date, created_at, "
     "updated_at) "
     "SELECT d.e, c.id, d.pl, d.st, d.pr, d.rt, d.amount, d.mrr, d.exp, d.closed, d.ends, "
     "d.created, d.updated FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
     "$5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::date[], $10::date[], "
     "$11::date[], $12::timestamptz[], $13::timestamptz[]) WITH ORDINALITY "
     "AS d(e, cust, pl, st, pr, rt, amount, mrr, exp, closed, ends, created, updated, o) "
     "JOIN customers c ON c.external_id = d.cust AND c.archived_at IS NULL ORDER BY d.o"},
    {"demo_history",
     "INSERT INTO deal_stage_history (deal_id, pipeline, stage, entered_at) "
     "SELECT d.id, h.pl, h.st, h.t FROM unnest($1::text[], $2::text[], $3::text[], "
     "$4::timestamptz[]) WITH ORDINALITY AS h(e, pl, st, t, o) "
     "JOIN deals d ON d.external_id = h.e ORDER BY h.o"},
    {"demo_mrr",
     "INSERT INTO mrr_lines (customer_id, product, month, mrr) "
     "SELECT c.id, m.pr, m.month, m.mrr FROM unnest($1::text[], $2::text[], $3::date[], "
     "$4::bigint[]) AS m(cust, pr, month, mrr) "
     "JOIN customers c ON c.external_id = m.cust AND c.archived_at IS NULL"},
    /* A signal for an external id no customer has is kept unmatched (customer_id null). */
    {"demo_signals",
     "INSERT INTO signals (customer_id, customer_external_id, type, occurred_at, value, "
     "product, source, event_id, created_at) "
     "SELECT c.id, s.cust, s.ty, s.t, s.v, s.pr, 'demo', s.ev, s.created "
     "FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::text[], "
     "$6::text[], $7::timestamptz[]) WITH ORDINALITY AS s(cust, ty, t, v, pr, ev, created, o) "
     "LEFT JOIN customers c ON c.external_id = s.cust AND c.archived_at IS NULL "
     "ORDER BY s.o"},
    {NULL, NULL},
};

struct load {
  struct demo_data *data;
  bool present, failed;
  long long counts[7]; /* units, products, customers, deals, history, mrr, signals */
  int64_t version;
};

/* Runs statement `name` with table t's columns; its row count into *count. */
static bool insert(PGconn *c, const char *name, struct demo_table *t, long long *count)
{
  const char *values[DEMO_MAX_COLS];

  for (int k = 0; k < t->ncols; k++)
    values[k] = demo_col_text(&t->cols[k]);
  PGresult *res = ltvd_db_run(c, name, t->ncols, values);
  if (res == NULL)
    return false;
  *count = strtoll(PQcmdTuples(res), NULL, 10);
  PQclear(res);
  if (*count != t->rows) { /* a customer or deal id failed to join: say so */
    fprintf(stderr, "ltvd demo: %s inserted %lld of %ld rows\n", name, *count, t->rows);
    return false;
  }
  return true;
}

static enum ltvd_tx_outcome load(PGconn *c, void *ctx)
{
  struct load *l = ctx;

  l->failed = false;
  struct demo_data *d = l->data;
  static const char *const names[] = {"demo_units", "demo_products", "demo_customers",
                                      "demo_deals", "demo_history", "demo_mrr",
                                      "demo_signals"};
  struct demo_table *tables[] = {&d->units, &d->products, &d->customers, &d->deals,
                                 &d->history, &d->mrr, &d->signals};

  PGresult *res = ltvd_db_run(c, "demo_lock", 0, NULL);
  PQclear(res);
  if (res == NULL)
    return LTVD_TX_ROLLBACK;
  res = ltvd_db_run(c, "demo_present", 0, NULL);
  if (res == NULL)
    return LTVD_TX_ROLLBACK;
  l->present = PQntuples(res) > 0;
  PQclear(res);
  if (l->present)
    return LTVD_TX_ROLLBACK;
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
    if (!insert(c, names[i], tables[i], &l->counts[i])) {
      l->failed = true;
      return LTVD_TX_ROLLBACK;
    }
  return ltvd_db_bump_data_version(c, &l->version) ? LTVD_TX_COMMIT : LTVD_TX_ROLLBACK;
}

static bool prepare(PGconn *c)
{
  for (const struct ltvd_stmt *s = demo_stmts; s->name; s++) {
    PGresult *res = PQprepare(c, s->name, s->sql, 0, NULL);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
      fprintf(stderr, "ltvd demo: cannot prepare %s: %s", s->name, PQerrorMessage(c));
    PQclear(res);
    if (!ok)
      return false;
  }
  return true;
}

int ltvd_cli_demo(const struct ltvd_config *cfg, int argc, char **argv)
{
  char err[512], today[11];
  struct demo_data data;
  struct load l = {.data = &data};

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("usage: ltvd demo\n\nLoads a deterministic demo company into LTVD_DATABASE_URL: "
           "units, products, 300 customers and two years of deals, MRR lines and signals "
           "up to today (LTVD_TODAY). Once; later runs change nothing.\n");
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "ltvd demo: unexpected argument \"%s\"\n", argv[1]);
    return 2;
  }
  if (cfg->database_url == NULL) {
    fprintf(stderr, "ltvd: LTVD_DATABASE_URL is not set\n");
    return 1;
  }
  PGconn *c = ltvd_db_connect(cfg->database_url, err, sizeof err);
  if (c == NULL || !ltvd_db_prepare_all(c) || !prepare(c)) {
    fprintf(stderr, "ltvd demo: cannot use the database (is it migrated?): %s\n",
            c ? ltvd_db_last_message() : err);
    PQfinish(c);
    return 1;
  }
  ltvd_clock_today(today);
  demo_generate(&data, today);
  bool ok = ltvd_db_transaction(c, load, &l) == LTVD_DB_OK && !l.failed;
  if (!ok)
    fprintf(stderr, "ltvd demo: %s\n", ltvd_db_last_message());
  else if (l.present)
    printf("demo data already loaded\n");
  else
    printf("demo data for %s loaded: %lld business units, %lld products, %lld customers, "
           "%lld deals, %lld deal stage history entries, %lld MRR lines, %lld signals "
           "(data version %lld)\n",
           today, l.counts[0], l.counts[1], l.counts[2], l.counts[3], l.counts[4], l.counts[5],
           l.counts[6], (long long) l.version);
  demo_free(&data);
  PQfinish(c);
  return ok ? 0 : 1;
}
