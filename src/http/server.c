/* The HTTP server: libmicrohttpd with a thread pool (one database connection per pool
 * thread, see src/db/conn.c) and the request pipeline of SPEC section 2. Checks run in
 * the order route, key, scope, rate, size, syntax; handlers then do content,
 * precondition and conflict checks. Write handlers run inside one transaction that a
 * 2xx commits together with the data version bump and the idempotency record.
 *
 * libmicrohttpd calls the access handler several times per request: the first call only
 * records the request (replying there would cost keep-alive, see PITFALLS.md), the
 * middle ones deliver the body, the last one (no upload data left) answers. */
#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ltvd/auth.h"
#include "ltvd/db.h"
#include "ltvd/http.h"
#include "ltvd/idempotency.h"
#include "ltvd/log.h"
#include "ltvd/metrics.h"
#include "ltvd/util.h"

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DRAIN_SECONDS 25.0

struct request {
  struct ltvd_req r; /* first, so a struct ltvd_req * is a struct request * */
  double started;
  char *path_copy;   /* split by the router; params point into it */
  bool path_known;
  char allow[128];
  size_t body_cap;
  bool too_big;
};

static struct MHD_Daemon *daemon_handle;
static const struct ltvd_config *config;
static atomic_int in_flight;

const char *ltvd_req_header(struct ltvd_req *r, const char *name)
{
  return MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, name);
}

const char *ltvd_req_query(struct ltvd_req *r, const char *name)
{
  for (int i = 0; i < r->n_query; i++)
    if (strcmp(r->query[i].name, name) == 0)
      return r->query[i].value;
  return NULL;
}

int ltvd_req_id(struct ltvd_req *r, int i, int64_t *id)
{
  const char *s = r->params[i];

  if (s == NULL || s[0] < '1' || s[0] > '9' || !ltvd_parse_int64(s, 1, LTVD_MONEY_MAX, id))
    return ltvd_problem(r, 400, "the id in the path must be a positive integer");
  return 0;
}

static bool valid_request_id(const char *id)
{
  size_t n = id ? strlen(id) : 0;

  if (n == 0 || n > 128)
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
          (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
      return false;
  return true;
}

/* Request ids need to be unique, not secret: a per-thread xorshift generator seeded once
 * from the kernel saves a system call per request. */
static void new_request_id(char out[33])
{
  static _Thread_local uint64_t state[2];
  unsigned char raw[16];

  if (state[0] == 0 && state[1] == 0) {
    ltvd_random_bytes(state, sizeof state);
    state[0] |= 1;
  }
  for (int half = 0; half < 2; half++) {
    uint64_t s1 = state[0];
    const uint64_t s0 = state[1];
    state[0] = s0;
    s1 ^= s1 << 23;
    state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    uint64_t v = state[1] + s0;
    memcpy(raw + 8 * half, &v, 8);
  }
  ltvd_hex(raw, sizeof raw, out);
}

static struct request *request_new(struct MHD_Connection *c, const char *url,
                                   const char *method)
{
  struct request *q = calloc(1, sizeof *q);

  if (q == NULL)
    abort();
  q->started = ltvd_monotonic();
  q->r.mhd = c;
  q->r.cfg = config;
  q->r.method = method;
  q->r.path = strdup(url);
  q->path_copy = strdup(url);
  const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
  if (valid_request_id(id)) {
    strcpy(q->r.request_id, id);
  } else {
    new_request_id(q->r.request_id);
  }
  q->r.route = ltvd_route_match(strcmp(method, "OPTIONS") == 0 ? "GET" : method,
                                q->path_copy, q->r.params, &q->path_known, q->allow,
                                sizeof q->allow);
  q->body_cap = q->r.route && q->r.route->max_body ? q->r.route->max_body : DEFAULT_MAX_BODY;
  return q;
}

static void request_free(struct request *q)
{
  ltvd_reply_reset(&q->r);
  for (int i = 0; i < q->r.n_query; i++) {
    free(q->r.query[i].name);
    free(q->r.query[i].value);
  }
  json_decref(q->r.json);
  free(q->r.body);
  free(q->r.path);
  free(q->path_copy);
  free(q);
}

static void append_body(struct request *q, const char *data, size_t len)
{
  if (q->too_big || q->r.body_len + len > q->body_cap) {
    q->too_big = true; /* keep reading and dropping: the reply waits for the end */
    return;
  }
  char *grown = realloc(q->r.body, q->r.body_len + len + 1);
  if (grown == NULL)
    abort();
  memcpy(grown + q->r.body_len, data, len);
  q->r.body = grown;
  q->r.body_len += len;
  q->r.body[q->r.body_len] = '\0';
}

/* --- syntax: path parameters, query parameters, body --- */

static bool valid_text(const char *s) { return ltvd_utf8_length(s, strlen(s)) >= 0; }

static int decode_params(struct ltvd_req *r)
{
  for (int i = 0; i < LTVD_MAX_PATH_PARAMS && r->params[i]; i++)
    if (!ltvd_percent_decode(r->params[i], false) || !valid_text(r->params[i]) ||
        r->params[i][0] == '\0')
      return ltvd_problem(r, 400, "the path holds an invalid segment");
  return 0;
}

struct query_ctx {
  struct ltvd_req *r;
  int status;
};

static bool allowed_param(const char *list, const char *name)
{
  size_t n = strlen(name);

  for (const char *p = list; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t) (comma - p) : strlen(p);
    if (len == n && memcmp(p, name, n) == 0)
      return true;
    p = comma ? comma + 1 : NULL;
  }
  return false;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
  struct query_ctx *ctx = cls;
  struct ltvd_req *r = ctx->r;

  if (ctx->status)
    return MHD_NO;
  char *name = strdup(key), *val = strdup(value ? value : "");
  if (!ltvd_percent_decode(name, true) || !ltvd_percent_decode(val, true) ||
      !valid_text(name) || !valid_text(val)) {
    ctx->status = ltvd_problem(r, 400, "the query string is not valid percent-encoded UTF-8");
  } else if (!allowed_param(r->route->query, name)) {
    ctx->status = ltvd_problem_field(r, 400, name, "is not a query parameter of this route");
  } else if (ltvd_req_query(r, name)) {
    ctx->status = ltvd_problem_field(r, 400, name, "is given more than once");
  } else if (r->n_query == LTVD_MAX_QUERY) {
    ctx->status = ltvd_problem(r, 400, "too many query parameters");
  } else {
    r->query[r->n_query].name = name;
    r->query[r->n_query++].value = val;
    return MHD_YES;
  }
  free(name);
  free(val);
  return MHD_NO;
}

static int parse_query(struct ltvd_req *r)
{
  struct query_ctx ctx = {r, 0};

  MHD_get_connection_values(r->mhd, MHD_GET_ARGUMENT_KIND, collect_arg, &ctx);
  return ctx.status;
}

static int parse_body(struct ltvd_req *r)
{
  json_error_t err;

  if (r->body_len == 0)
    return ltvd_problem(r, 400, "a JSON object body is required");
  r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
  if (r->json == NULL)
    return ltvd_problem(r, 400, "the body is not valid JSON: %s at position %d", err.text,
                        err.position);
  if (!json_is_object(r->json))
    return ltvd_problem(r, 400, "the body must be a JSON object");
  return 0;
}

/* --- authentication --- */

static int authenticate(struct ltvd_req *r)
{
  const char *h = ltvd_req_header(r, "Authorization");

  if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
    ltvd_reply_header(r, "WWW-Authenticate", "Bearer");
    return ltvd_problem(r, 401, "an API key is required: Authorization: Bearer <key>");
  }
  const char *token = h + 7;
  while (*token == ' ')
    token++;
  switch (ltvd_auth_lookup(r->db, token, &r->key)) {
  case LTVD_AUTH_OK:
    return 0;
  case LTVD_AUTH_UNAVAILABLE:
    return ltvd_problem(r, 503, "the database is unavailable; retry shortly");
  default:
    ltvd_reply_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return ltvd_problem(r, 401, "the API key is unknown or revoked");
  }
}

/* --- running the handler --- */

struct tx_ctx {
  struct ltvd_req *r;
  struct ltvd_idem *idem;
  bool handler_ran;
  bool idem_taken;
};

static enum ltvd_tx_outcome run_in_tx(PGconn *c, void *p)
{
  struct tx_ctx *ctx = p;
  struct ltvd_req *r = ctx->r;
  int64_t version;

  ltvd_reply_reset(r);
  ctx->handler_ran = true;
  int status = r->route->handler(r);
  if (status >= 300)
    return LTVD_TX_ROLLBACK;
  if (r->route->tx == LTVD_TX_DATA) {
    if (!ltvd_db_bump_data_version(c, &version))
      return LTVD_TX_ROLLBACK;
    ltvd_reply_header(r, "X-Ltvd-Data-Version", "%lld", (long long) version);
  }
  if (ctx->idem->active) {
    enum ltvd_idem_store st = ltvd_idem_store(r, ctx->idem);
    if (st != LTVD_IDEM_STORED) {
      ctx->idem_taken = st == LTVD_IDEM_TAKEN;
      return LTVD_TX_ROLLBACK;
    }
  }
  return LTVD_TX_COMMIT;
}

static int run_write(struct ltvd_req *r)
{
  struct ltvd_idem idem;
  int status = ltvd_idem_begin(r, &idem);

  if (status)
    return status;
  for (int attempt = 0;; attempt++) {
    struct tx_ctx ctx = {r, &idem, false, false};
    enum ltvd_db_error err = ltvd_db_transaction(r->db, run_in_tx, &ctx);
    if (ctx.idem_taken) {
      ltvd_reply_reset(r);
      return ltvd_idem_begin(r, &idem) ? r->status : ltvd_problem(r, 409, "retry");
    }
    /* a socket that died while idle fails at BEGIN: nothing ran, so run again */
    if (err == LTVD_DB_CONNECTION && !ctx.handler_ran && attempt == 0 &&
        !ltvd_db_thread_conn_fresh()) {
      ltvd_db_thread_conn_reset();
      if ((r->db = ltvd_db_thread_conn()) == NULL)
        return ltvd_problem(r, 503, "the database is unavailable; retry shortly");
      continue;
    }
    if (err != LTVD_DB_OK && (!ctx.handler_ran || r->status < 300)) {
      ltvd_reply_reset(r);
      status = ltvd_reply_db_error(r);
    } else {
      status = r->status;
    }
    if (err == LTVD_DB_CONNECTION)
      ltvd_db_thread_conn_reset();
    break;
  }
  if (idem.active && status >= 400 && status < 500 && r->db)
    ltvd_idem_store(r, &idem); /* autocommit: the change itself was rolled back */
  return status;
}

/* Runs a handler that only reads (or a verify step), once more on a fresh connection
 * when a stale socket failed it. */
static int run_read(struct ltvd_req *r, ltvd_handler handler)
{
  int status = handler(r);

  if (status == 503 && ltvd_db_last_error() == LTVD_DB_CONNECTION) {
    bool was_fresh = ltvd_db_thread_conn_fresh();
    ltvd_db_thread_conn_reset();
    if (!was_fresh && (r->db = ltvd_db_thread_conn()) != NULL) {
      ltvd_reply_reset(r);
      status = handler(r); /* reads are safe to repeat */
    }
  }
  return status;
}

/* --- CORS --- */

static const char *allowed_origin(struct ltvd_req *r)
{
  const char *origin = ltvd_req_header(r, "Origin");

  if (origin == NULL)
    return NULL;
  if (config->cors_any)
    return origin;
  for (int i = 0; i < config->n_cors_origins; i++)
    if (strcmp(config->cors_origins[i], origin) == 0)
      return origin;
  return NULL;
}

static int preflight(struct request *q)
{
  struct ltvd_req *r = &q->r;

  if (!q->path_known)
    return ltvd_problem(r, 404, "no such resource");
  ltvd_reply_header(r, "Allow", "%s, OPTIONS", q->allow);
  if (allowed_origin(r)) {
    ltvd_reply_header(r, "Access-Control-Allow-Methods", "%s", q->allow);
    ltvd_reply_header(r, "Access-Control-Allow-Headers",
                      "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id");
    ltvd_reply_header(r, "Access-Control-Max-Age", "600");
  }
  return ltvd_reply_empty(r, 204);
}

/* --- the pipeline --- */

static int dispatch(struct request *q)
{
  struct ltvd_req *r = &q->r;
  const struct ltvd_route *rt = r->route;
  int status;

  if (strcmp(r->method, "OPTIONS") == 0)
    return preflight(q);
  if (!q->path_known)
    return ltvd_problem(r, 404, "no such resource");
  if (rt == NULL) {
    ltvd_reply_header(r, "Allow", "%s", q->allow);
    return ltvd_problem(r, 405, "%s is not allowed here; allowed: %s", r->method, q->allow);
  }
  ltvd_db_request_begin();
  r->db = rt->no_db ? NULL : ltvd_db_thread_conn();
  if (rt->scope != LTVD_SCOPE_NONE) {
    if ((status = authenticate(r)))
      return status;
    if (r->key.scope < rt->scope)
      return ltvd_problem(r, 403, "this needs a key with scope %s; the key has %s",
                          ltvd_scope_name(rt->scope), ltvd_scope_name(r->key.scope));
    if (!ltvd_rate_allow(r->key.id, config->rate_limit)) {
      ltvd_reply_header(r, "Retry-After", "1");
      return ltvd_problem(r, 429, "the rate limit of %g requests per second is exceeded",
                          config->rate_limit);
    }
  }
  if (q->too_big)
    return ltvd_problem(r, 413, "the body exceeds %zu bytes", q->body_cap);
  if ((status = decode_params(r)) || (status = parse_query(r)))
    return status;
  if (rt->verify) { /* a signature covers the body: checked once its size is known */
    if (r->db == NULL)
      return ltvd_problem(r, 503, "the database is unavailable; retry shortly");
    if ((status = run_read(r, rt->verify)))
      return status;
  }
  if (rt->json_body && (status = parse_body(r)))
    return status;
  if (r->db == NULL && rt->scope != LTVD_SCOPE_NONE)
    return ltvd_problem(r, 503, "the database is unavailable; retry shortly");
  return rt->tx == LTVD_TX_NONE ? run_read(r, rt->handler) : run_write(r);
}

static void log_request(struct request *q)
{
  const struct ltvd_req *r = &q->r;
  double ms = (ltvd_monotonic() - q->started) * 1000;

  ltvd_metrics_observe(r->route ? (int) (r->route - ltvd_routes) : -1, r->status, ms / 1000);
  if (!ltvd_log_enabled(LTVD_LOG_INFO))
    return;
  json_t *line = json_object();

  json_object_set_new(line, "time", json_null());
  json_object_set_new(line, "level", json_string("info"));
  json_object_set_new(line, "request_id", json_string(r->request_id));
  json_object_set_new(line, "method", json_string(r->method));
  json_object_set_new(line, "route", r->route ? json_string(r->route->path) : json_null());
  json_object_set_new(line, "status", json_integer(r->status));
  json_object_set_new(line, "duration_ms", json_real(round(ms * 1000) / 1000));
  json_object_set_new(line, "key", r->key.id ? json_string(r->key.name) : json_null());
  ltvd_log_json_new(line);
}

static enum MHD_Result respond(struct MHD_Connection *c, struct request *q)
{
  struct ltvd_req *r = &q->r;
  int status = dispatch(q);

  if (status == 0 || r->status == 0)
    status = ltvd_problem(r, 500, "the handler produced no reply");
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(r->reply_len, r->reply, MHD_RESPMEM_MUST_FREE);
  r->reply = NULL;
  r->reply_len = 0;
  if (r->reply_type)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->reply_type);
  for (int i = 0; i < r->n_headers; i++)
    MHD_add_response_header(resp, r->header_names[i], r->header_values[i]);
  MHD_add_response_header(resp, "X-Request-Id", r->request_id);
  const char *origin = allowed_origin(r);
  if (origin) {
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(resp, "Vary", "Origin");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "ETag, Location, Retry-After, X-Request-Id, X-Ltvd-Data-Version");
  }
  enum MHD_Result ret = MHD_queue_response(c, (unsigned int) r->status, resp);
  MHD_destroy_response(resp);
  log_request(q);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
  struct request *q = *req_cls;

  if (q == NULL) {
    *req_cls = request_new(c, url, method);
    atomic_fetch_add(&in_flight, 1);
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    append_body(q, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  return respond(c, q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
  struct request *q = *req_cls;

  if (q == NULL)
    return;
  request_free(q);
  *req_cls = NULL;
  atomic_fetch_sub(&in_flight, 1);
}

/* Keeps the URL as sent: the router splits on '/' first and decodes each segment (so
 * an external id may hold "%2F"), and query values are decoded as they are read. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) { return strlen(s); }

bool ltvd_http_start(const struct ltvd_config *cfg, char *err, size_t errlen)
{
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(cfg->listen_port)};

  config = cfg;
  if (inet_pton(AF_INET, strcmp(cfg->listen_host, "localhost") == 0 ? "127.0.0.1"
                                                                     : cfg->listen_host,
                &addr.sin_addr) != 1) {
    snprintf(err, errlen, "invalid listen host \"%s\": expected an IPv4 address",
             cfg->listen_host);
    return false;
  }
  daemon_handle = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL, NULL,
      on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) cfg->threads,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned int) 1000, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int) 1, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_END);
  if (daemon_handle == NULL) {
    snprintf(err, errlen, "cannot listen on %s:%d", cfg->listen_host, cfg->listen_port);
    return false;
  }
  return true;
}

void ltvd_http_stop(void)
{
  if (daemon_handle == NULL)
    return;
  MHD_socket fd = MHD_quiesce_daemon(daemon_handle);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
  double deadline = ltvd_monotonic() + DRAIN_SECONDS;
  while (atomic_load(&in_flight) > 0 && ltvd_monotonic() < deadline) {
    struct timespec pause = {0, 10000000L};
    nanosleep(&pause, NULL);
  }
  MHD_stop_daemon(daemon_handle);
  daemon_handle = NULL;
}
