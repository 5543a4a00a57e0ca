/*
 * config_impl.h — kiln.yaml in memory: the extensions a host project bakes,
 * their references, keys, grants and test cases (docs/kiln.yaml.md).
 * Read by `kiln bake`, `kiln lock -f` and `kiln test`.  Internal to
 * compiler/ and its unit tests.
 *
 *     struct kiln_config cfg;
 *     if (kiln_config_read("kiln.yaml", &cfg, &err) != KILN_OK)
 *             fprintf(stderr, "%s\n", err.msg);   // "kiln.yaml:12:7: ..."
 *     ...
 *     kiln_config_release(&cfg);
 *
 * Every error message starts with FILE:LINE:COLUMN (1-based) of the node at
 * fault, then the key path inside the extension ("grants.memory",
 * "tests[1].args[0]"), then what was expected and what was found.
 */
#ifndef KILN_CONFIG_IMPL_H
#define KILN_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_abi.h"
#include "kiln_status.h"
#include "kiln_wasi.h"

/** The kiln.yaml schema version this reader understands. */
#define KILN_CONFIG_VERSION 1
/** Largest kiln.yaml accepted. */
#define KILN_CONFIG_MAX_BYTES (4u << 20)
/** Most extensions one kiln.yaml may list. */
#define KILN_CONFIG_MAX_EXTENSIONS 256u
/** Longest configuration key (kiln.config_get) and value. */
#define KILN_CONFIG_KEY_MAX_LEN 256u
#define KILN_CONFIG_VALUE_MAX_LEN (1u << 20)
/** Largest fuel budget accepted (the runtime's KILN_FUEL_MAX). */
#define KILN_CONFIG_FUEL_MAX (1ull << 61)
/** Longest deadline accepted: one day. */
#define KILN_CONFIG_DEADLINE_MAX_NS (86400ull * 1000000000ull)
/** What "unlimited" stands for in fuel and deadline values (KILN_UNLIMITED). */
#define KILN_CONFIG_UNLIMITED UINT64_MAX

/** Where a node starts in the file, 1-based; 0:0 when absent. */
struct kiln_config_mark {
	uint32_t line;
	uint32_t column;
};

/** One host directory granted to the guest. */
struct kiln_config_mount {
	char *host;     /* as written (relative: to the directory of kiln.yaml) */
	char *guest;    /* absolute guest path, e.g. "/data" */
	bool writable;  /* mode: rw */
};

/** One stdio routing; kind is the runtime's enum. */
struct kiln_config_stdio {
	enum kiln_wasi_stdio_kind kind;
	char *path;     /* KILN_WASI_STDIO_FILE: the path as written */
};

/** A key and a string value (env, config). */
struct kiln_config_kv {
	char *key;
	char *value;
};

/**
 * Grants of one extension.  Numbers are 0 when not given (the runtime's
 * defaults then apply) and KILN_CONFIG_UNLIMITED for "unlimited".
 */
struct kiln_config_grants {
	uint64_t memory;            /* bytes, a multiple of 64 KiB or 0 */
	uint64_t fuel_per_call;
	uint64_t fuel_instantiate;
	uint64_t soft_deadline_ns;
	uint64_t hard_deadline_ns;
	char **args;
	size_t nargs;
	struct kiln_config_kv *env;
	size_t nenv;
	char **env_inherit;
	size_t nenv_inherit;
	struct kiln_config_mount *mounts;
	size_t nmounts;
	struct kiln_config_stdio stdio[3];
	bool clock_realtime;
	bool clock_monotonic;
	bool random;
	struct kiln_config_kv *config;
	size_t nconfig;
	struct kiln_config_mark memory_mark; /* of grants.memory, or of the extension */
};

/** A typed wasm value written "i32:5", "f64:-0.5", "i64:0x10". */
struct kiln_config_value {
	enum kiln_valtype type;     /* KILN_I32, KILN_I64, KILN_F32 or KILN_F64 */
	union kiln_raw of;
	char *text;                 /* as written */
};

/** One `tests:` case, run by `kiln test`. */
struct kiln_config_test {
	char *name;
	char *export_name;
	struct kiln_config_value *args;
	size_t nargs;
	struct kiln_config_value *results;
	size_t nresults;
	bool has_results;           /* `results:` given (possibly empty) */
	char *trap;                 /* a kiln_trap_kind_name() spelling, or NULL */
	int trap_kind;              /* its enum kiln_trap_kind value, or 0 */
	char *stdin_data;           /* bytes given to stdin, or NULL */
	size_t stdin_len;
	char *stdout_data;          /* expected stdout, or NULL */
	size_t stdout_len;
	struct kiln_config_mark mark;
};

/** One extension. */
struct kiln_config_ext {
	char *name;                 /* C identifier, unique */
	char *ref;                  /* the reference exactly as written */
	bool pinned;                /* ref carries @sha256:... */
	bool allow_latest;
	char *key;                  /* public key path as written, or NULL */
	bool has_protocol;
	int32_t protocol;           /* expected kiln_protocol_version() */
	struct kiln_config_grants grants;
	struct kiln_config_test *tests;
	size_t ntests;
	struct kiln_config_mark mark;          /* of the extension's mapping */
	struct kiln_config_mark ref_mark;
	struct kiln_config_mark key_mark;
	struct kiln_config_mark protocol_mark;
};

/** A whole kiln.yaml.  Release with kiln_config_release(). */
struct kiln_config {
	char *path;                 /* as given, for messages */
	char *dir;                  /* its directory ("." for a bare name) */
	uint32_t version;
	struct kiln_config_ext *exts;
	size_t count;
};

/**
 * Read and validate kiln.yaml at @path into @out (caller-owned struct;
 * release its contents with kiln_config_release, also after a failure).
 * Relative paths in the file (mounts, stdio files, keys, oci-layout
 * directories) are checked relative to the directory of @path.
 * Errors: KILN_EIO (cannot read), KILN_ECONFIG (anything wrong inside; the
 * message starts with "PATH:LINE:COLUMN: "), KILN_ENOMEM.
 */
int kiln_config_read(const char *path, struct kiln_config *out, struct kiln_err *err)
	__attribute__((warn_unused_result));

/**
 * kiln_config_read() on @len bytes at @text: @path names the file in
 * messages and its directory anchors relative paths.
 */
int kiln_config_parse(const char *text, size_t len, const char *path, struct kiln_config *out,
		      struct kiln_err *err) __attribute__((warn_unused_result));

/** Free what @cfg holds and zero it; safe on a zeroed struct. */
void kiln_config_release(struct kiln_config *cfg);

/** The extension named @name, or NULL. */
const struct kiln_config_ext *kiln_config_find(const struct kiln_config *cfg, const char *name);

/**
 * @rel made relative to @cfg->dir ("dir/rel"; @rel itself when absolute or
 * when dir is "."), malloc'd; NULL when out of memory.
 */
char *kiln_config_path(const struct kiln_config *cfg, const char *rel);

struct kiln_oci_ref;

/**
 * Parse @e's reference into @ref for pulling: an oci-layout directory
 * given relative is made relative to @cfg->dir.  (The text kept in kiln.lock
 * and baked into the registry is the reference as written, so that the
 * same project gives the same bytes wherever it is checked out.)
 */
int kiln_config_ref(const struct kiln_config *cfg, const struct kiln_config_ext *e,
		    struct kiln_oci_ref *ref, struct kiln_err *err)
	__attribute__((warn_unused_result));

/**
 * The enum kiln_trap_kind value spelled @name by kiln_trap_kind_name()
 * ("out of bounds", "fuel exhausted", "deadline"...), or -1.  The compiler
 * does not link the runtime: the names are kept here, and a unit test
 * checks them against the runtime's.
 */
int kiln_config_trap_kind(const char *name);

/** The @i-th trap kind name (i from 1), or NULL past the last. */
const char *kiln_config_trap_name(int i);

#endif /* KILN_CONFIG_IMPL_H */
