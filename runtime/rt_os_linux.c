/* rt_os_linux.c — rt_os.h for Linux (x86-64 and other 64-bit targets). */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rt_os.h"

size_t kiln_os_page_size(void)
{
	static size_t page;
	if (page == 0)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

int kiln_os_reserve(size_t size, void **out)
{
	void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return errno;
	*out = p;
	return 0;
}

void kiln_os_release(void *base, size_t size)
{
	munmap(base, size);
}

int kiln_os_protect_rw(void *p, size_t n)
{
	return mprotect(p, n, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
}

int kiln_os_protect_none(void *p, size_t n)
{
	return mprotect(p, n, PROT_NONE) == 0 ? 0 : errno;
}

int kiln_os_discard(void *p, size_t n)
{
	return madvise(p, n, MADV_DONTNEED) == 0 ? 0 : errno;
}

int kiln_os_stack_bounds(uintptr_t *lo, uintptr_t *hi, size_t *guard)
{
	pthread_attr_t attr;
	void *addr;
	size_t size, g = 0;
	int rc;

	/* For the main thread glibc derives the bounds from RLIMIT_STACK and
	 * /proc/self/maps: the stack may grow down to *lo and no further. */
	if ((rc = pthread_getattr_np(pthread_self(), &attr)) != 0)
		return rc;
	rc = pthread_attr_getstack(&attr, &addr, &size);
	if (rc == 0)
		rc = pthread_attr_getguardsize(&attr, &g);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return rc;
	*lo = (uintptr_t)addr;
	*hi = (uintptr_t)addr + size;
	*guard = g;
	return 0;
}

int kiln_os_membarrier_init(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return ENOSYS;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0)
		return errno;
	return 0;
}

void kiln_os_membarrier(void)
{
	syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

uint64_t kiln_os_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
