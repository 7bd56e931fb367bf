#include "ltvd/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ltvd/clock.h"
#include "ltvd/util.h"

bool ltvd_config_set_listen(struct ltvd_config *cfg, const char *value, char *err,
                            size_t errlen)
{
  const char *colon = strrchr(value, ':');
  int64_t port;

  if (colon == NULL || colon == value || (size_t) (colon - value) >= sizeof cfg->listen_host ||
      !ltvd_parse_int64(colon + 1, 0, 65535, &port)) {
    snprintf(err, errlen, "invalid listen address \"%s\": expected HOST:PORT", value);
    return false;
  }
  memcpy(cfg->listen_host, value, (size_t) (colon - value));
  cfg->listen_host[colon - value] = '\0';
  cfg->listen_port = (int) port;
  return true;
}

bool ltvd_config_set_threads(struct ltvd_config *cfg, const char *value, char *err,
                             size_t errlen)
{
  int64_t n;

  if (!ltvd_parse_int64(value, 1, 256, &n)) {
    snprintf(err, errlen, "invalid thread count \"%s\": expected 1..256", value);
    return false;
  }
  cfg->threads = (int) n;
  return true;
}

static bool set_cors(struct ltvd_config *cfg, const char *value, char *err, size_t errlen)
{
  char *copy = strdup(value), *save = NULL;

  for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    if (strcmp(tok, "*") == 0) {
      cfg->cors_any = true;
      continue;
    }
    if (cfg->n_cors_origins == LTVD_MAX_CORS_ORIGINS) {
      snprintf(err, errlen, "too many CORS origins: at most %d", LTVD_MAX_CORS_ORIGINS);
      free(copy);
      return false;
    }
    cfg->cors_origins[cfg->n_cors_origins++] = strdup(tok);
  }
  free(copy);
  return true;
}

bool ltvd_config_from_env(struct ltvd_config *cfg, char *err, size_t errlen)
{
  const char *v;

  memset(cfg, 0, sizeof *cfg);
  strcpy(cfg->listen_host, "127.0.0.1");
  cfg->listen_port = 8080;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  cfg->threads = cores > 0 ? (int) cores : 2;
  cfg->log_level = LTVD_LOG_INFO;
  strcpy(cfg->currency, "USD");
  cfg->rate_limit = 1000;
  cfg->worker = true;

  if ((v = getenv("LTVD_DATABASE_URL")) && *v)
    cfg->database_url = strdup(v);
  if ((v = getenv("LTVD_LISTEN")) && *v && !ltvd_config_set_listen(cfg, v, err, errlen))
    return false;
  if ((v = getenv("LTVD_THREADS")) && *v && !ltvd_config_set_threads(cfg, v, err, errlen))
    return false;
  if ((v = getenv("LTVD_LOG_LEVEL")) && *v && !ltvd_log_parse_level(v, &cfg->log_level)) {
    snprintf(err, errlen, "invalid LTVD_LOG_LEVEL \"%s\": expected error|warn|info|debug", v);
    return false;
  }
  if ((v = getenv("LTVD_CURRENCY")) && *v) {
    if (strlen(v) != 3 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' ||
        v[2] < 'A' || v[2] > 'Z') {
      snprintf(err, errlen, "invalid LTVD_CURRENCY \"%s\": expected an ISO 4217 code", v);
      return false;
    }
    strcpy(cfg->currency, v);
  }
  if ((v = getenv("LTVD_TODAY")) && *v) {
    if (!ltvd_valid_date(v)) {
      snprintf(err, errlen, "invalid LTVD_TODAY \"%s\": expected YYYY-MM-DD", v);
      return false;
    }
    strcpy(cfg->today, v);
  }
  if ((v = getenv("LTVD_CORS_ORIGINS")) && *v && !set_cors(cfg, v, err, errlen))
    return false;
  if ((v = getenv("LTVD_RATE_LIMIT")) && *v) {
    char *end;
    double r = strtod(v, &end);
    if (*end != '\0' || !(r >= 0 && r <= 1e9)) {
      snprintf(err, errlen, "invalid LTVD_RATE_LIMIT \"%s\": expected a number >= 0", v);
      return false;
    }
    cfg->rate_limit = r;
  }
  if ((v = getenv("LTVD_WORKER")) && *v) {
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
      snprintf(err, errlen, "invalid LTVD_WORKER \"%s\": expected on|off", v);
      return false;
    }
    cfg->worker = strcmp(v, "on") == 0;
  }
  return true;
}

void ltvd_config_free(struct ltvd_config *cfg)
{
  free(cfg->database_url);
  for (int i = 0; i < cfg->n_cors_origins; i++)
    free(cfg->cors_origins[i]);
  memset(cfg, 0, sizeof *cfg);
}
