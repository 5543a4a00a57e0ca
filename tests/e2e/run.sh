#!/bin/sh
# tests/e2e/run.sh OUT — end-to-end suite of kiln compile, inspect and
# check-imports.  Fixtures (.wat and a C extension) are built into OUT,
# compiled with bin/kiln, linked with tests/e2e/host/e2e_host.c and
# libkiln-rt, and run.  Every failure mode must exit 1 with a clear message
# and leave neither an output nor a temporary file.
#
# Environment (set by tests/e2e/build.mk): KILN, CC, WASM_CC, RT_LIB (the
# libkiln-rt archive), HOST_CFLAGS, HOST_LDFLAGS, HOST_LIBS.
SUITE=e2e
. tests/lib.sh

OUT=$1
KILN=${KILN:-bin/kiln}
CC=${CC:-cc}
WASM_CC=${WASM_CC:-clang}
RT_LIB=${RT_LIB:-build/lib/default/libkiln-rt.a}
HOST_CFLAGS=${HOST_CFLAGS:--O2}
HOST_LDFLAGS=${HOST_LDFLAGS:-}
HOST_LIBS=${HOST_LIBS:--lsodium -lpthread -lm}

rm -rf "$OUT"
mkdir -p "$OUT/tmp" "$OUT/o" "$OUT/bin"
# kiln's private temporary directories go here, so that the suite can see
# that none is left behind.
TMPDIR=$(cd "$OUT/tmp" && pwd)
export TMPDIR
LOG=$OUT/log

# ---- helpers ---------------------------------------------------------------

# Extra environment for compile_fail (VAR=VALUE words), reset after use.
XENV=

# no_leftovers: TMPDIR is empty and no temporary output sits beside outputs.
no_leftovers() {
	[ -z "$(ls -A "$TMPDIR")" ] && [ -z "$(find "$OUT/o" -name '.*kiln-*')" ]
}

# compile_ok DESC OBJ WASM [OPTIONS...]: kiln compile succeeds.
compile_ok() {
	desc=$1 obj=$2 wasm=$3
	shift 3
	if "$KILN" compile "$wasm" -o "$obj" --name ext "$@" >"$LOG" 2>&1 && [ -s "$obj" ] &&
		no_leftovers; then
		ok "$desc"
	else
		fail "$desc" "$(cat "$LOG")"
	fi
}

# compile_fail DESC PATTERN WASM [OPTIONS...]: kiln compile exits 1, says
# PATTERN (grep -E) on stderr, and leaves nothing behind.
compile_fail() {
	desc=$1 pattern=$2 wasm=$3
	shift 3
	obj=$OUT/o/should-not-exist.o
	rm -f "$obj"
	env $XENV "$KILN" compile "$wasm" -o "$obj" --name ext "$@" >"$LOG" 2>&1
	rc=$?
	if [ $rc -ne 1 ]; then
		fail "$desc" "exit status $rc, expected 1: $(cat "$LOG")"
	elif ! grep -Eq -- "$pattern" "$LOG"; then
		fail "$desc" "message does not match /$pattern/: $(cat "$LOG")"
	elif [ -e "$obj" ]; then
		fail "$desc" "an output file was left behind"
	elif ! no_leftovers; then
		fail "$desc" "temporary files were left behind: $(ls -A "$TMPDIR") $(find "$OUT/o" -name '.*kiln-*')"
		rm -rf "${TMPDIR:?}"/* "$OUT"/o/.*kiln-*
	else
		ok "$desc"
	fi
	XENV=
}

# link NAME OBJ...: a test host with those objects.
link() {
	name=$1
	shift
	$CC $HOST_LDFLAGS -o "$OUT/bin/$name" "$OUT/host.o" "$@" "$RT_LIB" $HOST_LIBS >"$LOG" 2>&1
}

# expect DESC EXPECTED CMD...: CMD's stdout equals EXPECTED.
expect() {
	desc=$1 want=$2
	shift 2
	got=$("$@" 2>"$LOG")
	if [ "$got" = "$want" ]; then
		ok "$desc"
	else
		fail "$desc" "got [$got], expected [$want] $(cat "$LOG")"
	fi
}

# has DESC PATTERN CMD...: CMD exits 0 and its stdout matches PATTERN.
has() {
	desc=$1 pattern=$2
	shift 2
	if "$@" >"$LOG" 2>&1 && grep -Eq -- "$pattern" "$LOG"; then
		ok "$desc"
	else
		fail "$desc" "$(cat "$LOG")"
	fi
}

# fails_with DESC STATUS PATTERN CMD...: CMD exits STATUS and says PATTERN.
fails_with() {
	desc=$1 want=$2 pattern=$3
	shift 3
	"$@" >"$LOG" 2>&1
	rc=$?
	if [ $rc -eq "$want" ] && grep -Eq -- "$pattern" "$LOG"; then
		ok "$desc"
	else
		fail "$desc" "exit status $rc (expected $want): $(cat "$LOG")"
	fi
}

# ---- build the fixtures and the host ----------------------------------------

for f in tests/e2e/fixtures/*.wat; do
	n=$(basename "$f" .wat)
	flags=
	[ "$n" = invalid ] && flags=--no-check
	wat2wasm $flags "$f" -o "$OUT/$n.wasm" || fail "wat2wasm $n"
done
$WASM_CC --target=wasm32-wasi -O2 -mexec-model=reactor tests/e2e/ext/compute.c \
	-o "$OUT/compute.wasm" || fail "clang --target=wasm32-wasi compute.c"
$CC $HOST_CFLAGS -Iruntime -c tests/e2e/host/e2e_host.c -o "$OUT/host.o" ||
	fail "compile e2e_host.c"
O=$OUT/o
B=$OUT/bin

# ---- compile and run ----------------------------------------------------------

compile_ok "compile basic.wat" "$O/basic.o" "$OUT/basic.wasm"
check "link basic" link basic "$O/basic.o"
expect "call add" "i32:5" "$B/basic" add 2 3
expect "call add, wrapping" "i32:-2147483648" "$B/basic" add 2147483647 1
expect "call multi-value" "i32:1
i64:-9
f32:3.5
f64:-4.25" "$B/basic" multi -9
expect "call recursive fac" "i64:2432902008176640000" "$B/basic" fac 20
expect "memory store/load" "i32:-559038737" "$B/basic" store_load 1000 0xdeadbeef
expect "global state kept across calls" "i32:8
i32:9" "$B/basic" bump -- bump
expect "funcref and externref through the trampoline" "externref:1234
funcref:null" "$B/basic" refs null 1234
expect "f64 division" "f64:0.5" "$B/basic" fdiv 1 2
expect "odd export name reaches its function" "i32:7" "$B/basic" 'we"ird??=\name Z' 3 4
expect "out-of-bounds load traps" "trap: out of bounds" "$B/basic" oob
expect "division by zero traps" "trap: integer divide by zero" "$B/basic" div0 0
has "exports sorted, __kiln_fuel exported" '^__kiln_fuel global 1 1 i64$' "$B/basic" --exports
has "exported immutable global" '^k global 0 1 i64$' "$B/basic" --exports
expect "export order is strcmp order" "__kiln_fuel
__kiln_memory
add
bump
counter
div0
fac
fdiv
k
multi
oob
refs
store_load
we\"ird??=\\name Z" sh -c "'$B/basic' --exports | sed -E 's/ (func|global|memory|table) .*//'"
has "descriptor: fuel and memory accessors" '^memory yes$' "$B/basic" --desc
has "descriptor: sha256 of the input wasm" "^sha256 $(sha256sum "$OUT/basic.wasm" | cut -c1-64)\$" \
	"$B/basic" --desc
has "descriptor: meta_json is the .kiln.meta document" '^meta \{"kiln_meta":1,"name":"ext"' \
	"$B/basic" --desc
has "descriptor: import modules" '^module kiln$' "$B/basic" --imports

# ---- fuel --------------------------------------------------------------------

compile_ok "compile loops.wat" "$O/loops.o" "$OUT/loops.wasm"
check "link loops" link loops "$O/loops.o"
expect "(loop (br 0)) ends in a fuel trap" "trap: fuel exhausted" "$B/loops" --fuel 100000 spin
expect "unbounded recursion ends in a fuel trap" "trap: fuel exhausted" "$B/loops" --fuel 100000 recurse 0
expect "a loop runs within its budget" "i32:1000" "$B/loops" --fuel 1000000 count 1000
expect "every loop iteration costs at least 1" "trap: fuel exhausted" "$B/loops" --fuel 999 count 1000
fuel_left=$("$B/loops" --fuel 1000 --show-fuel straight 2>/dev/null | sed -n 's/^fuel://p')
if [ -n "$fuel_left" ] && [ "$fuel_left" -lt 1000 ] && [ "$fuel_left" -ge 990 ]; then
	ok "straight-line code costs its instructions (1000 -> $fuel_left)"
else
	fail "straight-line code costs its instructions" "fuel left: [$fuel_left]"
fi
compile_ok "compile --no-fuel" "$O/nofuel.o" "$OUT/loops.wasm" --no-fuel
check "link --no-fuel" link nofuel "$O/nofuel.o"
has "--no-fuel: descriptor has no fuel" '^fuel no$' "$B/nofuel" --desc
expect "--no-fuel: code still runs" "i32:1000" "$B/nofuel" count 1000
has "--no-fuel: inspect says fuel off" 'fuel +off' "$KILN" inspect "$O/nofuel.o"
check "--no-fuel: no __kiln_fuel export" sh -c "! '$B/nofuel' --exports | grep -q __kiln_fuel"

# ---- memory cap -------------------------------------------------------------

compile_ok "compile grow.wat --max-memory 1MiB" "$O/grow.o" "$OUT/grow.wasm" --max-memory 1MiB
check "link grow" link grow "$O/grow.o"
expect "memory.grow within the cap" "i32:1
i32:16" "$B/grow" grow 15 -- size
expect "memory.grow past the cap returns -1" "i32:1
i32:-1
i32:16" "$B/grow" grow 15 -- grow 1 -- size
has "descriptor: memory_cap_pages" '^cap_pages 16$' "$B/grow" --desc
has "inspect shows the cap" 'max memory +1048576 bytes' "$KILN" inspect "$O/grow.o"
compile_ok "compile grow.wat without a cap" "$O/grow-nocap.o" "$OUT/grow.wasm"
check "link grow without a cap" link grow-nocap "$O/grow-nocap.o"
expect "memory.grow without a cap" "i32:1
i32:16
i32:17" "$B/grow-nocap" grow 15 -- grow 1 -- size
compile_fail "initial memory above --max-memory" 'bigmem.wasm.*(cap|exceed|16777216|256)' \
	"$OUT/bigmem.wasm" --max-memory 16MiB
compile_ok "initial memory within --max-memory" "$O/bigmem.o" "$OUT/bigmem.wasm" --max-memory 20MiB
compile_ok "unexported memory" "$O/nomem.o" "$OUT/nomem_export.wasm"
check "link unexported memory" link nomem "$O/nomem.o"
expect "unexported memory: data reached through the code" "i32:42" "$B/nomem" peek 3
has "unexported memory: reached through __kiln_memory" '^__kiln_memory memory 0 0$' \
	"$B/nomem" --exports

# ---- a C extension built with clang --target=wasm32-wasi --------------------

compile_ok "compile a C extension" "$O/compute.o" "$OUT/compute.wasm" --max-memory 4MiB
check "link the C extension" link compute "$O/compute.o"
expect "C: fib(90)" "i64:2880067194370816120" "$B/compute" --fuel 1000000 _initialize -- fib 90
expect "C: collatz(27)" "i32:111" "$B/compute" --fuel 1000000 collatz 27
expect "C: malloc + qsort of 20000 numbers" "i32:1" "$B/compute" sort_check 20000
expect "C: malloc past --max-memory fails cleanly" "i32:-1" "$B/compute" sort_check 2000000
expect "C: a budget too small for the sort" "trap: fuel exhausted" "$B/compute" --fuel 10000 sort_check 20000
for c in gcc clang; do
	for lvl in 0 s 3; do
		compile_ok "C extension with --cc $c -O $lvl" "$O/compute-$c-$lvl.o" "$OUT/compute.wasm" \
			--cc $c -O $lvl
		if link "compute-$c-$lvl" "$O/compute-$c-$lvl.o" &&
			[ "$("$B/compute-$c-$lvl" --fuel 100000000 collatz 97)" = "i32:118" ]; then
			ok "C extension with --cc $c -O $lvl runs"
		else
			fail "C extension with --cc $c -O $lvl runs" "$(cat "$LOG")"
		fi
	done
done

# ---- wasm semantics cc must keep (found by check-spec) -------------------------

# call.wast "runaway", fac.wast "fac-rec": cc's sibling-call optimisation
# turned tail calls and accumulator recursion into loops, so they spun until
# fuel ran out (or returned) instead of exhausting the stack.
# float_exprs.wast "no_fold_*": gcc folded x - 0.0 to x, passing a
# signalling NaN through unquieted.
for c in gcc clang; do
	compile_ok "compile recursion.wat with --cc $c" "$O/recursion-$c.o" "$OUT/recursion.wasm" --cc $c
	check "link recursion ($c)" link "recursion-$c" "$O/recursion-$c.o"
	expect "no sibling-call optimisation ($c): a recursive tail call exhausts the stack" \
		"trap: stack exhaustion" "$B/recursion-$c" runaway
	expect "no sibling-call optimisation ($c): mutual tail calls exhaust the stack" \
		"trap: stack exhaustion" "$B/recursion-$c" ping
	expect "no sibling-call optimisation ($c): recursion under an accumulator exhausts the stack" \
		"trap: stack exhaustion" "$B/recursion-$c" fac 1073741824
	expect "the recursive fac still computes ($c)" "i64:3628800" "$B/recursion-$c" fac 10
	compile_ok "compile snan.wat with --cc $c" "$O/snan-$c.o" "$OUT/snan.wasm" --cc $c
	check "link snan ($c)" link "snan-$c" "$O/snan-$c.o"
	for f in f32_sub_zero f32_neg0_sub f32_mul_one f32_neg1_mul f32_div_one f32_div_neg1; do
		expect "signalling NaN quieted by $f ($c)" "i32:2143289344" "$B/snan-$c" $f 0x7fa00000
	done
	for f in f64_sub_zero f64_mul_one f64_div_neg1; do
		expect "signalling NaN quieted by $f ($c)" "i64:9221120237041090560" \
			"$B/snan-$c" $f 0x7ff4000000000000
	done
done

# table_init.wast, linking.wast: an imported function called through a
# table got a wrong context (wasm2c 1.0.32's element segment initialiser).
compile_ok "compile table_import.wat" "$O/table_import.o" "$OUT/table_import.wasm" \
	--allow-unknown-imports
check "link table_import" link table_import "$O/table_import.o"
expect "imported functions called directly" "i32:10" "$B/table_import" direct 2 3
expect "first import module's function through an active segment gets its context" "i32:5" \
	"$B/table_import" indirect 2 3 0
expect "second import module's function through an active segment gets its context" "i32:5" \
	"$B/table_import" indirect 2 3 1
expect "imported functions through table.init get their context" "i32:5
i32:5" "$B/table_import" init -- indirect 2 3 2 -- indirect 2 3 3

# Found while checking linking.wast: wasm2c 1.0.32 loads data segments
# before element segments; wasm does elements first.
compile_ok "compile elem_data_order.wat" "$O/elem_data_order.o" "$OUT/elem_data_order.wasm" \
	--allow-unknown-imports
check "link elem_data_order" link elem_data_order "$O/elem_data_order.o"
fails_with "element segments are applied before a data segment traps" 4 \
	'^env\.table: 2 entries set$' "$B/elem_data_order"
fails_with "the failed instantiation's trap kind" 4 '^instantiate: trap: out of bounds$' \
	"$B/elem_data_order"

# names.wast: an export name holding a NUL byte was refused ("cannot be
# passed to the runtime"); descriptors now carry name lengths.
compile_ok "compile: export names holding NUL bytes" "$O/nul_names.o" "$OUT/nul_names.wasm"
has "inspect: a NUL byte in a name is escaped" 'func +\\x00a +\(\) -> \(i32\)' "$KILN" inspect "$O/nul_names.o"
check "link nul_names" link nul_names "$O/nul_names.o"
expect "the empty name is not a prefix of one with a NUL byte" "i32:1" "$B/nul_names" ""

# ---- inspect ---------------------------------------------------------------

has "inspect: table" '^module ext$' "$KILN" inspect "$O/basic.o"
has "inspect: fuel on" 'fuel +on' "$KILN" inspect "$O/basic.o"
has "inspect: wasm2c version" 'wasm2c +1\.0\.32' "$KILN" inspect "$O/basic.o"
has "inspect: input sha256" "wasm sha256 +$(sha256sum "$OUT/basic.wasm" | cut -c1-64)" \
	"$KILN" inspect "$O/basic.o"
has "inspect: export signature" 'func +multi +\(i64\) -> \(i32, i64, f32, f64\)' "$KILN" inspect "$O/basic.o"
has "inspect: cc and level" 'cc +[^ ]+ -O2' "$KILN" inspect "$O/basic.o"
has "inspect --json: an array" '^\[$' "$KILN" inspect "$O/basic.o" --json
has "inspect --json: fields" '"instrumented_sha256": "[0-9a-f]{64}"' "$KILN" inspect "$O/basic.o" --json
has "inspect --json: max_memory null without a cap" '"max_memory": null' "$KILN" inspect "$O/basic.o" --json
has "inspect a linked binary" '^module ext$' "$KILN" inspect "$B/basic"
# two modules in one binary
compile_ok "compile module a" "$O/two-a.o" "$OUT/basic.wasm"
"$KILN" compile "$OUT/grow.wasm" -o "$O/two-b.o" --name second >"$LOG" 2>&1 ||
	fail "compile module b" "$(cat "$LOG")"
cat >"$OUT/two.c" <<'EOF'
#include <stdio.h>
#include "kiln_abi.h"
extern const struct kiln_module_desc kiln_module_ext, kiln_module_second;
int main(void) { printf("%s %s\n", kiln_module_ext.name, kiln_module_second.name); return 0; }
EOF
if $CC $HOST_CFLAGS $HOST_LDFLAGS -Iruntime -o "$B/two" "$OUT/two.c" "$O/two-a.o" "$O/two-b.o" \
	"$RT_LIB" $HOST_LIBS >"$LOG" 2>&1; then
	ok "link two modules into one binary"
else
	fail "link two modules into one binary" "$(cat "$LOG")"
fi
expect "inspect: both modules of a linked binary" "module ext
module second" sh -c "'$KILN' inspect '$B/two' | grep '^module'"
expect "inspect --json: both documents" "2" sh -c "'$KILN' inspect '$B/two' --json | grep -c '^    \"kiln_meta\"'"
fails_with "inspect: a non-ELF file" 1 'not an ELF file' "$KILN" inspect "$OUT/basic.wasm"
fails_with "inspect: an ELF file without metadata" 1 'no \.kiln\.meta section' "$KILN" inspect "$OUT/host.o"
fails_with "inspect: a missing file" 1 'cannot open' "$KILN" inspect "$OUT/nope.o"
fails_with "inspect: no file" 2 'usage' "$KILN" inspect

# ---- imports ---------------------------------------------------------------

has "check-imports: all provided" '^  ok +func +kiln\.log' "$KILN" check-imports "$OUT/wasi.wasm"
fails_with "check-imports: unprovided import" 1 'MISSING func +env\.sbrk' "$KILN" check-imports "$OUT/unprovided.wasm"
fails_with "check-imports: the reason" 1 'module "env" is not part of the host world' \
	"$KILN" check-imports "$OUT/unprovided.wasm"
fails_with "check-imports: signature mismatch, both signatures" 1 \
	'signature mismatch: the module imports \(i32\) -> \(i32\), the host world provides \(i32\) -> \(\)' \
	"$KILN" check-imports "$OUT/badsig.wasm"
fails_with "check-imports: a memory where the world has a function" 1 'MISSING memory kiln\.log' \
	"$KILN" check-imports "$OUT/kindmismatch.wasm"
fails_with "check-imports: the kind mismatch explained" 1 \
	'imported as a memory, but the host world provides a function' \
	"$KILN" check-imports "$OUT/kindmismatch.wasm"
compile_ok "compile: an imported memory (--allow-unknown-imports)" "$O/imported_mem.o" \
	"$OUT/imported_mem.wasm" --allow-unknown-imports
has "inspect: the imported memory" 'memory +env\.memory +1\.\. pages' "$KILN" inspect "$O/imported_mem.o"
compile_fail "compile: a message quoting a name with an escape byte" '"vec(\?|\\x1b)\[2J"' \
	"$OUT/hostile-simd.wasm" --allow-unknown-imports
if "$KILN" compile "$OUT/hostile-simd.wasm" -o "$O/x.o" --name ext 2>&1 | tr -d '\n' |
	grep -q "$(printf '\033')"; then
	fail "compile: no raw escape byte reaches the terminal"
else
	ok "compile: no raw escape byte reaches the terminal"
fi
fails_with "check-imports: control bytes are escaped" 1 '\\x1b\[31mevil' "$KILN" check-imports "$OUT/hostile.wasm"
if "$KILN" check-imports "$OUT/hostile.wasm" 2>&1 | tr -d '\n' | grep -q "$(printf '\033')"; then
	fail "check-imports: no raw escape byte reaches the terminal"
else
	ok "check-imports: no raw escape byte reaches the terminal"
fi
expect "check-imports: no imports" "$OUT/basic.wasm: 0 imports, 0 not provided by the host world" \
	"$KILN" check-imports "$OUT/basic.wasm"
fails_with "check-imports: not a wasm file" 1 'run\.sh' "$KILN" check-imports tests/e2e/run.sh
compile_fail "compile: unprovided import named" '"env"\."sbrk".*not provided.*not part of the host world' \
	"$OUT/unprovided.wasm"
compile_fail "compile: wrong signature, both signatures" \
	'"wasi_snapshot_preview1"\."proc_exit".*\(i32\) -> \(i32\).*\(i32\) -> \(\)' "$OUT/badsig.wasm"
compile_ok "compile: --allow-unknown-imports" "$O/unprovided.o" "$OUT/unprovided.wasm" --allow-unknown-imports
has "inspect: the unprovided import listed" 'func +env\.sbrk +\(i32\) -> \(i32\)' "$KILN" inspect "$O/unprovided.o"
compile_ok "compile: hostile names" "$O/hostile.o" "$OUT/hostile.wasm" --allow-unknown-imports
if nm "$O/hostile.o" | grep -q 'Z_extZ_Z0AZ1BZ5B2JZ5AJ\|Z_extZ_Z0AZ1B'; then
	ok "hostile names are mangled, not pasted"
else
	fail "hostile names are mangled, not pasted" "$(nm "$O/hostile.o" | grep Z_ext)"
fi
check "hostile names add no symbol of their own" sh -c "! nm '$O/hostile.o' | grep -qw x"
compile_fail "compile: an export name that ends a C comment is refused" \
	'comment_export\.wasm: export 0: the name "x \*/ int kiln_injected; /\* y" holds "\*/"' \
	"$OUT/comment_export.wasm"
compile_fail "compile: an import name that ends a C comment is refused" \
	'comment_import\.wasm: import 0: the name "env \*/ int kiln_injected; /\*" holds "\*/"' \
	"$OUT/comment_import.wasm" --allow-unknown-imports
compile_ok "compile: wasi and kiln imports" "$O/wasi.o" "$OUT/wasi.wasm"
has "inspect: wasi import signature" 'func +wasi_snapshot_preview1\.clock_time_get +\(i32, i64, i32\) -> \(i32\)' \
	"$KILN" inspect "$O/wasi.o"
check "wasi.o calls the host through wasm2c's symbols" sh -c \
	"nm -u '$O/wasi.o' | grep -q '^ *U Z_kilnZ_log$'"

# ---- bad input -----------------------------------------------------------------

compile_fail "missing input" 'nope\.wasm' "$OUT/nope.wasm"
compile_fail "input is a directory" "$OUT" "$OUT"
printf 'this is not wasm at all, just text\n' >"$OUT/garbage.wasm"
compile_fail "garbage" 'garbage\.wasm.*(magic|offset)' "$OUT/garbage.wasm"
: >"$OUT/empty.wasm"
compile_fail "empty file" 'empty\.wasm' "$OUT/empty.wasm"
head -c 40 "$OUT/basic.wasm" >"$OUT/truncated.wasm"
compile_fail "truncated file" 'truncated\.wasm.*offset' "$OUT/truncated.wasm"
printf '\000asm\002\000\000\000' >"$OUT/version.wasm"
compile_fail "wrong version" 'version\.wasm' "$OUT/version.wasm"
compile_fail "SIMD refused before wasm2c" 'simd\.wasm.*(v128|SIMD|simd)' "$OUT/simd.wasm"
compile_fail "invalid module: wasm2c's message with the input's name and offset" \
	'invalid\.wasm: offset 0x[0-9a-f]+: .*type mismatch' "$OUT/invalid.wasm"

# ---- bad options -----------------------------------------------------------------

compile_fail "bad --name (dash)" 'invalid --name "a-b"' "$OUT/basic.wasm" --name a-b
compile_fail "bad --name (digit first)" 'invalid --name "1x"' "$OUT/basic.wasm" --name 1x
compile_fail "bad --name (empty)" 'invalid --name ""' "$OUT/basic.wasm" --name ''
compile_fail "bad --max-memory" 'invalid size "16MB"' "$OUT/basic.wasm" --max-memory 16MB
compile_fail "--max-memory too large" 'invalid size' "$OUT/basic.wasm" --max-memory 5GiB
compile_fail "bad -O" 'invalid -O level "fast"' "$OUT/basic.wasm" -O fast
fails_with "no -o" 1 'no output file' "$KILN" compile "$OUT/basic.wasm" --name ext
fails_with "unknown option" 2 'unknown option --frobnicate' "$KILN" compile "$OUT/basic.wasm" --frobnicate
fails_with "no input" 2 'expected one input file' "$KILN" compile -o "$O/x.o" --name ext
compile_fail "output directory missing" 'cannot create a file beside' "$OUT/basic.wasm" \
	-o "$OUT/no/such/dir/x.o"

# ---- tools missing or failing ------------------------------------------------------

XENV=KILN_WASM2C=/nonexistent/wasm2c; compile_fail "wasm2c missing (path)" \
	'wasm2c not found \(looked for "/nonexistent/wasm2c"\)' "$OUT/basic.wasm"
XENV=KILN_WASM2C=kiln-no-such-wasm2c; compile_fail "wasm2c missing on PATH" \
	'wasm2c not found \(looked for "kiln-no-such-wasm2c" on PATH\)' "$OUT/basic.wasm"
mkdir -p "$OUT/fake"
printf '#!/bin/sh\necho 1.0.31\n' >"$OUT/fake/wasm2c-old"
printf '#!/bin/sh\n[ "$1" = --version ] && { echo 1.0.32; exit 0; }\nkill -ABRT $$\n' >"$OUT/fake/wasm2c-crash"
printf '#!/bin/sh\n[ "$1" = --version ] && { echo 1.0.32; exit 0; }\necho $$ >"%s/fake/slow.pid"\nexec sleep 30\n' "$(cd "$OUT" && pwd)" >"$OUT/fake/wasm2c-slow"
printf '#!/bin/sh\necho "glue.c:1:2: error: boom" >&2\necho "  1 | context line" >&2\nexit 1\n' >"$OUT/fake/cc-error"
chmod +x "$OUT"/fake/*
XENV=KILN_WASM2C=$OUT/fake/wasm2c-old; compile_fail "wasm2c of another version refused" \
	'reports version "1\.0\.31".*needs wasm2c 1\.0\.32' "$OUT/basic.wasm"
XENV=KILN_WASM2C=$OUT/fake/wasm2c-crash; compile_fail "wasm2c crashing" 'wasm2c crashed' "$OUT/basic.wasm"
compile_fail "cc failing" 'basic\.wasm: .*false.* failed \(exit status 1\)' "$OUT/basic.wasm" --cc false
compile_fail "cc diagnostics prefixed with the input's name" 'basic\.wasm: glue\.c:1:2: error: boom' \
	"$OUT/basic.wasm" --cc "$OUT/fake/cc-error"
compile_fail "cc missing" 'C compiler "/nonexistent/cc" not found' "$OUT/basic.wasm" --cc /nonexistent/cc
XENV=KILN_INCLUDE=/nonexistent; compile_fail "kiln_abi.h not found" 'KILN_INCLUDE=/nonexistent holds no kiln_abi.h' \
	"$OUT/basic.wasm"

# a signal while a tool runs: the tool is killed and temporaries removed
KILN_WASM2C=$OUT/fake/wasm2c-slow "$KILN" compile "$OUT/basic.wasm" -o "$O/sig.o" --name ext \
	>"$LOG" 2>&1 &
pid=$!
n=0
while [ ! -s "$OUT/fake/slow.pid" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
kill -TERM $pid
wait $pid 2>/dev/null
rc=$?
slow=$(cat "$OUT/fake/slow.pid" 2>/dev/null)
if [ $rc -eq 143 ] && [ ! -e "$O/sig.o" ] && no_leftovers && [ -n "$slow" ] &&
	! kill -0 "$slow" 2>/dev/null; then
	ok "SIGTERM during wasm2c: tool killed, nothing left behind"
else
	fail "SIGTERM during wasm2c: tool killed, nothing left behind" \
		"rc $rc; tool pid [$slow]; tmp: $(ls -A "$TMPDIR")"
	[ -n "$slow" ] && kill "$slow" 2>/dev/null
	rm -rf "${TMPDIR:?}"/*
fi

# ---- temporaries, reproducibility --------------------------------------------------

rm -rf "$OUT/keep"
compile_ok "--keep-temps" "$O/keep.o" "$OUT/basic.wasm" --keep-temps "$OUT/keep"
check "--keep-temps keeps the instrumented wasm, wasm2c output and glue" \
	test -s "$OUT/keep/ext.wasm" -a -s "$OUT/keep/ext.wasm2c.c" -a -s "$OUT/keep/ext.wasm2c.h" \
	-a -s "$OUT/keep/ext.kiln.c"
check "the kept instrumented wasm validates" wasm-validate "$OUT/keep/ext.wasm"
compile_ok "compile again" "$O/again.o" "$OUT/basic.wasm"
check "same input, same object (reproducible)" cmp "$O/basic.o" "$O/again.o"
check "same object with --keep-temps" cmp "$O/basic.o" "$O/keep.o"
mkdir -p "$OUT/elsewhere/tmp"
cp "$OUT/basic.wasm" "$OUT/elsewhere/renamed.wasm"
kiln_abs=$(cd "$(dirname "$KILN")" && pwd)/$(basename "$KILN")
if (cd "$OUT/elsewhere" && TMPDIR=$(pwd)/tmp "$kiln_abs" compile renamed.wasm -o far.o --name ext) \
	>"$LOG" 2>&1 && cmp "$O/basic.o" "$OUT/elsewhere/far.o" >>"$LOG" 2>&1; then
	ok "same object from another directory, input path and TMPDIR"
else
	fail "same object from another directory, input path and TMPDIR" "$(cat "$LOG")"
fi
check "no temporary path in the object" sh -c "! grep -q kiln-compile- '$O/basic.o'"
compile_ok "compile with -v" "$O/verbose.o" "$OUT/basic.wasm" -v
check "-v shows the steps" grep -q 'run: .*wasm2c' "$LOG"
chmod 000 "$O" 2>/dev/null
if [ "$(id -u)" != 0 ]; then
	compile_fail "unwritable output directory" 'cannot create a file beside' "$OUT/basic.wasm" -o "$O/x.o"
fi
chmod 755 "$O"
check "nothing left in TMPDIR or beside the outputs" no_leftovers

# ---- help ----------------------------------------------------------------------

for verb in compile inspect check-imports; do
	has "kiln $verb --help" "^usage: kiln $verb" "$KILN" $verb --help
done

finish
