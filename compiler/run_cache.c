/*
 * run_cache.c — the objects and runners `kiln run` keeps between runs.
 *
 *   <cache>/obj/<key>.o   the module compiled by kiln_compile (--name ext)
 *   <cache>/bin/<key>     that object linked with libkiln-run.a and
 *                         libkiln-rt.a
 *
 * <cache> is $XDG_CACHE_HOME/kiln/run, or ~/.cache/kiln/run (beside the
 * OCI store's blobs/, refs/ and tmp/, which share $XDG_CACHE_HOME/kiln).  An object's key is
 * the SHA-256 of the module's bytes and of what produced the object: the
 * kiln executable (it carries the compiler, the glue generator and, through
 * its build, the headers) by identity (device, inode, size, mtime), and the
 * environment that selects the tools ($CC, $KILN_WASM2C, $KILN_INCLUDE).  A
 * runner's key adds the identity of the two libraries and the link flags.
 * Rebuilding kiln or the runtime therefore misses the cache once; nothing
 * is ever evicted (remove the directory to reclaim the space).
 *
 * Entries appear by rename only: a run that is interrupted, or two that
 * race, never leave a partial object or runner under a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "driver_impl.h"
#include "run_impl.h"

/* The flavour of the build tree this kiln was built in (its libraries are
 * in build/lib/<flavour>) and the sanitizers they need at link time. */
#ifndef KILN_RUN_FLAVOR
#define KILN_RUN_FLAVOR "default"
#endif
#ifndef KILN_RUN_SANITIZE
#define KILN_RUN_SANITIZE ""
#endif
/* Bumped when the layout or the meaning of the keys changes, or what kiln
 * compile emits (2: the fuel counter threaded through calls). */
#define CACHE_VERSION "kiln-run-cache 2"

static const char *const libs[] = {"libkiln-run.a", "libkiln-rt.a"};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* mkdir -p @path (mode 0700 for what it creates). */
static int make_dirs(const char *path, struct kiln_err *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof buf)
		return kiln_err_set(err, KILN_EIO, "cache directory path too long: %s", path);
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return kiln_err_set(err, KILN_EIO, "cannot create the cache directory %s: %s",
					    buf, strerror(errno));
		buf[i] = path[i];
	}
	return KILN_OK;
}

static int find_cache_dir(struct kiln_run_cache *c, struct kiln_err *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	/* The XDG spec: a relative value is invalid and ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(c->dir, sizeof c->dir, "%s/kiln/run", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(c->dir, sizeof c->dir, "%s/.cache/kiln/run", home);
	else
		return kiln_err_set(err, KILN_ENOTFOUND,
				    "no cache directory: set XDG_CACHE_HOME or HOME to an "
				    "absolute path");
	if (n < 0 || (size_t)n >= sizeof c->dir)
		return kiln_err_set(err, KILN_EIO, "cache directory path too long");
	return KILN_OK;
}

/* Whether @dir (a path of any length) holds both libraries; if so, it is
 * copied to @out. */
static bool use_libdir(const char *dir, char out[KILN_RUN_DIR_MAX])
{
	char probe[PATH_MAX + 32];
	if (strlen(dir) >= KILN_RUN_DIR_MAX)
		return false;
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
		snprintf(probe, sizeof probe, "%s/%s", dir, libs[i]);
		if (access(probe, R_OK) != 0)
			return false;
	}
	memcpy(out, dir, strlen(dir) + 1);
	return true;
}

/* $KILN_LIBDIR, then <dir of kiln>/../lib (installed), then <dir of
 * kiln>/../build/lib/<flavour> (the build tree, kiln being bin/kiln). */
static int find_libdir(struct kiln_run_cache *c, struct kiln_err *err)
{
	char exe[PATH_MAX], dir[PATH_MAX + 64];
	const char *env = getenv("KILN_LIBDIR");
	static const char *const rel[] = {"/../lib", "/../build/lib/" KILN_RUN_FLAVOR};
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		/* absolute: the cache keys and cc's command line use it */
		if (realpath(env, dir) == NULL || !use_libdir(dir, c->libdir))
			return kiln_err_set(err, KILN_ENOTFOUND,
					    "KILN_LIBDIR=%s holds no libkiln-rt.a and libkiln-run.a",
					    env);
		return KILN_OK;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
		for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			snprintf(dir, sizeof dir, "%s%s", exe, rel[i]);
			if (use_libdir(dir, c->libdir))
				return KILN_OK;
		}
	}
	return kiln_err_set(err, KILN_ENOTFOUND,
			    "cannot find libkiln-rt.a and libkiln-run.a (looked in $KILN_LIBDIR, "
			    "<kiln>/../lib and <kiln>/../build/lib/%s); set KILN_LIBDIR",
			    KILN_RUN_FLAVOR);
}

/* Add @s, NUL-terminated (so that "ab"+"c" differs from "a"+"bc"). */
static void hash_str(crypto_hash_sha256_state *st, const char *s)
{
	if (s == NULL)
		s = "(unset)";
	crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s) + 1);
}

/* Add what identifies the file at @path without reading it. */
static int hash_ident(crypto_hash_sha256_state *st, const char *path, struct kiln_err *err)
{
	struct stat sb;
	char buf[256];
	if (stat(path, &sb) != 0)
		return kiln_err_set(err, KILN_EIO, "cannot stat %s: %s", path, strerror(errno));
	snprintf(buf, sizeof buf, "%llu:%llu:%lld:%lld.%09ld", (unsigned long long)sb.st_dev,
		 (unsigned long long)sb.st_ino, (long long)sb.st_size,
		 (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	hash_str(st, path);
	hash_str(st, buf);
	return KILN_OK;
}

/* SHA-256 of the bytes of the regular file @path. */
static int hash_file(const char *path, uint8_t out[32], struct kiln_err *err)
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536];
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = KILN_OK;

	if (fd < 0)
		return kiln_err_set(err, errno == ENOENT ? KILN_ENOTFOUND : KILN_EIO,
				    "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = kiln_err_set(err, KILN_EIO, "%s: not a regular file", path);
		goto out;
	}
	crypto_hash_sha256_init(&st);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kiln_err_set(err, KILN_EIO, "%s: cannot read: %s", path,
					  strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
	}
	crypto_hash_sha256_final(&st, out);
out:
	close(fd);
	return rc;
}

static void to_hex(const uint8_t d[32], char hex[65])
{
	sodium_bin2hex(hex, 65, d, 32);
}

static int compile_object(const char *wasm, const uint8_t digest[32], bool verbose,
			  struct kiln_run_cache *c, struct kiln_err *err)
{
	struct kiln_compile_opts o;
	uint8_t again[32];
	double t0 = now_s();
	int rc;

	memset(&o, 0, sizeof o);
	o.input = wasm;
	o.output = c->object;
	o.name = KILN_RUN_MODULE_NAME;
	o.verbose = verbose;
	if ((rc = kiln_compile_diag(&o, stderr, err)) != KILN_OK)
		return rc;
	/* The object is cached under the digest read before compiling: make
	 * sure it is the digest of what was compiled. */
	if ((rc = hash_file(wasm, again, err)) != KILN_OK ||
	    sodium_memcmp(again, digest, sizeof again) != 0) {
		unlink(c->object);
		return rc != KILN_OK ? rc
				     : kiln_err_set(err, KILN_EIO, "%s: changed while being compiled",
						    wasm);
	}
	c->compiled = true;
	if (verbose)
		fprintf(stderr, "kiln: run: %s: compiled into %s (%.2f s)\n", wasm, c->object,
			now_s() - t0);
	return KILN_OK;
}

/* First line of a tool's output, for a message. */
static const char *first_line(const char *text, char *buf, size_t size)
{
	size_t n = strcspn(text, "\n");
	snprintf(buf, size, "%.*s", (int)n, text);
	kiln_sanitize(buf);
	return buf;
}

static int link_runner(const char *wasm, bool verbose, struct kiln_run_cache *c,
		       struct kiln_err *err)
{
	char tmp[sizeof c->runner + 32], run_lib[PATH_MAX], rt_lib[PATH_MAX], san[128], line[256];
	const char *cc = getenv("CC");
	char *argv[16];
	struct kiln_proc p;
	double t0 = now_s();
	int rc, n = 0;

	if (cc == NULL || cc[0] == '\0')
		cc = "cc";
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", c->runner, (long)getpid());
	snprintf(run_lib, sizeof run_lib, "%s/%s", c->libdir, libs[0]);
	snprintf(rt_lib, sizeof rt_lib, "%s/%s", c->libdir, libs[1]);
	snprintf(san, sizeof san, "-fsanitize=%s", KILN_RUN_SANITIZE);
	argv[n++] = (char *)cc;
	argv[n++] = "-o";
	argv[n++] = tmp;
	argv[n++] = c->object;
	argv[n++] = run_lib;
	argv[n++] = rt_lib;
	argv[n++] = "-lsodium";
	argv[n++] = "-lpthread";
	argv[n++] = "-lm";
	if (KILN_RUN_SANITIZE[0] != '\0')
		argv[n++] = san;
	argv[n] = NULL;
	rc = kiln_spawn(argv, NULL, &p, err);
	if (rc == KILN_ENOTFOUND)
		return kiln_err_set(err, KILN_ETOOL, "%s: C compiler \"%s\" not found (for linking)",
				    wasm, cc);
	if (rc != KILN_OK) {
		kiln_err_prefix(err, wasm);
		return rc;
	}
	if (p.status != 0) {
		rc = kiln_err_set(err, KILN_ETOOL, "%s: linking the runner failed (%s exit %d): %s",
				  wasm, cc, p.status,
				  first_line(p.errout[0] != '\0' ? p.errout : p.out, line,
					     sizeof line));
		unlink(tmp);
	} else if (rename(tmp, c->runner) != 0) {
		rc = kiln_err_set(err, KILN_EIO, "%s: cannot rename %s to %s: %s", wasm, tmp,
				  c->runner, strerror(errno));
		unlink(tmp);
	} else {
		c->linked = true;
		if (verbose)
			fprintf(stderr, "kiln: run: %s: linked %s (%.2f s)\n", wasm, c->runner,
				now_s() - t0);
	}
	kiln_proc_release(&p);
	return rc;
}

int kiln_run_prepare(const char *wasm, bool verbose, struct kiln_run_cache *c,
		     struct kiln_err *err)
{
	crypto_hash_sha256_state st;
	uint8_t digest[32], key[32];
	char hex[65], path[PATH_MAX];
	int rc;

	memset(c, 0, sizeof *c);
	if (sodium_init() < 0)
		return kiln_err_set(err, KILN_EINTERNAL, "libsodium failed to initialise");
	if ((rc = hash_file(wasm, digest, err)) != KILN_OK ||
	    (rc = find_libdir(c, err)) != KILN_OK || (rc = find_cache_dir(c, err)) != KILN_OK)
		return rc;
	if (verbose)
		fprintf(stderr, "kiln: run: libraries from %s, cache in %s\n", c->libdir, c->dir);
	snprintf(path, sizeof path, "%s/obj", c->dir);
	if ((rc = make_dirs(path, err)) != KILN_OK)
		return rc;
	snprintf(path, sizeof path, "%s/bin", c->dir);
	if ((rc = make_dirs(path, err)) != KILN_OK)
		return rc;

	/* the object */
	crypto_hash_sha256_init(&st);
	hash_str(&st, CACHE_VERSION);
	crypto_hash_sha256_update(&st, digest, sizeof digest);
	if ((rc = hash_ident(&st, "/proc/self/exe", err)) != KILN_OK)
		return rc;
	hash_str(&st, getenv("CC"));
	hash_str(&st, getenv("KILN_WASM2C"));
	hash_str(&st, getenv("KILN_INCLUDE"));
	crypto_hash_sha256_final(&st, key);
	to_hex(key, hex);
	snprintf(c->object, sizeof c->object, "%s/obj/%s.o", c->dir, hex);
	if (access(c->object, R_OK) == 0) {
		if (verbose)
			fprintf(stderr, "kiln: run: %s: object cached (%s)\n", wasm, c->object);
	} else if ((rc = compile_object(wasm, digest, verbose, c, err)) != KILN_OK) {
		return rc;
	}

	/* the runner */
	crypto_hash_sha256_init(&st);
	hash_str(&st, CACHE_VERSION);
	crypto_hash_sha256_update(&st, key, sizeof key);
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", c->libdir, libs[i]);
		if ((rc = hash_ident(&st, path, err)) != KILN_OK)
			return rc;
	}
	hash_str(&st, getenv("CC"));
	hash_str(&st, KILN_RUN_SANITIZE);
	crypto_hash_sha256_final(&st, key);
	to_hex(key, hex);
	snprintf(c->runner, sizeof c->runner, "%s/bin/%s", c->dir, hex);
	if (access(c->runner, X_OK) == 0) {
		if (verbose)
			fprintf(stderr, "kiln: run: %s: runner cached (%s)\n", wasm, c->runner);
		return KILN_OK;
	}
	return link_runner(wasm, verbose, c, err);
}
