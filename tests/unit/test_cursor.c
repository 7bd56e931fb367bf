#include <string.h>

#include "ltvd/paging.h"
#include "unit.h"

START_TEST(cursor_round_trips)
{
  static const int64_t ids[] = {1, 2, 9, 10, 99, 12345, 9007199254740991};
  char c[LTVD_CURSOR_LEN];
  int64_t back;

  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
    ltvd_cursor_encode(ids[i], c);
    ck_assert(ltvd_cursor_decode(c, &back));
    ck_assert_int_eq(back, ids[i]);
  }
}
END_TEST

START_TEST(cursor_is_base64url_of_a_versioned_id)
{
  char c[LTVD_CURSOR_LEN];

  ltvd_cursor_encode(2, c); /* base64url("c1:2") without padding */
  ck_assert_str_eq(c, "YzE6Mg");
}
END_TEST

START_TEST(cursor_rejects_what_it_did_not_make)
{
  static const char *const bad[] = {
      "", "zzz", "YzE6Mg==", "YzE6Mg=", "Y", "YzE6MA", /* c1:0 */
      "YzE6LTE",  /* c1:-1 */
      "YzE6YQ",   /* c1:a */
      "YzI6Mg",   /* c2:2 */
      "YzE6MDI",  /* c1:02, not canonical */
      "YzE6Mh",   /* non-canonical trailing bits */
      "YzE6OTAwNzE5OTI1NDc0MDk5Mg", /* 2^53 */
      "YzE6Mg!",  "YzE6Mg YzE6Mg",
  };
  int64_t id;

  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(!ltvd_cursor_decode(bad[i], &id), "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(key_and_offset_cursors_round_trip)
{
  char c[LTVD_CURSOR_LEN], key[LTVD_KEY_MAX + 1];
  int64_t offset;

  ltvd_key_cursor_encode("new_business", c);
  ck_assert(ltvd_key_cursor_decode(c, key));
  ck_assert_str_eq(key, "new_business");
  ck_assert(!ltvd_cursor_decode(c, &offset)); /* a key cursor is no id cursor */
  ltvd_offset_cursor_encode(300, c);
  ck_assert(ltvd_offset_cursor_decode(c, &offset));
  ck_assert_int_eq(offset, 300);
  ck_assert(!ltvd_key_cursor_decode(c, key));
}
END_TEST

START_TEST(key_cursors_hold_only_valid_keys)
{
  char c[LTVD_CURSOR_LEN], key[LTVD_KEY_MAX + 1];

  ltvd_key_cursor_encode("bad key", c); /* a space is not allowed in keys */
  ck_assert(!ltvd_key_cursor_decode(c, key));
  ck_assert(ltvd_valid_key("Pro-2024.v2_x"));
  ck_assert(!ltvd_valid_key("-lead"));
  ck_assert(!ltvd_valid_key(""));
  ck_assert(!ltvd_valid_key("a/b"));
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("cursor");
  TCase *tc = tcase_create("cursor");

  ADD(tc, cursor_round_trips);
  ADD(tc, cursor_is_base64url_of_a_versioned_id);
  ADD(tc, cursor_rejects_what_it_did_not_make);
  ADD(tc, key_and_offset_cursors_round_trip);
  ADD(tc, key_cursors_hold_only_valid_keys);
  suite_add_tcase(s, tc);
  return s;
}
