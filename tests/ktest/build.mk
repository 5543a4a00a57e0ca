# tests/ktest/ — the suite of `kiln test` itself (run.sh): cases that must
# pass, cases that must each fail their own way, the protocol read through
# a command's export wrapper, a project against an installed kiln, misuse.
KTEST_DIR  := $(BUILD)/ktest/$(FLAVOR)
KTEST_INST := $(abspath $(KTEST_DIR))-inst

CHECKS += check-ktest
check-ktest: $(KILN_BIN) $(RT_LIB)
	@rm -rf $(KTEST_INST)
	@$(MAKE) --no-print-directory install PREFIX=$(KTEST_INST) >/dev/null
	@KILN=$(KILN_BIN) INSTALLED=$(KTEST_INST) \
	  INSTALLED_LDFLAGS="$(if $(SANITIZE),-fsanitize=$(SANITIZE))" \
	  sh tests/run-suite.sh $(RESULTS) ktest \
	  sh tests/ktest/run.sh $(KTEST_DIR)
