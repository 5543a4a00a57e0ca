/*
 * Tests for deadlines (runtime/timer.c, the interrupt signal): a hard
 * deadline stops `(loop (br 0))` compiled four ways, with and without fuel,
 * within 10 ms; soft deadlines call back and log; host functions are
 * interrupted only when they do not bracket themselves; the timer sleeps
 * when no call runs and wakes for the next one.  Loops that might never
 * stop run in child processes with a watchdog.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "rt_impl.h"
#include "rt_support.h"
#include "unit.h"

#define MS 1000000ull
#define HARD_MS 30
/* How late a hard deadline may stop a call, and how early (the start tick
 * may be up to a tick older than the call). */
#define LATE_NS (10 * MS)
#define EARLY_NS (1500000ull)
#define ATTEMPTS 5

/* Exit status: 0, or 10 + the index of the first variant that failed. */
static void hard_deadline_variants(void *arg)
{
	const struct kiln_grants g = {.hard_deadline_ns = HARD_MS * MS,
				      .fuel_per_call = KILN_UNLIMITED};
	struct kiln_engine *eng = rt_engine(RT_SPINS + 1);
	(void)arg;

	if (eng == NULL)
		_exit(2);
	for (int v = 0; v < RT_SPINS; v++) {
		struct kiln_instance *inst = rt_instance(eng, &rt_spin[v], &g);
		int64_t best = INT64_MAX;
		bool ok = false;
		if (inst == NULL)
			_exit(3);
		for (int attempt = 0; attempt < ATTEMPTS && !ok; attempt++) {
			struct kiln_err err;
			uint64_t t0 = rt_now_ns(), t1;
			int rc = kiln_instance_call(inst, "spin", NULL, 0, NULL, 0, &err);
			int64_t over;
			t1 = rt_now_ns();
			over = (int64_t)(t1 - t0) - (int64_t)(HARD_MS * MS);
			if (rc != KILN_ETRAP || kiln_instance_trap(inst, NULL) != KILN_TRAP_DEADLINE) {
				fprintf(stderr, "  %s: status %d: %s\n", rt_spin_names[v], rc,
					err.msg);
				_exit(10 + v);
			}
			if (over < best)
				best = over;
			ok = over <= (int64_t)LATE_NS && over >= -(int64_t)EARLY_NS;
			/* The instance is fine afterwards. */
			if (kiln_instance_call(inst, "nop", NULL, 0, NULL, 0, &err) != KILN_OK)
				_exit(30 + v);
		}
		fprintf(stderr, "  hard deadline, %-16s: stopped %+.2f ms after it\n",
			rt_spin_names[v], (double)best / 1e6);
		if (!ok)
			_exit(10 + v);
		kiln_instance_free(inst);
	}
	kiln_engine_free(eng);
	_exit(0);
}

static void test_hard_deadline_stops_tight_loops(void)
{
	int status;
	fputc('\n', stderr);
	status = rt_in_child(hard_deadline_variants, NULL, 60000);
	CU_ASSERT(status != -1 && WIFEXITED(status));
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "  child exit status %d\n", WEXITSTATUS(status));
	CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

struct soft_log {
	int callbacks;
	struct kiln_instance *inst;
	char export_name[32];
	uint64_t elapsed_ns;
	int soft_entries, hard_entries;
};

static void on_soft(void *user, struct kiln_instance *inst, const char *export_name,
		    uint64_t elapsed_ns)
{
	struct soft_log *log = user;
	log->callbacks++;
	log->inst = inst;
	snprintf(log->export_name, sizeof log->export_name, "%s", export_name);
	log->elapsed_ns = elapsed_ns;
}

static void on_log(void *user, enum kiln_log_level level, const char *msg)
{
	struct soft_log *log = user;
	if (level == KILN_LOG_WARN && strstr(msg, "soft deadline") != NULL &&
	    strstr(msg, "basic") != NULL)
		log->soft_entries++;
	if (level == KILN_LOG_WARN && strstr(msg, "hard deadline") != NULL)
		log->hard_entries++;
}

static void test_soft_deadline_calls_back_and_logs(void)
{
	struct soft_log log = {0};
	struct kiln_engine_config cfg = {
		.slots = 4, .resolve_import = rt_resolve, .user = &log,
		.soft_deadline = on_soft, .log = on_log};
	const struct kiln_grants g = {.soft_deadline_ns = 20 * MS,
				      .hard_deadline_ns = KILN_UNLIMITED};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst;
	struct kiln_err err;
	uint32_t ms = 80;

	CU_ASSERT_EQUAL_FATAL(kiln_engine_new(&cfg, &eng, &err), KILN_OK);
	inst = rt_instance(eng, &rt_basic, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "sleep", 1, &ms, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(log.callbacks, 1);
	CU_ASSERT_PTR_EQUAL(log.inst, inst);
	CU_ASSERT_STRING_EQUAL(log.export_name, "sleep");
	CU_ASSERT(log.elapsed_ns >= 20 * MS && log.elapsed_ns < 80 * MS);
	CU_ASSERT_EQUAL(log.soft_entries, 1);
	CU_ASSERT_EQUAL(log.hard_entries, 0);
	ms = 2;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "sleep", 1, &ms, NULL, &err), KILN_OK);
	CU_ASSERT_EQUAL(log.callbacks, 1);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_bracketed_host_function_finishes_first(void)
{
	struct soft_log log = {0};
	struct kiln_engine_config cfg = {
		.slots = 4, .resolve_import = rt_resolve, .user = &log, .log = on_log};
	const struct kiln_grants g = {.hard_deadline_ns = 20 * MS};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst;
	struct kiln_err err;
	uint32_t ms = 150;
	int before = rt_sleep_completed;
	uint64_t t0;

	CU_ASSERT_EQUAL_FATAL(kiln_engine_new(&cfg, &eng, &err), KILN_OK);
	inst = rt_instance(eng, &rt_basic, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	t0 = rt_now_ns();
	CU_ASSERT_EQUAL(rt_call_i32(inst, "sleep", 1, &ms, NULL, &err), KILN_ETRAP);
	CU_ASSERT(rt_now_ns() - t0 >= 150 * MS);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_DEADLINE);
	CU_ASSERT_EQUAL(rt_sleep_completed, before + 1);
	CU_ASSERT_EQUAL(log.hard_entries, 1);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_unbracketed_host_function_is_cut_short(void)
{
	struct kiln_engine *eng = rt_engine(4);
	const struct kiln_grants g = {.hard_deadline_ns = 20 * MS};
	struct kiln_instance *inst = rt_instance(eng, &rt_basic, &g);
	struct kiln_err err;
	uint32_t ms = 3000;
	int before = rt_raw_completed;
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	t0 = rt_now_ns();
	CU_ASSERT_EQUAL(rt_call_i32(inst, "sleep_raw", 1, &ms, NULL, &err), KILN_ETRAP);
	CU_ASSERT(rt_now_ns() - t0 < 1000 * MS);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_DEADLINE);
	CU_ASSERT_EQUAL(rt_raw_completed, before);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* Exit status 0: the timer slept with no call and woke for one. */
static void timer_sleeps_and_wakes(void *arg)
{
	const struct kiln_grants g = {.hard_deadline_ns = 20 * MS};
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst;
	struct kiln_err err;
	uint64_t t0;
	(void)arg;

	if (eng == NULL || !atomic_load(&eng->timer_idle))
		_exit(3); /* asleep from the start */
	inst = rt_instance(eng, &rt_spin[0], &g);
	if (inst == NULL)
		_exit(2);
	if (atomic_load(&eng->timer_idle))
		_exit(5); /* woken by the instantiation */
	if (kiln_instance_call(inst, "nop", NULL, 0, NULL, 0, &err) != KILN_OK)
		_exit(4);
	usleep((KILN_TIMER_QUIET_TICKS + 100) * 1000);
	if (!atomic_load(&eng->timer_idle))
		_exit(6); /* asleep again */
	t0 = rt_now_ns();
	if (kiln_instance_call(inst, "spin", NULL, 0, NULL, 0, &err) != KILN_ETRAP ||
	    kiln_instance_trap(inst, NULL) != KILN_TRAP_DEADLINE)
		_exit(7);
	if (rt_now_ns() - t0 > 200 * MS) /* promptness: see the test above */
		_exit(8);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
	_exit(0);
}

static void test_timer_sleeps_without_calls(void)
{
	int status = rt_in_child(timer_sleeps_and_wakes, NULL, 20000);
	CU_ASSERT(status != -1 && WIFEXITED(status));
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "\n  child exit status %d\n", WEXITSTATUS(status));
	CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A coarser tick still stops the loop, a tick or two late. */
static void coarse_tick(void *arg)
{
	struct kiln_engine_config cfg = {.slots = 2, .tick_us = 5000};
	const struct kiln_grants g = {.hard_deadline_ns = 30 * MS};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst = NULL;
	uint64_t t0, dt;
	(void)arg;

	if (kiln_engine_new(&cfg, &eng, NULL) != KILN_OK ||
	    kiln_instance_new(eng, &rt_spin[4], &g, &inst, NULL) != KILN_OK)
		_exit(2);
	t0 = rt_now_ns();
	if (kiln_instance_call(inst, "spin", NULL, 0, NULL, 0, NULL) != KILN_ETRAP)
		_exit(3);
	dt = rt_now_ns() - t0;
	_exit(dt >= 25 * MS && dt <= 30 * MS + 10 * 5 * MS ? 0 : 4);
}

static void test_coarse_tick(void)
{
	int status = rt_in_child(coarse_tick, NULL, 20000);
	CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Exit status 0: a start function that loops forever is stopped. */
static void deadline_in_start_function(void *arg)
{
	const struct kiln_grants g = {.hard_deadline_ns = 20 * MS,
				      .fuel_instantiate = KILN_UNLIMITED};
	struct kiln_engine *eng = rt_engine(2);
	struct kiln_instance *inst = NULL;
	(void)arg;
	rt_start_mode = 2;
	if (kiln_instance_new(eng, &rt_starter, &g, &inst, NULL) != KILN_ETRAP)
		_exit(2);
	_exit(kiln_trap_last(NULL) == KILN_TRAP_DEADLINE ? 0 : 3);
}

/* Exit status 0: the deadline works with another interrupt signal. */
static void other_interrupt_signal(void *arg)
{
	struct kiln_engine_config cfg = {.slots = 2, .interrupt_signal = SIGUSR1};
	const struct kiln_grants g = {.hard_deadline_ns = 20 * MS};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst = NULL;
	(void)arg;
	if (kiln_engine_new(&cfg, &eng, NULL) != KILN_OK ||
	    kiln_instance_new(eng, &rt_spin[0], &g, &inst, NULL) != KILN_OK)
		_exit(2);
	if (kiln_instance_call(inst, "spin", NULL, 0, NULL, 0, NULL) != KILN_ETRAP ||
	    kiln_instance_trap(inst, NULL) != KILN_TRAP_DEADLINE)
		_exit(3);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
	_exit(0);
}

static void test_deadline_in_start_function_and_other_signal(void)
{
	int status = rt_in_child(deadline_in_start_function, NULL, 20000);
	CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	status = rt_in_child(other_interrupt_signal, NULL, 20000);
	CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void kiln_test_deadline(void)
{
	CU_pSuite s = CU_add_suite("deadline", NULL, NULL);
	CU_add_test(s, "hard deadline stops tight loops", test_hard_deadline_stops_tight_loops);
	CU_add_test(s, "soft deadline calls back and logs", test_soft_deadline_calls_back_and_logs);
	CU_add_test(s, "bracketed host function finishes first",
		    test_bracketed_host_function_finishes_first);
	CU_add_test(s, "unbracketed host function is cut short",
		    test_unbracketed_host_function_is_cut_short);
	CU_add_test(s, "timer sleeps without calls", test_timer_sleeps_without_calls);
	CU_add_test(s, "coarse tick", test_coarse_tick);
	CU_add_test(s, "deadline in a start function, another signal",
		    test_deadline_in_start_function_and_other_signal);
}
