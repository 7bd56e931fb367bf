/* Invalid input over every deal endpoint, as a table (the same form as
 * test_badinput.c): each case gives the request, the status it must get and the field
 * its problem body must name, and asserts that the database did not change
 * (harness_db_digest) and that the server is still up.  Cases expecting 200 are hostile
 * but valid list requests: they must answer an empty list. */
#include "badinput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static harness_env *env;
static long long seed_id;     /* the seed deal (external id seed-d1); {other} is the next */
static long long customer_id; /* the seed customer */

/* Generated bodies --------------------------------------------------------------------- */

static const char *body_2mb(void)
{
  return bad_body_2mb("pipeline");
}

static const char *deep_3000(void)
{
  return bad_nested_arrays(3000);
}

static const char *batch_1001(void)
{
  json_t *inputs = json_array();
  for (int i = 0; i < 1001; i++)
    json_array_append_new(inputs, json_pack("{s:I, s:s}", "customer_id", (json_int_t)customer_id,
                                            "pipeline", "renewal"));
  return harness_dump(json_pack("{s:o}", "inputs", inputs));
}

static const char *with_customer(const char *rest)
{
  return harness_fmt("{\"customer_id\":%lld,%s}", customer_id, rest);
}

static const char *external_id_256(void)
{
  return with_customer(
      harness_fmt("\"pipeline\":\"renewal\",\"external_id\":\"%s\"", harness_repeat('e', 256)));
}

static const char *pipeline_101(void)
{
  return with_customer(harness_fmt("\"pipeline\":\"%s\"", harness_repeat('p', 101)));
}

static const char *history_1001(void)
{
  const char *h = "";
  for (int i = 0; i < 1001; i++)
    h = harness_fmt("%s%s{\"stage\":\"preparation\",\"entered_at\":\"2025-01-01T00:00:00Z\"}", h,
                    i ? "," : "");
  return with_customer(harness_fmt("\"pipeline\":\"renewal\",\"created_at\":"
                                   "\"2025-01-01T00:00:00Z\",\"stage_history\":[%s]",
                                   h));
}

static const char *after_1000(void)
{
  return harness_fmt("/v1/deals?after=%s", harness_repeat('A', 1000));
}

static const char *external_256_path(void)
{
  return harness_fmt("/v1/deals/external/%s", harness_repeat('e', 256));
}

/* Bodies that name the seed customer: "{customer}" in a body is replaced by its id. */
static const char *expand_body(const char *body)
{
  const char *p = body ? strstr(body, "{customer}") : NULL;
  if (p == NULL)
    return body;
  return expand_body(harness_fmt("%.*s%lld%s", (int)(p - body), body, customer_id, p + 10));
}

/* The table ------------------------------------------------------------------------------ */

#define D "/v1/deals"
#define ITEM "/v1/deals/{id}"
#define HIST "/v1/deals/{id}/history"
#define EXT "/v1/deals/external/seed-d1"
#define BATCH "/v1/deals/batch"
#define B(s) "{\"customer_id\":{customer},\"pipeline\":\"new_business\"," s "}"

/* clang-format off */
static const struct bad_case cases[] = {
    /* syntax */
    {.name = "malformed json", .method = "POST", .path = D, .scope = "write", .body = "{\"pipeline\":", .status = 400},
    {.name = "empty body", .method = "POST", .path = D, .scope = "write", .body = "", .status = 400},
    {.name = "array body", .method = "POST", .path = D, .scope = "write", .body = "[]", .status = 400},
    {.name = "null body", .method = "POST", .path = D, .scope = "write", .body = "null", .status = 400},
    {.name = "invalid utf-8", .method = "POST", .path = D, .scope = "write", .body = "{\"pipeline\":\"a\xff\"}", .status = 400},
    {.name = "u0000", .method = "POST", .path = D, .scope = "write", .body = "{\"pipeline\":\"a\\u0000\"}", .status = 400},
    {.name = "duplicate key", .method = "POST", .path = D, .scope = "write", .body = "{\"pipeline\":\"a\",\"pipeline\":\"b\"}", .status = 400},
    {.name = "deep nesting", .method = "POST", .path = D, .scope = "write", .make_body = deep_3000, .status = 400},
    {.name = "amount beyond 64-bit", .method = "POST", .path = D, .scope = "write", .body = B("\"amount\":99999999999999999999"), .status = 400},
    {.name = "2 MB body", .method = "POST", .path = D, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "read key cannot create", .method = "POST", .path = D, .scope = "read", .body = B("\"amount\":1"), .status = 403},
    {.name = "no key", .method = "POST", .path = D, .body = B("\"amount\":1"), .status = 401},
    {.name = "post unknown query parameter", .method = "POST", .path = D "?x=1", .scope = "write", .body = B("\"amount\":1"), .status = 400, .field = "x"},

    /* content */
    {.name = "missing pipeline", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":{customer}}", .status = 422, .field = "pipeline"},
    {.name = "null pipeline", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":{customer},\"pipeline\":null}", .status = 422, .field = "pipeline"},
    {.name = "number pipeline", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":{customer},\"pipeline\":5}", .status = 422, .field = "pipeline"},
    {.name = "malformed pipeline key", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":{customer},\"pipeline\":\"-x\"}", .status = 422, .field = "pipeline"},
    {.name = "pipeline of 101", .method = "POST", .path = D, .scope = "write", .make_body = pipeline_101, .status = 422, .field = "pipeline"},
    {.name = "unknown pipeline", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":{customer},\"pipeline\":\"nope\"}", .status = 422, .field = "pipeline"},
    {.name = "unknown stage", .method = "POST", .path = D, .scope = "write", .body = B("\"stage\":\"signed\""), .status = 422, .field = "stage"},
    {.name = "malformed stage", .method = "POST", .path = D, .scope = "write", .body = B("\"stage\":\"a b\""), .status = 422, .field = "stage"},
    {.name = "empty stage", .method = "POST", .path = D, .scope = "write", .body = B("\"stage\":\"\""), .status = 422, .field = "stage"},
    {.name = "unknown product", .method = "POST", .path = D, .scope = "write", .body = B("\"product\":\"nope\""), .status = 422, .field = "product"},
    {.name = "malformed product", .method = "POST", .path = D, .scope = "write", .body = B("\"product\":\"'; drop\""), .status = 422, .field = "product"},
    {.name = "no customer", .method = "POST", .path = D, .scope = "write", .body = "{\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "both customer refs", .method = "POST", .path = D, .scope = "write", .body = B("\"customer_external_id\":\"dseed-c\""), .status = 422, .field = "customer_external_id"},
    {.name = "unknown customer", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":987654321,\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "unknown customer external id", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_external_id\":\"nobody\",\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_external_id"},
    {.name = "customer_id string", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":\"1\",\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "customer_id 0", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":0,\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "customer_id 1.0", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":1.0,\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "customer_id null", .method = "POST", .path = D, .scope = "write", .body = "{\"customer_id\":null,\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "revenue_type bogus", .method = "POST", .path = D, .scope = "write", .body = B("\"revenue_type\":\"monthly\""), .status = 422, .field = "revenue_type"},
    {.name = "revenue_type null", .method = "POST", .path = D, .scope = "write", .body = B("\"revenue_type\":null"), .status = 422, .field = "revenue_type"},
    {.name = "amount -1", .method = "POST", .path = D, .scope = "write", .body = B("\"amount\":-1"), .status = 422, .field = "amount"},
    {.name = "amount 2^53", .method = "POST", .path = D, .scope = "write", .body = B("\"amount\":9007199254740992"), .status = 422, .field = "amount"},
    {.name = "amount 1.5", .method = "POST", .path = D, .scope = "write", .body = B("\"amount\":1.5"), .status = 422, .field = "amount"},
    {.name = "amount 1.0", .method = "POST", .path = D, .scope = "write", .body = B("\"amount\":1.0"), .status = 422, .field = "amount"},
    {.name = "amount string", .method = "POST", .path = D, .scope = "write", .body = B("\"amount\":\"5\""), .status = 422, .field = "amount"},
    {.name = "amount null", .method = "POST", .path = D, .scope = "write", .body = B("\"amount\":null"), .status = 422, .field = "amount"},
    {.name = "mrr -1", .method = "POST", .path = D, .scope = "write", .body = B("\"mrr\":-1"), .status = 422, .field = "mrr"},
    {.name = "mrr 1e2", .method = "POST", .path = D, .scope = "write", .body = B("\"mrr\":1e2"), .status = 422, .field = "mrr"},
    {.name = "expected_close_date bad", .method = "POST", .path = D, .scope = "write", .body = B("\"expected_close_date\":\"2026-02-30\""), .status = 422, .field = "expected_close_date"},
    {.name = "expected_close_date timestamp", .method = "POST", .path = D, .scope = "write", .body = B("\"expected_close_date\":\"2026-02-01T00:00:00Z\""), .status = 422, .field = "expected_close_date"},
    {.name = "contract_end_date number", .method = "POST", .path = D, .scope = "write", .body = B("\"contract_end_date\":20260101"), .status = 422, .field = "contract_end_date"},
    {.name = "closed_at bad", .method = "POST", .path = D, .scope = "write", .body = B("\"stage\":\"won\",\"closed_at\":\"2026-13-01\""), .status = 422, .field = "closed_at"},
    {.name = "closed_at on open stage", .method = "POST", .path = D, .scope = "write", .body = B("\"closed_at\":\"2030-01-01\""), .status = 422, .field = "closed_at"},
    {.name = "closed_at before created_at", .method = "POST", .path = D, .scope = "write", .body = B("\"stage\":\"won\",\"closed_at\":\"2001-01-01\""), .status = 422, .field = "closed_at"},
    {.name = "external_id number", .method = "POST", .path = D, .scope = "write", .body = B("\"external_id\":5"), .status = 422, .field = "external_id"},
    {.name = "external_id of 256", .method = "POST", .path = D, .scope = "write", .make_body = external_id_256, .status = 422, .field = "external_id"},
    {.name = "unknown field", .method = "POST", .path = D, .scope = "write", .body = B("\"colour\":\"red\""), .status = 422, .field = "colour"},
    {.name = "read-only id", .method = "POST", .path = D, .scope = "write", .body = B("\"id\":1"), .status = 422, .field = "id"},
    {.name = "read-only currency", .method = "POST", .path = D, .scope = "write", .body = B("\"currency\":\"USD\""), .status = 422, .field = "currency"},
    {.name = "read-only updated_at", .method = "POST", .path = D, .scope = "write", .body = B("\"updated_at\":\"2026-01-01T00:00:00Z\""), .status = 422, .field = "updated_at"},
    {.name = "read-only version", .method = "POST", .path = D, .scope = "write", .body = B("\"version\":1"), .status = 422, .field = "version"},
    {.name = "created_at malformed", .method = "POST", .path = D, .scope = "write", .body = B("\"created_at\":\"yesterday\""), .status = 422, .field = "created_at"},
    {.name = "stage_history not array", .method = "POST", .path = D, .scope = "write", .body = B("\"stage_history\":\"lead\""), .status = 422, .field = "stage_history"},
    {.name = "stage_history of 1001", .method = "POST", .path = D, .scope = "write", .make_body = history_1001, .status = 422, .field = "stage_history"},
    {.name = "stage_history entry bad stage", .method = "POST", .path = D, .scope = "write", .body = B("\"created_at\":\"2025-01-01T00:00:00Z\",\"stage_history\":[{\"stage\":\"nope\",\"entered_at\":\"2025-01-02T00:00:00Z\"},{\"stage\":\"lead\",\"entered_at\":\"2025-01-03T00:00:00Z\"}]"), .status = 422, .field = "stage_history[0]"},
    {.name = "stage_history not ending on stage", .method = "POST", .path = D, .scope = "write", .body = B("\"created_at\":\"2025-01-01T00:00:00Z\",\"stage_history\":[{\"stage\":\"qualified\",\"entered_at\":\"2025-01-02T00:00:00Z\"}]"), .status = 422, .field = "stage_history[0]"},
    {.name = "duplicate external_id", .method = "POST", .path = D, .scope = "write", .body = B("\"external_id\":\"seed-d1\""), .status = 409, .field = "external_id"},

    /* Idempotency-Key */
    {.name = "idempotency key empty", .method = "POST", .path = D, .scope = "write", .header = "Idempotency-Key;", .body = B("\"amount\":1"), .status = 400},

    /* batch */
    {.name = "batch of 0", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[]}", .status = 422, .field = "inputs"},
    {.name = "batch of 1001", .method = "POST", .path = BATCH, .scope = "write", .make_body = batch_1001, .status = 422, .field = "inputs"},
    {.name = "batch without inputs", .method = "POST", .path = BATCH, .scope = "write", .body = "{}", .status = 422, .field = "inputs"},
    {.name = "batch inputs object", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":{}}", .status = 422, .field = "inputs"},
    {.name = "batch unknown member", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[" B("\"amount\":1") "],\"x\":1}", .status = 422, .field = "x"},
    {.name = "batch input not an object", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[" B("\"amount\":1") ",5]}", .status = 422, .index = 2},
    {.name = "batch bad input at 1", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[" B("\"amount\":1") "," B("\"amount\":-1") "]}", .status = 422, .field = "amount", .index = 2},
    {.name = "batch unknown pipeline at 1", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[" B("\"amount\":1") ",{\"customer_id\":{customer},\"pipeline\":\"zz\"}]}", .status = 422, .field = "pipeline", .index = 2},
    {.name = "batch closed_at rule at 0", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[" B("\"closed_at\":\"2030-01-01\"") "]}", .status = 422, .field = "closed_at", .index = 1},
    {.name = "batch duplicate external_id", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[" B("\"external_id\":\"bd\"") "," B("\"external_id\":\"bd\"") "]}", .status = 422, .field = "external_id", .index = 2},
    {.name = "batch malformed", .method = "POST", .path = BATCH, .scope = "write", .body = "{\"inputs\":[", .status = 400},
    {.name = "batch 2 MB", .method = "POST", .path = BATCH, .scope = "write", .make_body = body_2mb, .status = 413},

    /* list query */
    {.name = "limit 0", .method = "GET", .path = D "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit 1001", .method = "GET", .path = D "?limit=1001", .scope = "read", .status = 400, .field = "limit"},
    {.name = "limit abc", .method = "GET", .path = D "?limit=abc", .scope = "read", .status = 400, .field = "limit"},
    {.name = "cursor garbage", .method = "GET", .path = D "?after=%21%21", .scope = "read", .status = 400, .field = "after"},
    {.name = "cursor of a key list", .method = "GET", .path = D "?after=azE6YQ", .scope = "read", .status = 400, .field = "after"},
    {.name = "cursor long", .method = "GET", .make_path = after_1000, .scope = "read", .status = 400, .field = "after"},
    {.name = "unknown query parameter", .method = "GET", .path = D "?q=1", .scope = "read", .status = 400, .field = "q"},
    {.name = "repeated parameter", .method = "GET", .path = D "?stage=a&stage=b", .scope = "read", .status = 400, .field = "stage"},
    {.name = "customer_id abc", .method = "GET", .path = D "?customer_id=abc", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "customer_id 0", .method = "GET", .path = D "?customer_id=0", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "customer_id -1", .method = "GET", .path = D "?customer_id=-1", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "customer_id huge", .method = "GET", .path = D "?customer_id=99999999999999999999", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "customer_id empty", .method = "GET", .path = D "?customer_id=", .scope = "read", .status = 400, .field = "customer_id"},
    {.name = "status bogus", .method = "GET", .path = D "?status=closed", .scope = "read", .status = 400, .field = "status"},
    {.name = "closed_from bad", .method = "GET", .path = D "?closed_from=2026-02-30", .scope = "read", .status = 400, .field = "closed_from"},
    {.name = "closed_to bad", .method = "GET", .path = D "?closed_to=yesterday", .scope = "read", .status = 400, .field = "closed_to"},
    {.name = "expected_close_from bad", .method = "GET", .path = D "?expected_close_from=2026-1-1", .scope = "read", .status = 400, .field = "expected_close_from"},
    {.name = "expected_close_to bad", .method = "GET", .path = D "?expected_close_to=", .scope = "read", .status = 400, .field = "expected_close_to"},
    {.name = "filter invalid utf-8", .method = "GET", .path = D "?pipeline=%FF", .scope = "read", .status = 400},
    {.name = "no key list", .method = "GET", .path = D, .status = 401},
    {.name = "sql in pipeline", .method = "GET", .path = D "?pipeline=%27%3B%20DROP%20TABLE%20deals%3B%20--", .scope = "read", .status = 200},
    {.name = "sql in stage", .method = "GET", .path = D "?stage=x%27%20OR%20%271%27%3D%271", .scope = "read", .status = 200},
    {.name = "sql in product", .method = "GET", .path = D "?product=%27%20OR%201%3D1%20--", .scope = "read", .status = 200},
    {.name = "unknown customer filter", .method = "GET", .path = D "?customer_id=987654321", .scope = "read", .status = 200},
    {.name = "empty date range", .method = "GET", .path = D "?closed_from=2030-01-02&closed_to=2030-01-01", .scope = "read", .status = 200},

    /* ids in paths */
    {.name = "id non-numeric", .method = "GET", .path = D "/abc", .scope = "read", .status = 400},
    {.name = "id zero", .method = "GET", .path = D "/0", .scope = "read", .status = 400},
    {.name = "id negative", .method = "GET", .path = D "/-5", .scope = "read", .status = 400},
    {.name = "id huge", .method = "GET", .path = D "/99999999999999999999", .scope = "read", .status = 400},
    {.name = "id absent", .method = "GET", .path = D "/999999", .scope = "read", .status = 404},
    {.name = "get unknown query parameter", .method = "GET", .path = ITEM "?x=1", .scope = "read", .status = 400, .field = "x"},
    {.name = "history id non-numeric", .method = "GET", .path = D "/abc/history", .scope = "read", .status = 400},
    {.name = "history id absent", .method = "GET", .path = D "/999999/history", .scope = "read", .status = 404},
    {.name = "history unknown query parameter", .method = "GET", .path = HIST "?limit=1", .scope = "read", .status = 400, .field = "limit"},
    {.name = "history post", .method = "POST", .path = HIST, .scope = "write", .body = "{}", .status = 405},
    {.name = "external absent", .method = "GET", .path = D "/external/nobody", .scope = "read", .status = 404},
    {.name = "external invalid utf-8", .method = "GET", .path = D "/external/%FF", .scope = "read", .status = 404, .alt_status = 400},
    {.name = "external with nul", .method = "GET", .path = EXT "%00x", .scope = "read", .status = 404, .alt_status = 400},

    /* PATCH */
    {.name = "patch malformed", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"stage\"", .status = 400},
    {.name = "patch array", .method = "PATCH", .path = ITEM, .scope = "write", .body = "[]", .status = 400},
    {.name = "patch 2 MB", .method = "PATCH", .path = ITEM, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "patch read key", .method = "PATCH", .path = ITEM, .scope = "read", .body = "{\"amount\":1}", .status = 403},
    {.name = "patch null pipeline", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"pipeline\":null}", .status = 422, .field = "pipeline"},
    {.name = "patch null stage", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"stage\":null}", .status = 422, .field = "stage"},
    {.name = "patch unknown stage", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"stage\":\"signed\"}", .status = 422, .field = "stage"},
    {.name = "patch pipeline without its stage", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"pipeline\":\"renewal\"}", .status = 422, .field = "stage"},
    {.name = "patch unknown pipeline", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"pipeline\":\"nope\",\"stage\":\"lead\"}", .status = 422, .field = "pipeline"},
    {.name = "patch unknown product", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"product\":\"nope\"}", .status = 422, .field = "product"},
    {.name = "patch closed_at while open", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"closed_at\":\"2030-01-01\"}", .status = 422, .field = "closed_at"},
    {.name = "patch won before created_at", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"stage\":\"won\",\"closed_at\":\"2001-01-01\"}", .status = 422, .field = "closed_at"},
    {.name = "patch amount null", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"amount\":null}", .status = 422, .field = "amount"},
    {.name = "patch amount 1.5", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"amount\":1.5}", .status = 422, .field = "amount"},
    {.name = "patch unknown customer", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"customer_id\":987654321}", .status = 422, .field = "customer_id"},
    {.name = "patch both customer refs", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"customer_id\":{customer},\"customer_external_id\":\"dseed-c\"}", .status = 422, .field = "customer_external_id"},
    {.name = "patch created_at", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"created_at\":\"2025-01-01T00:00:00Z\"}", .status = 422, .field = "created_at"},
    {.name = "patch stage_history", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"stage_history\":[]}", .status = 422, .field = "stage_history"},
    {.name = "patch read-only id", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"id\":1}", .status = 422, .field = "id"},
    {.name = "patch unknown field", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"colour\":1}", .status = 422, .field = "colour"},
    {.name = "patch version string", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"version\":\"1\"}", .status = 422, .field = "version"},
    {.name = "patch stale version", .method = "PATCH", .path = ITEM, .scope = "write", .body = "{\"version\":99,\"amount\":1}", .status = 412},
    {.name = "patch stale if-match", .method = "PATCH", .path = ITEM, .scope = "write", .header = "If-Match: \"99\"", .body = "{\"amount\":1}", .status = 412},
    {.name = "patch stale if-match and bad stage", .method = "PATCH", .path = ITEM, .scope = "write", .header = "If-Match: \"99\"", .body = "{\"stage\":\"zz\"}", .status = 422, .field = "stage"},
    {.name = "patch duplicate external_id", .method = "PATCH", .path = "/v1/deals/{other}", .scope = "write", .body = "{\"external_id\":\"seed-d1\"}", .status = 409},
    {.name = "patch id zero", .method = "PATCH", .path = D "/0", .scope = "write", .body = "{\"amount\":1}", .status = 400},
    {.name = "patch id absent", .method = "PATCH", .path = D "/999999", .scope = "write", .body = "{\"amount\":1}", .status = 404},

    /* DELETE */
    {.name = "delete id non-numeric", .method = "DELETE", .path = D "/abc", .scope = "write", .status = 400},
    {.name = "delete id absent", .method = "DELETE", .path = D "/999999", .scope = "write", .status = 404},
    {.name = "delete stale if-match", .method = "DELETE", .path = ITEM, .scope = "write", .header = "If-Match: \"99\"", .status = 412},
    {.name = "delete read key", .method = "DELETE", .path = ITEM, .scope = "read", .status = 403},
    {.name = "delete unknown query parameter", .method = "DELETE", .path = ITEM "?force=1", .scope = "write", .status = 400, .field = "force"},

    /* PUT external */
    {.name = "put malformed", .method = "PUT", .path = EXT, .scope = "write", .body = "{", .status = 400},
    {.name = "put 2 MB", .method = "PUT", .path = EXT, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "put missing pipeline", .method = "PUT", .path = EXT, .scope = "write", .body = "{\"customer_id\":{customer}}", .status = 422, .field = "pipeline"},
    {.name = "put missing customer", .method = "PUT", .path = EXT, .scope = "write", .body = "{\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "put other external_id", .method = "PUT", .path = EXT, .scope = "write", .body = B("\"external_id\":\"seed-d2\""), .status = 422, .field = "external_id"},
    {.name = "put unknown stage", .method = "PUT", .path = EXT, .scope = "write", .body = B("\"stage\":\"signed\""), .status = 422, .field = "stage"},
    {.name = "put unknown customer", .method = "PUT", .path = EXT, .scope = "write", .body = "{\"customer_id\":987654321,\"pipeline\":\"renewal\"}", .status = 422, .field = "customer_id"},
    {.name = "put new with unknown product", .method = "PUT", .path = D "/external/fresh-1", .scope = "write", .body = B("\"product\":\"nope\""), .status = 422, .field = "product"},
    {.name = "put new with bad history", .method = "PUT", .path = D "/external/fresh-2", .scope = "write", .body = B("\"created_at\":\"2025-01-01T00:00:00Z\",\"stage_history\":[{\"stage\":\"won\",\"entered_at\":\"2025-01-02T00:00:00Z\"}]"), .status = 422, .field = "stage_history[0]"},
    {.name = "put closed_at on open stage", .method = "PUT", .path = EXT, .scope = "write", .body = B("\"closed_at\":\"2030-01-01\""), .status = 422, .field = "closed_at"},
    {.name = "put external id of 256", .method = "PUT", .make_path = external_256_path, .scope = "write", .body = B("\"amount\":1"), .status = 422, .field = "external_id"},
    {.name = "put stale if-match", .method = "PUT", .path = EXT, .scope = "write", .header = "If-Match: \"99\"", .body = B("\"amount\":1"), .status = 412},
    {.name = "put if-match on missing", .method = "PUT", .path = D "/external/fresh-3", .scope = "write", .header = "If-Match: \"1\"", .body = B("\"amount\":1"), .status = 412},
    {.name = "put read key", .method = "PUT", .path = EXT, .scope = "read", .body = B("\"amount\":1"), .status = 403},
};
/* clang-format on */

#define N_CASES ((int)(sizeof cases / sizeof *cases))

static const char *expand(const char *path)
{
  return bad_case_expand_ids(path, seed_id);
}

START_TEST(test_bad_input_is_rejected_without_change)
{
  bad_case_check(env, &cases[_i], expand, expand_body);
}
END_TEST

START_TEST(test_server_survives_every_case)
{
  harness_assert_status(harness_call(env, NULL, "GET", "/healthz", NULL, NULL), 200);
  harness_assert_status(harness_call(env, NULL, "GET", "/readyz", NULL, NULL), 200);
  harness_response *r =
      harness_call(env, "read", "GET", harness_fmt("/v1/deals/%lld", seed_id), NULL, NULL);
  harness_assert_status(r, 200);
  ck_assert_int_eq(harness_json_int(r, "version"), 1);
}
END_TEST

static Suite *badinput_suite(void)
{
  Suite *s = suite_create("badinput_deals");
  TCase *tc = harness_tcase("table");
  tcase_add_loop_test(tc, test_bad_input_is_rejected_without_change, 0, N_CASES);
  suite_add_tcase(s, tc);
  tc = harness_tcase("after");
  tcase_add_test(tc, test_server_survives_every_case);
  suite_add_tcase(s, tc);
  return s;
}

/* The seed customer (external id dseed-c) and two deals with consecutive ids (external ids
 * seed-d1 and seed-d2) in the first stage of new_business. */
static void seed(void)
{
  char auth[128];
  const char *h[] = {auth, NULL};
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", env->key_write);
  harness_response *c = harness_request(env->srv, "POST", "/v1/customers", h,
                                        "{\"name\":\"Seed\",\"external_id\":\"dseed-c\"}", -1);
  if (c->status != 201) {
    fprintf(stderr, "cannot create the seed customer: %ld %s\n", c->status, c->body);
    exit(1);
  }
  customer_id = json_integer_value(json_object_get(c->json, "id"));
  harness_response *d = harness_request(
      env->srv, "POST", "/v1/deals/batch", h,
      harness_fmt("{\"inputs\":[{\"customer_id\":%lld,\"pipeline\":\"new_business\","
                  "\"external_id\":\"seed-d1\"},{\"customer_id\":%lld,\"pipeline\":"
                  "\"new_business\",\"external_id\":\"seed-d2\"}]}",
                  customer_id, customer_id),
      -1);
  json_t *results = json_object_get(d->json, "results");
  if (d->status != 200 || json_array_size(results) != 2) {
    fprintf(stderr, "cannot create the seed deals: %ld %s\n", d->status, d->body);
    exit(1);
  }
  seed_id = json_integer_value(json_object_get(json_array_get(results, 0), "id"));
  if (json_integer_value(json_object_get(json_array_get(results, 1), "id")) != seed_id + 1) {
    fprintf(stderr, "the seed deals do not have consecutive ids\n");
    exit(1);
  }
  harness_response_free(c);
  harness_response_free(d);
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  seed();
  return harness_run(badinput_suite(), env);
}
