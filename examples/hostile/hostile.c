/*
 * hostile — an extension that misbehaves on purpose (a WASI reactor), to
 * show each attempt stopped.  Every export is one attempt:
 *
 *   spin()            loops forever: stopped by the hard deadline
 *   burn() -> i32     counts forever: stopped by the fuel budget
 *   oob_write()       stores far outside its linear memory: "out of bounds"
 *   recurse(i32)      recurses without end: "stack exhaustion"
 *   escape() -> i32   opens ../../../etc/passwd beneath its /data mount;
 *                     returns the errno (76, ENOTCAPABLE, when contained)
 *   absolute() -> i32 opens /etc/passwd; returns the errno
 *   env_probe() -> i32  counts the environment variables it can see (only
 *                     what was granted) and tries HOME and PATH: returns
 *                     the count, plus 1000 if HOME or PATH leaked
 *   grow() -> i32     asks for 1 GiB more memory: -1 past its cap
 *   config_probe() -> i32  hands kiln.config_get pointers outside its
 *                     memory: returns the (negative) code
 *   log_flood() -> i32  writes 1000 log lines: the rate limit drops most
 *   log_probe(i32)    hands kiln.log a huge length: "out of bounds"
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <kiln.h>

KILN_DEFINE_PROTOCOL_VERSION();

extern char **environ;

KILN_EXPORT("spin") void spin(void)
{
	for (volatile unsigned i = 0;; i++)
		;
}

KILN_EXPORT("burn") int32_t burn(void)
{
	volatile int32_t n = 0;
	while (n >= 0)
		n = n + 1 > 0 ? n + 1 : 0;
	return n;
}

KILN_EXPORT("oob_write") void oob_write(void)
{
	volatile uint32_t *far = (volatile uint32_t *)(uintptr_t)0xfffffff0u;
	*far = 0xdeadbeef;
}

/* Through a volatile function pointer, so that no compiler turns the
 * recursion into a loop. */
static int32_t (*volatile again)(int32_t);

static int32_t deeper(int32_t n)
{
	return again(n + 1) + 1;
}

KILN_EXPORT("recurse") int32_t recurse(int32_t n)
{
	again = deeper;
	return deeper(n);
}

static int32_t try_open(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd >= 0) {
		kiln_log(KILN_LOG_ERROR, "opened %s!", path);
		close(fd);
		return 0;
	}
	kiln_log(KILN_LOG_INFO, "open %s refused: errno %d", path, errno);
	return errno;
}

KILN_EXPORT("escape") int32_t escape(void)
{
	return try_open("/data/../../../etc/passwd");
}

KILN_EXPORT("absolute") int32_t absolute(void)
{
	return try_open("/etc/passwd");
}

KILN_EXPORT("env_probe") int32_t env_probe(void)
{
	int32_t n = 0;
	for (char **e = environ; e != NULL && *e != NULL; e++)
		n++;
	if (getenv("HOME") != NULL || getenv("PATH") != NULL)
		n += 1000;
	kiln_log(KILN_LOG_INFO, "%d environment variables visible", (int)n);
	return n;
}

KILN_EXPORT("grow") int32_t grow(void)
{
	return (int32_t)__builtin_wasm_memory_grow(0, 16384); /* 1 GiB */
}

KILN_EXPORT("config_probe") int32_t config_probe(void)
{
	int32_t worst = 0, r;
	r = kiln_config_get_raw((const char *)(uintptr_t)0xffffff00u, 0x1000, NULL, 0);
	worst = r < worst ? r : worst;
	r = kiln_config_get_raw("title", 5, (void *)(uintptr_t)0xfffffff0u, 0x100);
	worst = r < worst ? r : worst;
	r = kiln_config_get_raw("title", 0xffffffffu, NULL, 0);
	return r < worst ? r : worst;
}

KILN_EXPORT("log_flood") int32_t log_flood(void)
{
	for (int i = 0; i < 1000; i++)
		kiln_log(KILN_LOG_DEBUG, "flood %d", i);
	return 1000;
}

KILN_EXPORT("log_probe") void log_probe(int32_t len)
{
	kiln_log_raw(KILN_LOG_INFO, "x", (size_t)(uint32_t)len);
}
