/* WASI fd_* calls on files and directories opened beneath a mount. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

static char *dir;
static struct kiln_wasi_mem m;
static struct kiln_wasi *w;
static struct kiln_wasi_mount mt;

static int setup(void)
{
	struct kiln_wasi_grants g;
	dir = wfx_tmpdir();
	g = wfx_one_mount(&mt, dir, 1);
	mt.guest_path = "/data";
	m = wfx_mem();
	w = wfx_new(&g);
	return 0;
}

static int teardown(void)
{
	kiln_wasi_free(w);
	wfx_mem_free(m);
	wfx_rmtree(dir);
	free(dir);
	return 0;
}

static void test_prestat(void)
{
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_get(w, m, 3, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_PREOPEN_DIR);
	CU_ASSERT_EQUAL(wfx_u32(m, G_STAT + 4), 5);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_dir_name(w, m, 3, G_BUF, 5), 0);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF, "/data", 5);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_dir_name(w, m, 3, G_BUF, 4), WASI_ENAMETOOLONG);
	/* Stdio and the end of the table: EBADF, which ends libc's scan. */
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_get(w, m, 1, G_STAT), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_get(w, m, 4, G_STAT), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_dir_name(w, m, 4, G_BUF, 5), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 3, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_DIRECTORY);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 8), WASI_RIGHTS_DIR);
}

static void test_read_write_seek_tell(void)
{
	uint32_t fd, n;
	char buf[64];
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "rw.txt", WASI_OFLAG_CREAT | WASI_OFLAG_TRUNC, WFX_WRITE,
				 0, &fd), 0);
	CU_ASSERT(fd > 3);
	CU_ASSERT_EQUAL(wfx_write(w, m, fd, "hello world", &n), 0);
	CU_ASSERT_EQUAL(n, 11);
	CU_ASSERT_EQUAL(kiln_wasi_fd_tell(w, m, fd, G_OUT2), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, G_OUT2), 11);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, (uint64_t)-5, WASI_WHENCE_CUR, G_OUT2), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, G_OUT2), 6);
	CU_ASSERT_EQUAL(wfx_read(w, m, fd, buf, sizeof buf, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "world");
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, 0, WASI_WHENCE_SET, G_OUT2), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, 0, 3, G_OUT2), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, (uint64_t)-1, WASI_WHENCE_SET, G_OUT2),
			WASI_EINVAL);
	/* pread/pwrite leave the offset alone. */
	wfx_put(m, G_BUF, "WORLD");
	wfx_iov(m, G_IOV, 0, G_BUF, 5);
	CU_ASSERT_EQUAL(kiln_wasi_fd_pwrite(w, m, fd, G_IOV, 1, 6, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 5);
	wfx_iov(m, G_IOV, 0, G_BUF, 5);
	CU_ASSERT_EQUAL(kiln_wasi_fd_pread(w, m, fd, G_IOV, 1, 0, G_OUT), 0);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF, "hello", 5);
	CU_ASSERT_EQUAL(kiln_wasi_fd_pread(w, m, fd, G_IOV, 1, (uint64_t)INT64_MAX + 1, G_OUT),
			WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_fd_tell(w, m, fd, G_OUT2), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, G_OUT2), 0);
	wfx_read_file(dir, "rw.txt", buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "hello WORLD");
	CU_ASSERT_EQUAL(kiln_wasi_fd_close(w, m, fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_close(w, m, fd), WASI_EBADF);
	CU_ASSERT_EQUAL(wfx_write(w, m, fd, "x", &n), WASI_EBADF);
}

static void test_append_flag(void)
{
	uint32_t fd, n;
	char buf[64];
	wfx_write_file(dir, "app.txt", "start");
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "app.txt", 0, WFX_WRITE, WASI_FDFLAG_APPEND, &fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, fd, G_STAT), 0);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + G_STAT + 2), WASI_FDFLAG_APPEND);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, 0, WASI_WHENCE_SET, G_OUT2), 0);
	CU_ASSERT_EQUAL(wfx_write(w, m, fd, "+1", &n), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, fd, 0), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, 0, WASI_WHENCE_SET, G_OUT2), 0);
	CU_ASSERT_EQUAL(wfx_write(w, m, fd, "S", &n), 0);
	wfx_read_file(dir, "app.txt", buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "Start+1");
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, fd, WASI_FDFLAG_APPEND), 0);
	CU_ASSERT_EQUAL(wfx_write(w, m, fd, "!", &n), 0);
	wfx_read_file(dir, "app.txt", buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "Start+1!");
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, fd, WASI_FDFLAG_DSYNC), WASI_ENOTSUP);
	kiln_wasi_fd_close(w, m, fd);
}

static void test_rights_only_shrink(void)
{
	uint32_t fd, n;
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "r.txt", WASI_OFLAG_CREAT, WFX_WRITE, 0, &fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_rights(w, m, fd, WFX_READ & WASI_RIGHTS_FILE, 0), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, fd, G_STAT), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 8), WFX_READ & WASI_RIGHTS_FILE);
	CU_ASSERT_EQUAL(wfx_write(w, m, fd, "x", &n), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_DENIED);
	CU_ASSERT_STRING_EQUAL(wfx_last_audit(w)->function, "fd_write");
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_rights(w, m, fd, WFX_WRITE, 0), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_FD_FDSTAT_SET_RIGHTS), 1);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_rights(w, m, 99, 0, 0), WASI_EBADF);
	kiln_wasi_fd_close(w, m, fd);
}

static void test_filestat_size_times(void)
{
	uint32_t fd;
	struct stat st;
	char p[4096];
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "s.txt", WASI_OFLAG_CREAT, WFX_WRITE, 0, &fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_size(w, m, fd, 100), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_get(w, m, fd, G_STAT), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 32), 100);
	CU_ASSERT_EQUAL(m.base[G_STAT + 16], WASI_FILETYPE_REGULAR_FILE);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 24), 1);
	snprintf(p, sizeof p, "%s/s.txt", dir);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 8), (uint64_t)st.st_ino);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 0), (uint64_t)st.st_dev);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_size(w, m, fd, (uint64_t)1 << 63), WASI_EFBIG);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_times(w, m, fd, 1000000000ull * 1234567, 5,
							WASI_FST_ATIM | WASI_FST_MTIM),
			0);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_atim.tv_sec, 1234567);
	CU_ASSERT_EQUAL(st.st_mtim.tv_sec, 0);
	CU_ASSERT_EQUAL(st.st_mtim.tv_nsec, 5);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_times(w, m, fd, 0, 0, WASI_FST_MTIM_NOW), 0);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_atim.tv_sec, 1234567); /* omitted: unchanged */
	CU_ASSERT(st.st_mtim.tv_sec > 1000000000);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_times(w, m, fd, 0, 0,
							WASI_FST_ATIM | WASI_FST_ATIM_NOW),
			WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_times(w, m, fd, 0, 0, 0x10), WASI_EINVAL);
	/* A directory cannot be truncated. */
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_size(w, m, 3, 0), WASI_EISDIR);
	kiln_wasi_fd_close(w, m, fd);
}

static void test_advise_allocate_sync(void)
{
	uint32_t fd;
	struct stat st;
	char p[4096];
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "a.bin", WASI_OFLAG_CREAT, WFX_WRITE, 0, &fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_advise(w, m, fd, 0, 4096, WASI_ADVICE_SEQUENTIAL), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_advise(w, m, fd, 0, 0, WASI_ADVICE_DONTNEED), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_advise(w, m, fd, 0, 0, 6), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_fd_advise(w, m, 1, 0, 0, 0), WASI_ESPIPE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_advise(w, m, 3, 0, 0, 0), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_allocate(w, m, fd, 0, 8192), 0);
	snprintf(p, sizeof p, "%s/a.bin", dir);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 8192);
	CU_ASSERT_EQUAL(kiln_wasi_fd_allocate(w, m, fd, 0, 0), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_fd_allocate(w, m, fd, (uint64_t)INT64_MAX, 2), WASI_EFBIG);
	CU_ASSERT_EQUAL(kiln_wasi_fd_datasync(w, m, fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_sync(w, m, fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_sync(w, m, 3), 0); /* directories sync too */
	CU_ASSERT_EQUAL(kiln_wasi_fd_sync(w, m, 77), WASI_EBADF);
	kiln_wasi_fd_close(w, m, fd);
}

static void test_renumber(void)
{
	uint32_t a, b, n;
	char buf[16];
	wfx_write_file(dir, "one", "1");
	wfx_write_file(dir, "two", "2");
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "one", 0, WFX_READ, 0, &a), 0);
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "two", 0, WFX_READ, 0, &b), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_renumber(w, m, a, b), 0);
	CU_ASSERT_EQUAL(wfx_read(w, m, b, buf, sizeof buf, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "1");
	CU_ASSERT_EQUAL(wfx_read(w, m, a, buf, sizeof buf, &n), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_renumber(w, m, a, b), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_renumber(w, m, b, 500), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_renumber(w, m, b, b), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_renumber(w, m, b, 0xffffffff), WASI_EBADF);
	kiln_wasi_fd_close(w, m, b);
}

/* Every entry once, cookies resume, d_ino matches stat, and a buffer too
 * small for one entry gets it truncated and re-read next time. */
static void test_readdir(void)
{
	uint32_t fd, used, off, seen = 0;
	uint64_t next = 0, cookie_of_b = 0;
	char sub[4096];
	struct stat st;

	snprintf(sub, sizeof sub, "%s/list", dir);
	mkdir(sub, 0755);
	wfx_write_file(sub, "file-a", "");
	wfx_write_file(sub, "file-b", "");
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "list", WASI_OFLAG_DIRECTORY, WFX_READ, 0, &fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_readdir(w, m, fd, G_BUF, 4096, 0, G_OUT), 0);
	used = wfx_u32(m, G_OUT);
	for (off = 0; off + WASI_DIRENT_SIZE <= used;) {
		const uint8_t *d = m.base + G_BUF + off;
		uint32_t nl = wasi_ld32(d + 16);
		char name[64] = {0};
		memcpy(name, d + WASI_DIRENT_SIZE, nl < 63 ? nl : 63);
		if (strncmp(name, "file-", 5) == 0) {
			char p[8192];
			snprintf(p, sizeof p, "%s/%s", sub, name);
			CU_ASSERT_EQUAL(stat(p, &st), 0);
			CU_ASSERT_EQUAL(wasi_ld64(d + 8), (uint64_t)st.st_ino);
			CU_ASSERT_EQUAL(d[20], WASI_FILETYPE_REGULAR_FILE);
			if (name[5] == 'b')
				cookie_of_b = next;
			seen++;
		}
		next = wasi_ld64(d);
		off += WASI_DIRENT_SIZE + nl;
	}
	CU_ASSERT_EQUAL(off, used);
	CU_ASSERT_EQUAL(seen, 2);
	CU_ASSERT_EQUAL(next, 4); /* ".", "..", two files */
	/* Resume at a cookie: the first entry is file-b. */
	CU_ASSERT_EQUAL(kiln_wasi_fd_readdir(w, m, fd, G_BUF, 4096, cookie_of_b, G_OUT), 0);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF + WASI_DIRENT_SIZE, "file-b", 6);
	/* Past the end: nothing. */
	CU_ASSERT_EQUAL(kiln_wasi_fd_readdir(w, m, fd, G_BUF, 4096, 99, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 0);
	/* A buffer of 10 bytes: filled, entry truncated; same cookie again
	 * with room gives the whole entry. */
	CU_ASSERT_EQUAL(kiln_wasi_fd_readdir(w, m, fd, G_BUF, 10, cookie_of_b, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 10);
	CU_ASSERT_EQUAL(kiln_wasi_fd_readdir(w, m, fd, G_BUF, 30, cookie_of_b, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 30);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF + WASI_DIRENT_SIZE, "file-b", 6);
	CU_ASSERT_EQUAL(kiln_wasi_fd_readdir(w, m, 1, G_BUF, 30, 0, G_OUT), WASI_ENOTDIR);
	/* A directory is neither read nor written like a file. */
	wfx_iov(m, G_IOV, 0, G_BUF, 4);
	CU_ASSERT_EQUAL(kiln_wasi_fd_read(w, m, fd, G_IOV, 1, G_OUT), WASI_EISDIR);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, 0, 0, G_OUT), WASI_EBADF);
	kiln_wasi_fd_close(w, m, fd);
}

/* The table is bounded: EMFILE (recorded), and room again after a close. */
static void test_fd_table_full(void)
{
	uint32_t fd = 0, first = 0;
	int32_t rc = 0;
	unsigned opened = 0;
	wfx_write_file(dir, "many", "");
	while ((rc = wfx_open(w, m, 3, "many", 0, WFX_READ, 0, &fd)) == 0) {
		if (opened++ == 0)
			first = fd;
		if (opened > KILN_WASI_MAX_FDS)
			break;
	}
	CU_ASSERT_EQUAL(rc, WASI_EMFILE);
	CU_ASSERT_EQUAL(opened, KILN_WASI_MAX_FDS - 4); /* 0-2 stdio, 3 the mount */
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_REFUSED);
	CU_ASSERT_EQUAL(kiln_wasi_fd_close(w, m, first), 0);
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "many", 0, WFX_READ, 0, &fd), 0);
	CU_ASSERT_EQUAL(fd, first);
	/* Put things back for the next tests. */
	CU_ASSERT_EQUAL(kiln_wasi_reset(w, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(w), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 4, G_STAT), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 3, G_STAT), 0);
}

void kiln_test_wasi_fd(void)
{
	CU_pSuite s = CU_add_suite("wasi_fd", setup, teardown);
	CU_add_test(s, "prestat", test_prestat);
	CU_add_test(s, "read, write, seek, tell, pread, pwrite", test_read_write_seek_tell);
	CU_add_test(s, "append flag", test_append_flag);
	CU_add_test(s, "rights only shrink", test_rights_only_shrink);
	CU_add_test(s, "filestat, size, times", test_filestat_size_times);
	CU_add_test(s, "advise, allocate, sync", test_advise_allocate_sync);
	CU_add_test(s, "renumber", test_renumber);
	CU_add_test(s, "readdir", test_readdir);
	CU_add_test(s, "fd table full", test_fd_table_full);
}
