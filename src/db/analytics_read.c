/* The reads of the published analytics (see migrations/0003_analytics.sql). Each is one
 * statement, so it sees one run: a document, or rows together with the run's as_of. */
#include "ltvd/db.h"

const struct ltvd_stmt ltvd_db_analytics_read_stmts[] = {
    {"analytics_doc", "SELECT body FROM analytics_docs WHERE name = $1"},
    /* the as_of of the run, and the rows of a series between two months (to: M when
       NULL; from: 11 months before to when NULL), joined as JSON array elements */
    {"analytics_series",
     "SELECT a.body, (SELECT string_agg(s.body, ',' ORDER BY s.month, s.pos) "
     "FROM analytics_series s, analytics_state st WHERE s.kind = $1 AND s.key = $2 "
     "AND s.month >= coalesce($3::date, (coalesce($4::date, st.month) - interval '11 months')::date) "
     "AND s.month <= coalesce($4::date, st.month)) "
     "FROM analytics_docs a WHERE a.name = 'as_of'"},
    {"analytics_quadrant_customers",
     "SELECT a.body, q.customer_id, q.name, q.revenue_to_date, q.potential, q.tier "
     "FROM analytics_docs a LEFT JOIN LATERAL ("
     "SELECT m.customer_id, c.name, m.revenue_to_date, m.potential, m.tier "
     "FROM customer_metrics m JOIN customers c ON c.id = m.customer_id "
     "AND c.archived_at IS NULL WHERE m.quadrant = $1 "
     "ORDER BY m.revenue_to_date DESC, m.customer_id LIMIT $2 OFFSET $3) q ON true "
     "WHERE a.name = 'as_of'"},
    {NULL, NULL},
};
