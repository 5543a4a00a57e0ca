#!/bin/sh
# tests/ktest/run.sh WORKDIR — the suite of `kiln test` itself: a kiln.yaml
# whose cases all pass (every value type, every trap kind used, stdout
# given stdin), one whose cases each fail their own way (each failure must
# be reported, with its reason), and misuse.  Environment: KILN.
set -u
SUITE=ktest
. tests/lib.sh
KILN=$(cd "$(dirname "${KILN:-bin/kiln}")" && pwd)/$(basename "${KILN:-bin/kiln}")
W=$1
rm -rf "$W"
mkdir -p "$W"
W=$(cd "$W" && pwd)
here=tests/ktest

for m in calc sick; do
	wat2wasm "$here/$m.wat" -o "$W/$m.wasm" || fail "wat2wasm $m"
	SOURCE_DATE_EPOCH=0 "$KILN" push --store "$W/store" "$W/$m.wasm" "oci-layout:$W/layout:$m" \
		>/dev/null || fail "push $m"
done
cp "$here/pass.yaml" "$here/fail.yaml" "$W/"

# bake NAME: lock and bake $W/NAME.yaml into $W/NAME-bake
bake() {
	"$KILN" lock -f "$W/$1.yaml" -o "$W/$1.lock" --store "$W/store" >/dev/null &&
	"$KILN" bake -f "$W/$1.yaml" -o "$W/$1-bake" --lock "$W/$1.lock" --store "$W/store" \
		>"$W/$1-bake.log" 2>&1
}
# has FILE TEXT: FILE holds TEXT (fixed string)
has() { grep -Fq -- "$2" "$1"; }
# quiet CMD...: CMD with its output discarded
quiet() { "$@" >/dev/null 2>&1; }

check "pass.yaml bakes" bake pass
"$KILN" test -f "$W/pass.yaml" -o "$W/pass-bake" -n ktest-run >"$W/pass.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "every case of pass.yaml passes" || { fail "pass.yaml: exit $rc"; cat "$W/pass.log"; }
check "pass.yaml: 21 tests, none failed" has "$W/pass.log" "ktest-run: 21 passed, 0 failed"
for t in "instantiates under its grants" "protocol version" "health" "fuel exhaustion" \
	"half of nan" "two results" "deadline" "out of bounds" "echo long" "echo nothing"; do
	check "pass.yaml: \"$t\" ran" has "$W/pass.log" "Test: $t ...passed"
done

# the same tables again: not rewritten, the runner rebuilt and rerun
t0=$(stat -c %Y.%y "$W/pass-bake/test/kiln_tests.c")
sleep 1
"$KILN" test -f "$W/pass.yaml" -o "$W/pass-bake" calc >"$W/pass2.log" 2>&1
check "a second run passes too" has "$W/pass2.log" "kiln-test: 21 passed, 0 failed"
check "unchanged tables are not rewritten" [ "$t0" = "$(stat -c %Y.%y "$W/pass-bake/test/kiln_tests.c")" ]

check "fail.yaml bakes" bake fail
"$KILN" test -f "$W/fail.yaml" -o "$W/fail-bake" >"$W/fail.log" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "fail.yaml: exit status 1" || fail "fail.yaml: exit status $rc"
check "fail.yaml: 6 passed, 11 failed" has "$W/fail.log" "kiln-test: 6 passed, 11 failed"
while IFS='|' read -r name reason; do
	if grep -F -- "$name" "$W/fail.log" | grep -Fq -- "$reason"; then
		ok "fail.yaml: $name: $reason"
	else
		fail "fail.yaml: $name" "no failure saying: $reason"
	fi
done <<'CASES'
wrong sum|result 0: expected i32:5, got i32:4
wrong type|result 0: expected i64:4, got i32:4
nan is not a number|result 0: expected f64:nan, got f64:1
negative zero|result 0: expected f64:0, got f64:-0
trap expected|expected the trap "unreachable", the call returned
other trap|expected the trap "deadline", got "unreachable"
unexpected trap|trap: integer divide by zero
wrong stdout|stdout: expected "abd", got "abc"
no such export|calc exports no function "nope"
wrong arity|add takes 2 arguments and returns 1 results, called with 1 and 1
sick|kiln_health() returned 3, not KILN_HEALTH_OK
CASES
check "failures name their kiln.yaml line" has "$W/fail.log" "fail.yaml:10:9: wrong sum"
check "the failing cases' suite still ran the rest" has "$W/fail.log" "Test: fuel exhaustion ...passed"

# the bake reads the protocol version through a command export's wrapper
# (call the function, then __wasm_call_dtors), and refuses what it cannot
# read or what the runtime does not speak
proto() {
	d="$W/proto-$1"
	mkdir -p "$d"
	sed "s/PROTO/$2/" "$here/wrapped.wat" >"$d/wrapped.wat"
	wat2wasm "$d/wrapped.wat" -o "$d/wrapped.wasm" &&
	SOURCE_DATE_EPOCH=0 "$KILN" push --store "$W/store" "$d/wrapped.wasm" \
		"oci-layout:$d/layout:wrapped" >/dev/null &&
	cp "$here/proto.yaml" "$d/kiln.yaml" &&
	"$KILN" lock -f "$d/kiln.yaml" --store "$W/store" >/dev/null &&
	"$KILN" bake -f "$d/kiln.yaml" -o "$d/bake" --store "$W/store" >"$d/bake.log" 2>&1
}
check "bake reads protocol 1 through a command wrapper" proto one "i32.const 1"
expect_fail proto seven "i32.const 7"
check "bake refuses protocol 7 behind a wrapper, naming both" \
	has "$W/proto-seven/bake.log" "wrapped speaks kiln protocol 7 (its kiln_protocol_version()); this runtime supports 1 to 1"
expect_fail proto global "global.get \$g"
check "bake refuses a version it cannot read behind a wrapper" \
	has "$W/proto-global/bake.log" "kiln_protocol_version() must return a constant"

# an installed kiln (INSTALLED=PREFIX, made by build.mk): a project builds
# its guest with share/kiln/guest.mk and kiln.h, bakes and tests it
if [ -n "${INSTALLED:-}" ]; then
	P="$W/proj"
	cp -R "$here/proj" "$P"
	IK="$INSTALLED/bin/kiln"
	check "installed: guest.mk builds the guest" \
		quiet make -C "$P" kiln-guests KILN_PREFIX="$INSTALLED" KILN_GUEST_CFLAGS="-O2 -Wall -Wextra -Werror"
	check "installed: push, lock, bake" sh -c "cd '$P' &&
		'$IK' push --store st build/guests/greeter.wasm oci-layout:layout:greeter >/dev/null &&
		'$IK' lock -f kiln.yaml --store st >/dev/null &&
		'$IK' bake -f kiln.yaml -o out --store st >/dev/null"
	# an installed sanitizer build of libkiln-rt needs the sanitizers at
	# link time: kiln test adds $LDFLAGS
	export LDFLAGS="${INSTALLED_LDFLAGS:-}"
	(cd "$P" && "$IK" test -f kiln.yaml -o out) >"$W/installed.log" 2>&1
	check "installed: kiln test finds its runner and passes" \
		has "$W/installed.log" "kiln-test: 4 passed, 0 failed"
	check "installed: the runner is the installed one" \
		sh -c "cd '$P' && '$IK' test -v -f kiln.yaml -o out 2>&1 | grep -Fq '$INSTALLED/share/kiln/test/kiln_test_main.c'"
	unset LDFLAGS
else
	fail "installed kiln: INSTALLED not set"
fi

# misuse
"$KILN" test -f "$W/pass.yaml" -o "$W/nowhere" >"$W/m1.log" 2>&1
[ $? -eq 1 ] && ok "no bake: exit 1" || fail "no bake: exit status"
check "no bake: says to bake first" has "$W/m1.log" "run \`kiln bake"
"$KILN" test -f "$W/pass.yaml" -o "$W/pass-bake" nosuch >"$W/m2.log" 2>&1
[ $? -eq 2 ] && ok "unknown extension: exit 2" || fail "unknown extension: exit status"
check "unknown extension named" has "$W/m2.log" "lists no extension \"nosuch\""
"$KILN" test --bogus >/dev/null 2>&1
[ $? -eq 2 ] && ok "unknown option: exit 2" || fail "unknown option: exit status"
check "--help exits 0" quiet "$KILN" test --help
rm -f "$W/pass-bake/calc.o"
"$KILN" test -f "$W/pass.yaml" -o "$W/pass-bake" >"$W/m3.log" 2>&1
[ $? -eq 1 ] && ok "a missing object: exit 1" || fail "a missing object: exit status"
check "a missing object is named" has "$W/m3.log" "calc.o is missing"
finish
