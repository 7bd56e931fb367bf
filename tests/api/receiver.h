/* A webhook receiver for the API tests: a plain-socket HTTP/1.1 server on 127.0.0.1 in a
 * thread of the test process, one connection at a time, that records every request it
 * gets (event id, signature check, body check, path, time) and answers as the alert's own
 * data asks:
 *
 *   "answers":     [status, ...]  the status of the receiver's 1st, 2nd, ... request for
 *                                 this event (the last one repeats); else default_status
 *   "retry_after": "2" | "date+3" a Retry-After header on every non-2xx answer: as given,
 *                                 or as the HTTP date that many seconds from now
 *   "delay_ms":    [ms, ...]      how long to wait before answering, per request
 *
 * The signature is recomputed here with libcrypto from the secret the test sets, exactly
 * as a receiver would. */
#ifndef LTVD_TESTS_API_RECEIVER_H
#define LTVD_TESTS_API_RECEIVER_H

#include <stdbool.h>

#define RECEIVER_PORT_FIRST 56500
#define RECEIVER_PORT_LAST 56599

struct receipt {
  long long event_id; /* X-Ltvd-Event-Id, -1 when absent or not a number */
  long long body_id;  /* the body's "id", -1 when absent */
  char type[32];      /* the body's "type" */
  char path[64];      /* the request's path */
  int status;         /* what the receiver answered */
  bool signature_ok;  /* the HMAC verifies under the secret and t is within 300 s */
  bool body_ok;       /* a JSON object with exactly id, type, created_at, customer_id, data */
  bool json_type;     /* Content-Type: application/json */
  long long at_ms;    /* harness_now_ms() when the request was read */
};

struct receiver;

/* A receiver not yet listening; default_status answers events whose data asks nothing. */
struct receiver *receiver_new(int default_status);
/* Listens on port (0: the first free one of 56500..56599); asserts success. */
void receiver_start(struct receiver *rv, int port);
/* Stops listening (connections are refused from then on); keeps what it recorded. */
void receiver_stop(struct receiver *rv);
void receiver_free(struct receiver *rv);

int receiver_port(const struct receiver *rv);
/* "http://127.0.0.1:<port><path>", freed by harness_free_all. */
const char *receiver_url(const struct receiver *rv, const char *path);
void receiver_set_secret(struct receiver *rv, const char *secret);
void receiver_set_default(struct receiver *rv, int status, int delay_ms);

/* Requests read so far (including ones still being answered). */
int receiver_count(struct receiver *rv);
/* Requests for event id; those answered with status (0: any). */
int receiver_count_event(struct receiver *rv, long long event_id, int status);
/* A copy of receipt i (asserts i < count). */
struct receipt receiver_get(struct receiver *rv, int i);

#endif
