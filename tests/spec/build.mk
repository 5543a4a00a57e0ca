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
$(WASM_SPEC_BIN): $(OBJ)/tests/spec/wasm_spec.o $(OBJ)/tests/slurp.o $(COMPILER_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $^ $(KILN_LDLIBS)

CHECKS += check-wasm-spec
check-wasm-spec: $(WASM_SPEC_BIN) $(SPEC_CORE_JSON) $(SPEC_SIMD_JSON)
	@rm -rf $(SPEC_DIR)/fuel && mkdir -p $(SPEC_DIR)/fuel
	@sh tests/run-suite.sh $(RESULTS) wasm-spec $(WASM_SPEC_BIN) --out $(SPEC_DIR)/fuel \
	  --core $(SPEC_CORE_JSON) --simd $(SPEC_SIMD_JSON)

# check-spec: the spec conformance suite through kiln's own pipeline (see
# tests/spec/spec.sh).  Compiled modules are cached by content digest in
# SPEC_CACHE, shared by every flavour (the key includes the kiln binary).
SPEC_GEN_BIN    := $(BUILD)/bin/$(FLAVOR)/kiln-spec-gen
SPEC_RUNNER_OBJ := $(OBJ)/tests/spec/spec_runner.o
SPEC_RUN_DIR    := $(BUILD)/spec-run/$(FLAVOR)
SPEC_CACHE      := $(BUILD)/spec-cache
SPEC_SAN        := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)

$(SPEC_GEN_BIN): $(OBJ)/tests/spec/spec_gen.o $(OBJ)/tests/slurp.o $(COMPILER_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $^ $(KILN_LDLIBS)

# $(call spec_suite,NAME,KILN_CC): run spec.sh as suite NAME, the modules
# compiled by kiln compile --cc KILN_CC (empty: $(CC)); runners use $(CC).
define spec_suite
	@KILN=$(KILN_BIN) SPEC_GEN=$(SPEC_GEN_BIN) MAKE="$(MAKE)" JOBS=$(JOBS) CC="$(CC)" \
	  SPEC_NAME=$(1) SPEC_KILN_CC="$(2)" \
	  SPEC_CFLAGS="-std=c11 -D_GNU_SOURCE $(KILN_WARN) -Iruntime -O1 $(SPEC_SAN)" \
	  SPEC_LDFLAGS="$(KILN_LDFLAGS)" SPEC_LDLIBS="$(KILN_LDLIBS)" RT_LIB=$(RT_LIB) \
	  SPEC_RUNNER_OBJ=$(SPEC_RUNNER_OBJ) \
	  sh tests/run-suite.sh $(RESULTS) $(1) sh tests/spec/spec.sh $(SPEC_RUN_DIR)$(if $(2),-$(2)) \
	  $(SPEC_CACHE) $(SPEC_CORE_JSON)
endef

CHECKS += check-spec
check-spec: $(KILN_BIN) $(RT_LIB) $(SPEC_GEN_BIN) $(SPEC_RUNNER_OBJ) $(SPEC_CORE_JSON)
	$(call spec_suite,spec,)

# The same with the modules compiled by clang: the glue's per-compiler
# parts (KILN_CHARGE, loads, KILN_FPIN for signalling NaNs) get the suite too.
CHECKS += check-spec-clang
check-spec-clang: $(KILN_BIN) $(RT_LIB) $(SPEC_GEN_BIN) $(SPEC_RUNNER_OBJ) $(SPEC_CORE_JSON)
	$(call spec_suite,spec-clang,clang)
.PHONY: check-spec check-spec-clang
