/* wasi-functions: path_create_directory path_rename path_remove_directory path_unlink_file
 * mkdir, rename of files and directories (replacing a file), rmdir. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert(fd >= 0);
	assert(close(fd) == 0);
}

int main(void)
{
	struct stat st;
	assert(mkdir("newdir", 0755) == 0);
	assert(mkdir("newdir", 0755) == -1 && errno == EEXIST);
	assert(mkdir("newdir/a/b", 0755) == -1 && errno == ENOENT);
	assert(rename("newdir", "moved") == 0);
	assert(stat("moved", &st) == 0 && S_ISDIR(st.st_mode));
	assert(stat("newdir", &st) == -1 && errno == ENOENT);
	touch("moved/one");
	touch("moved/two");
	assert(rename("moved/one", "moved/two") == 0); /* replaces */
	assert(stat("moved/one", &st) == -1);
	assert(rmdir("moved") == -1 && errno == ENOTEMPTY);
	assert(unlink("moved/two") == 0);
	assert(rmdir("moved") == 0);
	assert(rmdir("file") == -1 && errno == ENOTDIR);
	return EXIT_SUCCESS;
}
