/*
 * freeport — port helpers for the OCI test suite, which starts servers
 * (docker-registry) that must be told their port up front.
 *
 *     freeport            print a TCP port on 127.0.0.1 that was free a
 *                         moment ago
 *     freeport wait PORT  wait (up to 10 s) until 127.0.0.1:PORT accepts
 *                         connections; exit status 1 if it never does
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int wait_for(const char *port_text)
{
	char *end;
	long port = strtol(port_text, &end, 10);
	struct timespec pause = {0, 50 * 1000 * 1000};

	if (*end != '\0' || port < 1 || port > 65535)
		return 2;
	for (int i = 0; i < 200; i++) {
		struct sockaddr_in a;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((unsigned short)port);
		ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return 0;
		nanosleep(&pause, NULL);
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int fd;

	if (argc == 3 && strcmp(argv[1], "wait") == 0)
		return wait_for(argv[2]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		perror("freeport");
		return 1;
	}
	printf("%d\n", ntohs(a.sin_port));
	close(fd);
	return 0;
}
