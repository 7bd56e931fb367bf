/* The deal resource over HTTP (contract of issue 3, SPEC sections 2 and 3): create and
 * import, the stage rules, merge patch with ETag/If-Match, history, filters and paging,
 * external upsert, batches, and deals of archived customers.  One database and one
 * server, started with LTVD_TODAY fixed so that T is known; every test works on
 * customers of its own.  Products come from SQL (their API belongs to another module). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define TODAY "2026-06-15"

static harness_env *env;

/* Helpers ----------------------------------------------------------------------------- */

static harness_response *call(const char *method, const char *path, const char *const *headers,
                              const char *body)
{
  return harness_call(env, strcmp(method, "GET") == 0 ? "read" : "write", method, path, headers,
                      body);
}

static harness_response *post(const char *path, const char *body)
{
  return call("POST", path, NULL, body);
}

static harness_response *get(const char *path)
{
  return call("GET", path, NULL, NULL);
}

static harness_response *patch(long long id, const char *const *headers, const char *body)
{
  return call("PATCH", harness_fmt("/v1/deals/%lld", id), headers, body);
}

static harness_response *get_deal(long long id)
{
  return get(harness_fmt("/v1/deals/%lld", id));
}

/* A new live customer; its external id is "dc-<pid>-<n>" (into ext when not NULL). */
static long long new_customer(const char **ext)
{
  const char *e = harness_tag("dc");
  harness_response *r =
      post("/v1/customers", harness_fmt("{\"name\":\"Deal customer\",\"external_id\":\"%s\"}", e));
  harness_assert_status(r, 201);
  if (ext)
    *ext = e;
  return harness_json_int(r, "id");
}

/* Creates a deal from body (asserting 201). */
static harness_response *create(const char *body)
{
  harness_response *r = post("/v1/deals", body);
  harness_assert_status(r, 201);
  ck_assert_msg(json_is_object(r->json), "create: body is not an object: %s", r->body);
  return r;
}

static long long create_id(const char *body)
{
  return harness_json_int(create(body), "id");
}

static json_t *member(const harness_response *r, const char *name)
{
  ck_assert_msg(json_object_get(r->json, name) != NULL, "%s: member %s absent in %.400s", r->what,
                name, r->body);
  return json_object_get(r->json, name);
}

static void assert_null(const harness_response *r, const char *name)
{
  ck_assert_msg(json_is_null(member(r, name)), "%s: %s is not null in %.400s", r->what, name,
                r->body);
}

static void assert_str(const harness_response *r, const char *name, const char *want)
{
  const char *got = json_string_value(member(r, name));
  ck_assert_msg(got && strcmp(got, want) == 0, "%s: %s is %s, expected \"%s\" in %.400s", r->what,
                name, got ? got : "(not a string)", want, r->body);
}

static void assert_int(const harness_response *r, const char *name, long long want)
{
  json_t *v = member(r, name);
  ck_assert_msg(json_is_integer(v) && json_integer_value(v) == want, "%s: %s is not %lld in %.400s",
                r->what, name, want, r->body);
}

static long long data_version(const harness_response *r)
{
  const char *h = harness_header(r, "X-Ltvd-Data-Version");
  ck_assert_msg(h != NULL, "%s: no X-Ltvd-Data-Version", r->what);
  return strtoll(h, NULL, 10);
}

/* The history of deal id as "stage@entered_at,..." */
static const char *history_text(long long id)
{
  harness_response *r = get(harness_fmt("/v1/deals/%lld/history", id));
  harness_assert_status(r, 200);
  json_t *results = json_object_get(r->json, "results");
  ck_assert_msg(json_is_array(results), "history: no results: %s", r->body);
  const char *out = "";
  size_t i;
  json_t *e;
  json_array_foreach(results, i, e)
  {
    ck_assert_int_eq(json_object_size(e), 2);
    out =
        harness_fmt("%s%s%s@%s", out, i ? "," : "", json_string_value(json_object_get(e, "stage")),
                    json_string_value(json_object_get(e, "entered_at")));
  }
  return out;
}

/* The stages of the history of deal id, comma-separated. */
static const char *history_stages(long long id)
{
  harness_response *r = get(harness_fmt("/v1/deals/%lld/history", id));
  harness_assert_status(r, 200);
  const char *out = "";
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r->json, "results"), i, e)
  {
    out = harness_fmt("%s%s%s", out, i ? "," : "", json_string_value(json_object_get(e, "stage")));
  }
  return out;
}

/* The ids of every deal of GET /v1/deals?query (following the cursor), comma-separated. */
static const char *list_ids(const char *query, int limit, int *pages)
{
  const char *out = "", *after = NULL;
  int n = 0;
  do {
    harness_response *r =
        get(harness_fmt("/v1/deals?limit=%d&%s%s%s", limit, query, after ? "&after=" : "",
                        after ? harness_urlenc(after) : ""));
    harness_assert_status(r, 200);
    json_t *results = json_object_get(r->json, "results");
    ck_assert_msg(json_array_size(results) <= (size_t)limit, "%s: too many results", r->what);
    size_t i;
    json_t *d;
    json_array_foreach(results, i, d)
    {
      out = harness_fmt("%s%s%lld", out, *out ? "," : "",
                        (long long)json_integer_value(json_object_get(d, "id")));
    }
    json_t *paging = json_object_get(r->json, "paging");
    after = paging ? json_string_value(json_object_get(json_object_get(paging, "next"), "after"))
                   : NULL;
    if (after)
      after = harness_fmt("%s", after);
    ck_assert_msg(++n < 1000, "paging does not end");
  } while (after);
  if (pages)
    *pages = n;
  return out;
}

static const char *ids(int n, const long long *v)
{
  const char *out = "";
  for (int i = 0; i < n; i++)
    out = harness_fmt("%s%s%lld", out, i ? "," : "", v[i]);
  return out;
}

static long long count(const char *sql)
{
  return harness_sql_int(env->db, sql);
}

/* Create and read ---------------------------------------------------------------------- */

START_TEST(test_create_answers_201_with_defaults)
{
  long long c = new_customer(NULL);
  harness_response *r =
      create(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
  long long id = harness_json_int(r, "id");
  ck_assert_str_eq(harness_header(r, "Location"), harness_fmt("/v1/deals/%lld", id));
  ck_assert_str_eq(harness_header(r, "ETag"), "\"1\"");
  data_version(r);
  static const char *fields[] = {
      "id",        "external_id",       "customer_id", "pipeline",   "stage",
      "product",   "revenue_type",      "amount",      "mrr",        "expected_close_date",
      "closed_at", "contract_end_date", "currency",    "created_at", "updated_at",
      "version"};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    member(r, fields[i]);
  ck_assert_int_eq(json_object_size(r->json), sizeof fields / sizeof *fields);
  assert_int(r, "customer_id", c);
  assert_str(r, "pipeline", "new_business");
  assert_str(r, "stage", "lead");
  assert_str(r, "revenue_type", "one_time");
  assert_int(r, "amount", 0);
  assert_str(r, "currency", "USD");
  assert_int(r, "version", 1);
  assert_null(r, "external_id");
  assert_null(r, "product");
  assert_null(r, "mrr");
  assert_null(r, "closed_at");
  harness_assert_timestamp("created_at", harness_json_str(r, "created_at"));
  ck_assert_str_eq(harness_json_str(r, "created_at"), harness_json_str(r, "updated_at"));
  ck_assert_msg(strncmp(harness_json_str(r, "created_at"), TODAY "T", 11) == 0,
                "created_at %s is not on LTVD_TODAY", harness_json_str(r, "created_at"));
  harness_response *g = get_deal(id);
  harness_assert_status(g, 200);
  ck_assert_msg(json_equal(g->json, r->json), "GET %s differs from create %s", g->body, r->body);
  ck_assert_str_eq(harness_header(g, "ETag"), "\"1\"");
  ck_assert_str_eq(history_text(id), harness_fmt("lead@%s", harness_json_str(r, "created_at")));
}
END_TEST

START_TEST(test_every_field_round_trips)
{
  const char *ext;
  long long c = new_customer(&ext);
  harness_response *r = create(harness_fmt(
      "{\"customer_external_id\":\"%s\",\"external_id\":\"rt-%lld\",\"pipeline\":\"upsell\","
      "\"stage\":\"proposal\",\"product\":\"crm-pro\",\"revenue_type\":\"recurring\","
      "\"amount\":9007199254740991,\"mrr\":12345,\"expected_close_date\":\"2026-09-30\","
      "\"contract_end_date\":\"2027-09-30\"}",
      ext, c));
  harness_response *g = get_deal(harness_json_int(r, "id"));
  assert_int(g, "customer_id", c);
  assert_str(g, "external_id", harness_fmt("rt-%lld", c));
  assert_str(g, "pipeline", "upsell");
  assert_str(g, "stage", "proposal");
  assert_str(g, "product", "crm-pro");
  assert_str(g, "revenue_type", "recurring");
  assert_int(g, "amount", 9007199254740991LL);
  assert_int(g, "mrr", 12345);
  assert_str(g, "expected_close_date", "2026-09-30");
  assert_str(g, "contract_end_date", "2027-09-30");
  assert_null(g, "closed_at");
}
END_TEST

START_TEST(test_empty_external_id_and_product_are_null)
{
  long long c = new_customer(NULL);
  harness_response *r = create(harness_fmt(
      "{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"external_id\":\"\",\"product\":\"\"}",
      c));
  assert_null(r, "external_id");
  assert_null(r, "product");
}
END_TEST

START_TEST(test_create_customer_reference_rules)
{
  const char *ext;
  long long c = new_customer(&ext);
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"customer_external_"
                                                       "id\":\"%s\",\"pipeline\":\"renewal\"}",
                                                       c, ext)),
                         422, "customer_external_id");
  harness_assert_problem(post("/v1/deals", "{\"pipeline\":\"renewal\"}"), 422, "customer_id");
  harness_assert_problem(post("/v1/deals", "{\"customer_id\":987654321,\"pipeline\":\"renewal\"}"),
                         422, "customer_id");
  harness_assert_problem(
      post("/v1/deals", "{\"customer_external_id\":\"nobody-x\",\"pipeline\":\"renewal\"}"), 422,
      "customer_external_id");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_unknown_pipeline_stage_product_are_422)
{
  long long c = new_customer(NULL);
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(
      post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"nope\"}", c)), 422,
      "pipeline");
  harness_assert_problem(post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":"
                                                       "\"renewal\",\"stage\":\"won\"}",
                                                       c)),
                         422, "stage");
  harness_assert_problem(post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":"
                                                       "\"renewal\",\"product\":\"nope\"}",
                                                       c)),
                         422, "product");
  harness_response *r =
      post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"bad key!\","
                                    "\"product\":\"nope\"}",
                                    c));
  harness_assert_problem(r, 422, "pipeline");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_duplicate_external_id_is_409)
{
  long long c = new_customer(NULL);
  const char *body = harness_fmt(
      "{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"external_id\":\"dup-%lld\"}", c, c);
  create(body);
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(post("/v1/deals", body), 409, "external_id");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

/* closed_at rules ------------------------------------------------------------------------ */

START_TEST(test_create_in_won_stage_sets_closed_at_today)
{
  long long c = new_customer(NULL);
  harness_response *r = create(
      harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"stage\":\"signed\"}", c));
  assert_str(r, "closed_at", TODAY);
  r = create(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"stage\":\"lost\","
                         "\"closed_at\":\"2026-07-01\"}",
                         c));
  assert_str(r, "closed_at", "2026-07-01");
}
END_TEST

START_TEST(test_closed_at_on_an_open_stage_is_422)
{
  long long c = new_customer(NULL);
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":"
                                                       "\"new_business\",\"closed_at\":\"%s\"}",
                                                       c, TODAY)),
                         422, "closed_at");
  ck_assert_str_eq(harness_db_digest(env->db), before);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
  harness_assert_problem(patch(id, NULL, "{\"closed_at\":\"" TODAY "\"}"), 422, "closed_at");
  assert_null(get_deal(id), "closed_at");
}
END_TEST

START_TEST(test_closed_at_before_created_at_is_422)
{
  long long c = new_customer(NULL);
  harness_assert_problem(post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":"
                                                       "\"new_business\",\"stage\":\"won\","
                                                       "\"closed_at\":\"2026-06-14\"}",
                                                       c)),
                         422, "closed_at");
  harness_response *ok =
      create(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"stage\":\"won\","
                         "\"closed_at\":\"2026-06-14\",\"created_at\":\"2026-06-14T23:59:59Z\"}",
                         c));
  assert_str(ok, "closed_at", "2026-06-14");
  harness_assert_problem(patch(harness_json_int(ok, "id"), NULL, "{\"closed_at\":\"2026-06-13\"}"),
                         422, "closed_at");
}
END_TEST

START_TEST(test_stage_moves_set_and_clear_closed_at)
{
  long long c = new_customer(NULL);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
  harness_response *r = patch(id, NULL, "{\"stage\":\"won\"}");
  harness_assert_status(r, 200);
  assert_str(r, "closed_at", TODAY);
  r = patch(id, NULL, "{\"closed_at\":\"2026-08-01\"}");
  harness_assert_status(r, 200);
  assert_str(r, "closed_at", "2026-08-01");
  assert_str(r, "stage", "won");
  r = patch(id, NULL, "{\"amount\":5}");
  assert_str(r, "closed_at", "2026-08-01");
  harness_assert_problem(patch(id, NULL, "{\"closed_at\":null}"), 422, "closed_at");
  r = patch(id, NULL, "{\"stage\":\"lost\"}");
  assert_str(r, "closed_at", TODAY);
  r = patch(id, NULL, "{\"stage\":\"negotiation\"}");
  harness_assert_status(r, 200);
  assert_null(r, "closed_at");
  r = patch(id, NULL, "{\"stage\":\"won\",\"closed_at\":\"2026-06-20\"}");
  assert_str(r, "closed_at", "2026-06-20");
  ck_assert_str_eq(history_stages(id), "lead,won,lost,negotiation,won");
  ck_assert_int_eq(harness_json_int(r, "version"), 7);
}
END_TEST

/* Pipelines and history ------------------------------------------------------------------ */

START_TEST(test_pipeline_change_needs_a_stage_of_the_new_pipeline)
{
  long long c = new_customer(NULL);
  long long id = create_id(harness_fmt(
      "{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"stage\":\"proposal\"}", c));
  harness_response *r = patch(id, NULL, "{\"pipeline\":\"upsell\"}");
  harness_assert_status(r, 200);
  assert_str(r, "stage", "proposal");
  harness_assert_problem(patch(id, NULL, "{\"pipeline\":\"renewal\"}"), 422, "stage");
  harness_assert_problem(patch(id, NULL, "{\"pipeline\":\"renewal\",\"stage\":\"lead\"}"), 422,
                         "stage");
  r = patch(id, NULL, "{\"pipeline\":\"renewal\",\"stage\":\"agreed\"}");
  harness_assert_status(r, 200);
  assert_str(r, "pipeline", "renewal");
  assert_str(r, "stage", "agreed");
  ck_assert_str_eq(history_stages(id), "proposal,proposal,agreed");
  ck_assert_int_eq(count(harness_fmt("SELECT count(*) FROM deal_stage_history WHERE deal_id = %lld "
                                     "AND pipeline = 'upsell' AND stage = 'proposal'",
                                     id)),
                   1);
  harness_assert_problem(patch(id, NULL, "{\"stage\":\"qualified\"}"), 422, "stage");
  harness_assert_problem(patch(id, NULL, "{\"stage\":null}"), 422, "stage");
  harness_assert_problem(patch(id, NULL, "{\"pipeline\":null}"), 422, "pipeline");
}
END_TEST

START_TEST(test_history_is_appended_on_every_stage_change_only)
{
  long long c = new_customer(NULL);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
  harness_assert_status(patch(id, NULL, "{\"stage\":\"qualified\"}"), 200);
  harness_assert_status(patch(id, NULL, "{\"amount\":10}"), 200);
  harness_assert_status(patch(id, NULL, "{\"stage\":\"qualified\"}"), 200);
  harness_response *last = patch(id, NULL, "{\"stage\":\"proposal\"}");
  harness_assert_status(last, 200);
  ck_assert_str_eq(history_stages(id), "lead,qualified,proposal");
  harness_response *h = get(harness_fmt("/v1/deals/%lld/history", id));
  json_t *results = json_object_get(h->json, "results");
  const char *prev = "";
  for (size_t i = 0; i < json_array_size(results); i++) {
    const char *at = json_string_value(json_object_get(json_array_get(results, i), "entered_at"));
    harness_assert_timestamp("entered_at", at);
    ck_assert_msg(strcmp(prev, at) <= 0, "history is not oldest first: %s", h->body);
    prev = at;
  }
  ck_assert_str_eq(prev, harness_json_str(last, "updated_at"));
}
END_TEST

START_TEST(test_history_ties_are_ordered_by_entry)
{
  long long c = new_customer(NULL);
  long long id = create_id(
      harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"stage\":\"proposal\","
                  "\"created_at\":\"2025-01-01T00:00:00Z\",\"stage_history\":["
                  "{\"stage\":\"qualified\",\"entered_at\":\"2025-02-01T00:00:00Z\"},"
                  "{\"stage\":\"lead\",\"entered_at\":\"2025-02-01T00:00:00Z\"},"
                  "{\"stage\":\"proposal\",\"entered_at\":\"2025-02-01T00:00:00Z\"}]}",
                  c));
  ck_assert_str_eq(history_stages(id), "qualified,lead,proposal");
}
END_TEST

/* Import -------------------------------------------------------------------------------- */

START_TEST(test_import_keeps_created_at_and_history)
{
  long long c = new_customer(NULL);
  harness_response *r = create(harness_fmt(
      "{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"stage\":\"won\","
      "\"created_at\":\"2024-01-05T10:00:00Z\",\"closed_at\":\"2024-03-01\",\"stage_history\":["
      "{\"stage\":\"lead\",\"entered_at\":\"2024-01-05T10:00:00Z\"},"
      "{\"stage\":\"proposal\",\"entered_at\":\"2024-02-01T09:00:00.5Z\"},"
      "{\"stage\":\"won\",\"entered_at\":\"2024-03-01T23:59:59.999999Z\"}]}",
      c));
  assert_str(r, "created_at", "2024-01-05T10:00:00.000000Z");
  assert_str(r, "closed_at", "2024-03-01");
  ck_assert_msg(strncmp(harness_json_str(r, "updated_at"), TODAY, 10) == 0, "updated_at %s",
                harness_json_str(r, "updated_at"));
  ck_assert_str_eq(history_text(harness_json_int(r, "id")),
                   "lead@2024-01-05T10:00:00.000000Z,proposal@2024-02-01T09:00:00.500000Z,"
                   "won@2024-03-01T23:59:59.999999Z");
}
END_TEST

START_TEST(test_import_of_created_at_alone_is_the_first_history_entry)
{
  long long c = new_customer(NULL);
  harness_response *r = create(harness_fmt(
      "{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"created_at\":\"2023-12-31T23:00:00.123Z\"}",
      c));
  ck_assert_str_eq(history_text(harness_json_int(r, "id")),
                   "preparation@2023-12-31T23:00:00.123000Z");
}
END_TEST

/* Each case: a body suffix and the field the 422 must name. */
static const struct {
  const char *body, *field;
} import_cases[] = {
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05\"", "created_at"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00+01:00\"", "created_at"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-02-30T10:00:00Z\"", "created_at"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T24:00:00Z\"", "created_at"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00.1234567Z\"", "created_at"},
    {"\"stage\":\"proposal\",\"created_at\":5", "created_at"},
    {"\"stage\":\"proposal\",\"stage_history\":[]", "stage_history"},
    {"\"stage\":\"proposal\",\"stage_history\":{}", "stage_history"},
    {"\"stage\":\"proposal\",\"stage_history\":[5]", "stage_history[0]"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00Z\",\"stage_history\":["
     "{\"stage\":\"proposal\",\"entered_at\":\"2024-01-05T09:59:59Z\"}]",
     "stage_history[0]"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00Z\",\"stage_history\":["
     "{\"stage\":\"lead\",\"entered_at\":\"2024-01-06T00:00:00Z\"},"
     "{\"stage\":\"proposal\",\"entered_at\":\"2024-01-05T23:00:00Z\"}]",
     "stage_history[1]"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00Z\",\"stage_history\":["
     "{\"stage\":\"lead\",\"entered_at\":\"2024-01-06T00:00:00Z\"}]",
     "stage_history[0]"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00Z\",\"stage_history\":["
     "{\"stage\":\"signed\",\"entered_at\":\"2024-01-06T00:00:00Z\"},"
     "{\"stage\":\"proposal\",\"entered_at\":\"2024-01-07T00:00:00Z\"}]",
     "stage_history[0].stage"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00Z\",\"stage_history\":["
     "{\"stage\":\"proposal\",\"entered_at\":\"2024-01-06T00:00:00Z\",\"note\":1}]",
     "stage_history[0].note"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00Z\",\"stage_history\":["
     "{\"stage\":\"proposal\"}]",
     "stage_history[0].entered_at"},
    {"\"stage\":\"proposal\",\"created_at\":\"2024-01-05T10:00:00Z\",\"stage_history\":["
     "{\"entered_at\":\"2024-01-06T00:00:00Z\"}]",
     "stage_history[0].stage"},
    {"\"stage\":\"won\",\"closed_at\":\"2024-03-02\",\"created_at\":\"2024-01-05T10:00:00Z\","
     "\"stage_history\":[{\"stage\":\"lead\",\"entered_at\":\"2024-01-06T00:00:00Z\"},"
     "{\"stage\":\"won\",\"entered_at\":\"2024-03-01T23:59:59Z\"}]",
     "stage_history[1]"},
    {"\"stage\":\"won\",\"created_at\":\"2024-01-05T10:00:00Z\","
     "\"stage_history\":[{\"stage\":\"won\",\"entered_at\":\"2024-03-01T00:00:00Z\"}]",
     "stage_history[0]"},
};

START_TEST(test_import_validation)
{
  long long c = new_customer(NULL);
  const char *before = harness_db_digest(env->db);
  harness_response *r = post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":"
                                                      "\"new_business\",%s}",
                                                      c, import_cases[_i].body));
  harness_response_label(r, import_cases[_i].body);
  harness_assert_problem(r, 422, import_cases[_i].field);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_import_fields_cannot_be_patched)
{
  long long c = new_customer(NULL);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
  harness_assert_problem(patch(id, NULL, "{\"created_at\":\"2024-01-05T10:00:00Z\"}"), 422,
                         "created_at");
  harness_assert_problem(
      patch(id, NULL,
            "{\"stage_history\":[{\"stage\":\"lead\",\"entered_at\":\"2024-01-05T10:00:00Z\"}]}"),
      422, "stage_history");
}
END_TEST

/* PATCH, ETag, If-Match -------------------------------------------------------------------- */

START_TEST(test_patch_merges_and_versions)
{
  long long c = new_customer(NULL);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\","
                                       "\"product\":\"crm-std\",\"mrr\":100,\"amount\":7}",
                                       c));
  harness_response *r = patch(id, NULL, "{\"mrr\":null,\"expected_close_date\":\"2026-12-01\"}");
  harness_assert_status(r, 200);
  assert_null(r, "mrr");
  assert_str(r, "product", "crm-std");
  assert_int(r, "amount", 7);
  assert_str(r, "expected_close_date", "2026-12-01");
  ck_assert_str_eq(harness_header(r, "ETag"), "\"2\"");
  r = patch(id, NULL, "{\"product\":null,\"revenue_type\":\"recurring\"}");
  assert_null(r, "product");
  assert_str(r, "revenue_type", "recurring");
  assert_int(r, "version", 3);
  ck_assert(json_equal(get_deal(id)->json, r->json));
  harness_assert_problem(patch(id, NULL, "{\"amount\":null}"), 422, "amount");
  harness_assert_problem(patch(id, NULL, "{\"revenue_type\":null}"), 422, "revenue_type");
  harness_assert_problem(patch(id, NULL, "{\"product\":\"nope\"}"), 422, "product");
}
END_TEST

START_TEST(test_patch_moves_the_deal_to_another_customer)
{
  const char *ext;
  long long a = new_customer(NULL), b = new_customer(&ext);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", a));
  harness_response *r = patch(id, NULL, harness_fmt("{\"customer_external_id\":\"%s\"}", ext));
  harness_assert_status(r, 200);
  assert_int(r, "customer_id", b);
  r = patch(id, NULL, harness_fmt("{\"customer_id\":%lld}", a));
  assert_int(r, "customer_id", a);
  harness_assert_problem(patch(id, NULL, "{\"customer_id\":987654321}"), 422, "customer_id");
  harness_assert_problem(
      patch(id, NULL,
            harness_fmt("{\"customer_id\":%lld,\"customer_external_id\":\"%s\"}", a, ext)),
      422, "customer_external_id");
  harness_assert_problem(patch(id, NULL, "{\"customer_id\":null}"), 422, "customer_id");
}
END_TEST

START_TEST(test_patch_with_stale_if_match_or_version_is_412)
{
  long long c = new_customer(NULL);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
  const char *stale[] = {"If-Match: \"5\"", NULL};
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(patch(id, stale, "{\"amount\":1}"), 412, NULL);
  harness_assert_problem(patch(id, NULL, "{\"version\":5,\"amount\":1}"), 412, NULL);
  ck_assert_str_eq(harness_db_digest(env->db), before);
  /* content is checked before the precondition */
  harness_assert_problem(patch(id, stale, "{\"stage\":\"nope\"}"), 422, "stage");
  const char *current[] = {"If-Match: \"1\"", NULL};
  harness_assert_status(patch(id, current, "{\"amount\":1}"), 200);
  harness_assert_status(patch(id, NULL, "{\"version\":2,\"amount\":2}"), 200);
  const char *star[] = {"If-Match: *", NULL};
  assert_int(patch(id, star, "{\"amount\":3}"), "version", 4);
  harness_assert_problem(patch(987654321, current, "{\"amount\":1}"), 404, NULL);
}
END_TEST

START_TEST(test_concurrent_patches_with_one_if_match_one_wins)
{
  long long c = new_customer(NULL);
  for (int round = 0; round < 5; round++) {
    long long id =
        create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
    harness_response *a, *b;
    harness_race(env, "PATCH", harness_fmt("/v1/deals/%lld", id), "If-Match: \"1\"",
                 "{\"stage\":\"won\"}", "{\"stage\":\"lost\"}", &a, &b);
    ck_assert_msg(harness_one_each(a, b, 200, 412), "round %d: statuses %ld and %ld (%s / %s)",
                  round, a->status, b->status, a->body, b->body);
    harness_response *winner = a->status == 200 ? a : b;
    harness_response *now = get_deal(id);
    assert_int(now, "version", 2);
    assert_str(now, "stage", harness_json_str(winner, "stage"));
    ck_assert_str_eq(history_stages(id), harness_fmt("lead,%s", harness_json_str(winner, "stage")));
  }
}
END_TEST

START_TEST(test_concurrent_puts_of_one_new_external_id_create_once)
{
  long long c = new_customer(NULL);
  for (int round = 0; round < 5; round++) {
    const char *ext = harness_tag("race-put");
    const char *path = harness_fmt("/v1/deals/external/%s", ext);
    harness_response *a, *b;
    harness_race(env, "PUT", path, NULL,
                 harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"amount\":1}", c),
                 harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"amount\":2}", c), &a,
                 &b);
    ck_assert_msg(harness_one_each(a, b, 201, 200), "round %d: statuses %ld and %ld (%s / %s)",
                  round, a->status, b->status, a->body, b->body);
    ck_assert_int_eq(harness_json_int(a, "id"), harness_json_int(b, "id"));
    ck_assert_int_eq(count(harness_fmt("SELECT count(*) FROM deals WHERE external_id = '%s'", ext)),
                     1);
  }
}
END_TEST

START_TEST(test_concurrent_creates_with_one_external_id_one_wins)
{
  long long c = new_customer(NULL);
  for (int round = 0; round < 5; round++) {
    const char *ext = harness_tag("race-post");
    const char *body = harness_fmt(
        "{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"external_id\":\"%s\"}", c, ext);
    harness_response *a, *b;
    harness_race(env, "POST", "/v1/deals", NULL, body, body, &a, &b);
    ck_assert_msg(harness_one_each(a, b, 201, 409), "round %d: statuses %ld and %ld (%s / %s)",
                  round, a->status, b->status, a->body, b->body);
    harness_assert_problem(a->status == 409 ? a : b, 409, "external_id");
    ck_assert_int_eq(count(harness_fmt("SELECT count(*) FROM deals WHERE external_id = '%s'", ext)),
                     1);
  }
}
END_TEST

START_TEST(test_every_write_carries_a_new_data_version)
{
  long long c = new_customer(NULL);
  harness_response *r = create(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", c));
  long long id = harness_json_int(r, "id"), v = data_version(r), next;
  r = patch(id, NULL, "{\"amount\":1}");
  ck_assert_int_gt(next = data_version(r), v);
  r = call("PUT", harness_fmt("/v1/deals/external/dv-%lld", id), NULL,
           harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", c));
  ck_assert_int_gt(v = data_version(r), next);
  r = post("/v1/deals/batch",
           harness_fmt("{\"inputs\":[{\"customer_id\":%lld,\"pipeline\":\"renewal\"}]}", c));
  ck_assert_int_gt(next = data_version(r), v);
  r = call("DELETE", harness_fmt("/v1/deals/%lld", id), NULL, NULL);
  ck_assert_int_gt(data_version(r), next);
  ck_assert_int_eq(count("SELECT version FROM data_version"), data_version(r));
}
END_TEST

START_TEST(test_idempotency_key_replays_the_create)
{
  long long c = new_customer(NULL);
  const char *h[] = {harness_fmt("Idempotency-Key: deal-idem-%lld", c), NULL};
  const char *body =
      harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"amount\":77}", c);
  harness_response *a = call("POST", "/v1/deals", h, body);
  harness_assert_status(a, 201);
  harness_response *b = call("POST", "/v1/deals", h, body);
  harness_assert_status(b, 201);
  ck_assert_int_eq(a->body_len, b->body_len);
  ck_assert(memcmp(a->body, b->body, a->body_len) == 0);
  ck_assert_str_eq(harness_header(b, "Location"), harness_header(a, "Location"));
  ck_assert_pstr_eq(harness_header(b, "Idempotent-Replayed"), "true");
  ck_assert_int_eq(count(harness_fmt("SELECT count(*) FROM deals WHERE customer_id = %lld", c)), 1);
  harness_assert_problem(call("POST", "/v1/deals", h,
                              harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", c)),
                         422, NULL);
}
END_TEST

/* DELETE ---------------------------------------------------------------------------------- */

START_TEST(test_delete_removes_the_deal_and_its_history)
{
  long long c = new_customer(NULL);
  long long id = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\"}", c));
  harness_assert_status(patch(id, NULL, "{\"stage\":\"won\"}"), 200);
  const char *path = harness_fmt("/v1/deals/%lld", id);
  const char *stale[] = {"If-Match: \"1\"", NULL};
  harness_assert_problem(call("DELETE", path, stale, NULL), 412, NULL);
  harness_response *r = call("DELETE", path, NULL, NULL);
  harness_assert_status(r, 204);
  data_version(r);
  harness_assert_problem(get_deal(id), 404, NULL);
  harness_assert_problem(get(harness_fmt("/v1/deals/%lld/history", id)), 404, NULL);
  harness_assert_problem(call("DELETE", path, NULL, NULL), 404, NULL);
  ck_assert_int_eq(
      count(harness_fmt("SELECT count(*) FROM deal_stage_history WHERE deal_id = %lld", id)), 0);
}
END_TEST

/* Archived customers ----------------------------------------------------------------------- */

START_TEST(test_deals_of_archived_customers_are_hidden)
{
  const char *ext;
  long long c = new_customer(&ext);
  const char *dext = harness_tag("arch");
  long long id = create_id(harness_fmt(
      "{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"external_id\":\"%s\"}", c, dext));
  ck_assert_str_eq(list_ids(harness_fmt("customer_id=%lld", c), 100, NULL),
                   harness_fmt("%lld", id));
  harness_assert_status(call("DELETE", harness_fmt("/v1/customers/%lld", c), NULL, NULL), 204);
  harness_assert_problem(get_deal(id), 404, NULL);
  harness_assert_problem(get(harness_fmt("/v1/deals/%lld/history", id)), 404, NULL);
  harness_assert_problem(get(harness_fmt("/v1/deals/external/%s", dext)), 404, NULL);
  harness_assert_problem(patch(id, NULL, "{\"amount\":1}"), 404, NULL);
  harness_assert_problem(call("DELETE", harness_fmt("/v1/deals/%lld", id), NULL, NULL), 404, NULL);
  ck_assert_str_eq(list_ids(harness_fmt("customer_id=%lld", c), 100, NULL), "");
  ck_assert_msg(strstr(harness_fmt(",%s,", list_ids("pipeline=new_business", 1000, NULL)),
                       harness_fmt(",%lld,", id)) == NULL,
                "an archived customer's deal is listed");
  harness_assert_problem(
      post("/v1/deals", harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", c)), 422,
      "customer_id");
  harness_assert_problem(
      post("/v1/deals",
           harness_fmt("{\"customer_external_id\":\"%s\",\"pipeline\":\"renewal\"}", ext)),
      422, "customer_external_id");
  long long other = new_customer(NULL);
  long long mine = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", other));
  harness_assert_problem(patch(mine, NULL, harness_fmt("{\"customer_id\":%lld}", c)), 422,
                         "customer_id");
  /* the hidden deal keeps its external id */
  harness_assert_problem(
      call("PUT", harness_fmt("/v1/deals/external/%s", dext), NULL,
           harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", other)),
      409, "external_id");
  ck_assert_int_eq(count(harness_fmt("SELECT count(*) FROM deals WHERE id = %lld", id)), 1);
}
END_TEST

/* Lists --------------------------------------------------------------------------------- */

START_TEST(test_list_by_customer_pages_without_gaps)
{
  long long c = new_customer(NULL), other = new_customer(NULL);
  long long want[12];
  for (int i = 0; i < 12; i++) {
    want[i] = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", c));
    create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", other));
  }
  int pages;
  ck_assert_str_eq(list_ids(harness_fmt("customer_id=%lld", c), 5, &pages), ids(12, want));
  ck_assert_int_eq(pages, 3);
  harness_response *r = get(harness_fmt("/v1/deals?customer_id=%lld&limit=12", c));
  ck_assert_msg(json_object_get(r->json, "paging") == NULL, "paging on the last page: %s", r->body);
  ck_assert_str_eq(list_ids("customer_id=987654321", 10, NULL), "");
}
END_TEST

START_TEST(test_list_filters)
{
  long long c = new_customer(NULL);
  const char *q = harness_fmt("customer_id=%lld", c);
  long long lead =
      create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\","
                            "\"product\":\"crm-pro\",\"expected_close_date\":\"2026-07-01\"}",
                            c));
  long long won = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"new_business\","
                                        "\"stage\":\"won\",\"closed_at\":\"2026-06-20\","
                                        "\"expected_close_date\":\"2026-06-30\"}",
                                        c));
  long long lost = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"upsell\","
                                         "\"stage\":\"lost\",\"product\":\"crm-std\"}",
                                         c));
  long long signed_ = create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\","
                                            "\"stage\":\"signed\",\"closed_at\":\"2026-07-31\"}",
                                            c));
  long long prop =
      create_id(harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"upsell\","
                            "\"stage\":\"proposal\",\"expected_close_date\":\"2026-08-15\"}",
                            c));
  ck_assert_str_eq(list_ids(harness_fmt("%s&pipeline=new_business", q), 100, NULL),
                   ids(2, (long long[]){lead, won}));
  ck_assert_str_eq(list_ids(harness_fmt("%s&stage=proposal", q), 100, NULL), ids(1, &prop));
  ck_assert_str_eq(list_ids(harness_fmt("%s&pipeline=upsell&stage=lost", q), 100, NULL),
                   ids(1, &lost));
  ck_assert_str_eq(list_ids(harness_fmt("%s&status=open", q), 100, NULL),
                   ids(2, (long long[]){lead, prop}));
  ck_assert_str_eq(list_ids(harness_fmt("%s&status=won", q), 100, NULL),
                   ids(2, (long long[]){won, signed_}));
  ck_assert_str_eq(list_ids(harness_fmt("%s&status=lost", q), 100, NULL), ids(1, &lost));
  ck_assert_str_eq(list_ids(harness_fmt("%s&product=crm-pro", q), 100, NULL), ids(1, &lead));
  ck_assert_str_eq(
      list_ids(harness_fmt("%s&closed_from=2026-06-20&closed_to=2026-07-30", q), 100, NULL),
      ids(1, &won));
  ck_assert_str_eq(list_ids(harness_fmt("%s&closed_from=2026-06-21", q), 100, NULL),
                   ids(1, &signed_));
  ck_assert_str_eq(list_ids(harness_fmt("%s&closed_to=2026-07-31", q), 100, NULL),
                   ids(3, (long long[]){won, lost, signed_}));
  ck_assert_str_eq(list_ids(harness_fmt("%s&expected_close_from=2026-07-01", q), 100, NULL),
                   ids(2, (long long[]){lead, prop}));
  ck_assert_str_eq(
      list_ids(harness_fmt("%s&expected_close_from=2026-06-30&expected_close_to=2026-07-01", q),
               100, NULL),
      ids(2, (long long[]){lead, won}));
  ck_assert_str_eq(list_ids(harness_fmt("%s&status=won&pipeline=renewal", q), 100, NULL),
                   ids(1, &signed_));
  /* without customer_id the same filters apply over every customer */
  const char *all_won = harness_fmt(
      ",%s,", list_ids("status=won&closed_from=2026-07-31&closed_to=2026-07-31", 1000, NULL));
  ck_assert_ptr_nonnull(strstr(all_won, harness_fmt(",%lld,", signed_)));
  ck_assert_ptr_null(strstr(all_won, harness_fmt(",%lld,", won)));
}
END_TEST

START_TEST(test_list_default_limit_is_100)
{
  long long c = new_customer(NULL);
  json_t *inputs = json_array();
  for (int i = 0; i < 101; i++)
    json_array_append_new(
        inputs, json_pack("{s:I, s:s}", "customer_id", (json_int_t)c, "pipeline", "renewal"));
  harness_assert_status(post("/v1/deals/batch", harness_dump(json_pack("{s:o}", "inputs", inputs))),
                        200);
  harness_response *r = get(harness_fmt("/v1/deals?customer_id=%lld", c));
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 100);
  ck_assert_ptr_nonnull(json_object_get(r->json, "paging"));
}
END_TEST

/* External id --------------------------------------------------------------------------- */

START_TEST(test_put_external_creates_then_replaces)
{
  long long c = new_customer(NULL);
  const char *ext = harness_tag("put/ext");
  const char *path = harness_fmt("/v1/deals/external/%s", harness_urlenc(ext));
  harness_response *r = call("PUT", path, NULL,
                             harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\","
                                         "\"stage\":\"signed\",\"amount\":5,\"mrr\":9,"
                                         "\"created_at\":\"2026-01-01T00:00:00Z\"}",
                                         c));
  harness_assert_status(r, 201);
  long long id = harness_json_int(r, "id");
  ck_assert_str_eq(harness_header(r, "Location"), harness_fmt("/v1/deals/%lld", id));
  assert_str(r, "external_id", ext);
  assert_str(r, "created_at", "2026-01-01T00:00:00.000000Z");
  assert_str(r, "closed_at", TODAY);
  /* replace: absent fields take their defaults, closed_at stays while the stage does */
  r = call("PUT", path, NULL,
           harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"stage\":\"signed\","
                       "\"external_id\":\"%s\"}",
                       c, ext));
  harness_assert_status(r, 200);
  assert_int(r, "id", id);
  assert_int(r, "version", 2);
  assert_int(r, "amount", 0);
  assert_null(r, "mrr");
  assert_str(r, "closed_at", TODAY);
  r = call("PUT", path, NULL, harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", c));
  assert_str(r, "stage", "preparation");
  assert_null(r, "closed_at");
  ck_assert_str_eq(history_stages(id), "signed,preparation");
  harness_response *g = get(path);
  harness_assert_status(g, 200);
  ck_assert(json_equal(g->json, r->json));
  ck_assert_str_eq(harness_header(g, "ETag"), "\"3\"");
}
END_TEST

START_TEST(test_put_external_preconditions_and_mismatch)
{
  long long c = new_customer(NULL);
  const char *ext = harness_tag("put-pre");
  const char *path = harness_fmt("/v1/deals/external/%s", ext);
  const char *body = harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\"}", c);
  const char *one[] = {"If-Match: \"1\"", NULL};
  harness_assert_problem(call("PUT", path, one, body), 412, NULL);
  ck_assert_int_eq(count(harness_fmt("SELECT count(*) FROM deals WHERE external_id = '%s'", ext)),
                   0);
  harness_assert_status(call("PUT", path, NULL, body), 201);
  const char *stale[] = {"If-Match: \"7\"", NULL};
  harness_assert_problem(call("PUT", path, stale, body), 412, NULL);
  harness_assert_status(call("PUT", path, one, body), 200);
  harness_assert_problem(
      call("PUT", path, NULL,
           harness_fmt("{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"external_id\":\"other\"}",
                       c)),
      422, "external_id");
  harness_assert_problem(call("PUT", path, NULL, "{\"pipeline\":\"renewal\"}"), 422, "customer_id");
  harness_assert_problem(get("/v1/deals/external/nobody-here"), 404, NULL);
}
END_TEST

/* Batch --------------------------------------------------------------------------------- */

START_TEST(test_batch_results_in_input_order_with_upsert)
{
  const char *ext;
  long long c = new_customer(&ext);
  const char *e1 = harness_tag("b"), *e2 = harness_tag("b");
  long long existing = create_id(harness_fmt(
      "{\"customer_id\":%lld,\"pipeline\":\"new_business\",\"external_id\":\"%s\",\"amount\":1}", c,
      e1));
  harness_response *r = post(
      "/v1/deals/batch",
      harness_fmt("{\"inputs\":[{\"customer_id\":%lld,\"pipeline\":\"upsell\"},"
                  "{\"customer_external_id\":\"%s\",\"pipeline\":\"new_business\",\"external_id\":"
                  "\"%s\",\"stage\":\"won\",\"amount\":2},"
                  "{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"external_id\":\"%s\"}]}",
                  c, ext, e1, c, e2));
  harness_assert_status(r, 200);
  data_version(r);
  json_t *results = json_object_get(r->json, "results");
  ck_assert_int_eq(json_array_size(results), 3);
  json_t *d0 = json_array_get(results, 0), *d1 = json_array_get(results, 1),
         *d2 = json_array_get(results, 2);
  ck_assert_str_eq(json_string_value(json_object_get(d0, "pipeline")), "upsell");
  ck_assert_int_eq(json_integer_value(json_object_get(d1, "id")), existing);
  ck_assert_int_eq(json_integer_value(json_object_get(d1, "version")), 2);
  ck_assert_str_eq(json_string_value(json_object_get(d1, "closed_at")), TODAY);
  ck_assert_str_eq(json_string_value(json_object_get(d2, "external_id")), e2);
  ck_assert_int_gt(json_integer_value(json_object_get(d2, "id")),
                   json_integer_value(json_object_get(d0, "id")));
  ck_assert_str_eq(history_stages(existing), "lead,won");
}
END_TEST

START_TEST(test_batch_names_every_failing_index_and_writes_nothing)
{
  long long c = new_customer(NULL);
  const char *before = harness_db_digest(env->db);
  harness_response *r =
      post("/v1/deals/batch",
           harness_fmt("{\"inputs\":[{\"customer_id\":%lld,\"pipeline\":\"upsell\"},"
                       "{\"customer_id\":%lld,\"pipeline\":\"nope\"},"
                       "{\"customer_id\":%lld,\"pipeline\":\"upsell\",\"amount\":-1},"
                       "{\"customer_id\":987654321,\"pipeline\":\"upsell\"},"
                       "{\"customer_id\":%lld,\"pipeline\":\"upsell\",\"stage\":\"lost\",\"closed_"
                       "at\":\"2020-01-01\"},"
                       "{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"external_id\":\"dupb\"},"
                       "{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"external_id\":\"dupb\"}]}",
                       c, c, c, c, c, c));
  harness_assert_problem_index(r, 422, "pipeline", 1);
  harness_assert_problem_index(r, 422, "amount", 2);
  harness_assert_problem_index(r, 422, "customer_id", 3);
  harness_assert_problem_index(r, 422, "closed_at", 4);
  harness_assert_problem_index(r, 422, "external_id", 6);
  ck_assert(!harness_problem_names(r, "", 0) && !harness_problem_names(r, "", 5));
  harness_assert_errors_by_index(r);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_batch_import_and_limits)
{
  long long c = new_customer(NULL);
  harness_response *r =
      post("/v1/deals/batch",
           harness_fmt(
               "{\"inputs\":[{\"customer_id\":%lld,\"pipeline\":\"renewal\",\"stage\":\"agreed\","
               "\"created_at\":\"2025-01-01T00:00:00Z\",\"stage_history\":["
               "{\"stage\":\"preparation\",\"entered_at\":\"2025-01-01T00:00:00Z\"},"
               "{\"stage\":\"agreed\",\"entered_at\":\"2025-03-01T00:00:00Z\"}]}]}",
               c));
  harness_assert_status(r, 200);
  long long id = json_integer_value(
      json_object_get(json_array_get(json_object_get(r->json, "results"), 0), "id"));
  ck_assert_str_eq(history_stages(id), "preparation,agreed");
  const char *before = harness_db_digest(env->db);
  json_t *inputs = json_array();
  for (int i = 0; i < 1001; i++)
    json_array_append_new(
        inputs, json_pack("{s:I, s:s}", "customer_id", (json_int_t)c, "pipeline", "renewal"));
  harness_assert_problem(
      post("/v1/deals/batch", harness_dump(json_pack("{s:o}", "inputs", inputs))), 422, "inputs");
  harness_assert_problem(post("/v1/deals/batch", "{\"inputs\":[]}"), 422, "inputs");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

/* Suite --------------------------------------------------------------------------------- */

static Suite *deals_suite(void)
{
  Suite *s = suite_create("deals");
  TCase *tc = harness_tcase("create_read");
  tcase_add_test(tc, test_create_answers_201_with_defaults);
  tcase_add_test(tc, test_every_field_round_trips);
  tcase_add_test(tc, test_empty_external_id_and_product_are_null);
  tcase_add_test(tc, test_create_customer_reference_rules);
  tcase_add_test(tc, test_unknown_pipeline_stage_product_are_422);
  tcase_add_test(tc, test_duplicate_external_id_is_409);
  suite_add_tcase(s, tc);

  tc = harness_tcase("closed_at");
  tcase_add_test(tc, test_create_in_won_stage_sets_closed_at_today);
  tcase_add_test(tc, test_closed_at_on_an_open_stage_is_422);
  tcase_add_test(tc, test_closed_at_before_created_at_is_422);
  tcase_add_test(tc, test_stage_moves_set_and_clear_closed_at);
  suite_add_tcase(s, tc);

  tc = harness_tcase("history");
  tcase_add_test(tc, test_pipeline_change_needs_a_stage_of_the_new_pipeline);
  tcase_add_test(tc, test_history_is_appended_on_every_stage_change_only);
  tcase_add_test(tc, test_history_ties_are_ordered_by_entry);
  suite_add_tcase(s, tc);

  tc = harness_tcase("import");
  tcase_add_test(tc, test_import_keeps_created_at_and_history);
  tcase_add_test(tc, test_import_of_created_at_alone_is_the_first_history_entry);
  tcase_add_loop_test(tc, test_import_validation, 0,
                      (int)(sizeof import_cases / sizeof *import_cases));
  tcase_add_test(tc, test_import_fields_cannot_be_patched);
  suite_add_tcase(s, tc);

  tc = harness_tcase("patch");
  tcase_add_test(tc, test_patch_merges_and_versions);
  tcase_add_test(tc, test_patch_moves_the_deal_to_another_customer);
  tcase_add_test(tc, test_patch_with_stale_if_match_or_version_is_412);
  tcase_add_test(tc, test_concurrent_patches_with_one_if_match_one_wins);
  tcase_add_test(tc, test_concurrent_puts_of_one_new_external_id_create_once);
  tcase_add_test(tc, test_concurrent_creates_with_one_external_id_one_wins);
  tcase_add_test(tc, test_every_write_carries_a_new_data_version);
  tcase_add_test(tc, test_idempotency_key_replays_the_create);
  suite_add_tcase(s, tc);

  tc = harness_tcase("delete_archive");
  tcase_add_test(tc, test_delete_removes_the_deal_and_its_history);
  tcase_add_test(tc, test_deals_of_archived_customers_are_hidden);
  suite_add_tcase(s, tc);

  tc = harness_tcase("list");
  tcase_add_test(tc, test_list_by_customer_pages_without_gaps);
  tcase_add_test(tc, test_list_filters);
  tcase_add_test(tc, test_list_default_limit_is_100);
  suite_add_tcase(s, tc);

  tc = harness_tcase("external_batch");
  tcase_add_test(tc, test_put_external_creates_then_replaces);
  tcase_add_test(tc, test_put_external_preconditions_and_mismatch);
  tcase_add_test(tc, test_batch_results_in_input_order_with_upsert);
  tcase_add_test(tc, test_batch_names_every_failing_index_and_writes_nothing);
  tcase_add_test(tc, test_batch_import_and_limits);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  const char *server_env[] = {"LTVD_TODAY=" TODAY, NULL};
  env = harness_env_up(server_env);
  harness_sql_exec(env->db, "INSERT INTO business_units (key, name, created_at, updated_at) "
                            "VALUES ('software', 'Software', now(), now());"
                            "INSERT INTO products (key, name, business_unit, family, tier, "
                            "created_at, updated_at) VALUES "
                            "('crm-std', 'CRM Standard', 'software', 'crm', 1, now(), now()),"
                            "('crm-pro', 'CRM Pro', 'software', 'crm', 2, now(), now())");
  return harness_run(deals_suite(), env);
}
