# tests/ktest/ — the suite of `kiln test` itself (run.sh): cases that must
# pass, cases that must each fail their own way, misuse.
KTEST_DIR := $(BUILD)/ktest/$(FLAVOR)

CHECKS += check-ktest
check-ktest: $(KILN_BIN) $(RT_LIB)
	@KILN=$(KILN_BIN) sh tests/run-suite.sh $(RESULTS) ktest sh tests/ktest/run.sh $(KTEST_DIR)
