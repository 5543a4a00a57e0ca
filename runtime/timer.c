/*
 * timer.c — each engine's deadline thread.
 *
 * The thread keeps a coarse clock, `epoch` (ticks since the engine
 * started), so that entering wasm reads a variable instead of the clock.
 * Every tick it scans the registered threads: the innermost frame of a
 * thread running a call (engine, instance, id, start tick; see rt_impl.h)
 * is read from that thread's stack, then checked to be still the innermost.
 * Deadlines come from the frame's instance, which cannot be freed while the
 * timer holds timer_lock.
 *
 * Soft deadline: the host callback and a log entry, once per call.
 * Hard deadline: (1) the thread's interrupt_id is set to the frame and the
 * instance's fuel counter is driven below zero, which stops code that
 * reloads the counter and makes every runtime import trap on its way back to
 * wasm; (2) the interrupt signal is sent to the thread, whose handler jumps
 * out of wasm code — needed because an optimising compiler keeps the
 * counter of a loop that stores nothing in a register.  The signal is sent
 * again every other tick while the call goes on (it may have arrived while
 * the thread was inside a host function, where it is deferred).
 *
 * No call, no CPU: after KILN_TIMER_QUIET_TICKS ticks without a call the
 * timer sets `timer_idle` and sleeps on its condition variable.  A thread
 * entering wasm publishes its frame, then reads `timer_idle` and wakes the
 * timer if set.  That store-then-load races with the timer's
 * set-idle-then-rescan (Dekker): the timer issues membarrier() between its
 * store and its rescan, which lets the entry path get away with a compiler
 * barrier; where membarrier is unavailable the entry path uses a fence.
 * While the timer sleeps the epoch stands still, so a frame published then
 * carries a start tick no later than idle_epoch: the timer counts such
 * frames from wake_epoch instead (they began between the two, and the
 * thread that woke the timer did so right after its start).
 *
 * The timer holds timer_lock while it works on instances; kiln_instance_free
 * takes it once, so an instance is never freed under the timer's feet.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "rt_impl.h"
#include "rt_os.h"

/* Deadlines passed in one scan, reported after the thread registry is
 * unlocked.  More than this many in one tick wait for the next tick. */
#define MAX_NOTES 32

struct note {
	struct kiln_instance *inst;
	const char *export_name;
	uint64_t elapsed_ns;
	bool hard;
};

static uint64_t now_ticks(const struct kiln_engine *eng)
{
	return (kiln_os_now_ns() - eng->origin_ns) / eng->tick_ns + 1;
}

uint64_t kiln_rt_ns_to_ticks(const struct kiln_engine *eng, uint64_t ns)
{
	uint64_t ticks;
	if (ns == 0)
		return 0;
	ticks = ns / eng->tick_ns + (ns % eng->tick_ns != 0);
	return ticks;
}

/* What the timer read of a thread's published frame. */
struct view {
	struct kiln_engine *engine;
	struct kiln_instance *inst;
	const char *name;
	uint64_t id, start, soft, hard;
};

/* Read @t's innermost frame: 0 when there is none, -1 when it changed while
 * being read (the thread is entering or leaving a call), 1 otherwise.
 * The frame lies on @t's stack, which stays mapped while @t is registered;
 * once popped its bytes may belong to another function, which the check at
 * the end catches.  AddressSanitizer would flag those reads (the stack's
 * new owner may have poisoned them): they are deliberate, so not
 * instrumented. */
static __attribute__((noinline, no_sanitize_address)) int look(struct kiln_thread *t,
								 struct view *v)
{
	struct kiln_frame *f = __atomic_load_n(&t->frame, __ATOMIC_ACQUIRE);
	if (f == NULL)
		return 0;
	v->id = atomic_load_explicit(&f->id, memory_order_relaxed);
	v->engine = __atomic_load_n(&f->engine, __ATOMIC_RELAXED);
	v->inst = __atomic_load_n(&f->inst, __ATOMIC_RELAXED);
	v->name = __atomic_load_n(&f->name, __ATOMIC_RELAXED);
	v->start = atomic_load_explicit(&f->start_tick, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (__atomic_load_n(&t->frame, __ATOMIC_RELAXED) != f ||
	    atomic_load_explicit(&f->id, memory_order_relaxed) != v->id)
		return -1;
	return 1;
}

/* Stop a call at its hard deadline: flag, fuel, signal.  The frame is
 * live, so its instance is (and kiln_instance_free waits for timer_lock). */
static void interrupt(struct kiln_engine *eng, struct kiln_thread *t, const struct view *v,
		      uint64_t now)
{
	t->kill_frame = v->id;
	t->kill_tick = now;
	atomic_store_explicit(&t->interrupt_id, v->id, memory_order_release);
	if (v->inst->fuel != NULL)
		__atomic_fetch_sub(v->inst->fuel, (uint64_t)KILN_FUEL_BIAS, __ATOMIC_RELAXED);
	pthread_kill(t->self, eng->sig);
}

/* One pass over the threads.  Returns whether any thread may be in a call
 * (of this engine, or changing state). */
static bool scan(struct kiln_engine *eng, uint64_t now, struct note *notes, unsigned *nnotes)
{
	bool active = false;
	struct view v;

	kiln_rt_threads_lock();
	for (struct kiln_thread *t = kiln_rt_threads_first(); t != NULL; t = t->next) {
		uint64_t elapsed;
		int seen = look(t, &v);
		if (seen < 0)
			active = true;
		if (seen <= 0 || v.engine != eng)
			continue;
		/* A live frame of this engine: its instance cannot be freed
		 * while we hold timer_lock. */
		v.soft = v.inst->soft_ticks;
		v.hard = v.inst->hard_ticks;
		active = true;
		if (notes == NULL)
			continue;
		if (v.start <= eng->idle_epoch)
			v.start = eng->wake_epoch;
		elapsed = now > v.start ? now - v.start : 0;
		/* Strictly more ticks than the deadline: the start tick may be
		 * up to one tick older than the call. */
		if (v.hard != 0 && elapsed > v.hard) {
			if (t->kill_frame != v.id) {
				interrupt(eng, t, &v, now);
				if (*nnotes < MAX_NOTES)
					notes[(*nnotes)++] = (struct note){v.inst, v.name,
									   elapsed * eng->tick_ns, true};
			} else if (now - t->kill_tick >= 2) {
				t->kill_tick = now;
				pthread_kill(t->self, eng->sig);
			}
		}
		if (v.soft != 0 && elapsed > v.soft && t->soft_done != v.id && *nnotes < MAX_NOTES) {
			t->soft_done = v.id;
			notes[(*nnotes)++] = (struct note){v.inst, v.name, elapsed * eng->tick_ns, false};
		}
	}
	kiln_rt_threads_unlock();
	return active;
}

static void report(struct kiln_engine *eng, const struct note *n)
{
	const char *ext = n->inst->ext->name != NULL ? n->inst->ext->name : "?";
	if (n->hard) {
		kiln_rt_log(eng, KILN_LOG_WARN,
			    "extension %s: %s stopped at its hard deadline (%llu ms) after %llu ms",
			    ext, n->export_name, (unsigned long long)(n->inst->hard_ns / 1000000u),
			    (unsigned long long)(n->elapsed_ns / 1000000u));
		return;
	}
	kiln_rt_log(eng, KILN_LOG_WARN,
		    "extension %s: %s passed its soft deadline (%llu ms) and still runs after %llu ms",
		    ext, n->export_name, (unsigned long long)(n->inst->soft_ns / 1000000u),
		    (unsigned long long)(n->elapsed_ns / 1000000u));
	if (eng->cfg.soft_deadline != NULL)
		eng->cfg.soft_deadline(eng->cfg.user, n->inst, n->export_name, n->elapsed_ns);
}

static void sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {(time_t)(deadline_ns / 1000000000u), (long)(deadline_ns % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *timer_main(void *arg)
{
	struct kiln_engine *eng = arg;
	struct note notes[MAX_NOTES];

	pthread_mutex_lock(&eng->timer_lock);
	for (;;) {
		unsigned nnotes = 0;
		uint64_t now;
		while (!eng->timer_stop && atomic_load(&eng->timer_idle))
			pthread_cond_wait(&eng->timer_cond, &eng->timer_lock);
		if (eng->timer_stop)
			break;
		now = atomic_load_explicit(&eng->epoch, memory_order_relaxed);
		pthread_mutex_unlock(&eng->timer_lock);
		sleep_until(eng->origin_ns + now * eng->tick_ns);
		pthread_mutex_lock(&eng->timer_lock);
		if (eng->timer_stop)
			break;
		now = now_ticks(eng);
		atomic_store_explicit(&eng->epoch, now, memory_order_release);
		if (scan(eng, now, notes, &nnotes))
			eng->timer_quiet = 0;
		else
			eng->timer_quiet++;
		for (unsigned i = 0; i < nnotes; i++)
			report(eng, &notes[i]);
		if (eng->timer_quiet < KILN_TIMER_QUIET_TICKS)
			continue;
		eng->idle_epoch = now;
		atomic_store(&eng->timer_idle, 1);
		if (kiln_rt_fence)
			atomic_thread_fence(memory_order_seq_cst);
		else
			kiln_os_membarrier();
		if (scan(eng, now, NULL, NULL)) {
			atomic_store(&eng->timer_idle, 0);
			eng->timer_quiet = 0;
		}
	}
	pthread_mutex_unlock(&eng->timer_lock);
	return NULL;
}

/* Called by a thread entering wasm, with frame @f published, that found
 * the timer asleep.  Refreshes @f's start tick, which was read from the
 * stale epoch. */
void kiln_rt_timer_wake(struct kiln_engine *eng, struct kiln_frame *f)
{
	pthread_mutex_lock(&eng->timer_lock);
	if (atomic_load(&eng->timer_idle)) {
		uint64_t now = now_ticks(eng);
		atomic_store_explicit(&eng->epoch, now, memory_order_relaxed);
		eng->wake_epoch = now;
		eng->timer_quiet = 0;
		atomic_store(&eng->timer_idle, 0);
		pthread_cond_signal(&eng->timer_cond);
	}
	atomic_store_explicit(&f->start_tick,
			      atomic_load_explicit(&eng->epoch, memory_order_relaxed),
			      memory_order_relaxed);
	pthread_mutex_unlock(&eng->timer_lock);
}

int kiln_rt_timer_start(struct kiln_engine *eng, struct kiln_err *err)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	eng->origin_ns = kiln_os_now_ns();
	atomic_store(&eng->epoch, 1);
	atomic_store(&eng->timer_idle, 1);
	eng->idle_epoch = 1;
	pthread_mutex_init(&eng->timer_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&eng->timer_cond, &ca);
	pthread_condattr_destroy(&ca);
	/* The timer thread takes no signals: process-directed ones go to the
	 * host's threads, and it never runs wasm. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&eng->timer_thread, NULL, timer_main, eng);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&eng->timer_cond);
		pthread_mutex_destroy(&eng->timer_lock);
		return kiln_err_set(err, KILN_EINTERNAL, "cannot start the deadline timer: %s",
				    strerror(rc));
	}
	eng->timer_started = true;
	return KILN_OK;
}

void kiln_rt_timer_stop(struct kiln_engine *eng)
{
	if (!eng->timer_started)
		return;
	pthread_mutex_lock(&eng->timer_lock);
	eng->timer_stop = true;
	pthread_cond_signal(&eng->timer_cond);
	pthread_mutex_unlock(&eng->timer_lock);
	pthread_join(eng->timer_thread, NULL);
	pthread_cond_destroy(&eng->timer_cond);
	pthread_mutex_destroy(&eng->timer_lock);
	eng->timer_started = false;
}
