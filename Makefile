# kiln — top-level Makefile.
#
#   make            build bin/kiln and the libraries
#   make deps       install the Debian packages that building and testing need
#   make check      run every suite; ends with "N passed, M failed"
#   make demo       build and run the demo
#   make bench      measure kiln against native code
#   make fuzz       build the libFuzzer harnesses
#   make install    PREFIX=/usr/local DESTDIR=
#
# CFLAGS and LDFLAGS belong to the user; project flags go in KILN_CFLAGS.
# SANITIZE=address,undefined builds everything host-side with sanitizers
# (objects go to their own build directory).

PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
CFLAGS   ?= -O2 -g
LDFLAGS  ?=
SANITIZE ?=
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

comma    := ,
BUILD    := build
ifeq ($(SANITIZE),)
FLAVOR   := default
else
FLAVOR   := san-$(subst $(comma),-,$(SANITIZE))
endif
OBJ      := $(BUILD)/obj/$(FLAVOR)
LIBDIR   := $(BUILD)/lib/$(FLAVOR)
RESULTS  := $(BUILD)/results

KILN_WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
                -Wmissing-prototypes -Wformat=2 -Wvla
KILN_CFLAGS  := -std=c11 -D_GNU_SOURCE $(KILN_WARN) -I. -Iruntime -Ioci \
                -Icompiler -Iwit -MMD -MP $(CFLAGS)
KILN_LDFLAGS := $(LDFLAGS)
ifneq ($(SANITIZE),)
KILN_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
                -fno-sanitize-recover=all
KILN_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Libraries to link; parts append in their build.mk.
KILN_LDLIBS  := -lpthread -lm

# Debian packages `make deps` installs when missing; parts append.
DEPS_PACKAGES := make gcc pkg-config ca-certificates wabt clang lld wasi-libc \
                 libclang-rt-14-dev libclang-rt-14-dev-wasm32 libsodium-dev \
                 libcurl4-openssl-dev libelf-dev libcunit1-dev libjansson-dev \
                 libyaml-dev

# Suites `make check` runs; each writes $(RESULTS)/<name> holding
# "N passed, M failed".  Parts append.
CHECKS :=
# Things `make` builds by default; parts append.
ALL_TARGETS :=
# Things `make clean` removes besides $(BUILD) and bin/.
CLEAN_EXTRA :=

.PHONY: all deps check bench fuzz install uninstall clean demo FORCE
.DEFAULT_GOAL := all

# The flavour stamp makes bin/kiln relink when SANITIZE changes.
FLAVOR_STAMP := $(BUILD)/flavor.stamp
$(shell mkdir -p $(BUILD); [ "$$(cat $(FLAVOR_STAMP) 2>/dev/null)" = "$(FLAVOR)" ] || echo "$(FLAVOR)" > $(FLAVOR_STAMP))

include runtime/build.mk
include oci/build.mk
include wit/build.mk
include compiler/build.mk
include sdk/build.mk
include tests/build.mk
include examples/build.mk

all: $(ALL_TARGETS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KILN_CFLAGS) -c $< -o $@

# Install only what is missing; apt-get update first, as CI machines start
# with empty package lists.  Uses sudo when not root.
deps:
	@missing=""; for p in $(DEPS_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(DEPS_PACKAGES)) packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

# Run every suite even when one fails, then print the one summary line.
# Missing Debian packages are installed first (make deps), so that `make
# check` alone works on a fresh machine.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	@$(MAKE) --no-print-directory -k $(CHECKS) || true
	@sh tests/summary.sh $(RESULTS) $(patsubst check-%,%,$(CHECKS))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	  $(DESTDIR)$(PREFIX)/include/kiln $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/share/kiln $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 bin/kiln $(DESTDIR)$(PREFIX)/bin/kiln
	install -m 644 $(INSTALL_LIBS) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(INSTALL_HEADERS) $(DESTDIR)$(PREFIX)/include/kiln/
	sed -e 's|@PREFIX@|$(PREFIX)|' sdk/kiln.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/kiln.pc
	cp -R sdk/. $(DESTDIR)$(PREFIX)/share/kiln/
	rm -f $(DESTDIR)$(PREFIX)/share/kiln/build.mk $(DESTDIR)$(PREFIX)/share/kiln/kiln.pc.in
	$(if $(MAN_PAGES),install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/)

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/bin/kiln $(DESTDIR)$(PREFIX)/include/kiln \
	  $(DESTDIR)$(PREFIX)/share/kiln $(DESTDIR)$(PREFIX)/lib/pkgconfig/kiln.pc \
	  $(addprefix $(DESTDIR)$(PREFIX)/lib/,$(notdir $(INSTALL_LIBS)))

clean:
	rm -rf $(BUILD) bin $(CLEAN_EXTRA)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
