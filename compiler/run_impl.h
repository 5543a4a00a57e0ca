/*
 * run_impl.h — internals of `kiln run` (cli_run.c): argument checks
 * (run_args.c) and the cache of compiled objects and linked runners
 * (run_cache.c).  Not installed; only compiler/ and its unit tests
 * include it.
 *
 * `kiln run EXT.wasm` compiles the module with `--name ext` into the cache,
 * links the object with the generic host (runtime/run/run_host.c, installed
 * as libkiln-run.a) and libkiln-rt.a into a runner, also cached, and
 * executes the runner with the grants of its command line.
 */
#ifndef KILN_RUN_IMPL_H
#define KILN_RUN_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_status.h"

/* kiln run's own exit status when it cannot run the extension (bad usage,
 * compile or link failure, refused grant): like env(1) and timeout(1), a
 * status guests rarely use, since every other status is the guest's. */
#define KILN_RUN_EXIT_FAILED 125
/* The module name `kiln run` compiles with: the runner references
 * kiln_module_ext. */
#define KILN_RUN_MODULE_NAME "ext"
/* Longest --timeout accepted, in seconds (about 31 years: well inside the
 * runtime's nanosecond arithmetic). */
#define KILN_RUN_TIMEOUT_MAX 1000000000ull

/* ---- arguments (run_args.c) ------------------------------------------- */

/**
 * Index of the "--" that ends kiln run's own options in @argv (@argc
 * entries, argv[0] the verb), or @argc when there is none.  An option that
 * takes a value in the next argument (`--env --`) keeps it: only a "--"
 * in option position counts.
 */
int kiln_run_split(int argc, char *const *argv);

/**
 * Parse --timeout SECONDS: decimal with an optional fraction ("2", "0.25",
 * "1.5"), at most KILN_RUN_TIMEOUT_MAX, digits beyond nanoseconds ignored.
 * 0 means no deadline.  KILN_EINVAL with a message otherwise.
 */
int kiln_parse_seconds(const char *text, uint64_t *ns, struct kiln_err *err)
	__attribute__((warn_unused_result));

/** Parse --fuel N: a decimal from 1 to 2^61 (the runtime's largest budget). */
int kiln_parse_fuel(const char *text, uint64_t *fuel, struct kiln_err *err)
	__attribute__((warn_unused_result));

/**
 * Check a --mount HOST:GUEST[:ro|:rw] specification (the runner splits it
 * the same way: an optional :ro or :rw suffix, then the last ':' separates
 * HOST from GUEST, both non-empty) and that HOST is a directory.
 */
int kiln_check_mount(const char *spec, struct kiln_err *err) __attribute__((warn_unused_result));

/** Check --env KEY=VALUE (non-empty KEY) and --env-inherit KEY (non-empty,
 *  no '='). */
int kiln_check_env(const char *spec, bool inherit, struct kiln_err *err)
	__attribute__((warn_unused_result));

/**
 * The extension name for messages and the guest's default argv[0], from
 * the module's path: its last component, written to @argv0 (@size bytes),
 * and the same without a ".wasm" suffix to @name; control bytes become '?'.
 */
void kiln_run_names(const char *path, char *name, char *argv0, size_t size);

/* ---- the cache (run_cache.c) ------------------------------------------- */

/* Longest cache or library directory: room is left for the file names
 * under it in PATH_MAX. */
#define KILN_RUN_DIR_MAX 3840

struct kiln_run_cache {
	char dir[KILN_RUN_DIR_MAX];    /* $XDG_CACHE_HOME/kiln/run or ~/.cache/kiln/run */
	char libdir[KILN_RUN_DIR_MAX]; /* holds libkiln-rt.a and libkiln-run.a */
	char object[4096];   /* the compiled module, once kiln_run_prepare ran */
	char runner[4096];   /* the linked runner */
	bool compiled;       /* kiln_run_prepare compiled the object */
	bool linked;         /* and linked the runner */
};

/**
 * Find the cache directory and the libraries (see kiln-run(1): $KILN_LIBDIR,
 * <kiln>/../lib, the build tree's build/lib/<flavour>), then make sure the
 * object for the module at @wasm and the runner for that object exist in
 * the cache, compiling and linking only what is missing.  Keys: SHA-256 of
 * the module's bytes and of the identity (device, inode, size, mtime) of
 * the kiln executable, the libraries, and $CC, $KILN_WASM2C, $KILN_INCLUDE.
 * Everything is written under a temporary name and renamed into place, so
 * concurrent runs and interrupted ones never leave a partial entry.
 * @verbose reports hits and misses on stderr.  Errors: KILN_ENOTFOUND (no
 * libraries, no cache directory), KILN_EIO, and whatever kiln_compile
 * returns (the message names the module).
 */
int kiln_run_prepare(const char *wasm, bool verbose, struct kiln_run_cache *c,
		     struct kiln_err *err) __attribute__((warn_unused_result));

#endif /* KILN_RUN_IMPL_H */
