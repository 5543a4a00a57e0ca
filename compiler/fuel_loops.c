/*
 * fuel_loops.c — loops whose trip count is known when they are entered,
 * for the fuel pass (kiln_fuel_loops in wasm_impl.h).
 *
 * Why.  The pass charges every loop at its header, once per iteration: a
 * subtract and a branch that tight loops pay on every trip and that keeps
 * the C compiler from vectorising or unrolling them (the branch leaves the
 * loop through a call).  A loop that can only leave by falling off its end,
 * and whose only way back is a final `br_if 0` on an induction variable
 * stepped by a constant, runs a number of times that is fixed when it is
 * entered; it can be paid for once, before it starts, with the same total.
 *
 * Which loops.  A loop of a valid body is counted when
 *   - it ends with `local.get $i  i32.const S  i32.add (or i32.sub)
 *     local.tee $i  B  CMP  br_if 0`, where B is `i32.const N` or
 *     `local.get $n` ($n not $i) and CMP one of i32.ne, lt_u, lt_s, gt_u,
 *     gt_s (the shape clang and gcc give a rotated `for` loop);
 *   - nothing else in the loop branches to it, and nothing branches out of
 *     it (no br, br_if or br_table to an enclosing label, no return, no
 *     tail call or exception); a call returns or traps, so calls are fine;
 *   - $i is written nowhere else in the loop, and $n nowhere in it.
 * Then the trips are:
 *   - STATIC when $i's value at entry is a constant (an `i32.const K;
 *     local.set $i` earlier in straight-line code, or a declared local's
 *     initial 0) and B is a constant: the loop adds trips × its cost to
 *     the enclosing charge, as if it were unrolled;
 *   - DYNAMIC when S is +1 or -1 and the loop calls nothing: the count is
 *     computed from $i and B at entry (exactly, wrap-around included) and
 *     charged there.  A loop that calls pays the callee's charge on every
 *     iteration anyway, and often runs only a few times (a recursion
 *     turned into a loop), where the computation costs more than it saves;
 *   - otherwise the loop keeps its charge per iteration.
 * A loop that does not terminate by its condition (`i != N` that steps
 * over N, a bound the step wraps past) is never STATIC; a DYNAMIC count
 * is at most 2^32, which is what such a loop would run before it comes
 * back to its start value, so a budget too small for it traps at entry.
 *
 * The analysis is linear in the body: one scan with a stack of open
 * blocks (each remembering the outermost label a branch inside it
 * targets), one scan tracking constant locals, with generation stamps so
 * that forgetting everything at a join costs nothing.  It trusts nothing:
 * an out-of-range label or local, or an unbalanced body, makes the loop
 * concerned (or every loop) keep its per-iteration charge.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm_impl.h"

#define NONE UINT32_MAX

enum {
	OP_BLOCK = 0x02,
	OP_LOOP = 0x03,
	OP_IF = 0x04,
	OP_ELSE = 0x05,
	OP_TRY = 0x06,
	OP_BR = 0x0c,
	OP_BR_IF = 0x0d,
	OP_BR_TABLE = 0x0e,
	OP_CALL = 0x10,
	OP_CALL_INDIRECT = 0x11,
	OP_LOCAL_GET = 0x20,
	OP_LOCAL_SET = 0x21,
	OP_LOCAL_TEE = 0x22,
	OP_TRY_TABLE = 0x1f,
};

/* Anything but block-structured branches within the loop: return, tail
 * calls, exceptions, branches on references.  The reader refuses most of
 * them; a loop holding one keeps its charge all the same. */
static bool leaves(uint16_t op)
{
	switch (op) {
	case 0x07: case 0x08: case 0x09: case 0x0a: case 0x0f: case 0x12: case 0x13:
	case 0x14: case 0x15: case 0x18: case 0x19: case 0xd5: case 0xd6:
		return true;
	default:
		return (op >> 8) == 0xfb;
	}
}

struct open {
	uint16_t op;       /* block, if, loop, try */
	bool has_else;
	bool calls;        /* a call inside */
	uint32_t loop;     /* its index among the loops, or NONE */
	uint32_t start;    /* its opening instruction */
	int64_t minpos;    /* outermost stack position a branch inside targets */
	uint32_t targeted; /* branches to its label */
};

/* What pass 1 knows while it scans. */
struct scan {
	const struct kiln_wasm_insn *in;
	uint32_t nlocals;
	uint32_t *prev_write; /* per set/tee: the write of its local before it */
	uint32_t *last_write; /* per local: its latest write so far */
	uint32_t *depth;      /* per instruction: the stack position it sits at */
	struct open closed;   /* the construct that closed last */
};

/* A branch from inside stack[top] to label depth @l. */
static void branch(struct open *stack, uint32_t top, uint32_t l)
{
	int64_t p = (int64_t)top - (int64_t)l;
	if (l > top) {
		stack[top].minpos = -1;
		return;
	}
	if (p < stack[top].minpos)
		stack[top].minpos = p;
	stack[p].targeted++;
}

/* Is in[w-3..w] `local.get $i  i32.const S  i32.add|sub  local.set|tee $i`,
 * all at stack position @pos, and $i's only write since @start?  Sets
 * ivar and step. */
static bool increment(const struct scan *sc, uint32_t w, uint32_t start, uint32_t pos,
		      struct kiln_fuel_loop *out)
{
	const struct kiln_wasm_insn *t = &sc->in[w - 3];
	int64_t s;

	if (w < start + 4 || (t[3].op != OP_LOCAL_TEE && t[3].op != OP_LOCAL_SET) ||
	    t[0].op != OP_LOCAL_GET || t[1].op != KILN_OP_I32_CONST ||
	    (t[2].op != KILN_OP_I32_ADD && t[2].op != KILN_OP_I32_SUB) ||
	    t[0].imm.index != t[3].imm.index || t[0].imm.index >= sc->nlocals)
		return false;
	for (uint32_t j = w - 3; j <= w; j++)
		if (sc->depth[j] != pos)
			return false;
	if (sc->prev_write[w] != NONE && sc->prev_write[w] > start)
		return false;
	s = (int32_t)t[1].imm.i64;
	if (t[2].op == KILN_OP_I32_SUB)
		s = -s;
	if (s == 0 || s > INT32_MAX || s < -INT32_MAX)
		return false;
	out->ivar = t[0].imm.index;
	out->step = (int32_t)s;
	return true;
}

/* Is @b (at or after @start) `i32.const N` or `local.get $n`, with $n
 * not $i and not written since @start?  Sets bound. */
static bool bound_operand(const struct scan *sc, const struct kiln_wasm_insn *b, uint32_t start,
			  struct kiln_fuel_loop *out)
{
	if (b->op == KILN_OP_I32_CONST) {
		out->bound_is_local = false;
		out->bound = (uint32_t)b->imm.i64;
		return true;
	}
	if (b->op != OP_LOCAL_GET || b->imm.index >= sc->nlocals || b->imm.index == out->ivar)
		return false;
	if (sc->last_write[b->imm.index] != NONE && sc->last_write[b->imm.index] > start)
		return false;
	out->bound_is_local = true;
	out->bound = b->imm.index;
	return true;
}

static bool is_cmp(uint16_t op)
{
	return op == KILN_OP_I32_NE || op == KILN_OP_I32_LT_S || op == KILN_OP_I32_LT_U ||
	       op == KILN_OP_I32_GT_S || op == KILN_OP_I32_GT_U;
}

/*
 * Is the loop @o, ending at @end at stack position @pos, of a counted
 * shape?  Fills @out but its kind.  Two shapes (S the step, B the bound):
 *   tail:  ... local.get $i  i32.const S  i32.add  local.tee $i  B  CMP
 *          br_if 0  end       (or `local.tee $i  br_if 0`: CMP ne, B 0)
 *   head:  ... local.get $i  B  CMP  if  ... local.get $i  i32.const S
 *          i32.add  local.set $i  ...  br 1  end  end
 *          (or `B  i32.eq  i32.eqz` for ne; the increment at the if's
 *          top level, nothing branching to the if's label)
 * The tail shape tests the stepped value; the head shape the value the
 * iteration starts with.
 */
static bool counted_shape(const struct scan *sc, const struct open *o, uint32_t end, uint32_t pos,
			  struct kiln_fuel_loop *out)
{
	const struct kiln_wasm_insn *in = sc->in;
	const uint32_t start = o->start;

	if (end < start + 6 || o->minpos < (int64_t)pos || o->targeted != 1)
		return false;
	if (in[end - 1].op == OP_BR_IF && in[end - 1].imm.index == 0) {
		out->head = false;
		if (in[end - 2].op == OP_LOCAL_TEE) {
			out->cmp = KILN_OP_I32_NE;
			out->bound_is_local = false;
			out->bound = 0;
			return increment(sc, end - 2, start, pos, out);
		}
		if (!is_cmp(in[end - 2].op) || !increment(sc, end - 4, start, pos, out) ||
		    in[end - 3].op == OP_LOCAL_TEE)
			return false;
		out->cmp = in[end - 2].op;
		return bound_operand(sc, &in[end - 3], start, out);
	}
	if (in[end - 1].op == KILN_WASM_OP_END && in[end - 2].op == OP_BR &&
	    in[end - 2].imm.index == 1 && sc->closed.op == OP_IF && !sc->closed.has_else &&
	    sc->closed.targeted == 0 && in[sc->closed.start].imm.block == KILN_WASM_BLOCK_EMPTY) {
		const uint32_t q = sc->closed.start; /* the if */
		const struct kiln_wasm_insn *b;
		uint32_t get;
		out->head = true;
		if (q < start + 4)
			return false;
		if (is_cmp(in[q - 1].op)) {
			out->cmp = in[q - 1].op;
			b = &in[q - 2];
			get = q - 3;
		} else if (in[q - 1].op == KILN_OP_I32_EQZ && in[q - 2].op == KILN_OP_I32_EQ &&
			   q >= start + 5) {
			out->cmp = KILN_OP_I32_NE;
			b = &in[q - 3];
			get = q - 4;
		} else {
			return false;
		}
		if (in[get].op != OP_LOCAL_GET || in[get].imm.index >= sc->nlocals)
			return false;
		out->ivar = in[get].imm.index;
		if (sc->last_write[out->ivar] == NONE || sc->last_write[out->ivar] <= q ||
		    !increment(sc, sc->last_write[out->ivar], q, pos + 1, out) ||
		    (sc->prev_write[sc->last_write[out->ivar]] > start &&
		     sc->prev_write[sc->last_write[out->ivar]] != NONE))
			return false;
		return bound_operand(sc, b, start, out);
	}
	return false;
}

/* Can the trip count be computed at entry (kiln_fuel_loop_trips' exact
 * cases)?  The pass emits the same arithmetic in wasm. */
static bool dynamic_ok(uint16_t cmp, int32_t step)
{
	return ((step == 1 || step == -1) && cmp == KILN_OP_I32_NE) ||
	       (step == 1 && (cmp == KILN_OP_I32_LT_U || cmp == KILN_OP_I32_LT_S)) ||
	       (step == -1 && (cmp == KILN_OP_I32_GT_U || cmp == KILN_OP_I32_GT_S));
}

uint64_t kiln_fuel_loop_trips(uint16_t cmp, int32_t step, uint32_t v1, uint32_t b)
{
	if (step == 1 || step == -1) {
		/* exact with wrap-around: the first m >= 0 where the test fails */
		bool up = step == 1;
		switch (cmp) {
		case KILN_OP_I32_NE:
			return (uint64_t)(uint32_t)(up ? b - v1 : v1 - b) + 1;
		case KILN_OP_I32_LT_U:
			return !up ? 0 : v1 < b ? (uint64_t)(b - v1) + 1 : 1;
		case KILN_OP_I32_LT_S:
			return !up ? 0 : (int32_t)v1 < (int32_t)b ? (uint64_t)(b - v1) + 1 : 1;
		case KILN_OP_I32_GT_U:
			return up ? 0 : v1 > b ? (uint64_t)(v1 - b) + 1 : 1;
		case KILN_OP_I32_GT_S:
			return up ? 0 : (int32_t)v1 > (int32_t)b ? (uint64_t)(v1 - b) + 1 : 1;
		}
		return 0;
	}
	/* larger steps: exact arithmetic, and the variable must not wrap
	 * before the test fails (else 0: not counted) */
	{
		bool sig = cmp == KILN_OP_I32_LT_S || cmp == KILN_OP_I32_GT_S;
		int64_t V = sig ? (int32_t)v1 : (int64_t)v1, B = sig ? (int32_t)b : (int64_t)b;
		int64_t lo = sig ? INT32_MIN : 0, hi = sig ? INT32_MAX : (int64_t)UINT32_MAX;
		int64_t S = step, m;

		switch (cmp) {
		case KILN_OP_I32_NE:
			if ((B - V) % S != 0 || (B - V) / S < 0)
				return 0;
			return (uint64_t)((B - V) / S) + 1;
		case KILN_OP_I32_LT_U:
		case KILN_OP_I32_LT_S:
			if (S < 0)
				return 0;
			m = V >= B ? 0 : (B - V + S - 1) / S;
			return V + m * S <= hi ? (uint64_t)m + 1 : 0;
		case KILN_OP_I32_GT_U:
		case KILN_OP_I32_GT_S:
			if (S > 0)
				return 0;
			m = V <= B ? 0 : (V - B - S - 1) / -S;
			return V + m * S >= lo ? (uint64_t)m + 1 : 0;
		}
		return 0;
	}
}

int kiln_fuel_loops(const struct kiln_wasm_body *body, uint32_t nparams,
		    struct kiln_fuel_loop *loops, uint32_t nloops)
{
	const struct kiln_wasm_expr *e = &body->code;
	const struct kiln_wasm_insn *in = e->insns;
	struct scan sc = {.in = in, .nlocals = nparams};
	uint32_t top = 0, k = 0, gen = 1;
	uint32_t *known = NULL, *val = NULL;
	struct open *stack = NULL;
	bool *candidate = NULL;
	int rc = KILN_OK;

	memset(loops, 0, sizeof *loops * (size_t)nloops);
	for (uint32_t g = 0; g < body->nlocal_groups; g++) {
		if (body->locals[g].count > UINT32_MAX - 1 - sc.nlocals)
			return KILN_OK; /* the reader refuses this; keep every charge */
		sc.nlocals += body->locals[g].count;
	}
	sc.prev_write = malloc(sizeof *sc.prev_write * ((size_t)e->ninsns + 1));
	sc.depth = malloc(sizeof *sc.depth * ((size_t)e->ninsns + 1));
	sc.last_write = malloc(sizeof *sc.last_write * ((size_t)sc.nlocals + 1));
	known = calloc((size_t)sc.nlocals + 1, sizeof *known);
	val = calloc((size_t)sc.nlocals + 1, sizeof *val);
	stack = malloc(sizeof *stack * ((size_t)e->ninsns + 2));
	candidate = calloc((size_t)nloops + 1, sizeof *candidate);
	if (sc.prev_write == NULL || sc.depth == NULL || sc.last_write == NULL || known == NULL ||
	    val == NULL || stack == NULL || candidate == NULL) {
		rc = KILN_ENOMEM;
		goto out;
	}
	for (uint32_t l = 0; l < sc.nlocals; l++)
		sc.last_write[l] = NONE;

	/* pass 1: the shape, exits and back edges of every loop */
	stack[0] = (struct open){.loop = NONE, .minpos = INT64_MAX};
	for (uint32_t j = 0; j < e->ninsns; j++) {
		uint16_t op = in[j].op;
		sc.prev_write[j] = NONE;
		sc.depth[j] = top;
		if (op == OP_BLOCK || op == OP_IF || op == OP_LOOP || op == OP_TRY ||
		    op == OP_TRY_TABLE) {
			stack[++top] = (struct open){
				.op = op, .loop = NONE, .start = j, .minpos = INT64_MAX};
			if (op == OP_LOOP) {
				if (k >= nloops)
					goto out; /* miscounted: no loop counted */
				stack[top].loop = k++;
			}
			if (op == OP_TRY || op == OP_TRY_TABLE)
				stack[top].minpos = -1;
		} else if (op == OP_ELSE) {
			stack[top].has_else = true;
		} else if (op == KILN_WASM_OP_END) {
			struct open o = stack[top];
			if (top == 0)
				break; /* the function's end */
			if (o.loop != NONE) {
				candidate[o.loop] = counted_shape(&sc, &o, j, top, &loops[o.loop]);
				loops[o.loop].calls = o.calls;
			}
			sc.closed = o;
			top--;
			if (o.minpos < stack[top].minpos)
				stack[top].minpos = o.minpos;
			stack[top].calls |= o.calls;
		} else if (op == OP_CALL || op == OP_CALL_INDIRECT) {
			stack[top].calls = true;
		} else if (op == OP_BR || op == OP_BR_IF) {
			branch(stack, top, in[j].imm.index);
		} else if (op == OP_BR_TABLE) {
			uint32_t first = in[j].imm.list.first, count = in[j].imm.list.count;
			if (first > body->nside || body->nside - first < (uint64_t)count + 1) {
				stack[top].minpos = -1;
				continue;
			}
			for (uint32_t c = 0; c <= count; c++)
				branch(stack, top, body->side[first + c]);
		} else if (op == OP_LOCAL_SET || op == OP_LOCAL_TEE) {
			uint32_t x = in[j].imm.index;
			if (x >= sc.nlocals) {
				stack[top].minpos = -1;
				continue;
			}
			sc.prev_write[j] = sc.last_write[x];
			sc.last_write[x] = j;
		} else if (leaves(op)) {
			stack[top].minpos = -1;
		}
	}

	/* pass 2: $i's value at each candidate's entry.  Declared locals start
	 * at 0; a join (end, else) or a loop header forgets everything. */
	for (uint32_t l = nparams; l < sc.nlocals; l++)
		known[l] = gen;
	k = 0;
	for (uint32_t j = 0; j < e->ninsns && k < nloops; j++) {
		uint16_t op = in[j].op;
		if (op == OP_LOOP) {
			struct kiln_fuel_loop *lp = &loops[k];
			if (candidate[k]) {
				uint64_t t = 0;
				if (known[lp->ivar] == gen && !lp->bound_is_local) {
					uint32_t v1 = val[lp->ivar];
					if (!lp->head)
						v1 += (uint32_t)lp->step;
					t = kiln_fuel_loop_trips(lp->cmp, lp->step, v1, lp->bound);
				}
				if (t != 0) {
					lp->kind = KILN_FUEL_LOOP_STATIC;
					lp->trips = t;
				} else if (dynamic_ok(lp->cmp, lp->step) && !lp->calls) {
					lp->kind = KILN_FUEL_LOOP_DYNAMIC;
				}
			}
			k++;
			gen++;
		} else if (op == KILN_WASM_OP_END || op == OP_ELSE) {
			gen++;
		} else if (op == OP_LOCAL_SET || op == OP_LOCAL_TEE) {
			uint32_t x = in[j].imm.index;
			if (x >= sc.nlocals)
				continue;
			if (j > 0 && in[j - 1].op == KILN_OP_I32_CONST) {
				known[x] = gen;
				val[x] = (uint32_t)in[j - 1].imm.i64;
			} else {
				known[x] = 0;
			}
		}
	}
out:
	free(sc.prev_write);
	free(sc.depth);
	free(sc.last_write);
	free(known);
	free(val);
	free(stack);
	free(candidate);
	return rc;
}
