/* The opportunities of the last run (SPEC 4.8 and 8): the list with its filters, as JSON
 * pages or as CSV for spreadsheets, one opportunity, the at-risk list and the cross-sell
 * rules; and what sales does with an opportunity: turn it into a deal, or dismiss it
 * until a date. An opportunity is hidden once converted, and while a dismissal runs
 * (until >= today); both are kept by the opportunity's stable id, so they outlive runs.
 *
 * Reads are one statement each (the rows with their run's as_of). The stored rows are
 * already the response objects, so the JSON list is assembled from their texts. */
#include "ltvd/opportunities.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ltvd/analytics_api.h"
#include "ltvd/clock.h"
#include "ltvd/db.h"
#include "ltvd/deals_db.h"
#include "ltvd/json_out.h"
#include "ltvd/paging.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

/* ---- the list --------------------------------------------------------------------- */

struct filter {
  const char *type, *quadrant, *tier, *min_score, *family;
};

static bool one_of(const char *v, const char *const *choices)
{
  for (; *choices; choices++)
    if (strcmp(v, *choices) == 0)
      return true;
  return false;
}

/* 0, or 400 after replying. */
static int parse_filter(struct ltvd_req *r, struct filter *f)
{
  static const char *const types[] = {"upsell", "cross_sell", NULL};
  static const char *const quadrants[] = {"A", "B", "C", "D", NULL};
  static const char *const tiers[] = {"platinum", "gold", "silver", "bronze", NULL};
  f->type = ltvd_req_query(r, "type");
  f->quadrant = ltvd_req_query(r, "quadrant");
  f->tier = ltvd_req_query(r, "tier");
  f->min_score = ltvd_req_query(r, "min_score");
  f->family = ltvd_req_query(r, "family");
  if (f->type && !one_of(f->type, types))
    return ltvd_problem_field(r, 400, "type", "must be upsell or cross_sell");
  if (f->quadrant && !one_of(f->quadrant, quadrants))
    return ltvd_problem_field(r, 400, "quadrant", "must be one of A, B, C, D");
  if (f->tier && !one_of(f->tier, tiers))
    return ltvd_problem_field(r, 400, "tier", "must be one of platinum, gold, silver, bronze");
  if (f->min_score) {
    char *end;
    double v = strtod(f->min_score, &end);
    if (f->min_score[0] == '\0' || *end != '\0' || !isfinite(v) ||
        strspn(f->min_score, "0123456789.-+eE") != strlen(f->min_score))
      return ltvd_problem_field(r, 400, "min_score", "must be a number");
  }
  if (f->family && ltvd_utf8_length(f->family, strlen(f->family)) < 1)
    return ltvd_problem_field(r, 400, "family", "must be a family name");
  return 0;
}

static bool wants_csv(struct ltvd_req *r)
{
  const char *accept = ltvd_req_header(r, "Accept");
  return accept != NULL && strcasestr(accept, "text/csv") != NULL;
}

/* A growing text. */
struct text {
  char *p;
  size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->p = realloc(t->p, t->cap);
    if (t->p == NULL)
      abort();
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
  put(t, s, strlen(s));
}

/* One CSV field (RFC 4180: quoted when it holds a comma, quote or line end). */
static void csv_field(struct text *t, const char *s, bool last)
{
  if (s != NULL && strpbrk(s, ",\"\r\n") != NULL) {
    put(t, "\"", 1);
    for (; *s; s++)
      put(t, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    put(t, "\"", 1);
  } else if (s != NULL) {
    puts_(t, s);
  }
  puts_(t, last ? "\r\n" : ",");
}

#define CSV_COLUMNS                                                                                \
  "id,type,customer_id,family,product,score,expected_annual_value,priority,quadrant,"              \
  "tier,reasons\r\n"

/* A row's members, from the stored JSON body, as CSV. */
static void csv_row(struct text *t, const char *body)
{
  static const char *const columns[] = {"id",       "type",  "customer_id",           "family",
                                        "product",  "score", "expected_annual_value", "priority",
                                        "quadrant", "tier"};
  json_t *row = json_loads(body, 0, NULL);
  for (size_t i = 0; i < sizeof columns / sizeof *columns; i++) {
    json_t *v = json_object_get(row, columns[i]);
    char num[32];
    if (json_is_integer(v))
      snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
      ltvd_json_real(json_real_value(v), num);
    csv_field(t, json_is_string(v) ? json_string_value(v) : json_is_number(v) ? num : NULL, false);
  }
  struct text reasons = {0};
  size_t i;
  json_t *reason;
  json_array_foreach(json_object_get(row, "reasons"), i, reason)
  {
    if (i > 0)
      puts_(&reasons, "; ");
    puts_(&reasons, json_string_value(reason) ? json_string_value(reason) : "");
  }
  csv_field(t, reasons.p ? reasons.p : "", true);
  free(reasons.p);
  json_decref(row);
}

/* s percent-encoded for a query string. */
static void put_query_value(struct text *t, const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[4];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        strchr("-._~", c)) {
      put(t, s, 1);
    } else {
      snprintf(esc, sizeof esc, "%%%02X", c);
      put(t, esc, 3);
    }
  }
}

/* Link: <the same query with after=cursor>; rel="next" (CSV has no body for paging). */
static void link_next(struct ltvd_req *r, const char *cursor)
{
  struct text t = {0};
  puts_(&t, "/v1/opportunities?");
  for (int i = 0; i < r->n_query; i++) {
    if (strcmp(r->query[i].name, "after") == 0)
      continue;
    put_query_value(&t, r->query[i].name);
    puts_(&t, "=");
    put_query_value(&t, r->query[i].value ? r->query[i].value : "");
    puts_(&t, "&");
  }
  puts_(&t, "after=");
  put_query_value(&t, cursor);
  ltvd_reply_header(r, "Link", "<%s>; rel=\"next\"", t.p);
  free(t.p);
}

int ltvd_api_opportunities_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  struct filter f;
  int status;
  if ((status = ltvd_paging_parse(r, &page)) || (status = parse_filter(r, &f)))
    return status;
  bool csv = wants_csv(r);
  /* a CSV export is the whole list unless a limit is asked for */
  bool limited = !csv || ltvd_req_query(r, "limit") != NULL;
  char after[24], limit[24], today[11];
  snprintf(after, sizeof after, "%lld", (long long)page.after);
  snprintf(limit, sizeof limit, "%d", page.limit + 1);
  ltvd_clock_today(today);
  PGresult *res = LTVD_DB_RUN(r->db, "opportunities_list", after, limited ? limit : NULL, f.type,
                              f.quadrant, f.tier, f.min_score, f.family, today);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  if (n == 0) {
    PQclear(res);
    return ltvd_api_analytics_not_computed(r);
  }
  int rows = PQgetisnull(res, 0, 1) ? 0 : n;
  bool more = limited && rows > page.limit;
  int shown = more ? page.limit : rows;
  char cursor[LTVD_CURSOR_LEN] = "";
  if (more)
    ltvd_cursor_encode(strtoll(PQgetvalue(res, shown - 1, 1), NULL, 10), cursor);
  struct text t = {0};
  if (csv) {
    puts_(&t, CSV_COLUMNS);
    for (int i = 0; i < shown; i++)
      csv_row(&t, PQgetvalue(res, i, 2));
    if (more)
      link_next(r, cursor);
  } else {
    puts_(&t, "{\"as_of\":");
    puts_(&t, PQgetvalue(res, 0, 0));
    puts_(&t, ",\"currency\":\"");
    puts_(&t, r->cfg->currency);
    puts_(&t, "\",\"results\":[");
    for (int i = 0; i < shown; i++) {
      if (i > 0)
        puts_(&t, ",");
      puts_(&t, PQgetvalue(res, i, 2));
    }
    puts_(&t, "]");
    if (more) {
      puts_(&t, ",\"paging\":{\"next\":{\"after\":\"");
      puts_(&t, cursor);
      puts_(&t, "\"}}");
    }
    puts_(&t, "}");
  }
  PQclear(res);
  status =
      ltvd_reply_bytes(r, 200, csv ? "text/csv; charset=utf-8" : "application/json", t.p, t.len);
  free(t.p);
  return status;
}

/* ---- one opportunity --------------------------------------------------------------- */

/* The columns of opportunity_get. */
enum {
  G_AS_OF,
  G_BODY,
  G_CUSTOMER,
  G_TYPE,
  G_PRODUCT,
  G_VALUE,
  G_ACTION,
  G_DEAL,
  G_HIDDEN,
  G_LIVE
};

/* The id in the path must have the form of an opportunity id; 0, or 400 after replying. */
static int check_id(struct ltvd_req *r)
{
  const char *id = r->params[0];
  bool ok = strlen(id) == LTVD_AN_OPP_ID_LEN - 1 && strncmp(id, "opp_", 4) == 0 &&
            strspn(id + 4, "0123456789abcdef") == LTVD_AN_OPP_ID_LEN - 5;
  return ok ? 0
            : ltvd_problem(r, 400,
                           "the id in the path must be an opportunity id: opp_ and 20 "
                           "lowercase hex digits");
}

/* The stored opportunity and what was done with it; NULL after replying (an error, or
 * 404 when the last run did not list it or its customer is archived). */
static PGresult *find(struct ltvd_req *r)
{
  char today[11];
  ltvd_clock_today(today);
  PGresult *res = LTVD_DB_RUN(r->db, "opportunity_get", r->params[0], today);
  if (res == NULL) {
    ltvd_reply_db_error(r);
    return NULL;
  }
  if (PQntuples(res) == 1 && !PQgetisnull(res, 0, G_BODY) && PQgetvalue(res, 0, G_LIVE)[0] == 't')
    return res;
  PQclear(res);
  ltvd_problem(r, 404, "opportunity %s is not among the opportunities of the last run",
               r->params[0]);
  return NULL;
}

static bool converted(const PGresult *res)
{
  return !PQgetisnull(res, 0, G_ACTION) && strcmp(PQgetvalue(res, 0, G_ACTION), "converted") == 0;
}

static int already_converted(struct ltvd_req *r, const PGresult *res)
{
  return ltvd_problem(r, 409, "opportunity %s was already converted into deal %s", r->params[0],
                      PQgetvalue(res, 0, G_DEAL));
}

int ltvd_api_opportunities_get(struct ltvd_req *r)
{
  int status;
  if ((status = check_id(r)))
    return status;
  PGresult *res = find(r);
  if (res == NULL)
    return r->status;
  if (PQgetvalue(res, 0, G_HIDDEN)[0] == 't') {
    bool conv = converted(res);
    PQclear(res);
    return ltvd_problem(r, 404, "opportunity %s is %s", r->params[0],
                        conv ? "converted into a deal" : "dismissed");
  }
  /* {"as_of", "currency", then the stored row's members} */
  char *body =
      ltvd_strdup_printf("{\"as_of\":%s,\"currency\":\"%s\",%s", PQgetvalue(res, 0, G_AS_OF),
                         r->cfg->currency, PQgetvalue(res, 0, G_BODY) + 1);
  PQclear(res);
  status = ltvd_reply_bytes(r, 200, "application/json", body, strlen(body));
  free(body);
  return status;
}

/* ---- documents ----------------------------------------------------------------------- */

int ltvd_api_opportunities_at_risk(struct ltvd_req *r)
{
  return ltvd_api_analytics_doc(r, "at_risk");
}
int ltvd_api_cross_sell_rules(struct ltvd_req *r)
{
  return ltvd_api_analytics_doc(r, "cross_sell_rules");
}

/* ---- converting into a deal ------------------------------------------------------------ */

/* The body of POST .../deal is optional: nothing, or an empty JSON object. 0, or 400/422
 * after replying. */
static int check_empty_body(struct ltvd_req *r)
{
  if (r->body_len == 0)
    return 0;
  json_t *body = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(body)) {
    json_decref(body);
    return ltvd_problem(r, 400, "the body must be empty or a JSON object");
  }
  json_t *errors = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v)
      json_array_append_new(errors, ltvd_field_error(k, -1,
                                                     "is not a known field: the deal "
                                                     "is made from the opportunity"));
  json_decref(body);
  if (json_array_size(errors) == 0) {
    json_decref(errors);
    return 0;
  }
  return ltvd_problem_errors_new(r, 422, "the body takes no fields", errors);
}

/* The record of the deal an opportunity becomes (every writable field of a deal). */
static json_t *deal_record(const PGresult *res, const char *pipeline)
{
  double value = strtod(PQgetvalue(res, 0, G_VALUE), NULL);
  json_t *rec = json_object();
  for (int i = 0; i < LTVD_DEAL_N_WRITABLE; i++)
    json_object_set_new(rec, ltvd_deal_writable[i], json_null());
  json_object_set_new(rec, "customer_id",
                      json_integer(strtoll(PQgetvalue(res, 0, G_CUSTOMER), NULL, 10)));
  json_object_set_new(rec, "pipeline", json_string(pipeline));
  json_object_set_new(rec, "product", json_string(PQgetvalue(res, 0, G_PRODUCT)));
  json_object_set_new(rec, "revenue_type", json_string("recurring"));
  json_object_set_new(rec, "amount", json_integer((json_int_t)llround(value)));
  return rec;
}

/* Creates the deal of the opportunity in res through the deals' own statement; the
 * written row, or NULL after replying. */
static PGresult *create_deal(struct ltvd_req *r, const PGresult *opp)
{
  const char *kind = PQgetvalue(opp, 0, G_TYPE);
  PGresult *p = LTVD_DB_RUN(r->db, "opportunity_pipeline", kind);
  if (p == NULL) {
    ltvd_reply_db_error(r);
    return NULL;
  }
  if (PQntuples(p) == 0) {
    PQclear(p);
    ltvd_problem(r, 409, "there is no %s pipeline to create the deal in; create one first", kind);
    return NULL;
  }
  json_t *rec = deal_record(opp, PQgetvalue(p, 0, 0));
  PQclear(p);
  char now[32];
  ltvd_clock_timestamp(now);
  PGresult *res = ltvd_db_deal_create(r->db, rec, NULL, now, now, NULL);
  json_decref(rec);
  if (res == NULL) {
    ltvd_reply_db_error(r);
    return NULL;
  }
  struct ltvd_deal_refs refs;
  ltvd_db_deal_refs(res, &refs);
  json_decref(refs.unknown_history);
  if (refs.written)
    return res;
  PQclear(res);
  if (!refs.product)
    ltvd_problem(r, 409, "the target product %s no longer exists", PQgetvalue(opp, 0, G_PRODUCT));
  else if (!refs.customer)
    ltvd_problem(r, 404, "the opportunity's customer no longer exists");
  else
    ltvd_problem(r, 409, "the %s pipeline has no stage to start the deal in", kind);
  return NULL;
}

int ltvd_api_opportunities_deal(struct ltvd_req *r)
{
  int status;
  if ((status = check_id(r)) || (status = check_empty_body(r)))
    return status;
  PGresult *opp = find(r);
  if (opp == NULL)
    return r->status;
  if (converted(opp)) {
    status = already_converted(r, opp);
    PQclear(opp);
    return status;
  }
  PGresult *deal = create_deal(r, opp);
  PQclear(opp);
  if (deal == NULL)
    return r->status;
  char deal_id[24], now[32];
  snprintf(deal_id, sizeof deal_id, "%lld", (long long)ltvd_db_deal_id(deal, 0));
  ltvd_clock_timestamp(now);
  /* a conversion that committed meanwhile leaves no row to update: 409, and the deal made
     here is rolled back with the request */
  PGresult *res = LTVD_DB_RUN(r->db, "opportunity_convert", r->params[0], deal_id, now);
  if (res == NULL || PQntuples(res) == 0) {
    PQclear(deal);
    if (res == NULL)
      return ltvd_reply_db_error(r);
    PQclear(res);
    return ltvd_problem(r, 409, "opportunity %s was already converted", r->params[0]);
  }
  PQclear(res);
  ltvd_reply_header(r, "Location", "/v1/deals/%s", deal_id);
  json_t *body = ltvd_db_deal_json(deal, 0, r->cfg->currency);
  int64_t version = ltvd_db_deal_version(deal, 0);
  PQclear(deal);
  return ltvd_reply_resource_new(r, 201, version, body);
}

/* ---- dismissing ------------------------------------------------------------------------ */

int ltvd_api_opportunities_dismiss(struct ltvd_req *r)
{
  static const struct ltvd_field fields[] = {
      {"until", LTVD_F_DATE, LTVD_REQUIRED, 0, 0, NULL},
      {NULL, 0, 0, 0, 0, NULL},
  };
  int status;
  if ((status = check_id(r)))
    return status;
  json_t *errors = json_array();
  char today[11];
  ltvd_clock_today(today);
  if (ltvd_validate(r->json, fields, NULL, LTVD_VALIDATE_CREATE, -1, errors) == 0) {
    const char *until = json_string_value(json_object_get(r->json, "until"));
    if (strcmp(until, today) < 0)
      json_array_append_new(errors,
                            ltvd_field_error("until", -1, "must not be before today, %s", today));
  }
  if (json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the dismissal is invalid", errors);
  json_decref(errors);
  PGresult *opp = find(r);
  if (opp == NULL)
    return r->status;
  if (converted(opp)) {
    status = already_converted(r, opp);
    PQclear(opp);
    return status;
  }
  PQclear(opp);
  char now[32];
  ltvd_clock_timestamp(now);
  PGresult *res = LTVD_DB_RUN(r->db, "opportunity_dismiss", r->params[0],
                              json_string_value(json_object_get(r->json, "until")), now);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) == 0) {
    PQclear(res);
    return ltvd_problem(r, 409, "opportunity %s was already converted", r->params[0]);
  }
  json_t *body = json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", PQgetvalue(res, 0, 0), "action",
                           "dismissed", "until", PQgetvalue(res, 0, 1), "deal_id", json_null(),
                           "created_at", PQgetvalue(res, 0, 2));
  PQclear(res);
  return ltvd_reply_json_new(r, 200, body);
}
