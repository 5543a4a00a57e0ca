/*
 * Tests for runtime/: engines, instances, calls and their type checks,
 * memory accessors, statistics, reset, import resolution, re-entrancy.
 * Traps, fuel, deadlines, memories and threads have their own suites.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "rt_support.h"
#include "unit.h"

static void test_engine_defaults_and_bad_config(void)
{
	struct kiln_engine_config cfg = {0};
	struct kiln_engine *eng = NULL, *second = NULL;
	struct kiln_err err;

	CU_ASSERT_EQUAL_FATAL(kiln_engine_new(NULL, &eng, &err), KILN_OK);
	/* A second engine may share the interrupt signal, not change it. */
	CU_ASSERT_EQUAL(kiln_engine_new(NULL, &second, &err), KILN_OK);
	kiln_engine_free(second);
	cfg.interrupt_signal = SIGRTMIN + 5;
	second = (struct kiln_engine *)&cfg;
	CU_ASSERT_EQUAL(kiln_engine_new(&cfg, &second, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NULL(second);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already uses signal"));
	kiln_engine_free(eng);
	kiln_engine_free(NULL);

	cfg.interrupt_signal = SIGSEGV;
	CU_ASSERT_EQUAL(kiln_engine_new(&cfg, &eng, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NULL(eng);
	cfg.interrupt_signal = 0;
	cfg.slots = 1u << 20; /* 8 PiB of address space */
	CU_ASSERT_EQUAL(kiln_engine_new(&cfg, &eng, &err), KILN_ENOMEM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "fewer slots"));
}

static void dummy_handler(int sig)
{
	(void)sig;
}

static void test_engine_refuses_a_signal_in_use(void)
{
	struct kiln_engine_config cfg = {.interrupt_signal = SIGUSR2};
	struct kiln_engine *eng = NULL;
	struct kiln_err err;
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = dummy_handler;
	sigaction(SIGUSR2, &sa, &old);
	CU_ASSERT_EQUAL(kiln_engine_new(&cfg, &eng, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already has a handler"));
	sigaction(SIGUSR2, &old, NULL);
	CU_ASSERT_EQUAL(kiln_engine_new(&cfg, &eng, &err), KILN_OK);
	kiln_engine_free(eng);
}

static void test_calls_with_every_value_type(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_val a[2], r[2];
	struct kiln_err err;
	uint32_t args[2] = {40, 2}, out = 0;
	float nanf_in;
	uint32_t bits = 0x7fa00001u, got_bits;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "add", 2, args, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 42);
	a[0] = (struct kiln_val){KILN_I64, {.i64 = 0x8000000000000001ull}};
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "id_i64", a, 1, r, 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(r[0].type, KILN_I64);
	CU_ASSERT_EQUAL(r[0].of.i64, 0x8000000000000001ull);
	/* A signalling NaN's payload goes through untouched. */
	memcpy(&nanf_in, &bits, sizeof bits);
	a[0] = (struct kiln_val){KILN_F32, {.f32 = nanf_in}};
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "id_f32", a, 1, r, 1, &err), KILN_OK);
	memcpy(&got_bits, &r[0].of.f32, sizeof got_bits);
	CU_ASSERT_EQUAL(got_bits, bits);
	a[0] = (struct kiln_val){KILN_F64, {.f64 = -0.0}};
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "id_f64", a, 1, r, 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(r[0].type, KILN_F64);
	CU_ASSERT(signbit(r[0].of.f64) && r[0].of.f64 == 0.0);
	/* Multi-value. */
	a[0] = (struct kiln_val){KILN_I32, {.i32 = 7}};
	a[1] = (struct kiln_val){KILN_I64, {.i64 = 1ull << 40}};
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "swap", a, 2, r, 2, &err), KILN_OK);
	CU_ASSERT_EQUAL(r[0].type, KILN_I64);
	CU_ASSERT_EQUAL(r[0].of.i64, 1ull << 40);
	CU_ASSERT_EQUAL(r[1].type, KILN_I32);
	CU_ASSERT_EQUAL(r[1].of.i32, 7);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_call_type_errors(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_val a[2] = {{KILN_I32, {.i32 = 1}}, {KILN_I64, {.i64 = 2}}}, r[2];
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "add", a, 2, r, 1, &err), KILN_ETYPE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "argument 1 is i64, expected i32"));
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "add", a, 1, r, 1, &err), KILN_ETYPE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "takes 2 arguments and returns 1"));
	a[1].type = KILN_I32;
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "add", a, 2, r, 0, &err), KILN_ETYPE);
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "add", a, 2, r, 2, &err), KILN_ETYPE);
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "no_such_export", NULL, 0, NULL, 0, &err),
			KILN_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no_such_export"));
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "memory", NULL, 0, NULL, 0, &err),
			KILN_ENOTFOUND);
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "__kiln_fuel", NULL, 0, NULL, 0, &err),
			KILN_ENOTFOUND);
	/* Nothing of this counted as a call. */
	{
		struct kiln_stats st;
		kiln_instance_stats(inst, &st);
		CU_ASSERT_EQUAL(st.calls, 0);
	}
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_export_handles(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *one = rt_instance(eng, &rt_basic, NULL);
	struct kiln_instance *two = rt_instance(eng, &rt_basic, NULL);
	const struct kiln_export_desc *inc, *mem;
	struct kiln_val a = {KILN_I32, {.i32 = 9}}, r;
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	CU_ASSERT_PTR_NOT_NULL_FATAL(two);
	inc = kiln_instance_export(one, "inc");
	CU_ASSERT_PTR_NOT_NULL_FATAL(inc);
	CU_ASSERT_EQUAL(inc->kind, KILN_EXTERN_FUNC);
	/* One handle serves every instance of the extension. */
	CU_ASSERT_EQUAL(kiln_instance_invoke(one, inc, &a, 1, &r, 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(r.of.i32, 10);
	CU_ASSERT_EQUAL(kiln_instance_invoke(two, inc, &a, 1, &r, 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(r.of.i32, 10);
	mem = kiln_instance_export(one, "memory");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	CU_ASSERT_EQUAL(mem->kind, KILN_EXTERN_MEMORY);
	CU_ASSERT_EQUAL(kiln_instance_invoke(one, mem, NULL, 0, NULL, 0, &err), KILN_ENOTFOUND);
	CU_ASSERT_PTR_NULL(kiln_instance_export(one, "zzz"));
	CU_ASSERT_PTR_NULL(kiln_instance_export(one, ""));
	CU_ASSERT_PTR_NOT_NULL(kiln_instance_export(one, "__kiln_fuel"));
	CU_ASSERT_PTR_NOT_NULL(kiln_instance_export(one, "unreachable"));
	kiln_instance_free(one);
	kiln_instance_free(two);
	kiln_engine_free(eng);
}

static void test_memory_accessors(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_err err;
	char buf[8] = {0};
	uint32_t args[2] = {100, 0}, out = 0;
	const uint32_t word = 0xdeadbeef;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 65536);
	CU_ASSERT_EQUAL(kiln_instance_memory_read(inst, 16, buf, 4, &err), KILN_OK);
	CU_ASSERT_NSTRING_EQUAL(buf, "kiln", 4);
	CU_ASSERT_EQUAL(kiln_instance_memory_write(inst, 100, &word, 4, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "load", 1, args, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, word);
	/* The last byte is in, one more is out, and sizes cannot wrap. */
	CU_ASSERT_EQUAL(kiln_instance_memory_read(inst, 65535, buf, 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_memory_read(inst, 65535, buf, 2, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "outside its memory of 65536 bytes"));
	CU_ASSERT_EQUAL(kiln_instance_memory_read(inst, 65536, buf, 0, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_memory_read(inst, 65537, buf, 0, &err), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_instance_memory_write(inst, UINT64_MAX, buf, 2, &err), KILN_EINVAL);
	CU_ASSERT_EQUAL(kiln_instance_memory_write(inst, 8, buf, SIZE_MAX, &err), KILN_EINVAL);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_stats_per_instance_and_extension(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *one = rt_instance(eng, &rt_basic, NULL);
	struct kiln_instance *two = rt_instance(eng, &rt_basic, NULL);
	struct kiln_stats st;
	struct kiln_err err;
	uint32_t arg = 10, zero[2] = {1, 0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	CU_ASSERT_PTR_NOT_NULL_FATAL(two);
	CU_ASSERT_EQUAL(rt_call_i32(one, "burn", 1, &arg, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(one, "div_s", 2, zero, NULL, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(rt_call_i32(two, "grow", 1, &arg, NULL, &err), KILN_OK);
	kiln_instance_stats(one, &st);
	CU_ASSERT_EQUAL(st.instantiations, 1);
	CU_ASSERT_EQUAL(st.calls, 2);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_DIV_BY_ZERO], 1);
	CU_ASSERT_EQUAL(st.fuel_consumed, (2 + 5 * 10) + 3);
	CU_ASSERT_EQUAL(st.peak_pages, 1);
	kiln_instance_stats(two, &st);
	CU_ASSERT_EQUAL(st.peak_pages, 11);

	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &rt_basic, &st), KILN_OK);
	CU_ASSERT_EQUAL(st.live_instances, 2);
	CU_ASSERT_EQUAL(st.calls, 3);
	CU_ASSERT_EQUAL(st.instantiations, 2);
	CU_ASSERT_EQUAL(st.peak_pages, 11);
	/* Freed instances still count. */
	kiln_instance_free(two);
	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &rt_basic, &st), KILN_OK);
	CU_ASSERT_EQUAL(st.live_instances, 1);
	CU_ASSERT_EQUAL(st.calls, 3);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_DIV_BY_ZERO], 1);
	CU_ASSERT_EQUAL(st.fuel_consumed, (2 + 5 * 10) + 3 + 2);
	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &rt_big, &st), KILN_ENOTFOUND);
	kiln_instance_free(one);
	kiln_engine_free(eng);
}

static void test_wall_time_is_counted(void)
{
	struct kiln_engine_config cfg = {.slots = 4, .resolve_import = rt_resolve};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst;
	struct kiln_stats st;
	struct kiln_err err;
	uint32_t ms = 30;

	for (int precise = 0; precise < 2; precise++) {
		cfg.precise_wall_time = precise;
		CU_ASSERT_EQUAL_FATAL(kiln_engine_new(&cfg, &eng, &err), KILN_OK);
		inst = rt_instance(eng, &rt_basic, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
		CU_ASSERT_EQUAL(rt_call_i32(inst, "sleep", 1, &ms, NULL, &err), KILN_OK);
		kiln_instance_stats(inst, &st);
		/* Ticks lag when the timer thread is starved of CPU. */
		CU_ASSERT(st.wall_ns >= (precise ? 30000000u : 10000000u));
		CU_ASSERT(st.wall_ns < 1000000000u);
		kiln_instance_free(inst);
		kiln_engine_free(eng);
	}
}

static void test_reset_restores_the_initial_state(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_err err;
	struct kiln_stats st;
	uint32_t out = 0, store[2] = {16, 0x11223344}, grow = 3;
	char buf[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "bump", 0, NULL, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "bump", 0, NULL, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 2);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "store", 2, store, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "grow", 1, &grow, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 4 * 65536);

	CU_ASSERT_EQUAL(kiln_instance_reset(inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "bump", 0, NULL, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 1);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 65536);
	CU_ASSERT_EQUAL(kiln_instance_memory_read(inst, 16, buf, 4, &err), KILN_OK);
	CU_ASSERT_NSTRING_EQUAL(buf, "kiln", 4);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.instantiations, 2);
	CU_ASSERT_EQUAL(st.calls, 5);
	CU_ASSERT_EQUAL(st.peak_pages, 4);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_import_resolution(void)
{
	struct kiln_engine_config cfg = {.slots = 4};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst = NULL;
	struct kiln_err err;

	CU_ASSERT_EQUAL_FATAL(kiln_engine_new(&cfg, &eng, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_basic, NULL, &inst, &err), KILN_ELINK);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"env\""));
	/* Modules that import only "kiln" need no resolver. */
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_small, NULL, &inst, &err), KILN_OK);
	kiln_instance_free(inst);
	kiln_engine_free(eng);

	eng = rt_engine(4);
	rt_lib_instance = NULL;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_user, NULL, &inst, &err), KILN_ELINK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no module lib here"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "user"));
	kiln_engine_free(eng);
}

static void test_descriptor_checks(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_module_desc old = kiln_module_small;
	struct kiln_extension ext = {.name = "old", .module = &old};
	struct kiln_instance *inst = NULL;
	struct kiln_err err;

	struct kiln_export_desc swapped[3];
	struct kiln_module_desc unsorted = kiln_module_small;
	struct kiln_extension bad = {.name = "unsorted", .module = &unsorted};

	old.abi_version = KILN_ABI_VERSION + 1;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext, NULL, &inst, &err), KILN_EVERSION);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ABI"));
	CU_ASSERT_EQUAL(kiln_instance_new(eng, NULL, NULL, &inst, &err), KILN_EINVAL);
	/* Exports out of order would be unreachable by name. */
	CU_ASSERT_EQUAL_FATAL(kiln_module_small.nexports, 3);
	memcpy(swapped, kiln_module_small.exports, sizeof swapped);
	swapped[0] = kiln_module_small.exports[1];
	swapped[1] = kiln_module_small.exports[0];
	unsorted.exports = swapped;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &bad, NULL, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not sorted"));
	CU_ASSERT_PTR_NULL(inst);
	kiln_engine_free(eng);
}

/* names.wast exports "" and "\0\1\2...": names that differ only after a
 * NUL byte, told apart by their lengths (kiln_export_desc.name_len). */
static void test_export_names_holding_nul_bytes(void)
{
	struct kiln_engine *eng = rt_engine(4);
	const struct kiln_export_desc *small = kiln_module_small.exports;
	struct kiln_export_desc ex[4];
	struct kiln_module_desc desc = kiln_module_small;
	struct kiln_extension ext = {.name = "nul", .module = &desc};
	struct kiln_extension dup = {.name = "dup", .module = &desc};
	struct kiln_instance *inst = NULL;
	struct kiln_val arg = {KILN_I32, {.i32 = 0}}, res;
	struct kiln_err err;

	/* byte order, shorter first: "" < "\0" < "\0a" < "nop" */
	ex[0] = small[0], ex[0].name = "", ex[0].name_len = 0;          /* nop */
	ex[1] = small[1], ex[1].name = "\0", ex[1].name_len = 1;        /* peek */
	ex[2] = small[2], ex[2].name = "\0a", ex[2].name_len = 2;       /* poke */
	ex[3] = small[0], ex[3].name_len = 0;                           /* nop */
	desc.exports = ex;
	desc.nexports = 4;
	CU_ASSERT_EQUAL_FATAL(kiln_instance_new(eng, &ext, NULL, &inst, &err), KILN_OK);
	CU_ASSERT_PTR_EQUAL(kiln_instance_export_n(inst, "", 0), &ex[0]);
	CU_ASSERT_PTR_EQUAL(kiln_instance_export_n(inst, "\0", 1), &ex[1]);
	CU_ASSERT_PTR_EQUAL(kiln_instance_export_n(inst, "\0a", 2), &ex[2]);
	CU_ASSERT_PTR_NULL(kiln_instance_export_n(inst, "\0b", 2));
	CU_ASSERT_PTR_NULL(kiln_instance_export_n(inst, "\0a\0", 3));
	/* a C string reaches only the NUL-free names */
	CU_ASSERT_PTR_EQUAL(kiln_instance_export(inst, ""), &ex[0]);
	CU_ASSERT_PTR_EQUAL(kiln_instance_export(inst, "nop"), &ex[3]);
	/* calls by name: "" is nop (0 results), never "\0" (peek) */
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "", NULL, 0, NULL, 0, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "", &arg, 1, &res, 1, &err), KILN_ETYPE);
	CU_ASSERT_EQUAL(kiln_instance_invoke(inst, &ex[1], &arg, 1, &res, 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "", NULL, 0, NULL, 0, &err), KILN_OK);
	kiln_instance_free(inst);

	/* names equal up to their lengths are duplicates: refused */
	ex[1].name = "\0a";
	ex[1].name_len = 2;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &dup, NULL, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not sorted"));
	kiln_engine_free(eng);
}

/* linking.wast: an instantiation that traps after its element segments
 * stored its functions in an imported table.  The runtime freed the failed
 * instance, and calls through the table ran on freed memory (here: read
 * the memory of a reset slot, 0, and a freed global). */
static void test_failed_instantiation_keeps_linked_functions(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *lib = rt_instance(eng, &rt_lib, NULL), *p = NULL;
	struct kiln_stats st;
	struct kiln_err err;
	uint32_t one = 1, out = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(lib);
	rt_lib_instance = lib;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_partial, NULL, &p, &err), KILN_ETRAP);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(kiln_trap_last(NULL), KILN_TRAP_UNREACHABLE);
	/* lib's table holds the failed instance's $f: it runs with its own
	 * global, memory and fuel counter, which draws on lib's call */
	for (int i = 0; i < 3; i++) {
		out = 0;
		CU_ASSERT_EQUAL(rt_call_i32(lib, "call_at", 1, &one, &out, &err), KILN_OK);
		CU_ASSERT_EQUAL(out, 44);
		CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(lib), 2 + 3);
	}
	/* a trap of its extension, not a live instance */
	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &rt_partial, &st), KILN_OK);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_UNREACHABLE], 1);
	CU_ASSERT_EQUAL(st.live_instances, 0);
	rt_lib_instance = NULL;
	kiln_instance_free(lib);
	kiln_engine_free(eng); /* and the failed instance with it */
}

static void test_host_functions_and_reentry(void)
{
	struct kiln_engine *eng = rt_engine(8);
	struct kiln_instance *one = rt_instance(eng, &rt_basic, NULL);
	struct kiln_instance *two = rt_instance(eng, &rt_basic, NULL);
	struct kiln_err err;
	struct kiln_stats st;
	uint32_t x = 41, out = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	CU_ASSERT_PTR_NOT_NULL_FATAL(two);
	CU_ASSERT_PTR_NULL(kiln_instance_current());
	CU_ASSERT_EQUAL(rt_call_i32(one, "call_host", 1, &x, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 42);
	CU_ASSERT_PTR_EQUAL(rt_seen_current, one);
	CU_ASSERT_PTR_NULL(kiln_instance_current());

	/* wasm -> host -> another instance, and -> the same instance. */
	rt_reenter_target = two;
	CU_ASSERT_EQUAL(rt_call_i32(one, "reenter", 1, &x, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_reenter_status, KILN_OK);
	CU_ASSERT_EQUAL(out, 42);
	rt_reenter_target = one;
	CU_ASSERT_EQUAL(rt_call_i32(one, "reenter", 1, &x, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_reenter_status, KILN_OK);
	CU_ASSERT_EQUAL(out, 42);
	/* A trap in the inner call is the host function's to handle; the
	 * outer call goes on. */
	x = 0;
	CU_ASSERT_EQUAL(rt_call_i32(one, "reenter", 1, &x, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_reenter_status, KILN_ETRAP);
	CU_ASSERT_EQUAL(out, 0);
	CU_ASSERT_EQUAL(kiln_instance_trap(one, NULL), KILN_TRAP_NONE);
	kiln_instance_stats(one, &st);
	CU_ASSERT_EQUAL(st.calls, 6); /* 4 from the host, 2 re-entered */
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_UNREACHABLE], 1);
	x = 5;
	CU_ASSERT_EQUAL(rt_call_i32(one, "inc", 1, &x, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 6);
	kiln_instance_free(one);
	kiln_instance_free(two);
	kiln_engine_free(eng);
}

static void test_instance_user_and_extension(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_small, NULL);
	int token;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_PTR_NULL(kiln_instance_user(inst));
	kiln_instance_set_user(inst, &token);
	CU_ASSERT_PTR_EQUAL(kiln_instance_user(inst), &token);
	CU_ASSERT_PTR_EQUAL(kiln_instance_extension(inst), &rt_small);
	CU_ASSERT_PTR_NOT_NULL(kiln_instance_module(inst));
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_trap_kind_names(void)
{
	for (int k = 0; k < KILN_TRAP_KIND_COUNT; k++) {
		CU_ASSERT_PTR_NOT_NULL(kiln_trap_kind_name((enum kiln_trap_kind)k));
		for (int j = 0; j < k; j++)
			CU_ASSERT_STRING_NOT_EQUAL(kiln_trap_kind_name((enum kiln_trap_kind)k),
						   kiln_trap_kind_name((enum kiln_trap_kind)j));
	}
	CU_ASSERT_STRING_EQUAL(kiln_trap_kind_name(KILN_TRAP_FUEL), "fuel exhausted");
	CU_ASSERT_STRING_EQUAL(kiln_trap_kind_name(KILN_TRAP_KIND_COUNT), "unknown trap");
	CU_ASSERT_STRING_EQUAL(kiln_trap_kind_name((enum kiln_trap_kind)-1), "unknown trap");
}

void kiln_test_runtime(void)
{
	CU_pSuite s = CU_add_suite("runtime", NULL, NULL);
	CU_add_test(s, "engine defaults and bad config", test_engine_defaults_and_bad_config);
	CU_add_test(s, "engine refuses a signal in use", test_engine_refuses_a_signal_in_use);
	CU_add_test(s, "calls with every value type", test_calls_with_every_value_type);
	CU_add_test(s, "call type errors", test_call_type_errors);
	CU_add_test(s, "export handles", test_export_handles);
	CU_add_test(s, "memory accessors", test_memory_accessors);
	CU_add_test(s, "stats per instance and extension", test_stats_per_instance_and_extension);
	CU_add_test(s, "wall time is counted", test_wall_time_is_counted);
	CU_add_test(s, "reset restores the initial state", test_reset_restores_the_initial_state);
	CU_add_test(s, "import resolution", test_import_resolution);
	CU_add_test(s, "descriptor checks", test_descriptor_checks);
	CU_add_test(s, "export names holding NUL bytes", test_export_names_holding_nul_bytes);
	CU_add_test(s, "failed instantiation keeps functions a linked table holds",
		    test_failed_instantiation_keeps_linked_functions);
	CU_add_test(s, "host functions and re-entry", test_host_functions_and_reentry);
	CU_add_test(s, "instance user data and extension", test_instance_user_and_extension);
	CU_add_test(s, "trap kind names", test_trap_kind_names);
}
