/* rt_support.c — fixture extensions and env host functions for the runtime
 * suites (see rt_support.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wasm-rt.h>

#include "rt_support.h"

extern const struct kiln_module_desc kiln_module_spin_gcc_o2, kiln_module_spin_gcc_o3,
	kiln_module_spin_clang_o2, kiln_module_spin_clang_o3, kiln_module_spinf_gcc_o2,
	kiln_module_spinf_gcc_o3, kiln_module_spinf_clang_o2, kiln_module_spinf_clang_o3;

const struct kiln_extension rt_basic = {.name = "basic", .module = &kiln_module_basic};
const struct kiln_extension rt_starter = {.name = "starter", .module = &kiln_module_starter};
const struct kiln_extension rt_bad_data = {.name = "bad_data", .module = &kiln_module_bad_data};
const struct kiln_extension rt_big = {.name = "big", .module = &kiln_module_big};
const struct kiln_extension rt_lib = {.name = "lib", .module = &kiln_module_lib};
const struct kiln_extension rt_user = {.name = "user", .module = &kiln_module_user};
const struct kiln_extension rt_small = {.name = "small", .module = &kiln_module_small};
const struct kiln_extension rt_partial = {.name = "partial", .module = &kiln_module_partial};

const char *const rt_spin_names[RT_SPINS] = {
	"gcc -O2",        "gcc -O3",        "clang -O2",        "clang -O3",
	"gcc -O2 + fuel", "gcc -O3 + fuel", "clang -O2 + fuel", "clang -O3 + fuel",
};
const struct kiln_extension rt_spin[RT_SPINS] = {
	{.name = "spin_gcc_o2", .module = &kiln_module_spin_gcc_o2},
	{.name = "spin_gcc_o3", .module = &kiln_module_spin_gcc_o3},
	{.name = "spin_clang_o2", .module = &kiln_module_spin_clang_o2},
	{.name = "spin_clang_o3", .module = &kiln_module_spin_clang_o3},
	{.name = "spinf_gcc_o2", .module = &kiln_module_spinf_gcc_o2},
	{.name = "spinf_gcc_o3", .module = &kiln_module_spinf_gcc_o3},
	{.name = "spinf_clang_o2", .module = &kiln_module_spinf_clang_o2},
	{.name = "spinf_clang_o3", .module = &kiln_module_spinf_clang_o3},
};

_Thread_local struct kiln_instance *rt_reenter_target;
_Thread_local int rt_reenter_status;
_Thread_local struct kiln_instance *rt_seen_current;
_Atomic int rt_start_mode;
_Atomic int rt_sleep_completed;
_Atomic int rt_raw_completed;
struct kiln_instance *rt_lib_instance;

/* ---- env.* as the fixtures declare them ---- */

struct Z_env_instance_t;
uint32_t Z_envZ_host_add1(struct Z_env_instance_t *ctx, uint32_t x);
void Z_envZ_sleep_ms(struct Z_env_instance_t *ctx, uint32_t ms);
void Z_envZ_sleep_raw(struct Z_env_instance_t *ctx, uint32_t ms);
uint32_t Z_envZ_reenter(struct Z_env_instance_t *ctx, uint32_t x);
void Z_envZ_host_trap(struct Z_env_instance_t *ctx, uint32_t mode);
uint32_t Z_envZ_start_mode(struct Z_env_instance_t *ctx);
uint32_t Z_envZ_host_deep(struct Z_env_instance_t *ctx);

uint32_t Z_envZ_host_add1(struct Z_env_instance_t *ctx, uint32_t x)
{
	rt_seen_current = kiln_instance_current();
	if ((void *)ctx != (void *)rt_seen_current)
		return 0;
	return x + 1;
}

/* Sleep @ms whatever signals arrive. */
static void sleep_fully(uint32_t ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A well-behaved host function: not interruptible half-way. */
void Z_envZ_sleep_ms(struct Z_env_instance_t *ctx, uint32_t ms)
{
	(void)ctx;
	kiln_host_enter();
	sleep_fully(ms);
	rt_sleep_completed++;
	kiln_host_leave();
}

/* One that does not bracket itself: a deadline may cut it short. */
void Z_envZ_sleep_raw(struct Z_env_instance_t *ctx, uint32_t ms)
{
	(void)ctx;
	sleep_fully(ms);
	rt_raw_completed++;
}

/* Calls back into wasm: rt_reenter_target's "inc"(x), or "unreachable"
 * when x is 0; returns the result (0 when it failed, status in
 * rt_reenter_status). */
uint32_t Z_envZ_reenter(struct Z_env_instance_t *ctx, uint32_t x)
{
	struct kiln_val arg = {KILN_I32, {.i32 = x}}, res = {KILN_I32, {.i32 = 0}};
	(void)ctx;
	if (x == 0)
		rt_reenter_status = kiln_instance_call(rt_reenter_target, "unreachable", NULL, 0,
						       NULL, 0, NULL);
	else
		rt_reenter_status =
			kiln_instance_call(rt_reenter_target, "inc", &arg, 1, &res, 1, NULL);
	return res.of.i32;
}

void Z_envZ_host_trap(struct Z_env_instance_t *ctx, uint32_t mode)
{
	(void)ctx;
	if (mode == 0)
		kiln_trap_exit(42);
	if (mode == 1)
		kiln_trap_raise(KILN_TRAP_HOST);
	if (mode == 2) {
		kiln_host_enter();
		kiln_trap_exit(7); /* from inside a bracket */
	}
	if (mode == 3) { /* a host bug */
		volatile int *volatile bad = (volatile int *)(uintptr_t)16;
		*bad = 1;
	}
	if (mode == 5) /* API misuse: free the running instance */
		kiln_instance_free(kiln_instance_current());
	if (mode == 4) { /* a host bug touching wasm memory */
		struct kiln_instance *inst = kiln_instance_current();
		const struct kiln_export_desc *mem = kiln_instance_export(inst, "memory");
		const wasm_rt_memory_t *m = mem->get(kiln_instance_module(inst));
		kiln_host_enter();
		rt_raw_completed += ((volatile uint8_t *)m->data)[m->size];
		kiln_host_leave();
	}
}

/* Recurse in C until less than KILN_HOST_STACK_RESERVE / 2 of stack is
 * left, then enter the runtime as a well-behaved host function does: it
 * must trap (stack exhaustion) rather than let the host overflow.  Returns
 * the depth reached when it does not trap. */
static uintptr_t stack_bottom(void)
{
	pthread_attr_t attr;
	void *addr = NULL;
	size_t size = 0;
	pthread_getattr_np(pthread_self(), &attr);
	pthread_attr_getstack(&attr, &addr, &size);
	pthread_attr_destroy(&attr);
	return (uintptr_t)addr;
}

static __attribute__((noinline)) uint32_t descend(uintptr_t bottom, uint32_t depth)
{
	volatile char pad[1024];
	pad[0] = (char)depth;
	if ((uintptr_t)&pad[0] - bottom > KILN_HOST_STACK_RESERVE / 2)
		return descend(bottom, depth + 1) + (uint32_t)pad[0] * 0;
	kiln_host_enter();
	kiln_host_leave();
	return depth;
}

uint32_t Z_envZ_host_deep(struct Z_env_instance_t *ctx)
{
	(void)ctx;
	return descend(stack_bottom(), 0);
}

uint32_t Z_envZ_start_mode(struct Z_env_instance_t *ctx)
{
	(void)ctx;
	return (uint32_t)rt_start_mode;
}

/* ---- Helpers ---- */

void *rt_resolve(void *user, struct kiln_instance *inst, const char *module,
		 struct kiln_err *err)
{
	(void)user;
	if (strcmp(module, "env") == 0)
		return inst;
	if (strcmp(module, "lib") == 0 && rt_lib_instance != NULL)
		return kiln_instance_module(rt_lib_instance);
	kiln_err_set(err, KILN_ELINK, "no module %s here", module);
	return NULL;
}

struct kiln_engine *rt_engine(uint32_t slots)
{
	struct kiln_engine_config cfg = {.slots = slots, .resolve_import = rt_resolve};
	struct kiln_engine *eng = NULL;
	struct kiln_err err;
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK)
		fprintf(stderr, "rt_engine: %s\n", err.msg);
	return eng;
}

struct kiln_instance *rt_instance(struct kiln_engine *eng, const struct kiln_extension *ext,
				  const struct kiln_grants *grants)
{
	struct kiln_instance *inst = NULL;
	struct kiln_err err;
	if (kiln_instance_new(eng, ext, grants, &inst, &err) != KILN_OK)
		fprintf(stderr, "rt_instance: %s\n", err.msg);
	return inst;
}

int rt_call_i32(struct kiln_instance *inst, const char *name, int nargs, const uint32_t *args,
		uint32_t *out, struct kiln_err *err)
{
	struct kiln_val a[4], r[2] = {{KILN_I32, {.i64 = 0}}};
	const struct kiln_export_desc *fn = kiln_instance_export(inst, name);
	size_t nres = fn != NULL ? fn->nresults : 0;
	int rc;
	for (int i = 0; i < nargs && i < 4; i++) {
		a[i] = (struct kiln_val){KILN_I32, {.i32 = args[i]}};
		if (fn != NULL && (int)fn->nparams > i && fn->types[i] == KILN_F32) {
			a[i].type = KILN_F32;
			memcpy(&a[i].of.f32, &args[i], sizeof args[i]);
		}
	}
	rc = kiln_instance_call(inst, name, a, (size_t)nargs, r, nres, err);
	if (out != NULL)
		*out = r[0].of.i32;
	return rc;
}

int rt_in_child(void (*fn)(void *), void *arg, unsigned timeout_ms)
{
	int status;
	pid_t pid;
	uint64_t deadline = rt_now_ns() + (uint64_t)timeout_ms * 1000000u;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (rt_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(2000);
	}
}

uint64_t rt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void rt_mem_usage(uint64_t *rss_kib, uint64_t *vsz_kib)
{
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			size = resident = 0;
		fclose(f);
	}
	*vsz_kib = size * (unsigned long long)page / 1024u;
	*rss_kib = resident * (unsigned long long)page / 1024u;
}
