/* Each unit test program defines suite() and includes this once for its main(). */
#ifndef LTVD_TEST_UNIT_H
#define LTVD_TEST_UNIT_H

#include <check.h>
#include <stdlib.h>

static Suite *suite(void);

int main(void)
{
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define ADD(tc, fn) tcase_add_test((tc), fn)

#endif
