/*
 * The fuel pass at run time: the same program (fuel_run.wat) compiled by
 * wasm2c before ("plain") and after ("fueled") the pass, linked with WABT's
 * runtime until libkiln-rt takes over.  Checks that endless loops and
 * unbounded recursion end in the fuel trap, that code entered with an empty
 * counter, or finding it emptied after an import call, asks
 * fuel_exhausted for more, that a loop of N iterations costs exactly what
 * the static charges say, and that both builds compute the same results
 * (so renumbering kept every call on its target).
 * Ends with "fuel: N passed, M failed".
 *
 * `fuel-run --bench` instead times both builds (for `make bench`).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasm-rt-impl.h"

#include "fueled.h"
#include "plain.h"

static unsigned passed, failed;
static unsigned exhausted_calls, trap_calls;
static unsigned refills_left;  /* fuel_exhausted brings in REFILL this often */
static int drain_in_mul;       /* env.mul empties the counter */

#define REFILL 1000

static void check(int ok, const char *what)
{
	if (ok) {
		passed++;
		printf("ok   %s\n", what);
	} else {
		failed++;
		printf("FAIL %s\n", what);
	}
}

static Z_plain_instance_t plain;
static Z_fueled_instance_t fueled;

static int64_t *fuel(void)
{
	return (int64_t *)Z_fueledZ___kiln_fuel(&fueled);
}

/* kiln.fuel_exhausted, as the runtime's: called with the counter at or
 * below zero, it brings in REFILL while refills are left (the runtime hands
 * over a budget or draws on a linked instance's), else traps if the counter
 * is negative and returns at zero. */
void Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx)
{
	(void)ctx;
	exhausted_calls++;
	if (refills_left > 0) {
		refills_left--;
		*fuel() += REFILL;
		return;
	}
	if (*fuel() < 0)
		wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

/* kiln.fuel_trap: a charge took the counter below zero. */
void Z_kilnZ_fuel_trap(struct Z_kiln_instance_t *ctx, u64 left)
{
	(void)ctx;
	trap_calls++;
	*fuel() = (int64_t)left;
	wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

u32 Z_envZ_mul(struct Z_env_instance_t *ctx, u32 a, u32 b)
{
	(void)ctx;
	if (drain_in_mul)
		*fuel() = 0;
	return a * b;
}

static void reset_counts(void)
{
	exhausted_calls = trap_calls = refills_left = 0;
	drain_in_mul = 0;
}

static void test_spin(void)
{
	wasm_rt_trap_t trap;
	*fuel() = 10000;
	reset_counts();
	trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE) {
		Z_fueledZ_spin(&fueled);
		check(0, "(loop (br 0)) returned");
		return;
	}
	check(trap == WASM_RT_TRAP_UNREACHABLE && trap_calls == 1 && exhausted_calls == 0 &&
		      *fuel() < 0,
	      "(loop (br 0)) ends in the fuel trap");
}

static void test_empty_on_entry(void)
{
	wasm_rt_trap_t trap;
	volatile u32 r = 0;
	*fuel() = 0;
	reset_counts();
	refills_left = 1;
	trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE)
		r = Z_fueledZ_count(&fueled, 10);
	check(trap == WASM_RT_TRAP_NONE && r == 10 && exhausted_calls == 1 &&
		      *fuel() == REFILL - (3 + 9 * 11),
	      "entered with an empty counter, an export asks fuel_exhausted first");
	*fuel() = 0;
	reset_counts();
	trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE) {
		Z_fueledZ_count(&fueled, 10);
		check(0, "count with no fuel at all returned");
		return;
	}
	check(trap == WASM_RT_TRAP_UNREACHABLE && exhausted_calls == 1 && trap_calls == 1,
	      "with nothing brought in, its first charge traps");
}

static void test_emptied_by_import(void)
{
	wasm_rt_trap_t trap;
	volatile u64 r = 0;
	*fuel() = 1000000;
	reset_counts();
	drain_in_mul = 1;
	refills_left = 4;
	trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE)
		r = Z_fueledZ_sum_squares(&fueled, 4);
	check(trap == WASM_RT_TRAP_NONE && r == 14 && exhausted_calls == 4 && trap_calls == 0,
	      "a counter emptied by an import call is refilled through fuel_exhausted");
	*fuel() = 1000000;
	reset_counts();
	drain_in_mul = 1;
	trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE) {
		Z_fueledZ_sum_squares(&fueled, 4);
		check(0, "sum_squares with an emptied counter returned");
		return;
	}
	check(trap == WASM_RT_TRAP_UNREACHABLE && exhausted_calls == 1 && trap_calls == 1,
	      "and if nothing comes in, the next charge traps");
	drain_in_mul = 0;
}

static void test_recursion(void)
{
	wasm_rt_trap_t trap;
	*fuel() = 20000;
	reset_counts();
	trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE) {
		Z_fueledZ_recurse(&fueled, 0);
		check(0, "unbounded recursion returned");
		return;
	}
	check(trap == WASM_RT_TRAP_UNREACHABLE && trap_calls == 1,
	      "unbounded recursion ends in the fuel trap (not the stack guard)");
}

static void test_count_cost(void)
{
	static const u32 ns[] = {0, 1, 10, 1000, 100000};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		const int64_t start = 1000000000;
		char what[128];
		wasm_rt_trap_t trap;
		volatile u32 r = 0;
		*fuel() = start;
		reset_counts();
		trap = wasm_rt_impl_try();
		if (trap == WASM_RT_TRAP_NONE)
			r = Z_fueledZ_count(&fueled, ns[i]);
		/* entry 3, then 9 at each of the N + 1 loop headers */
		snprintf(what, sizeof what, "count(%u) costs 3 + 9 * (N + 1) = %lld", ns[i],
			 (long long)(3 + 9 * ((int64_t)ns[i] + 1)));
		check(trap == WASM_RT_TRAP_NONE && r == ns[i] &&
			      start - *fuel() == 3 + 9 * ((int64_t)ns[i] + 1),
		      what);
	}
}

static void test_same_results(void)
{
	wasm_rt_trap_t trap;
	volatile int same = 1, ran = 0;
	*fuel() = INT64_MAX / 2;
	reset_counts();
	trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE) {
		same &= Z_plainZ_started(&plain) == 7;
		same &= Z_fueledZ_started(&fueled) == 7;
		for (u32 x = 0; x < 20; x++) {
			same &= Z_plainZ_fib(&plain, x) == Z_fueledZ_fib(&fueled, x);
			for (u32 slot = 0; slot < 3; slot++)
				same &= Z_plainZ_indirect(&plain, slot, x) ==
					Z_fueledZ_indirect(&fueled, slot, x);
			same &= Z_plainZ_via_ref_func(&plain, x) == Z_fueledZ_via_ref_func(&fueled, x);
			same &= Z_plainZ_via_global(&plain, x) == Z_fueledZ_via_global(&fueled, x);
			same &= Z_plainZ_via_passive(&plain, x) == Z_fueledZ_via_passive(&fueled, x);
			same &= Z_plainZ_sum_squares(&plain, x * 10) ==
				Z_fueledZ_sum_squares(&fueled, x * 10);
			same &= Z_plainZ_lcg(&plain, x * 1000) == Z_fueledZ_lcg(&fueled, x * 1000);
		}
		/* spot values, so that "same" cannot mean "same and wrong" */
		same &= Z_fueledZ_fib(&fueled, 19) == 4181;
		same &= Z_fueledZ_indirect(&fueled, 1, 9) == 81;
		same &= Z_fueledZ_via_passive(&fueled, 5) == 15;
		same &= Z_fueledZ_via_global(&fueled, 6) == 36;
		same &= Z_fueledZ_sum_squares(&fueled, 4) == 14;
		ran = 1;
	}
	check(trap == WASM_RT_TRAP_NONE && ran && same && exhausted_calls == 0 && trap_calls == 0,
	      "plain and fueled builds compute the same results");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of five, in nanoseconds per unit of work. */
#define TIME(result, units, call)                                                        \
	do {                                                                             \
		double best_ = 1e30;                                                     \
		for (int rep_ = 0; rep_ < 5; rep_++) {                                   \
			double t0_ = now();                                              \
			(void)(call);                                                    \
			double t_ = now() - t0_;                                         \
			if (t_ < best_)                                                  \
				best_ = t_;                                              \
		}                                                                        \
		(result) = best_ * 1e9 / (units);                                        \
	} while (0)

static int bench(void)
{
	static const struct {
		const char *name;
		double units;
	} rows[] = {{"lcg(100000000)    ns/iteration", 1e8},
		    {"fib(30)           ns/call", 2692537},
		    {"sum_squares(1e7)  ns/iteration", 1e7}};
	double p[3], f[3];
	*fuel() = INT64_MAX / 2;
	if (wasm_rt_impl_try() != WASM_RT_TRAP_NONE) {
		printf("bench: trapped\n");
		return 1;
	}
	TIME(p[0], rows[0].units, Z_plainZ_lcg(&plain, 100000000));
	TIME(f[0], rows[0].units, Z_fueledZ_lcg(&fueled, 100000000));
	TIME(p[1], rows[1].units, Z_plainZ_fib(&plain, 30));
	TIME(f[1], rows[1].units, Z_fueledZ_fib(&fueled, 30));
	TIME(p[2], rows[2].units, Z_plainZ_sum_squares(&plain, 10000000));
	TIME(f[2], rows[2].units, Z_fueledZ_sum_squares(&fueled, 10000000));
	printf("fuel overhead, wasm2c 1.0.32 + cc -O2, best of 5:\n");
	printf("  %-32s %10s %10s %9s\n", "", "plain", "fueled", "overhead");
	for (int i = 0; i < 3; i++)
		printf("  %-32s %10.3f %10.3f %8.1f%%\n", rows[i].name, p[i], f[i],
		       (f[i] / p[i] - 1) * 100);
	return 0;
}

int main(int argc, char **argv)
{
	wasm_rt_init();
	Z_plain_init_module();
	Z_fueled_init_module();
	Z_plain_instantiate(&plain, NULL);
	/* __kiln_fuel starts at 0, so the start function asks fuel_exhausted
	 * for fuel on entry, as it does of the runtime (which hands over the
	 * instantiation budget there) */
	refills_left = 1;
	if (wasm_rt_impl_try() != WASM_RT_TRAP_NONE) {
		printf("FAIL instantiating the fueled module trapped\nfuel: %u passed, 1 failed\n",
		       passed);
		return 1;
	}
	Z_fueled_instantiate(&fueled, NULL, NULL);
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return bench();
	check(exhausted_calls == 1 && *fuel() == REFILL - 2,
	      "the start function asks for fuel and is charged its 2 instructions");
	test_spin();
	test_empty_on_entry();
	test_emptied_by_import();
	test_recursion();
	test_count_cost();
	test_same_results();
	Z_plain_free(&plain);
	Z_fueled_free(&fueled);
	wasm_rt_free();
	printf("fuel: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
