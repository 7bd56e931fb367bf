/* Invalid input over every business unit, product, pipeline, settings and API key
 * endpoint, as a table in the style of test_badinput.c: each case gives the request, the
 * status it must get and the field its problem body must name, and asserts that the
 * database did not change and that the server is still up. Cases expecting 200 are
 * hostile but valid list filters: they must answer an empty list. The seed: unit
 * seed-bu, product seed-p in it, pipeline seed-pl (stages a, w, l) and a deal in stage a
 * of seed-pl for seed-p, so that every "in use" rule has something to refuse. */
#include "badinput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static harness_env *env;

/* Generated bodies and paths ------------------------------------------------------------ */

static const char *body_2mb(void)
{
  return bad_body_2mb("name");
}

static const char *deep_3000(void)
{
  return harness_fmt("{\"name\":%s}", bad_nested_arrays(3000));
}

static const char *unit_key_101(void)
{
  return harness_fmt("{\"key\":\"%s\",\"name\":\"n\"}", harness_repeat('k', 101));
}

static const char *unit_name_501(void)
{
  return harness_fmt("{\"key\":\"k501\",\"name\":\"%s\"}", harness_repeat('n', 501));
}

static const char *product_family_101(void)
{
  return harness_fmt("{\"key\":\"f101\",\"name\":\"n\",\"business_unit\":\"seed-bu\","
                     "\"family\":\"%s\"}",
                     harness_repeat('f', 101));
}

static const char *stages_51(void)
{
  json_t *stages = json_array();
  for (int i = 0; i < 51; i++)
    json_array_append_new(stages, json_pack("{s:s, s:f, s:s}", "key", harness_fmt("s%d", i),
                                            "probability", 0.5, "state",
                                            i == 0   ? "won"
                                            : i == 1 ? "lost"
                                                     : "open"));
  return harness_dump(json_pack("{s:s, s:s, s:s, s:o}", "key", "p51", "name", "n", "kind", "upsell",
                                "stages", stages));
}

static const char *key_name_101(void)
{
  return harness_fmt("{\"name\":\"%s\",\"scope\":\"read\"}", harness_repeat('n', 101));
}

static const char *unit_after_1000(void)
{
  return harness_fmt("/v1/business-units?after=%s", harness_repeat('A', 1000));
}

/* The table -------------------------------------------------------------------------------- */

#define U "/v1/business-units"
#define UI U "/seed-bu"
#define P "/v1/products"
#define PI P "/seed-p"
#define PL "/v1/pipelines"
#define PLI PL "/seed-pl"
#define S "/v1/settings"
#define K "/v1/api-keys"
/* a product body with one more member */
#define PB(s) "{\"key\":\"np\",\"name\":\"n\",\"business_unit\":\"seed-bu\",\"family\":\"f\"," s "}"
/* a pipeline body with the given stages */
#define PLB(s) "{\"key\":\"npl\",\"name\":\"n\",\"kind\":\"upsell\",\"stages\":[" s "]}"
#define OPEN "{\"key\":\"o\",\"probability\":0.5,\"state\":\"open\"}"
#define WON "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"}"
#define LOST "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}"
#define WL WON "," LOST

/* clang-format off */
static const struct bad_case cases[] = {
    /* business units: create */
    {.name = "unit malformed json", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":", .status = 400},
    {.name = "unit array body", .method = "POST", .path = U, .scope = "write", .body = "[]", .status = 400},
    {.name = "unit empty body", .method = "POST", .path = U, .scope = "write", .body = "", .status = 400},
    {.name = "unit invalid utf-8", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"a\",\"name\":\"\xff\"}", .status = 400},
    {.name = "unit u0000", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"a\",\"name\":\"\\u0000\"}", .status = 400},
    {.name = "unit deep nesting", .method = "POST", .path = U, .scope = "write", .make_body = deep_3000, .status = 400},
    {.name = "unit 2 MB", .method = "POST", .path = U, .scope = "write", .make_body = body_2mb, .status = 413},
    {.name = "unit missing key", .method = "POST", .path = U, .scope = "write", .body = "{\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit missing name", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"k\"}", .status = 422, .field = "name"},
    {.name = "unit key number", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":5,\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key null", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":null,\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key empty", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"\",\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key leading dash", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"-a\",\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key space", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"a b\",\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key slash", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"a/b\",\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key non-ascii", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"caf\xc3\xa9\",\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key sql", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"a';--\",\"name\":\"n\"}", .status = 422, .field = "key"},
    {.name = "unit key of 101", .method = "POST", .path = U, .scope = "write", .make_body = unit_key_101, .status = 422, .field = "key"},
    {.name = "unit name empty", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"\"}", .status = 422, .field = "name"},
    {.name = "unit name of 501", .method = "POST", .path = U, .scope = "write", .make_body = unit_name_501, .status = 422, .field = "name"},
    {.name = "unit name array", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"k\",\"name\":[]}", .status = 422, .field = "name"},
    {.name = "unit unknown field", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"colour\":1}", .status = 422, .field = "colour"},
    {.name = "unit read-only version", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"version\":1}", .status = 422, .field = "version"},
    {.name = "unit read-only created_at", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"created_at\":\"x\"}", .status = 422, .field = "created_at"},
    {.name = "unit duplicate key", .method = "POST", .path = U, .scope = "write", .body = "{\"key\":\"seed-bu\",\"name\":\"n\"}", .status = 409, .field = "key"},
    {.name = "unit create with read key", .method = "POST", .path = U, .scope = "read", .body = "{\"key\":\"k\",\"name\":\"n\"}", .status = 403},
    {.name = "unit create without key", .method = "POST", .path = U, .body = "{\"key\":\"k\",\"name\":\"n\"}", .status = 401},
    {.name = "unit create unknown query", .method = "POST", .path = U "?x=1", .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\"}", .status = 400, .field = "x"},
    /* business units: list, get */
    {.name = "unit list limit 0", .method = "GET", .path = U "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "unit list limit 1001", .method = "GET", .path = U "?limit=1001", .scope = "read", .status = 400, .field = "limit"},
    {.name = "unit list limit abc", .method = "GET", .path = U "?limit=abc", .scope = "read", .status = 400, .field = "limit"},
    {.name = "unit list cursor garbage", .method = "GET", .path = U "?after=%21%21", .scope = "read", .status = 400, .field = "after"},
    {.name = "unit list cursor of empty key", .method = "GET", .path = U "?after=azE6", .scope = "read", .status = 400, .field = "after"},
    {.name = "unit list offset cursor", .method = "GET", .path = U "?after=bzE6MTA", .scope = "read", .status = 400, .field = "after"},
    {.name = "unit list cursor long", .method = "GET", .make_path = unit_after_1000, .scope = "read", .status = 400, .field = "after"},
    {.name = "unit list unknown query", .method = "GET", .path = U "?family=x", .scope = "read", .status = 400, .field = "family"},
    {.name = "unit list without key", .method = "GET", .path = U, .status = 401},
    {.name = "unit get malformed key", .method = "GET", .path = U "/-x", .scope = "read", .status = 404},
    {.name = "unit get unknown", .method = "GET", .path = U "/no-such", .scope = "read", .status = 404},
    {.name = "unit get invalid utf-8", .method = "GET", .path = U "/%FF", .scope = "read", .status = 400, .alt_status = 404},
    {.name = "unit get sql key", .method = "GET", .path = U "/x%27%20OR%20%271", .scope = "read", .status = 404},
    {.name = "unit get unknown query", .method = "GET", .path = UI "?x=1", .scope = "read", .status = 400, .field = "x"},
    /* business units: patch */
    {.name = "unit patch malformed", .method = "PATCH", .path = UI, .scope = "write", .body = "{", .status = 400},
    {.name = "unit patch array", .method = "PATCH", .path = UI, .scope = "write", .body = "[]", .status = 400},
    {.name = "unit patch name null", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"name\":null}", .status = 422, .field = "name"},
    {.name = "unit patch name number", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"name\":5}", .status = 422, .field = "name"},
    {.name = "unit patch other key", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"key\":\"other\"}", .status = 422, .field = "key"},
    {.name = "unit patch key null", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"key\":null}", .status = 422, .field = "key"},
    {.name = "unit patch version string", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"version\":\"1\"}", .status = 422, .field = "version"},
    {.name = "unit patch unknown field", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"colour\":1}", .status = 422, .field = "colour"},
    {.name = "unit patch read-only updated_at", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"updated_at\":\"x\"}", .status = 422, .field = "updated_at"},
    {.name = "unit patch stale version", .method = "PATCH", .path = UI, .scope = "write", .body = "{\"name\":\"x\",\"version\":9}", .status = 412},
    {.name = "unit patch stale if-match", .method = "PATCH", .path = UI, .scope = "write", .header = "If-Match: \"9\"", .body = "{\"name\":\"x\"}", .status = 412},
    {.name = "unit patch unknown", .method = "PATCH", .path = U "/no-such", .scope = "write", .body = "{\"name\":\"x\"}", .status = 404},
    {.name = "unit patch read key", .method = "PATCH", .path = UI, .scope = "read", .body = "{\"name\":\"x\"}", .status = 403},
    {.name = "unit patch 2 MB", .method = "PATCH", .path = UI, .scope = "write", .make_body = body_2mb, .status = 413},
    /* business units: delete */
    {.name = "unit delete in use", .method = "DELETE", .path = UI, .scope = "write", .status = 409, .field = "key"},
    {.name = "unit delete unknown", .method = "DELETE", .path = U "/no-such", .scope = "write", .status = 404},
    {.name = "unit delete malformed key", .method = "DELETE", .path = U "/.x", .scope = "write", .status = 404},
    {.name = "unit delete stale if-match", .method = "DELETE", .path = UI, .scope = "write", .header = "If-Match: \"9\"", .status = 412},
    {.name = "unit delete unknown query", .method = "DELETE", .path = UI "?force=1", .scope = "write", .status = 400, .field = "force"},
    {.name = "unit delete read key", .method = "DELETE", .path = UI, .scope = "read", .status = 403},

    /* products: create */
    {.name = "product malformed", .method = "POST", .path = P, .scope = "write", .body = "{\"key\"", .status = 400},
    {.name = "product beyond 64-bit", .method = "POST", .path = P, .scope = "write", .body = PB("\"tier\":99999999999999999999"), .status = 400},
    {.name = "product missing key", .method = "POST", .path = P, .scope = "write", .body = "{\"name\":\"n\",\"business_unit\":\"seed-bu\",\"family\":\"f\"}", .status = 422, .field = "key"},
    {.name = "product missing name", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"k\",\"business_unit\":\"seed-bu\",\"family\":\"f\"}", .status = 422, .field = "name"},
    {.name = "product missing unit", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"family\":\"f\"}", .status = 422, .field = "business_unit"},
    {.name = "product missing family", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"business_unit\":\"seed-bu\"}", .status = 422, .field = "family"},
    {.name = "product unknown unit", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"business_unit\":\"nope\",\"family\":\"f\"}", .status = 422, .field = "business_unit"},
    {.name = "product unit number", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"business_unit\":1,\"family\":\"f\"}", .status = 422, .field = "business_unit"},
    {.name = "product key malformed", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"a b\",\"name\":\"n\",\"business_unit\":\"seed-bu\",\"family\":\"f\"}", .status = 422, .field = "key"},
    {.name = "product family empty", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"business_unit\":\"seed-bu\",\"family\":\"\"}", .status = 422, .field = "family"},
    {.name = "product family of 101", .method = "POST", .path = P, .scope = "write", .make_body = product_family_101, .status = 422, .field = "family"},
    {.name = "product tier 0", .method = "POST", .path = P, .scope = "write", .body = PB("\"tier\":0"), .status = 422, .field = "tier"},
    {.name = "product tier 1001", .method = "POST", .path = P, .scope = "write", .body = PB("\"tier\":1001"), .status = 422, .field = "tier"},
    {.name = "product tier 1.5", .method = "POST", .path = P, .scope = "write", .body = PB("\"tier\":1.5"), .status = 422, .field = "tier"},
    {.name = "product tier 2.0", .method = "POST", .path = P, .scope = "write", .body = PB("\"tier\":2.0"), .status = 422, .field = "tier"},
    {.name = "product tier string", .method = "POST", .path = P, .scope = "write", .body = PB("\"tier\":\"2\""), .status = 422, .field = "tier"},
    {.name = "product tier null", .method = "POST", .path = P, .scope = "write", .body = PB("\"tier\":null"), .status = 422, .field = "tier"},
    {.name = "product price -1", .method = "POST", .path = P, .scope = "write", .body = PB("\"monthly_price\":-1"), .status = 422, .field = "monthly_price"},
    {.name = "product price 2^53", .method = "POST", .path = P, .scope = "write", .body = PB("\"monthly_price\":9007199254740992"), .status = 422, .field = "monthly_price"},
    {.name = "product price 1.5", .method = "POST", .path = P, .scope = "write", .body = PB("\"monthly_price\":1.5"), .status = 422, .field = "monthly_price"},
    {.name = "product price string", .method = "POST", .path = P, .scope = "write", .body = PB("\"monthly_price\":\"100\""), .status = 422, .field = "monthly_price"},
    {.name = "product price null", .method = "POST", .path = P, .scope = "write", .body = PB("\"monthly_price\":null"), .status = 422, .field = "monthly_price"},
    {.name = "product margin 1.01", .method = "POST", .path = P, .scope = "write", .body = PB("\"gross_margin\":1.01"), .status = 422, .field = "gross_margin"},
    {.name = "product margin -0.01", .method = "POST", .path = P, .scope = "write", .body = PB("\"gross_margin\":-0.01"), .status = 422, .field = "gross_margin"},
    {.name = "product margin string", .method = "POST", .path = P, .scope = "write", .body = PB("\"gross_margin\":\"0.5\""), .status = 422, .field = "gross_margin"},
    {.name = "product margin bool", .method = "POST", .path = P, .scope = "write", .body = PB("\"gross_margin\":true"), .status = 422, .field = "gross_margin"},
    {.name = "product margin 1e400", .method = "POST", .path = P, .scope = "write", .body = PB("\"gross_margin\":1e400"), .status = 400, .alt_status = 422},
    {.name = "product read-only currency", .method = "POST", .path = P, .scope = "write", .body = PB("\"currency\":\"USD\""), .status = 422, .field = "currency"},
    {.name = "product read-only version", .method = "POST", .path = P, .scope = "write", .body = PB("\"version\":1"), .status = 422, .field = "version"},
    {.name = "product unknown field", .method = "POST", .path = P, .scope = "write", .body = PB("\"colour\":\"red\""), .status = 422, .field = "colour"},
    {.name = "product duplicate key", .method = "POST", .path = P, .scope = "write", .body = "{\"key\":\"seed-p\",\"name\":\"n\",\"business_unit\":\"seed-bu\",\"family\":\"f\"}", .status = 409, .field = "key"},
    {.name = "product create read key", .method = "POST", .path = P, .scope = "read", .body = PB("\"tier\":1"), .status = 403},
    /* products: list, get */
    {.name = "product list limit 0", .method = "GET", .path = P "?limit=0", .scope = "read", .status = 400, .field = "limit"},
    {.name = "product list cursor garbage", .method = "GET", .path = P "?after=zzz", .scope = "read", .status = 400, .field = "after"},
    {.name = "product list unknown query", .method = "GET", .path = P "?tier=1", .scope = "read", .status = 400, .field = "tier"},
    {.name = "product list repeated filter", .method = "GET", .path = P "?family=a&family=b", .scope = "read", .status = 400, .field = "family"},
    {.name = "product list sql unit", .method = "GET", .path = P "?business_unit=%27%20OR%20%271%27%3D%271", .scope = "read", .status = 200},
    {.name = "product list sql family", .method = "GET", .path = P "?family=x%27%3B%20DROP%20TABLE%20products%3B--", .scope = "read", .status = 200},
    {.name = "product list filter invalid utf-8", .method = "GET", .path = P "?family=%FF", .scope = "read", .status = 400},
    {.name = "product get malformed key", .method = "GET", .path = P "/a%20b", .scope = "read", .status = 404},
    {.name = "product get unknown", .method = "GET", .path = P "/no-such", .scope = "read", .status = 404},
    /* products: patch */
    {.name = "product patch malformed", .method = "PATCH", .path = PI, .scope = "write", .body = "{,}", .status = 400},
    {.name = "product patch tier 0", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"tier\":0}", .status = 422, .field = "tier"},
    {.name = "product patch tier null", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"tier\":null}", .status = 422, .field = "tier"},
    {.name = "product patch name null", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"name\":null}", .status = 422, .field = "name"},
    {.name = "product patch family null", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"family\":null}", .status = 422, .field = "family"},
    {.name = "product patch unit null", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"business_unit\":null}", .status = 422, .field = "business_unit"},
    {.name = "product patch unknown unit", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"business_unit\":\"nope\"}", .status = 422, .field = "business_unit"},
    {.name = "product patch margin 2", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"gross_margin\":2}", .status = 422, .field = "gross_margin"},
    {.name = "product patch price -5", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"monthly_price\":-5}", .status = 422, .field = "monthly_price"},
    {.name = "product patch other key", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"key\":\"other\"}", .status = 422, .field = "key"},
    {.name = "product patch currency", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"currency\":\"EUR\"}", .status = 422, .field = "currency"},
    {.name = "product patch stale if-match", .method = "PATCH", .path = PI, .scope = "write", .header = "If-Match: \"5\"", .body = "{\"tier\":2}", .status = 412},
    {.name = "product patch stale version", .method = "PATCH", .path = PI, .scope = "write", .body = "{\"tier\":2,\"version\":5}", .status = 412},
    {.name = "product patch unknown", .method = "PATCH", .path = P "/no-such", .scope = "write", .body = "{\"tier\":2}", .status = 404},
    /* products: delete */
    {.name = "product delete in use", .method = "DELETE", .path = PI, .scope = "write", .status = 409, .field = "key"},
    {.name = "product delete unknown", .method = "DELETE", .path = P "/no-such", .scope = "write", .status = 404},
    {.name = "product delete stale if-match", .method = "DELETE", .path = PI, .scope = "write", .header = "If-Match: \"5\"", .status = 412},
    {.name = "product delete read key", .method = "DELETE", .path = PI, .scope = "read", .status = 403},

    /* pipelines: create */
    {.name = "pipeline malformed", .method = "POST", .path = PL, .scope = "write", .body = "{\"stages\":[", .status = 400},
    {.name = "pipeline deep nesting", .method = "POST", .path = PL, .scope = "write", .make_body = deep_3000, .status = 400},
    {.name = "pipeline missing stages", .method = "POST", .path = PL, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"kind\":\"upsell\"}", .status = 422, .field = "stages"},
    {.name = "pipeline missing kind", .method = "POST", .path = PL, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"stages\":[" OPEN "," WL "]}", .status = 422, .field = "kind"},
    {.name = "pipeline bad kind", .method = "POST", .path = PL, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"kind\":\"churn\",\"stages\":[" OPEN "," WL "]}", .status = 422, .field = "kind"},
    {.name = "pipeline key malformed", .method = "POST", .path = PL, .scope = "write", .body = "{\"key\":\"k k\",\"name\":\"n\",\"kind\":\"upsell\",\"stages\":[" OPEN "," WL "]}", .status = 422, .field = "key"},
    {.name = "pipeline stages empty", .method = "POST", .path = PL, .scope = "write", .body = PLB(""), .status = 422, .field = "stages"},
    {.name = "pipeline stages object", .method = "POST", .path = PL, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"kind\":\"upsell\",\"stages\":{}}", .status = 422, .field = "stages"},
    {.name = "pipeline 51 stages", .method = "POST", .path = PL, .scope = "write", .make_body = stages_51, .status = 422, .field = "stages"},
    {.name = "pipeline stage not object", .method = "POST", .path = PL, .scope = "write", .body = PLB("1," WL), .status = 422, .field = "stages[0]"},
    {.name = "pipeline stage missing key", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"probability\":0.5,\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].key"},
    {.name = "pipeline stage key malformed", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o!\",\"probability\":0.5,\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].key"},
    {.name = "pipeline stage missing probability", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].probability"},
    {.name = "pipeline stage probability 1.5", .method = "POST", .path = PL, .scope = "write", .body = PLB(OPEN ",{\"key\":\"w\",\"probability\":1.5,\"state\":\"won\"}," LOST), .status = 422, .field = "stages[1].probability"},
    {.name = "pipeline stage probability -1", .method = "POST", .path = PL, .scope = "write", .body = PLB(OPEN "," WON ",{\"key\":\"l\",\"probability\":-1,\"state\":\"lost\"}"), .status = 422, .field = "stages[2].probability"},
    {.name = "pipeline stage probability string", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"probability\":\"0.5\",\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].probability"},
    {.name = "pipeline stage probability null", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"probability\":null,\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].probability"},
    {.name = "pipeline stage bad state", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"probability\":0.5,\"state\":\"closed\"}," WL), .status = 422, .field = "stages[0].state"},
    {.name = "pipeline stage missing state", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"probability\":0.5}," WL), .status = 422, .field = "stages[0].state"},
    {.name = "pipeline stage empty name", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"name\":\"\",\"probability\":0.5,\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].name"},
    {.name = "pipeline stage unknown field", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"colour\":1,\"probability\":0.5,\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].colour"},
    {.name = "pipeline stage wrong position", .method = "POST", .path = PL, .scope = "write", .body = PLB("{\"key\":\"o\",\"position\":3,\"probability\":0.5,\"state\":\"open\"}," WL), .status = 422, .field = "stages[0].position"},
    {.name = "pipeline duplicate stage key", .method = "POST", .path = PL, .scope = "write", .body = PLB(OPEN "," OPEN "," WL), .status = 422, .field = "stages[1].key"},
    {.name = "pipeline without won", .method = "POST", .path = PL, .scope = "write", .body = PLB(OPEN "," LOST), .status = 422, .field = "stages"},
    {.name = "pipeline without lost", .method = "POST", .path = PL, .scope = "write", .body = PLB(OPEN "," WON), .status = 422, .field = "stages"},
    {.name = "pipeline without open", .method = "POST", .path = PL, .scope = "write", .body = PLB(WL), .status = 422, .field = "stages"},
    {.name = "pipeline read-only version", .method = "POST", .path = PL, .scope = "write", .body = "{\"key\":\"k\",\"name\":\"n\",\"kind\":\"upsell\",\"version\":1,\"stages\":[" OPEN "," WL "]}", .status = 422, .field = "version"},
    {.name = "pipeline duplicate key", .method = "POST", .path = PL, .scope = "write", .body = "{\"key\":\"upsell\",\"name\":\"n\",\"kind\":\"upsell\",\"stages\":[" OPEN "," WL "]}", .status = 409, .field = "key"},
    {.name = "pipeline create read key", .method = "POST", .path = PL, .scope = "read", .body = PLB(OPEN "," WL), .status = 403},
    /* pipelines: list, get */
    {.name = "pipeline list limit 1001", .method = "GET", .path = PL "?limit=1001", .scope = "read", .status = 400, .field = "limit"},
    {.name = "pipeline list cursor garbage", .method = "GET", .path = PL "?after=%2A", .scope = "read", .status = 400, .field = "after"},
    {.name = "pipeline list unknown query", .method = "GET", .path = PL "?kind=upsell", .scope = "read", .status = 400, .field = "kind"},
    {.name = "pipeline get malformed key", .method = "GET", .path = PL "/_x", .scope = "read", .status = 404},
    {.name = "pipeline get unknown", .method = "GET", .path = PL "/no-such", .scope = "read", .status = 404},
    /* pipelines: patch */
    {.name = "pipeline patch malformed", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"stages\":", .status = 400},
    {.name = "pipeline patch remove stage with deals", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"stages\":[{\"key\":\"b\",\"probability\":0.5,\"state\":\"open\"},{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}", .status = 409, .field = "stages"},
    {.name = "pipeline patch state of stage with deals", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"stages\":[{\"key\":\"a\",\"probability\":0,\"state\":\"lost\"},{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},{\"key\":\"o\",\"probability\":0.5,\"state\":\"open\"}]}", .status = 409, .field = "stages"},
    {.name = "pipeline patch stages empty", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"stages\":[]}", .status = 422, .field = "stages"},
    {.name = "pipeline patch stages null", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"stages\":null}", .status = 422, .field = "stages"},
    {.name = "pipeline patch stage probability", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"stages\":[{\"key\":\"a\",\"probability\":7,\"state\":\"open\"}," WL "]}", .status = 422, .field = "stages[0].probability"},
    {.name = "pipeline patch no won stage", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"stages\":[{\"key\":\"a\",\"probability\":0.4,\"state\":\"open\"}," LOST "]}", .status = 422, .field = "stages"},
    {.name = "pipeline patch bad kind", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"kind\":\"x\"}", .status = 422, .field = "kind"},
    {.name = "pipeline patch name null", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"name\":null}", .status = 422, .field = "name"},
    {.name = "pipeline patch other key", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"key\":\"upsell\"}", .status = 422, .field = "key"},
    {.name = "pipeline patch stale if-match", .method = "PATCH", .path = PLI, .scope = "write", .header = "If-Match: \"3\"", .body = "{\"name\":\"x\"}", .status = 412},
    {.name = "pipeline patch stale version", .method = "PATCH", .path = PLI, .scope = "write", .body = "{\"name\":\"x\",\"version\":3}", .status = 412},
    {.name = "pipeline patch unknown", .method = "PATCH", .path = PL "/no-such", .scope = "write", .body = "{\"name\":\"x\"}", .status = 404},
    /* pipelines: delete */
    {.name = "pipeline delete with deals", .method = "DELETE", .path = PLI, .scope = "write", .status = 409, .field = "key"},
    {.name = "pipeline delete unknown", .method = "DELETE", .path = PL "/no-such", .scope = "write", .status = 404},
    {.name = "pipeline delete stale if-match", .method = "DELETE", .path = PL "/upsell", .scope = "write", .header = "If-Match: \"3\"", .status = 412},
    {.name = "pipeline delete read key", .method = "DELETE", .path = PL "/upsell", .scope = "read", .status = 403},

    /* settings */
    {.name = "settings get unknown query", .method = "GET", .path = S "?x=1", .scope = "read", .status = 400, .field = "x"},
    {.name = "settings get without key", .method = "GET", .path = S, .status = 401},
    {.name = "settings patch malformed", .method = "PATCH", .path = S, .scope = "admin", .body = "{", .status = 400},
    {.name = "settings patch array", .method = "PATCH", .path = S, .scope = "admin", .body = "[]", .status = 400},
    {.name = "settings patch 2 MB", .method = "PATCH", .path = S, .scope = "admin", .make_body = body_2mb, .status = 413},
    {.name = "settings patch write key", .method = "PATCH", .path = S, .scope = "write", .body = "{\"loyal_threshold\":3}", .status = 403},
    {.name = "settings patch read key", .method = "PATCH", .path = S, .scope = "read", .body = "{\"loyal_threshold\":3}", .status = 403},
    {.name = "settings dormant 0", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"dormant_after_days\":0}", .status = 422, .field = "dormant_after_days"},
    {.name = "settings dormant 3651", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"dormant_after_days\":3651}", .status = 422, .field = "dormant_after_days"},
    {.name = "settings dormant 1.5", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"dormant_after_days\":1.5}", .status = 422, .field = "dormant_after_days"},
    {.name = "settings dormant string", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"dormant_after_days\":\"30\"}", .status = 422, .field = "dormant_after_days"},
    {.name = "settings loyal 0", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"loyal_threshold\":0}", .status = 422, .field = "loyal_threshold"},
    {.name = "settings loyal 1001", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"loyal_threshold\":1001}", .status = 422, .field = "loyal_threshold"},
    {.name = "settings percentile -1", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"quadrant_percentile\":-1}", .status = 422, .field = "quadrant_percentile"},
    {.name = "settings percentile 100.5", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"quadrant_percentile\":100.5}", .status = 422, .field = "quadrant_percentile"},
    {.name = "settings percentile bool", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"quadrant_percentile\":true}", .status = 422, .field = "quadrant_percentile"},
    {.name = "settings lifespan 0", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"max_lifespan_months\":0}", .status = 422, .field = "max_lifespan_months"},
    {.name = "settings lifespan 1201", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"max_lifespan_months\":1201}", .status = 422, .field = "max_lifespan_months"},
    {.name = "settings nps -1", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"nps_detractor_max\":-1}", .status = 422, .field = "nps_detractor_max"},
    {.name = "settings nps 11", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"nps_detractor_max\":11}", .status = 422, .field = "nps_detractor_max"},
    {.name = "settings usage 101", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"upsell_usage_threshold\":101}", .status = 422, .field = "upsell_usage_threshold"},
    {.name = "settings confidence 1.1", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"cross_sell_min_confidence\":1.1}", .status = 422, .field = "cross_sell_min_confidence"},
    {.name = "settings support 0", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"cross_sell_min_support\":0}", .status = 422, .field = "cross_sell_min_support"},
    {.name = "settings support 1000001", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"cross_sell_min_support\":1000001}", .status = 422, .field = "cross_sell_min_support"},
    {.name = "settings margin 1.5", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"default_gross_margin\":1.5}", .status = 422, .field = "default_gross_margin"},
    {.name = "settings horizon 0", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"clv_horizon_months\":0}", .status = 422, .field = "clv_horizon_months"},
    {.name = "settings horizon 601", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"clv_horizon_months\":601}", .status = 422, .field = "clv_horizon_months"},
    {.name = "settings discount -0.1", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"clv_monthly_discount\":-0.1}", .status = 422, .field = "clv_monthly_discount"},
    {.name = "settings discount 1.1", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"clv_monthly_discount\":1.1}", .status = 422, .field = "clv_monthly_discount"},
    {.name = "settings weights array", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"weights\":[1,2]}", .status = 422, .field = "weights"},
    {.name = "settings weights number", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"weights\":1}", .status = 422, .field = "weights"},
    {.name = "settings weight negative", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"weights\":{\"size\":-0.1}}", .status = 422, .field = "weights.size"},
    {.name = "settings weight string", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"weights\":{\"usage\":\"1\"}}", .status = 422, .field = "weights.usage"},
    {.name = "settings weight unknown", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"weights\":{\"luck\":1}}", .status = 422, .field = "weights.luck"},
    {.name = "settings weights all zero", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"weights\":{\"size\":0,\"whitespace\":0,\"engagement\":0,\"usage\":0}}", .status = 422, .field = "weights"},
    {.name = "settings weights overflow", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"weights\":{\"size\":1e308,\"whitespace\":1e308}}", .status = 422, .field = "weights"},
    {.name = "settings unknown field", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"colour\":1}", .status = 422, .field = "colour"},
    {.name = "settings read-only updated_at", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"updated_at\":\"2020-01-01T00:00:00Z\"}", .status = 422, .field = "updated_at"},
    {.name = "settings version string", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"version\":\"1\"}", .status = 422, .field = "version"},
    {.name = "settings stale version", .method = "PATCH", .path = S, .scope = "admin", .body = "{\"loyal_threshold\":3,\"version\":99}", .status = 412},
    {.name = "settings stale if-match", .method = "PATCH", .path = S, .scope = "admin", .header = "If-Match: \"99\"", .body = "{\"loyal_threshold\":3}", .status = 412},

    /* API keys */
    {.name = "key list write key", .method = "GET", .path = K, .scope = "write", .status = 403},
    {.name = "key list limit 0", .method = "GET", .path = K "?limit=0", .scope = "admin", .status = 400, .field = "limit"},
    {.name = "key list key cursor", .method = "GET", .path = K "?after=azE6YQ", .scope = "admin", .status = 400, .field = "after"},
    {.name = "key list unknown query", .method = "GET", .path = K "?scope=read", .scope = "admin", .status = 400, .field = "scope"},
    {.name = "key create write key", .method = "POST", .path = K, .scope = "write", .body = "{\"name\":\"n\",\"scope\":\"read\"}", .status = 403},
    {.name = "key create malformed", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":", .status = 400},
    {.name = "key create missing name", .method = "POST", .path = K, .scope = "admin", .body = "{\"scope\":\"read\"}", .status = 422, .field = "name"},
    {.name = "key create empty name", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"\",\"scope\":\"read\"}", .status = 422, .field = "name"},
    {.name = "key create name of 101", .method = "POST", .path = K, .scope = "admin", .make_body = key_name_101, .status = 422, .field = "name"},
    {.name = "key create name number", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":1,\"scope\":\"read\"}", .status = 422, .field = "name"},
    {.name = "key create missing scope", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\"}", .status = 422, .field = "scope"},
    {.name = "key create scope root", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\",\"scope\":\"root\"}", .status = 422, .field = "scope"},
    {.name = "key create scope null", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\",\"scope\":null}", .status = 422, .field = "scope"},
    {.name = "key create scope upper", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\",\"scope\":\"ADMIN\"}", .status = 422, .field = "scope"},
    {.name = "key create read-only id", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\",\"scope\":\"read\",\"id\":1}", .status = 422, .field = "id"},
    {.name = "key create read-only key", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\",\"scope\":\"read\",\"key\":\"ltvd_x\"}", .status = 422, .field = "key"},
    {.name = "key create read-only prefix", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\",\"scope\":\"read\",\"prefix\":\"x\"}", .status = 422, .field = "prefix"},
    {.name = "key create unknown field", .method = "POST", .path = K, .scope = "admin", .body = "{\"name\":\"n\",\"scope\":\"read\",\"hash\":\"x\"}", .status = 422, .field = "hash"},
    {.name = "key delete write key", .method = "DELETE", .path = K "/1", .scope = "write", .status = 403},
    {.name = "key delete id 0", .method = "DELETE", .path = K "/0", .scope = "admin", .status = 400},
    {.name = "key delete id abc", .method = "DELETE", .path = K "/abc", .scope = "admin", .status = 400},
    {.name = "key delete id negative", .method = "DELETE", .path = K "/-1", .scope = "admin", .status = 400},
    {.name = "key delete id huge", .method = "DELETE", .path = K "/99999999999999999999", .scope = "admin", .status = 400},
    {.name = "key delete unknown", .method = "DELETE", .path = K "/999999", .scope = "admin", .status = 404},
    {.name = "key delete unknown query", .method = "DELETE", .path = K "/1?x=1", .scope = "admin", .status = 400, .field = "x"},
};
/* clang-format on */

#define N_CASES ((int)(sizeof cases / sizeof *cases))

START_TEST(test_bad_input_is_rejected_without_change)
{
  bad_case_check(env, &cases[_i], NULL, NULL);
}
END_TEST

START_TEST(test_server_survives_every_case)
{
  harness_assert_status(harness_call(env, NULL, "GET", "/healthz", NULL, NULL), 200);
  harness_assert_status(harness_call(env, "read", "GET", "/v1/pipelines/seed-pl", NULL, NULL), 200);
}
END_TEST

static Suite *badinput_catalog_suite(void)
{
  Suite *s = suite_create("badinput_catalog");
  TCase *tc = harness_tcase("table");
  tcase_add_loop_test(tc, test_bad_input_is_rejected_without_change, 0, N_CASES);
  tcase_add_test(tc, test_server_survives_every_case);
  suite_add_tcase(s, tc);
  return s;
}

static void seed(void)
{
  static const char *const posts[][2] = {
      {"/v1/business-units", "{\"key\":\"seed-bu\",\"name\":\"Seed unit\"}"},
      {"/v1/products", "{\"key\":\"seed-p\",\"name\":\"Seed\",\"business_unit\":\"seed-bu\","
                       "\"family\":\"seed\"}"},
      {"/v1/pipelines", "{\"key\":\"seed-pl\",\"name\":\"Seed\",\"kind\":\"upsell\",\"stages\":["
                        "{\"key\":\"a\",\"probability\":0.5,\"state\":\"open\"},"
                        "{\"key\":\"w\",\"probability\":1,\"state\":\"won\"},"
                        "{\"key\":\"l\",\"probability\":0,\"state\":\"lost\"}]}"},
  };
  char auth[128];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", env->key_write);
  const char *h[] = {auth, NULL};
  for (size_t i = 0; i < sizeof posts / sizeof *posts; i++) {
    harness_response *r = harness_request(env->srv, "POST", posts[i][0], h, posts[i][1], -1);
    if (r->status != 201) {
      fprintf(stderr, "cannot seed %s: %ld %s\n", posts[i][0], r->status, r->body);
      exit(1);
    }
    harness_response_free(r);
  }
  harness_sql_exec(env->db, "WITH c AS (INSERT INTO customers (name, created_at, updated_at) "
                            "VALUES ('Seed', now(), now()) RETURNING id) "
                            "INSERT INTO deals (customer_id, pipeline, stage, product, created_at, "
                            "updated_at) SELECT id, 'seed-pl', 'a', 'seed-p', now(), now() FROM c");
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  seed();
  return harness_run(badinput_catalog_suite(), env);
}
