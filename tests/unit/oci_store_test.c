/* Tests for oci/store.c and oci/layout.c: atomic commits, concurrent
 * writers, damage detection, and pulls from a layout without a network. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "oci_fixture.h"
#include "oci_impl.h"
#include "unit.h"

static char *store_dir;
static struct kiln_oci_client *client;

static int setup(void)
{
	char path[4200];
	store_dir = fx_tmpdir();
	if (store_dir == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/store", store_dir);
	client = fx_client(path);
	return client == NULL ? -1 : 0;
}

static int teardown(void)
{
	kiln_oci_client_free(client);
	fx_rmtree(store_dir);
	free(store_dir);
	return 0;
}

static size_t count_in(const char *sub)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", kiln_oci_client_store(client), sub);
	return fx_count_files(path);
}

static void test_commit(void)
{
	struct kiln_digest d;
	struct txn t;
	char path[4200], *got;
	size_t n;

	kiln_digest_buffer("blob one", 8, &d);
	txn_init(&t, client);
	CU_ASSERT_EQUAL(txn_stage_mem(&t, &d, "blob one", 8, NULL), KILN_OK);
	CU_ASSERT_EQUAL(count_in("tmp"), 1);
	CU_ASSERT_FALSE(store_has_verified(client, &d, 8)); /* not visible before commit */
	CU_ASSERT_EQUAL(txn_record(&t, "r.example/x:1", &d, NULL), KILN_OK);
	CU_ASSERT_EQUAL(txn_commit(&t, NULL), KILN_OK);
	txn_release(&t);
	CU_ASSERT_EQUAL(count_in("tmp"), 0);
	CU_ASSERT_TRUE(store_has_verified(client, &d, 8));
	store_blob_path(client, &d, path, sizeof path);
	got = fx_read(path, &n);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(memcmp(got, "blob one", 8), 0);
	free(got);
	{
		struct kiln_digest r;
		CU_ASSERT_EQUAL(store_record_get(client, "r.example/x:1", &r, NULL), KILN_OK);
		CU_ASSERT_TRUE(kiln_digest_equal(&r, &d));
		CU_ASSERT_EQUAL(store_record_get(client, "r.example/x:2", &r, NULL), KILN_EOFFLINE);
	}
}

static void test_abort_leaves_nothing(void)
{
	size_t blobs = count_in("blobs"), refs = count_in("refs");
	struct kiln_digest d, wrong;
	struct staged *st;
	struct sink s;
	struct txn t;

	kiln_digest_buffer("two", 3, &d);
	kiln_digest_buffer("TWO", 3, &wrong);
	txn_init(&t, client);
	CU_ASSERT_EQUAL(txn_stage_mem(&t, &d, "two", 3, NULL), KILN_OK);
	CU_ASSERT_EQUAL(txn_record(&t, "r.example/y:1", &d, NULL), KILN_OK);
	/* A second blob whose bytes do not match its digest. */
	CU_ASSERT_EQUAL_FATAL(txn_stage(&t, &st, NULL), KILN_OK);
	sink_init_fd(&s, st->fd, 3, 3, "layer");
	CU_ASSERT_EQUAL(sink_write(&s, "two", 3, NULL), KILN_OK);
	CU_ASSERT_EQUAL(sink_finish(&s, &wrong, NULL), KILN_EDIGEST);
	/* Committing with an unverified blob refuses, and release cleans up. */
	CU_ASSERT_EQUAL(txn_commit(&t, NULL), KILN_EINTERNAL);
	txn_release(&t);
	CU_ASSERT_EQUAL(count_in("tmp"), 0);
	CU_ASSERT_EQUAL(count_in("blobs"), blobs);
	CU_ASSERT_EQUAL(count_in("refs"), refs);
	CU_ASSERT_FALSE(store_has_verified(client, &d, 3));
}

static void test_sink_limits(void)
{
	struct buf b = {0};
	struct kiln_err err = {0};
	struct kiln_digest d;
	struct sink s;

	sink_init_mem(&s, &b, 4, 4, "config");
	CU_ASSERT_EQUAL(sink_write(&s, "abc", 3, NULL), KILN_OK);
	CU_ASSERT_EQUAL(sink_write(&s, "de", 2, &err), KILN_EDIGEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "longer than its declared 4"));
	sink_init_mem(&s, &b, UINT64_MAX, 4, "manifest");
	CU_ASSERT_EQUAL(sink_write(&s, "abcde", 5, &err), KILN_ELIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "limit of 4"));
	kiln_digest_buffer("abc", 3, &d);
	sink_init_mem(&s, &b, 4, 4, "layer");
	CU_ASSERT_EQUAL(sink_write(&s, "abc", 3, NULL), KILN_OK);
	CU_ASSERT_EQUAL(sink_finish(&s, &d, &err), KILN_EDIGEST); /* short */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "3 bytes"));
	CU_ASSERT_EQUAL(sink_reset(&s, NULL), KILN_OK);
	CU_ASSERT_EQUAL(b.len, 0);
	buf_release(&b);
}

/* A blob large enough to be hashed on a thread: right digest, a wrong
 * one, and a retry that starts over halfway. */
static void test_threaded_hash(void)
{
	enum { SIZE = KILN_OCI_HASH_THREAD_MIN + 12345 };
	unsigned char *data = malloc(SIZE);
	struct kiln_digest d, wrong;
	struct kiln_err err = {0};
	struct staged *st;
	struct sink s;
	struct txn t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)(i ^ (i >> 9));
	kiln_digest_buffer(data, SIZE, &d);
	wrong = d;
	wrong.bytes[31] ^= 1;
	txn_init(&t, client);
	CU_ASSERT_EQUAL_FATAL(txn_stage(&t, &st, NULL), KILN_OK);
	sink_init_fd(&s, st->fd, SIZE, SIZE, "layer");
	/* Half, then a retry from the start in uneven pieces. */
	CU_ASSERT_EQUAL(sink_write(&s, data, SIZE / 2, NULL), KILN_OK);
	CU_ASSERT_PTR_NOT_NULL(s.bg);
	CU_ASSERT_EQUAL(sink_reset(&s, NULL), KILN_OK);
	for (size_t off = 0; off < SIZE;) {
		size_t n = SIZE - off < 70001 ? SIZE - off : 70001;
		CU_ASSERT_EQUAL_FATAL(sink_write(&s, data + off, n, NULL), KILN_OK);
		off += n;
	}
	CU_ASSERT_EQUAL(sink_finish(&s, &d, &err), KILN_OK);
	CU_ASSERT_PTR_NULL(s.bg);
	/* The same bytes against a wrong digest. */
	sink_init_fd(&s, st->fd, SIZE, SIZE, "layer");
	CU_ASSERT_EQUAL(sink_reset(&s, NULL), KILN_OK);
	CU_ASSERT_EQUAL(sink_write(&s, data, SIZE, NULL), KILN_OK);
	CU_ASSERT_EQUAL(sink_finish(&s, &wrong, &err), KILN_EDIGEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "layer digest mismatch"));
	/* An abandoned transfer: release ends the thread. */
	sink_init_fd(&s, st->fd, SIZE, SIZE, "layer");
	CU_ASSERT_EQUAL(sink_reset(&s, NULL), KILN_OK);
	CU_ASSERT_EQUAL(sink_write(&s, data, SIZE / 3, NULL), KILN_OK);
	sink_release(&s);
	CU_ASSERT_PTR_NULL(s.bg);
	txn_release(&t);
	CU_ASSERT_EQUAL(count_in("tmp"), 0);
	free(data);
}

/* Many processes commit the same blob while others read it: a reader sees
 * the whole blob or none, and nothing is left in tmp/. */
static void test_concurrent_writers(void)
{
	enum { WRITERS = 6, READERS = 2, ROUNDS = 40, SIZE = 256 * 1024 };
	static unsigned char data[SIZE];
	pid_t pids[WRITERS + READERS];
	struct kiln_digest d;
	char path[4200];
	int ok = 1;

	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	kiln_digest_buffer(data, SIZE, &d);
	store_blob_path(client, &d, path, sizeof path);
	unlink(path);
	for (int p = 0; p < WRITERS + READERS; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			int bad = 0;
			for (int r = 0; r < ROUNDS; r++) {
				if (p < WRITERS) {
					struct txn t;
					txn_init(&t, client);
					/* Force a write even when a copy exists. */
					struct staged *st;
					struct sink s;
					if (txn_stage(&t, &st, NULL) != KILN_OK)
						_exit(2);
					sink_init_fd(&s, st->fd, SIZE, SIZE, "blob");
					if (sink_write(&s, data, SIZE, NULL) != KILN_OK ||
					    sink_finish(&s, &d, NULL) != KILN_OK)
						_exit(3);
					st->digest = d;
					st->verified = 1;
					bad |= txn_commit(&t, NULL) != KILN_OK;
					txn_release(&t);
				} else {
					struct kiln_digest got;
					uint64_t n;
					if (kiln_digest_file(path, &got, &n, NULL) == KILN_OK)
						bad |= n != SIZE || !kiln_digest_equal(&got, &d);
				}
			}
			_exit(bad);
		}
	}
	for (int p = 0; p < WRITERS + READERS; p++) {
		int status = 0;
		waitpid(pids[p], &status, 0);
		ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_TRUE(store_has_verified(client, &d, SIZE));
	CU_ASSERT_EQUAL(count_in("tmp"), 0);
}

struct seen {
	int damaged, stray;
};

static void on_damage(void *ctx, const char *path, const char *what)
{
	struct seen *s = ctx;
	(void)path;
	if (strstr(what, "hashes to") != NULL || strstr(what, "record") != NULL)
		s->damaged++;
	if (strstr(what, "stray") != NULL)
		s->stray++;
}

static void test_verify_finds_damage(void)
{
	struct kiln_oci_store_report r;
	struct seen seen = {0, 0};
	struct kiln_digest d;
	struct txn t;
	char path[4200];
	int fd;

	CU_ASSERT_EQUAL(kiln_oci_store_verify(client, NULL, NULL, &r, NULL), KILN_OK);
	CU_ASSERT_EQUAL(r.damaged, 0);
	CU_ASSERT_TRUE(r.blobs >= 2);
	kiln_digest_buffer("to be damaged", 13, &d);
	txn_init(&t, client);
	CU_ASSERT_EQUAL(txn_stage_mem(&t, &d, "to be damaged", 13, NULL), KILN_OK);
	CU_ASSERT_EQUAL(txn_commit(&t, NULL), KILN_OK);
	txn_release(&t);
	store_blob_path(client, &d, path, sizeof path);
	fd = open(path, O_WRONLY);
	CU_ASSERT_EQUAL(pwrite(fd, "T", 1, 0), 1);
	close(fd);
	snprintf(path, sizeof path, "%s/blobs/sha256/not-a-digest", kiln_oci_client_store(client));
	CU_ASSERT_EQUAL(fx_write(path, "x", 1), 0);
	snprintf(path, sizeof path, "%s/tmp/blob-leftover", kiln_oci_client_store(client));
	CU_ASSERT_EQUAL(fx_write(path, "x", 1), 0);
	CU_ASSERT_EQUAL(kiln_oci_store_verify(client, on_damage, &seen, &r, NULL), KILN_EDIGEST);
	CU_ASSERT_EQUAL(r.damaged, 1);
	CU_ASSERT_EQUAL(r.strays, 1);
	CU_ASSERT_EQUAL(r.temps, 1);
	CU_ASSERT_EQUAL(seen.damaged, 1);
	CU_ASSERT_EQUAL(seen.stray, 1);
	unlink(path);
	snprintf(path, sizeof path, "%s/blobs/sha256/not-a-digest", kiln_oci_client_store(client));
	unlink(path);
	store_blob_path(client, &d, path, sizeof path);
	unlink(path);
}

/* push to a layout, pull from it, then tamper with it: no network used. */
static void test_layout_pull(void)
{
	char *dir = fx_tmpdir(), text[4300], wasm_path[4200], blob[4300];
	unsigned char wasm[4096];
	size_t n = fx_wasm(wasm, sizeof wasm, 2000), before;
	struct kiln_oci_artifact pushed, pulled;
	struct kiln_oci_ref ref;
	struct kiln_err err = {0};
	char *got;
	size_t got_len;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(wasm_path, sizeof wasm_path, "%s/ext.wasm", dir);
	CU_ASSERT_EQUAL_FATAL(fx_write(wasm_path, wasm, n), 0);
	snprintf(text, sizeof text, "oci-layout:%s/layout:v1", dir);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_ref_parse(text, 0, &ref, NULL), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_push_wasm(client, wasm_path, &ref, NULL, &pushed, &err),
			      KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_pull(client, &ref, NULL, NULL, &pulled, &err), KILN_OK);
	CU_ASSERT_TRUE(kiln_digest_equal(&pulled.manifest.digest, &pushed.manifest.digest));
	CU_ASSERT_TRUE(kiln_digest_equal(&pulled.layer.digest, &pushed.layer.digest));
	got = fx_read(pulled.path, &got_len);
	CU_ASSERT_EQUAL(got_len, n);
	CU_ASSERT_EQUAL(memcmp(got, wasm, n), 0);
	free(got);

	/* Pinned by digest, and by a wrong digest. */
	ref.pinned = 1;
	ref.digest = pushed.manifest.digest;
	CU_ASSERT_EQUAL(kiln_oci_pull(client, &ref, NULL, NULL, &pulled, &err), KILN_OK);
	kiln_digest_buffer("other", 5, &ref.digest);
	CU_ASSERT_EQUAL(kiln_oci_pull(client, &ref, NULL, NULL, &pulled, &err), KILN_ENOTFOUND);
	ref.pinned = 0;

	/* A tampered layer in the layout: refused, store unchanged. */
	store_blob_path(client, &pushed.layer.digest, blob, sizeof blob);
	unlink(blob);
	before = count_in("blobs");
	{
		char hex[80];
		snprintf(hex, sizeof hex, "%s", strrchr(blob, '/') + 1);
		snprintf(blob, sizeof blob, "%s/layout/blobs/sha256/%s", dir, hex);
	}
	fd = open(blob, O_WRONLY);
	CU_ASSERT_EQUAL(pwrite(fd, "\x01", 1, 100), 1);
	close(fd);
	CU_ASSERT_EQUAL(kiln_oci_pull(client, &ref, NULL, NULL, &pulled, &err), KILN_EDIGEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "digest mismatch"));
	CU_ASSERT_EQUAL(count_in("blobs"), before);
	CU_ASSERT_EQUAL(count_in("tmp"), 0);
	CU_ASSERT_STRING_EQUAL(pulled.path, "");
	fx_rmtree(dir);
	free(dir);
}

/* Re-tagging in a layout replaces the entry instead of adding one. */
static void test_layout_retag(void)
{
	char *dir = fx_tmpdir(), text[4300], wasm_path[4200], index[4300];
	unsigned char wasm[64];
	size_t n;
	struct kiln_oci_ref ref;
	struct kiln_oci_artifact a;
	char *idx, *p;
	int count = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(wasm_path, sizeof wasm_path, "%s/ext.wasm", dir);
	snprintf(text, sizeof text, "oci-layout:%s/l:v1", dir);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_ref_parse(text, 0, &ref, NULL), KILN_OK);
	for (size_t extra = 1; extra <= 3; extra++) {
		n = fx_wasm(wasm, sizeof wasm, extra);
		CU_ASSERT_EQUAL_FATAL(fx_write(wasm_path, wasm, n), 0);
		CU_ASSERT_EQUAL(kiln_oci_push_wasm(client, wasm_path, &ref, NULL, &a, NULL), KILN_OK);
	}
	snprintf(index, sizeof index, "%s/l/index.json", dir);
	idx = fx_read(index, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(idx);
	for (p = idx; (p = strstr(p, "\"org.opencontainers.image.ref.name\"")) != NULL; p++)
		count++;
	CU_ASSERT_EQUAL(count, 1);
	free(idx);
	fx_rmtree(dir);
	free(dir);
}

void kiln_test_oci_store(void)
{
	CU_pSuite s = CU_add_suite("oci_store", setup, teardown);
	CU_add_test(s, "commit", test_commit);
	CU_add_test(s, "abort leaves nothing", test_abort_leaves_nothing);
	CU_add_test(s, "sink limits", test_sink_limits);
	CU_add_test(s, "hashing on a thread", test_threaded_hash);
	CU_add_test(s, "concurrent writers", test_concurrent_writers);
	CU_add_test(s, "verify finds damage", test_verify_finds_damage);
	CU_add_test(s, "pull from a layout", test_layout_pull);
	CU_add_test(s, "layout re-tag", test_layout_retag);
}
