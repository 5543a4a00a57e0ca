/*
 * cli_test.c — `kiln test`: one CUnit suite per baked extension.
 *
 * It reads kiln.yaml, writes the `tests:` cases as C tables
 * (DIR/test/kiln_tests.c, testgen.c), links them with the runner
 * (sdk/test/kiln_test_main.c), the objects `kiln bake -o DIR` left in DIR
 * and libkiln-rt into DIR/test/kiln-test, and runs that from the directory
 * of kiln.yaml (relative mounts and stdio files in the grants are relative
 * to it), its output passed through.  The exit status is the runner's: 0
 * when every test passed, 1 when one failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bake_impl.h"
#include "cli.h"
#include "driver_impl.h"
#include "testgen_impl.h"

extern char **environ;

#define TEST_SUBDIR "test"
#define TEST_SOURCE "kiln_tests.c"
#define TEST_RUNNER "kiln-test"
#define RUNNER_MAIN "kiln_test_main.c"

static void usage(FILE *out)
{
	fputs("usage: kiln test [-f kiln.yaml] [-o DIR] [OPTIONS] [EXTENSION...]\n"
	      "\n"
	      "Run one CUnit suite per extension baked into DIR by `kiln bake -o DIR`:\n"
	      "instantiation under its grants, its protocol version and health when it\n"
	      "exports them, a fuel-exhaustion probe, and the tests: cases of kiln.yaml.\n"
	      "The runner is built as DIR/test/kiln-test and run from the directory of\n"
	      "kiln.yaml.\n"
	      "\n"
	      "options:\n"
	      "  -f FILE          kiln.yaml to read (default kiln.yaml)\n"
	      "  -o DIR           the bake's output directory (default kiln-out, as in\n"
	      "                   sdk/kiln.mk)\n"
	      "  -n LABEL         label of the summary line (default kiln-test)\n"
	      "  --cc CC          C compiler for the runner (default $CC or cc)\n"
	      "  -v, --verbose    show the commands run and the extensions' log\n"
	      "  -h, --help       show this help\n"
	      "\n"
	      "The last line printed is \"LABEL: N passed, M failed\".  Exit status: 0 all\n"
	      "passed, 1 a test failed or the runner could not be built, 2 bad usage.\n"
	      "environment: KILN_SDK (directory holding test/kiln_test_main.c), KILN_INCLUDE,\n"
	      "KILN_LIBDIR, CC, CFLAGS and LDFLAGS (added to the runner's compile and\n"
	      "link).  See kiln-test(1).\n",
	      out);
}

static bool has_file(const char *dir, const char *rel)
{
	char p[PATH_MAX * 2];
	int n = snprintf(p, sizeof p, "%s/%s", dir, rel);
	return n > 0 && (size_t)n < sizeof p && access(p, R_OK) == 0;
}

/* The SDK directory (holding test/kiln_test_main.c): $KILN_SDK, else beside
 * the kiln executable, installed (PREFIX/share/kiln) or in the build tree
 * (sdk/). */
static int find_sdk(char *out, size_t size, struct kiln_err *err)
{
	static const char *const rel[] = {"/../share/kiln", "/../sdk"};
	const char *env = getenv("KILN_SDK");
	char exe[PATH_MAX], p[PATH_MAX * 2], *slash;
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		if (!has_file(env, TEST_SUBDIR "/" RUNNER_MAIN))
			return kiln_err_set(err, KILN_ENOTFOUND,
					    "KILN_SDK=%s holds no " TEST_SUBDIR "/" RUNNER_MAIN, env);
		if (realpath(env, p) == NULL || strlen(p) >= size)
			return kiln_err_set(err, KILN_ENOTFOUND, "KILN_SDK=%s: %s", env,
					    strerror(errno));
		memcpy(out, p, strlen(p) + 1);
		return KILN_OK;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return kiln_err_set(err, KILN_ENOTFOUND, "cannot find the kiln executable");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char dir[PATH_MAX * 2];
		snprintf(dir, sizeof dir, "%s%s", exe, rel[i]);
		if (has_file(dir, TEST_SUBDIR "/" RUNNER_MAIN) && realpath(dir, p) != NULL &&
		    strlen(p) < size) {
			memcpy(out, p, strlen(p) + 1);
			return KILN_OK;
		}
	}
	return kiln_err_set(err, KILN_ENOTFOUND,
			    "cannot find the kiln SDK (looked in $KILN_SDK, %s/../share/kiln and "
			    "%s/../sdk); set KILN_SDK",
			    exe, exe);
}

/* Write @cfg's tables to @path, replacing it only when the bytes change. */
static int write_tables(const struct kiln_config *cfg, const char *path, struct kiln_err *err)
{
	char *text = NULL, *old = NULL, tmp[PATH_MAX * 2 + 16];
	size_t len = 0, oldlen = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory generating the tests");
	rc = kiln_testgen_write(cfg, f, err);
	if (fclose(f) != 0 && rc == KILN_OK)
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory generating the tests");
	if (rc != KILN_OK)
		goto out;
	f = fopen(path, "rb");
	if (f != NULL) {
		old = malloc(len + 1);
		if (old != NULL)
			oldlen = fread(old, 1, len + 1, f);
		fclose(f);
		if (old != NULL && oldlen == len && memcmp(old, text, len) == 0)
			goto out;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		rc = kiln_err_set(err, KILN_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(old);
	free(text);
	return rc;
}

/* argv of the runner's link, in @args (up to @max entries), pointing into
 * @store (@store_size bytes) for the composed paths. */
struct argv_buf {
	char *v[600];
	size_t n;
	char store[64 * 1024];
	size_t used;
};

static const char *keep(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *keep(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p = a->store + a->used;
	va_start(ap, fmt);
	n = vsnprintf(p, sizeof a->store - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof a->store - a->used)
		return NULL;
	a->used += (size_t)n + 1;
	return p;
}

static bool push(struct argv_buf *a, const char *s)
{
	if (s == NULL || a->n + 1 >= sizeof a->v / sizeof a->v[0])
		return false;
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
	return true;
}

/* Split @flags on blanks into @a (for the sanitizer flags). */
static bool push_words(struct argv_buf *a, const char *flags)
{
	char word[128];
	while (*flags != '\0') {
		size_t n = strcspn(flags, " \t");
		if (n > 0) {
			if (n >= sizeof word)
				return false;
			memcpy(word, flags, n);
			word[n] = '\0';
			if (!push(a, keep(a, "%s", word)))
				return false;
		}
		flags += n;
		flags += strspn(flags, " \t");
	}
	return true;
}

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);
	return v != NULL ? v : "";
}

static int build_runner(const struct kiln_config *cfg, const char *dir, const char *sdk,
			const char *cc, bool verbose, const char *runner, struct kiln_err *err)
{
	struct kiln_toolchain tc;
	struct kiln_proc proc = {0};
	struct argv_buf *a = calloc(1, sizeof *a);
	bool ok;
	int rc;

	if (a == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if ((rc = kiln_toolchain_find(&tc, err)) != KILN_OK)
		goto out;
	ok = push(a, cc) && push(a, "-std=c11") && push(a, "-D_GNU_SOURCE") && push(a, "-O1") &&
	     push_words(a, tc.san_flags) && push_words(a, env_or_empty("CFLAGS")) &&
	     push_words(a, env_or_empty("LDFLAGS")) && push(a, keep(a, "-I%s", tc.include_dir)) &&
	     push(a, keep(a, "-I%s/" TEST_SUBDIR, sdk)) && push(a, "-o") && push(a, runner) &&
	     push(a, keep(a, "%s/" TEST_SUBDIR "/" RUNNER_MAIN, sdk)) &&
	     push(a, keep(a, "%s/" TEST_SUBDIR "/" TEST_SOURCE, dir));
	for (size_t i = 0; ok && i < cfg->count; i++)
		ok = push(a, keep(a, "%s/%s.o", dir, cfg->exts[i].name));
	ok = ok && push(a, keep(a, "%s/" KILN_BAKE_REGISTRY_O, dir)) && push(a, tc.rt_lib) &&
	     push(a, "-lcunit") && push(a, "-lsodium") && push(a, "-lpthread") && push(a, "-lm");
	if (!ok) {
		rc = kiln_err_set(err, KILN_ELIMIT, "the runner's command line is too long");
		goto out;
	}
	if (verbose) {
		for (size_t i = 0; i < a->n; i++)
			fprintf(stderr, "%s%s", i == 0 ? "kiln test: " : " ", a->v[i]);
		fputc('\n', stderr);
	}
	if ((rc = kiln_spawn(a->v, NULL, &proc, err)) != KILN_OK)
		goto out;
	if (proc.status != 0) {
		fprintf(stderr, "%s%s", proc.errout != NULL ? proc.errout : "",
			proc.out != NULL ? proc.out : "");
		rc = kiln_err_set(err, KILN_ETOOL, "%s failed (status %d) building the runner %s",
				  cc, proc.status, runner);
	}
out:
	kiln_proc_release(&proc);
	free(a);
	return rc;
}

/* Run @argv from @cwd with our stdout and stderr, stdin from /dev/null;
 * its exit status, or 1 when it could not run or died. */
static int run(char *const argv[], const char *cwd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addchdir_np(&fa, cwd);
	fflush(stdout);
	fflush(stderr);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return kiln_cli_fail("test: cannot run %s: %s", argv[0], strerror(rc));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return kiln_cli_fail("test: waiting for %s: %s", argv[0], strerror(errno));
	if (WIFSIGNALED(status))
		return kiln_cli_fail("test: %s died of signal %d", argv[0], WTERMSIG(status));
	return WEXITSTATUS(status);
}

int kiln_cmd_test(int argc, char **argv)
{
	enum { O_CC = 256 };
	static const struct option longopts[] = {
		{"cc", required_argument, NULL, O_CC},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *file = "kiln.yaml", *dir = "kiln-out", *label = "kiln-test", *cc = NULL;
	char sdk[PATH_MAX], absdir[PATH_MAX], testdir[PATH_MAX + 16], tables[PATH_MAX + 32],
		runner[PATH_MAX + 32];
	char *rargv[260];
	struct kiln_config cfg = {0};
	struct kiln_err err = {0, ""};
	bool verbose = false;
	size_t nr = 0;
	int ch, status = 1;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":f:o:n:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': file = optarg; break;
		case 'o': dir = optarg; break;
		case 'n': label = optarg; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		case O_CC: cc = optarg; break;
		case ':':
			kiln_cli_fail("test: option %s needs a value", argv[optind - 1]);
			usage(stderr);
			return 2;
		default:
			kiln_cli_fail("test: unknown option %s", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 200) {
		kiln_cli_fail("test: too many extensions named");
		return 2;
	}
	if (cc == NULL)
		cc = getenv("CC") != NULL && getenv("CC")[0] != '\0' ? getenv("CC") : "cc";
	if (kiln_config_read(file, &cfg, &err) != KILN_OK) {
		kiln_cli_fail("test: %s", err.msg);
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		if (kiln_config_find(&cfg, argv[i]) == NULL) {
			kiln_cli_fail("test: %s lists no extension \"%s\"", file, argv[i]);
			status = 2;
			goto out;
		}
	}
	if (realpath(dir, absdir) == NULL) {
		kiln_cli_fail("test: %s: %s (run `kiln bake -f %s -o %s` first)", dir,
			      strerror(errno), file, dir);
		goto out;
	}
	for (size_t i = 0; i <= cfg.count; i++) {
		char obj[300];
		if (i < cfg.count)
			snprintf(obj, sizeof obj, "%s.o", cfg.exts[i].name);
		else
			snprintf(obj, sizeof obj, "%s", KILN_BAKE_REGISTRY_O);
		if (!has_file(absdir, obj)) {
			kiln_cli_fail("test: %s/%s is missing: %s is not baked into %s (run `kiln "
				      "bake -f %s -o %s`)",
				      dir, obj, file, dir, file, dir);
			goto out;
		}
	}
	if (find_sdk(sdk, sizeof sdk, &err) != KILN_OK) {
		kiln_cli_fail("test: %s", err.msg);
		goto out;
	}
	snprintf(testdir, sizeof testdir, "%s/" TEST_SUBDIR, absdir);
	snprintf(tables, sizeof tables, "%s/" TEST_SOURCE, testdir);
	snprintf(runner, sizeof runner, "%s/" TEST_RUNNER, testdir);
	if (mkdir(testdir, 0755) != 0 && errno != EEXIST) {
		kiln_cli_fail("test: %s: %s", testdir, strerror(errno));
		goto out;
	}
	if (write_tables(&cfg, tables, &err) != KILN_OK ||
	    build_runner(&cfg, absdir, sdk, cc, verbose, runner, &err) != KILN_OK) {
		kiln_cli_fail("test: %s", err.msg);
		goto out;
	}
	rargv[nr++] = runner;
	if (verbose)
		rargv[nr++] = "-v";
	rargv[nr++] = "-n";
	rargv[nr++] = (char *)label;
	for (int i = optind; i < argc; i++)
		rargv[nr++] = argv[i];
	rargv[nr] = NULL;
	status = run(rargv, cfg.dir);
out:
	kiln_config_release(&cfg);
	return status;
}
