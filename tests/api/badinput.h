/* Table-driven invalid input, shared by the test_badinput*.c programs: each case gives
 * the request, the status it must get and the field its problem body must name; the
 * runner asserts that the database did not change (harness_db_digest) and that the
 * server is still up.  Cases expecting 200 are hostile but valid list requests: they
 * must answer an empty list. */
#ifndef LTVD_TESTS_API_BADINPUT_H
#define LTVD_TESTS_API_BADINPUT_H

#include <stddef.h>

#include "harness.h"

struct bad_case {
  const char *name;
  const char *method;
  const char *path; /* placeholders are replaced by the table's expand_path */
  const char *scope;
  const char *header;
  const char *body;
  size_t body_len; /* 0: strlen(body) */
  const char *(*make_body)(void);
  const char *(*make_header)(void);
  const char *(*make_path)(void);
  long status;
  long alt_status;   /* another acceptable status, or 0 */
  const char *field; /* 400: named in errors or in detail; else named in errors */
  long index;        /* 0 means any; an index is given as i + 1 */
};

/* A table's placeholder replacement (e.g. "{id}" by a seed row's id); NULL: none. */
typedef const char *(*bad_case_expand)(const char *text);

/* text with every "{id}" replaced by id and every "{other}" by id + 1 (NULL stays NULL);
 * freed by harness_free_all. The tables' expand functions call it with their seed id. */
const char *bad_case_expand_ids(const char *text, long long id);

/* Sends case c to env's server (path through expand_path, a literal body through
 * expand_body) and asserts its reply, that the database is unchanged and that the server
 * is alive. */
void bad_case_check(harness_env *env, const struct bad_case *c, bad_case_expand expand_path,
                    bad_case_expand expand_body);

/* Bodies for the tables: {"member":"xxx…"} of 2 MiB in all, and depth nested arrays
 * "[[…]]", both freed by harness_free_all. */
const char *bad_body_2mb(const char *member);
const char *bad_nested_arrays(int depth);

#endif
