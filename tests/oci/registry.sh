# registry.sh (part of run.sh) — push and pull against a real
# docker-registry: output format, digests, pinning, latest, usage, the
# progress bar, concurrent pulls and `kiln store verify`.

start_registry plain || { fail "docker-registry starts"; finish; exit 1; }
PLAIN=$REG PLAIN_PID=$REG_PID PLAIN_DIR=$REG_DIR
S=$T/store
mkwasm "$T/a.wasm" 3000
mkwasm "$T/b.wasm" 5000

expect_ok "push to a registry" "$T/push-a" push --store "$S" "$T/a.wasm" "$PLAIN/kiln/a:1.0"
A_MAN=$(field manifest "$T/push-a")
check "push prints the layer digest of the file" [ "$(field layer "$T/push-a")" = "$(sha "$T/a.wasm")" ]

expect_ok "pull from a registry" "$T/pull-a" pull --store "$S" "$PLAIN/kiln/a:1.0"
check "pull prints manifest, layer and path lines" \
	[ "$(cut -d' ' -f1 "$T/pull-a" | tr '\n' ' ')" = "manifest layer path " ]
check "pull resolves to the pushed manifest" [ "$(field manifest "$T/pull-a")" = "$A_MAN" ]
check "pull reports the layer digest" [ "$(field layer "$T/pull-a")" = "$(sha "$T/a.wasm")" ]
check "the path holds the module, byte for byte" cmp -s "$(field path "$T/pull-a")" "$T/a.wasm"
case $(field path "$T/pull-a") in
"$(realpath "$S")"/blobs/sha256/*) ok "the path is in the store" ;;
*) fail "the path is in the store" "$(field path "$T/pull-a")" ;;
esac
expect_ok "pull by digest" "$T/o" pull --store "$S" "$PLAIN/kiln/a@$A_MAN"
expect_ok "pull by tag and digest" "$T/o" pull --store "$S" "$PLAIN/kiln/a:1.0@$A_MAN"
expect_err "pull of an unknown digest fails" "not found \(HTTP 404" "$T/o" \
	pull --store "$S" "$PLAIN/kiln/a@$(sha "$T/b.wasm")"
expect_err "pull of an unknown tag fails" "manifest 9.9 not found" "$T/o" \
	pull --store "$S" "$PLAIN/kiln/a:9.9"
expect_err "a reference without a registry host is refused" "no registry host" "$T/o" \
	pull --store "$S" "kiln/a:1.0"

# latest must be pinned or explicitly allowed
expect_ok "push :latest" "$T/o" push --store "$S" "$T/a.wasm" "$PLAIN/kiln/a:latest"
expect_err "an unpinned :latest is refused" "not pinned" "$T/o" pull --store "$S" "$PLAIN/kiln/a:latest"
expect_err "an implied latest is refused" "not pinned" "$T/o" pull --store "$S" "$PLAIN/kiln/a"
expect_ok "--allow-latest accepts it" "$T/o" pull --allow-latest --store "$S" "$PLAIN/kiln/a:latest"

# usage
for verb in pull lock push mirror keygen sign verify store; do
	if "$KILN" $verb --help >"$T/help" 2>&1 && grep -q "^usage: kiln $verb" "$T/help"; then
		ok "kiln $verb --help"
	else
		fail "kiln $verb --help" "$(head -3 "$T/help")"
	fi
done
"$KILN" pull >"$T/o" 2>&1
check "pull without a reference is a usage error (exit 2)" [ $? -eq 2 ]
"$KILN" pull --no-such-option x >"$T/o" 2>&1
check "an unknown option is a usage error (exit 2)" [ $? -eq 2 ]

# progress bar: on a terminal only
mkwasm "$T/big.wasm" 3000000
expect_ok "push a 3 MB module" "$T/o" push --store "$S" "$T/big.wasm" "$PLAIN/kiln/big:1"
"$KILN" pull --store "$T/s-notty" "$PLAIN/kiln/big:1" >"$T/notty.out" 2>"$T/notty.err"
check "no progress output when stderr is not a terminal" \
	[ $? -eq 0 ] && [ ! -s "$T/notty.err" ]
script -qec "'$KILN' pull --store '$T/s-tty' '$PLAIN/kiln/big:1'" /dev/null >"$T/tty.out" 2>&1
check "a progress bar on a terminal" grep -q "100%.*MiB/s" "$T/tty.out"

expect_err "a layer above --max-blob-size is refused" "wasm layer is 3000015 bytes, more than the limit of 1048576" \
	"$T/o" pull --store "$T/s-limit" --max-blob-size 1M "$PLAIN/kiln/big:1"
check "... and nothing is stored" [ -z "$(find "$T/s-limit" -type f)" ]

# concurrent pulls of one artifact into one store
pids=""
for i in 1 2 3 4; do
	"$KILN" pull --store "$T/s-conc" "$PLAIN/kiln/big:1" >"$T/conc.$i" 2>&1 &
	pids="$pids $!"
done
conc_ok=1
for p in $pids; do wait "$p" || conc_ok=0; done
check "four concurrent pulls all succeed" [ $conc_ok -eq 1 ]
check "they all name the same verified file" \
	[ "$(cat "$T"/conc.* | sort -u | wc -l)" -eq 3 ]
check "the module in the store is whole" cmp -s "$(field path "$T/conc.1")" "$T/big.wasm"
check "no temp files are left" [ -z "$(ls "$T/s-conc/tmp")" ]
expect_ok "store verify finds nothing wrong" "$T/verify" store verify --store "$T/s-conc"
check "store verify counts the blobs" grep -q "^3 blobs checked, 0 damaged" "$T/verify"

# damage in the store is found, and a pull repairs it
blob=$(field path "$T/conc.1")
flipbyte "$blob" 100
expect_err "store verify reports a damaged blob" "damaged $blob" "$T/verify" store verify --store "$T/s-conc"
expect_ok "a pull replaces the damaged blob" "$T/o" pull --store "$T/s-conc" "$PLAIN/kiln/big:1"
check "the repaired blob is right" cmp -s "$blob" "$T/big.wasm"
expect_ok "store verify is clean again" "$T/o" store verify --store "$T/s-conc"
"$KILN" store path --store "$T/s-conc" >"$T/o" 2>&1
check "store path prints the absolute store" [ "$(cat "$T/o")" = "$(realpath "$T/s-conc")" ]
rm -rf "$T/s-conc" "$T/s-tty" "$T/s-notty" "$T/s-limit"
