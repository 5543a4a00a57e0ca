/*
 * kiln.h — the kiln host API for extensions written in C.
 *
 * Build with clang --target=wasm32-wasi (sdk/guest.mk does it for you).
 * Everything here is the guest's side of import module "kiln"; the host's
 * side is libkiln-rt (runtime/README.md, "The kiln host API").
 *
 *     #include <kiln.h>
 *
 *     KILN_DEFINE_PROTOCOL_VERSION();
 *
 *     KILN_EXPORT("greet") int32_t greet(void)
 *     {
 *             char name[64];
 *             if (kiln_config_get("name", name, sizeof name) < 0) {
 *                     kiln_log_str(KILN_LOG_WARN, "no name configured");
 *                     return 1;
 *             }
 *             kiln_log(KILN_LOG_INFO, "hello, %s", name);
 *             return 0;
 *     }
 *
 * The imports are always allowed: a zero grant still lets an extension log
 * (rate-limited by the host) and read its (then empty) configuration.
 * Define KILN_NO_STDIO before including this header to leave out
 * kiln_log(), the one helper that needs <stdio.h>.
 */
#ifndef KILN_GUEST_H
#define KILN_GUEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The host API protocol this header speaks (see KILN_DEFINE_PROTOCOL_VERSION). */
#define KILN_PROTOCOL_VERSION 1

/** Names of the optional exports the host looks for, () -> i32 each. */
#define KILN_PROTOCOL_EXPORT "kiln_protocol_version"
#define KILN_HEALTH_EXPORT "kiln_health"
/** What kiln_health() returns when all is well; other values are yours. */
#define KILN_HEALTH_OK 0

/** kiln_config_get() results below zero (values >= 0 are lengths). */
#define KILN_CONFIG_ENOTFOUND (-1) /* no such key in the grants */
#define KILN_CONFIG_EFAULT (-2)    /* key or buffer outside this module's memory */

/** Log levels; the host logs anything above KILN_LOG_DEBUG as debug. */
enum kiln_log_level {
	KILN_LOG_ERROR = 0,
	KILN_LOG_WARN = 1,
	KILN_LOG_INFO = 2,
	KILN_LOG_DEBUG = 3,
};

/** Longest line the host keeps; longer ones are cut and marked. */
#define KILN_LOG_LINE_MAX 1024

#if defined(__wasm__)
#define KILN_IMPORT(name) __attribute__((import_module("kiln"), import_name(name)))
#define KILN_EXPORT(name) __attribute__((export_name(name)))
#else
/* Compiled for the host (tests that check these declarations): plain C. */
#define KILN_IMPORT(name)
#define KILN_EXPORT(name)
#endif

/**
 * kiln.log: write @len bytes at @msg as one line of the host's log, tagged
 * with this extension's name.  Trailing newlines are dropped, control
 * bytes and invalid UTF-8 are escaped, lines over KILN_LOG_LINE_MAX are
 * cut.  Lines over the instance's rate limit (by default 100 a second,
 * bursts of 200) are dropped and counted by the host.  A range outside this
 * module's memory traps ("out of bounds").
 */
KILN_IMPORT("log") void kiln_log_raw(int32_t level, const char *msg, size_t len);

/**
 * kiln.config_get: look up @key (@key_len bytes, no terminator needed) in
 * the configuration the integrator granted.  Returns the value's length,
 * having copied the value (without terminator) to @buf only if it fits in
 * @buf_len; when it does not fit nothing is written.  Returns
 * KILN_CONFIG_ENOTFOUND or KILN_CONFIG_EFAULT otherwise.
 */
KILN_IMPORT("config_get")
int32_t kiln_config_get_raw(const char *key, size_t key_len, void *buf, size_t buf_len);

/** Log the NUL-terminated string @s. */
static inline void kiln_log_str(int32_t level, const char *s)
{
	kiln_log_raw(level, s, __builtin_strlen(s));
}

/**
 * The value of @key as a NUL-terminated string in @buf (@size bytes).
 * Returns its length n; the string is complete when n < @size, else @buf
 * holds "" and n + 1 bytes are needed.  Negative: KILN_CONFIG_ENOTFOUND
 * (@buf holds "") or KILN_CONFIG_EFAULT.
 */
static inline int32_t kiln_config_get(const char *key, char *buf, size_t size)
{
	int32_t n;
	if (size == 0)
		return kiln_config_get_raw(key, __builtin_strlen(key), buf, 0);
	n = kiln_config_get_raw(key, __builtin_strlen(key), buf, size - 1);
	if (n >= 0 && (size_t)n < size)
		buf[n] = '\0';
	else if (n != KILN_CONFIG_EFAULT)
		buf[0] = '\0';
	return n;
}

#ifndef KILN_NO_STDIO
#include <stdarg.h>
#include <stdio.h>

/** printf-style kiln_log_raw(); the line is cut at KILN_LOG_LINE_MAX bytes. */
static inline __attribute__((format(printf, 2, 3))) void kiln_log(int32_t level,
								  const char *fmt, ...)
{
	char line[KILN_LOG_LINE_MAX + 1];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	kiln_log_raw(level, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
#endif

/**
 * Define the export kiln_protocol_version(), announcing that this
 * extension was written for KILN_PROTOCOL_VERSION: `kiln bake` refuses it
 * when the runtime does not speak that version.  Use once, at file scope.
 */
#define KILN_DEFINE_PROTOCOL_VERSION()                                                        \
	KILN_EXPORT(KILN_PROTOCOL_EXPORT) int32_t kiln_protocol_version(void);                 \
	int32_t kiln_protocol_version(void)                                                    \
	{                                                                                      \
		return KILN_PROTOCOL_VERSION;                                                  \
	}                                                                                      \
	struct kiln_protocol_version_defined_

#ifdef __cplusplus
}
#endif

#endif /* KILN_GUEST_H */
