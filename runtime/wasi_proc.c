/*
 * wasi_proc.c — proc_exit, proc_raise, sched_yield and random_get: the
 * calls about the guest as a process rather than about its files.
 *
 * proc_exit does not return to the guest: it records the code and hands
 * KILN_WASI_EXITED to the runtime's wrapper, which unwinds the guest with
 * trap kind "exit".  proc_raise is refused: the guest has no signal
 * handlers to run, and raising a real signal would hit the host process.
 */
#include <sched.h>
#include <sodium.h>

#include "wasi_impl.h"

int32_t kiln_wasi_proc_exit(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t code)
{
	(void)m;
	w->exited = true;
	w->exit_code = code;
	return KILN_WASI_EXITED;
}

int32_t kiln_wasi_proc_raise(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t sig)
{
	(void)m;
	return wasi_deny(w, KILN_WASI_FN_PROC_RAISE, KILN_AUDIT_REFUSED, WASI_ENOSYS,
			 "signal %u: signals are not delivered to extensions", sig);
}

int32_t kiln_wasi_sched_yield(struct kiln_wasi *w, struct kiln_wasi_mem m)
{
	(void)w;
	(void)m;
	sched_yield();
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_random_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t buf,
			     uint32_t buf_len)
{
	if (!wasi_mem_ok(m, buf, buf_len))
		return wasi_fault(w, KILN_WASI_FN_RANDOM_GET, "buffer", buf, buf_len, m);
	if (!w->random)
		return wasi_deny(w, KILN_WASI_FN_RANDOM_GET, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
				 "random, %u bytes", buf_len);
	if (buf_len > 0)
		randombytes_buf(wasi_mem_at(m, buf), buf_len);
	return WASI_ESUCCESS;
}
