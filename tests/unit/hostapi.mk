# Fixtures of the host API unit tests, built the way a bake builds an
# extension: wat2wasm -> `kiln compile` (fuel on) -> an object defining
# kiln_module_<name>, linked into kiln-unit.
HOSTAPI_FIX_DIR  := $(BUILD)/fixtures/$(FLAVOR)/kc
HOSTAPI_FIXTURES := hostapi hostapi_badsig reactor reactor_odd
HOSTAPI_FIX_OBJS := $(HOSTAPI_FIXTURES:%=$(HOSTAPI_FIX_DIR)/%.o)

UNIT_EXTRA_OBJS += $(HOSTAPI_FIX_OBJS)

$(HOSTAPI_FIX_DIR)/%.wasm: tests/unit/fixtures/%.wat
	@mkdir -p $(dir $@)
	wat2wasm $< -o $@

$(HOSTAPI_FIX_DIR)/%.o: $(HOSTAPI_FIX_DIR)/%.wasm $(KILN_BIN) runtime/kiln_abi.h
	$(KILN_BIN) compile $< -o $@ --name $*

.SECONDARY: $(HOSTAPI_FIXTURES:%=$(HOSTAPI_FIX_DIR)/%.wasm)
