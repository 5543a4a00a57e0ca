/*
 * wasm_rt.c — the rest of the wasm-rt.h contract of wasm2c 1.0.32 (memories
 * are in memory.c): initialisation, traps, function types, tables and
 * exceptions.
 *
 * Generated code calls the allocation functions while it instantiates,
 * inside the trap boundary: they report failures with kiln_rt_fail() (the
 * instantiation then fails with a status) and bracket themselves with
 * kiln_rt_host_enter/leave so that a deadline never interrupts them while
 * they hold a lock or half a realloc.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-rt.h>

#include "rt_impl.h"

_Static_assert(sizeof(wasm_rt_funcref_t) == sizeof(struct kiln_funcref) &&
		       offsetof(wasm_rt_funcref_t, func_type) ==
			       offsetof(struct kiln_funcref, func_type) &&
		       offsetof(wasm_rt_funcref_t, func) == offsetof(struct kiln_funcref, func) &&
		       offsetof(wasm_rt_funcref_t, module_instance) ==
			       offsetof(struct kiln_funcref, module_instance),
	       "struct kiln_funcref must match wasm_rt_funcref_t");
_Static_assert((int)WASM_RT_I32 == KILN_I32 && (int)WASM_RT_I64 == KILN_I64 &&
		       (int)WASM_RT_F32 == KILN_F32 && (int)WASM_RT_F64 == KILN_F64 &&
		       (int)WASM_RT_FUNCREF == KILN_FUNCREF &&
		       (int)WASM_RT_EXTERNREF == KILN_EXTERNREF,
	       "enum kiln_valtype must match wasm_rt_type_t");

static _Atomic bool g_initialized;

/* wasm_rt_init is for embedders of plain wasm2c output; kiln engines do the
 * real set-up.  Generated init_module() only asserts it happened. */
void wasm_rt_init(void)
{
	atomic_store(&g_initialized, true);
}

bool wasm_rt_is_initialized(void)
{
	return atomic_load(&g_initialized);
}

void wasm_rt_free(void)
{
}

static enum kiln_trap_kind kind_of(wasm_rt_trap_t code)
{
	switch (code) {
	case WASM_RT_TRAP_NONE: break;
	case WASM_RT_TRAP_OOB: return KILN_TRAP_OUT_OF_BOUNDS;
	case WASM_RT_TRAP_INT_OVERFLOW: return KILN_TRAP_INT_OVERFLOW;
	case WASM_RT_TRAP_DIV_BY_ZERO: return KILN_TRAP_DIV_BY_ZERO;
	case WASM_RT_TRAP_INVALID_CONVERSION: return KILN_TRAP_INVALID_CONVERSION;
	case WASM_RT_TRAP_UNREACHABLE: return KILN_TRAP_UNREACHABLE;
	case WASM_RT_TRAP_CALL_INDIRECT: return KILN_TRAP_INDIRECT_CALL;
	case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return KILN_TRAP_EXCEPTION;
	case WASM_RT_TRAP_EXHAUSTION: return KILN_TRAP_STACK_EXHAUSTION;
	}
	return KILN_TRAP_HOST;
}

void wasm_rt_trap(wasm_rt_trap_t code)
{
	kiln_rt_trap(&kiln_rt_thread, kind_of(code));
}

const char *wasm_rt_strerror(wasm_rt_trap_t code)
{
	return code == WASM_RT_TRAP_NONE ? "no error" : kiln_trap_kind_name(kind_of(code));
}

/* ---- Function types: one process-wide registry, so that equal
 * signatures get equal indices across modules (call_indirect compares
 * them).  Indices start at 1: 0 is the type of the null funcref. ---- */

struct func_type {
	uint32_t nparams, nresults;
	uint8_t *types;
};

static pthread_mutex_t g_types_lock = PTHREAD_MUTEX_INITIALIZER;
static struct func_type *g_types;
static uint32_t g_ntypes, g_cap_types;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
	uint32_t n = params + results, index = 0;
	uint8_t small[32], *types = small;
	va_list ap;

	if (n < params)
		kiln_rt_misuse("function type with %u params and %u results", params, results);
	if (n > sizeof small && (types = malloc(n)) == NULL)
		kiln_rt_misuse("out of memory registering a function type");
	va_start(ap, results);
	for (uint32_t i = 0; i < n; i++)
		types[i] = (uint8_t)va_arg(ap, int);
	va_end(ap);

	pthread_mutex_lock(&g_types_lock);
	for (uint32_t i = 0; i < g_ntypes; i++) {
		const struct func_type *ft = &g_types[i];
		if (ft->nparams == params && ft->nresults == results &&
		    (n == 0 || memcmp(ft->types, types, n) == 0)) {
			index = i + 1;
			goto out;
		}
	}
	if (g_ntypes == g_cap_types) {
		uint32_t cap = g_cap_types ? g_cap_types * 2 : 64;
		struct func_type *grown = realloc(g_types, cap * sizeof *grown);
		if (grown == NULL)
			kiln_rt_misuse("out of memory registering a function type");
		g_types = grown;
		g_cap_types = cap;
	}
	g_types[g_ntypes].nparams = params;
	g_types[g_ntypes].nresults = results;
	g_types[g_ntypes].types = malloc(n ? n : 1);
	if (g_types[g_ntypes].types == NULL)
		kiln_rt_misuse("out of memory registering a function type");
	memcpy(g_types[g_ntypes].types, types, n);
	index = ++g_ntypes;
out:
	pthread_mutex_unlock(&g_types_lock);
	if (types != small)
		free(types);
	return index;
}

/* ---- Tables ---- */

static void *alloc_elements(uint32_t n, size_t elem, const char *what)
{
	struct kiln_thread *t = &kiln_rt_thread;
	void *p;
	if (n > KILN_TABLE_MAX_ELEMENTS)
		kiln_rt_fail(t, KILN_ELIMIT, "%s table of %u elements: at most %u supported", what,
			     n, KILN_TABLE_MAX_ELEMENTS);
	p = calloc(n ? n : 1, elem);
	if (p == NULL)
		kiln_rt_fail(t, KILN_ENOMEM, "cannot allocate a %s table of %u elements", what, n);
	return p;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements,
				    uint32_t max_elements)
{
	struct kiln_thread *t = &kiln_rt_thread;
	kiln_rt_host_enter(t);
	table->data = alloc_elements(elements, sizeof *table->data, "funcref");
	table->size = elements;
	table->max_size = max_elements;
	kiln_rt_host_leave(t);
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *table, uint32_t elements,
				      uint32_t max_elements)
{
	struct kiln_thread *t = &kiln_rt_thread;
	kiln_rt_host_enter(t);
	table->data = alloc_elements(elements, sizeof *table->data, "externref");
	table->size = elements;
	table->max_size = max_elements;
	kiln_rt_host_leave(t);
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table)
{
	free(table->data);
	memset(table, 0, sizeof *table);
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t *table)
{
	free(table->data);
	memset(table, 0, sizeof *table);
}

/* table.grow: fails past the table's maximum, KILN_TABLE_MAX_ELEMENTS or
 * when memory runs out, leaving the table as it was. */
static uint32_t grow_table(void **data, uint32_t *size, uint32_t max_size, uint32_t delta,
			   size_t elem, const void *init)
{
	struct kiln_thread *t = &kiln_rt_thread;
	uint32_t old = *size, result = UINT32_MAX;
	uint64_t n = (uint64_t)old + delta;
	unsigned char *grown;

	kiln_rt_host_enter(t);
	if (n > max_size || n > KILN_TABLE_MAX_ELEMENTS)
		goto out;
	if (delta == 0) {
		result = old;
		goto out;
	}
	grown = realloc(*data, n * elem);
	if (grown == NULL)
		goto out;
	for (uint64_t i = old; i < n; i++)
		memcpy(grown + i * elem, init, elem);
	*data = grown;
	*size = (uint32_t)n;
	result = old;
out:
	kiln_rt_host_leave(t);
	return result;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta,
				    wasm_rt_funcref_t init)
{
	void *data = table->data;
	uint32_t r = grow_table(&data, &table->size, table->max_size, delta, sizeof init, &init);
	table->data = data;
	return r;
}

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *table, uint32_t delta,
				      wasm_rt_externref_t init)
{
	void *data = table->data;
	uint32_t r = grow_table(&data, &table->size, table->max_size, delta, sizeof init, &init);
	table->data = data;
	return r;
}

/* ---- Exceptions (the exception-handling proposal): per-thread active
 * exception; an uncaught throw is a trap. ---- */

static _Atomic uint32_t g_next_tag;

uint32_t wasm_rt_register_tag(uint32_t size)
{
	if (size > KILN_EXCEPTION_MAX)
		kiln_rt_misuse("exception tag of %u bytes: at most %u supported", size,
			       KILN_EXCEPTION_MAX);
	return atomic_fetch_add(&g_next_tag, 1);
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values)
{
	struct kiln_thread *t = &kiln_rt_thread;
	if (size > KILN_EXCEPTION_MAX)
		kiln_rt_trap(t, KILN_TRAP_EXCEPTION);
	t->exc_tag = tag;
	t->exc_size = size;
	if (size != 0)
		memcpy(t->exc, values, size);
}

void wasm_rt_throw(void)
{
	struct kiln_thread *t = &kiln_rt_thread;
	if (t->unwind_target == NULL)
		kiln_rt_trap(t, KILN_TRAP_EXCEPTION);
	/* Generated code set the target with WASM_RT_SETJMP, which saves the
	 * mask: siglongjmp matches it. */
	siglongjmp(*(WASM_RT_UNWIND_TARGET *)t->unwind_target, 1);
}

WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void)
{
	return kiln_rt_thread.unwind_target;
}

void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target)
{
	kiln_rt_thread.unwind_target = target;
}

uint32_t wasm_rt_exception_tag(void)
{
	return kiln_rt_thread.exc_tag;
}

uint32_t wasm_rt_exception_size(void)
{
	return kiln_rt_thread.exc_size;
}

void *wasm_rt_exception(void)
{
	return kiln_rt_thread.exc;
}
