/* API keys: "ltvd_" + 64 hex characters, stored only as SHA-256 hashes. Lookups go
 * through a cache that a LISTEN thread empties on every NOTIFY ltvd_keys (sent by a
 * trigger on api_keys), so a revoked key stops working within a second everywhere; while
 * that thread has no connection the cache is bypassed. */
#ifndef LTVD_AUTH_H
#define LTVD_AUTH_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "ltvd/http.h"

enum ltvd_auth_result { LTVD_AUTH_OK, LTVD_AUTH_INVALID, LTVD_AUTH_UNAVAILABLE };

/* Resolves a bearer token to its key; UNAVAILABLE when the database could not answer. */
enum ltvd_auth_result ltvd_auth_lookup(PGconn *c, const char *token, struct ltvd_key *out);

/* Starts and stops the cache invalidation listener. */
bool ltvd_auth_listener_start(const char *url);
void ltvd_auth_listener_stop(void);

/* Parses read|write|admin. */
bool ltvd_scope_parse(const char *name, enum ltvd_scope *out);
const char *ltvd_scope_name(enum ltvd_scope scope);

/* Creates a key: the secret goes to secret_out[70] and is never stored. */
bool ltvd_auth_create_key(PGconn *c, const char *name, enum ltvd_scope scope,
                          char secret_out[70], int64_t *id_out);

/* Per-key rate limit: true when the request may go on. rate <= 0 turns it off. */
bool ltvd_rate_allow(int64_t key_id, double rate);

#endif
