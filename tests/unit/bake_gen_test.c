/*
 * Tests for compiler/bake_gen.c: the generated kiln_registry.c, its
 * .kiln.meta documents and kiln.mk.  Hostile strings from kiln.yaml (quotes,
 * backslashes, newlines, trigraphs, comment ends, control bytes, UTF-8) must
 * come out of the compiled registry byte for byte: the test compiles the
 * generated C with cc, links it with a small program that prints the
 * strings back, and compares.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "bake_impl.h"
#include "driver_impl.h"
#include "unit.h"

static char dir[] = "/tmp/kiln-bake-gen-test-XXXXXX";

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* The hostile values, as YAML double-quoted strings and as the bytes they
 * stand for. */
static const struct {
	const char *yaml;
	const char *bytes;
} nasty[] = {
	{"\"a\\\"b\"", "a\"b"},
	{"\"back\\\\slash\"", "back\\slash"},
	{"\"new\\nline\"", "new\nline"},
	{"\"tri?\?=graph?\?/\"", "tri?\?=graph?\?/"}, /* trigraphs, spelt safely here */
	{"\"*/ int evil; /*\"", "*/ int evil; /*"},
	{"\"\\u00e9t\\u00e9 \\u2603\"", "\xc3\xa9t\xc3\xa9 \xe2\x98\x83"},
	{"\"\\x01ctl\\ttab\\x7f\"", "\x01" "ctl\ttab\x7f"},
	{"\"%s%n\"", "%s%n"},
};
#define NNASTY (sizeof nasty / sizeof nasty[0])

static int setup(void)
{
	char p[128];
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(p, sizeof p, "%s/l\"q", dir); /* the layout the reference names */
	return mkdir(p, 0755);
}

static int teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int write_text(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fwrite(text, 1, len, f);
	return fclose(f);
}

/* A config with every hostile string as an argument and an environment
 * value, and a mount whose guest path is hostile too. */
static int nasty_config(struct kiln_config *cfg, bool with_config)
{
	char yaml[4096];
	size_t n;
	struct kiln_err err = {0, ""};
	n = (size_t)snprintf(yaml, sizeof yaml,
			     "version: 1\nextensions:\n  - name: nasty\n    ref: "
			     "\"oci-layout:l\\\"q:t@sha256:" D64 "\"\n    grants:\n"
			     "      fuel_per_call: unlimited\n      hard_deadline: 3s\n"
			     "      mounts: [{host: /, guest: \"/we\\\"ird\", mode: rw}]\n"
			     "      stdout: \"file:o\\\"ut\"\n      args:\n");
	for (size_t i = 0; i < NNASTY; i++)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n, "        - %s\n", nasty[i].yaml);
	n += (size_t)snprintf(yaml + n, sizeof yaml - n, "      env:\n");
	for (size_t i = 0; i < NNASTY; i++)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n, "        K%zu: %s\n", i,
				      nasty[i].yaml);
	if (with_config)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n, "      config: {k: %s}\n",
				      nasty[0].yaml);
	char path[128];
	snprintf(path, sizeof path, "%s/kiln.yaml", dir);
	if (kiln_config_parse(yaml, n, path, cfg, &err) != KILN_OK) {
		fprintf(stderr, "\n  %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void fill_ext(struct kiln_bake_ext *x, const struct kiln_config *cfg)
{
	memset(x, 0, sizeof *x);
	x->cfg = &cfg->exts[0];
	snprintf(x->reference, sizeof x->reference, "%s", cfg->exts[0].ref);
	snprintf(x->manifest, sizeof x->manifest, "sha256:%s", D64);
	snprintf(x->config_digest, sizeof x->config_digest, "sha256:%s", D64);
	snprintf(x->wasm, sizeof x->wasm, "sha256:%s", D64);
}

/* The printer linked with the generated registry: each string on its own
 * record, separated by a 0x1e byte. */
static const char printer[] =
	"#include <stdio.h>\n"
	"#include \"kiln_rt.h\"\n"
	"extern const struct kiln_registry kiln_registry;\n"
	"const struct kiln_module_desc kiln_module_nasty;\n"
	"void kiln_wasi_log_to_engine(void *c, const char *e, uint32_t fd, const char *d,\n"
	"                             size_t n) { (void)c; (void)e; (void)fd; (void)d; (void)n; }\n"
	"int main(void) {\n"
	"  const struct kiln_extension *x = &kiln_registry.extensions[0];\n"
	"  const struct kiln_wasi_grants *w = &x->grants->wasi;\n"
	"  if (kiln_registry.count != 1 || x->module != &kiln_module_nasty) return 1;\n"
	"  for (size_t i = 0; i < w->nargs; i++) printf(\"%s\\036\", w->args[i]);\n"
	"  for (size_t i = 0; i < w->nenv; i++) printf(\"%s\\036\", w->env[i]);\n"
	"  printf(\"%s\\036%s\\036%s\\036%d\\036%s\\036\", x->reference, w->mounts[0].guest_path,\n"
	"         w->stdio[1].path, (int)w->mounts[0].writable, x->name);\n"
	"  printf(\"%d\\036%llu\\036%llu\\036\", x->grants->fuel_per_call == KILN_UNLIMITED,\n"
	"         (unsigned long long)x->grants->hard_deadline_ns,\n"
	"         (unsigned long long)x->grants->memory_cap_bytes);\n"
	"  return 0;\n"
	"}\n";

static int run(char *const argv[], struct kiln_proc *p)
{
	struct kiln_err err;
	if (kiln_spawn(argv, dir, p, &err) != KILN_OK)
		return -1;
	if (p->status != 0)
		fprintf(stderr, "\n  %s: %s%s", argv[0], p->out, p->errout);
	return p->status;
}

static void test_registry_strings(void)
{
	struct kiln_config cfg;
	struct kiln_bake_ext x;
	struct kiln_proc p;
	char *text = NULL, inc[PATH_MAX + 4], rt[PATH_MAX], expected[4096];
	char *cc[] = {"cc", "-std=c11", "-Wall", "-Werror", inc, "-o", "printer",
		      "printer.c", "kiln_registry.c", NULL};
	char *prog[] = {"./printer", NULL};
	size_t len, n = 0;

	CU_ASSERT_EQUAL_FATAL(nasty_config(&cfg, false), 0);
	fill_ext(&x, &cfg);
	CU_ASSERT_EQUAL_FATAL(kiln_bake_registry(&x, 1, &text, &len, NULL), KILN_OK);
	CU_ASSERT_EQUAL(strlen(text), len);
	/* nothing but printable ASCII, tabs and newlines reaches the C text */
	for (size_t i = 0; i < len; i++)
		CU_ASSERT((text[i] >= 0x20 && text[i] < 0x7f) || text[i] == '\n' || text[i] == '\t');
	CU_ASSERT_PTR_NULL(strstr(text, "??"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ".hard_deadline_ns = 3000000000ull"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ".fuel_per_call = KILN_UNLIMITED"));
	CU_ASSERT_PTR_NULL(strstr(text, "memory_cap_bytes")); /* no grant: default */
	CU_ASSERT_FATAL(realpath("runtime", rt) != NULL);
	snprintf(inc, sizeof inc, "-I%s", rt);
	CU_ASSERT_EQUAL_FATAL(write_text("kiln_registry.c", text, len), 0);
	CU_ASSERT_EQUAL_FATAL(write_text("printer.c", printer, strlen(printer)), 0);
	CU_ASSERT_EQUAL_FATAL(run(cc, &p), 0);
	kiln_proc_release(&p);
	CU_ASSERT_EQUAL_FATAL(run(prog, &p), 0);
	for (size_t i = 0; i < NNASTY; i++)
		n += (size_t)snprintf(expected + n, sizeof expected - n, "%s\036", nasty[i].bytes);
	for (size_t i = 0; i < NNASTY; i++)
		n += (size_t)snprintf(expected + n, sizeof expected - n, "K%zu=%s\036", i,
				      nasty[i].bytes);
	n += (size_t)snprintf(expected + n, sizeof expected - n,
			      "oci-layout:l\"q:t@sha256:" D64 "\036/we\"ird\036o\"ut\0361\036nasty\036"
			      "1\0363000000000\0360\036");
	CU_ASSERT_EQUAL(p.outlen, n);
	CU_ASSERT(p.outlen == n && memcmp(p.out, expected, n) == 0);
	kiln_proc_release(&p);
	free(text);
	kiln_config_release(&cfg);
}

/* The registry's own metadata document: valid JSON, every value as given. */
static void test_meta(void)
{
	struct kiln_config cfg;
	struct kiln_bake_ext x;
	char *json = NULL;
	json_t *doc, *g, *args;
	json_error_t jerr;

	CU_ASSERT_EQUAL_FATAL(nasty_config(&cfg, true), 0);
	fill_ext(&x, &cfg);
	x.has_protocol = true;
	x.protocol = 1;
	CU_ASSERT_EQUAL_FATAL(kiln_bake_meta(&x, &json, NULL), KILN_OK);
	CU_ASSERT_PTR_NULL(memchr(json, '\n', strlen(json))); /* compact */
	doc = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "kiln_bake")), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "name")), "nasty");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "wasm_digest")),
			       "sha256:" D64);
	CU_ASSERT(json_is_null(json_object_get(doc, "signed_by")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "protocol")), 1);
	g = json_object_get(doc, "grants");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(g, "fuel_per_call")),
			       "unlimited");
	CU_ASSERT(json_is_null(json_object_get(g, "memory")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g, "hard_deadline_ns")), 3000000000);
	args = json_object_get(g, "args");
	CU_ASSERT_EQUAL_FATAL(json_array_size(args), NNASTY);
	for (size_t i = 0; i < NNASTY; i++)
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(args, i)), nasty[i].bytes);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(g, "stdout")), "file:o\"ut");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(g, "config"), "k")), "a\"b");
	json_decref(doc);
	free(json);
	kiln_config_release(&cfg);
}

/* Configuration values are guarded by the runtime's host API macros, and
 * the same inputs always give the same text. */
static void test_config_guard_and_determinism(void)
{
	struct kiln_config cfg;
	struct kiln_bake_ext x;
	char *a = NULL, *b = NULL;
	size_t la, lb;

	CU_ASSERT_EQUAL_FATAL(nasty_config(&cfg, true), 0);
	fill_ext(&x, &cfg);
	CU_ASSERT_EQUAL_FATAL(kiln_bake_registry(&x, 1, &a, &la, NULL), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_bake_registry(&x, 1, &b, &lb, NULL), KILN_OK);
	CU_ASSERT(la == lb && memcmp(a, b, la) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "#ifndef KILN_CONFIG_ENOTFOUND\n#error"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "static const struct kiln_config_entry kiln_reg_nasty_config[]"));
	free(a);
	free(b);
	kiln_config_release(&cfg);
}

static void test_empty_and_mk(void)
{
	struct kiln_toolchain tc;
	struct kiln_config cfg;
	struct kiln_bake_ext x;
	struct kiln_err err = {0, ""};
	char *text = NULL, *inputs[] = {"/p/kiln.yaml", "relative.lock", "/a b/k.pub"};
	size_t len;

	CU_ASSERT_EQUAL_FATAL(kiln_bake_registry(NULL, 0, &text, &len, NULL), KILN_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ".extensions = NULL,\n\t.count = 0,"));
	free(text);
	memset(&tc, 0, sizeof tc);
	snprintf(tc.include_dir, sizeof tc.include_dir, "/opt/kiln/include/kiln");
	snprintf(tc.rt_lib, sizeof tc.rt_lib, "/opt/kiln/lib/libkiln-rt.a");
	CU_ASSERT_EQUAL_FATAL(nasty_config(&cfg, false), 0);
	fill_ext(&x, &cfg);
	CU_ASSERT_EQUAL_FATAL(kiln_bake_mk(&x, 1, &tc, inputs, 3, &text, &len, &err), KILN_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nKILN_OBJS := $(KILN_BAKE_DIR)/nasty.o "
					    "$(KILN_BAKE_DIR)/kiln_registry.o\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nKILN_RT_LIB := /opt/kiln/lib/libkiln-rt.a\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "\nKILN_LDLIBS := $(KILN_RT_LIB) -lsodium -lpthread -lm\n"));
	/* inputs: absolute and spellable ones only */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nKILN_BAKE_INPUTS := \\\n\t/p/kiln.yaml\n"));
	free(text);
	/* a runtime path make cannot spell is refused, not mangled */
	snprintf(tc.rt_lib, sizeof tc.rt_lib, "/opt/my kiln/lib/libkiln-rt.a");
	CU_ASSERT_EQUAL(kiln_bake_mk(&x, 1, &tc, inputs, 3, &text, &len, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "a path make cannot spell"));
	kiln_config_release(&cfg);
}

void kiln_test_bake_gen(void)
{
	CU_pSuite s = CU_add_suite("bake_gen", setup, teardown);
	CU_add_test(s, "hostile kiln.yaml strings survive the registry byte for byte",
		    test_registry_strings);
	CU_add_test(s, "the bake's metadata document", test_meta);
	CU_add_test(s, "configuration guarded; deterministic output",
		    test_config_guard_and_determinism);
	CU_add_test(s, "an empty registry; kiln.mk", test_empty_and_mk);
}
