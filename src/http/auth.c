#include "ltvd/auth.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/db.h"
#include "ltvd/log.h"
#include "ltvd/util.h"

#define CACHE_SLOTS 1024
#define CACHE_TTL 300.0 /* seconds; NOTIFY is what makes revocation quick */

struct cache_entry {
  unsigned char hash[32];
  struct ltvd_key key;
  unsigned long generation;
  double expires;
  bool used;
};

static struct cache_entry cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong generation = 1;
static atomic_bool listening;

static const char *const scope_names[] = {"none", "read", "write", "admin"};

bool ltvd_scope_parse(const char *name, enum ltvd_scope *out)
{
  for (int s = LTVD_SCOPE_READ; s <= LTVD_SCOPE_ADMIN; s++)
    if (strcmp(name, scope_names[s]) == 0) {
      *out = (enum ltvd_scope) s;
      return true;
    }
  return false;
}

const char *ltvd_scope_name(enum ltvd_scope scope) { return scope_names[scope]; }

static bool well_formed(const char *token)
{
  if (strncmp(token, "ltvd_", 5) != 0 || strlen(token) != 69)
    return false;
  for (const char *p = token + 5; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

static bool cache_get(const unsigned char hash[32], struct ltvd_key *out)
{
  struct cache_entry *e = &cache[(hash[0] | hash[1] << 8) % CACHE_SLOTS];
  bool hit;

  if (!atomic_load(&listening))
    return false;
  pthread_mutex_lock(&cache_lock);
  hit = e->used && memcmp(e->hash, hash, 32) == 0 &&
        e->generation == atomic_load(&generation) && e->expires > ltvd_monotonic();
  if (hit)
    *out = e->key;
  pthread_mutex_unlock(&cache_lock);
  return hit;
}

static void cache_put(const unsigned char hash[32], const struct ltvd_key *key,
                      unsigned long gen)
{
  struct cache_entry *e = &cache[(hash[0] | hash[1] << 8) % CACHE_SLOTS];

  pthread_mutex_lock(&cache_lock);
  memcpy(e->hash, hash, 32);
  e->key = *key;
  e->generation = gen;
  e->expires = ltvd_monotonic() + CACHE_TTL;
  e->used = true;
  pthread_mutex_unlock(&cache_lock);
}

enum ltvd_auth_result ltvd_auth_lookup(PGconn *c, const char *token, struct ltvd_key *out)
{
  unsigned char hash[32];
  char hex[65];

  if (!well_formed(token))
    return LTVD_AUTH_INVALID;
  ltvd_sha256(token, strlen(token), hash);
  if (cache_get(hash, out))
    return LTVD_AUTH_OK;
  if (c == NULL)
    return LTVD_AUTH_UNAVAILABLE;
  /* read the generation before the database: a NOTIFY racing the query makes the entry
   * stale rather than letting a revoked key live on */
  unsigned long gen = atomic_load(&generation);
  ltvd_hex(hash, 32, hex);
  PGresult *res = LTVD_DB_RUN(c, "api_key_lookup", hex);
  if (res == NULL)
    return LTVD_AUTH_UNAVAILABLE;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return LTVD_AUTH_INVALID;
  }
  out->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  snprintf(out->name, sizeof out->name, "%s", PQgetvalue(res, 0, 1));
  ltvd_scope_parse(PQgetvalue(res, 0, 2), &out->scope);
  PQclear(res);
  cache_put(hash, out, gen);
  return LTVD_AUTH_OK;
}

bool ltvd_auth_create_key(PGconn *c, const char *name, enum ltvd_scope scope,
                          char secret_out[70], int64_t *id_out)
{
  unsigned char raw[32], hash[32];
  char hex[65], ts[32];

  ltvd_random_bytes(raw, sizeof raw);
  strcpy(secret_out, "ltvd_");
  ltvd_hex(raw, sizeof raw, secret_out + 5);
  ltvd_sha256(secret_out, strlen(secret_out), hash);
  ltvd_hex(hash, 32, hex);
  char prefix[14];
  snprintf(prefix, sizeof prefix, "%.13s", secret_out);
  ltvd_clock_timestamp(ts);
  PGresult *res =
      LTVD_DB_RUN(c, "api_key_insert", name, ltvd_scope_name(scope), hex, prefix, ts);
  if (res == NULL)
    return false;
  *id_out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return true;
}

/* The listener: its own connection, LISTEN ltvd_keys, a generation bump per
 * notification and on every reconnect (anything may have changed meanwhile). */
static pthread_t listener;
static atomic_bool listener_stop;
static char *listener_url;

static void *listen_loop(void *arg)
{
  PGconn *c = NULL;
  char err[256];

  while (!atomic_load(&listener_stop)) {
    if (c == NULL) {
      c = ltvd_db_connect(listener_url, err, sizeof err);
      PGresult *res = c ? PQexec(c, "LISTEN ltvd_keys") : NULL;
      bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
      PQclear(res);
      if (!ok) {
        if (c)
          PQfinish(c);
        c = NULL;
        struct timespec pause = {0, 250000000L};
        nanosleep(&pause, NULL);
        continue;
      }
      atomic_fetch_add(&generation, 1);
      atomic_store(&listening, true);
    }
    struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
    poll(&pfd, 1, 200);
    if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) {
      atomic_store(&listening, false);
      atomic_fetch_add(&generation, 1);
      PQfinish(c);
      c = NULL;
      continue;
    }
    PGnotify *n;
    while ((n = PQnotifies(c)) != NULL) {
      atomic_fetch_add(&generation, 1);
      PQfreemem(n);
    }
  }
  atomic_store(&listening, false);
  if (c)
    PQfinish(c);
  return arg;
}

bool ltvd_auth_listener_start(const char *url)
{
  listener_url = strdup(url ? url : "");
  atomic_store(&listener_stop, false);
  return pthread_create(&listener, NULL, listen_loop, NULL) == 0;
}

void ltvd_auth_listener_stop(void)
{
  atomic_store(&listener_stop, true);
  pthread_join(listener, NULL);
  free(listener_url);
  listener_url = NULL;
}

const struct ltvd_stmt ltvd_db_key_stmts[] = {
    {"api_key_lookup",
     "SELECT id, name, scope FROM api_keys "
     "WHERE hash = decode($1, 'hex') AND revoked_at IS NULL"},
    {"api_key_insert",
     "INSERT INTO api_keys (name, scope, hash, prefix, created_at) "
     "VALUES ($1, $2, decode($3, 'hex'), $4, $5) RETURNING id"},
    {NULL, NULL},
};
