#include "ltvd/idempotency.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ltvd/db.h"
#include "ltvd/util.h"

/* The headers a replay repeats. */
static const char *const kept_headers[] = {"Location", "ETag", "X-Ltvd-Data-Version"};

static bool valid_key(const char *k)
{
  size_t n = strlen(k);

  if (n == 0 || n > 255)
    return false;
  for (const char *p = k; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return false;
  return true;
}

static int replay(struct ltvd_req *r, PGresult *res)
{
  json_t *headers = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
  const char *name;
  json_t *value;

  ltvd_reply_bytes(r, atoi(PQgetvalue(res, 0, 1)), NULL, PQgetvalue(res, 0, 3),
                   (size_t) PQgetlength(res, 0, 3));
  json_object_foreach(headers, name, value) {
    if (strcasecmp(name, "Content-Type") == 0)
      r->reply_type = strcmp(json_string_value(value), "application/json") == 0
                          ? "application/json"
                          : "application/problem+json";
    else
      ltvd_reply_header(r, name, "%s", json_string_value(value));
  }
  json_decref(headers);
  ltvd_reply_header(r, "Idempotent-Replayed", "true");
  return r->status;
}

int ltvd_idem_begin(struct ltvd_req *r, struct ltvd_idem *st)
{
  const char *k = ltvd_req_header(r, "Idempotency-Key");
  unsigned char hash[32];
  char key_id[24];

  st->active = false;
  if (k == NULL || strcmp(r->method, "POST") != 0)
    return 0;
  if (!valid_key(k))
    return ltvd_problem(r, 400, "Idempotency-Key must be 1 to 255 printable ASCII characters");
  strcpy(st->key, k);
  ltvd_sha256(r->body ? r->body : "", r->body_len, hash);
  ltvd_hex(hash, 32, st->body_hash);
  st->active = true;
  snprintf(key_id, sizeof key_id, "%lld", (long long) r->key.id);
  PGresult *res = LTVD_DB_RUN(r->db, "idem_lookup", key_id, st->key, r->method, r->path);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  int status = 0;
  if (PQntuples(res) == 1) {
    if (strcmp(PQgetvalue(res, 0, 0), st->body_hash) == 0)
      status = replay(r, res);
    else
      status = ltvd_problem(r, 422, "Idempotency-Key %s was used with another body", st->key);
  }
  PQclear(res);
  return status;
}

enum ltvd_idem_store ltvd_idem_store(struct ltvd_req *r, const struct ltvd_idem *st)
{
  char key_id[24], status[8];
  json_t *headers = json_object();

  json_object_set_new(headers, "Content-Type",
                      json_string(r->reply_type ? r->reply_type : "application/json"));
  for (int i = 0; i < r->n_headers; i++)
    for (size_t k = 0; k < sizeof kept_headers / sizeof *kept_headers; k++)
      if (strcasecmp(r->header_names[i], kept_headers[k]) == 0)
        json_object_set_new(headers, kept_headers[k], json_string(r->header_values[i]));
  char *headers_text = json_dumps(headers, JSON_COMPACT);
  json_decref(headers);
  snprintf(key_id, sizeof key_id, "%lld", (long long) r->key.id);
  snprintf(status, sizeof status, "%d", r->status);
  PGresult *res = LTVD_DB_RUN(r->db, "idem_store", key_id, st->key, r->method, r->path,
                              st->body_hash, status, headers_text, r->reply ? r->reply : "");
  free(headers_text);
  if (res == NULL)
    return LTVD_IDEM_FAILED;
  enum ltvd_idem_store out = PQntuples(res) == 1 ? LTVD_IDEM_STORED : LTVD_IDEM_TAKEN;
  PQclear(res);
  return out;
}

const struct ltvd_stmt ltvd_db_idempotency_stmts[] = {
    {"idem_lookup",
     "SELECT encode(body_sha256, 'hex'), status, headers::text, body "
     "FROM idempotency_records WHERE api_key_id = $1 AND idem_key = $2 AND method = $3 "
     "AND path = $4 AND created_at > now() - interval '24 hours'"},
    /* an expired record with the same key is replaced; a live one wins (no row back) */
    {"idem_store",
     "INSERT INTO idempotency_records AS r (api_key_id, idem_key, method, path, "
     "body_sha256, status, headers, body) "
     "VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7::jsonb, $8) "
     "ON CONFLICT (api_key_id, idem_key, method, path) DO UPDATE SET "
     "body_sha256 = excluded.body_sha256, status = excluded.status, "
     "headers = excluded.headers, body = excluded.body, created_at = now() "
     "WHERE r.created_at <= now() - interval '24 hours' RETURNING 1"},
    {NULL, NULL},
};
