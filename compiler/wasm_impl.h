/*
 * wasm_impl.h — internals shared by the wasm reader, writer, opcode table
 * and passes (compiler/ only; not installed).
 *
 *   LEB128      kiln_leb_read(): the binary format's variable-length
 *               integers, with the spec's limits (at most ceil(N/7) bytes,
 *               no unused bits set in the last byte).
 *   wbuf        a growing output buffer that remembers running out of
 *               memory, so encoders check once at the end.
 *   opcodes     kiln_wasm_opinfo(): name, immediate kind and feature of
 *               every opcode the reader knows (wasm_opcodes.c).
 *   ownership   kiln_wasm_own(): hand a malloc'd block to a module.
 *   compare     kiln_wasm_compare(): structural equality, for round trips.
 *   loops       kiln_fuel_loops(): the fuel pass's counted loops.
 */
#ifndef KILN_WASM_IMPL_H
#define KILN_WASM_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_wasm.h"

/* ---- LEB128 ---------------------------------------------------------- */

enum kiln_leb_status {
	KILN_LEB_OK = 0,
	KILN_LEB_TRUNCATED, /* the input ended inside the number */
	KILN_LEB_TOO_LONG,  /* more than ceil(bits/7) bytes */
	KILN_LEB_TOO_LARGE, /* unused bits of the last byte are not zero (or
			     * not the sign extension, for signed numbers) */
};

/**
 * Decode one LEB128 number of @bits bits (32, 33 or 64) from @p[*pos] up
 * to @end.  Unsigned values land in *@u, signed ones (sign-extended) in *@s;
 * pass NULL for the other.  On success *@pos moves past the number; on
 * failure it is left alone.
 */
enum kiln_leb_status kiln_leb_read(const uint8_t *p, size_t end, size_t *pos, unsigned bits,
				   bool is_signed, uint64_t *u, int64_t *s);

/* ---- output buffer --------------------------------------------------- */

struct kiln_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom; /* an append failed; p holds what fitted before */
};

void kiln_wbuf_bytes(struct kiln_wbuf *b, const void *data, size_t n);
void kiln_wbuf_byte(struct kiln_wbuf *b, uint8_t v);
void kiln_wbuf_u32(struct kiln_wbuf *b, uint32_t v); /* shortest unsigned LEB128 */
void kiln_wbuf_s64(struct kiln_wbuf *b, int64_t v);  /* shortest signed LEB128 */
void kiln_wbuf_name(struct kiln_wbuf *b, struct kiln_wasm_bytes s);
void kiln_wbuf_release(struct kiln_wbuf *b);

/* ---- opcodes --------------------------------------------------------- */

/* How an opcode's immediates are encoded (see kiln_wasm_insn). */
enum kiln_wasm_imm {
	KILN_IMM_NONE = 0,
	KILN_IMM_BLOCK,         /* s33 block type */
	KILN_IMM_LABEL,         /* br, br_if */
	KILN_IMM_BR_TABLE,      /* vec(label) label */
	KILN_IMM_FUNC,          /* call, ref.func */
	KILN_IMM_CALL_INDIRECT, /* type index, table index */
	KILN_IMM_LOCAL,
	KILN_IMM_GLOBAL,
	KILN_IMM_TABLE,         /* table.get/set/grow/size/fill */
	KILN_IMM_MEMARG,        /* align, offset */
	KILN_IMM_MEMORY,        /* memory.size/grow/fill: one zero byte */
	KILN_IMM_I32,
	KILN_IMM_I64,
	KILN_IMM_F32,
	KILN_IMM_F64,
	KILN_IMM_REFTYPE,       /* ref.null */
	KILN_IMM_SELECT_T,      /* vec(valtype) */
	KILN_IMM_MEMORY_INIT,   /* data index, zero byte */
	KILN_IMM_DATA,          /* data.drop */
	KILN_IMM_MEMORY_COPY,   /* two zero bytes */
	KILN_IMM_TABLE_INIT,    /* elem index, table index */
	KILN_IMM_ELEM,          /* elem.drop */
	KILN_IMM_TABLE_COPY,    /* destination table, source table */
};

/* Proposals wasm2c 1.0.32 cannot translate; KILN_FEAT_CORE is supported. */
enum kiln_wasm_feature {
	KILN_FEAT_CORE = 0,
	KILN_FEAT_SIMD,
	KILN_FEAT_THREADS,
	KILN_FEAT_EXCEPTIONS,
	KILN_FEAT_TAIL_CALLS,
	KILN_FEAT_GC,
};

struct kiln_wasm_opinfo {
	const char *name;
	uint8_t imm;     /* enum kiln_wasm_imm */
	uint8_t feature; /* enum kiln_wasm_feature */
};

/* Opcode numbering for kiln_wasm_opcode_name() and kiln_wasm_opinfo():
 * one-byte opcodes as themselves, 0xfc sub-opcodes as 0xfc00 | sub (as in
 * kiln_wasm_insn), and the prefixes whose sub-opcodes may exceed 0xff as
 * KILN_WASM_OP_PREFIXED(prefix, sub). */
#define KILN_WASM_OP_PREFIXED(prefix, sub) (((uint32_t)(prefix) << 16) | (uint32_t)(sub))
#define KILN_WASM_OP_END 0x0b
#define KILN_WASM_OP_FC(sub) (0xfc00u | (sub))

/** The opcode's description, or NULL for an illegal opcode.  Opcodes of
 *  unsupported proposals are described with their feature set. */
const struct kiln_wasm_opinfo *kiln_wasm_opinfo(uint32_t op);

/** "SIMD", "threads", ... for messages. */
const char *kiln_wasm_feature_name(enum kiln_wasm_feature f);

/** "i32", "funcref", ... or NULL for a byte that is no value type. */
const char *kiln_wasm_valtype_name(uint8_t t);

/* ---- module internals ------------------------------------------------ */

/** Give @block (malloc'd) to @m, which frees it with the module; for
 *  passes that point kiln_wasm_bytes at new data.  Frees @block and
 *  returns KILN_ENOMEM when the bookkeeping cannot grow. */
int kiln_wasm_own(struct kiln_wasm_module *m, void *block);

/** Free the arrays inside one expression / body / element segment. */
void kiln_wasm_expr_release(struct kiln_wasm_expr *e);

/** Encode one expression (instructions up to and including its `end`). */
void kiln_wasm_write_expr(struct kiln_wbuf *b, const struct kiln_wasm_expr *e,
			  const uint32_t *side);

/**
 * Structural equality of two modules: every decoded field, byte strings
 * by content; the input buffers, names and body offsets are not compared.
 * Returns true when equal; otherwise false and, when @where is not NULL,
 * a short description of the first difference.
 */
bool kiln_wasm_compare(const struct kiln_wasm_module *a, const struct kiln_wasm_module *b,
		       char *where, size_t wherelen);

/* ---- counted loops (fuel_loops.c) ----------------------------------- */

/* The i32 opcodes of a counted loop's step and test (kiln_fuel_loop.cmp
 * holds one of the comparisons), shared with the fuel pass that emits
 * the same arithmetic. */
enum kiln_wasm_i32_op {
	KILN_OP_I32_CONST = 0x41,
	KILN_OP_I32_EQZ = 0x45,
	KILN_OP_I32_EQ = 0x46,
	KILN_OP_I32_NE = 0x47,
	KILN_OP_I32_LT_S = 0x48,
	KILN_OP_I32_LT_U = 0x49,
	KILN_OP_I32_GT_S = 0x4a,
	KILN_OP_I32_GT_U = 0x4b,
	KILN_OP_I32_ADD = 0x6a,
	KILN_OP_I32_SUB = 0x6b,
};

enum kiln_fuel_loop_kind {
	KILN_FUEL_LOOP_CHARGED = 0, /* charged at its header, every iteration */
	KILN_FUEL_LOOP_STATIC,      /* runs `trips` times: paid by the enclosing charge */
	KILN_FUEL_LOOP_DYNAMIC,     /* trips computed and paid at entry */
};

/** One loop of a body, as kiln_fuel_loops() found it. */
struct kiln_fuel_loop {
	enum kiln_fuel_loop_kind kind;
	uint64_t trips;      /* STATIC: times the body runs, >= 1 */
	uint32_t ivar;       /* the induction variable (local index) */
	int32_t step;        /* added to it each iteration (+1 or -1 if DYNAMIC) */
	uint16_t cmp;        /* the continue test: i32.ne, lt_u, lt_s, gt_u, gt_s */
	bool head;           /* tested before the step (else after it) */
	bool calls;          /* its body calls a function */
	bool bound_is_local; /* the test's other operand: local `bound`, */
	uint32_t bound;      /* or the constant `bound` */
};

/**
 * Classify the loops of @body (a function with @nparams parameters), in
 * the order of their `loop` instructions, into @loops[0..@nloops) (caller
 * owned; @nloops must be the body's number of loops, else none is
 * counted).  See fuel_loops.c for which loops count.  Returns KILN_OK or
 * KILN_ENOMEM (then every loop is CHARGED).
 */
int kiln_fuel_loops(const struct kiln_wasm_body *body, uint32_t nparams,
		    struct kiln_fuel_loop *loops, uint32_t nloops);

/**
 * How many times a loop of a counted shape runs when its first test sees
 * @v1 (the variable at entry, plus the step for the tail shape), each
 * iteration adds @step, and it goes on while `v CMP @b` (@cmp an i32
 * comparison opcode), with wasm's wrap-around; 0 when that is not a
 * finite count this function can give.
 */
uint64_t kiln_fuel_loop_trips(uint16_t cmp, int32_t step, uint32_t v1, uint32_t b);

#endif /* KILN_WASM_IMPL_H */
