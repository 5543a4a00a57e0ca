/*
 * httpd.h — the smallest HTTP/1.1 server the OCI test servers need: one
 * connection at a time on 127.0.0.1, one request per connection.  For
 * tests only; it trusts nothing it reads but is not meant to be fast.
 */
#ifndef KILN_TEST_HTTPD_H
#define KILN_TEST_HTTPD_H

#include <stddef.h>

struct request {
	char method[16];
	char path[2048];  /* without the query */
	char query[2048]; /* after '?', "" if none */
	char host[256];   /* Host header */
	char authz[8192]; /* Authorization header, "" if none */
	size_t body_len;  /* bytes of body read and discarded */
};

/** Listen on 127.0.0.1 with a kernel-chosen port; write the port number
 *  to @port_file (atomically).  Returns the socket or exits. */
int httpd_listen(const char *port_file);
/** Accept and parse one request; returns the connection fd or -1. */
int httpd_accept(int lfd, struct request *r);
/** Send a whole response with Connection: close; @extra is "" or
 *  header lines each ending in \r\n.  @length < 0: use @len. */
void httpd_send(int fd, int status, const char *extra, const char *ctype, const void *body,
		size_t len, long long length);
/** Append a line to @log_file (if not NULL). */
void httpd_log(const char *log_file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Percent-decode @in into @out (at most @cap bytes with the NUL). */
void httpd_unescape(const char *in, size_t len, char *out, size_t cap);
/** The value of query parameter @name (the @nth occurrence), decoded. */
int httpd_query(const char *query, const char *name, int nth, char *out, size_t cap);

#endif
