#include <string.h>

#include "ltvd/http.h"
#include "unit.h"

struct outcome {
  const struct ltvd_route *route;
  bool known;
  char allow[128];
  char params[LTVD_MAX_PATH_PARAMS][64];
};

static struct outcome route(const char *method, const char *path)
{
  struct outcome o = {0};
  char copy[256];
  char *params[LTVD_MAX_PATH_PARAMS] = {0};

  strcpy(copy, path);
  o.route = ltvd_route_match(method, copy, params, &o.known, o.allow, sizeof o.allow);
  for (int i = 0; i < LTVD_MAX_PATH_PARAMS && params[i]; i++)
    strcpy(o.params[i], params[i]);
  return o;
}

START_TEST(literal_routes_match)
{
  struct outcome o = route("GET", "/v1/customers");

  ck_assert_ptr_nonnull(o.route);
  ck_assert_str_eq(o.route->path, "/v1/customers");
  ck_assert_str_eq(o.route->method, "GET");
}
END_TEST

START_TEST(parameters_are_captured)
{
  struct outcome o = route("PATCH", "/v1/customers/42");

  ck_assert_ptr_nonnull(o.route);
  ck_assert_str_eq(o.route->path, "/v1/customers/{id}");
  ck_assert_str_eq(o.params[0], "42");
  o = route("GET", "/v1/customers/external/crm%2F7");
  ck_assert_str_eq(o.route->path, "/v1/customers/external/{external_id}");
  ck_assert_str_eq(o.params[0], "crm%2F7"); /* decoded later, after the split */
}
END_TEST

START_TEST(a_literal_segment_beats_a_parameter)
{
  struct outcome o = route("POST", "/v1/customers/batch");

  ck_assert_ptr_nonnull(o.route);
  ck_assert_str_eq(o.route->path, "/v1/customers/batch");
  /* GET on the literal path is not the {id} route: the path exists, the method not */
  o = route("GET", "/v1/customers/batch");
  ck_assert_ptr_null(o.route);
  ck_assert(o.known);
  ck_assert_str_eq(o.allow, "POST");
}
END_TEST

START_TEST(unknown_method_lists_allowed_ones)
{
  struct outcome o = route("PUT", "/v1/customers/1");

  ck_assert_ptr_null(o.route);
  ck_assert(o.known);
  ck_assert_str_eq(o.allow, "GET, PATCH, DELETE");
}
END_TEST

START_TEST(unknown_paths_are_unknown)
{
  static const char *const paths[] = {"/", "", "v1/customers", "/v1/customers/",
                                      "/v1/customers/1/x", "/v1//customers", "/v2/customers",
                                      "/v1/customers/external/"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    struct outcome o = route("GET", paths[i]);
    ck_assert_msg(o.route == NULL && !o.known, "matched \"%s\"", paths[i]);
  }
}
END_TEST

START_TEST(head_is_served_as_get)
{
  struct outcome o = route("HEAD", "/healthz");

  ck_assert_ptr_nonnull(o.route);
  ck_assert_str_eq(o.route->method, "GET");
}
END_TEST

START_TEST(routes_are_unique)
{
  for (size_t i = 0; i < ltvd_routes_count; i++)
    for (size_t k = i + 1; k < ltvd_routes_count; k++)
      ck_assert_msg(strcmp(ltvd_routes[i].path, ltvd_routes[k].path) != 0 ||
                        strcmp(ltvd_routes[i].method, ltvd_routes[k].method) != 0,
                    "%s %s twice", ltvd_routes[i].method, ltvd_routes[i].path);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("router");
  TCase *tc = tcase_create("router");

  ADD(tc, literal_routes_match);
  ADD(tc, parameters_are_captured);
  ADD(tc, a_literal_segment_beats_a_parameter);
  ADD(tc, unknown_method_lists_allowed_ones);
  ADD(tc, unknown_paths_are_unknown);
  ADD(tc, head_is_served_as_get);
  ADD(tc, routes_are_unique);
  suite_add_tcase(s, tc);
  return s;
}
