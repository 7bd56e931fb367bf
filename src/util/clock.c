#include "ltvd/clock.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static char fixed_today[11]; /* empty: follow the clock; set once at start-up */

bool ltvd_valid_date(const char *s)
{
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, m, d, n = 0;

  if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return false;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
      return false;
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
    return false;
  if (y < 1 || m < 1 || m > 12 || d < 1)
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool ltvd_valid_month(const char *s)
{
  char date[11];

  if (s == NULL || strlen(s) != 7)
    return false;
  memcpy(date, s, 7);
  memcpy(date + 7, "-01", 4);
  return ltvd_valid_date(date);
}

bool ltvd_clock_set_today(const char *date)
{
  if (date == NULL || *date == '\0') {
    fixed_today[0] = '\0';
    return true;
  }
  if (!ltvd_valid_date(date))
    return false;
  memcpy(fixed_today, date, 11);
  return true;
}

void ltvd_clock_today(char out[11])
{
  if (fixed_today[0] != '\0') {
    memcpy(out, fixed_today, 11);
    return;
  }
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(out, 11, "%Y-%m-%d", &tm);
}

void ltvd_clock_timestamp(char out[32])
{
  struct timeval tv;
  struct tm tm;
  char date[11];

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  ltvd_clock_today(date);
  snprintf(out, 32, "%sT%02d:%02d:%02d.%06ldZ", date, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (long) tv.tv_usec);
}
