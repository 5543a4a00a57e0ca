/*
 * cli_run.c — `kiln run`: try an extension before baking it.  The module is
 * compiled and linked with the generic host into a runner (both cached, see
 * run_cache.c), and the runner replaces this process: the guest's stdin,
 * stdout, stderr and exit status are the process's own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "driver_impl.h"
#include "run_impl.h"

static void usage(FILE *out)
{
	fputs("usage: kiln run EXT.wasm [OPTIONS] [-- ARGS...]\n"
	      "\n"
	      "Compile a wasm32-wasip1 module (cached), link it with a generic host and run\n"
	      "it with exactly the grants below; everything else is denied.  stdin, stdout,\n"
	      "stderr and the exit status are the guest's.\n"
	      "\n"
	      "options:\n"
	      "  --mount HOST:GUEST[:ro]    make directory HOST visible as GUEST (read-write\n"
	      "                             unless :ro); repeatable\n"
	      "  --env KEY=VALUE            set an environment variable; repeatable\n"
	      "  --env-inherit KEY          pass the host's KEY through when set; repeatable\n"
	      "  --clock realtime|monotonic|all   grant a clock; repeatable\n"
	      "  --random                   grant random_get\n"
	      "  --fuel N                   instructions per call (default 10^10)\n"
	      "  --max-memory SIZE          cap linear memory: bytes, or with KiB, MiB, GiB\n"
	      "                             (default 64MiB)\n"
	      "  --timeout SECONDS          hard deadline, e.g. 10 or 0.5; 0: none (default 30)\n"
	      "  --argv0 NAME               the guest's argv[0] (default: EXT.wasm's file name)\n"
	      "  -v, --verbose              report cache hits, compiling and linking\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "exit status: the guest's own code; 128 + the trap kind when it traps (129 out\n"
	      "of bounds, 130 integer divide by zero, 131 integer overflow, 132 invalid\n"
	      "conversion, 133 unreachable, 134 indirect call, 135 stack exhaustion, 136 fuel\n"
	      "exhausted, 137 deadline, 139 host, 140 exception); 125 when kiln cannot run it.\n"
	      "See kiln-run(1).\n",
	      out);
}

/* The runner's argv: the grants in its plain forms (runtime/run/run_host.c),
 * then "--" and the guest's arguments.  Entries point into kiln's argv or
 * into the buffers here. */
struct runner_argv {
	char **v;
	int n;
	char fuel[32], mem[32], timeout[32];
};

static void push(struct runner_argv *r, const char *a, const char *b)
{
	r->v[r->n++] = (char *)a;
	if (b != NULL)
		r->v[r->n++] = (char *)b;
}

int kiln_cmd_run(int argc, char **argv)
{
	enum { O_MOUNT = 256, O_ENV, O_INHERIT, O_CLOCK, O_RANDOM, O_FUEL, O_MEM, O_TIMEOUT,
	       O_ARGV0 };
	static const struct option longopts[] = {
		{"mount", required_argument, NULL, O_MOUNT},
		{"env", required_argument, NULL, O_ENV},
		{"env-inherit", required_argument, NULL, O_INHERIT},
		{"clock", required_argument, NULL, O_CLOCK},
		{"random", no_argument, NULL, O_RANDOM},
		{"fuel", required_argument, NULL, O_FUEL},
		{"max-memory", required_argument, NULL, O_MEM},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"argv0", required_argument, NULL, O_ARGV0},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kiln_err err = {0, ""};
	struct kiln_run_cache cache;
	struct runner_argv r;
	char name[256], argv0[256];
	const char *wasm, *user_argv0 = NULL;
	uint64_t v;
	bool verbose = false;
	int split = kiln_run_split(argc, argv), ch, status = KILN_RUN_EXIT_FAILED;

	memset(&r, 0, sizeof r);
	/* every option, at most two entries each, plus the guest's arguments */
	r.v = calloc((size_t)argc * 2 + 16, sizeof *r.v);
	if (r.v == NULL) {
		kiln_cli_fail("run: out of memory");
		goto out;
	}
	push(&r, "kiln-run-host", NULL);
	opterr = 0;
	optind = 0; /* full re-initialisation (glibc) */
	while ((ch = getopt_long(split, argv, ":vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v': verbose = true; break;
		case 'h': usage(stdout); status = 0; goto out;
		case O_MOUNT:
			if (kiln_check_mount(optarg, &err) != KILN_OK)
				goto bad;
			push(&r, "--mount", optarg);
			break;
		case O_ENV:
		case O_INHERIT:
			if (kiln_check_env(optarg, ch == O_INHERIT, &err) != KILN_OK)
				goto bad;
			push(&r, ch == O_ENV ? "--env" : "--env-inherit", optarg);
			break;
		case O_CLOCK:
			if (strcmp(optarg, "realtime") != 0 && strcmp(optarg, "monotonic") != 0 &&
			    strcmp(optarg, "all") != 0) {
				kiln_err_set(&err, KILN_EINVAL,
					     "invalid --clock \"%s\": expected realtime, monotonic or all",
					     optarg);
				goto bad;
			}
			push(&r, "--clock", optarg);
			break;
		case O_RANDOM: push(&r, "--random", NULL); break;
		case O_FUEL:
			if (kiln_parse_fuel(optarg, &v, &err) != KILN_OK)
				goto bad;
			snprintf(r.fuel, sizeof r.fuel, "%llu", (unsigned long long)v);
			push(&r, "--fuel", r.fuel);
			break;
		case O_MEM:
			if (kiln_parse_size(optarg, &v, &err) != KILN_OK)
				goto bad;
			snprintf(r.mem, sizeof r.mem, "%llu", (unsigned long long)v);
			push(&r, "--max-memory", r.mem);
			break;
		case O_TIMEOUT:
			if (kiln_parse_seconds(optarg, &v, &err) != KILN_OK)
				goto bad;
			snprintf(r.timeout, sizeof r.timeout, "%llu", (unsigned long long)v);
			push(&r, "--timeout-ns", r.timeout);
			break;
		case O_ARGV0: user_argv0 = optarg; break;
		case ':':
			kiln_cli_fail("run: option %s needs a value", argv[optind - 1]);
			usage(stderr);
			goto out;
		default:
			kiln_cli_fail("run: unknown option %s", argv[optind - 1]);
			usage(stderr);
			goto out;
		}
	}
	if (split - optind != 1) {
		kiln_cli_fail("run: expected one module (EXT.wasm) before \"--\", got %d",
			      split - optind);
		usage(stderr);
		goto out;
	}
	wasm = argv[optind];
	kiln_run_names(wasm, name, argv0, sizeof name);
	push(&r, "--name", name);
	push(&r, "--argv0", user_argv0 != NULL ? user_argv0 : argv0);
	push(&r, "--", NULL);
	for (int i = split + 1; i < argc; i++)
		push(&r, argv[i], NULL);

	kiln_compile_cleanup_on_signals();
	if (kiln_run_prepare(wasm, verbose, &cache, &err) != KILN_OK) {
		kiln_sanitize(err.msg); /* it may quote the module's names */
		kiln_cli_fail("%s", err.msg);
		goto out;
	}
	r.v[0] = cache.runner;
	fflush(stdout);
	execv(cache.runner, r.v);
	kiln_cli_fail("run: %s: cannot execute %s: %s", wasm, cache.runner, strerror(errno));
	goto out;
bad:
	kiln_cli_fail("run: %s", err.msg);
out:
	free(r.v);
	return status;
}
