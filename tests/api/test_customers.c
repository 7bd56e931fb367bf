/* The customer resource over HTTP (contract of issue 2, SPEC sections 2 and 3).  One
 * database and one server for the whole program; tests keep out of each other's way
 * with names and tags of their own. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static harness_env *env;

/* Helpers ----------------------------------------------------------------------------- */

static harness_response *post(const char *path, const char *body)
{
  return harness_call(env, "write", "POST", path, NULL, body);
}

static harness_response *get(const char *path)
{
  return harness_call(env, "read", "GET", path, NULL, NULL);
}

static harness_response *patch(long long id, const char *const *headers, const char *body)
{
  return harness_call(env, "write", "PATCH", harness_fmt("/v1/customers/%lld", id), headers, body);
}

/* Creates a customer from body (asserting 201) and returns the response. */
static harness_response *create(const char *body)
{
  harness_response *r = post("/v1/customers", body);
  harness_assert_status(r, 201);
  ck_assert_msg(json_is_object(r->json), "create: body is not an object: %s", r->body);
  return r;
}

static long long create_id(const char *body)
{
  return harness_json_int(create(body), "id");
}

static harness_response *get_customer(long long id)
{
  return get(harness_fmt("/v1/customers/%lld", id));
}

static json_t *member(const harness_response *r, const char *name)
{
  ck_assert_msg(json_object_get(r->json, name) != NULL, "%s: member %s absent in %.400s", r->what,
                name, r->body);
  return json_object_get(r->json, name);
}

static void assert_member_null(const harness_response *r, const char *name)
{
  ck_assert_msg(json_is_null(member(r, name)), "%s: %s is not null in %.400s", r->what, name,
                r->body);
}

static void assert_member_str(const harness_response *r, const char *name, const char *want)
{
  const char *got = json_string_value(member(r, name));
  ck_assert_msg(got && strcmp(got, want) == 0, "%s: %s is %s, expected \"%s\"", r->what, name,
                got ? got : "(not a string)", want);
}

static void assert_member_json(const harness_response *r, const char *name, const char *want)
{
  json_t *w = harness_own_json(json_loads(want, JSON_DECODE_ANY, NULL));
  ck_assert_msg(w != NULL, "bad expected JSON %s", want);
  ck_assert_msg(json_equal(member(r, name), w), "%s: %s is %s, expected %s", r->what, name,
                harness_dump(json_incref(member(r, name))), want);
}

static long long data_version(const harness_response *r)
{
  const char *h = harness_header(r, "X-Ltvd-Data-Version");
  ck_assert_msg(h != NULL, "%s: no X-Ltvd-Data-Version", r->what);
  char *end;
  long long v = strtoll(h, &end, 10);
  ck_assert_msg(end != h && *end == '\0', "%s: X-Ltvd-Data-Version %s is not an integer", r->what,
                h);
  return v;
}

/* Every result of GET /v1/customers?query, following the cursor (limit per page). */
static json_t *list_all(const char *query, int limit, int *pages)
{
  json_t *all = harness_own_json(json_array());
  const char *after = NULL;
  int n = 0;
  do {
    harness_response *r =
        get(harness_fmt("/v1/customers?limit=%d%s%s%s%s", limit, *query ? "&" : "", query,
                        after ? "&after=" : "", after ? harness_urlenc(after) : ""));
    harness_assert_status(r, 200);
    json_t *results = json_object_get(r->json, "results");
    ck_assert_msg(json_is_array(results), "%s: no results array", r->what);
    ck_assert_msg(json_array_size(results) <= (size_t)limit, "%s: more than %d results", r->what,
                  limit);
    json_array_extend(all, results);
    json_t *paging = json_object_get(r->json, "paging");
    after = paging ? json_string_value(json_object_get(json_object_get(paging, "next"), "after"))
                   : NULL;
    ck_assert_msg(!paging || after, "%s: paging without next.after: %s", r->what, r->body);
    if (after)
      after = harness_fmt("%s", after);
    ck_assert_msg(++n < 10000, "paging does not end");
  } while (after);
  if (pages)
    *pages = n;
  return all;
}

static bool has_id(json_t *results, long long id)
{
  size_t i;
  json_t *c;
  json_array_foreach(results, i, c)
  {
    if (json_integer_value(json_object_get(c, "id")) == id)
      return true;
  }
  return false;
}

static void assert_all_have(json_t *results, const char *name, const char *value)
{
  size_t i;
  json_t *c;
  json_array_foreach(results, i, c)
  {
    const char *v = json_string_value(json_object_get(c, name));
    ck_assert_msg(v && strcmp(v, value) == 0, "result %zu has %s %s, expected %s", i, name,
                  v ? v : "null", value);
  }
}

/* Creates n customers named "<tag> i" with the given industry in one batch; ids out. */
static void batch_create(const char *tag, const char *industry, int n, long long *ids)
{
  json_t *inputs = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(inputs, json_pack("{s:s, s:s}", "name", harness_fmt("%s %d", tag, i),
                                            "industry", industry));
  harness_response *r =
      post("/v1/customers/batch", harness_dump(json_pack("{s:o}", "inputs", inputs)));
  harness_assert_status(r, 200);
  json_t *results = json_object_get(r->json, "results");
  ck_assert_int_eq(json_array_size(results), n);
  for (int i = 0; i < n; i++)
    ids[i] = json_integer_value(json_object_get(json_array_get(results, i), "id"));
}

static long long count_rows(const char *where)
{
  return harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM customers WHERE %s", where));
}

/* Create and read ---------------------------------------------------------------------- */

START_TEST(test_create_answers_201_with_location_and_etag)
{
  harness_response *r = create("{\"name\":\"Location Corp\"}");
  long long id = harness_json_int(r, "id");
  ck_assert_str_eq(harness_header(r, "Location"), harness_fmt("/v1/customers/%lld", id));
  ck_assert_str_eq(harness_header(r, "ETag"), "\"1\"");
  ck_assert_int_eq(harness_json_int(r, "version"), 1);
  ck_assert_ptr_nonnull(strstr(harness_header(r, "Content-Type"), "application/json"));
}
END_TEST

START_TEST(test_ids_are_assigned_in_creation_order)
{
  long long a = create_id("{\"name\":\"Order A\"}");
  long long b = create_id("{\"name\":\"Order B\"}");
  ck_assert_int_gt(b, a);
}
END_TEST

START_TEST(test_writes_carry_increasing_data_version)
{
  long long v1 = data_version(create("{\"name\":\"Version A\"}"));
  long long v2 = data_version(create("{\"name\":\"Version B\"}"));
  ck_assert_int_gt(v2, v1);
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT version FROM data_version"), v2);
}
END_TEST

START_TEST(test_get_returns_the_created_customer)
{
  harness_response *c = create("{\"name\":\"Get Corp\",\"country\":\"FR\"}");
  harness_response *r = get_customer(harness_json_int(c, "id"));
  harness_assert_status(r, 200);
  ck_assert_msg(json_equal(r->json, c->json), "GET %s differs from create %s", r->body, c->body);
  ck_assert_str_eq(harness_header(r, "ETag"), "\"1\"");
}
END_TEST

START_TEST(test_get_unknown_customer_is_404)
{
  harness_assert_problem(get("/v1/customers/987654321"), 404, NULL);
}
END_TEST

START_TEST(test_every_field_round_trips)
{
  const char *body =
      "{\"external_id\":\"crm-rt-1\",\"name\":\"Acme \\u00e9\\u4e2d\",\"industry\":\"software\","
      "\"employee_count\":120,\"annual_revenue\":9007199254740991,"
      "\"acquisition_channel\":\"partner\",\"country\":\"DE\","
      "\"properties\":{\"tier\":\"gold\",\"n\":[1,2.5,null,true],\"o\":{\"k\":\"v\"}}}";
  harness_response *c = create(body);
  harness_response *r = get_customer(harness_json_int(c, "id"));
  harness_assert_status(r, 200);
  assert_member_str(r, "external_id", "crm-rt-1");
  assert_member_str(r, "name", "Acme \xc3\xa9\xe4\xb8\xad");
  assert_member_str(r, "industry", "software");
  assert_member_json(r, "employee_count", "120");
  assert_member_str(r, "size_band", "50-249");
  assert_member_json(r, "annual_revenue", "9007199254740991");
  assert_member_str(r, "currency", "USD");
  assert_member_str(r, "acquisition_channel", "partner");
  assert_member_str(r, "country", "DE");
  assert_member_json(r, "properties",
                     "{\"tier\":\"gold\",\"n\":[1,2.5,null,true],\"o\":{\"k\":\"v\"}}");
  assert_member_null(r, "metrics");
  assert_member_json(r, "version", "1");
  harness_assert_timestamp("created_at", json_string_value(member(r, "created_at")));
  harness_assert_timestamp("updated_at", json_string_value(member(r, "updated_at")));
}
END_TEST

START_TEST(test_response_carries_every_field)
{
  static const char *fields[] = {"id",
                                 "external_id",
                                 "name",
                                 "industry",
                                 "employee_count",
                                 "size_band",
                                 "annual_revenue",
                                 "currency",
                                 "acquisition_channel",
                                 "country",
                                 "properties",
                                 "metrics",
                                 "created_at",
                                 "updated_at",
                                 "version"};
  harness_response *r = create("{\"name\":\"Minimal Corp\"}");
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    member(r, fields[i]);
  ck_assert_int_eq(json_object_size(r->json), sizeof fields / sizeof *fields);
  assert_member_null(r, "external_id");
  assert_member_null(r, "employee_count");
  assert_member_str(r, "size_band", "unknown");
  assert_member_json(r, "properties", "{}");
}
END_TEST

START_TEST(test_empty_optional_strings_are_stored_as_null)
{
  harness_response *c = create("{\"name\":\"Empty Corp\",\"industry\":\"\","
                               "\"acquisition_channel\":\"\",\"country\":\"\"}");
  long long id = harness_json_int(c, "id");
  harness_response *r = get_customer(id);
  assert_member_null(r, "industry");
  assert_member_null(r, "acquisition_channel");
  assert_member_null(r, "country");
  ck_assert_int_eq(count_rows(harness_fmt("id = %lld AND industry IS NULL AND "
                                          "acquisition_channel IS NULL AND country IS NULL",
                                          id)),
                   1);
}
END_TEST

START_TEST(test_name_length_counts_characters_not_bytes)
{
  char *name500 = harness_repeat('x', 1000), *name501 = harness_repeat('x', 1002);
  for (int i = 0; i < 1000; i += 2)
    memcpy(name500 + i, "\xc3\xa9", 2);
  for (int i = 0; i < 1002; i += 2)
    memcpy(name501 + i, "\xc3\xa9", 2);
  harness_response *ok = create(harness_dump(json_pack("{s:s}", "name", name500)));
  assert_member_str(get_customer(harness_json_int(ok, "id")), "name", name500);
  harness_assert_problem(post("/v1/customers", harness_dump(json_pack("{s:s}", "name", name501))),
                         422, "name");
}
END_TEST

START_TEST(test_size_band_derives_from_employee_count)
{
  static const struct {
    const char *count, *band;
  } cases[] = {{"null", "unknown"}, {"0", "1-9"},      {"9", "1-9"},           {"10", "10-49"},
               {"49", "10-49"},     {"50", "50-249"},  {"249", "50-249"},      {"250", "250-999"},
               {"999", "250-999"},  {"1000", "1000+"}, {"2147483647", "1000+"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    harness_response *r =
        create(harness_fmt("{\"name\":\"Band %zu\",\"employee_count\":%s}", i, cases[i].count));
    assert_member_str(r, "size_band", cases[i].band);
    assert_member_str(get_customer(harness_json_int(r, "id")), "size_band", cases[i].band);
  }
}
END_TEST

START_TEST(test_today_governs_created_at)
{
  const char *extra[] = {"LTVD_TODAY=2031-05-17", NULL};
  harness_server *srv = harness_server_start(env->db, extra);
  const char *auth[] = {harness_fmt("Authorization: Bearer %s", env->key_write), NULL};
  harness_response *r =
      harness_request(srv, "POST", "/v1/customers", auth, "{\"name\":\"Future Corp\"}", -1);
  harness_assert_status(r, 201);
  ck_assert_msg(strncmp(harness_json_str(r, "created_at"), "2031-05-17T", 11) == 0,
                "created_at %s is not on LTVD_TODAY", harness_json_str(r, "created_at"));
  ck_assert_msg(strncmp(harness_json_str(r, "updated_at"), "2031-05-17T", 11) == 0,
                "updated_at %s is not on LTVD_TODAY", harness_json_str(r, "updated_at"));
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_today_governs_updated_at_of_patch)
{
  long long id = create_id("{\"name\":\"Future Patch Corp\"}");
  const char *extra[] = {"LTVD_TODAY=2030-02-03", NULL};
  harness_server *srv = harness_server_start(env->db, extra);
  const char *hdr[] = {harness_fmt("Authorization: Bearer %s", env->key_write), NULL};
  harness_response *r = harness_request(srv, "PATCH", harness_fmt("/v1/customers/%lld", id), hdr,
                                        "{\"country\":\"NL\"}", -1);
  harness_assert_status(r, 200);
  ck_assert_msg(strncmp(harness_json_str(r, "updated_at"), "2030-02-03T", 11) == 0,
                "updated_at %s is not on LTVD_TODAY", harness_json_str(r, "updated_at"));
  harness_server_stop_ok(srv);
}
END_TEST

/* Lists ------------------------------------------------------------------------------- */

START_TEST(test_list_pages_without_gaps_or_duplicates)
{
  const char *tag = harness_tag("paging");
  long long ids[25];
  batch_create(tag, tag, 25, ids);
  int pages;
  json_t *all = list_all(harness_fmt("industry=%s", harness_urlenc(tag)), 7, &pages);
  ck_assert_int_eq(pages, 4);
  ck_assert_int_eq(json_array_size(all), 25);
  for (size_t i = 0; i < 25; i++)
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(all, i), "id")), ids[i]);
}
END_TEST

START_TEST(test_list_orders_every_customer_by_id)
{
  long long ids[3];
  batch_create(harness_tag("order"), "order", 3, ids);
  json_t *all = list_all("", 13, NULL);
  ck_assert_int_eq(json_array_size(all), count_rows("archived_at IS NULL"));
  for (size_t i = 1; i < json_array_size(all); i++)
    ck_assert_int_lt(json_integer_value(json_object_get(json_array_get(all, i - 1), "id")),
                     json_integer_value(json_object_get(json_array_get(all, i), "id")));
  ck_assert(has_id(all, ids[2]));
}
END_TEST

START_TEST(test_list_last_page_has_no_paging)
{
  const char *tag = harness_tag("lastpage");
  long long ids[2];
  batch_create(tag, tag, 2, ids);
  harness_response *r = get(harness_fmt("/v1/customers?industry=%s&limit=2", tag));
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 2);
  ck_assert_msg(json_object_get(r->json, "paging") == NULL, "paging on the last page: %s", r->body);
}
END_TEST

START_TEST(test_list_default_limit_is_100)
{
  const char *tag = harness_tag("deflimit");
  long long ids[101];
  batch_create(tag, tag, 101, ids);
  harness_response *r = get(harness_fmt("/v1/customers?industry=%s", tag));
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 100);
  ck_assert_ptr_nonnull(json_object_get(r->json, "paging"));
}
END_TEST

START_TEST(test_list_accepts_limit_1_and_1000)
{
  harness_response *r = get("/v1/customers?limit=1");
  harness_assert_status(r, 200);
  ck_assert_int_le(json_array_size(json_object_get(r->json, "results")), 1);
  harness_assert_status(get("/v1/customers?limit=1000"), 200);
}
END_TEST

START_TEST(test_list_filters_by_industry)
{
  const char *tag = harness_tag("ind");
  long long in = create_id(harness_fmt("{\"name\":\"Ind A\",\"industry\":\"%s\"}", tag));
  long long out = create_id(harness_fmt("{\"name\":\"Ind B\",\"industry\":\"%s-x\"}", tag));
  json_t *all = list_all(harness_fmt("industry=%s", tag), 1000, NULL);
  ck_assert(has_id(all, in));
  ck_assert(!has_id(all, out));
  assert_all_have(all, "industry", tag);
}
END_TEST

START_TEST(test_list_filters_by_size_band)
{
  long long small = create_id("{\"name\":\"Band filter 20\",\"employee_count\":20}");
  long long big = create_id("{\"name\":\"Band filter 2000\",\"employee_count\":2000}");
  long long none = create_id("{\"name\":\"Band filter none\"}");
  json_t *all = list_all("size_band=10-49", 1000, NULL);
  ck_assert(has_id(all, small));
  ck_assert(!has_id(all, big) && !has_id(all, none));
  assert_all_have(all, "size_band", "10-49");
  all = list_all("size_band=1000%2B", 1000, NULL);
  ck_assert(has_id(all, big) && !has_id(all, small));
  assert_all_have(all, "size_band", "1000+");
}
END_TEST

START_TEST(test_list_filters_by_size_band_unknown)
{
  long long none = create_id("{\"name\":\"Band unknown\"}");
  long long zero = create_id("{\"name\":\"Band zero\",\"employee_count\":0}");
  json_t *all = list_all("size_band=unknown", 1000, NULL);
  ck_assert(has_id(all, none));
  ck_assert(!has_id(all, zero));
  assert_all_have(all, "size_band", "unknown");
}
END_TEST

START_TEST(test_list_filters_by_acquisition_channel)
{
  const char *tag = harness_tag("chan");
  long long in =
      create_id(harness_fmt("{\"name\":\"Chan A\",\"acquisition_channel\":\"%s\"}", tag));
  long long out = create_id("{\"name\":\"Chan B\",\"acquisition_channel\":\"other\"}");
  json_t *all = list_all(harness_fmt("acquisition_channel=%s", tag), 1000, NULL);
  ck_assert(has_id(all, in) && !has_id(all, out));
  assert_all_have(all, "acquisition_channel", tag);
}
END_TEST

START_TEST(test_list_filters_by_country)
{
  long long in = create_id("{\"name\":\"Country A\",\"country\":\"Xandria\"}");
  long long out = create_id("{\"name\":\"Country B\",\"country\":\"xandria\"}");
  json_t *all = list_all("country=Xandria", 1000, NULL);
  ck_assert(has_id(all, in) && !has_id(all, out));
  assert_all_have(all, "country", "Xandria");
}
END_TEST

START_TEST(test_list_filters_combine)
{
  const char *tag = harness_tag("combo");
  long long both =
      create_id(harness_fmt("{\"name\":\"Combo A\",\"industry\":\"%s\",\"country\":\"CH\"}", tag));
  long long one =
      create_id(harness_fmt("{\"name\":\"Combo B\",\"industry\":\"%s\",\"country\":\"AT\"}", tag));
  json_t *all = list_all(harness_fmt("industry=%s&country=CH", tag), 1000, NULL);
  ck_assert_int_eq(json_array_size(all), 1);
  ck_assert(has_id(all, both) && !has_id(all, one));
}
END_TEST

START_TEST(test_list_q_is_a_case_insensitive_name_prefix)
{
  long long a = create_id("{\"name\":\"Quokkaprefix Industries\"}");
  long long b = create_id("{\"name\":\"QUOKKAPREFIX two\"}");
  long long inner = create_id("{\"name\":\"The Quokkaprefix\"}");
  json_t *all = list_all("q=qUoKkApReFiX", 1000, NULL);
  ck_assert_int_eq(json_array_size(all), 2);
  ck_assert(has_id(all, a) && has_id(all, b) && !has_id(all, inner));
}
END_TEST

START_TEST(test_list_q_takes_percent_and_underscore_literally)
{
  long long pct = create_id("{\"name\":\"Wombat%Lit one\"}");
  long long pct_like = create_id("{\"name\":\"WombatXLit two\"}");
  long long und = create_id("{\"name\":\"Wombat_Lit three\"}");
  json_t *all = list_all(harness_fmt("q=%s", harness_urlenc("wombat%")), 1000, NULL);
  ck_assert_int_eq(json_array_size(all), 1);
  ck_assert(has_id(all, pct));
  all = list_all(harness_fmt("q=%s", harness_urlenc("wombat_")), 1000, NULL);
  ck_assert_int_eq(json_array_size(all), 1);
  ck_assert(has_id(all, und) && !has_id(all, pct_like));
}
END_TEST

START_TEST(test_list_cursor_survives_archiving_the_last_seen_customer)
{
  const char *tag = harness_tag("cursor");
  long long ids[5];
  batch_create(tag, tag, 5, ids);
  harness_response *p1 = get(harness_fmt("/v1/customers?industry=%s&limit=2", tag));
  harness_assert_status(p1, 200);
  const char *after = json_string_value(
      json_object_get(json_object_get(json_object_get(p1->json, "paging"), "next"), "after"));
  ck_assert_ptr_nonnull(after);
  harness_assert_status(
      harness_call(env, "write", "DELETE", harness_fmt("/v1/customers/%lld", ids[1]), NULL, NULL),
      204);
  harness_response *p2 =
      get(harness_fmt("/v1/customers?industry=%s&limit=2&after=%s", tag, harness_urlenc(after)));
  harness_assert_status(p2, 200);
  json_t *results = json_object_get(p2->json, "results");
  ck_assert_int_eq(json_array_size(results), 2);
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(results, 0), "id")), ids[2]);
}
END_TEST

START_TEST(test_properties_of_60_kib_are_accepted)
{
  const char *body = harness_fmt("{\"name\":\"Big props\",\"properties\":{\"blob\":\"%s\"}}",
                                 harness_repeat('b', 60000));
  harness_response *r = create(body);
  ck_assert_int_eq(
      strlen(json_string_value(json_object_get(json_object_get(r->json, "properties"), "blob"))),
      60000);
}
END_TEST

/* PATCH ------------------------------------------------------------------------------- */

START_TEST(test_patch_changes_only_given_fields)
{
  long long id = create_id("{\"name\":\"Patch Corp\",\"industry\":\"retail\",\"country\":\"US\"}");
  harness_response *r = patch(id, NULL, "{\"country\":\"CA\",\"employee_count\":12}");
  harness_assert_status(r, 200);
  assert_member_str(r, "name", "Patch Corp");
  assert_member_str(r, "industry", "retail");
  assert_member_str(r, "country", "CA");
  assert_member_str(r, "size_band", "10-49");
  ck_assert(json_equal(get_customer(id)->json, r->json));
}
END_TEST

START_TEST(test_patch_null_clears_a_field)
{
  long long id =
      create_id("{\"name\":\"Clear Corp\",\"industry\":\"retail\",\"employee_count\":5}");
  harness_response *r = patch(id, NULL, "{\"industry\":null,\"employee_count\":null}");
  harness_assert_status(r, 200);
  assert_member_null(r, "industry");
  assert_member_null(r, "employee_count");
  assert_member_str(r, "size_band", "unknown");
}
END_TEST

START_TEST(test_patch_empty_string_clears_a_field)
{
  long long id = create_id("{\"name\":\"Blank Corp\",\"country\":\"US\"}");
  harness_response *r = patch(id, NULL, "{\"country\":\"\"}");
  harness_assert_status(r, 200);
  assert_member_null(r, "country");
}
END_TEST

START_TEST(test_patch_merges_properties)
{
  long long id = create_id("{\"name\":\"Merge Corp\",\"properties\":"
                           "{\"a\":1,\"b\":{\"c\":2,\"x\":0},\"keep\":true}}");
  harness_response *r =
      patch(id, NULL, "{\"properties\":{\"a\":null,\"b\":{\"d\":3,\"x\":null},\"e\":[1]}}");
  harness_assert_status(r, 200);
  assert_member_json(r, "properties", "{\"b\":{\"c\":2,\"d\":3},\"keep\":true,\"e\":[1]}");
}
END_TEST

START_TEST(test_patch_properties_null_gives_empty_object)
{
  long long id = create_id("{\"name\":\"Props Corp\",\"properties\":{\"a\":1}}");
  harness_response *r = patch(id, NULL, "{\"properties\":null}");
  harness_assert_status(r, 200);
  assert_member_json(r, "properties", "{}");
}
END_TEST

START_TEST(test_patch_increments_version_and_etag)
{
  long long id = create_id("{\"name\":\"Ver Corp\"}");
  harness_response *r1 = patch(id, NULL, "{\"country\":\"IT\"}");
  harness_assert_status(r1, 200);
  ck_assert_int_eq(harness_json_int(r1, "version"), 2);
  ck_assert_str_eq(harness_header(r1, "ETag"), "\"2\"");
  harness_response *r2 = patch(id, NULL, "{\"country\":\"ES\"}");
  ck_assert_int_eq(harness_json_int(r2, "version"), 3);
  ck_assert_int_gt(data_version(r2), data_version(r1));
  ck_assert_str_ge(harness_json_str(r2, "updated_at"), harness_json_str(r1, "updated_at"));
  ck_assert_str_ge(harness_json_str(r1, "updated_at"), harness_json_str(r1, "created_at"));
}
END_TEST

START_TEST(test_patch_name_null_is_422)
{
  long long id = create_id("{\"name\":\"Named Corp\"}");
  harness_assert_problem(patch(id, NULL, "{\"name\":null}"), 422, "name");
  assert_member_str(get_customer(id), "name", "Named Corp");
}
END_TEST

START_TEST(test_patch_with_stale_if_match_is_412)
{
  long long id = create_id("{\"name\":\"Stale Corp\"}");
  const char *h[] = {"If-Match: \"7\"", NULL};
  harness_assert_problem(patch(id, h, "{\"country\":\"PT\"}"), 412, NULL);
  harness_response *r = get_customer(id);
  assert_member_null(r, "country");
  ck_assert_int_eq(harness_json_int(r, "version"), 1);
}
END_TEST

START_TEST(test_patch_with_current_if_match_applies)
{
  long long id = create_id("{\"name\":\"Fresh Corp\"}");
  const char *h1[] = {"If-Match: \"1\"", NULL};
  harness_assert_status(patch(id, h1, "{\"country\":\"PT\"}"), 200);
  const char *star[] = {"If-Match: *", NULL};
  harness_response *r = patch(id, star, "{\"country\":\"BR\"}");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "version"), 3);
}
END_TEST

START_TEST(test_patch_version_in_body_acts_like_if_match)
{
  long long id = create_id("{\"name\":\"Body Version Corp\"}");
  harness_assert_problem(patch(id, NULL, "{\"version\":5,\"country\":\"PL\"}"), 412, NULL);
  harness_response *r = patch(id, NULL, "{\"version\":1,\"country\":\"PL\"}");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "version"), 2);
  assert_member_str(r, "country", "PL");
}
END_TEST

START_TEST(test_patch_missing_customer_is_404_even_with_if_match)
{
  const char *h[] = {"If-Match: \"1\"", NULL};
  harness_assert_problem(patch(987654321, h, "{\"country\":\"PL\"}"), 404, NULL);
}
END_TEST

START_TEST(test_concurrent_patches_with_one_if_match_one_wins)
{
  for (int round = 0; round < 5; round++) {
    long long id = create_id(harness_fmt("{\"name\":\"Race %d\"}", round));
    harness_response *a, *b;
    harness_race(env, "PATCH", harness_fmt("/v1/customers/%lld", id), "If-Match: \"1\"",
                 "{\"country\":\"AA\"}", "{\"country\":\"BB\"}", &a, &b);
    ck_assert_msg(harness_one_each(a, b, 200, 412),
                  "round %d: statuses %ld and %ld, expected one 200 and one 412 (%s / %s)", round,
                  a->status, b->status, a->body, b->body);
    harness_response *winner = a->status == 200 ? a : b;
    harness_response *now = get_customer(id);
    ck_assert_int_eq(harness_json_int(now, "version"), 2);
    ck_assert_pstr_eq(harness_json_str(now, "country"), harness_json_str(winner, "country"));
  }
}
END_TEST

START_TEST(test_concurrent_creates_with_one_external_id_one_wins)
{
  for (int round = 0; round < 5; round++) {
    const char *body = harness_fmt("{\"name\":\"Twin\",\"external_id\":\"twin-%d\"}", round);
    harness_response *a, *b;
    harness_race(env, "POST", "/v1/customers", NULL, body, body, &a, &b);
    ck_assert_msg(harness_one_each(a, b, 201, 409), "round %d: statuses %ld and %ld (%s / %s)",
                  round, a->status, b->status, a->body, b->body);
    harness_assert_problem(a->status == 409 ? a : b, 409, NULL);
    ck_assert_int_eq(count_rows(harness_fmt("external_id = 'twin-%d'", round)), 1);
  }
}
END_TEST

START_TEST(test_concurrent_puts_of_one_new_external_id_create_once)
{
  for (int round = 0; round < 5; round++) {
    const char *path = harness_fmt("/v1/customers/external/twin-put-%d", round);
    harness_response *a, *b;
    harness_race(env, "PUT", path, NULL, "{\"name\":\"Put A\"}", "{\"name\":\"Put B\"}", &a, &b);
    ck_assert_msg(harness_one_each(a, b, 201, 200), "round %d: statuses %ld and %ld (%s / %s)",
                  round, a->status, b->status, a->body, b->body);
    ck_assert_int_eq(harness_json_int(a, "id"), harness_json_int(b, "id"));
    ck_assert_int_eq(count_rows(harness_fmt("external_id = 'twin-put-%d'", round)), 1);
  }
}
END_TEST

START_TEST(test_concurrent_idempotent_posts_create_one_row)
{
  for (int round = 0; round < 5; round++) {
    const char *header = harness_fmt("Idempotency-Key: idem-race-%d", round);
    const char *body = harness_fmt("{\"name\":\"Idem race\",\"industry\":\"idem-race-%d\"}", round);
    harness_response *a, *b;
    harness_race(env, "POST", "/v1/customers", header, body, body, &a, &b);
    ck_assert_msg(
        (a->status == 201 || a->status == 409) && (b->status == 201 || b->status == 409) &&
            (a->status == 201 || b->status == 201),
        "round %d: statuses %ld and %ld (%s / %s)", round, a->status, b->status, a->body, b->body);
    ck_assert_int_eq(count_rows(harness_fmt("industry = 'idem-race-%d'", round)), 1);
  }
}
END_TEST

/* DELETE ------------------------------------------------------------------------------ */

START_TEST(test_delete_archives_the_customer)
{
  long long id = create_id("{\"name\":\"Archive Corp\",\"industry\":\"archive-test\"}");
  harness_response *r =
      harness_call(env, "write", "DELETE", harness_fmt("/v1/customers/%lld", id), NULL, NULL);
  harness_assert_status(r, 204);
  ck_assert_int_eq(r->body_len, 0);
  data_version(r);
  harness_assert_problem(get_customer(id), 404, NULL);
  ck_assert(!has_id(list_all("industry=archive-test", 1000, NULL), id));
  ck_assert_int_eq(count_rows(harness_fmt("id = %lld AND archived_at IS NOT NULL", id)), 1);
}
END_TEST

START_TEST(test_archived_customer_cannot_be_patched_or_deleted)
{
  long long id = create_id("{\"name\":\"Gone Corp\"}");
  const char *path = harness_fmt("/v1/customers/%lld", id);
  harness_assert_status(harness_call(env, "write", "DELETE", path, NULL, NULL), 204);
  harness_assert_problem(patch(id, NULL, "{\"country\":\"US\"}"), 404, NULL);
  harness_assert_problem(harness_call(env, "write", "DELETE", path, NULL, NULL), 404, NULL);
}
END_TEST

START_TEST(test_delete_with_stale_if_match_is_412)
{
  long long id = create_id("{\"name\":\"Keep Corp\"}");
  const char *h[] = {"If-Match: \"3\"", NULL};
  harness_assert_problem(
      harness_call(env, "write", "DELETE", harness_fmt("/v1/customers/%lld", id), h, NULL), 412,
      NULL);
  harness_assert_status(get_customer(id), 200);
}
END_TEST

START_TEST(test_archived_external_id_can_be_taken_again)
{
  long long old = create_id("{\"name\":\"Old Corp\",\"external_id\":\"reuse-1\"}");
  harness_assert_status(
      harness_call(env, "write", "DELETE", harness_fmt("/v1/customers/%lld", old), NULL, NULL),
      204);
  long long fresh = create_id("{\"name\":\"New Corp\",\"external_id\":\"reuse-1\"}");
  ck_assert_int_ne(old, fresh);
  harness_response *r = get("/v1/customers/external/reuse-1");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "id"), fresh);
}
END_TEST

/* External id ------------------------------------------------------------------------- */

START_TEST(test_get_by_external_id)
{
  long long id = create_id("{\"name\":\"Ext Corp\",\"external_id\":\"ext-get-1\"}");
  harness_response *r = get("/v1/customers/external/ext-get-1");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "id"), id);
  ck_assert_str_eq(harness_header(r, "ETag"), "\"1\"");
}
END_TEST

START_TEST(test_get_by_unknown_external_id_is_404)
{
  harness_assert_problem(get("/v1/customers/external/no-such-ext"), 404, NULL);
}
END_TEST

START_TEST(test_external_id_is_percent_decoded_in_the_path)
{
  long long id = create_id("{\"name\":\"Spaced Corp\",\"external_id\":\"crm 7\"}");
  harness_response *r = get("/v1/customers/external/crm%207");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "id"), id);
}
END_TEST

START_TEST(test_put_external_creates_then_replaces)
{
  const char *path = "/v1/customers/external/put-1";
  harness_response *c = harness_call(env, "write", "PUT", path, NULL,
                                     "{\"name\":\"Put Corp\",\"industry\":\"x\","
                                     "\"employee_count\":3,\"properties\":{\"a\":1}}");
  harness_assert_status(c, 201);
  long long id = harness_json_int(c, "id");
  ck_assert_str_eq(harness_header(c, "Location"), harness_fmt("/v1/customers/%lld", id));
  ck_assert_str_eq(harness_header(c, "ETag"), "\"1\"");
  assert_member_str(c, "external_id", "put-1");
  harness_response *r = harness_call(env, "write", "PUT", path, NULL, "{\"name\":\"Put Corp 2\"}");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "id"), id);
  ck_assert_int_eq(harness_json_int(r, "version"), 2);
  ck_assert_str_eq(harness_header(r, "ETag"), "\"2\"");
  assert_member_null(r, "industry");
  assert_member_null(r, "employee_count");
  assert_member_json(r, "properties", "{}");
  assert_member_str(r, "external_id", "put-1");
  data_version(r);
}
END_TEST

START_TEST(test_put_external_accepts_its_own_external_id_in_body)
{
  harness_response *r = harness_call(env, "write", "PUT", "/v1/customers/external/put-2", NULL,
                                     "{\"name\":\"Put Two\",\"external_id\":\"put-2\"}");
  harness_assert_status(r, 201);
}
END_TEST

START_TEST(test_put_external_with_other_external_id_is_422)
{
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(harness_call(env, "write", "PUT", "/v1/customers/external/put-3", NULL,
                                      "{\"name\":\"Put Three\",\"external_id\":\"other\"}"),
                         422, "external_id");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_put_external_without_name_is_422)
{
  harness_assert_problem(harness_call(env, "write", "PUT", "/v1/customers/external/put-4", NULL,
                                      "{\"industry\":\"x\"}"),
                         422, "name");
}
END_TEST

START_TEST(test_put_external_with_stale_if_match_is_412)
{
  const char *path = "/v1/customers/external/put-5";
  harness_assert_status(harness_call(env, "write", "PUT", path, NULL, "{\"name\":\"P5\"}"), 201);
  const char *h[] = {"If-Match: \"9\"", NULL};
  harness_assert_problem(harness_call(env, "write", "PUT", path, h, "{\"name\":\"P5b\"}"), 412,
                         NULL);
  assert_member_str(get(path), "name", "P5");
}
END_TEST

/* A precondition on a representation that does not exist fails (RFC 9110, 13.1.1): the
 * caller expected to replace a customer, so nothing is created. */
START_TEST(test_put_external_if_match_on_missing_is_412)
{
  const char *h[] = {"If-Match: \"1\"", NULL};
  harness_assert_problem(harness_call(env, "write", "PUT", "/v1/customers/external/put-missing", h,
                                      "{\"name\":\"Nobody\"}"),
                         412, NULL);
  ck_assert_int_eq(count_rows("external_id = 'put-missing'"), 0);
}
END_TEST

/* Batch ------------------------------------------------------------------------------- */

START_TEST(test_batch_returns_results_in_input_order)
{
  harness_response *r =
      post("/v1/customers/batch", "{\"inputs\":[{\"name\":\"Batch A\"},{\"name\":\"Batch B\","
                                  "\"employee_count\":10},{\"name\":\"Batch C\"}]}");
  harness_assert_status(r, 200);
  json_t *results = json_object_get(r->json, "results");
  ck_assert_int_eq(json_array_size(results), 3);
  const char *names[] = {"Batch A", "Batch B", "Batch C"};
  for (size_t i = 0; i < 3; i++) {
    json_t *c = json_array_get(results, i);
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")), names[i]);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "version")), 1);
  }
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(results, 1), "size_band")),
                   "10-49");
  data_version(r);
}
END_TEST

START_TEST(test_batch_upserts_by_external_id)
{
  long long id = create_id("{\"name\":\"Up Old\",\"external_id\":\"bup-1\",\"country\":\"US\"}");
  harness_response *r =
      post("/v1/customers/batch", "{\"inputs\":[{\"name\":\"Up New\"},"
                                  "{\"external_id\":\"bup-1\",\"name\":\"Up Replaced\"},"
                                  "{\"external_id\":\"bup-2\",\"name\":\"Up Created\"}]}");
  harness_assert_status(r, 200);
  json_t *results = json_object_get(r->json, "results");
  json_t *replaced = json_array_get(results, 1);
  ck_assert_int_eq(json_integer_value(json_object_get(replaced, "id")), id);
  ck_assert_int_eq(json_integer_value(json_object_get(replaced, "version")), 2);
  ck_assert(json_is_null(json_object_get(replaced, "country")));
  ck_assert_int_eq(count_rows("external_id = 'bup-1' AND archived_at IS NULL"), 1);
  ck_assert_str_eq(harness_json_str(get("/v1/customers/external/bup-2"), "name"), "Up Created");
}
END_TEST

START_TEST(test_batch_with_an_invalid_input_writes_nothing)
{
  const char *before = harness_db_digest(env->db);
  harness_response *r =
      post("/v1/customers/batch", "{\"inputs\":[{\"name\":\"Good 1\"},{\"name\":5},"
                                  "{\"name\":\"Good 2\",\"external_id\":\"bad-batch-1\"},"
                                  "{\"name\":\"Bad\",\"employee_count\":-1}]}");
  harness_assert_problem_index(r, 422, "name", 1);
  harness_assert_problem_index(r, 422, "employee_count", 3);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_batch_names_every_failing_index)
{
  json_t *inputs = json_array();
  for (int i = 0; i < 10; i++)
    json_array_append_new(inputs, i % 3 == 0 ? json_pack("{s:s}", "industry", "x")
                                             : json_pack("{s:s}", "name", "fine"));
  harness_response *r =
      post("/v1/customers/batch", harness_dump(json_pack("{s:o}", "inputs", inputs)));
  for (long i = 0; i < 10; i += 3)
    harness_assert_problem_index(r, 422, "name", i);
  ck_assert(!harness_problem_names(r, "name", 1));
}
END_TEST

START_TEST(test_batch_of_1000_inputs_is_accepted)
{
  long long *ids = calloc(1000, sizeof *ids);
  harness_own(ids, free);
  batch_create(harness_tag("b1000"), "b1000", 1000, ids);
  for (int i = 1; i < 1000; i++)
    ck_assert_int_gt(ids[i], ids[i - 1]);
}
END_TEST

START_TEST(test_batch_of_1001_inputs_is_422)
{
  const char *before = harness_db_digest(env->db);
  json_t *inputs = json_array();
  for (int i = 0; i < 1001; i++)
    json_array_append_new(inputs, json_pack("{s:s}", "name", "Too many"));
  harness_assert_problem(
      post("/v1/customers/batch", harness_dump(json_pack("{s:o}", "inputs", inputs))), 422,
      "inputs");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_batch_with_duplicate_external_id_is_422)
{
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(post("/v1/customers/batch",
                              "{\"inputs\":[{\"name\":\"D1\",\"external_id\":\"dup-b\"},"
                              "{\"name\":\"D2\",\"external_id\":\"dup-b\"}]}"),
                         422, "external_id");
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

/* Conflicts --------------------------------------------------------------------------- */

START_TEST(test_duplicate_external_id_is_409)
{
  create("{\"name\":\"First\",\"external_id\":\"dup-1\"}");
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(post("/v1/customers", "{\"name\":\"Second\",\"external_id\":\"dup-1\"}"),
                         409, NULL);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_patch_to_a_taken_external_id_is_409)
{
  create("{\"name\":\"Holder\",\"external_id\":\"dup-2\"}");
  long long id = create_id("{\"name\":\"Taker\",\"external_id\":\"dup-3\"}");
  harness_assert_problem(patch(id, NULL, "{\"external_id\":\"dup-2\"}"), 409, NULL);
  assert_member_str(get_customer(id), "external_id", "dup-3");
}
END_TEST

/* Idempotency ------------------------------------------------------------------------- */

START_TEST(test_idempotency_key_replays_the_first_response)
{
  const char *h[] = {"Idempotency-Key: idem-replay-1", NULL};
  const char *body = "{\"name\":\"Idem Corp\",\"industry\":\"idem-replay\"}";
  harness_response *a = harness_call(env, "write", "POST", "/v1/customers", h, body);
  harness_assert_status(a, 201);
  harness_response *b = harness_call(env, "write", "POST", "/v1/customers", h, body);
  harness_assert_status(b, 201);
  ck_assert_int_eq(a->body_len, b->body_len);
  ck_assert_msg(memcmp(a->body, b->body, a->body_len) == 0, "replayed body differs: %s vs %s",
                a->body, b->body);
  ck_assert_str_eq(harness_header(b, "Location"), harness_header(a, "Location"));
  ck_assert_str_eq(harness_header(b, "ETag"), harness_header(a, "ETag"));
  ck_assert_int_eq(data_version(b), data_version(a));
  ck_assert_pstr_eq(harness_header(b, "Idempotent-Replayed"), "true");
  ck_assert_ptr_null(harness_header(a, "Idempotent-Replayed"));
  ck_assert_int_eq(count_rows("industry = 'idem-replay'"), 1);
}
END_TEST

START_TEST(test_idempotency_key_with_another_body_is_422)
{
  const char *h[] = {"Idempotency-Key: idem-misuse-1", NULL};
  harness_assert_status(
      harness_call(env, "write", "POST", "/v1/customers", h, "{\"name\":\"Misuse A\"}"), 201);
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(
      harness_call(env, "write", "POST", "/v1/customers", h, "{\"name\":\"Misuse B\"}"), 422, NULL);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_idempotency_key_is_scoped_to_the_api_key)
{
  const char *h[] = {"Idempotency-Key: idem-scope-1", NULL};
  const char *body = "{\"name\":\"Scoped\",\"industry\":\"idem-scope\"}";
  harness_assert_status(harness_call(env, "write", "POST", "/v1/customers", h, body), 201);
  harness_response *r = harness_call(env, "admin", "POST", "/v1/customers", h, body);
  harness_assert_status(r, 201);
  ck_assert_ptr_null(harness_header(r, "Idempotent-Replayed"));
  ck_assert_int_eq(count_rows("industry = 'idem-scope'"), 2);
}
END_TEST

START_TEST(test_idempotency_key_is_scoped_to_the_path)
{
  const char *h[] = {"Idempotency-Key: idem-path-1", NULL};
  harness_assert_status(harness_call(env, "write", "POST", "/v1/customers", h, "{\"inputs\":[]}"),
                        422);
  harness_response *r = harness_call(env, "write", "POST", "/v1/customers/batch", h,
                                     "{\"inputs\":[{\"name\":\"Path scoped\"}]}");
  harness_assert_status(r, 200);
  ck_assert_ptr_null(harness_header(r, "Idempotent-Replayed"));
}
END_TEST

START_TEST(test_idempotency_key_replays_a_4xx)
{
  const char *h[] = {"Idempotency-Key: idem-4xx-1", NULL};
  const char *body = "{\"name\":\"\"}";
  harness_response *a = harness_call(env, "write", "POST", "/v1/customers", h, body);
  harness_assert_problem(a, 422, "name");
  harness_response *b = harness_call(env, "write", "POST", "/v1/customers", h, body);
  harness_assert_problem(b, 422, "name");
  ck_assert_pstr_eq(harness_header(b, "Idempotent-Replayed"), "true");
}
END_TEST

START_TEST(test_idempotent_batch_is_replayed)
{
  const char *h[] = {"Idempotency-Key: idem-batch-1", NULL};
  const char *body = "{\"inputs\":[{\"name\":\"IB\",\"industry\":\"idem-batch\"}]}";
  harness_response *a = harness_call(env, "write", "POST", "/v1/customers/batch", h, body);
  harness_assert_status(a, 200);
  harness_response *b = harness_call(env, "write", "POST", "/v1/customers/batch", h, body);
  harness_assert_status(b, 200);
  ck_assert_pstr_eq(harness_header(b, "Idempotent-Replayed"), "true");
  ck_assert_int_eq(count_rows("industry = 'idem-batch'"), 1);
}
END_TEST

/* Suite ------------------------------------------------------------------------------- */

static Suite *customers_suite(void)
{
  Suite *s = suite_create("customers");
  TCase *tc = harness_tcase("create_read");
  tcase_add_test(tc, test_create_answers_201_with_location_and_etag);
  tcase_add_test(tc, test_ids_are_assigned_in_creation_order);
  tcase_add_test(tc, test_writes_carry_increasing_data_version);
  tcase_add_test(tc, test_get_returns_the_created_customer);
  tcase_add_test(tc, test_get_unknown_customer_is_404);
  tcase_add_test(tc, test_every_field_round_trips);
  tcase_add_test(tc, test_response_carries_every_field);
  tcase_add_test(tc, test_empty_optional_strings_are_stored_as_null);
  tcase_add_test(tc, test_name_length_counts_characters_not_bytes);
  tcase_add_test(tc, test_size_band_derives_from_employee_count);
  tcase_add_test(tc, test_properties_of_60_kib_are_accepted);
  tcase_add_test(tc, test_today_governs_created_at);
  tcase_add_test(tc, test_today_governs_updated_at_of_patch);
  suite_add_tcase(s, tc);

  tc = harness_tcase("list");
  tcase_add_test(tc, test_list_pages_without_gaps_or_duplicates);
  tcase_add_test(tc, test_list_orders_every_customer_by_id);
  tcase_add_test(tc, test_list_last_page_has_no_paging);
  tcase_add_test(tc, test_list_default_limit_is_100);
  tcase_add_test(tc, test_list_accepts_limit_1_and_1000);
  tcase_add_test(tc, test_list_filters_by_industry);
  tcase_add_test(tc, test_list_filters_by_size_band);
  tcase_add_test(tc, test_list_filters_by_size_band_unknown);
  tcase_add_test(tc, test_list_filters_by_acquisition_channel);
  tcase_add_test(tc, test_list_filters_by_country);
  tcase_add_test(tc, test_list_filters_combine);
  tcase_add_test(tc, test_list_q_is_a_case_insensitive_name_prefix);
  tcase_add_test(tc, test_list_q_takes_percent_and_underscore_literally);
  tcase_add_test(tc, test_list_cursor_survives_archiving_the_last_seen_customer);
  suite_add_tcase(s, tc);

  tc = harness_tcase("patch");
  tcase_add_test(tc, test_patch_changes_only_given_fields);
  tcase_add_test(tc, test_patch_null_clears_a_field);
  tcase_add_test(tc, test_patch_empty_string_clears_a_field);
  tcase_add_test(tc, test_patch_merges_properties);
  tcase_add_test(tc, test_patch_properties_null_gives_empty_object);
  tcase_add_test(tc, test_patch_increments_version_and_etag);
  tcase_add_test(tc, test_patch_name_null_is_422);
  tcase_add_test(tc, test_patch_with_stale_if_match_is_412);
  tcase_add_test(tc, test_patch_with_current_if_match_applies);
  tcase_add_test(tc, test_patch_version_in_body_acts_like_if_match);
  tcase_add_test(tc, test_patch_missing_customer_is_404_even_with_if_match);
  tcase_add_test(tc, test_concurrent_patches_with_one_if_match_one_wins);
  tcase_add_test(tc, test_concurrent_creates_with_one_external_id_one_wins);
  tcase_add_test(tc, test_concurrent_puts_of_one_new_external_id_create_once);
  tcase_add_test(tc, test_concurrent_idempotent_posts_create_one_row);
  suite_add_tcase(s, tc);

  tc = harness_tcase("delete");
  tcase_add_test(tc, test_delete_archives_the_customer);
  tcase_add_test(tc, test_archived_customer_cannot_be_patched_or_deleted);
  tcase_add_test(tc, test_delete_with_stale_if_match_is_412);
  tcase_add_test(tc, test_archived_external_id_can_be_taken_again);
  suite_add_tcase(s, tc);

  tc = harness_tcase("external");
  tcase_add_test(tc, test_get_by_external_id);
  tcase_add_test(tc, test_get_by_unknown_external_id_is_404);
  tcase_add_test(tc, test_external_id_is_percent_decoded_in_the_path);
  tcase_add_test(tc, test_put_external_creates_then_replaces);
  tcase_add_test(tc, test_put_external_accepts_its_own_external_id_in_body);
  tcase_add_test(tc, test_put_external_with_other_external_id_is_422);
  tcase_add_test(tc, test_put_external_without_name_is_422);
  tcase_add_test(tc, test_put_external_with_stale_if_match_is_412);
  tcase_add_test(tc, test_put_external_if_match_on_missing_is_412);
  suite_add_tcase(s, tc);

  tc = harness_tcase("batch");
  tcase_add_test(tc, test_batch_returns_results_in_input_order);
  tcase_add_test(tc, test_batch_upserts_by_external_id);
  tcase_add_test(tc, test_batch_with_an_invalid_input_writes_nothing);
  tcase_add_test(tc, test_batch_names_every_failing_index);
  tcase_add_test(tc, test_batch_of_1000_inputs_is_accepted);
  tcase_add_test(tc, test_batch_of_1001_inputs_is_422);
  tcase_add_test(tc, test_batch_with_duplicate_external_id_is_422);
  suite_add_tcase(s, tc);

  tc = harness_tcase("conflict_idempotency");
  tcase_add_test(tc, test_duplicate_external_id_is_409);
  tcase_add_test(tc, test_patch_to_a_taken_external_id_is_409);
  tcase_add_test(tc, test_idempotency_key_replays_the_first_response);
  tcase_add_test(tc, test_idempotency_key_with_another_body_is_422);
  tcase_add_test(tc, test_idempotency_key_is_scoped_to_the_api_key);
  tcase_add_test(tc, test_idempotency_key_is_scoped_to_the_path);
  tcase_add_test(tc, test_idempotency_key_replays_a_4xx);
  tcase_add_test(tc, test_idempotent_batch_is_replayed);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  return harness_run(customers_suite(), env);
}
