# examples/ — the example extensions, the example host, `make demo` and
# `make check-examples`.
#
#   C sources --sdk/guest.mk--> build/demo/wasm/NAME.wasm
#     --kiln push--> OCI image layout build/demo/layout (tag NAME)
#     --kiln lock -f examples/kiln.yaml--> build/demo/kiln.lock (tags pinned to digests)
#     --kiln bake --locked--> build/demo/kiln/ (NAME.o, kiln_registry.o, kiln.mk)
#     --cc--> build/demo/host (examples/host/host.c + the objects + libkiln-rt)
#
# The host and `kiln test` run from examples/, the directory of kiln.yaml:
# the grants' relative paths are relative to it.  The manifests' creation
# time is SOURCE_DATE_EPOCH, by default the last commit's, so the same
# sources give the same digests.
DEMO_DIR    := $(BUILD)/demo
DEMO_WASM   := $(DEMO_DIR)/wasm
DEMO_LAYOUT := $(DEMO_DIR)/layout
DEMO_STORE  := $(DEMO_DIR)/store
DEMO_BAKE   := $(DEMO_DIR)/kiln
DEMO_LOCK   := $(DEMO_DIR)/kiln.lock
DEMO_HOST   := $(DEMO_DIR)/host
DEMO_YAML   := examples/kiln.yaml
DEMO_EXTS   := checksum textfilter reporter hostile
DEMO_EPOCH  := $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null),0)
# Directories kiln.yaml grants (they must exist when it is read).
DEMO_MOUNTS := $(DEMO_DIR)/out

# The extensions, built for wasm32-wasi with the SDK's fragment.
KILN_GUESTS       := $(DEMO_EXTS)
KILN_GUEST_DIR    := $(DEMO_WASM)
KILN_GUEST_CFLAGS := -O2 -Wall -Wextra -Werror
checksum_SRCS     := examples/checksum/checksum.c
checksum_KIND     := reactor
textfilter_SRCS   := examples/textfilter/textfilter.c
textfilter_KIND   := command
reporter_SRCS     := examples/reporter/reporter.c
reporter_KIND     := reactor
hostile_SRCS      := examples/hostile/hostile.c
hostile_KIND      := reactor
include sdk/guest.mk

# Flags of the example host: plain C against the installed-style headers.
EXAMPLE_SAN    := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer)
EXAMPLE_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 $(KILN_WARN) $(EXAMPLE_SAN) -Iruntime

$(DEMO_MOUNTS):
	@mkdir -p $@

# One push per extension; the stamp holds the digests kiln push printed.
$(DEMO_DIR)/pushed/%: $(DEMO_WASM)/%.wasm $(KILN_BIN)
	@mkdir -p $(dir $@)
	SOURCE_DATE_EPOCH=$(DEMO_EPOCH) $(KILN_BIN) push --store $(DEMO_STORE) $< \
	  oci-layout:$(DEMO_LAYOUT):$* > $@.tmp && mv $@.tmp $@

$(DEMO_LOCK): $(DEMO_EXTS:%=$(DEMO_DIR)/pushed/%) $(DEMO_YAML) | $(DEMO_MOUNTS)
	$(KILN_BIN) lock -f $(DEMO_YAML) -o $@ --store $(DEMO_STORE)

# The bake rewrites kiln.mk on every run and objects only when they change.
$(DEMO_BAKE)/kiln.mk: $(DEMO_LOCK) $(DEMO_YAML) $(KILN_BIN) $(RT_LIB) | $(DEMO_MOUNTS)
	$(KILN_BIN) bake -f $(DEMO_YAML) -o $(DEMO_BAKE) --lock $(DEMO_LOCK) --locked \
	  --store $(DEMO_STORE)

$(DEMO_HOST): examples/host/host.c $(DEMO_BAKE)/kiln.mk $(RT_LIB)
	$(CC) $(EXAMPLE_CFLAGS) $(KILN_LDFLAGS) -o $@ examples/host/host.c \
	  $(DEMO_EXTS:%=$(DEMO_BAKE)/%.o) $(DEMO_BAKE)/kiln_registry.o $(RT_LIB) \
	  -lsodium -lpthread -lm

.PHONY: demo-build
demo-build: $(DEMO_HOST)

demo: $(DEMO_HOST)
	@echo "== kiln inspect $(DEMO_HOST) (abridged)"
	@$(KILN_BIN) inspect $(DEMO_HOST) | grep -E '^extension|^  (reference|manifest|wasm) ' || true
	@echo
	@cd examples && ../$(DEMO_HOST)

CHECKS += check-examples
check-examples: $(DEMO_HOST)
	@sh tests/run-suite.sh $(RESULTS) examples sh examples/check.sh $(KILN_BIN) \
	  $(DEMO_BAKE) $(DEMO_HOST)
