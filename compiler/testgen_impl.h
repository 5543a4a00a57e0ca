/*
 * testgen_impl.h — `kiln test`'s generator: the `tests:` of a kiln.yaml as
 * the C tables sdk/test/kiln_test_main.c runs (see sdk/test/kiln_test.h).
 * Internal to compiler/ and its unit tests.
 */
#ifndef KILN_TESTGEN_IMPL_H
#define KILN_TESTGEN_IMPL_H

#include <stdio.h>

#include "config_impl.h"

/**
 * Write to @out the C source of the test tables for the extensions of
 * @cfg: one suite per extension, in the file's order, one CUnit wrapper
 * per case.  Every string from @cfg (names, exports, stdin and stdout
 * bytes) is written as an escaped C literal; values of float type as their
 * bit patterns.  Nothing is allocated.  Errors: KILN_EIO (writing @out).
 */
int kiln_testgen_write(const struct kiln_config *cfg, FILE *out, struct kiln_err *err)
	__attribute__((warn_unused_result));

#endif
