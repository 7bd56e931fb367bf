/* The SQL of MRR lines, engagement signals and the customer timeline (src/db/mrr.c,
 * src/db/signals.c, src/db/timeline.c). Every function runs in the caller's transaction
 * (or autocommit for reads) and returns NULL / false / -1 on a database error, with the
 * error recorded for ltvd_db_last_error. */
#ifndef LTVD_REVENUE_DB_H
#define LTVD_REVENUE_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* --- products referenced by lines and signals --- */

/* For each string of keys (a JSON array of strings), whether no product has that key:
 * missing[i]. False on a database error. */
bool ltvd_db_products_missing(PGconn *c, const json_t *keys, bool *missing);

/* --- MRR lines; months are "YYYY-MM" (validated by the caller) --- */

/* Replaces the customer's lines of month by lines ([{product, mrr}], products distinct
 * and known): delete, then insert. */
bool ltvd_db_mrr_replace_month(PGconn *c, int64_t customer_id, const char *month,
                               const json_t *lines);
/* The customer's lines of month: columns product, mrr; by product (byte order). */
PGresult *ltvd_db_mrr_month(PGconn *c, int64_t customer_id, const char *month);
/* The customer's lines from..to (inclusive, NULL: open): columns month (YYYY-MM),
 * product, mrr; by month, then product. */
PGresult *ltvd_db_mrr_list(PGconn *c, int64_t customer_id, const char *from, const char *to);
/* Upserts lines ([{customer_id, product, month, mrr}], distinct by the first three) by
 * (customer, product, month). */
bool ltvd_db_mrr_upsert(PGconn *c, const json_t *lines);

/* --- signals --- */

enum ltvd_signal_status {
  LTVD_SIGNAL_STORED,    /* stored and attached to its customer */
  LTVD_SIGNAL_UNMATCHED, /* stored; no live customer holds its customer_external_id */
  LTVD_SIGNAL_DUPLICATE, /* its (source, event_id) was stored before: nothing written */
  LTVD_SIGNAL_FAILED,    /* database error */
};

/* "stored", "unmatched", "duplicate" (NULL for FAILED). */
const char *ltvd_signal_status_name(enum ltvd_signal_status status);

/* Stores one validated signal record: an object with customer_id (integer, a live
 * customer) or customer_external_id (string), type, occurred_at (timestamp text), value
 * (number or null), product (a known key or null), source (text) and event_id (text or
 * null). A signal by customer_external_id is attached to the live customer holding it,
 * else kept unmatched until that customer is written (ltvd_db_signals_attach). A
 * (source, event_id) already stored, also by a concurrent transaction or earlier in this
 * one, is not stored again: DUPLICATE, and *signal_out is the stored signal. On success
 * *signal_out (new reference) is the signal as the API shows it. */
enum ltvd_signal_status ltvd_db_signal_store(PGconn *c, const json_t *record,
                                             json_t **signal_out);

struct ltvd_signal_filter {
  int64_t after;
  int limit;
  int64_t customer_id; /* 0: any */
  int unmatched;       /* -1: any, 0: matched only, 1: unmatched only */
  const char *type, *source;
};
/* Signals by id (archived customers' left out), limit + 1 rows. */
PGresult *ltvd_db_signal_list(PGconn *c, const struct ltvd_signal_filter *f);
json_t *ltvd_db_signal_json(const PGresult *res, int row);
int64_t ltvd_db_signal_id(const PGresult *res, int row);

/* --- customer timeline --- */

/* Rows offset .. offset + limit (one more than a page, to tell whether more follow) of
 * the customer's timeline, newest first: columns at, kind, data (JSON text). today
 * (YYYY-MM-DD) bounds the months of mrr_changed (SPEC section 4's reference month). */
PGresult *ltvd_db_timeline(PGconn *c, int64_t customer_id, const char *today, int64_t offset,
                           int limit);

#endif
