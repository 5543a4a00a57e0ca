/* wasi-functions: path_open path_filestat_get
 * Raw calls on the preopen (fd 3) that try to leave it: "..", absolute
 * paths and a symlink pointing out all fail with ENOTCAPABLE. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static __wasi_errno_t try_open(const char *path)
{
	__wasi_fd_t fd;
	return __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0,
				__WASI_RIGHTS_FD_READ, 0, 0, &fd);
}

int main(void)
{
	__wasi_prestat_t pre;
	__wasi_filestat_t st;
	assert(__wasi_fd_prestat_get(3, &pre) == 0);
	assert(try_open("file") == 0);
	assert(try_open("sub/../file") == 0);
	assert(try_open("..") == __WASI_ERRNO_NOTCAPABLE);
	assert(try_open("../etc/passwd") == __WASI_ERRNO_NOTCAPABLE);
	assert(try_open("sub/../../etc/passwd") == __WASI_ERRNO_NOTCAPABLE);
	assert(try_open("/etc/passwd") == __WASI_ERRNO_NOTCAPABLE);
	assert(__wasi_path_filestat_get(3, 0, "/", &st) == __WASI_ERRNO_NOTCAPABLE);
	assert(__wasi_path_filestat_get(3, 0, "..", &st) == __WASI_ERRNO_NOTCAPABLE);
	assert(symlink("sub/..", "self.cleanup") == 0);
	assert(try_open("self.cleanup/file") == 0);
	assert(try_open("self.cleanup/../file") == __WASI_ERRNO_NOTCAPABLE);
	assert(unlink("self.cleanup") == 0);
	return EXIT_SUCCESS;
}
