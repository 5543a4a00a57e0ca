/*
 * mangle.c — names as wasm2c 1.0.32 spells them in C, and wasm types as
 * people read them in messages, metadata and `kiln inspect`.
 */
#include <stdarg.h>
#include <string.h>

#include "driver_impl.h"

int kiln_mangle(FILE *out, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z' && c != 'Z') ||
			    (c >= '0' && c <= '9') || c == '_';
		if (keep) {
			if (putc(c, out) == EOF)
				return -1;
		} else if (putc('Z', out) == EOF || putc(hex[c >> 4], out) == EOF ||
			   putc(hex[c & 15], out) == EOF) {
			return -1;
		}
	}
	return 0;
}

void kiln_escape(const uint8_t *s, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (size == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		bool plain = c >= 0x20 && c != 0x7f && c != '\\';
		size_t need = plain ? 1 : 4;
		if (o + need + 1 > size) {
			if (size >= 4) {
				memcpy(out + size - 4, "...", 3);
				o = size - 1;
			}
			break;
		}
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

void kiln_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

const char *kiln_valtype_name(uint8_t type)
{
	switch (type) {
	case KILN_WASM_I32: return "i32";
	case KILN_WASM_I64: return "i64";
	case KILN_WASM_F32: return "f32";
	case KILN_WASM_F64: return "f64";
	case KILN_WASM_V128: return "v128";
	case KILN_WASM_FUNCREF: return "funcref";
	case KILN_WASM_EXTERNREF: return "externref";
	}
	return NULL;
}

const char *kiln_kind_name(enum kiln_wasm_kind kind)
{
	switch (kind) {
	case KILN_WASM_KIND_FUNC: return "func";
	case KILN_WASM_KIND_TABLE: return "table";
	case KILN_WASM_KIND_MEMORY: return "memory";
	case KILN_WASM_KIND_GLOBAL: return "global";
	}
	return "?";
}

/* A bounded string builder: appends never overflow; a result that did not
 * fit ends in "...". */
struct sbuf {
	char *buf;
	size_t size, len;
	bool full;
};

static void sb_add(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (sb->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->size - sb->len) {
		sb->full = true;
		if (sb->size >= 4)
			memcpy(sb->buf + sb->size - 4, "...", 4);
		return;
	}
	sb->len += (size_t)n;
}

static void sb_type(struct sbuf *sb, uint8_t type)
{
	const char *n = kiln_valtype_name(type);
	if (n != NULL)
		sb_add(sb, "%s", n);
	else
		sb_add(sb, "0x%02x", type);
}

static void sb_functype(struct sbuf *sb, const struct kiln_wasm_functype *ft)
{
	sb_add(sb, "(");
	for (uint32_t i = 0; i < ft->nparams; i++) {
		sb_add(sb, i ? ", " : "");
		sb_type(sb, ft->types[i]);
	}
	sb_add(sb, ") -> (");
	for (uint32_t i = 0; i < ft->nresults; i++) {
		sb_add(sb, i ? ", " : "");
		sb_type(sb, ft->types[ft->nparams + i]);
	}
	sb_add(sb, ")");
}

static void sb_limits(struct sbuf *sb, const struct kiln_wasm_limits *l)
{
	if (l->has_max)
		sb_add(sb, "%u..%u", l->min, l->max);
	else
		sb_add(sb, "%u..", l->min);
}

static struct sbuf sb_init(char *buf, size_t size)
{
	struct sbuf sb = {buf, size, 0, size == 0};
	if (size > 0)
		buf[0] = '\0';
	return sb;
}

void kiln_functype_format(const struct kiln_wasm_functype *ft, char *buf, size_t size)
{
	struct sbuf sb = sb_init(buf, size);
	sb_functype(&sb, ft);
}

static void sb_functype_index(struct sbuf *sb, const struct kiln_wasm_module *m, uint32_t type)
{
	if (type < m->ntypes)
		sb_functype(sb, &m->types[type]);
	else
		sb_add(sb, "?");
}

void kiln_import_type_format(const struct kiln_wasm_module *m, const struct kiln_wasm_import *imp,
			     char *buf, size_t size)
{
	struct sbuf sb = sb_init(buf, size);
	switch (imp->kind) {
	case KILN_WASM_KIND_FUNC:
		sb_functype_index(&sb, m, imp->desc.type_index);
		break;
	case KILN_WASM_KIND_TABLE:
		sb_type(&sb, imp->desc.table.reftype);
		sb_add(&sb, " ");
		sb_limits(&sb, &imp->desc.table.limits);
		break;
	case KILN_WASM_KIND_MEMORY:
		sb_limits(&sb, &imp->desc.memory);
		sb_add(&sb, " pages");
		break;
	case KILN_WASM_KIND_GLOBAL:
		sb_add(&sb, "%s", imp->desc.global.mut ? "mut " : "");
		sb_type(&sb, imp->desc.global.valtype);
		break;
	}
}

void kiln_export_type_format(const struct kiln_wasm_module *m, const struct kiln_wasm_export *exp,
			     char *buf, size_t size)
{
	struct sbuf sb = sb_init(buf, size);
	const struct kiln_wasm_functype *ft;
	struct kiln_wasm_globaltype g;
	struct kiln_wasm_tabletype t;
	struct kiln_wasm_limits l;

	switch (exp->kind) {
	case KILN_WASM_KIND_FUNC:
		ft = kiln_wasm_func_type(m, exp->index);
		if (ft != NULL) {
			sb_functype(&sb, ft);
			return;
		}
		break;
	case KILN_WASM_KIND_TABLE:
		if (kiln_tabletype_of(m, exp->index, &t)) {
			sb_type(&sb, t.reftype);
			sb_add(&sb, " ");
			sb_limits(&sb, &t.limits);
			return;
		}
		break;
	case KILN_WASM_KIND_MEMORY:
		if (kiln_memtype_of(m, exp->index, &l)) {
			sb_limits(&sb, &l);
			sb_add(&sb, " pages");
			return;
		}
		break;
	case KILN_WASM_KIND_GLOBAL:
		if (kiln_globaltype_of(m, exp->index, &g)) {
			sb_add(&sb, "%s", g.mut ? "mut " : "");
			sb_type(&sb, g.valtype);
			return;
		}
		break;
	}
	sb_add(&sb, "?");
}
