/*
 * slurp.h — read a whole file, for test programs (tests/unit, tests/spec).
 */
#ifndef KILN_TEST_SLURP_H
#define KILN_TEST_SLURP_H

#include <stddef.h>
#include <stdint.h>

/* The bytes of @path (malloc'd, one byte more than *@len so that text can
 * be NUL-terminated; the caller frees it), or NULL when it cannot be read. */
uint8_t *kiln_test_slurp(const char *path, size_t *len);

#endif
