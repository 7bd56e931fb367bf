#include "ltvd/json_out.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* When some form of at most 15 digits reads back as d, "%.15g" prints it (rounding d to
 * 15 digits gives that form padded with zeros, which %g strips), so only 15, 16 and 17
 * digits need trying. */
void ltvd_json_real(double d, char out[32])
{
  for (int precision = 15; precision <= 17; precision++) {
    snprintf(out, 32, "%.*g", precision, d);
    if (strtod(out, NULL) == d)
      break;
  }
  if (strpbrk(out, ".eEn") == NULL) /* "1" would read back as an integer */
    strcat(out, ".0");
}

static void put_string(FILE *f, const char *s, size_t len)
{
  putc_unlocked('"', f);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    switch (c) {
    case '"': fputs_unlocked("\\\"", f); break;
    case '\\': fputs_unlocked("\\\\", f); break;
    case '\b': fputs_unlocked("\\b", f); break;
    case '\f': fputs_unlocked("\\f", f); break;
    case '\n': fputs_unlocked("\\n", f); break;
    case '\r': fputs_unlocked("\\r", f); break;
    case '\t': fputs_unlocked("\\t", f); break;
    default:
      if (c < 0x20)
        fprintf(f, "\\u%04x", c);
      else
        putc_unlocked(c, f);
    }
  }
  putc_unlocked('"', f);
}

static void put_value(FILE *f, const json_t *v)
{
  char number[32];
  const char *key;
  json_t *child;
  size_t i;
  bool first = true;

  switch (json_typeof(v)) {
  case JSON_OBJECT:
    putc_unlocked('{', f);
    json_object_foreach((json_t *) v, key, child) {
      if (!first)
        putc_unlocked(',', f);
      first = false;
      put_string(f, key, strlen(key));
      putc_unlocked(':', f);
      put_value(f, child);
    }
    putc_unlocked('}', f);
    break;
  case JSON_ARRAY:
    putc_unlocked('[', f);
    json_array_foreach(v, i, child) {
      if (i > 0)
        putc_unlocked(',', f);
      put_value(f, child);
    }
    putc_unlocked(']', f);
    break;
  case JSON_STRING:
    put_string(f, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
    fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    break;
  case JSON_REAL:
    ltvd_json_real(json_real_value(v), number);
    fputs_unlocked(number, f);
    break;
  case JSON_TRUE:
    fputs_unlocked("true", f);
    break;
  case JSON_FALSE:
    fputs_unlocked("false", f);
    break;
  default:
    fputs_unlocked("null", f);
  }
}

char *ltvd_json_dumps(const json_t *v)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  if (f == NULL)
    abort();
  flockfile(f); /* the stream is ours alone: write without a lock per character */
  put_value(f, v);
  funlockfile(f);
  if (fclose(f) != 0 || text == NULL)
    abort();
  return text;
}
