/*
 * cli_oci.c — the parts the OCI verbs share: registry options, the
 * progress bar (drawn only when stderr is a terminal), reference parsing
 * and finding the wasm2c version for kiln.lock.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_oci.h"

extern char **environ;

void oci_cli_init(struct oci_cli *cli)
{
	memset(cli, 0, sizeof *cli);
	kiln_oci_options_init(&cli->o);
	cli->o.insecure_hosts = cli->insecure;
	cli->o.resolve = cli->resolve;
}

static int parse_uint(const char *arg, const char *what, unsigned long long max,
		      unsigned long long *out)
{
	char *end;
	unsigned long long v, mul = 1;

	errno = 0;
	if (arg[0] < '0' || arg[0] > '9')
		goto bad;
	v = strtoull(arg, &end, 10);
	if (errno != 0)
		goto bad;
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	if (mul != 1)
		end++;
	if (*end != '\0' || v > max / mul)
		goto bad;
	*out = v * mul;
	return 0;
bad:
	fprintf(stderr, "kiln: %s: \"%s\" is not a number up to %llu\n", what, arg, max);
	return 2;
}

static int add_list(const char **list, size_t *n, const char *arg, const char *what)
{
	if (*n == OCI_CLI_MAX_LIST) {
		fprintf(stderr, "kiln: at most %d --%s options\n", OCI_CLI_MAX_LIST, what);
		return 2;
	}
	list[(*n)++] = arg;
	return 0;
}

int oci_cli_option(struct oci_cli *cli, int opt, const char *arg)
{
	unsigned long long v;

	switch (opt) {
	case OPT_STORE:
		cli->o.store_dir = arg;
		return 0;
	case OPT_INSECURE:
		return add_list(cli->insecure, &cli->o.n_insecure_hosts, arg, "insecure-registry");
	case OPT_RESOLVE:
		return add_list(cli->resolve, &cli->o.n_resolve, arg, "resolve");
	case OPT_AUTH_FILE:
		cli->o.auth_file = arg;
		return 0;
	case OPT_CA_FILE:
		cli->o.ca_file = arg;
		return 0;
	case OPT_RETRIES:
		if (parse_uint(arg, "--retries", 20, &v) != 0)
			return 2;
		cli->o.retries = (unsigned)v;
		return 0;
	case OPT_TIMEOUT:
		if (parse_uint(arg, "--timeout", 3600, &v) != 0 || v == 0)
			return 2;
		cli->o.stall_timeout_s = (unsigned)v;
		cli->o.connect_timeout_s = (unsigned)v < 10 ? (unsigned)v : 10;
		return 0;
	case OPT_MAX_BLOB:
		if (parse_uint(arg, "--max-blob-size", 1ull << 40, &v) != 0)
			return 2;
		cli->o.max_blob_size = v;
		return 0;
	case OPT_ALLOW_LATEST:
		cli->ref_flags |= KILN_OCI_REF_ALLOW_LATEST;
		return 0;
	case OPT_OFFLINE:
		cli->o.offline = 1;
		return 0;
	case OPT_HELP:
		cli->help = 1;
		return 0;
	case '?':
		return 2;
	default:
		return 1;
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A one-line bar on stderr, redrawn at most ten times a second. */
static void progress_bar(void *ctx, const struct kiln_digest *blob, uint64_t done, uint64_t total)
{
	struct oci_cli *cli = ctx;
	char dg[KILN_DIGEST_STRLEN + 1], bar[31];
	double t = now_s(), mib = 1024.0 * 1024.0;
	int fill;

	if (memcmp(blob, &cli->bar_blob, sizeof *blob) != 0 || done < 1) {
		cli->bar_blob = *blob;
		cli->bar_start = t;
		cli->bar_last = 0;
	}
	if (done < total && t - cli->bar_last < 0.1)
		return;
	cli->bar_last = t;
	fill = total ? (int)(30.0 * (double)done / (double)total) : 30;
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	kiln_digest_format(blob, dg);
	dg[19] = '\0';
	fprintf(stderr, "\r%s [%s] %3d%% %7.1f/%.1f MiB %6.1f MiB/s", dg, bar,
		total ? (int)(100.0 * (double)done / (double)total) : 100, (double)done / mib,
		(double)total / mib,
		t > cli->bar_start ? (double)done / mib / (t - cli->bar_start) : 0.0);
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
}

int oci_cli_client(struct oci_cli *cli, struct kiln_oci_client **out)
{
	struct kiln_err err = {0};

	if (isatty(STDERR_FILENO)) {
		cli->o.progress = progress_bar;
		cli->o.progress_ctx = cli;
	}
	if (kiln_oci_global_init(&err) != KILN_OK || kiln_oci_client_new(&cli->o, out, &err) != KILN_OK)
		return kiln_cli_fail("%s", err.msg);
	return 0;
}

int oci_cli_ref(const struct oci_cli *cli, const char *text, struct kiln_oci_ref *ref)
{
	struct kiln_err err = {0};
	if (kiln_oci_ref_parse(text, cli->ref_flags, ref, &err) != KILN_OK)
		return kiln_cli_fail("%s", err.msg);
	return 0;
}

int oci_cli_wasm2c_version(char *buf, size_t cap)
{
	const char *tool = getenv("KILN_WASM2C");
	char *argv[3];
	posix_spawn_file_actions_t fa;
	int fds[2], status = 0, rc;
	size_t n = 0;
	pid_t pid;

	if (tool == NULL || tool[0] == '\0')
		tool = "wasm2c";
	argv[0] = (char *)tool;
	argv[1] = (char *)"--version";
	argv[2] = NULL;
	if (pipe(fds) != 0)
		return kiln_cli_fail("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	rc = posix_spawnp(&pid, tool, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return kiln_cli_fail("cannot run %s --version: %s (set KILN_WASM2C)", tool,
				     strerror(rc));
	}
	for (;;) {
		ssize_t got = read(fds[0], buf + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n == cap - 1)
			break;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || buf[0] == '\0')
		return kiln_cli_fail("%s --version failed or printed nothing", tool);
	return 0;
}

void oci_cli_print_artifact(const struct kiln_oci_artifact *a)
{
	char d[KILN_DIGEST_STRLEN + 1];
	if (a->has_index) {
		kiln_digest_format(&a->index.digest, d);
		printf("index %s\n", d);
	}
	kiln_digest_format(&a->manifest.digest, d);
	printf("manifest %s\n", d);
	kiln_digest_format(&a->layer.digest, d);
	printf("layer %s\n", d);
	if (a->path[0] != '\0')
		printf("path %s\n", a->path);
}
