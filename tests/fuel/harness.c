/*
 * The fuel pass at run time: the same program (fuel_run.wat) compiled by
 * `kiln compile` without ("plain", --no-fuel) and with ("fueled") the pass,
 * run on libkiln-rt.  Checks that endless loops and unbounded recursion end
 * in the fuel trap (through kiln.fuel_trap, once), that code entered with an
 * empty counter, or finding it emptied after an import call, asks
 * fuel_exhausted for more, that a loop of N iterations costs exactly what
 * the static charges say, and that both builds compute the same results
 * (so renumbering kept every call on its target).
 * Ends with "fuel: N passed, M failed" (FUEL_SUITE: the build whose
 * objects clang compiled says "fuel-clang").
 *
 * The fueled object's calls of the runtime's kiln.fuel_exhausted and
 * kiln.fuel_trap (which kiln compile sends to kiln_fuel_trap) go through
 * __wrap_Z_kilnZ_fuel_exhausted and __wrap_kiln_fuel_trap below (linked
 * with -Wl,--wrap=...): they count them and record the counter each one
 * sees; the first can also bring in REFILL (as fuel held elsewhere would
 * be) before handing over to the runtime's own, which keeps what it finds
 * at or above zero and traps with "fuel exhausted" below.
 *
 * `fuel-run --bench` instead times both builds (for `make bench`).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiln_rt.h"

extern const struct kiln_module_desc kiln_module_plain, kiln_module_fueled;
static const struct kiln_extension ext_plain = {.name = "plain", .module = &kiln_module_plain};
static const struct kiln_extension ext_fueled = {.name = "fueled", .module = &kiln_module_fueled};

static struct kiln_instance *plain, *fueled;
static unsigned passed, failed;
static unsigned exhausted_calls, trap_calls;
static unsigned refills_left; /* fuel_exhausted brings in REFILL this often */
static int drain_in_mul;      /* env.mul empties the counter */
static int reenter_in_mul;    /* env.mul empties it and calls count(10) */
static int reenter_rc;        /* ... which returns this */
static uint64_t reenter_result;
static int64_t reenter_left;  /* the counter after count(10) */
static int64_t counter_seen;  /* the counter at the last fuel_exhausted */
static int64_t trap_left;     /* what fuel_trap was told was left */

#define REFILL 1000
#define FUEL_TIMEOUT_S 120

#ifndef FUEL_SUITE
#define FUEL_SUITE "fuel"
#endif

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

/* The counter of @inst, an instance of the fueled module (the context
 * of import module "kiln" is the kiln_instance, kiln_rt.h). */
static int64_t *counter_of(struct kiln_instance *inst)
{
	return (int64_t *)kiln_module_fueled.fuel(kiln_instance_module(inst));
}

static int64_t *counter(void)
{
	return counter_of(fueled);
}

struct Z_kiln_instance_t;
void __wrap_Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx);
void __real_Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx);
void __wrap_kiln_fuel_trap(uint64_t left) __attribute__((noreturn));
void __real_kiln_fuel_trap(uint64_t left) __attribute__((noreturn));

void __wrap_Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx)
{
	int64_t *c = counter_of((struct kiln_instance *)ctx);
	exhausted_calls++;
	counter_seen = *c;
	if (refills_left > 0) {
		refills_left--;
		*c += REFILL;
	}
	__real_Z_kilnZ_fuel_exhausted(ctx);
}

void __wrap_kiln_fuel_trap(uint64_t left)
{
	trap_calls++;
	trap_left = (int64_t)left;
	__real_kiln_fuel_trap(left);
}

static int call(struct kiln_instance *inst, const char *name, uint64_t *out, int nargs,
		uint32_t a0, uint32_t a1);

/* A call from the host always starts with a budget; code is entered with
 * an empty counter when a host function calls back into its instance (the
 * call shares the outer one's fuel) or a linked instance's export is
 * called.  The first is what reenter_in_mul does. */
uint32_t Z_envZ_mul(void *ctx, uint32_t a, uint32_t b);
uint32_t Z_envZ_mul(void *ctx, uint32_t a, uint32_t b)
{
	(void)ctx;
	if (drain_in_mul)
		*counter() = 0;
	if (reenter_in_mul) {
		reenter_in_mul = 0;
		*counter() = 0;
		reenter_rc = call(fueled, "count", &reenter_result, 1, 10, 0);
		reenter_left = *counter();
	}
	return a * b;
}

static void reset_counts(void)
{
	exhausted_calls = trap_calls = refills_left = 0;
	drain_in_mul = reenter_in_mul = 0;
	reenter_rc = -1;
	reenter_result = 0;
	reenter_left = 0;
	counter_seen = trap_left = 0;
}

/* Import module "env" needs a context; its one function ignores it. */
static void *resolve(void *user, struct kiln_instance *inst, const char *module,
		     struct kiln_err *err)
{
	(void)inst;
	if (strcmp(module, "env") == 0)
		return user;
	kiln_err_set(err, KILN_ELINK, "no module \"%s\"", module);
	return NULL;
}

/* Call @name with i32 arguments; the result, if any (i32 or i64), goes to
 * *@out.  Returns the status. */
static int call(struct kiln_instance *inst, const char *name, uint64_t *out, int nargs,
		uint32_t a0, uint32_t a1)
{
	struct kiln_val args[2] = {{KILN_I32, {.i32 = a0}}, {KILN_I32, {.i32 = a1}}}, res;
	const struct kiln_export_desc *e = kiln_instance_export(inst, name);
	struct kiln_err err;
	int rc = kiln_instance_call(inst, name, args, (size_t)nargs, &res,
				    e != NULL ? e->nresults : 0, &err);
	if (rc != KILN_OK && rc != KILN_ETRAP)
		printf("     %s\n", err.msg);
	if (out != NULL)
		*out = rc != KILN_OK || e->nresults == 0 ? 0
		       : res.type == KILN_I64		 ? res.of.i64
							 : res.of.i32;
	return rc;
}

static int trapped_on_fuel(int rc, struct kiln_instance *inst)
{
	return rc == KILN_ETRAP && kiln_instance_trap(inst, NULL) == KILN_TRAP_FUEL;
}

static void test_spin(void)
{
	int rc;
	kiln_instance_set_fuel(fueled, 10000);
	reset_counts();
	rc = call(fueled, "spin", NULL, 0, 0, 0);
	check(trapped_on_fuel(rc, fueled) && trap_calls == 1 && exhausted_calls == 0 &&
		      trap_left < 0 && kiln_instance_fuel_remaining(fueled) == 0 &&
		      kiln_instance_fuel_consumed(fueled) == 10000,
	      "(loop (br 0)) ends in the fuel trap, through fuel_trap once");
}

/* What count(n) costs: entry 3, and its loop (9 a header, n + 1 headers)
 * unrolled into 4 copies, so 36 for every 4 headers begun. */
static uint64_t count_cost(uint32_t n)
{
	return 3 + 36 * (((uint64_t)n + 1 + 3) / 4);
}

static void test_spin_calls(void)
{
	int rc;
	kiln_instance_set_fuel(fueled, 10000);
	reset_counts();
	rc = call(fueled, "spin_call", NULL, 0, 0, 0);
	check(trapped_on_fuel(rc, fueled) && trap_calls == 1 && trap_left < 0 &&
		      kiln_instance_fuel_consumed(fueled) == 10000,
	      "a loop paying through the call it makes ends in the fuel trap");
	kiln_instance_set_fuel(fueled, 10000);
	reset_counts();
	rc = call(fueled, "spin_skip", NULL, 1, 1, 0);
	check(trapped_on_fuel(rc, fueled) && trap_calls == 1 && trap_left < 0,
	      "so does one going back before its call (charged at its head)");
}

static void test_empty_on_entry(void)
{
	uint64_t r = 0;
	int rc;
	kiln_instance_set_fuel(fueled, 1000000);
	reset_counts();
	reenter_in_mul = 1;
	refills_left = 1;
	rc = call(fueled, "indirect", &r, 2, 1, 3); /* square(3): env.mul */
	check(rc == KILN_OK && r == 9 && reenter_rc == KILN_OK && reenter_result == 10 &&
		      exhausted_calls == 1 && counter_seen == 0 && trap_calls == 0 &&
		      reenter_left == REFILL - (int64_t)count_cost(10),
	      "entered with an empty counter, an export asks fuel_exhausted first");
	reset_counts();
	reenter_in_mul = 1;
	rc = call(fueled, "indirect", &r, 2, 1, 3);
	check(reenter_rc == KILN_ETRAP && kiln_instance_trap(fueled, NULL) == KILN_TRAP_FUEL &&
		      trapped_on_fuel(rc, fueled) && exhausted_calls == 2 && trap_calls == 1,
	      "with nothing brought in, its first charge traps (and so does its caller)");
}

static void test_emptied_by_import(void)
{
	uint64_t r = 0;
	int rc;
	kiln_instance_set_fuel(fueled, 1000000);
	reset_counts();
	drain_in_mul = 1;
	refills_left = 4;
	rc = call(fueled, "sum_squares", &r, 1, 4, 0);
	check(rc == KILN_OK && r == 14 && exhausted_calls == 4 && counter_seen == 0 &&
		      trap_calls == 0,
	      "a counter emptied by an import call is refilled through fuel_exhausted");
	reset_counts();
	drain_in_mul = 1;
	rc = call(fueled, "sum_squares", &r, 1, 4, 0);
	check(trapped_on_fuel(rc, fueled) && exhausted_calls == 1 && trap_calls == 1,
	      "and if nothing comes in, the next charge traps");
	drain_in_mul = 0;
}

static void test_recursion(void)
{
	int rc;
	kiln_instance_set_fuel(fueled, 20000);
	reset_counts();
	rc = call(fueled, "recurse", NULL, 1, 0, 0);
	check(trapped_on_fuel(rc, fueled) && trap_calls == 1 && exhausted_calls == 0,
	      "unbounded recursion ends in the fuel trap (not the stack guard)");
}

static void test_count_cost(void)
{
	static const uint32_t ns[] = {0, 1, 10, 1000, 100000};
	kiln_instance_set_fuel(fueled, 1000000000);
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		char what[128];
		uint64_t r;
		int rc;
		reset_counts();
		rc = call(fueled, "count", &r, 1, ns[i], 0);
		snprintf(what, sizeof what, "count(%u) costs 3 + 36 * ceil((N + 1) / 4) = %llu",
			 ns[i], (unsigned long long)count_cost(ns[i]));
		check(rc == KILN_OK && r == ns[i] && exhausted_calls == 0 && trap_calls == 0 &&
			      kiln_instance_fuel_consumed(fueled) == count_cost(ns[i]),
		      what);
	}
}

/* Counted loops are paid for before they start (compiler/fuel_loops.c):
 * the same total as a charge per iteration, and a budget that cannot pay
 * for the whole loop traps before its first iteration. */
static void test_counted_loops(void)
{
	static const uint32_t ns[] = {1, 5, 1000, 0x7fffffff};
	uint64_t r = 0, before = 0;
	int rc, ok = 1;

	kiln_instance_set_fuel(fueled, 1000000);
	reset_counts();
	rc = call(fueled, "static_sum", &r, 0, 0, 0);
	check(rc == KILN_OK && r == 499500 && kiln_instance_fuel_consumed(fueled) == 14002 &&
		      trap_calls == 0,
	      "a loop of 1000 constant trips costs 2 + 1000 * 14 = 14002, paid at entry");
	call(fueled, "poke16", NULL, 1, 7, 0);
	kiln_instance_set_fuel(fueled, 14001);
	reset_counts();
	rc = call(fueled, "static_sum", &r, 0, 0, 0);
	ok = trapped_on_fuel(rc, fueled) && trap_calls == 1 && trap_left == -1;
	call(fueled, "peek16", &before, 0, 0, 0);
	check(ok && before == 7,
	      "one unit short, it traps before its first iteration (memory untouched)");

	kiln_instance_set_fuel(fueled, 1000000000);
	ok = 1;
	for (size_t i = 0; i < 3; i++) {
		reset_counts();
		rc = call(fueled, "dyn_count", &r, 1, ns[i], 0);
		ok &= rc == KILN_OK && r == 3 * ns[i] &&
		      kiln_instance_fuel_consumed(fueled) == 2 + 11 * (uint64_t)ns[i];
		rc = call(fueled, "dyn_down", &r, 1, ns[i], 0);
		ok &= rc == KILN_OK && r == ns[i] &&
		      kiln_instance_fuel_consumed(fueled) == 2 + 11 * (uint64_t)ns[i];
		rc = call(fueled, "head_count", &r, 1, ns[i], 0);
		ok &= rc == KILN_OK && r == 2 * ns[i] &&
		      kiln_instance_fuel_consumed(fueled) == 2 + 13 * ((uint64_t)ns[i] + 1);
	}
	rc = call(fueled, "dyn_down", &r, 1, (uint32_t)-5, 0);
	ok &= rc == KILN_OK && r == 1 && kiln_instance_fuel_consumed(fueled) == 13;
	check(ok && trap_calls == 0,
	      "trip counts taken at entry cost what a charge per iteration would (up, down, "
	      "tested first; 1, 5 and 1000 trips; a negative start runs once)");

	kiln_instance_set_fuel(fueled, 1000000);
	reset_counts();
	rc = call(fueled, "dyn_count", &r, 1, 0, 0);
	check(trapped_on_fuel(rc, fueled) && trap_calls == 1 &&
		      trap_left == 1000000 - 2 - 11 * ((int64_t)1 << 32),
	      "i != 0 from 1 is 2^32 trips: charged all at once, it traps at entry");
	reset_counts();
	rc = call(fueled, "dyn_count", &r, 1, ns[3], 0);
	check(trapped_on_fuel(rc, fueled) && trap_calls == 1 &&
		      trap_left == 1000000 - 2 - 11 * (int64_t)ns[3],
	      "2^31 - 1 trips: the same");
	reset_counts();
	rc = call(fueled, "reset_spin", &r, 0, 0, 0);
	check(trapped_on_fuel(rc, fueled) && trap_calls == 1 && trap_left < 0 &&
		      kiln_instance_fuel_consumed(fueled) == 1000000,
	      "a loop of the counted shape whose body also writes the variable stays "
	      "charged per iteration (it never ends: the fuel trap stops it)");
}

/* Both builds give the same result for @name(a0[, a1]); *@ok is cleared
 * otherwise.  Returns the fueled build's result. */
static uint64_t same(int *ok, const char *name, int nargs, uint32_t a0, uint32_t a1)
{
	uint64_t p = 0, f = 1;
	if (call(plain, name, &p, nargs, a0, a1) != KILN_OK ||
	    call(fueled, name, &f, nargs, a0, a1) != KILN_OK || p != f)
		*ok = 0;
	return f;
}

static void test_same_results(void)
{
	int ok = 1;
	kiln_instance_set_fuel(fueled, KILN_UNLIMITED);
	reset_counts();
	ok &= same(&ok, "started", 0, 0, 0) == 7;
	for (uint32_t x = 0; x < 20; x++) {
		same(&ok, "fib", 1, x, 0);
		for (uint32_t slot = 0; slot < 3; slot++)
			same(&ok, "indirect", 2, slot, x);
		same(&ok, "via_ref_func", 1, x, 0);
		same(&ok, "via_global", 1, x, 0);
		same(&ok, "via_passive", 1, x, 0);
		same(&ok, "sum_squares", 1, x * 10, 0);
		same(&ok, "lcg", 1, x * 1000, 0);
		same(&ok, "dyn_count", 1, x + 1, 0);
		same(&ok, "dyn_down", 1, x - 3, 0);
		same(&ok, "head_count", 1, x, 0);
		for (uint32_t y = 0; y < 12; y++)
			same(&ok, "unroll_mix", 2, x * 137 % 1700, y * y * 17 % 1200);
	}
	/* spot values, so that "same" cannot mean "same and wrong" */
	ok &= same(&ok, "fib", 1, 19, 0) == 4181;
	ok &= same(&ok, "indirect", 2, 1, 9) == 81;
	ok &= same(&ok, "via_passive", 1, 5, 0) == 15;
	ok &= same(&ok, "via_global", 1, 6, 0) == 36;
	ok &= same(&ok, "sum_squares", 1, 4, 0) == 14;
	ok &= same(&ok, "static_sum", 0, 0, 0) == 499500;
	ok &= same(&ok, "dyn_count", 1, 7, 0) == 21;
	ok &= same(&ok, "unroll_mix", 2, 10, 5) == 6;      /* 0+2+4, left at i = 5 */
	ok &= same(&ok, "unroll_mix", 2, 2000, 5000) == 202959; /* br_if 2 at 900 */
	ok &= same(&ok, "unroll_mix", 2, 7, 100) == 12;    /* 0+2+4+6, ran out */
	check(ok && exhausted_calls == 0 && trap_calls == 0, "plain and fueled builds compute the same results");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of five, in nanoseconds per unit of work. */
static double time_call(struct kiln_instance *inst, const char *name, uint32_t arg, double units)
{
	double best = 1e30;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now(), t;
		if (call(inst, name, NULL, 1, arg, 0) != KILN_OK)
			return -1;
		t = now() - t0;
		if (t < best)
			best = t;
	}
	return best * 1e9 / units;
}

static int bench(void)
{
	static const struct {
		const char *label, *name;
		uint32_t arg;
		double units;
	} rows[] = {{"lcg(100000000)    ns/iteration", "lcg", 100000000, 1e8},
		    {"fib(30)           ns/call", "fib", 30, 2692537},
		    {"sum_squares(1e7)  ns/iteration", "sum_squares", 10000000, 1e7}};
	kiln_instance_set_fuel(fueled, KILN_UNLIMITED);
	printf("fuel overhead, wasm2c 1.0.32 + cc -O2 through kiln compile, best of 5:\n");
	printf("  %-32s %10s %10s %9s\n", "", "plain", "fueled", "overhead");
	for (int i = 0; i < 3; i++) {
		double p = time_call(plain, rows[i].name, rows[i].arg, rows[i].units);
		double f = time_call(fueled, rows[i].name, rows[i].arg, rows[i].units);
		if (p < 0 || f < 0) {
			printf("bench: %s trapped\n", rows[i].name);
			return 1;
		}
		printf("  %-32s %10.3f %10.3f %8.1f%%\n", rows[i].label, p, f, (f / p - 1) * 100);
	}
	return 0;
}

/* A fueled loop that does not end would hang the suite: fail it instead. */
static void on_alarm(int sig)
{
	char buf[160];
	int n = snprintf(buf, sizeof buf,
			 "FAIL a call ran for %d s: a loop escaped its charges\n" FUEL_SUITE
			 ": %u passed, %u failed\n",
			 FUEL_TIMEOUT_S, passed, failed + 1);
	(void)sig;
	if (n > 0)
		(void)!write(1, buf, (size_t)n);
	_exit(1);
}

int main(int argc, char **argv)
{
	static const struct kiln_grants grants = {.soft_deadline_ns = KILN_UNLIMITED,
						  .hard_deadline_ns = KILN_UNLIMITED};
	static int env_ctx;
	struct kiln_engine_config cfg = {.resolve_import = resolve, .user = &env_ctx};
	struct kiln_engine *eng = NULL;
	struct kiln_err err;
	int rc = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK ||
	    kiln_instance_new(eng, &ext_plain, &grants, &plain, &err) != KILN_OK) {
		printf("FAIL setting up: %s\n" FUEL_SUITE ": %u passed, 1 failed\n", err.msg, passed);
		goto out;
	}
	/* generated instantiate() zeroes __kiln_fuel, so the start function's
	 * wrapper asks fuel_exhausted on entry, and the runtime hands over the
	 * instantiation budget */
	reset_counts();
	if (kiln_instance_new(eng, &ext_fueled, &grants, &fueled, &err) != KILN_OK) {
		printf("FAIL instantiating the fueled module: %s\n" FUEL_SUITE ": %u passed, 1 failed\n",
		       err.msg, passed);
		goto out;
	}
	if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
		rc = bench();
		goto out;
	}
	signal(SIGALRM, on_alarm);
	alarm(FUEL_TIMEOUT_S);
	check(exhausted_calls == 1 && counter_seen == 0 && trap_calls == 0 &&
		      kiln_instance_fuel_consumed(fueled) == 2,
	      "the start function asks for fuel and is charged its 2 instructions");
	check(!kiln_instance_fuel_metered(plain) && kiln_instance_fuel_metered(fueled),
	      "--no-fuel builds unmetered, the default metered");
	test_spin();
	test_spin_calls();
	test_empty_on_entry();
	test_emptied_by_import();
	test_recursion();
	test_count_cost();
	test_counted_loops();
	test_same_results();
	printf(FUEL_SUITE ": %u passed, %u failed\n", passed, failed);
	rc = failed ? 1 : 0;
out:
	kiln_instance_free(plain);
	kiln_instance_free(fueled);
	kiln_engine_free(eng);
	return rc;
}
