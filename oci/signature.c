/*
 * signature.c — cosign-style signatures on artifacts: kiln_oci_sign,
 * kiln_oci_verify and the check kiln_oci_pull runs with --key.
 *
 * The signature of manifest sha256:<hex> is itself a manifest, tagged
 * "sha256-<hex>.sig" in the same repository (or layout), whose layers are
 * simple-signing payloads, each signed in its
 * dev.cosignproject.cosign/signature annotation.  Several signers may add
 * layers to the same signature manifest.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oci_impl.h"

int signature_check(struct endpoint *ep, const struct kiln_oci_ref *ref,
		    const struct kiln_digest *signed_digest, const struct kiln_oci_pubkey *key,
		    struct txn *t, struct kiln_oci_signature_info *out, struct kiln_err *err)
{
	char tag[KILN_OCI_TAG_MAX + 1], sd[KILN_DIGEST_STRLEN + 1], kid[KILN_DIGEST_STRLEN + 1];
	struct fetched f;
	struct kiln_digest d;
	struct doc doc;
	struct buf payload = {0};
	int rc, verified = -1;

	memset(&f, 0, sizeof f);
	memset(&doc, 0, sizeof doc);
	memset(out, 0, sizeof *out);
	sig_tag(signed_digest, tag);
	kiln_digest_format(signed_digest, sd);
	kiln_digest_format(&key->id, kid);
	rc = fetch_manifest(ep, tag, NULL, &f, &d, err);
	if (rc == KILN_ENOTFOUND) {
		rc = kiln_err_set(err, KILN_ESIGNATURE,
				  "not signed: %.200s has no signature for %s (no %s manifest)",
				  ep->name, sd, tag);
		goto out;
	}
	if (rc != KILN_OK || (rc = doc_parse(f.body.data, f.body.len, f.media_type, &doc, err)) !=
				     KILN_OK ||
	    (rc = doc_check_signature(&doc, err)) != KILN_OK) {
		kiln_err_prefix(err, "signature");
		goto out;
	}
	for (size_t i = 0; i < doc.n_layers && verified < 0; i++) {
		if ((rc = fetch_blob_mem(ep, &doc.layers[i], KILN_OCI_PAYLOAD_MAX,
					 "signature payload", &payload, err)) != KILN_OK)
			goto out;
		if (!sig_verify(key, payload.data, payload.len, doc.signatures[i]))
			continue;
		/* Signed by our key: it must also name this very manifest. */
		if ((rc = sig_payload_check(payload.data, payload.len, signed_digest, err)) !=
		    KILN_OK)
			goto out;
		verified = (int)i;
	}
	if (verified < 0) {
		rc = kiln_err_set(err, KILN_ESIGNATURE,
				  "bad signature: none of the %zu signature(s) on %s verifies "
				  "with key %s",
				  doc.n_layers, sd, kid);
		goto out;
	}
	out->present = 1;
	out->key = key->id;
	out->payload = doc.layers[verified].digest;
	fmt(out->signature, sizeof out->signature, "%s", doc.signatures[verified]);
	if (t != NULL) {
		/* Keep the whole signature beside the artifact, so that --offline
		 * can check it and mirror it. */
		if ((rc = txn_stage_mem(t, &d, f.body.data, f.body.len, err)) != KILN_OK)
			goto out;
		for (size_t i = 0; i <= doc.n_layers; i++) {
			const struct kiln_oci_descriptor *bd =
				i < doc.n_layers ? &doc.layers[i] : &doc.config;
			if (store_has_verified(t->client, &bd->digest, bd->size))
				continue;
			if ((rc = fetch_blob_mem(ep, bd, KILN_OCI_CONFIG_MAX, "signature blob",
						 &payload, err)) != KILN_OK ||
			    (rc = txn_stage_mem(t, &bd->digest, payload.data, payload.len, err)) !=
				    KILN_OK)
				goto out;
		}
		if (ref->kind == KILN_OCI_REF_REGISTRY && !t->client->o.offline) {
			char text[KILN_OCI_REF_STRMAX];
			size_t n = ref_repo_text(ref, text, sizeof text);
			fmt(text + n, sizeof text - n, ":%s", tag);
			rc = txn_record(t, text, &d, err);
		}
	}
out:
	buf_release(&payload);
	buf_release(&f.body);
	doc_release(&doc);
	return rc;
}

int kiln_oci_verify(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
		    const struct kiln_oci_pubkey *key, struct kiln_oci_descriptor *manifest,
		    struct kiln_oci_signature_info *out, struct kiln_err *err)
{
	struct kiln_oci_signature_info info;
	struct endpoint *ep = NULL;
	struct resolved r;
	char text[KILN_OCI_REF_STRMAX];
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = endpoint_open(c, ref, 0, &ep, err)) == KILN_OK &&
	    (rc = resolve_wasm(ep, ref, &r, err)) == KILN_OK)
		rc = signature_check(ep, ref, r.has_index ? &r.index.digest : &r.manifest.digest,
				     key, NULL, &info, err);
	if (rc == KILN_OK) {
		if (manifest != NULL)
			*manifest = r.has_index ? r.index : r.manifest;
		if (out != NULL)
			*out = info;
	} else {
		kiln_oci_ref_format(ref, text, sizeof text);
		kiln_err_prefix(err, text);
	}
	resolved_release(&r);
	endpoint_free(ep);
	return rc;
}

/* The config of a signature manifest: cosign's shape, listing payloads. */
static int sig_config(const struct kiln_oci_descriptor *layers, size_t n, struct buf *out,
		      struct kiln_err *err)
{
	json_t *ids = json_array(), *j;
	int rc;

	for (size_t i = 0; ids != NULL && i < n; i++) {
		char dg[KILN_DIGEST_STRLEN + 1];
		kiln_digest_format(&layers[i].digest, dg);
		if (json_array_append_new(ids, json_string(dg)) != 0) {
			json_decref(ids);
			ids = NULL;
		}
	}
	if (ids == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	j = json_pack("{s:s, s:s, s:{s:s, s:o}}", "architecture", "", "os", "", "rootfs", "type",
		      "layers", "diff_ids", ids);
	if (j == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	rc = json_emit(j, out, err);
	json_decref(j);
	return rc;
}

int kiln_oci_sign(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
		  const struct kiln_oci_seckey *key, struct kiln_oci_signature_info *out,
		  struct kiln_err *err)
{
	char tag[KILN_OCI_TAG_MAX + 1], identity[KILN_OCI_REF_STRMAX], sigb64[96];
	struct kiln_oci_descriptor *layers = NULL, cfg_desc, man_desc;
	struct endpoint *ep = NULL;
	struct resolved r;
	struct fetched f;
	struct doc old;
	struct kiln_digest d;
	struct buf payload = {0}, cfg = {0}, man = {0};
	json_t **anns = NULL;
	const struct kiln_digest *top;
	size_t n = 0;
	int rc;

	memset(&r, 0, sizeof r);
	memset(&f, 0, sizeof f);
	memset(&old, 0, sizeof old);
	if ((rc = endpoint_open(c, ref, 0, &ep, err)) != KILN_OK ||
	    (rc = resolve_wasm(ep, ref, &r, err)) != KILN_OK)
		goto out;
	top = r.has_index ? &r.index.digest : &r.manifest.digest;
	ref_repo_text(ref, identity, sizeof identity);
	if ((rc = sig_payload_build(identity, top, &payload, err)) != KILN_OK ||
	    (rc = sig_sign(key, payload.data, payload.len, sigb64, sizeof sigb64, err)) != KILN_OK)
		goto out;

	/* Keep signatures already there (other signers), minus an identical one. */
	sig_tag(top, tag);
	rc = fetch_manifest(ep, tag, NULL, &f, &d, err);
	if (rc == KILN_OK) {
		if ((rc = doc_parse(f.body.data, f.body.len, f.media_type, &old, err)) != KILN_OK ||
		    (rc = doc_check_signature(&old, err)) != KILN_OK) {
			kiln_err_prefix(err, "existing signature manifest");
			goto out;
		}
	} else if (rc != KILN_ENOTFOUND) {
		goto out;
	}
	layers = calloc(old.n_layers + 1, sizeof *layers);
	anns = calloc(old.n_layers + 1, sizeof *anns);
	if (layers == NULL || anns == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	kiln_digest_buffer(payload.data, payload.len, &d);
	for (size_t i = 0; i < old.n_layers; i++) {
		if (kiln_digest_equal(&old.layers[i].digest, &d) &&
		    strcmp(old.signatures[i], sigb64) == 0)
			continue;
		layers[n] = old.layers[i];
		anns[n++] = json_pack("{s:s}", KILN_ANNOTATION_SIGNATURE, old.signatures[i]);
	}
	fmt(layers[n].media_type, sizeof layers[n].media_type, "%s", KILN_MT_SIMPLESIGNING);
	layers[n].digest = d;
	layers[n].size = payload.len;
	anns[n++] = json_pack("{s:s}", KILN_ANNOTATION_SIGNATURE, sigb64);
	for (size_t i = 0; i < n; i++)
		if (anns[i] == NULL) {
			rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
			goto out;
		}

	if ((rc = sig_config(layers, n, &cfg, err)) != KILN_OK)
		goto out;
	fmt(cfg_desc.media_type, sizeof cfg_desc.media_type, "%s", KILN_MT_OCI_CONFIG);
	kiln_digest_buffer(cfg.data, cfg.len, &cfg_desc.digest);
	cfg_desc.size = cfg.len;
	if ((rc = build_manifest(&cfg_desc, layers, n, anns, NULL, &man, err)) != KILN_OK)
		goto out;
	fmt(man_desc.media_type, sizeof man_desc.media_type, "%s", KILN_MT_OCI_MANIFEST);
	kiln_digest_buffer(man.data, man.len, &man_desc.digest);
	man_desc.size = man.len;
	{
		struct blob_src ps = {NULL, payload.data, payload.len};
		struct blob_src cs = {NULL, cfg.data, cfg.len};
		if ((rc = ep->ops->put_blob(ep, &layers[n - 1], &ps, err)) != KILN_OK ||
		    (rc = ep->ops->put_blob(ep, &cfg_desc, &cs, err)) != KILN_OK ||
		    (rc = ep->ops->put_manifest(ep, tag, &man_desc, man.data, err)) != KILN_OK)
			goto out;
	}
	if (out != NULL) {
		struct kiln_oci_pubkey pk;
		kiln_oci_seckey_public(key, &pk);
		memset(out, 0, sizeof *out);
		out->present = 1;
		out->key = pk.id;
		out->payload = layers[n - 1].digest;
		fmt(out->signature, sizeof out->signature, "%s", sigb64);
	}
out:
	if (rc != KILN_OK) {
		char text[KILN_OCI_REF_STRMAX];
		kiln_oci_ref_format(ref, text, sizeof text);
		kiln_err_prefix(err, text);
	}
	for (size_t i = 0; anns != NULL && i < n; i++)
		json_decref(anns[i]);
	free(anns);
	free(layers);
	buf_release(&payload);
	buf_release(&cfg);
	buf_release(&man);
	buf_release(&f.body);
	doc_release(&old);
	resolved_release(&r);
	endpoint_free(ep);
	return rc;
}
