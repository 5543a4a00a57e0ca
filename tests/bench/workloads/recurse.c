/*
 * recurse — call-heavy recursion: the naive Fibonacci recursion, Takeuchi's
 * function and Ackermann's function, n rounds.  Checks fib against the
 * iterative sum and Ackermann against its closed form for m = 2 and 3.
 */
#include "workload.h"

static uint32_t fib(uint32_t k)
{
	return k < 2 ? k : fib(k - 1) + fib(k - 2);
}

static int32_t tak(int32_t x, int32_t y, int32_t z)
{
	if (y >= x)
		return z;
	return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

static uint32_t ack(uint32_t m, uint32_t k)
{
	if (m == 0)
		return k + 1;
	if (k == 0)
		return ack(m - 1, 1);
	return ack(m - 1, ack(m, k - 1));
}

WL_RUN(uint32_t n)
{
	uint64_t h = WL_SEED;
	for (uint32_t r = 0; r < n; r++) {
		uint32_t k = 24 + r % 4, a = 0, b = 1, f = fib(k);
		uint32_t j = 4 + r % 3;
		for (uint32_t i = 0; i < k; i++) {
			uint32_t t = a + b;
			a = b;
			b = t;
		}
		if (f != a)
			return WL_FAIL;
		if (ack(2, j) != 2 * j + 3 || ack(3, j) != (8u << j) - 3)
			return WL_FAIL;
		h = wl_mix(h, f);
		h = wl_mix(h, (uint64_t)(uint32_t)tak(18 + (int32_t)(r % 2), 12, 6));
	}
	return h;
}
