# compiler/ — the kiln CLI.  Everything but the entry point goes into an
# internal library so that unit tests link the same code.
COMPILER_SRCS := $(filter-out compiler/kiln.c,$(wildcard compiler/*.c))
COMPILER_OBJS := $(COMPILER_SRCS:%.c=$(OBJ)/%.o)
COMPILER_LIB  := $(LIBDIR)/libkiln-compiler.a
KILN_BIN      := bin/kiln

KILN_LDLIBS  += -lelf -ljansson -lcurl -lsodium -lyaml
ALL_TARGETS  += $(KILN_BIN)

$(COMPILER_LIB): $(COMPILER_OBJS) $(WIT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(KILN_BIN): $(OBJ)/compiler/kiln.o $(COMPILER_LIB) $(OCI_LIB) $(FLAVOR_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $(OBJ)/compiler/kiln.o $(COMPILER_LIB) $(OCI_LIB) $(KILN_LDLIBS)

MAN_PAGES += docs/kiln-compile.1 docs/kiln-inspect.1 docs/kiln-check-imports.1

# `kiln run` finds the libraries of its own build tree (build/lib/<flavour>)
# and links runners with the sanitizers they were built with.
$(OBJ)/compiler/run_cache.o: KILN_CFLAGS += -DKILN_RUN_FLAVOR='"$(FLAVOR)"' \
	-DKILN_RUN_SANITIZE='"$(SANITIZE)"'
$(OBJ)/compiler/run_cache.o: $(FLAVOR_STAMP)
MAN_PAGES += docs/kiln-run.1
MAN_PAGES += docs/kiln-test.1
MAN_PAGES += docs/kiln-bake.1 docs/kiln-verify-binary.1
