/* The envelope of an all-or-nothing batch body (SPEC section 3): {"inputs": [...]} with
 * 1 to LTVD_BATCH_MAX inputs, checked and refused the same way by every batch endpoint. */
#ifndef LTVD_BATCH_H
#define LTVD_BATCH_H

#include <jansson.h>

#include "ltvd/http.h"

#define LTVD_BATCH_MAX 1000

/* The "inputs" array of the batch body r->json (borrowed), or NULL after a 422 reply
 * ("the batch is invalid") when the envelope is not one. */
json_t *ltvd_batch_inputs(struct ltvd_req *r);

#endif
