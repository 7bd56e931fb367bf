/* The HTTP conventions of the contract: auth, scopes, check order, limits, request ids,
 * logs, CORS, rate limits, operational endpoints, key revocation, database loss and
 * shutdown.  Tests that need another configuration start their own ltvd. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The newest migration in migrations/: what a migrated database reports. */
#ifndef SCHEMA_VERSION /* meson passes the number of migration files */
#error SCHEMA_VERSION must be defined
#endif

static harness_env *env;

/* Helpers ----------------------------------------------------------------------------- */


static harness_response *call(const char *scope, const char *method, const char *path,
                              const char *body)
{
  return harness_call(env, scope, method, path, NULL, body);
}

/* A JSON object body of exactly n bytes: {"name":"xxx..."}. */
static const char *body_of_size(size_t n)
{
  char *b = harness_repeat('x', n);
  memcpy(b, "{\"name\":\"", 9);
  memcpy(b + n - 2, "\"}", 2);
  return b;
}

static bool matches(const char *s, const char *pattern)
{
  regex_t re;
  ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
  bool m = s && regexec(&re, s, 0, NULL, 0) == 0;
  regfree(&re);
  return m;
}

/* True when the comma-separated list names token (case-insensitively). */
static bool list_has(const char *list, const char *token)
{
  if (!list)
    return false;
  char *copy = harness_fmt("%s", list);
  for (char *save = NULL, *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
    if (strcasecmp(t, token) == 0)
      return true;
  return false;
}

static const char *auth_header(const char *key)
{
  return harness_fmt("Authorization: Bearer %s", key);
}

static harness_response *request_with_key(const harness_server *srv, const char *key,
                                          const char *method, const char *path, const char *body)
{
  const char *h[] = {auth_header(key), NULL};
  return harness_request(srv, method, path, h, body, (size_t)-1);
}

/* Operational endpoints --------------------------------------------------------------- */

START_TEST(test_healthz_answers_ok_without_key)
{
  harness_response *r = call(NULL, "GET", "/healthz", NULL);
  harness_assert_status(r, 200);
  ck_assert_pstr_eq(harness_json_str(r, "status"), "ok");
}
END_TEST

START_TEST(test_readyz_reports_schema_version)
{
  harness_response *r = call(NULL, "GET", "/readyz", NULL);
  harness_assert_status(r, 200);
  ck_assert_pstr_eq(harness_json_str(r, "status"), "ready");
  ck_assert_int_eq(harness_json_int(r, "schema_version"), SCHEMA_VERSION);
}
END_TEST

START_TEST(test_openapi_is_an_openapi_3_1_document)
{
  harness_response *r = call(NULL, "GET", "/openapi.json", NULL);
  harness_assert_status(r, 200);
  ck_assert_msg(json_is_object(r->json), "openapi.json is not a JSON object");
  const char *v = harness_json_str(r, "openapi");
  ck_assert_msg(v && strncmp(v, "3.1.", 4) == 0, "openapi version %s", v ? v : "(none)");
  json_t *paths = json_object_get(r->json, "paths");
  ck_assert_ptr_nonnull(json_object_get(paths, "/v1/customers"));
  ck_assert_ptr_nonnull(json_object_get(paths, "/v1/customers/{id}"));
  ck_assert_ptr_nonnull(strstr(harness_header(r, "Content-Type"), "application/json"));
}
END_TEST

START_TEST(test_metrics_is_prometheus_text)
{
  harness_assert_status(call("read", "GET", "/v1/customers", NULL), 200);
  harness_response *r = call(NULL, "GET", "/metrics", NULL);
  harness_assert_status(r, 200);
  const char *ct = harness_header(r, "Content-Type");
  ck_assert_msg(ct && strncmp(ct, "text/plain", 10) == 0, "metrics Content-Type %s",
                ct ? ct : "(none)");
  ck_assert_msg(strstr(r->body, "# TYPE ") != NULL, "no # TYPE line in metrics");
  ck_assert_msg(strstr(r->body, " histogram") != NULL, "no latency histogram in metrics");
  ck_assert_msg(strstr(r->body, "_bucket{") != NULL, "no histogram buckets in metrics");
}
END_TEST

/* Keys and scopes ---------------------------------------------------------------------- */

START_TEST(test_missing_key_is_401_with_www_authenticate)
{
  harness_response *r = call(NULL, "GET", "/v1/customers", NULL);
  harness_assert_problem(r, 401, NULL);
  const char *w = harness_header(r, "WWW-Authenticate");
  ck_assert_msg(w && strncasecmp(w, "Bearer", 6) == 0, "WWW-Authenticate: %s", w ? w : "(none)");
}
END_TEST

START_TEST(test_unknown_key_is_401)
{
  const char *key = harness_fmt("ltvd_%s", harness_repeat('0', 64));
  harness_response *r = call(key, "GET", "/v1/customers", NULL);
  harness_assert_problem(r, 401, NULL);
  ck_assert_ptr_nonnull(harness_header(r, "WWW-Authenticate"));
}
END_TEST

START_TEST(test_malformed_authorization_is_401)
{
  static const char *headers[] = {"Authorization: Basic Zm9vOmJhcg==", "Authorization: Bearer",
                                  "Authorization: Bearer ", "Authorization: bearer-ish",
                                  "Authorization: Bearer ltvd_zz"};
  for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
    const char *h[] = {headers[i], NULL};
    harness_assert_problem(harness_request(env->srv, "GET", "/v1/customers", h, NULL, 0), 401,
                           NULL);
  }
}
END_TEST

START_TEST(test_read_key_cannot_write)
{
  long long id =
      harness_json_int(call("write", "POST", "/v1/customers", "{\"name\":\"Scope\"}"), "id");
  const char *item = harness_fmt("/v1/customers/%lld", id);
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(call("read", "POST", "/v1/customers", "{\"name\":\"x\"}"), 403, NULL);
  harness_assert_problem(call("read", "PATCH", item, "{\"name\":\"x\"}"), 403, NULL);
  harness_assert_problem(call("read", "DELETE", item, NULL), 403, NULL);
  harness_assert_problem(call("read", "PUT", "/v1/customers/external/scope-x", "{\"name\":\"x\"}"),
                         403, NULL);
  harness_assert_problem(call("read", "POST", "/v1/customers/batch", "{\"inputs\":[]}"), 403, NULL);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_write_and_admin_keys_can_read)
{
  harness_assert_status(call("write", "GET", "/v1/customers", NULL), 200);
  harness_assert_status(call("admin", "GET", "/v1/customers", NULL), 200);
  harness_assert_status(call("admin", "POST", "/v1/customers", "{\"name\":\"Admin made\"}"), 201);
}
END_TEST

START_TEST(test_key_create_prints_a_key_in_contract_format)
{
  const char *key = harness_key_create(env->db, "read", harness_tag("format"));
  ck_assert_msg(matches(key, "^ltvd_[0-9a-f]{64}$"), "key %s is not ltvd_ + 64 hex", key);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM api_keys WHERE "
                                                        "hash = sha256('%s'::bytea)",
                                                        key)),
                   1);
}
END_TEST

START_TEST(test_key_created_while_serving_works)
{
  harness_assert_problem(
      call(harness_fmt("ltvd_%s", harness_repeat('a', 64)), "GET", "/v1/customers", NULL), 401,
      NULL);
  const char *key = harness_key_create(env->db, "read", harness_tag("late"));
  long long deadline = harness_now_ms() + 1000;
  long status;
  do {
    status = call(key, "GET", "/v1/customers", NULL)->status;
  } while (status != 200 && harness_now_ms() < deadline && (harness_sleep_ms(20), 1));
  ck_assert_int_eq(status, 200);
}
END_TEST

START_TEST(test_revoked_key_stops_working_within_1_second)
{
  const char *name = harness_tag("revoke");
  const char *key = harness_key_create(env->db, "read", name);
  harness_assert_status(call(key, "GET", "/v1/customers", NULL), 200);
  harness_sql_exec(env->db,
                   harness_fmt("UPDATE api_keys SET revoked_at = now() WHERE name = '%s'", name));
  long long start = harness_now_ms(), limit = harness_under_wrapper() ? 3000 : 1000;
  long status;
  while ((status = call(key, "GET", "/v1/customers", NULL)->status) == 200 &&
         harness_now_ms() - start < limit + 500)
    harness_sleep_ms(10);
  long long took = harness_now_ms() - start;
  fprintf(stderr, "revocation took effect after %lld ms\n", took);
  ck_assert_msg(status == 401, "revoked key still answered %ld after %lld ms", status, took);
  ck_assert_msg(took <= limit, "revoked key worked for %lld ms (limit %lld)", took, limit);
  harness_assert_problem(call(key, "GET", "/v1/customers", NULL), 401, NULL);
}
END_TEST

/* Routes and check order --------------------------------------------------------------- */

START_TEST(test_unknown_route_is_404_problem)
{
  harness_assert_problem(call("read", "GET", "/v1/nope", NULL), 404, NULL);
  harness_assert_problem(call("read", "GET", "/", NULL), 404, NULL);
  harness_assert_problem(call("read", "GET", "/v1/customers/1/nope", NULL), 404, NULL);
}
END_TEST

START_TEST(test_unknown_route_without_key_is_404_not_401)
{
  harness_assert_problem(call(NULL, "GET", "/v1/nope", NULL), 404, NULL);
  harness_assert_problem(call(NULL, "POST", "/v1/nope", "{}"), 404, NULL);
}
END_TEST

START_TEST(test_wrong_method_is_405_with_allow)
{
  harness_response *r = call("write", "PUT", "/v1/customers", "{}");
  harness_assert_problem(r, 405, NULL);
  ck_assert_msg(list_has(harness_header(r, "Allow"), "GET") &&
                    list_has(harness_header(r, "Allow"), "POST"),
                "Allow: %s", harness_header(r, "Allow"));
  r = call("write", "POST", "/v1/customers/1", "{}");
  harness_assert_problem(r, 405, NULL);
  const char *allow = harness_header(r, "Allow");
  ck_assert_msg(list_has(allow, "GET") && list_has(allow, "PATCH") && list_has(allow, "DELETE") &&
                    !list_has(allow, "POST"),
                "Allow: %s", allow ? allow : "(none)");
  r = call("write", "GET", "/v1/customers/batch", NULL);
  harness_assert_problem(r, 405, NULL);
  ck_assert_msg(list_has(harness_header(r, "Allow"), "POST"), "Allow: %s",
                harness_header(r, "Allow"));
}
END_TEST

START_TEST(test_wrong_method_without_key_is_405_not_401)
{
  harness_response *r = call(NULL, "DELETE", "/v1/customers", NULL);
  harness_assert_problem(r, 405, NULL);
  ck_assert_ptr_nonnull(harness_header(r, "Allow"));
  r = call(NULL, "POST", "/healthz", "{}");
  harness_assert_problem(r, 405, NULL);
  ck_assert_msg(list_has(harness_header(r, "Allow"), "GET"), "Allow: %s",
                harness_header(r, "Allow"));
}
END_TEST

START_TEST(test_body_over_1_mib_is_413)
{
  const char *before = harness_db_digest(env->db);
  harness_assert_problem(call("write", "POST", "/v1/customers", body_of_size(2 << 20)), 413, NULL);
  harness_assert_problem(call("write", "POST", "/v1/customers", body_of_size((1 << 20) + 1)), 413,
                         NULL);
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_body_of_exactly_1_mib_is_not_413)
{
  /* A 1 MiB name is too long (422), but not too large. */
  harness_assert_problem(call("write", "POST", "/v1/customers", body_of_size(1 << 20)), 422,
                         "name");
}
END_TEST

START_TEST(test_read_key_with_oversized_body_is_403_not_413)
{
  harness_assert_problem(call("read", "POST", "/v1/customers", body_of_size(2 << 20)), 403, NULL);
}
END_TEST

START_TEST(test_no_key_with_oversized_body_is_401_not_413)
{
  harness_assert_problem(call(NULL, "POST", "/v1/customers", body_of_size(2 << 20)), 401, NULL);
}
END_TEST

START_TEST(test_no_key_with_bad_json_is_401_not_400)
{
  harness_assert_problem(call(NULL, "POST", "/v1/customers", "{oops"), 401, NULL);
}
END_TEST

START_TEST(test_read_key_with_bad_json_is_403_not_400)
{
  harness_assert_problem(call("read", "POST", "/v1/customers", "{oops"), 403, NULL);
}
END_TEST

START_TEST(test_bad_json_is_400_before_validation)
{
  harness_assert_problem(call("write", "POST", "/v1/customers", "{\"name\": 5,"), 400, NULL);
}
END_TEST

START_TEST(test_validation_comes_before_precondition)
{
  long long id =
      harness_json_int(call("write", "POST", "/v1/customers", "{\"name\":\"Order1\"}"), "id");
  const char *h[] = {"If-Match: \"42\"", NULL};
  harness_assert_problem(harness_call(env, "write", "PATCH", harness_fmt("/v1/customers/%lld", id),
                                      h, "{\"name\":null}"),
                         422, "name");
}
END_TEST

START_TEST(test_precondition_comes_before_conflict)
{
  call("write", "POST", "/v1/customers", "{\"name\":\"Holder\",\"external_id\":\"order-taken\"}");
  long long id =
      harness_json_int(call("write", "POST", "/v1/customers", "{\"name\":\"Order2\"}"), "id");
  const char *h[] = {"If-Match: \"42\"", NULL};
  harness_assert_problem(harness_call(env, "write", "PATCH", harness_fmt("/v1/customers/%lld", id),
                                      h, "{\"external_id\":\"order-taken\"}"),
                         412, NULL);
}
END_TEST

/* Request ids and logs ----------------------------------------------------------------- */

START_TEST(test_valid_request_id_is_echoed)
{
  static const char *ids[] = {"abc.DEF_1-2", "x", NULL};
  const char *long_id = harness_repeat('a', 128);
  for (int i = 0; i < 3; i++) {
    const char *id = ids[i] ? ids[i] : long_id;
    const char *h[] = {harness_fmt("X-Request-Id: %s", id), NULL};
    harness_response *r = harness_call(env, "read", "GET", "/v1/customers?limit=1", h, NULL);
    ck_assert_pstr_eq(harness_header(r, "X-Request-Id"), id);
  }
}
END_TEST

START_TEST(test_invalid_request_id_is_replaced)
{
  const char *ids[] = {"bad id", "a/b", "quote\"d", harness_repeat('a', 129)};
  for (int i = 0; i < 4; i++) {
    const char *h[] = {harness_fmt("X-Request-Id: %s", ids[i]), NULL};
    harness_response *r = harness_call(env, "read", "GET", "/v1/customers?limit=1", h, NULL);
    const char *got = harness_header(r, "X-Request-Id");
    ck_assert_msg(matches(got, "^[0-9a-fA-F]{32}$"), "request id %s for sent %s",
                  got ? got : "(none)", ids[i]);
  }
}
END_TEST

START_TEST(test_request_id_is_generated_per_request)
{
  harness_response *a = call("read", "GET", "/v1/customers?limit=1", NULL);
  harness_response *b = call("read", "GET", "/v1/customers?limit=1", NULL);
  ck_assert(matches(harness_header(a, "X-Request-Id"), "^[0-9a-fA-F]{32}$"));
  ck_assert_str_ne(harness_header(a, "X-Request-Id"), harness_header(b, "X-Request-Id"));
}
END_TEST

START_TEST(test_every_response_has_a_request_id)
{
  harness_response *rs[] = {
      call(NULL, "GET", "/healthz", NULL),
      call(NULL, "GET", "/v1/nope", NULL),
      call(NULL, "GET", "/v1/customers", NULL),
      call(NULL, "DELETE", "/v1/customers", NULL),
      call("read", "POST", "/v1/customers", "{}"),
      call("write", "POST", "/v1/customers", body_of_size(2 << 20)),
      call("write", "POST", "/v1/customers", "[]"),
      call("write", "POST", "/v1/customers", "{}"),
      call("read", "GET", "/v1/customers/987654321", NULL),
  };
  for (size_t i = 0; i < sizeof rs / sizeof *rs; i++)
    ck_assert_msg(matches(harness_header(rs[i], "X-Request-Id"), "^[0-9a-fA-F]{32}$"),
                  "%s (%ld): X-Request-Id %s", rs[i]->what, rs[i]->status,
                  harness_header(rs[i], "X-Request-Id"));
}
END_TEST

/* The log lines of the shared server whose request_id is rid (waits up to 2 s for one). */
static json_t *log_lines_for(const char *rid)
{
  json_t *found = harness_own_json(json_array());
  long long deadline = harness_now_ms() + 2000;
  do {
    json_array_clear(found);
    FILE *f = fopen(harness_server_log(env->srv), "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
      json_t *j = json_loads(line, 0, NULL);
      const char *id = json_string_value(json_object_get(j, "request_id"));
      if (id && strcmp(id, rid) == 0)
        json_array_append(found, j);
      json_decref(j);
    }
    free(line);
    fclose(f);
  } while (json_array_size(found) == 0 && harness_now_ms() < deadline && (harness_sleep_ms(20), 1));
  return found;
}

START_TEST(test_one_json_log_line_per_request)
{
  const char *rid = harness_tag("logline");
  const char *h[] = {harness_fmt("X-Request-Id: %s", rid), NULL};
  harness_assert_status(harness_call(env, "read", "GET", "/v1/customers?limit=2", h, NULL), 200);
  json_t *lines = log_lines_for(rid);
  harness_sleep_ms(100);
  lines = log_lines_for(rid);
  ck_assert_int_eq(json_array_size(lines), 1);
  json_t *l = json_array_get(lines, 0);
  harness_assert_timestamp("log time", json_string_value(json_object_get(l, "time")));
  ck_assert_pstr_eq(json_string_value(json_object_get(l, "method")), "GET");
  const char *route = json_string_value(json_object_get(l, "route"));
  ck_assert_msg(route && strncmp(route, "/v1/customers", 13) == 0, "log route %s", route);
  ck_assert_int_eq(json_integer_value(json_object_get(l, "status")), 200);
  ck_assert(json_is_integer(json_object_get(l, "status")));
  json_t *d = json_object_get(l, "duration_ms");
  ck_assert_msg(json_is_number(d) && json_number_value(d) >= 0, "log duration_ms missing");
  ck_assert_pstr_eq(json_string_value(json_object_get(l, "key")), "test-read");
}
END_TEST

START_TEST(test_log_line_of_a_rejected_request)
{
  const char *rid = harness_tag("log401");
  const char *h[] = {harness_fmt("X-Request-Id: %s", rid), NULL};
  harness_assert_status(harness_request(env->srv, "POST", "/v1/customers", h, "{}", 2), 401);
  json_t *lines = log_lines_for(rid);
  ck_assert_int_eq(json_array_size(lines), 1);
  json_t *l = json_array_get(lines, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(l, "status")), 401);
  ck_assert_pstr_eq(json_string_value(json_object_get(l, "method")), "POST");
  json_t *key = json_object_get(l, "key");
  ck_assert_msg(key == NULL || json_is_null(key), "unauthenticated request logged with a key");
}
END_TEST

/* CORS -------------------------------------------------------------------------------- */

static harness_server *cors_server(const char *origins)
{
  const char *extra[] = {harness_fmt("LTVD_CORS_ORIGINS=%s", origins), NULL};
  return harness_server_start(env->db, extra);
}

static harness_response *with_origin(harness_server *srv, const char *method, const char *path,
                                     const char *origin, const char *extra_header)
{
  const char *h[] = {auth_header(env->key_read), harness_fmt("Origin: %s", origin), extra_header,
                     NULL};
  return harness_request(srv, method, path, h, NULL, 0);
}

static void assert_cors_exposes(const harness_response *r, const char *origin)
{
  ck_assert_pstr_eq(harness_header(r, "Access-Control-Allow-Origin"), origin);
  ck_assert_msg(list_has(harness_header(r, "Vary"), "Origin"), "Vary: %s",
                harness_header(r, "Vary"));
  const char *expose = harness_header(r, "Access-Control-Expose-Headers");
  static const char *names[] = {"ETag", "Location", "Retry-After", "X-Request-Id",
                                "X-Ltvd-Data-Version"};
  for (size_t i = 0; i < 5; i++)
    ck_assert_msg(list_has(expose, names[i]), "Access-Control-Expose-Headers %s lacks %s",
                  expose ? expose : "(none)", names[i]);
}

START_TEST(test_cors_allowed_origin_gets_headers)
{
  harness_server *srv = cors_server("https://app.example.com,https://admin.example.com");
  harness_response *r = with_origin(srv, "GET", "/v1/customers", "https://admin.example.com", NULL);
  harness_assert_status(r, 200);
  assert_cors_exposes(r, "https://admin.example.com");
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_cors_other_origin_gets_no_allow_origin)
{
  harness_server *srv = cors_server("https://app.example.com");
  harness_response *r = with_origin(srv, "GET", "/v1/customers", "https://evil.example.com", NULL);
  harness_assert_status(r, 200);
  ck_assert_ptr_null(harness_header(r, "Access-Control-Allow-Origin"));
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_cors_is_off_by_default)
{
  const char *h[] = {auth_header(env->key_read), "Origin: https://app.example.com", NULL};
  harness_response *r = harness_request(env->srv, "GET", "/v1/customers", h, NULL, 0);
  harness_assert_status(r, 200);
  ck_assert_ptr_null(harness_header(r, "Access-Control-Allow-Origin"));
}
END_TEST

START_TEST(test_cors_star_allows_any_origin)
{
  harness_server *srv = cors_server("*");
  harness_response *r = with_origin(srv, "GET", "/v1/customers", "https://any.example.org", NULL);
  harness_assert_status(r, 200);
  assert_cors_exposes(r, "https://any.example.org");
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_cors_headers_on_error_responses)
{
  harness_server *srv = cors_server("https://app.example.com");
  harness_response *r =
      with_origin(srv, "GET", "/v1/customers/987654321", "https://app.example.com", NULL);
  harness_assert_problem(r, 404, NULL);
  assert_cors_exposes(r, "https://app.example.com");
  harness_server_stop_ok(srv);
}
END_TEST

static harness_response *preflight(harness_server *srv, const char *path)
{
  const char *h[] = {"Origin: https://app.example.com", "Access-Control-Request-Method: POST",
                     "Access-Control-Request-Headers: authorization, content-type", NULL};
  return harness_request(srv, "OPTIONS", path, h, NULL, 0);
}

START_TEST(test_cors_preflight_answers_204_without_key)
{
  harness_server *srv = cors_server("https://app.example.com");
  harness_response *r = preflight(srv, "/v1/customers");
  harness_assert_status(r, 204);
  ck_assert_pstr_eq(harness_header(r, "Access-Control-Allow-Origin"), "https://app.example.com");
  const char *methods = harness_header(r, "Access-Control-Allow-Methods");
  ck_assert_msg(list_has(methods, "GET") && list_has(methods, "POST"), "methods %s", methods);
  const char *allowed = harness_header(r, "Access-Control-Allow-Headers");
  static const char *names[] = {"Authorization", "Content-Type", "If-Match", "Idempotency-Key",
                                "X-Request-Id"};
  for (size_t i = 0; i < 5; i++)
    ck_assert_msg(list_has(allowed, names[i]), "Access-Control-Allow-Headers %s lacks %s",
                  allowed ? allowed : "(none)", names[i]);
  ck_assert_pstr_eq(harness_header(r, "Access-Control-Max-Age"), "600");
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_cors_preflight_lists_the_methods_of_the_path)
{
  harness_server *srv = cors_server("https://app.example.com");
  harness_response *r = preflight(srv, "/v1/customers/12");
  harness_assert_status(r, 204);
  const char *m = harness_header(r, "Access-Control-Allow-Methods");
  ck_assert_msg(list_has(m, "GET") && list_has(m, "PATCH") && list_has(m, "DELETE") &&
                    !list_has(m, "POST"),
                "methods %s", m ? m : "(none)");
  r = preflight(srv, "/v1/customers/external/abc");
  m = harness_header(r, "Access-Control-Allow-Methods");
  ck_assert_msg(list_has(m, "GET") && list_has(m, "PUT"), "methods %s", m ? m : "(none)");
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_cors_preflight_on_unknown_path_is_404)
{
  harness_server *srv = cors_server("https://app.example.com");
  harness_assert_problem(preflight(srv, "/v1/nope"), 404, NULL);
  harness_server_stop_ok(srv);
}
END_TEST

/* Rate limit -------------------------------------------------------------------------- */

static harness_server *limited_server(const char *rate)
{
  const char *extra[] = {harness_fmt("LTVD_RATE_LIMIT=%s", rate), NULL};
  return harness_server_start(env->db, extra);
}

/* Spends the key's burst (= rate): asserts the first `rate` requests pass and a 429
 * follows. */
static harness_response *exhaust(harness_server *srv, const char *key, int rate)
{
  for (int i = 0; i < rate; i++)
    harness_assert_status(request_with_key(srv, key, "GET", "/v1/customers?limit=1", NULL), 200);
  harness_response *r = NULL;
  for (int i = 0; i < (harness_under_wrapper() ? 40 : 10); i++) {
    r = request_with_key(srv, key, "GET", "/v1/customers?limit=1", NULL);
    if (r->status == 429)
      return r;
  }
  ck_abort_msg("no 429 in a burst at LTVD_RATE_LIMIT=%d (last %ld)", rate, r->status);
  return NULL;
}

START_TEST(test_rate_limit_burst_gets_429_with_retry_after)
{
  harness_server *srv = limited_server("5");
  harness_response *r = exhaust(srv, env->key_read, 5);
  harness_assert_problem(r, 429, NULL);
  ck_assert_pstr_eq(harness_header(r, "Retry-After"), "1");
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_rate_limit_refills_after_a_second)
{
  harness_server *srv = limited_server("5");
  exhaust(srv, env->key_read, 5);
  harness_sleep_ms(1100);
  harness_assert_status(request_with_key(srv, env->key_read, "GET", "/v1/customers", NULL), 200);
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_rate_limit_is_per_key)
{
  harness_server *srv = limited_server("5");
  exhaust(srv, env->key_read, 5);
  harness_assert_status(request_with_key(srv, env->key_write, "GET", "/v1/customers", NULL), 200);
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_rate_limit_comes_before_size)
{
  harness_server *srv = limited_server("1");
  exhaust(srv, env->key_write, 1);
  harness_assert_problem(
      request_with_key(srv, env->key_write, "POST", "/v1/customers", body_of_size(2 << 20)), 429,
      NULL);
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_scope_comes_before_rate_limit)
{
  harness_server *srv = limited_server("1");
  exhaust(srv, env->key_read, 1);
  harness_assert_problem(
      request_with_key(srv, env->key_read, "POST", "/v1/customers", "{\"name\":\"x\"}"), 403, NULL);
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_rate_limit_zero_turns_it_off)
{
  harness_server *srv = limited_server("0");
  for (int i = 0; i < 40; i++)
    harness_assert_status(
        request_with_key(srv, env->key_read, "GET", "/v1/customers?limit=1", NULL), 200);
  harness_server_stop_ok(srv);
}
END_TEST

/* Abusive clients ----------------------------------------------------------------------- */

START_TEST(test_oversized_header_does_not_crash)
{
  const char *h[] = {harness_fmt("X-Junk: %s", harness_repeat('j', 200000)), NULL};
  harness_response *r = harness_request(env->srv, "GET", "/healthz", h, NULL, 0);
  ck_assert_msg(r->status == 0 || r->status >= 400, "a 200 KB header was answered %ld", r->status);
  ck_assert(harness_server_alive(env->srv));
  harness_assert_status(call(NULL, "GET", "/healthz", NULL), 200);
}
END_TEST

/* A TCP connection to the server that sent `data` and then stalls. */
static int stalled_connection(const char *data)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)harness_server_port(env->srv))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_msg(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
                "cannot connect to ltvd");
  if (*data)
    ck_assert(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
  return fd;
}

START_TEST(test_stalled_clients_do_not_block_others)
{
  enum { N = 64 };
  int fds[N];
  for (int i = 0; i < N; i++)
    fds[i] = stalled_connection(i % 3 == 0   ? ""
                                : i % 3 == 1 ? "GET /v1/cust"
                                             : "POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
                                               "Content-Length: 100\r\n\r\n{\"na");
  long long start = harness_now_ms();
  harness_response *r = call("read", "GET", "/v1/customers?limit=1", NULL);
  long long took = harness_now_ms() - start;
  for (int i = 0; i < N; i++)
    close(fds[i]);
  harness_assert_status(r, 200);
  ck_assert_msg(took < 2000 || harness_under_wrapper(),
                "a request took %lld ms while %d clients stalled", took, N);
}
END_TEST

/* Database loss and shutdown ------------------------------------------------------------ */

static int terminate_backends(harness_db *db)
{
  return (int)harness_sql_int(
      db, harness_fmt("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE datname = '%s' AND pid <> pg_backend_pid()",
                      harness_db_name(db)));
}

/* Polls GET /v1/customers until 20 answers in a row are 200 (503 allowed meanwhile, as
 * each pool connection may find out about the loss on its next use); returns the ms it
 * took. */
static long long wait_recovered(harness_env *e)
{
  long long start = harness_now_ms(), limit = harness_under_wrapper() ? 30000 : 10000;
  int in_a_row = 0, unavailable = 0;
  while (in_a_row < 20) {
    harness_response *r = harness_call(e, "read", "GET", "/v1/customers", NULL, NULL);
    if (r->status == 200) {
      in_a_row++;
      continue;
    }
    in_a_row = 0;
    unavailable++;
    ck_assert_msg(r->status == 503, "after connection loss: %ld %s", r->status, r->body);
    harness_assert_problem(r, 503, NULL);
    ck_assert_msg(!strstr(r->body, "FATAL") && !strstr(r->body, "terminat"),
                  "503 leaks database details: %s", r->body);
    ck_assert_msg(harness_now_ms() - start < limit, "no recovery within %lld ms", limit);
    harness_sleep_ms(50);
  }
  fprintf(stderr, "recovered from connection loss in %lld ms after %d answers of 503\n",
          harness_now_ms() - start, unavailable);
  return harness_now_ms() - start;
}

START_TEST(test_database_connection_loss_recovers)
{
  harness_env *e = harness_env_up(NULL);
  for (int round = 0; round < 3; round++) {
    harness_assert_status(harness_call(e, "read", "GET", "/v1/customers", NULL, NULL), 200);
    ck_assert_int_gt(terminate_backends(e->db), 0);
    wait_recovered(e);
    ck_assert(harness_server_alive(e->srv));
  }
  harness_assert_status(
      harness_call(e, "write", "POST", "/v1/customers", NULL, "{\"name\":\"After loss\"}"), 201);
  harness_server_stop_ok(e->srv);
  e->srv = NULL;
  harness_env_down(e);
}
END_TEST

START_TEST(test_key_revocation_still_works_after_connection_loss)
{
  harness_env *e = harness_env_up(NULL);
  harness_assert_status(harness_call(e, "read", "GET", "/v1/customers", NULL, NULL), 200);
  terminate_backends(e->db);
  wait_recovered(e);
  harness_sleep_ms(harness_under_wrapper() ? 5000 : 1000);
  harness_sql_exec(e->db, "UPDATE api_keys SET revoked_at = now() WHERE name = 'test-read'");
  long long start = harness_now_ms(), limit = harness_under_wrapper() ? 3000 : 1000;
  long status;
  while ((status = harness_call(e, "read", "GET", "/v1/customers", NULL, NULL)->status) != 401 &&
         harness_now_ms() - start < limit + 1000)
    harness_sleep_ms(20);
  ck_assert_msg(status == 401 && harness_now_ms() - start <= limit,
                "revoked key after reconnect: %ld after %lld ms", status, harness_now_ms() - start);
  harness_server_stop_ok(e->srv);
  e->srv = NULL;
  harness_env_down(e);
}
END_TEST

struct slow_call {
  harness_server *srv;
  const char *key;
  harness_response *r;
};

static void *do_slow_call(void *arg)
{
  struct slow_call *c = arg;
  c->r = request_with_key(c->srv, c->key, "GET", "/v1/customers?limit=1", NULL);
  return NULL;
}

static bool wait_for_lock_waiter(harness_db *db)
{
  const char *sql = harness_fmt("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' "
                                "AND wait_event_type = 'Lock'",
                                harness_db_name(db));
  long long deadline = harness_now_ms() + 10000;
  while (harness_now_ms() < deadline) {
    if (harness_sql_int(db, sql) > 0)
      return true;
    harness_sleep_ms(20);
  }
  return false;
}

START_TEST(test_sigterm_drains_an_in_flight_request)
{
  harness_server *srv = harness_server_start(env->db, NULL);
  PGconn *lock = harness_db_connect(env->db);
  PQclear(PQexec(lock, "BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"));
  struct slow_call c = {srv, env->key_read, NULL};
  pthread_t t;
  pthread_create(&t, NULL, do_slow_call, &c);
  bool waiting = wait_for_lock_waiter(env->db);
  kill(harness_server_pid(srv), SIGTERM);
  harness_sleep_ms(500);
  bool alive = harness_server_alive(srv);
  harness_response *late = harness_request(srv, "GET", "/healthz", NULL, NULL, 0);
  PQclear(PQexec(lock, "COMMIT"));
  PQfinish(lock);
  pthread_join(t, NULL);
  ck_assert_msg(waiting, "the request never reached the database");
  ck_assert_msg(alive, "ltvd exited with a request in flight");
  ck_assert_msg(late->status == 0 || late->status == 503,
                "a new request after SIGTERM was answered %ld", late->status);
  harness_assert_status(c.r, 200);
  harness_server_stop_ok(srv);
}
END_TEST

START_TEST(test_sigint_exits_0)
{
  harness_server *srv = harness_server_start(env->db, NULL);
  kill(harness_server_pid(srv), SIGINT);
  int st = harness_server_wait(srv, 20000);
  ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGINT: wait status %d", st);
  harness_server_stop_ok(srv);
}
END_TEST

/* The binary ------------------------------------------------------------------------------ */

static bool exited_ok(int status)
{
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool exited_failing(int status)
{
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0;
}

START_TEST(test_version_prints_the_version)
{
  const char *args[] = {"version", NULL};
  char *out;
  ck_assert(exited_ok(harness_ltvd(env->db, args, &out, 30)));
  ck_assert_msg(strncmp(out, "ltvd 0.1.0", 10) == 0, "version printed %s", out);
}
END_TEST

START_TEST(test_migrate_twice_changes_nothing)
{
  const char *args[] = {"migrate", NULL};
  char *out;
  const char *before = harness_db_digest(env->db);
  ck_assert(exited_ok(harness_ltvd(env->db, args, &out, 60)));
  ck_assert_str_eq(harness_db_digest(env->db), before);
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM schema_migrations"),
                   SCHEMA_VERSION);
}
END_TEST

START_TEST(test_serve_refuses_an_unmigrated_database)
{
  harness_db *db = harness_db_create_bare();
  const char *args[] = {"serve", "--listen", "127.0.0.1:0", NULL};
  char *out;
  int status = harness_ltvd(db, args, &out, 20);
  harness_db_drop(db);
  ck_assert_msg(exited_failing(status), "serve on an unmigrated database: wait status %d", status);
}
END_TEST

START_TEST(test_serve_migrate_applies_pending_migrations)
{
  harness_db *db = harness_db_create_bare();
  harness_server *srv = harness_server_start_args(db, NULL, "--migrate");
  harness_response *r = harness_request(srv, "GET", "/readyz", NULL, NULL, 0);
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "schema_version"), SCHEMA_VERSION);
  harness_server_stop_ok(srv);
  harness_db_drop(db);
}
END_TEST

START_TEST(test_serve_refuses_a_newer_schema)
{
  harness_db *db = harness_db_create();
  harness_sql_exec(db, "INSERT INTO schema_migrations (version, name, applied_at) "
                       "VALUES (999, '0999_future.sql', now())");
  const char *args[] = {"serve", "--listen", "127.0.0.1:0", NULL};
  char *out;
  int status = harness_ltvd(db, args, &out, 20);
  harness_db_drop(db);
  ck_assert_msg(exited_failing(status), "serve on a newer schema: wait status %d", status);
}
END_TEST

/* Suite ------------------------------------------------------------------------------- */

static Suite *http_suite(void)
{
  Suite *s = suite_create("http");
  TCase *tc = harness_tcase("operations");
  tcase_add_test(tc, test_healthz_answers_ok_without_key);
  tcase_add_test(tc, test_readyz_reports_schema_version);
  tcase_add_test(tc, test_openapi_is_an_openapi_3_1_document);
  tcase_add_test(tc, test_metrics_is_prometheus_text);
  suite_add_tcase(s, tc);

  tc = harness_tcase("auth");
  tcase_add_test(tc, test_missing_key_is_401_with_www_authenticate);
  tcase_add_test(tc, test_unknown_key_is_401);
  tcase_add_test(tc, test_malformed_authorization_is_401);
  tcase_add_test(tc, test_read_key_cannot_write);
  tcase_add_test(tc, test_write_and_admin_keys_can_read);
  tcase_add_test(tc, test_key_create_prints_a_key_in_contract_format);
  tcase_add_test(tc, test_key_created_while_serving_works);
  tcase_add_test(tc, test_revoked_key_stops_working_within_1_second);
  suite_add_tcase(s, tc);

  tc = harness_tcase("order");
  tcase_add_test(tc, test_unknown_route_is_404_problem);
  tcase_add_test(tc, test_unknown_route_without_key_is_404_not_401);
  tcase_add_test(tc, test_wrong_method_is_405_with_allow);
  tcase_add_test(tc, test_wrong_method_without_key_is_405_not_401);
  tcase_add_test(tc, test_body_over_1_mib_is_413);
  tcase_add_test(tc, test_body_of_exactly_1_mib_is_not_413);
  tcase_add_test(tc, test_read_key_with_oversized_body_is_403_not_413);
  tcase_add_test(tc, test_no_key_with_oversized_body_is_401_not_413);
  tcase_add_test(tc, test_no_key_with_bad_json_is_401_not_400);
  tcase_add_test(tc, test_read_key_with_bad_json_is_403_not_400);
  tcase_add_test(tc, test_bad_json_is_400_before_validation);
  tcase_add_test(tc, test_validation_comes_before_precondition);
  tcase_add_test(tc, test_precondition_comes_before_conflict);
  suite_add_tcase(s, tc);

  tc = harness_tcase("request_id_and_log");
  tcase_add_test(tc, test_valid_request_id_is_echoed);
  tcase_add_test(tc, test_invalid_request_id_is_replaced);
  tcase_add_test(tc, test_request_id_is_generated_per_request);
  tcase_add_test(tc, test_every_response_has_a_request_id);
  tcase_add_test(tc, test_one_json_log_line_per_request);
  tcase_add_test(tc, test_log_line_of_a_rejected_request);
  suite_add_tcase(s, tc);

  tc = harness_tcase("cors");
  tcase_add_test(tc, test_cors_allowed_origin_gets_headers);
  tcase_add_test(tc, test_cors_other_origin_gets_no_allow_origin);
  tcase_add_test(tc, test_cors_is_off_by_default);
  tcase_add_test(tc, test_cors_star_allows_any_origin);
  tcase_add_test(tc, test_cors_headers_on_error_responses);
  tcase_add_test(tc, test_cors_preflight_answers_204_without_key);
  tcase_add_test(tc, test_cors_preflight_lists_the_methods_of_the_path);
  tcase_add_test(tc, test_cors_preflight_on_unknown_path_is_404);
  suite_add_tcase(s, tc);

  tc = harness_tcase("rate_limit");
  tcase_add_test(tc, test_rate_limit_burst_gets_429_with_retry_after);
  tcase_add_test(tc, test_rate_limit_refills_after_a_second);
  tcase_add_test(tc, test_rate_limit_is_per_key);
  tcase_add_test(tc, test_rate_limit_comes_before_size);
  tcase_add_test(tc, test_scope_comes_before_rate_limit);
  tcase_add_test(tc, test_rate_limit_zero_turns_it_off);
  suite_add_tcase(s, tc);

  tc = harness_tcase("binary");
  tcase_add_test(tc, test_version_prints_the_version);
  tcase_add_test(tc, test_migrate_twice_changes_nothing);
  tcase_add_test(tc, test_serve_refuses_an_unmigrated_database);
  tcase_add_test(tc, test_serve_migrate_applies_pending_migrations);
  tcase_add_test(tc, test_serve_refuses_a_newer_schema);
  suite_add_tcase(s, tc);

  tc = harness_tcase("abuse");
  tcase_add_test(tc, test_oversized_header_does_not_crash);
  tcase_add_test(tc, test_stalled_clients_do_not_block_others);
  suite_add_tcase(s, tc);

  tc = harness_tcase("resilience");
  tcase_add_test(tc, test_database_connection_loss_recovers);
  tcase_add_test(tc, test_key_revocation_still_works_after_connection_loss);
  tcase_add_test(tc, test_sigterm_drains_an_in_flight_request);
  tcase_add_test(tc, test_sigint_exits_0);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  return harness_run(http_suite(), env);
}
