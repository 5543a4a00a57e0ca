/*
 * Tests for runtime/memory.c and tables: growth against the module's
 * maximum, the grant's cap and the 65536-page limit; slots reset and reused;
 * pool exhaustion; 10,000 live instances; instantiate/free cycles with flat
 * virtual and resident size; memories and tables the host makes itself.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <wasm-rt.h>

#include "rt_support.h"
#include "unit.h"

#define PAGE 65536u

static uint32_t grow(struct kiln_instance *inst, uint32_t delta)
{
	uint32_t out = 0;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "grow", 1, &delta, &out, NULL), KILN_OK);
	return out;
}

static void test_grow_limits(void)
{
	struct kiln_engine *eng = rt_engine(4);
	const struct kiln_grants unlimited = {.memory_cap_bytes = KILN_UNLIMITED};
	const struct kiln_grants three = {.memory_cap_bytes = 200000}; /* 3 pages */
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_stats st;
	struct kiln_err err;
	uint32_t store[2] = {0, 0x5a5a5a5a}, out = 0;

	/* Default cap: 64 MiB = 1024 pages. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(grow(inst, 0), 1);
	CU_ASSERT_EQUAL(grow(inst, 1023), 1);
	CU_ASSERT_EQUAL(grow(inst, 1), UINT32_MAX);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 1024ull * PAGE);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.peak_pages, 1024);
	kiln_instance_free(inst);

	inst = rt_instance(eng, &rt_basic, &three);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(grow(inst, 3), UINT32_MAX);
	CU_ASSERT_EQUAL(grow(inst, 2), 1);
	CU_ASSERT_EQUAL(grow(inst, 1), UINT32_MAX);
	kiln_instance_free(inst);

	/* No cap: 65535 pages, and never 65536 (its size would not fit). */
	inst = rt_instance(eng, &rt_basic, &unlimited);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(grow(inst, 65535), UINT32_MAX);
	CU_ASSERT_EQUAL(grow(inst, 65534), 1);
	CU_ASSERT_EQUAL(grow(inst, 1), UINT32_MAX);
	CU_ASSERT_EQUAL(grow(inst, 0), 65535);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 65535ull * PAGE);
	store[0] = 65535u * PAGE - 4;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "store", 2, store, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "load", 1, store, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 0x5a5a5a5a);
	store[0] = 65535u * PAGE - 3;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "load", 1, store, &out, &err), KILN_ETRAP);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_initial_memory_above_the_cap(void)
{
	struct kiln_engine *eng = rt_engine(4);
	const struct kiln_grants small_cap = {.memory_cap_bytes = 64 * PAGE};
	const struct kiln_grants enough = {.memory_cap_bytes = 100 * PAGE};
	struct kiln_instance *inst = NULL;
	struct kiln_stats st;
	struct kiln_err err;

	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_big, &small_cap, &inst, &err), KILN_EMEMCAP);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "100 pages"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cap of 64 pages"));
	CU_ASSERT_EQUAL(kiln_trap_last(NULL), KILN_TRAP_NONE);
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_big, &enough, &inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 100ull * PAGE);
	kiln_instance_free(inst);
	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &rt_big, &st), KILN_OK);
	CU_ASSERT_EQUAL(st.instantiations, 1);
	CU_ASSERT_EQUAL(st.live_instances, 0);
	kiln_engine_free(eng);
}

static void test_reused_slot_is_zeroed(void)
{
	struct kiln_engine *eng = rt_engine(1);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_err err;
	uint32_t a[2] = {1000, 0xfeedf00d}, b[2] = {5 * PAGE + 8, 0xcafe}, out = 1;
	char buf[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "store", 2, a, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(grow(inst, 5), 1);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "store", 2, b, NULL, &err), KILN_OK);
	kiln_instance_free(inst);

	/* Same (only) slot, smaller memory: the old pages are gone. */
	inst = rt_instance(eng, &rt_basic, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "load", 1, a, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 0);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "load", 1, b, &out, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(grow(inst, 5), 1);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "load", 1, b, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 0);
	CU_ASSERT_EQUAL(kiln_instance_memory_read(inst, 16, buf, 4, &err), KILN_OK);
	CU_ASSERT_NSTRING_EQUAL(buf, "kiln", 4);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_pool_exhaustion(void)
{
	struct kiln_engine *eng = rt_engine(3);
	struct kiln_instance *inst[3], *extra = NULL, *nomem = NULL;
	struct kiln_err err;

	for (int i = 0; i < 3; i++) {
		inst[i] = rt_instance(eng, &rt_small, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(inst[i]);
	}
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_small, NULL, &extra, &err), KILN_ENOSLOT);
	CU_ASSERT_PTR_NULL(extra);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "all 3 memory slots"));
	/* A module without memory needs no slot. */
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_spin[0], NULL, &nomem, &err), KILN_OK);
	kiln_instance_free(nomem);
	kiln_instance_free(inst[1]);
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_small, NULL, &extra, &err), KILN_OK);
	kiln_instance_free(extra);
	kiln_instance_free(inst[0]);
	kiln_instance_free(inst[2]);
	kiln_engine_free(eng);
}

static void test_failed_instantiation_returns_its_slot(void)
{
	struct kiln_engine *eng = rt_engine(1);
	struct kiln_instance *inst = NULL;
	struct kiln_err err;

	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_bad_data, NULL, &inst, &err),
				KILN_ETRAP);
		CU_ASSERT_EQUAL(kiln_trap_last(NULL), KILN_TRAP_OUT_OF_BOUNDS);
	}
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_small, NULL, &inst, &err), KILN_OK);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

#define LIVE 10000

static void test_ten_thousand_live_instances(void)
{
	static struct kiln_instance *inst[LIVE];
	struct kiln_engine *eng = rt_engine(LIVE);
	struct kiln_err err;
	int made = 0, good = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(eng);
	for (; made < LIVE; made++)
		if (kiln_instance_new(eng, &rt_small, NULL, &inst[made], &err) != KILN_OK)
			break;
	CU_ASSERT_EQUAL(made, LIVE);
	if (made < LIVE)
		fprintf(stderr, "\n  instance %d: %s\n", made, err.msg);
	for (int i = 0; i < made; i++) {
		uint32_t poke[2] = {100, (uint32_t)i & 0xff}, zero = 0, h = 0, back = 0;
		if (rt_call_i32(inst[i], "peek", 1, &zero, &h, NULL) == KILN_OK && h == 'h' &&
		    rt_call_i32(inst[i], "poke", 2, poke, NULL, NULL) == KILN_OK &&
		    rt_call_i32(inst[i], "peek", 1, poke, &back, NULL) == KILN_OK &&
		    back == ((uint32_t)i & 0xff))
			good++;
	}
	CU_ASSERT_EQUAL(good, made);
	for (int i = 0; i < made; i++)
		kiln_instance_free(inst[i]);
	kiln_engine_free(eng);
}

#define WARMUP 2000
#define CYCLES 50000

static void test_cycles_keep_vsz_and_rss_flat(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst;
	uint64_t rss0, vsz0, rss1, vsz1;
	int failures = 0;

	for (int i = 0; i < WARMUP + CYCLES; i++) {
		if (i == WARMUP)
			rt_mem_usage(&rss0, &vsz0);
		if (kiln_instance_new(eng, &rt_small, NULL, &inst, NULL) != KILN_OK) {
			failures++;
			continue;
		}
		kiln_instance_free(inst);
	}
	rt_mem_usage(&rss1, &vsz1);
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT(vsz1 <= vsz0 + 1024);
	/* ASan keeps freed blocks in quarantine: RSS grows by design there. */
	if (!UNDER_ASAN)
		CU_ASSERT(rss1 <= rss0 + 1024);
	if (vsz1 > vsz0 + 1024 || (!UNDER_ASAN && rss1 > rss0 + 1024))
		fprintf(stderr, "\n  VSZ %llu -> %llu KiB, RSS %llu -> %llu KiB\n",
			(unsigned long long)vsz0, (unsigned long long)vsz1,
			(unsigned long long)rss0, (unsigned long long)rss1);
	kiln_engine_free(eng);
}

static void test_host_made_memory_and_tables(void)
{
	struct kiln_engine *eng = rt_engine(2);
	wasm_rt_memory_t mem;
	wasm_rt_funcref_table_t table;
	wasm_rt_funcref_t f = {7, (wasm_rt_function_ptr_t)test_host_made_memory_and_tables, NULL};
	uint32_t t1, t2, t3;

	wasm_rt_allocate_memory(&mem, 1, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem.data);
	CU_ASSERT_EQUAL(mem.size, PAGE);
	mem.data[PAGE - 1] = 9;
	CU_ASSERT_EQUAL(wasm_rt_grow_memory(&mem, 1), 1);
	CU_ASSERT_EQUAL(mem.size, 2 * PAGE);
	mem.data[2 * PAGE - 1] = 9;
	CU_ASSERT_EQUAL(wasm_rt_grow_memory(&mem, 1), UINT32_MAX);
	CU_ASSERT_EQUAL(mem.pages, 2);
	wasm_rt_free_memory(&mem);
	CU_ASSERT_PTR_NULL(mem.data);
	wasm_rt_free_memory(&mem); /* harmless */

	wasm_rt_allocate_funcref_table(&table, 2, 5);
	CU_ASSERT_EQUAL(table.size, 2);
	CU_ASSERT_PTR_NULL(table.data[1].func);
	CU_ASSERT_EQUAL(wasm_rt_grow_funcref_table(&table, 3, f), 2);
	CU_ASSERT_EQUAL(table.size, 5);
	CU_ASSERT_EQUAL(table.data[4].func_type, 7);
	CU_ASSERT_EQUAL(wasm_rt_grow_funcref_table(&table, 1, f), UINT32_MAX);
	CU_ASSERT_EQUAL(wasm_rt_grow_funcref_table(&table, 0, f), 5);
	wasm_rt_free_funcref_table(&table);

	t1 = wasm_rt_register_func_type(2, 1, WASM_RT_I32, WASM_RT_F64, WASM_RT_I64);
	t2 = wasm_rt_register_func_type(2, 1, WASM_RT_I32, WASM_RT_F64, WASM_RT_I64);
	t3 = wasm_rt_register_func_type(1, 2, WASM_RT_I32, WASM_RT_F64, WASM_RT_I64);
	CU_ASSERT(t1 != 0);
	CU_ASSERT_EQUAL(t1, t2);
	CU_ASSERT(t3 != t1 && t3 != 0);
	kiln_engine_free(eng);
}

void kiln_test_memory(void)
{
	CU_pSuite s = CU_add_suite("memory", NULL, NULL);
	CU_add_test(s, "grow limits", test_grow_limits);
	CU_add_test(s, "initial memory above the cap", test_initial_memory_above_the_cap);
	CU_add_test(s, "reused slot is zeroed", test_reused_slot_is_zeroed);
	CU_add_test(s, "pool exhaustion", test_pool_exhaustion);
	CU_add_test(s, "failed instantiation returns its slot",
		    test_failed_instantiation_returns_its_slot);
	CU_add_test(s, "10,000 live instances", test_ten_thousand_live_instances);
	CU_add_test(s, "instantiate/free cycles keep VSZ and RSS flat",
		    test_cycles_keep_vsz_and_rss_flat);
	CU_add_test(s, "host-made memory and tables", test_host_made_memory_and_tables);
}
