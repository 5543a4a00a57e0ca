/*
 * Tests for WASI wired into instances (runtime/wasi_imports.c and the WASI
 * parts of instance.c), through tests/wasi/fixtures/wire.wat compiled by
 * `kiln compile`: the imports reach the instance's WASI state with its
 * grants, see memory growth, count denials in the statistics, end the call
 * with trap kind "exit" on proc_exit, stop blocking calls at the hard
 * deadline; reset and free handle the state.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "rt_support.h"
#include "unit.h"
#include "wasi_abi.h"

#define MS 1000000ull

extern const struct kiln_module_desc kiln_module_wire;
static const struct kiln_extension wire = {.name = "wire", .module = &kiln_module_wire};

static struct kiln_engine *eng;

static int setup(void)
{
	eng = rt_engine(16);
	return eng == NULL;
}

static int teardown(void)
{
	kiln_engine_free(eng);
	return 0;
}

static uint32_t call0(struct kiln_instance *inst, const char *name)
{
	uint32_t r = 0xdeadbeefu;
	struct kiln_err err;
	int rc = rt_call_i32(inst, name, 0, NULL, &r, &err);
	CU_ASSERT_EQUAL(rc, KILN_OK);
	if (rc != KILN_OK)
		fprintf(stderr, "  %s: %s\n", name, err.msg);
	return r;
}

static uint32_t call(struct kiln_instance *inst, const char *name, int n, uint32_t a0,
		     uint32_t a1, uint32_t a2)
{
	uint32_t args[3] = {a0, a1, a2}, r = 0xdeadbeefu;
	struct kiln_err err;
	int rc = rt_call_i32(inst, name, n, args, &r, &err);
	CU_ASSERT_EQUAL(rc, KILN_OK);
	if (rc != KILN_OK)
		fprintf(stderr, "  %s: %s\n", name, err.msg);
	return r;
}

static bool captured_is(struct kiln_instance *inst, uint32_t fd, const char *want)
{
	size_t len;
	const uint8_t *p = kiln_wasi_captured(kiln_instance_wasi(inst), fd, &len);
	return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

static void test_state_only_with_wasi_imports(void)
{
	struct kiln_instance *a = rt_instance(eng, &wire, NULL), *b = rt_instance(eng, &rt_small, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL(kiln_instance_wasi(a));
	CU_ASSERT_PTR_NULL(kiln_instance_wasi(b));
	/* the accessors take the NULL of a module without WASI */
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(kiln_instance_wasi(b)), 0);
	kiln_instance_free(a);
	kiln_instance_free(b);
}

static void test_zero_grant(void)
{
	struct kiln_instance *inst = rt_instance(eng, &wire, NULL);
	struct kiln_wasi *w;
	const struct kiln_audit_entry *e;
	struct kiln_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	w = kiln_instance_wasi(inst);
	/* stdout goes nowhere but the write succeeds; no arguments */
	CU_ASSERT_EQUAL(call0(inst, "hello"), WASI_ESUCCESS);
	CU_ASSERT_EQUAL(call0(inst, "argc"), 0);
	/* random is not granted: a denial, audited and counted */
	CU_ASSERT_EQUAL(call(inst, "random", 2, 256, 16, 0), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(w), 1);
	e = kiln_wasi_audit_get(w, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->extension, "wire");
	CU_ASSERT_STRING_EQUAL(e->function, "random_get");
	CU_ASSERT_EQUAL(e->decision, KILN_AUDIT_DENIED);
	/* proc_raise is refused whatever the grants */
	CU_ASSERT_EQUAL(call(inst, "raise", 1, 15, 0, 0), WASI_ENOSYS);
	CU_ASSERT_EQUAL(kiln_wasi_denials_total(w), 2);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.wasi_denials, 2);
	CU_ASSERT_EQUAL(st.calls, 4);
	kiln_instance_free(inst);
}

static void test_grants_reach_the_guest(void)
{
	static const char *const args[] = {"wire", "one", "two"};
	struct kiln_grants g = {0};
	struct kiln_instance *inst;

	g.wasi.args = args;
	g.wasi.nargs = 3;
	g.wasi.random = true;
	g.wasi.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	g.wasi.stdio[2].kind = KILN_WASI_STDIO_CAPTURE;
	inst = rt_instance(eng, &wire, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call0(inst, "argc"), 3);
	CU_ASSERT_EQUAL(call0(inst, "hello"), WASI_ESUCCESS);
	CU_ASSERT_EQUAL(call(inst, "write", 3, 2, 65, 4), WASI_ESUCCESS);
	CU_ASSERT(captured_is(inst, 1, "hello"));
	CU_ASSERT(captured_is(inst, 2, "ello"));
	CU_ASSERT_EQUAL(call(inst, "random", 2, 256, 16, 0), WASI_ESUCCESS);
	CU_ASSERT_EQUAL(kiln_wasi_denials_total(kiln_instance_wasi(inst)), 0);
	kiln_instance_free(inst);
}

/* The view is fetched per call: what was out of bounds is in after
 * memory.grow, and a range past the end is a fault that touches nothing. */
static void test_memory_view_follows_growth(void)
{
	struct kiln_grants g = {0};
	struct kiln_instance *inst;
	struct kiln_stats st;

	g.wasi.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	inst = rt_instance(eng, &wire, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call(inst, "write", 3, 1, 65530, 10), WASI_EFAULT);
	CU_ASSERT_EQUAL(call(inst, "write", 3, 1, 0xfffffff0u, 0x20), WASI_EFAULT);
	CU_ASSERT(captured_is(inst, 1, ""));
	CU_ASSERT_EQUAL(call(inst, "grow", 1, 1, 0, 0), 1);
	CU_ASSERT_EQUAL(call(inst, "write", 3, 1, 65530, 10), WASI_ESUCCESS);
	CU_ASSERT_EQUAL(kiln_wasi_audit_get(kiln_instance_wasi(inst), 0)->decision,
			KILN_AUDIT_FAULT);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.wasi_denials, 2);
	CU_ASSERT_EQUAL(st.peak_pages, 2);
	kiln_instance_free(inst);
}

static void test_proc_exit_traps_with_its_code(void)
{
	struct kiln_grants g = {0};
	struct kiln_instance *inst;
	struct kiln_err err;
	uint32_t code = 33;
	int exit_code = -1;
	struct kiln_stats st;

	g.wasi.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	inst = rt_instance(eng, &wire, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "exit", 1, &code, NULL, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, &exit_code), KILN_TRAP_EXIT);
	CU_ASSERT_EQUAL(exit_code, 33);
	CU_ASSERT(strstr(err.msg, "exit") != NULL && strstr(err.msg, "code 33") != NULL);
	CU_ASSERT(kiln_wasi_exit_code(kiln_instance_wasi(inst), &code) && code == 33);
	/* proc_exit(0) is an exit too, and the instance carries on */
	code = 0;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "exit", 1, &code, NULL, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, &exit_code), KILN_TRAP_EXIT);
	CU_ASSERT_EQUAL(exit_code, 0);
	CU_ASSERT_EQUAL(call0(inst, "hello"), WASI_ESUCCESS);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_NONE);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_EXIT], 2);
	/* a huge code arrives as the guest gave it */
	code = 0x80000001u;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "exit", 1, &code, NULL, &err), KILN_ETRAP);
	CU_ASSERT(kiln_wasi_exit_code(kiln_instance_wasi(inst), &code) && code == 0x80000001u);
	kiln_instance_free(inst);
}

static void test_reset_and_extension_stats(void)
{
	static const struct kiln_extension other = {.name = "wire2", .module = &kiln_module_wire};
	struct kiln_grants g = {0};
	struct kiln_instance *inst;
	struct kiln_err err;
	struct kiln_stats st;
	uint32_t code = 5;

	g.wasi.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	inst = rt_instance(eng, &other, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call0(inst, "hello"), WASI_ESUCCESS);
	CU_ASSERT_EQUAL(call(inst, "random", 2, 256, 16, 0), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "exit", 1, &code, NULL, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL_FATAL(kiln_instance_reset(inst, &err), KILN_OK);
	CU_ASSERT(captured_is(inst, 1, ""));
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(kiln_instance_wasi(inst)), 0);
	CU_ASSERT(!kiln_wasi_exit_code(kiln_instance_wasi(inst), NULL));
	CU_ASSERT_EQUAL(call0(inst, "hello"), WASI_ESUCCESS);
	CU_ASSERT(captured_is(inst, 1, "hello"));
	/* statistics survive the reset and the instance */
	CU_ASSERT_EQUAL(call(inst, "random", 2, 256, 16, 0), WASI_ENOTCAPABLE);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.wasi_denials, 2);
	kiln_instance_free(inst);
	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &other, &st), KILN_OK);
	CU_ASSERT_EQUAL(st.wasi_denials, 2);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_EXIT], 1);
}

static void test_bad_grant_refuses_the_instance(void)
{
	struct kiln_wasi_mount m = {.host_path = "/nonexistent/kiln-wire", .guest_path = "/"};
	static const char *const env[] = {"NOEQUALS"};
	struct kiln_grants g = {0};
	struct kiln_instance *inst = NULL;
	struct kiln_err err;

	g.wasi.mounts = &m;
	g.wasi.nmounts = 1;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &wire, &g, &inst, &err), KILN_ENOTFOUND);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT(strstr(err.msg, "/nonexistent/kiln-wire") != NULL);
	CU_ASSERT(strncmp(err.msg, "wire", 4) == 0);
	memset(&g, 0, sizeof g);
	g.wasi.env = env;
	g.wasi.nenv = 1;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &wire, &g, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NULL(inst);
	/* a module without WASI imports ignores the WASI part */
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_small, &g, &inst, &err), KILN_OK);
	kiln_instance_free(inst);
}

/* In a child: fd 0 is a pipe nobody writes to; the guest reads it (then
 * sleeps 10 s) under a 100 ms hard deadline.  Exit 0 when both calls stop
 * with "deadline" within a second. */
static void blocked_until_deadline(void *arg)
{
	struct kiln_grants g = {.hard_deadline_ns = 100 * MS, .soft_deadline_ns = KILN_UNLIMITED};
	struct kiln_engine *e;
	struct kiln_instance *inst;
	struct kiln_val ns = {KILN_I64, {.i64 = 10000000000ull}}, res;
	struct kiln_err err;
	uint64_t t0;
	int p[2];
	(void)arg;

	if (pipe(p) != 0 || dup2(p[0], 0) != 0)
		_exit(2);
	g.wasi.stdio[0].kind = KILN_WASI_STDIO_INHERIT;
	g.wasi.clock_monotonic = true;
	e = rt_engine(2);
	inst = e != NULL ? rt_instance(e, &wire, &g) : NULL;
	if (inst == NULL)
		_exit(3);
	t0 = rt_now_ns();
	if (kiln_instance_call(inst, "read", NULL, 0, &res, 1, &err) != KILN_ETRAP ||
	    kiln_instance_trap(inst, NULL) != KILN_TRAP_DEADLINE)
		_exit(4);
	if (rt_now_ns() - t0 > 1000 * MS || rt_now_ns() - t0 < 90 * MS)
		_exit(5);
	t0 = rt_now_ns();
	if (kiln_instance_call(inst, "sleep", &ns, 1, &res, 1, &err) != KILN_ETRAP ||
	    kiln_instance_trap(inst, NULL) != KILN_TRAP_DEADLINE)
		_exit(6);
	if (rt_now_ns() - t0 > 1000 * MS)
		_exit(7);
	/* a short sleep completes */
	ns.of.i64 = 1 * MS;
	if (kiln_instance_call(inst, "sleep", &ns, 1, &res, 1, &err) != KILN_OK ||
	    res.of.i32 != WASI_ESUCCESS)
		_exit(8);
	kiln_instance_free(inst);
	kiln_engine_free(e);
	_exit(0);
}

static void test_blocking_calls_stop_at_the_deadline(void)
{
	int status = rt_in_child(blocked_until_deadline, NULL, 20000);
	CU_ASSERT(status != -1 && WIFEXITED(status));
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "\n  blocked_until_deadline: exit %d\n", WEXITSTATUS(status));
	CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void kiln_test_wasi_wire(void)
{
	CU_pSuite s = CU_add_suite("wasi_wire", setup, teardown);
	CU_add_test(s, "state only with WASI imports", test_state_only_with_wasi_imports);
	CU_add_test(s, "zero grant", test_zero_grant);
	CU_add_test(s, "grants reach the guest", test_grants_reach_the_guest);
	CU_add_test(s, "memory view follows growth", test_memory_view_follows_growth);
	CU_add_test(s, "proc_exit traps with its code", test_proc_exit_traps_with_its_code);
	CU_add_test(s, "reset and extension stats", test_reset_and_extension_stats);
	CU_add_test(s, "bad grant refuses the instance", test_bad_grant_refuses_the_instance);
	CU_add_test(s, "blocking calls stop at the deadline",
		    test_blocking_calls_stop_at_the_deadline);
}
