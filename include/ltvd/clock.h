/* "Today" (SPEC section 4: the UTC date, or LTVD_TODAY) and the timestamps the server
 * assigns, whose date comes from today so that LTVD_TODAY governs writes as well. */
#ifndef LTVD_CLOCK_H
#define LTVD_CLOCK_H

#include <stdbool.h>

/* Fixes today to date (YYYY-MM-DD) or, with NULL, follows the UTC clock. False when
 * date is not a valid calendar date. */
bool ltvd_clock_set_today(const char *date);

/* Today as YYYY-MM-DD into out[11]. */
void ltvd_clock_today(char out[11]);

/* A server-assigned timestamp, YYYY-MM-DDTHH:MM:SS.ffffffZ, into out[32]: today's date
 * with the current UTC time of day. */
void ltvd_clock_timestamp(char out[32]);

/* True when s is a valid calendar date YYYY-MM-DD. */
bool ltvd_valid_date(const char *s);

/* True when s is a month YYYY-MM. */
bool ltvd_valid_month(const char *s);

#endif
