# runtime/ — libkiln-rt.a, linked into every host binary.
RT_SRCS := $(wildcard runtime/*.c)
RT_OBJS := $(RT_SRCS:%.c=$(OBJ)/%.o)
RT_LIB  := $(LIBDIR)/libkiln-rt.a

ALL_TARGETS     += $(RT_LIB)
INSTALL_LIBS    += $(RT_LIB)
INSTALL_HEADERS += runtime/kiln_status.h runtime/kiln_abi.h

$(RT_LIB): $(RT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
KILN_LDLIBS     += -lsodium
INSTALL_HEADERS += runtime/kiln_wasi.h
