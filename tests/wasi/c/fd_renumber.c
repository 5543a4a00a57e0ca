/* wasi-functions: fd_renumber
 * Renumbering moves a descriptor over another, which is closed. */
#include <assert.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void)
{
	char buf[32] = {0};
	int a = open("file", O_RDONLY), b = open("sub/README", O_RDONLY);
	assert(a >= 0 && b >= 0 && a != b);
	assert(__wasi_fd_renumber(a, b) == 0);
	assert(read(b, buf, 4) == 4 && memcmp(buf, "kiln", 4) == 0);
	assert(read(a, buf, 4) == -1);
	assert(__wasi_fd_renumber(a, b) == __WASI_ERRNO_BADF);
	assert(__wasi_fd_renumber(b, b) == 0);
	assert(close(b) == 0);
	return EXIT_SUCCESS;
}
