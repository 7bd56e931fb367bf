/* Request counters and latency histograms per route, rendered as Prometheus text. */
#ifndef LTVD_METRICS_H
#define LTVD_METRICS_H

/* route: index into ltvd_routes, or -1 for requests that matched no route. */
void ltvd_metrics_observe(int route, int status, double seconds);

/* The Prometheus exposition text (caller frees). */
char *ltvd_metrics_render(void);

#endif
