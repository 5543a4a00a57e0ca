/* WASI process calls, random bytes and granted sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

static void test_proc_exit(void)
{
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(NULL);
	uint32_t code = 0;
	CU_ASSERT_FALSE(kiln_wasi_exit_code(w, &code));
	CU_ASSERT_EQUAL(kiln_wasi_proc_exit(w, m, 33), KILN_WASI_EXITED);
	CU_ASSERT_TRUE(kiln_wasi_exit_code(w, &code));
	CU_ASSERT_EQUAL(code, 33);
	CU_ASSERT_EQUAL(kiln_wasi_proc_exit(w, m, 0xffffffffu), KILN_WASI_EXITED);
	CU_ASSERT_TRUE(kiln_wasi_exit_code(w, &code));
	CU_ASSERT_EQUAL(code, 0xffffffffu);
	CU_ASSERT_EQUAL(kiln_wasi_reset(w, NULL), KILN_OK);
	CU_ASSERT_FALSE(kiln_wasi_exit_code(w, &code));
	CU_ASSERT_EQUAL(kiln_wasi_denials_total(w), 0); /* exiting is not a denial */
	CU_ASSERT_FALSE(kiln_wasi_exit_code(NULL, &code));
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

static void test_proc_raise_refused(void)
{
	struct kiln_wasi_grants g = {.random = true, .clock_monotonic = true};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	/* Even SIGKILL-like numbers reach nothing in the host. */
	CU_ASSERT_EQUAL(kiln_wasi_proc_raise(w, m, 9), WASI_ENOSYS);
	CU_ASSERT_EQUAL(kiln_wasi_proc_raise(w, m, 15), WASI_ENOSYS);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_PROC_RAISE), 2);
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_REFUSED);
	CU_ASSERT_EQUAL(kiln_wasi_sched_yield(w, m), 0);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

static void test_random(void)
{
	struct kiln_wasi_grants g = {.random = true};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	uint8_t zero[256] = {0}, first[256];
	CU_ASSERT_EQUAL(kiln_wasi_random_get(w, m, G_BUF, 256), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(m.base + G_BUF, zero, 256), 0);
	memcpy(first, m.base + G_BUF, 256);
	CU_ASSERT_EQUAL(kiln_wasi_random_get(w, m, G_BUF, 256), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(m.base + G_BUF, first, 256), 0);
	CU_ASSERT_EQUAL(m.base[G_BUF + 256], 0); /* nothing past the buffer */
	CU_ASSERT_EQUAL(kiln_wasi_random_get(w, m, G_BUF, 0), 0);
	kiln_wasi_free(w);
	/* Not granted: refused, buffer untouched. */
	w = wfx_new(NULL);
	memset(m.base + G_BUF, 0, 256);
	CU_ASSERT_EQUAL(kiln_wasi_random_get(w, m, G_BUF, 256), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(memcmp(m.base + G_BUF, zero, 256), 0);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_RANDOM_GET), 1);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

/* No socket granted: every sock_* call on anything is refused. */
static void test_sockets_not_granted(void)
{
	char *dir = wfx_tmpdir();
	struct kiln_wasi_mount mt;
	struct kiln_wasi_grants g = wfx_one_mount(&mt, dir, 1);
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	wfx_iov(m, G_IOV, 0, G_BUF, 4);
	CU_ASSERT_EQUAL(kiln_wasi_sock_shutdown(w, m, 1, WASI_SDFLAG_RD), WASI_ENOTSOCK);
	CU_ASSERT_EQUAL(kiln_wasi_sock_shutdown(w, m, 99, WASI_SDFLAG_RD), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_sock_accept(w, m, 3, 0, G_OUT), WASI_ENOTSOCK);
	CU_ASSERT_EQUAL(kiln_wasi_sock_accept(w, m, 4, 0, G_OUT), WASI_EBADF);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 0, G_IOV, 1, 0, G_OUT, G_OUT2), WASI_ENOTSOCK);
	CU_ASSERT_EQUAL(kiln_wasi_sock_send(w, m, 1, G_IOV, 1, 0, G_OUT), WASI_ENOTSOCK);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_SOCK_ACCEPT), 1);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_SOCK_SHUTDOWN), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(wfx_last_audit(w)->resource, "not a granted socket"));
	kiln_wasi_free(w);
	wfx_mem_free(m);
	wfx_rmtree(dir);
	free(dir);
}

static void test_connected_socket(void)
{
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	int sv[2];
	char buf[16];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	g.sockets = &sv[0];
	g.nsockets = 1;
	w = wfx_new(&g);
	close(sv[0]); /* the state holds its own duplicate */
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, 3, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_SOCKET_STREAM);
	CU_ASSERT_EQUAL(kiln_wasi_fd_prestat_get(w, m, 3, G_STAT), WASI_EBADF);
	/* send with two iovecs */
	wfx_put(m, G_BUF, "hello world");
	wfx_iov(m, G_IOV, 0, G_BUF, 5);
	wfx_iov(m, G_IOV, 1, G_BUF + 5, 6);
	CU_ASSERT_EQUAL(kiln_wasi_sock_send(w, m, 3, G_IOV, 2, 0, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 11);
	CU_ASSERT_EQUAL(read(sv[1], buf, sizeof buf), 11);
	CU_ASSERT_EQUAL(kiln_wasi_sock_send(w, m, 3, G_IOV, 2, 1, G_OUT), WASI_EINVAL);
	/* recv, peek then read */
	CU_ASSERT_EQUAL(write(sv[1], "reply", 5), 5);
	memset(m.base + G_BUF, 0, 16);
	wfx_iov(m, G_IOV, 0, G_BUF, 16);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 3, G_IOV, 1, WASI_RIFLAG_PEEK, G_OUT, G_OUT2), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 5);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 3, G_IOV, 1, 0, G_OUT, G_OUT2), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 5);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF, "reply", 5);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + G_OUT2), 0);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 3, G_IOV, 1, 4, G_OUT, G_OUT2), WASI_EINVAL);
	/* WAITALL gathers pieces until the buffers are full. */
	CU_ASSERT_EQUAL(write(sv[1], "ab", 2), 2);
	CU_ASSERT_EQUAL(write(sv[1], "cd", 2), 2);
	wfx_iov(m, G_IOV, 0, G_BUF, 3);
	wfx_iov(m, G_IOV, 1, G_BUF + 3, 1);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 3, G_IOV, 2, WASI_RIFLAG_WAITALL, G_OUT, G_OUT2),
			0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 4);
	CU_ASSERT_NSTRING_EQUAL(m.base + G_BUF, "abcd", 4);
	/* Nothing there: the deadline or NONBLOCK ends the wait. */
	kiln_wasi_set_deadline(w, wasi_now_ns() + 10000000u);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 3, G_IOV, 1, 0, G_OUT, G_OUT2), WASI_EINTR);
	kiln_wasi_set_deadline(w, 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, 3, WASI_FDFLAG_NONBLOCK), 0);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 3, G_IOV, 1, 0, G_OUT, G_OUT2), WASI_EAGAIN);
	/* fd_read and fd_write work on sockets too. */
	CU_ASSERT_EQUAL(write(sv[1], "xy", 2), 2);
	CU_ASSERT_EQUAL(wfx_read(w, m, 3, buf, sizeof buf, NULL), 0);
	CU_ASSERT_STRING_EQUAL(buf, "xy");
	/* Shutdown: the peer sees end of file; bad "how" refused. */
	CU_ASSERT_EQUAL(kiln_wasi_sock_shutdown(w, m, 3, 0), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_sock_shutdown(w, m, 3, 4), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_sock_shutdown(w, m, 3, WASI_SDFLAG_WR), 0);
	CU_ASSERT_EQUAL(read(sv[1], buf, sizeof buf), 0);
	/* Sending after the peer closed: EPIPE, and the host survives. */
	close(sv[1]);
	CU_ASSERT_EQUAL(kiln_wasi_sock_shutdown(w, m, 3, WASI_SDFLAG_RD | WASI_SDFLAG_WR), 0);
	CU_ASSERT_EQUAL(kiln_wasi_sock_send(w, m, 3, G_IOV, 1, 0, G_OUT), WASI_EPIPE);
	/* Accepting on a connected socket. */
	CU_ASSERT_EQUAL(kiln_wasi_sock_accept(w, m, 3, 0, G_OUT), WASI_EINVAL);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

/* A granted listening socket on 127.0.0.1 (random port): accept gives the
 * guest a new connected fd; NONBLOCK with nobody waiting gives EAGAIN. */
static void test_listening_socket(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c;
	uint32_t fd;
	char buf[8];

	CU_ASSERT_FATAL(l >= 0);
	CU_ASSERT_EQUAL_FATAL(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	CU_ASSERT_EQUAL_FATAL(listen(l, 4), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	g.sockets = &l;
	g.nsockets = 1;
	w = wfx_new(&g);
	/* Only NONBLOCK is a valid flag, and it is the new fd's: waiting
	 * follows the listening fd's own flag, or the deadline. */
	CU_ASSERT_EQUAL(kiln_wasi_sock_accept(w, m, 3, WASI_FDFLAG_APPEND, G_OUT), WASI_EINVAL);
	kiln_wasi_set_deadline(w, wasi_now_ns() + 10000000u);
	CU_ASSERT_EQUAL(kiln_wasi_sock_accept(w, m, 3, WASI_FDFLAG_NONBLOCK, G_OUT), WASI_EINTR);
	kiln_wasi_set_deadline(w, 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, 3, WASI_FDFLAG_NONBLOCK), 0);
	CU_ASSERT_EQUAL(kiln_wasi_sock_accept(w, m, 3, 0, G_OUT), WASI_EAGAIN);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_EQUAL_FATAL(connect(c, (struct sockaddr *)&a, sizeof a), 0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_set_flags(w, m, 3, 0), 0);
	CU_ASSERT_EQUAL(kiln_wasi_sock_accept(w, m, 3, WASI_FDFLAG_NONBLOCK, G_OUT), 0);
	fd = wfx_u32(m, G_OUT);
	CU_ASSERT(fd > 3);
	CU_ASSERT_EQUAL(kiln_wasi_fd_fdstat_get(w, m, fd, G_STAT), 0);
	CU_ASSERT_EQUAL(m.base[G_STAT], WASI_FILETYPE_SOCKET_STREAM);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + G_STAT + 2), WASI_FDFLAG_NONBLOCK);
	CU_ASSERT_EQUAL(wfx_u64(m, G_STAT + 8) & WASI_RIGHT_SOCK_ACCEPT, 0);
	CU_ASSERT_EQUAL(write(c, "hi", 2), 2);
	wfx_iov(m, G_IOV, 0, G_BUF, 8);
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, fd, G_IOV, 1, WASI_RIFLAG_WAITALL, G_OUT, G_OUT2),
			0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 2); /* NONBLOCK: what is there */
	CU_ASSERT_EQUAL(wfx_write(w, m, fd, "back", NULL), 0);
	CU_ASSERT_EQUAL(read(c, buf, sizeof buf), 4);
	kiln_wasi_free(w);
	close(c);
	close(l);
	wfx_mem_free(m);
}

void kiln_test_wasi_misc(void)
{
	CU_pSuite s = CU_add_suite("wasi_misc", NULL, NULL);
	CU_add_test(s, "proc_exit", test_proc_exit);
	CU_add_test(s, "proc_raise refused, sched_yield", test_proc_raise_refused);
	CU_add_test(s, "random_get", test_random);
	CU_add_test(s, "sockets not granted", test_sockets_not_granted);
	CU_add_test(s, "connected socket", test_connected_socket);
	CU_add_test(s, "listening socket", test_listening_socket);
}
