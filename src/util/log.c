#include "ltvd/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum ltvd_log_level current_level = LTVD_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

bool ltvd_log_parse_level(const char *name, enum ltvd_log_level *out)
{
  for (int i = 0; i < 4; i++)
    if (strcmp(name, level_names[i]) == 0) {
      *out = (enum ltvd_log_level) i;
      return true;
    }
  return false;
}

void ltvd_log_set_level(enum ltvd_log_level level) { current_level = level; }

bool ltvd_log_enabled(enum ltvd_log_level level) { return level <= current_level; }

static void now_iso(char out[64])
{
  struct timeval tv;
  struct tm tm;

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (long) tv.tv_usec / 1000);
}

void ltvd_log_json_new(json_t *fields)
{
  char ts[64];

  now_iso(ts);
  json_object_set_new(fields, "time", json_string(ts));
  char *line = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(fields);
  if (line == NULL)
    return;
  size_t n = strlen(line);
  line[n] = '\n'; /* one write per line keeps lines whole across threads */
  ssize_t written = write(STDERR_FILENO, line, n + 1);
  (void) written;
  free(line);
}

void ltvd_log(enum ltvd_log_level level, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  if (level > current_level)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *o = json_object();
  json_object_set_new(o, "time", json_null());
  json_object_set_new(o, "level", json_string(level_names[level]));
  json_object_set_new(o, "msg", json_string(msg));
  ltvd_log_json_new(o);
}
