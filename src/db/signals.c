/* The SQL of engagement signals. Storing one is a single INSERT ... ON CONFLICT (source,
 * event_id) DO NOTHING that also matches customer_external_id to the live customer
 * holding it. When the insert yields no row the event was stored before; reading it back
 * afterwards is safe against races: ON CONFLICT waited for the other transaction to
 * commit, and the next statement's snapshot sees its row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/customers.h"
#include "ltvd/db.h"
#include "ltvd/revenue_db.h"

#define COLUMNS                                                                         \
  "s.id, s.customer_id, s.customer_external_id, s.type, ltvd_ts(s.occurred_at), s.value, " \
  "s.product, s.source, s.event_id, ltvd_ts(s.created_at)"

enum { S_ID, S_CUSTOMER, S_EXTERNAL, S_TYPE, S_OCCURRED, S_VALUE, S_PRODUCT, S_SOURCE,
       S_EVENT, S_CREATED };

const struct ltvd_stmt ltvd_db_signals_stmts[] = {
    {"signal_insert",
     "INSERT INTO signals AS s (customer_id, customer_external_id, type, occurred_at, value, "
     "product, source, event_id, created_at) "
     "VALUES (coalesce($1::bigint, (SELECT id FROM customers WHERE external_id = $2::text "
     "AND archived_at IS NULL)), $2::text, $3, $4::timestamptz, $5::double precision, $6, "
     "$7, $8, $9::timestamptz) "
     "ON CONFLICT (source, event_id) DO NOTHING RETURNING " COLUMNS},
    {"signal_by_event",
     "SELECT " COLUMNS " FROM signals s WHERE s.source = $1 AND s.event_id = $2"},
    {"signal_list",
     "SELECT " COLUMNS " FROM signals s LEFT JOIN customers c ON c.id = s.customer_id "
     "WHERE s.id > $1 AND (s.customer_id IS NULL OR c.archived_at IS NULL) "
     "AND ($2::boolean IS NULL OR (s.customer_id IS NULL) = $2) "
     "AND ($3::text IS NULL OR s.type = $3) "
     "AND ($4::bigint IS NULL OR s.customer_id = $4) "
     "AND ($5::text IS NULL OR s.source = $5) "
     "ORDER BY s.id LIMIT $6"},
    {NULL, NULL},
};

const char *ltvd_signal_status_name(enum ltvd_signal_status status)
{
  switch (status) {
  case LTVD_SIGNAL_STORED:
    return "stored";
  case LTVD_SIGNAL_UNMATCHED:
    return "unmatched";
  case LTVD_SIGNAL_DUPLICATE:
    return "duplicate";
  default:
    return NULL;
  }
}

int64_t ltvd_db_signal_id(const PGresult *res, int row)
{
  return strtoll(PQgetvalue(res, row, S_ID), NULL, 10);
}

json_t *ltvd_db_signal_json(const PGresult *res, int row)
{
  json_t *o = json_object();
  json_t *value = json_null();

  if (!PQgetisnull(res, row, S_VALUE)) {
    double v = strtod(PQgetvalue(res, row, S_VALUE), NULL);
    /* an nps score is an integer; a usage share is a number */
    value = strcmp(PQgetvalue(res, row, S_TYPE), "nps") == 0 ? json_integer((json_int_t) v)
                                                             : json_real(v);
  }
  json_object_set_new(o, "id", json_integer(ltvd_db_signal_id(res, row)));
  json_object_set_new(o, "customer_id", ltvd_db_integer_or_null(res, row, S_CUSTOMER));
  json_object_set_new(o, "customer_external_id", ltvd_db_text_or_null(res, row, S_EXTERNAL));
  json_object_set_new(o, "type", ltvd_db_text_or_null(res, row, S_TYPE));
  json_object_set_new(o, "occurred_at", ltvd_db_text_or_null(res, row, S_OCCURRED));
  json_object_set_new(o, "value", value);
  json_object_set_new(o, "product", ltvd_db_text_or_null(res, row, S_PRODUCT));
  json_object_set_new(o, "source", ltvd_db_text_or_null(res, row, S_SOURCE));
  json_object_set_new(o, "event_id", ltvd_db_text_or_null(res, row, S_EVENT));
  json_object_set_new(o, "created_at", ltvd_db_text_or_null(res, row, S_CREATED));
  return o;
}

static const char *text_of(const json_t *record, const char *name)
{
  return json_string_value(json_object_get(record, name));
}

enum ltvd_signal_status ltvd_db_signal_store(PGconn *c, const json_t *record,
                                             json_t **signal_out)
{
  char id[24], value[40], ts[32];
  json_t *cid = json_object_get(record, "customer_id");
  json_t *v = json_object_get(record, "value");
  const char *source = text_of(record, "source"), *event = text_of(record, "event_id");
  const char *values[9];

  *signal_out = NULL;
  if (json_is_integer(cid))
    snprintf(id, sizeof id, "%lld", (long long) json_integer_value(cid));
  if (json_is_integer(v))
    snprintf(value, sizeof value, "%lld", (long long) json_integer_value(v));
  else if (json_is_real(v))
    snprintf(value, sizeof value, "%.17g", json_real_value(v));
  ltvd_clock_timestamp(ts);
  values[0] = json_is_integer(cid) ? id : NULL;
  values[1] = json_is_integer(cid) ? NULL : text_of(record, "customer_external_id");
  values[2] = text_of(record, "type");
  values[3] = text_of(record, "occurred_at");
  values[4] = json_is_number(v) ? value : NULL;
  values[5] = text_of(record, "product");
  values[6] = source ? source : "api";
  values[7] = event;
  values[8] = ts;
  if (values[1] && !ltvd_db_lock_external_id(c, values[1]))
    return LTVD_SIGNAL_FAILED;
  PGresult *res = ltvd_db_run(c, "signal_insert", 9, values);
  if (res == NULL)
    return LTVD_SIGNAL_FAILED;
  enum ltvd_signal_status status = LTVD_SIGNAL_DUPLICATE;
  if (PQntuples(res) == 1) {
    status = PQgetisnull(res, 0, S_CUSTOMER) ? LTVD_SIGNAL_UNMATCHED : LTVD_SIGNAL_STORED;
  } else {
    PQclear(res);
    res = LTVD_DB_RUN(c, "signal_by_event", values[6], event);
    if (res == NULL)
      return LTVD_SIGNAL_FAILED;
    if (PQntuples(res) != 1) { /* cannot happen: the conflict was on this very key */
      PQclear(res);
      return LTVD_SIGNAL_FAILED;
    }
  }
  *signal_out = ltvd_db_signal_json(res, 0);
  PQclear(res);
  return status;
}

PGresult *ltvd_db_signal_list(PGconn *c, const struct ltvd_signal_filter *f)
{
  char after[24], customer[24], limit[16];
  const char *values[6];

  snprintf(after, sizeof after, "%lld", (long long) f->after);
  snprintf(customer, sizeof customer, "%lld", (long long) f->customer_id);
  snprintf(limit, sizeof limit, "%d", f->limit + 1);
  values[0] = after;
  values[1] = f->unmatched < 0 ? NULL : f->unmatched ? "true" : "false";
  values[2] = f->type;
  values[3] = f->customer_id > 0 ? customer : NULL;
  values[4] = f->source;
  values[5] = limit;
  return ltvd_db_run(c, "signal_list", 6, values);
}
