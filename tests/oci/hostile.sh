# hostile.sh (part of run.sh) — every hostile case gives a clear error,
# leaves nothing in the store (no temp files either) and leaves the
# previous kiln.lock byte for byte.  Misbehaviour comes from the real
# registry (a tampered blob) and from fakereg (everything else).

start_server fake oci-fakereg || fail "the fake registry starts"
FAKE=127.0.0.1:$SRV_PORT
FR="--resolve other.test:$SRV_PORT:127.0.0.1 --resolve public.test:$SRV_PORT:127.0.0.1 --insecure-registry other.test:$SRV_PORT"

# A store and a lock that hostile commands must not change.
HS=$T/hstore
HL=$T/hostile.lock
expect_ok "hostile: a store with something in it" "$T/o" pull --store "$HS" "$PLAIN/kiln/a:1.0"
expect_ok "hostile: a good kiln.lock" "$T/o" lock --store "$HS" -o "$HL" "a=$PLAIN/kiln/a:1.0"
cp "$HL" "$T/hostile.lock.orig"

# hostile NAME PATTERN REF [OPTIONS...]: pull and lock must both fail with
# PATTERN, the store and the lock must stay as they were.
hostile() {
	h_name=$1 h_pat=$2 h_ref=$3
	shift 3
	h_before=$(snap "$HS")
	expect_err "$h_name: pull fails clearly" "$h_pat" "$T/h.out" pull --store "$HS" --retries 1 "$@" "$h_ref"
	check "$h_name: nothing left in the store" [ "$(snap "$HS")" = "$h_before" ]
	expect_err "$h_name: lock fails clearly" "$h_pat" "$T/h.out" lock --store "$HS" --retries 1 -o "$HL" "$@" "x=$h_ref"
	check "$h_name: kiln.lock untouched" cmp -s "$HL" "$T/hostile.lock.orig"
	check "$h_name: still nothing in the store" [ "$(snap "$HS")" = "$h_before" ]
}

# 1. A blob tampered with inside the registry's storage.
mkwasm "$T/t.wasm" 4000
expect_ok "push an artifact to tamper with" "$T/o" push --store "$T/s-push" "$T/t.wasm" "$PLAIN/kiln/tamper:1"
data=$(find "$PLAIN_DIR/storage" -path "*/blobs/sha256/*/$(sha "$T/t.wasm" | cut -c8-)/data")
flipbyte "$data" 2000
hostile "tampered blob" "wasm layer digest mismatch: expected $(sha "$T/t.wasm"), got sha256:" "$PLAIN/kiln/tamper:1"

# Controls: the fake registry's good artifact pulls, into another store.
expect_ok "fake registry: the good artifact pulls" "$T/o" pull --store "$T/fstore" "$FAKE/h/ok:v1"
OK_MAN=$(field manifest "$T/o")

# 2-18. The fake registry's misbehaviours.
hostile "manifest body not matching the requested digest" "manifest digest mismatch: asked for $OK_MAN, the body hashes to" \
	"$FAKE/h/body-mismatch:v1@$OK_MAN"
hostile "manifest body not matching Docker-Content-Digest" "manifest digest mismatch: Docker-Content-Digest says" \
	"$FAKE/h/digest-header:v1"
hostile "two layers" "expected exactly one wasm layer, found 2 layers" "$FAKE/h/two-layers:v1"
hostile "wrong layer media type" "layer 0: media type \"application/vnd.oci.image.layer.v1.tar\+gzip\" is not application/wasm" \
	"$FAKE/h/layer-type:v1"
hostile "wrong config media type" "config media type \"application/vnd.oci.image.config.v1\+json\" is not a wasm config" \
	"$FAKE/h/config-type:v1"
hostile "wrong manifest media type" "Docker schema 1 manifests are not supported" "$FAKE/h/manifest-type:v1"
hostile "malformed JSON" "manifest is not valid JSON: byte [0-9]+" "$FAKE/h/bad-json:v1"
hostile "huge Content-Length on a manifest" "announces 10737418240 bytes \(Content-Length\) for the manifest, more than the limit of 4194304" \
	"$FAKE/h/huge-manifest:v1"
hostile "huge Content-Length on a blob" "announces 10737418240 bytes \(Content-Length\) for the wasm layer, its descriptor says 1024" \
	"$FAKE/h/huge-blob:v1"
hostile "truncated body" "truncated body: .*(after 2 attempts)" "$FAKE/h/truncated:v1"
hostile "401 without credentials" "requires credentials \(HTTP 401, Basic realm \"fakereg\"\)" "$FAKE/h/401:v1"
export KILN_REGISTRY_USERNAME=u KILN_REGISTRY_PASSWORD=p
hostile "401 with credentials" "refused the credentials of user \"u\" \(HTTP 401\)" "$FAKE/h/401:v1"
unset KILN_REGISTRY_USERNAME KILN_REGISTRY_PASSWORD
hostile "404" "manifest v1 not found \(HTTP 404: MANIFEST_UNKNOWN: manifest unknown\)" "$FAKE/h/404:v1"
hostile "429" "HTTP 429 \(TOOMANYREQUESTS: slow down\) after 2 attempts" "$FAKE/h/429:v1"
hostile "500" "HTTP 500 \(internal error\) after 2 attempts" "$FAKE/h/500:v1"
export KILN_REGISTRY_USERNAME=u KILN_REGISTRY_PASSWORD=p
# shellcheck disable=SC2086
hostile "redirect to another host that wants credentials" \
	"redirected to other.test:$SRV_PORT, which answered HTTP 401; kiln never forwards credentials" \
	"$FAKE/h/redirect-auth:v1" $FR
# shellcheck disable=SC2086
hostile "redirect to another host over plain HTTP" "refusing plain HTTP to public.test:$SRV_PORT" \
	"$FAKE/h/redirect-http:v1" $FR
unset KILN_REGISTRY_USERNAME KILN_REGISTRY_PASSWORD
check "hostile: no temp file anywhere in the store" [ -z "$(ls "$HS/tmp")" ]

# What must work despite the registry: retries, Retry-After, redirects.
t0=$(date +%s%N)
expect_ok "a 429 with Retry-After: 1 is retried" "$T/o" pull --store "$T/fstore" "$FAKE/h/429-once:v1"
t1=$(date +%s%N)
check "... after waiting the second it asked for" [ $(((t1 - t0) / 1000000)) -ge 1000 ]
expect_ok "a 500 is retried" "$T/o" pull --store "$T/fstore" "$FAKE/h/500-once:v1"
export KILN_REGISTRY_USERNAME=u KILN_REGISTRY_PASSWORD=p
# shellcheck disable=SC2086
expect_ok "a redirect to another host is followed" "$T/o" pull --store "$T/fstore2" $FR "$FAKE/h/redirect:v1"
unset KILN_REGISTRY_USERNAME KILN_REGISTRY_PASSWORD
check "... with credentials on the registry" grep -q "^$FAKE GET /v2/h/redirect/blobs/.* auth=1$" "$T/fake.log"
check "... and none on the other host" grep -q "^other.test:$SRV_PORT GET /v2/h/redirect/blobs/.* auth=0$" "$T/fake.log"
check "Authorization never reached another host" sh -c "! grep -q '^other.test.*auth=1' '$T/fake.log' && ! grep -q '^public.test' '$T/fake.log'"
