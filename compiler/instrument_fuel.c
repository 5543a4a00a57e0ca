/*
 * instrument_fuel.c — the fuel pass (see kiln_fuel_instrument in
 * kiln_compiler.h).
 *
 * What is charged.  Every instruction is paid for at the head of its
 * innermost enclosing loop, or at function entry when no loop encloses it.
 * `end` and `else` are markers, not instructions, and cost nothing; a
 * charge is at least 1.  A counted loop (fuel_loops.c) has no charge of its
 * own: trips x its cost is added to the enclosing charge when the trips are
 * a constant (as if it were unrolled), or computed and charged just before
 * it (charge_trips) when they depend on a local.  Its total is the same as
 * charges per iteration would reach; only the moment of a trap differs.
 * A small innermost loop that calls nothing is unrolled into 2 or 4
 * copies (unroll()), so that one charge pays for that many iterations; the
 * rule above holds for the unrolled code (a loop of t iterations pays for
 * fewer than t + 4).  A loop that calls a defined function at its top
 * level, with no branch back to its head before that call, has no header
 * charge: the call gets the counter minus the loop's cost, and the
 * callee's entry charge (every defined function has one, at least 1)
 * checks it on every iteration.  This takes the header's subtract and
 * branch out of the chain of calls (recurse with clang: fuel/no-fuel 1.57
 * -> 1.22 in time).
 *
 * Where the counter lives.  The runtime sets and reads the exported global
 * __kiln_fuel ($G), but the code does not count in it: wasm2c keeps globals
 * in the instance struct, where a subtract-and-store in every loop
 * iteration and every call chains each charge to the previous one through
 * memory (a store-to-load forward, about five cycles a link), which cost
 * tight loops and recursions 20 to 90%.  Instead every defined function
 * takes the counter as an extra, last i64 parameter $f and gives back what
 * is left as an extra, last i64 result, so that the C compiler keeps it in
 * registers:
 *
 *   - a charge is
 *         local.get $f  i64.const COST  i64.sub  local.tee $f
 *         i64.const 0  i64.lt_s  if  local.get $f  call $fuel_trap  end
 *     a subtract and a branch on a register; kiln.fuel_trap (i64) -> []
 *     never returns (the glue declares it cold, not noreturn: see there),
 *     so the slow path neither reloads anything nor weighs on inlining.
 *     After wasm2c, compiler/charge.c turns each charge into the glue's
 *     KILN_CHARGE (the same sub and js, written in one place);
 *   - a call of a defined function passes $f and takes the rest back
 *     (local.get $f  call  local.set $f);
 *   - a call of an import, and call_indirect, store $f to $G before and
 *     reload it after: host functions, the runtime and functions reached
 *     through tables only know $G.  A reloaded counter at or below zero
 *     calls kiln.fuel_exhausted, which may find fuel held elsewhere (the
 *     counter of a linked instance that the callee drew on) and returns;
 *   - the body is wrapped in a block of the function's results followed by
 *     local.get $f, so that falling off the end and branching to the
 *     function's label (now the block's, at the same depth) also return the
 *     counter; `return` gets local.get $f before it.
 *
 * A function that something outside the code names — an export, the start
 * function, an element segment, a ref.func — gets a wrapper of its
 * original type, appended after the defined functions: it calls
 * fuel_exhausted when $G is at or below zero (at instantiation the runtime
 * hands the budget over there; a linked instance draws on its caller's),
 * calls the function with $G and stores what is left.  Exports, start,
 * elements and ref.func name the wrapper, so hosts, tables and
 * call_indirect's type check see the original types.
 *
 * $G is therefore exact whenever control is outside the module's code; in
 * it, $G lags the registers.  A trap other than running out loses what was
 * charged since the last store (it is not counted as consumed), and a timer
 * that drives $G negative is not seen by code holding $f: hard deadlines
 * rely on the runtime's interrupt signal, as they must for any loop whose
 * counter the C compiler keeps in a register.
 *
 * The imports come after the module's own (each only if not imported
 * already), so every defined function's index moves up; every place that
 * names a function is rewritten, and so are local indices (the new
 * parameter comes before the declared locals), local names included.  The
 * pass builds all new arrays before touching the module, so on failure the
 * module is as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "kiln_compiler.h"
#include "wasm_impl.h"

#define CHARGE_INSNS 10
#define TRIPS_INSNS 26 /* the most charge_trips() emits */
/* A counted loop's cost is folded into the enclosing charge only while
 * that stays below this (2^40, some minutes of work); a DYNAMIC loop needs
 * its cost per trip below 2^20, so that 2^32 trips fit an i64 charge. */
#define FOLD_MAX ((uint64_t)1 << 40)
#define TRIP_COST_MAX ((uint64_t)1 << 20)
/* Innermost loops that cost up to UNROLL_COST_MAX are unrolled
 * (unroll()): into UNROLL_MAX copies up to UNROLL_SMALL, two above. */
#define UNROLL_COST_MAX 40
#define UNROLL_SMALL 12
#define UNROLL_MAX 4

static uint32_t copies(uint64_t cost)
{
	return cost <= UNROLL_SMALL ? UNROLL_MAX : 2;
}
#define NONE UINT32_MAX
#define WANTED (UINT32_MAX - 1) /* wrapper[]: needs one, not numbered yet */

/* Opcodes the pass emits or rewrites. */
enum {
	OP_BLOCK = 0x02,
	OP_LOOP = 0x03,
	OP_IF = 0x04,
	OP_ELSE = 0x05,
	OP_BR = 0x0c,
	OP_BR_IF = 0x0d,
	OP_BR_TABLE = 0x0e,
	OP_RETURN = 0x0f,
	OP_CALL = 0x10,
	OP_CALL_INDIRECT = 0x11,
	OP_SELECT = 0x1b,
	OP_LOCAL_GET = 0x20,
	OP_LOCAL_SET = 0x21,
	OP_LOCAL_TEE = 0x22,
	OP_GLOBAL_GET = 0x23,
	OP_GLOBAL_SET = 0x24,
	OP_I64_CONST = 0x42,
	OP_I64_EQZ = 0x50,
	OP_I64_LT_S = 0x53,
	OP_I64_ADD = 0x7c,
	OP_I64_SUB = 0x7d,
	OP_I64_MUL = 0x7e,
	OP_I64_EXTEND_I32_U = 0xad,
	OP_REF_FUNC = 0xd2,
};

/* The two imports: fuel_exhausted [] -> [], fuel_trap [i64] -> []. */
enum { FE, FT, NIMPORTS };
static const char *const import_names[NIMPORTS] = {KILN_FUEL_EXHAUSTED, KILN_FUEL_TRAP};

struct fuel {
	struct kiln_wasm_module *m;
	struct kiln_err *err;
	uint32_t old_nimp;   /* imported functions before the pass */
	uint32_t nadd;       /* imports the pass adds (those not there yet) */
	bool add[NIMPORTS];
	uint32_t func[NIMPORTS]; /* their function indices, after */
	uint32_t type[NIMPORTS]; /* their types */
	bool add_type[NIMPORTS];
	uint32_t fuel_global;

	/* built before committing */
	struct kiln_wasm_functype *types; /* the module's, then the added */
	uint32_t ntypes;
	uint32_t *inner_type;   /* per type of the module: with $f, or NONE */
	int64_t *block_type;    /* per type of the module: its results as a block type */
	uint32_t *wrapper;      /* per defined function: its wrapper's index, or NONE */
	uint32_t nwrappers;
	uint32_t *funcs;        /* type of each defined function, wrappers included */
	struct kiln_wasm_body *bodies; /* likewise; code rebuilt, locals and side moved */
	struct kiln_wasm_import *imports;
	struct kiln_wasm_global *globals;
	struct kiln_wasm_export *exports;
	uint8_t **names;        /* per custom section: new "name" payload or NULL */
	uint32_t *nnames;
};

static bool bytes_is(struct kiln_wasm_bytes b, const char *s)
{
	size_t n = strlen(s);
	return b.len == n && memcmp(b.data, s, n) == 0;
}

/* The index a call of old function @func names: the function itself. */
static uint32_t call_index(const struct fuel *f, uint32_t func)
{
	return func >= f->old_nimp ? func + f->nadd : func;
}

/* The index a reference to old function @func names (export, start,
 * element, ref.func): its wrapper when it has one. */
static uint32_t ref_index(const struct fuel *f, uint32_t func)
{
	if (func >= f->old_nimp && f->wrapper != NULL && f->wrapper[func - f->old_nimp] != NONE)
		return f->wrapper[func - f->old_nimp];
	return call_index(f, func);
}

static struct kiln_wasm_insn insn(uint16_t op, uint64_t imm)
{
	struct kiln_wasm_insn in;
	memset(&in, 0, sizeof in);
	in.op = op;
	if (op == OP_I64_CONST)
		in.imm.i64 = (int64_t)imm;
	else if (op == OP_BLOCK || op == OP_IF || op == OP_LOOP)
		in.imm.block = (int64_t)imm;
	else
		in.imm.index = (uint32_t)imm;
	return in;
}

/* A charge of @cost against local @fl; see the file comment. */
static uint32_t charge(const struct fuel *f, struct kiln_wasm_insn *out, uint64_t cost,
		       uint32_t fl)
{
	out[0] = insn(OP_LOCAL_GET, fl);
	out[1] = insn(OP_I64_CONST, cost);
	out[2] = insn(OP_I64_SUB, 0);
	out[3] = insn(OP_LOCAL_TEE, fl);
	out[4] = insn(OP_I64_CONST, 0);
	out[5] = insn(OP_I64_LT_S, 0);
	out[6] = insn(OP_IF, (uint64_t)KILN_WASM_BLOCK_EMPTY);
	out[7] = insn(OP_LOCAL_GET, fl);
	out[8] = insn(OP_CALL, f->func[FT]);
	out[9] = insn(KILN_WASM_OP_END, 0);
	return CHARGE_INSNS;
}

/* A loop of kiln_fuel_loops' shape has closed with @inner as the cost of
 * one trip: a STATIC one adds its trips to the enclosing charge @outer,
 * unless that gets too large; either kind falls back to a charge per
 * iteration when its figures would not fit. */
static void settle(struct kiln_fuel_loop *l, uint64_t *outer, uint64_t inner)
{
	if (inner == 0)
		inner = 1;
	if (l->kind == KILN_FUEL_LOOP_STATIC) {
		if (l->trips > FOLD_MAX / inner || *outer > FOLD_MAX - l->trips * inner)
			l->kind = KILN_FUEL_LOOP_CHARGED;
		else
			*outer += l->trips * inner;
	} else if (l->kind == KILN_FUEL_LOOP_DYNAMIC && inner > TRIP_COST_MAX) {
		l->kind = KILN_FUEL_LOOP_CHARGED;
	}
}

/* The loop's bound, B in fuel_loops.c: a local or a constant. */
static uint32_t bound(const struct kiln_fuel_loop *l, struct kiln_wasm_insn *out)
{
	out[0] = l->bound_is_local ? insn(OP_LOCAL_GET, l->bound) : insn(KILN_OP_I32_CONST, 0);
	if (!l->bound_is_local)
		out[0].imm.i64 = (int32_t)l->bound;
	return 1;
}

/* v1, the value the loop's first test sees: $i, or $i + step (wrapping)
 * for the tail shape. */
static uint32_t first_value(const struct kiln_fuel_loop *l, struct kiln_wasm_insn *out)
{
	out[0] = insn(OP_LOCAL_GET, l->ivar);
	if (l->head)
		return 1;
	out[1] = insn(KILN_OP_I32_CONST, 0);
	out[1].imm.i64 = l->step;
	out[2] = insn(KILN_OP_I32_ADD, 0);
	return 3;
}

/*
 * Before DYNAMIC loop @l: charge its trips (kiln_fuel_loop_trips, in wasm)
 * times @cost, like charge().  With v1 the first value tested, B the bound:
 *   ne, step +1:  (u32)(B - v1) + 1          ne, step -1: (u32)(v1 - B) + 1
 *   lt, step +1:  1 + (v1 < B ? B - v1 : 0)  gt, step -1: 1 + (v1 > B ? v1 - B : 0)
 * (lt and gt unsigned or signed as the loop's own test).  Locals of the
 * original body are renumbered here, as the copy does (fl is $f).
 */
static uint32_t charge_trips(const struct fuel *f, struct kiln_wasm_insn *out,
			     const struct kiln_fuel_loop *l0, uint64_t cost, uint32_t fl)
{
	struct kiln_fuel_loop l = *l0;
	bool up = l.step == 1;
	uint32_t n = 0;

	if (l.ivar >= fl)
		l.ivar++;
	if (l.bound_is_local && l.bound >= fl)
		l.bound++;
	out[n++] = insn(OP_LOCAL_GET, fl);
	/* the difference: B - v1 going up, v1 - B going down */
	if (up) {
		n += bound(&l, &out[n]);
		n += first_value(&l, &out[n]);
	} else {
		n += first_value(&l, &out[n]);
		n += bound(&l, &out[n]);
	}
	out[n++] = insn(KILN_OP_I32_SUB, 0);
	if (l.cmp != KILN_OP_I32_NE) {
		/* ... or 0 when the first test already fails */
		out[n] = insn(KILN_OP_I32_CONST, 0);
		out[n++].imm.i64 = 0;
		n += first_value(&l, &out[n]);
		n += bound(&l, &out[n]);
		out[n++] = insn(l.cmp, 0);
		out[n++] = insn(OP_SELECT, 0);
	}
	out[n++] = insn(OP_I64_EXTEND_I32_U, 0);
	out[n++] = insn(OP_I64_CONST, 1);
	out[n++] = insn(OP_I64_ADD, 0);
	out[n++] = insn(OP_I64_CONST, cost);
	out[n++] = insn(OP_I64_MUL, 0);
	/* the rest of charge() after its constant */
	out[n++] = insn(OP_I64_SUB, 0);
	out[n++] = insn(OP_LOCAL_TEE, fl);
	out[n++] = insn(OP_I64_CONST, 0);
	out[n++] = insn(OP_I64_LT_S, 0);
	out[n++] = insn(OP_IF, (uint64_t)KILN_WASM_BLOCK_EMPTY);
	out[n++] = insn(OP_LOCAL_GET, fl);
	out[n++] = insn(OP_CALL, f->func[FT]);
	out[n++] = insn(KILN_WASM_OP_END, 0);
	return n;
}

/* `$G <= 0`, then `if  call $fuel_exhausted  end`: let the runtime bring
 * in fuel held elsewhere (see the file comment). */
static uint32_t collect(const struct fuel *f, struct kiln_wasm_insn *out)
{
	out[0] = insn(OP_GLOBAL_GET, f->fuel_global);
	out[1] = insn(OP_I64_CONST, 1);
	out[2] = insn(OP_I64_LT_S, 0);
	out[3] = insn(OP_IF, (uint64_t)KILN_WASM_BLOCK_EMPTY);
	out[4] = insn(OP_CALL, f->func[FE]);
	out[5] = insn(KILN_WASM_OP_END, 0);
	return 6;
}

/* One instruction of the original body, copied: the counter threaded
 * through calls and returns, locals renumbered, references to wrappers.
 * Loops are the caller's business. */
static uint32_t copy_insn(const struct fuel *f, struct kiln_wasm_insn in,
			  struct kiln_wasm_insn *out, uint32_t fl)
{
	uint32_t n = 0;
	switch (in.op) {
	case OP_RETURN:
		out[n++] = insn(OP_LOCAL_GET, fl);
		out[n++] = in;
		break;
	case OP_CALL:
	case OP_CALL_INDIRECT:
		if (in.op == OP_CALL && in.imm.index >= f->old_nimp) {
			in.imm.index = call_index(f, in.imm.index);
			out[n++] = insn(OP_LOCAL_GET, fl);
			out[n++] = in;
			out[n++] = insn(OP_LOCAL_SET, fl);
		} else {
			/* an import, or through a table */
			out[n++] = insn(OP_LOCAL_GET, fl);
			out[n++] = insn(OP_GLOBAL_SET, f->fuel_global);
			out[n++] = in;
			n += collect(f, &out[n]);
			out[n++] = insn(OP_GLOBAL_GET, f->fuel_global);
			out[n++] = insn(OP_LOCAL_SET, fl);
		}
		break;
	case OP_REF_FUNC:
		in.imm.index = ref_index(f, in.imm.index);
		out[n++] = in;
		break;
	case OP_LOCAL_GET:
	case OP_LOCAL_SET:
	case OP_LOCAL_TEE:
		if (in.imm.index >= fl)
			in.imm.index++;
		out[n++] = in;
		break;
	default:
		out[n++] = in;
	}
	return n;
}

/* The body of an unrolled loop, insns[from..to), once: branches to labels
 * outside the loop reach @extra more blocks (see unroll()). */
static uint32_t copy_unrolled(const struct fuel *f, const struct kiln_wasm_insn *insns,
			      uint32_t from, uint32_t to, uint32_t extra,
			      struct kiln_wasm_insn *out, uint32_t fl)
{
	uint32_t n = 0, d = 0;
	for (uint32_t j = from; j < to; j++) {
		struct kiln_wasm_insn in = insns[j];
		if (in.op == OP_BLOCK || in.op == OP_IF)
			d++;
		else if (in.op == KILN_WASM_OP_END)
			d--;
		else if ((in.op == OP_BR || in.op == OP_BR_IF) && in.imm.index > d)
			in.imm.index += extra;
		n += copy_insn(f, in, &out[n], fl);
	}
	return n;
}

/*
 * The loop at insns[start] (its end at @end) unrolled into @copies copies
 * of its body, so that one charge of @copies times its cost pays for that
 * many iterations.  With two copies:
 *
 *   block  loop  charge 2C  block  BODY  br 2  end  BODY  end  end
 *
 * In every copy but the last, a branch back to the loop lands on the end
 * of the block around that copy, that is on the next copy, and falling off
 * its end leaves through a `br` to the outer block; the last copy is the
 * loop's body as it was.  A branch to a label inside the body is
 * unchanged; one to a label outside passes the blocks added around it.
 * The rule "paid for at the head of its innermost loop" holds for the
 * unrolled code, so a loop that runs t iterations now pays for fewer than
 * t + copies.
 */
static uint32_t unroll(const struct fuel *f, const struct kiln_wasm_insn *insns, uint32_t start,
		       uint32_t end, uint32_t copies, uint64_t cost, struct kiln_wasm_insn *out,
		       uint32_t fl)
{
	uint32_t n = 0;
	out[n++] = insn(OP_BLOCK, (uint64_t)KILN_WASM_BLOCK_EMPTY);
	out[n++] = insns[start];
	n += charge(f, &out[n], copies * cost, fl);
	for (uint32_t c = 1; c < copies; c++)
		out[n++] = insn(OP_BLOCK, (uint64_t)KILN_WASM_BLOCK_EMPTY);
	for (uint32_t c = 1; c < copies; c++) {
		/* inside copies - c added blocks, the loop and the outer block */
		n += copy_unrolled(f, insns, start + 1, end, copies - c + 1, &out[n], fl);
		out[n++] = insn(OP_BR, copies - c + 1);
		out[n++] = insn(KILN_WASM_OP_END, 0);
	}
	n += copy_unrolled(f, insns, start + 1, end, 1, &out[n], fl);
	out[n++] = insn(KILN_WASM_OP_END, 0);
	out[n++] = insn(KILN_WASM_OP_END, 0);
	return n;
}

enum { NO_UNROLL = 1, BACK_SEEN = 2 };

/* A branch to label @l with @depth blocks open: if it goes back to the
 * head of a loop whose charge no call carries yet, none may from now on
 * (an iteration could then skip that call). */
static void back_edge(const uint32_t *owner, uint32_t depth, uint32_t l, uint8_t *keep,
		      const uint32_t *paid_at)
{
	uint32_t lp;
	if (l >= depth)
		return; /* the function's label, or invalid */
	lp = owner[depth - 1 - l];
	if (lp != 0 && paid_at[lp] == 0)
		keep[lp] |= BACK_SEEN;
}

/*
 * Rebuild the body of defined function @i: first pass, the cost of each
 * charge point (0 = entry, then one per loop in order) and which loops to
 * unroll; second pass, the copy with charges, the counter threaded through
 * calls and returns, and locals renumbered.
 */
static int instrument_body(struct fuel *f, uint32_t i, struct kiln_wasm_body *out)
{
	const struct kiln_wasm_module *m = f->m;
	const struct kiln_wasm_body *body = &m->bodies[i];
	const struct kiln_wasm_expr *e = &body->code;
	const uint32_t type = m->funcs[i], fl = m->types[type].nparams;
	uint64_t *cost = NULL;
	struct kiln_fuel_loop *loops = NULL;
	uint32_t *stack = NULL; /* per open block: its charge point */
	uint32_t *ends = NULL;  /* per charge point: where its loop ends */
	uint8_t *keep = NULL;   /* per charge point: NO_UNROLL, BACK_SEEN */
	uint32_t *owner = NULL; /* per open block: its charge point if a loop, else 0 */
	uint32_t *paid_at = NULL; /* per charge point: the call carrying it, or 0 */
	uint32_t *pays = NULL;  /* per instruction: the loop whose charge it carries */
	uint32_t nloops = 0, depth = 0, cur = 0, k, n = 0;
	uint64_t total;
	struct kiln_wasm_insn *code = NULL;
	int rc = KILN_OK;

	for (uint32_t j = 0; j < e->ninsns; j++)
		if (e->insns[j].op == OP_LOOP)
			nloops++;
	if (e->ninsns == 0 || e->insns[e->ninsns - 1].op != KILN_WASM_OP_END) {
		rc = kiln_err_set(f->err, KILN_EINVALID, "%s: function %u: empty body", m->name,
				  f->old_nimp + i);
		goto out;
	}
	cost = calloc((size_t)nloops + 1, sizeof *cost);
	loops = calloc((size_t)nloops + 1, sizeof *loops);
	stack = malloc(sizeof *stack * ((size_t)e->ninsns + 1));
	ends = calloc((size_t)nloops + 1, sizeof *ends);
	keep = calloc((size_t)nloops + 1, sizeof *keep);
	owner = malloc(sizeof *owner * ((size_t)e->ninsns + 1));
	paid_at = calloc((size_t)nloops + 1, sizeof *paid_at);
	pays = calloc((size_t)e->ninsns + 1, sizeof *pays);
	if (cost == NULL || loops == NULL || stack == NULL || ends == NULL || keep == NULL ||
	    owner == NULL || paid_at == NULL || pays == NULL) {
		rc = kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", m->name);
		goto out;
	}
	if ((rc = kiln_fuel_loops(body, fl, loops, nloops)) != KILN_OK) {
		rc = kiln_err_set(f->err, rc, "%s: out of memory", m->name);
		goto out;
	}

	/* costs: blocks and ifs inherit the enclosing charge point; a counted
	 * loop's cost is known once it closes.  A loop is unrolled when it
	 * holds no loop, call or br_table, has no block type and is small. */
	k = 0;
	for (uint32_t j = 0; j < e->ninsns; j++) {
		uint16_t op = e->insns[j].op;
		if (op == KILN_WASM_OP_END) {
			uint32_t inner = cur;
			if (depth > 0)
				cur = stack[--depth];
			if (inner != cur) {
				ends[inner] = j;
				settle(&loops[inner - 1], &cost[cur], cost[inner]);
			}
			continue;
		}
		if (op == OP_ELSE)
			continue;
		cost[cur]++;
		if (op == OP_BLOCK || op == OP_IF) {
			owner[depth] = 0;
			stack[depth++] = cur;
		} else if (op == OP_LOOP) {
			keep[cur] |= NO_UNROLL;
			owner[depth] = k + 1;
			stack[depth++] = cur;
			cur = ++k;
			if (e->insns[j].imm.block != KILN_WASM_BLOCK_EMPTY)
				keep[cur] |= NO_UNROLL;
		} else if (op == OP_CALL || op == OP_CALL_INDIRECT || op == OP_BR_TABLE) {
			keep[cur] |= NO_UNROLL;
		}
		/* a loop's first call at its top level, when nothing before it
		 * went back to the loop's head, can carry the loop's charge */
		if (op == OP_CALL && e->insns[j].imm.index >= f->old_nimp && cur > 0 && depth > 0 &&
		    owner[depth - 1] == cur && !(keep[cur] & BACK_SEEN) && paid_at[cur] == 0)
			paid_at[cur] = j;
		if (op == OP_BR || op == OP_BR_IF)
			back_edge(owner, depth, e->insns[j].imm.index, keep, paid_at);
		if (op == OP_BR_TABLE) {
			struct kiln_wasm_insn in = e->insns[j];
			if (in.imm.list.first > body->nside ||
			    body->nside - in.imm.list.first < (uint64_t)in.imm.list.count + 1)
				continue; /* invalid: wasm2c refuses it */
			for (uint32_t c = 0; c <= in.imm.list.count; c++)
				back_edge(owner, depth, body->side[in.imm.list.first + c], keep, paid_at);
		}
	}
	/* an empty body or loop still pays 1 (an entry, an iteration) */
	for (k = 0; k <= nloops; k++)
		if (cost[k] == 0)
			cost[k] = 1;
	for (k = 1; k <= nloops; k++) {
		if (loops[k - 1].kind != KILN_FUEL_LOOP_CHARGED || cost[k] > UNROLL_COST_MAX ||
		    ends[k] == 0)
			keep[k] |= NO_UNROLL;
		if (loops[k - 1].kind == KILN_FUEL_LOOP_CHARGED && paid_at[k] != 0)
			pays[paid_at[k]] = k;
	}
	/* a call of an import becomes 11 instructions, the most any grows;
	 * an unrolled body (no calls: 2 at most, a return) is copied
	 * UNROLL_MAX times at most, with 3 instructions a copy around it */
	total = (11 + 2 * (uint64_t)UNROLL_MAX) * e->ninsns +
		(uint64_t)(CHARGE_INSNS + TRIPS_INSNS + 3 * UNROLL_MAX + 4) * (nloops + 1) + 3;
	if (total > UINT32_MAX) {
		rc = kiln_err_set(f->err, KILN_ELIMIT, "%s: function %u: too large to instrument",
				  m->name, f->old_nimp + i);
		goto out;
	}
	if ((code = malloc(sizeof *code * (size_t)total)) == NULL) {
		rc = kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", m->name);
		goto out;
	}

	/* entry charge, the block standing for the function's label, the
	 * body without its final end, then end, local.get $f, end */
	n += charge(f, code, cost[0], fl);
	code[n++] = insn(OP_BLOCK, (uint64_t)f->block_type[type]);
	k = 0;
	for (uint32_t j = 0; j + 1 < e->ninsns; j++) {
		struct kiln_wasm_insn in = e->insns[j];
		if (in.op == OP_CALL && pays[j] != 0) {
			/* this call carries its loop's charge: the callee's
			 * entry charge checks it */
			in.imm.index = call_index(f, in.imm.index);
			code[n++] = insn(OP_LOCAL_GET, fl);
			code[n++] = insn(OP_I64_CONST, cost[pays[j]]);
			code[n++] = insn(OP_I64_SUB, 0);
			code[n++] = in;
			code[n++] = insn(OP_LOCAL_SET, fl);
			continue;
		}
		if (in.op != OP_LOOP) {
			n += copy_insn(f, in, &code[n], fl);
			continue;
		}
		k++;
		if (!(keep[k] & NO_UNROLL)) {
			n += unroll(f, e->insns, j, ends[k], copies(cost[k]), cost[k], &code[n], fl);
			j = ends[k];
			continue;
		}
		if (loops[k - 1].kind == KILN_FUEL_LOOP_DYNAMIC)
			n += charge_trips(f, &code[n], &loops[k - 1], cost[k], fl);
		code[n++] = in;
		if (loops[k - 1].kind == KILN_FUEL_LOOP_CHARGED && paid_at[k] == 0)
			n += charge(f, &code[n], cost[k], fl);
	}
	code[n++] = insn(KILN_WASM_OP_END, 0);
	code[n++] = insn(OP_LOCAL_GET, fl);
	code[n++] = e->insns[e->ninsns - 1];

	*out = *body;
	out->code.insns = code;
	out->code.ninsns = n;
	code = NULL;
out:
	free(cost);
	free(loops);
	free(stack);
	free(ends);
	free(keep);
	free(owner);
	free(paid_at);
	free(pays);
	free(code);
	return rc;
}

/* The body of the wrapper of defined function @i (type @type): bring fuel
 * in if there is none, pass $G in, store what comes back. */
static int wrapper_body(struct fuel *f, uint32_t i, uint32_t type, struct kiln_wasm_body *out)
{
	const uint32_t np = f->m->types[type].nparams;
	struct kiln_wasm_insn *code = malloc(sizeof *code * ((size_t)np + 10));
	uint32_t n = 0;

	memset(out, 0, sizeof *out);
	if (code == NULL)
		return kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", f->m->name);
	n += collect(f, code);
	for (uint32_t p = 0; p < np; p++)
		code[n++] = insn(OP_LOCAL_GET, p);
	code[n++] = insn(OP_GLOBAL_GET, f->fuel_global);
	code[n++] = insn(OP_CALL, call_index(f, f->old_nimp + i));
	code[n++] = insn(OP_GLOBAL_SET, f->fuel_global);
	code[n++] = insn(KILN_WASM_OP_END, 0);
	out->code.insns = code;
	out->code.ninsns = n;
	return KILN_OK;
}

/* ---- the "name" custom section -------------------------------------- */

struct nrd {
	const uint8_t *p;
	size_t pos, end;
	bool bad;
};

static uint32_t n_u32(struct nrd *r)
{
	uint64_t v = 0;
	if (r->bad || kiln_leb_read(r->p, r->end, &r->pos, 32, false, &v, NULL) != KILN_LEB_OK)
		r->bad = true;
	return (uint32_t)v;
}

/* Copy one name (length + bytes) from @r to @w. */
static void n_name(struct nrd *r, struct kiln_wbuf *w)
{
	uint32_t len = n_u32(r);
	if (r->bad || len > r->end - r->pos) {
		r->bad = true;
		return;
	}
	kiln_wbuf_u32(w, len);
	kiln_wbuf_bytes(w, r->p + r->pos, len);
	r->pos += len;
}

/* namemap: vec(index name); function indices are renumbered like calls,
 * other indices at or above @shift_from move up by one. */
static void n_namemap(const struct fuel *f, struct nrd *r, struct kiln_wbuf *w, bool funcs,
		      uint32_t shift_from)
{
	uint32_t n = n_u32(r);
	kiln_wbuf_u32(w, n);
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		uint32_t idx = n_u32(r);
		kiln_wbuf_u32(w, funcs ? call_index(f, idx) : idx >= shift_from ? idx + 1 : idx);
		n_name(r, w);
	}
}

/* The first local index of old function @func that moves up (its
 * declared locals, after the new parameter), or NONE for an import or an
 * index out of range. */
static uint32_t first_shifted_local(const struct fuel *f, uint32_t func)
{
	const struct kiln_wasm_module *m = f->m;
	if (func < f->old_nimp || func - f->old_nimp >= m->nfuncs)
		return NONE;
	return m->types[m->funcs[func - f->old_nimp]].nparams;
}

/*
 * Rewrite a "name" section: subsection 1 (function names) is keyed by
 * function index, 2 (local names) by function and local index, 3 (label
 * names) by function index; the others are copied as they are, and so is a
 * label subsection of another layout.  A section whose function or local
 * names do not parse is left alone (wasm2c judges it as before): *@out
 * stays NULL.
 */
static int rename_section(const struct fuel *f, const struct kiln_wasm_custom *c, uint8_t **out,
			  uint32_t *outlen)
{
	struct nrd r = {c->payload.data, 0, c->payload.len, false};
	struct kiln_wbuf w = {0}, sub = {0};
	int rc = KILN_OK;

	*out = NULL;
	while (r.pos < r.end && !r.bad) {
		uint8_t id = r.p[r.pos++];
		uint32_t size = n_u32(&r);
		struct nrd s;
		if (r.bad || size > r.end - r.pos) {
			r.bad = true;
			break;
		}
		s.p = r.p;
		s.pos = r.pos;
		s.end = r.pos + size;
		s.bad = false;
		sub.len = 0;
		if (id == 1) {
			n_namemap(f, &s, &sub, true, NONE);
		} else if (id == 2 || id == 3) {
			uint32_t n = n_u32(&s);
			kiln_wbuf_u32(&sub, n);
			for (uint32_t i = 0; i < n && !s.bad; i++) {
				uint32_t func = n_u32(&s);
				kiln_wbuf_u32(&sub, call_index(f, func));
				n_namemap(f, &s, &sub, false,
					  id == 2 ? first_shifted_local(f, func) : NONE);
			}
		} else {
			kiln_wbuf_bytes(&sub, s.p + s.pos, size);
			s.pos = s.end;
		}
		if (id == 3 && (s.bad || s.pos != s.end)) {
			/* label names were never standardised; a producer that
			 * laid them out differently keeps its bytes */
			sub.len = 0;
			kiln_wbuf_bytes(&sub, r.p + r.pos, size);
			s.bad = false;
			s.pos = s.end;
		}
		if (s.bad || s.pos != s.end) {
			r.bad = true;
			break;
		}
		kiln_wbuf_byte(&w, id);
		kiln_wbuf_u32(&w, (uint32_t)sub.len);
		kiln_wbuf_bytes(&w, sub.p, sub.len);
		if (sub.oom)
			w.oom = true;
		r.pos = s.end;
	}
	if (w.oom) {
		rc = kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", f->m->name);
	} else if (!r.bad && w.len <= UINT32_MAX) {
		/* an empty result still needs a non-NULL block to own */
		*out = w.p != NULL ? w.p : malloc(1);
		*outlen = (uint32_t)w.len;
		if (*out == NULL)
			rc = kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", f->m->name);
		w.p = NULL;
	}
	kiln_wbuf_release(&w);
	kiln_wbuf_release(&sub);
	return rc;
}

/* ---- the pass --------------------------------------------------------- */

/* Is type @t that of import @which: [] -> [] or [i64] -> []? */
static bool import_type_ok(const struct kiln_wasm_functype *t, int which)
{
	if (which == FE)
		return t->nparams == 0 && t->nresults == 0;
	return t->nparams == 1 && t->nresults == 0 && t->types[0] == KILN_WASM_I64;
}

static const char *import_type_text(int which)
{
	return which == FE ? "[] -> []" : "[i64] -> []";
}

static int check_and_plan(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;
	uint32_t func = 0, next;

	for (uint32_t i = 0; i < m->nexports; i++)
		if (bytes_is(m->exports[i].name, KILN_FUEL_EXPORT))
			return kiln_err_set(f->err, KILN_EINVALID,
					    "%s: the module already exports \"%s\"; was it "
					    "instrumented twice?",
					    m->name, KILN_FUEL_EXPORT);
	f->old_nimp = m->nimported_funcs;
	for (int w = 0; w < NIMPORTS; w++)
		f->add[w] = true;
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct kiln_wasm_import *im = &m->imports[i];
		for (int w = 0; w < NIMPORTS; w++) {
			const struct kiln_wasm_functype *t;
			if (!bytes_is(im->module, KILN_HOST_MODULE) ||
			    !bytes_is(im->name, import_names[w]))
				continue;
			t = im->kind == KILN_WASM_KIND_FUNC && im->desc.type_index < m->ntypes
				    ? &m->types[im->desc.type_index]
				    : NULL;
			if (t == NULL || !import_type_ok(t, w))
				return kiln_err_set(f->err, KILN_EINVALID,
						    "%s: import \"%s\".\"%s\" (import %u) must be a "
						    "function of type %s",
						    m->name, KILN_HOST_MODULE, import_names[w], i,
						    import_type_text(w));
			if (f->add[w]) {
				f->add[w] = false;
				f->func[w] = func;
			}
		}
		if (im->kind == KILN_WASM_KIND_FUNC)
			func++;
	}
	next = m->nimported_funcs;
	for (int w = 0; w < NIMPORTS; w++)
		if (f->add[w]) {
			f->func[w] = next++;
			f->nadd++;
		}
	if ((uint64_t)m->nimported_funcs + m->nfuncs + f->nadd > KILN_WASM_MAX_FUNCS ||
	    m->nimports + f->nadd > KILN_WASM_MAX_IMPORTS)
		return kiln_err_set(f->err, KILN_ELIMIT, "%s: no room for the fuel imports",
				    m->name);
	if ((uint64_t)m->nimported_globals + m->nglobals + 1 > KILN_WASM_MAX_GLOBALS ||
	    m->nexports + 1 > KILN_WASM_MAX_EXPORTS)
		return kiln_err_set(f->err, KILN_ELIMIT, "%s: no room for the fuel global",
				    m->name);
	f->fuel_global = m->nimported_globals + m->nglobals;
	/* the imports' types, reused when the module has them */
	for (int w = 0; w < NIMPORTS; w++) {
		f->add_type[w] = f->add[w];
		for (uint32_t i = 0; f->add[w] && i < m->ntypes; i++) {
			if (import_type_ok(&m->types[i], w)) {
				f->type[w] = i;
				f->add_type[w] = false;
				break;
			}
		}
	}
	return KILN_OK;
}

/* Append a type of @np params @params and @nr results @results (each list
 * followed by an i64 when @fuel) to f->types, which has room. */
static int add_type(struct fuel *f, uint32_t np, const uint8_t *params, uint32_t nr,
		    const uint8_t *results, bool fuel, uint32_t *index)
{
	struct kiln_wasm_functype *t = &f->types[f->ntypes];
	uint32_t extra = fuel ? 1 : 0;
	t->nparams = np + extra;
	t->nresults = nr + extra;
	t->types = malloc((size_t)t->nparams + t->nresults + 1);
	if (t->types == NULL)
		return kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", f->m->name);
	if (np)
		memcpy(t->types, params, np);
	if (fuel)
		t->types[np] = KILN_WASM_I64;
	if (nr)
		memcpy(t->types + t->nparams, results, nr);
	if (fuel)
		t->types[t->nparams + nr] = KILN_WASM_I64;
	*index = f->ntypes++;
	return KILN_OK;
}

/* Mark old function @func as needing a wrapper. */
static void want_wrapper(struct fuel *f, uint32_t func)
{
	if (func >= f->old_nimp && func - f->old_nimp < f->m->nfuncs)
		f->wrapper[func - f->old_nimp] = WANTED;
}

static void want_wrappers_in(struct fuel *f, const struct kiln_wasm_expr *e)
{
	for (uint32_t i = 0; i < e->ninsns; i++)
		if (e->insns[i].op == OP_REF_FUNC)
			want_wrapper(f, e->insns[i].imm.index);
}

/* Which defined functions are named outside code: they get wrappers,
 * numbered after the defined functions. */
static int plan_wrappers(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;
	uint32_t next = f->old_nimp + f->nadd + m->nfuncs;

	f->wrapper = malloc(sizeof *f->wrapper * (m->nfuncs ? m->nfuncs : 1));
	if (f->wrapper == NULL)
		return kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", m->name);
	for (uint32_t i = 0; i < m->nfuncs; i++)
		f->wrapper[i] = NONE;
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == KILN_WASM_KIND_FUNC)
			want_wrapper(f, m->exports[i].index);
	if (m->has_start)
		want_wrapper(f, m->start);
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct kiln_wasm_elem *el = &m->elems[i];
		for (uint32_t k = 0; k < el->count; k++) {
			if (el->uses_exprs)
				want_wrappers_in(f, &el->exprs[k]);
			else
				want_wrapper(f, el->funcs[k]);
		}
	}
	for (uint32_t i = 0; i < m->nglobals; i++)
		want_wrappers_in(f, &m->globals[i].init);
	for (uint32_t i = 0; i < m->nbodies; i++)
		want_wrappers_in(f, &m->bodies[i].code);
	for (uint32_t i = 0; i < m->nfuncs; i++)
		if (f->wrapper[i] == WANTED) {
			f->wrapper[i] = next++;
			f->nwrappers++;
		}
	if ((uint64_t)next > KILN_WASM_MAX_FUNCS)
		return kiln_err_set(f->err, KILN_ELIMIT,
				    "%s: no room for the fuel pass's %u wrapper functions", m->name,
				    f->nwrappers);
	return KILN_OK;
}

/* The types of the instrumented functions and of the blocks that stand for
 * their labels, one each per type that a defined function has. */
static int plan_types(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;
	uint32_t used = 0;
	uint64_t room;
	int rc;

	f->inner_type = malloc(sizeof *f->inner_type * (m->ntypes ? m->ntypes : 1));
	f->block_type = malloc(sizeof *f->block_type * (m->ntypes ? m->ntypes : 1));
	if (f->inner_type == NULL || f->block_type == NULL)
		return kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", m->name);
	for (uint32_t t = 0; t < m->ntypes; t++)
		f->inner_type[t] = NONE;
	for (uint32_t i = 0; i < m->nfuncs; i++) {
		const struct kiln_wasm_functype *t = &m->types[m->funcs[i]];
		if (f->inner_type[m->funcs[i]] != NONE)
			continue;
		if (t->nparams + 1 > KILN_WASM_MAX_PARAMS || t->nresults + 1 > KILN_WASM_MAX_RESULTS)
			return kiln_err_set(f->err, KILN_ELIMIT,
					    "%s: function %u: no room for the fuel parameter and "
					    "result (%u params, %u results)",
					    m->name, f->old_nimp + i, t->nparams, t->nresults);
		f->inner_type[m->funcs[i]] = 0;
		used += t->nresults > 1 ? 2 : 1;
	}
	room = (uint64_t)m->ntypes + f->add_type[FE] + f->add_type[FT] + used;
	if (room > KILN_WASM_MAX_TYPES)
		return kiln_err_set(f->err, KILN_ELIMIT, "%s: no room for the fuel pass's types",
				    m->name);
	f->types = malloc(sizeof *f->types * (size_t)(room ? room : 1));
	if (f->types == NULL)
		return kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", m->name);
	if (m->ntypes)
		memcpy(f->types, m->types, sizeof *f->types * m->ntypes);
	f->ntypes = m->ntypes;
	if (f->add_type[FE] && (rc = add_type(f, 0, NULL, 0, NULL, false, &f->type[FE])) != KILN_OK)
		return rc;
	if (f->add_type[FT] &&
	    (rc = add_type(f, 1, (const uint8_t[]){KILN_WASM_I64}, 0, NULL, false, &f->type[FT])) !=
		    KILN_OK)
		return rc;
	for (uint32_t ti = 0; ti < m->ntypes; ti++) {
		const struct kiln_wasm_functype *t = &m->types[ti];
		const uint8_t *res = t->types + t->nparams;
		if (f->inner_type[ti] == NONE)
			continue;
		if ((rc = add_type(f, t->nparams, t->types, t->nresults, res, true,
				   &f->inner_type[ti])) != KILN_OK)
			return rc;
		if (t->nresults == 0) {
			f->block_type[ti] = KILN_WASM_BLOCK_EMPTY;
		} else if (t->nresults == 1) {
			f->block_type[ti] = (int8_t)(res[0] | 0x80);
		} else {
			uint32_t bt;
			if ((rc = add_type(f, 0, NULL, t->nresults, res, false, &bt)) != KILN_OK)
				return rc;
			f->block_type[ti] = bt;
		}
	}
	return KILN_OK;
}

static int build(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;
	struct kiln_wasm_global *g;
	struct kiln_wasm_export *ex;
	uint32_t nall = m->nfuncs + f->nwrappers;
	int rc;

	if ((rc = plan_types(f)) != KILN_OK)
		return rc;
	if (f->nadd) {
		uint32_t k = m->nimports;
		f->imports = malloc(sizeof *f->imports * ((size_t)m->nimports + f->nadd));
		if (f->imports == NULL)
			goto oom;
		if (m->nimports)
			memcpy(f->imports, m->imports, sizeof *f->imports * m->nimports);
		for (int w = 0; w < NIMPORTS; w++) {
			struct kiln_wasm_import *im = &f->imports[k];
			if (!f->add[w])
				continue;
			memset(im, 0, sizeof *im);
			/* static strings: byte strings are never freed one by one */
			im->module.data = (const uint8_t *)KILN_HOST_MODULE;
			im->module.len = (uint32_t)strlen(KILN_HOST_MODULE);
			im->name.data = (const uint8_t *)import_names[w];
			im->name.len = (uint32_t)strlen(import_names[w]);
			im->kind = KILN_WASM_KIND_FUNC;
			im->desc.type_index = f->type[w];
			k++;
		}
	}
	f->globals = malloc(sizeof *f->globals * ((size_t)m->nglobals + 1));
	if (f->globals == NULL)
		goto oom;
	if (m->nglobals)
		memcpy(f->globals, m->globals, sizeof *f->globals * m->nglobals);
	g = &f->globals[m->nglobals];
	memset(g, 0, sizeof *g);
	g->type.valtype = KILN_WASM_I64;
	g->type.mut = true;
	g->init.insns = calloc(2, sizeof *g->init.insns);
	if (g->init.insns == NULL)
		goto oom;
	g->init.ninsns = 2;
	g->init.insns[0].op = OP_I64_CONST;
	g->init.insns[0].imm.i64 = 0;
	g->init.insns[1].op = KILN_WASM_OP_END;

	f->exports = malloc(sizeof *f->exports * ((size_t)m->nexports + 1));
	if (f->exports == NULL)
		goto oom;
	if (m->nexports)
		memcpy(f->exports, m->exports, sizeof *f->exports * m->nexports);
	ex = &f->exports[m->nexports];
	ex->name.data = (const uint8_t *)KILN_FUEL_EXPORT;
	ex->name.len = (uint32_t)strlen(KILN_FUEL_EXPORT);
	ex->kind = KILN_WASM_KIND_GLOBAL;
	ex->index = f->fuel_global;

	/* defined functions take the new types; wrappers the old ones */
	f->funcs = malloc(sizeof *f->funcs * (nall ? nall : 1));
	f->bodies = calloc(nall ? nall : 1, sizeof *f->bodies);
	if (f->funcs == NULL || f->bodies == NULL)
		goto oom;
	for (uint32_t i = 0; i < m->nfuncs; i++) {
		f->funcs[i] = f->inner_type[m->funcs[i]];
		if ((rc = instrument_body(f, i, &f->bodies[i])) != KILN_OK)
			return rc;
		if (f->wrapper[i] != NONE) {
			uint32_t w = f->wrapper[i] - f->old_nimp - f->nadd;
			f->funcs[w] = m->funcs[i];
			if ((rc = wrapper_body(f, i, m->funcs[i], &f->bodies[w])) != KILN_OK)
				return rc;
		}
	}

	f->names = calloc(m->ncustoms ? m->ncustoms : 1, sizeof *f->names);
	f->nnames = calloc(m->ncustoms ? m->ncustoms : 1, sizeof *f->nnames);
	if (f->names == NULL || f->nnames == NULL)
		goto oom;
	for (uint32_t i = 0; i < m->ncustoms; i++)
		if (bytes_is(m->customs[i].name, "name") &&
		    (rc = rename_section(f, &m->customs[i], &f->names[i], &f->nnames[i])) !=
			    KILN_OK)
			return rc;
	/* the owned list must be able to take every new name block */
	for (uint32_t i = 0; i < m->ncustoms; i++) {
		void **p;
		if (f->names[i] == NULL)
			continue;
		p = realloc(m->owned, sizeof *m->owned * (m->nowned + m->ncustoms));
		if (p == NULL)
			goto oom;
		m->owned = p;
		break;
	}
	return KILN_OK;
oom:
	return kiln_err_set(f->err, KILN_ENOMEM, "%s: out of memory", m->name);
}

/* Free what build() made and commit() did not take. */
static void release_plan(struct fuel *f, uint32_t ntypes, uint32_t nfuncs, uint32_t ncustoms)
{
	if (f->types != NULL)
		for (uint32_t i = ntypes; i < f->ntypes; i++)
			free(f->types[i].types);
	free(f->types);
	free(f->inner_type);
	free(f->block_type);
	free(f->wrapper);
	free(f->imports);
	if (f->globals != NULL)
		free(f->globals[f->m->nglobals].init.insns);
	free(f->globals);
	free(f->exports);
	free(f->funcs);
	if (f->bodies != NULL)
		for (uint32_t i = 0; i < nfuncs + f->nwrappers; i++)
			free(f->bodies[i].code.insns);
	free(f->bodies);
	for (uint32_t i = 0; f->names != NULL && i < ncustoms; i++)
		free(f->names[i]);
	free(f->names);
	free(f->nnames);
}

/* Constant expressions name functions only through ref.func. */
static void renumber_const(const struct fuel *f, struct kiln_wasm_expr *e)
{
	for (uint32_t i = 0; i < e->ninsns; i++)
		if (e->insns[i].op == OP_REF_FUNC)
			e->insns[i].imm.index = ref_index(f, e->insns[i].imm.index);
}

/* Point everything at the new arrays and renumber; cannot fail. */
static void commit(struct fuel *f)
{
	struct kiln_wasm_module *m = f->m;

	free(m->types);
	m->types = f->types;
	m->ntypes = f->ntypes;
	m->present |= 1u << KILN_WASM_SEC_TYPE;
	f->types = NULL;
	if (f->nadd) {
		free(m->imports);
		m->imports = f->imports;
		m->nimports += f->nadd;
		m->nimported_funcs += f->nadd;
		m->present |= 1u << KILN_WASM_SEC_IMPORT;
		f->imports = NULL;
	}
	free(m->globals);
	m->globals = f->globals;
	m->nglobals++;
	m->present |= 1u << KILN_WASM_SEC_GLOBAL;
	f->globals = NULL;
	free(m->exports);
	m->exports = f->exports;
	m->nexports++;
	m->present |= 1u << KILN_WASM_SEC_EXPORT;
	f->exports = NULL;

	/* the old bodies' locals and side tables moved to the new ones */
	for (uint32_t i = 0; i < m->nbodies; i++)
		free(m->bodies[i].code.insns);
	free(m->bodies);
	m->bodies = f->bodies;
	m->nbodies += f->nwrappers;
	f->bodies = NULL;
	free(m->funcs);
	m->funcs = f->funcs;
	m->nfuncs += f->nwrappers;
	f->funcs = NULL;

	for (uint32_t i = 0; i < m->ncustoms; i++) {
		if (f->names[i] == NULL)
			continue;
		/* room was reserved in build() */
		m->owned[m->nowned++] = f->names[i];
		m->customs[i].payload.data = f->names[i];
		m->customs[i].payload.len = f->nnames[i];
		f->names[i] = NULL;
	}

	/* references: wrappers; nothing before our import moves */
	for (uint32_t i = 0; i + 1 < m->nglobals; i++)
		renumber_const(f, &m->globals[i].init);
	for (uint32_t i = 0; i + 1 < m->nexports; i++)
		if (m->exports[i].kind == KILN_WASM_KIND_FUNC)
			m->exports[i].index = ref_index(f, m->exports[i].index);
	if (m->has_start)
		m->start = ref_index(f, m->start);
	for (uint32_t i = 0; i < m->nelems; i++) {
		struct kiln_wasm_elem *el = &m->elems[i];
		if (el->mode == KILN_WASM_SEG_ACTIVE)
			renumber_const(f, &el->offset);
		for (uint32_t k = 0; k < el->count; k++) {
			if (el->uses_exprs)
				renumber_const(f, &el->exprs[k]);
			else
				el->funcs[k] = ref_index(f, el->funcs[k]);
		}
	}
	for (uint32_t i = 0; i < m->ndatas; i++)
		if (m->datas[i].mode == KILN_WASM_SEG_ACTIVE)
			renumber_const(f, &m->datas[i].offset);
}

int kiln_fuel_instrument(struct kiln_wasm_module *m, struct kiln_err *err)
{
	struct fuel f;
	uint32_t ntypes = m->ntypes, nfuncs = m->nfuncs, ncustoms = m->ncustoms;
	int rc;

	memset(&f, 0, sizeof f);
	f.m = m;
	f.err = err;
	if ((rc = check_and_plan(&f)) != KILN_OK || (rc = plan_wrappers(&f)) != KILN_OK ||
	    (rc = build(&f)) != KILN_OK)
		goto out;
	commit(&f);
out:
	release_plan(&f, ntypes, nfuncs, ncustoms);
	return rc;
}
