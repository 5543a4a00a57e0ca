# tests/bench/compile.sh — compile time and object size of `kiln compile`,
# with and without fuel, over the largest modules at hand: kiln's own wasm
# reader/writer/passes built for wasm32-wasi (selfhost), the largest
# wasi-testsuite C binary and the demo's checksum extension.  `make bench`
# runs it.
BENCH_DIR    := $(BUILD)/bench
BENCH_WASM   := $(BENCH_DIR)/selfhost.wasm ../shared/testdata/wasi/c/lseek.wasm \
                $(BUILD)/demo/checksum.wasm
SELFHOST_SRC := tests/bench/selfhost.c $(filter compiler/wasm_%.c compiler/instrument_%.c,\
                $(wildcard compiler/*.c))

$(BENCH_DIR)/selfhost.wasm: $(SELFHOST_SRC)
	@mkdir -p $(dir $@)
	$(WASM_CC) --target=wasm32-wasi -O2 -D_GNU_SOURCE -Iruntime -Icompiler -o $@ $(SELFHOST_SRC)

.PHONY: bench-compile
bench: bench-compile
bench-compile: $(KILN_BIN) $(BENCH_WASM)
	@KILN=$(KILN_BIN) sh tests/bench/compile.sh $(BENCH_DIR)/compile $(BENCH_WASM)
