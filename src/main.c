/* ltvd: configuration, signals, start and stop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/auth.h"
#include "ltvd/cli.h"
#include "ltvd/clock.h"
#include "ltvd/config.h"
#include "ltvd/db.h"
#include "ltvd/http.h"
#include "ltvd/log.h"
#include "ltvd/worker.h"

static const char usage[] =
    "usage: ltvd COMMAND [OPTIONS]\n\n"
    "Customer lifetime value as a service.\n\n"
    "commands:\n"
    "  serve [--listen HOST:PORT] [--threads N] [--migrate]   serve the REST API\n"
    "  migrate                                  apply pending database migrations\n"
    "  key create --scope read|write|admin --name NAME   create an API key\n"
    "  demo                                     load the demo data set\n"
    "  recompute                                run the analytics once and print a report\n"
    "  clv-fit --transactions FILE --calibration-end YYYY-MM-DD\n"
    "                                           fit the CLV models on CDNOW data\n"
    "  import KIND FILE [--url URL] [--key KEY] [--chunk-rows N]   load a CSV or NDJSON\n"
    "                                           file through the API in chunks\n"
    "  version                                  print the version\n\n"
    "environment: LTVD_DATABASE_URL, LTVD_LISTEN (127.0.0.1:8080), LTVD_THREADS (cores),\n"
    "  LTVD_LOG_LEVEL (info), LTVD_CURRENCY (USD), LTVD_TODAY, LTVD_CORS_ORIGINS,\n"
    "  LTVD_RATE_LIMIT (1000 requests/s per key; 0 = off), LTVD_WORKER (on; off: this\n"
    "  process never runs the analytics worker); for import: LTVD_URL, LTVD_KEY\n"
    "Each command takes --help.\n";

static const char serve_usage[] =
    "usage: ltvd serve [--listen HOST:PORT] [--threads N] [--migrate]\n\n"
    "Serves the API until SIGTERM or SIGINT, then drains in-flight requests and exits 0.\n"
    "--migrate applies pending migrations first; without it serve refuses an outdated "
    "schema.\n";

static bool check_schema(struct ltvd_config *cfg)
{
  char err[512];
  PGconn *c = ltvd_db_connect(cfg->database_url, err, sizeof err);
  bool ok = false;

  if (c == NULL) {
    fprintf(stderr, "ltvd serve: cannot connect to the database: %s\n", err);
    return false;
  }
  if (cfg->migrate && !ltvd_db_migrate(c, NULL, err, sizeof err)) {
    fprintf(stderr, "ltvd serve: %s\n", err);
    goto done;
  }
  int have = ltvd_db_schema_version(c), want = ltvd_db_known_schema_version();
  if (have != want) {
    fprintf(stderr, "ltvd serve: the database schema is at version %d and this binary "
                    "needs %d; %s\n", have, want,
            have < want ? "run ltvd migrate or serve --migrate" : "upgrade ltvd");
    goto done;
  }
  ok = true;
done:
  PQfinish(c);
  return ok;
}

static int serve(struct ltvd_config *cfg, int argc, char **argv)
{
  char err[512];
  sigset_t stop;
  int sig;

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("%s", serve_usage);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--migrate") == 0)
      cfg->migrate = true;
    else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      if (!ltvd_config_set_listen(cfg, argv[++i], err, sizeof err))
        goto usage_error;
    } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      if (!ltvd_config_set_threads(cfg, argv[++i], err, sizeof err))
        goto usage_error;
    } else {
      snprintf(err, sizeof err, "unexpected argument \"%s\"", argv[i]);
      goto usage_error;
    }
  }
  if (cfg->database_url == NULL) {
    fprintf(stderr, "ltvd serve: LTVD_DATABASE_URL is not set\n");
    return 1;
  }
  if (!check_schema(cfg))
    return 1;

  /* every thread inherits the blocked set; only sigwait below sees these signals */
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  ltvd_db_set_url(cfg->database_url);
  if (!ltvd_auth_listener_start(cfg->database_url) || !ltvd_http_start(cfg, err, sizeof err)) {
    fprintf(stderr, "ltvd serve: %s\n", err);
    return 1;
  }
  ltvd_log(LTVD_LOG_INFO, "listening on http://%s:%d with %d threads", cfg->listen_host,
           cfg->listen_port, cfg->threads);
  if (cfg->worker && !ltvd_worker_start(cfg, err, sizeof err)) {
    fprintf(stderr, "ltvd serve: %s\n", err);
    ltvd_http_stop();
    ltvd_auth_listener_stop();
    return 1;
  }
  sigwait(&stop, &sig);
  ltvd_log(LTVD_LOG_INFO, "signal %d: draining in-flight requests", sig);
  ltvd_http_stop();
  ltvd_worker_stop();
  ltvd_auth_listener_stop();
  ltvd_db_set_url(NULL);
  ltvd_log(LTVD_LOG_INFO, "stopped");
  return 0;

usage_error:
  fprintf(stderr, "ltvd serve: %s\n%s", err, serve_usage);
  return 2;
}

int main(int argc, char **argv)
{
  struct ltvd_config cfg;
  char err[512];
  int status;

  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    printf("%s", usage);
    return argc < 2 ? 2 : 0;
  }
  if (!ltvd_config_from_env(&cfg, err, sizeof err)) {
    fprintf(stderr, "ltvd: %s\n", err);
    return 2;
  }
  ltvd_log_set_level(cfg.log_level);
  ltvd_clock_set_today(cfg.today);
  const char *cmd = argv[1];
  if (strcmp(cmd, "serve") == 0)
    status = serve(&cfg, argc - 1, argv + 1);
  else if (strcmp(cmd, "migrate") == 0)
    status = ltvd_cli_migrate(&cfg, argc - 1, argv + 1);
  else if (strcmp(cmd, "key") == 0)
    status = ltvd_cli_key(&cfg, argc - 1, argv + 1);
  else if (strcmp(cmd, "import") == 0)
    status = ltvd_cli_import(argc - 1, argv + 1);
  else if (strcmp(cmd, "demo") == 0)
    status = ltvd_cli_demo(&cfg, argc - 1, argv + 1);
  else if (strcmp(cmd, "clv-fit") == 0)
    status = ltvd_cli_clv_fit(&cfg, argc - 1, argv + 1);
  else if (strcmp(cmd, "recompute") == 0)
    status = ltvd_cli_recompute(&cfg, argc - 1, argv + 1);
  else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("ltvd %s\n", LTVD_VERSION);
    status = 0;
  } else {
    fprintf(stderr, "ltvd: unknown command \"%s\"\n%s", cmd, usage);
    status = 2;
  }
  ltvd_config_free(&cfg);
  return status;
}
