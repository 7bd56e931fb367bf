/* Bulk import over HTTP (issue 7, SPEC section 6): CSV and NDJSON bodies, the rules of
 * each resource applied row by row, all or nothing, upsert counts, and `ltvd import`
 * sending a file in chunks. Every rejected import is checked to leave the database as
 * it was (harness_db_digest). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static harness_env *env;
static int tag_counter;

static const char *new_tag(const char *prefix)
{
  return harness_fmt("%s%d-%d", prefix, (int)getpid(), ++tag_counter);
}

static harness_response *import_as(const char *kind, const char *type, const char *body, size_t len)
{
  const char *headers[] = {harness_fmt("Content-Type: %s", type), NULL};
  return harness_call_n(env, "write", "POST", harness_fmt("/v1/import/%s", kind), headers, body,
                        len);
}

static harness_response *import_csv(const char *kind, const char *body)
{
  return import_as(kind, "text/csv", body, strlen(body));
}

static harness_response *import_ndjson(const char *kind, const char *body)
{
  return import_as(kind, "application/x-ndjson", body, strlen(body));
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

/* The 422 names field at row (row 0: a header error, without a row). */
static bool names(const harness_response *r, long row, const char *field)
{
  size_t i;
  json_t *e;

  json_array_foreach(json_object_get(r->json, "errors"), i, e)
  {
    json_t *at = json_object_get(e, "row");
    bool row_ok = row == 0 ? at == NULL : json_integer_value(at) == row;
    if (row_ok && strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
      return true;
  }
  return false;
}

static void assert_error(const harness_response *r, long row, const char *field)
{
  ck_assert_msg(r->status == 422, "%s: status %ld, expected 422: %s", r->what, r->status, r->body);
  ck_assert_msg(names(r, row, field), "%s: no error for row %ld field \"%s\" in %s", r->what, row,
                field, r->body);
}

/* Imports body and asserts a 422 naming (row, field) that changed nothing. */
static harness_response *refused(const char *kind, const char *type, const char *body, long row,
                                 const char *field)
{
  char *before = harness_db_digest(env->db);
  harness_response *r = import_as(kind, type, body, strlen(body));
  assert_error(r, row, field);
  ck_assert_msg(strcmp(before, harness_db_digest(env->db)) == 0,
                "%s: a refused import changed the database", r->what);
  return r;
}

static harness_response *refused_csv(const char *kind, const char *body, long row,
                                     const char *field)
{
  return refused(kind, "text/csv", body, row, field);
}

static char *sql_text(const char *fmt, const char *arg)
{
  return harness_sql_value(env->db, harness_fmt(fmt, arg));
}

/* A business unit and product of the test's own; returns the product key. */
static const char *new_product(void)
{
  const char *key = new_tag("p");
  harness_response *r = harness_call(env, "write", "POST", "/v1/business-units", NULL,
                                     harness_fmt("{\"key\":\"%s\",\"name\":\"BU\"}", key));
  harness_assert_status(r, 201);
  r = harness_call(env, "write", "POST", "/v1/products", NULL,
                   harness_fmt("{\"key\":\"%s\",\"name\":\"P\",\"business_unit\":\"%s\","
                               "\"family\":\"f\"}",
                               key, key));
  harness_assert_status(r, 201);
  return key;
}

/* Customers ------------------------------------------------------------------------ */

START_TEST(test_customers_upsert_counts)
{
  const char *t = new_tag("c");
  const char *csv = harness_fmt("external_id,name,employee_count\n%s-1,One,5\n%s-2,Two,\n", t, t);

  assert_counts(import_csv("customers", csv), 2, 0, 0);
  assert_counts(import_csv("customers", csv), 0, 0, 2); /* unchanged rows are skipped */
  csv = harness_fmt("external_id,name,employee_count\n%s-1,One,6\n%s-2,Two,\n%s-3,Three,1\n,"
                    "No id,\n",
                    t, t, t);
  assert_counts(import_csv("customers", csv), 2, 1, 1);
  ck_assert_str_eq(sql_text("SELECT employee_count || '/' || version FROM customers WHERE "
                            "external_id = '%s-1'",
                            t),
                   "6/2");
  ck_assert_str_eq(sql_text("SELECT version::text FROM customers WHERE external_id = '%s-2'", t),
                   "1");
}
END_TEST

START_TEST(test_csv_quoting_bom_crlf_and_blank_lines)
{
  const char *t = new_tag("q");
  const char *csv = harness_fmt("\xEF\xBB\xBF"
                                "external_id,name,properties,country\r\n"
                                "\r\n"
                                "%s-1,\"Acme, Inc.\",\"{\"\"tier\"\": \"\"gold\"\"}\",\r\n"
                                "\n"
                                "%s-2,\"Two\r\nlines \"\"quoted\"\"\",,DE\r\n",
                                t, t);

  assert_counts(import_csv("customers", csv), 2, 0, 0);
  ck_assert_str_eq(sql_text("SELECT name || '|' || properties::text || '|' || "
                            "coalesce(country, 'null') FROM customers WHERE external_id = '%s-1'",
                            t),
                   "Acme, Inc.|{\"tier\": \"gold\"}|null");
  ck_assert_str_eq(sql_text("SELECT name || '|' || country FROM customers WHERE external_id = "
                            "'%s-2'",
                            t),
                   "Two\r\nlines \"quoted\"|DE");
}
END_TEST

START_TEST(test_ndjson_customers)
{
  const char *t = new_tag("n");
  const char *body =
      harness_fmt("{\"external_id\":\"%s-1\",\"name\":\"N1\",\"properties\":{\"a\":[1]}}\n"
                  "\n"
                  "{\"external_id\":\"%s-2\",\"name\":\"N2\",\"annual_revenue\":100}\r\n",
                  t, t);

  assert_counts(import_ndjson("customers", body), 2, 0, 0);
  ck_assert_str_eq(sql_text("SELECT annual_revenue::text FROM customers WHERE external_id = "
                            "'%s-2'",
                            t),
                   "100");
  /* a row the API refuses: unknown member, wrong type, not an object, not JSON */
  refused("customers", "application/x-ndjson",
          "{\"name\":\"x\",\"bogus\":1}\n{\"name\":5}\n[1]\n{nope\n", 1, "bogus");
  harness_response *r =
      refused("customers", "application/x-ndjson",
              "{\"name\":\"x\",\"bogus\":1}\n{\"name\":5}\n[1]\n{nope\n", 2, "name");
  assert_error(r, 3, "");
  assert_error(r, 4, "");
}
END_TEST

START_TEST(test_customer_rows_break_the_api_rules)
{
  const char *t = new_tag("b");
  const char *csv = harness_fmt("external_id,name,employee_count,annual_revenue\n"
                                "%s-1,Good,1,1\n"
                                "%s-2,Bad count,many,1\n"
                                "%s-3,Negative,1,-5\n"
                                "%s-4,,1,1\n"
                                "%s-5,Short row\n"
                                "%s-6,Long row,1,1,1\n",
                                t, t, t, t, t, t);
  harness_response *r = refused_csv("customers", csv, 2, "employee_count");

  assert_error(r, 3, "annual_revenue");
  assert_error(r, 4, "name");
  assert_error(r, 5, "");
  assert_error(r, 6, "");
  ck_assert(!names(r, 1, "name"));
}
END_TEST

START_TEST(test_columns_are_checked_against_the_resource)
{
  refused_csv("customers", "external_id,name,colour\nx,y,z\n", 0, "colour");
  refused_csv("customers", "external_id,industry\nx,y\n", 0, "name");       /* missing */
  refused_csv("customers", "id,name\n1,y\n", 0, "id");                      /* read-only */
  refused_csv("customers", "name,name\na,b\n", 0, "name");                  /* twice */
  refused_csv("mrr", "customer_id,product,month\n1,p,2026-01\n", 0, "mrr"); /* missing */
}
END_TEST

START_TEST(test_malformed_csv_is_refused)
{
  refused_csv("customers", "name\nok\n\"never closed\n", 2, "");
  refused_csv("customers", "name\nbad\"quote\n", 1, "");
  refused_csv("customers", "", 0, "");
}
END_TEST

START_TEST(test_duplicate_external_ids_in_one_file_are_refused)
{
  const char *t = new_tag("d");
  harness_response *r =
      refused_csv("customers", harness_fmt("external_id,name\n%s,A\n%s-x,B\n%s,C\n", t, t, t), 3,
                  "external_id");
  ck_assert(strstr(r->body, "repeats the external_id of row 1") != NULL);
}
END_TEST

START_TEST(test_errors_are_capped_at_100_in_row_order)
{
  size_t cap = 200 * 16 + 64, len = 0;
  char *csv = harness_own(malloc(cap), free);

  len += (size_t)snprintf(csv + len, cap - len, "name,employee_count\n");
  for (int i = 0; i < 200; i++)
    len += (size_t)snprintf(csv + len, cap - len, "n,x%d\n", i);
  harness_response *r = refused_csv("customers", csv, 1, "employee_count");
  json_t *errors = json_object_get(r->json, "errors");
  ck_assert_int_eq(json_array_size(errors), 100);
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(errors, 99), "row")), 100);
}
END_TEST

START_TEST(test_import_signals_attach_to_imported_customers)
{
  const char *t = new_tag("a");

  assert_counts(import_csv("signals", harness_fmt("customer_external_id,type,occurred_at\n"
                                                  "%s,call,2026-01-02T03:04:05Z\n",
                                                  t)),
                1, 0, 0);
  assert_counts(import_csv("customers", harness_fmt("external_id,name\n%s,Late\n", t)), 1, 0, 0);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM signals s JOIN "
                                                        "customers c ON c.id = s.customer_id "
                                                        "WHERE c.external_id = '%s'",
                                                        t)),
                   1);
}
END_TEST

/* MRR ------------------------------------------------------------------------------ */

START_TEST(test_mrr_upsert_by_customer_product_month)
{
  const char *t = new_tag("m"), *p = new_product();
  assert_counts(import_csv("customers", harness_fmt("external_id,name\n%s,M\n", t)), 1, 0, 0);
  const char *id = sql_text("SELECT id::text FROM customers WHERE external_id = '%s'", t);

  assert_counts(import_csv("mrr", harness_fmt("customer_external_id,customer_id,product,month,mrr\n"
                                              "%s,,%s,2026-01,100\n,%s,%s,2026-02,100\n",
                                              t, p, id, p)),
                2, 0, 0);
  assert_counts(import_ndjson("mrr", harness_fmt("{\"customer_id\":%s,\"product\":\"%s\","
                                                 "\"month\":\"2026-01\",\"mrr\":150}\n"
                                                 "{\"customer_id\":%s,\"product\":\"%s\","
                                                 "\"month\":\"2026-02\",\"mrr\":100}\n"
                                                 "{\"customer_id\":%s,\"product\":\"%s\","
                                                 "\"month\":\"2026-03\",\"mrr\":0}\n",
                                                 id, p, id, p, id, p)),
                1, 1, 1);
  ck_assert_str_eq(sql_text("SELECT string_agg(to_char(month, 'YYYY-MM') || '=' || mrr, ',' "
                            "ORDER BY month) FROM mrr_lines WHERE product = '%s'",
                            p),
                   "2026-01=150,2026-02=100,2026-03=0");
}
END_TEST

START_TEST(test_mrr_rows_break_the_api_rules)
{
  const char *t = new_tag("r"), *p = new_product();
  assert_counts(import_csv("customers", harness_fmt("external_id,name\n%s,M\n", t)), 1, 0, 0);
  const char *id = sql_text("SELECT id::text FROM customers WHERE external_id = '%s'", t);
  const char *csv = harness_fmt("customer_external_id,customer_id,product,month,mrr\n"
                                "nobody-%s,,%s,2026-01,1\n"  /* 1: unknown customer */
                                ",999999999,%s,2026-01,1\n"  /* 2: unknown id */
                                "%s,,nothing-%s,2026-01,1\n" /* 3: unknown product */
                                "%s,,%s,2026-13,1\n"         /* 4: bad month */
                                "%s,,%s,2026-01,-1\n"        /* 5: negative */
                                "%s,%s,%s,2026-01,1\n"       /* 6: both references */
                                ",,%s,2026-01,1\n"           /* 7: none */
                                "%s,,%s,2026-05,1\n"         /* 8 */
                                ",%s,%s,2026-05,2\n",        /* 9: repeats 8 */
                                t, p, p, t, t, t, p, t, p, t, id, p, p, t, p, id, p);
  harness_response *r = refused_csv("mrr", csv, 1, "customer_external_id");

  assert_error(r, 2, "customer_id");
  assert_error(r, 3, "product");
  assert_error(r, 4, "month");
  assert_error(r, 5, "mrr");
  assert_error(r, 6, "customer_external_id");
  assert_error(r, 7, "customer_id");
  assert_error(r, 9, "month");
  ck_assert(!names(r, 8, "month"));
}
END_TEST

/* Signals -------------------------------------------------------------------------- */

START_TEST(test_signals_skip_duplicate_events)
{
  const char *t = new_tag("s"), *p = new_product();
  assert_counts(import_csv("customers", harness_fmt("external_id,name\n%s,S\n", t)), 1, 0, 0);
  const char *csv = harness_fmt("customer_external_id,type,occurred_at,value,product,source,"
                                "event_id\n"
                                "%s,nps,2026-01-01T00:00:00Z,9,,crm,%s-e1\n"
                                "%s,usage,2026-01-01T00:00:00.5Z,0.75,,crm,%s-e2\n"
                                "%s,nps,2026-01-01T00:00:00Z,3,,crm,%s-e1\n" /* repeats row 1 */
                                "%s,feature_interest,2026-01-01T00:00:00Z,,%s,,\n"
                                "unknown-%s,call,2026-01-01T00:00:00Z,,,,\n",
                                t, t, t, t, t, t, t, p, t);

  assert_counts(import_csv("signals", csv), 4, 0, 1);
  assert_counts(import_csv("signals", csv), 2, 0, 3); /* rows without event_id are new */
  ck_assert_str_eq(sql_text("SELECT string_agg(value::text, ',' ORDER BY event_id) FROM signals "
                            "WHERE event_id LIKE '%s-%%'",
                            t),
                   "9,0.75");
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM signals WHERE "
                                                        "customer_id IS NULL AND "
                                                        "customer_external_id = 'unknown-%s'",
                                                        t)),
                   2);
}
END_TEST

START_TEST(test_signal_rows_break_the_api_rules)
{
  const char *t = new_tag("x");
  assert_counts(import_csv("customers", harness_fmt("external_id,name\n%s,S\n", t)), 1, 0, 0);
  const char *csv = harness_fmt("customer_external_id,type,occurred_at,value,product\n"
                                "%s,nps,2026-02-30T00:00:00Z,5,\n"    /* 1: bad date */
                                "%s,nps,2026-01-01T00:00:00Z,11,\n"   /* 2: out of range */
                                "%s,call,2026-01-01T00:00:00Z,1,\n"   /* 3: value not allowed */
                                "%s,usage,2026-01-01T00:00:00Z,-1,\n" /* 4: negative */
                                "%s,feature_interest,2026-01-01T00:00:00Z,,\n" /* 5 */
                                "%s,wink,2026-01-01T00:00:00Z,,\n"             /* 6: type */
                                "%s,call,2026-01-01,,\n"                       /* 7: a date only */
                                "%s,call,2026-01-01T00:00:00Z,,nothing\n",     /* 8 */
                                t, t, t, t, t, t, t, t);
  harness_response *r = refused_csv("signals", csv, 1, "occurred_at");

  assert_error(r, 2, "value");
  assert_error(r, 3, "value");
  assert_error(r, 4, "value");
  assert_error(r, 5, "product");
  assert_error(r, 6, "type");
  assert_error(r, 7, "occurred_at");
  assert_error(r, 8, "product");
}
END_TEST

/* The request --------------------------------------------------------------------- */

START_TEST(test_request_rules)
{
  harness_response *r = import_as("customers", "application/json", "{}", 2);
  harness_assert_problem(r, 415, NULL);
  r = import_csv("deals-and-more", "name\nx\n");
  harness_assert_problem(r, 404, NULL);
  const char *headers[] = {"Content-Type: text/csv", NULL};
  r = harness_call(env, "read", "POST", "/v1/import/customers", headers, "name\nx\n");
  harness_assert_problem(r, 403, NULL);
  /* 10 MiB is the limit of this route, not 1 MiB */
  size_t big = 10 * 1024 * 1024 + 1;
  char *body = harness_repeat('a', big);
  memcpy(body, "name\n", 5);
  r = import_as("customers", "text/csv", body, big);
  harness_assert_problem(r, 413, NULL);
  size_t rows = 2 * 1024 * 1024 / 8, len = 0;
  char *ok = harness_own(malloc(rows * 8 + 16), free);
  len += (size_t)sprintf(ok, "name\n");
  for (size_t i = 0; i < rows; i++)
    len += (size_t)sprintf(ok + len, "n%06zu\n", i % 1000000);
  assert_counts(import_as("customers", "text/csv", ok, len), (long long)rows, 0, 0);
}
END_TEST

START_TEST(test_one_data_version_bump_per_import)
{
  const char *t = new_tag("v");
  long long before = harness_sql_int(env->db, "SELECT version FROM data_version");
  harness_response *r =
      import_csv("customers", harness_fmt("external_id,name\n%s-1,a\n%s-2,b\n%s-3,c\n", t, t, t));
  assert_counts(r, 3, 0, 0);
  ck_assert_int_eq(harness_sql_int(env->db, "SELECT version FROM data_version"), before + 1);
  ck_assert_int_eq(atoll(harness_header(r, "X-Ltvd-Data-Version")), before + 1);
}
END_TEST

/* ltvd import ---------------------------------------------------------------------- */

static char *write_file(const char *tag, int rows, int bad_row)
{
  char *path = harness_fmt("/tmp/ltvd-import-%s.csv", tag);
  FILE *f = fopen(path, "w");
  ck_assert(f != NULL);
  fprintf(f, "external_id,name,employee_count\r\n");
  for (int i = 1; i <= rows; i++)
    fprintf(f, "%s-%d,\"Name %d,\nsecond line\",%s\r\n", tag, i, i, i == bad_row ? "x" : "7");
  fclose(f);
  return path;
}

static int run_import(const char *path, char **out)
{
  const char *url = harness_fmt("http://127.0.0.1:%d", harness_server_port(env->srv));
  const char *args[] = {
      "import",       "customers", path, "--url", url, "--key", harness_env_key(env, "write"),
      "--chunk-rows", "1000",      NULL};
  int status = harness_ltvd(env->db, args, out, 120);
  ck_assert_msg(status != -1 && WIFEXITED(status), "ltvd import did not finish: %s", *out);
  return WEXITSTATUS(status);
}

START_TEST(test_cli_import_in_chunks)
{
  const char *t = new_tag("cli");
  char *path = write_file(t, 2500, 0), *out;

  ck_assert_int_eq(run_import(path, &out), 0);
  ck_assert_msg(strstr(out, "2500 rows in 3 chunks") && strstr(out, "inserted 2500"), "%s", out);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM customers WHERE "
                                                        "external_id LIKE '%s-%%' AND name LIKE "
                                                        "'Name %%,\nsecond line'",
                                                        t)),
                   2500);
  ck_assert_int_eq(run_import(path, &out), 0);
  ck_assert_msg(strstr(out, "skipped 2500"), "%s", out);
  unlink(path);
}
END_TEST

START_TEST(test_cli_import_stops_at_the_first_refused_chunk)
{
  const char *t = new_tag("clibad");
  char *path = write_file(t, 2500, 1500), *out;

  ck_assert_int_eq(run_import(path, &out), 1);
  ck_assert_msg(strstr(out, "stopped: 1000 rows in 1 chunks"), "%s", out);
  ck_assert_int_eq(harness_sql_int(env->db, harness_fmt("SELECT count(*) FROM customers WHERE "
                                                        "external_id LIKE '%s-%%'",
                                                        t)),
                   1000);
  unlink(path);
}
END_TEST

static Suite *import_suite(void)
{
  Suite *s = suite_create("import");
  TCase *tc = harness_tcase("customers");
  tcase_add_test(tc, test_customers_upsert_counts);
  tcase_add_test(tc, test_csv_quoting_bom_crlf_and_blank_lines);
  tcase_add_test(tc, test_ndjson_customers);
  tcase_add_test(tc, test_customer_rows_break_the_api_rules);
  tcase_add_test(tc, test_columns_are_checked_against_the_resource);
  tcase_add_test(tc, test_malformed_csv_is_refused);
  tcase_add_test(tc, test_duplicate_external_ids_in_one_file_are_refused);
  tcase_add_test(tc, test_errors_are_capped_at_100_in_row_order);
  tcase_add_test(tc, test_import_signals_attach_to_imported_customers);
  suite_add_tcase(s, tc);

  tc = harness_tcase("mrr_signals");
  tcase_add_test(tc, test_mrr_upsert_by_customer_product_month);
  tcase_add_test(tc, test_mrr_rows_break_the_api_rules);
  tcase_add_test(tc, test_signals_skip_duplicate_events);
  tcase_add_test(tc, test_signal_rows_break_the_api_rules);
  suite_add_tcase(s, tc);

  tc = harness_tcase("request");
  tcase_add_test(tc, test_request_rules);
  tcase_add_test(tc, test_one_data_version_bump_per_import);
  tcase_add_test(tc, test_cli_import_in_chunks);
  tcase_add_test(tc, test_cli_import_stops_at_the_first_refused_chunk);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  harness_init();
  env = harness_env_up(NULL);
  return harness_run(import_suite(), env);
}
