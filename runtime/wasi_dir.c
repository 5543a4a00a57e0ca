/*
 * wasi_dir.c — directory descriptors: the preopen description
 * (fd_prestat_get, fd_prestat_dir_name) and fd_readdir.
 *
 * Readdir cookies are entry indexes (0 = first entry, an entry's d_next is
 * its index + 1), which makes them stable and small whatever the host file
 * system uses as offsets.  The stream keeps its position, so sequential
 * reads cost one pass; an entry that does not fit in the guest's buffer is
 * written truncated (as the witx asks) and re-read by the next call.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"

static const struct wasi_fd *preopen(struct kiln_wasi *w, uint32_t fd)
{
	const struct wasi_fd *e = wasi_fd_get(w, fd);
	if (e == NULL || e->kind != WASI_FD_DIR || !e->preopen)
		return NULL;
	return e;
}

int32_t kiln_wasi_fd_prestat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				 uint32_t buf)
{
	const struct wasi_fd *e;
	uint8_t *p;
	if (!wasi_mem_ok(m, buf, WASI_PRESTAT_SIZE))
		return wasi_fault(w, KILN_WASI_FN_FD_PRESTAT_GET, "prestat", buf, WASI_PRESTAT_SIZE,
				  m);
	/* EBADF for anything but a preopen: the guest's libc scans fds
	 * from 3 and stops at the first EBADF. */
	if ((e = preopen(w, fd)) == NULL)
		return WASI_EBADF;
	p = wasi_mem_at(m, buf);
	memset(p, 0, WASI_PRESTAT_SIZE);
	wasi_st8(p, WASI_PREOPEN_DIR);
	wasi_st32(p + 4, (uint32_t)strlen(w->mounts[e->mount].guest));
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_prestat_dir_name(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				      uint32_t path, uint32_t path_len)
{
	const struct wasi_fd *e;
	const char *name;
	size_t len;
	if (!wasi_mem_ok(m, path, path_len))
		return wasi_fault(w, KILN_WASI_FN_FD_PRESTAT_DIR_NAME, "name buffer", path,
				  path_len, m);
	if ((e = preopen(w, fd)) == NULL)
		return WASI_EBADF;
	name = w->mounts[e->mount].guest;
	len = strlen(name);
	if (path_len < len)
		return WASI_ENAMETOOLONG;
	memcpy(wasi_mem_at(m, path), name, len);
	return WASI_ESUCCESS;
}

static uint8_t type_from_dirent(unsigned char t)
{
	switch (t) {
	case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
	case DT_DIR: return WASI_FILETYPE_DIRECTORY;
	case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
	case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
	case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
	case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
	}
	return WASI_FILETYPE_UNKNOWN;
}

/* Position the stream so that readdir returns entry @cookie next. */
static uint16_t seek_cookie(struct wasi_fd *e, uint64_t cookie)
{
	if (e->dir == NULL) {
		int d = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d < 0)
			return wasi_errno_from_host(errno);
		if ((e->dir = fdopendir(d)) == NULL) {
			int saved = errno;
			close(d);
			return wasi_errno_from_host(saved);
		}
		e->dir_pos = 0;
	}
	if (cookie == e->dir_pos)
		return WASI_ESUCCESS;
	if (cookie < e->dir_pos) {
		rewinddir(e->dir);
		e->dir_pos = 0;
	}
	while (e->dir_pos < cookie && readdir(e->dir) != NULL)
		e->dir_pos++;
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_fd_readdir(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			     uint32_t buf, uint32_t buf_len, uint64_t cookie, uint32_t bufused_ptr)
{
	struct wasi_fd *e = wasi_fd_get(w, fd);
	uint8_t *out;
	uint32_t used = 0;
	uint16_t rc;

	if (!wasi_mem_ok(m, bufused_ptr, 4))
		return wasi_fault(w, KILN_WASI_FN_FD_READDIR, "bytes used", bufused_ptr, 4, m);
	if (!wasi_mem_ok(m, buf, buf_len))
		return wasi_fault(w, KILN_WASI_FN_FD_READDIR, "buffer", buf, buf_len, m);
	if (e == NULL)
		return WASI_EBADF;
	if (e->kind != WASI_FD_DIR)
		return WASI_ENOTDIR;
	if ((rc = wasi_fd_check(w, KILN_WASI_FN_FD_READDIR, fd, WASI_RIGHT_FD_READDIR, &e)) != 0)
		return rc;
	if ((rc = seek_cookie(e, cookie)) != 0)
		return rc;
	out = wasi_mem_at(m, buf);
	while (used < buf_len) {
		uint8_t head[WASI_DIRENT_SIZE] = {0};
		long before = telldir(e->dir);
		struct dirent *de;
		uint64_t ino;
		uint8_t type;
		size_t namlen, size, k;

		errno = 0;
		if ((de = readdir(e->dir)) == NULL) {
			if (errno != 0)
				return wasi_errno_from_host(errno);
			break;
		}
		namlen = strlen(de->d_name);
		ino = de->d_ino;
		type = type_from_dirent(de->d_type);
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			/* What the guest's stat would say (d_ino can differ
			 * on union file systems, d_type can be unknown). */
			struct stat st;
			if (fstatat(dirfd(e->dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				ino = st.st_ino;
				type = wasi_filetype_from_mode(st.st_mode);
			}
		}
		wasi_st64(head + 0, e->dir_pos + 1);
		wasi_st64(head + 8, ino);
		wasi_st32(head + 16, (uint32_t)namlen);
		wasi_st8(head + 20, type);
		size = WASI_DIRENT_SIZE + namlen;
		k = buf_len - used < WASI_DIRENT_SIZE ? buf_len - used : WASI_DIRENT_SIZE;
		memcpy(out + used, head, k);
		if (size > buf_len - used) {
			/* Truncated: fill what is left and re-read it next time. */
			if (buf_len - used > WASI_DIRENT_SIZE)
				memcpy(out + used + WASI_DIRENT_SIZE, de->d_name,
				       buf_len - used - WASI_DIRENT_SIZE);
			seekdir(e->dir, before);
			used = buf_len;
			break;
		}
		memcpy(out + used + WASI_DIRENT_SIZE, de->d_name, namlen);
		used += (uint32_t)size;
		e->dir_pos++;
	}
	wasi_st32(wasi_mem_at(m, bufused_ptr), used);
	return WASI_ESUCCESS;
}
