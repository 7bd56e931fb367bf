/* The analytics worker (SPEC section 5) and one run of it.
 *
 * A run (ltvd_an_run, src/db/analytics.c) loads one consistent snapshot, computes every
 * result and publishes them in one transaction, unless results of a newer data version
 * (or of the same version and a later T) are already published. It records itself in
 * analytics_runs. Any process may run it (ltvd recompute does); the worker thread
 * (src/analytics/worker.c) runs it only while it holds the advisory lock. */
#ifndef LTVD_WORKER_H
#define LTVD_WORKER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "ltvd/config.h"

/* The advisory lock (pg_try_advisory_lock(LTVD_WORKER_LOCK)) of the computing process.
 * Not 7418001: that is the migrations' lock (src/db/migrate.c), which `ltvd migrate`
 * waits for, and a leader holds its lock for as long as it lives. */
#define LTVD_WORKER_LOCK INT64_C(7418003)
/* The channel of data changes (payload: the new data version) and of recompute requests. */
#define LTVD_DATA_CHANNEL "ltvd_data"
#define LTVD_RECOMPUTE_CHANNEL "ltvd_recompute"

enum ltvd_an_run_status { LTVD_AN_RUN_PUBLISHED, LTVD_AN_RUN_SKIPPED, LTVD_AN_RUN_FAILED };

struct ltvd_an_run_report {
  enum ltvd_an_run_status status;
  int64_t data_version;   /* of the snapshot */
  double load_ms, compute_ms, publish_ms, total_ms;
  char error[512];        /* when FAILED */
};

/* One run on c (a connection of the caller's own, not a pool thread's; its statements
 * need not be prepared). */
enum ltvd_an_run_status ltvd_an_run(PGconn *c, const struct ltvd_config *cfg,
                                    struct ltvd_an_run_report *rep);

/* Starts the worker thread; false with a message when the thread cannot start. */
bool ltvd_worker_start(const struct ltvd_config *cfg, char *err, size_t errlen);
/* Stops it (a run in progress finishes first) and releases the lock. */
void ltvd_worker_stop(void);

#endif
