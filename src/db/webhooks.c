/* The SQL of alerts, webhook subscriptions and the outbox (migrations/0004). Secrets
 * leave the database only in the sender's claim and never in the columns the API shows.
 * The outbox's times run on the database's clock, so that several ltvd processes agree on
 * what is due and whose lease has expired; the sender's statements run alone (autocommit),
 * so now() is the time of the statement and lets the due index bound the scan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/db.h"
#include "ltvd/webhooks.h"

/* An alert's columns, the table aliased a. */
#define ALERT_COLUMNS "a.id, a.type, a.customer_id, ltvd_ts(a.created_at), a.data::text"

#define SUB_COLUMNS                                                                                \
  "id, version, url, to_json(events)::text, active, ltvd_ts(created_at), ltvd_ts(updated_at)"
enum { S_ID, S_VERSION, S_URL, S_EVENTS, S_ACTIVE, S_CREATED, S_UPDATED };

#define DELIVERY_COLUMNS                                                                           \
  "d.id, d.subscription_id, d.alert_id, a.type, d.state, d.attempts, ltvd_ts(d.created_at), "      \
  "CASE WHEN d.state = 'pending' THEN ltvd_ts(d.next_attempt_at) END, d.last_status, "             \
  "d.last_error, ltvd_ts(d.delivered_at), "                                                        \
  "(SELECT coalesce(json_agg(json_build_object('attempted_at', ltvd_ts(t.attempted_at), "          \
  "'duration_ms', t.duration_ms, 'status', t.status, 'error', t.error) ORDER BY t.id), "           \
  "'[]') FROM webhook_attempts t WHERE t.delivery_id = d.id)::text"
enum {
  D_ID,
  D_SUBSCRIPTION,
  D_ALERT,
  D_TYPE,
  D_STATE,
  D_ATTEMPTS,
  D_CREATED,
  D_NEXT,
  D_LAST_STATUS,
  D_LAST_ERROR,
  D_DELIVERED,
  D_ATTEMPT_LIST
};

/* A subscription's wanted types from parameter p, a JSON array of names. */
#define EVENTS_FROM(p) "ARRAY(SELECT jsonb_array_elements_text(" p "::jsonb))"

/* The rows a sender may claim: pending, due, not held by a live lease, of an active
 * subscription with fewer than $2 deliveries in flight; the earliest due first. */
#define CLAIMABLE                                                                                  \
  "SELECT c.id FROM webhook_subscriptions s "                                                      \
  "CROSS JOIN LATERAL (SELECT count(*) AS n FROM webhook_deliveries f "                            \
  "  WHERE f.subscription_id = s.id AND f.claim IS NOT NULL AND f.state = 'pending' "              \
  "  AND f.claimed_until > now()) b "                                                              \
  "CROSS JOIN LATERAL (SELECT d.id, d.next_attempt_at FROM webhook_deliveries d "                  \
  "  WHERE d.subscription_id = s.id AND d.state = 'pending' "                                      \
  "  AND d.next_attempt_at <= now() "                                                              \
  "  AND (d.claim IS NULL OR d.claimed_until <= now()) "                                           \
  "  ORDER BY d.next_attempt_at, d.id LIMIT greatest($2 - b.n, 0)) c "                             \
  "WHERE s.active ORDER BY c.next_attempt_at, c.id LIMIT $1"

const struct ltvd_stmt ltvd_db_webhooks_stmts[] = {
    {"alert_list",
     "SELECT " ALERT_COLUMNS " FROM alerts a WHERE a.id > $1 AND ($2::text IS NULL OR "
     "a.type = $2) AND ($3::bigint IS NULL OR a.customer_id = $3) ORDER BY a.id LIMIT $4"},

    {"subscription_list",
     "SELECT " SUB_COLUMNS " FROM webhook_subscriptions WHERE id > $1 ORDER BY id LIMIT $2"},
    {"subscription_get", "SELECT " SUB_COLUMNS " FROM webhook_subscriptions WHERE id = $1"},
    {"subscription_lock",
     "SELECT " SUB_COLUMNS " FROM webhook_subscriptions WHERE id = $1 FOR UPDATE"},
    {"subscription_insert",
     "INSERT INTO webhook_subscriptions (url, events, active, secret, created_at, updated_at) "
     "VALUES ($1, " EVENTS_FROM("$2") ", $3, $4, $5, $5) RETURNING " SUB_COLUMNS},
    {"subscription_update",
     "UPDATE webhook_subscriptions SET updated_at = $2, version = version + 1, url = $3, "
     "active = $5, events = " EVENTS_FROM("$4") " WHERE id = $1 RETURNING " SUB_COLUMNS},
    {"subscription_delete", "DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id"},

    {"delivery_list",
     "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries d JOIN alerts a ON a.id = d.alert_id "
     "WHERE d.subscription_id = $1 AND d.id > $2 AND ($3::text IS NULL OR d.state = $3) "
     "ORDER BY d.id LIMIT $4"},
    {"delivery_get",
     "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries d JOIN alerts a ON a.id = d.alert_id "
     "WHERE d.id = $1"},
    {"delivery_lock",
     "SELECT claim IS NOT NULL AND claimed_until > clock_timestamp() FROM webhook_deliveries "
     "WHERE id = $1 FOR UPDATE"},
    {"delivery_reschedule",
     "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = clock_timestamp(), "
     "window_start = clock_timestamp(), window_attempts = 0, delivered_at = NULL, "
     "claim = NULL, claimed_until = NULL WHERE id = $1"},
    {"outbox_notify", "SELECT pg_notify('" LTVD_OUTBOX_CHANNEL "', '')"},

    {"outbox_claim",
     "WITH due AS (" CLAIMABLE "), "
     "held AS (SELECT d.id FROM webhook_deliveries d WHERE d.id IN (SELECT id FROM due) "
     "  AND d.state = 'pending' AND (d.claim IS NULL OR d.claimed_until <= now()) "
     "  FOR UPDATE SKIP LOCKED) "
     "UPDATE webhook_deliveries d SET claim = gen_random_uuid(), "
     "claimed_until = now() + $3::float8 * interval '1 second' "
     "FROM held h, webhook_subscriptions s, alerts a "
     "WHERE d.id = h.id AND s.id = d.subscription_id AND a.id = d.alert_id "
     "RETURNING d.id, d.claim, d.window_attempts, s.url, s.secret, " ALERT_COLUMNS},
    {"outbox_next_due",
     "SELECT extract(epoch FROM min(c.next_attempt_at) - now()) "
     "FROM webhook_subscriptions s CROSS JOIN LATERAL (SELECT d.next_attempt_at "
     "  FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.state = 'pending' "
     "  AND (d.claim IS NULL OR d.claimed_until <= now()) "
     "  ORDER BY d.next_attempt_at LIMIT 1) c WHERE s.active"},
    /* $3 outcome, $4 delay (s), $5 give-up age (s), $6 status, $7 error, $8 duration (ms) */
    {"outbox_record",
     "WITH d AS (UPDATE webhook_deliveries SET attempts = attempts + 1, "
     "  window_attempts = window_attempts + 1, "
     "  last_attempt_at = clock_timestamp() - $8::float8 * interval '1 millisecond', "
     "  last_status = $6, last_error = $7, "
     "  state = CASE WHEN $3::text <> 'retry' THEN $3::text "
     "    WHEN clock_timestamp() >= window_start + $5::float8 * interval '1 second' THEN 'gave_up' "
     "    ELSE 'pending' END, "
     "  next_attempt_at = CASE WHEN $3 = 'retry' THEN least(clock_timestamp() + "
     "    $4::float8 * interval '1 second', window_start + $5::float8 * interval '1 second') "
     "    ELSE next_attempt_at END, "
     "  delivered_at = CASE WHEN $3 = 'delivered' THEN clock_timestamp() END, "
     "  claim = NULL, claimed_until = NULL "
     "  WHERE id = $1 AND claim = $2::uuid RETURNING id, state, last_attempt_at) "
     "INSERT INTO webhook_attempts (delivery_id, attempted_at, duration_ms, status, error) "
     "SELECT id, last_attempt_at, $8, $6, $7 FROM d RETURNING delivery_id"},
    {"outbox_release", "UPDATE webhook_deliveries SET claim = NULL, claimed_until = NULL "
                       "WHERE id = $1 AND claim = $2::uuid"},
    {NULL, NULL},
};

const char *const ltvd_alert_types[] = {"renewal_due",
                                        "nps_detractor",
                                        "quadrant_changed",
                                        "tier_changed",
                                        "opportunity_new",
                                        "churned",
                                        NULL};

static json_t *json_text_or_null(const PGresult *res, int row, int col)
{
  if (PQgetisnull(res, row, col))
    return json_null();
  json_t *v = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);
  /* jsonb holds numbers beyond 64 bits that jansson reads only as reals */
  if (v == NULL)
    v = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
  return v ? v : json_null();
}

static int64_t int_col(const PGresult *res, int row, int col)
{
  return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void fmt_int(char out[24], int64_t v)
{
  snprintf(out, 24, "%lld", (long long)v);
}

/* --- alerts --- */

json_t *ltvd_db_alert_json(const PGresult *res, int row, int first_col)
{
  return json_pack("{s:I, s:s, s:o, s:s, s:o}", "id", (json_int_t)int_col(res, row, first_col),
                   "type", PQgetvalue(res, row, first_col + 1), "customer_id",
                   ltvd_db_integer_or_null(res, row, first_col + 2), "created_at",
                   PQgetvalue(res, row, first_col + 3), "data",
                   json_text_or_null(res, row, first_col + 4));
}

PGresult *ltvd_db_alert_list(PGconn *c, const struct ltvd_alert_filter *f)
{
  char after[24], customer[24], limit[24];

  fmt_int(after, f->after);
  fmt_int(customer, f->customer_id);
  fmt_int(limit, f->limit);
  return LTVD_DB_RUN(c, "alert_list", after, f->type, f->customer_id ? customer : NULL, limit);
}

/* --- subscriptions --- */

json_t *ltvd_db_subscription_json(const PGresult *res, int row)
{
  return json_pack("{s:I, s:s, s:o, s:b, s:I, s:s, s:s}", "id",
                   (json_int_t)ltvd_db_subscription_id(res, row), "url",
                   PQgetvalue(res, row, S_URL), "events", json_text_or_null(res, row, S_EVENTS),
                   "active", PQgetvalue(res, row, S_ACTIVE)[0] == 't', "version",
                   (json_int_t)ltvd_db_subscription_version(res, row), "created_at",
                   PQgetvalue(res, row, S_CREATED), "updated_at", PQgetvalue(res, row, S_UPDATED));
}

int64_t ltvd_db_subscription_id(const PGresult *res, int row)
{
  return int_col(res, row, S_ID);
}

int64_t ltvd_db_subscription_version(const PGresult *res, int row)
{
  return int_col(res, row, S_VERSION);
}

PGresult *ltvd_db_subscription_list(PGconn *c, int64_t after, int limit)
{
  char a[24], n[24];

  fmt_int(a, after);
  fmt_int(n, limit);
  return LTVD_DB_RUN(c, "subscription_list", a, n);
}

PGresult *ltvd_db_subscription_get(PGconn *c, int64_t id, bool for_update)
{
  char s[24];

  fmt_int(s, id);
  return LTVD_DB_RUN(c, for_update ? "subscription_lock" : "subscription_get", s);
}

PGresult *ltvd_db_subscription_insert(PGconn *c, const char *url, const char *events_json,
                                      bool active, const char *secret)
{
  char ts[32];

  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "subscription_insert", url, events_json, active ? "true" : "false", secret,
                     ts);
}

PGresult *ltvd_db_subscription_update(PGconn *c, int64_t id, const char *url,
                                      const char *events_json, bool active)
{
  char s[24], ts[32];

  fmt_int(s, id);
  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "subscription_update", s, ts, url, events_json, active ? "true" : "false");
}

PGresult *ltvd_db_subscription_delete(PGconn *c, int64_t id)
{
  char s[24];

  fmt_int(s, id);
  return LTVD_DB_RUN(c, "subscription_delete", s);
}

/* --- deliveries --- */

json_t *ltvd_db_delivery_json(const PGresult *res, int row)
{
  return json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
                   (json_int_t)int_col(res, row, D_ID), "subscription_id",
                   (json_int_t)int_col(res, row, D_SUBSCRIPTION), "alert_id",
                   (json_int_t)int_col(res, row, D_ALERT), "type", PQgetvalue(res, row, D_TYPE),
                   "state", PQgetvalue(res, row, D_STATE), "attempt_count",
                   (json_int_t)int_col(res, row, D_ATTEMPTS), "created_at",
                   PQgetvalue(res, row, D_CREATED), "next_attempt_at",
                   ltvd_db_text_or_null(res, row, D_NEXT), "last_status",
                   ltvd_db_integer_or_null(res, row, D_LAST_STATUS), "last_error",
                   ltvd_db_text_or_null(res, row, D_LAST_ERROR), "delivered_at",
                   ltvd_db_text_or_null(res, row, D_DELIVERED), "attempts",
                   json_text_or_null(res, row, D_ATTEMPT_LIST));
}

int64_t ltvd_db_delivery_id(const PGresult *res, int row)
{
  return int_col(res, row, D_ID);
}

PGresult *ltvd_db_delivery_list(PGconn *c, int64_t subscription_id, const char *state,
                                int64_t after, int limit)
{
  char s[24], a[24], n[24];

  fmt_int(s, subscription_id);
  fmt_int(a, after);
  fmt_int(n, limit);
  return LTVD_DB_RUN(c, "delivery_list", s, a, state, n);
}

PGresult *ltvd_db_delivery_get(PGconn *c, int64_t id)
{
  char s[24];

  fmt_int(s, id);
  return LTVD_DB_RUN(c, "delivery_get", s);
}

PGresult *ltvd_db_delivery_lock(PGconn *c, int64_t id)
{
  char s[24];

  fmt_int(s, id);
  return LTVD_DB_RUN(c, "delivery_lock", s);
}

bool ltvd_db_delivery_reschedule(PGconn *c, int64_t id)
{
  char s[24];

  fmt_int(s, id);
  PGresult *res = LTVD_DB_RUN(c, "delivery_reschedule", s);
  PQclear(res);
  return res != NULL;
}

bool ltvd_db_outbox_notify(PGconn *c)
{
  PGresult *res = ltvd_db_run(c, "outbox_notify", 0, NULL);

  PQclear(res);
  return res != NULL;
}

/* --- the outbox --- */

PGresult *ltvd_db_outbox_claim(PGconn *c, int limit, int per_subscription, double lease_s)
{
  char n[24], per[24], lease[32];

  fmt_int(n, limit);
  fmt_int(per, per_subscription);
  snprintf(lease, sizeof lease, "%.3f", lease_s);
  return LTVD_DB_RUN(c, "outbox_claim", n, per, lease);
}

PGresult *ltvd_db_outbox_next_due(PGconn *c)
{
  return ltvd_db_run(c, "outbox_next_due", 0, NULL);
}

PGresult *ltvd_db_outbox_record(PGconn *c, int64_t delivery_id, const char *claim,
                                enum ltvd_outbox_outcome outcome, double delay_s, double give_up_s,
                                long status, const char *error, double duration_ms)
{
  static const char *const names[] = {"delivered", "failed", "retry"};
  char id[24], delay[32], give_up[32], st[24], ms[32];

  fmt_int(id, delivery_id);
  snprintf(delay, sizeof delay, "%.3f", delay_s);
  snprintf(give_up, sizeof give_up, "%.3f", give_up_s);
  fmt_int(st, status);
  snprintf(ms, sizeof ms, "%.3f", duration_ms);
  return LTVD_DB_RUN(c, "outbox_record", id, claim, names[outcome], delay, give_up,
                     status > 0 ? st : NULL, error, ms);
}

PGresult *ltvd_db_outbox_release(PGconn *c, int64_t delivery_id, const char *claim)
{
  char id[24];

  fmt_int(id, delivery_id);
  return LTVD_DB_RUN(c, "outbox_release", id, claim);
}
