/* API keys over HTTP (admin only): list (never the hash), create (the secret is in the
 * 201 body and nowhere else) and revoke. Revoking updates api_keys, whose trigger
 * empties every process's key cache, so the key stops working within a second. */
#include <string.h>

#include "ltvd/admin.h"
#include "ltvd/auth.h"
#include "ltvd/catalog_db.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/validate.h"

static const char *const scopes[] = {"read", "write", "admin", NULL};

static const struct ltvd_field key_fields[] = {
    {"name", LTVD_F_STRING, LTVD_REQUIRED, 1, 100, NULL},
    {"scope", LTVD_F_ENUM, LTVD_REQUIRED, 0, 0, scopes},
    {"id", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"prefix", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"key", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"revoked_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int ltvd_api_api_keys_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse(r, &page)))
    return status;
  return ltvd_reply_id_page(r, &page, ltvd_db_api_key_list(r->db, page.after, page.limit + 1), ltvd_db_api_key_json, ltvd_db_api_key_id);
}

int ltvd_api_api_keys_create(struct ltvd_req *r)
{
  json_t *errors = json_array();
  enum ltvd_scope scope;
  char secret[70];
  int64_t id;

  /* a replay would have to store the secret in the idempotency record, in the clear */
  if (ltvd_req_header(r, "Idempotency-Key"))
    json_array_append_new(errors, ltvd_field_error("Idempotency-Key", -1,
                                                   "is not accepted here: the secret of a new "
                                                   "key is shown once and never stored"));
  if (ltvd_validate(r->json, key_fields, NULL, LTVD_VALIDATE_CREATE, -1, errors) ||
      json_array_size(errors) > 0)
    return ltvd_problem_errors_new(r, 422, "the API key is invalid", errors);
  json_decref(errors);
  ltvd_scope_parse(json_string_value(json_object_get(r->json, "scope")), &scope);
  if (!ltvd_auth_create_key(r->db, json_string_value(json_object_get(r->json, "name")), scope,
                            secret, &id))
    return ltvd_reply_db_error(r);
  PGresult *res = ltvd_db_api_key_get(r->db, id);
  if (res == NULL || PQntuples(res) != 1) {
    PQclear(res);
    return ltvd_reply_db_error(r);
  }
  json_t *body = ltvd_db_api_key_json(res, 0);
  PQclear(res);
  json_object_set_new(body, "key", json_string(secret));
  ltvd_reply_header(r, "Location", "/v1/api-keys/%lld", (long long) id);
  ltvd_reply_header(r, "Cache-Control", "no-store");
  return ltvd_reply_json_new(r, 201, body);
}

int ltvd_api_api_keys_delete(struct ltvd_req *r)
{
  int64_t id;
  int status;

  if ((status = ltvd_req_id(r, 0, &id)))
    return status;
  PGresult *res = ltvd_db_api_key_revoke(r->db, id);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  bool found = PQntuples(res) == 1;
  PQclear(res);
  if (!found)
    return ltvd_problem(r, 404, "no live API key has id %lld", (long long) id);
  return ltvd_reply_empty(r, 204);
}
