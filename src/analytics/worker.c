/* The analytics worker thread (SPEC section 5).
 *
 * Every ltvd process runs this thread; the one whose connection holds the session-level
 * advisory lock LTVD_WORKER_LOCK leads, and the others try the lock about every second.
 * A dead leader's lock ends with its connection, so another process leads within about a
 * second. The leader LISTENs on ltvd_data (payload: the new data version) and
 * ltvd_recompute, and runs ltvd_an_run on that same connection:
 *  - at once on becoming leader (the published results may be stale) and on
 *    ltvd_recompute;
 *  - after ltvd_data, once no notification came for DEBOUNCE_QUIET, or DEBOUNCE_MAX after
 *    the first pending one, whichever is first, so steady writes cannot starve it; a
 *    notification of a version the last good run already covered is ignored (versions
 *    are bumped in commit order, so a snapshot of version v holds every version <= v);
 *  - at the next UTC midnight while T follows the clock (T changed);
 *  - when a check every STALE_CHECK seconds finds the published results behind the data
 *    version or T (a notification missed, e.g. while no process led).
 * A failed run publishes nothing, so the previous results stay served; it is retried
 * after 1, 2, 4 ... 60 s (an explicit recompute still runs at once). A lost connection
 * is reopened with back-off and the lock competed for again. Stopping sets a flag and
 * writes to a pipe the thread polls beside the connection; a run in progress finishes
 * first. */
#include "ltvd/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ltvd/clock.h"
#include "ltvd/db.h"
#include "ltvd/log.h"
#include "ltvd/util.h"

#define LOCK_RETRY 1.0     /* seconds between attempts at the lock */
#define DEBOUNCE_QUIET 0.2 /* run once writes paused this long ... */
#define DEBOUNCE_MAX 2.0   /* ... or this long after the first pending one */
#define STALE_CHECK 30.0   /* seconds between comparisons of the versions */
#define RETRY_FIRST 1.0    /* back-off after a failed run, doubled up to RETRY_MAX */
#define RETRY_MAX 60.0
#define RECONNECT_FIRST 0.25 /* back-off between connection attempts */
#define RECONNECT_MAX 5.0

static struct {
  const struct ltvd_config *cfg;
  pthread_t thread;
  int wake[2]; /* written once by ltvd_worker_stop, never read: stays readable */
  atomic_bool stop;
  bool started;
} w = {.wake = {-1, -1}};

/* What the leader has to do and when (times on the monotonic clock). */
struct plan {
  bool wanted;        /* a run is due now: leadership, staleness, T, a failure */
  bool recompute;     /* a run was asked for: at once, even during a back-off */
  bool pending;       /* data changed: a run is due after the debounce */
  double first, last; /* the first and the last pending notification */
  int64_t covered;    /* the data version of the last good run, -1 before one */
  double retry_at;    /* after a failed run, no other run before this */
  double backoff;     /* the back-off after the next failure */
  double next_check;  /* the next comparison of the versions */
  time_t midnight;    /* the next UTC midnight, 0 while LTVD_TODAY fixes T */
};

static bool stopping(void)
{
  return atomic_load(&w.stop);
}

/* Sleeps up to seconds, less when stopping. */
static void nap(double seconds)
{
  struct pollfd p = {.fd = w.wake[0], .events = POLLIN};

  if (!stopping())
    poll(&p, 1, (int)ceil(seconds * 1000));
}

static time_t next_midnight(void)
{
  return (time(NULL) / 86400 + 1) * 86400;
}

static PGconn *open_conn(void)
{
  char err[256];
  PGconn *c = ltvd_db_connect(w.cfg->database_url, err, sizeof err);

  if (c == NULL) {
    ltvd_log(LTVD_LOG_WARN, "analytics worker: database unavailable: %s", err);
    return NULL;
  }
  if (!ltvd_db_prepare_all(c)) {
    PQfinish(c);
    return NULL;
  }
  return c;
}

/* false when the statement failed (the connection is then dropped) */
static bool query_bool(PGconn *c, const char *stmt, int n, const char *const *values, bool *out)
{
  PGresult *res = ltvd_db_run(c, stmt, n, values);

  if (res == NULL)
    return false;
  *out = PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  return true;
}

static bool listen_all(PGconn *c)
{
  PGresult *res = ltvd_db_exec(c, "LISTEN " LTVD_DATA_CHANNEL "; LISTEN " LTVD_RECOMPUTE_CHANNEL);

  PQclear(res);
  return res != NULL;
}

/* One line per run: {"msg", "status", "data_version"[, "error"]}, the times in msg (the
 * log writer prints reals at full binary precision). */
static void log_run(const struct ltvd_an_run_report *rep, double retry_in)
{
  static const char *const names[] = {"published", "skipped", "failed"};
  bool failed = rep->status == LTVD_AN_RUN_FAILED;
  char msg[256];

  if (!ltvd_log_enabled(failed ? LTVD_LOG_ERROR : LTVD_LOG_INFO))
    return;
  if (failed)
    snprintf(msg, sizeof msg, "analytics run failed after %.1f ms; retrying in %.0f s",
             rep->total_ms, retry_in);
  else
    snprintf(msg, sizeof msg, "analytics run %s in %.1f ms (load %.1f, compute %.1f, publish %.1f)",
             names[rep->status], rep->total_ms, rep->load_ms, rep->compute_ms, rep->publish_ms);
  json_t *line = json_object();
  json_object_set_new(line, "time", json_null());
  json_object_set_new(line, "level", json_string(failed ? "error" : "info"));
  json_object_set_new(line, "msg", json_string(msg));
  json_object_set_new(line, "status", json_string(names[rep->status]));
  json_object_set_new(line, "data_version", json_integer(rep->data_version));
  if (failed)
    json_object_set_new(line, "error", json_string(rep->error));
  ltvd_log_json_new(line);
}

static void run_once(PGconn *c, struct plan *p)
{
  struct ltvd_an_run_report rep;

  p->wanted = p->recompute = p->pending = false;
  ltvd_an_run(c, w.cfg, &rep);
  if (rep.status == LTVD_AN_RUN_FAILED) {
    p->wanted = true;
    p->retry_at = ltvd_monotonic() + p->backoff;
    log_run(&rep, p->backoff);
    p->backoff = fmin(p->backoff * 2, RETRY_MAX);
    return;
  }
  log_run(&rep, 0);
  p->covered = rep.data_version;
  p->retry_at = 0;
  p->backoff = RETRY_FIRST;
}

/* Reads what arrived on the connection; false when it is lost. */
static bool drain(PGconn *c, struct plan *p)
{
  PGnotify *n;
  double now = ltvd_monotonic();

  if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
    return false;
  while ((n = PQnotifies(c)) != NULL) {
    if (strcmp(n->relname, LTVD_RECOMPUTE_CHANNEL) == 0) {
      p->recompute = true;
    } else if (strtoll(n->extra, NULL, 10) > p->covered) {
      if (!p->pending)
        p->first = now;
      p->pending = true;
      p->last = now;
    }
    PQfreemem(n);
  }
  return true;
}

/* When the next run is due; INFINITY when none is. */
static double due_at(const struct plan *p)
{
  double due = INFINITY;

  if (p->recompute)
    return 0;
  if (p->wanted)
    due = 0;
  else if (p->pending)
    due = fmin(p->last + DEBOUNCE_QUIET, p->first + DEBOUNCE_MAX);
  return fmax(due, p->retry_at);
}

static bool check_stale(PGconn *c, struct plan *p)
{
  char today[11];
  bool stale;

  ltvd_clock_today(today);
  if (!query_bool(c, "worker_stale", 1, (const char *const[]){today}, &stale))
    return false;
  p->wanted |= stale;
  return true;
}

/* Leads until the connection is lost or the worker stops. */
static void lead(PGconn *c)
{
  struct plan p = {.wanted = true, .covered = -1, .backoff = RETRY_FIRST};

  p.next_check = ltvd_monotonic() + STALE_CHECK;
  p.midnight = w.cfg->today[0] ? 0 : next_midnight();
  while (!stopping()) {
    double now = ltvd_monotonic();
    if (p.midnight && time(NULL) >= p.midnight) {
      p.wanted = true;
      p.midnight = next_midnight();
    }
    if (now >= p.next_check) {
      /* with a run already due the check would add nothing */
      if (!p.wanted && !p.pending && !check_stale(c, &p))
        return;
      p.next_check = now + STALE_CHECK;
    }
    double due = due_at(&p);
    if (due <= now) {
      run_once(c, &p);
      if (!drain(c, &p))
        return;
      continue;
    }
    double wait = fmin(due, p.next_check) - now;
    if (p.midnight)
      wait = fmin(wait, (double)(p.midnight - time(NULL)));
    struct pollfd fds[2] = {{.fd = PQsocket(c), .events = POLLIN},
                            {.fd = w.wake[0], .events = POLLIN}};
    poll(fds, 2, (int)ceil(fmax(wait, 0) * 1000));
    if (!drain(c, &p))
      return;
  }
}

static void *worker_main(void *arg)
{
  PGconn *c = NULL;
  double backoff = RECONNECT_FIRST;
  bool leading = false;

  while (!stopping()) {
    bool granted;
    if (c == NULL && (c = open_conn()) == NULL) {
      nap(backoff);
      backoff = fmin(backoff * 2, RECONNECT_MAX);
      continue;
    }
    if (!query_bool(c, "worker_try_lock", 0, NULL, &granted)) {
      PQfinish(c);
      c = NULL;
      nap(backoff);
      backoff = fmin(backoff * 2, RECONNECT_MAX);
      continue;
    }
    backoff = RECONNECT_FIRST;
    if (!granted) {
      nap(LOCK_RETRY);
      continue;
    }
    leading = true;
    ltvd_log(LTVD_LOG_INFO, "analytics worker: this process leads (advisory lock %lld)",
             (long long)LTVD_WORKER_LOCK);
    if (listen_all(c))
      lead(c);
    if (stopping())
      break;
    ltvd_log(LTVD_LOG_WARN, "analytics worker: lost the database connection; reconnecting");
    leading = false;
    PQfinish(c);
    c = NULL;
  }
  if (c && leading && PQstatus(c) == CONNECTION_OK)
    PQclear(ltvd_db_run(c, "worker_unlock", 0, NULL));
  if (c)
    PQfinish(c);
  return arg;
}

bool ltvd_worker_start(const struct ltvd_config *cfg, char *err, size_t errlen)
{
  if (pipe2(w.wake, O_CLOEXEC) != 0) {
    snprintf(err, errlen, "cannot start the analytics worker: %s", strerror(errno));
    return false;
  }
  w.cfg = cfg;
  atomic_store(&w.stop, false);
  int rc = pthread_create(&w.thread, NULL, worker_main, NULL);
  if (rc != 0) {
    snprintf(err, errlen, "cannot start the analytics worker: %s", strerror(rc));
    close(w.wake[0]);
    close(w.wake[1]);
    return false;
  }
  w.started = true;
  return true;
}

void ltvd_worker_stop(void)
{
  char byte = 1;

  if (!w.started)
    return;
  atomic_store(&w.stop, true);
  ssize_t written = write(w.wake[1], &byte, 1);
  (void)written;
  pthread_join(w.thread, NULL);
  close(w.wake[0]);
  close(w.wake[1]);
  w.wake[0] = w.wake[1] = -1;
  w.started = false;
}
