/* Tests for runtime/kiln_status.h: messages, prefixes, NULL tolerance. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "kiln_status.h"
#include "unit.h"

static void test_strerror_known_and_unknown(void)
{
	CU_ASSERT_STRING_EQUAL(kiln_strerror(KILN_OK), "success");
	CU_ASSERT_STRING_EQUAL(kiln_strerror(KILN_EMALFORMED), "malformed WebAssembly binary");
	CU_ASSERT_STRING_EQUAL(kiln_strerror(9999), "unknown status");
}

static void test_err_set_returns_code_and_formats(void)
{
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_err_set(&err, KILN_EMALFORMED, "offset 0x%x: %s", 0x1a3, "bad"),
			KILN_EMALFORMED);
	CU_ASSERT_EQUAL(err.code, KILN_EMALFORMED);
	CU_ASSERT_STRING_EQUAL(err.msg, "offset 0x1a3: bad");
	CU_ASSERT_EQUAL(kiln_err_set(NULL, KILN_EIO, "ignored"), KILN_EIO);
}

static void test_err_prefix_and_truncation(void)
{
	struct kiln_err err;
	char longname[400];
	kiln_err_set(&err, KILN_EIO, "cannot read");
	kiln_err_prefix(&err, "ext.wasm");
	CU_ASSERT_STRING_EQUAL(err.msg, "ext.wasm: cannot read");
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	kiln_err_prefix(&err, longname);
	CU_ASSERT_EQUAL(strlen(err.msg), sizeof err.msg - 1);
	kiln_err_clear(&err);
	CU_ASSERT_EQUAL(err.code, KILN_OK);
	CU_ASSERT_STRING_EQUAL(err.msg, "");
	kiln_err_prefix(NULL, "x");
	kiln_err_clear(NULL);
}

void kiln_test_status(void)
{
	CU_pSuite s = CU_add_suite("status", NULL, NULL);
	CU_add_test(s, "strerror", test_strerror_known_and_unknown);
	CU_add_test(s, "err_set", test_err_set_returns_code_and_formats);
	CU_add_test(s, "err_prefix", test_err_prefix_and_truncation);
}
