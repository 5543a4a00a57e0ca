/* Tests for compiler/mangle.c: wasm2c name mangling and type text. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "unit.h"

static void test_mangle_table(void)
{
	/* Expected forms checked against wasm2c 1.0.32's output. */
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{"add", 3, "add"},
		{"a-b", 3, "aZ2Db"},
		{"Z", 1, "Z5A"},
		{"Zed", 3, "Z5Aed"},
		{"z", 1, "z"},
		{"_", 1, "_"},
		{"__kiln_fuel", 11, "__kiln_fuel"},
		{"weird name-Z!", 13, "weirdZ20nameZ2DZ5AZ21"},
		{"a.b/c", 5, "aZ2EbZ2Fc"},
		{"caf\xc3\xa9", 5, "cafZC3ZA9"},
		{"a\0b", 3, "aZ00b"},
		{"\xff", 1, "ZFF"},
		{"", 0, ""},
		{"AYZ09", 5, "AYZ5A09"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL(kiln_mangle(f, (const uint8_t *)cases[i].in, cases[i].len), 0);
		fclose(f);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
		free(buf);
	}
}

static void test_functype_format(void)
{
	uint8_t t1[] = {KILN_WASM_I32, KILN_WASM_I64, KILN_WASM_F32, KILN_WASM_F64};
	uint8_t t2[] = {KILN_WASM_FUNCREF, KILN_WASM_EXTERNREF, 0x42};
	struct kiln_wasm_functype f1 = {2, 2, t1}, f2 = {0, 0, NULL}, f3 = {1, 2, t2};
	char buf[64], tiny[12];
	kiln_functype_format(&f1, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "(i32, i64) -> (f32, f64)");
	kiln_functype_format(&f2, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "() -> ()");
	kiln_functype_format(&f3, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "(funcref) -> (externref, 0x42)");
	kiln_functype_format(&f1, tiny, sizeof tiny);
	CU_ASSERT_EQUAL(strlen(tiny), sizeof tiny - 1);
	CU_ASSERT_STRING_EQUAL(tiny + sizeof tiny - 4, "...");
}

static void test_import_export_format(void)
{
	uint8_t t[] = {KILN_WASM_I32, KILN_WASM_I32};
	struct kiln_wasm_functype types[] = {{1, 1, t}, {0, 0, NULL}};
	struct kiln_wasm_import imps[4];
	struct kiln_wasm_limits mems[1] = {{2, 0, false}};
	struct kiln_wasm_tabletype tabs[1] = {{KILN_WASM_EXTERNREF, {3, 7, true}}};
	struct kiln_wasm_global globs[1];
	uint32_t funcs[1] = {1};
	struct kiln_wasm_export e;
	struct kiln_wasm_module m;
	char buf[80];

	memset(imps, 0, sizeof imps);
	memset(globs, 0, sizeof globs);
	imps[0].kind = KILN_WASM_KIND_FUNC;
	imps[0].desc.type_index = 0;
	imps[1].kind = KILN_WASM_KIND_GLOBAL;
	imps[1].desc.global.valtype = KILN_WASM_I64;
	imps[1].desc.global.mut = true;
	imps[2].kind = KILN_WASM_KIND_MEMORY;
	imps[2].desc.memory = (struct kiln_wasm_limits){1, 16, true};
	imps[3].kind = KILN_WASM_KIND_TABLE;
	imps[3].desc.table = (struct kiln_wasm_tabletype){KILN_WASM_FUNCREF, {2, 0, false}};
	globs[0].type.valtype = KILN_WASM_F64;

	memset(&m, 0, sizeof m);
	m.types = types;
	m.ntypes = 2;
	m.imports = imps;
	m.nimports = 4;
	m.nimported_funcs = m.nimported_globals = m.nimported_mems = m.nimported_tables = 1;
	m.funcs = funcs;
	m.nfuncs = 1;
	m.mems = mems;
	m.nmems = 1;
	m.tables = tabs;
	m.ntables = 1;
	m.globals = globs;
	m.nglobals = 1;

	kiln_import_type_format(&m, &imps[0], buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "(i32) -> (i32)");
	kiln_import_type_format(&m, &imps[1], buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "mut i64");
	kiln_import_type_format(&m, &imps[2], buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "1..16 pages");
	kiln_import_type_format(&m, &imps[3], buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "funcref 2..");

	memset(&e, 0, sizeof e);
	e.kind = KILN_WASM_KIND_FUNC;
	e.index = 0; /* the imported function */
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "(i32) -> (i32)");
	e.index = 1; /* the defined one */
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "() -> ()");
	e.index = 2;
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "?");
	e.kind = KILN_WASM_KIND_GLOBAL;
	e.index = 0;
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "mut i64");
	e.index = 1;
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "f64");
	e.kind = KILN_WASM_KIND_MEMORY;
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "2.. pages");
	e.kind = KILN_WASM_KIND_TABLE;
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "externref 3..7");
	e.index = 5;
	kiln_export_type_format(&m, &e, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "?");
	CU_ASSERT_STRING_EQUAL(kiln_kind_name(KILN_WASM_KIND_GLOBAL), "global");
	CU_ASSERT_PTR_NULL(kiln_valtype_name(0x01));
}

static void test_escape_and_sanitize(void)
{
	static const struct {
		const char *in;
		size_t len, size;
		const char *out;
	} cases[] = {
		{"plain", 5, 32, "plain"},
		{"\x1b[31mred", 8, 32, "\\x1b[31mred"},
		{"a\\b", 3, 32, "a\\x5cb"},
		{"nul\0x", 5, 32, "nul\\x00x"},
		{"caf\xc3\xa9", 5, 32, "caf\xc3\xa9"},
		{"\x7f", 1, 32, "\\x7f"},
		{"abcdefghij", 10, 8, "abcd..."},
		{"\n\n\n\n", 4, 8, "\\x0a..."},
		{"", 0, 4, ""},
	};
	char buf[32], msg[] = "export \"\x1b[2J\n\x7f\"";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		kiln_escape((const uint8_t *)cases[i].in, cases[i].len, buf, cases[i].size);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
		if (strcmp(buf, cases[i].out) != 0)
			fprintf(stderr, "\n  case %zu: got [%s]\n", i, buf);
		CU_ASSERT(strlen(buf) < cases[i].size);
	}
	kiln_sanitize(msg);
	CU_ASSERT_STRING_EQUAL(msg, "export \"?[2J??\"");
}

void kiln_test_mangle(void)
{
	CU_pSuite s = CU_add_suite("mangle", NULL, NULL);
	CU_add_test(s, "mangle_table", test_mangle_table);
	CU_add_test(s, "functype_format", test_functype_format);
	CU_add_test(s, "import_export_format", test_import_export_format);
	CU_add_test(s, "escape_and_sanitize", test_escape_and_sanitize);
}
