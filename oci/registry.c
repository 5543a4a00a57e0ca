/*
 * registry.c — the OCI distribution API as an endpoint: manifests and
 * blobs by GET, uploads by POST + PUT, and authentication.
 *
 * Authentication follows the registry's lead: a request goes out with
 * whatever Authorization this endpoint already has; a 401 carries a
 * WWW-Authenticate challenge, answered with Basic credentials or with a
 * bearer token fetched from the challenge's realm (docker token protocol);
 * then the request is repeated once.  Credentials go only to the
 * registry's own origin and its token realm, never across a redirect.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "oci_impl.h"

#define TOKEN_MAX (16u << 10)
#define AUTHZ_CAP (TOKEN_MAX + 64)

static const char manifest_accept[] = KILN_MT_OCI_MANIFEST ", " KILN_MT_OCI_INDEX
	", " KILN_MT_DOCKER_MANIFEST ", " KILN_MT_DOCKER_LIST;

struct registry {
	struct endpoint base;
	char host[KILN_OCI_HOST_MAX + 1];
	char base_url[KILN_OCI_HOST_MAX + KILN_OCI_REPO_MAX + 32]; /* scheme://host/v2/repo */
	char *authz;   /* sodium memory, AUTHZ_CAP bytes: "Basic ..."/"Bearer ..." or "" */
	char user[256]; /* whose credentials authz carries, for messages */
};

/* ------------------------------------------------------------ challenges */

struct challenge {
	char scheme[16];
	char realm[1024];
	char service[256];
	char scope[1024];
};

/* Parse `Scheme k="v", k=v, ...` (RFC 7235 auth-params). */
static int challenge_parse(const char *h, struct challenge *c)
{
	const char *p = h;
	size_t n = 0;

	memset(c, 0, sizeof *c);
	while (*p != '\0' && *p != ' ' && n + 1 < sizeof c->scheme)
		c->scheme[n++] = *p++;
	while (*p != '\0') {
		char key[32], val[1024];
		size_t k = 0, v = 0;
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		while (*p != '\0' && *p != '=' && *p != ' ' && k + 1 < sizeof key)
			key[k++] = *p++;
		key[k] = '\0';
		if (*p != '=')
			return *p == '\0' ? KILN_OK : KILN_EFORMAT;
		p++;
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (v + 1 < sizeof val)
					val[v++] = *p;
				p++;
			}
			if (*p != '"')
				return KILN_EFORMAT;
			p++;
		} else {
			while (*p != '\0' && *p != ',' && *p != ' ' && v + 1 < sizeof val)
				val[v++] = *p++;
		}
		val[v] = '\0';
		if (strcasecmp(key, "realm") == 0)
			fmt(c->realm, sizeof c->realm, "%s", val);
		else if (strcasecmp(key, "service") == 0)
			fmt(c->service, sizeof c->service, "%s", val);
		else if (strcasecmp(key, "scope") == 0)
			fmt(c->scope, sizeof c->scope, "%s", val);
	}
	return KILN_OK;
}

static int set_basic(struct registry *r, const struct creds *cr, struct kiln_err *err)
{
	size_t plain_len = strlen(cr->user) + 1 + strlen(cr->pass);
	size_t b64len = sodium_base64_encoded_len(plain_len, sodium_base64_VARIANT_ORIGINAL);
	char *plain = sodium_malloc(plain_len + 1);
	int rc = KILN_OK;

	if (plain == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	fmt(plain, plain_len + 1, "%s:%s", cr->user, cr->pass);
	if (b64len + 6 > AUTHZ_CAP) {
		rc = kiln_err_set(err, KILN_ELIMIT, "credentials too long");
	} else {
		memcpy(r->authz, "Basic ", 6);
		sodium_bin2base64(r->authz + 6, AUTHZ_CAP - 6, (const unsigned char *)plain,
				  plain_len, sodium_base64_VARIANT_ORIGINAL);
	}
	sodium_free(plain);
	return rc;
}

static int token_valid(const char *t)
{
	size_t n = 0;
	for (; t[n] != '\0'; n++) {
		char ch = t[n];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || strchr("-._~+/=", ch) != NULL))
			return 0;
	}
	return n > 0 && n < TOKEN_MAX;
}

/* The docker token protocol: GET realm?service=...&scope=... */
static int fetch_token(struct registry *r, const struct challenge *ch, const struct creds *cr,
		       struct kiln_err *err)
{
	struct kiln_oci_client *c = r->base.client;
	char url[4096], why[200];
	char *svc = NULL, *scope = NULL, *basic = NULL;
	struct buf body = {0};
	struct sink s;
	struct http_req req = {0};
	struct http_resp *resp = calloc(1, sizeof *resp);
	const json_t *tok;
	json_t *j = NULL;
	int rc;

	if (resp == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	svc = curl_easy_escape(NULL, ch->service, 0);
	scope = curl_easy_escape(NULL, ch->scope, 0);
	if (svc == NULL || scope == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	if (fmt(url, sizeof url, "%s%sservice=%s%s%s", ch->realm,
		strchr(ch->realm, '?') ? "&" : "?", svc, ch->scope[0] ? "&scope=" : "",
		scope) != KILN_OK) {
		rc = kiln_err_set(err, KILN_ELIMIT, "token realm URL too long");
		goto out;
	}
	if (cr != NULL) {
		/* Borrow the endpoint's buffer to build "Basic ...". */
		if ((rc = set_basic(r, cr, err)) != KILN_OK)
			goto out;
		basic = r->authz;
	}
	sink_init_mem(&s, &body, UINT64_MAX, 1u << 20, "token response");
	req.method = "GET";
	req.url = url;
	req.authz = basic;
	req.sink = &s;
	req.follow = 1;
	rc = http_request(c, &req, resp, err);
	r->authz[0] = '\0';
	if (rc != KILN_OK) {
		kiln_err_prefix(err, "token server");
		goto out;
	}
	if (resp->status != 200) {
		http_error_text(resp, why, sizeof why);
		rc = kiln_err_set(err, KILN_EAUTH,
				  "token server %.200s refused %s for scope \"%.200s\" (HTTP "
				  "%ld%s%s)",
				  ch->realm,
				  cr ? "the credentials" : "an anonymous request (no credentials "
							   "found)",
				  ch->scope, resp->status, why[0] ? ": " : "", why);
		goto out;
	}
	j = json_parse_strict(body.data, body.len, "token response", err);
	if (j == NULL) {
		rc = KILN_EAUTH;
		goto out;
	}
	tok = json_object_get(j, "token");
	if (!json_is_string(tok))
		tok = json_object_get(j, "access_token");
	if (!json_is_string(tok) || !token_valid(json_string_value(tok))) {
		rc = kiln_err_set(err, KILN_EAUTH,
				  "token server %.200s sent no usable token (expected \"token\" "
				  "or \"access_token\")",
				  ch->realm);
		goto out;
	}
	fmt(r->authz, AUTHZ_CAP, "Bearer %s", json_string_value(tok));
	rc = KILN_OK;
out:
	json_decref(j);
	if (body.data != NULL)
		sodium_memzero(body.data, body.cap);
	buf_release(&body);
	curl_free(svc);
	curl_free(scope);
	free(resp);
	return rc;
}

/* Answer the 401 in @resp; sets r->authz or fails. */
static int authenticate(struct registry *r, const struct http_resp *resp, struct kiln_err *err)
{
	struct kiln_oci_client *c = r->base.client;
	struct challenge ch;
	struct creds *cr = NULL;
	int had_basic = strncmp(r->authz, "Basic ", 6) == 0;
	int rc;

	if (resp->www_auth[0] == '\0' || challenge_parse(resp->www_auth, &ch) != KILN_OK)
		return kiln_err_set(err, KILN_EAUTH,
				    "%.200s: HTTP 401 without a usable WWW-Authenticate challenge",
				    r->host);
	cr = creds_lookup(c, r->host);
	if (strcasecmp(ch.scheme, "Basic") == 0) {
		if (cr == NULL)
			rc = kiln_err_set(err, KILN_EAUTH,
					  "%.200s requires credentials (HTTP 401, Basic realm "
					  "\"%.100s\"); none found: use --auth-file or "
					  "KILN_REGISTRY_USERNAME and KILN_REGISTRY_PASSWORD",
					  r->host, ch.realm);
		else if (had_basic)
			rc = kiln_err_set(err, KILN_EAUTH,
					  "%.200s refused the credentials of user \"%.100s\" (HTTP "
					  "401)",
					  r->host, cr->user);
		else if ((rc = set_basic(r, cr, err)) == KILN_OK)
			fmt(r->user, sizeof r->user, "%s", cr->user);
	} else if (strcasecmp(ch.scheme, "Bearer") == 0) {
		/* A token for a wider scope, or a fresh one for an expired one;
		 * registry_do() bounds the rounds. */
		if (ch.realm[0] == '\0')
			rc = kiln_err_set(err, KILN_EAUTH, "%.200s: Bearer challenge without a realm",
					  r->host);
		else
			rc = fetch_token(r, &ch, cr, err);
	} else {
		rc = kiln_err_set(err, KILN_EAUTH, "%.200s: unsupported authentication scheme \"%s\"",
				  r->host, ch.scheme);
	}
	creds_free(cr);
	return rc;
}

/* ---------------------------------------------------------------- requests */

/* @req with this endpoint's credentials, authenticating once on a 401. */
static int registry_do(struct registry *r, struct http_req *req, struct http_resp *resp,
		       struct kiln_err *err)
{
	int rc;

	req->authz_url = r->base_url;
	for (int round = 0;; round++) {
		req->authz = r->authz[0] ? r->authz : NULL;
		if ((rc = http_request(r->base.client, req, resp, err)) != KILN_OK)
			return rc;
		if (resp->status != 401)
			return KILN_OK;
		if (resp->cross_origin)
			return kiln_err_set(err, KILN_EAUTH,
					    "redirected to %s, which answered HTTP 401; kiln never "
					    "forwards credentials to another host",
					    resp->host);
		if (round == 2)
			return kiln_err_set(err, KILN_EAUTH,
					    "%.200s still answers HTTP 401 after authenticating%s%s",
					    r->host, r->user[0] ? " as " : "", r->user);
		if ((rc = authenticate(r, resp, err)) != KILN_OK)
			return rc;
		if (req->sink != NULL && (rc = sink_reset(req->sink, err)) != KILN_OK)
			return rc;
	}
}

static int status_error(struct registry *r, const char *what, const struct http_req *req,
			const struct http_resp *resp, struct kiln_err *err)
{
	char why[200], detail[220] = "", tail[160] = "";

	http_error_text(resp, why, sizeof why);
	if (why[0] != '\0')
		fmt(detail, sizeof detail, " (%s)", why);
	if (resp->retry_after_exceeded)
		fmt(tail, sizeof tail,
		    "; it asks to retry after %.40s s, more than the %u s kiln waits",
		    resp->retry_after, r->base.client->o.retry_after_max_s);
	else if (resp->attempts > 1)
		fmt(tail, sizeof tail, " after %u attempts", resp->attempts);
	if (resp->status == 404)
		return kiln_err_set(err, KILN_ENOTFOUND, "%s not found (HTTP 404%s%s)", what,
				    why[0] ? ": " : "", why);
	return kiln_err_set(err,
			    resp->status == 401 || resp->status == 403 ? KILN_EAUTH : KILN_EHTTP,
			    "%s %.300s: HTTP %ld%s%s", req->method, resp->url, resp->status,
			    detail, tail);
}

static struct http_resp *resp_new(struct kiln_err *err)
{
	struct http_resp *resp = calloc(1, sizeof *resp);
	if (resp == NULL)
		kiln_err_set(err, KILN_ENOMEM, "out of memory");
	return resp;
}

static int reg_get_manifest(struct endpoint *ep, const char *reference, struct fetched *out,
			    struct kiln_err *err)
{
	struct registry *r = (struct registry *)ep;
	char url[sizeof r->base_url + KILN_DIGEST_STRLEN + 16], what[KILN_OCI_TAG_MAX + 32];
	struct http_req req = {0};
	struct http_resp *resp = resp_new(err);
	struct sink s;
	int rc;

	if (resp == NULL)
		return KILN_ENOMEM;
	fmt(url, sizeof url, "%s/manifests/%s", r->base_url, reference);
	sink_init_mem(&s, &out->body, UINT64_MAX, KILN_OCI_MANIFEST_MAX, "manifest");
	req.method = "GET";
	req.url = url;
	req.accept = manifest_accept;
	req.sink = &s;
	req.follow = 1;
	if ((rc = registry_do(r, &req, resp, err)) != KILN_OK)
		goto out;
	if (resp->status != 200) {
		fmt(what, sizeof what, "manifest %s", reference);
		rc = status_error(r, what, &req, resp, err);
		goto out;
	}
	fmt(out->media_type, sizeof out->media_type, "%s", resp->content_type);
	out->announced = 0;
	if (resp->docker_digest[0] != '\0') {
		if ((rc = kiln_digest_parse(resp->docker_digest, &out->announced_digest, err)) !=
		    KILN_OK) {
			kiln_err_prefix(err, "Docker-Content-Digest header");
			goto out;
		}
		out->announced = 1;
		out->announced_by = "Docker-Content-Digest";
	}
out:
	free(resp);
	return rc;
}

static int reg_get_blob(struct endpoint *ep, const struct kiln_oci_descriptor *desc,
			struct sink *s, struct kiln_err *err)
{
	struct registry *r = (struct registry *)ep;
	char url[sizeof r->base_url + KILN_DIGEST_STRLEN + 16], dg[KILN_DIGEST_STRLEN + 1];
	char what[KILN_DIGEST_STRLEN + 16];
	struct http_req req = {0};
	struct http_resp *resp = resp_new(err);
	int rc;

	if (resp == NULL)
		return KILN_ENOMEM;
	kiln_digest_format(&desc->digest, dg);
	fmt(url, sizeof url, "%s/blobs/%s", r->base_url, dg);
	req.method = "GET";
	req.url = url;
	req.sink = s;
	req.follow = 1;
	if ((rc = registry_do(r, &req, resp, err)) == KILN_OK && resp->status != 200) {
		fmt(what, sizeof what, "blob %s", dg);
		rc = status_error(r, what, &req, resp, err);
	}
	free(resp);
	return rc;
}

static int append_digest_query(const char *location, const char *dg, char *out, size_t cap,
			       struct kiln_err *err)
{
	CURLU *u = curl_url();
	char q[KILN_DIGEST_STRLEN + 16], *full = NULL;
	int rc = KILN_OK;

	if (u == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	fmt(q, sizeof q, "digest=%s", dg);
	if (curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE) !=
		    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
	    fmt(out, cap, "%s", full) != KILN_OK)
		rc = kiln_err_set(err, KILN_EHTTP, "bad upload location \"%.200s\"", location);
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}

static int reg_put_blob(struct endpoint *ep, const struct kiln_oci_descriptor *desc,
			const struct blob_src *src, struct kiln_err *err)
{
	struct registry *r = (struct registry *)ep;
	char url[4096], loc[4096], dg[KILN_DIGEST_STRLEN + 1];
	struct http_req req = {0};
	struct http_resp *resp = resp_new(err);
	int rc;

	if (resp == NULL)
		return KILN_ENOMEM;
	kiln_digest_format(&desc->digest, dg);
	fmt(url, sizeof url, "%s/blobs/%s", r->base_url, dg);
	req.method = "HEAD";
	req.head = 1;
	req.url = url;
	req.follow = 1;
	if ((rc = registry_do(r, &req, resp, err)) != KILN_OK)
		goto out;
	if (resp->status == 200 && resp->content_length == (int64_t)desc->size)
		goto out; /* already there */

	fmt(url, sizeof url, "%s/blobs/uploads/", r->base_url);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	if ((rc = registry_do(r, &req, resp, err)) != KILN_OK)
		goto out;
	if (resp->status != 202 || resp->location[0] == '\0') {
		rc = status_error(r, "upload session", &req, resp, err);
		if (resp->status == 202)
			rc = kiln_err_set(err, KILN_EHTTP, "%.300s: upload started without a Location",
					  r->base.name);
		goto out;
	}
	if ((rc = http_url_resolve(url, resp->location, loc, sizeof loc, err)) != KILN_OK ||
	    (rc = append_digest_query(loc, dg, url, sizeof url, err)) != KILN_OK)
		goto out;
	memset(&req, 0, sizeof req);
	req.method = "PUT";
	req.url = url;
	req.content_type = "application/octet-stream";
	req.body = src;
	req.body_size = desc->size;
	if ((rc = registry_do(r, &req, resp, err)) != KILN_OK)
		goto out;
	if (resp->status != 201)
		rc = status_error(r, "blob upload", &req, resp, err);
out:
	free(resp);
	return rc;
}

static int reg_put_manifest(struct endpoint *ep, const char *tag,
			    const struct kiln_oci_descriptor *desc, const void *body,
			    struct kiln_err *err)
{
	struct registry *r = (struct registry *)ep;
	char url[sizeof r->base_url + KILN_OCI_TAG_MAX + KILN_DIGEST_STRLEN + 16];
	char dg[KILN_DIGEST_STRLEN + 1];
	struct blob_src src = {NULL, body, (size_t)desc->size};
	struct http_req req = {0};
	struct http_resp *resp = resp_new(err);
	int rc;

	if (resp == NULL)
		return KILN_ENOMEM;
	kiln_digest_format(&desc->digest, dg);
	fmt(url, sizeof url, "%s/manifests/%s", r->base_url, tag[0] ? tag : dg);
	req.method = "PUT";
	req.url = url;
	req.content_type = desc->media_type;
	req.body = &src;
	if ((rc = registry_do(r, &req, resp, err)) != KILN_OK)
		goto out;
	if (resp->status != 201) {
		rc = status_error(r, "manifest upload", &req, resp, err);
		goto out;
	}
	if (resp->docker_digest[0] != '\0' && strcmp(resp->docker_digest, dg) != 0)
		rc = kiln_err_set(err, KILN_EDIGEST,
				  "%.300s stored the manifest as %.80s, kiln sent %s", r->base.name,
				  resp->docker_digest, dg);
out:
	free(resp);
	return rc;
}

static void reg_free(struct endpoint *ep)
{
	struct registry *r = (struct registry *)ep;
	sodium_free(r->authz);
	free(r);
}

static const struct endpoint_ops registry_ops = {
	reg_get_manifest, reg_get_blob, reg_put_blob, reg_put_manifest, reg_free,
};

int registry_open(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
		  struct endpoint **out, struct kiln_err *err)
{
	struct registry *r = calloc(1, sizeof *r);

	if (r == NULL || (r->authz = sodium_malloc(AUTHZ_CAP)) == NULL) {
		free(r);
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	}
	r->authz[0] = '\0';
	r->base.ops = &registry_ops;
	r->base.client = c;
	ref_repo_text(ref, r->base.name, sizeof r->base.name);
	fmt(r->host, sizeof r->host, "%s", ref->host);
	fmt(r->base_url, sizeof r->base_url, "%s://%s/v2/%s",
	    client_host_insecure(c, ref->host) ? "http" : "https", ref->host, ref->repository);
	*out = &r->base;
	return KILN_OK;
}
