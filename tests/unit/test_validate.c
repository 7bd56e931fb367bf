#include <string.h>

#include "ltvd/customers.h"
#include "ltvd/validate.h"
#include "unit.h"

static const char *const colours[] = {"red", "green", NULL};
static const struct ltvd_field fields[] = {
    {"name", LTVD_F_STRING, LTVD_REQUIRED, 1, 5, NULL},
    {"count", LTVD_F_INTEGER, LTVD_NULLABLE, 0, 10, NULL},
    {"price", LTVD_F_MONEY, 0, 0, 0, NULL},
    {"share", LTVD_F_NUMBER, 0, 0, 1, NULL},
    {"on", LTVD_F_DATE, 0, 0, 0, NULL},
    {"colour", LTVD_F_ENUM, 0, 0, 0, colours},
    {"id", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* The errors of body as "field:message;" pairs, for compact assertions. */
static char *errors_of(const char *body, enum ltvd_validate_mode mode)
{
  static char out[2048];
  json_t *obj = json_loads(body, 0, NULL);
  json_t *errors = json_array();
  size_t i;
  json_t *e;

  ck_assert_ptr_nonnull(obj);
  int n = ltvd_validate(obj, fields, NULL, mode, -1, errors);
  ck_assert_int_eq(n, (int) json_array_size(errors));
  out[0] = '\0';
  json_array_foreach(errors, i, e) {
    strcat(out, json_string_value(json_object_get(e, "field")));
    strcat(out, ":");
    strcat(out, json_string_value(json_object_get(e, "message")));
    strcat(out, ";");
  }
  json_decref(obj);
  json_decref(errors);
  return out;
}

START_TEST(valid_bodies_pass)
{
  ck_assert_str_eq(errors_of("{\"name\":\"abc\"}", LTVD_VALIDATE_CREATE), "");
  ck_assert_str_eq(errors_of("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\","
                             "\"count\":null,\"price\":9007199254740991,\"share\":0.5,"
                             "\"on\":\"2024-02-29\",\"colour\":\"green\"}",
                             LTVD_VALIDATE_CREATE),
                   ""); /* five characters in ten bytes is within max 5 */
  ck_assert_str_eq(errors_of("{}", LTVD_VALIDATE_PATCH), "");
}
END_TEST

START_TEST(each_failure_names_its_field)
{
  ck_assert_str_eq(errors_of("{}", LTVD_VALIDATE_CREATE), "name:is required;");
  ck_assert_str_eq(errors_of("{\"name\":null}", LTVD_VALIDATE_PATCH), "name:must not be null;");
  ck_assert_str_eq(errors_of("{\"name\":\"\"}", LTVD_VALIDATE_PATCH),
                   "name:must be 1 to 5 characters long;");
  ck_assert_str_eq(errors_of("{\"name\":\"abcdef\"}", LTVD_VALIDATE_PATCH),
                   "name:must be 1 to 5 characters long;");
  ck_assert_str_eq(errors_of("{\"count\":1.0}", LTVD_VALIDATE_PATCH), "count:must be an integer;");
  ck_assert_str_eq(errors_of("{\"count\":1.5}", LTVD_VALIDATE_PATCH), "count:must be an integer;");
  ck_assert_str_eq(errors_of("{\"count\":\"3\"}", LTVD_VALIDATE_PATCH), "count:must be an integer;");
  ck_assert_str_eq(errors_of("{\"count\":11}", LTVD_VALIDATE_PATCH), "count:must be between 0 and 10;");
  ck_assert_str_eq(errors_of("{\"price\":-1}", LTVD_VALIDATE_PATCH),
                   "price:must be between 0 and 9007199254740991;");
  ck_assert_str_eq(errors_of("{\"price\":9007199254740992}", LTVD_VALIDATE_PATCH),
                   "price:must be between 0 and 9007199254740991;");
  ck_assert_str_eq(errors_of("{\"price\":null}", LTVD_VALIDATE_PATCH), "price:must not be null;");
  ck_assert_str_eq(errors_of("{\"share\":1.01}", LTVD_VALIDATE_PATCH), "share:must be between 0 and 1;");
  ck_assert_str_eq(errors_of("{\"on\":\"2023-02-29\"}", LTVD_VALIDATE_PATCH),
                   "on:must be a date YYYY-MM-DD;");
  ck_assert_str_eq(errors_of("{\"colour\":\"blue\"}", LTVD_VALIDATE_PATCH),
                   "colour:must be one of red, green;");
  ck_assert_str_eq(errors_of("{\"id\":1}", LTVD_VALIDATE_PATCH), "id:is read-only;");
  ck_assert_str_eq(errors_of("{\"zz\":1}", LTVD_VALIDATE_PATCH), "zz:is not a known field;");
}
END_TEST

START_TEST(all_failures_are_reported_at_once)
{
  ck_assert_str_eq(errors_of("{\"count\":-1,\"zz\":0}", LTVD_VALIDATE_CREATE),
                   "count:must be between 0 and 10;zz:is not a known field;name:is required;");
}
END_TEST

START_TEST(batch_errors_carry_the_index)
{
  json_t *obj = json_loads("{\"count\":\"x\"}", 0, NULL);
  json_t *errors = json_array();

  ltvd_validate(obj, fields, NULL, LTVD_VALIDATE_PATCH, 7, errors);
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(errors, 0), "index")), 7);
  json_decref(obj);
  json_decref(errors);
}
END_TEST

START_TEST(depth_counts_containers)
{
  json_t *v = json_loads("{\"a\":{\"b\":[1,{\"c\":2}]}}", 0, NULL);

  ck_assert_int_eq(ltvd_json_depth(v), 4);
  json_decref(v);
  v = json_integer(1);
  ck_assert_int_eq(ltvd_json_depth(v), 0);
  json_decref(v);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("validate");
  TCase *tc = tcase_create("validate");

  ADD(tc, valid_bodies_pass);
  ADD(tc, each_failure_names_its_field);
  ADD(tc, all_failures_are_reported_at_once);
  ADD(tc, batch_errors_carry_the_index);
  ADD(tc, depth_counts_containers);
  suite_add_tcase(s, tc);
  return s;
}
