/*
 * wasi_bench — cost of the WASI layer's hot calls, called directly (no
 * wasm): fd_write to a null and a captured stdout, fd_read of a file, and
 * path_open + fd_close through each resolver.  Prints ns per call.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

static uint64_t now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static struct kiln_wasi *make(const struct kiln_wasi_grants *g)
{
	struct kiln_wasi *w;
	struct kiln_err err;
	if (kiln_wasi_new(g, "bench", &w, &err) != KILN_OK) {
		fprintf(stderr, "wasi_bench: %s\n", err.msg);
		exit(1);
	}
	return w;
}

#define RUN(label, n, stmt)                                                                        \
	do {                                                                                       \
		uint64_t t0 = now();                                                               \
		for (long i_ = 0; i_ < (n); i_++) {                                                \
			if ((stmt) != 0) {                                                         \
				fprintf(stderr, "wasi_bench: %s failed\n", label);                 \
				exit(1);                                                           \
			}                                                                          \
		}                                                                                  \
		printf("%-44s %8.1f ns/call\n", label, (double)(now() - t0) / (double)(n));        \
	} while (0)

int main(void)
{
	static uint8_t mem[65536];
	struct kiln_wasi_mem m = {mem, sizeof mem};
	struct kiln_wasi_grants g = {0};
	struct kiln_wasi_mount mt = {0};
	char dir[] = "/tmp/kiln-wasi-bench.XXXXXX", p[PATH_MAX];
	struct kiln_wasi *w;
	const long n = 200000;
	uint32_t len;
	int fd;

	memcpy(mem + 0x100, "a line of output, about sixty-four bytes long, for the bench.\n", 62);
	wasi_st32(mem + 0x10, 0x100);
	wasi_st32(mem + 0x14, 62);

	w = make(&g);
	RUN("fd_write 62 B, stdout null", n, kiln_wasi_fd_write(w, m, 1, 0x10, 1, 0x20));
	kiln_wasi_free(w);
	g.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	g.stdio[1].capture_max = (size_t)n * 62;
	w = make(&g);
	RUN("fd_write 62 B, stdout captured", n, kiln_wasi_fd_write(w, m, 1, 0x10, 1, 0x20));
	kiln_wasi_free(w);

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(p, sizeof p, "%s/a", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/a/b", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/a/b/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	for (int i = 0; i < 16; i++)
		if (write(fd, mem, 4096) != 4096)
			return 1;
	close(fd);
	memset(&g, 0, sizeof g);
	mt.host_path = dir;
	mt.guest_path = "/";
	g.mounts = &mt;
	g.nmounts = 1;
	w = make(&g);
	memcpy(mem + 0x400, "a/b/../b/file", 13);
	len = 13;
	for (int r = 0; r < 2; r++) {
		kiln_wasi_set_resolver(w, r == 0 ? KILN_WASI_RESOLVE_AUTO : KILN_WASI_RESOLVE_FALLBACK);
		RUN(r == 0 ? "path_open+fd_close a/b/../b/file, openat2"
			   : "path_open+fd_close a/b/../b/file, fallback",
		    n / 4,
		    kiln_wasi_path_open(w, m, 3, 1, 0x400, len, 0, WASI_RIGHT_FD_READ, 0, 0, 0x30) ||
			    kiln_wasi_fd_close(w, m, wasi_ld32(mem + 0x30)));
	}
	kiln_wasi_set_resolver(w, KILN_WASI_RESOLVE_AUTO);
	if (kiln_wasi_path_open(w, m, 3, 1, 0x400, len, 0,
				WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK, 0, 0, 0x30) != 0)
		return 1;
	wasi_st32(mem + 0x40, 0x1000);
	wasi_st32(mem + 0x44, 4096);
	RUN("fd_pread 4 KiB from a file", n,
	    kiln_wasi_fd_pread(w, m, wasi_ld32(mem + 0x30), 0x40, 1, 0, 0x50));
	kiln_wasi_free(w);
	snprintf(p, sizeof p, "%s/a/b/file", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/a/b", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s/a", dir);
	rmdir(p);
	return rmdir(dir) == 0 ? 0 : 1;
}
