/*
 * cli_compile.c — `kiln compile`: turn one .wasm into a native object
 * (see compile.c for the pipeline).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "driver_impl.h"

static void usage(FILE *out)
{
	fputs("usage: kiln compile EXT.wasm -o EXT.o --name NAME [OPTIONS]\n"
	      "\n"
	      "Compile a wasm32-wasip1 core module into a native object that defines\n"
	      "kiln_module_NAME (see kiln_abi.h) and carries a .kiln.meta section.\n"
	      "\n"
	      "options:\n"
	      "  -o FILE                    the object to write (required)\n"
	      "  --name NAME                C identifier naming the module (required)\n"
	      "  --max-memory SIZE          cap linear memory: bytes, or with KiB, MiB, GiB\n"
	      "  --no-fuel                  do not count instructions (measurement only)\n"
	      "  --cc CC                    C compiler: gcc, clang or a path (default $CC or cc)\n"
	      "  -O LEVEL                   optimisation level 0, 1, 2, 3 or s (default 2)\n"
	      "  --keep-temps DIR           keep the instrumented wasm, wasm2c output and\n"
	      "                             glue in DIR\n"
	      "  --allow-unknown-imports    accept imports the host world does not provide\n"
	      "  -v, --verbose              show each step and the commands run\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "environment: KILN_WASM2C (wasm2c to run), KILN_INCLUDE (directory of\n"
	      "kiln_abi.h), CC, TMPDIR.  See kiln-compile(1).\n",
	      out);
}

int kiln_cmd_compile(int argc, char **argv)
{
	enum { O_NAME = 256, O_MAXMEM, O_NOFUEL, O_CC, O_KEEP, O_ALLOW };
	static const struct option longopts[] = {
		{"name", required_argument, NULL, O_NAME},
		{"max-memory", required_argument, NULL, O_MAXMEM},
		{"no-fuel", no_argument, NULL, O_NOFUEL},
		{"cc", required_argument, NULL, O_CC},
		{"keep-temps", required_argument, NULL, O_KEEP},
		{"allow-unknown-imports", no_argument, NULL, O_ALLOW},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kiln_compile_opts o;
	struct kiln_err err = {0, ""};
	const char *max_memory = NULL;
	int ch;

	memset(&o, 0, sizeof o);
	opterr = 0;
	optind = 0; /* full re-initialisation (glibc) */
	while ((ch = getopt_long(argc, argv, ":o:O:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o.output = optarg; break;
		case 'O': o.opt_level = optarg; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case O_NAME: o.name = optarg; break;
		case O_MAXMEM: max_memory = optarg; break;
		case O_NOFUEL: o.no_fuel = true; break;
		case O_CC: o.cc = optarg; break;
		case O_KEEP: o.keep_temps = optarg; break;
		case O_ALLOW: o.allow_unknown_imports = true; break;
		case ':':
			kiln_cli_fail("compile: option %s needs a value", argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			kiln_cli_fail("compile: unknown option %s", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		kiln_cli_fail("compile: expected one input file, got %d", argc - optind);
		usage(stderr);
		return 2;
	}
	o.input = argv[optind];
	if (o.output == NULL)
		return kiln_cli_fail("compile: %s: no output file given (-o FILE)", o.input);
	if (o.name == NULL)
		return kiln_cli_fail("compile: %s: no module name given (--name NAME)", o.input);
	if (max_memory != NULL && kiln_parse_size(max_memory, &o.max_memory, &err) != KILN_OK)
		return kiln_cli_fail("compile: --max-memory: %s", err.msg);

	kiln_compile_cleanup_on_signals();
	if (kiln_compile_diag(&o, stderr, &err) != KILN_OK) {
		kiln_sanitize(err.msg); /* it may quote the module's names */
		return kiln_cli_fail("%s", err.msg);
	}
	return 0;
}
