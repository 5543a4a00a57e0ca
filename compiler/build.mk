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
MAN_PAGES += docs/kiln-bake.1 docs/kiln-verify-binary.1
