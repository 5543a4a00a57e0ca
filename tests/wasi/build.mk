# tests/wasi/ — WASI wired into instances and run by `kiln run`: the
# fixture of the wasi_wire unit suite (compiled by `kiln compile`, linked
# into kiln-unit).
WASI_FIX_DIR := $(BUILD)/wasi-fixtures/$(FLAVOR)

$(WASI_FIX_DIR)/%.wasm: tests/wasi/fixtures/%.wat
	@mkdir -p $(dir $@)
	wat2wasm $< -o $@
$(WASI_FIX_DIR)/wire.o: $(WASI_FIX_DIR)/wire.wasm $(KILN_BIN) runtime/kiln_abi.h
	$(KILN_BIN) compile $< -o $@ --name wire

UNIT_EXTRA_OBJS += $(WASI_FIX_DIR)/wire.o
.SECONDARY: $(WASI_FIX_DIR)/wire.wasm
