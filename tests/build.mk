# tests/ — every suite `make check` runs.  Parts add suites to CHECKS and
# fixtures to UNIT_DEPS / UNIT_EXTRA_OBJS.
include tests/wasm/build.mk
include tests/spec/build.mk
include tests/fuel/build.mk
include tests/fuzz/build.mk
include tests/spec/reject.mk
include tests/e2e/build.mk
include tests/fixtures/build.mk tests/bench/build.mk
include tests/unit/hostapi.mk
include tests/ktest/build.mk
include tests/wasi/build.mk
include tests/bake/build.mk
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(OBJ)/%.o) $(OBJ)/tests/slurp.o
UNIT_BIN  := $(BUILD)/bin/$(FLAVOR)/kiln-unit
UNIT_DEPS ?=
UNIT_EXTRA_OBJS ?=

$(UNIT_BIN): $(UNIT_OBJS) $(UNIT_EXTRA_OBJS) $(COMPILER_LIB) $(OCI_LIB) $(RT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $(UNIT_OBJS) $(UNIT_EXTRA_OBJS) $(COMPILER_LIB) \
	  $(OCI_LIB) $(RT_LIB) -lcunit $(KILN_LDLIBS)

CHECKS += check-unit
check-unit: $(UNIT_BIN) $(UNIT_DEPS)
	@sh tests/run-suite.sh $(RESULTS) unit $(UNIT_BIN)

# tests/wasi/c — C programs for wasm32-wasi reaching the WASI functions the
# shared suite does not; built and checked here (wasi-build), run by
# check-wasi-own (tests/wasi/build.mk).
WASM_CC     ?= clang
WASI_C_SRCS := $(wildcard tests/wasi/c/*.c)
WASI_C_WASM := $(WASI_C_SRCS:tests/wasi/c/%.c=$(BUILD)/wasi-c/%.wasm)

$(BUILD)/wasi-c/%.wasm: tests/wasi/c/%.c
	@mkdir -p $(dir $@)
	$(WASM_CC) --target=wasm32-wasi -O2 -Wall -Wextra -Werror -o $@ $<

CHECKS += check-wasi-build
check-wasi-build:
	@$(MAKE) --no-print-directory -k $(WASI_C_WASM) >/dev/null || true
	@sh tests/run-suite.sh $(RESULTS) wasi-build sh tests/wasi/check-build.sh $(BUILD)/wasi-c

# make bench: the WASI layer's hot calls, without wasm (run by
# tests/bench/run.sh; `make bench-wasi` alone).
WASI_BENCH := $(BUILD)/bin/$(FLAVOR)/wasi-bench
$(WASI_BENCH): $(OBJ)/tests/bench/wasi_bench.o $(RT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $^ $(KILN_LDLIBS)
bench: $(WASI_BENCH)
bench-wasi: $(WASI_BENCH)
	$(WASI_BENCH)
