/*
 * fpconst.c — hide float values that clang could fold into an operation
 * which must quiet a signalling NaN.
 *
 * Wasm arithmetic turns a signalling NaN operand into a quiet NaN, so
 * x - 0.0, x * 1.0, x / -1.0, -0.0 - x or demote(promote(x)) must not be
 * folded to x (or -x): for a signalling x the result would stay signalling.
 * gcc keeps them with -fsignaling-nans.  clang has no such switch; the
 * glue used to say `#pragma clang fp exceptions(maytrap)`, which keeps them
 * but makes clang treat every float operation of the module as a
 * constrained intrinsic that it barely optimises (n-body: 292M instructions
 * with the pragma, 213M without; native clang 134M).
 *
 * The folds need an operand whose value clang knows.  In wasm2c 1.0.32's
 * output every float value clang could know comes from one of these lines,
 * so the rewrite appends KILN_FPIN(var) (an empty asm that hides var's
 * value from clang; nothing under gcc) to each of them:
 *
 *     w2c_f1 = 0;  w2c_d1 = -1;  w2c_f0 = -0.f;     a literal of value ±0 or ±1
 *     w2c_d1 = f64_reinterpret_i64(w2c_j1);        bits, maybe a constant's
 *     w2c_d1 = (f64)(s32)(w2c_i1);                 a conversion, maybe of one
 *     w2c_d0 = (f64)(w2c_f0);                      promote (and demote)
 *     f64 w2c_l2 = 0, w2c_l3 = 0;                  float locals start at 0
 *
 * Other literals (2.5, 10, INFINITY, a quiet NaN) fold into nothing that
 * keeps a signalling NaN, and are left alone.  A value computed from hidden
 * ones is unknown to clang too.  The spec suite's float_exprs.wast checks
 * each of these folds with clang (make check-spec-clang).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_impl.h"

/* A float variable of wasm2c's: w2c_f<N>, w2c_d<N> or w2c_l<N>; its length
 * at @s, 0 if none. */
static size_t fvar(const char *s, const char *end, const char *kinds)
{
	size_t i = 5;

	if (end - s < 5 || memcmp(s, "w2c_", 4) != 0 || strchr(kinds, s[4]) == NULL)
		return 0;
	while (s + i < end && isdigit((unsigned char)s[i]))
		i++;
	return i > 5 ? i : 0;
}

/* The literal in [@s, @end) (then ";"), as wasm2c prints f32 and f64
 * constants, is 0, -0, 1 or -1. */
static int is_unit_literal(const char *s, const char *end)
{
	char buf[48], *stop;
	size_t n = (size_t)(end - s);
	double v;

	if (n == 0 || n >= sizeof buf || (!isdigit((unsigned char)s[0]) && s[0] != '-'))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, &stop);
	if (*stop == 'f')
		stop++;
	if (stop == buf || *stop != ';' || stop[1] != '\0')
		return 0;
	return v == 0.0 || v == 1.0 || v == -1.0;
}

/* Does the assignment's right-hand side [@s, @end) give a value to hide? */
static int hide_rhs(const char *s, const char *end)
{
	static const char *const prefixes[] = {
	    "f32_reinterpret_i32(",
	    "f64_reinterpret_i64(",
	    "(f32)(",
	    "(f64)(",
	};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i]);
		if ((size_t)(end - s) > n && memcmp(s, prefixes[i], n) == 0)
			return 1;
	}
	return is_unit_literal(s, end);
}

/* The declaration "f64 w2c_l2 = 0, w2c_l3 = 0;" from @s (past "f64 ") to
 * @end: if it is one, write a KILN_FPIN for each name.  Returns how many. */
static unsigned hide_locals(FILE *f, const char *s, const char *end)
{
	unsigned added = 0;
	int pass;
	size_t n;

	for (pass = 0; pass < 2; pass++) { /* check the whole line, then write */
		const char *q = s;
		for (;;) {
			if ((n = fvar(q, end, "l")) == 0 || end - (q + n) < 5 ||
			    memcmp(q + n, " = 0", 4) != 0)
				return 0;
			if (pass == 1) {
				fprintf(f, " KILN_FPIN(%.*s);", (int)n, q);
				added++;
			}
			q += n + 4;
			if (q == end - 1 && *q == ';')
				break;
			if (end - q < 2 || memcmp(q, ", ", 2) != 0)
				return 0;
			q += 2;
		}
	}
	return added;
}

/* One line (without its newline): write it, and the KILN_FPIN calls it
 * needs, to @f.  Returns how many it added. */
static unsigned rewrite_line(FILE *f, const char *s, const char *end, const char *text_end)
{
	const char *p = s;
	size_t n;

	(void)text_end;
	fwrite(s, 1, (size_t)(end - s), f);
	while (p < end && *p == ' ')
		p++;
	if (end - p > 4 && (memcmp(p, "f32 ", 4) == 0 || memcmp(p, "f64 ", 4) == 0))
		return hide_locals(f, p + 4, end);
	if ((n = fvar(p, end, "fd")) == 0 || end - (p + n) < 4 || memcmp(p + n, " = ", 3) != 0)
		return 0;
	if (!hide_rhs(p + n + 3, end))
		return 0;
	fprintf(f, " KILN_FPIN(%.*s);", (int)n, p);
	return 1;
}

int kiln_fpconst_rewrite(const char *src, size_t len, char **out, size_t *out_len, unsigned *count,
			 struct kiln_err *err)
{
	return kiln_rewrite_lines(src, len, rewrite_line, out, out_len, count, err);
}
