/*
 * wasi_fs.c — the path_* calls.
 *
 * Every path is copied out of guest memory (so that another guest thread
 * cannot change it half-way), refused if it holds a NUL byte, and resolved
 * beneath its directory descriptor by wasi_resolve.c.  Operations on the
 * last component use the *at() calls on the resolved parent with
 * AT_SYMLINK_NOFOLLOW or the equivalent, so that a symlink raced into
 * place is acted on as a symlink and never followed.
 *
 * Read-only mounts: every call that would change something fails with
 * ENOTCAPABLE (the directory lacks the right) and an audit entry; so does a
 * path_open asking to write, create or truncate.  Renames and hard links
 * between two mounts fail with EXDEV: a hard link from a read-only mount
 * into a writable one would make the read-only file writable.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"

static const char *mount_name(const struct kiln_wasi *w, const struct wasi_fd *e)
{
	return e->mount >= 0 ? w->mounts[e->mount].guest : "?";
}

static bool read_only(const struct kiln_wasi *w, const struct wasi_fd *e)
{
	return e->mount >= 0 && !w->mounts[e->mount].writable;
}

/* Copy a guest path into a new NUL-terminated string in *@out. */
static uint16_t get_path(struct kiln_wasi *w, enum kiln_wasi_func f, struct kiln_wasi_mem m,
			 uint32_t ptr, uint32_t len, char **out)
{
	char *s;
	*out = NULL;
	if (!wasi_mem_ok(m, ptr, len))
		return wasi_fault(w, f, "path", ptr, len, m);
	if (len > KILN_WASI_PATH_MAX)
		return WASI_ENAMETOOLONG;
	if ((s = malloc((size_t)len + 1)) == NULL)
		return WASI_ENOMEM;
	if (len > 0)
		memcpy(s, wasi_mem_at(m, ptr), len);
	s[len] = '\0';
	if (strlen(s) != len) {
		free(s);
		return wasi_deny(w, f, KILN_AUDIT_FAULT, WASI_EINVAL,
				 "path at 0x%x holds a NUL byte within its %u bytes", ptr, len);
	}
	*out = s;
	return WASI_ESUCCESS;
}

/* A directory descriptor holding @rights; a missing mutating right on a
 * read-only mount is reported as such. */
static uint16_t get_dir(struct kiln_wasi *w, enum kiln_wasi_func f, uint32_t fd, uint64_t rights,
			const char *path, struct wasi_fd **out)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	*out = NULL;
	if (e == NULL)
		return WASI_EBADF;
	if (e->kind != WASI_FD_DIR)
		return WASI_ENOTDIR;
	if ((e->base & rights) != rights) {
		if (read_only(w, e) && (rights & ~e->base & WASI_RIGHTS_MUTATING))
			return wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
					 "mount \"%s\" is read-only: path \"%s\"", mount_name(w, e),
					 path);
		return wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
				 "fd %u lacks rights 0x%llx: path \"%s\"", fd,
				 (unsigned long long)(rights & ~e->base), path);
	}
	*out = e;
	return WASI_ESUCCESS;
}

/* WASI errno for a resolver or *at() failure (-errno); escapes are
 * recorded. */
static uint16_t fail(struct kiln_wasi *w, enum kiln_wasi_func f, const struct wasi_fd *e,
		     const char *path, int neg_errno)
{
	if (neg_errno == -EXDEV)
		return wasi_deny(w, f, KILN_AUDIT_CONTAINED, WASI_ENOTCAPABLE,
				 "mount \"%s\": path \"%s\" leads outside", mount_name(w, e), path);
	return wasi_errno_from_host(-neg_errno);
}

int32_t kiln_wasi_path_open(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t dirflags, uint32_t path, uint32_t path_len, uint32_t oflags,
			    uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags,
			    uint32_t fd_ptr)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_OPEN;
	struct wasi_fd *e, *n;
	uint64_t need = WASI_RIGHT_PATH_OPEN, ro_inh_mask = WASI_RIGHTS_ALL;
	int hflags = O_NOCTTY | O_NONBLOCK, hfd = -1, fl;
	bool rd, wr;
	char *p = NULL;
	struct stat st;
	int64_t slot;
	uint16_t rc;

	if (!wasi_mem_ok(m, fd_ptr, 4))
		return wasi_fault(w, f, "new fd", fd_ptr, 4, m);
	if ((rc = get_path(w, f, m, path, path_len, &p)) != 0)
		goto out;
	if (oflags & WASI_OFLAG_CREAT)
		need |= WASI_RIGHT_PATH_CREATE_FILE;
	if (oflags & WASI_OFLAG_TRUNC)
		need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
	e = wasi_fd_get(w, fd);
	if (e != NULL && e->kind == WASI_FD_DIR && read_only(w, e) &&
	    ((oflags & (WASI_OFLAG_CREAT | WASI_OFLAG_TRUNC)) ||
	     (fdflags & WASI_FDFLAG_APPEND) || (rights_base & WASI_RIGHTS_WRITE_INTENT))) {
		rc = wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
			       "mount \"%s\" is read-only: open \"%s\" for writing",
			       mount_name(w, e), p);
		goto out;
	}
	if ((rc = get_dir(w, f, fd, need, p, &e)) != 0)
		goto out;
	if ((oflags & ~WASI_OFLAGS_ALL) || (fdflags & ~WASI_FDFLAGS_ALL) ||
	    (dirflags & ~WASI_LOOKUP_SYMLINK_FOLLOW)) {
		rc = WASI_EINVAL;
		goto out;
	}
	if ((rights_base & ~e->inh) || (rights_inheriting & ~e->inh)) {
		rc = wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
			       "mount \"%s\": open \"%s\" asks rights 0x%llx beyond fd %u's",
			       mount_name(w, e), p,
			       (unsigned long long)((rights_base | rights_inheriting) & ~e->inh),
			       fd);
		goto out;
	}
	rd = (rights_base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)) != 0;
	wr = (rights_base & WASI_RIGHTS_WRITE_INTENT) != 0;
	if (oflags & WASI_OFLAG_DIRECTORY)
		hflags |= O_RDONLY | O_DIRECTORY;
	else
		hflags |= rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
	if (oflags & WASI_OFLAG_CREAT)
		hflags |= O_CREAT;
	if (oflags & WASI_OFLAG_EXCL)
		hflags |= O_EXCL;
	if (oflags & WASI_OFLAG_TRUNC)
		hflags |= O_TRUNC;
	if (fdflags & WASI_FDFLAG_APPEND)
		hflags |= O_APPEND;
	if (fdflags & WASI_FDFLAG_DSYNC)
		hflags |= O_DSYNC;
	if (fdflags & WASI_FDFLAG_SYNC)
		hflags |= O_SYNC;
	if (fdflags & WASI_FDFLAG_RSYNC)
		hflags |= O_RSYNC;
	/* O_NONBLOCK only for the open itself: a FIFO must not hang it. */
	hfd = wasi_resolve_open(w, e->host, p, hflags, 0644,
				(dirflags & WASI_LOOKUP_SYMLINK_FOLLOW) != 0);
	if (hfd < 0) {
		rc = fail(w, f, e, p, hfd);
		hfd = -1;
		goto out;
	}
	if (fstat(hfd, &st) != 0 || (fl = fcntl(hfd, F_GETFL)) < 0 ||
	    fcntl(hfd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		rc = wasi_errno_from_host(errno);
		goto out;
	}
	if ((slot = wasi_fd_alloc(w)) < 0) {
		rc = wasi_deny(w, f, KILN_AUDIT_REFUSED, WASI_EMFILE,
			       "fd table full (%u): open \"%s\"", KILN_WASI_MAX_FDS, p);
		goto out;
	}
	if (read_only(w, e))
		ro_inh_mask = ~(WASI_RIGHTS_MUTATING & ~WASI_RIGHTS_WRITE_INTENT);
	n = &w->fds[slot];
	n->kind = S_ISDIR(st.st_mode) ? WASI_FD_DIR : WASI_FD_FILE;
	n->host = hfd;
	n->filetype = wasi_filetype_from_mode(st.st_mode);
	n->fdflags = (uint16_t)fdflags;
	n->mount = e->mount;
	n->preopen = false;
	n->base = rights_base & (S_ISDIR(st.st_mode) ? WASI_RIGHTS_DIR : WASI_RIGHTS_FILE);
	if (read_only(w, e))
		n->base &= ~WASI_RIGHTS_MUTATING;
	n->inh = rights_inheriting & ro_inh_mask;
	hfd = -1;
	wasi_st32(wasi_mem_at(m, fd_ptr), (uint32_t)slot);
out:
	if (hfd >= 0)
		close(hfd);
	free(p);
	return rc;
}

int32_t kiln_wasi_path_create_directory(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
					uint32_t path, uint32_t path_len)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_CREATE_DIRECTORY;
	struct wasi_fd *e;
	char *p = NULL, leaf[NAME_MAX + 1];
	int parent = -1, r;
	bool trailing;
	uint16_t rc;

	if ((rc = get_path(w, f, m, path, path_len, &p)) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_CREATE_DIRECTORY, p, &e)) != 0)
		goto out;
	if ((r = wasi_resolve_parent(w, e->host, p, false, &parent, leaf, &trailing)) < 0) {
		rc = fail(w, f, e, p, r);
		goto out;
	}
	if (mkdirat(parent, leaf, 0755) != 0)
		rc = wasi_errno_from_host(errno);
out:
	if (parent >= 0)
		close(parent);
	free(p);
	return rc;
}

int32_t kiln_wasi_path_filestat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				    uint32_t flags, uint32_t path, uint32_t path_len,
				    uint32_t buf)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_FILESTAT_GET;
	struct wasi_fd *e;
	struct stat st;
	char *p = NULL;
	int h = -1;
	uint16_t rc;

	if (!wasi_mem_ok(m, buf, WASI_FILESTAT_SIZE))
		return wasi_fault(w, f, "filestat", buf, WASI_FILESTAT_SIZE, m);
	if ((rc = get_path(w, f, m, path, path_len, &p)) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_FILESTAT_GET, p, &e)) != 0)
		goto out;
	if (flags & ~WASI_LOOKUP_SYMLINK_FOLLOW) {
		rc = WASI_EINVAL;
		goto out;
	}
	h = wasi_resolve_open(w, e->host, p, O_PATH, 0, (flags & WASI_LOOKUP_SYMLINK_FOLLOW) != 0);
	if (h < 0) {
		rc = fail(w, f, e, p, h);
		goto out;
	}
	if (fstat(h, &st) != 0) {
		rc = wasi_errno_from_host(errno);
		goto out;
	}
	wasi_filestat_store(wasi_mem_at(m, buf), &st);
out:
	if (h >= 0)
		close(h);
	free(p);
	return rc;
}

/* With a trailing slash the path must name a directory; @leaf in @parent
 * is checked without following it. */
static uint16_t trailing_needs_dir(int parent, const char *leaf, bool trailing)
{
	struct stat st;
	if (!trailing)
		return WASI_ESUCCESS;
	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return wasi_errno_from_host(errno);
	return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

int32_t kiln_wasi_path_filestat_set_times(struct kiln_wasi *w, struct kiln_wasi_mem m,
					  uint32_t fd, uint32_t flags, uint32_t path,
					  uint32_t path_len, uint64_t atim, uint64_t mtim,
					  uint32_t fst_flags)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_FILESTAT_SET_TIMES;
	struct wasi_fd *e;
	struct timespec ts[2];
	char *p = NULL, leaf[NAME_MAX + 1];
	int parent = -1, r;
	bool trailing;
	uint16_t rc;

	if ((rc = get_path(w, f, m, path, path_len, &p)) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_FILESTAT_SET_TIMES, p, &e)) != 0)
		goto out;
	if ((flags & ~WASI_LOOKUP_SYMLINK_FOLLOW) ||
	    (rc = wasi_times(atim, mtim, fst_flags, ts)) != 0) {
		rc = WASI_EINVAL;
		goto out;
	}
	/* "link/" names what the link points to, as in utimensat(2). */
	r = wasi_resolve_parent(w, e->host, p,
				(flags & WASI_LOOKUP_SYMLINK_FOLLOW) != 0 ||
					(path_len > 0 && p[path_len - 1] == '/'),
				&parent, leaf, &trailing);
	if (r < 0) {
		rc = fail(w, f, e, p, r);
		goto out;
	}
	if ((rc = trailing_needs_dir(parent, leaf, trailing)) != 0)
		goto out;
	if (utimensat(parent, leaf, ts, AT_SYMLINK_NOFOLLOW) != 0)
		rc = wasi_errno_from_host(errno);
out:
	if (parent >= 0)
		close(parent);
	free(p);
	return rc;
}

/* Renames and links stay within one mount (EXDEV, recorded), checked
 * before rights so that the refusal names the real reason. */
static uint16_t across_mounts(struct kiln_wasi *w, enum kiln_wasi_func f, uint32_t fd1,
			      const char *p1, uint32_t fd2, const char *p2, const char *what)
{
	const struct wasi_fd *a = wasi_fd_get(w, fd1), *b = wasi_fd_get(w, fd2);
	if (a == NULL || b == NULL || a->kind != WASI_FD_DIR || b->kind != WASI_FD_DIR ||
	    a->mount == b->mount)
		return WASI_ESUCCESS; /* get_dir reports the rest */
	return wasi_deny(w, f, KILN_AUDIT_CONTAINED, WASI_EXDEV,
			 "%s from mount \"%s\" path \"%s\" to mount \"%s\" path \"%s\"", what,
			 mount_name(w, a), p1, mount_name(w, b), p2);
}

int32_t kiln_wasi_path_link(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t old_fd,
			    uint32_t old_flags, uint32_t old_path, uint32_t old_path_len,
			    uint32_t new_fd, uint32_t new_path, uint32_t new_path_len)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_LINK;
	struct wasi_fd *oe, *ne;
	char *op = NULL, *np = NULL, ol[NAME_MAX + 1], nl[NAME_MAX + 1];
	int opar = -1, npar = -1, r;
	bool otr, ntr;
	uint16_t rc;

	if ((rc = get_path(w, f, m, old_path, old_path_len, &op)) != 0 ||
	    (rc = get_path(w, f, m, new_path, new_path_len, &np)) != 0 ||
	    (rc = across_mounts(w, f, old_fd, op, new_fd, np, "link")) != 0 ||
	    (rc = get_dir(w, f, old_fd, WASI_RIGHT_PATH_LINK_SOURCE, op, &oe)) != 0 ||
	    (rc = get_dir(w, f, new_fd, WASI_RIGHT_PATH_LINK_TARGET, np, &ne)) != 0)
		goto out;
	if (old_flags & ~WASI_LOOKUP_SYMLINK_FOLLOW) {
		rc = WASI_EINVAL;
		goto out;
	}
	r = wasi_resolve_parent(w, oe->host, op, (old_flags & WASI_LOOKUP_SYMLINK_FOLLOW) != 0,
				&opar, ol, &otr);
	if (r < 0) {
		rc = fail(w, f, oe, op, r);
		goto out;
	}
	if ((r = wasi_resolve_parent(w, ne->host, np, false, &npar, nl, &ntr)) < 0) {
		rc = fail(w, f, ne, np, r);
		goto out;
	}
	if (otr || ntr) {
		/* Hard links to directories do not exist. */
		rc = trailing_needs_dir(opar, ol, true) == 0 ? WASI_EPERM : WASI_ENOTDIR;
		goto out;
	}
	if (linkat(opar, ol, npar, nl, 0) != 0)
		rc = wasi_errno_from_host(errno);
out:
	if (opar >= 0)
		close(opar);
	if (npar >= 0)
		close(npar);
	free(op);
	free(np);
	return rc;
}

int32_t kiln_wasi_path_readlink(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				uint32_t path, uint32_t path_len, uint32_t buf, uint32_t buf_len,
				uint32_t bufused_ptr)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_READLINK;
	struct wasi_fd *e;
	char *p = NULL, leaf[NAME_MAX + 1];
	int parent = -1, r;
	bool trailing;
	ssize_t n;
	uint16_t rc;

	if (!wasi_mem_ok(m, bufused_ptr, 4))
		return wasi_fault(w, f, "bytes used", bufused_ptr, 4, m);
	if (!wasi_mem_ok(m, buf, buf_len))
		return wasi_fault(w, f, "buffer", buf, buf_len, m);
	if ((rc = get_path(w, f, m, path, path_len, &p)) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_READLINK, p, &e)) != 0)
		goto out;
	if ((r = wasi_resolve_parent(w, e->host, p, false, &parent, leaf, &trailing)) < 0) {
		rc = fail(w, f, e, p, r);
		goto out;
	}
	if (trailing) {
		rc = WASI_ENOTDIR;
		goto out;
	}
	if (buf_len == 0) {
		/* Still tell "not a symlink" from "empty buffer". */
		char c;
		rc = readlinkat(parent, leaf, &c, 1) < 0 ? wasi_errno_from_host(errno)
							 : WASI_ESUCCESS;
		if (rc == 0)
			wasi_st32(wasi_mem_at(m, bufused_ptr), 0);
		goto out;
	}
	n = readlinkat(parent, leaf, (char *)wasi_mem_at(m, buf), buf_len);
	if (n < 0) {
		rc = wasi_errno_from_host(errno);
		goto out;
	}
	wasi_st32(wasi_mem_at(m, bufused_ptr), (uint32_t)n);
out:
	if (parent >= 0)
		close(parent);
	free(p);
	return rc;
}

int32_t kiln_wasi_path_remove_directory(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
					uint32_t path, uint32_t path_len)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_REMOVE_DIRECTORY;
	struct wasi_fd *e;
	char *p = NULL, leaf[NAME_MAX + 1];
	int parent = -1, r;
	bool trailing;
	uint16_t rc;

	if ((rc = get_path(w, f, m, path, path_len, &p)) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_REMOVE_DIRECTORY, p, &e)) != 0)
		goto out;
	if ((r = wasi_resolve_parent(w, e->host, p, false, &parent, leaf, &trailing)) < 0) {
		rc = fail(w, f, e, p, r);
		goto out;
	}
	if (unlinkat(parent, leaf, AT_REMOVEDIR) != 0)
		rc = wasi_errno_from_host(errno);
out:
	if (parent >= 0)
		close(parent);
	free(p);
	return rc;
}

int32_t kiln_wasi_path_unlink_file(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				   uint32_t path, uint32_t path_len)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_UNLINK_FILE;
	struct wasi_fd *e;
	char *p = NULL, leaf[NAME_MAX + 1];
	int parent = -1, r;
	bool trailing;
	uint16_t rc;

	if ((rc = get_path(w, f, m, path, path_len, &p)) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_UNLINK_FILE, p, &e)) != 0)
		goto out;
	if ((r = wasi_resolve_parent(w, e->host, p, false, &parent, leaf, &trailing)) < 0) {
		rc = fail(w, f, e, p, r);
		goto out;
	}
	if (trailing) {
		rc = trailing_needs_dir(parent, leaf, true) == 0 ? WASI_EISDIR : WASI_ENOTDIR;
		goto out;
	}
	if (unlinkat(parent, leaf, 0) != 0)
		rc = wasi_errno_from_host(errno);
out:
	if (parent >= 0)
		close(parent);
	free(p);
	return rc;
}

int32_t kiln_wasi_path_rename(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint32_t old_path, uint32_t old_path_len, uint32_t new_fd,
			      uint32_t new_path, uint32_t new_path_len)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_RENAME;
	struct wasi_fd *oe, *ne;
	char *op = NULL, *np = NULL, ol[NAME_MAX + 1], nl[NAME_MAX + 1];
	int opar = -1, npar = -1, r;
	bool otr, ntr;
	uint16_t rc;

	if ((rc = get_path(w, f, m, old_path, old_path_len, &op)) != 0 ||
	    (rc = get_path(w, f, m, new_path, new_path_len, &np)) != 0 ||
	    (rc = across_mounts(w, f, fd, op, new_fd, np, "rename")) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_RENAME_SOURCE, op, &oe)) != 0 ||
	    (rc = get_dir(w, f, new_fd, WASI_RIGHT_PATH_RENAME_TARGET, np, &ne)) != 0)
		goto out;
	if ((r = wasi_resolve_parent(w, oe->host, op, false, &opar, ol, &otr)) < 0) {
		rc = fail(w, f, oe, op, r);
		goto out;
	}
	if ((r = wasi_resolve_parent(w, ne->host, np, false, &npar, nl, &ntr)) < 0) {
		rc = fail(w, f, ne, np, r);
		goto out;
	}
	if ((otr || ntr) && (rc = trailing_needs_dir(opar, ol, true)) != 0)
		goto out;
	if (renameat(opar, ol, npar, nl) != 0)
		rc = wasi_errno_from_host(errno);
out:
	if (opar >= 0)
		close(opar);
	if (npar >= 0)
		close(npar);
	free(op);
	free(np);
	return rc;
}

/* How many directories @dir lies below @root, found by walking ".." up at
 * most KILN_WASI_MAX_DEPTH times; -1 when @root is not reached. */
static int depth_below(int root, int dir)
{
	struct stat rs, st;
	int cur, d;
	if (fstat(root, &rs) != 0 || (cur = openat(dir, ".", O_PATH | O_CLOEXEC)) < 0)
		return -1;
	for (d = 0; d <= KILN_WASI_MAX_DEPTH; d++) {
		int up;
		if (fstat(cur, &st) != 0)
			break;
		if (st.st_dev == rs.st_dev && st.st_ino == rs.st_ino) {
			close(cur);
			return d;
		}
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		if ((cur = up) < 0)
			return -1;
	}
	close(cur);
	return -1;
}

/* True when symlink text @target, placed @depth directories below the
 * mount root, stays inside it (as text: what it names is resolved by the
 * same rules whenever it is followed). */
static bool target_stays(const char *target, int depth)
{
	const char *s = target;
	if (depth < 0 || target[0] == '/')
		return false;
	while (*s != '\0') {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n > 0 && !(n == 1 && s[0] == '.')) {
			depth++;
		}
		s = *e == '/' ? e + 1 : e;
	}
	return true;
}

int32_t kiln_wasi_path_symlink(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t old_path,
			       uint32_t old_path_len, uint32_t fd, uint32_t new_path,
			       uint32_t new_path_len)
{
	const enum kiln_wasi_func f = KILN_WASI_FN_PATH_SYMLINK;
	struct wasi_fd *e;
	char *target = NULL, *p = NULL, leaf[NAME_MAX + 1];
	int parent = -1, r;
	bool trailing;
	uint16_t rc;

	if ((rc = get_path(w, f, m, old_path, old_path_len, &target)) != 0 ||
	    (rc = get_path(w, f, m, new_path, new_path_len, &p)) != 0 ||
	    (rc = get_dir(w, f, fd, WASI_RIGHT_PATH_SYMLINK, p, &e)) != 0)
		goto out;
	if ((r = wasi_resolve_parent(w, e->host, p, false, &parent, leaf, &trailing)) < 0) {
		rc = fail(w, f, e, p, r);
		goto out;
	}
	if (trailing) {
		rc = WASI_ENOENT;
		goto out;
	}
	/* The guest could never follow a link out, but the host or another
	 * program working in the same directory could: refuse to plant one. */
	if (e->mount < 0 || !target_stays(target, depth_below(w->mounts[e->mount].host, parent))) {
		rc = wasi_deny(w, f, KILN_AUDIT_CONTAINED, WASI_ENOTCAPABLE,
			       "mount \"%s\": symlink \"%s\" -> \"%s\" points outside",
			       mount_name(w, e), p, target);
		goto out;
	}
	if (symlinkat(target, parent, leaf) != 0)
		rc = wasi_errno_from_host(errno);
out:
	if (parent >= 0)
		close(parent);
	free(target);
	free(p);
	return rc;
}
