/*
 * run_host.c — the generic host of `kiln run` (libkiln-run.a).
 *
 * `kiln run` compiles a module with `--name ext`, links the object with
 * this file and libkiln-rt, and executes the result with the grants of its
 * command line translated into the options below.  The host makes one
 * engine and one instance under exactly those grants, with stdin, stdout
 * and stderr inherited, calls `_initialize` when the module exports it and
 * then `_start`, and exits with:
 *
 *   the guest's code       when it returns (0) or calls proc_exit;
 *   128 + the trap kind    when it traps (enum kiln_trap_kind: 129 out of
 *                          bounds ... 137 deadline ...), the trap on stderr;
 *   125                    when the extension cannot be run at all (bad
 *                          option, grant refused, instantiation failed).
 *
 * Options (all optional; `kiln run` validates its own and passes numbers
 * in these plain forms):
 *   --name NAME            extension name used in messages
 *   --mount HOST:GUEST[:ro|:rw]   preopen HOST as GUEST (read-write unless :ro)
 *   --env KEY=VALUE        an environment variable
 *   --env-inherit KEY      pass the host's KEY through when set
 *   --clock realtime|monotonic|all
 *   --random               random_get
 *   --fuel N               fuel per call (and for instantiation)
 *   --max-memory BYTES     memory cap
 *   --timeout-ns NS        hard deadline of each call; 0: none
 *   --argv0 NAME           the guest's argv[0] (default: NAME)
 *   -- ARGS...             the guest's other arguments
 * Anything not given keeps the runtime's default (kiln_rt.h): a zero
 * grant.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_rt.h"

/* What the host exits with when the extension cannot be run at all. */
#define EXIT_CANNOT_RUN 125
/* Most --mount, --env and --env-inherit options taken. */
#define MAX_ITEMS 256

extern const struct kiln_module_desc kiln_module_ext;

struct opts {
	const char *name;
	const char *argv0;
	struct kiln_wasi_mount mounts[MAX_ITEMS];
	const char *env[MAX_ITEMS];
	const char *inherit[MAX_ITEMS];
	size_t nmounts, nenv, ninherit;
	struct kiln_grants g;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("kiln: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_CANNOT_RUN;
}

/* A decimal u64 with nothing after it. */
static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* HOST:GUEST[:ro|:rw], split in place. */
static bool parse_mount(char *spec, struct kiln_wasi_mount *m)
{
	size_t len = strlen(spec);
	char *colon;
	m->writable = true;
	if (len > 3 && (strcmp(spec + len - 3, ":ro") == 0 || strcmp(spec + len - 3, ":rw") == 0)) {
		m->writable = spec[len - 1] == 'w';
		spec[len - 3] = '\0';
	}
	colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || colon[1] == '\0')
		return false;
	*colon = '\0';
	m->host_path = spec;
	m->guest_path = colon + 1;
	return true;
}

static int parse(int argc, char **argv, struct opts *o, int *first_arg)
{
	enum { O_NAME = 256, O_MOUNT, O_ENV, O_INHERIT, O_CLOCK, O_RANDOM, O_FUEL, O_MEM,
	       O_TIMEOUT, O_ARGV0 };
	static const struct option longopts[] = {
		{"name", required_argument, NULL, O_NAME},
		{"mount", required_argument, NULL, O_MOUNT},
		{"env", required_argument, NULL, O_ENV},
		{"env-inherit", required_argument, NULL, O_INHERIT},
		{"clock", required_argument, NULL, O_CLOCK},
		{"random", no_argument, NULL, O_RANDOM},
		{"fuel", required_argument, NULL, O_FUEL},
		{"max-memory", required_argument, NULL, O_MEM},
		{"timeout-ns", required_argument, NULL, O_TIMEOUT},
		{"argv0", required_argument, NULL, O_ARGV0},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case O_NAME: o->name = optarg; break;
		case O_ARGV0: o->argv0 = optarg; break;
		case O_MOUNT:
			if (o->nmounts == MAX_ITEMS || !parse_mount(optarg, &o->mounts[o->nmounts]))
				return fail("--mount %s: expected HOST:GUEST[:ro] (at most %d)", optarg,
					    MAX_ITEMS);
			o->nmounts++;
			break;
		case O_ENV:
			if (o->nenv == MAX_ITEMS || strchr(optarg, '=') == NULL || optarg[0] == '=')
				return fail("--env %s: expected KEY=VALUE (at most %d)", optarg,
					    MAX_ITEMS);
			o->env[o->nenv++] = optarg;
			break;
		case O_INHERIT:
			if (o->ninherit == MAX_ITEMS || optarg[0] == '\0' || strchr(optarg, '=') != NULL)
				return fail("--env-inherit %s: expected a variable name", optarg);
			o->inherit[o->ninherit++] = optarg;
			break;
		case O_CLOCK:
			if (strcmp(optarg, "realtime") == 0 || strcmp(optarg, "all") == 0)
				o->g.wasi.clock_realtime = true;
			if (strcmp(optarg, "monotonic") == 0 || strcmp(optarg, "all") == 0)
				o->g.wasi.clock_monotonic = true;
			if (!o->g.wasi.clock_realtime && !o->g.wasi.clock_monotonic)
				return fail("--clock %s: expected realtime, monotonic or all", optarg);
			break;
		case O_RANDOM: o->g.wasi.random = true; break;
		case O_FUEL:
			if (!parse_u64(optarg, &v) || v == 0)
				return fail("--fuel %s: expected a positive number", optarg);
			o->g.fuel_per_call = o->g.fuel_instantiate = v;
			break;
		case O_MEM:
			if (!parse_u64(optarg, &v) || v < KILN_PAGE_SIZE)
				return fail("--max-memory %s: expected bytes, at least %u", optarg,
					    KILN_PAGE_SIZE);
			o->g.memory_cap_bytes = v;
			break;
		case O_TIMEOUT:
			if (!parse_u64(optarg, &v))
				return fail("--timeout-ns %s: expected nanoseconds", optarg);
			o->g.hard_deadline_ns = v == 0 ? KILN_UNLIMITED : v;
			break;
		default:
			return fail("unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	*first_arg = optind;
	return 0;
}

/* Call export @name when it exists; returns the status (KILN_OK when
 * absent) and sets *@found. */
static int call_if_exported(struct kiln_instance *inst, const char *name, bool *found,
			    struct kiln_err *err)
{
	const struct kiln_export_desc *e = kiln_instance_export(inst, name);
	*found = e != NULL && e->kind == KILN_EXTERN_FUNC;
	if (!*found)
		return KILN_OK;
	if (e->nparams != 0 || e->nresults != 0)
		return kiln_err_set(err, KILN_ETYPE, "extension %s: %s must take and return nothing",
				    kiln_instance_extension(inst)->name, name);
	return kiln_instance_invoke(inst, e, NULL, 0, NULL, 0, err);
}

/* The process exit status for a call that ended with @rc. */
static int outcome(int rc, enum kiln_trap_kind kind, int code, const struct kiln_err *err)
{
	if (rc == KILN_OK)
		return 0;
	if (rc != KILN_ETRAP)
		return fail("%s", err->msg);
	if (kind == KILN_TRAP_EXIT)
		return code;
	fprintf(stderr, "kiln: %s\n", err->msg);
	return 128 + (int)kind;
}

static void log_line(void *user, enum kiln_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	fprintf(stderr, "kiln: %s\n", msg);
}

int main(int argc, char **argv)
{
	static struct opts o;
	struct kiln_engine_config cfg = {.slots = 1, .log = log_line};
	struct kiln_extension ext = {.module = &kiln_module_ext};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst = NULL;
	struct kiln_err err = {0, ""};
	const char **args = NULL;
	enum kiln_trap_kind kind;
	int first = argc, rc, status, code = 0;
	bool has_init, has_start;

	if ((status = parse(argc, argv, &o, &first)) != 0)
		goto out;
	ext.name = o.name != NULL ? o.name : "ext";
	args = calloc((size_t)(argc - first) + 1, sizeof *args);
	if (args == NULL) {
		status = fail("out of memory");
		goto out;
	}
	args[0] = o.argv0 != NULL ? o.argv0 : ext.name;
	for (int i = first; i < argc; i++)
		args[i - first + 1] = argv[i];
	o.g.wasi.args = args;
	o.g.wasi.nargs = (size_t)(argc - first) + 1;
	o.g.wasi.mounts = o.mounts;
	o.g.wasi.nmounts = o.nmounts;
	o.g.wasi.env = o.env;
	o.g.wasi.nenv = o.nenv;
	o.g.wasi.env_inherit = o.inherit;
	o.g.wasi.nenv_inherit = o.ninherit;
	for (int i = 0; i < 3; i++)
		o.g.wasi.stdio[i].kind = KILN_WASI_STDIO_INHERIT;

	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK) {
		status = fail("%s", err.msg);
		goto out;
	}
	rc = kiln_instance_new(eng, &ext, &o.g, &inst, &err);
	if (rc != KILN_OK) {
		kind = kiln_trap_last(&code);
		status = outcome(rc, kind, code, &err);
		goto out;
	}
	rc = call_if_exported(inst, "_initialize", &has_init, &err);
	if (rc == KILN_OK)
		rc = call_if_exported(inst, "_start", &has_start, &err);
	if (rc == KILN_OK && !has_init && !has_start) {
		status = fail("extension %s exports neither _start nor _initialize", ext.name);
		goto out;
	}
	kind = kiln_instance_trap(inst, &code);
	status = outcome(rc, kind, code, &err);
out:
	kiln_instance_free(inst);
	kiln_engine_free(eng);
	free(args);
	return status;
}
