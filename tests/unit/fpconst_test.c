/*
 * Tests for compiler/fpconst.c: the float values clang could fold into an
 * operation that must quiet a signalling NaN, as wasm2c 1.0.32 prints them,
 * passed through KILN_FPIN.  Table-driven: a line and the line expected back
 * (NULL: left alone).  check-spec-clang runs the spec suite's float_exprs
 * tests against the result.
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
	return unit_rewrite(kiln_fpconst_rewrite, src, count);
}

static const struct {
	const char *in, *want;
} lines[] = {
    /* literals of value 0, -0, 1, -1 in wasm2c's spellings */
    {"  w2c_f1 = 0;", "  w2c_f1 = 0; KILN_FPIN(w2c_f1);"},
    {"  w2c_f1 = -1;", "  w2c_f1 = -1; KILN_FPIN(w2c_f1);"},
    {"    w2c_f0 = -0.f;", "    w2c_f0 = -0.f; KILN_FPIN(w2c_f0);"},
    {"  w2c_d1 = 1;", "  w2c_d1 = 1; KILN_FPIN(w2c_d1);"},
    {"  w2c_d12 = -0.0;", "  w2c_d12 = -0.0; KILN_FPIN(w2c_d12);"},
    {"  w2c_f3 = 1.f;", "  w2c_f3 = 1.f; KILN_FPIN(w2c_f3);"},
    /* values from bits, conversions, promote and demote */
    {"  w2c_d1 = f64_reinterpret_i64(w2c_j1);",
     "  w2c_d1 = f64_reinterpret_i64(w2c_j1); KILN_FPIN(w2c_d1);"},
    {"  w2c_f1 = f32_reinterpret_i32(0x7fa00000) /* nan:0x200000 */;",
     "  w2c_f1 = f32_reinterpret_i32(0x7fa00000) /* nan:0x200000 */; KILN_FPIN(w2c_f1);"},
    {"  w2c_d1 = (f64)(s32)(w2c_i1);", "  w2c_d1 = (f64)(s32)(w2c_i1); KILN_FPIN(w2c_d1);"},
    {"  w2c_d0 = (f64)(w2c_f0);", "  w2c_d0 = (f64)(w2c_f0); KILN_FPIN(w2c_d0);"},
    {"  w2c_f0 = (f32)(w2c_d0);", "  w2c_f0 = (f32)(w2c_d0); KILN_FPIN(w2c_f0);"},
    /* float locals start at 0 */
    {"  f64 w2c_l2 = 0, w2c_l13 = 0;",
     "  f64 w2c_l2 = 0, w2c_l13 = 0; KILN_FPIN(w2c_l2); KILN_FPIN(w2c_l13);"},
    {"  f32 w2c_l1 = 0;", "  f32 w2c_l1 = 0; KILN_FPIN(w2c_l1);"},
    /* left alone: other literals, integers, operations, other shapes */
    {"  w2c_d2 = 2.2204460492503131e-16;", NULL},
    {"  w2c_d2 = 10;", NULL},
    {"  w2c_f1 = INFINITY;", NULL},
    {"  w2c_f1 = 0.5;", NULL},
    {"  w2c_f1 = 1e300;", NULL},
    {"  w2c_i1 = 1u;", NULL},
    {"  w2c_j1 = 0ull;", NULL},
    {"  w2c_d1 *= w2c_d2;", NULL},
    {"  w2c_d0 = w2c_p0;", NULL},
    {"  w2c_f0 = 0", NULL},
    {"  w2c_f = 0;", NULL},
    {"  f32 w2c_f0, w2c_f1;", NULL},
    {"  u32 w2c_l2 = 0, w2c_l3 = 0;", NULL},
    {"  f64 w2c_l2 = 0, w2c_l3 = 1;", NULL},
    {"  f64 w2c_l2 = 0, w2c_l3 = 0", NULL},
    {"static f32 w2c_f0(Z_t_instance_t* instance, f32 w2c_p0) {", NULL},
    {"", NULL},
};

static void test_lines(void)
{
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		unsigned count = 7;
		char *out = rewrite(lines[i].in, &count);
		if (lines[i].want == NULL) {
			CU_ASSERT_PTR_NULL(out);
			CU_ASSERT_EQUAL(count, 0);
			if (out != NULL)
				fprintf(stderr, "\nline %zu rewritten: %s\n", i, out);
		} else {
			CU_ASSERT_PTR_NOT_NULL(out);
			CU_ASSERT(out != NULL && strcmp(out, lines[i].want) == 0);
			CU_ASSERT_EQUAL(count, strstr(lines[i].in, ",") != NULL &&
						       strstr(lines[i].in, "w2c_l") != NULL
						   ? 2
						   : 1);
			if (out != NULL && strcmp(out, lines[i].want) != 0)
				fprintf(stderr, "\nline %zu: got %s\n", i, out);
		}
		free(out);
	}
}

/* Several lines: newlines kept (a last line without one too), the count
 * summed, the lines between untouched. */
static void test_text(void)
{
	static const char src[] = "  f64 w2c_l2 = 0;\n"
				  "  w2c_d0 = w2c_p0;\n"
				  "  w2c_d1 = 1;\n"
				  "  w2c_d0 *= w2c_d1;\n"
				  "\n"
				  "  w2c_f1 = -0.f;";
	static const char want[] = "  f64 w2c_l2 = 0; KILN_FPIN(w2c_l2);\n"
				   "  w2c_d0 = w2c_p0;\n"
				   "  w2c_d1 = 1; KILN_FPIN(w2c_d1);\n"
				   "  w2c_d0 *= w2c_d1;\n"
				   "\n"
				   "  w2c_f1 = -0.f; KILN_FPIN(w2c_f1);";
	unit_rewrite_expect(kiln_fpconst_rewrite, src, want, 3);
}

/* A function with many float locals: every one is hidden. */
static void test_many_locals(void)
{
	char src[4096] = "  f64 w2c_l0 = 0", want[8192];
	size_t n = strlen(src), w;
	for (int i = 1; i < 200; i++)
		n += (size_t)snprintf(src + n, sizeof src - n, ", w2c_l%d = 0", i);
	snprintf(src + n, sizeof src - n, ";");
	w = (size_t)snprintf(want, sizeof want, "%s", src);
	for (int i = 0; i < 200; i++)
		w += (size_t)snprintf(want + w, sizeof want - w, " KILN_FPIN(w2c_l%d);", i);
	unit_rewrite_expect(kiln_fpconst_rewrite, src, want, 200);
}

void kiln_test_fpconst(void)
{
	CU_pSuite s = CU_add_suite("fpconst", NULL, NULL);
	CU_add_test(s, "each shape of line", test_lines);
	CU_add_test(s, "a text of several lines", test_text);
	CU_add_test(s, "every one of 200 float locals", test_many_locals);
}
