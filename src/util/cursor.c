/* Cursors are base64url (no padding) of "c1:<id>": opaque to clients, versioned so the
 * format can change, and strict to decode so a damaged cursor is a 400, not a guess. */
#include <stdio.h>
#include <string.h>

#include "ltvd/paging.h"
#include "ltvd/util.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void ltvd_cursor_encode(int64_t id, char out[LTVD_CURSOR_LEN])
{
  char raw[32];
  int n = snprintf(raw, sizeof raw, "c1:%lld", (long long) id);
  size_t o = 0;

  for (int i = 0; i < n; i += 3) {
    unsigned v = (unsigned char) raw[i] << 16;
    int left = n - i;
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

bool ltvd_cursor_decode(const char *cursor, int64_t *id)
{
  size_t len = strlen(cursor);
  char raw[32];
  size_t o = 0;

  if (len == 0 || len > 40 || len % 4 == 1)
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
  raw[o] = '\0';
  if (o < 4 || memcmp(raw, "c1:", 3) != 0 || memchr(raw, '\0', o) != NULL)
    return false;
  if (!ltvd_parse_int64(raw + 3, 1, LTVD_MONEY_MAX, id) || raw[3] == '0')
    return false;
  /* only the canonical encoding of that id is accepted */
  char again[LTVD_CURSOR_LEN];
  ltvd_cursor_encode(*id, again);
  return strcmp(again, cursor) == 0;
}
