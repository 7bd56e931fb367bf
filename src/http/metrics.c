#include "ltvd/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "ltvd/http.h"

#define MAX_ROUTES 128
#define N_BUCKETS 10

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                               412, 413, 422, 429, 500, 503, 0};
#define N_STATUSES (sizeof statuses / sizeof *statuses) /* the last is "other" */
static const double bucket_bounds[N_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                0.05,  0.1,    0.25,  1,    5};

struct route_stats {
  atomic_ulong count[N_STATUSES];
  atomic_ulong buckets[N_BUCKETS + 1];
  atomic_ulong sum_us;
};

static struct route_stats stats[MAX_ROUTES + 1]; /* the last: unmatched */

void ltvd_metrics_observe(int route, int status, double seconds)
{
  struct route_stats *s = &stats[route >= 0 && route < MAX_ROUTES ? route : MAX_ROUTES];
  size_t i = 0, b = 0;

  while (i + 1 < N_STATUSES && statuses[i] != status)
    i++;
  atomic_fetch_add(&s->count[i], 1);
  while (b < N_BUCKETS && seconds > bucket_bounds[b])
    b++;
  atomic_fetch_add(&s->buckets[b], 1);
  atomic_fetch_add(&s->sum_us, (unsigned long) (seconds * 1e6));
}

static void render_route(FILE *f, const char *method, const char *path,
                         struct route_stats *s, int pass)
{
  unsigned long total = 0, cumulative = 0;

  if (pass == 0) {
    for (size_t i = 0; i < N_STATUSES; i++) {
      unsigned long n = atomic_load(&s->count[i]);
      if (n == 0)
        continue;
      char status[8];
      snprintf(status, sizeof status, "%d", statuses[i]);
      fprintf(f, "ltvd_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %lu\n",
              method, path, statuses[i] ? status : "other", n);
    }
    return;
  }
  for (size_t b = 0; b <= N_BUCKETS; b++)
    total += atomic_load(&s->buckets[b]);
  if (total == 0)
    return;
  for (size_t b = 0; b <= N_BUCKETS; b++) {
    cumulative += atomic_load(&s->buckets[b]);
    if (b < N_BUCKETS)
      fprintf(f, "ltvd_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                 "le=\"%g\"} %lu\n", method, path, bucket_bounds[b], cumulative);
    else
      fprintf(f, "ltvd_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                 "le=\"+Inf\"} %lu\n", method, path, cumulative);
  }
  fprintf(f, "ltvd_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
          method, path, (double) atomic_load(&s->sum_us) / 1e6);
  fprintf(f, "ltvd_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %lu\n",
          method, path, total);
}

char *ltvd_metrics_render(void)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  size_t n = ltvd_routes_count < MAX_ROUTES ? ltvd_routes_count : MAX_ROUTES;

  if (f == NULL)
    abort();
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0)
      fputs("# HELP ltvd_http_requests_total Requests answered, by route and status.\n"
            "# TYPE ltvd_http_requests_total counter\n", f);
    else
      fputs("# HELP ltvd_http_request_duration_seconds Time to answer, by route.\n"
            "# TYPE ltvd_http_request_duration_seconds histogram\n", f);
    for (size_t i = 0; i < n; i++)
      render_route(f, ltvd_routes[i].method, ltvd_routes[i].path, &stats[i], pass);
    render_route(f, "", "unmatched", &stats[MAX_ROUTES], pass);
  }
  fclose(f);
  return text;
}
