/* Pipelines (SPEC section 3): list by key, create, get, merge patch, delete. A PATCH
 * with `stages` replaces the whole ordered list, matched by key: a stage that stays is
 * updated in place (its deals stay in it), a stage that holds deals can neither go away
 * nor change its state (409), and positions are always 1..n in array order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/catalog.h"
#include "ltvd/catalog_db.h"
#include "ltvd/db.h"
#include "ltvd/paging.h"
#include "ltvd/util.h"
#include "ltvd/validate.h"

#define MAX_STAGES 50

static const char *const kinds[] = {"new_business", "upsell", "cross_sell", "renewal", NULL};
static const char *const states[] = {"open", "won", "lost", NULL};

static const struct ltvd_field pipeline_fields[] = {
    {"key", LTVD_F_STRING, LTVD_REQUIRED, 0, INT64_MAX, NULL}, /* the pattern says the rest */
    {"name", LTVD_F_STRING, LTVD_REQUIRED, 1, 500, NULL},
    {"kind", LTVD_F_ENUM, LTVD_REQUIRED, 0, 0, kinds},
    {"stages", LTVD_F_ARRAY, LTVD_REQUIRED, 0, 0, NULL},
    {"version", LTVD_F_INTEGER, LTVD_READONLY, 0, 0, NULL},
    {"created_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {"updated_at", LTVD_F_STRING, LTVD_READONLY, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct ltvd_field stage_fields[] = {
    {"key", LTVD_F_STRING, LTVD_REQUIRED, 0, INT64_MAX, NULL},
    {"name", LTVD_F_STRING, LTVD_NULLABLE, 1, 500, NULL},
    {"probability", LTVD_F_NUMBER, LTVD_REQUIRED, 0, 1, NULL},
    {"state", LTVD_F_ENUM, LTVD_REQUIRED, 0, 0, states},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const stage_extras[] = {"position", NULL};

static PGresult *find(struct ltvd_req *r, bool for_update)
{
  return ltvd_catalog_find(r, ltvd_db_pipeline_get, for_update, "no pipeline has this key");
}

static int reply_pipeline(struct ltvd_req *r, int status, PGresult *res)
{
  if (status == 201)
    ltvd_reply_header(r, "Location", "/v1/pipelines/%s", PQgetvalue(res, 0, 0));
  json_t *body = ltvd_db_pipeline_json(res, 0);
  int64_t version = ltvd_db_catalog_version(res, 0);

  PQclear(res);
  return ltvd_reply_resource_new(r, status, version, body);
}

/* Reads the pipeline `key` back after a write and replies with it. */
static int reply_current(struct ltvd_req *r, const char *key, int status)
{
  PGresult *res = ltvd_db_pipeline_get(r->db, key, false);

  if (res && PQntuples(res) == 1)
    return reply_pipeline(r, status, res);
  PQclear(res);
  return ltvd_reply_db_error(r);
}

/* Checks one stage (index i) into errors with fields named stages[i].<field>. */
static void check_stage(const json_t *stage, size_t i, const json_t *stages, json_t *errors)
{
  json_t *mine = json_array(), *e;
  size_t k;

  ltvd_validate(stage, stage_fields, stage_extras, LTVD_VALIDATE_CREATE, -1, mine);
  const char *key = json_string_value(json_object_get(stage, "key"));
  if (key && !ltvd_valid_key(key))
    json_array_append_new(mine, ltvd_field_error("key", -1, "must match %s", LTVD_KEY_PATTERN));
  for (k = 0; key && ltvd_valid_key(key) && k < i; k++) {
    const char *other = json_string_value(json_object_get(json_array_get(stages, k), "key"));
    if (other && strcmp(other, key) == 0) {
      json_array_append_new(mine, ltvd_field_error("key", -1, "repeats the key of stages[%zu]",
                                                   k));
      break;
    }
  }
  json_t *pos = json_object_get(stage, "position");
  if (pos && !(json_is_integer(pos) && json_integer_value(pos) == (json_int_t) i + 1))
    json_array_append_new(mine, ltvd_field_error("position", -1,
                                                 "is read-only: absent, or %zu (the place in "
                                                 "the array)", i + 1));
  json_array_foreach(mine, k, e) {
    char *field = ltvd_strdup_printf("stages[%zu].%s", i,
                                     json_string_value(json_object_get(e, "field")));
    json_array_append_new(errors, ltvd_field_error(field, -1, "%s",
                                                   json_string_value(json_object_get(e, "message"))));
    free(field);
  }
  json_decref(mine);
}

/* Checks a stage list into errors; returns the list to store ({key, name, probability,
 * state} in order, name defaulting to the key), or NULL when it is invalid. */
static json_t *check_stages(const json_t *stages, json_t *errors)
{
  size_t i, n = json_array_size(stages), before = json_array_size(errors);
  bool open = false, won = false, lost = false;
  json_t *s;

  if (!json_is_array(stages))
    return NULL; /* ltvd_validate named it */
  if (n < 1 || n > MAX_STAGES) {
    json_array_append_new(errors, ltvd_field_error("stages", -1, "must hold 1 to %d stages",
                                                   MAX_STAGES));
    return NULL;
  }
  json_array_foreach(stages, i, s) {
    if (!json_is_object(s)) {
      char field[32];
      snprintf(field, sizeof field, "stages[%zu]", i);
      json_array_append_new(errors, ltvd_field_error(field, -1, "must be an object"));
    } else {
      check_stage(s, i, stages, errors);
    }
  }
  if (json_array_size(errors) > before)
    return NULL;
  json_t *out = json_array();
  json_array_foreach(stages, i, s) {
    const char *state = json_string_value(json_object_get(s, "state"));
    json_t *name = json_object_get(s, "name");
    open |= strcmp(state, "open") == 0;
    won |= strcmp(state, "won") == 0;
    lost |= strcmp(state, "lost") == 0;
    json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:s}", "key", json_object_get(s, "key"),
                                         "name", json_is_string(name) ? name : json_object_get(s, "key"),
                                         "probability", json_object_get(s, "probability"),
                                         "state", state));
  }
  if (!(open && won && lost)) {
    json_array_append_new(errors, ltvd_field_error("stages", -1, "must hold at least one open, "
                                                                 "one won and one lost stage"));
    json_decref(out);
    return NULL;
  }
  return out;
}

int ltvd_api_pipelines_list(struct ltvd_req *r)
{
  struct ltvd_page page;
  int status;

  if ((status = ltvd_paging_parse_kind(r, LTVD_CURSOR_KEY, &page)))
    return status;
  return ltvd_reply_key_page(r, &page, ltvd_db_pipeline_list(r->db, page.after_key, page.limit + 1), ltvd_db_pipeline_json);
}

int ltvd_api_pipelines_create(struct ltvd_req *r)
{
  json_t *errors = json_array();
  const char *key = ltvd_catalog_check_new(r, pipeline_fields, errors);

  json_t *stages = check_stages(json_object_get(r->json, "stages"), errors);
  if (json_array_size(errors) > 0) {
    json_decref(stages);
    return ltvd_problem_errors_new(r, 422, "the pipeline is invalid", errors);
  }
  json_decref(errors);
  PGresult *res = ltvd_db_pipeline_insert(r->db, key,
                                          json_string_value(json_object_get(r->json, "name")),
                                          json_string_value(json_object_get(r->json, "kind")));
  bool ok = res && ltvd_db_pipeline_set_stages(r->db, key, stages);
  PQclear(res);
  json_decref(stages);
  return ok ? reply_current(r, key, 201) : ltvd_reply_db_error(r);
}

int ltvd_api_pipelines_get(struct ltvd_req *r)
{
  PGresult *res = find(r, false);

  return res ? reply_pipeline(r, 200, res) : r->status;
}

/* 409 when the new stage list drops a stage that holds deals or changes its state; 0
 * when it may be stored. */
static int stages_conflict(struct ltvd_req *r, const json_t *stages)
{
  PGresult *res = ltvd_db_pipeline_stage_deals(r->db, r->params[0]);

  if (res == NULL)
    return ltvd_reply_db_error(r);
  json_t *errors = json_array();
  for (int row = 0; row < PQntuples(res); row++) {
    const char *key = PQgetvalue(res, row, 0), *state = PQgetvalue(res, row, 1);
    const char *n = PQgetvalue(res, row, 2), *deals = strcmp(n, "1") ? "deals" : "deal";
    const json_t *now = NULL, *s;
    size_t i;
    json_array_foreach(stages, i, s) {
      if (strcmp(json_string_value(json_object_get(s, "key")), key) == 0)
        now = s;
    }
    if (now == NULL) {
      json_array_append_new(errors, ltvd_field_error("stages", -1, "stage %s holds %s %s and "
                                                     "cannot be removed", key, n, deals));
    } else if (strcmp(json_string_value(json_object_get(now, "state")), state) != 0) {
      json_array_append_new(errors, ltvd_field_error("stages", -1, "stage %s holds %s %s; its "
                                                     "state cannot change from %s", key, n,
                                                     deals, state));
    }
  }
  PQclear(res);
  if (json_array_size(errors) == 0) {
    json_decref(errors);
    return 0;
  }
  return ltvd_problem_errors_new(r, 409, "stages that hold deals must stay, with their state",
                                 errors);
}

static bool check_patch(struct ltvd_req *r, json_t *errors, json_t **stages)
{
  ltvd_catalog_check_patch(r, pipeline_fields, errors);
  if (json_object_get(r->json, "stages"))
    *stages = check_stages(json_object_get(r->json, "stages"), errors);
  return json_array_size(errors) == 0;
}

/* Writes a checked patch: name and kind merged over the current ones, stages (when
 * given) replacing the list. */
static int apply_patch(struct ltvd_req *r, const char *old_name, const char *old_kind,
                       const json_t *stages)
{
  json_t *name = json_object_get(r->json, "name"), *kind = json_object_get(r->json, "kind");
  int status;

  if (stages && (status = stages_conflict(r, stages)))
    return status;
  PGresult *res = ltvd_db_pipeline_update(r->db, r->params[0],
                                          name ? json_string_value(name) : old_name,
                                          kind ? json_string_value(kind) : old_kind);
  if (res == NULL)
    return ltvd_reply_db_error(r);
  PQclear(res);
  if (stages && !ltvd_db_pipeline_set_stages(r->db, r->params[0], stages))
    return ltvd_reply_db_error(r);
  return reply_current(r, r->params[0], 200);
}

int ltvd_api_pipelines_patch(struct ltvd_req *r)
{
  PGresult *res = find(r, true);
  json_t *stages = NULL, *errors = json_array();
  int status;

  if (res == NULL) {
    json_decref(errors);
    return r->status;
  }
  if (!check_patch(r, errors, &stages)) {
    PQclear(res);
    json_decref(stages);
    return ltvd_problem_errors_new(r, 422, "the patch is invalid", errors);
  }
  json_decref(errors);
  int64_t current = ltvd_db_catalog_version(res, 0);
  if (!ltvd_req_if_match(r, current) || !ltvd_req_version_matches(r, current))
    status = r->status;
  else
    status = apply_patch(r, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), stages);
  PQclear(res);
  json_decref(stages);
  return status;
}

int ltvd_api_pipelines_delete(struct ltvd_req *r)
{
  PGresult *res;
  int status;

  if ((status = ltvd_catalog_may_delete(r, find(r, true))))
    return status;
  if ((res = ltvd_db_pipeline_stage_deals(r->db, r->params[0])) == NULL)
    return ltvd_reply_db_error(r);
  long long deals = 0;
  for (int row = 0; row < PQntuples(res); row++)
    deals += strtoll(PQgetvalue(res, row, 2), NULL, 10);
  PQclear(res);
  if (deals > 0) {
    json_t *errors = json_array();
    json_array_append_new(errors, ltvd_field_error("key", -1, "used by %lld deal%s", deals,
                                                   deals == 1 ? "" : "s"));
    return ltvd_problem_errors_new(r, 409, "the pipeline has deals", errors);
  }
  if ((res = ltvd_db_pipeline_delete(r->db, r->params[0])) == NULL)
    return ltvd_reply_db_error(r);
  PQclear(res);
  return ltvd_reply_empty(r, 204);
}
