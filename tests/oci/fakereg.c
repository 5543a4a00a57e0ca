/*
 * fakereg — a hostile OCI registry for kiln's tests.
 *
 *     fakereg PORTFILE LOGFILE
 *
 * Serves /v2/h/SCENARIO/manifests/REF and /v2/h/SCENARIO/blobs/DIGEST.  The
 * repository name picks the misbehaviour, so one server covers every case:
 *
 *   ok              a valid wasm artifact
 *   two-layers      two application/wasm layers
 *   layer-type      the layer is application/vnd.oci.image.layer.v1.tar+gzip
 *   config-type     the config is application/vnd.oci.image.config.v1+json
 *   manifest-type   a Docker schema 1 manifest
 *   bad-json        a manifest that is not JSON (its digest header is right)
 *   digest-header   Docker-Content-Digest names another document
 *   body-mismatch   asked by digest, answers with another body
 *   huge-manifest   announces a 10 GiB manifest, sends 1 KiB and hangs up
 *   huge-blob       announces a 10 GiB layer, sends 1 KiB and hangs up
 *   truncated       the layer is cut off halfway
 *   401 404 429 500 that status, always (429 with Retry-After: 1)
 *   429-once        429 with Retry-After: 1 on the first manifest request
 *   500-once        500 on the first manifest request
 *   redirect        needs Basic u:p; blobs redirect to other.test (same
 *                   port), which serves them only without Authorization
 *   redirect-auth   as redirect, but other.test demands credentials
 *   redirect-http   blobs redirect to plain-HTTP public.test
 *
 * Each request is logged as "HOST METHOD PATH auth=0|1".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "httpd.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BASIC_UP "Basic dTpw" /* base64("u:p") */

struct blob {
	char digest[72];
	const unsigned char *data;
	size_t len;
};

static unsigned char wasm[1024], wasm2[512];
static char config[256];
static struct blob blobs[3];
static int once_429, once_500;

static void digest_of(const void *data, size_t len, char out[72])
{
	unsigned char h[32];
	crypto_hash_sha256(h, data, len);
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, 65, h, sizeof h);
}

static void make_wasm(unsigned char *buf, size_t len, unsigned char seed)
{
	static const unsigned char head[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0};
	memcpy(buf, head, sizeof head);
	/* one custom section filling the rest: size (2-byte LEB), name "k" */
	buf[9] = (unsigned char)(((len - 11) & 0x7f) | 0x80);
	buf[10] = (unsigned char)((len - 11) >> 7);
	buf[11] = 1;
	buf[12] = 'k';
	for (size_t i = 13; i < len; i++)
		buf[i] = (unsigned char)(i * seed);
}

static void setup(void)
{
	make_wasm(wasm, sizeof wasm, 7);
	make_wasm(wasm2, sizeof wasm2, 13);
	blobs[1].data = wasm;
	blobs[1].len = sizeof wasm;
	digest_of(wasm, sizeof wasm, blobs[1].digest);
	blobs[2].data = wasm2;
	blobs[2].len = sizeof wasm2;
	digest_of(wasm2, sizeof wasm2, blobs[2].digest);
	snprintf(config, sizeof config,
		 "{\"architecture\":\"wasm\",\"layerDigests\":[\"%s\"],\"os\":\"wasip1\"}",
		 blobs[1].digest);
	blobs[0].data = (const unsigned char *)config;
	blobs[0].len = strlen(config);
	digest_of(config, strlen(config), blobs[0].digest);
}

static size_t manifest(const char *scenario, char *out, size_t cap)
{
	const char *ctype = "application/vnd.wasm.config.v0+json";
	const char *ltype = "application/wasm";
	char extra[400] = "";
	if (strcmp(scenario, "config-type") == 0)
		ctype = "application/vnd.oci.image.config.v1+json";
	if (strcmp(scenario, "layer-type") == 0)
		ltype = "application/vnd.oci.image.layer.v1.tar+gzip";
	if (strcmp(scenario, "two-layers") == 0)
		snprintf(extra, sizeof extra,
			 ",{\"mediaType\":\"application/wasm\",\"digest\":\"%s\",\"size\":%zu}",
			 blobs[2].digest, blobs[2].len);
	return (size_t)snprintf(out, cap,
				"{\"schemaVersion\":2,\"mediaType\":\"" MT_MANIFEST "\","
				"\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
				"\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}%s]}",
				ctype, blobs[0].digest, blobs[0].len, ltype, blobs[1].digest,
				blobs[1].len, extra);
}

static void send_error(int fd, int status, const char *code, const char *msg)
{
	char body[512];
	int n = snprintf(body, sizeof body,
			 "{\"errors\":[{\"code\":\"%s\",\"message\":\"%s\"}]}", code, msg);
	httpd_send(fd, status, "", "application/json", body, (size_t)n, -1);
}

static void serve_manifest(int fd, const char *sc, const char *ref, int head)
{
	char body[2048], hdr[256], dg[72];
	size_t n = manifest(sc, body, sizeof body);
	const char *ctype = MT_MANIFEST;

	if (strcmp(sc, "manifest-type") == 0) {
		n = (size_t)snprintf(body, sizeof body, "{\"schemaVersion\":1,\"name\":\"h/x\"}");
		ctype = "application/vnd.docker.distribution.manifest.v1+prettyjws";
	} else if (strcmp(sc, "bad-json") == 0) {
		n = (size_t)snprintf(body, sizeof body, "{\"schemaVersion\":2,\"config\":{\"medi");
	} else if (strcmp(sc, "body-mismatch") == 0 && strncmp(ref, "sha256:", 7) == 0) {
		/* Claim to be what was asked for, send something else. */
		n = manifest("ok", body, sizeof body);
		memcpy(body + n - 1, ",\"annotations\":{\"x\":\"y\"}}", 26);
		n += 24;
		snprintf(hdr, sizeof hdr, "Docker-Content-Digest: %s\r\n", ref);
		httpd_send(fd, 200, hdr, ctype, head ? NULL : body, n, -1);
		return;
	} else if (strcmp(sc, "huge-manifest") == 0) {
		memset(body, ' ', 1024);
		httpd_send(fd, 200, "", ctype, body, 1024, 10737418240LL);
		return;
	}
	digest_of(body, n, dg);
	if (strcmp(sc, "digest-header") == 0)
		digest_of("another document", 16, dg);
	snprintf(hdr, sizeof hdr, "Docker-Content-Digest: %s\r\n", dg);
	httpd_send(fd, 200, hdr, ctype, head ? NULL : body, n, head ? (long long)n : -1);
}

static void serve_blob(int fd, const char *sc, const char *digest, const char *port)
{
	const struct blob *b = NULL;
	char hdr[512];
	for (size_t i = 0; i < 3; i++)
		if (strcmp(blobs[i].digest, digest) == 0)
			b = &blobs[i];
	if (b == NULL) {
		send_error(fd, 404, "BLOB_UNKNOWN", "blob unknown to registry");
		return;
	}
	if (strncmp(sc, "redirect", 8) == 0) {
		snprintf(hdr, sizeof hdr, "Location: http://%s:%s/v2/h/%s/blobs/%s\r\n",
			 strcmp(sc, "redirect-http") == 0 ? "public.test" : "other.test", port, sc,
			 digest);
		httpd_send(fd, 307, hdr, NULL, NULL, 0, -1);
		return;
	}
	if (b == &blobs[1] && strcmp(sc, "huge-blob") == 0) {
		httpd_send(fd, 200, "", "application/octet-stream", b->data, 1000, 10737418240LL);
		return;
	}
	if (b == &blobs[1] && strcmp(sc, "truncated") == 0) {
		httpd_send(fd, 200, "", "application/octet-stream", b->data, b->len / 2,
			   (long long)b->len);
		return;
	}
	httpd_send(fd, 200, "", "application/octet-stream", b->data, b->len, -1);
}

/* The other host of the redirect scenarios: never accept Authorization. */
static void serve_other(int fd, const struct request *r, const char *sc)
{
	const char *digest = strrchr(r->path, '/');
	if (r->authz[0] != '\0') {
		send_error(fd, 400, "LEAKED", "credentials were forwarded to another host");
		return;
	}
	if (strcmp(sc, "redirect-auth") == 0) {
		httpd_send(fd, 401, "WWW-Authenticate: Basic realm=\"other\"\r\n", NULL, NULL, 0, -1);
		return;
	}
	for (size_t i = 0; digest != NULL && i < 3; i++)
		if (strcmp(blobs[i].digest, digest + 1) == 0) {
			httpd_send(fd, 200, "", "application/octet-stream", blobs[i].data,
				   blobs[i].len, -1);
			return;
		}
	send_error(fd, 404, "BLOB_UNKNOWN", "blob unknown");
}

static void handle(int fd, const struct request *r, const char *port)
{
	char sc[64] = "", kind[16] = "", ref[160] = "";
	int head = strcmp(r->method, "HEAD") == 0;

	if (strcmp(r->path, "/v2/") == 0) {
		httpd_send(fd, 200, "", "application/json", "{}", 2, -1);
		return;
	}
	if (sscanf(r->path, "/v2/h/%63[^/]/%15[^/]/%159s", sc, kind, ref) != 3) {
		send_error(fd, 404, "NAME_UNKNOWN", "repository name not known to registry");
		return;
	}
	if (strncmp(r->host, "other.test", 10) == 0 || strncmp(r->host, "public.test", 11) == 0) {
		serve_other(fd, r, sc);
		return;
	}
	if (strcmp(sc, "401") == 0 ||
	    (strncmp(sc, "redirect", 8) == 0 && strcmp(r->authz, BASIC_UP) != 0)) {
		static const char body[] = "{\"errors\":[{\"code\":\"UNAUTHORIZED\","
					   "\"message\":\"authentication required\"}]}";
		httpd_send(fd, 401, "WWW-Authenticate: Basic realm=\"fakereg\"\r\n",
			   "application/json", body, sizeof body - 1, -1);
		return;
	}
	if (strcmp(sc, "404") == 0) {
		send_error(fd, 404, "MANIFEST_UNKNOWN", "manifest unknown");
		return;
	}
	if (strcmp(sc, "429") == 0 || (strcmp(sc, "429-once") == 0 && !once_429++)) {
		static const char body[] =
			"{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}";
		httpd_send(fd, 429, "Retry-After: 1\r\n", "application/json", body, sizeof body - 1,
			   -1);
		return;
	}
	if (strcmp(sc, "500") == 0 || (strcmp(sc, "500-once") == 0 && !once_500++)) {
		httpd_send(fd, 500, "", "text/plain", "internal error\n", 15, -1);
		return;
	}
	if (strcmp(kind, "manifests") == 0)
		serve_manifest(fd, sc, ref, head);
	else if (strcmp(kind, "blobs") == 0)
		serve_blob(fd, sc, ref, port);
	else
		send_error(fd, 404, "UNSUPPORTED", "not here");
}

int main(int argc, char **argv)
{
	struct request r;
	char port[16];
	FILE *f;
	int lfd;

	if (argc != 3) {
		fprintf(stderr, "usage: fakereg PORTFILE LOGFILE\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	setup();
	lfd = httpd_listen(argv[1]);
	f = fopen(argv[1], "r");
	if (f == NULL || fgets(port, sizeof port, f) == NULL)
		return 1;
	fclose(f);
	port[strcspn(port, "\n")] = '\0';
	for (;;) {
		int fd = httpd_accept(lfd, &r);
		if (fd < 0)
			continue;
		httpd_log(argv[2], "%s %s %s auth=%d", r.host, r.method, r.path, r.authz[0] != '\0');
		handle(fd, &r, port);
		close(fd);
	}
}
