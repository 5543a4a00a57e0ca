/*
 * Tests for compiler/testgen.c, the tables `kiln test` generates from
 * kiln.yaml: values exact (floats by their bits), hostile strings (quotes,
 * backslashes, trigraphs, comment ends, NUL and control bytes) escaped so
 * that the generated C compiles and holds the very bytes, the same input
 * giving the same output.  The generated file is compiled with the
 * runner's header and read back by a small program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "testgen_impl.h"
#include "unit.h"

static char dir[] = "/tmp/kiln-testgen-test-XXXXXX";

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char yaml[] =
	"version: 1\n"
	"extensions:\n"
	"  - name: first\n"
	"    ref: oci-layout:lay:a@sha256:" D64 "\n"
	"    protocol: 1\n"
	"    tests:\n"
	"      - name: \"quote \\\" backslash \\\\ trigraph ?\?/ end */ tab\\t\"\n"
	"        export: \"add\"\n"
	"        args: [i32:-1, i64:0x8000000000000000, f32:-0.0, f64:nan]\n"
	"        results: [f64:0.1, f32:1.5, i32:0x7fffffff]\n"
	"      - name: bytes\n"
	"        export: _start\n"
	"        stdin: \"a\\0b\\x01\\n?\?=\\\"\"\n"
	"        stdout: \"\\xff\\u00e9\"\n"
	"      - name: traps\n"
	"        export: spin\n"
	"        trap: deadline\n"
	"  - name: second\n"
	"    ref: oci-layout:lay:b@sha256:" D64 "\n";

/* Reads the tables back and prints what the test compares. */
static const char reader[] =
	"#include <stdio.h>\n"
	"#include <string.h>\n"
	"#include \"kiln_test.h\"\n"
	"void kiln_test_run_case(size_t s, size_t i) { (void)s, (void)i; }\n"
	"int kiln_test_suite_init(size_t s) { return (int)s; }\n"
	"static void hex(const char *p, size_t n) { for (size_t i = 0; i < n; i++) "
	"printf(\"%02x\", (unsigned char)p[i]); printf(\"\\n\"); }\n"
	"int main(void) {\n"
	"  const struct kiln_test_suite *s = &kiln_test_suites[0];\n"
	"  const struct kiln_test_case *c = &s->cases[0];\n"
	"  printf(\"%zu %s %d %d %zu\\n\", kiln_test_nsuites, s->extension, s->has_protocol,"
	"    s->protocol, s->ncases);\n"
	"  hex(c->name, strlen(c->name));\n"
	"  printf(\"%s %zu %zu %d %d\\n\", c->export_name, c->nargs, c->nresults,"
	"    c->check_results, c->trap);\n"
	"  for (size_t i = 0; i < c->nargs; i++) printf(\"%d:%016llx\\n\", (int)c->args[i].type,"
	"    (unsigned long long)c->args[i].of.i64);\n"
	"  for (size_t i = 0; i < c->nresults; i++) printf(\"%d:%016llx\\n\","
	"    (int)c->results[i].type, (unsigned long long)c->results[i].of.i64);\n"
	"  c = &s->cases[1];\n"
	"  hex(c->stdin_data, c->stdin_len); hex(c->stdout_data, c->stdout_len);\n"
	"  printf(\"%d %d\\n\", c->check_stdout, c->check_results);\n"
	"  c = &s->cases[2];\n"
	"  printf(\"%s %d %s\\n\", c->export_name, c->trap, c->where);\n"
	"  printf(\"%s %zu %d\\n\", kiln_test_suites[1].extension, kiln_test_suites[1].ncases,"
	"    kiln_test_suites[1].init());\n"
	"  s->case_fns[2]();\n"
	"  return 0;\n"
	"}\n";

static int setup(void)
{
	char p[128];
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(p, sizeof p, "%s/lay", dir);
	return mkdir(p, 0755);
}

static int teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *generate(const struct kiln_config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	struct kiln_err err;
	if (f == NULL)
		return NULL;
	CU_ASSERT_EQUAL(kiln_testgen_write(cfg, f, &err), KILN_OK);
	fclose(f);
	return text;
}

static bool write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL && fwrite(text, 1, len, f) == len;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	return ok;
}

static void test_generated_tables_compile_and_hold_the_bytes(void)
{
	static const char *const want[] = {
		"2 first 1 1 3",
		/* the name, byte for byte */
		"71756f74652022206261636b736c617368205c20747269677261706820"
		"3f3f2f20656e64202a2f20746162" "09",
		"add 4 3 1 0",
		"0:00000000ffffffff",   /* i32:-1, high half zero */
		"1:8000000000000000",
		"2:0000000080000000",   /* f32 -0.0 by its bits */
		NULL,                   /* f64 nan: any NaN bits, checked below */
		"3:3fb999999999999a",   /* f64 0.1 exactly */
		"2:000000003fc00000",
		"0:000000007fffffff",
		"610062010a3f3f3d22",   /* stdin a NUL b 0x01 \n ??= " */
		"c3bfc3a9",             /* stdout: U+00FF and U+00E9 in UTF-8 */
		"1 0",
		"spin 9 ", /* trap kind of "deadline", then the position */
		"second 0 1",
	};
	struct kiln_config cfg = {0};
	struct kiln_err err;
	struct kiln_proc proc = {0};
	char yaml_path[96], gen[96], rd[96], exe[96], *text, *again, *line, *next;
	size_t len = 0, len2 = 0, i = 0;

	snprintf(yaml_path, sizeof yaml_path, "%s/kiln.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(kiln_config_parse(yaml, strlen(yaml), yaml_path, &cfg, &err),
			      KILN_OK);
	text = generate(&cfg, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* deterministic */
	again = generate(&cfg, &len2);
	CU_ASSERT(again != NULL && len == len2 && memcmp(text, again, len) == 0);
	free(again);
	/* no raw control byte or comment end slips through */
	for (size_t k = 0; k < len; k++)
		CU_ASSERT(text[k] == '\n' || text[k] == '\t' ||
			  (text[k] >= 0x20 && text[k] < 0x7f));

	snprintf(gen, sizeof gen, "%s/kiln_tests.c", dir);
	snprintf(rd, sizeof rd, "%s/reader.c", dir);
	snprintf(exe, sizeof exe, "%s/reader", dir);
	CU_ASSERT_FATAL(write_file(gen, text, len) && write_file(rd, reader, strlen(reader)));
	{
		char *argv[] = {"cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
				"-Isdk/test", "-Iruntime", "-o", exe, gen, rd, NULL};
		CU_ASSERT_EQUAL_FATAL(kiln_spawn(argv, NULL, &proc, &err), KILN_OK);
		if (proc.status != 0)
			fprintf(stderr, "\n%s\n", proc.errout);
		CU_ASSERT_EQUAL_FATAL(proc.status, 0);
		kiln_proc_release(&proc);
	}
	{
		char *argv[] = {exe, NULL};
		CU_ASSERT_EQUAL_FATAL(kiln_spawn(argv, NULL, &proc, &err), KILN_OK);
		CU_ASSERT_EQUAL(proc.status, 0);
	}
	for (line = proc.out; line != NULL && *line != '\0'; line = next, i++) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (i >= sizeof want / sizeof want[0]) {
			CU_FAIL("more lines than expected");
			break;
		}
		if (want[i] == NULL) {
			unsigned long long bits = strtoull(line + 2, NULL, 16);
			CU_ASSERT(strncmp(line, "3:", 2) == 0 && (bits & 0x7ff0000000000000ull) ==
								  0x7ff0000000000000ull &&
				  (bits & 0xfffffffffffffull) != 0);
		} else if (strncmp(want[i], "spin", 4) == 0) {
			CU_ASSERT(strncmp(line, want[i], strlen(want[i])) == 0);
			if (strstr(line, "kiln.yaml:15:9") == NULL)
				fprintf(stderr, "\n  position: %s\n", line);
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "kiln.yaml:15:9"));
		} else {
			if (strcmp(line, want[i]) != 0)
				fprintf(stderr, "\n  line %zu: \"%s\", want \"%s\"\n", i, line, want[i]);
			CU_ASSERT_STRING_EQUAL(line, want[i]);
		}
	}
	CU_ASSERT_EQUAL(i, sizeof want / sizeof want[0]);
	kiln_proc_release(&proc);
	free(text);
	kiln_config_release(&cfg);
}

void kiln_test_testgen(void)
{
	CU_pSuite s = CU_add_suite("testgen", setup, teardown);
	CU_add_test(s, "generated tables compile and hold the bytes",
		    test_generated_tables_compile_and_hold_the_bytes);
}
