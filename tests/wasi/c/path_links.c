/* wasi-functions: path_link path_symlink path_readlink path_filestat_set_times
 * Hard links, symlinks that stay inside, readlink, utimensat on a path;
 * symlinks that would point out of the sandbox are refused. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	struct stat st;
	struct timespec ts[2] = {{111, 0}, {222, 0}};
	char buf[64];
	ssize_t n;

	assert(link("file", "hard.cleanup") == 0);
	assert(stat("file", &st) == 0 && st.st_nlink == 2);
	assert(symlink("file", "soft.cleanup") == 0);
	assert(lstat("soft.cleanup", &st) == 0 && S_ISLNK(st.st_mode));
	assert(stat("soft.cleanup", &st) == 0 && S_ISREG(st.st_mode));
	n = readlink("soft.cleanup", buf, sizeof buf);
	assert(n == 4 && memcmp(buf, "file", 4) == 0);
	assert(readlink("file", buf, sizeof buf) == -1 && errno == EINVAL);
	assert(utimensat(AT_FDCWD, "hard.cleanup", ts, 0) == 0);
	assert(stat("file", &st) == 0 && st.st_mtim.tv_sec == 222);
	/* Planting links that point out is refused. */
	assert(symlink("/etc/passwd", "evil1.cleanup") == -1);
	assert(symlink("../outside", "evil2.cleanup") == -1);
	assert(symlink("../file", "sub/up.cleanup") == 0);
	assert(unlink("sub/up.cleanup") == 0);
	assert(unlink("soft.cleanup") == 0);
	assert(unlink("hard.cleanup") == 0);
	return EXIT_SUCCESS;
}
