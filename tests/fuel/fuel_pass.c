/*
 * kiln-fuel-pass IN.wasm OUT.wasm — read, run the fuel pass, write.  Lets
 * tests (and measurements) instrument a module before `kiln compile`
 * exists; exits 1 with the reader's or the pass's message on failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kiln_compiler.h"

int main(int argc, char **argv)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	uint8_t *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: kiln-fuel-pass IN.wasm OUT.wasm\n");
		return 2;
	}
	if (kiln_wasm_read_file(argv[1], &m, &err) != KILN_OK ||
	    kiln_fuel_instrument(m, &err) != KILN_OK || kiln_wasm_write(m, &out, &len, &err) != KILN_OK) {
		fprintf(stderr, "kiln-fuel-pass: %s\n", err.msg);
		goto out;
	}
	f = fopen(argv[2], "wb");
	if (f == NULL || fwrite(out, 1, len, f) != len || fclose(f) != 0) {
		perror(argv[2]);
		goto out;
	}
	rc = 0;
out:
	free(out);
	kiln_wasm_free(m);
	return rc;
}
