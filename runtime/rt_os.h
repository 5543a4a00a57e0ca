/*
 * rt_os.h — the few operating-system services the runtime needs, so that
 * the rest of runtime/ has no platform #ifdefs.  Implemented for Linux in
 * rt_os_linux.c.  Internal to libkiln-rt.
 */
#ifndef KILN_RT_OS_H
#define KILN_RT_OS_H

#include <stddef.h>
#include <stdint.h>

/** Size of an OS page. */
size_t kiln_os_page_size(void);

/**
 * Reserve @size bytes of address space, inaccessible and without commit
 * charge.  0 on success, else an errno value.
 */
int kiln_os_reserve(size_t size, void **out);

/** Give back a reservation made by kiln_os_reserve(). */
void kiln_os_release(void *base, size_t size);

/** Make [@p, @p+@n) readable and writable / inaccessible.  0 or errno. */
int kiln_os_protect_rw(void *p, size_t n);
int kiln_os_protect_none(void *p, size_t n);

/** Drop the contents of [@p, @p+@n): next reads see zeros.  0 or errno. */
int kiln_os_discard(void *p, size_t n);

/**
 * Bounds of the calling thread's stack: [*lo, *hi) is usable; *guard bytes
 * below *lo are its guard (0 for a main thread that grows on demand).
 * 0 or errno.
 */
int kiln_os_stack_bounds(uintptr_t *lo, uintptr_t *hi, size_t *guard);

/**
 * Asymmetric memory barrier: after kiln_os_membarrier() returns, every
 * other thread of the process has executed a full memory barrier.  The
 * init call registers the process and returns 0 when the facility works;
 * otherwise callers must use a full fence on their fast path instead.
 */
int kiln_os_membarrier_init(void);
void kiln_os_membarrier(void);

/** Monotonic clock in nanoseconds. */
uint64_t kiln_os_now_ns(void);

#endif /* KILN_RT_OS_H */
