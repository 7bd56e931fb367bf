/* Idempotency-Key on POST (SPEC section 2): a record per (API key, Idempotency-Key,
 * method, path) holding the body's hash and the first response below 500. A 2xx
 * response's record is written in the same transaction as the change it reports, so a
 * replay can never announce a write that was rolled back. */
#ifndef LTVD_IDEMPOTENCY_H
#define LTVD_IDEMPOTENCY_H

#include <stdbool.h>

#include "ltvd/http.h"

struct ltvd_idem {
  bool active;
  char key[256];
  char body_hash[65];
};

/* Reads the header. Returns 0 to go on (st->active tells whether a record is wanted), or
 * the status of the reply it made: a replay, 422 for a reused key with another body,
 * 400 for a malformed key, 503 when the database is away. */
int ltvd_idem_begin(struct ltvd_req *r, struct ltvd_idem *st);

enum ltvd_idem_store { LTVD_IDEM_STORED, LTVD_IDEM_TAKEN, LTVD_IDEM_FAILED };

/* Records r's reply. TAKEN: a concurrent request with the same key stored first (roll
 * back, then ltvd_idem_begin again replays it). */
enum ltvd_idem_store ltvd_idem_store(struct ltvd_req *r, const struct ltvd_idem *st);

#endif
