/* rewrite_support.c — see rewrite_support.h. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "rewrite_support.h"

char *unit_rewrite(unit_rewrite_fn *fn, const char *src, unsigned *count)
{
	char *out = NULL;
	size_t len = 0;
	struct kiln_err err;

	CU_ASSERT_EQUAL(fn(src, strlen(src), &out, &len, count, &err), KILN_OK);
	if (out != NULL)
		CU_ASSERT_EQUAL(strlen(out), len);
	return out;
}

void unit_rewrite_expect(unit_rewrite_fn *fn, const char *src, const char *want,
			 unsigned count)
{
	unsigned got = 7; /* not a count any caller expects: it must be set */
	char *out = unit_rewrite(fn, src, &got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(got, count);
	free(out);
}
