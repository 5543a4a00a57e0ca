/*
 * unit.h — the list of CUnit suites.  Each module's tests live in
 * tests/unit/<module>_test.c and define `void kiln_test_<module>(void)`,
 * which adds one suite with CU_add_suite/CU_add_test.  Add a line to
 * KILN_UNIT_SUITES for a new module.
 */
#ifndef KILN_UNIT_H
#define KILN_UNIT_H

#include <CUnit/CUnit.h>

#define KILN_UNIT_SUITES \
	X(status) \
	X(oci_ref) \
	X(oci_manifest) \
	X(oci_sign) \
	X(oci_lock) \
	X(oci_store) \
	X(args) \
	X(compile) \
	X(run_args) \
	X(config) \
	X(glue) \
	X(host_world) \
	X(inspect) \
	X(bake_gen) \
	X(mangle) \
	X(wasm_reader) \
	X(wasm_writer) \
	X(fuel) \
	X(membase) \
	X(charge) \
	X(fpconst) \
	X(inline_hint) \
	X(memcap) \
	X(wasi_args) \
	X(wasi_stdio) \
	X(wasi_fd) \
	X(wasi_fs) \
	X(wasi_contain) \
	X(wasi_bounds) \
	X(wasi_clock) \
	X(wasi_misc) \
	X(wasi_state) \
	X(wasi_wire) \
	X(runtime) \
	X(trap) \
	X(rt_fuel) \
	X(registry) \
	X(deadline) \
	X(memory) \
	X(threads) \
	X(hostapi) \
	X(testgen)

#define X(n) void kiln_test_##n(void);
KILN_UNIT_SUITES
#undef X

/* Path of ../shared/testdata as seen from the repository root. */
#define KILN_TESTDATA "../shared/testdata"

#endif
