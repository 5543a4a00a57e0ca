/*
 * probe.c — a guest for the `kiln run` suite (tests/run/run.sh): each
 * command shows one thing the guest can or cannot reach.  Failures print
 * "errno N" (the WASI errno wasi-libc reports) and exit 1.
 *
 *   probe args                print argc and each argument on a line
 *   probe env KEY             print KEY's value, or "unset"
 *   probe environ             print every variable
 *   probe preopens            print the preopened directories' names
 *   probe read PATH           print the file's contents
 *   probe write PATH TEXT     create or truncate PATH and write TEXT
 *   probe ls PATH             print a directory's entries, sorted
 *   probe cat                 copy stdin to stdout
 *   probe stderr TEXT         write TEXT to stderr
 *   probe exit N              exit(N)
 *   probe clock               read the realtime and the monotonic clock
 *   probe random              read 16 random bytes
 *   probe sleep MS            sleep
 *   probe grow MB             allocate and touch MB mebibytes
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

static int fail(void)
{
	printf("errno %d\n", errno);
	return 1;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : "";
	char buf[4096];

	if (strcmp(cmd, "args") == 0) {
		printf("%d\n", argc);
		for (int i = 0; i < argc; i++)
			printf("[%s]\n", argv[i]);
	} else if (strcmp(cmd, "env") == 0) {
		const char *v = getenv(a);
		printf("%s\n", v != NULL ? v : "unset");
	} else if (strcmp(cmd, "environ") == 0) {
		for (char **e = environ; *e != NULL; e++)
			printf("%s\n", *e);
	} else if (strcmp(cmd, "preopens") == 0) {
		for (__wasi_fd_t fd = 3;; fd++) {
			__wasi_prestat_t p;
			char name[256] = {0};
			if (__wasi_fd_prestat_get(fd, &p) != 0)
				break;
			if (p.u.dir.pr_name_len >= sizeof name ||
			    __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, p.u.dir.pr_name_len) != 0)
				return fail();
			printf("%u %s\n", fd, name);
		}
	} else if (strcmp(cmd, "read") == 0) {
		int fd = open(a, O_RDONLY);
		ssize_t n;
		if (fd < 0)
			return fail();
		while ((n = read(fd, buf, sizeof buf)) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		if (n < 0)
			return fail();
		close(fd);
	} else if (strcmp(cmd, "write") == 0) {
		const char *text = argc > 3 ? argv[3] : "";
		int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return fail();
		if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0)
			return fail();
		printf("wrote %zu\n", strlen(text));
	} else if (strcmp(cmd, "ls") == 0) {
		char *names[256];
		size_t n = 0;
		struct dirent *e;
		DIR *d = opendir(a);
		if (d == NULL)
			return fail();
		while ((e = readdir(d)) != NULL && n < 256)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				names[n++] = strdup(e->d_name);
		closedir(d);
		qsort(names, n, sizeof names[0], cmp);
		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
	} else if (strcmp(cmd, "cat") == 0) {
		ssize_t n;
		while ((n = read(0, buf, sizeof buf)) > 0)
			if (write(1, buf, (size_t)n) != n)
				return fail();
		if (n < 0)
			return fail();
	} else if (strcmp(cmd, "stderr") == 0) {
		fprintf(stderr, "%s\n", a);
	} else if (strcmp(cmd, "exit") == 0) {
		fflush(stdout);
		exit(atoi(a));
	} else if (strcmp(cmd, "clock") == 0) {
		struct timespec t;
		if (clock_gettime(CLOCK_REALTIME, &t) != 0)
			return fail();
		printf("realtime ok\n");
		if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
			return fail();
		printf("monotonic ok\n");
	} else if (strcmp(cmd, "random") == 0) {
		unsigned char r[16];
		if (getentropy(r, sizeof r) != 0)
			return fail();
		printf("random ok\n");
	} else if (strcmp(cmd, "sleep") == 0) {
		struct timespec d = {atoi(a) / 1000, (long)(atoi(a) % 1000) * 1000000L};
		if (nanosleep(&d, NULL) != 0)
			return fail();
		printf("slept\n");
	} else if (strcmp(cmd, "grow") == 0) {
		size_t n = (size_t)atoi(a) << 20;
		char *p = malloc(n);
		if (p == NULL)
			return fail();
		memset(p, 1, n);
		/* p is read, or the compiler would drop malloc and memset */
		printf("grew %s MiB (%d)\n", a, p[n - 1]);
	} else {
		fprintf(stderr, "probe: unknown command \"%s\"\n", cmd);
		return 2;
	}
	return 0;
}
