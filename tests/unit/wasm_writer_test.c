/*
 * Tests for compiler/wasm_writer.c and the LEB128 helpers: byte-exact
 * round trips of canonical input, canonicalisation of padded input, custom
 * sections in place, hand-built modules, and refusal of modules a pass
 * could have left inconsistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "kiln_compiler.h"
#include "unit.h"
#include "wasm_impl.h"

#define FIXTURES "build/fixtures/wasm"
#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

uint8_t *kiln_test_slurp(const char *path, size_t *len);

/* read -> write; returns the output (caller frees) or NULL. */
static uint8_t *rewrite(const uint8_t *in, size_t len, size_t *outlen)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	uint8_t *out = NULL;
	if (kiln_wasm_read(in, len, "in.wasm", &m, &err) != KILN_OK) {
		fprintf(stderr, "\n  %s\n", err.msg);
		return NULL;
	}
	if (kiln_wasm_write(m, &out, outlen, &err) != KILN_OK)
		fprintf(stderr, "\n  %s\n", err.msg);
	kiln_wasm_free(m);
	return out;
}

static void test_fixture_byte_exact(void)
{
	static const char *const files[] = {FIXTURES "/all_ops.wasm", FIXTURES "/fuel_costs.wasm"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len = 0, outlen = 0;
		uint8_t *in = kiln_test_slurp(files[i], &len), *out;
		CU_ASSERT_PTR_NOT_NULL_FATAL(in);
		out = rewrite(in, len, &outlen);
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_EQUAL(outlen, len);
		CU_ASSERT_EQUAL(memcmp(in, out, len < outlen ? len : outlen), 0);
		free(in);
		free(out);
	}
}

/* Custom sections first, between sections, after datacount, last. */
static void test_customs_in_place(void)
{
	static const uint8_t mod[] = {
		HDR,
		0x00, 0x03, 0x01, 'a', 0x01,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x00, 0x02, 0x01, 'b',
		0x00, 0x04, 0x01, 'c', 0xff, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x0c, 0x01, 0x00,
		0x00, 0x02, 0x01, 'd',
		0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
		0x00, 0x05, 0x01, 'e', 0xde, 0xad, 0x00,
	};
	size_t outlen = 0;
	uint8_t *out = rewrite(mod, sizeof mod, &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(outlen, sizeof mod);
	CU_ASSERT_EQUAL(memcmp(out, mod, sizeof mod), 0);
	free(out);
}

/* Padded LEB128 comes out shortest; a second pass changes nothing. */
static void test_canonicalises(void)
{
	static const uint8_t padded[] = {
		HDR,
		0x01, 0x85, 0x80, 0x00, 0x81, 0x00, 0x60, 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x1a, 0x0b,
	};
	static const uint8_t canonical[] = {
		HDR,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x07, 0x01, 0x05, 0x00, 0x41, 0x7f, 0x1a, 0x0b,
	};
	size_t n1 = 0, n2 = 0;
	uint8_t *once = rewrite(padded, sizeof padded, &n1), *twice;
	CU_ASSERT_PTR_NOT_NULL_FATAL(once);
	CU_ASSERT_EQUAL(n1, sizeof canonical);
	CU_ASSERT_EQUAL(memcmp(once, canonical, n1 < sizeof canonical ? n1 : sizeof canonical), 0);
	twice = rewrite(once, n1, &n2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(twice);
	CU_ASSERT_EQUAL(n2, n1);
	CU_ASSERT_EQUAL(memcmp(once, twice, n1), 0);
	free(once);
	free(twice);
}

/* Present but empty sections survive; absent ones stay absent. */
static void test_empty_sections_kept(void)
{
	static const uint8_t mod[] = {
		HDR,
		0x01, 0x01, 0x00,
		0x02, 0x01, 0x00,
		0x03, 0x01, 0x00,
		0x07, 0x01, 0x00,
		0x0a, 0x01, 0x00,
		0x0b, 0x01, 0x00,
	};
	size_t outlen = 0;
	uint8_t *out = rewrite(mod, sizeof mod, &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(outlen, sizeof mod);
	CU_ASSERT_EQUAL(memcmp(out, mod, sizeof mod), 0);
	free(out);
}

/* A module built by hand (no reader, no `present` bits) encodes, and the
 * reader gives back what was built, extreme immediates included. */
static void test_hand_built(void)
{
	uint8_t ft[] = {KILN_WASM_I32};
	struct kiln_wasm_functype type = {0, 1, ft};
	uint32_t funcs[] = {0};
	uint32_t side[] = {0, 0};
	struct kiln_wasm_insn code[] = {
		{.op = 0x02, .imm.block = -1},                    /* block (result i32) */
		{.op = 0x41, .imm.i64 = INT32_MIN},               /* i32.const */
		{.op = 0x42, .imm.i64 = INT64_MIN},               /* i64.const */
		{.op = 0x1a},                                     /* drop */
		{.op = 0x44, .imm.bits = 0xfff8000000000001ull}, /* f64.const nan */
		{.op = 0x1a},
		{.op = 0x43, .imm.bits = 0x7fa00000u},            /* f32.const nan */
		{.op = 0x1a},
		{.op = 0x41, .imm.i64 = 0},
		{.op = 0x0e, .imm.list = {1, 0}},                 /* br_table 0 0 */
		{.op = 0x0b},
		{.op = 0xfc0b, .imm.index = 0},                   /* memory.fill */
		{.op = 0x0b},
	};
	struct kiln_wasm_body body;
	struct kiln_wasm_export ex = {{(const uint8_t *)"run", 3}, KILN_WASM_KIND_FUNC, 0};
	/* memory.fill needs a memory for the reader's index check */
	struct kiln_wasm_limits mem = {1, 0, false};
	char name[] = "hand";
	struct kiln_wasm_module m;
	struct kiln_wasm_module *back = NULL;
	struct kiln_err err;
	uint8_t *out = NULL;
	size_t len = 0;
	char where[128];

	memset(&body, 0, sizeof body);
	body.code.insns = code;
	body.code.ninsns = sizeof code / sizeof code[0];
	body.side = side;
	body.nside = 2;
	memset(&m, 0, sizeof m);
	m.name = name;
	m.types = &type;
	m.ntypes = 1;
	m.funcs = funcs;
	m.nfuncs = 1;
	m.bodies = &body;
	m.nbodies = 1;
	m.exports = &ex;
	m.nexports = 1;
	m.mems = &mem;
	m.nmems = 1;
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_write(&m, &out, &len, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(out, len, "hand.wasm", &back, &err), KILN_OK);
	m.present = back->present; /* the reader records what was written */
	CU_ASSERT_TRUE(kiln_wasm_compare(&m, back, where, sizeof where));
	CU_ASSERT_EQUAL(back->bodies[0].code.insns[1].imm.i64, INT32_MIN);
	CU_ASSERT_EQUAL(back->bodies[0].code.insns[2].imm.i64, INT64_MIN);
	CU_ASSERT_EQUAL(back->bodies[0].code.insns[4].imm.bits, 0xfff8000000000001ull);
	CU_ASSERT_EQUAL(back->bodies[0].code.insns[6].imm.bits, 0x7fa00000u);
	free(out);
	kiln_wasm_free(back);
}

/* What a buggy pass could leave behind is refused, with no output. */
static void test_refuses_inconsistent(void)
{
	uint32_t funcs[] = {0};
	uint8_t none[1];
	struct kiln_wasm_functype type = {0, 0, none};
	struct kiln_wasm_insn no_end[] = {{.op = 0x01}};
	struct kiln_wasm_insn bad_table[] = {{.op = 0x41}, {.op = 0x0e, .imm.list = {3, 0}},
					     {.op = 0x0b}};
	struct kiln_wasm_insn bad_op[] = {{.op = 0xff}, {.op = 0x0b}};
	struct kiln_wasm_body body;
	struct kiln_wasm_module m;
	char name[] = "bad";
	struct kiln_err err;
	uint8_t *out = (uint8_t *)1;
	size_t len = 1;

	memset(&m, 0, sizeof m);
	memset(&body, 0, sizeof body);
	m.name = name;
	m.types = &type;
	m.ntypes = 1;
	m.funcs = funcs;
	m.nfuncs = 1;
	CU_ASSERT_EQUAL(kiln_wasm_write(&m, &out, &len, &err), KILN_EINVALID);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "1 functions but 0 bodies"));
	m.bodies = &body;
	m.nbodies = 1;
	body.code.insns = no_end;
	body.code.ninsns = 1;
	CU_ASSERT_EQUAL(kiln_wasm_write(&m, &out, &len, &err), KILN_EINVALID);
	body.code.insns = bad_table;
	body.code.ninsns = 3;
	CU_ASSERT_EQUAL(kiln_wasm_write(&m, &out, &len, &err), KILN_EINVALID);
	body.code.insns = bad_op;
	body.code.ninsns = 2;
	CU_ASSERT_EQUAL(kiln_wasm_write(&m, &out, &len, &err), KILN_EINVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bad: cannot encode the body of function 0"));
}

struct leb_case {
	uint8_t bytes[11];
	size_t len;
	unsigned bits;
	bool is_signed;
	enum kiln_leb_status status;
	int64_t value;
	size_t used;
};

static const struct leb_case leb_cases[] = {
	{{0x00}, 1, 32, false, KILN_LEB_OK, 0, 1},
	{{0x7f}, 1, 32, false, KILN_LEB_OK, 127, 1},
	{{0x80, 0x01}, 2, 32, false, KILN_LEB_OK, 128, 2},
	{{0x80, 0x80, 0x80, 0x80, 0x00}, 5, 32, false, KILN_LEB_OK, 0, 5},
	{{0xff, 0xff, 0xff, 0xff, 0x0f}, 5, 32, false, KILN_LEB_OK, 0xffffffff, 5},
	{{0xff, 0xff, 0xff, 0xff, 0x1f}, 5, 32, false, KILN_LEB_TOO_LARGE, 0, 0},
	{{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6, 32, false, KILN_LEB_TOO_LONG, 0, 0},
	{{0x80, 0x80}, 2, 32, false, KILN_LEB_TRUNCATED, 0, 0},
	{{0x7f}, 1, 32, true, KILN_LEB_OK, -1, 1},
	{{0x40}, 1, 33, true, KILN_LEB_OK, -64, 1},
	{{0x80, 0x80, 0x80, 0x80, 0x78}, 5, 32, true, KILN_LEB_OK, INT32_MIN, 5},
	{{0xff, 0xff, 0xff, 0xff, 0x07}, 5, 32, true, KILN_LEB_OK, INT32_MAX, 5},
	{{0xff, 0xff, 0xff, 0xff, 0x0f}, 5, 32, true, KILN_LEB_TOO_LARGE, 0, 0},
	{{0x80, 0x80, 0x80, 0x80, 0x70}, 5, 32, true, KILN_LEB_TOO_LARGE, 0, 0},
	{{0xff, 0xff, 0xff, 0xff, 0x0f}, 5, 33, true, KILN_LEB_OK, 0xffffffff, 5},
	{{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, 10, 64, true, KILN_LEB_OK,
	 INT64_MIN, 10},
	{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, 10, 64, true, KILN_LEB_OK,
	 INT64_MAX, 10},
	{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10, 64, true,
	 KILN_LEB_TOO_LARGE, 0, 0},
	{{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 11, 64, true,
	 KILN_LEB_TOO_LONG, 0, 0},
};

static void test_leb_read(void)
{
	for (size_t i = 0; i < sizeof leb_cases / sizeof leb_cases[0]; i++) {
		const struct leb_case *c = &leb_cases[i];
		uint64_t u = 0;
		int64_t s = 0;
		size_t pos = 0;
		enum kiln_leb_status st = kiln_leb_read(c->bytes, c->len, &pos, c->bits,
							c->is_signed, &u, &s);
		if (st != c->status)
			fprintf(stderr, "\n  LEB case %zu: status %d, want %d\n", i, st, c->status);
		CU_ASSERT_EQUAL(st, c->status);
		CU_ASSERT_EQUAL(pos, c->used);
		if (st == KILN_LEB_OK)
			CU_ASSERT_EQUAL(c->is_signed ? s : (int64_t)u, c->value);
	}
}

/* Shortest encodings, and every one decodes to what was encoded. */
static void test_leb_write(void)
{
	static const int64_t sv[] = {0, 1, -1, 63, 64, -64, -65, 127, 128, INT32_MIN, INT32_MAX,
				     INT64_MIN, INT64_MAX};
	static const uint32_t uv[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX};
	static const size_t ulen[] = {1, 1, 1, 2, 2, 3, 5};
	static const size_t slen[] = {1, 1, 1, 1, 2, 1, 2, 2, 2, 5, 5, 10, 10};
	for (size_t i = 0; i < sizeof uv / sizeof uv[0]; i++) {
		struct kiln_wbuf b = {0};
		uint64_t back = 0;
		size_t pos = 0;
		kiln_wbuf_u32(&b, uv[i]);
		CU_ASSERT_EQUAL(b.len, ulen[i]);
		CU_ASSERT_EQUAL(kiln_leb_read(b.p, b.len, &pos, 32, false, &back, NULL),
				KILN_LEB_OK);
		CU_ASSERT_EQUAL(back, uv[i]);
		kiln_wbuf_release(&b);
	}
	for (size_t i = 0; i < sizeof sv / sizeof sv[0]; i++) {
		struct kiln_wbuf b = {0};
		int64_t back = 0;
		size_t pos = 0;
		kiln_wbuf_s64(&b, sv[i]);
		CU_ASSERT_EQUAL(b.len, slen[i]);
		CU_ASSERT_EQUAL(kiln_leb_read(b.p, b.len, &pos, 64, true, NULL, &back), KILN_LEB_OK);
		CU_ASSERT_EQUAL(back, sv[i]);
		kiln_wbuf_release(&b);
	}
}

void kiln_test_wasm_writer(void)
{
	CU_pSuite s = CU_add_suite("wasm_writer", NULL, NULL);
	CU_add_test(s, "fixtures byte-exact", test_fixture_byte_exact);
	CU_add_test(s, "custom sections in place", test_customs_in_place);
	CU_add_test(s, "canonicalises padded LEB128", test_canonicalises);
	CU_add_test(s, "empty sections kept", test_empty_sections_kept);
	CU_add_test(s, "hand-built module", test_hand_built);
	CU_add_test(s, "refuses inconsistent modules", test_refuses_inconsistent);
	CU_add_test(s, "LEB128 decoding", test_leb_read);
	CU_add_test(s, "LEB128 encoding", test_leb_write);
}
