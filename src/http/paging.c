#include "ltvd/paging.h"

#include "ltvd/util.h"

int ltvd_paging_parse_kind(struct ltvd_req *r, enum ltvd_cursor_kind kind,
                           struct ltvd_page *page)
{
  const char *limit = ltvd_req_query(r, "limit");
  const char *after = ltvd_req_query(r, "after");
  int64_t v;
  bool ok;

  page->limit = 100;
  page->after = 0;
  page->after_key[0] = '\0';
  if (limit) {
    if (!ltvd_parse_int64(limit, 1, 1000, &v) || limit[0] == '-' || limit[0] == '+')
      return ltvd_problem_field(r, 400, "limit", "must be an integer from 1 to 1000");
    page->limit = (int) v;
  }
  if (after == NULL)
    return 0;
  switch (kind) {
  case LTVD_CURSOR_KEY:
    ok = ltvd_key_cursor_decode(after, page->after_key);
    break;
  case LTVD_CURSOR_OFFSET:
    ok = ltvd_offset_cursor_decode(after, &page->after);
    break;
  default:
    ok = ltvd_cursor_decode(after, &page->after);
  }
  return ok ? 0 : ltvd_problem_field(r, 400, "after", "is not a cursor this list issued");
}

int ltvd_paging_parse(struct ltvd_req *r, struct ltvd_page *page)
{
  return ltvd_paging_parse_kind(r, LTVD_CURSOR_ID, page);
}

static json_t *wrap(json_t *results, const char *cursor)
{
  json_t *out = json_object();

  json_object_set_new(out, "results", results);
  if (cursor)
    json_object_set_new(out, "paging", json_pack("{s:{s:s}}", "next", "after", cursor));
  return out;
}

json_t *ltvd_paging_wrap_new(json_t *results, bool more, int64_t last_id)
{
  char cursor[LTVD_CURSOR_LEN];

  if (more)
    ltvd_cursor_encode(last_id, cursor);
  return wrap(results, more ? cursor : NULL);
}

json_t *ltvd_paging_wrap_key_new(json_t *results, bool more, const char *last_key)
{
  char cursor[LTVD_CURSOR_LEN];

  if (more)
    ltvd_key_cursor_encode(last_key, cursor);
  return wrap(results, more ? cursor : NULL);
}

json_t *ltvd_paging_wrap_offset_new(json_t *results, bool more, int64_t next_offset)
{
  char cursor[LTVD_CURSOR_LEN];

  if (more)
    ltvd_offset_cursor_encode(next_offset, cursor);
  return wrap(results, more ? cursor : NULL);
}

int ltvd_reply_id_page(struct ltvd_req *r, const struct ltvd_page *page, PGresult *res,
                       json_t *(*row_json)(const PGresult *, int),
                       int64_t (*row_id)(const PGresult *, int))
{
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > page->limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < page->limit; i++)
    json_array_append_new(results, row_json(res, i));
  int64_t last = more ? row_id(res, page->limit - 1) : 0;
  PQclear(res);
  return ltvd_reply_json_new(r, 200, ltvd_paging_wrap_new(results, more, last));
}

int ltvd_reply_key_page(struct ltvd_req *r, const struct ltvd_page *page, PGresult *res,
                        json_t *(*row_json)(const PGresult *, int))
{
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > page->limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < page->limit; i++)
    json_array_append_new(results, row_json(res, i));
  json_t *body = ltvd_paging_wrap_key_new(results, more,
                                          more ? PQgetvalue(res, page->limit - 1, 0) : NULL);
  PQclear(res);
  return ltvd_reply_json_new(r, 200, body);
}
