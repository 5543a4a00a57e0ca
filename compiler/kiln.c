/*
 * kiln — the command-line entry point: dispatches to one verb per stage of
 * the pipeline (see cli.h).  Verbs live in compiler/cli_<verb>.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.1.0"
#endif

static int cmd_version(int argc, char **argv);

const struct kiln_verb kiln_verbs[] = {
	{"pull", "fetch and verify an extension into the store", kiln_cmd_pull},
	{"lock", "resolve references and write kiln.lock", kiln_cmd_lock},
	{"compile", "compile a .wasm into a sandboxed native object", kiln_cmd_compile},
	{"run", "run a .wasm under explicit grants (compiled and cached)", kiln_cmd_run},
	{"check-imports", "check a .wasm's imports against the host world", kiln_cmd_check_imports},
	{"inspect", "show the kiln metadata of an object or binary", kiln_cmd_inspect},
	{"bake", "pull and compile kiln.yaml's extensions for a host to link", kiln_cmd_bake},
	{"test", "run one test suite per baked extension", kiln_cmd_test},
	{"verify-binary", "check a host binary against kiln.lock", kiln_cmd_verify_binary},
	{"push", "package a .wasm as an OCI artifact and push it", kiln_cmd_push},
	{"mirror", "copy a verified artifact and its signature", kiln_cmd_mirror},
	{"keygen", "make an Ed25519 signing key pair", kiln_cmd_keygen},
	{"sign", "sign an artifact (cosign simple signing)", kiln_cmd_sign},
	{"verify", "check an artifact's signature", kiln_cmd_verify},
	{"store", "verify the content-addressed store", kiln_cmd_store},
	{"version", "print kiln's version", cmd_version},
	{NULL, NULL, NULL},
};

int kiln_cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("kiln: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void usage(FILE *out)
{
	fputs("usage: kiln VERB [OPTIONS] [ARGS]\n"
	      "\n"
	      "kiln compiles WebAssembly extensions into sandboxed native code.\n"
	      "\n"
	      "verbs:\n",
	      out);
	for (const struct kiln_verb *v = kiln_verbs; v->name != NULL; v++)
		fprintf(out, "  %-14s %s\n", v->name, v->summary);
	fputs("\nRun `kiln VERB --help` for a verb's options.\n", out);
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		puts("usage: kiln version\n\nPrint kiln's version.");
		return 0;
	}
	printf("kiln %s\n", KILN_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv + 1);
	for (const struct kiln_verb *v = kiln_verbs; v->name != NULL; v++)
		if (strcmp(argv[1], v->name) == 0)
			return v->run(argc - 1, argv + 1);
	fprintf(stderr, "kiln: unknown verb '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
