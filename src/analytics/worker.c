/* The analytics worker thread (SPEC section 5). (stub) */
#include "ltvd/worker.h"

bool ltvd_worker_start(const struct ltvd_config *cfg, char *err, size_t errlen)
{
  (void) cfg, (void) err, (void) errlen;
  return true;
}

void ltvd_worker_stop(void)
{
}
