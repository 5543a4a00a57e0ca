/*
 * Tests for compiler/config.c, the kiln.yaml reader: a full valid file read
 * back field by field, then one case per kind of error with the exact
 * FILE:LINE:COLUMN and key path it must name.  Relative paths resolve
 * against a temporary directory holding data/, a file and a layout dir.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "config_impl.h"
#include "kiln_rt.h"
#include "unit.h"

static char dir[] = "/tmp/kiln-config-test-XXXXXX";
static char yaml_path[64];

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define REF "oci-layout:lay:demo@sha256:" D64

static int setup(void)
{
	char p[128];
	FILE *f;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(yaml_path, sizeof yaml_path, "%s/kiln.yaml", dir);
	snprintf(p, sizeof p, "%s/data", dir);
	if (mkdir(p, 0755) != 0)
		return -1;
	snprintf(p, sizeof p, "%s/lay", dir);
	if (mkdir(p, 0755) != 0)
		return -1;
	snprintf(p, sizeof p, "%s/file", dir);
	f = fopen(p, "w");
	if (f == NULL)
		return -1;
	fputs("x\n", f);
	return fclose(f);
}

static int teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int parse(const char *text, struct kiln_config *cfg, struct kiln_err *err)
{
	return kiln_config_parse(text, strlen(text), yaml_path, cfg, err);
}

static const char full[] =
	"# a comment\n"
	"version: 1\n"
	"extensions:\n"
	"  - name: textfilter\n"
	"    ref: " REF "\n"
	"    key: file\n"
	"    protocol: 1\n"
	"    grants:\n"
	"      memory: 16MiB\n"
	"      fuel_per_call: 100_000_000\n"
	"      fuel_instantiate: unlimited\n"
	"      soft_deadline: 500ms\n"
	"      hard_deadline: 1m\n"
	"      args: [textfilter, --upper, 42]\n"
	"      env: {LANG: C, EMPTY: \"\"}\n"
	"      env_inherit: [TZ]\n"
	"      mounts:\n"
	"        - {host: data, guest: /in}\n"
	"        - {host: /, guest: /root, mode: rw}\n"
	"      stdin: file:file\n"
	"      stdout: capture\n"
	"      stderr: log\n"
	"      clocks: [realtime, monotonic]\n"
	"      random: true\n"
	"      sockets: []\n"
	"      config: {greeting: hello, count: 3}\n"
	"    tests:\n"
	"      - name: upper-cases stdin\n"
	"        export: _start\n"
	"        stdin: \"abc\\n\"\n"
	"        stdout: \"ABC\\n\"\n"
	"      - name: adds\n"
	"        export: add\n"
	"        args: [i32:2, i32:-3, i64:0x10, f32:1.5, f64:-inf]\n"
	"        results: [i32:4294967295]\n"
	"      - name: spins\n"
	"        export: spin\n"
	"        trap: deadline\n"
	"  - name: second\n"
	"    ref: example.com/a/b:v1\n"
	"    grants:\n"
	"    tests: []\n";

static void test_full(void)
{
	struct kiln_config cfg;
	struct kiln_err err = {0, ""};
	const struct kiln_config_ext *e;
	const struct kiln_config_grants *g;
	int rc = parse(full, &cfg, &err);

	CU_ASSERT_EQUAL_FATAL(rc, KILN_OK);
	if (rc != KILN_OK)
		fprintf(stderr, "\n  %s\n", err.msg);
	CU_ASSERT_EQUAL(cfg.version, 1);
	CU_ASSERT_STRING_EQUAL(cfg.dir, dir);
	CU_ASSERT_EQUAL_FATAL(cfg.count, 2);
	e = kiln_config_find(&cfg, "textfilter");
	CU_ASSERT_PTR_EQUAL_FATAL(e, &cfg.exts[0]);
	CU_ASSERT_STRING_EQUAL(e->ref, REF);
	CU_ASSERT(e->pinned);
	CU_ASSERT_STRING_EQUAL(e->key, "file");
	CU_ASSERT(e->has_protocol && e->protocol == 1);
	CU_ASSERT(e->ref_mark.line == 5 && e->ref_mark.column == 10);
	g = &e->grants;
	CU_ASSERT_EQUAL(g->memory, 16u << 20);
	CU_ASSERT(g->memory_mark.line == 9 && g->memory_mark.column == 15);
	CU_ASSERT_EQUAL(g->fuel_per_call, 100000000u);
	CU_ASSERT_EQUAL(g->fuel_instantiate, KILN_CONFIG_UNLIMITED);
	CU_ASSERT_EQUAL(g->soft_deadline_ns, 500000000u);
	CU_ASSERT_EQUAL(g->hard_deadline_ns, 60000000000u);
	CU_ASSERT_EQUAL_FATAL(g->nargs, 3);
	CU_ASSERT_STRING_EQUAL(g->args[1], "--upper");
	CU_ASSERT_STRING_EQUAL(g->args[2], "42");
	CU_ASSERT_EQUAL_FATAL(g->nenv, 2);
	CU_ASSERT_STRING_EQUAL(g->env[0].key, "LANG");
	CU_ASSERT_STRING_EQUAL(g->env[0].value, "C");
	CU_ASSERT_STRING_EQUAL(g->env[1].value, "");
	CU_ASSERT(g->nenv_inherit == 1 && strcmp(g->env_inherit[0], "TZ") == 0);
	CU_ASSERT_EQUAL_FATAL(g->nmounts, 2);
	CU_ASSERT_STRING_EQUAL(g->mounts[0].host, "data");
	CU_ASSERT_STRING_EQUAL(g->mounts[0].guest, "/in");
	CU_ASSERT(!g->mounts[0].writable && g->mounts[1].writable);
	CU_ASSERT_EQUAL(g->stdio[0].kind, KILN_WASI_STDIO_FILE);
	CU_ASSERT_STRING_EQUAL(g->stdio[0].path, "file");
	CU_ASSERT_EQUAL(g->stdio[1].kind, KILN_WASI_STDIO_CAPTURE);
	CU_ASSERT_EQUAL(g->stdio[2].kind, KILN_WASI_STDIO_LOG);
	CU_ASSERT(g->clock_realtime && g->clock_monotonic && g->random);
	CU_ASSERT_EQUAL_FATAL(g->nconfig, 2);
	CU_ASSERT_STRING_EQUAL(g->config[1].key, "count");
	CU_ASSERT_STRING_EQUAL(g->config[1].value, "3");
	CU_ASSERT_EQUAL_FATAL(e->ntests, 3);
	CU_ASSERT_STRING_EQUAL(e->tests[0].export_name, "_start");
	CU_ASSERT(e->tests[0].stdin_len == 4 && memcmp(e->tests[0].stdin_data, "abc\n", 4) == 0);
	CU_ASSERT(e->tests[0].stdout_len == 4 && memcmp(e->tests[0].stdout_data, "ABC\n", 4) == 0);
	CU_ASSERT(!e->tests[0].has_results && e->tests[0].trap == NULL);
	CU_ASSERT_EQUAL_FATAL(e->tests[1].nargs, 5);
	CU_ASSERT(e->tests[1].args[0].type == KILN_I32 && e->tests[1].args[0].of.i32 == 2);
	CU_ASSERT(e->tests[1].args[1].of.i32 == (uint32_t)-3);
	CU_ASSERT(e->tests[1].args[2].type == KILN_I64 && e->tests[1].args[2].of.i64 == 16);
	CU_ASSERT(e->tests[1].args[3].type == KILN_F32 && e->tests[1].args[3].of.f32 == 1.5f);
	CU_ASSERT(e->tests[1].args[4].type == KILN_F64 && isinf(e->tests[1].args[4].of.f64));
	CU_ASSERT(e->tests[1].has_results && e->tests[1].nresults == 1 &&
		  e->tests[1].results[0].of.i32 == 4294967295u);
	CU_ASSERT_STRING_EQUAL(e->tests[2].trap, "deadline");
	CU_ASSERT_EQUAL(e->tests[2].trap_kind, KILN_TRAP_DEADLINE);
	e = &cfg.exts[1];
	CU_ASSERT(!e->pinned && e->ntests == 0 && e->grants.memory == 0);
	CU_ASSERT(e->grants.memory_mark.line == 39); /* the extension's own line */
	kiln_config_release(&cfg);
	CU_ASSERT_PTR_NULL(cfg.exts);
}

/* Relative paths are anchored at kiln.yaml's directory, absolute ones kept. */
static void test_paths(void)
{
	struct kiln_config cfg;
	struct kiln_err err;
	char *p;
	CU_ASSERT_EQUAL_FATAL(kiln_config_parse("version: 1\nextensions: []\n", 26, "a/b/kiln.yaml",
						&cfg, &err),
			      KILN_OK);
	CU_ASSERT_STRING_EQUAL(cfg.dir, "a/b");
	p = kiln_config_path(&cfg, "keys/k.pub");
	CU_ASSERT_STRING_EQUAL(p, "a/b/keys/k.pub");
	free(p);
	p = kiln_config_path(&cfg, "/etc/k.pub");
	CU_ASSERT_STRING_EQUAL(p, "/etc/k.pub");
	free(p);
	kiln_config_release(&cfg);
	CU_ASSERT_EQUAL_FATAL(kiln_config_parse("version: 1\nextensions:\n", 23, "kiln.yaml", &cfg,
						&err),
			      KILN_OK);
	CU_ASSERT_STRING_EQUAL(cfg.dir, ".");
	CU_ASSERT_EQUAL(cfg.count, 0);
	p = kiln_config_path(&cfg, "x");
	CU_ASSERT_STRING_EQUAL(p, "x");
	free(p);
	kiln_config_release(&cfg);
}

/* The trap kind names are the runtime's own spellings. */
static void test_trap_names(void)
{
	int i;
	for (i = 1; kiln_config_trap_name(i) != NULL; i++) {
		CU_ASSERT_STRING_EQUAL(kiln_config_trap_name(i),
				       kiln_trap_kind_name((enum kiln_trap_kind)i));
		CU_ASSERT_EQUAL(kiln_config_trap_kind(kiln_trap_kind_name((enum kiln_trap_kind)i)), i);
	}
	CU_ASSERT_EQUAL(i, KILN_TRAP_KIND_COUNT);
	CU_ASSERT_EQUAL(kiln_config_trap_kind("none"), -1);
	CU_ASSERT_EQUAL(kiln_config_trap_kind("segfault"), -1);
}

/* The head of a file with one extension, so that cases add their lines at
 * a known place: line 4 is the first grant. */
#define HEAD "version: 1\nextensions:\n  - name: e\n    ref: " REF "\n"
#define GRANTS HEAD "    grants:\n"
#define TESTS HEAD "    tests:\n"

static const struct {
	const char *text;
	const char *msg; /* the whole message after "<dir>/kiln.yaml:" */
} errors[] = {
	/* YAML itself */
	{"version: 1\nextensions: [\n", "3:1: not valid YAML: did not find expected node content "
					"while parsing a flow node"},
	{"version: 1\n\tx: 1\n", "2:1: not valid YAML: found a tab character that violates "
				 "indentation while scanning a plain scalar"},
	{"", "1:1: the file is empty (expected version: 1 and extensions)"},
	{"version: 1\nextensions: &x []\nother: *x\n",
	 "3:8: aliases (*x) are not supported: write the value out"},
	{"version: 1\nextensions: []\n---\nversion: 1\n",
	 "3:1: a second YAML document; kiln.yaml holds one"},
	{"version: !custom 1\nextensions: []\n", "1:10: custom YAML tags are not supported"},
	/* the top level */
	{"- a\n", "1:1: expected a mapping with version and extensions, found a list"},
	{"extensions: []\n", "1:1: missing key \"version\" (version: 1)"},
	{"version: 2\nextensions: []\n",
	 "1:10: version: 2 is not supported (this kiln reads version 1)"},
	{"version: \"1\"\nextensions: []\n", "1:10: version: expected a number, found \"1\""},
	{"version: 1\n", "1:1: missing key \"extensions\" (a list)"},
	{"version: 1\nextension: []\n", "2:1: extension: unknown key (did you mean \"extensions\"?)"},
	{"version: 1\nextensions: []\nversion: 1\n",
	 "3:1: version: key given twice (first at line 1)"},
	{"version: 1\nextensions: {a: 1}\n",
	 "2:13: extensions: expected a list of extensions, found a mapping"},
	{"version: 1\nextensions: [7]\n",
	 "2:14: extensions[0]: expected an extension (name, ref, grants...), found \"7\""},
	/* extensions */
	{"version: 1\nextensions:\n  - ref: " REF "\n", "3:5: extensions[0]: missing key \"name\""},
	{"version: 1\nextensions:\n  - name: e\n",
	 "3:5: extensions[0]: missing key \"ref\" (an OCI reference pinned by digest)"},
	{"version: 1\nextensions:\n  - name: text-filter\n    ref: " REF "\n",
	 "3:11: name: \"text-filter\" is not a C identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 "
	 "characters)"},
	{HEAD "  - name: e\n    ref: " REF "\n",
	 "5:11: name: \"e\" is already the name of the extension at line 3"},
	{"version: 1\nextensions:\n  - name: e\n    ref: example.com/a/b\n",
	 "4:10: ref: \"example.com/a/b\" means an unpinned \"latest\": pin it by digest "
	 "(@sha256:...) or set allow_latest: true"},
	{"version: 1\nextensions:\n  - name: e\n    ref: example.com/a/b:latest\n",
	 "4:10: ref: \"example.com/a/b:latest\" means an unpinned \"latest\": pin it by digest "
	 "(@sha256:...) or set allow_latest: true"},
	{"version: 1\nextensions:\n  - name: e\n    ref: nohost/a:v1\n",
	 "4:10: ref: \"nohost/a:v1\": no registry host; kiln has no default registry, write "
	 "HOST[:PORT]/REPOSITORY (e.g. registry.example/nohost)"},
	{"version: 1\nextensions:\n  - name: e\n    ref: oci-layout:missing:v1\n",
	 "4:10: ref: layout directory missing: No such file or directory (relative to the "
	 "directory of kiln.yaml)"},
	{"version: 1\nextensions:\n  - name: e\n    allow_latest: yes\n    ref: " REF "\n",
	 "4:19: allow_latest: expected true or false, found \"yes\""},
	{HEAD "    key: keys/none.pub\n", "5:10: key: keys/none.pub: No such file or directory"},
	{HEAD "    key: data\n", "5:10: key: data: not a regular file"},
	{HEAD "    protocol: 0\n", "5:15: protocol: 0 is out of range (1 to 2147483647)"},
	{HEAD "    protocol: one\n", "5:15: protocol: expected a number, found \"one\""},
	{HEAD "    grant: {}\n", "5:5: grant: unknown key (did you mean \"grants\"?)"},
	{HEAD "    zzz: 1\n",
	 "5:5: zzz: unknown key (expected one of: name, ref, key, protocol, allow_latest, grants, "
	 "tests)"},
	/* grants */
	{HEAD "    grants: [memory]\n", "5:13: grants: expected a mapping of grants, found a list"},
	{GRANTS "      fule_per_call: 5\n",
	 "6:7: grants.fule_per_call: unknown key (did you mean \"fuel_per_call\"?)"},
	{GRANTS "      memory: 16MB\n",
	 "6:15: grants.memory: \"16MB\" is not a size (use KiB, MiB or GiB)"},
	{GRANTS "      memory: 1000\n", "6:15: grants.memory: \"1000\" is below one wasm page (64KiB)"},
	{GRANTS "      memory: 5GiB\n",
	 "6:15: grants.memory: \"5GiB\" is above 4GiB, the most a 32-bit memory holds"},
	{GRANTS "      memory: 100000\n",
	 "6:15: grants.memory: \"100000\" is not a whole number of wasm pages (64KiB each)"},
	{GRANTS "      memory: -1MiB\n",
	 "6:15: grants.memory: \"-1MiB\": a memory cap must be greater than zero"},
	{GRANTS "      fuel_per_call: 0\n",
	 "6:22: grants.fuel_per_call: 0: a fuel budget must be greater than zero (leave the key "
	 "out for the default)"},
	{GRANTS "      fuel_per_call: -5\n",
	 "6:22: grants.fuel_per_call: -5: a fuel budget must be greater than zero"},
	{GRANTS "      fuel_instantiate: lots\n",
	 "6:25: grants.fuel_instantiate: expected a number of fuel units or \"unlimited\", found "
	 "\"lots\""},
	{GRANTS "      fuel_per_call: 2305843009213693953\n",
	 "6:22: grants.fuel_per_call: 2305843009213693953 is above the largest budget, "
	 "2305843009213693952 (or use unlimited)"},
	{GRANTS "      soft_deadline: -1s\n",
	 "6:22: grants.soft_deadline: \"-1s\": a deadline must be greater than zero"},
	{GRANTS "      hard_deadline: 0ms\n",
	 "6:22: grants.hard_deadline: \"0ms\": a deadline must be greater than zero"},
	{GRANTS "      hard_deadline: 5\n",
	 "6:22: grants.hard_deadline: \"5\" needs a unit (ms, s or m)"},
	{GRANTS "      hard_deadline: 2h\n",
	 "6:22: grants.hard_deadline: \"2h\" is not a duration (use ms, s or m, e.g. 2s)"},
	{GRANTS "      hard_deadline: 1441m\n", "6:22: grants.hard_deadline: \"1441m\" is longer than a day"},
	{GRANTS "      soft_deadline: 3s\n      hard_deadline: 2s\n",
	 "6:22: grants.soft_deadline: the soft deadline must not be later than the hard deadline "
	 "(2s at line 7)"},
	{GRANTS "      args: --upper\n",
	 "6:13: grants.args: expected a list of strings, found \"--upper\""},
	{GRANTS "      args: [a, {b: c}]\n", "6:17: grants.args[1]: expected a string, found a mapping"},
	{GRANTS "      env: [A=B]\n",
	 "6:12: grants.env: expected a mapping of names to strings, found a list"},
	{GRANTS "      env: {\"A=B\": c}\n",
	 "6:13: grants.env.A=B: an environment variable name must be non-empty and hold no '='"},
	{GRANTS "      env: {A: [1]}\n", "6:16: grants.env.A: expected a string, found a list"},
	{GRANTS "      env: {A: 1, A: 2}\n", "6:19: grants.env.A: key given twice"},
	{GRANTS "      env_inherit: [TZ, \"\"]\n",
	 "6:25: grants.env_inherit[1]: an environment variable name must be non-empty and hold no "
	 "'='"},
	{GRANTS "      mounts:\n        - {host: nothere, guest: /x}\n",
	 "7:18: grants.mounts[0].host: nothere: No such file or directory (relative to the "
	 "directory of kiln.yaml)"},
	{GRANTS "      mounts:\n        - {host: file, guest: /x}\n",
	 "7:18: grants.mounts[0].host: file: not a directory"},
	{GRANTS "      mounts:\n        - {host: data, guest: x}\n",
	 "7:31: grants.mounts[0].guest: \"x\": the guest path must be absolute"},
	{GRANTS "      mounts:\n        - {host: data, guest: /x, mode: rx}\n",
	 "7:41: grants.mounts[0].mode: expected ro or rw, found \"rx\""},
	{GRANTS "      mounts:\n        - {host: data}\n",
	 "7:11: grants.mounts[0]: missing key \"guest\" (the path the guest sees)"},
	{GRANTS "      mounts:\n        - {host: data, guest: /x}\n        - {host: /, guest: /x}\n",
	 "8:28: grants.mounts[1].guest: \"/x\" is mounted twice"},
	{GRANTS "      mounts:\n        - {host: data, guest: /x, size: 1}\n",
	 "7:35: grants.mounts[0].size: unknown key (expected one of: host, guest, mode)"},
	{GRANTS "      stdin: log\n", "6:14: grants.stdin: stdin cannot be routed to the log"},
	{GRANTS "      stdout: files:out\n",
	 "6:15: grants.stdout: \"files:out\" is not a routing (inherit, null, capture, log or "
	 "file:PATH)"},
	{GRANTS "      stdin: file:nothere\n",
	 "6:14: grants.stdin: nothere: No such file or directory"},
	{GRANTS "      stderr: \"file:\"\n", "6:15: grants.stderr: file: needs a path (file:PATH)"},
	{GRANTS "      clocks: [process_cputime]\n",
	 "6:16: grants.clocks[0]: \"process_cputime\": CPU-time clocks are never granted"},
	{GRANTS "      clocks: [wall]\n",
	 "6:16: grants.clocks[0]: expected realtime or monotonic, found \"wall\""},
	{GRANTS "      random: \"true\"\n", "6:15: grants.random: expected true or false, found \"true\""},
	{GRANTS "      sockets: [3]\n",
	 "6:16: grants.sockets: reserved: must be empty (sockets are granted by the host in code)"},
	{GRANTS "      config: {a: {b: c}}\n", "6:19: grants.config.a: expected a string, found a mapping"},
	{GRANTS "      config: {\"\": x}\n",
	 "6:16: grants.config.: a configuration key must be 1 to 256 bytes"},
	/* tests */
	{TESTS "      x: 1\n", "6:7: tests: expected a list of test cases, found a mapping"},
	{TESTS "      - export: f\n", "6:9: tests[0]: missing key \"name\""},
	{TESTS "      - name: t\n", "6:9: tests[0]: missing key \"export\" (the function to call)"},
	{TESTS "      - {name: t, export: f, args: [i32:abc]}\n",
	 "6:37: tests[0].args[0]: \"i32:abc\": the value does not fit i32"},
	{TESTS "      - {name: t, export: f, args: [i32:4294967296]}\n",
	 "6:37: tests[0].args[0]: \"i32:4294967296\": the value does not fit i32"},
	{TESTS "      - {name: t, export: f, results: [x32:1]}\n",
	 "6:40: tests[0].results[0]: \"x32:1\" is not a typed value (i32:N, i64:N, f32:X or f64:X)"},
	{TESTS "      - {name: t, export: f, args: i32:1}\n",
	 "6:36: tests[0].args: expected a list of typed values (i32:N, i64:N, f32:X, f64:X), found "
	 "\"i32:1\""},
	{TESTS "      - {name: t, export: f, trap: segfault}\n",
	 "6:36: tests[0].trap: \"segfault\" is not a trap kind (out of bounds, integer divide by "
	 "zero, unreachable, stack exhaustion, fuel exhausted, deadline, exit, ...: see "
	 "docs/kiln.yaml.md)"},
	{TESTS "      - {name: t, export: f, results: [], trap: deadline}\n",
	 "6:49: tests[0].trap: a test expects either results or a trap, not both"},
	{TESTS "      - {name: t, export: f}\n      - {name: t, export: g}\n",
	 "7:9: tests[1]: test \"t\" is named twice"},
	{TESTS "      - {name: t, export: f, stdin: [a]}\n",
	 "6:37: tests[0].stdin: expected a string, found a list"},
	{TESTS "      - {name: t, export: f, want: 1}\n",
	 "6:30: tests[0].want: unknown key (expected one of: name, export, args, results, trap, "
	 "stdin, stdout)"},
};

static void test_errors(void)
{
	size_t plen = strlen(yaml_path);
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		struct kiln_config cfg;
		struct kiln_err err = {0, ""};
		int rc = parse(errors[i].text, &cfg, &err);
		bool same = rc == KILN_ECONFIG && strncmp(err.msg, yaml_path, plen) == 0 &&
			    err.msg[plen] == ':' && strcmp(err.msg + plen + 1, errors[i].msg) == 0;
		CU_ASSERT(same);
		if (!same)
			fprintf(stderr, "\n  case %zu: rc %d\n    got      %s\n    expected %s:%s\n", i,
				rc, err.msg, yaml_path, errors[i].msg);
		kiln_config_release(&cfg);
	}
}

static void test_read_file(void)
{
	struct kiln_config cfg;
	struct kiln_err err = {0, ""};
	FILE *f = fopen(yaml_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(full, f);
	fclose(f);
	CU_ASSERT_EQUAL(kiln_config_read(yaml_path, &cfg, &err), KILN_OK);
	CU_ASSERT_EQUAL(cfg.count, 2);
	kiln_config_release(&cfg);
	CU_ASSERT_EQUAL(kiln_config_read("/nonexistent/kiln.yaml", &cfg, &err), KILN_EIO);
	CU_ASSERT(strstr(err.msg, "/nonexistent/kiln.yaml: cannot read") != NULL);
	kiln_config_release(&cfg);
	CU_ASSERT_EQUAL(kiln_config_read(dir, &cfg, &err), KILN_ECONFIG);
	CU_ASSERT(strstr(err.msg, "not a regular file") != NULL);
	kiln_config_release(&cfg);
	unlink(yaml_path);
}

/* Hostile text: invalid UTF-8, NUL bytes, deep nesting — errors, never
 * crashes. */
static void test_hostile(void)
{
	static const char nul[] = "version: 1\nextensions:\n  - name: \"a\\0b\"\n    ref: " REF "\n";
	static const char bad_utf8[] = "version: 1\nextensions: [\"\xff\xfe\"]\n";
	char deep[4096];
	struct kiln_config cfg;
	struct kiln_err err = {0, ""};
	size_t n = 0;

	CU_ASSERT_EQUAL(parse(nul, &cfg, &err), KILN_ECONFIG);
	CU_ASSERT(strstr(err.msg, "3:11: name: a NUL byte is not allowed here") != NULL);
	if (strstr(err.msg, "3:11: name: a NUL byte is not allowed here") == NULL)
		fprintf(stderr, "\n  %s\n", err.msg);
	kiln_config_release(&cfg);
	CU_ASSERT_EQUAL(parse(bad_utf8, &cfg, &err), KILN_ECONFIG);
	CU_ASSERT(strstr(err.msg, "not valid YAML") != NULL);
	kiln_config_release(&cfg);
	n += (size_t)snprintf(deep, sizeof deep, "version: 1\nextensions: ");
	while (n < sizeof deep - 2)
		deep[n++] = '[';
	deep[n] = '\0';
	CU_ASSERT_EQUAL(parse(deep, &cfg, &err), KILN_ECONFIG);
	kiln_config_release(&cfg);
}

void kiln_test_config(void)
{
	CU_pSuite s = CU_add_suite("config", setup, teardown);
	CU_add_test(s, "a full kiln.yaml, field by field", test_full);
	CU_add_test(s, "relative paths", test_paths);
	CU_add_test(s, "trap kind names match the runtime", test_trap_names);
	CU_add_test(s, "every error names file, line, column and key", test_errors);
	CU_add_test(s, "reading a file", test_read_file);
	CU_add_test(s, "hostile text", test_hostile);
}
