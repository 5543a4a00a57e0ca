/* The test servers' HTTP core (see httpd.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "httpd.h"

int httpd_listen(const char *port_file)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	char tmp[4096];
	FILE *f;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	signal(SIGPIPE, SIG_IGN);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		perror("httpd: listen");
		exit(1);
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 ||
	    rename(tmp, port_file) != 0) {
		perror("httpd: port file");
		exit(1);
	}
	return fd;
}

static void header_value(const char *line, const char *name, char *out, size_t cap)
{
	size_t k = strlen(name);
	if (strncasecmp(line, name, k) == 0 && line[k] == ':') {
		const char *v = line + k + 1;
		while (*v == ' ')
			v++;
		snprintf(out, cap, "%s", v);
		out[strcspn(out, "\r\n")] = '\0';
	}
}

int httpd_accept(int lfd, struct request *r)
{
	char buf[32768], clen[32] = "";
	struct timeval tv = {5, 0};
	size_t n = 0, head;
	char *end = NULL, *line, *q;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	memset(r, 0, sizeof *r);
	while (end == NULL && n < sizeof buf - 1) {
		ssize_t got = read(fd, buf + n, sizeof buf - 1 - n);
		if (got <= 0) {
			close(fd);
			return -1;
		}
		n += (size_t)got;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	if (end == NULL) {
		close(fd);
		return -1;
	}
	head = (size_t)(end - buf) + 4;
	*end = '\0';
	if (sscanf(buf, "%15s %2047s", r->method, r->path) != 2) {
		close(fd);
		return -1;
	}
	q = strchr(r->path, '?');
	if (q != NULL) {
		snprintf(r->query, sizeof r->query, "%s", q + 1);
		*q = '\0';
	}
	for (line = strstr(buf, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
		line += 2;
		header_value(line, "Host", r->host, sizeof r->host);
		header_value(line, "Authorization", r->authz, sizeof r->authz);
		header_value(line, "Content-Length", clen, sizeof clen);
	}
	/* Discard a request body, if any. */
	if (clen[0] != '\0') {
		size_t want = strtoull(clen, NULL, 10), have = n - head;
		while (have < want) {
			ssize_t got = read(fd, buf, sizeof buf);
			if (got <= 0)
				break;
			have += (size_t)got;
		}
		r->body_len = have;
	}
	return fd;
}

static void write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	default: return "Status";
	}
}

void httpd_send(int fd, int status, const char *extra, const char *ctype, const void *body,
		size_t len, long long length)
{
	char head[4096];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: %lld\r\n"
			 "%s%s%s%s\r\n",
			 status, reason(status), length < 0 ? (long long)len : length,
			 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
			 extra);
	write_all(fd, head, (size_t)n);
	if (body != NULL && len > 0)
		write_all(fd, body, len);
}

void httpd_log(const char *log_file, const char *fmt, ...)
{
	va_list ap;
	FILE *f;
	if (log_file == NULL)
		return;
	f = fopen(log_file, "a");
	if (f == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

void httpd_unescape(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		unsigned v;
		if (in[i] == '%' && i + 2 < len && sscanf(in + i + 1, "%2x", &v) == 1) {
			out[o++] = (char)v;
			i += 2;
		} else {
			out[o++] = in[i] == '+' ? ' ' : in[i];
		}
	}
	out[o] = '\0';
}

int httpd_query(const char *query, const char *name, int nth, char *out, size_t cap)
{
	size_t k = strlen(name);
	const char *p = query;
	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > k && strncmp(p, name, k) == 0 && p[k] == '=' && nth-- == 0) {
			httpd_unescape(p + k + 1, len - k - 1, out, cap);
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}
