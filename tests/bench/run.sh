#!/bin/sh
# run.sh OUT WASM... — `make bench`: run every benchmark and report.
#
# Runs, with each compiler of BENCH_CCS: the workloads (vs-native-CC and
# vs-native-CC-L for each code layout L of LAYOUTS, BENCH_RUNS runs each),
# the micro-benchmarks (kiln-bench-CC); then kiln
# compile's time and sizes on WASM... (compile.sh), the fuel pass on small
# kernels (FUEL_RUN --bench) and the WASI layer's hot calls (WASI_BENCH).
# Every record goes to OUT/records.tsv; report.awk makes of them the
# Markdown report (stdout, and OUT/report.md), OUT/results.json and, with
# gnuplot, OUT/ratios.png.  Progress goes to stderr.
#
# Environment: BENCH_CCS, BENCH_RUNS, LAYOUTS, BIN (directory of vs-native-CC and
# kiln-bench-CC), KILN, FUEL_RUN, WASI_BENCH.
set -eu
OUT=$1
shift
mkdir -p "$OUT"
rec=$OUT/records.tsv
: >"$rec"
here=$(dirname "$0")
step() { echo "bench: $*" >&2; }
start=$(date +%s)

for cc in $BENCH_CCS; do
	for l in 0 ${LAYOUTS:-}; do
		prog=$BIN/vs-native-$cc
		[ "$l" = 0 ] || prog=$prog-$l
		step "workloads, $cc, code layout $l: $BENCH_RUNS runs of native, kiln, kiln --no-fuel"
		"$prog" "$cc" --runs "$BENCH_RUNS" --layout "$l" >>"$rec"
	done
done
for cc in $BENCH_CCS; do
	step "micro-benchmarks, $cc"
	"$BIN/kiln-bench-$cc" "$cc" >>"$rec"
done
step "kiln compile time and object size"
BENCH_CCS="$BENCH_CCS" KILN=$KILN sh "$here/compile.sh" "$OUT/compile" "$@" >>"$rec"
step "fuel pass on small kernels; WASI hot calls"
"$FUEL_RUN" --bench >"$OUT/fuel.txt"
"$WASI_BENCH" >"$OUT/wasi.txt"

{
	awk -v out=markdown -f "$here/report.awk" "$rec"
	printf '\n## The fuel pass on small kernels (tests/fuel, libkiln-rt)\n\n```\n'
	cat "$OUT/fuel.txt"
	printf '```\n\n## WASI hot calls, without wasm (wasi-bench)\n\n```\n'
	cat "$OUT/wasi.txt"
	printf '```\n'
} >"$OUT/report.md"
awk -v out=json -f "$here/report.awk" "$rec" >"$OUT/results.json"
awk -v out=plot -f "$here/report.awk" "$rec" >"$OUT/ratios.dat"
gnuplot -e "data='$OUT/ratios.dat'; out='$OUT/ratios.png'; ccs='$BENCH_CCS'" "$here/ratios.gp"
cat "$OUT/report.md"
printf '\nresults: %s/results.json, chart: %s/ratios.png, records: %s (%d s)\n' \
	"$OUT" "$OUT" "$rec" $(($(date +%s) - start))
