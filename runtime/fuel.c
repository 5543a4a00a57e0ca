/*
 * fuel.c — the `kiln`.`fuel_exhausted` import the fuel pass calls when a
 * module's counter (its exported `__kiln_fuel` global) drops below zero.
 *
 * A call's budget normally sits in the called instance's counter
 * (instance.c sets it on entry).  Two cases move fuel around instead:
 *   - instantiation: the generated instantiate() zeroes the counter before
 *     running the start function, so the budget waits in the frame
 *     (pending_fuel) and the first exhaustion hands it over;
 *   - linked instances: when the running code belongs to another instance
 *     (a module importing another module's functions), that instance's
 *     counter was not set for this call; it takes the fuel left in the
 *     frame's other counters, and is remembered as a holder so that the
 *     fuel flows back, and is accounted for, when the call ends.
 * Moving fuel out of a counter is safe because the code owning it is
 * suspended in a call: the compiler has stored the counter to memory and
 * will reload it.  A call of an unmetered instance gives linked metered code
 * unlimited fuel.
 *
 * Exhaustion with no fuel to be found is the trap "fuel exhausted", or
 * "deadline" when the timer has flagged this frame.
 *
 * Code instrumented by kiln's fuel pass counts in registers (see
 * compiler/instrument_fuel.c) and meets the runtime in two places:
 * fuel_exhausted, called with the counter at or below zero where fuel may
 * have moved (entering the module from outside, returning from an import),
 * and fuel_trap, called when a charge takes the counter below zero, which
 * is final: by then any fuel held elsewhere has already been brought in.
 */
#include "rt_impl.h"

struct Z_kiln_instance_t;
void Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx);
void Z_kilnZ_fuel_trap(struct Z_kiln_instance_t *ctx, uint64_t left);
void kiln_fuel_trap(uint64_t left);

static int64_t load(uint64_t *counter)
{
	return kiln_rt_fuel_unbias((int64_t)__atomic_load_n(counter, __ATOMIC_RELAXED));
}

static void store(uint64_t *counter, int64_t v)
{
	__atomic_store_n(counter, (uint64_t)v, __ATOMIC_RELAXED);
}

/* Take the fuel left in @inst's counter for someone else, leaving it at
 * zero (a counter left negative by a trap must not carry a debt over). */
static int64_t drain(struct kiln_instance *inst)
{
	int64_t v;
	if (inst->fuel == NULL)
		return 0;
	v = load(inst->fuel);
	store(inst->fuel, 0);
	return v > 0 ? v : 0;
}

int64_t kiln_rt_fuel_collect(struct kiln_frame *f)
{
	int64_t sum = 0;
	for (unsigned i = 0; i < f->nholders; i++)
		sum += drain(f->holders[i]);
	f->nholders = 0;
	return sum;
}

static void note_holder(struct kiln_frame *f, struct kiln_instance *x)
{
	for (unsigned i = 0; i < f->nholders; i++)
		if (f->holders[i] == x)
			return;
	if (f->nholders < KILN_FRAME_HOLDERS)
		f->holders[f->nholders++] = x;
}

void Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx)
{
	struct kiln_instance *x = (struct kiln_instance *)ctx;
	struct kiln_thread *t = &kiln_rt_thread;
	struct kiln_frame *f = t->frame;
	int64_t v;

	if (f == NULL)
		kiln_rt_misuse("fuel_exhausted called outside any call into wasm");
	kiln_rt_host_enter(t);
	if (kiln_rt_interrupted(t))
		kiln_rt_trap(t, KILN_TRAP_DEADLINE);
	if (x->fuel == NULL)
		kiln_rt_trap(t, KILN_TRAP_FUEL);
	/* At zero, too: the fuel pass's code asks with an empty counter. */
	v = load(x->fuel);
	if (v <= 0 && f->pending_fuel > 0) {
		v += f->pending_fuel;
		f->pending_fuel = 0;
	}
	if (v <= 0 && x != f->inst) {
		/* A call of an unmetered instance is not limited by fuel,
		 * whatever code it runs. */
		if (f->inst->fuel == NULL)
			v = (int64_t)KILN_FUEL_MAX;
		else
			v += drain(f->inst);
	}
	for (unsigned i = 0; v <= 0 && i < f->nholders; i++)
		if (f->holders[i] != x)
			v += drain(f->holders[i]);
	if (x != f->inst)
		note_holder(f, x);
	store(x->fuel, v);
	if (v < 0)
		kiln_rt_trap(t, KILN_TRAP_FUEL);
	kiln_rt_host_leave(t);
}

/*
 * The overdraw path of kiln-compiled code (kiln compile routes wasm2c's
 * calls of the fuel pass's kiln.fuel_trap here): it takes no instance, so
 * that fueled functions need not keep theirs live for it.  The code that
 * ran out is either the called instance's or a linked instance's drawing
 * on this call's fuel (a holder); either way the call's fuel is spent.
 * What the code had left goes to the called instance's counter, for the
 * accounting (a bias the timer added meanwhile no longer matters: this is
 * the end of the call), and the holders keep nothing, so that collecting
 * them afterwards finds none of the fuel they last stored.
 */
void kiln_fuel_trap(uint64_t left)
{
	struct kiln_thread *t = &kiln_rt_thread;
	struct kiln_frame *f = t->frame;

	if (f == NULL)
		kiln_rt_misuse("fuel_trap called outside any call into wasm");
	for (unsigned i = 0; i < f->nholders; i++)
		if (f->holders[i]->fuel != NULL)
			store(f->holders[i]->fuel, 0);
	if (f->inst->fuel != NULL)
		store(f->inst->fuel, (int64_t)left);
	kiln_rt_trap(t, kiln_rt_interrupted(t) ? KILN_TRAP_DEADLINE : KILN_TRAP_FUEL);
}

/* kiln.fuel_trap with its context, as wasm2c calls imports: for objects
 * whose glue predates kiln_fuel_trap. */
void Z_kilnZ_fuel_trap(struct Z_kiln_instance_t *ctx, uint64_t left)
{
	struct kiln_instance *x = (struct kiln_instance *)ctx;
	struct kiln_thread *t = &kiln_rt_thread;

	if (t->frame == NULL)
		kiln_rt_misuse("fuel_trap called outside any call into wasm");
	/* what the code had left, for the accounting (a bias the timer
	 * added meanwhile no longer matters: this is the end of the call) */
	if (x->fuel != NULL)
		store(x->fuel, (int64_t)left);
	kiln_rt_trap(t, kiln_rt_interrupted(t) ? KILN_TRAP_DEADLINE : KILN_TRAP_FUEL);
}
