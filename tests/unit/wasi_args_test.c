/* WASI arguments and environment: layout, allowlist, no leaks, bounds. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

static void test_args_layout(void)
{
	const char *args[] = {"prog", "the \"second\" arg", "", "3"};
	struct kiln_wasi_grants g = {.args = args, .nargs = 4};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	uint32_t size;

	CU_ASSERT_EQUAL(kiln_wasi_args_sizes_get(w, m, G_OUT, G_OUT + 4), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 4);
	size = wfx_u32(m, G_OUT + 4);
	CU_ASSERT_EQUAL(size, 5 + 17 + 1 + 2);
	CU_ASSERT_EQUAL(kiln_wasi_args_get(w, m, G_OUT2, G_BUF), 0);
	for (int i = 0; i < 4; i++) {
		uint32_t p = wfx_u32(m, G_OUT2 + 4 * (uint32_t)i);
		CU_ASSERT(p >= G_BUF && p < G_BUF + size);
		CU_ASSERT_STRING_EQUAL((const char *)m.base + p, args[i]);
	}
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

static void test_zero_grant_has_nothing(void)
{
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(NULL);
	memset(m.base + G_OUT, 0xff, 16);
	CU_ASSERT_EQUAL(kiln_wasi_args_sizes_get(w, m, G_OUT, G_OUT + 4), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT + 4), 0);
	CU_ASSERT_EQUAL(kiln_wasi_environ_sizes_get(w, m, G_OUT, G_OUT + 4), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT + 4), 0);
	CU_ASSERT_EQUAL(kiln_wasi_args_get(w, m, G_OUT2, G_BUF), 0);
	CU_ASSERT_EQUAL(kiln_wasi_environ_get(w, m, G_OUT2, G_BUF), 0);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

/* Only explicit pairs and allowlisted host variables reach the guest. */
static void test_env_allowlist_no_leak(void)
{
	const char *env[] = {"a=text", "b=escap \" ing", "c=new\nline", "SHARED=explicit"};
	const char *inherit[] = {"KILN_TEST_ALLOWED", "KILN_TEST_UNSET", "SHARED",
				 "KILN_TEST_ALLOWED"};
	struct kiln_wasi_grants g = {
		.env = env, .nenv = 4, .env_inherit = inherit, .nenv_inherit = 4};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	const char *want[] = {"a=text", "b=escap \" ing", "c=new\nline", "SHARED=explicit",
			      "KILN_TEST_ALLOWED=yes"};
	uint32_t count, size;

	setenv("KILN_TEST_SECRET", "do-not-leak", 1);
	setenv("KILN_TEST_ALLOWED", "yes", 1);
	setenv("SHARED", "from-host", 1);
	unsetenv("KILN_TEST_UNSET");
	w = wfx_new(&g);
	CU_ASSERT_EQUAL(kiln_wasi_environ_sizes_get(w, m, G_OUT, G_OUT + 4), 0);
	count = wfx_u32(m, G_OUT);
	size = wfx_u32(m, G_OUT + 4);
	CU_ASSERT_EQUAL(count, 5);
	CU_ASSERT_EQUAL(kiln_wasi_environ_get(w, m, G_OUT2, G_BUF), 0);
	for (uint32_t i = 0; i < count && i < 5; i++)
		CU_ASSERT_STRING_EQUAL((const char *)m.base + wfx_u32(m, G_OUT2 + 4 * i), want[i]);
	CU_ASSERT_PTR_NULL(memmem(m.base + G_BUF, size, "do-not-leak", 11));
	CU_ASSERT_PTR_NULL(memmem(m.base + G_BUF, size, "KILN_TEST_SECRET", 16));
	CU_ASSERT_PTR_NULL(memmem(m.base + G_BUF, size, "from-host", 9));
	CU_ASSERT_PTR_NULL(memmem(m.base + G_BUF, size, "PATH=", 5));
	kiln_wasi_free(w);
	unsetenv("KILN_TEST_SECRET");
	unsetenv("KILN_TEST_ALLOWED");
	unsetenv("SHARED");
	wfx_mem_free(m);
}

static void test_env_malformed_rejected(void)
{
	const char *bad1[] = {"NOEQUALS"};
	const char *bad2[] = {"=value"};
	const char *dup[] = {"K=1", "K=2"};
	const char *badname[] = {"A=B"};
	struct kiln_wasi_grants g = {.env = bad1, .nenv = 1};
	struct kiln_wasi *w = NULL;
	struct kiln_err err;

	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "ext", &w, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "NOEQUALS"));
	g.env = bad2;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "ext", &w, &err), KILN_EINVAL);
	g.env = dup;
	g.nenv = 2;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "ext", &w, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "twice"));
	g.nenv = 0;
	g.env_inherit = badname;
	g.nenv_inherit = 1;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "ext", &w, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NULL(w);
}

static void test_args_too_large(void)
{
	size_t big = KILN_WASI_ARGS_MAX;
	char *s = malloc(big + 1);
	const char *args[1];
	struct kiln_wasi_grants g = {.args = args, .nargs = 1};
	struct kiln_wasi *w = NULL;
	struct kiln_err err;
	memset(s, 'x', big);
	s[big] = '\0';
	args[0] = s;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "ext", &w, &err), KILN_ELIMIT);
	CU_ASSERT_PTR_NULL(w);
	free(s);
}

/* Hostile pointers: nothing is written, EFAULT, and an audit entry. */
static void test_args_bounds(void)
{
	const char *args[] = {"prog", "x"};
	struct kiln_wasi_grants g = {.args = args, .nargs = 2};
	struct kiln_wasi_mem full = wfx_mem(), m = wfx_mem_tail(full, 64);
	struct kiln_wasi *w = wfx_new(&g);

	CU_ASSERT_EQUAL(kiln_wasi_args_sizes_get(w, m, 62, 0), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_args_sizes_get(w, m, 0, 0xfffffffc), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_args_get(w, m, 60, 0), WASI_EFAULT); /* 2 pointers = 8 bytes */
	CU_ASSERT_EQUAL(kiln_wasi_args_get(w, m, 0, 60), WASI_EFAULT); /* 7 bytes of strings */
	CU_ASSERT_EQUAL(kiln_wasi_args_get(w, m, 0xfffffff0, 0), WASI_EFAULT);
	/* Zero bytes at the very end are fine, past the end are not (as
	 * for wasm's own bulk memory instructions). */
	CU_ASSERT_EQUAL(kiln_wasi_environ_get(w, m, 64, 64), 0);
	CU_ASSERT_EQUAL(kiln_wasi_environ_get(w, m, 0xffffffff, 0), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_environ_sizes_get(w, m, 64, 0), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_ENVIRON_GET), 1);
	CU_ASSERT_EQUAL(kiln_wasi_args_get(w, m, 0, 57), 0); /* exactly fits */
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_ARGS_GET), 3);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_ARGS_SIZES_GET), 2);
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_FAULT);
	kiln_wasi_free(w);
	wfx_mem_free(full);
}

void kiln_test_wasi_args(void)
{
	CU_pSuite s = CU_add_suite("wasi_args", NULL, NULL);
	CU_add_test(s, "args layout", test_args_layout);
	CU_add_test(s, "zero grant has no args or env", test_zero_grant_has_nothing);
	CU_add_test(s, "env allowlist, nothing leaks", test_env_allowlist_no_leak);
	CU_add_test(s, "malformed env grants rejected", test_env_malformed_rejected);
	CU_add_test(s, "args above the size limit", test_args_too_large);
	CU_add_test(s, "hostile pointers", test_args_bounds);
}
