# examples/ — example extensions and hosts; `make demo` builds and runs them.
#
# The demo: examples/checksum/checksum.c is built for wasm32-wasi with clang,
# compiled by `kiln compile` into a native object, linked with the example
# host and run.  Until libkiln-rt lands, the host runs on WABT's wasm-rt-impl
# through examples/host/interim_rt.c (the only file to switch).
DEMO_DIR     := $(BUILD)/demo
WASM_CC      ?= clang
WASM_CFLAGS  ?= -O2
MULTIARCH    := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
WABT_RT_LIB  ?= /usr/lib/$(MULTIARCH)/libwasm-rt-impl.a
WABT_RT_INC  ?= /usr/share/wabt/wasm2c
# Flags of the example host (plain C, no sanitizers: it links WABT's runtime).
EXAMPLE_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 $(KILN_WARN) -Iruntime -I$(WABT_RT_INC)

$(DEMO_DIR)/checksum.wasm: examples/checksum/checksum.c
	@mkdir -p $(dir $@)
	$(WASM_CC) --target=wasm32-wasi $(WASM_CFLAGS) -mexec-model=reactor -o $@ $<

$(DEMO_DIR)/checksum.o: $(DEMO_DIR)/checksum.wasm $(KILN_BIN) runtime/kiln_abi.h
	$(KILN_BIN) compile $< -o $@ --name checksum --max-memory 16MiB

$(DEMO_DIR)/host: examples/host/host.c examples/host/interim_rt.c examples/host/interim_rt.h \
		  $(DEMO_DIR)/checksum.o
	$(CC) $(EXAMPLE_CFLAGS) -o $@ examples/host/host.c examples/host/interim_rt.c \
	  $(DEMO_DIR)/checksum.o $(WABT_RT_LIB) -lm

demo: $(DEMO_DIR)/host
	@echo "== kiln inspect $(DEMO_DIR)/host"
	@$(KILN_BIN) inspect $(DEMO_DIR)/host
	@echo "== $(DEMO_DIR)/host"
	@$(DEMO_DIR)/host
