#include "ltvd/signature.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltvd/util.h"

static bool decode_mac(const char *s, size_t n, unsigned char out[32])
{
  if (n != 64)
    return false;
  for (size_t i = 0; i < 32; i++) {
    int hi = ltvd_hex_value(s[2 * i]), lo = ltvd_hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  return true;
}

static bool parse_t(const char *s, size_t n, int64_t *t)
{
  char buf[20];

  if (n == 0 || n >= sizeof buf || strspn(s, "0123456789") < n)
    return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return ltvd_parse_int64(buf, 0, INT64_MAX, t);
}

/* One "key=value" element, spaces around it trimmed. */
static bool parse_element(const char *s, size_t n, struct ltvd_signature *out, bool *have_t)
{
  while (n > 0 && *s == ' ')
    s++, n--;
  while (n > 0 && s[n - 1] == ' ')
    n--;
  const char *eq = memchr(s, '=', n);
  if (eq == NULL || eq == s)
    return false;
  size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
  const char *v = eq + 1;
  if (klen == 1 && s[0] == 't') {
    if (*have_t || !parse_t(v, vlen, &out->t))
      return false;
    *have_t = true;
  } else if (klen == 2 && memcmp(s, "v1", 2) == 0) {
    if (out->n_v1 == LTVD_SIGNATURE_MAX_V1 || !decode_mac(v, vlen, out->v1[out->n_v1]))
      return false;
    out->n_v1++;
  }
  return true;
}

bool ltvd_signature_parse(const char *header, struct ltvd_signature *out)
{
  bool have_t = false;

  memset(out, 0, sizeof *out);
  if (header == NULL)
    return false;
  for (const char *p = header;;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (!parse_element(p, n, out, &have_t))
      return false;
    if (comma == NULL)
      break;
    p = comma + 1;
  }
  return have_t && out->n_v1 > 0;
}

bool ltvd_signature_fresh(const struct ltvd_signature *sig, int64_t now)
{
  /* written so that no subtraction can overflow, whatever t the sender chose */
  return sig->t >= now - LTVD_SIGNATURE_TOLERANCE && sig->t - LTVD_SIGNATURE_TOLERANCE <= now;
}

void ltvd_signature_compute(const char *secret, int64_t t, const void *body, size_t len,
                            unsigned char mac[32])
{
  char prefix[24];
  int n = snprintf(prefix, sizeof prefix, "%" PRId64 ".", t);
  size_t mac_len = 0;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
      OSSL_PARAM_construct_end()};
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;

  if (ctx == NULL || !EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) ||
      !EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)n) ||
      !EVP_MAC_update(ctx, body, len) || !EVP_MAC_final(ctx, mac, &mac_len, 32) || mac_len != 32)
    abort(); /* only a broken libcrypto gets here */
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(hmac);
}

bool ltvd_signature_matches(const struct ltvd_signature *sig, const char *secret, const void *body,
                            size_t len)
{
  unsigned char mac[32];
  bool match = false;

  ltvd_signature_compute(secret, sig->t, body, len, mac);
  for (int i = 0; i < sig->n_v1; i++)
    match |= CRYPTO_memcmp(mac, sig->v1[i], sizeof mac) == 0;
  return match;
}

void ltvd_signature_header(const char *secret, int64_t t, const void *body, size_t len,
                           char out[LTVD_SIGNATURE_HEADER_MAX])
{
  unsigned char mac[32];
  char hex[65];

  ltvd_signature_compute(secret, t, body, len, mac);
  ltvd_hex(mac, sizeof mac, hex);
  snprintf(out, LTVD_SIGNATURE_HEADER_MAX, "t=%" PRId64 ",v1=%s", t, hex);
}

enum ltvd_signature_result ltvd_signature_verify(const char *header, const char *const *secrets,
                                                 int n_secrets, const void *body, size_t len,
                                                 int64_t now)
{
  struct ltvd_signature sig;

  if (header == NULL)
    return LTVD_SIGNATURE_MISSING;
  if (!ltvd_signature_parse(header, &sig))
    return LTVD_SIGNATURE_MALFORMED;
  if (!ltvd_signature_fresh(&sig, now))
    return LTVD_SIGNATURE_STALE;
  bool match = false;
  for (int i = 0; i < n_secrets; i++)
    if (secrets[i])
      match |= ltvd_signature_matches(&sig, secrets[i], body, len);
  return match ? LTVD_SIGNATURE_OK : LTVD_SIGNATURE_MISMATCH;
}
