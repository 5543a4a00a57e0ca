/*
 * checksum — an example kiln extension, written in C and built with
 *   clang --target=wasm32-wasi -mexec-model=reactor
 *
 * The host writes bytes into `buffer` (found through the "buffer" export)
 * and asks for their Adler-32 or 64-bit FNV-1a checksum.  Each call logs a
 * line through the kiln host API (kiln.log), the only import.
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

/* kiln.log(level, ptr, len): 0 debug, 1 info, 2 warning, 3 error. */
IMPORT("kiln", "log") void kiln_log(int32_t level, const char *msg, size_t len);

static uint8_t buffer[64 * 1024];

EXPORT("buffer") uint8_t *buffer_address(void)
{
	return buffer;
}

EXPORT("buffer_size") uint32_t buffer_size(void)
{
	return sizeof buffer;
}

static void log_count(const char *what, uint32_t len)
{
	char msg[64];
	size_t n = 0;
	char digits[10];
	int nd = 0;

	for (const char *p = what; *p != '\0'; p++)
		msg[n++] = *p;
	msg[n++] = ' ';
	do {
		digits[nd++] = (char)('0' + len % 10);
		len /= 10;
	} while (len != 0);
	while (nd > 0)
		msg[n++] = digits[--nd];
	for (const char *p = " bytes"; *p != '\0'; p++)
		msg[n++] = *p;
	kiln_log(1, msg, n);
}

/* Adler-32 (RFC 1950) of buffer[0..len); len is clamped to the buffer. */
EXPORT("adler32") uint32_t adler32(uint32_t len)
{
	uint32_t a = 1, b = 0;
	if (len > sizeof buffer)
		len = sizeof buffer;
	for (uint32_t i = 0; i < len; i++) {
		a = (a + buffer[i]) % 65521;
		b = (b + a) % 65521;
	}
	log_count("adler32 over", len);
	return b << 16 | a;
}

/* 64-bit FNV-1a of buffer[0..len). */
EXPORT("fnv1a64") uint64_t fnv1a64(uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	if (len > sizeof buffer)
		len = sizeof buffer;
	for (uint32_t i = 0; i < len; i++) {
		h ^= buffer[i];
		h *= 0x100000001b3ull;
	}
	log_count("fnv1a64 over", len);
	return h;
}
