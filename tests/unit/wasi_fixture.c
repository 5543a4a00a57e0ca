/* Shared set-up of the WASI unit suites; see wasi_fixture.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "wasi_fixture.h"

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

struct kiln_wasi_mem wfx_mem(void)
{
	struct kiln_wasi_mem m = {NULL, 0};
	uint8_t *p = mmap(NULL, WFX_MEM + page(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* Set-up failures abort: these helpers also run in suite set-up,
	 * where CUnit cannot record a failure. */
	if (p == MAP_FAILED || mprotect(p + WFX_MEM, page(), PROT_NONE) != 0) {
		perror("wfx_mem");
		abort();
	}
	m.base = p;
	m.size = WFX_MEM;
	return m;
}

struct kiln_wasi_mem wfx_mem_tail(struct kiln_wasi_mem m, uint64_t size)
{
	struct kiln_wasi_mem t = {m.base + (m.size - size), size};
	return t;
}

void wfx_mem_free(struct kiln_wasi_mem m)
{
	if (m.base != NULL)
		munmap(m.base, WFX_MEM + page());
}

char *wfx_tmpdir(void)
{
	char tmpl[PATH_MAX], *abs;
	struct stat st;
	if (stat("build", &st) == 0 && S_ISDIR(st.st_mode)) {
		mkdir("build/tmp", 0755);
		snprintf(tmpl, sizeof tmpl, "build/tmp/wasi.XXXXXX");
	} else {
		snprintf(tmpl, sizeof tmpl, "/tmp/kiln-wasi.XXXXXX");
	}
	if (mkdtemp(tmpl) == NULL || (abs = realpath(tmpl, NULL)) == NULL) {
		perror("wfx_tmpdir");
		abort();
	}
	return abs;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void wfx_rmtree(const char *path)
{
	if (path != NULL)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void wfx_write_file(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if ((f = fopen(p, "w")) == NULL) {
		perror(p); /* may run in suite set-up: no CUnit assertion here */
		abort();
	}
	fputs(text, f);
	fclose(f);
}

long wfx_read_file(const char *dir, const char *name, char *buf, size_t cap)
{
	char p[PATH_MAX];
	FILE *f;
	size_t n;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if ((f = fopen(p, "r")) == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (long)n;
}

void wfx_mkdir(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	CU_ASSERT_EQUAL(mkdir(p, 0755), 0);
}

void wfx_symlink(const char *target, const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	CU_ASSERT_EQUAL(symlink(target, p), 0);
}

int wfx_exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

uint32_t wfx_put(struct kiln_wasi_mem m, uint32_t at, const char *s)
{
	size_t n = strlen(s);
	memcpy(m.base + at, s, n);
	return (uint32_t)n;
}

void wfx_iov(struct kiln_wasi_mem m, uint32_t at, uint32_t i, uint32_t buf, uint32_t len)
{
	wasi_st32(m.base + at + 8 * i, buf);
	wasi_st32(m.base + at + 8 * i + 4, len);
}

uint32_t wfx_u32(struct kiln_wasi_mem m, uint32_t at)
{
	return wasi_ld32(m.base + at);
}

uint64_t wfx_u64(struct kiln_wasi_mem m, uint32_t at)
{
	return wasi_ld64(m.base + at);
}

struct kiln_wasi *wfx_new(const struct kiln_wasi_grants *g)
{
	struct kiln_wasi *w = NULL;
	struct kiln_err err = {0};
	int rc = kiln_wasi_new(g, "ext", &w, &err);
	if (rc != KILN_OK) {
		fprintf(stderr, "wfx_new: %s\n", err.msg);
		abort();
	}
	return w;
}

struct kiln_wasi_grants wfx_one_mount(struct kiln_wasi_mount *mt, const char *host, int writable)
{
	struct kiln_wasi_grants g = {0};
	mt->host_path = host;
	mt->guest_path = "/";
	mt->writable = writable != 0;
	g.mounts = mt;
	g.nmounts = 1;
	return g;
}

int32_t wfx_open(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t dirfd, const char *path,
		 uint32_t oflags, uint64_t rights, uint32_t fdflags, uint32_t *fd)
{
	uint32_t len = wfx_put(m, G_PATH, path);
	uint64_t inh = 0;
	int32_t rc;
	/* Like wasi-libc: ask for the wanted rights the directory passes
	 * on, and inherit all it passes on. */
	if (kiln_wasi_fd_fdstat_get(w, m, dirfd, G_STAT + 0x100) == 0) {
		inh = wfx_u64(m, G_STAT + 0x100 + 16);
		rights &= inh;
	}
	wasi_st32(m.base + G_OUT, 0xdeadbeef);
	rc = kiln_wasi_path_open(w, m, dirfd, WASI_LOOKUP_SYMLINK_FOLLOW, G_PATH, len, oflags,
				 rights, inh, fdflags, G_OUT);
	if (fd != NULL)
		*fd = wfx_u32(m, G_OUT);
	return rc;
}

int32_t wfx_write(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd, const char *s,
		  uint32_t *n)
{
	uint32_t len = wfx_put(m, G_BUF, s);
	int32_t rc;
	wfx_iov(m, G_IOV, 0, G_BUF, len);
	rc = kiln_wasi_fd_write(w, m, fd, G_IOV, 1, G_OUT);
	if (n != NULL)
		*n = wfx_u32(m, G_OUT);
	return rc;
}

int32_t wfx_read(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd, char *out, uint32_t cap,
		 uint32_t *n)
{
	int32_t rc;
	uint32_t got;
	wfx_iov(m, G_IOV, 0, G_BUF, cap - 1);
	rc = kiln_wasi_fd_read(w, m, fd, G_IOV, 1, G_OUT);
	got = rc == 0 ? wfx_u32(m, G_OUT) : 0;
	if (got > cap - 1)
		got = cap - 1;
	memcpy(out, m.base + G_BUF, got);
	out[got] = '\0';
	if (n != NULL)
		*n = got;
	return rc;
}

const struct kiln_audit_entry *wfx_last_audit(const struct kiln_wasi *w)
{
	size_t n = kiln_wasi_audit_count(w);
	return n == 0 ? NULL : kiln_wasi_audit_get(w, n - 1);
}
