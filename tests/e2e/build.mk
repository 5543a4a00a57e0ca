# tests/e2e/ — end-to-end suite of kiln compile / inspect / check-imports
# (included from tests/build.mk).  Test hosts link libkiln-rt.
E2E_DIR := $(BUILD)/e2e/$(FLAVOR)
# Flags of the test hosts: the project's, sanitizers included, without the
# dependency files.
E2E_SAN         := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
E2E_HOST_CFLAGS := -std=c11 -D_GNU_SOURCE $(KILN_WARN) -O2 -g $(E2E_SAN)

CHECKS += check-e2e
check-e2e: $(KILN_BIN) $(RT_LIB)
	@KILN=$(KILN_BIN) CC="$(CC)" WASM_CC="$(WASM_CC)" RT_LIB="$(RT_LIB)" \
	  HOST_CFLAGS="$(E2E_HOST_CFLAGS)" HOST_LDFLAGS="$(KILN_LDFLAGS)" HOST_LIBS="$(KILN_LDLIBS)" \
	  sh tests/run-suite.sh $(RESULTS) e2e sh tests/e2e/run.sh $(E2E_DIR)
