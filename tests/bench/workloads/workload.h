/*
 * workload.h — what the workloads of `make bench` share.
 *
 * Each tests/bench/workloads/<name>.c is built twice from the same source:
 * for wasm32-wasi (clang --target=wasm32-wasi -O2 -mexec-model=reactor),
 * where its entry point is the export "run", and natively, where it is the
 * function wl_<name>_run (WL_NAME=<name> on the command line).
 *
 * run(n) does n units of work and returns a 64-bit checksum, which must be
 * the same natively and in wasm.  A workload also checks its own result (a
 * known answer, a sorted array, a round trip) and returns WL_FAIL when the
 * check fails.  Every call starts from the same state, so that repeated
 * calls return the same checksum.  Only fixed-width types reach the
 * checksum: native code is LP64, wasm32 is ILP32.
 */
#ifndef KILN_BENCH_WORKLOAD_H
#define KILN_BENCH_WORKLOAD_H

#include <stdint.h>

/** What run() returns when the workload's own check of its result fails. */
#define WL_FAIL UINT64_C(0xfa11fa11fa11fa11)

#define WL_CAT_(a, b) a##b
#define WL_CAT(a, b) WL_CAT_(a, b)

#ifdef __wasm__
#define WL_RUN __attribute__((export_name("run"))) uint64_t run
/* A function the host provides, imported from module "bench". */
#define WL_IMPORT(name) __attribute__((import_module("bench"), import_name(name)))
#elif defined(WL_NAME)
#define WL_RUN uint64_t WL_CAT(WL_CAT(wl_, WL_NAME), _run)
#define WL_IMPORT(name)
#endif

/* xorshift64*: the workloads' deterministic input. */
static inline uint64_t wl_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* Fold @v into checksum @h (FNV-1a over the 8 bytes). */
static inline uint64_t wl_mix(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#define WL_SEED UINT64_C(0xcbf29ce484222325)

/* The host functions of the hostcall workload: bench.mix(a, b) and
 * bench.sum(p, len), FNV-1a over len bytes at p. */
#define WL_HOST_MIX(a, b) (((a) ^ ((b) + 0x9e3779b9u + ((a) << 6) + ((a) >> 2))) * 0x85ebca6bu)

static inline uint32_t wl_fnv32(const uint8_t *p, uint32_t len)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#ifdef WL_RUN
WL_RUN(uint32_t n);
#endif

#endif
