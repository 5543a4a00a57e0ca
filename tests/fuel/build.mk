# tests/fuel/ — the fuel pass at run time (suite check-fuel): fuel_run.wat
# through `kiln compile` without (--no-fuel) and with the pass, linked with
# libkiln-rt.  The harness wraps kiln.fuel_exhausted and kiln_fuel_trap
# (-Wl,--wrap) to watch the calls the generated code makes.
FUEL_DIR      := $(BUILD)/fuel/$(FLAVOR)
FUEL_RUN_BIN  := $(FUEL_DIR)/fuel-run
# env.mul is not in the host world: --allow-unknown-imports, whose notes go
# to a log shown only when the compile fails.
fuel_kiln      = $(KILN_BIN) compile --allow-unknown-imports $< -o $@ $(1) >$@.log 2>&1 || \
		 { cat $@.log; exit 1; }

$(FUEL_DIR)/fuel_run.wasm: tests/fuel/fuel_run.wat
	@mkdir -p $(dir $@)
	wat2wasm $< -o $@
$(FUEL_DIR)/plain.o: $(FUEL_DIR)/fuel_run.wasm $(KILN_BIN)
	$(call fuel_kiln,--name plain --no-fuel)
$(FUEL_DIR)/fueled.o: $(FUEL_DIR)/fuel_run.wasm $(KILN_BIN)
	$(call fuel_kiln,--name fueled)

# The harness counts the runtime's fuel_exhausted and kiln_fuel_trap calls.
FUEL_WRAP := -Wl,--wrap=Z_kilnZ_fuel_exhausted -Wl,--wrap=kiln_fuel_trap
$(FUEL_RUN_BIN): $(OBJ)/tests/fuel/harness.o $(FUEL_DIR)/plain.o $(FUEL_DIR)/fueled.o $(RT_LIB)
	$(CC) $(KILN_LDFLAGS) $(FUEL_WRAP) -o $@ $^ $(KILN_LDLIBS)

CHECKS += check-fuel
check-fuel: $(FUEL_RUN_BIN)
	@sh tests/run-suite.sh $(RESULTS) fuel $(FUEL_RUN_BIN)

# The same with the objects compiled by clang (the glue's clang-only parts:
# volatile loads, KILN_FPIN).
FUEL_CLANG_BIN := $(FUEL_DIR)/fuel-run-clang
$(FUEL_DIR)/clang/plain.o: $(FUEL_DIR)/fuel_run.wasm $(KILN_BIN)
	@mkdir -p $(dir $@)
	$(call fuel_kiln,--name plain --no-fuel --cc clang)
$(FUEL_DIR)/clang/fueled.o: $(FUEL_DIR)/fuel_run.wasm $(KILN_BIN)
	@mkdir -p $(dir $@)
	$(call fuel_kiln,--name fueled --cc clang)
$(FUEL_DIR)/harness-clang.o: tests/fuel/harness.c
	@mkdir -p $(dir $@)
	$(CC) $(KILN_CFLAGS) -DFUEL_SUITE='"fuel-clang"' -c $< -o $@
$(FUEL_CLANG_BIN): $(FUEL_DIR)/harness-clang.o $(FUEL_DIR)/clang/plain.o \
		$(FUEL_DIR)/clang/fueled.o $(RT_LIB)
	$(CC) $(KILN_LDFLAGS) $(FUEL_WRAP) -o $@ $^ $(KILN_LDLIBS)

CHECKS += check-fuel-clang
check-fuel-clang: $(FUEL_CLANG_BIN)
	@sh tests/run-suite.sh $(RESULTS) fuel-clang $(FUEL_CLANG_BIN)

# What the charges cost at run time (not a test: numbers only); run by
# tests/bench/run.sh, or alone with `make bench-fuel`.
bench: $(FUEL_RUN_BIN)
bench-fuel: $(FUEL_RUN_BIN)
	@$(FUEL_RUN_BIN) --bench
.PHONY: bench-fuel
