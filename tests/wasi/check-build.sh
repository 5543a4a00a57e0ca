#!/bin/sh
# check-build.sh WASMDIR
#
# The C test programs of tests/wasi/c, built for wasm32-wasi into WASMDIR:
# each one compiled, imports every WASI function its "wasi-functions:" line
# names, and has its root directory when its spec asks for one; together
# with the shared suite (../shared/testdata/wasi) they reach all the
# functions of wasi_snapshot_preview1 listed in runtime/kiln_wasi.h.
# This only checks the build; check-wasi-own runs them (tests/wasi/conform.c).
SUITE=wasi-build
. tests/lib.sh
dir=$1
shared=../shared/testdata/wasi

imports_of() {
	wasm-objdump -x -j Import "$1" 2>/dev/null |
		sed -n 's/.*<- wasi_snapshot_preview1\.\([a-z_]*\).*/\1/p' | sort -u
}

reached=""
for src in tests/wasi/c/*.c; do
	name=$(basename "$src" .c)
	wasm="$dir/$name.wasm"
	want=$(sed -n 's/^\/\* wasi-functions: //p' "$src")
	if [ ! -f "$wasm" ]; then
		fail "$name: built"
		continue
	fi
	have=$(imports_of "$wasm")
	missing=""
	for f in $want; do
		echo "$have" | grep -qx "$f" || missing="$missing $f"
	done
	if [ -z "$want" ]; then
		fail "$name: names the functions it tests"
	elif [ -n "$missing" ]; then
		fail "$name: imports what it tests" "not imported:$missing"
	else
		ok "$name: imports $want"
	fi
	spec="tests/wasi/c/$name.json"
	if [ -f "$spec" ]; then
		root=$(sed -n 's/.*"root": *"\([^"]*\)".*/\1/p' "$spec")
		if [ -n "$root" ]; then
			check "$name: root $root exists" test -d "tests/wasi/c/$root"
		fi
	fi
	reached="$reached $have"
done
for w in "$shared"/c/*.wasm "$shared"/assemblyscript/*.wasm; do
	[ -f "$w" ] && reached="$reached $(imports_of "$w")"
done
all=$(sed -n 's/^[[:space:]]*X(\([A-Z_]*\), \([a-z_]*\)).*/\2/p' runtime/kiln_wasi.h)
n=0
missing=""
for f in $all; do
	n=$((n + 1))
	echo "$reached" | tr ' ' '\n' | grep -qx "$f" || missing="$missing $f"
done
check "kiln_wasi.h lists the 46 functions of the witx" test "$n" -eq 46
if [ -z "$missing" ]; then
	ok "every WASI function is imported by a test program"
else
	fail "every WASI function is imported by a test program" "not reached:$missing"
fi
finish
