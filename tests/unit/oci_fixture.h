/*
 * oci_fixture.h — helpers the libkiln-oci unit suites share: temporary
 * directories (removed again), small files, a client on a private store.
 */
#ifndef KILN_OCI_FIXTURE_H
#define KILN_OCI_FIXTURE_H

#include <stddef.h>

#include "kiln_oci.h"

/** A fresh directory under $TMPDIR (or /tmp); caller frees and fx_rmtree()s. */
char *fx_tmpdir(void);
/** rm -rf @dir. */
void fx_rmtree(const char *dir);
/** Write @len bytes to @path; 0 on success. */
int fx_write(const char *path, const void *data, size_t len);
/** Read @path into a malloc'd NUL-terminated buffer (length in *@len). */
char *fx_read(const char *path, size_t *len);
/** Regular files below @dir, recursively. */
size_t fx_count_files(const char *dir);
/** An offline client whose store is @store. */
struct kiln_oci_client *fx_client(const char *store);
/** A minimal core module: the header and a custom section of @extra bytes. */
size_t fx_wasm(unsigned char *buf, size_t cap, size_t extra);

#endif
