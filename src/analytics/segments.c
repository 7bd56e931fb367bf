#include "ltvd/segments.h"

#include <string.h>

static const struct {
  const char *name;
  int64_t lo, hi;
} bands[] = {
    {"1-9", 0, 9}, {"10-49", 10, 49}, {"50-249", 50, 249}, {"250-999", 250, 999},
    {"1000+", 1000, -1},
};

const char *ltvd_size_band(bool known, int64_t employee_count)
{
  if (!known)
    return "unknown";
  for (size_t i = 0; i < sizeof bands / sizeof *bands; i++)
    if (employee_count >= bands[i].lo && (bands[i].hi < 0 || employee_count <= bands[i].hi))
      return bands[i].name;
  return "unknown";
}

bool ltvd_size_band_range(const char *band, int64_t *lo, int64_t *hi, bool *unknown)
{
  *unknown = strcmp(band, "unknown") == 0;
  if (*unknown)
    return true;
  for (size_t i = 0; i < sizeof bands / sizeof *bands; i++)
    if (strcmp(band, bands[i].name) == 0) {
      *lo = bands[i].lo;
      *hi = bands[i].hi;
      return true;
    }
  return false;
}
