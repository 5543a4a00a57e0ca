/*
 * trap.c — per-thread state, the signal handlers and the one way out of
 * wasm code: a jump (KILN_LONGJMP) to the innermost frame of the trap
 * boundary (instance.c).
 *
 * Fault filtering.  SIGSEGV and SIGBUS become a trap only when the thread
 * is running wasm code (a frame is active and no host function is running)
 * and the fault address lies in a memory slot pool (out of bounds) or just
 * below the thread's stack (stack exhaustion).  Any other fault goes to the
 * handler that was installed before ours or, if there was none, gets the
 * default action back and happens again, so that a host bug still dumps
 * core with the real signal.
 *
 * Signal masks.  Entering wasm does not save the mask (no system call).  A
 * handler that leaves by a jump leaves its signal blocked, so it records
 * the mask the interrupted code ran with (from its ucontext) and the
 * boundary's trap path restores it after the jump.  Not before: a second
 * signal (the timer repeats its interrupt) would then run the handler again
 * in the middle of the jump.
 *
 * The handlers use only async-signal-safe calls and touch only TLS and the
 * fixed table of pool ranges: no malloc, no locks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "rt_impl.h"
#include "rt_os.h"

__thread struct kiln_thread kiln_rt_thread __attribute__((tls_model("initial-exec")));

/* Size of the alternate signal stack the runtime gives a thread that has
 * none (or too small a one); handlers we chain to may need room too. */
#define ALTSTACK_SIZE (256u << 10)
/* Faults this far below a thread's stack are still stack exhaustion: a
 * frame larger than the guard page can skip over it. */
#define STACK_FAULT_SLACK (1u << 20)

struct pool_range {
	_Atomic uintptr_t lo, hi;
	struct kiln_engine *_Atomic eng;
	_Atomic uint32_t first_slot;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* signals, ranges */
static struct pool_range g_ranges[KILN_MAX_RANGES];
static int g_sig_refs;
static int g_intr_sig;
static struct sigaction g_old_segv, g_old_bus, g_old_intr;
bool kiln_rt_fence = true;

static pthread_mutex_t g_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kiln_thread *g_threads;
static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const char *const kind_names[KILN_TRAP_KIND_COUNT] = {
	[KILN_TRAP_NONE] = "none",
	[KILN_TRAP_OUT_OF_BOUNDS] = "out of bounds",
	[KILN_TRAP_DIV_BY_ZERO] = "integer divide by zero",
	[KILN_TRAP_INT_OVERFLOW] = "integer overflow",
	[KILN_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
	[KILN_TRAP_UNREACHABLE] = "unreachable",
	[KILN_TRAP_INDIRECT_CALL] = "indirect call (null or type mismatch)",
	[KILN_TRAP_STACK_EXHAUSTION] = "stack exhaustion",
	[KILN_TRAP_FUEL] = "fuel exhausted",
	[KILN_TRAP_DEADLINE] = "deadline",
	[KILN_TRAP_EXIT] = "exit",
	[KILN_TRAP_HOST] = "host function",
	[KILN_TRAP_EXCEPTION] = "uncaught exception",
};

const char *kiln_trap_kind_name(enum kiln_trap_kind kind)
{
	if ((unsigned)kind < KILN_TRAP_KIND_COUNT)
		return kind_names[kind];
	return "unknown trap";
}

void kiln_rt_misuse(const char *fmt, ...)
{
	va_list ap;
	fputs("kiln: API misuse: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void kiln_rt_trap(struct kiln_thread *t, enum kiln_trap_kind kind)
{
	if (t->frame == NULL)
		kiln_rt_misuse("trap (%s) outside any call into wasm", kiln_trap_kind_name(kind));
	t->trap_kind = kind;
	KILN_LONGJMP(t->frame->jmp);
}

void kiln_rt_fail(struct kiln_thread *t, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->fail_msg, sizeof t->fail_msg, fmt, ap);
	va_end(ap);
	if (t->frame == NULL)
		kiln_rt_misuse("%s (outside any instantiation)", t->fail_msg);
	t->fail_status = status;
	kiln_rt_trap(t, KILN_TRAP_RESOURCE);
}

void kiln_trap_exit(int code)
{
	struct kiln_thread *t = &kiln_rt_thread;
	t->exit_code = code;
	kiln_rt_trap(t, KILN_TRAP_EXIT);
}

void kiln_trap_raise(enum kiln_trap_kind kind)
{
	if (kind == KILN_TRAP_NONE || (unsigned)kind >= KILN_TRAP_KIND_COUNT)
		kiln_rt_misuse("kiln_trap_raise: invalid trap kind %d", (int)kind);
	kiln_rt_trap(&kiln_rt_thread, kind);
}

void kiln_host_enter(void)
{
	kiln_rt_host_enter(&kiln_rt_thread);
}

void kiln_host_leave(void)
{
	kiln_rt_host_leave(&kiln_rt_thread);
}

enum kiln_trap_kind kiln_trap_last(int *exit_code)
{
	struct kiln_thread *t = &kiln_rt_thread;
	if (exit_code != NULL)
		*exit_code = t->last_trap == KILN_TRAP_EXIT ? t->last_exit : 0;
	return t->last_trap;
}

struct kiln_instance *kiln_instance_current(void)
{
	struct kiln_frame *f = kiln_rt_thread.frame;
	return f != NULL ? f->inst : NULL;
}

/* ---- Pool ranges, read by the fault handler without locks ---- */

int kiln_rt_range_add(uintptr_t lo, uintptr_t hi, struct kiln_engine *eng, uint32_t first_slot)
{
	int index = -1;
	pthread_mutex_lock(&g_lock);
	for (int i = 0; i < KILN_MAX_RANGES; i++) {
		if (atomic_load_explicit(&g_ranges[i].hi, memory_order_relaxed) == 0) {
			atomic_store_explicit(&g_ranges[i].eng, eng, memory_order_relaxed);
			atomic_store_explicit(&g_ranges[i].first_slot, first_slot,
					      memory_order_relaxed);
			atomic_store_explicit(&g_ranges[i].lo, lo, memory_order_relaxed);
			atomic_store_explicit(&g_ranges[i].hi, hi, memory_order_release);
			index = i;
			break;
		}
	}
	pthread_mutex_unlock(&g_lock);
	return index;
}

void kiln_rt_range_remove(int index)
{
	pthread_mutex_lock(&g_lock);
	atomic_store_explicit(&g_ranges[index].hi, 0, memory_order_release);
	atomic_store_explicit(&g_ranges[index].lo, 0, memory_order_relaxed);
	pthread_mutex_unlock(&g_lock);
}

struct kiln_engine *kiln_rt_engine_of(const void *addr, uint32_t *slot)
{
	uintptr_t a = (uintptr_t)addr;
	for (int i = 0; i < KILN_MAX_RANGES; i++) {
		uintptr_t hi = atomic_load_explicit(&g_ranges[i].hi, memory_order_acquire);
		uintptr_t lo = atomic_load_explicit(&g_ranges[i].lo, memory_order_relaxed);
		if (a >= lo && a < hi) {
			*slot = atomic_load_explicit(&g_ranges[i].first_slot, memory_order_relaxed) +
				(uint32_t)((a - lo) / KILN_SLOT_STRIDE);
			return atomic_load_explicit(&g_ranges[i].eng, memory_order_relaxed);
		}
	}
	return NULL;
}

static bool in_pool(uintptr_t a)
{
	for (int i = 0; i < KILN_MAX_RANGES; i++) {
		uintptr_t hi = atomic_load_explicit(&g_ranges[i].hi, memory_order_acquire);
		uintptr_t lo = atomic_load_explicit(&g_ranges[i].lo, memory_order_relaxed);
		if (a >= lo && a < hi)
			return true;
	}
	return false;
}

/* ---- Signal handlers ---- */

static __attribute__((noreturn)) void leave_handler(struct kiln_thread *t, void *ucv,
						   enum kiln_trap_kind kind)
{
	const ucontext_t *uc = ucv;
	memcpy(&t->trap_mask, &uc->uc_sigmask, sizeof t->trap_mask);
	t->trap_mask_set = true;
	t->trap_kind = kind;
	KILN_LONGJMP(t->frame->jmp);
}

/* Not ours: hand the signal to whoever had it, or let it kill us. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *old = sig == SIGSEGV ? &g_old_segv : &g_old_bus;
	struct sigaction dfl;

	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
	    old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/* Default action: returning re-executes the faulting instruction,
	 * which now kills the process with this signal and a core dump.  A
	 * signal that was sent rather than caused would not recur: raise it
	 * (it stays blocked until we return). */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct kiln_thread *t = &kiln_rt_thread;
	int saved_errno = errno;

	if (t->frame != NULL && t->in_host == 0 && si->si_code > 0) {
		uintptr_t a = (uintptr_t)si->si_addr;
		t->fault_addr = a;
		if (in_pool(a))
			leave_handler(t, uc, KILN_TRAP_OUT_OF_BOUNDS);
		if (a >= t->guard_lo && a < t->guard_hi)
			leave_handler(t, uc, KILN_TRAP_STACK_EXHAUSTION);
	}
	chain(sig, si, uc);
	errno = saved_errno;
}

/* The timer's hard-deadline signal.  Stale or early signals (the thread has
 * left the frame, or is inside a host function) are ignored: the host
 * function's kiln_host_leave() acts on the flag instead. */
static void on_interrupt(int sig, siginfo_t *si, void *uc)
{
	struct kiln_thread *t = &kiln_rt_thread;
	(void)sig;
	(void)si;
	if (t->in_host == 0 && kiln_rt_interrupted(t))
		leave_handler(t, uc, KILN_TRAP_DEADLINE);
}

static bool handler_is_set(const struct sigaction *sa)
{
	if (sa->sa_flags & SA_SIGINFO)
		return sa->sa_sigaction != NULL;
	return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

int kiln_rt_signals_acquire(int sig, struct kiln_err *err)
{
	struct sigaction sa, cur;
	int rc = KILN_OK;

	pthread_mutex_lock(&g_lock);
	if (g_sig_refs > 0) {
		if (sig != g_intr_sig) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "interrupt signal %d: another engine already uses signal %d",
					  sig, g_intr_sig);
			goto out;
		}
		g_sig_refs++;
		goto out;
	}
	if (sig <= 0 || sig >= NSIG || sig == SIGSEGV || sig == SIGBUS || sig == SIGKILL ||
	    sig == SIGSTOP) {
		rc = kiln_err_set(err, KILN_EINVAL, "interrupt signal %d cannot be used", sig);
		goto out;
	}
	if (sigaction(sig, NULL, &cur) != 0 || handler_is_set(&cur)) {
		rc = kiln_err_set(err, KILN_EINVAL,
				  "interrupt signal %d already has a handler; choose another "
				  "in kiln_engine_config.interrupt_signal",
				  sig);
		goto out;
	}
	kiln_rt_fence = kiln_os_membarrier_init() != 0;

	/* Our handlers never nest: a jump out of one must not be overtaken
	 * by another that would record the first one's mask. */
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGSEGV);
	sigaddset(&sa.sa_mask, SIGBUS);
	sigaddset(&sa.sa_mask, sig);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sa.sa_sigaction = on_fault;
	sigaction(SIGSEGV, &sa, &g_old_segv);
	sigaction(SIGBUS, &sa, &g_old_bus);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sa.sa_sigaction = on_interrupt;
	sigaction(sig, &sa, &g_old_intr);
	g_intr_sig = sig;
	g_sig_refs = 1;
out:
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static void restore_if_ours(int sig, void (*ours)(int, siginfo_t *, void *),
			    const struct sigaction *old)
{
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == ours)
		sigaction(sig, old, NULL);
}

void kiln_rt_signals_release(void)
{
	pthread_mutex_lock(&g_lock);
	if (g_sig_refs > 0 && --g_sig_refs == 0) {
		restore_if_ours(SIGSEGV, on_fault, &g_old_segv);
		restore_if_ours(SIGBUS, on_fault, &g_old_bus);
		restore_if_ours(g_intr_sig, on_interrupt, &g_old_intr);
	}
	pthread_mutex_unlock(&g_lock);
}

/* ---- Thread registry ---- */

static void thread_exit(void *p)
{
	struct kiln_thread *t = p;
	kiln_rt_threads_lock();
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		g_threads = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
	kiln_rt_threads_unlock();
	if (t->altstack != NULL) {
		stack_t ss;
		memset(&ss, 0, sizeof ss);
		ss.ss_flags = SS_DISABLE;
		sigaltstack(&ss, NULL);
		munmap(t->altstack, t->altstack_size);
		t->altstack = NULL;
	}
	t->registered = false;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&g_threads_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&g_threads_lock);
}

/* Only the forking thread exists in the child: forget the others so that a
 * timer started in the child never signals a thread that is not there. */
static void atfork_child(void)
{
	struct kiln_thread *t = &kiln_rt_thread;
	g_threads = NULL;
	if (t->registered) {
		t->next = t->prev = NULL;
		t->self = pthread_self();
		g_threads = t;
	}
	pthread_mutex_unlock(&g_threads_lock);
}

static void once_init(void)
{
	if (pthread_key_create(&g_key, thread_exit) != 0)
		kiln_rt_misuse("cannot create the thread key");
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void setup_altstack(struct kiln_thread *t)
{
	stack_t old, ss;
	size_t page = kiln_os_page_size();
	void *p;

	if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) &&
	    old.ss_size >= ALTSTACK_SIZE / 4)
		return;
	/* A guard page below, so that an overflowing handler faults. */
	p = mmap(NULL, ALTSTACK_SIZE + page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		kiln_rt_misuse("cannot map an alternate signal stack: %s", strerror(errno));
	mprotect(p, page, PROT_NONE);
	memset(&ss, 0, sizeof ss);
	ss.ss_sp = (char *)p + page;
	ss.ss_size = ALTSTACK_SIZE;
	if (sigaltstack(&ss, NULL) != 0)
		kiln_rt_misuse("cannot install an alternate signal stack: %s", strerror(errno));
	t->altstack = p;
	t->altstack_size = ALTSTACK_SIZE + page;
}

/* First entry into wasm on this thread: learn the stack bounds, give the
 * thread an alternate signal stack (stack overflows are handled on it),
 * make sure our signals are not blocked and join the registry the deadline
 * timers scan. */
void kiln_rt_thread_register(struct kiln_thread *t)
{
	uintptr_t lo, hi;
	size_t guard, page = kiln_os_page_size();
	sigset_t set;
	int rc;

	pthread_once(&g_once, once_init);
	if ((rc = kiln_os_stack_bounds(&lo, &hi, &guard)) != 0)
		kiln_rt_misuse("cannot find the bounds of this thread's stack: %s", strerror(rc));
	if (guard < page)
		guard = page;
	t->stack_lo = lo;
	t->guard_lo = lo > guard + STACK_FAULT_SLACK ? lo - guard - STACK_FAULT_SLACK : 0;
	t->guard_hi = lo + page;
	setup_altstack(t);

	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigaddset(&set, SIGBUS);
	if (g_intr_sig > 0)
		sigaddset(&set, g_intr_sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	t->self = pthread_self();
	kiln_rt_threads_lock();
	t->prev = NULL;
	t->next = g_threads;
	if (g_threads != NULL)
		g_threads->prev = t;
	g_threads = t;
	kiln_rt_threads_unlock();
	pthread_setspecific(g_key, t);
	t->registered = true;
}

void kiln_rt_threads_lock(void)
{
	pthread_mutex_lock(&g_threads_lock);
}

void kiln_rt_threads_unlock(void)
{
	pthread_mutex_unlock(&g_threads_lock);
}

struct kiln_thread *kiln_rt_threads_first(void)
{
	return g_threads;
}
