# tests/fuzz/ — libFuzzer harnesses (`make fuzz`), built with clang and
# ASan/UBSan straight from the sources they exercise.  Not part of
# `make check`; run one with
#   make fuzz-wasm-reader FUZZ_SECONDS=600
FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -Iruntime -Icompiler \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 60

FUZZ_WASM_READER     := $(FUZZ_DIR)/fuzz_wasm_reader
FUZZ_WASM_READER_SRC := tests/fuzz/fuzz_wasm_reader.c compiler/wasm_reader.c \
                        compiler/wasm_writer.c compiler/wasm_bytes.c compiler/wasm_opcodes.c \
                        compiler/wasm_compare.c compiler/instrument_fuel.c compiler/fuel_loops.c \
                        compiler/instrument_memcap.c

$(FUZZ_WASM_READER): $(FUZZ_WASM_READER_SRC) compiler/wasm_impl.h compiler/kiln_wasm.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_WASM_READER_SRC) -o $@

# Seeds: the .wat fixtures and a sample of spec modules.
$(FUZZ_DIR)/seeds/wasm_reader.stamp: $(WASM_FIXTURES) $(SPEC_CORE_JSON)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	@cp $(WASM_FIXTURES) $(dir $@)
	@cp $(wildcard $(SPEC_DIR)/binary/*.wasm $(SPEC_DIR)/custom/*.wasm \
	  $(SPEC_DIR)/elem/elem.1*.wasm $(SPEC_DIR)/bulk/*.wasm $(SPEC_DIR)/names/names.0.wasm \
	  $(SPEC_DIR)/br_table/*.wasm $(SPEC_DIR)/loop/loop.0.wasm) $(dir $@)
	@touch $@

fuzz: $(FUZZ_WASM_READER) $(FUZZ_DIR)/seeds/wasm_reader.stamp

fuzz-wasm-reader: fuzz
	@mkdir -p $(FUZZ_DIR)/corpus/wasm_reader $(FUZZ_DIR)/artifacts/
	$(FUZZ_WASM_READER) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_DIR)/corpus/wasm_reader $(FUZZ_DIR)/seeds
.PHONY: fuzz-wasm-reader

# kiln.yaml reader: `make fuzz-config FUZZ_SECONDS=600`.
FUZZ_CONFIG     := $(FUZZ_DIR)/fuzz_config
FUZZ_CONFIG_SRC := tests/fuzz/fuzz_config.c compiler/config.c compiler/args.c \
                   compiler/mangle.c compiler/index_space.c compiler/wasm_opcodes.c \
                   compiler/wasm_reader.c compiler/wasm_bytes.c \
                   oci/ref.c oci/digest.c oci/files.c oci/platform.c

$(FUZZ_CONFIG): $(FUZZ_CONFIG_SRC) compiler/config_impl.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Ioci $(FUZZ_CONFIG_SRC) -o $@ -lyaml -lsodium

# Seeds: the kiln.yaml files of the tests and the docs' example.
$(FUZZ_DIR)/seeds-config/stamp: $(wildcard tests/unit/config_test.c docs/kiln.yaml.md)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	@sed -n '/^```yaml$$/,/^```$$/p' docs/kiln.yaml.md | sed '1d;$$d' >$(dir $@)/doc.yaml
	@printf 'version: 1\nextensions:\n  - name: a\n    ref: oci-layout:.:t@sha256:%064d\n    grants: {memory: 1MiB, args: [x], tests: []}\n' 0 >$(dir $@)/small.yaml
	@touch $@

fuzz: $(FUZZ_CONFIG) $(FUZZ_DIR)/seeds-config/stamp

fuzz-config: fuzz
	@mkdir -p $(FUZZ_DIR)/corpus/config $(FUZZ_DIR)/artifacts/
	$(FUZZ_CONFIG) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_DIR)/corpus/config $(FUZZ_DIR)/seeds-config
.PHONY: fuzz-config
