/* Customer attributes derived for segmentation (pure, no I/O). */
#ifndef LTVD_SEGMENTS_H
#define LTVD_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>

/* The size band of an employee count (SPEC section 3); known=false gives "unknown". */
const char *ltvd_size_band(bool known, int64_t employee_count);

/* The employee-count range of a band: lo..hi inclusive (hi < 0: no upper bound), or
 * *unknown for "unknown". False when band is not a band name. */
bool ltvd_size_band_range(const char *band, int64_t *lo, int64_t *hi, bool *unknown);

#endif
