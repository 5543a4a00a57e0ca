/*
 * Tests for runtime/registry.c: kiln_extension_find/_count/_at over a
 * registry defined here the way the generated kiln_registry.c defines one
 * (the unit binary is a "host" with two baked extensions), instances taking
 * the baked grants by default and the host's when it overrides them, and
 * stdio routed to the engine's log outside any call.
 */
#include <string.h>

#include <CUnit/CUnit.h>

#include "kiln_rt.h"
#include "rt_support.h"
#include "unit.h"

static const struct kiln_grants tiny_fuel = {.fuel_per_call = 100};
static const struct kiln_grants capped = {.memory_cap_bytes = 2 * 65536, .fuel_per_call = 5000};

static const struct kiln_extension baked[] = {
	{.name = "small", .module = &kiln_module_small, .reference = "oci-layout:l:small@sha256:00",
	 .manifest_digest = "sha256:00", .wasm_digest = "sha256:11", .grants = &tiny_fuel},
	{.name = "small_capped", .module = &kiln_module_small, .grants = &capped},
};

/* What kiln bake generates, for this test binary. */
const struct kiln_registry kiln_registry = {KILN_REGISTRY_VERSION, baked, 2};

static void test_find(void)
{
	struct kiln_engine *eng = rt_engine(4);
	CU_ASSERT_EQUAL(kiln_extension_count(eng), 2);
	CU_ASSERT_PTR_EQUAL(kiln_extension_find(eng, "small"), &baked[0]);
	CU_ASSERT_PTR_EQUAL(kiln_extension_find(eng, "small_capped"), &baked[1]);
	CU_ASSERT_PTR_NULL(kiln_extension_find(eng, "smal"));
	CU_ASSERT_PTR_NULL(kiln_extension_find(eng, "small_cappedx"));
	CU_ASSERT_PTR_NULL(kiln_extension_find(eng, ""));
	CU_ASSERT_PTR_NULL(kiln_extension_find(eng, NULL));
	CU_ASSERT_PTR_EQUAL(kiln_extension_at(eng, 0), &baked[0]);
	CU_ASSERT_PTR_EQUAL(kiln_extension_at(eng, 1), &baked[1]);
	CU_ASSERT_PTR_NULL(kiln_extension_at(eng, 2));
	CU_ASSERT_PTR_NULL(kiln_extension_at(eng, (size_t)-1));
	kiln_engine_free(eng);
}

/* Baked grants are the defaults; grants passed in code win. */
static void test_grants(void)
{
	struct kiln_engine *eng = rt_engine(4);
	const struct kiln_extension *ext = kiln_extension_find(eng, "small");
	struct kiln_instance *inst = NULL;
	struct kiln_grants g;
	struct kiln_err err = {0, ""};

	CU_ASSERT_PTR_NOT_NULL_FATAL(ext);
	CU_ASSERT_EQUAL_FATAL(kiln_instance_new(eng, ext, NULL, &inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), 100);
	kiln_instance_free(inst);
	g = *ext->grants;
	g.fuel_per_call = 12345;
	CU_ASSERT_EQUAL_FATAL(kiln_instance_new(eng, ext, &g, &inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), 12345);
	kiln_instance_free(inst);
	/* the second entry: same module, its own grants */
	ext = kiln_extension_find(eng, "small_capped");
	CU_ASSERT_EQUAL_FATAL(kiln_instance_new(eng, ext, NULL, &inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_instance_fuel(inst), 5000);
	CU_ASSERT_EQUAL(kiln_instance_memory_size(inst), 65536);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static int logged;
static void count_log(void *user, enum kiln_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	(void)msg;
	logged++;
}

/* Outside a guest call there is no instance, hence no engine to log to:
 * nothing happens, nothing crashes. */
static void test_log_outside_call(void)
{
	struct kiln_engine_config c = {.log = count_log};
	struct kiln_engine *eng;
	struct kiln_err err;
	CU_ASSERT_EQUAL_FATAL(kiln_engine_new(&c, &eng, &err), KILN_OK);
	logged = 0;
	kiln_wasi_log_to_engine(NULL, "small", 1, "a\nb\n", 4);
	kiln_wasi_log_to_engine(NULL, "small", 2, "", 0);
	CU_ASSERT_EQUAL(logged, 0);
	kiln_engine_free(eng);
}

void kiln_test_registry(void)
{
	CU_pSuite s = CU_add_suite("registry", NULL, NULL);
	CU_add_test(s, "find, count, at", test_find);
	CU_add_test(s, "baked grants by default, overridden in code", test_grants);
	CU_add_test(s, "stdio log routing outside a call", test_log_outside_call);
}
