/*
 * w2c_lines.c — a rewrite of wasm2c's output line by line, for the passes
 * that change single lines (fpconst.c, inline_hint.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_impl.h"

int kiln_rewrite_lines(const char *src, size_t len, kiln_line_fn *fn, char **out, size_t *out_len,
		       unsigned *count, struct kiln_err *err)
{
	const char *s = src, *end = src + len;
	FILE *f;

	*out = NULL;
	*out_len = 0;
	*count = 0;
	f = open_memstream(out, out_len);
	if (f == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl != NULL ? nl : end;
		*count += fn(f, s, eol, end);
		if (nl != NULL)
			fputc('\n', f);
		s = nl != NULL ? nl + 1 : end;
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	}
	if (*count == 0) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return KILN_OK;
}
