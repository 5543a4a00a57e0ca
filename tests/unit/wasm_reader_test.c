/*
 * Tests for compiler/wasm_reader.c: a real module decoded field by field,
 * then hostile inputs, table-driven: each must fail with the right status
 * and a message naming the input and the byte offset, never crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "kiln_compiler.h"
#include "tests/slurp.h"
#include "unit.h"
#include "wasm_impl.h"

#define FIXTURES "build/fixtures/wasm"
#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00
/* type 0: [] -> [] */
#define TYPE_V 0x01, 0x04, 0x01, 0x60, 0x00, 0x00
/* one function of type 0 */
#define FUNC_1 0x03, 0x02, 0x01, 0x00
/* one memory, min 1 page */
#define MEM_1 0x05, 0x03, 0x01, 0x00, 0x01
/* a code section holding one body of @n bytes (n < 126) */
#define CODE_1(n) 0x0a, (uint8_t)((n) + 2), 0x01, (uint8_t)(n)
#define U32_MAX_LEB 0xff, 0xff, 0xff, 0xff, 0x0f

struct bad_case {
	const char *name;
	const uint8_t *bytes;
	size_t len;
	int code;
	const char *expect;    /* substring of the message */
	const char *expect_at; /* "offset 0x..", or NULL */
};

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static const struct bad_case bad_cases[] = {
	{"empty file", (const uint8_t *)"", 0, KILN_EMALFORMED, "magic header not detected",
	 "offset 0x0"},
	{"wrong magic", BYTES(0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00), KILN_EMALFORMED,
	 "found 00 61 73 6e", "offset 0x0"},
	{"ELF file", BYTES(0x7f, 'E', 'L', 'F', 2, 1, 1, 0), KILN_EMALFORMED,
	 "magic header not detected", "offset 0x0"},
	{"wrong version", BYTES(0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00), KILN_EMALFORMED,
	 "unknown binary version: expected 01 00 00 00, found 02 00 00 00", "offset 0x4"},
	{"component", BYTES(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00), KILN_EUNSUPPORTED,
	 "component", "offset 0x4"},
	{"truncated version", BYTES(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00), KILN_EMALFORMED,
	 "expected the 4-byte binary version", "offset 0x4"},
	{"section size past end", BYTES(HDR, 0x01, 0x10, 0x01), KILN_EMALFORMED,
	 "declares 16 bytes but only 1 are left", "offset 0x8"},
	{"overlong section size", BYTES(HDR, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
	 KILN_EMALFORMED, "integer representation too long", "offset 0x9"},
	{"overflowing section size", BYTES(HDR, 0x01, 0xff, 0xff, 0xff, 0xff, 0x1f),
	 KILN_EMALFORMED, "integer too large", "offset 0x9"},
	{"overlong type count", BYTES(HDR, 0x01, 0x07, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 0x60),
	 KILN_EMALFORMED, "integer representation too long", "offset 0xa"},
	{"overflowing i32.const",
	 BYTES(HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0xff, 0xff, 0xff, 0xff, 0x4f, 0x0b),
	 KILN_EMALFORMED, "integer too large", "offset 0xe"},
	{"overflowing i64.const",
	 BYTES(HDR, 0x06, 0x0e, 0x01, 0x7e, 0x00, 0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	       0xff, 0xff, 0x02, 0x0b),
	 KILN_EMALFORMED, "integer too large", "offset 0xe"},
	{"absurd type count", BYTES(HDR, 0x01, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 types need at least", "offset 0xa"},
	{"absurd import count", BYTES(HDR, 0x02, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 imports", "offset 0xa"},
	{"absurd function count", BYTES(HDR, 0x03, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 functions", "offset 0xa"},
	{"absurd table count", BYTES(HDR, 0x04, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 tables", "offset 0xa"},
	{"absurd global count", BYTES(HDR, 0x06, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 globals", "offset 0xa"},
	{"absurd export count", BYTES(HDR, 0x07, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 exports", "offset 0xa"},
	{"absurd element count", BYTES(HDR, 0x09, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 element segments", "offset 0xa"},
	{"absurd data count", BYTES(HDR, 0x0b, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 data segments", "offset 0xa"},
	{"absurd body count", BYTES(HDR, 0x0a, 0x05, U32_MAX_LEB), KILN_EMALFORMED,
	 "4294967295 function bodies", "offset 0xa"},
	{"absurd parameter count", BYTES(HDR, 0x01, 0x07, 0x01, 0x60, U32_MAX_LEB),
	 KILN_EMALFORMED, "4294967295 parameter types", "offset 0xc"},
	{"absurd locals", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(8), 0x01, U32_MAX_LEB, 0x7f, 0x0b),
	 KILN_ELIMIT, "too many locals", "offset 0x17"},
	{"locals summed over groups",
	 BYTES(HDR, TYPE_V, FUNC_1, CODE_1(10), 0x02, 0xb0, 0xea, 0x01, 0x7f, 0xb0, 0xea, 0x01,
	       0x7f, 0x0b),
	 KILN_ELIMIT, "too many locals: 60000 exceed", "offset 0x1b"},
	{"absurd local groups", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(6), U32_MAX_LEB, 0x0b),
	 KILN_EMALFORMED, "4294967295 local declaration groups", "offset 0x16"},
	{"absurd br_table", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(10), 0x00, 0x41, 0x00, 0x0e,
				  U32_MAX_LEB, 0x0b),
	 KILN_EMALFORMED, "4294967295 br_table labels", "offset 0x1a"},
	{"absurd element items",
	 BYTES(HDR, TYPE_V, FUNC_1, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x09, 0x0a, 0x01, 0x00,
	       0x41, 0x00, 0x0b, U32_MAX_LEB),
	 KILN_EMALFORMED, "4294967295 element segment items", "offset 0x1f"},
	{"absurd name length", BYTES(HDR, 0x00, 0x06, U32_MAX_LEB, 'x'), KILN_EMALFORMED,
	 "length out of bounds", "offset 0xa"},
	{"absurd data length",
	 BYTES(HDR, MEM_1, 0x0b, 0x0a, 0x01, 0x00, 0x41, 0x00, 0x0b, U32_MAX_LEB), KILN_EMALFORMED,
	 "data segment 0 of 4294967295 bytes", "offset 0x14"},
	{"duplicate section", BYTES(HDR, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00), KILN_EMALFORMED,
	 "duplicate section 1 (type)", "offset 0xb"},
	{"misordered sections", BYTES(HDR, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00), KILN_EMALFORMED,
	 "section 1 (type) must come before section 3 (function)", "offset 0xb"},
	{"datacount after code", BYTES(HDR, 0x0a, 0x01, 0x00, 0x0c, 0x01, 0x00), KILN_EMALFORMED,
	 "section 12 (datacount) must come before section 10 (code)", "offset 0xb"},
	{"data before datacount", BYTES(HDR, 0x0b, 0x01, 0x00, 0x0c, 0x01, 0x00), KILN_EMALFORMED,
	 "must come before section 11 (data)", "offset 0xb"},
	{"unknown section id", BYTES(HDR, 0x0e, 0x00), KILN_EMALFORMED, "malformed section id",
	 "offset 0x8"},
	{"section size mismatch", BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00),
	 KILN_EMALFORMED, "section size mismatch", "offset 0xe"},
	{"function without code", BYTES(HDR, TYPE_V, FUNC_1), KILN_EMALFORMED,
	 "function and code section have inconsistent lengths", NULL},
	{"code without function", BYTES(HDR, TYPE_V, CODE_1(2), 0x00, 0x0b), KILN_EMALFORMED,
	 "function and code section have inconsistent lengths", "offset 0x10"},
	{"datacount mismatch", BYTES(HDR, 0x0c, 0x01, 0x02, 0x0b, 0x01, 0x00), KILN_EMALFORMED,
	 "data count and data section have inconsistent lengths", "offset 0xd"},
	{"datacount without data", BYTES(HDR, 0x0c, 0x01, 0x01), KILN_EMALFORMED,
	 "data count and data section have inconsistent lengths", NULL},
	{"data.drop without datacount",
	 BYTES(HDR, TYPE_V, FUNC_1, MEM_1, CODE_1(5), 0x00, 0xfc, 0x09, 0x00, 0x0b),
	 KILN_EMALFORMED, "data count section required", "offset 0x1c"},
	{"empty data offset", BYTES(HDR, MEM_1, 0x0b, 0x04, 0x01, 0x00, 0x0b, 0x00), KILN_EINVALID,
	 "a data segment offset is empty", "offset 0x11"},
	{"empty element offset",
	 BYTES(HDR, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x09, 0x04, 0x01, 0x00, 0x0b, 0x00),
	 KILN_EINVALID, "an element segment offset is empty", "offset 0x12"},
	{"empty global initialiser", BYTES(HDR, 0x06, 0x04, 0x01, 0x7f, 0x00, 0x0b), KILN_EINVALID,
	 "a global's initialiser is empty", "offset 0xd"},
	{"two constants", BYTES(HDR, 0x06, 0x08, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b),
	 KILN_EINVALID, "expected end (0x0b) after one constant instruction", "offset 0xf"},
	{"extended const",
	 BYTES(HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b),
	 KILN_EUNSUPPORTED, "extended constant expressions", "offset 0xf"},
	{"non-constant instruction", BYTES(HDR, 0x06, 0x05, 0x01, 0x7f, 0x00, 0x01, 0x0b),
	 KILN_EINVALID, "found nop (0x01)", "offset 0xd"},
	{"SIMD in a const", BYTES(HDR, 0x06, 0x06, 0x01, 0x7f, 0x00, 0xfd, 0x0c, 0x0b),
	 KILN_EUNSUPPORTED, "v128.const", "offset 0xd"},
	{"shared memory", BYTES(HDR, 0x05, 0x04, 0x01, 0x03, 0x01, 0x02), KILN_EUNSUPPORTED,
	 "threads (atomics) shared memory is not supported by wasm2c 1.0.32", "offset 0xb"},
	{"memory64", BYTES(HDR, 0x05, 0x03, 0x01, 0x04, 0x01), KILN_EUNSUPPORTED, "memory64",
	 "offset 0xb"},
	{"multi-memory", BYTES(HDR, 0x05, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01), KILN_EUNSUPPORTED,
	 "multi-memory", "offset 0xd"},
	{"bad limits flags", BYTES(HDR, 0x05, 0x03, 0x01, 0x09, 0x01), KILN_EMALFORMED,
	 "malformed limits flags", "offset 0xb"},
	{"tag section", BYTES(HDR, 0x0d, 0x00), KILN_EUNSUPPORTED, "exception handling",
	 "offset 0x8"},
	{"GC array type", BYTES(HDR, 0x01, 0x04, 0x01, 0x5e, 0x7f, 0x01), KILN_EUNSUPPORTED,
	 "GC / typed function references", "offset 0xb"},
	{"v128 global", BYTES(HDR, 0x06, 0x06, 0x01, 0x7b, 0x00, 0x41, 0x00, 0x0b), KILN_EUNSUPPORTED,
	 "SIMD value type v128 (in a global type)", "offset 0xb"},
	{"try (exceptions)",
	 BYTES(HDR, TYPE_V, FUNC_1, CODE_1(6), 0x00, 0x06, 0x40, 0x0b, 0x0b, 0x0b),
	 KILN_EUNSUPPORTED, "exception handling instruction try (0x06)", "offset 0x17"},
	{"return_call (tail calls)",
	 BYTES(HDR, TYPE_V, FUNC_1, CODE_1(4), 0x00, 0x12, 0x00, 0x0b), KILN_EUNSUPPORTED,
	 "tail call instruction return_call (0x12)", "function 0, offset 0x17"},
	{"atomic load", BYTES(HDR, TYPE_V, FUNC_1, MEM_1, CODE_1(9), 0x00, 0x41, 0x00, 0xfe, 0x10,
			      0x02, 0x00, 0x1a, 0x0b),
	 KILN_EUNSUPPORTED, "threads (atomics) instruction i32.atomic.load (0xfe 0x10)",
	 "offset 0x1e"},
	{"GC prefix", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(4), 0x00, 0xfb, 0x01, 0x0b),
	 KILN_EUNSUPPORTED, "GC instruction 0xfb 0x01", "offset 0x17"},
	{"v128 local", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(4), 0x01, 0x01, 0x7b, 0x0b),
	 KILN_EUNSUPPORTED, "value type v128 (in a local type)", "function 0, offset 0x18"},
	{"bad UTF-8 export", BYTES(HDR, 0x07, 0x05, 0x01, 0x02, 0xc0, 0x80, 0x00),
	 KILN_EMALFORMED, "malformed UTF-8 encoding in an export name", "offset 0xc"},
	{"surrogate in import",
	 BYTES(HDR, 0x02, 0x0a, 0x01, 0x03, 0xed, 0xa0, 0x80, 0x01, 'x', 0x02, 0x00, 0x01),
	 KILN_EMALFORMED, "malformed UTF-8 encoding in an import module name", "offset 0xc"},
	{"bad UTF-8 custom name", BYTES(HDR, 0x00, 0x02, 0x01, 0xff), KILN_EMALFORMED,
	 "malformed UTF-8 encoding in a custom section name", "offset 0xb"},
	{"import kind", BYTES(HDR, 0x02, 0x05, 0x01, 0x00, 0x00, 0x05, 0x00), KILN_EMALFORMED,
	 "malformed import kind", "offset 0xd"},
	{"export kind", BYTES(HDR, 0x07, 0x04, 0x01, 0x00, 0x07, 0x00), KILN_EMALFORMED,
	 "malformed export kind", "offset 0xc"},
	{"mutability", BYTES(HDR, 0x06, 0x06, 0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b), KILN_EMALFORMED,
	 "malformed mutability", "offset 0xc"},
	{"value type", BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x40, 0x00), KILN_EMALFORMED,
	 "malformed value type", "offset 0xd"},
	{"element kind", BYTES(HDR, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00), KILN_EMALFORMED,
	 "malformed element kind", "offset 0xc"},
	{"element flags", BYTES(HDR, 0x09, 0x04, 0x01, 0x08, 0x00, 0x00), KILN_EMALFORMED,
	 "malformed elements segment kind", "offset 0xb"},
	{"data flags", BYTES(HDR, 0x0b, 0x03, 0x01, 0x03, 0x00), KILN_EMALFORMED,
	 "malformed data segment kind", "offset 0xb"},
	{"unknown type in function section", BYTES(HDR, TYPE_V, 0x03, 0x02, 0x01, 0x01),
	 KILN_EINVALID, "unknown type 1: expected an index below 1", "offset 0x11"},
	{"unknown function in call", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(4), 0x00, 0x10, 0x05, 0x0b),
	 KILN_EINVALID, "unknown function 5", "function 0, offset 0x18"},
	{"unknown local", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(5), 0x00, 0x20, 0x00, 0x1a, 0x0b),
	 KILN_EINVALID, "unknown local 0", "offset 0x18"},
	{"unknown global", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(5), 0x00, 0x23, 0x00, 0x1a, 0x0b),
	 KILN_EINVALID, "unknown global 0", "offset 0x18"},
	{"unknown label", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(4), 0x00, 0x0c, 0x01, 0x0b),
	 KILN_EINVALID, "unknown label 1: expected an index below 1", "offset 0x18"},
	{"unknown memory", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(5), 0x00, 0x3f, 0x00, 0x1a, 0x0b),
	 KILN_EINVALID, "unknown memory 0", "offset 0x18"},
	{"unknown table", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(7), 0x00, 0x41, 0x00, 0x11, 0x00, 0x00,
				0x0b),
	 KILN_EINVALID, "unknown table 0", "offset 0x1b"},
	{"unknown element segment",
	 BYTES(HDR, TYPE_V, FUNC_1, CODE_1(5), 0x00, 0xfc, 0x0d, 0x00, 0x0b), KILN_EINVALID,
	 "unknown element segment 0", "offset 0x19"},
	{"unknown block type", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(5), 0x00, 0x02, 0x01, 0x0b, 0x0b),
	 KILN_EINVALID, "unknown type 1", "offset 0x18"},
	{"malformed block type",
	 BYTES(HDR, TYPE_V, FUNC_1, CODE_1(5), 0x00, 0x02, 0x41, 0x0b, 0x0b), KILN_EMALFORMED,
	 "malformed block type", "offset 0x18"},
	{"unknown export index", BYTES(HDR, 0x07, 0x04, 0x01, 0x00, 0x00, 0x00), KILN_EINVALID,
	 "unknown function 0", "offset 0xd"},
	{"unknown start function", BYTES(HDR, 0x08, 0x01, 0x00), KILN_EINVALID,
	 "unknown function 0", "offset 0xa"},
	{"illegal opcode", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(3), 0x00, 0xff, 0x0b),
	 KILN_EMALFORMED, "illegal opcode 0xff", "offset 0x17"},
	{"illegal 0xfc opcode", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(4), 0x00, 0xfc, 0x20, 0x0b),
	 KILN_EMALFORMED, "illegal opcode 0xfc 0x20", "offset 0x17"},
	{"else without if", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(3), 0x00, 0x05, 0x0b),
	 KILN_EMALFORMED, "else (0x05) without a matching if", "offset 0x17"},
	{"bytes after the final end", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(3), 0x00, 0x0b, 0x01),
	 KILN_EMALFORMED, "the function body ends at offset 0x18", "offset 0x18"},
	{"body without end", BYTES(HDR, TYPE_V, FUNC_1, CODE_1(2), 0x00, 0x01), KILN_EMALFORMED,
	 "the body ends before its final end", "offset 0x18"},
	{"body past the section",
	 BYTES(HDR, TYPE_V, FUNC_1, 0x0a, 0x04, 0x01, 0x09, 0x00, 0x0b), KILN_EMALFORMED,
	 "function body of 9 bytes runs past the end of the code section", "offset 0x15"},
	{"memory byte not zero",
	 BYTES(HDR, TYPE_V, FUNC_1, MEM_1, CODE_1(5), 0x00, 0x3f, 0x01, 0x1a, 0x0b),
	 KILN_EMALFORMED, "zero byte expected", "offset 0x1d"},
	{"memory byte as long LEB",
	 BYTES(HDR, TYPE_V, FUNC_1, MEM_1, CODE_1(6), 0x00, 0x3f, 0x80, 0x00, 0x1a, 0x0b),
	 KILN_EMALFORMED, "zero byte expected", "offset 0x1d"},
	{"truncated f64.const",
	 BYTES(HDR, 0x06, 0x06, 0x01, 0x7c, 0x00, 0x44, 0x00, 0x00), KILN_EMALFORMED,
	 "expected an f64.const value, found the end of section 6 (global)", "offset 0xe"},
	{"truncated export name", BYTES(HDR, 0x07, 0x04, 0x01, 0x05, 'a', 'b'), KILN_EMALFORMED,
	 "an export name of 5 bytes, but 2 are left in section 7 (export)", "offset 0xb"},
};

static void check_bad(const struct bad_case *c)
{
	struct kiln_wasm_module *m = (struct kiln_wasm_module *)1;
	struct kiln_err err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = kiln_wasm_read(c->bytes, c->len, "bad.wasm", &m, &err);
	if (rc != c->code || strstr(err.msg, c->expect) == NULL ||
	    strncmp(err.msg, "bad.wasm: ", 10) != 0 ||
	    (c->expect_at != NULL && strstr(err.msg, c->expect_at) == NULL))
		fprintf(stderr, "\n  case \"%s\": status %d (want %d): %s\n", c->name, rc, c->code,
			err.msg);
	CU_ASSERT_EQUAL(rc, c->code);
	CU_ASSERT_EQUAL(err.code, c->code);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, c->expect));
	CU_ASSERT_EQUAL(strncmp(err.msg, "bad.wasm: ", 10), 0);
	if (c->expect_at != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, c->expect_at));
}

static void test_hostile_table(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
		check_bad(&bad_cases[i]);
}

/* The brief's own example: SIMD in the fourth function, exported as "dot". */
static void test_simd_message(void)
{
	static const uint8_t simd[] = {
		HDR,
		TYPE_V,
		0x03, 0x05, 0x04, 0x00, 0x00, 0x00, 0x00,
		MEM_1,
		0x07, 0x07, 0x01, 0x03, 'd', 'o', 't', 0x00, 0x03,
		0x0a, 0x14, 0x04,
		0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,
		0x09, 0x00, 0x41, 0x00, 0xfd, 0x00, 0x02, 0x00, 0x1a, 0x0b,
	};
	struct kiln_wasm_module *m;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_wasm_read(simd, sizeof simd, "simd.wasm", &m, &err),
			KILN_EUNSUPPORTED);
	CU_ASSERT_STRING_EQUAL(err.msg, "simd.wasm: function 3 (export \"dot\"), offset 0x33: "
					"SIMD instruction v128.load (0xfd 0x00) is not supported "
					"by wasm2c 1.0.32");
}

/* An export name with control bytes is escaped in the message. */
static void test_hostile_export_name(void)
{
	static const uint8_t mod[] = {
		HDR,
		TYPE_V,
		FUNC_1,
		0x07, 0x08, 0x01, 0x04, 0x1b, '[', '2', '\n', 0x00, 0x00,
		CODE_1(4), 0x00, 0xfd, 0x0c, 0x0b,
	};
	struct kiln_wasm_module *m;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_wasm_read(mod, sizeof mod, "esc.wasm", &m, &err), KILN_EUNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(export \"\\x1b[2\\x0a\")"));
	CU_ASSERT_PTR_NULL(strchr(err.msg, 0x1b));
	CU_ASSERT_PTR_NULL(strchr(err.msg, '\n'));
}

/* A v128 in a type is blamed on the first function that uses the type. */
static void test_simd_signature(void)
{
	static const uint8_t mod[] = {
		HDR,
		0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7b, 0x00,
		0x03, 0x03, 0x02, 0x00, 0x01,
		0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x01,
		0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,
	};
	struct kiln_wasm_module *m;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_wasm_read(mod, sizeof mod, "sig.wasm", &m, &err), KILN_EUNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "function 1 (export \"f\")"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "v128"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "offset 0x24"));
}

static void test_valid_edge_forms(void)
{
	/* padded (non-canonical) LEB128 within the limits is legal; empty
	 * sections, a datacount before code and customs anywhere too */
	static const uint8_t mod[] = {
		HDR,
		0x00, 0x04, 0x03, 'a', 'b', 'c',
		0x01, 0x05, 0x81, 0x00, 0x60, 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x05, 0x03, 0x01, 0x00, 0x01,
		0x0c, 0x01, 0x01,
		0x00, 0x02, 0x01, 'z',
		0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b,
		0x0b, 0x03, 0x01, 0x01, 0x00,
		0x07, 0x01, 0x00,
	};
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	/* an export section after data is misordered: cut it off first */
	CU_ASSERT_EQUAL(kiln_wasm_read(mod, sizeof mod, "ok.wasm", &m, &err), KILN_EMALFORMED);
	CU_ASSERT_EQUAL(kiln_wasm_read(mod, sizeof mod - 3, "ok.wasm", &m, &err), KILN_OK);
	if (m == NULL)
		return;
	CU_ASSERT_EQUAL(m->ntypes, 1);
	CU_ASSERT_EQUAL(m->ncustoms, 2);
	CU_ASSERT_EQUAL(m->customs[0].after, 0);
	CU_ASSERT_EQUAL(m->customs[0].name.len, 3);
	CU_ASSERT_EQUAL(m->customs[0].payload.len, 0);
	CU_ASSERT_EQUAL(m->customs[1].after, KILN_WASM_SEC_DATACOUNT);
	CU_ASSERT_EQUAL(m->customs[1].payload.len, 0);
	CU_ASSERT_TRUE(m->has_datacount);
	CU_ASSERT_EQUAL(m->datacount, 1);
	CU_ASSERT_EQUAL(m->ndatas, 1);
	CU_ASSERT_EQUAL(m->datas[0].mode, KILN_WASM_SEG_PASSIVE);
	CU_ASSERT_EQUAL(m->bodies[0].code.ninsns, 3);
	CU_ASSERT_EQUAL(m->bodies[0].code.insns[0].op, 0x41);
	CU_ASSERT_EQUAL(m->bodies[0].code.insns[0].imm.i64, 0);
	CU_ASSERT_EQUAL(m->bodies[0].offset, 0x29);
	CU_ASSERT_EQUAL(m->present, (1u << 1) | (1u << 3) | (1u << 5) | (1u << 12) | (1u << 10) |
					    (1u << 11));
	kiln_wasm_free(m);
}

static void test_fixture_fields(void)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	const struct kiln_wasm_functype *ft;
	const struct kiln_wasm_expr *code;
	int rc = kiln_wasm_read_file(FIXTURES "/all_ops.wasm", &m, &err);
	if (rc != KILN_OK)
		fprintf(stderr, "\n  %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, KILN_OK);
	CU_ASSERT_STRING_EQUAL(m->name, FIXTURES "/all_ops.wasm");
	CU_ASSERT_EQUAL(m->nimports, 4);
	CU_ASSERT_EQUAL(m->nimported_funcs, 1);
	CU_ASSERT_EQUAL(m->nimported_globals, 2);
	CU_ASSERT_EQUAL(m->nimported_tables, 1);
	CU_ASSERT_EQUAL(m->nimported_mems, 0);
	CU_ASSERT_EQUAL(m->nfuncs, 8);
	CU_ASSERT_EQUAL(m->nbodies, 8);
	CU_ASSERT_EQUAL(m->ntables, 2);
	CU_ASSERT_EQUAL(m->tables[1].reftype, KILN_WASM_EXTERNREF);
	CU_ASSERT_EQUAL(m->nmems, 1);
	CU_ASSERT_TRUE(m->mems[0].has_max);
	CU_ASSERT_EQUAL(m->mems[0].max, 4);
	CU_ASSERT_EQUAL(m->nglobals, 7);
	CU_ASSERT_EQUAL(m->globals[1].init.insns[0].imm.i64, -7);
	CU_ASSERT_EQUAL(m->globals[2].init.insns[0].imm.bits, 0x3fc00000u);
	CU_ASSERT_EQUAL(m->globals[4].init.insns[0].op, 0xd2);
	CU_ASSERT_EQUAL(m->globals[6].init.insns[0].op, 0x23);
	CU_ASSERT_EQUAL(m->nexports, 4);
	CU_ASSERT_TRUE(m->has_start);
	CU_ASSERT_EQUAL(m->start, 1);
	CU_ASSERT_EQUAL(m->nelems, 5);
	CU_ASSERT_EQUAL(m->elems[0].mode, KILN_WASM_SEG_ACTIVE);
	CU_ASSERT_EQUAL(m->elems[0].table, 1);
	CU_ASSERT_EQUAL(m->elems[0].count, 2);
	CU_ASSERT_EQUAL(m->elems[0].funcs[0], 2);
	CU_ASSERT_EQUAL(m->elems[1].mode, KILN_WASM_SEG_PASSIVE);
	CU_ASSERT_EQUAL(m->elems[2].mode, KILN_WASM_SEG_DECLARATIVE);
	CU_ASSERT_TRUE(m->elems[3].uses_exprs);
	CU_ASSERT_EQUAL(m->elems[3].exprs[1].insns[0].op, 0xd0);
	CU_ASSERT_TRUE(m->has_datacount);
	CU_ASSERT_EQUAL(m->ndatas, 2);
	CU_ASSERT_EQUAL(m->datas[0].bytes.len, 5);
	CU_ASSERT_EQUAL(memcmp(m->datas[0].bytes.data, "hello", 5), 0);
	CU_ASSERT_EQUAL(m->ncustoms, 1);
	CU_ASSERT_EQUAL(memcmp(m->customs[0].name.data, "name", 4), 0);
	CU_ASSERT_EQUAL(m->customs[0].after, KILN_WASM_SEC_DATA);

	/* $init: i32.const 1; global.set $g0 (index 2 after two imports); end */
	code = &m->bodies[0].code;
	CU_ASSERT_EQUAL(code->ninsns, 3);
	CU_ASSERT_EQUAL(code->insns[1].op, 0x24);
	CU_ASSERT_EQUAL(code->insns[1].imm.index, 2);
	/* $control: br_table $x $y $x -> 2 labels + default in side */
	code = &m->bodies[4].code;
	CU_ASSERT_EQUAL(code->insns[0].op, 0x02);
	CU_ASSERT_EQUAL(code->insns[0].imm.block, KILN_WASM_BLOCK_EMPTY);
	CU_ASSERT_EQUAL(code->insns[3].op, 0x0e);
	CU_ASSERT_EQUAL(code->insns[3].imm.list.count, 2);
	CU_ASSERT_EQUAL(m->bodies[4].side[code->insns[3].imm.list.first + 0], 1);
	CU_ASSERT_EQUAL(m->bodies[4].side[code->insns[3].imm.list.first + 1], 0);
	CU_ASSERT_EQUAL(m->bodies[4].side[code->insns[3].imm.list.first + 2], 1);
	CU_ASSERT_EQUAL(m->bodies[4].nlocal_groups, 3);
	CU_ASSERT_EQUAL(m->bodies[4].locals[0].count, 1);
	CU_ASSERT_EQUAL(m->bodies[4].locals[0].type, KILN_WASM_I64);

	ft = kiln_wasm_func_type(m, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_EQUAL(ft->nparams, 1);
	CU_ASSERT_EQUAL(ft->nresults, 1);
	ft = kiln_wasm_func_type(m, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_EQUAL(ft->nresults, 2);
	CU_ASSERT_PTR_NULL(kiln_wasm_func_type(m, 10));
	kiln_wasm_free(m);
}

/* Every opcode of the fixture decodes to a known, named instruction. */
static void test_fixture_opcodes_named(void)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	unsigned seen[0x200] = {0}, distinct = 0;
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read_file(FIXTURES "/all_ops.wasm", &m, &err), KILN_OK);
	for (uint32_t f = 0; f < m->nbodies; f++) {
		const struct kiln_wasm_expr *e = &m->bodies[f].code;
		for (uint32_t i = 0; i < e->ninsns; i++) {
			uint16_t op = e->insns[i].op;
			unsigned slot = op >= 0xfc00 ? 0x100 + (op & 0xff) : op;
			CU_ASSERT_PTR_NOT_NULL(kiln_wasm_opinfo(op));
			if (!seen[slot]++)
				distinct++;
		}
	}
	/* 172 MVP + 5 sign-ext + 8 sat + bulk/ref ops the fixture uses */
	CU_ASSERT_TRUE(distinct >= 200);
	kiln_wasm_free(m);
}

static void test_opcode_names(void)
{
	CU_ASSERT_STRING_EQUAL(kiln_wasm_opcode_name(0x6a), "i32.add");
	CU_ASSERT_STRING_EQUAL(kiln_wasm_opcode_name(0xfc0a), "memory.copy");
	CU_ASSERT_STRING_EQUAL(kiln_wasm_opcode_name(KILN_WASM_OP_PREFIXED(0xfd, 0)),
			       "v128.load");
	CU_ASSERT_STRING_EQUAL(kiln_wasm_opcode_name(KILN_WASM_OP_PREFIXED(0xfd, 0xba)),
			       "i32x4.dot_i16x8_s");
	CU_ASSERT_STRING_EQUAL(kiln_wasm_opcode_name(KILN_WASM_OP_PREFIXED(0xfe, 0x48)),
			       "i32.atomic.rmw.cmpxchg");
	CU_ASSERT_STRING_EQUAL(kiln_wasm_opcode_name(0xff), "illegal opcode");
	CU_ASSERT_STRING_EQUAL(kiln_wasm_opcode_name(0xfc12), "illegal opcode");
}

/* Every prefix of a valid module: an error with an offset, or (only at a
 * section boundary) a valid shorter module.  Never a crash. */
static void test_truncated_everywhere(void)
{
	size_t len = 0, failures = 0;
	uint8_t *buf = kiln_test_slurp(FIXTURES "/all_ops.wasm", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (size_t n = 0; n < len; n++) {
		struct kiln_wasm_module *m = NULL;
		struct kiln_err err;
		/* a private copy of exactly n bytes, so ASan sees overreads */
		uint8_t *cut = malloc(n ? n : 1);
		int rc;
		CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
		memcpy(cut, buf, n);
		rc = kiln_wasm_read(cut, n, "cut.wasm", &m, &err);
		if (rc == KILN_OK) {
			kiln_wasm_free(m);
		} else {
			failures++;
			if (strstr(err.msg, "offset 0x") == NULL || rc == KILN_ENOMEM) {
				fprintf(stderr, "\n  prefix %zu: %s\n", n, err.msg);
				CU_FAIL("truncation error without an offset");
			}
		}
		free(cut);
	}
	/* only cuts at the header or right after a section may be valid */
	CU_ASSERT_TRUE(failures >= len - 10);
	free(buf);
}

/* Deterministic random byte flips of a valid module: any status, never a
 * crash, always a message with the input's name. */
static void test_mutations(void)
{
	size_t len = 0;
	uint8_t *buf = kiln_test_slurp(FIXTURES "/all_ops.wasm", &len);
	uint32_t seed = 12345;
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (int iter = 0; iter < 3000; iter++) {
		uint8_t *mut = malloc(len);
		struct kiln_wasm_module *m = NULL;
		struct kiln_err err;
		int flips;
		CU_ASSERT_PTR_NOT_NULL_FATAL(mut);
		memcpy(mut, buf, len);
		seed = seed * 1103515245u + 12345u;
		flips = 1 + (int)((seed >> 16) % 4);
		for (int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = 8 + (seed >> 8) % (len - 8);
			seed = seed * 1103515245u + 12345u;
			mut[at] = (uint8_t)(seed >> 16);
		}
		if (kiln_wasm_read(mut, len, "mut.wasm", &m, &err) == KILN_OK)
			kiln_wasm_free(m);
		else
			CU_ASSERT_EQUAL(strncmp(err.msg, "mut.wasm: ", 10), 0);
		free(mut);
	}
	free(buf);
}

/* Random bytes behind a valid header: any status, never a crash. */
static void test_garbage(void)
{
	uint32_t seed = 99;
	for (int iter = 0; iter < 2000; iter++) {
		uint8_t buf[512] = {HDR};
		struct kiln_wasm_module *m = NULL;
		struct kiln_err err;
		size_t len;
		uint8_t *copy;
		seed = seed * 1103515245u + 12345u;
		len = 8 + (seed >> 16) % (sizeof buf - 8);
		for (size_t i = 8; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		/* bias towards real section ids so that decoding goes deeper */
		buf[8] = (uint8_t)(buf[8] % 13);
		copy = malloc(len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, buf, len);
		if (kiln_wasm_read(copy, len, "junk.wasm", &m, &err) == KILN_OK)
			kiln_wasm_free(m);
		else
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "junk.wasm: "));
		free(copy);
	}
}

/* Over the module size limit: refused before a byte is read or copied. */
static void test_too_large(void)
{
	static const uint8_t tiny[8] = {HDR};
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_wasm_read(tiny, (size_t)KILN_WASM_MAX_MODULE_BYTES + 1, "big.wasm", &m,
				       &err),
			KILN_ELIMIT);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "exceeds kiln's limit"));
}

static void test_read_file_errors(void)
{
	struct kiln_wasm_module *m = (struct kiln_wasm_module *)1;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_wasm_read_file("build/does/not/exist.wasm", &m, &err), KILN_EIO);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "build/does/not/exist.wasm: cannot open"));
	kiln_wasm_free(NULL);
}

void kiln_test_wasm_reader(void)
{
	CU_pSuite s = CU_add_suite("wasm_reader", NULL, NULL);
	CU_add_test(s, "hostile inputs (table)", test_hostile_table);
	CU_add_test(s, "SIMD refusal message", test_simd_message);
	CU_add_test(s, "SIMD in a signature", test_simd_signature);
	CU_add_test(s, "hostile export name escaped", test_hostile_export_name);
	CU_add_test(s, "valid edge forms", test_valid_edge_forms);
	CU_add_test(s, "fixture fields", test_fixture_fields);
	CU_add_test(s, "fixture opcodes named", test_fixture_opcodes_named);
	CU_add_test(s, "opcode names", test_opcode_names);
	CU_add_test(s, "truncated at every byte", test_truncated_everywhere);
	CU_add_test(s, "random mutations", test_mutations);
	CU_add_test(s, "garbage after the header", test_garbage);
	CU_add_test(s, "module over the size limit", test_too_large);
	CU_add_test(s, "read_file errors", test_read_file_errors);
}
