#!/bin/sh
# tests/oci/throughput.sh — how fast `kiln pull` brings a 100 MiB blob
# from a local docker-registry into an empty store (download, SHA-256 while
# streaming, fsync, rename).  For `make bench`, not for `make check`.
#
#   KILN=bin/kiln OCI_BIN=build/bin/default sh tests/oci/throughput.sh [RUNS]
#
# Prints one line per run and a last line "oci-pull-100MiB: N MiB/s" with
# the median.
set -u
KILN=$(realpath "${KILN:-bin/kiln}")
OCI_BIN=$(realpath "${OCI_BIN:-build/bin/default}")
RUNS=${1:-3}
MIB=100
SUITE=throughput
. tests/lib.sh
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
T=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-XXXXXX") || exit 1
trap oci_cleanup EXIT
trap 'exit 1' INT TERM

start_registry bench || exit 1
mkwasm "$T/big.wasm" $((MIB * 1024 * 1024))
"$KILN" push --store "$T/push-store" "$T/big.wasm" "$REG/bench/big:1" >"$T/push.out" 2>&1 ||
	{ cat "$T/push.out"; exit 1; }
size=$(stat -c %s "$T/big.wasm")
rates=""
for i in $(seq 1 "$RUNS"); do
	rm -rf "$T/store"
	t0=$(date +%s%N)
	"$KILN" pull --store "$T/store" "$REG/bench/big:1" >"$T/pull.out" 2>&1 ||
		{ cat "$T/pull.out"; exit 1; }
	t1=$(date +%s%N)
	cmp -s "$(sed -n 's/^path //p' "$T/pull.out")" "$T/big.wasm" || { echo "pulled bytes differ"; exit 1; }
	ms=$(((t1 - t0) / 1000000))
	rate=$(awk -v b="$size" -v ms="$ms" 'BEGIN { printf "%.1f", b / 1048576 / (ms / 1000) }')
	echo "run $i: $size bytes in $ms ms = $rate MiB/s"
	rates="$rates $rate"
done
median=$(echo $rates | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "oci-pull-${MIB}MiB: $median MiB/s"
