/*
 * wasm_compare.c — structural equality of two modules, for the round-trip
 * checks of tests and the fuzzer: read -> write -> read must give back
 * the same module.  Compares decoded content, never pointers or offsets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wasm_impl.h"

struct cmp {
	char *where;
	size_t len;
	bool same;
};

static __attribute__((format(printf, 2, 3))) bool differ(struct cmp *c, const char *fmt, ...)
{
	if (c->same && c->where != NULL && c->len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->where, c->len, fmt, ap);
		va_end(ap);
	}
	c->same = false;
	return false;
}

static bool bytes_eq(struct kiln_wasm_bytes a, struct kiln_wasm_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool limits_eq(const struct kiln_wasm_limits *a, const struct kiln_wasm_limits *b)
{
	return a->min == b->min && a->has_max == b->has_max && (!a->has_max || a->max == b->max);
}

static bool insn_eq(const struct kiln_wasm_insn *a, const uint32_t *aside,
		    const struct kiln_wasm_insn *b, const uint32_t *bside)
{
	const struct kiln_wasm_opinfo *info;
	if (a->op != b->op)
		return false;
	info = kiln_wasm_opinfo(a->op);
	if (info == NULL)
		return false;
	switch ((enum kiln_wasm_imm)info->imm) {
	case KILN_IMM_NONE:
		return true;
	case KILN_IMM_BLOCK:
		return a->imm.block == b->imm.block;
	case KILN_IMM_LABEL:
	case KILN_IMM_FUNC:
	case KILN_IMM_LOCAL:
	case KILN_IMM_GLOBAL:
	case KILN_IMM_TABLE:
	case KILN_IMM_MEMORY:
	case KILN_IMM_DATA:
	case KILN_IMM_ELEM:
	case KILN_IMM_REFTYPE:
		return a->imm.index == b->imm.index;
	case KILN_IMM_CALL_INDIRECT:
	case KILN_IMM_TABLE_INIT:
	case KILN_IMM_TABLE_COPY:
	case KILN_IMM_MEMORY_INIT:
	case KILN_IMM_MEMORY_COPY:
		return a->imm.pair.a == b->imm.pair.a && a->imm.pair.b == b->imm.pair.b;
	case KILN_IMM_MEMARG:
		return a->imm.mem.align == b->imm.mem.align &&
		       a->imm.mem.offset == b->imm.mem.offset;
	case KILN_IMM_I32:
	case KILN_IMM_I64:
		return a->imm.i64 == b->imm.i64;
	case KILN_IMM_F32:
	case KILN_IMM_F64:
		return a->imm.bits == b->imm.bits;
	case KILN_IMM_BR_TABLE:
	case KILN_IMM_SELECT_T: {
		uint64_t n = a->imm.list.count + (info->imm == KILN_IMM_BR_TABLE ? 1 : 0);
		if (a->imm.list.count != b->imm.list.count)
			return false;
		for (uint64_t i = 0; i < n; i++)
			if (aside[a->imm.list.first + i] != bside[b->imm.list.first + i])
				return false;
		return true;
	}
	}
	return false;
}

static bool expr_eq(struct cmp *c, const char *what, uint32_t idx, const struct kiln_wasm_expr *a,
		    const uint32_t *aside, const struct kiln_wasm_expr *b, const uint32_t *bside)
{
	if (a->ninsns != b->ninsns)
		return differ(c, "%s %u: %u instructions vs %u", what, idx, a->ninsns, b->ninsns);
	for (uint32_t i = 0; i < a->ninsns; i++)
		if (!insn_eq(&a->insns[i], aside, &b->insns[i], bside))
			return differ(c, "%s %u: instruction %u (%s vs %s) differs", what, idx, i,
				      kiln_wasm_opcode_name(a->insns[i].op),
				      kiln_wasm_opcode_name(b->insns[i].op));
	return true;
}

static bool types_eq(struct cmp *c, const struct kiln_wasm_module *a,
		     const struct kiln_wasm_module *b)
{
	if (a->ntypes != b->ntypes)
		return differ(c, "type count %u vs %u", a->ntypes, b->ntypes);
	for (uint32_t i = 0; i < a->ntypes; i++) {
		const struct kiln_wasm_functype *x = &a->types[i], *y = &b->types[i];
		if (x->nparams != y->nparams || x->nresults != y->nresults ||
		    memcmp(x->types, y->types, (size_t)x->nparams + x->nresults) != 0)
			return differ(c, "type %u differs", i);
	}
	return true;
}

static bool imports_eq(struct cmp *c, const struct kiln_wasm_module *a,
		       const struct kiln_wasm_module *b)
{
	if (a->nimports != b->nimports || a->nimported_funcs != b->nimported_funcs ||
	    a->nimported_tables != b->nimported_tables || a->nimported_mems != b->nimported_mems ||
	    a->nimported_globals != b->nimported_globals)
		return differ(c, "import counts differ (%u vs %u)", a->nimports, b->nimports);
	for (uint32_t i = 0; i < a->nimports; i++) {
		const struct kiln_wasm_import *x = &a->imports[i], *y = &b->imports[i];
		bool same = bytes_eq(x->module, y->module) && bytes_eq(x->name, y->name) &&
			    x->kind == y->kind;
		if (same) {
			switch (x->kind) {
			case KILN_WASM_KIND_FUNC:
				same = x->desc.type_index == y->desc.type_index;
				break;
			case KILN_WASM_KIND_TABLE:
				same = x->desc.table.reftype == y->desc.table.reftype &&
				       limits_eq(&x->desc.table.limits, &y->desc.table.limits);
				break;
			case KILN_WASM_KIND_MEMORY:
				same = limits_eq(&x->desc.memory, &y->desc.memory);
				break;
			case KILN_WASM_KIND_GLOBAL:
				same = x->desc.global.valtype == y->desc.global.valtype &&
				       x->desc.global.mut == y->desc.global.mut;
				break;
			}
		}
		if (!same)
			return differ(c, "import %u differs", i);
	}
	return true;
}

static bool elems_eq(struct cmp *c, const struct kiln_wasm_module *a,
		     const struct kiln_wasm_module *b)
{
	if (a->nelems != b->nelems)
		return differ(c, "element segment count %u vs %u", a->nelems, b->nelems);
	for (uint32_t i = 0; i < a->nelems; i++) {
		const struct kiln_wasm_elem *x = &a->elems[i], *y = &b->elems[i];
		if (x->flags != y->flags || x->mode != y->mode || x->reftype != y->reftype ||
		    x->uses_exprs != y->uses_exprs || x->count != y->count ||
		    (x->mode == KILN_WASM_SEG_ACTIVE && x->table != y->table))
			return differ(c, "element segment %u differs", i);
		if (x->mode == KILN_WASM_SEG_ACTIVE &&
		    !expr_eq(c, "element offset", i, &x->offset, NULL, &y->offset, NULL))
			return false;
		for (uint32_t k = 0; k < x->count; k++) {
			if (x->uses_exprs) {
				if (!expr_eq(c, "element item", k, &x->exprs[k], NULL, &y->exprs[k],
					     NULL))
					return false;
			} else if (x->funcs[k] != y->funcs[k]) {
				return differ(c, "element segment %u item %u: %u vs %u", i, k,
					      x->funcs[k], y->funcs[k]);
			}
		}
	}
	return true;
}

static bool bodies_eq(struct cmp *c, const struct kiln_wasm_module *a,
		      const struct kiln_wasm_module *b)
{
	if (a->nbodies != b->nbodies)
		return differ(c, "body count %u vs %u", a->nbodies, b->nbodies);
	for (uint32_t i = 0; i < a->nbodies; i++) {
		const struct kiln_wasm_body *x = &a->bodies[i], *y = &b->bodies[i];
		if (x->nlocal_groups != y->nlocal_groups)
			return differ(c, "body %u: local groups %u vs %u", i, x->nlocal_groups,
				      y->nlocal_groups);
		for (uint32_t k = 0; k < x->nlocal_groups; k++)
			if (x->locals[k].count != y->locals[k].count ||
			    x->locals[k].type != y->locals[k].type)
				return differ(c, "body %u: local group %u differs", i, k);
		if (!expr_eq(c, "body", i, &x->code, x->side, &y->code, y->side))
			return false;
	}
	return true;
}

bool kiln_wasm_compare(const struct kiln_wasm_module *a, const struct kiln_wasm_module *b,
		       char *where, size_t wherelen)
{
	struct cmp c = {where, wherelen, true};

	if (where != NULL && wherelen > 0)
		where[0] = '\0';
	if (!types_eq(&c, a, b) || !imports_eq(&c, a, b))
		return false;
	if (a->nfuncs != b->nfuncs ||
	    (a->nfuncs && memcmp(a->funcs, b->funcs, sizeof *a->funcs * a->nfuncs) != 0))
		return differ(&c, "function section differs");
	if (a->ntables != b->ntables)
		return differ(&c, "table count %u vs %u", a->ntables, b->ntables);
	for (uint32_t i = 0; i < a->ntables; i++)
		if (a->tables[i].reftype != b->tables[i].reftype ||
		    !limits_eq(&a->tables[i].limits, &b->tables[i].limits))
			return differ(&c, "table %u differs", i);
	if (a->nmems != b->nmems)
		return differ(&c, "memory count %u vs %u", a->nmems, b->nmems);
	for (uint32_t i = 0; i < a->nmems; i++)
		if (!limits_eq(&a->mems[i], &b->mems[i]))
			return differ(&c, "memory %u differs", i);
	if (a->nglobals != b->nglobals)
		return differ(&c, "global count %u vs %u", a->nglobals, b->nglobals);
	for (uint32_t i = 0; i < a->nglobals; i++) {
		if (a->globals[i].type.valtype != b->globals[i].type.valtype ||
		    a->globals[i].type.mut != b->globals[i].type.mut)
			return differ(&c, "global %u type differs", i);
		if (!expr_eq(&c, "global", i, &a->globals[i].init, NULL, &b->globals[i].init, NULL))
			return false;
	}
	if (a->nexports != b->nexports)
		return differ(&c, "export count %u vs %u", a->nexports, b->nexports);
	for (uint32_t i = 0; i < a->nexports; i++)
		if (!bytes_eq(a->exports[i].name, b->exports[i].name) ||
		    a->exports[i].kind != b->exports[i].kind ||
		    a->exports[i].index != b->exports[i].index)
			return differ(&c, "export %u differs", i);
	if (a->has_start != b->has_start || (a->has_start && a->start != b->start))
		return differ(&c, "start function differs");
	if (!elems_eq(&c, a, b))
		return false;
	if (a->has_datacount != b->has_datacount ||
	    (a->has_datacount && a->datacount != b->datacount))
		return differ(&c, "datacount differs");
	if (!bodies_eq(&c, a, b))
		return false;
	if (a->ndatas != b->ndatas)
		return differ(&c, "data segment count %u vs %u", a->ndatas, b->ndatas);
	for (uint32_t i = 0; i < a->ndatas; i++) {
		const struct kiln_wasm_data *x = &a->datas[i], *y = &b->datas[i];
		if (x->flags != y->flags || x->mode != y->mode || x->memory != y->memory ||
		    !bytes_eq(x->bytes, y->bytes))
			return differ(&c, "data segment %u differs", i);
		if (x->mode == KILN_WASM_SEG_ACTIVE &&
		    !expr_eq(&c, "data offset", i, &x->offset, NULL, &y->offset, NULL))
			return false;
	}
	if (a->ncustoms != b->ncustoms)
		return differ(&c, "custom section count %u vs %u", a->ncustoms, b->ncustoms);
	for (uint32_t i = 0; i < a->ncustoms; i++)
		if (!bytes_eq(a->customs[i].name, b->customs[i].name) ||
		    !bytes_eq(a->customs[i].payload, b->customs[i].payload) ||
		    a->customs[i].after != b->customs[i].after)
			return differ(&c, "custom section %u differs", i);
	if (a->present != b->present)
		return differ(&c, "section sets differ (0x%x vs 0x%x)", a->present, b->present);
	return true;
}
