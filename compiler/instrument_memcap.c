/*
 * instrument_memcap.c — the memory cap pass (see kiln_memcap_apply in
 * kiln_compiler.h).  Lowering a memory's declared maximum is enough:
 * wasm2c's memory.grow returns -1 past the maximum, and an imported memory
 * whose maximum is lowered only accepts providers within the cap.
 */
#include "kiln_compiler.h"
#include "wasm_impl.h"

#define PAGE 65536u
#define MAX_PAGES 65536u /* 4 GiB: a 32-bit memory cannot be larger */

static struct kiln_wasm_limits *memory_at(struct kiln_wasm_module *m, uint32_t idx,
					  uint32_t *import_index)
{
	uint32_t seen = 0;
	for (uint32_t i = 0; i < m->nimports; i++) {
		if (m->imports[i].kind != KILN_WASM_KIND_MEMORY)
			continue;
		if (seen++ == idx) {
			*import_index = i;
			return &m->imports[i].desc.memory;
		}
	}
	*import_index = UINT32_MAX;
	idx -= seen;
	return idx < m->nmems ? &m->mems[idx] : NULL;
}

int kiln_memcap_apply(struct kiln_wasm_module *m, uint64_t cap_bytes, struct kiln_err *err)
{
	uint64_t pages = cap_bytes / PAGE;
	uint32_t total = m->nimported_mems + m->nmems, imp;
	uint32_t cap = pages > MAX_PAGES ? MAX_PAGES : (uint32_t)pages;

	/* check every memory before changing any, so a refusal changes nothing */
	for (uint32_t i = 0; i < total; i++) {
		struct kiln_wasm_limits *l = memory_at(m, i, &imp);
		if (l == NULL)
			return kiln_err_set(err, KILN_EINTERNAL,
					    "%s: memory %u is missing from the module", m->name, i);
		if (l->min > cap)
			return kiln_err_set(err, KILN_EMEMCAP,
					    "%s: memory %u%s needs %u pages (%llu bytes) initially, "
					    "more than the cap of %u pages (%llu bytes)",
					    m->name, i, imp != UINT32_MAX ? " (imported)" : "",
					    l->min, (unsigned long long)l->min * PAGE, cap,
					    (unsigned long long)cap * PAGE);
	}
	for (uint32_t i = 0; i < total; i++) {
		struct kiln_wasm_limits *l = memory_at(m, i, &imp);
		if (!l->has_max || l->max > cap) {
			l->has_max = true;
			l->max = cap;
		}
	}
	return KILN_OK;
}
