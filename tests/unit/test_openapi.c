/* The routing table and openapi/ltvd.yaml (embedded as JSON) must describe the same
 * routes: every route documented, every documented operation routed, and the key
 * requirement the same on both sides. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "ltvd/embedded.h"
#include "ltvd/http.h"
#include "unit.h"

static json_t *doc;

static void load(void)
{
  json_error_t err;
  doc = json_loadb(ltvd_embedded_openapi_json, ltvd_embedded_openapi_json_len, 0, &err);
  ck_assert_msg(doc != NULL, "openapi json: %s", err.text);
}

static void unload(void) { json_decref(doc); }

static json_t *operation(const char *path, const char *method)
{
  char lower[16];
  size_t i = 0;

  for (; method[i] && i < sizeof lower - 1; i++)
    lower[i] = (char) tolower((unsigned char) method[i]);
  lower[i] = '\0';
  return json_object_get(json_object_get(json_object_get(doc, "paths"), path), lower);
}

START_TEST(document_is_openapi_3_1)
{
  const char *v = json_string_value(json_object_get(doc, "openapi"));

  ck_assert_ptr_nonnull(v);
  ck_assert_int_eq(strncmp(v, "3.1", 3), 0);
}
END_TEST

START_TEST(every_route_is_documented)
{
  char missing[4096] = "";

  for (size_t i = 0; i < ltvd_routes_count; i++)
    if (operation(ltvd_routes[i].path, ltvd_routes[i].method) == NULL) {
      size_t used = strlen(missing);
      snprintf(missing + used, sizeof missing - used, "\n  %s %s", ltvd_routes[i].method,
               ltvd_routes[i].path);
    }
  ck_assert_msg(missing[0] == '\0', "routed but not in openapi/ltvd.yaml:%s", missing);
}
END_TEST

START_TEST(every_documented_operation_is_routed)
{
  static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head",
                                        "options", "trace"};
  const char *path;
  json_t *item;

  json_object_foreach(json_object_get(doc, "paths"), path, item) {
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
      if (json_object_get(item, methods[m]) == NULL)
        continue;
      bool routed = false;
      for (size_t i = 0; i < ltvd_routes_count && !routed; i++)
        routed = strcmp(ltvd_routes[i].path, path) == 0 &&
                 strcasecmp(ltvd_routes[i].method, methods[m]) == 0;
      ck_assert_msg(routed, "%s %s is documented but not routed", methods[m], path);
    }
  }
}
END_TEST

START_TEST(key_requirements_agree)
{
  for (size_t i = 0; i < ltvd_routes_count; i++) {
    json_t *op = operation(ltvd_routes[i].path, ltvd_routes[i].method);
    json_t *security = json_object_get(op, "security");
    bool open = json_is_array(security) && json_array_size(security) == 0;
    ck_assert_msg(open == (ltvd_routes[i].scope == LTVD_SCOPE_NONE),
                  "%s %s: the document and the routing table disagree on the key",
                  ltvd_routes[i].method, ltvd_routes[i].path);
  }
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("openapi");
  TCase *tc = tcase_create("routes");

  tcase_add_checked_fixture(tc, load, unload);
  ADD(tc, document_is_openapi_3_1);
  ADD(tc, every_route_is_documented);
  ADD(tc, every_documented_operation_is_routed);
  ADD(tc, key_requirements_agree);
  suite_add_tcase(s, tc);
  return s;
}
