/* wasi-functions: fd_filestat_set_size fd_filestat_set_times
 * ftruncate up and down; futimens with given times; "omit" and "now"
 * through the raw call, because the futimens of some wasi-libc builds
 * turns UTIME_NOW/UTIME_OMIT in the second slot into EINVAL by itself (an
 * LLVM miscompile of its utimens_get_timestamps). */
#include <assert.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void)
{
	struct stat st;
	const struct timespec ts[2] = {{1000000000, 5}, {2000000000, 7}};
	int fd = open("sizes.cleanup", O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert(fd >= 0);
	assert(ftruncate(fd, 1000) == 0);
	assert(fstat(fd, &st) == 0 && st.st_size == 1000);
	assert(ftruncate(fd, 10) == 0);
	assert(fstat(fd, &st) == 0 && st.st_size == 10);
	assert(futimens(fd, ts) == 0);
	assert(fstat(fd, &st) == 0);
	assert(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 5);
	assert(st.st_mtim.tv_sec == 2000000000 && st.st_mtim.tv_nsec == 7);
	assert(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW) == 0);
	assert(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM |
							   __WASI_FSTFLAGS_MTIM_NOW) ==
	       __WASI_ERRNO_INVAL);
	assert(fstat(fd, &st) == 0);
	assert(st.st_atim.tv_sec == 1000000000);
	assert(st.st_mtim.tv_sec != 2000000000);
	assert(close(fd) == 0);
	assert(unlink("sizes.cleanup") == 0);
	return EXIT_SUCCESS;
}
