/* wasi-functions: fd_sync fd_datasync
 * fsync and fdatasync on a written file and on a directory. */
#include <assert.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	int fd = open("sync.cleanup", O_WRONLY | O_CREAT | O_TRUNC, 0644), dir;
	assert(fd >= 0);
	assert(write(fd, "durable", 7) == 7);
	assert(fdatasync(fd) == 0);
	assert(fsync(fd) == 0);
	assert(close(fd) == 0);
	dir = open(".", O_RDONLY | O_DIRECTORY);
	assert(dir >= 0);
	assert(fsync(dir) == 0);
	assert(close(dir) == 0);
	assert(fsync(fd) == -1); /* closed */
	assert(unlink("sync.cleanup") == 0);
	return EXIT_SUCCESS;
}
