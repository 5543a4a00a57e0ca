# layout.sh (part of run.sh) — OCI image-layout directories: push into
# one, pull from one, and mirror between a registry and a layout.

expect_ok "push into a layout" "$T/o" push --store "$S" "$T/a.wasm" "oci-layout:$T/lay:v1"
L_MAN=$(field manifest "$T/o")
check "the layout has an oci-layout file" grep -q '"imageLayoutVersion":"1.0.0"' "$T/lay/oci-layout"
check "index.json tags the manifest" \
	grep -q "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"},\"digest\":\"$L_MAN\"" \
	"$T/lay/index.json"
check "the layer is in blobs/sha256" cmp -s "$T/lay/blobs/sha256/$(sha "$T/a.wasm" | cut -c8-)" "$T/a.wasm"
L_DOC=$T/lay/blobs/sha256/$(echo "$L_MAN" | cut -c8-)
check "the manifest is OCI with a wasm config" \
	grep -q '"config":{"digest":"sha256:[0-9a-f]*","mediaType":"application/vnd.wasm.config.v0+json"' "$L_DOC"
check "the manifest has org.opencontainers.image annotations" \
	grep -q '"annotations":{"org.opencontainers.image.created":"[0-9TZ:-]*","org.opencontainers.image.title":"a.wasm","org.opencontainers.image.version":"v1"}' "$L_DOC"
expect_ok "push with an extra annotation and a fixed time" "$T/o" push --store "$S" \
	--annotation org.opencontainers.image.source=https://example.invalid/ext \
	--created 2024-01-02T03:04:05Z "$T/a.wasm" "oci-layout:$T/lay:v2"
check "... which lands in the manifest" grep -q '"org.opencontainers.image.source":"https://example.invalid/ext"' \
	"$T/lay/blobs/sha256/$(field manifest "$T/o" | cut -c8-)"
first=$(field manifest "$T/o")
expect_ok "the same push again" "$T/o" push --store "$S" \
	--annotation org.opencontainers.image.source=https://example.invalid/ext \
	--created 2024-01-02T03:04:05Z "$T/a.wasm" "oci-layout:$T/lay:v2"
check "... gives the same digest (reproducible)" [ "$(field manifest "$T/o")" = "$first" ]
printf 'not wasm' >"$T/notwasm"
expect_err "push refuses a file that is not a core module" "not a WebAssembly module" "$T/o" \
	push --store "$S" "$T/notwasm" "oci-layout:$T/lay:bad"
printf '\000asm\015\000\001\000' >"$T/component.wasm"
expect_err "push refuses a component" "WebAssembly component" "$T/o" \
	push --store "$S" "$T/component.wasm" "oci-layout:$T/lay:bad"
expect_ok "pull from a layout" "$T/o" pull --store "$S" "oci-layout:$T/lay:v1"
check "the layout pull names the pushed manifest" [ "$(field manifest "$T/o")" = "$L_MAN" ]
check "the layout pull gives the module" cmp -s "$(field path "$T/o")" "$T/a.wasm"
expect_err "a missing layout tag fails" "no manifest tagged \"v9\"" "$T/o" pull --store "$S" "oci-layout:$T/lay:v9"
expect_err "a directory that is not a layout fails" "not an OCI image layout" "$T/o" \
	pull --store "$S" "oci-layout:$T/nothing:v1"

expect_ok "mirror a registry artifact into a layout" "$T/o" \
	mirror --store "$S" "$PLAIN/kiln/a:1.0" "oci-layout:$T/mirror"
check "the mirror keeps the digest" [ "$(field manifest "$T/o")" = "$A_MAN" ]
expect_ok "pull the mirrored copy" "$T/o" pull --store "$S" "oci-layout:$T/mirror:1.0"
check "the mirrored copy has the same manifest" [ "$(field manifest "$T/o")" = "$A_MAN" ]
expect_ok "pull the mirrored copy by digest" "$T/o" pull --store "$S" "oci-layout:$T/mirror@$A_MAN"
expect_ok "mirror a layout into a registry" "$T/o" \
	mirror --store "$S" "oci-layout:$T/mirror:1.0" "$PLAIN/mirrored/a:copy"
expect_ok "pull what was mirrored into the registry" "$T/o" pull --store "$S" "$PLAIN/mirrored/a:copy"
check "registry -> layout -> registry keeps the digest" [ "$(field manifest "$T/o")" = "$A_MAN" ]
