/*
 * compute — a C extension for the end-to-end suite, built with
 * clang --target=wasm32-wasi against wasi-libc: exercises libc (malloc,
 * qsort, memory growth) and 64-bit arithmetic through kiln compile.
 */
#include <stdint.h>
#include <stdlib.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("fib") uint64_t fib(uint32_t n)
{
	uint64_t a = 0, b = 1;
	while (n-- > 0) {
		uint64_t t = a + b;
		a = b;
		b = t;
	}
	return a;
}

EXPORT("collatz") uint32_t collatz(uint64_t n)
{
	uint32_t steps = 0;
	while (n > 1) {
		n = n % 2 ? 3 * n + 1 : n / 2;
		steps++;
	}
	return steps;
}

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Sort n pseudo-random numbers on the heap: 1 when sorted, -1 when the
 * memory could not be had (memory.grow refused, e.g. by --max-memory). */
EXPORT("sort_check") int32_t sort_check(uint32_t n)
{
	uint32_t *v = malloc((size_t)n * sizeof v[0]), x = 12345;
	int32_t ok = 1;
	if (v == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		v[i] = x >> 8;
	}
	qsort(v, n, sizeof v[0], cmp);
	for (uint32_t i = 1; i < n; i++)
		if (v[i - 1] > v[i])
			ok = 0;
	free(v);
	return ok;
}
