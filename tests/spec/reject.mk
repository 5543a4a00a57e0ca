# tests/spec/reject.sh — every binary assert_malformed and assert_invalid
# module of the non-SIMD spec tests must be rejected by kiln compile.  Uses
# the JSON that tests/spec/build.mk converts into $(SPEC_DIR).
REJECT_DIR := $(BUILD)/spec-reject/$(FLAVOR)

CHECKS += check-reject
check-reject: $(KILN_BIN) $(SPEC_CORE_JSON)
	@KILN=$(KILN_BIN) JOBS=$(JOBS) \
	  sh tests/run-suite.sh $(RESULTS) reject sh tests/spec/reject.sh $(REJECT_DIR) \
	  $(SPEC_CORE_JSON)
