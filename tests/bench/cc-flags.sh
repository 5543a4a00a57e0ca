#!/bin/sh
# cc-flags.sh KILN CC WASM [OPTION...] — print the flags `kiln compile --cc
# CC [OPTION...]` gives the C compiler (read from its -v output, without -c, -I and file names), so
# that `make bench` compiles native code with exactly the same.
set -eu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-cc-flags.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
kiln=$1 cc=$2 wasm=$3
shift 3
"$kiln" compile "$wasm" -o "$tmp/x.o" --name ccflags --cc "$cc" --no-fuel \
	--allow-unknown-imports -v "$@" 2>"$tmp/log"
# "kiln: FILE: [T] run: CC -c FLAGS... -IDIR ccflags.kiln.c -o ccflags.o  (in DIR)"
flags=$(awk '{
	for (i = 1; i <= NF && $i != "run:"; i++) ;
	if (i + 2 > NF || $(i + 2) != "-c") next;
	out = ""; seen = 0;
	for (i += 3; i <= NF && $i != "ccflags.kiln.c"; i++)
		if ($i !~ /^-I/) out = out (out == "" ? "" : " ") $i;
	if (i <= NF) { print out; seen = 1 }
}' "$tmp/log")
if [ -z "$flags" ]; then
	echo "cc-flags.sh: no cc command line in the output of kiln compile -v:" >&2
	cat "$tmp/log" >&2
	exit 1
fi
echo "$flags"
