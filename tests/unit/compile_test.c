/*
 * Tests for compiler/compile.c through the library call: each way
 * kiln_compile can fail returns its own status with a message naming the
 * input, and leaves no output.  Fixtures are .wat files of tests/e2e/fixtures,
 * assembled here with wat2wasm.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "unit.h"

static char dir[] = "/tmp/kiln-compile-test-XXXXXX";
static char *saved_include;

static int run(char *const argv[])
{
	struct kiln_proc p;
	struct kiln_err err;
	int rc = kiln_spawn(argv, NULL, &p, &err);
	if (rc != KILN_OK)
		return -1;
	rc = p.status;
	kiln_proc_release(&p);
	return rc;
}

static char *path(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static int setup(void)
{
	static const char *const fixtures[] = {"basic", "unprovided", "bigmem", "simd", "invalid"};
	const char *inc = getenv("KILN_INCLUDE");
	if (mkdtemp(dir) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
		char src[128], out[256];
		char *argv[] = {"wat2wasm", src, "-o", out, NULL, NULL};
		snprintf(src, sizeof src, "tests/e2e/fixtures/%s.wat", fixtures[i]);
		snprintf(out, sizeof out, "%s/%s.wasm", dir, fixtures[i]);
		if (strcmp(fixtures[i], "invalid") == 0)
			argv[4] = "--no-check";
		if (run(argv) != 0)
			return -1;
	}
	saved_include = inc != NULL ? strdup(inc) : NULL;
	return setenv("KILN_INCLUDE", "runtime", 1);
}

static int teardown(void)
{
	char *rm[] = {"rm", "-rf", dir, NULL};
	if (saved_include != NULL)
		setenv("KILN_INCLUDE", saved_include, 1);
	else
		unsetenv("KILN_INCLUDE");
	free(saved_include);
	return run(rm) == 0 ? 0 : -1;
}

static struct kiln_compile_opts opts(const char *input)
{
	struct kiln_compile_opts o;
	memset(&o, 0, sizeof o);
	o.input = path(input);
	o.output = path("out.o");
	o.name = "ext";
	return o;
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Compile with @o, expect @code, a message holding @needle, no output. */
static void expect_fail(struct kiln_compile_opts o, int code, const char *needle)
{
	struct kiln_err err = {0, ""};
	int rc;
	unlink(path("out.o"));
	rc = kiln_compile(&o, &err);
	CU_ASSERT_EQUAL(rc, code);
	CU_ASSERT_EQUAL(err.code, code);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, o.input != NULL ? o.input : ""));
	CU_ASSERT(!exists(path("out.o")));
	if (rc != code || strstr(err.msg, needle) == NULL)
		fprintf(stderr, "\n  expected %d /%s/, got %d: %s\n", code, needle, rc, err.msg);
}

static void test_success(void)
{
	struct kiln_compile_opts o = opts("basic.wasm");
	struct kiln_err err = {0, ""};
	struct kiln_meta_docs d;
	unlink(path("out.o"));
	CU_ASSERT_EQUAL_FATAL(kiln_compile(&o, &err), KILN_OK);
	CU_ASSERT(exists(path("out.o")));
	CU_ASSERT_EQUAL_FATAL(kiln_meta_read(path("out.o"), &d, &err), KILN_OK);
	CU_ASSERT_EQUAL(d.count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.docs[0], "\"name\":\"ext\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(d.docs[0], "\"fuel\":true"));
	kiln_meta_docs_release(&d);
}

static void test_statuses(void)
{
	struct kiln_compile_opts o;

	expect_fail(opts("nope.wasm"), KILN_EIO, "nope.wasm");
	expect_fail(opts("invalid.wasm"), KILN_EINVALID, "type mismatch");
	expect_fail(opts("unprovided.wasm"), KILN_EIMPORT, "\"env\".\"sbrk\"");
	expect_fail(opts("simd.wasm"), KILN_EUNSUPPORTED, "v128");
	o = opts("bigmem.wasm");
	o.max_memory = 16 << 20;
	expect_fail(o, KILN_EMEMCAP, "16777216");
	o = opts("basic.wasm");
	o.name = "no-dash";
	expect_fail(o, KILN_EINVAL, "invalid --name");
	o = opts("basic.wasm");
	o.opt_level = "9";
	expect_fail(o, KILN_EINVAL, "invalid -O level");
	o = opts("basic.wasm");
	o.max_memory = 1000;
	expect_fail(o, KILN_EINVAL, "--max-memory");
	o = opts("basic.wasm");
	o.wasm2c = "/nonexistent/wasm2c";
	expect_fail(o, KILN_ETOOL, "wasm2c not found");
	o = opts("basic.wasm");
	o.cc = "false";
	expect_fail(o, KILN_ETOOL, "false failed (exit status 1)");
	o = opts("basic.wasm");
	o.output = path("no/such/dir/out.o");
	expect_fail(o, KILN_EIO, "cannot create a file beside");
	o = opts("basic.wasm");
	o.output = NULL;
	expect_fail(o, KILN_EINVAL, "no output file");
}

void kiln_test_compile(void)
{
	CU_pSuite s = CU_add_suite("compile", setup, teardown);
	CU_add_test(s, "success", test_success);
	CU_add_test(s, "statuses", test_statuses);
}
