/* What business units, products and pipelines share: a resource named by a key in the
 * path, found (locked for a write) or answered 404, a body whose key follows one pattern,
 * and a merge patch that may repeat the key and name the version it expects. */
#include "ltvd/catalog.h"

#include <string.h>

#include "ltvd/catalog_db.h"
#include "ltvd/paging.h"

PGresult *ltvd_catalog_find(struct ltvd_req *r, ltvd_catalog_get get, bool for_update,
                            const char *missing)
{
  if (!ltvd_valid_key(r->params[0])) {
    ltvd_problem(r, 404, "%s", missing);
    return NULL;
  }
  PGresult *res = get(r->db, r->params[0], for_update);
  if (res == NULL) {
    ltvd_reply_db_error(r);
    return NULL;
  }
  if (PQntuples(res) == 0) {
    PQclear(res);
    ltvd_problem(r, 404, "%s", missing);
    return NULL;
  }
  return res;
}

const char *ltvd_catalog_check_new(struct ltvd_req *r, const struct ltvd_field *fields,
                                   json_t *errors)
{
  const char *key = json_string_value(json_object_get(r->json, "key"));

  ltvd_validate(r->json, fields, NULL, LTVD_VALIDATE_CREATE, -1, errors);
  if (key && !ltvd_valid_key(key))
    json_array_append_new(errors, ltvd_field_error("key", -1, "must match %s", LTVD_KEY_PATTERN));
  return key;
}

void ltvd_catalog_check_patch(struct ltvd_req *r, const struct ltvd_field *fields, json_t *errors)
{
  static const char *const patch_extras[] = {"version", NULL};

  ltvd_validate(r->json, fields, patch_extras, LTVD_VALIDATE_PATCH, -1, errors);
  json_t *key = json_object_get(r->json, "key"), *version = json_object_get(r->json, "version");
  if (json_is_string(key) && strcmp(json_string_value(key), r->params[0]) != 0)
    json_array_append_new(errors, ltvd_field_error("key", -1, "must equal the key in the path"));
  if (version && !json_is_integer(version))
    json_array_append_new(errors, ltvd_field_error("version", -1, "must be an integer"));
}

int ltvd_catalog_may_delete(struct ltvd_req *r, PGresult *found)
{
  if (found == NULL)
    return r->status;
  int64_t current = ltvd_db_catalog_version(found, 0);
  PQclear(found);
  return ltvd_req_if_match(r, current) ? 0 : r->status;
}
