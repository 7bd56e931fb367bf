#include <string.h>

#include "ltvd/clock.h"
#include "ltvd/util.h"
#include "unit.h"

static long len(const char *s) { return ltvd_utf8_length(s, strlen(s)); }

START_TEST(utf8_counts_code_points)
{
  ck_assert_int_eq(len(""), 0);
  ck_assert_int_eq(len("abc"), 3);
  ck_assert_int_eq(len("caf\xc3\xa9"), 4);          /* é: 2 bytes, 1 character */
  ck_assert_int_eq(len("\xe2\x82\xac"), 1);         /* € */
  ck_assert_int_eq(len("\xf0\x9f\x98\x80"), 1);     /* 😀 */
}
END_TEST

START_TEST(utf8_rejects_invalid_sequences)
{
  ck_assert_int_eq(len("\xff"), -1);
  ck_assert_int_eq(len("\xc3"), -1);                 /* truncated */
  ck_assert_int_eq(len("\xc0\xaf"), -1);             /* overlong '/' */
  ck_assert_int_eq(len("\xe0\x80\xaf"), -1);         /* overlong */
  ck_assert_int_eq(len("\xed\xa0\x80"), -1);         /* surrogate U+D800 */
  ck_assert_int_eq(len("\xf4\x90\x80\x80"), -1);     /* past U+10FFFF */
  ck_assert_int_eq(len("a\x80"), -1);                /* stray continuation */
}
END_TEST

START_TEST(percent_decoding)
{
  char a[] = "crm%2F1%20x+y", b[] = "a+b", c[] = "bad%zz", d[] = "cut%4", e[] = "a%00b";

  ck_assert(ltvd_percent_decode(a, false));
  ck_assert_str_eq(a, "crm/1 x+y");
  ck_assert(ltvd_percent_decode(b, true));
  ck_assert_str_eq(b, "a b");
  ck_assert(!ltvd_percent_decode(c, false));
  ck_assert(!ltvd_percent_decode(d, false));
  ck_assert(!ltvd_percent_decode(e, false));
}
END_TEST

START_TEST(integers_parse_whole_and_in_range)
{
  int64_t v;

  ck_assert(ltvd_parse_int64("42", 1, 100, &v));
  ck_assert_int_eq(v, 42);
  ck_assert(!ltvd_parse_int64("0", 1, 100, &v));
  ck_assert(!ltvd_parse_int64("101", 1, 100, &v));
  ck_assert(!ltvd_parse_int64("1.5", 1, 100, &v));
  ck_assert(!ltvd_parse_int64("", 1, 100, &v));
  ck_assert(!ltvd_parse_int64(" 5", 1, 100, &v));
  ck_assert(!ltvd_parse_int64("5x", 1, 100, &v));
  ck_assert(!ltvd_parse_int64("99999999999999999999", 0, INT64_MAX, &v));
}
END_TEST

START_TEST(dates_are_calendar_dates)
{
  ck_assert(ltvd_valid_date("2024-02-29"));
  ck_assert(!ltvd_valid_date("2023-02-29"));
  ck_assert(!ltvd_valid_date("1900-02-29"));
  ck_assert(ltvd_valid_date("2000-02-29"));
  ck_assert(!ltvd_valid_date("2026-13-01"));
  ck_assert(!ltvd_valid_date("2026-1-01"));
  ck_assert(!ltvd_valid_date("2026-01-01T00:00:00Z"));
}
END_TEST

START_TEST(today_follows_the_fixed_date)
{
  char today[11], ts[32];

  ck_assert(ltvd_clock_set_today("2025-06-30"));
  ltvd_clock_today(today);
  ck_assert_str_eq(today, "2025-06-30");
  ltvd_clock_timestamp(ts);
  ck_assert_int_eq(strncmp(ts, "2025-06-30T", 11), 0);
  ck_assert_int_eq((int) strlen(ts), 27);
  ck_assert(!ltvd_clock_set_today("2025-06-31"));
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("util");

  ADD(tc, utf8_counts_code_points);
  ADD(tc, utf8_rejects_invalid_sequences);
  ADD(tc, percent_decoding);
  ADD(tc, integers_parse_whole_and_in_range);
  ADD(tc, dates_are_calendar_dates);
  ADD(tc, today_follows_the_fixed_date);
  suite_add_tcase(s, tc);
  return s;
}
