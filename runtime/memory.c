/*
 * memory.c — the memory slot pool and the memory half of wasm-rt.h.
 *
 * An engine reserves, once, nslots x KILN_SLOT_STRIDE bytes of PROT_NONE
 * address space.  Every wasm memory takes one slot: its first `size` bytes
 * are read-write, the rest of its 8 GiB stays inaccessible, so that the
 * unchecked loads and stores wasm2c emits fault exactly when they are out of
 * bounds (the fault handler recognises the pool's range).  Instantiation
 * therefore costs no mmap: only an mprotect when the slot's accessible size
 * differs from the new memory's.
 *
 * Freeing a memory resets only the bytes that were made accessible, which
 * also are the only ones that can hold data, and leaves them accessible for
 * the next memory of that slot: freed slots are reused last-in first-out,
 * so a run of instances of one module keeps hitting a slot whose protection
 * already fits.  Small memories (up to KILN_ZERO_IN_PLACE_MAX) are zeroed in
 * place and stay resident, within a budget of KILN_POOL_KEEP_BYTES per
 * engine: on a machine where a system call costs half a microsecond and a
 * page fault more, that is what makes instantiate + teardown of a small
 * module cost no system call and no fault.  Larger memories are discarded
 * with MADV_DONTNEED.  Either way a free slot holds only zeros.  Nothing is
 * ever unmapped before the engine goes, so a million instantiations leave
 * the address space as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-rt.h>

#include "rt_impl.h"
#include "rt_os.h"

/* Release every chunk of @pool (and its range registration). */
static void release_chunks(struct kiln_pool *pool)
{
	for (unsigned i = 0; i < pool->nchunks; i++) {
		if (pool->chunks[i].range >= 0)
			kiln_rt_range_remove(pool->chunks[i].range);
		kiln_os_release(pool->chunks[i].base, pool->chunks[i].size);
	}
	pool->nchunks = 0;
}

/* Reserve @eng's slots: in one piece when possible, else in pieces as large
 * as the address space still has (a sanitizer's shadow memory, or a host's
 * own large mappings, can leave no single hole of 80 TiB). */
int kiln_rt_pool_init(struct kiln_engine *eng, uint32_t nslots, struct kiln_err *err)
{
	struct kiln_pool *pool = &eng->pool;
	uint32_t first = 0, chunk = nslots;
	int rc = KILN_OK, os = 0;

	memset(pool, 0, sizeof *pool);
	pthread_mutex_init(&pool->lock, NULL);
	pool->ready = true;
	if (nslots == 0 || nslots > UINT64_MAX / KILN_SLOT_STRIDE) {
		rc = kiln_err_set(err, KILN_EINVAL, "memory slots: %u is not a valid count", nslots);
		goto out;
	}
	pool->slots = calloc(nslots, sizeof *pool->slots);
	if (pool->slots == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "cannot allocate %u slot records", nslots);
		goto out;
	}
	while (first < nslots) {
		uint32_t n = nslots - first < chunk ? nslots - first : chunk;
		struct kiln_chunk *c = &pool->chunks[pool->nchunks];
		void *base;
		if (pool->nchunks == KILN_MAX_RANGES) {
			os = ENOMEM;
			break;
		}
		if ((os = kiln_os_reserve((uint64_t)n * KILN_SLOT_STRIDE, &base)) != 0) {
			if (chunk == 1)
				break;
			chunk = (chunk + 1) / 2;
			continue;
		}
		c->base = base;
		c->size = (uint64_t)n * KILN_SLOT_STRIDE;
		c->range = kiln_rt_range_add((uintptr_t)base, (uintptr_t)base + c->size, eng, first);
		pool->nchunks++;
		if (c->range < 0) {
			os = ENOMEM;
			break;
		}
		for (uint32_t i = 0; i < n; i++)
			pool->slots[first + i].base = (uint8_t *)base + (uint64_t)i * KILN_SLOT_STRIDE;
		first += n;
	}
	if (first < nslots) {
		rc = kiln_err_set(err, KILN_ENOMEM,
				  "cannot reserve %u memory slots (%llu GiB of address space): %s; "
				  "ask for fewer slots",
				  nslots,
				  (unsigned long long)(((uint64_t)nslots * KILN_SLOT_STRIDE) >> 30),
				  strerror(os));
		goto out;
	}
	pool->nslots = nslots;
	for (uint32_t i = 0; i < nslots; i++)
		pool->slots[i].next_free = i + 1 < nslots ? i + 1 : UINT32_MAX;
	pool->free_head = 0;
out:
	return rc;
}

/* Undo kiln_rt_pool_init(), complete or not. */
void kiln_rt_pool_destroy(struct kiln_pool *pool)
{
	if (!pool->ready)
		return;
	pool->ready = false;
	release_chunks(pool);
	free(pool->slots);
	pool->slots = NULL;
	pthread_mutex_destroy(&pool->lock);
}

static uint8_t *slot_base(const struct kiln_pool *pool, uint32_t idx)
{
	return pool->slots[idx].base;
}

static uint32_t take_slot(struct kiln_pool *pool)
{
	uint32_t idx;
	pthread_mutex_lock(&pool->lock);
	idx = pool->free_head;
	if (idx != UINT32_MAX) {
		struct kiln_slot *s = &pool->slots[idx];
		pool->free_head = s->next_free;
		pool->kept -= s->kept;
		s->kept = 0;
		pool->live++;
	}
	pthread_mutex_unlock(&pool->lock);
	return idx;
}

/* Return slot @idx, whose first @kept bytes are zeroed and resident. */
static void give_slot(struct kiln_pool *pool, uint32_t idx, uint64_t kept)
{
	struct kiln_slot *s = &pool->slots[idx];
	pthread_mutex_lock(&pool->lock);
	s->owner = NULL;
	s->kept = kept;
	s->next_free = pool->free_head;
	pool->free_head = idx;
	pool->live--;
	pthread_mutex_unlock(&pool->lock);
}

/* May a freed memory of @bytes be zeroed in place and kept resident?
 * Reserves the bytes in the pool's budget when it may. */
static bool may_keep(struct kiln_pool *pool, uint64_t bytes)
{
	bool keep = false;
	if (bytes > KILN_ZERO_IN_PLACE_MAX)
		return false;
	pthread_mutex_lock(&pool->lock);
	if (pool->kept + bytes <= KILN_POOL_KEEP_BYTES) {
		pool->kept += bytes;
		keep = true;
	}
	pthread_mutex_unlock(&pool->lock);
	return keep;
}

/* Make exactly the first @bytes of slot @idx accessible.  0 or errno. */
static int set_accessible(struct kiln_pool *pool, uint32_t idx, uint64_t bytes)
{
	struct kiln_slot *s = &pool->slots[idx];
	uint8_t *base = slot_base(pool, idx);
	int rc = 0;

	if (bytes > s->accessible)
		rc = kiln_os_protect_rw(base + s->accessible, bytes - s->accessible);
	else if (bytes < s->accessible)
		rc = kiln_os_protect_none(base + bytes, s->accessible - bytes);
	if (rc == 0)
		s->accessible = bytes;
	return rc;
}

static void note_peak(struct kiln_instance *inst, uint32_t pages)
{
	if (inst != NULL && pages > inst->stats.peak_pages)
		__atomic_store_n(&inst->stats.peak_pages, pages, __ATOMIC_RELAXED);
}

/* During instantiation the memory belongs to the instance being made (its
 * cap applies); otherwise the host is making a memory to export to modules,
 * from the newest engine, limited only by @max_pages. */
void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
	struct kiln_thread *t = &kiln_rt_thread;
	struct kiln_instance *inst = t->instantiating;
	struct kiln_engine *eng = inst != NULL ? inst->engine : kiln_rt_default_engine();
	uint32_t limit = max_pages, idx;
	int rc;

	kiln_rt_host_enter(t);
	memset(mem, 0, sizeof *mem);
	if (eng == NULL)
		kiln_rt_misuse("wasm_rt_allocate_memory: no kiln engine exists");
	if (limit > KILN_MAX_PAGES)
		limit = KILN_MAX_PAGES;
	if (inst != NULL && inst->cap_pages < limit)
		limit = inst->cap_pages;
	if (initial_pages > limit) {
		if (initial_pages > KILN_MAX_PAGES)
			kiln_rt_fail(t, KILN_ELIMIT,
				     "memory of %u pages: at most %u pages (4 GiB - 64 KiB) supported",
				     initial_pages, KILN_MAX_PAGES);
		if (initial_pages > max_pages)
			kiln_rt_fail(t, KILN_EINVAL, "memory: initial %u pages above maximum %u",
				     initial_pages, max_pages);
		kiln_rt_fail(t, KILN_EMEMCAP,
			     "initial memory of %u pages (%llu bytes) exceeds the grant's cap of "
			     "%u pages",
			     initial_pages, (unsigned long long)initial_pages * KILN_PAGE_SIZE,
			     inst->cap_pages);
	}
	idx = take_slot(&eng->pool);
	if (idx == UINT32_MAX)
		kiln_rt_fail(t, KILN_ENOSLOT, "all %u memory slots of the engine are in use",
			     eng->pool.nslots);
	if ((rc = set_accessible(&eng->pool, idx, (uint64_t)initial_pages * KILN_PAGE_SIZE)) != 0) {
		give_slot(&eng->pool, idx, 0);
		kiln_rt_fail(t, KILN_ENOMEM, "cannot map %u pages of memory: %s", initial_pages,
			     strerror(rc));
	}
	eng->pool.slots[idx].owner = inst;
	eng->pool.slots[idx].limit_pages = limit;
	mem->data = slot_base(&eng->pool, idx);
	mem->pages = initial_pages;
	mem->max_pages = max_pages;
	mem->size = initial_pages * KILN_PAGE_SIZE;
	note_peak(inst, initial_pages);
	kiln_rt_host_leave(t);
}

/* memory.grow: fails (UINT32_MAX) past the module's maximum, the instance's
 * cap, 65535 pages, or when the kernel refuses the mapping. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
	struct kiln_thread *t = &kiln_rt_thread;
	struct kiln_engine *eng;
	struct kiln_slot *s;
	uint32_t idx, old = mem->pages, result = UINT32_MAX;
	uint64_t new_pages = (uint64_t)old + delta;

	kiln_rt_host_enter(t);
	eng = kiln_rt_engine_of(mem->data, &idx);
	if (eng == NULL)
		kiln_rt_misuse("wasm_rt_grow_memory: memory %p was not allocated by kiln",
			       (void *)mem->data);
	s = &eng->pool.slots[idx];
	if (new_pages > s->limit_pages || new_pages > mem->max_pages)
		goto out;
	if (delta != 0 && set_accessible(&eng->pool, idx, new_pages * KILN_PAGE_SIZE) != 0)
		goto out;
	mem->pages = (uint32_t)new_pages;
	mem->size = (uint32_t)(new_pages * KILN_PAGE_SIZE);
	note_peak(s->owner, mem->pages);
	result = old;
out:
	kiln_rt_host_leave(t);
	return result;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
	struct kiln_engine *eng;
	struct kiln_slot *s;
	uint64_t kept = 0;
	uint32_t idx;

	if (mem->data == NULL)
		return;
	eng = kiln_rt_engine_of(mem->data, &idx);
	if (eng == NULL)
		kiln_rt_misuse("wasm_rt_free_memory: memory %p was not allocated by kiln",
			       (void *)mem->data);
	s = &eng->pool.slots[idx];
	if (s->accessible != 0 && may_keep(&eng->pool, s->accessible)) {
		memset(mem->data, 0, s->accessible);
		kept = s->accessible;
	} else if (s->accessible != 0 && kiln_os_discard(mem->data, s->accessible) != 0) {
		/* Cannot reset it: never hand this slot out again rather than
		 * leak one guest's data to the next. */
		kiln_rt_log(eng, KILN_LOG_ERROR, "memory slot %u cannot be reset; retired", idx);
		pthread_mutex_lock(&eng->pool.lock);
		eng->pool.retired++;
		pthread_mutex_unlock(&eng->pool.lock);
		memset(mem, 0, sizeof *mem);
		return;
	}
	give_slot(&eng->pool, idx, kept);
	memset(mem, 0, sizeof *mem);
}
