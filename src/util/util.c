#include "ltvd/util.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

long ltvd_utf8_length(const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  long count = 0;
  size_t i = 0;

  while (i < len) {
    unsigned char c = p[i];
    size_t n;
    uint32_t cp;

    if (c < 0x80) {
      i++;
      count++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return -1;
    }
    if (i + n >= len)
      return -1;
    for (size_t k = 1; k <= n; k++) {
      if ((p[i + k] & 0xC0) != 0x80)
        return -1;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    /* overlong forms, surrogates and values past U+10FFFF */
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return -1;
    i += n + 1;
    count++;
  }
  return count;
}

int ltvd_hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool ltvd_percent_decode(char *s, bool plus_space)
{
  char *out = s;

  for (const char *in = s; *in; in++) {
    if (*in == '%') {
      int hi = ltvd_hex_value(in[1]);
      int lo = hi < 0 ? -1 : ltvd_hex_value(in[2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return false; /* %00 would silently cut the value short */
      *out++ = (char) (hi * 16 + lo);
      in += 2;
    } else if (*in == '+' && plus_space) {
      *out++ = ' ';
    } else {
      *out++ = *in;
    }
  }
  *out = '\0';
  return true;
}

bool ltvd_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
  char *end;
  long long v;

  if (s == NULL || *s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
    return false;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return false;
  *out = v;
  return true;
}

void ltvd_hex(const unsigned char *bytes, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";

  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0F];
  }
  out[2 * n] = '\0';
}

void ltvd_sha256(const void *data, size_t len, unsigned char out[32])
{
  SHA256(data, len, out);
}

void ltvd_random_bytes(void *out, size_t n)
{
  unsigned char *p = out;

  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      abort();
    }
    p += got;
    n -= (size_t) got;
  }
}

double ltvd_monotonic(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

char *ltvd_strdup_printf(const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  return s;
}

double ltvd_currency_minor_per_major(const char *code)
{
  static const char zero[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
  static const char three[] = "BHD IQD JOD KWD LYD OMR TND";
  if (code == NULL || strlen(code) != 3)
    return 100;
  if (strstr(zero, code) != NULL)
    return 1;
  if (strstr(three, code) != NULL)
    return 1000;
  return 100;
}

void ltvd_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
  if (n > 1)
    qsort(base, n, size, cmp);
}

void *ltvd_bsearch(const void *key, const void *base, size_t n, size_t size,
                   int (*cmp)(const void *, const void *))
{
  return n > 0 ? bsearch(key, base, n, size, cmp) : NULL;
}
