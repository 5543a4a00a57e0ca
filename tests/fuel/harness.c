/*
 * The fuel pass at run time: the same program (fuel_run.wat) compiled by
 * `kiln compile` without ("plain", --no-fuel) and with ("fueled") the pass,
 * run on libkiln-rt.  Checks that endless loops and unbounded recursion end
 * in the fuel trap, that a loop of N iterations costs exactly what the
 * static charges say, and that both builds compute the same results (so
 * renumbering kept every call on its target).
 * Ends with "fuel: N passed, M failed".
 *
 * The fueled object's calls of kiln.fuel_exhausted are routed through
 * __wrap_Z_kilnZ_fuel_exhausted below (linked with
 * -Wl,--wrap=Z_kilnZ_fuel_exhausted): it counts them, records the counter
 * each one sees, and can return without refilling (to show that the
 * generated code then calls again at its next charge) before handing over
 * to the runtime's own, which refills or traps with "fuel exhausted".
 *
 * `fuel-run --bench` instead times both builds (for `make bench`).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kiln_rt.h"

extern const struct kiln_module_desc kiln_module_plain, kiln_module_fueled;
static const struct kiln_extension ext_plain = {.name = "plain", .module = &kiln_module_plain};
static const struct kiln_extension ext_fueled = {.name = "fueled", .module = &kiln_module_fueled};

static struct kiln_instance *plain, *fueled;
static unsigned passed, failed;
static unsigned exhausted_calls;
static unsigned refills_left;
static int64_t counter_seen; /* the fuel counter at the last exhaustion */

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

struct Z_kiln_instance_t;
void __wrap_Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx);
void __real_Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx);

/* The context of import module "kiln" is the kiln_instance (kiln_rt.h). */
void __wrap_Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx)
{
	void *mi = kiln_instance_module((struct kiln_instance *)ctx);
	exhausted_calls++;
	counter_seen = (int64_t)*kiln_module_fueled.fuel(mi);
	if (refills_left > 0) {
		refills_left--;
		return;
	}
	__real_Z_kilnZ_fuel_exhausted(ctx);
}

uint32_t Z_envZ_mul(void *ctx, uint32_t a, uint32_t b);
uint32_t Z_envZ_mul(void *ctx, uint32_t a, uint32_t b)
{
	(void)ctx;
	return a * b;
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
	exhausted_calls = 0;
	refills_left = 0;
	rc = call(fueled, "spin", NULL, 0, 0, 0);
	check(trapped_on_fuel(rc, fueled) && exhausted_calls == 1 && counter_seen < 0 &&
		      kiln_instance_fuel_remaining(fueled) == 0,
	      "(loop (br 0)) ends in the fuel trap");
}

static void test_spin_refill(void)
{
	int rc;
	kiln_instance_set_fuel(fueled, 1000);
	exhausted_calls = 0;
	refills_left = 3;
	rc = call(fueled, "spin", NULL, 0, 0, 0);
	/* the handler is called each time the counter goes below zero; a
	 * handler that does not refill is called again on the next charge */
	check(trapped_on_fuel(rc, fueled) && exhausted_calls == 4 && counter_seen < 0,
	      "a fuel_exhausted that returns is called again at the next charge");
}

static void test_recursion(void)
{
	int rc;
	kiln_instance_set_fuel(fueled, 20000);
	exhausted_calls = 0;
	refills_left = 0;
	rc = call(fueled, "recurse", NULL, 1, 0, 0);
	check(trapped_on_fuel(rc, fueled) && exhausted_calls == 1,
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
		exhausted_calls = 0;
		rc = call(fueled, "count", &r, 1, ns[i], 0);
		/* entry 3, then 9 at each of the N + 1 loop headers */
		snprintf(what, sizeof what, "count(%u) costs 3 + 9 * (N + 1) = %lld", ns[i],
			 (long long)(3 + 9 * ((int64_t)ns[i] + 1)));
		check(rc == KILN_OK && r == ns[i] && exhausted_calls == 0 &&
			      kiln_instance_fuel_consumed(fueled) ==
				      3 + 9 * ((uint64_t)ns[i] + 1),
		      what);
	}
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
	exhausted_calls = 0;
	refills_left = 0;
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
	}
	/* spot values, so that "same" cannot mean "same and wrong" */
	ok &= same(&ok, "fib", 1, 19, 0) == 4181;
	ok &= same(&ok, "indirect", 2, 1, 9) == 81;
	ok &= same(&ok, "via_passive", 1, 5, 0) == 15;
	ok &= same(&ok, "via_global", 1, 6, 0) == 36;
	ok &= same(&ok, "sum_squares", 1, 4, 0) == 14;
	check(ok && exhausted_calls == 0, "plain and fueled builds compute the same results");
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

int main(int argc, char **argv)
{
	static const struct kiln_grants grants = {.soft_deadline_ns = KILN_UNLIMITED,
						  .hard_deadline_ns = KILN_UNLIMITED};
	static int env_ctx;
	struct kiln_engine_config cfg = {.resolve_import = resolve, .user = &env_ctx};
	struct kiln_engine *eng = NULL;
	struct kiln_err err;
	int rc = 1;

	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK ||
	    kiln_instance_new(eng, &ext_plain, &grants, &plain, &err) != KILN_OK) {
		printf("FAIL setting up: %s\nfuel: %u passed, 1 failed\n", err.msg, passed);
		goto out;
	}
	/* generated instantiate() zeroes __kiln_fuel, so the start function's
	 * first charge calls fuel_exhausted, and the runtime hands over the
	 * instantiation budget */
	exhausted_calls = 0;
	refills_left = 0;
	if (kiln_instance_new(eng, &ext_fueled, &grants, &fueled, &err) != KILN_OK) {
		printf("FAIL instantiating the fueled module: %s\nfuel: %u passed, 1 failed\n",
		       err.msg, passed);
		goto out;
	}
	if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
		rc = bench();
		goto out;
	}
	check(exhausted_calls == 1 && counter_seen == -2 &&
		      kiln_instance_fuel_consumed(fueled) == 2,
	      "the start function is charged (2 instructions, from 0 to -2)");
	check(!kiln_instance_fuel_metered(plain) && kiln_instance_fuel_metered(fueled),
	      "--no-fuel builds unmetered, the default metered");
	test_spin();
	test_spin_refill();
	test_recursion();
	test_count_cost();
	test_same_results();
	printf("fuel: %u passed, %u failed\n", passed, failed);
	rc = failed ? 1 : 0;
out:
	kiln_instance_free(plain);
	kiln_instance_free(fueled);
	kiln_engine_free(eng);
	return rc;
}
