/*
 * kiln_test.h — what `kiln test` generates (kiln_tests.c: the `tests:` of
 * kiln.yaml as tables, one CUnit wrapper per case) and what the runner
 * (kiln_test_main.c, compiled with it and the baked extensions) reads.
 * Host-side C; not for extension authors.
 */
#ifndef KILN_TEST_H
#define KILN_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_rt.h"

/** One `tests:` case of kiln.yaml. */
struct kiln_test_case {
	const char *name;
	const char *where;           /* "kiln.yaml:LINE:COL", for messages */
	const char *export_name;
	const struct kiln_val *args;
	size_t nargs;
	const struct kiln_val *results;
	size_t nresults;
	bool check_results;          /* `results:` given */
	int trap;                    /* expected enum kiln_trap_kind; 0: no trap */
	const char *stdin_data;      /* bytes on stdin (NULL: none) */
	size_t stdin_len;
	const char *stdout_data;     /* expected stdout, when check_stdout */
	size_t stdout_len;
	bool check_stdout;
};

/** The tests of one baked extension. */
struct kiln_test_suite {
	const char *extension;       /* name given to kiln_extension_find() */
	bool has_protocol;           /* kiln.yaml gives `protocol:` */
	int32_t protocol;
	const struct kiln_test_case *cases;
	size_t ncases;
	void (*const *case_fns)(void); /* CUnit test functions, one per case */
	int (*init)(void);           /* CUnit suite init: kiln_test_suite_init(index) */
};

extern const struct kiln_test_suite kiln_test_suites[];
extern const size_t kiln_test_nsuites;

/** Run case @index of suite @suite (called by the generated wrappers). */
void kiln_test_run_case(size_t suite, size_t index);

/** Make @suite the one the fixed tests look at (its CUnit init); 0. */
int kiln_test_suite_init(size_t suite);

#endif /* KILN_TEST_H */
