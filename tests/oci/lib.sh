# tests/oci/lib.sh — helpers for the OCI suites: servers started on
# 127.0.0.1 with free ports and stopped by PID, wasm files, store snapshots.
# Source after tests/lib.sh, with KILN, OCI_BIN and T (a temp dir) set.

PIDS=""

# Stop every server this suite started, by PID, then remove $T.
oci_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=""
	[ -n "${T:-}" ] && rm -rf "$T"
}

# stop_pid PID: stop one server we started.
stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $1 / /")
}

# leb N: N as unsigned LEB128 bytes.
leb() {
	v=$1
	while :; do
		b=$((v & 127)); v=$((v >> 7))
		[ "$v" -ne 0 ] && b=$((b | 128))
		printf "\\$(printf %o "$b")"
		[ "$v" -eq 0 ] && break
	done
}

# mkwasm FILE BYTES: a core module holding one custom section of BYTES
# random bytes (so every call makes a different module).
mkwasm() {
	{ printf '\000asm\001\000\000\000\000'; leb $(($2 + 2)); printf '\001k'
	  head -c "$2" /dev/urandom; } >"$1"
}

# flipbyte FILE OFFSET: invert every bit of the byte at OFFSET, so FILE is
# damaged whatever that byte held (writing a fixed byte into random data
# leaves it unchanged one time in 256).
flipbyte() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# sha FILE: "sha256:<hex>" of FILE.
sha() { echo "sha256:$(sha256sum "$1" | cut -c1-64)"; }

# field NAME FILE: the value of the "NAME value" line kiln printed.
field() { sed -n "s/^$1 //p" "$2" | head -n 1; }

# snap DIR: every file below DIR with its hash, sorted, to compare a store
# before and after a command.
snap() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs -r sha256sum); }

# start_registry NAME [HTTP_EXTRA [TOP_EXTRA]]: start docker-registry with
# a temp config and storage in $T/NAME; sets REG (127.0.0.1:PORT),
# REG_PID and REG_DIR.  HTTP_EXTRA goes in the http: block (TLS), TOP_EXTRA
# at the top level (auth).
start_registry() {
	REG_DIR=$T/$1
	mkdir -p "$REG_DIR/storage"
	for attempt in 1 2 3; do
		port=$("$OCI_BIN/oci-freeport")
		cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: kiln-test-not-secret
${2:-}
${3:-}
EOF
		docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
		REG_PID=$!
		PIDS="$PIDS $REG_PID"
		if "$OCI_BIN/oci-freeport" wait "$port" && kill -0 "$REG_PID" 2>/dev/null; then
			REG=127.0.0.1:$port
			return 0
		fi
		stop_pid "$REG_PID"
	done
	echo "cannot start docker-registry; its log:"; cat "$REG_DIR/log"
	return 1
}

# start_server NAME BINARY ARGS...: start one of our test servers, which
# writes its port to $T/NAME.port; sets SRV_PORT and SRV_PID.
start_server() {
	name=$1 bin=$2
	shift 2
	rm -f "$T/$name.port"
	"$OCI_BIN/$bin" "$T/$name.port" "$T/$name.log" "$@" >"$T/$name.out" 2>&1 &
	SRV_PID=$!
	PIDS="$PIDS $SRV_PID"
	for i in $(seq 1 100); do
		[ -s "$T/$name.port" ] && break
		sleep 0.05
	done
	SRV_PORT=$(cat "$T/$name.port" 2>/dev/null)
	[ -n "$SRV_PORT" ]
}

# run_kiln OUT ARGS...: run kiln with stdout+stderr in OUT; returns its status.
run_kiln() {
	out=$1
	shift
	"$KILN" "$@" >"$out" 2>&1
}

# expect_ok NAME OUT ARGS...: kiln must succeed.
expect_ok() {
	name=$1 out=$2
	shift 2
	if run_kiln "$out" "$@"; then ok "$name"; else fail "$name" "$(head -c 400 "$out")"; fi
}

# expect_err NAME PATTERN OUT ARGS...: kiln must fail (no signal) with a
# message matching PATTERN (grep -E).
expect_err() {
	name=$1 pat=$2 out=$3
	shift 3
	run_kiln "$out" "$@"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -Eq -- "$pat" "$out"; then
		ok "$name"
	else
		fail "$name" "exit $rc, want /$pat/: $(head -c 400 "$out")"
	fi
}
