/* Hook sources over HTTP (admin only): list, create, get, delete and rotate. A secret
 * (32 random bytes, hex) is in the reply that creates it and nowhere else afterwards
 * (Cache-Control: no-store); Idempotency-Key is refused where a replay would have to
 * keep it. Sources are configuration, not data: no data version is bumped. */
#include <string.h>

#include "ltvd/db.h"
#include "ltvd/hooks.h"
#include "ltvd/paging.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define NAME_PATTERN "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"

static const struct ltvd_field source_fields[] = {
    {"name", LTVD_F_STRING, LTVD_REQUIRED, 0, INT64_MAX, NULL}, /* the pattern says the rest */
    {"path", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"secret", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"rotated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"previous_secret_valid_until", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static void new_secret(char out[65])
{
  unsigned char raw[32];

  ltvd_random_bytes(raw, sizeof raw);
  ltvd_hex(raw, sizeof raw, out);
}

static int not_found(struct ltvd_req *r)
{
  return ltvd_problem(r, 404, "no hook source has this name");
}

/* Appends the refusal of Idempotency-Key to errors when the header is there. */
static void refuse_idempotency(struct ltvd_req *r, json_t *errors)
{
  if (ltvd_req_header(r, "Idempotency-Key"))
    json_array_append_new(errors, ltvd_field_error("Idempotency-Key", -1,
                                                   "is not accepted here: a hook secret is "
                                                   "shown once and never stored for a replay"));
}

/* The source of res with its new secret: the one reply that shows it. */
static int reply_with_secret(struct ltvd_req *r, int status, PGresult *res, const char *secret)
{
  json_t *body = ltvd_db_hook_source_json(res, 0);

  if (status == 201)
    ltvd_reply_header(r, "Location", "/v1/hook-sources/%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  json_object_set_new(body, "secret", json_string(secret));
  ltvd_reply_header(r, "Cache-Control", "no-store");
  return ltvd_reply_json_new(r, status, body);
}

int ltvd_api_hook_sources_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse_kind(r, LTVD_CURSOR_KEY, &page)))
    return status;
  return ltvd_reply_key_page(r, &page, ltvd_db_hook_source_list(r->db, page.after_key, page.limit + 1), ltvd_db_hook_source_json);
}

int ltvd_api_hook_sources_create(struct ltvd_req *r)
{
  json_t *errors = json_array();
  const char *name = json_string_value(json_object_get(r->json, "name"));
  char secret[65];

  refuse_idempotency(r, errors);
  ltvd_validate(r->json, source_fields, NULL, LTVD_VALIDATE_CREATE, -1, errors);
  if (name && !ltvd_valid_key(name))
    json_array_append_new(errors, ltvd_field_error("name", -1, "must match %s", NAME_PATTERN));
  if (json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the hook source is invalid", errors);
  json_decref(errors);
  new_secret(secret);
  PGresult *res = ltvd_db_hook_source_insert(r->db, name, secret);
  if (res == NULL && ltvd_db_last_error() == LTVD_DB_UNIQUE)
    return ltvd_problem_field(r, 409, "name", "a hook source named %s exists already", name);
  return res ? reply_with_secret(r, 201, res, secret) : ltvd_reply_db_error(r);
}

int ltvd_api_hook_sources_get(struct ltvd_req *r)
{
  if (!ltvd_valid_key(r->params[0]))
    return not_found(r);
  PGresult *res = ltvd_db_hook_source_get(r->db, r->params[0]);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) == 0) {
    PQclear(res);
    return not_found(r);
  }
  json_t *body = ltvd_db_hook_source_json(res, 0);
  PQclear(res);
  return ltvd_reply_json_new(r, 200, body);
}

int ltvd_api_hook_sources_delete(struct ltvd_req *r)
{
  if (!ltvd_valid_key(r->params[0]))
    return not_found(r);
  PGresult *res = ltvd_db_hook_source_delete(r->db, r->params[0]);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  bool found = PQntuples(res) == 1;
  PQclear(res);
  return found ? ltvd_reply_empty(r, 204) : not_found(r);
}

int ltvd_api_hook_sources_rotate(struct ltvd_req *r)
{
  json_t *errors = json_array();
  char secret[65];

  if (!ltvd_valid_key(r->params[0])) {
    json_decref(errors);
    return not_found(r);
  }
  refuse_idempotency(r, errors);
  if (json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the rotation is invalid", errors);
  json_decref(errors);
  new_secret(secret);
  PGresult *res = ltvd_db_hook_source_rotate(r->db, r->params[0], secret);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  if (PQntuples(res) == 0) {
    PQclear(res);
    return not_found(r);
  }
  return reply_with_secret(r, 200, res, secret);
}
