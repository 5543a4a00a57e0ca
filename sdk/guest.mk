# guest.mk — build kiln extensions (wasm32-wasi core modules) from C.
#
# Include it from your Makefile after naming your extensions:
#
#   KILN_GUESTS        := textfilter checksum
#   textfilter_SRCS    := src/textfilter.c
#   checksum_SRCS      := src/checksum.c src/crc.c
#   checksum_KIND      := reactor
#   include /usr/local/share/kiln/guest.mk
#
# and `make kiln-guests` (or any of the files) builds
# $(KILN_GUEST_DIR)/NAME.wasm for each NAME, recompiling only what changed
# (headers included).  Per extension:
#
#   NAME_SRCS      C sources (required)
#   NAME_KIND      command (default: a main(), exported as _start, run once)
#                  or reactor (no main; exports called any number of times,
#                  after the host calls _initialize)
#   NAME_CFLAGS    extra compiler flags, NAME_LDFLAGS extra linker flags
#
# For all of them (set before or after the include, or on the command line):
#
#   KILN_GUEST_CC       clang able to target wasm32-wasi (default: clang)
#   KILN_GUEST_CFLAGS   default: -O2 -Wall -Wextra
#   KILN_GUEST_LDFLAGS  default: none
#   KILN_GUEST_DIR      output directory (default: build/guests; set it
#                       before the include)
#
# Sources see <kiln.h> (this directory's include/).  Exports are marked in
# the source with KILN_EXPORT("name"); the build adds no debug information
# and no path, so the same sources give the same bytes, and so the same
# digest, on every machine with the same clang and wasi-libc.

KILN_SDK_DIR       := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
# the including Makefile's first target stays the default goal
kiln_guest_saved_goal := $(.DEFAULT_GOAL)
KILN_GUEST_CC      ?= clang
KILN_GUEST_CFLAGS  ?= -O2 -Wall -Wextra
KILN_GUEST_LDFLAGS ?=
KILN_GUEST_DIR     ?= build/guests

KILN_GUEST_TARGET  := --target=wasm32-wasi
KILN_GUEST_WASMS    = $(KILN_GUESTS:%=$(KILN_GUEST_DIR)/%.wasm)

.PHONY: kiln-guests
kiln-guests: $(KILN_GUEST_WASMS)

# One object per source under $(KILN_GUEST_DIR)/NAME/, then one link.
define KILN_GUEST_RULES
$(1)_KIND ?= command
$(1)_OBJS := $$(patsubst %.c,$$(KILN_GUEST_DIR)/$(1)/%.o,$$($(1)_SRCS))

$$(KILN_GUEST_DIR)/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(KILN_GUEST_CC) $$(KILN_GUEST_TARGET) $$(KILN_GUEST_CFLAGS) $$($(1)_CFLAGS) \
	  -I$$(KILN_SDK_DIR)/include -MMD -MP -c $$< -o $$@

$$(KILN_GUEST_DIR)/$(1).wasm: $$($(1)_OBJS)
	@mkdir -p $$(dir $$@)
	$$(if $$(filter command reactor,$$($(1)_KIND)),,$$(error $(1)_KIND must be command or reactor, not "$$($(1)_KIND)"))
	$$(KILN_GUEST_CC) $$(KILN_GUEST_TARGET) $$(if $$(filter reactor,$$($(1)_KIND)),-mexec-model=reactor) \
	  $$(KILN_GUEST_LDFLAGS) $$($(1)_LDFLAGS) -Wl,--strip-debug -o $$@ $$($(1)_OBJS)

-include $$($(1)_OBJS:.o=.d)
endef

$(foreach g,$(KILN_GUESTS),$(eval $(call KILN_GUEST_RULES,$(g))))

.DEFAULT_GOAL := $(kiln_guest_saved_goal)
