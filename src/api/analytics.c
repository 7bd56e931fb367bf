/* The published analytics (SPEC section 8): whole documents served as the worker wrote
 * them, month series assembled from their rows, and the customers of a quadrant. Until
 * the first run has published, every one answers 503 with Retry-After. */
#include "ltvd/analytics_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/analytics.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/util.h"

int ltvd_api_analytics_not_computed(struct ltvd_req *r)
{
  ltvd_reply_header(r, "Retry-After", "1");
  return ltvd_problem(r, 503, "the analytics have not been computed yet; the worker "
                              "publishes them shortly after start (see GET /v1/analytics/status)");
}

int ltvd_api_analytics_doc(struct ltvd_req *r, const char *name)
{
  PGresult *res = LTVD_DB_RUN(r->db, "analytics_doc", name);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int status = PQntuples(res) == 1
                   ? ltvd_reply_bytes(r, 200, "application/json", PQgetvalue(res, 0, 0),
                                      (size_t) PQgetlength(res, 0, 0))
                   : ltvd_api_analytics_not_computed(r);
  PQclear(res);
  return status;
}

/* ?by=a[,b]: one axis or two distinct ones; 0, or 400 after replying. */
static int parse_by(struct ltvd_req *r, bool pair_allowed, int *a, int *b)
{
  const char *by = ltvd_req_query(r, "by");
  *a = LTVD_AN_AXIS_ALL;
  *b = LTVD_AN_NONE;
  if (by == NULL)
    return 0;
  char first[64] = "";
  const char *comma = strchr(by, ',');
  size_t n = comma ? (size_t) (comma - by) : strlen(by);
  if (n < sizeof first)
    memcpy(first, by, n), first[n] = '\0';
  *a = ltvd_an_axis_parse(first);
  if (comma != NULL)
    *b = ltvd_an_axis_parse(comma + 1);
  if (*a == LTVD_AN_NONE || (comma != NULL && (*b == LTVD_AN_NONE || *b == *a)))
    return ltvd_problem_field(r, 400, "by",
                              pair_allowed
                                  ? "must be one axis or two distinct axes separated by a comma, "
                                    "among industry, size_band, acquisition_channel, "
                                    "business_unit, product_family, cohort, quadrant, tier, all"
                                  : "must be one axis among industry, size_band, "
                                    "acquisition_channel, business_unit, product_family, "
                                    "cohort, quadrant, tier, all");
  if (comma != NULL && !pair_allowed)
    return ltvd_problem_field(r, 400, "by", "the history is kept per single axis");
  return 0;
}

/* ?name=YYYY-MM as the first day of that month into out[11]; NULL when absent. 0, or 400
 * after replying. */
static int parse_month(struct ltvd_req *r, const char *name, char out[11], const char **value)
{
  const char *v = ltvd_req_query(r, name);
  *value = NULL;
  if (v == NULL)
    return 0;
  if (!ltvd_valid_month(v))
    return ltvd_problem_field(r, 400, name, "must be a month YYYY-MM");
  char date[16];
  snprintf(date, sizeof date, "%.7s-01", v);
  memcpy(out, date, 11);
  *value = out;
  return 0;
}

int ltvd_api_analytics_ltv(struct ltvd_req *r)
{
  int a, b, status;
  if ((status = parse_by(r, true, &a, &b)))
    return status;
  char name[80];
  snprintf(name, sizeof name, "ltv:%s%s%s", ltvd_an_axis_name(a), b < 0 ? "" : ",",
           b < 0 ? "" : ltvd_an_axis_name(b));
  return ltvd_api_analytics_doc(r, name);
}

/* {"as_of": <as_of>, ["currency": "...",] ["by": ["axis"],] "results": [<rows>]} from the
 * stored texts, without parsing them. */
static int reply_series(struct ltvd_req *r, const char *kind, const char *key,
                        const char *by)
{
  char from[11], to[11];
  const char *from_v, *to_v;
  int status;
  if ((status = parse_month(r, "from", from, &from_v)) ||
      (status = parse_month(r, "to", to, &to_v)))
    return status;
  if (from_v && to_v && strcmp(from_v, to_v) > 0)
    return ltvd_problem_field(r, 400, "from", "must not be after to");
  PGresult *res = LTVD_DB_RUN(r->db, "analytics_series", kind, key, from_v, to_v);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) != 1) {
    PQclear(res);
    return ltvd_api_analytics_not_computed(r);
  }
  const char *as_of = PQgetvalue(res, 0, 0);
  const char *rows = PQgetvalue(res, 0, 1);
  char *body = by ? ltvd_strdup_printf("{\"as_of\":%s,\"currency\":\"%s\",\"by\":[\"%s\"],"
                                       "\"results\":[%s]}", as_of, r->cfg->currency, by, rows)
                  : ltvd_strdup_printf("{\"as_of\":%s,\"currency\":\"%s\",\"results\":[%s]}",
                                       as_of, r->cfg->currency, rows);
  PQclear(res);
  status = ltvd_reply_bytes(r, 200, "application/json", body, strlen(body));
  free(body);
  return status;
}

int ltvd_api_analytics_ltv_history(struct ltvd_req *r)
{
  int a, b, status;
  if ((status = parse_by(r, false, &a, &b)))
    return status;
  return reply_series(r, "ltv", ltvd_an_axis_name(a), ltvd_an_axis_name(a));
}

int ltvd_api_mrr_movements(struct ltvd_req *r)
{
  return reply_series(r, "mrr_movements", "", NULL);
}

int ltvd_api_analytics_tiers(struct ltvd_req *r) { return ltvd_api_analytics_doc(r, "tiers"); }
int ltvd_api_analytics_quadrants(struct ltvd_req *r) { return ltvd_api_analytics_doc(r, "quadrants"); }
int ltvd_api_analytics_lifecycle(struct ltvd_req *r) { return ltvd_api_analytics_doc(r, "lifecycle"); }
int ltvd_api_analytics_cohorts(struct ltvd_req *r) { return ltvd_api_analytics_doc(r, "cohorts"); }
int ltvd_api_analytics_pipelines(struct ltvd_req *r) { return ltvd_api_analytics_doc(r, "pipelines"); }
int ltvd_api_analytics_clv_model(struct ltvd_req *r) { return ltvd_api_analytics_doc(r, "clv_model"); }
int ltvd_api_mrr_summary(struct ltvd_req *r) { return ltvd_api_analytics_doc(r, "mrr_summary"); }

int ltvd_api_analytics_quadrant_customers(struct ltvd_req *r)
{
  const char *q = r->params[0];
  if (strlen(q) != 1 || q[0] < 'A' || q[0] > 'D')
    return ltvd_problem(r, 404, "there is no quadrant %.20s: quadrants are A, B, C and D", q);
  struct ltvd_page page;
  int status;
  if ((status = ltvd_paging_parse_kind(r, LTVD_CURSOR_OFFSET, &page)))
    return status;
  char limit[16], offset[24];
  snprintf(limit, sizeof limit, "%d", page.limit + 1);
  snprintf(offset, sizeof offset, "%lld", (long long) page.after);
  PGresult *res = LTVD_DB_RUN(r->db, "analytics_quadrant_customers", q, limit, offset);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  if (n == 0) {
    PQclear(res);
    return ltvd_api_analytics_not_computed(r);
  }
  json_t *as_of = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
  json_t *results = json_array();
  int rows = PQgetisnull(res, 0, 1) ? 0 : n;
  for (int i = 0; i < rows && i < page.limit; i++)
    json_array_append_new(
        results, json_pack("{s:I, s:o, s:I, s:o, s:o}", "customer_id",
                           (json_int_t) strtoll(PQgetvalue(res, i, 1), NULL, 10), "name",
                           ltvd_db_text_or_null(res, i, 2), "revenue_to_date",
                           (json_int_t) strtoll(PQgetvalue(res, i, 3), NULL, 10), "potential",
                           PQgetisnull(res, i, 4) ? json_null()
                                                  : json_real(strtod(PQgetvalue(res, i, 4), NULL)),
                           "tier", ltvd_db_text_or_null(res, i, 5)));
  bool more = rows > page.limit;
  PQclear(res);
  json_t *body = ltvd_paging_wrap_offset_new(results, more, page.after + page.limit);
  json_object_set_new(body, "as_of", as_of ? as_of : json_null());
  json_object_set_new(body, "currency", json_string(r->cfg->currency));
  return ltvd_reply_json_new(r, 200, body);
}
