/* Cursor pagination (SPEC section 2): ?limit=1..1000 (default 100) and ?after=<cursor>,
 * an opaque token for where the previous page ended: the last id for id-ordered lists,
 * the last key for key-ordered ones (units, products, pipelines), an offset for lists
 * computed on the fly (timelines). */
#ifndef LTVD_PAGING_H
#define LTVD_PAGING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ltvd/http.h"

#define LTVD_CURSOR_LEN 192
#define LTVD_KEY_MAX 100

struct ltvd_page {
  int limit;
  int64_t after;                 /* id or offset; 0: from the start */
  char after_key[LTVD_KEY_MAX + 1]; /* "": from the start */
};

enum ltvd_cursor_kind { LTVD_CURSOR_ID, LTVD_CURSOR_KEY, LTVD_CURSOR_OFFSET };

/* The opaque cursors, and back; decode is false on anything encode did not make. */
void ltvd_cursor_encode(int64_t id, char out[LTVD_CURSOR_LEN]);
bool ltvd_cursor_decode(const char *cursor, int64_t *id);
void ltvd_key_cursor_encode(const char *key, char out[LTVD_CURSOR_LEN]);
bool ltvd_key_cursor_decode(const char *cursor, char key[LTVD_KEY_MAX + 1]);
void ltvd_offset_cursor_encode(int64_t offset, char out[LTVD_CURSOR_LEN]);
bool ltvd_offset_cursor_decode(const char *cursor, int64_t *offset);

/* Keys of units, products, pipelines and stages, as error messages quote the rule. */
#define LTVD_KEY_PATTERN "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
bool ltvd_valid_key(const char *key);

/* Reads limit and after (of the given kind) from r's query; 0, or 400 after replying. */
int ltvd_paging_parse(struct ltvd_req *r, struct ltvd_page *page);
int ltvd_paging_parse_kind(struct ltvd_req *r, enum ltvd_cursor_kind kind,
                           struct ltvd_page *page);

/* {"results": results (stolen), "paging": {"next": {"after": ...}}} with paging only
 * when more rows follow; the _key and _offset forms take the cursor's position. */
json_t *ltvd_paging_wrap_new(json_t *results, bool more, int64_t last_id);
json_t *ltvd_paging_wrap_key_new(json_t *results, bool more, const char *last_key);
json_t *ltvd_paging_wrap_offset_new(json_t *results, bool more, int64_t next_offset);

/* Replies with a page of an id-ordered list: res holds up to limit + 1 rows (it is
 * cleared here; NULL gives the database error's reply), each made JSON by row_json, and
 * "paging" names the last id shown when more rows follow. */
int ltvd_reply_id_page(struct ltvd_req *r, const struct ltvd_page *page, PGresult *res,
                       json_t *(*row_json)(const PGresult *, int),
                       int64_t (*row_id)(const PGresult *, int));
/* The same for a key-ordered list whose key is column 0 of res. */
int ltvd_reply_key_page(struct ltvd_req *r, const struct ltvd_page *page, PGresult *res,
                        json_t *(*row_json)(const PGresult *, int));

#endif
