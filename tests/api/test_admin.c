/* API keys over HTTP and the settings (contract of issue 3, SPEC sections 2 and 4). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static harness_env *env;

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static harness_response *admin(const char *method, const char *path, const char *body)
{
  return harness_call(env, "admin", method, path, NULL, body);
}

static harness_response *patch_settings(const char *const *headers, const char *body)
{
  return harness_call(env, "admin", "PATCH", "/v1/settings", headers, body);
}

static json_t *member(const harness_response *r, const char *name)
{
  ck_assert_msg(json_object_get(r->json, name) != NULL, "%s: member %s absent in %.400s", r->what,
                name, r->body);
  return json_object_get(r->json, name);
}

static double number(const harness_response *r, const char *name)
{
  return json_number_value(member(r, name));
}

static long long data_version(const harness_response *r)
{
  const char *h = harness_header(r, "X-Ltvd-Data-Version");
  ck_assert_msg(h != NULL, "%s: no X-Ltvd-Data-Version", r->what);
  return strtoll(h, NULL, 10);
}

/* Creates a key over HTTP (asserting 201) and returns the response. */
static harness_response *create_key(const char *scope, const char *name)
{
  harness_response *r =
      admin("POST", "/v1/api-keys", harness_fmt("{\"name\":\"%s\",\"scope\":\"%s\"}", name, scope));
  harness_assert_status(r, 201);
  return r;
}

/* API keys ------------------------------------------------------------------------------ */

START_TEST(test_create_shows_the_secret_once)
{
  const char *name = harness_tag("made");
  harness_response *r = create_key("write", name);
  static const char *const fields[] = {"id",         "name",       "scope", "prefix",
                                       "created_at", "revoked_at", "key"};
  for (size_t i = 0; i < 7; i++)
    member(r, fields[i]);
  ck_assert_int_eq(json_object_size(r->json), 7);
  const char *key = harness_json_str(r, "key");
  ck_assert_int_eq(strlen(key), 69);
  ck_assert_int_eq(strncmp(key, "ltvd_", 5), 0);
  ck_assert_int_eq(strspn(key + 5, "0123456789abcdef"), 64);
  ck_assert_int_eq(
      strncmp(harness_json_str(r, "prefix"), key, strlen(harness_json_str(r, "prefix"))), 0);
  ck_assert_str_eq(harness_json_str(r, "scope"), "write");
  ck_assert_str_eq(harness_json_str(r, "name"), name);
  ck_assert(json_is_null(member(r, "revoked_at")));
  harness_assert_timestamp("created_at", harness_json_str(r, "created_at"));
  ck_assert_str_eq(harness_header(r, "Location"),
                   harness_fmt("/v1/api-keys/%lld", harness_json_int(r, "id")));
  /* the secret works, with its scope */
  harness_assert_status(harness_call(env, key, "POST", "/v1/business-units", NULL,
                                     harness_fmt("{\"key\":\"%s\",\"name\":\"n\"}", name)),
                        201);
  harness_assert_problem(harness_call(env, key, "GET", "/v1/api-keys", NULL, NULL), 403, NULL);
  /* only its hash is stored */
  ck_assert_int_eq(
      harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM api_keys WHERE hash = "
                                           "sha256('%s'::bytea)",
                                           key)),
      1);
}
END_TEST

START_TEST(test_list_never_shows_the_secret)
{
  harness_response *c = create_key("read", harness_tag("listed"));
  const char *secret = harness_json_str(c, "key");
  harness_response *r = admin("GET", "/v1/api-keys?limit=1000", NULL);
  harness_assert_status(r, 200);
  ck_assert_msg(strstr(r->body, secret) == NULL, "the list shows the secret");
  json_t *results = member(r, "results"), *k;
  size_t i;
  bool found = false;
  json_array_foreach(results, i, k)
  {
    ck_assert_msg(json_object_get(k, "key") == NULL && json_object_get(k, "hash") == NULL,
                  "a listed key shows its secret or hash: %s", r->body);
    ck_assert_int_eq(json_object_size(k), 6);
    found |= json_integer_value(json_object_get(k, "id")) == harness_json_int(c, "id");
  }
  ck_assert(found);
  ck_assert_int_eq(json_array_size(results),
                   harness_sql_int(env->db, "SELECT count(*) FROM api_keys"));
}
END_TEST

START_TEST(test_list_pages_by_id)
{
  for (int i = 0; i < 3; i++)
    create_key("read", harness_tag("page"));
  long long total = harness_sql_int(env->db, "SELECT count(*) FROM api_keys"), seen = 0, last = 0;
  const char *after = NULL;
  do {
    harness_response *r = admin("GET",
                                harness_fmt("/v1/api-keys?limit=2%s%s", after ? "&after=" : "",
                                            after ? harness_urlenc(after) : ""),
                                NULL);
    harness_assert_status(r, 200);
    json_t *k;
    size_t i;
    json_array_foreach(member(r, "results"), i, k)
    {
      ck_assert_int_gt(json_integer_value(json_object_get(k, "id")), last);
      last = json_integer_value(json_object_get(k, "id"));
      seen++;
    }
    json_t *paging = json_object_get(r->json, "paging");
    after = paging ? harness_fmt("%s", json_string_value(json_object_get(
                                           json_object_get(paging, "next"), "after")))
                   : NULL;
  } while (after);
  ck_assert_int_eq(seen, total);
}
END_TEST

START_TEST(test_revoke_makes_the_key_401_within_1_second)
{
  harness_response *c = create_key("read", harness_tag("revoked"));
  const char *key = harness_json_str(c, "key");
  long long id = harness_json_int(c, "id");
  harness_assert_status(harness_call(env, key, "GET", "/v1/products", NULL, NULL), 200);
  harness_response *d = admin("DELETE", harness_fmt("/v1/api-keys/%lld", id), NULL);
  harness_assert_status(d, 204);
  ck_assert_ptr_null(harness_header(d, "X-Ltvd-Data-Version"));
  long long start = now_ms(), limit = harness_under_wrapper() ? 3000 : 1000;
  long status;
  while ((status = harness_call(env, key, "GET", "/v1/products", NULL, NULL)->status) == 200 &&
         now_ms() - start < limit + 500)
    sleep_ms(10);
  long long took = now_ms() - start;
  ck_assert_msg(status == 401, "revoked key still answered %ld after %lld ms", status, took);
  ck_assert_msg(took <= limit, "revoked key worked for %lld ms", took);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM api_keys WHERE id = "
                                                        "%lld AND revoked_at IS NOT NULL",
                                                        id)),
                   1);
  harness_assert_problem(admin("DELETE", harness_fmt("/v1/api-keys/%lld", id), NULL), 404, NULL);
  harness_assert_problem(admin("DELETE", "/v1/api-keys/987654321", NULL), 404, NULL);
}
END_TEST

START_TEST(test_non_admin_keys_get_403)
{
  const char *scopes[] = {"read", "write"};
  for (int i = 0; i < 2; i++) {
    harness_assert_problem(harness_call(env, scopes[i], "GET", "/v1/api-keys", NULL, NULL), 403,
                           NULL);
    harness_assert_problem(harness_call(env, scopes[i], "POST", "/v1/api-keys", NULL,
                                        "{\"name\":\"x\",\"scope\":\"admin\"}"),
                           403, NULL);
    harness_assert_problem(harness_call(env, scopes[i], "DELETE", "/v1/api-keys/1", NULL, NULL),
                           403, NULL);
    harness_assert_problem(
        harness_call(env, scopes[i], "PATCH", "/v1/settings", NULL, "{\"loyal_threshold\":3}"), 403,
        NULL);
  }
  harness_assert_problem(harness_call(env, NULL, "GET", "/v1/api-keys", NULL, NULL), 401, NULL);
}
END_TEST

START_TEST(test_create_refuses_idempotency_key_and_bad_input)
{
  const char *h[] = {"Idempotency-Key: make-key-1", NULL};
  long long before = harness_sql_int(env->db, "SELECT count(*) FROM api_keys");
  harness_assert_problem(harness_call(env, "admin", "POST", "/v1/api-keys", h,
                                      "{\"name\":\"idem\",\"scope\":\"read\"}"),
                         422, "Idempotency-Key");
  harness_assert_problem(admin("POST", "/v1/api-keys", "{\"name\":\"x\",\"scope\":\"root\"}"), 422,
                         "scope");
  harness_assert_problem(admin("POST", "/v1/api-keys", "{\"scope\":\"read\"}"), 422, "name");
  harness_assert_problem(admin("POST", "/v1/api-keys",
                               "{\"name\":\"x\",\"scope\":\"read\",\"key\":"
                               "\"ltvd_00\"}"),
                         422, "key");
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM api_keys"), before);
}
END_TEST

/* Settings -------------------------------------------------------------------------------- */

START_TEST(test_settings_read_every_setting)
{
  static const struct {
    const char *name;
    bool integer;
  } want[] = {{"dormant_after_days", true},         {"loyal_threshold", true},
              {"quadrant_percentile", false},       {"max_lifespan_months", true},
              {"nps_detractor_max", true},          {"upsell_usage_threshold", false},
              {"cross_sell_min_confidence", false}, {"cross_sell_min_support", true},
              {"default_gross_margin", false},      {"clv_horizon_months", true},
              {"clv_monthly_discount", false}};
  harness_response *r = harness_call(env, "read", "GET", "/v1/settings", NULL, NULL);
  harness_assert_status(r, 200);
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    ck_assert_msg(want[i].integer ? json_is_integer(member(r, want[i].name))
                                  : json_is_number(member(r, want[i].name)),
                  "%s has the wrong type: %s", want[i].name, r->body);
  json_t *w = member(r, "weights");
  ck_assert_int_eq(json_object_size(w), 4);
  ck_assert_int_eq(json_object_size(r->json), sizeof want / sizeof *want + 3);
  ck_assert(json_is_integer(member(r, "version")));
  harness_assert_timestamp("updated_at", harness_json_str(r, "updated_at"));
  ck_assert_str_eq(harness_header(r, "ETag"),
                   harness_fmt("\"%lld\"", harness_json_int(r, "version")));
}
END_TEST

START_TEST(test_settings_defaults_on_a_fresh_database)
{
  harness_env *e = harness_env_up(NULL);
  harness_response *r = harness_call(e, "read", "GET", "/v1/settings", NULL, NULL);
  harness_assert_status(r, 200);
  json_t *want = harness_own_json(json_loads(
      "{\"dormant_after_days\": 365, \"loyal_threshold\": 12, \"quadrant_percentile\": 50, "
      "\"max_lifespan_months\": 120, \"nps_detractor_max\": 6, \"upsell_usage_threshold\": 0.8, "
      "\"cross_sell_min_confidence\": 0.5, \"cross_sell_min_support\": 3, "
      "\"default_gross_margin\": 0.8, \"weights\": {\"size\": 0.3, \"whitespace\": 0.3, "
      "\"engagement\": 0.2, \"usage\": 0.2}, \"clv_horizon_months\": 36, "
      "\"clv_monthly_discount\": 0.01, \"version\": 1}",
      0, NULL));
  json_t *got = harness_own_json(json_deep_copy(r->json));
  json_object_del(got, "updated_at");
  ck_assert_msg(json_equal(got, want), "settings of a fresh database: %s", r->body);
  harness_env_down(e);
}
END_TEST

START_TEST(test_settings_patch_changes_and_bumps_versions)
{
  harness_response *before = harness_call(env, "read", "GET", "/v1/settings", NULL, NULL);
  long long v = harness_json_int(before, "version");
  harness_response *w0 =
      harness_call(env, "write", "POST", "/v1/business-units", NULL,
                   harness_fmt("{\"key\":\"%s\",\"name\":\"n\"}", harness_tag("dv")));
  harness_assert_status(w0, 201);
  harness_response *r =
      patch_settings(NULL, "{\"loyal_threshold\":7,\"quadrant_percentile\":62.5}");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "loyal_threshold"), 7);
  ck_assert_double_eq_tol(number(r, "quadrant_percentile"), 62.5, 1e-12);
  ck_assert_int_eq(harness_json_int(r, "version"), v + 1);
  ck_assert_str_eq(harness_header(r, "ETag"), harness_fmt("\"%lld\"", v + 1));
  ck_assert_int_gt(data_version(r), data_version(w0));
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT version FROM data_version"), data_version(r));
  harness_response *g = harness_call(env, "read", "GET", "/v1/settings", NULL, NULL);
  ck_assert_int_eq(harness_json_int(g, "loyal_threshold"), 7);
  ck_assert_int_eq(harness_json_int(g, "dormant_after_days"),
                   harness_json_int(before, "dormant_after_days"));
  /* null puts the default back */
  r = patch_settings(NULL, "{\"loyal_threshold\":null,\"quadrant_percentile\":null}");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "loyal_threshold"), 12);
  ck_assert_double_eq_tol(number(r, "quadrant_percentile"), 50, 1e-12);
}
END_TEST

START_TEST(test_settings_weights_merge)
{
  harness_response *r = patch_settings(NULL, "{\"weights\":{\"usage\":0.5}}");
  harness_assert_status(r, 200);
  json_t *w = member(r, "weights");
  ck_assert_double_eq_tol(json_number_value(json_object_get(w, "usage")), 0.5, 1e-12);
  ck_assert_double_eq_tol(json_number_value(json_object_get(w, "size")), 0.3, 1e-12);
  ck_assert_double_eq_tol(json_number_value(json_object_get(w, "whitespace")), 0.3, 1e-12);
  ck_assert_double_eq_tol(json_number_value(json_object_get(w, "engagement")), 0.2, 1e-12);
  r = patch_settings(NULL, "{\"weights\":{\"size\":0,\"whitespace\":0,\"engagement\":0}}");
  harness_assert_status(r, 200);
  /* all four at zero has no positive sum */
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(patch_settings(NULL, "{\"weights\":{\"usage\":0}}"), 422, "weights");
  ck_assert_str_eq(harness_db_digest(env->db), before);
  r = patch_settings(NULL, "{\"weights\":null}");
  harness_assert_status(r, 200);
  w = member(r, "weights");
  ck_assert_double_eq_tol(json_number_value(json_object_get(w, "usage")), 0.2, 1e-12);
  ck_assert_double_eq_tol(json_number_value(json_object_get(w, "size")), 0.3, 1e-12);
  harness_assert_problem(patch_settings(NULL, "{\"weights\":{\"colour\":1}}"), 422,
                         "weights.colour");
  harness_assert_problem(patch_settings(NULL, "{\"weights\":{\"size\":-1}}"), 422, "weights.size");
}
END_TEST

START_TEST(test_settings_validation_names_each_field)
{
  const char *before = harness_db_digest(env->db);
  harness_response *r = patch_settings(
      NULL, "{\"dormant_after_days\":0,\"loyal_threshold\":1.5,\"nps_detractor_max\":11,"
            "\"default_gross_margin\":1.01,\"colour\":1,\"updated_at\":\"x\"}");
  harness_assert_problem(r, 422, "dormant_after_days");
  const char *fields[] = {"loyal_threshold", "nps_detractor_max", "default_gross_margin", "colour",
                          "updated_at"};
  for (int i = 0; i < 5; i++)
    ck_assert_msg(harness_problem_names(r, fields[i], -1), "%s not named: %s", fields[i], r->body);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_settings_if_match)
{
  harness_response *g = harness_call(env, "read", "GET", "/v1/settings", NULL, NULL);
  long long v = harness_json_int(g, "version");
  const char *stale[] = {harness_fmt("If-Match: \"%lld\"", v - 1 > 0 ? v - 1 : v + 5), NULL};
  const char *current[] = {harness_fmt("If-Match: \"%lld\"", v), NULL};
  harness_assert_problem(patch_settings(stale, "{\"clv_horizon_months\":24}"), 412, NULL);
  harness_assert_problem(
      patch_settings(NULL, harness_fmt("{\"clv_horizon_months\":24,\"version\":%lld}", v + 9)), 412,
      NULL);
  harness_response *r = patch_settings(current, "{\"clv_horizon_months\":24}");
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "clv_horizon_months"), 24);
  r = patch_settings(NULL, harness_fmt("{\"clv_horizon_months\":null,\"version\":%lld}", v + 1));
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "clv_horizon_months"), 36);
}
END_TEST

static Suite *admin_suite(void)
{
  Suite *s = suite_create("admin");
  TCase *tc = harness_tcase("api_keys");
  tcase_add_test(tc, test_create_shows_the_secret_once);
  tcase_add_test(tc, test_list_never_shows_the_secret);
  tcase_add_test(tc, test_list_pages_by_id);
  tcase_add_test(tc, test_revoke_makes_the_key_401_within_1_second);
  tcase_add_test(tc, test_non_admin_keys_get_403);
  tcase_add_test(tc, test_create_refuses_idempotency_key_and_bad_input);
  suite_add_tcase(s, tc);

  tc = harness_tcase("settings");
  tcase_add_test(tc, test_settings_read_every_setting);
  tcase_add_test(tc, test_settings_defaults_on_a_fresh_database);
  tcase_add_test(tc, test_settings_patch_changes_and_bumps_versions);
  tcase_add_test(tc, test_settings_weights_merge);
  tcase_add_test(tc, test_settings_validation_names_each_field);
  tcase_add_test(tc, test_settings_if_match);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  return harness_run(admin_suite(), env);
}
