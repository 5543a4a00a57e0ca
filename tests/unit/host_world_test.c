/* Tests for compiler/host_world.c: the host world table and the import check. */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "rt_impl.h"
#include "unit.h"

/* Expected core signatures of wasi_snapshot_preview1, written out again
 * independently of the table (from wasi-libc's wasi/api.h, and proc_raise
 * from the witx: (param $sig $signal) (result $error $errno), a u8 signal
 * passed as i32). */
static const struct {
	const char *name;
	const char *sig;
} wasi_expected[] = {
	{"args_get", "ii:i"}, {"args_sizes_get", "ii:i"}, {"environ_get", "ii:i"},
	{"environ_sizes_get", "ii:i"}, {"clock_res_get", "ii:i"}, {"clock_time_get", "iIi:i"},
	{"fd_advise", "iIIi:i"}, {"fd_allocate", "iII:i"}, {"fd_close", "i:i"},
	{"fd_datasync", "i:i"}, {"fd_fdstat_get", "ii:i"}, {"fd_fdstat_set_flags", "ii:i"},
	{"fd_fdstat_set_rights", "iII:i"}, {"fd_filestat_get", "ii:i"},
	{"fd_filestat_set_size", "iI:i"}, {"fd_filestat_set_times", "iIIi:i"},
	{"fd_pread", "iiiIi:i"}, {"fd_prestat_get", "ii:i"}, {"fd_prestat_dir_name", "iii:i"},
	{"fd_pwrite", "iiiIi:i"}, {"fd_read", "iiii:i"}, {"fd_readdir", "iiiIi:i"},
	{"fd_renumber", "ii:i"}, {"fd_seek", "iIii:i"}, {"fd_sync", "i:i"}, {"fd_tell", "ii:i"},
	{"fd_write", "iiii:i"}, {"path_create_directory", "iii:i"},
	{"path_filestat_get", "iiiii:i"}, {"path_filestat_set_times", "iiiiIIi:i"},
	{"path_link", "iiiiiii:i"}, {"path_open", "iiiiiIIii:i"}, {"path_readlink", "iiiiii:i"},
	{"path_remove_directory", "iii:i"}, {"path_rename", "iiiiii:i"},
	{"path_symlink", "iiiii:i"}, {"path_unlink_file", "iii:i"}, {"poll_oneoff", "iiii:i"},
	{"proc_exit", "i:"}, {"proc_raise", "i:i"}, {"sched_yield", ":i"}, {"random_get", "ii:i"},
	{"sock_accept", "iii:i"}, {"sock_recv", "iiiiii:i"}, {"sock_send", "iiiii:i"},
	{"sock_shutdown", "ii:i"},
};

static const uint8_t *B(const char *s)
{
	return (const uint8_t *)s;
}

static void test_world_table(void)
{
	size_t n, nwasi = 0, nkiln = 0;
	const struct kiln_host_func *w = kiln_host_world(&n);
	CU_ASSERT_EQUAL(sizeof wasi_expected / sizeof wasi_expected[0], 46);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(w[i].module, "wasi_snapshot_preview1") == 0)
			nwasi++;
		else if (strcmp(w[i].module, "kiln") == 0)
			nkiln++;
		else
			CU_FAIL("unexpected module in the host world");
		/* no duplicates */
		for (size_t j = 0; j < i; j++)
			CU_ASSERT(strcmp(w[i].module, w[j].module) != 0 ||
				  strcmp(w[i].name, w[j].name) != 0);
	}
	CU_ASSERT_EQUAL(nwasi, 46);
	CU_ASSERT_EQUAL(nkiln, 3);
	for (size_t i = 0; i < sizeof wasi_expected / sizeof wasi_expected[0]; i++) {
		const char *name = wasi_expected[i].name;
		const struct kiln_host_func *f = kiln_host_world_find(
			B("wasi_snapshot_preview1"), 22, B(name), strlen(name));
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_STRING_EQUAL(f->sig, wasi_expected[i].sig);
	}
	CU_ASSERT_STRING_EQUAL(kiln_host_world_find(B("kiln"), 4, B("fuel_exhausted"), 14)->sig, ":");
	CU_ASSERT_STRING_EQUAL(kiln_host_world_find(B("kiln"), 4, B("log"), 3)->sig, "iii:");
	CU_ASSERT_STRING_EQUAL(kiln_host_world_find(B("kiln"), 4, B("config_get"), 10)->sig,
			       "iiii:i");
	/* lookups compare whole byte strings, not prefixes */
	CU_ASSERT_PTR_NULL(kiln_host_world_find(B("kiln"), 4, B("lo"), 2));
	CU_ASSERT_PTR_NULL(kiln_host_world_find(B("kil"), 3, B("log"), 3));
	CU_ASSERT_PTR_NULL(kiln_host_world_find(B("wasi_snapshot_preview1"), 22, B("proc_rais"), 9));
	CU_ASSERT_PTR_NULL(kiln_host_world_find(B("wasi_unstable"), 13, B("fd_write"), 8));
}

/* The runtime provides exactly the WASI functions the host world lists,
 * with the same signatures: each import's C parameter list in
 * runtime/wasi_imports.c ("(CTX, u32 fd, u64 off)"), turned into the host
 * world's notation ("iI:i"), is the world's. */
static void test_world_matches_runtime(void)
{
	size_t n, nwasi = 0;
	const struct kiln_host_func *w = kiln_host_world(&n);

	for (size_t i = 0; i < n; i++)
		nwasi += strcmp(w[i].module, KILN_WASI_MODULE) == 0;
	CU_ASSERT_EQUAL(nwasi, KILN_WASI_NFUNCS);
	for (size_t i = 0; i < KILN_WASI_NFUNCS; i++) {
		const struct kiln_rt_wasi_sig *rs = &kiln_rt_wasi_sigs[i];
		const struct kiln_host_func *f;
		char sig[32];
		size_t k = 0;

		f = kiln_host_world_find(B(KILN_WASI_MODULE), strlen(KILN_WASI_MODULE),
					 B(rs->name), strlen(rs->name));
		CU_ASSERT_PTR_NOT_NULL(f);
		if (f == NULL) {
			fprintf(stderr, "\n  runtime import %s is not in the host world\n", rs->name);
			continue;
		}
		CU_ASSERT(strncmp(rs->params, "(CTX", 4) == 0);
		for (const char *p = rs->params; *p != '\0' && k < sizeof sig - 3; p++) {
			if (strncmp(p, "u32 ", 4) == 0)
				sig[k++] = 'i';
			else if (strncmp(p, "u64 ", 4) == 0)
				sig[k++] = 'I';
		}
		sig[k++] = ':';
		if (rs->returns)
			sig[k++] = 'i';
		sig[k] = '\0';
		CU_ASSERT_STRING_EQUAL(f->sig, sig);
		/* and the WASI layer knows it under the same index */
		CU_ASSERT_PTR_NOT_NULL(kiln_wasi_func_name((enum kiln_wasi_func)i));
	}
	/* every function of the WASI layer has its import */
	for (size_t i = 0; i < KILN_WASI_NFUNCS; i++) {
		bool found = false;
		for (size_t j = 0; j < KILN_WASI_NFUNCS; j++)
			found = found || strcmp(kiln_rt_wasi_sigs[j].name,
						kiln_wasi_func_name((enum kiln_wasi_func)i)) == 0;
		CU_ASSERT(found);
	}
}

/* A hand-built module with the given imports; types are fixed below. */
static uint8_t t_fdwrite[] = {KILN_WASM_I32, KILN_WASM_I32, KILN_WASM_I32, KILN_WASM_I32,
			      KILN_WASM_I32};
static uint8_t t_i32_i32[] = {KILN_WASM_I32, KILN_WASM_I32};
static uint8_t t_i64[] = {KILN_WASM_I64};
static struct kiln_wasm_functype types[] = {
	{4, 1, t_fdwrite}, /* 0: (i32 i32 i32 i32) -> i32 */
	{1, 1, t_i32_i32}, /* 1: (i32) -> i32 */
	{0, 0, NULL},      /* 2: () -> () */
	{1, 0, t_i64},     /* 3: (i64) -> () */
};

static struct kiln_wasm_import mk_func(const char *mod, const char *name, uint32_t type)
{
	struct kiln_wasm_import imp;
	memset(&imp, 0, sizeof imp);
	imp.module.data = B(mod);
	imp.module.len = (uint32_t)strlen(mod);
	imp.name.data = B(name);
	imp.name.len = (uint32_t)strlen(name);
	imp.kind = KILN_WASM_KIND_FUNC;
	imp.desc.type_index = type;
	return imp;
}

static void test_imports_check(void)
{
	struct kiln_wasm_import imps[8];
	struct kiln_wasm_module m;
	struct kiln_import_report r;
	struct kiln_err err;

	imps[0] = mk_func("wasi_snapshot_preview1", "fd_write", 0);  /* ok */
	imps[1] = mk_func("wasi_snapshot_preview1", "proc_exit", 1); /* wrong sig */
	imps[2] = mk_func("kiln", "fuel_exhausted", 2);              /* ok */
	imps[3] = mk_func("env", "sbrk", 1);                         /* unknown module */
	imps[4] = mk_func("kiln", "sleep", 3);                       /* unknown name */
	imps[5] = mk_func("wasi_snapshot_preview1", "fd_close", 9);  /* bad type index */
	imps[6] = mk_func("wasi_snapshot_preview1", "fd_read", 0);   /* ok */
	imps[7] = mk_func("kiln", "log", 0);
	imps[7].kind = KILN_WASM_KIND_MEMORY; /* wrong kind */
	imps[7].desc.memory.min = 1;

	memset(&m, 0, sizeof m);
	m.name = "ext.wasm";
	m.types = types;
	m.ntypes = 4;
	m.imports = imps;
	m.nimports = 8;

	CU_ASSERT_EQUAL_FATAL(kiln_imports_check(&m, &r, &err), KILN_OK);
	CU_ASSERT_EQUAL(r.count, 8);
	CU_ASSERT_EQUAL(r.unprovided, 5);
	CU_ASSERT_STRING_EQUAL(r.items[0].module, "wasi_snapshot_preview1");
	CU_ASSERT_STRING_EQUAL(r.items[0].name, "fd_write");
	CU_ASSERT(r.items[0].provided);
	CU_ASSERT_PTR_NULL(r.items[0].reason);
	CU_ASSERT(!r.items[1].provided);
	CU_ASSERT_STRING_EQUAL(r.items[1].reason,
			       "signature mismatch: the module imports (i32) -> (i32), "
			       "the host world provides (i32) -> ()");
	CU_ASSERT(r.items[2].provided);
	CU_ASSERT(!r.items[3].provided);
	CU_ASSERT_STRING_EQUAL(r.items[3].reason,
			       "module \"env\" is not part of the host world "
			       "(wasi_snapshot_preview1, kiln)");
	CU_ASSERT_STRING_EQUAL(r.items[4].reason, "the host world has no \"sleep\" in module \"kiln\"");
	CU_ASSERT_STRING_EQUAL(r.items[5].reason, "type index 9 is out of range (4 types)");
	CU_ASSERT(r.items[6].provided);
	CU_ASSERT_EQUAL(r.items[7].kind, KILN_WASM_KIND_MEMORY);
	CU_ASSERT_STRING_EQUAL(r.items[7].reason,
			       "imported as a memory, but the host world provides a function");
	kiln_import_report_release(&r);
	CU_ASSERT_PTR_NULL(r.items);
	CU_ASSERT_EQUAL(r.count, 0);

	/* no imports at all */
	m.nimports = 0;
	CU_ASSERT_EQUAL(kiln_imports_check(&m, &r, &err), KILN_OK);
	CU_ASSERT_EQUAL(r.count, 0);
	CU_ASSERT_EQUAL(r.unprovided, 0);
	kiln_import_report_release(&r);
	kiln_import_report_release(NULL);
}

void kiln_test_host_world(void)
{
	CU_pSuite s = CU_add_suite("host_world", NULL, NULL);
	CU_add_test(s, "table", test_world_table);
	CU_add_test(s, "imports_check", test_imports_check);
	CU_add_test(s, "world matches the runtime", test_world_matches_runtime);
}
