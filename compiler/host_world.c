/*
 * host_world.c — what the host world provides to extensions, and the import
 * check against it.
 *
 * For now the world is the 46 functions of wasi_snapshot_preview1 in the
 * witx (the 45 of the original snapshot plus sock_accept; the runtime
 * provides exactly these, see runtime/wasi_imports.c) plus kiln's own host
 * module.  Signatures are the core-wasm ones, checked against the imports
 * of a program that references every __wasi_* function of wasi-libc;
 * proc_raise, which Debian 12's wasi-libc no longer declares, takes the
 * signal as an i32 and returns the errno.
 */
#include <stdlib.h>
#include <string.h>

#include "driver_impl.h"

static const struct kiln_host_func world[] = {
	{"wasi_snapshot_preview1", "args_get", "ii:i"},
	{"wasi_snapshot_preview1", "args_sizes_get", "ii:i"},
	{"wasi_snapshot_preview1", "environ_get", "ii:i"},
	{"wasi_snapshot_preview1", "environ_sizes_get", "ii:i"},
	{"wasi_snapshot_preview1", "clock_res_get", "ii:i"},
	{"wasi_snapshot_preview1", "clock_time_get", "iIi:i"},
	{"wasi_snapshot_preview1", "fd_advise", "iIIi:i"},
	{"wasi_snapshot_preview1", "fd_allocate", "iII:i"},
	{"wasi_snapshot_preview1", "fd_close", "i:i"},
	{"wasi_snapshot_preview1", "fd_datasync", "i:i"},
	{"wasi_snapshot_preview1", "fd_fdstat_get", "ii:i"},
	{"wasi_snapshot_preview1", "fd_fdstat_set_flags", "ii:i"},
	{"wasi_snapshot_preview1", "fd_fdstat_set_rights", "iII:i"},
	{"wasi_snapshot_preview1", "fd_filestat_get", "ii:i"},
	{"wasi_snapshot_preview1", "fd_filestat_set_size", "iI:i"},
	{"wasi_snapshot_preview1", "fd_filestat_set_times", "iIIi:i"},
	{"wasi_snapshot_preview1", "fd_pread", "iiiIi:i"},
	{"wasi_snapshot_preview1", "fd_prestat_get", "ii:i"},
	{"wasi_snapshot_preview1", "fd_prestat_dir_name", "iii:i"},
	{"wasi_snapshot_preview1", "fd_pwrite", "iiiIi:i"},
	{"wasi_snapshot_preview1", "fd_read", "iiii:i"},
	{"wasi_snapshot_preview1", "fd_readdir", "iiiIi:i"},
	{"wasi_snapshot_preview1", "fd_renumber", "ii:i"},
	{"wasi_snapshot_preview1", "fd_seek", "iIii:i"},
	{"wasi_snapshot_preview1", "fd_sync", "i:i"},
	{"wasi_snapshot_preview1", "fd_tell", "ii:i"},
	{"wasi_snapshot_preview1", "fd_write", "iiii:i"},
	{"wasi_snapshot_preview1", "path_create_directory", "iii:i"},
	{"wasi_snapshot_preview1", "path_filestat_get", "iiiii:i"},
	{"wasi_snapshot_preview1", "path_filestat_set_times", "iiiiIIi:i"},
	{"wasi_snapshot_preview1", "path_link", "iiiiiii:i"},
	{"wasi_snapshot_preview1", "path_open", "iiiiiIIii:i"},
	{"wasi_snapshot_preview1", "path_readlink", "iiiiii:i"},
	{"wasi_snapshot_preview1", "path_remove_directory", "iii:i"},
	{"wasi_snapshot_preview1", "path_rename", "iiiiii:i"},
	{"wasi_snapshot_preview1", "path_symlink", "iiiii:i"},
	{"wasi_snapshot_preview1", "path_unlink_file", "iii:i"},
	{"wasi_snapshot_preview1", "poll_oneoff", "iiii:i"},
	{"wasi_snapshot_preview1", "proc_exit", "i:"},
	{"wasi_snapshot_preview1", "proc_raise", "i:i"},
	{"wasi_snapshot_preview1", "sched_yield", ":i"},
	{"wasi_snapshot_preview1", "random_get", "ii:i"},
	{"wasi_snapshot_preview1", "sock_accept", "iii:i"},
	{"wasi_snapshot_preview1", "sock_recv", "iiiiii:i"},
	{"wasi_snapshot_preview1", "sock_send", "iiiii:i"},
	{"wasi_snapshot_preview1", "sock_shutdown", "ii:i"},
	/* kiln's host API */
	{KILN_HOST_MODULE, KILN_FUEL_EXHAUSTED, ":"},
	{KILN_HOST_MODULE, "log", "iii:"},
	{KILN_HOST_MODULE, "config_get", "iiii:i"},
};

/* Module names of the world, for "not provided" messages. */
static const char *const world_modules[] = {"wasi_snapshot_preview1", KILN_HOST_MODULE};

const struct kiln_host_func *kiln_host_world(size_t *count)
{
	*count = sizeof world / sizeof world[0];
	return world;
}

static bool bytes_eq(const uint8_t *b, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(b, s, len) == 0;
}

const struct kiln_host_func *kiln_host_world_find(const uint8_t *module, size_t module_len,
						  const uint8_t *name, size_t name_len)
{
	for (size_t i = 0; i < sizeof world / sizeof world[0]; i++)
		if (bytes_eq(module, module_len, world[i].module) &&
		    bytes_eq(name, name_len, world[i].name))
			return &world[i];
	return NULL;
}

static bool module_known(const uint8_t *module, size_t len)
{
	for (size_t i = 0; i < sizeof world_modules / sizeof world_modules[0]; i++)
		if (bytes_eq(module, len, world_modules[i]))
			return true;
	return false;
}

static uint8_t sig_letter_type(char c)
{
	switch (c) {
	case 'i': return KILN_WASM_I32;
	case 'I': return KILN_WASM_I64;
	case 'f': return KILN_WASM_F32;
	default: return KILN_WASM_F64;
	}
}

/* Does @ft have exactly the signature @sig ("ii:i")? */
static bool sig_matches(const struct kiln_wasm_functype *ft, const char *sig)
{
	const char *colon = strchr(sig, ':');
	size_t np = (size_t)(colon - sig), nr = strlen(colon + 1);
	if (ft->nparams != np || ft->nresults != nr)
		return false;
	for (size_t i = 0; i < np; i++)
		if (ft->types[i] != sig_letter_type(sig[i]))
			return false;
	for (size_t i = 0; i < nr; i++)
		if (ft->types[np + i] != sig_letter_type(colon[1 + i]))
			return false;
	return true;
}

/* Format a host signature the way kiln_functype_format formats a type. */
static void sig_format(const char *sig, char *buf, size_t size)
{
	uint8_t types[64];
	struct kiln_wasm_functype ft;
	const char *colon = strchr(sig, ':');
	size_t n = 0;
	for (const char *p = sig; *p != '\0' && n < sizeof types; p++)
		if (*p != ':')
			types[n++] = sig_letter_type(*p);
	ft.nparams = (uint32_t)(colon - sig);
	ft.nresults = (uint32_t)strlen(colon + 1);
	ft.types = types;
	kiln_functype_format(&ft, buf, size);
}

/* Why import @imp is not provided, as a malloc'd string, or NULL when it is
 * provided.  *@oom is set when allocation failed. */
static char *unprovided_reason(const struct kiln_wasm_module *m, const struct kiln_wasm_import *imp,
			       bool *oom)
{
	const struct kiln_host_func *hf;
	char have[160], want[160], mod[128], name[128];
	char *reason = NULL;
	int n = -1;

	*oom = false;
	kiln_escape(imp->module.data, imp->module.len, mod, sizeof mod);
	kiln_escape(imp->name.data, imp->name.len, name, sizeof name);
	hf = kiln_host_world_find(imp->module.data, imp->module.len, imp->name.data, imp->name.len);
	if (hf == NULL) {
		if (!module_known(imp->module.data, imp->module.len))
			n = asprintf(&reason,
				     "module \"%s\" is not part of the host world "
				     "(wasi_snapshot_preview1, kiln)",
				     mod);
		else
			n = asprintf(&reason, "the host world has no \"%s\" in module \"%s\"",
				     name, mod);
	} else if (imp->kind != KILN_WASM_KIND_FUNC) {
		n = asprintf(&reason, "imported as a %s, but the host world provides a function",
			     kiln_kind_name(imp->kind));
	} else if (imp->desc.type_index >= m->ntypes) {
		n = asprintf(&reason, "type index %u is out of range (%u types)",
			     imp->desc.type_index, m->ntypes);
	} else if (!sig_matches(&m->types[imp->desc.type_index], hf->sig)) {
		kiln_functype_format(&m->types[imp->desc.type_index], have, sizeof have);
		sig_format(hf->sig, want, sizeof want);
		n = asprintf(&reason,
			     "signature mismatch: the module imports %s, the host world provides %s",
			     have, want);
	} else {
		return NULL;
	}
	if (n < 0) {
		*oom = true;
		return NULL;
	}
	return reason;
}

static char *bytes_dup(struct kiln_wasm_bytes b)
{
	char *s = malloc((size_t)b.len + 1);
	if (s != NULL) {
		memcpy(s, b.data, b.len);
		s[b.len] = '\0';
	}
	return s;
}

int kiln_imports_check(const struct kiln_wasm_module *m, struct kiln_import_report *report,
		       struct kiln_err *err)
{
	int rc = KILN_OK;
	bool oom;

	report->items = NULL;
	report->count = 0;
	report->unprovided = 0;
	if (m->nimports == 0)
		goto out;
	report->items = calloc(m->nimports, sizeof report->items[0]);
	if (report->items == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory checking imports",
				  kiln_module_label(m));
		goto out;
	}
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct kiln_wasm_import *imp = &m->imports[i];
		struct kiln_import_status *st = &report->items[i];
		report->count = i + 1;
		st->kind = imp->kind;
		st->module = bytes_dup(imp->module);
		st->name = bytes_dup(imp->name);
		st->reason = unprovided_reason(m, imp, &oom);
		if (st->module == NULL || st->name == NULL || oom) {
			rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory checking imports",
					  kiln_module_label(m));
			goto out;
		}
		st->provided = st->reason == NULL;
		if (!st->provided)
			report->unprovided++;
	}
out:
	if (rc != KILN_OK)
		kiln_import_report_release(report);
	return rc;
}

void kiln_import_report_release(struct kiln_import_report *report)
{
	if (report == NULL)
		return;
	for (uint32_t i = 0; i < report->count; i++) {
		free(report->items[i].module);
		free(report->items[i].name);
		free(report->items[i].reason);
	}
	free(report->items);
	report->items = NULL;
	report->count = 0;
	report->unprovided = 0;
}
