#!/bin/sh
# tests/spec/reject.sh OUT JSON... — the spec reject suite.
#
# JSON... are wast2json's conversions of the files listed in
# ../shared/testdata/spec/NON_SIMD.txt (tests/spec/build.mk makes them).
# Every binary assert_malformed module (736) and every assert_invalid
# module (1,475) they name is given to `kiln compile`, which must reject
# it: exit status 1 (never a crash), a message naming the file, no output
# and no temporary file left behind.  --allow-unknown-imports is passed so
# that modules importing the spec's "spectest" module are rejected for what
# they are, not for their imports.  Runs $JOBS compiles at a time.
#
#   reject.sh --one KIND FILE   (internal) check one module
set -u
KILN=${KILN:-bin/kiln}
JOBS=${JOBS:-2}
EXPECT_MALFORMED=736
EXPECT_INVALID=1475

if [ "${1:-}" = --one ]; then
	kind=$2 f=$3
	base=$(basename "$f" .wasm)
	obj=$OUT/o/$base.o
	err=$OUT/err/$base.txt
	"$KILN" compile "$f" -o "$obj" --name m --allow-unknown-imports >"$err" 2>&1
	rc=$?
	if [ $rc -ne 1 ]; then
		echo "FAIL $kind $f: exit status $rc: $(head -c 300 "$err")"
	elif [ -e "$obj" ]; then
		echo "FAIL $kind $f: an output file was left"
	elif ! grep -q "^kiln: .*$base\.wasm" "$err"; then
		echo "FAIL $kind $f: unclear message: $(head -c 300 "$err")"
	else
		echo "ok $kind"
	fi
	exit 0
fi

OUT=$1
shift
export OUT KILN
rm -rf "$OUT"
mkdir -p "$OUT/o" "$OUT/err" "$OUT/tmp"
TMPDIR=$(cd "$OUT/tmp" && pwd)
export TMPDIR

# wast2json writes one command per line; module files sit beside the JSON.
fail=0
: >"$OUT/list"
for json in "$@"; do
	d=$(dirname "$json")
	grep '"type": "assert_malformed"' "$json" | grep '"module_type": "binary"' |
		sed -E "s|.*\"filename\": \"([^\"]+)\".*|malformed $d/\\1|" >>"$OUT/list"
	grep '"type": "assert_invalid"' "$json" |
		sed -E "s|.*\"filename\": \"([^\"]+)\".*|invalid $d/\\1|" >>"$OUT/list"
done
nmal=$(grep -c '^malformed ' "$OUT/list")
ninv=$(grep -c '^invalid ' "$OUT/list")
echo "reject: $nmal binary assert_malformed and $ninv assert_invalid modules"
if [ "$nmal" -ne $EXPECT_MALFORMED ] || [ "$ninv" -ne $EXPECT_INVALID ]; then
	echo "FAIL expected $EXPECT_MALFORMED and $EXPECT_INVALID modules"
	fail=$((fail + 1))
fi

start=$(date +%s)
xargs -P "$JOBS" -n 2 sh "$0" --one <"$OUT/list" >"$OUT/results"
end=$(date +%s)

okmal=$(grep -c '^ok malformed$' "$OUT/results")
okinv=$(grep -c '^ok invalid$' "$OUT/results")
bad=$(grep -c '^FAIL' "$OUT/results")
grep '^FAIL' "$OUT/results" | head -n 40
[ "$bad" -gt 40 ] && echo "... and $((bad - 40)) more failures (see $OUT/results)"
echo "reject: assert_malformed (binary): $okmal of $nmal rejected"
echo "reject: assert_invalid: $okinv of $ninv rejected"
echo "reject: $((end - start)) s with $JOBS jobs"

if [ -n "$(ls -A "$TMPDIR")" ] || [ -n "$(find "$OUT/o" -mindepth 1 | head -n 1)" ]; then
	echo "FAIL temporary or output files were left behind"
	fail=$((fail + 1))
fi
echo "reject: $((okmal + okinv)) passed, $((bad + fail)) failed"
[ $((bad + fail)) -eq 0 ]
