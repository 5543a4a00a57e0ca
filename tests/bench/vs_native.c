/*
 * vs-native — the workloads of `make bench`, native code against the same C
 * source built for wasm32-wasi and baked by `kiln compile` (with fuel, and
 * with --no-fuel), all compiled by one C compiler with the same flags.
 *
 *   vs-native COMPILER [--runs N] [--quick] [--only NAME] [--perturb] [--layout NAME]
 *   vs-native COMPILER --variant native|kiln|nofuel [--quick|--units N] [--only NAME]
 *
 * Each workload runs `runs` times (default 7) per variant, the variants
 * interleaved and their order rotated from one run to the next, after one
 * untimed warm-up call each.  A run is timed with the process's CPU clock
 * (CLOCK_PROCESS_CPUTIME_ID: the runtime's timer thread counts, other
 * processes on a loaded machine do not).  Every call's checksum must equal
 * the native one, and none may be WL_FAIL; otherwise the program says which
 * and exits 1.
 *
 * Output, one tab-separated record per line, for tests/bench/report.awk:
 * per workload, one record per run,
 *
 *   S COMPILER WORKLOAD LAYOUT RUN NATIVE_S KILN_S KILN_NOFUEL_S
 *
 * which report.awk pools over several builds of this program that differ
 * only in where the linker put the code (LAYOUT, from --layout, default 0;
 * see build.mk), then the summaries of this process's runs,
 *
 *   W COMPILER WORKLOAD FIGURE MEDIAN MIN MAX
 *
 * where FIGURE is native_s, kiln_s, kiln_nofuel_s (seconds), or
 * native_per_kiln and fuel_per_nofuel: the ratio of the two times of the
 * same run (native / kiln with fuel, kiln with fuel / kiln without), whose
 * median is steadier on a loaded machine than a ratio of medians.
 * --quick: the smallest amount of work (a smoke test; `make check`).
 * --perturb: give the native variant one unit of work more, which must be
 * caught as a checksum mismatch (the test of the check itself).
 * --variant: run one variant once per workload, untimed, printing its
 * checksum: for counting instructions (valgrind --tool=callgrind), where
 * the wasm2c functions of the two kiln builds would share names.
 * --units N: N units of work instead of the workload's own amount.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wasm-rt.h>

#include "kiln_rt.h"
#include "workloads/workload.h"

#define MAX_RUNS 99

/* name, units of work for the full run, for --quick */
#define WORKLOADS(X)                                                                               \
	X(sha256, 75, 1)                                                                           \
	X(sort, 4, 1)                                                                              \
	X(interp, 12, 1)                                                                           \
	X(recurse, 600, 1)                                                                         \
	X(strings, 24, 1)                                                                          \
	X(lz, 9, 1)                                                                                \
	X(nbody, 200000, 2000)                                                                     \
	X(hostcall, 36000, 100)

#define DECLARE(name, n, quick)                                                                    \
	uint64_t wl_##name##_run(uint32_t);                                                        \
	extern const struct kiln_module_desc kiln_module_wl_##name, kiln_module_wl_##name##_nf;
WORKLOADS(DECLARE)

struct workload {
	const char *name;
	uint32_t n, quick;
	uint64_t (*native)(uint32_t);
	struct kiln_extension fuel, nofuel;
};

#define ENTRY(name, n, quick)                                                                      \
	{#name, n, quick, wl_##name##_run, {#name, &kiln_module_wl_##name, NULL, NULL, NULL, NULL}, \
	 {#name "_nofuel", &kiln_module_wl_##name##_nf, NULL, NULL, NULL, NULL}},
static struct workload workloads[] = {WORKLOADS(ENTRY)};

enum { V_NATIVE, V_FUEL, V_NOFUEL, NVARIANTS };
static const char *const variant_names[] = {"native", "kiln", "kiln --no-fuel"};
static uint32_t perturb;
static uint32_t units; /* --units, 0: the workload's */
static const char *layout = "0"; /* --layout: a name for the S records */

/* ---- the host side of the hostcall workload ---------------------------- */

/* Per instance: its memory, found once after instantiation. */
struct host_ctx {
	wasm_rt_memory_t *mem;
};

uint32_t bench_mix(uint32_t a, uint32_t b);
uint32_t bench_sum(const uint8_t *p, uint32_t len);

/* Natively: plain functions in another translation unit than the
 * workload, as a host API would be. */
uint32_t bench_mix(uint32_t a, uint32_t b)
{
	return WL_HOST_MIX(a, b);
}

uint32_t bench_sum(const uint8_t *p, uint32_t len)
{
	return wl_fnv32(p, len);
}

/* For wasm: the same, with the guest's pointer checked against its memory
 * as a WASI call checks it. */
struct Z_bench_instance_t;
uint32_t Z_benchZ_mix(struct Z_bench_instance_t *ctx, uint32_t a, uint32_t b);
uint32_t Z_benchZ_sum(struct Z_bench_instance_t *ctx, uint32_t p, uint32_t len);

uint32_t Z_benchZ_mix(struct Z_bench_instance_t *ctx, uint32_t a, uint32_t b)
{
	(void)ctx;
	return WL_HOST_MIX(a, b);
}

uint32_t Z_benchZ_sum(struct Z_bench_instance_t *ctx, uint32_t p, uint32_t len)
{
	const wasm_rt_memory_t *mem = ((struct host_ctx *)ctx)->mem;
	if ((uint64_t)p + len > mem->size)
		kiln_trap_raise(KILN_TRAP_OUT_OF_BOUNDS);
	return wl_fnv32(mem->data + p, len);
}

/* The context of the instance being made (set by instance()). */
static struct host_ctx *next_ctx;

static void *resolve(void *user, struct kiln_instance *inst, const char *module,
		     struct kiln_err *err)
{
	(void)user;
	(void)inst;
	if (strcmp(module, "bench") != 0) {
		kiln_err_set(err, KILN_ELINK, "no import module \"%s\" in this host", module);
		return NULL;
	}
	return next_ctx;
}

/* ---- running ------------------------------------------------------------ */

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "vs-native: %s%s%s\n", what, detail[0] ? ": " : "", detail);
	exit(1);
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void record(const char *cc, const char *wl, const char *figure, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	printf("W\t%s\t%s\t%s\t%.6g\t%.6g\t%.6g\n", cc, wl, figure,
	       n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]);
	fflush(stdout);
}

struct variant {
	struct kiln_instance *inst;
	const struct kiln_export_desc *run;
};

static void instance(struct kiln_engine *eng, const struct kiln_extension *ext,
		     struct host_ctx *ctx, struct variant *v)
{
	static const struct kiln_grants grants = {
		.fuel_per_call = KILN_UNLIMITED,
		.fuel_instantiate = KILN_UNLIMITED,
		.memory_cap_bytes = 256u << 20,
		.soft_deadline_ns = KILN_UNLIMITED,
		.hard_deadline_ns = KILN_UNLIMITED,
	};
	const struct kiln_export_desc *init, *mem;
	struct kiln_err err;

	ctx->mem = NULL;
	next_ctx = ctx;
	if (kiln_instance_new(eng, ext, &grants, &v->inst, &err) != KILN_OK)
		die(ext->name, err.msg);
	init = kiln_instance_export(v->inst, "_initialize");
	if (init != NULL && kiln_instance_invoke(v->inst, init, NULL, 0, NULL, 0, &err) != KILN_OK)
		die(ext->name, err.msg);
	v->run = kiln_instance_export(v->inst, "run");
	if (v->run == NULL)
		die(ext->name, "no export \"run\"");
	mem = kiln_instance_export(v->inst, "memory");
	if (mem == NULL || mem->kind != KILN_EXTERN_MEMORY)
		die(ext->name, "no exported memory");
	ctx->mem = mem->get(kiln_instance_module(v->inst));
}

/* One call of variant @which; returns its checksum, its time in *@secs. */
static uint64_t call(const struct workload *w, struct variant *vars, int which, uint32_t n,
		     double *secs)
{
	struct kiln_val arg = {KILN_I32, {.i32 = n}}, res;
	struct kiln_err err;
	uint64_t sum;
	double t0 = cpu_now();

	if (which == V_NATIVE) {
		sum = w->native(n + perturb);
	} else {
		if (kiln_instance_invoke(vars[which].inst, vars[which].run, &arg, 1, &res, 1, &err) !=
		    KILN_OK)
			die(w->name, err.msg);
		sum = res.of.i64;
	}
	*secs = cpu_now() - t0;
	if (sum == WL_FAIL)
		die(w->name, variant_names[which]);
	return sum;
}

/* --variant: one call of variant @which. */
static void run_one(struct kiln_engine *eng, const struct workload *w, int which, bool quick)
{
	uint32_t n = units ? units : quick ? w->quick : w->n;
	struct host_ctx ctx;
	struct variant vars[NVARIANTS] = {{NULL, NULL}};
	double secs;

	if (which != V_NATIVE)
		instance(eng, which == V_FUEL ? &w->fuel : &w->nofuel, &ctx, &vars[which]);
	printf("%s\t%s\t%016llx\n", w->name, variant_names[which],
	       (unsigned long long)call(w, vars, which, n, &secs));
	kiln_instance_free(vars[which].inst);
}

static void bench(struct kiln_engine *eng, const char *cc, const struct workload *w, int runs,
		  bool quick)
{
	uint32_t n = units ? units : quick ? w->quick : w->n;
	struct host_ctx ctx[NVARIANTS];
	struct variant vars[NVARIANTS] = {{NULL, NULL}};
	double t[NVARIANTS][MAX_RUNS], native_per_kiln[MAX_RUNS], fuel_per_nofuel[MAX_RUNS];
	uint64_t want;
	double ignored;

	instance(eng, &w->fuel, &ctx[V_FUEL], &vars[V_FUEL]);
	instance(eng, &w->nofuel, &ctx[V_NOFUEL], &vars[V_NOFUEL]);

	/* warm-up: pages faulted in, caches and predictors trained */
	want = call(w, vars, V_NATIVE, n, &ignored);
	for (int v = V_FUEL; v < NVARIANTS; v++) {
		uint64_t got = call(w, vars, v, n, &ignored);
		if (got != want) {
			char msg[128];
			snprintf(msg, sizeof msg, "%s returned %016llx, native code %016llx",
				 variant_names[v], (unsigned long long)got, (unsigned long long)want);
			die(w->name, msg);
		}
	}
	for (int r = 0; r < runs; r++) {
		for (int k = 0; k < NVARIANTS; k++) {
			int v = (r + k) % NVARIANTS;
			if (call(w, vars, v, n, &t[v][r]) != want)
				die(w->name, "checksum changed from one call to the next");
		}
		native_per_kiln[r] = t[V_NATIVE][r] / t[V_FUEL][r];
		fuel_per_nofuel[r] = t[V_FUEL][r] / t[V_NOFUEL][r];
	}
	/* the runs first: record() sorts its array */
	for (int r = 0; r < runs; r++)
		printf("S\t%s\t%s\t%s\t%d\t%.6g\t%.6g\t%.6g\n", cc, w->name, layout, r + 1,
		       t[V_NATIVE][r], t[V_FUEL][r], t[V_NOFUEL][r]);
	fflush(stdout);
	record(cc, w->name, "native_s", t[V_NATIVE], runs);
	record(cc, w->name, "kiln_s", t[V_FUEL], runs);
	record(cc, w->name, "kiln_nofuel_s", t[V_NOFUEL], runs);
	record(cc, w->name, "native_per_kiln", native_per_kiln, runs);
	record(cc, w->name, "fuel_per_nofuel", fuel_per_nofuel, runs);
	kiln_instance_free(vars[V_FUEL].inst);
	kiln_instance_free(vars[V_NOFUEL].inst);
}

int main(int argc, char **argv)
{
	struct kiln_engine_config cfg = {.slots = 8, .resolve_import = resolve};
	struct kiln_engine *eng;
	struct kiln_err err;
	const char *only = NULL, *cc;
	bool quick = false, found = false;
	int runs = 7, variant = -1;

	if (argc < 2)
		die("usage", "vs-native COMPILER [--runs N] [--quick] [--only NAME]");
	cc = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v < 1 || v > MAX_RUNS)
				die("--runs", "expected 1 to 99");
			runs = (int)v;
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else if (strcmp(argv[i], "--units") == 0 && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || v < 1 || v > UINT32_MAX)
				die("--units", "expected a positive number");
			units = (uint32_t)v;
		} else if (strcmp(argv[i], "--layout") == 0 && i + 1 < argc) {
			layout = argv[++i];
			if (layout[0] == '\0' || strpbrk(layout, "\t\n") != NULL)
				die("--layout", "expected a name without tabs or newlines");
		} else if (strcmp(argv[i], "--perturb") == 0) {
			perturb = 1;
		} else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc) {
			static const char *const names[] = {"native", "kiln", "nofuel"};
			i++;
			for (int v = 0; v < NVARIANTS; v++)
				if (strcmp(argv[i], names[v]) == 0)
					variant = v;
			if (variant < 0)
				die("--variant", "expected native, kiln or nofuel");
		} else {
			die("unknown argument", argv[i]);
		}
	}
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK)
		die("engine", err.msg);
	for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
		if (only == NULL || strcmp(only, workloads[i].name) == 0) {
			if (variant >= 0)
				run_one(eng, &workloads[i], variant, quick);
			else
				bench(eng, cc, &workloads[i], runs, quick);
			found = true;
		}
	}
	if (!found)
		die("--only", "no such workload");
	kiln_engine_free(eng);
	return 0;
}
