#!/bin/sh
# tests/bake/bench.sh OUT — `make bench` figures of the bake (numbers, not
# tests): a cold bake (empty object cache) and a warm one of the check-bake
# project (3 extensions, tests/bake/*.wat), and the size of its host binary
# with and without the extensions, linked dynamically and statically.
# Environment: KILN, SDK (absolute), CC, MAKE.
set -eu
OUT=$1
SRC=$(pwd)/tests/bake
rm -rf "$OUT"
mkdir -p "$OUT"
T=$(cd "$OUT" && pwd)
unset MAKEFLAGS MFLAGS
S=$T/store
for m in add mul spin; do
	wat2wasm "$SRC/$m.wat" -o "$T/$m.wasm"
	"$KILN" push --store "$S" --created 2024-01-01T00:00:00Z "$T/$m.wasm" "oci-layout:$T/lay:$m" >"$T/$m.push"
done
man() { sed -n 's/^manifest //p' "$T/$1.push"; }
now() { date +%s.%N; }
project() { # DIR with|without
	mkdir -p "$1"
	cp "$SRC/host.c" "$1/"
	cp "$SRC/project.mk" "$1/Makefile"
	if [ "$2" = with ]; then
		printf 'version: 1\nextensions:\n' >"$1/kiln.yaml"
		for m in add mul spin; do
			printf '  - name: %s\n    ref: oci-layout:%s:%s@%s\n' "$m" "$T/lay" "$m" "$(man $m)" >>"$1/kiln.yaml"
		done
	else
		printf 'version: 1\nextensions: []\n' >"$1/kiln.yaml"
	fi
}
pmake() { d=$1; shift; env -u KILN $MAKE -s -C "$d" KILN_SDK="$SDK" CC="$CC" KILN_BAKE_FLAGS="--store $S --cache $T/cache" "$@" >/dev/null; }
sz() { stat -c %s "$1"; }
# size once stripped of symbols and debug information
ssz() { strip -o "$1.stripped" "$1" && stat -c %s "$1.stripped"; }

project "$T/with" with
# the cold bake alone (then the warm one), as kiln bake reports it
t0=$(now); "$KILN" bake -f "$T/with/kiln.yaml" -o "$T/with/kiln-out" --store "$S" --cache "$T/cache" >"$T/cold"; t1=$(now)
"$KILN" bake -f "$T/with/kiln.yaml" -o "$T/with/kiln-out" --store "$S" --cache "$T/cache" >"$T/warm"; t2=$(now)
pmake "$T/with"
project "$T/without" without; pmake "$T/without"
project "$T/with-static" with; pmake "$T/with-static" KILN_STATIC=1
project "$T/without-static" without; pmake "$T/without-static" KILN_STATIC=1
echo
echo "### kiln bake (3 small extensions, tests/bake)"
echo
echo "| | wall time | kiln says |"
echo "|---|---|---|"
printf '| cold (empty object cache) | %.2f s | %s |\n' "$(awk "BEGIN{print $t1 - $t0}")" "$(tail -n 1 "$T/cold" | sed 's/^bake: //; s/ -> .* (/ (/')"
printf '| warm (nothing changed) | %.3f s | %s |\n' "$(awk "BEGIN{print $t2 - $t1}")" "$(tail -n 1 "$T/warm" | sed 's/^bake: //; s/ -> .* (/ (/')"
echo
echo "| host binary | dynamic | dynamic, stripped | static | static, stripped |"
echo "|---|---|---|---|---|"
for v in without with; do
	printf '| %s | %s B | %s B | %s B | %s B |\n' \
		"$([ $v = with ] && echo "with the 3 extensions" || echo "without extensions")" \
		"$(sz "$T/$v/host")" "$(ssz "$T/$v/host")" "$(sz "$T/$v-static/host")" \
		"$(ssz "$T/$v-static/host")"
done
