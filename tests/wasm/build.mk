# tests/wasm/ — .wat fixtures for the wasm reader, writer and passes,
# assembled with wat2wasm (names kept) into $(WASM_FIXTURE_DIR).
WASM_FIXTURE_DIR  := $(BUILD)/fixtures/wasm
WASM_FIXTURE_SRCS := $(wildcard tests/wasm/*.wat)
WASM_FIXTURES     := $(WASM_FIXTURE_SRCS:tests/wasm/%.wat=$(WASM_FIXTURE_DIR)/%.wasm)
UNIT_DEPS         += $(WASM_FIXTURES)

$(WASM_FIXTURE_DIR)/%.wasm: tests/wasm/%.wat
	@mkdir -p $(dir $@)
	wat2wasm --debug-names $< -o $@
