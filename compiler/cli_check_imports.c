/*
 * cli_check_imports.c — `kiln check-imports`: list a module's imports and
 * mark those the host world does not provide.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "driver_impl.h"

static void usage(FILE *out)
{
	fputs("usage: kiln check-imports EXT.wasm\n"
	      "\n"
	      "List the imports of a WebAssembly module, each marked \"ok\" when the host\n"
	      "world (wasi_snapshot_preview1 and the kiln host module) provides it with\n"
	      "the same kind and signature, or \"MISSING\" with the reason.  Exits 1 when\n"
	      "any import is missing.  See kiln-check-imports(1).\n",
	      out);
}

int kiln_cmd_check_imports(int argc, char **argv)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_import_report r = {NULL, 0, 0};
	struct kiln_err err = {0, ""};
	char sig[256], mod[256], name[256];
	int status = 1;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		kiln_cli_fail("check-imports: expected one .wasm file");
		usage(stderr);
		return 2;
	}
	if (kiln_wasm_read_file(argv[1], &m, &err) != KILN_OK ||
	    kiln_imports_check(m, &r, &err) != KILN_OK) {
		kiln_sanitize(err.msg); /* it may quote the module's names */
		kiln_cli_fail("%s", err.msg);
		goto out;
	}
	printf("%s: %u import%s, %u not provided by the host world\n", argv[1], r.count,
	       r.count == 1 ? "" : "s", r.unprovided);
	for (uint32_t i = 0; i < r.count; i++) {
		const struct kiln_import_status *s = &r.items[i];
		kiln_import_type_format(m, &m->imports[i], sig, sizeof sig);
		kiln_escape((const uint8_t *)s->module, strlen(s->module), mod, sizeof mod);
		kiln_escape((const uint8_t *)s->name, strlen(s->name), name, sizeof name);
		printf("  %-7s %-6s %s.%s  %s\n", s->provided ? "ok" : "MISSING",
		       kiln_kind_name(s->kind), mod, name, sig);
		if (!s->provided)
			printf("          %s\n", s->reason);
	}
	status = r.unprovided ? 1 : 0;
out:
	kiln_import_report_release(&r);
	kiln_wasm_free(m);
	return status;
}
