/*
 * membase.c — let wasm2c's functions reach linear memory through a base
 * pointer held in a local.
 *
 * wasm2c 1.0.32 turns every load and store into a call such as
 * i32_load(&instance->w2c_memory, addr), which reads the memory's `data`
 * pointer from the instance each time.  A store goes through memcpy, which
 * may alias anything, so after every store the C compiler must read `data`
 * again; and clang treats the empty asm statement each load carries (to
 * keep loads whose value is unused) as touching memory, so it reloads
 * `data` at every access, even in loops without stores.  kiln's memories
 * never move (memory.grow makes pages accessible in place, see
 * runtime/memory.c), so the pointer can be read once per call: this pass
 * declares
 *
 *     u8* const kiln_mem = instance->w2c_memory.data;
 *
 * at the top of every function taking the instance and turns the loads and
 * stores in its body into kiln_i32_load(kiln_mem, addr) and so on, which
 * the glue defines exactly as wasm2c defines its own (the same memcpy, the
 * same asm), only from a base pointer.  Bulk memory operations, memory.size
 * and memory.grow are left alone.
 *
 * The rewrite works on lines, on the shapes wasm2c 1.0.32 prints (the
 * driver refuses any other wasm2c): a function definition is one line
 * beginning with "static " or a type, taking "(<instance type>* instance"
 * first and ending in ") {"; its body ends at a line that is exactly "}".
 * Only a module with exactly one memory is rewritten (defined: the field is
 * a wasm_rt_memory_t; imported: a pointer to one).
 */
#include <stdlib.h>
#include <string.h>

#include "driver_impl.h"

/* The load and store helpers of wasm2c 1.0.32 (DEFINE_LOAD, DEFINE_STORE). */
static const char *const accessors[] = {
	"i32_load",     "i64_load",     "f32_load",     "f64_load",     "i32_load8_s",
	"i64_load8_s",  "i32_load8_u",  "i64_load8_u",  "i32_load16_s", "i64_load16_s",
	"i32_load16_u", "i64_load16_u", "i64_load32_s", "i64_load32_u", "i32_store",
	"i64_store",    "f32_store",    "f64_store",    "i32_store8",   "i32_store16",
	"i64_store8",   "i64_store16",  "i64_store32",
};

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static const char *find_in(const char *s, const char *end, const char *what)
{
	size_t n = strlen(what);
	for (const char *p = s; p + n <= end; p++)
		if (memcmp(p, what, n) == 0)
			return p;
	return NULL;
}

/*
 * The memory field of @header's instance struct "typedef struct @type {
 * ... } @type;": copies its name into @field and sets *@pointer when it is
 * a wasm_rt_memory_t * (an imported memory).  False unless there is
 * exactly one.
 */
static bool memory_field(const char *header, size_t len, const char *type, char *field,
			 size_t size, bool *pointer)
{
	const char *end = header + len, *p, *close;
	char open[160];
	unsigned found = 0;

	snprintf(open, sizeof open, "typedef struct %s {\n", type);
	p = find_in(header, end, open);
	if (p == NULL)
		return false;
	p += strlen(open);
	close = find_in(p, end, "\n}");
	if (close == NULL)
		return false;
	while (p < close) {
		const char *nl = memchr(p, '\n', (size_t)(close - p));
		const char *line_end = nl != NULL ? nl : close;
		static const char decl[] = "  wasm_rt_memory_t";
		size_t dl = sizeof decl - 1;
		if ((size_t)(line_end - p) > dl && memcmp(p, decl, dl) == 0 &&
		    (p[dl] == ' ' || p[dl] == '*')) {
			const char *name = p + dl + (p[dl] == '*' ? 2 : 1);
			size_t n = (size_t)(line_end - name);
			if (n < 2 || name[n - 1] != ';' || n >= size)
				return false;
			*pointer = p[dl] == '*';
			memcpy(field, name, n - 1);
			field[n - 1] = '\0';
			for (size_t i = 0; i + 1 < n; i++)
				if (!is_ident(field[i]))
					return false;
			found++;
		}
		p = line_end + 1;
	}
	return found == 1;
}

/* Does [line, end) define a function whose first parameter is the
 * instance? */
static bool function_start(const char *line, const char *end, const char *param)
{
	size_t n = (size_t)(end - line);
	return n > 4 && line[0] != ' ' && line[0] != '#' && memcmp(end - 3, ") {", 3) == 0 &&
	       find_in(line, end, param) != NULL;
}

/* Copy @line to @out, turning accessor calls on @target (the text between
 * "(" and the address argument) into kiln_ accessors on kiln_mem. */
static void rewrite_line(FILE *out, const char *line, const char *end, const char *target,
			 unsigned *count)
{
	const char *p = line;
	size_t tl = strlen(target);
	while (p < end) {
		const char *call = NULL, *name = NULL;
		size_t nl = 0;
		for (const char *q = p; q < end && call == NULL; q++) {
			if (*q != '(' || (size_t)(end - q - 1) < tl || memcmp(q + 1, target, tl) != 0)
				continue;
			for (size_t i = 0; i < sizeof accessors / sizeof accessors[0]; i++) {
				size_t al = strlen(accessors[i]);
				if ((size_t)(q - p) >= al && memcmp(q - al, accessors[i], al) == 0 &&
				    (q - al == line || !is_ident(q[-(ptrdiff_t)al - 1]))) {
					call = q;
					name = q - al;
					nl = al;
					break;
				}
			}
		}
		if (call == NULL) {
			fwrite(p, 1, (size_t)(end - p), out);
			break;
		}
		fwrite(p, 1, (size_t)(name - p), out);
		fputs("kiln_", out);
		fwrite(name, 1, nl, out);
		fputs("(kiln_mem, ", out);
		p = call + 1 + tl;
		(*count)++;
	}
}

int kiln_membase_rewrite(const char *src, size_t len, const char *header, size_t header_len,
			 const char *instance_type, char **out, size_t *out_len, unsigned *count,
			 struct kiln_err *err)
{
	char field[128], target[160], param[160];
	bool pointer = false, in_func = false;
	const char *p = src, *end = src + len;
	FILE *f;
	int rc = KILN_OK;

	*out = NULL;
	*out_len = 0;
	*count = 0;
	if (!memory_field(header, header_len, instance_type, field, sizeof field, &pointer))
		return KILN_OK; /* no memory, or several: nothing to do */
	snprintf(target, sizeof target, pointer ? "instance->%s, " : "&instance->%s, ", field);
	snprintf(param, sizeof param, "(%s* instance", instance_type);
	f = open_memstream(out, out_len);
	if (f == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl : end;
		if (in_func && line_end - p == 1 && p[0] == '}') {
			in_func = false;
			fputc('}', f);
		} else if (in_func) {
			rewrite_line(f, p, line_end, target, count);
		} else if (function_start(p, line_end, param)) {
			fwrite(p, 1, (size_t)(line_end - p), f);
			fprintf(f, "\n  u8* const kiln_mem = instance->%s%sdata;", field,
				pointer ? "->" : ".");
			in_func = true;
		} else {
			fwrite(p, 1, (size_t)(line_end - p), f);
		}
		if (nl != NULL)
			fputc('\n', f);
		p = line_end + 1;
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
