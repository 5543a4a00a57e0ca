/*
 * wasi_rw.c — moving bytes: fd_read, fd_write, fd_pread, fd_pwrite, and
 * the iovec translation and blocking rules that sock_recv/sock_send share.
 *
 * The guest's buffers are used in place (readv/writev straight into and out
 * of linear memory) after every one of them has been checked.  A call never
 * blocks past the deadline the runtime set: descriptors that may block are
 * polled first, and a guest-side NONBLOCK turns the wait into a check.
 * Writes to pipes never raise SIGPIPE in the host.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

uint16_t wasi_iovs_load(struct kiln_wasi *w, enum kiln_wasi_func f, struct kiln_wasi_mem m,
			uint32_t iovs, uint32_t n, struct wasi_iovs *out)
{
	uint64_t bytes = (uint64_t)n * WASI_IOVEC_SIZE;
	const uint8_t *a;
	out->v = out->small;
	out->n = 0;
	out->total = 0;
	if (n > KILN_WASI_IOV_MAX)
		return wasi_deny(w, f, KILN_AUDIT_FAULT, WASI_EINVAL,
				 "iovec count %u above the limit of %u", n, KILN_WASI_IOV_MAX);
	if (!wasi_mem_ok(m, iovs, bytes))
		return wasi_fault(w, f, "iovec array", iovs, bytes, m);
	if (n > sizeof out->small / sizeof out->small[0]) {
		out->v = malloc(n * sizeof *out->v);
		if (out->v == NULL) {
			out->v = out->small;
			return WASI_ENOMEM;
		}
	}
	a = wasi_mem_at(m, iovs);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t buf = wasi_ld32(a + (uint64_t)i * WASI_IOVEC_SIZE);
		uint32_t len = wasi_ld32(a + (uint64_t)i * WASI_IOVEC_SIZE + 4);
		size_t keep;
		if (!wasi_mem_ok(m, buf, len)) {
			wasi_iovs_free(out);
			return wasi_fault(w, f, "iovec buffer", buf, len, m);
		}
		keep = len < KILN_WASI_RW_MAX - out->total ? len : KILN_WASI_RW_MAX - out->total;
		out->v[i].iov_base = wasi_mem_at(m, buf);
		out->v[i].iov_len = keep;
		out->total += keep;
	}
	out->n = n;
	return WASI_ESUCCESS;
}

void wasi_iovs_free(struct wasi_iovs *v)
{
	if (v->v != v->small)
		free(v->v);
	v->v = v->small;
	v->n = 0;
}

uint64_t wasi_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

bool wasi_fd_may_block(const struct wasi_fd *e)
{
	return e->host >= 0 && e->filetype != WASI_FILETYPE_REGULAR_FILE &&
	       e->filetype != WASI_FILETYPE_DIRECTORY &&
	       e->filetype != WASI_FILETYPE_BLOCK_DEVICE;
}

uint16_t wasi_wait_fd(struct kiln_wasi *w, int host, short events, bool nonblock)
{
	for (;;) {
		struct pollfd p = {.fd = host, .events = events};
		struct timespec ts, *tsp = NULL;
		int r;
		if (nonblock) {
			ts.tv_sec = 0;
			ts.tv_nsec = 0;
			tsp = &ts;
		} else if (w->deadline_ns != 0) {
			uint64_t now = wasi_now_ns();
			uint64_t left = w->deadline_ns > now ? w->deadline_ns - now : 0;
			ts.tv_sec = (time_t)(left / 1000000000u);
			ts.tv_nsec = (long)(left % 1000000000u);
			tsp = &ts;
		}
		r = ppoll(&p, 1, tsp, NULL);
		if (r > 0)
			return WASI_ESUCCESS; /* ready, or an error the I/O call reports */
		if (r == 0)
			return nonblock ? WASI_EAGAIN : WASI_EINTR;
		if (errno != EINTR)
			return wasi_errno_from_host(errno);
	}
}

ssize_t wasi_writev_nosig(int fd, const struct iovec *iov, int n)
{
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t r;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	do
		r = writev(fd, iov, n);
	while (r < 0 && errno == EINTR);
	saved = errno;
	if (r < 0 && saved == EPIPE && !was_pending) {
		/* Swallow the SIGPIPE this write raised, and only that one. */
		struct timespec zero = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}

static int32_t transfer(struct kiln_wasi *w, struct kiln_wasi_mem m, enum kiln_wasi_func f,
			uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t count_ptr,
			bool write, bool positional, uint64_t offset)
{
	struct wasi_iovs v;
	struct wasi_fd *e;
	uint64_t right;
	size_t done = 0;
	ssize_t r;
	uint16_t rc;

	if (!wasi_mem_ok(m, count_ptr, 4))
		return wasi_fault(w, f, write ? "bytes written" : "bytes read", count_ptr, 4, m);
	if ((e = wasi_fd_get(w, fd)) == NULL)
		return WASI_EBADF;
	if (e->kind == WASI_FD_DIR)
		return WASI_EISDIR;
	if (positional && e->kind != WASI_FD_FILE)
		return WASI_ESPIPE;
	right = (write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ) |
		(positional ? WASI_RIGHT_FD_SEEK : 0);
	if ((rc = wasi_fd_check(w, f, fd, right, &e)) != 0)
		return rc;
	if (positional && offset > INT64_MAX)
		return WASI_EINVAL;
	if ((rc = wasi_iovs_load(w, f, m, iovs, iovs_len, &v)) != 0)
		return rc;
	if (e->kind == WASI_FD_STDIO && e->host < 0) {
		rc = write ? wasi_stdio_write(w, e, v.v, v.n, v.total, &done)
			   : wasi_stdio_read(w, e, v.v, v.n, &done);
		goto out;
	}
	if (wasi_fd_may_block(e) &&
	    (rc = wasi_wait_fd(w, e->host, write ? POLLOUT : POLLIN,
			       (e->fdflags & WASI_FDFLAG_NONBLOCK) != 0)) != 0)
		goto out;
	do {
		if (positional)
			r = write ? pwritev(e->host, v.v, (int)v.n, (off_t)offset)
				  : preadv(e->host, v.v, (int)v.n, (off_t)offset);
		else if (write && e->kind == WASI_FD_SOCKET)
			r = sendmsg(e->host,
				    &(struct msghdr){.msg_iov = v.v, .msg_iovlen = v.n},
				    MSG_NOSIGNAL);
		else if (write && wasi_fd_may_block(e))
			r = wasi_writev_nosig(e->host, v.v, (int)v.n); /* a pipe may be closed */
		else if (write)
			r = writev(e->host, v.v, (int)v.n);
		else
			r = readv(e->host, v.v, (int)v.n);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		rc = wasi_errno_from_host(errno);
		goto out;
	}
	done = (size_t)r;
out:
	wasi_iovs_free(&v);
	if (rc == 0)
		wasi_st32(wasi_mem_at(m, count_ptr), (uint32_t)done);
	return rc;
}

int32_t kiln_wasi_fd_read(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd, uint32_t iovs,
			  uint32_t iovs_len, uint32_t nread_ptr)
{
	return transfer(w, m, KILN_WASI_FN_FD_READ, fd, iovs, iovs_len, nread_ptr, false, false,
			0);
}

int32_t kiln_wasi_fd_write(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			   uint32_t iovs, uint32_t iovs_len, uint32_t nwritten_ptr)
{
	return transfer(w, m, KILN_WASI_FN_FD_WRITE, fd, iovs, iovs_len, nwritten_ptr, true, false,
			0);
}

int32_t kiln_wasi_fd_pread(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			   uint32_t iovs, uint32_t iovs_len, uint64_t offset, uint32_t nread_ptr)
{
	return transfer(w, m, KILN_WASI_FN_FD_PREAD, fd, iovs, iovs_len, nread_ptr, false, true,
			offset);
}

int32_t kiln_wasi_fd_pwrite(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t iovs, uint32_t iovs_len, uint64_t offset,
			    uint32_t nwritten_ptr)
{
	return transfer(w, m, KILN_WASI_FN_FD_PWRITE, fd, iovs, iovs_len, nwritten_ptr, true, true,
			offset);
}
