/*
 * kiln_wasm.h — the compiler's in-memory form of a WebAssembly core module,
 * with its reader (binary -> module), writer (module -> binary) and the
 * passes that rewrite it.  Part of the compiler's public interface: include
 * it through kiln_compiler.h.
 *
 * Scope: everything Debian's wasm2c 1.0.32 accepts by default — MVP plus
 * mutable globals, sign extension, saturating float-to-int, multi-value,
 * bulk memory and reference types.  SIMD, threads, exceptions, tail calls,
 * multi-memory, memory64, GC and extended constant expressions are refused
 * by the reader with KILN_EUNSUPPORTED, naming the function and opcode.
 *
 * The reader checks structure (section order and sizes, LEB128 forms,
 * counts against the bytes left, index ranges, constant-expression shape),
 * never types: wasm2c validates as it reads.  Index ranges ARE checked
 * because the passes add a function import, a global and possibly a type:
 * an out-of-range index in an invalid module must not become valid.
 *
 * Ownership: a module owns everything it points to, including a private
 * copy of the input bytes that names, data segments and custom sections
 * point into.  Passes may replace arrays (always malloc'd) and must keep
 * that rule.  kiln_wasm_free() releases it all.
 */
#ifndef KILN_WASM_H
#define KILN_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_status.h"

/* Implementation limits, beyond which the reader refuses a module with
 * KILN_ELIMIT (they match what engines such as V8 accept). */
#ifndef KILN_WASM_MAX_TYPES
#define KILN_WASM_MAX_TYPES 1000000
#endif
#ifndef KILN_WASM_MAX_FUNCS
#define KILN_WASM_MAX_FUNCS 1000000
#endif
#ifndef KILN_WASM_MAX_IMPORTS
#define KILN_WASM_MAX_IMPORTS 100000
#endif
#ifndef KILN_WASM_MAX_EXPORTS
#define KILN_WASM_MAX_EXPORTS 100000
#endif
#ifndef KILN_WASM_MAX_GLOBALS
#define KILN_WASM_MAX_GLOBALS 1000000
#endif
#ifndef KILN_WASM_MAX_PARAMS
#define KILN_WASM_MAX_PARAMS 1000
#endif
#ifndef KILN_WASM_MAX_RESULTS
#define KILN_WASM_MAX_RESULTS 1000
#endif
#ifndef KILN_WASM_MAX_LOCALS
#define KILN_WASM_MAX_LOCALS 50000
#endif
#ifndef KILN_WASM_MAX_SEGMENTS
#define KILN_WASM_MAX_SEGMENTS 100000
#endif
#ifndef KILN_WASM_MAX_TABLE_SIZE
#define KILN_WASM_MAX_TABLE_SIZE 10000000
#endif
#ifndef KILN_WASM_MAX_MODULE_BYTES
#define KILN_WASM_MAX_MODULE_BYTES (1024u * 1024u * 1024u)
#endif

/* Value types, as encoded in the binary format. */
#define KILN_WASM_I32 0x7f
#define KILN_WASM_I64 0x7e
#define KILN_WASM_F32 0x7d
#define KILN_WASM_F64 0x7c
#define KILN_WASM_V128 0x7b
#define KILN_WASM_FUNCREF 0x70
#define KILN_WASM_EXTERNREF 0x6f
/* Block type "empty" (0x40), stored in kiln_wasm_insn.imm.block as -64. */
#define KILN_WASM_BLOCK_EMPTY (-64)

/* External kinds (imports and exports). */
enum kiln_wasm_kind {
	KILN_WASM_KIND_FUNC = 0,
	KILN_WASM_KIND_TABLE = 1,
	KILN_WASM_KIND_MEMORY = 2,
	KILN_WASM_KIND_GLOBAL = 3,
};

/* Section ids. */
enum kiln_wasm_section {
	KILN_WASM_SEC_CUSTOM = 0,
	KILN_WASM_SEC_TYPE = 1,
	KILN_WASM_SEC_IMPORT = 2,
	KILN_WASM_SEC_FUNCTION = 3,
	KILN_WASM_SEC_TABLE = 4,
	KILN_WASM_SEC_MEMORY = 5,
	KILN_WASM_SEC_GLOBAL = 6,
	KILN_WASM_SEC_EXPORT = 7,
	KILN_WASM_SEC_START = 8,
	KILN_WASM_SEC_ELEMENT = 9,
	KILN_WASM_SEC_CODE = 10,
	KILN_WASM_SEC_DATA = 11,
	KILN_WASM_SEC_DATACOUNT = 12,
};

/** A byte string inside the module (names are UTF-8, not NUL-terminated). */
struct kiln_wasm_bytes {
	const uint8_t *data;
	uint32_t len;
};

/** A function type: nparams parameter types, then nresults result types. */
struct kiln_wasm_functype {
	uint32_t nparams;
	uint32_t nresults;
	uint8_t *types; /* nparams + nresults value types */
};

struct kiln_wasm_limits {
	uint32_t min;
	uint32_t max;
	bool has_max;
};

struct kiln_wasm_tabletype {
	uint8_t reftype; /* KILN_WASM_FUNCREF or KILN_WASM_EXTERNREF */
	struct kiln_wasm_limits limits;
};

struct kiln_wasm_globaltype {
	uint8_t valtype;
	bool mut;
};

/*
 * One instruction.  `op` is the opcode byte, or 0xfc00 | sub-opcode for the
 * 0xfc prefix (saturating truncation, bulk memory, table operations).
 * Immediates, by opcode:
 *   block, loop, if          imm.block: the block type as its s33 LEB128
 *                            value: KILN_WASM_BLOCK_EMPTY, a value type
 *                            (negative: 0x7f i32 -> -1, 0x6f -> -17, i.e.
 *                            (int8_t)(byte | 0x80)), or a type index (>= 0)
 *   br, br_if                imm.index (label depth)
 *   br_table                 imm.list: `count` label depths then the default
 *                            label, stored at side[first .. first+count]
 *   select with types (0x1c) imm.list: `count` value types at side[first..]
 *   call, ref.func, local.*, global.*, table.get/set/grow/size/fill,
 *   data.drop, elem.drop, memory.size/grow (memory index)
 *                            imm.index
 *   call_indirect            imm.pair: a = type index, b = table index
 *   memory.init              imm.pair: a = data index, b = memory index
 *   table.init               imm.pair: a = elem index, b = table index
 *   memory.copy, table.copy  imm.pair: a = destination, b = source
 *   memory.fill              imm.index (memory index)
 *   loads and stores         imm.mem: align exponent and offset
 *   i32.const, i64.const     imm.i64 (sign-extended)
 *   f32.const, f64.const     imm.bits (the IEEE bit pattern, kept exactly)
 *   ref.null                 imm.index (the reference type byte)
 */
struct kiln_wasm_insn {
	uint16_t op;
	union {
		int64_t block;
		uint32_t index;
		struct {
			uint32_t a, b;
		} pair;
		struct {
			uint32_t align, offset;
		} mem;
		struct {
			uint32_t count, first;
		} list;
		int64_t i64;
		uint64_t bits;
	} imm;
};

/** An instruction sequence ending with `end` (the `end` is included). */
struct kiln_wasm_expr {
	struct kiln_wasm_insn *insns;
	uint32_t ninsns;
};

struct kiln_wasm_import {
	struct kiln_wasm_bytes module;
	struct kiln_wasm_bytes name;
	enum kiln_wasm_kind kind;
	union {
		uint32_t type_index; /* functions */
		struct kiln_wasm_tabletype table;
		struct kiln_wasm_limits memory;
		struct kiln_wasm_globaltype global;
	} desc;
};

struct kiln_wasm_global {
	struct kiln_wasm_globaltype type;
	struct kiln_wasm_expr init;
};

struct kiln_wasm_export {
	struct kiln_wasm_bytes name;
	enum kiln_wasm_kind kind;
	uint32_t index;
};

enum kiln_wasm_segment_mode {
	KILN_WASM_SEG_ACTIVE = 0,
	KILN_WASM_SEG_PASSIVE = 1,
	KILN_WASM_SEG_DECLARATIVE = 2,
};

/** An element segment.  `flags` is the binary encoding variant (0-7), kept so
 *  that re-encoding gives the same form; the other fields are decoded. */
struct kiln_wasm_elem {
	uint32_t flags;
	enum kiln_wasm_segment_mode mode;
	uint32_t table;              /* active only */
	struct kiln_wasm_expr offset; /* active only */
	uint8_t reftype;             /* KILN_WASM_FUNCREF / EXTERNREF */
	bool uses_exprs;             /* items are expressions (flags & 4) */
	uint32_t count;
	uint32_t *funcs;             /* !uses_exprs: function indices */
	struct kiln_wasm_expr *exprs; /* uses_exprs: one per item */
};

/** A data segment; `flags` as encoded (0, 1 or 2). */
struct kiln_wasm_data {
	uint32_t flags;
	enum kiln_wasm_segment_mode mode;
	uint32_t memory;
	struct kiln_wasm_expr offset; /* active only */
	struct kiln_wasm_bytes bytes;
};

/** Local declarations keep their run-length groups for faithful re-encoding. */
struct kiln_wasm_locals {
	uint32_t count;
	uint8_t type;
};

struct kiln_wasm_body {
	uint32_t nlocal_groups;
	struct kiln_wasm_locals *locals;
	struct kiln_wasm_expr code; /* ends with the function's final `end` */
	uint32_t *side;             /* br_table labels, select types */
	uint32_t nside;
	uint32_t offset;            /* byte offset of the body in the input */
};

/** A custom section, kept byte for byte.  `after` is the id of the last
 *  non-custom section that preceded it (0 when it came first), so the writer
 *  puts it back in the same place. */
struct kiln_wasm_custom {
	struct kiln_wasm_bytes name;
	struct kiln_wasm_bytes payload;
	uint8_t after;
};

struct kiln_wasm_module {
	char *name;     /* for messages: the file name given to the reader */
	uint8_t *buf;   /* private copy of the input */
	size_t len;

	struct kiln_wasm_functype *types;
	uint32_t ntypes;

	struct kiln_wasm_import *imports;
	uint32_t nimports;
	/* how many imports of each kind: the index spaces start with them */
	uint32_t nimported_funcs, nimported_tables, nimported_mems, nimported_globals;

	uint32_t *funcs; /* type index of each defined function */
	uint32_t nfuncs;

	struct kiln_wasm_tabletype *tables;
	uint32_t ntables;

	struct kiln_wasm_limits *mems;
	uint32_t nmems;

	struct kiln_wasm_global *globals;
	uint32_t nglobals;

	struct kiln_wasm_export *exports;
	uint32_t nexports;

	bool has_start;
	uint32_t start;

	struct kiln_wasm_elem *elems;
	uint32_t nelems;

	bool has_datacount;
	uint32_t datacount;

	struct kiln_wasm_body *bodies; /* one per defined function */
	uint32_t nbodies;

	struct kiln_wasm_data *datas;
	uint32_t ndatas;

	struct kiln_wasm_custom *customs;
	uint32_t ncustoms;

	/* bit i set: section id i was present in the input (or added by a
	 * pass); the writer emits exactly these, so an empty section that was
	 * present survives a round trip. */
	uint32_t present;

	/* malloc'd blocks that passes point byte strings into (a rewritten
	 * "name" section, for instance); freed with the module */
	void **owned;
	uint32_t nowned;
};

/**
 * Decode a binary module.  @bytes/@len are copied; the caller keeps
 * ownership of them.  @name is used in error messages (usually the file
 * name) and copied.  On success *@out owns the new module (free it with
 * kiln_wasm_free); on failure *@out is NULL and @err says what was expected,
 * what was found and at which byte offset, e.g.
 *   "ext.wasm: offset 0x1a3: section 3 runs past the end of the file"
 * Errors: KILN_EMALFORMED, KILN_EUNSUPPORTED (SIMD and other features wasm2c
 * 1.0.32 cannot translate, naming the function and opcode), KILN_ELIMIT,
 * KILN_EINVALID (index out of range), KILN_ENOMEM.
 */
int kiln_wasm_read(const uint8_t *bytes, size_t len, const char *name,
		   struct kiln_wasm_module **out, struct kiln_err *err)
	__attribute__((warn_unused_result));

/** Read and decode a file; errors as kiln_wasm_read plus KILN_EIO. */
int kiln_wasm_read_file(const char *path, struct kiln_wasm_module **out,
			struct kiln_err *err) __attribute__((warn_unused_result));

/**
 * Encode @m.  On success *@out is a malloc'd buffer of *@outlen bytes owned
 * by the caller.  Custom sections are written byte for byte in their
 * original places; everything else in canonical (shortest LEB128) form.
 */
int kiln_wasm_write(const struct kiln_wasm_module *m, uint8_t **out, size_t *outlen,
		    struct kiln_err *err) __attribute__((warn_unused_result));

/** Free a module and everything it owns.  NULL is a no-op. */
void kiln_wasm_free(struct kiln_wasm_module *m);

/** A function's type, or NULL when @func_index is out of range. */
const struct kiln_wasm_functype *kiln_wasm_func_type(const struct kiln_wasm_module *m,
						     uint32_t func_index);

/** Name of an opcode ("i32.add", "memory.copy", "v128.load"), for messages;
 *  "illegal opcode" for none.  @op as in kiln_wasm_insn (a byte, or
 *  0xfc00 | sub); SIMD and atomic instructions as (prefix << 16) | sub,
 *  e.g. 0xfd0000 for v128.load. */
const char *kiln_wasm_opcode_name(uint32_t op);

#endif /* KILN_WASM_H */
