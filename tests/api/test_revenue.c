/* MRR lines, signals and the customer timeline over HTTP (contract of issue 3, SPEC
 * sections 3 and 8). One database and one server (today fixed to 2026-06-15) for the
 * whole program; products and deals, whose endpoints live in other modules, are written
 * with SQL. Tests keep out of each other's way with customers and tags of their own. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static harness_env *env;

/* Helpers ----------------------------------------------------------------------------- */

static harness_response *post(const char *path, const char *body)
{
  return harness_call(env, "write", "POST", path, NULL, body);
}

static harness_response *put(const char *path, const char *body)
{
  return harness_call(env, "write", "PUT", path, NULL, body);
}

static harness_response *get(const char *path)
{
  return harness_call(env, "read", "GET", path, NULL, NULL);
}

static long long new_customer(const char *external_id)
{
  const char *body = external_id
                         ? harness_fmt("{\"name\":\"Rev\",\"external_id\":\"%s\"}", external_id)
                         : "{\"name\":\"Rev\"}";
  harness_response *r = post("/v1/customers", body);
  harness_assert_status(r, 201);
  return harness_json_int(r, "id");
}

static void archive(long long id)
{
  harness_assert_status(
      harness_call(env, "write", "DELETE", harness_fmt("/v1/customers/%lld", id), NULL, NULL), 204);
}

static long long count(const char *table, const char *where)
{
  return harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM %s WHERE %s", table, where));
}

static void assert_json(const char *what, json_t *got, const char *want)
{
  json_t *w = harness_own_json(json_loads(want, JSON_DECODE_ANY, NULL));
  ck_assert_msg(w != NULL, "bad expected JSON %s", want);
  ck_assert_msg(json_equal(got, w), "%s is %s, expected %s", what,
                got ? harness_dump(json_incref(got)) : "(absent)", want);
}

static void assert_body(const harness_response *r, const char *want)
{
  assert_json(r->what, r->json, want);
}

static json_t *results(const harness_response *r)
{
  json_t *res = json_object_get(r->json, "results");
  ck_assert_msg(json_is_array(res), "%s: no results array in %.400s", r->what, r->body);
  return res;
}

static const char *next_cursor(const harness_response *r)
{
  json_t *paging = json_object_get(r->json, "paging");
  return paging ? json_string_value(json_object_get(json_object_get(paging, "next"), "after"))
                : NULL;
}

/* Every result of a list, following the cursor. */
static json_t *list_all(const char *path, int limit, int *pages)
{
  json_t *all = harness_own_json(json_array());
  const char *after = NULL;
  int n = 0;
  do {
    harness_response *r =
        get(harness_fmt("%s%climit=%d%s%s", path, strchr(path, '?') ? '&' : '?', limit,
                        after ? "&after=" : "", after ? harness_urlenc(after) : ""));
    harness_assert_status(r, 200);
    ck_assert_int_le(json_array_size(results(r)), limit);
    json_array_extend(all, results(r));
    after = next_cursor(r);
    if (after)
      after = harness_fmt("%s", after);
    ck_assert_msg(++n < 1000, "paging does not end");
  } while (after);
  if (pages)
    *pages = n;
  return all;
}

static json_t *signal_of(const harness_response *r)
{
  json_t *s = json_object_get(r->json, "signal");
  ck_assert_msg(json_is_object(s), "%s: no signal in %.400s", r->what, r->body);
  return s;
}

static long long signal_id(const harness_response *r)
{
  return json_integer_value(json_object_get(signal_of(r), "id"));
}

static void assert_status_member(const harness_response *r, const char *want)
{
  const char *got = harness_json_str(r, "status");
  ck_assert_msg(got && strcmp(got, want) == 0, "%s: status %s, expected %s (%.400s)", r->what,
                got ? got : "(none)", want, r->body);
}

static bool has_signal(json_t *list, long long id)
{
  size_t i;
  json_t *s;
  json_array_foreach(list, i, s)
  {
    if (json_integer_value(json_object_get(s, "id")) == id)
      return true;
  }
  return false;
}

/* MRR: replacing a month ------------------------------------------------------------- */

START_TEST(test_put_month_answers_the_lines_by_product)
{
  long long id = new_customer(NULL);
  harness_response *r =
      put(harness_fmt("/v1/customers/%lld/mrr/2025-01", id),
          "{\"lines\":[{\"product\":\"rev-b\",\"mrr\":200},{\"product\":\"rev-a\",\"mrr\":100}]}");
  harness_assert_status(r, 200);
  assert_body(r, harness_fmt("{\"customer_id\":%lld,\"month\":\"2025-01\",\"currency\":\"USD\","
                             "\"lines\":[{\"product\":\"rev-a\",\"mrr\":100},"
                             "{\"product\":\"rev-b\",\"mrr\":200}]}",
                             id));
  ck_assert_ptr_nonnull(harness_header(r, "X-Ltvd-Data-Version"));
  ck_assert_int_eq(
      count("mrr_lines", harness_fmt("customer_id = %lld AND month = '2025-01-01'", id)), 2);
}
END_TEST

START_TEST(test_put_month_replaces_the_whole_month_only)
{
  long long id = new_customer(NULL);
  const char *jan = harness_fmt("/v1/customers/%lld/mrr/2025-01", id);
  harness_assert_status(put(harness_fmt("/v1/customers/%lld/mrr/2025-02", id),
                            "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":7}]}"),
                        200);
  harness_assert_status(
      put(jan, "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":1},{\"product\":\"rev-b\",\"mrr\":2}]}"),
      200);
  harness_response *r = put(jan, "{\"lines\":[{\"product\":\"rev-b\",\"mrr\":9007199254740991}]}");
  harness_assert_status(r, 200);
  assert_json("lines", json_object_get(r->json, "lines"),
              "[{\"product\":\"rev-b\",\"mrr\":9007199254740991}]");
  ck_assert_int_eq(
      count("mrr_lines", harness_fmt("customer_id = %lld AND month = '2025-01-01'", id)), 1);
  ck_assert_int_eq(count("mrr_lines", harness_fmt("customer_id = %lld AND month = '2025-02-01' "
                                                  "AND mrr = 7",
                                                  id)),
                   1);
}
END_TEST

START_TEST(test_put_month_with_no_lines_deletes_the_month)
{
  long long id = new_customer(NULL);
  const char *path = harness_fmt("/v1/customers/%lld/mrr/2025-03", id);
  harness_assert_status(put(path, "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":5}]}"), 200);
  harness_response *r = put(path, "{\"lines\":[]}");
  harness_assert_status(r, 200);
  assert_json("lines", json_object_get(r->json, "lines"), "[]");
  ck_assert_int_eq(count("mrr_lines", harness_fmt("customer_id = %lld", id)), 0);
  harness_assert_status(put(path, "{\"lines\":[]}"), 200); /* nothing to delete: still fine */
}
END_TEST

START_TEST(test_put_month_with_duplicate_product_is_422)
{
  long long id = new_customer(NULL);
  const char *path = harness_fmt("/v1/customers/%lld/mrr/2025-01", id);
  harness_assert_status(put(path, "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":5}]}"), 200);
  const char *before = harness_db_digest(env->db);
  harness_response *r =
      put(path, "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":1},"
                "{\"product\":\"rev-b\",\"mrr\":2},{\"product\":\"rev-a\",\"mrr\":3}]}");
  harness_assert_problem(r, 422, "lines[2].product");
  ck_assert(!harness_problem_names(r, "lines[0].product", -1));
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_put_month_with_unknown_product_is_422)
{
  long long id = new_customer(NULL);
  const char *before = harness_db_digest(env->db);
  harness_response *r = put(harness_fmt("/v1/customers/%lld/mrr/2025-01", id),
                            "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":1},"
                            "{\"product\":\"no-such-product\",\"mrr\":2}]}");
  harness_assert_problem(r, 422, "lines[1].product");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_put_month_of_unknown_or_archived_customer_is_404)
{
  harness_assert_problem(put("/v1/customers/987654321/mrr/2025-01", "{\"lines\":[]}"), 404, NULL);
  long long id = new_customer(NULL);
  archive(id);
  harness_assert_problem(put(harness_fmt("/v1/customers/%lld/mrr/2025-01", id),
                             "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":1}]}"),
                         404, NULL);
  harness_assert_problem(get(harness_fmt("/v1/customers/%lld/mrr", id)), 404, NULL);
}
END_TEST

START_TEST(test_put_month_with_bad_month_is_400)
{
  long long id = new_customer(NULL);
  static const char *const months[] = {"2025-13", "2025-00",    "2025-1",  "202501",
                                       "25-01",   "2025-01-01", "abcd-ef", "2025_01"};
  for (size_t i = 0; i < sizeof months / sizeof *months; i++)
    harness_assert_problem(
        put(harness_fmt("/v1/customers/%lld/mrr/%s", id, months[i]), "{\"lines\":[]}"), 400, NULL);
}
END_TEST

/* MRR: listing ---------------------------------------------------------------------- */

START_TEST(test_list_orders_by_month_then_product_within_from_to)
{
  long long id = new_customer(NULL);
  harness_assert_status(
      put(harness_fmt("/v1/customers/%lld/mrr/2025-03", id),
          "{\"lines\":[{\"product\":\"rev-b\",\"mrr\":3},{\"product\":\"rev-a\",\"mrr\":4}]}"),
      200);
  harness_assert_status(put(harness_fmt("/v1/customers/%lld/mrr/2024-12", id),
                            "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":1}]}"),
                        200);
  harness_assert_status(put(harness_fmt("/v1/customers/%lld/mrr/2025-01", id),
                            "{\"lines\":[{\"product\":\"rev-b\",\"mrr\":2}]}"),
                        200);
  harness_response *r = get(harness_fmt("/v1/customers/%lld/mrr", id));
  harness_assert_status(r, 200);
  assert_body(r, harness_fmt("{\"customer_id\":%lld,\"currency\":\"USD\",\"results\":["
                             "{\"month\":\"2024-12\",\"product\":\"rev-a\",\"mrr\":1},"
                             "{\"month\":\"2025-01\",\"product\":\"rev-b\",\"mrr\":2},"
                             "{\"month\":\"2025-03\",\"product\":\"rev-a\",\"mrr\":4},"
                             "{\"month\":\"2025-03\",\"product\":\"rev-b\",\"mrr\":3}]}",
                             id));
  r = get(harness_fmt("/v1/customers/%lld/mrr?from=2025-01", id));
  ck_assert_int_eq(json_array_size(results(r)), 3);
  r = get(harness_fmt("/v1/customers/%lld/mrr?to=2025-01", id));
  ck_assert_int_eq(json_array_size(results(r)), 2);
  r = get(harness_fmt("/v1/customers/%lld/mrr?from=2025-01&to=2025-02", id));
  assert_json("results", results(r), "[{\"month\":\"2025-01\",\"product\":\"rev-b\",\"mrr\":2}]");
  r = get(harness_fmt("/v1/customers/%lld/mrr?from=2025-02&to=2025-02", id));
  assert_json("results", results(r), "[]");
}
END_TEST

START_TEST(test_list_with_bad_range_is_400)
{
  long long id = new_customer(NULL);
  harness_assert_problem(get(harness_fmt("/v1/customers/%lld/mrr?from=2025-13", id)), 400, NULL);
  harness_assert_problem(get(harness_fmt("/v1/customers/%lld/mrr?to=2025", id)), 400, NULL);
  harness_assert_problem(get(harness_fmt("/v1/customers/%lld/mrr?from=2025-03&to=2025-02", id)),
                         400, NULL);
  harness_assert_problem(get("/v1/customers/987654321/mrr"), 404, NULL);
}
END_TEST

/* MRR: batch ------------------------------------------------------------------------ */

START_TEST(test_batch_upserts_by_customer_product_month)
{
  const char *ext = harness_tag("mrr-ext");
  long long id = new_customer(ext);
  harness_assert_status(put(harness_fmt("/v1/customers/%lld/mrr/2025-05", id),
                            "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":10}]}"),
                        200);
  harness_response *r = post(
      "/v1/mrr/batch",
      harness_fmt("{\"inputs\":[{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-05\","
                  "\"mrr\":11},"
                  "{\"customer_external_id\":\"%s\",\"product\":\"rev-b\",\"month\":\"2025-05\","
                  "\"mrr\":12},"
                  "{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-04\",\"mrr\":0}]}",
                  id, ext, id));
  harness_assert_status(r, 200);
  ck_assert_ptr_nonnull(harness_header(r, "X-Ltvd-Data-Version"));
  assert_json(
      "results", results(r),
      harness_fmt("[{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-05\",\"mrr\":11},"
                  "{\"customer_id\":%lld,\"product\":\"rev-b\",\"month\":\"2025-05\",\"mrr\":12},"
                  "{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-04\",\"mrr\":0}]",
                  id, id, id));
  ck_assert_int_eq(count("mrr_lines", harness_fmt("customer_id = %lld", id)), 3);
  ck_assert_int_eq(count("mrr_lines", harness_fmt("customer_id = %lld AND product = 'rev-a' "
                                                  "AND month = '2025-05-01' AND mrr = 11",
                                                  id)),
                   1);
}
END_TEST

START_TEST(test_batch_with_duplicate_lines_is_422)
{
  const char *ext = harness_tag("mrr-dup");
  long long id = new_customer(ext);
  const char *before = harness_db_digest(env->db);
  harness_response *r = post(
      "/v1/mrr/batch",
      harness_fmt("{\"inputs\":[{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-05\","
                  "\"mrr\":1},"
                  "{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-06\",\"mrr\":1},"
                  "{\"customer_external_id\":\"%s\",\"product\":\"rev-a\",\"month\":\"2025-05\","
                  "\"mrr\":2}]}",
                  id, id, ext));
  harness_assert_problem_index(r, 422, "month", 2);
  ck_assert(!harness_problem_names(r, "month", 0) && !harness_problem_names(r, "month", 1));
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_batch_with_unknown_references_names_every_index)
{
  long long id = new_customer(NULL);
  long long gone = new_customer(NULL);
  archive(gone);
  const char *before = harness_db_digest(env->db);
  harness_response *r =
      post("/v1/mrr/batch",
           harness_fmt(
               "{\"inputs\":[{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-05\","
               "\"mrr\":1},"
               "{\"customer_id\":987654321,\"product\":\"rev-a\",\"month\":\"2025-05\",\"mrr\":1},"
               "{\"customer_id\":%lld,\"product\":\"nope\",\"month\":\"2025-05\",\"mrr\":1},"
               "{\"customer_external_id\":\"no-such-ext-mrr\",\"product\":\"rev-a\",\"month\":"
               "\"2025-05\",\"mrr\":1},"
               "{\"customer_id\":%lld,\"product\":\"rev-a\",\"month\":\"2025-05\",\"mrr\":1}]}",
               id, id, gone));
  harness_assert_problem_index(r, 422, "customer_id", 1);
  harness_assert_problem_index(r, 422, "product", 2);
  harness_assert_problem_index(r, 422, "customer_external_id", 3);
  harness_assert_problem_index(r, 422, "customer_id", 4);
  harness_assert_errors_by_index(r);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_batch_of_1000_lines_is_accepted)
{
  long long id = new_customer(NULL);
  json_t *inputs = json_array();
  for (int i = 0; i < 1000; i++)
    json_array_append_new(inputs, json_pack("{s:I, s:s, s:s, s:i}", "customer_id", (json_int_t)id,
                                            "product", i % 2 ? "rev-a" : "rev-b", "month",
                                            harness_fmt("%04d-%02d", 1500 + i / 24, 1 + i / 2 % 12),
                                            "mrr", i));
  harness_response *r = post("/v1/mrr/batch", harness_dump(json_pack("{s:o}", "inputs", inputs)));
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(results(r)), 1000);
  ck_assert_int_eq(count("mrr_lines", harness_fmt("customer_id = %lld", id)), 1000);
}
END_TEST

/* Signals: storing ------------------------------------------------------------------ */

static const char *signal_body(long long customer, const char *type, const char *extra)
{
  return harness_fmt(
      "{\"customer_id\":%lld,\"type\":\"%s\",\"occurred_at\":\"2025-04-01T10:00:00Z\"%s%s}",
      customer, type, *extra ? "," : "", extra);
}

START_TEST(test_signal_carries_every_field)
{
  long long id = new_customer(NULL);
  harness_response *r =
      post("/v1/signals", signal_body(id, "nps", "\"value\":9,\"event_id\":\"\""));
  harness_assert_status(r, 201);
  assert_status_member(r, "stored");
  json_t *s = signal_of(r);
  static const char *const fields[] = {"id",        "customer_id", "customer_external_id",
                                       "type",      "occurred_at", "value",
                                       "product",   "source",      "event_id",
                                       "created_at"};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    ck_assert_msg(json_object_get(s, fields[i]) != NULL, "signal lacks %s: %s", fields[i], r->body);
  ck_assert_int_eq(json_object_size(s), sizeof fields / sizeof *fields);
  assert_json("customer_id", json_object_get(s, "customer_id"), harness_fmt("%lld", id));
  assert_json("value", json_object_get(s, "value"), "9");
  ck_assert(json_is_integer(json_object_get(s, "value")));
  assert_json("source", json_object_get(s, "source"), "\"api\"");
  assert_json("event_id", json_object_get(s, "event_id"), "null");
  assert_json("product", json_object_get(s, "product"), "null");
  assert_json("customer_external_id", json_object_get(s, "customer_external_id"), "null");
  assert_json("occurred_at", json_object_get(s, "occurred_at"), "\"2025-04-01T10:00:00.000000Z\"");
  ck_assert_msg(strncmp(json_string_value(json_object_get(s, "created_at")), "2026-06-15T", 11) ==
                    0,
                "created_at is not on LTVD_TODAY: %s", r->body);
  ck_assert_ptr_nonnull(harness_header(r, "X-Ltvd-Data-Version"));
}
END_TEST

START_TEST(test_every_type_without_value_is_stored)
{
  static const char *const types[] = {"email_open", "email_click", "web_visit",
                                      "meeting",    "call",        "support_ticket"};
  long long id = new_customer(NULL);
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    harness_response *r = post("/v1/signals", signal_body(id, types[i], ""));
    harness_assert_status(r, 201);
    assert_json("value", json_object_get(signal_of(r), "value"), "null");
    harness_assert_status(post("/v1/signals", signal_body(id, types[i], "\"value\":null")), 201);
    harness_assert_status(post("/v1/signals", signal_body(id, types[i], "\"product\":\"rev-a\"")),
                          201);
  }
  harness_response *r =
      post("/v1/signals", signal_body(id, "feature_interest", "\"product\":\"rev-b\""));
  harness_assert_status(r, 201);
  assert_json("product", json_object_get(signal_of(r), "product"), "\"rev-b\"");
  ck_assert_int_eq(count("signals", harness_fmt("customer_id = %lld", id)), 19);
}
END_TEST

START_TEST(test_value_rules_per_type)
{
  static const struct {
    const char *type, *extra;
    long status;
    const char *field;
  } cases[] = {
      {"usage", "\"value\":0", 201, NULL},
      {"usage", "\"value\":0.85", 201, NULL},
      {"usage", "\"value\":3", 201, NULL},
      {"usage", "", 422, "value"},
      {"usage", "\"value\":null", 422, "value"},
      {"usage", "\"value\":-0.1", 422, "value"},
      {"usage", "\"value\":\"0.5\"", 422, "value"},
      {"usage", "\"value\":true", 422, "value"},
      {"nps", "\"value\":0", 201, NULL},
      {"nps", "\"value\":10", 201, NULL},
      {"nps", "", 422, "value"},
      {"nps", "\"value\":11", 422, "value"},
      {"nps", "\"value\":-1", 422, "value"},
      {"nps", "\"value\":7.0", 422, "value"},
      {"nps", "\"value\":7.5", 422, "value"},
      {"nps", "\"value\":\"7\"", 422, "value"},
      {"email_open", "\"value\":1", 422, "value"},
      {"meeting", "\"value\":0", 422, "value"},
      {"call", "\"value\":\"x\"", 422, "value"},
      {"feature_interest", "", 422, "product"},
      {"feature_interest", "\"product\":null", 422, "product"},
      {"feature_interest", "\"product\":\"\"", 422, "product"},
      {"feature_interest", "\"product\":\"no-such-product\"", 422, "product"},
      {"feature_interest", "\"product\":\"rev-a\",\"value\":1", 422, "value"},
      {"web_visit", "\"product\":\"no-such-product\"", 422, "product"},
      {"unknown_type", "", 422, "type"},
  };
  long long id = new_customer(NULL);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *before = harness_db_digest(env->db);
    harness_response *r = post("/v1/signals", signal_body(id, cases[i].type, cases[i].extra));
    harness_response_label(r, harness_fmt("%s %s", cases[i].type, cases[i].extra));
    if (cases[i].status == 201) {
      harness_assert_status(r, 201);
      continue;
    }
    harness_assert_problem(r, cases[i].status, cases[i].field);
    ck_assert_msg(strcmp(harness_db_digest(env->db), before) == 0, "%s changed the database",
                  r->what);
  }
  harness_response *r = post("/v1/signals", signal_body(id, "usage", "\"value\":0.85"));
  assert_json("usage value", json_object_get(signal_of(r), "value"), "0.85");
}
END_TEST

START_TEST(test_customer_reference_rules)
{
  long long gone = new_customer(NULL);
  archive(gone);
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(post("/v1/signals", signal_body(987654321, "call", "")), 422,
                         "customer_id");
  harness_assert_problem(post("/v1/signals", signal_body(gone, "call", "")), 422, "customer_id");
  harness_assert_problem(
      post("/v1/signals", "{\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}"), 422,
      NULL);
  harness_assert_problem(
      post("/v1/signals", signal_body(gone, "call", "\"customer_external_id\":\"x\"")), 422, NULL);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

/* Signals: duplicates ---------------------------------------------------------------- */

START_TEST(test_replayed_event_is_a_duplicate_stored_once)
{
  long long id = new_customer(NULL);
  const char *event = harness_tag("evt");
  const char *body =
      signal_body(id, "meeting", harness_fmt("\"source\":\"crm\",\"event_id\":\"%s\"", event));
  harness_response *a = post("/v1/signals", body);
  harness_assert_status(a, 201);
  assert_status_member(a, "stored");
  harness_response *b = post("/v1/signals", body);
  harness_assert_status(b, 200);
  assert_status_member(b, "duplicate");
  ck_assert(json_equal(signal_of(a), signal_of(b)));
  /* another body with the same (source, event_id) answers the stored one */
  harness_response *c =
      post("/v1/signals",
           signal_body(id, "call", harness_fmt("\"source\":\"crm\",\"event_id\":\"%s\"", event)));
  harness_assert_status(c, 200);
  assert_status_member(c, "duplicate");
  ck_assert_int_eq(signal_id(c), signal_id(a));
  assert_json("type", json_object_get(signal_of(c), "type"), "\"meeting\"");
  ck_assert_int_eq(count("signals", harness_fmt("event_id = '%s'", event)), 1);
  /* the same event id from another source is another event */
  harness_response *d = post(
      "/v1/signals",
      signal_body(id, "meeting", harness_fmt("\"source\":\"mail\",\"event_id\":\"%s\"", event)));
  harness_assert_status(d, 201);
  ck_assert_int_eq(count("signals", harness_fmt("event_id = '%s'", event)), 2);
  /* without event_id nothing is deduplicated */
  harness_assert_status(post("/v1/signals", signal_body(id, "web_visit", "")), 201);
  harness_assert_status(post("/v1/signals", signal_body(id, "web_visit", "")), 201);
  ck_assert_int_eq(count("signals", harness_fmt("customer_id = %lld AND type = 'web_visit'", id)),
                   2);
}
END_TEST

/* A signal for an external id and the customer taking that id, written at the same
 * moment: whichever commits second must see the first, so the signal always ends up
 * with its customer. */
START_TEST(test_signal_racing_its_customer_is_attached)
{
  for (int round = 0; round < 20; round++) {
    const char *ext = harness_tag("racing");
    harness_response *customer, *signal;
    harness_race_two(env, "POST", "/v1/customers",
                     harness_fmt("{\"name\":\"Racer\",\"external_id\":\"%s\"}", ext), "POST",
                     "/v1/signals",
                     harness_fmt("{\"customer_external_id\":\"%s\",\"type\":\"call\","
                                 "\"occurred_at\":\"2025-04-03T00:00:00Z\"}",
                                 ext),
                     NULL, &customer, &signal);
    harness_assert_status(customer, 201);
    harness_assert_status(signal, 201);
    ck_assert_msg(count("signals", harness_fmt("customer_external_id = '%s' AND customer_id IS "
                                               "NULL", ext)) == 0,
                  "round %d: the signal stayed unmatched beside its customer", round);
  }
}
END_TEST

START_TEST(test_concurrent_replays_store_once)
{
  long long id = new_customer(NULL);
  for (int round = 0; round < 8; round++) {
    const char *event = harness_tag("race");
    const char *body = signal_body(id, "call", harness_fmt("\"event_id\":\"%s\"", event));
    harness_response *a, *b;
    harness_race(env, "POST", "/v1/signals", NULL, body, body, &a, &b);
    ck_assert_msg((a->status == 201 && b->status == 200) || (a->status == 200 && b->status == 201),
                  "round %d: statuses %ld and %ld (%s / %s)", round, a->status, b->status, a->body,
                  b->body);
    ck_assert_int_eq(signal_id(a), signal_id(b));
    ck_assert_int_eq(count("signals", harness_fmt("event_id = '%s'", event)), 1);
  }
}
END_TEST

START_TEST(test_concurrent_month_replacements_apply_one_after_the_other)
{
  long long id = new_customer(NULL);
  const char *path = harness_fmt("/v1/customers/%lld/mrr/2025-07", id);
  const char *one = "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":1}]}";
  const char *two =
      "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":2},{\"product\":\"rev-b\",\"mrr\":2}]}";
  for (int round = 0; round < 8; round++) {
    harness_response *a, *b;
    harness_race(env, "PUT", path, NULL, one, two, &a, &b);
    harness_assert_status(a, 200);
    harness_assert_status(b, 200);
    long long n = count("mrr_lines", harness_fmt("customer_id = %lld", id));
    long long sum = harness_sql_int(
        env->db, harness_fmt("SELECT sum(mrr) FROM mrr_lines WHERE customer_id = %lld", id));
    ck_assert_msg((n == 1 && sum == 1) || (n == 2 && sum == 4),
                  "round %d: %lld lines summing to %lld mix both requests", round, n, sum);
  }
}
END_TEST

/* Signals: unmatched, then attached -------------------------------------------------- */

START_TEST(test_unmatched_signal_is_attached_when_the_customer_appears)
{
  const char *ext = harness_tag("later");
  harness_response *r =
      post("/v1/signals", harness_fmt("{\"customer_external_id\":\"%s\",\"type\":\"usage\","
                                      "\"value\":0.5,\"occurred_at\":\"2025-04-02T00:00:00Z\"}",
                                      ext));
  harness_assert_status(r, 201);
  assert_status_member(r, "unmatched");
  long long sid = signal_id(r);
  assert_json("customer_id", json_object_get(signal_of(r), "customer_id"), "null");
  assert_json("customer_external_id", json_object_get(signal_of(r), "customer_external_id"),
              harness_fmt("\"%s\"", ext));
  ck_assert(has_signal(list_all("/v1/signals?unmatched=true", 1000, NULL), sid));
  ck_assert(!has_signal(list_all("/v1/signals?unmatched=false", 1000, NULL), sid));

  long long id = new_customer(ext);
  json_t *mine = list_all(harness_fmt("/v1/customers/%lld/signals?type=usage", id), 10, NULL);
  ck_assert_int_eq(json_array_size(mine), 1);
  assert_json("attached customer_id", json_object_get(json_array_get(mine, 0), "customer_id"),
              harness_fmt("%lld", id));
  ck_assert(!has_signal(list_all("/v1/signals?unmatched=true", 1000, NULL), sid));
  ck_assert(has_signal(list_all("/v1/signals?unmatched=false", 1000, NULL), sid));

  /* from now on the external id matches at once */
  r = post("/v1/signals", harness_fmt("{\"customer_external_id\":\"%s\",\"type\":\"call\","
                                      "\"occurred_at\":\"2025-04-03T00:00:00Z\"}",
                                      ext));
  harness_assert_status(r, 201);
  assert_status_member(r, "stored");
  assert_json("customer_id", json_object_get(signal_of(r), "customer_id"), harness_fmt("%lld", id));
}
END_TEST

START_TEST(test_unmatched_signals_join_a_customer_patched_to_their_external_id)
{
  const char *ext = harness_tag("patched");
  long long id = new_customer(NULL);
  for (int i = 0; i < 3; i++)
    harness_assert_status(
        post("/v1/signals", harness_fmt("{\"customer_external_id\":\"%s\",\"type\":\"call\","
                                        "\"occurred_at\":\"2025-04-0%dT00:00:00Z\"}",
                                        ext, i + 1)),
        201);
  ck_assert_int_eq(
      count("signals", harness_fmt("customer_external_id = '%s' AND customer_id IS NULL", ext)), 3);
  harness_assert_status(harness_call(env, "write", "PATCH", harness_fmt("/v1/customers/%lld", id),
                                     NULL, harness_fmt("{\"external_id\":\"%s\"}", ext)),
                        200);
  ck_assert_int_eq(
      json_array_size(list_all(harness_fmt("/v1/customers/%lld/signals", id), 100, NULL)), 3);
  ck_assert_int_eq(
      count("signals", harness_fmt("customer_external_id = '%s' AND customer_id IS NULL", ext)), 0);
}
END_TEST

/* Signals: batch --------------------------------------------------------------------- */

START_TEST(test_batch_answers_each_status_in_input_order)
{
  long long id = new_customer(NULL);
  const char *tag = harness_tag("sb");
  harness_assert_status(
      post("/v1/signals", signal_body(id, "call", harness_fmt("\"event_id\":\"%s-old\"", tag))),
      201);
  harness_response *r =
      post("/v1/signals/batch",
           harness_fmt("{\"inputs\":["
                       "{\"customer_id\":%lld,\"type\":\"nps\",\"value\":3,\"occurred_at\":\"2025-"
                       "04-01T00:00:00Z\",\"event_id\":\"%s-1\"},"
                       "{\"customer_external_id\":\"%s-nobody\",\"type\":\"email_open\",\"occurred_"
                       "at\":\"2025-04-01T00:00:00Z\"},"
                       "{\"customer_id\":%lld,\"type\":\"call\",\"occurred_at\":\"2025-04-01T00:00:"
                       "00Z\",\"event_id\":\"%s-old\"},"
                       "{\"customer_id\":%lld,\"type\":\"meeting\",\"occurred_at\":\"2025-04-05T00:"
                       "00:00Z\",\"event_id\":\"%s-1\"}]}",
                       id, tag, tag, id, tag, id, tag));
  harness_assert_status(r, 200);
  json_t *res = results(r);
  ck_assert_int_eq(json_array_size(res), 4);
  static const char *const want[] = {"stored", "unmatched", "duplicate", "duplicate"};
  for (size_t i = 0; i < 4; i++)
    assert_json(harness_fmt("status %zu", i), json_object_get(json_array_get(res, i), "status"),
                harness_fmt("\"%s\"", want[i]));
  json_t *first = json_object_get(json_array_get(res, 0), "signal");
  json_t *last = json_object_get(json_array_get(res, 3), "signal");
  ck_assert(json_equal(first, last));
  ck_assert_int_eq(count("signals", harness_fmt("event_id LIKE '%s-%%'", tag)), 2);
}
END_TEST

START_TEST(test_batch_with_invalid_inputs_writes_nothing)
{
  long long id = new_customer(NULL);
  const char *before = harness_db_digest(env->db);
  harness_response *r =
      post("/v1/signals/batch",
           harness_fmt(
               "{\"inputs\":["
               "{\"customer_id\":%lld,\"type\":\"call\",\"occurred_at\":\"2025-04-01T00:00:00Z\"},"
               "{\"customer_id\":%lld,\"type\":\"nps\",\"value\":12,\"occurred_at\":\"2025-04-"
               "01T00:00:00Z\"},"
               "{\"customer_id\":%lld,\"type\":\"call\",\"occurred_at\":\"yesterday\"},"
               "5]}",
               id, id, id));
  harness_assert_problem_index(r, 422, "value", 1);
  harness_assert_problem_index(r, 422, "occurred_at", 2);
  harness_assert_problem_index(r, 422, "", 3);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_signal_batch_of_1000_inputs_is_accepted)
{
  long long id = new_customer(NULL);
  const char *tag = harness_tag("sb1000");
  json_t *inputs = json_array();
  for (int i = 0; i < 1000; i++)
    json_array_append_new(inputs,
                          json_pack("{s:I, s:s, s:s, s:s, s:s}", "customer_id", (json_int_t)id,
                                    "type", "web_visit", "occurred_at", "2025-01-01T00:00:00Z",
                                    "source", tag, "event_id", harness_fmt("e%d", i % 600)));
  harness_response *r =
      post("/v1/signals/batch", harness_dump(json_pack("{s:o}", "inputs", inputs)));
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(results(r)), 1000);
  assert_json("status 999", json_object_get(json_array_get(results(r), 999), "status"),
              "\"duplicate\"");
  ck_assert_int_eq(count("signals", harness_fmt("source = '%s'", tag)), 600);
}
END_TEST

/* Signals: lists --------------------------------------------------------------------- */

START_TEST(test_list_filters_by_type_source_and_customer)
{
  long long a = new_customer(NULL), b = new_customer(NULL);
  const char *src = harness_tag("src");
  for (int i = 0; i < 5; i++)
    harness_assert_status(post("/v1/signals", signal_body(a, i % 2 ? "call" : "meeting",
                                                          harness_fmt("\"source\":\"%s\"", src))),
                          201);
  harness_assert_status(
      post("/v1/signals", signal_body(b, "call", harness_fmt("\"source\":\"%s\"", src))), 201);
  int pages;
  json_t *all = list_all(harness_fmt("/v1/signals?source=%s", src), 2, &pages);
  ck_assert_int_eq(json_array_size(all), 6);
  ck_assert_int_eq(pages, 3);
  for (size_t i = 1; i < json_array_size(all); i++)
    ck_assert_int_lt(json_integer_value(json_object_get(json_array_get(all, i - 1), "id")),
                     json_integer_value(json_object_get(json_array_get(all, i), "id")));
  ck_assert_int_eq(
      json_array_size(list_all(harness_fmt("/v1/signals?source=%s&type=call", src), 100, NULL)), 3);
  ck_assert_int_eq(json_array_size(list_all(
                       harness_fmt("/v1/signals?source=%s&customer_id=%lld", src, b), 100, NULL)),
                   1);
  ck_assert_int_eq(
      json_array_size(list_all(
          harness_fmt("/v1/signals?source=%s&customer_id=%lld&type=meeting", src, a), 100, NULL)),
      3);
  ck_assert_int_eq(json_array_size(list_all(
                       harness_fmt("/v1/signals?source=%s&unmatched=true", src), 100, NULL)),
                   0);
  ck_assert_int_eq(
      json_array_size(list_all(harness_fmt("/v1/customers/%lld/signals?type=call", a), 1, NULL)),
      2);
  ck_assert_int_eq(
      json_array_size(list_all(harness_fmt("/v1/customers/%lld/signals?type=usage", a), 1, NULL)),
      0);
  /* an archived customer's signals leave the lists */
  archive(b);
  ck_assert_int_eq(json_array_size(list_all(harness_fmt("/v1/signals?source=%s", src), 100, NULL)),
                   5);
  harness_assert_problem(get(harness_fmt("/v1/customers/%lld/signals", b)), 404, NULL);
}
END_TEST

/* Timeline ---------------------------------------------------------------------------- */

static long long insert_deal(long long customer, const char *created_at, const char *const *stages,
                             const char *const *entered, int n)
{
  long long deal = atoll(harness_sql_value(
      env->db,
      harness_fmt("INSERT INTO deals (customer_id, pipeline, stage, product, revenue_type, "
                  "amount, created_at, updated_at) VALUES (%lld, 'new_business', '%s', "
                  "'rev-a', 'recurring', 5000, '%s', '%s') RETURNING id",
                  customer, stages[n - 1], created_at, created_at)));
  for (int i = 0; i < n; i++)
    harness_sql_exec(
        env->db,
        harness_fmt("INSERT INTO deal_stage_history (deal_id, pipeline, stage, entered_at) "
                    "VALUES (%lld, 'new_business', '%s', '%s')",
                    deal, stages[i], entered[i]));
  return deal;
}

START_TEST(test_timeline_lists_every_kind_newest_first)
{
  long long id = new_customer(NULL);
  const char *const stages[] = {"lead", "qualified", "won"};
  const char *const entered[] = {"2025-01-10T00:00:00Z", "2025-02-15T12:00:00Z",
                                 "2025-03-20T00:00:00Z"};
  long long deal = insert_deal(id, "2025-01-10T00:00:00Z", stages, entered, 3);
  harness_assert_status(
      put(harness_fmt("/v1/customers/%lld/mrr/2025-01", id),
          "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":60},{\"product\":\"rev-b\",\"mrr\":40}]}"),
      200);
  harness_assert_status(put(harness_fmt("/v1/customers/%lld/mrr/2025-03", id),
                            "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":150}]}"),
                        200);
  harness_assert_status(put(harness_fmt("/v1/customers/%lld/mrr/2025-04", id),
                            "{\"lines\":[{\"product\":\"rev-b\",\"mrr\":150}]}"),
                        200);
  const char *at = "\"occurred_at\":\"2025-03-01T00:00:00Z\"";
  long long s1 = signal_id(
      post("/v1/signals",
           harness_fmt("{\"customer_id\":%lld,\"type\":\"nps\",\"value\":8,%s}", id, at)));
  long long s2 = signal_id(post(
      "/v1/signals",
      harness_fmt("{\"customer_id\":%lld,\"type\":\"usage\",\"value\":0.25,\"source\":\"app\",%s}",
                  id, at)));
  harness_response *r = get(harness_fmt("/v1/customers/%lld/timeline", id));
  harness_assert_status(r, 200);
  ck_assert_ptr_null(json_object_get(r->json, "paging"));
  assert_json(
      "timeline", results(r),
      harness_fmt(
          "["
          "{\"at\":\"2025-05-01T00:00:00.000000Z\",\"kind\":\"mrr_changed\",\"data\":{\"month\":"
          "\"2025-05\",\"from\":150,\"to\":0}},"
          "{\"at\":\"2025-03-20T00:00:00.000000Z\",\"kind\":\"stage_changed\",\"data\":{\"deal_"
          "id\":%lld,\"pipeline\":\"new_business\",\"from\":\"qualified\",\"to\":\"won\"}},"
          "{\"at\":\"2025-03-01T00:00:00.000000Z\",\"kind\":\"mrr_changed\",\"data\":{\"month\":"
          "\"2025-03\",\"from\":0,\"to\":150}},"
          "{\"at\":\"2025-03-01T00:00:00.000000Z\",\"kind\":\"signal\",\"data\":{\"signal_id\":%"
          "lld,\"type\":\"usage\",\"value\":0.25,\"product\":null,\"source\":\"app\"}},"
          "{\"at\":\"2025-03-01T00:00:00.000000Z\",\"kind\":\"signal\",\"data\":{\"signal_id\":%"
          "lld,\"type\":\"nps\",\"value\":8,\"product\":null,\"source\":\"api\"}},"
          "{\"at\":\"2025-02-15T12:00:00.000000Z\",\"kind\":\"stage_changed\",\"data\":{\"deal_"
          "id\":%lld,\"pipeline\":\"new_business\",\"from\":\"lead\",\"to\":\"qualified\"}},"
          "{\"at\":\"2025-02-01T00:00:00.000000Z\",\"kind\":\"mrr_changed\",\"data\":{\"month\":"
          "\"2025-02\",\"from\":100,\"to\":0}},"
          "{\"at\":\"2025-01-10T00:00:00.000000Z\",\"kind\":\"deal_created\",\"data\":{\"deal_id\":"
          "%lld,\"pipeline\":\"new_business\",\"stage\":\"lead\",\"product\":\"rev-a\",\"amount\":"
          "5000,\"revenue_type\":\"recurring\"}},"
          "{\"at\":\"2025-01-01T00:00:00.000000Z\",\"kind\":\"mrr_changed\",\"data\":{\"month\":"
          "\"2025-01\",\"from\":0,\"to\":100}}"
          "]",
          deal, s2, s1, deal, deal));
  ck_assert_ptr_nonnull(json_object_get(r->json, "currency"));
}
END_TEST

START_TEST(test_timeline_of_a_deal_without_moves_has_only_its_creation)
{
  long long id = new_customer(NULL);
  const char *const stages[] = {"proposal"};
  const char *const entered[] = {"2025-02-02T00:00:00Z"};
  insert_deal(id, "2025-02-02T00:00:00Z", stages, entered, 1);
  harness_response *r = get(harness_fmt("/v1/customers/%lld/timeline", id));
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(results(r)), 1);
  assert_json("kind", json_object_get(json_array_get(results(r), 0), "kind"), "\"deal_created\"");
  /* an empty month keeps the total: equal totals are no change */
  harness_assert_status(put(harness_fmt("/v1/customers/%lld/mrr/2025-01", id),
                            "{\"lines\":[{\"product\":\"rev-a\",\"mrr\":0}]}"),
                        200);
  r = get(harness_fmt("/v1/customers/%lld/timeline", id));
  ck_assert_int_eq(json_array_size(results(r)), 1);
  harness_assert_problem(get("/v1/customers/987654321/timeline"), 404, NULL);
}
END_TEST

START_TEST(test_timeline_pages_by_offset)
{
  long long id = new_customer(NULL);
  for (int i = 0; i < 7; i++)
    harness_assert_status(
        post("/v1/signals", harness_fmt("{\"customer_id\":%lld,\"type\":\"call\","
                                        "\"occurred_at\":\"2025-01-0%dT00:00:00Z\"}",
                                        id, i + 1)),
        201);
  harness_response *whole = get(harness_fmt("/v1/customers/%lld/timeline", id));
  harness_assert_status(whole, 200);
  ck_assert_int_eq(json_array_size(results(whole)), 7);
  int pages;
  json_t *paged = list_all(harness_fmt("/v1/customers/%lld/timeline", id), 3, &pages);
  ck_assert_int_eq(pages, 3);
  ck_assert_msg(json_equal(paged, results(whole)), "pages %s differ from the whole %s",
                harness_dump(json_incref(paged)), whole->body);
  assert_json("newest", json_object_get(json_array_get(paged, 0), "at"),
              "\"2025-01-07T00:00:00.000000Z\"");
}
END_TEST

/* Suite ------------------------------------------------------------------------------- */

static Suite *revenue_suite(void)
{
  Suite *s = suite_create("revenue");
  TCase *tc = harness_tcase("mrr");
  tcase_add_test(tc, test_put_month_answers_the_lines_by_product);
  tcase_add_test(tc, test_put_month_replaces_the_whole_month_only);
  tcase_add_test(tc, test_put_month_with_no_lines_deletes_the_month);
  tcase_add_test(tc, test_put_month_with_duplicate_product_is_422);
  tcase_add_test(tc, test_put_month_with_unknown_product_is_422);
  tcase_add_test(tc, test_put_month_of_unknown_or_archived_customer_is_404);
  tcase_add_test(tc, test_put_month_with_bad_month_is_400);
  tcase_add_test(tc, test_list_orders_by_month_then_product_within_from_to);
  tcase_add_test(tc, test_list_with_bad_range_is_400);
  tcase_add_test(tc, test_batch_upserts_by_customer_product_month);
  tcase_add_test(tc, test_batch_with_duplicate_lines_is_422);
  tcase_add_test(tc, test_batch_with_unknown_references_names_every_index);
  tcase_add_test(tc, test_batch_of_1000_lines_is_accepted);
  tcase_add_test(tc, test_concurrent_month_replacements_apply_one_after_the_other);
  suite_add_tcase(s, tc);

  tc = harness_tcase("signals");
  tcase_add_test(tc, test_signal_carries_every_field);
  tcase_add_test(tc, test_every_type_without_value_is_stored);
  tcase_add_test(tc, test_value_rules_per_type);
  tcase_add_test(tc, test_customer_reference_rules);
  tcase_add_test(tc, test_replayed_event_is_a_duplicate_stored_once);
  tcase_add_test(tc, test_concurrent_replays_store_once);
  tcase_add_test(tc, test_signal_racing_its_customer_is_attached);
  tcase_add_test(tc, test_unmatched_signal_is_attached_when_the_customer_appears);
  tcase_add_test(tc, test_unmatched_signals_join_a_customer_patched_to_their_external_id);
  tcase_add_test(tc, test_batch_answers_each_status_in_input_order);
  tcase_add_test(tc, test_batch_with_invalid_inputs_writes_nothing);
  tcase_add_test(tc, test_signal_batch_of_1000_inputs_is_accepted);
  tcase_add_test(tc, test_list_filters_by_type_source_and_customer);
  suite_add_tcase(s, tc);

  tc = harness_tcase("timeline");
  tcase_add_test(tc, test_timeline_lists_every_kind_newest_first);
  tcase_add_test(tc, test_timeline_of_a_deal_without_moves_has_only_its_creation);
  tcase_add_test(tc, test_timeline_pages_by_offset);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  static const char *const server_env[] = {"LTVD_TODAY=2026-06-15", NULL};
  harness_init();
  env = harness_env_up(server_env);
  harness_sql_exec(env->db,
                   "INSERT INTO business_units (key, name, created_at, updated_at) "
                   "VALUES ('rev-unit', 'Revenue unit', now(), now()); "
                   "INSERT INTO products (key, name, business_unit, family, tier, created_at, "
                   "updated_at) VALUES ('rev-a', 'A', 'rev-unit', 'rev', 1, now(), now()), "
                   "('rev-b', 'B', 'rev-unit', 'rev', 2, now(), now())");
  return harness_run(revenue_suite(), env);
}
