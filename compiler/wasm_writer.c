/*
 * wasm_writer.c — struct kiln_wasm_module -> binary.
 *
 * Canonical form: shortest LEB128 everywhere, sections in the standard
 * order, each element and data segment in the encoding variant (flags) it
 * was read with, custom sections byte for byte after the section they
 * followed.  So write(read(x)) == x for any x already in that form, and
 * write(read(write(read(x)))) == write(read(x)) for every x.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_impl.h"

/* The standard order; datacount (12) sits between element and code. */
static const uint8_t section_order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11};

static void wr_limits(struct kiln_wbuf *b, const struct kiln_wasm_limits *l)
{
	kiln_wbuf_byte(b, l->has_max ? 1 : 0);
	kiln_wbuf_u32(b, l->min);
	if (l->has_max)
		kiln_wbuf_u32(b, l->max);
}

static void wr_tabletype(struct kiln_wbuf *b, const struct kiln_wasm_tabletype *t)
{
	kiln_wbuf_byte(b, t->reftype);
	wr_limits(b, &t->limits);
}

static void wr_fixed(struct kiln_wbuf *b, uint64_t v, unsigned n)
{
	uint8_t tmp[8];
	for (unsigned i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	kiln_wbuf_bytes(b, tmp, n);
}

static void wr_insn(struct kiln_wbuf *b, const struct kiln_wasm_insn *in, const uint32_t *side)
{
	const struct kiln_wasm_opinfo *info = kiln_wasm_opinfo(in->op);

	if (in->op >= 0xfc00) {
		kiln_wbuf_byte(b, 0xfc);
		kiln_wbuf_u32(b, in->op & 0xff);
	} else {
		kiln_wbuf_byte(b, (uint8_t)in->op);
	}
	if (info == NULL) {
		/* kiln_wasm_write() checks every opcode before encoding */
		b->oom = true;
		return;
	}
	switch ((enum kiln_wasm_imm)info->imm) {
	case KILN_IMM_NONE:
		break;
	case KILN_IMM_BLOCK:
		kiln_wbuf_s64(b, in->imm.block);
		break;
	case KILN_IMM_LABEL:
	case KILN_IMM_FUNC:
	case KILN_IMM_LOCAL:
	case KILN_IMM_GLOBAL:
	case KILN_IMM_TABLE:
	case KILN_IMM_DATA:
	case KILN_IMM_ELEM:
		kiln_wbuf_u32(b, in->imm.index);
		break;
	case KILN_IMM_BR_TABLE:
		kiln_wbuf_u32(b, in->imm.list.count);
		for (uint64_t i = 0; i <= in->imm.list.count; i++)
			kiln_wbuf_u32(b, side[in->imm.list.first + i]);
		break;
	case KILN_IMM_CALL_INDIRECT:
	case KILN_IMM_TABLE_INIT:
	case KILN_IMM_TABLE_COPY:
		kiln_wbuf_u32(b, in->imm.pair.a);
		kiln_wbuf_u32(b, in->imm.pair.b);
		break;
	case KILN_IMM_MEMARG:
		kiln_wbuf_u32(b, in->imm.mem.align);
		kiln_wbuf_u32(b, in->imm.mem.offset);
		break;
	case KILN_IMM_MEMORY:
		kiln_wbuf_byte(b, (uint8_t)in->imm.index);
		break;
	case KILN_IMM_MEMORY_INIT:
		kiln_wbuf_u32(b, in->imm.pair.a);
		kiln_wbuf_byte(b, (uint8_t)in->imm.pair.b);
		break;
	case KILN_IMM_MEMORY_COPY:
		kiln_wbuf_byte(b, (uint8_t)in->imm.pair.a);
		kiln_wbuf_byte(b, (uint8_t)in->imm.pair.b);
		break;
	case KILN_IMM_I32:
		/* the value is kept sign-extended; its s64 form is its s32 form */
		kiln_wbuf_s64(b, (int32_t)in->imm.i64);
		break;
	case KILN_IMM_I64:
		kiln_wbuf_s64(b, in->imm.i64);
		break;
	case KILN_IMM_F32:
		wr_fixed(b, in->imm.bits, 4);
		break;
	case KILN_IMM_F64:
		wr_fixed(b, in->imm.bits, 8);
		break;
	case KILN_IMM_REFTYPE:
		kiln_wbuf_byte(b, (uint8_t)in->imm.index);
		break;
	case KILN_IMM_SELECT_T:
		kiln_wbuf_u32(b, in->imm.list.count);
		for (uint32_t i = 0; i < in->imm.list.count; i++)
			kiln_wbuf_byte(b, (uint8_t)side[in->imm.list.first + i]);
		break;
	}
}

void kiln_wasm_write_expr(struct kiln_wbuf *b, const struct kiln_wasm_expr *e,
			  const uint32_t *side)
{
	for (uint32_t i = 0; i < e->ninsns; i++)
		wr_insn(b, &e->insns[i], side);
}

/*
 * Whether an expression can be encoded: known opcodes, side-array ranges
 * inside @nside, and a final `end`.  A pass that built a bad expression
 * gets an error instead of a corrupt binary.
 */
static bool expr_ok(const struct kiln_wasm_expr *e, uint32_t nside)
{
	if (e->ninsns == 0 || e->insns[e->ninsns - 1].op != KILN_WASM_OP_END)
		return false;
	for (uint32_t i = 0; i < e->ninsns; i++) {
		const struct kiln_wasm_insn *in = &e->insns[i];
		const struct kiln_wasm_opinfo *info = kiln_wasm_opinfo(in->op);
		uint64_t need;
		if (info == NULL || info->feature != KILN_FEAT_CORE)
			return false;
		if (info->imm == KILN_IMM_BR_TABLE)
			need = (uint64_t)in->imm.list.first + in->imm.list.count + 1;
		else if (info->imm == KILN_IMM_SELECT_T)
			need = (uint64_t)in->imm.list.first + in->imm.list.count;
		else
			continue;
		if (need > nside)
			return false;
	}
	return true;
}

static bool emit_section(const struct kiln_wasm_module *m, unsigned id)
{
	if (id == KILN_WASM_SEC_START)
		return m->has_start;
	if (id == KILN_WASM_SEC_DATACOUNT)
		return m->has_datacount;
	if (m->present & (1u << id))
		return true;
	switch (id) {
	case KILN_WASM_SEC_TYPE: return m->ntypes > 0;
	case KILN_WASM_SEC_IMPORT: return m->nimports > 0;
	case KILN_WASM_SEC_FUNCTION: return m->nfuncs > 0;
	case KILN_WASM_SEC_TABLE: return m->ntables > 0;
	case KILN_WASM_SEC_MEMORY: return m->nmems > 0;
	case KILN_WASM_SEC_GLOBAL: return m->nglobals > 0;
	case KILN_WASM_SEC_EXPORT: return m->nexports > 0;
	case KILN_WASM_SEC_ELEMENT: return m->nelems > 0;
	case KILN_WASM_SEC_CODE: return m->nbodies > 0;
	case KILN_WASM_SEC_DATA: return m->ndatas > 0;
	}
	return false;
}

static void wr_elem(struct kiln_wbuf *b, const struct kiln_wasm_elem *el)
{
	kiln_wbuf_u32(b, el->flags);
	if (el->mode == KILN_WASM_SEG_ACTIVE) {
		if (el->flags & 2)
			kiln_wbuf_u32(b, el->table);
		kiln_wasm_write_expr(b, &el->offset, NULL);
	}
	if (el->flags != 0 && el->flags != 4)
		kiln_wbuf_byte(b, el->uses_exprs ? el->reftype : 0x00);
	kiln_wbuf_u32(b, el->count);
	for (uint32_t i = 0; i < el->count; i++) {
		if (el->uses_exprs)
			kiln_wasm_write_expr(b, &el->exprs[i], NULL);
		else
			kiln_wbuf_u32(b, el->funcs[i]);
	}
}

static void wr_body(struct kiln_wbuf *b, const struct kiln_wasm_body *body)
{
	kiln_wbuf_u32(b, body->nlocal_groups);
	for (uint32_t i = 0; i < body->nlocal_groups; i++) {
		kiln_wbuf_u32(b, body->locals[i].count);
		kiln_wbuf_byte(b, body->locals[i].type);
	}
	kiln_wasm_write_expr(b, &body->code, body->side);
}

/* The contents of section @id (without id and size). */
static void wr_section(const struct kiln_wasm_module *m, unsigned id, struct kiln_wbuf *s,
		       struct kiln_wbuf *tmp)
{
	switch (id) {
	case KILN_WASM_SEC_TYPE:
		kiln_wbuf_u32(s, m->ntypes);
		for (uint32_t i = 0; i < m->ntypes; i++) {
			const struct kiln_wasm_functype *t = &m->types[i];
			kiln_wbuf_byte(s, 0x60);
			kiln_wbuf_u32(s, t->nparams);
			kiln_wbuf_bytes(s, t->types, t->nparams);
			kiln_wbuf_u32(s, t->nresults);
			kiln_wbuf_bytes(s, t->types + t->nparams, t->nresults);
		}
		break;
	case KILN_WASM_SEC_IMPORT:
		kiln_wbuf_u32(s, m->nimports);
		for (uint32_t i = 0; i < m->nimports; i++) {
			const struct kiln_wasm_import *im = &m->imports[i];
			kiln_wbuf_name(s, im->module);
			kiln_wbuf_name(s, im->name);
			kiln_wbuf_byte(s, (uint8_t)im->kind);
			switch (im->kind) {
			case KILN_WASM_KIND_FUNC:
				kiln_wbuf_u32(s, im->desc.type_index);
				break;
			case KILN_WASM_KIND_TABLE:
				wr_tabletype(s, &im->desc.table);
				break;
			case KILN_WASM_KIND_MEMORY:
				wr_limits(s, &im->desc.memory);
				break;
			case KILN_WASM_KIND_GLOBAL:
				kiln_wbuf_byte(s, im->desc.global.valtype);
				kiln_wbuf_byte(s, im->desc.global.mut ? 1 : 0);
				break;
			}
		}
		break;
	case KILN_WASM_SEC_FUNCTION:
		kiln_wbuf_u32(s, m->nfuncs);
		for (uint32_t i = 0; i < m->nfuncs; i++)
			kiln_wbuf_u32(s, m->funcs[i]);
		break;
	case KILN_WASM_SEC_TABLE:
		kiln_wbuf_u32(s, m->ntables);
		for (uint32_t i = 0; i < m->ntables; i++)
			wr_tabletype(s, &m->tables[i]);
		break;
	case KILN_WASM_SEC_MEMORY:
		kiln_wbuf_u32(s, m->nmems);
		for (uint32_t i = 0; i < m->nmems; i++)
			wr_limits(s, &m->mems[i]);
		break;
	case KILN_WASM_SEC_GLOBAL:
		kiln_wbuf_u32(s, m->nglobals);
		for (uint32_t i = 0; i < m->nglobals; i++) {
			kiln_wbuf_byte(s, m->globals[i].type.valtype);
			kiln_wbuf_byte(s, m->globals[i].type.mut ? 1 : 0);
			kiln_wasm_write_expr(s, &m->globals[i].init, NULL);
		}
		break;
	case KILN_WASM_SEC_EXPORT:
		kiln_wbuf_u32(s, m->nexports);
		for (uint32_t i = 0; i < m->nexports; i++) {
			kiln_wbuf_name(s, m->exports[i].name);
			kiln_wbuf_byte(s, (uint8_t)m->exports[i].kind);
			kiln_wbuf_u32(s, m->exports[i].index);
		}
		break;
	case KILN_WASM_SEC_START:
		kiln_wbuf_u32(s, m->start);
		break;
	case KILN_WASM_SEC_ELEMENT:
		kiln_wbuf_u32(s, m->nelems);
		for (uint32_t i = 0; i < m->nelems; i++)
			wr_elem(s, &m->elems[i]);
		break;
	case KILN_WASM_SEC_DATACOUNT:
		kiln_wbuf_u32(s, m->datacount);
		break;
	case KILN_WASM_SEC_CODE:
		kiln_wbuf_u32(s, m->nbodies);
		for (uint32_t i = 0; i < m->nbodies; i++) {
			tmp->len = 0;
			wr_body(tmp, &m->bodies[i]);
			if (tmp->len > UINT32_MAX) {
				s->oom = true;
				return;
			}
			kiln_wbuf_u32(s, (uint32_t)tmp->len);
			kiln_wbuf_bytes(s, tmp->p, tmp->len);
			if (tmp->oom)
				s->oom = true;
		}
		break;
	case KILN_WASM_SEC_DATA:
		kiln_wbuf_u32(s, m->ndatas);
		for (uint32_t i = 0; i < m->ndatas; i++) {
			const struct kiln_wasm_data *d = &m->datas[i];
			kiln_wbuf_u32(s, d->flags);
			if (d->mode == KILN_WASM_SEG_ACTIVE) {
				if (d->flags == 2)
					kiln_wbuf_u32(s, d->memory);
				kiln_wasm_write_expr(s, &d->offset, NULL);
			}
			kiln_wbuf_name(s, d->bytes);
		}
		break;
	}
}

static void wr_customs(const struct kiln_wasm_module *m, struct kiln_wbuf *out,
		       struct kiln_wbuf *s, bool (*match)(uint8_t after, unsigned id), unsigned id)
{
	for (uint32_t i = 0; i < m->ncustoms; i++) {
		const struct kiln_wasm_custom *c = &m->customs[i];
		if (!match(c->after, id))
			continue;
		s->len = 0;
		kiln_wbuf_name(s, c->name);
		kiln_wbuf_bytes(s, c->payload.data, c->payload.len);
		kiln_wbuf_byte(out, 0);
		kiln_wbuf_u32(out, (uint32_t)s->len);
		kiln_wbuf_bytes(out, s->p, s->len);
		if (s->oom)
			out->oom = true;
	}
}

static bool after_is(uint8_t after, unsigned id)
{
	return after == id;
}

/* customs whose anchor is no known section id go last */
static bool after_unknown(uint8_t after, unsigned id)
{
	(void)id;
	return after > KILN_WASM_SEC_DATACOUNT;
}

/* Check what a pass may have got wrong before encoding anything. */
static int check_module(const struct kiln_wasm_module *m, struct kiln_err *err)
{
	const char *name = m->name != NULL ? m->name : "<wasm>";
	if (m->nbodies != m->nfuncs)
		return kiln_err_set(err, KILN_EINVALID,
				    "%s: cannot encode: %u functions but %u bodies", name,
				    m->nfuncs, m->nbodies);
	for (uint32_t i = 0; i < m->nglobals; i++)
		if (!expr_ok(&m->globals[i].init, 0))
			return kiln_err_set(err, KILN_EINVALID,
					    "%s: cannot encode the initialiser of global %u", name,
					    i);
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct kiln_wasm_elem *el = &m->elems[i];
		if (el->flags > 7 ||
		    (el->mode == KILN_WASM_SEG_ACTIVE && !expr_ok(&el->offset, 0)))
			return kiln_err_set(err, KILN_EINVALID,
					    "%s: cannot encode element segment %u", name, i);
		for (uint32_t k = 0; el->uses_exprs && k < el->count; k++)
			if (!expr_ok(&el->exprs[k], 0))
				return kiln_err_set(err, KILN_EINVALID,
						    "%s: cannot encode item %u of element "
						    "segment %u",
						    name, k, i);
	}
	for (uint32_t i = 0; i < m->ndatas; i++)
		if (m->datas[i].flags > 2 ||
		    (m->datas[i].mode == KILN_WASM_SEG_ACTIVE && !expr_ok(&m->datas[i].offset, 0)))
			return kiln_err_set(err, KILN_EINVALID, "%s: cannot encode data segment %u",
					    name, i);
	for (uint32_t i = 0; i < m->nbodies; i++)
		if (!expr_ok(&m->bodies[i].code, m->bodies[i].nside))
			return kiln_err_set(err, KILN_EINVALID,
					    "%s: cannot encode the body of function %u", name,
					    m->nimported_funcs + i);
	return KILN_OK;
}

int kiln_wasm_write(const struct kiln_wasm_module *m, uint8_t **out, size_t *outlen,
		    struct kiln_err *err)
{
	static const uint8_t header[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
	struct kiln_wbuf o = {0}, s = {0}, tmp = {0};
	int rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = check_module(m, err)) != KILN_OK)
		goto out;
	kiln_wbuf_bytes(&o, header, sizeof header);
	wr_customs(m, &o, &s, after_is, 0);
	for (size_t k = 0; k < sizeof section_order; k++) {
		unsigned id = section_order[k];
		if (emit_section(m, id)) {
			s.len = 0;
			wr_section(m, id, &s, &tmp);
			if (s.len > UINT32_MAX)
				s.oom = true;
			kiln_wbuf_byte(&o, (uint8_t)id);
			kiln_wbuf_u32(&o, (uint32_t)s.len);
			kiln_wbuf_bytes(&o, s.p, s.len);
			if (s.oom)
				o.oom = true;
		}
		wr_customs(m, &o, &s, after_is, id);
	}
	wr_customs(m, &o, &s, after_unknown, 0);
	if (o.oom) {
		rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory while encoding",
				  m->name != NULL ? m->name : "<wasm>");
		goto out;
	}
	*out = o.p;
	*outlen = o.len;
	o.p = NULL;
	rc = KILN_OK;
out:
	kiln_wbuf_release(&o);
	kiln_wbuf_release(&s);
	kiln_wbuf_release(&tmp);
	return rc;
}
