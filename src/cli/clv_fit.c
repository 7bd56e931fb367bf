/* `ltvd clv-fit`: fits BG/NBD and Gamma-Gamma (src/analytics/clv_model.c) on a CDNOW
 * transaction file, so the published results can be reproduced without a database. Both
 * CDNOW layouts are read: the sample (no header; master id, sample id, YYYYMMDD, CDs,
 * dollars; CRLF) and the master file (a header; id, YYYYMMDD, CDs, dollars). */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/cli.h"
#include "ltvd/clv_model.h"
#include "ltvd/clock.h"
#include "ltvd/json_out.h"
#include "ltvd/util.h"

static const char clv_fit_usage[] =
    "usage: ltvd clv-fit --transactions FILE --calibration-end YYYY-MM-DD\n\n"
    "Fits the BG/NBD and Gamma-Gamma models (SPEC 4.10) on a CDNOW transaction file (the\n"
    "sample or the master layout), using the transactions up to the calibration end, and\n"
    "prints {\"customers\", \"repeat_customers\", \"bgnbd\": {\"r\", \"alpha\", \"a\", \"b\",\n"
    "\"log_likelihood\"}, \"gamma_gamma\": {\"p\", \"q\", \"gamma\", \"log_likelihood\"},\n"
    "\"fit_ms\"} (time in weeks, money in dollars).\n";

struct txn {
  long id;
  struct ltvd_clv_purchase p;
};

static long days_from_civil(long y, long m, long d)
{
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* YYYYMMDD, or YYYY-MM-DD when dashed, to a day number; -1 when invalid. */
static long parse_day(const char *s, bool dashed)
{
  char iso[11];

  if (dashed) {
    if (!ltvd_valid_date(s))
      return -1;
    memcpy(iso, s, sizeof iso);
  } else {
    if (strlen(s) != 8 || strspn(s, "0123456789") != 8)
      return -1;
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    if (!ltvd_valid_date(iso))
      return -1;
  }
  return days_from_civil(strtol(iso, NULL, 10), strtol(iso + 5, NULL, 10),
                         strtol(iso + 8, NULL, 10));
}

/* One line's fields into t; 0 ok, 1 blank or (on the first line) a header, -1 invalid. */
static int parse_line(char *line, bool first, struct txn *t)
{
  char *f[6], *save = NULL;
  int n = 0;

  for (char *tok = strtok_r(line, " \t\r\n", &save); tok != NULL && n < 6;
       tok = strtok_r(NULL, " \t\r\n", &save))
    f[n++] = tok;
  if (n == 0)
    return 1;
  if (first && !isdigit((unsigned char)f[0][0]))
    return 1;
  if (n != 4 && n != 5)
    return -1;
  const char *id = f[n == 5 ? 1 : 0], *date = f[n - 3], *dollars = f[n - 1];
  int64_t idv;
  char *end;
  errno = 0;
  double amount = strtod(dollars, &end);
  long day = parse_day(date, false);
  if (!ltvd_parse_int64(id, 0, INT32_MAX, &idv) || day < 0 || *end != '\0' || errno != 0 ||
      !isfinite(amount) || amount < 0 || amount > 1e12)
    return -1;
  *t = (struct txn){(long)idv, {(int32_t)day, llround(amount * 100)}};
  return 0;
}

static int by_customer(const void *u, const void *v)
{
  const struct txn *a = u, *b = v;
  if (a->id != b->id)
    return (a->id > b->id) - (a->id < b->id);
  return (a->p.day > b->p.day) - (a->p.day < b->p.day);
}

/* The transactions of path into *out (caller frees); false with a message in err. */
static bool read_transactions(const char *path, struct txn **out, size_t *n, char *err,
                              size_t errlen)
{
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0, len = 0, linecap = 0;
  struct txn *v = NULL;
  long lineno = 0;

  if (f == NULL) {
    snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
    return false;
  }
  while (getline(&line, &linecap, f) >= 0) {
    struct txn t;
    lineno++;
    int rc = parse_line(line, lineno == 1, &t);
    if (rc < 0) {
      snprintf(err, errlen, "\"%s\" line %ld: not a CDNOW transaction", path, lineno);
      goto fail;
    }
    if (rc > 0)
      continue;
    if (len == cap) {
      cap = cap ? 2 * cap : 4096;
      struct txn *nv = realloc(v, cap * sizeof *v);
      if (nv == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
      }
      v = nv;
    }
    v[len++] = t;
  }
  free(line);
  fclose(f);
  *out = v;
  *n = len;
  return true;
fail:
  free(line);
  free(v);
  fclose(f);
  return false;
}

/* One summary per customer with a purchase on or before the calibration end. */
static size_t summarise(struct txn *t, size_t n, long end, struct ltvd_clv_customer *out)
{
  struct ltvd_clv_purchase *p = malloc((n ? n : 1) * sizeof *p);
  size_t nc = 0;

  if (p == NULL)
    return 0;
  qsort(t, n, sizeof *t, by_customer);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    for (; j < n && t[j].id == t[i].id; j++)
      p[j - i] = t[j].p;
    if (ltvd_clv_prepare(p, j - i, (int32_t)end, 100, &out[nc]))
      nc++;
    i = j;
  }
  free(p);
  return nc;
}

static json_t *result_json(size_t customers, size_t repeat, const struct ltvd_clv_bgnbd *m,
                           const struct ltvd_clv_gamma_gamma *g, double ms)
{
  return json_pack("{s:I, s:I, s:{s:f, s:f, s:f, s:f, s:f}, s:{s:f, s:f, s:f, s:f}, s:f}",
                   "customers", (json_int_t)customers, "repeat_customers", (json_int_t)repeat,
                   "bgnbd", "r", m->r, "alpha", m->alpha, "a", m->a, "b", m->b, "log_likelihood",
                   m->log_likelihood, "gamma_gamma", "p", g->p, "q", g->q, "gamma", g->gamma,
                   "log_likelihood", g->log_likelihood, "fit_ms", ms);
}

int ltvd_cli_clv_fit(const struct ltvd_config *cfg, int argc, char **argv)
{
  const char *path = NULL, *end_date = NULL;
  char err[512];
  struct txn *t = NULL;
  struct ltvd_clv_customer *c = NULL;
  size_t n = 0, repeat = 0;
  int status = 1;

  if (ltvd_cli_wants_help(argc, argv)) {
    printf("%s", clv_fit_usage);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--transactions") == 0 && i + 1 < argc)
      path = argv[++i];
    else if (strcmp(argv[i], "--calibration-end") == 0 && i + 1 < argc)
      end_date = argv[++i];
    else {
      fprintf(stderr, "ltvd clv-fit: unexpected argument \"%s\"\n%s", argv[i], clv_fit_usage);
      return 2;
    }
  }
  long end = end_date != NULL ? parse_day(end_date, true) : -1;
  if (path == NULL || end < 0) {
    fprintf(stderr, "ltvd clv-fit: %s\n%s",
            path == NULL ? "--transactions is required"
                         : "--calibration-end needs a valid date YYYY-MM-DD",
            clv_fit_usage);
    return 2;
  }
  if (!read_transactions(path, &t, &n, err, sizeof err)) {
    fprintf(stderr, "ltvd clv-fit: %s\n", err);
    return 1;
  }
  c = malloc((n ? n : 1) * sizeof *c);
  size_t nc = c != NULL ? summarise(t, n, end, c) : 0;
  for (size_t i = 0; i < nc; i++)
    repeat += c[i].x > 0;

  struct ltvd_clv_bgnbd m;
  struct ltvd_clv_gamma_gamma g;
  double t0 = ltvd_monotonic();
  bool ok = nc > 0 && ltvd_clv_bgnbd_fit(c, nc, &m) && ltvd_clv_gamma_gamma_fit(c, nc, &g);
  double ms = (ltvd_monotonic() - t0) * 1000;
  if (!ok) {
    fprintf(stderr,
            "ltvd clv-fit: cannot fit the models on \"%s\" (%zu customers, %zu "
            "repeat buyers up to %s)\n",
            path, nc, repeat, end_date);
    goto done;
  }
  if (!m.converged || !g.converged)
    fprintf(stderr, "ltvd clv-fit: warning: the %s fit did not converge\n",
            m.converged ? "Gamma-Gamma" : "BG/NBD");
  json_t *j = result_json(nc, repeat, &m, &g, ms);
  char *s = ltvd_json_dumps(j);
  printf("%s\n", s);
  free(s);
  json_decref(j);
  status = 0;
done:
  free(t);
  free(c);
  return status;
}
