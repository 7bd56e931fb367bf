/* The alert log (read) and outbound webhook subscriptions (admin) over HTTP: list,
 * create (the secret in the 201 and nowhere else, Idempotency-Key refused as for hook
 * sources), get, merge patch of url, events and active, delete (with the subscription's
 * deliveries), a subscription's deliveries with their attempts, and a manual retry.
 * Subscriptions are configuration, not data: no data version is bumped. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"
#include "ltvd/webhooks.h"

#define URL_MAX 2048

static const char *const delivery_states[] = {"pending", "delivered", "failed", "gave_up", NULL};

static const struct ltvd_field subscription_fields[] = {
    {"url", LTVD_F_STRING, LTVD_REQUIRED, 1, URL_MAX, NULL},
    {"events", LTVD_F_ARRAY, LTVD_NULLABLE, 0, 0, NULL},
    {"id", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"secret", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"version", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"updated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static bool listed(const char *const *names, const char *s)
{
  for (; *names; names++)
    if (strcmp(*names, s) == 0)
      return true;
  return false;
}

static const char *alert_types_text(void)
{
  return "renewal_due, nps_detractor, quadrant_changed, tier_changed, opportunity_new, churned";
}

/* --- the alert log --- */

/* limit (1..1000, default 100) and after (the last id seen, a plain integer >= 0). */
static int parse_log_paging(struct ltvd_req *r, struct ltvd_alert_filter *f)
{
  const char *limit = ltvd_req_query(r, "limit"), *after = ltvd_req_query(r, "after");
  int64_t v;

  f->limit = 100;
  if (limit) {
    if (limit[0] < '0' || limit[0] > '9' || !ltvd_parse_int64(limit, 1, 1000, &v))
      return ltvd_problem_field(r, 400, "limit", "must be an integer from 1 to 1000");
    f->limit = (int)v;
  }
  if (after && (after[0] < '0' || after[0] > '9' || !ltvd_parse_int64(after, 0, INT64_MAX, &v)))
    return ltvd_problem_field(r, 400, "after",
                              "must be the id of the last alert seen, an "
                              "integer >= 0");
  f->after = after ? v : 0;
  return 0;
}

int ltvd_api_alerts_list(struct ltvd_req *r)
{
  struct ltvd_alert_filter f = {0};
  int status;

  if ((status = parse_log_paging(r, &f)))
    return status;
  f.type = ltvd_req_query(r, "type");
  if (f.type && !listed(ltvd_alert_types, f.type))
    return ltvd_problem_field(r, 400, "type", "must be one of %s", alert_types_text());
  const char *customer = ltvd_req_query(r, "customer_id");
  if (customer && (customer[0] < '1' || customer[0] > '9' ||
                   !ltvd_parse_int64(customer, 1, LTVD_MONEY_MAX, &f.customer_id)))
    return ltvd_problem_field(r, 400, "customer_id", "must be a positive integer");
  f.limit++;
  PGresult *res = ltvd_db_alert_list(r->db, &f);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  f.limit--;
  int n = PQntuples(res);
  json_t *results = json_array();
  for (int i = 0; i < n && i < f.limit; i++)
    json_array_append_new(results, ltvd_db_alert_json(res, i, 0));
  json_t *body = json_pack("{s:o}", "results", results);
  if (n > f.limit)
    json_object_set_new(body, "paging",
                        json_pack("{s:{s:s}}", "next", "after", PQgetvalue(res, f.limit - 1, 0)));
  PQclear(res);
  return ltvd_reply_json_new(r, 200, body);
}

/* --- subscriptions --- */

static int not_found(struct ltvd_req *r)
{
  return ltvd_problem(r, 404, "no webhook subscription has this id");
}

/* An absolute http(s) URL with a host, no whitespace or control characters; NULL when
 * it is one, else why not. */
static const char *url_problem(const char *url)
{
  for (const unsigned char *p = (const unsigned char *)url; *p; p++)
    if (*p <= 0x20 || *p == 0x7f)
      return "must not contain spaces or control characters";
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
    return "must be an absolute URL starting with http:// or https://";
  CURLU *u = curl_url();
  char *host = NULL;
  bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && host[0];
  curl_free(host);
  curl_url_cleanup(u);
  return ok ? NULL : "must be a valid http or https URL with a host";
}

static void check_url(const json_t *v, json_t *errors)
{
  const char *why = json_is_string(v) ? url_problem(json_string_value(v)) : NULL;

  if (why)
    json_array_append_new(errors, ltvd_field_error("url", -1, "%s", why));
}

/* events: an array of distinct alert types (the validation table checked it is an
 * array or null). */
static void check_events(const json_t *events, json_t *errors)
{
  size_t i, j;
  json_t *e;

  if (!json_is_array(events))
    return;
  json_array_foreach(events, i, e)
  {
    if (!json_is_string(e) || !listed(ltvd_alert_types, json_string_value(e))) {
      json_array_append_new(errors, ltvd_field_error("events", -1,
                                                     "element %zu must be one of "
                                                     "%s",
                                                     i, alert_types_text()));
      return;
    }
    for (j = 0; j < i; j++)
      if (json_equal(json_array_get(events, j), e)) {
        json_array_append_new(
            errors, ltvd_field_error("events", -1, "lists %s twice", json_string_value(e)));
        return;
      }
  }
}

/* The wanted types as the JSON text the SQL takes, from events (null: every type). */
static char *events_text(const json_t *events)
{
  return json_is_array(events) ? json_dumps(events, JSON_COMPACT) : strdup("[]");
}

static void check_active(const json_t *body, json_t *errors)
{
  const json_t *active = json_object_get(body, "active");

  if (active && !json_is_boolean(active))
    json_array_append_new(errors, ltvd_field_error("active", -1, "must be true or false"));
}

static int reply_subscription(struct ltvd_req *r, int status, PGresult *res, const char *secret)
{
  json_t *body = ltvd_db_subscription_json(res, 0);
  int64_t version = ltvd_db_subscription_version(res, 0);

  if (status == 201)
    ltvd_reply_header(r, "Location", "/v1/webhook-subscriptions/%lld",
                      (long long)ltvd_db_subscription_id(res, 0));
  PQclear(res);
  if (secret) {
    json_object_set_new(body, "secret", json_string(secret));
    ltvd_reply_header(r, "Cache-Control", "no-store");
  }
  return ltvd_reply_resource_new(r, status, version, body);
}

/* The subscription of the path (locked for a write), or NULL after a 400, 404 or error
 * reply. */
static PGresult *find(struct ltvd_req *r, bool for_update)
{
  int64_t id;

  if (ltvd_req_id(r, 0, &id))
    return NULL;
  PGresult *res = ltvd_db_subscription_get(r->db, id, for_update);
  if (res == NULL) {
    ltvd_reply_db_error(r);
    return NULL;
  }
  if (PQntuples(res) == 0) {
    PQclear(res);
    not_found(r);
    return NULL;
  }
  return res;
}

int ltvd_api_webhook_subscriptions_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse(r, &page)))
    return status;
  return ltvd_reply_id_page(r, &page, ltvd_db_subscription_list(r->db, page.after, page.limit + 1), ltvd_db_subscription_json, ltvd_db_subscription_id);
}

int ltvd_api_webhook_subscriptions_create(struct ltvd_req *r)
{
  static const char *const also[] = {"active", NULL};
  json_t *errors = json_array();
  unsigned char raw[32];
  char secret[65];

  if (ltvd_req_header(r, "Idempotency-Key"))
    json_array_append_new(errors, ltvd_field_error("Idempotency-Key", -1,
                                                   "is not accepted here: a subscription's "
                                                   "secret is shown once and never stored for "
                                                   "a replay"));
  ltvd_validate(r->json, subscription_fields, also, LTVD_VALIDATE_CREATE, -1, errors);
  check_url(json_object_get(r->json, "url"), errors);
  check_events(json_object_get(r->json, "events"), errors);
  check_active(r->json, errors);
  if (json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the webhook subscription is invalid", errors);
  json_decref(errors);

  json_t *events = json_object_get(r->json, "events");
  const json_t *active = json_object_get(r->json, "active");
  char *events_json = events_text(events);
  ltvd_random_bytes(raw, sizeof raw);
  ltvd_hex(raw, sizeof raw, secret);
  PGresult *res =
      ltvd_db_subscription_insert(r->db, json_string_value(json_object_get(r->json, "url")),
                                  events_json, active == NULL || json_is_true(active), secret);
  free(events_json);
  return res ? reply_subscription(r, 201, res, secret) : ltvd_reply_db_error(r);
}

int ltvd_api_webhook_subscriptions_get(struct ltvd_req *r)
{
  PGresult *res = find(r, false);

  return res ? reply_subscription(r, 200, res, NULL) : r->status;
}

int ltvd_api_webhook_subscriptions_patch(struct ltvd_req *r)
{
  static const char *const also[] = {"active", "version", NULL};
  PGresult *res = find(r, true);

  if (res == NULL)
    return r->status;
  json_t *errors = json_array();
  ltvd_validate(r->json, subscription_fields, also, LTVD_VALIDATE_PATCH, -1, errors);
  check_url(json_object_get(r->json, "url"), errors);
  check_events(json_object_get(r->json, "events"), errors);
  check_active(r->json, errors);
  json_t *version = json_object_get(r->json, "version");
  if (version && !json_is_integer(version))
    json_array_append_new(errors, ltvd_field_error("version", -1, "must be an integer"));
  if (json_array_size(errors) > 0) {
    PQclear(res);
    return ltvd_problem_errors_new(r, 422, "the patch is invalid", errors);
  }
  json_decref(errors);
  int64_t current = ltvd_db_subscription_version(res, 0);
  if (!ltvd_req_if_match(r, current) || !ltvd_req_version_matches(r, current)) {
    PQclear(res);
    return r->status;
  }

  json_t *url = json_object_get(r->json, "url"), *events = json_object_get(r->json, "events");
  json_t *active = json_object_get(r->json, "active");
  char *events_json = events ? events_text(events) : strdup(PQgetvalue(res, 0, 3));
  PGresult *upd = ltvd_db_subscription_update(
      r->db, ltvd_db_subscription_id(res, 0), url ? json_string_value(url) : PQgetvalue(res, 0, 2),
      events_json, active ? json_is_true(active) : PQgetvalue(res, 0, 4)[0] == 't');
  free(events_json);
  PQclear(res);
  /* a subscription made active again has deliveries waiting for it */
  if (upd == NULL || !ltvd_db_outbox_notify(r->db)) {
    PQclear(upd);
    return ltvd_reply_db_error(r);
  }
  return reply_subscription(r, 200, upd, NULL);
}

int ltvd_api_webhook_subscriptions_delete(struct ltvd_req *r)
{
  PGresult *res = find(r, true);

  if (res == NULL)
    return r->status;
  int64_t id = ltvd_db_subscription_id(res, 0), current = ltvd_db_subscription_version(res, 0);
  PQclear(res);
  if (!ltvd_req_if_match(r, current))
    return r->status;
  if ((res = ltvd_db_subscription_delete(r->db, id)) == NULL)
    return ltvd_reply_db_error(r);
  PQclear(res);
  return ltvd_reply_empty(r, 204);
}

/* --- deliveries --- */

int ltvd_api_webhook_deliveries_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  int status;
  PGresult *sub = find(r, false);

  if (sub == NULL)
    return r->status;
  int64_t id = ltvd_db_subscription_id(sub, 0);
  PQclear(sub);
  if ((status = ltvd_paging_parse(r, &page)))
    return status;
  const char *state = ltvd_req_query(r, "state");
  if (state && !listed(delivery_states, state))
    return ltvd_problem_field(r, 400, "state",
                              "must be one of pending, delivered, failed, "
                              "gave_up");
  PGresult *res = ltvd_db_delivery_list(r->db, id, state, page.after, page.limit + 1);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int n = PQntuples(res);
  bool more = n > page.limit;
  json_t *results = json_array();
  for (int i = 0; i < n && i < page.limit; i++)
    json_array_append_new(results, ltvd_db_delivery_json(res, i));
  int64_t last = more ? ltvd_db_delivery_id(res, page.limit - 1) : 0;
  PQclear(res);
  return ltvd_reply_json_new(r, 200, ltvd_paging_wrap_new(results, more, last));
}

int ltvd_api_webhook_deliveries_retry(struct ltvd_req *r)
{
  int64_t id;
  int status;

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  PGresult *res = ltvd_db_delivery_lock(r->db, id);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  bool found = PQntuples(res) == 1, busy = found && PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  if (!found)
    return ltvd_problem(r, 404, "no webhook delivery has this id");
  if (busy)
    return ltvd_problem(r, 409,
                        "the delivery is being sent right now; ask again once this "
                        "attempt is recorded");
  if (!ltvd_db_delivery_reschedule(r->db, id) || !ltvd_db_outbox_notify(r->db) ||
      (res = ltvd_db_delivery_get(r->db, id)) == NULL)
    return ltvd_reply_db_error(r);
  json_t *body = ltvd_db_delivery_json(res, 0);
  PQclear(res);
  return ltvd_reply_json_new(r, 202, body);
}
