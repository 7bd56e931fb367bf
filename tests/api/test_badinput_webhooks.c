/* Invalid input over every alert and webhook endpoint, as a table (the form of
 * test_badinput.c): each case gives the request, the status it must get and the field
 * its problem body must name, and asserts that the database did not change and that the
 * server is still up. Cases expecting 200 are hostile but valid list requests: they must
 * answer an empty list.
 *
 * The seed: an inactive subscription ({id}; {other} is the next id, which does not exist),
 * two alerts, a delivery given up ({delivery}) and one a sender holds ({held}). Nothing is
 * due, so the sender leaves the database alone while the table runs. */
#include "badinput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static harness_env *env;
static long long sub_id, delivery_id, held_id;

/* Generated bodies and paths ------------------------------------------------------------- */

static const char *body_2mb(void)
{
  return bad_body_2mb("url");
}

static const char *deep_3000(void)
{
  return bad_nested_arrays(3000);
}

static const char *url_2049(void)
{
  return harness_fmt("{\"url\":\"http://127.0.0.1/%s\"}", harness_repeat('u', 2049 - 17));
}

static const char *events_1000(void)
{
  const char *e = "";
  for (int i = 0; i < 1000; i++)
    e = harness_fmt("%s%s\"churned\"", e, i ? "," : "");
  return harness_fmt("{\"url\":\"http://127.0.0.1:1/\",\"events\":[%s]}", e);
}

static const char *expand(const char *text)
{
  static const struct {
    const char *name;
    long long *value;
  } more[] = {{"{delivery}", &delivery_id}, {"{held}", &held_id}};
  const char *p;

  for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
    size_t n = strlen(more[i].name);
    while (text && (p = strstr(text, more[i].name)) != NULL)
      text = harness_fmt("%.*s%lld%s", (int)(p - text), text, *more[i].value, p + n);
  }
  return bad_case_expand_ids(text, sub_id);
}

#define AL "/v1/alerts"
#define WS "/v1/webhook-subscriptions"
#define ITEM WS "/{id}"
#define DL ITEM "/deliveries"
#define RETRY "/v1/webhook-deliveries/{delivery}/retry"
#define U(s) "{\"url\":\"http://127.0.0.1:1/hook\"," s "}"

/* clang-format off */
static const struct bad_case cases[] = {
    /* the alert log */
    {.name = "alerts bad type", .method = "GET", .path = AL "?type=bogus", .scope = "read", .status = 400, .field = "type"},
    {.name = "alerts empty type", .method = "GET", .path = AL "?type=", .scope = "read", .status = 400, .field = "type"},
    {.name = "alerts sql type", .method = "GET", .path = AL "?type=x%27%3B--", .scope = "read", .status = 400, .field = "type"},
    {.name = "alerts type twice", .method = "GET", .path = AL "?type=churned&type=churned", .scope = "read", .status = 400, .field = "type"},
    {.name = "alerts customer 0", .method = "GET", .path = AL "?customer_id=0", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "alerts customer -1", .method = "GET", .path = AL "?customer_id=-1", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "alerts customer text", .method = "GET", .path = AL "?customer_id=abc", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "alerts customer 2^64", .method = "GET", .path = AL "?customer_id=18446744073709551616", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "alerts after -1", .method = "GET", .path = AL "?after=-1", .scope = "read", .status = 400, .field = "after"},
    {.name = "alerts after text", .method = "GET", .path = AL "?after=abc", .scope = "read", .status = 400, .field = "after"},
    {.name = "alerts after 1.5", .method = "GET", .path = AL "?after=1.5", .scope = "read", .status = 400, .field = "after"},
    {.name = "alerts after +1", .method = "GET", .path = AL "?after=%2B1", .scope = "read", .status = 400, .field = "after"},
    {.name = "alerts after empty", .method = "GET", .path = AL "?after=", .scope = "read", .status = 400, .field = "after"},
    {.name = "alerts after 2^63", .method = "GET", .path = AL "?after=9223372036854775808", .scope = "read", .status = 400, .field = "after"},
    {.name = "alerts limit 0", .method = "GET", .path = AL "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "alerts limit 1001", .method = "GET", .path = AL "?limit=1001", .scope = "read", .status = 400, .field = "limit"},
    {.name = "alerts limit text", .method = "GET", .path = AL "?limit=ten", .scope = "read", .status = 400, .field = "limit"},
    {.name = "alerts unknown query", .method = "GET", .path = AL "?since=1", .scope = "read", .status = 400, .field = "since"},
    {.name = "alerts no key", .method = "GET", .path = AL, .status = 401},
    {.name = "alerts post", .method = "POST", .path = AL, .scope = "write", .body = "{}", .status = 405},
    {.name = "alerts of another type", .method = "GET", .path = AL "?type=churned", .scope = "read", .status = 200},
    {.name = "alerts past the end", .method = "GET", .path = AL "?after=9223372036854775807", .scope = "read", .status = 200},
    {.name = "alerts of nobody", .method = "GET", .path = AL "?customer_id=9007199254740991", .scope = "read", .status = 200},

    /* create: syntax */
    {.name = "create malformed json", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":", .status = 400},
    {.name = "create empty body", .method = "POST", .path = WS, .scope = "admin", .body = "", .status = 400},
    {.name = "create array body", .method = "POST", .path = WS, .scope = "admin", .body = "[]", .status = 400},
    {.name = "create invalid utf-8", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"http://a\xff\"}", .status = 400},
    {.name = "create duplicate key", .method = "POST", .path = WS, .scope = "admin", .body = U("\"url\":\"http://b/\""), .status = 400},
    {.name = "create deep nesting", .method = "POST", .path = WS, .scope = "admin", .make_body = deep_3000, .status = 400},
    {.name = "create 2 MB body", .method = "POST", .path = WS, .scope = "admin", .make_body = body_2mb, .status = 413},
    {.name = "create unknown query", .method = "POST", .path = WS "?x=1", .scope = "admin", .body = U("\"active\":true"), .status = 400, .field = "x"},
    {.name = "create write key", .method = "POST", .path = WS, .scope = "write", .body = U("\"active\":true"), .status = 403},
    {.name = "create read key", .method = "POST", .path = WS, .scope = "read", .body = U("\"active\":true"), .status = 403},
    {.name = "create no key", .method = "POST", .path = WS, .body = U("\"active\":true"), .status = 401},
    /* create: content */
    {.name = "create missing url", .method = "POST", .path = WS, .scope = "admin", .body = "{\"events\":[]}", .status = 422, .field = "url"},
    {.name = "create null url", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":null}", .status = 422, .field = "url"},
    {.name = "create number url", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":7}", .status = 422, .field = "url"},
    {.name = "create empty url", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"\"}", .status = 422, .field = "url"},
    {.name = "create ftp url", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"ftp://127.0.0.1/x\"}", .status = 422, .field = "url"},
    {.name = "create javascript url", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"javascript:alert(1)\"}", .status = 422, .field = "url"},
    {.name = "create relative url", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"/v1/hooks/x\"}", .status = 422, .field = "url"},
    {.name = "create url without host", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"http://\"}", .status = 422, .field = "url"},
    {.name = "create url with space", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"http://a b/\"}", .status = 422, .field = "url"},
    {.name = "create url with newline", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"http://a/\\r\\nX-Evil: 1\"}", .status = 422, .field = "url"},
    {.name = "create url bad ipv6", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"http://[::1/\"}", .status = 422, .field = "url"},
    {.name = "create url bad port", .method = "POST", .path = WS, .scope = "admin", .body = "{\"url\":\"http://a:99999/\"}", .status = 422, .field = "url"},
    {.name = "create url of 2049", .method = "POST", .path = WS, .scope = "admin", .make_body = url_2049, .status = 422, .field = "url"},
    {.name = "create events object", .method = "POST", .path = WS, .scope = "admin", .body = U("\"events\":{}"), .status = 422, .field = "events"},
    {.name = "create events string", .method = "POST", .path = WS, .scope = "admin", .body = U("\"events\":\"churned\""), .status = 422, .field = "events"},
    {.name = "create events number", .method = "POST", .path = WS, .scope = "admin", .body = U("\"events\":[1]"), .status = 422, .field = "events"},
    {.name = "create events null element", .method = "POST", .path = WS, .scope = "admin", .body = U("\"events\":[null]"), .status = 422, .field = "events"},
    {.name = "create events unknown type", .method = "POST", .path = WS, .scope = "admin", .body = U("\"events\":[\"churned\",\"signal\"]"), .status = 422, .field = "events"},
    {.name = "create events wrong case", .method = "POST", .path = WS, .scope = "admin", .body = U("\"events\":[\"Churned\"]"), .status = 422, .field = "events"},
    {.name = "create events twice", .method = "POST", .path = WS, .scope = "admin", .body = U("\"events\":[\"churned\",\"churned\"]"), .status = 422, .field = "events"},
    {.name = "create events 1000", .method = "POST", .path = WS, .scope = "admin", .make_body = events_1000, .status = 422, .field = "events"},
    {.name = "create active string", .method = "POST", .path = WS, .scope = "admin", .body = U("\"active\":\"yes\""), .status = 422, .field = "active"},
    {.name = "create active number", .method = "POST", .path = WS, .scope = "admin", .body = U("\"active\":1"), .status = 422, .field = "active"},
    {.name = "create active null", .method = "POST", .path = WS, .scope = "admin", .body = U("\"active\":null"), .status = 422, .field = "active"},
    {.name = "create secret given", .method = "POST", .path = WS, .scope = "admin", .body = U("\"secret\":\"mine\""), .status = 422, .field = "secret"},
    {.name = "create id given", .method = "POST", .path = WS, .scope = "admin", .body = U("\"id\":5"), .status = 422, .field = "id"},
    {.name = "create version given", .method = "POST", .path = WS, .scope = "admin", .body = U("\"version\":1"), .status = 422, .field = "version"},
    {.name = "create created_at given", .method = "POST", .path = WS, .scope = "admin", .body = U("\"created_at\":\"2026-01-01T00:00:00Z\""), .status = 422, .field = "created_at"},
    {.name = "create unknown member", .method = "POST", .path = WS, .scope = "admin", .body = U("\"colour\":\"red\""), .status = 422, .field = "colour"},
    {.name = "put collection", .method = "PUT", .path = WS, .scope = "admin", .body = U("\"active\":true"), .status = 405},

    /* list */
    {.name = "list limit 0", .method = "GET", .path = WS "?limit=0", .scope = "admin", .status = 400, .field = "limit"},
    {.name = "list plain after", .method = "GET", .path = WS "?after=5", .scope = "admin", .status = 400, .field = "after"},
    {.name = "list bad cursor", .method = "GET", .path = WS "?after=%25%25", .scope = "admin", .status = 400, .field = "after"},
    {.name = "list unknown query", .method = "GET", .path = WS "?active=true", .scope = "admin", .status = 400, .field = "active"},
    {.name = "list read key", .method = "GET", .path = WS, .scope = "read", .status = 403},

    /* one subscription */
    {.name = "get id 0", .method = "GET", .path = WS "/0", .scope = "admin", .status = 400},
    {.name = "get id -1", .method = "GET", .path = WS "/-1", .scope = "admin", .status = 400},
    {.name = "get id text", .method = "GET", .path = WS "/abc", .scope = "admin", .status = 400},
    {.name = "get id 1.0", .method = "GET", .path = WS "/1.0", .scope = "admin", .status = 400},
    {.name = "get id 2^63", .method = "GET", .path = WS "/9223372036854775808", .scope = "admin", .status = 400},
    {.name = "get unknown", .method = "GET", .path = WS "/{other}", .scope = "admin", .status = 404},
    {.name = "get write key", .method = "GET", .path = ITEM, .scope = "write", .status = 403},
    {.name = "get unknown query", .method = "GET", .path = ITEM "?x=1", .scope = "admin", .status = 400, .field = "x"},
    {.name = "put item", .method = "PUT", .path = ITEM, .scope = "admin", .body = U("\"active\":true"), .status = 405},
    {.name = "post item", .method = "POST", .path = ITEM, .scope = "admin", .body = U("\"active\":true"), .status = 405},
    {.name = "patch malformed json", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"url\"", .status = 400},
    {.name = "patch array body", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "[]", .status = 400},
    {.name = "patch bad id", .method = "PATCH", .path = WS "/x", .scope = "admin", .body = "{}", .status = 400},
    {.name = "patch unknown", .method = "PATCH", .path = WS "/{other}", .scope = "admin", .body = "{\"active\":true}", .status = 404},
    {.name = "patch url null", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"url\":null}", .status = 422, .field = "url"},
    {.name = "patch url ftp", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"url\":\"ftp://a/\"}", .status = 422, .field = "url"},
    {.name = "patch url number", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"url\":1}", .status = 422, .field = "url"},
    {.name = "patch events unknown", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"events\":[\"x\"]}", .status = 422, .field = "events"},
    {.name = "patch events number", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"events\":3}", .status = 422, .field = "events"},
    {.name = "patch active null", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"active\":null}", .status = 422, .field = "active"},
    {.name = "patch active string", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"active\":\"true\"}", .status = 422, .field = "active"},
    {.name = "patch secret", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"secret\":\"0000\"}", .status = 422, .field = "secret"},
    {.name = "patch id", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"id\":2}", .status = 422, .field = "id"},
    {.name = "patch unknown member", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"name\":\"x\"}", .status = 422, .field = "name"},
    {.name = "patch version string", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"version\":\"1\"}", .status = 422, .field = "version"},
    {.name = "patch stale version", .method = "PATCH", .path = ITEM, .scope = "admin", .body = "{\"version\":99,\"active\":true}", .status = 412},
    {.name = "patch stale if-match", .method = "PATCH", .path = ITEM, .scope = "admin", .header = "If-Match: \"99\"", .body = "{\"active\":true}", .status = 412},
    {.name = "patch write key", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"active\":true}", .status = 403},
    {.name = "delete unknown", .method = "DELETE", .path = WS "/{other}", .scope = "admin", .status = 404},
    {.name = "delete bad id", .method = "DELETE", .path = WS "/0x1", .scope = "admin", .status = 400},
    {.name = "delete stale if-match", .method = "DELETE", .path = ITEM, .scope = "admin", .header = "If-Match: \"99\"", .status = 412},
    {.name = "delete write key", .method = "DELETE", .path = ITEM, .scope = "write", .status = 403},
    {.name = "delete no key", .method = "DELETE", .path = ITEM, .status = 401},

    /* deliveries */
    {.name = "deliveries of unknown", .method = "GET", .path = WS "/{other}/deliveries", .scope = "admin", .status = 404},
    {.name = "deliveries bad id", .method = "GET", .path = WS "/x/deliveries", .scope = "admin", .status = 400},
    {.name = "deliveries bad state", .method = "GET", .path = DL "?state=done", .scope = "admin", .status = 400, .field = "state"},
    {.name = "deliveries limit 0", .method = "GET", .path = DL "?limit=0", .scope = "admin", .status = 400, .field = "limit"},
    {.name = "deliveries bad cursor", .method = "GET", .path = DL "?after=zz", .scope = "admin", .status = 400, .field = "after"},
    {.name = "deliveries unknown query", .method = "GET", .path = DL "?alert_id=1", .scope = "admin", .status = 400, .field = "alert_id"},
    {.name = "deliveries read key", .method = "GET", .path = DL, .scope = "read", .status = 403},
    {.name = "deliveries post", .method = "POST", .path = DL, .scope = "admin", .body = "{}", .status = 405},
    {.name = "deliveries none delivered", .method = "GET", .path = DL "?state=delivered", .scope = "admin", .status = 200},

    /* retry */
    {.name = "retry bad id", .method = "POST", .path = "/v1/webhook-deliveries/abc/retry", .scope = "admin", .status = 400},
    {.name = "retry id 0", .method = "POST", .path = "/v1/webhook-deliveries/0/retry", .scope = "admin", .status = 400},
    {.name = "retry unknown", .method = "POST", .path = "/v1/webhook-deliveries/987654321/retry", .scope = "admin", .status = 404},
    {.name = "retry held", .method = "POST", .path = "/v1/webhook-deliveries/{held}/retry", .scope = "admin", .status = 409},
    {.name = "retry unknown query", .method = "POST", .path = RETRY "?now=1", .scope = "admin", .status = 400, .field = "now"},
    {.name = "retry get", .method = "GET", .path = RETRY, .scope = "admin", .status = 405},
    {.name = "retry write key", .method = "POST", .path = RETRY, .scope = "write", .status = 403},
    {.name = "retry read key", .method = "POST", .path = RETRY, .scope = "read", .status = 403},
    {.name = "retry no key", .method = "POST", .path = RETRY, .status = 401},
    {.name = "delivery item", .method = "GET", .path = "/v1/webhook-deliveries/{delivery}", .scope = "admin", .status = 404},
};
/* clang-format on */

#define N_CASES ((int)(sizeof cases / sizeof *cases))

START_TEST(test_bad_input_is_rejected_without_change)
{
  bad_case_check(env, &cases[_i], expand, NULL);
}
END_TEST

START_TEST(test_server_survives_every_case)
{
  harness_assert_status(harness_call(env, NULL, "GET", "/readyz", NULL, NULL), 200);
  harness_response *r = harness_call(
      env, "admin", "GET", harness_fmt("/v1/webhook-subscriptions/%lld", sub_id), NULL, NULL);
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "version"), 1);
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM webhook_subscriptions"), 1);
}
END_TEST

static Suite *badinput_suite(void)
{
  Suite *s = suite_create("badinput_webhooks");
  TCase *tc = harness_tcase("table");
  tcase_add_loop_test(tc, test_bad_input_is_rejected_without_change, 0, N_CASES);
  suite_add_tcase(s, tc);
  tc = harness_tcase("after");
  tcase_add_test(tc, test_server_survives_every_case);
  suite_add_tcase(s, tc);
  return s;
}

static void seed(void)
{
  char auth[128];
  const char *h[] = {auth, NULL};
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", env->key_admin);
  harness_response *r =
      harness_request(env->srv, "POST", "/v1/webhook-subscriptions", h,
                      "{\"url\":\"http://127.0.0.1:1/seed\",\"active\":false}", (size_t)-1);
  if (r->status != 201) {
    fprintf(stderr, "cannot create the seed subscription: %ld %s\n", r->status, r->body);
    exit(1);
  }
  sub_id = json_integer_value(json_object_get(r->json, "id"));
  harness_response_free(r);
  harness_sql_exec(env->db, "INSERT INTO alerts (type, customer_id) VALUES ('renewal_due', 1), "
                            "('renewal_due', 2)");
  char *sql = harness_fmt("WITH d AS (INSERT INTO webhook_deliveries (subscription_id, alert_id, "
                          "state, claim, claimed_until) SELECT %lld, id, CASE WHEN customer_id = "
                          "1 THEN 'gave_up' ELSE 'pending' END, CASE WHEN customer_id = 2 THEN "
                          "gen_random_uuid() END, CASE WHEN customer_id = 2 THEN now() + "
                          "interval '1 day' END FROM alerts ORDER BY id RETURNING id) SELECT "
                          "min(id) FROM d",
                          sub_id);
  delivery_id = harness_sql_int(env->db, sql);
  held_id = delivery_id + 1;
  harness_free_all();
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  seed();
  return harness_run(badinput_suite(), env);
}
