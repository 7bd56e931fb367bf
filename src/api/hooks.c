/* POST /v1/hooks/{name}: events pushed by a marketing tool, signed with the hook
 * source's secret (SPEC section 6). The server runs ltvd_api_hooks_verify in the API
 * key's place, once the whole body is in hand and before it is parsed, so a bad, stale
 * or missing signature stores nothing and costs no JSON parsing. The events then go
 * through the same checks and store as POST /v1/signals (source = the hook's name), in
 * the route's one transaction; an event that fails its checks is answered rejected,
 * with the reason, and does not stop the others. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ltvd/hooks.h"
#include "ltvd/paging.h"
#include "ltvd/revenue.h"
#include "ltvd/revenue_db.h"
#include "ltvd/signature.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define MAX_EVENTS 1000

static const char *const event_members[] = {
    "event_id", "type", "customer_external_id", "occurred_at", "value", "product", NULL};

static int unauthorized(struct ltvd_req *r, const char *detail)
{
  ltvd_reply_header(r, "WWW-Authenticate", "X-Ltvd-Signature");
  return ltvd_problem(r, 401, "%s", detail);
}

int ltvd_api_hooks_verify(struct ltvd_req *r)
{
  const char *header = ltvd_req_header(r, "X-Ltvd-Signature");
  struct ltvd_signature sig;
  char decoy[65];

  if (header == NULL)
    return unauthorized(r, "X-Ltvd-Signature is required: t=<unix seconds>,v1=<hex>");
  if (!ltvd_signature_parse(header, &sig))
    return unauthorized(r, "X-Ltvd-Signature must read t=<unix seconds>,v1=<64 hex digits>");
  if (!ltvd_signature_fresh(&sig, (int64_t)time(NULL)))
    return unauthorized(r, "the signature's time is more than 300 seconds from now");
  PGresult *res = ltvd_valid_key(r->params[0]) ? ltvd_db_hook_source_secrets(r->db, r->params[0])
                                               : PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  bool match = false;
  if (PQntuples(res) == 1) {
    match = ltvd_signature_matches(&sig, PQgetvalue(res, 0, 0), r->body, r->body_len);
    if (!PQgetisnull(res, 0, 1))
      match |= ltvd_signature_matches(&sig, PQgetvalue(res, 0, 1), r->body, r->body_len);
  } else { /* as long as a real check, so that timing tells no source names either */
    unsigned char raw[32];
    ltvd_random_bytes(raw, sizeof raw);
    ltvd_hex(raw, sizeof raw, decoy);
    (void)ltvd_signature_matches(&sig, decoy, r->body, r->body_len);
  }
  PQclear(res);
  return match ? 0 : unauthorized(r, "the signature does not verify for this hook");
}

/* Checks an event's own shape (the signal checks do the rest); appends errors. */
static void check_event_shape(const json_t *event, json_t *errors)
{
  const char *name;
  json_t *v;

  json_object_foreach((json_t *)event, name, v)
  {
    bool known = false;
    for (const char *const *m = event_members; *m && !known; m++)
      known = strcmp(*m, name) == 0;
    if (!known)
      json_array_append_new(errors, ltvd_field_error(name, -1, "is not a member of an event"));
  }
  json_t *id = json_object_get(event, "event_id");
  if (!json_is_string(id) || json_string_length(id) == 0)
    json_array_append_new(errors,
                          ltvd_field_error("event_id", -1, "is required: a non-empty string"));
  if (!json_is_string(json_object_get(event, "customer_external_id")))
    json_array_append_new(errors,
                          ltvd_field_error("customer_external_id", -1, "is required: a string"));
}

/* "field: message; field: message" of errors. */
static json_t *reason_new(const json_t *errors)
{
  char *text = NULL;
  size_t i;
  json_t *e;

  json_array_foreach(errors, i, e)
  {
    const char *field = json_string_value(json_object_get(e, "field"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    char *next = ltvd_strdup_printf("%s%s%s%s%s", text ? text : "", text ? "; " : "",
                                    field && *field ? field : "", field && *field ? " " : "",
                                    msg ? msg : "");
    free(text);
    text = next;
  }
  json_t *reason = json_string(text ? text : "rejected");
  free(text);
  return reason;
}

/* Checks and stores one event; its result, or NULL on a database error. */
static json_t *receive_event(struct ltvd_req *r, const json_t *event)
{
  json_t *errors = json_array(), *record = NULL;
  json_t *id = json_object_get(event, "event_id");
  json_t *result =
      json_pack("{s:o, s:s, s:n}", "event_id", json_is_string(id) ? json_incref(id) : json_null(),
                "status", "rejected", "reason");

  if (!json_is_object(event)) {
    json_array_append_new(errors, ltvd_field_error("", -1, "an event must be a JSON object"));
  } else {
    check_event_shape(event, errors);
    json_t *in = json_deep_copy(event);
    json_object_set_new(in, "source", json_string(r->params[0]));
    int n = json_array_size(errors) ? 0 : ltvd_signal_prepare(r->db, in, -1, errors, &record);
    json_decref(in);
    if (n < 0)
      goto fail;
  }
  if (json_array_size(errors) > 0) {
    json_object_set_new(result, "reason", reason_new(errors));
  } else {
    json_t *signal = NULL;
    enum ltvd_signal_status status = ltvd_db_signal_store(r->db, record, &signal);
    json_decref(signal);
    if (status == LTVD_SIGNAL_FAILED)
      goto fail;
    json_object_set_new(result, "status", json_string(ltvd_signal_status_name(status)));
  }
  json_decref(record);
  json_decref(errors);
  return result;
fail:
  json_decref(record);
  json_decref(errors);
  json_decref(result);
  return NULL;
}

/* The events of the body: [body] for one event, else its "events"; NULL after a 422. */
static json_t *events_of(struct ltvd_req *r)
{
  json_t *events = json_object_get(r->json, "events");

  if (events == NULL)
    return json_pack("[O]", r->json);
  if (!json_is_array(events) || json_array_size(events) == 0 ||
      json_array_size(events) > MAX_EVENTS) {
    ltvd_problem_field(r, 422, "events", "must be an array of 1 to %d events", MAX_EVENTS);
    return NULL;
  }
  if (json_object_size(r->json) != 1) {
    json_t *errors = json_array();
    const char *name;
    json_t *v;
    json_object_foreach(r->json, name, v)
    {
      if (strcmp(name, "events") != 0)
        json_array_append_new(errors,
                              ltvd_field_error(name, -1, "is not a member of a list of events"));
    }
    ltvd_problem_errors_new(r, 422, "a list of events is {\"events\":[...]} alone", errors);
    return NULL;
  }
  return json_incref(events);
}

int ltvd_api_hooks_receive(struct ltvd_req *r)
{
  json_t *events = events_of(r), *event;
  size_t i;

  if (events == NULL)
    return r->status;
  json_t *results = json_array();
  json_array_foreach(events, i, event)
  {
    json_t *result = receive_event(r, event);
    if (result == NULL) {
      json_decref(results);
      json_decref(events);
      return ltvd_reply_db_error(r);
    }
    json_array_append_new(results, result);
  }
  json_decref(events);
  return ltvd_reply_json_new(r, 200, json_pack("{s:o}", "results", results));
}
