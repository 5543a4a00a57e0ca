# tests/fuel/ — the fuel pass at run time (suite check-fuel): fuel_run.wat
# through wasm2c before and after the pass, linked with WABT's runtime
# (libwasm-rt-impl) until libkiln-rt replaces it.  Kept apart from the
# other suites so that switching runtimes touches only this file.
FUEL_DIR      := $(BUILD)/fuel
FUEL_PASS_BIN := $(BUILD)/bin/$(FLAVOR)/kiln-fuel-pass
FUEL_RUN_BIN  := $(FUEL_DIR)/fuel-run
WABT_RT_INC   := /usr/share/wabt/wasm2c

$(FUEL_PASS_BIN): $(OBJ)/tests/fuel/fuel_pass.o $(COMPILER_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $< $(COMPILER_LIB) $(KILN_LDLIBS)

$(FUEL_DIR)/plain.wasm: tests/fuel/fuel_run.wat
	@mkdir -p $(dir $@)
	wat2wasm $< -o $@
$(FUEL_DIR)/fueled.wasm: $(FUEL_DIR)/plain.wasm $(FUEL_PASS_BIN)
	$(FUEL_PASS_BIN) $< $@
$(FUEL_DIR)/%.c: $(FUEL_DIR)/%.wasm
	wasm2c $< -n $* -o $@

# Generated code is not held to the project's warning flags.
$(FUEL_RUN_BIN): tests/fuel/harness.c $(FUEL_DIR)/plain.c $(FUEL_DIR)/fueled.c
	$(CC) -O2 -g -c -I$(WABT_RT_INC) $(FUEL_DIR)/plain.c -o $(FUEL_DIR)/plain.o
	$(CC) -O2 -g -c -I$(WABT_RT_INC) $(FUEL_DIR)/fueled.c -o $(FUEL_DIR)/fueled.o
	$(CC) -std=c11 -D_GNU_SOURCE $(KILN_WARN) -O2 -g -c -I$(WABT_RT_INC) -I$(FUEL_DIR) $< -o $(FUEL_DIR)/harness.o
	$(CC) -o $@ $(FUEL_DIR)/harness.o $(FUEL_DIR)/plain.o $(FUEL_DIR)/fueled.o -lwasm-rt-impl -lm

CHECKS += check-fuel
check-fuel: $(FUEL_RUN_BIN)
	@sh tests/run-suite.sh $(RESULTS) fuel $(FUEL_RUN_BIN)

# What the charges cost at run time (not a test: numbers only); run by
# tests/bench/run.sh, or alone with `make bench-fuel`.
bench: $(FUEL_RUN_BIN)
bench-fuel: $(FUEL_RUN_BIN)
	@$(FUEL_RUN_BIN) --bench
.PHONY: bench-fuel
