/*
 * bake_impl.h — `kiln bake`: from kiln.yaml to the objects, the generated
 * registry and the make fragment a host links (docs/kiln-bake.1).  Internal
 * to compiler/ and its unit tests.
 *
 *   bake.c      pull and verify, static checks (memory cap, protocol), the
 *               object cache, parallel compiles, writing the output directory
 *   bake_gen.c  kiln_registry.c (grants as static initialisers, one
 *               .kiln.meta document per extension) and kiln.mk
 *   toolchain.c where libkiln-rt and its headers are, and the toolchain
 *               fingerprint cached objects are keyed by
 */
#ifndef KILN_BAKE_IMPL_H
#define KILN_BAKE_IMPL_H

#include <stdbool.h>
#include <stdio.h>

#include "config_impl.h"
#include "kiln_oci.h"

/* Version of the bake's .kiln.meta documents ("kiln_bake" key). */
#define KILN_BAKE_META_VERSION 1
/* File names inside the output directory. */
#define KILN_BAKE_REGISTRY_C "kiln_registry.c"
#define KILN_BAKE_REGISTRY_O "kiln_registry.o"
#define KILN_BAKE_MK "kiln.mk"
/* The list of files the last bake wrote, to remove stale ones. */
#define KILN_BAKE_LIST ".kiln-bake-files"

/** Options of `kiln bake`; zero-initialise, then set what you need. */
struct kiln_bake_opts {
	const char *config;     /* kiln.yaml */
	const char *out_dir;    /* created if missing */
	const char *lock;       /* NULL: kiln.lock beside kiln.yaml */
	const char *cache;      /* object cache; NULL: <store>/objects */
	unsigned jobs;          /* parallel compiles; 0: one per CPU */
	bool locked;            /* kiln.lock must hold exactly these extensions */
	const char *cc;         /* NULL: $CC or cc */
	const char *opt_level;  /* NULL: "2" */
	bool verbose;
	FILE *out;              /* progress lines; NULL: none */
};

/** What a bake did. */
struct kiln_bake_report {
	size_t extensions;
	size_t compiled;        /* objects compiled (cache misses) */
	size_t cached;          /* objects taken from the cache */
	bool registry_compiled; /* kiln_registry.o had to be compiled */
};

/**
 * Bake: read @o->config, pull every extension through @c (verifying digests,
 * the signature when `key` is set, and kiln.lock), check each module's
 * memory against its cap and its kiln_protocol_version() against the
 * runtime's range, compile what the cache lacks (@o->jobs at a time, in
 * child processes), then write the output directory: one object per
 * extension, kiln_registry.c and .o, kiln.mk.  Files in the output directory
 * are replaced only after everything succeeded, each atomically, and only
 * when their bytes change (so that make rebuilds no more than needed);
 * kiln.mk is always rewritten last.  Errors name the kiln.yaml position
 * when one is at fault.  @report (optional) is filled on success.
 */
int kiln_bake(const struct kiln_bake_opts *o, struct kiln_oci_client *c,
	      struct kiln_bake_report *report, struct kiln_err *err)
	__attribute__((warn_unused_result));

/* ---- generation (bake_gen.c) --------------------------------------------- */

/** What the bake learnt about one extension, for the generated files. */
struct kiln_bake_ext {
	const struct kiln_config_ext *cfg;
	char reference[KILN_OCI_REF_STRMAX];   /* canonical, as written in kiln.yaml */
	char manifest[KILN_DIGEST_STRLEN + 1]; /* "sha256:..." */
	char config_digest[KILN_DIGEST_STRLEN + 1];
	char wasm[KILN_DIGEST_STRLEN + 1];     /* the wasm layer */
	char signer[KILN_DIGEST_STRLEN + 1];   /* key id, "" when unsigned */
	bool has_protocol;
	int32_t protocol;                      /* what the module exports */
	char wasm_path[KILN_OCI_PATH_MAX];     /* in the store */
	char layout_index[KILN_OCI_PATH_MAX];  /* oci-layout refs: DIR/index.json */
	char key[65];                          /* cache key, hex */
	bool hit;                              /* object found in the cache */
};

/**
 * The text of kiln_registry.c for @n extensions (malloc'd, NUL-terminated,
 * owned by the caller; length in *@len).  Deterministic: the same inputs
 * give the same bytes.
 */
int kiln_bake_registry(const struct kiln_bake_ext *exts, size_t n, char **out, size_t *len,
		       struct kiln_err *err) __attribute__((warn_unused_result));

/** The bake's metadata document of one extension (compact JSON, malloc'd). */
int kiln_bake_meta(const struct kiln_bake_ext *e, char **json, struct kiln_err *err)
	__attribute__((warn_unused_result));

/** Where a host finds the runtime: see kiln_toolchain_find(). */
struct kiln_toolchain {
	char include_dir[4096]; /* holds kiln_rt.h */
	char rt_lib[4096];      /* libkiln-rt.a */
	char san_flags[128];    /* -fsanitize=... when the runtime was built so */
};

/**
 * The text of kiln.mk (malloc'd, NUL-terminated).  @inputs (@ninputs
 * absolute paths, may be 0) are the files the bake read, listed as
 * KILN_BAKE_INPUTS so that sdk/kiln.mk bakes again when one changes; paths
 * make cannot spell are left out.
 */
int kiln_bake_mk(const struct kiln_bake_ext *exts, size_t n, const struct kiln_toolchain *tc,
		 char *const *inputs, size_t ninputs, char **out, size_t *len,
		 struct kiln_err *err) __attribute__((warn_unused_result));

/* ---- toolchain (toolchain.c) --------------------------------------------- */

/**
 * Find the runtime library and headers: $KILN_LIBDIR / $KILN_INCLUDE when
 * set; else, beside the kiln executable, an installed layout
 * (<prefix>/bin/kiln, <prefix>/lib/libkiln-rt.a, <prefix>/include/kiln) or
 * the build tree (bin/kiln, build/lib/<flavour>/libkiln-rt.a, runtime/).
 * Paths are absolute.  KILN_ENOTFOUND naming the places looked at.
 */
int kiln_toolchain_find(struct kiln_toolchain *tc, struct kiln_err *err)
	__attribute__((warn_unused_result));

/**
 * The part of every cache key that names the tools: the SHA-256 of the
 * kiln executable and of the headers objects and registry are compiled
 * against (kiln_abi.h, kiln_rt.h, kiln_wasi.h, kiln_status.h in @tc's
 * include directory), the output of `WASM2C --version` and
 * `CC --version`, the C compiler as named, and the ABI and metadata
 * versions, written as text into @out (malloc'd).  @cc and @wasm2c are
 * resolved as kiln_compile does.  KILN_ETOOL when a tool cannot be run.
 */
int kiln_toolchain_fingerprint(const struct kiln_toolchain *tc, const char *cc,
			       const char *wasm2c, char **out, struct kiln_err *err)
	__attribute__((warn_unused_result));

#endif /* KILN_BAKE_IMPL_H */
