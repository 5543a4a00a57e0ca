/*
 * timer.c — each engine's deadline thread.
 *
 * The thread keeps a coarse clock, `epoch` (ticks since the engine
 * started), so that entering wasm reads a variable instead of the clock.
 * Every tick it scans the registered threads; a thread running a call of
 * this engine has published (seqlock, see instance.c) its instance, frame
 * id, start tick and deadlines.
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
 * entering wasm publishes itself, then reads `timer_idle` and wakes the
 * timer if set.  That store-then-load races with the timer's
 * set-idle-then-rescan (Dekker): the timer issues membarrier() between its
 * store and its rescan, which lets the entry path get away with a compiler
 * barrier; where membarrier is unavailable the entry path uses a fence.
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

/* Soft deadlines found in one scan, reported after the thread registry is
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

static bool snapshot(struct kiln_thread *t, struct kiln_pub *p)
{
	uint64_t s1 = atomic_load_explicit(&t->seq, memory_order_acquire);
	if (s1 & 1)
		return false;
	p->engine = atomic_load_explicit(&t->pub_engine, memory_order_relaxed);
	p->inst = atomic_load_explicit(&t->pub_inst, memory_order_relaxed);
	p->export_name = atomic_load_explicit(&t->pub_export, memory_order_relaxed);
	p->frame_id = atomic_load_explicit(&t->pub_frame, memory_order_relaxed);
	p->start_tick = atomic_load_explicit(&t->pub_start, memory_order_relaxed);
	p->soft_ticks = atomic_load_explicit(&t->pub_soft, memory_order_relaxed);
	p->hard_ticks = atomic_load_explicit(&t->pub_hard, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&t->seq, memory_order_relaxed) == s1;
}

/* Stop a call at its hard deadline: flag, fuel, signal. */
static void interrupt(struct kiln_engine *eng, struct kiln_thread *t, const struct kiln_pub *p,
		      uint64_t now)
{
	t->kill_frame = p->frame_id;
	t->kill_tick = now;
	atomic_store_explicit(&t->interrupt_id, p->frame_id, memory_order_release);
	if (p->inst->fuel != NULL)
		__atomic_fetch_sub(p->inst->fuel, (uint64_t)KILN_FUEL_BIAS, __ATOMIC_RELAXED);
	pthread_kill(t->self, eng->sig);
}

/* One pass over the threads.  Returns whether any thread may be in a call
 * (of this engine, or changing state). */
static bool scan(struct kiln_engine *eng, uint64_t now, struct note *notes, unsigned *nnotes)
{
	bool active = false;
	struct kiln_pub p;

	kiln_rt_threads_lock();
	for (struct kiln_thread *t = kiln_rt_threads_first(); t != NULL; t = t->next) {
		uint64_t elapsed;
		if (!snapshot(t, &p)) {
			active = true;
			continue;
		}
		if (p.inst == NULL || p.engine != eng)
			continue;
		active = true;
		if (notes == NULL)
			continue;
		elapsed = now > p.start_tick ? now - p.start_tick : 0;
		/* Strictly more ticks than the deadline: the start tick may be
		 * up to one tick older than the call. */
		if (p.hard_ticks != 0 && elapsed > p.hard_ticks) {
			if (t->kill_frame != p.frame_id) {
				interrupt(eng, t, &p, now);
				if (*nnotes < MAX_NOTES)
					notes[(*nnotes)++] = (struct note){p.inst, p.export_name,
									   elapsed * eng->tick_ns, true};
			} else if (now - t->kill_tick >= 2) {
				t->kill_tick = now;
				pthread_kill(t->self, eng->sig);
			}
		}
		if (p.soft_ticks != 0 && elapsed > p.soft_ticks && t->soft_done != p.frame_id &&
		    *nnotes < MAX_NOTES) {
			t->soft_done = p.frame_id;
			notes[(*nnotes)++] =
				(struct note){p.inst, p.export_name, elapsed * eng->tick_ns, false};
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
		atomic_store(&eng->timer_idle, 1);
		if (kiln_rt_fence_needed())
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

/* Called by a thread entering wasm that found the timer asleep. */
void kiln_rt_timer_wake(struct kiln_engine *eng)
{
	pthread_mutex_lock(&eng->timer_lock);
	if (atomic_load(&eng->timer_idle)) {
		atomic_store_explicit(&eng->epoch, now_ticks(eng), memory_order_relaxed);
		eng->timer_quiet = 0;
		atomic_store(&eng->timer_idle, 0);
		pthread_cond_signal(&eng->timer_cond);
	}
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
