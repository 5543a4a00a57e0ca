#!/bin/sh
# check.sh — `make check`'s test of the benchmarks (suite "bench"): with each
# compiler of BENCH_CCS, every workload of BENCH_NAMES runs once with tiny
# inputs natively and through kiln compile with and without fuel, and the
# three checksums must agree (vs-native exits 1 otherwise, or when a
# workload's own check fails); a perturbed native run must be caught; the
# micro-benchmarks must run (kiln-bench --quick).
# Environment: BENCH_CCS, BENCH_NAMES, BIN (directory of the programs),
# BUILD_LOG (output of building them, shown when one is missing), BUILD_RC
# (make's exit status building them).
SUITE=bench
. tests/lib.sh
# quiet CMD...: CMD without its records (its errors still show).
quiet() { "$@" >/dev/null; }

missing=0
# A program left from an earlier build must not pass for a failed one.
if [ "${BUILD_RC:-0}" != 0 ]; then
	fail "build the benchmark programs" "make exited with status $BUILD_RC"
	missing=1
else
	ok "build the benchmark programs"
fi
for cc in $BENCH_CCS; do
	for p in vs-native kiln-bench; do
		if [ ! -x "$BIN/$p-$cc" ]; then
			fail "build $p-$cc" "not built"
			missing=1
		fi
	done
done
if [ $missing = 1 ] && [ -n "${BUILD_LOG:-}" ]; then
	tail -n 30 "$BUILD_LOG"
fi

for cc in $BENCH_CCS; do
	[ -x "$BIN/vs-native-$cc" ] || continue
	for w in $BENCH_NAMES; do
		check "$cc: $w: native, kiln and kiln --no-fuel agree" \
			quiet "$BIN/vs-native-$cc" "$cc" --quick --runs 1 --only "$w"
	done
	check "$cc: a wrong checksum is caught" \
		expect_fail quiet "$BIN/vs-native-$cc" "$cc" --quick --runs 1 --only sort --perturb
	check "$cc: an unknown workload is refused" \
		expect_fail quiet "$BIN/vs-native-$cc" "$cc" --quick --runs 1 --only nosuch
done
for cc in $BENCH_CCS; do
	[ -x "$BIN/kiln-bench-$cc" ] || continue
	check "$cc: micro-benchmarks run" quiet "$BIN/kiln-bench-$cc" "$cc" --quick
done
finish
