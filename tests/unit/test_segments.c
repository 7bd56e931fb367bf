#include "ltvd/segments.h"
#include "unit.h"

START_TEST(size_bands_follow_employee_count)
{
  ck_assert_str_eq(ltvd_size_band(false, 0), "unknown");
  ck_assert_str_eq(ltvd_size_band(true, 0), "1-9");
  ck_assert_str_eq(ltvd_size_band(true, 9), "1-9");
  ck_assert_str_eq(ltvd_size_band(true, 10), "10-49");
  ck_assert_str_eq(ltvd_size_band(true, 49), "10-49");
  ck_assert_str_eq(ltvd_size_band(true, 50), "50-249");
  ck_assert_str_eq(ltvd_size_band(true, 249), "50-249");
  ck_assert_str_eq(ltvd_size_band(true, 250), "250-999");
  ck_assert_str_eq(ltvd_size_band(true, 999), "250-999");
  ck_assert_str_eq(ltvd_size_band(true, 1000), "1000+");
  ck_assert_str_eq(ltvd_size_band(true, 2147483647), "1000+");
}
END_TEST

START_TEST(size_band_ranges_invert_the_bands)
{
  int64_t lo = -5, hi = -5;
  bool unknown;

  ck_assert(ltvd_size_band_range("50-249", &lo, &hi, &unknown));
  ck_assert(!unknown);
  ck_assert_int_eq(lo, 50);
  ck_assert_int_eq(hi, 249);
  ck_assert(ltvd_size_band_range("1000+", &lo, &hi, &unknown));
  ck_assert_int_eq(lo, 1000);
  ck_assert_int_lt(hi, 0);
  ck_assert(ltvd_size_band_range("unknown", &lo, &hi, &unknown));
  ck_assert(unknown);
  ck_assert(!ltvd_size_band_range("1-10", &lo, &hi, &unknown));
  ck_assert(!ltvd_size_band_range("", &lo, &hi, &unknown));
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("segments");
  TCase *tc = tcase_create("size bands");

  ADD(tc, size_bands_follow_employee_count);
  ADD(tc, size_band_ranges_invert_the_bands);
  suite_add_tcase(s, tc);
  return s;
}
