/* Bulk import of deals over HTTP (issue 7, SPEC sections 3 and 6): upsert by external_id
 * with the counts, the stage rules and the stage history of a deal write, every row
 * judged as POST /v1/deals judges its body (the same fields and messages), the CSV edge
 * cases, and `ltvd import deals` on a file of many chunks. Every refused import is
 * checked to leave the database as it was (harness_db_digest). The server runs with
 * LTVD_TODAY fixed, so the closed_at a won or lost stage sets is known. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TODAY "2026-06-15"

static harness_env *env;

/* Helpers ----------------------------------------------------------------------------- */

static harness_response *import_as(const char *type, const char *body)
{
  const char *headers[] = {harness_fmt("Content-Type: %s", type), NULL};
  return harness_call_n(env, "write", "POST", "/v1/import/deals", headers, body, strlen(body));
}

static harness_response *import_csv(const char *body)
{
  return import_as("text/csv", body);
}

static harness_response *import_ndjson(const char *body)
{
  return import_as("application/x-ndjson", body);
}

static void assert_counts(harness_response *r, long long inserted, long long updated,
                          long long skipped)
{
  harness_assert_status(r, 200);
  ck_assert_msg(
      harness_json_int(r, "inserted") == inserted && harness_json_int(r, "updated") == updated &&
          harness_json_int(r, "skipped") == skipped,
      "%s: counts %s, expected %lld/%lld/%lld", r->what, r->body, inserted, updated, skipped);
}

/* The 422's error for field at row (row 0: a header error, without a row), or NULL. */
static json_t *error_at(const harness_response *r, long row, const char *field)
{
  size_t i;
  json_t *e;

  json_array_foreach(json_object_get(r->json, "errors"), i, e)
  {
    json_t *at = json_object_get(e, "row");
    bool row_ok = row == 0 ? at == NULL : json_integer_value(at) == row;
    if (row_ok && strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
      return e;
  }
  return NULL;
}

/* Asserts a 422 naming (row, field), with a message containing `message` when not NULL. */
static void assert_error(const harness_response *r, long row, const char *field,
                         const char *message)
{
  ck_assert_msg(r->status == 422, "%s: status %ld, expected 422: %s", r->what, r->status, r->body);
  json_t *e = error_at(r, row, field);
  ck_assert_msg(e != NULL, "%s: no error for row %ld field \"%s\" in %s", r->what, row, field,
                r->body);
  const char *said = json_string_value(json_object_get(e, "message"));
  ck_assert_msg(message == NULL || strstr(said, message), "%s: row %ld %s says \"%s\", not \"%s\"",
                r->what, row, field, said, message);
}

/* Imports body and asserts a 422 naming (row, field) that changed nothing. */
static harness_response *refused(const char *type, const char *body, long row, const char *field,
                                 const char *message)
{
  char *before = harness_db_digest(env->db);
  harness_response *r = import_as(type, body);
  assert_error(r, row, field, message);
  ck_assert_msg(strcmp(before, harness_db_digest(env->db)) == 0,
                "%s: a refused import changed the database", r->what);
  return r;
}

static harness_response *refused_csv(const char *body, long row, const char *field,
                                     const char *message)
{
  return refused("text/csv", body, row, field, message);
}

static const char *tag(const char *prefix)
{
  return harness_tag(prefix);
}

/* A new live customer; its id (and its external id into ext when not NULL). */
static long long new_customer(const char **ext)
{
  const char *e = tag("ic");
  harness_response *r =
      harness_call(env, "write", "POST", "/v1/customers", NULL,
                   harness_fmt("{\"name\":\"Importer\",\"external_id\":\"%s\"}", e));
  harness_assert_status(r, 201);
  if (ext)
    *ext = e;
  return harness_json_int(r, "id");
}

static char *sql_text(const char *sql)
{
  return harness_sql_value(env->db, sql);
}

/* The deal with external id ext as "stage|closed_at|version" (closed_at "-" when null). */
static char *deal_state(const char *ext)
{
  return sql_text(harness_fmt("SELECT stage || '|' || coalesce(closed_at::text, '-') || '|' || "
                              "version FROM deals WHERE external_id = '%s'",
                              ext));
}

/* The history of the deal with external id ext as "stage@entered_at,..." (UTC). */
static char *history_of(const char *ext)
{
  return sql_text(harness_fmt("SELECT string_agg(h.stage || '@' || ltvd_ts(h.entered_at), ',' "
                              "ORDER BY h.entered_at, h.id) FROM deal_stage_history h "
                              "JOIN deals d ON d.id = h.deal_id WHERE d.external_id = '%s'",
                              ext));
}

/* Upsert -------------------------------------------------------------------------------- */

START_TEST(test_deals_upsert_by_external_id)
{
  const char *e1, *t = tag("up");
  long long c2 = new_customer(NULL);
  new_customer(&e1);
  const char *csv = harness_fmt("external_id,customer_external_id,customer_id,pipeline,stage,"
                                "product,amount\n"
                                "%s-1,%s,,new_business,,crm-std,100\n"
                                "%s-2,,%lld,new_business,won,,500\n"
                                "%s-3,%s,,upsell,proposal,,7\n",
                                t, e1, t, c2, t, e1);

  assert_counts(import_csv(csv), 3, 0, 0);
  /* a missing stage is the pipeline's first; a won stage closes today */
  ck_assert_str_eq(deal_state(harness_fmt("%s-1", t)), "lead|-|1");
  ck_assert_str_eq(deal_state(harness_fmt("%s-2", t)), "won|" TODAY "|1");
  ck_assert_str_eq(sql_text(harness_fmt("SELECT customer_id::text FROM deals WHERE "
                                        "external_id = '%s-2'",
                                        t)),
                   harness_fmt("%lld", c2));
  /* the history of a new deal: its stage, entered at created_at */
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deal_stage_history h "
                                                        "JOIN deals d ON d.id = h.deal_id WHERE "
                                                        "d.external_id LIKE '%s-%%' AND "
                                                        "h.stage = d.stage AND "
                                                        "h.entered_at = d.created_at",
                                                        t)),
                   3);
  assert_counts(import_csv(csv), 0, 0, 3); /* unchanged deals are left alone */
  ck_assert_str_eq(deal_state(harness_fmt("%s-1", t)), "lead|-|1");

  /* a stage move appends to the history, as PATCH does; a won deal keeps its closed_at */
  csv = harness_fmt("external_id,customer_external_id,customer_id,pipeline,stage,product,amount\n"
                    "%s-1,%s,,new_business,qualified,crm-std,100\n"
                    "%s-2,,%lld,new_business,won,,500\n"
                    "%s-3,%s,,upsell,proposal,,8\n",
                    t, e1, t, c2, t, e1);
  assert_counts(import_csv(csv), 0, 2, 1);
  ck_assert_str_eq(deal_state(harness_fmt("%s-1", t)), "qualified|-|2");
  ck_assert_str_eq(deal_state(harness_fmt("%s-2", t)), "won|" TODAY "|1");
  ck_assert_str_eq(deal_state(harness_fmt("%s-3", t)), "proposal|-|2");
  long long id = harness_sql_int(env->db, harness_fmt("SELECT id FROM deals WHERE "
                                                      "external_id = '%s-1'",
                                                      t));
  harness_response *r =
      harness_call(env, "read", "GET", harness_fmt("/v1/deals/%lld/history", id), NULL, NULL);
  harness_assert_status(r, 200);
  json_t *results = json_object_get(r->json, "results");
  ck_assert_int_eq(json_array_size(results), 2);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(results, 1), "stage")),
                   "qualified");
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deal_stage_history h "
                                                        "JOIN deals d ON d.id = h.deal_id WHERE "
                                                        "d.external_id = '%s-3'",
                                                        t)),
                   1);
  /* a replace sets every writable field: a column left out is its default again */
  csv = harness_fmt("external_id,customer_id,pipeline,stage\n%s-3,%lld,upsell,lost\n", t, c2);
  assert_counts(import_csv(csv), 0, 1, 0);
  ck_assert_str_eq(
      sql_text(harness_fmt("SELECT stage || '|' || closed_at || '|' || amount || '|' || "
                           "coalesce(product, '-') || '|' || customer_id "
                           "FROM deals WHERE external_id = '%s-3'",
                           t)),
      harness_fmt("lost|%s|0|-|%lld", TODAY, c2));
}
END_TEST

START_TEST(test_deals_keep_their_imported_past)
{
  const char *e, *t = tag("past");
  new_customer(&e);
  const char *csv = harness_fmt(
      "external_id,customer_external_id,pipeline,stage,amount,created_at,closed_at,stage_history\n"
      "%s-1,%s,new_business,won,900,2025-01-02T03:04:05Z,2025-03-01,"
      "\"[{\"\"stage\"\":\"\"lead\"\",\"\"entered_at\"\":\"\"2025-01-02T03:04:05Z\"\"},"
      "{\"\"stage\"\":\"\"proposal\"\",\"\"entered_at\"\":\"\"2025-02-01T00:00:00.5Z\"\"},"
      "{\"\"stage\"\":\"\"won\"\",\"\"entered_at\"\":\"\"2025-03-01T12:00:00Z\"\"}]\"\n"
      "%s-2,%s,new_business,lost,1,2025-01-02T00:00:00Z,2025-01-05,\n",
      t, e, t, e);

  assert_counts(import_csv(csv), 2, 0, 0);
  ck_assert_str_eq(history_of(harness_fmt("%s-1", t)),
                   "lead@2025-01-02T03:04:05.000000Z,proposal@2025-02-01T00:00:00.500000Z,"
                   "won@2025-03-01T12:00:00.000000Z");
  ck_assert_str_eq(sql_text(harness_fmt("SELECT ltvd_ts(created_at) || '|' || closed_at FROM "
                                        "deals WHERE external_id = '%s-1'",
                                        t)),
                   "2025-01-02T03:04:05.000000Z|2025-03-01");
  /* without a history: the stage entered at created_at */
  ck_assert_str_eq(history_of(harness_fmt("%s-2", t)), "lost@2025-01-02T00:00:00.000000Z");

  /* NDJSON: stage_history is an array */
  const char *nd =
      harness_fmt("{\"external_id\":\"%s-3\",\"customer_external_id\":\"%s\","
                  "\"pipeline\":\"renewal\",\"stage\":\"agreed\","
                  "\"created_at\":\"2025-05-01T00:00:00Z\",\"stage_history\":["
                  "{\"stage\":\"preparation\",\"entered_at\":\"2025-05-01T00:00:00Z\"},"
                  "{\"stage\":\"agreed\",\"entered_at\":\"2025-05-03T00:00:00Z\"}]}\n",
                  t, e);
  assert_counts(import_ndjson(nd), 1, 0, 0);
  ck_assert_str_eq(history_of(harness_fmt("%s-3", t)),
                   "preparation@2025-05-01T00:00:00.000000Z,agreed@2025-05-03T00:00:00.000000Z");

  /* on an existing deal created_at and stage_history are for creation only (as PUT
     .../external): sent again, changed, they change nothing */
  nd = harness_fmt("{\"external_id\":\"%s-3\",\"customer_external_id\":\"%s\","
                   "\"pipeline\":\"renewal\",\"stage\":\"agreed\","
                   "\"created_at\":\"2024-01-01T00:00:00Z\",\"stage_history\":["
                   "{\"stage\":\"agreed\",\"entered_at\":\"2024-01-01T00:00:00Z\"}]}\n",
                   t, e);
  assert_counts(import_ndjson(nd), 0, 0, 1);
  ck_assert_str_eq(history_of(harness_fmt("%s-3", t)),
                   "preparation@2025-05-01T00:00:00.000000Z,agreed@2025-05-03T00:00:00.000000Z");
}
END_TEST

/* The rules: every row is judged as POST /v1/deals judges its body ------------------- */

/* "field|message" of each error of r, sorted, joined by "; ". */
static char *error_list(const harness_response *r)
{
  size_t i, n = json_array_size(json_object_get(r->json, "errors"));
  char **all = harness_own(calloc(n ? n : 1, sizeof *all), free);
  json_t *e;

  json_array_foreach(json_object_get(r->json, "errors"), i, e)
  {
    all[i] = harness_fmt("%s|%s", json_string_value(json_object_get(e, "field")),
                         json_string_value(json_object_get(e, "message")));
  }
  for (size_t a = 0; a < n; a++) /* a few entries: insertion sort */
    for (size_t b = a; b > 0 && strcmp(all[b - 1], all[b]) > 0; b--) {
      char *x = all[b];
      all[b] = all[b - 1];
      all[b - 1] = x;
    }
  char *out = harness_fmt("%s", "");
  for (i = 0; i < n; i++)
    out = harness_fmt("%s%s%s", out, i ? "; " : "", all[i]);
  return out;
}

/* Inputs (JSON members after external_id and a customer reference "C") that POST
 * /v1/deals refuses; the import must refuse each with the same fields and messages. */
static const char *const bad_inputs[] = {
    /* references */
    "\"customer_external_id\":\"nobody-here\",\"pipeline\":\"new_business\"",
    "\"customer_id\":999999999,\"pipeline\":\"new_business\"",
    "C,\"customer_id\":1,\"pipeline\":\"new_business\"",
    "\"pipeline\":\"new_business\"",
    "C,\"pipeline\":\"no_such_pipeline\"",
    "C,\"pipeline\":\"new_business\",\"stage\":\"signed\"",
    "C,\"pipeline\":\"new_business\",\"product\":\"no-such-product\"",
    /* closed_at by the stage */
    "C,\"pipeline\":\"new_business\",\"stage\":\"proposal\",\"closed_at\":\"2026-01-01\"",
    "C,\"pipeline\":\"new_business\",\"stage\":\"won\",\"closed_at\":\"2025-12-31\","
    "\"created_at\":\"2026-01-01T00:00:00Z\"",
    /* values */
    "C,\"pipeline\":\"new_business\",\"revenue_type\":\"monthly\"",
    "C,\"pipeline\":\"new_business\",\"amount\":-1",
    "C,\"pipeline\":\"new_business\",\"amount\":9007199254740992",
    "C,\"pipeline\":\"new_business\",\"amount\":1.5",
    "C,\"pipeline\":\"new_business\",\"mrr\":-5",
    "C,\"pipeline\":\"new_business\",\"expected_close_date\":\"2026-02-30\"",
    "C,\"pipeline\":\"new_business\",\"contract_end_date\":\"26-01-01\"",
    "C,\"pipeline\":\"new_business\",\"created_at\":\"2026-01-01 10:00:00\"",
    "C,\"pipeline\":\"new business\"",
    "C,\"pipeline\":\"new_business\",\"colour\":\"red\"",
    "C,\"pipeline\":\"new_business\",\"id\":5",
    /* stage_history */
    "C,\"pipeline\":\"new_business\",\"stage_history\":\"lead\"",
    "C,\"pipeline\":\"new_business\",\"stage_history\":[]",
    "C,\"pipeline\":\"new_business\",\"stage\":\"qualified\",\"created_at\":"
    "\"2026-01-01T00:00:00Z\",\"stage_history\":[{\"stage\":\"nowhere\",\"entered_at\":"
    "\"2026-01-01T00:00:00Z\"},{\"stage\":\"qualified\",\"entered_at\":\"2026-01-02T00:00:00Z\"}]",
    "C,\"pipeline\":\"new_business\",\"stage\":\"qualified\",\"created_at\":"
    "\"2026-01-01T00:00:00Z\",\"stage_history\":[{\"stage\":\"lead\",\"entered_at\":"
    "\"2026-01-03T00:00:00Z\"},{\"stage\":\"qualified\",\"entered_at\":\"2026-01-02T00:00:00Z\"}]",
    "C,\"pipeline\":\"new_business\",\"stage\":\"qualified\",\"created_at\":"
    "\"2026-01-05T00:00:00Z\",\"stage_history\":[{\"stage\":\"qualified\",\"entered_at\":"
    "\"2026-01-01T00:00:00Z\"}]",
    "C,\"pipeline\":\"new_business\",\"stage\":\"qualified\",\"created_at\":"
    "\"2026-01-01T00:00:00Z\",\"stage_history\":[{\"stage\":\"lead\",\"entered_at\":"
    "\"2026-01-01T00:00:00Z\"}]",
    "C,\"pipeline\":\"new_business\",\"stage\":\"won\",\"created_at\":\"2026-01-01T00:00:00Z\","
    "\"closed_at\":\"2026-02-01\",\"stage_history\":[{\"stage\":\"won\",\"entered_at\":"
    "\"2026-01-20T00:00:00Z\"}]",
    "C,\"pipeline\":\"new_business\",\"created_at\":\"2026-01-01T00:00:00Z\","
    "\"stage_history\":[{\"stage\":\"lead\",\"entered_at\":\"2026-01-01T00:00:00Z\","
    "\"by\":\"me\"}]",
};

START_TEST(test_rows_are_judged_as_post_deals_judges_them)
{
  const char *e;
  new_customer(&e);

  for (size_t i = 0; i < sizeof bad_inputs / sizeof *bad_inputs; i++) {
    const char *members = bad_inputs[i];
    if (members[0] == 'C')
      members = harness_fmt("\"customer_external_id\":\"%s\"%s", e, members + 1);
    const char *body = harness_fmt("{\"external_id\":\"%s\",%s}", tag("judged"), members);
    harness_response *api = harness_call(env, "write", "POST", "/v1/deals", NULL, body);
    ck_assert_msg(api->status == 422, "case %zu: POST /v1/deals answered %ld: %s", i, api->status,
                  api->body);
    char *before = harness_db_digest(env->db);
    harness_response *imp = import_ndjson(harness_fmt("%s\n", body));
    ck_assert_msg(imp->status == 422, "case %zu: the import answered %ld: %s", i, imp->status,
                  imp->body);
    ck_assert_msg(strcmp(before, harness_db_digest(env->db)) == 0,
                  "case %zu: a refused import changed the database", i);
    ck_assert_msg(strcmp(error_list(api), error_list(imp)) == 0,
                  "case %zu: %s\nPOST /v1/deals says: %s\nthe import says:    %s", i, body,
                  error_list(api), error_list(imp));
    ck_assert_msg(error_at(imp, 1,
                           json_string_value(json_object_get(
                               json_array_get(json_object_get(imp->json, "errors"), 0), "field"))),
                  "case %zu: the errors are not on row 1: %s", i, imp->body);
  }
}
END_TEST

START_TEST(test_many_bad_rows_are_listed_by_row)
{
  const char *e, *t = tag("many");
  new_customer(&e);
  const char *csv = harness_fmt("external_id,customer_external_id,pipeline,stage,closed_at,amount\n"
                                "%s-1,%s,new_business,won,,1\n"            /* 1: good */
                                "%s-2,nobody-%s,new_business,won,,1\n"     /* 2 */
                                "%s-3,%s,new_business,lead,2026-01-01,1\n" /* 3 */
                                "%s-4,%s,new_business,,,-1\n"              /* 4 */
                                ",%s,new_business,,,1\n"                   /* 5 */
                                "%s-1,%s,new_business,lead,,1\n",          /* 6: repeats 1 */
                                t, e, t, t, t, e, t, e, e, t, e);
  harness_response *r = refused_csv(csv, 2, "customer_external_id", "refers to no customer");

  assert_error(r, 3, "closed_at", "must be null while the deal is in an open stage");
  assert_error(r, 4, "amount", NULL);
  assert_error(r, 5, "external_id", "is required");
  assert_error(r, 6, "external_id", "repeats the external_id of row 1");
  ck_assert(error_at(r, 1, "external_id") == NULL);
  ck_assert_int_eq(json_array_size(json_object_get(r->json, "errors")), 5);
}
END_TEST

START_TEST(test_an_existing_deal_is_judged_on_what_replacing_it_writes)
{
  const char *e, *t = tag("old");
  new_customer(&e);
  assert_counts(import_csv(harness_fmt("external_id,customer_external_id,pipeline,stage,"
                                       "created_at,closed_at\n"
                                       "%s,%s,new_business,won,2026-01-10T00:00:00Z,2026-02-01\n",
                                       t, e)),
                1, 0, 0);
  /* closed_at before the stored created_at */
  refused_csv(harness_fmt("external_id,customer_external_id,pipeline,stage,closed_at\n"
                          "%s,%s,new_business,lost,2026-01-05\n",
                          t, e),
              1, "closed_at", "must not be before 2026-01-10, the date of created_at");
  /* closed_at on an open stage */
  refused_csv(harness_fmt("external_id,customer_external_id,pipeline,stage,closed_at\n"
                          "%s,%s,new_business,lead,2026-03-01\n",
                          t, e),
              1, "closed_at", "must be null while the deal is in an open stage");
  /* moving into lost without a date: closed today, one more history entry */
  assert_counts(import_csv(harness_fmt("external_id,customer_external_id,pipeline,stage\n"
                                       "%s,%s,new_business,lost\n",
                                       t, e)),
                0, 1, 0);
  ck_assert_str_eq(deal_state(t), "lost|" TODAY "|2");
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deal_stage_history h "
                                                        "JOIN deals d ON d.id = h.deal_id WHERE "
                                                        "d.external_id = '%s'",
                                                        t)),
                   2);
  /* back to an open stage: closed_at cleared */
  assert_counts(import_csv(harness_fmt("external_id,customer_external_id,pipeline,stage\n"
                                       "%s,%s,new_business,proposal\n",
                                       t, e)),
                0, 1, 0);
  ck_assert_str_eq(deal_state(t), "proposal|-|3");
}
END_TEST

START_TEST(test_a_deal_of_an_archived_customer_holds_its_external_id)
{
  const char *e, *t = tag("held");
  long long c = new_customer(NULL), other = new_customer(&e);
  harness_response *r = harness_call(
      env, "write", "POST", "/v1/deals", NULL,
      harness_fmt("{\"external_id\":\"%s\",\"customer_id\":%lld,\"pipeline\":\"upsell\"}", t, c));
  harness_assert_status(r, 201);
  harness_assert_status(
      harness_call(env, "write", "DELETE", harness_fmt("/v1/customers/%lld", c), NULL, NULL), 204);
  refused_csv(harness_fmt("external_id,customer_id,pipeline\n%s,%lld,upsell\n", t, other), 1,
              "external_id", "is held by a deal of an archived customer");
  (void)e;
}
END_TEST

/* CSV ----------------------------------------------------------------------------------- */

START_TEST(test_csv_quoting_bom_crlf_and_blank_lines)
{
  const char *e, *t = tag("q");
  new_customer(&e);
  const char *csv = harness_fmt("\xEF\xBB\xBF"
                                "external_id,customer_external_id,pipeline,product,amount\r\n"
                                "\r\n"
                                "\"%s, one\r\nline two \"\"quoted\"\"\",%s,new_business,crm-pro,"
                                "10\r\n"
                                "\n"
                                "%s-2,\"%s\",\"upsell\",,20\r\n",
                                t, e, t, e);

  assert_counts(import_csv(csv), 2, 0, 0);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT amount FROM deals WHERE "
                                                        "external_id = '%s, one\r\nline two "
                                                        "\"quoted\"' AND product = 'crm-pro'",
                                                        t)),
                   10);
  ck_assert_str_eq(deal_state(harness_fmt("%s-2", t)), "opportunity_recognised|-|1");
}
END_TEST

START_TEST(test_csv_columns_are_checked)
{
  const char *e, *t = tag("col");
  new_customer(&e);
  /* missing columns: the upsert key, a required field */
  refused_csv(harness_fmt("customer_external_id,pipeline\n%s,upsell\n", e), 0, "external_id",
              "is a required column");
  refused_csv(harness_fmt("external_id,customer_external_id\n%s,%s\n", t, e), 0, "pipeline",
              "is a required column");
  /* extra columns: unknown, read-only */
  refused_csv(
      harness_fmt("external_id,customer_external_id,pipeline,colour\n%s,%s,upsell,red\n", t, e), 0,
      "colour", "is not a column of deals imports");
  refused_csv(
      harness_fmt("external_id,customer_external_id,pipeline,version\n%s,%s,upsell,3\n", t, e), 0,
      "version", "is read-only");
  /* a row with a field more or less than the header */
  harness_response *r =
      refused_csv(harness_fmt("external_id,customer_external_id,pipeline\n%s-1,%s,upsell,x\n"
                              "%s-2,%s\n",
                              t, e, t, e),
                  1, "", "has 4 fields where the header has 3");
  assert_error(r, 2, "", "has 2 fields where the header has 3");
}
END_TEST

START_TEST(test_csv_bad_values_are_refused)
{
  const char *e, *t = tag("val");
  new_customer(&e);
  const char *csv = harness_fmt("external_id,customer_external_id,pipeline,stage,amount,mrr,"
                                "expected_close_date,closed_at,created_at,stage_history\n"
                                "%s-1,%s,new_business,won,5,,2026-13-01,,,\n"       /* 1 */
                                "%s-2,%s,new_business,won,5,,,2026-02-29,,\n"       /* 2 */
                                "%s-3,%s,new_business,,-5,,,,,\n"                   /* 3 */
                                "%s-4,%s,new_business,,5,-1,,,,\n"                  /* 4 */
                                "%s-5,%s,new_business,,5,,,,yesterday,\n"           /* 5 */
                                "%s-6,%s,new_business,,5,,,,,\"[{\"\"stage\"\"\"\n" /* 6 */
                                "%s-7,%s,new_business,,lots,,,,,\n",                /* 7 */
                                t, e, t, e, t, e, t, e, t, e, t, e, t, e);
  harness_response *r = refused_csv(csv, 1, "expected_close_date", "must be a date");

  assert_error(r, 2, "closed_at", "must be a date");
  assert_error(r, 3, "amount", NULL);
  assert_error(r, 4, "mrr", NULL);
  assert_error(r, 5, "created_at", "must be a timestamp");
  assert_error(r, 6, "stage_history", "must be an array");
  assert_error(r, 7, "amount", "integer");
}
END_TEST

START_TEST(test_duplicate_external_ids_in_one_file_are_refused)
{
  const char *e, *t = tag("dup");
  new_customer(&e);
  refused_csv(harness_fmt("external_id,customer_external_id,pipeline\n%s,%s,upsell\n"
                          "%s-x,%s,upsell\n%s,%s,renewal\n",
                          t, e, t, e, t, e),
              3, "external_id", "repeats the external_id of row 1");
}
END_TEST

/* The request ----------------------------------------------------------------------------- */

START_TEST(test_one_data_version_bump_per_import)
{
  const char *e, *t = tag("ver");
  new_customer(&e);
  long long before = harness_sql_int(env->db, "SELECT version FROM data_version");
  harness_response *r = import_csv(harness_fmt("external_id,customer_external_id,pipeline\n"
                                               "%s-1,%s,upsell\n%s-2,%s,upsell\n%s-3,%s,upsell\n",
                                               t, e, t, e, t, e));
  assert_counts(r, 3, 0, 0);
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT version FROM data_version"), before + 1);
  ck_assert_int_eq(atoll(harness_header(r, "X-Ltvd-Data-Version")), before + 1);
}
END_TEST

/* ltvd import deals ----------------------------------------------------------------------- */

/* A file of n deals of tag t over the customers ids[0..nc), a third of them won (closed
 * a month after created_at), with quoted external ids that hold a comma. */
static char *write_deals_file(const char *t, int n, const long long *ids, int nc)
{
  char *path = harness_fmt("/tmp/ltvd-import-deals-%s.csv", t);
  FILE *f = fopen(path, "w");
  ck_assert(f != NULL);
  fprintf(f, "external_id,customer_id,pipeline,stage,product,amount,created_at,closed_at\r\n");
  for (int i = 1; i <= n; i++) {
    bool won = i % 3 == 0;
    fprintf(f, "\"%s,%d\",%lld,new_business,%s,%s,%d,2025-%02d-10T08:00:00Z,%s\r\n", t, i,
            ids[i % nc], won ? "won" : "qualified", i % 2 ? "crm-std" : "", i * 10, i % 12 + 1,
            won ? harness_fmt("2025-%02d-28", i % 12 + 1) : "");
  }
  fclose(f);
  return path;
}

static int run_import(const char *path, const char *jobs, char **out)
{
  const char *url = harness_fmt("http://127.0.0.1:%d", harness_server_port(env->srv));
  const char *args[] = {
      "import",       "deals", path,     "--url", url, "--key", harness_env_key(env, "write"),
      "--chunk-rows", "6000",  "--jobs", jobs,    NULL};
  int status = harness_ltvd(env->db, args, out, 240);
  ck_assert_msg(status != -1 && WIFEXITED(status), "ltvd import did not finish: %s", *out);
  return WEXITSTATUS(status);
}

START_TEST(test_cli_imports_20000_deals_in_chunks)
{
  const char *t = tag("cli");
  long long ids[7];
  for (int i = 0; i < 7; i++)
    ids[i] = new_customer(NULL);
  char *path = write_deals_file(t, 20000, ids, 7), *out;

  ck_assert_int_eq(run_import(path, "2", &out), 0);
  ck_assert_msg(strstr(out, "20000 rows in 4 chunks") && strstr(out, "inserted 20000"), "%s", out);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deals WHERE "
                                                        "external_id LIKE '%s,%%'",
                                                        t)),
                   20000);
  /* every deal has its one history entry; the won ones closed on their closed_at */
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deal_stage_history h "
                                                        "JOIN deals d ON d.id = h.deal_id "
                                                        "WHERE d.external_id LIKE '%s,%%' "
                                                        "AND h.stage = d.stage",
                                                        t)),
                   20000);
  ck_assert_int_eq(
      harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deals WHERE "
                                           "external_id LIKE '%s,%%' AND stage = "
                                           "'won' AND extract(day FROM closed_at) = 28",
                                           t)),
      20000 / 3);
  /* ids in row order within a chunk */
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM (SELECT id, "
                                                        "lag(id) OVER (ORDER BY split_part("
                                                        "external_id, ',', 2)::int) AS prev FROM "
                                                        "deals WHERE external_id LIKE '%s,%%' "
                                                        "AND split_part(external_id, ',', 2)::int "
                                                        "BETWEEN 1 AND 6000) x WHERE id < prev",
                                                        t)),
                   0);
  ck_assert_int_eq(run_import(path, "1", &out), 0);
  ck_assert_msg(strstr(out, "skipped 20000"), "%s", out);
  unlink(path);
}
END_TEST

START_TEST(test_cli_stops_at_a_refused_chunk)
{
  const char *t = tag("clibad");
  long long ids[1] = {new_customer(NULL)};
  char *path = write_deals_file(t, 9000, ids, 1), *out;
  /* row 7000 (in the second chunk) names no customer */
  char *sed =
      harness_fmt("sed -i '7001s/,%lld,new_business/,999999999,new_business/' %s", ids[0], path);
  ck_assert_int_eq(system(sed), 0);

  ck_assert_int_eq(run_import(path, "1", &out), 1);
  ck_assert_msg(strstr(out, "stopped: 6000 rows in 1 chunks"), "%s", out);
  /* the refused row, by its row in the whole file, on standard error */
  const char *cmd = harness_fmt("'%s' import deals '%s' --url http://127.0.0.1:%d --key '%s' "
                                "--chunk-rows 6000 2>&1 >/dev/null",
                                getenv("LTVD_BIN"), path, harness_server_port(env->srv),
                                harness_env_key(env, "write"));
  FILE *p = popen(cmd, "r");
  ck_assert(p != NULL);
  char err[4096];
  size_t n = fread(err, 1, sizeof err - 1, p);
  err[n] = '\0';
  ck_assert_int_eq(WEXITSTATUS(pclose(p)), 1);
  ck_assert_msg(strstr(err, "chunk 2 (rows 6001 to 9000) was refused") &&
                    strstr(err, "row 7000: customer_id refers to no customer"),
                "%s", err);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM deals WHERE "
                                                        "external_id LIKE '%s,%%'",
                                                        t)),
                   6000);
  unlink(path);
}
END_TEST

static Suite *import_deals_suite(void)
{
  Suite *s = suite_create("import_deals");
  TCase *tc = harness_tcase("upsert");
  tcase_add_test(tc, test_deals_upsert_by_external_id);
  tcase_add_test(tc, test_deals_keep_their_imported_past);
  suite_add_tcase(s, tc);

  tc = harness_tcase("rules");
  tcase_add_test(tc, test_rows_are_judged_as_post_deals_judges_them);
  tcase_add_test(tc, test_many_bad_rows_are_listed_by_row);
  tcase_add_test(tc, test_an_existing_deal_is_judged_on_what_replacing_it_writes);
  tcase_add_test(tc, test_a_deal_of_an_archived_customer_holds_its_external_id);
  suite_add_tcase(s, tc);

  tc = harness_tcase("csv");
  tcase_add_test(tc, test_csv_quoting_bom_crlf_and_blank_lines);
  tcase_add_test(tc, test_csv_columns_are_checked);
  tcase_add_test(tc, test_csv_bad_values_are_refused);
  tcase_add_test(tc, test_duplicate_external_ids_in_one_file_are_refused);
  suite_add_tcase(s, tc);

  tc = harness_tcase("request");
  tcase_add_test(tc, test_one_data_version_bump_per_import);
  tcase_add_test(tc, test_cli_imports_20000_deals_in_chunks);
  tcase_add_test(tc, test_cli_stops_at_a_refused_chunk);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  const char *server_env[] = {"LTVD_TODAY=" TODAY, NULL};
  env = harness_env_up(server_env);
  harness_sql_exec(env->db, "INSERT INTO business_units (key, name, created_at, updated_at) "
                            "VALUES ('software', 'Software', now(), now());"
                            "INSERT INTO products (key, name, business_unit, family, tier, "
                            "created_at, updated_at) VALUES "
                            "('crm-std', 'CRM Standard', 'software', 'crm', 1, now(), now()),"
                            "('crm-pro', 'CRM Pro', 'software', 'crm', 2, now(), now())");
  return harness_run(import_deals_suite(), env);
}
