/* The SQL of business units, products, pipelines, settings and API keys (src/db/units.c,
 * products.c, pipelines.c, settings.c, api_keys.c) as the handlers of src/api/ see it.
 * Statements return a PGresult the caller PQclear()s, or NULL on a database error (see
 * ltvd_db_last_error); the _json functions turn a row of such a result into its
 * response object. Keys are passed as text, numbers as the decimal text of a value. */
#ifndef LTVD_CATALOG_DB_H
#define LTVD_CATALOG_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* The version column of row `row` of any result of the statements below. */
int64_t ltvd_db_catalog_version(const PGresult *res, int row);

/* Business units: {key, name, version, created_at, updated_at}. */
json_t *ltvd_db_unit_json(const PGresult *res, int row);
PGresult *ltvd_db_unit_list(PGconn *c, const char *after_key, int limit);
PGresult *ltvd_db_unit_get(PGconn *c, const char *key, bool for_update);
PGresult *ltvd_db_unit_insert(PGconn *c, const char *key, const char *name);
PGresult *ltvd_db_unit_update(PGconn *c, const char *key, const char *name);
PGresult *ltvd_db_unit_delete(PGconn *c, const char *key);
/* The keys (at most 20, by key) of the products of a unit, each row with the total count
 * in column 1. */
PGresult *ltvd_db_unit_products(PGconn *c, const char *key);

/* Products. A record holds the writable fields: name, business_unit, family, tier,
 * monthly_price and gross_margin (the stored value: null follows the setting). */
json_t *ltvd_db_product_json(const PGresult *res, int row, const char *currency);
json_t *ltvd_db_product_record(const PGresult *res, int row);
PGresult *ltvd_db_product_list(PGconn *c, const char *after_key, int limit,
                               const char *business_unit, const char *family);
PGresult *ltvd_db_product_get(PGconn *c, const char *key, bool for_update);
PGresult *ltvd_db_product_insert(PGconn *c, const char *key, const json_t *record);
PGresult *ltvd_db_product_update(PGconn *c, const char *key, const json_t *record);
PGresult *ltvd_db_product_delete(PGconn *c, const char *key);
/* One row: how many deals, MRR lines and signals refer to the product. */
PGresult *ltvd_db_product_references(PGconn *c, const char *key);

/* Pipelines: the row with its stages (ordered by position) as one JSON array. A stage
 * list passed in is a JSON array of {key, name, probability, state} in order. */
json_t *ltvd_db_pipeline_json(const PGresult *res, int row);
PGresult *ltvd_db_pipeline_list(PGconn *c, const char *after_key, int limit);
PGresult *ltvd_db_pipeline_get(PGconn *c, const char *key, bool for_update);
PGresult *ltvd_db_pipeline_insert(PGconn *c, const char *key, const char *name,
                                  const char *kind);
PGresult *ltvd_db_pipeline_update(PGconn *c, const char *key, const char *name,
                                  const char *kind);
/* Makes the pipeline's stages exactly `stages`: others deleted, these inserted or
 * updated in place (so deals keep pointing at a stage that stays). */
bool ltvd_db_pipeline_set_stages(PGconn *c, const char *key, const json_t *stages);
/* Rows (stage, state, deals) for every stage of the pipeline that holds deals, by
 * position; the stage rows are locked against concurrent deal moves. */
PGresult *ltvd_db_pipeline_stage_deals(PGconn *c, const char *key);
PGresult *ltvd_db_pipeline_delete(PGconn *c, const char *key);

/* Settings: one row (data, version, updated_at). */
PGresult *ltvd_db_settings_get(PGconn *c, bool for_update);
PGresult *ltvd_db_settings_update(PGconn *c, const json_t *data);

/* API keys: {id, name, scope, prefix, created_at, revoked_at}, never the hash. */
json_t *ltvd_db_api_key_json(const PGresult *res, int row);
int64_t ltvd_db_api_key_id(const PGresult *res, int row);
PGresult *ltvd_db_api_key_list(PGconn *c, int64_t after, int limit);
PGresult *ltvd_db_api_key_get(PGconn *c, int64_t id);
/* Revokes a live key; no row when it is unknown or already revoked. */
PGresult *ltvd_db_api_key_revoke(PGconn *c, int64_t id);

#endif
