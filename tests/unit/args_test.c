/* Tests for compiler/args.c: --max-memory sizes, --name, -O levels. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "unit.h"

static void test_parse_size(void)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t bytes;
	} cases[] = {
		{"65536", KILN_OK, 65536},
		{"64KiB", KILN_OK, 65536},
		{"64kib", KILN_OK, 65536},
		{"16MiB", KILN_OK, 16ull << 20},
		{"16mib", KILN_OK, 16ull << 20},
		{"1GiB", KILN_OK, 1ull << 30},
		{"4GiB", KILN_OK, 4ull << 30},
		{"4096MiB", KILN_OK, 4ull << 30},
		{"100000", KILN_OK, 100000},
		{"4294967296", KILN_OK, 4294967296ull},
		{"4294967297", KILN_EINVAL, 0},
		{"5GiB", KILN_EINVAL, 0},
		{"65535", KILN_EINVAL, 0},
		{"0", KILN_EINVAL, 0},
		{"1KiB", KILN_EINVAL, 0},
		{"", KILN_EINVAL, 0},
		{"MiB", KILN_EINVAL, 0},
		{"-1", KILN_EINVAL, 0},
		{" 16MiB", KILN_EINVAL, 0},
		{"16 MiB", KILN_EINVAL, 0},
		{"16MB", KILN_EINVAL, 0},
		{"16M", KILN_EINVAL, 0},
		{"16MiBx", KILN_EINVAL, 0},
		{"0x10000", KILN_EINVAL, 0},
		{"18446744073709551615", KILN_EINVAL, 0},
		{"18446744073709551616", KILN_EINVAL, 0},
		{"99999999999999999999999", KILN_EINVAL, 0},
		{"17179869184GiB", KILN_EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kiln_err err = {0, ""};
		uint64_t bytes = 12345;
		int rc = kiln_parse_size(cases[i].text, &bytes, &err);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "\n  case \"%s\": rc %d, %s\n", cases[i].text, rc, err.msg);
		if (cases[i].rc == KILN_OK) {
			CU_ASSERT_EQUAL(bytes, cases[i].bytes);
		} else {
			CU_ASSERT_EQUAL(bytes, 12345); /* untouched on error */
			CU_ASSERT(strstr(err.msg, "invalid size") != NULL);
		}
	}
}

static void test_name_valid(void)
{
	char longest[KILN_NAME_MAX + 2];
	CU_ASSERT(kiln_name_valid("checksum"));
	CU_ASSERT(kiln_name_valid("_x"));
	CU_ASSERT(kiln_name_valid("Ext_2"));
	CU_ASSERT(kiln_name_valid("Zed"));
	CU_ASSERT(!kiln_name_valid(""));
	CU_ASSERT(!kiln_name_valid(NULL));
	CU_ASSERT(!kiln_name_valid("2x"));
	CU_ASSERT(!kiln_name_valid("a-b"));
	CU_ASSERT(!kiln_name_valid("a b"));
	CU_ASSERT(!kiln_name_valid("a.b"));
	CU_ASSERT(!kiln_name_valid("caf\xc3\xa9"));
	CU_ASSERT(!kiln_name_valid("a;system"));
	memset(longest, 'a', KILN_NAME_MAX);
	longest[KILN_NAME_MAX] = '\0';
	CU_ASSERT(kiln_name_valid(longest));
	longest[KILN_NAME_MAX] = 'a';
	longest[KILN_NAME_MAX + 1] = '\0';
	CU_ASSERT(!kiln_name_valid(longest));
}

static void test_opt_level(void)
{
	CU_ASSERT(kiln_opt_level_valid("0"));
	CU_ASSERT(kiln_opt_level_valid("2"));
	CU_ASSERT(kiln_opt_level_valid("3"));
	CU_ASSERT(kiln_opt_level_valid("s"));
	CU_ASSERT(!kiln_opt_level_valid("4"));
	CU_ASSERT(!kiln_opt_level_valid("fast"));
	CU_ASSERT(!kiln_opt_level_valid("-O2"));
	CU_ASSERT(!kiln_opt_level_valid(""));
	CU_ASSERT(!kiln_opt_level_valid("22"));
	CU_ASSERT(!kiln_opt_level_valid(NULL));
}

void kiln_test_args(void)
{
	CU_pSuite s = CU_add_suite("args", NULL, NULL);
	CU_add_test(s, "parse_size", test_parse_size);
	CU_add_test(s, "name_valid", test_name_valid);
	CU_add_test(s, "opt_level", test_opt_level);
}
