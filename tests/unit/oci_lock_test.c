/* Tests for oci/lock.c: kiln.lock round trip, determinism, strictness. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "oci_fixture.h"
#include "oci_impl.h"
#include "unit.h"

static void descriptor(struct kiln_oci_descriptor *d, const char *mt, const char *seed,
		       uint64_t size)
{
	memset(d, 0, sizeof *d);
	snprintf(d->media_type, sizeof d->media_type, "%s", mt);
	kiln_digest_buffer(seed, strlen(seed), &d->digest);
	d->size = size;
}

static void sample(struct kiln_oci_lock *lock, struct kiln_oci_lock_entry e[2])
{
	memset(lock, 0, sizeof *lock);
	memset(e, 0, 2 * sizeof *e);
	snprintf(lock->wasm2c_version, sizeof lock->wasm2c_version, "1.0.32");
	snprintf(e[0].name, sizeof e[0].name, "hello");
	snprintf(e[0].reference, sizeof e[0].reference, "r.example/acme/hello:1.0");
	descriptor(&e[0].manifest, KILN_MT_OCI_MANIFEST, "m0", 500);
	descriptor(&e[0].config, KILN_MT_WASM_CONFIG, "c0", 120);
	descriptor(&e[0].layer, KILN_MT_WASM_LAYER, "l0", 70000);
	e[0].signature.present = 1;
	kiln_digest_buffer("key", 3, &e[0].signature.key);
	kiln_digest_buffer("payload", 7, &e[0].signature.payload);
	snprintf(e[0].signature.signature, sizeof e[0].signature.signature, "c2lnbmF0dXJl");
	snprintf(e[1].name, sizeof e[1].name, "_filter-2");
	snprintf(e[1].reference, sizeof e[1].reference, "oci-layout:/srv/mirror:filter");
	e[1].has_index = 1;
	descriptor(&e[1].index, KILN_MT_OCI_INDEX, "i1", 300);
	descriptor(&e[1].manifest, KILN_MT_OCI_MANIFEST, "m1", 501);
	descriptor(&e[1].config, KILN_MT_WASM_CONFIG_V1, "c1", 2);
	descriptor(&e[1].layer, KILN_MT_WASM_LAYER_LEGACY, "l1", 8);
	lock->entries = e;
	lock->count = 2;
}

static int same_entry(const struct kiln_oci_lock_entry *a, const struct kiln_oci_lock_entry *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->reference, b->reference) == 0 &&
	       a->has_index == b->has_index &&
	       (!a->has_index || memcmp(&a->index, &b->index, sizeof a->index) == 0) &&
	       memcmp(&a->manifest, &b->manifest, sizeof a->manifest) == 0 &&
	       memcmp(&a->config, &b->config, sizeof a->config) == 0 &&
	       memcmp(&a->layer, &b->layer, sizeof a->layer) == 0 &&
	       a->signature.present == b->signature.present &&
	       (!a->signature.present || memcmp(&a->signature, &b->signature, sizeof a->signature) == 0);
}

static void test_round_trip(void)
{
	struct kiln_oci_lock lock, back = {0};
	struct kiln_oci_lock_entry e[2];
	struct kiln_err err = {0};
	char *dir = fx_tmpdir(), p1[4200], p2[4200];
	char *t1, *t2;
	size_t n1, n2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	sample(&lock, e);
	snprintf(p1, sizeof p1, "%s/kiln.lock", dir);
	snprintf(p2, sizeof p2, "%s/again.lock", dir);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_lock_write(p1, &lock, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_lock_read(p1, &back, &err), KILN_OK);
	CU_ASSERT_STRING_EQUAL(back.wasm2c_version, "1.0.32");
	CU_ASSERT_EQUAL_FATAL(back.count, 2);
	CU_ASSERT_TRUE(same_entry(kiln_oci_lock_find(&back, "hello"), &e[0]));
	CU_ASSERT_TRUE(same_entry(kiln_oci_lock_find(&back, "_filter-2"), &e[1]));
	CU_ASSERT_PTR_NULL(kiln_oci_lock_find(&back, "nope"));
	CU_ASSERT_PTR_EQUAL(kiln_oci_lock_find_ref(&back, "r.example/acme/hello:1.0"),
			    kiln_oci_lock_find(&back, "hello"));
	/* Same lock, same bytes, whatever order it was built in. */
	CU_ASSERT_EQUAL_FATAL(kiln_oci_lock_write(p2, &back, &err), KILN_OK);
	t1 = fx_read(p1, &n1);
	t2 = fx_read(p2, &n2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t2);
	CU_ASSERT_EQUAL(n1, n2);
	CU_ASSERT_EQUAL(memcmp(t1, t2, n1), 0);
	CU_ASSERT_EQUAL(t1[n1 - 1], '\n');
	CU_ASSERT_PTR_NOT_NULL(strstr(t1, "\"kilnLockVersion\": 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t1, "\"signature\": null"));
	free(t1);
	free(t2);
	kiln_oci_lock_release(&back);
	CU_ASSERT_EQUAL(back.count, 0);
	fx_rmtree(dir);
	free(dir);
}

static void test_check_tool(void)
{
	struct kiln_oci_lock lock = {0};
	struct kiln_err err = {0};
	snprintf(lock.wasm2c_version, sizeof lock.wasm2c_version, "1.0.32");
	CU_ASSERT_EQUAL(kiln_oci_lock_check_tool(&lock, "1.0.32", NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_oci_lock_check_tool(&lock, "1.0.34", &err), KILN_ELOCK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "1.0.34"));
}

#define DG "\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
#define DESC(mt) "{\"mediaType\":\"" mt "\",\"digest\":" DG ",\"size\":1}"
#define ENTRY_FIELDS                                                                         \
	"\"reference\":\"r.example/x:1\",\"manifest\":" DESC(KILN_MT_OCI_MANIFEST)           \
	",\"config\":" DESC(KILN_MT_WASM_CONFIG) ",\"layer\":" DESC(KILN_MT_WASM_LAYER)
#define LOCK(exts) "{\"kilnLockVersion\":1,\"wasm2c\":\"1.0.32\",\"extensions\":{" exts "}}"

struct badlock {
	const char *text;
	const char *needle;
};

static const struct badlock badlocks[] = {
	{LOCK("\"x\":{" ENTRY_FIELDS ",\"signature\":null}"), NULL}, /* the valid baseline */
	{"", "not valid JSON"},
	{"[]", "JSON object"},
	{"{\"kilnLockVersion\":2,\"wasm2c\":\"1\",\"extensions\":{}}", "kilnLockVersion"},
	{"{\"kilnLockVersion\":1,\"wasm2c\":1,\"extensions\":{}}", "wasm2c"},
	{"{\"kilnLockVersion\":1,\"wasm2c\":\"1\",\"extensions\":[]}", "extensions"},
	{"{\"kilnLockVersion\":1,\"wasm2c\":\"1\",\"extensions\":{},\"extra\":1}", "unknown field"},
	{LOCK("\"x\":{" ENTRY_FIELDS "}"), "missing field \"signature\""},
	{LOCK("\"x\":{" ENTRY_FIELDS ",\"signature\":null,\"typo\":1}"), "unknown field"},
	{LOCK("\"x\":{" ENTRY_FIELDS ",\"signature\":{\"key\":" DG "}}"), "signature needs"},
	{LOCK("\"x\":{" ENTRY_FIELDS ",\"signature\":{\"key\":\"sha256:1\",\"payload\":" DG
	      ",\"signature\":\"AA==\"}}"),
	 "64 hex"},
	{LOCK("\"9x\":{" ENTRY_FIELDS ",\"signature\":null}"), "extension name"},
	{LOCK("\"x\":{\"reference\":\"ubuntu\",\"manifest\":" DESC(KILN_MT_OCI_MANIFEST)
	      ",\"config\":" DESC(KILN_MT_WASM_CONFIG) ",\"layer\":" DESC(KILN_MT_WASM_LAYER)
	      ",\"signature\":null}"),
	 "no registry host"},
	{LOCK("\"x\":{\"reference\":\"r.example/x:1\",\"config\":" DESC(KILN_MT_WASM_CONFIG)
	      ",\"layer\":" DESC(KILN_MT_WASM_LAYER) ",\"signature\":null}"),
	 "descriptor"},
	{LOCK("\"x\":{" ENTRY_FIELDS ",\"signature\":null},\"x\":{" ENTRY_FIELDS
	      ",\"signature\":null}"),
	 "duplicate"},
};

static void test_strict_read(void)
{
	char *dir = fx_tmpdir(), path[4200];
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof path, "%s/kiln.lock", dir);
	for (size_t i = 0; i < sizeof badlocks / sizeof badlocks[0]; i++) {
		struct kiln_oci_lock lock;
		struct kiln_err err = {0};
		int rc;
		CU_ASSERT_EQUAL_FATAL(fx_write(path, badlocks[i].text, strlen(badlocks[i].text)), 0);
		rc = kiln_oci_lock_read(path, &lock, &err);
		if (badlocks[i].needle == NULL) {
			CU_ASSERT_EQUAL(rc, KILN_OK);
			CU_ASSERT_EQUAL(lock.count, 1);
		} else {
			if (rc != KILN_EFORMAT || strstr(err.msg, badlocks[i].needle) == NULL)
				fprintf(stderr, "\n  case %zu: rc %d \"%s\"\n", i, rc, err.msg);
			CU_ASSERT_EQUAL(rc, KILN_EFORMAT);
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, badlocks[i].needle));
			CU_ASSERT_PTR_NULL(lock.entries);
		}
		kiln_oci_lock_release(&lock);
	}
	fx_rmtree(dir);
	free(dir);
}

/* A write that fails leaves the old file exactly as it was. */
static void test_failed_write_keeps_old(void)
{
	struct kiln_oci_lock lock;
	struct kiln_oci_lock_entry e[2];
	char *dir = fx_tmpdir(), path[4200], *before, *after;
	size_t nb, na;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof path, "%s/kiln.lock", dir);
	sample(&lock, e);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_lock_write(path, &lock, NULL), KILN_OK);
	before = fx_read(path, &nb);
	snprintf(e[1].name, sizeof e[1].name, "bad name");
	CU_ASSERT_EQUAL(kiln_oci_lock_write(path, &lock, NULL), KILN_EINVAL);
	after = fx_read(path, &na);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_EQUAL(nb, na);
	CU_ASSERT_EQUAL(memcmp(before, after, nb), 0);
	CU_ASSERT_EQUAL(fx_count_files(dir), 1); /* no temp file either */
	free(before);
	free(after);
	fx_rmtree(dir);
	free(dir);
}

void kiln_test_oci_lock(void)
{
	CU_pSuite s = CU_add_suite("oci_lock", NULL, NULL);
	CU_add_test(s, "write, read, write again", test_round_trip);
	CU_add_test(s, "wasm2c version", test_check_tool);
	CU_add_test(s, "strict reading", test_strict_read);
	CU_add_test(s, "failed write keeps the old file", test_failed_write_keeps_old);
}
