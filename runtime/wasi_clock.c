/*
 * wasi_clock.c — clock_res_get, clock_time_get and poll_oneoff.
 *
 * The realtime and monotonic clocks are each granted or not; a clock
 * subscription in poll_oneoff (which is how the guest's libc sleeps) needs
 * the same grant as reading that clock, since sleeping until a time is a
 * way of reading it.  The CPU-time clocks are never offered: they would
 * measure the host process, not the guest.  poll_oneoff never sleeps past
 * the deadline the runtime set (it returns EINTR then).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

static uint16_t clock_check(struct kiln_wasi *w, enum kiln_wasi_func f, uint32_t id,
			    clockid_t *host)
{
	switch (id) {
	case WASI_CLOCK_REALTIME:
		*host = CLOCK_REALTIME;
		if (!w->clock_realtime)
			return wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
					 "clock realtime");
		return WASI_ESUCCESS;
	case WASI_CLOCK_MONOTONIC:
		*host = CLOCK_MONOTONIC;
		if (!w->clock_monotonic)
			return wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
					 "clock monotonic");
		return WASI_ESUCCESS;
	case WASI_CLOCK_PROCESS_CPUTIME:
	case WASI_CLOCK_THREAD_CPUTIME:
		return wasi_deny(w, f, KILN_AUDIT_REFUSED, WASI_EINVAL, "clock %s-cputime",
				 id == WASI_CLOCK_PROCESS_CPUTIME ? "process" : "thread");
	}
	return WASI_EINVAL;
}

static uint64_t ns_of(struct timespec t)
{
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int32_t kiln_wasi_clock_res_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t id,
				uint32_t res_ptr)
{
	struct timespec t;
	clockid_t c;
	uint16_t rc;
	if (!wasi_mem_ok(m, res_ptr, 8))
		return wasi_fault(w, KILN_WASI_FN_CLOCK_RES_GET, "resolution", res_ptr, 8, m);
	if ((rc = clock_check(w, KILN_WASI_FN_CLOCK_RES_GET, id, &c)) != 0)
		return rc;
	if (clock_getres(c, &t) != 0)
		return wasi_errno_from_host(errno);
	wasi_st64(wasi_mem_at(m, res_ptr), ns_of(t) != 0 ? ns_of(t) : 1);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_clock_time_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t id,
				 uint64_t precision, uint32_t time_ptr)
{
	struct timespec t;
	clockid_t c;
	uint16_t rc;
	(void)precision;
	if (!wasi_mem_ok(m, time_ptr, 8))
		return wasi_fault(w, KILN_WASI_FN_CLOCK_TIME_GET, "time", time_ptr, 8, m);
	if ((rc = clock_check(w, KILN_WASI_FN_CLOCK_TIME_GET, id, &c)) != 0)
		return rc;
	if (clock_gettime(c, &t) != 0)
		return wasi_errno_from_host(errno);
	wasi_st64(wasi_mem_at(m, time_ptr), ns_of(t));
	return WASI_ESUCCESS;
}

/* One subscription, copied out of guest memory, and its outcome. */
struct sub {
	uint64_t userdata;
	uint8_t type;
	uint64_t due;      /* CLOCK: CLOCK_MONOTONIC ns */
	int poll;          /* FD: index into the pollfd array, or -1 */
	bool fired;
	uint16_t error;
	uint64_t nbytes;
	uint16_t rwflags;
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void prepare_clock(struct kiln_wasi *w, struct sub *s, const uint8_t *p, uint64_t now)
{
	uint32_t id = wasi_ld32(p + 16);
	uint64_t timeout = wasi_ld64(p + 24);
	uint16_t flags = wasi_ld16(p + 40);
	clockid_t c;
	if ((s->error = clock_check(w, KILN_WASI_FN_POLL_ONEOFF, id, &c)) != 0 ||
	    (flags & ~WASI_SUBCLOCK_ABSTIME) != 0) {
		s->error = s->error != 0 ? s->error : WASI_EINVAL;
		s->fired = true;
		return;
	}
	if (!(flags & WASI_SUBCLOCK_ABSTIME)) {
		s->due = sat_add(now, timeout);
	} else if (c == CLOCK_MONOTONIC) {
		s->due = timeout;
	} else {
		struct timespec t;
		uint64_t real;
		clock_gettime(CLOCK_REALTIME, &t);
		real = ns_of(t);
		s->due = timeout > real ? sat_add(now, timeout - real) : now;
	}
}

static void prepare_fd(struct kiln_wasi *w, struct sub *s, const uint8_t *p, struct pollfd *pfd,
		       size_t *npfd)
{
	uint32_t fd = wasi_ld32(p + 16);
	struct wasi_fd *e;
	bool rd = s->type == WASI_EVENT_FD_READ;
	s->fired = true; /* unless it has to wait */
	if ((s->error = wasi_fd_check(w, KILN_WASI_FN_POLL_ONEOFF, fd,
				      WASI_RIGHT_POLL_FD_READWRITE |
					      (rd ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE),
				      &e)) != 0)
		return;
	if (e->host < 0) {
		/* Stdio in memory or nowhere: always ready. */
		const struct wasi_stdio *st = &w->stdio[e->stream];
		if (rd && st->kind == KILN_WASI_STDIO_CAPTURE)
			s->nbytes = st->len - st->pos;
		return;
	}
	if (!wasi_fd_may_block(e)) {
		struct stat sb;
		off_t cur;
		if (rd && fstat(e->host, &sb) == 0 && (cur = lseek(e->host, 0, SEEK_CUR)) >= 0 &&
		    sb.st_size > cur)
			s->nbytes = (uint64_t)(sb.st_size - cur);
		return;
	}
	s->fired = false;
	s->poll = (int)*npfd;
	pfd[*npfd].fd = e->host;
	pfd[*npfd].events = rd ? POLLIN : POLLOUT;
	pfd[*npfd].revents = 0;
	(*npfd)++;
}

int32_t kiln_wasi_poll_oneoff(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t in,
			      uint32_t out, uint32_t nsubscriptions, uint32_t nevents_ptr)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_POLL_ONEOFF;
	uint64_t in_bytes = (uint64_t)nsubscriptions * WASI_SUBSCRIPTION_SIZE;
	uint64_t out_bytes = (uint64_t)nsubscriptions * WASI_EVENT_SIZE;
	struct sub *subs = NULL;
	struct pollfd *pfd = NULL;
	size_t npfd = 0;
	uint32_t nev = 0;
	uint16_t rc = 0;
	uint8_t *o;

	if (nsubscriptions == 0)
		return WASI_EINVAL;
	if (nsubscriptions > KILN_WASI_POLL_MAX)
		return wasi_deny(w, f, KILN_AUDIT_FAULT, WASI_EINVAL,
				 "%u subscriptions, above the limit of %u", nsubscriptions,
				 KILN_WASI_POLL_MAX);
	if (!wasi_mem_ok(m, in, in_bytes))
		return wasi_fault(w, f, "subscriptions", in, in_bytes, m);
	if (!wasi_mem_ok(m, out, out_bytes))
		return wasi_fault(w, f, "events", out, out_bytes, m);
	if (!wasi_mem_ok(m, nevents_ptr, 4))
		return wasi_fault(w, f, "event count", nevents_ptr, 4, m);
	subs = calloc(nsubscriptions, sizeof *subs);
	pfd = calloc(nsubscriptions, sizeof *pfd);
	if (subs == NULL || pfd == NULL) {
		rc = WASI_ENOMEM;
		goto out;
	}
	{
		uint64_t now = wasi_now_ns();
		for (uint32_t i = 0; i < nsubscriptions; i++) {
			const uint8_t *p = wasi_mem_at(m, in) + (uint64_t)i * WASI_SUBSCRIPTION_SIZE;
			struct sub *s = &subs[i];
			s->userdata = wasi_ld64(p);
			s->type = p[8];
			s->poll = -1;
			if (s->type == WASI_EVENT_CLOCK) {
				prepare_clock(w, s, p, now);
			} else if (s->type == WASI_EVENT_FD_READ || s->type == WASI_EVENT_FD_WRITE) {
				prepare_fd(w, s, p, pfd, &npfd);
			} else {
				rc = WASI_EINVAL;
				goto out;
			}
		}
	}
	for (;;) {
		bool any = false;
		uint64_t due = UINT64_MAX, now;
		struct timespec ts, *tsp = NULL;
		int r;

		for (uint32_t i = 0; i < nsubscriptions; i++) {
			any |= subs[i].fired;
			if (subs[i].type == WASI_EVENT_CLOCK && !subs[i].fired && subs[i].due < due)
				due = subs[i].due;
		}
		now = wasi_now_ns();
		if (any) {
			due = now; /* report what is ready, do not wait */
		} else if (w->deadline_ns != 0 && w->deadline_ns < due) {
			if (w->deadline_ns <= now) {
				rc = WASI_EINTR;
				goto out;
			}
			due = w->deadline_ns;
		}
		if (due != UINT64_MAX) {
			uint64_t left = due > now ? due - now : 0;
			ts.tv_sec = (time_t)(left / 1000000000u);
			ts.tv_nsec = (long)(left % 1000000000u);
			tsp = &ts;
		}
		r = ppoll(npfd > 0 ? pfd : NULL, npfd, tsp, NULL);
		if (r < 0 && errno != EINTR) {
			rc = wasi_errno_from_host(errno);
			goto out;
		}
		now = wasi_now_ns();
		for (uint32_t i = 0; i < nsubscriptions; i++) {
			struct sub *s = &subs[i];
			if (s->fired)
				continue;
			if (s->type == WASI_EVENT_CLOCK) {
				s->fired = s->due <= now;
			} else if (r > 0 && pfd[s->poll].revents != 0) {
				short re = pfd[s->poll].revents;
				int avail = 0;
				s->fired = true;
				if (re & POLLNVAL)
					s->error = WASI_EBADF;
				if (re & POLLHUP)
					s->rwflags |= WASI_EVENTRW_HANGUP;
				if (s->type == WASI_EVENT_FD_READ &&
				    ioctl(pfd[s->poll].fd, FIONREAD, &avail) == 0 && avail > 0)
					s->nbytes = (uint64_t)avail;
			}
			any |= s->fired;
		}
		if (any)
			break;
	}
	o = wasi_mem_at(m, out);
	for (uint32_t i = 0; i < nsubscriptions; i++) {
		const struct sub *s = &subs[i];
		uint8_t *e = o + (uint64_t)nev * WASI_EVENT_SIZE;
		if (!s->fired)
			continue;
		memset(e, 0, WASI_EVENT_SIZE);
		wasi_st64(e, s->userdata);
		wasi_st16(e + 8, s->error);
		wasi_st8(e + 10, s->type);
		wasi_st64(e + 16, s->nbytes);
		wasi_st16(e + 24, s->rwflags);
		nev++;
	}
	wasi_st32(wasi_mem_at(m, nevents_ptr), nev);
out:
	free(subs);
	free(pfd);
	return rc;
}
