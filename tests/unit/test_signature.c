/* Webhook signatures (SPEC section 6): the header format, the HMAC, the time window and
 * rotated secrets, against a vector computed independently with
 *   printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret -hex */
#include <stdio.h>
#include <string.h>

#include "ltvd/signature.h"
#include "unit.h"

#define SECRET "s3cret"
#define BODY "{\"a\":1}"
#define T 1700000000
#define MAC "1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"

static enum ltvd_signature_result verify(const char *header, const char *secret, int64_t now)
{
  const char *secrets[] = {secret};
  return ltvd_signature_verify(header, secrets, 1, BODY, strlen(BODY), now);
}

static const char *signed_header(const char *secret, int64_t t)
{
  static char h[LTVD_SIGNATURE_HEADER_MAX];
  ltvd_signature_header(secret, t, BODY, strlen(BODY), h);
  return h;
}

START_TEST(header_matches_openssl)
{
  ck_assert_str_eq(signed_header(SECRET, T), "t=1700000000,v1=" MAC);
}
END_TEST

START_TEST(good_signature_is_accepted)
{
  ck_assert_int_eq(verify("t=1700000000,v1=" MAC, SECRET, T), LTVD_SIGNATURE_OK);
  ck_assert_int_eq(verify(" t=1700000000 , v1=" MAC " ", SECRET, T + 10), LTVD_SIGNATURE_OK);
}
END_TEST

START_TEST(bad_signature_is_refused)
{
  char h[128];
  strcpy(h, signed_header(SECRET, T));
  h[strlen(h) - 1] ^= 1; /* one bit of the MAC */
  ck_assert_int_eq(verify(h, SECRET, T), LTVD_SIGNATURE_MISMATCH);
  ck_assert_int_eq(verify(signed_header("other", T), SECRET, T), LTVD_SIGNATURE_MISMATCH);
  /* the MAC of another time or body */
  ck_assert_int_eq(verify("t=1700000001,v1=" MAC, SECRET, T), LTVD_SIGNATURE_MISMATCH);
  const char *secrets[] = {SECRET};
  ck_assert_int_eq(ltvd_signature_verify("t=1700000000,v1=" MAC, secrets, 1, "{\"a\":2}", 7, T),
                   LTVD_SIGNATURE_MISMATCH);
  ck_assert_int_eq(ltvd_signature_verify("t=1700000000,v1=" MAC, secrets, 0, BODY, 7, T),
                   LTVD_SIGNATURE_MISMATCH);
}
END_TEST

START_TEST(window_is_300_seconds_either_way)
{
  ck_assert_int_eq(verify(signed_header(SECRET, T), SECRET, T + 300), LTVD_SIGNATURE_OK);
  ck_assert_int_eq(verify(signed_header(SECRET, T), SECRET, T - 300), LTVD_SIGNATURE_OK);
  ck_assert_int_eq(verify(signed_header(SECRET, T), SECRET, T + 301), LTVD_SIGNATURE_STALE);
  ck_assert_int_eq(verify(signed_header(SECRET, T), SECRET, T - 301), LTVD_SIGNATURE_STALE);
  ck_assert_int_eq(verify(signed_header(SECRET, 0), SECRET, T), LTVD_SIGNATURE_STALE);
  ck_assert_int_eq(verify(signed_header(SECRET, INT64_MAX), SECRET, T), LTVD_SIGNATURE_STALE);
}
END_TEST

START_TEST(malformed_headers_are_refused)
{
  static const char *const bad[] = {
      "",
      "t=1700000000",
      "v1=" MAC,
      "t=,v1=" MAC,
      "t=-1700000000,v1=" MAC,
      "t=+1700000000,v1=" MAC,
      "t=17e8,v1=" MAC,
      "t=99999999999999999999,v1=" MAC,
      "t=1700000000,t=1700000000,v1=" MAC,
      "t=1700000000,v1=" MAC "0",
      "t=1700000000,v1=zz9a1ac43d7f4dbd1d2c7f8c3c3c3e8c2cbd27ac51f04d0ba05add1ad2e16330",
      "t=1700000000,v1=",
      "t=1700000000;v1=" MAC,
      "t=1700000000,,v1=" MAC,
      "t=1700000000,=x,v1=" MAC,
      "t=1700000000,v1:" MAC,
      "t 1700000000,v1=" MAC,
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(verify(bad[i], SECRET, T) == LTVD_SIGNATURE_MALFORMED, "accepted \"%s\"", bad[i]);
  ck_assert_int_eq(verify(NULL, SECRET, T), LTVD_SIGNATURE_MISSING);
}
END_TEST

START_TEST(any_of_several_v1_may_match)
{
  const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
  char h[1024];
  snprintf(h, sizeof h, "t=1700000000,v1=%s,v1=" MAC, other);
  ck_assert_int_eq(verify(h, SECRET, T), LTVD_SIGNATURE_OK);
  snprintf(h, sizeof h, "v1=" MAC ",t=1700000000,v0=legacy,v1=%s", other);
  ck_assert_int_eq(verify(h, SECRET, T), LTVD_SIGNATURE_OK);
  snprintf(h, sizeof h, "t=1700000000,v1=%s,v1=%s", other, other);
  ck_assert_int_eq(verify(h, SECRET, T), LTVD_SIGNATURE_MISMATCH);
  /* uppercase hex decodes to the same bytes */
  char upper[] = "t=1700000000,v1=" MAC;
  for (char *p = upper; *p; p++)
    if (*p >= 'a' && *p <= 'f')
      *p = (char)(*p - 'a' + 'A');
  ck_assert_int_eq(verify(upper, SECRET, T), LTVD_SIGNATURE_OK);
  /* eight v1 values at most */
  size_t n = (size_t)snprintf(h, sizeof h, "t=1700000000");
  for (int i = 0; i < LTVD_SIGNATURE_MAX_V1; i++)
    n += (size_t)snprintf(h + n, sizeof h - n, ",v1=%s", i == 7 ? MAC : other);
  ck_assert_uint_lt(n, sizeof h);
  ck_assert_int_eq(verify(h, SECRET, T), LTVD_SIGNATURE_OK);
  char more[2048];
  snprintf(more, sizeof more, "%s,v1=%s", h, other);
  ck_assert_int_eq(verify(more, SECRET, T), LTVD_SIGNATURE_MALFORMED);
}
END_TEST

START_TEST(rotated_secret_is_tried_too)
{
  const char *secrets[] = {"new-secret", SECRET};
  const char *h = "t=1700000000,v1=" MAC;
  ck_assert_int_eq(ltvd_signature_verify(h, secrets, 2, BODY, strlen(BODY), T), LTVD_SIGNATURE_OK);
  ck_assert_int_eq(ltvd_signature_verify(h, secrets, 1, BODY, strlen(BODY), T),
                   LTVD_SIGNATURE_MISMATCH);
  const char *expired[] = {"new-secret", NULL};
  ck_assert_int_eq(ltvd_signature_verify(h, expired, 2, BODY, strlen(BODY), T),
                   LTVD_SIGNATURE_MISMATCH);
  ck_assert_int_eq(
      ltvd_signature_verify(signed_header("new-secret", T), secrets, 2, BODY, strlen(BODY), T),
      LTVD_SIGNATURE_OK);
}
END_TEST

START_TEST(empty_body_is_signed_too)
{
  const char *secrets[] = {SECRET};
  char h[LTVD_SIGNATURE_HEADER_MAX];
  ltvd_signature_header(SECRET, T, "", 0, h);
  ck_assert_int_eq(ltvd_signature_verify(h, secrets, 1, "", 0, T), LTVD_SIGNATURE_OK);
  ck_assert_int_eq(ltvd_signature_verify(h, secrets, 1, BODY, strlen(BODY), T),
                   LTVD_SIGNATURE_MISMATCH);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("signature");
  TCase *tc = tcase_create("signature");

  ADD(tc, header_matches_openssl);
  ADD(tc, good_signature_is_accepted);
  ADD(tc, bad_signature_is_refused);
  ADD(tc, window_is_300_seconds_either_way);
  ADD(tc, malformed_headers_are_refused);
  ADD(tc, any_of_several_v1_may_match);
  ADD(tc, rotated_secret_is_tried_too);
  ADD(tc, empty_body_is_signed_too);
  suite_add_tcase(s, tc);
  return s;
}
