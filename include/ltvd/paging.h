/* Cursor pagination (SPEC section 2): ?limit=1..1000 (default 100) and ?after=<cursor>,
 * the cursor an opaque token for the last id of the previous page. */
#ifndef LTVD_PAGING_H
#define LTVD_PAGING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ltvd/http.h"

#define LTVD_CURSOR_LEN 48

struct ltvd_page {
  int limit;
  int64_t after; /* 0: from the start */
};

/* The opaque cursor of an id, and back; decode is false on anything it did not make. */
void ltvd_cursor_encode(int64_t id, char out[LTVD_CURSOR_LEN]);
bool ltvd_cursor_decode(const char *cursor, int64_t *id);

/* Reads limit and after from r's query; returns 0, or 400 after replying. */
int ltvd_paging_parse(struct ltvd_req *r, struct ltvd_page *page);

/* {"results": results (stolen), "paging": {"next": {"after": ...}}} with paging only
 * when more rows follow. */
json_t *ltvd_paging_wrap_new(json_t *results, bool more, int64_t last_id);

#endif
