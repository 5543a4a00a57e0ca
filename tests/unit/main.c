/*
 * The CUnit runner: one suite per module (see unit.h).  `kiln-unit` runs
 * them all; `kiln-unit NAME...` runs only the named suites.  Ends with
 * "unit: N passed, M failed" and exits non-zero on any failure, including a
 * suite whose set-up failed.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "unit.h"

static const struct {
	const char *name;
	void (*add)(void);
} suites[] = {
#define X(n) {#n, kiln_test_##n},
	KILN_UNIT_SUITES
#undef X
};

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned run, failed, suites_failed;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "unit: cannot initialise CUnit: %s\n", CU_get_error_msg());
		return 2;
	}
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (wanted(suites[i].name, argc, argv))
			suites[i].add();
	if (CU_get_error() != CUE_SUCCESS) {
		fprintf(stderr, "unit: cannot register suites: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	suites_failed = CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	printf("\nunit: %u passed, %u failed\n", run - failed, failed + suites_failed);
	return failed + suites_failed ? 1 : 0;
}
