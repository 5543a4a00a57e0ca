# interop.sh (part of run.sh) — skopeo both ways, digests unchanged.

# A layout made by hand (not by kiln), pushed by skopeo, pulled by kiln.
mkdir -p "$T/hand/blobs/sha256"
mkwasm "$T/e.wasm" 1500
cp "$T/e.wasm" "$T/hand/blobs/sha256/$(sha "$T/e.wasm" | cut -c8-)"
printf '{"architecture":"wasm","layerDigests":["%s"],"os":"wasip1"}' "$(sha "$T/e.wasm")" >"$T/hand.cfg"
cp "$T/hand.cfg" "$T/hand/blobs/sha256/$(sha "$T/hand.cfg" | cut -c8-)"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/wasm","digest":"%s","size":%d}]}' \
	"$(sha "$T/hand.cfg")" "$(stat -c %s "$T/hand.cfg")" "$(sha "$T/e.wasm")" "$(stat -c %s "$T/e.wasm")" >"$T/hand.man"
HAND_MAN=$(sha "$T/hand.man")
cp "$T/hand.man" "$T/hand/blobs/sha256/$(echo "$HAND_MAN" | cut -c8-)"
printf '{"imageLayoutVersion":"1.0.0"}' >"$T/hand/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
	"$HAND_MAN" "$(stat -c %s "$T/hand.man")" >"$T/hand/index.json"
if skopeo copy -q --dest-tls-verify=false "oci:$T/hand:v1" "docker://$PLAIN/interop/from-skopeo:v1" >"$T/sko.out" 2>&1; then
	ok "skopeo pushes a wasm artifact from a layout"
else
	fail "skopeo pushes a wasm artifact from a layout" "$(head -c 400 "$T/sko.out")"
fi
expect_ok "kiln pulls what skopeo pushed" "$T/o" pull --store "$S" "$PLAIN/interop/from-skopeo:v1"
check "... with the same manifest digest" [ "$(field manifest "$T/o")" = "$HAND_MAN" ]
check "... and the same layer digest" [ "$(field layer "$T/o")" = "$(sha "$T/e.wasm")" ]
check "... and the same bytes" cmp -s "$(field path "$T/o")" "$T/e.wasm"
expect_ok "kiln reads the hand-made layout too" "$T/o" pull --store "$S" "oci-layout:$T/hand:v1"
check "... with the same manifest digest" [ "$(field manifest "$T/o")" = "$HAND_MAN" ]

# Pushed by kiln, copied by skopeo into a layout.
expect_ok "kiln pushes" "$T/o" push --store "$S" "$T/e.wasm" "$PLAIN/interop/from-kiln:v1"
K_MAN=$(field manifest "$T/o")
if skopeo copy -q --src-tls-verify=false "docker://$PLAIN/interop/from-kiln:v1" "oci:$T/skolay:v1" >"$T/sko.out" 2>&1; then
	ok "skopeo copies kiln's artifact into a layout"
else
	fail "skopeo copies kiln's artifact into a layout" "$(head -c 400 "$T/sko.out")"
fi
check "skopeo's layout has kiln's manifest digest" grep -q "\"digest\":\"$K_MAN\"" "$T/skolay/index.json"
check "skopeo's layout has the same layer bytes" \
	cmp -s "$T/skolay/blobs/sha256/$(sha "$T/e.wasm" | cut -c8-)" "$T/e.wasm"
check "skopeo's manifest blob hashes to kiln's digest" \
	[ "$(sha "$T/skolay/blobs/sha256/$(echo "$K_MAN" | cut -c8-)")" = "$K_MAN" ]
expect_ok "kiln pulls from skopeo's layout" "$T/o" pull --store "$S" "oci-layout:$T/skolay:v1"
check "... with identical digests" [ "$(field manifest "$T/o")" = "$K_MAN" ] && \
	[ "$(field layer "$T/o")" = "$(sha "$T/e.wasm")" ]
