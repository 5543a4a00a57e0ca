/*
 * wasi_fixture.h — shared set-up for the WASI unit suites: a guest memory
 * with a PROT_NONE guard page right after it (any access past the view by
 * the code under test crashes the runner instead of passing silently),
 * temporary directories under build/tmp, and helpers to lay out guest data.
 */
#ifndef KILN_WASI_FIXTURE_H
#define KILN_WASI_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "wasi_impl.h"

/* Bytes of guest memory the fixture maps (one guard page follows). */
#define WFX_MEM (64u * 1024u)

/* Guest offsets the tests use by convention. */
#define G_OUT 0x100   /* results: fd, sizes, counts */
#define G_OUT2 0x140
#define G_STAT 0x200  /* filestat / fdstat / prestat */
#define G_PATH 0x1000 /* first path */
#define G_PATH2 0x1800
#define G_IOV 0x2000  /* iovec arrays */
#define G_BUF 0x4000  /* data buffers, up to 0x8000 bytes */

/** Map WFX_MEM bytes of zeroed guest memory plus a guard page. */
struct kiln_wasi_mem wfx_mem(void);
/** A view of the same mapping shrunk to @size bytes that end right at the
 * guard page, for bounds tests. */
struct kiln_wasi_mem wfx_mem_tail(struct kiln_wasi_mem m, uint64_t size);
void wfx_mem_free(struct kiln_wasi_mem m);

/** Create a fresh directory build/tmp/wasi.XXXXXX (or under /tmp when
 * build/ is absent) and return its malloc'd absolute path. */
char *wfx_tmpdir(void);
/** Remove @path and everything below it (not following symlinks). */
void wfx_rmtree(const char *path);
/** Write @text into file @dir/@name (created or truncated). */
void wfx_write_file(const char *dir, const char *name, const char *text);
/** Read file @dir/@name into @buf (NUL-terminated); -1 when missing. */
long wfx_read_file(const char *dir, const char *name, char *buf, size_t cap);
/** mkdir @dir/@name (0755); symlink @dir/@name -> @target. */
void wfx_mkdir(const char *dir, const char *name);
void wfx_symlink(const char *target, const char *dir, const char *name);
/** True when @dir/@name exists (lstat). */
int wfx_exists(const char *dir, const char *name);

/** Copy @s (without NUL) to guest offset @at; returns its length. */
uint32_t wfx_put(struct kiln_wasi_mem m, uint32_t at, const char *s);
/** Write one iovec {buf, len} at guest offset @at + 8 * @i. */
void wfx_iov(struct kiln_wasi_mem m, uint32_t at, uint32_t i, uint32_t buf, uint32_t len);
uint32_t wfx_u32(struct kiln_wasi_mem m, uint32_t at);
uint64_t wfx_u64(struct kiln_wasi_mem m, uint32_t at);

/** kiln_wasi_new that must succeed (NULL and a CUnit failure otherwise). */
struct kiln_wasi *wfx_new(const struct kiln_wasi_grants *g);
/** Grants with one mount of @host as "/" (writable or not). */
struct kiln_wasi_grants wfx_one_mount(struct kiln_wasi_mount *mt, const char *host, int writable);

/** path_open of @path relative to @dirfd as wasi-libc does it (@rights
 * masked by the directory's inheriting rights); returns the WASI errno and
 * the new fd in *@fd. */
int32_t wfx_open(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t dirfd, const char *path,
		 uint32_t oflags, uint64_t rights, uint32_t fdflags, uint32_t *fd);
/** Rights wasi-libc asks for when opening for reading / writing. */
#define WFX_READ (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL | \
		  WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_READDIR)
#define WFX_WRITE (WFX_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | \
		   WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SYNC | \
		   WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_FILESTAT_SET_TIMES | \
		   WASI_RIGHT_FD_FDSTAT_SET_FLAGS)
/** fd_write of @s to @fd through one iovec; returns the errno, bytes in *@n. */
int32_t wfx_write(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd, const char *s,
		  uint32_t *n);
/** fd_read into G_BUF up to @cap bytes; the data is NUL-terminated in @out. */
int32_t wfx_read(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd, char *out, uint32_t cap,
		 uint32_t *n);
/** The last audit entry, or NULL. */
const struct kiln_audit_entry *wfx_last_audit(const struct kiln_wasi *w);

#endif
