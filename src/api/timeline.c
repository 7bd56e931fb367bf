/* The customer timeline (SPEC section 8): deals created, stage changes, MRR changes and
 * signals, newest first, paged by an offset cursor (the list is computed per request). */
#include <stdlib.h>

#include "ltvd/clock.h"
#include "ltvd/customers.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/revenue.h"
#include "ltvd/revenue_db.h"

int ltvd_api_customer_timeline(struct ltvd_req *r)
{
  struct ltvd_page page;
  int64_t id;
  int status;
  char today[11];

  if ((status = ltvd_req_id(r, 0, &id)) ||
      (status = ltvd_paging_parse_kind(r, LTVD_CURSOR_OFFSET, &page)) ||
      (status = ltvd_api_customer_live(r, id, false)))
    return status;
  ltvd_clock_today(today);
  PGresult *res = ltvd_db_timeline(r->db, id, today, page.after, page.limit);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > page.limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < page.limit; i++) {
    json_t *data = json_loads(PQgetvalue(res, i, 2), 0, NULL);
    json_array_append_new(results, json_pack("{s:s, s:s, s:o}", "at", PQgetvalue(res, i, 0),
                                             "kind", PQgetvalue(res, i, 1), "data",
                                             data ? data : json_null()));
  }
  PQclear(res);
  json_t *body = ltvd_paging_wrap_offset_new(results, more, page.after + page.limit);
  json_object_set_new(body, "currency", json_string(r->cfg->currency));
  return ltvd_reply_json_new(r, 200, body);
}
