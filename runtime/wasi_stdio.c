/*
 * wasi_stdio.c — routing of the guest's fds 0, 1 and 2: nothing, the host's
 * own streams, a file, memory, or the host's log callback.
 *
 * Streams routed to a host descriptor (inherit, file) are ordinary host fds
 * once installed and go through the generic read/write paths; this file
 * handles the routings that have no descriptor.  They report themselves as
 * character devices without seek rights, which is what makes the guest's
 * libc treat them as terminals (line-buffered) rather than files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"

/* Bytes handed to the log callback at most per call. */
#define LOG_CHUNK 65536u

int wasi_stdio_install(struct kiln_wasi *w, struct kiln_err *err)
{
	for (int i = 0; i < 3; i++) {
		struct wasi_fd *e = &w->fds[i];
		const struct wasi_stdio *s = &w->stdio[i];
		e->kind = WASI_FD_STDIO;
		e->stream = (uint8_t)i;
		e->mount = -1;
		e->fdflags = 0;
		e->base = i == 0 ? WASI_RIGHTS_STDIN : WASI_RIGHTS_STDOUT;
		e->inh = 0;
		e->filetype = WASI_FILETYPE_CHARACTER_DEVICE;
		e->host = -1;
		if (s->host >= 0) {
			struct stat st;
			int fl;
			e->host = fcntl(s->host, F_DUPFD_CLOEXEC, 0);
			if (e->host < 0)
				return kiln_err_set(err, KILN_EIO, "stdio fd %d: cannot duplicate: %s",
						    i, strerror(errno));
			if (fstat(e->host, &st) == 0)
				e->filetype = wasi_filetype_from_mode(st.st_mode);
			fl = fcntl(e->host, F_GETFL);
			if (fl >= 0 && (fl & O_APPEND))
				e->fdflags |= WASI_FDFLAG_APPEND;
		}
	}
	return KILN_OK;
}

uint16_t wasi_stdio_read(struct kiln_wasi *w, struct wasi_fd *e, const struct iovec *iov,
			 size_t n, size_t *done)
{
	struct wasi_stdio *s = &w->stdio[e->stream];
	size_t got = 0;
	*done = 0;
	if (e->stream != 0)
		return WASI_EBADF;
	if (s->kind != KILN_WASI_STDIO_CAPTURE)
		return WASI_ESUCCESS; /* null: end of file */
	for (size_t i = 0; i < n && s->pos < s->len; i++) {
		size_t k = iov[i].iov_len < s->len - s->pos ? iov[i].iov_len : s->len - s->pos;
		if (k > 0)
			memcpy(iov[i].iov_base, s->buf + s->pos, k);
		s->pos += k;
		got += k;
	}
	*done = got;
	return WASI_ESUCCESS;
}

static uint16_t capture(struct kiln_wasi *w, struct wasi_fd *e, struct wasi_stdio *s,
			const struct iovec *iov, size_t n, size_t total, size_t *done)
{
	size_t room = s->max - s->len, want = total < room ? total : room;
	if (total > 0 && room == 0)
		return wasi_deny(w, KILN_WASI_FN_FD_WRITE, KILN_AUDIT_REFUSED, WASI_ENOSPC,
				 "stdio fd %u capture full at %zu bytes", e->stream, s->max);
	if (s->len + want > s->cap) {
		size_t ncap = s->cap == 0 ? 4096 : s->cap;
		uint8_t *nb;
		while (ncap < s->len + want)
			ncap = ncap > s->max / 2 ? s->max : ncap * 2;
		nb = realloc(s->buf, ncap);
		if (nb == NULL)
			return WASI_ENOMEM;
		s->buf = nb;
		s->cap = ncap;
	}
	for (size_t i = 0, left = want; i < n && left > 0; i++) {
		size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
		if (k > 0)
			memcpy(s->buf + s->len, iov[i].iov_base, k);
		s->len += k;
		left -= k;
	}
	*done = want;
	return WASI_ESUCCESS;
}

/* Hand the iovecs to the log callback in chunks, so that the callback sees
 * one write as few calls as possible (a line is usually one call). */
static uint16_t to_log(struct kiln_wasi *w, struct wasi_fd *e, struct wasi_stdio *s,
		       const struct iovec *iov, size_t n, size_t total, size_t *done)
{
	char *chunk;
	size_t used = 0;
	if (n == 1 || total <= iov[0].iov_len) {
		/* One buffer: no copy needed. */
		for (size_t off = 0; off < total; off += LOG_CHUNK) {
			size_t k = total - off < LOG_CHUNK ? total - off : LOG_CHUNK;
			s->log(s->log_ctx, w->extension, e->stream,
			       (const char *)iov[0].iov_base + off, k);
		}
		*done = total;
		return WASI_ESUCCESS;
	}
	chunk = malloc(total < LOG_CHUNK ? total : LOG_CHUNK);
	if (chunk == NULL)
		return WASI_ENOMEM;
	for (size_t i = 0, left = total; i < n && left > 0; i++) {
		const char *p = iov[i].iov_base;
		size_t len = iov[i].iov_len < left ? iov[i].iov_len : left;
		left -= len;
		while (len > 0) {
			size_t k = LOG_CHUNK - used < len ? LOG_CHUNK - used : len;
			memcpy(chunk + used, p, k);
			used += k;
			p += k;
			len -= k;
			if (used == LOG_CHUNK) {
				s->log(s->log_ctx, w->extension, e->stream, chunk, used);
				used = 0;
			}
		}
	}
	if (used > 0)
		s->log(s->log_ctx, w->extension, e->stream, chunk, used);
	free(chunk);
	*done = total;
	return WASI_ESUCCESS;
}

uint16_t wasi_stdio_write(struct kiln_wasi *w, struct wasi_fd *e, const struct iovec *iov,
			  size_t n, size_t total, size_t *done)
{
	struct wasi_stdio *s = &w->stdio[e->stream];
	*done = 0;
	if (e->stream == 0)
		return WASI_EBADF;
	switch (s->kind) {
	case KILN_WASI_STDIO_CAPTURE:
		return capture(w, e, s, iov, n, total, done);
	case KILN_WASI_STDIO_LOG:
		if (total == 0)
			return WASI_ESUCCESS;
		return to_log(w, e, s, iov, n, total, done);
	default:
		*done = total; /* null: discarded */
		return WASI_ESUCCESS;
	}
}

const uint8_t *kiln_wasi_captured(const struct kiln_wasi *w, uint32_t fd, size_t *len)
{
	*len = 0;
	if (w == NULL || (fd != 1 && fd != 2) || w->stdio[fd].kind != KILN_WASI_STDIO_CAPTURE)
		return NULL;
	*len = w->stdio[fd].len;
	return w->stdio[fd].buf != NULL ? w->stdio[fd].buf : (const uint8_t *)"";
}
