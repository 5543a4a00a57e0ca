# kiln.mk — include from a host project's Makefile to bake the extensions
# kiln.yaml lists and link them into the host (GNU make).
#
#     include /usr/local/share/kiln/kiln.mk    # or <kiln checkout>/sdk/kiln.mk
#
#     host: host.o $(KILN_OBJS)
#             $(CC) $(LDFLAGS) -o $@ host.o $(KILN_OBJS) $(KILN_LDLIBS)
#     host.o: host.c
#             $(CC) $(CFLAGS) $(KILN_CFLAGS) -c -o $@ host.c
#
# Then `make` bakes when kiln.yaml, kiln.lock, kiln itself or anything else
# the last bake read changed (keys, an oci-layout's index, the store's
# copy of a module) — make re-reads the generated $(KILN_OUT)/kiln.mk —,
# recompiles only the extensions whose wasm or compile options changed,
# and relinks.
#
# Set before the include (all optional):
#   KILN            the kiln program (default: the one beside this file, else
#                   kiln on PATH)
#   KILN_YAML       kiln.yaml to bake (default kiln.yaml)
#   KILN_LOCK       its lock (default kiln.lock beside KILN_YAML)
#   KILN_OUT        where the bake writes (default kiln-out)
#   KILN_BAKE_FLAGS more `kiln bake` options (--store DIR, --offline,
#                   --locked, -j N, --cc CC...)
#   KILN_TEST_FLAGS more `kiln test` options (-v, -n LABEL, extension names)
#   KILN_HOST       the host binary, for `make kiln-inspect`
#   KILN_STATIC=1   link a fully static host (libsodium.a from libsodium-dev)
#
# Gives:
#   KILN_OBJS       the extension objects and the registry object
#   KILN_CFLAGS     -I for kiln_rt.h, and -ffile-prefix-map so that the host's
#                   objects do not record this directory (reproducible builds)
#   KILN_LDLIBS     libkiln-rt.a and what it needs (-static with KILN_STATIC=1)
#   KILN_EXTENSIONS the extension names
#   targets kiln-bake (bake now), kiln-test (kiln test), kiln-inspect
#
# The variable names are kiln's own: include this from a host project's
# Makefile, not from one that already uses KILN_CFLAGS for something else.

KILN_SDK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
# the including Makefile's first target stays the default goal
kiln_saved_goal := $(.DEFAULT_GOAL)
# beside this file: <checkout>/sdk/../bin/kiln, or <prefix>/share/kiln/../../bin/kiln
KILN ?= $(firstword $(wildcard $(KILN_SDK_DIR)/../bin/kiln $(KILN_SDK_DIR)/../../bin/kiln) kiln)
KILN_YAML ?= kiln.yaml
KILN_LOCK ?= $(patsubst ./%,%,$(dir $(KILN_YAML))kiln.lock)
KILN_OUT ?= kiln-out
KILN_BAKE_FLAGS ?=
KILN_TEST_FLAGS ?=
KILN_HOST ?=

# The bake writes $(KILN_OUT)/kiln.mk last; make remakes it when it is older
# than what it is made from, then reads it again.
include $(KILN_OUT)/kiln.mk

# KILN_BAKE_INPUTS (from the last bake): keys, layouts, the wasm in the store
$(KILN_OUT)/kiln.mk: $(KILN_YAML) $(wildcard $(KILN_LOCK)) $(wildcard $(KILN)) \
		     $(wildcard $(KILN_BAKE_INPUTS))
	$(KILN) bake -f $(KILN_YAML) -o $(KILN_OUT) $(KILN_BAKE_FLAGS)

KILN_CFLAGS += -ffile-prefix-map=$(CURDIR)=.
ifeq ($(KILN_STATIC),1)
KILN_LDLIBS += -static
endif

.PHONY: kiln-bake kiln-test kiln-inspect

kiln-bake:
	$(KILN) bake -f $(KILN_YAML) -o $(KILN_OUT) $(KILN_BAKE_FLAGS)

kiln-test: $(KILN_OUT)/kiln.mk
	$(KILN) test -f $(KILN_YAML) -o $(KILN_OUT) $(KILN_TEST_FLAGS)

kiln-inspect: $(KILN_HOST)
	@if [ -z "$(KILN_HOST)" ]; then echo "kiln-inspect: set KILN_HOST to the host binary" >&2; exit 2; fi
	$(KILN) inspect $(KILN_HOST)

.DEFAULT_GOAL := $(kiln_saved_goal)
