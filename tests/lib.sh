# tests/lib.sh — tiny helpers for shell test suites.  Source it, set SUITE,
# call ok/fail (or check) for each case and finish with `finish`.
#   SUITE=e2e; . tests/lib.sh
#   check "compile rejects SIMD" expect_fail bin/kiln compile simd.wasm -o x.o
set -u
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$1"; [ $# -gt 1 ] && printf '     %s\n' "$2"; return 0; }
# check NAME CMD... : passes when CMD exits 0.
check() { n=$1; shift; if "$@"; then ok "$n"; else fail "$n" "command: $*"; fi; }
# expect_fail CMD... : succeeds when CMD exits non-zero without a signal.
expect_fail() { "$@"; rc=$?; [ $rc -ne 0 ] && [ $rc -lt 128 ]; }
finish() { echo "$SUITE: $PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; }
