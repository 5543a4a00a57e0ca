/*
 * Tests for runtime/trap.c and the trap boundary: a trap of every kind,
 * each followed by successful calls on the same instance (before and after
 * reset) and on its neighbour; stack exhaustion on the main thread and on
 * other threads; and fault filtering — host faults must still kill the
 * process with the real signal (checked in child processes), and a handler
 * installed before the engine still gets the faults that are not ours.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <wasm-rt.h>

#include "rt_support.h"
#include "unit.h"

#define MS 1000000ull

struct trap_case {
	const char *what;
	const char *export_name;
	int nargs;
	uint32_t args[3];
	enum kiln_trap_kind kind;
	int exit_code;
	bool unmetered; /* run with unlimited fuel */
};

static const struct trap_case cases[] = {
	{"load at the end of memory", "load", 1, {65536}, KILN_TRAP_OUT_OF_BOUNDS, 0, false},
	{"load far past memory", "load", 1, {0xfffffffcu}, KILN_TRAP_OUT_OF_BOUNDS, 0, false},
	{"store straddling the end", "store", 2, {65534, 1}, KILN_TRAP_OUT_OF_BOUNDS, 0, false},
	{"offset 0xffffffff past 0xffffffff", "load_far", 1, {0xffffffffu},
	 KILN_TRAP_OUT_OF_BOUNDS, 0, false},
	{"memory.fill range check", "fill", 3, {65000, 1, 1000}, KILN_TRAP_OUT_OF_BOUNDS, 0,
	 false},
	{"divide by zero", "div_s", 2, {1, 0}, KILN_TRAP_DIV_BY_ZERO, 0, false},
	{"INT_MIN / -1", "div_s", 2, {0x80000000u, 0xffffffffu}, KILN_TRAP_INT_OVERFLOW, 0,
	 false},
	{"trunc of NaN", "trunc", 1, {0x7fc00000u}, KILN_TRAP_INVALID_CONVERSION, 0, false},
	{"trunc of 3e9", "trunc", 1, {0x4f32d05eu}, KILN_TRAP_INT_OVERFLOW, 0, false},
	{"unreachable", "unreachable", 0, {0}, KILN_TRAP_UNREACHABLE, 0, false},
	{"call_indirect of a null entry", "call_ii", 2, {2, 0}, KILN_TRAP_INDIRECT_CALL, 0,
	 false},
	{"call_indirect type mismatch", "call_ii", 2, {1, 0}, KILN_TRAP_INDIRECT_CALL, 0, false},
	{"call_indirect past the table", "call_ii", 2, {10, 0}, KILN_TRAP_INDIRECT_CALL, 0,
	 false},
	{"unbounded recursion", "recurse", 1, {0}, KILN_TRAP_STACK_EXHAUSTION, 0, true},
	{"endless loop, fuel", "spin", 0, {0}, KILN_TRAP_FUEL, 0, false},
	{"endless loop, deadline", "spin", 0, {0}, KILN_TRAP_DEADLINE, 0, true},
	{"proc_exit-like exit", "host_trap", 1, {0}, KILN_TRAP_EXIT, 42, false},
	{"exit inside a host bracket", "host_trap", 1, {2}, KILN_TRAP_EXIT, 7, false},
	{"host function trap", "host_trap", 1, {1}, KILN_TRAP_HOST, 0, false},
};

static bool adds_up(struct kiln_instance *inst)
{
	uint32_t args[2] = {2, 3}, out = 0;
	return rt_call_i32(inst, "add", 2, args, &out, NULL) == KILN_OK && out == 5;
}

static void test_every_trap_kind_then_carry_on(void)
{
	const struct kiln_grants g = {.fuel_per_call = 100000, .hard_deadline_ns = 200 * MS};
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, &g);
	struct kiln_instance *next = rt_instance(eng, &rt_basic, &g);
	const char marker[8] = "neighbr";
	char buf[8];
	struct kiln_stats st;
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_PTR_NOT_NULL_FATAL(next);
	CU_ASSERT_EQUAL(kiln_instance_memory_write(next, 0, marker, 8, &err), KILN_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct trap_case *c = &cases[i];
		int code = -1, rc;
		if (c->unmetered)
			kiln_instance_set_fuel(inst, KILN_UNLIMITED);
		rc = rt_call_i32(inst, c->export_name, c->nargs, c->args, NULL, &err);
		kiln_instance_set_fuel(inst, 0);
		if (rc != KILN_ETRAP || kiln_instance_trap(inst, &code) != c->kind) {
			fprintf(stderr, "\n  %s: status %d, kind %s (%s)\n", c->what, rc,
				kiln_trap_kind_name(kiln_instance_trap(inst, NULL)), err.msg);
			CU_FAIL("wrong trap");
			continue;
		}
		CU_ASSERT_EQUAL(kiln_trap_last(NULL), c->kind);
		CU_ASSERT_EQUAL(code, c->exit_code);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, kiln_trap_kind_name(c->kind)));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, c->export_name));
		/* The same instance, its neighbour, and the instance after a
		 * reset all work. */
		CU_ASSERT(adds_up(inst));
		CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_NONE);
		CU_ASSERT(adds_up(next));
		CU_ASSERT_EQUAL(kiln_instance_reset(inst, &err), KILN_OK);
		CU_ASSERT(adds_up(inst));
		CU_ASSERT_EQUAL(kiln_instance_memory_read(next, 0, buf, 8, &err), KILN_OK);
		CU_ASSERT_EQUAL(memcmp(buf, marker, 8), 0);
	}
	kiln_instance_stats(inst, &st);
	for (int k = 1; k < KILN_TRAP_KIND_COUNT; k++) {
		unsigned expected = 0;
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			expected += cases[i].kind == (enum kiln_trap_kind)k;
		CU_ASSERT_EQUAL(st.traps[k], expected);
	}
	kiln_instance_free(inst);
	kiln_instance_free(next);
	kiln_engine_free(eng);
}

static void test_oob_message_names_the_offset(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_err err;
	uint32_t addr = 70000;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "load", 1, &addr, NULL, &err), KILN_ETRAP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "offset 0x11170"));
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

struct recursion {
	struct kiln_engine *eng;
	int rc;
	enum kiln_trap_kind kind;
	bool after;
};

static void *recurse_thread(void *p)
{
	struct recursion *r = p;
	struct kiln_instance *inst = rt_instance(r->eng, &rt_basic, NULL);
	uint32_t zero = 0;
	if (inst == NULL)
		return NULL;
	for (int round = 0; round < 3; round++)
		r->rc = rt_call_i32(inst, "recurse", 1, &zero, NULL, NULL);
	r->kind = kiln_instance_trap(inst, NULL);
	r->after = adds_up(inst);
	kiln_instance_free(inst);
	return NULL;
}

static void test_stack_exhaustion_on_other_threads(void)
{
	static const size_t sizes[] = {256u << 10, 0, 4u << 20};
	struct kiln_engine *eng = rt_engine(8);

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct recursion r = {eng, -1, KILN_TRAP_NONE, false};
		pthread_attr_t attr;
		pthread_t th;
		pthread_attr_init(&attr);
		if (sizes[i] != 0)
			pthread_attr_setstacksize(&attr, sizes[i]);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th, &attr, recurse_thread, &r), 0);
		pthread_join(th, NULL);
		pthread_attr_destroy(&attr);
		CU_ASSERT_EQUAL(r.rc, KILN_ETRAP);
		CU_ASSERT_EQUAL(r.kind, KILN_TRAP_STACK_EXHAUSTION);
		CU_ASSERT(r.after);
	}
	kiln_engine_free(eng);
}

static void test_host_function_short_of_stack_traps(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_err err;
	uint32_t depth = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "host_deep", 0, NULL, &depth, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_STACK_EXHAUSTION);
	CU_ASSERT(adds_up(inst));
	/* Outside any call kiln_host_enter/leave do nothing. */
	kiln_host_enter();
	kiln_host_leave();
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* ---- Fault filtering and API misuse, in child processes ---- */

static void host_null_write(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	volatile int *volatile bad = (volatile int *)(uintptr_t)16;
	(void)arg;
	*bad = 1;
	kiln_engine_free(eng);
	_exit(0);
}

static void host_reads_past_wasm_memory(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	const struct kiln_export_desc *mem = kiln_instance_export(inst, "memory");
	wasm_rt_memory_t *m = mem->get(kiln_instance_module(inst));
	(void)arg;
	/* A host bug, not a guest trap, even though it is wasm memory. */
	_exit(((volatile uint8_t *)m->data)[m->size] == 0 ? 3 : 4);
}

static void host_function_crashes(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	uint32_t mode = (uint32_t)(uintptr_t)arg;
	if (rt_call_i32(inst, "host_trap", 1, &mode, NULL, NULL) == KILN_ETRAP)
		_exit(99);
	_exit(0);
}

static void sent_sigsegv(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	(void)arg;
	kill(getpid(), SIGSEGV);
	kiln_engine_free(eng);
	_exit(0);
}

static void host_bus_error(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	FILE *f = tmpfile();
	volatile char *p;
	(void)arg;
	if (f == NULL || ftruncate(fileno(f), 4096) != 0)
		_exit(2);
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fileno(f), 0);
	if (p == MAP_FAILED)
		_exit(2);
	_exit(p[4096] == 0 ? 3 : 4);
	kiln_engine_free(eng);
}

static void expect_death(void (*fn)(void *), void *arg, int sig, const char *what)
{
	int status = rt_in_child(fn, arg, 20000);
	bool ok = status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
	/* ASan's own handler, which we chain to, reports and exits instead. */
	if (UNDER_ASAN && status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		ok = true;
	if (!ok)
		fprintf(stderr, "\n  %s: wait status 0x%x, expected death by signal %d\n", what,
			(unsigned)status, sig);
	CU_ASSERT(ok);
}

static void test_host_faults_are_not_traps(void)
{
	expect_death(host_null_write, NULL, SIGSEGV, "host null write");
	expect_death(host_reads_past_wasm_memory, NULL, SIGSEGV, "host read past wasm memory");
	expect_death(host_function_crashes, (void *)3, SIGSEGV, "host function null write");
	expect_death(host_function_crashes, (void *)4, SIGSEGV,
		     "bracketed host function reading past wasm memory");
	expect_death(sent_sigsegv, NULL, SIGSEGV, "kill(SIGSEGV)");
	expect_death(host_bus_error, NULL, SIGBUS, "host bus error");
}

static void free_running_instance(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	uint32_t mode = 5;
	(void)arg;
	rt_call_i32(inst, "host_trap", 1, &mode, NULL, NULL);
	_exit(0);
}

static void free_engine_with_instances(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	(void)arg;
	rt_instance(eng, &rt_small, NULL);
	kiln_engine_free(eng);
	_exit(0);
}

static void trap_outside_calls(void *arg)
{
	struct kiln_engine *eng = rt_engine(4);
	(void)arg;
	kiln_trap_raise(KILN_TRAP_HOST);
	kiln_engine_free(eng);
	_exit(0);
}

static void test_api_misuse_aborts(void)
{
	expect_death(free_running_instance, NULL, SIGABRT, "free a running instance");
	expect_death(free_engine_with_instances, NULL, SIGABRT, "free an engine in use");
	expect_death(trap_outside_calls, NULL, SIGABRT, "trap outside calls");
}

static sigjmp_buf chained_jmp;
static volatile sig_atomic_t chained_hits;

static void host_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	chained_hits++;
	siglongjmp(chained_jmp, 1);
}

/* Exit status: 0 when the host's handler got the host fault, not the guest
 * fault, and was reinstated when the engine went. */
static void chain_to_host_handler(void *arg)
{
	struct sigaction sa, cur;
	struct kiln_engine *eng;
	struct kiln_instance *inst;
	volatile char *page;
	uint32_t far = 1u << 20;
	(void)arg;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = host_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	eng = rt_engine(4);
	inst = rt_instance(eng, &rt_basic, NULL);
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (eng == NULL || inst == NULL || page == MAP_FAILED)
		_exit(2);
	if (sigsetjmp(chained_jmp, 1) == 0)
		(void)page[0];
	if (chained_hits != 1)
		_exit(3);
	if (rt_call_i32(inst, "load", 1, &far, NULL, NULL) != KILN_ETRAP ||
	    kiln_instance_trap(inst, NULL) != KILN_TRAP_OUT_OF_BOUNDS)
		_exit(4);
	if (chained_hits != 1)
		_exit(5);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
	sigaction(SIGSEGV, NULL, &cur);
	_exit((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == host_handler ? 0 : 6);
}

static void test_faults_chain_to_the_previous_handler(void)
{
	int status = rt_in_child(chain_to_host_handler, NULL, 20000);
	CU_ASSERT(status != -1 && WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

void kiln_test_trap(void)
{
	CU_pSuite s = CU_add_suite("trap", NULL, NULL);
	CU_add_test(s, "every trap kind, then carry on", test_every_trap_kind_then_carry_on);
	CU_add_test(s, "OOB message names the offset", test_oob_message_names_the_offset);
	CU_add_test(s, "stack exhaustion on other threads", test_stack_exhaustion_on_other_threads);
	CU_add_test(s, "host function short of stack traps",
		    test_host_function_short_of_stack_traps);
	CU_add_test(s, "host faults are not traps", test_host_faults_are_not_traps);
	CU_add_test(s, "API misuse aborts", test_api_misuse_aborts);
	CU_add_test(s, "faults chain to the previous handler",
		    test_faults_chain_to_the_previous_handler);
}
