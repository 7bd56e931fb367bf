/* One analytics run: load a snapshot, compute, publish (see ltvd/worker.h). (stub) */
#include "ltvd/worker.h"

#include <stdio.h>
#include <string.h>

enum ltvd_an_run_status ltvd_an_run(PGconn *c, const struct ltvd_config *cfg,
                                    struct ltvd_an_run_report *rep)
{
  (void) c, (void) cfg;
  memset(rep, 0, sizeof *rep);
  rep->status = LTVD_AN_RUN_FAILED;
  snprintf(rep->error, sizeof rep->error, "not implemented yet");
  return rep->status;
}
