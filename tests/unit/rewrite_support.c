/* rewrite_support.c — see rewrite_support.h. */
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
