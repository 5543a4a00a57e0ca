/*
 * driver_impl.h — internals of the compile driver (`kiln compile`,
 * `kiln inspect`, `kiln check-imports`): the host world table, argument
 * parsing, wasm2c name mangling, signature text, glue and metadata
 * generation, subprocesses and the .kiln.meta reader.  Not installed; only
 * compiler/ and its unit tests include it.
 */
#ifndef KILN_DRIVER_IMPL_H
#define KILN_DRIVER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kiln_compiler.h"

/* The wasm2c release kiln generates glue for; any other is refused. */
#define KILN_WASM2C_VERSION "1.0.32"
/* Longest --name accepted (the symbol kiln_module_<NAME> stays short). */
#define KILN_NAME_MAX 64
/* Bounds of --max-memory: one wasm page up to the whole 32-bit space. */
#define KILN_MAX_MEMORY_MIN 65536ull
#define KILN_MAX_MEMORY_MAX 4294967296ull
/* Name of the export the driver adds when a module's memory is not
 * exported, so that the glue can reach it through wasm2c's accessor. */
#define KILN_MEMORY_EXPORT "__kiln_memory"
/* Name of the metadata section in objects and linked binaries. */
#define KILN_META_SECTION ".kiln.meta"
/* Version of the metadata document layout ("kiln_meta" key). */
#define KILN_META_VERSION 1

/** The name to use for @m in messages (its file name, or "module"). */
static inline const char *kiln_module_label(const struct kiln_wasm_module *m)
{
	return m->name != NULL ? m->name : "module";
}

/* ---- index spaces (index_space.c) ------------------------------------ */

/** The import of kind @kind that has @index in that kind's index space. */
const struct kiln_wasm_import *kiln_nth_import(const struct kiln_wasm_module *m,
					       enum kiln_wasm_kind kind, uint32_t index);
/** Type of global/table/memory @index into *@out; false when out of range. */
bool kiln_globaltype_of(const struct kiln_wasm_module *m, uint32_t index,
			struct kiln_wasm_globaltype *out);
bool kiln_tabletype_of(const struct kiln_wasm_module *m, uint32_t index,
		       struct kiln_wasm_tabletype *out);
bool kiln_memtype_of(const struct kiln_wasm_module *m, uint32_t index,
		     struct kiln_wasm_limits *out);

/* ---- host world (host_world.c) ---------------------------------------- */

/** A function the host world provides.  `sig` is params ':' results, one
 *  letter per value type (i = i32, I = i64, f = f32, F = f64), e.g. "iiii:i". */
struct kiln_host_func {
	const char *module;
	const char *name;
	const char *sig;
};

/** Every function of the host world, in a fixed order; *@count is set. */
const struct kiln_host_func *kiln_host_world(size_t *count);

/** The host function @module.@name (byte strings), or NULL. */
const struct kiln_host_func *kiln_host_world_find(const uint8_t *module, size_t module_len,
						  const uint8_t *name, size_t name_len);

/* ---- arguments (args.c) ------------------------------------------------ */

/**
 * Parse a --max-memory SIZE: decimal bytes with an optional KiB, MiB or GiB
 * suffix (case-insensitive), between KILN_MAX_MEMORY_MIN and
 * KILN_MAX_MEMORY_MAX.  KILN_EINVAL with a message on anything else.
 */
int kiln_parse_size(const char *text, uint64_t *bytes, struct kiln_err *err)
	__attribute__((warn_unused_result));

/** Whether @name is a C identifier of at most KILN_NAME_MAX bytes. */
bool kiln_name_valid(const char *name);

/** Whether @level is an optimisation level kiln passes to cc: 0-3 or s. */
bool kiln_opt_level_valid(const char *level);

/* ---- names and signatures (mangle.c) ----------------------------------- */

/**
 * Write wasm2c 1.0.32's mangled form of the byte string @s to @out:
 * [A-Za-z0-9_] except 'Z' are kept, every other byte becomes 'Z' and two
 * uppercase hex digits.  Returns 0, or -1 on a write error.
 */
int kiln_mangle(FILE *out, const uint8_t *s, size_t len);

/**
 * Copy @len bytes of @s into @out for display: control bytes (< 0x20 and
 * 0x7f) and backslashes become \xNN escapes, so that a hostile name
 * cannot drive a terminal; other bytes (UTF-8 included) are kept.  Always
 * NUL-terminated; a result that does not fit ends in "...".
 */
void kiln_escape(const uint8_t *s, size_t len, char *out, size_t size);

/** Replace control bytes (< 0x20 and 0x7f) in @s by '?', in place: for
 *  messages that may quote a module's bytes, right before they are shown. */
void kiln_sanitize(char *s);

/** Text name of a value type byte ("i32", "funcref"), or NULL if unknown. */
const char *kiln_valtype_name(uint8_t type);

/**
 * Format a function type as "(i32, i32) -> (i32)" into @buf (always
 * NUL-terminated, truncated with "..." when too long).
 */
void kiln_functype_format(const struct kiln_wasm_functype *ft, char *buf, size_t size);

/** Format the type of import @imp of @m ("(i32) -> ()", "mut i32",
 *  "memory 1..16", "funcref table 2") into @buf. */
void kiln_import_type_format(const struct kiln_wasm_module *m, const struct kiln_wasm_import *imp,
			     char *buf, size_t size);

/** Same for export @exp; "?" when its index is out of range. */
void kiln_export_type_format(const struct kiln_wasm_module *m, const struct kiln_wasm_export *exp,
			     char *buf, size_t size);

/** "func", "table", "memory" or "global". */
const char *kiln_kind_name(enum kiln_wasm_kind kind);

/* ---- metadata (metadata.c) --------------------------------------------- */

struct kiln_meta_input {
	const char *name;
	uint8_t input_sha256[32];
	uint8_t instrumented_sha256[32];
	const char *wasm2c_version;
	bool fuel;
	uint64_t max_memory;                /* 0: no cap (JSON null) */
	const char *cc;
	const char *opt_level;
	const struct kiln_wasm_module *m;   /* the instrumented module */
};

/**
 * Build the metadata JSON document (compact, keys in a fixed order, no
 * timestamps).  *@json is malloc'd and owned by the caller.  Errors:
 * KILN_ENOMEM, KILN_EINVALID when a name is not valid UTF-8.
 */
int kiln_meta_build(const struct kiln_meta_input *in, char **json, struct kiln_err *err)
	__attribute__((warn_unused_result));

/* ---- glue (glue.c) ----------------------------------------------------- */

struct kiln_glue_input {
	const struct kiln_wasm_module *m; /* the instrumented module */
	const char *name;                 /* --name, a valid C identifier */
	const char *wasm2c_source;        /* file name the glue #includes */
	const char *meta_json;            /* NUL-terminated metadata */
	bool fuel;                        /* the module exports KILN_FUEL_EXPORT */
	uint32_t memory_cap_pages;        /* 0: no cap */
	uint8_t wasm_sha256[32];          /* of the input wasm */
};

/**
 * Generate the glue C file: it #includes wasm2c's output and defines
 * `const struct kiln_module_desc kiln_module_<name>` (runtime/kiln_abi.h)
 * plus the .kiln.meta section.  A module with a memory must export it (the
 * driver adds KILN_MEMORY_EXPORT otherwise).  *@out (NUL-terminated, *@len
 * bytes) is malloc'd and owned by the caller.  Errors: KILN_EUNSUPPORTED
 * for an import or export name holding a NUL byte, KILN_EINVALID for an
 * index out of range, KILN_ENOMEM.
 */
int kiln_glue_generate(const struct kiln_glue_input *in, char **out, size_t *len,
		       struct kiln_err *err) __attribute__((warn_unused_result));

/**
 * Make sure memory 0 of @m (if any) is reachable through an export: when no
 * export names it, add KILN_MEMORY_EXPORT.  Sets *@added.  KILN_EINVALID if
 * that name is already taken by another export.
 */
int kiln_glue_export_memory(struct kiln_wasm_module *m, bool *added, struct kiln_err *err)
	__attribute__((warn_unused_result));

/* How the glue spells a value type (@t, a KILN_WASM_I32 ... value): its
 * enum kiln_valtype name ("KILN_I32"; NULL for none), its union kiln_raw
 * member ("i32"), and wasm2c's letter for it in multi-value struct names
 * (struct wasm_multi_<letters>, fields <letter><index>: 'i'). */
const char *kiln_glue_abi_type(uint8_t t);
const char *kiln_glue_raw_member(uint8_t t);
char kiln_glue_multi_letter(uint8_t t);

/* ---- memory base (membase.c) ------------------------------------------- */

/**
 * Rewrite wasm2c 1.0.32's C (@src, @len bytes) so that each function reads
 * its memory's base pointer once into a local and loads and stores through
 * kiln_<accessor>(kiln_mem, addr), which the glue defines.  @header is
 * wasm2c's .h, @instance_type the module's instance struct ("Z_<mod>_
 * instance_t").  Only valid with kiln's runtime, whose memories never move.
 * On success *@out (malloc'd, caller-owned, *@out_len bytes) is the new text
 * and *@count the number of accesses rewritten; when there is nothing to
 * rewrite (no memory, several, no access) *@out is NULL.  Errors: KILN_ENOMEM.
 */
int kiln_membase_rewrite(const char *src, size_t len, const char *header, size_t header_len,
			 const char *instance_type, char **out, size_t *out_len, unsigned *count,
			 struct kiln_err *err) __attribute__((warn_unused_result));

/* ---- fuel charges (charge.c) ------------------------------------------- */

/**
 * Rewrite wasm2c 1.0.32's C (@src, @len bytes) so that each charge of the
 * fuel pass, in the ten lines wasm2c prints for it, becomes one
 * KILN_CHARGE(counter, cost, trap function, context) statement, which the
 * glue defines per C compiler.  On success *@out (malloc'd, caller-owned,
 * *@out_len bytes) is the new text and *@count the number of charges
 * rewritten; when there is none, *@out is NULL.  Errors: KILN_ENOMEM.
 */
int kiln_charge_rewrite(const char *src, size_t len, char **out, size_t *out_len,
			unsigned *count, struct kiln_err *err) __attribute__((warn_unused_result));

/* ---- line rewrites of wasm2c's output (w2c_lines.c) --------------------- */

/* Write the line [@s, @eol) (without its newline), changed or not, to @f;
 * return how many changes it made.  @end is the end of the whole text, for
 * a look ahead. */
typedef unsigned kiln_line_fn(FILE *f, const char *s, const char *eol, const char *end);

/**
 * Pass each line of @src (@len bytes) through @fn.  On success *@out
 * (malloc'd, caller-owned, *@out_len bytes) is the new text and *@count the
 * sum of @fn's changes; when that is 0, *@out is NULL.  Errors: KILN_ENOMEM.
 */
int kiln_rewrite_lines(const char *src, size_t len, kiln_line_fn *fn, char **out, size_t *out_len,
		       unsigned *count, struct kiln_err *err) __attribute__((warn_unused_result));

/* ---- float values hidden from clang (fpconst.c) ------------------------- */

/**
 * Rewrite wasm2c 1.0.32's C (@src, @len bytes) so that every float value
 * clang could know at compile time (a literal ±0 or ±1, a reinterpreted or
 * converted value, a float local's initial 0) goes through the glue's
 * KILN_FPIN, which hides it, and clang cannot fold x - 0.0 or x * 1.0 to
 * x (which must quiet a signalling NaN).  On success *@out (malloc'd,
 * caller-owned, *@out_len bytes) is the new text and *@count the number of
 * values hidden; when there is none, *@out is NULL.  Errors: KILN_ENOMEM.
 */
int kiln_fpconst_rewrite(const char *src, size_t len, char **out, size_t *out_len,
			 unsigned *count, struct kiln_err *err) __attribute__((warn_unused_result));

/* ---- inline hints (inline_hint.c) ---------------------------------------- */

/**
 * Rewrite wasm2c 1.0.32's C (@src, @len bytes) so that each function that
 * calls itself is defined `static inline`, which lets gcc inline its
 * recursion a few levels deep although the fuel pass's charges make it
 * larger than gcc's limit for functions not declared inline.  On success
 * *@out (malloc'd, caller-owned, *@out_len bytes) is the new text and
 * *@count the number of functions so declared; when there is none, *@out
 * is NULL.  Errors: KILN_ENOMEM.
 */
int kiln_inline_rewrite(const char *src, size_t len, char **out, size_t *out_len,
			unsigned *count, struct kiln_err *err) __attribute__((warn_unused_result));

/* ---- subprocesses (spawn.c) -------------------------------------------- */

struct kiln_proc {
	int status;       /* exit status, or 128 + signal number */
	bool signaled;
	char *out;        /* captured stdout, NUL-terminated, owned */
	size_t outlen;
	char *errout;     /* captured stderr, NUL-terminated, owned */
	size_t errlen;
};

/**
 * Run @argv (argv[0] searched on PATH when it has no '/') in directory @cwd
 * (NULL: the current one) with stdin from /dev/null, capturing stdout and
 * stderr (each truncated to 1 MiB).  No shell is involved.  Returns KILN_OK
 * when the program ran, whatever its exit status (see @proc), KILN_ENOTFOUND
 * when it could not be found, KILN_ETOOL on other failures.  Release @proc
 * with kiln_proc_release.
 */
int kiln_spawn(char *const argv[], const char *cwd, struct kiln_proc *proc,
	       struct kiln_err *err) __attribute__((warn_unused_result));

/** Free what kiln_spawn captured; the struct itself is the caller's. */
void kiln_proc_release(struct kiln_proc *proc);

/** Kill (SIGKILL) and reap the child kiln_spawn is waiting for, if any.
 *  Async-signal-safe: for signal handlers that clean up and exit. */
void kiln_spawn_kill_child(void);

/* ---- the driver (compile.c) -------------------------------------------- */

/**
 * kiln_compile, with the tools' diagnostics (when there is more than one
 * line of them), unprovided imports and -v progress written to @diag, each
 * line prefixed with the input's name.  @diag may be NULL (kiln_compile).
 */
int kiln_compile_diag(const struct kiln_compile_opts *opts, FILE *diag, struct kiln_err *err)
	__attribute__((warn_unused_result));

/**
 * Install SIGINT, SIGTERM and SIGHUP handlers that, while kiln_compile runs,
 * kill the running tool and remove the temporaries before the process dies
 * of the signal.  For the CLI; call once.
 */
void kiln_compile_cleanup_on_signals(void);

/* ---- .kiln.meta reader (inspect.c) ------------------------------------- */

struct kiln_meta_docs {
	char **docs;   /* each NUL-terminated, owned */
	size_t count;
};

/**
 * Read every metadata document from the .kiln.meta sections of the ELF file
 * @path (an object or a linked binary): sections are split on NUL bytes and
 * empty pieces (alignment padding) skipped.  Fills @docs (caller-owned
 * struct; release with kiln_meta_docs_release).  Errors: KILN_EIO (cannot
 * open), KILN_EFORMAT (not an ELF file), KILN_ENOTFOUND (no .kiln.meta
 * section), KILN_ENOMEM.
 */
int kiln_meta_read(const char *path, struct kiln_meta_docs *docs, struct kiln_err *err)
	__attribute__((warn_unused_result));

void kiln_meta_docs_release(struct kiln_meta_docs *docs);

#endif /* KILN_DRIVER_IMPL_H */
