/*
 * wasi_fd.c — the guest's fd table and the fd_* calls that act on a
 * descriptor as a whole: close, renumber, flags, rights, stat, size, times,
 * advice, allocation, sync, seek and tell.  Reading and writing live in
 * wasi_rw.c, directories in wasi_dir.c.
 *
 * Order of checks in every call: output pointers (EFAULT), the fd (EBADF),
 * the kind of descriptor (natural errors such as ESPIPE, which are not
 * denials), rights (ENOTCAPABLE, recorded), then the arguments.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"

struct wasi_fd *wasi_fd_get(struct kiln_wasi *w, uint32_t fd)
{
	if (fd >= KILN_WASI_MAX_FDS || w->fds[fd].kind == WASI_FD_FREE)
		return NULL;
	return &w->fds[fd];
}

uint16_t wasi_fd_check(struct kiln_wasi *w, enum kiln_wasi_func f, uint32_t fd, uint64_t rights,
		       struct wasi_fd **out)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	*out = NULL;
	if (e == NULL)
		return WASI_EBADF;
	if ((e->base & rights) != rights) {
		const char *ro = e->mount >= 0 && !w->mounts[e->mount].writable
					 ? " (read-only mount)"
					 : "";
		return wasi_deny(w, f, KILN_AUDIT_DENIED, WASI_ENOTCAPABLE,
				 "fd %u: lacks rights 0x%llx%s", fd,
				 (unsigned long long)(rights & ~e->base), ro);
	}
	*out = e;
	return WASI_ESUCCESS;
}

int64_t wasi_fd_alloc(struct kiln_wasi *w)
{
	for (uint32_t i = 3; i < KILN_WASI_MAX_FDS; i++)
		if (w->fds[i].kind == WASI_FD_FREE)
			return i;
	return -1;
}

void wasi_fd_release(struct wasi_fd *e)
{
	if (e->dir != NULL)
		closedir(e->dir);
	if (e->host >= 0)
		close(e->host);
	memset(e, 0, sizeof *e);
	e->host = -1;
	e->mount = -1;
}

uint8_t wasi_filetype_from_mode(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
	case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
	case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
	case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
	case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
	case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
	}
	return WASI_FILETYPE_UNKNOWN; /* FIFOs have no WASI type */
}

static uint64_t ts_ns(struct timespec t)
{
	if (t.tv_sec < 0)
		return 0;
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void wasi_filestat_store(uint8_t *p, const struct stat *st)
{
	memset(p, 0, WASI_FILESTAT_SIZE);
	wasi_st64(p + 0, (uint64_t)st->st_dev);
	wasi_st64(p + 8, (uint64_t)st->st_ino);
	wasi_st8(p + 16, wasi_filetype_from_mode(st->st_mode));
	wasi_st64(p + 24, (uint64_t)st->st_nlink);
	wasi_st64(p + 32, (uint64_t)st->st_size);
	wasi_st64(p + 40, ts_ns(st->st_atim));
	wasi_st64(p + 48, ts_ns(st->st_mtim));
	wasi_st64(p + 56, ts_ns(st->st_ctim));
}

uint16_t wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2])
{
	if (fst_flags & ~WASI_FST_ALL)
		return WASI_EINVAL;
	if ((fst_flags & WASI_FST_ATIM) && (fst_flags & WASI_FST_ATIM_NOW))
		return WASI_EINVAL;
	if ((fst_flags & WASI_FST_MTIM) && (fst_flags & WASI_FST_MTIM_NOW))
		return WASI_EINVAL;
	ts[0].tv_sec = (time_t)(atim / 1000000000u);
	ts[0].tv_nsec = (long)(atim % 1000000000u);
	ts[1].tv_sec = (time_t)(mtim / 1000000000u);
	ts[1].tv_nsec = (long)(mtim % 1000000000u);
	if (fst_flags & WASI_FST_ATIM_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (!(fst_flags & WASI_FST_ATIM))
		ts[0].tv_nsec = UTIME_OMIT;
	if (fst_flags & WASI_FST_MTIM_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (!(fst_flags & WASI_FST_MTIM))
		ts[1].tv_nsec = UTIME_OMIT;
	return WASI_ESUCCESS;
}

/* Natural error for an operation meant for open files, by descriptor kind. */
static uint16_t need_file(const struct wasi_fd *e)
{
	switch (e->kind) {
	case WASI_FD_FILE:
		return WASI_ESUCCESS;
	case WASI_FD_DIR:
		return WASI_EISDIR;
	default:
		return WASI_ESPIPE;
	}
}

int32_t kiln_wasi_fd_close(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	(void)m;
	if (e == NULL)
		return WASI_EBADF;
	wasi_fd_release(e);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_renumber(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint32_t to)
{
	struct wasi_fd *from = wasi_fd_get(w, fd), *dst = wasi_fd_get(w, to);
	(void)m;
	if (from == NULL || dst == NULL)
		return WASI_EBADF;
	if (from == dst)
		return WASI_ESUCCESS;
	wasi_fd_release(dst);
	*dst = *from;
	memset(from, 0, sizeof *from);
	from->host = -1;
	from->mount = -1;
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_fdstat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				uint32_t buf)
{
	struct wasi_fd *e;
	uint8_t *p;
	if (!wasi_mem_ok(m, buf, WASI_FDSTAT_SIZE))
		return wasi_fault(w, KILN_WASI_FN_FD_FDSTAT_GET, "fdstat", buf, WASI_FDSTAT_SIZE, m);
	if ((e = wasi_fd_get(w, fd)) == NULL)
		return WASI_EBADF;
	p = wasi_mem_at(m, buf);
	memset(p, 0, WASI_FDSTAT_SIZE);
	wasi_st8(p + 0, e->filetype);
	wasi_st16(p + 2, e->fdflags);
	wasi_st64(p + 8, e->base);
	wasi_st64(p + 16, e->inh);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_fdstat_set_flags(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				      uint32_t flags)
{
	const uint32_t sync = WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC;
	struct wasi_fd *e;
	uint32_t changed;
	uint16_t rc;
	(void)m;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_FDSTAT_SET_FLAGS, fd,
				WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e)) != 0)
		return rc;
	if (flags & ~WASI_FDFLAGS_ALL)
		return WASI_EINVAL;
	changed = flags ^ e->fdflags;
	/* Linux ignores O_SYNC/O_DSYNC changes through F_SETFL: refuse
	 * rather than pretend. */
	if (changed & sync)
		return WASI_ENOTSUP;
	if (changed & WASI_FDFLAG_APPEND) {
		int fl;
		/* Only descriptors the guest opened itself: stdio and
		 * sockets share their open file description with the host. */
		if (e->kind != WASI_FD_FILE)
			return WASI_ENOTSUP;
		if ((fl = fcntl(e->host, F_GETFL)) < 0)
			return wasi_errno_from_host(errno);
		fl = (flags & WASI_FDFLAG_APPEND) ? fl | O_APPEND : fl & ~O_APPEND;
		if (fcntl(e->host, F_SETFL, fl) < 0)
			return wasi_errno_from_host(errno);
	}
	/* NONBLOCK is emulated (wasi_wait_fd); host descriptors stay
	 * blocking so that the host's own view of a shared stream never
	 * changes. */
	e->fdflags = (uint16_t)flags;
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_fdstat_set_rights(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				       uint64_t base, uint64_t inheriting)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	(void)m;
	if (e == NULL)
		return WASI_EBADF;
	if ((base & ~e->base) != 0 || (inheriting & ~e->inh) != 0)
		return wasi_deny(w, KILN_WASI_FN_FD_FDSTAT_SET_RIGHTS, KILN_AUDIT_DENIED,
				 WASI_ENOTCAPABLE, "fd %u: adding rights 0x%llx/0x%llx", fd,
				 (unsigned long long)(base & ~e->base),
				 (unsigned long long)(inheriting & ~e->inh));
	e->base = base;
	e->inh = inheriting;
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_filestat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				  uint32_t buf)
{
	struct wasi_fd *e;
	struct stat st;
	uint16_t rc;
	if (!wasi_mem_ok(m, buf, WASI_FILESTAT_SIZE))
		return wasi_fault(w, KILN_WASI_FN_FD_FILESTAT_GET, "filestat", buf,
				  WASI_FILESTAT_SIZE, m);
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_FILESTAT_GET, fd, WASI_RIGHT_FD_FILESTAT_GET,
				&e)) != 0)
		return rc;
	if (e->host < 0) {
		/* Stdio routed to nothing, memory or the log. */
		memset(&st, 0, sizeof st);
		st.st_mode = S_IFCHR;
	} else if (fstat(e->host, &st) != 0) {
		return wasi_errno_from_host(errno);
	}
	wasi_filestat_store(wasi_mem_at(m, buf), &st);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_filestat_set_size(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				       uint64_t size)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	uint16_t rc;
	(void)m;
	if (e == NULL)
		return WASI_EBADF;
	if ((rc = need_file(e)) != 0)
		return rc == WASI_ESPIPE ? WASI_EINVAL : rc;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_FILESTAT_SET_SIZE, fd,
				WASI_RIGHT_FD_FILESTAT_SET_SIZE, &e)) != 0)
		return rc;
	if (size > INT64_MAX)
		return WASI_EFBIG;
	if (ftruncate(e->host, (off_t)size) != 0)
		return wasi_errno_from_host(errno);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_filestat_set_times(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
					uint64_t atim, uint64_t mtim, uint32_t fst_flags)
{
	struct wasi_fd *e;
	struct timespec ts[2];
	uint16_t rc;
	(void)m;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_FILESTAT_SET_TIMES, fd,
				WASI_RIGHT_FD_FILESTAT_SET_TIMES, &e)) != 0)
		return rc;
	if ((rc = wasi_times(atim, mtim, fst_flags, ts)) != 0)
		return rc;
	if (e->host < 0)
		return WASI_EINVAL;
	if (futimens(e->host, ts) != 0)
		return wasi_errno_from_host(errno);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_advise(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint64_t offset, uint64_t len, uint32_t advice)
{
	static const int host_advice[] = {
		[WASI_ADVICE_NORMAL] = POSIX_FADV_NORMAL,
		[WASI_ADVICE_SEQUENTIAL] = POSIX_FADV_SEQUENTIAL,
		[WASI_ADVICE_RANDOM] = POSIX_FADV_RANDOM,
		[WASI_ADVICE_WILLNEED] = POSIX_FADV_WILLNEED,
		[WASI_ADVICE_DONTNEED] = POSIX_FADV_DONTNEED,
		[WASI_ADVICE_NOREUSE] = POSIX_FADV_NOREUSE,
	};
	struct wasi_fd *e = wasi_fd_get(w, fd);
	uint16_t rc;
	int hr;
	(void)m;
	if (e == NULL)
		return WASI_EBADF;
	if ((rc = need_file(e)) != 0)
		return rc == WASI_EISDIR ? WASI_EBADF : rc;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_ADVISE, fd, WASI_RIGHT_FD_ADVISE, &e)) != 0)
		return rc;
	if (advice > WASI_ADVICE_NOREUSE || offset > INT64_MAX || len > INT64_MAX)
		return WASI_EINVAL;
	hr = posix_fadvise(e->host, (off_t)offset, (off_t)len, host_advice[advice]);
	return hr == 0 ? WASI_ESUCCESS : wasi_errno_from_host(hr);
}

int32_t kiln_wasi_fd_allocate(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint64_t offset, uint64_t len)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	uint16_t rc;
	int hr;
	(void)m;
	if (e == NULL)
		return WASI_EBADF;
	if ((rc = need_file(e)) != 0)
		return rc == WASI_EISDIR ? WASI_EBADF : rc;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_ALLOCATE, fd, WASI_RIGHT_FD_ALLOCATE, &e)) !=
	    0)
		return rc;
	if (len == 0)
		return WASI_EINVAL;
	if (offset > INT64_MAX || len > (uint64_t)INT64_MAX - offset)
		return WASI_EFBIG;
	hr = posix_fallocate(e->host, (off_t)offset, (off_t)len);
	return hr == 0 ? WASI_ESUCCESS : wasi_errno_from_host(hr);
}

static int32_t sync_fd(struct kiln_wasi *w, enum kiln_wasi_func f, uint32_t fd, uint64_t right,
		       bool data_only)
{
	struct wasi_fd *e;
	uint16_t rc;
	if ((rc = wasi_fd_check(w, f, fd, right, &e)) != 0)
		return rc;
	if (e->host < 0)
		return WASI_EINVAL;
	if ((data_only ? fdatasync(e->host) : fsync(e->host)) != 0)
		return wasi_errno_from_host(errno);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_datasync(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd)
{
	(void)m;
	return sync_fd(w, KILN_WASI_FN_FD_DATASYNC, fd, WASI_RIGHT_FD_DATASYNC, true);
}

int32_t kiln_wasi_fd_sync(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd)
{
	(void)m;
	return sync_fd(w, KILN_WASI_FN_FD_SYNC, fd, WASI_RIGHT_FD_SYNC, false);
}

/* Kind check shared by seek and tell: only files opened by the guest seek. */
static uint16_t seekable(const struct wasi_fd *e)
{
	if (e->kind == WASI_FD_DIR)
		return WASI_EBADF;
	if (e->kind != WASI_FD_FILE)
		return WASI_ESPIPE;
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_seek(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			  uint64_t offset, uint32_t whence, uint32_t newoffset_ptr)
{
	static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
	struct wasi_fd *e = wasi_fd_get(w, fd);
	uint64_t right;
	off_t r;
	uint16_t rc;
	if (!wasi_mem_ok(m, newoffset_ptr, 8))
		return wasi_fault(w, KILN_WASI_FN_FD_SEEK, "new offset", newoffset_ptr, 8, m);
	if (e == NULL)
		return WASI_EBADF;
	if ((rc = seekable(e)) != 0)
		return rc;
	/* A relative seek by zero is a tell: either right will do. */
	right = whence == WASI_WHENCE_CUR && offset == 0 && (e->base & WASI_RIGHT_FD_TELL)
			? WASI_RIGHT_FD_TELL
			: WASI_RIGHT_FD_SEEK;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_SEEK, fd, right, &e)) != 0)
		return rc;
	if (whence > WASI_WHENCE_END)
		return WASI_EINVAL;
	r = lseek(e->host, (off_t)(int64_t)offset, host_whence[whence]);
	if (r < 0)
		return wasi_errno_from_host(errno);
	wasi_st64(wasi_mem_at(m, newoffset_ptr), (uint64_t)r);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_tell(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			  uint32_t offset_ptr)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	off_t r;
	uint16_t rc;
	if (!wasi_mem_ok(m, offset_ptr, 8))
		return wasi_fault(w, KILN_WASI_FN_FD_TELL, "offset", offset_ptr, 8, m);
	if (e == NULL)
		return WASI_EBADF;
	if ((rc = seekable(e)) != 0)
		return rc;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_TELL, fd, WASI_RIGHT_FD_TELL, &e)) != 0)
		return rc;
	r = lseek(e->host, 0, SEEK_CUR);
	if (r < 0)
		return wasi_errno_from_host(errno);
	wasi_st64(wasi_mem_at(m, offset_ptr), (uint64_t)r);
	return WASI_ESUCCESS;
}
