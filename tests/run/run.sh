#!/bin/sh
# tests/run/run.sh OUTDIR — end-to-end tests of `kiln run` (suite "run").
#
# Environment: KILN (bin/kiln), WASM_CC (clang).  The guest is probe.c built
# for wasm32-wasi (see its header for its commands) and the .wat files of
# tests/run/wat.  Everything lives in OUTDIR, the cache too
# (XDG_CACHE_HOME=OUTDIR/cache), except the cache test's own fresh cache.
SUITE=run
. tests/lib.sh
OUT=$1
: "${KILN:=bin/kiln}" "${WASM_CC:=clang}"
case $KILN in /*) ;; *) KILN=$(pwd)/$KILN ;; esac
rm -rf "$OUT/t" "$OUT/fresh-cache" "$OUT/fakebin"
mkdir -p "$OUT/t" "$OUT/cache"
export XDG_CACHE_HOME="$OUT/cache"
unset SECRET_TOKEN 2>/dev/null

# ---- fixtures ---------------------------------------------------------------
P=$OUT/probe.wasm
if ! $WASM_CC --target=wasm32-wasi -O2 -Wall -Wextra -Werror tests/run/probe.c -o "$P"; then
	fail "build probe.c for wasm32-wasi"
	finish
	exit 1
fi
for w in tests/run/wat/*.wat; do
	wat2wasm "$w" -o "$OUT/$(basename "$w" .wat).wasm" || fail "wat2wasm $w"
done

# kr ARGS... : kiln run ARGS with stdin from /dev/null; $st, $OUT/o, $OUT/e
kr() { "$KILN" run "$@" </dev/null >"$OUT/o" 2>"$OUT/e"; st=$?; }
# expect NAME STATUS STDOUT : the last kr exited STATUS and printed STDOUT
expect() {
	if [ "$st" = "$2" ] && [ "$(cat "$OUT/o")" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "status $st (want $2); stdout: $(head -c 300 "$OUT/o" | tr '\n' '|'); stderr: $(head -c 300 "$OUT/e" | tr '\n' '|')"
	fi
}
# stderr_has NAME PATTERN : the last kr's stderr matches PATTERN (grep -E)
stderr_has() {
	if grep -Eq "$2" "$OUT/e"; then ok "$1"; else fail "$1" "stderr: $(head -c 300 "$OUT/e" | tr '\n' '|')"; fi
}
ms() { date +%s%3N; }

# ---- grants: files ------------------------------------------------------------
A=$OUT/t/a B=$OUT/t/b RO=$OUT/t/ro
mkdir -p "$A" "$B" "$RO"
echo "in a" >"$A/f"
echo "secret of b" >"$B/f"
echo "original" >"$RO/f"
ln -s "$B/f" "$A/out-abs"
ln -s ../b/f "$A/out-rel"

kr "$P" -- preopens
expect "no --mount: no preopened directory" 0 ""
kr "$P" -- read /etc/passwd
expect "no --mount: absolute host paths are unreachable" 1 "errno 76"
kr "$P" --mount "$A:/a" -- preopens
expect "--mount: exactly the granted directory is preopened" 0 "3 /a"
kr "$P" --mount "$A:/a" -- read /a/f
expect "--mount: a granted file is readable" 0 "in a"
kr "$P" --mount "$A:/a" -- read /b/f
expect "a directory that is not mounted is invisible" 1 "errno 76"
kr "$P" --mount "$A:/a" -- read "$B/f"
expect "its host path is unreachable too" 1 "errno 76"
kr "$P" --mount "$A:/a" -- read /a/../b/f
expect "'..' cannot leave the mount" 1 "errno 76"
kr "$P" --mount "$A:/a" -- read /a/out-abs
expect "an absolute symlink pointing out is not followed" 1 "errno 76"
kr "$P" --mount "$A:/a" -- read /a/out-rel
expect "a relative symlink pointing out is not followed" 1 "errno 76"
kr "$P" --mount "$A:/a" --mount "$RO:/ro:ro" -- preopens
expect "mounts are preopened in the order given" 0 "3 /a
4 /ro"
kr "$P" --mount "$RO:/ro:ro" -- read /ro/f
expect "read-only mount: readable" 0 "original"
kr "$P" --mount "$RO:/ro:ro" -- write /ro/new hello
expect "read-only mount: creating a file fails with ENOTCAPABLE (76)" 1 "errno 76"
check "read-only mount: nothing was created" test ! -e "$RO/new"
kr "$P" --mount "$RO:/ro:ro" -- write /ro/f changed
expect "read-only mount: overwriting fails with ENOTCAPABLE (76)" 1 "errno 76"
check "read-only mount: the file is unchanged" grep -qx original "$RO/f"
kr "$P" --mount "$RO:/ro:rw" -- write /ro/new hello
expect "read-write mount (:rw): writes land on the host" 0 "wrote 5"
check "read-write mount: the host file holds them" grep -qx hello "$RO/new"
rm -f "$RO/new"
kr "$P" --mount "$A:/a" --mount "$RO:/ro:ro" -- write /a/../ro/f x
expect "a writable mount cannot reach a read-only one by '..'" 1 "errno 76"

# ---- grants: environment, arguments, clocks, random -----------------------
export SECRET_TOKEN=hunter2
kr "$P" -- environ
expect "no --env: the guest's environment is empty" 0 ""
kr "$P" -- env SECRET_TOKEN
expect "a host variable does not leak" 0 "unset"
kr "$P" --env A=1 --env "B=two words" -- environ
expect "--env: exactly the given variables" 0 "A=1
B=two words"
kr "$P" --env-inherit SECRET_TOKEN -- environ
expect "--env-inherit passes one host variable through" 0 "SECRET_TOKEN=hunter2"
kr "$P" --env-inherit KILN_NO_SUCH_VARIABLE -- environ
expect "--env-inherit of an unset variable adds nothing" 0 ""
kr "$P" --env SECRET_TOKEN=given --env-inherit SECRET_TOKEN -- env SECRET_TOKEN
expect "an explicit --env wins over --env-inherit" 0 "given"
unset SECRET_TOKEN
kr "$P" -- args "two words" "" 'q"uote'
expect "arguments reach the guest unchanged; argv[0] is the file name" 0 "5
[probe.wasm]
[args]
[two words]
[]
[q\"uote]"
kr "$P" --argv0 custom -- args
expect "--argv0" 0 "2
[custom]
[args]"
kr "$P" -- args -- --env X=1
expect "arguments after -- are the guest's, options included" 0 "5
[probe.wasm]
[args]
[--]
[--env]
[X=1]"
kr "$P" -- clock
expect "no --clock: clocks are denied (ENOTCAPABLE)" 1 "errno 76"
kr "$P" --clock all -- clock
expect "--clock all" 0 "realtime ok
monotonic ok"
kr "$P" --clock monotonic -- clock
expect "--clock monotonic alone does not grant realtime" 1 "errno 76"
kr "$P" --clock realtime -- clock
expect "--clock realtime alone does not grant monotonic" 1 "realtime ok
errno 76"
kr "$P" -- random
expect "no --random: random_get is denied" 1 "errno 76"
kr "$P" --random -- random
expect "--random" 0 "random ok"

# ---- stdio and exit codes ---------------------------------------------------
printf 'line one\nline two\n' | "$KILN" run "$P" -- cat >"$OUT/o" 2>"$OUT/e"
st=$?
expect "stdin passes through" 0 "line one
line two"
head -c 300000 /dev/urandom >"$OUT/t/bin"
"$KILN" run "$P" -- cat <"$OUT/t/bin" >"$OUT/t/bin.out" 2>"$OUT/e"
check "300 kB of binary stdin come back byte for byte" cmp -s "$OUT/t/bin" "$OUT/t/bin.out"
kr "$P" -- stderr "to stderr"
expect "stderr is the guest's, stdout untouched" 0 ""
check "stderr holds what the guest wrote" grep -qx "to stderr" "$OUT/e"
kr "$P" -- exit 42
expect "exit code of exit(42)" 42 ""
kr "$P" -- exit 0
expect "exit code of exit(0)" 0 ""
kr "$P" -- nosuchcommand
expect "main returning 2" 2 ""
kr "$OUT/exit7.wasm"
expect "proc_exit(7) without libc" 7 ""
check "an exit is not reported as a trap" test ! -s "$OUT/e"
kr "$OUT/reactor.wasm"
expect "a reactor's _initialize runs" 5 ""

# ---- traps: 128 + kind --------------------------------------------------------
for t in "oob 129 out of bounds" "div 130 integer divide by zero" \
	 "overflow 131 integer overflow" "conversion 132 invalid conversion" \
	 "unreachable 133 unreachable" "indirect 134 indirect call" \
	 "stack 135 stack exhaustion"; do
	set -- $t
	w=$1 code=$2
	shift 2
	kr "$OUT/trap_$w.wasm"
	expect "trap $*: exit $code" "$code" ""
	stderr_has "trap $*: stderr names it" "trap: $*"
done

# ---- budgets: fuel, deadline, memory ----------------------------------------
kr "$OUT/spin.wasm" --fuel 1000000
expect "--fuel 1000000 stops (loop (br 0)): exit 136" 136 ""
stderr_has "--fuel: stderr says fuel exhausted" "trap: fuel exhausted"
t0=$(ms)
kr "$OUT/spin.wasm" --timeout 0.3
t1=$(ms)
expect "--timeout stops (loop (br 0)): exit 137" 137 ""
stderr_has "--timeout: stderr says deadline" "trap: deadline"
check "--timeout 0.3: stopped within 3 s ($((t1 - t0)) ms, compile included)" test $((t1 - t0)) -lt 3000
check "--timeout 0.3: not before 0.3 s" test $((t1 - t0)) -ge 300
mkfifo "$OUT/t/fifo"
sleep 20 >"$OUT/t/fifo" &
holder=$!
t0=$(ms)
"$KILN" run "$P" --timeout 0.4 -- cat <"$OUT/t/fifo" >"$OUT/o" 2>"$OUT/e"
st=$?
t1=$(ms)
kill "$holder" 2>/dev/null
expect "--timeout stops a guest blocked reading stdin" 137 ""
check "... within 3 s ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 3000
t0=$(ms)
kr "$P" --clock all --timeout 0.3 -- sleep 20000
t1=$(ms)
expect "--timeout stops a guest sleeping 20 s" 137 ""
check "... within 3 s ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 3000
kr "$P" --clock all --timeout 5 -- sleep 50
expect "a sleep within the deadline completes" 0 "slept"
kr "$P" --fuel 100 -- args
expect "--fuel 100 is too little for a C program" 136 ""
kr "$P" --fuel 100000000 -- args
expect "--fuel 100000000 is enough" 0 "2
[probe.wasm]
[args]"
kr "$OUT/grow.wasm"
expect "memory.grow by 2 MiB within the default 64 MiB" 0 ""
kr "$OUT/grow.wasm" --max-memory 1MiB
expect "--max-memory 1MiB: memory.grow by 2 MiB returns -1" 1 ""
kr "$P" -- grow 16
expect "malloc of 16 MiB within the default cap" 0 "grew 16 MiB (1)"
kr "$P" --max-memory 4MiB -- grow 16
expect "--max-memory 4MiB: malloc of 16 MiB fails (ENOMEM)" 1 "errno 48"
kr "$P" -- grow 100
expect "the default cap is 64 MiB: malloc of 100 MiB fails" 1 "errno 48"
kr "$OUT/bigmem.wasm" --max-memory 1MiB
expect "initial memory above --max-memory: cannot run (125)" 125 ""
stderr_has "... and says why" "memory|cap"

# ---- the cache ----------------------------------------------------------------
FC=$OUT/fresh-cache
mkdir -p "$OUT/fakebin"
for tool in cc wasm2c; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/fake-called"\nexit 1\n' "$tool" "$OUT" >"$OUT/fakebin/$tool"
	chmod +x "$OUT/fakebin/$tool"
done
rm -f "$OUT/fake-called"
t0=$(ms)
XDG_CACHE_HOME=$FC env -u CC "$KILN" run -v "$OUT/exit7.wasm" </dev/null >"$OUT/o" 2>"$OUT/e"
st=$?
t1=$(ms)
expect "cold run" 7 ""
stderr_has "cold run compiles" "compiled into"
stderr_has "cold run links" "linked"
check "cold run: one object and one runner in the cache" \
	test "$(ls "$FC/kiln/run/obj" | wc -l) $(ls "$FC/kiln/run/bin" | wc -l)" = "1 1"
cold=$((t1 - t0))
t0=$(ms)
XDG_CACHE_HOME=$FC PATH="$OUT/fakebin:$PATH" env -u CC "$KILN" run -v "$OUT/exit7.wasm" \
	</dev/null >"$OUT/o" 2>"$OUT/e"
st=$?
t1=$(ms)
expect "warm run, with cc and wasm2c replaced by failing fakes" 7 ""
check "warm run compiles and links nothing (the fakes were never called)" test ! -e "$OUT/fake-called"
stderr_has "warm run reports both cache hits" "object cached"
stderr_has "... runner too" "runner cached"
echo "     cold run $cold ms, warm run $((t1 - t0)) ms"
cp "$OUT/exit7.wasm" "$OUT/t/changed.wasm"
printf '\000\002\001x' >>"$OUT/t/changed.wasm" # an empty custom section "x": other bytes, same module
XDG_CACHE_HOME=$FC PATH="$OUT/fakebin:$PATH" env -u CC "$KILN" run "$OUT/t/changed.wasm" \
	</dev/null >"$OUT/o" 2>"$OUT/e"
st=$?
expect "other bytes miss the cache (the failing fake wasm2c is run): 125" 125 ""
check "... and the fake was called" test -s "$OUT/fake-called"
check "... and no partial entry was left" test "$(ls -A "$FC/kiln/run/obj" | wc -l)" = 1
XDG_CACHE_HOME=$FC env -u CC "$KILN" run "$OUT/t/changed.wasm" </dev/null >"$OUT/o" 2>"$OUT/e"
st=$?
expect "with the real tools it runs" 7 ""
check "... as a second cache entry" test "$(ls "$FC/kiln/run/obj" | wc -l)" = 2

# ---- an installed kiln (make install DESTDIR=...) ----------------------------
if [ -n "${INSTALLED:-}" ]; then
	XDG_CACHE_HOME=$OUT/installed-cache env -u KILN_LIBDIR -u KILN_INCLUDE \
		"$INSTALLED/bin/kiln" run -v "$OUT/exit7.wasm" </dev/null >"$OUT/o" 2>"$OUT/e"
	st=$?
	expect "installed kiln: kiln run works" 7 ""
	stderr_has "installed kiln: it links with the installed libraries" \
		"libraries from $INSTALLED/bin/../lib"
	XDG_CACHE_HOME=$OUT/installed-cache env -u KILN_LIBDIR -u KILN_INCLUDE \
		"$INSTALLED/bin/kiln" run --mount "$A:/a" "$P" -- read /a/f </dev/null >"$OUT/o" 2>"$OUT/e"
	st=$?
	expect "installed kiln: a C guest with a mount" 0 "in a"
	rm -rf "$OUT/installed-cache"
fi

# ---- bad arguments: 125, a message, nothing run ----------------------------
for args in "" "$P $P" "--bogus $P" "$P --mount" "$P --mount /nonexistent/kiln:/x" \
	"$P --mount $A" "$P --mount :/x" "$P --fuel 0" "$P --fuel -1" "$P --fuel 1e9" \
	"$P --timeout -1" "$P --timeout 1s" "$P --max-memory 1KiB" "$P --max-memory 5GiB" \
	"$P --clock cpu" "$P --env NOEQUALS" "$P --env =x" "$P --env-inherit A=B" \
	"$OUT/nonexistent.wasm" "$OUT/t/f-not-wasm"; do
	echo "not wasm" >"$OUT/t/f-not-wasm"
	# shellcheck disable=SC2086
	kr $args
	if [ "$st" = 125 ] && [ -s "$OUT/e" ] && [ ! -s "$OUT/o" ]; then
		ok "bad usage exits 125 with a message: kiln run $args"
	else
		fail "bad usage exits 125 with a message: kiln run $args" "status $st; stderr: $(head -c 200 "$OUT/e")"
	fi
done
kr "$OUT/unprovided.wasm"
expect "an import the host world lacks: 125" 125 ""
stderr_has "... named in the message" "env.*system.*not provided"
kr "$OUT/nostart.wasm"
expect "no _start and no _initialize: 125" 125 ""
stderr_has "... said so" "neither _start nor _initialize"
"$KILN" run --help >"$OUT/o" 2>"$OUT/e"
st=$?
expect_help=$(grep -c "exit status" "$OUT/o")
check "--help exits 0 and documents the exit status" test "$st" = 0 -a "$expect_help" -ge 1
finish
