/* Bulk import (SPEC section 6): the handler of src/api/import.c and the SQL of
 * src/db/import.c. Rows checked by each resource's own rules go by COPY into a
 * temporary staging table; references, repeats and the upsert are then set-based. */
#ifndef LTVD_IMPORT_H
#define LTVD_IMPORT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "ltvd/deals_db.h"
#include "ltvd/http.h"

enum ltvd_import_kind {
  LTVD_IMPORT_CUSTOMERS,
  LTVD_IMPORT_DEALS,
  LTVD_IMPORT_MRR,
  LTVD_IMPORT_SIGNALS
};

/* The staging table's columns after "row", in COPY order, NULL-terminated: each is the
 * name of a record member. */
const char *const *ltvd_db_import_columns(enum ltvd_import_kind kind);

/* Creates the staging table (dropped at commit) and starts COPY into it. */
bool ltvd_db_import_begin(PGconn *c, enum ltvd_import_kind kind);

/* The staged rows that break a rule needing the database (a reference to no customer or
 * product, a key repeated inside the import): columns row, field, message, by row, at
 * most limit. NULL on a database error. */
PGresult *ltvd_db_import_problems(PGconn *c, enum ltvd_import_kind kind, int limit);

struct ltvd_import_counts {
  int64_t inserted, updated, skipped;
};

/* Upserts the staged rows of customers, MRR lines or signals (rows - inserted - updated
 * are counted as skipped: unchanged rows, duplicate events). False on a database error. */
bool ltvd_db_import_apply(PGconn *c, enum ltvd_import_kind kind, int64_t rows,
                          struct ltvd_import_counts *counts);

/* Deals are written first and judged after, as a single write is (src/api/deals.c):
 * ltvd_db_import_deals_apply resolves the staged deals' references, inserts the new ones
 * with their stage history and replaces the existing ones (by external_id; a stage move
 * appends to the history, an unchanged deal is left alone), and keeps what each row
 * found and wrote. Any error the caller then finds must roll the transaction back. */
struct ltvd_import_deals {
  PGresult *rows;    /* one per staged row, in row order */
  PGresult *updated; /* one per row that replaced a deal, in row order; NULL when none */
};
bool ltvd_db_import_deals_apply(PGconn *c, struct ltvd_import_deals *out,
                                struct ltvd_import_counts *counts);
void ltvd_db_import_deals_free(struct ltvd_import_deals *f);

/* Row i of f (i ascending; *cursor starts at 0): returns the import's row number and
 * fills refs (the caller frees refs->unknown_history) and x; *held tells that a deal of
 * an archived customer holds the row's external_id. Texts point into f. */
long ltvd_db_import_deal_facts(const struct ltvd_import_deals *f, int i, int *cursor,
                               struct ltvd_deal_refs *refs, struct ltvd_deal_expect *x, bool *held);

int ltvd_api_import(struct ltvd_req *r);

#endif
