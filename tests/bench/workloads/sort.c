/*
 * sort — a memory-heavy kernel: n rounds of filling 4 MiB (1 Mi 32-bit
 * keys) with pseudo-random numbers and sorting them (quicksort, median of
 * three, insertion sort for short runs, the smaller side first so that the
 * recursion stays shallow).  Checks that every round comes out sorted and
 * is a permutation of its input (sum and xor of the keys).
 */
#include "workload.h"

#define NKEYS (1u << 20)

static uint32_t keys[NKEYS];

static void insertion(uint32_t *a, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		uint32_t v = a[i], j = i;
		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

static inline void swap(uint32_t *a, uint32_t i, uint32_t j)
{
	uint32_t t = a[i];
	a[i] = a[j];
	a[j] = t;
}

static void quicksort(uint32_t *a, uint32_t n)
{
	while (n > 24) {
		uint32_t mid = n / 2, last = n - 1, i, j, pivot;
		/* median of three into a[mid], a[0] <= a[mid] <= a[last] */
		if (a[mid] < a[0])
			swap(a, mid, 0);
		if (a[last] < a[0])
			swap(a, last, 0);
		if (a[last] < a[mid])
			swap(a, last, mid);
		pivot = a[mid];
		i = 0;
		j = last;
		for (;;) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i >= j)
				break;
			swap(a, i, j);
			i++;
			j--;
		}
		/* [0, j] <= pivot <= [j + 1, n) */
		if (j + 1 < n - (j + 1)) {
			quicksort(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			quicksort(a + j + 1, n - (j + 1));
			n = j + 1;
		}
	}
	insertion(a, n);
}

WL_RUN(uint32_t n)
{
	uint64_t seed = WL_SEED, h = WL_SEED;
	for (uint32_t r = 0; r < n; r++) {
		uint64_t sum_in = 0, sum_out = 0;
		uint32_t xor_in = 0, xor_out = 0;
		for (uint32_t i = 0; i < NKEYS; i++) {
			/* some duplicates: keys below 2^24 */
			keys[i] = (uint32_t)(wl_rand(&seed) >> 40);
			sum_in += keys[i];
			xor_in ^= keys[i];
		}
		quicksort(keys, NKEYS);
		for (uint32_t i = 0; i < NKEYS; i++) {
			if (i > 0 && keys[i - 1] > keys[i])
				return WL_FAIL;
			sum_out += keys[i];
			xor_out ^= keys[i];
		}
		if (sum_in != sum_out || xor_in != xor_out)
			return WL_FAIL;
		h = wl_mix(h, keys[NKEYS / 3]);
		h = wl_mix(h, keys[NKEYS - 1] ^ sum_out);
	}
	return h;
}
