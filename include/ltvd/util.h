/* Small pure helpers shared by every module: text, numbers, hashing, randomness. */
#ifndef LTVD_UTIL_H
#define LTVD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LTVD_MONEY_MAX INT64_C(9007199254740991) /* 2^53 - 1 */

/* Number of code points of a valid UTF-8 string; -1 when it is not valid UTF-8. */
long ltvd_utf8_length(const char *s, size_t len);

/* Decodes %XX (and '+' as a space when plus_space) in place; false on a bad escape
 * or on %00. */
bool ltvd_percent_decode(char *s, bool plus_space);

/* Parses a whole decimal integer in [min, max]; false on anything else. */
bool ltvd_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* The value of a hex digit (either case), -1 for any other character. */
int ltvd_hex_value(char c);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void ltvd_hex(const unsigned char *bytes, size_t n, char *out);

/* SHA-256 of data into out[32]. */
void ltvd_sha256(const void *data, size_t len, unsigned char out[32]);

/* n cryptographically random bytes; aborts if the kernel cannot supply them. */
void ltvd_random_bytes(void *out, size_t n);

/* Seconds on the monotonic clock. */
double ltvd_monotonic(void);

/* Minor units per major unit of an ISO 4217 currency (ISO 4217's exponent): 1 for JPY,
 * 1000 for KWD, 100 for the others. */
double ltvd_currency_minor_per_major(const char *code);

/* qsort and bsearch that accept an empty array with a NULL base (the C library's are
 * declared nonnull, and UndefinedBehaviorSanitizer holds them to it). */
void ltvd_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *ltvd_bsearch(const void *key, const void *base, size_t n, size_t size,
                   int (*cmp)(const void *, const void *));

/* asprintf that aborts on allocation failure. */
char *ltvd_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
