/*
 * libFuzzer harness for the kiln.yaml reader (compiler/config.c).  Any
 * input must either parse, or be refused with KILN_ECONFIG (or KILN_ENOMEM)
 * and a message that starts with the file name and a line:column; parsing
 * must never crash, leak or read out of bounds, and a parsed config must
 * release cleanly.  Relative paths resolve in the current directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"

#define FUZZ_MAX_INPUT (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kiln_config cfg;
	struct kiln_err err = {0, ""};
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	rc = kiln_config_parse((const char *)data, size, "fuzz.yaml", &cfg, &err);
	if (rc != KILN_OK && rc != KILN_ECONFIG && rc != KILN_ENOMEM) {
		fprintf(stderr, "fuzz_config: unexpected status %d: %s\n", rc, err.msg);
		abort();
	}
	if (rc == KILN_ECONFIG && strncmp(err.msg, "fuzz.yaml:", 10) != 0) {
		fprintf(stderr, "fuzz_config: message without a position: %s\n", err.msg);
		abort();
	}
	if (rc == KILN_OK && cfg.version != KILN_CONFIG_VERSION)
		abort();
	kiln_config_release(&cfg);
	return 0;
}
