/*
 * spawn.c — running wasm2c and cc: posix_spawn, never a shell, with stdout
 * and stderr captured through pipes so that their diagnostics can be
 * reported cleanly (prefixed, and only when something failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver_impl.h"

extern char **environ;

/* Most bytes kept of each stream; the rest is read and dropped. */
#ifndef KILN_SPAWN_CAPTURE_MAX
#define KILN_SPAWN_CAPTURE_MAX (1024 * 1024)
#endif

/* The child being waited for, for kiln_spawn_kill_child (0: none). */
static volatile sig_atomic_t current_child;

void kiln_spawn_kill_child(void)
{
	pid_t pid = (pid_t)current_child;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

struct capture {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Append what can be read from @c; returns 1 at EOF, 0 to continue, -1 on
 * error (errno set). */
static int capture_read(struct capture *c)
{
	char chunk[8192];
	ssize_t n = read(c->fd, chunk, sizeof chunk);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return 1;
	if (c->len < KILN_SPAWN_CAPTURE_MAX) {
		size_t keep = (size_t)n;
		if (keep > KILN_SPAWN_CAPTURE_MAX - c->len)
			keep = KILN_SPAWN_CAPTURE_MAX - c->len;
		if (c->len + keep + 1 > c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 16384;
			char *nb;
			while (ncap < c->len + keep + 1)
				ncap *= 2;
			nb = realloc(c->buf, ncap);
			if (nb == NULL) {
				errno = ENOMEM;
				return -1;
			}
			c->buf = nb;
			c->cap = ncap;
		}
		memcpy(c->buf + c->len, chunk, keep);
		c->len += keep;
		c->buf[c->len] = '\0';
	}
	return 0;
}

/* Turn a captured buffer into a NUL-terminated string (never NULL). */
static int capture_finish(struct capture *c, char **out, size_t *len)
{
	if (c->buf == NULL) {
		c->buf = calloc(1, 1);
		if (c->buf == NULL)
			return -1;
	}
	*out = c->buf;
	*len = c->len;
	c->buf = NULL;
	return 0;
}

int kiln_spawn(char *const argv[], const char *cwd, struct kiln_proc *proc, struct kiln_err *err)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	struct capture cap[2] = {{-1, NULL, 0, 0}, {-1, NULL, 0, 0}};
	posix_spawn_file_actions_t fa;
	bool fa_ok = false;
	pid_t pid = -1;
	int rc = KILN_OK, e, wstatus;

	memset(proc, 0, sizeof *proc);
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		rc = kiln_err_set(err, KILN_ETOOL, "cannot run %s: pipe: %s", argv[0],
				  strerror(errno));
		goto out;
	}
	if ((e = posix_spawn_file_actions_init(&fa)) != 0) {
		rc = kiln_err_set(err, KILN_ETOOL, "cannot run %s: %s", argv[0], strerror(e));
		goto out;
	}
	fa_ok = true;
	if ((e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, outp[1], 1)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, errp[1], 2)) != 0 ||
	    (cwd != NULL && (e = posix_spawn_file_actions_addchdir_np(&fa, cwd)) != 0)) {
		rc = kiln_err_set(err, KILN_ETOOL, "cannot run %s: %s", argv[0], strerror(e));
		goto out;
	}
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	if (e != 0) {
		pid = -1;
		rc = kiln_err_set(err, e == ENOENT ? KILN_ENOTFOUND : KILN_ETOOL,
				  "cannot run %s: %s", argv[0], strerror(e));
		goto out;
	}
	current_child = pid;
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	cap[0].fd = outp[0];
	cap[1].fd = errp[0];
	while (cap[0].fd >= 0 || cap[1].fd >= 0) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		for (int i = 0; i < 2; i++)
			if (cap[i].fd >= 0)
				pfd[n++] = (struct pollfd){cap[i].fd, POLLIN, 0};
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = kiln_err_set(err, KILN_ETOOL, "running %s: poll: %s", argv[0],
					  strerror(errno));
			goto out;
		}
		for (nfds_t k = 0; k < n; k++) {
			struct capture *c = pfd[k].fd == cap[0].fd ? &cap[0] : &cap[1];
			int r;
			if (pfd[k].revents == 0)
				continue;
			r = capture_read(c);
			if (r < 0) {
				rc = kiln_err_set(err, KILN_ETOOL, "running %s: %s", argv[0],
						  strerror(errno));
				goto out;
			}
			if (r > 0)
				c->fd = -1; /* closed below through outp/errp */
		}
	}
	if (capture_finish(&cap[0], &proc->out, &proc->outlen) != 0 ||
	    capture_finish(&cap[1], &proc->errout, &proc->errlen) != 0) {
		rc = kiln_err_set(err, KILN_ENOMEM, "running %s: out of memory", argv[0]);
		goto out;
	}
out:
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (pid > 0) {
		/* The pipes are closed, so a child still writing gets SIGPIPE;
		 * always reap it so that no zombie is left. */
		while (waitpid(pid, &wstatus, 0) < 0) {
			if (errno != EINTR) {
				if (rc == KILN_OK)
					rc = kiln_err_set(err, KILN_ETOOL, "waiting for %s: %s",
							  argv[0], strerror(errno));
				wstatus = 0x7f00; /* exit status 127 */
				break;
			}
		}
		current_child = 0;
		if (WIFSIGNALED(wstatus)) {
			proc->signaled = true;
			proc->status = 128 + WTERMSIG(wstatus);
		} else {
			proc->status = WEXITSTATUS(wstatus);
		}
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	free(cap[0].buf);
	free(cap[1].buf);
	if (rc != KILN_OK)
		kiln_proc_release(proc);
	return rc;
}

void kiln_proc_release(struct kiln_proc *proc)
{
	if (proc == NULL)
		return;
	free(proc->out);
	free(proc->errout);
	proc->out = proc->errout = NULL;
	proc->outlen = proc->errlen = 0;
}
