/* The outbound webhook sender (SPEC section 6).
 *
 * One thread per ltvd process, with its own database connection listening on
 * ltvd_outbox, and one libcurl multi handle carrying at most MAX_IN_FLIGHT requests at
 * once (PER_SUBSCRIPTION of them to one subscription, so that a slow receiver holds a
 * few slots and never the others). The state lives in the database only: a delivery is
 * claimed by a lease (a random claim token and claimed_until = now + the request timeout
 * + LEASE_MARGIN) committed before the request goes out, so no lock or transaction is
 * held while a receiver answers; the attempt is then recorded, and the delivery moved
 * on, by one statement that applies only while the claim is still ours. A process that
 * dies mid-request leaves a lease that runs out, and any process claims the delivery
 * again; one that stops hands its claims back. Several processes claim with FOR UPDATE
 * SKIP LOCKED and never take the same delivery twice.
 *
 * The loop wakes on a notification (a new alert, a manual retry, a subscription made
 * active), on a finished request, when the earliest scheduled retry is due, and at least
 * once a second. Retries follow ltvd_sender_delay within the retry window
 * (LTVD_WEBHOOK_GIVE_UP from the first attempt): the last try falls at the end of the
 * window, and a failure after it gives the delivery up. */
#include "ltvd/sender.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ltvd/db.h"
#include "ltvd/log.h"
#include "ltvd/signature.h"
#include "ltvd/util.h"

#define MAX_IN_FLIGHT 16
#define PER_SUBSCRIPTION 4
#define POLL_INTERVAL 1.0   /* seconds between claims when nothing wakes the loop */
#define RECONNECT_PAUSE 1.0 /* seconds between connection attempts */
#define LEASE_MARGIN 5.0    /* seconds a lease outlives the request timeout */
#define JITTER 0.2

struct flight {
  CURL *easy;
  int64_t delivery_id;
  char claim[40];
  int window_attempts; /* failed attempts of the current window before this one */
  char *body;
  struct curl_slist *headers;
  double started;
  char retry_after[64];
  char error[CURL_ERROR_SIZE];
};

static struct {
  pthread_t thread;
  atomic_bool stop;
  CURLM *multi;
  char *url;
  double base_delay, give_up, timeout;
  struct flight *flights[MAX_IN_FLIGHT];
  int n_flights;
} S;

/* --- the rules --- */

enum ltvd_outbox_outcome ltvd_sender_outcome(long status)
{
  if (status >= 200 && status <= 299)
    return LTVD_OUTBOX_DELIVERED;
  if (status >= 400 && status <= 499 && status != 408 && status != 429)
    return LTVD_OUTBOX_FAILED;
  return LTVD_OUTBOX_RETRY;
}

double ltvd_sender_retry_after(const char *value, time_t now)
{
  char buf[64];
  int64_t seconds;

  if (value == NULL)
    return -1;
  while (*value == ' ' || *value == '\t')
    value++;
  snprintf(buf, sizeof buf, "%s", value);
  for (size_t n = strlen(buf); n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'); n--)
    buf[n - 1] = '\0';
  if (buf[0] >= '0' && buf[0] <= '9')
    return ltvd_parse_int64(buf, 0, INT64_MAX, &seconds) ? fmin((double)seconds, 1e9) : -1;
  time_t at = buf[0] ? curl_getdate(buf, NULL) : -1;
  if (at == -1)
    return -1;
  return at > now ? (double)(at - now) : 0;
}

double ltvd_sender_delay(double base, int attempt, double jitter, double retry_after)
{
  int exponent = attempt < 1 ? 0 : attempt > 40 ? 39 : attempt - 1;
  double delay = ldexp(base, exponent) * (1 + JITTER * fmax(-1, fmin(1, jitter)));

  return retry_after > delay ? retry_after : delay;
}

/* --- one request --- */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
  (void)p, (void)ud;
  return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
  struct flight *f = ud;
  size_t len = size * n;
  static const char name[] = "Retry-After:";

  if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
    size_t vlen = len - (sizeof name - 1);
    if (vlen >= sizeof f->retry_after)
      vlen = sizeof f->retry_after - 1;
    memcpy(f->retry_after, p + sizeof name - 1, vlen);
    f->retry_after[vlen] = '\0';
    f->retry_after[strcspn(f->retry_after, "\r\n")] = '\0';
  }
  return len;
}

static void flight_free(struct flight *f)
{
  if (f->easy) {
    curl_multi_remove_handle(S.multi, f->easy);
    curl_easy_cleanup(f->easy);
  }
  curl_slist_free_all(f->headers);
  free(f->body);
  free(f);
}

static struct curl_slist *add_header(struct curl_slist *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static struct curl_slist *add_header(struct curl_slist *list, const char *fmt, ...)
{
  char line[256];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  return curl_slist_append(list, line);
}

/* Starts the request of row i of a claim result. */
static void launch(PGresult *res, int i)
{
  struct flight *f = calloc(1, sizeof *f);
  char signature[LTVD_SIGNATURE_HEADER_MAX];

  if (f == NULL)
    abort();
  f->delivery_id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
  snprintf(f->claim, sizeof f->claim, "%s", PQgetvalue(res, i, 1));
  f->window_attempts = atoi(PQgetvalue(res, i, 2));
  json_t *alert = ltvd_db_alert_json(res, i, 5);
  f->body = json_dumps(alert, JSON_COMPACT);
  json_decref(alert);
  size_t len = strlen(f->body);
  ltvd_signature_header(PQgetvalue(res, i, 4), (int64_t)time(NULL), f->body, len, signature);
  f->headers = add_header(NULL, "Content-Type: application/json");
  f->headers = add_header(f->headers, "X-Ltvd-Signature: %s", signature);
  f->headers = add_header(f->headers, "X-Ltvd-Event-Id: %s", PQgetvalue(res, i, 5));
  f->headers = add_header(f->headers, "User-Agent: ltvd/%s", LTVD_VERSION);
  f->headers = add_header(f->headers, "Expect:");

  CURL *e = f->easy = curl_easy_init();
  if (e == NULL)
    abort();
  curl_easy_setopt(e, CURLOPT_URL, PQgetvalue(res, i, 3));
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, f->body);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(S.timeout * 1000));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, f);
  f->started = ltvd_monotonic();
  curl_multi_add_handle(S.multi, e);
  S.flights[S.n_flights++] = f;
}

static void forget(struct flight *f)
{
  for (int i = 0; i < S.n_flights; i++)
    if (S.flights[i] == f) {
      S.flights[i] = S.flights[--S.n_flights];
      break;
    }
  flight_free(f);
}

/* A uniform number in [-1, 1]. */
static double jitter(void)
{
  uint32_t r;

  ltvd_random_bytes(&r, sizeof r);
  return (double)r / UINT32_MAX * 2 - 1;
}

/* Records the finished request of f; returns the seconds until its retry (-1: none) or
 * -2 when the database connection failed. */
static double finish(PGconn *c, struct flight *f, CURLcode result)
{
  long status = 0;
  double ms = (ltvd_monotonic() - f->started) * 1000;
  const char *error = NULL;

  if (result == CURLE_OK)
    curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
  else
    error = f->error[0] ? f->error : curl_easy_strerror(result);
  if (result == CURLE_OK && status < 100)
    error = "the answer is not HTTP";
  enum ltvd_outbox_outcome outcome = ltvd_sender_outcome(status);
  double delay = -1;
  if (outcome == LTVD_OUTBOX_RETRY) {
    double asked = status ? ltvd_sender_retry_after(f->retry_after, time(NULL)) : -1;
    delay = ltvd_sender_delay(S.base_delay, f->window_attempts + 1, jitter(), asked);
  }
  if (status && outcome != LTVD_OUTBOX_DELIVERED)
    ltvd_log(LTVD_LOG_INFO, "webhook delivery %" PRId64 ": the receiver answered %ld%s",
             f->delivery_id, status, outcome == LTVD_OUTBOX_FAILED ? ", not retried" : "");
  else if (error)
    ltvd_log(LTVD_LOG_INFO, "webhook delivery %" PRId64 ": %s", f->delivery_id, error);
  if (c == NULL)
    return -2;
  PGresult *res = ltvd_db_outbox_record(c, f->delivery_id, f->claim, outcome, delay > 0 ? delay : 0,
                                        S.give_up, status, error, ms);
  if (res == NULL)
    return ltvd_db_last_error() == LTVD_DB_CONNECTION ? -2 : -1;
  PQclear(res);
  return delay;
}

/* --- the loop --- */

static PGconn *connect_and_listen(void)
{
  char err[256];
  PGconn *c = ltvd_db_connect(S.url, err, sizeof err);

  if (c == NULL) {
    ltvd_log(LTVD_LOG_WARN, "webhook sender: database unavailable: %s", err);
    return NULL;
  }
  /* the claim's generic plan looks costly enough to be JIT-compiled, which takes far
   * longer (~0.7 s) than running it (< 1 ms) */
  PGresult *res = NULL;
  if (!ltvd_db_prepare_all(c) ||
      (res = ltvd_db_exec(c, "SET jit = off; LISTEN " LTVD_OUTBOX_CHANNEL)) == NULL) {
    PQfinish(c);
    return NULL;
  }
  PQclear(res);
  return c;
}

/* Claims what the free slots can take and starts it; false when the connection failed. */
static bool claim(PGconn *c, double *next_poll)
{
  double now = ltvd_monotonic();
  PGresult *res = ltvd_db_outbox_claim(c, MAX_IN_FLIGHT - S.n_flights, PER_SUBSCRIPTION,
                                       S.timeout + LEASE_MARGIN);

  if (res == NULL)
    return ltvd_db_last_error() != LTVD_DB_CONNECTION;
  for (int i = 0; i < PQntuples(res); i++)
    launch(res, i);
  PQclear(res);
  *next_poll = now + POLL_INTERVAL;
  if (S.n_flights == MAX_IN_FLIGHT)
    return true;
  if ((res = ltvd_db_outbox_next_due(c)) == NULL)
    return ltvd_db_last_error() != LTVD_DB_CONNECTION;
  if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
    double due = strtod(PQgetvalue(res, 0, 0), NULL);
    /* due before the next poll: wake then. Due already: it was left by the per-subscription
     * limit or is held by another process, and a finished request or the poll wakes us */
    if (due >= 0 && due < POLL_INTERVAL)
      *next_poll = now + due + 0.005;
  }
  PQclear(res);
  return true;
}

/* Reads notifications; false when the connection failed. */
static bool notified(PGconn *c, bool *wake)
{
  PGnotify *n;

  if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
    return false;
  while ((n = PQnotifies(c)) != NULL) {
    *wake = true;
    PQfreemem(n);
  }
  return true;
}

/* Hands every claim back (a best effort: an unreturned lease simply runs out). */
static void hand_back(PGconn *c)
{
  while (S.n_flights > 0) {
    struct flight *f = S.flights[0];
    if (c)
      PQclear(ltvd_db_outbox_release(c, f->delivery_id, f->claim));
    forget(f);
  }
}

/* Moves the requests on and records the finished ones; false when the connection failed. */
static bool progress(PGconn *c, bool *wake, double *next_poll)
{
  int running, left;
  CURLMsg *m;
  bool ok = true;

  curl_multi_perform(S.multi, &running);
  while ((m = curl_multi_info_read(S.multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE)
      continue;
    char *private;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &private);
    struct flight *f = (struct flight *)private;
    double retry = finish(ok ? c : NULL, f, m->data.result);
    forget(f);
    *wake = true; /* a slot is free */
    if (retry == -2)
      ok = false;
    else if (retry >= 0 && ltvd_monotonic() + retry + 0.005 < *next_poll)
      *next_poll = ltvd_monotonic() + retry + 0.005;
  }
  return ok;
}

static void *run(void *arg)
{
  PGconn *c = NULL;
  double next_connect = 0, next_poll = 0;
  bool wake = true;

  while (!atomic_load(&S.stop)) {
    double now = ltvd_monotonic();
    if (c == NULL && now >= next_connect) {
      next_connect = now + RECONNECT_PAUSE;
      if ((c = connect_and_listen()) != NULL)
        wake = true;
    }
    if (c && S.n_flights < MAX_IN_FLIGHT && (wake || now >= next_poll)) {
      wake = false;
      if (!claim(c, &next_poll)) {
        PQfinish(c);
        c = NULL;
      }
    }

    /* before waiting on the socket: libpq may have read a notification already, with the
     * answer to the claim, and the socket would not tell */
    if (c && !notified(c, &wake)) {
      PQfinish(c);
      c = NULL;
    }
    double until = c == NULL                      ? next_connect - ltvd_monotonic()
                   : S.n_flights == MAX_IN_FLIGHT ? POLL_INTERVAL /* a finished request wakes */
                   : wake                         ? 0
                                                  : next_poll - ltvd_monotonic();
    int timeout_ms = until <= 0 ? 0 : until >= POLL_INTERVAL ? 1000 : (int)(until * 1000) + 1;
    struct curl_waitfd fd = {.fd = c ? PQsocket(c) : -1, .events = CURL_WAIT_POLLIN};
    curl_multi_poll(S.multi, c ? &fd : NULL, c ? 1 : 0, timeout_ms, NULL);
    if (!progress(c, &wake, &next_poll) && c) {
      PQfinish(c);
      c = NULL;
    }
  }
  hand_back(c);
  if (c)
    PQfinish(c);
  return arg;
}

bool ltvd_sender_start(const struct ltvd_config *cfg, char *err, size_t errlen)
{
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (S.multi = curl_multi_init()) == NULL) {
    snprintf(err, errlen, "cannot initialise libcurl for the webhook sender");
    return false;
  }
  S.url = strdup(cfg->database_url ? cfg->database_url : "");
  S.base_delay = cfg->webhook_base_delay;
  S.give_up = cfg->webhook_give_up;
  S.timeout = cfg->webhook_timeout;
  S.n_flights = 0;
  atomic_store(&S.stop, false);
  if (pthread_create(&S.thread, NULL, run, NULL) != 0) {
    snprintf(err, errlen, "cannot start the webhook sender thread");
    curl_multi_cleanup(S.multi);
    free(S.url);
    return false;
  }
  return true;
}

void ltvd_sender_stop(void)
{
  atomic_store(&S.stop, true);
  curl_multi_wakeup(S.multi);
  pthread_join(S.thread, NULL);
  curl_multi_cleanup(S.multi);
  S.multi = NULL;
  free(S.url);
  S.url = NULL;
  curl_global_cleanup();
}
