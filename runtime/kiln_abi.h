/*
 * kiln_abi.h — the contract between code that `kiln compile` generates and
 * libkiln-rt.  Included by kiln_rt.h (hosts) and by the glue C file that
 * `kiln compile` writes next to wasm2c's output.  Changing a layout here
 * means bumping KILN_ABI_VERSION: the runtime refuses descriptors of another
 * version rather than misreading them.
 *
 * Every compiled extension object defines exactly one descriptor,
 *
 *     const struct kiln_module_desc kiln_module_<NAME>;
 *
 * where NAME is the `--name` given to `kiln compile` (a C identifier).  The
 * descriptor is read-only data; nothing in it is ever freed.
 */
#ifndef KILN_ABI_H
#define KILN_ABI_H

#include <stddef.h>
#include <stdint.h>

#define KILN_ABI_VERSION 2

/** Name of the exported, mutable i64 fuel global the fuel pass adds. */
#define KILN_FUEL_EXPORT "__kiln_fuel"
/** Import module and functions of the fuel pass: fuel_exhausted ([] -> [])
 * when a counter it reloads is at or below zero (the runtime may bring in
 * fuel, or traps), fuel_trap ([i64] -> [], never returns) when a charge
 * takes the counter below zero, with what is left.  kiln compile turns
 * wasm2c's calls of fuel_trap into calls of kiln_fuel_trap (libkiln-rt),
 * which takes no instance: the runtime finds the call from its thread. */
#define KILN_HOST_MODULE "kiln"
#define KILN_FUEL_EXHAUSTED "fuel_exhausted"
#define KILN_FUEL_TRAP "fuel_trap"

/** WebAssembly value types, as the runtime and generated glue spell them. */
enum kiln_valtype {
	KILN_I32 = 0,
	KILN_I64 = 1,
	KILN_F32 = 2,
	KILN_F64 = 3,
	KILN_FUNCREF = 4,
	KILN_EXTERNREF = 5,
};

/** Same layout as wasm2c's wasm_rt_funcref_t (checked by the runtime). */
struct kiln_funcref {
	uint32_t func_type;
	void (*func)(void);
	void *module_instance;
};

/** One untyped value slot; the type is known from the signature. */
union kiln_raw {
	uint32_t i32;
	uint64_t i64;
	float f32;
	double f64;
	void *externref;
	struct kiln_funcref funcref;
};

enum kiln_extern_kind {
	KILN_EXTERN_FUNC = 0,
	KILN_EXTERN_TABLE = 1,
	KILN_EXTERN_MEMORY = 2,
	KILN_EXTERN_GLOBAL = 3,
};

/**
 * Uniform entry point generated for each exported function: reads
 * args[0..nparams), calls the wasm2c export, writes results[0..nresults).
 * Called only by the runtime, inside its trap boundary.
 */
typedef void (*kiln_trampoline_fn)(void *module_instance,
				   const union kiln_raw *args,
				   union kiln_raw *results);

/**
 * An export.  For functions, `types` holds nparams parameter types then
 * nresults result types (enum kiln_valtype, one byte each) and `call` is set.
 * For globals, nresults is 1, types[0] is the value type, nparams is 1 when
 * the global is mutable, and `get` returns a pointer to the value.  For
 * memories `get` returns the wasm_rt_memory_t *, for tables the
 * wasm_rt_funcref_table_t * or wasm_rt_externref_table_t * (types[0] says
 * which).
 *
 * A wasm name may hold NUL bytes: `name` is then name_len bytes long (plus
 * a terminating NUL).  name_len 0 means strlen(name), so that descriptors
 * written by hand may leave it out.  Exports are sorted by their bytes,
 * shorter first on a common prefix (strcmp order for NUL-free names).
 */
struct kiln_export_desc {
	const char *name;
	enum kiln_extern_kind kind;
	uint32_t nparams;
	uint32_t nresults;
	const uint8_t *types;
	kiln_trampoline_fn call;
	void *(*get)(void *module_instance);
	uint32_t name_len;
};

/** An import, same conventions as kiln_export_desc (no call/get). */
struct kiln_import_desc {
	const char *module;
	const char *name;
	enum kiln_extern_kind kind;
	uint32_t nparams;
	uint32_t nresults;
	const uint8_t *types;
};

/**
 * Everything the runtime needs to instantiate and call one compiled module.
 *
 * import_modules lists the distinct import module names in the order in
 * which instantiate() takes one context pointer each (wasm2c sorts them by
 * name).  exports are sorted by name (byte order, see kiln_export_desc) so
 * that the runtime can binary-search them.  fuel is NULL when the module was compiled with
 * --no-fuel; memory is NULL when the module has no memory (defined or
 * imported) and otherwise returns its wasm_rt_memory_t *.
 */
struct kiln_module_desc {
	uint32_t abi_version;
	const char *name;
	const char *meta_json;
	size_t instance_size;
	void (*init_module)(void);
	void (*instantiate)(void *module_instance, void *const *import_ctx);
	void (*free)(void *module_instance);
	const char *const *import_modules;
	uint32_t nimport_modules;
	const struct kiln_import_desc *imports;
	uint32_t nimports;
	const struct kiln_export_desc *exports;
	uint32_t nexports;
	uint64_t *(*fuel)(void *module_instance);
	void *(*memory)(void *module_instance);
	uint32_t memory_cap_pages;
	uint8_t wasm_sha256[32];
};

#endif /* KILN_ABI_H */
