/* wasi-functions: sock_accept sock_recv sock_send
 * With no socket granted, every socket call is refused: ENOTSOCK on a
 * descriptor that is not a socket, EBADF on one that is not open. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <wasi/api.h>

int main(void)
{
	char buf[4] = "abc";
	__wasi_fd_t fd;
	__wasi_ciovec_t out = {(const uint8_t *)buf, 3};
	__wasi_iovec_t in = {(uint8_t *)buf, 3};
	__wasi_size_t n;
	__wasi_roflags_t ro;
	assert(__wasi_sock_accept(1, 0, &fd) == __WASI_ERRNO_NOTSOCK);
	assert(__wasi_sock_accept(999, 0, &fd) == __WASI_ERRNO_BADF);
	assert(__wasi_sock_send(1, &out, 1, 0, &n) == __WASI_ERRNO_NOTSOCK);
	assert(__wasi_sock_recv(0, &in, 1, 0, &n, &ro) == __WASI_ERRNO_NOTSOCK);
	assert(__wasi_sock_recv(999, &in, 1, 0, &n, &ro) == __WASI_ERRNO_BADF);
	assert(send(1, buf, 3, 0) == -1 && errno == ENOTSOCK);
	assert(recv(0, buf, 3, 0) == -1 && errno == ENOTSOCK);
	return EXIT_SUCCESS;
}
