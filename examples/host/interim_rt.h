/*
 * interim_rt.h — the few runtime calls the example host and the end-to-end
 * test hosts need, implemented over WABT's wasm-rt-impl until libkiln-rt
 * lands.  Everything here goes through the kiln_module_desc of kiln_abi.h,
 * so switching to libkiln-rt replaces this file and interim_rt.c only.
 *
 * Not thread-safe (WABT's runtime keeps one global jmp_buf) and it treats
 * every SIGSEGV as a wasm trap: exactly why kiln has its own runtime.
 */
#ifndef INTERIM_RT_H
#define INTERIM_RT_H

#include <stdint.h>

#include "kiln_abi.h"

struct interim_instance;

/** Set up the runtime once per process.  Returns 0. */
int interim_init(void);

/** Instantiate @desc; NULL on failure (message on stderr). */
struct interim_instance *interim_instantiate(const struct kiln_module_desc *desc);

/** Free an instance; NULL is a no-op. */
void interim_free(struct interim_instance *inst);

/** The export named @name, or NULL (binary search: exports are sorted). */
const struct kiln_export_desc *interim_export(const struct interim_instance *inst,
					      const char *name);

/**
 * Call exported function @e with @args (e->nparams) into @results
 * (e->nresults).  Returns 0, or -1 after a trap with *@trap set to a static
 * description ("fuel exhausted", "out of bounds memory access", ...).
 */
int interim_call(struct interim_instance *inst, const struct kiln_export_desc *e,
		 const union kiln_raw *args, union kiln_raw *results, const char **trap);

/** The fuel counter (NULL when compiled with --no-fuel). */
uint64_t *interim_fuel(struct interim_instance *inst);

/** Linear memory 0: base and size in bytes (NULL/0 when there is none). */
uint8_t *interim_memory(struct interim_instance *inst, uint64_t *size);

#endif
