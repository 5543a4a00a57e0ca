# tests/spec/ — the WebAssembly spec suite in ../shared/testdata/spec,
# converted by wast2json into $(SPEC_DIR)/NAME/NAME.json (+ NAME.N.wasm).
# SPEC_CORE_JSON: the files wasm2c 1.0.32 translates (NON_SIMD.txt);
# SPEC_SIMD_JSON: the SIMD files kiln must refuse cleanly (SIMD.txt).
SPEC_SRC        := ../shared/testdata/spec
SPEC_DIR        := $(BUILD)/spec
SPEC_CORE_NAMES := $(shell cat $(SPEC_SRC)/NON_SIMD.txt 2>/dev/null)
SPEC_SIMD_NAMES := $(shell cat $(SPEC_SRC)/SIMD.txt 2>/dev/null)
SPEC_CORE_JSON  := $(foreach n,$(SPEC_CORE_NAMES),$(SPEC_DIR)/$(n)/$(n).json)
SPEC_SIMD_JSON  := $(foreach n,$(SPEC_SIMD_NAMES),$(SPEC_DIR)/$(n)/$(n).json)

define spec_json_rule
$(SPEC_DIR)/$(1)/$(1).json: $(SPEC_SRC)/$(1).wast
	@mkdir -p $$(dir $$@)
	@wast2json $$< -o $$@
endef
$(foreach n,$(SPEC_CORE_NAMES) $(SPEC_SIMD_NAMES),$(eval $(call spec_json_rule,$(n))))

spec-json: $(SPEC_CORE_JSON) $(SPEC_SIMD_JSON)
.PHONY: spec-json check-wasm-spec

# Reader, writer and fuel pass over every spec module; wasm-validate
# checks each instrumented module.
WASM_SPEC_BIN := $(BUILD)/bin/$(FLAVOR)/kiln-wasm-spec
$(WASM_SPEC_BIN): $(OBJ)/tests/spec/wasm_spec.o $(COMPILER_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $< $(COMPILER_LIB) $(KILN_LDLIBS)

CHECKS += check-wasm-spec
check-wasm-spec: $(WASM_SPEC_BIN) $(SPEC_CORE_JSON) $(SPEC_SIMD_JSON)
	@rm -rf $(SPEC_DIR)/fuel && mkdir -p $(SPEC_DIR)/fuel
	@sh tests/run-suite.sh $(RESULTS) wasm-spec $(WASM_SPEC_BIN) --out $(SPEC_DIR)/fuel \
	  --core $(SPEC_CORE_JSON) --simd $(SPEC_SIMD_JSON)
