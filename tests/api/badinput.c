#include "badinput.h"

#include <string.h>

static void assert_empty_list(const harness_response *r)
{
  harness_assert_status(r, 200);
  json_t *results = json_object_get(r->json, "results");
  ck_assert_msg(json_is_array(results) && json_array_size(results) == 0,
                "%s: expected an empty list: %.400s", r->what, r->body);
}

void bad_case_check(harness_env *env, const struct bad_case *c, bad_case_expand expand_path,
                    bad_case_expand expand_body)
{
  const char *before = harness_db_digest(env->db);
  const char *body = c->body;
  if (c->make_body)
    body = c->make_body();
  else if (body && expand_body)
    body = expand_body(body);
  const char *path = c->path;
  if (c->make_path)
    path = c->make_path();
  else if (expand_path)
    path = expand_path(path);
  size_t len = c->body_len ? c->body_len : (size_t)-1;
  const char *h[] = {c->make_header ? c->make_header() : c->header, NULL};
  harness_response *r = harness_call_n(env, c->scope, c->method, path, h, body, len);
  harness_response_label(r, c->name);
  long want = c->alt_status && r->status == c->alt_status ? c->alt_status : c->status;
  if (want == 200)
    assert_empty_list(r);
  else if (c->index > 0)
    harness_assert_problem_at(__FILE__, __LINE__, r, want, c->field ? c->field : "", c->index - 1);
  else
    harness_assert_problem(r, want, want == 400 ? NULL : c->field);
  if (want == 400 && c->field)
    ck_assert_msg(harness_problem_mentions(r, c->field),
                  "[%s] the problem neither names nor mentions %s: %s", c->name, c->field, r->body);
  ck_assert_msg(harness_header(r, "X-Request-Id") != NULL, "[%s] no X-Request-Id", c->name);
  ck_assert_msg(strcmp(harness_db_digest(env->db), before) == 0, "[%s] changed the database",
                c->name);
  ck_assert_msg(harness_server_alive(env->srv), "[%s] ltvd died", c->name);
}

const char *bad_body_2mb(const char *member)
{
  char *b = harness_repeat('x', 2 << 20);
  char *head = harness_fmt("{\"%s\":\"", member);
  memcpy(b, head, strlen(head));
  memcpy(b + (2 << 20) - 2, "\"}", 2);
  return b;
}

const char *bad_nested_arrays(int depth)
{
  char *b = harness_repeat('[', 2 * (size_t)depth);
  memset(b + depth, ']', depth);
  return b;
}

const char *bad_case_expand_ids(const char *text, long long id)
{
  static const struct {
    const char *name;
    long long offset;
  } placeholders[] = {{"{id}", 0}, {"{other}", 1}};
  const char *p;

  for (size_t i = 0; i < sizeof placeholders / sizeof *placeholders; i++) {
    size_t n = strlen(placeholders[i].name);
    while (text && (p = strstr(text, placeholders[i].name)) != NULL)
      text = harness_fmt("%.*s%lld%s", (int)(p - text), text, id + placeholders[i].offset, p + n);
  }
  return text;
}
