#!/bin/sh
# bench.sh "MAKE -C examples ..." RT_LIB — make bench-examples: the time of
# a cold bake of the four examples (no cached object) and of a warm one
# (everything cached), and the example host's size with the extensions and
# without them (the same host.c linked with libkiln-rt alone).  Numbers
# only; nothing is asserted.
set -eu
make_examples=$1
rt_lib=$2
$make_examples all >/dev/null
kiln=bin/kiln
bake() {
	"$kiln" bake -f examples/kiln.yaml -o build/demo/kiln --store build/demo/store \
		--lock build/demo/kiln.lock --locked >/dev/null
}
now() { date +%s.%N; }
rm -rf build/demo/kiln build/demo/store/objects
t0=$(now); bake; t1=$(now); bake; t2=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v j="$(nproc)" 'BEGIN {
	printf "examples: cold bake (4 extensions, %d CPUs): %.2f s\n", j, b - a
	printf "examples: warm bake (all cached):         %.3f s\n", c - b }'
$make_examples all >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Iruntime -o "$tmp/bare" examples/host/host.c "$rt_lib" \
	-lsodium -lpthread -lm
strip -o "$tmp/with.stripped" build/demo/host
strip -o "$tmp/bare.stripped" "$tmp/bare"
size() { stat -c %s "$1"; }
printf 'examples: host with the 4 extensions: %8d bytes (%d stripped)\n' \
	"$(size build/demo/host)" "$(size "$tmp/with.stripped")"
printf 'examples: host without extensions:    %8d bytes (%d stripped)\n' \
	"$(size "$tmp/bare")" "$(size "$tmp/bare.stripped")"
