/*
 * engine.c — engines, extension records and logging.
 *
 * An engine owns a memory slot pool and a deadline timer; the signal
 * handlers are process-wide and counted by engine.  Each extension an engine
 * instantiates gets a record holding its live instances (for statistics);
 * each module descriptor is initialised (function types registered) once
 * per process, whichever engine sees it first.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-rt.h>

#include "rt_impl.h"

static pthread_mutex_t g_engines_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kiln_engine *g_engines;

/* Descriptors whose init_module() has run, process-wide. */
struct desc_node {
	const struct kiln_module_desc *desc;
	struct desc_node *next;
};
static pthread_mutex_t g_desc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct desc_node *g_descs;

struct kiln_engine *kiln_rt_default_engine(void)
{
	struct kiln_engine *eng;
	pthread_mutex_lock(&g_engines_lock);
	eng = g_engines;
	pthread_mutex_unlock(&g_engines_lock);
	return eng;
}

void kiln_rt_log(struct kiln_engine *eng, enum kiln_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (eng->cfg.log != NULL)
		eng->cfg.log(eng->cfg.user, level, msg);
	else
		fprintf(stderr, "kiln: %s\n", msg);
}

int kiln_engine_new(const struct kiln_engine_config *config, struct kiln_engine **out,
		    struct kiln_err *err)
{
	struct kiln_engine *eng = NULL;
	bool signals = false;
	int rc;

	*out = NULL;
	eng = calloc(1, sizeof *eng);
	if (eng == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "cannot allocate an engine");
		goto out;
	}
	if (config != NULL)
		eng->cfg = *config;
	if (eng->cfg.slots == 0)
		eng->cfg.slots = KILN_DEFAULT_SLOTS;
	if (eng->cfg.tick_us == 0)
		eng->cfg.tick_us = KILN_DEFAULT_TICK_US;
	eng->sig = eng->cfg.interrupt_signal != 0 ? eng->cfg.interrupt_signal : SIGRTMIN + 4;
	eng->tick_ns = (uint64_t)eng->cfg.tick_us * 1000u;
	pthread_mutex_init(&eng->lock, NULL);

	if ((rc = kiln_rt_signals_acquire(eng->sig, err)) != KILN_OK)
		goto out;
	signals = true;
	if ((rc = kiln_rt_pool_init(eng, eng->cfg.slots, err)) != KILN_OK)
		goto out;
	if ((rc = kiln_rt_timer_start(eng, err)) != KILN_OK)
		goto out;
	wasm_rt_init();
	pthread_mutex_lock(&g_engines_lock);
	eng->next_engine = g_engines;
	g_engines = eng;
	pthread_mutex_unlock(&g_engines_lock);
	*out = eng;
	eng = NULL;
	rc = KILN_OK;
out:
	if (eng != NULL) {
		kiln_rt_pool_destroy(&eng->pool);
		if (signals)
			kiln_rt_signals_release();
		pthread_mutex_destroy(&eng->lock);
		free(eng);
	}
	return rc;
}

void kiln_engine_free(struct kiln_engine *eng)
{
	struct kiln_engine **pp;
	struct kiln_ext_rec *rec, *next;

	if (eng == NULL)
		return;
	if (eng->live_instances != 0)
		kiln_rt_misuse("kiln_engine_free: %llu instances are still alive",
			       (unsigned long long)eng->live_instances);
	kiln_rt_release_failed(eng);
	if (eng->pool.live != eng->pool.retired)
		kiln_rt_misuse("kiln_engine_free: %u memories made by the host are still "
			       "allocated",
			       eng->pool.live - eng->pool.retired);
	pthread_mutex_lock(&g_engines_lock);
	for (pp = &g_engines; *pp != NULL; pp = &(*pp)->next_engine) {
		if (*pp == eng) {
			*pp = eng->next_engine;
			break;
		}
	}
	pthread_mutex_unlock(&g_engines_lock);
	kiln_rt_timer_stop(eng);
	kiln_rt_pool_destroy(&eng->pool);
	kiln_rt_signals_release();
	for (rec = eng->recs; rec != NULL; rec = next) {
		next = rec->next;
		free(rec);
	}
	pthread_mutex_destroy(&eng->lock);
	free(eng);
}

static void init_desc_once(const struct kiln_module_desc *desc)
{
	struct desc_node *n;
	pthread_mutex_lock(&g_desc_lock);
	for (n = g_descs; n != NULL; n = n->next)
		if (n->desc == desc)
			goto out;
	n = malloc(sizeof *n);
	if (n == NULL)
		kiln_rt_misuse("out of memory initialising module %s", desc->name);
	if (desc->init_module != NULL)
		desc->init_module();
	n->desc = desc;
	n->next = g_descs;
	g_descs = n;
out:
	pthread_mutex_unlock(&g_desc_lock);
}

/* The record of @ext in @eng in *@out, made (and its module initialised)
 * on first use.  Called with eng->lock held. */
int kiln_rt_ext_rec(struct kiln_engine *eng, const struct kiln_extension *ext,
		    struct kiln_ext_rec **out, struct kiln_err *err)
{
	const struct kiln_module_desc *desc = ext->module;
	struct kiln_ext_rec *rec;
	for (rec = eng->recs; rec != NULL; rec = rec->next) {
		if (rec->ext == ext) {
			*out = rec;
			return KILN_OK;
		}
	}
	/* Calls binary-search the exports: a descriptor that breaks the
	 * order would make some of them unreachable, silently. */
	for (uint32_t i = 1; i < desc->nexports; i++) {
		const struct kiln_export_desc *a = &desc->exports[i - 1], *b = &desc->exports[i];
		if (kiln_rt_name_cmp(a->name, kiln_rt_name_len(a), b->name, kiln_rt_name_len(b)) >=
		    0)
			return kiln_err_set(err, KILN_EINVAL,
					    "module %s: exports are not sorted by name "
					    "(export %u \"%s\" before export %u \"%s\")",
					    desc->name, i - 1, a->name, i, b->name);
	}
	rec = calloc(1, sizeof *rec);
	if (rec == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "cannot allocate an extension record");
	init_desc_once(ext->module);
	rec->ext = ext;
	rec->next = eng->recs;
	eng->recs = rec;
	*out = rec;
	return KILN_OK;
}
