/*
 * conform.c — the WASI conformance runner.
 *
 *   wasi-conform SUITE KILN WORKDIR WASMDIR[=SPECDIR]...
 *
 * Runs every WASMDIR/<name>.wasm with `KILN run`, under exactly the grants
 * its spec SPECDIR/<name>.json (SPECDIR defaults to WASMDIR) asks for, and
 * compares the exit code and, when the spec gives it, stdout.  Tests are
 * labelled <last component of WASMDIR>/<name>.  The spec format is the WASI
 * test suite's:
 *
 *   { "args": [...], "env": {"K": "V"}, "root": "DIR",
 *     "exit_code": N, "stdout": "..." }
 *
 * all optional (no spec: no arguments, no environment, exit code 0).
 *   - args: the guest's arguments after argv[0], which is the test's name;
 *   - env: exactly these variables (--env), nothing inherited;
 *   - root: SPECDIR/DIR is copied afresh to WORKDIR/SUITE/<label>/root
 *     (files 0644, directories 0755, symlinks as they are, `*.cleanup` files
 *     left out) and that copy is preopened read-write as "/": the test data
 *     is never written to;
 *   - every test also gets both clocks and random_get (--clock all
 *     --random): the format has no field for them and the suite's tests
 *     take them for granted, as every WASI runtime it was written for
 *     provides them.  Denying them is tested elsewhere (tests/run/).
 * Any other key fails the test rather than be ignored.
 *
 * Tests run concurrently (one per CPU, at most 8), each with stdin from
 * /dev/null and its stdout and stderr in files under WORKDIR; a test still
 * running after 300 s (compile included) is killed.  Results are printed in
 * name order, then "SUITE: N passed, M failed".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 256
#define MAX_JOBS 8
#define TIMEOUT_S 300
/* The deadline each guest runs under (kiln run --timeout). */
#define GUEST_TIMEOUT "60"

struct test {
	char name[256];
	char label[512];        /* <dir>/<name> */
	char wasm[PATH_MAX];
	const char *specdir;
	char dir[PATH_MAX];     /* WORKDIR/SUITE/<label> */
	char **argv;            /* for kiln run */
	int want_exit;
	char *want_stdout;      /* NULL: not compared */
	char setup_error[3 * PATH_MAX]; /* non-empty: failed before running */
	pid_t pid;
	int status;
	bool timed_out;
	time_t started;
};

static const char *suite, *kiln;

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL) {
		fputs("wasi-conform: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		goto done;
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto done;
		if (n == 0)
			break;
		if (write(out, buf, (size_t)n) != n)
			goto done;
	}
	rc = 0;
done:
	close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

/* Copy the tree @from to @to (which must not exist), leaving out
 * `*.cleanup` entries. */
static int copy_tree(const char *from, const char *to)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (mkdir(to, 0755) != 0)
		return -1;
	d = opendir(from);
	if (d == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
		struct stat st;
		ssize_t n;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    ends_with(e->d_name, ".cleanup"))
			continue;
		if (snprintf(src, sizeof src, "%s/%s", from, e->d_name) >= (int)sizeof src ||
		    snprintf(dst, sizeof dst, "%s/%s", to, e->d_name) >= (int)sizeof dst ||
		    lstat(src, &st) != 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = copy_tree(src, dst);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(src, target, sizeof target - 1);
			if (n < 0) {
				rc = -1;
				break;
			}
			target[n] = '\0';
			rc = symlink(target, dst);
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(src, dst);
		}
	}
	closedir(d);
	return rc;
}

struct argv_builder {
	char **v;
	size_t n, cap;
};

static void add(struct argv_builder *b, const char *s)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->v = realloc(b->v, b->cap * sizeof *b->v);
		if (b->v == NULL) {
			fputs("wasi-conform: out of memory\n", stderr);
			exit(2);
		}
	}
	b->v[b->n++] = xstrdup(s);
	b->v[b->n] = NULL;
}

/* Read the spec and prepare the test's directory and command line. */
static void prepare(struct test *t, const char *workdir)
{
	const char *specdir = t->specdir;
	char spec[PATH_MAX], root[PATH_MAX], mount[PATH_MAX + 8], buf[4096];
	struct argv_builder b = {NULL, 0, 0};
	json_t *doc = NULL, *args = NULL, *env = NULL, *val;
	json_error_t jerr;
	const char *key;

	snprintf(t->dir, sizeof t->dir, "%s/%s/%s", workdir, suite, t->label);
	*strrchr(t->dir, '/') = '\0';
	mkdir(t->dir, 0755); /* WORKDIR/SUITE/<dir> */
	snprintf(t->dir, sizeof t->dir, "%s/%s/%s", workdir, suite, t->label);
	if (rm_rf(t->dir) != 0 || mkdir(t->dir, 0755) != 0) {
		snprintf(t->setup_error, sizeof t->setup_error, "cannot make %s: %s", t->dir,
			 strerror(errno));
		return;
	}
	add(&b, kiln);
	add(&b, "run");
	add(&b, t->wasm);
	add(&b, "--clock");
	add(&b, "all");
	add(&b, "--random");
	add(&b, "--timeout");
	add(&b, GUEST_TIMEOUT);
	add(&b, "--argv0");
	add(&b, t->name);
	snprintf(spec, sizeof spec, "%s/%s.json", specdir, t->name);
	if (access(spec, F_OK) == 0) {
		doc = json_load_file(spec, 0, &jerr);
		if (!json_is_object(doc)) {
			snprintf(t->setup_error, sizeof t->setup_error, "%s: line %d: %s", spec,
				 jerr.line, doc == NULL ? jerr.text : "not an object");
			goto out;
		}
		json_object_foreach(doc, key, val) {
			if (strcmp(key, "args") == 0 && json_is_array(val)) {
				args = val;
			} else if (strcmp(key, "env") == 0 && json_is_object(val)) {
				env = val;
			} else if (strcmp(key, "exit_code") == 0 && json_is_integer(val)) {
				t->want_exit = (int)json_integer_value(val);
			} else if (strcmp(key, "stdout") == 0 && json_is_string(val)) {
				t->want_stdout = xstrdup(json_string_value(val));
			} else if (strcmp(key, "root") == 0 && json_is_string(val)) {
				snprintf(buf, sizeof buf, "%s/%s", specdir, json_string_value(val));
				snprintf(root, sizeof root, "%s/root", t->dir);
				if (copy_tree(buf, root) != 0) {
					snprintf(t->setup_error, sizeof t->setup_error,
						 "cannot copy %s to %s: %s", buf, root, strerror(errno));
					goto out;
				}
				snprintf(mount, sizeof mount, "%s:/", root);
				add(&b, "--mount");
				add(&b, mount);
			} else {
				snprintf(t->setup_error, sizeof t->setup_error,
					 "%s: unsupported key \"%s\" (or wrong type)", spec, key);
				goto out;
			}
		}
	}
	if (env != NULL) {
		json_object_foreach(env, key, val) {
			if (!json_is_string(val)) {
				snprintf(t->setup_error, sizeof t->setup_error,
					 "%s: env.%s is not a string", spec, key);
				goto out;
			}
			snprintf(buf, sizeof buf, "%s=%s", key, json_string_value(val));
			add(&b, "--env");
			add(&b, buf);
		}
	}
	add(&b, "--");
	if (args != NULL) {
		size_t i;
		json_array_foreach(args, i, val) {
			if (!json_is_string(val)) {
				snprintf(t->setup_error, sizeof t->setup_error,
					 "%s: args[%zu] is not a string", spec, i);
				goto out;
			}
			add(&b, json_string_value(val));
		}
	}
out:
	t->argv = b.v;
	json_decref(doc);
}

static void start(struct test *t)
{
	char out[PATH_MAX + 16], errf[PATH_MAX + 16];
	snprintf(out, sizeof out, "%s/stdout", t->dir);
	snprintf(errf, sizeof errf, "%s/stderr", t->dir);
	fflush(stdout);
	t->started = time(NULL);
	t->pid = fork();
	if (t->pid == 0) {
		int in = open("/dev/null", O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644),
		    e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(t->argv[0], t->argv);
		_exit(127);
	}
	if (t->pid < 0)
		snprintf(t->setup_error, sizeof t->setup_error, "fork: %s", strerror(errno));
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;
	*len = 0;
	if (f == NULL)
		return xstrdup("");
	for (;;) {
		size_t n;
		if (*len + 4097 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (buf == NULL)
				exit(2);
		}
		n = fread(buf + *len, 1, cap - *len - 1, f);
		*len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* Print at most a few lines of @text, indented. */
static void show(const char *what, const char *text)
{
	int lines = 0;
	if (text[0] == '\0')
		return;
	printf("     %s:\n", what);
	for (const char *p = text; *p != '\0' && lines < 12; lines++) {
		size_t n = strcspn(p, "\n");
		printf("       %.*s\n", (int)(n > 200 ? 200 : n), p);
		p += n + (p[n] == '\n');
	}
}

static bool report(struct test *t)
{
	char path[PATH_MAX + 16], *out, *err;
	size_t outlen, errlen;
	bool ok = false;
	int code = -1;

	if (t->setup_error[0] != '\0') {
		printf("FAIL %s: %s\n", t->label, t->setup_error);
		return false;
	}
	snprintf(path, sizeof path, "%s/stdout", t->dir);
	out = slurp(path, &outlen);
	snprintf(path, sizeof path, "%s/stderr", t->dir);
	err = slurp(path, &errlen);
	if (t->timed_out)
		printf("FAIL %s: still running after %d s, killed\n", t->label, TIMEOUT_S);
	else if (!WIFEXITED(t->status))
		printf("FAIL %s: kiln run died of signal %d\n", t->label, WTERMSIG(t->status));
	else if ((code = WEXITSTATUS(t->status)) != t->want_exit)
		printf("FAIL %s: exit code %d, expected %d\n", t->label, code, t->want_exit);
	else if (t->want_stdout != NULL &&
		 (outlen != strlen(t->want_stdout) || memcmp(out, t->want_stdout, outlen) != 0))
		printf("FAIL %s: stdout differs from the spec's \"%s\"\n", t->label, t->want_stdout);
	else
		ok = true;
	if (ok) {
		printf("ok   %s (exit %d%s)\n", t->label, code,
		       t->want_stdout != NULL ? ", stdout as expected" : "");
	} else {
		show("stdout", out);
		show("stderr", err);
	}
	free(out);
	free(err);
	return ok;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct test *)a)->label, ((const struct test *)b)->label);
}

/* Add the tests of WASMDIR[=SPECDIR] @arg to @tests. */
static int collect(char *arg, struct test *tests, size_t *ntests)
{
	char *eq = strchr(arg, '='), *base;
	const char *wasmdir = arg, *specdir = arg;
	struct dirent *e;
	DIR *d;

	if (eq != NULL) {
		*eq = '\0';
		specdir = eq + 1;
	}
	base = strrchr(arg, '/');
	base = base != NULL ? base + 1 : arg;
	d = opendir(wasmdir);
	if (d == NULL) {
		printf("FAIL %s: %s\n", wasmdir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL && *ntests < MAX_TESTS) {
		struct test *t = &tests[*ntests];
		size_t n = strlen(e->d_name);
		if (n <= 5 || !ends_with(e->d_name, ".wasm") || n - 5 >= sizeof t->name)
			continue;
		memcpy(t->name, e->d_name, n - 5);
		t->name[n - 5] = '\0';
		snprintf(t->label, sizeof t->label, "%s/%s", base, t->name);
		snprintf(t->wasm, sizeof t->wasm, "%s/%s", wasmdir, e->d_name);
		t->specdir = specdir;
		(*ntests)++;
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	static struct test tests[MAX_TESTS];
	const char *workdir;
	char path[PATH_MAX];
	size_t ntests = 0, next = 0, running = 0, passed = 0, missing = 0;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);

	if (argc < 5) {
		fputs("usage: wasi-conform SUITE KILN WORKDIR WASMDIR[=SPECDIR]...\n", stderr);
		return 2;
	}
	suite = argv[1];
	kiln = argv[2];
	workdir = argv[3];
	if (jobs < 1)
		jobs = 1;
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	snprintf(path, sizeof path, "%s/%s/", workdir, suite);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			printf("FAIL cannot create %s: %s\n%s: 0 passed, 1 failed\n", path,
			       strerror(errno), suite);
			return 1;
		}
		*p = '/';
	}
	for (int i = 4; i < argc; i++) {
		size_t before = ntests;
		if (collect(argv[i], tests, &ntests) != 0 || ntests == before) {
			if (ntests == before)
				printf("FAIL no test found in %s\n", argv[i]);
			missing++;
		}
	}
	qsort(tests, ntests, sizeof tests[0], by_name);
	for (size_t i = 0; i < ntests; i++)
		prepare(&tests[i], workdir);

	while (next < ntests || running > 0) {
		while (next < ntests && running < (size_t)jobs) {
			struct test *t = &tests[next++];
			if (t->setup_error[0] != '\0')
				continue;
			start(t);
			if (t->pid > 0)
				running++;
		}
		for (size_t i = 0; i < next; i++) {
			struct test *t = &tests[i];
			if (t->pid <= 0)
				continue;
			if (waitpid(t->pid, &t->status, WNOHANG) == t->pid) {
				t->pid = 0;
				running--;
			} else if (time(NULL) - t->started > TIMEOUT_S) {
				kill(t->pid, SIGKILL);
				waitpid(t->pid, &t->status, 0);
				t->timed_out = true;
				t->pid = 0;
				running--;
			}
		}
		if (running > 0)
			usleep(10000);
	}
	for (size_t i = 0; i < ntests; i++)
		passed += report(&tests[i]);
	printf("%s: %zu passed, %zu failed\n", suite, passed, ntests - passed + missing);
	return passed == ntests && missing == 0 ? 0 : 1;
}
