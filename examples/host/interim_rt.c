/*
 * interim_rt.c — interim_rt.h over WABT 1.0.32's wasm-rt-impl (link with
 * /usr/lib/x86_64-linux-gnu/libwasm-rt-impl.a), plus the host functions the
 * examples use: kiln.fuel_exhausted traps, kiln.log prints, kiln.config_get
 * finds nothing.  To be replaced by libkiln-rt.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interim_rt.h"
#include "wasm-rt-impl.h"

/* The context every import module of an instance receives. */
struct Z_kiln_instance_t {
	struct interim_instance *owner;
};

struct interim_instance {
	const struct kiln_module_desc *desc;
	void *module;
	void **import_ctx;
	struct Z_kiln_instance_t ctx;
};

/* Set by fuel_exhausted just before it traps, to name the trap. */
static bool fuel_trap;

int interim_init(void)
{
	if (!wasm_rt_is_initialized())
		wasm_rt_init();
	return 0;
}

struct interim_instance *interim_instantiate(const struct kiln_module_desc *desc)
{
	struct interim_instance *inst;
	if (desc->abi_version != KILN_ABI_VERSION) {
		fprintf(stderr, "%s: ABI version %u, expected %d\n", desc->name,
			desc->abi_version, KILN_ABI_VERSION);
		return NULL;
	}
	inst = calloc(1, sizeof *inst);
	if (inst == NULL)
		return NULL;
	inst->desc = desc;
	inst->ctx.owner = inst;
	inst->module = calloc(1, desc->instance_size);
	inst->import_ctx = calloc(desc->nimport_modules + 1, sizeof inst->import_ctx[0]);
	if (inst->module == NULL || inst->import_ctx == NULL) {
		interim_free(inst);
		return NULL;
	}
	for (uint32_t i = 0; i < desc->nimport_modules; i++)
		inst->import_ctx[i] = &inst->ctx;
	desc->init_module();
	/* instantiation runs data/element initialisation, which may trap */
	if (wasm_rt_impl_try() != 0) {
		fprintf(stderr, "%s: trap during instantiation\n", desc->name);
		free(inst->module);
		free(inst->import_ctx);
		free(inst);
		return NULL;
	}
	desc->instantiate(inst->module, inst->import_ctx);
	return inst;
}

void interim_free(struct interim_instance *inst)
{
	if (inst == NULL)
		return;
	if (inst->module != NULL && inst->import_ctx != NULL)
		inst->desc->free(inst->module);
	free(inst->module);
	free(inst->import_ctx);
	free(inst);
}

const struct kiln_export_desc *interim_export(const struct interim_instance *inst,
					      const char *name)
{
	uint32_t lo = 0, hi = inst->desc->nexports;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, inst->desc->exports[mid].name);
		if (c == 0)
			return &inst->desc->exports[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int interim_call(struct interim_instance *inst, const struct kiln_export_desc *e,
		 const union kiln_raw *args, union kiln_raw *results, const char **trap)
{
	wasm_rt_trap_t code;
	fuel_trap = false;
	code = wasm_rt_impl_try();
	if (code != WASM_RT_TRAP_NONE) {
		*trap = fuel_trap ? "fuel exhausted" : wasm_rt_strerror(code);
		return -1;
	}
	e->call(inst->module, args, results);
	return 0;
}

uint64_t *interim_fuel(struct interim_instance *inst)
{
	return inst->desc->fuel != NULL ? inst->desc->fuel(inst->module) : NULL;
}

uint8_t *interim_memory(struct interim_instance *inst, uint64_t *size)
{
	wasm_rt_memory_t *mem;
	if (inst->desc->memory == NULL) {
		*size = 0;
		return NULL;
	}
	mem = inst->desc->memory(inst->module);
	*size = mem->size;
	return mem->data;
}

/* ---- the kiln host module ----------------------------------------------- */

void Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx);
void Z_kilnZ_fuel_trap(struct Z_kiln_instance_t *ctx, uint64_t left);
void Z_kilnZ_log(struct Z_kiln_instance_t *ctx, uint32_t level, uint32_t ptr, uint32_t len);
uint32_t Z_kilnZ_config_get(struct Z_kiln_instance_t *ctx, uint32_t key_ptr, uint32_t key_len,
			    uint32_t buf_ptr, uint32_t buf_len);

void Z_kilnZ_fuel_exhausted(struct Z_kiln_instance_t *ctx)
{
	/* the fuel pass's code also asks with a counter at zero: nothing to
	 * bring in here, its next charge traps */
	uint64_t *fuel = interim_fuel(ctx->owner);
	if (fuel != NULL && (int64_t)*fuel >= 0)
		return;
	fuel_trap = true;
	wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

void Z_kilnZ_fuel_trap(struct Z_kiln_instance_t *ctx, uint64_t left)
{
	uint64_t *fuel = interim_fuel(ctx->owner);
	if (fuel != NULL)
		*fuel = left;
	fuel_trap = true;
	wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

void Z_kilnZ_log(struct Z_kiln_instance_t *ctx, uint32_t level, uint32_t ptr, uint32_t len)
{
	static const char *const levels[] = {"debug", "info", "warning", "error"};
	uint64_t size;
	uint8_t *mem = interim_memory(ctx->owner, &size);
	if (mem == NULL || (uint64_t)ptr + len > size)
		wasm_rt_trap(WASM_RT_TRAP_OOB);
	printf("[%s %s] %.*s\n", ctx->owner->desc->name, level < 4 ? levels[level] : "?",
	       (int)len, (const char *)mem + ptr);
}

uint32_t Z_kilnZ_config_get(struct Z_kiln_instance_t *ctx, uint32_t key_ptr, uint32_t key_len,
			    uint32_t buf_ptr, uint32_t buf_len)
{
	(void)ctx;
	(void)key_ptr;
	(void)key_len;
	(void)buf_ptr;
	(void)buf_len;
	return (uint32_t)-1; /* no configuration in the interim runtime */
}
