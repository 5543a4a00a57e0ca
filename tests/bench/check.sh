#!/bin/sh
# check.sh — `make check`'s test of the benchmarks (suite "bench"): with each
# compiler of BENCH_CCS, every workload of BENCH_NAMES runs once with tiny
# inputs natively and through kiln compile with and without fuel, and the
# three checksums must agree (vs-native exits 1 otherwise, or when a
# workload's own check fails); a perturbed native run must be caught; the
# micro-benchmarks must run (kiln-bench --quick); each other code layout of
# vs-native (vs-native-CC-L, L in LAYOUTS) must run one workload and tag its
# runs with its layout.
# Environment: BENCH_CCS, BENCH_NAMES, LAYOUTS, BIN (directory of the programs),
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
	for p in vs-native-$cc kiln-bench-$cc $(for l in ${LAYOUTS:-}; do echo vs-native-$cc-$l; done); do
		if [ ! -x "$BIN/$p" ]; then
			fail "build $p" "not built"
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
# layout_runs CC L: vs-native-CC-L's runs of sort, each tagged with layout L
layout_runs() {
	out=$("$BIN/vs-native-$1-$2" "$1" --quick --runs 2 --only sort --layout "$2") || return 1
	echo "$out" | awk -F '\t' -v l="$2" '$1 == "S" { n++; if ($4 != l) bad++ }
		END { exit !(n == 2 && !bad) }' ||
		{ echo "expected 2 runs tagged with layout $2, got:"; echo "$out"; return 1; }
}
for cc in $BENCH_CCS; do
	for l in ${LAYOUTS:-}; do
		[ -x "$BIN/vs-native-$cc-$l" ] || continue
		check "$cc: layout $l: native, kiln and kiln --no-fuel agree" layout_runs "$cc" "$l"
	done
done
# report_pools: report.awk's figures come from the runs (S records) of
# every layout pooled, not from each process's W summary; each layout gets
# its geometric means.  Two layouts of two runs: native/kiln 0.5, 0.5 and
# 1, 1 (median 0.75), fuel/no-fuel 2, 2 and 1, 1.
report_pools() {
	rec=$(mktemp "${TMPDIR:-/tmp}/kiln-report.XXXXXX") || return 1
	printf 'S\tcc\tw\t0\t%d\t1\t2\t1\n' 1 2 >"$rec"
	printf 'W\tcc\tw\tnative_s\t9\t9\t9\n' >>"$rec"
	printf 'S\tcc\tw\tB\t%d\t1\t1\t1\n' 1 2 >>"$rec"
	md=$(awk -v out=markdown -f tests/bench/report.awk "$rec")
	js=$(awk -v out=json -f tests/bench/report.awk "$rec")
	rm -f "$rec"
	for row in '| w | cc | 1.000 (1.000–1.000) | 1.500 (1.000–2.000) | 1.000 (1.000–1.000) | 0.750 (0.500–1.000) | 1.500 (1.000–2.000) |' \
		'| cc | 0 | 2 | 0.500 | 2.000 |' '| cc | B | 2 | 1.000 | 1.000 |'; do
		echo "$md" | grep -qxF "$row" || { echo "no row $row in:"; echo "$md"; return 1; }
	done
	echo "$js" | grep -qF '"layout": "B", "runs": 2, "native_per_kiln_geomean": 1,' ||
		{ echo "no layout B in:"; echo "$js"; return 1; }
}
check "report.awk pools the runs of every layout" report_pools

for cc in $BENCH_CCS; do
	[ -x "$BIN/kiln-bench-$cc" ] || continue
	check "$cc: micro-benchmarks run" quiet "$BIN/kiln-bench-$cc" "$cc" --quick
done
finish
