/*
 * reporter — an extension that reads its configuration and writes a file
 * into the directory it was granted as /out (a WASI reactor).
 *
 *   write_report() -> i32   bytes written to /out/<file>, or -errno
 *
 * Configuration (kiln.config_get): `title` (required), `lines` (how many
 * numbered lines, 1 to 100, default 3) and `file` (a plain file name, no
 * '/', default report.txt).  Missing or bad values are logged and refused
 * with -EINVAL; the extension never writes anywhere but /out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kiln.h>

KILN_DEFINE_PROTOCOL_VERSION();

/* Read @key into @buf; 0 when absent (then @buf holds @fallback). */
static int config(const char *key, char *buf, size_t size, const char *fallback)
{
	int32_t n = kiln_config_get(key, buf, size);
	if (n == KILN_CONFIG_ENOTFOUND) {
		snprintf(buf, size, "%s", fallback);
		return 0;
	}
	if (n < 0 || (size_t)n >= size) {
		kiln_log(KILN_LOG_ERROR, "configuration: %s is too long (%d bytes)", key, (int)n);
		return -1;
	}
	return 1;
}

KILN_EXPORT("write_report") int32_t write_report(void)
{
	char title[128], lines_s[8], file[64], path[80], text[4096];
	long lines;
	char *end;
	size_t len = 0;
	ssize_t done;
	int fd;

	if (config("title", title, sizeof title, "") <= 0 ||
	    config("lines", lines_s, sizeof lines_s, "3") < 0 ||
	    config("file", file, sizeof file, "report.txt") < 0) {
		kiln_log(KILN_LOG_ERROR, "configuration: title is required");
		return -EINVAL;
	}
	lines = strtol(lines_s, &end, 10);
	if (*end != '\0' || lines < 1 || lines > 100 || file[0] == '\0' || file[0] == '.' ||
	    strchr(file, '/') != NULL) {
		kiln_log(KILN_LOG_ERROR, "configuration: lines \"%s\" or file \"%s\" refused",
			 lines_s, file);
		return -EINVAL;
	}
	len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", title);
	for (long i = 1; i <= lines && len < sizeof text; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "  line %ld of %ld\n", i,
					lines);
	if (len >= sizeof text)
		len = sizeof text - 1;

	snprintf(path, sizeof path, "/out/%s", file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		int e = errno;
		kiln_log(KILN_LOG_ERROR, "open %s: %s", path, strerror(e));
		return -e;
	}
	done = write(fd, text, len);
	if (done < 0) {
		int e = errno;
		close(fd);
		kiln_log(KILN_LOG_ERROR, "write %s: %s", path, strerror(e));
		return -e;
	}
	close(fd);
	kiln_log(KILN_LOG_INFO, "wrote %zd bytes to %s", done, path);
	return (int32_t)done;
}
