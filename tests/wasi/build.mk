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

# The conformance runner (tests/wasi/conform.c) and its two suites:
#   check-wasi      the shared WASI test suite, C and AssemblyScript tests;
#   check-wasi-own  our C programs of tests/wasi/c, built for wasm32-wasi,
#                   which reach every function the shared suite does not.
# Modules are compiled and linked by `kiln run`, cached under build/cache.
WASI_CONFORM := $(BUILD)/bin/$(FLAVOR)/wasi-conform
WASI_WORK    := $(BUILD)/wasi-work/$(FLAVOR)
WASI_SHARED  := ../shared/testdata/wasi
KILN_RUN_CACHE := $(abspath $(BUILD))/cache

$(WASI_CONFORM): $(OBJ)/tests/wasi/conform.o
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $^ -ljansson

CHECKS += check-wasi check-wasi-own
check-wasi: $(KILN_BIN) $(RT_LIB) $(RUN_LIB) $(WASI_CONFORM)
	@XDG_CACHE_HOME=$(KILN_RUN_CACHE) sh tests/run-suite.sh $(RESULTS) wasi \
	  $(WASI_CONFORM) wasi $(KILN_BIN) $(WASI_WORK) $(WASI_SHARED)/c $(WASI_SHARED)/assemblyscript
check-wasi-own: $(KILN_BIN) $(RT_LIB) $(RUN_LIB) $(WASI_CONFORM)
	@$(MAKE) --no-print-directory -k $(WASI_C_WASM) >/dev/null || true
	@XDG_CACHE_HOME=$(KILN_RUN_CACHE) sh tests/run-suite.sh $(RESULTS) wasi-own \
	  $(WASI_CONFORM) wasi-own $(KILN_BIN) $(WASI_WORK) $(BUILD)/wasi-c=tests/wasi/c

# check-run: `kiln run` end to end (tests/run/run.sh): grants honoured,
# exit codes of exits and traps, budgets, stdio, the cache, bad usage.
# It also runs the kiln of `make install DESTDIR=build/run-e2e/<flavour>/install`.
RUN_E2E := $(abspath $(BUILD))/run-e2e/$(FLAVOR)
CHECKS += check-run
check-run: $(KILN_BIN) $(RT_LIB) $(RUN_LIB)
	@rm -rf $(RUN_E2E)/install
	@$(MAKE) --no-print-directory install DESTDIR=$(RUN_E2E)/install PREFIX=/usr >/dev/null
	@KILN=$(KILN_BIN) WASM_CC="$(WASM_CC)" INSTALLED=$(RUN_E2E)/install/usr \
	  sh tests/run-suite.sh $(RESULTS) run sh tests/run/run.sh $(RUN_E2E)

# make bench: kiln run cold (compile + link + run) and warm (cached).
.PHONY: bench-run
BENCH_EXTRA += bench-run
bench-run: $(KILN_BIN) $(RT_LIB) $(RUN_LIB) $(BUILD)/wasi-c/proc_raise-sched_yield.wasm
	@mkdir -p $(BUILD)/bench/run
	@KILN=$(KILN_BIN) sh tests/run/bench.sh $(BUILD)/bench/run \
	  $(WASI_SHARED)/c/sock_shutdown-invalid_fd.wasm $(WASI_SHARED)/c/fopen-with-no-access.wasm \
	  $(WASI_SHARED)/assemblyscript/proc_exit-success.wasm \
	  $(BUILD)/wasi-c/proc_raise-sched_yield.wasm
