/*
 * kiln_compiler.h — the public interface of the compiler part: the wasm
 * module form and its reader/writer (kiln_wasm.h), the rewriting passes,
 * the import check, and the compile driver behind `kiln compile`.
 */
#ifndef KILN_COMPILER_H
#define KILN_COMPILER_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln_abi.h"
#include "kiln_status.h"
#include "kiln_wasm.h"

/**
 * Fuel pass.  Adds one mutable i64 global, exported as KILN_FUEL_EXPORT
 * ("__kiln_fuel") and initialised to 0, and the function imports
 * KILN_HOST_MODULE.KILN_FUEL_EXHAUSTED ("kiln"."fuel_exhausted", [] -> [])
 * and KILN_HOST_MODULE.KILN_FUEL_TRAP ("kiln"."fuel_trap", [i64] -> []),
 * renumbering every function index that follows the imports (calls,
 * ref.func, element segments, exports, start, the "name" section).
 *
 * Each function entry and each loop header is charged with the static cost
 * of the code it heads: every instruction belongs to its innermost
 * enclosing loop (or to the function body) and is paid for at that loop's
 * header (or at function entry); a charge is at least 1.  So every call and
 * every loop iteration costs at least 1, and straight-line code costs
 * exactly its instruction count.  A loop whose trip count is fixed when it
 * is entered (kiln_fuel_loops in wasm_impl.h: an induction variable
 * stepped by a constant, no other way out or back) is paid for before it
 * starts, by the same total: trips x its cost, added to the enclosing
 * charge when the count is a constant, computed at entry when the bound
 * is a local.  A budget that cannot pay for the whole loop traps there.
 * A small innermost loop that calls nothing is unrolled into 2 or 4 copies
 * under one charge, which pays for all of them: such a loop may be
 * charged up to 3 iterations more than it ran.  A loop whose every
 * iteration calls a defined function passes its cost to that call, whose
 * entry charge checks it.
 *
 * The code counts in registers: every defined function takes the counter
 * as an extra last i64 parameter and returns what is left as an extra last
 * i64 result.  A charge that takes it below zero calls fuel_trap (which
 * never returns).  The global holds the counter whenever control is outside
 * the module's code: functions named from outside (exports, start,
 * elements, ref.func) get wrappers of their original type that load and
 * store it, calls of imports and call_indirect store it before and reload
 * it after, and both call fuel_exhausted when it is at or below zero (the
 * runtime may bring fuel in, or trap).  See instrument_fuel.c.
 *
 * Fails with KILN_EINVALID if the module already exports KILN_FUEL_EXPORT
 * or imports one of the two functions with another type, KILN_ELIMIT when a
 * function has no room for the extra parameter or result.  @m is modified
 * in place; on failure it is left unchanged.
 */
int kiln_fuel_instrument(struct kiln_wasm_module *m, struct kiln_err *err)
	__attribute__((warn_unused_result));

/**
 * Memory cap pass.  Clamps the maximum of every memory (defined, and
 * imported) to @cap_bytes (rounded down to 64 KiB pages), so memory.grow past
 * the cap returns -1.  A memory whose initial size exceeds the cap is refused
 * with KILN_EMEMCAP naming the memory, its initial size and the cap.
 */
int kiln_memcap_apply(struct kiln_wasm_module *m, uint64_t cap_bytes, struct kiln_err *err)
	__attribute__((warn_unused_result));

/** One import and whether the host world provides it. */
struct kiln_import_status {
	char *module;       /* NUL-terminated copies, owned by the report */
	char *name;
	enum kiln_wasm_kind kind;
	bool provided;
	char *reason;       /* when not provided: why (owned), else NULL */
};

struct kiln_import_report {
	struct kiln_import_status *items;
	uint32_t count;
	uint32_t unprovided;
};

/**
 * Check each import of @m against the host world (for now the
 * wasi_snapshot_preview1 functions and the `kiln` host module, with their
 * signatures).  Fills @report (caller-owned struct; release its contents
 * with kiln_import_report_release).  Returns KILN_OK even when imports are
 * unprovided: look at report->unprovided.
 */
int kiln_imports_check(const struct kiln_wasm_module *m, struct kiln_import_report *report,
		       struct kiln_err *err) __attribute__((warn_unused_result));

/** Release what kiln_imports_check put in @report. */
void kiln_import_report_release(struct kiln_import_report *report);

/** Options of `kiln compile`; zero-initialise, then set what you need. */
struct kiln_compile_opts {
	const char *input;          /* path of the .wasm */
	const char *output;         /* path of the .o to write */
	const char *name;           /* C identifier; kiln_module_<name> */
	uint64_t max_memory;        /* bytes; 0 = no cap */
	bool no_fuel;               /* measurement only */
	bool allow_unknown_imports;
	const char *cc;             /* "gcc", "clang" or a path; NULL = $CC or cc */
	const char *opt_level;      /* "2" by default ("0".."3", "s") */
	const char *keep_temps;     /* directory to keep temporaries in, or NULL */
	const char *wasm2c;         /* NULL = $KILN_WASM2C or "wasm2c" on PATH */
	bool verbose;
};

/**
 * The whole `kiln compile` pipeline: read -> check features and imports ->
 * fuel and memory-cap passes -> wasm2c -> glue generation (the
 * kiln_module_desc of kiln_abi.h and the .kiln.meta section) -> cc.
 * Temporaries live in a private directory removed before returning; the
 * output is written to a temporary name and renamed only when complete, so
 * on any failure no output file is left behind.  Errors name the input.
 */
int kiln_compile(const struct kiln_compile_opts *opts, struct kiln_err *err)
	__attribute__((warn_unused_result));

#endif /* KILN_COMPILER_H */
