# oci/ — libkiln-oci.a: references, registry client, layouts, store, lock,
# signatures.
OCI_SRCS := $(wildcard oci/*.c)
OCI_OBJS := $(OCI_SRCS:%.c=$(OBJ)/%.o)
OCI_LIB  := $(LIBDIR)/libkiln-oci.a

ALL_TARGETS     += $(OCI_LIB)
INSTALL_LIBS    += $(OCI_LIB)
INSTALL_HEADERS += oci/kiln_oci.h
MAN_PAGES       += docs/kiln-pull.1 docs/kiln-lock.1 docs/kiln-push.1 docs/kiln-sign.1 \
                   docs/kiln-store.1

$(OCI_LIB): $(OCI_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Tests against real components (tests/oci/): docker-registry, skopeo,
# openssl and htpasswd, plus small servers of our own.
DEPS_PACKAGES += docker-registry skopeo apache2-utils openssl bsdutils
OCI_TEST_BIN  := $(BUILD)/bin/$(FLAVOR)
OCI_TEST_BINS := $(OCI_TEST_BIN)/oci-fakereg $(OCI_TEST_BIN)/oci-tokensrv \
                 $(OCI_TEST_BIN)/oci-freeport
# Keep the servers' objects (make would delete them as intermediates).
.SECONDARY: $(patsubst tests/oci/%.c,$(OBJ)/tests/oci/%.o,$(wildcard tests/oci/*.c))

$(OCI_TEST_BIN)/oci-freeport: $(OBJ)/tests/oci/freeport.o
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $^

$(OCI_TEST_BIN)/oci-%: $(OBJ)/tests/oci/%.o $(OBJ)/tests/oci/httpd.o
	@mkdir -p $(dir $@)
	$(CC) $(KILN_LDFLAGS) -o $@ $^ -lsodium

CHECKS += check-oci
check-oci: $(KILN_BIN) $(OCI_TEST_BINS)
	@sh tests/run-suite.sh $(RESULTS) oci env KILN=$(KILN_BIN) OCI_BIN=$(OCI_TEST_BIN) \
	  sh tests/oci/run.sh
