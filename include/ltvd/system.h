/* The routes that need no key: liveness, readiness, metrics and the OpenAPI document. */
#ifndef LTVD_SYSTEM_H
#define LTVD_SYSTEM_H

#include "ltvd/http.h"

int ltvd_api_healthz(struct ltvd_req *r);
int ltvd_api_readyz(struct ltvd_req *r);
int ltvd_api_metrics(struct ltvd_req *r);
int ltvd_api_openapi(struct ltvd_req *r);

#endif
