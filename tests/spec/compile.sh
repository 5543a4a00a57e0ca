#!/bin/sh
# tests/spec/compile.sh WASM OBJ NAME — compile one spec module for
# check-spec (run by tests/spec/runners.mk, KILN set; SPEC_KILN_CC, when
# set, is given to kiln compile as --cc).  Options must match
# SPEC_KILN_OPTIONS in spec_gen.c, which are part of the cache key.
# kiln compile writes OBJ only when it succeeds; on failure its messages
# stay in OBJ without .o plus .log (the runner quotes them) and this script
# still exits 0, so that one module cannot stop the other files' runners:
# the runner reports every assertion that needed the module as failed.
set -u
wasm=$1 obj=$2 name=$3
log=${obj%.o}.log
if "${KILN:-bin/kiln}" compile "$wasm" -o "$obj" --name "$name" --allow-unknown-imports \
	${SPEC_KILN_CC:+--cc "$SPEC_KILN_CC"} \
	>"$log" 2>&1; then
	rm -f "$log"
else
	# keep kiln's own message first: the notes about unknown imports
	# (--allow-unknown-imports) come before it
	{ grep -v 'is not provided:' "$log"; grep 'is not provided:' "$log"; } >"$log.tmp"
	mv "$log.tmp" "$log"
	echo "kiln compile $wasm failed: $(head -n 1 "$log")" >&2
fi
exit 0
