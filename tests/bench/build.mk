# tests/bench/ — `make bench`: the runtime's micro-benchmarks, printed as a
# Markdown table (median, min, max of several runs).  BENCH_ARGS=--quick
# runs a short version.
BENCH_BIN  := $(BUILD)/bin/$(FLAVOR)/kiln-bench
BENCH_OBJS := $(OBJ)/tests/bench/bench.o
BENCH_ARGS ?=

$(BENCH_BIN): $(BENCH_OBJS) $(FIX_BENCH_OBJS) $(RT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $(BENCH_OBJS) $(FIX_BENCH_OBJS) $(RT_LIB) $(KILN_LDLIBS)

bench: $(BENCH_BIN)
	@$(BENCH_BIN) $(BENCH_ARGS)
