/*
 * glue.c — the C file `kiln compile` writes beside wasm2c's output.
 *
 * It #includes wasm2c's .c, so glue and module are one translation unit and
 * the compiler can inline each export into its trampoline, then defines the
 * descriptor of runtime/kiln_abi.h:
 *
 *   - one uniform trampoline per exported function, reading arguments from
 *     and writing results to `union kiln_raw` arrays;
 *   - accessors for exported globals, tables and memories, for the fuel
 *     global and for memory 0;
 *   - the import and export tables (exports sorted by name: byte order,
 *     with their lengths, since a wasm name may hold NUL bytes);
 *   - the import module names in the order wasm2c's instantiate() takes
 *     their context pointers: wasm2c 1.0.32 keeps them in a std::set, so
 *     they are sorted by their bytes;
 *   - the metadata JSON, placed in the .kiln.meta section and pointed to by
 *     the descriptor.
 *
 * Every name that reaches the generated C is either mangled (only
 * [A-Za-z0-9_]) or written as an escaped string literal, so nothing in a
 * hostile module can inject C.  Generated identifiers start with kiln_glue_,
 * which wasm2c never uses (its own are w2c_*, Z_* and a few fixed helpers).
 */
#include <stdlib.h>
#include <string.h>

#include "driver_impl.h"

struct glue {
	FILE *f;
	const struct kiln_glue_input *in;
	const struct kiln_wasm_module *m;
	char *mod;                    /* mangled module name */
	uint32_t *order;              /* export indices sorted by name */
	const struct kiln_wasm_bytes **imods; /* distinct import module names, sorted */
	uint32_t nimods;
	struct kiln_err *err;
};

/* Write @s as a C string literal.  Only printable ASCII other than '"',
 * '\\' and '?' (trigraphs) is written as is; everything else as a
 * three-digit octal escape, which cannot run into the next character. */
static void c_string(FILE *f, const uint8_t *s, size_t len)
{
	putc('"', f);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?')
			putc(c, f);
		else
			fprintf(f, "\\%03o", c);
	}
	putc('"', f);
}

/* memcmp order with the shorter string first on a common prefix: the order
 * of std::string comparison and of strcmp on NUL-free strings. */
static int bytes_cmp(const struct kiln_wasm_bytes *a, const struct kiln_wasm_bytes *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->data, b->data, n) : 0;
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static int export_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct kiln_wasm_module *m = ctx;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int c = bytes_cmp(&m->exports[a].name, &m->exports[b].name);
	return c != 0 ? c : (a > b) - (a < b);
}

static int bytesp_cmp(const void *pa, const void *pb)
{
	return bytes_cmp(*(const struct kiln_wasm_bytes *const *)pa,
			 *(const struct kiln_wasm_bytes *const *)pb);
}

static bool has_nul(struct kiln_wasm_bytes b)
{
	return b.len > 0 && memchr(b.data, '\0', b.len) != NULL;
}

const char *kiln_glue_abi_type(uint8_t t)
{
	switch (t) {
	case KILN_WASM_I32: return "KILN_I32";
	case KILN_WASM_I64: return "KILN_I64";
	case KILN_WASM_F32: return "KILN_F32";
	case KILN_WASM_F64: return "KILN_F64";
	case KILN_WASM_FUNCREF: return "KILN_FUNCREF";
	case KILN_WASM_EXTERNREF: return "KILN_EXTERNREF";
	}
	return NULL;
}

const char *kiln_glue_raw_member(uint8_t t)
{
	switch (t) {
	case KILN_WASM_I32: return "i32";
	case KILN_WASM_I64: return "i64";
	case KILN_WASM_F32: return "f32";
	case KILN_WASM_F64: return "f64";
	case KILN_WASM_FUNCREF: return "funcref";
	default: return "externref";
	}
}

char kiln_glue_multi_letter(uint8_t t)
{
	switch (t) {
	case KILN_WASM_I32: return 'i';
	case KILN_WASM_I64: return 'j';
	case KILN_WASM_F32: return 'f';
	case KILN_WASM_F64: return 'd';
	case KILN_WASM_FUNCREF: return 'r';
	default: return 'e';
	}
}

static int check_types(struct glue *g, const uint8_t *types, uint32_t n, const char *what,
		       uint32_t index)
{
	for (uint32_t i = 0; i < n; i++)
		if (kiln_glue_abi_type(types[i]) == NULL)
			return kiln_err_set(g->err, KILN_EUNSUPPORTED,
					    "%s: %s %u uses value type 0x%02x, which kiln cannot "
					    "pass across the ABI",
					    kiln_module_label(g->m), what, index, types[i]);
	return KILN_OK;
}

static void type_array(struct glue *g, const char *tag, uint32_t i, const uint8_t *types,
		       uint32_t n)
{
	if (n == 0)
		return;
	fprintf(g->f, "static const uint8_t kiln_glue_types_%s%u[] = {", tag, i);
	for (uint32_t k = 0; k < n; k++)
		fprintf(g->f, "%s%s", k ? ", " : "", kiln_glue_abi_type(types[k]));
	fputs("};\n", g->f);
}

/* The wasm2c symbol of export @e: Z_<mod>Z_<mangled name>. */
static void export_symbol(struct glue *g, const struct kiln_wasm_export *e)
{
	fprintf(g->f, "Z_%sZ_", g->mod);
	kiln_mangle(g->f, e->name.data, e->name.len);
}

static void trampoline(struct glue *g, uint32_t i, const struct kiln_wasm_export *e,
		       const struct kiln_wasm_functype *ft)
{
	FILE *f = g->f;
	const uint8_t *res = ft->types + ft->nparams;

	fprintf(f,
		"static void kiln_glue_call_%u(void *instance, const union kiln_raw *args,\n"
		"\t\t\t\tunion kiln_raw *results)\n{\n\t(void)args;\n\t(void)results;\n\t",
		i);
	if (ft->nresults == 1) {
		fprintf(f, "results[0].%s = ", kiln_glue_raw_member(res[0]));
		if (res[0] == KILN_WASM_FUNCREF)
			fputs("kiln_glue_funcref_out(", f);
	} else if (ft->nresults > 1) {
		fputs("struct wasm_multi_", f);
		for (uint32_t k = 0; k < ft->nresults; k++)
			putc(kiln_glue_multi_letter(res[k]), f);
		fputs(" r = ", f);
	}
	export_symbol(g, e);
	fprintf(f, "((Z_%s_instance_t *)instance", g->mod);
	for (uint32_t k = 0; k < ft->nparams; k++) {
		if (ft->types[k] == KILN_WASM_FUNCREF)
			fprintf(f, ", kiln_glue_funcref_in(args[%u].funcref)", k);
		else
			fprintf(f, ", args[%u].%s", k, kiln_glue_raw_member(ft->types[k]));
	}
	fputs(ft->nresults == 1 && res[0] == KILN_WASM_FUNCREF ? "));\n" : ");\n", f);
	if (ft->nresults > 1) {
		for (uint32_t k = 0; k < ft->nresults; k++) {
			if (res[k] == KILN_WASM_FUNCREF)
				fprintf(f, "\tresults[%u].funcref = kiln_glue_funcref_out(r.r%u);\n",
					k, k);
			else
				fprintf(f, "\tresults[%u].%s = r.%c%u;\n", k, kiln_glue_raw_member(res[k]),
					kiln_glue_multi_letter(res[k]), k);
		}
	}
	fputs("}\n\n", f);
}

static void getter(struct glue *g, uint32_t i, const struct kiln_wasm_export *e)
{
	fprintf(g->f, "static void *kiln_glue_get_%u(void *instance)\n{\n\treturn ", i);
	export_symbol(g, e);
	fprintf(g->f, "((Z_%s_instance_t *)instance);\n}\n\n", g->mod);
}

/* Trampolines, accessors, type arrays and the export table. */
static int emit_exports(struct glue *g)
{
	const struct kiln_wasm_module *m = g->m;
	FILE *f = g->f;
	int rc = KILN_OK;

	for (uint32_t k = 0; k < m->nexports; k++) {
		uint32_t i = g->order[k];
		const struct kiln_wasm_export *e = &m->exports[i];
		const struct kiln_wasm_functype *ft;
		struct kiln_wasm_globaltype gt;
		struct kiln_wasm_tabletype tt;
		struct kiln_wasm_limits lim;
		bool ok = true;

		switch (e->kind) {
		case KILN_WASM_KIND_FUNC:
			ft = kiln_wasm_func_type(m, e->index);
			ok = ft != NULL;
			if (!ok)
				break;
			if ((rc = check_types(g, ft->types, ft->nparams + ft->nresults,
					      "exported function", e->index)) != KILN_OK)
				goto out;
			type_array(g, "e", i, ft->types, ft->nparams + ft->nresults);
			trampoline(g, i, e, ft);
			break;
		case KILN_WASM_KIND_GLOBAL:
			ok = kiln_globaltype_of(m, e->index, &gt);
			if (!ok)
				break;
			if ((rc = check_types(g, &gt.valtype, 1, "exported global", e->index)) !=
			    KILN_OK)
				goto out;
			type_array(g, "e", i, &gt.valtype, 1);
			getter(g, i, e);
			break;
		case KILN_WASM_KIND_TABLE:
			ok = kiln_tabletype_of(m, e->index, &tt);
			if (!ok)
				break;
			if ((rc = check_types(g, &tt.reftype, 1, "exported table", e->index)) !=
			    KILN_OK)
				goto out;
			type_array(g, "e", i, &tt.reftype, 1);
			getter(g, i, e);
			break;
		case KILN_WASM_KIND_MEMORY:
			ok = kiln_memtype_of(m, e->index, &lim);
			if (ok)
				getter(g, i, e);
			break;
		}
		if (!ok) {
			rc = kiln_err_set(g->err, KILN_EINVALID,
					  "%s: export %u (%s %u) refers to an index out of range",
					  kiln_module_label(m), i, kiln_kind_name(e->kind), e->index);
			goto out;
		}
	}

	if (m->nexports == 0)
		goto out;
	fputs("static const struct kiln_export_desc kiln_glue_exports[] = {\n", f);
	for (uint32_t k = 0; k < m->nexports; k++) {
		uint32_t i = g->order[k];
		const struct kiln_wasm_export *e = &m->exports[i];
		const struct kiln_wasm_functype *ft;
		struct kiln_wasm_globaltype gt;
		fputs("\t{", f);
		c_string(f, e->name.data, e->name.len);
		switch (e->kind) {
		case KILN_WASM_KIND_FUNC:
			ft = kiln_wasm_func_type(m, e->index);
			fprintf(f, ", KILN_EXTERN_FUNC, %u, %u, ", ft->nparams, ft->nresults);
			if (ft->nparams + ft->nresults)
				fprintf(f, "kiln_glue_types_e%u", i);
			else
				fputs("NULL", f);
			fprintf(f, ", kiln_glue_call_%u, NULL, %uu},\n", i, e->name.len);
			break;
		case KILN_WASM_KIND_GLOBAL:
			kiln_globaltype_of(m, e->index, &gt);
			fprintf(f, ", KILN_EXTERN_GLOBAL, %u, 1, kiln_glue_types_e%u, NULL, "
				   "kiln_glue_get_%u, %uu},\n",
				gt.mut ? 1u : 0u, i, i, e->name.len);
			break;
		case KILN_WASM_KIND_TABLE:
			fprintf(f, ", KILN_EXTERN_TABLE, 0, 1, kiln_glue_types_e%u, NULL, "
				   "kiln_glue_get_%u, %uu},\n",
				i, i, e->name.len);
			break;
		case KILN_WASM_KIND_MEMORY:
			fprintf(f, ", KILN_EXTERN_MEMORY, 0, 0, NULL, NULL, kiln_glue_get_%u, %uu},\n",
				i, e->name.len);
			break;
		}
	}
	fputs("};\n\n", f);
out:
	return rc;
}

static int emit_imports(struct glue *g)
{
	const struct kiln_wasm_module *m = g->m;
	FILE *f = g->f;
	static const char *const kinds[] = {"KILN_EXTERN_FUNC", "KILN_EXTERN_TABLE",
					    "KILN_EXTERN_MEMORY", "KILN_EXTERN_GLOBAL"};
	int rc = KILN_OK;

	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct kiln_wasm_import *imp = &m->imports[i];
		switch (imp->kind) {
		case KILN_WASM_KIND_FUNC:
			if (imp->desc.type_index >= m->ntypes) {
				rc = kiln_err_set(g->err, KILN_EINVALID,
						  "%s: import %u: type index %u out of range",
						  kiln_module_label(m), i, imp->desc.type_index);
				goto out;
			}
			{
				const struct kiln_wasm_functype *ft = &m->types[imp->desc.type_index];
				if ((rc = check_types(g, ft->types, ft->nparams + ft->nresults,
						      "imported function", i)) != KILN_OK)
					goto out;
				type_array(g, "i", i, ft->types, ft->nparams + ft->nresults);
			}
			break;
		case KILN_WASM_KIND_GLOBAL:
			if ((rc = check_types(g, &imp->desc.global.valtype, 1, "imported global",
					      i)) != KILN_OK)
				goto out;
			type_array(g, "i", i, &imp->desc.global.valtype, 1);
			break;
		case KILN_WASM_KIND_TABLE:
			if ((rc = check_types(g, &imp->desc.table.reftype, 1, "imported table",
					      i)) != KILN_OK)
				goto out;
			type_array(g, "i", i, &imp->desc.table.reftype, 1);
			break;
		case KILN_WASM_KIND_MEMORY:
			break;
		}
	}
	if (m->nimports == 0)
		goto out;
	fputs("static const struct kiln_import_desc kiln_glue_imports[] = {\n", f);
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct kiln_wasm_import *imp = &m->imports[i];
		uint32_t np = 0, nr = 0;
		fputs("\t{", f);
		c_string(f, imp->module.data, imp->module.len);
		fputs(", ", f);
		c_string(f, imp->name.data, imp->name.len);
		switch (imp->kind) {
		case KILN_WASM_KIND_FUNC:
			np = m->types[imp->desc.type_index].nparams;
			nr = m->types[imp->desc.type_index].nresults;
			break;
		case KILN_WASM_KIND_GLOBAL:
			np = imp->desc.global.mut ? 1 : 0;
			nr = 1;
			break;
		case KILN_WASM_KIND_TABLE:
			nr = 1;
			break;
		case KILN_WASM_KIND_MEMORY:
			break;
		}
		fprintf(f, ", %s, %u, %u, ", kinds[imp->kind], np, nr);
		if (np + nr)
			fprintf(f, "kiln_glue_types_i%u},\n", i);
		else
			fputs("NULL},\n", f);
	}
	fputs("};\n\n", f);

	fputs("static const char *const kiln_glue_import_modules[] = {\n", f);
	for (uint32_t k = 0; k < g->nimods; k++) {
		fputs("\t", f);
		c_string(f, g->imods[k]->data, g->imods[k]->len);
		fputs(",\n", f);
	}
	fputs("};\n\n", f);
out:
	return rc;
}

static void emit_instantiate(struct glue *g)
{
	FILE *f = g->f;
	fprintf(f,
		"static void kiln_glue_instantiate(void *instance, void *const *import_ctx)\n"
		"{\n\t(void)import_ctx;\n\tZ_%s_instantiate((Z_%s_instance_t *)instance",
		g->mod, g->mod);
	for (uint32_t k = 0; k < g->nimods; k++) {
		fputs(",\n\t\t(struct Z_", f);
		kiln_mangle(f, g->imods[k]->data, g->imods[k]->len);
		fprintf(f, "_instance_t *)import_ctx[%u]", k);
	}
	fprintf(f,
		");\n}\n\n"
		"static void kiln_glue_free(void *instance)\n{\n"
		"\tZ_%s_free((Z_%s_instance_t *)instance);\n}\n\n",
		g->mod, g->mod);
}

/* The export that names memory 0, or NULL. */
static const struct kiln_wasm_export *memory_export(const struct kiln_wasm_module *m)
{
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == KILN_WASM_KIND_MEMORY && m->exports[i].index == 0)
			return &m->exports[i];
	return NULL;
}

static bool has_memory(const struct kiln_wasm_module *m)
{
	return m->nimported_mems + m->nmems > 0;
}

static void emit_accessors(struct glue *g, const struct kiln_wasm_export *mem)
{
	FILE *f = g->f;
	if (g->in->fuel)
		fprintf(f,
			"static uint64_t *kiln_glue_fuel(void *instance)\n{\n"
			"\treturn Z_%sZ_" KILN_FUEL_EXPORT "((Z_%s_instance_t *)instance);\n}\n\n",
			g->mod, g->mod);
	if (mem != NULL) {
		fputs("static void *kiln_glue_memory(void *instance)\n{\n\treturn ", f);
		export_symbol(g, mem);
		fprintf(f, "((Z_%s_instance_t *)instance);\n}\n\n", g->mod);
	}
}

static void emit_desc(struct glue *g, const struct kiln_wasm_export *mem)
{
	const struct kiln_glue_input *in = g->in;
	const struct kiln_wasm_module *m = g->m;
	FILE *f = g->f;

	fprintf(f, "extern const struct kiln_module_desc kiln_module_%s;\n", in->name);
	fprintf(f, "const struct kiln_module_desc kiln_module_%s = {\n", in->name);
	fputs("\t.abi_version = KILN_ABI_VERSION,\n\t.name = ", f);
	c_string(f, (const uint8_t *)in->name, strlen(in->name));
	fprintf(f,
		",\n\t.meta_json = kiln_glue_meta,\n"
		"\t.instance_size = sizeof(Z_%s_instance_t),\n"
		"\t.init_module = Z_%s_init_module,\n"
		"\t.instantiate = kiln_glue_instantiate,\n"
		"\t.free = kiln_glue_free,\n",
		g->mod, g->mod);
	if (g->nimods)
		fprintf(f, "\t.import_modules = kiln_glue_import_modules,\n"
			   "\t.nimport_modules = %u,\n",
			g->nimods);
	if (m->nimports)
		fprintf(f, "\t.imports = kiln_glue_imports,\n\t.nimports = %u,\n", m->nimports);
	if (m->nexports)
		fprintf(f, "\t.exports = kiln_glue_exports,\n\t.nexports = %u,\n", m->nexports);
	fprintf(f, "\t.fuel = %s,\n\t.memory = %s,\n\t.memory_cap_pages = %u,\n",
		in->fuel ? "kiln_glue_fuel" : "NULL", mem ? "kiln_glue_memory" : "NULL",
		in->memory_cap_pages);
	fputs("\t.wasm_sha256 = {", f);
	for (int k = 0; k < 32; k++)
		fprintf(f, "%s0x%02x", k == 0 ? "" : k % 8 ? ", " : ",\n\t\t", in->wasm_sha256[k]);
	fputs("},\n};\n", f);
}

/* Distinct import module names, sorted by their bytes. */
static int collect_import_modules(struct glue *g)
{
	const struct kiln_wasm_module *m = g->m;
	const struct kiln_wasm_bytes **all;
	uint32_t n = 0;

	if (m->nimports == 0)
		return KILN_OK;
	all = malloc(m->nimports * sizeof all[0]);
	if (all == NULL)
		return kiln_err_set(g->err, KILN_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nimports; i++)
		all[i] = &m->imports[i].module;
	qsort(all, m->nimports, sizeof all[0], bytesp_cmp);
	for (uint32_t i = 0; i < m->nimports; i++)
		if (n == 0 || bytes_cmp(all[n - 1], all[i]) != 0)
			all[n++] = all[i];
	g->imods = all;
	g->nimods = n;
	return KILN_OK;
}

static int check_names(struct glue *g)
{
	const struct kiln_wasm_module *m = g->m;
	for (uint32_t i = 0; i < m->nimports; i++)
		if (has_nul(m->imports[i].module) || has_nul(m->imports[i].name))
			return kiln_err_set(g->err, KILN_EUNSUPPORTED,
					    "%s: import %u: a name holding a NUL byte cannot be "
					    "passed to the runtime",
					    kiln_module_label(m), i);
	return KILN_OK;
}

int kiln_glue_generate(const struct kiln_glue_input *in, char **out, size_t *len,
		       struct kiln_err *err)
{
	struct glue g = {NULL, in, in->m, NULL, NULL, NULL, 0, err};
	const struct kiln_wasm_module *m = in->m;
	const struct kiln_wasm_export *mem;
	char *buf = NULL;
	size_t buflen = 0, modlen = 0;
	FILE *modf = NULL;
	int rc = KILN_OK;

	*out = NULL;
	*len = 0;
	if (!kiln_name_valid(in->name)) {
		rc = kiln_err_set(err, KILN_EINVAL, "invalid module name \"%s\"", in->name);
		goto out;
	}
	if ((rc = check_names(&g)) != KILN_OK)
		goto out;
	mem = memory_export(m);
	if (has_memory(m) && mem == NULL) {
		rc = kiln_err_set(err, KILN_EINTERNAL,
				  "%s: memory 0 is not exported (kiln_glue_export_memory not run)",
				  kiln_module_label(m));
		goto out;
	}
	modf = open_memstream(&g.mod, &modlen);
	if (modf == NULL || kiln_mangle(modf, (const uint8_t *)in->name, strlen(in->name)) != 0 ||
	    fclose(modf) != 0) {
		modf = NULL;
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	if (m->nexports) {
		g.order = malloc(m->nexports * sizeof g.order[0]);
		if (g.order == NULL) {
			rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < m->nexports; i++)
			g.order[i] = i;
		qsort_r(g.order, m->nexports, sizeof g.order[0], export_cmp, (void *)m);
	}
	if ((rc = collect_import_modules(&g)) != KILN_OK)
		goto out;

	g.f = open_memstream(&buf, &buflen);
	if (g.f == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	fprintf(g.f,
		"/* Generated by kiln compile: the kiln_module_desc of module %s.  Do not edit. */\n"
		"\n"
		"#include <stddef.h>\n\n"
		"/* wasm2c 1.0.32 gave an imported function in an element segment the\n"
		" * address of its context instead of the context; kiln compile marks\n"
		" * those entries' offsets (+ 1) and initialises them with this. */\n"
		"#define KILN_W2C_IMPORT_OFFSET(type, field) (offsetof(type, field) + 1)\n"
		"static inline void *kiln_w2c_elem_instance(void *instance, size_t offset)\n{\n"
		"\treturn offset == 0 ? instance : *(void **)((char *)instance + offset - 1);\n}\n\n"
		"/* Running out of fuel is rare: declared cold, the slow paths of the fuel\n"
		" * pass's charges go out of line.  kiln.fuel_trap never returns, but is not\n"
		" * declared noreturn: a loop whose only way out were that call would have a\n"
		" * computable exit, and cc would replace (loop (br 0)) by its last charge,\n"
		" * trapping at once for lack of fuel where a deadline should stop it. */\n"
		"#include <stdint.h>\n"
		"struct Z_kiln_instance_t;\n"
		"void Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *) __attribute__((cold));\n"
		"void Z_kilnZ_fuel_trap(struct Z_kiln_instance_t *, uint64_t)\n"
		"\t__attribute__((cold));\n"
		"/* kiln compile has turned wasm2c's calls of kiln.fuel_trap into calls\n"
		" * of the runtime's kiln_fuel_trap, which takes no instance: fueled\n"
		" * functions need not keep theirs live for the cold call. */\n"
		"void kiln_fuel_trap(uint64_t) __attribute__((cold));\n"
		"/* the trap of a KILN_CHARGE of kiln.fuel_trap: no instance */\n"
		"#define KILN_CHARGE_TRAP(ctx, left) kiln_fuel_trap(left)\n"
		"\n"
		"/* A charge of the fuel pass (compiler/charge.c): the counter f pays c\n"
		" * and trap(ctx, f - c) is called when that goes below zero: sub and js\n"
		" * with gcc and clang alike. */\n"
		"#define KILN_CHARGE(f, c, trap, ctx)                                        \\\n"
		"\tdo {                                                                  \\\n"
		"\t\t(f) -= (c);                                                     \\\n"
		"\t\tif ((int64_t)(f) < 0)                                           \\\n"
		"\t\t\ttrap(ctx, (f));                                            \\\n"
		"\t} while (0)\n"
		"\n"
		"/* wasm2c's loads and stores, from a base pointer instead of the memory\n"
		" * (see compiler/membase.c).  A load whose value is unused must stay, and\n"
		" * with it its trap (KILN_LOAD_REG below). */\n"
		"_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, \"little-endian only\");\n"
		"/* A float is kept in a floating-point register (wasm2c's \"r\" moved each\n"
		" * one to a general register and back). */\n"
		"#if defined(__x86_64__) || defined(__i386__)\n"
		"#define KILN_FREG \"x\"\n"
		"#elif defined(__aarch64__)\n"
		"#define KILN_FREG \"w\"\n"
		"#else\n"
		"#define KILN_FREG \"r\"\n"
		"#endif\n"
		"/* Wasm arithmetic turns a signalling NaN into a quiet one, so x - 0.0,\n"
		" * x * 1.0 or demote(promote(x)) must not fold to x.  gcc gets\n"
		" * -fsignaling-nans; for clang, kiln compile hides every float value it\n"
		" * could know from it (compiler/fpconst.c): a literal 0 or 1, a\n"
		" * reinterpreted or converted value, a float local's first 0. */\n"
		"#ifdef __clang__\n"
		"#define KILN_FPIN(x) __asm__(\"\" : \"+\" KILN_FREG(x))\n"
		"#else\n"
		"#define KILN_FPIN(x) ((void)0)\n"
		"#endif\n"
		"#define KILN_LOAD_REG(name, t1, t2, t3, reg)                                \\\n"
		"\tstatic inline t3 kiln_##name(uint8_t *base, uint64_t addr)          \\\n"
		"\t{                                                                     \\\n"
		"\t\tt1 result;                                                      \\\n"
		"\t\t__builtin_memcpy(&result, base + addr, sizeof(t1));             \\\n"
		"\t\t__asm__(\"\" ::reg(result));                                       \\\n"
		"\t\treturn (t3)(t2)result;                                          \\\n"
		"\t}\n"
		"#define KILN_LOAD(name, t1, t2, t3) KILN_LOAD_REG(name, t1, t2, t3, \"r\")\n"
		"/* Byte, halfword and float loads: clang reads them through a volatile\n"
		" * pointer, which it may not drop either, and folds them into movzbl,\n"
		" * a narrow cmp or an FP operation, where the asm pinned the value in a\n"
		" * register (strings -4.3%%, n-body -10%% instructions).  Not 32- and\n"
		" * 64-bit integer loads: clang may not move volatile loads, and an\n"
		" * interpreter's dispatch ran 15%% slower.  gcc folds no volatile load\n"
		" * into another instruction: it keeps the memcpy and the asm. */\n"
		"#ifdef __clang__\n"
		"#define KILN_LOAD_VOL(name, t1, t2, t3)                                     \\\n"
		"\ttypedef t1 __attribute__((aligned(1), may_alias)) kiln_##name##_t;  \\\n"
		"\tstatic inline t3 kiln_##name(uint8_t *base, uint64_t addr)          \\\n"
		"\t{                                                                     \\\n"
		"\t\treturn (t3)(t2) * (volatile kiln_##name##_t *)(base + addr);     \\\n"
		"\t}\n"
		"#define KILN_LOAD_NARROW(name, t1, t2, t3) KILN_LOAD_VOL(name, t1, t2, t3)\n"
		"#define KILN_LOAD_FLOAT(name, t1, t2, t3) KILN_LOAD_VOL(name, t1, t2, t3)\n"
		"#else\n"
		"#define KILN_LOAD_NARROW(name, t1, t2, t3) KILN_LOAD(name, t1, t2, t3)\n"
		"#define KILN_LOAD_FLOAT(name, t1, t2, t3) KILN_LOAD_REG(name, t1, t2, t3, KILN_FREG)\n"
		"#endif\n"
		"#define KILN_STORE(name, t1, t2)                                            \\\n"
		"\tstatic inline void kiln_##name(uint8_t *base, uint64_t addr, t2 value) \\\n"
		"\t{                                                                     \\\n"
		"\t\tt1 wrapped = (t1)value;                                         \\\n"
		"\t\t__builtin_memcpy(base + addr, &wrapped, sizeof(t1));            \\\n"
		"\t}\n"
		"KILN_LOAD(i32_load, uint32_t, uint32_t, uint32_t)\n"
		"KILN_LOAD(i64_load, uint64_t, uint64_t, uint64_t)\n"
		"KILN_LOAD_FLOAT(f32_load, float, float, float)\n"
		"KILN_LOAD_FLOAT(f64_load, double, double, double)\n"
		"KILN_LOAD_NARROW(i32_load8_s, int8_t, int32_t, uint32_t)\n"
		"KILN_LOAD_NARROW(i64_load8_s, int8_t, int64_t, uint64_t)\n"
		"KILN_LOAD_NARROW(i32_load8_u, uint8_t, uint32_t, uint32_t)\n"
		"KILN_LOAD_NARROW(i64_load8_u, uint8_t, uint64_t, uint64_t)\n"
		"KILN_LOAD_NARROW(i32_load16_s, int16_t, int32_t, uint32_t)\n"
		"KILN_LOAD_NARROW(i64_load16_s, int16_t, int64_t, uint64_t)\n"
		"KILN_LOAD_NARROW(i32_load16_u, uint16_t, uint32_t, uint32_t)\n"
		"KILN_LOAD_NARROW(i64_load16_u, uint16_t, uint64_t, uint64_t)\n"
		"KILN_LOAD(i64_load32_s, int32_t, int64_t, uint64_t)\n"
		"KILN_LOAD(i64_load32_u, uint32_t, uint64_t, uint64_t)\n"
		"KILN_STORE(i32_store, uint32_t, uint32_t)\n"
		"KILN_STORE(i64_store, uint64_t, uint64_t)\n"
		"KILN_STORE(f32_store, float, float)\n"
		"KILN_STORE(f64_store, double, double)\n"
		"KILN_STORE(i32_store8, uint8_t, uint32_t)\n"
		"KILN_STORE(i32_store16, uint16_t, uint32_t)\n"
		"KILN_STORE(i64_store8, uint8_t, uint64_t)\n"
		"KILN_STORE(i64_store16, uint16_t, uint64_t)\n"
		"KILN_STORE(i64_store32, uint32_t, uint64_t)\n"
		"\n"
		"#include \"",
		in->name);
	fputs(in->wasm2c_source, g.f); /* a file name the driver chose: [A-Za-z0-9_.] */
	fputs("\"\n#include \"kiln_abi.h\"\n\n"
	      "_Static_assert(sizeof(struct kiln_funcref) == sizeof(wasm_rt_funcref_t),\n"
	      "\t       \"struct kiln_funcref must match wasm_rt_funcref_t\");\n"
	      "_Static_assert(offsetof(struct kiln_funcref, module_instance) ==\n"
	      "\t       offsetof(wasm_rt_funcref_t, module_instance),\n"
	      "\t       \"struct kiln_funcref must match wasm_rt_funcref_t\");\n\n"
	      "static inline wasm_rt_funcref_t kiln_glue_funcref_in(struct kiln_funcref r)\n{\n"
	      "\twasm_rt_funcref_t f = {r.func_type, r.func, r.module_instance};\n"
	      "\treturn f;\n}\n\n"
	      "static inline struct kiln_funcref kiln_glue_funcref_out(wasm_rt_funcref_t f)\n{\n"
	      "\tstruct kiln_funcref r = {f.func_type, f.func, f.module_instance};\n"
	      "\treturn r;\n}\n\n",
	      g.f);
	/* The metadata, NUL-terminated: linked objects concatenate their
	 * sections and `kiln inspect` splits them on NUL. */
	fputs("__attribute__((section(\"" KILN_META_SECTION "\"), used))\n"
	      "static const char kiln_glue_meta[] =\n\t",
	      g.f);
	c_string(g.f, (const uint8_t *)in->meta_json, strlen(in->meta_json));
	fputs(";\n\n", g.f);

	if ((rc = emit_imports(&g)) != KILN_OK || (rc = emit_exports(&g)) != KILN_OK)
		goto out;
	emit_instantiate(&g);
	emit_accessors(&g, mem);
	emit_desc(&g, mem);
	if (ferror(g.f)) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory writing the glue");
		goto out;
	}
out:
	if (g.f != NULL && fclose(g.f) != 0 && rc == KILN_OK)
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory writing the glue");
	if (rc == KILN_OK) {
		*out = buf;
		*len = buflen;
	} else {
		free(buf);
	}
	free(g.mod);
	free(g.order);
	free(g.imods);
	return rc;
}

int kiln_glue_export_memory(struct kiln_wasm_module *m, bool *added, struct kiln_err *err)
{
	static const char name[] = KILN_MEMORY_EXPORT;
	struct kiln_wasm_export *nx;

	*added = false;
	if (!has_memory(m) || memory_export(m) != NULL)
		return KILN_OK;
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].name.len == sizeof name - 1 &&
		    memcmp(m->exports[i].name.data, name, sizeof name - 1) == 0)
			return kiln_err_set(err, KILN_EINVALID,
					    "%s: export name \"%s\" is reserved for kiln",
					    kiln_module_label(m), name);
	nx = realloc(m->exports, ((size_t)m->nexports + 1) * sizeof nx[0]);
	if (nx == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	m->exports = nx;
	memset(&nx[m->nexports], 0, sizeof nx[0]);
	nx[m->nexports].name.data = (const uint8_t *)name;
	nx[m->nexports].name.len = sizeof name - 1;
	nx[m->nexports].kind = KILN_WASM_KIND_MEMORY;
	nx[m->nexports].index = 0;
	m->nexports++;
	m->present |= 1u << KILN_WASM_SEC_EXPORT;
	*added = true;
	return KILN_OK;
}
