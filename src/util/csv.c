/* RFC 4180 CSV as a push parser: a state machine fed bytes in pieces of any size, so a
 * reader never needs the whole input, and a record split across two pieces is the same
 * record. Beyond the RFC it takes what exports produce: a UTF-8 byte order mark at the
 * start, LF or CR line ends as well as CRLF, and blank lines, which are skipped. A quote
 * inside an unquoted field, text after a closing quote and an unterminated quoted field
 * are errors: guessing would silently shift columns. */
#include "ltvd/csv.h"

#include <stdlib.h>
#include <string.h>

enum { S_BOM, S_FIELD_START, S_UNQUOTED, S_QUOTED, S_QUOTE_IN_QUOTED, S_AFTER_CR };

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

void ltvd_csv_init(struct ltvd_csv *p, ltvd_csv_record_fn fn, void *ctx)
{
  memset(p, 0, sizeof *p);
  p->fn = fn;
  p->ctx = ctx;
  p->state = S_BOM;
  p->line = 1;
}

void ltvd_csv_free(struct ltvd_csv *p)
{
  free(p->buf);
  free(p->starts);
  free(p->fields);
  memset(p, 0, sizeof *p);
}

static void put(struct ltvd_csv *p, char ch)
{
  if (p->len + 1 >= p->cap) {
    p->cap = p->cap ? p->cap * 2 : 256;
    p->buf = realloc(p->buf, p->cap);
    if (p->buf == NULL)
      abort();
  }
  p->buf[p->len++] = ch;
}

static void field_begin(struct ltvd_csv *p)
{
  if (p->n == p->fcap) {
    p->fcap = p->fcap ? p->fcap * 2 : 16;
    p->starts = realloc(p->starts, p->fcap * sizeof *p->starts);
    p->fields = realloc(p->fields, p->fcap * sizeof *p->fields);
    if (p->starts == NULL || p->fields == NULL)
      abort();
  }
  p->starts[p->n++] = p->len;
  p->quoted = false;
}

static void field_end(struct ltvd_csv *p)
{
  put(p, '\0');
}

/* Ends the record; a blank line (one empty unquoted field) is skipped. */
static int record_end(struct ltvd_csv *p)
{
  int rc = 0;

  field_end(p);
  bool blank = p->n == 1 && p->buf[p->starts[0]] == '\0' && !p->quoted;
  if (!blank) {
    for (size_t i = 0; i < p->n; i++)
      p->fields[i] = p->buf + p->starts[i];
    rc = p->fn(p->ctx, p->fields, p->n, p->offset);
  }
  p->n = 0;
  p->len = 0;
  p->state = S_FIELD_START;
  return rc;
}

static int syntax(struct ltvd_csv *p, const char *why)
{
  p->error = why;
  return LTVD_CSV_SYNTAX;
}

/* One byte outside quotes, at a field's start or inside an unquoted field. */
static int plain_byte(struct ltvd_csv *p, char ch)
{
  if (p->state == S_FIELD_START) {
    field_begin(p);
    if (ch == '"') {
      p->quoted = true;
      p->state = S_QUOTED;
      return 0;
    }
    p->state = S_UNQUOTED;
  }
  switch (ch) {
  case ',':
    field_end(p);
    p->state = S_FIELD_START;
    return 0;
  case '\n':
    p->line++;
    return record_end(p);
  case '\r': {
    int rc = record_end(p);
    p->state = S_AFTER_CR;
    return rc;
  }
  case '"':
    return syntax(p, "a quote inside an unquoted field");
  default:
    put(p, ch);
    return 0;
  }
}

static int byte(struct ltvd_csv *p, char ch)
{
  switch (p->state) {
  case S_AFTER_CR:
    p->state = S_FIELD_START;
    if (ch == '\n') {
      p->line++;
      return 0;
    }
    p->line++;
    return plain_byte(p, ch);
  case S_QUOTED:
    if (ch == '"')
      p->state = S_QUOTE_IN_QUOTED;
    else {
      if (ch == '\n')
        p->line++;
      put(p, ch);
    }
    return 0;
  case S_QUOTE_IN_QUOTED:
    if (ch == '"') {
      put(p, '"');
      p->state = S_QUOTED;
      return 0;
    }
    if (ch != ',' && ch != '\n' && ch != '\r')
      return syntax(p, "text after a closing quote");
    p->state = S_UNQUOTED;
    return plain_byte(p, ch);
  default:
    return plain_byte(p, ch);
  }
}

int ltvd_csv_feed(struct ltvd_csv *p, const char *data, size_t len)
{
  size_t i = 0;

  while (p->state == S_BOM && i < len) {
    /* a byte order mark is skipped; anything else is data from the first byte */
    if ((unsigned char)data[i] != bom[p->offset]) {
      size_t seen = (size_t)p->offset;
      p->state = S_FIELD_START;
      for (size_t k = 0; k < seen; k++) {
        int rc = byte(p, (char)bom[k]);
        if (rc)
          return rc;
      }
      break;
    }
    i++;
    p->offset++;
    if (p->offset == sizeof bom)
      p->state = S_FIELD_START;
  }
  for (; i < len; i++) {
    p->offset++;
    int rc = byte(p, data[i]);
    if (rc)
      return rc;
  }
  return 0;
}

int ltvd_csv_finish(struct ltvd_csv *p)
{
  switch (p->state) {
  case S_QUOTED:
    return syntax(p, "a quoted field is not closed");
  case S_UNQUOTED:
  case S_QUOTE_IN_QUOTED:
    return record_end(p);
  case S_FIELD_START:
    if (p->n == 0) /* at a record's start: nothing pending */
      return 0;
    field_begin(p); /* the empty field after a trailing comma */
    return record_end(p);
  default:
    return 0;
  }
}

bool ltvd_ndjson_next(const char *buf, size_t len, size_t *pos, const char **line, size_t *line_len)
{
  while (*pos < len) {
    const char *start = buf + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += nl ? n + 1 : n;
    if (n > 0 && start[n - 1] == '\r')
      n--;
    size_t k = 0;
    while (k < n && (start[k] == ' ' || start[k] == '\t'))
      k++;
    if (k == n)
      continue;
    *line = start;
    *line_len = n;
    return true;
  }
  return false;
}
