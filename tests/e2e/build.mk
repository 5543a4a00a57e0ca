# tests/e2e/ — end-to-end suite of kiln compile / inspect / check-imports
# (included from compiler/build.mk).  Test hosts run on the interim runtime
# of examples/host/ (WABT's wasm-rt-impl) until libkiln-rt lands.
E2E_DIR := $(BUILD)/e2e/$(FLAVOR)

CHECKS += check-e2e
check-e2e: $(KILN_BIN)
	@KILN=$(KILN_BIN) CC="$(CC)" WASM_CC="$(WASM_CC)" WABT_RT_LIB="$(WABT_RT_LIB)" \
	  WABT_RT_INC="$(WABT_RT_INC)" HOST_CFLAGS="$(EXAMPLE_CFLAGS)" \
	  sh tests/run-suite.sh $(RESULTS) e2e sh tests/e2e/run.sh $(E2E_DIR)
