/*
 * kiln-wasm-spec — the reader, writer and fuel pass against the WebAssembly
 * spec suite (wast2json output).
 *
 *   kiln-wasm-spec --out DIR [--core] JSON... [--simd JSON...]
 *
 * For every valid module (command "module") of a --core file:
 *   read -> write -> read gives the same module; writing again gives the
 *   same bytes; the fuel pass succeeds; its output reads back and encodes
 *   to the same bytes; `wasm-validate` accepts it (written to DIR).
 * Every binary assert_malformed module is rejected by the reader, and so
 * are the two empty-offset assert_invalid modules wasm2c 1.0.32 accepts
 * (data.wast line 400, elem.wast line 372).
 * Every module of a --simd file is either accepted (it has no SIMD) or
 * refused with KILN_EUNSUPPORTED naming SIMD; never anything else.
 *
 * Ends with "wasm-spec: N passed, M failed".
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "kiln_compiler.h"
#include "wasm_impl.h"
#include "tests/slurp.h"

extern char **environ;

static unsigned passed, failed;
static unsigned canonical, validated, malformed_rejected, simd_refused, simd_accepted;

static void fail_case(const char *file, const char *fmt, const char *detail)
{
	failed++;
	printf("FAIL %s: %s%s%s\n", file, fmt, detail ? ": " : "", detail ? detail : "");
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;
	if (f == NULL)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int run_validate(const char *path)
{
	char *argv[] = {"wasm-validate", (char *)path, NULL};
	pid_t pid;
	int status;
	if (posix_spawnp(&pid, "wasm-validate", NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The whole chain for one valid module; returns a failure reason or NULL. */
static const char *check_valid(const char *path, const char *outdir, char *detail, size_t dlen)
{
	struct kiln_wasm_module *m = NULL, *m2 = NULL, *m3 = NULL;
	uint8_t *in = NULL, *w1 = NULL, *w2 = NULL, *f1 = NULL, *f2 = NULL;
	size_t n = 0, n1 = 0, n2 = 0, nf1 = 0, nf2 = 0;
	struct kiln_err err;
	const char *why = NULL;
	char out[16384];

	detail[0] = '\0';
	err.msg[0] = '\0';
	if ((in = kiln_test_slurp(path, &n)) == NULL) {
		why = "cannot read the file";
		goto out;
	}
	if (kiln_wasm_read(in, n, path, &m, &err) != KILN_OK) {
		why = "read";
		goto out;
	}
	if (kiln_wasm_write(m, &w1, &n1, &err) != KILN_OK) {
		why = "write";
		goto out;
	}
	if (kiln_wasm_read(w1, n1, "written", &m2, &err) != KILN_OK) {
		why = "read back";
		goto out;
	}
	if (!kiln_wasm_compare(m, m2, detail, dlen)) {
		why = "round trip changed the module";
		goto out;
	}
	if (kiln_wasm_write(m2, &w2, &n2, &err) != KILN_OK || n1 != n2 ||
	    memcmp(w1, w2, n1) != 0) {
		why = "second write differs from the first";
		goto out;
	}
	if (n1 == n && memcmp(in, w1, n) == 0)
		canonical++;
	if (kiln_fuel_instrument(m2, &err) != KILN_OK) {
		why = "fuel pass";
		goto out;
	}
	if (kiln_wasm_write(m2, &f1, &nf1, &err) != KILN_OK) {
		why = "write instrumented";
		goto out;
	}
	if (kiln_wasm_read(f1, nf1, "instrumented", &m3, &err) != KILN_OK) {
		why = "read instrumented";
		goto out;
	}
	if (!kiln_wasm_compare(m2, m3, detail, dlen)) {
		why = "instrumented module changed on a round trip";
		goto out;
	}
	if (kiln_wasm_write(m3, &f2, &nf2, &err) != KILN_OK || nf1 != nf2 ||
	    memcmp(f1, f2, nf1) != 0) {
		why = "instrumented module re-encodes differently";
		goto out;
	}
	snprintf(out, sizeof out, "%s/%s", outdir,
		 strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path);
	if (write_file(out, f1, nf1) != 0) {
		why = "cannot write the instrumented module";
		goto out;
	}
	if (run_validate(out) != 0) {
		snprintf(detail, dlen, "%.200s", out);
		why = "wasm-validate rejects the instrumented module";
		goto out;
	}
	validated++;
out:
	if (why != NULL && detail[0] == '\0')
		snprintf(detail, dlen, "%s", err.msg);
	kiln_wasm_free(m);
	kiln_wasm_free(m2);
	kiln_wasm_free(m3);
	free(in);
	free(w1);
	free(w2);
	free(f1);
	free(f2);
	return why;
}

static void check_rejected(const char *path, const char *what)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	size_t n = 0;
	uint8_t *in = kiln_test_slurp(path, &n);
	int rc;
	if (in == NULL) {
		fail_case(path, "cannot read the file", NULL);
		return;
	}
	rc = kiln_wasm_read(in, n, path, &m, &err);
	free(in);
	if (rc == KILN_OK) {
		kiln_wasm_free(m);
		fail_case(path, what, "accepted");
	} else if (rc == KILN_ENOMEM || strstr(err.msg, "offset 0x") == NULL) {
		fail_case(path, what, err.msg);
	} else {
		passed++;
		malformed_rejected++;
	}
}

static void check_simd(const char *path)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	size_t n = 0;
	uint8_t *in = kiln_test_slurp(path, &n);
	int rc;
	if (in == NULL) {
		fail_case(path, "cannot read the file", NULL);
		return;
	}
	rc = kiln_wasm_read(in, n, path, &m, &err);
	free(in);
	kiln_wasm_free(m);
	if (rc == KILN_OK) {
		passed++;
		simd_accepted++;
	} else if (rc == KILN_EUNSUPPORTED && strstr(err.msg, "SIMD") != NULL &&
		   strstr(err.msg, "wasm2c 1.0.32") != NULL) {
		passed++;
		simd_refused++;
	} else {
		fail_case(path, "neither accepted nor refused as SIMD", err.msg);
	}
}

static void run_json(const char *json, const char *outdir, bool simd)
{
	json_error_t jerr;
	json_t *root = json_load_file(json, JSON_ALLOW_NUL, &jerr), *cmds;
	char dir[4096], path[8192], detail[256];
	const char *base = strrchr(json, '/') ? strrchr(json, '/') + 1 : json;
	size_t i;

	if (root == NULL || !json_is_array(cmds = json_object_get(root, "commands"))) {
		fail_case(json, "cannot parse the JSON", jerr.text);
		json_decref(root);
		return;
	}
	snprintf(dir, sizeof dir, "%.*s", base > json ? (int)(base - json - 1) : 1,
		 base > json ? json : ".");
	for (i = 0; i < json_array_size(cmds); i++) {
		json_t *c = json_array_get(cmds, i);
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *file = json_string_value(json_object_get(c, "filename"));
		const char *mtype = json_string_value(json_object_get(c, "module_type"));
		json_int_t line = json_integer_value(json_object_get(c, "line"));
		if (type == NULL || file == NULL)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, file);
		if (strcmp(type, "module") == 0) {
			if (simd) {
				check_simd(path);
				continue;
			}
			const char *why = check_valid(path, outdir, detail, sizeof detail);
			if (why == NULL)
				passed++;
			else
				fail_case(path, why, detail);
		} else if (!simd && strcmp(type, "assert_malformed") == 0 && mtype != NULL &&
			   strcmp(mtype, "binary") == 0) {
			check_rejected(path, "malformed module");
		} else if (!simd && strcmp(type, "assert_invalid") == 0 &&
			   ((strcmp(base, "data.json") == 0 && line == 400) ||
			    (strcmp(base, "elem.json") == 0 && line == 372))) {
			check_rejected(path, "empty offset expression");
		}
	}
	json_decref(root);
}

int main(int argc, char **argv)
{
	const char *outdir = NULL;
	bool simd = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			outdir = argv[++i];
		else if (strcmp(argv[i], "--simd") == 0)
			simd = true;
		else if (strcmp(argv[i], "--core") == 0)
			simd = false;
		else if (outdir == NULL)
			break;
		else
			run_json(argv[i], outdir, simd);
	}
	if (outdir == NULL) {
		fprintf(stderr, "usage: kiln-wasm-spec --out DIR [--core] JSON... [--simd JSON...]\n");
		return 2;
	}
	printf("valid modules: %u instrumented and accepted by wasm-validate, %u already "
	       "canonical (byte-identical after a round trip)\n",
	       validated, canonical);
	printf("malformed or empty-offset modules rejected: %u\n", malformed_rejected);
	printf("SIMD suite modules: %u refused as SIMD, %u accepted (no SIMD in them)\n",
	       simd_refused, simd_accepted);
	printf("wasm-spec: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
