/*
 * digest.c — SHA-256 digests: text form, one-shot and streaming hashing
 * (libsodium), constant-time comparison, and the hashing sink that every
 * blob passes through on its way to disk or memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_impl.h"

#define READ_CHUNK (1u << 20)
/* Start writeback every this many bytes of a blob written to a file. */
#define WRITEBACK_CHUNK (8u << 20)

int kiln_digest_parse(const char *text, struct kiln_digest *out, struct kiln_err *err)
{
	static const char prefix[] = "sha256:";
	const char *hex;
	size_t len;

	if (text == NULL)
		return kiln_err_set(err, KILN_EDIGEST, "expected a sha256 digest, found nothing");
	len = strnlen(text, KILN_DIGEST_STRLEN + 1);
	if (strncmp(text, prefix, sizeof prefix - 1) != 0) {
		const char *colon = memchr(text, ':', len);
		if (colon != NULL)
			return kiln_err_set(err, KILN_EDIGEST,
					    "digest algorithm \"%.*s\" is not supported "
					    "(only sha256)",
					    (int)(colon - text > 32 ? 32 : colon - text), text);
		return kiln_err_set(err, KILN_EDIGEST,
				    "expected \"sha256:<64 hex digits>\", found \"%.80s\"", text);
	}
	hex = text + sizeof prefix - 1;
	if (len != KILN_DIGEST_STRLEN)
		return kiln_err_set(err, KILN_EDIGEST,
				    "sha256 digest must have 64 hex digits, found %zu in \"%.80s\"",
				    strnlen(hex, 100), text);
	for (size_t i = 0; i < 2 * KILN_DIGEST_BYTES; i++) {
		char ch = hex[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return kiln_err_set(err, KILN_EDIGEST,
					    "sha256 digest \"%.80s\": character %zu is '%c', "
					    "expected a lowercase hex digit",
					    text, i + 7, ch);
	}
	if (sodium_hex2bin(out->bytes, sizeof out->bytes, hex, 2 * KILN_DIGEST_BYTES, NULL,
			   NULL, NULL) != 0)
		return kiln_err_set(err, KILN_EDIGEST, "cannot decode \"%.80s\"", text);
	return KILN_OK;
}

void kiln_digest_format(const struct kiln_digest *d, char out[KILN_DIGEST_STRLEN + 1])
{
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, 2 * KILN_DIGEST_BYTES + 1, d->bytes, sizeof d->bytes);
}

void digest_short(const struct kiln_digest *d, char out[24])
{
	char full[KILN_DIGEST_STRLEN + 1];
	kiln_digest_format(d, full);
	memcpy(out, full, 19);
	out[19] = '\0';
}

void kiln_digest_buffer(const void *data, size_t len, struct kiln_digest *out)
{
	crypto_hash_sha256(out->bytes, data, len);
}

int kiln_digest_equal(const struct kiln_digest *a, const struct kiln_digest *b)
{
	return sodium_memcmp(a->bytes, b->bytes, KILN_DIGEST_BYTES) == 0;
}

int kiln_digest_file(const char *path, struct kiln_digest *out, uint64_t *size,
		     struct kiln_err *err)
{
	crypto_hash_sha256_state h;
	unsigned char *chunk = NULL;
	uint64_t total = 0;
	int fd, rc = KILN_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kiln_err_set(err, errno == ENOENT ? KILN_ENOTFOUND : KILN_EIO,
				    "%s: cannot open: %s", path, strerror(errno));
	chunk = malloc(READ_CHUNK);
	if (chunk == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	crypto_hash_sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, chunk, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kiln_err_set(err, KILN_EIO, "%s: read error at byte %llu: %s", path,
					  (unsigned long long)total, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&h, chunk, (unsigned long long)n);
		total += (uint64_t)n;
	}
	crypto_hash_sha256_final(&h, out->bytes);
	if (size != NULL)
		*size = total;
out:
	free(chunk);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------- sink */

/*
 * Background hashing.  The writer appends to the file and publishes how
 * far it got (@avail); the thread reads the file back from the page cache
 * up to there and hashes it.  Reading back costs a memory copy; hashing
 * costs far more, and this way it runs while the next bytes arrive.
 */
struct bg_hash {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	uint64_t avail;  /* bytes written, under @mu */
	int stop;        /* no more bytes will come, under @mu */
	uint64_t hashed; /* the thread's own progress */
	int io_error;    /* the thread could not read the file back */
	crypto_hash_sha256_state h;
};

static void *bg_main(void *arg)
{
	struct bg_hash *b = arg;
	unsigned char *chunk = malloc(READ_CHUNK);

	if (chunk == NULL)
		b->io_error = ENOMEM;
	for (;;) {
		uint64_t upto;
		int stop;
		pthread_mutex_lock(&b->mu);
		while (b->hashed == b->avail && !b->stop)
			pthread_cond_wait(&b->cv, &b->mu);
		upto = b->avail;
		stop = b->stop;
		pthread_mutex_unlock(&b->mu);
		while (b->hashed < upto && b->io_error == 0) {
			size_t want = upto - b->hashed < READ_CHUNK ? (size_t)(upto - b->hashed)
								    : READ_CHUNK;
			ssize_t got = pread(b->fd, chunk, want, (off_t)b->hashed);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				b->io_error = got < 0 ? errno : EIO;
				break;
			}
			crypto_hash_sha256_update(&b->h, chunk, (unsigned long long)got);
			b->hashed += (uint64_t)got;
		}
		if (b->io_error != 0 || (stop && b->hashed == upto))
			break;
	}
	free(chunk);
	return NULL;
}

static struct bg_hash *bg_start(int fd)
{
	struct bg_hash *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->fd = fd;
	crypto_hash_sha256_init(&b->h);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (pthread_create(&b->thread, NULL, bg_main, b) != 0) {
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
		free(b);
		return NULL; /* hash inline instead */
	}
	return b;
}

static void bg_publish(struct bg_hash *b, uint64_t avail)
{
	pthread_mutex_lock(&b->mu);
	b->avail = avail;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* Stop the thread after it hashed everything published; keeps @b. */
static void bg_join(struct bg_hash *b)
{
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

void sink_release(struct sink *s)
{
	if (s->bg != NULL) {
		bg_join(s->bg);
		free(s->bg);
		s->bg = NULL;
	}
}

static void sink_common(struct sink *s, uint64_t expect, uint64_t limit, const char *what)
{
	s->n = 0;
	s->flushed = 0;
	s->expect = expect;
	s->limit = limit;
	s->what = what;
	s->overflow = 0;
	s->progress = NULL;
	s->progress_ctx = NULL;
	s->bg = NULL;
	memset(&s->id, 0, sizeof s->id);
	crypto_hash_sha256_init(&s->h);
}

void sink_init_fd(struct sink *s, int fd, uint64_t expect, uint64_t limit, const char *what)
{
	s->fd = fd;
	s->mem = NULL;
	sink_common(s, expect, limit, what);
}

void sink_init_mem(struct sink *s, struct buf *mem, uint64_t expect, uint64_t limit,
		   const char *what)
{
	s->fd = -1;
	s->mem = mem;
	sink_common(s, expect, limit, what);
}

int sink_reset(struct sink *s, struct kiln_err *err)
{
	sink_release(s);
	if (s->fd >= 0) {
		if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) != 0)
			return kiln_err_set(err, KILN_EIO, "cannot rewind the %s temp file: %s",
					    s->what, strerror(errno));
	} else {
		s->mem->len = 0;
	}
	s->n = 0;
	s->flushed = 0;
	s->overflow = 0;
	crypto_hash_sha256_init(&s->h);
	return KILN_OK;
}

int sink_write(struct sink *s, const void *data, size_t len, struct kiln_err *err)
{
	const unsigned char *p = data;

	if (len > s->limit - s->n) {
		s->overflow = 1;
		if (s->expect != UINT64_MAX && s->expect <= s->limit)
			return kiln_err_set(err, KILN_EDIGEST,
					    "%s is longer than its declared %llu bytes", s->what,
					    (unsigned long long)s->expect);
		return kiln_err_set(err, KILN_ELIMIT, "%s exceeds the limit of %llu bytes",
				    s->what, (unsigned long long)s->limit);
	}
	if (s->fd >= 0 && s->n == 0 && s->bg == NULL && s->expect != UINT64_MAX &&
	    s->expect >= KILN_OCI_HASH_THREAD_MIN)
		s->bg = bg_start(s->fd);
	if (s->bg == NULL)
		crypto_hash_sha256_update(&s->h, p, len);
	if (s->fd >= 0) {
		size_t done = 0;
		while (done < len) {
			ssize_t w = write(s->fd, p + done, len - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return kiln_err_set(err, KILN_EIO, "cannot write the %s: %s",
						    s->what, strerror(errno));
			done += (size_t)w;
		}
	} else if (buf_append(s->mem, p, len) != KILN_OK) {
		return kiln_err_set(err, KILN_ENOMEM, "out of memory reading the %s", s->what);
	}
	s->n += len;
	if (s->bg != NULL)
		bg_publish(s->bg, s->n);
	if (s->fd >= 0 && s->n - s->flushed >= WRITEBACK_CHUNK) {
		platform_start_writeback(s->fd, s->flushed, s->n - s->flushed);
		s->flushed = s->n;
	}
	if (s->progress != NULL)
		s->progress(s->progress_ctx, &s->id, s->n, s->expect);
	return KILN_OK;
}

int sink_finish(struct sink *s, const struct kiln_digest *want, struct kiln_err *err)
{
	struct kiln_digest got;
	char w[KILN_DIGEST_STRLEN + 1], g[KILN_DIGEST_STRLEN + 1];
	int io_error = 0;

	if (s->bg != NULL) {
		bg_join(s->bg);
		s->h = s->bg->h;
		io_error = s->bg->io_error;
		free(s->bg);
		s->bg = NULL;
	}
	if (io_error != 0)
		return kiln_err_set(err, KILN_EIO, "cannot read the %s back to hash it: %s",
				    s->what, strerror(io_error));
	if (s->expect != UINT64_MAX && s->n != s->expect)
		return kiln_err_set(err, KILN_EDIGEST, "%s is %llu bytes, its descriptor says %llu",
				    s->what, (unsigned long long)s->n,
				    (unsigned long long)s->expect);
	crypto_hash_sha256_final(&s->h, got.bytes);
	if (want != NULL && !kiln_digest_equal(&got, want)) {
		kiln_digest_format(want, w);
		kiln_digest_format(&got, g);
		return kiln_err_set(err, KILN_EDIGEST, "%s digest mismatch: expected %s, got %s",
				    s->what, w, g);
	}
	return KILN_OK;
}

int sink_copy_file(struct sink *s, const char *path, struct kiln_err *err)
{
	unsigned char *chunk;
	int fd, rc = KILN_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kiln_err_set(err, errno == ENOENT ? KILN_ENOTFOUND : KILN_EIO, "%s: %s",
				    path, strerror(errno));
	chunk = malloc(READ_CHUNK);
	if (chunk == NULL) {
		close(fd);
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	}
	for (;;) {
		ssize_t n = read(fd, chunk, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kiln_err_set(err, KILN_EIO, "%s: read: %s", path, strerror(errno));
			break;
		}
		if (n == 0 || (rc = sink_write(s, chunk, (size_t)n, err)) != KILN_OK)
			break;
	}
	free(chunk);
	close(fd);
	return rc;
}
