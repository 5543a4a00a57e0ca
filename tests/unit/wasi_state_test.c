/* WASI state: creation errors, reset, the audit log and its accessors. */
#include <fcntl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

static void test_new_errors(void)
{
	struct kiln_wasi_mount mt = {.host_path = "/nonexistent/kiln", .guest_path = "/"};
	struct kiln_wasi_grants g = {.mounts = &mt, .nmounts = 1};
	struct kiln_wasi *w = (struct kiln_wasi *)&g;
	struct kiln_err err;
	int notsock = open("/dev/null", O_RDONLY | O_CLOEXEC);

	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_ENOTFOUND);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "myext: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/kiln"));
	{
		char *dir = wfx_tmpdir(), file[4200];
		snprintf(file, sizeof file, "%s/plain", dir);
		wfx_write_file(dir, "plain", "");
		mt.host_path = file; /* not a directory */
		CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_ENOTFOUND);
		wfx_rmtree(dir);
		free(dir);
	}
	mt.host_path = "/tmp";
	mt.guest_path = "";
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_EINVAL);
	mt.guest_path = NULL;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_EINVAL);
	g.nmounts = KILN_WASI_MAX_FDS;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_ELIMIT);
	memset(&g, 0, sizeof g);
	g.sockets = &notsock;
	g.nsockets = 1;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not an open socket"));
	memset(&g, 0, sizeof g);
	g.stdio[1].kind = KILN_WASI_STDIO_FILE;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_EINVAL);
	g.stdio[1].path = "/nonexistent/dir/out.txt";
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_ENOTFOUND);
	g.stdio[1].kind = (enum kiln_wasi_stdio_kind)42;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_EINVAL);
	memset(&g, 0, sizeof g);
	g.stdio[0].kind = KILN_WASI_STDIO_CAPTURE;
	g.stdio[0].input_len = 5;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_EINVAL);
	g.nargs = 1;
	g.stdio[0].input_len = 0;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "myext", &w, &err), KILN_EINVAL); /* args NULL */
	CU_ASSERT_PTR_NULL(w);
	kiln_wasi_free(NULL);
	close(notsock);
}

/* The fd table after creation: stdio, mounts in order, then sockets. */
static void test_layout_and_reset(void)
{
	char *a = wfx_tmpdir(), *b = wfx_tmpdir();
	struct kiln_wasi_mount mts[2] = {{a, "/a", true}, {b, "/b", false}};
	struct kiln_wasi_grants g = {.mounts = mts, .nmounts = 2};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	int sv[2];
	uint32_t fd;

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	g.sockets = sv;
	g.nsockets = 1;
	w = wfx_new(&g);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_dir_name(w, m, 3, G_BUF, 2), 0);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF, "/a", 2);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_dir_name(w, m, 4, G_BUF, 2), 0);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF, "/b", 2);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 4, G_STAT), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 8) & WASI_RIGHTS_MUTATING, 0); /* read-only */
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 5, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_SOCKET_STREAM);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 6, G_STAT), WASI_EBADF);
	/* Mess it up: close a preopen, renumber, open files, get denied. */
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "f", WASI_OFLAG_CREAT, WFX_WRITE, 0, &fd), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_close(w, m, 4), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_renumber(w, m, 5, 1), 0);
	CU_ASSERT_EQUAL(kiln_wasi_random_get(w, m, G_BUF, 1), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_proc_exit(w, m, 3), KILN_WASI_EXITED);
	CU_ASSERT_EQUAL(kiln_wasi_reset(w, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_dir_name(w, m, 4, G_BUF, 2), 0);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF, "/b", 2);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 1, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_CHARACTER_DEVICE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 5, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_SOCKET_STREAM);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, fd, G_STAT), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(w), 0);
	CU_ASSERT_EQUAL(kiln_wasi_denials_total(w), 0);
	CU_ASSERT_FALSE(kiln_wasi_exit_code(w, NULL));
	CU_ASSERT(wfx_exists(a, "f")); /* the host's files stay */
	kiln_wasi_free(w);
	/* The granted socket is the host's: still open after free. */
	CU_ASSERT_EQUAL(write(sv[1], "x", 1), 1);
	CU_ASSERT(fcntl(sv[0], F_GETFD) >= 0);
	close(sv[0]);
	close(sv[1]);
	wfx_mem_free(m);
	wfx_rmtree(a);
	wfx_rmtree(b);
	free(a);
	free(b);
}

static void test_func_names(void)
{
	CU_ASSERT_EQUAL(KILN_WASI_NFUNCS, 46);
	CU_ASSERT_STRING_EQUAL(kiln_wasi_func_name(KILN_WASI_FN_ARGS_GET), "args_get");
	CU_ASSERT_STRING_EQUAL(kiln_wasi_func_name(KILN_WASI_FN_FD_WRITE), "fd_write");
	CU_ASSERT_STRING_EQUAL(kiln_wasi_func_name(KILN_WASI_FN_SOCK_SHUTDOWN), "sock_shutdown");
	CU_ASSERT_PTR_NULL(kiln_wasi_func_name(KILN_WASI_NFUNCS));
	CU_ASSERT_PTR_NULL(kiln_wasi_func_name((enum kiln_wasi_func)-1));
	for (int i = 0; i < KILN_WASI_NFUNCS; i++)
		for (int j = i + 1; j < KILN_WASI_NFUNCS; j++)
			CU_ASSERT_STRING_NOT_EQUAL(kiln_wasi_func_name(i), kiln_wasi_func_name(j));
}

/* Guest-chosen text cannot forge lines or carry escapes into the log. */
static void test_audit_escaping(void)
{
	char *dir = wfx_tmpdir();
	struct kiln_wasi_mount mt;
	struct kiln_wasi_grants g = wfx_one_mount(&mt, dir, 1);
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	const struct kiln_audit_entry *a;
	char longp[1024];

	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "../x\n\x1b[31mfake entry\\", 0, WFX_READ, 0, NULL),
			WASI_ENOTCAPABLE);
	a = wfx_last_audit(w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(a->function, "path_open");
	CU_ASSERT_STRING_EQUAL(a->extension, "ext");
	CU_ASSERT_EQUAL(a->seq, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(a->resource, "../x\\x0a\\x1b[31mfake entry\\\\"));
	for (const char *p = a->resource; *p; p++)
		CU_ASSERT(*p >= 0x20 && *p < 0x7f);
	/* Long resources are cut, marked, and stay terminated. */
	memset(longp, 'z', sizeof longp - 1);
	memcpy(longp, "../", 3);
	longp[sizeof longp - 1] = '\0';
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, longp, 0, WFX_READ, 0, NULL), WASI_ENOTCAPABLE);
	a = wfx_last_audit(w);
	CU_ASSERT_EQUAL(a->seq, 1);
	CU_ASSERT(strlen(a->resource) < KILN_AUDIT_RESOURCE_BYTES);
	CU_ASSERT_PTR_NOT_NULL(strstr(a->resource, "..."));
	CU_ASSERT_PTR_NULL(kiln_wasi_audit_get(w, 2));
	CU_ASSERT_PTR_NULL(kiln_wasi_audit_get(NULL, 0));
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(NULL), 0);
	kiln_wasi_free(w);
	wfx_mem_free(m);
	wfx_rmtree(dir);
	free(dir);
}

/* A guest that provokes denials in a loop costs bounded memory: the
 * oldest entries go (counted), the counters keep the full story. */
static void test_audit_ring(void)
{
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(NULL);
	const uint32_t n = KILN_WASI_AUDIT_MAX + 100;
	for (uint32_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(kiln_wasi_random_get(w, m, G_BUF, i), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_audit_count(w), KILN_WASI_AUDIT_MAX);
	CU_ASSERT_EQUAL(kiln_wasi_audit_dropped(w), 100);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_RANDOM_GET), n);
	CU_ASSERT_EQUAL(kiln_wasi_denials_total(w), n);
	CU_ASSERT_EQUAL(kiln_wasi_audit_get(w, 0)->seq, 100);
	CU_ASSERT_STRING_EQUAL(kiln_wasi_audit_get(w, 0)->resource, "random, 100 bytes");
	CU_ASSERT_EQUAL(wfx_last_audit(w)->seq, n - 1);
	for (size_t i = 1; i < kiln_wasi_audit_count(w); i++)
		CU_ASSERT_EQUAL(kiln_wasi_audit_get(w, i)->seq, kiln_wasi_audit_get(w, i - 1)->seq + 1);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_NFUNCS), 0);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

void kiln_test_wasi_state(void)
{
	CU_pSuite s = CU_add_suite("wasi_state", NULL, NULL);
	CU_add_test(s, "creation errors", test_new_errors);
	CU_add_test(s, "fd layout and reset", test_layout_and_reset);
	CU_add_test(s, "function names", test_func_names);
	CU_add_test(s, "audit entries are escaped", test_audit_escaping);
	CU_add_test(s, "audit ring and counters", test_audit_ring);
}
