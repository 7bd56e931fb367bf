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

/* The rules of a create applied to in (an API body, a batch input, an import row): an
 * error per failing field appended to errors (index < 0: none); how many. */
int ltvd_customer_check(const json_t *in, long index, json_t *errors);
/* The record a create writes from a checked input (new reference). */
json_t *ltvd_customer_record_new(const json_t *in);

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

/* The live customer an input names by "customer_id" or "customer_external_id" (exactly
 * one of them): its id; 0 after appending a field error (index < 0: none) to errors;
 * -1 on a database error. Validate the two fields' types before calling. */
int64_t ltvd_db_customer_resolve(PGconn *c, const json_t *input, long index, json_t *errors);

/* The id of the live customer holding external_id; 0 when none; -1 on a database error. */
int64_t ltvd_db_customer_id_by_external(PGconn *c, const char *external_id);

/* Serialises, until the transaction ends, the writers that tie signals to a customer
 * external id: a customer written with it, and a signal naming it while no customer holds
 * it. Each takes this lock in a statement of its own before it looks for the other, so
 * whichever commits second sees the first (READ COMMITTED takes a snapshot per
 * statement) and no signal stays unmatched beside its customer. */
bool ltvd_db_lock_external_id(PGconn *c, const char *external_id);

/* Attaches the unmatched signals waiting for external_id to customer id (taking the
 * lock above first). */
bool ltvd_db_signals_attach(PGconn *c, int64_t id, const char *external_id);

/* The validation entries of the two customer reference fields, for other resources'
 * tables: {"customer_id", ...}, {"customer_external_id", ...}. */
#define LTVD_CUSTOMER_REFERENCE_FIELDS                                                   \
  {"customer_id", LTVD_F_INTEGER, 0, 1, INT64_C(9007199254740991), NULL},                \
      {"customer_external_id", LTVD_F_STRING, 0, 1, 255, NULL}

struct ltvd_customer_filter {
  int64_t after;
  int limit;
  const char *industry, *acquisition_channel, *country, *name_prefix;
  const char *quadrant, *tier, *phase; /* of the published metrics; NULL: any */
  bool band;
  bool band_unknown;
  int64_t band_lo, band_hi;
};
PGresult *ltvd_db_customer_list(PGconn *c, const struct ltvd_customer_filter *f);

/* For handlers of a customer's sub-resources: 0 when customer id is live (its row locked
 * for the transaction when lock), else the status of the reply made (404 or the database
 * error). */
int ltvd_api_customer_live(struct ltvd_req *r, int64_t id, bool lock);

int ltvd_api_customers_list(struct ltvd_req *r);
int ltvd_api_customers_create(struct ltvd_req *r);
int ltvd_api_customers_batch(struct ltvd_req *r);
int ltvd_api_customers_get(struct ltvd_req *r);
int ltvd_api_customers_patch(struct ltvd_req *r);
int ltvd_api_customers_delete(struct ltvd_req *r);
int ltvd_api_customers_get_external(struct ltvd_req *r);
int ltvd_api_customers_put_external(struct ltvd_req *r);

#endif
