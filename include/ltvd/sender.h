/* The outbound webhook sender (SPEC section 6): a thread of `ltvd serve` that delivers
 * the outbox (webhook_deliveries, see ltvd/webhooks.h) with libcurl, and the pure rules
 * it follows, exposed for the unit tests. */
#ifndef LTVD_SENDER_H
#define LTVD_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ltvd/config.h"
#include "ltvd/webhooks.h"

/* Starts the sender thread on cfg->database_url; false with a message when it cannot. */
bool ltvd_sender_start(const struct ltvd_config *cfg, char *err, size_t errlen);
/* Stops it: sends in progress are abandoned and their deliveries handed back (they are
 * due again at once for whichever process runs next). */
void ltvd_sender_stop(void);

/* What an answer means: status 0 (no answer) and anything but a 2xx or a final 4xx are
 * retried; 408 and 429 are retried too. */
enum ltvd_outbox_outcome ltvd_sender_outcome(long status);

/* The seconds a Retry-After value asks for, at time now: delay-seconds or an HTTP date
 * (0 when in the past); -1 when value is NULL or neither. */
double ltvd_sender_retry_after(const char *value, time_t now);

/* The delay before the next try after failed attempt number `attempt` (1, 2, ...) of a
 * retry window: base * 2^(attempt-1), scaled by 1 + 0.2 * jitter (jitter in [-1, 1]),
 * or retry_after when that is larger (retry_after < 0: none). */
double ltvd_sender_delay(double base, int attempt, double jitter, double retry_after);

#endif
