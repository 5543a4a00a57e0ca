/*
 * spec_runner.h — what a spec runner's generated part (gen.c, written by
 * kiln-spec-gen for one .wast file) and its fixed part (spec_runner.c)
 * share.  A runner is gen.o + spec_runner.o + the file's module objects +
 * libkiln-rt.
 */
#ifndef KILN_SPEC_RUNNER_H
#define KILN_SPEC_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include <wasm-rt.h>

#include "kiln_rt.h"

/* One module file of the .wast file and its compiled descriptor (NULL when
 * `kiln compile` failed: the object is missing and the symbol is weak). */
struct spec_module {
	const char *file; /* "NAME.N.wasm", as the JSON names it */
	const struct kiln_module_desc *desc;
	const char *key;  /* cache key: the object is <cache>/<key>.o */
};

extern const char spec_file[];         /* "NAME" */
extern const unsigned spec_expected;   /* counted assertions in the file */
extern const struct spec_module spec_modules[];
extern const size_t spec_nmodules;

/* Imports from registered modules: module, name, kind and type, in the
 * order of the adapters' indices (the import descriptors' conventions). */
extern const struct kiln_import_desc spec_imports[];
extern const size_t spec_nimports;

/* The context of an import module other than "spectest": a registration. */
struct spec_link;

/* What the adapters call: import @index of the file, through @link, with
 * its arguments and results as raw values.  Run inside the calling
 * instance's trap boundary. */
void spec_link_call(struct spec_link *link, size_t index, const union kiln_raw *args,
		    union kiln_raw *results);
/* The global's value, the wasm_rt_memory_t or the table of import @index. */
void *spec_link_get(struct spec_link *link, size_t index);

#endif
