/* The customer timeline in one query: four kinds of events gathered with UNION ALL and
 * ordered newest first (ties: kind, then id descending), paged by offset.
 *
 * - deal_created: at the deal's created_at, in the stage and pipeline of its first
 *   history entry (the stage it was created in; its current one when it has no history).
 * - stage_changed: every history entry but the first of each deal, from the stage of the
 *   entry before it (lag over the deal's entries by entered_at, then id).
 * - mrr_changed: the customer's total MRR per month over every month from its first
 *   month with lines to the later of its last such month and the reference month M of
 *   SPEC section 4 (the month of today when any line exists for it, else the month
 *   before), months without lines counting 0; a month whose total differs from the
 *   previous month's (lag, 0 before the first) is a change at its first instant (UTC).
 *   Extending to M shows a customer whose lines stopped as a drop to 0, as the analytics
 *   see it, without inventing a drop for a month whose ledger is not loaded yet.
 * - signal: at occurred_at. */
#include <stdio.h>

#include "ltvd/db.h"
#include "ltvd/revenue_db.h"

const struct ltvd_stmt ltvd_db_timeline_stmts[] = {
    {"customer_timeline",
     "WITH d AS (SELECT id, pipeline, stage, product, amount, revenue_type, created_at "
     "           FROM deals WHERE customer_id = $1), "
     "h AS (SELECT h.id, h.deal_id, h.pipeline, h.stage, h.entered_at, "
     "             lag(h.stage) OVER w AS prev_stage, row_number() OVER w AS n "
     "      FROM deal_stage_history h JOIN d ON d.id = h.deal_id "
     "      WINDOW w AS (PARTITION BY h.deal_id ORDER BY h.entered_at, h.id)), "
     "totals AS (SELECT month, sum(mrr) AS total FROM mrr_lines WHERE customer_id = $1 "
     "           GROUP BY month), "
     "ref AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM mrr_lines "
     "                                 WHERE month = date_trunc('month', $2::date)::date) "
     "             THEN date_trunc('month', $2::date)::date "
     "             ELSE (date_trunc('month', $2::date) - interval '1 month')::date END AS m), "
     "months AS (SELECT g::date AS month FROM "
     "             (SELECT min(month) AS lo, max(month) AS hi FROM totals) b, ref, "
     "             generate_series(b.lo, greatest(b.hi, ref.m), interval '1 month') g "
     "           WHERE b.lo IS NOT NULL), "
     "series AS (SELECT months.month, coalesce(t.total, 0) AS total, "
     "                  lag(coalesce(t.total, 0), 1, 0::numeric) "
     "                    OVER (ORDER BY months.month) AS prev "
     "           FROM months LEFT JOIN totals t USING (month)), "
     "events AS ("
     " SELECT d.created_at AS at, 'deal_created'::text AS kind, d.id, "
     "        json_build_object('deal_id', d.id, 'pipeline', coalesce(h.pipeline, d.pipeline), "
     "          'stage', coalesce(h.stage, d.stage), 'product', d.product, "
     "          'amount', d.amount, 'revenue_type', d.revenue_type) AS data "
     " FROM d LEFT JOIN h ON h.deal_id = d.id AND h.n = 1 "
     " UNION ALL "
     " SELECT h.entered_at, 'stage_changed', h.id, "
     "        json_build_object('deal_id', h.deal_id, 'pipeline', h.pipeline, "
     "          'from', h.prev_stage, 'to', h.stage) "
     " FROM h WHERE h.n > 1 "
     " UNION ALL "
     " SELECT s.month::timestamp AT TIME ZONE 'UTC', 'mrr_changed', 0, "
     "        json_build_object('month', to_char(s.month, 'YYYY-MM'), 'from', s.prev, "
     "          'to', s.total) "
     " FROM series s WHERE s.total <> s.prev "
     " UNION ALL "
     " SELECT g.occurred_at, 'signal', g.id, "
     "        json_build_object('signal_id', g.id, 'type', g.type, "
     "          'value', CASE WHEN g.type = 'nps' THEN to_jsonb(g.value::bigint) "
     "                        ELSE to_jsonb(g.value) END, "
     "          'product', g.product, 'source', g.source) "
     " FROM signals g WHERE g.customer_id = $1) "
     "SELECT ltvd_ts(at), kind, data::text FROM events "
     "ORDER BY at DESC, kind COLLATE \"C\", id DESC OFFSET $3 LIMIT $4"},
    {NULL, NULL},
};

PGresult *ltvd_db_timeline(PGconn *c, int64_t customer_id, const char *today, int64_t offset,
                           int limit)
{
  char id[24], off[24], lim[16];

  snprintf(id, sizeof id, "%lld", (long long) customer_id);
  snprintf(off, sizeof off, "%lld", (long long) offset);
  snprintf(lim, sizeof lim, "%d", limit + 1);
  return LTVD_DB_RUN(c, "customer_timeline", id, today, off, lim);
}
