/*
 * layout.c — OCI image-layout directories as an endpoint:
 *
 *     DIR/oci-layout          {"imageLayoutVersion":"1.0.0"}
 *     DIR/index.json          an index; tags are the
 *                             org.opencontainers.image.ref.name annotation
 *     DIR/blobs/sha256/<hex>  content
 *
 * Blobs are written like the store writes them (temp file in DIR,
 * verified, fsync'd, renamed).  index.json is rewritten atomically under
 * an flock on DIR, so concurrent writers do not lose each other's tags.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_impl.h"

#define INDEX_MAX (16u << 20)

struct layout {
	struct endpoint base;
	char dir[KILN_OCI_PATH_MAX];
};

static int blob_path(const struct layout *l, const struct kiln_digest *d, char *buf, size_t cap)
{
	char hex[2 * KILN_DIGEST_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, d->bytes, sizeof d->bytes);
	return fmt(buf, cap, "%s/blobs/sha256/%s", l->dir, hex);
}

static int index_path(const struct layout *l, char *buf, size_t cap)
{
	return fmt(buf, cap, "%s/index.json", l->dir);
}

static json_t *index_load(const struct layout *l, struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX];
	struct buf b = {0};
	json_t *j = NULL;

	index_path(l, path, sizeof path);
	if (read_file(path, INDEX_MAX, &b, err) == KILN_OK) {
		j = json_parse_strict(b.data, b.len, path, err);
		if (j != NULL && !json_is_array(json_object_get(j, "manifests"))) {
			kiln_err_set(err, KILN_EFORMAT, "%s: manifests must be an array", path);
			json_decref(j);
			j = NULL;
		}
	}
	buf_release(&b);
	return j;
}

static const char *ref_name(const json_t *entry)
{
	const json_t *ann = json_object_get(entry, "annotations");
	const json_t *name = json_object_get(ann, KILN_ANNOTATION_REF_NAME);
	return json_is_string(name) ? json_string_value(name) : NULL;
}

/* The index entry tagged @tag, or with digest @d when @tag is NULL. */
static int index_find(const struct layout *l, const char *tag, const struct kiln_digest *d,
		      struct kiln_oci_descriptor *out, struct kiln_err *err)
{
	json_t *idx = index_load(l, err);
	const json_t *ms, *e, *hit = NULL;
	size_t i, hits = 0;
	int rc = KILN_OK;

	if (idx == NULL)
		return err != NULL ? err->code : KILN_EFORMAT;
	ms = json_object_get(idx, "manifests");
	json_array_foreach(ms, i, e) {
		struct kiln_oci_descriptor desc;
		const char *name = ref_name(e);
		if (tag != NULL) {
			if (name == NULL || strcmp(name, tag) != 0)
				continue;
		} else {
			const json_t *dg = json_object_get(e, "digest");
			char want[KILN_DIGEST_STRLEN + 1];
			kiln_digest_format(d, want);
			if (!json_is_string(dg) || strcmp(json_string_value(dg), want) != 0)
				continue;
		}
		if (hit == NULL) {
			char where[64];
			fmt(where, sizeof where, "%s index.json entry %zu", l->base.name, i);
			if ((rc = descriptor_from_json(e, where, &desc, err)) != KILN_OK)
				goto out;
			*out = desc;
			hit = e;
		}
		hits++;
	}
	if (hit == NULL)
		rc = kiln_err_set(err, KILN_ENOTFOUND, "%.300s: no manifest tagged \"%s\"",
				  l->base.name, tag ? tag : "");
	else if (tag != NULL && hits > 1)
		rc = kiln_err_set(err, KILN_EFORMAT, "%.300s: %zu manifests are tagged \"%s\"",
				  l->base.name, hits, tag);
out:
	json_decref(idx);
	return rc;
}

static int lay_get_manifest(struct endpoint *ep, const char *reference, struct fetched *out,
			    struct kiln_err *err)
{
	struct layout *l = (struct layout *)ep;
	struct kiln_oci_descriptor desc;
	char path[KILN_OCI_PATH_MAX];
	int rc;

	memset(&desc, 0, sizeof desc);
	if (strncmp(reference, "sha256:", 7) == 0) {
		if ((rc = kiln_digest_parse(reference, &desc.digest, err)) != KILN_OK)
			return rc;
		/* The media type is in the index when the manifest is listed there. */
		if (index_find(l, NULL, &desc.digest, &desc, NULL) != KILN_OK)
			desc.media_type[0] = '\0';
	} else if ((rc = index_find(l, reference, NULL, &desc, err)) != KILN_OK) {
		return rc;
	}
	if (desc.size > KILN_OCI_MANIFEST_MAX)
		return kiln_err_set(err, KILN_ELIMIT, "%.300s: manifest of %llu bytes, limit %u",
				    l->base.name, (unsigned long long)desc.size,
				    KILN_OCI_MANIFEST_MAX);
	blob_path(l, &desc.digest, path, sizeof path);
	if ((rc = read_file(path, KILN_OCI_MANIFEST_MAX, &out->body, err)) != KILN_OK)
		return rc;
	fmt(out->media_type, sizeof out->media_type, "%s", desc.media_type);
	out->announced = 1;
	out->announced_digest = desc.digest;
	out->announced_by = "index.json";
	return KILN_OK;
}

static int lay_get_blob(struct endpoint *ep, const struct kiln_oci_descriptor *desc,
			struct sink *s, struct kiln_err *err)
{
	struct layout *l = (struct layout *)ep;
	char path[KILN_OCI_PATH_MAX], dg[KILN_DIGEST_STRLEN + 1];
	int rc;

	blob_path(l, &desc->digest, path, sizeof path);
	rc = sink_copy_file(s, path, err);
	if (rc == KILN_ENOTFOUND) {
		kiln_digest_format(&desc->digest, dg);
		rc = kiln_err_set(err, KILN_ENOTFOUND, "%.300s: blob %s is missing", l->base.name,
				  dg);
	}
	return rc;
}

/* Copy @src into the layout through a verifying sink, then rename. */
static int lay_put_blob(struct endpoint *ep, const struct kiln_oci_descriptor *desc,
			const struct blob_src *src, struct kiln_err *err)
{
	struct layout *l = (struct layout *)ep;
	char path[KILN_OCI_PATH_MAX], tmp[KILN_OCI_PATH_MAX], dir[KILN_OCI_PATH_MAX];
	struct sink s;
	int fd, rc;

	blob_path(l, &desc->digest, path, sizeof path);
	{
		struct kiln_digest got;
		uint64_t n;
		if (kiln_digest_file(path, &got, &n, NULL) == KILN_OK && n == desc->size &&
		    kiln_digest_equal(&got, &desc->digest))
			return KILN_OK;
	}
	fmt(tmp, sizeof tmp, "%s/.kiln-tmp-XXXXXX", l->dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return kiln_err_set(err, KILN_EIO, "%s: cannot create a temp file: %s", l->dir,
				    strerror(errno));
	sink_init_fd(&s, fd, desc->size, desc->size, "blob");
	if (src->path != NULL)
		rc = sink_copy_file(&s, src->path, err);
	else
		rc = sink_write(&s, src->data, src->len, err);
	if (rc == KILN_OK)
		rc = sink_finish(&s, &desc->digest, err);
	else
		sink_release(&s);
	if (rc == KILN_OK && (fsync(fd) != 0 || fchmod(fd, 0644) != 0))
		rc = kiln_err_set(err, KILN_EIO, "%s: %s", tmp, strerror(errno));
	close(fd);
	if (rc == KILN_OK && rename(tmp, path) != 0)
		rc = kiln_err_set(err, KILN_EIO, "cannot rename %s to %s: %s", tmp, path,
				  strerror(errno));
	if (rc != KILN_OK) {
		unlink(tmp);
		return rc;
	}
	fmt(dir, sizeof dir, "%s/blobs/sha256", l->dir);
	return sync_dir(dir, err);
}

static int lay_put_manifest(struct endpoint *ep, const char *tag,
			    const struct kiln_oci_descriptor *desc, const void *body,
			    struct kiln_err *err)
{
	struct layout *l = (struct layout *)ep;
	struct blob_src src = {NULL, body, (size_t)desc->size};
	char path[KILN_OCI_PATH_MAX];
	struct buf out = {0};
	json_t *idx = NULL, *ms, *entry = NULL;
	int dfd = -1, rc;

	if ((rc = lay_put_blob(ep, desc, &src, err)) != KILN_OK)
		return rc;
	/* Serialise index.json updates between writers. */
	dfd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || flock(dfd, LOCK_EX) != 0) {
		rc = kiln_err_set(err, KILN_EIO, "%s: cannot lock: %s", l->dir, strerror(errno));
		goto out;
	}
	if ((idx = index_load(l, err)) == NULL) {
		rc = err != NULL ? err->code : KILN_EFORMAT;
		goto out;
	}
	ms = json_object_get(idx, "manifests");
	entry = descriptor_json(desc);
	if (entry == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	if (tag[0] != '\0') {
		/* A tag names one manifest: drop whatever it named before. */
		for (size_t i = json_array_size(ms); i-- > 0;) {
			const char *name = ref_name(json_array_get(ms, i));
			if (name != NULL && strcmp(name, tag) == 0)
				json_array_remove(ms, i);
		}
		if (json_object_set_new(entry, "annotations",
					json_pack("{s:s}", KILN_ANNOTATION_REF_NAME, tag)) != 0) {
			rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (json_array_append(ms, entry) != 0 || (rc = json_emit(idx, &out, err)) != KILN_OK) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	index_path(l, path, sizeof path);
	rc = write_file_atomic(path, out.data, out.len, 0644, err);
out:
	if (dfd >= 0)
		close(dfd); /* releases the lock */
	json_decref(entry);
	json_decref(idx);
	buf_release(&out);
	return rc;
}

static void lay_free(struct endpoint *ep)
{
	free(ep);
}

static const struct endpoint_ops layout_ops = {
	lay_get_manifest, lay_get_blob, lay_put_blob, lay_put_manifest, lay_free,
};

static int layout_check(const struct layout *l, struct kiln_err *err)
{
	char path[KILN_OCI_PATH_MAX];
	struct buf b = {0};
	json_t *j = NULL;
	const json_t *v;
	int rc;

	fmt(path, sizeof path, "%s/oci-layout", l->dir);
	rc = read_file(path, 4096, &b, err);
	if (rc == KILN_ENOTFOUND)
		rc = kiln_err_set(err, KILN_ENOTFOUND,
				  "%s is not an OCI image layout (no oci-layout file)", l->dir);
	if (rc != KILN_OK)
		goto out;
	if ((j = json_parse_strict(b.data, b.len, path, err)) == NULL) {
		rc = KILN_EFORMAT;
		goto out;
	}
	v = json_object_get(j, "imageLayoutVersion");
	if (!json_is_string(v) || strcmp(json_string_value(v), "1.0.0") != 0)
		rc = kiln_err_set(err, KILN_EFORMAT, "%s: imageLayoutVersion must be \"1.0.0\"",
				  path);
out:
	json_decref(j);
	buf_release(&b);
	return rc;
}

static int layout_create(const struct layout *l, struct kiln_err *err)
{
	static const char layout_doc[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	static const char index_doc[] =
		"{\"manifests\":[],\"mediaType\":\"" KILN_MT_OCI_INDEX "\",\"schemaVersion\":2}";
	char path[KILN_OCI_PATH_MAX];
	int rc;

	fmt(path, sizeof path, "%s/blobs/sha256", l->dir);
	if ((rc = make_dirs(path, err)) != KILN_OK)
		return rc;
	fmt(path, sizeof path, "%s/index.json", l->dir);
	if (access(path, F_OK) != 0 &&
	    (rc = write_file_atomic(path, index_doc, sizeof index_doc - 1, 0644, err)) != KILN_OK)
		return rc;
	fmt(path, sizeof path, "%s/oci-layout", l->dir);
	if (access(path, F_OK) != 0 &&
	    (rc = write_file_atomic(path, layout_doc, sizeof layout_doc - 1, 0644, err)) != KILN_OK)
		return rc;
	return KILN_OK;
}

int layout_open(struct kiln_oci_client *c, const char *dir, int for_write,
		struct endpoint **out, struct kiln_err *err)
{
	struct layout *l = calloc(1, sizeof *l);
	int rc;

	if (l == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	l->base.ops = &layout_ops;
	l->base.client = c;
	fmt(l->dir, sizeof l->dir, "%s", dir);
	fmt(l->base.name, sizeof l->base.name, "oci-layout:%s", dir);
	if ((for_write && (rc = layout_create(l, err)) != KILN_OK) ||
	    (rc = layout_check(l, err)) != KILN_OK) {
		free(l);
		return rc;
	}
	*out = &l->base;
	return KILN_OK;
}
