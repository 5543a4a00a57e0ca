# examples/ — `make demo` and `make check-examples` run examples/Makefile,
# the example host project (built as a kiln user would, with sdk/guest.mk
# and sdk/kiln.mk), with the kiln and libkiln-rt of this build tree.
# Everything it makes is under build/demo (see examples/Makefile).
DEMO_DIR      := $(BUILD)/demo
EXAMPLES_MAKE  = $(MAKE) --no-print-directory -C examples LDFLAGS="$(KILN_LDFLAGS)"

# Like `make check`, installs missing Debian packages first.
demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(KILN_BIN) $(RT_LIB)
	@$(EXAMPLES_MAKE) demo

CHECKS += check-examples
check-examples: $(KILN_BIN) $(RT_LIB)
	@sh tests/run-suite.sh $(RESULTS) examples sh examples/check.sh "$(EXAMPLES_MAKE)"

# make bench: cold and warm bake of the examples, host size with and without.
BENCH_EXTRA += bench-examples
.PHONY: bench-examples
bench-examples: $(KILN_BIN) $(RT_LIB)
	@sh examples/bench.sh "$(EXAMPLES_MAKE)" $(RT_LIB)
