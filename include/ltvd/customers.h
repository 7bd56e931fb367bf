/* Customers: the SQL of src/db/customers.c and the handlers of src/api/customers.c.
 * A customer's writable fields travel between them as a "record": a JSON object holding
 * exactly the writable fields (null where unset). */
#ifndef LTVD_CUSTOMERS_H
#define LTVD_CUSTOMERS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "ltvd/http.h"
#include "ltvd/validate.h"

extern const struct ltvd_field ltvd_customer_fields[];

/* The response object of row `row` of a result of customer columns. */
json_t *ltvd_db_customer_json(const PGresult *res, int row, const char *currency);
/* The record (writable fields) of that row. */
json_t *ltvd_db_customer_record(const PGresult *res, int row);
int64_t ltvd_db_customer_id(const PGresult *res, int row);
int64_t ltvd_db_customer_version(const PGresult *res, int row);

/* Statements; each returns NULL on a database error (see ltvd_db_last_error). */
PGresult *ltvd_db_customer_get(PGconn *c, int64_t id, bool for_update);
PGresult *ltvd_db_customer_get_external(PGconn *c, const char *external_id, bool for_update);
PGresult *ltvd_db_customer_insert(PGconn *c, const json_t *record);
PGresult *ltvd_db_customer_update(PGconn *c, int64_t id, const json_t *record);
/* Insert or replace by external id; column "inserted" (the last) tells which. */
PGresult *ltvd_db_customer_upsert(PGconn *c, const json_t *record);
PGresult *ltvd_db_customer_archive(PGconn *c, int64_t id);

struct ltvd_customer_filter {
  int64_t after;
  int limit;
  const char *industry, *acquisition_channel, *country, *name_prefix;
  bool band;
  bool band_unknown;
  int64_t band_lo, band_hi;
};
PGresult *ltvd_db_customer_list(PGconn *c, const struct ltvd_customer_filter *f);

int ltvd_api_customers_list(struct ltvd_req *r);
int ltvd_api_customers_create(struct ltvd_req *r);
int ltvd_api_customers_batch(struct ltvd_req *r);
int ltvd_api_customers_get(struct ltvd_req *r);
int ltvd_api_customers_patch(struct ltvd_req *r);
int ltvd_api_customers_delete(struct ltvd_req *r);
int ltvd_api_customers_get_external(struct ltvd_req *r);
int ltvd_api_customers_put_external(struct ltvd_req *r);

#endif
