# tests/ — every suite `make check` runs.  Parts add suites to CHECKS and
# fixtures to UNIT_DEPS / UNIT_EXTRA_OBJS.
include tests/fixtures/build.mk tests/bench/build.mk
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(OBJ)/%.o)
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
