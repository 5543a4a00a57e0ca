/*
 * Tests for compiler/inline_hint.c: functions of wasm2c 1.0.32's output
 * that call themselves are declared static inline; nothing else changes.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "rewrite_support.h"
#include "unit.h"

/* Rewrite @src; NULL when nothing was rewritten. */
static char *rewrite(const char *src, unsigned *count)
{
	return unit_rewrite(kiln_inline_rewrite, src, count);
}

/* A recursive function of each return type is hinted; its prototype, a
 * function calling another and one whose name only starts like a callee's
 * are not. */
static void test_recursive(void)
{
	static const char src[] =
	    "static struct wasm_multi_ij w2c_f4(Z_m_instance_t*, u32, u64);\n"
	    "static struct wasm_multi_ij w2c_f4(Z_m_instance_t* instance, u32 w2c_p0, u64 w2c_p1) "
	    "{\n"
	    "  if (w2c_p0) {\n"
	    "    struct wasm_multi_ij tmp = w2c_f4(instance, w2c_i0, w2c_j1);\n"
	    "  }\n"
	    "}\n"
	    "\n"
	    "static u32 w2c_f5(Z_m_instance_t* instance, u32 w2c_p0) {\n"
	    "  w2c_i0 = w2c_f4(instance, w2c_p0, 1);\n"
	    "  w2c_i0 = w2c_f55(instance, w2c_p0);\n"
	    "  w2c_i0 = xw2c_f5(instance, w2c_p0);\n"
	    "  w2c_i0 = w2c_f5;\n"
	    "}\n"
	    "static f64 w2c_fib(Z_m_instance_t* instance, f64 w2c_p0) {\n"
	    "  w2c_d0 = w2c_fib(instance, w2c_d0);\n"
	    "}\n"
	    "static void w2c_f7(Z_m_instance_t* instance) {\n"
	    "  w2c_f7(instance);\n"
	    "}\n";
	static const char want[] =
	    "static struct wasm_multi_ij w2c_f4(Z_m_instance_t*, u32, u64);\n"
	    "static inline struct wasm_multi_ij w2c_f4(Z_m_instance_t* instance, u32 w2c_p0, u64 "
	    "w2c_p1) {\n"
	    "  if (w2c_p0) {\n"
	    "    struct wasm_multi_ij tmp = w2c_f4(instance, w2c_i0, w2c_j1);\n"
	    "  }\n"
	    "}\n"
	    "\n"
	    "static u32 w2c_f5(Z_m_instance_t* instance, u32 w2c_p0) {\n"
	    "  w2c_i0 = w2c_f4(instance, w2c_p0, 1);\n"
	    "  w2c_i0 = w2c_f55(instance, w2c_p0);\n"
	    "  w2c_i0 = xw2c_f5(instance, w2c_p0);\n"
	    "  w2c_i0 = w2c_f5;\n"
	    "}\n"
	    "static inline f64 w2c_fib(Z_m_instance_t* instance, f64 w2c_p0) {\n"
	    "  w2c_d0 = w2c_fib(instance, w2c_d0);\n"
	    "}\n"
	    "static inline void w2c_f7(Z_m_instance_t* instance) {\n"
	    "  w2c_f7(instance);\n"
	    "}\n";
	unit_rewrite_expect(kiln_inline_rewrite, src, want, 3);
}

/* A call of itself after the function's end is not its own; text that is
 * not a definition of wasm2c's is left alone; a definition without a body
 * (truncated text) too. */
static void test_left_alone(void)
{
	static const char *const texts[] = {
	    "static u32 w2c_f1(Z_m_instance_t* instance) {\n  return 1;\n}\n"
	    "static u32 w2c_f2(Z_m_instance_t* instance) {\n  return w2c_f1(instance);\n}\n",
	    "static inline u32 w2c_f1(Z_m_instance_t* instance) {\n  w2c_f1(instance);\n}\n",
	    "static int w2c_f1(Z_m_instance_t* instance) {\n  w2c_f1(instance);\n}\n",
	    "static u32 I32_CLZ(u32 x) {\n  I32_CLZ(x);\n}\n",
	    "static u32 w2c_f1(Z_m_instance_t* instance) {\n  w2c_f1(instance);\n",
	    "static u32 w2c_f1(Z_m_instance_t* instance) {",
	    "",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		unsigned count = 7;
		char *out = rewrite(texts[i], &count);
		CU_ASSERT_PTR_NULL(out);
		CU_ASSERT_EQUAL(count, 0);
		free(out);
	}
}

void kiln_test_inline_hint(void)
{
	CU_pSuite s = CU_add_suite("inline_hint", NULL, NULL);
	CU_add_test(s, "functions that call themselves", test_recursive);
	CU_add_test(s, "anything else is left alone", test_left_alone);
}
