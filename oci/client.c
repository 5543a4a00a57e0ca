/*
 * client.c — the client handle: options, the store directory, credentials
 * (auth file or environment) and which transport a reference uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "oci_impl.h"

void kiln_oci_options_init(struct kiln_oci_options *o)
{
	memset(o, 0, sizeof *o);
	o->retries = 3;
	o->retry_base_ms = 500;
	o->retry_after_max_s = 60;
	o->connect_timeout_s = 10;
	o->stall_timeout_s = 30;
	o->max_blob_size = KILN_OCI_BLOB_MAX;
	o->progress_min = 1u << 20;
}

int kiln_oci_global_init(struct kiln_err *err)
{
	if (sodium_init() < 0)
		return kiln_err_set(err, KILN_EINTERNAL, "libsodium failed to initialise");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return kiln_err_set(err, KILN_EINTERNAL, "libcurl failed to initialise");
	return KILN_OK;
}

static char **copy_strings(const char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof *out);
	for (size_t i = 0; out != NULL && i < n; i++) {
		out[i] = strdup(v[i]);
		if (out[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			return NULL;
		}
	}
	return out;
}

static void free_strings(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int default_store(char *buf, size_t cap, struct kiln_err *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/')
		return fmt(buf, cap, "%s/kiln", xdg) == KILN_OK
			       ? KILN_OK
			       : kiln_err_set(err, KILN_ELIMIT, "XDG_CACHE_HOME too long");
	if (home != NULL && home[0] == '/')
		return fmt(buf, cap, "%s/.cache/kiln", home) == KILN_OK
			       ? KILN_OK
			       : kiln_err_set(err, KILN_ELIMIT, "HOME too long");
	return kiln_err_set(err, KILN_EINVAL,
			    "no store directory: set XDG_CACHE_HOME or HOME, or pass --store DIR");
}

static int load_auth_file(struct kiln_oci_client *c, const char *path, struct kiln_err *err)
{
	struct buf b = {0};
	json_t *auths;
	int rc = read_file(path, 1u << 20, &b, err);

	if (rc != KILN_OK)
		goto out;
	c->auths = json_parse_strict(b.data, b.len, path, err);
	if (c->auths == NULL) {
		rc = KILN_EFORMAT;
		goto out;
	}
	auths = json_object_get(c->auths, "auths");
	if (!json_is_object(auths))
		rc = kiln_err_set(err, KILN_EFORMAT, "%s: expected {\"auths\": {HOST: {...}}}",
				  path);
out:
	if (b.data != NULL)
		sodium_memzero(b.data, b.cap);
	buf_release(&b);
	return rc;
}

static struct creds *creds_new(const char *user, size_t ulen, const char *pass, size_t plen)
{
	struct creds *cr;
	if (ulen >= sizeof cr->user || plen >= sizeof cr->pass)
		return NULL;
	cr = sodium_malloc(sizeof *cr);
	if (cr == NULL)
		return NULL;
	sodium_memzero(cr, sizeof *cr);
	memcpy(cr->user, user, ulen);
	memcpy(cr->pass, pass, plen);
	return cr;
}

void creds_free(struct creds *cr)
{
	if (cr != NULL)
		sodium_free(cr);
}

static struct creds *creds_from_entry(const json_t *e)
{
	const json_t *auth = json_object_get(e, "auth");
	const json_t *u = json_object_get(e, "username"), *p = json_object_get(e, "password");
	struct creds *cr = NULL;

	if (json_is_string(auth)) {
		const char *b64 = json_string_value(auth);
		size_t cap = strlen(b64), n = 0;
		char *plain = sodium_malloc(cap + 1);
		const char *colon;
		if (plain == NULL)
			return NULL;
		if (sodium_base642bin((unsigned char *)plain, cap, b64, strlen(b64), NULL, &n,
				      NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    (colon = memchr(plain, ':', n)) != NULL)
			cr = creds_new(plain, (size_t)(colon - plain), colon + 1,
				       n - (size_t)(colon - plain) - 1);
		sodium_free(plain);
	} else if (json_is_string(u) && json_is_string(p)) {
		cr = creds_new(json_string_value(u), strlen(json_string_value(u)),
			       json_string_value(p), strlen(json_string_value(p)));
	}
	return cr;
}

struct creds *creds_lookup(struct kiln_oci_client *c, const char *host)
{
	if (c->auths != NULL) {
		const json_t *auths = json_object_get(c->auths, "auths");
		static const char *const schemes[] = {"", "https://", "http://"};
		for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
			char key[KILN_OCI_HOST_MAX + 16];
			const json_t *e;
			fmt(key, sizeof key, "%s%s", schemes[i], host);
			e = json_object_get(auths, key);
			if (json_is_object(e))
				return creds_from_entry(e);
		}
	}
	if (c->env_creds != NULL)
		return creds_new(c->env_creds->user, strlen(c->env_creds->user),
				 c->env_creds->pass, strlen(c->env_creds->pass));
	return NULL;
}

int client_host_insecure(const struct kiln_oci_client *c, const char *host)
{
	const char *colon = strrchr(host, ':');
	size_t name_len = strlen(host);

	if (host_is_loopback(host))
		return 1;
	if (colon != NULL && (host[0] != '[' || colon > strchr(host, ']')))
		name_len = (size_t)(colon - host);
	for (size_t i = 0; c->insecure != NULL && c->insecure[i] != NULL; i++) {
		const char *h = c->insecure[i];
		if (strcmp(h, host) == 0)
			return 1;
		if (strlen(h) == name_len && strncmp(h, host, name_len) == 0)
			return 1;
	}
	return 0;
}

int kiln_oci_client_new(const struct kiln_oci_options *o, struct kiln_oci_client **out,
			struct kiln_err *err)
{
	struct kiln_oci_client *c = calloc(1, sizeof *c);
	char dir[KILN_OCI_PATH_MAX];
	const char *auth_file, *user, *pass;
	int rc = KILN_OK;

	*out = NULL;
	if (c == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (sodium_init() < 0) {
		free(c);
		return kiln_err_set(err, KILN_EINTERNAL, "libsodium failed to initialise");
	}
	c->o = *o;
	c->insecure = copy_strings(o->insecure_hosts, o->n_insecure_hosts);
	c->o.insecure_hosts = NULL;
	c->o.resolve = NULL;
	c->o.store_dir = NULL;
	c->o.auth_file = NULL;
	c->o.ca_file = NULL;
	if (c->insecure == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	if (o->ca_file != NULL && (c->ca_file = strdup(o->ca_file)) == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < o->n_resolve; i++) {
		struct curl_slist *l;
		/* HOST:PORT:ADDRESS, as curl's --resolve. */
		const char *a = strchr(o->resolve[i], ':');
		if (a == NULL || strchr(a + 1, ':') == NULL || a == o->resolve[i]) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "--resolve \"%.100s\": expected HOST:PORT:ADDRESS",
					  o->resolve[i]);
			goto out;
		}
		l = curl_slist_append(c->resolve_list, o->resolve[i]); /* copies */
		if (l == NULL) {
			rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
			goto out;
		}
		c->resolve_list = l;
	}
	if (o->store_dir != NULL)
		rc = fmt(dir, sizeof dir, "%s", o->store_dir) == KILN_OK
			     ? KILN_OK
			     : kiln_err_set(err, KILN_ELIMIT, "--store path too long");
	else
		rc = default_store(dir, sizeof dir, err);
	if (rc != KILN_OK || (rc = store_init(dir, c->store, sizeof c->store, err)) != KILN_OK)
		goto out;

	auth_file = o->auth_file != NULL ? o->auth_file : getenv("KILN_AUTH_FILE");
	if (auth_file != NULL && auth_file[0] != '\0' &&
	    (rc = load_auth_file(c, auth_file, err)) != KILN_OK)
		goto out;
	user = getenv("KILN_REGISTRY_USERNAME");
	pass = getenv("KILN_REGISTRY_PASSWORD");
	if (user != NULL && pass != NULL && user[0] != '\0') {
		c->env_creds = creds_new(user, strlen(user), pass, strlen(pass));
		if (c->env_creds == NULL) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "KILN_REGISTRY_USERNAME/PASSWORD too long");
			goto out;
		}
	}
	if (!o->offline && (c->curl = curl_easy_init()) == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "libcurl: cannot create a handle");
		goto out;
	}
out:
	if (rc != KILN_OK) {
		kiln_oci_client_free(c);
		return rc;
	}
	*out = c;
	return KILN_OK;
}

void kiln_oci_client_free(struct kiln_oci_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->resolve_list);
	free_strings(c->insecure);
	free(c->ca_file);
	/* The parsed auth file holds passwords; jansson frees, it cannot wipe. */
	json_decref(c->auths);
	creds_free(c->env_creds);
	free(c);
}

const char *kiln_oci_client_store(const struct kiln_oci_client *c)
{
	return c->store;
}

int endpoint_open(struct kiln_oci_client *c, const struct kiln_oci_ref *ref, int for_write,
		  struct endpoint **out, struct kiln_err *err)
{
	if (ref->kind == KILN_OCI_REF_LAYOUT)
		return layout_open(c, ref->dir, for_write, out, err);
	if (c->o.offline)
		return store_endpoint_open(c, ref, out, err);
	return registry_open(c, ref, out, err);
}

void endpoint_free(struct endpoint *ep)
{
	if (ep != NULL)
		ep->ops->free(ep);
}
