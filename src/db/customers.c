#include "ltvd/customers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/db.h"
#include "ltvd/segments.h"

#define COLUMNS                                                                         \
  "id, external_id, name, industry, employee_count, annual_revenue, "                  \
  "acquisition_channel, country, properties::text, ltvd_ts(created_at), "              \
  "ltvd_ts(updated_at), version, "                                                     \
  "(SELECT m.body FROM customer_metrics m WHERE m.customer_id = id)"

enum { C_ID, C_EXTERNAL_ID, C_NAME, C_INDUSTRY, C_EMPLOYEES, C_REVENUE, C_CHANNEL,
       C_COUNTRY, C_PROPERTIES, C_CREATED, C_UPDATED, C_VERSION, C_METRICS, C_INSERTED };

/* The writable fields in the order of the statements' parameters. */
static const char *const writable[] = {"external_id", "name", "industry", "employee_count",
                                       "annual_revenue", "acquisition_channel", "country",
                                       "properties"};
#define N_WRITABLE 8

const struct ltvd_stmt ltvd_db_customer_stmts[] = {
    {"customer_get", "SELECT " COLUMNS " FROM customers WHERE id = $1 AND archived_at IS NULL"},
    {"customer_lock",
     "SELECT " COLUMNS " FROM customers WHERE id = $1 AND archived_at IS NULL FOR UPDATE"},
    {"customer_get_ext",
     "SELECT " COLUMNS " FROM customers WHERE external_id = $1 AND archived_at IS NULL"},
    {"customer_lock_ext",
     "SELECT " COLUMNS " FROM customers WHERE external_id = $1 AND archived_at IS NULL "
     "FOR UPDATE"},
    {"customer_list",
     "SELECT " COLUMNS " FROM customers WHERE archived_at IS NULL AND id > $1 "
     "AND ($2::text IS NULL OR industry = $2) "
     "AND ($3::bigint IS NULL OR employee_count >= $3) "
     "AND ($4::bigint IS NULL OR employee_count <= $4) "
     "AND (NOT $5::boolean OR employee_count IS NULL) "
     "AND ($6::text IS NULL OR acquisition_channel = $6) "
     "AND ($7::text IS NULL OR country = $7) "
     "AND ($8::text IS NULL OR lower(name) LIKE lower($8) || '%') "
     "AND (($10::text IS NULL AND $11::text IS NULL AND $12::text IS NULL) OR EXISTS ("
     "SELECT 1 FROM customer_metrics m WHERE m.customer_id = customers.id "
     "AND ($10 IS NULL OR m.quadrant = $10) AND ($11 IS NULL OR m.tier = $11) "
     "AND ($12 IS NULL OR m.phase = $12))) "
     "ORDER BY id LIMIT $9"},
    {"customer_insert",
     "INSERT INTO customers (external_id, name, industry, employee_count, annual_revenue, "
     "acquisition_channel, country, properties, created_at, updated_at) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9) RETURNING " COLUMNS},
    {"customer_update",
     "UPDATE customers SET external_id = $2, name = $3, industry = $4, employee_count = $5, "
     "annual_revenue = $6, acquisition_channel = $7, country = $8, properties = $9::jsonb, "
     "updated_at = $10, version = version + 1 WHERE id = $1 RETURNING " COLUMNS},
    {"customer_upsert",
     "INSERT INTO customers AS c (external_id, name, industry, employee_count, "
     "annual_revenue, acquisition_channel, country, properties, created_at, updated_at) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9) "
     "ON CONFLICT (external_id) WHERE archived_at IS NULL DO UPDATE SET "
     "name = excluded.name, industry = excluded.industry, "
     "employee_count = excluded.employee_count, annual_revenue = excluded.annual_revenue, "
     "acquisition_channel = excluded.acquisition_channel, country = excluded.country, "
     "properties = excluded.properties, updated_at = excluded.updated_at, "
     "version = c.version + 1 RETURNING " COLUMNS ", (xmax = 0) AS inserted"},
    {"customer_archive",
     "UPDATE customers SET archived_at = $2, updated_at = $2, version = version + 1 "
     "WHERE id = $1 AND archived_at IS NULL RETURNING id"},
    {"customer_live_id", "SELECT id FROM customers WHERE id = $1 AND archived_at IS NULL"},
    {"customer_live_ext",
     "SELECT id FROM customers WHERE external_id = $1 AND archived_at IS NULL"},
    {"external_id_lock", "SELECT pg_advisory_xact_lock(7418002, hashtext($1))"},
    {"customer_attach_signals",
     "UPDATE signals SET customer_id = $1 WHERE customer_id IS NULL "
     "AND customer_external_id = $2"},
    {NULL, NULL},
};

int64_t ltvd_db_customer_id(const PGresult *res, int row)
{
  return strtoll(PQgetvalue(res, row, C_ID), NULL, 10);
}

int64_t ltvd_db_customer_version(const PGresult *res, int row)
{
  return strtoll(PQgetvalue(res, row, C_VERSION), NULL, 10);
}

json_t *ltvd_db_customer_record(const PGresult *res, int row)
{
  json_t *rec = json_object();

  json_object_set_new(rec, "external_id", ltvd_db_text_or_null(res, row, C_EXTERNAL_ID));
  json_object_set_new(rec, "name", ltvd_db_text_or_null(res, row, C_NAME));
  json_object_set_new(rec, "industry", ltvd_db_text_or_null(res, row, C_INDUSTRY));
  json_object_set_new(rec, "employee_count", ltvd_db_integer_or_null(res, row, C_EMPLOYEES));
  json_object_set_new(rec, "annual_revenue", ltvd_db_integer_or_null(res, row, C_REVENUE));
  json_object_set_new(rec, "acquisition_channel", ltvd_db_text_or_null(res, row, C_CHANNEL));
  json_object_set_new(rec, "country", ltvd_db_text_or_null(res, row, C_COUNTRY));
  json_t *props = json_loads(PQgetvalue(res, row, C_PROPERTIES), JSON_DECODE_ANY, NULL);
  json_object_set_new(rec, "properties", props ? props : json_object());
  return rec;
}

json_t *ltvd_db_customer_json(const PGresult *res, int row, const char *currency)
{
  json_t *rec = ltvd_db_customer_record(res, row);
  json_t *o = json_object();
  bool known = !PQgetisnull(res, row, C_EMPLOYEES);
  int64_t employees = known ? strtoll(PQgetvalue(res, row, C_EMPLOYEES), NULL, 10) : 0;

  json_object_set_new(o, "id", json_integer(ltvd_db_customer_id(res, row)));
  json_object_set(o, "external_id", json_object_get(rec, "external_id"));
  json_object_set(o, "name", json_object_get(rec, "name"));
  json_object_set(o, "industry", json_object_get(rec, "industry"));
  json_object_set(o, "employee_count", json_object_get(rec, "employee_count"));
  json_object_set_new(o, "size_band", json_string(ltvd_size_band(known, employees)));
  json_object_set(o, "annual_revenue", json_object_get(rec, "annual_revenue"));
  json_object_set_new(o, "currency", json_string(currency));
  json_object_set(o, "acquisition_channel", json_object_get(rec, "acquisition_channel"));
  json_object_set(o, "country", json_object_get(rec, "country"));
  json_object_set(o, "properties", json_object_get(rec, "properties"));
  /* the worker's latest metrics (null until a run has covered this customer) */
  json_t *metrics = PQgetisnull(res, row, C_METRICS)
                        ? NULL : json_loads(PQgetvalue(res, row, C_METRICS), 0, NULL);
  json_object_set_new(o, "metrics", metrics ? metrics : json_null());
  json_object_set_new(o, "created_at", ltvd_db_text_or_null(res, row, C_CREATED));
  json_object_set_new(o, "updated_at", ltvd_db_text_or_null(res, row, C_UPDATED));
  json_object_set_new(o, "version", json_integer(ltvd_db_customer_version(res, row)));
  json_decref(rec);
  return o;
}

/* The statement parameters of a record; texts are owned by the caller's buffers. */
struct params {
  const char *values[N_WRITABLE + 3];
  char numbers[N_WRITABLE][24];
  char *properties;
  char ts[32];
};

static void record_params(struct params *p, const json_t *record, int first)
{
  for (int i = 0; i < N_WRITABLE; i++) {
    json_t *v = json_object_get(record, writable[i]);
    const char **slot = &p->values[first + i];
    if (v == NULL || json_is_null(v)) {
      *slot = strcmp(writable[i], "properties") == 0 ? "{}" : NULL;
    } else if (json_is_integer(v)) {
      snprintf(p->numbers[i], sizeof p->numbers[i], "%lld", (long long) json_integer_value(v));
      *slot = p->numbers[i];
    } else if (json_is_object(v)) {
      p->properties = json_dumps(v, JSON_COMPACT);
      *slot = p->properties;
    } else {
      *slot = json_string_value(v);
    }
  }
  ltvd_clock_timestamp(p->ts);
  p->values[first + N_WRITABLE] = p->ts;
}

static PGresult *run_with_record(PGconn *c, const char *stmt, const char *id,
                                 const json_t *record)
{
  struct params p = {0};
  int first = id ? 1 : 0;

  if (id)
    p.values[0] = id;
  record_params(&p, record, first);
  PGresult *res = ltvd_db_run(c, stmt, first + N_WRITABLE + 1, p.values);
  free(p.properties);
  /* signals that arrived before their customer join it as soon as it is written */
  if (res && !PQgetisnull(res, 0, C_EXTERNAL_ID) &&
      !ltvd_db_signals_attach(c, ltvd_db_customer_id(res, 0),
                              PQgetvalue(res, 0, C_EXTERNAL_ID))) {
    PQclear(res);
    return NULL;
  }
  return res;
}

PGresult *ltvd_db_customer_get(PGconn *c, int64_t id, bool for_update)
{
  char s[24];

  snprintf(s, sizeof s, "%lld", (long long) id);
  return LTVD_DB_RUN(c, for_update ? "customer_lock" : "customer_get", s);
}

PGresult *ltvd_db_customer_get_external(PGconn *c, const char *external_id, bool for_update)
{
  return LTVD_DB_RUN(c, for_update ? "customer_lock_ext" : "customer_get_ext", external_id);
}

PGresult *ltvd_db_customer_insert(PGconn *c, const json_t *record)
{
  return run_with_record(c, "customer_insert", NULL, record);
}

PGresult *ltvd_db_customer_update(PGconn *c, int64_t id, const json_t *record)
{
  char s[24];

  snprintf(s, sizeof s, "%lld", (long long) id);
  return run_with_record(c, "customer_update", s, record);
}

PGresult *ltvd_db_customer_upsert(PGconn *c, const json_t *record)
{
  return run_with_record(c, "customer_upsert", NULL, record);
}

PGresult *ltvd_db_customer_archive(PGconn *c, int64_t id)
{
  char s[24], ts[32];

  snprintf(s, sizeof s, "%lld", (long long) id);
  ltvd_clock_timestamp(ts);
  return LTVD_DB_RUN(c, "customer_archive", s, ts);
}

PGresult *ltvd_db_customer_list(PGconn *c, const struct ltvd_customer_filter *f)
{
  char after[24], lo[24], hi[24], limit[16], prefix[1024];
  const char *values[12];

  snprintf(after, sizeof after, "%lld", (long long) f->after);
  snprintf(lo, sizeof lo, "%lld", (long long) f->band_lo);
  snprintf(hi, sizeof hi, "%lld", (long long) f->band_hi);
  snprintf(limit, sizeof limit, "%d", f->limit + 1);
  if (f->name_prefix) { /* LIKE metacharacters in the prefix stand for themselves */
    size_t o = 0;
    for (const char *p = f->name_prefix; *p && o + 2 < sizeof prefix; p++) {
      if (*p == '%' || *p == '_' || *p == '\\')
        prefix[o++] = '\\';
      prefix[o++] = *p;
    }
    prefix[o] = '\0';
  }
  values[0] = after;
  values[1] = f->industry;
  values[2] = f->band && !f->band_unknown ? lo : NULL;
  values[3] = f->band && !f->band_unknown && f->band_hi >= 0 ? hi : NULL;
  values[4] = f->band_unknown ? "true" : "false";
  values[5] = f->acquisition_channel;
  values[6] = f->country;
  values[7] = f->name_prefix ? prefix : NULL;
  values[8] = limit;
  values[9] = f->quadrant;
  values[10] = f->tier;
  values[11] = f->phase;
  return ltvd_db_run(c, "customer_list", 12, values);
}

static int64_t first_id(PGresult *res)
{
  int64_t id;

  if (res == NULL)
    return -1;
  id = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
  PQclear(res);
  return id;
}

int64_t ltvd_db_customer_id_by_external(PGconn *c, const char *external_id)
{
  return first_id(LTVD_DB_RUN(c, "customer_live_ext", external_id));
}

int64_t ltvd_db_customer_resolve(PGconn *c, const json_t *input, long index, json_t *errors)
{
  json_t *id = json_object_get(input, "customer_id");
  json_t *ext = json_object_get(input, "customer_external_id");
  bool has_id = id && !json_is_null(id), has_ext = ext && !json_is_null(ext);
  int64_t found;

  if (has_id == has_ext) {
    json_array_append_new(errors, ltvd_field_error(has_id ? "customer_external_id" : "customer_id",
                                                   index, "give exactly one of customer_id "
                                                          "and customer_external_id"));
    return 0;
  }
  if (has_id) {
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long) json_integer_value(id));
    found = first_id(LTVD_DB_RUN(c, "customer_live_id", s));
  } else {
    found = ltvd_db_customer_id_by_external(c, json_string_value(ext));
  }
  if (found == 0)
    json_array_append_new(errors, ltvd_field_error(has_id ? "customer_id" : "customer_external_id",
                                                   index, "refers to no customer"));
  return found;
}

bool ltvd_db_lock_external_id(PGconn *c, const char *external_id)
{
  PGresult *res = LTVD_DB_RUN(c, "external_id_lock", external_id);

  PQclear(res);
  return res != NULL;
}

bool ltvd_db_signals_attach(PGconn *c, int64_t id, const char *external_id)
{
  char s[24];

  snprintf(s, sizeof s, "%lld", (long long) id);
  if (!ltvd_db_lock_external_id(c, external_id))
    return false;
  PGresult *res = LTVD_DB_RUN(c, "customer_attach_signals", s, external_id);
  PQclear(res);
  return res != NULL;
}
