/* The rules of the webhook sender (SPEC section 6): which answers are retried, how a
 * Retry-After value is read, and the back-off with its jitter. */
#include <math.h>

#include "ltvd/sender.h"
#include "unit.h"

#define NOW 1795468549 /* Mon, 23 Nov 2026 21:15:49 GMT */

START_TEST(answers_sort_into_delivered_failed_and_retried)
{
  static const struct {
    long status;
    enum ltvd_outbox_outcome want;
  } cases[] = {
      {200, LTVD_OUTBOX_DELIVERED}, {201, LTVD_OUTBOX_DELIVERED}, {204, LTVD_OUTBOX_DELIVERED},
      {299, LTVD_OUTBOX_DELIVERED}, {400, LTVD_OUTBOX_FAILED},    {401, LTVD_OUTBOX_FAILED},
      {404, LTVD_OUTBOX_FAILED},    {410, LTVD_OUTBOX_FAILED},    {499, LTVD_OUTBOX_FAILED},
      {408, LTVD_OUTBOX_RETRY},     {429, LTVD_OUTBOX_RETRY},     {500, LTVD_OUTBOX_RETRY},
      {502, LTVD_OUTBOX_RETRY},     {503, LTVD_OUTBOX_RETRY},     {301, LTVD_OUTBOX_RETRY},
      {302, LTVD_OUTBOX_RETRY},     {100, LTVD_OUTBOX_RETRY},     {0, LTVD_OUTBOX_RETRY},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    ck_assert_msg(ltvd_sender_outcome(cases[i].status) == cases[i].want, "status %ld",
                  cases[i].status);
}
END_TEST

START_TEST(retry_after_in_seconds_or_as_a_date)
{
  ck_assert_double_eq(ltvd_sender_retry_after("120", NOW), 120);
  ck_assert_double_eq(ltvd_sender_retry_after(" 7 ", NOW), 7);
  ck_assert_double_eq(ltvd_sender_retry_after("0", NOW), 0);
  ck_assert_double_eq(ltvd_sender_retry_after("Mon, 23 Nov 2026 21:16:49 GMT", NOW), 60);
  ck_assert_double_eq(ltvd_sender_retry_after("Mon, 23 Nov 2026 21:15:00 GMT", NOW), 0);
  ck_assert_double_eq(ltvd_sender_retry_after("99999999999999999999", NOW), -1);
  ck_assert_double_eq(ltvd_sender_retry_after("1e3", NOW), -1);
  ck_assert_double_eq(ltvd_sender_retry_after("-5", NOW), -1);
  ck_assert_double_eq(ltvd_sender_retry_after("soon", NOW), -1);
  ck_assert_double_eq(ltvd_sender_retry_after("", NOW), -1);
  ck_assert_double_eq(ltvd_sender_retry_after(NULL, NOW), -1);
}
END_TEST

START_TEST(back_off_doubles_with_bounded_jitter)
{
  ck_assert_double_eq(ltvd_sender_delay(30, 1, 0, -1), 30);
  ck_assert_double_eq(ltvd_sender_delay(30, 2, 0, -1), 60);
  ck_assert_double_eq(ltvd_sender_delay(30, 5, 0, -1), 480);
  ck_assert_double_eq_tol(ltvd_sender_delay(30, 1, 1, -1), 36, 1e-9);
  ck_assert_double_eq_tol(ltvd_sender_delay(30, 1, -1, -1), 24, 1e-9);
  ck_assert_double_eq_tol(ltvd_sender_delay(30, 1, 5, -1), 36, 1e-9); /* jitter is clamped */
  ck_assert_double_eq_tol(ltvd_sender_delay(0.2, 3, 0.5, -1), 0.88, 1e-9);
  /* attempt counts below 1 are the first; huge ones stay finite */
  ck_assert_double_eq(ltvd_sender_delay(30, 0, 0, -1), 30);
  ck_assert(isfinite(ltvd_sender_delay(30, 1000000, 1, -1)));
}
END_TEST

START_TEST(retry_after_wins_only_when_longer)
{
  ck_assert_double_eq(ltvd_sender_delay(30, 1, 0, 120), 120);
  ck_assert_double_eq(ltvd_sender_delay(30, 1, 0, 10), 30);
  ck_assert_double_eq(ltvd_sender_delay(30, 3, 0, 0), 120);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("sender");
  TCase *tc = tcase_create("rules");

  ADD(tc, answers_sort_into_delivered_failed_and_retried);
  ADD(tc, retry_after_in_seconds_or_as_a_date);
  ADD(tc, back_off_doubles_with_bounded_jitter);
  ADD(tc, retry_after_wins_only_when_longer);
  suite_add_tcase(s, tc);
  return s;
}
