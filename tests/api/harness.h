/* The API test harness: a throwaway database per test program, the real ltvd binary
 * started on a free port, and a small libcurl client.  Every test talks to ltvd over
 * HTTP exactly as a user would; the database is only read (digests, row checks) or
 * poked to simulate operations (key revocation, killed connections).
 *
 * Memory: responses and strings made by harness_fmt() are kept on a list and freed by
 * harness_free_all(), which each test case runs as a checked teardown, so a test that
 * stops on a failed assertion leaks nothing valgrind would call "definitely lost". */
#ifndef LTVD_TESTS_API_HARNESS_H
#define LTVD_TESTS_API_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct harness_db harness_db;
typedef struct harness_server harness_server;

typedef struct harness_response {
  char *what; /* "METHOD path", for messages */
  long status;
  char *body; /* NUL-terminated copy; body_len excludes the NUL */
  size_t body_len;
  json_t *json;   /* parsed body, NULL when it is not JSON */
  char **headers; /* raw "Name: value" lines of the final response */
  size_t n_headers;
} harness_response;

/* A database, its three keys (read, write, admin) and a server on it. */
typedef struct harness_env {
  harness_db *db;
  harness_server *srv;
  char *key_read, *key_write, *key_admin;
} harness_env;

/* Process --------------------------------------------------------------------------- */

/* Exits 77 (skip) without LTVD_TEST_DATABASE_URL unless CI is set, then fails. */
void harness_init(void);
/* Runs the suite, then takes `shared` (may be NULL) down; the exit status for main(). */
int harness_run(Suite *s, harness_env *shared);
/* A test case with a timeout suited to the API tests and harness_free_all as teardown. */
TCase *harness_tcase(const char *name);
/* Records a failure found outside a test (e.g. in an unchecked teardown). */
void harness_fail_later(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool harness_under_wrapper(void);

/* Monotonic milliseconds, and a sleep that resumes after signals. */
long long harness_now_ms(void);
void harness_sleep_ms(int ms);

/* Memory ----------------------------------------------------------------------------- */

char *harness_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void harness_free_all(void);
/* n bytes of c, NUL-terminated, freed by harness_free_all. */
char *harness_repeat(char c, size_t n);
/* Hands p (or a JSON value) to harness_free_all; returns it. */
void *harness_own(void *p, void (*free_fn)(void *));
json_t *harness_own_json(json_t *j);
/* The compact JSON text of j (consumed), freed by harness_free_all. */
char *harness_dump(json_t *j);
/* s percent-encoded for a query string, freed by harness_free_all. */
char *harness_urlenc(const char *s);
/* "prefix-<pid>-<n>" with n counting up in this process: a name or key no other test
 * uses; freed by harness_free_all. */
const char *harness_tag(const char *prefix);

/* Database --------------------------------------------------------------------------- */

harness_db *harness_db_create(void);      /* fresh database, migrated */
harness_db *harness_db_create_bare(void); /* fresh database, not migrated */
/* Runs `ltvd args...` with db's URL; its stdout in *out (freed by harness_free_all);
 * returns the wait status, -1 when it ran longer than timeout_s (then it is killed). */
int harness_ltvd(harness_db *db, const char *const *args, char **out, int timeout_s);
void harness_db_drop(harness_db *db);
const char *harness_db_conninfo(const harness_db *db);
const char *harness_db_name(const harness_db *db);
/* Runs `ltvd key create`; returns the key (freed by harness_free_all unless owned). */
char *harness_key_create(harness_db *db, const char *scope, const char *name);
/* First column of the first row as text, NULL for SQL NULL or no row; asserts success. */
char *harness_sql_value(harness_db *db, const char *sql);
long long harness_sql_int(harness_db *db, const char *sql);
void harness_sql_exec(harness_db *db, const char *sql);
/* A connection of the test's own (the caller closes it with PQfinish). */
PGconn *harness_db_connect(const harness_db *db);
/* One md5 over every row of every table of the public schema but the analytics
 * worker's results and runs (which it rewrites on its own). */
char *harness_db_digest(harness_db *db);

/* Server ----------------------------------------------------------------------------- */

/* Starts `ltvd serve` on db with extra "NAME=value" variables (NULL-terminated, may be
 * NULL) and waits for /healthz. */
harness_server *harness_server_start(harness_db *db, const char *const *env);
/* The same with one more argument for serve (e.g. "--migrate"), may be NULL. */
harness_server *harness_server_start_args(harness_db *db, const char *const *env,
                                          const char *extra_arg);
/* SIGTERM, then waits up to 20 s; true when it exited with status 0.  Frees s. */
bool harness_server_stop(harness_server *s);
/* The same, as a test assertion. */
void harness_server_stop_ok(harness_server *s);
/* SIGKILL (no drain, no clean-up: a crash), then reaps it.  Frees s. */
void harness_server_kill(harness_server *s);
pid_t harness_server_pid(const harness_server *s);
int harness_server_port(const harness_server *s);
const char *harness_server_log(const harness_server *s);
bool harness_server_alive(harness_server *s);
/* Waits up to timeout_ms for the process to exit; returns its wait status or -1. */
int harness_server_wait(harness_server *s, int timeout_ms);

harness_env *harness_env_up(const char *const *server_env);
void harness_env_down(harness_env *e); /* failures are recorded with harness_fail_later */
const char *harness_env_key(const harness_env *e, const char *scope);

/* HTTP ------------------------------------------------------------------------------- */

/* body may be NULL; body_len (size_t)-1 means strlen(body).  headers: NULL-terminated
 * "Name: value" lines, may be NULL.  A body gets Content-Type: application/json unless
 * the headers name one. */
harness_response *harness_request(const harness_server *s, const char *method, const char *path,
                                  const char *const *headers, const char *body, size_t body_len);
/* With "Authorization: Bearer <key of scope>" (scope NULL: no key) added to headers. */
harness_response *harness_call(const harness_env *e, const char *scope, const char *method,
                               const char *path, const char *const *headers, const char *body);
harness_response *harness_call_n(const harness_env *e, const char *scope, const char *method,
                                 const char *path, const char *const *headers, const char *body,
                                 size_t body_len);
/* Sends two requests with the write key at once (from two threads released together):
 * the same method, path and header (may be NULL), bodies body_a and body_b. */
void harness_race(const harness_env *e, const char *method, const char *path, const char *header,
                  const char *body_a, const char *body_b, harness_response **ra,
                  harness_response **rb);
/* The same for two different requests (a to one route, b to another). */
void harness_race_two(const harness_env *e, const char *method_a, const char *path_a,
                      const char *body_a, const char *method_b, const char *path_b,
                      const char *body_b, const char *header, harness_response **ra,
                      harness_response **rb);
/* True when one of a and b has status x and the other status y. */
bool harness_one_each(const harness_response *a, const harness_response *b, long x, long y);
const char *harness_header(const harness_response *r, const char *name);
void harness_response_free(harness_response *r);
/* Prefixes r->what (used in messages) with label. */
void harness_response_label(harness_response *r, const char *label);
/* r->json's integer member (asserted), and string member (NULL when absent or not a
 * string). */
long long harness_json_int(const harness_response *r, const char *member);
const char *harness_json_str(const harness_response *r, const char *member);

/* Assertions ------------------------------------------------------------------------- */

#define harness_assert_status(r, expected)                                                         \
  harness_assert_status_at(__FILE__, __LINE__, (r), (expected))
void harness_assert_status_at(const char *file, int line, const harness_response *r, long expected);

/* Problem body of the given status; when field is not NULL, errors names it (at index
 * `index` when index >= 0). */
#define harness_assert_problem(r, status, field)                                                   \
  harness_assert_problem_at(__FILE__, __LINE__, (r), (status), (field), -1)
#define harness_assert_problem_index(r, status, field, index)                                      \
  harness_assert_problem_at(__FILE__, __LINE__, (r), (status), (field), (index))
void harness_assert_problem_at(const char *file, int line, const harness_response *r, long status,
                               const char *field, long index);
bool harness_problem_names(const harness_response *r, const char *field, long index);
/* errors names field, or detail mentions it (for 400s about query parameters). */
bool harness_problem_mentions(const harness_response *r, const char *field);

/* Asserts that the errors of r's problem come in the order of their indexes. */
void harness_assert_errors_by_index(const harness_response *r);

/* Asserts a timestamp in the form YYYY-MM-DDTHH:MM:SS[.ffffff]Z. */
void harness_assert_timestamp(const char *what, const char *ts);

#endif
