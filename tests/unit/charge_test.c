/*
 * Tests for compiler/charge.c: the fuel pass's charges, as wasm2c 1.0.32
 * prints them, handed to the glue's KILN_CHARGE.  Table-driven: text in
 * wasm2c's shapes and the text expected back.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "rewrite_support.h"
#include "unit.h"

/* A charge of @cost against w2c_p1 at two spaces of indentation, with the
 * temporaries w2c_j0, w2c_j1, w2c_i0 (what wasm2c prints at stack height 0). */
#define CHARGE(ind, var, cost, a, b, x)                                                           \
	ind a " = " var ";\n" ind b " = " cost "ull;\n" ind a " -= " b ";\n" ind var " = " a       \
	    ";\n" ind b " = 0ull;\n" ind x " = (u64)((s64)" a " < (s64)" b ");\n" ind "if (" x     \
	    ") {\n" ind "  " a " = " var ";\n" ind                                                  \
	    "  (*Z_kilnZ_fuel_trap)(instance->Z_kiln_instance, " a ");\n" ind "}\n"

/* Rewrite @src; NULL when nothing was rewritten. */
static char *rewrite(const char *src, unsigned *count)
{
	return unit_rewrite(kiln_charge_rewrite, src, count);
}

/* The entry charge, one in a loop at another stack height, the code around
 * them untouched. */
static void test_charges(void)
{
	static const char src[] =
		"static u32 w2c_f(Z_m_instance_t* instance, u32 w2c_p0, u64 w2c_p1) {\n"
		"  u32 w2c_i0, w2c_i1;\n"
		"  u64 w2c_j0, w2c_j1, w2c_j2;\n" CHARGE("  ", "w2c_p1", "11", "w2c_j0", "w2c_j1",
							 "w2c_i0") "  w2c_l2: ;\n"
		"  w2c_j0 = w2c_p1;\n"
		"  while (1) {\n" CHARGE("    ", "w2c_p1", "133", "w2c_j1", "w2c_j2",
					 "w2c_i1") "    w2c_i0 = w2c_p0;\n"
		"    if (w2c_i0) {continue;}\n"
		"  }\n"
		"  return w2c_i0;\n"
		"}\n";
	static const char want[] =
		"static u32 w2c_f(Z_m_instance_t* instance, u32 w2c_p0, u64 w2c_p1) {\n"
		"  u32 w2c_i0, w2c_i1;\n"
		"  u64 w2c_j0, w2c_j1, w2c_j2;\n"
		"  KILN_CHARGE(w2c_p1, 11ull, KILN_CHARGE_TRAP, 0);\n"
		"  w2c_l2: ;\n"
		"  w2c_j0 = w2c_p1;\n"
		"  while (1) {\n"
		"    KILN_CHARGE(w2c_p1, 133ull, KILN_CHARGE_TRAP, 0);\n"
		"    w2c_i0 = w2c_p0;\n"
		"    if (w2c_i0) {continue;}\n"
		"  }\n"
		"  return w2c_i0;\n"
		"}\n";
	unit_rewrite_expect(kiln_charge_rewrite, src, want, 2);
}

/* A charge as the text's last lines, without a final newline. */
static void test_at_end(void)
{
	static const char src[] = "x;\n" CHARGE("  ", "w2c_l5", "7", "w2c_j0", "w2c_j1", "w2c_i0");
	char *text = malloc(sizeof src);
	unsigned count = 0;
	char *out;
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memcpy(text, src, sizeof src);
	text[strlen(text) - 1] = '\0'; /* drop the last newline */
	out = rewrite(text, &count);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(
		out, "x;\n  KILN_CHARGE(w2c_l5, 7ull, KILN_CHARGE_TRAP, 0);");
	CU_ASSERT_EQUAL(count, 1);
	free(out);
	free(text);
}

/* A charge whose trap is not the fuel pass's kiln.fuel_trap through the
 * instance keeps its own trap and context. */
static void test_other_trap(void)
{
	static const char src[] = "  w2c_j0 = w2c_p1;\n"
				  "  w2c_j1 = 3ull;\n"
				  "  w2c_j0 -= w2c_j1;\n"
				  "  w2c_p1 = w2c_j0;\n"
				  "  w2c_j1 = 0ull;\n"
				  "  w2c_i0 = (u64)((s64)w2c_j0 < (s64)w2c_j1);\n"
				  "  if (w2c_i0) {\n"
				  "    w2c_j0 = w2c_p1;\n"
				  "    (*Z_otherZ_trap)(instance->Z_other_instance, w2c_j0);\n"
				  "  }\n";
	unsigned count = 0;
	char *out = rewrite(src, &count);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(
		out, "  KILN_CHARGE(w2c_p1, 3ull, (*Z_otherZ_trap), instance->Z_other_instance);\n");
	CU_ASSERT_EQUAL(count, 1);
	free(out);
}

/* Anything that differs from a charge in one place is left as it is: a
 * different counter read back, a comparison other than < 0, the trap
 * called with something else than the counter, a cost that is not a
 * number, the same temporary twice, no indentation; and text without
 * charges gives NULL. */
static void test_left_alone(void)
{
	static const char *const near[] = {
		CHARGE("  ", "w2c_p1", "11", "w2c_j0", "w2c_j1", "w2c_i0") "x",
		"  w2c_j0 = w2c_p1;\n  w2c_j1 = 11ull;\n  w2c_j0 -= w2c_j1;\n  w2c_p1 = w2c_j0;\n"
		"  w2c_j1 = 0ull;\n  w2c_i0 = (u64)((s64)w2c_j0 < (s64)w2c_j1);\n  if (w2c_i0) {\n"
		"    w2c_j0 = w2c_p2;\n    (*Z_kilnZ_fuel_trap)(instance->Z_kiln_instance, w2c_j0);\n"
		"  }\n",
		"  w2c_j0 = w2c_p1;\n  w2c_j1 = 11ull;\n  w2c_j0 -= w2c_j1;\n  w2c_p1 = w2c_j0;\n"
		"  w2c_j1 = 1ull;\n  w2c_i0 = (u64)((s64)w2c_j0 < (s64)w2c_j1);\n  if (w2c_i0) {\n"
		"    w2c_j0 = w2c_p1;\n    (*Z_kilnZ_fuel_trap)(instance->Z_kiln_instance, w2c_j0);\n"
		"  }\n",
		"  w2c_j0 = w2c_p1;\n  w2c_j1 = 11ull;\n  w2c_j0 -= w2c_j1;\n  w2c_p1 = w2c_j0;\n"
		"  w2c_j1 = 0ull;\n  w2c_i0 = (u64)((s64)w2c_j0 < (s64)w2c_j1);\n  if (w2c_i0) {\n"
		"    w2c_j0 = w2c_p1;\n    (*Z_kilnZ_other)(instance->Z_kiln_instance, w2c_j0 + 1);\n"
		"  }\n",
		CHARGE("  ", "w2c_p1", "x11", "w2c_j0", "w2c_j1", "w2c_i0"),
		CHARGE("  ", "w2c_p1", "11", "w2c_j0", "w2c_j0", "w2c_i0"),
		CHARGE("", "w2c_p1", "11", "w2c_j0", "w2c_j1", "w2c_i0"),
		"static void w2c_g(Z_m_instance_t* instance) {\n  return;\n}\n",
	};
	for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
		unsigned count = 7;
		char *out = rewrite(near[i], &count);
		if (i == 0) {
			/* the charge goes, the line after it stays */
			CU_ASSERT_PTR_NOT_NULL_FATAL(out);
			CU_ASSERT_EQUAL(count, 1);
			CU_ASSERT_PTR_NOT_NULL(strstr(out, "KILN_CHARGE(w2c_p1, 11ull,"));
			CU_ASSERT_EQUAL(strcmp(out + strlen(out) - 2, "\nx"), 0);
		} else {
			CU_ASSERT_PTR_NULL(out);
			CU_ASSERT_EQUAL(count, 0);
		}
		free(out);
	}
}

void kiln_test_charge(void)
{
	CU_pSuite s = CU_add_suite("charge", NULL, NULL);
	CU_add_test(s, "charges become KILN_CHARGE", test_charges);
	CU_add_test(s, "a charge at the end of the text", test_at_end);
	CU_add_test(s, "another trap keeps its own call", test_other_trap);
	CU_add_test(s, "anything else is left alone", test_left_alone);
}
