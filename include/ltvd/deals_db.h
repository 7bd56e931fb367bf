/* Deals: the SQL of src/db/deals.c, used by the handlers of src/api/deals.c.
 *
 * A deal's writable fields travel as a "record": a JSON object holding exactly the
 * fields of ltvd_deal_writable (null where unset; customer_id an integer or null).
 *
 * The two write statements (create, update) answer exactly one row: the written deal's
 * columns (all null when nothing was written) followed by what the database found of the
 * references the write named (customer, pipeline, stage and its state, product, the
 * stages of an imported history). A write whose references do not exist writes nothing,
 * so a handler learns in one round trip both the result and every reason it failed; the
 * rules that depend on the stage's state are checked by the handler on the returned row,
 * which rolls the transaction back when they fail. */
#ifndef LTVD_DEALS_DB_H
#define LTVD_DEALS_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* The writable fields, in the order of the statements' parameters. */
#define LTVD_DEAL_N_WRITABLE 11
extern const char *const ltvd_deal_writable[LTVD_DEAL_N_WRITABLE];

/* The columns of every result of deal rows, in order. */
enum ltvd_deal_column {
  LTVD_DEAL_ID,
  LTVD_DEAL_EXTERNAL_ID,
  LTVD_DEAL_CUSTOMER,
  LTVD_DEAL_PIPELINE,
  LTVD_DEAL_STAGE,
  LTVD_DEAL_PRODUCT,
  LTVD_DEAL_REVENUE_TYPE,
  LTVD_DEAL_AMOUNT,
  LTVD_DEAL_MRR,
  LTVD_DEAL_EXPECTED,
  LTVD_DEAL_CLOSED,
  LTVD_DEAL_CONTRACT_END,
  LTVD_DEAL_CREATED,
  LTVD_DEAL_UPDATED,
  LTVD_DEAL_VERSION,
};

/* The text of a column of row `row`, NULL when it is null. */
const char *ltvd_db_deal_text(const PGresult *res, int row, enum ltvd_deal_column col);

/* The response object of row `row` of a result of deal columns. */
json_t *ltvd_db_deal_json(const PGresult *res, int row, const char *currency);
/* The record (writable fields) of that row. */
json_t *ltvd_db_deal_record(const PGresult *res, int row);
int64_t ltvd_db_deal_id(const PGresult *res, int row);
int64_t ltvd_db_deal_version(const PGresult *res, int row);

/* What a write found (a write statement, or an import for each of its rows); texts point
 * into the result they were read from; unknown_history is a new array of 0-based indices
 * (NULL: none). */
struct ltvd_deal_refs {
  bool written;
  bool customer, pipeline, product;
  const char *stage;   /* the resolved stage key, NULL when none */
  const char *state;   /* open | won | lost, NULL when no stage */
  const char *closed;  /* the written row's closed_at (YYYY-MM-DD), NULL when none */
  const char *created; /* the written row's created_at (a timestamp) */
  json_t *unknown_history;
};
void ltvd_db_deal_refs(const PGresult *res, struct ltvd_deal_refs *out);

/* The 0-based indices of a PostgreSQL integer array's text ({} or {0,3}), a new array. */
json_t *ltvd_db_deal_indices(const char *pg_array);

/* What the input of a write asked for, against which the written row is judged
 * (ltvd_deal_judge in include/ltvd/deals.h). */
struct ltvd_deal_expect {
  bool closed_given;   /* closed_at given as a date */
  bool closed_cleared; /* closed_at given as null by a patch */
  bool stage_given;
  const char *stage;                     /* the stage the input named or kept, NULL for the first */
  const char *customer_field;            /* the field that named the customer */
  size_t history_len;                    /* entries of an imported stage history, 0 when none */
  const char *last_stage, *last_entered; /* its last entry */
};

/* closed_at as a write sets it (SPEC section 3), in SQL over the given expressions: none
 * in an open stage; on entering a won or lost stage the given date, else today; staying
 * in one, the given date, else the current one. A create always enters its stage. */
#define LTVD_DEAL_SQL_CLOSED_ON_CREATE(state, given, today)                                        \
  "CASE WHEN " state " = 'open' THEN NULL ELSE coalesce(" given ", " today ") END"
#define LTVD_DEAL_SQL_CLOSED_ON_UPDATE(state, moved, given, current, today)                        \
  "CASE WHEN " state " = 'open' THEN NULL WHEN " moved " THEN coalesce(" given ", " today ") "     \
  "ELSE coalesce(" given ", " current ", " today ") END"

/* Statements; each returns NULL on a database error (see ltvd_db_last_error). Reads and
 * locks see only deals of live (not archived) customers. */
PGresult *ltvd_db_deal_get(PGconn *c, int64_t id, bool for_update);
PGresult *ltvd_db_deal_get_external(PGconn *c, const char *external_id, bool for_update);

/* Inserts a deal and its stage history. The customer is record's customer_id or, when
 * that is null, customer_external_id; a null stage is the pipeline's first; created_at and
 * updated_at are timestamps; history is NULL (the history is then the stage entered at created_at)
 * or an array of {stage, entered_at}. An external_id another deal holds writes nothing. */
PGresult *ltvd_db_deal_create(PGconn *c, const json_t *record, const char *customer_external_id,
                              const char *created_at, const char *updated_at,
                              const json_t *history);
/* Replaces the writable fields of deal id (locked by the caller), applying the stage
 * rules to closed_at and appending to the history when (pipeline, stage) changes. A
 * null stage is the pipeline's first. */
PGresult *ltvd_db_deal_update(PGconn *c, int64_t id, const json_t *record);
PGresult *ltvd_db_deal_delete(PGconn *c, int64_t id);
/* One row per history entry (stage, entered_at), oldest first; a single row of nulls when
 * the deal has no history; no row when the deal is not visible. */
PGresult *ltvd_db_deal_history(PGconn *c, int64_t id);

struct ltvd_deal_filter {
  int64_t after;
  int limit;
  int64_t customer_id; /* 0: any */
  const char *pipeline, *stage, *status, *product;
  const char *closed_from, *closed_to, *expected_from, *expected_to;
};
PGresult *ltvd_db_deal_list(PGconn *c, const struct ltvd_deal_filter *f);

#endif
