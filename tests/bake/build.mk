# tests/bake/ — the check-bake suite: kiln bake, lock -f, verify-binary,
# inspect of host binaries and sdk/kiln.mk in throwaway host projects
# (cold and warm bakes, -j, signatures, --locked, reproducibility, static
# and installed-kiln builds).  See tests/bake/run.sh.
BAKE_TEST_DIR := $(BUILD)/bake/$(FLAVOR)

CHECKS += check-bake
check-bake: $(KILN_BIN) $(RT_LIB)
	@KILN=$(abspath $(KILN_BIN)) SDK=$(abspath sdk) CC="$(CC)" MAKE="$(MAKE)" \
	  HOST_LDFLAGS="$(if $(SANITIZE),-fsanitize=$(SANITIZE))" \
	  INSTALL_ARGS="$(if $(SANITIZE),SANITIZE=$(SANITIZE))" \
	  sh tests/run-suite.sh $(RESULTS) bake sh tests/bake/run.sh $(BAKE_TEST_DIR)

# make bench: cold and warm bake times, host sizes with and without
# extensions (numbers only).
BENCH_EXTRA += bench-bake
bench-bake: $(KILN_BIN) $(RT_LIB)
	@KILN=$(abspath $(KILN_BIN)) SDK=$(abspath sdk) CC="$(CC)" MAKE="$(MAKE)" \
	  sh tests/bake/bench.sh $(BUILD)/bake-bench/$(FLAVOR)
.PHONY: bench-bake
