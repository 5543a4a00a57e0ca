/*
 * WASI containment: hostile paths against both resolvers.  Each case is
 * one CUnit test per resolver ("openat2" is the kernel's RESOLVE_BENEATH
 * path, "fallback" the component walk).  A tree outside the mount holds a
 * secret; every case checks that the call fails, that the audit log says
 * it was contained, and that nothing outside was read, made or changed.
 *
 *   T/outside/secret       "top secret"
 *   T/mnt/                 mounted as "/" (writable unless said)
 *   T/mnt/file             "inside"
 *   T/mnt/sub/
 *   T/other/               a second mount, "/other"
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

struct jail {
	char *top, mnt[4096], outside[4096], other[4096];
	struct kiln_wasi_mem m;
	struct kiln_wasi *w;
};

static void jail_open(struct jail *j, enum kiln_wasi_resolver r, bool mnt_writable,
		      bool other_writable)
{
	struct kiln_wasi_mount mounts[2] = {{0}};
	struct kiln_wasi_grants g = {0};
	j->top = wfx_tmpdir();
	snprintf(j->mnt, sizeof j->mnt, "%s/mnt", j->top);
	snprintf(j->outside, sizeof j->outside, "%s/outside", j->top);
	snprintf(j->other, sizeof j->other, "%s/other", j->top);
	mkdir(j->mnt, 0755);
	mkdir(j->outside, 0755);
	mkdir(j->other, 0755);
	wfx_write_file(j->outside, "secret", "top secret");
	wfx_write_file(j->mnt, "file", "inside");
	wfx_write_file(j->other, "theirs", "other mount");
	wfx_mkdir(j->mnt, "sub");
	mounts[0].host_path = j->mnt;
	mounts[0].guest_path = "/";
	mounts[0].writable = mnt_writable;
	mounts[1].host_path = j->other;
	mounts[1].guest_path = "/other";
	mounts[1].writable = other_writable;
	g.mounts = mounts;
	g.nmounts = 2;
	j->m = wfx_mem();
	j->w = wfx_new(&g);
	kiln_wasi_set_resolver(j->w, r);
}

static void jail_close(struct jail *j)
{
	kiln_wasi_free(j->w);
	wfx_mem_free(j->m);
	wfx_rmtree(j->top);
	free(j->top);
}

static void jail_link(struct jail *j, const char *target, const char *name)
{
	wfx_symlink(target, j->mnt, name);
}

/* The last audit entry says "contained" (or the error is ELOOP from a
 * magic link the kernel refused before anyone could look at it). */
#define assert_contained(j, rc) assert_contained_at(j, rc, __LINE__)
static void assert_contained_at(struct jail *j, int32_t rc, int line)
{
	const struct kiln_audit_entry *a = wfx_last_audit(j->w);
	if (rc != WASI_ENOTCAPABLE)
		fprintf(stderr, "line %d: errno %d, expected ENOTCAPABLE\n", line, rc);
	CU_ASSERT_EQUAL(rc, WASI_ENOTCAPABLE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->decision, KILN_AUDIT_CONTAINED);
	CU_ASSERT_EQUAL(a->wasi_errno, WASI_ENOTCAPABLE);
	CU_ASSERT_STRING_EQUAL(a->extension, "ext");
}

static int32_t open_ro(struct jail *j, uint32_t dirfd, const char *path)
{
	uint32_t fd;
	return wfx_open(j->w, j->m, dirfd, path, 0, WFX_READ, 0, &fd);
}

static int32_t stat_p(struct jail *j, uint32_t flags, const char *path)
{
	uint32_t n = wfx_put(j->m, G_PATH, path);
	return kiln_wasi_path_filestat_get(j->w, j->m, 3, flags, G_PATH, n, G_STAT);
}

static int32_t one(struct jail *j, int32_t (*fn)(struct kiln_wasi *, struct kiln_wasi_mem,
						  uint32_t, uint32_t, uint32_t),
		   const char *path)
{
	return fn(j->w, j->m, 3, G_PATH, wfx_put(j->m, G_PATH, path));
}

/* ".." above the mount, directly and after going down. */
static void dotdot(enum kiln_wasi_resolver r)
{
	struct jail j;
	char buf[64];
	jail_open(&j, r, true, true);
	CU_ASSERT_EQUAL(open_ro(&j, 3, "sub/../file"), 0); /* staying beneath is fine */
	assert_contained(&j, open_ro(&j, 3, "../outside/secret"));
	assert_contained(&j, open_ro(&j, 3, "sub/../../outside/secret"));
	assert_contained(&j, open_ro(&j, 3, ".."));
	assert_contained(&j, open_ro(&j, 3, "sub/./../.."));
	assert_contained(&j, stat_p(&j, 0, ".."));
	assert_contained(&j, stat_p(&j, 0, "../outside"));
	assert_contained(&j, one(&j, kiln_wasi_path_create_directory, "../made"));
	assert_contained(&j, one(&j, kiln_wasi_path_unlink_file, "../outside/secret"));
	assert_contained(&j, one(&j, kiln_wasi_path_remove_directory, "../outside"));
	assert_contained(&j, one(&j, kiln_wasi_path_remove_directory, "sub/../.."));
	CU_ASSERT_FALSE(wfx_exists(j.top, "made"));
	CU_ASSERT_EQUAL(wfx_read_file(j.outside, "secret", buf, sizeof buf), 10);
	CU_ASSERT(kiln_wasi_denials(j.w, KILN_WASI_FN_PATH_OPEN) >= 4);
	jail_close(&j);
}

/* Absolute paths are never relative to anything the guest was given. */
static void absolute(enum kiln_wasi_resolver r)
{
	struct jail j;
	char p[4200];
	jail_open(&j, r, true, true);
	snprintf(p, sizeof p, "%s/secret", j.outside);
	assert_contained(&j, open_ro(&j, 3, p));
	assert_contained(&j, open_ro(&j, 3, "/etc/passwd"));
	assert_contained(&j, open_ro(&j, 3, "/"));
	assert_contained(&j, open_ro(&j, 3, "//"));
	assert_contained(&j, stat_p(&j, 0, "/etc"));
	snprintf(p, sizeof p, "%s/made", j.top);
	assert_contained(&j, one(&j, kiln_wasi_path_create_directory, p));
	CU_ASSERT_FALSE(wfx_exists(j.top, "made"));
	jail_close(&j);
}

/* Symlinks that point out, relative or absolute, first or last, chained,
 * with a trailing slash; and one that stays inside, which works. */
static void symlink_out(enum kiln_wasi_resolver r)
{
	struct jail j;
	char p[4200];
	struct stat before, after;
	uint32_t n;
	jail_open(&j, r, true, true);
	snprintf(p, sizeof p, "%s/secret", j.outside);
	jail_link(&j, "../outside", "rel");
	jail_link(&j, p, "abs");
	jail_link(&j, j.outside, "absdir");
	jail_link(&j, "rel", "chain1");
	jail_link(&j, "sub/../chain1", "chain2");
	jail_link(&j, "sub", "good");
	CU_ASSERT_EQUAL(open_ro(&j, 3, "good/../file"), 0);
	assert_contained(&j, open_ro(&j, 3, "rel/secret"));
	assert_contained(&j, open_ro(&j, 3, "abs"));
	assert_contained(&j, open_ro(&j, 3, "absdir/secret"));
	assert_contained(&j, open_ro(&j, 3, "chain2/secret"));
	assert_contained(&j, open_ro(&j, 3, "sub/../chain1/secret"));
	assert_contained(&j, stat_p(&j, WASI_LOOKUP_SYMLINK_FOLLOW, "abs"));
	assert_contained(&j, stat_p(&j, WASI_LOOKUP_SYMLINK_FOLLOW, "rel"));
	/* Not following: the link itself, which is inside. */
	CU_ASSERT_EQUAL(stat_p(&j, 0, "abs"), 0);
	CU_ASSERT_EQUAL(j.m.base[G_STAT + 16], WASI_FILETYPE_SYMBOLIC_LINK);
	/* A trailing slash forces the link to be followed: still contained. */
	assert_contained(&j, stat_p(&j, 0, "absdir/"));
	CU_ASSERT_EQUAL(stat(j.outside, &before), 0);
	n = wfx_put(j.m, G_PATH, "rel/");
	assert_contained(&j, kiln_wasi_path_filestat_set_times(j.w, j.m, 3, 0, G_PATH, n, 0, 0,
								 WASI_FST_MTIM | WASI_FST_ATIM));
	n = wfx_put(j.m, G_PATH, "rel");
	assert_contained(&j, kiln_wasi_path_filestat_set_times(j.w, j.m, 3,
								 WASI_LOOKUP_SYMLINK_FOLLOW, G_PATH,
								 n, 0, 0,
								 WASI_FST_MTIM | WASI_FST_ATIM));
	CU_ASSERT_EQUAL(stat(j.outside, &after), 0);
	CU_ASSERT_EQUAL(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	/* Writing through a link: nothing created outside. */
	jail_link(&j, "../outside/planted", "plant");
	n = wfx_put(j.m, G_PATH, "plant");
	assert_contained(&j, kiln_wasi_path_open(j.w, j.m, 3, WASI_LOOKUP_SYMLINK_FOLLOW, G_PATH,
						 n, WASI_OFLAG_CREAT, WFX_WRITE,
						 WASI_RIGHTS_DIR | WASI_RIGHTS_FILE, 0, G_OUT));
	assert_contained(&j, one(&j, kiln_wasi_path_create_directory, "rel/newdir"));
	CU_ASSERT_FALSE(wfx_exists(j.outside, "planted"));
	CU_ASSERT_FALSE(wfx_exists(j.outside, "newdir"));
	jail_close(&j);
}

/* /proc magic links (root, cwd, exe, fd/N) jump anywhere: refused even
 * when the host mounts /proc/self itself. */
static void magic_links(enum kiln_wasi_resolver r)
{
	struct kiln_wasi_mount mt = {.host_path = "/proc/self", .guest_path = "/proc"};
	struct kiln_wasi_grants g = {.mounts = &mt, .nmounts = 1};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	static const char *const hostile[] = {"root/etc/passwd", "root", "cwd", "cwd/Makefile",
					      "exe", "fd/0", "fd/3", "map_files/x",
					      "task/../root/etc"};
	uint32_t fd;
	kiln_wasi_set_resolver(w, r);
	/* Sanity: an ordinary file of the mount opens. */
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "status", 0, WFX_READ, 0, &fd), 0);
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		/* fd/N and map_files name "pipe:[...]"-like or absolute
		 * targets: refused, or nothing of that name beneath. */
		int32_t rc = wfx_open(w, m, 3, hostile[i], 0, WFX_READ, 0, &fd);
		CU_ASSERT(rc == WASI_ENOTCAPABLE || rc == WASI_ELOOP || rc == WASI_ENOENT);
		if (rc == 0)
			fprintf(stderr, "magic link \"%s\" opened\n", hostile[i]);
	}
	/* root and cwd are absolute links: reported as contained. */
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "root/etc/passwd", 0, WFX_READ, 0, &fd),
			WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_CONTAINED);
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "cwd", WASI_OFLAG_DIRECTORY, WFX_READ, 0, &fd),
			WASI_ENOTCAPABLE);
	kiln_wasi_free(w);
	wfx_mem_free(m);
	/* A link inside an ordinary mount that points at a magic link. */
	{
		struct jail j;
		jail_open(&j, r, true, true);
		jail_link(&j, "/proc/self/root", "toroot");
		assert_contained(&j, open_ro(&j, 3, "toroot/etc/passwd"));
		jail_close(&j);
	}
}

/* Renames between mounts: EXDEV whatever the file systems, so a file can
 * neither leave nor enter a mount that way; ".." in either path is still
 * contained. */
static void rename_across(enum kiln_wasi_resolver r)
{
	struct jail j;
	uint32_t na, nb;
	jail_open(&j, r, true, true);
	na = wfx_put(j.m, G_PATH, "file");
	nb = wfx_put(j.m, G_PATH2, "moved");
	CU_ASSERT_EQUAL(kiln_wasi_path_rename(j.w, j.m, 3, G_PATH, na, 4, G_PATH2, nb), WASI_EXDEV);
	CU_ASSERT_EQUAL(wfx_last_audit(j.w)->decision, KILN_AUDIT_CONTAINED);
	CU_ASSERT_PTR_NOT_NULL(strstr(wfx_last_audit(j.w)->resource, "/other"));
	na = wfx_put(j.m, G_PATH, "theirs");
	nb = wfx_put(j.m, G_PATH2, "stolen");
	CU_ASSERT_EQUAL(kiln_wasi_path_rename(j.w, j.m, 4, G_PATH, na, 3, G_PATH2, nb), WASI_EXDEV);
	nb = wfx_put(j.m, G_PATH2, "../outside/dropped");
	assert_contained(&j, kiln_wasi_path_rename(j.w, j.m, 3, G_PATH, wfx_put(j.m, G_PATH, "file"),
						   3, G_PATH2, nb));
	na = wfx_put(j.m, G_PATH, "../outside/secret");
	nb = wfx_put(j.m, G_PATH2, "taken");
	assert_contained(&j, kiln_wasi_path_rename(j.w, j.m, 3, G_PATH, na, 3, G_PATH2, nb));
	CU_ASSERT(wfx_exists(j.mnt, "file"));
	CU_ASSERT(wfx_exists(j.other, "theirs"));
	CU_ASSERT(wfx_exists(j.outside, "secret"));
	CU_ASSERT_FALSE(wfx_exists(j.outside, "dropped"));
	CU_ASSERT_FALSE(wfx_exists(j.mnt, "taken"));
	CU_ASSERT_FALSE(wfx_exists(j.other, "moved"));
	jail_close(&j);
}

/* Hard links between mounts: a link from a read-only mount into a
 * writable one would make the read-only file writable. */
static void link_across(enum kiln_wasi_resolver r)
{
	struct jail j;
	char p[4200];
	uint32_t na, nb;
	jail_open(&j, r, false, true); /* "/" read-only, "/other" writable */
	na = wfx_put(j.m, G_PATH, "file");
	nb = wfx_put(j.m, G_PATH2, "writable-copy");
	CU_ASSERT_EQUAL(kiln_wasi_path_link(j.w, j.m, 3, 0, G_PATH, na, 4, G_PATH2, nb),
			WASI_EXDEV);
	CU_ASSERT_EQUAL(wfx_last_audit(j.w)->decision, KILN_AUDIT_CONTAINED);
	CU_ASSERT_FALSE(wfx_exists(j.other, "writable-copy"));
	/* Within the writable mount: a followed symlink out, or "..". */
	snprintf(p, sizeof p, "%s/secret", j.outside);
	wfx_symlink(p, j.other, "out");
	na = wfx_put(j.m, G_PATH, "out");
	nb = wfx_put(j.m, G_PATH2, "hard");
	assert_contained(&j, kiln_wasi_path_link(j.w, j.m, 4, WASI_LOOKUP_SYMLINK_FOLLOW, G_PATH,
						 na, 4, G_PATH2, nb));
	na = wfx_put(j.m, G_PATH, "../outside/secret");
	assert_contained(&j, kiln_wasi_path_link(j.w, j.m, 4, 0, G_PATH, na, 4, G_PATH2, nb));
	CU_ASSERT_FALSE(wfx_exists(j.other, "hard"));
	jail_close(&j);
}

/* The guest cannot plant a symlink that points out (the host might follow
 * it), but relative links that stay inside are fine. */
static void symlink_planting(enum kiln_wasi_resolver r)
{
	struct jail j;
	uint32_t na, nb;
	jail_open(&j, r, true, true);
	na = wfx_put(j.m, G_PATH, "/etc/shadow");
	nb = wfx_put(j.m, G_PATH2, "p1");
	assert_contained(&j, kiln_wasi_path_symlink(j.w, j.m, G_PATH, na, 3, G_PATH2, nb));
	na = wfx_put(j.m, G_PATH, "../outside/secret");
	assert_contained(&j, kiln_wasi_path_symlink(j.w, j.m, G_PATH, na, 3, G_PATH2, nb));
	na = wfx_put(j.m, G_PATH, "sub/../../outside");
	assert_contained(&j, kiln_wasi_path_symlink(j.w, j.m, G_PATH, na, 3, G_PATH2, nb));
	CU_ASSERT_FALSE(wfx_exists(j.mnt, "p1"));
	na = wfx_put(j.m, G_PATH, "../file");
	nb = wfx_put(j.m, G_PATH2, "sub/up");
	CU_ASSERT_EQUAL(kiln_wasi_path_symlink(j.w, j.m, G_PATH, na, 3, G_PATH2, nb), 0);
	na = wfx_put(j.m, G_PATH, "../../outside");
	nb = wfx_put(j.m, G_PATH2, "sub/up2");
	assert_contained(&j, kiln_wasi_path_symlink(j.w, j.m, G_PATH, na, 3, G_PATH2, nb));
	CU_ASSERT_EQUAL(open_ro(&j, 3, "sub/up"), 0);
	jail_close(&j);
}

/* Loops and long chains end with ELOOP, files used as directories with
 * ENOTDIR; neither hangs nor crashes. */
static void loops_and_files(enum kiln_wasi_resolver r)
{
	struct jail j;
	char name[16], target[16];
	jail_open(&j, r, true, true);
	jail_link(&j, "loop2", "loop1");
	jail_link(&j, "loop1", "loop2");
	CU_ASSERT_EQUAL(open_ro(&j, 3, "loop1"), WASI_ELOOP);
	CU_ASSERT_EQUAL(open_ro(&j, 3, "loop1/x"), WASI_ELOOP);
	CU_ASSERT_EQUAL(stat_p(&j, WASI_LOOKUP_SYMLINK_FOLLOW, "loop1"), WASI_ELOOP);
	for (int i = 0; i < 45; i++) {
		snprintf(name, sizeof name, "c%d", i);
		snprintf(target, sizeof target, i == 44 ? "file" : "c%d", i + 1);
		jail_link(&j, target, name);
	}
	CU_ASSERT_EQUAL(open_ro(&j, 3, "c10"), 0);   /* 34 links: fine */
	CU_ASSERT_EQUAL(open_ro(&j, 3, "c0"), WASI_ELOOP); /* 45: too many */
	CU_ASSERT_EQUAL(open_ro(&j, 3, "file/x"), WASI_ENOTDIR);
	CU_ASSERT_EQUAL(open_ro(&j, 3, "file/.."), WASI_ENOTDIR);
	jail_close(&j);
}

/* The fallback walks at most KILN_WASI_MAX_DEPTH directories deep: a
 * tree just under the limit opens, one past it is refused. */
static void test_depth_limit_fallback(void)
{
	struct jail j;
	const int deep = KILN_WASI_MAX_DEPTH + 2;
	char *path = malloc(2 * (size_t)deep + 2), *host = malloc(4200 + 2 * (size_t)deep);
	jail_open(&j, KILN_WASI_RESOLVE_FALLBACK, true, true);
	size_t hl = (size_t)snprintf(host, 4200, "%s", j.mnt);
	for (int i = 0; i < deep; i++) {
		memcpy(host + hl, "/d", 3);
		hl += 2;
		CU_ASSERT_EQUAL_FATAL(mkdir(host, 0755), 0);
		memcpy(path + 2 * i, "d/", 2);
	}
	memcpy(path + 2 * deep, "x", 2);
	wfx_write_file(host, "x", "deep");
	path[2 * (KILN_WASI_MAX_DEPTH - 1)] = '\0'; /* 255 directories */
	CU_ASSERT_EQUAL(open_ro(&j, 3, path), 0);
	path[2 * (KILN_WASI_MAX_DEPTH - 1)] = 'd';
	CU_ASSERT_EQUAL(open_ro(&j, 3, path), WASI_ENAMETOOLONG);
	kiln_wasi_set_resolver(j.w, KILN_WASI_RESOLVE_AUTO);
	CU_ASSERT_EQUAL(open_ro(&j, 3, path), 0); /* the kernel has no such limit */
	free(path);
	free(host);
	jail_close(&j);
}

static void test_openat2_is_there(void)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
	long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
	if (fd < 0 && errno == ENOSYS)
		fprintf(stderr, "note: no openat2 on this kernel; the openat2 cases ran the "
				"fallback\n");
	else
		CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close((int)fd);
}

#define BOTH(name)                                                                                 \
	static void test_##name##_openat2(void)                                                    \
	{                                                                                          \
		name(KILN_WASI_RESOLVE_AUTO);                                                      \
	}                                                                                          \
	static void test_##name##_fallback(void)                                                   \
	{                                                                                          \
		name(KILN_WASI_RESOLVE_FALLBACK);                                                  \
	}
BOTH(dotdot)
BOTH(absolute)
BOTH(symlink_out)
BOTH(magic_links)
BOTH(rename_across)
BOTH(link_across)
BOTH(symlink_planting)
BOTH(loops_and_files)

void kiln_test_wasi_contain(void)
{
	CU_pSuite s = CU_add_suite("wasi_contain", NULL, NULL);
	CU_add_test(s, "openat2 available", test_openat2_is_there);
#define ADD(name, what)                                                                            \
	CU_add_test(s, what " (openat2)", test_##name##_openat2);                                  \
	CU_add_test(s, what " (fallback)", test_##name##_fallback);
	ADD(dotdot, "dot-dot above the mount")
	ADD(absolute, "absolute paths")
	ADD(symlink_out, "symlinks pointing out")
	ADD(magic_links, "/proc/self magic links")
	ADD(rename_across, "renames across mounts")
	ADD(link_across, "hard links across mounts")
	ADD(symlink_planting, "planting symlinks that point out")
	ADD(loops_and_files, "symlink loops and files as directories")
#undef ADD
	CU_add_test(s, "depth limit (fallback)", test_depth_limit_fallback);
}
