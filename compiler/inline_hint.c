/*
 * inline_hint.c — let gcc unroll recursion in fueled code as it does in
 * unfueled code.
 *
 * gcc -O2 inlines a recursive function into itself a few levels deep when
 * the function is small enough for --param max-inline-insns-auto (15).  The
 * fuel pass's charges, each with its cold call of kiln_fuel_trap, push a
 * small recursive function over that limit (`-fopt-info-inline`: "not
 * inlinable: w2c_f4 -> w2c_f4, --param max-inline-insns-auto limit
 * reached" for fueled fib, which without fuel is inlined): recurse ran
 * 29.8M instructions fueled against 17.8M unfueled.  A function declared
 * inline gets the larger limit of functions declared so, which the charges
 * do not exceed.  So every function of wasm2c's output that calls itself is
 * declared `static inline`: recurse 29.8M -> 20.2M instructions fueled,
 * 17.8M -> 15.6M unfueled, the seven other bench workloads unchanged; the
 * compile time and size of a 237 KB module with two such functions
 * unchanged (4.3 s, +0.6% text).  Declaring every function inline would do
 * the same for recurse but cost that module 27% more compile time and 19%
 * more code.  clang's inliner did not change its code either way.
 *
 * wasm2c 1.0.32 writes a function's definition as one line
 *     static <type> w2c_<name>(<parameters>) {
 * and ends it with a line "}"; <type> is u32, u64, f32, f64, void or
 * struct wasm_multi_<letters>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_impl.h"

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The line [@s, @end) defines a wasm function: set its name, return 1. */
static int definition(const char *s, const char *end, const char **name, size_t *name_len)
{
	static const char *const types[] = {"u32 ", "u64 ", "f32 ", "f64 ", "void "};
	const char *p = s + 7;
	size_t i;

	if (end - s < 12 || memcmp(s, "static ", 7) != 0 || memcmp(end - 3, ") {", 3) != 0)
		return 0;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t n = strlen(types[i]);
		if ((size_t)(end - p) > n && memcmp(p, types[i], n) == 0) {
			p += n;
			break;
		}
	}
	if (i == sizeof types / sizeof types[0]) {
		static const char multi[] = "struct wasm_multi_";
		if ((size_t)(end - p) <= sizeof multi - 1 ||
		    memcmp(p, multi, sizeof multi - 1) != 0)
			return 0;
		p += sizeof multi - 1;
		while (p < end && *p >= 'a' && *p <= 'z')
			p++;
		if (p == end || *p != ' ')
			return 0;
		p++;
	}
	if (end - p < 5 || memcmp(p, "w2c_", 4) != 0)
		return 0;
	*name = p;
	while (p < end && is_ident(*p))
		p++;
	*name_len = (size_t)(p - *name);
	return p < end && *p == '(';
}

/* Does [@s, @end) call @name (the name, then "(", not part of a longer
 * name)? */
static int calls(const char *s, const char *end, const char *name, size_t n)
{
	const char *p = s;
	while ((p = memmem(p, (size_t)(end - p), name, n)) != NULL) {
		if ((p == s || !is_ident(p[-1])) && p + n < end && p[n] == '(')
			return 1;
		p += n;
	}
	return 0;
}

/* One line: "static inline" for the definition of a function that calls
 * itself. */
static unsigned rewrite_line(FILE *f, const char *s, const char *eol, const char *end)
{
	const char *name, *body_end;
	size_t name_len;
	unsigned hinted = 0;

	if (eol < end && definition(s, eol, &name, &name_len) &&
	    (body_end = memmem(eol, (size_t)(end - eol), "\n}\n", 3)) != NULL &&
	    calls(eol, body_end, name, name_len)) {
		fputs("static inline ", f);
		s += 7;
		hinted = 1;
	}
	fwrite(s, 1, (size_t)(eol - s), f);
	return hinted;
}

int kiln_inline_rewrite(const char *src, size_t len, char **out, size_t *out_len, unsigned *count,
			struct kiln_err *err)
{
	return kiln_rewrite_lines(src, len, rewrite_line, out, out_len, count, err);
}
