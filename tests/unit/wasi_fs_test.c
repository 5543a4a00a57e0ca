/* WASI path_* calls: behaviour inside a mount, read-only mounts, and path
 * arguments the guest gets wrong.  Every test runs with both resolvers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

struct env {
	char *dir;
	struct kiln_wasi_mem m;
	struct kiln_wasi *w;
	struct kiln_wasi_mount mt;
};

static void env_open(struct env *e, enum kiln_wasi_resolver r, int writable)
{
	struct kiln_wasi_grants g;
	e->dir = wfx_tmpdir();
	g = wfx_one_mount(&e->mt, e->dir, writable);
	e->m = wfx_mem();
	e->w = wfx_new(&g);
	kiln_wasi_set_resolver(e->w, r);
}

static void env_close(struct env *e)
{
	kiln_wasi_free(e->w);
	wfx_mem_free(e->m);
	wfx_rmtree(e->dir);
	free(e->dir);
}

/* Call a one-path function with @path laid out at G_PATH. */
#define P1(fn, e, fd, path)                                                                        \
	kiln_wasi_##fn((e)->w, (e)->m, fd, G_PATH, wfx_put((e)->m, G_PATH, path))

static int32_t stat_path(struct env *e, uint32_t flags, const char *path)
{
	uint32_t n = wfx_put(e->m, G_PATH, path);
	return kiln_wasi_path_filestat_get(e->w, e->m, 3, flags, G_PATH, n, G_STAT);
}

static int32_t two_paths(struct env *e, int which, uint32_t fd1, const char *a, uint32_t fd2,
			 const char *b, uint32_t flags)
{
	uint32_t na = wfx_put(e->m, G_PATH, a), nb = wfx_put(e->m, G_PATH2, b);
	switch (which) {
	case 0:
		return kiln_wasi_path_rename(e->w, e->m, fd1, G_PATH, na, fd2, G_PATH2, nb);
	case 1:
		return kiln_wasi_path_link(e->w, e->m, fd1, flags, G_PATH, na, fd2, G_PATH2, nb);
	default:
		return kiln_wasi_path_symlink(e->w, e->m, G_PATH, na, fd2, G_PATH2, nb);
	}
}
#define RENAME(e, a, b) two_paths(e, 0, 3, a, 3, b, 0)
#define LINK(e, a, b, fl) two_paths(e, 1, 3, a, 3, b, fl)
#define SYMLINK(e, target, at) two_paths(e, 2, 0, target, 3, at, 0)

static void dirs(enum kiln_wasi_resolver r)
{
	struct env e;
	env_open(&e, r, 1);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "d"), 0);
	CU_ASSERT(wfx_exists(e.dir, "d"));
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "d"), WASI_EEXIST);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "d/e/f"), WASI_ENOENT);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "d/e/"), 0);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "."), WASI_EEXIST);
	CU_ASSERT_EQUAL(P1(path_remove_directory, &e, 3, "d"), WASI_ENOTEMPTY);
	CU_ASSERT_EQUAL(P1(path_remove_directory, &e, 3, "d/e"), 0);
	CU_ASSERT_EQUAL(P1(path_remove_directory, &e, 3, "d/"), 0);
	CU_ASSERT_FALSE(wfx_exists(e.dir, "d"));
	CU_ASSERT_EQUAL(P1(path_remove_directory, &e, 3, "d"), WASI_ENOENT);
	CU_ASSERT_EQUAL(P1(path_remove_directory, &e, 3, "."), WASI_EINVAL);
	wfx_write_file(e.dir, "f", "x");
	CU_ASSERT_EQUAL(P1(path_remove_directory, &e, 3, "f"), WASI_ENOTDIR);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, ""), WASI_ENOENT);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 1, "x"), WASI_ENOTDIR);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 9, "x"), WASI_EBADF);
	env_close(&e);
}

static void unlink_file(enum kiln_wasi_resolver r)
{
	struct env e;
	env_open(&e, r, 1);
	wfx_write_file(e.dir, "f", "x");
	wfx_mkdir(e.dir, "d");
	CU_ASSERT_EQUAL(P1(path_unlink_file, &e, 3, "d"), WASI_EISDIR);
	CU_ASSERT_EQUAL(P1(path_unlink_file, &e, 3, "d/"), WASI_EISDIR);
	CU_ASSERT_EQUAL(P1(path_unlink_file, &e, 3, "f/"), WASI_ENOTDIR);
	CU_ASSERT(wfx_exists(e.dir, "f"));
	CU_ASSERT_EQUAL(P1(path_unlink_file, &e, 3, "f"), 0);
	CU_ASSERT_FALSE(wfx_exists(e.dir, "f"));
	CU_ASSERT_EQUAL(P1(path_unlink_file, &e, 3, "f"), WASI_ENOENT);
	env_close(&e);
}

static void filestat_and_times(enum kiln_wasi_resolver r)
{
	struct env e;
	struct stat st;
	char p[4200];
	uint32_t n;
	env_open(&e, r, 1);
	wfx_write_file(e.dir, "target.txt", "12345");
	CU_ASSERT_EQUAL(SYMLINK(&e, "target.txt", "ln"), 0);
	CU_ASSERT_EQUAL(SYMLINK(&e, "missing", "dangling"), 0);
	CU_ASSERT_EQUAL(stat_path(&e, WASI_LOOKUP_SYMLINK_FOLLOW, "ln"), 0);
	CU_ASSERT_EQUAL(e.m.base[G_STAT + 16], WASI_FILETYPE_REGULAR_FILE);
	CU_ASSERT_EQUAL(wfx_u64(e.m, G_STAT + 32), 5);
	CU_ASSERT_EQUAL(stat_path(&e, 0, "ln"), 0);
	CU_ASSERT_EQUAL(e.m.base[G_STAT + 16], WASI_FILETYPE_SYMBOLIC_LINK);
	CU_ASSERT_EQUAL(stat_path(&e, WASI_LOOKUP_SYMLINK_FOLLOW, "dangling"), WASI_ENOENT);
	CU_ASSERT_EQUAL(stat_path(&e, 0, "dangling"), 0);
	CU_ASSERT_EQUAL(stat_path(&e, 0, "."), 0);
	CU_ASSERT_EQUAL(e.m.base[G_STAT + 16], WASI_FILETYPE_DIRECTORY);
	CU_ASSERT_EQUAL(stat_path(&e, 2, "ln"), WASI_EINVAL);
	/* Times through a followed symlink reach the target; without
	 * follow, the link itself. */
	n = wfx_put(e.m, G_PATH, "ln");
	CU_ASSERT_EQUAL(kiln_wasi_path_filestat_set_times(e.w, e.m, 3, WASI_LOOKUP_SYMLINK_FOLLOW,
							  G_PATH, n, 0, 7000000000ull,
							  WASI_FST_MTIM),
			0);
	snprintf(p, sizeof p, "%s/target.txt", e.dir);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mtim.tv_sec, 7);
	CU_ASSERT_EQUAL(kiln_wasi_path_filestat_set_times(e.w, e.m, 3, 0, G_PATH, n, 0,
							  9000000000ull, WASI_FST_MTIM),
			0);
	snprintf(p, sizeof p, "%s/ln", e.dir);
	CU_ASSERT_EQUAL(lstat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mtim.tv_sec, 9);
	CU_ASSERT_EQUAL(kiln_wasi_path_filestat_set_times(e.w, e.m, 3, 0, G_PATH, n, 0, 0,
							  WASI_FST_MTIM | WASI_FST_MTIM_NOW),
			WASI_EINVAL);
	env_close(&e);
}

static void symlink_readlink(enum kiln_wasi_resolver r)
{
	struct env e;
	uint32_t n;
	env_open(&e, r, 1);
	CU_ASSERT_EQUAL(SYMLINK(&e, "sub/../target", "ln"), 0);
	CU_ASSERT_EQUAL(SYMLINK(&e, "x", "ln"), WASI_EEXIST);
	n = wfx_put(e.m, G_PATH, "ln");
	CU_ASSERT_EQUAL(kiln_wasi_path_readlink(e.w, e.m, 3, G_PATH, n, G_BUF, 100, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(e.m, G_OUT), 13);
	CU_ASSERT_NSTRING_EQUAL(e.m.base + G_BUF, "sub/../target", 13);
	/* Too small a buffer: truncated, like readlink(2). */
	CU_ASSERT_EQUAL(kiln_wasi_path_readlink(e.w, e.m, 3, G_PATH, n, G_BUF, 3, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(e.m, G_OUT), 3);
	CU_ASSERT_EQUAL(kiln_wasi_path_readlink(e.w, e.m, 3, G_PATH, n, G_BUF, 0, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(e.m, G_OUT), 0);
	wfx_write_file(e.dir, "plain", "");
	n = wfx_put(e.m, G_PATH, "plain");
	CU_ASSERT_EQUAL(kiln_wasi_path_readlink(e.w, e.m, 3, G_PATH, n, G_BUF, 100, G_OUT),
			WASI_EINVAL);
	n = wfx_put(e.m, G_PATH, "nothing");
	CU_ASSERT_EQUAL(kiln_wasi_path_readlink(e.w, e.m, 3, G_PATH, n, G_BUF, 100, G_OUT),
			WASI_ENOENT);
	CU_ASSERT_EQUAL(SYMLINK(&e, "x", "newdir/"), WASI_ENOENT);
	env_close(&e);
}

static void link_rename(enum kiln_wasi_resolver r)
{
	struct env e;
	char buf[32];
	env_open(&e, r, 1);
	wfx_write_file(e.dir, "a", "content");
	CU_ASSERT_EQUAL(LINK(&e, "a", "b", 0), 0);
	CU_ASSERT_EQUAL(stat_path(&e, 0, "a"), 0);
	CU_ASSERT_EQUAL(wfx_u64(e.m, G_STAT + 24), 2);
	CU_ASSERT_EQUAL(LINK(&e, "a", "b", 0), WASI_EEXIST);
	CU_ASSERT_EQUAL(SYMLINK(&e, "a", "sl"), 0);
	CU_ASSERT_EQUAL(LINK(&e, "sl", "c", WASI_LOOKUP_SYMLINK_FOLLOW), 0);
	CU_ASSERT_EQUAL(stat_path(&e, 0, "c"), 0);
	CU_ASSERT_EQUAL(e.m.base[G_STAT + 16], WASI_FILETYPE_REGULAR_FILE);
	CU_ASSERT_EQUAL(LINK(&e, "sl", "d", 0), 0);
	CU_ASSERT_EQUAL(stat_path(&e, 0, "d"), 0);
	CU_ASSERT_EQUAL(e.m.base[G_STAT + 16], WASI_FILETYPE_SYMBOLIC_LINK);
	CU_ASSERT_EQUAL(LINK(&e, "a/", "e", 0), WASI_ENOTDIR);
	CU_ASSERT_EQUAL(LINK(&e, "a", "b", 4), WASI_EINVAL);
	CU_ASSERT_EQUAL(RENAME(&e, "b", "renamed"), 0);
	CU_ASSERT(wfx_exists(e.dir, "renamed"));
	CU_ASSERT_FALSE(wfx_exists(e.dir, "b"));
	CU_ASSERT_EQUAL(RENAME(&e, "renamed", "c"), 0); /* replaces */
	CU_ASSERT_EQUAL(RENAME(&e, "a/", "z"), WASI_ENOTDIR);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "dd"), 0);
	CU_ASSERT_EQUAL(RENAME(&e, "dd/", "ee/"), 0);
	CU_ASSERT_EQUAL(RENAME(&e, "nope", "x"), WASI_ENOENT);
	CU_ASSERT_EQUAL(wfx_read_file(e.dir, "c", buf, sizeof buf), 7);
	env_close(&e);
}

static void open_variants(enum kiln_wasi_resolver r)
{
	struct env e;
	uint32_t fd, sub, n;
	char big[KILN_WASI_PATH_MAX + 2];
	env_open(&e, r, 1);
	wfx_write_file(e.dir, "f", "data");
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", WASI_OFLAG_CREAT | WASI_OFLAG_EXCL, WFX_WRITE, 0,
				 &fd),
			WASI_EEXIST);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", WASI_OFLAG_DIRECTORY, WFX_READ, 0, &fd),
			WASI_ENOTDIR);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f/", 0, WFX_READ, 0, &fd), WASI_ENOTDIR);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "", 0, WFX_READ, 0, &fd), WASI_ENOENT);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", 0x10, WFX_READ, 0, &fd), WASI_EINVAL);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", 0, WFX_READ, 0x20, &fd), WASI_EINVAL);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 1, "f", 0, WFX_READ, 0, &fd), WASI_ENOTDIR);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 42, "f", 0, WFX_READ, 0, &fd), WASI_EBADF);
	n = wfx_put(e.m, G_PATH, "f");
	CU_ASSERT_EQUAL(kiln_wasi_path_open(e.w, e.m, 3, 0, G_PATH, n, 0, (uint64_t)1 << 40, 0, 0,
					    G_OUT),
			WASI_ENOTCAPABLE);
	/* Truncate on open. */
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", WASI_OFLAG_TRUNC, WFX_WRITE, 0, &fd), 0);
	CU_ASSERT_EQUAL(stat_path(&e, 0, "f"), 0);
	CU_ASSERT_EQUAL(wfx_u64(e.m, G_STAT + 32), 0);
	/* A symlink in last position: followed or ELOOP. */
	CU_ASSERT_EQUAL(SYMLINK(&e, "f", "ln"), 0);
	n = wfx_put(e.m, G_PATH, "ln");
	CU_ASSERT_EQUAL(kiln_wasi_path_open(e.w, e.m, 3, 0, G_PATH, n, 0, WFX_READ, 0, 0, G_OUT),
			WASI_ELOOP);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "ln", 0, WFX_READ, 0, &fd), 0);
	/* Paths with a NUL inside, or too long. */
	memcpy(e.m.base + G_PATH, "f\0../x", 6);
	CU_ASSERT_EQUAL(kiln_wasi_path_open(e.w, e.m, 3, 0, G_PATH, 6, 0, WFX_READ, 0, 0, G_OUT),
			WASI_EINVAL);
	CU_ASSERT_EQUAL(wfx_last_audit(e.w)->decision, KILN_AUDIT_FAULT);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, big, 0, WFX_READ, 0, &fd), WASI_ENAMETOOLONG);
	/* A directory fd from path_open resolves beneath itself. */
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "sub"), 0);
	wfx_write_file(e.dir, "sub/inner", "in");
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "sub", 0, WFX_READ | WASI_RIGHTS_DIR, 0, &sub), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(e.w, e.m, sub, G_STAT), 0);
	CU_ASSERT_EQUAL(e.m.base[G_STAT], WASI_FILETYPE_DIRECTORY);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, sub, "inner", 0, WFX_READ, 0, &fd), 0);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, sub, "../f", 0, WFX_READ, 0, &fd), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_get(e.w, e.m, sub, G_STAT), WASI_EBADF);
	env_close(&e);
}

/* Everything that writes fails on a read-only mount with ENOTCAPABLE and
 * an audit entry; reading works; the host files do not change. */
static void read_only_mount(enum kiln_wasi_resolver r)
{
	struct env e;
	uint32_t fd, sub, n;
	char buf[64];
	size_t before;
	env_open(&e, r, 0);
	wfx_write_file(e.dir, "f", "original");
	wfx_mkdir(e.dir, "d");
	wfx_symlink("f", e.dir, "ln");
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", 0, WFX_READ, 0, &fd), 0);
	CU_ASSERT_EQUAL(wfx_read(e.w, e.m, fd, buf, sizeof buf, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "original");
	CU_ASSERT_EQUAL(wfx_write(e.w, e.m, fd, "x", &n), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_size(e.w, e.m, fd, 0), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_allocate(e.w, e.m, fd, 0, 10), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_set_times(e.w, e.m, fd, 0, 0, WASI_FST_MTIM_NOW),
			WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(e.w, e.m, fd, G_STAT), 0);
	CU_ASSERT_EQUAL(wfx_u64(e.m, G_STAT + 8) & WASI_RIGHTS_MUTATING, 0);
	before = kiln_wasi_audit_count(e.w);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", 0, WFX_WRITE, 0, &fd), WASI_ENOTCAPABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(wfx_last_audit(e.w)->resource, "read-only"));
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "new", WASI_OFLAG_CREAT, WFX_READ, 0, &fd),
			WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", WASI_OFLAG_TRUNC, WFX_READ, 0, &fd),
			WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "f", 0, WFX_READ, WASI_FDFLAG_APPEND, &fd),
			WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, 3, "nd"), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(P1(path_unlink_file, &e, 3, "f"), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(P1(path_remove_directory, &e, 3, "d"), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(RENAME(&e, "f", "g"), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(LINK(&e, "f", "g", 0), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(SYMLINK(&e, "f", "g"), WASI_ENOTCAPABLE);
	n = wfx_put(e.m, G_PATH, "f");
	CU_ASSERT_EQUAL(kiln_wasi_path_filestat_set_times(e.w, e.m, 3, 0, G_PATH, n, 0, 0,
							  WASI_FST_MTIM_NOW),
			WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(e.w) - before, 11);
	CU_ASSERT_EQUAL(wfx_last_audit(e.w)->decision, KILN_AUDIT_DENIED);
	CU_ASSERT_EQUAL(kiln_wasi_denials(e.w, KILN_WASI_FN_PATH_OPEN), 4);
	/* A directory opened inside stays read-only. */
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "d", WASI_OFLAG_DIRECTORY, WFX_READ | WASI_RIGHTS_DIR, 0,
				 &sub), 0);
	CU_ASSERT_EQUAL(P1(path_create_directory, &e, sub, "x"), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, sub, "y", WASI_OFLAG_CREAT, WFX_WRITE, 0, &fd),
			WASI_ENOTCAPABLE);
	/* Reading stays possible: stat, readlink, readdir. */
	CU_ASSERT_EQUAL(stat_path(&e, 0, "ln"), 0);
	n = wfx_put(e.m, G_PATH, "ln");
	CU_ASSERT_EQUAL(kiln_wasi_path_readlink(e.w, e.m, 3, G_PATH, n, G_BUF, 10, G_OUT), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_readdir(e.w, e.m, 3, G_BUF, 1000, 0, G_OUT), 0);
	CU_ASSERT(wfx_u32(e.m, G_OUT) > 0);
	wfx_read_file(e.dir, "f", buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "original");
	CU_ASSERT_FALSE(wfx_exists(e.dir, "new"));
	CU_ASSERT_FALSE(wfx_exists(e.dir, "g"));
	CU_ASSERT_FALSE(wfx_exists(e.dir, "nd"));
	env_close(&e);
}

/* A FIFO in a mount opens at once (no writer needed), and reading it
 * waits only until the deadline. */
static void fifo_open(enum kiln_wasi_resolver r)
{
	struct env e;
	char p[4200], buf[8];
	uint32_t fd, n;
	uint64_t t0;
	env_open(&e, r, 1);
	snprintf(p, sizeof p, "%s/fifo", e.dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(p, 0644), 0);
	t0 = wasi_now_ns();
	CU_ASSERT_EQUAL(wfx_open(e.w, e.m, 3, "fifo", 0, WFX_READ, 0, &fd), 0);
	CU_ASSERT(wasi_now_ns() - t0 < 1000000000u);
	kiln_wasi_set_deadline(e.w, wasi_now_ns() + 10000000u);
	/* No writer ever came: end of file, or the wait ends at the deadline. */
	n = 99;
	{
		int32_t rc = wfx_read(e.w, e.m, fd, buf, sizeof buf, &n);
		CU_ASSERT(rc == WASI_EINTR || (rc == 0 && n == 0));
	}
	env_close(&e);
}

#define BOTH(name)                                                                                 \
	static void test_##name(void)                                                              \
	{                                                                                          \
		name(KILN_WASI_RESOLVE_AUTO);                                                      \
		name(KILN_WASI_RESOLVE_FALLBACK);                                                  \
	}
BOTH(dirs)
BOTH(unlink_file)
BOTH(filestat_and_times)
BOTH(symlink_readlink)
BOTH(link_rename)
BOTH(open_variants)
BOTH(read_only_mount)
BOTH(fifo_open)

void kiln_test_wasi_fs(void)
{
	CU_pSuite s = CU_add_suite("wasi_fs", NULL, NULL);
	CU_add_test(s, "create and remove directories", test_dirs);
	CU_add_test(s, "unlink", test_unlink_file);
	CU_add_test(s, "filestat get and set times", test_filestat_and_times);
	CU_add_test(s, "symlink and readlink", test_symlink_readlink);
	CU_add_test(s, "link and rename", test_link_rename);
	CU_add_test(s, "path_open variants", test_open_variants);
	CU_add_test(s, "read-only mount", test_read_only_mount);
	CU_add_test(s, "FIFOs do not block the open", test_fifo_open);
}
