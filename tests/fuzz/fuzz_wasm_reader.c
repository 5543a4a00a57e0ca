/*
 * libFuzzer harness for the wasm reader, writer and passes.  Any input the
 * reader accepts must survive
 *
 *     read -> write -> read            (structurally identical)
 *     fuel pass -> write -> read       (identical to the instrumented module,
 *                                       and re-encoding gives the same bytes)
 *     memory cap -> write -> read      (identical again)
 *
 * and any input it refuses must be refused with a message naming the input.
 * A broken round trip aborts, which libFuzzer reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_compiler.h"
#include "wasm_impl.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_wasm_reader: %s: %s\n", what, detail);
	abort();
}

/* write @m, read it back, compare; returns the encoding (caller frees). */
static uint8_t *round_trip(const struct kiln_wasm_module *m, size_t *len, const char *stage)
{
	struct kiln_wasm_module *back = NULL;
	struct kiln_err err;
	uint8_t *out = NULL, *again = NULL;
	size_t n2 = 0;
	char where[160];

	if (kiln_wasm_write(m, &out, len, &err) != KILN_OK)
		die(stage, err.msg);
	if (kiln_wasm_read(out, *len, "rewritten", &back, &err) != KILN_OK)
		die(stage, err.msg);
	if (!kiln_wasm_compare(m, back, where, sizeof where))
		die(stage, where);
	if (kiln_wasm_write(back, &again, &n2, &err) != KILN_OK)
		die(stage, err.msg);
	if (n2 != *len || memcmp(out, again, n2) != 0)
		die(stage, "second encoding differs");
	free(again);
	kiln_wasm_free(back);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	uint8_t *out;
	size_t len = 0;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (kiln_wasm_read(data, size, "fuzz.wasm", &m, &err) != KILN_OK) {
		if (strncmp(err.msg, "fuzz.wasm: ", 11) != 0)
			die("error message without the input name", err.msg);
		return 0;
	}
	free(round_trip(m, &len, "plain round trip"));
	if (kiln_fuel_instrument(m, &err) == KILN_OK) {
		out = round_trip(m, &len, "fuel round trip");
		free(out);
	}
	if (kiln_memcap_apply(m, 16u << 20, &err) == KILN_OK)
		free(round_trip(m, &len, "memcap round trip"));
	kiln_wasm_free(m);
	return 0;
}
