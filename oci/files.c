/*
 * files.c — small helpers the rest of libkiln-oci leans on: a growable
 * buffer, checked formatting, whole-file reads with a size cap, and the
 * one way kiln replaces a file (temp file, fsync, rename, fsync dir) so
 * that a reader sees the old file or the new one, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_impl.h"

int buf_append(struct buf *b, const void *data, size_t len)
{
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *p;
		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2)
				return KILN_ENOMEM;
			cap *= 2;
		}
		p = realloc(b->data, cap);
		if (p == NULL)
			return KILN_ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return KILN_OK;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	int n;
	va_start(ap, f);
	n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? KILN_ELIMIT : KILN_OK;
}

int read_file(const char *path, size_t limit, struct buf *out, struct kiln_err *err)
{
	struct stat st;
	int fd, rc = KILN_OK;

	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kiln_err_set(err, errno == ENOENT ? KILN_ENOTFOUND : KILN_EIO,
				    "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = kiln_err_set(err, KILN_EIO, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > limit) {
		rc = kiln_err_set(err, KILN_ELIMIT, "%s: %lld bytes, more than the %zu allowed",
				  path, (long long)st.st_size, limit);
		goto out;
	}
	for (;;) {
		unsigned char chunk[16384];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kiln_err_set(err, KILN_EIO, "%s: read error: %s", path,
					  strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > limit) {
			rc = kiln_err_set(err, KILN_ELIMIT, "%s: more than the %zu bytes allowed",
					  path, limit);
			goto out;
		}
		if (buf_append(out, chunk, (size_t)n) != KILN_OK) {
			rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static void split_dir(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		fmt(dir, cap, ".");
	} else if (slash == path) {
		fmt(dir, cap, "/");
	} else {
		size_t n = (size_t)(slash - path) < cap - 1 ? (size_t)(slash - path) : cap - 1;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
}

int sync_dir(const char *dir, struct kiln_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = KILN_OK;
	if (fd < 0)
		return kiln_err_set(err, KILN_EIO, "%s: cannot open directory: %s", dir,
				    strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = kiln_err_set(err, KILN_EIO, "%s: fsync: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
		      struct kiln_err *err)
{
	char tmp[KILN_OCI_PATH_MAX], dir[KILN_OCI_PATH_MAX];
	const unsigned char *p = data;
	size_t done = 0;
	int fd, rc = KILN_OK;

	if (fmt(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) != KILN_OK)
		return kiln_err_set(err, KILN_ELIMIT, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return kiln_err_set(err, KILN_EIO, "%s: cannot create a temporary file: %s", path,
				    strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = kiln_err_set(err, KILN_EIO, "%s: write: %s", tmp, strerror(errno));
			goto fail;
		}
		done += (size_t)w;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		rc = kiln_err_set(err, KILN_EIO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = kiln_err_set(err, KILN_EIO, "%s: close: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = kiln_err_set(err, KILN_EIO, "cannot rename %s to %s: %s", tmp, path,
				  strerror(errno));
		goto fail;
	}
	split_dir(path, dir, sizeof dir);
	return sync_dir(dir, err);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int make_dirs(const char *path, struct kiln_err *err)
{
	char p[KILN_OCI_PATH_MAX];
	size_t len;

	if (fmt(p, sizeof p, "%s", path) != KILN_OK)
		return kiln_err_set(err, KILN_ELIMIT, "path too long: %.100s...", path);
	len = strlen(p);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return kiln_err_set(err, KILN_EIO, "%s: cannot create directory: %s", p,
					    strerror(errno));
		if (i < len)
			p[i] = '/';
	}
	return KILN_OK;
}

int host_is_loopback(const char *host)
{
	char name[KILN_OCI_HOST_MAX + 1];
	const char *colon;
	size_t n;

	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		return end != NULL && (size_t)(end - host) == 4 && strncmp(host, "[::1]", 5) == 0;
	}
	colon = strchr(host, ':');
	n = colon ? (size_t)(colon - host) : strlen(host);
	if (n >= sizeof name)
		return 0;
	memcpy(name, host, n);
	name[n] = '\0';
	if (strcmp(name, "localhost") == 0)
		return 1;
	/* 127.0.0.0/8, written as a dotted quad. */
	if (strncmp(name, "127.", 4) == 0) {
		int dots = 0;
		for (const char *q = name; *q; q++) {
			if (*q == '.')
				dots++;
			else if (*q < '0' || *q > '9')
				return 0;
		}
		return dots == 3;
	}
	return 0;
}
