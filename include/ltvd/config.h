/* Configuration from the environment (SPEC section 1), each overridable by a flag. */
#ifndef LTVD_CONFIG_H
#define LTVD_CONFIG_H

#include <stdbool.h>

#include "ltvd/log.h"

#define LTVD_MAX_CORS_ORIGINS 32

struct ltvd_config {
  char *database_url;
  char listen_host[64];
  int listen_port;
  int threads;
  enum ltvd_log_level log_level;
  char currency[4];
  char today[11];   /* empty: follow the clock */
  char *cors_origins[LTVD_MAX_CORS_ORIGINS];
  int n_cors_origins;
  bool cors_any;
  double rate_limit; /* requests per second per key; 0 = off */
  bool migrate;      /* serve --migrate */
  bool worker;       /* LTVD_WORKER: this process may run the analytics worker */
};

/* Fills cfg from the environment. On error returns false with a message in err. */
bool ltvd_config_from_env(struct ltvd_config *cfg, char *err, size_t errlen);

/* Setters shared by the environment and the command-line flags. */
bool ltvd_config_set_listen(struct ltvd_config *cfg, const char *value, char *err,
                            size_t errlen);
bool ltvd_config_set_threads(struct ltvd_config *cfg, const char *value, char *err,
                             size_t errlen);

void ltvd_config_free(struct ltvd_config *cfg);

#endif
