/*
 * kiln-spec-gen — plan the spec conformance run (check-spec).
 *
 *   kiln-spec-gen --out DIR --cache DIR --tool-id TEXT JSON...
 *
 * For every wast2json file NAME.json it reads the commands, finds the
 * modules the run instantiates (commands "module" and
 * "assert_uninstantiable") and writes:
 *
 *   DIR/NAME/gen.c   the runner's per-file part: a table from each module
 *                    file to the descriptor `kiln compile` makes of it, the
 *                    number of counted assertions, and one adapter per
 *                    import from a registered module: the wasm2c symbol
 *                    Z_<module>Z_<name> the objects call, forwarding to
 *                    spec_link_call/spec_link_get (spec_runner.c), which
 *                    dispatch at run time to the registered instance.
 *   DIR/spec.mk      for tests/spec/runners.mk: one compile rule per
 *                    distinct object, and each file's object list.
 *   DIR/files        "NAME EXPECTED" per file, for tests/spec/spec.sh.
 *
 * Objects are cached by content: CACHE/<key>.o, where key is the SHA-256 of
 * the tool identity (kiln binary, kiln_abi.h, cc and wasm2c versions:
 * computed by spec.sh), the compile options and the module's own SHA-256.
 * Each object is compiled with --name s<first 32 hex digits of the module's
 * SHA-256>, so identical modules share one object and one descriptor, within
 * a file and across files.  Files are rewritten only when their content
 * changes, so that make rebuilds nothing after a run that changed nothing.
 *
 * Modules of assert_unlinkable, assert_invalid and assert_malformed are not
 * compiled: those commands are not counted here (check-reject covers the
 * last two).  Exits 1 with a message when a file cannot be planned.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "driver_impl.h"
#include "kiln_compiler.h"
#include "tests/slurp.h"

/* The options every module is compiled with (fuel on, the default -O2);
 * part of the cache key. */
#define SPEC_KILN_OPTIONS "--allow-unknown-imports"
#define HEX_NAME 32
#define PATH_BYTES 4096

struct text {
	char *buf;
	size_t len;
	FILE *f;
};

/* A distinct object, across all files. */
struct object {
	char key[65];
	char wasm_hex[65];
	char *wasm_path;
};

/* An import from a registered module, within one file. */
struct import {
	struct kiln_wasm_bytes module, name;
	enum kiln_wasm_kind kind;
	uint32_t nparams, nresults;
	uint8_t types[64];
	char *where; /* file of the first module that imports it */
};

static struct object *objects;
static size_t nobjects, cap_objects;
static const char *out_dir, *cache_dir, *tool_id;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "kiln-spec-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* @a/@b into @out (PATH_BYTES), or die. */
static void join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_BYTES, "%s/%s", a, b);
	if (n < 0 || n >= PATH_BYTES)
		die("path too long: %s/%s", a, b);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		die("out of memory");
	return d;
}

static void text_open(struct text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	if (t->f == NULL)
		die("out of memory");
}

/* Close @t and write it to @path unless the file already holds exactly
 * that; frees the text. */
static void text_commit(struct text *t, const char *path)
{
	FILE *f;
	char *old = NULL;
	size_t oldlen = 0;
	bool same = false;

	if (fclose(t->f) != 0)
		die("out of memory writing %s", path);
	f = fopen(path, "rb");
	if (f != NULL) {
		old = malloc(t->len + 1);
		if (old != NULL)
			oldlen = fread(old, 1, t->len + 1, f);
		same = old != NULL && oldlen == t->len && memcmp(old, t->buf, t->len) == 0;
		fclose(f);
		free(old);
	}
	if (!same) {
		f = fopen(path, "wb");
		if (f == NULL || fwrite(t->buf, 1, t->len, f) != t->len || fclose(f) != 0)
			die("cannot write %s: %s", path, strerror(errno));
	}
	free(t->buf);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The index in objects[] of the object for the module in @path (made on
 * first sight; objects[] may move, indices stay). */
static size_t object_for(const char *path, const uint8_t *bytes, size_t len)
{
	uint8_t d[crypto_hash_sha256_BYTES];
	static const char options[] = "\n" SPEC_KILN_OPTIONS " --name s";
	char wasm_hex[65], key[65];
	crypto_hash_sha256_state st;

	crypto_hash_sha256(d, bytes, len);
	hex(d, sizeof d, wasm_hex);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)tool_id, strlen(tool_id));
	crypto_hash_sha256_update(&st, (const uint8_t *)options, strlen(options));
	crypto_hash_sha256_update(&st, (const uint8_t *)wasm_hex, HEX_NAME);
	crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)wasm_hex, 64);
	crypto_hash_sha256_final(&st, d);
	hex(d, sizeof d, key);
	for (size_t i = 0; i < nobjects; i++)
		if (strcmp(objects[i].key, key) == 0)
			return i;
	if (nobjects == cap_objects) {
		cap_objects = cap_objects ? 2 * cap_objects : 256;
		objects = xrealloc(objects, cap_objects * sizeof *objects);
	}
	memcpy(objects[nobjects].key, key, sizeof key);
	memcpy(objects[nobjects].wasm_hex, wasm_hex, sizeof wasm_hex);
	objects[nobjects].wasm_path = xstrdup(path);
	return nobjects++;
}

static bool bytes_eq(struct kiln_wasm_bytes a, struct kiln_wasm_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool is_spectest(struct kiln_wasm_bytes b)
{
	return b.len == 8 && memcmp(b.data, "spectest", 8) == 0;
}

static void mangle(FILE *f, struct kiln_wasm_bytes b)
{
	kiln_mangle(f, b.data, b.len);
}

/* Describe import @imp of @m in @out; false for what the runner cannot
 * pass (a name with a NUL byte, or more than 64 value types). */
static bool describe_import(const struct kiln_wasm_module *m, const struct kiln_wasm_import *imp,
			    struct import *out)
{
	memset(out, 0, sizeof *out);
	out->module = imp->module;
	out->name = imp->name;
	out->kind = imp->kind;
	if (memchr(imp->module.data, 0, imp->module.len) != NULL ||
	    memchr(imp->name.data, 0, imp->name.len) != NULL)
		return false;
	switch (imp->kind) {
	case KILN_WASM_KIND_FUNC: {
		const struct kiln_wasm_functype *ft;
		if (imp->desc.type_index >= m->ntypes)
			return false;
		ft = &m->types[imp->desc.type_index];
		if (ft->nparams + ft->nresults > sizeof out->types)
			return false;
		out->nparams = ft->nparams;
		out->nresults = ft->nresults;
		memcpy(out->types, ft->types, ft->nparams + ft->nresults);
		break;
	}
	case KILN_WASM_KIND_GLOBAL:
		out->nparams = imp->desc.global.mut ? 1 : 0;
		out->nresults = 1;
		out->types[0] = imp->desc.global.valtype;
		break;
	case KILN_WASM_KIND_TABLE:
		out->nresults = 1;
		out->types[0] = imp->desc.table.reftype;
		break;
	case KILN_WASM_KIND_MEMORY:
		break;
	}
	return true;
}

static bool same_import(const struct import *a, const struct import *b)
{
	return a->kind == b->kind && a->nparams == b->nparams && a->nresults == b->nresults &&
	       memcmp(a->types, b->types, a->nparams + a->nresults) == 0;
}

/* wasm2c 1.0.32's C type of a value type. */
/* The enum kiln_valtype spelling; a reference type the glue has no name for
 * is an externref here. */
static const char *abi_type(uint8_t t)
{
	const char *name = kiln_glue_abi_type(t);
	return name != NULL ? name : "KILN_EXTERNREF";
}

static const char *c_type(uint8_t t)
{
	switch (t) {
	case KILN_WASM_I32: return "uint32_t";
	case KILN_WASM_I64: return "uint64_t";
	case KILN_WASM_F32: return "float";
	case KILN_WASM_F64: return "double";
	case KILN_WASM_FUNCREF: return "wasm_rt_funcref_t";
	default: return "void *";
	}
}

static void c_string(FILE *f, struct kiln_wasm_bytes b)
{
	putc('"', f);
	for (size_t i = 0; i < b.len; i++) {
		uint8_t c = b.data[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?')
			putc(c, f);
		else
			fprintf(f, "\\%03o", c);
	}
	putc('"', f);
}

static void multi_name(FILE *f, const struct import *im)
{
	fputs("struct wasm_multi_", f);
	for (uint32_t k = 0; k < im->nresults; k++)
		putc(kiln_glue_multi_letter(im->types[im->nparams + k]), f);
}

/* The adapter of import @i: the symbol wasm2c's code calls. */
static void adapter(FILE *f, const struct import *im, size_t i)
{
	const uint8_t *res = im->types + im->nparams;

	if (im->kind != KILN_WASM_KIND_FUNC) {
		fprintf(f, "void *Z_");
		mangle(f, im->module);
		fputs("Z_", f);
		mangle(f, im->name);
		fputs("(struct spec_link *ctx);\nvoid *Z_", f);
		mangle(f, im->module);
		fputs("Z_", f);
		mangle(f, im->name);
		fprintf(f, "(struct spec_link *ctx)\n{\n\treturn spec_link_get(ctx, %zu);\n}\n\n", i);
		return;
	}
	if (im->nresults > 1) {
		/* wasm2c's multi-value result struct, under its own guard */
		fputs("#ifndef wasm_multi_", f);
		for (uint32_t k = 0; k < im->nresults; k++)
			putc(kiln_glue_multi_letter(res[k]), f);
		fputs("\n#define wasm_multi_", f);
		for (uint32_t k = 0; k < im->nresults; k++)
			putc(kiln_glue_multi_letter(res[k]), f);
		fputs("\n", f);
		multi_name(f, im);
		fputs(" {\n", f);
		for (uint32_t k = 0; k < im->nresults; k++)
			fprintf(f, "\t%s %c%u;\n", c_type(res[k]), kiln_glue_multi_letter(res[k]), k);
		fputs("};\n#endif\n", f);
	}
	for (int def = 0; def < 2; def++) {
		if (im->nresults == 0)
			fputs("void", f);
		else if (im->nresults == 1)
			fputs(c_type(res[0]), f);
		else
			multi_name(f, im);
		fputs(" Z_", f);
		mangle(f, im->module);
		fputs("Z_", f);
		mangle(f, im->name);
		fputs("(struct spec_link *ctx", f);
		for (uint32_t k = 0; k < im->nparams; k++)
			fprintf(f, ", %s a%u", c_type(im->types[k]), k);
		fputs(def ? ")\n" : ");\n", f);
	}
	fprintf(f, "{\n\tunion kiln_raw a[%u] = {{0}}, r[%u];\n", im->nparams + 1, im->nresults + 1);
	for (uint32_t k = 0; k < im->nparams; k++) {
		if (im->types[k] == KILN_WASM_FUNCREF)
			fprintf(f, "\tmemcpy(&a[%u].funcref, &a%u, sizeof a%u);\n", k, k, k);
		else
			fprintf(f, "\ta[%u].%s = a%u;\n", k, kiln_glue_raw_member(im->types[k]), k);
	}
	fprintf(f, "\tspec_link_call(ctx, %zu, a, r);\n", i);
	if (im->nresults == 1) {
		if (res[0] == KILN_WASM_FUNCREF) {
			fputs("\twasm_rt_funcref_t v;\n\tmemcpy(&v, &r[0].funcref, sizeof v);\n"
			      "\treturn v;\n",
			      f);
		} else {
			fprintf(f, "\treturn r[0].%s;\n", kiln_glue_raw_member(res[0]));
		}
	} else if (im->nresults > 1) {
		fputs("\t", f);
		multi_name(f, im);
		fputs(" v;\n", f);
		for (uint32_t k = 0; k < im->nresults; k++) {
			if (res[k] == KILN_WASM_FUNCREF)
				fprintf(f, "\tmemcpy(&v.r%u, &r[%u].funcref, sizeof v.r%u);\n", k, k,
					k);
			else
				fprintf(f, "\tv.%c%u = r[%u].%s;\n", kiln_glue_multi_letter(res[k]), k, k,
					kiln_glue_raw_member(res[k]));
		}
		fputs("\treturn v;\n", f);
	}
	fputs("}\n\n", f);
}

static bool counted(const char *type)
{
	return strcmp(type, "assert_return") == 0 || strcmp(type, "assert_trap") == 0 ||
	       strcmp(type, "assert_exhaustion") == 0 ||
	       strcmp(type, "assert_uninstantiable") == 0;
}

/* Plan one wast2json file. */
static void plan(const char *json_path, FILE *mk, FILE *files)
{
	char dir[PATH_BYTES], name[256], path[PATH_BYTES], sub[PATH_BYTES];
	const char *slash = strrchr(json_path, '/'), *base = slash ? slash + 1 : json_path;
	size_t dirlen = slash ? (size_t)(slash - json_path) : 0, blen = strlen(base);
	struct import *imps = NULL;
	size_t nimps = 0;
	size_t *mods = NULL; /* object of each module, by index */
	const char **mod_files = NULL;
	size_t nmods = 0;
	struct kiln_wasm_module **keep = NULL;
	unsigned expected = 0;
	json_error_t jerr;
	json_t *root, *cmds, *cmd;
	struct text gen;
	size_t i;

	if (blen < 6 || strcmp(base + blen - 5, ".json") != 0 || blen - 5 >= sizeof name ||
	    dirlen >= sizeof dir)
		die("%s: expected DIR/NAME.json", json_path);
	memcpy(name, base, blen - 5);
	name[blen - 5] = '\0';
	memcpy(dir, json_path, dirlen);
	dir[dirlen] = '\0';
	root = json_load_file(json_path, JSON_ALLOW_NUL, &jerr);
	if (root == NULL)
		die("%s: %s", json_path, jerr.text);
	cmds = json_object_get(root, "commands");
	if (!json_is_array(cmds))
		die("%s: no \"commands\" array", json_path);

	json_array_foreach(cmds, i, cmd) {
		const char *type = json_string_value(json_object_get(cmd, "type"));
		const char *file = json_string_value(json_object_get(cmd, "filename"));
		const char *mtype = json_string_value(json_object_get(cmd, "module_type"));
		struct kiln_wasm_module *m = NULL;
		struct kiln_err err;
		uint8_t *bytes;
		size_t len;

		if (type == NULL)
			die("%s: a command without a type", json_path);
		if (counted(type))
			expected++;
		if (strcmp(type, "module") != 0 && strcmp(type, "assert_uninstantiable") != 0)
			continue;
		if (file == NULL || (mtype != NULL && strcmp(mtype, "binary") != 0))
			die("%s: a module that is not a binary file (%s)", json_path,
			    file ? file : "?");
		join(path, dir, file);
		bytes = kiln_test_slurp(path, &len);
		if (bytes == NULL)
			die("cannot read %s: %s", path, strerror(errno));
		mods = xrealloc(mods, (nmods + 1) * sizeof *mods);
		mod_files = xrealloc(mod_files, (nmods + 1) * sizeof *mod_files);
		keep = xrealloc(keep, (nmods + 1) * sizeof *keep);
		mods[nmods] = object_for(path, bytes, len);
		mod_files[nmods] = file;
		/* Imports from registered modules need adapters; a module the
		 * reader refuses gets none (its compile fails and the runner
		 * reports that). */
		if (kiln_wasm_read(bytes, len, path, &m, &err) == KILN_OK) {
			for (uint32_t k = 0; k < m->nimports; k++) {
				struct import im;
				size_t j;
				if (is_spectest(m->imports[k].module))
					continue;
				if (!describe_import(m, &m->imports[k], &im))
					die("%s: an import the runner cannot pass (%s)", path,
					    "NUL byte in a name, or too many value types");
				for (j = 0; j < nimps; j++)
					if (bytes_eq(imps[j].module, im.module) &&
					    bytes_eq(imps[j].name, im.name))
						break;
				if (j < nimps) {
					if (!same_import(&imps[j], &im))
						die("%s: imports a name another module of the file "
						    "imports with another type (first in %s)",
						    path, imps[j].where);
					continue;
				}
				im.where = xstrdup(path);
				imps = xrealloc(imps, (nimps + 1) * sizeof *imps);
				imps[nimps++] = im;
			}
		}
		keep[nmods++] = m; /* import names point into it */
		free(bytes);
	}

	/* gen.c */
	join(path, out_dir, name);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		die("cannot create %s: %s", path, strerror(errno));
	text_open(&gen);
	fprintf(gen.f,
		"/* Generated by kiln-spec-gen from %s.json: the modules of %s.wast and\n"
		" * adapters for its imports from registered modules.  Do not edit. */\n"
		"#include <string.h>\n\n#include \"spec_runner.h\"\n\n",
		name, name);
	for (i = 0; i < nmods; i++) {
		bool first = true;
		for (size_t j = 0; j < i; j++)
			first &= mods[j] != mods[i];
		if (first)
			fprintf(gen.f,
				"extern const struct kiln_module_desc kiln_module_s%.*s "
				"__attribute__((weak));\n",
				HEX_NAME, objects[mods[i]].wasm_hex);
	}
	fprintf(gen.f, "\nconst char spec_file[] = \"%s\";\nconst unsigned spec_expected = %u;\n",
		name, expected);
	fprintf(gen.f, "const size_t spec_nmodules = %zu;\n", nmods);
	fputs("const struct spec_module spec_modules[] = {\n", gen.f);
	for (i = 0; i < nmods; i++)
		fprintf(gen.f, "\t{\"%s\", &kiln_module_s%.*s, \"%s\"},\n", mod_files[i], HEX_NAME,
			objects[mods[i]].wasm_hex, objects[mods[i]].key);
	if (nmods == 0)
		fputs("\t{NULL, NULL, NULL},\n", gen.f);
	fputs("};\n\n", gen.f);
	for (i = 0; i < nimps; i++) {
		const struct import *im = &imps[i];
		fprintf(gen.f, "static const uint8_t types_%zu[] = {", i);
		for (uint32_t k = 0; k < im->nparams + im->nresults; k++)
			fprintf(gen.f, "%s%s", k ? ", " : "", abi_type(im->types[k]));
		fputs(im->nparams + im->nresults ? "};\n" : "0};\n", gen.f);
	}
	fprintf(gen.f, "\nconst size_t spec_nimports = %zu;\n", nimps);
	fputs("const struct kiln_import_desc spec_imports[] = {\n", gen.f);
	for (i = 0; i < nimps; i++) {
		static const char *const kinds[] = {"KILN_EXTERN_FUNC", "KILN_EXTERN_TABLE",
						    "KILN_EXTERN_MEMORY", "KILN_EXTERN_GLOBAL"};
		fputs("\t{", gen.f);
		c_string(gen.f, imps[i].module);
		fputs(", ", gen.f);
		c_string(gen.f, imps[i].name);
		fprintf(gen.f, ", %s, %u, %u, types_%zu},\n", kinds[imps[i].kind], imps[i].nparams,
			imps[i].nresults, i);
	}
	if (nimps == 0)
		fputs("\t{NULL, NULL, KILN_EXTERN_FUNC, 0, 0, NULL},\n", gen.f);
	fputs("};\n\n", gen.f);
	for (i = 0; i < nimps; i++)
		adapter(gen.f, &imps[i], i);
	join(sub, path, "gen.c");
	text_commit(&gen, sub);

	/* the object list */
	fprintf(mk, "SPEC_OBJS_%s :=", name);
	for (i = 0; i < nmods; i++) {
		bool first = true;
		for (size_t j = 0; j < i; j++)
			first &= mods[j] != mods[i];
		if (first)
			fprintf(mk, " \\\n\t$(SPEC_CACHE)/%s.o", objects[mods[i]].key);
	}
	fputs("\n", mk);
	fprintf(mk, "SPEC_FILES += %s\n", name);
	fprintf(files, "%s %u\n", name, expected);

	for (i = 0; i < nimps; i++)
		free(imps[i].where);
	for (i = 0; i < nmods; i++)
		kiln_wasm_free(keep[i]);
	free(imps);
	free(mods);
	free(mod_files);
	free(keep);
	json_decref(root);
}

int main(int argc, char **argv)
{
	struct text mk, files;
	char path[PATH_BYTES];
	int i = 1, nfiles;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--out") == 0)
			out_dir = argv[i + 1];
		else if (strcmp(argv[i], "--cache") == 0)
			cache_dir = argv[i + 1];
		else if (strcmp(argv[i], "--tool-id") == 0)
			tool_id = argv[i + 1];
		else
			break;
	}
	if (out_dir == NULL || cache_dir == NULL || tool_id == NULL || i >= argc) {
		fprintf(stderr,
			"usage: kiln-spec-gen --out DIR --cache DIR --tool-id TEXT JSON...\n");
		return 2;
	}
	if (sodium_init() < 0)
		die("libsodium cannot start");
	if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
		die("cannot create %s: %s", out_dir, strerror(errno));
	text_open(&mk);
	text_open(&files);
	fprintf(mk.f, "# Generated by kiln-spec-gen.  Do not edit.\n");
	nfiles = argc - i;
	for (; i < argc; i++)
		plan(argv[i], mk.f, files.f);
	for (size_t k = 0; k < nobjects; k++)
		fprintf(mk.f, "$(SPEC_CACHE)/%s.o: %s\n\t@$(SPEC_COMPILE) $< $@ s%.*s\n",
			objects[k].key, objects[k].wasm_path, HEX_NAME, objects[k].wasm_hex);
	join(path, out_dir, "spec.mk");
	text_commit(&mk, path);
	join(path, out_dir, "files");
	text_commit(&files, path);
	printf("kiln-spec-gen: %d files, %zu distinct modules\n", nfiles, nobjects);
	return 0;
}
