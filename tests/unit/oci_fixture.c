/* Shared helpers of the libkiln-oci unit suites (see oci_fixture.h). */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_fixture.h"

char *fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/kiln-unit-XXXXXX", base && base[0] ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		return NULL;
	return strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_rmtree(const char *dir)
{
	if (dir != NULL)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fx_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc;
	if (f == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

char *fx_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		char *p;
		if (n + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 8192;
			p = realloc(buf, cap);
			if (p == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static size_t counted;

static int count_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)ftw;
	if (flag == FTW_F)
		counted++;
	return 0;
}

size_t fx_count_files(const char *dir)
{
	counted = 0;
	nftw(dir, count_one, 16, FTW_PHYS);
	return counted;
}

struct kiln_oci_client *fx_client(const char *store)
{
	struct kiln_oci_options o;
	struct kiln_oci_client *c = NULL;
	kiln_oci_options_init(&o);
	o.store_dir = store;
	o.offline = 1;
	if (kiln_oci_global_init(NULL) != KILN_OK || kiln_oci_client_new(&o, &c, NULL) != KILN_OK)
		return NULL;
	return c;
}

size_t fx_wasm(unsigned char *buf, size_t cap, size_t extra)
{
	static const unsigned char head[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	size_t n = sizeof head, payload = 2 + extra; /* name "k" + bytes */
	if (cap < n + 1 + 5 + payload)
		return 0;
	memcpy(buf, head, n);
	if (extra == 0 && cap >= n)
		return n;
	buf[n++] = 0; /* custom section */
	for (size_t v = payload;;) { /* LEB128 size */
		unsigned char b = v & 0x7f;
		v >>= 7;
		buf[n++] = (unsigned char)(b | (v ? 0x80 : 0));
		if (v == 0)
			break;
	}
	buf[n++] = 1;
	buf[n++] = 'k';
	for (size_t i = 0; i < extra; i++)
		buf[n++] = (unsigned char)(i * 31 + 7);
	return n;
}
