#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/json_out.h"
#include "unit.h"

static char *real(double d)
{
  static char out[32];
  ltvd_json_real(d, out);
  return out;
}

START_TEST(reals_take_their_shortest_exact_form)
{
  ck_assert_str_eq(real(0.1), "0.1");
  ck_assert_str_eq(real(0.5), "0.5");
  ck_assert_str_eq(real(1.0 / 3.0), "0.3333333333333333");
  ck_assert_str_eq(real(0.1 + 0.2), "0.30000000000000004"); /* not 0.3: never rounded */
  ck_assert_str_eq(real(1.0), "1.0");
  ck_assert_str_eq(real(-2.0), "-2.0");
  ck_assert_str_eq(real(0.0), "0.0");
  ck_assert_str_eq(real(1e21), "1e+21");
  ck_assert_str_eq(real(123456.75), "123456.75");
}
END_TEST

START_TEST(every_real_reads_back_exactly)
{
  unsigned long state = 7;

  for (int i = 0; i < 20000; i++) {
    state = state * 6364136223846793005UL + 1442695040888963407UL;
    double d = (double) (state >> 11) / (double) (1UL << 53) * pow(10, (int) (state % 40) - 20);
    ck_assert_msg(strtod(real(d), NULL) == d, "%.17g printed as %s", d, real(d));
  }
  ck_assert(strtod(real(DBL_MAX), NULL) == DBL_MAX);
  ck_assert(strtod(real(DBL_MIN), NULL) == DBL_MIN);
}
END_TEST

START_TEST(documents_read_as_jansson_writes_them)
{
  json_t *v = json_loads("{\"b\":[1,2.5,true,false,null,-7],\"a\":\"q\\\"\\\\\\n\\t\\u0001\xc3\xa9/\","
                         "\"c\":{},\"d\":[],\"e\":0.1}",
                         0, NULL);
  char *mine = ltvd_json_dumps(v);
  char *theirs = json_dumps(v, JSON_COMPACT);

  ck_assert_str_eq(mine, "{\"b\":[1,2.5,true,false,null,-7],\"a\":\"q\\\"\\\\\\n\\t\\u0001\xc3\xa9/\","
                         "\"c\":{},\"d\":[],\"e\":0.1}");
  /* apart from reals, byte for byte what jansson writes */
  json_object_del(v, "e");
  free(mine);
  mine = ltvd_json_dumps(v);
  free(theirs);
  theirs = json_dumps(v, JSON_COMPACT);
  ck_assert_str_eq(mine, theirs);
  free(mine);
  free(theirs);
  json_decref(v);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("json_out");
  TCase *tc = tcase_create("json_out");

  tcase_set_timeout(tc, 60); /* sanitizer builds on a loaded machine are slow */

  ADD(tc, reals_take_their_shortest_exact_form);
  ADD(tc, every_real_reads_back_exactly);
  ADD(tc, documents_read_as_jansson_writes_them);
  suite_add_tcase(s, tc);
  return s;
}
