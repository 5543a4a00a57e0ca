/*
 * http.c — one HTTP exchange with a registry, done carefully: libcurl
 * for the wire, kiln for the policy.
 *
 *   - Only https, except towards loopback or an --insecure-registry host;
 *     the rule is applied to every hop of a redirect too.
 *   - Redirects are followed here, not by libcurl, so that Authorization
 *     goes only to the origin it was meant for (scheme, host and port).
 *   - 429, 5xx and transient network errors are retried with exponential
 *     backoff, honouring Retry-After up to a cap.
 *   - A 2xx body goes to a sink that hashes it and enforces its size; a
 *     Content-Length that cannot be right aborts before the body arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "oci_impl.h"

#define MAX_REDIRECTS 5
#define ERR_BODY_MAX (64u << 10)
#define BACKOFF_MAX_MS 30000u

struct xfer {
	const struct http_req *req;
	struct http_resp *resp;
	struct kiln_err own;  /* an abort we caused, with its message */
	int aborted;
	int in_2xx;
	uint64_t discarded;
	/* upload source */
	const struct blob_src *src;
	int up_fd;
	uint64_t up_off;
};

static int is_2xx(long s)
{
	return s >= 200 && s < 300;
}

static void trim_copy(char *dst, size_t cap, const char *src, size_t len)
{
	while (len > 0 && (*src == ' ' || *src == '\t')) {
		src++;
		len--;
	}
	while (len > 0 && (src[len - 1] == '\r' || src[len - 1] == '\n' || src[len - 1] == ' ' ||
			   src[len - 1] == '\t'))
		len--;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int header_is(const char *line, size_t n, const char *name, const char **value,
		     size_t *vlen)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return 0;
	*value = line + k + 1;
	*vlen = n - k - 1;
	return 1;
}

static void resp_reset(struct http_resp *r)
{
	r->status = 0;
	r->content_type[0] = r->docker_digest[0] = r->location[0] = '\0';
	r->www_auth[0] = r->retry_after[0] = '\0';
	r->content_length = -1;
	r->err_len = 0;
	r->err_body[0] = '\0';
}

static size_t on_header(char *line, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	struct http_resp *r = x->resp;
	const char *v;
	size_t vlen;
	char num[32];

	n *= size;
	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = memchr(line, ' ', n);
		resp_reset(r);
		if (sp != NULL && (size_t)(sp - line) + 4 <= n)
			r->status = strtol(sp + 1, NULL, 10);
		x->in_2xx = is_2xx(r->status);
		return n;
	}
	if (header_is(line, n, "Content-Type", &v, &vlen)) {
		trim_copy(r->content_type, sizeof r->content_type, v, vlen);
	} else if (header_is(line, n, "Docker-Content-Digest", &v, &vlen)) {
		trim_copy(r->docker_digest, sizeof r->docker_digest, v, vlen);
	} else if (header_is(line, n, "Location", &v, &vlen)) {
		trim_copy(r->location, sizeof r->location, v, vlen);
	} else if (header_is(line, n, "WWW-Authenticate", &v, &vlen)) {
		trim_copy(r->www_auth, sizeof r->www_auth, v, vlen);
	} else if (header_is(line, n, "Retry-After", &v, &vlen)) {
		trim_copy(r->retry_after, sizeof r->retry_after, v, vlen);
	} else if (header_is(line, n, "Content-Length", &v, &vlen)) {
		char *end;
		unsigned long long cl;
		trim_copy(num, sizeof num, v, vlen);
		errno = 0;
		cl = strtoull(num, &end, 10);
		if (num[0] < '0' || num[0] > '9' || *end != '\0' || errno != 0 ||
		    cl > INT64_MAX) {
			kiln_err_set(&x->own, KILN_EHTTP, "malformed Content-Length \"%.30s\"",
				     num);
			x->aborted = 1;
			return 0;
		}
		r->content_length = (int64_t)cl;
		/* Refuse a body that cannot be right before it arrives. */
		if (x->in_2xx && x->req->sink != NULL && !x->req->head) {
			const struct sink *s = x->req->sink;
			if (s->expect != UINT64_MAX && cl != s->expect) {
				kiln_err_set(&x->own, KILN_EDIGEST,
					     "the server announces %llu bytes (Content-Length) for "
					     "the %s, its descriptor says %llu",
					     cl, s->what, (unsigned long long)s->expect);
				x->aborted = 1;
				return 0;
			}
			if (cl > s->limit) {
				kiln_err_set(&x->own, KILN_ELIMIT,
					     "the server announces %llu bytes (Content-Length) for "
					     "the %s, more than the limit of %llu",
					     cl, s->what, (unsigned long long)s->limit);
				x->aborted = 1;
				return 0;
			}
		}
	}
	return n;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct http_resp *r = x->resp;

	n *= size;
	if (x->in_2xx) {
		if (x->req->sink == NULL)
			return n; /* e.g. the body of a 201 */
		if (sink_write(x->req->sink, data, n, &x->own) != KILN_OK) {
			x->aborted = 1;
			return 0;
		}
		return n;
	}
	if (r->err_len + 1 < sizeof r->err_body) {
		size_t k = n < sizeof r->err_body - 1 - r->err_len ? n
								   : sizeof r->err_body - 1 - r->err_len;
		memcpy(r->err_body + r->err_len, data, k);
		r->err_len += k;
		r->err_body[r->err_len] = '\0';
	}
	x->discarded += n;
	if (x->discarded > ERR_BODY_MAX) {
		/* Enough of an error page; keep the status we already have. */
		x->aborted = 2;
		return 0;
	}
	return n;
}

static size_t on_upload(char *buffer, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	const struct blob_src *src = x->src;
	size_t want = size * n;

	if (src->path != NULL) {
		ssize_t got;
		do
			got = pread(x->up_fd, buffer, want, (off_t)x->up_off);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return CURL_READFUNC_ABORT;
		x->up_off += (uint64_t)got;
		return (size_t)got;
	}
	if (x->up_off >= src->len)
		return 0;
	if (want > src->len - x->up_off)
		want = src->len - (size_t)x->up_off;
	memcpy(buffer, (const char *)src->data + x->up_off, want);
	x->up_off += want;
	return want;
}

/* ------------------------------------------------------------------- URLs */

struct origin {
	char scheme[8];
	char host[KILN_OCI_HOST_MAX + 1];
	char port[8];
};

static int url_origin(const char *url, struct origin *o, struct kiln_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = KILN_OK;

	if (u == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    fmt(o->scheme, sizeof o->scheme, "%s", scheme) != KILN_OK ||
	    fmt(o->host, sizeof o->host, "%s", host) != KILN_OK ||
	    fmt(o->port, sizeof o->port, "%s", port) != KILN_OK)
		rc = kiln_err_set(err, KILN_EHTTP, "malformed URL \"%.200s\"", url);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static int same_origin(const struct origin *a, const struct origin *b)
{
	return strcmp(a->scheme, b->scheme) == 0 && strcasecmp(a->host, b->host) == 0 &&
	       strcmp(a->port, b->port) == 0;
}

int http_url_allowed(const struct kiln_oci_client *c, const char *url, struct kiln_err *err)
{
	struct origin o;
	char hostport[KILN_OCI_HOST_MAX + 16];
	int rc = url_origin(url, &o, err);

	if (rc != KILN_OK)
		return rc;
	if (strcmp(o.scheme, "https") == 0)
		return KILN_OK;
	if (strcmp(o.scheme, "http") != 0)
		return kiln_err_set(err, KILN_EHTTP, "refusing URL scheme \"%s\" in %.200s",
				    o.scheme, url);
	fmt(hostport, sizeof hostport, "%s:%s", o.host, o.port);
	if (client_host_insecure(c, hostport))
		return KILN_OK;
	return kiln_err_set(err, KILN_EHTTP,
			    "refusing plain HTTP to %s: only loopback or an --insecure-registry "
			    "host may use it",
			    hostport);
}

int http_url_resolve(const char *base, const char *location, char *out, size_t cap,
		     struct kiln_err *err)
{
	CURLU *u = curl_url();
	char *full = NULL;
	int rc = KILN_OK;

	if (u == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
	    fmt(out, cap, "%s", full) != KILN_OK)
		rc = kiln_err_set(err, KILN_EHTTP, "bad redirect or upload location \"%.200s\"",
				  location);
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}

/* ------------------------------------------------------------- transfers */

static int transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Append "NAME: VALUE" to *@list, or "NAME:" (which tells libcurl not to
 * send its own) when @value is NULL.  The line is built in sodium memory
 * because it may hold credentials.  Returns non-zero when out of memory. */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	size_t n = strlen(name) + (value ? strlen(value) : 0) + 3;
	char *line = sodium_malloc(n);
	struct curl_slist *l;

	if (line == NULL)
		return -1;
	fmt(line, n, value ? "%s: %s" : "%s:%s", name, value ? value : "");
	l = curl_slist_append(*list, line);
	sodium_free(line);
	if (l == NULL)
		return -1;
	*list = l;
	return 0;
}

/* One request to one URL, no redirects.  Returns KILN_OK when an HTTP
 * answer arrived (any status); KILN_ENETWORK when none did, with
 * @resp->transient saying whether a retry may help; other codes for
 * verdicts of our own (size, digest, limit) that no retry can change. */
static int transfer(struct kiln_oci_client *c, const struct http_req *req, const char *url,
		    const char *authz, struct http_resp *resp, struct kiln_err *err)
{
	CURL *h = c->curl;
	struct curl_slist *hdrs = NULL;
	char ebuf[CURL_ERROR_SIZE] = "";
	struct xfer x;
	CURLcode cc;
	int rc = KILN_OK;

	memset(&x, 0, sizeof x);
	x.req = req;
	x.resp = resp;
	x.up_fd = -1;
	resp_reset(resp);
	fmt(resp->url, sizeof resp->url, "%s", url);

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kiln/" KILN_OCI_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->o.connect_timeout_s);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)c->o.stall_timeout_s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	if (c->resolve_list != NULL)
		curl_easy_setopt(h, CURLOPT_RESOLVE, (struct curl_slist *)c->resolve_list);
	if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);

	if ((authz != NULL && authz[0] != '\0' && add_header(&hdrs, "Authorization", authz)) ||
	    (req->accept != NULL && add_header(&hdrs, "Accept", req->accept)) ||
	    (req->content_type != NULL && add_header(&hdrs, "Content-Type", req->content_type)) ||
	    /* No "Expect: 100-continue" round trip before uploads. */
	    add_header(&hdrs, "Expect", NULL)) {
		curl_slist_free_all(hdrs);
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	if (req->head) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	} else if (strcmp(req->method, "PUT") == 0) {
		static const struct blob_src empty = {NULL, "", 0};
		uint64_t size;
		x.src = req->body != NULL ? req->body : &empty;
		if (x.src->path != NULL) {
			x.up_fd = open(x.src->path, O_RDONLY | O_CLOEXEC);
			if (x.up_fd < 0) {
				rc = kiln_err_set(err, KILN_EIO, "%s: %s", x.src->path,
						  strerror(errno));
				goto out;
			}
			size = req->body_size;
		} else {
			size = x.src->len;
		}
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(h, CURLOPT_READDATA, &x);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	}

	cc = curl_easy_perform(h);
	if (x.aborted == 1) {
		/* Our own verdict (size, digest, limit): retrying cannot help. */
		if (err != NULL)
			*err = x.own;
		rc = x.own.code ? x.own.code : KILN_EINTERNAL;
		goto out;
	}
	if (cc != CURLE_OK && x.aborted != 2) {
		const char *why = ebuf[0] ? ebuf : curl_easy_strerror(cc);
		if (cc == CURLE_PARTIAL_FILE)
			rc = kiln_err_set(err, KILN_ENETWORK, "%s %.200s: truncated body: %s",
					  req->method, url, why);
		else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
			 cc == CURLE_SSL_CONNECT_ERROR)
			rc = kiln_err_set(err, KILN_ENETWORK, "%s %.200s: TLS: %s", req->method,
					  url, why);
		else
			rc = kiln_err_set(err, KILN_ENETWORK, "%s %.200s: %s", req->method, url,
					  why);
		resp->transient = transient(cc);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
out:
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL); /* @ebuf is about to go */
	if (x.up_fd >= 0)
		close(x.up_fd);
	curl_slist_free_all(hdrs);
	return rc;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Retry-After: delta-seconds or an HTTP-date.  Returns seconds, or -1. */
static long retry_after_s(const char *v)
{
	char *end;
	long s;
	if (v[0] == '\0')
		return -1;
	if (v[0] >= '0' && v[0] <= '9') {
		s = strtol(v, &end, 10);
		return *end == '\0' && s >= 0 ? s : -1;
	}
	s = (long)(curl_getdate(v, NULL) - time(NULL));
	return s < 0 ? 0 : s;
}

static int retryable_status(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/* Follow redirects from @req->url; Authorization only to its origin. */
static int follow(struct kiln_oci_client *c, const struct http_req *req, struct http_resp *resp,
		  struct kiln_err *err)
{
	struct origin first, hop;
	char url[sizeof resp->url];
	int rc;

	if ((rc = url_origin(req->authz_url ? req->authz_url : req->url, &first, err)) != KILN_OK)
		return rc;
	if ((rc = fmt(url, sizeof url, "%s", req->url)) != KILN_OK)
		return kiln_err_set(err, KILN_ELIMIT, "URL too long");
	resp->cross_origin = 0;
	for (int hops = 0;; hops++) {
		if ((rc = http_url_allowed(c, url, err)) != KILN_OK)
			return rc;
		if ((rc = url_origin(url, &hop, err)) != KILN_OK)
			return rc;
		resp->cross_origin = !same_origin(&first, &hop);
		fmt(resp->host, sizeof resp->host, "%s:%s", hop.host, hop.port);
		rc = transfer(c, req, url, resp->cross_origin ? NULL : req->authz, resp, err);
		if (rc != KILN_OK)
			return rc;
		if (!req->follow || resp->status < 300 || resp->status > 399 ||
		    resp->status == 304 || resp->location[0] == '\0')
			return KILN_OK;
		if (hops == MAX_REDIRECTS)
			return kiln_err_set(err, KILN_EHTTP, "%s %.200s: more than %d redirects",
					    req->method, req->url, MAX_REDIRECTS);
		if ((rc = http_url_resolve(url, resp->location, url, sizeof url, err)) != KILN_OK)
			return rc;
	}
}

int http_request(struct kiln_oci_client *c, const struct http_req *req, struct http_resp *resp,
		 struct kiln_err *err)
{
	unsigned backoff = c->o.retry_base_ms;
	int rc = KILN_OK;

	for (unsigned attempt = 0;; attempt++) {
		unsigned delay = backoff;
		int again;

		resp->attempts = attempt + 1;
		resp->transient = 0;
		if (attempt > 0 && req->sink != NULL && (rc = sink_reset(req->sink, err)) != KILN_OK)
			return rc;
		rc = follow(c, req, resp, err);
		if (rc != KILN_OK)
			again = resp->transient;
		else
			again = retryable_status(resp->status);
		if (!again || attempt >= c->o.retries)
			break;
		if (rc == KILN_OK && resp->retry_after[0] != '\0') {
			long s = retry_after_s(resp->retry_after);
			if (s > (long)c->o.retry_after_max_s) {
				resp->retry_after_exceeded = 1;
				break;
			}
			if (s >= 0)
				delay = (unsigned)s * 1000u;
		} else {
			delay += randombytes_uniform(backoff / 4 + 1);
		}
		sleep_ms(delay);
		backoff = backoff > BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : backoff * 2;
	}
	if (rc != KILN_OK && resp->attempts > 1 && err != NULL) {
		char note[48];
		fmt(note, sizeof note, " (after %u attempts)", resp->attempts);
		if (strlen(err->msg) + strlen(note) < sizeof err->msg)
			memcpy(err->msg + strlen(err->msg), note, strlen(note) + 1);
	}
	return rc;
}

void http_error_text(const struct http_resp *resp, char *out, size_t cap)
{
	json_t *j;
	const json_t *errs, *e0;

	out[0] = '\0';
	if (resp->err_len == 0)
		return;
	j = json_loadb(resp->err_body, resp->err_len, 0, NULL);
	errs = json_object_get(j, "errors");
	e0 = json_array_get(errs, 0);
	if (json_is_object(e0)) {
		const json_t *code = json_object_get(e0, "code");
		const json_t *msg = json_object_get(e0, "message");
		fmt(out, cap, "%.40s%s%.160s", json_is_string(code) ? json_string_value(code) : "",
		    json_is_string(code) && json_is_string(msg) ? ": " : "",
		    json_is_string(msg) ? json_string_value(msg) : "");
	} else {
		/* The first line of whatever it was, printable characters only. */
		size_t n = 0;
		for (size_t i = 0; i < resp->err_len && n + 1 < cap && n < 160; i++) {
			char ch = resp->err_body[i];
			if (ch == '\n' || ch == '\r')
				break;
			out[n++] = (ch >= ' ' && ch < 0x7f) ? ch : '?';
		}
		out[n] = '\0';
	}
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			*p = '?';
	json_decref(j);
}
