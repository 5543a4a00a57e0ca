#!/bin/sh
# compile.sh OUT WASM... — time `kiln compile` and weigh its objects, with and
# without fuel, with each compiler of BENCH_CCS (gcc clang), for each module
# (largest first).  The largest module is compiled REPEAT times (5) per
# compiler and mode, the others once.  One tab-separated record per module,
# compiler and mode, for run.sh:
#
#   C COMPILER MODULE FUEL MEDIAN_S MIN_S MAX_S WASM_BYTES CODE_BYTES TEXT+DATA OBJECT_BYTES
set -eu
KILN=${KILN:-bin/kiln}
OUT=$1
shift
rm -rf "$OUT"
mkdir -p "$OUT"
now() { date +%s.%N; }
REPEAT=${REPEAT:-5}
runs=$REPEAT
for w in $(ls -S "$@"); do
	n=$(basename "$w" .wasm)
	code=$(($(wasm-objdump -h "$w" | sed -n 's/^ *Code .*(size=\(0x[0-9a-f]*\)).*/\1/p')))
	for cc in ${BENCH_CCS:-gcc clang}; do
		for mode in on off; do
			flag=
			[ $mode = off ] && flag=--no-fuel
			o=$OUT/$n-$cc-$mode.o
			: >"$OUT/times"
			i=0
			while [ $i -lt $runs ]; do
				t0=$(now)
				"$KILN" compile "$w" -o "$o" --name bench --cc "$cc" $flag \
					--allow-unknown-imports
				t1=$(now)
				echo "$t1 - $t0" | awk '{ printf "%.3f\n", $1 - $3 }' >>"$OUT/times"
				i=$((i + 1))
			done
			sz=$(size "$o" | awk 'NR == 2 { print $1 + $2 + $3 }')
			sort -n "$OUT/times" | awk -v cc="$cc" -v n="$n" -v mode="$mode" \
				-v wasm="$(stat -c %s "$w")" -v code="$code" -v sz="$sz" \
				-v obj="$(stat -c %s "$o")" '
				{ t[NR] = $1 }
				END {
					m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
					printf "C\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%s\t%s\t%s\t%s\n",
						cc, n, mode, m, t[1], t[NR], wasm, code, sz, obj
				}'
		done
	done
	runs=1
done
rm -f "$OUT/times"
