/*
 * Tests for fuel (runtime/fuel.c and the budgets in instance.c): exact
 * consumption, per-instance and per-call budgets, the instantiation budget
 * given lazily to the start function, and fuel shared by linked instances.
 * The fixtures are instrumented by hand, so every charge is known.
 */
#include <string.h>

#include <CUnit/CUnit.h>

#include "rt_support.h"
#include "unit.h"

static void test_consumption_is_exact(void)
{
	struct kiln_engine *eng = rt_engine(4);
	const struct kiln_grants g = {.fuel_per_call = 1000};
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, &g);
	struct kiln_err err;
	uint32_t n = 100, out = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT(kiln_instance_fuel_metered(inst));
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), 1000);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "burn", 1, &n, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 100);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(inst), 2 + 5 * 100);
	CU_ASSERT_EQUAL(kiln_instance_fuel_remaining(inst), 1000 - 502);
	/* The budget is per call: the same call again succeeds. */
	CU_ASSERT_EQUAL(rt_call_i32(inst, "burn", 1, &n, &out, &err), KILN_OK);
	/* 2 + 5 * 199 = 997 fits; 2 + 5 * 200 = 1002 does not. */
	n = 199;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "burn", 1, &n, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel_remaining(inst), 3);
	n = 200;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "burn", 1, &n, &out, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_FUEL);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(inst), 1000);
	CU_ASSERT_EQUAL(kiln_instance_fuel_remaining(inst), 0);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_budget_per_instance_and_per_call(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, NULL);
	struct kiln_stats st;
	struct kiln_err err;
	uint32_t n = 100;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), KILN_DEFAULT_FUEL_PER_CALL);
	kiln_instance_set_fuel(inst, 500);
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), 500);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "burn", 1, &n, NULL, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_FUEL);
	kiln_instance_set_fuel(inst, 502);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "burn", 1, &n, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel_remaining(inst), 0);
	kiln_instance_set_fuel(inst, 0); /* back to the grant */
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), KILN_DEFAULT_FUEL_PER_CALL);
	kiln_instance_set_fuel(inst, KILN_UNLIMITED);
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), KILN_FUEL_MAX);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "burn", 1, &n, NULL, &err), KILN_OK);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.fuel_consumed, 500 + 502 + 502);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_unmetered_module(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &rt_spin[0], NULL);
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_FALSE(kiln_instance_fuel_metered(inst));
	kiln_instance_set_fuel(inst, 10);
	CU_ASSERT_EQUAL(kiln_instance_call(inst, "nop", NULL, 0, NULL, 0, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(inst), 0);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_start_function_budget(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_grants g = {.fuel_instantiate = 1003};
	struct kiln_instance *inst = NULL;
	struct kiln_stats st;
	struct kiln_err err;
	uint32_t ran = 0;
	int code;

	/* Mode 3 spends exactly 1003 in the start function. */
	rt_start_mode = 3;
	CU_ASSERT_EQUAL_FATAL(kiln_instance_new(eng, &rt_starter, &g, &inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(inst), 1003);
	CU_ASSERT_EQUAL(kiln_instance_fuel_remaining(inst), 0);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "ran", 0, NULL, &ran, &err), KILN_OK);
	CU_ASSERT_EQUAL(ran, 1);
	kiln_instance_free(inst);

	g.fuel_instantiate = 1002;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_starter, &g, &inst, &err), KILN_ETRAP);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_EQUAL(kiln_trap_last(&code), KILN_TRAP_FUEL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(instantiation)"));

	rt_start_mode = 2; /* forever */
	g.fuel_instantiate = 100000;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_starter, &g, &inst, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_trap_last(NULL), KILN_TRAP_FUEL);
	rt_start_mode = 1; /* unreachable */
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &rt_starter, &g, &inst, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_trap_last(NULL), KILN_TRAP_UNREACHABLE);

	/* A reset runs the start function again, with the same budget, and
	 * a failing reset leaves the instance unusable until the next one. */
	rt_start_mode = 0;
	CU_ASSERT_EQUAL_FATAL(kiln_instance_new(eng, &rt_starter, &g, &inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(inst), 3);
	rt_start_mode = 1;
	CU_ASSERT_EQUAL(kiln_instance_reset(inst, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_UNREACHABLE);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "ran", 0, NULL, &ran, &err), KILN_ESTATE);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 0);
	rt_start_mode = 0;
	CU_ASSERT_EQUAL(kiln_instance_reset(inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "ran", 0, NULL, &ran, &err), KILN_OK);
	CU_ASSERT_EQUAL(ran, 1);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.instantiations, 2);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_UNREACHABLE], 1);
	kiln_instance_free(inst);

	/* Failed instantiations count in the extension's statistics. */
	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &rt_starter, &st), KILN_OK);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_FUEL], 2);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_UNREACHABLE], 2);
	CU_ASSERT_EQUAL(st.live_instances, 0);
	rt_start_mode = 0;
	kiln_engine_free(eng);
}

static void test_linked_instances_share_the_call_budget(void)
{
	struct kiln_engine *eng = rt_engine(4);
	const struct kiln_grants g = {.fuel_per_call = 1000};
	struct kiln_instance *lib = rt_instance(eng, &rt_lib, &g), *user;
	struct kiln_err err;
	uint32_t n = 99, out = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(lib);
	rt_lib_instance = lib;
	user = rt_instance(eng, &rt_user, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(user);

	/* run(n) = 2 in user + (2 + 10n) in lib. */
	CU_ASSERT_EQUAL(rt_call_i32(user, "run", 1, &n, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 99);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(user), 4 + 990);
	CU_ASSERT_EQUAL(kiln_instance_fuel_remaining(user), 6);
	n = 100;
	CU_ASSERT_EQUAL(rt_call_i32(user, "run", 1, &n, &out, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(user, NULL), KILN_TRAP_FUEL);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(user), 1000);
	/* Fuel goes back and forth: 3 + 2 * (2 + 10 * 40) = 807. */
	n = 40;
	CU_ASSERT_EQUAL(rt_call_i32(user, "run_twice", 1, &n, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(out, 80);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(user), 807);
	n = 50; /* 3 + 2 * 502 = 1007 */
	CU_ASSERT_EQUAL(rt_call_i32(user, "run_twice", 1, &n, &out, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(user, NULL), KILN_TRAP_FUEL);
	/* lib called directly has its own budget, whatever user left in it. */
	n = 99;
	CU_ASSERT_EQUAL(rt_call_i32(lib, "work", 1, &n, &out, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel_consumed(lib), 992);
	kiln_instance_free(user);
	kiln_instance_free(lib);
	rt_lib_instance = NULL;
	kiln_engine_free(eng);
}

void kiln_test_rt_fuel(void)
{
	CU_pSuite s = CU_add_suite("rt_fuel", NULL, NULL);
	CU_add_test(s, "consumption is exact", test_consumption_is_exact);
	CU_add_test(s, "budget per instance and per call", test_budget_per_instance_and_per_call);
	CU_add_test(s, "unmetered module", test_unmetered_module);
	CU_add_test(s, "start function budget", test_start_function_budget);
	CU_add_test(s, "linked instances share the call budget",
		    test_linked_instances_share_the_call_budget);
}
