/*
 * kiln_rt.h — the public interface of libkiln-rt: engines, instances of baked
 * extensions, calls, fuel, deadlines, memory access and statistics.
 *
 * A host creates one engine (it owns the memory slot pool, the signal
 * handlers and the deadline timer), then instances of the extensions it
 * links in, and calls their exports.  A guest trap is a return value,
 * KILN_ETRAP, never a crash; the host and every other instance carry on.
 *
 *     struct kiln_engine *eng;
 *     struct kiln_instance *inst;
 *     struct kiln_val arg = {KILN_I32, {.i32 = 41}}, res;
 *     kiln_engine_new(NULL, &eng, &err);
 *     kiln_instance_new(eng, &my_extension, NULL, &inst, &err);
 *     if (kiln_instance_call(inst, "inc", &arg, 1, &res, 1, &err) == KILN_ETRAP)
 *             fprintf(stderr, "%s\n", err.msg);   // kind: kiln_instance_trap()
 *     kiln_instance_free(inst);
 *     kiln_engine_free(eng);
 *
 * Threads: an engine may be used from any number of threads at once; one
 * instance is used by one thread at a time.  See runtime/README.md for the
 * trap and signal design.
 */
#ifndef KILN_RT_H
#define KILN_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_abi.h"
#include "kiln_status.h"
#include "kiln_wasi.h"

/* Defaults used where a grant or config field is 0. */
#ifndef KILN_DEFAULT_SLOTS
#define KILN_DEFAULT_SLOTS 1024u
#endif
#ifndef KILN_DEFAULT_FUEL_PER_CALL
#define KILN_DEFAULT_FUEL_PER_CALL 10000000000ull
#endif
#ifndef KILN_DEFAULT_FUEL_INSTANTIATE
#define KILN_DEFAULT_FUEL_INSTANTIATE 10000000000ull
#endif
#ifndef KILN_DEFAULT_MEMORY_CAP
#define KILN_DEFAULT_MEMORY_CAP (64ull << 20)
#endif
#ifndef KILN_DEFAULT_SOFT_DEADLINE_NS
#define KILN_DEFAULT_SOFT_DEADLINE_NS 5000000000ull
#endif
#ifndef KILN_DEFAULT_HARD_DEADLINE_NS
#define KILN_DEFAULT_HARD_DEADLINE_NS 30000000000ull
#endif
#ifndef KILN_DEFAULT_TICK_US
#define KILN_DEFAULT_TICK_US 1000u
#endif
#ifndef KILN_HOST_STACK_RESERVE
#define KILN_HOST_STACK_RESERVE (64u << 10)
#endif
/** A grant or budget field set to this means "no limit". */
#define KILN_UNLIMITED UINT64_MAX
/** Largest fuel budget of one call; larger budgets are clamped to it. */
#define KILN_FUEL_MAX (1ull << 61)
/** Size of a wasm page. */
#define KILN_PAGE_SIZE 65536u

/* The kiln host API (import module "kiln"), see "Host API" below. */
/** Versions of the host API protocol this runtime speaks.  An extension
 * announces its own with an exported kiln_protocol_version() -> i32; the
 * bake refuses one outside [KILN_PROTOCOL_MIN, KILN_PROTOCOL_MAX]. */
#define KILN_PROTOCOL_MIN 1
#define KILN_PROTOCOL_MAX 1
/** Optional exports of an extension, () -> i32 each. */
#define KILN_PROTOCOL_EXPORT "kiln_protocol_version"
#define KILN_HEALTH_EXPORT "kiln_health"
/** kiln_health() result of a healthy extension; any other value is the
 * extension's own code for what is wrong. */
#define KILN_HEALTH_OK 0
/** kiln.config_get results below zero (values >= 0 are lengths). */
#define KILN_CONFIG_ENOTFOUND (-1) /* no value under that key in the grants */
#define KILN_CONFIG_EFAULT (-2)    /* key or buffer outside the guest's memory */
/** Lines of kiln.log an instance may write per second, and in one burst,
 * when its grant says 0.  Lines over the limit are dropped and counted
 * (kiln_stats.log_dropped). */
#ifndef KILN_DEFAULT_LOG_RATE
#define KILN_DEFAULT_LOG_RATE 100u
#endif
#ifndef KILN_DEFAULT_LOG_BURST
#define KILN_DEFAULT_LOG_BURST 200u
#endif
/** Bytes of one kiln.log line kept after escaping; the rest is cut. */
#ifndef KILN_LOG_LINE_MAX
#define KILN_LOG_LINE_MAX 1024u
#endif
/** Largest configuration key and value, and most values, that
 * kiln_instance_new() accepts. */
#define KILN_CONFIG_KEY_MAX 256u
#define KILN_CONFIG_VALUE_MAX (1u << 20)
#define KILN_CONFIG_ENTRIES_MAX 4096u

struct kiln_engine;
struct kiln_instance;

/** Why a call stopped.  kiln_trap_kind_name() spells each one. */
enum kiln_trap_kind {
	KILN_TRAP_NONE = 0,
	KILN_TRAP_OUT_OF_BOUNDS = 1,       /* memory or table access */
	KILN_TRAP_DIV_BY_ZERO = 2,
	KILN_TRAP_INT_OVERFLOW = 3,        /* divide or truncation overflow */
	KILN_TRAP_INVALID_CONVERSION = 4,  /* NaN to integer */
	KILN_TRAP_UNREACHABLE = 5,
	KILN_TRAP_INDIRECT_CALL = 6,       /* null entry or type mismatch */
	KILN_TRAP_STACK_EXHAUSTION = 7,
	KILN_TRAP_FUEL = 8,                /* fuel exhausted */
	KILN_TRAP_DEADLINE = 9,            /* hard deadline passed */
	KILN_TRAP_EXIT = 10,               /* the guest exited; see the exit code */
	KILN_TRAP_HOST = 11,               /* a host function stopped the guest */
	KILN_TRAP_EXCEPTION = 12,          /* uncaught wasm exception */
	KILN_TRAP_KIND_COUNT
};

/** A static name for @kind ("out of bounds", "fuel exhausted"...). Never NULL. */
const char *kiln_trap_kind_name(enum kiln_trap_kind kind);

/** A typed value for kiln_instance_call: @type says which member of @of is set. */
struct kiln_val {
	enum kiln_valtype type;
	union kiln_raw of;
};

/**
 * What an instance may use.  Every field left 0 takes its KILN_DEFAULT_*
 * value; KILN_UNLIMITED lifts the limit.  The WASI part (`wasi`, see
 * kiln_wasi.h) denies everything when zeroed.  Fields may be appended: zero
 * will always mean "default or deny", so a zeroed or statically initialised
 * struct stays valid.
 */
struct kiln_grants {
	uint64_t fuel_per_call;     /* budget each call starts with */
	uint64_t fuel_instantiate;  /* budget of instantiation (start function) */
	uint64_t memory_cap_bytes;  /* largest linear memory, rounded down to pages */
	uint64_t soft_deadline_ns;  /* past it: soft-deadline callback and a log entry */
	uint64_t hard_deadline_ns;  /* past it: the call stops with KILN_TRAP_DEADLINE */
	struct kiln_wasi_grants wasi; /* files, environment, stdio, clocks... */
	/* Read-only values for kiln.config_get; copied by kiln_instance_new. */
	const struct kiln_config_entry *config;
	size_t nconfig;
	/* kiln.log lines per second and burst; 0: KILN_DEFAULT_LOG_RATE and
	 * _BURST, log_rate KILN_UNLIMITED: no limit. */
	uint64_t log_rate;
	uint64_t log_burst;
};

/** One configuration value: NUL-terminated key and value, both borrowed. */
struct kiln_config_entry {
	const char *key;
	const char *value;
};

/**
 * One extension linked into the host: its compiled module and the default
 * grants of its instances.  Read-only; a host or the generated registry
 * defines them with static initialisers and they must outlive the engine.
 */
struct kiln_extension {
	const char *name;
	const struct kiln_module_desc *module;
	const char *reference;        /* OCI reference it was baked from, or NULL */
	const char *manifest_digest;  /* "sha256:<hex>", or NULL */
	const char *wasm_digest;      /* "sha256:<hex>" of the original module, or NULL */
	const struct kiln_grants *grants; /* defaults; NULL means the zero grant */
};

/* ---- Baked extensions (kiln bake) ---- */

/** Layout version of struct kiln_registry; the runtime ignores others. */
#define KILN_REGISTRY_VERSION 1

/**
 * The table of extensions `kiln bake` linked into the program.  The
 * generated kiln_registry.c defines exactly one, with static initialisers:
 *
 *     const struct kiln_registry kiln_registry = {KILN_REGISTRY_VERSION, exts, 3};
 *
 * A program linked without a bake has none (the runtime refers to the
 * symbol weakly) and finds no extension.
 */
struct kiln_registry {
	uint32_t version;
	const struct kiln_extension *extensions; /* in kiln.yaml order */
	size_t count;
};

/**
 * The baked extension named @name (as in kiln.yaml), or NULL.  The result
 * is read-only data of the program, valid for its whole life.  Its grants
 * are the ones kiln.yaml gave; pass other grants to kiln_instance_new() to
 * override them in code, e.g. starting from a copy:
 *
 *     const struct kiln_extension *ext = kiln_extension_find(eng, "textfilter");
 *     struct kiln_grants g = *ext->grants;   // never NULL for a baked extension
 *     g.fuel_per_call = 1000000;
 *     kiln_instance_new(eng, ext, &g, &inst, &err);
 *
 * @eng is not used yet (every engine sees the same table); it must not be NULL.
 */
const struct kiln_extension *kiln_extension_find(struct kiln_engine *eng, const char *name);

/** Number of baked extensions, for listing them with kiln_extension_at(). */
size_t kiln_extension_count(struct kiln_engine *eng);

/** The @i-th baked extension in kiln.yaml order, or NULL past the end. */
const struct kiln_extension *kiln_extension_at(struct kiln_engine *eng, size_t i);

/**
 * A kiln_wasi_log_fn for stdout/stderr routed to the log (`stdout: log` in
 * kiln.yaml): each line the guest writes goes to the log callback of the
 * engine running it, as "EXTENSION: line", stdout at KILN_LOG_INFO and
 * stderr at KILN_LOG_WARN.  A write that does not end in a newline is
 * logged as it is.  @ctx is unused.
 */
void kiln_wasi_log_to_engine(void *ctx, const char *extension, uint32_t fd, const char *data,
			     size_t len);

enum kiln_log_level {
	KILN_LOG_ERROR = 0,
	KILN_LOG_WARN = 1,
	KILN_LOG_INFO = 2,
	KILN_LOG_DEBUG = 3,
};

/**
 * Engine settings.  A zeroed struct (or NULL) gives the defaults.  Callbacks
 * receive @user.  @log and @soft_deadline run on the engine's timer thread or
 * on a calling thread; they must be quick and must neither call nor free
 * instances, nor free the engine (the timer holds its lock).
 * @resolve_import runs in kiln_instance_new(), on the caller's thread.
 */
struct kiln_engine_config {
	/* Memory slots, i.e. live linear memories at once (each reserves
	 * 8 GiB of address space, no memory).  0: KILN_DEFAULT_SLOTS. */
	uint32_t slots;
	/* Signal used to stop a thread at a hard deadline.  0: SIGRTMIN + 4.
	 * The engine refuses a signal that already has a handler. */
	int interrupt_signal;
	/* Deadline timer resolution in microseconds.  0: KILN_DEFAULT_TICK_US. */
	uint32_t tick_us;
	/* Measure each call's wall time with the clock (two clock reads per
	 * call) instead of counting timer ticks.  See kiln_stats.wall_ns. */
	bool precise_wall_time;
	void *user;
	/* Log entries (soft deadlines...).  NULL: one line on stderr. */
	void (*log)(void *user, enum kiln_log_level level, const char *msg);
	/* Called once per call that passes its soft deadline, while it runs. */
	void (*soft_deadline)(void *user, struct kiln_instance *inst, const char *export_name,
			      uint64_t elapsed_ns);
	/* Context pointer for an import module other than "kiln" and
	 * "wasi_snapshot_preview1": what the generated code passes as the first
	 * argument of that module's functions (for a module provided by another
	 * instance, kiln_instance_module() of that instance).  Return NULL and
	 * set @err to refuse the instantiation with KILN_ELINK. */
	void *(*resolve_import)(void *user, struct kiln_instance *inst, const char *module,
				struct kiln_err *err);
	/* Lines extensions write with kiln.log, on the thread running the
	 * guest: @extension names it, @msg is one line without its newline,
	 * control bytes and invalid UTF-8 escaped as \xNN, at most
	 * KILN_LOG_LINE_MAX bytes, valid during the call only.  NULL: @log
	 * receives "EXTENSION: msg".  Must not call into @inst. */
	void (*extension_log)(void *user, struct kiln_instance *inst, const char *extension,
			      enum kiln_log_level level, const char *msg);
};

/**
 * Create an engine: reserve the memory slot pool, install the signal
 * handlers (first engine only) and start the deadline timer.  @config may be
 * NULL; it is copied.  On success *@out is owned by the caller; free it with
 * kiln_engine_free() after freeing its instances.
 * Errors: KILN_EINVAL (bad config, interrupt signal in use), KILN_ENOMEM
 * (address space for the pool), KILN_EINTERNAL (thread creation).
 */
int kiln_engine_new(const struct kiln_engine_config *config, struct kiln_engine **out,
		    struct kiln_err *err);

/**
 * Stop the timer, release the slot pool and, with the last engine, restore
 * the previous signal handlers.  Every instance, and every memory the host
 * made with wasm_rt_allocate_memory, must have been freed (anything left is
 * API misuse and aborts).  NULL is a no-op.
 */
void kiln_engine_free(struct kiln_engine *eng);

/** Export a WASI reactor runs once before any other (() -> ()). */
#define KILN_INITIALIZE_EXPORT "_initialize"

/**
 * Instantiate @ext: allocate its memories and tables, apply its data and
 * element segments and run its start function, then its `_initialize`
 * export when it has one (() -> (), a WASI reactor's initialiser), all
 * inside the trap boundary with @ext's instantiation fuel and deadlines.
 * @grants overrides @ext->grants when not NULL; it is copied, and so is
 * everything its WASI part points to (see kiln_wasi.h) and its
 * configuration.  A module that imports
 * wasi_snapshot_preview1 gets its WASI state here: mounts and stdio files
 * are opened, inherited streams and sockets duplicated, the environment
 * read.  On success *@out is owned by the caller (kiln_instance_free).
 * Errors: KILN_EINVAL (also a malformed WASI grant or configuration),
 * KILN_EVERSION (descriptor of another ABI), KILN_ELINK (an import module
 * cannot be resolved), KILN_EMEMCAP (initial memory above the cap),
 * KILN_ENOSLOT (pool full), KILN_ENOMEM, KILN_ELIMIT (table too large, WASI
 * arguments or environment too large), KILN_ENOTFOUND / KILN_EIO (a mount
 * or stdio file of the grant cannot be opened; the message names it),
 * KILN_ETRAP (segment out of bounds, start function or _initialize trapped;
 * the kind is kiln_trap_last()).
 * A module that imports a funcref table, a mutable funcref global or a
 * function taking a funcref may have handed its functions out before
 * trapping: its failed instance, memory slot included, is then kept until
 * the engine is freed.
 */
int kiln_instance_new(struct kiln_engine *eng, const struct kiln_extension *ext,
		      const struct kiln_grants *grants, struct kiln_instance **out,
		      struct kiln_err *err);

/**
 * Release @inst: its memory slot goes back to the pool (only the pages it
 * made accessible are reset), its tables and the instance are freed, its
 * statistics are added to its extension's.  NULL is a no-op.  Must not be
 * called while @inst runs.
 */
void kiln_instance_free(struct kiln_instance *inst);

/**
 * Put @inst back in the state kiln_instance_new() left it in: memories,
 * tables and globals are re-created, the WASI state goes back to what the
 * grants describe (guest fds closed, preopens and stdio re-made, captures,
 * audit log and exit status cleared) and the start function (and
 * `_initialize`) runs again.  The configuration is kept.
 * Statistics, fuel setting and user pointer are kept.  Same errors as
 * kiln_instance_new(); after a failed reset calls return KILN_ESTATE until a
 * reset succeeds.
 */
int kiln_instance_reset(struct kiln_instance *inst, struct kiln_err *err);

/**
 * Call the exported function @name.  @args must match its parameter types
 * and @nresults its result count; @results[i].type is set.  The call runs
 * with the instance's fuel budget and deadlines.
 * Errors: KILN_ENOTFOUND (no such function), KILN_ETYPE (count or type of
 * arguments or results), KILN_ESTATE (failed reset), KILN_ETRAP (the guest
 * trapped: kind from kiln_instance_trap(); results are unspecified).
 * Re-entrant: a host function called by wasm may call into any instance,
 * including this one.
 */
int kiln_instance_call(struct kiln_instance *inst, const char *name, const struct kiln_val *args,
		       size_t nargs, struct kiln_val *results, size_t nresults,
		       struct kiln_err *err);

/**
 * Find export @name (any kind) of @inst's module; NULL if there is none.
 * The result belongs to the module descriptor and stays valid for every
 * instance of the same extension: resolve once, call often with
 * kiln_instance_invoke().
 */
const struct kiln_export_desc *kiln_instance_export(const struct kiln_instance *inst,
						    const char *name);

/**
 * kiln_instance_export() for a name of @len bytes, which may hold NUL bytes
 * (wasm allows them in names; see kiln_export_desc).
 */
const struct kiln_export_desc *kiln_instance_export_n(const struct kiln_instance *inst,
						      const char *name, size_t len);

/** kiln_instance_call() with an export found by kiln_instance_export(). */
int kiln_instance_invoke(struct kiln_instance *inst, const struct kiln_export_desc *fn,
			 const struct kiln_val *args, size_t nargs, struct kiln_val *results,
			 size_t nresults, struct kiln_err *err);

/**
 * Kind of the trap that ended @inst's last call or instantiation
 * (KILN_TRAP_NONE if it did not trap); for KILN_TRAP_EXIT *@exit_code (may
 * be NULL) receives the guest's exit code.
 */
enum kiln_trap_kind kiln_instance_trap(const struct kiln_instance *inst, int *exit_code);

/**
 * Kind of the last trap caught on the calling thread, for failures that
 * leave no instance to ask (kiln_instance_new returning KILN_ETRAP).
 */
enum kiln_trap_kind kiln_trap_last(int *exit_code);

/**
 * The WASI state of @inst (owned by @inst, valid until kiln_instance_free),
 * or NULL when its module imports nothing from wasi_snapshot_preview1.  Read
 * its audit log, denial counters, captured stdout/stderr and exit code with
 * the accessors of kiln_wasi.h (which accept NULL), from the thread that
 * drives @inst or while it does not run.  kiln_instance_reset() clears it
 * back to the state the grants describe.
 *
 *     size_t n;
 *     const uint8_t *out = kiln_wasi_captured(kiln_instance_wasi(inst), 1, &n);
 */
struct kiln_wasi *kiln_instance_wasi(const struct kiln_instance *inst);

/** The extension @inst was made from (borrowed). */
const struct kiln_extension *kiln_instance_extension(const struct kiln_instance *inst);

/**
 * The wasm2c module instance of @inst (owned by @inst), e.g. to return from
 * resolve_import when another module imports from this one.
 */
void *kiln_instance_module(struct kiln_instance *inst);

/** Attach host data to @inst (not owned) / read it back. */
void kiln_instance_set_user(struct kiln_instance *inst, void *user);
void *kiln_instance_user(const struct kiln_instance *inst);

/**
 * The instance whose call is running on this thread (innermost), or NULL
 * outside any call.  For host functions that need their instance.
 */
struct kiln_instance *kiln_instance_current(void);

/* ---- Fuel (one unit is about one wasm instruction) ---- */

/**
 * Set the budget every following call of @inst starts with (0: the grant's
 * value, KILN_UNLIMITED: KILN_FUEL_MAX).  Ignored by modules compiled
 * without fuel (kiln_instance_fuel_metered() is false).
 */
void kiln_instance_set_fuel(struct kiln_instance *inst, uint64_t per_call);

/** Budget each call of @inst starts with. */
uint64_t kiln_instance_fuel(const struct kiln_instance *inst);

/** Fuel left when @inst's last call or instantiation ended. */
uint64_t kiln_instance_fuel_remaining(const struct kiln_instance *inst);

/** Fuel consumed by @inst's last call or instantiation. */
uint64_t kiln_instance_fuel_consumed(const struct kiln_instance *inst);

/** Whether @inst's module was compiled with fuel instrumentation. */
bool kiln_instance_fuel_metered(const struct kiln_instance *inst);

/* ---- Linear memory, for host code (bounds-checked) ---- */

/** Current size in bytes of @inst's memory (0 without memory). */
uint64_t kiln_instance_memory_size(const struct kiln_instance *inst);

/**
 * Copy @len bytes at @offset of @inst's memory to @buf / from @buf.  The
 * whole range must lie inside the memory, else KILN_EINVAL and nothing is
 * copied.  Not while @inst runs on another thread.
 */
int kiln_instance_memory_read(const struct kiln_instance *inst, uint64_t offset, void *buf,
			      size_t len, struct kiln_err *err);
int kiln_instance_memory_write(struct kiln_instance *inst, uint64_t offset, const void *buf,
			       size_t len, struct kiln_err *err);

/* ---- Statistics ---- */

struct kiln_stats {
	uint64_t instantiations;  /* successful instantiations and resets */
	uint64_t calls;           /* calls made, trapped or not */
	uint64_t traps[KILN_TRAP_KIND_COUNT]; /* by kind, instantiation included */
	uint64_t fuel_consumed;   /* calls and instantiations */
	uint64_t wall_ns;         /* time spent in calls; counted in timer ticks
				   * unless precise_wall_time: exact in sum over
				   * many calls, coarse for one short call */
	uint32_t peak_pages;      /* largest memory size seen, in wasm pages */
	uint32_t live_instances;  /* extension stats only */
	uint64_t wasi_denials;    /* WASI calls refused by the grants (each one is an
				   * entry in the instance's audit log) */
	uint64_t log_lines;       /* kiln.log lines passed to the host */
	uint64_t log_dropped;     /* kiln.log lines dropped by the rate limit */
};

/** Statistics of @inst since it was created.  @out is caller-owned. */
void kiln_instance_stats(const struct kiln_instance *inst, struct kiln_stats *out);

/**
 * Statistics of every instance of @ext made by @eng, live or freed.
 * KILN_ENOTFOUND if @eng never instantiated @ext.
 */
int kiln_extension_stats(struct kiln_engine *eng, const struct kiln_extension *ext,
			 struct kiln_stats *out);

/* ---- Host API: protocol, health, configuration ---- */

/**
 * Call @inst's exported kiln_protocol_version() and store the result in
 * *@version.  Errors: KILN_ENOTFOUND (not exported), KILN_ETYPE (not
 * () -> i32), KILN_ETRAP (it trapped), KILN_EVERSION (*@version is set but
 * lies outside [KILN_PROTOCOL_MIN, KILN_PROTOCOL_MAX]; the message names
 * both).
 */
int kiln_instance_protocol(struct kiln_instance *inst, int32_t *version, struct kiln_err *err);

/**
 * Call @inst's exported kiln_health() and store its result in *@status:
 * KILN_HEALTH_OK, or the extension's own non-zero code.  Runs like any
 * call, with the instance's fuel and deadlines.  Errors: KILN_ENOTFOUND
 * (not exported: the extension makes no health claim), KILN_ETYPE (not
 * () -> i32), KILN_ETRAP (it trapped: treat the instance as unhealthy).
 */
int kiln_instance_health(struct kiln_instance *inst, int32_t *status, struct kiln_err *err);

/**
 * The configuration value of @inst under @key (what kiln.config_get
 * returns to the guest), NUL-terminated and owned by @inst; NULL when
 * there is none.
 */
const char *kiln_instance_config(const struct kiln_instance *inst, const char *key);

/* ---- For host functions called by wasm ---- */

/**
 * Bracket the body of a host function that wasm calls and that must not be
 * interrupted half-way (it takes locks, allocates, does I/O): a hard
 * deadline that passes meanwhile is acted upon in kiln_host_leave(), which
 * then traps with KILN_TRAP_DEADLINE.  kiln_host_enter() traps with
 * KILN_TRAP_STACK_EXHAUSTION when less than KILN_HOST_STACK_RESERVE bytes of
 * stack are left, so that host code never overflows the stack on behalf of a
 * deeply recursing guest.  Outside a call both are no-ops.
 */
void kiln_host_enter(void);
void kiln_host_leave(void);

/**
 * Stop the running guest: the call returns KILN_ETRAP with kind
 * KILN_TRAP_EXIT and exit code @code (WASI proc_exit) / with @kind.  Only
 * from a host function called by wasm (inside a kiln_host_enter/leave
 * bracket or not) that holds no lock and owns no memory it has not released:
 * the host function does not return.  Outside a call it aborts.
 */
__attribute__((noreturn)) void kiln_trap_exit(int code);
__attribute__((noreturn)) void kiln_trap_raise(enum kiln_trap_kind kind);

#endif /* KILN_RT_H */
