#include "ltvd/paging.h"

#include "ltvd/util.h"

int ltvd_paging_parse(struct ltvd_req *r, struct ltvd_page *page)
{
  const char *limit = ltvd_req_query(r, "limit");
  const char *after = ltvd_req_query(r, "after");
  int64_t v;

  page->limit = 100;
  page->after = 0;
  if (limit) {
    if (!ltvd_parse_int64(limit, 1, 1000, &v) || limit[0] == '-' || limit[0] == '+')
      return ltvd_problem_field(r, 400, "limit", "must be an integer from 1 to 1000");
    page->limit = (int) v;
  }
  if (after && !ltvd_cursor_decode(after, &page->after))
    return ltvd_problem_field(r, 400, "after", "is not a cursor this list issued");
  return 0;
}

json_t *ltvd_paging_wrap_new(json_t *results, bool more, int64_t last_id)
{
  json_t *out = json_object();

  json_object_set_new(out, "results", results);
  if (more) {
    char cursor[LTVD_CURSOR_LEN];
    ltvd_cursor_encode(last_id, cursor);
    json_object_set_new(out, "paging",
                        json_pack("{s:{s:s}}", "next", "after", cursor));
  }
  return out;
}
