/*
 * lock.c — kiln.lock: what every extension reference resolved to, so that
 * a build tomorrow uses the same bytes as today.
 *
 *     {
 *       "extensions": {
 *         "NAME": {
 *           "config":    {"digest": ..., "mediaType": ..., "size": ...},
 *           "index":     {...}                  (only when resolved through one)
 *           "layer":     {...},
 *           "manifest":  {...},
 *           "reference": "host/repo:tag",
 *           "signature": null | {"key": "sha256:...", "payload": "sha256:...",
 *                                "signature": "<base64>"}
 *         }
 *       },
 *       "kilnLockVersion": 1,
 *       "wasm2c": "1.0.32"
 *     }
 *
 * Keys are sorted and the output is indented, so the file diffs well and
 * the same lock always has the same bytes.  Reading is strict: unknown or
 * missing fields are errors, since a lock nobody can interpret pins nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "oci_impl.h"

#define LOCK_VERSION 1
#define LOCK_MAX (16u << 20)

static int name_valid(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > KILN_OCI_NAME_MAX)
		return 0;
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || n[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

void kiln_oci_lock_release(struct kiln_oci_lock *lock)
{
	free(lock->entries);
	memset(lock, 0, sizeof *lock);
}

const struct kiln_oci_lock_entry *kiln_oci_lock_find(const struct kiln_oci_lock *lock,
						     const char *name)
{
	for (size_t i = 0; i < lock->count; i++)
		if (strcmp(lock->entries[i].name, name) == 0)
			return &lock->entries[i];
	return NULL;
}

const struct kiln_oci_lock_entry *kiln_oci_lock_find_ref(const struct kiln_oci_lock *lock,
							 const char *reference)
{
	for (size_t i = 0; i < lock->count; i++)
		if (strcmp(lock->entries[i].reference, reference) == 0)
			return &lock->entries[i];
	return NULL;
}

int kiln_oci_lock_check_tool(const struct kiln_oci_lock *lock, const char *version,
			     struct kiln_err *err)
{
	if (lock->wasm2c_version[0] != '\0' && strcmp(lock->wasm2c_version, version) != 0)
		return kiln_err_set(err, KILN_ELOCK,
				    "kiln.lock was made with wasm2c %s, this machine has %.60s",
				    lock->wasm2c_version, version);
	return KILN_OK;
}

/* ------------------------------------------------------------------ write */

static json_t *signature_json(const struct kiln_oci_signature_info *s)
{
	char k[KILN_DIGEST_STRLEN + 1], p[KILN_DIGEST_STRLEN + 1];
	if (!s->present)
		return json_null();
	kiln_digest_format(&s->key, k);
	kiln_digest_format(&s->payload, p);
	return json_pack("{s:s, s:s, s:s}", "key", k, "payload", p, "signature", s->signature);
}

static json_t *entry_json(const struct kiln_oci_lock_entry *e)
{
	json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o}", "reference", e->reference, "manifest",
			      descriptor_json(&e->manifest), "config", descriptor_json(&e->config),
			      "layer", descriptor_json(&e->layer), "signature",
			      signature_json(&e->signature));
	if (j != NULL && e->has_index &&
	    json_object_set_new(j, "index", descriptor_json(&e->index)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int kiln_oci_lock_write(const char *path, const struct kiln_oci_lock *lock, struct kiln_err *err)
{
	json_t *root = NULL, *exts = NULL;
	char *text = NULL;
	int rc = KILN_ENOMEM;

	exts = json_object();
	if (exts == NULL)
		goto out;
	for (size_t i = 0; i < lock->count; i++) {
		const struct kiln_oci_lock_entry *e = &lock->entries[i];
		if (!name_valid(e->name)) {
			rc = kiln_err_set(err, KILN_EINVAL, "kiln.lock: bad extension name \"%.80s\"",
					  e->name);
			goto out;
		}
		if (json_object_set_new(exts, e->name, entry_json(e)) != 0)
			goto out;
	}
	root = json_pack("{s:i, s:s, s:O}", "kilnLockVersion", LOCK_VERSION, "wasm2c",
			 lock->wasm2c_version, "extensions", exts);
	if (root == NULL)
		goto out;
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		goto out;
	{
		size_t n = strlen(text);
		char *t = realloc(text, n + 2);
		if (t == NULL)
			goto out;
		text = t;
		text[n] = '\n';
		text[n + 1] = '\0';
		rc = write_file_atomic(path, text, n + 1, 0644, err);
	}
out:
	if (rc == KILN_ENOMEM)
		kiln_err_set(err, rc, "out of memory writing %s", path);
	free(text);
	json_decref(root);
	json_decref(exts);
	return rc;
}

/* ------------------------------------------------------------------- read */

static int only_keys(const json_t *obj, const char *const *keys, size_t n, const char *where,
		     struct kiln_err *err)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)obj, k, v) {
		size_t i = 0;
		(void)v;
		while (i < n && strcmp(k, keys[i]) != 0)
			i++;
		if (i == n)
			return kiln_err_set(err, KILN_EFORMAT, "%s: unknown field \"%.60s\"", where, k);
	}
	return KILN_OK;
}

static int signature_from_json(const json_t *j, const char *where,
			       struct kiln_oci_signature_info *s, struct kiln_err *err)
{
	static const char *const keys[] = {"key", "payload", "signature"};
	const json_t *k = json_object_get(j, "key"), *p = json_object_get(j, "payload");
	const json_t *sig = json_object_get(j, "signature");
	int rc;

	memset(s, 0, sizeof *s);
	if (json_is_null(j))
		return KILN_OK;
	if (!json_is_object(j))
		return kiln_err_set(err, KILN_EFORMAT, "%s: signature must be null or an object",
				    where);
	if ((rc = only_keys(j, keys, 3, where, err)) != KILN_OK)
		return rc;
	if (!json_is_string(k) || !json_is_string(p) || !json_is_string(sig) ||
	    strlen(json_string_value(sig)) >= sizeof s->signature)
		return kiln_err_set(err, KILN_EFORMAT,
				    "%s: signature needs string fields key, payload and signature",
				    where);
	if (kiln_digest_parse(json_string_value(k), &s->key, err) != KILN_OK ||
	    kiln_digest_parse(json_string_value(p), &s->payload, err) != KILN_OK) {
		kiln_err_prefix(err, where);
		return KILN_EFORMAT;
	}
	fmt(s->signature, sizeof s->signature, "%s", json_string_value(sig));
	s->present = 1;
	return KILN_OK;
}

static int entry_from_json(const char *name, const json_t *j, struct kiln_oci_lock_entry *e,
			   struct kiln_err *err)
{
	static const char *const keys[] = {"reference", "index", "manifest",
					   "config",    "layer", "signature"};
	char where[KILN_OCI_NAME_MAX + 64];
	struct kiln_oci_ref ref;
	const json_t *r = json_object_get(j, "reference");
	int rc;

	memset(e, 0, sizeof *e);
	fmt(where, sizeof where, "kiln.lock: extension \"%.64s\"", name);
	if (!name_valid(name))
		return kiln_err_set(err, KILN_EFORMAT,
				    "kiln.lock: extension name \"%.80s\" must match "
				    "[A-Za-z_][A-Za-z0-9_-]* (at most %d)",
				    name, KILN_OCI_NAME_MAX);
	if (!json_is_object(j))
		return kiln_err_set(err, KILN_EFORMAT, "%s: expected an object", where);
	if ((rc = only_keys(j, keys, sizeof keys / sizeof keys[0], where, err)) != KILN_OK)
		return rc;
	fmt(e->name, sizeof e->name, "%s", name);
	if (!json_is_string(r) || fmt(e->reference, sizeof e->reference, "%s",
				      json_string_value(r)) != KILN_OK)
		return kiln_err_set(err, KILN_EFORMAT, "%s: reference must be a string", where);
	if ((rc = kiln_oci_ref_parse(e->reference, KILN_OCI_REF_ALLOW_LATEST, &ref, err)) !=
	    KILN_OK) {
		kiln_err_prefix(err, where);
		return KILN_EFORMAT;
	}
	if (json_object_get(j, "index") != NULL) {
		e->has_index = 1;
		if ((rc = descriptor_from_json(json_object_get(j, "index"), where, &e->index, err)) !=
		    KILN_OK)
			return rc;
	}
	if ((rc = descriptor_from_json(json_object_get(j, "manifest"), where, &e->manifest,
				       err)) != KILN_OK ||
	    (rc = descriptor_from_json(json_object_get(j, "config"), where, &e->config, err)) !=
		    KILN_OK ||
	    (rc = descriptor_from_json(json_object_get(j, "layer"), where, &e->layer, err)) !=
		    KILN_OK)
		return rc;
	if (json_object_get(j, "signature") == NULL)
		return kiln_err_set(err, KILN_EFORMAT, "%s: missing field \"signature\"", where);
	return signature_from_json(json_object_get(j, "signature"), where, &e->signature, err);
}

int kiln_oci_lock_read(const char *path, struct kiln_oci_lock *out, struct kiln_err *err)
{
	static const char *const keys[] = {"kilnLockVersion", "wasm2c", "extensions"};
	struct buf b = {0};
	json_t *root = NULL;
	const json_t *ver, *w, *exts, *v;
	const char *name;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = read_file(path, LOCK_MAX, &b, err)) != KILN_OK)
		goto out;
	if ((root = json_parse_strict(b.data, b.len, path, err)) == NULL) {
		rc = KILN_EFORMAT;
		goto out;
	}
	if ((rc = only_keys(root, keys, 3, path, err)) != KILN_OK)
		goto out;
	ver = json_object_get(root, "kilnLockVersion");
	w = json_object_get(root, "wasm2c");
	exts = json_object_get(root, "extensions");
	if (!json_is_integer(ver) || json_integer_value(ver) != LOCK_VERSION) {
		rc = kiln_err_set(err, KILN_EFORMAT, "%s: kilnLockVersion must be %d", path,
				  LOCK_VERSION);
		goto out;
	}
	if (!json_is_string(w) || fmt(out->wasm2c_version, sizeof out->wasm2c_version, "%s",
				      json_string_value(w)) != KILN_OK) {
		rc = kiln_err_set(err, KILN_EFORMAT, "%s: wasm2c must be a short string", path);
		goto out;
	}
	if (!json_is_object(exts)) {
		rc = kiln_err_set(err, KILN_EFORMAT, "%s: extensions must be an object", path);
		goto out;
	}
	out->entries = calloc(json_object_size(exts) + 1, sizeof *out->entries);
	if (out->entries == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach((json_t *)exts, name, v) {
		if ((rc = entry_from_json(name, v, &out->entries[out->count], err)) != KILN_OK)
			goto out;
		out->count++;
	}
out:
	if (rc != KILN_OK)
		kiln_oci_lock_release(out);
	json_decref(root);
	buf_release(&b);
	return rc;
}

/* ---------------------------------------------------------------- resolve */

int kiln_oci_lock_resolve(struct kiln_oci_client *c, const struct kiln_oci_lock_request *reqs,
			  size_t n, unsigned ref_flags, const char *wasm2c_version,
			  struct kiln_oci_lock *out, struct kiln_err *err)
{
	struct kiln_oci_artifact *art = NULL;
	int rc = KILN_OK;

	memset(out, 0, sizeof *out);
	if (wasm2c_version == NULL ||
	    fmt(out->wasm2c_version, sizeof out->wasm2c_version, "%s", wasm2c_version) != KILN_OK)
		return kiln_err_set(err, KILN_EINVAL, "a wasm2c version (at most 63 bytes) is "
				    "required");
	out->entries = calloc(n + 1, sizeof *out->entries);
	art = malloc(sizeof *art);
	if (out->entries == NULL || art == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct kiln_oci_lock_entry *e = &out->entries[i];
		struct kiln_oci_ref ref;
		if (!name_valid(reqs[i].name)) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "extension name \"%.80s\" must match "
					  "[A-Za-z_][A-Za-z0-9_-]* (at most %d)",
					  reqs[i].name, KILN_OCI_NAME_MAX);
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(reqs[k].name, reqs[i].name) == 0) {
				rc = kiln_err_set(err, KILN_EINVAL, "extension \"%s\" is named twice",
						  reqs[i].name);
				goto out;
			}
		if ((rc = kiln_oci_ref_parse(reqs[i].reference, ref_flags, &ref, err)) != KILN_OK ||
		    (rc = kiln_oci_pull(c, &ref, reqs[i].key, NULL, art, err)) != KILN_OK) {
			kiln_err_prefix(err, reqs[i].name);
			goto out;
		}
		fmt(e->name, sizeof e->name, "%s", reqs[i].name);
		fmt(e->reference, sizeof e->reference, "%s", art->reference);
		e->has_index = art->has_index;
		e->index = art->index;
		e->manifest = art->manifest;
		e->config = art->config;
		e->layer = art->layer;
		e->signature = art->signature;
		out->count++;
	}
out:
	free(art);
	if (rc != KILN_OK)
		kiln_oci_lock_release(out);
	return rc;
}
