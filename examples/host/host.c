/*
 * host.c — an example host with the checksum extension baked in.  It finds
 * the extension's exports through its kiln_module_desc, writes a message
 * into the extension's memory, asks for two checksums and compares them
 * with its own; then it shows the fuel limit stopping a call that is given
 * too small a budget.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "interim_rt.h"

extern const struct kiln_module_desc kiln_module_checksum;

static uint32_t native_adler32(const uint8_t *p, size_t len)
{
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < len; i++) {
		a = (a + p[i]) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

static uint64_t native_fnv1a64(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Call export @name of @inst with one i32 argument. */
static int call1(struct interim_instance *inst, const char *name, uint32_t arg,
		 union kiln_raw *result, const char **trap)
{
	const struct kiln_export_desc *e = interim_export(inst, name);
	union kiln_raw args[1];
	if (e == NULL || e->kind != KILN_EXTERN_FUNC || e->nparams > 1 || e->nresults != 1) {
		fprintf(stderr, "host: %s: no function export \"%s\" of the expected type\n",
			kiln_module_checksum.name, name);
		*trap = "missing export";
		return -1;
	}
	args[0].i32 = arg;
	return interim_call(inst, e, args, result, trap);
}

int main(void)
{
	static const char text[] = "kiln bakes WebAssembly extensions into one native binary.";
	const size_t len = sizeof text - 1;
	struct interim_instance *inst;
	union kiln_raw addr, sum, none[1];
	const char *trap = NULL;
	uint64_t memsize, *fuel;
	uint8_t *mem;
	int status = 1;

	interim_init();
	printf("host: extension \"%s\": %u exports, %u imports, fuel %s\n",
	       kiln_module_checksum.name, kiln_module_checksum.nexports,
	       kiln_module_checksum.nimports, kiln_module_checksum.fuel ? "counted" : "off");
	inst = interim_instantiate(&kiln_module_checksum);
	if (inst == NULL)
		return 1;
	fuel = interim_fuel(inst);
	if (fuel != NULL)
		*fuel = 10 * 1000 * 1000;

	/* a reactor: run its initialiser first */
	if (interim_export(inst, "_initialize") != NULL &&
	    interim_call(inst, interim_export(inst, "_initialize"), NULL, none, &trap) != 0)
		goto trapped;
	if (call1(inst, "buffer", 0, &addr, &trap) != 0)
		goto trapped;
	mem = interim_memory(inst, &memsize);
	if (mem == NULL || (uint64_t)addr.i32 + len > memsize) {
		fprintf(stderr, "host: the buffer lies outside the extension's memory\n");
		goto out;
	}
	memcpy(mem + addr.i32, text, len);
	printf("host: wrote %zu bytes at 0x%x in the extension's memory\n", len, addr.i32);

	if (call1(inst, "adler32", (uint32_t)len, &sum, &trap) != 0)
		goto trapped;
	printf("host: adler32 = %08" PRIx32 " (native %08" PRIx32 ") %s\n", sum.i32,
	       native_adler32((const uint8_t *)text, len),
	       sum.i32 == native_adler32((const uint8_t *)text, len) ? "match" : "MISMATCH");
	if (sum.i32 != native_adler32((const uint8_t *)text, len))
		goto out;
	if (call1(inst, "fnv1a64", (uint32_t)len, &sum, &trap) != 0)
		goto trapped;
	printf("host: fnv1a64 = %016" PRIx64 " (native %016" PRIx64 ") %s\n", sum.i64,
	       native_fnv1a64((const uint8_t *)text, len),
	       sum.i64 == native_fnv1a64((const uint8_t *)text, len) ? "match" : "MISMATCH");
	if (sum.i64 != native_fnv1a64((const uint8_t *)text, len))
		goto out;

	if (fuel != NULL) {
		/* 64 KiB of checksumming with a budget of 1000 instructions */
		*fuel = 1000;
		if (call1(inst, "adler32", 64 * 1024, &sum, &trap) == 0) {
			fprintf(stderr, "host: the call should have run out of fuel\n");
			goto out;
		}
		printf("host: adler32 over 64 KiB with 1000 units of fuel: trapped (%s), "
		       "the host carries on\n", trap);
	}
	status = 0;
	goto out;
trapped:
	fprintf(stderr, "host: unexpected trap: %s\n", trap);
out:
	interim_free(inst);
	printf("host: done (%s)\n", status == 0 ? "ok" : "FAILED");
	return status;
}
