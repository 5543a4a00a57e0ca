# runtime/ — libkiln-rt.a, linked into every host binary.
RT_SRCS := $(wildcard runtime/*.c)
RT_OBJS := $(RT_SRCS:%.c=$(OBJ)/%.o)
RT_LIB  := $(LIBDIR)/libkiln-rt.a

ALL_TARGETS     += $(RT_LIB)
INSTALL_LIBS    += $(RT_LIB)
INSTALL_HEADERS += runtime/kiln_status.h runtime/kiln_abi.h runtime/kiln_rt.h

$(RT_LIB): $(RT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
KILN_LDLIBS     += -lsodium
INSTALL_HEADERS += runtime/kiln_wasi.h

# UBSan's null check of a thread-local address is miscompiled once the
# linker relaxes the TLS access (initial-exec to local-exec turns an `add`
# into a `lea`, and the check then branches on stale flags): it reports
# null for &kiln_rt_thread.  The runtime's own code goes without that one
# check; everything else stays sanitised.
$(RT_OBJS): KILN_CFLAGS += $(if $(findstring undefined,$(SANITIZE)),-fno-sanitize=null)

# The generic host `kiln run` links each extension with (runtime/run/),
# installed beside libkiln-rt.a.
RUN_LIB := $(LIBDIR)/libkiln-run.a
ALL_TARGETS  += $(RUN_LIB)
INSTALL_LIBS += $(RUN_LIB)

$(RUN_LIB): $(OBJ)/runtime/run/run_host.o
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
