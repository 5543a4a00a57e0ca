# tests/bench/ — `make bench`: kiln against native code, and the runtime's
# micro-benchmarks, with each C compiler of BENCH_CCS.
#
#   make bench                         everything (about 7 minutes on 2 cores)
#   make bench BENCH_CCS=gcc BENCH_RUNS=3 BENCH_LAYOUTS=1
#
# run.sh runs the pieces and prints one report (Markdown tables on stdout),
# writes $(BENCH_DIR)/results.json and $(BENCH_DIR)/ratios.png:
#   vs-native-CC   the workloads (workloads/*.c), native and through kiln
#                  compile --cc CC with and without fuel (vs_native.c);
#                  vs-native-CC-L the same in other code layouts (below)
#   kiln-bench-CC  calls, instantiation, live instances, 1,000,000 cycles,
#                  on modules of micro/*.wat compiled with --cc CC (bench.c)
#   compile.sh     kiln compile's time and object size on the largest modules
#   fuel-run --bench (tests/fuel), wasi-bench: the fuel pass on three small
#                  kernels, the WASI layer's hot calls without wasm
# then the targets of BENCH_EXTRA (bench-examples, bench-bake, bench-run).
# `make check` runs every workload once with tiny inputs (check-bench).
BENCH_DIR   := $(BUILD)/bench
# ratios.png
DEPS_PACKAGES += gnuplot-nox
BENCH_BIN   := $(BUILD)/bin/$(FLAVOR)
BENCH_CCS   ?= gcc clang
# runs per code layout
BENCH_RUNS  ?= 5
# Where the linker puts the code moves a workload's time by as much as kiln
# is measured to differ (interp 0.96 -> 0.83, recurse 1.21 -> 1.07 with the
# same objects linked in reverse order).  vs-native-CC is layout 0;
# vs-native-CC-L, for L = 1 .. BENCH_LAYOUTS - 1, links the same objects
# with L x 1104 bytes of padding (69 x 16: every object's alignment phase
# within 64 bytes moves) before each one, in reverse order for odd L.  make
# bench pools the runs of all layouts and shows each one's geometric means.
# BENCH_LAYOUTS: 1 to 8.
BENCH_LAYOUTS ?= 4
ifneq ($(words $(BENCH_LAYOUTS))$(filter 1 2 3 4 5 6 7 8,$(BENCH_LAYOUTS)),1$(strip $(BENCH_LAYOUTS)))
$(error BENCH_LAYOUTS=$(BENCH_LAYOUTS): expected a number of code layouts from 1 to 8)
endif
BENCH_LAYOUT_IDS := $(wordlist 2,$(BENCH_LAYOUTS),0 1 2 3 4 5 6 7)
bench_rev = $(if $(1),$(call bench_rev,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
# bench_layout L PAD OBJS: OBJS in the order of layout L, PAD before each
bench_layout = $(foreach o,$(if $(filter 1 3 5 7,$(1)),$(call bench_rev,$(3)),$(3)),$(2) $(o))
BENCH_NAMES := sha256 sort interp recurse strings lz nbody hostcall
# Extra options of kiln compile for every bench module (e.g. -O 3); native
# code follows them through cc-flags.
BENCH_KILN_FLAGS ?=
WL_DIR      := tests/bench/workloads
WL_WASM     := $(BENCH_NAMES:%=$(BENCH_DIR)/wasm/%.wasm)
WL_CFLAGS   := -Wall -Wextra -Werror -I$(WL_DIR)
# kiln compile gives clang gcc's -fsignaling-nans too (clang ignores it; the
# glue's pragma does its work), which -Werror would refuse.
WL_CLANG_CFLAGS := -Wno-ignored-optimization-argument
KILN_ABI_HDRS := runtime/kiln_abi.h

$(BENCH_DIR)/wasm/%.wasm: $(WL_DIR)/%.c $(WL_DIR)/workload.h
	@mkdir -p $(dir $@)
	$(WASM_CC) --target=wasm32-wasi -O2 -mexec-model=reactor $(WL_CFLAGS) -o $@ $<

$(BENCH_DIR)/wasm/micro_%.wasm: tests/bench/micro/%.wat
	@mkdir -p $(dir $@)
	wat2wasm $< -o $@

# Per C compiler: the workloads three ways and the micro-benchmark modules.
# Native objects get exactly the flags kiln compile gives the compiler
# (cc-flags.sh reads them from kiln compile -v), plus warnings.
define BENCH_CC_RULES
$(BENCH_DIR)/$(1)/cc-flags: $(KILN_BIN) tests/bench/cc-flags.sh $(BENCH_DIR)/wasm/micro_small.wasm
	@mkdir -p $$(dir $$@)
	sh tests/bench/cc-flags.sh $(KILN_BIN) $(1) $(BENCH_DIR)/wasm/micro_small.wasm \
	  $(BENCH_KILN_FLAGS) > $$@.tmp
	mv $$@.tmp $$@
$(BENCH_DIR)/$(1)/%.native.o: $(WL_DIR)/%.c $(WL_DIR)/workload.h $(BENCH_DIR)/$(1)/cc-flags
	$(1) $$$$(cat $(BENCH_DIR)/$(1)/cc-flags) $(WL_CFLAGS) $(if $(findstring clang,$(1)),$(WL_CLANG_CFLAGS)) \
	  -DWL_NAME=$$* -c $$< -o $$@
$(BENCH_DIR)/$(1)/%.fuel.o: $(BENCH_DIR)/wasm/%.wasm $(KILN_BIN) $(KILN_ABI_HDRS)
	@mkdir -p $$(dir $$@)
	$(KILN_BIN) compile $$< -o $$@ --name wl_$$* --cc $(1) --allow-unknown-imports $(BENCH_KILN_FLAGS)
$(BENCH_DIR)/$(1)/%.nofuel.o: $(BENCH_DIR)/wasm/%.wasm $(KILN_BIN) $(KILN_ABI_HDRS)
	@mkdir -p $$(dir $$@)
	$(KILN_BIN) compile $$< -o $$@ --name wl_$$*_nf --cc $(1) --no-fuel --allow-unknown-imports \
	  $(BENCH_KILN_FLAGS)
$(BENCH_DIR)/$(1)/micro.o: $(BENCH_DIR)/wasm/micro_calls.wasm $(KILN_BIN) $(KILN_ABI_HDRS)
	@mkdir -p $$(dir $$@)
	$(KILN_BIN) compile $$< -o $$@ --name micro --cc $(1) --allow-unknown-imports
$(BENCH_DIR)/$(1)/micro_nofuel.o: $(BENCH_DIR)/wasm/micro_calls.wasm $(KILN_BIN) $(KILN_ABI_HDRS)
	@mkdir -p $$(dir $$@)
	$(KILN_BIN) compile $$< -o $$@ --name micro_nofuel --cc $(1) --no-fuel --allow-unknown-imports
$(BENCH_DIR)/$(1)/micro_small.o: $(BENCH_DIR)/wasm/micro_small.wasm $(KILN_BIN) $(KILN_ABI_HDRS)
	@mkdir -p $$(dir $$@)
	$(KILN_BIN) compile $$< -o $$@ --name micro_small --cc $(1)

BENCH_WL_OBJS_$(1) := $(foreach w,$(BENCH_NAMES),$(foreach k,native fuel nofuel,$(BENCH_DIR)/$(1)/$(w).$(k).o))
$(BENCH_BIN)/vs-native-$(1): $(OBJ)/tests/bench/vs_native.o $$(BENCH_WL_OBJS_$(1)) $(RT_LIB)
	@mkdir -p $$(dir $$@)
	$(CC) $(KILN_LDFLAGS) -o $$@ $$^ $(KILN_LDLIBS)
$(BENCH_BIN)/vs-native-$(1)-%: $(OBJ)/tests/bench/vs_native.o $$(BENCH_WL_OBJS_$(1)) $(RT_LIB) \
		$(BENCH_DIR)/pad-%.o
	@mkdir -p $$(dir $$@)
	$(CC) $(KILN_LDFLAGS) -o $$@ $(OBJ)/tests/bench/vs_native.o \
	  $$(call bench_layout,$$*,$(BENCH_DIR)/pad-$$*.o,$$(BENCH_WL_OBJS_$(1))) $(RT_LIB) $(KILN_LDLIBS)
$(BENCH_BIN)/kiln-bench-$(1): $(OBJ)/tests/bench/bench.o $(BENCH_DIR)/$(1)/micro.o \
		$(BENCH_DIR)/$(1)/micro_nofuel.o $(BENCH_DIR)/$(1)/micro_small.o $(RT_LIB)
	@mkdir -p $$(dir $$@)
	$(CC) $(KILN_LDFLAGS) -o $$@ $$^ $(KILN_LDLIBS)
endef
$(foreach cc,$(sort $(BENCH_CCS) gcc clang),$(eval $(call BENCH_CC_RULES,$(cc))))

# L x 1104 bytes of int3 in .text, no symbols: linked once before each object
$(BENCH_DIR)/pad-%.o:
	@mkdir -p $(dir $@)
	printf '\t.text\n\t.skip %d, 0xcc\n\t.section .note.GNU-stack,"",@progbits\n' \
	  $$(($* * 1104)) | $(CC) -c -x assembler -o $@ -

.SECONDARY: $(WL_WASM) $(BENCH_LAYOUT_IDS:%=$(BENCH_DIR)/pad-%.o) $(BENCH_DIR)/wasm/micro_calls.wasm $(BENCH_DIR)/wasm/micro_small.wasm

# The largest modules at hand, for compile.sh: kiln's own wasm
# reader/writer/passes built for wasm32-wasi (selfhost), the largest
# wasi-testsuite C binary and the demo's checksum extension.
BENCH_COMPILE_WASM := $(BENCH_DIR)/selfhost.wasm ../shared/testdata/wasi/c/lseek.wasm \
                      $(BUILD)/demo/checksum.wasm
SELFHOST_SRC := tests/bench/selfhost.c $(filter compiler/wasm_%.c compiler/instrument_%.c compiler/fuel_%.c,\
                $(wildcard compiler/*.c))

$(BENCH_DIR)/selfhost.wasm: $(SELFHOST_SRC)
	@mkdir -p $(dir $@)
	$(WASM_CC) --target=wasm32-wasi -O2 -D_GNU_SOURCE -Iruntime -Icompiler -o $@ $(SELFHOST_SRC)

BENCH_PROGS := $(foreach cc,$(BENCH_CCS),$(BENCH_BIN)/vs-native-$(cc) $(BENCH_BIN)/kiln-bench-$(cc) \
                 $(BENCH_LAYOUT_IDS:%=$(BENCH_BIN)/vs-native-$(cc)-%))

# Other parts' figures (BENCH_EXTRA: bake and `kiln run` times, host sizes)
# run after the measurements, one at a time, into the same report.
bench: $(BENCH_PROGS) $(KILN_BIN) $(BENCH_COMPILE_WASM)
	@BENCH_CCS="$(BENCH_CCS)" BENCH_RUNS="$(BENCH_RUNS)" LAYOUTS="$(BENCH_LAYOUT_IDS)" \
	  BIN=$(BENCH_BIN) KILN=$(KILN_BIN) \
	  FUEL_RUN=$(FUEL_RUN_BIN) WASI_BENCH=$(WASI_BENCH) \
	  sh tests/bench/run.sh $(BENCH_DIR) $(BENCH_COMPILE_WASM)
	@rc=0; for t in $(BENCH_EXTRA); do \
	  printf '\n## make %s\n\n```\n' "$$t"; \
	  $(MAKE) --no-print-directory $$t 2>&1 || { rc=1; break; }; \
	  printf '```\n'; \
	done >$(BENCH_DIR)/extra.md; \
	cat $(BENCH_DIR)/extra.md; cat $(BENCH_DIR)/extra.md >>$(BENCH_DIR)/report.md; exit $$rc

# Every workload once, tiny, with each compiler: the checksums of native
# code and of both kiln builds must agree (check.sh).
CHECK_BENCH_CCS := gcc clang
CHECKS += check-bench
check-bench: $(KILN_BIN)
	@mkdir -p $(RESULTS)
	@build_rc=0; $(MAKE) --no-print-directory -k $(foreach cc,$(CHECK_BENCH_CCS),$(BENCH_BIN)/vs-native-$(cc) \
	  $(BENCH_BIN)/kiln-bench-$(cc) $(BENCH_LAYOUT_IDS:%=$(BENCH_BIN)/vs-native-$(cc)-%)) \
	  >$(RESULTS)/bench-build.log 2>&1 || build_rc=$$?; \
	BENCH_CCS="$(CHECK_BENCH_CCS)" BIN=$(BENCH_BIN) BENCH_NAMES="$(BENCH_NAMES)" \
	  LAYOUTS="$(BENCH_LAYOUT_IDS)" \
	  BUILD_LOG=$(RESULTS)/bench-build.log BUILD_RC=$$build_rc \
	  sh tests/run-suite.sh $(RESULTS) bench sh tests/bench/check.sh
