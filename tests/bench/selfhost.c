/*
 * selfhost.c — kiln's own wasm reader, writer and passes built as a
 * wasm32-wasi program: a real module of some size for tests/bench/compile.sh.
 * Usage (under a WASI runtime): selfhost FILE.wasm — prints the size of the
 * fuel-instrumented module.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kiln_compiler.h"

int main(int argc, char **argv)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err = {0, ""};
	uint8_t *out = NULL;
	size_t len = 0;
	int status = 1;

	if (argc != 2) {
		fputs("usage: selfhost FILE.wasm\n", stderr);
		return 2;
	}
	if (kiln_wasm_read_file(argv[1], &m, &err) != KILN_OK ||
	    kiln_fuel_instrument(m, &err) != KILN_OK ||
	    kiln_memcap_apply(m, 16u << 20, &err) != KILN_OK ||
	    kiln_wasm_write(m, &out, &len, &err) != KILN_OK) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	printf("%zu\n", len);
	status = 0;
out:
	free(out);
	kiln_wasm_free(m);
	return status;
}
