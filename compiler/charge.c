/*
 * charge.c — hand the fuel pass's charges to a macro of the glue, so that
 * their shape is chosen in one place, for the C compilers at hand.
 *
 * The fuel pass (instrument_fuel.c) charges with
 *     local.get $f  i64.const C  i64.sub  local.tee $f
 *     i64.const 0  i64.lt_s  if  local.get $f  call $fuel_trap  end
 * which wasm2c 1.0.32 prints as the ten lines
 *
 *     w2c_jA = F;
 *     w2c_jB = Cull;
 *     w2c_jA -= w2c_jB;
 *     F = w2c_jA;
 *     w2c_jB = 0ull;
 *     w2c_iX = (u64)((s64)w2c_jA < (s64)w2c_jB);
 *     if (w2c_iX) {
 *       w2c_jA = F;
 *       TRAP(CTX, w2c_jA);
 *     }
 *
 * gcc turns that into `sub $C,%r; js cold`.  clang, in loops, kept the
 * counter before and after the charge in two registers (its loop rotation
 * tests the next iteration's value at the bottom while the exits need the
 * current one), 4 to 6 instructions a charge, when its loads still went
 * through a memcpy and an empty asm; the glue then gave clang the test
 * first, `if (F < C) TRAP(CTX, F - C); F -= C`.  Since clang's loads are
 * volatile reads (glue.c) the subtraction first is the better shape for
 * clang too (callgrind, all eight bench workloads fewer instructions:
 * strings -6.3%, recurse -11%, sort -3.4%), so the glue has one shape
 * again; the macro stays the one place to change it.  Either form traps
 * exactly when F - C < 0 and passes the same value (F never comes near
 * INT64_MIN: the runtime's bias is 2^62).  This rewrite replaces each such
 * block by
 *
 *     KILN_CHARGE(F, Cull, TRAP, CTX);
 *
 * (KILN_CHARGE(F, Cull, KILN_CHARGE_TRAP, 0) for the fuel pass's own
 * kiln.fuel_trap, which the glue sends to the runtime's kiln_fuel_trap:
 * no instance kept live for a cold call; see compile.c's route_fuel_trap)
 * and the glue defines KILN_CHARGE.  The w2c_jA, w2c_jB and
 * w2c_iX of a charge sit above the wasm stack's height there (a charge is
 * stack-neutral), so nothing reads the values they no longer get.  Text
 * in any other shape is copied unchanged, which only costs speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_impl.h"

#define CHARGE_LINES 10
#define PART 96 /* longest name or expression a charge line may carry */

struct line {
	const char *s;
	size_t n;
};

/* One name made of [A-Za-z0-9_]: length, 0 if none or too long. */
static size_t ident(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			 (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	return i < PART ? i : 0;
}

/* Decimal digits at @s: how many, 0 if none or too many. */
static size_t digits(const char *s, const char *end)
{
	size_t i = 0;
	while (s + i < end && s[i] >= '0' && s[i] <= '9')
		i++;
	return i < 21 ? i : 0;
}

/* Does @l, after @ind spaces, read exactly @fmt with each %s replaced by
 * the next string of @args (NULL-terminated), each %v by one name and
 * each %d by decimal digits, captured into the next buffer of @caps?
 * @caps' buffers hold PART bytes. */
static bool line_is(struct line l, size_t ind, const char *fmt, const char *const *args,
		    char (*caps)[PART])
{
	const char *p = l.s, *end = l.s + l.n;
	for (size_t i = 0; i < ind; i++)
		if (p >= end || *p++ != ' ')
			return false;
	for (const char *f = fmt; *f != '\0'; f++) {
		if (f[0] == '%' && f[1] == 's') {
			size_t n = strlen(*args);
			if ((size_t)(end - p) < n || memcmp(p, *args, n) != 0)
				return false;
			p += n;
			args++;
			f++;
		} else if (f[0] == '%' && (f[1] == 'v' || f[1] == 'd')) {
			size_t n = f[1] == 'v' ? ident(p, (size_t)(end - p)) : digits(p, end);
			if (n == 0)
				return false;
			memcpy(*caps, p, n);
			(*caps)[n] = '\0';
			caps++;
			p += n;
			f++;
		} else if (p >= end || *p++ != *f) {
			return false;
		}
	}
	return p == end;
}

/* The trap call of line 9, "(*NAME)(CTX, w2c_jA);": NAME and CTX (a chain
 * of names joined by "->"). */
static bool trap_line(struct line l, size_t ind, const char *a, char *name, char *ctx)
{
	const char *p = l.s + ind, *end = l.s + l.n, *comma;
	size_t n, al = strlen(a);
	for (size_t i = 0; i < ind; i++)
		if (l.s[i] != ' ')
			return false;
	if (end - p < 4 || memcmp(p, "(*", 2) != 0)
		return false;
	p += 2;
	if ((n = ident(p, (size_t)(end - p))) == 0 || (size_t)(end - p) < n + 2 ||
	    memcmp(p + n, ")(", 2) != 0)
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	p += n + 2;
	comma = memchr(p, ',', (size_t)(end - p));
	if (comma == NULL || comma == p || (size_t)(comma - p) >= PART)
		return false;
	for (const char *q = p; q < comma; q++)
		if (!(ident(q, 1) == 1 || (q[0] == '-' && q + 1 < comma && q[1] == '>' && q++)))
			return false;
	memcpy(ctx, p, (size_t)(comma - p));
	ctx[comma - p] = '\0';
	p = comma + 1;
	return (size_t)(end - p) == al + 3 && p[0] == ' ' && memcmp(p + 1, a, al) == 0 &&
	       memcmp(p + 1 + al, ");", 2) == 0;
}

/* Is @l[0..9] a charge?  Then its KILN_CHARGE line goes to @out. */
static bool charge_at(const struct line *l, FILE *out)
{
	char v[6][PART], name[PART], ctx[PART]; /* A, F, B, C, X, F again */
	const char *a = v[0], *f = v[1], *b = v[2], *c = v[3], *x = v[4];
	size_t ind = 0;
	while (ind < l[0].n && l[0].s[ind] == ' ')
		ind++;
	if (ind == 0 || ind > 64 || !line_is(l[0], ind, "%v = %v;", NULL, &v[0]) ||
	    !line_is(l[1], ind, "%v = %dull;", NULL, &v[2]) || strncmp(a, "w2c_j", 5) != 0 ||
	    strncmp(b, "w2c_j", 5) != 0 || strcmp(a, b) == 0)
		return false;
	{
		const char *s2[] = {a, b, NULL}, *s3[] = {f, a, NULL}, *s4[] = {b, NULL},
			   *s5[] = {a, b, NULL};
		if (!line_is(l[2], ind, "%s -= %s;", s2, NULL) ||
		    !line_is(l[3], ind, "%s = %s;", s3, NULL) ||
		    !line_is(l[4], ind, "%s = 0ull;", s4, NULL) ||
		    !line_is(l[5], ind, "%v = (u64)((s64)%s < (s64)%s);", s5, &v[4]) ||
		    strncmp(x, "w2c_i", 5) != 0)
			return false;
	}
	{
		const char *s6[] = {x, NULL}, *s7[] = {a, NULL};
		if (!line_is(l[6], ind, "if (%s) {", s6, NULL) ||
		    !line_is(l[7], ind + 2, "%s = %v;", s7, &v[5]) || strcmp(v[5], f) != 0 ||
		    !trap_line(l[8], ind + 2, a, name, ctx) || !line_is(l[9], ind, "}", NULL, NULL))
			return false;
	}
	/* the fuel pass's own trap goes to the runtime's kiln_fuel_trap, which
	 * needs no instance (compile.c's route_fuel_trap does the same for
	 * calls outside charges) */
	if (strcmp(name, "Z_kilnZ_fuel_trap") == 0 && strcmp(ctx, "instance->Z_kiln_instance") == 0)
		fprintf(out, "%*sKILN_CHARGE(%s, %sull, KILN_CHARGE_TRAP, 0);", (int)ind, "", f, c);
	else
		fprintf(out, "%*sKILN_CHARGE(%s, %sull, (*%s), %s);", (int)ind, "", f, c, name,
			ctx);
	return true;
}

int kiln_charge_rewrite(const char *src, size_t len, char **out, size_t *out_len,
			unsigned *count, struct kiln_err *err)
{
	const char *p = src, *end = src + len;
	struct line win[CHARGE_LINES];
	size_t have = 0;
	FILE *f;
	int rc = KILN_OK;

	*out = NULL;
	*out_len = 0;
	*count = 0;
	f = open_memstream(out, out_len);
	if (f == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	/* a window of the next ten lines; each line leaves it printed or
	 * as part of a charge */
	for (;;) {
		while (have < CHARGE_LINES && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl != NULL ? nl : end;
			win[have].s = p;
			win[have].n = (size_t)(le - p);
			have++;
			p = nl != NULL ? nl + 1 : end;
		}
		if (have == 0)
			break;
		if (have == CHARGE_LINES && charge_at(win, f)) {
			(*count)++;
			have = 0;
		} else {
			fwrite(win[0].s, 1, win[0].n, f);
			memmove(win, win + 1, sizeof win[0] * (have - 1));
			have--;
		}
		/* every line but the source's last ended in a newline */
		if (have > 0 || p < end || (len > 0 && src[len - 1] == '\n'))
			fputc('\n', f);
	}
	if (ferror(f))
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (fclose(f) != 0 && rc == KILN_OK)
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (rc != KILN_OK || *count == 0) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return rc;
}
