/* WASI stdio routing: null, inherit, file, capture, log; blocking rules. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

static void test_null_routing(void)
{
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(NULL);
	char buf[16];
	uint32_t n;
	size_t len;

	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "discarded", &n), 0);
	CU_ASSERT_EQUAL(n, 9);
	CU_ASSERT_EQUAL(wfx_write(w, m, 2, "also", &n), 0);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), 0);
	CU_ASSERT_EQUAL(n, 0); /* end of file */
	CU_ASSERT_PTR_NULL(kiln_wasi_captured(w, 1, &len));
	CU_ASSERT_EQUAL(len, 0);
	/* Writing to stdin or reading stdout: no right. */
	CU_ASSERT_EQUAL(wfx_write(w, m, 0, "x", &n), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(wfx_read(w, m, 1, buf, sizeof buf, &n), WASI_ENOTCAPABLE);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

static void test_capture_and_stdin_memory(void)
{
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	const uint8_t *out;
	char buf[16];
	uint32_t n;
	size_t len;

	g.stdio[0].kind = KILN_WASI_STDIO_CAPTURE;
	g.stdio[0].input = "line one\nline two\n";
	g.stdio[0].input_len = 18;
	g.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	g.stdio[2].kind = KILN_WASI_STDIO_CAPTURE;
	w = wfx_new(&g);
	/* Two iovecs in one write. */
	wfx_put(m, G_BUF, "hello, world\n");
	wfx_iov(m, G_IOV, 0, G_BUF, 7);
	wfx_iov(m, G_IOV, 1, G_BUF + 7, 6);
	CU_ASSERT_EQUAL(kiln_wasi_fd_write(w, m, 1, G_IOV, 2, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 13);
	CU_ASSERT_EQUAL(wfx_write(w, m, 2, "err", &n), 0);
	out = kiln_wasi_captured(w, 1, &len);
	CU_ASSERT_EQUAL(len, 13);
	CU_ASSERT_NSTRING_EQUAL(out, "hello, world\n", 13);
	out = kiln_wasi_captured(w, 2, &len);
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_NSTRING_EQUAL(out, "err", 3);
	/* stdin reads the given bytes in pieces, then end of file. */
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, 11, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "line one\nl");
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "ine two\n");
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	/* Reset empties captures and rewinds stdin. */
	CU_ASSERT_EQUAL(kiln_wasi_reset(w, NULL), KILN_OK);
	kiln_wasi_captured(w, 1, &len);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, 5, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "line");
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

/* A full capture refuses more (ENOSPC), after a partial write, and says so. */
static void test_capture_limit(void)
{
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	uint32_t n;
	size_t len;

	g.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	g.stdio[1].capture_max = 10;
	w = wfx_new(&g);
	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "0123456", &n), 0);
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "789abc", &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "x", &n), WASI_ENOSPC);
	CU_ASSERT_NSTRING_EQUAL(kiln_wasi_captured(w, 1, &len), "0123456789", 10);
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_FD_WRITE), 1);
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_REFUSED);
	CU_ASSERT_EQUAL(wfx_last_audit(w)->wasi_errno, WASI_ENOSPC);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

struct log_seen {
	char text[256];
	size_t len;
	int calls;
	uint32_t fd;
	char ext[16];
};

static void log_cb(void *ctx, const char *extension, uint32_t fd, const char *data, size_t len)
{
	struct log_seen *s = ctx;
	if (s->len + len < sizeof s->text) {
		memcpy(s->text + s->len, data, len);
		s->len += len;
	}
	s->calls++;
	s->fd = fd;
	strncpy(s->ext, extension, sizeof s->ext - 1);
}

static void test_log_routing(void)
{
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct log_seen seen = {0};
	struct kiln_wasi *w;
	struct kiln_err err;

	g.stdio[2].kind = KILN_WASI_STDIO_LOG;
	g.stdio[2].log = log_cb;
	g.stdio[2].log_ctx = &seen;
	w = wfx_new(&g);
	wfx_put(m, G_BUF, "warn: disk\n");
	wfx_iov(m, G_IOV, 0, G_BUF, 6);
	wfx_iov(m, G_IOV, 1, G_BUF + 6, 0);
	wfx_iov(m, G_IOV, 2, G_BUF + 6, 5);
	CU_ASSERT_EQUAL(kiln_wasi_fd_write(w, m, 2, G_IOV, 3, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 11);
	CU_ASSERT_EQUAL(seen.calls, 1); /* gathered into one call */
	CU_ASSERT_EQUAL(seen.fd, 2);
	CU_ASSERT_STRING_EQUAL(seen.ext, "ext");
	CU_ASSERT_NSTRING_EQUAL(seen.text, "warn: disk\n", 11);
	kiln_wasi_free(w);
	/* Misconfigured log routing is refused at creation. */
	g.stdio[2].log = NULL;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "ext", &w, &err), KILN_EINVAL);
	g.stdio[2].log = log_cb;
	g.stdio[0].kind = KILN_WASI_STDIO_LOG;
	g.stdio[0].log = log_cb;
	CU_ASSERT_EQUAL(kiln_wasi_new(&g, "ext", &w, &err), KILN_EINVAL);
	wfx_mem_free(m);
}

static void test_file_routing(void)
{
	char *dir = wfx_tmpdir(), in[4096], out[4096], buf[64];
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	uint32_t n;

	snprintf(in, sizeof in, "%s/in.txt", dir);
	snprintf(out, sizeof out, "%s/out.txt", dir);
	wfx_write_file(dir, "in.txt", "input data");
	wfx_write_file(dir, "out.txt", "old content that is truncated");
	g.stdio[0].kind = KILN_WASI_STDIO_FILE;
	g.stdio[0].path = in;
	g.stdio[1].kind = KILN_WASI_STDIO_FILE;
	g.stdio[1].path = out;
	w = wfx_new(&g);
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "input data");
	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "new", &n), 0);
	wfx_read_file(dir, "out.txt", buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "new");
	/* fdstat: a regular file, but stdio never seeks. */
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 1, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_REGULAR_FILE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, 1, 0, WASI_WHENCE_SET, G_OUT), WASI_ESPIPE);
	kiln_wasi_free(w);
	/* Append mode keeps what is there. */
	g.stdio[1].append = true;
	w = wfx_new(&g);
	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "+more", &n), 0);
	wfx_read_file(dir, "out.txt", buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "new+more");
	kiln_wasi_free(w);
	wfx_rmtree(dir);
	free(dir);
	wfx_mem_free(m);
}

/* Inherit duplicates the host's own fd at creation; checked on stdout with
 * a pipe put in place for the moment of creation only. */
static void test_inherit_routing(void)
{
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	int p[2], saved;
	char buf[32];
	uint32_t n;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	fflush(stdout);
	saved = dup(1);
	dup2(p[1], 1);
	g.stdio[1].kind = KILN_WASI_STDIO_INHERIT;
	w = wfx_new(&g);
	dup2(saved, 1);
	close(saved);
	close(p[1]);
	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "through the pipe", &n), 0);
	CU_ASSERT_EQUAL(n, 16);
	CU_ASSERT_EQUAL(read(p[0], buf, sizeof buf), 16);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 1, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_UNKNOWN); /* a FIFO */
	kiln_wasi_free(w);
	close(p[0]);
	wfx_mem_free(m);
}

/* A read that would block ends at the deadline (EINTR), or at once with
 * NONBLOCK (EAGAIN); the host's own descriptor stays blocking. */
static void test_blocking_read_deadline(void)
{
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	int p[2], saved;
	char buf[8];
	uint64_t t0;
	uint32_t n;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	saved = dup(0);
	dup2(p[0], 0);
	g.stdio[0].kind = KILN_WASI_STDIO_INHERIT;
	w = wfx_new(&g);
	dup2(saved, 0);
	close(saved);
	close(p[0]);
	t0 = wasi_now_ns();
	kiln_wasi_set_deadline(w, t0 + 30 * 1000000u);
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), WASI_EINTR);
	CU_ASSERT(wasi_now_ns() - t0 >= 30 * 1000000u);
	kiln_wasi_set_deadline(w, 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, 0, WASI_FDFLAG_NONBLOCK), 0);
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), WASI_EAGAIN);
	CU_ASSERT_EQUAL(fcntl(w->fds[0].host, F_GETFL) & O_NONBLOCK, 0);
	CU_ASSERT_EQUAL(write(p[1], "ok", 2), 2);
	CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), 0);
	CU_ASSERT_STRING_EQUAL(buf, "ok");
	/* Changing APPEND or the sync flags of a shared stream is refused. */
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, 0, WASI_FDFLAG_APPEND), WASI_ENOTSUP);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, 0, WASI_FDFLAG_SYNC), WASI_ENOTSUP);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, 0, 0x20), WASI_EINVAL);
	kiln_wasi_free(w);
	close(p[1]);
	wfx_mem_free(m);
}

/* Writing to a pipe nobody reads is EPIPE for the guest, never a SIGPIPE
 * that would kill the host. */
static void test_no_sigpipe(void)
{
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	int p[2], saved;
	uint32_t n;
	sigset_t pending;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	fflush(stdout);
	saved = dup(1);
	dup2(p[1], 1);
	g.stdio[1].kind = KILN_WASI_STDIO_INHERIT;
	w = wfx_new(&g);
	dup2(saved, 1);
	close(saved);
	close(p[1]);
	close(p[0]);
	CU_ASSERT_EQUAL(wfx_write(w, m, 1, "nobody listens", &n), WASI_EPIPE);
	sigpending(&pending);
	CU_ASSERT_FALSE(sigismember(&pending, SIGPIPE));
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

static void test_stdio_stat_and_kind_errors(void)
{
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(NULL);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 1, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_CHARACTER_DEVICE);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 8) & (WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_filestat_get(w, m, 2, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT + 16], WASI_FILETYPE_CHARACTER_DEVICE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_tell(w, m, 1, G_OUT), WASI_ESPIPE);
	wfx_put(m, G_BUF, "x");
	wfx_iov(m, G_IOV, 0, G_BUF, 1);
	CU_ASSERT_EQUAL(kiln_wasi_fd_pwrite(w, m, 1, G_IOV, 1, 0, G_OUT), WASI_ESPIPE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_pread(w, m, 0, G_IOV, 1, 0, G_OUT), WASI_ESPIPE);
	CU_ASSERT_EQUAL(kiln_wasi_fd_sync(w, m, 1), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_fd_datasync(w, m, 1), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_denials_total(w), 0); /* natural errors, not denials */
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

void kiln_test_wasi_stdio(void)
{
	CU_pSuite s = CU_add_suite("wasi_stdio", NULL, NULL);
	CU_add_test(s, "null routing", test_null_routing);
	CU_add_test(s, "capture and stdin from memory", test_capture_and_stdin_memory);
	CU_add_test(s, "capture limit", test_capture_limit);
	CU_add_test(s, "log routing", test_log_routing);
	CU_add_test(s, "file routing", test_file_routing);
	CU_add_test(s, "inherit routing", test_inherit_routing);
	CU_add_test(s, "blocking read: deadline and nonblock", test_blocking_read_deadline);
	CU_add_test(s, "no SIGPIPE", test_no_sigpipe);
	CU_add_test(s, "stdio stat and kind errors", test_stdio_stat_and_kind_errors);
}
