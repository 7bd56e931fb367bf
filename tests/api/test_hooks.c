/* Inbound webhooks over HTTP (issue 7, SPEC section 6): hook sources (admin: the secret
 * shown once, rotation keeping the old secret for 24 hours) and signed deliveries to
 * /v1/hooks/{name} (stored, duplicate, unmatched, rejected; a bad, stale or missing
 * signature is a 401 that leaves the database unchanged). Signatures are computed here
 * with libcrypto exactly as a sender would. */
#include "harness.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static harness_env *env;
static int tag_counter;

/* Helpers ------------------------------------------------------------------------------ */

static const char *new_name(const char *prefix)
{
  return harness_fmt("%s-%d-%d", prefix, (int)getpid(), ++tag_counter);
}

static harness_response *admin(const char *method, const char *path, const char *body)
{
  return harness_call(env, "admin", method, path, NULL, body);
}

/* The header a sender puts on body at now + offset seconds. */
static const char *sign(const char *secret, const char *body, long offset)
{
  long long t = (long long)time(NULL) + offset;
  char *msg = harness_fmt("%lld.%s", t, body);
  unsigned char mac[32];
  unsigned int len = 0;
  char hex[65];
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, strlen(msg), mac,
       &len);
  ck_assert_uint_eq(len, 32);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return harness_fmt("X-Ltvd-Signature: t=%lld,v1=%s", t, hex);
}

/* POSTs body to /v1/hooks/name with the given signature header line (NULL: none). */
static harness_response *deliver_with(const char *name, const char *header, const char *body)
{
  const char *h[] = {header, NULL};
  return harness_request(env->srv, "POST", harness_fmt("/v1/hooks/%s", name), header ? h : NULL,
                         body, (size_t)-1);
}

static harness_response *deliver(const char *name, const char *secret, const char *body)
{
  return deliver_with(name, sign(secret, body, 0), body);
}

/* Creates a source (asserting 201) and returns its secret. */
static const char *create_source(const char *name)
{
  harness_response *r = admin("POST", "/v1/hook-sources", harness_fmt("{\"name\":\"%s\"}", name));
  harness_assert_status(r, 201);
  const char *secret = harness_json_str(r, "secret");
  ck_assert_msg(secret != NULL, "no secret in %s", r->body);
  return secret;
}

static const char *rotate(const char *name)
{
  harness_response *r = admin("POST", harness_fmt("/v1/hook-sources/%s/rotate", name), NULL);
  harness_assert_status(r, 200);
  const char *secret = harness_json_str(r, "secret");
  ck_assert_msg(secret != NULL, "no secret in %s", r->body);
  return secret;
}

static const char *event(const char *id, const char *type, const char *customer)
{
  return harness_fmt("{\"event_id\":\"%s\",\"type\":\"%s\",\"customer_external_id\":\"%s\","
                     "\"occurred_at\":\"2026-11-20T08:00:00Z\"}",
                     id, type, customer);
}

static json_t *result(const harness_response *r, size_t i)
{
  json_t *results = json_object_get(r->json, "results");
  ck_assert_msg(json_is_array(results) && i < json_array_size(results),
                "%s: no result %zu in %.400s", r->what, i, r->body);
  return json_array_get(results, i);
}

static void assert_result(const harness_response *r, size_t i, const char *event_id,
                          const char *status)
{
  json_t *res = result(r, i);
  const char *got = json_string_value(json_object_get(res, "status"));
  const char *id = json_string_value(json_object_get(res, "event_id"));
  ck_assert_msg(got && strcmp(got, status) == 0, "%s: result %zu is %s, expected %s (%.600s)",
                r->what, i, got ? got : "(none)", status, r->body);
  ck_assert_msg(event_id ? id && strcmp(id, event_id) == 0 : id == NULL,
                "%s: result %zu has event_id %s", r->what, i, id ? id : "(null)");
  json_t *reason = json_object_get(res, "reason");
  ck_assert_msg(strcmp(status, "rejected") == 0 ? json_is_string(reason) : json_is_null(reason),
                "%s: result %zu has reason %s", r->what, i, r->body);
  ck_assert_int_eq(json_object_size(res), 3);
}

static const char *reason(const harness_response *r, size_t i)
{
  return json_string_value(json_object_get(result(r, i), "reason"));
}

static long long signals_of(const char *source, const char *event_id)
{
  return harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM signals WHERE source = '%s' "
                                              "AND event_id = '%s'",
                                              source, event_id));
}

static void new_customer(const char *external_id)
{
  harness_response *r =
      harness_call(env, "write", "POST", "/v1/customers", NULL,
                   harness_fmt("{\"name\":\"Hooked\",\"external_id\":\"%s\"}", external_id));
  harness_assert_status(r, 201);
}

/* Asserts a 401 problem from the delivery and no change to the database. */
static void assert_refused(const char *label, const char *name, const char *header,
                           const char *body)
{
  const char *before = harness_db_digest(env->db);
  harness_response *r = deliver_with(name, header, body);
  harness_response_label(r, label);
  harness_assert_problem(r, 401, NULL);
  ck_assert_msg(harness_header(r, "WWW-Authenticate") != NULL, "[%s] no WWW-Authenticate", label);
  ck_assert_msg(strcmp(harness_db_digest(env->db), before) == 0, "[%s] changed the database",
                label);
}

/* Hook sources ------------------------------------------------------------------------- */

START_TEST(test_create_shows_the_secret_once)
{
  const char *name = new_name("src");
  harness_response *r = admin("POST", "/v1/hook-sources", harness_fmt("{\"name\":\"%s\"}", name));
  harness_assert_status(r, 201);
  ck_assert_pstr_eq(harness_header(r, "Location"), harness_fmt("/v1/hook-sources/%s", name));
  ck_assert_pstr_eq(harness_header(r, "Cache-Control"), "no-store");
  ck_assert_msg(harness_header(r, "X-Ltvd-Data-Version") == NULL, "sources are not data");
  const char *secret = harness_json_str(r, "secret");
  ck_assert_int_eq(strlen(secret), 64);
  ck_assert_int_eq(strspn(secret, "0123456789abcdef"), 64);
  ck_assert_pstr_eq(harness_json_str(r, "name"), name);
  ck_assert_pstr_eq(harness_json_str(r, "path"), harness_fmt("/v1/hooks/%s", name));
  harness_assert_timestamp("created_at", harness_json_str(r, "created_at"));
  ck_assert(json_is_null(json_object_get(r->json, "rotated_at")));
  ck_assert(json_is_null(json_object_get(r->json, "previous_secret_valid_until")));
  ck_assert_int_eq(json_object_size(r->json), 6);

  harness_response *g = admin("GET", harness_fmt("/v1/hook-sources/%s", name), NULL);
  harness_assert_status(g, 200);
  ck_assert_msg(strstr(g->body, secret) == NULL && json_object_get(g->json, "secret") == NULL,
                "GET shows the secret: %s", g->body);
  ck_assert_int_eq(json_object_size(g->json), 5);
  harness_response *l = admin("GET", "/v1/hook-sources?limit=1000", NULL);
  harness_assert_status(l, 200);
  ck_assert_msg(strstr(l->body, name) != NULL && strstr(l->body, secret) == NULL,
                "the list must show the source and not its secret: %s", l->body);
  /* another source gets another secret */
  ck_assert_str_ne(create_source(new_name("src")), secret);
}
END_TEST

START_TEST(test_list_pages_by_name)
{
  const char *prefix = new_name("pg");
  for (int i = 0; i < 3; i++)
    create_source(harness_fmt("%s-%d", prefix, i));
  const char *after = NULL;
  int seen = 0, pages = 0;
  do {
    harness_response *r = admin("GET",
                                harness_fmt("/v1/hook-sources?limit=2%s%s", after ? "&after=" : "",
                                            after ? harness_urlenc(after) : ""),
                                NULL);
    harness_assert_status(r, 200);
    json_t *results = json_object_get(r->json, "results");
    size_t i;
    json_t *s;
    json_array_foreach(results, i, s)
    {
      if (strncmp(json_string_value(json_object_get(s, "name")), prefix, strlen(prefix)) == 0)
        seen++;
    }
    json_t *next = json_object_get(json_object_get(r->json, "paging"), "next");
    after = next ? harness_fmt("%s", json_string_value(json_object_get(next, "after"))) : NULL;
    ck_assert_int_lt(++pages, 100);
  } while (after);
  ck_assert_int_eq(seen, 3);
}
END_TEST

START_TEST(test_only_admin_keys_reach_hook_sources)
{
  const char *name = new_name("adm");
  create_source(name);
  const char *item = harness_fmt("/v1/hook-sources/%s", name);
  struct {
    const char *method, *path, *body;
  } ops[] = {{"GET", "/v1/hook-sources", NULL},
             {"POST", "/v1/hook-sources", "{\"name\":\"never\"}"},
             {"GET", item, NULL},
             {"DELETE", item, NULL},
             {"POST", harness_fmt("%s/rotate", item), NULL}};
  const char *before = harness_db_digest(env->db);
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    harness_response *r = harness_call(env, "write", ops[i].method, ops[i].path, NULL, ops[i].body);
    harness_assert_problem(r, 403, NULL);
    r = harness_call(env, "read", ops[i].method, ops[i].path, NULL, ops[i].body);
    harness_assert_problem(r, 403, NULL);
    r = harness_call(env, NULL, ops[i].method, ops[i].path, NULL, ops[i].body);
    harness_assert_problem(r, 401, NULL);
  }
  ck_assert_str_eq(harness_db_digest(env->db), before);
}
END_TEST

START_TEST(test_delete_ends_deliveries)
{
  const char *name = new_name("del");
  const char *secret = create_source(name);
  const char *body = event(new_name("e"), "web_visit", "nobody");
  harness_assert_status(deliver(name, secret, body), 200);
  harness_response *r = admin("DELETE", harness_fmt("/v1/hook-sources/%s", name), NULL);
  harness_assert_status(r, 204);
  harness_assert_problem(admin("DELETE", harness_fmt("/v1/hook-sources/%s", name), NULL), 404,
                         NULL);
  harness_assert_problem(admin("GET", harness_fmt("/v1/hook-sources/%s", name), NULL), 404, NULL);
  assert_refused("deleted source", name, sign(secret, body, 0),
                 event(new_name("e"), "web_visit", "nobody"));
  /* the name is free again, with a new secret; the old one stays refused */
  const char *again = create_source(name);
  ck_assert_str_ne(again, secret);
  const char *b2 = event(new_name("e"), "web_visit", "nobody");
  assert_refused("old secret of a recreated source", name, sign(secret, b2, 0), b2);
  harness_assert_status(deliver(name, again, b2), 200);
}
END_TEST

START_TEST(test_rotation_keeps_the_old_secret_for_a_day)
{
  const char *name = new_name("rot");
  const char *old = create_source(name);
  harness_response *r = admin("POST", harness_fmt("/v1/hook-sources/%s/rotate", name), NULL);
  harness_assert_status(r, 200);
  ck_assert_pstr_eq(harness_header(r, "Cache-Control"), "no-store");
  const char *fresh = harness_json_str(r, "secret");
  ck_assert_str_ne(fresh, old);
  harness_assert_timestamp("rotated_at", harness_json_str(r, "rotated_at"));
  harness_assert_timestamp("previous_secret_valid_until",
                           harness_json_str(r, "previous_secret_valid_until"));
  long long hours = harness_sql_int(
      env->db, harness_fmt("SELECT round(extract(epoch FROM previous_valid_until - now()) / 3600) "
                           "FROM hook_sources WHERE name = '%s'",
                           name));
  ck_assert_int_eq(hours, 24);
  harness_response *g = admin("GET", harness_fmt("/v1/hook-sources/%s", name), NULL);
  ck_assert_msg(strstr(g->body, fresh) == NULL && strstr(g->body, old) == NULL,
                "GET shows a secret: %s", g->body);

  const char *e1 = new_name("e"), *e2 = new_name("e");
  r = deliver(name, old, event(e1, "call", "nobody"));
  harness_assert_status(r, 200);
  assert_result(r, 0, e1, "unmatched");
  r = deliver(name, fresh, event(e2, "call", "nobody"));
  harness_assert_status(r, 200);
  assert_result(r, 0, e2, "unmatched");

  /* a day later the old secret is refused, the new one still works */
  harness_sql_exec(env->db, harness_fmt("UPDATE hook_sources SET previous_valid_until = now() - "
                                        "interval '1 second' WHERE name = '%s'",
                                        name));
  const char *b = event(new_name("e"), "call", "nobody");
  assert_refused("expired previous secret", name, sign(old, b, 0), b);
  ck_assert(json_is_null(
      json_object_get(admin("GET", harness_fmt("/v1/hook-sources/%s", name), NULL)->json,
                      "previous_secret_valid_until")));
  harness_assert_status(deliver(name, fresh, b), 200);

  /* a second rotation: the secret before the last is gone at once */
  const char *third = rotate(name);
  const char *b3 = event(new_name("e"), "call", "nobody");
  assert_refused("secret before the last", name, sign(old, b3, 0), b3);
  harness_assert_status(deliver(name, fresh, b3), 200);
  const char *b4 = event(new_name("e"), "call", "nobody");
  harness_assert_status(deliver(name, third, b4), 200);
}
END_TEST

/* Deliveries ------------------------------------------------------------------------------ */

START_TEST(test_signed_event_is_stored_as_a_signal_of_the_source)
{
  const char *name = new_name("st");
  const char *secret = create_source(name);
  const char *cust = new_name("cust");
  new_customer(cust);
  const char *id = new_name("e");
  const char *body =
      harness_fmt("{\"event_id\":\"%s\",\"type\":\"usage\",\"customer_external_id\":"
                  "\"%s\",\"occurred_at\":\"2026-11-20T08:00:00.5Z\",\"value\":0.75}",
                  id, cust);
  harness_response *r = deliver(name, secret, body);
  harness_assert_status(r, 200);
  ck_assert_msg(harness_header(r, "X-Ltvd-Data-Version") != NULL, "no X-Ltvd-Data-Version");
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 1);
  assert_result(r, 0, id, "stored");
  ck_assert_int_eq(signals_of(name, id), 1);
  ck_assert_int_eq(
      harness_sql_int(env->db,
                      harness_fmt("SELECT count(*) FROM signals s JOIN customers c ON "
                                  "c.id = s.customer_id WHERE s.event_id = '%s' AND "
                                  "c.external_id = '%s' AND s.type = 'usage' AND s.value = 0.75",
                                  id, cust)),
      1);
  /* the same body and signature again: a duplicate, stored once */
  r = deliver(name, secret, body);
  harness_assert_status(r, 200);
  assert_result(r, 0, id, "duplicate");
  ck_assert_int_eq(signals_of(name, id), 1);
}
END_TEST

START_TEST(test_batch_answers_each_event_in_order)
{
  const char *name = new_name("b");
  const char *secret = create_source(name);
  const char *cust = new_name("cust");
  new_customer(cust);
  const char *e[6];
  for (int i = 0; i < 6; i++)
    e[i] = new_name("e");
  const char *body =
      harness_fmt("{\"events\":[%s,%s,%s,%s,%s,"
                  "{\"event_id\":\"%s\",\"type\":\"call\",\"customer_external_id\":\"%s\","
                  "\"occurred_at\":\"2026-11-20T08:00:00Z\",\"source\":\"other\"},"
                  "{\"type\":\"call\",\"customer_external_id\":\"%s\",\"occurred_at\":\"2026-11-"
                  "20T08:00:00Z\"},"
                  "42]}",
                  event(e[0], "email_open", cust), event(e[1], "web_visit", "unknown-customer"),
                  event(e[2], "usage", cust), event(e[0], "email_open", cust),
                  event(e[3], "nps", cust), e[4], cust, cust);
  harness_response *r = deliver(name, secret, body);
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 8);
  assert_result(r, 0, e[0], "stored");
  assert_result(r, 1, e[1], "unmatched");
  assert_result(r, 2, e[2], "rejected");
  ck_assert_msg(strstr(reason(r, 2), "value") != NULL, "reason %s", reason(r, 2));
  assert_result(r, 3, e[0], "duplicate");
  assert_result(r, 4, e[3], "rejected");
  ck_assert_msg(strstr(reason(r, 4), "nps") != NULL, "reason %s", reason(r, 4));
  assert_result(r, 5, e[4], "rejected");
  ck_assert_msg(strstr(reason(r, 5), "source") != NULL, "reason %s", reason(r, 5));
  assert_result(r, 6, NULL, "rejected");
  ck_assert_msg(strstr(reason(r, 6), "event_id") != NULL, "reason %s", reason(r, 6));
  assert_result(r, 7, NULL, "rejected");
  ck_assert_int_eq(signals_of(name, e[0]), 1);
  ck_assert_int_eq(signals_of(name, e[1]), 1);
  for (int i = 2; i < 5; i++)
    ck_assert_int_eq(signals_of(name, e[i]), 0);
  ck_assert_int_eq(
      harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM signals WHERE event_id = '%s' "
                                           "AND customer_id IS NULL AND customer_external_id = "
                                           "'unknown-customer'",
                                           e[1])),
      1);
  /* the unmatched signal joins the customer once it appears */
  new_customer("unknown-customer");
  ck_assert_int_eq(
      harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM signals WHERE event_id = '%s' "
                                           "AND customer_id IS NOT NULL",
                                           e[1])),
      1);
  /* a replay of the whole delivery stores nothing new */
  long long total = harness_sql_int(env->db, "SELECT count(*) FROM signals");
  r = deliver(name, secret, body);
  harness_assert_status(r, 200);
  assert_result(r, 0, e[0], "duplicate");
  assert_result(r, 1, e[1], "duplicate");
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM signals"), total);
}
END_TEST

START_TEST(test_event_ids_are_per_source)
{
  const char *a = new_name("a"), *b = new_name("b");
  const char *sa = create_source(a), *sb = create_source(b);
  const char *id = new_name("e");
  const char *body = event(id, "meeting", "nobody");
  assert_result(deliver(a, sa, body), 0, id, "unmatched");
  assert_result(deliver(b, sb, body), 0, id, "unmatched");
  ck_assert_int_eq(signals_of(a, id), 1);
  ck_assert_int_eq(signals_of(b, id), 1);
  /* a key holder posting to /v1/signals with the hook's source sees the duplicate */
  harness_response *r = harness_call(
      env, "write", "POST", "/v1/signals", NULL,
      harness_fmt("{\"event_id\":\"%s\",\"type\":\"meeting\",\"customer_external_id\":\"nobody\","
                  "\"occurred_at\":\"2026-11-20T08:00:00Z\",\"source\":\"%s\"}",
                  id, a));
  harness_assert_status(r, 200);
  ck_assert_pstr_eq(harness_json_str(r, "status"), "duplicate");
}
END_TEST

START_TEST(test_bad_stale_or_missing_signatures_store_nothing)
{
  const char *name = new_name("sig");
  const char *secret = create_source(name);
  const char *other = create_source(new_name("other"));
  const char *body = event(new_name("e"), "call", "nobody");
  const char *good = sign(secret, body, 0);
  char *flipped = harness_fmt("%s", good);
  flipped[strlen(flipped) - 1] = flipped[strlen(flipped) - 1] == '0' ? '1' : '0';

  assert_refused("missing", name, NULL, body);
  assert_refused("empty", name, "X-Ltvd-Signature:", body);
  assert_refused("garbage", name, "X-Ltvd-Signature: hello", body);
  assert_refused("no v1", name, harness_fmt("X-Ltvd-Signature: t=%lld", (long long)time(NULL)),
                 body);
  assert_refused("one bit off", name, flipped, body);
  assert_refused("another source's secret", name, sign(other, body, 0), body);
  assert_refused("signed another body", name, sign(secret, "{}", 0), body);
  /* 310, not 301: the clock may tick between signing and checking */
  assert_refused("stale", name, sign(secret, body, -310), body);
  assert_refused("future", name, sign(secret, body, 310), body);
  assert_refused("unknown source", new_name("nosuch"), good, body);
  assert_refused("invalid source name", "-x", good, body);
  assert_refused("bearer key instead", name,
                 harness_fmt("Authorization: Bearer %s", env->key_admin), body);
  /* a bad signature on a body that is not even JSON is still a 401, not a 400 */
  assert_refused("not json", name, sign(other, "{", 0), "{");
  /* the same answer for an unknown source and a wrong signature */
  harness_response *a = deliver_with(new_name("nosuch"), good, body);
  harness_response *b = deliver_with(name, flipped, body);
  ck_assert_pstr_eq(harness_json_str(a, "detail"), harness_json_str(b, "detail"));
  /* within the window either way, it works */
  harness_assert_status(deliver_with(name, sign(secret, body, -290), body), 200);
  const char *b2 = event(new_name("e"), "call", "nobody");
  harness_assert_status(deliver_with(name, sign(secret, b2, 290), b2), 200);
}
END_TEST

START_TEST(test_several_v1_values_one_matching)
{
  const char *name = new_name("multi");
  const char *secret = create_source(name);
  const char *body = event(new_name("e"), "call", "nobody");
  const char *good = sign(secret, body, 0);
  const char *v1 = strstr(good, "v1=");
  const char *t = strstr(good, "t=");
  const char *h = harness_fmt("X-Ltvd-Signature: %.*s,v1=%s,%s", (int)(v1 - t - 1), t,
                              harness_repeat('0', 64), v1);
  harness_assert_status(deliver_with(name, h, body), 200);
}
END_TEST

/* Bad input: one table for every new endpoint ---------------------------------------------- */

static const char *known_source, *known_secret;

static const char *big_body(void)
{
  char *b = harness_repeat(' ', (1 << 20) + 10);
  b[0] = '{';
  b[(1 << 20) + 9] = '}';
  return b;
}

static const char *events_n(int n)
{
  json_t *events = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(events,
                          json_pack("{s:s, s:s, s:s, s:s}", "event_id", harness_fmt("bulk-%d", i),
                                    "type", "call", "customer_external_id", "nobody", "occurred_at",
                                    "2026-11-20T08:00:00Z"));
  return harness_dump(json_pack("{s:o}", "events", events));
}

struct bad_case {
  const char *name;
  const char *method;
  const char *path;
  const char *scope; /* NULL: no key */
  const char *header;
  const char *body;
  bool signed_body; /* deliveries: sign body with the known source's secret */
  long status;
  const char *field;
};

#define SRC "/v1/hook-sources"
#define KNOWN "/v1/hook-sources/known-src"
#define HOOK "/v1/hooks/known-src"

/* clang-format off */
static const struct bad_case cases[] = {
    {"create malformed json", "POST", SRC, "admin", NULL, "{\"name\":", false, 400, NULL},
    {"create array body", "POST", SRC, "admin", NULL, "[]", false, 400, NULL},
    {"create empty body", "POST", SRC, "admin", NULL, "", false, 400, NULL},
    {"create duplicate member", "POST", SRC, "admin", NULL, "{\"name\":\"a\",\"name\":\"b\"}", false, 400, NULL},
    {"create unknown query", "POST", SRC "?x=1", "admin", NULL, "{\"name\":\"q\"}", false, 400, "x"},
    {"create missing name", "POST", SRC, "admin", NULL, "{}", false, 422, "name"},
    {"create null name", "POST", SRC, "admin", NULL, "{\"name\":null}", false, 422, "name"},
    {"create number name", "POST", SRC, "admin", NULL, "{\"name\":7}", false, 422, "name"},
    {"create empty name", "POST", SRC, "admin", NULL, "{\"name\":\"\"}", false, 422, "name"},
    {"create name with slash", "POST", SRC, "admin", NULL, "{\"name\":\"a/b\"}", false, 422, "name"},
    {"create name with space", "POST", SRC, "admin", NULL, "{\"name\":\"a b\"}", false, 422, "name"},
    {"create name starting with dash", "POST", SRC, "admin", NULL, "{\"name\":\"-a\"}", false, 422, "name"},
    {"create sql name", "POST", SRC, "admin", NULL, "{\"name\":\"x'; DROP TABLE hook_sources; --\"}", false, 422, "name"},
    {"create unknown member", "POST", SRC, "admin", NULL, "{\"name\":\"ok1\",\"colour\":\"red\"}", false, 422, "colour"},
    {"create secret given", "POST", SRC, "admin", NULL, "{\"name\":\"ok2\",\"secret\":\"mine\"}", false, 422, "secret"},
    {"create idempotency key", "POST", SRC, "admin", "Idempotency-Key: k1", "{\"name\":\"ok3\"}", false, 422, "Idempotency-Key"},
    {"create taken name", "POST", SRC, "admin", NULL, "{\"name\":\"known-src\"}", false, 409, "name"},
    {"create write key", "POST", SRC, "write", NULL, "{\"name\":\"ok4\"}", false, 403, NULL},
    {"create no key", "POST", SRC, NULL, NULL, "{\"name\":\"ok5\"}", false, 401, NULL},
    {"list bad limit", "GET", SRC "?limit=0", "admin", NULL, NULL, false, 400, "limit"},
    {"list bad cursor", "GET", SRC "?after=%25%25", "admin", NULL, NULL, false, 400, "after"},
    {"list unknown query", "GET", SRC "?name=x", "admin", NULL, NULL, false, 400, "name"},
    {"list read key", "GET", SRC, "read", NULL, NULL, false, 403, NULL},
    {"put collection", "PUT", SRC, "admin", NULL, "{}", false, 405, NULL},
    {"get unknown", "GET", SRC "/nosuch", "admin", NULL, NULL, false, 404, NULL},
    {"get invalid name", "GET", SRC "/a%20b", "admin", NULL, NULL, false, 404, NULL},
    {"get bad escape", "GET", SRC "/%ZZ", "admin", NULL, NULL, false, 400, NULL},
    {"get write key", "GET", KNOWN, "write", NULL, NULL, false, 403, NULL},
    {"delete unknown", "DELETE", SRC "/nosuch", "admin", NULL, NULL, false, 404, NULL},
    {"delete sql", "DELETE", SRC "/x%27%3B--", "admin", NULL, NULL, false, 404, NULL},
    {"delete write key", "DELETE", KNOWN, "write", NULL, NULL, false, 403, NULL},
    {"patch source", "PATCH", KNOWN, "admin", NULL, "{}", false, 405, NULL},
    {"rotate unknown", "POST", SRC "/nosuch/rotate", "admin", NULL, NULL, false, 404, NULL},
    {"rotate idempotency key", "POST", KNOWN "/rotate", "admin", "Idempotency-Key: k2", NULL, false, 422, "Idempotency-Key"},
    {"rotate write key", "POST", KNOWN "/rotate", "write", NULL, NULL, false, 403, NULL},
    {"rotate no key", "POST", KNOWN "/rotate", NULL, NULL, NULL, false, 401, NULL},
    {"rotate get", "GET", KNOWN "/rotate", "admin", NULL, NULL, false, 405, NULL},
    {"hook get", "GET", HOOK, NULL, NULL, NULL, false, 405, NULL},
    {"hook unsigned", "POST", HOOK, NULL, NULL, "{}", false, 401, NULL},
    {"hook with admin key only", "POST", HOOK, "admin", NULL, "{}", false, 401, NULL},
    {"hook 1 MiB + 10", "POST", HOOK, NULL, NULL, NULL, true, 413, NULL},
    {"hook malformed json", "POST", HOOK, NULL, NULL, "{\"events\":", true, 400, NULL},
    {"hook array body", "POST", HOOK, NULL, NULL, "[]", true, 400, NULL},
    {"hook empty body", "POST", HOOK, NULL, NULL, "", true, 400, NULL},
    {"hook invalid utf-8", "POST", HOOK, NULL, NULL, "{\"event_id\":\"\xff\"}", true, 400, NULL},
    {"hook unknown query", "POST", HOOK "?x=1", NULL, NULL, "{}", true, 400, "x"},
    {"hook events not an array", "POST", HOOK, NULL, NULL, "{\"events\":{}}", true, 422, "events"},
    {"hook events empty", "POST", HOOK, NULL, NULL, "{\"events\":[]}", true, 422, "events"},
    {"hook events null", "POST", HOOK, NULL, NULL, "{\"events\":null}", true, 422, "events"},
    {"hook 1001 events", "POST", HOOK, NULL, NULL, NULL, true, 422, "events"},
    {"hook events beside another member", "POST", HOOK, NULL, NULL, "{\"events\":[{}],\"source\":\"x\"}", true, 422, "source"},
};
/* clang-format on */
#define N_CASES ((int)(sizeof cases / sizeof *cases))

static const char *sources_digest(void)
{
  return harness_sql_value(env->db, "SELECT md5(coalesce(string_agg(h::text, ',' ORDER BY name), "
                                    "'')) FROM hook_sources h");
}

START_TEST(test_bad_input_is_rejected_without_change)
{
  const struct bad_case *c = &cases[_i];
  const char *body = c->body;
  if (strcmp(c->name, "hook 1 MiB + 10") == 0)
    body = big_body();
  else if (strcmp(c->name, "hook 1001 events") == 0)
    body = events_n(1001);
  const char *headers[4] = {NULL};
  int n = 0;
  if (c->header)
    headers[n++] = c->header;
  if (c->signed_body)
    headers[n++] = sign(known_secret, body, 0);
  /* a refused Idempotency-Key keeps its 422 as the key's record, as on every POST: there
   * only the sources must be unchanged */
  bool idem = c->header && strncmp(c->header, "Idempotency-Key", 15) == 0;
  const char *before = idem ? sources_digest() : harness_db_digest(env->db);
  harness_response *r = harness_call(env, c->scope, c->method, c->path, headers, body);
  harness_response_label(r, c->name);
  harness_assert_problem(r, c->status, NULL);
  if (c->field)
    ck_assert_msg(harness_problem_mentions(r, c->field), "[%s] the problem does not name %s: %s",
                  c->name, c->field, r->body);
  ck_assert_msg(strcmp(idem ? sources_digest() : harness_db_digest(env->db), before) == 0,
                "[%s] changed the database", c->name);
  ck_assert_msg(harness_server_alive(env->srv), "[%s] ltvd died", c->name);
}
END_TEST

START_TEST(test_1000_events_are_accepted)
{
  harness_response *r = deliver(known_source, known_secret, events_n(1000));
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 1000);
  ck_assert_int_eq(harness_sql_int(env->db,
                                   "SELECT count(*) FROM signals WHERE source = 'known-src' AND "
                                   "event_id LIKE 'bulk-%'"),
                   1000);
}
END_TEST

/* Suite ------------------------------------------------------------------------------------ */

static Suite *hooks_suite(void)
{
  Suite *s = suite_create("hooks");
  TCase *tc = harness_tcase("sources");
  tcase_add_test(tc, test_create_shows_the_secret_once);
  tcase_add_test(tc, test_list_pages_by_name);
  tcase_add_test(tc, test_only_admin_keys_reach_hook_sources);
  tcase_add_test(tc, test_delete_ends_deliveries);
  tcase_add_test(tc, test_rotation_keeps_the_old_secret_for_a_day);
  suite_add_tcase(s, tc);

  tc = harness_tcase("deliveries");
  tcase_add_test(tc, test_signed_event_is_stored_as_a_signal_of_the_source);
  tcase_add_test(tc, test_batch_answers_each_event_in_order);
  tcase_add_test(tc, test_event_ids_are_per_source);
  tcase_add_test(tc, test_bad_stale_or_missing_signatures_store_nothing);
  tcase_add_test(tc, test_several_v1_values_one_matching);
  suite_add_tcase(s, tc);

  tc = harness_tcase("bad_input");
  tcase_add_loop_test(tc, test_bad_input_is_rejected_without_change, 0, N_CASES);
  tcase_add_test(tc, test_1000_events_are_accepted);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  char auth[128];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", env->key_admin);
  const char *h[] = {auth, NULL};
  harness_response *r =
      harness_request(env->srv, "POST", "/v1/hook-sources", h, "{\"name\":\"known-src\"}", -1);
  if (r->status != 201 || !json_is_string(json_object_get(r->json, "secret"))) {
    fprintf(stderr, "cannot create the known source: %ld %s\n", r->status, r->body);
    exit(1);
  }
  known_source = "known-src";
  known_secret = strdup(json_string_value(json_object_get(r->json, "secret")));
  harness_response_free(r);
  int status = harness_run(hooks_suite(), env);
  free((char *)known_secret);
  return status;
}
