/* Tests for compiler/run_args.c: the argument checks of `kiln run`. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "run_impl.h"
#include "unit.h"

static void test_split(void)
{
	static const struct {
		const char *argv[8];
		int argc, split;
	} cases[] = {
		{{"run", "x.wasm"}, 2, 2},
		{{"run", "x.wasm", "--", "a"}, 4, 2},
		{{"run", "--", "x.wasm"}, 3, 1},
		/* a value that looks like the separator is a value */
		{{"run", "x.wasm", "--env", "--", "--", "a"}, 6, 4},
		{{"run", "--argv0", "--", "x.wasm", "--", "--"}, 6, 4},
		{{"run", "--mount", "--", "x.wasm"}, 4, 4},
		/* the attached form takes no next argument */
		{{"run", "--env=--", "--", "a"}, 4, 2},
		{{"run", "x.wasm", "--random", "--", "--fuel"}, 5, 3},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CU_ASSERT_EQUAL(kiln_run_split(cases[i].argc, (char *const *)cases[i].argv),
				cases[i].split);
}

static void test_seconds(void)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t ns;
	} cases[] = {
		{"0", KILN_OK, 0},
		{"1", KILN_OK, 1000000000ull},
		{"0.5", KILN_OK, 500000000ull},
		{"2.25", KILN_OK, 2250000000ull},
		{"0.000000001", KILN_OK, 1},
		{"0.0000000019", KILN_OK, 1},
		{"30", KILN_OK, 30000000000ull},
		{"1000000000", KILN_OK, 1000000000000000000ull},
		{"1000000000.5", KILN_EINVAL, 0},
		{"1000000001", KILN_EINVAL, 0},
		{"99999999999999999999999", KILN_EINVAL, 0},
		{"", KILN_EINVAL, 0},
		{".5", KILN_EINVAL, 0},
		{"5.", KILN_EINVAL, 0},
		{"-1", KILN_EINVAL, 0},
		{"1s", KILN_EINVAL, 0},
		{" 1", KILN_EINVAL, 0},
		{"1e3", KILN_EINVAL, 0},
		{"0x10", KILN_EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kiln_err err = {0, ""};
		uint64_t ns = 12345;
		int rc = kiln_parse_seconds(cases[i].text, &ns, &err);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc == KILN_OK) {
			CU_ASSERT_EQUAL(ns, cases[i].ns);
		} else {
			CU_ASSERT(ns == 12345 && strstr(err.msg, "timeout") != NULL);
		}
	}
}

static void test_fuel(void)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t fuel;
	} cases[] = {
		{"1", KILN_OK, 1},
		{"1000000", KILN_OK, 1000000},
		{"2305843009213693952", KILN_OK, 1ull << 61},
		{"2305843009213693953", KILN_EINVAL, 0},
		{"18446744073709551616", KILN_EINVAL, 0},
		{"0", KILN_EINVAL, 0},
		{"", KILN_EINVAL, 0},
		{"-5", KILN_EINVAL, 0},
		{"10k", KILN_EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t fuel = 7;
		int rc = kiln_parse_fuel(cases[i].text, &fuel, NULL);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		CU_ASSERT_EQUAL(fuel, rc == KILN_OK ? cases[i].fuel : 7);
	}
}

static void test_mount_and_env(void)
{
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp:/", NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp:/data:ro", NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp:/data:rw", NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp:ro", NULL), KILN_EINVAL); /* no guest path */
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp:ro:rw", NULL), KILN_OK);  /* guest "ro" */
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp", NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp:", NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_mount(":/data", NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_mount("/tmp::ro", NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_mount("", NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_mount("/nonexistent/kiln:/x", &err), KILN_ENOTFOUND);
	CU_ASSERT(strstr(err.msg, "/nonexistent/kiln") != NULL);
	CU_ASSERT_EQUAL(kiln_check_mount("/etc/passwd:/x", NULL), KILN_ENOTFOUND);

	CU_ASSERT_EQUAL(kiln_check_env("A=b", false, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_check_env("A=", false, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_check_env("A=b=c", false, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_check_env("=b", false, NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_env("A", false, NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_env("HOME", true, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_check_env("A=b", true, NULL), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_check_env("", true, NULL), KILN_EINVAL);
}

static void test_names(void)
{
	char name[16], argv0[16];
	kiln_run_names("dir/sub/hello.wasm", name, argv0, sizeof name);
	CU_ASSERT_STRING_EQUAL(name, "hello");
	CU_ASSERT_STRING_EQUAL(argv0, "hello.wasm");
	kiln_run_names("plain", name, argv0, sizeof name);
	CU_ASSERT_STRING_EQUAL(name, "plain");
	CU_ASSERT_STRING_EQUAL(argv0, "plain");
	kiln_run_names(".wasm", name, argv0, sizeof name);
	CU_ASSERT_STRING_EQUAL(name, ".wasm");
	kiln_run_names("dir/", name, argv0, sizeof name);
	CU_ASSERT_STRING_EQUAL(name, "ext");
	kiln_run_names("a\033[2Jb.wasm", name, argv0, sizeof name);
	CU_ASSERT_STRING_EQUAL(name, "a?[2Jb");
	kiln_run_names("averyveryverylongname.wasm", name, argv0, sizeof name);
	CU_ASSERT_STRING_EQUAL(argv0, "averyveryverylo");
}

void kiln_test_run_args(void)
{
	CU_pSuite s = CU_add_suite("run_args", NULL, NULL);
	CU_add_test(s, "split", test_split);
	CU_add_test(s, "seconds", test_seconds);
	CU_add_test(s, "fuel", test_fuel);
	CU_add_test(s, "mount and env", test_mount_and_env);
	CU_add_test(s, "names", test_names);
}
