/*
 * tokensrv — a token server for docker-registry's token authentication,
 * for kiln's tests.
 *
 *     tokensrv PORTFILE LOGFILE KEY.pem X5C.b64 ISSUER SERVICE USER:PASSWORD
 *
 * Answers GET /token?service=...&scope=repository:NAME:ACTIONS (scope may
 * repeat) when the request carries Basic USER:PASSWORD, with a JWT that
 * grants exactly the requested scopes: header {"alg":"RS256","typ":"JWT",
 * "x5c":[X5C]} (the certificate the registry's rootcertbundle trusts),
 * claims iss, sub, aud, exp, nbf, iat, jti and access.  The RS256
 * signature comes from `openssl dgst -sha256 -sign KEY`.  Without valid
 * credentials it answers 401.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "httpd.h"

static const char *key_file, *issuer, *service;
static char x5c[8192], expect_authz[1024];

static void b64url(const void *data, size_t len, char *out, size_t cap)
{
	sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* RS256 of @input by `openssl dgst`; returns the signature length or -1. */
static ssize_t rs256(const char *input, unsigned char *sig, size_t cap)
{
	int in[2], out[2], status = 0;
	ssize_t n = 0;
	pid_t pid;

	if (pipe(in) != 0 || pipe(out) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp("openssl", "openssl", "dgst", "-sha256", "-sign", key_file, "-binary",
		       (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (write(in[1], input, strlen(input)) != (ssize_t)strlen(input))
		n = -1;
	close(in[1]);
	while (n >= 0 && (size_t)n < cap) {
		ssize_t got = read(out[0], sig + n, cap - (size_t)n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += got;
	}
	close(out[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? n : -1;
}

/* "repository:a/b:pull,push" -> {"type":..,"name":..,"actions":[..]} */
static int access_entry(const char *scope, char *out, size_t cap)
{
	char type[64], name[256], actions[128], list[256] = "";
	const char *c1 = strchr(scope, ':'), *c2 = strrchr(scope, ':');
	size_t used = 0;
	if (c1 == NULL || c2 == c1 || (size_t)(c1 - scope) >= sizeof type ||
	    (size_t)(c2 - c1 - 1) >= sizeof name)
		return -1;
	snprintf(type, sizeof type, "%.*s", (int)(c1 - scope), scope);
	snprintf(name, sizeof name, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	snprintf(actions, sizeof actions, "%s", c2 + 1);
	for (char *a = actions, *comma; a != NULL; a = comma ? comma + 1 : NULL) {
		comma = strchr(a, ',');
		if (comma != NULL)
			*comma = '\0';
		used += (size_t)snprintf(list + used, sizeof list - used, "%s\"%s\"",
					 used ? "," : "", a);
		if (used >= sizeof list)
			return -1;
	}
	return snprintf(out, cap, "{\"type\":\"%s\",\"name\":\"%s\",\"actions\":[%s]}", type, name,
			list) < (int)cap
		       ? 0
		       : -1;
}

static void handle(int fd, const struct request *r, const char *log)
{
	char header[9000], claims[4096], access[2048] = "", scope[512], svc[256] = "";
	char hb64[12288], cb64[6000], input[20000], sb64[700], token[21000], body[43000];
	unsigned char sig[512], jti[8];
	char jtihex[17];
	size_t used = 0;
	ssize_t slen;
	long now = (long)time(NULL);

	if (strcmp(r->path, "/token") != 0) {
		httpd_send(fd, 404, "", "text/plain", "not found\n", 10, -1);
		return;
	}
	httpd_query(r->query, "service", 0, svc, sizeof svc);
	if (strcmp(r->authz, expect_authz) != 0) {
		httpd_log(log, "token denied service=%s auth=%d", svc, r->authz[0] != '\0');
		httpd_send(fd, 401, "WWW-Authenticate: Basic realm=\"kiln-token\"\r\n",
			   "application/json", "{\"details\":\"bad credentials\"}", 29, -1);
		return;
	}
	for (int i = 0; httpd_query(r->query, "scope", i, scope, sizeof scope); i++) {
		/* One parameter may hold several space-separated scopes. */
		for (char *s = scope, *sp; s != NULL; s = sp ? sp + 1 : NULL) {
			char entry[512];
			sp = strchr(s, ' ');
			if (sp != NULL)
				*sp = '\0';
			if (access_entry(s, entry, sizeof entry) != 0)
				continue;
			used += (size_t)snprintf(access + used, sizeof access - used, "%s%s",
						 used ? "," : "", entry);
		}
	}
	randombytes_buf(jti, sizeof jti);
	sodium_bin2hex(jtihex, sizeof jtihex, jti, sizeof jti);
	snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"%s\"]}", x5c);
	snprintf(claims, sizeof claims,
		 "{\"iss\":\"%s\",\"sub\":\"u\",\"aud\":\"%s\",\"exp\":%ld,\"nbf\":%ld,\"iat\":%ld,"
		 "\"jti\":\"%s\",\"access\":[%s]}",
		 issuer, service, now + 300, now - 10, now, jtihex, access);
	b64url(header, strlen(header), hb64, sizeof hb64);
	b64url(claims, strlen(claims), cb64, sizeof cb64);
	snprintf(input, sizeof input, "%s.%s", hb64, cb64);
	slen = rs256(input, sig, sizeof sig);
	if (slen <= 0) {
		httpd_send(fd, 500, "", "text/plain", "signing failed\n", 15, -1);
		return;
	}
	b64url(sig, (size_t)slen, sb64, sizeof sb64);
	snprintf(token, sizeof token, "%s.%s", input, sb64);
	snprintf(body, sizeof body, "{\"token\":\"%s\",\"access_token\":\"%s\",\"expires_in\":300}",
		 token, token);
	httpd_log(log, "token granted service=%s access=%s", svc, access);
	httpd_send(fd, 200, "", "application/json", body, strlen(body), -1);
}

int main(int argc, char **argv)
{
	struct request r;
	FILE *f;
	int lfd;

	if (argc != 8) {
		fprintf(stderr, "usage: tokensrv PORTFILE LOGFILE KEY X5C ISSUER SERVICE "
				"USER:PASSWORD\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	key_file = argv[3];
	issuer = argv[5];
	service = argv[6];
	f = fopen(argv[4], "r");
	if (f == NULL || fgets(x5c, sizeof x5c, f) == NULL)
		return 1;
	fclose(f);
	x5c[strcspn(x5c, "\r\n")] = '\0';
	memcpy(expect_authz, "Basic ", 6);
	sodium_bin2base64(expect_authz + 6, sizeof expect_authz - 6, (unsigned char *)argv[7],
			  strlen(argv[7]), sodium_base64_VARIANT_ORIGINAL);
	lfd = httpd_listen(argv[1]);
	for (;;) {
		int fd = httpd_accept(lfd, &r);
		if (fd < 0)
			continue;
		handle(fd, &r, argv[2]);
		close(fd);
	}
}
