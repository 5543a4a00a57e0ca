/*
 * checksum — a compute extension with typed exports (a WASI reactor, no
 * imports but the kiln host API and what wasi-libc's start-up needs).
 *
 * The host writes bytes into `buffer` (its address from the "buffer"
 * export) and asks for checksums over the first `len` bytes; `fill` makes
 * a reproducible pattern instead, so that tests need not write memory.
 * It imports nothing but the kiln host API: no WASI, no libc stdio (hence
 * KILN_NO_STDIO and a hand-made log line).
 * Every export is a pure function of the buffer and its arguments:
 *
 *   buffer() -> i32                 address of the 64 KiB buffer
 *   buffer_size() -> i32            65536
 *   fill(seed i32, len i32) -> i32  fill buffer[0..len) from an LCG; len
 *   adler32(len i32) -> i32         Adler-32 (RFC 1950)
 *   crc32(len i32) -> i32           CRC-32 (IEEE 802.3, as zlib)
 *   fnv1a64(len i32) -> i64         64-bit FNV-1a
 *   entropy(len i32) -> f64         Shannon entropy in bits per byte
 *
 * Lengths above the buffer are clamped to it.  Each checksum logs one line.
 */
#include <math.h>
#include <stdint.h>

#define KILN_NO_STDIO
#include <kiln.h>

KILN_DEFINE_PROTOCOL_VERSION();

#define BUFFER_SIZE (64u * 1024u)

static uint8_t buffer[BUFFER_SIZE];
static uint32_t crc_table[256];

/* Log "<what> over <len> bytes" without printf. */
static void log_over(const char *what, uint32_t len)
{
	char line[64], digits[10];
	size_t n = 0;
	int nd = 0;

	while (*what != '\0' && n < 32)
		line[n++] = *what++;
	for (const char *p = " over "; *p != '\0'; p++)
		line[n++] = *p;
	do {
		digits[nd++] = (char)('0' + len % 10);
		len /= 10;
	} while (len != 0);
	while (nd > 0)
		line[n++] = digits[--nd];
	for (const char *p = " bytes"; *p != '\0'; p++)
		line[n++] = *p;
	kiln_log_raw(KILN_LOG_INFO, line, n);
}

static uint32_t clamp(uint32_t len)
{
	return len > BUFFER_SIZE ? BUFFER_SIZE : len;
}

KILN_EXPORT("buffer") uint8_t *buffer_address(void)
{
	return buffer;
}

KILN_EXPORT("buffer_size") uint32_t buffer_size(void)
{
	return BUFFER_SIZE;
}

KILN_EXPORT("fill") uint32_t fill(uint32_t seed, uint32_t len)
{
	len = clamp(len);
	for (uint32_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buffer[i] = (uint8_t)(seed >> 16);
	}
	return len;
}

KILN_EXPORT("adler32") uint32_t adler32(uint32_t len)
{
	uint32_t a = 1, b = 0;
	len = clamp(len);
	for (uint32_t i = 0; i < len; i++) {
		a = (a + buffer[i]) % 65521;
		b = (b + a) % 65521;
	}
	log_over("adler32", len);
	return b << 16 | a;
}

KILN_EXPORT("crc32") uint32_t crc32(uint32_t len)
{
	uint32_t c = 0xffffffffu;
	len = clamp(len);
	if (crc_table[1] == 0) {
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t v = n;
			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			crc_table[n] = v;
		}
	}
	for (uint32_t i = 0; i < len; i++)
		c = crc_table[(c ^ buffer[i]) & 0xff] ^ (c >> 8);
	log_over("crc32", len);
	return c ^ 0xffffffffu;
}

KILN_EXPORT("fnv1a64") uint64_t fnv1a64(uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	len = clamp(len);
	for (uint32_t i = 0; i < len; i++) {
		h ^= buffer[i];
		h *= 0x100000001b3ull;
	}
	log_over("fnv1a64", len);
	return h;
}

KILN_EXPORT("entropy") double entropy(uint32_t len)
{
	uint32_t count[256] = {0};
	double bits = 0.0;
	len = clamp(len);
	for (uint32_t i = 0; i < len; i++)
		count[buffer[i]]++;
	log_over("entropy", len);
	for (int v = 0; v < 256; v++) {
		if (count[v] != 0) {
			double p = (double)count[v] / len;
			bits -= p * log2(p);
		}
	}
	return bits;
}

/* Healthy while the buffer's size is what the host was told. */
KILN_EXPORT(KILN_HEALTH_EXPORT) int32_t kiln_health(void)
{
	return sizeof buffer == BUFFER_SIZE ? KILN_HEALTH_OK : 1;
}
