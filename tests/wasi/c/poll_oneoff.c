/* wasi-functions: poll_oneoff
 * Sleeping (relative and absolute) and polling stdio. */
#include <assert.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

static long long now(clockid_t c)
{
	struct timespec t;
	assert(clock_gettime(c, &t) == 0);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
	struct timespec d = {0, 20000000}, abs;
	struct pollfd p = {.fd = 1, .events = POLLOUT};
	long long t0 = now(CLOCK_MONOTONIC);
	assert(nanosleep(&d, NULL) == 0);
	assert(now(CLOCK_MONOTONIC) - t0 >= 20000000);
	t0 = now(CLOCK_MONOTONIC);
	abs.tv_sec = (t0 + 10000000) / 1000000000;
	abs.tv_nsec = (t0 + 10000000) % 1000000000;
	assert(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
	assert(now(CLOCK_MONOTONIC) >= t0 + 10000000);
	assert(poll(&p, 1, 0) == 1 && (p.revents & POLLOUT));
	return EXIT_SUCCESS;
}
