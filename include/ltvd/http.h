/* The HTTP layer's face to handlers: the routing table's entry, the request a handler
 * reads, and the calls that build its reply. Every error reply is an RFC 9457 problem
 * built by ltvd_problem*, the one place that knows the problem format. */
#ifndef LTVD_HTTP_H
#define LTVD_HTTP_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ltvd/config.h"

enum ltvd_scope { LTVD_SCOPE_NONE = 0, LTVD_SCOPE_READ, LTVD_SCOPE_WRITE, LTVD_SCOPE_ADMIN };

/* How the server runs a handler against the database. */
enum ltvd_tx {
  LTVD_TX_NONE, /* no transaction: statements autocommit (reads) */
  LTVD_TX_DATA,  /* one transaction; a 2xx commits it with a data version bump */
  LTVD_TX_PLAIN, /* one transaction committed on 2xx, no data version (API keys) */
};

struct ltvd_req;
typedef int (*ltvd_handler)(struct ltvd_req *r);

struct ltvd_route {
  const char *method;
  const char *path;    /* "/v1/customers/{id}": a {name} segment matches one segment */
  ltvd_handler handler;
  enum ltvd_scope scope;
  enum ltvd_tx tx;
  const char *query;   /* allowed query parameters, comma-separated; NULL: none */
  bool json_body;      /* the body must be a JSON object, parsed into r->json */
  size_t max_body;     /* 0: 1 MiB */
  bool no_db;          /* never touches the database (liveness must not wait on it) */
  ltvd_handler verify; /* scope NONE routes that prove the caller otherwise (a hook's
                          signature over the body): runs with the body in hand, before
                          it is parsed; 0 to go on, else the status it replied */
};

extern const struct ltvd_route ltvd_routes[];
extern const size_t ltvd_routes_count;

#define LTVD_MAX_PATH_PARAMS 4
#define LTVD_MAX_QUERY 24
#define LTVD_MAX_HEADERS 16

struct ltvd_key {
  int64_t id;
  char name[128];
  enum ltvd_scope scope;
};

struct ltvd_query_arg {
  char *name;
  char *value;
};

struct ltvd_req {
  /* the request */
  const struct ltvd_route *route;
  const struct ltvd_config *cfg;
  void *mhd;           /* struct MHD_Connection * */
  const char *method;
  char *path;          /* raw, before percent-decoding */
  char *params[LTVD_MAX_PATH_PARAMS]; /* decoded {name} segments, in order */
  struct ltvd_query_arg query[LTVD_MAX_QUERY];
  int n_query;
  char *body;
  size_t body_len;
  json_t *json;        /* the parsed body when the route takes JSON */
  struct ltvd_key key;
  PGconn *db;
  char request_id[129];

  /* the reply */
  int status;
  char *reply;
  size_t reply_len;
  const char *reply_type;
  char *header_names[LTVD_MAX_HEADERS];
  char *header_values[LTVD_MAX_HEADERS];
  int n_headers;
};

/* Looks a request header up (case-insensitive); NULL when absent. */
const char *ltvd_req_header(struct ltvd_req *r, const char *name);

/* A decoded query parameter; NULL when absent. */
const char *ltvd_req_query(struct ltvd_req *r, const char *name);

/* The positive integer id in path parameter i; returns 0, or 400 after replying. */
int ltvd_req_id(struct ltvd_req *r, int i, int64_t *id);

/* Replies with body (stolen) as JSON and returns status. */
int ltvd_reply_json_new(struct ltvd_req *r, int status, json_t *body);

/* Replies with one resource: body (stolen) as JSON with ETag: "<version>". */
int ltvd_reply_resource_new(struct ltvd_req *r, int status, int64_t version, json_t *body);

/* Replies with raw bytes (copied) of the given type and returns status. */
int ltvd_reply_bytes(struct ltvd_req *r, int status, const char *type, const char *data,
                     size_t len);

/* 204 No Content. */
int ltvd_reply_empty(struct ltvd_req *r, int status);

/* Adds a reply header (replacing one of the same name). */
void ltvd_reply_header(struct ltvd_req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Drops the reply built so far (a transaction is being run again). */
void ltvd_reply_reset(struct ltvd_req *r);

/* A problem reply with no field errors; returns status. */
int ltvd_problem(struct ltvd_req *r, int status, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A problem reply with field errors (stolen; an array of ltvd_field_error objects). */
int ltvd_problem_errors_new(struct ltvd_req *r, int status, const char *detail,
                            json_t *errors);

/* A problem with a single field error whose message is the detail. */
int ltvd_problem_field(struct ltvd_req *r, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* One {"field","message"[,"index"]} entry; index < 0 leaves it out. */
json_t *ltvd_field_error(const char *field, long index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The reply for the last failed database statement: 503 when the database is away,
 * 409 for a unique violation, 422 for a reference or value the schema refuses, else
 * 500 (logged, never shown). */
int ltvd_reply_db_error(struct ltvd_req *r);

/* The ETag of a resource version, and the If-Match precondition: true when the request
 * may go on against current_version; otherwise a 412 reply was made. */
bool ltvd_req_if_match(struct ltvd_req *r, int64_t current_version);
/* The same for the "version" member of the body r->json (when given): true when it is
 * current_version; otherwise a 412 reply was made. */
bool ltvd_req_version_matches(struct ltvd_req *r, int64_t current_version);

/* Starts the server; returns false with a message when it cannot listen. */
bool ltvd_http_start(const struct ltvd_config *cfg, char *err, size_t errlen);
/* Stops accepting, waits for in-flight requests (bounded), then stops the server. */
void ltvd_http_stop(void);

/* Route matching, exposed for the unit tests. Fills params (pointers into a copy the
 * caller owns) and returns the route, or NULL: *path_known tells 404 from 405, and
 * allow receives the path's methods ("GET, POST"). */
const struct ltvd_route *ltvd_route_match(const char *method, char *path,
                                          char *params[LTVD_MAX_PATH_PARAMS],
                                          bool *path_known, char *allow, size_t allow_len);

#endif
