/* The database layer: one connection per thread with every module's statements prepared
 * by name, errors sorted into what a caller can act on, and the one transaction helper
 * (callers never issue BEGIN themselves). */
#ifndef LTVD_DB_H
#define LTVD_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

enum ltvd_db_error {
  LTVD_DB_OK = 0,
  LTVD_DB_CONNECTION,    /* connection lost or refused: 503, retry later */
  LTVD_DB_SERIALIZATION, /* 40001 / 40P01: run the transaction again */
  LTVD_DB_UNIQUE,        /* 23505 */
  LTVD_DB_FOREIGN_KEY,   /* 23503 */
  LTVD_DB_CHECK,         /* 23514, 23502, 22xxx: a value the schema refuses */
  LTVD_DB_OTHER,
};

/* A statement prepared on every connection under its name. */
struct ltvd_stmt {
  const char *name;
  const char *sql;
};

/* Each module's statements, terminated by {NULL, NULL}. */
extern const struct ltvd_stmt ltvd_db_core_stmts[];
extern const struct ltvd_stmt ltvd_db_customer_stmts[];
extern const struct ltvd_stmt ltvd_db_key_stmts[];
extern const struct ltvd_stmt ltvd_db_idempotency_stmts[];
extern const struct ltvd_stmt ltvd_db_units_stmts[];
extern const struct ltvd_stmt ltvd_db_products_stmts[];
extern const struct ltvd_stmt ltvd_db_pipelines_stmts[];
extern const struct ltvd_stmt ltvd_db_settings_stmts[];
extern const struct ltvd_stmt ltvd_db_api_keys_stmts[];
extern const struct ltvd_stmt ltvd_db_deals_stmts[];
extern const struct ltvd_stmt ltvd_db_mrr_stmts[];
extern const struct ltvd_stmt ltvd_db_signals_stmts[];
extern const struct ltvd_stmt ltvd_db_timeline_stmts[];
extern const struct ltvd_stmt ltvd_db_hook_sources_stmts[];
extern const struct ltvd_stmt ltvd_db_analytics_runs_stmts[]; /* the worker and its endpoints */
extern const struct ltvd_stmt ltvd_db_analytics_read_stmts[];

/* Sets the conninfo used by ltvd_db_thread_conn. */
void ltvd_db_set_url(const char *url);

/* Opens a connection (application_name ltvd); NULL with a message in err on failure. */
PGconn *ltvd_db_connect(const char *url, char *err, size_t errlen);

/* Prepares every module's statements on c (a migrated database); false on error. */
bool ltvd_db_prepare_all(PGconn *c);

/* This thread's connection, connected and prepared, or NULL while the database cannot
 * be reached (attempts are spaced so that an outage does not become a connect storm). */
PGconn *ltvd_db_thread_conn(void);

/* True when this thread's connection was opened during the current request (see
 * ltvd_db_request_begin), so a connection error on it is not a stale-socket error. */
bool ltvd_db_thread_conn_fresh(void);
void ltvd_db_request_begin(void);

/* Closes this thread's connection after a connection error so the next call reconnects. */
void ltvd_db_thread_conn_reset(void);

/* Runs a prepared statement. Returns a result of TUPLES_OK or COMMAND_OK (the caller
 * PQclear()s it) or NULL with the error recorded for ltvd_db_last_*. */
PGresult *ltvd_db_run(PGconn *c, const char *stmt, int n, const char *const *values);
#define LTVD_DB_RUN(c, stmt, ...)                                                       \
  ltvd_db_run((c), (stmt), (int) (sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
              (const char *[]){__VA_ARGS__})

/* Runs plain SQL (no parameters) the same way. */
PGresult *ltvd_db_exec(PGconn *c, const char *sql);

/* A column of a result as JSON: a string, or an integer; null for SQL NULL. */
json_t *ltvd_db_text_or_null(const PGresult *res, int row, int col);
json_t *ltvd_db_integer_or_null(const PGresult *res, int row, int col);
/* Runs SQL with parameters, unprepared (for statements on temporary tables, which do
 * not exist when a connection prepares its statements). */
PGresult *ltvd_db_exec_params(PGconn *c, const char *sql, int n, const char *const *values);

/* COPY ... FROM STDIN: begin, send text-format data in pieces, end (ok false abandons
 * it). Each returns false on failure, with the error recorded as for statements. */
bool ltvd_db_copy_begin(PGconn *c, const char *copy_sql);
bool ltvd_db_copy_put(PGconn *c, const char *data, size_t len);
bool ltvd_db_copy_end(PGconn *c, bool ok);

/* The error of the last failed statement on this thread. */
enum ltvd_db_error ltvd_db_last_error(void);
const char *ltvd_db_last_constraint(void); /* "" when none */
const char *ltvd_db_last_message(void);

enum ltvd_tx_outcome { LTVD_TX_COMMIT, LTVD_TX_ROLLBACK };
typedef enum ltvd_tx_outcome (*ltvd_tx_fn)(PGconn *c, void *ctx);

/* Runs fn inside BEGIN ... COMMIT/ROLLBACK as fn asks, again (up to 5 attempts, with a
 * short back-off) when a statement or the commit failed with a serialization failure or
 * deadlock. Returns LTVD_DB_OK when the transaction ended as fn asked, else the first
 * error that ended it. fn must be safe to run again. */
enum ltvd_db_error ltvd_db_transaction(PGconn *c, ltvd_tx_fn fn, void *ctx);

/* The first error recorded inside the running transaction, LTVD_DB_OK when none. */
enum ltvd_db_error ltvd_db_tx_error(void);

/* Bumps the data version and sends NOTIFY ltvd_data, inside the caller's transaction. */
bool ltvd_db_bump_data_version(PGconn *c, int64_t *version);

/* Migrations (embedded in the binary from migrations/). */
int ltvd_db_known_schema_version(void);
/* The database's schema version: 0 when never migrated, -1 on error. */
int ltvd_db_schema_version(PGconn *c);
/* Applies pending migrations, printing each to out when not NULL; false on error. */
bool ltvd_db_migrate(PGconn *c, void (*out)(const char *line), char *err, size_t errlen);

#endif
