/*
 * push.c — writing artifacts: package a core module as a CNCF wasm
 * artifact (kiln_oci_push_wasm), and mirror an artifact with its
 * signature from one endpoint to another (kiln_oci_copy).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oci_impl.h"

#define ANN_CREATED "org.opencontainers.image.created"
#define ANN_TITLE "org.opencontainers.image.title"
#define ANN_VERSION "org.opencontainers.image.version"

/* RFC 3339 UTC from $SOURCE_DATE_EPOCH (reproducible builds) or now. */
static int created_now(char *buf, size_t cap, struct kiln_err *err)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t t = time(NULL);
	struct tm tm;

	if (sde != NULL && sde[0] != '\0') {
		char *end;
		long long v;
		errno = 0;
		v = strtoll(sde, &end, 10);
		if (*end != '\0' || errno != 0 || v < 0)
			return kiln_err_set(err, KILN_EINVAL,
					    "SOURCE_DATE_EPOCH \"%.30s\" is not a number of seconds",
					    sde);
		t = (time_t)v;
	}
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return kiln_err_set(err, KILN_EINTERNAL, "cannot format the time");
	return KILN_OK;
}

static int read_head(const char *path, unsigned char head[8], size_t *n, struct kiln_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;
	if (fd < 0)
		return kiln_err_set(err, errno == ENOENT ? KILN_ENOTFOUND : KILN_EIO, "%s: %s",
				    path, strerror(errno));
	got = pread(fd, head, 8, 0);
	close(fd);
	if (got < 0)
		return kiln_err_set(err, KILN_EIO, "%s: %s", path, strerror(errno));
	*n = (size_t)got;
	return KILN_OK;
}

static json_t *manifest_annotations(const struct kiln_oci_push_options *po, const char *created,
				    const char *title, const char *version, struct kiln_err *err)
{
	json_t *a = json_pack("{s:s, s:s, s:s}", ANN_CREATED, created, ANN_TITLE, title,
			      ANN_VERSION, version);
	for (size_t i = 0; a != NULL && po != NULL && i < po->n_annotations; i++) {
		const char *kv = po->annotations[i], *eq = strchr(kv, '=');
		char key[256];
		if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof key) {
			kiln_err_set(err, KILN_EINVAL, "annotation \"%.100s\": expected KEY=VALUE",
				     kv);
			json_decref(a);
			return NULL;
		}
		memcpy(key, kv, (size_t)(eq - kv));
		key[eq - kv] = '\0';
		if (json_object_set_new(a, key, json_string(eq + 1)) != 0) {
			kiln_err_set(err, KILN_EINVAL, "annotation \"%.100s\": value is not UTF-8",
				     kv);
			json_decref(a);
			return NULL;
		}
	}
	if (a == NULL && (err == NULL || err->code == KILN_OK))
		kiln_err_set(err, KILN_ENOMEM, "out of memory");
	return a;
}

int kiln_oci_push_wasm(struct kiln_oci_client *c, const char *wasm_path,
		       const struct kiln_oci_ref *dst, const struct kiln_oci_push_options *po,
		       struct kiln_oci_artifact *out, struct kiln_err *err)
{
	struct kiln_oci_artifact art;
	struct endpoint *ep = NULL;
	struct buf cfg = {0}, man = {0};
	json_t *anns = NULL, *layer_ann = NULL;
	char created[64];
	const char *title = strrchr(wasm_path, '/') ? strrchr(wasm_path, '/') + 1 : wasm_path;
	unsigned char head[8];
	size_t hn = 0;
	int rc;

	memset(&art, 0, sizeof art);
	kiln_err_clear(err);
	kiln_oci_ref_format(dst, art.reference, sizeof art.reference);
	if (dst->pinned || dst->tag[0] == '\0') {
		rc = kiln_err_set(err, KILN_EREF,
				  "push needs a destination with a tag and no digest (the digest "
				  "is what pushing computes)");
		goto out;
	}
	if ((rc = read_head(wasm_path, head, &hn, err)) != KILN_OK)
		goto out;
	if ((rc = wasm_check_header(head, hn, err)) != KILN_OK) {
		kiln_err_prefix(err, wasm_path);
		goto out;
	}
	fmt(art.layer.media_type, sizeof art.layer.media_type, "%s", KILN_MT_WASM_LAYER);
	if ((rc = kiln_digest_file(wasm_path, &art.layer.digest, &art.layer.size, err)) != KILN_OK)
		goto out;
	if (po != NULL && po->created != NULL)
		fmt(created, sizeof created, "%s", po->created);
	else if ((rc = created_now(created, sizeof created, err)) != KILN_OK)
		goto out;
	if ((rc = build_wasm_config(&art.layer, created, &cfg, err)) != KILN_OK)
		goto out;
	fmt(art.config.media_type, sizeof art.config.media_type, "%s", KILN_MT_WASM_CONFIG);
	kiln_digest_buffer(cfg.data, cfg.len, &art.config.digest);
	art.config.size = cfg.len;

	anns = manifest_annotations(po, created, title, dst->tag, err);
	layer_ann = json_pack("{s:s}", ANN_TITLE, title);
	if (anns == NULL || layer_ann == NULL) {
		rc = anns == NULL ? err->code : kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = build_manifest(&art.config, &art.layer, 1, &layer_ann, anns, &man, err)) !=
	    KILN_OK)
		goto out;
	fmt(art.manifest.media_type, sizeof art.manifest.media_type, "%s", KILN_MT_OCI_MANIFEST);
	kiln_digest_buffer(man.data, man.len, &art.manifest.digest);
	art.manifest.size = man.len;

	if ((rc = endpoint_open(c, dst, 1, &ep, err)) != KILN_OK)
		goto out;
	{
		struct blob_src ls = {wasm_path, NULL, 0};
		struct blob_src cs = {NULL, cfg.data, cfg.len};
		if ((rc = ep->ops->put_blob(ep, &art.layer, &ls, err)) != KILN_OK ||
		    (rc = ep->ops->put_blob(ep, &art.config, &cs, err)) != KILN_OK ||
		    (rc = ep->ops->put_manifest(ep, dst->tag, &art.manifest, man.data, err)) !=
			    KILN_OK)
			goto out;
	}
	if (out != NULL)
		*out = art;
out:
	if (rc != KILN_OK)
		kiln_err_prefix(err, art.reference);
	json_decref(anns);
	json_decref(layer_ann);
	buf_release(&cfg);
	buf_release(&man);
	endpoint_free(ep);
	return rc;
}

/* Upload a blob the store holds (verified by the pull that put it there). */
static int put_from_store(struct endpoint *dst, const struct kiln_oci_descriptor *d,
			  struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX];
	struct blob_src src = {path, NULL, 0};
	store_blob_path(dst->client, &d->digest, path, sizeof path);
	return dst->ops->put_blob(dst, d, &src, err);
}

static int put_manifest_from_store(struct endpoint *dst, const char *tag,
				   const struct kiln_oci_descriptor *d, struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX];
	struct buf b = {0};
	int rc;
	store_blob_path(dst->client, &d->digest, path, sizeof path);
	if ((rc = read_file(path, KILN_OCI_MANIFEST_MAX, &b, err)) == KILN_OK)
		rc = dst->ops->put_manifest(dst, tag, d, b.data, err);
	buf_release(&b);
	return rc;
}

/* Copy the signature manifest of @top, if @src has one, verifying bytes. */
static int copy_signature(struct endpoint *src, struct endpoint *dst,
			  const struct kiln_digest *top, struct kiln_err *err)
{
	char tag[KILN_OCI_TAG_MAX + 1];
	struct kiln_oci_descriptor md;
	struct fetched f;
	struct doc doc;
	struct buf b = {0};
	int rc;

	memset(&f, 0, sizeof f);
	memset(&doc, 0, sizeof doc);
	sig_tag(top, tag);
	rc = fetch_manifest(src, tag, NULL, &f, &md.digest, err);
	if (rc == KILN_ENOTFOUND || rc == KILN_EOFFLINE) {
		rc = KILN_OK; /* unsigned: nothing to copy */
		kiln_err_clear(err);
		goto out;
	}
	if (rc != KILN_OK ||
	    (rc = doc_parse(f.body.data, f.body.len, f.media_type, &doc, err)) != KILN_OK ||
	    (rc = doc_check_signature(&doc, err)) != KILN_OK)
		goto out;
	for (size_t i = 0; i <= doc.n_layers; i++) {
		const struct kiln_oci_descriptor *d = i < doc.n_layers ? &doc.layers[i] : &doc.config;
		struct blob_src bs;
		if ((rc = fetch_blob_mem(src, d, KILN_OCI_CONFIG_MAX, "signature blob", &b, err)) !=
		    KILN_OK)
			goto out;
		bs.path = NULL;
		bs.data = b.data;
		bs.len = b.len;
		if ((rc = dst->ops->put_blob(dst, d, &bs, err)) != KILN_OK)
			goto out;
	}
	fmt(md.media_type, sizeof md.media_type, "%s", doc.media_type);
	md.size = f.body.len;
	rc = dst->ops->put_manifest(dst, tag, &md, f.body.data, err);
out:
	if (rc != KILN_OK)
		kiln_err_prefix(err, "signature");
	buf_release(&b);
	buf_release(&f.body);
	doc_release(&doc);
	return rc;
}

int kiln_oci_copy(struct kiln_oci_client *c, const struct kiln_oci_ref *src,
		  const struct kiln_oci_ref *dst, struct kiln_oci_artifact *out,
		  struct kiln_err *err)
{
	struct kiln_oci_artifact art;
	struct endpoint *from = NULL, *to = NULL;
	const char *tag = dst->tag[0] ? dst->tag : src->tag;
	char text[KILN_OCI_REF_STRMAX];
	int rc;

	if (dst->pinned || tag[0] == '\0')
		return kiln_err_set(err, KILN_EREF,
				    "the destination needs a tag (its own or the source's) and no "
				    "digest");
	if ((rc = kiln_oci_pull(c, src, NULL, NULL, &art, err)) != KILN_OK)
		return rc;
	if ((rc = endpoint_open(c, src, 0, &from, err)) != KILN_OK ||
	    (rc = endpoint_open(c, dst, 1, &to, err)) != KILN_OK)
		goto out;
	if ((rc = put_from_store(to, &art.layer, err)) != KILN_OK ||
	    (rc = put_from_store(to, &art.config, err)) != KILN_OK)
		goto out;
	if (art.has_index) {
		if ((rc = put_manifest_from_store(to, "", &art.manifest, err)) != KILN_OK ||
		    (rc = put_manifest_from_store(to, tag, &art.index, err)) != KILN_OK)
			goto out;
	} else if ((rc = put_manifest_from_store(to, tag, &art.manifest, err)) != KILN_OK) {
		goto out;
	}
	rc = copy_signature(from, to, art.has_index ? &art.index.digest : &art.manifest.digest,
			    err);
out:
	if (rc != KILN_OK) {
		kiln_oci_ref_format(dst, text, sizeof text);
		kiln_err_prefix(err, text);
	} else if (out != NULL) {
		*out = art;
	}
	endpoint_free(from);
	endpoint_free(to);
	return rc;
}
