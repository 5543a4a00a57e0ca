/*
 * instance.c — instances, calls and the trap boundary.
 *
 * The boundary (boundary() below) is the one place guest traps are caught:
 * it records a jump buffer in a frame (KILN_SETJMP, see rt_impl.h: no mask
 * saved, no system call) and makes the frame the thread's innermost;
 * wasm_rt_trap and the signal handlers jump to it.  Frames nest (a host
 * function called by wasm may call into wasm again) and each restores the
 * thread state of the frame it interrupted.
 *
 * The innermost frame is also what the engine's deadline timer reads
 * (see timer.c): entering costs a few stores to the stack and one to TLS,
 * no atomic read-modify-write, no clock read.
 */
#include <stdlib.h>
#include <string.h>

#include <wasm-rt.h>

#include "rt_impl.h"
#include "rt_os.h"
#include "wasi_impl.h"

#define INSTANTIATION_NAME "(instantiation)"
/* Arguments and results up to this count live on the stack. */
#define SMALL_ARITY 8

static const char *type_name(unsigned type)
{
	static const char *const names[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
	return type < sizeof names / sizeof names[0] ? names[type] : "unknown type";
}

static const char *ext_name(const struct kiln_instance *inst)
{
	return inst->ext->name != NULL ? inst->ext->name : inst->desc->name;
}

/* ---- Publication for the timer ---- */

/* Fill in what the timer reads of frame @f (see rt_impl.h); the boundary
 * publishes it. */
static inline void frame_describe(struct kiln_frame *f, const char *name)
{
	struct kiln_engine *eng = f->inst->engine;
	__atomic_store_n(&f->engine, eng, __ATOMIC_RELAXED);
	__atomic_store_n(&f->name, name, __ATOMIC_RELAXED);
	atomic_store_explicit(&f->start_tick,
			      atomic_load_explicit(&eng->epoch, memory_order_relaxed),
			      memory_order_relaxed);
}

/* Wake the timer for frame @f, as runtime code: an interrupt must not jump
 * out while we hold the timer's lock. */
static __attribute__((noinline, cold)) void wake_timer(struct kiln_thread *t,
							 struct kiln_frame *f)
{
	t->in_host++;
	kiln_rt_timer_wake(f->engine, f);
	t->in_host--;
}

/* Make @f the thread's innermost frame, visible to the signal handlers and
 * the timer.  From here on a trap or an interrupt lands in @f. */
static inline void frame_enter(struct kiln_thread *t, struct kiln_frame *f)
{
	t->in_host = 0;
	__atomic_store_n(&t->frame, f, __ATOMIC_RELEASE);
	/* Store (we are in a call) then load (is the timer asleep?): the timer
	 * does the opposite with membarrier() in between; see timer.c. */
	if (kiln_rt_fence)
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
	if (__builtin_expect(atomic_load_explicit(&f->engine->timer_idle, memory_order_relaxed),
			     0))
		wake_timer(t, f);
}

/* Count the wall time of the call in frame @f, which has just ended: in
 * timer ticks (converted when read), or in nanoseconds from @t0. */
static inline void add_wall(struct kiln_instance *inst, const struct kiln_frame *f, uint64_t t0)
{
	if (__builtin_expect(inst->precise_wall_time, 0)) {
		__atomic_store_n(&inst->stats.wall_ns,
				 inst->stats.wall_ns + (kiln_os_now_ns() - t0), __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&inst->wall_ticks,
			 inst->wall_ticks +
				 (atomic_load_explicit(&inst->engine->epoch, memory_order_relaxed) -
				  atomic_load_explicit(&f->start_tick, memory_order_relaxed)),
			 __ATOMIC_RELAXED);
}

/* ---- The boundary ---- */

static void unwind(struct kiln_thread *t, struct kiln_frame *f)
{
	__atomic_store_n(&t->frame, f->prev, __ATOMIC_RELEASE);
	t->in_host = f->saved_in_host;
	t->unwind_target = f->saved_unwind;
}

/* The landing of a jump to frame @f: returns the trap kind. */
static __attribute__((noinline, cold)) enum kiln_trap_kind landed(struct kiln_thread *t,
								   struct kiln_frame *f)
{
	/* Leave the frame before unblocking: an interrupt pending for it
	 * must find it gone, not jump here again. */
	unwind(t, f);
	if (t->trap_mask_set) {
		t->trap_mask_set = false;
		pthread_sigmask(SIG_SETMASK, &t->trap_mask, NULL);
	}
	return t->trap_kind;
}

/* Call @fn as frame @f.  Returns the trap kind, KILN_TRAP_NONE when @fn
 * returned normally.  noinline: a function that sets a jump buffer cannot
 * be inlined anyway, and keeping it small keeps obvious what a jump
 * clobbers (nothing but what it reloads from @t and @f). */
static __attribute__((noinline)) enum kiln_trap_kind
boundary(struct kiln_thread *t, struct kiln_frame *f, kiln_trampoline_fn fn, void *mi,
	 const union kiln_raw *args, union kiln_raw *results)
{
	f->saved_in_host = t->in_host;
	f->saved_unwind = t->unwind_target;
	if (KILN_SETJMP(f->jmp) != 0)
		return landed(t, f);
	t->unwind_target = NULL;
	frame_enter(t, f);
	fn(mi, args, results);
	unwind(t, f);
	return KILN_TRAP_NONE;
}

/* boundary() for the instantiation of @f->inst. */
static __attribute__((noinline)) enum kiln_trap_kind boundary_instantiate(struct kiln_thread *t,
									   struct kiln_frame *f)
{
	f->saved_in_host = t->in_host;
	f->saved_unwind = t->unwind_target;
	f->saved_instantiating = t->instantiating;
	if (KILN_SETJMP(f->jmp) != 0) {
		enum kiln_trap_kind kind = landed(t, f);
		t->instantiating = f->saved_instantiating;
		return kind;
	}
	t->unwind_target = NULL;
	t->instantiating = f->inst;
	frame_enter(t, f);
	f->inst->desc->instantiate(f->inst->mi, f->inst->import_ctx);
	if (f->inst->initialize != NULL)
		f->inst->initialize->call(f->inst->mi, NULL, NULL);
	unwind(t, f);
	t->instantiating = f->saved_instantiating;
	return KILN_TRAP_NONE;
}

static inline void frame_init(struct kiln_thread *t, struct kiln_frame *f,
			      struct kiln_instance *inst)
{
	f->prev = t->frame;
	__atomic_store_n(&f->inst, inst, __ATOMIC_RELAXED);
	atomic_store_explicit(&f->id, ++t->next_frame_id, memory_order_relaxed);
	f->pending_fuel = 0;
	f->nholders = 0;
}

static bool running_here(const struct kiln_thread *t, const struct kiln_instance *inst)
{
	for (const struct kiln_frame *f = t->frame; f != NULL; f = f->prev)
		if (f->inst == inst)
			return true;
	return false;
}

static int report_trap(struct kiln_instance *inst, const char *name, struct kiln_thread *t,
		       enum kiln_trap_kind kind, struct kiln_err *err)
{
	char detail[96] = "";
	struct kiln_engine *eng;
	uint32_t slot;

	if (kind == KILN_TRAP_RESOURCE) {
		t->last_trap = KILN_TRAP_NONE;
		return kiln_err_set(err, t->fail_status, "extension %s: %s", ext_name(inst),
				    t->fail_msg);
	}
	inst->last_trap = kind;
	inst->last_exit = kind == KILN_TRAP_EXIT ? t->exit_code : 0;
	t->last_trap = kind;
	t->last_exit = inst->last_exit;
	__atomic_store_n(&inst->stats.traps[kind], inst->stats.traps[kind] + 1, __ATOMIC_RELAXED);
	if (kind == KILN_TRAP_OUT_OF_BOUNDS && t->fault_addr != 0 &&
	    (eng = kiln_rt_engine_of((void *)t->fault_addr, &slot)) != NULL) {
		uint64_t off = t->fault_addr - (uintptr_t)eng->pool.slots[slot].base;
		snprintf(detail, sizeof detail, " (fault at linear memory offset 0x%llx)",
			 (unsigned long long)off);
	} else if (kind == KILN_TRAP_EXIT) {
		snprintf(detail, sizeof detail, " (code %d)", t->exit_code);
	}
	t->fault_addr = 0;
	return kiln_err_set(err, KILN_ETRAP, "extension %s: %s: trap: %s%s", ext_name(inst), name,
			    kiln_trap_kind_name(kind), detail);
}

static inline void add_fuel(struct kiln_instance *inst, int64_t used)
{
	inst->fuel_used = used;
	__atomic_store_n(&inst->stats.fuel_consumed, inst->stats.fuel_consumed + (uint64_t)used,
			 __ATOMIC_RELAXED);
}

/* ---- Instantiation ---- */

/* Whether @inst's code may have handed a reference to one of its functions
 * to someone else: it imports a funcref table, a mutable funcref global or
 * a function taking a funcref.  A descriptor without its import list
 * (written by hand) is judged by its import modules: anything but the
 * runtime's own "kiln" and "wasi_snapshot_preview1", which take no
 * references. */
static bool may_leak_functions(const struct kiln_instance *inst)
{
	const struct kiln_module_desc *d = inst->desc;

	if (d->imports == NULL) {
		for (uint32_t i = 0; i < d->nimport_modules; i++)
			if (strcmp(d->import_modules[i], KILN_HOST_MODULE) != 0 &&
			    strcmp(d->import_modules[i], "wasi_snapshot_preview1") != 0)
				return true;
		return false;
	}
	for (uint32_t i = 0; i < d->nimports; i++) {
		const struct kiln_import_desc *imp = &d->imports[i];
		switch (imp->kind) {
		case KILN_EXTERN_TABLE:
			if (imp->types[0] == KILN_FUNCREF)
				return true;
			break;
		case KILN_EXTERN_GLOBAL:
			if (imp->nparams == 1 && imp->types[0] == KILN_FUNCREF)
				return true;
			break;
		case KILN_EXTERN_FUNC:
			for (uint32_t k = 0; k < imp->nparams; k++)
				if (imp->types[k] == KILN_FUNCREF)
					return true;
			break;
		case KILN_EXTERN_MEMORY:
			break;
		}
	}
	return false;
}

static int instantiate(struct kiln_instance *inst, struct kiln_err *err)
{
	struct kiln_thread *t = &kiln_rt_thread;
	struct kiln_frame f;
	enum kiln_trap_kind kind;
	uint64_t t0 = 0;
	int64_t left;
	int rc = KILN_OK;

	if (__builtin_expect(!t->registered, 0))
		kiln_rt_thread_register(t);
	memset(inst->mi, 0, inst->desc->instance_size);
	frame_init(t, &f, inst);
	f.pending_fuel = inst->fuel != NULL ? inst->fuel_instantiate : 0;
	if (inst->precise_wall_time)
		t0 = kiln_os_now_ns();
	frame_describe(&f, INSTANTIATION_NAME);
	kind = boundary_instantiate(t, &f);
	add_wall(inst, &f, t0);

	if (inst->fuel != NULL) {
		left = f.pending_fuel + kiln_rt_fuel_collect(&f) +
		       kiln_rt_fuel_unbias((int64_t)*inst->fuel);
		if (left < 0)
			left = 0;
		*inst->fuel = 0;
		inst->fuel_left = left;
		add_fuel(inst, inst->fuel_instantiate - left);
	}
	if (kind != KILN_TRAP_NONE) {
		rc = report_trap(inst, INSTANTIATION_NAME, t, kind, err);
		/* Element segments applied before the trap (or the start
		 * function) may have stored this instance's functions in a
		 * table it imports, where anyone may call them: they need
		 * their instance, memories and tables as long as that table
		 * lives.  linking.wast checks it. */
		if (kind != KILN_TRAP_RESOURCE && may_leak_functions(inst))
			inst->held = true;
		else
			inst->desc->free(inst->mi);
		inst->broken = true;
		goto out;
	}
	inst->broken = false;
	inst->last_trap = KILN_TRAP_NONE;
	__atomic_store_n(&inst->stats.instantiations, inst->stats.instantiations + 1,
			 __ATOMIC_RELAXED);
out:
	return rc;
}

static int64_t clamp_fuel(uint64_t v, uint64_t dflt)
{
	if (v == 0)
		v = dflt;
	return (int64_t)(v > KILN_FUEL_MAX ? KILN_FUEL_MAX : v);
}

static uint64_t deadline_ns(uint64_t v, uint64_t dflt)
{
	if (v == 0)
		return dflt;
	return v == KILN_UNLIMITED ? 0 : v;
}

static void apply_grants(struct kiln_instance *inst, const struct kiln_grants *g)
{
	uint64_t cap = g->memory_cap_bytes != 0 ? g->memory_cap_bytes : KILN_DEFAULT_MEMORY_CAP;
	uint64_t pages = cap / KILN_PAGE_SIZE;

	inst->fuel_grant = clamp_fuel(g->fuel_per_call, KILN_DEFAULT_FUEL_PER_CALL);
	inst->fuel_per_call = inst->fuel_grant;
	inst->fuel_instantiate = clamp_fuel(g->fuel_instantiate, KILN_DEFAULT_FUEL_INSTANTIATE);
	if (pages > KILN_MAX_PAGES)
		pages = KILN_MAX_PAGES;
	if (inst->desc->memory_cap_pages != 0 && inst->desc->memory_cap_pages < pages)
		pages = inst->desc->memory_cap_pages;
	inst->cap_pages = (uint32_t)pages;
	inst->soft_ns = deadline_ns(g->soft_deadline_ns, KILN_DEFAULT_SOFT_DEADLINE_NS);
	inst->hard_ns = deadline_ns(g->hard_deadline_ns, KILN_DEFAULT_HARD_DEADLINE_NS);
	inst->soft_ticks = kiln_rt_ns_to_ticks(inst->engine, inst->soft_ns);
	inst->hard_ticks = kiln_rt_ns_to_ticks(inst->engine, inst->hard_ns);
	kiln_rt_log_limit_init(inst, g);
}

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* Whether @desc imports anything from wasi_snapshot_preview1: only then
 * does an instance need (and pay for) a WASI state. */
static bool imports_wasi(const struct kiln_module_desc *desc)
{
	for (uint32_t i = 0; i < desc->nimport_modules; i++)
		if (strcmp(desc->import_modules[i], KILN_WASI_MODULE) == 0)
			return true;
	return false;
}

static int resolve_imports(struct kiln_instance *inst, struct kiln_err *err)
{
	const struct kiln_module_desc *desc = inst->desc;
	struct kiln_engine *eng = inst->engine;

	for (uint32_t i = 0; i < desc->nimport_modules; i++) {
		const char *m = desc->import_modules[i];
		void *ctx = NULL;
		if (strcmp(m, KILN_HOST_MODULE) == 0 || strcmp(m, KILN_WASI_MODULE) == 0) {
			ctx = inst;
		} else if (eng->cfg.resolve_import != NULL) {
			kiln_err_clear(err);
			ctx = eng->cfg.resolve_import(eng->cfg.user, inst, m, err);
			if (ctx == NULL) {
				if (err == NULL || err->code == KILN_OK)
					kiln_err_set(err, KILN_ELINK, "the host refused it");
				kiln_err_prefix(err, m);
				kiln_err_prefix(err, "import module");
				kiln_err_prefix(err, ext_name(inst));
				return KILN_ELINK;
			}
		} else {
			return kiln_err_set(err, KILN_ELINK,
					    "%s: import module \"%s\": the engine has no import "
					    "resolver",
					    ext_name(inst), m);
		}
		inst->import_ctx[i] = ctx;
	}
	return KILN_OK;
}

static void add_stats(struct kiln_stats *sum, const struct kiln_stats *s, uint64_t ticks,
		      uint64_t tick_ns);

/* Take @inst out of its extension's live instances, its statistics into
 * the extension's.  Called with the engine's lock held. */
static void unlink_live(struct kiln_instance *inst)
{
	struct kiln_engine *eng = inst->engine;
	struct kiln_ext_rec *rec = inst->rec;

	if (rec == NULL)
		return;
	if (inst->rec_prev != NULL)
		inst->rec_prev->rec_next = inst->rec_next;
	else
		rec->live = inst->rec_next;
	if (inst->rec_next != NULL)
		inst->rec_next->rec_prev = inst->rec_prev;
	rec->live_count--;
	add_stats(&rec->retired, &inst->stats, inst->wall_ticks, eng->tick_ns);
	eng->live_instances--;
	inst->rec = NULL;
	inst->rec_next = inst->rec_prev = NULL;
}

/* A failed instantiation that holds its memories and tables (see
 * instantiate()): the engine keeps it until it goes. */
static void keep_failed(struct kiln_instance *inst)
{
	struct kiln_engine *eng = inst->engine;
	pthread_mutex_lock(&eng->lock);
	unlink_live(inst);
	inst->rec_next = eng->failed;
	eng->failed = inst;
	pthread_mutex_unlock(&eng->lock);
}

void kiln_rt_release_failed(struct kiln_engine *eng)
{
	struct kiln_instance *inst, *next;
	for (inst = eng->failed; inst != NULL; inst = next) {
		next = inst->rec_next;
		inst->desc->free(inst->mi);
		/* kept until now: the functions it handed out may still have
		 * called into its WASI state or configuration */
		kiln_rt_config_free(inst);
		kiln_wasi_free(inst->wasi);
		free(inst);
	}
	eng->failed = NULL;
}

/* A WASI reactor's `_initialize` export, () -> (), which must run once
 * before any other export: it is part of the instantiation (its fuel, its
 * trap boundary), as the start function is. */
static const struct kiln_export_desc *find_initialize(const struct kiln_instance *inst)
{
	const struct kiln_export_desc *fn = kiln_instance_export(inst, KILN_INITIALIZE_EXPORT);
	if (fn == NULL || fn->kind != KILN_EXTERN_FUNC || fn->nparams != 0 || fn->nresults != 0)
		return NULL;
	return fn;
}

int kiln_instance_new(struct kiln_engine *eng, const struct kiln_extension *ext,
		      const struct kiln_grants *grants, struct kiln_instance **out,
		      struct kiln_err *err)
{
	static const struct kiln_grants zero_grant;
	const struct kiln_grants *g;
	const struct kiln_module_desc *desc;
	struct kiln_instance *inst = NULL;
	struct kiln_ext_rec *rec = NULL;
	size_t head, ctx_off, total;
	int rc;

	*out = NULL;
	if (eng == NULL || ext == NULL || ext->module == NULL) {
		rc = kiln_err_set(err, KILN_EINVAL, "kiln_instance_new: no engine or extension");
		goto out;
	}
	desc = ext->module;
	if (desc->abi_version != KILN_ABI_VERSION) {
		rc = kiln_err_set(err, KILN_EVERSION,
				  "extension %s: module built for kiln ABI %u, this runtime has %u",
				  ext->name ? ext->name : "?", desc->abi_version, KILN_ABI_VERSION);
		goto out;
	}
	head = round_up(sizeof *inst, 64);
	ctx_off = head + round_up(desc->instance_size, 16);
	total = round_up(ctx_off + desc->nimport_modules * sizeof(void *), 64);
	inst = aligned_alloc(64, total);
	if (inst == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "extension %s: cannot allocate an instance",
				  ext->name ? ext->name : desc->name);
		goto out;
	}
	memset(inst, 0, total);
	inst->engine = eng;
	inst->ext = ext;
	inst->desc = desc;
	inst->precise_wall_time = eng->cfg.precise_wall_time;
	inst->mi = (char *)inst + head;
	inst->import_ctx = (void **)((char *)inst + ctx_off);
	inst->fuel = desc->fuel != NULL ? desc->fuel(inst->mi) : NULL;
	inst->initialize = find_initialize(inst);
	g = grants != NULL ? grants : ext->grants != NULL ? ext->grants : &zero_grant;
	apply_grants(inst, g);
	if ((rc = kiln_rt_config_copy(inst, g, err)) != KILN_OK)
		goto out;
	if ((rc = resolve_imports(inst, err)) != KILN_OK)
		goto out;
	if (imports_wasi(desc) && (rc = kiln_wasi_new(&g->wasi, ext_name(inst), &inst->wasi, err)) !=
					  KILN_OK)
		goto out;

	pthread_mutex_lock(&eng->lock);
	rc = kiln_rt_ext_rec(eng, ext, &rec, err);
	if (rc == KILN_OK) {
		inst->rec = rec;
		inst->rec_next = rec->live;
		if (rec->live != NULL)
			rec->live->rec_prev = inst;
		rec->live = inst;
		rec->live_count++;
		eng->live_instances++;
	}
	pthread_mutex_unlock(&eng->lock);
	if (rc != KILN_OK)
		goto out;
	if ((rc = instantiate(inst, err)) != KILN_OK) {
		if (inst->held)
			keep_failed(inst);
		else
			kiln_instance_free(inst);
		inst = NULL;
		goto out;
	}
	*out = inst;
	inst = NULL;
out:
	if (inst != NULL) {
		kiln_rt_config_free(inst);
		kiln_wasi_free(inst->wasi);
		free(inst);
	}
	return rc;
}

/* Add @s to @sum; @ticks of tick_ns each count as wall time. */
static void add_stats(struct kiln_stats *sum, const struct kiln_stats *s, uint64_t ticks,
		      uint64_t tick_ns)
{
	sum->wall_ns += ticks * tick_ns;
	sum->instantiations += __atomic_load_n(&s->instantiations, __ATOMIC_RELAXED);
	sum->calls += __atomic_load_n(&s->calls, __ATOMIC_RELAXED);
	for (int k = 0; k < KILN_TRAP_KIND_COUNT; k++)
		sum->traps[k] += __atomic_load_n(&s->traps[k], __ATOMIC_RELAXED);
	sum->fuel_consumed += __atomic_load_n(&s->fuel_consumed, __ATOMIC_RELAXED);
	sum->wall_ns += __atomic_load_n(&s->wall_ns, __ATOMIC_RELAXED);
	sum->wasi_denials += __atomic_load_n(&s->wasi_denials, __ATOMIC_RELAXED);
	if (__atomic_load_n(&s->peak_pages, __ATOMIC_RELAXED) > sum->peak_pages)
		sum->peak_pages = __atomic_load_n(&s->peak_pages, __ATOMIC_RELAXED);
	sum->log_lines += __atomic_load_n(&s->log_lines, __ATOMIC_RELAXED);
	sum->log_dropped += __atomic_load_n(&s->log_dropped, __ATOMIC_RELAXED);
}

void kiln_instance_free(struct kiln_instance *inst)
{
	struct kiln_engine *eng;

	if (inst == NULL)
		return;
	eng = inst->engine;
	if (running_here(&kiln_rt_thread, inst))
		kiln_rt_misuse("kiln_instance_free: extension %s is running", ext_name(inst));
	if (!inst->broken || inst->held)
		inst->desc->free(inst->mi);
	/* The timer may be reporting on this instance: wait for it. */
	pthread_mutex_lock(&eng->timer_lock);
	pthread_mutex_unlock(&eng->timer_lock);
	pthread_mutex_lock(&eng->lock);
	unlink_live(inst);
	pthread_mutex_unlock(&eng->lock);
	kiln_rt_config_free(inst);
	kiln_wasi_free(inst->wasi);
	free(inst);
}

int kiln_instance_reset(struct kiln_instance *inst, struct kiln_err *err)
{
	if (inst == NULL)
		return kiln_err_set(err, KILN_EINVAL, "kiln_instance_reset: no instance");
	if (running_here(&kiln_rt_thread, inst))
		return kiln_err_set(err, KILN_ESTATE, "extension %s: cannot reset while it runs",
				    ext_name(inst));
	if (!inst->broken || inst->held)
		inst->desc->free(inst->mi);
	inst->broken = true;
	inst->held = false;
	inst->cache = NULL;
	if (inst->wasi != NULL) {
		int rc = kiln_wasi_reset(inst->wasi, err);
		if (rc != KILN_OK) {
			kiln_err_prefix(err, ext_name(inst));
			return rc;
		}
	}
	return instantiate(inst, err);
}

/* ---- Calls ---- */

const struct kiln_export_desc *kiln_instance_export_n(const struct kiln_instance *inst,
						      const char *name, size_t len)
{
	const struct kiln_export_desc *ex = inst->desc->exports;
	uint32_t lo = 0, hi = inst->desc->nexports;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = kiln_rt_name_cmp(name, len, ex[mid].name, kiln_rt_name_len(&ex[mid]));
		if (c == 0)
			return &ex[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct kiln_export_desc *kiln_instance_export(const struct kiln_instance *inst,
						    const char *name)
{
	return kiln_instance_export_n(inst, name, strlen(name));
}

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* @trusted: @fn comes from the instance's own lookup, not from the host. */
static ALWAYS_INLINE int check_call(const struct kiln_instance *inst,
				    const struct kiln_export_desc *fn, const struct kiln_val *args,
				    size_t nargs, size_t nresults, bool trusted,
				    struct kiln_err *err)
{
	const struct kiln_module_desc *desc = inst->desc;

	if (!trusted && (uintptr_t)fn - (uintptr_t)desc->exports >=
				(uintptr_t)desc->nexports * sizeof *fn)
		kiln_rt_misuse("kiln_instance_invoke: export handle %p is not one of extension "
			       "%s's",
			       (const void *)fn, ext_name(inst));
	if (!trusted && fn->kind != KILN_EXTERN_FUNC)
		return kiln_err_set(err, KILN_ENOTFOUND, "extension %s: export %s is not a function",
				    ext_name(inst), fn->name);
	if (inst->broken)
		return kiln_err_set(err, KILN_ESTATE,
				    "extension %s: instantiation failed; reset the instance",
				    ext_name(inst));
	if (nargs != fn->nparams || nresults != fn->nresults)
		return kiln_err_set(err, KILN_ETYPE,
				    "extension %s: %s takes %u arguments and returns %u results, "
				    "called with %zu and %zu",
				    ext_name(inst), fn->name, fn->nparams, fn->nresults, nargs,
				    nresults);
	for (size_t i = 0; i < nargs; i++)
		if ((unsigned)args[i].type != fn->types[i])
			return kiln_err_set(err, KILN_ETYPE,
					    "extension %s: %s: argument %zu is %s, expected %s",
					    ext_name(inst), fn->name, i, type_name(args[i].type),
					    type_name(fn->types[i]));
	return KILN_OK;
}

/* Run @fn with raw arguments and results, after the checks.  @outermost
 * (a constant) selects the common case, no call of this thread in
 * progress, compiled without the code for re-entered instances. */
static ALWAYS_INLINE int call_body(struct kiln_thread *t, struct kiln_instance *inst,
				   const struct kiln_export_desc *fn, const union kiln_raw *args,
				   union kiln_raw *results, bool outermost, struct kiln_err *err)
{
	struct kiln_frame f;
	enum kiln_trap_kind kind;
	uint64_t t0 = 0;
	int64_t budget = 0, before = 0, left;
	uint64_t *fuel = inst->fuel;
	bool reentered = false;

	frame_init(t, &f, inst);
	if (fuel != NULL) {
		/* A host function re-entering an instance already running on
		 * this thread shares the outer call's fuel. */
		if (!outermost && running_here(t, inst)) {
			reentered = true;
			before = kiln_rt_fuel_unbias((int64_t)*fuel);
		} else {
			budget = inst->fuel_per_call;
			*fuel = (uint64_t)budget;
		}
	}
	if (__builtin_expect(inst->precise_wall_time, 0))
		t0 = kiln_os_now_ns();
	frame_describe(&f, fn->name);
	kind = boundary(t, &f, fn->call, inst->mi, args, results);
	add_wall(inst, &f, t0);
	__atomic_store_n(&inst->stats.calls, inst->stats.calls + 1, __ATOMIC_RELAXED);

	if (fuel != NULL) {
		left = (int64_t)*fuel;
		if (__builtin_expect(left < 0 || f.nholders != 0, 0)) {
			left = kiln_rt_fuel_unbias(left) + kiln_rt_fuel_collect(&f);
			if (left < 0)
				left = 0;
		}
		if (reentered) {
			add_fuel(inst, before > left ? before - left : 0);
		} else {
			/* Fuel left in a counter belongs to the call that is
			 * over: code of this instance run through a link must
			 * draw on its caller's budget. */
			*fuel = 0;
			inst->fuel_left = left;
			add_fuel(inst, budget - left);
		}
	}
	if (__builtin_expect(kind != KILN_TRAP_NONE, 0))
		return report_trap(inst, fn->name, t, kind, err);
	if (__builtin_expect(inst->last_trap != KILN_TRAP_NONE, 0))
		inst->last_trap = KILN_TRAP_NONE;
	return KILN_OK;
}

/* Calls made while another call runs on this thread (from a host
 * function), and a thread's first call. */
static __attribute__((noinline)) int call_nested(struct kiln_thread *t,
						 struct kiln_instance *inst,
						 const struct kiln_export_desc *fn,
						 const union kiln_raw *args, union kiln_raw *results,
						 struct kiln_err *err)
{
	if (!t->registered)
		kiln_rt_thread_register(t);
	return call_body(t, inst, fn, args, results, t->frame == NULL, err);
}

static ALWAYS_INLINE int run_call(struct kiln_instance *inst, const struct kiln_export_desc *fn,
				  const union kiln_raw *args, union kiln_raw *results,
				  struct kiln_err *err)
{
	struct kiln_thread *t = &kiln_rt_thread;
	if (__builtin_expect(t->frame != NULL || !t->registered, 0))
		return call_nested(t, inst, fn, args, results, err);
	return call_body(t, inst, fn, args, results, true, err);
}

/* invoke() for more than SMALL_ARITY arguments or results: raw values on
 * the heap.  Out of line, so that the common case keeps no heap pointers
 * live across the call. */
static __attribute__((noinline)) int invoke_large(struct kiln_instance *inst,
						   const struct kiln_export_desc *fn,
						   const struct kiln_val *args, size_t nargs,
						   struct kiln_val *results, size_t nresults,
						   struct kiln_err *err)
{
	union kiln_raw *raw_args = malloc((nargs + 1) * sizeof *raw_args);
	union kiln_raw *raw_res = malloc((nresults + 1) * sizeof *raw_res);
	int rc;

	if (raw_args == NULL || raw_res == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "cannot allocate %zu arguments", nargs);
		goto out;
	}
	for (size_t i = 0; i < nargs; i++)
		raw_args[i] = args[i].of;
	if ((rc = run_call(inst, fn, raw_args, raw_res, err)) != KILN_OK)
		goto out;
	for (size_t i = 0; i < nresults; i++) {
		results[i].type = (enum kiln_valtype)fn->types[fn->nparams + i];
		results[i].of = raw_res[i];
	}
out:
	free(raw_args);
	free(raw_res);
	return rc;
}

static ALWAYS_INLINE int invoke(struct kiln_instance *inst, const struct kiln_export_desc *fn,
				 const struct kiln_val *args, size_t nargs,
				 struct kiln_val *results, size_t nresults, bool trusted,
				 struct kiln_err *err)
{
	union kiln_raw raw_args[SMALL_ARITY], raw_res[SMALL_ARITY];
	int rc;

	if ((rc = check_call(inst, fn, args, nargs, nresults, trusted, err)) != KILN_OK)
		goto out;
	if (__builtin_expect(nargs > SMALL_ARITY || nresults > SMALL_ARITY, 0)) {
		rc = invoke_large(inst, fn, args, nargs, results, nresults, err);
		goto out;
	}
	for (size_t i = 0; i < nargs; i++)
		raw_args[i] = args[i].of;
	if ((rc = run_call(inst, fn, raw_args, raw_res, err)) != KILN_OK)
		goto out;
	for (size_t i = 0; i < nresults; i++) {
		results[i].type = (enum kiln_valtype)fn->types[fn->nparams + i];
		results[i].of = raw_res[i];
	}
out:
	return rc;
}

int kiln_instance_invoke(struct kiln_instance *inst, const struct kiln_export_desc *fn,
			 const struct kiln_val *args, size_t nargs, struct kiln_val *results,
			 size_t nresults, struct kiln_err *err)
{
	return invoke(inst, fn, args, nargs, results, nresults, false, err);
}

/* strcmp for export names, which are short: the libc one costs more in
 * set-up than the comparison. */
static inline bool same_name(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int kiln_instance_call(struct kiln_instance *inst, const char *name, const struct kiln_val *args,
		       size_t nargs, struct kiln_val *results, size_t nresults,
		       struct kiln_err *err)
{
	const struct kiln_export_desc *fn = inst->cache;

	if (fn == NULL || (fn->name != name && !same_name(fn->name, name))) {
		fn = kiln_instance_export(inst, name);
		if (fn == NULL || fn->kind != KILN_EXTERN_FUNC)
			return kiln_err_set(err, KILN_ENOTFOUND,
					    "extension %s: no exported function \"%s\"",
					    ext_name(inst), name);
		/* found by a C string: a name without NUL bytes, which the
		 * C string comparison above may test */
		inst->cache = fn;
	}
	return invoke(inst, fn, args, nargs, results, nresults, true, err);
}

/* ---- Accessors ---- */

enum kiln_trap_kind kiln_instance_trap(const struct kiln_instance *inst, int *exit_code)
{
	if (exit_code != NULL)
		*exit_code = inst->last_exit;
	return inst->last_trap;
}

const struct kiln_extension *kiln_instance_extension(const struct kiln_instance *inst)
{
	return inst->ext;
}

void *kiln_instance_module(struct kiln_instance *inst)
{
	return inst->mi;
}

struct kiln_wasi *kiln_instance_wasi(const struct kiln_instance *inst)
{
	return inst->wasi;
}

void kiln_instance_set_user(struct kiln_instance *inst, void *user)
{
	inst->user = user;
}

void *kiln_instance_user(const struct kiln_instance *inst)
{
	return inst->user;
}

void kiln_instance_set_fuel(struct kiln_instance *inst, uint64_t per_call)
{
	inst->fuel_per_call = per_call == 0 ? inst->fuel_grant : clamp_fuel(per_call, 0);
}

uint64_t kiln_instance_fuel(const struct kiln_instance *inst)
{
	return (uint64_t)inst->fuel_per_call;
}

uint64_t kiln_instance_fuel_remaining(const struct kiln_instance *inst)
{
	return (uint64_t)inst->fuel_left;
}

uint64_t kiln_instance_fuel_consumed(const struct kiln_instance *inst)
{
	return (uint64_t)inst->fuel_used;
}

bool kiln_instance_fuel_metered(const struct kiln_instance *inst)
{
	return inst->fuel != NULL;
}

static const wasm_rt_memory_t *memory_of(const struct kiln_instance *inst)
{
	if (inst->desc->memory == NULL || inst->broken)
		return NULL;
	return inst->desc->memory(inst->mi);
}

uint64_t kiln_instance_memory_size(const struct kiln_instance *inst)
{
	const wasm_rt_memory_t *mem = memory_of(inst);
	return mem != NULL ? mem->size : 0;
}

static int check_range(const struct kiln_instance *inst, const wasm_rt_memory_t *mem,
		       uint64_t offset, size_t len, const char *what, struct kiln_err *err)
{
	uint64_t size = mem != NULL ? mem->size : 0;
	if (offset > size || len > size - offset)
		return kiln_err_set(err, KILN_EINVAL,
				    "extension %s: %s of %zu bytes at offset %llu is outside its "
				    "memory of %llu bytes",
				    ext_name(inst), what, len, (unsigned long long)offset,
				    (unsigned long long)size);
	return KILN_OK;
}

int kiln_instance_memory_read(const struct kiln_instance *inst, uint64_t offset, void *buf,
			      size_t len, struct kiln_err *err)
{
	const wasm_rt_memory_t *mem = memory_of(inst);
	int rc = check_range(inst, mem, offset, len, "read", err);
	if (rc == KILN_OK && len != 0)
		memcpy(buf, mem->data + offset, len);
	return rc;
}

int kiln_instance_memory_write(struct kiln_instance *inst, uint64_t offset, const void *buf,
			       size_t len, struct kiln_err *err)
{
	const wasm_rt_memory_t *mem = memory_of(inst);
	int rc = check_range(inst, mem, offset, len, "write", err);
	if (rc == KILN_OK && len != 0)
		memcpy(mem->data + offset, buf, len);
	return rc;
}

/* ---- Statistics ---- */

void kiln_instance_stats(const struct kiln_instance *inst, struct kiln_stats *out)
{
	memset(out, 0, sizeof *out);
	add_stats(out, &inst->stats, __atomic_load_n(&inst->wall_ticks, __ATOMIC_RELAXED),
		  inst->engine->tick_ns);
}

int kiln_extension_stats(struct kiln_engine *eng, const struct kiln_extension *ext,
			 struct kiln_stats *out)
{
	struct kiln_ext_rec *rec;
	int rc = KILN_ENOTFOUND;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&eng->lock);
	for (rec = eng->recs; rec != NULL; rec = rec->next) {
		if (rec->ext != ext)
			continue;
		add_stats(out, &rec->retired, 0, 0);
		for (const struct kiln_instance *i = rec->live; i != NULL; i = i->rec_next)
			add_stats(out, &i->stats, __atomic_load_n(&i->wall_ticks, __ATOMIC_RELAXED),
				  eng->tick_ns);
		out->live_instances = rec->live_count;
		rc = KILN_OK;
		break;
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}
