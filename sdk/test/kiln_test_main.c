/*
 * kiln_test_main.c — the runner `kiln test` links with the tables it
 * generates from kiln.yaml (kiln_tests.c) and the baked extensions.
 *
 * One CUnit suite per baked extension, in kiln.yaml's order:
 *   - "instantiates under its grants": kiln_instance_new with the grants
 *     baked from kiln.yaml;
 *   - "protocol version" (when exported or demanded by `protocol:`): in the
 *     runtime's range, and equal to kiln.yaml's when it gives one;
 *   - "health" (when exported): kiln_health() returns KILN_HEALTH_OK;
 *   - "fuel exhaustion": a call that completes under the real budget (the
 *     first case expecting results or stdout, else _start) is run with a
 *     budget of 1 and must stop with "fuel exhausted", then work again after
 *     a reset; without one, a reactor's instantiation, else the first
 *     exported function called with zeros, must stop the same way (or
 *     really cost at most 1 unit);
 *   - one test per `tests:` case: export called with the typed arguments
 *     on a fresh instance, then the results, the trap kind or stdout
 *     compared.
 * Every instance gets the extension's grants with stdio made hermetic:
 * stdin reads the case's `stdin:` bytes (or nothing), stdout and stderr
 * are captured (stderr is shown when a case fails).
 *
 * usage: RUNNER [-v] [-n LABEL] [EXTENSION...]
 * Ends with "LABEL: N passed, M failed" (LABEL defaults to kiln-test) and
 * exits 1 when anything failed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "kiln_test.h"

static struct kiln_engine *g_eng;
static bool g_verbose;
static size_t g_suite; /* set by each suite's init */

/* Record a failure with a formatted message (CUnit copies it). */
static __attribute__((format(printf, 2, 3))) void fail(int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	CU_assertImplementation(CU_FALSE, (unsigned)line, msg, __FILE__, "", CU_FALSE);
}

#define FAIL(...) fail(__LINE__, __VA_ARGS__)
#define PASS() CU_assertImplementation(CU_TRUE, __LINE__, "ok", __FILE__, "", CU_FALSE)

static void on_extension_log(void *user, struct kiln_instance *inst, const char *extension,
			     enum kiln_log_level level, const char *msg)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	(void)user, (void)inst;
	if (g_verbose)
		fprintf(stderr, "    [%s %s] %s\n", extension, names[level], msg);
}

static void on_log(void *user, enum kiln_log_level level, const char *msg)
{
	(void)user;
	if (g_verbose || level == KILN_LOG_ERROR)
		fprintf(stderr, "    kiln: %s\n", msg);
}

static const struct kiln_test_suite *suite(void)
{
	return &kiln_test_suites[g_suite];
}

static const struct kiln_extension *extension(void)
{
	const struct kiln_extension *ext = kiln_extension_find(g_eng, suite()->extension);
	if (ext == NULL)
		FAIL("extension %s is not baked into this runner", suite()->extension);
	return ext;
}

static const struct kiln_export_desc *find_export(const struct kiln_extension *ext,
						  const char *name)
{
	const struct kiln_module_desc *d = ext->module;
	for (uint32_t i = 0; i < d->nexports; i++)
		if (strcmp(d->exports[i].name, name) == 0 && d->exports[i].kind == KILN_EXTERN_FUNC)
			return &d->exports[i];
	return NULL;
}

/* The extension's grants with hermetic stdio: stdin reads @in (@len
 * bytes), stdout and stderr are captured. */
static void hermetic(const struct kiln_extension *ext, struct kiln_grants *g, const char *in,
		     size_t len)
{
	static const struct kiln_grants zero;
	*g = ext->grants != NULL ? *ext->grants : zero;
	memset(g->wasi.stdio, 0, sizeof g->wasi.stdio);
	g->wasi.stdio[0].kind = KILN_WASI_STDIO_CAPTURE;
	g->wasi.stdio[0].input = in;
	g->wasi.stdio[0].input_len = len;
	g->wasi.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	g->wasi.stdio[2].kind = KILN_WASI_STDIO_CAPTURE;
}

static struct kiln_instance *instantiate(const struct kiln_extension *ext, const char *in,
					 size_t len)
{
	struct kiln_grants g;
	struct kiln_instance *inst = NULL;
	struct kiln_err err;
	hermetic(ext, &g, in, len);
	if (kiln_instance_new(g_eng, ext, &g, &inst, &err) != KILN_OK) {
		FAIL("%s: cannot instantiate: %s", ext->name, err.msg);
		return NULL;
	}
	return inst;
}

/* Printable form of @n bytes at @p, quoted, cut at 120 bytes. */
static const char *quote(const uint8_t *p, size_t n, char *buf, size_t size)
{
	size_t o = 0;
	buf[o++] = '"';
	for (size_t i = 0; i < n && o + 8 < size; i++) {
		if (i == 120) {
			o += (size_t)snprintf(buf + o, size - o, "...");
			break;
		}
		if (p[i] == '\n')
			o += (size_t)snprintf(buf + o, size - o, "\\n");
		else if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", p[i]);
		else
			buf[o++] = (char)p[i];
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *stderr_of(struct kiln_instance *inst, char *buf, size_t size)
{
	size_t n = 0;
	const uint8_t *e = kiln_wasi_captured(kiln_instance_wasi(inst), 2, &n);
	if (n == 0) {
		buf[0] = '\0';
		return buf;
	}
	return quote(e, n, buf, size);
}

static void format_val(const struct kiln_val *v, char *buf, size_t size)
{
	switch (v->type) {
	case KILN_I32:
		snprintf(buf, size, "i32:%d", (int32_t)v->of.i32);
		break;
	case KILN_I64:
		snprintf(buf, size, "i64:%lld", (long long)(int64_t)v->of.i64);
		break;
	case KILN_F32:
		snprintf(buf, size, "f32:%.9g", (double)v->of.f32);
		break;
	case KILN_F64:
		snprintf(buf, size, "f64:%.17g", v->of.f64);
		break;
	default:
		snprintf(buf, size, "(reference)");
	}
}

/* Bit-exact, except that an expected NaN matches any NaN. */
static bool same_val(const struct kiln_val *want, const struct kiln_val *got)
{
	if (want->type != got->type)
		return false;
	switch (want->type) {
	case KILN_I32:
		return want->of.i32 == got->of.i32;
	case KILN_I64:
		return want->of.i64 == got->of.i64;
	case KILN_F32:
		if (isnan(want->of.f32))
			return isnan(got->of.f32);
		return memcmp(&want->of.f32, &got->of.f32, sizeof(float)) == 0;
	case KILN_F64:
		if (isnan(want->of.f64))
			return isnan(got->of.f64);
		return memcmp(&want->of.f64, &got->of.f64, sizeof(double)) == 0;
	default:
		return false;
	}
}

/* ---- The fixed tests of every suite ---- */

static void test_instantiates(void)
{
	const struct kiln_extension *ext = extension();
	struct kiln_instance *inst;
	if (ext == NULL)
		return;
	inst = instantiate(ext, NULL, 0);
	if (inst != NULL)
		PASS();
	kiln_instance_free(inst);
}

static void test_protocol(void)
{
	const struct kiln_extension *ext = extension();
	struct kiln_instance *inst;
	struct kiln_err err;
	int32_t v = 0;
	int rc;

	if (ext == NULL || (inst = instantiate(ext, NULL, 0)) == NULL)
		return;
	rc = kiln_instance_protocol(inst, &v, &err);
	if (rc != KILN_OK)
		FAIL("%s: protocol version: %s", ext->name, err.msg);
	else if (suite()->has_protocol && v != suite()->protocol)
		FAIL("%s: kiln.yaml expects protocol %d, the extension says %d", ext->name,
		     suite()->protocol, v);
	else
		PASS();
	kiln_instance_free(inst);
}

static void test_health(void)
{
	const struct kiln_extension *ext = extension();
	struct kiln_instance *inst;
	struct kiln_err err;
	int32_t h = -1;

	if (ext == NULL || (inst = instantiate(ext, NULL, 0)) == NULL)
		return;
	if (kiln_instance_health(inst, &h, &err) != KILN_OK)
		FAIL("%s: health: %s", ext->name, err.msg);
	else if (h != KILN_HEALTH_OK)
		FAIL("%s: kiln_health() returned %d, not KILN_HEALTH_OK", ext->name, h);
	else
		PASS();
	kiln_instance_free(inst);
}

/* The case the fuel probe replays: one known to complete. */
static const struct kiln_test_case *probe_case(void)
{
	for (size_t i = 0; i < suite()->ncases; i++) {
		const struct kiln_test_case *c = &suite()->cases[i];
		if (c->trap == 0 && (c->check_results || c->check_stdout))
			return c;
	}
	return NULL;
}

/* Instantiation of a reactor with a budget of 1: its _initialize must run
 * out of fuel (or really cost at most 1). */
static void probe_instantiation(const struct kiln_extension *ext)
{
	struct kiln_instance *inst = NULL;
	struct kiln_grants g;
	struct kiln_err err;
	int rc;

	hermetic(ext, &g, NULL, 0);
	g.fuel_instantiate = 1;
	rc = kiln_instance_new(g_eng, ext, &g, &inst, &err);
	if (rc == KILN_ETRAP && kiln_trap_last(NULL) == KILN_TRAP_FUEL)
		PASS();
	else if (rc == KILN_OK && kiln_instance_fuel_consumed(inst) <= 1)
		PASS();
	else
		FAIL("%s: instantiation with a fuel budget of 1 %s", ext->name,
		     rc == KILN_OK ? "completed" : err.msg);
	kiln_instance_free(inst);
}

/* Call @name with a budget of 1: it must run out of fuel (or really cost
 * at most 1); then, after a reset, with the real budget: it must work when
 * @completes (a case known to complete, or _start). */
static void probe_call(const struct kiln_extension *ext, const char *name,
		       const struct kiln_val *args, size_t nargs, const char *in, size_t inlen,
		       bool completes)
{
	const struct kiln_export_desc *fn = find_export(ext, name);
	struct kiln_val res[16];
	struct kiln_instance *inst;
	struct kiln_err err;
	size_t nres = fn != NULL ? fn->nresults : 0;
	int rc;

	if (fn == NULL || nres > 16) {
		FAIL("%s: cannot probe %s", ext->name, name);
		return;
	}
	if ((inst = instantiate(ext, in, inlen)) == NULL)
		return;
	kiln_instance_set_fuel(inst, 1);
	rc = kiln_instance_call(inst, name, args, nargs, res, nres, &err);
	if (rc == KILN_OK && kiln_instance_fuel_consumed(inst) <= 1) {
		PASS(); /* it really costs at most 1 */
	} else if (rc != KILN_ETRAP || kiln_instance_trap(inst, NULL) != KILN_TRAP_FUEL) {
		FAIL("%s: %s with a fuel budget of 1 %s", ext->name, name,
		     rc == KILN_OK ? "completed" : err.msg);
	} else {
		/* stopped; now the instance must recover */
		kiln_instance_set_fuel(inst, 0);
		if (kiln_instance_reset(inst, &err) != KILN_OK)
			FAIL("%s: reset after running out of fuel: %s", ext->name, err.msg);
		else if (completes &&
			 kiln_instance_call(inst, name, args, nargs, res, nres, &err) != KILN_OK)
			FAIL("%s: %s after a reset with the real budget: %s", ext->name, name,
			     err.msg);
		else
			PASS();
	}
	kiln_instance_free(inst);
}

/* The fuel-exhaustion probe: a call known to complete (the first case
 * expecting results or stdout, else _start), else a reactor's
 * instantiation, else the first exported function called with zeros (the
 * fuel pass charges a function's entry before it does anything else, so a
 * budget of 1 stops any export before its first effect). */
static void test_fuel(void)
{
	const struct kiln_extension *ext = extension();
	const struct kiln_test_case *c = probe_case();
	const struct kiln_module_desc *d;
	struct kiln_val zeros[16];

	if (ext == NULL)
		return;
	d = ext->module;
	if (d->fuel == NULL) {
		FAIL("%s: compiled without fuel: calls cannot be stopped by a budget", ext->name);
		return;
	}
	if (c != NULL) {
		probe_call(ext, c->export_name, c->args, c->nargs, c->stdin_data, c->stdin_len,
			   true);
		return;
	}
	if (find_export(ext, "_start") != NULL) {
		probe_call(ext, "_start", NULL, 0, NULL, 0, true);
		return;
	}
	if (find_export(ext, KILN_INITIALIZE_EXPORT) != NULL) {
		probe_instantiation(ext);
		return;
	}
	for (uint32_t i = 0; i < d->nexports; i++) {
		const struct kiln_export_desc *fn = &d->exports[i];
		if (fn->kind != KILN_EXTERN_FUNC || fn->nparams > 16)
			continue;
		for (uint32_t k = 0; k < fn->nparams; k++)
			zeros[k] = (struct kiln_val){(enum kiln_valtype)fn->types[k], {.i64 = 0}};
		probe_call(ext, fn->name, zeros, fn->nparams, NULL, 0, false);
		return;
	}
	FAIL("%s: exports no function: nothing can be called", ext->name);
}

/* ---- `tests:` cases ---- */

void kiln_test_run_case(size_t s, size_t index)
{
	const struct kiln_test_case *c = &kiln_test_suites[s].cases[index];
	const struct kiln_extension *ext;
	const struct kiln_export_desc *fn;
	struct kiln_val res[16];
	struct kiln_instance *inst;
	struct kiln_err err;
	char e1[512], e2[512], errout[512];
	size_t nres;
	int rc;
	enum kiln_trap_kind kind;

	g_suite = s;
	if ((ext = extension()) == NULL)
		return;
	fn = find_export(ext, c->export_name);
	if (fn == NULL) {
		FAIL("%s: %s: %s exports no function \"%s\"", c->where, c->name, ext->name,
		     c->export_name);
		return;
	}
	nres = c->check_results ? c->nresults : fn->nresults;
	if (nres > sizeof res / sizeof res[0]) {
		FAIL("%s: %s: too many results", c->where, c->name);
		return;
	}
	if ((inst = instantiate(ext, c->stdin_data, c->stdin_len)) == NULL)
		return;
	rc = kiln_instance_call(inst, c->export_name, c->args, c->nargs, res, nres, &err);
	kind = rc == KILN_ETRAP ? kiln_instance_trap(inst, NULL) : KILN_TRAP_NONE;
	if (c->trap != 0) {
		if (rc != KILN_ETRAP)
			FAIL("%s: %s: expected the trap \"%s\", the call %s", c->where, c->name,
			     kiln_trap_kind_name((enum kiln_trap_kind)c->trap),
			     rc == KILN_OK ? "returned" : err.msg);
		else if ((int)kind != c->trap)
			FAIL("%s: %s: expected the trap \"%s\", got \"%s\"", c->where, c->name,
			     kiln_trap_kind_name((enum kiln_trap_kind)c->trap),
			     kiln_trap_kind_name(kind));
		else
			PASS();
		goto out;
	}
	if (rc != KILN_OK) {
		FAIL("%s: %s: %s %s", c->where, c->name, err.msg,
		     stderr_of(inst, errout, sizeof errout));
		goto out;
	}
	for (size_t i = 0; c->check_results && i < c->nresults; i++) {
		if (!same_val(&c->results[i], &res[i])) {
			format_val(&c->results[i], e1, sizeof e1);
			format_val(&res[i], e2, sizeof e2);
			FAIL("%s: %s: result %zu: expected %s, got %s", c->where, c->name, i, e1,
			     e2);
			goto out;
		}
	}
	if (c->check_stdout) {
		size_t n = 0;
		const uint8_t *got = kiln_wasi_captured(kiln_instance_wasi(inst), 1, &n);
		if (n != c->stdout_len || (n != 0 && memcmp(got, c->stdout_data, n) != 0)) {
			FAIL("%s: %s: stdout: expected %s, got %s %s", c->where, c->name,
			     quote((const uint8_t *)c->stdout_data, c->stdout_len, e1, sizeof e1),
			     quote(got, n, e2, sizeof e2), stderr_of(inst, errout, sizeof errout));
			goto out;
		}
	}
	PASS();
out:
	kiln_instance_free(inst);
}

int kiln_test_suite_init(size_t s)
{
	g_suite = s;
	return 0;
}

static bool wanted(const char *name, int argc, char **argv)
{
	if (argc == 0)
		return true;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct kiln_engine_config cfg = {.log = on_log, .extension_log = on_extension_log};
	const char *label = "kiln-test";
	struct kiln_err err;
	unsigned run = 0, failed = 0;
	int i = 1, status = 2;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			g_verbose = true;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			label = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [-v] [-n LABEL] [EXTENSION...]\n", argv[0]);
			return 2;
		}
	}
	if (kiln_engine_new(&cfg, &g_eng, &err) != KILN_OK) {
		fprintf(stderr, "%s: %s\n", label, err.msg);
		return 2;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		goto out;
	for (size_t s = 0; s < kiln_test_nsuites; s++) {
		const struct kiln_test_suite *ts = &kiln_test_suites[s];
		const struct kiln_extension *ext;
		CU_pSuite cs;
		if (!wanted(ts->extension, argc - i, argv + i))
			continue;
		cs = CU_add_suite(ts->extension, ts->init, NULL);
		if (cs == NULL)
			goto out;
		CU_add_test(cs, "instantiates under its grants", test_instantiates);
		ext = kiln_extension_find(g_eng, ts->extension);
		if (ext == NULL || find_export(ext, KILN_PROTOCOL_EXPORT) != NULL ||
		    ts->has_protocol)
			CU_add_test(cs, "protocol version", test_protocol);
		if (ext == NULL || find_export(ext, KILN_HEALTH_EXPORT) != NULL)
			CU_add_test(cs, "health", test_health);
		CU_add_test(cs, "fuel exhaustion", test_fuel);
		for (size_t c = 0; c < ts->ncases; c++)
			CU_add_test(cs, ts->cases[c].name, ts->case_fns[c]);
	}
	if (CU_get_error() != CUE_SUCCESS)
		goto out;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
	status = failed != 0;
out:
	if (status == 2)
		fprintf(stderr, "%s: CUnit: %s\n", label, CU_get_error_msg());
	CU_cleanup_registry();
	kiln_engine_free(g_eng);
	printf("%s: %u passed, %u failed\n", label, run >= failed ? run - failed : 0, failed);
	return status;
}
