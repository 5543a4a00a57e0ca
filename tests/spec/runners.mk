# tests/spec/runners.mk — builds the check-spec runners; run by
# tests/spec/spec.sh as a sub-make (make -f tests/spec/runners.mk), with
# SPEC_RUN_DIR, SPEC_CACHE, KILN, CC, SPEC_CFLAGS, SPEC_LDFLAGS,
# SPEC_LDLIBS, RT_LIB and SPEC_RUNNER_OBJ given on its command line.
# $(SPEC_RUN_DIR)/spec.mk (written by kiln-spec-gen) lists the files, the
# objects of each, and one compile rule per distinct object.
all:
include $(SPEC_RUN_DIR)/spec.mk

SPEC_COMPILE := KILN=$(KILN) sh tests/spec/compile.sh
RUNNERS := $(SPEC_FILES:%=$(SPEC_RUN_DIR)/%/runner)

all: $(RUNNERS)

$(SPEC_RUN_DIR)/%/gen.o: $(SPEC_RUN_DIR)/%/gen.c tests/spec/spec_runner.h
	@$(CC) $(SPEC_CFLAGS) -Itests/spec -c $< -o $@

# An object whose compile failed is left out (its descriptor is a weak
# symbol, NULL in the runner): $(wildcard) runs when the recipe does.
.SECONDEXPANSION:
$(SPEC_RUN_DIR)/%/runner: $(SPEC_RUN_DIR)/%/gen.o $$(SPEC_OBJS_$$*) $(SPEC_RUNNER_OBJ) $(RT_LIB)
	@$(CC) $(SPEC_LDFLAGS) -o $@ $< $(wildcard $(SPEC_OBJS_$*)) $(SPEC_RUNNER_OBJ) \
	  $(RT_LIB) $(SPEC_LDLIBS)

# gen.o is made by a chain of rules: keep it, or every run relinks.
.SECONDARY:
.PHONY: all
