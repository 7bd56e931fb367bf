#include "ltvd/batch.h"

#include "ltvd/validate.h"

json_t *ltvd_batch_inputs(struct ltvd_req *r)
{
  static const struct ltvd_field batch_fields[] = {
      {"inputs", LTVD_F_ARRAY, LTVD_REQUIRED, 0, 0, NULL}, {NULL, 0, 0, 0, 0, NULL}};
  json_t *errors = json_array();
  json_t *inputs = json_object_get(r->json, "inputs");
  size_t n = json_array_size(inputs);

  if (ltvd_validate(r->json, batch_fields, NULL, LTVD_VALIDATE_CREATE, -1, errors) == 0) {
    if (n >= 1 && n <= LTVD_BATCH_MAX) {
      json_decref(errors);
      return inputs;
    }
    json_array_append_new(
        errors, ltvd_field_error("inputs", -1, "must hold 1 to %d inputs", LTVD_BATCH_MAX));
  }
  ltvd_problem_errors_new(r, 422, "the batch is invalid", errors);
  return NULL;
}
