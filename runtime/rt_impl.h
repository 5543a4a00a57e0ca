/*
 * rt_impl.h — what the files of libkiln-rt share and nothing outside may
 * use: the engine, instance, per-thread and per-call structures, and the
 * internal functions (prefixed kiln_rt_).
 *
 * The moving parts, one file each:
 *   trap.c      per-thread state, signal handlers, trapping, fault filtering
 *   memory.c    the slot pool and wasm-rt.h memories
 *   wasm_rt.c   the rest of wasm-rt.h: init, function types, tables, exceptions
 *   timer.c     the engine's epoch and deadline thread
 *   engine.c    engines and extension records
 *   instance.c  instances, the trap boundary, calls, stats, memory accessors
 *   fuel.c      kiln.fuel_exhausted and fuel sharing between instances
 *   host_api.c  kiln.log and kiln.config_get, the guest side of the host API
 *   host_config.c  configuration copies, the log rate limit, protocol, health
 *   wasi_imports.c  the wasi_snapshot_preview1 imports (the WASI layer,
 *               wasi_*.c, has its own header, wasi_impl.h)
 */
#ifndef KILN_RT_IMPL_H
#define KILN_RT_IMPL_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kiln_rt.h"

/* Address space of one 32-bit memory: 4 GiB of addresses plus 4 GiB of
 * static offsets (wasm2c computes data + (u64)addr + offset). */
#define KILN_MEMORY_RESERVE (8ull << 30)
/* The last access wasm2c can make starts 2 bytes before the end of a
 * reservation and ends 6 bytes past it.  It faults on its first byte
 * anyway; one wasm page of guard between slots makes sure that no part of
 * any access can ever land in the next slot. */
#define KILN_SLOT_GUARD ((uint64_t)KILN_PAGE_SIZE)
#define KILN_SLOT_STRIDE (KILN_MEMORY_RESERVE + KILN_SLOT_GUARD)
/* Pages a 32-bit memory may have: 65536 would not fit wasm_rt_memory_t.size. */
#define KILN_MAX_PAGES 65535u
/* Freed memories up to this size are zeroed in place and stay resident
 * (memory.c), as long as an engine's free slots keep no more than
 * KILN_POOL_KEEP_BYTES that way. */
#ifndef KILN_ZERO_IN_PLACE_MAX
#define KILN_ZERO_IN_PLACE_MAX (256u << 10)
#endif
#ifndef KILN_POOL_KEEP_BYTES
#define KILN_POOL_KEEP_BYTES (64u << 20)
#endif
/* Address ranges (pool reservations) of all engines together, which the
 * fault handler scans: a bounded table, no locks. */
#define KILN_MAX_RANGES 64
/* Largest table, in elements, so that a module cannot make the host
 * allocate gigabytes for one table. */
#ifndef KILN_TABLE_MAX_ELEMENTS
#define KILN_TABLE_MAX_ELEMENTS 10000000u
#endif
/* Largest wasm exception payload (wasm_rt_load_exception). */
#define KILN_EXCEPTION_MAX 256u
/* Instances a call's fuel can be spread over (linked modules). */
#define KILN_FRAME_HOLDERS 8
/* The timer drives a counter negative by this much at a hard deadline;
 * budgets stay below KILN_FUEL_MAX = 2^61 so a biased counter is always
 * below -2^61 and an unbiased one above -2^60. */
#define KILN_FUEL_BIAS (1ll << 62)
/* Private trap kind: instantiation failed for lack of a resource (status
 * and message in the thread's fail_status/fail_msg), not a guest trap. */
#define KILN_TRAP_RESOURCE ((enum kiln_trap_kind)(KILN_TRAP_KIND_COUNT + 1))
/* Timer ticks without any call before the timer goes to sleep. */
#define KILN_TIMER_QUIET_TICKS 100u

/*
 * The trap boundary's jump buffer.  GCC and clang's __builtin_setjmp saves
 * three words (frame, stack, resume address) and lets the compiler reload
 * everything else after a jump: about 1 ns where sigsetjmp(buf, 0), with
 * its eight saved registers and two calls into libc, costs 3-4.  Neither
 * saves the signal mask.  Sanitizer builds keep sigsetjmp, whose longjmp
 * AddressSanitizer intercepts to unpoison the stack it skips.
 */
#if defined(__SANITIZE_ADDRESS__) && !defined(KILN_USE_SIGSETJMP)
#define KILN_USE_SIGSETJMP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(KILN_USE_SIGSETJMP)
#define KILN_USE_SIGSETJMP 1
#endif
#endif
#ifdef KILN_USE_SIGSETJMP
typedef sigjmp_buf kiln_jmp_buf;
#define KILN_SETJMP(buf) sigsetjmp(buf, 0)
#define KILN_LONGJMP(buf) siglongjmp(buf, 1)
#else
typedef void *kiln_jmp_buf[5];
#define KILN_SETJMP(buf) __builtin_setjmp(buf)
#define KILN_LONGJMP(buf) __builtin_longjmp(buf, 1)
#endif

/* One entry into wasm (a call or an instantiation), on the C stack of the
 * boundary.  Frames nest when a host function calls back into wasm.
 *
 * The engine's timer reads a thread's innermost frame (kiln_thread.frame)
 * and the fields marked (timer) from that thread's stack: they are written
 * before the frame becomes the innermost, except start_tick, which may be
 * refreshed later (see timer.c), and the timer checks afterwards that the
 * same frame (address and id) is still the innermost. */
struct kiln_frame {
	kiln_jmp_buf jmp;
	struct kiln_frame *prev;
	struct kiln_instance *inst;        /* (timer) */
	struct kiln_engine *engine;        /* (timer) */
	const char *name;                  /* (timer) export, for logs */
	_Atomic uint64_t id;               /* (timer) unique per thread */
	_Atomic uint64_t start_tick;       /* (timer) engine epoch at entry */
	unsigned saved_in_host;
	void *saved_unwind;
	struct kiln_instance *saved_instantiating;
	int64_t pending_fuel;
	struct kiln_instance *holders[KILN_FRAME_HOLDERS];
	unsigned nholders;
};

/* Per-thread state, in initial-exec TLS so that the signal handlers and the
 * call path reach it with one segment-relative access. */
struct kiln_thread {
	/* Read by the signal handlers. */
	struct kiln_frame *frame;   /* innermost entry into wasm; NULL outside;
				     * stored with release order (timer.c) */
	unsigned in_host;           /* depth of runtime/host code called by wasm */
	uintptr_t stack_lo;         /* lowest usable stack address */
	uintptr_t guard_lo, guard_hi; /* faults here are stack exhaustion */
	_Atomic uint64_t interrupt_id; /* frame the timer wants stopped */

	/* Trap report, written just before the jump back to the boundary. */
	enum kiln_trap_kind trap_kind;
	bool trap_mask_set;         /* a handler jumped: restore trap_mask */
	sigset_t trap_mask;
	int exit_code;
	uintptr_t fault_addr;
	int fail_status;
	char fail_msg[160];
	enum kiln_trap_kind last_trap;
	int last_exit;

	struct kiln_instance *instantiating;
	void *unwind_target;        /* wasm_rt exception unwind target */
	uint64_t next_frame_id;

	/* Timer-private, under the thread registry lock. */
	uint64_t soft_done;         /* frame whose soft deadline was reported */
	uint64_t kill_frame;        /* frame last signalled, and when */
	uint64_t kill_tick;

	bool registered;
	pthread_t self;
	void *altstack;             /* ours, or NULL when the thread had one */
	size_t altstack_size;
	struct kiln_thread *next, *prev; /* thread registry */

	uint32_t exc_tag, exc_size;
	unsigned char exc[KILN_EXCEPTION_MAX];
};

extern __thread struct kiln_thread kiln_rt_thread __attribute__((tls_model("initial-exec")));

/* One slot of the memory pool. */
struct kiln_slot {
	uint8_t *base;
	struct kiln_instance *owner; /* NULL for host-made memories */
	uint64_t accessible;         /* bytes at the slot's start mapped RW */
	uint64_t kept;               /* free slot: bytes zeroed and resident */
	uint32_t limit_pages;        /* min(module max, cap, KILN_MAX_PAGES) */
	uint32_t next_free;
};

/* A pool is one reservation when the address space allows, else several
 * (each registered as a range for the fault handler). */
struct kiln_chunk {
	uint8_t *base;
	uint64_t size;
	int range;
};

struct kiln_pool {
	struct kiln_chunk chunks[KILN_MAX_RANGES];
	unsigned nchunks;
	uint32_t nslots;
	pthread_mutex_t lock;
	uint32_t free_head; /* UINT32_MAX: none */
	uint32_t live;      /* slots in use, retired ones included */
	uint32_t retired;   /* slots that could not be reset */
	uint64_t kept;      /* sum of the free slots' kept bytes */
	struct kiln_slot *slots;
	bool ready;
};

struct kiln_ext_rec {
	const struct kiln_extension *ext;
	struct kiln_ext_rec *next;
	struct kiln_instance *live; /* list through rec_next/rec_prev */
	uint32_t live_count;
	struct kiln_stats retired;  /* sums of freed instances */
};

struct kiln_engine {
	struct kiln_engine_config cfg;
	int sig;
	uint64_t tick_ns;
	struct kiln_pool pool;

	pthread_mutex_t lock; /* recs, live lists, live count */
	struct kiln_ext_rec *recs;
	uint64_t live_instances;
	/* Instances whose instantiation trapped after their functions may
	 * have reached another instance (instance.c), kept until the engine
	 * goes; listed through rec_next. */
	struct kiln_instance *failed;

	/* Timer (timer.c). */
	_Atomic uint64_t epoch; /* ticks since origin_ns; starts at 1 */
	_Atomic int timer_idle;
	uint64_t idle_epoch;    /* epoch when the timer last went to sleep */
	uint64_t wake_epoch;    /* and when it was woken */
	uint64_t origin_ns;
	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cond;
	pthread_t timer_thread;
	bool timer_started;
	bool timer_stop;
	unsigned timer_quiet;

	struct kiln_engine *next_engine; /* live engines, newest first */
};

struct kiln_instance {
	struct kiln_engine *engine;
	const struct kiln_extension *ext;
	const struct kiln_module_desc *desc;
	struct kiln_ext_rec *rec;
	void *mi;                   /* wasm2c module instance */
	uint64_t *fuel;             /* the __kiln_fuel global; NULL without fuel */
	void **import_ctx;
	const struct kiln_export_desc *cache; /* last export called by name */
	const struct kiln_export_desc *initialize; /* _initialize, run when instantiating */
	int64_t fuel_per_call;      /* current budget of each call */
	int64_t fuel_grant;         /* the grant's, restored by set_fuel(0) */
	int64_t fuel_instantiate;
	int64_t fuel_left;
	int64_t fuel_used;
	uint64_t soft_ns, hard_ns;  /* 0: none */
	uint64_t soft_ticks, hard_ticks;
	uint32_t cap_pages;
	bool broken;                /* last (re)instantiation failed */
	bool held;                  /* broken, its memories and tables kept */
	enum kiln_trap_kind last_trap;
	int last_exit;
	struct kiln_stats stats;    /* written by the running thread only */
	uint64_t wall_ticks;        /* wall time in timer ticks (not precise) */
	bool precise_wall_time;
	void *user;
	struct kiln_wasi *wasi;     /* NULL unless the module imports WASI */
	struct kiln_instance *rec_next, *rec_prev;
	/* Host API (host_config.c): the configuration, copied in one block,
	 * and the kiln.log rate limit, a bucket of credit in nanoseconds that
	 * refills with time; a line costs log_cost_ns (0: no limit). */
	struct kiln_config_entry *config;
	size_t nconfig;
	uint64_t log_cost_ns;
	uint64_t log_credit_max;
	uint64_t log_credit;
	uint64_t log_last_ns;
	uint64_t log_dropped_run; /* dropped since the last line let through */
};

/* Length of export @e's name (it may hold NUL bytes: kiln_abi.h). */
static inline size_t kiln_rt_name_len(const struct kiln_export_desc *e)
{
	return e->name_len != 0 ? e->name_len : strlen(e->name);
}

/* Byte order of names, shorter first on a common prefix: the order of
 * exports in descriptors. */
static inline int kiln_rt_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c != 0 ? c : (alen > blen) - (alen < blen);
}

/* ---- trap.c ---- */
__attribute__((noreturn)) void kiln_rt_trap(struct kiln_thread *t, enum kiln_trap_kind kind);
__attribute__((noreturn, format(printf, 3, 4))) void
kiln_rt_fail(struct kiln_thread *t, int status, const char *fmt, ...);
void kiln_rt_thread_register(struct kiln_thread *t);
int kiln_rt_signals_acquire(int sig, struct kiln_err *err);
void kiln_rt_signals_release(void);
/* Entering wasm needs a full fence before it reads timer_idle: the
 * process could not register for membarrier (see timer.c). */
extern bool kiln_rt_fence;
int kiln_rt_range_add(uintptr_t lo, uintptr_t hi, struct kiln_engine *eng, uint32_t first_slot);
void kiln_rt_range_remove(int index);
struct kiln_engine *kiln_rt_engine_of(const void *addr, uint32_t *slot);
void kiln_rt_threads_lock(void);
void kiln_rt_threads_unlock(void);
struct kiln_thread *kiln_rt_threads_first(void);
__attribute__((noreturn, format(printf, 1, 2))) void kiln_rt_misuse(const char *fmt, ...);

/* Runtime code called by wasm brackets itself like a host function. */
static inline void kiln_rt_host_enter(struct kiln_thread *t)
{
	char probe;
	if (t->frame == NULL)
		return;
	t->in_host++;
	if ((uintptr_t)&probe - t->stack_lo < KILN_HOST_STACK_RESERVE)
		kiln_rt_trap(t, KILN_TRAP_STACK_EXHAUSTION);
}

static inline bool kiln_rt_interrupted(struct kiln_thread *t)
{
	return t->frame != NULL &&
	       atomic_load_explicit(&t->interrupt_id, memory_order_acquire) == t->frame->id;
}

static inline void kiln_rt_host_leave(struct kiln_thread *t)
{
	if (t->frame == NULL)
		return;
	if (--t->in_host == 0 && kiln_rt_interrupted(t))
		kiln_rt_trap(t, KILN_TRAP_DEADLINE);
}

/* ---- instance.c ---- */
void kiln_rt_release_failed(struct kiln_engine *eng);

/* ---- memory.c ---- */
int kiln_rt_pool_init(struct kiln_engine *eng, uint32_t nslots, struct kiln_err *err);
void kiln_rt_pool_destroy(struct kiln_pool *pool);

/* ---- engine.c ---- */
struct kiln_engine *kiln_rt_default_engine(void);
int kiln_rt_ext_rec(struct kiln_engine *eng, const struct kiln_extension *ext,
		    struct kiln_ext_rec **out, struct kiln_err *err);
void kiln_rt_log(struct kiln_engine *eng, enum kiln_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- timer.c ---- */
int kiln_rt_timer_start(struct kiln_engine *eng, struct kiln_err *err);
void kiln_rt_timer_stop(struct kiln_engine *eng);
void kiln_rt_timer_wake(struct kiln_engine *eng, struct kiln_frame *f);
uint64_t kiln_rt_ns_to_ticks(const struct kiln_engine *eng, uint64_t ns);

/* ---- host_config.c ---- */
int kiln_rt_config_copy(struct kiln_instance *inst, const struct kiln_grants *g,
			struct kiln_err *err);
void kiln_rt_config_free(struct kiln_instance *inst);
void kiln_rt_log_limit_init(struct kiln_instance *inst, const struct kiln_grants *g);
bool kiln_rt_log_admit(struct kiln_instance *inst, uint64_t now_ns);

/* ---- fuel.c ---- */
static inline int64_t kiln_rt_fuel_unbias(int64_t v)
{
	return v < -(1ll << 60) ? v + KILN_FUEL_BIAS : v;
}
int64_t kiln_rt_fuel_collect(struct kiln_frame *f);

/* ---- wasi_imports.c ---- */
/* One wasi_snapshot_preview1 import: its name, its C parameter list after
 * the context as text ("(CTX, u32 fd, u64 off)"), whether it returns the
 * errno as an i32. */
struct kiln_rt_wasi_sig {
	const char *name;
	const char *params;
	bool returns;
};
extern const struct kiln_rt_wasi_sig kiln_rt_wasi_sigs[KILN_WASI_NFUNCS];

#endif /* KILN_RT_IMPL_H */
