#!/bin/sh
# tests/spec/spec.sh RUN_DIR CACHE JSON... — the spec conformance suite
# (check-spec): every module of the 90 non-SIMD spec files through
# `kiln compile` (fuel on), linked with libkiln-rt into one runner per
# file, and every assert_return, assert_trap, assert_exhaustion and
# assert_uninstantiable checked (23,764).
#
#   1. kiln-spec-gen plans the run: gen.c per file, spec.mk, files
#   2. make -f tests/spec/runners.mk -j$JOBS compiles what the cache
#      (CACHE/<key>.o, keyed by module, options and tool identity) lacks
#      and links the runners
#   3. the runners run, $JOBS at a time; each ends "NAME: N passed, M failed"
#
# A runner that dies or miscounts has all of its file's assertions that it
# did not report passed counted as failed.  Ends with
# "spec: N passed, M failed".
#
# Environment (set by tests/spec/build.mk): KILN, SPEC_GEN, MAKE, JOBS,
# CC, SPEC_CFLAGS, SPEC_LDFLAGS, SPEC_LDLIBS, RT_LIB, SPEC_RUNNER_OBJ;
# SPEC_KILN_CC (optional) is the C compiler kiln compile gives the modules
# (its --cc; by default $CC), SPEC_NAME the suite's name (spec).
set -u
SPEC_NAME=${SPEC_NAME:-spec}
export SPEC_KILN_CC="${SPEC_KILN_CC:-}"
RUN=$1 CACHE=$2
shift 2
JOBS=${JOBS:-2}
MAKE=${MAKE:-make}
EXPECT_ASSERTIONS=23764
# wast2json's output: DIR/NAME/NAME.json and the modules beside it
JSON_DIR=$(dirname "$(dirname "$1")")
mkdir -p "$RUN" "$CACHE"
t0=$(date +%s)

# What the objects depend on besides the module and the options.
cc_id=$("$CC" --version 2>/dev/null | head -n 1)
tool_id="kiln $(sha256sum <"$KILN" | cut -c1-64)
kiln_abi.h $(sha256sum <runtime/kiln_abi.h | cut -c1-64)
cc ${CC}: $cc_id
kiln cc ${SPEC_KILN_CC:-(\$CC)}: $("${SPEC_KILN_CC:-$CC}" --version 2>/dev/null | head -n 1)
wasm2c $(wasm2c --version 2>&1)"

if ! "$SPEC_GEN" --out "$RUN" --cache "$CACHE" --tool-id "$tool_id" "$@" >"$RUN/gen.log" 2>&1; then
	cat "$RUN/gen.log"
	echo "$SPEC_NAME: 0 passed, $EXPECT_ASSERTIONS failed"
	exit 1
fi
cat "$RUN/gen.log"
missing=0
for o in $(sed -n 's|^\$(SPEC_CACHE)/\([0-9a-f]*\)\.o:.*|\1|p' "$RUN/spec.mk"); do
	[ -f "$CACHE/$o.o" ] || missing=$((missing + 1))
done
echo "$SPEC_NAME: $missing modules to compile (the others are cached in $CACHE)"

"$MAKE" --no-print-directory -k -j"$JOBS" -f tests/spec/runners.mk SPEC_RUN_DIR="$RUN" \
	SPEC_CACHE="$CACHE" KILN="$KILN" CC="$CC" SPEC_CFLAGS="$SPEC_CFLAGS" \
	SPEC_LDFLAGS="$SPEC_LDFLAGS" SPEC_LDLIBS="$SPEC_LDLIBS" RT_LIB="$RT_LIB" \
	SPEC_RUNNER_OBJ="$SPEC_RUNNER_OBJ" >"$RUN/build.log" 2>&1
rc=$?
grep -v '^make' "$RUN/build.log" | head -n 40
[ $rc -ne 0 ] && echo "$SPEC_NAME: building the runners failed (exit status $rc); see $RUN/build.log"
t1=$(date +%s)

# Keep the cache from growing with every kiln binary: drop what this plan
# does not use once it is a day old (another flavour's objects, made by its
# own kiln binary, survive a day of alternating runs).
sed -n 's|^\$(SPEC_CACHE)/\([0-9a-f]*\)\.o:.*|\1|p' "$RUN/spec.mk" >"$RUN/keys"
find "$CACHE" -maxdepth 1 -type f \( -name '*.o' -o -name '*.log' \) -mtime +0 |
	grep -v -F -f "$RUN/keys" | xargs -r rm -f

# Run: one runner per file, JOBS at a time.
cut -d' ' -f1 "$RUN/files" | xargs -P "$JOBS" -I{} sh -c \
	'"$1/$2/runner" "$3/$2/$2.json" --cache "$4" >"$1/$2/out" 2>&1; echo $? >"$1/$2/status"' \
	sh "$RUN" {} "$JSON_DIR" "$CACHE"
t2=$(date +%s)

passed=0 failed=0 total=0
while read -r name expected; do
	total=$((total + expected))
	out=$RUN/$name/out
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed\$" "$out" 2>/dev/null | tail -n 1)
	grep '^FAIL' "$out" 2>/dev/null | head -n 50
	if [ -z "$line" ]; then
		echo "FAIL $name.wast: the runner ended without a tally (exit status" \
			"$(cat "$RUN/$name/status" 2>/dev/null)): $(tail -n 3 "$out" 2>/dev/null)"
		failed=$((failed + expected))
		continue
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/')
	f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/')
	[ "$(grep -c '^FAIL' "$out")" -gt 50 ] && echo "... $name: more failures in $out"
	# a runner that checked fewer assertions than its file has: the rest failed
	[ $((p + f)) -lt "$expected" ] && f=$((expected - p))
	passed=$((passed + p))
	failed=$((failed + f))
done <"$RUN/files"
# A runner that did not build may still be there from an earlier run: the
# build's failure counts on its own.
if [ $rc -ne 0 ]; then
	echo "FAIL building the runners failed (exit status $rc): a runner may be stale"
	failed=$((failed + 1))
fi
if [ "$total" -ne $EXPECT_ASSERTIONS ]; then
	echo "FAIL the files hold $total counted assertions, expected $EXPECT_ASSERTIONS"
	failed=$((failed + 1))
fi
echo "$SPEC_NAME: $(wc -l <"$RUN/files") files, $total assertions; build $((t1 - t0)) s, run $((t2 - t1)) s with $JOBS jobs"
echo "$SPEC_NAME: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
