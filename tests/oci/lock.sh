# lock.sh (part of run.sh) — kiln lock and pull --locked.

WASM2C_VERSION=$(wasm2c --version)
expect_ok "kiln lock resolves a registry and a layout reference" "$T/o" \
	lock --store "$S" -o "$T/kiln.lock" "a=$PLAIN/kiln/a:1.0" "b=oci-layout:$T/lay:v1"
check "kiln.lock records the manifest digest" grep -q "\"digest\": \"$A_MAN\"" "$T/kiln.lock"
check "kiln.lock records the layer digest" grep -q "\"digest\": \"$(sha "$T/a.wasm")\"" "$T/kiln.lock"
check "kiln.lock records the wasm2c version" grep -q "\"wasm2c\": \"$WASM2C_VERSION\"" "$T/kiln.lock"
check "kiln.lock records media types and sizes" \
	grep -q "\"mediaType\": \"application/wasm\"" "$T/kiln.lock"
check "kiln.lock records the reference" grep -q "\"reference\": \"$PLAIN/kiln/a:1.0\"" "$T/kiln.lock"
expect_ok "pull --locked of a locked reference" "$T/o" \
	pull --locked --lock "$T/kiln.lock" --store "$S" "$PLAIN/kiln/a:1.0"
expect_ok "pull --locked with no reference pulls the whole lock" "$T/o" \
	pull --locked --lock "$T/kiln.lock" --store "$S"
check "... naming each extension" [ "$(grep -c '^name ' "$T/o")" -eq 2 ]
expect_err "pull --locked of a reference not in the lock" "not in .*kiln.lock" "$T/o" \
	pull --locked --lock "$T/kiln.lock" --store "$S" "$PLAIN/kiln/big:1"

# a tag that moves after locking
expect_ok "push the tag to lock" "$T/o" push --store "$S" "$T/a.wasm" "$PLAIN/kiln/moving:1"
expect_ok "lock it" "$T/o" lock --store "$S" -o "$T/moving.lock" "m=$PLAIN/kiln/moving:1"
cp "$T/moving.lock" "$T/moving.lock.orig"
expect_ok "move the tag to other bytes" "$T/o" push --store "$S" "$T/b.wasm" "$PLAIN/kiln/moving:1"
expect_err "pull --locked fails when the tag moved" "m: .*manifest is now sha256:[0-9a-f]{64}, kiln.lock has" \
	"$T/o" pull --locked --lock "$T/moving.lock" --store "$S" "$PLAIN/kiln/moving:1"
check "... and the lock is untouched" cmp -s "$T/moving.lock" "$T/moving.lock.orig"
expect_ok "a plain pull takes the new bytes" "$T/o" pull --store "$S" "$PLAIN/kiln/moving:1"
check "... which are the new module" cmp -s "$(field path "$T/o")" "$T/b.wasm"

# the wasm2c version is part of the lock
printf '#!/bin/sh\necho 9.9.9\n' >"$T/fake-wasm2c"
chmod +x "$T/fake-wasm2c"
KILN_WASM2C=$T/fake-wasm2c
export KILN_WASM2C
expect_err "pull --locked fails with another wasm2c" "made with wasm2c $WASM2C_VERSION, this machine has 9.9.9" \
	"$T/o" pull --locked --lock "$T/kiln.lock" --store "$S"
unset KILN_WASM2C

cp "$T/kiln.lock" "$T/kiln.lock.orig"
expect_err "lock fails on an unknown reference" "not found" "$T/o" \
	lock --store "$S" -o "$T/kiln.lock" "a=$PLAIN/kiln/a:1.0" "x=$PLAIN/kiln/missing:1"
check "... and leaves the previous lock byte for byte" cmp -s "$T/kiln.lock" "$T/kiln.lock.orig"
expect_err "lock refuses a name given twice" "named twice" "$T/o" \
	lock --store "$S" -o "$T/kiln.lock" "a=$PLAIN/kiln/a:1.0" "a=$PLAIN/kiln/a:1.0"
expect_err "lock refuses a malformed name" "extension name" "$T/o" \
	lock --store "$S" -o "$T/kiln.lock" "9a=$PLAIN/kiln/a:1.0"
printf '{"kilnLockVersion":1,"wasm2c":"x","extensions":{},"bogus":1}' >"$T/bad.lock"
expect_err "a malformed kiln.lock is refused" "unknown field \"bogus\"" "$T/o" \
	pull --locked --lock "$T/bad.lock" --store "$S"
