/*
 * manifest.c — OCI documents: strict parsing of manifests, indexes and
 * wasm configs (jansson), the CNCF wasm artifact rules, and the
 * documents kiln writes.
 *
 * Strict means: a duplicate key, a wrong type, a size that is not a
 * non-negative integer or a digest that is not sha256 is an error, never
 * a guess.  Unknown fields are ignored, as the OCI spec requires.
 */
#include <stdlib.h>
#include <string.h>

#include "oci_impl.h"

static const char *const wasm_layer_types[] = {
	KILN_MT_WASM_LAYER,
	KILN_MT_WASM_LAYER_LEGACY,
	KILN_MT_WASM_LAYER_MODULE,
};

json_t *json_parse_strict(const void *body, size_t len, const char *what, struct kiln_err *err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		kiln_err_set(err, KILN_EFORMAT, "%s is not valid JSON: byte %d: %s", what,
			     je.position, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		kiln_err_set(err, KILN_EFORMAT, "%s: expected a JSON object at the top", what);
		return NULL;
	}
	return j;
}

static int emit_cb(const char *buffer, size_t size, void *data)
{
	return buf_append(data, buffer, size) == KILN_OK ? 0 : -1;
}

int json_emit(const json_t *j, struct buf *out, struct kiln_err *err)
{
	if (json_dump_callback(j, emit_cb, out, JSON_COMPACT | JSON_SORT_KEYS) != 0)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory writing JSON");
	return KILN_OK;
}

/* RFC 6838 restricted names: type "/" subtype, with optional parameters
 * already stripped. */
static int media_type_valid(const char *s)
{
	int slash = 0;
	size_t n = strlen(s);
	if (n == 0 || n > KILN_OCI_MEDIATYPE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '/') {
			if (slash++ || i == 0 || i + 1 == n)
				return 0;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || strchr("!#$&-^_.+", c) != NULL)) {
			return 0;
		}
	}
	return slash == 1;
}

json_t *descriptor_json(const struct kiln_oci_descriptor *d)
{
	char dg[KILN_DIGEST_STRLEN + 1];
	kiln_digest_format(&d->digest, dg);
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", dg, "size",
			 (json_int_t)d->size);
}

int descriptor_from_json(const json_t *j, const char *where, struct kiln_oci_descriptor *out,
			 struct kiln_err *err)
{
	const json_t *mt, *dg, *sz;
	int rc;

	if (!json_is_object(j))
		return kiln_err_set(err, KILN_EFORMAT, "%s: expected a descriptor object", where);
	mt = json_object_get(j, "mediaType");
	dg = json_object_get(j, "digest");
	sz = json_object_get(j, "size");
	if (!json_is_string(mt) || !media_type_valid(json_string_value(mt)))
		return kiln_err_set(err, KILN_EFORMAT,
				    "%s: mediaType must be a media type string like "
				    "\"application/wasm\"",
				    where);
	if (!json_is_string(dg))
		return kiln_err_set(err, KILN_EFORMAT, "%s: digest must be a string", where);
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return kiln_err_set(err, KILN_EFORMAT, "%s: size must be a non-negative integer",
				    where);
	if ((rc = kiln_digest_parse(json_string_value(dg), &out->digest, err)) != KILN_OK) {
		kiln_err_prefix(err, where);
		return KILN_EFORMAT;
	}
	memcpy(out->media_type, json_string_value(mt), strlen(json_string_value(mt)) + 1);
	out->size = (uint64_t)json_integer_value(sz);
	return KILN_OK;
}

/* Copy @src's type without parameters ("; charset=...") or blanks. */
static void bare_type(const char *src, char *dst, size_t cap)
{
	size_t n = 0;
	while (src[n] != '\0' && src[n] != ';' && src[n] != ' ' && n + 1 < cap)
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int is_manifest_type(const char *t)
{
	return strcmp(t, KILN_MT_OCI_MANIFEST) == 0 || strcmp(t, KILN_MT_DOCKER_MANIFEST) == 0;
}

static int is_index_type(const char *t)
{
	return strcmp(t, KILN_MT_OCI_INDEX) == 0 || strcmp(t, KILN_MT_DOCKER_LIST) == 0;
}

/* Types that say nothing about the document: fall back to its mediaType. */
static int is_generic_type(const char *t)
{
	return t[0] == '\0' || strcmp(t, "application/json") == 0 ||
	       strcmp(t, "text/plain") == 0 || strcmp(t, "application/octet-stream") == 0;
}

static int kind_of(const char *t, enum doc_kind *kind, const char *where, struct kiln_err *err)
{
	if (is_manifest_type(t))
		*kind = DOC_MANIFEST;
	else if (is_index_type(t))
		*kind = DOC_INDEX;
	else if (strncmp(t, "application/vnd.docker.distribution.manifest.v1", 47) == 0)
		return kiln_err_set(err, KILN_EMEDIATYPE,
				    "%s media type \"%s\": Docker schema 1 manifests are not "
				    "supported",
				    where, t);
	else
		return kiln_err_set(err, KILN_EMEDIATYPE,
				    "%s media type \"%.100s\" is not an OCI manifest or index "
				    "(expected %s)",
				    where, t, KILN_MT_OCI_MANIFEST);
	return KILN_OK;
}

static int parse_manifest(const json_t *root, struct doc *out, struct kiln_err *err)
{
	const json_t *layers = json_object_get(root, "layers");
	size_t i;
	const json_t *l;
	int rc;

	if ((rc = descriptor_from_json(json_object_get(root, "config"), "manifest config",
				       &out->config, err)) != KILN_OK)
		return rc;
	if (!json_is_array(layers))
		return kiln_err_set(err, KILN_EFORMAT, "manifest: layers must be an array");
	out->n_layers = json_array_size(layers);
	out->layers = calloc(out->n_layers ? out->n_layers : 1, sizeof *out->layers);
	out->signatures = calloc(out->n_layers ? out->n_layers : 1, sizeof *out->signatures);
	if (out->layers == NULL || out->signatures == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	json_array_foreach(layers, i, l) {
		char where[48];
		const json_t *ann, *sig;
		fmt(where, sizeof where, "manifest layer %zu", i);
		if ((rc = descriptor_from_json(l, where, &out->layers[i], err)) != KILN_OK)
			return rc;
		ann = json_object_get(l, "annotations");
		if (ann == NULL)
			continue;
		if (!json_is_object(ann))
			return kiln_err_set(err, KILN_EFORMAT, "%s: annotations must be an object",
					    where);
		sig = json_object_get(ann, KILN_ANNOTATION_SIGNATURE);
		if (sig == NULL)
			continue;
		if (!json_is_string(sig))
			return kiln_err_set(err, KILN_EFORMAT, "%s: %s must be a string", where,
					    KILN_ANNOTATION_SIGNATURE);
		out->signatures[i] = strdup(json_string_value(sig));
		if (out->signatures[i] == NULL)
			return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	}
	return KILN_OK;
}

static void copy_str(char *dst, size_t cap, const json_t *j)
{
	const char *s = json_is_string(j) ? json_string_value(j) : "";
	size_t n = strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int parse_index(const json_t *root, struct doc *out, struct kiln_err *err)
{
	const json_t *ms = json_object_get(root, "manifests");
	size_t i;
	const json_t *m;
	int rc;

	if (!json_is_array(ms))
		return kiln_err_set(err, KILN_EFORMAT, "index: manifests must be an array");
	out->n_entries = json_array_size(ms);
	out->entries = calloc(out->n_entries ? out->n_entries : 1, sizeof *out->entries);
	if (out->entries == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	json_array_foreach(ms, i, m) {
		char where[48];
		const json_t *pf;
		fmt(where, sizeof where, "index entry %zu", i);
		if ((rc = descriptor_from_json(m, where, &out->entries[i].d, err)) != KILN_OK)
			return rc;
		pf = json_object_get(m, "platform");
		if (pf == NULL)
			continue;
		if (!json_is_object(pf))
			return kiln_err_set(err, KILN_EFORMAT, "%s: platform must be an object",
					    where);
		copy_str(out->entries[i].arch, sizeof out->entries[i].arch,
			 json_object_get(pf, "architecture"));
		copy_str(out->entries[i].os, sizeof out->entries[i].os, json_object_get(pf, "os"));
	}
	return KILN_OK;
}

int doc_parse(const void *body, size_t len, const char *announced, struct doc *out,
	      struct kiln_err *err)
{
	char ann[KILN_OCI_MEDIATYPE_MAX + 1];
	const json_t *mt, *sv;
	json_t *root;
	enum doc_kind kind;
	int rc = KILN_OK;

	memset(out, 0, sizeof *out);
	root = json_parse_strict(body, len, "manifest", err);
	if (root == NULL)
		return KILN_EFORMAT;
	bare_type(announced ? announced : "", ann, sizeof ann);
	mt = json_object_get(root, "mediaType");
	if (mt != NULL && !json_is_string(mt)) {
		rc = kiln_err_set(err, KILN_EFORMAT, "manifest: mediaType must be a string");
		goto out;
	}
	if (mt != NULL) {
		const char *own = json_string_value(mt);
		if ((rc = kind_of(own, &kind, "manifest", err)) != KILN_OK)
			goto out;
		if (!is_generic_type(ann) && strcmp(ann, own) != 0) {
			rc = kiln_err_set(err, KILN_EMEDIATYPE,
					  "the registry announced media type \"%.80s\" but the "
					  "document's mediaType is \"%.80s\"",
					  ann, own);
			goto out;
		}
		copy_str(out->media_type, sizeof out->media_type, mt);
	} else if (!is_generic_type(ann)) {
		if ((rc = kind_of(ann, &kind, "announced", err)) != KILN_OK)
			goto out;
		memcpy(out->media_type, ann, strlen(ann) + 1);
	} else if (json_object_get(root, "manifests") != NULL) {
		kind = DOC_INDEX;
		memcpy(out->media_type, KILN_MT_OCI_INDEX, sizeof KILN_MT_OCI_INDEX);
	} else {
		kind = DOC_MANIFEST;
		memcpy(out->media_type, KILN_MT_OCI_MANIFEST, sizeof KILN_MT_OCI_MANIFEST);
	}
	out->kind = kind;
	sv = json_object_get(root, "schemaVersion");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
		rc = kiln_err_set(err, KILN_EFORMAT, "%s: schemaVersion must be the integer 2",
				  kind == DOC_INDEX ? "index" : "manifest");
		goto out;
	}
	rc = kind == DOC_INDEX ? parse_index(root, out, err) : parse_manifest(root, out, err);
out:
	json_decref(root);
	return rc;
}

void doc_release(struct doc *d)
{
	for (size_t i = 0; d->signatures != NULL && i < d->n_layers; i++)
		free(d->signatures[i]);
	free(d->signatures);
	free(d->layers);
	free(d->entries);
	memset(d, 0, sizeof *d);
}

static int is_wasm_layer_type(const char *t)
{
	for (size_t i = 0; i < sizeof wasm_layer_types / sizeof wasm_layer_types[0]; i++)
		if (strcmp(t, wasm_layer_types[i]) == 0)
			return 1;
	return 0;
}

int doc_check_wasm(const struct doc *d, struct kiln_err *err)
{
	size_t wasm = 0;

	if (d->kind != DOC_MANIFEST)
		return kiln_err_set(err, KILN_EMEDIATYPE, "expected a manifest, found an index");
	if (strcmp(d->config.media_type, KILN_MT_WASM_CONFIG) != 0 &&
	    strcmp(d->config.media_type, KILN_MT_WASM_CONFIG_V1) != 0)
		return kiln_err_set(err, KILN_EMEDIATYPE,
				    "config media type \"%.100s\" is not a wasm config "
				    "(expected %s)",
				    d->config.media_type, KILN_MT_WASM_CONFIG);
	if (d->config.size > KILN_OCI_CONFIG_MAX)
		return kiln_err_set(err, KILN_ELIMIT, "config is %llu bytes, the limit is %u",
				    (unsigned long long)d->config.size, KILN_OCI_CONFIG_MAX);
	for (size_t i = 0; i < d->n_layers; i++) {
		if (!is_wasm_layer_type(d->layers[i].media_type))
			return kiln_err_set(err, KILN_EMEDIATYPE,
					    "layer %zu: media type \"%.100s\" is not %s (nor an "
					    "older wasm layer type)",
					    i, d->layers[i].media_type, KILN_MT_WASM_LAYER);
		wasm++;
	}
	if (wasm != 1)
		return kiln_err_set(err, KILN_EMEDIATYPE,
				    "expected exactly one wasm layer, found %zu layers", wasm);
	return KILN_OK;
}

int doc_check_signature(const struct doc *d, struct kiln_err *err)
{
	if (d->kind != DOC_MANIFEST)
		return kiln_err_set(err, KILN_EMEDIATYPE,
				    "signature: expected a manifest, found an index");
	if (d->n_layers == 0)
		return kiln_err_set(err, KILN_ESIGNATURE, "signature manifest has no layers");
	for (size_t i = 0; i < d->n_layers; i++) {
		if (strcmp(d->layers[i].media_type, KILN_MT_SIMPLESIGNING) != 0)
			return kiln_err_set(err, KILN_EMEDIATYPE,
					    "signature layer %zu has media type \"%.100s\", "
					    "expected %s",
					    i, d->layers[i].media_type, KILN_MT_SIMPLESIGNING);
		if (d->layers[i].size > KILN_OCI_PAYLOAD_MAX)
			return kiln_err_set(err, KILN_ELIMIT,
					    "signature layer %zu is %llu bytes, the limit is %u", i,
					    (unsigned long long)d->layers[i].size,
					    KILN_OCI_PAYLOAD_MAX);
		if (d->signatures[i] == NULL)
			return kiln_err_set(err, KILN_ESIGNATURE,
					    "signature layer %zu has no %s annotation", i,
					    KILN_ANNOTATION_SIGNATURE);
	}
	return KILN_OK;
}

int doc_select_wasm(const struct doc *index, struct kiln_oci_descriptor *out,
		    struct kiln_err *err)
{
	const struct index_entry *pick = NULL;
	size_t manifests = 0, wasm = 0;

	for (size_t i = 0; i < index->n_entries; i++) {
		const struct index_entry *e = &index->entries[i];
		if (!is_manifest_type(e->d.media_type))
			continue;
		manifests++;
		if (strcmp(e->arch, "wasm") != 0)
			continue;
		/* Prefer wasip1 over other wasm entries. */
		if (pick == NULL || (strcmp(e->os, "wasip1") == 0 && strcmp(pick->os, "wasip1") != 0))
			pick = e;
		wasm++;
	}
	if (pick == NULL && manifests == 1) {
		for (size_t i = 0; i < index->n_entries; i++)
			if (is_manifest_type(index->entries[i].d.media_type))
				pick = &index->entries[i];
	}
	if (pick == NULL)
		return kiln_err_set(err, KILN_EMEDIATYPE,
				    "index has %zu manifests and none for platform wasm", manifests);
	if (wasm > 1 && strcmp(pick->os, "wasip1") != 0)
		return kiln_err_set(err, KILN_EMEDIATYPE,
				    "index has %zu wasm manifests and none for os wasip1", wasm);
	if (pick->d.size > KILN_OCI_MANIFEST_MAX)
		return kiln_err_set(err, KILN_ELIMIT, "index entry is %llu bytes, the limit is %u",
				    (unsigned long long)pick->d.size, KILN_OCI_MANIFEST_MAX);
	*out = pick->d;
	return KILN_OK;
}

int config_check_wasm(const void *body, size_t len, const char *media_type,
		      const struct kiln_oci_descriptor *layer, struct kiln_err *err)
{
	const json_t *arch, *os, *lds;
	json_t *root = json_parse_strict(body, len, "config", err);
	int rc = KILN_OK;

	if (root == NULL)
		return KILN_EFORMAT;
	/* The older wasm-to-oci config has no defined fields. */
	if (strcmp(media_type, KILN_MT_WASM_CONFIG) != 0)
		goto out;
	arch = json_object_get(root, "architecture");
	os = json_object_get(root, "os");
	lds = json_object_get(root, "layerDigests");
	if (!json_is_string(arch) || strcmp(json_string_value(arch), "wasm") != 0) {
		rc = kiln_err_set(err, KILN_EFORMAT,
				  "config: architecture must be \"wasm\", found %s%.40s%s",
				  json_is_string(arch) ? "\"" : "",
				  json_is_string(arch) ? json_string_value(arch)
						       : (arch ? "a non-string" : "nothing"),
				  json_is_string(arch) ? "\"" : "");
		goto out;
	}
	if (os != NULL && (!json_is_string(os) || strcmp(json_string_value(os), "wasip1") != 0)) {
		rc = kiln_err_set(err, KILN_EFORMAT,
				  "config: os %s%.40s%s is not supported; kiln runs wasip1 core "
				  "modules",
				  json_is_string(os) ? "\"" : "",
				  json_is_string(os) ? json_string_value(os) : "(not a string)",
				  json_is_string(os) ? "\"" : "");
		goto out;
	}
	if (lds != NULL) {
		char want[KILN_DIGEST_STRLEN + 1];
		size_t i;
		const json_t *v;
		int found = 0;
		if (!json_is_array(lds)) {
			rc = kiln_err_set(err, KILN_EFORMAT, "config: layerDigests must be an array");
			goto out;
		}
		kiln_digest_format(&layer->digest, want);
		json_array_foreach(lds, i, v) {
			if (!json_is_string(v)) {
				rc = kiln_err_set(err, KILN_EFORMAT,
						  "config: layerDigests[%zu] must be a string", i);
				goto out;
			}
			found |= strcmp(json_string_value(v), want) == 0;
		}
		if (!found) {
			rc = kiln_err_set(err, KILN_EDIGEST,
					  "config: layerDigests does not list the layer %s", want);
			goto out;
		}
	}
out:
	json_decref(root);
	return rc;
}

int wasm_check_header(const unsigned char *head, size_t len, struct kiln_err *err)
{
	static const unsigned char magic[4] = {0x00, 0x61, 0x73, 0x6d};
	if (len < 8 || memcmp(head, magic, 4) != 0)
		return kiln_err_set(err, KILN_EMALFORMED,
				    "not a WebAssembly module: expected the bytes 00 61 73 6d "
				    "(\"\\0asm\") at offset 0");
	if (head[4] == 0x0d && head[5] == 0x00 && head[6] == 0x01 && head[7] == 0x00)
		return kiln_err_set(err, KILN_EMALFORMED,
				    "offset 4: this is a WebAssembly component; kiln needs a core "
				    "module (version 1)");
	if (head[4] != 1 || head[5] != 0 || head[6] != 0 || head[7] != 0)
		return kiln_err_set(err, KILN_EMALFORMED,
				    "offset 4: WebAssembly version %02x %02x %02x %02x, expected "
				    "01 00 00 00",
				    head[4], head[5], head[6], head[7]);
	return KILN_OK;
}

int build_wasm_config(const struct kiln_oci_descriptor *layer, const char *created,
		      struct buf *out, struct kiln_err *err)
{
	char dg[KILN_DIGEST_STRLEN + 1];
	json_t *j;
	int rc;

	kiln_digest_format(&layer->digest, dg);
	j = json_pack("{s:s, s:s, s:[s], s:s}", "architecture", "wasm", "created", created,
		      "layerDigests", dg, "os", "wasip1");
	if (j == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	rc = json_emit(j, out, err);
	json_decref(j);
	return rc;
}

int build_manifest(const struct kiln_oci_descriptor *config,
		   const struct kiln_oci_descriptor *layers, size_t n_layers,
		   json_t *const *layer_annotations, json_t *annotations, struct buf *out,
		   struct kiln_err *err)
{
	json_t *root = NULL, *ls = NULL;
	int rc = KILN_ENOMEM;

	root = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
			 KILN_MT_OCI_MANIFEST, "config", descriptor_json(config));
	ls = json_array();
	if (root == NULL || ls == NULL)
		goto out;
	for (size_t i = 0; i < n_layers; i++) {
		json_t *l = descriptor_json(&layers[i]);
		if (l == NULL || json_array_append_new(ls, l) != 0)
			goto out;
		if (layer_annotations != NULL && layer_annotations[i] != NULL &&
		    json_object_set(l, "annotations", layer_annotations[i]) != 0)
			goto out;
	}
	if (json_object_set_new(root, "layers", ls) != 0) {
		ls = NULL;
		goto out;
	}
	ls = NULL;
	if (annotations != NULL && json_object_size(annotations) > 0 &&
	    json_object_set(root, "annotations", annotations) != 0)
		goto out;
	rc = json_emit(root, out, err);
out:
	json_decref(ls);
	json_decref(root);
	if (rc == KILN_ENOMEM)
		kiln_err_set(err, rc, "out of memory building a manifest");
	return rc;
}
