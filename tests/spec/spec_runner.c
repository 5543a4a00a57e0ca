/*
 * spec_runner.c — the fixed part of every spec runner (check-spec).
 *
 *   runner NAME.json [--cache DIR] [-v]
 *
 * Interprets the wast2json commands of one .wast file at run time through
 * libkiln-rt's generic API: "module" instantiates the compiled module
 * (kiln_instance_new), actions go through kiln_instance_export +
 * kiln_instance_invoke with typed kiln_val arguments (or read an exported
 * global through its `get` accessor), and every assert_return, assert_trap,
 * assert_exhaustion and assert_uninstantiable is checked and counted.
 * Results: integers and floats bit for bit, NaN expectations as canonical
 * or arithmetic NaNs, references as null / non-null / the host reference
 * given.  A trap must be of the kind the spec's message stands for (see
 * trap_kinds below), not just any trap.
 *
 * The `spectest` module is the host's: its print functions, its four
 * globals (666, 666, 666.6, 666.6), a memory of 1 page (max 2) and a
 * funcref table of 10 (max 20), both made by the host outside any
 * instantiation.  `register` makes an instance importable under a name:
 * the engine's resolve_import hands a module that imports from it the
 * registration as context, after checking every import against the
 * registered instance's exports, and the generated adapters (gen.c) call
 * the registered instance's exports through it.
 *
 * Every instance runs with unlimited fuel, memory and soft deadline (fuel
 * must never end a spec test: assert_exhaustion ends by the stack guard)
 * and a hard deadline of SPEC_HARD_DEADLINE_NS, which turns a hang into a
 * failure.  All instances live until the end of the file: tables and
 * globals may hold references to any of them.
 *
 * Prints one line per failure (file, line, command, what was expected and
 * what came) and ends with "NAME: N passed, M failed"; commands that are
 * not counted but fail (a module that does not instantiate, a failing
 * action) add to M.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "spec_runner.h"

#define SPEC_HARD_DEADLINE_NS 60000000000ull
#define MAX_VALUES 64
#define WHY 512

/* A registration: what `register "as"` made importable. */
struct spec_link {
	char *as;
	struct kiln_instance *inst;
};

struct named {
	char *name;
	struct kiln_instance *inst;
};

static struct kiln_engine *eng;
static struct kiln_extension *exts;           /* one per spec_modules entry */
static struct kiln_instance **instances;      /* all, freed at the end */
static size_t ninstances;
static struct named *names;
static size_t nnames;
static struct spec_link **links;
static size_t nlinks;
static struct kiln_instance *current;
static const char *cache_dir = "build/spec-cache";
static bool verbose;
static unsigned passed, failed, extra_failed;
static unsigned not_counted_unlinkable, not_counted_invalid, not_counted_malformed;

static const struct kiln_grants grants = {
	.fuel_per_call = KILN_UNLIMITED,
	.fuel_instantiate = KILN_UNLIMITED,
	.memory_cap_bytes = KILN_UNLIMITED,
	.soft_deadline_ns = KILN_UNLIMITED,
	.hard_deadline_ns = SPEC_HARD_DEADLINE_NS,
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL) {
		fprintf(stderr, "spec runner: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL) {
		fprintf(stderr, "spec runner: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (d == NULL) {
		fprintf(stderr, "spec runner: out of memory\n");
		exit(2);
	}
	return d;
}

static void why(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, WHY, fmt, ap);
	va_end(ap);
}

/* ---- the spectest host module ---------------------------------------------- */

static wasm_rt_memory_t spectest_memory;
static wasm_rt_funcref_table_t spectest_table;
static uint32_t spectest_global_i32 = 666;
static uint64_t spectest_global_i64 = 666;
static float spectest_global_f32 = 666.6f;
static double spectest_global_f64 = 666.6;
static char spectest_ctx; /* any non-NULL context */
static unsigned long spectest_prints;

/* What spectest exports, for the link check (import descriptor layout). */
static const uint8_t t_i32[] = {KILN_I32}, t_i64[] = {KILN_I64}, t_f32[] = {KILN_F32},
		     t_f64[] = {KILN_F64}, t_i32_f32[] = {KILN_I32, KILN_F32},
		     t_f64_f64[] = {KILN_F64, KILN_F64}, t_funcref[] = {KILN_FUNCREF};
static const struct kiln_import_desc spectest_exports[] = {
	{"spectest", "global_f32", KILN_EXTERN_GLOBAL, 0, 1, t_f32},
	{"spectest", "global_f64", KILN_EXTERN_GLOBAL, 0, 1, t_f64},
	{"spectest", "global_i32", KILN_EXTERN_GLOBAL, 0, 1, t_i32},
	{"spectest", "global_i64", KILN_EXTERN_GLOBAL, 0, 1, t_i64},
	{"spectest", "memory", KILN_EXTERN_MEMORY, 0, 0, NULL},
	{"spectest", "print", KILN_EXTERN_FUNC, 0, 0, NULL},
	{"spectest", "print_f32", KILN_EXTERN_FUNC, 1, 0, t_f32},
	{"spectest", "print_f64", KILN_EXTERN_FUNC, 1, 0, t_f64},
	{"spectest", "print_f64_f64", KILN_EXTERN_FUNC, 2, 0, t_f64_f64},
	{"spectest", "print_i32", KILN_EXTERN_FUNC, 1, 0, t_i32},
	{"spectest", "print_i32_f32", KILN_EXTERN_FUNC, 2, 0, t_i32_f32},
	{"spectest", "print_i64", KILN_EXTERN_FUNC, 1, 0, t_i64},
	{"spectest", "table", KILN_EXTERN_TABLE, 0, 1, t_funcref},
};

void Z_spectestZ_print(void *ctx);
void Z_spectestZ_print_i32(void *ctx, uint32_t a);
void Z_spectestZ_print_i64(void *ctx, uint64_t a);
void Z_spectestZ_print_f32(void *ctx, float a);
void Z_spectestZ_print_f64(void *ctx, double a);
void Z_spectestZ_print_i32_f32(void *ctx, uint32_t a, float b);
void Z_spectestZ_print_f64_f64(void *ctx, double a, double b);
uint32_t *Z_spectestZ_global_i32(void *ctx);
uint64_t *Z_spectestZ_global_i64(void *ctx);
float *Z_spectestZ_global_f32(void *ctx);
double *Z_spectestZ_global_f64(void *ctx);
wasm_rt_memory_t *Z_spectestZ_memory(void *ctx);
wasm_rt_funcref_table_t *Z_spectestZ_table(void *ctx);

/* The print functions count their calls, and print them with -v (as host
 * functions doing I/O, inside kiln_host_enter/leave). */
static void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print(const char *fmt, ...)
{
	va_list ap;
	spectest_prints++;
	if (!verbose)
		return;
	kiln_host_enter();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	kiln_host_leave();
}

void Z_spectestZ_print(void *ctx)
{
	(void)ctx;
	print("spectest.print()\n");
}

void Z_spectestZ_print_i32(void *ctx, uint32_t a)
{
	(void)ctx;
	print("spectest.print_i32(%" PRIu32 ")\n", a);
}

void Z_spectestZ_print_i64(void *ctx, uint64_t a)
{
	(void)ctx;
	print("spectest.print_i64(%" PRIu64 ")\n", a);
}

void Z_spectestZ_print_f32(void *ctx, float a)
{
	(void)ctx;
	print("spectest.print_f32(%g)\n", (double)a);
}

void Z_spectestZ_print_f64(void *ctx, double a)
{
	(void)ctx;
	print("spectest.print_f64(%g)\n", a);
}

void Z_spectestZ_print_i32_f32(void *ctx, uint32_t a, float b)
{
	(void)ctx;
	print("spectest.print_i32_f32(%" PRIu32 ", %g)\n", a, (double)b);
}

void Z_spectestZ_print_f64_f64(void *ctx, double a, double b)
{
	(void)ctx;
	print("spectest.print_f64_f64(%g, %g)\n", a, b);
}

uint32_t *Z_spectestZ_global_i32(void *ctx)
{
	(void)ctx;
	return &spectest_global_i32;
}

uint64_t *Z_spectestZ_global_i64(void *ctx)
{
	(void)ctx;
	return &spectest_global_i64;
}

float *Z_spectestZ_global_f32(void *ctx)
{
	(void)ctx;
	return &spectest_global_f32;
}

double *Z_spectestZ_global_f64(void *ctx)
{
	(void)ctx;
	return &spectest_global_f64;
}

wasm_rt_memory_t *Z_spectestZ_memory(void *ctx)
{
	(void)ctx;
	return &spectest_memory;
}

wasm_rt_funcref_table_t *Z_spectestZ_table(void *ctx)
{
	(void)ctx;
	return &spectest_table;
}

/* ---- linking ----------------------------------------------------------------- */

/* A call from one instance into another is a host function calling into
 * wasm: kiln_instance_invoke, nested in the caller's call, and a trap in
 * the callee traps the caller with the same kind. */
void spec_link_call(struct spec_link *link, size_t index, const union kiln_raw *args,
		    union kiln_raw *results)
{
	const struct kiln_import_desc *imp = &spec_imports[index];
	const struct kiln_export_desc *e = kiln_instance_export(link->inst, imp->name);
	struct kiln_val a[MAX_VALUES], r[MAX_VALUES];
	struct kiln_err err;
	int rc;

	/* resolve() checked the export before the importer could run */
	if (e == NULL || e->kind != KILN_EXTERN_FUNC || imp->nparams > MAX_VALUES ||
	    imp->nresults > MAX_VALUES)
		kiln_trap_raise(KILN_TRAP_HOST);
	for (uint32_t i = 0; i < imp->nparams; i++) {
		a[i].type = (enum kiln_valtype)imp->types[i];
		a[i].of = args[i];
	}
	rc = kiln_instance_invoke(link->inst, e, a, imp->nparams, r, imp->nresults, &err);
	if (rc == KILN_ETRAP)
		kiln_trap_raise(kiln_instance_trap(link->inst, NULL));
	if (rc != KILN_OK)
		kiln_trap_raise(KILN_TRAP_HOST);
	for (uint32_t i = 0; i < imp->nresults; i++)
		results[i] = r[i].of;
}

void *spec_link_get(struct spec_link *link, size_t index)
{
	const struct kiln_export_desc *e = kiln_instance_export(link->inst, spec_imports[index].name);
	if (e == NULL || e->get == NULL)
		kiln_trap_raise(KILN_TRAP_HOST);
	return e->get(kiln_instance_module(link->inst));
}

/* Whether import @imp can be given export @e (kind and type, as the spec's
 * "incompatible import type"); the reason in @err otherwise. */
static bool compatible(const struct kiln_import_desc *imp, enum kiln_extern_kind kind,
		       uint32_t nparams, uint32_t nresults, const uint8_t *types,
		       struct kiln_err *err)
{
	uint32_t n = 0;
	if (kind != imp->kind) {
		kiln_err_set(err, KILN_ELINK, "\"%s\".\"%s\": incompatible import type (kind)",
			     imp->module, imp->name);
		return false;
	}
	if (kind == KILN_EXTERN_FUNC || kind == KILN_EXTERN_GLOBAL)
		n = nparams + nresults;
	else if (kind == KILN_EXTERN_TABLE)
		n = 1;
	if (nparams != imp->nparams || nresults != imp->nresults ||
	    (n != 0 && memcmp(types, imp->types, kind == KILN_EXTERN_GLOBAL ? 1 : n) != 0)) {
		kiln_err_set(err, KILN_ELINK, "\"%s\".\"%s\": incompatible import type",
			     imp->module, imp->name);
		return false;
	}
	return true;
}

static struct spec_link *registered(const char *as)
{
	for (size_t i = nlinks; i-- > 0;)
		if (strcmp(links[i]->as, as) == 0)
			return links[i];
	return NULL;
}

/* The engine's resolve_import: "spectest" is the host's, other modules are
 * registrations; every import from @module is checked first. */
static void *resolve(void *user, struct kiln_instance *inst, const char *module,
		     struct kiln_err *err)
{
	const struct kiln_module_desc *desc = kiln_instance_extension(inst)->module;
	bool spectest = strcmp(module, "spectest") == 0;
	struct spec_link *link = spectest ? NULL : registered(module);

	(void)user;
	if (!spectest && link == NULL) {
		kiln_err_set(err, KILN_ELINK, "unknown import module \"%s\"", module);
		return NULL;
	}
	for (uint32_t i = 0; i < desc->nimports; i++) {
		const struct kiln_import_desc *imp = &desc->imports[i];
		bool found = false;
		if (strcmp(imp->module, module) != 0)
			continue;
		if (spectest) {
			for (size_t k = 0; k < sizeof spectest_exports / sizeof spectest_exports[0];
			     k++) {
				const struct kiln_import_desc *x = &spectest_exports[k];
				if (strcmp(x->name, imp->name) != 0)
					continue;
				found = true;
				if (!compatible(imp, x->kind, x->nparams, x->nresults, x->types, err))
					return NULL;
			}
		} else {
			const struct kiln_export_desc *e = kiln_instance_export(link->inst, imp->name);
			if (e != NULL) {
				found = true;
				if (!compatible(imp, e->kind, e->nparams, e->nresults, e->types, err))
					return NULL;
			}
		}
		if (!found) {
			kiln_err_set(err, KILN_ELINK, "\"%s\".\"%s\": unknown import", module,
				     imp->name);
			return NULL;
		}
	}
	return spectest ? (void *)&spectest_ctx : (void *)link;
}

/* ---- values ------------------------------------------------------------------ */

enum expect_kind { EXACT, CANONICAL_NAN, ARITHMETIC_NAN, NONNULL };

struct expect {
	enum kiln_valtype type;
	enum expect_kind kind;
	uint64_t bits; /* integers and floats: the bits; refs: host value + 1, 0 null */
};

static bool valtype_of(const char *s, enum kiln_valtype *out)
{
	static const char *const n[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
	for (int i = 0; i < 6; i++) {
		if (strcmp(s, n[i]) == 0) {
			*out = (enum kiln_valtype)i;
			return true;
		}
	}
	return false;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* A JSON value {"type": T, "value": V} as an expectation. */
static bool parse_expect(json_t *v, struct expect *x, char *w)
{
	const char *t = json_string_value(json_object_get(v, "type"));
	const char *s = json_string_value(json_object_get(v, "value"));

	memset(x, 0, sizeof *x);
	if (t == NULL || !valtype_of(t, &x->type)) {
		why(w, "value of unknown type %s", t ? t : "(none)");
		return false;
	}
	if (s == NULL) {
		if (x->type != KILN_FUNCREF && x->type != KILN_EXTERNREF) {
			why(w, "%s value missing", t);
			return false;
		}
		x->kind = NONNULL; /* (ref.func) / (ref.extern): any non-null */
		return true;
	}
	if (strcmp(s, "nan:canonical") == 0 || strcmp(s, "nan:arithmetic") == 0) {
		if (x->type != KILN_F32 && x->type != KILN_F64) {
			why(w, "%s for a %s", s, t);
			return false;
		}
		x->kind = s[4] == 'c' ? CANONICAL_NAN : ARITHMETIC_NAN;
		return true;
	}
	if ((x->type == KILN_FUNCREF || x->type == KILN_EXTERNREF) && strcmp(s, "null") == 0)
		return true;
	if (!parse_u64(s, &x->bits) ||
	    ((x->type == KILN_I32 || x->type == KILN_F32) && x->bits > UINT32_MAX) ||
	    (x->type == KILN_FUNCREF)) {
		why(w, "bad %s value \"%s\"", t, s);
		return false;
	}
	if (x->type == KILN_EXTERNREF)
		x->bits++; /* host reference N is the pointer N + 1: never null */
	return true;
}

/* A JSON argument as a kiln_val. */
static bool parse_arg(json_t *v, struct kiln_val *out, char *w)
{
	struct expect x;
	if (!parse_expect(v, &x, w))
		return false;
	if (x.kind != EXACT) {
		why(w, "an argument that is not a value");
		return false;
	}
	memset(out, 0, sizeof *out);
	out->type = x.type;
	switch (x.type) {
	case KILN_I32: out->of.i32 = (uint32_t)x.bits; break;
	case KILN_I64: out->of.i64 = x.bits; break;
	case KILN_F32: {
		uint32_t b = (uint32_t)x.bits;
		memcpy(&out->of.f32, &b, sizeof b);
		break;
	}
	case KILN_F64: memcpy(&out->of.f64, &x.bits, sizeof x.bits); break;
	case KILN_FUNCREF: break; /* null */
	case KILN_EXTERNREF: out->of.externref = (void *)(uintptr_t)x.bits; break;
	}
	return true;
}

static uint64_t bits_of(const struct kiln_val *v)
{
	uint32_t b32;
	uint64_t b64;
	switch (v->type) {
	case KILN_I32: return v->of.i32;
	case KILN_I64: return v->of.i64;
	case KILN_F32: memcpy(&b32, &v->of.f32, sizeof b32); return b32;
	case KILN_F64: memcpy(&b64, &v->of.f64, sizeof b64); return b64;
	case KILN_FUNCREF: return v->of.funcref.func != NULL;
	case KILN_EXTERNREF: return (uintptr_t)v->of.externref;
	}
	return 0;
}

static bool matches(const struct expect *x, const struct kiln_val *v)
{
	uint64_t b = bits_of(v);
	if (x->type != v->type)
		return false;
	switch (x->kind) {
	case EXACT:
		if (x->type == KILN_FUNCREF)
			return v->of.funcref.func == NULL; /* only null is written */
		return b == x->bits;
	case NONNULL:
		return b != 0;
	case CANONICAL_NAN:
		return x->type == KILN_F32 ? (b & 0x7fffffffu) == 0x7fc00000u
					   : (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
	case ARITHMETIC_NAN:
		return x->type == KILN_F32 ? (b & 0x7fc00000u) == 0x7fc00000u
					   : (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
	}
	return false;
}

static void show_val(char *buf, size_t n, const struct kiln_val *v)
{
	static const char *const t[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
	uint64_t b = bits_of(v);
	switch (v->type) {
	case KILN_I32: snprintf(buf, n, "i32:%" PRIu64 " (0x%08" PRIx64 ")", b, b); break;
	case KILN_I64: snprintf(buf, n, "i64:%" PRIu64 " (0x%016" PRIx64 ")", b, b); break;
	case KILN_F32: snprintf(buf, n, "f32:%.9g (0x%08" PRIx64 ")", (double)v->of.f32, b); break;
	case KILN_F64: snprintf(buf, n, "f64:%.17g (0x%016" PRIx64 ")", v->of.f64, b); break;
	default:
		if (b == 0)
			snprintf(buf, n, "%s:null", t[v->type]);
		else if (v->type == KILN_EXTERNREF)
			snprintf(buf, n, "externref:%" PRIu64, b - 1);
		else
			snprintf(buf, n, "funcref:non-null");
		break;
	}
}

static void show_expect(char *buf, size_t n, const struct expect *x)
{
	static const char *const t[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
	switch (x->kind) {
	case CANONICAL_NAN: snprintf(buf, n, "%s:nan:canonical", t[x->type]); break;
	case ARITHMETIC_NAN: snprintf(buf, n, "%s:nan:arithmetic", t[x->type]); break;
	case NONNULL: snprintf(buf, n, "%s:non-null", t[x->type]); break;
	case EXACT:
		if (x->type == KILN_FUNCREF || x->type == KILN_EXTERNREF) {
			if (x->bits == 0)
				snprintf(buf, n, "%s:null", t[x->type]);
			else
				snprintf(buf, n, "externref:%" PRIu64, x->bits - 1);
		} else {
			snprintf(buf, n, "%s:0x%" PRIx64, t[x->type], x->bits);
		}
		break;
	}
}

/* ---- trap kinds --------------------------------------------------------------- */

/* The spec's trap messages and the kiln trap kind each stands for.  The
 * spec test's text is a prefix of an implementation's message, so a text
 * maps to the first entry it starts with. */
static const struct {
	const char *text;
	enum kiln_trap_kind kind;
} trap_kinds[] = {
	{"out of bounds memory access", KILN_TRAP_OUT_OF_BOUNDS},
	{"out of bounds table access", KILN_TRAP_OUT_OF_BOUNDS},
	{"undefined element", KILN_TRAP_INDIRECT_CALL},     /* call_indirect past the table */
	{"uninitialized element", KILN_TRAP_INDIRECT_CALL}, /* call_indirect of a null entry */
	{"indirect call type mismatch", KILN_TRAP_INDIRECT_CALL},
	{"integer divide by zero", KILN_TRAP_DIV_BY_ZERO},
	{"integer overflow", KILN_TRAP_INT_OVERFLOW},
	{"invalid conversion to integer", KILN_TRAP_INVALID_CONVERSION},
	{"unreachable", KILN_TRAP_UNREACHABLE},
	{"call stack exhausted", KILN_TRAP_STACK_EXHAUSTION},
};

static bool kind_for(const char *text, enum kiln_trap_kind *out)
{
	for (size_t i = 0; i < sizeof trap_kinds / sizeof trap_kinds[0]; i++) {
		if (strncmp(text, trap_kinds[i].text, strlen(trap_kinds[i].text)) == 0) {
			*out = trap_kinds[i].kind;
			return true;
		}
	}
	return false;
}

/* ---- modules ------------------------------------------------------------------- */

static long module_index(const char *file)
{
	for (size_t i = 0; i < spec_nmodules; i++)
		if (spec_modules[i].file != NULL && strcmp(spec_modules[i].file, file) == 0)
			return (long)i;
	return -1;
}

/* The first line of the compile log of module @i, for a failed compile. */
static void compile_failure(size_t i, char *w)
{
	char path[1024], line[300] = "";
	FILE *f;
	snprintf(path, sizeof path, "%s/%s.log", cache_dir, spec_modules[i].key);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fgets(line, sizeof line, f) == NULL)
			line[0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		fclose(f);
	}
	why(w, "kiln compile failed (%s): %s", path, line[0] ? line : "no log");
}

/* Instantiate module file @file: KILN_OK, a kiln status, or -1 when it was
 * not compiled; @w says why. */
static int instantiate(const char *file, struct kiln_instance **out, char *w)
{
	struct kiln_err err;
	long i = module_index(file);
	int rc;

	*out = NULL;
	if (i < 0) {
		why(w, "module %s is not in the runner", file);
		return -1;
	}
	if (spec_modules[i].desc == NULL) {
		compile_failure((size_t)i, w);
		return -1;
	}
	rc = kiln_instance_new(eng, &exts[i], &grants, out, &err);
	if (rc != KILN_OK)
		why(w, "%s", err.msg);
	return rc;
}

static void keep(struct kiln_instance *inst)
{
	instances = xrealloc(instances, (ninstances + 1) * sizeof *instances);
	instances[ninstances++] = inst;
}

static struct kiln_instance *named(const char *name)
{
	for (size_t i = nnames; i-- > 0;)
		if (strcmp(names[i].name, name) == 0)
			return names[i].inst;
	return NULL;
}

/* ---- reporting ------------------------------------------------------------------ */

static void fail(unsigned line, const char *cmd, const char *field, const char *w)
{
	failed++;
	printf("FAIL %s.wast:%u: %s%s%s%s: %s\n", spec_file, line, cmd, field ? " \"" : "",
	       field ? field : "", field ? "\"" : "", w);
}

static void fail_extra(unsigned line, const char *cmd, const char *field, const char *w)
{
	fail(line, cmd, field, w);
	failed--;
	extra_failed++;
}

/* ---- actions --------------------------------------------------------------------- */

struct outcome {
	int rc;                       /* KILN_OK, KILN_ETRAP, or another failure */
	enum kiln_trap_kind trap;
	struct kiln_val results[MAX_VALUES];
	size_t nresults;
};

/* Perform @action; false (and @w) when it could not be performed at all. */
static bool perform(json_t *action, struct outcome *o, char *w)
{
	const char *type = json_string_value(json_object_get(action, "type"));
	json_t *jfield = json_object_get(action, "field");
	const char *field = json_string_value(jfield);
	const char *mod = json_string_value(json_object_get(action, "module"));
	struct kiln_instance *inst = mod != NULL ? named(mod) : current;
	const struct kiln_export_desc *e;
	struct kiln_val args[MAX_VALUES];
	struct kiln_err err;
	json_t *jargs, *a;
	size_t i, nargs;

	memset(o, 0, sizeof *o);
	o->rc = -1;
	if (type == NULL || field == NULL) {
		why(w, "malformed action");
		return false;
	}
	if (inst == NULL) {
		why(w, "no module %s", mod != NULL ? mod : "(current)");
		return false;
	}
	e = kiln_instance_export_n(inst, field, json_string_length(jfield));
	if (e == NULL) {
		why(w, "no export \"%s\"", field);
		return false;
	}
	if (strcmp(type, "get") == 0) {
		void *p;
		if (e->kind != KILN_EXTERN_GLOBAL) {
			why(w, "export \"%s\" is not a global", field);
			return false;
		}
		p = e->get(kiln_instance_module(inst));
		o->results[0].type = (enum kiln_valtype)e->types[0];
		switch (o->results[0].type) {
		case KILN_I32: memcpy(&o->results[0].of.i32, p, 4); break;
		case KILN_I64: memcpy(&o->results[0].of.i64, p, 8); break;
		case KILN_F32: memcpy(&o->results[0].of.f32, p, 4); break;
		case KILN_F64: memcpy(&o->results[0].of.f64, p, 8); break;
		case KILN_FUNCREF:
			memcpy(&o->results[0].of.funcref, p, sizeof o->results[0].of.funcref);
			break;
		case KILN_EXTERNREF:
			memcpy(&o->results[0].of.externref, p, sizeof(void *));
			break;
		}
		o->nresults = 1;
		o->rc = KILN_OK;
		return true;
	}
	if (strcmp(type, "invoke") != 0) {
		why(w, "unknown action %s", type);
		return false;
	}
	jargs = json_object_get(action, "args");
	nargs = json_array_size(jargs);
	if (nargs > MAX_VALUES || e->kind != KILN_EXTERN_FUNC || e->nresults > MAX_VALUES) {
		why(w, "export \"%s\": not a function, or too many values", field);
		return false;
	}
	json_array_foreach(jargs, i, a) {
		if (!parse_arg(a, &args[i], w))
			return false;
	}
	o->nresults = e->nresults;
	o->rc = kiln_instance_invoke(inst, e, args, nargs, o->results, e->nresults, &err);
	if (o->rc == KILN_ETRAP)
		o->trap = kiln_instance_trap(inst, NULL);
	else if (o->rc != KILN_OK)
		why(w, "%s", err.msg);
	return true;
}

/* ---- commands -------------------------------------------------------------------- */

static void do_module(json_t *cmd, unsigned line)
{
	const char *file = json_string_value(json_object_get(cmd, "filename"));
	const char *name = json_string_value(json_object_get(cmd, "name"));
	struct kiln_instance *inst;
	char w[WHY];

	current = NULL;
	if (file == NULL || instantiate(file, &inst, w) != KILN_OK) {
		fail_extra(line, "module", file, file ? w : "no file name");
		return;
	}
	keep(inst);
	current = inst;
	if (name != NULL) {
		names = xrealloc(names, (nnames + 1) * sizeof *names);
		names[nnames].name = xstrdup(name);
		names[nnames++].inst = inst;
	}
}

static void do_register(json_t *cmd, unsigned line)
{
	const char *as = json_string_value(json_object_get(cmd, "as"));
	const char *name = json_string_value(json_object_get(cmd, "name"));
	struct kiln_instance *inst = name != NULL ? named(name) : current;

	if (as == NULL || inst == NULL) {
		fail_extra(line, "register", as, "no such module");
		return;
	}
	links = xrealloc(links, (nlinks + 1) * sizeof *links);
	links[nlinks] = xcalloc(1, sizeof **links);
	links[nlinks]->as = xstrdup(as);
	links[nlinks++]->inst = inst;
}

static const char *field_of(json_t *cmd)
{
	return json_string_value(json_object_get(json_object_get(cmd, "action"), "field"));
}

static void do_action(json_t *cmd, unsigned line)
{
	struct outcome o;
	char w[WHY];
	if (!perform(json_object_get(cmd, "action"), &o, w))
		fail_extra(line, "action", field_of(cmd), w);
	else if (o.rc == KILN_ETRAP)
		fail_extra(line, "action", field_of(cmd), kiln_trap_kind_name(o.trap));
	else if (o.rc != KILN_OK)
		fail_extra(line, "action", field_of(cmd), w);
}

static void assert_return(json_t *cmd, unsigned line)
{
	json_t *expected = json_object_get(cmd, "expected"), *v;
	struct outcome o;
	char w[WHY], got[96], want[96];
	size_t i;

	if (!perform(json_object_get(cmd, "action"), &o, w)) {
		fail(line, "assert_return", field_of(cmd), w);
		return;
	}
	if (o.rc == KILN_ETRAP) {
		why(w, "trapped: %s", kiln_trap_kind_name(o.trap));
		fail(line, "assert_return", field_of(cmd), w);
		return;
	}
	if (o.rc != KILN_OK) {
		fail(line, "assert_return", field_of(cmd), w);
		return;
	}
	if (json_array_size(expected) != o.nresults) {
		why(w, "%zu results, expected %zu", o.nresults, json_array_size(expected));
		fail(line, "assert_return", field_of(cmd), w);
		return;
	}
	json_array_foreach(expected, i, v) {
		struct expect x;
		if (!parse_expect(v, &x, w)) {
			fail(line, "assert_return", field_of(cmd), w);
			return;
		}
		if (!matches(&x, &o.results[i])) {
			show_val(got, sizeof got, &o.results[i]);
			show_expect(want, sizeof want, &x);
			why(w, "result %zu: got %s, expected %s", i, got, want);
			fail(line, "assert_return", field_of(cmd), w);
			return;
		}
	}
	passed++;
}

/* assert_trap and assert_exhaustion of an action. */
static void assert_trap(json_t *cmd, unsigned line, const char *type)
{
	const char *text = json_string_value(json_object_get(cmd, "text"));
	enum kiln_trap_kind want;
	struct outcome o;
	char w[WHY];

	if (text == NULL || !kind_for(text, &want)) {
		why(w, "no kiln trap kind for the message \"%s\"", text ? text : "");
		fail(line, type, field_of(cmd), w);
		return;
	}
	if (!perform(json_object_get(cmd, "action"), &o, w)) {
		fail(line, type, field_of(cmd), w);
		return;
	}
	if (o.rc == KILN_OK) {
		why(w, "returned, expected a trap (%s)", kiln_trap_kind_name(want));
		fail(line, type, field_of(cmd), w);
	} else if (o.rc != KILN_ETRAP) {
		fail(line, type, field_of(cmd), w);
	} else if (o.trap != want) {
		why(w, "trap \"%s\", expected \"%s\" (%s)", kiln_trap_kind_name(o.trap),
		    kiln_trap_kind_name(want), text);
		fail(line, type, field_of(cmd), w);
	} else {
		passed++;
	}
}

static void assert_uninstantiable(json_t *cmd, unsigned line)
{
	const char *file = json_string_value(json_object_get(cmd, "filename"));
	const char *text = json_string_value(json_object_get(cmd, "text"));
	struct kiln_instance *inst;
	enum kiln_trap_kind want, got;
	char w[WHY];
	int rc;

	if (text == NULL || !kind_for(text, &want)) {
		why(w, "no kiln trap kind for the message \"%s\"", text ? text : "");
		fail(line, "assert_uninstantiable", file, w);
		return;
	}
	rc = file != NULL ? instantiate(file, &inst, w) : -1;
	if (rc == KILN_OK) {
		keep(inst);
		why(w, "instantiated, expected a trap (%s)", kiln_trap_kind_name(want));
		fail(line, "assert_uninstantiable", file, w);
	} else if (rc != KILN_ETRAP) {
		fail(line, "assert_uninstantiable", file, w);
	} else if ((got = kiln_trap_last(NULL)) != want) {
		why(w, "trap \"%s\", expected \"%s\" (%s)", kiln_trap_kind_name(got),
		    kiln_trap_kind_name(want), text);
		fail(line, "assert_uninstantiable", file, w);
	} else {
		passed++;
	}
}

static void run(json_t *cmds)
{
	json_t *cmd;
	size_t i;

	json_array_foreach(cmds, i, cmd) {
		const char *type = json_string_value(json_object_get(cmd, "type"));
		unsigned line = (unsigned)json_integer_value(json_object_get(cmd, "line"));
		if (type == NULL)
			fail_extra(line, "?", NULL, "a command without a type");
		else if (strcmp(type, "module") == 0)
			do_module(cmd, line);
		else if (strcmp(type, "register") == 0)
			do_register(cmd, line);
		else if (strcmp(type, "action") == 0)
			do_action(cmd, line);
		else if (strcmp(type, "assert_return") == 0)
			assert_return(cmd, line);
		else if (strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0)
			assert_trap(cmd, line, type);
		else if (strcmp(type, "assert_uninstantiable") == 0)
			assert_uninstantiable(cmd, line);
		else if (strcmp(type, "assert_unlinkable") == 0)
			not_counted_unlinkable++;
		else if (strcmp(type, "assert_invalid") == 0)
			not_counted_invalid++;
		else if (strcmp(type, "assert_malformed") == 0)
			not_counted_malformed++;
		else
			fail_extra(line, type, NULL, "unknown command");
	}
}

int main(int argc, char **argv)
{
	struct kiln_engine_config cfg = {.resolve_import = resolve};
	const char *json_path = NULL;
	struct kiln_err err;
	json_error_t jerr;
	json_t *root = NULL, *cmds, *cmd;
	size_t i;
	int status = 1;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[k], "--cache") == 0 && k + 1 < argc)
			cache_dir = argv[++k];
		else if (json_path == NULL && argv[k][0] != '-')
			json_path = argv[k];
		else
			json_path = NULL, k = argc;
	}
	if (json_path == NULL) {
		fprintf(stderr, "usage: %s NAME.json [--cache DIR] [-v]\n", argv[0]);
		return 2;
	}
	root = json_load_file(json_path, JSON_ALLOW_NUL, &jerr);
	cmds = json_object_get(root, "commands");
	if (root == NULL || !json_is_array(cmds)) {
		printf("FAIL %s: %s\n", json_path, root == NULL ? jerr.text : "no commands");
		goto out;
	}
	/* one memory slot per instance the file can make, and spectest's */
	cfg.slots = 2;
	json_array_foreach(cmds, i, cmd) {
		const char *type = json_string_value(json_object_get(cmd, "type"));
		if (type != NULL && (strcmp(type, "module") == 0 ||
				     strcmp(type, "assert_uninstantiable") == 0))
			cfg.slots++;
	}
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK) {
		printf("FAIL %s: %s\n", json_path, err.msg);
		goto out;
	}
	wasm_rt_allocate_memory(&spectest_memory, 1, 2);
	wasm_rt_allocate_funcref_table(&spectest_table, 10, 20);
	exts = xcalloc(spec_nmodules, sizeof *exts);
	for (i = 0; i < spec_nmodules; i++) {
		exts[i].name = spec_modules[i].file;
		exts[i].module = spec_modules[i].desc;
	}
	run(cmds);
	status = 0;
out:
	if (status == 0 && passed + failed != spec_expected) {
		printf("FAIL %s.wast: %u assertions checked, the file has %u\n", spec_file,
		       passed + failed, spec_expected);
		extra_failed++;
	}
	for (i = ninstances; i-- > 0;)
		kiln_instance_free(instances[i]);
	if (eng != NULL) {
		wasm_rt_free_funcref_table(&spectest_table);
		wasm_rt_free_memory(&spectest_memory);
		kiln_engine_free(eng);
	}
	for (i = 0; i < nnames; i++)
		free(names[i].name);
	for (i = 0; i < nlinks; i++) {
		free(links[i]->as);
		free(links[i]);
	}
	free(names);
	free(links);
	free(instances);
	free(exts);
	json_decref(root);
	if (verbose)
		printf("%s: %lu spectest prints\n", spec_file, spectest_prints);
	printf("%s: not counted: %u assert_unlinkable, %u assert_invalid, %u assert_malformed\n",
	       spec_file, not_counted_unlinkable, not_counted_invalid, not_counted_malformed);
	if (status != 0)
		failed = spec_expected > passed ? spec_expected - passed : 1;
	printf("%s: %u passed, %u failed\n", spec_file, passed, failed + extra_failed);
	return failed + extra_failed != 0 ? 1 : 0;
}
