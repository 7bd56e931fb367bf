/* Alerts (SPEC 4.9) and outbound webhooks (SPEC section 6): the alert log and the
 * webhook subscriptions over HTTP (src/api/webhooks.c), their SQL and the outbox the
 * sender thread works from (src/db/webhooks.c). The sender itself is in ltvd/sender.h. */
#ifndef LTVD_WEBHOOKS_H
#define LTVD_WEBHOOKS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "ltvd/http.h"

/* The channel the outbox trigger and the retry endpoint notify. */
#define LTVD_OUTBOX_CHANNEL "ltvd_outbox"

/* The alert types, NULL-terminated. */
extern const char *const ltvd_alert_types[];

/* --- handlers --- */

int ltvd_api_alerts_list(struct ltvd_req *r);
int ltvd_api_webhook_subscriptions_list(struct ltvd_req *r);
int ltvd_api_webhook_subscriptions_create(struct ltvd_req *r);
int ltvd_api_webhook_subscriptions_get(struct ltvd_req *r);
int ltvd_api_webhook_subscriptions_patch(struct ltvd_req *r);
int ltvd_api_webhook_subscriptions_delete(struct ltvd_req *r);
int ltvd_api_webhook_deliveries_list(struct ltvd_req *r);
int ltvd_api_webhook_deliveries_retry(struct ltvd_req *r);

/* --- SQL; NULL on a database error, recorded for ltvd_db_last_error --- */

struct ltvd_alert_filter {
  int64_t after;       /* the last id seen; 0: from the start */
  const char *type;    /* NULL: any */
  int64_t customer_id; /* 0: any */
  int limit;
};

/* Alerts in id order: columns id, type, customer_id, created_at, data (JSON text). */
PGresult *ltvd_db_alert_list(PGconn *c, const struct ltvd_alert_filter *f);
/* The alert of row `row` of a result whose first five columns are those: the object a
 * webhook delivers and GET /v1/alerts lists. */
json_t *ltvd_db_alert_json(const PGresult *res, int row, int first_col);

/* Subscriptions: columns id, version, url, events (JSON text), active, created_at,
 * updated_at. */
json_t *ltvd_db_subscription_json(const PGresult *res, int row);
int64_t ltvd_db_subscription_id(const PGresult *res, int row);
int64_t ltvd_db_subscription_version(const PGresult *res, int row);
PGresult *ltvd_db_subscription_list(PGconn *c, int64_t after, int limit);
PGresult *ltvd_db_subscription_get(PGconn *c, int64_t id, bool for_update);
/* events_json: a JSON array of type names. */
PGresult *ltvd_db_subscription_insert(PGconn *c, const char *url, const char *events_json,
                                      bool active, const char *secret);
PGresult *ltvd_db_subscription_update(PGconn *c, int64_t id, const char *url,
                                      const char *events_json, bool active);
/* Deletes it with its deliveries and their attempts: column id, no row when none. */
PGresult *ltvd_db_subscription_delete(PGconn *c, int64_t id);

/* Deliveries of a subscription in id order after `after`, state NULL for any: columns
 * id, subscription_id, alert_id, type, state, attempts, created_at, next_attempt_at,
 * last_status, last_error, delivered_at, the attempts as JSON text. */
PGresult *ltvd_db_delivery_list(PGconn *c, int64_t subscription_id, const char *state,
                                int64_t after, int limit);
json_t *ltvd_db_delivery_json(const PGresult *res, int row);
int64_t ltvd_db_delivery_id(const PGresult *res, int row);
/* One delivery (the columns above); no row when there is none. */
PGresult *ltvd_db_delivery_get(PGconn *c, int64_t id);
/* Locks the delivery: column 0 true while a sender holds it; no row when there is none. */
PGresult *ltvd_db_delivery_lock(PGconn *c, int64_t id);
/* Schedules it now with a new retry window, whatever its state. */
bool ltvd_db_delivery_reschedule(PGconn *c, int64_t id);
/* Sends NOTIFY ltvd_outbox (at commit). */
bool ltvd_db_outbox_notify(PGconn *c);

/* --- the outbox, for the sender --- */

/* Claims up to `limit` due deliveries of active subscriptions, at most per_subscription
 * in flight per subscription, for lease_s seconds: columns delivery id, claim, the
 * number of attempts in the current window, url, secret, then the alert's five columns
 * (ltvd_db_alert_json from column 5). */
PGresult *ltvd_db_outbox_claim(PGconn *c, int limit, int per_subscription, double lease_s);
/* Seconds until the next unclaimed pending delivery is due (negative when one is due
 * now); no row or NULL when none waits. */
PGresult *ltvd_db_outbox_next_due(PGconn *c);

enum ltvd_outbox_outcome {
  LTVD_OUTBOX_DELIVERED, /* 2xx */
  LTVD_OUTBOX_FAILED,    /* a 4xx other than 408 and 429: not retried */
  LTVD_OUTBOX_RETRY,     /* anything else */
};

/* Records one attempt of a delivery still held under claim (a no-op otherwise) and moves
 * the delivery on: delivered, failed, or pending again in delay_s seconds (never after
 * the end of its retry window; gave_up once the window is over). status 0: no answer.
 * Returns the result (no row when the claim was lost). */
PGresult *ltvd_db_outbox_record(PGconn *c, int64_t delivery_id, const char *claim,
                                enum ltvd_outbox_outcome outcome, double delay_s, double give_up_s,
                                long status, const char *error, double duration_ms);
/* Gives a claimed delivery back unsent (the sender is stopping). */
PGresult *ltvd_db_outbox_release(PGconn *c, int64_t delivery_id, const char *claim);

#endif
