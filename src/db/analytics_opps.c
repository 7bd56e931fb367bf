/* Publishing a run's opportunities and alerts (see ltvd/opportunities.h), inside the
 * transaction of src/db/analytics.c: the previous baseline is read, the alerts derived
 * against it are appended to the log (COPY, so the log's insert triggers run once per
 * statement), and the opportunities, the two documents and the new baseline replace the
 * old ones. */
#include "ltvd/opportunities.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/copy_text.h"
#include "ltvd/db.h"
#include "ltvd/json_out.h"
#include "ltvd/util.h"

struct pub {
  PGconn *c;
  char *err;
  size_t errlen;
};

static bool fail(struct pub *p, const char *what, const char *message)
{
  snprintf(p->err, p->errlen, "%s: %s", what, message);
  return false;
}

static PGresult *query(struct pub *p, const char *sql, int n, const char *const *params)
{
  PGresult *res = PQexecParams(p->c, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    fail(p, sql, PQerrorMessage(p->c));
    PQclear(res);
    return NULL;
  }
  return res;
}

static bool command(struct pub *p, const char *sql, int n, const char *const *params)
{
  PGresult *res = query(p, sql, n, params);
  PQclear(res);
  return res != NULL;
}

/* ---- COPY text ------------------------------------------------------------------- */

static void field_fmt(struct ltvd_copy_rows *b, bool last, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void field_fmt(struct ltvd_copy_rows *b, bool last, const char *fmt, ...)
{
  char text[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  ltvd_copy_field(b, text, last);
}

static void field_real(struct ltvd_copy_rows *b, double v, bool last)
{
  char text[32];
  ltvd_json_real(v, text);
  ltvd_copy_field(b, text, last);
}

static void field_small(struct ltvd_copy_rows *b, int v, bool last)
{
  if (v < 0)
    ltvd_copy_field(b, NULL, last);
  else
    field_fmt(b, last, "%d", v);
}

static bool copy_in(struct pub *p, const char *sql, struct ltvd_copy_rows *b)
{
  bool ok = ltvd_copy_send(p->c, sql, b);
  free(b->p);
  memset(b, 0, sizeof *b);
  return ok || fail(p, sql, ltvd_db_last_message());
}

/* ---- the endpoints' statements (src/api/opportunities.c) ------------------------------- */

/* Hidden: converted, or dismissed until today ($today) or later. */
#define HIDDEN(x, today) "(" x ".action = 'converted' OR " x ".until >= " today "::date)"
#define LIVE(o)                                                                                    \
  "EXISTS (SELECT 1 FROM customers c WHERE c.id = " o ".customer_id "                              \
  "AND c.archived_at IS NULL)"

const struct ltvd_stmt ltvd_db_opportunities_stmts[] = {
    /* the run's as_of, then the visible rows after position $1 (at most $2, NULL: all) */
    {"opportunities_list",
     "SELECT a.body, q.pos, q.body FROM analytics_docs a LEFT JOIN LATERAL ("
     "SELECT o.pos, o.body FROM opportunities o WHERE o.pos > $1::bigint "
     "AND ($3::text IS NULL OR o.type = $3) AND ($4::text IS NULL OR o.quadrant = $4) "
     "AND ($5::text IS NULL OR o.tier = $5) AND ($6::float8 IS NULL OR o.score >= $6) "
     "AND ($7::text IS NULL OR o.family = $7) AND " LIVE(
         "o") " "
              "AND NOT EXISTS (SELECT 1 FROM opportunity_actions x WHERE x.id = o.id AND " HIDDEN(
                  "x", "$8") ") ORDER BY o.pos LIMIT $2::bigint) q ON true "
                             "WHERE a.name = 'as_of' ORDER BY q.pos"},
    /* columns: see enum G_* of src/api/opportunities.c */
    {"opportunity_get",
     "SELECT a.body, o.body, o.customer_id, o.type, o.product, o.expected_annual_value, "
     "x.action, x.deal_id, coalesce(" HIDDEN("x", "$2") ", false), " LIVE(
         "o") " "
              "FROM (SELECT 1) one LEFT JOIN analytics_docs a ON a.name = 'as_of' "
              "LEFT JOIN opportunities o ON o.id = $1 LEFT JOIN opportunity_actions x ON x.id = "
              "$1"},
    {"opportunity_pipeline", "SELECT key FROM pipelines WHERE kind = $1 ORDER BY seq LIMIT 1"},
    /* no row when it is converted already */
    {"opportunity_convert",
     "INSERT INTO opportunity_actions AS x (id, action, until, deal_id, created_at) "
     "VALUES ($1, 'converted', NULL, $2, $3) ON CONFLICT (id) DO UPDATE SET "
     "action = 'converted', until = NULL, deal_id = excluded.deal_id, "
     "created_at = excluded.created_at WHERE x.action <> 'converted' RETURNING x.id"},
    {"opportunity_dismiss",
     "INSERT INTO opportunity_actions AS x (id, action, until, deal_id, created_at) "
     "VALUES ($1, 'dismissed', $2, NULL, $3) ON CONFLICT (id) DO UPDATE SET "
     "action = 'dismissed', until = excluded.until, created_at = excluded.created_at "
     "WHERE x.action <> 'converted' "
     "RETURNING x.id, to_char(x.until, 'YYYY-MM-DD'), ltvd_ts(x.created_at)"},
    {NULL, NULL},
};

/* ---- the previous baseline ---------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
  return strcmp(a, b);
}

/* The ids of a one-column result, sorted (strcmp). */
static size_t ids_of(PGresult *res, char (**out)[LTVD_AN_OPP_ID_LEN])
{
  size_t n = 0, rows = (size_t)PQntuples(res);
  *out = calloc(rows ? rows : 1, LTVD_AN_OPP_ID_LEN);
  if (*out == NULL)
    abort();
  for (size_t i = 0; i < rows; i++)
    if (PQgetlength(res, (int)i, 0) == LTVD_AN_OPP_ID_LEN - 1)
      memcpy((*out)[n++], PQgetvalue(res, (int)i, 0), LTVD_AN_OPP_ID_LEN);
  ltvd_qsort(*out, n, LTVD_AN_OPP_ID_LEN, cmp_id);
  return n;
}

static int small_or_none(PGresult *res, int row, int col)
{
  return PQgetisnull(res, row, col) ? LTVD_AN_NONE : atoi(PQgetvalue(res, row, col));
}

static bool read_baseline(struct pub *p, const char *today, struct ltvd_an_alert_state *st)
{
  memset(st, 0, sizeof *st);
  PGresult *res =
      query(p, "SELECT baseline_at IS NULL, nps_seen FROM alert_state FOR UPDATE", 0, NULL);
  if (res == NULL)
    return false;
  st->first_run = PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] == 't';
  st->nps_seen = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 1), NULL, 10) : 0;
  PQclear(res);

  if ((res = query(p,
                   "SELECT customer_id, tier, quadrant, standing FROM alert_customers "
                   "ORDER BY customer_id",
                   0, NULL)) == NULL)
    return false;
  st->n_customers = (size_t)PQntuples(res);
  st->customers = calloc(st->n_customers + 1, sizeof *st->customers);
  if (st->customers == NULL)
    abort();
  for (int i = 0; i < PQntuples(res); i++)
    st->customers[i] =
        (struct ltvd_an_alert_customer){.customer_id = strtoll(PQgetvalue(res, i, 0), NULL, 10),
                                        .tier = small_or_none(res, i, 1),
                                        .quadrant = small_or_none(res, i, 2),
                                        .standing = atoi(PQgetvalue(res, i, 3))};
  PQclear(res);

  if ((res = query(p,
                   "SELECT deal_id, contract_end - DATE '1970-01-01' FROM alert_renewals "
                   "ORDER BY deal_id, contract_end",
                   0, NULL)) == NULL)
    return false;
  st->n_renewals = (size_t)PQntuples(res);
  st->renewals = calloc(st->n_renewals + 1, sizeof *st->renewals);
  if (st->renewals == NULL)
    abort();
  for (int i = 0; i < PQntuples(res); i++)
    st->renewals[i] = (struct ltvd_an_renewal_seen){
        .deal_id = strtoll(PQgetvalue(res, i, 0), NULL, 10),
        .contract_end_day = (int32_t)strtol(PQgetvalue(res, i, 1), NULL, 10)};
  PQclear(res);

  if ((res = query(p, "SELECT id FROM opportunities", 0, NULL)) == NULL)
    return false;
  st->n_opps = ids_of(res, &st->opp_ids);
  PQclear(res);
  const char *params[] = {today};
  if ((res = query(p,
                   "SELECT id FROM opportunity_actions WHERE action = 'converted' "
                   "OR until >= $1::date",
                   1, params)) == NULL)
    return false;
  st->n_hidden = ids_of(res, &st->hidden_ids);
  PQclear(res);
  return true;
}

/* ---- writing ----------------------------------------------------------------------- */

static bool write_alerts(struct pub *p, const struct ltvd_an_alerts *alerts,
                         const char *computed_at)
{
  if (alerts->n == 0)
    return true;
  struct ltvd_copy_rows b = {0};
  for (size_t i = 0; i < alerts->n; i++) {
    const struct ltvd_an_alert *a = &alerts->a[i];
    ltvd_copy_field(&b, ltvd_an_alert_type_name(a->type), false);
    field_fmt(&b, false, "%" PRId64, a->customer_id);
    ltvd_copy_field(&b, computed_at, false);
    ltvd_copy_field_json(&b, json_incref(a->data), true);
  }
  return copy_in(p, "COPY alerts (type, customer_id, created_at, data) FROM STDIN", &b);
}

static bool write_opportunities(struct pub *p, const struct ltvd_an_results *res,
                                const struct ltvd_an_opps *o)
{
  struct ltvd_copy_rows b = {0};
  for (size_t i = 0; i < o->n; i++) {
    const struct ltvd_an_opp *op = &o->opps[i];
    const struct ltvd_an_cmetrics *m = &res->c[op->customer];
    ltvd_copy_field(&b, op->id, false);
    field_fmt(&b, false, "%zu", i + 1);
    field_fmt(&b, false, "%" PRId64, op->customer_id);
    ltvd_copy_field(&b, ltvd_an_opp_type_name(op->type), false);
    ltvd_copy_field(&b, res->snap->families[op->family], false);
    ltvd_copy_field(&b, res->snap->products[op->product].key, false);
    ltvd_copy_field(&b, ltvd_an_quadrant_name(m->quadrant), false);
    ltvd_copy_field(&b, ltvd_an_tier_name(m->tier), false);
    field_real(&b, op->score, false);
    field_real(&b, op->expected_annual_value, false);
    field_real(&b, op->priority, false);
    ltvd_copy_field_json(&b, ltvd_an_opp_json(res, op), true);
  }
  bool ok = command(p, "DELETE FROM opportunities", 0, NULL) &&
            (o->n == 0 ||
             copy_in(p,
                     "COPY opportunities (id, pos, customer_id, type, family, product, "
                     "quadrant, tier, score, expected_annual_value, priority, body) FROM STDIN",
                     &b));
  free(b.p);
  return ok;
}

static char *document(json_t *as_of, json_t *results)
{
  json_t *doc = json_pack("{s:O, s:o}", "as_of", as_of, "results", results);
  char *text = ltvd_json_dumps(doc);
  json_decref(doc);
  return text;
}

static bool write_documents(struct pub *p, const struct ltvd_an_results *res,
                            const struct ltvd_an_opps *o, const char *computed_at)
{
  struct ltvd_an_as_of a = {.data_version = res->snap->data_version};
  snprintf(a.computed_at, sizeof a.computed_at, "%s", computed_at);
  json_t *as_of = ltvd_an_as_of_json(&a, res->snap);
  char *rules = document(as_of, ltvd_an_rules_rows(res, o));
  char *at_risk = document(as_of, ltvd_an_at_risk_rows(res, o));
  json_decref(as_of);
  const char *params[] = {rules, at_risk};
  bool ok = command(p,
                    "INSERT INTO analytics_docs (name, body) VALUES "
                    "('cross_sell_rules', $1), ('at_risk', $2) "
                    "ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                    2, params);
  free(rules);
  free(at_risk);
  return ok;
}

static bool same_customer(const struct ltvd_an_alert_customer *a,
                          const struct ltvd_an_alert_customer *b)
{
  return a->tier == b->tier && a->quadrant == b->quadrant && a->standing == b->standing;
}

static void copy_customer(struct ltvd_copy_rows *b, const struct ltvd_an_alert_customer *c)
{
  field_fmt(b, false, "%" PRId64, c->customer_id);
  field_small(b, c->tier, false);
  field_small(b, c->quadrant, false);
  field_small(b, c->standing, true);
}

static void array_id(struct ltvd_copy_rows *b, int64_t id)
{
  char text[24];
  int n = snprintf(text, sizeof text, "%s%" PRId64, b->len ? "," : "{", id);
  ltvd_copy_put(b, text, (size_t)n);
}

/* The baseline's customers. A run changes few of them, so only the differences with the
 * previous baseline (both by customer id) are written: the rows of customers gone or
 * changed are deleted, those of customers changed or new are copied in. */
static bool write_customers(struct pub *p, const struct ltvd_an_alert_state *prev,
                            const struct ltvd_an_alert_state *next)
{
  struct ltvd_copy_rows gone = {0}, rows = {0};
  size_t i = 0, j = 0;
  while (i < prev->n_customers || j < next->n_customers) {
    const struct ltvd_an_alert_customer *a = i < prev->n_customers ? &prev->customers[i] : NULL;
    const struct ltvd_an_alert_customer *b = j < next->n_customers ? &next->customers[j] : NULL;
    if (b == NULL || (a != NULL && a->customer_id < b->customer_id)) {
      array_id(&gone, a->customer_id);
      i++;
    } else if (a == NULL || b->customer_id < a->customer_id) {
      copy_customer(&rows, b);
      j++;
    } else {
      if (!same_customer(a, b)) {
        array_id(&gone, a->customer_id);
        copy_customer(&rows, b);
      }
      i++, j++;
    }
  }
  bool ok = true;
  if (gone.len) {
    ltvd_copy_put(&gone, "}", 1);
    gone.p[gone.len] = '\0';
    const char *params[] = {gone.p};
    ok =
        command(p, "DELETE FROM alert_customers WHERE customer_id = ANY ($1::bigint[])", 1, params);
  }
  if (ok && rows.len)
    ok = copy_in(p, "COPY alert_customers (customer_id, tier, quadrant, standing) FROM STDIN",
                 &rows);
  free(gone.p);
  free(rows.p);
  return ok;
}

static bool write_baseline(struct pub *p, const struct ltvd_an_alert_state *prev,
                           const struct ltvd_an_alert_state *next, const char *computed_at,
                           const char *today)
{
  struct ltvd_copy_rows renewals = {0};
  for (size_t i = 0; i < next->n_renewals; i++) {
    char day[11];
    ltvd_an_format_day(next->renewals[i].contract_end_day, day);
    field_fmt(&renewals, false, "%" PRId64, next->renewals[i].deal_id);
    ltvd_copy_field(&renewals, day, true);
  }
  char seen[24];
  snprintf(seen, sizeof seen, "%" PRId64, next->nps_seen);
  const char *state[] = {computed_at, seen};
  const char *day[] = {today};
  bool ok = write_customers(p, prev, next) && command(p, "DELETE FROM alert_renewals", 0, NULL) &&
            (next->n_renewals == 0 ||
             copy_in(p, "COPY alert_renewals (deal_id, contract_end) FROM STDIN", &renewals)) &&
            command(p, "UPDATE alert_state SET baseline_at = $1, nps_seen = $2", 2, state) &&
            command(p,
                    "DELETE FROM opportunity_actions WHERE action = 'dismissed' "
                    "AND until < $1::date",
                    1, day);
  free(renewals.p);
  return ok;
}

bool ltvd_an_publish_opportunities(PGconn *c, const struct ltvd_an_results *res,
                                   const char *computed_at, char *err, size_t errlen)
{
  struct pub p = {.c = c, .err = err, .errlen = errlen};
  struct ltvd_an_opps opps;
  struct ltvd_an_alert_state prev, next = {0};
  struct ltvd_an_alerts alerts = {0};
  char today[11];
  ltvd_an_format_day(res->snap->today, today);

  ltvd_an_opportunities(res, &opps);
  bool ok = read_baseline(&p, today, &prev);
  if (ok)
    ltvd_an_alerts_derive(res, &opps, &prev, &alerts, &next);
  ok = ok && write_alerts(&p, &alerts, computed_at) && write_opportunities(&p, res, &opps) &&
       write_documents(&p, res, &opps, computed_at) &&
       write_baseline(&p, &prev, &next, computed_at, today);
  ltvd_an_alerts_free(&alerts);
  ltvd_an_alert_state_free(&prev);
  ltvd_an_alert_state_free(&next);
  ltvd_an_opps_free(&opps);
  return ok;
}
