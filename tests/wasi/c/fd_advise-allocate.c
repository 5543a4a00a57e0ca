/* wasi-functions: fd_advise fd_allocate
 * posix_fadvise and posix_fallocate on a file the guest created, and
 * fd_advise on stdout, which is not a file. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	struct stat st;
	int fd = open("advise.cleanup", O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert(fd >= 0);
	assert(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
	assert(posix_fadvise(fd, 0, 100, POSIX_FADV_DONTNEED) == 0);
	assert(posix_fadvise(fd, 0, 0, 99) == EINVAL);
	assert(posix_fadvise(1, 0, 0, POSIX_FADV_NORMAL) == ESPIPE);
	assert(posix_fallocate(fd, 0, 4096) == 0);
	assert(fstat(fd, &st) == 0 && st.st_size == 4096);
	assert(posix_fallocate(fd, 4096, 0) == EINVAL);
	assert(close(fd) == 0);
	assert(unlink("advise.cleanup") == 0);
	return EXIT_SUCCESS;
}
