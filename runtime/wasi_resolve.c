/*
 * wasi_resolve.c — containment: every guest path is resolved beneath the
 * directory descriptor it is relative to, and nothing else.
 *
 * The kernel does it when it can: openat2() with RESOLVE_BENEATH refuses
 * absolute paths, ".." above the starting point and symlinks that lead
 * out, atomically, and RESOLVE_NO_MAGICLINKS refuses /proc-style magic
 * links (/proc/self/root, /proc/self/fd/N), which are not text and would
 * otherwise jump anywhere.
 *
 * Without openat2 (ENOSYS: kernels before 5.6, some seccomp filters) the
 * fallback walks the path one component at a time: each component is
 * opened with O_PATH | O_NOFOLLOW relative to the previous one, symlinks
 * are read and spliced into the remaining path as text (absolute targets
 * refused), and ".." pops a stack of the directories opened on the way
 * down, so it can never reach anything that was not below the start — no
 * matter how the tree is renamed meanwhile.  Magic links are refused the
 * same way: their text is either absolute or names nothing beneath.  The
 * last component is opened with O_NOFOLLOW, so a symlink swapped in after
 * the check fails instead of being followed.
 *
 * Both return -EXDEV for an escape; callers turn it into ENOTCAPABLE and an
 * audit entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_impl.h"

/* A path grows when symlinks are spliced in; this bounds it. */
#define WORK_MAX (2 * KILN_WASI_PATH_MAX)

/* Set once openat2 has returned ENOSYS: the kernel will not grow it. */
static atomic_int no_openat2;

static int try_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	for (int tries = 0;; tries++) {
		long r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (r >= 0)
			return (int)r;
		/* EAGAIN: a concurrent rename or mount; the kernel asks for
		 * a retry rather than risk a wrong answer. */
		if ((errno == EAGAIN && tries < 32) || errno == EINTR)
			continue;
		return -errno;
	}
}

struct walk {
	int stack[KILN_WASI_MAX_DEPTH + 1]; /* stack[0] is the start, not owned */
	int depth;
	int links;
	char *buf;  /* the path still to resolve, WORK_MAX + 1 bytes */
	char *link; /* readlink target, KILN_WASI_PATH_MAX + 1 bytes */
};

/* Replace the path with the target of symlink @name in @dir followed by
 * @rest (a suffix of the current path). */
static int splice_link(struct walk *k, int dir, const char *name, const char *rest)
{
	ssize_t n;
	size_t rlen = strlen(rest);
	if (++k->links > KILN_WASI_MAX_SYMLINKS)
		return -ELOOP;
	n = readlinkat(dir, name, k->link, KILN_WASI_PATH_MAX + 1);
	if (n < 0)
		return -errno;
	if ((size_t)n > KILN_WASI_PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	if (k->link[0] == '/')
		return -EXDEV;
	if ((size_t)n + rlen > WORK_MAX)
		return -ENAMETOOLONG;
	memmove(k->buf + n, rest, rlen + 1);
	memcpy(k->buf, k->link, (size_t)n);
	return 0;
}

static int fallback_open(int dirfd, const char *path, int flags, mode_t mode, bool follow)
{
	struct walk k = {.depth = 0};
	size_t len = strlen(path);
	char *p;
	int rc, fd = -1;

	if (len == 0)
		return -ENOENT;
	if (len > WORK_MAX)
		return -ENAMETOOLONG;
	if (path[0] == '/')
		return -EXDEV;
	k.stack[0] = dirfd;
	k.buf = malloc(WORK_MAX + 1 + KILN_WASI_PATH_MAX + 1);
	if (k.buf == NULL)
		return -ENOMEM;
	k.link = k.buf + WORK_MAX + 1;
	memcpy(k.buf, path, len + 1);
	p = k.buf;
	for (;;) {
		char name[NAME_MAX + 1];
		char *end, *next;
		size_t nlen;
		bool last, trailing;
		int top = k.stack[k.depth];
		struct stat st;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		nlen = (size_t)(end - p);
		if (nlen == 0) {
			rc = -ENOENT;
			goto out;
		}
		if (nlen > NAME_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		for (next = end; *next == '/'; next++)
			;
		last = *next == '\0';
		trailing = last && next != end;

		if (strcmp(name, "..") == 0) {
			if (k.depth == 0) {
				rc = -EXDEV;
				goto out;
			}
			close(k.stack[k.depth--]);
			top = k.stack[k.depth];
			memcpy(name, ".", 2);
		}
		if (strcmp(name, ".") == 0 && !last) {
			p = next;
			continue;
		}
		if (!last) {
			fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || fstat(fd, &st) != 0) {
				rc = -errno;
				if (fd >= 0)
					close(fd);
				goto out;
			}
			if (S_ISLNK(st.st_mode)) {
				close(fd);
				if ((rc = splice_link(&k, top, name, end)) < 0)
					goto out;
				p = k.buf;
				if (*p == '/') {
					rc = -EXDEV;
					goto out;
				}
				continue;
			}
			if (!S_ISDIR(st.st_mode)) {
				close(fd);
				rc = -ENOTDIR;
				goto out;
			}
			if (k.depth == KILN_WASI_MAX_DEPTH) {
				close(fd);
				rc = -ENAMETOOLONG;
				goto out;
			}
			k.stack[++k.depth] = fd;
			p = next;
			continue;
		}
		/* The last component: open it for real, never following. */
		fd = openat(top, name, flags | O_NOFOLLOW | O_CLOEXEC | (trailing ? O_DIRECTORY : 0),
			    mode);
		if (fd >= 0) {
			if (!(flags & O_PATH) || !(follow || trailing))
				break;
			if (fstat(fd, &st) != 0 || !S_ISLNK(st.st_mode))
				break;
			close(fd); /* O_PATH opened the symlink itself: follow it */
		} else {
			int e = errno;
			/* ELOOP (or ENOTDIR with O_DIRECTORY): maybe a symlink. */
			if (!(follow || trailing) || (e != ELOOP && e != ENOTDIR)) {
				rc = -e;
				goto out;
			}
			if ((rc = splice_link(&k, top, name, end)) < 0) {
				rc = rc == -EINVAL ? -e : rc; /* not a symlink */
				goto out;
			}
			p = k.buf;
			continue;
		}
		if ((rc = splice_link(&k, top, name, end)) < 0)
			goto out;
		p = k.buf;
	}
	rc = fd;
out:
	while (k.depth > 0)
		close(k.stack[k.depth--]);
	free(k.buf);
	return rc;
}

int wasi_resolve_open(const struct kiln_wasi *w, int dirfd, const char *path, int flags,
		      mode_t mode, bool follow)
{
	int r;
	if (w->resolver == KILN_WASI_RESOLVE_FALLBACK || atomic_load(&no_openat2))
		return fallback_open(dirfd, path, flags, mode, follow);
	r = try_openat2(dirfd, path, flags | (follow ? 0 : O_NOFOLLOW), mode);
	if (r == -ENOSYS) {
		atomic_store(&no_openat2, 1);
		return fallback_open(dirfd, path, flags, mode, follow);
	}
	if (r == -ELOOP) {
		/* A symlink loop, a final symlink not followed, or a magic
		 * link: let the walk tell an escape from the rest, with
		 * O_PATH so that nothing is created. */
		int c = fallback_open(dirfd, path, O_PATH | (flags & O_DIRECTORY), 0, follow);
		if (c == -EXDEV)
			return -EXDEV;
		if (c >= 0)
			close(c);
	}
	return r;
}

int wasi_resolve_parent(const struct kiln_wasi *w, int dirfd, const char *path, bool follow,
			int *parent, char *leaf, bool *trailing)
{
	size_t len = strlen(path);
	char *buf, *link;
	int links = 0, rc;

	*parent = -1;
	*trailing = false;
	if (len == 0)
		return -ENOENT;
	if (len > WORK_MAX)
		return -ENAMETOOLONG;
	buf = malloc(WORK_MAX + 1 + KILN_WASI_PATH_MAX + 1);
	if (buf == NULL)
		return -ENOMEM;
	link = buf + WORK_MAX + 1;
	memcpy(buf, path, len + 1);
	for (;;) {
		size_t n = strlen(buf), dirlen;
		char *slash;
		const char *last;
		ssize_t t;
		int fd;

		if (buf[0] == '/') {
			rc = -EXDEV;
			goto out;
		}
		while (n > 1 && buf[n - 1] == '/') {
			buf[--n] = '\0';
			*trailing = true;
		}
		slash = strrchr(buf, '/');
		last = slash != NULL ? slash + 1 : buf;
		if (strlen(last) > NAME_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
			/* The path names a directory itself: its own "." is
			 * the leaf, so nothing is ever done to a "..". */
			fd = wasi_resolve_open(w, dirfd, buf, O_PATH | O_DIRECTORY, 0, true);
			if (fd < 0) {
				rc = fd;
				goto out;
			}
			*parent = fd;
			memcpy(leaf, ".", 2);
			rc = 0;
			goto out;
		}
		dirlen = slash != NULL ? (size_t)(slash - buf) : 0;
		if (slash != NULL)
			*slash = '\0';
		fd = wasi_resolve_open(w, dirfd, slash != NULL ? buf : ".", O_PATH | O_DIRECTORY, 0,
				       true);
		if (fd < 0) {
			rc = fd;
			goto out;
		}
		if (!follow || (t = readlinkat(fd, last, link, KILN_WASI_PATH_MAX + 1)) < 0) {
			/* Not following, or not a symlink (or not there). */
			memcpy(leaf, last, strlen(last) + 1);
			*parent = fd;
			rc = 0;
			goto out;
		}
		close(fd);
		if (++links > KILN_WASI_MAX_SYMLINKS) {
			rc = -ELOOP;
			goto out;
		}
		if ((size_t)t > KILN_WASI_PATH_MAX || dirlen + 1 + (size_t)t > WORK_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		if (t == 0) {
			rc = -ENOENT;
			goto out;
		}
		if (link[0] == '/') {
			rc = -EXDEV;
			goto out;
		}
		/* dir + "/" + target, resolved again from the start. */
		if (slash != NULL) {
			buf[dirlen] = '/';
			memcpy(buf + dirlen + 1, link, (size_t)t);
			buf[dirlen + 1 + (size_t)t] = '\0';
		} else {
			memcpy(buf, link, (size_t)t);
			buf[t] = '\0';
		}
	}
out:
	free(buf);
	return rc;
}
