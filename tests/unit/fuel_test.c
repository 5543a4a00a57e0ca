/*
 * Tests for compiler/instrument_fuel.c: static charges against hand-counted
 * costs (tests/wasm/fuel_costs.wat), the added import, global and export,
 * renumbering of every function reference including the name section, and
 * refusals that leave the module unchanged.  Running instrumented code is
 * the job of the check-fuel suite (tests/fuel/).
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

static struct kiln_wasm_module *load(const char *file)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	if (kiln_wasm_read_file(file, &m, &err) != KILN_OK)
		fprintf(stderr, "\n  %s\n", err.msg);
	return m;
}

static struct kiln_wasm_module *instrumented(const char *file)
{
	struct kiln_wasm_module *m = load(file);
	struct kiln_err err;
	if (m != NULL && kiln_fuel_instrument(m, &err) != KILN_OK) {
		fprintf(stderr, "\n  %s\n", err.msg);
		kiln_wasm_free(m);
		m = NULL;
	}
	return m;
}

/* fuel_costs.wasm after the pass: imports ext 0, fuel_exhausted 1,
 * fuel_trap 2; defined straight 3, empty 4, loops 5, empty_loop 6, calls 7,
 * multi 8; wrappers of straight 9, empty 10, loops 11; globals: the
 * imported one, $keep, the counter 2. */
enum { FE = 1, FT = 2, STRAIGHT = 3, EMPTY = 4, LOOPS = 5, CALLS = 7, MULTI = 8, G = 2 };

/* Is insns[at..] a charge of @cost on local @fl, trapping through @ft? */
static bool is_charge(const struct kiln_wasm_expr *e, uint32_t at, int64_t cost, uint32_t fl,
		      uint32_t ft)
{
	const struct kiln_wasm_insn *in = e->insns + at;
	if (at + 10 > e->ninsns)
		return false;
	return in[0].op == 0x20 && in[0].imm.index == fl && in[1].op == 0x42 &&
	       in[1].imm.i64 == cost && in[2].op == 0x7d && in[3].op == 0x22 &&
	       in[3].imm.index == fl && in[4].op == 0x42 && in[4].imm.i64 == 0 &&
	       in[5].op == 0x53 && in[6].op == 0x04 && in[6].imm.block == KILN_WASM_BLOCK_EMPTY &&
	       in[7].op == 0x20 && in[7].imm.index == fl && in[8].op == 0x10 &&
	       in[8].imm.index == ft && in[9].op == KILN_WASM_OP_END;
}

/* Is insns[at..] `$G <= 0: call fuel_exhausted` on global @g? */
static bool is_collect(const struct kiln_wasm_expr *e, uint32_t at, uint32_t g, uint32_t fe)
{
	const struct kiln_wasm_insn *in = e->insns + at;
	if (at + 6 > e->ninsns)
		return false;
	return in[0].op == 0x23 && in[0].imm.index == g && in[1].op == 0x42 &&
	       in[1].imm.i64 == 1 && in[2].op == 0x53 && in[3].op == 0x04 && in[4].op == 0x10 &&
	       in[4].imm.index == fe && in[5].op == KILN_WASM_OP_END;
}

/* The charges of one body in order (entry, then each charged loop),
 * trapping through function @ft. */
static unsigned charges_via(const struct kiln_wasm_module *m, uint32_t body, uint32_t ft,
			    int64_t *out, unsigned max)
{
	const struct kiln_wasm_expr *e = &m->bodies[body].code;
	unsigned n = 0;
	for (uint32_t i = 0; i + 10 <= e->ninsns && n < max; i++) {
		if (e->insns[i].op == 0x20 && e->insns[i + 1].op == 0x42 &&
		    e->insns[i + 2].op == 0x7d && e->insns[i + 8].op == 0x10 &&
		    e->insns[i + 8].imm.index == ft) {
			out[n++] = e->insns[i + 1].imm.i64;
			i += 9;
		}
	}
	return n;
}

static unsigned charges(const struct kiln_wasm_module *m, uint32_t body, int64_t *out,
			unsigned max)
{
	return charges_via(m, body, FT, out, max);
}

static void test_static_costs(void)
{
	struct kiln_wasm_module *m = instrumented(FIXTURES "/fuel_costs.wasm");
	int64_t c[8];
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* straight-line code: the charge is the instruction count; the
	 * counter is the first parameter (there were none) */
	CU_ASSERT_EQUAL(charges(m, 0, c, 8), 1);
	CU_ASSERT_EQUAL(c[0], 3);
	CU_ASSERT_TRUE(is_charge(&m->bodies[0].code, 0, 3, 0, FT));
	/* nothing to pay for: still at least 1 */
	CU_ASSERT_EQUAL(charges(m, 1, c, 8), 1);
	CU_ASSERT_EQUAL(c[0], 1);
	/* entry, outer loop, inner loop; $loops has one parameter */
	CU_ASSERT_EQUAL_FATAL(charges(m, 2, c, 8), 3);
	CU_ASSERT_EQUAL(c[0], 5);
	CU_ASSERT_EQUAL(c[1], 14);
	/* the inner loop costs 1 and is unrolled into 4 copies (innermost,
	 * small, no call): one charge of 4 for four iterations */
	CU_ASSERT_EQUAL(c[2], 4);
	/* after the entry charge and the block standing for the function's
	 * label, the loop charge sits right after the loop instruction */
	CU_ASSERT_EQUAL(m->bodies[2].code.insns[10].op, 0x02);
	CU_ASSERT_EQUAL(m->bodies[2].code.insns[10].imm.block, -1); /* i32 */
	CU_ASSERT_EQUAL(m->bodies[2].code.insns[14].op, 0x03);
	CU_ASSERT_TRUE(is_charge(&m->bodies[2].code, 15, 14, 1, FT));
	/* an empty loop is charged 1 per iteration, 4 for its 4 copies */
	CU_ASSERT_EQUAL_FATAL(charges(m, 3, c, 8), 2);
	CU_ASSERT_EQUAL(c[0], 1);
	CU_ASSERT_EQUAL(c[1], 4);
	CU_ASSERT_EQUAL(charges(m, 4, c, 8), 1);
	CU_ASSERT_EQUAL(c[0], 6);
	CU_ASSERT_EQUAL(charges(m, 5, c, 8), 1);
	CU_ASSERT_EQUAL(c[0], 8);
	/* every body grew by its charges, the block, its end and the
	 * counter's local.get (nothing else to rewrite in $loops), and the
	 * inner loop (loop nop end) by its unrolling: block, 3 blocks, 3
	 * copies with a br and an end, one more nop and an end (14) */
	CU_ASSERT_EQUAL(m->bodies[2].code.ninsns, 26 + 3 * 10 + 3 + 14);
	kiln_wasm_free(m);
}

static void test_added_entities(void)
{
	struct kiln_wasm_module *m = instrumented(FIXTURES "/fuel_costs.wasm");
	const struct kiln_wasm_import *im;
	const struct kiln_wasm_export *ex;
	const struct kiln_wasm_global *g;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* the imports come after the existing ones */
	CU_ASSERT_EQUAL(m->nimports, 4);
	CU_ASSERT_EQUAL(m->nimported_funcs, 3);
	im = &m->imports[2];
	CU_ASSERT_EQUAL(im->kind, KILN_WASM_KIND_FUNC);
	CU_ASSERT_EQUAL(im->module.len, 4);
	CU_ASSERT_EQUAL(memcmp(im->module.data, "kiln", 4), 0);
	CU_ASSERT_EQUAL(im->name.len, strlen("fuel_exhausted"));
	CU_ASSERT_EQUAL(memcmp(im->name.data, "fuel_exhausted", im->name.len), 0);
	/* fuel_exhausted reuses the module's [] -> [] */
	CU_ASSERT_EQUAL(im->desc.type_index, 2);
	im = &m->imports[3];
	CU_ASSERT_EQUAL(im->name.len, strlen("fuel_trap"));
	CU_ASSERT_EQUAL(memcmp(im->name.data, "fuel_trap", im->name.len), 0);
	/* types: the module's 4, [i64] -> [] for fuel_trap, one with the
	 * counter for each type a function has, a block type for $multi */
	CU_ASSERT_EQUAL_FATAL(m->ntypes, 10);
	CU_ASSERT_EQUAL(im->desc.type_index, 4);
	CU_ASSERT_EQUAL(m->types[4].nparams, 1);
	CU_ASSERT_EQUAL(m->types[4].nresults, 0);
	CU_ASSERT_EQUAL(m->types[4].types[0], KILN_WASM_I64);
	/* the global is last, mutable i64 = 0, exported */
	CU_ASSERT_EQUAL(m->nglobals, 2);
	g = &m->globals[1];
	CU_ASSERT_EQUAL(g->type.valtype, KILN_WASM_I64);
	CU_ASSERT_TRUE(g->type.mut);
	CU_ASSERT_EQUAL(g->init.insns[0].op, 0x42);
	CU_ASSERT_EQUAL(g->init.insns[0].imm.i64, 0);
	ex = &m->exports[m->nexports - 1];
	CU_ASSERT_EQUAL(ex->kind, KILN_WASM_KIND_GLOBAL);
	CU_ASSERT_EQUAL(ex->index, G); /* one imported global, one defined, then ours */
	CU_ASSERT_EQUAL(ex->name.len, strlen("__kiln_fuel"));
	CU_ASSERT_EQUAL(memcmp(ex->name.data, "__kiln_fuel", ex->name.len), 0);
	kiln_wasm_free(m);
}

/* Every defined function takes and returns the counter as its last i64. */
static void test_counter_threaded(void)
{
	struct kiln_wasm_module *m = instrumented(FIXTURES "/fuel_costs.wasm");
	const struct kiln_wasm_functype *t;
	const struct kiln_wasm_expr *e;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(m->nfuncs, 6 + 3);
	/* $loops: (i32) -> i32 became (i32 i64) -> (i32 i64) */
	t = kiln_wasm_func_type(m, LOOPS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->nparams, 2);
	CU_ASSERT_EQUAL(t->nresults, 2);
	CU_ASSERT_EQUAL(t->types[0], KILN_WASM_I32);
	CU_ASSERT_EQUAL(t->types[1], KILN_WASM_I64);
	CU_ASSERT_EQUAL(t->types[2], KILN_WASM_I32);
	CU_ASSERT_EQUAL(t->types[3], KILN_WASM_I64);
	/* its declared local $i moved from 1 to 2 (the counter is 1) */
	e = &m->bodies[2].code;
	CU_ASSERT_EQUAL(e->insns[12].op, 0x21); /* local.set $i */
	CU_ASSERT_EQUAL(e->insns[12].imm.index, 2);
	CU_ASSERT_EQUAL(e->insns[26].op, 0x20); /* local.get $n, after the charge */
	CU_ASSERT_EQUAL(e->insns[26].imm.index, 0);
	/* the body ends: end of the block, the counter, end */
	CU_ASSERT_EQUAL(e->insns[e->ninsns - 3].op, KILN_WASM_OP_END);
	CU_ASSERT_EQUAL(e->insns[e->ninsns - 2].op, 0x20);
	CU_ASSERT_EQUAL(e->insns[e->ninsns - 2].imm.index, 1);
	CU_ASSERT_EQUAL(e->insns[e->ninsns - 1].op, KILN_WASM_OP_END);
	/* $multi: two results and the counter; its block has a type of
	 * its own, `return` takes the counter along, `br 0` at the
	 * function's level is a branch to the block */
	t = kiln_wasm_func_type(m, MULTI);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->nparams, 2);
	CU_ASSERT_EQUAL(t->nresults, 3);
	e = &m->bodies[5].code;
	CU_ASSERT_EQUAL(e->insns[10].op, 0x02);
	CU_ASSERT_EQUAL_FATAL(e->insns[10].imm.block, 9);
	CU_ASSERT_EQUAL(m->types[9].nparams, 0);
	CU_ASSERT_EQUAL(m->types[9].nresults, 2);
	CU_ASSERT_EQUAL(e->insns[15].op, 0x20); /* the counter... */
	CU_ASSERT_EQUAL(e->insns[15].imm.index, 1);
	CU_ASSERT_EQUAL(e->insns[16].op, 0x0f); /* ...then return */
	CU_ASSERT_EQUAL(e->insns[20].op, 0x0c); /* br 0 unchanged */
	CU_ASSERT_EQUAL(e->insns[20].imm.index, 0);
	kiln_wasm_free(m);
}

static void test_renumbering(void)
{
	struct kiln_wasm_module *m = instrumented(FIXTURES "/fuel_costs.wasm");
	const struct kiln_wasm_expr *e;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* what the outside names is the wrappers: $straight's 9 (export,
	 * element, ref.func), $empty's 10 (start, global), $loops's 11
	 * (element) */
	CU_ASSERT_EQUAL(m->exports[0].index, 9);
	CU_ASSERT_EQUAL(m->start, 10);
	CU_ASSERT_EQUAL(m->elems[0].funcs[0], 9);
	CU_ASSERT_EQUAL(m->elems[0].funcs[1], 11);
	CU_ASSERT_EQUAL(m->globals[0].init.insns[0].op, 0xd2);
	CU_ASSERT_EQUAL(m->globals[0].init.insns[0].imm.index, 10);
	/* $calls: the import's call stores the counter, asks for fuel when
	 * it comes back empty and reloads; ref.func names the wrapper; the
	 * call of a defined function passes the counter along */
	e = &m->bodies[4].code;
	CU_ASSERT_EQUAL(e->insns[11].op, 0x41);
	CU_ASSERT_EQUAL(e->insns[12].op, 0x20);
	CU_ASSERT_EQUAL(e->insns[13].op, 0x24);
	CU_ASSERT_EQUAL(e->insns[13].imm.index, G);
	CU_ASSERT_EQUAL(e->insns[14].op, 0x10);
	CU_ASSERT_EQUAL(e->insns[14].imm.index, 0); /* the import before ours */
	CU_ASSERT_TRUE(is_collect(e, 15, G, FE));
	CU_ASSERT_EQUAL(e->insns[21].op, 0x23);
	CU_ASSERT_EQUAL(e->insns[22].op, 0x21);
	CU_ASSERT_EQUAL(e->insns[22].imm.index, 0);
	CU_ASSERT_EQUAL(e->insns[24].op, 0xd2);
	CU_ASSERT_EQUAL(e->insns[24].imm.index, 9);
	CU_ASSERT_EQUAL(e->insns[26].op, 0x20);
	CU_ASSERT_EQUAL(e->insns[27].op, 0x10);
	CU_ASSERT_EQUAL(e->insns[27].imm.index, STRAIGHT);
	CU_ASSERT_EQUAL(e->insns[28].op, 0x21);
	/* the charges call fuel_trap */
	CU_ASSERT_EQUAL(e->insns[8].imm.index, FT);
	kiln_wasm_free(m);
}

/* A wrapper asks for fuel when there is none, then calls the function with
 * the counter and stores what is left. */
static void test_wrappers(void)
{
	struct kiln_wasm_module *m = instrumented(FIXTURES "/fuel_costs.wasm");
	const struct kiln_wasm_expr *e;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(m->nbodies, 9);
	/* $loops's wrapper keeps its type, (i32) -> i32 */
	CU_ASSERT_EQUAL(m->funcs[8], 0);
	CU_ASSERT_EQUAL(kiln_wasm_func_type(m, 11)->nparams, 1);
	CU_ASSERT_EQUAL(kiln_wasm_func_type(m, 11)->nresults, 1);
	e = &m->bodies[8].code;
	CU_ASSERT_EQUAL_FATAL(e->ninsns, 11);
	CU_ASSERT_TRUE(is_collect(e, 0, G, FE));
	CU_ASSERT_EQUAL(e->insns[6].op, 0x20);
	CU_ASSERT_EQUAL(e->insns[6].imm.index, 0);
	CU_ASSERT_EQUAL(e->insns[7].op, 0x23);
	CU_ASSERT_EQUAL(e->insns[7].imm.index, G);
	CU_ASSERT_EQUAL(e->insns[8].op, 0x10);
	CU_ASSERT_EQUAL(e->insns[8].imm.index, LOOPS);
	CU_ASSERT_EQUAL(e->insns[9].op, 0x24);
	CU_ASSERT_EQUAL(e->insns[9].imm.index, G);
	CU_ASSERT_EQUAL(e->insns[10].op, KILN_WASM_OP_END);
	CU_ASSERT_EQUAL(m->bodies[8].nlocal_groups, 0);
	kiln_wasm_free(m);
}

static uint32_t leb(const uint8_t *p, size_t end, size_t *pos)
{
	uint64_t v = 0;
	if (kiln_leb_read(p, end, pos, 32, false, &v, NULL) != KILN_LEB_OK)
		*pos = end;
	return (uint32_t)v;
}

/*
 * Decode subsection @want of a "name" payload: for 1 (function names) the
 * (index, name) pairs in idx[] and names[]; for 2 (local names) one entry
 * per named local: its function in idx[], its index in local[].
 */
static unsigned name_map(const struct kiln_wasm_custom *c, uint8_t want, uint32_t *idx,
			 uint32_t *local, char names[][32], unsigned max)
{
	const uint8_t *p = c->payload.data;
	size_t pos = 0, end = c->payload.len;
	unsigned n = 0;
	while (pos < end) {
		uint8_t id = p[pos++];
		uint32_t size = leb(p, end, &pos), count;
		size_t sub_end = pos + size;
		if (id != want) {
			pos = sub_end;
			continue;
		}
		count = leb(p, sub_end, &pos);
		for (uint32_t i = 0; i < count && n < max && pos < sub_end; i++) {
			uint32_t len, inner, func = leb(p, sub_end, &pos);
			if (want == 1) {
				idx[n] = func;
				len = leb(p, sub_end, &pos);
				snprintf(names[n], 32, "%.*s", (int)len, (const char *)p + pos);
				pos += len;
				n++;
				continue;
			}
			inner = leb(p, sub_end, &pos);
			for (uint32_t k = 0; k < inner && n < max && pos < sub_end; k++) {
				idx[n] = func;
				local[n] = leb(p, sub_end, &pos);
				len = leb(p, sub_end, &pos);
				snprintf(names[n], 32, "%.*s", (int)len, (const char *)p + pos);
				pos += len;
				n++;
			}
		}
		pos = sub_end;
	}
	return n;
}

static void test_name_section(void)
{
	struct kiln_wasm_module *m = instrumented(FIXTURES "/fuel_costs.wasm");
	const struct kiln_wasm_custom *c = NULL;
	uint32_t idx[16], local[16];
	char names[16][32];
	unsigned n, seen = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (uint32_t i = 0; i < m->ncustoms; i++)
		if (m->customs[i].name.len == 4 && memcmp(m->customs[i].name.data, "name", 4) == 0)
			c = &m->customs[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* function names follow the functions (the wrappers have none) */
	n = name_map(c, 1, idx, local, names, 16);
	CU_ASSERT_EQUAL_FATAL(n, 7);
	CU_ASSERT_EQUAL(idx[0], 0);
	CU_ASSERT_STRING_EQUAL(names[0], "ext");
	CU_ASSERT_EQUAL(idx[1], STRAIGHT);
	CU_ASSERT_STRING_EQUAL(names[1], "straight");
	CU_ASSERT_EQUAL(idx[3], LOOPS);
	CU_ASSERT_STRING_EQUAL(names[3], "loops");
	CU_ASSERT_EQUAL(idx[5], CALLS);
	CU_ASSERT_STRING_EQUAL(names[5], "calls");
	/* local names are keyed by function and local index: $loops's $n
	 * stays 0, $i moves past the counter to 2; $multi's $p stays 0 */
	n = name_map(c, 2, idx, local, names, 16);
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(names[i], "n") == 0) {
			CU_ASSERT_EQUAL(idx[i], LOOPS);
			CU_ASSERT_EQUAL(local[i], 0);
			seen |= 1;
		} else if (strcmp(names[i], "i") == 0) {
			CU_ASSERT_EQUAL(idx[i], LOOPS);
			CU_ASSERT_EQUAL(local[i], 2);
			seen |= 2;
		} else if (strcmp(names[i], "p") == 0) {
			CU_ASSERT_EQUAL(idx[i], MULTI);
			CU_ASSERT_EQUAL(local[i], 0);
			seen |= 4;
		}
	}
	CU_ASSERT_EQUAL(seen, 7);
	kiln_wasm_free(m);
}

/* The instrumented fixtures still validate (and wasm2c reads their names). */
static void test_output_validates(void)
{
	static const char *const fixtures[] = {FIXTURES "/fuel_costs.wasm",
					       FIXTURES "/all_ops.wasm"};
	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
		struct kiln_wasm_module *m = instrumented(fixtures[i]);
		struct kiln_err err;
		uint8_t *out = NULL;
		size_t len = 0;
		char path[256], cmd[1024];
		FILE *f;
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL_FATAL(kiln_wasm_write(m, &out, &len, &err), KILN_OK);
		snprintf(path, sizeof path, "%s.fuel-unit.wasm", fixtures[i]);
		f = fopen(path, "wb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL(fwrite(out, 1, len, f), len);
		fclose(f);
		snprintf(cmd, sizeof cmd,
			 "wasm-validate %s && wasm2c %s -o %s.c >/dev/null 2>&1", path, path, path);
		CU_ASSERT_EQUAL(system(cmd), 0);
		free(out);
		kiln_wasm_free(m);
	}
}

/* A module without a [] -> [] type and without imports gets both. */
static void test_type_and_import_added(void)
{
	static const uint8_t mod[] = {
		HDR,
		0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
		0x03, 0x02, 0x01, 0x00,
		0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
		0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b,
	};
	struct kiln_wasm_module *m = NULL, *back = NULL;
	struct kiln_err err;
	uint8_t *out = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(mod, sizeof mod, "t.wasm", &m, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_fuel_instrument(m, &err), KILN_OK);
	/* (i32) -> i32, then [] -> [], [i64] -> [], (i32 i64) -> (i32 i64) */
	CU_ASSERT_EQUAL_FATAL(m->ntypes, 4);
	CU_ASSERT_EQUAL(m->types[1].nparams + m->types[1].nresults, 0);
	CU_ASSERT_EQUAL(m->types[2].nparams, 1);
	CU_ASSERT_EQUAL(m->types[2].nresults, 0);
	CU_ASSERT_EQUAL(m->types[3].nparams, 2);
	CU_ASSERT_EQUAL(m->types[3].nresults, 2);
	CU_ASSERT_EQUAL(m->nimports, 2);
	CU_ASSERT_EQUAL(m->imports[0].desc.type_index, 1);
	CU_ASSERT_EQUAL(m->imports[1].desc.type_index, 2);
	CU_ASSERT_EQUAL(m->funcs[0], 3);
	CU_ASSERT_EQUAL(m->funcs[1], 0);
	/* the export names the wrapper, 3 */
	CU_ASSERT_EQUAL(m->exports[0].index, 3);
	CU_ASSERT_TRUE(is_charge(&m->bodies[0].code, 0, 1, 1, 1));
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_write(m, &out, &len, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(out, len, "t2.wasm", &back, &err), KILN_OK);
	CU_ASSERT_TRUE(kiln_wasm_compare(m, back, NULL, 0));
	CU_ASSERT_TRUE(back->present & (1u << KILN_WASM_SEC_IMPORT));
	CU_ASSERT_TRUE(back->present & (1u << KILN_WASM_SEC_GLOBAL));
	free(out);
	kiln_wasm_free(back);
	kiln_wasm_free(m);
}

/* Already importing kiln.fuel_exhausted as [] -> []: reused; only
 * fuel_trap is added. */
static void test_existing_import_reused(void)
{
	static const uint8_t mod[] = {
		HDR,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x02, 0x17, 0x01, 0x04, 'k', 'i', 'l', 'n', 0x0e, 'f', 'u', 'e', 'l', '_', 'e', 'x',
		'h', 'a', 'u', 's', 't', 'e', 'd', 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x01, 0x0b,
	};
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(mod, sizeof mod, "r.wasm", &m, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_fuel_instrument(m, &err), KILN_OK);
	CU_ASSERT_EQUAL(m->nimports, 2);
	CU_ASSERT_EQUAL(m->nimported_funcs, 2);
	CU_ASSERT_TRUE(is_charge(&m->bodies[0].code, 0, 1, 0, 1));
	/* the function calls itself: 1 became 2, with the counter along */
	CU_ASSERT_EQUAL(m->bodies[0].code.insns[11].op, 0x20);
	CU_ASSERT_EQUAL(m->bodies[0].code.insns[12].op, 0x10);
	CU_ASSERT_EQUAL(m->bodies[0].code.insns[12].imm.index, 2);
	CU_ASSERT_EQUAL(m->bodies[0].code.insns[13].op, 0x21);
	/* nothing outside names it: no wrapper */
	CU_ASSERT_EQUAL(m->nfuncs, 1);
	kiln_wasm_free(m);
}

static void check_refused_unchanged(const uint8_t *mod, size_t len, const char *expect)
{
	struct kiln_wasm_module *m = NULL, *orig = NULL;
	struct kiln_err err;
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(mod, len, "x.wasm", &m, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(mod, len, "x.wasm", &orig, &err), KILN_OK);
	CU_ASSERT_EQUAL(kiln_fuel_instrument(m, &err), KILN_EINVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, expect));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "x.wasm: "));
	CU_ASSERT_TRUE(kiln_wasm_compare(m, orig, NULL, 0));
	kiln_wasm_free(m);
	kiln_wasm_free(orig);
}

static void test_refusals(void)
{
	/* exports a global named __kiln_fuel already */
	static const uint8_t twice[] = {
		HDR,
		0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x00, 0x0b,
		0x07, 0x0f, 0x01, 0x0b, '_', '_', 'k', 'i', 'l', 'n', '_', 'f', 'u', 'e', 'l', 0x03,
		0x00,
	};
	/* imports kiln.fuel_exhausted as (i32) -> () */
	static const uint8_t badtype[] = {
		HDR,
		0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
		0x02, 0x17, 0x01, 0x04, 'k', 'i', 'l', 'n', 0x0e, 'f', 'u', 'e', 'l', '_', 'e', 'x',
		'h', 'a', 'u', 's', 't', 'e', 'd', 0x00, 0x00,
	};
	/* imports kiln.fuel_exhausted as a global */
	static const uint8_t badkind[] = {
		HDR,
		0x02, 0x18, 0x01, 0x04, 'k', 'i', 'l', 'n', 0x0e, 'f', 'u', 'e', 'l', '_', 'e', 'x',
		'h', 'a', 'u', 's', 't', 'e', 'd', 0x03, 0x7f, 0x00,
	};
	/* imports kiln.fuel_trap as [] -> [] */
	static const uint8_t badtrap[] = {
		HDR,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x02, 0x12, 0x01, 0x04, 'k', 'i', 'l', 'n', 0x09, 'f', 'u', 'e', 'l', '_', 't', 'r',
		'a', 'p', 0x00, 0x00,
	};
	check_refused_unchanged(twice, sizeof twice, "already exports \"__kiln_fuel\"");
	check_refused_unchanged(badtype, sizeof badtype, "must be a function of type [] -> []");
	check_refused_unchanged(badkind, sizeof badkind, "must be a function of type [] -> []");
	check_refused_unchanged(badtrap, sizeof badtrap,
				"\"kiln\".\"fuel_trap\" (import 0) must be a function of type "
				"[i64] -> []");
}

/* A name section that does not parse is kept as it is. */
static void test_bad_name_section_kept(void)
{
	static const uint8_t mod[] = {
		HDR,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
		0x00, 0x08, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x09, 0x01,
	};
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(mod, sizeof mod, "n.wasm", &m, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_fuel_instrument(m, &err), KILN_OK);
	CU_ASSERT_EQUAL(m->customs[0].payload.len, 3);
	CU_ASSERT_EQUAL(memcmp(m->customs[0].payload.data, "\x01\x09\x01", 3), 0);
	CU_ASSERT_EQUAL(m->nowned, 0);
	kiln_wasm_free(m);
}

/* Function names are renumbered even when the label names next to them
 * have a layout kiln does not know: those bytes are kept. */
static void test_odd_label_names_kept(void)
{
	static const uint8_t mod[] = {
		HDR,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
		0x00, 0x0f, 0x04, 'n', 'a', 'm', 'e',
		0x01, 0x04, 0x01, 0x00, 0x01, 'f',
		0x03, 0x02, 0xff, 0xff,
	};
	/* function 0 became 2: two imports were added */
	static const uint8_t want[] = {0x01, 0x04, 0x01, 0x02, 0x01, 'f', 0x03, 0x02, 0xff, 0xff};
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_read(mod, sizeof mod, "l.wasm", &m, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_fuel_instrument(m, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(m->customs[0].payload.len, sizeof want);
	CU_ASSERT_EQUAL(memcmp(m->customs[0].payload.data, want, sizeof want), 0);
	kiln_wasm_free(m);
}

/* Instrumenting twice is refused; the first result is intact. */
static void test_second_pass_refused(void)
{
	struct kiln_wasm_module *m = instrumented(FIXTURES "/all_ops.wasm");
	struct kiln_err err;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_fuel_instrument(m, &err), KILN_EINVALID);
	kiln_wasm_free(m);
}

/* tests/wasm/fuel_loops.wat: one loop shape per function, in order. */
enum { TAIL_CONST, TAIL_STEP4, HEAD_EQZ, DYNAMIC, EARLY_EXIT, IVAR_WRITTEN, BOUND_WRITTEN,
       TWO_BACKEDGES, STEPS_OVER, CALLS_IN, NESTED, HUGE, DOWN, HEAD_IF_EXIT, CALL_AFTER_BACK,
       NLOOPFUNCS };

static enum kiln_fuel_loop_kind loop_kind(const struct kiln_wasm_module *m, uint32_t func,
					  uint32_t which, uint64_t *trips)
{
	struct kiln_fuel_loop l[2];
	uint32_t nloops = 0;
	const struct kiln_wasm_expr *e = &m->bodies[func].code;
	for (uint32_t j = 0; j < e->ninsns; j++)
		nloops += e->insns[j].op == 0x03;
	CU_ASSERT_FATAL(nloops >= 1 && nloops <= 2 && which < nloops);
	CU_ASSERT_EQUAL_FATAL(kiln_fuel_loops(&m->bodies[func],
					      m->types[m->funcs[func]].nparams, l, nloops),
			      KILN_OK);
	if (trips != NULL)
		*trips = l[which].trips;
	return l[which].kind;
}

static void test_counted_loops_found(void)
{
	struct kiln_wasm_module *m = load(FIXTURES "/fuel_loops.wasm");
	uint64_t t = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(m->nfuncs, NLOOPFUNCS);
	CU_ASSERT_EQUAL(loop_kind(m, TAIL_CONST, 0, &t), KILN_FUEL_LOOP_STATIC);
	CU_ASSERT_EQUAL(t, 10);
	CU_ASSERT_EQUAL(loop_kind(m, TAIL_STEP4, 0, &t), KILN_FUEL_LOOP_STATIC);
	CU_ASSERT_EQUAL(t, 25);
	CU_ASSERT_EQUAL(loop_kind(m, HEAD_EQZ, 0, &t), KILN_FUEL_LOOP_STATIC);
	CU_ASSERT_EQUAL(t, 17);
	CU_ASSERT_EQUAL(loop_kind(m, DYNAMIC, 0, NULL), KILN_FUEL_LOOP_DYNAMIC);
	CU_ASSERT_EQUAL(loop_kind(m, DOWN, 0, NULL), KILN_FUEL_LOOP_DYNAMIC);
	CU_ASSERT_EQUAL(loop_kind(m, NESTED, 0, &t), KILN_FUEL_LOOP_STATIC);
	CU_ASSERT_EQUAL(t, 3);
	CU_ASSERT_EQUAL(loop_kind(m, NESTED, 1, &t), KILN_FUEL_LOOP_STATIC);
	CU_ASSERT_EQUAL(t, 4);
	/* each of these has something that makes the count unknowable */
	CU_ASSERT_EQUAL(loop_kind(m, EARLY_EXIT, 0, NULL), KILN_FUEL_LOOP_CHARGED);
	CU_ASSERT_EQUAL(loop_kind(m, IVAR_WRITTEN, 0, NULL), KILN_FUEL_LOOP_CHARGED);
	CU_ASSERT_EQUAL(loop_kind(m, BOUND_WRITTEN, 0, NULL), KILN_FUEL_LOOP_CHARGED);
	CU_ASSERT_EQUAL(loop_kind(m, TWO_BACKEDGES, 0, NULL), KILN_FUEL_LOOP_CHARGED);
	CU_ASSERT_EQUAL(loop_kind(m, STEPS_OVER, 0, NULL), KILN_FUEL_LOOP_CHARGED);
	CU_ASSERT_EQUAL(loop_kind(m, CALLS_IN, 0, NULL), KILN_FUEL_LOOP_CHARGED);
	CU_ASSERT_EQUAL(loop_kind(m, HEAD_IF_EXIT, 0, NULL), KILN_FUEL_LOOP_CHARGED);
	kiln_wasm_free(m);
}

static void test_counted_loop_charges(void)
{
	/* fuel_loops has no imports: fuel_exhausted is 0, fuel_trap 1 */
	struct kiln_wasm_module *m = instrumented(FIXTURES "/fuel_loops.wasm");
	const struct kiln_wasm_expr *e;
	int64_t c[4];
	bool mul = false;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* a constant loop is paid for by the entry charge, as if unrolled */
	CU_ASSERT_EQUAL_FATAL(charges_via(m, TAIL_CONST, 1, c, 4), 1);
	CU_ASSERT_EQUAL(c[0], 71);
	CU_ASSERT_EQUAL_FATAL(charges_via(m, TAIL_STEP4, 1, c, 4), 1);
	CU_ASSERT_EQUAL(c[0], 203);
	CU_ASSERT_EQUAL_FATAL(charges_via(m, HEAD_EQZ, 1, c, 4), 1);
	CU_ASSERT_EQUAL(c[0], 171);
	CU_ASSERT_EQUAL_FATAL(charges_via(m, NESTED, 1, c, 4), 1);
	CU_ASSERT_EQUAL(c[0], 115);
	/* past 2^40 the outer loop keeps its charge; the inner one is in it */
	CU_ASSERT_EQUAL_FATAL(charges_via(m, HUGE, 1, c, 4), 2);
	CU_ASSERT_EQUAL(c[0], 1);
	CU_ASSERT_EQUAL(c[1], 7340042);
	/* a dynamic one: the entry charge, then trips x 7 before the loop
	 * (an i64.mul by 7), none inside */
	CU_ASSERT_EQUAL(charges_via(m, DYNAMIC, 1, c, 4), 1);
	e = &m->bodies[DYNAMIC].code;
	for (uint32_t j = 1; j < e->ninsns; j++)
		if (e->insns[j].op == 0x7e && e->insns[j - 1].op == 0x42 &&
		    e->insns[j - 1].imm.i64 == 7)
			mul = true;
	CU_ASSERT_TRUE(mul);
	/* the others: entry and one charge per iteration */
	for (uint32_t f = EARLY_EXIT; f < CALLS_IN; f++)
		CU_ASSERT_EQUAL(charges_via(m, f, 1, c, 4), 2);
	/* but a loop whose every iteration calls a defined function passes
	 * its cost (8) to that call, whose entry charge checks it */
	CU_ASSERT_EQUAL(charges_via(m, CALLS_IN, 1, c, 4), 1);
	e = &m->bodies[CALLS_IN].code;
	mul = false;
	for (uint32_t j = 0; j + 4 < e->ninsns; j++)
		if (e->insns[j].op == 0x20 && e->insns[j].imm.index == 1 &&
		    e->insns[j + 1].op == 0x42 && e->insns[j + 1].imm.i64 == 8 &&
		    e->insns[j + 2].op == 0x7d && e->insns[j + 3].op == 0x10 &&
		    e->insns[j + 3].imm.index == 2 + TAIL_CONST && e->insns[j + 4].op == 0x21)
			mul = true;
	CU_ASSERT_TRUE(mul);
	/* not when a branch back to the head comes before the call */
	CU_ASSERT_EQUAL(charges_via(m, CALL_AFTER_BACK, 1, c, 4), 2);
	CU_ASSERT_EQUAL(charges_via(m, HEAD_IF_EXIT, 1, c, 4), 2);
	kiln_wasm_free(m);
}

static void test_loop_trips(void)
{
	enum { NE = 0x47, LT_S = 0x48, LT_U = 0x49, GT_S = 0x4a, GT_U = 0x4b };
	/* v1 is the first value tested; the count includes the failing test */
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(NE, 1, 1, 10), 10);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(NE, 1, 0, 0), 1);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(NE, 1, 5, 3), UINT64_C(4294967295));
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(NE, -1, 9, 0), 10);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(LT_U, 1, 10, 5), 1);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(LT_U, 1, 0, 5), 6);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(LT_S, 1, (uint32_t)-3, 2), 6);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(LT_U, 1, (uint32_t)-3, 2), 1);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(GT_U, -1, 5, 0), 6);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(GT_S, -1, 2, (uint32_t)-2), 5);
	/* a test that the step can never make fail */
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(LT_U, -1, 0, 5), 0);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(GT_S, 1, 0, 5), 0);
	/* larger steps: exact, or 0 when the value would wrap or skip */
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(NE, 4, 0, 64), 17);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(NE, 4, 0, 10), 0);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(NE, -4, 64, 0), 17);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(LT_U, 4, 7, 100), 25);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(LT_U, 8, 0xfffffff0u, 0xffffffffu), 0);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(GT_S, -2, 10, 1), 6);
	CU_ASSERT_EQUAL(kiln_fuel_loop_trips(GT_S, -8, (uint32_t)INT32_MIN + 4, (uint32_t)INT32_MIN), 0);
}

void kiln_test_fuel(void)
{
	CU_pSuite s = CU_add_suite("fuel", NULL, NULL);
	CU_add_test(s, "static costs", test_static_costs);
	CU_add_test(s, "added import, global, export", test_added_entities);
	CU_add_test(s, "counter threaded through calls and returns", test_counter_threaded);
	CU_add_test(s, "renumbering", test_renumbering);
	CU_add_test(s, "wrappers", test_wrappers);
	CU_add_test(s, "name section renumbered", test_name_section);
	CU_add_test(s, "output validates", test_output_validates);
	CU_add_test(s, "type and import added", test_type_and_import_added);
	CU_add_test(s, "existing import reused", test_existing_import_reused);
	CU_add_test(s, "refusals leave the module unchanged", test_refusals);
	CU_add_test(s, "bad name section kept", test_bad_name_section_kept);
	CU_add_test(s, "odd label names kept", test_odd_label_names_kept);
	CU_add_test(s, "second pass refused", test_second_pass_refused);
	CU_add_test(s, "counted loops found", test_counted_loops_found);
	CU_add_test(s, "counted loops paid at entry", test_counted_loop_charges);
	CU_add_test(s, "trip counts", test_loop_trips);
}
