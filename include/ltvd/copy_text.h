/* Rows in COPY's text format, built in memory and sent with COPY ... FROM STDIN: how the
 * analytics run publishes its results. */
#ifndef LTVD_COPY_TEXT_H
#define LTVD_COPY_TEXT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct ltvd_copy_rows {
  char *p;
  size_t len, cap;
};

/* Appends n bytes as they are. */
void ltvd_copy_put(struct ltvd_copy_rows *b, const char *s, size_t n);
/* Appends a field escaped for COPY text (NULL writes \N), then a tab, or the row's end
 * when last. */
void ltvd_copy_field(struct ltvd_copy_rows *b, const char *s, bool last);
/* The same for the compact JSON text of v (stolen). */
void ltvd_copy_field_json(struct ltvd_copy_rows *b, json_t *v, bool last);
/* Runs copy_sql (COPY ... FROM STDIN) on c with the rows of b, in 1 MiB pieces; false on
 * failure with the error recorded as for statements (ltvd_db_last_message). */
bool ltvd_copy_send(PGconn *c, const char *copy_sql, const struct ltvd_copy_rows *b);

#endif
