# offline.sh (part of run.sh) — with the registry gone, --offline pulls,
# verifies and mirrors from the store alone.

stop_pid "$PLAIN_PID"
expect_ok "offline: pull a tag pulled before" "$T/o" pull --offline --store "$S" "$PLAIN/kiln/a:1.0"
check "offline: same manifest" [ "$(field manifest "$T/o")" = "$A_MAN" ]
check "offline: same bytes" cmp -s "$(field path "$T/o")" "$T/a.wasm"
expect_ok "offline: pull by digest" "$T/o" pull --offline --store "$S" "$PLAIN/kiln/a@$A_MAN"
expect_err "offline: something never pulled is an error" "kiln/never:1 is not in the store" "$T/o" \
	pull --offline --store "$S" "$PLAIN/kiln/never:1"
expect_err "without --offline the registry is needed" "Could not connect|Couldn't connect|Connection refused" "$T/o" \
	pull --retries 0 --store "$S" "$PLAIN/kiln/a:1.0"
expect_ok "offline: the signature is checked from the store" "$T/o" \
	verify --offline --store "$S" --key "$T/k1.pub" "$PLAIN/kiln/a:1.0"
expect_ok "offline: pull --locked" "$T/o" pull --offline --locked --lock "$T/kiln.lock" --store "$S"
expect_ok "offline: mirror from the store into a layout" "$T/o" \
	mirror --offline --store "$S" "$PLAIN/kiln/a:1.0" "oci-layout:$T/offline-mirror"
check "offline: the mirror keeps the digest" [ "$(field manifest "$T/o")" = "$A_MAN" ]
expect_err "offline: push is refused" "cannot push while offline|offline" "$T/o" \
	mirror --offline --store "$S" "oci-layout:$T/offline-mirror:1.0" "$PLAIN/kiln/back:1"
