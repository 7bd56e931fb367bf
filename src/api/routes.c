/* The routing table: every route of the service, its handler, the key scope it needs,
 * how it runs against the database and which query parameters it takes. The OpenAPI
 * document must list exactly these (tests/unit/test_openapi.c checks it). */
#include <stddef.h>

#include "ltvd/admin.h"
#include "ltvd/analytics_api.h"
#include "ltvd/catalog.h"
#include "ltvd/customers.h"
#include "ltvd/deals.h"
#include "ltvd/hooks.h"
#include "ltvd/http.h"
#include "ltvd/import.h"
#include "ltvd/opportunities.h"
#include "ltvd/revenue.h"
#include "ltvd/system.h"
#include "ltvd/webhooks.h"

#define CUSTOMER_FILTERS                                                                \
  "limit,after,industry,size_band,acquisition_channel,country,q,quadrant,tier,phase"
#define DEAL_FILTERS                                                                    \
  "limit,after,customer_id,pipeline,stage,status,product,closed_from,closed_to,"       \
  "expected_close_from,expected_close_to"
#define READ(m, p, h, q) {.method = m, .path = p, .handler = h, .scope = LTVD_SCOPE_READ, .query = q}
#define WRITE(m, p, h)                                                                  \
  {.method = m, .path = p, .handler = h, .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA,  \
   .json_body = true}
#define REMOVE(p, h)                                                                    \
  {.method = "DELETE", .path = p, .handler = h, .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA}

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
    READ("GET", "/v1/customers/{id}/mrr", ltvd_api_mrr_list, "from,to"),
    WRITE("PUT", "/v1/customers/{id}/mrr/{month}", ltvd_api_mrr_put_month),
    READ("GET", "/v1/customers/{id}/signals", ltvd_api_customer_signals, "limit,after,type"),
    READ("GET", "/v1/customers/{id}/timeline", ltvd_api_customer_timeline, "limit,after"),

    READ("GET", "/v1/business-units", ltvd_api_units_list, "limit,after"),
    WRITE("POST", "/v1/business-units", ltvd_api_units_create),
    READ("GET", "/v1/business-units/{key}", ltvd_api_units_get, NULL),
    WRITE("PATCH", "/v1/business-units/{key}", ltvd_api_units_patch),
    REMOVE("/v1/business-units/{key}", ltvd_api_units_delete),

    READ("GET", "/v1/products", ltvd_api_products_list, "limit,after,business_unit,family"),
    WRITE("POST", "/v1/products", ltvd_api_products_create),
    READ("GET", "/v1/products/{key}", ltvd_api_products_get, NULL),
    WRITE("PATCH", "/v1/products/{key}", ltvd_api_products_patch),
    REMOVE("/v1/products/{key}", ltvd_api_products_delete),

    READ("GET", "/v1/pipelines", ltvd_api_pipelines_list, "limit,after"),
    WRITE("POST", "/v1/pipelines", ltvd_api_pipelines_create),
    READ("GET", "/v1/pipelines/{key}", ltvd_api_pipelines_get, NULL),
    WRITE("PATCH", "/v1/pipelines/{key}", ltvd_api_pipelines_patch),
    REMOVE("/v1/pipelines/{key}", ltvd_api_pipelines_delete),

    READ("GET", "/v1/deals", ltvd_api_deals_list, DEAL_FILTERS),
    WRITE("POST", "/v1/deals", ltvd_api_deals_create),
    WRITE("POST", "/v1/deals/batch", ltvd_api_deals_batch),
    READ("GET", "/v1/deals/external/{external_id}", ltvd_api_deals_get_external, NULL),
    WRITE("PUT", "/v1/deals/external/{external_id}", ltvd_api_deals_put_external),
    READ("GET", "/v1/deals/{id}", ltvd_api_deals_get, NULL),
    WRITE("PATCH", "/v1/deals/{id}", ltvd_api_deals_patch),
    REMOVE("/v1/deals/{id}", ltvd_api_deals_delete),
    READ("GET", "/v1/deals/{id}/history", ltvd_api_deals_history, NULL),

    WRITE("POST", "/v1/mrr/batch", ltvd_api_mrr_batch),

    READ("GET", "/v1/signals", ltvd_api_signals_list,
         "limit,after,unmatched,type,customer_id,source"),
    WRITE("POST", "/v1/signals", ltvd_api_signals_create),
    WRITE("POST", "/v1/signals/batch", ltvd_api_signals_batch),

    {.method = "GET", .path = "/v1/api-keys", .handler = ltvd_api_api_keys_list,
     .scope = LTVD_SCOPE_ADMIN, .query = "limit,after"},
    {.method = "POST", .path = "/v1/api-keys", .handler = ltvd_api_api_keys_create,
     .scope = LTVD_SCOPE_ADMIN, .tx = LTVD_TX_PLAIN, .json_body = true},
    {.method = "DELETE", .path = "/v1/api-keys/{id}", .handler = ltvd_api_api_keys_delete,
     .scope = LTVD_SCOPE_ADMIN, .tx = LTVD_TX_PLAIN},

    {.method = "GET", .path = "/v1/hook-sources", .handler = ltvd_api_hook_sources_list,
     .scope = LTVD_SCOPE_ADMIN, .query = "limit,after"},
    {.method = "POST", .path = "/v1/hook-sources", .handler = ltvd_api_hook_sources_create,
     .scope = LTVD_SCOPE_ADMIN, .tx = LTVD_TX_PLAIN, .json_body = true},
    {.method = "GET", .path = "/v1/hook-sources/{name}", .handler = ltvd_api_hook_sources_get,
     .scope = LTVD_SCOPE_ADMIN},
    {.method = "DELETE", .path = "/v1/hook-sources/{name}",
     .handler = ltvd_api_hook_sources_delete, .scope = LTVD_SCOPE_ADMIN, .tx = LTVD_TX_PLAIN},
    {.method = "POST", .path = "/v1/hook-sources/{name}/rotate",
     .handler = ltvd_api_hook_sources_rotate, .scope = LTVD_SCOPE_ADMIN, .tx = LTVD_TX_PLAIN},
    /* no key: the signature over the body is the credential (SPEC section 6) */
    {.method = "POST", .path = "/v1/hooks/{name}", .handler = ltvd_api_hooks_receive,
     .verify = ltvd_api_hooks_verify, .tx = LTVD_TX_DATA, .json_body = true},
    {.method = "POST", .path = "/v1/import/{kind}", .handler = ltvd_api_import,
     .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA, .max_body = 10 * 1024 * 1024},

    READ("GET", "/v1/alerts", ltvd_api_alerts_list, "limit,after,type,customer_id"),
    {.method = "GET", .path = "/v1/webhook-subscriptions",
     .handler = ltvd_api_webhook_subscriptions_list, .scope = LTVD_SCOPE_ADMIN,
     .query = "limit,after"},
    {.method = "POST", .path = "/v1/webhook-subscriptions",
     .handler = ltvd_api_webhook_subscriptions_create, .scope = LTVD_SCOPE_ADMIN,
     .tx = LTVD_TX_PLAIN, .json_body = true},
    {.method = "GET", .path = "/v1/webhook-subscriptions/{id}",
     .handler = ltvd_api_webhook_subscriptions_get, .scope = LTVD_SCOPE_ADMIN},
    {.method = "PATCH", .path = "/v1/webhook-subscriptions/{id}",
     .handler = ltvd_api_webhook_subscriptions_patch, .scope = LTVD_SCOPE_ADMIN,
     .tx = LTVD_TX_PLAIN, .json_body = true},
    {.method = "DELETE", .path = "/v1/webhook-subscriptions/{id}",
     .handler = ltvd_api_webhook_subscriptions_delete, .scope = LTVD_SCOPE_ADMIN,
     .tx = LTVD_TX_PLAIN},
    {.method = "GET", .path = "/v1/webhook-subscriptions/{id}/deliveries",
     .handler = ltvd_api_webhook_deliveries_list, .scope = LTVD_SCOPE_ADMIN,
     .query = "limit,after,state"},
    {.method = "POST", .path = "/v1/webhook-deliveries/{id}/retry",
     .handler = ltvd_api_webhook_deliveries_retry, .scope = LTVD_SCOPE_ADMIN,
     .tx = LTVD_TX_PLAIN},

    READ("GET", "/v1/settings", ltvd_api_settings_get, NULL),
    {.method = "PATCH", .path = "/v1/settings", .handler = ltvd_api_settings_patch,
     .scope = LTVD_SCOPE_ADMIN, .tx = LTVD_TX_DATA, .json_body = true},

    READ("GET", "/v1/analytics/status", ltvd_api_analytics_status, NULL),
    {.method = "POST", .path = "/v1/analytics/recompute",
     .handler = ltvd_api_analytics_recompute, .scope = LTVD_SCOPE_ADMIN},
    READ("GET", "/v1/analytics/ltv", ltvd_api_analytics_ltv, "by"),
    READ("GET", "/v1/analytics/ltv/history", ltvd_api_analytics_ltv_history, "by,from,to"),
    READ("GET", "/v1/analytics/tiers", ltvd_api_analytics_tiers, NULL),
    READ("GET", "/v1/analytics/quadrants", ltvd_api_analytics_quadrants, NULL),
    READ("GET", "/v1/analytics/quadrants/{quadrant}/customers",
         ltvd_api_analytics_quadrant_customers, "limit,after"),
    READ("GET", "/v1/analytics/lifecycle", ltvd_api_analytics_lifecycle, NULL),
    READ("GET", "/v1/analytics/cohorts", ltvd_api_analytics_cohorts, NULL),
    READ("GET", "/v1/analytics/pipelines", ltvd_api_analytics_pipelines, NULL),
    READ("GET", "/v1/analytics/clv/model", ltvd_api_analytics_clv_model, NULL),
    READ("GET", "/v1/mrr/movements", ltvd_api_mrr_movements, "from,to"),
    READ("GET", "/v1/mrr/summary", ltvd_api_mrr_summary, NULL),

    READ("GET", "/v1/opportunities", ltvd_api_opportunities_list,
         "limit,after,type,quadrant,tier,min_score,family"),
    READ("GET", "/v1/opportunities/at-risk", ltvd_api_opportunities_at_risk, NULL),
    READ("GET", "/v1/opportunities/{id}", ltvd_api_opportunities_get, NULL),
    /* the body is optional (nothing to give): not parsed by the server */
    {.method = "POST", .path = "/v1/opportunities/{id}/deal",
     .handler = ltvd_api_opportunities_deal, .scope = LTVD_SCOPE_WRITE, .tx = LTVD_TX_DATA},
    WRITE("POST", "/v1/opportunities/{id}/dismiss", ltvd_api_opportunities_dismiss),
    READ("GET", "/v1/analytics/cross-sell-rules", ltvd_api_cross_sell_rules, NULL),
};

const size_t ltvd_routes_count = sizeof ltvd_routes / sizeof *ltvd_routes;
