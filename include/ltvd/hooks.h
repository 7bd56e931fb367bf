/* Inbound webhooks (SPEC section 6): hook sources, the senders a marketing tool signs
 * for (admin API, src/api/hook_sources.c), the signed delivery endpoint
 * (src/api/hooks.c), and their SQL (src/db/hook_sources.c). */
#ifndef LTVD_HOOKS_H
#define LTVD_HOOKS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "ltvd/http.h"

/* --- handlers --- */

int ltvd_api_hook_sources_list(struct ltvd_req *r);
int ltvd_api_hook_sources_create(struct ltvd_req *r);
int ltvd_api_hook_sources_get(struct ltvd_req *r);
int ltvd_api_hook_sources_delete(struct ltvd_req *r);
int ltvd_api_hook_sources_rotate(struct ltvd_req *r);

/* The verify step of POST /v1/hooks/{name}: 0 when X-Ltvd-Signature verifies under the
 * source's current or (still valid) previous secret, else a 401 problem that does not
 * tell an unknown source from a wrong signature. */
int ltvd_api_hooks_verify(struct ltvd_req *r);
/* Stores one event or {"events":[...]} as signals of source {name}, each answered. */
int ltvd_api_hooks_receive(struct ltvd_req *r);

/* --- SQL; NULL on a database error, recorded for ltvd_db_last_error --- */

/* Columns of every hook source result: name, created_at, rotated_at,
 * previous_secret_valid_until (null once passed). */
json_t *ltvd_db_hook_source_json(const PGresult *res, int row);
/* Sources by name (byte order) after after_key, limit rows. */
PGresult *ltvd_db_hook_source_list(PGconn *c, const char *after_key, int limit);
PGresult *ltvd_db_hook_source_get(PGconn *c, const char *name);
/* Inserts a source with secret; 23505 when the name is taken. */
PGresult *ltvd_db_hook_source_insert(PGconn *c, const char *name, const char *secret);
/* Makes secret current and the current one previous for 24 hours; no row when no source
 * has the name. */
PGresult *ltvd_db_hook_source_rotate(PGconn *c, const char *name, const char *secret);
/* Deletes the source: column name, no row when none had it. */
PGresult *ltvd_db_hook_source_delete(PGconn *c, const char *name);
/* The secrets a delivery may be signed with: columns secret and previous_secret (null
 * when none or expired); no row when no source has the name. */
PGresult *ltvd_db_hook_source_secrets(PGconn *c, const char *name);

#endif
