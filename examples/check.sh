#!/bin/sh
# check.sh "MAKE -C examples ..." — the examples suite (make check-examples):
#   1. `make kiln-test` (sdk/kiln.mk: kiln test over examples/kiln.yaml,
#      after the guests are built, pushed, locked and baked): its tally is
#      added in;
#   2. the demo host, run from examples/: it must exit 0 and print every
#      line of examples/demo.expected (one test per line);
#   3. the file the reporter wrote through its mount.
set -u
SUITE=examples
. tests/lib.sh
make_examples=$1
out=$(mktemp -d "${TMPDIR:-/tmp}/kiln-examples.XXXXXX")
trap 'rm -rf "$out"' EXIT

# 1. kiln test, through sdk/kiln.mk
$make_examples all >"$out/build.log" 2>&1 || { cat "$out/build.log"; fail "examples build"; }
$make_examples kiln-test KILN_TEST_FLAGS="-n kiln-test" >"$out/test.log" 2>&1
rc=$?
cat "$out/test.log"
tally=$(grep -E '^kiln-test: [0-9]+ passed, [0-9]+ failed$' "$out/test.log" | tail -n 1)
if [ -z "$tally" ]; then
	fail "kiln test printed no tally (exit status $rc)"
else
	p=$(echo "$tally" | sed -E 's/^kiln-test: ([0-9]+) passed.*/\1/')
	f=$(echo "$tally" | sed -E 's/.* ([0-9]+) failed$/\1/')
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	[ "$rc" -eq 0 ] || [ "$f" -ne 0 ] || fail "make kiln-test exit status $rc with no failure"
	[ "$p" -ge 30 ] && ok "kiln test ran every suite ($p tests)" || \
		fail "kiln test ran only $p tests"
fi

# 2. the demo host
rm -f build/demo/out/report.txt
(cd examples && ../build/demo/host) >"$out/demo.log" 2>&1
rc=$?
cat "$out/demo.log"
[ "$rc" -eq 0 ] && ok "demo host exits 0" || fail "demo host exit status $rc"
while IFS= read -r want; do
	case $want in
	'#'*|'') continue ;;
	'~ '*)
		re=${want#'~ '}
		if grep -Eqx -- "$re" "$out/demo.log"; then ok "demo: /$re/"; else fail "demo: /$re/" "no line matches"; fi ;;
	*)
		if grep -Fqx -- "$want" "$out/demo.log"; then ok "demo: $want"; else fail "demo: $want" "line missing"; fi ;;
	esac
done <examples/demo.expected
grep -q FAILED "$out/demo.log" && fail "demo printed FAILED" || ok "demo printed no FAILED"

# 3. what the reporter wrote, as the host sees it
printf 'Report of the kiln demo\n  line 1 of 3\n  line 2 of 3\n  line 3 of 3\n' >"$out/report.want"
if cmp -s "$out/report.want" build/demo/out/report.txt; then
	ok "reporter wrote build/demo/out/report.txt through its mount"
else
	fail "reporter's file differs" "$(cat build/demo/out/report.txt 2>&1)"
fi
finish
