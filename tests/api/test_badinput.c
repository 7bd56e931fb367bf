/* Invalid input over every customer endpoint, as a table: each case gives the request,
 * the status it must get and the field its problem body must name, and asserts that the
 * database did not change (harness_db_digest) and that the server is still up.  Cases
 * expecting 200 are hostile but valid requests (SQL metacharacters as filter values):
 * they must answer an empty list. */
#include "badinput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static harness_env *env;
static long long seed_id;

/* Generated bodies --------------------------------------------------------------------- */

static const char *body_2mb(void)
{
  return bad_body_2mb("name");
}

/* {"name":"x","properties": then depth nested objects, then }. */
static const char *nested_properties(int depth)
{
  size_t len = 0;
  char *b = NULL;
  FILE *f = open_memstream(&b, &len);
  fputs("{\"name\":\"x\",\"properties\":", f);
  for (int i = 0; i < depth; i++)
    fputs("{\"a\":", f);
  fputc('1', f);
  for (int i = 0; i < depth; i++)
    fputc('}', f);
  fputc('}', f);
  fclose(f);
  return harness_own(b, free);
}

static const char *deep_3000(void)
{
  return nested_properties(3000);
}

static const char *deep_props_20(void)
{
  return nested_properties(20);
}

static const char *deep_arrays_3000(void)
{
  return bad_nested_arrays(3000);
}

static const char *deep_patch_3000(void)
{
  return nested_properties(3000);
}

static const char *big_properties(void)
{
  return harness_fmt("{\"name\":\"x\",\"properties\":{\"big\":\"%s\"}}",
                     harness_repeat('p', 70000));
}

static const char *batch_1001(void)
{
  json_t *inputs = json_array();
  for (int i = 0; i < 1001; i++)
    json_array_append_new(inputs, json_pack("{s:s}", "name", "n"));
  return harness_dump(json_pack("{s:o}", "inputs", inputs));
}

static const char *batch_deep(void)
{
  const char *inner = nested_properties(3000);
  return harness_fmt("{\"inputs\":[%s]}", inner);
}

static const char *long_string_body(const char *field, size_t n)
{
  json_t *o = json_pack("{s:s}", "name", "x");
  json_object_set_new(o, field, json_string(harness_repeat('s', n)));
  return harness_dump(o);
}

static const char *name_501(void)
{
  return long_string_body("name", 501);
}

static const char *external_id_256(void)
{
  return long_string_body("external_id", 256);
}

static const char *industry_101(void)
{
  return long_string_body("industry", 101);
}

static const char *channel_101(void)
{
  return long_string_body("acquisition_channel", 101);
}

static const char *country_101(void)
{
  return long_string_body("country", 101);
}

static const char *idem_256(void)
{
  return harness_fmt("Idempotency-Key: %s", harness_repeat('k', 256));
}

static const char *after_1000(void)
{
  return harness_fmt("/v1/customers?after=%s", harness_repeat('A', 1000));
}

/* The table ------------------------------------------------------------------------------ */

#define C "/v1/customers"
#define ITEM "/v1/customers/{id}"
#define EXT "/v1/customers/external/seed-1"
#define BATCH "/v1/customers/batch"
#define N(s) "{\"name\":\"n\"," s "}"

/* clang-format off */
static const struct bad_case cases[] = {
    /* syntax: not JSON, not an object */
    {.name = "malformed json", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":", .status = 400},
    {.name = "trailing comma", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\",}", .status = 400},
    {.name = "single quotes", .method = "POST", .path = C, .scope = "write", .body = "{'name':'a'}", .status = 400},
    {.name = "trailing garbage", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\"} x", .status = 400},
    {.name = "two objects", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\"}{\"name\":\"b\"}", .status = 400},
    {.name = "empty body", .method = "POST", .path = C, .scope = "write", .body = "", .status = 400},
    {.name = "array body", .method = "POST", .path = C, .scope = "write", .body = "[{\"name\":\"a\"}]", .status = 400},
    {.name = "string body", .method = "POST", .path = C, .scope = "write", .body = "\"name\"", .status = 400},
    {.name = "number body", .method = "POST", .path = C, .scope = "write", .body = "42", .status = 400},
    {.name = "null body", .method = "POST", .path = C, .scope = "write", .body = "null", .status = 400},
    {.name = "true body", .method = "POST", .path = C, .scope = "write", .body = "true", .status = 400},
    {.name = "invalid utf-8", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\xff\xfe\"}", .status = 400},
    {.name = "overlong utf-8", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"\xc0\xaf\"}", .status = 400},
    {.name = "truncated utf-8", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"\xe4\xb8\"}", .status = 400},
    {.name = "invalid utf-8 in key", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\",\"\xff\":1}", .status = 400},
    {.name = "lone surrogate escape", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"\\ud800\"}", .status = 400},
    {.name = "u0000 escape", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\\u0000b\"}", .status = 400},
    {.name = "u0000 in properties", .method = "POST", .path = C, .scope = "write", .body = N("\"properties\":{\"k\":\"\\u0000\"}"), .status = 400},
    {.name = "raw nul byte", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\0b\"}", .body_len = 14, .status = 400},
    {.name = "raw control char", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"a\x01z\"}", .status = 400},
    {.name = "deep nesting 3000", .method = "POST", .path = C, .scope = "write", .make_body = deep_3000, .status = 400},
    {.name = "deep arrays 3000", .method = "POST", .path = C, .scope = "write", .make_body = deep_arrays_3000, .status = 400},
    {.name = "integer beyond 64-bit", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":99999999999999999999"), .status = 400},
    {.name = "negative beyond 64-bit", .method = "POST", .path = C, .scope = "write", .body = N("\"annual_revenue\":-99999999999999999999"), .status = 400},
    {.name = "2^64 revenue", .method = "POST", .path = C, .scope = "write", .body = N("\"annual_revenue\":18446744073709551616"), .status = 400},
    {.name = "2 MB body", .method = "POST", .path = C, .scope = "write", .make_body = body_2mb, .status = 413},

    /* content: fields */
    {.name = "missing name", .method = "POST", .path = C, .scope = "write", .body = "{}", .status = 422, .field = "name"},
    {.name = "null name", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":null}", .status = 422, .field = "name"},
    {.name = "empty name", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":\"\"}", .status = 422, .field = "name"},
    {.name = "number name", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":5}", .status = 422, .field = "name"},
    {.name = "array name", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":[\"a\"]}", .status = 422, .field = "name"},
    {.name = "object name", .method = "POST", .path = C, .scope = "write", .body = "{\"name\":{}}", .status = 422, .field = "name"},
    {.name = "name of 501", .method = "POST", .path = C, .scope = "write", .make_body = name_501, .status = 422, .field = "name"},
    {.name = "employee_count 1.5", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":1.5"), .status = 422, .field = "employee_count"},
    {.name = "employee_count 1.0", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":1.0"), .status = 422, .field = "employee_count"},
    {.name = "employee_count 1e2", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":1e2"), .status = 422, .field = "employee_count"},
    {.name = "employee_count string", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":\"12\""), .status = 422, .field = "employee_count"},
    {.name = "employee_count true", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":true"), .status = 422, .field = "employee_count"},
    {.name = "employee_count -1", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":-1"), .status = 422, .field = "employee_count"},
    {.name = "employee_count 2147483648", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":2147483648"), .status = 422, .field = "employee_count"},
    {.name = "employee_count 2^53", .method = "POST", .path = C, .scope = "write", .body = N("\"employee_count\":9007199254740992"), .status = 422, .field = "employee_count"},
    {.name = "annual_revenue 2^53", .method = "POST", .path = C, .scope = "write", .body = N("\"annual_revenue\":9007199254740992"), .status = 422, .field = "annual_revenue"},
    {.name = "annual_revenue int64 max", .method = "POST", .path = C, .scope = "write", .body = N("\"annual_revenue\":9223372036854775807"), .status = 422, .field = "annual_revenue"},
    {.name = "annual_revenue -1", .method = "POST", .path = C, .scope = "write", .body = N("\"annual_revenue\":-1"), .status = 422, .field = "annual_revenue"},
    {.name = "annual_revenue 1.5", .method = "POST", .path = C, .scope = "write", .body = N("\"annual_revenue\":1.5"), .status = 422, .field = "annual_revenue"},
    {.name = "annual_revenue string", .method = "POST", .path = C, .scope = "write", .body = N("\"annual_revenue\":\"100\""), .status = 422, .field = "annual_revenue"},
    {.name = "external_id number", .method = "POST", .path = C, .scope = "write", .body = N("\"external_id\":12"), .status = 422, .field = "external_id"},
    {.name = "external_id of 256", .method = "POST", .path = C, .scope = "write", .make_body = external_id_256, .status = 422, .field = "external_id"},
    {.name = "industry of 101", .method = "POST", .path = C, .scope = "write", .make_body = industry_101, .status = 422, .field = "industry"},
    {.name = "industry bool", .method = "POST", .path = C, .scope = "write", .body = N("\"industry\":true"), .status = 422, .field = "industry"},
    {.name = "acquisition_channel of 101", .method = "POST", .path = C, .scope = "write", .make_body = channel_101, .status = 422, .field = "acquisition_channel"},
    {.name = "country of 101", .method = "POST", .path = C, .scope = "write", .make_body = country_101, .status = 422, .field = "country"},
    {.name = "country number", .method = "POST", .path = C, .scope = "write", .body = N("\"country\":49"), .status = 422, .field = "country"},
    {.name = "properties array", .method = "POST", .path = C, .scope = "write", .body = N("\"properties\":[1]"), .status = 422, .field = "properties"},
    {.name = "properties string", .method = "POST", .path = C, .scope = "write", .body = N("\"properties\":\"{}\""), .status = 422, .field = "properties"},
    {.name = "properties 20 deep", .method = "POST", .path = C, .scope = "write", .make_body = deep_props_20, .status = 422, .field = "properties"},
    {.name = "properties over 64 KiB", .method = "POST", .path = C, .scope = "write", .make_body = big_properties, .status = 422, .field = "properties"},
    {.name = "unknown field", .method = "POST", .path = C, .scope = "write", .body = N("\"colour\":\"red\""), .status = 422, .field = "colour"},
    {.name = "read-only id", .method = "POST", .path = C, .scope = "write", .body = N("\"id\":5"), .status = 422, .field = "id"},
    {.name = "read-only size_band", .method = "POST", .path = C, .scope = "write", .body = N("\"size_band\":\"1-9\""), .status = 422, .field = "size_band"},
    {.name = "read-only currency", .method = "POST", .path = C, .scope = "write", .body = N("\"currency\":\"USD\""), .status = 422, .field = "currency"},
    {.name = "read-only metrics", .method = "POST", .path = C, .scope = "write", .body = N("\"metrics\":null"), .status = 422, .field = "metrics"},
    {.name = "read-only created_at", .method = "POST", .path = C, .scope = "write", .body = N("\"created_at\":\"2020-01-01T00:00:00Z\""), .status = 422, .field = "created_at"},
    {.name = "read-only updated_at", .method = "POST", .path = C, .scope = "write", .body = N("\"updated_at\":\"2020-01-01T00:00:00Z\""), .status = 422, .field = "updated_at"},
    {.name = "post unknown query parameter", .method = "POST", .path = C "?dry_run=1", .scope = "write", .body = "{\"name\":\"q\"}", .status = 400, .field = "dry_run"},
    {.name = "batch unknown query parameter", .method = "POST", .path = BATCH "?x=1", .scope = "write", .body = "{\"inputs\":[{\"name\":\"q\"}]}", .status = 400, .field = "x"},
    {.name = "duplicate external_id", .method = "POST", .path = C, .scope = "write", .body = N("\"external_id\":\"seed-1\""), .status = 409},

    /* Idempotency-Key */
    {.name = "idempotency key of 256", .method = "POST", .path = C, .scope = "write", .make_header = idem_256, .body = "{\"name\":\"idem\"}", .status = 400},
    {.name = "empty idempotency key", .method = "POST", .path = C, .scope = "write", .header = "Idempotency-Key;", .body = "{\"name\":\"idem\"}", .status = 400},
    {.name = "non-ascii idempotency key", .method = "POST", .path = C, .scope = "write", .header = "Idempotency-Key: cl\xc3\xa9", .body = "{\"name\":\"idem\"}", .status = 400},

    /* batch */
    {.name = "batch of 0", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[]}", .status = 422, .field = "inputs"},
    {.name = "batch of 1001", .method = "POST", .path = BATCH, .scope = "write", .make_body = batch_1001, .status = 422, .field = "inputs"},
    {.name = "batch without inputs", .method = "POST", .path = BATCH, .scope = "write", .body = "{}", .status = 422, .field = "inputs"},
    {.name = "batch inputs object", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":{\"name\":\"a\"}}", .status = 422, .field = "inputs"},
    {.name = "batch inputs null", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":null}", .status = 422, .field = "inputs"},
    {.name = "batch unknown member", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[{\"name\":\"a\"}],\"extra\":1}", .status = 422, .field = "extra"},
    {.name = "batch input not an object", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[{\"name\":\"a\"},1]}", .status = 422, .index = 2},
    {.name = "batch bad input at 2", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"\"}]}", .status = 422, .field = "name", .index = 3},
    {.name = "batch duplicate external_id", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[{\"name\":\"a\",\"external_id\":\"d\"},{\"name\":\"b\",\"external_id\":\"d\"}]}", .status = 422, .field = "external_id"},
    {.name = "batch array body", .method = "POST", .path = BATCH, .scope = "write", .body = "[]", .status = 400},
    {.name = "batch malformed", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[", .status = 400},
    {.name = "batch deep nesting", .method = "POST", .path = BATCH, .scope = "write", .make_body = batch_deep, .status = 400},
    {.name = "batch beyond 64-bit", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[{\"name\":\"a\",\"employee_count\":123456789012345678901234}]}", .status = 400},
    {.name = "batch 2 MB", .method = "POST", .path = BATCH, .scope = "write", .make_body = body_2mb, .status = 413},

    /* list query */
    {.name = "limit 0", .method = "GET", .path = C "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit 1001", .method = "GET", .path = C "?limit=1001", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit -1", .method = "GET", .path = C "?limit=-1", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit abc", .method = "GET", .path = C "?limit=abc", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit 1.5", .method = "GET", .path = C "?limit=1.5", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit empty", .method = "GET", .path = C "?limit=", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit 1e2", .method = "GET", .path = C "?limit=1e2", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit 10x", .method = "GET", .path = C "?limit=10x", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit beyond 64-bit", .method = "GET", .path = C "?limit=99999999999999999999", .scope = "read", .status = 400, .field = "limit"},
    {.name = "cursor garbage", .method = "GET", .path = C "?after=%21%21%21", .scope = "read", .status = 400, .field = "after"},
    {.name = "cursor base64 junk", .method = "GET", .path = C "?after=aGVsbG8gd29ybGQ", .scope = "read", .status = 400, .field = "after"},
    {.name = "cursor negative", .method = "GET", .path = C "?after=-1", .scope = "read", .status = 400, .field = "after"},
    {.name = "cursor long", .method = "GET", .make_path = after_1000, .scope = "read", .status = 400, .field = "after"},
    {.name = "unknown query parameter", .method = "GET", .path = C "?foo=1", .scope = "read", .status = 400, .field = "foo"},
    {.name = "size_band bogus", .method = "GET", .path = C "?size_band=huge", .scope = "read", .status = 400, .field = "size_band"},
    {.name = "size_band 1000 without +", .method = "GET", .path = C "?size_band=1000", .scope = "read", .status = 400, .field = "size_band"},
    {.name = "filter invalid utf-8", .method = "GET", .path = C "?industry=%FF", .scope = "read", .status = 400},
    {.name = "filter nul byte", .method = "GET", .path = C "?country=a%00b", .scope = "read", .status = 200, .alt_status = 400},
    {.name = "sql in industry", .method = "GET", .path = C "?industry=%27%3B%20DROP%20TABLE%20customers%3B%20--", .scope = "read", .status = 200},
    {.name = "sql in country", .method = "GET", .path = C "?country=x%27%20OR%20%271%27%3D%271", .scope = "read", .status = 200},
    {.name = "sql in q", .method = "GET", .path = C "?q=%27%20OR%201%3D1%20--", .scope = "read", .status = 200},
    {.name = "q percent is literal", .method = "GET", .path = C "?q=%25", .scope = "read", .status = 200},
    {.name = "q underscore is literal", .method = "GET", .path = C "?q=_", .scope = "read", .status = 200},
    {.name = "q backslash", .method = "GET", .path = C "?q=%5C", .scope = "read", .status = 200},

    /* ids in paths */
    {.name = "id non-numeric", .method = "GET", .path = C "/abc", .scope = "read", .status = 400},
    {.name = "id zero", .method = "GET", .path = C "/0", .scope = "read", .status = 400},
    {.name = "id negative", .method = "GET", .path = C "/-5", .scope = "read", .status = 400},
    {.name = "id fraction", .method = "GET", .path = C "/1.5", .scope = "read", .status = 400},
    {.name = "id trailing garbage", .method = "GET", .path = C "/12abc", .scope = "read", .status = 400},
    {.name = "id hex", .method = "GET", .path = C "/0x10", .scope = "read", .status = 400},
    {.name = "id beyond int64", .method = "GET", .path = C "/9223372036854775808", .scope = "read", .status = 400},
    {.name = "id huge", .method = "GET", .path = C "/99999999999999999999999", .scope = "read", .status = 400},
    {.name = "id absent", .method = "GET", .path = C "/999999", .scope = "read", .status = 404},
    {.name = "id 2^53-1 absent", .method = "GET", .path = C "/9007199254740991", .scope = "read", .status = 404},
    {.name = "id int64 max", .method = "GET", .path = C "/9223372036854775807", .scope = "read", .status = 404, .alt_status = 400},
    {.name = "get unknown query parameter", .method = "GET", .path = ITEM "?x=1", .scope = "read", .status = 400, .field = "x"},
    {.name = "external absent", .method = "GET", .path = C "/external/nobody", .scope = "read", .status = 404},
    {.name = "external id with nul", .method = "GET", .path = EXT "%00x", .scope = "read", .status = 404, .alt_status = 400},
    {.name = "external id invalid utf-8", .method = "GET", .path = C "/external/%FF", .scope = "read", .status = 404, .alt_status = 400},
    {.name = "external unknown query parameter", .method = "GET", .path = EXT "?x=1", .scope = "read", .status = 400, .field = "x"},

    /* PATCH */
    {.name = "patch malformed", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"name\"", .status = 400},
    {.name = "patch array", .method = "PATCH", .path = ITEM, .scope = "write", .body = "[]", .status = 400},
    {.name = "patch string", .method = "PATCH", .path = ITEM, .scope = "write", .body = "\"x\"", .status = 400},
    {.name = "patch invalid utf-8", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"name\":\"\xff\"}", .status = 400},
    {.name = "patch u0000", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"industry\":\"\\u0000\"}", .status = 400},
    {.name = "patch beyond 64-bit", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"employee_count\":99999999999999999999}", .status = 400},
    {.name = "patch deep nesting", .method = "PATCH", .path = ITEM, .scope = "write", .make_body = deep_patch_3000, .status = 400},
    {.name = "patch 2 MB", .method = "PATCH", .path = ITEM, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "patch null name", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"name\":null}", .status = 422, .field = "name"},
    {.name = "patch empty name", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"name\":\"\"}", .status = 422, .field = "name"},
    {.name = "patch number name", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"name\":1}", .status = 422, .field = "name"},
    {.name = "patch employee_count 1.5", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"employee_count\":1.5}", .status = 422, .field = "employee_count"},
    {.name = "patch employee_count 1.0", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"employee_count\":1.0}", .status = 422, .field = "employee_count"},
    {.name = "patch employee_count string", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"employee_count\":\"3\"}", .status = 422, .field = "employee_count"},
    {.name = "patch annual_revenue 2^53", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"annual_revenue\":9007199254740992}", .status = 422, .field = "annual_revenue"},
    {.name = "patch properties array", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"properties\":[]}", .status = 422, .field = "properties"},
    {.name = "patch properties 20 deep", .method = "PATCH", .path = ITEM, .scope = "write", .make_body = deep_props_20, .status = 422, .field = "properties"},
    {.name = "patch unknown field", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"colour\":\"red\"}", .status = 422, .field = "colour"},
    {.name = "patch read-only id", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"id\":1}", .status = 422, .field = "id"},
    {.name = "patch read-only size_band", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"size_band\":\"1-9\"}", .status = 422, .field = "size_band"},
    {.name = "patch read-only currency", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"currency\":\"EUR\"}", .status = 422, .field = "currency"},
    {.name = "patch read-only metrics", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"metrics\":{}}", .status = 422, .field = "metrics"},
    {.name = "patch read-only created_at", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"created_at\":\"2020-01-01T00:00:00Z\"}", .status = 422, .field = "created_at"},
    {.name = "patch read-only updated_at", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"updated_at\":\"2020-01-01T00:00:00Z\"}", .status = 422, .field = "updated_at"},
    {.name = "patch version string", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"version\":\"1\"}", .status = 422, .field = "version"},
    {.name = "patch version fraction", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"version\":1.5}", .status = 422, .field = "version"},
    {.name = "patch stale version", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"version\":99,\"country\":\"x\"}", .status = 412},
    {.name = "patch stale if-match", .method = "PATCH", .path = ITEM, .scope = "write", .header = "If-Match: \"99\"", .body = "{\"country\":\"x\"}", .status = 412},
    {.name = "patch duplicate external_id", .method = "PATCH", .path = C "/{other}", .scope = "write", .body = "{\"external_id\":\"seed-1\"}", .status = 409},
    {.name = "patch id non-numeric", .method = "PATCH", .path = C "/abc", .scope = "write", .body = "{\"country\":\"x\"}", .status = 400},
    {.name = "patch id zero", .method = "PATCH", .path = C "/0", .scope = "write", .body = "{\"country\":\"x\"}", .status = 400},
    {.name = "patch id huge", .method = "PATCH", .path = C "/99999999999999999999", .scope = "write", .body = "{\"country\":\"x\"}", .status = 400},
    {.name = "patch id absent", .method = "PATCH", .path = C "/999999", .scope = "write", .body = "{\"country\":\"x\"}", .status = 404},

    /* DELETE */
    {.name = "delete id non-numeric", .method = "DELETE", .path = C "/abc", .scope = "write", .status = 400},
    {.name = "delete id zero", .method = "DELETE", .path = C "/0", .scope = "write", .status = 400},
    {.name = "delete id negative", .method = "DELETE", .path = C "/-1", .scope = "write", .status = 400},
    {.name = "delete id huge", .method = "DELETE", .path = C "/99999999999999999999", .scope = "write", .status = 400},
    {.name = "delete id absent", .method = "DELETE", .path = C "/999999", .scope = "write", .status = 404},
    {.name = "delete stale if-match", .method = "DELETE", .path = ITEM, .scope = "write", .header = "If-Match: \"99\"", .status = 412},
    {.name = "delete unknown query parameter", .method = "DELETE", .path = ITEM "?force=1", .scope = "write", .status = 400, .field = "force"},

    /* PUT external */
    {.name = "put malformed", .method = "PUT", .path = EXT, .scope = "write", .body = "{", .status = 400},
    {.name = "put array", .method = "PUT", .path = EXT, .scope = "write", .body = "[]", .status = 400},
    {.name = "put u0000", .method = "PUT", .path = EXT, .scope = "write", .body = "{\"name\":\"\\u0000\"}", .status = 400},
    {.name = "put 2 MB", .method = "PUT", .path = EXT, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "put missing name", .method = "PUT", .path = EXT, .scope = "write", .body = "{\"industry\":\"x\"}", .status = 422, .field = "name"},
    {.name = "put null name", .method = "PUT", .path = EXT, .scope = "write", .body = "{\"name\":null}", .status = 422, .field = "name"},
    {.name = "put other external_id", .method = "PUT", .path = EXT, .scope = "write", .body = "{\"name\":\"n\",\"external_id\":\"seed-2\"}", .status = 422, .field = "external_id"},
    {.name = "put unknown field", .method = "PUT", .path = EXT, .scope = "write", .body = N("\"colour\":1"), .status = 422, .field = "colour"},
    {.name = "put read-only id", .method = "PUT", .path = EXT, .scope = "write", .body = N("\"id\":1"), .status = 422, .field = "id"},
    {.name = "put employee_count 1.0", .method = "PUT", .path = EXT, .scope = "write", .body = N("\"employee_count\":1.0"), .status = 422, .field = "employee_count"},
    {.name = "put new with 1.5", .method = "PUT", .path = C "/external/fresh-1", .scope = "write", .body = N("\"employee_count\":1.5"), .status = 422, .field = "employee_count"},
    {.name = "put external id with nul", .method = "PUT", .path = EXT "%00evil", .scope = "write", .body = "{\"name\":\"Evil\"}", .status = 400, .alt_status = 422},
    {.name = "put external id invalid utf-8", .method = "PUT", .path = C "/external/%FF", .scope = "write", .body = "{\"name\":\"Evil\"}", .status = 400, .alt_status = 422},
    {.name = "put stale if-match", .method = "PUT", .path = EXT, .scope = "write", .header = "If-Match: \"99\"", .body = "{\"name\":\"n\"}", .status = 412},
};
/* clang-format on */

#define N_CASES ((int)(sizeof cases / sizeof *cases))

static const char *expand(const char *path)
{
  return bad_case_expand_ids(path, seed_id);
}

START_TEST(test_bad_input_is_rejected_without_change)
{
  bad_case_check(env, &cases[_i], expand, NULL);
}
END_TEST

/* Hostile but valid input ----------------------------------------------------------------- */

#define SQL_NAME "'; DROP TABLE customers; --"

START_TEST(test_sql_metacharacters_in_a_name_are_stored_verbatim)
{
  harness_response *c = harness_call(env, "write", "POST", "/v1/customers", NULL,
                                     "{\"name\":\"" SQL_NAME "\",\"industry\":\"" SQL_NAME "\"}");
  harness_assert_status(c, 201);
  harness_response *r = harness_call(
      env, "read", "GET", harness_fmt("/v1/customers/%lld", harness_json_int(c, "id")), NULL, NULL);
  harness_assert_status(r, 200);
  ck_assert_pstr_eq(harness_json_str(r, "name"), SQL_NAME);
  ck_assert_int_ge(harness_sql_int(env->db, "SELECT count(*) FROM customers"), 2);
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT count(*) FROM customers WHERE name = '''; "
                                            "DROP TABLE customers; --'"),
                   1);
}
END_TEST

START_TEST(test_sql_metacharacters_as_filter_values_match_literally)
{
  harness_response *r =
      harness_call(env, "read", "GET",
                   harness_fmt("/v1/customers?industry=%s", harness_urlenc(SQL_NAME)), NULL, NULL);
  harness_assert_status(r, 200);
  json_t *results = json_object_get(r->json, "results");
  ck_assert_int_eq(json_array_size(results), 1);
  ck_assert_pstr_eq(json_string_value(json_object_get(json_array_get(results, 0), "name")),
                    SQL_NAME);
  r = harness_call(env, "read", "GET", harness_fmt("/v1/customers?q=%s", harness_urlenc("'; drop")),
                   NULL, NULL);
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "results")), 1);
}
END_TEST

START_TEST(test_hostile_external_id_round_trips)
{
  const char *ext = "x'); DELETE FROM customers; --";
  harness_response *c = harness_call(env, "write", "PUT",
                                     harness_fmt("/v1/customers/external/%s", harness_urlenc(ext)),
                                     NULL, "{\"name\":\"Hostile ext\"}");
  harness_assert_status(c, 201);
  ck_assert_pstr_eq(harness_json_str(c, "external_id"), ext);
  harness_response *r =
      harness_call(env, "read", "GET",
                   harness_fmt("/v1/customers/external/%s", harness_urlenc(ext)), NULL, NULL);
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "id"), harness_json_int(c, "id"));
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
  Suite *s = suite_create("badinput");
  TCase *tc = harness_tcase("table");
  tcase_add_loop_test(tc, test_bad_input_is_rejected_without_change, 0, N_CASES);
  suite_add_tcase(s, tc);
  tc = harness_tcase("hostile_but_valid");
  tcase_add_test(tc, test_sql_metacharacters_in_a_name_are_stored_verbatim);
  tcase_add_test(tc, test_sql_metacharacters_as_filter_values_match_literally);
  tcase_add_test(tc, test_hostile_external_id_round_trips);
  tcase_add_test(tc, test_server_survives_every_case);
  suite_add_tcase(s, tc);
  return s;
}

/* The seed customer (external id seed-1) and another one right after it. */
static void seed(void)
{
  const char *h[] = {NULL, NULL};
  char auth[128];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", env->key_write);
  h[0] = auth;
  harness_response *r = harness_request(env->srv, "POST", "/v1/customers", h,
                                        "{\"name\":\"Seed\",\"external_id\":\"seed-1\"}", -1);
  harness_response *o =
      harness_request(env->srv, "POST", "/v1/customers", h,
                      "{\"name\":\"Other\",\"external_id\":\"seed-2\",\"country\":\"a\"}", -1);
  if (r->status != 201 || o->status != 201 || !json_is_integer(json_object_get(r->json, "id"))) {
    fprintf(stderr, "cannot create the seed customers: %ld %s / %ld %s\n", r->status, r->body,
            o->status, o->body);
    exit(1);
  }
  seed_id = json_integer_value(json_object_get(r->json, "id"));
  if (json_integer_value(json_object_get(o->json, "id")) != seed_id + 1) {
    fprintf(stderr, "the seed customers do not have consecutive ids\n");
    exit(1);
  }
  harness_response_free(r);
  harness_response_free(o);
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  seed();
  return harness_run(badinput_suite(), env);
}
