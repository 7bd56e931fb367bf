/* One PGconn per thread, never shared. HTTP pool threads are created by libmicrohttpd,
 * so the connection lives in a pthread key whose destructor closes it when the thread
 * ends; without it every stopped thread would leak a server connection. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ltvd/db.h"
#include "ltvd/log.h"
#include "ltvd/util.h"

#define RECONNECT_SPACING 0.25 /* seconds between connection attempts of one thread */

static const struct ltvd_stmt *const statement_sets[] = {
    ltvd_db_core_stmts,
    ltvd_db_customer_stmts,
    ltvd_db_key_stmts,
    ltvd_db_idempotency_stmts,
    ltvd_db_units_stmts,
    ltvd_db_products_stmts,
    ltvd_db_pipelines_stmts,
    ltvd_db_settings_stmts,
    ltvd_db_api_keys_stmts,
    ltvd_db_deals_stmts,
    ltvd_db_mrr_stmts,
    ltvd_db_signals_stmts,
    ltvd_db_timeline_stmts,
    ltvd_db_hook_sources_stmts,
    ltvd_db_analytics_runs_stmts,
    ltvd_db_analytics_read_stmts,
};

struct thread_conn {
  PGconn *pg;
  double next_attempt;
  bool fresh;
};

struct thread_error {
  enum ltvd_db_error error;
  enum ltvd_db_error tx_error;
  char constraint[64];
  char message[256];
};

static char *db_url;
static pthread_key_t conn_key;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;
static _Thread_local struct thread_error last;

static void conn_destroy(void *p)
{
  struct thread_conn *tc = p;

  if (tc->pg)
    PQfinish(tc->pg);
  free(tc);
}

static void conn_key_create(void) { pthread_key_create(&conn_key, conn_destroy); }

void ltvd_db_set_url(const char *url)
{
  free(db_url);
  db_url = url ? strdup(url) : NULL;
}

PGconn *ltvd_db_connect(const char *url, char *err, size_t errlen)
{
  const char *keys[] = {"dbname", "application_name", "connect_timeout", "options", NULL};
  const char *values[] = {url ? url : "", "ltvd", "5", "-c client_min_messages=warning", NULL};
  PGconn *c = PQconnectdbParams(keys, values, 1);

  if (PQstatus(c) != CONNECTION_OK) {
    snprintf(err, errlen, "%s", PQerrorMessage(c));
    err[strcspn(err, "\n")] = '\0';
    PQfinish(c);
    return NULL;
  }
  return c;
}

bool ltvd_db_prepare_all(PGconn *c)
{
  for (size_t s = 0; s < sizeof statement_sets / sizeof *statement_sets; s++)
    for (const struct ltvd_stmt *st = statement_sets[s]; st->name; st++) {
      PGresult *res = PQprepare(c, st->name, st->sql, 0, NULL);
      bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
      if (!ok)
        ltvd_log(LTVD_LOG_ERROR, "cannot prepare statement %s: %s", st->name,
                 PQresultErrorMessage(res));
      PQclear(res);
      if (!ok)
        return false;
    }
  return true;
}

static struct thread_conn *thread_slot(void)
{
  pthread_once(&conn_once, conn_key_create);
  struct thread_conn *tc = pthread_getspecific(conn_key);
  if (tc == NULL) {
    tc = calloc(1, sizeof *tc);
    if (tc == NULL)
      abort();
    pthread_setspecific(conn_key, tc);
  }
  return tc;
}

PGconn *ltvd_db_thread_conn(void)
{
  struct thread_conn *tc = thread_slot();
  char err[256];

  if (tc->pg && PQstatus(tc->pg) == CONNECTION_OK)
    return tc->pg;
  if (tc->pg) {
    PQfinish(tc->pg);
    tc->pg = NULL;
  }
  double now = ltvd_monotonic();
  if (now < tc->next_attempt)
    return NULL;
  tc->next_attempt = now + RECONNECT_SPACING;
  tc->pg = ltvd_db_connect(db_url, err, sizeof err);
  if (tc->pg == NULL) {
    ltvd_log(LTVD_LOG_WARN, "database unavailable: %s", err);
    return NULL;
  }
  if (!ltvd_db_prepare_all(tc->pg)) {
    PQfinish(tc->pg);
    tc->pg = NULL;
    return NULL;
  }
  tc->fresh = true;
  return tc->pg;
}

void ltvd_db_request_begin(void) { thread_slot()->fresh = false; }

bool ltvd_db_thread_conn_fresh(void) { return thread_slot()->fresh; }

void ltvd_db_thread_conn_reset(void)
{
  struct thread_conn *tc = thread_slot();

  if (tc->pg) {
    PQfinish(tc->pg);
    tc->pg = NULL;
  }
  tc->next_attempt = 0;
}

static enum ltvd_db_error classify(PGconn *c, const PGresult *res)
{
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

  if (PQstatus(c) != CONNECTION_OK || state == NULL)
    return LTVD_DB_CONNECTION;
  if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
    return LTVD_DB_CONNECTION;
  if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
    return LTVD_DB_SERIALIZATION;
  if (strcmp(state, "23505") == 0)
    return LTVD_DB_UNIQUE;
  if (strcmp(state, "23503") == 0)
    return LTVD_DB_FOREIGN_KEY;
  if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
      strncmp(state, "22", 2) == 0)
    return LTVD_DB_CHECK;
  return LTVD_DB_OTHER;
}

static PGresult *checked(PGconn *c, PGresult *res, const char *what)
{
  ExecStatusType st = PQresultStatus(res);

  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
    return res;
  last.error = classify(c, res);
  if (last.tx_error == LTVD_DB_OK)
    last.tx_error = last.error;
  const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
  snprintf(last.constraint, sizeof last.constraint, "%s", constraint ? constraint : "");
  snprintf(last.message, sizeof last.message, "%s",
           res ? PQresultErrorMessage(res) : PQerrorMessage(c));
  last.message[strcspn(last.message, "\n")] = '\0';
  if (last.error == LTVD_DB_OTHER || last.error == LTVD_DB_CONNECTION)
    ltvd_log(LTVD_LOG_ERROR, "statement %s failed: %s", what, last.message);
  PQclear(res);
  return NULL;
}

PGresult *ltvd_db_run(PGconn *c, const char *stmt, int n, const char *const *values)
{
  return checked(c, PQexecPrepared(c, stmt, n, values, NULL, NULL, 0), stmt);
}

PGresult *ltvd_db_exec(PGconn *c, const char *sql) { return checked(c, PQexec(c, sql), sql); }

PGresult *ltvd_db_exec_params(PGconn *c, const char *sql, int n, const char *const *values)
{
  return checked(c, PQexecParams(c, sql, n, NULL, values, NULL, NULL, 0), sql);
}

bool ltvd_db_copy_begin(PGconn *c, const char *copy_sql)
{
  PGresult *res = PQexec(c, copy_sql);

  if (PQresultStatus(res) == PGRES_COPY_IN) {
    PQclear(res);
    return true;
  }
  PQclear(checked(c, res, copy_sql));
  return false;
}

bool ltvd_db_copy_put(PGconn *c, const char *data, size_t len)
{
  /* on failure the server's error arrives with the result of ltvd_db_copy_end */
  return PQputCopyData(c, data, (int) len) == 1;
}

bool ltvd_db_copy_end(PGconn *c, bool ok)
{
  bool sent = PQputCopyEnd(c, ok ? NULL : "copy abandoned") == 1;
  PGresult *res = checked(c, PQgetResult(c), "COPY");
  bool done = res != NULL;
  PQclear(res);
  while ((res = PQgetResult(c)) != NULL)
    PQclear(res);
  return sent && done && ok;
}

enum ltvd_db_error ltvd_db_last_error(void) { return last.error; }
const char *ltvd_db_last_constraint(void) { return last.constraint; }
const char *ltvd_db_last_message(void) { return last.message; }
enum ltvd_db_error ltvd_db_tx_error(void) { return last.tx_error; }

/* Transactions: the pattern of GNU Taler's run_transaction — a callback run between
 * BEGIN and COMMIT, repeated on serialization failures and deadlocks. */
static bool simple(PGconn *c, const char *sql)
{
  PGresult *res = ltvd_db_exec(c, sql);

  PQclear(res);
  return res != NULL;
}

enum ltvd_db_error ltvd_db_transaction(PGconn *c, ltvd_tx_fn fn, void *ctx)
{
  for (int attempt = 0;; attempt++) {
    last.tx_error = LTVD_DB_OK;
    if (!simple(c, "BEGIN"))
      return last.error;
    enum ltvd_tx_outcome outcome = fn(c, ctx);
    enum ltvd_db_error failed = last.tx_error;
    if (outcome == LTVD_TX_COMMIT && failed == LTVD_DB_OK) {
      if (simple(c, "COMMIT"))
        return LTVD_DB_OK;
      failed = last.error;
    } else if (!simple(c, "ROLLBACK")) {
      return last.error;
    }
    if (failed != LTVD_DB_SERIALIZATION || attempt == 4) {
      last.tx_error = failed;
      return failed;
    }
    struct timespec pause = {0, (long) (1000000L << attempt)}; /* 1, 2, 4, 8 ms */
    nanosleep(&pause, NULL);
  }
}

bool ltvd_db_bump_data_version(PGconn *c, int64_t *version)
{
  PGresult *res = ltvd_db_run(c, "data_version_bump", 0, NULL);

  if (res == NULL)
    return false;
  *version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return true;
}

const struct ltvd_stmt ltvd_db_core_stmts[] = {
    /* Taking the row lock last in a transaction keeps versions in commit order. */
    {"data_version_bump",
     "WITH v AS (UPDATE data_version SET version = version + 1 RETURNING version) "
     "SELECT version, pg_notify('ltvd_data', version::text) FROM v"},
    {"data_version_get", "SELECT version FROM data_version"},
    {"schema_version", "SELECT coalesce(max(version), 0) FROM schema_migrations"},
    {NULL, NULL},
};

json_t *ltvd_db_text_or_null(const PGresult *res, int row, int col)
{
  return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

json_t *ltvd_db_integer_or_null(const PGresult *res, int row, int col)
{
  return PQgetisnull(res, row, col)
             ? json_null()
             : json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}
