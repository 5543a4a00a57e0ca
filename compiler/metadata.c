/*
 * metadata.c — the JSON document each compiled object carries in its
 * .kiln.meta section.  Keys come in a fixed order and nothing depends on
 * the time or the machine, so that the same inputs give the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver_impl.h"

static void hex32(const uint8_t d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

/* json_object_set_new that reports failure (NULL value included). */
static bool put(json_t *obj, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(obj, key, value) == 0;
}

static bool put_bytes(json_t *obj, const char *key, struct kiln_wasm_bytes b)
{
	return put(obj, key, json_stringn((const char *)b.data, b.len));
}

int kiln_meta_build(const struct kiln_meta_input *in, char **json, struct kiln_err *err)
{
	const struct kiln_wasm_module *m = in->m;
	json_t *doc = NULL, *imports = NULL, *exports = NULL;
	char hex[65], sig[512];
	int rc = KILN_OK;
	bool ok = true;

	*json = NULL;
	doc = json_object();
	imports = json_array();
	exports = json_array();
	if (doc == NULL || imports == NULL || exports == NULL)
		goto nomem;

	ok = put(doc, "kiln_meta", json_integer(KILN_META_VERSION)) &&
	     put(doc, "name", json_string(in->name)) &&
	     put(doc, "abi_version", json_integer(KILN_ABI_VERSION));
	hex32(in->input_sha256, hex);
	ok = ok && put(doc, "wasm_sha256", json_string(hex));
	hex32(in->instrumented_sha256, hex);
	ok = ok && put(doc, "instrumented_sha256", json_string(hex)) &&
	     put(doc, "wasm2c_version", json_string(in->wasm2c_version)) &&
	     put(doc, "fuel", json_boolean(in->fuel)) &&
	     put(doc, "max_memory",
		 in->max_memory ? json_integer((json_int_t)in->max_memory) : json_null()) &&
	     put(doc, "cc", json_string(in->cc)) &&
	     put(doc, "opt_level", json_string(in->opt_level));
	if (!ok)
		goto nomem;

	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct kiln_wasm_import *imp = &m->imports[i];
		json_t *o = json_object();
		if (o == NULL || json_array_append_new(imports, o) != 0)
			goto nomem;
		kiln_import_type_format(m, imp, sig, sizeof sig);
		if (!put_bytes(o, "module", imp->module) || !put_bytes(o, "name", imp->name)) {
			rc = kiln_err_set(err, KILN_EINVALID,
					  "%s: import %u: name is not valid UTF-8 (or out of memory)",
					  kiln_module_label(m), i);
			goto out;
		}
		if (!put(o, "kind", json_string(kiln_kind_name(imp->kind))) ||
		    !put(o, "signature", json_string(sig)))
			goto nomem;
	}
	for (uint32_t i = 0; i < m->nexports; i++) {
		const struct kiln_wasm_export *exp = &m->exports[i];
		json_t *o = json_object();
		if (o == NULL || json_array_append_new(exports, o) != 0)
			goto nomem;
		kiln_export_type_format(m, exp, sig, sizeof sig);
		if (!put_bytes(o, "name", exp->name)) {
			rc = kiln_err_set(err, KILN_EINVALID,
					  "%s: export %u: name is not valid UTF-8 (or out of memory)",
					  kiln_module_label(m), i);
			goto out;
		}
		if (!put(o, "kind", json_string(kiln_kind_name(exp->kind))) ||
		    !put(o, "signature", json_string(sig)))
			goto nomem;
	}
	ok = json_object_set(doc, "imports", imports) == 0 &&
	     json_object_set(doc, "exports", exports) == 0;
	if (!ok)
		goto nomem;
	/* Compact, no NUL inside (the section splits on NUL): jansson escapes
	 * U+0000 as \u0000. */
	*json = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (*json == NULL)
		goto nomem;
	goto out;
nomem:
	rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory building metadata",
			  kiln_module_label(m));
out:
	json_decref(imports);
	json_decref(exports);
	json_decref(doc);
	return rc;
}
