#include "ltvd/system.h"

#include <stdlib.h>
#include <string.h>

#include "ltvd/db.h"
#include "ltvd/embedded.h"
#include "ltvd/metrics.h"

int ltvd_api_healthz(struct ltvd_req *r)
{
  return ltvd_reply_json_new(r, 200, json_pack("{s:s}", "status", "ok"));
}

int ltvd_api_readyz(struct ltvd_req *r)
{
  if (r->db == NULL)
    return ltvd_problem(r, 503, "the database is unreachable");
  PGresult *res = ltvd_db_run(r->db, "schema_version", 0, NULL);
  if (res == NULL)
    return ltvd_problem(r, 503, "the database is unreachable");
  int version = atoi(PQgetvalue(res, 0, 0));
  PQclear(res);
  if (version != ltvd_db_known_schema_version())
    return ltvd_problem(r, 503, "the database schema is at version %d, this binary needs %d",
                        version, ltvd_db_known_schema_version());
  return ltvd_reply_json_new(r, 200, json_pack("{s:s,s:i}", "status", "ready",
                                               "schema_version", version));
}

int ltvd_api_metrics(struct ltvd_req *r)
{
  char *text = ltvd_metrics_render();
  int status = ltvd_reply_bytes(r, 200, "text/plain; version=0.0.4", text, strlen(text));

  free(text);
  return status;
}

int ltvd_api_openapi(struct ltvd_req *r)
{
  return ltvd_reply_bytes(r, 200, "application/json", ltvd_embedded_openapi_json,
                          ltvd_embedded_openapi_json_len);
}
