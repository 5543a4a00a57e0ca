/*
 * WASI bounds: every guest pointer and length of every call, hostile.
 *
 * The guest memory view is 512 bytes that end exactly at a PROT_NONE guard
 * page, so any access past the view crashes the runner rather than passing.
 * Each table row feeds one pointer or length a hostile value (wrapping
 * pointers, ranges straddling the end, counts whose byte size overflows 32
 * bits) with every other argument valid, and expects EFAULT or EINVAL, a
 * FAULT audit entry and no side effect.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "wasi_fixture.h"

#define VIEW 512u
/* Valid places inside the view. */
#define V_PATH 0u    /* "f" */
#define V_PATH2 8u   /* "g" */
#define V_IOV 16u    /* {V_BUF, 8} */
#define V_BUF 32u
#define V_OUT 96u
#define V_OUT2 104u
#define V_STAT 128u  /* 64 bytes */
#define V_SUBS 256u  /* one clock subscription */
#define V_EVENTS 320u

typedef int32_t (*call_fn)(struct kiln_wasi *, struct kiln_wasi_mem, uint32_t);

/* One adaptor per pointer or length: @x takes the hostile value. */
#define A(name, expr)                                                                              \
	static int32_t name(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t x)               \
	{                                                                                          \
		(void)x;                                                                           \
		return expr;                                                                       \
	}
A(args_get_argv, kiln_wasi_args_get(w, m, x, V_BUF))
A(args_get_buf, kiln_wasi_args_get(w, m, V_OUT, x))
A(args_sizes_a, kiln_wasi_args_sizes_get(w, m, x, V_OUT2))
A(args_sizes_b, kiln_wasi_args_sizes_get(w, m, V_OUT, x))
A(environ_get_vec, kiln_wasi_environ_get(w, m, x, V_BUF))
A(environ_get_buf, kiln_wasi_environ_get(w, m, V_OUT, x))
A(environ_sizes_a, kiln_wasi_environ_sizes_get(w, m, x, V_OUT2))
A(environ_sizes_b, kiln_wasi_environ_sizes_get(w, m, V_OUT, x))
A(clock_res, kiln_wasi_clock_res_get(w, m, WASI_CLOCK_MONOTONIC, x))
A(clock_time, kiln_wasi_clock_time_get(w, m, WASI_CLOCK_REALTIME, 0, x))
A(fdstat, kiln_wasi_fd_fdstat_get(w, m, 3, x))
A(filestat, kiln_wasi_fd_filestat_get(w, m, 3, x))
A(pread_iovs, kiln_wasi_fd_pread(w, m, 5, x, 1, 0, V_OUT))
A(pread_n, kiln_wasi_fd_pread(w, m, 5, V_IOV, x, 0, V_OUT))
A(pread_out, kiln_wasi_fd_pread(w, m, 5, V_IOV, 1, 0, x))
A(prestat, kiln_wasi_fd_prestat_get(w, m, 3, x))
A(prestat_name, kiln_wasi_fd_prestat_dir_name(w, m, 3, x, 1))
A(prestat_name_len, kiln_wasi_fd_prestat_dir_name(w, m, 3, V_BUF, x))
A(pwrite_iovs, kiln_wasi_fd_pwrite(w, m, 5, x, 1, 0, V_OUT))
A(pwrite_n, kiln_wasi_fd_pwrite(w, m, 5, V_IOV, x, 0, V_OUT))
A(pwrite_out, kiln_wasi_fd_pwrite(w, m, 5, V_IOV, 1, 0, x))
A(read_iovs, kiln_wasi_fd_read(w, m, 0, x, 1, V_OUT))
A(read_n, kiln_wasi_fd_read(w, m, 0, V_IOV, x, V_OUT))
A(read_out, kiln_wasi_fd_read(w, m, 0, V_IOV, 1, x))
A(readdir_buf, kiln_wasi_fd_readdir(w, m, 3, x, 64, 0, V_OUT))
A(readdir_len, kiln_wasi_fd_readdir(w, m, 3, V_BUF, x, 0, V_OUT))
A(readdir_out, kiln_wasi_fd_readdir(w, m, 3, V_BUF, 64, 0, x))
A(seek_out, kiln_wasi_fd_seek(w, m, 5, 0, WASI_WHENCE_SET, x))
A(tell_out, kiln_wasi_fd_tell(w, m, 5, x))
A(write_iovs, kiln_wasi_fd_write(w, m, 1, x, 1, V_OUT))
A(write_n, kiln_wasi_fd_write(w, m, 1, V_IOV, x, V_OUT))
A(write_out, kiln_wasi_fd_write(w, m, 1, V_IOV, 1, x))
A(mkdir_path, kiln_wasi_path_create_directory(w, m, 3, x, 1))
A(mkdir_len, kiln_wasi_path_create_directory(w, m, 3, V_PATH, x))
A(pstat_path, kiln_wasi_path_filestat_get(w, m, 3, 0, x, 1, V_STAT))
A(pstat_len, kiln_wasi_path_filestat_get(w, m, 3, 0, V_PATH, x, V_STAT))
A(pstat_out, kiln_wasi_path_filestat_get(w, m, 3, 0, V_PATH, 1, x))
A(ptimes_path, kiln_wasi_path_filestat_set_times(w, m, 3, 0, x, 1, 0, 0, 0))
A(ptimes_len, kiln_wasi_path_filestat_set_times(w, m, 3, 0, V_PATH, x, 0, 0, 0))
A(link_old, kiln_wasi_path_link(w, m, 3, 0, x, 1, 3, V_PATH2, 1))
A(link_old_len, kiln_wasi_path_link(w, m, 3, 0, V_PATH, x, 3, V_PATH2, 1))
A(link_new, kiln_wasi_path_link(w, m, 3, 0, V_PATH, 1, 3, x, 1))
A(link_new_len, kiln_wasi_path_link(w, m, 3, 0, V_PATH, 1, 3, V_PATH2, x))
A(open_path, kiln_wasi_path_open(w, m, 3, 0, x, 1, WASI_OFLAG_CREAT, WFX_WRITE, 0, 0, V_OUT))
A(open_len, kiln_wasi_path_open(w, m, 3, 0, V_PATH2, x, WASI_OFLAG_CREAT, WFX_WRITE, 0, 0,
				V_OUT))
A(open_out, kiln_wasi_path_open(w, m, 3, 0, V_PATH2, 1, WASI_OFLAG_CREAT, WFX_WRITE, 0, 0, x))
A(readlink_path, kiln_wasi_path_readlink(w, m, 3, x, 1, V_BUF, 16, V_OUT))
A(readlink_len, kiln_wasi_path_readlink(w, m, 3, V_PATH, x, V_BUF, 16, V_OUT))
A(readlink_buf, kiln_wasi_path_readlink(w, m, 3, V_PATH, 1, x, 16, V_OUT))
A(readlink_buflen, kiln_wasi_path_readlink(w, m, 3, V_PATH, 1, V_BUF, x, V_OUT))
A(readlink_out, kiln_wasi_path_readlink(w, m, 3, V_PATH, 1, V_BUF, 16, x))
A(rmdir_path, kiln_wasi_path_remove_directory(w, m, 3, x, 1))
A(rmdir_len, kiln_wasi_path_remove_directory(w, m, 3, V_PATH, x))
A(rename_old, kiln_wasi_path_rename(w, m, 3, x, 1, 3, V_PATH2, 1))
A(rename_old_len, kiln_wasi_path_rename(w, m, 3, V_PATH, x, 3, V_PATH2, 1))
A(rename_new, kiln_wasi_path_rename(w, m, 3, V_PATH, 1, 3, x, 1))
A(rename_new_len, kiln_wasi_path_rename(w, m, 3, V_PATH, 1, 3, V_PATH2, x))
A(symlink_old, kiln_wasi_path_symlink(w, m, x, 1, 3, V_PATH2, 1))
A(symlink_old_len, kiln_wasi_path_symlink(w, m, V_PATH, x, 3, V_PATH2, 1))
A(symlink_new, kiln_wasi_path_symlink(w, m, V_PATH, 1, 3, x, 1))
A(symlink_new_len, kiln_wasi_path_symlink(w, m, V_PATH, 1, 3, V_PATH2, x))
A(unlink_path, kiln_wasi_path_unlink_file(w, m, 3, x, 1))
A(unlink_len, kiln_wasi_path_unlink_file(w, m, 3, V_PATH, x))
A(poll_in, kiln_wasi_poll_oneoff(w, m, x, V_EVENTS, 1, V_OUT))
A(poll_out, kiln_wasi_poll_oneoff(w, m, V_SUBS, x, 1, V_OUT))
A(poll_n, kiln_wasi_poll_oneoff(w, m, V_SUBS, V_EVENTS, x, V_OUT))
A(poll_nev, kiln_wasi_poll_oneoff(w, m, V_SUBS, V_EVENTS, 1, x))
A(random_buf, kiln_wasi_random_get(w, m, x, 16))
A(random_len, kiln_wasi_random_get(w, m, V_BUF, x))
A(accept_out, kiln_wasi_sock_accept(w, m, 4, 0, x))
A(recv_iovs, kiln_wasi_sock_recv(w, m, 4, x, 1, 0, V_OUT, V_OUT2))
A(recv_n, kiln_wasi_sock_recv(w, m, 4, V_IOV, x, 0, V_OUT, V_OUT2))
A(recv_out, kiln_wasi_sock_recv(w, m, 4, V_IOV, 1, 0, x, V_OUT2))
A(recv_flags, kiln_wasi_sock_recv(w, m, 4, V_IOV, 1, 0, V_OUT, x))
A(send_iovs, kiln_wasi_sock_send(w, m, 4, x, 1, 0, V_OUT))
A(send_n, kiln_wasi_sock_send(w, m, 4, V_IOV, x, 0, V_OUT))
A(send_out, kiln_wasi_sock_send(w, m, 4, V_IOV, 1, 0, x))
#undef A

struct row {
	const char *what;
	call_fn call;
	enum kiln_wasi_func func;
	uint32_t value;
	int32_t want;
};

/* Pointer at the top of the address space with 0x20 bytes: wraps a u32. */
#define WRAP 0xfffffff0u
/* Just inside the end: a 4- or 8-byte result straddles it. */
#define EDGE (VIEW - 2)
#define F(fn) KILN_WASI_FN_##fn
static const struct row rows[] = {
	{"args_get argv", args_get_argv, F(ARGS_GET), EDGE, WASI_EFAULT},
	{"args_get argv wrap", args_get_argv, F(ARGS_GET), WRAP, WASI_EFAULT},
	{"args_get buf", args_get_buf, F(ARGS_GET), VIEW - 4, WASI_EFAULT},
	{"args_sizes_get argc", args_sizes_a, F(ARGS_SIZES_GET), EDGE, WASI_EFAULT},
	{"args_sizes_get size", args_sizes_b, F(ARGS_SIZES_GET), WRAP, WASI_EFAULT},
	{"environ_get environ", environ_get_vec, F(ENVIRON_GET), WRAP, WASI_EFAULT},
	{"environ_get buf", environ_get_buf, F(ENVIRON_GET), WRAP, WASI_EFAULT},
	{"environ_sizes_get count", environ_sizes_a, F(ENVIRON_SIZES_GET), EDGE, WASI_EFAULT},
	{"environ_sizes_get size", environ_sizes_b, F(ENVIRON_SIZES_GET), 0xffffffffu, WASI_EFAULT},
	{"clock_res_get", clock_res, F(CLOCK_RES_GET), VIEW - 4, WASI_EFAULT},
	{"clock_time_get", clock_time, F(CLOCK_TIME_GET), WRAP, WASI_EFAULT},
	{"fd_fdstat_get", fdstat, F(FD_FDSTAT_GET), VIEW - 16, WASI_EFAULT},
	{"fd_filestat_get", filestat, F(FD_FILESTAT_GET), VIEW - 32, WASI_EFAULT},
	{"fd_pread iovs", pread_iovs, F(FD_PREAD), WRAP, WASI_EFAULT},
	{"fd_pread iovs_len 2^29", pread_n, F(FD_PREAD), 0x20000000u, WASI_EINVAL},
	{"fd_pread nread", pread_out, F(FD_PREAD), EDGE, WASI_EFAULT},
	{"fd_prestat_get", prestat, F(FD_PRESTAT_GET), EDGE, WASI_EFAULT},
	{"fd_prestat_dir_name path", prestat_name, F(FD_PRESTAT_DIR_NAME), VIEW, WASI_EFAULT},
	{"fd_prestat_dir_name len", prestat_name_len, F(FD_PRESTAT_DIR_NAME), 0xffffff00u,
	 WASI_EFAULT},
	{"fd_pwrite iovs", pwrite_iovs, F(FD_PWRITE), EDGE, WASI_EFAULT},
	{"fd_pwrite iovs_len 2^32-1", pwrite_n, F(FD_PWRITE), 0xffffffffu, WASI_EINVAL},
	{"fd_pwrite nwritten", pwrite_out, F(FD_PWRITE), WRAP, WASI_EFAULT},
	{"fd_read iovs", read_iovs, F(FD_READ), VIEW - 4, WASI_EFAULT},
	{"fd_read iovs_len 2^29", read_n, F(FD_READ), 0x20000000u, WASI_EINVAL},
	{"fd_read iovs_len 1025", read_n, F(FD_READ), 1025, WASI_EINVAL},
	{"fd_read iovs_len 64 (array past the end)", read_n, F(FD_READ), 64, WASI_EFAULT},
	{"fd_read nread", read_out, F(FD_READ), EDGE, WASI_EFAULT},
	{"fd_readdir buf", readdir_buf, F(FD_READDIR), VIEW - 32, WASI_EFAULT},
	{"fd_readdir buf_len", readdir_len, F(FD_READDIR), 0xfffffff0u, WASI_EFAULT},
	{"fd_readdir bufused", readdir_out, F(FD_READDIR), WRAP, WASI_EFAULT},
	{"fd_seek newoffset", seek_out, F(FD_SEEK), VIEW - 4, WASI_EFAULT},
	{"fd_tell offset", tell_out, F(FD_TELL), WRAP, WASI_EFAULT},
	{"fd_write iovs", write_iovs, F(FD_WRITE), WRAP, WASI_EFAULT},
	{"fd_write iovs_len 2^29", write_n, F(FD_WRITE), 0x20000000u, WASI_EINVAL},
	{"fd_write nwritten", write_out, F(FD_WRITE), EDGE, WASI_EFAULT},
	{"path_create_directory path", mkdir_path, F(PATH_CREATE_DIRECTORY), WRAP, WASI_EFAULT},
	{"path_create_directory len", mkdir_len, F(PATH_CREATE_DIRECTORY), 0xffffffffu,
	 WASI_EFAULT},
	{"path_filestat_get path", pstat_path, F(PATH_FILESTAT_GET), VIEW, WASI_EFAULT},
	{"path_filestat_get len", pstat_len, F(PATH_FILESTAT_GET), VIEW + 1, WASI_EFAULT},
	{"path_filestat_get buf", pstat_out, F(PATH_FILESTAT_GET), VIEW - 63, WASI_EFAULT},
	{"path_filestat_set_times path", ptimes_path, F(PATH_FILESTAT_SET_TIMES), WRAP,
	 WASI_EFAULT},
	{"path_filestat_set_times len", ptimes_len, F(PATH_FILESTAT_SET_TIMES), 0x80000000u,
	 WASI_EFAULT},
	{"path_link old", link_old, F(PATH_LINK), WRAP, WASI_EFAULT},
	{"path_link old len", link_old_len, F(PATH_LINK), 0xffffffffu, WASI_EFAULT},
	{"path_link new", link_new, F(PATH_LINK), VIEW, WASI_EFAULT},
	{"path_link new len", link_new_len, F(PATH_LINK), VIEW, WASI_EFAULT},
	{"path_open path", open_path, F(PATH_OPEN), WRAP, WASI_EFAULT},
	{"path_open len", open_len, F(PATH_OPEN), 0xffffffffu, WASI_EFAULT},
	{"path_open fd", open_out, F(PATH_OPEN), EDGE, WASI_EFAULT},
	{"path_readlink path", readlink_path, F(PATH_READLINK), WRAP, WASI_EFAULT},
	{"path_readlink len", readlink_len, F(PATH_READLINK), VIEW + 1, WASI_EFAULT},
	{"path_readlink buf", readlink_buf, F(PATH_READLINK), VIEW - 8, WASI_EFAULT},
	{"path_readlink buf_len", readlink_buflen, F(PATH_READLINK), 0xffffffffu, WASI_EFAULT},
	{"path_readlink bufused", readlink_out, F(PATH_READLINK), EDGE, WASI_EFAULT},
	{"path_remove_directory path", rmdir_path, F(PATH_REMOVE_DIRECTORY), WRAP, WASI_EFAULT},
	{"path_remove_directory len", rmdir_len, F(PATH_REMOVE_DIRECTORY), 0x20000000u,
	 WASI_EFAULT},
	{"path_rename old", rename_old, F(PATH_RENAME), VIEW, WASI_EFAULT},
	{"path_rename old len", rename_old_len, F(PATH_RENAME), 0xffffffffu, WASI_EFAULT},
	{"path_rename new", rename_new, F(PATH_RENAME), WRAP, WASI_EFAULT},
	{"path_rename new len", rename_new_len, F(PATH_RENAME), VIEW, WASI_EFAULT},
	{"path_symlink old", symlink_old, F(PATH_SYMLINK), WRAP, WASI_EFAULT},
	{"path_symlink old len", symlink_old_len, F(PATH_SYMLINK), 0xffffffffu, WASI_EFAULT},
	{"path_symlink new", symlink_new, F(PATH_SYMLINK), VIEW, WASI_EFAULT},
	{"path_symlink new len", symlink_new_len, F(PATH_SYMLINK), 0xfffffff9u, WASI_EFAULT},
	{"path_unlink_file path", unlink_path, F(PATH_UNLINK_FILE), WRAP, WASI_EFAULT},
	{"path_unlink_file len", unlink_len, F(PATH_UNLINK_FILE), VIEW + 100, WASI_EFAULT},
	{"poll_oneoff in", poll_in, F(POLL_ONEOFF), VIEW - 40, WASI_EFAULT},
	{"poll_oneoff out", poll_out, F(POLL_ONEOFF), WRAP, WASI_EFAULT},
	{"poll_oneoff nsubscriptions 2^28", poll_n, F(POLL_ONEOFF), 0x10000000u, WASI_EINVAL},
	{"poll_oneoff nsubscriptions 6 (past the end)", poll_n, F(POLL_ONEOFF), 6, WASI_EFAULT},
	{"poll_oneoff nevents", poll_nev, F(POLL_ONEOFF), EDGE, WASI_EFAULT},
	{"random_get buf", random_buf, F(RANDOM_GET), WRAP, WASI_EFAULT},
	{"random_get len", random_len, F(RANDOM_GET), VIEW, WASI_EFAULT},
	{"sock_accept fd", accept_out, F(SOCK_ACCEPT), EDGE, WASI_EFAULT},
	{"sock_recv ri_data", recv_iovs, F(SOCK_RECV), WRAP, WASI_EFAULT},
	{"sock_recv ri_data_len 2^29", recv_n, F(SOCK_RECV), 0x20000000u, WASI_EINVAL},
	{"sock_recv ro_datalen", recv_out, F(SOCK_RECV), EDGE, WASI_EFAULT},
	{"sock_recv ro_flags", recv_flags, F(SOCK_RECV), VIEW - 1, WASI_EFAULT},
	{"sock_send si_data", send_iovs, F(SOCK_SEND), VIEW - 4, WASI_EFAULT},
	{"sock_send si_data_len 2^29", send_n, F(SOCK_SEND), 0x20000000u, WASI_EINVAL},
	{"sock_send so_datalen", send_out, F(SOCK_SEND), WRAP, WASI_EFAULT},
};
#undef F

static char *dir;
static struct kiln_wasi_mem full, m;
static struct kiln_wasi *w;
static int peer = -1;

static int setup(void)
{
	struct kiln_wasi_mount mt;
	struct kiln_wasi_grants g;
	const char *args[] = {"prog", "arg"};
	int sv[2];
	dir = wfx_tmpdir();
	wfx_write_file(dir, "f", "file");
	g = wfx_one_mount(&mt, dir, 1);
	g.args = args;
	g.nargs = 2;
	g.clock_monotonic = g.clock_realtime = g.random = true;
	g.stdio[0].kind = KILN_WASI_STDIO_CAPTURE;
	g.stdio[0].input = "stdin bytes";
	g.stdio[0].input_len = 11;
	g.stdio[1].kind = KILN_WASI_STDIO_CAPTURE;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	g.sockets = &sv[0];
	g.nsockets = 1;
	full = wfx_mem();
	m = wfx_mem_tail(full, VIEW);
	w = wfx_new(&g);
	close(sv[0]);
	peer = sv[1];
	return 0;
}

static int teardown(void)
{
	kiln_wasi_free(w);
	wfx_mem_free(full);
	wfx_rmtree(dir);
	free(dir);
	close(peer);
	return 0;
}

/* Lay out the valid arguments again (a row may have overwritten some). */
static void layout(void)
{
	uint32_t fd;
	memset(m.base, 0, VIEW);
	m.base[V_PATH] = 'f';
	m.base[V_PATH2] = 'g';
	wasi_st32(m.base + V_IOV, V_BUF);
	wasi_st32(m.base + V_IOV + 4, 8);
	m.base[V_SUBS + 8] = WASI_EVENT_CLOCK;
	wasi_st32(m.base + V_SUBS + 16, WASI_CLOCK_MONOTONIC);
	/* fd 5: a file opened for reading and writing. */
	if (kiln_wasi_fd_fdstat_get(w, m, 5, V_STAT) != 0) {
		CU_ASSERT_EQUAL_FATAL(kiln_wasi_path_open(w, m, 3, 0, V_PATH, 1, 0,
							  WFX_WRITE & WASI_RIGHTS_FILE, 0, 0, V_OUT),
				      0);
		fd = wasi_ld32(m.base + V_OUT);
		CU_ASSERT_EQUAL_FATAL(fd, 5);
	}
}

static void test_every_pointer(void)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		uint64_t before = kiln_wasi_denials(w, r->func);
		size_t audits = kiln_wasi_audit_count(w);
		int32_t rc;
		layout();
		rc = r->call(w, m, r->value);
		if (rc != r->want)
			fprintf(stderr, "bounds: %s with 0x%x: errno %d, expected %d\n", r->what,
				r->value, rc, r->want);
		CU_ASSERT_EQUAL(rc, r->want);
		CU_ASSERT_EQUAL(kiln_wasi_denials(w, r->func), before + 1);
		CU_ASSERT(audits == KILN_WASI_AUDIT_MAX || kiln_wasi_audit_count(w) == audits + 1);
		CU_ASSERT_EQUAL(wfx_last_audit(w)->decision, KILN_AUDIT_FAULT);
	}
}

/* The same calls with the valid layout succeed: the rows above fail
 * because of the hostile value and nothing else. */
static void test_rows_pass_when_valid(void)
{
	static const struct {
		call_fn call;
		uint32_t value;
	} ok[] = {
		{args_get_argv, V_OUT}, {args_sizes_a, V_OUT}, {environ_sizes_a, V_OUT},
		{clock_res, V_OUT}, {clock_time, V_OUT}, {fdstat, V_STAT}, {filestat, V_STAT},
		{pread_out, V_OUT}, {prestat, V_OUT}, {prestat_name_len, 1}, {pwrite_out, V_OUT},
		{read_out, V_OUT}, {readdir_out, V_OUT}, {seek_out, V_OUT}, {tell_out, V_OUT},
		{write_out, V_OUT}, {pstat_out, V_STAT}, {open_out, V_OUT}, {poll_nev, V_OUT},
		{random_len, 64}, {send_out, V_OUT}, {recv_flags, V_OUT2},
	};
	/* Data for the receive, and a deadline so that nothing can hang. */
	CU_ASSERT_EQUAL(write(peer, "ping", 4), 4);
	kiln_wasi_set_deadline(w, wasi_now_ns() + 5000000000ull);
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int32_t rc;
		layout();
		rc = ok[i].call(w, m, ok[i].value);
		if (rc != 0)
			fprintf(stderr, "valid row %zu: errno %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, 0);
	}
	kiln_wasi_set_deadline(w, 0);
}

/* A call refused for a bad output pointer has done nothing. */
static void test_no_side_effects(void)
{
	char before[64], after[64];
	size_t len0, len1, pos0;
	layout();
	{
		char g[4200];
		snprintf(g, sizeof g, "%s/g", dir);
		unlink(g); /* made by the valid-row test */
	}
	CU_ASSERT_EQUAL(open_out(w, m, WRAP), WASI_EFAULT);
	CU_ASSERT_FALSE(wfx_exists(dir, "g")); /* not created */
	pos0 = w->stdio[0].pos;
	CU_ASSERT_EQUAL(read_out(w, m, EDGE), WASI_EFAULT);
	CU_ASSERT_EQUAL(w->stdio[0].pos, pos0); /* nothing consumed */
	kiln_wasi_captured(w, 1, &len0);
	CU_ASSERT_EQUAL(write_out(w, m, EDGE), WASI_EFAULT);
	kiln_wasi_captured(w, 1, &len1);
	CU_ASSERT_EQUAL(len1, len0); /* nothing written */
	wfx_read_file(dir, "f", before, sizeof before);
	CU_ASSERT_EQUAL(pwrite_out(w, m, WRAP), WASI_EFAULT);
	wfx_read_file(dir, "f", after, sizeof after);
	CU_ASSERT_STRING_EQUAL(after, before);
	CU_ASSERT_EQUAL(mkdir_len(w, m, 0xffffffffu), WASI_EFAULT);
	CU_ASSERT_EQUAL(readdir_out(w, m, WRAP), WASI_EFAULT);
	/* Data waiting on the socket stays there. */
	CU_ASSERT_EQUAL(write(peer, "keep", 4), 4);
	CU_ASSERT_EQUAL(recv_out(w, m, EDGE), WASI_EFAULT);
	layout();
	CU_ASSERT_EQUAL(kiln_wasi_sock_recv(w, m, 4, V_IOV, 1, 0, V_OUT, V_OUT2), 0);
	CU_ASSERT_NSTRING_EQUAL(m.base + V_BUF, "keep", 4);
}

/* iovec entries themselves: wrapping, straddling, and a clamp on totals. */
static void test_iovec_entries(void)
{
	layout();
	wasi_st32(m.base + V_IOV, WRAP);
	wasi_st32(m.base + V_IOV + 4, 0x20);
	CU_ASSERT_EQUAL(kiln_wasi_fd_write(w, m, 1, V_IOV, 1, V_OUT), WASI_EFAULT);
	wasi_st32(m.base + V_IOV, VIEW - 8);
	wasi_st32(m.base + V_IOV + 4, 9);
	CU_ASSERT_EQUAL(kiln_wasi_fd_read(w, m, 0, V_IOV, 1, V_OUT), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_fd_pwrite(w, m, 5, V_IOV, 1, 0, V_OUT), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_sock_send(w, m, 4, V_IOV, 1, 0, V_OUT), WASI_EFAULT);
	/* Second entry bad, first fine: still nothing done. */
	wasi_st32(m.base + V_IOV, V_BUF);
	wasi_st32(m.base + V_IOV + 4, 4);
	wasi_st32(m.base + V_IOV + 8, 0xffffffff);
	wasi_st32(m.base + V_IOV + 12, 1);
	CU_ASSERT_EQUAL(kiln_wasi_fd_write(w, m, 1, V_IOV, 2, V_OUT), WASI_EFAULT);
	/* Exactly at the end is fine. */
	wasi_st32(m.base + V_IOV, VIEW - 8);
	wasi_st32(m.base + V_IOV + 4, 8);
	CU_ASSERT_EQUAL(kiln_wasi_fd_write(w, m, 1, V_IOV, 1, V_OUT), 0);
	CU_ASSERT_EQUAL(wasi_ld32(m.base + V_OUT), 8);
}

/* Totals above what one call moves are clamped, never wrapped: 600
 * iovecs of the whole 64 KiB memory ask for 39 MB, and 1024 iovecs of a
 * 4 GiB view would pass 2^32; the layer caps at KILN_WASI_RW_MAX. */
static void test_iovec_total_clamp(void)
{
	struct kiln_wasi_mem big = {full.base, WFX_MEM};
	struct wasi_iovs v;
	for (uint32_t i = 0; i < 600; i++)
		wfx_iov(big, G_IOV, i, 0, WFX_MEM);
	CU_ASSERT_EQUAL(wasi_iovs_load(w, KILN_WASI_FN_FD_WRITE, big, G_IOV, 600, &v), 0);
	CU_ASSERT_EQUAL(v.total, 600ull * WFX_MEM);
	wasi_iovs_free(&v);
	/* A pretend 4 GiB view (nothing is touched by loading). */
	{
		struct kiln_wasi_mem huge = {full.base, (uint64_t)1 << 32};
		for (uint32_t i = 0; i < 1024; i++)
			wfx_iov(big, G_IOV, i, 0, 0xffffffffu);
		CU_ASSERT_EQUAL(wasi_iovs_load(w, KILN_WASI_FN_FD_WRITE, huge, G_IOV, 1024, &v), 0);
		CU_ASSERT_EQUAL(v.total, KILN_WASI_RW_MAX);
		CU_ASSERT_EQUAL(v.v[0].iov_len, KILN_WASI_RW_MAX);
		CU_ASSERT_EQUAL(v.v[1].iov_len, 0);
		wasi_iovs_free(&v);
	}
}

/* No memory at all (a module without one): every pointer faults. */
static void test_no_memory(void)
{
	struct kiln_wasi_mem none = {NULL, 0};
	CU_ASSERT_EQUAL(kiln_wasi_args_sizes_get(w, none, 0, 0), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_fd_write(w, none, 1, 0, 0, 0), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_random_get(w, none, 0, 0), 0); /* zero bytes at 0 */
	CU_ASSERT_EQUAL(kiln_wasi_random_get(w, none, 0, 1), WASI_EFAULT);
	CU_ASSERT_EQUAL(kiln_wasi_sched_yield(w, none), 0);
}

void kiln_test_wasi_bounds(void)
{
	CU_pSuite s = CU_add_suite("wasi_bounds", setup, teardown);
	CU_add_test(s, "every pointer and length, hostile", test_every_pointer);
	CU_add_test(s, "the same calls pass when valid", test_rows_pass_when_valid);
	CU_add_test(s, "refused calls have no side effect", test_no_side_effects);
	CU_add_test(s, "hostile iovec entries", test_iovec_entries);
	CU_add_test(s, "iovec totals clamp", test_iovec_total_clamp);
	CU_add_test(s, "no memory", test_no_memory);
}
