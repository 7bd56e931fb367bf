/* Compact JSON text, as jansson's JSON_COMPACT writes it (keys in insertion order,
 * UTF-8 kept, the same escapes), except for reals: each gets the shortest decimal form
 * that reads back as the same double, so 0.1 reads "0.1" and not "0.10000000000000001"
 * while no value is ever rounded (SPEC section 2). jansson offers only a fixed precision. */
#ifndef LTVD_JSON_OUT_H
#define LTVD_JSON_OUT_H

#include <jansson.h>

/* The text of v (caller frees); aborts on allocation failure. */
char *ltvd_json_dumps(const json_t *v);

/* The shortest "%.*g" form of d that reads back as d, with ".0" added when it would
 * otherwise read as an integer; into out[32]. */
void ltvd_json_real(double d, char out[32]);

#endif
