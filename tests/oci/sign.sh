# sign.sh (part of run.sh) — keygen, sign, verify, signed pulls and locks,
# interoperability with openssl, and forged signatures.

expect_ok "keygen" "$T/o" keygen -o "$T/k1"
check "keygen prints the key id" grep -Eq "^key sha256:[0-9a-f]{64}$" "$T/o"
K1_ID=$(field key "$T/o")
check "the private key is mode 0600" [ "$(stat -c %a "$T/k1.key")" = 600 ]
check "the public key is SPKI PEM" grep -q "BEGIN PUBLIC KEY" "$T/k1.pub"
check "openssl reads the private key as Ed25519" sh -c "openssl pkey -in '$T/k1.key' -noout -text | grep -q ED25519"
expect_err "keygen never overwrites" "already exists" "$T/o" keygen -o "$T/k1"
expect_ok "a second key" "$T/o" keygen -o "$T/k2"

REF=$PLAIN/kiln/a:1.0
expect_ok "sign a registry artifact" "$T/o" sign --store "$S" --key "$T/k1.key" "$REF"
expect_ok "verify it" "$T/o" verify --store "$S" --key "$T/k1.pub" "$REF"
check "verify names the signed manifest" [ "$(field verified "$T/o")" = "$A_MAN" ]
expect_err "verify with another key fails" "bad signature: none of the 1 signature" "$T/o" \
	verify --store "$S" --key "$T/k2.pub" "$REF"
expect_err "verify of an unsigned artifact fails" "not signed" "$T/o" \
	verify --store "$S" --key "$T/k1.pub" "$PLAIN/kiln/big:1"
expect_ok "pull --key with a good signature" "$T/o" pull --store "$S" --key "$T/k1.pub" "$REF"
before=$(snap "$S")
expect_err "pull --key of an unsigned artifact fails" "not signed" "$T/o" \
	pull --store "$S" --key "$T/k1.pub" "$PLAIN/mirrored/a:copy"
check "... and stores nothing" [ "$(snap "$S")" = "$before" ]
expect_ok "a second signer adds a signature" "$T/o" sign --store "$S" --key "$T/k2.key" "$REF"
expect_ok "the first signature still verifies" "$T/o" verify --store "$S" --key "$T/k1.pub" "$REF"
expect_ok "the second one too" "$T/o" verify --store "$S" --key "$T/k2.pub" "$REF"

expect_ok "lock with a required key" "$T/o" \
	lock --store "$S" -o "$T/signed.lock" --key "$T/k1.pub" "a=$REF"
check "the lock records the signing key" \
	grep -q "\"key\": \"$K1_ID\"" "$T/signed.lock"
check "the lock records a signature" grep -q '"signature": "' "$T/signed.lock"
expect_ok "pull --locked --key" "$T/o" pull --locked --lock "$T/signed.lock" --store "$S" --key "$T/k1.pub"
expect_err "pull --locked without the key" "requires a signature by key" "$T/o" \
	pull --locked --lock "$T/signed.lock" --store "$S"
expect_err "pull --locked with another key" "requires key sha256:" "$T/o" \
	pull --locked --lock "$T/signed.lock" --store "$S" --key "$T/k2.pub"

expect_ok "mirror a signed artifact into a layout" "$T/o" mirror --store "$S" "$REF" "oci-layout:$T/signed"
expect_ok "the signature travelled with it" "$T/o" verify --store "$S" --key "$T/k1.pub" "oci-layout:$T/signed:1.0"

# openssl interoperability: its keys sign, and it verifies kiln's signatures
openssl genpkey -algorithm ed25519 -out "$T/o.key" 2>/dev/null
openssl pkey -in "$T/o.key" -pubout -out "$T/o.pub" 2>/dev/null
mkwasm "$T/c.wasm" 700
mkwasm "$T/d.wasm" 900
expect_ok "push into a fresh layout" "$T/o" push --store "$S" "$T/c.wasm" "oci-layout:$T/osl:v1"
C_MAN=$(field manifest "$T/o")
expect_ok "sign with an openssl-made key" "$T/o" sign --store "$S" --key "$T/o.key" "oci-layout:$T/osl:v1"
expect_ok "verify with the openssl public key" "$T/o" verify --store "$S" --key "$T/o.pub" "oci-layout:$T/osl:v1"
# Dig out the signature manifest, its payload and signature by hand.
sig_tag="sha256-$(echo "$C_MAN" | cut -c8-).sig"
sig_man=$(grep -o "\"org.opencontainers.image.ref.name\":\"$sig_tag\"},\"digest\":\"sha256:[0-9a-f]*\"" \
	"$T/osl/index.json" | sed 's/.*"digest":"sha256:\([0-9a-f]*\)"/\1/')
sig_doc=$T/osl/blobs/sha256/$sig_man
payload=$T/osl/blobs/sha256/$(grep -o '"digest":"sha256:[0-9a-f]*","mediaType":"application/vnd.dev.cosign.simplesigning.v1+json"' \
	"$sig_doc" | sed 's/"digest":"sha256:\([0-9a-f]*\)".*/\1/')
grep -o '"dev.cosignproject.cosign/signature":"[^"]*"' "$sig_doc" | sed 's/.*:"//; s/"$//' |
	openssl base64 -d -A >"$T/sig.bin"
check "the payload names the manifest (simple signing)" \
	grep -q "\"docker-manifest-digest\":\"$C_MAN\"},\"type\":\"cosign container image signature\"" "$payload"
check "openssl verifies kiln's Ed25519 signature" \
	sh -c "openssl pkeyutl -verify -pubin -inkey '$T/o.pub' -rawin -in '$payload' -sigfile '$T/sig.bin' | grep -q 'Signature Verified Successfully'"

# A valid signature copied from another artifact is not a signature of this one.
expect_ok "push a second artifact" "$T/o" push --store "$S" "$T/d.wasm" "oci-layout:$T/osl:v2"
D_MAN=$(field manifest "$T/o")
expect_ok "sign only the second" "$T/o" sign --store "$S" --key "$T/o.key" "oci-layout:$T/osl:v2"
cp -r "$T/osl" "$T/forged"
sed -i "s/sha256-$(echo "$C_MAN" | cut -c8-)\.sig/sha256-0000000000000000000000000000000000000000000000000000000000000000.sig/; s/sha256-$(echo "$D_MAN" | cut -c8-)\.sig/$sig_tag/" "$T/forged/index.json"
expect_err "a signature copied from another artifact is refused" "another artifact" "$T/o" \
	verify --store "$S" --key "$T/o.pub" "oci-layout:$T/forged:v1"

# A tampered signature: change one character, re-address the manifest.
b64=$(grep -o '"dev.cosignproject.cosign/signature":"[^"]*"' "$sig_doc" | sed 's/.*:"//; s/"$//')
first=$(echo "$b64" | cut -c1)
if [ "$first" = A ]; then other=B; else other=A; fi
sed "s|\"dev.cosignproject.cosign/signature\":\"$first|\"dev.cosignproject.cosign/signature\":\"$other|" \
	"$sig_doc" >"$T/tampered.json"
new=$(sha256sum "$T/tampered.json" | cut -c1-64)
cp -r "$T/osl" "$T/tamper"
cp "$T/tampered.json" "$T/tamper/blobs/sha256/$new"
sed -i "s/$sig_man/$new/" "$T/tamper/index.json"
expect_err "a tampered signature is refused" "bad signature" "$T/o" \
	verify --store "$S" --key "$T/o.pub" "oci-layout:$T/tamper:v1"
expect_err "... and a pull requiring it fails" "bad signature" "$T/o" \
	pull --store "$S" --key "$T/o.pub" "oci-layout:$T/tamper:v1"
