/*
 * wasm_reader.c — binary module -> struct kiln_wasm_module.
 *
 * Structure only: section order and sizes, LEB128 forms, counts against
 * the bytes left, index ranges, constant-expression shape, UTF-8 names,
 * and the features wasm2c 1.0.32 cannot translate.  Types are wasm2c's
 * business.  Every error names the input, the byte offset, what was
 * expected and what was found; nothing here trusts a count before
 * comparing it with the bytes that could hold it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wasm_impl.h"

/* Smallest encodings, used to bound counts before allocating. */
#define MIN_TYPE 3        /* 0x60, 0 params, 0 results */
#define MIN_IMPORT 4      /* two empty names, kind, one-byte desc */
#define MIN_TABLE 3       /* reftype, flags, min */
#define MIN_MEMORY 2      /* flags, min */
#define MIN_GLOBAL 3      /* valtype, mutability, end */
#define MIN_EXPORT 3      /* empty name, kind, index */
#define MIN_ELEM 3        /* flags, elemkind or expr, count */
#define MIN_DATA 2        /* flags 1, empty bytes */
#define MIN_BODY 3        /* size, no locals, end */
#define MIN_LOCAL_GROUP 2 /* count, type */

/* Block kinds on the reader's control stack. */
enum { BLK_BLOCK, BLK_LOOP, BLK_IF, BLK_ELSE };

struct rd {
	const uint8_t *b;
	size_t pos, end; /* end: of the current section or body */
	size_t len;      /* of the whole input */
	const char *name;
	struct kiln_wasm_module *m;
	struct kiln_err *err;
	const char *scope; /* "section 3 (function)", for "unexpected end" */

	/* index spaces as far as they are known */
	uint32_t total_funcs, total_tables, total_mems, total_globals;

	/* v128 seen outside code: reported at the end unless a function
	 * gives a better message first */
	bool pending_simd;
	size_t pending_off;
	char pending_what[160];
	uint8_t *type_has_v128; /* per type */

	/* the function being decoded (index space), or -1 */
	int64_t func;

	/* code scratch, reused across bodies */
	struct kiln_wasm_insn *insns;
	size_t ninsns, insncap;
	uint32_t *side;
	size_t nside, sidecap;
	uint8_t *blocks;
	size_t blockcap;
};

static const char *section_name(unsigned id)
{
	static const char *const names[] = {"custom", "type",   "import",  "function", "table",
					    "memory", "global", "export",  "start",    "element",
					    "code",   "data",   "datacount"};
	return id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

/* Rank of a non-custom section in the required order (datacount sits
 * between element and code). */
static unsigned section_rank(unsigned id)
{
	static const unsigned char rank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
	return rank[id];
}

/* ---- errors ---------------------------------------------------------- */

/* A name from the module, quoted for a message: control bytes, quotes
 * and backslashes escaped (a module must not drive the user's terminal),
 * at most 32 bytes of it. */
static void quote_name(struct kiln_wasm_bytes name, char *buf, size_t n)
{
	size_t o = 0;
	for (uint32_t i = 0; i < name.len && i < 32 && o + 5 < n; i++) {
		uint8_t c = name.data[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (name.len > 32 && o + 4 < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

static void func_context(struct rd *r, char *buf, size_t n)
{
	const struct kiln_wasm_module *m = r->m;
	char quoted[32 * 4 + 8];
	buf[0] = '\0';
	if (r->func < 0)
		return;
	for (uint32_t i = 0; i < m->nexports; i++) {
		if (m->exports[i].kind == KILN_WASM_KIND_FUNC &&
		    m->exports[i].index == (uint32_t)r->func) {
			quote_name(m->exports[i].name, quoted, sizeof quoted);
			snprintf(buf, n, "function %u (export \"%s\"), ", (unsigned)r->func, quoted);
			return;
		}
	}
	snprintf(buf, n, "function %u, ", (unsigned)r->func);
}

static __attribute__((format(printf, 4, 5))) int fail(struct rd *r, int code, size_t off,
						      const char *fmt, ...)
{
	char msg[200], ctx[176];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	func_context(r, ctx, sizeof ctx);
	return kiln_err_set(r->err, code, "%s: %soffset 0x%zx: %s", r->name, ctx, off, msg);
}

static int fail_end(struct rd *r, const char *what)
{
	return fail(r, KILN_EMALFORMED, r->pos, "unexpected end: expected %s, found the end of %s",
		    what, r->scope);
}

static int unsupported(struct rd *r, size_t off, enum kiln_wasm_feature f, const char *what)
{
	return fail(r, KILN_EUNSUPPORTED, off, "%s %s is not supported by wasm2c 1.0.32",
		    kiln_wasm_feature_name(f), what);
}

/* ---- primitives ------------------------------------------------------ */

static int rd_byte(struct rd *r, const char *what, uint8_t *out)
{
	*out = 0;
	if (r->pos >= r->end)
		return fail_end(r, what);
	*out = r->b[r->pos++];
	return KILN_OK;
}

static int leb_error(struct rd *r, enum kiln_leb_status st, const char *what, unsigned bits,
		     bool is_signed)
{
	switch (st) {
	case KILN_LEB_TRUNCATED:
		return fail_end(r, what);
	case KILN_LEB_TOO_LONG:
		return fail(r, KILN_EMALFORMED, r->pos,
			    "integer representation too long: %s, a %s%u LEB128, takes at most %u "
			    "bytes",
			    what, is_signed ? "s" : "u", bits, (bits + 6) / 7);
	case KILN_LEB_TOO_LARGE:
		return fail(r, KILN_EMALFORMED, r->pos,
			    "integer too large: %s, a %s%u LEB128, has unused bits set in its last "
			    "byte",
			    what, is_signed ? "s" : "u", bits);
	case KILN_LEB_OK:
		break;
	}
	return KILN_OK;
}

static int rd_u32(struct rd *r, const char *what, uint32_t *out)
{
	uint64_t v = 0;
	enum kiln_leb_status st = kiln_leb_read(r->b, r->end, &r->pos, 32, false, &v, NULL);
	if (st != KILN_LEB_OK)
		return leb_error(r, st, what, 32, false);
	*out = (uint32_t)v;
	return KILN_OK;
}

static int rd_signed(struct rd *r, const char *what, unsigned bits, int64_t *out)
{
	enum kiln_leb_status st = kiln_leb_read(r->b, r->end, &r->pos, bits, true, NULL, out);
	if (st != KILN_LEB_OK)
		return leb_error(r, st, what, bits, true);
	return KILN_OK;
}

static int rd_fixed(struct rd *r, const char *what, unsigned n, uint64_t *out)
{
	uint64_t v = 0;
	*out = 0;
	if (r->end - r->pos < n)
		return fail_end(r, what);
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->b[r->pos + i] << (8 * i);
	r->pos += n;
	*out = v;
	return KILN_OK;
}

/*
 * A vector length: at least @minsize bytes per element must be left (so an
 * absurd count fails before any allocation), then the implementation
 * limit.
 */
static int rd_count(struct rd *r, const char *what, size_t minsize, uint64_t limit,
		    uint32_t *out)
{
	size_t off = r->pos;
	uint32_t n;
	int rc = rd_u32(r, what, &n);
	if (rc != KILN_OK)
		return rc;
	if ((uint64_t)n * minsize > r->end - r->pos)
		return fail(r, KILN_EMALFORMED, off,
			    "length out of bounds: %u %s need at least %zu bytes, but %zu are left "
			    "in %s",
			    n, what, (size_t)n * minsize, r->end - r->pos, r->scope);
	if (n > limit)
		return fail(r, KILN_ELIMIT, off, "%u %s exceed kiln's limit of %llu", n, what,
			    (unsigned long long)limit);
	*out = n;
	return KILN_OK;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t len;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

static int rd_name(struct rd *r, const char *what, struct kiln_wasm_bytes *out)
{
	size_t off = r->pos;
	uint32_t n;
	int rc = rd_u32(r, what, &n);
	if (rc != KILN_OK)
		return rc;
	if (n > r->end - r->pos)
		return fail(r, KILN_EMALFORMED, off,
			    "length out of bounds: %s of %u bytes, but %zu are left in %s", what, n,
			    r->end - r->pos, r->scope);
	if (!utf8_valid(r->b + r->pos, n))
		return fail(r, KILN_EMALFORMED, r->pos, "malformed UTF-8 encoding in %s", what);
	out->data = r->b + r->pos;
	out->len = n;
	r->pos += n;
	return KILN_OK;
}

static void note_simd(struct rd *r, size_t off, const char *what)
{
	if (r->pending_simd)
		return;
	r->pending_simd = true;
	r->pending_off = off;
	snprintf(r->pending_what, sizeof r->pending_what, "%s", what);
}

/*
 * A value type.  v128 outside code is noted (the first function that uses
 * it gives the better message); inside code (@in_code) it is refused at
 * once, naming the function.
 */
static int rd_valtype(struct rd *r, const char *what, bool in_code, uint8_t *out)
{
	size_t off = r->pos;
	uint8_t t;
	int rc = rd_byte(r, what, &t);
	if (rc != KILN_OK)
		return rc;
	switch (t) {
	case KILN_WASM_I32:
	case KILN_WASM_I64:
	case KILN_WASM_F32:
	case KILN_WASM_F64:
	case KILN_WASM_FUNCREF:
	case KILN_WASM_EXTERNREF:
		break;
	case KILN_WASM_V128: {
		char buf[120];
		snprintf(buf, sizeof buf, "value type v128 (in %s)", what);
		if (in_code)
			return unsupported(r, off, KILN_FEAT_SIMD, buf);
		note_simd(r, off, buf);
		break;
	}
	case 0x63:
	case 0x64:
		return unsupported(r, off, KILN_FEAT_GC, "typed reference");
	default:
		return fail(r, KILN_EMALFORMED, off,
			    "malformed value type: expected %s (i32, i64, f32, f64, funcref or "
			    "externref), found 0x%02x",
			    what, t);
	}
	*out = t;
	return KILN_OK;
}

static int rd_reftype(struct rd *r, const char *what, uint8_t *out)
{
	size_t off = r->pos;
	uint8_t t;
	int rc = rd_byte(r, what, &t);
	if (rc != KILN_OK)
		return rc;
	if (t != KILN_WASM_FUNCREF && t != KILN_WASM_EXTERNREF)
		return fail(r, KILN_EMALFORMED, off,
			    "malformed reference type: expected %s (funcref 0x70 or externref "
			    "0x6f), found 0x%02x",
			    what, t);
	*out = t;
	return KILN_OK;
}

static int rd_limits(struct rd *r, bool memory, struct kiln_wasm_limits *l)
{
	size_t off = r->pos;
	uint8_t flags;
	int rc = rd_byte(r, "limits flags", &flags);
	if (rc != KILN_OK)
		return rc;
	if (memory && (flags == 2 || flags == 3))
		return unsupported(r, off, KILN_FEAT_THREADS, "shared memory");
	if (flags >= 4 && flags <= 7)
		return fail(r, KILN_EUNSUPPORTED, off,
			    "64-bit %s (memory64) is not supported by wasm2c 1.0.32",
			    memory ? "memory" : "table");
	if (flags > 1)
		return fail(r, KILN_EMALFORMED, off,
			    "integer too large: malformed limits flags: expected 0x00 or 0x01, "
			    "found 0x%02x",
			    flags);
	if ((rc = rd_u32(r, "limits minimum", &l->min)) != KILN_OK)
		return rc;
	l->has_max = flags == 1;
	l->max = 0;
	if (l->has_max && (rc = rd_u32(r, "limits maximum", &l->max)) != KILN_OK)
		return rc;
	if (!memory && l->min > KILN_WASM_MAX_TABLE_SIZE)
		return fail(r, KILN_ELIMIT, off,
			    "table of %u initial elements exceeds kiln's limit of %u", l->min,
			    (unsigned)KILN_WASM_MAX_TABLE_SIZE);
	return KILN_OK;
}

static int rd_tabletype(struct rd *r, struct kiln_wasm_tabletype *t)
{
	int rc = rd_reftype(r, "a table element type", &t->reftype);
	if (rc == KILN_OK)
		rc = rd_limits(r, false, &t->limits);
	return rc;
}

static int rd_memtype(struct rd *r, struct kiln_wasm_limits *l)
{
	size_t off = r->pos;
	int rc = rd_limits(r, true, l);
	if (rc != KILN_OK)
		return rc;
	if (r->total_mems >= 1)
		return fail(r, KILN_EUNSUPPORTED, off,
			    "a second memory (multi-memory) is not supported by wasm2c 1.0.32");
	r->total_mems++;
	return KILN_OK;
}

static int rd_globaltype(struct rd *r, struct kiln_wasm_globaltype *g)
{
	size_t off;
	uint8_t mut;
	int rc = rd_valtype(r, "a global type", false, &g->valtype);
	if (rc != KILN_OK)
		return rc;
	off = r->pos;
	if ((rc = rd_byte(r, "a global's mutability", &mut)) != KILN_OK)
		return rc;
	if (mut > 1)
		return fail(r, KILN_EMALFORMED, off,
			    "malformed mutability: expected 0x00 or 0x01, found 0x%02x", mut);
	g->mut = mut == 1;
	return KILN_OK;
}

static int check_index(struct rd *r, size_t off, const char *kind, uint32_t idx, uint32_t n)
{
	if (idx < n)
		return KILN_OK;
	return fail(r, KILN_EINVALID, off, "unknown %s %u: expected an index below %u", kind, idx,
		    n);
}

/* ---- constant expressions -------------------------------------------- */

/*
 * Whether the bytes at the reader's position continue a constant
 * expression with the extended-const proposal (more constants, add, sub,
 * mul) up to its `end`; the position is restored.
 */
static bool looks_extended(struct rd *r)
{
	size_t save = r->pos;
	bool arith = false, ok = false;
	for (int n = 0; n < 64; n++) {
		uint8_t op;
		int64_t v;
		uint64_t u;
		if (r->pos >= r->end)
			break;
		op = r->b[r->pos++];
		if (op == KILN_WASM_OP_END) {
			ok = arith;
			break;
		}
		if (op == 0x6a || op == 0x6b || op == 0x6c || op == 0x7c || op == 0x7d ||
		    op == 0x7e) {
			arith = true;
			continue;
		}
		if (op == 0x41 || op == 0x42) {
			if (kiln_leb_read(r->b, r->end, &r->pos, op == 0x41 ? 32 : 64, true, NULL,
					  &v) != KILN_LEB_OK)
				break;
		} else if (op == 0x23) {
			if (kiln_leb_read(r->b, r->end, &r->pos, 32, false, &u, NULL) != KILN_LEB_OK)
				break;
		} else {
			break;
		}
	}
	r->pos = save;
	return ok;
}

/*
 * Exactly one constant instruction, then `end`.  An empty expression (the
 * offset wasm2c 1.0.32 wrongly accepts) and anything longer are refused:
 * the passes and wasm2c both rely on this shape.
 */
static int rd_const_expr(struct rd *r, const char *what, struct kiln_wasm_expr *e)
{
	struct kiln_wasm_insn in[2];
	size_t off = r->pos, off2;
	uint8_t op, next;
	int64_t sv;
	uint64_t uv;
	uint32_t idx;
	int rc;

	memset(in, 0, sizeof in);
	if ((rc = rd_byte(r, what, &op)) != KILN_OK)
		return rc;
	in[0].op = op;
	switch (op) {
	case 0x41:
		rc = rd_signed(r, "an i32.const value", 32, &sv);
		in[0].imm.i64 = sv;
		break;
	case 0x42:
		rc = rd_signed(r, "an i64.const value", 64, &sv);
		in[0].imm.i64 = sv;
		break;
	case 0x43:
		rc = rd_fixed(r, "an f32.const value", 4, &uv);
		in[0].imm.bits = uv;
		break;
	case 0x44:
		rc = rd_fixed(r, "an f64.const value", 8, &uv);
		in[0].imm.bits = uv;
		break;
	case 0xd0: {
		uint8_t t = 0;
		rc = rd_reftype(r, "a ref.null type", &t);
		in[0].imm.index = t;
		break;
	}
	case 0xd2:
		off2 = r->pos;
		if ((rc = rd_u32(r, "a function index", &idx)) == KILN_OK)
			rc = check_index(r, off2, "function", idx, r->total_funcs);
		in[0].imm.index = idx;
		break;
	case 0x23:
		off2 = r->pos;
		if ((rc = rd_u32(r, "a global index", &idx)) == KILN_OK)
			rc = check_index(r, off2, "global", idx, r->total_globals);
		in[0].imm.index = idx;
		break;
	case 0x0b:
		return fail(r, KILN_EINVALID, off,
			    "type mismatch: %s is empty: expected one constant instruction before "
			    "end",
			    what);
	case 0xfd:
		return unsupported(r, off, KILN_FEAT_SIMD, "constant (v128.const)");
	default: {
		const struct kiln_wasm_opinfo *i = kiln_wasm_opinfo(op);
		if (i == NULL)
			return fail(r, KILN_EMALFORMED, off, "illegal opcode 0x%02x in %s", op,
				    what);
		return fail(r, KILN_EINVALID, off,
			    "constant expression required: %s must be i32/i64/f32/f64.const, "
			    "ref.null, ref.func or global.get, found %s (0x%02x)",
			    what, i->name, op);
	}
	}
	if (rc != KILN_OK)
		return rc;
	off2 = r->pos;
	if ((rc = rd_byte(r, "end (0x0b) of a constant expression", &next)) != KILN_OK)
		return rc;
	if (next != KILN_WASM_OP_END) {
		const struct kiln_wasm_opinfo *i = kiln_wasm_opinfo(next);
		r->pos = off2;
		if (looks_extended(r))
			return fail(r, KILN_EUNSUPPORTED, off2,
				    "extended constant expressions (%s in %s) are not supported "
				    "by wasm2c 1.0.32",
				    i->name, what);
		return fail(r, KILN_EINVALID, off2,
			    "constant expression required: expected end (0x0b) after one "
			    "constant instruction in %s, found %s (0x%02x)",
			    what, i != NULL ? i->name : "an illegal opcode", next);
	}
	in[1].op = KILN_WASM_OP_END;
	e->insns = malloc(sizeof in);
	if (e->insns == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	memcpy(e->insns, in, sizeof in);
	e->ninsns = 2;
	return KILN_OK;
}

/* ---- sections -------------------------------------------------------- */

static int read_types(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "types", MIN_TYPE, KILN_WASM_MAX_TYPES, &n);
	if (rc != KILN_OK)
		return rc;
	m->types = calloc(n ? n : 1, sizeof *m->types);
	r->type_has_v128 = calloc(n ? n : 1, 1);
	if (m->types == NULL || r->type_has_v128 == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		struct kiln_wasm_functype *t = &m->types[i];
		size_t off = r->pos;
		uint32_t np, nr;
		uint8_t form;
		bool had = r->pending_simd;
		if ((rc = rd_byte(r, "a function type (0x60)", &form)) != KILN_OK)
			return rc;
		if (form == 0x5e || form == 0x5f || form == 0x50 || form == 0x4e || form == 0x4f ||
		    form == 0x4d)
			return unsupported(r, off, KILN_FEAT_GC, "composite type");
		if (form != 0x60)
			return fail(r, KILN_EMALFORMED, off,
				    "malformed function type: expected 0x60, found 0x%02x", form);
		if ((rc = rd_count(r, "parameter types", 1, KILN_WASM_MAX_PARAMS, &np)) != KILN_OK)
			return rc;
		t->types = malloc(np ? np : 1);
		if (t->types == NULL)
			return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
		m->ntypes = i + 1; /* so kiln_wasm_free frees what is here */
		t->nparams = np;
		for (uint32_t k = 0; k < np; k++)
			if ((rc = rd_valtype(r, "a parameter type", false, &t->types[k])) != KILN_OK)
				return rc;
		if ((rc = rd_count(r, "result types", 1, KILN_WASM_MAX_RESULTS, &nr)) != KILN_OK)
			return rc;
		if (nr) {
			uint8_t *p = realloc(t->types, (size_t)np + nr);
			if (p == NULL)
				return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory",
						    r->name);
			t->types = p;
		}
		t->nresults = nr;
		for (uint32_t k = 0; k < nr; k++)
			if ((rc = rd_valtype(r, "a result type", false, &t->types[np + k])) !=
			    KILN_OK)
				return rc;
		r->type_has_v128[i] = 0;
		for (uint32_t k = 0; k < np + nr; k++)
			if (t->types[k] == KILN_WASM_V128)
				r->type_has_v128[i] = 1;
		/* the type alone is no fault yet: a function using it is */
		if (!had && r->pending_simd) {
			snprintf(r->pending_what, sizeof r->pending_what,
				 "value type v128 in type %u", i);
		}
	}
	m->ntypes = n;
	return KILN_OK;
}

static int read_imports(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "imports", MIN_IMPORT, KILN_WASM_MAX_IMPORTS, &n);
	if (rc != KILN_OK)
		return rc;
	m->imports = calloc(n ? n : 1, sizeof *m->imports);
	if (m->imports == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		struct kiln_wasm_import *im = &m->imports[i];
		size_t off;
		uint8_t kind;
		if ((rc = rd_name(r, "an import module name", &im->module)) != KILN_OK ||
		    (rc = rd_name(r, "an import name", &im->name)) != KILN_OK)
			return rc;
		off = r->pos;
		if ((rc = rd_byte(r, "an import kind", &kind)) != KILN_OK)
			return rc;
		switch (kind) {
		case KILN_WASM_KIND_FUNC: {
			size_t toff = r->pos;
			if ((rc = rd_u32(r, "a type index", &im->desc.type_index)) != KILN_OK ||
			    (rc = check_index(r, toff, "type", im->desc.type_index, m->ntypes)) !=
				    KILN_OK)
				return rc;
			if (r->type_has_v128[im->desc.type_index]) {
				char what[96];
				snprintf(what, sizeof what, "value type v128 in the type of import %u",
					 i);
				note_simd(r, toff, what);
			}
			m->nimported_funcs++;
			r->total_funcs++;
			break;
		}
		case KILN_WASM_KIND_TABLE:
			if ((rc = rd_tabletype(r, &im->desc.table)) != KILN_OK)
				return rc;
			m->nimported_tables++;
			r->total_tables++;
			break;
		case KILN_WASM_KIND_MEMORY:
			if ((rc = rd_memtype(r, &im->desc.memory)) != KILN_OK)
				return rc;
			m->nimported_mems++;
			break;
		case KILN_WASM_KIND_GLOBAL:
			if ((rc = rd_globaltype(r, &im->desc.global)) != KILN_OK)
				return rc;
			m->nimported_globals++;
			r->total_globals++;
			break;
		case 4:
			return unsupported(r, off, KILN_FEAT_EXCEPTIONS, "tag import");
		default:
			return fail(r, KILN_EMALFORMED, off,
				    "malformed import kind: expected 0 (function), 1 (table), 2 "
				    "(memory) or 3 (global), found 0x%02x",
				    kind);
		}
		im->kind = kind;
		m->nimports = i + 1;
	}
	return KILN_OK;
}

static int read_functions(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "functions", 1, KILN_WASM_MAX_FUNCS - m->nimported_funcs, &n);
	if (rc != KILN_OK)
		return rc;
	m->funcs = malloc(sizeof *m->funcs * (n ? n : 1));
	if (m->funcs == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		size_t off = r->pos;
		if ((rc = rd_u32(r, "a type index", &m->funcs[i])) != KILN_OK ||
		    (rc = check_index(r, off, "type", m->funcs[i], m->ntypes)) != KILN_OK)
			return rc;
	}
	m->nfuncs = n;
	r->total_funcs += n;
	return KILN_OK;
}

static int read_tables(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "tables", MIN_TABLE, KILN_WASM_MAX_SEGMENTS, &n);
	if (rc != KILN_OK)
		return rc;
	m->tables = calloc(n ? n : 1, sizeof *m->tables);
	if (m->tables == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++)
		if ((rc = rd_tabletype(r, &m->tables[i])) != KILN_OK)
			return rc;
	m->ntables = n;
	r->total_tables += n;
	return KILN_OK;
}

static int read_memories(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "memories", MIN_MEMORY, KILN_WASM_MAX_SEGMENTS, &n);
	if (rc != KILN_OK)
		return rc;
	m->mems = calloc(n ? n : 1, sizeof *m->mems);
	if (m->mems == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		if ((rc = rd_memtype(r, &m->mems[i])) != KILN_OK)
			return rc;
		m->nmems = i + 1;
	}
	return KILN_OK;
}

static int read_globals(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "globals", MIN_GLOBAL, KILN_WASM_MAX_GLOBALS - m->nimported_globals,
			  &n);
	if (rc != KILN_OK)
		return rc;
	m->globals = calloc(n ? n : 1, sizeof *m->globals);
	if (m->globals == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	r->total_globals += n;
	for (uint32_t i = 0; i < n; i++) {
		if ((rc = rd_globaltype(r, &m->globals[i].type)) != KILN_OK)
			return rc;
		m->nglobals = i + 1;
		if ((rc = rd_const_expr(r, "a global's initialiser", &m->globals[i].init)) !=
		    KILN_OK)
			return rc;
	}
	return KILN_OK;
}

static int read_exports(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "exports", MIN_EXPORT, KILN_WASM_MAX_EXPORTS, &n);
	if (rc != KILN_OK)
		return rc;
	m->exports = calloc(n ? n : 1, sizeof *m->exports);
	if (m->exports == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		struct kiln_wasm_export *ex = &m->exports[i];
		static const char *const kinds[] = {"function", "table", "memory", "global"};
		uint32_t limit;
		size_t off;
		uint8_t kind;
		if ((rc = rd_name(r, "an export name", &ex->name)) != KILN_OK)
			return rc;
		off = r->pos;
		if ((rc = rd_byte(r, "an export kind", &kind)) != KILN_OK)
			return rc;
		if (kind == 4)
			return unsupported(r, off, KILN_FEAT_EXCEPTIONS, "tag export");
		if (kind > 3)
			return fail(r, KILN_EMALFORMED, off,
				    "malformed export kind: expected 0 (function), 1 (table), 2 "
				    "(memory) or 3 (global), found 0x%02x",
				    kind);
		ex->kind = kind;
		off = r->pos;
		if ((rc = rd_u32(r, "an export index", &ex->index)) != KILN_OK)
			return rc;
		limit = kind == 0 ? r->total_funcs
			: kind == 1 ? r->total_tables
			: kind == 2 ? r->total_mems
				    : r->total_globals;
		if ((rc = check_index(r, off, kinds[kind], ex->index, limit)) != KILN_OK)
			return rc;
		m->nexports = i + 1;
	}
	return KILN_OK;
}

static int read_start(struct rd *r)
{
	size_t off = r->pos;
	int rc = rd_u32(r, "the start function index", &r->m->start);
	if (rc == KILN_OK)
		rc = check_index(r, off, "function", r->m->start, r->total_funcs);
	r->m->has_start = rc == KILN_OK;
	return rc;
}

static int read_elem(struct rd *r, struct kiln_wasm_elem *el)
{
	size_t off = r->pos;
	uint32_t n;
	int rc = rd_u32(r, "element segment flags", &el->flags);
	if (rc != KILN_OK)
		return rc;
	if (el->flags > 7)
		return fail(r, KILN_EMALFORMED, off,
			    "malformed elements segment kind: expected flags 0 to 7, found %u",
			    el->flags);
	el->mode = (el->flags & 1) == 0	 ? KILN_WASM_SEG_ACTIVE
		   : (el->flags & 2) == 0 ? KILN_WASM_SEG_PASSIVE
					  : KILN_WASM_SEG_DECLARATIVE;
	el->uses_exprs = (el->flags & 4) != 0;
	el->reftype = KILN_WASM_FUNCREF;
	if (el->mode == KILN_WASM_SEG_ACTIVE) {
		el->table = 0;
		off = r->pos;
		if ((el->flags & 2) && (rc = rd_u32(r, "a table index", &el->table)) != KILN_OK)
			return rc;
		if ((rc = check_index(r, off, "table", el->table, r->total_tables)) != KILN_OK)
			return rc;
		if ((rc = rd_const_expr(r, "an element segment offset", &el->offset)) != KILN_OK)
			return rc;
	}
	/* flags 0 and 4 imply funcref; the others spell the type */
	if (el->flags != 0 && el->flags != 4) {
		if (el->uses_exprs) {
			if ((rc = rd_reftype(r, "an element reference type", &el->reftype)) !=
			    KILN_OK)
				return rc;
		} else {
			uint8_t kind;
			off = r->pos;
			if ((rc = rd_byte(r, "an element kind", &kind)) != KILN_OK)
				return rc;
			if (kind != 0)
				return fail(r, KILN_EMALFORMED, off,
					    "malformed element kind: expected 0x00 (funcref), "
					    "found 0x%02x",
					    kind);
		}
	}
	if ((rc = rd_count(r, "element segment items", 1, KILN_WASM_MAX_TABLE_SIZE, &n)) != KILN_OK)
		return rc;
	if (el->uses_exprs) {
		el->exprs = calloc(n ? n : 1, sizeof *el->exprs);
		if (el->exprs == NULL)
			return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
		for (uint32_t i = 0; i < n; i++) {
			if ((rc = rd_const_expr(r, "an element segment item", &el->exprs[i])) !=
			    KILN_OK)
				return rc;
			el->count = i + 1;
		}
	} else {
		el->funcs = malloc(sizeof *el->funcs * (n ? n : 1));
		if (el->funcs == NULL)
			return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
		for (uint32_t i = 0; i < n; i++) {
			off = r->pos;
			if ((rc = rd_u32(r, "a function index", &el->funcs[i])) != KILN_OK ||
			    (rc = check_index(r, off, "function", el->funcs[i], r->total_funcs)) !=
				    KILN_OK)
				return rc;
		}
		el->count = n;
	}
	return KILN_OK;
}

static int read_elements(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	uint32_t n;
	int rc = rd_count(r, "element segments", MIN_ELEM, KILN_WASM_MAX_SEGMENTS, &n);
	if (rc != KILN_OK)
		return rc;
	m->elems = calloc(n ? n : 1, sizeof *m->elems);
	if (m->elems == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		m->nelems = i + 1;
		if ((rc = read_elem(r, &m->elems[i])) != KILN_OK)
			return rc;
	}
	return KILN_OK;
}

static int read_datacount(struct rd *r)
{
	int rc = rd_u32(r, "the data count", &r->m->datacount);
	r->m->has_datacount = rc == KILN_OK;
	return rc;
}

/* ---- code ------------------------------------------------------------ */

static int grow(struct rd *r, void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;
	if (need <= *cap)
		return KILN_OK;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * size);
	if (q == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	*p = q;
	*cap = c;
	return KILN_OK;
}

static int push_side(struct rd *r, uint32_t v)
{
	int rc = grow(r, (void **)&r->side, &r->sidecap, r->nside + 1, sizeof *r->side);
	if (rc == KILN_OK)
		r->side[r->nside++] = v;
	return rc;
}

static int rd_memory_byte(struct rd *r, uint32_t *out)
{
	size_t off = r->pos;
	uint8_t b;
	int rc = rd_byte(r, "a memory index (0x00)", &b);
	if (rc != KILN_OK)
		return rc;
	if (b != 0)
		return fail(r, KILN_EMALFORMED, off,
			    "zero byte expected: the memory index must be the byte 0x00, found "
			    "0x%02x",
			    b);
	*out = 0;
	return check_index(r, off, "memory", 0, r->total_mems);
}

static int rd_block_type(struct rd *r, int64_t *out)
{
	size_t off = r->pos;
	int64_t v;
	int rc = rd_signed(r, "a block type", 33, &v);
	if (rc != KILN_OK)
		return rc;
	if (v >= 0) {
		if ((rc = check_index(r, off, "type", (uint32_t)v, r->m->ntypes)) != KILN_OK)
			return rc;
		if (r->type_has_v128[v])
			return unsupported(r, off, KILN_FEAT_SIMD, "value type v128 (in a block type)");
	} else if (v == -5) {
		return unsupported(r, off, KILN_FEAT_SIMD, "value type v128 (in a block type)");
	} else if (v != KILN_WASM_BLOCK_EMPTY && v != -1 && v != -2 && v != -3 && v != -4 &&
		   v != -16 && v != -17) {
		return fail(r, KILN_EMALFORMED, off,
			    "malformed block type: expected 0x40, a value type or a type index, "
			    "found %lld",
			    (long long)v);
	}
	*out = v;
	return KILN_OK;
}

/* The immediates of one instruction, checked against the index spaces. */
static int rd_immediates(struct rd *r, const struct kiln_wasm_opinfo *info,
			 struct kiln_wasm_insn *in, uint32_t nlocals, size_t depth)
{
	struct kiln_wasm_module *m = r->m;
	size_t off = r->pos;
	uint64_t uv;
	int64_t sv;
	uint32_t n;
	int rc = KILN_OK;

	switch ((enum kiln_wasm_imm)info->imm) {
	case KILN_IMM_NONE:
		break;
	case KILN_IMM_BLOCK:
		rc = rd_block_type(r, &in->imm.block);
		break;
	case KILN_IMM_LABEL:
		if ((rc = rd_u32(r, "a label index", &in->imm.index)) == KILN_OK)
			rc = check_index(r, off, "label", in->imm.index, (uint32_t)depth + 1);
		break;
	case KILN_IMM_BR_TABLE:
		if ((rc = rd_count(r, "br_table labels", 1, UINT32_MAX - 1, &n)) != KILN_OK)
			break;
		in->imm.list.count = n;
		in->imm.list.first = (uint32_t)r->nside;
		for (uint64_t i = 0; i <= n && rc == KILN_OK; i++) {
			uint32_t l;
			off = r->pos;
			if ((rc = rd_u32(r, "a label index", &l)) == KILN_OK &&
			    (rc = check_index(r, off, "label", l, (uint32_t)depth + 1)) == KILN_OK)
				rc = push_side(r, l);
		}
		break;
	case KILN_IMM_FUNC:
		if ((rc = rd_u32(r, "a function index", &in->imm.index)) == KILN_OK)
			rc = check_index(r, off, "function", in->imm.index, r->total_funcs);
		break;
	case KILN_IMM_CALL_INDIRECT:
		if ((rc = rd_u32(r, "a type index", &in->imm.pair.a)) != KILN_OK ||
		    (rc = check_index(r, off, "type", in->imm.pair.a, m->ntypes)) != KILN_OK)
			break;
		off = r->pos;
		if ((rc = rd_u32(r, "a table index", &in->imm.pair.b)) == KILN_OK)
			rc = check_index(r, off, "table", in->imm.pair.b, r->total_tables);
		break;
	case KILN_IMM_LOCAL:
		if ((rc = rd_u32(r, "a local index", &in->imm.index)) == KILN_OK)
			rc = check_index(r, off, "local", in->imm.index, nlocals);
		break;
	case KILN_IMM_GLOBAL:
		if ((rc = rd_u32(r, "a global index", &in->imm.index)) == KILN_OK)
			rc = check_index(r, off, "global", in->imm.index, r->total_globals);
		break;
	case KILN_IMM_TABLE:
		if ((rc = rd_u32(r, "a table index", &in->imm.index)) == KILN_OK)
			rc = check_index(r, off, "table", in->imm.index, r->total_tables);
		break;
	case KILN_IMM_MEMARG:
		if ((rc = rd_u32(r, "an alignment", &in->imm.mem.align)) == KILN_OK &&
		    (rc = rd_u32(r, "a memory offset", &in->imm.mem.offset)) == KILN_OK)
			rc = check_index(r, off, "memory", 0, r->total_mems);
		break;
	case KILN_IMM_MEMORY:
		rc = rd_memory_byte(r, &in->imm.index);
		break;
	case KILN_IMM_I32:
		rc = rd_signed(r, "an i32.const value", 32, &sv);
		in->imm.i64 = sv;
		break;
	case KILN_IMM_I64:
		rc = rd_signed(r, "an i64.const value", 64, &sv);
		in->imm.i64 = sv;
		break;
	case KILN_IMM_F32:
		rc = rd_fixed(r, "an f32.const value", 4, &uv);
		in->imm.bits = uv;
		break;
	case KILN_IMM_F64:
		rc = rd_fixed(r, "an f64.const value", 8, &uv);
		in->imm.bits = uv;
		break;
	case KILN_IMM_REFTYPE: {
		uint8_t t = 0;
		rc = rd_reftype(r, "a ref.null type", &t);
		in->imm.index = t;
		break;
	}
	case KILN_IMM_SELECT_T:
		if ((rc = rd_count(r, "select types", 1, KILN_WASM_MAX_RESULTS, &n)) != KILN_OK)
			break;
		in->imm.list.count = n;
		in->imm.list.first = (uint32_t)r->nside;
		for (uint32_t i = 0; i < n && rc == KILN_OK; i++) {
			uint8_t t;
			if ((rc = rd_valtype(r, "a select type", true, &t)) == KILN_OK)
				rc = push_side(r, t);
		}
		break;
	case KILN_IMM_MEMORY_INIT:
	case KILN_IMM_DATA:
		if (!m->has_datacount)
			return fail(r, KILN_EMALFORMED, off - 2,
				    "data count section required: %s uses a data index but the "
				    "module has no datacount section",
				    info->name);
		if ((rc = rd_u32(r, "a data index", &in->imm.pair.a)) != KILN_OK ||
		    (rc = check_index(r, off, "data segment", in->imm.pair.a, m->datacount)) !=
			    KILN_OK)
			break;
		if (info->imm == KILN_IMM_MEMORY_INIT)
			rc = rd_memory_byte(r, &in->imm.pair.b);
		else
			in->imm.index = in->imm.pair.a;
		break;
	case KILN_IMM_MEMORY_COPY:
		if ((rc = rd_memory_byte(r, &in->imm.pair.a)) == KILN_OK)
			rc = rd_memory_byte(r, &in->imm.pair.b);
		break;
	case KILN_IMM_TABLE_INIT:
		if ((rc = rd_u32(r, "an element segment index", &in->imm.pair.a)) != KILN_OK ||
		    (rc = check_index(r, off, "element segment", in->imm.pair.a, m->nelems)) !=
			    KILN_OK)
			break;
		off = r->pos;
		if ((rc = rd_u32(r, "a table index", &in->imm.pair.b)) == KILN_OK)
			rc = check_index(r, off, "table", in->imm.pair.b, r->total_tables);
		break;
	case KILN_IMM_ELEM:
		if ((rc = rd_u32(r, "an element segment index", &in->imm.index)) == KILN_OK)
			rc = check_index(r, off, "element segment", in->imm.index, m->nelems);
		break;
	case KILN_IMM_TABLE_COPY:
		if ((rc = rd_u32(r, "a table index", &in->imm.pair.a)) != KILN_OK ||
		    (rc = check_index(r, off, "table", in->imm.pair.a, r->total_tables)) !=
			    KILN_OK)
			break;
		off = r->pos;
		if ((rc = rd_u32(r, "a table index", &in->imm.pair.b)) == KILN_OK)
			rc = check_index(r, off, "table", in->imm.pair.b, r->total_tables);
		break;
	}
	return rc;
}

/* One opcode, with the prefix folded in; refuses unsupported proposals. */
static int rd_opcode(struct rd *r, const struct kiln_wasm_opinfo **info, uint16_t *op)
{
	size_t off = r->pos;
	uint8_t b;
	uint32_t sub = 0;
	const struct kiln_wasm_opinfo *i;
	int rc;
	*info = NULL;
	if ((rc = rd_byte(r, "an instruction", &b)) != KILN_OK)
		return rc;
	if (b == 0xfb || b == 0xfc || b == 0xfd || b == 0xfe) {
		if ((rc = rd_u32(r, "a sub-opcode", &sub)) != KILN_OK)
			return rc;
	}
	switch (b) {
	case 0xfb:
		return fail(r, KILN_EUNSUPPORTED, off,
			    "GC instruction 0xfb 0x%02x is not supported by wasm2c 1.0.32", sub);
	case 0xfc:
		i = sub < 0x100 ? kiln_wasm_opinfo(KILN_WASM_OP_FC(sub)) : NULL;
		if (i == NULL)
			return fail(r, KILN_EMALFORMED, off, "illegal opcode 0xfc 0x%02x", sub);
		*op = (uint16_t)KILN_WASM_OP_FC(sub);
		break;
	case 0xfd:
	case 0xfe: {
		char what[96];
		i = kiln_wasm_opinfo(KILN_WASM_OP_PREFIXED(b, sub > 0xffff ? 0xffff : sub));
		snprintf(what, sizeof what, "instruction %s (0x%02x 0x%02x)", i->name, b, sub);
		return unsupported(r, off, (enum kiln_wasm_feature)i->feature, what);
	}
	default:
		i = kiln_wasm_opinfo(b);
		if (i == NULL)
			return fail(r, KILN_EMALFORMED, off, "illegal opcode 0x%02x", b);
		if (i->feature != KILN_FEAT_CORE) {
			char what[96];
			snprintf(what, sizeof what, "instruction %s (0x%02x)", i->name, b);
			return unsupported(r, off, (enum kiln_wasm_feature)i->feature, what);
		}
		*op = b;
		break;
	}
	*info = i;
	return KILN_OK;
}

static int read_locals(struct rd *r, struct kiln_wasm_body *body, uint32_t nparams,
		       uint32_t *nlocals)
{
	uint64_t total = 0;
	uint32_t ngroups;
	int rc = rd_count(r, "local declaration groups", MIN_LOCAL_GROUP, UINT32_MAX, &ngroups);
	if (rc != KILN_OK)
		return rc;
	body->locals = malloc(sizeof *body->locals * (ngroups ? ngroups : 1));
	if (body->locals == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t g = 0; g < ngroups; g++) {
		struct kiln_wasm_locals *l = &body->locals[g];
		size_t off = r->pos;
		if ((rc = rd_u32(r, "a local count", &l->count)) != KILN_OK)
			return rc;
		total += l->count;
		if (total > UINT32_MAX)
			return fail(r, KILN_EMALFORMED, off,
				    "too many locals: more than 2^32-1 in one function");
		if (total + nparams > KILN_WASM_MAX_LOCALS)
			return fail(r, KILN_ELIMIT, off,
				    "too many locals: %llu exceed kiln's limit of %u",
				    (unsigned long long)(total + nparams),
				    (unsigned)KILN_WASM_MAX_LOCALS);
		if ((rc = rd_valtype(r, "a local type", true, &l->type)) != KILN_OK)
			return rc;
		body->nlocal_groups = g + 1;
	}
	*nlocals = (uint32_t)total + nparams;
	return KILN_OK;
}

/*
 * One function body.  Instructions go to the reader's scratch arrays and
 * are copied out at the exact size, so a big module costs one scratch
 * buffer, not one per function.
 */
static int read_body(struct rd *r, uint32_t index, struct kiln_wasm_body *body)
{
	struct kiln_wasm_module *m = r->m;
	const struct kiln_wasm_functype *ft = &m->types[m->funcs[index]];
	size_t body_end, off = r->pos, outer_end = r->end, depth = 0;
	uint32_t size, nlocals = 0;
	int rc;

	r->func = (int64_t)m->nimported_funcs + index;
	if ((rc = rd_u32(r, "a function body size", &size)) != KILN_OK)
		return rc;
	if (size > r->end - r->pos)
		return fail(r, KILN_EMALFORMED, off,
			    "unexpected end: the function body of %u bytes runs past the end of "
			    "the code section (%zu bytes left)",
			    size, r->end - r->pos);
	body_end = r->pos + size;
	body->offset = (uint32_t)r->pos;
	r->end = body_end;
	r->scope = "the function body";
	if (r->type_has_v128[m->funcs[index]])
		return unsupported(r, off, KILN_FEAT_SIMD,
				   "value type v128 (in the function's parameters or results)");
	if ((rc = read_locals(r, body, ft->nparams, &nlocals)) != KILN_OK)
		return rc;

	r->ninsns = 0;
	r->nside = 0;
	for (;;) {
		const struct kiln_wasm_opinfo *info = NULL;
		struct kiln_wasm_insn *in;
		size_t ioff = r->pos;
		if (r->pos >= r->end)
			return fail(r, KILN_EMALFORMED, r->pos,
				    "unexpected end of section or function: the body ends before "
				    "its final end (0x0b)");
		if ((rc = grow(r, (void **)&r->insns, &r->insncap, r->ninsns + 1,
			       sizeof *r->insns)) != KILN_OK)
			return rc;
		in = &r->insns[r->ninsns];
		memset(in, 0, sizeof *in);
		if ((rc = rd_opcode(r, &info, &in->op)) != KILN_OK)
			return rc;
		if ((rc = rd_immediates(r, info, in, nlocals, depth)) != KILN_OK)
			return rc;
		r->ninsns++;
		switch (in->op) {
		case 0x02:
		case 0x03:
		case 0x04:
			if ((rc = grow(r, (void **)&r->blocks, &r->blockcap, depth + 1, 1)) !=
			    KILN_OK)
				return rc;
			r->blocks[depth++] =
				in->op == 0x02 ? BLK_BLOCK : in->op == 0x03 ? BLK_LOOP : BLK_IF;
			break;
		case 0x05:
			if (depth == 0 || r->blocks[depth - 1] != BLK_IF)
				return fail(r, KILN_EMALFORMED, ioff,
					    "else (0x05) without a matching if");
			r->blocks[depth - 1] = BLK_ELSE;
			break;
		case 0x0b:
			if (depth > 0) {
				depth--;
				break;
			}
			if (r->pos != body_end)
				return fail(r, KILN_EMALFORMED, r->pos,
					    "section size mismatch: the function body ends at "
					    "offset 0x%zx but its size says 0x%zx",
					    r->pos, body_end);
			goto done;
		}
	}
done:
	body->code.insns = malloc(sizeof *body->code.insns * r->ninsns);
	body->side = r->nside ? malloc(sizeof *body->side * r->nside) : NULL;
	if (body->code.insns == NULL || (r->nside && body->side == NULL))
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	memcpy(body->code.insns, r->insns, sizeof *r->insns * r->ninsns);
	body->code.ninsns = (uint32_t)r->ninsns;
	if (r->nside)
		memcpy(body->side, r->side, sizeof *r->side * r->nside);
	body->nside = (uint32_t)r->nside;
	r->end = outer_end;
	r->func = -1;
	return KILN_OK;
}

static int read_code(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	size_t off = r->pos;
	uint32_t n;
	const char *scope = r->scope;
	int rc = rd_count(r, "function bodies", MIN_BODY, KILN_WASM_MAX_FUNCS, &n);
	if (rc != KILN_OK)
		return rc;
	if (n != m->nfuncs)
		return fail(r, KILN_EMALFORMED, off,
			    "function and code section have inconsistent lengths: %u functions "
			    "declared, %u bodies",
			    m->nfuncs, n);
	m->bodies = calloc(n ? n : 1, sizeof *m->bodies);
	if (m->bodies == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		m->nbodies = i + 1;
		if ((rc = read_body(r, i, &m->bodies[i])) != KILN_OK)
			return rc;
		r->scope = scope;
	}
	return KILN_OK;
}

static int read_data(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	size_t off = r->pos;
	uint32_t n;
	int rc = rd_count(r, "data segments", MIN_DATA, KILN_WASM_MAX_SEGMENTS, &n);
	if (rc != KILN_OK)
		return rc;
	if (m->has_datacount && n != m->datacount)
		return fail(r, KILN_EMALFORMED, off,
			    "data count and data section have inconsistent lengths: datacount "
			    "says %u, the data section has %u",
			    m->datacount, n);
	m->datas = calloc(n ? n : 1, sizeof *m->datas);
	if (m->datas == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	for (uint32_t i = 0; i < n; i++) {
		struct kiln_wasm_data *d = &m->datas[i];
		uint32_t len;
		m->ndatas = i + 1;
		off = r->pos;
		if ((rc = rd_u32(r, "data segment flags", &d->flags)) != KILN_OK)
			return rc;
		if (d->flags > 2)
			return fail(r, KILN_EMALFORMED, off,
				    "malformed data segment kind: expected flags 0, 1 or 2, found "
				    "%u",
				    d->flags);
		d->mode = d->flags == 1 ? KILN_WASM_SEG_PASSIVE : KILN_WASM_SEG_ACTIVE;
		d->memory = 0;
		if (d->mode == KILN_WASM_SEG_ACTIVE) {
			off = r->pos;
			if (d->flags == 2 &&
			    (rc = rd_u32(r, "a memory index", &d->memory)) != KILN_OK)
				return rc;
			if ((rc = check_index(r, off, "memory", d->memory, r->total_mems)) !=
			    KILN_OK)
				return rc;
			if ((rc = rd_const_expr(r, "a data segment offset", &d->offset)) !=
			    KILN_OK)
				return rc;
		}
		off = r->pos;
		if ((rc = rd_u32(r, "a data segment length", &len)) != KILN_OK)
			return rc;
		if (len > r->end - r->pos)
			return fail(r, KILN_EMALFORMED, off,
				    "unexpected end of section or function: data segment %u of %u "
				    "bytes, but %zu are left",
				    i, len, r->end - r->pos);
		d->bytes.data = r->b + r->pos;
		d->bytes.len = len;
		r->pos += len;
	}
	return KILN_OK;
}

static int read_custom(struct rd *r, uint8_t after)
{
	struct kiln_wasm_module *m = r->m;
	struct kiln_wasm_custom *c;
	struct kiln_wasm_bytes name;
	int rc = rd_name(r, "a custom section name", &name);
	if (rc != KILN_OK)
		return rc;
	c = realloc(m->customs, sizeof *m->customs * (m->ncustoms + 1));
	if (c == NULL)
		return kiln_err_set(r->err, KILN_ENOMEM, "%s: out of memory", r->name);
	m->customs = c;
	c = &m->customs[m->ncustoms++];
	c->name = name;
	c->payload.data = r->b + r->pos;
	c->payload.len = (uint32_t)(r->end - r->pos);
	c->after = after;
	r->pos = r->end;
	return KILN_OK;
}

static int read_sections(struct rd *r)
{
	struct kiln_wasm_module *m = r->m;
	unsigned last = 0; /* id of the last non-custom section */
	char scope[48];
	int rc = KILN_OK;

	while (r->pos < r->len) {
		size_t off = r->pos;
		uint8_t id;
		uint32_t size;
		r->end = r->len;
		r->scope = "the file";
		if ((rc = rd_byte(r, "a section id", &id)) != KILN_OK)
			return rc;
		if (id == 13)
			return unsupported(r, off, KILN_FEAT_EXCEPTIONS, "tag section (id 13)");
		if (id > 12)
			return fail(r, KILN_EMALFORMED, off,
				    "malformed section id: expected 0 to 12, found %u", id);
		if ((rc = rd_u32(r, "a section size", &size)) != KILN_OK)
			return rc;
		if (size > r->len - r->pos)
			return fail(r, KILN_EMALFORMED, off,
				    "unexpected end: section %u (%s) declares %u bytes but only "
				    "%zu are left in the file",
				    id, section_name(id), size, r->len - r->pos);
		if (id != KILN_WASM_SEC_CUSTOM && last != 0) {
			if (id == last)
				return fail(r, KILN_EMALFORMED, off,
					    "unexpected content after last section: duplicate "
					    "section %u (%s)",
					    id, section_name(id));
			if (section_rank(id) < section_rank(last))
				return fail(r, KILN_EMALFORMED, off,
					    "unexpected content after last section: section %u "
					    "(%s) must come before section %u (%s)",
					    id, section_name(id), last, section_name(last));
		}
		r->end = r->pos + size;
		snprintf(scope, sizeof scope, "section %u (%s)", id, section_name(id));
		r->scope = scope;
		switch (id) {
		case KILN_WASM_SEC_CUSTOM: rc = read_custom(r, (uint8_t)last); break;
		case KILN_WASM_SEC_TYPE: rc = read_types(r); break;
		case KILN_WASM_SEC_IMPORT: rc = read_imports(r); break;
		case KILN_WASM_SEC_FUNCTION: rc = read_functions(r); break;
		case KILN_WASM_SEC_TABLE: rc = read_tables(r); break;
		case KILN_WASM_SEC_MEMORY: rc = read_memories(r); break;
		case KILN_WASM_SEC_GLOBAL: rc = read_globals(r); break;
		case KILN_WASM_SEC_EXPORT: rc = read_exports(r); break;
		case KILN_WASM_SEC_START: rc = read_start(r); break;
		case KILN_WASM_SEC_ELEMENT: rc = read_elements(r); break;
		case KILN_WASM_SEC_CODE: rc = read_code(r); break;
		case KILN_WASM_SEC_DATA: rc = read_data(r); break;
		case KILN_WASM_SEC_DATACOUNT: rc = read_datacount(r); break;
		}
		if (rc != KILN_OK)
			return rc;
		if (r->pos != r->end)
			return fail(r, KILN_EMALFORMED, r->pos,
				    "section size mismatch: section %u (%s) declares %u bytes, "
				    "its contents end %zu bytes earlier",
				    id, section_name(id), size, r->end - r->pos);
		if (id != KILN_WASM_SEC_CUSTOM) {
			last = id;
			m->present |= 1u << id;
		}
		r->scope = "the file";
	}
	r->end = r->len;
	if (m->nbodies != m->nfuncs)
		return fail(r, KILN_EMALFORMED, r->len,
			    "function and code section have inconsistent lengths: %u functions "
			    "declared, no code section",
			    m->nfuncs);
	if (m->has_datacount && !(m->present & (1u << KILN_WASM_SEC_DATA)) && m->datacount != 0)
		return fail(r, KILN_EMALFORMED, r->len,
			    "data count and data section have inconsistent lengths: datacount "
			    "says %u, there is no data section",
			    m->datacount);
	if (r->pending_simd)
		return unsupported(r, r->pending_off, KILN_FEAT_SIMD, r->pending_what);
	return KILN_OK;
}

int kiln_wasm_read(const uint8_t *bytes, size_t len, const char *name,
		   struct kiln_wasm_module **out, struct kiln_err *err)
{
	static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
	struct kiln_wasm_module *m = NULL;
	struct rd r;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof r);
	r.name = name != NULL ? name : "<wasm>";
	r.err = err;
	r.func = -1;
	r.scope = "the file";
	if (len > KILN_WASM_MAX_MODULE_BYTES) {
		rc = kiln_err_set(err, KILN_ELIMIT,
				  "%s: module of %zu bytes exceeds kiln's limit of %u bytes", r.name,
				  len, (unsigned)KILN_WASM_MAX_MODULE_BYTES);
		goto out;
	}
	m = calloc(1, sizeof *m);
	if (m == NULL || (m->name = strdup(r.name)) == NULL ||
	    (m->buf = malloc(len ? len : 1)) == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", r.name);
		goto out;
	}
	if (len)
		memcpy(m->buf, bytes, len);
	m->len = len;
	r.m = m;
	r.b = m->buf;
	r.len = r.end = len;

	if (len < 4 || memcmp(m->buf, magic, 4) != 0) {
		uint8_t got[4] = {0};
		memcpy(got, m->buf, len < 4 ? len : 4);
		rc = fail(&r, KILN_EMALFORMED, 0,
			  "magic header not detected: expected 00 61 73 6d (\"\\0asm\"), found "
			  "%02x %02x %02x %02x%s",
			  got[0], got[1], got[2], got[3], len < 4 ? " (file too short)" : "");
		goto out;
	}
	if (len < 8) {
		r.pos = 4;
		rc = fail_end(&r, "the 4-byte binary version");
		goto out;
	}
	if (memcmp(m->buf + 4, "\x01\x00\x00\x00", 4) != 0) {
		if (m->buf[4] == 0x0d && m->buf[5] == 0 && m->buf[6] == 1 && m->buf[7] == 0)
			rc = fail(&r, KILN_EUNSUPPORTED, 4,
				  "this is a WebAssembly component, not a core module; kiln "
				  "compiles core modules (wasm32-wasip1)");
		else
			rc = fail(&r, KILN_EMALFORMED, 4,
				  "unknown binary version: expected 01 00 00 00, found %02x %02x "
				  "%02x %02x",
				  m->buf[4], m->buf[5], m->buf[6], m->buf[7]);
		goto out;
	}
	r.pos = 8;
	rc = read_sections(&r);
out:
	free(r.insns);
	free(r.side);
	free(r.blocks);
	free(r.type_has_v128);
	if (rc != KILN_OK) {
		kiln_wasm_free(m);
		return rc;
	}
	*out = m;
	return KILN_OK;
}

int kiln_wasm_read_file(const char *path, struct kiln_wasm_module **out, struct kiln_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int rc = KILN_OK;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL)
		return kiln_err_set(err, KILN_EIO, "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		size_t got;
		if (len == cap) {
			uint8_t *p;
			if (cap > KILN_WASM_MAX_MODULE_BYTES) {
				rc = kiln_err_set(err, KILN_ELIMIT,
						  "%s: file exceeds kiln's limit of %u bytes", path,
						  (unsigned)KILN_WASM_MAX_MODULE_BYTES);
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap);
			if (p == NULL) {
				rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = p;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				rc = kiln_err_set(err, KILN_EIO, "%s: read error: %s", path,
						  strerror(errno));
			break;
		}
	}
	if (rc == KILN_OK)
		rc = kiln_wasm_read(buf, len, path, out, err);
out:
	fclose(f);
	free(buf);
	return rc;
}

void kiln_wasm_expr_release(struct kiln_wasm_expr *e)
{
	free(e->insns);
	e->insns = NULL;
	e->ninsns = 0;
}

void kiln_wasm_free(struct kiln_wasm_module *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = 0; i < m->ntypes; i++)
		free(m->types[i].types);
	free(m->types);
	free(m->imports);
	free(m->funcs);
	free(m->tables);
	free(m->mems);
	for (uint32_t i = 0; i < m->nglobals; i++)
		kiln_wasm_expr_release(&m->globals[i].init);
	free(m->globals);
	free(m->exports);
	for (uint32_t i = 0; i < m->nelems; i++) {
		struct kiln_wasm_elem *el = &m->elems[i];
		kiln_wasm_expr_release(&el->offset);
		if (el->exprs != NULL)
			for (uint32_t k = 0; k < el->count; k++)
				kiln_wasm_expr_release(&el->exprs[k]);
		free(el->exprs);
		free(el->funcs);
	}
	free(m->elems);
	for (uint32_t i = 0; i < m->nbodies; i++) {
		free(m->bodies[i].locals);
		free(m->bodies[i].code.insns);
		free(m->bodies[i].side);
	}
	free(m->bodies);
	for (uint32_t i = 0; i < m->ndatas; i++)
		kiln_wasm_expr_release(&m->datas[i].offset);
	free(m->datas);
	free(m->customs);
	for (uint32_t i = 0; i < m->nowned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->buf);
	free(m->name);
	free(m);
}

int kiln_wasm_own(struct kiln_wasm_module *m, void *block)
{
	void **p = realloc(m->owned, sizeof *m->owned * (m->nowned + 1));
	if (p == NULL) {
		free(block);
		return KILN_ENOMEM;
	}
	m->owned = p;
	m->owned[m->nowned++] = block;
	return KILN_OK;
}

const struct kiln_wasm_functype *kiln_wasm_func_type(const struct kiln_wasm_module *m,
						     uint32_t func_index)
{
	uint32_t seen = 0, t;
	if (func_index < m->nimported_funcs) {
		for (uint32_t i = 0; i < m->nimports; i++) {
			if (m->imports[i].kind != KILN_WASM_KIND_FUNC)
				continue;
			if (seen++ == func_index) {
				t = m->imports[i].desc.type_index;
				return t < m->ntypes ? &m->types[t] : NULL;
			}
		}
		return NULL;
	}
	func_index -= m->nimported_funcs;
	if (func_index >= m->nfuncs)
		return NULL;
	t = m->funcs[func_index];
	return t < m->ntypes ? &m->types[t] : NULL;
}
