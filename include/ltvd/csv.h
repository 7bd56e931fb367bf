/* Streaming readers of the bulk import formats: RFC 4180 CSV fed in pieces of any size,
 * and newline-delimited JSON. Pure: bytes in, records out, no I/O. */
#ifndef LTVD_CSV_H
#define LTVD_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called for each record (empty lines are skipped): its n fields, NUL-terminated and
 * valid until the call returns, and the offset in the whole input just past the byte
 * that ended it (for CRLF the CR: a split there leaves a blank line, which is skipped). A non-zero
 * return stops the parse and is handed back by feed/finish. */
typedef int (*ltvd_csv_record_fn)(void *ctx, char **fields, size_t n, uint64_t end);

enum { LTVD_CSV_SYNTAX = -1 }; /* returned by feed/finish on malformed input */

struct ltvd_csv {
  ltvd_csv_record_fn fn;
  void *ctx;
  int state;
  bool quoted;     /* the current field was quoted */
  uint64_t offset; /* bytes consumed so far */
  uint64_t line;   /* physical line of the current byte, 1-based */
  char *buf;       /* the current record's fields, NUL-separated */
  size_t len, cap;
  size_t *starts; /* where each field of the current record begins in buf */
  char **fields;
  size_t n, fcap;
  const char *error; /* the reason of LTVD_CSV_SYNTAX */
};

void ltvd_csv_init(struct ltvd_csv *p, ltvd_csv_record_fn fn, void *ctx);
/* Parses len more bytes; 0, LTVD_CSV_SYNTAX or the callback's non-zero return. */
int ltvd_csv_feed(struct ltvd_csv *p, const char *data, size_t len);
/* Ends the input (a last record without a line end is emitted). */
int ltvd_csv_finish(struct ltvd_csv *p);
void ltvd_csv_free(struct ltvd_csv *p);

/* The next non-blank line of buf[*pos..len) (without its LF or CRLF), advancing *pos
 * past it; false when none is left. */
bool ltvd_ndjson_next(const char *buf, size_t len, size_t *pos, const char **line,
                      size_t *line_len);

#endif
