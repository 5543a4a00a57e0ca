/* WASI clocks and poll_oneoff under grants. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

static uint64_t host_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void test_granted_clocks(void)
{
	struct kiln_wasi_grants g = {.clock_realtime = true, .clock_monotonic = true};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	uint64_t a, b, c;

	a = host_ns(CLOCK_REALTIME);
	CU_ASSERT_EQUAL(kiln_wasi_clock_time_get(w, m, WASI_CLOCK_REALTIME, 1, G_OUT), 0);
	b = wfx_u64(m, G_OUT);
	c = host_ns(CLOCK_REALTIME);
	CU_ASSERT(a <= b && b <= c);
	a = host_ns(CLOCK_MONOTONIC);
	CU_ASSERT_EQUAL(kiln_wasi_clock_time_get(w, m, WASI_CLOCK_MONOTONIC, 0, G_OUT), 0);
	b = wfx_u64(m, G_OUT);
	c = host_ns(CLOCK_MONOTONIC);
	CU_ASSERT(a <= b && b <= c);
	CU_ASSERT_EQUAL(kiln_wasi_clock_res_get(w, m, WASI_CLOCK_REALTIME, G_OUT), 0);
	CU_ASSERT(wfx_u64(m, G_OUT) > 0 && wfx_u64(m, G_OUT) <= 1000000000u);
	CU_ASSERT_EQUAL(kiln_wasi_clock_res_get(w, m, WASI_CLOCK_MONOTONIC, G_OUT), 0);
	CU_ASSERT(wfx_u64(m, G_OUT) > 0);
	CU_ASSERT_EQUAL(kiln_wasi_denials_total(w), 0);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

static void test_denied_clocks(void)
{
	struct kiln_wasi_grants g = {.clock_monotonic = true};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);

	wasi_st64(m.base + G_OUT, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(kiln_wasi_clock_time_get(w, m, WASI_CLOCK_REALTIME, 0, G_OUT),
			WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(wfx_u64(m, G_OUT), 0x1122334455667788ull); /* untouched */
	CU_ASSERT_EQUAL(kiln_wasi_clock_res_get(w, m, WASI_CLOCK_REALTIME, G_OUT),
			WASI_ENOTCAPABLE);
	CU_ASSERT_STRING_EQUAL(wfx_last_audit(w)->resource, "clock realtime");
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_DENIED);
	/* CPU-time clocks are refused whatever the grant. */
	CU_ASSERT_EQUAL(kiln_wasi_clock_time_get(w, m, WASI_CLOCK_PROCESS_CPUTIME, 0, G_OUT),
			WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_clock_res_get(w, m, WASI_CLOCK_THREAD_CPUTIME, G_OUT),
			WASI_EINVAL);
	CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_REFUSED);
	/* Unknown clocks are plain invalid arguments. */
	CU_ASSERT_EQUAL(kiln_wasi_clock_time_get(w, m, 4, 0, G_OUT), WASI_EINVAL);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_CLOCK_TIME_GET), 2);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_CLOCK_RES_GET), 2);
	kiln_wasi_free(w);
	/* The zero grant has no clock at all. */
	w = wfx_new(NULL);
	CU_ASSERT_EQUAL(kiln_wasi_clock_time_get(w, m, WASI_CLOCK_MONOTONIC, 0, G_OUT),
			WASI_ENOTCAPABLE);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

/* Lay out subscription @i at G_BUF. */
static void sub_clock(struct kiln_wasi_mem m, uint32_t i, uint64_t userdata, uint32_t id,
		      uint64_t timeout, uint16_t flags)
{
	uint8_t *p = m.base + G_BUF + i * WASI_SUBSCRIPTION_SIZE;
	memset(p, 0, WASI_SUBSCRIPTION_SIZE);
	wasi_st64(p, userdata);
	p[8] = WASI_EVENT_CLOCK;
	wasi_st32(p + 16, id);
	wasi_st64(p + 24, timeout);
	wasi_st16(p + 40, flags);
}

static void sub_fd(struct kiln_wasi_mem m, uint32_t i, uint64_t userdata, uint8_t type,
		   uint32_t fd)
{
	uint8_t *p = m.base + G_BUF + i * WASI_SUBSCRIPTION_SIZE;
	memset(p, 0, WASI_SUBSCRIPTION_SIZE);
	wasi_st64(p, userdata);
	p[8] = type;
	wasi_st32(p + 16, fd);
}

#define EV(i) (G_IOV + (i) * WASI_EVENT_SIZE)

static void test_poll_sleep(void)
{
	struct kiln_wasi_grants g = {.clock_realtime = true, .clock_monotonic = true};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(&g);
	uint64_t t0;

	/* Relative 20 ms on the monotonic clock, and a later one that
	 * does not fire. */
	sub_clock(m, 0, 0xabc, WASI_CLOCK_MONOTONIC, 20000000u, 0);
	sub_clock(m, 1, 0xdef, WASI_CLOCK_MONOTONIC, 5000000000u, 0);
	t0 = wasi_now_ns();
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 2, G_OUT), 0);
	CU_ASSERT(wasi_now_ns() - t0 >= 20000000u);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 1);
	CU_ASSERT_EQUAL(wfx_u64(m, EV(0)), 0xabc);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + EV(0) + 8), 0);
	CU_ASSERT_EQUAL(m.base[EV(0) + 10], WASI_EVENT_CLOCK);
	/* Absolute time on the realtime clock, already past: at once. */
	sub_clock(m, 0, 7, WASI_CLOCK_REALTIME, host_ns(CLOCK_REALTIME) - 1000,
		  WASI_SUBCLOCK_ABSTIME);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 1);
	/* Absolute monotonic 10 ms ahead. */
	t0 = wasi_now_ns();
	sub_clock(m, 0, 8, WASI_CLOCK_MONOTONIC, t0 + 10000000u, WASI_SUBCLOCK_ABSTIME);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), 0);
	CU_ASSERT(wasi_now_ns() >= t0 + 10000000u);
	/* No subscriptions, unknown type, bad clock flags. */
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 0, G_OUT), WASI_EINVAL);
	m.base[G_BUF + 8] = 9;
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), WASI_EINVAL);
	sub_clock(m, 0, 9, WASI_CLOCK_MONOTONIC, 0, 0x8);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), 0);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + EV(0) + 8), WASI_EINVAL);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

/* Sleeping on a clock that is not granted is reading it: the event
 * carries ENOTCAPABLE at once, and the denial is recorded. */
static void test_poll_denied_clock(void)
{
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w = wfx_new(NULL);
	uint64_t t0 = wasi_now_ns();
	sub_clock(m, 0, 1, WASI_CLOCK_MONOTONIC, 10000000000ull, 0);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), 0);
	CU_ASSERT(wasi_now_ns() - t0 < 5000000000ull);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 1);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + EV(0) + 8), WASI_ENOTCAPABLE);
	CU_ASSERT_EQUAL(kiln_wasi_denials(w, KILN_WASI_FN_POLL_ONEOFF), 1);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

static void test_poll_fds(void)
{
	struct kiln_wasi_grants g = {.clock_monotonic = true};
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	int p[2], saved;
	uint64_t t0;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	saved = dup(0);
	dup2(p[0], 0);
	g.stdio[0].kind = KILN_WASI_STDIO_INHERIT;
	g.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	w = wfx_new(&g);
	dup2(saved, 0);
	close(saved);
	close(p[0]);
	/* stdout (memory) is always writable; stdin (a pipe) is not
	 * readable yet; a bad fd reports EBADF in its event. */
	sub_fd(m, 0, 10, WASI_EVENT_FD_READ, 0);
	sub_fd(m, 1, 11, WASI_EVENT_FD_WRITE, 1);
	sub_fd(m, 2, 12, WASI_EVENT_FD_READ, 77);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 3, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 2);
	CU_ASSERT_EQUAL(wfx_u64(m, EV(0)), 11);
	CU_ASSERT_EQUAL(wfx_u64(m, EV(1)), 12);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + EV(1) + 8), WASI_EBADF);
	/* The pipe alone with a 10 ms timeout: the timeout fires. */
	sub_fd(m, 0, 10, WASI_EVENT_FD_READ, 0);
	sub_clock(m, 1, 20, WASI_CLOCK_MONOTONIC, 10000000u, 0);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 2, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 1);
	CU_ASSERT_EQUAL(wfx_u64(m, EV(0)), 20);
	/* Data arrives: the read subscription fires with the byte count. */
	CU_ASSERT_EQUAL(write(p[1], "abc", 3), 3);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 2, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u64(m, EV(0)), 10);
	CU_ASSERT_EQUAL(wfx_u64(m, EV(0) + 16), 3);
	/* Nothing to wait for but the pipe: the deadline ends the wait. */
	{
		char buf[8];
		uint32_t n;
		CU_ASSERT_EQUAL(wfx_read(w, m, 0, buf, sizeof buf, &n), 0);
	}
	kiln_wasi_set_deadline(w, wasi_now_ns() + 20000000u);
	t0 = wasi_now_ns();
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), WASI_EINTR);
	CU_ASSERT(wasi_now_ns() - t0 >= 20000000u);
	/* Hang-up is reported. */
	kiln_wasi_set_deadline(w, 0);
	close(p[1]);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), 0);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + EV(0) + 24) & WASI_EVENTRW_HANGUP, WASI_EVENTRW_HANGUP);
	kiln_wasi_free(w);
	wfx_mem_free(m);
}

/* A regular file is always ready; nbytes says what is left to read. */
static void test_poll_file(void)
{
	char *dir = wfx_tmpdir();
	struct kiln_wasi_mount mt;
	struct kiln_wasi_grants g = wfx_one_mount(&mt, dir, 1);
	struct kiln_wasi_mem m = wfx_mem();
	struct kiln_wasi *w;
	uint32_t fd;
	wfx_write_file(dir, "f", "0123456789");
	w = wfx_new(&g);
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "f", 0, WFX_READ | WASI_RIGHT_POLL_FD_READWRITE, 0, &fd),
			0);
	CU_ASSERT_EQUAL(kiln_wasi_fd_seek(w, m, fd, 4, WASI_WHENCE_SET, G_OUT), 0);
	sub_fd(m, 0, 1, WASI_EVENT_FD_READ, fd);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), 0);
	CU_ASSERT_EQUAL(wfx_u32(m, G_OUT), 1);
	CU_ASSERT_EQUAL(wfx_u64(m, EV(0) + 16), 6);
	/* Without the poll right: ENOTCAPABLE in the event. */
	CU_ASSERT_EQUAL(wfx_open(w, m, 3, "f", 0, WFX_READ, 0, &fd), 0);
	sub_fd(m, 0, 1, WASI_EVENT_FD_READ, fd);
	CU_ASSERT_EQUAL(kiln_wasi_poll_oneoff(w, m, G_BUF, G_IOV, 1, G_OUT), 0);
	CU_ASSERT_EQUAL(wasi_ld16(m.base + EV(0) + 8), WASI_ENOTCAPABLE);
	kiln_wasi_free(w);
	wfx_mem_free(m);
	wfx_rmtree(dir);
	free(dir);
}

void kiln_test_wasi_clock(void)
{
	CU_pSuite s = CU_add_suite("wasi_clock", NULL, NULL);
	CU_add_test(s, "granted clocks", test_granted_clocks);
	CU_add_test(s, "denied clocks", test_denied_clocks);
	CU_add_test(s, "poll_oneoff sleeps", test_poll_sleep);
	CU_add_test(s, "poll_oneoff on a denied clock", test_poll_denied_clock);
	CU_add_test(s, "poll_oneoff on fds", test_poll_fds);
	CU_add_test(s, "poll_oneoff on a file", test_poll_file);
}
