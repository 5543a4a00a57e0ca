/*
 * wasi_sock.c — sock_accept, sock_recv, sock_send, sock_shutdown.
 *
 * The guest never creates a socket: it only uses the already-open ones the
 * host granted (and connections accepted on a granted listening socket).
 * Anything else is "not a socket", recorded as a denial.  Granted sockets
 * share their open file description with the host, so the host's blocking
 * mode is left alone and waits go through wasi_wait_fd (deadline, guest
 * NONBLOCK); sends never raise SIGPIPE.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi_impl.h"

static uint16_t get_sock(struct kiln_wasi *w, enum kiln_wasi_func f, uint32_t fd, uint64_t rights,
			 struct wasi_fd **out)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	*out = NULL;
	if (e == NULL)
		return WASI_EBADF;
	if (e->kind != WASI_FD_SOCKET)
		return wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTSOCK,
				 "fd %u is not a granted socket", fd);
	return wasi_fd_check(w, f, fd, rights, out);
}

int32_t kiln_wasi_sock_accept(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint32_t flags, uint32_t fd_ptr)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_SOCK_ACCEPT;
	struct wasi_fd *e, *n;
	int64_t slot;
	int c;
	uint16_t rc;

	if (!wasi_mem_ok(m, fd_ptr, 4))
		return wasi_fault(w, f, "new fd", fd_ptr, 4, m);
	if ((rc = get_sock(w, f, fd, WASI_RIGHT_SOCK_ACCEPT, &e)) != 0)
		return rc;
	if (flags & ~WASI_FDFLAG_NONBLOCK)
		return WASI_EINVAL;
	if ((slot = wasi_fd_alloc(w)) < 0)
		return wasi_deny(w, f, KILN_AUDIT_REFUSED, WASI_EMFILE, "fd table full (%u)",
				 KILN_WASI_MAX_FDS);
	if ((rc = wasi_wait_fd(w, e->host, POLLIN, (e->fdflags & WASI_FDFLAG_NONBLOCK) != 0)) != 0)
		return rc;
	do
		c = accept4(e->host, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		return wasi_errno_from_host(errno);
	n = &w->fds[slot];
	n->kind = WASI_FD_SOCKET;
	n->host = c;
	n->filetype = e->filetype;
	n->fdflags = (uint16_t)flags;
	n->mount = -1;
	n->base = WASI_RIGHTS_SOCKET & ~WASI_RIGHT_SOCK_ACCEPT;
	n->inh = 0;
	wasi_st32(wasi_mem_at(m, fd_ptr), (uint32_t)slot);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_sock_recv(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t ri_data, uint32_t ri_data_len, uint32_t ri_flags,
			    uint32_t ro_datalen_ptr, uint32_t ro_flags_ptr)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_SOCK_RECV;
	struct wasi_iovs v;
	struct wasi_fd *e;
	struct msghdr msg = {0};
	size_t done = 0;
	uint16_t rc, roflags = 0;
	bool nonblock;

	if (!wasi_mem_ok(m, ro_datalen_ptr, 4))
		return wasi_fault(w, f, "bytes received", ro_datalen_ptr, 4, m);
	if (!wasi_mem_ok(m, ro_flags_ptr, 2))
		return wasi_fault(w, f, "flags", ro_flags_ptr, 2, m);
	if ((rc = get_sock(w, f, fd, WASI_RIGHT_FD_READ, &e)) != 0)
		return rc;
	if (ri_flags & ~(WASI_RIFLAG_PEEK | WASI_RIFLAG_WAITALL))
		return WASI_EINVAL;
	if ((rc = wasi_iovs_load(w, f, m, ri_data, ri_data_len, &v)) != 0)
		return rc;
	nonblock = (e->fdflags & WASI_FDFLAG_NONBLOCK) != 0;
	msg.msg_iov = v.v;
	msg.msg_iovlen = v.n;
	/* WAITALL is done here, one wait per piece, so that the deadline
	 * still applies; the iovecs are consumed as data arrives. */
	do {
		ssize_t r;
		if ((rc = wasi_wait_fd(w, e->host, POLLIN, nonblock)) != 0)
			break;
		do
			r = recvmsg(e->host, &msg,
				    (ri_flags & WASI_RIFLAG_PEEK) ? MSG_PEEK | MSG_DONTWAIT
								  : MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			if (errno == EAGAIN && !nonblock)
				continue; /* another reader was faster: wait again */
			rc = wasi_errno_from_host(errno);
			break;
		}
		if (msg.msg_flags & MSG_TRUNC)
			roflags |= WASI_ROFLAG_DATA_TRUNCATED;
		done += (size_t)r;
		if (r == 0 || (ri_flags & (WASI_RIFLAG_PEEK | WASI_RIFLAG_WAITALL)) !=
				      WASI_RIFLAG_WAITALL)
			break;
		while (msg.msg_iovlen > 0 && (size_t)r >= msg.msg_iov->iov_len) {
			r -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + r;
			msg.msg_iov->iov_len -= (size_t)r;
		}
	} while (msg.msg_iovlen > 0);
	/* A wait cut short after some data arrived still reports the data. */
	if (rc != 0 && done > 0 && (ri_flags & WASI_RIFLAG_WAITALL))
		rc = WASI_ESUCCESS;
	wasi_iovs_free(&v);
	if (rc == 0) {
		wasi_st32(wasi_mem_at(m, ro_datalen_ptr), (uint32_t)done);
		wasi_st16(wasi_mem_at(m, ro_flags_ptr), roflags);
	}
	return rc;
}

int32_t kiln_wasi_sock_send(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t si_data, uint32_t si_data_len, uint32_t si_flags,
			    uint32_t so_datalen_ptr)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_SOCK_SEND;
	struct wasi_iovs v;
	struct wasi_fd *e;
	ssize_t r;
	uint16_t rc;

	if (!wasi_mem_ok(m, so_datalen_ptr, 4))
		return wasi_fault(w, f, "bytes sent", so_datalen_ptr, 4, m);
	if ((rc = get_sock(w, f, fd, WASI_RIGHT_FD_WRITE, &e)) != 0)
		return rc;
	if (si_flags != 0)
		return WASI_EINVAL; /* no siflags are defined */
	if ((rc = wasi_iovs_load(w, f, m, si_data, si_data_len, &v)) != 0)
		return rc;
	if ((rc = wasi_wait_fd(w, e->host, POLLOUT, (e->fdflags & WASI_FDFLAG_NONBLOCK) != 0)) ==
	    0) {
		do
			r = sendmsg(e->host, &(struct msghdr){.msg_iov = v.v, .msg_iovlen = v.n},
				    MSG_NOSIGNAL);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			rc = wasi_errno_from_host(errno);
		else
			wasi_st32(wasi_mem_at(m, so_datalen_ptr), (uint32_t)r);
	}
	wasi_iovs_free(&v);
	return rc;
}

int32_t kiln_wasi_sock_shutdown(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				uint32_t how)
{
	struct wasi_fd *e;
	uint16_t rc;
	int h;
	(void)m;
	if ((rc = get_sock(w, KILN_WASI_FN_SOCK_SHUTDOWN, fd, WASI_RIGHT_SOCK_SHUTDOWN, &e)) != 0)
		return rc;
	switch (how) {
	case WASI_SDFLAG_RD: h = SHUT_RD; break;
	case WASI_SDFLAG_WR: h = SHUT_WR; break;
	case WASI_SDFLAG_RD | WASI_SDFLAG_WR: h = SHUT_RDWR; break;
	default: return WASI_EINVAL;
	}
	if (shutdown(e->host, h) != 0)
		return wasi_errno_from_host(errno);
	return WASI_ESUCCESS;
}
