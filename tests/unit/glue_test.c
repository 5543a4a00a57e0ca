/*
 * Tests for compiler/glue.c, compiler/metadata.c and compiler/spawn.c: the
 * glue of a hand-built module (the twin of fixtures/glue.wat) is generated,
 * checked for the pieces the ABI needs, and compiled with cc against
 * wasm2c's real output for the fixture.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "driver_impl.h"
#include "unit.h"

#define FIXTURE "tests/unit/fixtures/glue.wat"

static uint8_t t0[] = {KILN_WASM_I32, KILN_WASM_I32, KILN_WASM_I32, KILN_WASM_I32, KILN_WASM_I32};
static uint8_t t2[] = {KILN_WASM_I64, KILN_WASM_F32, KILN_WASM_F64};
static uint8_t t3[] = {KILN_WASM_I32, KILN_WASM_I32, KILN_WASM_I32};
static uint8_t t4[] = {KILN_WASM_I64, KILN_WASM_I32, KILN_WASM_I64, KILN_WASM_F32, KILN_WASM_F64};
static uint8_t t5[] = {KILN_WASM_FUNCREF, KILN_WASM_EXTERNREF, KILN_WASM_FUNCREF,
		       KILN_WASM_EXTERNREF};

struct twin {
	struct kiln_wasm_module m;
	struct kiln_wasm_functype types[6];
	struct kiln_wasm_import imports[6];
	uint32_t funcs[3];
	struct kiln_wasm_global globals[1];
	struct kiln_wasm_tabletype tables[1];
};

static struct kiln_wasm_bytes S(const char *s)
{
	struct kiln_wasm_bytes b = {(const uint8_t *)s, (uint32_t)strlen(s)};
	return b;
}

/* Build the twin of fixtures/glue.wat.  exports is malloc'd (passes may
 * realloc it); free it with twin_release. */
static void twin_init(struct twin *t)
{
	static const struct {
		const char *name;
		enum kiln_wasm_kind kind;
		uint32_t index;
	} ex[] = {
		{"add", KILN_WASM_KIND_FUNC, 4},  {"multi", KILN_WASM_KIND_FUNC, 5},
		{"refs", KILN_WASM_KIND_FUNC, 6}, {"__kiln_fuel", KILN_WASM_KIND_GLOBAL, 1},
		{"g", KILN_WASM_KIND_GLOBAL, 0},  {"mem", KILN_WASM_KIND_MEMORY, 0},
		{"t", KILN_WASM_KIND_TABLE, 0},   {"weird name-Z!", KILN_WASM_KIND_FUNC, 4},
		{"ZZ", KILN_WASM_KIND_FUNC, 5},
	};
	memset(t, 0, sizeof *t);
	t->types[0] = (struct kiln_wasm_functype){4, 1, t0};
	t->types[1] = (struct kiln_wasm_functype){0, 0, NULL};
	t->types[2] = (struct kiln_wasm_functype){3, 0, t2};
	t->types[3] = (struct kiln_wasm_functype){2, 1, t3};
	t->types[4] = (struct kiln_wasm_functype){1, 4, t4};
	t->types[5] = (struct kiln_wasm_functype){2, 2, t5};
	t->imports[0].module = S("wasi_snapshot_preview1");
	t->imports[0].name = S("fd_write");
	t->imports[0].kind = KILN_WASM_KIND_FUNC;
	t->imports[0].desc.type_index = 0;
	t->imports[1].module = S("kiln");
	t->imports[1].name = S("fuel_exhausted");
	t->imports[1].kind = KILN_WASM_KIND_FUNC;
	t->imports[1].desc.type_index = 1;
	t->imports[2].module = S("a-b");
	t->imports[2].name = S("Zed");
	t->imports[2].kind = KILN_WASM_KIND_FUNC;
	t->imports[2].desc.type_index = 2;
	t->imports[3].module = S("env");
	t->imports[3].name = S("mem");
	t->imports[3].kind = KILN_WASM_KIND_MEMORY;
	t->imports[3].desc.memory = (struct kiln_wasm_limits){1, 10, true};
	t->imports[4].module = S("env");
	t->imports[4].name = S("g");
	t->imports[4].kind = KILN_WASM_KIND_GLOBAL;
	t->imports[4].desc.global = (struct kiln_wasm_globaltype){KILN_WASM_I32, true};
	t->imports[5].module = S("a0");
	t->imports[5].name = S("f");
	t->imports[5].kind = KILN_WASM_KIND_FUNC;
	t->imports[5].desc.type_index = 1;
	t->funcs[0] = 3;
	t->funcs[1] = 4;
	t->funcs[2] = 5;
	t->globals[0].type = (struct kiln_wasm_globaltype){KILN_WASM_I64, true};
	t->tables[0] = (struct kiln_wasm_tabletype){KILN_WASM_EXTERNREF, {3, 0, false}};

	t->m.name = "glue.wasm";
	t->m.types = t->types;
	t->m.ntypes = 6;
	t->m.imports = t->imports;
	t->m.nimports = 6;
	t->m.nimported_funcs = 4;
	t->m.nimported_mems = 1;
	t->m.nimported_globals = 1;
	t->m.funcs = t->funcs;
	t->m.nfuncs = 3;
	t->m.globals = t->globals;
	t->m.nglobals = 1;
	t->m.tables = t->tables;
	t->m.ntables = 1;
	t->m.nexports = sizeof ex / sizeof ex[0];
	t->m.exports = calloc(t->m.nexports, sizeof t->m.exports[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->m.exports);
	for (uint32_t i = 0; i < t->m.nexports; i++) {
		t->m.exports[i].name = S(ex[i].name);
		t->m.exports[i].kind = ex[i].kind;
		t->m.exports[i].index = ex[i].index;
	}
}

static void twin_release(struct twin *t)
{
	free(t->m.exports);
}

static void test_metadata(void)
{
	struct twin t;
	struct kiln_meta_input mi;
	struct kiln_err err;
	json_t *doc, *imports, *exports;
	json_error_t jerr;
	char *json = NULL, *again = NULL;
	const char *keys[] = {"kiln_meta", "name", "abi_version", "wasm_sha256",
			      "instrumented_sha256", "wasm2c_version", "fuel", "max_memory",
			      "cc", "opt_level", "imports", "exports"};
	size_t k = 0;
	const char *key;
	json_t *value;

	twin_init(&t);
	memset(&mi, 0, sizeof mi);
	mi.name = "glue_t";
	memset(mi.input_sha256, 0xab, 32);
	memset(mi.instrumented_sha256, 0x01, 32);
	mi.wasm2c_version = "1.0.32";
	mi.fuel = true;
	mi.max_memory = 16 << 20;
	mi.cc = "gcc";
	mi.opt_level = "2";
	mi.m = &t.m;
	CU_ASSERT_EQUAL_FATAL(kiln_meta_build(&mi, &json, &err), KILN_OK);
	CU_ASSERT_PTR_NULL(strchr(json, '\n'));
	doc = json_loads(json, 0, &jerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	/* fixed key order */
	json_object_foreach(doc, key, value)
	{
		CU_ASSERT(k < sizeof keys / sizeof keys[0] && strcmp(key, keys[k]) == 0);
		k++;
	}
	CU_ASSERT_EQUAL(k, sizeof keys / sizeof keys[0]);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "name")), "glue_t");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "wasm_sha256")),
			       "abababababababababababababababababababababababababababababababab");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "max_memory")), 16 << 20);
	CU_ASSERT(json_is_true(json_object_get(doc, "fuel")));
	imports = json_object_get(doc, "imports");
	exports = json_object_get(doc, "exports");
	CU_ASSERT_EQUAL(json_array_size(imports), 6);
	CU_ASSERT_EQUAL(json_array_size(exports), 9);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(imports, 0), "signature")),
		"(i32, i32, i32, i32) -> (i32)");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(imports, 3), "kind")), "memory");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(exports, 1), "signature")),
		"(i64) -> (i32, i64, f32, f64)");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(exports, 7), "name")),
		"weird name-Z!");
	json_decref(doc);

	/* the same input gives the same bytes; no cap is null */
	CU_ASSERT_EQUAL_FATAL(kiln_meta_build(&mi, &again, &err), KILN_OK);
	CU_ASSERT_STRING_EQUAL(json, again);
	free(again);
	mi.max_memory = 0;
	mi.fuel = false;
	CU_ASSERT_EQUAL_FATAL(kiln_meta_build(&mi, &again, &err), KILN_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(again, "\"fuel\":false,\"max_memory\":null,"));
	free(again);

	/* a name that is not UTF-8 is refused, not embedded */
	t.m.exports[0].name = S("bad\xff");
	CU_ASSERT_EQUAL(kiln_meta_build(&mi, &again, &err), KILN_EINVALID);
	CU_ASSERT_PTR_NULL(again);
	free(json);
	twin_release(&t);
}

static char *gen(struct twin *t, const char *name, int *rc, struct kiln_err *err)
{
	struct kiln_glue_input gi;
	char *out = NULL;
	size_t len = 0;
	memset(&gi, 0, sizeof gi);
	gi.m = &t->m;
	gi.name = name;
	gi.wasm2c_source = "mod.c";
	gi.meta_json = "{\"name\":\"a\\\"b?" "?=\"}"; /* no trigraph here */
	gi.fuel = true;
	gi.memory_cap_pages = 256;
	for (int i = 0; i < 32; i++)
		gi.wasm_sha256[i] = (uint8_t)i;
	*rc = kiln_glue_generate(&gi, &out, &len, err);
	if (*rc == KILN_OK)
		CU_ASSERT_EQUAL(strlen(out), len);
	return out;
}

static void test_glue_text(void)
{
	struct twin t;
	struct kiln_err err;
	char *g;
	const char *p1, *p2, *p3;
	int rc;

	twin_init(&t);
	g = gen(&t, "glue_t", &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, KILN_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "#include \"mod.c\"\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "const struct kiln_module_desc kiln_module_glue_t = {"));
	/* instantiate takes import modules sorted by their bytes */
	p1 = strstr(g, "(struct Z_aZ2Db_instance_t *)import_ctx[0]");
	p2 = strstr(g, "(struct Z_a0_instance_t *)import_ctx[1]");
	p3 = strstr(g, "(struct Z_wasi_snapshot_preview1_instance_t *)import_ctx[4]");
	CU_ASSERT(p1 != NULL && p2 != NULL && p3 != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "(struct Z_env_instance_t *)import_ctx[2]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "(struct Z_kiln_instance_t *)import_ctx[3]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\t\"a-b\",\n\t\"a0\",\n\t\"env\",\n\t\"kiln\",\n"));
	/* exports sorted (strcmp): ZZ __kiln_fuel add g mem multi refs t weird */
	p1 = strstr(g, "\t{\"ZZ\", KILN_EXTERN_FUNC, 1, 4,");
	p2 = strstr(g, "\t{\"__kiln_fuel\", KILN_EXTERN_GLOBAL, 1, 1,");
	p3 = strstr(g, "\t{\"weird name-Z!\", KILN_EXTERN_FUNC, 2, 1,");
	CU_ASSERT(p1 != NULL && p2 != NULL && p3 != NULL && p1 < p2 && p2 < p3);
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\t{\"g\", KILN_EXTERN_GLOBAL, 1, 1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\t{\"mem\", KILN_EXTERN_MEMORY, 0, 0, NULL, NULL,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\t{\"t\", KILN_EXTERN_TABLE, 0, 1,"));
	/* mangled symbols, multi-value and funcref conversions */
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "Z_glue_tZ_weirdZ20nameZ2DZ5AZ21("));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "struct wasm_multi_ijfd r = Z_glue_tZ_Z5AZ5A("));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "results[3].f64 = r.d3;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "struct wasm_multi_re r = Z_glue_tZ_refs("));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "results[0].funcref = kiln_glue_funcref_out(r.r0);"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "kiln_glue_funcref_in(args[0].funcref), args[1].externref"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "Z_glue_tZ___kiln_fuel((Z_glue_t_instance_t *)instance)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, ".memory = kiln_glue_memory,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, ".memory_cap_pages = 256,"));
	/* the metadata is escaped: quotes, backslashes and trigraph marks */
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\"{\\042name\\042:\\042a\\134\\042b\\077\\077=\\042}\""));

	/* every export carries its name's length ... */
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\t{\"mem\", KILN_EXTERN_MEMORY, 0, 0, NULL, NULL, "
					 "kiln_glue_get_5, 3u},\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\t{\"weird name-Z!\", KILN_EXTERN_FUNC, 2, 1, "
					 "kiln_glue_types_e7, kiln_glue_call_7, NULL, 13u},\n"));
	free(g);

	/* ... so that a name may hold a NUL byte (names.wast does): sorted by
	 * its bytes, written escaped, with its length */
	t.m.exports[2].name.data = (const uint8_t *)"re\0s";
	g = gen(&t, "glue_t", &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, KILN_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "\t{\"re\\000s\", KILN_EXTERN_FUNC, 2, 2, "));
	CU_ASSERT_PTR_NOT_NULL(strstr(g, ", kiln_glue_call_2, NULL, 4u},\n"));
	p1 = strstr(g, "\t{\"mem\", ");
	p2 = strstr(g, "\t{\"re\\000s\", ");
	p3 = strstr(g, "\t{\"t\", ");
	CU_ASSERT(p1 != NULL && p2 != NULL && p3 != NULL && p1 < p2 && p2 < p3);
	free(g);
	t.m.exports[2].name = S("refs");
	/* an import's cannot: the runtime passes import module names to the
	 * host as C strings */
	t.imports[2].module.data = (const uint8_t *)"a\0b";
	CU_ASSERT_PTR_NULL(gen(&t, "glue_t", &rc, &err));
	CU_ASSERT_EQUAL(rc, KILN_EUNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "NUL"));
	t.imports[2].module = S("a-b");
	/* an export index out of range */
	t.m.exports[0].index = 99;
	CU_ASSERT_PTR_NULL(gen(&t, "glue_t", &rc, &err));
	CU_ASSERT_EQUAL(rc, KILN_EINVALID);
	t.m.exports[0].index = 4;
	/* a name that is not an identifier */
	CU_ASSERT_PTR_NULL(gen(&t, "x-y", &rc, &err));
	CU_ASSERT_EQUAL(rc, KILN_EINVAL);
	twin_release(&t);
}

static void test_export_memory(void)
{
	struct twin t;
	struct kiln_err err;
	bool added = true;
	int rc;
	char *g;

	twin_init(&t);
	/* exported already: nothing to add */
	CU_ASSERT_EQUAL(kiln_glue_export_memory(&t.m, &added, &err), KILN_OK);
	CU_ASSERT(!added);
	CU_ASSERT_EQUAL(t.m.nexports, 9);
	/* not exported: __kiln_memory is added and used */
	t.m.exports[5].kind = KILN_WASM_KIND_GLOBAL;
	t.m.exports[5].index = 1;
	CU_ASSERT_PTR_NULL(gen(&t, "glue_t", &rc, &err));
	CU_ASSERT_EQUAL(rc, KILN_EINTERNAL);
	CU_ASSERT_EQUAL(kiln_glue_export_memory(&t.m, &added, &err), KILN_OK);
	CU_ASSERT(added);
	CU_ASSERT_EQUAL(t.m.nexports, 10);
	g = gen(&t, "glue_t", &rc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_PTR_NOT_NULL(strstr(g, "return Z_glue_tZ___kiln_memory("));
	free(g);
	/* the reserved name taken by something else */
	t.m.nexports = 9;
	t.m.exports[5].name = S(KILN_MEMORY_EXPORT);
	CU_ASSERT_EQUAL(kiln_glue_export_memory(&t.m, &added, &err), KILN_EINVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "reserved"));
	/* no memory at all: nothing to do, .memory is NULL */
	t.m.nexports = 4;
	t.m.nimports = 3; /* the three first function imports */
	t.m.nimported_funcs = 3;
	t.m.exports[0].index = 3;
	t.m.exports[1].index = 4;
	t.m.exports[2].index = 5;
	t.m.nimported_mems = 0;
	t.m.nimported_globals = 0;
	t.m.exports[3].index = 0; /* __kiln_fuel is global 0 now */
	CU_ASSERT_EQUAL(kiln_glue_export_memory(&t.m, &added, &err), KILN_OK);
	CU_ASSERT(!added);
	g = gen(&t, "glue_t", &rc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_PTR_NOT_NULL(strstr(g, ".memory = NULL,"));
	free(g);
	twin_release(&t);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int run(char *const argv[], const char *cwd)
{
	struct kiln_proc p;
	struct kiln_err err;
	int rc = kiln_spawn(argv, cwd, &p, &err);
	if (rc != KILN_OK) {
		fprintf(stderr, "\n  %s\n", err.msg);
		return -1;
	}
	if (p.status != 0)
		fprintf(stderr, "\n  %s exited %d:\n%s%s", argv[0], p.status, p.out, p.errout);
	rc = p.status;
	kiln_proc_release(&p);
	return rc;
}

/* The generated glue compiles against wasm2c's output for the fixture,
 * with gcc and clang, warnings as errors in the glue's own lines. */
static void test_glue_compiles(void)
{
	char dir[] = "/tmp/kiln-glue-test-XXXXXX", cwd[4096], wat[4200], inc[4200], path[4200];
	char wasm[] = "glue.wasm";
	struct twin t;
	struct kiln_err err;
	char *g;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(wat, sizeof wat, "%s/" FIXTURE, cwd);
	snprintf(inc, sizeof inc, "-I%s/runtime", cwd);
	{
		char *argv[] = {"wat2wasm", wat, "-o", wasm, NULL};
		CU_ASSERT_EQUAL_FATAL(run(argv, dir), 0);
	}
	{
		char *argv[] = {"wasm2c", "-n", "glue_t", wasm, "-o", "mod.c", NULL};
		CU_ASSERT_EQUAL_FATAL(run(argv, dir), 0);
	}
	twin_init(&t);
	g = gen(&t, "glue_t", &rc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	snprintf(path, sizeof path, "%s/glue.c", dir);
	CU_ASSERT_EQUAL(write_file(path, g), 0);
	free(g);
	twin_release(&t);
	{
		/* a context pointer in the wrong order is an incompatible pointer */
		char *argv[] = {"gcc", "-c", "-O1", "-fPIC", "-Werror=incompatible-pointer-types",
				inc, "glue.c", "-o", "glue-gcc.o", NULL};
		CU_ASSERT_EQUAL(run(argv, dir), 0);
	}
	{
		char *argv[] = {"clang", "-c", "-O1", "-fPIC", "-Werror=incompatible-pointer-types",
				inc, "glue.c", "-o", "glue-clang.o", NULL};
		CU_ASSERT_EQUAL(run(argv, dir), 0);
	}
	{
		/* the ABI symbol is defined, the metadata section present */
		char *argv[] = {"sh", "-c",
				"nm glue-gcc.o | grep -Eq ' [DR] kiln_module_glue_t$' && "
				"objdump -h glue-gcc.o | grep -q ' .kiln.meta '",
				NULL};
		CU_ASSERT_EQUAL(run(argv, dir), 0);
	}
	{
		char *argv[] = {"rm", "-rf", dir, NULL};
		CU_ASSERT_EQUAL(run(argv, NULL), 0);
	}
}

static void test_spawn(void)
{
	struct kiln_proc p;
	struct kiln_err err;
	char *ok[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	char *sig[] = {"sh", "-c", "kill -TERM $$", NULL};
	char *missing[] = {"kiln-no-such-program-xyz", NULL};
	char *big[] = {"sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x; echo done >&2", NULL};
	char *cwd[] = {"pwd", NULL};

	CU_ASSERT_EQUAL_FATAL(kiln_spawn(ok, NULL, &p, &err), KILN_OK);
	CU_ASSERT_EQUAL(p.status, 3);
	CU_ASSERT(!p.signaled);
	CU_ASSERT_STRING_EQUAL(p.out, "out\n");
	CU_ASSERT_STRING_EQUAL(p.errout, "err\n");
	kiln_proc_release(&p);

	CU_ASSERT_EQUAL_FATAL(kiln_spawn(sig, NULL, &p, &err), KILN_OK);
	CU_ASSERT(p.signaled);
	CU_ASSERT_EQUAL(p.status, 128 + 15);
	kiln_proc_release(&p);

	CU_ASSERT_EQUAL(kiln_spawn(missing, NULL, &p, &err), KILN_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "kiln-no-such-program-xyz"));
	CU_ASSERT_PTR_NULL(p.out);

	/* output beyond the cap is drained, not kept, and does not block */
	CU_ASSERT_EQUAL_FATAL(kiln_spawn(big, NULL, &p, &err), KILN_OK);
	CU_ASSERT_EQUAL(p.status, 0);
	CU_ASSERT_EQUAL(p.outlen, 1024 * 1024);
	CU_ASSERT_STRING_EQUAL(p.errout, "done\n");
	kiln_proc_release(&p);

	CU_ASSERT_EQUAL_FATAL(kiln_spawn(cwd, "/tmp", &p, &err), KILN_OK);
	CU_ASSERT_STRING_EQUAL(p.out, "/tmp\n");
	kiln_proc_release(&p);
	CU_ASSERT_EQUAL(kiln_spawn(cwd, "/nonexistent-dir-kiln", &p, &err), KILN_ENOTFOUND);
	kiln_proc_release(NULL);
}

void kiln_test_glue(void)
{
	CU_pSuite s = CU_add_suite("glue", NULL, NULL);
	CU_add_test(s, "metadata", test_metadata);
	CU_add_test(s, "glue_text", test_glue_text);
	CU_add_test(s, "export_memory", test_export_memory);
	CU_add_test(s, "glue_compiles", test_glue_compiles);
	CU_add_test(s, "spawn", test_spawn);
}
