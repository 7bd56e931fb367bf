#include "ltvd/json_out.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ltvd_json_real(double d, char out[32])
{
  for (int precision = 1; precision <= 17; precision++) {
    snprintf(out, 32, "%.*g", precision, d);
    if (strtod(out, NULL) == d)
      break;
  }
  if (strpbrk(out, ".eEn") == NULL) /* "1" would read back as an integer */
    strcat(out, ".0");
}

static void put_string(FILE *f, const char *s, size_t len)
{
  fputc('"', f);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    switch (c) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\b': fputs("\\b", f); break;
    case '\f': fputs("\\f", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    default:
      if (c < 0x20)
        fprintf(f, "\\u%04x", c);
      else
        fputc(c, f);
    }
  }
  fputc('"', f);
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
    fputc('{', f);
    json_object_foreach((json_t *) v, key, child) {
      if (!first)
        fputc(',', f);
      first = false;
      put_string(f, key, strlen(key));
      fputc(':', f);
      put_value(f, child);
    }
    fputc('}', f);
    break;
  case JSON_ARRAY:
    fputc('[', f);
    json_array_foreach(v, i, child) {
      if (i > 0)
        fputc(',', f);
      put_value(f, child);
    }
    fputc(']', f);
    break;
  case JSON_STRING:
    put_string(f, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
    fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    break;
  case JSON_REAL:
    ltvd_json_real(json_real_value(v), number);
    fputs(number, f);
    break;
  case JSON_TRUE:
    fputs("true", f);
    break;
  case JSON_FALSE:
    fputs("false", f);
    break;
  default:
    fputs("null", f);
  }
}

char *ltvd_json_dumps(const json_t *v)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  if (f == NULL)
    abort();
  put_value(f, v);
  if (fclose(f) != 0 || text == NULL)
    abort();
  return text;
}
