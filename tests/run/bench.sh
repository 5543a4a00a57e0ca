#!/bin/sh
# tests/run/bench.sh OUT WASM... — `make bench`: wall time of `kiln run`
# for each module, cold (empty cache: compile + link + run) and warm (both
# cached: hash the module, exec the runner, run), best of $REPEAT (3).
# Each module must exit 0 with no arguments and no grants.
set -eu
KILN=${KILN:-bin/kiln}
OUT=$1
shift
case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac # XDG_CACHE_HOME must be absolute
REPEAT=${REPEAT:-3}
now() { date +%s.%N; }
best() { awk "BEGIN { t = $2 - $1; b = \"$3\"; print (b == \"\" || t < b) ? t : b }"; }
printf '%-34s %10s %10s %10s\n' module bytes cold-s warm-ms
for w in "$@"; do
	cold= warm=
	i=0
	while [ $i -lt "$REPEAT" ]; do
		rm -rf "$OUT/cache"
		t0=$(now)
		XDG_CACHE_HOME=$OUT/cache "$KILN" run "$w" </dev/null >/dev/null
		t1=$(now)
		cold=$(best "$t0" "$t1" "$cold")
		t0=$(now)
		XDG_CACHE_HOME=$OUT/cache "$KILN" run "$w" </dev/null >/dev/null
		t1=$(now)
		warm=$(best "$t0" "$t1" "$warm")
		i=$((i + 1))
	done
	printf '%-34s %10s %10.2f %10.1f\n' "$(basename "$w")" "$(stat -c %s "$w")" "$cold" \
		"$(awk "BEGIN { print $warm * 1000 }")"
done
rm -rf "$OUT/cache"
