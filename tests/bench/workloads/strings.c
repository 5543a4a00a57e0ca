/*
 * strings — string processing over 512 KiB of generated text: split it
 * into words, fold case, count each distinct word in a hash table (open
 * addressing, byte-wise compares), find the most frequent word, count a
 * pattern with a naive search, and reverse every word in place.  Checks the
 * table's counts against the number of words and the double reversal.
 * Hand-written loops only: the comparison is between compilers, not libcs.
 */
#include "workload.h"

#define TEXT_BYTES (512u << 10)
#define TABLE 16384u /* power of two, more than the distinct words can fill */

static const char *const syllables[] = {
	"ka", "lo", "mi", "ne", "Ru", "sha", "to", "vi", "Que", "zo", "ber", "dan", "ex", "fi",
	"gor", "hu",
};

struct entry {
	uint32_t off, len, count;
};

static char text[TEXT_BYTES];
static struct entry table[TABLE];

static uint32_t slen(const char *s)
{
	uint32_t n = 0;
	while (s[n] != '\0')
		n++;
	return n;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int same(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static uint64_t text_hash(uint32_t len)
{
	uint64_t h = WL_SEED;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)text[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* Fill the text with words of 1 to 3 syllables (4368 distinct words at
 * most), separated by spaces and punctuation; returns its length. */
static uint32_t generate(uint64_t *seed)
{
	uint32_t len = 0;
	while (len + 64 < TEXT_BYTES) {
		uint64_t r = wl_rand(seed);
		uint32_t nsyl = 1 + (uint32_t)(r % 3);
		for (uint32_t s = 0; s < nsyl; s++) {
			const char *syl = syllables[(r >> (4 + 4 * s)) & 15];
			uint32_t l = slen(syl);
			for (uint32_t i = 0; i < l; i++)
				text[len++] = syl[i];
		}
		text[len++] = (r >> 30) % 11 == 0 ? ',' : (r >> 30) % 17 == 0 ? '.' : ' ';
		if ((r >> 40) % 13 == 0)
			text[len++] = ' ';
	}
	text[len] = '\0';
	return len;
}

WL_RUN(uint32_t n)
{
	uint64_t seed = WL_SEED, h = WL_SEED;
	for (uint32_t round = 0; round < n; round++) {
		uint32_t len = generate(&seed), words = 0, distinct = 0, best = 0, hits = 0;
		uint64_t total = 0, before;

		for (uint32_t i = 0; i < TABLE; i++)
			table[i].count = 0;
		for (uint32_t i = 0; i < len; i++)
			text[i] = lower(text[i]);
		for (uint32_t i = 0; i < len;) {
			uint32_t start, wl, hash = 2166136261u, slot;
			while (i < len && !is_alpha(text[i]))
				i++;
			if (i == len)
				break;
			start = i;
			while (i < len && is_alpha(text[i]))
				hash = (hash ^ (uint8_t)text[i++]) * 16777619u;
			wl = i - start;
			words++;
			for (slot = hash & (TABLE - 1);; slot = (slot + 1) & (TABLE - 1)) {
				struct entry *e = &table[slot];
				if (e->count == 0) {
					e->off = start, e->len = wl, e->count = 1;
					distinct++;
					break;
				}
				if (e->len == wl && same(text + e->off, text + start, wl)) {
					e->count++;
					break;
				}
			}
		}
		for (uint32_t i = 0; i < TABLE; i++) {
			total += table[i].count;
			if (table[i].count > table[best].count)
				best = i;
		}
		if (total != words)
			return WL_FAIL;

		/* naive search for "kalo" */
		for (uint32_t i = 0; i + 4 <= len; i++)
			if (same(text + i, "kalo", 4))
				hits++;

		/* reverse every word twice; the text must come back */
		before = text_hash(len);
		for (int pass = 0; pass < 2; pass++) {
			for (uint32_t i = 0; i < len;) {
				uint32_t a, b;
				while (i < len && !is_alpha(text[i]))
					i++;
				a = i;
				while (i < len && is_alpha(text[i]))
					i++;
				for (b = i; a + 1 < b; a++, b--) {
					char t = text[a];
					text[a] = text[b - 1];
					text[b - 1] = t;
				}
			}
			if (pass == 0)
				h = wl_mix(h, (uint64_t)(uint8_t)text[len / 2] << 8 | (uint8_t)text[7]);
		}
		if (text_hash(len) != before)
			return WL_FAIL;
		h = wl_mix(h, words);
		h = wl_mix(h, distinct);
		h = wl_mix(h, (uint64_t)table[best].count << 32 | hits);
	}
	return h;
}
