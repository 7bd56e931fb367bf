/* Bulk import (SPEC section 6): the handler of src/api/import.c and the SQL of
 * src/db/import.c. Rows checked by each resource's own rules go by COPY into a
 * temporary staging table; references, repeats and the upsert are then set-based. */
#ifndef LTVD_IMPORT_H
#define LTVD_IMPORT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "ltvd/http.h"

enum ltvd_import_kind { LTVD_IMPORT_CUSTOMERS, LTVD_IMPORT_MRR, LTVD_IMPORT_SIGNALS };

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

/* Upserts the staged rows (rows - inserted - updated are counted as skipped: unchanged
 * rows, duplicate events). False on a database error. */
bool ltvd_db_import_apply(PGconn *c, enum ltvd_import_kind kind, int64_t rows,
                          struct ltvd_import_counts *counts);

int ltvd_api_import(struct ltvd_req *r);

#endif
