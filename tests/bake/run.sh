#!/bin/sh
# tests/bake/run.sh OUT — the check-bake suite: kiln bake, kiln lock -f,
# kiln verify-binary, kiln inspect of host binaries and sdk/kiln.mk, on the
# .wat extensions beside this file, pushed into an OCI layout directory with
# kiln push.  Everything happens under OUT (removed first); kiln's private
# temporary directories go to OUT/tmp so that leftovers can be seen.
#
# Environment (set by tests/bake/build.mk): KILN (absolute), SDK (absolute
# sdk/ directory), CC, MAKE, HOST_LDFLAGS (sanitizer flags of this flavour,
# for links against an installed runtime), SKIP_INSTALL (non-empty: skip
# the installed-kiln case).
SUITE=bake
. tests/lib.sh

OUT=$1
SRC=$(pwd)/tests/bake
KILN=${KILN:?}
SDK=${SDK:?}
CC=${CC:-cc}
MAKE=${MAKE:-make}
HOST_LDFLAGS=${HOST_LDFLAGS:-}

rm -rf "$OUT"
mkdir -p "$OUT/tmp"
T=$(cd "$OUT" && pwd)
TMPDIR=$T/tmp
export TMPDIR
# nothing inherited may change what the bake writes
unset SOURCE_DATE_EPOCH KILN_INCLUDE KILN_LIBDIR KILN_WASM2C MAKEFLAGS MFLAGS
LOG=$T/log

# ---- helpers ----------------------------------------------------------------

# run_ok DESC CMD...: CMD succeeds (output in $LOG).
run_ok() {
	d=$1; shift
	if "$@" >"$LOG" 2>&1; then ok "$d"; else fail "$d" "$(tail -n 5 "$LOG")"; fi
}

# run_err DESC PATTERN CMD...: CMD exits 1 and says PATTERN (grep -E).
run_err() {
	d=$1 pat=$2; shift 2
	"$@" >"$LOG" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -Eq -- "$pat" "$LOG"; then
		ok "$d"
	else
		fail "$d" "exit $rc, wanted /$pat/: $(tail -n 3 "$LOG")"
	fi
}

# said PATTERN: the last command's output matches PATTERN (grep -E).
said() { grep -Eq -- "$1" "$LOG"; }

no_temps() { [ -z "$(ls -A "$TMPDIR")" ]; }

# snap DIR: names, modes and hashes of everything below DIR.
snap() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs -r sha256sum); }

# mtimes DIR: the modification times of DIR's files.
mtimes() { (cd "$1" && find . -type f -printf '%p %T@\n' | LC_ALL=C sort); }

# mtime FILE
mtime() { stat -c %Y.%y "$1"; }

# inp DIR CMD...: run CMD in DIR (hosts run from the directory of kiln.yaml)
inp() ( cd "$1" || exit 1; shift; "$@" )

# the throwaway host project PROJ, built through sdk/kiln.mk (SDKDIR)
new_project() {
	mkdir -p "$1"
	cp "$SRC/host.c" "$1/"
	cp "$SRC/project.mk" "$1/Makefile"
}
# pmake PROJ SDKDIR [ARGS...]: make in the project.
pmake() {
	p=$1 s=$2; shift 2
	# kiln.mk finds the kiln beside it: none from this environment
	env -u KILN $MAKE -C "$p" --no-print-directory KILN_SDK="$s" CC="$CC" \
		LDFLAGS="$HOST_LDFLAGS" "$@"
}

# ---- fixtures: the extensions, pushed into a layout ------------------------------

S=$T/store
L=$T/lay
for m in add mul spin proto9 protovar; do
	wat2wasm "$SRC/$m.wat" -o "$T/$m.wasm" || fail "wat2wasm $m"
	"$KILN" push --store "$S" --created 2024-01-01T00:00:00Z "$T/$m.wasm" "oci-layout:$L:$m" \
		>"$T/$m.push" 2>&1 || fail "push $m" "$(cat "$T/$m.push")"
	eval "M_$m=\$(sed -n 's/^manifest //p' \"\$T/\$m.push\")"
done
check "kiln push made a layout with every fixture" [ -n "$M_add" ] && [ -n "$M_protovar" ]

# yaml FILE: write a kiln.yaml from stdin with @LAY@ and @M_x@ expanded
yaml() {
	sed -e "s|@LAY@|$L|g" -e "s|@M_add@|$M_add|g" -e "s|@M_mul@|$M_mul|g" \
	    -e "s|@M_spin@|$M_spin|g" -e "s|@M_proto9@|$M_proto9|g" \
	    -e "s|@M_protovar@|$M_protovar|g" >"$1"
}

P=$T/p
mkdir -p "$P"
yaml "$P/kiln.yaml" <<'EOF'
version: 1
extensions:
  - name: add
    ref: oci-layout:@LAY@:add@@M_add@
    protocol: 1
    grants:
      memory: 1MiB
      fuel_per_call: 5000000
      soft_deadline: 500ms
      hard_deadline: 2s
      args: [add, --fast]
      env: {LANG: C}
      env_inherit: [TZ]
      mounts:
        - {host: data, guest: /data, mode: rw}
      stdout: log
      stderr: file:err.txt
      clocks: [monotonic]
      random: true
  - name: mul
    ref: oci-layout:@LAY@:mul@@M_mul@
  - name: spin
    ref: oci-layout:@LAY@:spin@@M_spin@
    grants:
      fuel_per_call: 200000
EOF
mkdir -p "$P/data"

# ---- cold and warm bakes -----------------------------------------------------------

B=$P/out
run_ok "cold bake" "$KILN" bake -f "$P/kiln.yaml" -o "$B" --store "$S" -j 2
check "... compiles the three extensions and the registry" \
	said "3 extensions: 3 compiled, 0 cached, registry compiled"
check "... writes an object per extension, the registry and kiln.mk" \
	[ -s "$B/add.o" ] && [ -s "$B/mul.o" ] && [ -s "$B/spin.o" ] && [ -s "$B/kiln_registry.c" ] &&
	[ -s "$B/kiln_registry.o" ] && [ -s "$B/kiln.mk" ]
check "... leaves no temporary file" no_temps
check "... and nothing half-named in the output" [ -z "$(find "$B" -name '*.kiln-*' ! -name .kiln-bake-files)" ]
check "kiln.mk lists the objects" grep -q '^KILN_OBJS := $(KILN_BAKE_DIR)/add.o $(KILN_BAKE_DIR)/mul.o $(KILN_BAKE_DIR)/spin.o $(KILN_BAKE_DIR)/kiln_registry.o$' "$B/kiln.mk"
check "kiln.mk links libkiln-rt with its libraries" grep -Eq '^KILN_RT_LIB := /.*/libkiln-rt\.a$' "$B/kiln.mk" &&
	grep -q '^KILN_LDLIBS := $(KILN_RT_LIB) -lsodium -lpthread -lm' "$B/kiln.mk"
check "the registry holds the grants as initialisers" grep -q '\.fuel_per_call = 5000000ull' "$B/kiln_registry.c"
check "the registry routes stdout to the engine's log" grep -q 'KILN_WASI_STDIO_LOG, .log = kiln_wasi_log_to_engine' "$B/kiln_registry.c"
check "the registry names neither the store nor a temporary directory" \
	sh -c "! grep -Eq '$S|$TMPDIR|kiln-(bake|compile)-' '$B/kiln_registry.c'"
before=$(mtimes "$B")
run_ok "warm bake" "$KILN" bake -f "$P/kiln.yaml" -o "$B" --store "$S"
check "... compiles nothing and says so" said "3 extensions, nothing to compile \(all 4 objects cached\)"
check "... leaves the objects untouched (make relinks nothing)" \
	[ "$(mtimes "$B" | grep -v kiln.mk)" = "$(echo "$before" | grep -v kiln.mk)" ]
run_ok "warm bake --offline" "$KILN" bake -f "$P/kiln.yaml" -o "$B" --store "$S" --offline
check "... reads the verified store only" said "nothing to compile"

# -j: two compiles overlap, one at a time with -j 1 (a C compiler that takes
# a second and logs when it starts and ends)
cat >"$T/slowcc" <<EOF
#!/bin/sh
case "\$*" in *--version*) exec "$CC" "\$@";; esac
echo "start \$\$" >>"$T/cc.log"; sleep 1
"$CC" "\$@"; rc=\$?
echo "end \$\$" >>"$T/cc.log"; exit \$rc
EOF
chmod +x "$T/slowcc"
yaml "$T/j.yaml" <<'EOF'
version: 1
extensions:
  - {name: a, ref: "oci-layout:@LAY@:add@@M_add@"}
  - {name: b, ref: "oci-layout:@LAY@:mul@@M_mul@"}
EOF
rm -f "$T/cc.log"
run_ok "bake -j 2" "$KILN" bake -f "$T/j.yaml" -o "$T/j2" --store "$S" --cache "$T/cj2" -j 2 --cc "$T/slowcc"
check "... runs two compiles at once" [ "$(head -n 2 "$T/cc.log" | cut -d' ' -f1 | tr '\n' ' ')" = "start start " ]
rm -f "$T/cc.log"
run_ok "bake -j 1" "$KILN" bake -f "$T/j.yaml" -o "$T/j1" --store "$S" --cache "$T/cj1" -j 1 --cc "$T/slowcc"
check "... runs them one after the other" [ "$(cut -d' ' -f1 "$T/cc.log" | tr '\n' ' ')" = "start end start end start end " ]
check "-j 1 and -j 2 give the same objects" cmp -s "$T/j1/a.o" "$T/j2/a.o"

# ---- the host through sdk/kiln.mk -----------------------------------------------

new_project "$P"
run_ok "make builds the host through sdk/kiln.mk" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S"
H=$P/host
run_ok "the host lists the baked extensions" inp "$P" ./host list
check "... all three, in kiln.yaml order" [ "$(sed -n 1p "$LOG")" = 3 ] &&
	[ "$(sed -n '2,4p' "$LOG" | cut -d' ' -f1 | tr '\n' ' ')" = "add mul spin " ]
check "... with reference and digests" grep -q "^add oci-layout:$L:add@$M_add $M_add sha256:" "$LOG"
run_ok "kiln_extension_find + call" inp "$P" ./host call add add 40 2
check "... add(40, 2) = 42" said "^add\(40, 2\) = 42$"
run_ok "a second extension" inp "$P" ./host call mul mul 6 7
check "... mul(6, 7) = 42" said "^mul\(6, 7\) = 42$"
run_ok "kiln_extension_find of an unknown name is NULL" inp "$P" ./host missing nosuch
run_ok "the grants come from kiln.yaml" inp "$P" ./host grants add
check "... fuel, memory, deadlines" said "^fuel_per_call 5000000$" && said "^memory 1048576$" &&
	said "^soft_ns 500000000$" && said "^hard_ns 2000000000$"
check "... args, env, inherited env" said "^arg add$" && said "^arg --fast$" && said "^env LANG=C$" &&
	said "^env_inherit TZ$"
check "... mount, stdio, clocks, random" said "^mount data /data rw$" && said "^stdio 1 log$" &&
	said "^stdio 2 file err.txt$" && said "^stdio 0 null$" && said "^clocks 0 1 random 1$"
run_ok "the fuel grant stops a runaway call" inp "$P" ./host spin spin
check "... as fuel exhausted after about 200000 units" said "^trap: fuel exhausted after 2[0-9]{5} fuel$"
run_ok "grants overridden in code" inp "$P" ./host spin spin 3000
check "... with the host's budget" said "^trap: fuel exhausted after 3[0-9]{3} fuel$"
run_ok "make again does nothing" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S"
check "... nothing to be done" said "Nothing to be done|is up to date"

# the layout changed (another tag pushed): make bakes again, which finds
# nothing to do, and relinks nothing
host_before=$(mtime "$H")
"$KILN" push --store "$S" "$T/mul.wasm" "oci-layout:$L:another" >/dev/null 2>&1
run_ok "make after the oci-layout changed" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S"
check "... bakes again (kiln.mk lists the layout among its inputs)" said "nothing to compile"
check "... and relinks nothing" [ "$(mtime "$H")" = "$host_before" ]

# change one grant: only the registry is rebuilt, then the host relinked
obj_before=$(mtime "$P/kiln-out/add.o") reg_before=$(mtime "$P/kiln-out/kiln_registry.o")
host_before=$(mtime "$H")
sleep 1
sed -i 's/fuel_per_call: 200000/fuel_per_call: 300000/' "$P/kiln.yaml"
run_ok "make after a grant changed in kiln.yaml" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S"
check "... bakes again, compiling no extension" said "3 extensions: 0 compiled, 3 cached, registry compiled"
check "... keeps every extension object" [ "$(mtime "$P/kiln-out/add.o")" = "$obj_before" ]
check "... rebuilds the registry object" [ "$(mtime "$P/kiln-out/kiln_registry.o")" != "$reg_before" ]
check "... relinks the host" [ "$(mtime "$H")" != "$host_before" ]
run_ok "... which has the new grant" inp "$P" ./host spin spin
check "... 300000 fuel" said "^trap: fuel exhausted after 3[0-9]{5} fuel$"
# change a memory cap: that extension alone is compiled again
sleep 1
sed -i 's/memory: 1MiB/memory: 2MiB/' "$P/kiln.yaml"
run_ok "make after a memory cap changed" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S"
check "... compiles that extension only" said "^bake: add +compiled" && said "3 extensions: 1 compiled, 2 cached"
# add an extension
cat >>"$P/kiln.yaml" <<EOF
  - name: add2
    ref: oci-layout:$L:add@$M_add
EOF
run_ok "make after an extension was added" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S"
check "... compiles it only" said "^bake: add2 +compiled" && said "4 extensions: 1 compiled, 3 cached"
run_ok "... and the host finds it" inp "$P" ./host call add2 add 1 2
# drop it again: its object goes away
sed -i '/name: add2/,$d' "$P/kiln.yaml"
run_ok "make after an extension was removed" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S"
check "... removes its object from the output" [ ! -e "$P/kiln-out/add2.o" ]
run_ok "... and the host no longer has it" inp "$P" ./host missing add2
run_ok "make kiln-inspect" pmake "$P" "$SDK" KILN_BAKE_FLAGS="--store $S" KILN_HOST=host kiln-inspect
check "... inspects the host" said "^extension add$"

# ---- inspect --------------------------------------------------------------------

run_ok "kiln inspect HOST_BINARY" "$KILN" inspect "$H"
check "... lists every extension" [ "$(grep -c '^extension ' "$LOG")" = 3 ]
check "... with its reference" said "^  reference +oci-layout:$L:add@$M_add$"
check "... manifest and wasm digests" said "^  manifest +$M_add$" &&
	said "^  wasm +$(sha256sum "$T/add.wasm" | sed 's/^\([0-9a-f]*\).*/sha256:\1/')$"
check "... wasm2c version and fuel" said "^  wasm2c +1\.0\.32$" && said "^  fuel +on$"
check "... protocol" said "^  protocol +1$"
check "... grants" said "^    memory +2 MiB$" && said "^    fuel per call +5000000$" &&
	said "^    mounts +data -> /data \(rw\)$" && said "^    stdin/out/err +null / log / file:err.txt$"
check "... exports" said "^    func +add +\(i32, i32\) -> \(i32\)$"
check "... and no bare module left over" [ "$(grep -c '^module ' "$LOG")" = 0 ]
run_ok "kiln inspect --json HOST_BINARY" "$KILN" inspect --json "$H"
check "... holds a bake document per extension" [ "$(grep -c '"kiln_bake": 1' "$LOG")" = 3 ]

# a binary whose bake documents lie: wrong types, control bytes, a doc
# claiming an extension twice, one without digests
cat >"$T/hostile.c" <<'EOF2'
__attribute__((section(".kiln.meta"), used)) static const char a[] =
	"{\"kiln_bake\":1,\"name\":\"evil\\u001b]0;pwned\\u0007\",\"reference\":7,"
	"\"grants\":{\"memory\":\"lots\",\"args\":{\"x\":[1]},\"mounts\":[{\"host\":\"\\u001b[2J\","
	"\"mode\":\"\\u001b[31m\"},5],\"env\":[{}],\"stdout\":null}}";
__attribute__((section(".kiln.meta"), used)) static const char b[] =
	"{\"kiln_bake\":1,\"name\":\"evil\\u001b]0;pwned\\u0007\",\"grants\":[]}";
__attribute__((section(".kiln.meta"), used)) static const char c[] = "{\"kiln_bake\":1}";
int main(void) { return 0; }
EOF2
$CC -o "$T/hostile" "$T/hostile.c"
"$KILN" inspect "$T/hostile" >"$LOG" 2>&1
check "inspect of lying bake documents exits 0" [ $? -eq 0 ]
check "... escapes control bytes" sh -c "! grep -q \"\$(printf '\\033')\" '$LOG'" && said 'evil\\x1b\]0;pwned\\x07'
check "... and says what it cannot read" said "^  reference +\?$" && said "object +MISSING"

# ---- kiln lock -f and verify-binary --------------------------------------------------

run_ok "kiln lock -f kiln.yaml" "$KILN" lock -f "$P/kiln.yaml" --store "$S"
check "... writes kiln.lock beside kiln.yaml" [ -s "$P/kiln.lock" ]
check "... with the references as kiln.yaml writes them" grep -q "\"reference\": \"oci-layout:$L:add@$M_add\"" "$P/kiln.lock"
run_ok "verify-binary: good" "$KILN" verify-binary "$H" "$P/kiln.lock"
check "... one ok line per extension" [ "$(grep -c '^ok ' "$LOG")" = 3 ]
# a lock of other bytes for "mul"
yaml "$T/other.yaml" <<'EOF'
version: 1
extensions:
  - {name: add, ref: "oci-layout:@LAY@:add@@M_add@"}
  - {name: mul, ref: "oci-layout:@LAY@:spin@@M_spin@"}
  - {name: spin, ref: "oci-layout:@LAY@:spin@@M_spin@"}
EOF
run_ok "a lock pinning other bytes" "$KILN" lock -f "$T/other.yaml" -o "$T/other.lock" --store "$S"
run_err "verify-binary: a different digest" "mul: different manifest: .* holds $M_mul, .* pins $M_spin" \
	"$KILN" verify-binary "$H" "$T/other.lock"
yaml "$T/more.yaml" <<'EOF'
version: 1
extensions:
  - {name: add, ref: "oci-layout:@LAY@:add@@M_add@"}
  - {name: mul, ref: "oci-layout:@LAY@:mul@@M_mul@"}
  - {name: spin, ref: "oci-layout:@LAY@:spin@@M_spin@"}
  - {name: extra, ref: "oci-layout:@LAY@:mul@@M_mul@"}
EOF
run_ok "a lock with one more extension" "$KILN" lock -f "$T/more.yaml" -o "$T/more.lock" --store "$S"
run_err "verify-binary: a locked extension is missing" "extra: missing: .* pins it but .* does not hold it" \
	"$KILN" verify-binary "$H" "$T/more.lock"
yaml "$T/less.yaml" <<'EOF'
version: 1
extensions:
  - {name: add, ref: "oci-layout:@LAY@:add@@M_add@"}
  - {name: mul, ref: "oci-layout:@LAY@:mul@@M_mul@"}
EOF
run_ok "a lock with one extension less" "$KILN" lock -f "$T/less.yaml" -o "$T/less.lock" --store "$S"
run_err "verify-binary: an extra extension" "spin: extra: baked into" "$KILN" verify-binary "$H" "$T/less.lock"
run_err "verify-binary: not a binary" "not an ELF file" "$KILN" verify-binary "$P/kiln.yaml" "$P/kiln.lock"
run_err "verify-binary: a binary with no extensions" "no .kiln.meta section" \
	"$KILN" verify-binary /bin/true "$P/kiln.lock"
run_err "verify-binary of lying documents" "lacks name or digests" \
	"$KILN" verify-binary "$T/hostile" "$P/kiln.lock"

# ---- --locked, and tags resolved through kiln.lock ---------------------------------

run_ok "bake --locked with a matching lock" "$KILN" bake -f "$P/kiln.yaml" -o "$P/kiln-out" --store "$S" --locked
cp "$P/kiln.lock" "$T/saved.lock"
before=$(snap "$P/kiln-out")
cp "$P/kiln.yaml" "$T/saved.yaml"
sed -i "s|oci-layout:$L:mul@$M_mul|oci-layout:$L:spin@$M_spin|" "$P/kiln.yaml"
run_err "bake --locked: a ref that differs from kiln.lock" "kiln.yaml:21:10: --locked: ref .* differs from" \
	"$KILN" bake -f "$P/kiln.yaml" -o "$P/kiln-out" --store "$S" --locked
check "... leaves the output directory as it was" [ "$(snap "$P/kiln-out")" = "$before" ]
run_ok "without --locked, the same bake goes ahead" \
	"$KILN" bake -f "$P/kiln.yaml" -o "$T/unlocked" --store "$S"
check "... warning that kiln.lock is out of date for mul" \
	said "warning: .*kiln.lock pins mul to another reference .*: run kiln lock -f"
cp "$T/saved.yaml" "$P/kiln.yaml"
cp "$T/less.lock" "$P/kiln.lock"
run_err "bake --locked: an extension kiln.lock lacks" "--locked: extension \"spin\" is not in" \
	"$KILN" bake -f "$P/kiln.yaml" -o "$P/kiln-out" --store "$S" --locked
cp "$T/more.lock" "$P/kiln.lock"
run_err "bake --locked: kiln.lock has an extension kiln.yaml lacks" "has extension \"extra\", which .* does not list" \
	"$KILN" bake -f "$P/kiln.yaml" -o "$P/kiln-out" --store "$S" --locked
rm -f "$P/kiln.lock"
run_err "bake --locked without kiln.lock" "kiln.lock: not found; --locked needs it" \
	"$KILN" bake -f "$P/kiln.yaml" -o "$P/kiln-out" --store "$S" --locked
cp "$T/saved.lock" "$P/kiln.lock"

Q=$T/tag
mkdir -p "$Q"
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add\n' "$L" >"$Q/kiln.yaml"
run_err "a tag kiln.lock does not resolve is refused" "kiln.yaml:4:10: ref: .* is a tag and .* does not resolve it" \
	"$KILN" bake -f "$Q/kiln.yaml" -o "$Q/out" --store "$S"
run_ok "kiln lock -f resolves the tag" "$KILN" lock -f "$Q/kiln.yaml" --store "$S"
run_ok "then the bake uses the lock" "$KILN" bake -f "$Q/kiln.yaml" -o "$Q/out" --store "$S" --locked
check "... baking the locked manifest" grep -q "\.manifest_digest = \"$M_add\"" "$Q/out/kiln_registry.c"
"$KILN" push --store "$S" "$T/mul.wasm" "oci-layout:$L:add" >/dev/null 2>&1
run_ok "the tag moves to other bytes: the bake still uses the locked digest" \
	"$KILN" bake -f "$Q/kiln.yaml" -o "$Q/out" --store "$S"
check "... (the registry still names the locked manifest)" grep -q "\.manifest_digest = \"$M_add\"" "$Q/out/kiln_registry.c"

# ---- signatures -------------------------------------------------------------------

"$KILN" keygen -o "$T/k1" >/dev/null 2>&1 && "$KILN" keygen -o "$T/k2" >/dev/null 2>&1
"$KILN" sign --store "$S" --key "$T/k1.key" "oci-layout:$L:mul@$M_mul" >/dev/null 2>&1
cp "$T/k1.pub" "$T/k2.pub" "$P/" 2>/dev/null
Z=$T/sig
mkdir -p "$Z"
cp "$T/k1.pub" "$T/k2.pub" "$Z/"
printf 'version: 1\nextensions:\n  - name: mul\n    ref: oci-layout:%s:mul@%s\n    key: k1.pub\n' "$L" "$M_mul" >"$Z/kiln.yaml"
run_ok "a required signature that verifies" "$KILN" bake -f "$Z/kiln.yaml" -o "$Z/out" --store "$S"
check "... is recorded in the registry" grep -q 'signed_by\\":\\"sha256:' "$Z/out/kiln_registry.c"
sed -i 's/k1.pub/k2.pub/' "$Z/kiln.yaml"
run_err "a signature by another key is refused" "mul: .*(signature|key)" \
	"$KILN" bake -f "$Z/kiln.yaml" -o "$Z/out2" --store "$S"
check "... and nothing is written" [ ! -e "$Z/out2" ]
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add@%s\n    key: k1.pub\n' "$L" "$M_add" >"$Z/kiln.yaml"
run_err "a required signature that is missing is refused" "add: .*not signed" \
	"$KILN" bake -f "$Z/kiln.yaml" -o "$Z/out3" --store "$S"
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add@%s\n    key: kiln.yaml\n' "$L" "$M_add" >"$Z/kiln.yaml"
run_err "a key that is not a public key" "kiln.yaml:5:10: key: " "$KILN" bake -f "$Z/kiln.yaml" -o "$Z/out3" --store "$S"

# ---- configuration values (they need the runtime's kiln host API) ----------------------

C=$T/config
new_project "$C"
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add@%s\n    grants:\n      config: {greeting: "hello, world", count: 3}\n' \
	"$L" "$M_add" >"$C/kiln.yaml"
if grep -q KILN_CONFIG_ENOTFOUND "$(dirname "$KILN")/../runtime/kiln_rt.h" 2>/dev/null ||
	grep -q KILN_CONFIG_ENOTFOUND "$(sed -n 's/^KILN_INCLUDE_DIR := //p' "$B/kiln.mk")/kiln_rt.h"; then
	run_ok "configuration values are baked" pmake "$C" "$SDK" KILN_BAKE_FLAGS="--store $S"
	run_ok "... and reach the grants" inp "$C" ./host grants add
	check "... in kiln.yaml order" said "^config greeting=hello, world$" && said "^config count=3$"
else
	run_err "configuration values need a runtime with kiln.config_get" \
		"this kiln runtime has no kiln.config_get" "$KILN" bake -f "$C/kiln.yaml" -o "$C/out" --store "$S"
	ok "... (the host API is not in this runtime yet)"
fi

# ---- stdout and stderr routed to the engine's log (needs WASI in the runtime) --------------

W=$T/wasi
new_project "$W"
wat2wasm "$SRC/hello.wat" -o "$T/hello.wasm" &&
	"$KILN" push --store "$S" "$T/hello.wasm" "oci-layout:$L:hello" >"$T/hello.push" 2>&1
printf 'version: 1\nextensions:\n  - name: hello\n    ref: oci-layout:%s:hello@%s\n    grants:\n      stdout: log\n      stderr: log\n' \
	"$L" "$(sed -n 's/^manifest //p' "$T/hello.push")" >"$W/kiln.yaml"
if nm "$(sed -n 's/^KILN_RT_LIB := //p' "$B/kiln.mk")" 2>/dev/null | grep -q ' T Z_wasi_snapshot_preview1Z_fd_write$'; then
	run_ok "a WASI extension with stdout and stderr routed to the log" pmake "$W" "$SDK" KILN_BAKE_FLAGS="--store $S"
	run_ok "... runs" inp "$W" ./host hello hello
	check "... its stdout lines reach the engine's log at info level" \
		said "^log 2 hello: hello from wasm$" && said "^log 2 hello: second line$"
	check "... its stderr at warning level" said "^log 1 hello: to stderr$"
else
	ok "stdout/stderr to the log (skipped: this runtime has no WASI imports yet)"
fi

# ---- relative paths: read relative to kiln.yaml, recorded as written ----------------------

RP=$T/rel/proj
mkdir -p "$RP/keys" "$RP/in"
cp -R "$L" "$T/rel/lay"
cp "$T/k1.pub" "$RP/keys/"
printf 'version: 1\nextensions:\n  - name: mul\n    ref: oci-layout:../lay:mul@%s\n    key: keys/k1.pub\n    grants:\n      mounts: [{host: in, guest: /in}]\n' \
	"$M_mul" >"$RP/kiln.yaml"
run_ok "relative layout, key and mount, baked from another directory" \
	inp "$T" "$KILN" bake -f rel/proj/kiln.yaml -o rel/out --store "$S"
check "... the registry keeps the reference as written" \
	grep -q "\.reference = \"oci-layout:\.\./lay:mul@$M_mul\"" "$T/rel/out/kiln_registry.c"
check "... and the mount's host path" grep -q '{"in", "/in", false}' "$T/rel/out/kiln_registry.c"
run_ok "kiln lock -f from another directory" inp "$T" "$KILN" lock -f rel/proj/kiln.yaml --store "$S"
check "... writes kiln.lock beside kiln.yaml, reference as written" \
	grep -q "\"reference\": \"oci-layout:\.\./lay:mul@$M_mul\"" "$RP/kiln.lock"
run_ok "... which bake --locked accepts" inp "$RP" "$KILN" bake -o ../out2 --store "$S" --locked
check "... giving the same registry" cmp -s "$T/rel/out/kiln_registry.c" "$T/rel/out2/kiln_registry.c"

# ---- refusals, with the kiln.yaml position, leaving the output as it was ------------------

R=$T/refuse
mkdir -p "$R"
cp -R "$P/kiln-out" "$R/out"
before=$(snap "$R/out")
printf 'version: 1\nextensions:\n  - name: spin\n    ref: oci-layout:%s:spin@%s\n    grants:\n      memory: 64KiB\n' "$L" "$M_spin" >"$R/kiln.yaml"
run_err "a memory cap below the module's initial memory" \
	"kiln.yaml:6:15: grants.memory: 64KiB is below the initial memory of spin: 128KiB \(2 pages of 64KiB\)" \
	"$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S"
printf 'version: 1\nextensions:\n  - name: p9\n    ref: oci-layout:%s:proto9@%s\n' "$L" "$M_proto9" >"$R/kiln.yaml"
run_err "a protocol version outside the runtime's range, naming both" \
	"kiln.yaml:4:10: p9 speaks kiln protocol 9 \(its kiln_protocol_version\(\)\); this runtime supports 1 to 1" \
	"$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S"
printf 'version: 1\nextensions:\n  - name: pv\n    ref: oci-layout:%s:protovar@%s\n' "$L" "$M_protovar" >"$R/kiln.yaml"
run_err "a protocol version that is not a constant" "pv: kiln_protocol_version\(\) must return a constant" \
	"$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S"
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add@%s\n    protocol: 2\n' "$L" "$M_add" >"$R/kiln.yaml"
run_err "kiln.yaml's protocol differs from the module's" "kiln.yaml:5:15: protocol: 2 expected, but add's kiln_protocol_version\(\) returns 1" \
	"$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S"
printf 'version: 1\nextensions:\n  - name: mul\n    ref: oci-layout:%s:mul@%s\n    protocol: 1\n' "$L" "$M_mul" >"$R/kiln.yaml"
run_err "kiln.yaml expects a protocol the module does not export" "kiln.yaml:5:15: protocol: 1 expected, but mul does not export" \
	"$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S"
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add@sha256:%064d\n' "$L" 0 >"$R/kiln.yaml"
run_err "a digest the layout does not hold" "add: " "$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S"
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add@%s\n    grants:\n      memory: 16MB\n' "$L" "$M_add" >"$R/kiln.yaml"
run_err "a kiln.yaml error names file, line and column" \
	"kiln.yaml:6:15: grants.memory: \"16MB\" is not a size \(use KiB, MiB or GiB\)" \
	"$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S"
# a compile that fails (a C compiler that always fails): nothing written
printf '#!/bin/sh\ncase "$*" in *--version*) exec %s "$@";; esac\necho "cc: broken" >&2; exit 1\n' "$CC" >"$T/badcc"
chmod +x "$T/badcc"
printf 'version: 1\nextensions:\n  - name: add\n    ref: oci-layout:%s:add@%s\n' "$L" "$M_add" >"$R/kiln.yaml"
run_err "a failing compile" "add: .*failed" "$KILN" bake -f "$R/kiln.yaml" -o "$R/out" --store "$S" \
	--cache "$T/badcache" --cc "$T/badcc"
check "refused bakes leave the output directory as it was" [ "$(snap "$R/out")" = "$before" ]
check "... and no temporary file" no_temps
check "... and no partial object in the cache" [ -z "$(find "$T/badcache" -type f)" ]
"$KILN" bake -f "$R/kiln.yaml" >"$LOG" 2>&1
check "bake without -o is a usage error (exit 2)" [ $? -eq 2 ] && said "no output directory given"
run_ok "bake --help" "$KILN" bake --help
check "... documents the options" said "--locked" && said "-j, --jobs N"
run_ok "verify-binary --help" "$KILN" verify-binary --help

# ---- reproducible: the same inputs twice, in different directories --------------------------

repro() {
	new_project "$1"
	cp "$P/kiln.yaml" "$1/"
	mkdir -p "$1/data"
	pmake "$1" "$SDK" KILN_BAKE_FLAGS="--store $1/store --cache $1/cache" >"$1/log" 2>&1
}
A1=$T/repro-one/x
A2=$T/repro-two/somewhere/else
cp -R "$S" "$T/repro-store"
mkdir -p "$A1" "$A2"
cp -R "$S" "$A1/store" && cp -R "$S" "$A2/store"
run_ok "bake and link in one directory" repro "$A1"
run_ok "bake and link in another, with its own store and cache" repro "$A2"
check "... both compiled everything" grep -q "3 compiled" "$A1/log" && grep -q "3 compiled" "$A2/log"
check "the two registries are identical" cmp -s "$A1/kiln-out/kiln_registry.c" "$A2/kiln-out/kiln_registry.c"
check "the two objects of each extension are identical" cmp -s "$A1/kiln-out/add.o" "$A2/kiln-out/add.o" &&
	cmp -s "$A1/kiln-out/kiln_registry.o" "$A2/kiln-out/kiln_registry.o"
check "the two host binaries are bit-identical" cmp "$A1/host" "$A2/host"
check "SOURCE_DATE_EPOCH changes nothing (no time is written)" sh -c \
	"cd '$A1' && SOURCE_DATE_EPOCH=1 '$KILN' bake -o kiln-out --store store --cache cache >/dev/null && cmp -s kiln-out/kiln_registry.o '$A2/kiln-out/kiln_registry.o'"

# ---- static ------------------------------------------------------------------------------

if [ -z "$HOST_LDFLAGS" ]; then
	ST=$T/static
	new_project "$ST"
	cp "$P/kiln.yaml" "$ST/"
	mkdir -p "$ST/data"
	run_ok "KILN_STATIC=1 links a static host" pmake "$ST" "$SDK" KILN_STATIC=1 KILN_BAKE_FLAGS="--store $S"
	LC_ALL=C ldd "$ST/host" >"$LOG" 2>&1
	check "... ldd says not a dynamic executable" said "not a dynamic executable"
	run_ok "... and it runs" inp "$ST" ./host call add add 20 22
	check "... add(20, 22) = 42" said "= 42$"
	run_ok "... the static host traps cleanly too" inp "$ST" ./host spin spin
	check "... fuel exhausted" said "^trap: fuel exhausted"
	check "... libkiln-rt needs neither libcurl nor libelf" sh -c \
		"! nm -u '$(sed -n 's/^KILN_RT_LIB := //p' "$ST/kiln-out/kiln.mk")' | grep -Eq ' (curl_|elf_)'"
else
	ok "static link (skipped: sanitizers need the dynamic runtime)"
fi

# ---- no extensions at all ------------------------------------------------------------------

E=$T/empty
new_project "$E"
printf 'version: 1\nextensions: []\n' >"$E/kiln.yaml"
run_ok "a kiln.yaml with no extensions bakes an empty registry" pmake "$E" "$SDK" KILN_BAKE_FLAGS="--store $S"
run_ok "... and the host finds none" inp "$E" ./host list
check "... count 0" [ "$(sed -n 1p "$LOG")" = 0 ]

# ---- an installed kiln ---------------------------------------------------------------------

if [ -z "${SKIP_INSTALL:-}" ]; then
	I=$T/prefix
	run_ok "make install PREFIX=..." $MAKE --no-print-directory install PREFIX="$I" ${INSTALL_ARGS:-}
	check "... installs kiln.mk with the SDK" [ -f "$I/share/kiln/kiln.mk" ]
	IP=$T/installed
	new_project "$IP"
	cp "$P/kiln.yaml" "$IP/"
	mkdir -p "$IP/data"
	run_ok "a host project builds with the installed kiln" pmake "$IP" "$I/share/kiln" \
		KILN_BAKE_FLAGS="--store $S --cache $T/icache"
	check "... through the installed kiln and runtime" grep -q "^KILN_RT_LIB := $I/lib/libkiln-rt.a$" "$IP/kiln-out/kiln.mk" &&
		grep -q "^KILN_INCLUDE_DIR := $I/include/kiln$" "$IP/kiln-out/kiln.mk"
	run_ok "... and the host runs" inp "$IP" ./host call mul mul 6 7
	check "... mul(6, 7) = 42" said "= 42$"
	check "the installed bake gives the same registry object" cmp -s "$IP/kiln-out/kiln_registry.c" "$P/kiln-out/kiln_registry.c"
else
	ok "installed kiln (skipped)"
fi

check "no temporary file is left anywhere" no_temps
finish
