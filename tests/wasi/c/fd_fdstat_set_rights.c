/* wasi-functions: fd_fdstat_set_rights
 * Rights can be dropped, never added back; a dropped right is enforced. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void)
{
	__wasi_fdstat_t st;
	int fd = open("rights.cleanup", O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert(fd >= 0);
	assert(__wasi_fd_fdstat_get(fd, &st) == 0);
	assert(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
	assert(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE,
					   st.fs_rights_inheriting) == 0);
	{
		__wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
		__wasi_size_t n;
		assert(__wasi_fd_write(fd, &iov, 1, &n) == __WASI_ERRNO_NOTCAPABLE);
	}
	/* wasi-libc reports a missing write right as POSIX does. */
	assert(write(fd, "x", 1) == -1 && errno == EBADF);
	assert(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, st.fs_rights_inheriting) ==
	       __WASI_ERRNO_NOTCAPABLE);
	assert(__wasi_fd_fdstat_set_rights(999, 0, 0) == __WASI_ERRNO_BADF);
	assert(close(fd) == 0);
	assert(unlink("rights.cleanup") == 0);
	return EXIT_SUCCESS;
}
