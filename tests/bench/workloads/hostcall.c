/*
 * hostcall — many small calls into the host: per step one call of a
 * scalar function (bench.mix) and, every 8th step, one that reads 32 bytes
 * of the guest's memory (bench.sum, bounds-checked by the kiln host like a
 * WASI call).  Natively the same source calls the same host functions.
 * Checks the result against the host functions' definitions, recomputed
 * here for a prefix of the run.
 */
#include "workload.h"

WL_IMPORT("mix") uint32_t bench_mix(uint32_t a, uint32_t b);
WL_IMPORT("sum") uint32_t bench_sum(const uint8_t *p, uint32_t len);

static uint8_t buf[32];

WL_RUN(uint32_t n)
{
	uint64_t h = WL_SEED;
	uint32_t x = 1, y = 1;

	/* the host's functions are the ones this source expects */
	for (uint32_t i = 0; i < 1000; i++) {
		y = WL_HOST_MIX(y, i);
		buf[i % 32] = (uint8_t)y;
		if (bench_mix(x, i) != y || bench_sum(buf, 32) != wl_fnv32(buf, 32))
			return WL_FAIL;
		x = y;
	}
	x = 1;
	for (uint32_t r = 0; r < n; r++) {
		for (uint32_t i = 0; i < 1024; i++) {
			x = bench_mix(x, i);
			if (i % 8 == 7) {
				buf[(i / 8) % 32] = (uint8_t)x;
				x ^= bench_sum(buf, 32);
			}
		}
		h = wl_mix(h, x);
	}
	return h;
}
