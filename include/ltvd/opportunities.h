/* Opportunities and the alerts of the analytics (SPEC 4.8, 4.9): storing a run's
 * opportunities, at-risk list, cross-sell rules and alerts (src/db/analytics_opps.c), and
 * the endpoints that serve them and turn an opportunity into a deal or dismiss it
 * (src/api/opportunities.c). The computations are in ltvd/analytics.h. */
#ifndef LTVD_OPPORTUNITIES_H
#define LTVD_OPPORTUNITIES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "ltvd/analytics.h"
#include "ltvd/http.h"

/* Runs inside the transaction that publishes a run (the caller holds analytics_state
 * FOR UPDATE): computes the opportunities of res, reads the previous run's baseline,
 * appends the alerts, replaces the opportunities and the 'cross_sell_rules' and 'at_risk'
 * documents, and stores the new baseline. computed_at is the run's timestamp (the alerts'
 * created_at). False with a message in err on a database error. */
bool ltvd_an_publish_opportunities(PGconn *c, const struct ltvd_an_results *res,
                                   const char *computed_at, char *err, size_t errlen);

int ltvd_api_opportunities_list(struct ltvd_req *r);
int ltvd_api_opportunities_get(struct ltvd_req *r);
int ltvd_api_opportunities_at_risk(struct ltvd_req *r);
int ltvd_api_opportunities_deal(struct ltvd_req *r);
int ltvd_api_opportunities_dismiss(struct ltvd_req *r);
int ltvd_api_cross_sell_rules(struct ltvd_req *r);

#endif
