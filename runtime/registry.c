/*
 * registry.c — the extensions `kiln bake` linked into the program.
 *
 * The generated kiln_registry.c defines `kiln_registry`; the runtime refers
 * to it weakly, so a host linked without a bake still links (and finds
 * nothing) and the library needs no registration call or constructor.  The
 * table is read-only data: no lock, no allocation.
 */
#include <string.h>

#include "rt_impl.h"

extern const struct kiln_registry kiln_registry __attribute__((weak));

static const struct kiln_registry *registry(struct kiln_engine *eng)
{
	const struct kiln_registry *r = &kiln_registry;
	if (eng == NULL)
		kiln_rt_misuse("kiln_extension_find/_count/_at: no engine");
	if (r == NULL || r->version != KILN_REGISTRY_VERSION)
		return NULL;
	return r;
}

const struct kiln_extension *kiln_extension_find(struct kiln_engine *eng, const char *name)
{
	const struct kiln_registry *r = registry(eng);
	if (r == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < r->count; i++)
		if (r->extensions[i].name != NULL && strcmp(r->extensions[i].name, name) == 0)
			return &r->extensions[i];
	return NULL;
}

size_t kiln_extension_count(struct kiln_engine *eng)
{
	const struct kiln_registry *r = registry(eng);
	return r != NULL ? r->count : 0;
}

const struct kiln_extension *kiln_extension_at(struct kiln_engine *eng, size_t i)
{
	const struct kiln_registry *r = registry(eng);
	return r != NULL && i < r->count ? &r->extensions[i] : NULL;
}

/* Runs on the guest's thread inside its fd_write (see kiln_wasi_log_fn), so
 * the running instance says which engine's log to use. */
void kiln_wasi_log_to_engine(void *ctx, const char *extension, uint32_t fd, const char *data,
			     size_t len)
{
	struct kiln_instance *inst = kiln_instance_current();
	enum kiln_log_level level = fd == 2 ? KILN_LOG_WARN : KILN_LOG_INFO;
	(void)ctx;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) : len;
		if (inst != NULL)
			kiln_rt_log(inst->engine, level, "%s: %.*s", extension,
				    (int)(n > 1024 ? 1024 : n), data);
		data += n + (nl != NULL);
		len -= n + (nl != NULL);
	}
}
