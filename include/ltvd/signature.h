/* Webhook signatures (SPEC section 6), pure: no I/O, no clock. The header is
 * "X-Ltvd-Signature: t=<unix seconds>,v1=<hex>", hex being the HMAC-SHA256, keyed with
 * the secret's UTF-8 bytes, of the decimal t, a ".", and the raw body. A receiver
 * accepts |now - t| <= 300 s and compares in constant time. */
#ifndef LTVD_SIGNATURE_H
#define LTVD_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LTVD_SIGNATURE_TOLERANCE 300 /* seconds either side of now */
#define LTVD_SIGNATURE_MAX_V1 8      /* v1 values one header may carry */
#define LTVD_SIGNATURE_HEADER_MAX 96 /* "t=" + 20 digits + ",v1=" + 64 hex + NUL, rounded */

struct ltvd_signature {
  int64_t t;
  int n_v1;
  unsigned char v1[LTVD_SIGNATURE_MAX_V1][32];
};

enum ltvd_signature_result {
  LTVD_SIGNATURE_OK,
  LTVD_SIGNATURE_MISSING,   /* no header */
  LTVD_SIGNATURE_MALFORMED, /* not t=<digits> and 1..8 v1=<64 hex>, comma-separated */
  LTVD_SIGNATURE_STALE,     /* t more than 300 s from now, either way */
  LTVD_SIGNATURE_MISMATCH,  /* no v1 is the HMAC under any of the secrets */
};

/* Parses a header value. Elements are comma-separated key=value pairs (spaces around
 * them allowed); exactly one t, one to eight v1 (any of which may match: a sender may
 * sign with an old and a new secret), other keys ignored (later schemes). */
bool ltvd_signature_parse(const char *header, struct ltvd_signature *out);

/* |now - t| <= LTVD_SIGNATURE_TOLERANCE. */
bool ltvd_signature_fresh(const struct ltvd_signature *sig, int64_t now);

/* The HMAC-SHA256 of "<t>.<body>" keyed with secret. */
void ltvd_signature_compute(const char *secret, int64_t t, const void *body, size_t len,
                            unsigned char mac[32]);

/* True when some v1 of sig equals the HMAC under secret (compared in constant time). */
bool ltvd_signature_matches(const struct ltvd_signature *sig, const char *secret, const void *body,
                            size_t len);

/* The header value a sender puts on body at time t. */
void ltvd_signature_header(const char *secret, int64_t t, const void *body, size_t len,
                           char out[LTVD_SIGNATURE_HEADER_MAX]);

/* The whole check: header (NULL when absent) against the secrets (NULL entries
 * skipped) at time now. */
enum ltvd_signature_result ltvd_signature_verify(const char *header, const char *const *secrets,
                                                 int n_secrets, const void *body, size_t len,
                                                 int64_t now);

#endif
