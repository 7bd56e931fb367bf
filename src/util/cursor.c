/* Cursors are base64url (no padding) of "<kind>1:<payload>": "c1:<id>" for id-ordered
 * lists, "k1:<key>" for key-ordered ones, "o1:<offset>" for computed lists. Opaque to
 * clients, versioned so the format can change, and strict to decode (only the canonical
 * encoding of a valid payload is accepted) so a damaged cursor is a 400, not a guess. */
#include <stdio.h>
#include <string.h>

#include "ltvd/paging.h"
#include "ltvd/util.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void encode(const char *raw, size_t n, char *out)
{
  size_t o = 0;

  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char) raw[i] << 16;
    size_t left = n - i;
    if (left > 1)
      v |= (unsigned char) raw[i + 1] << 8;
    if (left > 2)
      v |= (unsigned char) raw[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    if (left > 1)
      out[o++] = alphabet[(v >> 6) & 63];
    if (left > 2)
      out[o++] = alphabet[v & 63];
  }
  out[o] = '\0';
}

static int sextet(char c)
{
  const char *p = c ? strchr(alphabet, c) : NULL;
  return p ? (int) (p - alphabet) : -1;
}

/* Decodes cursor into payload (after "<prefix>"); false unless it is canonical. */
static bool decode(const char *cursor, const char *prefix, char *payload, size_t cap)
{
  size_t len = strlen(cursor), o = 0, plen = strlen(prefix);
  char raw[LTVD_CURSOR_LEN];
  char again[LTVD_CURSOR_LEN];

  if (len == 0 || len >= LTVD_CURSOR_LEN || len % 4 == 1)
    return false;
  for (size_t i = 0; i < len; i += 4) {
    unsigned v = 0;
    size_t chunk = len - i < 4 ? len - i : 4;
    for (size_t k = 0; k < 4; k++) {
      int s = k < chunk ? sextet(cursor[i + k]) : 0;
      if (s < 0)
        return false;
      v = v << 6 | (unsigned) s;
    }
    raw[o++] = (char) (v >> 16);
    if (chunk > 2)
      raw[o++] = (char) (v >> 8);
    if (chunk > 3)
      raw[o++] = (char) v;
  }
  encode(raw, o, again);
  if (strcmp(again, cursor) != 0 || o <= plen || memcmp(raw, prefix, plen) != 0 ||
      memchr(raw, '\0', o) != NULL || o - plen >= cap)
    return false;
  memcpy(payload, raw + plen, o - plen);
  payload[o - plen] = '\0';
  return true;
}

static void encode_with(const char *prefix, const char *payload, char out[LTVD_CURSOR_LEN])
{
  char raw[LTVD_CURSOR_LEN];
  int n = snprintf(raw, sizeof raw, "%s%s", prefix, payload);

  encode(raw, (size_t) n < sizeof raw ? (size_t) n : sizeof raw - 1, out);
}

static bool decode_number(const char *cursor, const char *prefix, int64_t min, int64_t *out)
{
  char payload[32];

  return decode(cursor, prefix, payload, sizeof payload) && payload[0] != '0' &&
         ltvd_parse_int64(payload, min, LTVD_MONEY_MAX, out);
}

void ltvd_cursor_encode(int64_t id, char out[LTVD_CURSOR_LEN])
{
  char payload[24];

  snprintf(payload, sizeof payload, "%lld", (long long) id);
  encode_with("c1:", payload, out);
}

bool ltvd_cursor_decode(const char *cursor, int64_t *id)
{
  return decode_number(cursor, "c1:", 1, id);
}

void ltvd_key_cursor_encode(const char *key, char out[LTVD_CURSOR_LEN])
{
  encode_with("k1:", key, out);
}

bool ltvd_key_cursor_decode(const char *cursor, char key[LTVD_KEY_MAX + 1])
{
  return decode(cursor, "k1:", key, LTVD_KEY_MAX + 1) && ltvd_valid_key(key);
}

void ltvd_offset_cursor_encode(int64_t offset, char out[LTVD_CURSOR_LEN])
{
  char payload[24];

  snprintf(payload, sizeof payload, "%lld", (long long) offset);
  encode_with("o1:", payload, out);
}

bool ltvd_offset_cursor_decode(const char *cursor, int64_t *offset)
{
  return decode_number(cursor, "o1:", 1, offset);
}

bool ltvd_valid_key(const char *key)
{
  size_t n = strlen(key);

  if (n == 0 || n > LTVD_KEY_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = key[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
      return false;
  }
  return true;
}
