/* Logging: one JSON object per line on stderr. */
#ifndef LTVD_LOG_H
#define LTVD_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum ltvd_log_level { LTVD_LOG_ERROR, LTVD_LOG_WARN, LTVD_LOG_INFO, LTVD_LOG_DEBUG };

/* Parses error|warn|info|debug; false on anything else. */
bool ltvd_log_parse_level(const char *name, enum ltvd_log_level *out);
void ltvd_log_set_level(enum ltvd_log_level level);
bool ltvd_log_enabled(enum ltvd_log_level level);

/* A message line {"time","level","msg"}. */
void ltvd_log(enum ltvd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes fields (which it steals) as one line with "time" added. */
void ltvd_log_json_new(json_t *fields);

#endif
