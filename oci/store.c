/*
 * store.c — the content-addressed store.
 *
 *     STORE/blobs/sha256/<hex>   verified blobs, named by their digest
 *     STORE/refs/<hex>           "digest\nreference\n": what a tag resolved
 *                                to (hex = SHA-256 of the reference text)
 *     STORE/tmp/                 blobs being written
 *
 * A blob is written to a temp file while it is hashed, fsync'd, and only
 * renamed into blobs/ when its digest and size checked out, so a reader
 * never sees a partial or unverified blob.  Concurrent pulls of the same
 * artifact each write their own temp file and rename over each other with
 * identical bytes; rename is atomic, so the result is always whole.
 * Blobs of one artifact land together (struct txn) or not at all.
 *
 * In offline mode the store also serves as a read-only endpoint.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_impl.h"

int store_init(const char *dir, char *abs, size_t cap, struct kiln_err *err)
{
	char sub[KILN_OCI_PATH_MAX];
	static const char *const subs[] = {"blobs/sha256", "refs", "tmp"};
	int rc;

	if ((rc = make_dirs(dir, err)) != KILN_OK)
		return rc;
	if (realpath(dir, sub) == NULL)
		return kiln_err_set(err, KILN_EIO, "%s: %s", dir, strerror(errno));
	if (fmt(abs, cap, "%s", sub) != KILN_OK)
		return kiln_err_set(err, KILN_ELIMIT, "%s: path too long", dir);
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (fmt(sub, sizeof sub, "%s/%s", abs, subs[i]) != KILN_OK)
			return kiln_err_set(err, KILN_ELIMIT, "%s: path too long", abs);
		if ((rc = make_dirs(sub, err)) != KILN_OK)
			return rc;
	}
	return KILN_OK;
}

int store_blob_path(const struct kiln_oci_client *c, const struct kiln_digest *d, char *buf,
		    size_t cap)
{
	char hex[2 * KILN_DIGEST_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, d->bytes, sizeof d->bytes);
	return fmt(buf, cap, "%s/blobs/sha256/%s", c->store, hex);
}

int store_has_verified(const struct kiln_oci_client *c, const struct kiln_digest *d,
		       uint64_t size)
{
	char path[KILN_OCI_PATH_MAX];
	struct kiln_digest got;
	struct stat st;
	uint64_t n;

	if (store_blob_path(c, d, path, sizeof path) != KILN_OK || stat(path, &st) != 0 ||
	    (uint64_t)st.st_size != size)
		return 0;
	if (kiln_digest_file(path, &got, &n, NULL) != KILN_OK)
		return 0;
	return n == size && kiln_digest_equal(&got, d);
}

static void record_path(const struct kiln_oci_client *c, const char *ref, char *buf, size_t cap)
{
	struct kiln_digest h;
	char hex[2 * KILN_DIGEST_BYTES + 1];
	kiln_digest_buffer(ref, strlen(ref), &h);
	sodium_bin2hex(hex, sizeof hex, h.bytes, sizeof h.bytes);
	fmt(buf, cap, "%s/refs/%s", c->store, hex);
}

/* A record is "sha256:<hex>\n<reference>\n". */
static int record_parse(const struct buf *b, const char *ref, struct kiln_digest *out,
			struct kiln_err *err)
{
	char line[KILN_DIGEST_STRLEN + 1];
	const char *nl = memchr(b->data, '\n', b->len);
	size_t rlen;

	if (nl == NULL || (size_t)(nl - (const char *)b->data) != KILN_DIGEST_STRLEN)
		return kiln_err_set(err, KILN_EFORMAT, "malformed tag record");
	memcpy(line, b->data, KILN_DIGEST_STRLEN);
	line[KILN_DIGEST_STRLEN] = '\0';
	rlen = b->len - KILN_DIGEST_STRLEN - 1;
	if (rlen == 0 || ((const char *)b->data)[b->len - 1] != '\n')
		return kiln_err_set(err, KILN_EFORMAT, "malformed tag record");
	if (ref != NULL && (rlen - 1 != strlen(ref) || memcmp(nl + 1, ref, rlen - 1) != 0))
		return kiln_err_set(err, KILN_EFORMAT, "tag record names another reference");
	return kiln_digest_parse(line, out, err);
}

int store_record_get(const struct kiln_oci_client *c, const char *ref, struct kiln_digest *out,
		     struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX];
	struct buf b = {0};
	int rc;

	record_path(c, ref, path, sizeof path);
	rc = read_file(path, KILN_OCI_REF_STRMAX + 128, &b, err);
	if (rc == KILN_ENOTFOUND)
		rc = kiln_err_set(err, KILN_EOFFLINE,
				  "%.300s is not in the store; pull it once online (or pin it by "
				  "digest)",
				  ref);
	else if (rc == KILN_OK && (rc = record_parse(&b, ref, out, err)) != KILN_OK)
		kiln_err_prefix(err, path);
	buf_release(&b);
	return rc;
}

/* -------------------------------------------------------------------- txn */

void txn_init(struct txn *t, struct kiln_oci_client *c)
{
	memset(t, 0, sizeof *t);
	t->client = c;
}

int txn_stage(struct txn *t, struct staged **out, struct kiln_err *err)
{
	struct staged *s;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		struct staged *p = realloc(t->blobs, cap * sizeof *p);
		if (p == NULL)
			return kiln_err_set(err, KILN_ENOMEM, "out of memory");
		t->blobs = p;
		t->cap = cap;
	}
	s = &t->blobs[t->n];
	memset(s, 0, sizeof *s);
	if (fmt(s->tmp, sizeof s->tmp, "%s/tmp/blob-XXXXXX", t->client->store) != KILN_OK)
		return kiln_err_set(err, KILN_ELIMIT, "store path too long");
	s->fd = mkostemp(s->tmp, O_CLOEXEC);
	if (s->fd < 0)
		return kiln_err_set(err, KILN_EIO, "%s: cannot create a temp file: %s", s->tmp,
				    strerror(errno));
	t->n++;
	*out = s;
	return KILN_OK;
}

int txn_stage_mem(struct txn *t, const struct kiln_digest *d, const void *data, size_t len,
		  struct kiln_err *err)
{
	struct staged *s;
	struct sink k;
	int rc;

	if (store_has_verified(t->client, d, len))
		return KILN_OK;
	if ((rc = txn_stage(t, &s, err)) != KILN_OK)
		return rc;
	sink_init_fd(&k, s->fd, len, len, "blob");
	if ((rc = sink_write(&k, data, len, err)) != KILN_OK) {
		sink_release(&k);
		return rc;
	}
	if ((rc = sink_finish(&k, d, err)) != KILN_OK)
		return rc;
	s->digest = *d;
	s->verified = 1;
	return KILN_OK;
}

int txn_record(struct txn *t, const char *ref, const struct kiln_digest *d, struct kiln_err *err)
{
	if (t->n_records == t->cap_records) {
		size_t cap = t->cap_records ? 2 * t->cap_records : 4;
		void *p = realloc(t->records, cap * sizeof *t->records);
		if (p == NULL)
			return kiln_err_set(err, KILN_ENOMEM, "out of memory");
		t->records = p;
		t->cap_records = cap;
	}
	if (fmt(t->records[t->n_records].ref, sizeof t->records[0].ref, "%s", ref) != KILN_OK)
		return kiln_err_set(err, KILN_ELIMIT, "reference too long");
	t->records[t->n_records].digest = *d;
	t->n_records++;
	return KILN_OK;
}

int txn_commit(struct txn *t, struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX], dir[KILN_OCI_PATH_MAX];
	int rc;

	/* Every blob is durable before any of them becomes visible. */
	for (size_t i = 0; i < t->n; i++) {
		struct staged *s = &t->blobs[i];
		if (!s->verified)
			return kiln_err_set(err, KILN_EINTERNAL, "%s: committing an unverified blob",
					    s->tmp);
		if (fsync(s->fd) != 0)
			return kiln_err_set(err, KILN_EIO, "%s: fsync: %s", s->tmp,
					    strerror(errno));
	}
	for (size_t i = 0; i < t->n; i++) {
		struct staged *s = &t->blobs[i];
		store_blob_path(t->client, &s->digest, path, sizeof path);
		if (rename(s->tmp, path) != 0)
			return kiln_err_set(err, KILN_EIO, "cannot rename %s to %s: %s", s->tmp,
					    path, strerror(errno));
		s->tmp[0] = '\0';
	}
	fmt(dir, sizeof dir, "%s/blobs/sha256", t->client->store);
	if (t->n > 0 && (rc = sync_dir(dir, err)) != KILN_OK)
		return rc;
	for (size_t i = 0; i < t->n_records; i++) {
		char text[KILN_OCI_REF_STRMAX + KILN_DIGEST_STRLEN + 4], dg[KILN_DIGEST_STRLEN + 1];
		kiln_digest_format(&t->records[i].digest, dg);
		if (fmt(text, sizeof text, "%s\n%s\n", dg, t->records[i].ref) != KILN_OK)
			return kiln_err_set(err, KILN_ELIMIT, "reference too long");
		record_path(t->client, t->records[i].ref, path, sizeof path);
		if ((rc = write_file_atomic(path, text, strlen(text), 0644, err)) != KILN_OK)
			return rc;
	}
	return KILN_OK;
}

void txn_release(struct txn *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->blobs[i].fd >= 0)
			close(t->blobs[i].fd);
		if (t->blobs[i].tmp[0] != '\0')
			unlink(t->blobs[i].tmp);
	}
	free(t->blobs);
	free(t->records);
	memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------- offline endpoint */

struct store_ep {
	struct endpoint base;
};

static int store_get_manifest(struct endpoint *ep, const char *reference, struct fetched *out,
			      struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX], text[KILN_OCI_REF_STRMAX + KILN_OCI_TAG_MAX + 2];
	struct kiln_digest d;
	int rc;

	if (strncmp(reference, "sha256:", 7) == 0) {
		if ((rc = kiln_digest_parse(reference, &d, err)) != KILN_OK)
			return rc;
	} else {
		if (fmt(text, sizeof text, "%s:%s", ep->name, reference) != KILN_OK)
			return kiln_err_set(err, KILN_ELIMIT, "reference too long");
		if ((rc = store_record_get(ep->client, text, &d, err)) != KILN_OK)
			return rc;
	}
	store_blob_path(ep->client, &d, path, sizeof path);
	rc = read_file(path, KILN_OCI_MANIFEST_MAX, &out->body, err);
	if (rc == KILN_ENOTFOUND) {
		char dg[KILN_DIGEST_STRLEN + 1];
		kiln_digest_format(&d, dg);
		return kiln_err_set(err, KILN_EOFFLINE, "manifest %s of %.300s is not in the store",
				    dg, ep->name);
	}
	out->media_type[0] = '\0';
	out->announced = 1;
	out->announced_digest = d;
	out->announced_by = "the store";
	return rc;
}

static int store_get_blob(struct endpoint *ep, const struct kiln_oci_descriptor *desc,
			  struct sink *s, struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX], dg[KILN_DIGEST_STRLEN + 1];
	int rc;

	store_blob_path(ep->client, &desc->digest, path, sizeof path);
	rc = sink_copy_file(s, path, err);
	if (rc == KILN_ENOTFOUND) {
		kiln_digest_format(&desc->digest, dg);
		rc = kiln_err_set(err, KILN_EOFFLINE, "blob %s of %.300s is not in the store", dg,
				  ep->name);
	}
	return rc;
}

static int store_put_blob(struct endpoint *ep, const struct kiln_oci_descriptor *desc,
			  const struct blob_src *src, struct kiln_err *err)
{
	(void)desc;
	(void)src;
	return kiln_err_set(err, KILN_EOFFLINE, "%.300s: cannot push while offline", ep->name);
}

static int store_put_manifest(struct endpoint *ep, const char *tag,
			      const struct kiln_oci_descriptor *desc, const void *body,
			      struct kiln_err *err)
{
	(void)tag;
	(void)desc;
	(void)body;
	return kiln_err_set(err, KILN_EOFFLINE, "%.300s: cannot push while offline", ep->name);
}

static void store_free(struct endpoint *ep)
{
	free(ep);
}

static const struct endpoint_ops store_ops = {
	store_get_manifest, store_get_blob, store_put_blob, store_put_manifest, store_free,
};

int store_endpoint_open(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
			struct endpoint **out, struct kiln_err *err)
{
	struct store_ep *s = calloc(1, sizeof *s);
	if (s == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	s->base.ops = &store_ops;
	s->base.client = c;
	ref_repo_text(ref, s->base.name, sizeof s->base.name);
	*out = &s->base;
	return KILN_OK;
}

/* ----------------------------------------------------------------- verify */

static int is_hex64(const char *s)
{
	size_t i = 0;
	for (; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

static void damage(kiln_oci_store_damage_fn *fn, void *ctx, const char *path, const char *what)
{
	if (fn != NULL)
		fn(ctx, path, what);
}

int kiln_oci_store_verify(struct kiln_oci_client *c, kiln_oci_store_damage_fn *on_damage,
			  void *ctx, struct kiln_oci_store_report *out, struct kiln_err *err)
{
	static const char *const dirs[] = {"blobs/sha256", "refs", "tmp"};
	struct kiln_oci_store_report r = {0};
	int rc = KILN_OK;

	for (size_t k = 0; k < sizeof dirs / sizeof dirs[0] && rc == KILN_OK; k++) {
		char dir[KILN_OCI_PATH_MAX], path[KILN_OCI_PATH_MAX], what[200];
		struct dirent *e;
		DIR *dh;

		fmt(dir, sizeof dir, "%s/%s", c->store, dirs[k]);
		dh = opendir(dir);
		if (dh == NULL) {
			rc = kiln_err_set(err, KILN_EIO, "%s: %s", dir, strerror(errno));
			break;
		}
		while ((e = readdir(dh)) != NULL) {
			struct kiln_digest want, got;
			struct buf b = {0};
			uint64_t n;

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (fmt(path, sizeof path, "%s/%s", dir, e->d_name) != KILN_OK)
				continue;
			if (k == 2) {
				r.temps++;
				continue;
			}
			if (!is_hex64(e->d_name)) {
				r.strays++;
				damage(on_damage, ctx, path, "stray file (not named by a digest)");
				continue;
			}
			if (k == 1) {
				/* A tag record must parse and point at a blob we hold. */
				if (read_file(path, KILN_OCI_REF_STRMAX + 128, &b, NULL) != KILN_OK ||
				    record_parse(&b, NULL, &want, NULL) != KILN_OK) {
					r.damaged++;
					damage(on_damage, ctx, path, "malformed tag record");
				} else {
					char blob[KILN_OCI_PATH_MAX];
					store_blob_path(c, &want, blob, sizeof blob);
					if (access(blob, F_OK) != 0) {
						r.damaged++;
						damage(on_damage, ctx, path,
						       "tag record points at a missing manifest");
					}
				}
				buf_release(&b);
				continue;
			}
			r.blobs++;
			sodium_hex2bin(want.bytes, sizeof want.bytes, e->d_name, 64, NULL, NULL,
				       NULL);
			if (kiln_digest_file(path, &got, &n, NULL) != KILN_OK) {
				r.damaged++;
				damage(on_damage, ctx, path, "unreadable");
			} else if (!kiln_digest_equal(&got, &want)) {
				char g[KILN_DIGEST_STRLEN + 1];
				kiln_digest_format(&got, g);
				fmt(what, sizeof what, "content hashes to %s (%llu bytes)", g,
				    (unsigned long long)n);
				r.damaged++;
				damage(on_damage, ctx, path, what);
			}
		}
		closedir(dh);
	}
	if (out != NULL)
		*out = r;
	if (rc == KILN_OK && r.damaged > 0)
		rc = kiln_err_set(err, KILN_EDIGEST, "%s: %zu of %zu blobs and records damaged",
				  c->store, r.damaged, r.blobs);
	return rc;
}
