/*
 * Tests for concurrency: several threads run their own instances of one
 * engine; each makes its instance trap with every kind in turn while the
 * others, and a bystander instance on each thread, keep computing; then
 * every instance works after a reset and the statistics add up.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "rt_support.h"
#include "unit.h"

#define THREADS 4
#define PASSES 2
#define MS 1000000ull

struct kind_call {
	const char *export_name;
	int nargs;
	uint32_t args[2];
	enum kiln_trap_kind kind;
};

static const struct kind_call kinds[] = {
	{"load", 1, {70000}, KILN_TRAP_OUT_OF_BOUNDS},
	{"div_s", 2, {7, 0}, KILN_TRAP_DIV_BY_ZERO},
	{"div_s", 2, {0x80000000u, 0xffffffffu}, KILN_TRAP_INT_OVERFLOW},
	{"trunc", 1, {0x7fc00000u}, KILN_TRAP_INVALID_CONVERSION},
	{"unreachable", 0, {0}, KILN_TRAP_UNREACHABLE},
	{"call_ii", 2, {3, 0}, KILN_TRAP_INDIRECT_CALL},
	{"recurse", 1, {0}, KILN_TRAP_STACK_EXHAUSTION},
	{"spin", 0, {0}, KILN_TRAP_FUEL},
	{"spin", 0, {0}, KILN_TRAP_DEADLINE},
	{"host_trap", 1, {0}, KILN_TRAP_EXIT},
	{"host_trap", 1, {1}, KILN_TRAP_HOST},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

struct worker {
	struct kiln_engine *eng;
	int index;
	int wrong;      /* unexpected outcomes */
	int traps[KILN_TRAP_KIND_COUNT];
	bool after_reset;
};

static int trap_with(struct kiln_instance *inst, const struct kind_call *k)
{
	int rc;
	if (k->kind == KILN_TRAP_DEADLINE)
		kiln_instance_set_fuel(inst, KILN_UNLIMITED);
	rc = rt_call_i32(inst, k->export_name, k->nargs, k->args, NULL, NULL);
	kiln_instance_set_fuel(inst, 0);
	return rc;
}

static bool burns(struct kiln_instance *inst, uint32_t n)
{
	uint32_t out = 0;
	return rt_call_i32(inst, "burn", 1, &n, &out, NULL) == KILN_OK && out == n;
}

static void *work(void *p)
{
	struct worker *w = p;
	const struct kiln_grants g = {.fuel_per_call = 1000000, .hard_deadline_ns = 200 * MS};
	struct kiln_instance *victim = rt_instance(w->eng, &rt_basic, &g);
	struct kiln_instance *bystander = rt_instance(w->eng, &rt_basic, &g);
	struct kiln_stats st;

	if (victim == NULL || bystander == NULL) {
		w->wrong++;
		goto out;
	}
	for (unsigned n = 0; n < PASSES * NKINDS; n++) {
		const struct kind_call *k = &kinds[(n + (unsigned)w->index * 3) % NKINDS];
		if (trap_with(victim, k) != KILN_ETRAP || kiln_instance_trap(victim, NULL) != k->kind)
			w->wrong++;
		else
			w->traps[k->kind]++;
		if (!burns(bystander, 1000 + n))
			w->wrong++;
		if (!burns(victim, 10))
			w->wrong++;
		if (n % 4 == 3 && kiln_instance_reset(victim, NULL) != KILN_OK)
			w->wrong++;
	}
	kiln_instance_stats(victim, &st);
	for (int k = 1; k < KILN_TRAP_KIND_COUNT; k++)
		if (st.traps[k] != (uint64_t)w->traps[k])
			w->wrong++;
	w->after_reset = kiln_instance_reset(victim, NULL) == KILN_OK &&
			 kiln_instance_reset(bystander, NULL) == KILN_OK && burns(victim, 5) &&
			 burns(bystander, 5);
out:
	kiln_instance_free(victim);
	kiln_instance_free(bystander);
	return NULL;
}

static void test_threads_trap_while_others_run(void)
{
	struct kiln_engine *eng = rt_engine(2 * THREADS + 1);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct kiln_instance *main_inst;
	struct kiln_stats st;
	int main_wrong = 0, main_calls = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(eng);
	main_inst = rt_instance(eng, &rt_basic, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(main_inst);
	for (int i = 0; i < THREADS; i++) {
		pthread_attr_t attr;
		memset(&w[i], 0, sizeof w[i]);
		w[i].eng = eng;
		w[i].index = i;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 1u << 20);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], &attr, work, &w[i]), 0);
		pthread_attr_destroy(&attr);
	}
	/* Meanwhile the main thread computes on its own instance. */
	for (int i = 0; i < 200; i++, main_calls++)
		if (!burns(main_inst, 5000))
			main_wrong++;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(w[i].wrong, 0);
		CU_ASSERT(w[i].after_reset);
		for (size_t k = 0; k < NKINDS; k++)
			CU_ASSERT_EQUAL(w[i].traps[kinds[k].kind],
					PASSES);
	}
	CU_ASSERT_EQUAL(main_wrong, 0);
	CU_ASSERT(burns(main_inst, 10));
	kiln_instance_stats(main_inst, &st);
	CU_ASSERT_EQUAL(st.calls, (uint64_t)main_calls + 1);
	for (int k = 1; k < KILN_TRAP_KIND_COUNT; k++)
		CU_ASSERT_EQUAL(st.traps[k], 0);
	CU_ASSERT_EQUAL(kiln_extension_stats(eng, &rt_basic, &st), KILN_OK);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_DEADLINE], THREADS * PASSES);
	CU_ASSERT_EQUAL(st.traps[KILN_TRAP_STACK_EXHAUSTION], THREADS * PASSES);
	kiln_instance_free(main_inst);
	kiln_engine_free(eng);
}

void kiln_test_threads(void)
{
	CU_pSuite s = CU_add_suite("threads", NULL, NULL);
	CU_add_test(s, "threads trap while others run", test_threads_trap_while_others_run);
}
