/*
 * wasi_audit.c — the audit log of denials and the per-function counters.
 *
 * The log is a ring that grows on demand up to KILN_WASI_AUDIT_MAX entries,
 * so that an idle instance costs nothing and a hostile one that provokes
 * denials in a loop costs a bounded amount; the oldest entries go first and
 * are counted.  Counters are never dropped.  Resources come from the guest
 * (paths), so they are escaped to printable ASCII before a host reads them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wasi_impl.h"

static const char *const func_names[KILN_WASI_NFUNCS] = {
#define NAME(up, low) #low,
	KILN_WASI_FUNCS(NAME)
#undef NAME
};

const char *kiln_wasi_func_name(enum kiln_wasi_func f)
{
	if ((unsigned)f >= KILN_WASI_NFUNCS)
		return NULL;
	return func_names[f];
}

/* Copy @src into @dst (@cap bytes with NUL) turning anything but printable
 * ASCII into \xNN and backslash into \\, so that a guest-chosen path can
 * neither forge log lines nor carry terminal escapes.  Truncation is marked
 * with "...". */
static void escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (const unsigned char *s = (const unsigned char *)src; *s != '\0'; s++) {
		char tmp[4];
		size_t n;
		if (*s >= 0x20 && *s < 0x7f && *s != '\\') {
			tmp[0] = (char)*s;
			n = 1;
		} else if (*s == '\\') {
			tmp[0] = '\\';
			tmp[1] = '\\';
			n = 2;
		} else {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[*s >> 4];
			tmp[3] = hex[*s & 15];
			n = 4;
		}
		if (o + n + 4 > cap) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(dst + o, tmp, n);
		o += n;
	}
	dst[o] = '\0';
}

static struct kiln_audit_entry *append(struct kiln_wasi *w)
{
	size_t slot;
	if (w->audit_count == w->audit_cap && w->audit_cap < KILN_WASI_AUDIT_MAX) {
		/* Grow; entries are unwrapped into order first. */
		size_t ncap = w->audit_cap == 0 ? 16 : w->audit_cap * 2;
		struct kiln_audit_entry *n;
		if (ncap > KILN_WASI_AUDIT_MAX)
			ncap = KILN_WASI_AUDIT_MAX;
		n = calloc(ncap, sizeof *n);
		if (n == NULL)
			abort(); /* out of memory inside the runtime */
		for (size_t i = 0; i < w->audit_count; i++)
			n[i] = w->audit[(w->audit_head + i) % w->audit_cap];
		free(w->audit);
		w->audit = n;
		w->audit_cap = ncap;
		w->audit_head = 0;
	}
	if (w->audit_count == w->audit_cap) {
		/* Full at the maximum: overwrite the oldest. */
		slot = w->audit_head;
		w->audit_head = (w->audit_head + 1) % w->audit_cap;
		w->audit_dropped++;
	} else {
		slot = (w->audit_head + w->audit_count) % w->audit_cap;
		w->audit_count++;
	}
	return &w->audit[slot];
}

uint16_t wasi_deny(struct kiln_wasi *w, enum kiln_wasi_func f, enum kiln_audit_decision decision,
		   uint16_t wasi_errno, const char *fmt, ...)
{
	char raw[KILN_AUDIT_RESOURCE_BYTES * 2];
	struct kiln_audit_entry *e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	e = append(w);
	e->seq = w->audit_seq++;
	e->extension = w->extension;
	e->function = func_names[f];
	e->decision = decision;
	e->wasi_errno = wasi_errno;
	escape(e->resource, sizeof e->resource, raw);
	w->denials[f]++;
	w->denials_total++;
	return wasi_errno;
}

uint16_t wasi_fault(struct kiln_wasi *w, enum kiln_wasi_func f, const char *what, uint64_t ptr,
		    uint64_t len, struct kiln_wasi_mem m)
{
	return wasi_deny(w, f, KILN_AUDIT_FAULT, WASI_EFAULT,
			 "%s at 0x%llx, %llu bytes: outside guest memory of %llu bytes", what,
			 (unsigned long long)ptr, (unsigned long long)len,
			 (unsigned long long)m.size);
}

void wasi_audit_clear(struct kiln_wasi *w)
{
	free(w->audit);
	w->audit = NULL;
	w->audit_cap = 0;
	w->audit_head = 0;
	w->audit_count = 0;
	w->audit_seq = 0;
	w->audit_dropped = 0;
	memset(w->denials, 0, sizeof w->denials);
	w->denials_total = 0;
}

size_t kiln_wasi_audit_count(const struct kiln_wasi *w)
{
	return w == NULL ? 0 : w->audit_count;
}

const struct kiln_audit_entry *kiln_wasi_audit_get(const struct kiln_wasi *w, size_t i)
{
	if (w == NULL || i >= w->audit_count)
		return NULL;
	return &w->audit[(w->audit_head + i) % w->audit_cap];
}

uint64_t kiln_wasi_audit_dropped(const struct kiln_wasi *w)
{
	return w == NULL ? 0 : w->audit_dropped;
}

uint64_t kiln_wasi_denials(const struct kiln_wasi *w, enum kiln_wasi_func f)
{
	if (w == NULL || (unsigned)f >= KILN_WASI_NFUNCS)
		return 0;
	return w->denials[f];
}

uint64_t kiln_wasi_denials_total(const struct kiln_wasi *w)
{
	return w == NULL ? 0 : w->denials_total;
}
