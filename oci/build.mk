# oci/ — libkiln-oci.a: references, registry client, layouts, store, lock,
# signatures.
OCI_SRCS := $(wildcard oci/*.c)
OCI_OBJS := $(OCI_SRCS:%.c=$(OBJ)/%.o)
OCI_LIB  := $(LIBDIR)/libkiln-oci.a

ALL_TARGETS     += $(OCI_LIB)
INSTALL_LIBS    += $(OCI_LIB)
INSTALL_HEADERS += oci/kiln_oci.h

$(OCI_LIB): $(OCI_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
