/*
 * index_space.c — types of tables, memories and globals by index (for
 * functions, see kiln_wasm_func_type).  Each index space starts with the
 * imports of that kind, then the module's own definitions.  Out-of-range
 * indices give NULL/false: these helpers are used on modules whose indices
 * have been checked, but must not read out of bounds if one was not.
 */
#include "driver_impl.h"

const struct kiln_wasm_import *kiln_nth_import(const struct kiln_wasm_module *m,
					       enum kiln_wasm_kind kind, uint32_t index)
{
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == kind && index-- == 0)
			return &m->imports[i];
	return NULL;
}

bool kiln_globaltype_of(const struct kiln_wasm_module *m, uint32_t index,
			struct kiln_wasm_globaltype *out)
{
	if (index < m->nimported_globals) {
		const struct kiln_wasm_import *imp =
			kiln_nth_import(m, KILN_WASM_KIND_GLOBAL, index);
		if (imp == NULL)
			return false;
		*out = imp->desc.global;
	} else if (index - m->nimported_globals < m->nglobals) {
		*out = m->globals[index - m->nimported_globals].type;
	} else {
		return false;
	}
	return true;
}

bool kiln_tabletype_of(const struct kiln_wasm_module *m, uint32_t index,
		       struct kiln_wasm_tabletype *out)
{
	if (index < m->nimported_tables) {
		const struct kiln_wasm_import *imp =
			kiln_nth_import(m, KILN_WASM_KIND_TABLE, index);
		if (imp == NULL)
			return false;
		*out = imp->desc.table;
	} else if (index - m->nimported_tables < m->ntables) {
		*out = m->tables[index - m->nimported_tables];
	} else {
		return false;
	}
	return true;
}

bool kiln_memtype_of(const struct kiln_wasm_module *m, uint32_t index,
		     struct kiln_wasm_limits *out)
{
	if (index < m->nimported_mems) {
		const struct kiln_wasm_import *imp =
			kiln_nth_import(m, KILN_WASM_KIND_MEMORY, index);
		if (imp == NULL)
			return false;
		*out = imp->desc.memory;
	} else if (index - m->nimported_mems < m->nmems) {
		*out = m->mems[index - m->nimported_mems];
	} else {
		return false;
	}
	return true;
}
