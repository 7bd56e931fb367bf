#include "ltvd/copy_text.h"

#include <stdlib.h>
#include <string.h>

#include "ltvd/db.h"
#include "ltvd/json_out.h"

void ltvd_copy_put(struct ltvd_copy_rows *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (b->p == NULL)
      abort();
  }
  if (n > 0)
    memcpy(b->p + b->len, s, n);
  b->len += n;
}

void ltvd_copy_field(struct ltvd_copy_rows *b, const char *s, bool last)
{
  if (s == NULL) {
    ltvd_copy_put(b, "\\N", 2);
  } else {
    const char *run = s;
    for (; *s; s++) {
      const char *esc = *s == '\\'   ? "\\\\"
                        : *s == '\t' ? "\\t"
                        : *s == '\n' ? "\\n"
                        : *s == '\r' ? "\\r"
                                     : NULL;
      if (esc == NULL)
        continue;
      ltvd_copy_put(b, run, (size_t) (s - run));
      ltvd_copy_put(b, esc, 2);
      run = s + 1;
    }
    ltvd_copy_put(b, run, (size_t) (s - run));
  }
  ltvd_copy_put(b, last ? "\n" : "\t", 1);
}

void ltvd_copy_field_json(struct ltvd_copy_rows *b, json_t *v, bool last)
{
  char *text = ltvd_json_dumps(v);
  ltvd_copy_field(b, text, last);
  free(text);
  json_decref(v);
}

bool ltvd_copy_send(PGconn *c, const char *copy_sql, const struct ltvd_copy_rows *b)
{
  bool ok = ltvd_db_copy_begin(c, copy_sql);
  for (size_t off = 0; ok && off < b->len; off += 1u << 20) {
    size_t n = b->len - off < (1u << 20) ? b->len - off : 1u << 20;
    ok = ltvd_db_copy_put(c, b->p + off, n);
  }
  return ltvd_db_copy_end(c, ok) && ok;
}
