/* Invalid input over every MRR, signal and timeline endpoint, as a table (like
 * test_badinput.c): each case gives the request, the status it must get and the field
 * its problem body must name, and asserts that the database did not change
 * (harness_db_digest) and that the server is still up. Cases expecting 200 are hostile
 * but valid requests (SQL metacharacters as filter values): they must answer an empty
 * list. */
#include "badinput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static harness_env *env;
static long long seed_id;

/* Generated bodies --------------------------------------------------------------------- */

static const char *body_2mb(void)
{
  return bad_body_2mb("lines");
}

static const char *deep(const char *prefix, int depth)
{
  return harness_fmt("%s%s}", prefix, bad_nested_arrays(depth));
}

static const char *deep_lines(void)
{
  return deep("{\"lines\":", 3000);
}

static const char *deep_inputs(void)
{
  return deep("{\"inputs\":", 3000);
}

static const char *deep_signal(void)
{
  return deep("{\"type\":\"call\",\"value\":", 3000);
}

static const char *lines_1001(void)
{
  json_t *lines = json_array();
  for (int i = 0; i < 1001; i++)
    json_array_append_new(lines,
                          json_pack("{s:s, s:i}", "product", harness_fmt("p%d", i), "mrr", 1));
  return harness_dump(json_pack("{s:o}", "lines", lines));
}

static const char *mrr_batch_1001(void)
{
  json_t *inputs = json_array();
  for (int i = 0; i < 1001; i++)
    json_array_append_new(inputs, json_pack("{s:I, s:s, s:s, s:i}", "customer_id",
                                            (json_int_t)seed_id, "product", "bad-a", "month",
                                            harness_fmt("%04d-01", 1000 + i), "mrr", 1));
  return harness_dump(json_pack("{s:o}", "inputs", inputs));
}

static const char *signal_batch_1001(void)
{
  json_t *inputs = json_array();
  for (int i = 0; i < 1001; i++)
    json_array_append_new(inputs, json_pack("{s:I, s:s, s:s}", "customer_id", (json_int_t)seed_id,
                                            "type", "call", "occurred_at", "2025-01-01T00:00:00Z"));
  return harness_dump(json_pack("{s:o}", "inputs", inputs));
}

static const char *signal_with(const char *field, size_t n)
{
  json_t *o = json_pack("{s:I, s:s, s:s}", "customer_id", (json_int_t)seed_id, "type", "call",
                        "occurred_at", "2025-01-01T00:00:00Z");
  json_object_set_new(o, field, json_string(harness_repeat('e', n)));
  return harness_dump(o);
}

static const char *event_id_256(void)
{
  return signal_with("event_id", 256);
}

static const char *source_101(void)
{
  return signal_with("source", 101);
}

static const char *product_101(void)
{
  return signal_with("product", 101);
}

static const char *external_id_256(void)
{
  return harness_dump(json_pack("{s:s, s:s, s:s}", "customer_external_id", harness_repeat('x', 256),
                                "type", "call", "occurred_at", "2025-01-01T00:00:00Z"));
}

static const char *after_1000(void)
{
  return harness_fmt("/v1/signals?after=%s", harness_repeat('A', 1000));
}

/* The table ------------------------------------------------------------------------------ */

#define MONTH "/v1/customers/{id}/mrr/2025-01"
#define MRR "/v1/customers/{id}/mrr"
#define MB "/v1/mrr/batch"
#define S "/v1/signals"
#define SB "/v1/signals/batch"
#define CS "/v1/customers/{id}/signals"
#define TL "/v1/customers/{id}/timeline"
#define LINE(s) "{\"lines\":[" s "]}"
#define SIG(s)                                                                                     \
  "{\"customer_id\":{id},\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"" s "}"
#define TYPED(t, s)                                                                                \
  "{\"customer_id\":{id},\"type\":\"" t "\",\"occurred_at\":\"2025-01-01T00:00:00Z\"" s "}"
#define AT(s) "{\"customer_id\":{id},\"type\":\"call\",\"occurred_at\":\"" s "\"}"
#define ML(s)                                                                                      \
  "{\"inputs\":[{\"customer_id\":{id},\"product\":\"bad-a\",\"month\":\"2025-01\",\"mrr\":1}," s   \
  "]}"
#define SL(s) "{\"inputs\":[" SIG("") "," s "]}"

/* clang-format off */
static const struct bad_case cases[] = {
    /* PUT month: syntax */
    {.name = "month malformed json", .method = "PUT", .path = MONTH, .scope = "write", .body = "{\"lines\":", .status = 400},
    {.name = "month array body", .method = "PUT", .path = MONTH, .scope = "write", .body = "[]", .status = 400},
    {.name = "month empty body", .method = "PUT", .path = MONTH, .scope = "write", .body = "", .status = 400},
    {.name = "month invalid utf-8", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-\xff\",\"mrr\":1}"), .status = 400},
    {.name = "month u0000", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\\u0000\",\"mrr\":1}"), .status = 400},
    {.name = "month mrr beyond 64-bit", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":99999999999999999999}"), .status = 400},
    {.name = "month deep nesting", .method = "PUT", .path = MONTH, .scope = "write", .make_body = deep_lines, .status = 400},
    {.name = "month 2 MB", .method = "PUT", .path = MONTH, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "month 13 in path", .method = "PUT", .path = "/v1/customers/{id}/mrr/2025-13", .scope = "write", .body = "{\"lines\":[]}", .status = 400, .field = "month"},
    {.name = "month 00 in path", .method = "PUT", .path = "/v1/customers/{id}/mrr/2025-00", .scope = "write", .body = "{\"lines\":[]}", .status = 400, .field = "month"},
    {.name = "month one digit", .method = "PUT", .path = "/v1/customers/{id}/mrr/2025-1", .scope = "write", .body = "{\"lines\":[]}", .status = 400, .field = "month"},
    {.name = "month a date", .method = "PUT", .path = "/v1/customers/{id}/mrr/2025-01-01", .scope = "write", .body = "{\"lines\":[]}", .status = 400, .field = "month"},
    {.name = "month words", .method = "PUT", .path = "/v1/customers/{id}/mrr/january", .scope = "write", .body = "{\"lines\":[]}", .status = 400, .field = "month"},
    {.name = "month sql", .method = "PUT", .path = "/v1/customers/{id}/mrr/2025-01%27%3B--", .scope = "write", .body = "{\"lines\":[]}", .status = 400, .field = "month"},
    {.name = "month customer id abc", .method = "PUT", .path = "/v1/customers/abc/mrr/2025-01", .scope = "write", .body = "{\"lines\":[]}", .status = 400},
    {.name = "month customer id 0", .method = "PUT", .path = "/v1/customers/0/mrr/2025-01", .scope = "write", .body = "{\"lines\":[]}", .status = 400},
    {.name = "month customer absent", .method = "PUT", .path = "/v1/customers/999999/mrr/2025-01", .scope = "write", .body = "{\"lines\":[]}", .status = 404},
    {.name = "month unknown query parameter", .method = "PUT", .path = MONTH "?x=1", .scope = "write", .body = "{\"lines\":[]}", .status = 400, .field = "x"},
    {.name = "month read scope", .method = "PUT", .path = MONTH, .scope = "read", .body = "{\"lines\":[]}", .status = 403},
    {.name = "month no key", .method = "PUT", .path = MONTH, .body = "{\"lines\":[]}", .status = 401},
    {.name = "month POST", .method = "POST", .path = MONTH, .scope = "write", .body = "{\"lines\":[]}", .status = 405},
    /* PUT month: content */
    {.name = "month lines missing", .method = "PUT", .path = MONTH, .scope = "write", .body = "{}", .status = 422, .field = "lines"},
    {.name = "month lines null", .method = "PUT", .path = MONTH, .scope = "write", .body = "{\"lines\":null}", .status = 422, .field = "lines"},
    {.name = "month lines object", .method = "PUT", .path = MONTH, .scope = "write", .body = "{\"lines\":{}}", .status = 422, .field = "lines"},
    {.name = "month unknown field", .method = "PUT", .path = MONTH, .scope = "write", .body = "{\"lines\":[],\"extra\":1}", .status = 422, .field = "extra"},
    {.name = "month read-only currency", .method = "PUT", .path = MONTH, .scope = "write", .body = "{\"lines\":[],\"currency\":\"USD\"}", .status = 422, .field = "currency"},
    {.name = "month read-only month", .method = "PUT", .path = MONTH, .scope = "write", .body = "{\"lines\":[],\"month\":\"2025-01\"}", .status = 422, .field = "month"},
    {.name = "month line not object", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("1"), .status = 422, .field = "lines[0]"},
    {.name = "month line product missing", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"mrr\":1}"), .status = 422, .field = "lines[0].product"},
    {.name = "month line product number", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":1,\"mrr\":1}"), .status = 422, .field = "lines[0].product"},
    {.name = "month line product empty", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"\",\"mrr\":1}"), .status = 422, .field = "lines[0].product"},
    {.name = "month line product unknown", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":1},{\"product\":\"nope\",\"mrr\":1}"), .status = 422, .field = "lines[1].product"},
    {.name = "month line product sql", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"x'; DROP TABLE mrr_lines; --\",\"mrr\":1}"), .status = 422, .field = "lines[0].product"},
    {.name = "month line duplicate product", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":1},{\"product\":\"bad-a\",\"mrr\":2}"), .status = 422, .field = "lines[1].product"},
    {.name = "month line mrr missing", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\"}"), .status = 422, .field = "lines[0].mrr"},
    {.name = "month line mrr null", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":null}"), .status = 422, .field = "lines[0].mrr"},
    {.name = "month line mrr -1", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":-1}"), .status = 422, .field = "lines[0].mrr"},
    {.name = "month line mrr 1.5", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":1.5}"), .status = 422, .field = "lines[0].mrr"},
    {.name = "month line mrr 1.0", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":1.0}"), .status = 422, .field = "lines[0].mrr"},
    {.name = "month line mrr string", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":\"1\"}"), .status = 422, .field = "lines[0].mrr"},
    {.name = "month line mrr 2^53", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":9007199254740992}"), .status = 422, .field = "lines[0].mrr"},
    {.name = "month line unknown field", .method = "PUT", .path = MONTH, .scope = "write", .body = LINE("{\"product\":\"bad-a\",\"mrr\":1,\"month\":\"2025-01\"}"), .status = 422, .field = "lines[0].month"},
    {.name = "month 1001 lines", .method = "PUT", .path = MONTH, .scope = "write", .make_body = lines_1001, .status = 422, .field = "lines"},

    /* GET mrr */
    {.name = "mrr from 13", .method = "GET", .path = MRR "?from=2025-13", .scope = "read", .status = 400, .field = "from"},
    {.name = "mrr to text", .method = "GET", .path = MRR "?to=now", .scope = "read", .status = 400, .field = "to"},
    {.name = "mrr from empty", .method = "GET", .path = MRR "?from=", .scope = "read", .status = 400, .field = "from"},
    {.name = "mrr from date", .method = "GET", .path = MRR "?from=2025-01-01", .scope = "read", .status = 400, .field = "from"},
    {.name = "mrr from after to", .method = "GET", .path = MRR "?from=2025-02&to=2025-01", .scope = "read", .status = 400, .field = "from"},
    {.name = "mrr limit not a parameter", .method = "GET", .path = MRR "?limit=5", .scope = "read", .status = 400, .field = "limit"},
    {.name = "mrr repeated from", .method = "GET", .path = MRR "?from=2025-01&from=2025-02", .scope = "read", .status = 400, .field = "from"},
    {.name = "mrr id abc", .method = "GET", .path = "/v1/customers/abc/mrr", .scope = "read", .status = 400},
    {.name = "mrr customer absent", .method = "GET", .path = "/v1/customers/999999/mrr", .scope = "read", .status = 404},
    {.name = "mrr no key", .method = "GET", .path = MRR, .status = 401},

    /* POST mrr batch */
    {.name = "mrr batch malformed", .method = "POST", .path = MB, .scope = "write", .body = "{\"inputs\":[", .status = 400},
    {.name = "mrr batch array body", .method = "POST", .path = MB, .scope = "write", .body = "[]", .status = 400},
    {.name = "mrr batch deep nesting", .method = "POST", .path = MB, .scope = "write", .make_body = deep_inputs, .status = 400},
    {.name = "mrr batch beyond 64-bit", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":123456789012345678901234,\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":1}"), .status = 400},
    {.name = "mrr batch 2 MB", .method = "POST", .path = MB, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "mrr batch read scope", .method = "POST", .path = MB, .scope = "read", .body = ML(""), .status = 403},
    {.name = "mrr batch without inputs", .method = "POST", .path = MB, .scope = "write", .body = "{}", .status = 422, .field = "inputs"},
    {.name = "mrr batch of 0", .method = "POST", .path = MB, .scope = "write", .body = "{\"inputs\":[]}", .status = 422, .field = "inputs"},
    {.name = "mrr batch of 1001", .method = "POST", .path = MB, .scope = "write", .make_body = mrr_batch_1001, .status = 422, .field = "inputs"},
    {.name = "mrr batch inputs object", .method = "POST", .path = MB, .scope = "write", .body = "{\"inputs\":{}}", .status = 422, .field = "inputs"},
    {.name = "mrr batch unknown member", .method = "POST", .path = MB, .scope = "write", .body = "{\"inputs\":[],\"x\":1}", .status = 422, .field = "x"},
    {.name = "mrr batch input not object", .method = "POST", .path = MB, .scope = "write", .body = ML("1"), .status = 422, .index = 2},
    {.name = "mrr batch no customer", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":1}"), .status = 422, .field = "customer_id", .index = 2},
    {.name = "mrr batch both customers", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"customer_external_id\":\"seed-1\",\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":1}"), .status = 422, .index = 2},
    {.name = "mrr batch customer unknown", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":999999,\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":1}"), .status = 422, .field = "customer_id", .index = 2},
    {.name = "mrr batch customer string", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":\"1\",\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":1}"), .status = 422, .field = "customer_id", .index = 2},
    {.name = "mrr batch external unknown", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_external_id\":\"nobody\",\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":1}"), .status = 422, .field = "customer_external_id", .index = 2},
    {.name = "mrr batch product unknown", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"nope\",\"month\":\"2025-02\",\"mrr\":1}"), .status = 422, .field = "product", .index = 2},
    {.name = "mrr batch product missing", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"month\":\"2025-02\",\"mrr\":1}"), .status = 422, .field = "product", .index = 2},
    {.name = "mrr batch month missing", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"bad-a\",\"mrr\":1}"), .status = 422, .field = "month", .index = 2},
    {.name = "mrr batch month 13", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"bad-a\",\"month\":\"2025-13\",\"mrr\":1}"), .status = 422, .field = "month", .index = 2},
    {.name = "mrr batch month a date", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"bad-a\",\"month\":\"2025-02-01\",\"mrr\":1}"), .status = 422, .field = "month", .index = 2},
    {.name = "mrr batch month number", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"bad-a\",\"month\":202502,\"mrr\":1}"), .status = 422, .field = "month", .index = 2},
    {.name = "mrr batch mrr -1", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":-1}"), .status = 422, .field = "mrr", .index = 2},
    {.name = "mrr batch mrr 2.5", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":2.5}"), .status = 422, .field = "mrr", .index = 2},
    {.name = "mrr batch unknown field", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_id\":{id},\"product\":\"bad-a\",\"month\":\"2025-02\",\"mrr\":1,\"note\":1}"), .status = 422, .field = "note", .index = 2},
    {.name = "mrr batch duplicate line", .method = "POST", .path = MB, .scope = "write", .body = ML("{\"customer_external_id\":\"seed-1\",\"product\":\"bad-a\",\"month\":\"2025-01\",\"mrr\":2}"), .status = 422, .field = "month", .index = 2},

    /* POST signals: syntax */
    {.name = "signal malformed", .method = "POST", .path = S, .scope = "write", .body = "{\"type\":", .status = 400},
    {.name = "signal array body", .method = "POST", .path = S, .scope = "write", .body = "[" SIG("") "]", .status = 400},
    {.name = "signal invalid utf-8", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"source\":\"\xc0\xaf\""), .status = 400},
    {.name = "signal u0000", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"event_id\":\"a\\u0000\""), .status = 400},
    {.name = "signal value beyond 64-bit", .method = "POST", .path = S, .scope = "write", .body = TYPED("nps", ",\"value\":99999999999999999999"), .status = 400},
    {.name = "signal value 1e400", .method = "POST", .path = S, .scope = "write", .body = TYPED("usage", ",\"value\":1e400"), .status = 400},
    {.name = "signal deep nesting", .method = "POST", .path = S, .scope = "write", .make_body = deep_signal, .status = 400},
    {.name = "signal 2 MB", .method = "POST", .path = S, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "signal read scope", .method = "POST", .path = S, .scope = "read", .body = SIG(""), .status = 403},
    {.name = "signal unknown query parameter", .method = "POST", .path = S "?x=1", .scope = "write", .body = SIG(""), .status = 400, .field = "x"},
    /* POST signals: content */
    {.name = "signal empty object", .method = "POST", .path = S, .scope = "write", .body = "{}", .status = 422, .field = "type"},
    {.name = "signal type missing", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":{id},\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "type"},
    {.name = "signal type unknown", .method = "POST", .path = S, .scope = "write", .body = TYPED("click", ""), .status = 422, .field = "type"},
    {.name = "signal type case", .method = "POST", .path = S, .scope = "write", .body = TYPED("NPS", ",\"value\":5"), .status = 422, .field = "type"},
    {.name = "signal type number", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":{id},\"type\":3,\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "type"},
    {.name = "signal occurred_at missing", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":{id},\"type\":\"call\"}", .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at null", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":{id},\"type\":\"call\",\"occurred_at\":null}", .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at a date", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at no Z", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01T00:00:00"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at offset", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01T00:00:00+02:00"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at space", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01 00:00:00Z"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at hour 24", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01T24:00:00Z"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at second 60", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01T23:59:60Z"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at feb 30", .method = "POST", .path = S, .scope = "write", .body = AT("2025-02-30T00:00:00Z"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at 7 digits", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01T00:00:00.1234567Z"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at dot only", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01T00:00:00.Z"), .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at number", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":{id},\"type\":\"call\",\"occurred_at\":1735689600}", .status = 422, .field = "occurred_at"},
    {.name = "signal occurred_at sql", .method = "POST", .path = S, .scope = "write", .body = AT("2025-01-01'; DROP TABLE signals; --"), .status = 422, .field = "occurred_at"},
    {.name = "signal no customer", .method = "POST", .path = S, .scope = "write", .body = "{\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "customer_id"},
    {.name = "signal both customers", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"customer_external_id\":\"seed-1\""), .status = 422},
    {.name = "signal customer unknown", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":999999,\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "customer_id"},
    {.name = "signal customer zero", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":0,\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "customer_id"},
    {.name = "signal customer string", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":\"1\",\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "customer_id"},
    {.name = "signal customer null", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_id\":null,\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "customer_id"},
    {.name = "signal external id number", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_external_id\":5,\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "customer_external_id"},
    {.name = "signal external id empty", .method = "POST", .path = S, .scope = "write", .body = "{\"customer_external_id\":\"\",\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "customer_external_id"},
    {.name = "signal external id of 256", .method = "POST", .path = S, .scope = "write", .make_body = external_id_256, .status = 422, .field = "customer_external_id"},
    {.name = "signal usage without value", .method = "POST", .path = S, .scope = "write", .body = TYPED("usage", ""), .status = 422, .field = "value"},
    {.name = "signal usage negative", .method = "POST", .path = S, .scope = "write", .body = TYPED("usage", ",\"value\":-1"), .status = 422, .field = "value"},
    {.name = "signal usage string", .method = "POST", .path = S, .scope = "write", .body = TYPED("usage", ",\"value\":\"0.5\""), .status = 422, .field = "value"},
    {.name = "signal nps without value", .method = "POST", .path = S, .scope = "write", .body = TYPED("nps", ""), .status = 422, .field = "value"},
    {.name = "signal nps 11", .method = "POST", .path = S, .scope = "write", .body = TYPED("nps", ",\"value\":11"), .status = 422, .field = "value"},
    {.name = "signal nps 9.5", .method = "POST", .path = S, .scope = "write", .body = TYPED("nps", ",\"value\":9.5"), .status = 422, .field = "value"},
    {.name = "signal nps 9.0", .method = "POST", .path = S, .scope = "write", .body = TYPED("nps", ",\"value\":9.0"), .status = 422, .field = "value"},
    {.name = "signal call with value", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"value\":1"), .status = 422, .field = "value"},
    {.name = "signal email_open with value", .method = "POST", .path = S, .scope = "write", .body = TYPED("email_open", ",\"value\":0"), .status = 422, .field = "value"},
    {.name = "signal feature_interest no product", .method = "POST", .path = S, .scope = "write", .body = TYPED("feature_interest", ""), .status = 422, .field = "product"},
    {.name = "signal product unknown", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"product\":\"nope\""), .status = 422, .field = "product"},
    {.name = "signal product number", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"product\":5"), .status = 422, .field = "product"},
    {.name = "signal product of 101", .method = "POST", .path = S, .scope = "write", .make_body = product_101, .status = 422, .field = "product"},
    {.name = "signal source empty", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"source\":\"\""), .status = 422, .field = "source"},
    {.name = "signal source of 101", .method = "POST", .path = S, .scope = "write", .make_body = source_101, .status = 422, .field = "source"},
    {.name = "signal source number", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"source\":1"), .status = 422, .field = "source"},
    {.name = "signal event_id of 256", .method = "POST", .path = S, .scope = "write", .make_body = event_id_256, .status = 422, .field = "event_id"},
    {.name = "signal event_id number", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"event_id\":12"), .status = 422, .field = "event_id"},
    {.name = "signal read-only id", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"id\":1"), .status = 422, .field = "id"},
    {.name = "signal read-only created_at", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"created_at\":\"2025-01-01T00:00:00Z\""), .status = 422, .field = "created_at"},
    {.name = "signal unknown field", .method = "POST", .path = S, .scope = "write", .body = SIG(",\"status\":\"stored\""), .status = 422, .field = "status"},

    /* POST signals batch */
    {.name = "signal batch malformed", .method = "POST", .path = SB, .scope = "write", .body = "{\"inputs\":[", .status = 400},
    {.name = "signal batch array body", .method = "POST", .path = SB, .scope = "write", .body = "[]", .status = 400},
    {.name = "signal batch deep nesting", .method = "POST", .path = SB, .scope = "write", .make_body = deep_inputs, .status = 400},
    {.name = "signal batch 2 MB", .method = "POST", .path = SB, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "signal batch read scope", .method = "POST", .path = SB, .scope = "read", .body = SL(SIG("")), .status = 403},
    {.name = "signal batch without inputs", .method = "POST", .path = SB, .scope = "write", .body = "{}", .status = 422, .field = "inputs"},
    {.name = "signal batch of 0", .method = "POST", .path = SB, .scope = "write", .body = "{\"inputs\":[]}", .status = 422, .field = "inputs"},
    {.name = "signal batch of 1001", .method = "POST", .path = SB, .scope = "write", .make_body = signal_batch_1001, .status = 422, .field = "inputs"},
    {.name = "signal batch inputs string", .method = "POST", .path = SB, .scope = "write", .body = "{\"inputs\":\"x\"}", .status = 422, .field = "inputs"},
    {.name = "signal batch unknown member", .method = "POST", .path = SB, .scope = "write", .body = "{\"inputs\":[],\"source\":\"x\"}", .status = 422, .field = "source"},
    {.name = "signal batch input not object", .method = "POST", .path = SB, .scope = "write", .body = SL("[]"), .status = 422, .index = 2},
    {.name = "signal batch bad value at 1", .method = "POST", .path = SB, .scope = "write", .body = SL(TYPED("nps", ",\"value\":11")), .status = 422, .field = "value", .index = 2},
    {.name = "signal batch bad time at 1", .method = "POST", .path = SB, .scope = "write", .body = SL(AT("soon")), .status = 422, .field = "occurred_at", .index = 2},
    {.name = "signal batch unknown customer at 1", .method = "POST", .path = SB, .scope = "write", .body = SL("{\"customer_id\":999999,\"type\":\"call\",\"occurred_at\":\"2025-01-01T00:00:00Z\"}"), .status = 422, .field = "customer_id", .index = 2},
    {.name = "signal batch unknown product at 1", .method = "POST", .path = SB, .scope = "write", .body = SL(TYPED("feature_interest", ",\"product\":\"nope\"")), .status = 422, .field = "product", .index = 2},

    /* GET signals */
    {.name = "signals limit 0", .method = "GET", .path = S "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "signals limit 1001", .method = "GET", .path = S "?limit=1001", .scope = "read", .status = 400, .field = "limit"},
    {.name = "signals limit abc", .method = "GET", .path = S "?limit=abc", .scope = "read", .status = 400, .field = "limit"},
    {.name = "signals cursor garbage", .method = "GET", .path = S "?after=%21%21", .scope = "read", .status = 400, .field = "after"},
    {.name = "signals cursor long", .method = "GET", .make_path = after_1000, .scope = "read", .status = 400, .field = "after"},
    {.name = "signals offset cursor", .method = "GET", .path = S "?after=bzE6Mw", .scope = "read", .status = 400, .field = "after"},
    {.name = "signals unmatched yes", .method = "GET", .path = S "?unmatched=yes", .scope = "read", .status = 400, .field = "unmatched"},
    {.name = "signals unmatched 1", .method = "GET", .path = S "?unmatched=1", .scope = "read", .status = 400, .field = "unmatched"},
    {.name = "signals unmatched empty", .method = "GET", .path = S "?unmatched=", .scope = "read", .status = 400, .field = "unmatched"},
    {.name = "signals type bogus", .method = "GET", .path = S "?type=bogus", .scope = "read", .status = 400, .field = "type"},
    {.name = "signals customer_id abc", .method = "GET", .path = S "?customer_id=abc", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "signals customer_id 0", .method = "GET", .path = S "?customer_id=0", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "signals customer_id -1", .method = "GET", .path = S "?customer_id=-1", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "signals customer_id huge", .method = "GET", .path = S "?customer_id=99999999999999999999", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "signals unknown query parameter", .method = "GET", .path = S "?product=x", .scope = "read", .status = 400, .field = "product"},
    {.name = "signals no key", .method = "GET", .path = S, .status = 401},
    {.name = "signals source sql", .method = "GET", .path = S "?source=%27%3B%20DROP%20TABLE%20signals%3B%20--", .scope = "read", .status = 200},
    {.name = "signals source invalid utf-8", .method = "GET", .path = S "?source=%FF", .scope = "read", .status = 400},
    {.name = "signals source nul", .method = "GET", .path = S "?source=a%00b", .scope = "read", .status = 200, .alt_status = 400},
    {.name = "signals customer absent", .method = "GET", .path = S "?customer_id=999999", .scope = "read", .status = 200},

    /* GET customer signals */
    {.name = "customer signals type bogus", .method = "GET", .path = CS "?type=x", .scope = "read", .status = 400, .field = "type"},
    {.name = "customer signals limit 0", .method = "GET", .path = CS "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "customer signals cursor", .method = "GET", .path = CS "?after=zzz", .scope = "read", .status = 400, .field = "after"},
    {.name = "customer signals unmatched", .method = "GET", .path = CS "?unmatched=true", .scope = "read", .status = 400, .field = "unmatched"},
    {.name = "customer signals id abc", .method = "GET", .path = "/v1/customers/abc/signals", .scope = "read", .status = 400},
    {.name = "customer signals absent", .method = "GET", .path = "/v1/customers/999999/signals", .scope = "read", .status = 404},

    /* GET timeline */
    {.name = "timeline limit 0", .method = "GET", .path = TL "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "timeline limit 1001", .method = "GET", .path = TL "?limit=1001", .scope = "read", .status = 400, .field = "limit"},
    {.name = "timeline cursor garbage", .method = "GET", .path = TL "?after=%21", .scope = "read", .status = 400, .field = "after"},
    {.name = "timeline id cursor", .method = "GET", .path = TL "?after=YzE6Mw", .scope = "read", .status = 400, .field = "after"},
    {.name = "timeline type filter", .method = "GET", .path = TL "?type=signal", .scope = "read", .status = 400, .field = "type"},
    {.name = "timeline id zero", .method = "GET", .path = "/v1/customers/0/timeline", .scope = "read", .status = 400},
    {.name = "timeline absent", .method = "GET", .path = "/v1/customers/999999/timeline", .scope = "read", .status = 404},
    {.name = "timeline no key", .method = "GET", .path = TL, .status = 401},
};
/* clang-format on */

#define N_CASES ((int)(sizeof cases / sizeof *cases))

static const char *expand(const char *text)
{
  return bad_case_expand_ids(text, seed_id);
}

START_TEST(test_bad_input_is_rejected_without_change)
{
  bad_case_check(env, &cases[_i], expand, expand);
}
END_TEST

/* Hostile but valid input ----------------------------------------------------------------- */

#define SQL_TEXT "'; DROP TABLE signals; --"

START_TEST(test_sql_metacharacters_in_signal_texts_are_stored_verbatim)
{
  json_t *o =
      json_pack("{s:I, s:s, s:s, s:s, s:s}", "customer_id", (json_int_t)seed_id, "type", "call",
                "occurred_at", "2025-01-01T00:00:00Z", "source", SQL_TEXT, "event_id", SQL_TEXT);
  harness_response *r = harness_call(env, "write", "POST", "/v1/signals", NULL, harness_dump(o));
  harness_assert_status(r, 201);
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM signals WHERE source = '''; "
                                            "DROP TABLE signals; --'"),
                   1);
  r = harness_call(env, "read", "GET",
                   harness_fmt("/v1/signals?source=%s", harness_urlenc(SQL_TEXT)), NULL, NULL);
  harness_assert_status(r, 200);
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 1);
}
END_TEST

START_TEST(test_unmatched_external_id_with_metacharacters_round_trips)
{
  const char *ext = "x'); DELETE FROM customers; --";
  json_t *o = json_pack("{s:s, s:s, s:s}", "customer_external_id", ext, "type", "web_visit",
                        "occurred_at", "2025-01-01T00:00:00Z");
  harness_response *r = harness_call(env, "write", "POST", "/v1/signals", NULL, harness_dump(o));
  harness_assert_status(r, 201);
  ck_assert_pstr_eq(json_string_value(json_object_get(json_object_get(r->json, "signal"),
                                                      "customer_external_id")),
                    ext);
  ck_assert_int_ge(harness_sql_int(env->db, "SELECT count(*) FROM customers"), 1);
}
END_TEST

START_TEST(test_server_survives_every_case)
{
  harness_assert_status(harness_call(env, NULL, "GET", "/healthz", NULL, NULL), 200);
  harness_assert_status(harness_call(env, NULL, "GET", "/readyz", NULL, NULL), 200);
}
END_TEST

static Suite *badinput_suite(void)
{
  Suite *s = suite_create("badinput_revenue");
  TCase *tc = harness_tcase("table");
  tcase_add_loop_test(tc, test_bad_input_is_rejected_without_change, 0, N_CASES);
  suite_add_tcase(s, tc);
  tc = harness_tcase("hostile_but_valid");
  tcase_add_test(tc, test_sql_metacharacters_in_signal_texts_are_stored_verbatim);
  tcase_add_test(tc, test_unmatched_external_id_with_metacharacters_round_trips);
  tcase_add_test(tc, test_server_survives_every_case);
  suite_add_tcase(s, tc);
  return s;
}

/* The seed customer (external id seed-1), a product, and one MRR line for 2025-01. */
static void seed(void)
{
  char auth[128];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", env->key_write);
  const char *h[] = {auth, NULL};
  harness_response *r = harness_request(env->srv, "POST", "/v1/customers", h,
                                        "{\"name\":\"Seed\",\"external_id\":\"seed-1\"}", -1);
  if (r->status != 201 || !json_is_integer(json_object_get(r->json, "id"))) {
    fprintf(stderr, "cannot create the seed customer: %ld %s\n", r->status, r->body);
    exit(1);
  }
  seed_id = json_integer_value(json_object_get(r->json, "id"));
  harness_response_free(r);
  harness_sql_exec(env->db, "INSERT INTO business_units (key, name, created_at, updated_at) "
                            "VALUES ('bad-unit', 'U', now(), now()); "
                            "INSERT INTO products (key, name, business_unit, family, created_at, "
                            "updated_at) VALUES ('bad-a', 'A', 'bad-unit', 'f', now(), now())");
  harness_sql_exec(
      env->db,
      harness_fmt("INSERT INTO mrr_lines VALUES (%lld, 'bad-a', '2025-01-01', 5)", seed_id));
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  seed();
  return harness_run(badinput_suite(), env);
}
