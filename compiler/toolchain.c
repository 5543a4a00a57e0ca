/*
 * toolchain.c — where the runtime a host links lives, and the fingerprint
 * of the tools that made a cached object.
 *
 * The runtime is found from the kiln executable itself, so that one kiln
 * always pairs with its own libkiln-rt.a and headers: an installed kiln
 * (PREFIX/bin/kiln) uses PREFIX/lib and PREFIX/include/kiln, a kiln run from
 * its build tree (bin/kiln) uses build/lib/<flavour> and runtime/.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bake_impl.h"
#include "driver_impl.h"

static bool readable(const char *dir, const char *file)
{
	char p[PATH_MAX + 64];
	int n = snprintf(p, sizeof p, "%s/%s", dir, file);
	return n > 0 && (size_t)n < sizeof p && access(p, R_OK) == 0;
}

/* The directory of the running executable, resolved. */
static int exe_dir(char *out, size_t size, struct kiln_err *err)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return kiln_err_set(err, KILN_ENOTFOUND, "cannot find the kiln executable: %s",
				    strerror(errno));
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	if (strlen(exe) >= size)
		return kiln_err_set(err, KILN_ENOTFOUND, "kiln's directory path is too long");
	memcpy(out, exe, strlen(exe) + 1);
	return KILN_OK;
}

/* @dir/@rel made absolute and canonical into @out; false when missing. */
static bool resolve(const char *dir, const char *rel, char *out)
{
	char p[PATH_MAX * 2];
	int n = snprintf(p, sizeof p, "%s%s", dir, rel);
	return n > 0 && (size_t)n < sizeof p && realpath(p, out) != NULL;
}

/* The build tree's flavour ("default", "san-address-undefined"), read from
 * build/flavor.stamp; "default" when absent. */
static void flavour(const char *root, char *out, size_t size)
{
	char p[PATH_MAX + 32];
	FILE *f;
	snprintf(out, size, "default");
	if (snprintf(p, sizeof p, "%s/build/flavor.stamp", root) >= (int)sizeof p)
		return;
	f = fopen(p, "r");
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		snprintf(out, size, "default");
	out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
}

int kiln_toolchain_find(struct kiln_toolchain *tc, struct kiln_err *err)
{
	const char *inc_env = getenv("KILN_INCLUDE"), *lib_env = getenv("KILN_LIBDIR");
	char dir[PATH_MAX], root[PATH_MAX], lib[PATH_MAX], fl[64];
	int rc;

	memset(tc, 0, sizeof *tc);
	if ((rc = exe_dir(dir, sizeof dir, err)) != KILN_OK)
		return rc;
	/* installed: PREFIX/bin/kiln */
	if (resolve(dir, "/..", root) && resolve(root, "/include/kiln", tc->include_dir) &&
	    readable(tc->include_dir, "kiln_rt.h") && resolve(root, "/lib", lib) &&
	    readable(lib, "libkiln-rt.a")) {
		if (snprintf(tc->rt_lib, sizeof tc->rt_lib, "%s/libkiln-rt.a", lib) >=
		    (int)sizeof tc->rt_lib)
			tc->rt_lib[0] = '\0';
	} else if (resolve(dir, "/..", root) && resolve(root, "/runtime", tc->include_dir) &&
		   readable(tc->include_dir, "kiln_rt.h")) {
		/* the build tree: bin/kiln, build/lib/<flavour>/ */
		flavour(root, fl, sizeof fl);
		if (snprintf(tc->rt_lib, sizeof tc->rt_lib, "%s/build/lib/%s/libkiln-rt.a", root,
			     fl) >= (int)sizeof tc->rt_lib)
			tc->rt_lib[0] = '\0';
		if (strncmp(fl, "san-", 4) == 0) {
			snprintf(tc->san_flags, sizeof tc->san_flags, "-fsanitize=%s", fl + 4);
			for (char *p = tc->san_flags; *p != '\0'; p++)
				if (*p == '-' && p > tc->san_flags + 11)
					*p = ',';
		}
	} else {
		tc->include_dir[0] = '\0';
	}
	if (inc_env != NULL && inc_env[0] != '\0' &&
	    (realpath(inc_env, tc->include_dir) == NULL || !readable(tc->include_dir, "kiln_rt.h")))
		return kiln_err_set(err, KILN_ENOTFOUND, "KILN_INCLUDE=%s holds no kiln_rt.h",
				    inc_env);
	if (lib_env != NULL && lib_env[0] != '\0') {
		if (realpath(lib_env, lib) == NULL || !readable(lib, "libkiln-rt.a"))
			return kiln_err_set(err, KILN_ENOTFOUND,
					    "KILN_LIBDIR=%s holds no libkiln-rt.a", lib_env);
		if (snprintf(tc->rt_lib, sizeof tc->rt_lib, "%s/libkiln-rt.a", lib) >=
		    (int)sizeof tc->rt_lib)
			tc->rt_lib[0] = '\0';
	}
	if (tc->include_dir[0] == '\0' || tc->rt_lib[0] == '\0')
		return kiln_err_set(err, KILN_ENOTFOUND,
				    "cannot find libkiln-rt.a and kiln_rt.h beside %s (looked for "
				    "../lib and ../include/kiln, and a build tree); set "
				    "KILN_LIBDIR and KILN_INCLUDE",
				    dir);
	return KILN_OK;
}

/* Append "@label @argv[0]: <output of argv>" to the buffer @b. */
static int tool_version(char *const argv[], const char *label, FILE *b, struct kiln_err *err)
{
	struct kiln_proc p;
	int rc = kiln_spawn(argv, NULL, &p, err);
	if (rc == KILN_ENOTFOUND)
		return kiln_err_set(err, KILN_ETOOL, "%s \"%s\" not found", label, argv[0]);
	if (rc != KILN_OK)
		return rc;
	if (p.status != 0)
		rc = kiln_err_set(err, KILN_ETOOL, "%s --version failed (exit status %d)", argv[0],
				  p.status);
	else
		fprintf(b, "%s %s\n%s%s\n", label, argv[0], p.out, p.errout);
	kiln_proc_release(&p);
	return rc;
}

int kiln_toolchain_fingerprint(const struct kiln_toolchain *tc, const char *cc,
			       const char *wasm2c, char **out, struct kiln_err *err)
{
	static const char *const headers[] = {"kiln_abi.h", "kiln_rt.h", "kiln_wasi.h",
					      "kiln_status.h"};
	char hex[KILN_DIGEST_STRLEN + 1], hhex[4][KILN_DIGEST_STRLEN + 1], path[PATH_MAX + 16];
	char *cc_argv[] = {NULL, "--version", NULL}, *w_argv[] = {NULL, "--version", NULL};
	struct kiln_digest d;
	uint64_t size;
	size_t len = 0;
	FILE *b;
	int rc;

	*out = NULL;
	if (cc == NULL || cc[0] == '\0')
		cc = getenv("CC");
	if (cc == NULL || cc[0] == '\0')
		cc = "cc";
	if (wasm2c == NULL || wasm2c[0] == '\0')
		wasm2c = getenv("KILN_WASM2C");
	if (wasm2c == NULL || wasm2c[0] == '\0')
		wasm2c = "wasm2c";
	cc_argv[0] = (char *)cc;
	w_argv[0] = (char *)wasm2c;
	if ((rc = kiln_digest_file("/proc/self/exe", &d, &size, err)) != KILN_OK)
		return rc;
	kiln_digest_format(&d, hex);
	/* the headers objects and registry are compiled against (KILN_INCLUDE
	 * may point elsewhere than the kiln executable's own) */
	for (size_t i = 0; i < 4; i++) {
		if (snprintf(path, sizeof path, "%s/%s", tc->include_dir, headers[i]) >=
		    (int)sizeof path)
			return kiln_err_set(err, KILN_EIO, "%s: path too long", tc->include_dir);
		if ((rc = kiln_digest_file(path, &d, &size, err)) != KILN_OK)
			return rc;
		kiln_digest_format(&d, hhex[i]);
	}
	b = open_memstream(out, &len);
	if (b == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	/* bumped with what kiln compile emits: 2, the fuel counter threaded
	 * through calls and kiln.fuel_trap (objects of 1 must not be reused) */
	fprintf(b, "kiln-bake-cache 2\nkiln %s\nabi %d\nmeta %d\n", hex, KILN_ABI_VERSION,
		KILN_META_VERSION);
	for (size_t i = 0; i < 4; i++)
		fprintf(b, "%s %s\n", headers[i], hhex[i]);
	rc = tool_version(w_argv, "wasm2c", b, err);
	if (rc == KILN_OK)
		rc = tool_version(cc_argv, "cc", b, err);
	if (fclose(b) != 0 && rc == KILN_OK)
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (rc != KILN_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}
