# project.mk — the Makefile of the throwaway host projects of check-bake:
# what a host project writes to use sdk/kiln.mk (KILN_SDK: the directory
# holding kiln.mk, the build tree's sdk/ or an installed share/kiln).
include $(KILN_SDK)/kiln.mk

KILN_HOST := host

host: host.o $(KILN_OBJS)
	$(CC) $(LDFLAGS) -o $@ host.o $(KILN_OBJS) $(KILN_LDLIBS)

host.o: host.c
	$(CC) -O2 $(KILN_CFLAGS) -c -o $@ host.c
