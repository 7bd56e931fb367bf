/* Route matching over the routing table of src/api/routes.c. A path may match several
 * patterns ("/v1/customers/batch" matches ".../batch" and ".../{id}"); the most specific
 * wins, a literal segment beating a {param} in the leftmost place they differ. The
 * methods of that pattern decide between the handler and 405. */
#include <stdio.h>
#include <string.h>

#include "ltvd/http.h"

#define MAX_SEGMENTS 16

static int split(char *path, char *segs[MAX_SEGMENTS])
{
  int n = 0;

  if (path[0] != '/')
    return -1;
  for (char *p = path + 1;; ) {
    if (n == MAX_SEGMENTS)
      return -1;
    segs[n++] = p;
    char *slash = strchr(p, '/');
    if (slash == NULL)
      break;
    *slash = '\0';
    p = slash + 1;
  }
  return n;
}

/* Matches pattern against segs; returns a specificity score (higher is more specific)
 * or -1, and the param segments. */
static long match(const char *pattern, char *const *segs, int nsegs,
                  char *params[LTVD_MAX_PATH_PARAMS])
{
  long score = 0;
  int i = 0, np = 0;
  const char *p = pattern + 1;

  for (;; i++) {
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t) (end - p) : strlen(p);
    if (i >= nsegs)
      return -1;
    bool is_param = len >= 2 && p[0] == '{' && p[len - 1] == '}';
    if (is_param) {
      if (segs[i][0] == '\0' || np == LTVD_MAX_PATH_PARAMS)
        return -1;
      params[np++] = segs[i];
      score = score * 2;
    } else {
      if (strlen(segs[i]) != len || memcmp(segs[i], p, len) != 0)
        return -1;
      score = score * 2 + 1;
    }
    if (end == NULL)
      break;
    p = end + 1;
  }
  return i + 1 == nsegs ? score : -1;
}

const struct ltvd_route *ltvd_route_match(const char *method, char *path,
                                          char *params[LTVD_MAX_PATH_PARAMS],
                                          bool *path_known, char *allow, size_t allow_len)
{
  char *segs[MAX_SEGMENTS];
  char *cand[LTVD_MAX_PATH_PARAMS];
  const char *best_pattern = NULL;
  long best = -1;
  int nsegs = split(path, segs);

  *path_known = false;
  if (allow_len)
    allow[0] = '\0';
  if (nsegs < 0)
    return NULL;
  for (size_t i = 0; i < ltvd_routes_count; i++) {
    long score = match(ltvd_routes[i].path, segs, nsegs, cand);
    if (score > best) {
      best = score;
      best_pattern = ltvd_routes[i].path;
    }
  }
  if (best_pattern == NULL)
    return NULL;
  *path_known = true;
  const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
  const struct ltvd_route *found = NULL;
  size_t used = 0;
  for (size_t i = 0; i < ltvd_routes_count; i++) {
    const struct ltvd_route *rt = &ltvd_routes[i];
    if (strcmp(rt->path, best_pattern) != 0)
      continue;
    if (strcmp(rt->method, want) == 0) {
      found = rt;
      match(rt->path, segs, nsegs, params);
    }
    int w = snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", rt->method);
    if (w > 0 && (size_t) w < allow_len - used)
      used += (size_t) w;
  }
  return found;
}
