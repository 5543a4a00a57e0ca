/*
 * host.c — the example host: four extensions baked in by `kiln bake`
 * (examples/kiln.yaml), found by name and driven through libkiln-rt.
 *
 *   checksum    typed exports: the host writes into its memory and
 *               compares its checksums with its own
 *   textfilter  a WASI command: stdin in, stdout out
 *   reporter    reads its configuration, writes a file into the directory
 *               it was granted
 *   hostile     tries to hang, overrun, escape, snoop and flood: each
 *               attempt must be stopped, and the host carries on
 *
 * Run it from the directory of kiln.yaml (the grants' paths are relative to
 * it).  It prints a report and exits 0 when every extension behaved as
 * expected and every hostile attempt was stopped, 1 otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_rt.h"

static struct kiln_engine *eng;
static int failures;
static unsigned debug_lines;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* Extensions' log lines: shown indented, debug lines only counted. */
static void on_extension_log(void *user, struct kiln_instance *inst, const char *extension,
			     enum kiln_log_level level, const char *msg)
{
	(void)user, (void)inst;
	if (level == KILN_LOG_DEBUG) {
		debug_lines++;
		return;
	}
	printf("    [%s %s] %s\n", extension, level_names[level], msg);
}

/* The runtime's own messages (deadlines passed...). */
static void on_log(void *user, enum kiln_log_level level, const char *msg)
{
	(void)user;
	printf("    (kiln %s: %s)\n", level_names[level], msg);
}

static __attribute__((format(printf, 1, 2))) void bad(const char *fmt, ...)
{
	va_list ap;
	printf("  FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures++;
}

static const struct kiln_extension *find(const char *name)
{
	const struct kiln_extension *ext = kiln_extension_find(eng, name);
	if (ext == NULL)
		bad("extension %s is not baked into this host", name);
	return ext;
}

static struct kiln_instance *instantiate(const struct kiln_extension *ext,
					 const struct kiln_grants *g)
{
	struct kiln_instance *inst = NULL;
	struct kiln_err err;
	if (kiln_instance_new(eng, ext, g, &inst, &err) != KILN_OK)
		bad("%s", err.msg);
	return inst;
}

/* Protocol version and health, when the extension exports them. */
static void protocol_and_health(struct kiln_instance *inst)
{
	struct kiln_err err;
	int32_t v = 0, h = 0;
	int rc = kiln_instance_protocol(inst, &v, &err);

	if (rc == KILN_OK)
		printf("  protocol %d (runtime %d..%d)", v, KILN_PROTOCOL_MIN, KILN_PROTOCOL_MAX);
	else if (rc == KILN_ENOTFOUND)
		printf("  no protocol version");
	else
		bad("%s", err.msg);
	rc = kiln_instance_health(inst, &h, &err);
	if (rc == KILN_OK)
		printf(", health %s\n", h == KILN_HEALTH_OK ? "ok" : "NOT OK");
	else if (rc == KILN_ENOTFOUND)
		printf(", no health check\n");
	else
		bad("health: %s", err.msg);
	if (rc == KILN_OK && h != KILN_HEALTH_OK)
		bad("health code %d", h);
}

static int call_i32(struct kiln_instance *inst, const char *name, int nargs, uint32_t a0,
		    uint32_t a1, struct kiln_val *res, struct kiln_err *err)
{
	struct kiln_val args[2] = {{KILN_I32, {.i32 = a0}}, {KILN_I32, {.i32 = a1}}};
	const struct kiln_export_desc *fn = kiln_instance_export(inst, name);
	size_t nres = fn != NULL ? fn->nresults : 0;
	return kiln_instance_call(inst, name, args, (size_t)nargs, res, nres, err);
}

/* ---- checksum ---- */

static uint32_t native_adler32(const uint8_t *p, size_t len)
{
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < len; i++) {
		a = (a + p[i]) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

static uint32_t native_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static uint64_t native_fnv1a64(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void demo_checksum(void)
{
	static const char text[] = "kiln bakes WebAssembly extensions into one native binary.";
	const size_t len = sizeof text - 1;
	const struct kiln_extension *ext;
	struct kiln_instance *inst;
	struct kiln_val addr, sum;
	struct kiln_err err;

	printf("\n== checksum: a compute extension with typed exports\n");
	if ((ext = find("checksum")) == NULL || (inst = instantiate(ext, NULL)) == NULL)
		return;
	protocol_and_health(inst);
	if (call_i32(inst, "buffer", 0, 0, 0, &addr, &err) != KILN_OK ||
	    kiln_instance_memory_write(inst, addr.of.i32, text, len, &err) != KILN_OK) {
		bad("%s", err.msg);
		goto out;
	}
	printf("  the host wrote %zu bytes into the extension's memory at 0x%" PRIx32 "\n", len,
	       addr.of.i32);
	if (call_i32(inst, "adler32", 1, (uint32_t)len, 0, &sum, &err) != KILN_OK)
		goto trapped;
	printf("  adler32 = %08" PRIx32 " (host: %s)\n", sum.of.i32,
	       sum.of.i32 == native_adler32((const uint8_t *)text, len) ? "same" : "DIFFERENT");
	if (sum.of.i32 != native_adler32((const uint8_t *)text, len))
		bad("adler32 differs");
	if (call_i32(inst, "crc32", 1, (uint32_t)len, 0, &sum, &err) != KILN_OK)
		goto trapped;
	printf("  crc32   = %08" PRIx32 " (host: %s)\n", sum.of.i32,
	       sum.of.i32 == native_crc32((const uint8_t *)text, len) ? "same" : "DIFFERENT");
	if (sum.of.i32 != native_crc32((const uint8_t *)text, len))
		bad("crc32 differs");
	if (call_i32(inst, "fnv1a64", 1, (uint32_t)len, 0, &sum, &err) != KILN_OK)
		goto trapped;
	printf("  fnv1a64 = %016" PRIx64 " (host: %s)\n", sum.of.i64,
	       sum.of.i64 == native_fnv1a64((const uint8_t *)text, len) ? "same" : "DIFFERENT");
	if (sum.of.i64 != native_fnv1a64((const uint8_t *)text, len))
		bad("fnv1a64 differs");
	if (call_i32(inst, "entropy", 1, (uint32_t)len, 0, &sum, &err) != KILN_OK)
		goto trapped;
	printf("  entropy = %.3f bits per byte\n", sum.of.f64);
	goto out;
trapped:
	bad("%s", err.msg);
out:
	kiln_instance_free(inst);
}

/* ---- textfilter ---- */

/* @n bytes at @p, line by line, after @label. */
static void print_lines(const char *label, const uint8_t *p, size_t n)
{
	while (n > 0) {
		const uint8_t *nl = memchr(p, '\n', n);
		size_t len = nl != NULL ? (size_t)(nl - p) : n;
		printf("  %s | %.*s\n", label, (int)len, (const char *)p);
		p += len + (nl != NULL);
		n -= len + (nl != NULL);
	}
}

static void demo_textfilter(void)
{
	static const char input[] = "Hello from the host.\nIt reaches the guest on stdin.\n";
	const struct kiln_extension *ext;
	struct kiln_instance *inst;
	struct kiln_grants g;
	struct kiln_err err;
	const uint8_t *out;
	size_t n = 0;

	printf("\n== textfilter: a WASI command, stdin to stdout\n");
	if ((ext = find("textfilter")) == NULL)
		return;
	/* kiln.yaml's grants, with stdio redirected by the host in code */
	g = *ext->grants;
	g.wasi.stdio[0] = (struct kiln_wasi_stdio){.kind = KILN_WASI_STDIO_CAPTURE,
						   .input = input,
						   .input_len = sizeof input - 1};
	g.wasi.stdio[1] = (struct kiln_wasi_stdio){.kind = KILN_WASI_STDIO_CAPTURE};
	if ((inst = instantiate(ext, &g)) == NULL)
		return;
	if (kiln_instance_call(inst, "_start", NULL, 0, NULL, 0, &err) != KILN_OK) {
		bad("%s", err.msg);
		goto out;
	}
	out = kiln_wasi_captured(kiln_instance_wasi(inst), 1, &n);
	print_lines("stdin ", (const uint8_t *)input, sizeof input - 1);
	print_lines("stdout", out, n);
	if (n != sizeof input - 1)
		bad("stdout has %zu bytes, stdin had %zu", n, sizeof input - 1);
out:
	kiln_instance_free(inst);
}

/* ---- reporter ---- */

static void demo_reporter(void)
{
	const struct kiln_extension *ext;
	struct kiln_instance *inst;
	struct kiln_val res;
	struct kiln_err err;
	char path[512], line[256];
	FILE *f;

	printf("\n== reporter: configuration in, a file in its granted directory out\n");
	if ((ext = find("reporter")) == NULL || (inst = instantiate(ext, NULL)) == NULL)
		return;
	printf("  config: title=\"%s\", lines=%s, file=%s\n", kiln_instance_config(inst, "title"),
	       kiln_instance_config(inst, "lines"), kiln_instance_config(inst, "file"));
	if (call_i32(inst, "write_report", 0, 0, 0, &res, &err) != KILN_OK) {
		bad("%s", err.msg);
		goto out;
	}
	if ((int32_t)res.of.i32 < 0) {
		bad("write_report failed: errno %d", -(int32_t)res.of.i32);
		goto out;
	}
	if (ext->grants == NULL || ext->grants->wasi.nmounts == 0 ||
	    kiln_instance_config(inst, "file") == NULL) {
		bad("reporter has no mount or no file name in its grants");
		goto out;
	}
	snprintf(path, sizeof path, "%s/%s", ext->grants->wasi.mounts[0].host_path,
		 kiln_instance_config(inst, "file"));
	printf("  write_report() = %d bytes; the host reads %s:\n", (int32_t)res.of.i32, path);
	if ((f = fopen(path, "r")) == NULL) {
		bad("%s: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof line, f) != NULL)
		printf("    | %s", line);
	fclose(f);
out:
	kiln_instance_free(inst);
}

/* ---- hostile ---- */

/* Name of the last audit entry of @inst's WASI state. */
static void last_audit(struct kiln_instance *inst, char *buf, size_t size)
{
	static const char *const decisions[] = {"", "DENIED", "CONTAINED", "FAULT", "REFUSED"};
	const struct kiln_wasi *w = kiln_instance_wasi(inst);
	size_t n = kiln_wasi_audit_count(w);
	const struct kiln_audit_entry *e = n != 0 ? kiln_wasi_audit_get(w, n - 1) : NULL;
	if (e == NULL)
		snprintf(buf, size, "no audit entry");
	else
		snprintf(buf, size, "audit: %s %s \"%s\"", e->function,
			 (unsigned)e->decision < 5 ? decisions[e->decision] : "?", e->resource);
}

/* Call @name, which must trap with @want. */
static void expect_trap(struct kiln_instance *inst, const char *name, int nargs, uint32_t arg,
			enum kiln_trap_kind want, const char *how)
{
	struct kiln_val res;
	struct kiln_err err;
	int rc = call_i32(inst, name, nargs, arg, 0, &res, &err);
	enum kiln_trap_kind got = kiln_instance_trap(inst, NULL);

	if (rc == KILN_ETRAP && got == want)
		printf("  %-13s stopped: trap \"%s\" (%s)\n", name, kiln_trap_kind_name(got), how);
	else
		bad("%s: expected the trap \"%s\", got %s", name, kiln_trap_kind_name(want),
		    rc == KILN_ETRAP ? kiln_trap_kind_name(got) : "no trap");
}

/* Call @name, which must return @want (an errno, a count, a code). */
static void expect_value(struct kiln_instance *inst, const char *name, int32_t want,
			 const char *verdict)
{
	struct kiln_val res;
	struct kiln_err err;
	char audit[256] = "";

	if (call_i32(inst, name, 0, 0, 0, &res, &err) != KILN_OK) {
		bad("%s: %s", name, err.msg);
		return;
	}
	if ((int32_t)res.of.i32 != want) {
		bad("%s returned %d, expected %d", name, (int32_t)res.of.i32, want);
		return;
	}
	if (strcmp(name, "escape") == 0)
		last_audit(inst, audit, sizeof audit);
	printf("  %-13s %s%s%s\n", name, verdict, audit[0] != '\0' ? "; " : "", audit);
}

static void demo_hostile(void)
{
	const struct kiln_extension *ext;
	struct kiln_instance *inst;
	struct kiln_stats st;
	struct kiln_err err;
	struct kiln_val res;
	char verdict[128];
	uint64_t cap;

	printf("\n== hostile: every attempt stopped, the host carries on\n");
	if ((ext = find("hostile")) == NULL || (inst = instantiate(ext, NULL)) == NULL)
		return;
	expect_trap(inst, "spin", 0, 0, KILN_TRAP_DEADLINE, "its hard deadline");
	kiln_instance_set_fuel(inst, 10 * 1000 * 1000);
	expect_trap(inst, "burn", 0, 0, KILN_TRAP_FUEL, "a budget of 10000000 set in code");
	kiln_instance_set_fuel(inst, 0);
	expect_trap(inst, "oob_write", 0, 0, KILN_TRAP_OUT_OF_BOUNDS, "store at 0xfffffff0");
	expect_trap(inst, "recurse", 1, 0, KILN_TRAP_STACK_EXHAUSTION, "endless recursion");
	expect_trap(inst, "log_probe", 1, 0xffffffffu, KILN_TRAP_OUT_OF_BOUNDS,
		    "kiln.log given 4 GiB");
	expect_value(inst, "escape", 76, "denied: errno 76 (ENOTCAPABLE), path left /data");
	expect_value(inst, "absolute", 76, "denied: errno 76 (ENOTCAPABLE), /etc not granted");
	expect_value(inst, "env_probe", 1, "sees 1 variable (the granted one), no HOME, no PATH");
	cap = ext->grants->memory_cap_bytes != 0 ? ext->grants->memory_cap_bytes
						 : KILN_DEFAULT_MEMORY_CAP;
	snprintf(verdict, sizeof verdict, "denied: memory.grow(1 GiB) = -1 (cap %" PRIu64 " MiB)",
		 cap >> 20);
	expect_value(inst, "grow", -1, verdict);
	expect_value(inst, "config_probe", KILN_CONFIG_EFAULT,
		     "denied: kiln.config_get = -2 (KILN_CONFIG_EFAULT)");
	if (call_i32(inst, "log_flood", 0, 0, 0, &res, &err) != KILN_OK) {
		bad("log_flood: %s", err.msg);
	} else {
		kiln_instance_stats(inst, &st);
		if (st.log_dropped == 0)
			bad("log_flood: nothing dropped");
		else
			printf("  %-13s rate-limited: %" PRIu64 " of its log lines dropped\n",
			       "log_flood", st.log_dropped);
	}
	/* still alive and well */
	if (call_i32(inst, "env_probe", 0, 0, 0, &res, &err) != KILN_OK)
		bad("after the attempts: %s", err.msg);
	kiln_instance_stats(inst, &st);
	printf("  hostile: %" PRIu64 " calls, %" PRIu64 " traps, %" PRIu64 " WASI denials; "
	       "the instance still answers\n",
	       st.calls,
	       st.traps[KILN_TRAP_DEADLINE] + st.traps[KILN_TRAP_FUEL] +
		       st.traps[KILN_TRAP_OUT_OF_BOUNDS] + st.traps[KILN_TRAP_STACK_EXHAUSTION],
	       st.wasi_denials);
	kiln_instance_free(inst);
}

int main(void)
{
	struct kiln_engine_config cfg = {.log = on_log, .extension_log = on_extension_log};
	struct kiln_err err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK) {
		fprintf(stderr, "host: %s\n", err.msg);
		return 1;
	}
	printf("== kiln demo host: %zu extensions baked in\n", kiln_extension_count(eng));
	for (size_t i = 0; i < kiln_extension_count(eng); i++) {
		const struct kiln_extension *e = kiln_extension_at(eng, i);
		printf("  %-11s wasm %.19s...  from %s\n", e->name,
		       e->wasm_digest != NULL ? e->wasm_digest : "?",
		       e->reference != NULL ? e->reference : "?");
	}
	demo_checksum();
	demo_textfilter();
	demo_reporter();
	demo_hostile();
	kiln_engine_free(eng);
	printf("\n== %s (%u debug lines not shown)\n",
	       failures == 0 ? "demo ok: every extension behaved, every attempt was stopped"
			     : "demo FAILED",
	       debug_lines);
	return failures == 0 ? 0 : 1;
}
