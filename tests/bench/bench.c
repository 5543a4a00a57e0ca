/*
 * kiln-bench — the runtime's micro-benchmarks (`make bench`).
 *
 *   kiln-bench COMPILER [--quick]
 *
 * The modules are tests/bench/micro/calls.wat (compiled by `kiln compile`
 * with fuel and with --no-fuel) and micro/small.wat (one page, one data
 * segment, a table), all compiled by COMPILER.  Each figure is the median,
 * minimum and maximum of RUNS runs, printed as one tab-separated record for
 * tests/bench/run.sh (times per operation: loops of many on the process's
 * CPU clock, or the median of single ones on the wall clock):
 *
 *   M COMPILER KEY MEDIAN MIN MAX UNIT DESCRIPTION
 *
 * --quick: fewer iterations (a smoke test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiln_rt.h"

#define RUNS 7
#define CYCLE_RUNS 5

extern const struct kiln_module_desc kiln_module_micro, kiln_module_micro_nofuel,
	kiln_module_micro_small;
static const struct kiln_extension bench_ext = {.name = "micro", .module = &kiln_module_micro};
static const struct kiln_extension bench_nofuel_ext = {.name = "micro_nofuel",
						       .module = &kiln_module_micro_nofuel};
static const struct kiln_extension small_ext = {.name = "small",
						.module = &kiln_module_micro_small};

static unsigned scale = 1;
static const char *compiler = "cc";

/* The no-op import calls.wat calls. */
struct Z_bench_instance_t;
void Z_benchZ_nop(struct Z_bench_instance_t *ctx);
void Z_benchZ_nop(struct Z_bench_instance_t *ctx)
{
	(void)ctx;
}

static void *resolve(void *user, struct kiln_instance *inst, const char *module,
		     struct kiln_err *err)
{
	(void)user;
	(void)module;
	(void)err;
	return inst;
}

/* The process's CPU time: what loops of many operations are timed with,
 * so that other work on a loaded machine does not count (the runtime's
 * timer thread does).  Single operations are timed with the wall clock
 * (now_ns) and summarised by their median. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const struct kiln_err *err)
{
	fprintf(stderr, "kiln-bench: %s: %s\n", what, err != NULL ? err->msg : "");
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void row(const char *key, const char *name, const char *unit, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	printf("M\t%s\t%s\t%.6g\t%.6g\t%.6g\t%s\t%s\n", compiler, key,
	       n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1], unit, name);
	fflush(stdout);
}

static struct kiln_instance *instance(struct kiln_engine *eng, const struct kiln_extension *ext)
{
	struct kiln_instance *inst = NULL;
	struct kiln_err err;
	if (kiln_instance_new(eng, ext, NULL, &inst, &err) != KILN_OK)
		die("instantiate", &err);
	return inst;
}

/* ns per iteration of export @name(n) of @ext. */
static double loop_ns(struct kiln_engine *eng, const struct kiln_extension *ext,
		      const char *name, uint32_t n)
{
	struct kiln_instance *inst = instance(eng, ext);
	struct kiln_val arg = {KILN_I32, {.i32 = n}};
	struct kiln_err err;
	uint64_t t0 = cpu_ns();
	if (kiln_instance_call(inst, name, &arg, 1, NULL, 0, &err) != KILN_OK)
		die(name, &err);
	t0 = cpu_ns() - t0;
	kiln_instance_free(inst);
	return (double)t0 / n;
}

static void bench_import_call(struct kiln_engine *eng)
{
	const uint32_t n = 100000000 / scale;
	double call[RUNS], bare[RUNS], net[RUNS], fcall[RUNS], fnet[RUNS];
	for (int r = 0; r < RUNS; r++) {
		call[r] = loop_ns(eng, &bench_nofuel_ext, "call_nop", n);
		bare[r] = loop_ns(eng, &bench_nofuel_ext, "loop_only", n);
		net[r] = call[r] - bare[r];
		fcall[r] = loop_ns(eng, &bench_ext, "call_nop", n);
		fnet[r] = fcall[r] - loop_ns(eng, &bench_ext, "loop_only", n);
	}
	row("wasm_to_host_ns", "wasm->host no-op import, metered (loop subtracted)", "ns", fnet,
	    RUNS);
	row("wasm_to_host_loop_ns", "  same, loop included", "ns", fcall, RUNS);
	row("wasm_to_host_nofuel_ns", "  same, unmetered module (loop subtracted)", "ns", net, RUNS);
	row("wasm_to_host_nofuel_loop_ns", "  same, unmetered module (loop included)", "ns", call,
	    RUNS);
}

static void bench_export_call(struct kiln_engine *eng)
{
	const int n = 20000000 / (int)scale;
	double by_name[RUNS], by_handle[RUNS], nofuel[RUNS];
	struct kiln_instance *inst = instance(eng, &bench_ext);
	struct kiln_instance *plain = instance(eng, &bench_nofuel_ext);
	const struct kiln_export_desc *nop = kiln_instance_export(inst, "nop");
	struct kiln_err err;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = cpu_ns();
		for (int i = 0; i < n; i++)
			if (kiln_instance_call(inst, "nop", NULL, 0, NULL, 0, &err) != KILN_OK)
				die("nop", &err);
		by_name[r] = (double)(cpu_ns() - t0) / n;
		t0 = cpu_ns();
		for (int i = 0; i < n; i++)
			if (kiln_instance_invoke(inst, nop, NULL, 0, NULL, 0, &err) != KILN_OK)
				die("nop", &err);
		by_handle[r] = (double)(cpu_ns() - t0) / n;
		t0 = cpu_ns();
		for (int i = 0; i < n; i++)
			if (kiln_instance_call(plain, "nop", NULL, 0, NULL, 0, &err) != KILN_OK)
				die("nop", &err);
		nofuel[r] = (double)(cpu_ns() - t0) / n;
	}
	kiln_instance_free(inst);
	kiln_instance_free(plain);
	row("host_to_wasm_ns", "host->wasm kiln_instance_call(\"nop\"), metered", "ns", by_name,
	    RUNS);
	row("host_to_wasm_invoke_ns", "  kiln_instance_invoke(handle), metered", "ns", by_handle,
	    RUNS);
	row("host_to_wasm_nofuel_ns", "  kiln_instance_call(\"nop\"), unmetered module", "ns",
	    nofuel, RUNS);
}

static void bench_instantiate(struct kiln_engine *eng)
{
	const int n = 20000 / (int)scale;
	double mean[RUNS], median[RUNS];
	double *each = malloc((size_t)n * sizeof *each);
	struct kiln_instance *inst;
	struct kiln_err err;

	if (each == NULL)
		die("malloc", NULL);
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = cpu_ns();
		for (int i = 0; i < n; i++) {
			if (kiln_instance_new(eng, &small_ext, NULL, &inst, &err) != KILN_OK)
				die("instantiate", &err);
			kiln_instance_free(inst);
		}
		mean[r] = (double)(cpu_ns() - t0) / n / 1000.0;
		for (int i = 0; i < n; i++) {
			uint64_t t1 = now_ns();
			if (kiln_instance_new(eng, &small_ext, NULL, &inst, &err) != KILN_OK)
				die("instantiate", &err);
			kiln_instance_free(inst);
			each[i] = (double)(now_ns() - t1) / 1000.0;
		}
		qsort(each, (size_t)n, sizeof *each, cmp_double);
		median[r] = each[n / 2];
	}
	free(each);
	row("instantiate_teardown_us", "instantiate + teardown, small module (median cycle)", "us",
	    median, RUNS);
	row("instantiate_teardown_mean_us", "  same, mean of a run", "us", mean, RUNS);
}

static void mem_usage(double *rss_mib, double *vsz_gib)
{
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL || fscanf(f, "%llu %llu", &size, &resident) != 2)
		die("/proc/self/statm", NULL);
	fclose(f);
	*rss_mib = (double)resident * (double)page / (1 << 20);
	*vsz_gib = (double)size * (double)page / (1 << 30);
}

#define LIVE 10000

static void bench_live_instances(void)
{
	static struct kiln_instance *inst[LIVE];
	struct kiln_engine_config cfg = {.slots = LIVE, .resolve_import = resolve};
	double create[RUNS], rss[RUNS], vsz[RUNS], live[RUNS], rss0, vsz0;
	struct kiln_engine *eng;
	struct kiln_err err;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0;
		mem_usage(&rss0, &vsz0);
		if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK)
			die("engine", &err);
		t0 = cpu_ns();
		for (int i = 0; i < LIVE; i++) {
			if (kiln_instance_new(eng, &small_ext, NULL, &inst[i], &err) != KILN_OK)
				die("instance", &err);
			if (kiln_instance_call(inst[i], "nop", NULL, 0, NULL, 0, &err) != KILN_OK)
				die("nop", &err);
		}
		create[r] = (double)(cpu_ns() - t0) / LIVE / 1000.0;
		live[r] = LIVE;
		mem_usage(&rss[r], &vsz[r]);
		rss[r] -= rss0;
		vsz[r] -= vsz0;
		for (int i = 0; i < LIVE; i++)
			kiln_instance_free(inst[i]);
		kiln_engine_free(eng);
	}
	row("live_instances", "live instances at once, each called once", "", live, RUNS);
	row("live_instances_rss_mib", "  RSS they add", "MiB", rss, RUNS);
	row("live_instances_vsz_gib", "  address space they add", "GiB", vsz, RUNS);
	row("live_instances_us", "  time to instantiate and call each", "us", create, RUNS);
}

/* CYCLE_RUNS runs of 1,000,000 instantiate/free cycles in this process:
 * what each run adds to the virtual and the resident size (nothing, when
 * teardown returns everything), and the time per cycle. */
static void bench_cycles(struct kiln_engine *eng)
{
	const int n = 1000000 / (int)scale;
	double rss_a, vsz_a, rss_b, vsz_b, per[CYCLE_RUNS], drss[CYCLE_RUNS], dvsz[CYCLE_RUNS];
	struct kiln_instance *inst;
	struct kiln_err err;

	/* Warm up: the allocator and the slot's protection settle. */
	for (int i = 0; i < 10000 / (int)scale; i++) {
		if (kiln_instance_new(eng, &small_ext, NULL, &inst, &err) != KILN_OK)
			die("instantiate", &err);
		kiln_instance_free(inst);
	}
	for (int r = 0; r < CYCLE_RUNS; r++) {
		uint64_t t0;
		mem_usage(&rss_a, &vsz_a);
		t0 = cpu_ns();
		for (int i = 0; i < n; i++) {
			if (kiln_instance_new(eng, &small_ext, NULL, &inst, &err) != KILN_OK)
				die("instantiate", &err);
			kiln_instance_free(inst);
		}
		per[r] = (double)(cpu_ns() - t0) / n / 1000.0;
		mem_usage(&rss_b, &vsz_b);
		drss[r] = rss_b - rss_a;
		dvsz[r] = (vsz_b - vsz_a) * 1024.0;
	}
	row("cycles_1m_vsz_growth_mib", "1,000,000 instantiate/free cycles: VSZ growth", "MiB", dvsz,
	    CYCLE_RUNS);
	row("cycles_1m_rss_growth_mib", "  RSS growth", "MiB", drss, CYCLE_RUNS);
	row("cycles_1m_us", "  time per cycle", "us", per, CYCLE_RUNS);
}

int main(int argc, char **argv)
{
	struct kiln_engine_config cfg = {.slots = 64, .resolve_import = resolve};
	struct kiln_engine *eng;
	struct kiln_err err;

	if (argc < 2 || argv[1][0] == '-' || (argc > 2 && strcmp(argv[2], "--quick") != 0) ||
	    argc > 3) {
		fputs("usage: kiln-bench COMPILER [--quick]\n", stderr);
		return 2;
	}
	compiler = argv[1];
	if (argc > 2)
		scale = 100;
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK)
		die("engine", &err);
	bench_import_call(eng);
	bench_export_call(eng);
	bench_instantiate(eng);
	bench_live_instances();
	bench_cycles(eng);
	kiln_engine_free(eng);
	return 0;
}
