/*
 * wasm_bytes.c — LEB128 decoding with the binary format's limits, and the
 * growing output buffer the writer and passes encode into.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_impl.h"

/*
 * The spec bounds an N-bit LEB128 to ceil(N/7) bytes and requires the bits
 * of the last byte beyond N to be zero (unsigned) or copies of the sign bit
 * (signed).  A padded but in-range encoding ("0x80 0x00" for 0) is legal.
 */
enum kiln_leb_status kiln_leb_read(const uint8_t *p, size_t end, size_t *pos, unsigned bits,
				   bool is_signed, uint64_t *u, int64_t *s)
{
	unsigned maxbytes = (bits + 6) / 7;
	uint64_t v = 0;
	size_t i = *pos;
	unsigned n, shift = 0;
	uint8_t b = 0;

	for (n = 0; n < maxbytes; n++) {
		if (i >= end)
			return KILN_LEB_TRUNCATED;
		b = p[i++];
		if (n == maxbytes - 1) {
			/* bits of the last byte that carry value */
			unsigned used = bits - 7 * n;
			uint8_t extra = (uint8_t)(0x7f & ~((1u << used) - 1));
			if (b & 0x80)
				return KILN_LEB_TOO_LONG;
			if (!is_signed) {
				if (b & extra)
					return KILN_LEB_TOO_LARGE;
			} else {
				bool neg = (b >> (used - 1)) & 1;
				if ((b & extra) != (neg ? extra : 0))
					return KILN_LEB_TOO_LARGE;
			}
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (is_signed) {
		/* sign-extend from the last byte's sign bit */
		if (shift < 64 && (b & 0x40))
			v |= ~(uint64_t)0 << shift;
		if (bits < 64) {
			/* keep exactly @bits bits of signedness */
			uint64_t sign = (uint64_t)1 << (bits - 1);
			v &= (sign << 1) - 1;
			v = (v ^ sign) - sign;
		}
		if (s != NULL)
			*s = (int64_t)v;
	} else if (u != NULL) {
		*u = v;
	}
	*pos = i;
	return KILN_LEB_OK;
}

static bool wbuf_reserve(struct kiln_wbuf *b, size_t n)
{
	size_t cap;
	uint8_t *p;
	if (b->oom)
		return false;
	if (b->cap - b->len >= n)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void kiln_wbuf_bytes(struct kiln_wbuf *b, const void *data, size_t n)
{
	if (n == 0 || !wbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void kiln_wbuf_byte(struct kiln_wbuf *b, uint8_t v)
{
	if (!wbuf_reserve(b, 1))
		return;
	b->p[b->len++] = v;
}

void kiln_wbuf_u32(struct kiln_wbuf *b, uint32_t v)
{
	uint8_t tmp[5];
	size_t n = 0;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		tmp[n++] = v ? (uint8_t)(byte | 0x80) : byte;
	} while (v);
	kiln_wbuf_bytes(b, tmp, n);
}

void kiln_wbuf_s64(struct kiln_wbuf *b, int64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	for (;;) {
		uint8_t byte = (uint8_t)(v & 0x7f);
		/* arithmetic shift, spelled out: >> of a negative value is
		 * implementation-defined in C11 */
		v = v < 0 ? ~(~v >> 7) : v >> 7;
		if ((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40))) {
			tmp[n++] = byte;
			break;
		}
		tmp[n++] = (uint8_t)(byte | 0x80);
	}
	kiln_wbuf_bytes(b, tmp, n);
}

void kiln_wbuf_name(struct kiln_wbuf *b, struct kiln_wasm_bytes s)
{
	kiln_wbuf_u32(b, s.len);
	kiln_wbuf_bytes(b, s.data, s.len);
}

void kiln_wbuf_release(struct kiln_wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}
