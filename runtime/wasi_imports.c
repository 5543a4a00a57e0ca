/*
 * wasi_imports.c — the 46 `wasi_snapshot_preview1` imports that wasm2c
 * output calls, wiring the WASI layer (wasi_*.c) into instances.
 *
 * wasm2c 1.0.32 calls `Z_wasi_snapshot_preview1Z_<name>(ctx, args...)`
 * directly, with the context the runtime resolved for the import module:
 * the kiln_instance (instance.c, resolve_imports).  Each import
 *   - brackets its work like a host function (in_host raised: a hard
 *     deadline passing meanwhile is acted upon on the way out, and a guest
 *     recursing deep enough to leave less than KILN_HOST_STACK_RESERVE of
 *     stack traps before any host code runs);
 *   - fetches the memory view on every call (memory.grow may have moved
 *     the size, and an imported memory may be another instance's);
 *   - gives the WASI layer the call's hard deadline, so that blocking
 *     calls (reads on pipes and terminals, poll_oneoff, sockets) return at
 *     it, and then traps with "deadline" itself instead of handing EINTR
 *     back to a guest that would retry;
 *   - counts the denials the call recorded in the instance's statistics;
 *   - returns the WASI errno as the import's i32 result.
 * proc_exit ends the call with trap kind "exit" and the guest's code.
 *
 * The deadline is the instant from which the engine's timer stops the
 * call (timer.c: more than hard_ticks ticks after the frame's start tick),
 * computed from the innermost frame, which is the one the timer watches:
 * no clock read on the way in.
 */
#include <wasm-rt.h>

#include "rt_impl.h"
#include "wasi_impl.h"

/* What one import call carries from its entry to its exit. */
struct wcall {
	struct kiln_thread *t;
	struct kiln_instance *inst;
	struct kiln_wasi *w;
	struct kiln_wasi_mem m;
	uint64_t deadline_ns;
	uint64_t denials;
};

/* CLOCK_MONOTONIC time at which the timer stops the innermost call, or 0. */
static inline uint64_t hard_deadline(const struct kiln_thread *t)
{
	struct kiln_frame *f = t->frame;
	const struct kiln_engine *eng;
	uint64_t start, hard;

	if (f == NULL)
		return 0;
	hard = f->inst->hard_ticks;
	if (hard == 0)
		return 0;
	eng = f->engine;
	start = atomic_load_explicit(&f->start_tick, memory_order_relaxed);
	return eng->origin_ns + (start + hard) * eng->tick_ns;
}

static inline void enter(struct wcall *c, void *ctx)
{
	struct kiln_instance *inst = ctx;
	const wasm_rt_memory_t *mem;

	c->t = &kiln_rt_thread;
	c->inst = inst;
	c->w = inst->wasi;
	if (__builtin_expect(c->w == NULL, 0))
		kiln_rt_misuse("extension %s: a WASI import called with a context whose module "
			       "descriptor does not list wasi_snapshot_preview1",
			       inst->ext->name != NULL ? inst->ext->name : inst->desc->name);
	kiln_rt_host_enter(c->t);
	mem = inst->desc->memory != NULL ? inst->desc->memory(inst->mi) : NULL;
	c->m.base = mem != NULL ? mem->data : NULL;
	c->m.size = mem != NULL ? mem->size : 0;
	c->deadline_ns = hard_deadline(c->t);
	kiln_wasi_set_deadline(c->w, c->deadline_ns);
	c->denials = c->w->denials_total;
}

static inline uint32_t leave(struct wcall *c, int32_t rc)
{
	struct kiln_instance *inst = c->inst;
	uint64_t d = c->w->denials_total - c->denials;

	if (__builtin_expect(d != 0, 0))
		__atomic_store_n(&inst->stats.wasi_denials, inst->stats.wasi_denials + d,
				 __ATOMIC_RELAXED);
	/* A blocking call cut short by the deadline: the timer is about to
	 * stop this call (if it has not yet flagged it), so stop it now
	 * rather than let the guest see EINTR and retry until it does. */
	if (__builtin_expect(rc == WASI_EINTR, 0) && c->deadline_ns != 0 &&
	    wasi_now_ns() >= c->deadline_ns)
		kiln_rt_trap(c->t, KILN_TRAP_DEADLINE);
	kiln_rt_host_leave(c->t);
	return (uint32_t)rc;
}

/* ctx is the instance (the runtime's context for this import module). */
#define CTX struct Z_wasi_snapshot_preview1_instance_t *ctx
/* The state and view, the first two arguments of every kiln_wasi_<name>. */
#define WM c.w, c.m
#define u32 uint32_t
#define u64 uint64_t

/* name, parameters after ctx (as wasm2c declares them), arguments after the
 * state and view.  proc_exit, which returns nothing, is written out below. */
#define WASI_IMPORTS(X)                                                                            \
	X(args_get, (CTX, u32 argv, u32 buf), (WM, argv, buf))                                     \
	X(args_sizes_get, (CTX, u32 argc, u32 size), (WM, argc, size))                             \
	X(environ_get, (CTX, u32 env, u32 buf), (WM, env, buf))                                    \
	X(environ_sizes_get, (CTX, u32 count, u32 size), (WM, count, size))                        \
	X(clock_res_get, (CTX, u32 id, u32 res), (WM, id, res))                                    \
	X(clock_time_get, (CTX, u32 id, u64 precision, u32 time), (WM, id, precision, time))       \
	X(fd_advise, (CTX, u32 fd, u64 off, u64 len, u32 advice), (WM, fd, off, len, advice))      \
	X(fd_allocate, (CTX, u32 fd, u64 off, u64 len), (WM, fd, off, len))                        \
	X(fd_close, (CTX, u32 fd), (WM, fd))                                                       \
	X(fd_datasync, (CTX, u32 fd), (WM, fd))                                                    \
	X(fd_fdstat_get, (CTX, u32 fd, u32 buf), (WM, fd, buf))                                    \
	X(fd_fdstat_set_flags, (CTX, u32 fd, u32 flags), (WM, fd, flags))                          \
	X(fd_fdstat_set_rights, (CTX, u32 fd, u64 base, u64 inh), (WM, fd, base, inh))             \
	X(fd_filestat_get, (CTX, u32 fd, u32 buf), (WM, fd, buf))                                  \
	X(fd_filestat_set_size, (CTX, u32 fd, u64 size), (WM, fd, size))                           \
	X(fd_filestat_set_times, (CTX, u32 fd, u64 atim, u64 mtim, u32 fst),                       \
	  (WM, fd, atim, mtim, fst))                                                               \
	X(fd_pread, (CTX, u32 fd, u32 iovs, u32 n, u64 off, u32 nread),                            \
	  (WM, fd, iovs, n, off, nread))                                                           \
	X(fd_prestat_get, (CTX, u32 fd, u32 buf), (WM, fd, buf))                                   \
	X(fd_prestat_dir_name, (CTX, u32 fd, u32 path, u32 len), (WM, fd, path, len))              \
	X(fd_pwrite, (CTX, u32 fd, u32 iovs, u32 n, u64 off, u32 nwritten),                        \
	  (WM, fd, iovs, n, off, nwritten))                                                        \
	X(fd_read, (CTX, u32 fd, u32 iovs, u32 n, u32 nread), (WM, fd, iovs, n, nread))            \
	X(fd_readdir, (CTX, u32 fd, u32 buf, u32 len, u64 cookie, u32 used),                       \
	  (WM, fd, buf, len, cookie, used))                                                        \
	X(fd_renumber, (CTX, u32 fd, u32 to), (WM, fd, to))                                        \
	X(fd_seek, (CTX, u32 fd, u64 delta, u32 whence, u32 off), (WM, fd, delta, whence, off))    \
	X(fd_sync, (CTX, u32 fd), (WM, fd))                                                        \
	X(fd_tell, (CTX, u32 fd, u32 off), (WM, fd, off))                                          \
	X(fd_write, (CTX, u32 fd, u32 iovs, u32 n, u32 nwritten), (WM, fd, iovs, n, nwritten))     \
	X(path_create_directory, (CTX, u32 fd, u32 path, u32 len), (WM, fd, path, len))            \
	X(path_filestat_get, (CTX, u32 fd, u32 flags, u32 path, u32 len, u32 buf),                 \
	  (WM, fd, flags, path, len, buf))                                                         \
	X(path_filestat_set_times,                                                                 \
	  (CTX, u32 fd, u32 flags, u32 path, u32 len, u64 atim, u64 mtim, u32 fst),                \
	  (WM, fd, flags, path, len, atim, mtim, fst))                                             \
	X(path_link,                                                                               \
	  (CTX, u32 fd, u32 flags, u32 path, u32 len, u32 new_fd, u32 new_path, u32 new_len),      \
	  (WM, fd, flags, path, len, new_fd, new_path, new_len))                                   \
	X(path_open,                                                                               \
	  (CTX, u32 fd, u32 dirflags, u32 path, u32 len, u32 oflags, u64 base, u64 inh,            \
	   u32 fdflags, u32 out),                                                                  \
	  (WM, fd, dirflags, path, len, oflags, base, inh, fdflags, out))                          \
	X(path_readlink, (CTX, u32 fd, u32 path, u32 len, u32 buf, u32 buf_len, u32 used),         \
	  (WM, fd, path, len, buf, buf_len, used))                                                 \
	X(path_remove_directory, (CTX, u32 fd, u32 path, u32 len), (WM, fd, path, len))            \
	X(path_rename, (CTX, u32 fd, u32 path, u32 len, u32 new_fd, u32 new_path, u32 new_len),    \
	  (WM, fd, path, len, new_fd, new_path, new_len))                                          \
	X(path_symlink, (CTX, u32 target, u32 target_len, u32 fd, u32 path, u32 len),              \
	  (WM, target, target_len, fd, path, len))                                                 \
	X(path_unlink_file, (CTX, u32 fd, u32 path, u32 len), (WM, fd, path, len))                 \
	X(poll_oneoff, (CTX, u32 in, u32 out, u32 n, u32 nevents), (WM, in, out, n, nevents))      \
	X(proc_raise, (CTX, u32 sig), (WM, sig))                                                   \
	X(sched_yield, (CTX), (WM))                                                                \
	X(random_get, (CTX, u32 buf, u32 len), (WM, buf, len))                                     \
	X(sock_accept, (CTX, u32 fd, u32 flags, u32 out), (WM, fd, flags, out))                    \
	X(sock_recv, (CTX, u32 fd, u32 iovs, u32 n, u32 flags, u32 len, u32 roflags),              \
	  (WM, fd, iovs, n, flags, len, roflags))                                                  \
	X(sock_send, (CTX, u32 fd, u32 iovs, u32 n, u32 flags, u32 len),                           \
	  (WM, fd, iovs, n, flags, len))                                                           \
	X(sock_shutdown, (CTX, u32 fd, u32 how), (WM, fd, how))

struct Z_wasi_snapshot_preview1_instance_t;

/* Declarations first (wasm2c's headers, which declare them too, are not
 * included here). */
#define DECLARE(name, params, args) u32 Z_wasi_snapshot_preview1Z_##name params;
WASI_IMPORTS(DECLARE)
#undef DECLARE
void Z_wasi_snapshot_preview1Z_proc_exit(CTX, u32 code);

#define DEFINE(name, params, args)                                                                 \
	u32 Z_wasi_snapshot_preview1Z_##name params                                                \
	{                                                                                          \
		struct wcall c;                                                                    \
		enter(&c, ctx);                                                                    \
		return leave(&c, kiln_wasi_##name args);                                           \
	}
WASI_IMPORTS(DEFINE)
#undef DEFINE

void Z_wasi_snapshot_preview1Z_proc_exit(CTX, u32 code)
{
	struct wcall c;
	uint32_t exit_code = code;

	enter(&c, ctx);
	if (kiln_wasi_proc_exit(c.w, c.m, code) == KILN_WASI_EXITED)
		kiln_wasi_exit_code(c.w, &exit_code);
	/* Unwinds to the boundary, which restores in_host. */
	kiln_trap_exit((int)exit_code);
}

/* The parameter lists as written above, proc_exit included, for the unit
 * test that keeps compiler/host_world.c in step with this file. */
#define SIG(name, params, args) {#name, #params, true},
const struct kiln_rt_wasi_sig kiln_rt_wasi_sigs[KILN_WASI_NFUNCS] = {
	WASI_IMPORTS(SIG){"proc_exit", "(CTX, u32 code)", false},
};
#undef SIG

/* The names above must be exactly the WASI layer's 46 functions. */
#define ONE(name, params, args) +1
_Static_assert(0 WASI_IMPORTS(ONE) + 1 == KILN_WASI_NFUNCS,
	       "one import per function of kiln_wasi.h's KILN_WASI_FUNCS");
#undef ONE
