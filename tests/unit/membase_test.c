/*
 * Tests for compiler/membase.c: wasm2c's loads and stores through a base
 * pointer held in a local.  Table-driven: text in the shapes wasm2c 1.0.32
 * prints, and the text expected back.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "unit.h"

#define TYPE "Z_m_instance_t"

static const char header_defined[] = "typedef struct Z_m_instance_t {\n"
				     "  struct Z_kiln_instance_t* Z_kiln_instance;\n"
				     "  u64 w2c___kiln_fuel;\n"
				     "  wasm_rt_memory_t w2c_memory;\n"
				     "  wasm_rt_funcref_table_t w2c_T0;\n"
				     "} Z_m_instance_t;\n";

static const char header_imported[] = "typedef struct Z_m_instance_t {\n"
				      "  struct Z_env_instance_t* Z_env_instance;\n"
				      "  wasm_rt_memory_t* w2c_env_memory;\n"
				      "} Z_m_instance_t;\n";

static const char header_two[] = "typedef struct Z_m_instance_t {\n"
				 "  wasm_rt_memory_t* w2c_env_memory;\n"
				 "  wasm_rt_memory_t w2c_memory;\n"
				 "} Z_m_instance_t;\n";

static const char header_none[] = "typedef struct Z_m_instance_t {\n"
				  "  u64 w2c___kiln_fuel;\n"
				  "} Z_m_instance_t;\n";

/* Rewrite @src against @header; NULL when nothing was rewritten. */
static char *rewrite(const char *src, const char *header, unsigned *count)
{
	char *out = NULL;
	size_t len = 0;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_membase_rewrite(src, strlen(src), header, strlen(header), TYPE, &out,
					     &len, count, &err),
			KILN_OK);
	if (out != NULL)
		CU_ASSERT_EQUAL(strlen(out), len);
	return out;
}

static void test_defined_memory(void)
{
	static const char src[] =
		"static u32 w2c_f(Z_m_instance_t* instance, u32 w2c_p0, u64 w2c_p1) {\n"
		"  u32 w2c_i0, w2c_i1;\n"
		"  w2c_i0 = i32_load(&instance->w2c_memory, (u64)(w2c_p0));\n"
		"  i64_store32(&instance->w2c_memory, (u64)(w2c_i0) + 4, w2c_p1);\n"
		"  w2c_i1 = i32_load8_u(&instance->w2c_memory, (u64)(w2c_i0)) + "
		"f64_load(&instance->w2c_memory, 8u);\n"
		"  w2c_i1 = wasm_rt_grow_memory(&instance->w2c_memory, w2c_i1);\n"
		"  memory_fill(&instance->w2c_memory, w2c_i0, 0, w2c_i1);\n"
		"  w2c_i1 = instance->w2c_memory.pages;\n"
		"  if (w2c_i0) {\n"
		"    i32_store(&instance->w2c_memory, (u64)(w2c_i0), w2c_i1);\n"
		"  }\n"
		"  return w2c_i0;\n"
		"}\n"
		"\n"
		"static void init_memories(Z_m_instance_t* instance) {\n"
		"  wasm_rt_allocate_memory(&instance->w2c_memory, 1, 65536);\n"
		"}\n";
	static const char want[] =
		"static u32 w2c_f(Z_m_instance_t* instance, u32 w2c_p0, u64 w2c_p1) {\n"
		"  u8* const kiln_mem = instance->w2c_memory.data;\n"
		"  u32 w2c_i0, w2c_i1;\n"
		"  w2c_i0 = kiln_i32_load(kiln_mem, (u64)(w2c_p0));\n"
		"  kiln_i64_store32(kiln_mem, (u64)(w2c_i0) + 4, w2c_p1);\n"
		"  w2c_i1 = kiln_i32_load8_u(kiln_mem, (u64)(w2c_i0)) + "
		"kiln_f64_load(kiln_mem, 8u);\n"
		"  w2c_i1 = wasm_rt_grow_memory(&instance->w2c_memory, w2c_i1);\n"
		"  memory_fill(&instance->w2c_memory, w2c_i0, 0, w2c_i1);\n"
		"  w2c_i1 = instance->w2c_memory.pages;\n"
		"  if (w2c_i0) {\n"
		"    kiln_i32_store(kiln_mem, (u64)(w2c_i0), w2c_i1);\n"
		"  }\n"
		"  return w2c_i0;\n"
		"}\n"
		"\n"
		"static void init_memories(Z_m_instance_t* instance) {\n"
		"  u8* const kiln_mem = instance->w2c_memory.data;\n"
		"  wasm_rt_allocate_memory(&instance->w2c_memory, 1, 65536);\n"
		"}\n";
	unsigned count = 0;
	char *out = rewrite(src, header_defined, &count);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(count, 5);
	free(out);
}

static void test_imported_memory(void)
{
	static const char src[] = "u64 Z_mZ_get(Z_m_instance_t* instance, u32 w2c_p0) {\n"
				  "  return i64_load(instance->w2c_env_memory, (u64)(w2c_p0));\n"
				  "}\n";
	static const char want[] = "u64 Z_mZ_get(Z_m_instance_t* instance, u32 w2c_p0) {\n"
				   "  u8* const kiln_mem = instance->w2c_env_memory->data;\n"
				   "  return kiln_i64_load(kiln_mem, (u64)(w2c_p0));\n"
				   "}\n";
	unsigned count = 0;
	char *out = rewrite(src, header_imported, &count);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(count, 1);
	free(out);
}

/* Nothing to do: no memory, two memories, or no access in a function. */
static void test_left_alone(void)
{
	static const char src[] =
		"static u32 w2c_f(Z_m_instance_t* instance, u32 w2c_p0) {\n"
		"  return i32_load(&instance->w2c_memory, (u64)(w2c_p0));\n"
		"}\n";
	static const char no_access[] = "static u32 w2c_f(Z_m_instance_t* instance, u32 w2c_p0) {\n"
					"  return w2c_p0;\n"
					"}\n";
	unsigned count = 7;
	CU_ASSERT_PTR_NULL(rewrite(src, header_none, &count));
	CU_ASSERT_EQUAL(count, 0);
	CU_ASSERT_PTR_NULL(rewrite(src, header_two, &count));
	CU_ASSERT_PTR_NULL(rewrite(no_access, header_defined, &count));
	CU_ASSERT_EQUAL(count, 0);
}

/* Only calls of wasm2c's accessors on the memory, only inside functions
 * taking the instance. */
static void test_only_accessors(void)
{
	static const char src[] =
		"static inline u32 i32_load(wasm_rt_memory_t* mem, u64 addr) {\n"
		"  return 0;\n"
		"}\n"
		"#define X(m) xi32_load(&instance->w2c_memory, 0)\n"
		"static void helper(Z_other_instance_t* instance) {\n"
		"  i32_load(&instance->w2c_memory, 1u);\n"
		"}\n"
		"static void w2c_g(Z_m_instance_t* instance) {\n"
		"  w2c_i0 = my_i32_load(&instance->w2c_memory, 1u) + i32_load(&instance->w2c_memoryX, 2u);\n"
		"  w2c_i0 = i32_load (&instance->w2c_memory, 3u);\n"
		"  w2c_i0 = i64_load32_s(&instance->w2c_memory, 4u);\n"
		"}\n";
	static const char want_body[] =
		"static void w2c_g(Z_m_instance_t* instance) {\n"
		"  u8* const kiln_mem = instance->w2c_memory.data;\n"
		"  w2c_i0 = my_i32_load(&instance->w2c_memory, 1u) + i32_load(&instance->w2c_memoryX, 2u);\n"
		"  w2c_i0 = i32_load (&instance->w2c_memory, 3u);\n"
		"  w2c_i0 = kiln_i64_load32_s(kiln_mem, 4u);\n"
		"}\n";
	unsigned count = 0;
	char *out = rewrite(src, header_defined, &count);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(count, 1);
	/* everything before w2c_g is as it was */
	CU_ASSERT_EQUAL(strncmp(out, src, strstr(src, "static void w2c_g") - src), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want_body));
	free(out);
}

void kiln_test_membase(void)
{
	CU_pSuite s = CU_add_suite("membase", NULL, NULL);
	CU_add_test(s, "defined memory", test_defined_memory);
	CU_add_test(s, "imported memory", test_imported_memory);
	CU_add_test(s, "no memory, two memories, no access", test_left_alone);
	CU_add_test(s, "only wasm2c's accessors, only in functions", test_only_accessors);
}
