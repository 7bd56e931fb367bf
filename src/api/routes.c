/* The routing table: every route of the service, its handler, the key scope it needs,
 * how it runs against the database and which query parameters it takes. The OpenAPI
 * document must list exactly these (tests/unit/test_openapi.c checks it). */
#include <stddef.h>

#include "ltvd/customers.h"
#include "ltvd/http.h"
#include "ltvd/system.h"

#define CUSTOMER_FILTERS "limit,after,industry,size_band,acquisition_channel,country,q"

const struct ltvd_route ltvd_routes[] = {
    {.method = "GET", .path = "/healthz", .handler = ltvd_api_healthz, .no_db = true},
    {.method = "GET", .path = "/readyz", .handler = ltvd_api_readyz},
    {.method = "GET", .path = "/metrics", .handler = ltvd_api_metrics, .no_db = true},
    {.method = "GET", .path = "/openapi.json", .handler = ltvd_api_openapi, .no_db = true},

    {.method = "GET", .path = "/v1/customers", .handler = ltvd_api_customers_list,
     .scope = LTVD_SCOPE_READ, .query = CUSTOMER_FILTERS},
    {.method = "POST", .path = "/v1/customers", .handler = ltvd_api_customers_create,
     .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA, .json_body = true},
    {.method = "POST", .path = "/v1/customers/batch", .handler = ltvd_api_customers_batch,
     .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA, .json_body = true},
    {.method = "GET", .path = "/v1/customers/external/{external_id}",
     .handler = ltvd_api_customers_get_external, .scope = LTVD_SCOPE_READ},
    {.method = "PUT", .path = "/v1/customers/external/{external_id}",
     .handler = ltvd_api_customers_put_external, .scope = LTVD_SCOPE_WRITE,
     .tx = LTVD_TX_DATA, .json_body = true},
    {.method = "GET", .path = "/v1/customers/{id}", .handler = ltvd_api_customers_get,
     .scope = LTVD_SCOPE_READ},
    {.method = "PATCH", .path = "/v1/customers/{id}", .handler = ltvd_api_customers_patch,
     .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA, .json_body = true},
    {.method = "DELETE", .path = "/v1/customers/{id}", .handler = ltvd_api_customers_delete,
     .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA},
};

const size_t ltvd_routes_count = sizeof ltvd_routes / sizeof *ltvd_routes;
