/* Declarative validation of JSON objects: a table of fields in, the failing fields and
 * reasons out (as ltvd_field_error entries), so every endpoint reports content errors
 * the same way and names each field. */
#ifndef LTVD_VALIDATE_H
#define LTVD_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum ltvd_field_type {
  LTVD_F_STRING,  /* min..max characters */
  LTVD_F_INTEGER, /* JSON integer in min..max */
  LTVD_F_MONEY,   /* JSON integer in 0..2^53-1 */
  LTVD_F_NUMBER,  /* any JSON number in min..max */
  LTVD_F_OBJECT,
  LTVD_F_ARRAY,
  LTVD_F_DATE,    /* "YYYY-MM-DD" */
  LTVD_F_ENUM,    /* one of choices */
};

enum ltvd_field_flags {
  LTVD_REQUIRED = 1 << 0, /* must be present (and not null) on create */
  LTVD_NULLABLE = 1 << 1, /* null accepted */
  LTVD_READONLY = 1 << 2, /* present in responses only; given in a body it is an error */
};

struct ltvd_field {
  const char *name;
  enum ltvd_field_type type;
  unsigned flags;
  int64_t min, max;
  const char *const *choices; /* NULL-terminated, for LTVD_F_ENUM */
};

enum ltvd_validate_mode {
  LTVD_VALIDATE_CREATE, /* required fields must be present */
  LTVD_VALIDATE_PATCH,  /* nothing is required; required fields cannot be null */
};

/* Appends an error per failing field of obj to errors (index < 0: none) and returns how
 * many it appended. fields ends with {NULL}. Fields named in `also` (NULL-terminated)
 * are tolerated without checks: the caller checks them. */
int ltvd_validate(const json_t *obj, const struct ltvd_field *fields, const char *const *also,
                  enum ltvd_validate_mode mode, long index, json_t *errors);

/* The depth of nested objects and arrays in v (a scalar is 0). */
int ltvd_json_depth(const json_t *v);

#endif
