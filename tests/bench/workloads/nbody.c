/*
 * nbody — floating point: a gravitational N-body simulation (16 bodies,
 * softened pairwise forces, symplectic Euler steps) in double precision.  Uses only
 * +, -, *, / and sqrt, which IEEE 754 rounds the same way natively and in
 * wasm, so the result is bit-identical.  Checks that the total momentum
 * stays near zero and the energy drifts by less than 1% (a coarse step).
 */
#include "workload.h"

#define NB 16
#define SOFT 1e-3 /* softening: no singular close encounters */

struct body {
	double x, y, z, vx, vy, vz, m;
};

static double wl_sqrt(double v)
{
	return __builtin_sqrt(v);
}

static double wl_fabs(double v)
{
	return v < 0 ? -v : v;
}

static double energy(const struct body *b)
{
	double e = 0;
	for (int i = 0; i < NB; i++) {
		e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
		for (int j = i + 1; j < NB; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			e -= b[i].m * b[j].m / wl_sqrt(dx * dx + dy * dy + dz * dz + SOFT);
		}
	}
	return e;
}

static void step(struct body *b, double dt)
{
	for (int i = 0; i < NB; i++) {
		for (int j = i + 1; j < NB; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			double d2 = dx * dx + dy * dy + dz * dz + SOFT;
			double mag = dt / (d2 * wl_sqrt(d2));
			b[i].vx -= dx * b[j].m * mag;
			b[i].vy -= dy * b[j].m * mag;
			b[i].vz -= dz * b[j].m * mag;
			b[j].vx += dx * b[i].m * mag;
			b[j].vy += dy * b[i].m * mag;
			b[j].vz += dz * b[i].m * mag;
		}
	}
	for (int i = 0; i < NB; i++) {
		b[i].x += dt * b[i].vx;
		b[i].y += dt * b[i].vy;
		b[i].z += dt * b[i].vz;
	}
}

/* A doubles in [-1, 1) from the seed. */
static double unit(uint64_t *seed)
{
	return (double)(int64_t)(wl_rand(seed) >> 11) / 4503599627370496.0 - 1.0;
}

WL_RUN(uint32_t n)
{
	struct body b[NB];
	uint64_t seed = WL_SEED, h = WL_SEED;
	double px = 0, py = 0, pz = 0, mass = 0, e0, e1;

	for (int i = 0; i < NB; i++) {
		b[i].x = 10 * unit(&seed), b[i].y = 10 * unit(&seed), b[i].z = 10 * unit(&seed);
		b[i].vx = 0.1 * unit(&seed), b[i].vy = 0.1 * unit(&seed), b[i].vz = 0.1 * unit(&seed);
		b[i].m = 1.5 + unit(&seed);
		px += b[i].m * b[i].vx, py += b[i].m * b[i].vy, pz += b[i].m * b[i].vz;
		mass += b[i].m;
	}
	/* no net momentum */
	for (int i = 0; i < NB; i++)
		b[i].vx -= px / mass, b[i].vy -= py / mass, b[i].vz -= pz / mass;
	e0 = energy(b);
	for (uint32_t s = 0; s < n; s++) {
		step(b, 0.001);
		if (s % 1024 == 0) {
			union { double d; uint64_t u; } v = {b[s % NB].x};
			h = wl_mix(h, v.u);
		}
	}
	e1 = energy(b);
	px = py = pz = 0;
	for (int i = 0; i < NB; i++)
		px += b[i].m * b[i].vx, py += b[i].m * b[i].vy, pz += b[i].m * b[i].vz;
	if (wl_fabs(px) + wl_fabs(py) + wl_fabs(pz) > 1e-9 || wl_fabs(e1 - e0) > 1e-2 * wl_fabs(e0))
		return WL_FAIL;
	{
		union { double d; uint64_t u; } v = {e1};
		h = wl_mix(h, v.u);
	}
	return h;
}
