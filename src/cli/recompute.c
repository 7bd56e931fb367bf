/* ltvd recompute: one synchronous analytics run (ltvd_an_run), reported as one JSON
 * object on stdout. It takes no lock: a run started beside the worker's publishes only
 * when no newer results are published (see ltvd/worker.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "ltvd/cli.h"
#include "ltvd/db.h"
#include "ltvd/json_out.h"
#include "ltvd/worker.h"

static const char recompute_usage[] =
    "usage: ltvd recompute\n\n"
    "Runs the analytics once against LTVD_DATABASE_URL (\"today\" from LTVD_TODAY, else the\n"
    "UTC date) and prints {\"status\": \"published\"|\"skipped\"|\"failed\", \"data_version\",\n"
    "\"load_ms\", \"compute_ms\", \"publish_ms\", \"total_ms\", \"peak_rss_kb\", \"error\"?}.\n"
    "skipped: newer results were already published. Exits 0 unless the run failed (1).\n";

static json_t *ms(double v)
{
  return json_real(round(v * 1000) / 1000);
}

int ltvd_cli_recompute(const struct ltvd_config *cfg, int argc, char **argv)
{
  static const char *const names[] = {"published", "skipped", "failed"};
  struct ltvd_an_run_report rep;
  struct rusage usage;
  char err[512];

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("%s", recompute_usage);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "ltvd recompute: unexpected argument \"%s\"\n%s", argv[1], recompute_usage);
    return 2;
  }
  if (cfg->database_url == NULL) {
    fprintf(stderr, "ltvd recompute: LTVD_DATABASE_URL is not set\n");
    return 1;
  }
  PGconn *c = ltvd_db_connect(cfg->database_url, err, sizeof err);
  if (c == NULL) {
    fprintf(stderr, "ltvd recompute: cannot connect to the database: %s\n", err);
    return 1;
  }
  ltvd_an_run(c, cfg, &rep);
  PQfinish(c);
  getrusage(RUSAGE_SELF, &usage);

  json_t *out = json_object();
  json_object_set_new(out, "status", json_string(names[rep.status]));
  json_object_set_new(out, "data_version", json_integer(rep.data_version));
  json_object_set_new(out, "load_ms", ms(rep.load_ms));
  json_object_set_new(out, "compute_ms", ms(rep.compute_ms));
  json_object_set_new(out, "publish_ms", ms(rep.publish_ms));
  json_object_set_new(out, "total_ms", ms(rep.total_ms));
  json_object_set_new(out, "peak_rss_kb", json_integer(usage.ru_maxrss));
  if (rep.status == LTVD_AN_RUN_FAILED)
    json_object_set_new(out, "error", json_string(rep.error));
  char *text = ltvd_json_dumps(out);
  printf("%s\n", text);
  free(text);
  json_decref(out);
  return rep.status == LTVD_AN_RUN_FAILED ? 1 : 0;
}
