/*
 * ref.c — the reference grammar (see kiln_oci_ref_parse in kiln_oci.h).
 *
 * Deliberately stricter than docker's: there is no default registry and
 * no implied "latest", because a reference in a build configuration that
 * silently means different bytes tomorrow is how supply chains break.
 */
#include <arpa/inet.h>
#include <string.h>

#include "oci_impl.h"

#define LAYOUT_PREFIX "oci-layout:"

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

int ref_tag_valid(const char *tag, size_t len)
{
	if (len == 0 || len > KILN_OCI_TAG_MAX)
		return 0;
	if (!(is_alnum(tag[0]) || tag[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(is_alnum(tag[i]) || tag[i] == '_' || tag[i] == '.' || tag[i] == '-'))
			return 0;
	return 1;
}

/* A path component: [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*.  Returns the
 * offset of the first bad character, or @len when the component is valid. */
static size_t component_check(const char *s, size_t len)
{
	size_t i = 0;
	if (len == 0 || !is_lower_alnum(s[0]))
		return 0;
	while (i < len) {
		while (i < len && is_lower_alnum(s[i]))
			i++;
		if (i == len)
			break;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < len && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < len && s[i] == '-')
				i++;
		} else {
			return i;
		}
		if (i == len || !is_lower_alnum(s[i]))
			return i < len ? i : len - 1;
	}
	return len;
}

static int port_valid(const char *p, size_t len)
{
	unsigned v = 0;
	if (len == 0 || len > 5 || p[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* host[:port], where host is a DNS name, an IPv4 address or [IPv6]. */
static int host_check(const char *h, size_t len, const char *text, struct kiln_err *err)
{
	size_t name_len = len;
	const char *colon = NULL;

	if (len == 0)
		return kiln_err_set(err, KILN_EREF, "\"%.200s\": empty registry host", text);
	if (len > KILN_OCI_HOST_MAX)
		return kiln_err_set(err, KILN_EREF, "\"%.200s\": registry host longer than %d bytes",
				    text, KILN_OCI_HOST_MAX);
	if (h[0] == '[') {
		char addr[64];
		struct in6_addr a6;
		const char *end = memchr(h, ']', len);
		size_t alen;
		if (end == NULL)
			return kiln_err_set(err, KILN_EREF, "\"%.200s\": unterminated '[' in host",
					    text);
		alen = (size_t)(end - h - 1);
		if (alen >= sizeof addr)
			return kiln_err_set(err, KILN_EREF, "\"%.200s\": bad IPv6 address", text);
		memcpy(addr, h + 1, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET6, addr, &a6) != 1)
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": \"%s\" is not an IPv6 address", text, addr);
		if ((size_t)(end + 1 - h) == len)
			return KILN_OK;
		if (end[1] != ':' || !port_valid(end + 2, len - (size_t)(end + 2 - h)))
			return kiln_err_set(err, KILN_EREF, "\"%.200s\": bad port after \"[%s]\"",
					    text, addr);
		return KILN_OK;
	}
	colon = memchr(h, ':', len);
	if (colon != NULL) {
		name_len = (size_t)(colon - h);
		if (!port_valid(colon + 1, len - name_len - 1))
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": port \"%.*s\" is not a number from 1 "
					    "to 65535",
					    text, (int)(len - name_len - 1), colon + 1);
	}
	/* labels: [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?, dot separated */
	for (size_t i = 0, start = 0; i <= name_len; i++) {
		if (i < name_len && h[i] != '.') {
			if (!is_alnum(h[i]) && h[i] != '-')
				return kiln_err_set(err, KILN_EREF,
						    "\"%.200s\": offset %zu: '%c' is not allowed "
						    "in a registry host",
						    text, (size_t)(h - text) + i, h[i]);
			continue;
		}
		if (i == start || h[start] == '-' || h[i - 1] == '-' || i - start > 63)
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": offset %zu: bad label in registry host "
					    "\"%.*s\"",
					    text, (size_t)(h - text) + start, (int)len, h);
		start = i + 1;
	}
	return KILN_OK;
}

/* Docker's rule for telling a registry host from a first path segment. */
static int looks_like_host(const char *h, size_t len)
{
	return memchr(h, '.', len) != NULL || memchr(h, ':', len) != NULL || h[0] == '[' ||
	       (len == 9 && memcmp(h, "localhost", 9) == 0);
}

static int tag_check(const char *tag, size_t len, const char *text, struct kiln_err *err)
{
	if (len == 0)
		return kiln_err_set(err, KILN_EREF, "\"%.200s\": empty tag after ':'", text);
	if (len > KILN_OCI_TAG_MAX)
		return kiln_err_set(err, KILN_EREF, "\"%.200s\": tag longer than %d characters",
				    text, KILN_OCI_TAG_MAX);
	if (!ref_tag_valid(tag, len))
		return kiln_err_set(err, KILN_EREF,
				    "\"%.200s\": tag \"%.*s\" must match "
				    "[A-Za-z0-9_][A-Za-z0-9._-]*",
				    text, (int)len, tag);
	return KILN_OK;
}

/* The tag between @start and @end, checked, into @ref->tag. */
static int take_tag(const char *start, const char *end, const char *text,
		    struct kiln_oci_ref *ref, struct kiln_err *err)
{
	size_t tlen = (size_t)(end - start);
	int rc = tag_check(start, tlen, text, err);
	if (rc == KILN_OK) {
		memcpy(ref->tag, start, tlen);
		ref->tag[tlen] = '\0';
	}
	return rc;
}

static int digest_part(const char *d, const char *text, struct kiln_oci_ref *ref,
		       struct kiln_err *err)
{
	int rc = kiln_digest_parse(d, &ref->digest, err);
	if (rc != KILN_OK) {
		char where[64];
		fmt(where, sizeof where, "offset %zu", (size_t)(d - text));
		kiln_err_prefix(err, where);
		kiln_err_prefix(err, "reference");
		if (err != NULL)
			err->code = KILN_EREF;
		return KILN_EREF;
	}
	ref->pinned = 1;
	return KILN_OK;
}

static int parse_layout(const char *text, struct kiln_oci_ref *ref, struct kiln_err *err)
{
	const char *rest = text + sizeof LAYOUT_PREFIX - 1;
	const char *at = strrchr(rest, '@');
	const char *end = at ? at : rest + strlen(rest);
	const char *slash, *colon = NULL;
	size_t dlen;
	int rc;

	ref->kind = KILN_OCI_REF_LAYOUT;
	if (at != NULL && (rc = digest_part(at + 1, text, ref, err)) != KILN_OK)
		return rc;
	/* The tag is what follows the last ':' after the last '/'. */
	slash = rest;
	for (const char *p = rest; p < end; p++)
		if (*p == '/')
			slash = p;
	for (const char *p = slash; p < end; p++)
		if (*p == ':')
			colon = p;
	dlen = (size_t)((colon ? colon : end) - rest);
	if (dlen == 0)
		return kiln_err_set(err, KILN_EREF, "\"%.200s\": expected oci-layout:DIR[:tag], "
				    "the directory is empty", text);
	if (dlen >= sizeof ref->dir)
		return kiln_err_set(err, KILN_EREF, "\"%.100s...\": directory name too long", text);
	memcpy(ref->dir, rest, dlen);
	ref->dir[dlen] = '\0';
	return colon != NULL ? take_tag(colon + 1, end, text, ref, err) : KILN_OK;
}

static int parse_registry(const char *text, struct kiln_oci_ref *ref, struct kiln_err *err)
{
	const char *at = strchr(text, '@');
	const char *end = at ? at : text + strlen(text);
	const char *slash = memchr(text, '/', (size_t)(end - text));
	const char *path, *colon = NULL;
	size_t hlen, plen;
	int rc;

	ref->kind = KILN_OCI_REF_REGISTRY;
	if (at != NULL && (rc = digest_part(at + 1, text, ref, err)) != KILN_OK)
		return rc;
	if (slash == NULL || !looks_like_host(text, (size_t)(slash - text)))
		return kiln_err_set(err, KILN_EREF,
				    "\"%.200s\": no registry host; kiln has no default registry, "
				    "write HOST[:PORT]/REPOSITORY (e.g. registry.example/%.*s)",
				    text, (int)(slash ? slash - text : end - text), text);
	hlen = (size_t)(slash - text);
	if ((rc = host_check(text, hlen, text, err)) != KILN_OK)
		return rc;
	memcpy(ref->host, text, hlen);
	ref->host[hlen] = '\0';

	path = slash + 1;
	for (const char *p = path; p < end; p++)
		if (*p == ':')
			colon = p;
	plen = (size_t)((colon ? colon : end) - path);
	if (plen == 0)
		return kiln_err_set(err, KILN_EREF, "\"%.200s\": empty repository after the host",
				    text);
	if (plen > KILN_OCI_REPO_MAX)
		return kiln_err_set(err, KILN_EREF, "\"%.100s...\": repository longer than %d bytes",
				    text, KILN_OCI_REPO_MAX);
	for (size_t i = 0, start = 0; i <= plen; i++) {
		size_t bad, clen;
		if (i < plen && path[i] != '/')
			continue;
		clen = i - start;
		bad = component_check(path + start, clen);
		if (clen == 0)
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": offset %zu: empty path segment", text,
					    (size_t)(path - text) + start);
		if (bad != clen) {
			size_t off = (size_t)(path - text) + start + bad;
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": offset %zu: path segment \"%.*s\" must "
					    "be lowercase letters and digits separated by '.', "
					    "'_', '__' or '-'",
					    text, off, (int)clen, path + start);
		}
		start = i + 1;
	}
	memcpy(ref->repository, path, plen);
	ref->repository[plen] = '\0';
	return colon != NULL ? take_tag(colon + 1, end, text, ref, err) : KILN_OK;
}

int kiln_oci_ref_parse(const char *text, unsigned flags, struct kiln_oci_ref *ref,
		       struct kiln_err *err)
{
	int rc;

	memset(ref, 0, sizeof *ref);
	if (text == NULL || text[0] == '\0')
		return kiln_err_set(err, KILN_EREF, "empty reference");
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": offset %zu: control, space or non-ASCII "
					    "character",
					    text, (size_t)(p - text));
	if (strncmp(text, LAYOUT_PREFIX, sizeof LAYOUT_PREFIX - 1) == 0)
		rc = parse_layout(text, ref, err);
	else
		rc = parse_registry(text, ref, err);
	if (rc != KILN_OK)
		return rc;

	if (flags & KILN_OCI_REF_REVISION_FORM) {
		size_t principal_len;
		if (ref->kind != KILN_OCI_REF_REGISTRY)
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": expected registry/principal/scope:revision, "
					    "found a layout reference",
					    text);
		kiln_oci_ref_scope(ref, &principal_len);
		if (principal_len == 0)
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": expected registry/principal/scope:revision, "
					    "found only two path segments",
					    text);
		if (ref->tag[0] == '\0')
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": expected registry/principal/scope:revision, "
					    "the revision is missing",
					    text);
	}
	if (!ref->pinned && ref->tag[0] == '\0' && (flags & KILN_OCI_REF_ALLOW_UNTAGGED))
		return KILN_OK;
	if (!ref->pinned && (ref->tag[0] == '\0' || strcmp(ref->tag, "latest") == 0)) {
		if (!(flags & KILN_OCI_REF_ALLOW_LATEST))
			return kiln_err_set(err, KILN_EREF,
					    "\"%.200s\": %s \"latest\" is not pinned to a digest; "
					    "give a tag or @sha256:... (or allow it with "
					    "--allow-latest)",
					    text, ref->tag[0] ? "tag" : "no tag means");
		if (ref->tag[0] == '\0')
			memcpy(ref->tag, "latest", sizeof "latest");
	}
	return KILN_OK;
}

size_t ref_repo_text(const struct kiln_oci_ref *ref, char *buf, size_t cap)
{
	int n;
	if (ref->kind == KILN_OCI_REF_LAYOUT)
		n = snprintf(buf, cap, "%s%s", LAYOUT_PREFIX, ref->dir);
	else
		n = snprintf(buf, cap, "%s/%s", ref->host, ref->repository);
	return n < 0 ? 0 : (size_t)n;
}

size_t kiln_oci_ref_format(const struct kiln_oci_ref *ref, char *buf, size_t cap)
{
	char d[KILN_DIGEST_STRLEN + 1] = "";
	char repo[KILN_OCI_REF_STRMAX];
	int n;

	ref_repo_text(ref, repo, sizeof repo);
	if (ref->pinned)
		kiln_digest_format(&ref->digest, d);
	n = snprintf(buf, cap, "%s%s%s%s%s", repo, ref->tag[0] ? ":" : "", ref->tag,
		     ref->pinned ? "@" : "", d);
	return n < 0 ? 0 : (size_t)n;
}

const char *kiln_oci_ref_scope(const struct kiln_oci_ref *ref, size_t *principal_len)
{
	const char *slash = strrchr(ref->repository, '/');
	if (slash == NULL) {
		if (principal_len != NULL)
			*principal_len = 0;
		return ref->repository;
	}
	if (principal_len != NULL)
		*principal_len = (size_t)(slash - ref->repository);
	return slash + 1;
}
