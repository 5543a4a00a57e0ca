/*
 * pull.c — resolve, fetch, verify, store: kiln_oci_pull and the helpers
 * that push, copy and signatures share.
 *
 * Order matters.  Everything that is cheap and can refuse (manifest
 * digest, media types, layer count, kiln.lock, signature) is checked
 * before the layer is downloaded; the layer is hashed as it streams into
 * a temp file; nothing lands in the store until every check passed.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "oci_impl.h"

void resolved_release(struct resolved *r)
{
	buf_release(&r->index_body);
	buf_release(&r->body);
	doc_release(&r->m);
	memset(r, 0, sizeof *r);
}

int fetch_manifest(struct endpoint *ep, const char *reference, const struct kiln_digest *want,
		   struct fetched *out, struct kiln_digest *digest, struct kiln_err *err)
{
	char w[KILN_DIGEST_STRLEN + 1], g[KILN_DIGEST_STRLEN + 1];
	int rc = ep->ops->get_manifest(ep, reference, out, err);

	if (rc != KILN_OK)
		return rc;
	kiln_digest_buffer(out->body.data, out->body.len, digest);
	kiln_digest_format(digest, g);
	if (want != NULL && !kiln_digest_equal(digest, want)) {
		kiln_digest_format(want, w);
		return kiln_err_set(err, KILN_EDIGEST,
				    "manifest digest mismatch: asked for %s, the body hashes to %s", w,
				    g);
	}
	if (out->announced && !kiln_digest_equal(digest, &out->announced_digest)) {
		kiln_digest_format(&out->announced_digest, w);
		return kiln_err_set(err, KILN_EDIGEST,
				    "manifest digest mismatch: %s says %s, the body hashes to %s",
				    out->announced_by ? out->announced_by : "the source", w, g);
	}
	return KILN_OK;
}

static void descriptor_set(struct kiln_oci_descriptor *d, const char *mt,
			   const struct kiln_digest *digest, uint64_t size)
{
	fmt(d->media_type, sizeof d->media_type, "%s", mt);
	d->digest = *digest;
	d->size = size;
}

int resolve_wasm(struct endpoint *ep, const struct kiln_oci_ref *ref, struct resolved *out,
		 struct kiln_err *err)
{
	char reference[KILN_DIGEST_STRLEN + KILN_OCI_TAG_MAX + 2];
	struct fetched f;
	struct kiln_digest d;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&f, 0, sizeof f);
	if (ref->pinned)
		kiln_digest_format(&ref->digest, reference);
	else
		fmt(reference, sizeof reference, "%s", ref->tag);
	if ((rc = fetch_manifest(ep, reference, ref->pinned ? &ref->digest : NULL, &f, &d, err)) !=
		    KILN_OK ||
	    (rc = doc_parse(f.body.data, f.body.len, f.media_type, &out->m, err)) != KILN_OK)
		goto out;
	if (out->m.kind == DOC_INDEX) {
		struct kiln_oci_descriptor child;
		out->has_index = 1;
		descriptor_set(&out->index, out->m.media_type, &d, f.body.len);
		out->index_body = f.body;
		memset(&f, 0, sizeof f);
		rc = doc_select_wasm(&out->m, &child, err);
		doc_release(&out->m);
		if (rc != KILN_OK)
			goto out;
		kiln_digest_format(&child.digest, reference);
		if ((rc = fetch_manifest(ep, reference, &child.digest, &f, &d, err)) != KILN_OK ||
		    (rc = doc_parse(f.body.data, f.body.len, child.media_type, &out->m, err)) !=
			    KILN_OK)
			goto out;
		if (out->m.kind != DOC_MANIFEST) {
			rc = kiln_err_set(err, KILN_EMEDIATYPE,
					  "index entry %s is another index; kiln follows one level",
					  reference);
			goto out;
		}
	}
	descriptor_set(&out->manifest, out->m.media_type, &d, f.body.len);
	out->body = f.body;
	memset(&f, 0, sizeof f);
	rc = doc_check_wasm(&out->m, err);
out:
	buf_release(&f.body);
	return rc;
}

int fetch_blob_mem(struct endpoint *ep, const struct kiln_oci_descriptor *desc, uint64_t limit,
		   const char *what, struct buf *out, struct kiln_err *err)
{
	struct sink s;
	int rc;

	if (desc->size > limit)
		return kiln_err_set(err, KILN_ELIMIT, "the %s is %llu bytes, the limit is %llu",
				    what, (unsigned long long)desc->size,
				    (unsigned long long)limit);
	out->len = 0;
	sink_init_mem(&s, out, desc->size, desc->size, what);
	if ((rc = ep->ops->get_blob(ep, desc, &s, err)) != KILN_OK)
		return rc;
	return sink_finish(&s, &desc->digest, err);
}

int fetch_blob_store(struct endpoint *ep, struct txn *t, const struct kiln_oci_descriptor *desc,
		     uint64_t limit, const char *what, char *path, size_t cap,
		     struct kiln_err *err)
{
	struct kiln_oci_client *c = t->client;
	struct staged *st;
	struct sink s;
	int rc;

	store_blob_path(c, &desc->digest, path, cap);
	if (store_has_verified(c, &desc->digest, desc->size))
		return KILN_OK;
	if (desc->size > limit)
		return kiln_err_set(err, KILN_ELIMIT,
				    "the %s is %llu bytes, more than the limit of %llu "
				    "(--max-blob-size)",
				    what, (unsigned long long)desc->size, (unsigned long long)limit);
	if ((rc = txn_stage(t, &st, err)) != KILN_OK)
		return rc;
	sink_init_fd(&s, st->fd, desc->size, desc->size, what);
	if (c->o.progress != NULL && desc->size >= c->o.progress_min) {
		s.progress = c->o.progress;
		s.progress_ctx = c->o.progress_ctx;
		s.id = desc->digest;
	}
	if ((rc = ep->ops->get_blob(ep, desc, &s, err)) != KILN_OK) {
		sink_release(&s);
		return rc;
	}
	if ((rc = sink_finish(&s, &desc->digest, err)) != KILN_OK)
		return rc;
	st->digest = desc->digest;
	st->verified = 1;
	return KILN_OK;
}

/* KILN_ELOCK unless @a and @b describe the same bytes. */
static int same_descriptor(const char *what, const struct kiln_oci_descriptor *locked,
			   const struct kiln_oci_descriptor *got, struct kiln_err *err)
{
	char l[KILN_DIGEST_STRLEN + 1], g[KILN_DIGEST_STRLEN + 1];
	kiln_digest_format(&locked->digest, l);
	kiln_digest_format(&got->digest, g);
	if (!kiln_digest_equal(&locked->digest, &got->digest))
		return kiln_err_set(err, KILN_ELOCK, "%s is now %s, kiln.lock has %s", what, g, l);
	if (locked->size != got->size || strcmp(locked->media_type, got->media_type) != 0)
		return kiln_err_set(err, KILN_ELOCK,
				    "%s %s is %llu bytes of %s, kiln.lock says %llu bytes of %s", what,
				    g, (unsigned long long)got->size, got->media_type,
				    (unsigned long long)locked->size, locked->media_type);
	return KILN_OK;
}

static int check_locked(const struct kiln_oci_lock_entry *e, const struct resolved *r,
			const struct kiln_oci_pubkey *key, struct kiln_err *err)
{
	int rc;

	if (e->has_index != r->has_index)
		return kiln_err_set(err, KILN_ELOCK, "the reference now resolves %s an index, "
				    "kiln.lock says it did %s",
				    r->has_index ? "through" : "without", e->has_index ? "" : "not");
	if ((e->has_index && (rc = same_descriptor("the index", &e->index, &r->index, err))) ||
	    (rc = same_descriptor("the manifest", &e->manifest, &r->manifest, err)) ||
	    (rc = same_descriptor("the config", &e->config, &r->m.config, err)) ||
	    (rc = same_descriptor("the wasm layer", &e->layer, &r->m.layers[0], err)))
		return rc;
	if (e->signature.present && key == NULL) {
		char k[KILN_DIGEST_STRLEN + 1];
		kiln_digest_format(&e->signature.key, k);
		return kiln_err_set(err, KILN_ELOCK,
				    "kiln.lock requires a signature by key %s; pass that key "
				    "with --key",
				    k);
	}
	if (e->signature.present && !kiln_digest_equal(&e->signature.key, &key->id)) {
		char k[KILN_DIGEST_STRLEN + 1], g[KILN_DIGEST_STRLEN + 1];
		kiln_digest_format(&e->signature.key, k);
		kiln_digest_format(&key->id, g);
		return kiln_err_set(err, KILN_ELOCK, "kiln.lock requires key %s, --key is %s", k,
				    g);
	}
	return KILN_OK;
}

static int check_locked_signature(const struct kiln_oci_lock_entry *e,
				  const struct kiln_oci_signature_info *got, struct kiln_err *err)
{
	if (!e->signature.present)
		return KILN_OK;
	if (!kiln_digest_equal(&e->signature.payload, &got->payload) ||
	    strcmp(e->signature.signature, got->signature) != 0)
		return kiln_err_set(err, KILN_ELOCK,
				    "the signature differs from the one kiln.lock records");
	return KILN_OK;
}

/* The layer must start a core module, whether it was just staged in @t or
 * already sat verified at @path. */
static int check_layer_head(const struct txn *t, const struct kiln_oci_descriptor *layer,
			    const char *path, struct kiln_err *err)
{
	const struct staged *last = t->n > 0 ? &t->blobs[t->n - 1] : NULL;
	unsigned char head[8];
	ssize_t got = -1;
	int rc;

	if (last != NULL && kiln_digest_equal(&last->digest, &layer->digest)) {
		got = pread(last->fd, head, sizeof head, 0);
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			got = pread(fd, head, sizeof head, 0);
			close(fd);
		}
	}
	if ((rc = wasm_check_header(head, got < 0 ? 0 : (size_t)got, err)) != KILN_OK)
		kiln_err_prefix(err, "wasm layer");
	return rc;
}

int kiln_oci_pull(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
		  const struct kiln_oci_pubkey *key, const struct kiln_oci_lock_entry *locked,
		  struct kiln_oci_artifact *out, struct kiln_err *err)
{
	struct endpoint *ep = NULL;
	struct resolved r;
	struct txn t;
	struct buf config = {0};
	const struct kiln_digest *top;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&r, 0, sizeof r);
	txn_init(&t, c);
	kiln_oci_ref_format(ref, out->reference, sizeof out->reference);
	if ((rc = endpoint_open(c, ref, 0, &ep, err)) != KILN_OK ||
	    (rc = resolve_wasm(ep, ref, &r, err)) != KILN_OK)
		goto out;
	if (locked != NULL && (rc = check_locked(locked, &r, key, err)) != KILN_OK)
		goto out;
	top = r.has_index ? &r.index.digest : &r.manifest.digest;
	if (key != NULL) {
		if ((rc = signature_check(ep, ref, top, key, &t, &out->signature, err)) != KILN_OK)
			goto out;
		if (locked != NULL &&
		    (rc = check_locked_signature(locked, &out->signature, err)) != KILN_OK)
			goto out;
	}

	if ((rc = fetch_blob_mem(ep, &r.m.config, KILN_OCI_CONFIG_MAX, "config", &config, err)) !=
		    KILN_OK ||
	    (rc = config_check_wasm(config.data, config.len, r.m.config.media_type,
				    &r.m.layers[0], err)) != KILN_OK ||
	    (rc = txn_stage_mem(&t, &r.m.config.digest, config.data, config.len, err)) != KILN_OK)
		goto out;
	if ((rc = fetch_blob_store(ep, &t, &r.m.layers[0], c->o.max_blob_size, "wasm layer",
				   out->path, sizeof out->path, err)) != KILN_OK)
		goto out;
	if ((rc = check_layer_head(&t, &r.m.layers[0], out->path, err)) != KILN_OK)
		goto out;
	if ((rc = txn_stage_mem(&t, &r.manifest.digest, r.body.data, r.body.len, err)) != KILN_OK ||
	    (r.has_index && (rc = txn_stage_mem(&t, &r.index.digest, r.index_body.data,
						r.index_body.len, err)) != KILN_OK))
		goto out;
	if (ref->kind == KILN_OCI_REF_REGISTRY && !c->o.offline && !ref->pinned) {
		char text[KILN_OCI_REF_STRMAX];
		size_t n = ref_repo_text(ref, text, sizeof text);
		fmt(text + n, sizeof text - n, ":%s", ref->tag);
		if ((rc = txn_record(&t, text, top, err)) != KILN_OK)
			goto out;
	}
	if ((rc = txn_commit(&t, err)) != KILN_OK)
		goto out;
	out->has_index = r.has_index;
	out->index = r.index;
	out->manifest = r.manifest;
	out->config = r.m.config;
	out->layer = r.m.layers[0];
out:
	if (rc != KILN_OK) {
		kiln_err_prefix(err, out->reference);
		out->path[0] = '\0';
	}
	txn_release(&t);
	buf_release(&config);
	resolved_release(&r);
	endpoint_free(ep);
	return rc;
}
