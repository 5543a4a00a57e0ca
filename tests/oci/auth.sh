# auth.sh (part of run.sh) — Basic authentication (htpasswd, bcrypt),
# bearer tokens from the registry's token mode, and HTTPS.

# Basic: docker-registry with an htpasswd file.
htpasswd -Bbn u p >"$T/htpasswd" 2>/dev/null
start_registry basic "" "auth:
  htpasswd:
    realm: kiln-test
    path: $T/htpasswd" || fail "docker-registry with htpasswd starts"
BASIC=$REG BASIC_PID=$REG_PID
expect_err "basic: a push without credentials is refused" "requires credentials \(HTTP 401, Basic" \
	"$T/o" push --store "$S" "$T/a.wasm" "$BASIC/kiln/a:1"
export KILN_REGISTRY_USERNAME=u KILN_REGISTRY_PASSWORD=p
expect_ok "basic: push with credentials from the environment" "$T/o" \
	push --store "$S" "$T/a.wasm" "$BASIC/kiln/a:1"
B_MAN=$(field manifest "$T/o")
expect_ok "basic: pull with credentials from the environment" "$T/o" pull --store "$T/s-basic" "$BASIC/kiln/a:1"
check "basic: the same manifest" [ "$(field manifest "$T/o")" = "$B_MAN" ]
KILN_REGISTRY_PASSWORD=wrong
expect_err "basic: a wrong password is refused" "refused the credentials of user \"u\"" "$T/o" \
	pull --store "$T/s-basic2" "$BASIC/kiln/a:1"
unset KILN_REGISTRY_USERNAME KILN_REGISTRY_PASSWORD
printf '{"auths":{"%s":{"auth":"%s"}}}' "$BASIC" "$(printf u:p | openssl base64 -A)" >"$T/auth.json"
expect_ok "basic: pull with an auth file" "$T/o" pull --store "$T/s-basic3" --auth-file "$T/auth.json" "$BASIC/kiln/a:1"
printf '{"auths":{"other.example":{"auth":"%s"}}}' "$(printf u:p | openssl base64 -A)" >"$T/auth2.json"
expect_err "basic: an auth file for another host is not used" "requires credentials" "$T/o" \
	pull --store "$T/s-basic3" --auth-file "$T/auth2.json" "$BASIC/kiln/a:1"
printf '{"auths":' >"$T/auth3.json"
expect_err "basic: a malformed auth file is an error" "auth3.json is not valid JSON" "$T/o" \
	pull --store "$T/s-basic3" --auth-file "$T/auth3.json" "$BASIC/kiln/a:1"
stop_pid "$BASIC_PID"

# Bearer: docker-registry in token mode, our token server signing JWTs.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tok.key" -out "$T/tok.crt" -days 2 \
	-subj /CN=kiln-test-token >/dev/null 2>&1
openssl x509 -in "$T/tok.crt" -outform DER | openssl base64 -A >"$T/tok.x5c"
start_server token oci-tokensrv "$T/tok.key" "$T/tok.x5c" kiln-issuer kiln-registry u:p ||
	fail "the token server starts"
TOKEN_PID=$SRV_PID
start_registry token "" "auth:
  token:
    realm: http://127.0.0.1:$SRV_PORT/token
    service: kiln-registry
    issuer: kiln-issuer
    rootcertbundle: $T/tok.crt" || fail "docker-registry in token mode starts"
TOKREG=$REG TOKREG_PID=$REG_PID
expect_err "bearer: without credentials the token server refuses" "token server .* refused an anonymous request" \
	"$T/o" push --store "$S" "$T/a.wasm" "$TOKREG/kiln/a:1"
export KILN_REGISTRY_USERNAME=u KILN_REGISTRY_PASSWORD=p
expect_ok "bearer: push with a token" "$T/o" push --store "$S" "$T/a.wasm" "$TOKREG/kiln/a:1"
T_MAN=$(field manifest "$T/o")
expect_ok "bearer: pull with a token" "$T/o" pull --store "$T/s-token" "$TOKREG/kiln/a:1"
check "bearer: the same manifest" [ "$(field manifest "$T/o")" = "$T_MAN" ]
check "bearer: the token server granted push" grep -Eq 'token granted service=kiln-registry access=.*"actions":\[("pull","push"|"push","pull")\]' "$T/token.log"
check "bearer: and a pull-only token" grep -q 'access=.*"actions":\["pull"\]' "$T/token.log"
KILN_REGISTRY_PASSWORD=wrong
expect_err "bearer: a wrong password is refused by the token server" "token server .* refused the credentials" \
	"$T/o" pull --store "$T/s-token2" "$TOKREG/kiln/a:1"
unset KILN_REGISTRY_USERNAME KILN_REGISTRY_PASSWORD
stop_pid "$TOKREG_PID"
stop_pid "$TOKEN_PID"

# HTTPS: a registry with a certificate for registry.test, reached through
# --resolve (still 127.0.0.1); trusted only with --ca-file.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 \
	-subj /CN=registry.test -addext "subjectAltName=DNS:registry.test" >/dev/null 2>&1
start_registry tls "  tls:
    certificate: $T/tls.crt
    key: $T/tls.key" || fail "docker-registry with TLS starts"
TLS=registry.test:${REG#127.0.0.1:} TLS_PID=$REG_PID
expect_err "https: an untrusted certificate is refused" "TLS: .*(certificate|issuer)" "$T/o" \
	push --store "$S" --retries 0 --resolve "$TLS:127.0.0.1" "$T/a.wasm" "$TLS/kiln/a:1"
expect_ok "https: push with --ca-file" "$T/o" \
	push --store "$S" --resolve "$TLS:127.0.0.1" --ca-file "$T/tls.crt" "$T/a.wasm" "$TLS/kiln/a:1"
expect_ok "https: pull with --ca-file" "$T/o" \
	pull --store "$T/s-tls" --resolve "$TLS:127.0.0.1" --ca-file "$T/tls.crt" "$TLS/kiln/a:1"
check "https: the module arrived" cmp -s "$(field path "$T/o")" "$T/a.wasm"
expect_err "https: --insecure-registry means plain HTTP, which a TLS registry refuses" "Empty reply|reset|HTTP 400|Received HTTP/0.9|unexpected|network" "$T/o" \
	pull --store "$T/s-tls2" --retries 0 --resolve "$TLS:127.0.0.1" --insecure-registry "$TLS" "$TLS/kiln/a:1"
stop_pid "$TLS_PID"
PLAIN_AS_NAME=plain.test:${PLAIN#127.0.0.1:}
expect_err "https: a registry that is not loopback gets HTTPS, never plain HTTP" "TLS: " "$T/o" \
	pull --store "$T/s-tls2" --retries 0 --resolve "$PLAIN_AS_NAME:127.0.0.1" "$PLAIN_AS_NAME/kiln/a:1.0"
expect_ok "https: ... unless it is named with --insecure-registry" "$T/o" \
	pull --store "$T/s-tls2" --resolve "$PLAIN_AS_NAME:127.0.0.1" --insecure-registry plain.test "$PLAIN_AS_NAME/kiln/a:1.0"
rm -rf "$T/s-basic" "$T/s-basic2" "$T/s-basic3" "$T/s-token" "$T/s-token2" "$T/s-tls" "$T/s-tls2"
