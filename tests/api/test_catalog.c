/* Business units, products and pipelines over HTTP (contract of issue 3, SPEC section 3).
 * One database and one server for the whole program; tests keep out of each other's way
 * with keys of their own. Deals, MRR lines and signals that must refer to a product or a
 * stage are inserted with SQL (their endpoints are another module's). */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static harness_response *patch(const char *path, const char *const *headers, const char *body)
{
  return harness_call(env, "write", "PATCH", path, headers, body);
}

static harness_response *del(const char *path)
{
  return harness_call(env, "write", "DELETE", path, NULL, NULL);
}

static json_t *member(const harness_response *r, const char *name)
{
  ck_assert_msg(json_object_get(r->json, name) != NULL, "%s: member %s absent in %.400s", r->what,
                name, r->body);
  return json_object_get(r->json, name);
}

static void assert_member_json(const harness_response *r, const char *name, const char *want)
{
  json_t *w = harness_own_json(json_loads(want, JSON_DECODE_ANY, NULL));
  ck_assert_msg(w != NULL, "bad expected JSON %s", want);
  ck_assert_msg(json_equal(member(r, name), w), "%s: %s is %s, expected %s", r->what, name,
                harness_dump(json_incref(member(r, name))), want);
}

static double member_number(const harness_response *r, const char *name)
{
  json_t *v = member(r, name);
  ck_assert_msg(json_is_number(v), "%s: %s is not a number", r->what, name);
  return json_number_value(v);
}

static void assert_fields(const harness_response *r, const char *const *fields)
{
  size_t n = 0;
  for (; fields[n]; n++)
    member(r, fields[n]);
  ck_assert_msg(json_object_size(r->json) == n, "%s: %zu members, expected %zu: %s", r->what,
                json_object_size(r->json), n, r->body);
}

static void create_unit(const char *key)
{
  harness_assert_status(
      post("/v1/business-units", harness_fmt("{\"key\":\"%s\",\"name\":\"Unit %s\"}", key, key)),
      201);
}

static void create_product(const char *key, const char *unit, const char *family, int tier)
{
  harness_response *r =
      post("/v1/products", harness_fmt("{\"key\":\"%s\",\"name\":\"Product %s\",\"business_unit\":"
                                       "\"%s\",\"family\":\"%s\",\"tier\":%d}",
                                       key, key, unit, family, tier));
  harness_assert_status(r, 201);
}

/* A three-stage pipeline: open "a", won "w", lost "l". */
static void create_pipeline(const char *key)
{
  harness_assert_status(
      post("/v1/pipelines",
           harness_fmt("{\"key\":\"%s\",\"name\":\"P\",\"kind\":\"upsell\",\"stages\":["
                       "{\"key\":\"a\",\"probability\":0.4,\"state\":\"open\"},"
                       "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},"
                       "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}",
                       key)),
      201);
}

static long long sql_customer(void)
{
  return harness_sql_int(env->db, "INSERT INTO customers (name, created_at, updated_at) "
                                  "VALUES ('sql customer', now(), now()) RETURNING id");
}

static void sql_deal(const char *pipeline, const char *stage, const char *product)
{
  harness_sql_exec(
      env->db, harness_fmt("INSERT INTO deals (customer_id, pipeline, stage, product, "
                           "created_at, updated_at) VALUES (%lld, '%s', '%s', %s, now(), now())",
                           sql_customer(), pipeline, stage,
                           product ? harness_fmt("'%s'", product) : "NULL"));
}

/* Every result of GET path (which has no query), following the cursor. */
static json_t *list_all(const char *path, const char *query, int limit, int *pages)
{
  json_t *all = harness_own_json(json_array());
  const char *after = NULL;
  int n = 0;
  do {
    harness_response *r =
        get(harness_fmt("%s?limit=%d%s%s%s", path, limit, query, after ? "&after=" : "",
                        after ? harness_urlenc(after) : ""));
    harness_assert_status(r, 200);
    json_t *results = json_object_get(r->json, "results");
    ck_assert_msg(json_is_array(results), "%s: no results array", r->what);
    ck_assert_int_le(json_array_size(results), limit);
    json_array_extend(all, results);
    json_t *paging = json_object_get(r->json, "paging");
    after = paging ? json_string_value(json_object_get(json_object_get(paging, "next"), "after"))
                   : NULL;
    if (after)
      after = harness_fmt("%s", after);
    ck_assert_msg(++n < 1000, "paging does not end");
  } while (after);
  if (pages)
    *pages = n;
  return all;
}

static void assert_key_order(json_t *all)
{
  for (size_t i = 1; i < json_array_size(all); i++) {
    const char *a = json_string_value(json_object_get(json_array_get(all, i - 1), "key"));
    const char *b = json_string_value(json_object_get(json_array_get(all, i), "key"));
    ck_assert_msg(strcmp(a, b) < 0, "keys out of byte order: %s before %s", a, b);
  }
}

static bool problem_message_has(const harness_response *r, const char *field, const char *text)
{
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r->json, "errors"), i, e)
  {
    const char *f = json_string_value(json_object_get(e, "field"));
    const char *m = json_string_value(json_object_get(e, "message"));
    if (f && m && strcmp(f, field) == 0 && strstr(m, text))
      return true;
  }
  return false;
}

/* Business units ------------------------------------------------------------------------ */

START_TEST(test_unit_create_get_and_fields)
{
  const char *key = harness_tag("unit");
  harness_response *c =
      post("/v1/business-units", harness_fmt("{\"key\":\"%s\",\"name\":\"Software\"}", key));
  harness_assert_status(c, 201);
  ck_assert_str_eq(harness_header(c, "Location"), harness_fmt("/v1/business-units/%s", key));
  ck_assert_str_eq(harness_header(c, "ETag"), "\"1\"");
  static const char *const fields[] = {"key", "name", "version", "created_at", "updated_at", NULL};
  assert_fields(c, fields);
  harness_assert_timestamp("created_at", harness_json_str(c, "created_at"));
  harness_response *r = get(harness_fmt("/v1/business-units/%s", key));
  harness_assert_status(r, 200);
  ck_assert_msg(json_equal(r->json, c->json), "GET %s differs from create %s", r->body, c->body);
  ck_assert_str_eq(harness_header(r, "ETag"), "\"1\"");
}
END_TEST

START_TEST(test_unit_duplicate_key_is_409)
{
  const char *key = harness_tag("dup");
  create_unit(key);
  harness_assert_problem(
      post("/v1/business-units", harness_fmt("{\"key\":\"%s\",\"name\":\"again\"}", key)), 409,
      "key");
}
END_TEST

START_TEST(test_unit_malformed_keys)
{
  harness_assert_problem(post("/v1/business-units", "{\"key\":\"-x\",\"name\":\"n\"}"), 422, "key");
  harness_assert_problem(post("/v1/business-units", "{\"key\":\"a b\",\"name\":\"n\"}"), 422,
                         "key");
  harness_assert_problem(post("/v1/business-units", harness_fmt("{\"key\":\"%s\",\"name\":\"n\"}",
                                                                harness_repeat('k', 101))),
                         422, "key");
  create_unit(harness_repeat('k', 100));
  harness_assert_problem(get("/v1/business-units/a%20b"), 404, NULL);
  harness_assert_problem(get("/v1/business-units/_x"), 404, NULL);
}
END_TEST

START_TEST(test_unit_patch_name_version_and_preconditions)
{
  const char *key = harness_tag("patch");
  const char *path = harness_fmt("/v1/business-units/%s", key);
  create_unit(key);
  harness_response *r = patch(path, NULL, "{\"name\":\"Renamed\"}");
  harness_assert_status(r, 200);
  ck_assert_str_eq(harness_json_str(r, "name"), "Renamed");
  ck_assert_int_eq(harness_json_int(r, "version"), 2);
  ck_assert_str_eq(harness_header(r, "ETag"), "\"2\"");
  ck_assert_ptr_nonnull(harness_header(r, "X-Ltvd-Data-Version"));
  const char *stale[] = {"If-Match: \"1\"", NULL}, *fresh[] = {"If-Match: \"2\"", NULL};
  harness_assert_problem(patch(path, stale, "{\"name\":\"x\"}"), 412, NULL);
  harness_assert_problem(patch(path, NULL, "{\"name\":\"x\",\"version\":1}"), 412, NULL);
  harness_assert_problem(patch(path, NULL, "{\"key\":\"other\"}"), 422, "key");
  harness_assert_problem(patch(path, NULL, "{\"name\":null}"), 422, "name");
  r = patch(path, fresh, harness_fmt("{\"key\":\"%s\",\"version\":2}", key));
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "version"), 3);
  ck_assert_str_eq(harness_json_str(r, "name"), "Renamed");
}
END_TEST

START_TEST(test_unit_delete_and_in_use)
{
  const char *key = harness_tag("del"), *prod = harness_tag("delprod");
  create_unit(key);
  create_product(prod, key, "fam", 1);
  harness_response *r = del(harness_fmt("/v1/business-units/%s", key));
  harness_assert_problem(r, 409, "key");
  ck_assert_msg(problem_message_has(r, "key", harness_fmt("used by product %s", prod)), "%s",
                r->body);
  harness_assert_status(del(harness_fmt("/v1/products/%s", prod)), 204);
  harness_assert_status(del(harness_fmt("/v1/business-units/%s", key)), 204);
  harness_assert_problem(get(harness_fmt("/v1/business-units/%s", key)), 404, NULL);
  harness_assert_problem(del(harness_fmt("/v1/business-units/%s", key)), 404, NULL);
}
END_TEST

START_TEST(test_unit_in_use_lists_at_most_20_products)
{
  const char *key = harness_tag("many");
  create_unit(key);
  for (int i = 0; i < 23; i++)
    create_product(harness_fmt("%s-p%02d", key, i), key, "fam", 1);
  harness_response *r = del(harness_fmt("/v1/business-units/%s", key));
  harness_assert_problem(r, 409, "key");
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "errors")), 20);
  ck_assert_msg(strstr(harness_json_str(r, "detail"), "23"), "detail: %s",
                harness_json_str(r, "detail"));
  ck_assert_msg(problem_message_has(r, "key", harness_fmt("used by product %s-p00", key)), "%s",
                r->body);
}
END_TEST

START_TEST(test_unit_list_pages_by_key_in_byte_order)
{
  const char *prefix = harness_tag("Z-list");
  const char *suffixes[] = {"b", "A", "a", "B", "_", "0", "a.b"};
  for (size_t i = 0; i < 7; i++)
    create_unit(harness_fmt("%s%s", prefix, suffixes[i]));
  int pages;
  json_t *all = list_all("/v1/business-units", "", 3, &pages);
  ck_assert_int_eq(json_array_size(all),
                   harness_sql_int(env->db, "SELECT count(*) FROM business_units"));
  ck_assert_int_eq(pages, (int)(json_array_size(all) + 2) / 3);
  assert_key_order(all);
  harness_response *r = get("/v1/business-units?limit=1000");
  ck_assert_ptr_null(json_object_get(r->json, "paging"));
  harness_assert_problem(get("/v1/business-units?after=nonsense"), 400, NULL);
  harness_assert_problem(get("/v1/business-units?limit=0"), 400, NULL);
}
END_TEST

/* Products ---------------------------------------------------------------------------------- */

START_TEST(test_product_defaults_and_fields)
{
  const char *unit = harness_tag("pu"), *key = harness_tag("prod");
  create_unit(unit);
  harness_response *c =
      post("/v1/products", harness_fmt("{\"key\":\"%s\",\"name\":\"Std\",\"business_unit\":\"%s\","
                                       "\"family\":\"crm\"}",
                                       key, unit));
  harness_assert_status(c, 201);
  ck_assert_str_eq(harness_header(c, "Location"), harness_fmt("/v1/products/%s", key));
  static const char *const fields[] = {"key",     "name",          "business_unit", "family",
                                       "tier",    "monthly_price", "gross_margin",  "currency",
                                       "version", "created_at",    "updated_at",    NULL};
  assert_fields(c, fields);
  assert_member_json(c, "tier", "1");
  assert_member_json(c, "monthly_price", "0");
  ck_assert_double_eq_tol(member_number(c, "gross_margin"), 0.8, 1e-12);
  ck_assert_str_eq(harness_json_str(c, "currency"), "USD");
  harness_response *r = get(harness_fmt("/v1/products/%s", key));
  ck_assert_msg(json_equal(r->json, c->json), "GET %s differs from create %s", r->body, c->body);
}
END_TEST

START_TEST(test_product_round_trips_every_field)
{
  const char *unit = harness_tag("pu"), *key = harness_tag("prem");
  create_unit(unit);
  harness_response *c =
      post("/v1/products",
           harness_fmt("{\"key\":\"%s\",\"name\":\"Premium\",\"business_unit\":\"%s\","
                       "\"family\":\"crm\",\"tier\":2,\"monthly_price\":9007199254740991,"
                       "\"gross_margin\":0.25}",
                       key, unit));
  harness_assert_status(c, 201);
  assert_member_json(c, "tier", "2");
  assert_member_json(c, "monthly_price", "9007199254740991");
  ck_assert_double_eq_tol(member_number(c, "gross_margin"), 0.25, 1e-12);
}
END_TEST

START_TEST(test_product_unknown_business_unit_is_422)
{
  harness_assert_problem(post("/v1/products",
                              "{\"key\":\"orphan\",\"name\":\"o\","
                              "\"business_unit\":\"no-such-unit\",\"family\":\"f\"}"),
                         422, "business_unit");
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM products WHERE key = 'orphan'"),
                   0);
}
END_TEST

START_TEST(test_product_margin_follows_the_setting_when_null)
{
  const char *unit = harness_tag("mu"), *follow = harness_tag("follow"),
             *fixed = harness_tag("fixed");
  create_unit(unit);
  create_product(follow, unit, "m", 1);
  harness_assert_status(
      post("/v1/products", harness_fmt("{\"key\":\"%s\",\"name\":\"F\",\"business_unit\":\"%s\","
                                       "\"family\":\"m\",\"gross_margin\":0.3}",
                                       fixed, unit)),
      201);
  harness_assert_status(
      harness_call(env, "admin", "PATCH", "/v1/settings", NULL, "{\"default_gross_margin\":0.6}"),
      200);
  ck_assert_double_eq_tol(
      member_number(get(harness_fmt("/v1/products/%s", follow)), "gross_margin"), 0.6, 1e-12);
  ck_assert_double_eq_tol(member_number(get(harness_fmt("/v1/products/%s", fixed)), "gross_margin"),
                          0.3, 1e-12);
  /* clearing the stored margin makes it follow the setting again */
  harness_response *r =
      patch(harness_fmt("/v1/products/%s", fixed), NULL, "{\"gross_margin\":null}");
  harness_assert_status(r, 200);
  ck_assert_double_eq_tol(member_number(r, "gross_margin"), 0.6, 1e-12);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM products WHERE key = "
                                                        "'%s' AND gross_margin IS NULL",
                                                        fixed)),
                   1);
  harness_assert_status(
      harness_call(env, "admin", "PATCH", "/v1/settings", NULL, "{\"default_gross_margin\":null}"),
      200);
  ck_assert_double_eq_tol(
      member_number(get(harness_fmt("/v1/products/%s", follow)), "gross_margin"), 0.8, 1e-12);
}
END_TEST

START_TEST(test_product_patch_merges_and_checks)
{
  const char *unit = harness_tag("pp"), *unit2 = harness_tag("pp2"), *key = harness_tag("pat");
  const char *path = harness_fmt("/v1/products/%s", key);
  create_unit(unit);
  create_unit(unit2);
  create_product(key, unit, "fam", 1);
  harness_response *r =
      patch(path, NULL,
            harness_fmt("{\"tier\":3,\"monthly_price\":4900,\"business_unit\":\"%s\"}", unit2));
  harness_assert_status(r, 200);
  assert_member_json(r, "tier", "3");
  assert_member_json(r, "monthly_price", "4900");
  ck_assert_str_eq(harness_json_str(r, "business_unit"), unit2);
  ck_assert_str_eq(harness_json_str(r, "family"), "fam");
  ck_assert_int_eq(harness_json_int(r, "version"), 2);
  harness_assert_problem(patch(path, NULL, "{\"business_unit\":\"nope\"}"), 422, "business_unit");
  harness_assert_problem(patch(path, NULL, "{\"tier\":null}"), 422, "tier");
  harness_assert_problem(patch(path, NULL, "{\"key\":\"other\"}"), 422, "key");
  const char *stale[] = {"If-Match: \"1\"", NULL};
  harness_assert_problem(patch(path, stale, "{\"tier\":4}"), 412, NULL);
  harness_assert_problem(patch("/v1/products/none-such", NULL, "{\"tier\":4}"), 404, NULL);
}
END_TEST

START_TEST(test_product_list_filters_and_pages)
{
  const char *unit = harness_tag("lf"), *other = harness_tag("lf-other");
  create_unit(unit);
  create_unit(other);
  for (int i = 0; i < 5; i++)
    create_product(harness_fmt("%s-x%d", unit, i), unit, i % 2 ? "odd" : "even", i + 1);
  create_product(harness_fmt("%s-y", other), other, "even", 1);
  json_t *all = list_all("/v1/products", harness_fmt("&business_unit=%s", unit), 2, NULL);
  ck_assert_int_eq(json_array_size(all), 5);
  assert_key_order(all);
  all = list_all("/v1/products", harness_fmt("&business_unit=%s&family=even", unit), 1, NULL);
  ck_assert_int_eq(json_array_size(all), 3);
  all = list_all("/v1/products", "", 7, NULL);
  ck_assert_int_eq(json_array_size(all), harness_sql_int(env->db, "SELECT count(*) FROM products"));
  assert_key_order(all);
}
END_TEST

START_TEST(test_product_in_use_names_the_counts)
{
  const char *unit = harness_tag("iu"), *key = harness_tag("used");
  create_unit(unit);
  create_product(key, unit, "fam", 1);
  sql_deal("new_business", "lead", key);
  sql_deal("new_business", "won", key);
  long long c = sql_customer();
  harness_sql_exec(
      env->db, harness_fmt("INSERT INTO mrr_lines VALUES (%lld, '%s', '2026-01-01', 100)", c, key));
  harness_sql_exec(env->db,
                   harness_fmt("INSERT INTO signals (customer_id, type, occurred_at, product, "
                               "created_at) VALUES (%lld, 'feature_interest', now(), '%s', "
                               "now())",
                               c, key));
  harness_response *r = del(harness_fmt("/v1/products/%s", key));
  harness_assert_problem(r, 409, "key");
  ck_assert_msg(problem_message_has(r, "key", "used by 2 deals"), "%s", r->body);
  ck_assert_msg(problem_message_has(r, "key", "used by 1 MRR line"), "%s", r->body);
  ck_assert_msg(problem_message_has(r, "key", "used by 1 signal"), "%s", r->body);
  ck_assert_msg(strstr(harness_json_str(r, "detail"), "2 deals, 1 MRR line"), "%s", r->body);
  harness_assert_status(get(harness_fmt("/v1/products/%s", key)), 200);
}
END_TEST

/* Pipelines ------------------------------------------------------------------------------- */

START_TEST(test_default_pipelines_are_seeded_exactly)
{
  static const struct {
    const char *key, *kind, *stages;
  } want[] = {
      {"new_business", "new_business",
       "lead:0.1:open qualified:0.3:open proposal:0.5:open negotiation:0.8:open won:1:won "
       "lost:0:lost"},
      {"upsell", "upsell",
       "opportunity_recognised:0.1:open needs_confirmed:0.25:open proposal:0.5:open "
       "negotiation:0.75:open won:1:won lost:0:lost"},
      {"cross_sell", "cross_sell",
       "opportunity_recognised:0.1:open needs_confirmed:0.25:open proposal:0.5:open "
       "negotiation:0.75:open won:1:won lost:0:lost"},
      {"renewal", "renewal",
       "preparation:0.5:open terms_presented:0.7:open agreed:0.9:open signed:1:won lost:0:lost"},
  };
  for (size_t p = 0; p < 4; p++) {
    harness_response *r = get(harness_fmt("/v1/pipelines/%s", want[p].key));
    harness_assert_status(r, 200);
    ck_assert_str_eq(harness_json_str(r, "kind"), want[p].kind);
    json_t *stages = member(r, "stages");
    char *spec = harness_fmt("%s", want[p].stages), *save = NULL;
    size_t i = 0;
    for (char *tok = strtok_r(spec, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++) {
      char *key = tok, *prob = strchr(key, ':'), *state;
      *prob++ = '\0';
      state = strchr(prob, ':');
      *state++ = '\0';
      json_t *s = json_array_get(stages, i);
      ck_assert_msg(s != NULL, "%s: stage %zu missing", want[p].key, i);
      ck_assert_str_eq(json_string_value(json_object_get(s, "key")), key);
      ck_assert_str_eq(json_string_value(json_object_get(s, "state")), state);
      ck_assert_int_eq(json_integer_value(json_object_get(s, "position")), (long long)i + 1);
      ck_assert_double_eq_tol(json_number_value(json_object_get(s, "probability")), atof(prob),
                              1e-12);
      ck_assert_msg(json_is_string(json_object_get(s, "name")), "stage without a name");
    }
    ck_assert_int_eq(json_array_size(stages), i);
  }
}
END_TEST

START_TEST(test_pipeline_create_defaults_and_positions)
{
  const char *key = harness_tag("pl");
  harness_response *r = post(
      "/v1/pipelines",
      harness_fmt(
          "{\"key\":\"%s\",\"name\":\"Partners\",\"kind\":\"new_business\",\"stages\":["
          "{\"key\":\"intro\",\"name\":\"Introduction\",\"probability\":0.2,\"state\":\"open\"},"
          "{\"key\":\"deal\",\"probability\":1,\"state\":\"won\",\"position\":2},"
          "{\"key\":\"nope\",\"probability\":0,\"state\":\"lost\"}]}",
          key));
  harness_assert_status(r, 201);
  ck_assert_str_eq(harness_header(r, "Location"), harness_fmt("/v1/pipelines/%s", key));
  ck_assert_str_eq(harness_header(r, "ETag"), "\"1\"");
  static const char *const fields[] = {"key",     "name",       "kind",       "stages",
                                       "version", "created_at", "updated_at", NULL};
  assert_fields(r, fields);
  json_t *stages = member(r, "stages");
  ck_assert_int_eq(json_array_size(stages), 3);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(stages, 0), "name")),
                   "Introduction");
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(stages, 1), "name")), "deal");
  for (size_t i = 0; i < 3; i++)
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(stages, i), "position")),
                     (long long)i + 1);
  harness_response *g = get(harness_fmt("/v1/pipelines/%s", key));
  ck_assert_msg(json_equal(g->json, r->json), "GET %s differs from create %s", g->body, r->body);
  harness_assert_problem(
      post("/v1/pipelines",
           harness_fmt("{\"key\":\"%s\",\"name\":\"x\",\"kind\":\"upsell\","
                       "\"stages\":[{\"key\":\"a\",\"probability\":0.1,\"state\":"
                       "\"open\"},{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},"
                       "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}",
                       key)),
      409, "key");
}
END_TEST

START_TEST(test_pipeline_stage_rules_on_create)
{
  const char *base = "{\"key\":\"rules\",\"name\":\"R\",\"kind\":\"upsell\",\"stages\":[%s]}";
  const char *open = "{\"key\":\"o\",\"probability\":0.5,\"state\":\"open\"}";
  const char *won = "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"}";
  const char *lost = "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}";
  harness_assert_problem(post("/v1/pipelines", harness_fmt(base, harness_fmt("%s,%s", open, won))),
                         422, "stages");
  harness_assert_problem(post("/v1/pipelines", harness_fmt(base, harness_fmt("%s,%s", won, lost))),
                         422, "stages");
  harness_assert_problem(
      post("/v1/pipelines",
           harness_fmt(base,
                       harness_fmt("{\"key\":\"o\",\"probability\":1.5,\"state\":\"open\"},%s,%s",
                                   won, lost))),
      422, "stages[0].probability");
  harness_assert_problem(
      post("/v1/pipelines",
           harness_fmt(base,
                       harness_fmt("%s,%s,{\"key\":\"l\",\"probability\":-0.1,\"state\":\"lost\"}",
                                   open, won))),
      422, "stages[2].probability");
  harness_assert_problem(
      post("/v1/pipelines", harness_fmt(base, harness_fmt("%s,%s,%s,%s", open, won, lost, open))),
      422, "stages[3].key");
  harness_assert_problem(
      post("/v1/pipelines",
           harness_fmt(base, harness_fmt("%s,{\"key\":\"w\",\"probability\":1,\"state\":\"won\","
                                         "\"position\":1},%s",
                                         open, lost))),
      422, "stages[1].position");
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM pipelines WHERE key = 'rules'"),
                   0);
  harness_assert_status(
      post("/v1/pipelines", harness_fmt(base, harness_fmt("%s,%s,%s", lost, won, open))), 201);
}
END_TEST

START_TEST(test_pipeline_patch_replaces_stages_by_key)
{
  const char *key = harness_tag("rep");
  const char *path = harness_fmt("/v1/pipelines/%s", key);
  create_pipeline(key);
  sql_deal(key, "a", NULL);
  harness_response *r =
      patch(path, NULL,
            "{\"name\":\"Renamed\",\"stages\":["
            "{\"key\":\"new\",\"probability\":0.1,\"state\":\"open\"},"
            "{\"key\":\"a\",\"name\":\"Stage A\",\"probability\":0.6,\"state\":\"open\"},"
            "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},"
            "{\"key\":\"lost2\",\"probability\":0,\"state\":\"lost\"}]}");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "version"), 2);
  ck_assert_str_eq(harness_json_str(r, "name"), "Renamed");
  ck_assert_str_eq(harness_json_str(r, "kind"), "upsell");
  json_t *stages = member(r, "stages");
  ck_assert_int_eq(json_array_size(stages), 4);
  json_t *a = json_array_get(stages, 1);
  ck_assert_str_eq(json_string_value(json_object_get(a, "key")), "a");
  ck_assert_int_eq(json_integer_value(json_object_get(a, "position")), 2);
  ck_assert_double_eq_tol(json_number_value(json_object_get(a, "probability")), 0.6, 1e-12);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM pipeline_stages "
                                                        "WHERE pipeline = '%s'",
                                                        key)),
                   4);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deals WHERE "
                                                        "pipeline = '%s' AND stage = 'a'",
                                                        key)),
                   1);
}
END_TEST

START_TEST(test_pipeline_stage_holding_deals_cannot_go_or_change_state)
{
  const char *key = harness_tag("hold");
  const char *path = harness_fmt("/v1/pipelines/%s", key);
  create_pipeline(key);
  sql_deal(key, "a", NULL);
  sql_deal(key, "a", NULL);
  const char *before = harness_db_digest(env->db);
  harness_response *r = patch(path, NULL,
                              "{\"stages\":[{\"key\":\"b\",\"probability\":0.5,\"state\":\"open\"},"
                              "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},"
                              "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}");
  harness_assert_problem(r, 409, "stages");
  ck_assert_msg(problem_message_has(r, "stages", "stage a holds 2 deals"), "%s", r->body);
  r = patch(path, NULL,
            "{\"stages\":[{\"key\":\"o\",\"probability\":0.5,\"state\":\"open\"},"
            "{\"key\":\"a\",\"probability\":1,\"state\":\"won\"},"
            "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}");
  harness_assert_problem(r, 409, "stages");
  ck_assert_msg(problem_message_has(r, "stages", "stage a holds 2 deals; its state"), "%s",
                r->body);
  ck_assert_str_eq(harness_db_digest(env->db), before);
  /* stages without deals may go and change */
  harness_assert_status(patch(path, NULL,
                              "{\"stages\":[{\"key\":\"a\",\"probability\":0.5,\"state\":\"open\"},"
                              "{\"key\":\"won\",\"probability\":1,\"state\":\"won\"},"
                              "{\"key\":\"w\",\"probability\":0,\"state\":\"lost\"}]}"),
                        200);
}
END_TEST

START_TEST(test_pipeline_patch_preconditions_and_key)
{
  const char *key = harness_tag("pre");
  const char *path = harness_fmt("/v1/pipelines/%s", key);
  create_pipeline(key);
  const char *stale[] = {"If-Match: \"7\"", NULL};
  harness_assert_problem(patch(path, stale, "{\"name\":\"x\"}"), 412, NULL);
  harness_assert_problem(patch(path, NULL, "{\"name\":\"x\",\"version\":5}"), 412, NULL);
  harness_assert_problem(patch(path, NULL, "{\"key\":\"x\"}"), 422, "key");
  harness_assert_problem(patch(path, NULL, "{\"kind\":\"other\"}"), 422, "kind");
  harness_assert_problem(patch(path, NULL, "{\"stages\":[]}"), 422, "stages");
  harness_response *r = patch(path, NULL, "{\"kind\":\"renewal\",\"version\":1}");
  harness_assert_status(r, 200);
  ck_assert_str_eq(harness_json_str(r, "kind"), "renewal");
  ck_assert_int_eq(json_array_size(member(r, "stages")), 3);
}
END_TEST

struct patch_call {
  const char *path, *body;
  harness_response *r;
};

static void *patch_in_thread(void *arg)
{
  struct patch_call *p = arg;
  p->r = patch(p->path, NULL, p->body);
  return NULL;
}

START_TEST(test_pipeline_stage_removal_sees_a_deal_committed_while_it_waits)
{
  const char *key = harness_tag("race");
  create_pipeline(key);
  long long customer = sql_customer();
  PGconn *c = harness_db_connect(env->db);
  PQclear(PQexec(c, "BEGIN"));
  PGresult *res =
      PQexec(c, harness_fmt("INSERT INTO deals (customer_id, pipeline, stage, created_at, "
                            "updated_at) VALUES (%lld, '%s', 'a', now(), now())",
                            customer, key));
  ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
  PQclear(res);
  struct patch_call call = {harness_fmt("/v1/pipelines/%s", key),
                            "{\"stages\":[{\"key\":\"b\",\"probability\":0.5,\"state\":\"open\"},"
                            "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},"
                            "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}",
                            NULL};
  pthread_t t;
  pthread_create(&t, NULL, patch_in_thread, &call);
  struct timespec pause = {0, 300000000L};
  nanosleep(&pause, NULL); /* the PATCH now waits for the stage row the deal locks */
  PQclear(PQexec(c, "COMMIT"));
  PQfinish(c);
  pthread_join(t, NULL);
  harness_assert_problem(call.r, 409, "stages");
  ck_assert_msg(problem_message_has(call.r, "stages", "stage a holds 1 deal"), "%s", call.r->body);
}
END_TEST

START_TEST(test_pipeline_delete_with_and_without_deals)
{
  const char *busy = harness_tag("busy"), *idle = harness_tag("idle");
  create_pipeline(busy);
  create_pipeline(idle);
  sql_deal(busy, "w", NULL);
  harness_response *r = del(harness_fmt("/v1/pipelines/%s", busy));
  harness_assert_problem(r, 409, "key");
  ck_assert_msg(problem_message_has(r, "key", "used by 1 deal"), "%s", r->body);
  harness_assert_status(del(harness_fmt("/v1/pipelines/%s", idle)), 204);
  harness_assert_problem(get(harness_fmt("/v1/pipelines/%s", idle)), 404, NULL);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM pipeline_stages "
                                                        "WHERE pipeline = '%s'",
                                                        idle)),
                   0);
}
END_TEST

START_TEST(test_pipeline_list_by_key_with_paging)
{
  create_pipeline(harness_tag("A-list"));
  create_pipeline(harness_tag("z-list"));
  int pages;
  json_t *all = list_all("/v1/pipelines", "", 2, &pages);
  ck_assert_int_eq(json_array_size(all),
                   harness_sql_int(env->db, "SELECT count(*) FROM pipelines"));
  ck_assert_int_ge(pages, 3);
  assert_key_order(all);
  harness_assert_problem(get("/v1/pipelines?after=azE6"), 400, NULL);
}
END_TEST

START_TEST(test_catalog_writes_need_write_scope)
{
  harness_assert_problem(harness_call(env, "read", "POST", "/v1/business-units", NULL,
                                      "{\"key\":\"ro\",\"name\":\"n\"}"),
                         403, NULL);
  harness_assert_problem(harness_call(env, "read", "DELETE", "/v1/pipelines/upsell", NULL, NULL),
                         403, NULL);
  harness_assert_problem(harness_call(env, NULL, "GET", "/v1/products", NULL, NULL), 401, NULL);
}
END_TEST

static Suite *catalog_suite(void)
{
  Suite *s = suite_create("catalog");
  TCase *tc = harness_tcase("units");
  tcase_add_test(tc, test_unit_create_get_and_fields);
  tcase_add_test(tc, test_unit_duplicate_key_is_409);
  tcase_add_test(tc, test_unit_malformed_keys);
  tcase_add_test(tc, test_unit_patch_name_version_and_preconditions);
  tcase_add_test(tc, test_unit_delete_and_in_use);
  tcase_add_test(tc, test_unit_in_use_lists_at_most_20_products);
  tcase_add_test(tc, test_unit_list_pages_by_key_in_byte_order);
  suite_add_tcase(s, tc);

  tc = harness_tcase("products");
  tcase_add_test(tc, test_product_defaults_and_fields);
  tcase_add_test(tc, test_product_round_trips_every_field);
  tcase_add_test(tc, test_product_unknown_business_unit_is_422);
  tcase_add_test(tc, test_product_margin_follows_the_setting_when_null);
  tcase_add_test(tc, test_product_patch_merges_and_checks);
  tcase_add_test(tc, test_product_list_filters_and_pages);
  tcase_add_test(tc, test_product_in_use_names_the_counts);
  suite_add_tcase(s, tc);

  tc = harness_tcase("pipelines");
  tcase_add_test(tc, test_default_pipelines_are_seeded_exactly);
  tcase_add_test(tc, test_pipeline_create_defaults_and_positions);
  tcase_add_test(tc, test_pipeline_stage_rules_on_create);
  tcase_add_test(tc, test_pipeline_patch_replaces_stages_by_key);
  tcase_add_test(tc, test_pipeline_stage_holding_deals_cannot_go_or_change_state);
  tcase_add_test(tc, test_pipeline_patch_preconditions_and_key);
  tcase_add_test(tc, test_pipeline_stage_removal_sees_a_deal_committed_while_it_waits);
  tcase_add_test(tc, test_pipeline_delete_with_and_without_deals);
  tcase_add_test(tc, test_pipeline_list_by_key_with_paging);
  tcase_add_test(tc, test_catalog_writes_need_write_scope);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  return harness_run(catalog_suite(), env);
}
