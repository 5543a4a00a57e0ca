#!/bin/sh
# tests/bench/compile.sh OUT WASM... — time `kiln compile` and weigh its
# objects, with and without fuel, with gcc and clang, for each module
# (largest first).  Prints one line per module, mode and compiler: bytes of
# wasm and of its code section, the best wall time of $REPEAT runs (3), and
# the object's text+data+bss (size(1)) and file size.
set -eu
KILN=${KILN:-bin/kiln}
OUT=$1
shift
rm -rf "$OUT"
mkdir -p "$OUT"
now() { date +%s.%N; }
REPEAT=${REPEAT:-3}
printf '%-22s %10s %10s %-5s %-6s %8s %10s %10s\n' module wasm code fuel cc seconds text+data object
for w in $(ls -S "$@"); do
	n=$(basename "$w" .wasm)
	for cc in ${BENCH_CCS:-gcc clang}; do
		for mode in on off; do
			flag=
			[ $mode = off ] && flag=--no-fuel
			o=$OUT/$n-$cc-$mode.o
			best=
			i=0
			while [ $i -lt "$REPEAT" ]; do
				t0=$(now)
				"$KILN" compile "$w" -o "$o" --name bench --cc "$cc" $flag \
					--allow-unknown-imports
				t1=$(now)
				best=$(awk "BEGIN { t = $t1 - $t0; b = \"$best\"; print (b == \"\" || t < b) ? t : b }")
				i=$((i + 1))
			done
			sz=$(size "$o" | awk 'NR == 2 { print $1 + $2 + $3 }')
			code=$(($(wasm-objdump -h "$w" | sed -n 's/^ *Code .*(size=\(0x[0-9a-f]*\)).*/\1/p')))
			printf '%-22s %10s %10s %-5s %-6s %8.2f %10s %10s\n' "$n" "$(stat -c %s "$w")" "$code" \
				$mode $cc "$best" "$sz" "$(stat -c %s "$o")"
		done
	done
done
