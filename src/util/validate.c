#include "ltvd/validate.h"

#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/http.h"
#include "ltvd/util.h"

static const struct ltvd_field *find(const struct ltvd_field *fields, const char *name)
{
  for (const struct ltvd_field *f = fields; f->name; f++)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

static bool listed(const char *const *names, const char *name)
{
  for (; names && *names; names++)
    if (strcmp(*names, name) == 0)
      return true;
  return false;
}

/* NULL when v is acceptable for f, else the message. */
static const char *check_value(const struct ltvd_field *f, const json_t *v, char *buf,
                               size_t len)
{
  switch (f->type) {
  case LTVD_F_STRING: {
    if (!json_is_string(v))
      return "must be a string";
    long n = ltvd_utf8_length(json_string_value(v), json_string_length(v));
    if (n < f->min || n > f->max) {
      snprintf(buf, len, "must be %lld to %lld characters long", (long long) f->min,
               (long long) f->max);
      return buf;
    }
    return NULL;
  }
  case LTVD_F_MONEY:
  case LTVD_F_INTEGER: {
    int64_t lo = f->type == LTVD_F_MONEY ? 0 : f->min;
    int64_t hi = f->type == LTVD_F_MONEY ? LTVD_MONEY_MAX : f->max;
    if (!json_is_integer(v))
      return "must be an integer";
    if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
      snprintf(buf, len, "must be between %lld and %lld", (long long) lo, (long long) hi);
      return buf;
    }
    return NULL;
  }
  case LTVD_F_NUMBER:
    if (!json_is_number(v))
      return "must be a number";
    if (!(json_number_value(v) >= (double) f->min && json_number_value(v) <= (double) f->max)) {
      snprintf(buf, len, "must be between %lld and %lld", (long long) f->min,
               (long long) f->max);
      return buf;
    }
    return NULL;
  case LTVD_F_OBJECT:
    return json_is_object(v) ? NULL : "must be an object";
  case LTVD_F_ARRAY:
    return json_is_array(v) ? NULL : "must be an array";
  case LTVD_F_DATE:
    return json_is_string(v) && ltvd_valid_date(json_string_value(v))
               ? NULL
               : "must be a date YYYY-MM-DD";
  case LTVD_F_ENUM:
    if (json_is_string(v))
      for (const char *const *c = f->choices; *c; c++)
        if (strcmp(*c, json_string_value(v)) == 0)
          return NULL;
    snprintf(buf, len, "must be one of");
    for (const char *const *c = f->choices; *c; c++) {
      size_t used = strlen(buf);
      snprintf(buf + used, len - used, "%s %s", c == f->choices ? "" : ",", *c);
    }
    return buf;
  }
  return "is invalid";
}

int ltvd_validate(const json_t *obj, const struct ltvd_field *fields, const char *const *also,
                  enum ltvd_validate_mode mode, long index, json_t *errors)
{
  const char *name;
  const json_t *v;
  char buf[256];
  int n = 0;

  json_object_foreach((json_t *) obj, name, v) {
    const struct ltvd_field *f = find(fields, name);
    const char *msg = NULL;
    if (listed(also, name))
      continue;
    if (f == NULL) {
      msg = "is not a known field";
    } else if (f->flags & LTVD_READONLY) {
      msg = "is read-only";
    } else if (json_is_null(v)) {
      if (f->flags & LTVD_REQUIRED)
        msg = "must not be null";
      else if (!(f->flags & LTVD_NULLABLE))
        msg = "must not be null";
    } else {
      msg = check_value(f, v, buf, sizeof buf);
    }
    if (msg) {
      json_array_append_new(errors, ltvd_field_error(name, index, "%s", msg));
      n++;
    }
  }
  if (mode == LTVD_VALIDATE_CREATE)
    for (const struct ltvd_field *f = fields; f->name; f++)
      if ((f->flags & LTVD_REQUIRED) && json_object_get(obj, f->name) == NULL) {
        json_array_append_new(errors, ltvd_field_error(f->name, index, "is required"));
        n++;
      }
  return n;
}

int ltvd_json_depth(const json_t *v)
{
  int deepest = 0;
  size_t i;
  const char *key;
  const json_t *child;

  if (json_is_object(v)) {
    json_object_foreach((json_t *) v, key, child) {
      int d = ltvd_json_depth(child);
      if (d > deepest)
        deepest = d;
    }
    return deepest + 1;
  }
  if (json_is_array(v)) {
    json_array_foreach(v, i, child) {
      int d = ltvd_json_depth(child);
      if (d > deepest)
        deepest = d;
    }
    return deepest + 1;
  }
  return 0;
}
