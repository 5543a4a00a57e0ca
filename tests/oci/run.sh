#!/bin/sh
# tests/oci/run.sh — the `oci` suite: libkiln-oci and the kiln verbs
# against real components (Debian's docker-registry, skopeo, openssl,
# htpasswd) and our own hostile registry and token server, all on
# 127.0.0.1 with free ports, stopped by PID, in a temp dir removed on exit.
#
#   KILN=bin/kiln OCI_BIN=build/bin/default sh tests/oci/run.sh
SUITE=oci
. tests/lib.sh
KILN=$(realpath "${KILN:-bin/kiln}")
OCI_BIN=$(realpath "${OCI_BIN:-build/bin/default}")
HERE=$(dirname "$0")
. "$HERE/lib.sh"

# Nothing from the caller's environment may steer the tests elsewhere.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy
unset KILN_REGISTRY_USERNAME KILN_REGISTRY_PASSWORD KILN_AUTH_FILE KILN_WASM2C
T=$(mktemp -d "${TMPDIR:-/tmp}/kiln-oci-XXXXXX") || exit 1
trap oci_cleanup EXIT
trap 'exit 1' INT TERM
export XDG_CACHE_HOME=$T/cache

for tool in docker-registry skopeo openssl htpasswd script; do
	command -v $tool >/dev/null || { fail "tool $tool is installed (make deps)"; finish; exit 1; }
done

for part in registry layout lock sign auth interop hostile offline; do
	. "$HERE/$part.sh"
done

finish
