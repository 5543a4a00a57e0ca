/*
 * rewrite_support.h — what the suites of the compiler's rewrites of
 * wasm2c's output (charge.c, fpconst.c, inline_hint.c) share.
 */
#ifndef KILN_REWRITE_SUPPORT_H
#define KILN_REWRITE_SUPPORT_H

#include <stddef.h>

struct kiln_err;

/* The shape of kiln_charge_rewrite, kiln_fpconst_rewrite, ... */
typedef int unit_rewrite_fn(const char *src, size_t len, char **out, size_t *out_len,
			    unsigned *count, struct kiln_err *err);

/* Run @fn on @src, asserting it succeeds and that the text it returns is
 * as long as it says.  Returns that text (malloc'd, the caller frees it),
 * or NULL when nothing was rewritten; sets *@count. */
char *unit_rewrite(unit_rewrite_fn *fn, const char *src, unsigned *count);

/* Run @fn on @src and assert that it gives exactly @want, counting @count
 * rewrites. */
void unit_rewrite_expect(unit_rewrite_fn *fn, const char *src, const char *want,
			 unsigned count);

#endif
