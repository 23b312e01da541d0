/* SPDX-License-Identifier: MIT
 *
 * run_integration.c - runs every integration suite. The Makefile lists the suites in
 * suites.h (every "Suite *x_suite(void)" in tests/integration/check_*.c), so a new
 * test file needs no edit here. Run one suite or case with Check's
 * CK_RUN_SUITE=name / CK_RUN_CASE=name, the way xv6's usertests takes a name.
 */
#include <check.h>
#include <stdlib.h>

#define SUITE(fn) Suite *fn(void);
#include "suites.h"
#undef SUITE

int main(void)
{
        SRunner *runner = srunner_create(NULL);
#define SUITE(fn) srunner_add_suite(runner, fn());
#include "suites.h"
#undef SUITE
        srunner_run_all(runner, CK_NORMAL);
        int failed = srunner_ntests_failed(runner);
        srunner_free(runner);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
