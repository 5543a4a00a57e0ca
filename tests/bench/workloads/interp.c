/*
 * interp — a branchy interpreter loop: a small stack machine (a switch over
 * 18 opcodes) runs two programs, a prime count by trial division and a
 * Collatz walk, whose answers it checks against the same computations done
 * directly in C.
 */
#include "workload.h"

enum op {
	PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, DIV2, LT, GT, EQ, AND1, JMP, JZ, JNZ, INC, DUP, HALT
};

#define NREGS 8
#define STACK 64

/* Run @code with registers @r; returns the number of instructions executed,
 * or 0 on a malformed program. */
static uint64_t vm(const int32_t *code, uint32_t len, int64_t *r)
{
	int64_t st[STACK];
	uint32_t sp = 0, pc = 0;
	uint64_t steps = 0;

	for (;;) {
		int32_t op, arg;
		if (pc >= len)
			return 0;
		op = code[pc++];
		steps++;
		switch (op) {
		case PUSH:
		case LOAD:
		case STORE:
		case JMP:
		case JZ:
		case JNZ:
		case INC:
			if (pc >= len)
				return 0;
			arg = code[pc++];
			break;
		default:
			arg = 0;
		}
		if ((op == LOAD || op == STORE || op == INC) && (arg < 0 || arg >= NREGS))
			return 0;
		switch (op) {
		case PUSH:
			if (sp == STACK)
				return 0;
			st[sp++] = arg;
			break;
		case LOAD:
			if (sp == STACK)
				return 0;
			st[sp++] = r[arg];
			break;
		case STORE:
			if (sp == 0)
				return 0;
			r[arg] = st[--sp];
			break;
		case INC:
			r[arg]++;
			break;
		case DUP:
			if (sp == 0 || sp == STACK)
				return 0;
			st[sp] = st[sp - 1];
			sp++;
			break;
		case ADD: case SUB: case MUL: case MOD: case LT: case GT: case EQ: {
			int64_t b, a;
			if (sp < 2)
				return 0;
			b = st[--sp];
			a = st[sp - 1];
			switch (op) {
			case ADD: a += b; break;
			case SUB: a -= b; break;
			case MUL: a *= b; break;
			case MOD:
				if (b == 0)
					return 0;
				a %= b;
				break;
			case LT: a = a < b; break;
			case GT: a = a > b; break;
			default: a = a == b; break;
			}
			st[sp - 1] = a;
			break;
		}
		case DIV2:
			if (sp == 0)
				return 0;
			st[sp - 1] /= 2;
			break;
		case AND1:
			if (sp == 0)
				return 0;
			st[sp - 1] &= 1;
			break;
		case JMP:
			pc = (uint32_t)arg;
			break;
		case JZ:
		case JNZ:
			if (sp == 0)
				return 0;
			if ((st[--sp] == 0) == (op == JZ))
				pc = (uint32_t)arg;
			break;
		case HALT:
			return steps;
		default:
			return 0;
		}
	}
}

/* r0 = candidate, r1 = primes found, r2 = their sum, r3 = divisor,
 * r4 = limit. */
static const int32_t primes[] = {
	/* 0 */ PUSH, 2, STORE, 0,
	/* 4: loop over candidates */
	LOAD, 0, LOAD, 4, LT, JZ, 51,
	/* 11 */ PUSH, 2, STORE, 3,
	/* 15: loop over divisors */
	LOAD, 3, LOAD, 3, MUL, LOAD, 0, GT, JNZ, 38,
	/* 25 */ LOAD, 0, LOAD, 3, MOD, JZ, 47,
	/* 32 */ INC, 3, JMP, 15,
	/* 36 (unused) */ HALT, HALT,
	/* 38: prime */ INC, 1, LOAD, 2, LOAD, 0, ADD, STORE, 2,
	/* 47: next */ INC, 0, JMP, 4,
	/* 51 */ HALT,
};

/* r0 = start, r1 = total steps, r5 = x, r4 = limit of starts. */
static const int32_t collatz[] = {
	/* 0 */ PUSH, 1, STORE, 0,
	/* 4: loop over starts */
	LOAD, 0, LOAD, 4, LT, JZ, 53,
	/* 11 */ LOAD, 0, STORE, 5,
	/* 15: walk */
	LOAD, 5, PUSH, 1, GT, JZ, 49,
	/* 22 */ INC, 1, LOAD, 5, AND1, JZ, 42,
	/* 29: odd */ LOAD, 5, PUSH, 3, MUL, PUSH, 1, ADD, STORE, 5, JMP, 15,
	/* 41 (unused) */ HALT,
	/* 42: even */ LOAD, 5, DIV2, STORE, 5, JMP, 15,
	/* 49: next start */ INC, 0, JMP, 4,
	/* 53 */ HALT,
};

WL_RUN(uint32_t n)
{
	uint64_t h = WL_SEED;
	for (uint32_t round = 0; round < n; round++) {
		int64_t r[NREGS] = {0};
		int64_t count = 0, sum = 0, steps = 0, limit = 20000 + round;
		uint64_t executed;

		r[4] = limit;
		executed = vm(primes, sizeof primes / sizeof primes[0], r);
		for (int64_t c = 2; c < limit; c++) {
			int64_t d = 2;
			while (d * d <= c && c % d != 0)
				d++;
			if (d * d > c)
				count++, sum += c;
		}
		if (executed == 0 || r[1] != count || r[2] != sum)
			return WL_FAIL;
		h = wl_mix(h, executed);
		h = wl_mix(h, (uint64_t)sum);

		for (int i = 0; i < NREGS; i++)
			r[i] = 0;
		r[4] = 3000 + round;
		executed = vm(collatz, sizeof collatz / sizeof collatz[0], r);
		for (int64_t s = 1; s < 3000 + round; s++)
			for (int64_t x = s; x > 1; x = x & 1 ? 3 * x + 1 : x / 2)
				steps++;
		if (executed == 0 || r[1] != steps)
			return WL_FAIL;
		h = wl_mix(h, executed);
	}
	return h;
}
