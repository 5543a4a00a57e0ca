/*
 * lz — a compression-like workload: LZ77 match finding with hash chains
 * (4-byte hashes, a 64 KiB window, up to 48 candidates) over 1 MiB of
 * generated text-like data, a byte-oriented token stream, and the
 * decompressor.  Checks the round trip.
 *
 * Token stream: a byte 0x00..0x7f starts a run of that many + 1 literals;
 * a byte 0x80 | (len - 4) is a match of len (4..131) bytes, followed by the
 * distance (1..65535) in two bytes, little-endian.
 */
#include "workload.h"

#define IN_BYTES (1u << 20)
#define OUT_BYTES (IN_BYTES + IN_BYTES / 64 + 16)
#define WINDOW 65535u
#define HASH_BITS 15
#define MAX_CHAIN 48
#define MIN_MATCH 4
#define MAX_MATCH 131

static uint8_t in[IN_BYTES], out[OUT_BYTES], back[IN_BYTES];
static uint32_t head[1u << HASH_BITS]; /* position + 1 of the newest entry, 0: none */
static uint32_t prev[IN_BYTES];       /* position + 1 of the previous entry */

static const char *const words[] = {
	"the ", "kiln ", "bakes ", "wasm ", "into ", "native ", "code ", "and ", "a ",
	"sandbox ", "memory ", "fuel ", "trap ", "host ", "call ", "instance ", "of ", "to ",
	"guard ", "page ", "\n", "extension ", "slot ", "pool ",
};

static void generate(uint64_t *seed)
{
	uint32_t len = 0;
	while (len < IN_BYTES) {
		uint64_t r = wl_rand(seed);
		if ((r & 7) == 0) {
			/* noise: a few random bytes */
			for (uint32_t k = 0; k < ((r >> 3) & 7) && len < IN_BYTES; k++)
				in[len++] = (uint8_t)(r >> (16 + 5 * k));
		} else {
			const char *w = words[(r >> 3) % (sizeof words / sizeof words[0])];
			for (uint32_t k = 0; w[k] != '\0' && len < IN_BYTES; k++)
				in[len++] = (uint8_t)w[k];
		}
	}
}

static inline uint32_t hash4(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

static inline void insert(uint32_t pos)
{
	uint32_t h = hash4(in + pos);
	prev[pos] = head[h];
	head[h] = pos + 1;
}

/* Compress in[0, n) into out; returns the compressed size. */
static uint32_t compress(uint32_t n)
{
	uint32_t pos = 0, o = 0, lit_start = 0;

	for (uint32_t i = 0; i < (1u << HASH_BITS); i++)
		head[i] = 0;
	while (pos < n) {
		uint32_t best_len = 0, best_dist = 0;
		if (pos + MIN_MATCH <= n) {
			uint32_t cand = head[hash4(in + pos)], chain = MAX_CHAIN;
			uint32_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
			while (cand != 0 && chain-- > 0 && pos - (cand - 1) <= WINDOW) {
				const uint8_t *a = in + cand - 1, *b = in + pos;
				uint32_t l = 0;
				if (a[best_len] == b[best_len])
					while (l < limit && a[l] == b[l])
						l++;
				if (l > best_len) {
					best_len = l;
					best_dist = pos - (cand - 1);
					if (l == limit)
						break;
				}
				cand = prev[cand - 1];
			}
		}
		if (best_len >= MIN_MATCH) {
			/* flush the pending literals */
			while (lit_start < pos) {
				uint32_t run = pos - lit_start > 128 ? 128 : pos - lit_start;
				out[o++] = (uint8_t)(run - 1);
				for (uint32_t k = 0; k < run; k++)
					out[o++] = in[lit_start++];
			}
			out[o++] = (uint8_t)(0x80 | (best_len - MIN_MATCH));
			out[o++] = (uint8_t)best_dist;
			out[o++] = (uint8_t)(best_dist >> 8);
			for (uint32_t k = 0; k < best_len; k++, pos++)
				if (pos + MIN_MATCH <= n)
					insert(pos);
			lit_start = pos;
		} else {
			if (pos + MIN_MATCH <= n)
				insert(pos);
			pos++;
		}
	}
	while (lit_start < pos) {
		uint32_t run = pos - lit_start > 128 ? 128 : pos - lit_start;
		out[o++] = (uint8_t)(run - 1);
		for (uint32_t k = 0; k < run; k++)
			out[o++] = in[lit_start++];
	}
	return o;
}

/* Decompress out[0, len) into back; returns the size, or UINT32_MAX when
 * the stream is malformed. */
static uint32_t decompress(uint32_t len)
{
	uint32_t i = 0, o = 0;
	while (i < len) {
		uint8_t t = out[i++];
		if (t < 0x80) {
			uint32_t run = (uint32_t)t + 1;
			if (run > len - i || run > IN_BYTES - o)
				return UINT32_MAX;
			for (uint32_t k = 0; k < run; k++)
				back[o++] = out[i++];
		} else {
			uint32_t l = (uint32_t)(t & 0x7f) + MIN_MATCH, d;
			if (len - i < 2)
				return UINT32_MAX;
			d = (uint32_t)out[i] | (uint32_t)out[i + 1] << 8;
			i += 2;
			if (d == 0 || d > o || l > IN_BYTES - o)
				return UINT32_MAX;
			for (uint32_t k = 0; k < l; k++, o++)
				back[o] = back[o - d];
		}
	}
	return o;
}

WL_RUN(uint32_t n)
{
	uint64_t seed = WL_SEED, h = WL_SEED;
	for (uint32_t r = 0; r < n; r++) {
		uint32_t size = IN_BYTES - (r & 1023), clen;
		generate(&seed);
		clen = compress(size);
		if (decompress(clen) != size)
			return WL_FAIL;
		for (uint32_t i = 0; i < size; i++)
			if (back[i] != in[i])
				return WL_FAIL;
		h = wl_mix(h, clen);
		for (uint32_t i = 0; i < clen; i += 4096)
			h = wl_mix(h, out[i]);
	}
	return h;
}
