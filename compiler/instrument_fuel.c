/*
 * instrument_fuel.c — the fuel pass (see kiln_fuel_instrument in
 * kiln_compiler.h).
 *
 * Every instruction is paid for at the head of its innermost enclosing
 * loop, or at function entry when no loop encloses it.  `end` and `else`
 * are markers, not instructions, and cost nothing; a charge is at least 1.
 * A charge is
 *
 *     global.get $fuel  i64.const COST  i64.sub  global.set $fuel
 *     global.get $fuel  i64.const 0  i64.lt_s  if  call $fuel_exhausted  end
 *
 * which wasm2c turns into a subtract, a store and a predicted-not-taken
 * branch (the second global.get reads back what was just stored; gcc -O2
 * folds it).  The charge is self-contained and stack-neutral, so label
 * depths and loop parameters are untouched.
 *
 * Adding the import shifts every defined function's index by one; every
 * place that names a function is rewritten.  The pass builds all new
 * arrays before touching the module, so on failure the module is as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "kiln_compiler.h"
#include "wasm_impl.h"

#define CHARGE_INSNS 10

struct fuel {
	struct kiln_wasm_module *m;
	struct kiln_err *err;
	bool add_import;     /* false when the module already imports it */
	uint32_t old_nimp;   /* imported functions before the pass */
	uint32_t fe_func;    /* function index of fuel_exhausted, after */
	uint32_t fuel_global;
	uint32_t void_type;
	bool add_type;

	/* built before committing */
	struct kiln_wasm_functype *types;
	struct kiln_wasm_import *imports;
	struct kiln_wasm_global *globals;
	struct kiln_wasm_export *exports;
	struct kiln_wasm_insn **codes; /* per body */
	uint32_t *ncodes;
	uint8_t **names; /* per custom section: new "name" payload or NULL */
	uint32_t *nnames;
};

static uint32_t remap(const struct fuel *f, uint32_t func)
{
	return f->add_import && func >= f->old_nimp ? func + 1 : func;
}

static bool bytes_is(struct kiln_wasm_bytes b, const char *s)
{
	size_t n = strlen(s);
	return b.len == n && memcmp(b.data, s, n) == 0;
}

static void charge(struct kiln_wasm_insn *out, uint64_t cost, uint32_t fuel, uint32_t fe)
{
	memset(out, 0, sizeof *out * CHARGE_INSNS);
	out[0].op = 0x23; /* global.get */
	out[0].imm.index = fuel;
	out[1].op = 0x42; /* i64.const */
	out[1].imm.i64 = (int64_t)cost;
	out[2].op = 0x7d; /* i64.sub */
	out[3].op = 0x24; /* global.set */
	out[3].imm.index = fuel;
	out[4].op = 0x23;
	out[4].imm.index = fuel;
	out[5].op = 0x42;
	out[5].imm.i64 = 0;
	out[6].op = 0x53; /* i64.lt_s */
	out[7].op = 0x04; /* if */
	out[7].imm.block = KILN_WASM_BLOCK_EMPTY;
	out[8].op = 0x10; /* call */
	out[8].imm.index = fe;
	out[9].op = KILN_WASM_OP_END;
}

/*
 * Instrument one body into a new instruction array.  First pass: the cost
 * of each charge point (0 = entry, then one per loop in order); second
 * pass: copy, inserting charges and renumbering function references.
 */
static int instrument_body(struct fuel *f, const struct kiln_wasm_body *body,
			   struct kiln_wasm_insn **out, uint32_t *nout)
{
	const struct kiln_wasm_expr *e = &body->code;
	uint64_t *cost = NULL;
	uint32_t *stack = NULL; /* per open block: its charge point */
	uint32_t nloops = 0, depth = 0, cur = 0, k;
	uint64_t total;
	struct kiln_wasm_insn *code = NULL;
	int rc = KILN_OK;

	for (uint32_t i = 0; i < e->ninsns; i++)
		if (e->insns[i].op == 0x03)
			nloops++;
	total = (uint64_t)e->ninsns + (uint64_t)CHARGE_INSNS * (nloops + 1);
	if (total > UINT32_MAX) {
		rc = kiln_err_set(f->err, KILN_ELIMIT, "%s: function too large to instrument",
				  f->m->name);
		goto out;
	}
	cost = calloc((size_t)nloops + 1, sizeof *cost);
	stack = malloc(sizeof *stack * ((size_t)e->ninsns + 1));
	code = malloc(sizeof *code * (size_t)total);
	if (cost == NULL || stack == NULL || code == NULL) {
		rc = kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", f->m->name);
		goto out;
	}

	/* costs: blocks and ifs inherit the enclosing charge point */
	k = 0;
	for (uint32_t i = 0; i < e->ninsns; i++) {
		uint16_t op = e->insns[i].op;
		if (op == KILN_WASM_OP_END) {
			if (depth > 0)
				cur = stack[--depth];
			continue;
		}
		if (op == 0x05)
			continue;
		cost[cur]++;
		if (op == 0x02 || op == 0x04) {
			stack[depth++] = cur;
		} else if (op == 0x03) {
			stack[depth++] = cur;
			cur = ++k;
		}
	}

	/* copy with charges: entry first, then after each loop instruction */
	*nout = 0;
	charge(code, cost[0] ? cost[0] : 1, f->fuel_global, f->fe_func);
	*nout = CHARGE_INSNS;
	k = 0;
	for (uint32_t i = 0; i < e->ninsns; i++) {
		struct kiln_wasm_insn *in = &code[(*nout)++];
		*in = e->insns[i];
		if (in->op == 0x10 || in->op == 0xd2)
			in->imm.index = remap(f, in->imm.index);
		if (in->op == 0x03) {
			k++;
			charge(&code[*nout], cost[k] ? cost[k] : 1, f->fuel_global, f->fe_func);
			*nout += CHARGE_INSNS;
		}
	}
	*out = code;
	code = NULL;
out:
	free(cost);
	free(stack);
	free(code);
	return rc;
}

/* ---- the "name" custom section -------------------------------------- */

struct nrd {
	const uint8_t *p;
	size_t pos, end;
	bool bad;
};

static uint32_t n_u32(struct nrd *r)
{
	uint64_t v = 0;
	if (r->bad || kiln_leb_read(r->p, r->end, &r->pos, 32, false, &v, NULL) != KILN_LEB_OK)
		r->bad = true;
	return (uint32_t)v;
}

/* Copy one name (length + bytes) from @r to @w. */
static void n_name(struct nrd *r, struct kiln_wbuf *w)
{
	uint32_t len = n_u32(r);
	if (r->bad || len > r->end - r->pos) {
		r->bad = true;
		return;
	}
	kiln_wbuf_u32(w, len);
	kiln_wbuf_bytes(w, r->p + r->pos, len);
	r->pos += len;
}

/* namemap: vec(index name), remapping the index when @funcs. */
static void n_namemap(const struct fuel *f, struct nrd *r, struct kiln_wbuf *w, bool funcs)
{
	uint32_t n = n_u32(r);
	kiln_wbuf_u32(w, n);
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		uint32_t idx = n_u32(r);
		kiln_wbuf_u32(w, funcs ? remap(f, idx) : idx);
		n_name(r, w);
	}
}

/*
 * Rewrite a "name" section's function indices: subsections 1 (function
 * names), 2 (local names) and 3 (label names) are keyed by function
 * index; the others are copied as they are, and so is a label subsection
 * of another layout.  A section whose function or local names do not parse
 * is left alone (wasm2c judges it as before): *@out stays NULL.
 */
static int rename_section(const struct fuel *f, const struct kiln_wasm_custom *c, uint8_t **out,
			  uint32_t *outlen)
{
	struct nrd r = {c->payload.data, 0, c->payload.len, false};
	struct kiln_wbuf w = {0}, sub = {0};
	int rc = KILN_OK;

	*out = NULL;
	while (r.pos < r.end && !r.bad) {
		uint8_t id = r.p[r.pos++];
		uint32_t size = n_u32(&r);
		struct nrd s;
		if (r.bad || size > r.end - r.pos) {
			r.bad = true;
			break;
		}
		s.p = r.p;
		s.pos = r.pos;
		s.end = r.pos + size;
		s.bad = false;
		sub.len = 0;
		if (id == 1) {
			n_namemap(f, &s, &sub, true);
		} else if (id == 2 || id == 3) {
			uint32_t n = n_u32(&s);
			kiln_wbuf_u32(&sub, n);
			for (uint32_t i = 0; i < n && !s.bad; i++) {
				kiln_wbuf_u32(&sub, remap(f, n_u32(&s)));
				n_namemap(f, &s, &sub, false);
			}
		} else {
			kiln_wbuf_bytes(&sub, s.p + s.pos, size);
			s.pos = s.end;
		}
		if (id == 3 && (s.bad || s.pos != s.end)) {
			/* label names were never standardised; a producer that
			 * laid them out differently keeps its bytes */
			sub.len = 0;
			kiln_wbuf_bytes(&sub, r.p + r.pos, size);
			s.bad = false;
			s.pos = s.end;
		}
		if (s.bad || s.pos != s.end) {
			r.bad = true;
			break;
		}
		kiln_wbuf_byte(&w, id);
		kiln_wbuf_u32(&w, (uint32_t)sub.len);
		kiln_wbuf_bytes(&w, sub.p, sub.len);
		if (sub.oom)
			w.oom = true;
		r.pos = s.end;
	}
	if (w.oom) {
		rc = kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", f->m->name);
	} else if (!r.bad && w.len <= UINT32_MAX) {
		/* an empty result still needs a non-NULL block to own */
		*out = w.p != NULL ? w.p : malloc(1);
		*outlen = (uint32_t)w.len;
		if (*out == NULL)
			rc = kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", f->m->name);
		w.p = NULL;
	}
	kiln_wbuf_release(&w);
	kiln_wbuf_release(&sub);
	return rc;
}

/* ---- the pass --------------------------------------------------------- */

static int check_and_plan(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;
	uint32_t func = 0;

	for (uint32_t i = 0; i < m->nexports; i++)
		if (bytes_is(m->exports[i].name, KILN_FUEL_EXPORT))
			return kiln_err_set(f->err, KILN_EINVALID,
					    "%s: the module already exports \"%s\"; was it "
					    "instrumented twice?",
					    m->name, KILN_FUEL_EXPORT);
	f->add_import = true;
	f->old_nimp = m->nimported_funcs;
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct kiln_wasm_import *im = &m->imports[i];
		if (bytes_is(im->module, KILN_HOST_MODULE) &&
		    bytes_is(im->name, KILN_FUEL_EXHAUSTED)) {
			const struct kiln_wasm_functype *t =
				im->kind == KILN_WASM_KIND_FUNC && im->desc.type_index < m->ntypes
					? &m->types[im->desc.type_index]
					: NULL;
			if (t == NULL || t->nparams != 0 || t->nresults != 0)
				return kiln_err_set(f->err, KILN_EINVALID,
						    "%s: import \"%s\".\"%s\" (import %u) must be a "
						    "function of type [] -> []",
						    m->name, KILN_HOST_MODULE, KILN_FUEL_EXHAUSTED, i);
			if (f->add_import) {
				f->add_import = false;
				f->fe_func = func;
			}
		}
		if (im->kind == KILN_WASM_KIND_FUNC)
			func++;
	}
	if (f->add_import) {
		if ((uint64_t)m->nimported_funcs + m->nfuncs + 1 > KILN_WASM_MAX_FUNCS ||
		    m->nimports + 1 > KILN_WASM_MAX_IMPORTS)
			return kiln_err_set(f->err, KILN_ELIMIT,
					    "%s: no room for the fuel import", m->name);
		f->fe_func = m->nimported_funcs;
	}
	if ((uint64_t)m->nimported_globals + m->nglobals + 1 > KILN_WASM_MAX_GLOBALS ||
	    m->nexports + 1 > KILN_WASM_MAX_EXPORTS)
		return kiln_err_set(f->err, KILN_ELIMIT, "%s: no room for the fuel global",
				    m->name);
	f->fuel_global = m->nimported_globals + m->nglobals;
	f->add_type = true;
	for (uint32_t i = 0; i < m->ntypes; i++) {
		if (m->types[i].nparams == 0 && m->types[i].nresults == 0) {
			f->void_type = i;
			f->add_type = false;
			break;
		}
	}
	if (f->add_type) {
		if (m->ntypes + 1 > KILN_WASM_MAX_TYPES)
			return kiln_err_set(f->err, KILN_ELIMIT, "%s: no room for a [] -> [] type",
					    m->name);
		f->void_type = m->ntypes;
	}
	return KILN_OK;
}

static int build(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;
	struct kiln_wasm_global *g;
	struct kiln_wasm_export *ex;
	int rc;

	if (f->add_type) {
		f->types = malloc(sizeof *f->types * ((size_t)m->ntypes + 1));
		if (f->types == NULL)
			goto oom;
		if (m->ntypes)
			memcpy(f->types, m->types, sizeof *f->types * m->ntypes);
		f->types[m->ntypes].nparams = 0;
		f->types[m->ntypes].nresults = 0;
		f->types[m->ntypes].types = malloc(1);
		if (f->types[m->ntypes].types == NULL)
			goto oom;
	}
	if (f->add_import) {
		struct kiln_wasm_import *im;
		f->imports = malloc(sizeof *f->imports * ((size_t)m->nimports + 1));
		if (f->imports == NULL)
			goto oom;
		if (m->nimports)
			memcpy(f->imports, m->imports, sizeof *f->imports * m->nimports);
		im = &f->imports[m->nimports];
		memset(im, 0, sizeof *im);
		/* static strings: byte strings are never freed one by one */
		im->module.data = (const uint8_t *)KILN_HOST_MODULE;
		im->module.len = (uint32_t)strlen(KILN_HOST_MODULE);
		im->name.data = (const uint8_t *)KILN_FUEL_EXHAUSTED;
		im->name.len = (uint32_t)strlen(KILN_FUEL_EXHAUSTED);
		im->kind = KILN_WASM_KIND_FUNC;
		im->desc.type_index = f->void_type;
	}
	f->globals = malloc(sizeof *f->globals * ((size_t)m->nglobals + 1));
	if (f->globals == NULL)
		goto oom;
	if (m->nglobals)
		memcpy(f->globals, m->globals, sizeof *f->globals * m->nglobals);
	g = &f->globals[m->nglobals];
	memset(g, 0, sizeof *g);
	g->type.valtype = KILN_WASM_I64;
	g->type.mut = true;
	g->init.insns = calloc(2, sizeof *g->init.insns);
	if (g->init.insns == NULL)
		goto oom;
	g->init.ninsns = 2;
	g->init.insns[0].op = 0x42;
	g->init.insns[0].imm.i64 = 0;
	g->init.insns[1].op = KILN_WASM_OP_END;

	f->exports = malloc(sizeof *f->exports * ((size_t)m->nexports + 1));
	if (f->exports == NULL)
		goto oom;
	if (m->nexports)
		memcpy(f->exports, m->exports, sizeof *f->exports * m->nexports);
	ex = &f->exports[m->nexports];
	ex->name.data = (const uint8_t *)KILN_FUEL_EXPORT;
	ex->name.len = (uint32_t)strlen(KILN_FUEL_EXPORT);
	ex->kind = KILN_WASM_KIND_GLOBAL;
	ex->index = f->fuel_global;

	f->codes = calloc(m->nbodies ? m->nbodies : 1, sizeof *f->codes);
	f->ncodes = calloc(m->nbodies ? m->nbodies : 1, sizeof *f->ncodes);
	if (f->codes == NULL || f->ncodes == NULL)
		goto oom;
	for (uint32_t i = 0; i < m->nbodies; i++)
		if ((rc = instrument_body(f, &m->bodies[i], &f->codes[i], &f->ncodes[i])) !=
		    KILN_OK)
			return rc;

	f->names = calloc(m->ncustoms ? m->ncustoms : 1, sizeof *f->names);
	f->nnames = calloc(m->ncustoms ? m->ncustoms : 1, sizeof *f->nnames);
	if (f->names == NULL || f->nnames == NULL)
		goto oom;
	for (uint32_t i = 0; f->add_import && i < m->ncustoms; i++)
		if (bytes_is(m->customs[i].name, "name") &&
		    (rc = rename_section(f, &m->customs[i], &f->names[i], &f->nnames[i])) !=
			    KILN_OK)
			return rc;
	/* the owned list must be able to take every new name block */
	for (uint32_t i = 0; i < m->ncustoms; i++) {
		void **p;
		if (f->names[i] == NULL)
			continue;
		p = realloc(m->owned, sizeof *m->owned * (m->nowned + m->ncustoms));
		if (p == NULL)
			goto oom;
		m->owned = p;
		break;
	}
	return KILN_OK;
oom:
	return kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", m->name);
}

static void release_plan(struct fuel *f, uint32_t nbodies, uint32_t ntypes, uint32_t ncustoms)
{
	if (f->types != NULL)
		free(f->types[ntypes].types);
	free(f->types);
	free(f->imports);
	if (f->globals != NULL)
		free(f->globals[f->m->nglobals].init.insns);
	free(f->globals);
	free(f->exports);
	for (uint32_t i = 0; f->codes != NULL && i < nbodies; i++)
		free(f->codes[i]);
	for (uint32_t i = 0; f->names != NULL && i < ncustoms; i++)
		free(f->names[i]);
}

static void renumber_expr(const struct fuel *f, struct kiln_wasm_expr *e)
{
	for (uint32_t i = 0; i < e->ninsns; i++)
		if (e->insns[i].op == 0xd2 || e->insns[i].op == 0x10)
			e->insns[i].imm.index = remap(f, e->insns[i].imm.index);
}

/* Point everything at the new arrays and renumber; cannot fail. */
static void commit(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;

	if (f->add_type) {
		free(m->types);
		m->types = f->types;
		m->ntypes++;
		m->present |= 1u << KILN_WASM_SEC_TYPE;
		f->types = NULL;
	}
	if (f->add_import) {
		free(m->imports);
		m->imports = f->imports;
		m->nimports++;
		m->nimported_funcs++;
		m->present |= 1u << KILN_WASM_SEC_IMPORT;
		f->imports = NULL;
	}
	free(m->globals);
	m->globals = f->globals;
	m->nglobals++;
	m->present |= 1u << KILN_WASM_SEC_GLOBAL;
	f->globals = NULL;
	free(m->exports);
	m->exports = f->exports;
	m->nexports++;
	m->present |= 1u << KILN_WASM_SEC_EXPORT;
	f->exports = NULL;

	for (uint32_t i = 0; i < m->nbodies; i++) {
		free(m->bodies[i].code.insns);
		m->bodies[i].code.insns = f->codes[i];
		m->bodies[i].code.ninsns = f->ncodes[i];
		f->codes[i] = NULL;
	}
	for (uint32_t i = 0; i < m->ncustoms; i++) {
		if (f->names[i] == NULL)
			continue;
		/* room was reserved in build() */
		m->owned[m->nowned++] = f->names[i];
		m->customs[i].payload.data = f->names[i];
		m->customs[i].payload.len = f->nnames[i];
		f->names[i] = NULL;
	}
	if (!f->add_import)
		return;
	for (uint32_t i = 0; i + 1 < m->nglobals; i++)
		renumber_expr(f, &m->globals[i].init);
	for (uint32_t i = 0; i + 1 < m->nexports; i++)
		if (m->exports[i].kind == KILN_WASM_KIND_FUNC)
			m->exports[i].index = remap(f, m->exports[i].index);
	if (m->has_start)
		m->start = remap(f, m->start);
	for (uint32_t i = 0; i < m->nelems; i++) {
		struct kiln_wasm_elem *el = &m->elems[i];
		if (el->mode == KILN_WASM_SEG_ACTIVE)
			renumber_expr(f, &el->offset);
		for (uint32_t k = 0; k < el->count; k++) {
			if (el->uses_exprs)
				renumber_expr(f, &el->exprs[k]);
			else
				el->funcs[k] = remap(f, el->funcs[k]);
		}
	}
	for (uint32_t i = 0; i < m->ndatas; i++)
		if (m->datas[i].mode == KILN_WASM_SEG_ACTIVE)
			renumber_expr(f, &m->datas[i].offset);
}

int kiln_fuel_instrument(struct kiln_wasm_module *m, struct kiln_err *err)
{
	struct fuel f;
	uint32_t nbodies = m->nbodies, ntypes = m->ntypes, ncustoms = m->ncustoms;
	int rc;

	memset(&f, 0, sizeof f);
	f.m = m;
	f.err = err;
	if ((rc = check_and_plan(&f)) != KILN_OK)
		goto out;
	if ((rc = build(&f)) != KILN_OK)
		goto out;
	commit(&f);
out:
	release_plan(&f, nbodies, ntypes, ncustoms);
	free(f.codes);
	free(f.ncodes);
	free(f.names);
	free(f.nnames);
	return rc;
}
