/*
 * platform.c — the one place libkiln-oci asks for something a particular
 * kernel offers beyond POSIX.
 */
#include <fcntl.h>

#include "oci_impl.h"

void platform_start_writeback(int fd, uint64_t offset, uint64_t len)
{
#ifdef __linux__
	/* Start writing these pages now, so that the fsync before the blob
	 * is renamed into the store has little left to do.  Advisory: an
	 * error only means the fsync does all the work. */
	(void)sync_file_range(fd, (off_t)offset, (off_t)len, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
	(void)offset;
	(void)len;
#endif
}
