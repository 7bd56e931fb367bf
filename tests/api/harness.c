/* See harness.h.  Failures inside a test use Check's assertions; failures while the
 * shared environment is set up or taken down (in main, outside any test) print the
 * reason and make the program fail. */
#include "harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static PGconn *connect_or_die(const char *conninfo);

struct harness_db {
  char *name;
  char *conninfo;
  PGconn *conn; /* the harness's own, opened by process conn_pid */
  pid_t conn_pid;
  PGconn *inherited; /* a parent's connection, never used after fork */
};

struct harness_server {
  pid_t pid;
  int port;
  char *log_path;
  bool reaped;
  int wstatus;
};

static const char *admin_url;
static const char *ltvd_bin;
static bool in_test;
static int later_failures;
static unsigned db_counter, log_counter;
static pid_t root_pid; /* the test program's; every database name carries it */

/* Failing ----------------------------------------------------------------------------- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "harness: %s\n", msg);
  fflush(stderr);
  if (in_test)
    ck_abort_msg("%s", msg);
  exit(1);
}

void harness_fail_later(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("harness: FAILED: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  later_failures++;
}

/* Memory ------------------------------------------------------------------------------ */

struct owned {
  void *p;
  void (*free_fn)(void *);
};
static struct owned *owned;
static size_t n_owned, cap_owned;
static pthread_mutex_t owned_lock = PTHREAD_MUTEX_INITIALIZER;

static void *own(void *p, void (*free_fn)(void *))
{
  pthread_mutex_lock(&owned_lock);
  if (n_owned == cap_owned) {
    cap_owned = cap_owned ? 2 * cap_owned : 64;
    owned = realloc(owned, cap_owned * sizeof *owned);
    if (!owned)
      abort();
  }
  owned[n_owned++] = (struct owned){p, free_fn};
  pthread_mutex_unlock(&owned_lock);
  return p;
}

static void disown(void *p)
{
  pthread_mutex_lock(&owned_lock);
  for (size_t i = n_owned; i-- > 0;) {
    if (owned[i].p == p) {
      owned[i] = owned[--n_owned];
      break;
    }
  }
  pthread_mutex_unlock(&owned_lock);
}

void harness_free_all(void)
{
  pthread_mutex_lock(&owned_lock);
  struct owned *list = owned;
  size_t n = n_owned;
  owned = NULL;
  n_owned = cap_owned = 0;
  pthread_mutex_unlock(&owned_lock);
  for (size_t i = 0; i < n; i++)
    list[i].free_fn(list[i].p);
  free(list);
}

static char *xvasprintf(const char *fmt, va_list ap)
{
  char *s;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  return s;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = xvasprintf(fmt, ap);
  va_end(ap);
  return s;
}

static char *xstrdup(const char *s)
{
  char *d = strdup(s);
  if (!d)
    abort();
  return d;
}

void *harness_own(void *p, void (*free_fn)(void *))
{
  return own(p, free_fn);
}

static void json_free(void *p)
{
  json_decref(p);
}

json_t *harness_own_json(json_t *j)
{
  return j ? own(j, json_free) : NULL;
}

char *harness_dump(json_t *j)
{
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(j);
  if (!s)
    abort();
  return own(s, free);
}

char *harness_fmt(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = xvasprintf(fmt, ap);
  va_end(ap);
  return own(s, free);
}

char *harness_repeat(char c, size_t n)
{
  char *s = malloc(n + 1);
  if (!s)
    abort();
  memset(s, c, n);
  s[n] = '\0';
  return own(s, free);
}

const char *harness_tag(const char *prefix)
{
  static int counter;

  return harness_fmt("%s-%d-%d", prefix, (int)getpid(), ++counter);
}

char *harness_urlenc(const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  char *out = malloc(3 * strlen(s) + 1), *o = out;
  if (!out)
    abort();
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (isalnum(*p) || strchr("-._~", *p)) {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  *o = '\0';
  return own(out, free);
}

/* Process ----------------------------------------------------------------------------- */

void harness_init(void)
{
  signal(SIGPIPE, SIG_IGN);
  root_pid = getpid();
  admin_url = getenv("LTVD_TEST_DATABASE_URL");
  if (!admin_url || !*admin_url) {
    const char *ci = getenv("CI");
    if (ci && *ci) {
      fprintf(stderr, "LTVD_TEST_DATABASE_URL is not set, and CI is: failing\n");
      exit(1);
    }
    fprintf(stderr, "LTVD_TEST_DATABASE_URL is not set: skipping\n");
    exit(77);
  }
  ltvd_bin = getenv("LTVD_BIN");
  if (!ltvd_bin || !*ltvd_bin) {
    fprintf(stderr, "LTVD_BIN is not set (meson sets it)\n");
    exit(1);
  }
  if (access(ltvd_bin, X_OK) != 0) {
    fprintf(stderr, "LTVD_BIN %s is not executable: %s\n", ltvd_bin, strerror(errno));
    exit(1);
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "curl_global_init failed\n");
    exit(1);
  }
}

bool harness_under_wrapper(void)
{
  const char *w = getenv("LTVD_TEST_WRAPPER");
  return w && *w;
}

static void test_begin(void)
{
  in_test = true;
}

static void test_end(void)
{
  harness_free_all();
  in_test = false;
}

TCase *harness_tcase(const char *name)
{
  TCase *tc = tcase_create(name);
  tcase_set_timeout(tc, harness_under_wrapper() ? 900 : 120);
  tcase_add_checked_fixture(tc, test_begin, test_end);
  return tc;
}

/* Drops the databases of tests that stopped before they could drop their own. */
static void drop_leftovers(void)
{
  PGconn *c = connect_or_die(admin_url);
  char *sql = xasprintf("SELECT quote_ident(datname) FROM pg_database "
                        "WHERE datname LIKE 'ltvd\\_api\\_%ld\\_%%'",
                        (long)root_pid);
  PGresult *r = PQexec(c, sql);
  for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
    char *drop = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", PQgetvalue(r, i, 0));
    PQclear(PQexec(c, drop));
    free(drop);
  }
  PQclear(r);
  PQfinish(c);
  free(sql);
}

int harness_run(Suite *s, harness_env *shared)
{
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  if (shared)
    harness_env_down(shared);
  drop_leftovers();
  curl_global_cleanup();
  return failed == 0 && later_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Child processes --------------------------------------------------------------------- */

/* environ without LTVD_* variables, plus LTVD_DATABASE_URL and extra. */
static char **child_env(const harness_db *db, const char *const *extra)
{
  size_t n = 0, n_extra = 0;
  while (environ[n])
    n++;
  while (extra && extra[n_extra])
    n_extra++;
  char **env = calloc(n + n_extra + 2, sizeof *env);
  size_t k = 0;
  if (!env)
    abort();
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "LTVD_", 5) != 0)
      env[k++] = xstrdup(environ[i]);
  if (db)
    env[k++] = xasprintf("LTVD_DATABASE_URL=%s", db->conninfo);
  for (size_t i = 0; i < n_extra; i++)
    env[k++] = xstrdup(extra[i]);
  env[k] = NULL;
  return env;
}

static void free_strv(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

long long harness_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void harness_sleep_ms(int ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* Runs argv with db's URL; returns its stdout (malloc'd) and sets *status (wait status,
 * or -1 on timeout). */
static char *run_capture(harness_db *db, char *const argv[], int timeout_s, int *status)
{
  int fds[2];
  if (pipe(fds) != 0)
    die("pipe: %s", strerror(errno));
  char **env = child_env(db, NULL);
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execve(argv[0], argv, env);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  free_strv(env);
  close(fds[1]);
  size_t len = 0, cap = 4096;
  char *out = malloc(cap);
  long long deadline = harness_now_ms() + timeout_s * 1000LL;
  for (;;) {
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int left = (int)(deadline - harness_now_ms());
    if (left <= 0 || poll(&pfd, 1, left) <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    if (len + 1024 > cap)
      out = realloc(out, cap *= 2);
    ssize_t got = read(fds[0], out + len, cap - len - 1);
    if (got <= 0)
      break;
    len += (size_t)got;
  }
  close(fds[0]);
  out[len] = '\0';
  int ws;
  waitpid(pid, &ws, 0);
  *status = harness_now_ms() >= deadline ? -1 : ws;
  return out;
}

/* Database ---------------------------------------------------------------------------- */

static PGconn *connect_or_die(const char *conninfo)
{
  PGconn *c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    char *err = xstrdup(PQerrorMessage(c));
    PQfinish(c);
    die("cannot connect to %s: %s", conninfo, err);
  }
  PQsetNoticeProcessor(c, NULL, NULL);
  return c;
}

static void quote_value(FILE *f, const char *v)
{
  fputc('\'', f);
  for (; *v; v++) {
    if (*v == '\'' || *v == '\\')
      fputc('\\', f);
    fputc(*v, f);
  }
  fputc('\'', f);
}

/* The admin conninfo with its dbname replaced (or appended). */
static char *conninfo_with_db(const char *conninfo, const char *dbname)
{
  char *err = NULL;
  PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
  if (!opts)
    die("LTVD_TEST_DATABASE_URL does not parse: %s", err ? err : "?");
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  for (PQconninfoOption *o = opts; o->keyword; o++) {
    if (!o->val || strcmp(o->keyword, "dbname") == 0)
      continue;
    fprintf(f, "%s=", o->keyword);
    quote_value(f, o->val);
    fputc(' ', f);
  }
  fputs("dbname=", f);
  quote_value(f, dbname);
  fclose(f);
  PQconninfoFree(opts);
  return out;
}

static void admin_exec(const char *sql)
{
  PGconn *c = connect_or_die(admin_url);
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    char *err = xstrdup(PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    die("%s: %s", sql, err);
  }
  PQclear(r);
  PQfinish(c);
}

harness_db *harness_db_create_bare(void)
{
  harness_db *db = calloc(1, sizeof *db);
  db->name = xasprintf("ltvd_api_%ld_%ld_%u", (long)root_pid, (long)getpid(), ++db_counter);
  char *sql = xasprintf("CREATE DATABASE \"%s\"", db->name);
  admin_exec(sql);
  free(sql);
  db->conninfo = conninfo_with_db(admin_url, db->name);
  return db;
}

int harness_ltvd(harness_db *db, const char *const *args, char **out, int timeout_s)
{
  size_t n = 0;
  while (args[n])
    n++;
  char **argv = calloc(n + 2, sizeof *argv);
  argv[0] = (char *)ltvd_bin;
  for (size_t i = 0; i < n; i++)
    argv[i + 1] = (char *)args[i];
  int status;
  char *text = run_capture(db, argv, timeout_s, &status);
  free(argv);
  *out = own(text, free);
  return status;
}

harness_db *harness_db_create(void)
{
  harness_db *db = harness_db_create_bare();

  char *argv[] = {(char *)ltvd_bin, "migrate", NULL};
  int status;
  char *out = run_capture(db, argv, 60, &status);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("`ltvd migrate` failed (wait status %d): %s", status, out);
  free(out);
  return db;
}

void harness_db_drop(harness_db *db)
{
  if (!db)
    return;
  if (db->conn && db->conn_pid == getpid())
    PQfinish(db->conn);
  char *sql = xasprintf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db->name);
  admin_exec(sql);
  free(sql);
  free(db->name);
  free(db->conninfo);
  free(db);
}

const char *harness_db_conninfo(const harness_db *db)
{
  return db->conninfo;
}

const char *harness_db_name(const harness_db *db)
{
  return db->name;
}

PGconn *harness_db_connect(const harness_db *db)
{
  return connect_or_die(db->conninfo);
}

static char *key_create(harness_db *db, const char *scope, const char *name)
{
  char *argv[] = {(char *)ltvd_bin, "key",    "create",     "--scope",
                  (char *)scope,    "--name", (char *)name, NULL};
  int status;
  char *out = run_capture(db, argv, 60, &status);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("`ltvd key create --scope %s --name %s` failed (wait status %d): %s", scope, name, status,
        out);
  /* the key is the last non-empty line */
  size_t n = strlen(out);
  while (n > 0 && isspace((unsigned char)out[n - 1]))
    out[--n] = '\0';
  char *line = strrchr(out, '\n');
  char *key = xstrdup(line ? line + 1 : out);
  free(out);
  if (!*key)
    die("`ltvd key create` printed nothing");
  return key;
}

char *harness_key_create(harness_db *db, const char *scope, const char *name)
{
  return own(key_create(db, scope, name), free);
}

/* The harness's connection to db, one per process (a forked test opens its own). */
static PGconn *db_conn(harness_db *db)
{
  if (db->conn && db->conn_pid != getpid()) {
    db->inherited = db->conn;
    db->conn = NULL;
  }
  if (db->conn && PQstatus(db->conn) != CONNECTION_OK) {
    PQfinish(db->conn);
    db->conn = NULL;
  }
  if (!db->conn) {
    db->conn = connect_or_die(db->conninfo);
    db->conn_pid = getpid();
  }
  return db->conn;
}

static PGresult *query(harness_db *db, const char *sql)
{
  PGconn *c = db_conn(db);
  PGresult *r = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    char *err = xstrdup(PQresultErrorMessage(r));
    PQclear(r);
    die("%s: %s", sql, err);
  }
  return r;
}

char *harness_sql_value(harness_db *db, const char *sql)
{
  PGresult *r = query(db, sql);
  char *v = NULL;
  if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
    v = own(xstrdup(PQgetvalue(r, 0, 0)), free);
  PQclear(r);
  return v;
}

long long harness_sql_int(harness_db *db, const char *sql)
{
  char *v = harness_sql_value(db, sql);
  if (!v)
    die("%s: returned NULL or no row", sql);
  return strtoll(v, NULL, 10);
}

void harness_sql_exec(harness_db *db, const char *sql)
{
  PQclear(query(db, sql));
}

char *harness_db_digest(harness_db *db)
{
  /* the analytics worker rewrites its results and run log on its own, at any time */
  PGresult *tables = query(db, "SELECT quote_ident(tablename) FROM pg_tables "
                               "WHERE schemaname = 'public' AND tablename NOT IN "
                               "('analytics_state', 'analytics_docs', 'analytics_series', "
                               "'customer_metrics', 'analytics_runs') ORDER BY tablename");
  char *sql = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&sql, &len);
  fputs("SELECT md5(concat_ws(E'\\n'", f);
  for (int i = 0; i < PQntuples(tables); i++) {
    const char *t = PQgetvalue(tables, i, 0);
    fprintf(f,
            ", '%s:' || (SELECT md5(coalesce(string_agg(t::text, E'\\n' "
            "ORDER BY t::text COLLATE \"C\"), '')) FROM %s t)",
            t, t);
  }
  fputs("))", f);
  fclose(f);
  PQclear(tables);
  char *digest = harness_sql_value(db, sql);
  free(sql);
  return digest;
}

/* Server ------------------------------------------------------------------------------ */

static int free_port(void)
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  socklen_t alen = sizeof a;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(s, (struct sockaddr *)&a, &alen) != 0)
    die("cannot find a free port: %s", strerror(errno));
  close(s);
  return ntohs(a.sin_port);
}

/* The words of LTVD_TEST_WRAPPER followed by rest (NULL-terminated). */
static char **command_line(char *const rest[])
{
  const char *w = getenv("LTVD_TEST_WRAPPER");
  char *words = xstrdup(w ? w : "");
  size_t n_rest = 0, k = 0;
  while (rest[n_rest])
    n_rest++;
  char **argv = calloc(strlen(words) / 2 + n_rest + 2, sizeof *argv);
  for (char *save = NULL, *tok = strtok_r(words, " \t", &save); tok;
       tok = strtok_r(NULL, " \t", &save))
    argv[k++] = xstrdup(tok);
  for (size_t i = 0; i < n_rest; i++)
    argv[k++] = xstrdup(rest[i]);
  argv[k] = NULL;
  free(words);
  return argv;
}

static char *log_tail(const char *path)
{
  FILE *f = fopen(path, "r");
  static char tail[3001];
  tail[0] = '\0';
  if (!f)
    return tail;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, size > 3000 ? size - 3000 : 0, SEEK_SET);
  size_t n = fread(tail, 1, 3000, f);
  tail[n] = '\0';
  fclose(f);
  return tail;
}

/* For a process that is not our child: exists and is not a zombie. */
static bool alive_elsewhere(pid_t pid)
{
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *close_paren = strrchr(buf, ')');
  return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z';
}

static bool reap(harness_server *s, int timeout_ms)
{
  long long deadline = harness_now_ms() + timeout_ms;
  while (!s->reaped) {
    pid_t p = waitpid(s->pid, &s->wstatus, WNOHANG);
    if (p == s->pid) {
      s->reaped = true;
      break;
    }
    if (p < 0 && errno == ECHILD && !alive_elsewhere(s->pid))
      return true; /* not our child (a forked test): gone or a zombie */
    if (harness_now_ms() >= deadline)
      return false;
    harness_sleep_ms(10);
  }
  return true;
}

bool harness_server_alive(harness_server *s)
{
  return !reap(s, 0);
}

int harness_server_wait(harness_server *s, int timeout_ms)
{
  return reap(s, timeout_ms) ? s->wstatus : -1;
}

static bool wait_healthy(harness_server *s)
{
  long long deadline = harness_now_ms() + (harness_under_wrapper() ? 60000 : 30000);
  while (harness_now_ms() < deadline) {
    if (!harness_server_alive(s))
      return false;
    harness_response *r = harness_request(s, "GET", "/healthz", NULL, NULL, 0);
    long status = r->status;
    harness_response_free(r);
    if (status == 200)
      return true;
    harness_sleep_ms(50);
  }
  return false;
}

harness_server *harness_server_start(harness_db *db, const char *const *env_extra)
{
  return harness_server_start_args(db, env_extra, NULL);
}

harness_server *harness_server_start_args(harness_db *db, const char *const *env_extra,
                                          const char *extra_arg)
{
  harness_server *s = calloc(1, sizeof *s);
  s->port = free_port();
  s->log_path = xasprintf("%s/ltvd-api-%ld-%u.log", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                          (long)getpid(), ++log_counter);
  char *listen = xasprintf("127.0.0.1:%d", s->port);
  char *rest[] = {(char *)ltvd_bin, "serve", "--listen", listen, (char *)extra_arg, NULL};
  char **argv = command_line(rest);
  char **env = child_env(db, env_extra);
  int log_fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0)
    die("cannot create %s: %s", s->log_path, strerror(errno));
  s->pid = fork();
  if (s->pid < 0)
    die("fork: %s", strerror(errno));
  if (s->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execvpe(argv[0], argv, env);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(log_fd);
  free_strv(argv);
  free_strv(env);
  free(listen);
  if (!wait_healthy(s)) {
    kill(s->pid, SIGKILL);
    reap(s, 5000);
    die("ltvd serve did not answer /healthz (wait status %d); log %s:\n%s",
        s->reaped ? s->wstatus : -1, s->log_path, log_tail(s->log_path));
  }
  return s;
}

pid_t harness_server_pid(const harness_server *s)
{
  return s->pid;
}

int harness_server_port(const harness_server *s)
{
  return s->port;
}

const char *harness_server_log(const harness_server *s)
{
  return s->log_path;
}

static bool stop(harness_server *s, char *why, size_t why_len)
{
  if (!s->reaped)
    kill(s->pid, SIGTERM);
  bool ok = reap(s, 20000);
  if (!ok) {
    kill(s->pid, SIGKILL);
    reap(s, 5000);
    snprintf(why, why_len, "ltvd did not exit within 20 s of SIGTERM; log %s:\n%s", s->log_path,
             log_tail(s->log_path));
  } else if (!WIFEXITED(s->wstatus) || WEXITSTATUS(s->wstatus) != 0) {
    ok = false;
    snprintf(why, why_len, "ltvd exited with wait status %d (%s %d); log %s:\n%s", s->wstatus,
             WIFSIGNALED(s->wstatus) ? "signal" : "exit code",
             WIFSIGNALED(s->wstatus) ? WTERMSIG(s->wstatus) : WEXITSTATUS(s->wstatus), s->log_path,
             log_tail(s->log_path));
  }
  if (ok && !getenv("LTVD_TEST_KEEP_LOGS"))
    unlink(s->log_path);
  free(s->log_path);
  free(s);
  return ok;
}

void harness_server_kill(harness_server *s)
{
  if (!s->reaped)
    kill(s->pid, SIGKILL);
  reap(s, 5000);
  if (!getenv("LTVD_TEST_KEEP_LOGS"))
    unlink(s->log_path);
  free(s->log_path);
  free(s);
}

bool harness_server_stop(harness_server *s)
{
  char why[4096];
  bool ok = stop(s, why, sizeof why);
  if (!ok)
    fprintf(stderr, "harness: %s\n", why);
  return ok;
}

void harness_server_stop_ok(harness_server *s)
{
  char why[4096];
  bool ok = stop(s, why, sizeof why);
  ck_assert_msg(ok, "%s", why);
}

harness_env *harness_env_up(const char *const *server_env)
{
  harness_env *e = calloc(1, sizeof *e);
  e->db = harness_db_create();
  e->key_read = key_create(e->db, "read", "test-read");
  e->key_write = key_create(e->db, "write", "test-write");
  e->key_admin = key_create(e->db, "admin", "test-admin");
  e->srv = harness_server_start(e->db, server_env);
  return e;
}

void harness_env_down(harness_env *e)
{
  if (!e)
    return;
  if (e->srv && !harness_server_stop(e->srv))
    harness_fail_later("the shared ltvd did not stop cleanly");
  harness_db_drop(e->db);
  free(e->key_read);
  free(e->key_write);
  free(e->key_admin);
  free(e);
}

const char *harness_env_key(const harness_env *e, const char *scope)
{
  if (!scope)
    return NULL;
  if (strcmp(scope, "read") == 0)
    return e->key_read;
  if (strcmp(scope, "write") == 0)
    return e->key_write;
  if (strcmp(scope, "admin") == 0)
    return e->key_admin;
  return scope; /* a literal key */
}

/* HTTP -------------------------------------------------------------------------------- */

struct sink {
  char *p;
  size_t n, cap;
};

static void sink_add(struct sink *s, const char *p, size_t n)
{
  if (s->n + n + 1 > s->cap) {
    s->cap = (s->n + n + 1) * 2;
    s->p = realloc(s->p, s->cap);
    if (!s->p)
      abort();
  }
  memcpy(s->p + s->n, p, n);
  s->n += n;
  s->p[s->n] = '\0';
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
  sink_add(ud, p, size * n);
  return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
  harness_response *r = ud;
  size_t len = size * n;
  while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
    len--;
  if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new (e.g. final after 100) */
    for (size_t i = 0; i < r->n_headers; i++)
      free(r->headers[i]);
    r->n_headers = 0;
    return size * n;
  }
  if (len == 0)
    return size * n;
  r->headers = realloc(r->headers, (r->n_headers + 1) * sizeof *r->headers);
  r->headers[r->n_headers++] = strndup(p, len);
  return size * n;
}

static void response_free(void *p)
{
  harness_response *r = p;
  for (size_t i = 0; i < r->n_headers; i++)
    free(r->headers[i]);
  free(r->headers);
  free(r->body);
  free(r->what);
  json_decref(r->json);
  free(r);
}

void harness_response_label(harness_response *r, const char *label)
{
  char *what = xasprintf("[%s] %s", label, r->what);
  free(r->what);
  r->what = what;
}

void harness_response_free(harness_response *r)
{
  if (!r)
    return;
  disown(r);
  response_free(r);
}

static bool names_header(const char *const *headers, const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; headers && headers[i]; i++)
    if (strncasecmp(headers[i], name, n) == 0 && (headers[i][n] == ':' || headers[i][n] == ';'))
      return true;
  return false;
}

harness_response *harness_request(const harness_server *s, const char *method, const char *path,
                                  const char *const *headers, const char *body, size_t body_len)
{
  harness_response *r = calloc(1, sizeof *r);
  struct sink sink = {0};
  struct curl_slist *list = NULL;
  char *url = xasprintf("http://127.0.0.1:%d%s", s->port, path);
  char err[CURL_ERROR_SIZE] = "";
  CURL *c = curl_easy_init();

  r->what = xasprintf("%s %.200s", method, path);
  for (size_t i = 0; headers && headers[i]; i++)
    list = curl_slist_append(list, headers[i]);
  if (body && !names_header(headers, "Content-Type"))
    list = curl_slist_append(list, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(body_len == (size_t)-1 ? strlen(body) : body_len));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, harness_under_wrapper() ? 300L : 60L);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  } else {
    r->status = 0;
    free(sink.p);
    sink = (struct sink){0};
    sink_add(&sink, "(transport error) ", 18);
    sink_add(&sink, err[0] ? err : curl_easy_strerror(rc),
             strlen(err[0] ? err : curl_easy_strerror(rc)));
  }
  if (!sink.p)
    sink_add(&sink, "", 0);
  r->body = sink.p;
  r->body_len = rc == CURLE_OK ? sink.n : 0;
  r->json = rc == CURLE_OK ? json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL) : NULL;
  curl_easy_cleanup(c);
  curl_slist_free_all(list);
  free(url);
  return own(r, response_free);
}

struct racer {
  const harness_env *e;
  pthread_barrier_t *barrier;
  const char *method, *path, *header, *body;
  harness_response *r;
};

static void *race_one(void *arg)
{
  struct racer *x = arg;
  const char *h[] = {x->header, NULL};
  pthread_barrier_wait(x->barrier);
  x->r = harness_call(x->e, "write", x->method, x->path, h, x->body);
  return NULL;
}

void harness_race(const harness_env *e, const char *method, const char *path, const char *header,
                  const char *body_a, const char *body_b, harness_response **ra,
                  harness_response **rb)
{
  harness_race_two(e, method, path, body_a, method, path, body_b, header, ra, rb);
}

void harness_race_two(const harness_env *e, const char *method_a, const char *path_a,
                      const char *body_a, const char *method_b, const char *path_b,
                      const char *body_b, const char *header, harness_response **ra,
                      harness_response **rb)
{
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 2);
  struct racer a = {e, &barrier, method_a, path_a, header, body_a, NULL};
  struct racer b = {e, &barrier, method_b, path_b, header, body_b, NULL};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, race_one, &a);
  pthread_create(&tb, NULL, race_one, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  pthread_barrier_destroy(&barrier);
  *ra = a.r;
  *rb = b.r;
}

bool harness_one_each(const harness_response *a, const harness_response *b, long x, long y)
{
  return (a->status == x && b->status == y) || (a->status == y && b->status == x);
}

harness_response *harness_call_n(const harness_env *e, const char *scope, const char *method,
                                 const char *path, const char *const *headers, const char *body,
                                 size_t body_len)
{
  size_t n = 0;
  while (headers && headers[n])
    n++;
  const char **all = calloc(n + 2, sizeof *all);
  char *auth = NULL;
  size_t k = 0;
  if (scope) {
    auth = xasprintf("Authorization: Bearer %s", harness_env_key(e, scope));
    all[k++] = auth;
  }
  for (size_t i = 0; i < n; i++)
    all[k++] = headers[i];
  all[k] = NULL;
  harness_response *r = harness_request(e->srv, method, path, all, body, body_len);
  free(auth);
  free(all);
  return r;
}

harness_response *harness_call(const harness_env *e, const char *scope, const char *method,
                               const char *path, const char *const *headers, const char *body)
{
  return harness_call_n(e, scope, method, path, headers, body, (size_t)-1);
}

const char *harness_header(const harness_response *r, const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; i < r->n_headers; i++) {
    const char *h = r->headers[i];
    if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
      h += n + 1;
      while (*h == ' ' || *h == '\t')
        h++;
      return h;
    }
  }
  return NULL;
}

long long harness_json_int(const harness_response *r, const char *member)
{
  json_t *v = json_object_get(r->json, member);
  ck_assert_msg(json_is_integer(v), "%s: member %s is not an integer in %.400s", r->what, member,
                r->body);
  return json_integer_value(v);
}

const char *harness_json_str(const harness_response *r, const char *member)
{
  return json_string_value(json_object_get(r->json, member));
}

/* Assertions -------------------------------------------------------------------------- */

static const char *slug_of(long status)
{
  switch (status) {
  case 400:
    return "bad-request";
  case 401:
    return "unauthorized";
  case 403:
    return "forbidden";
  case 404:
    return "not-found";
  case 405:
    return "method-not-allowed";
  case 409:
    return "conflict";
  case 412:
    return "precondition-failed";
  case 413:
    return "payload-too-large";
  case 415:
    return "unsupported-media-type";
  case 422:
    return "validation";
  case 429:
    return "rate-limited";
  case 500:
    return "internal";
  case 503:
    return "unavailable";
  default:
    return "?";
  }
}

/* "name" matches "name", "name.x", "name[0]" and "name/x" (a nested location). */
static bool field_matches(const char *got, const char *want)
{
  size_t n = strlen(want);
  if (n == 0)
    return true; /* any field */
  if (!got)
    return false;
  if (strncmp(got, want, n) != 0)
    return false;
  return got[n] == '\0' || got[n] == '.' || got[n] == '[' || got[n] == '/';
}

bool harness_problem_names(const harness_response *r, const char *field, long index)
{
  json_t *errors = json_object_get(r->json, "errors"), *e;
  size_t i;
  json_array_foreach(errors, i, e)
  {
    const char *f = json_string_value(json_object_get(e, "field"));
    json_t *ix = json_object_get(e, "index");
    if (!field_matches(f, field))
      continue;
    if (index < 0 || (json_is_integer(ix) && json_integer_value(ix) == index))
      return true;
  }
  return false;
}

bool harness_problem_mentions(const harness_response *r, const char *field)
{
  const char *detail = harness_json_str(r, "detail");
  return harness_problem_names(r, field, -1) || (detail && strstr(detail, field));
}

void harness_assert_status_at(const char *file, int line, const harness_response *r, long expected)
{
  ck_assert_msg(r->status == expected, "%s:%d: %s: status %ld, expected %ld; body: %.600s", file,
                line, r->what, r->status, expected, r->body);
}

void harness_assert_problem_at(const char *file, int line, const harness_response *r, long status,
                               const char *field, long index)
{
  const char *ct = harness_header(r, "Content-Type");
  ck_assert_msg(r->status == status, "%s:%d: %s: status %ld, expected %ld; body %.600s", file, line,
                r->what, r->status, status, r->body);
  ck_assert_msg(ct && strncasecmp(ct, "application/problem+json", 24) == 0,
                "%s:%d: %s: Content-Type %s, expected application/problem+json", file, line,
                r->what, ct ? ct : "(none)");
  ck_assert_msg(json_is_object(r->json), "%s:%d: %s: problem body is not a JSON object: %.400s",
                file, line, r->what, r->body);
  json_t *st = json_object_get(r->json, "status");
  ck_assert_msg(json_is_integer(st) && json_integer_value(st) == status,
                "%s:%d: %s: problem status member is not %ld: %.400s", file, line, r->what, status,
                r->body);
  char type[64];
  snprintf(type, sizeof type, "urn:ltvd:problem:%s", slug_of(status));
  const char *t = harness_json_str(r, "type");
  ck_assert_msg(t && strcmp(t, type) == 0, "%s:%d: %s: problem type %s, expected %s", file, line,
                r->what, t ? t : "(none)", type);
  const char *title = harness_json_str(r, "title");
  ck_assert_msg(title && *title, "%s:%d: %s: problem without title: %.400s", file, line, r->what,
                r->body);
  json_t *detail = json_object_get(r->json, "detail");
  ck_assert_msg(json_is_string(detail) || json_is_null(detail),
                "%s:%d: %s: problem detail missing or not a string: %.400s", file, line, r->what,
                r->body);
  json_t *errors = json_object_get(r->json, "errors"), *e;
  ck_assert_msg(json_is_array(errors), "%s:%d: %s: problem without errors array: %.400s", file,
                line, r->what, r->body);
  size_t i;
  json_array_foreach(errors, i, e)
  {
    ck_assert_msg(json_is_object(e) && json_is_string(json_object_get(e, "message")),
                  "%s:%d: %s: errors[%zu] lacks a message: %.400s", file, line, r->what, i,
                  r->body);
  }
  if (field)
    ck_assert_msg(harness_problem_names(r, field, index),
                  "%s:%d: %s: errors do not name field %s (index %ld): %.600s", file, line, r->what,
                  field, index, r->body);
}

void harness_assert_errors_by_index(const harness_response *r)
{
  json_t *errors = json_object_get(r->json, "errors");
  for (size_t i = 1; i < json_array_size(errors); i++)
    ck_assert_int_le(json_integer_value(json_object_get(json_array_get(errors, i - 1), "index")),
                     json_integer_value(json_object_get(json_array_get(errors, i), "index")));
}

void harness_assert_timestamp(const char *what, const char *ts)
{
  static const char *pattern =
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?Z$";
  regex_t re;
  ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
  int m = ts ? regexec(&re, ts, 0, NULL, 0) : REG_NOMATCH;
  regfree(&re);
  ck_assert_msg(m == 0, "%s: %s is not a timestamp YYYY-MM-DDTHH:MM:SS[.ffffff]Z", what,
                ts ? ts : "(null)");
}
