/*
 * wasi_impl.h — inside of the WASI preview1 layer: the per-instance state
 * and one C function per WASI call.
 *
 * The layer does not know about instances, traps or wasm2c.  The runtime
 * wraps each function below in the `Z_wasi_snapshot_preview1Z_<name>` import
 * that wasm2c output calls: the wrapper fetches the instance's memory view
 * on every call (memory may grow between calls), forwards the core-wasm
 * arguments unchanged (i32 as uint32_t, i64 as uint64_t) and returns the
 * result as the import's i32.  Every function returns a WASI errno
 * (0 = success) except kiln_wasi_proc_exit, which returns KILN_WASI_EXITED.
 *
 * Every guest pointer and length is checked against the view with 64-bit
 * arithmetic before it is touched; output pointers are checked before any
 * side effect, so a call that fails with EFAULT has changed nothing.
 *
 * One state serves one instance and is not thread-safe: calls come from the
 * thread running the guest.
 */
#ifndef KILN_WASI_IMPL_H
#define KILN_WASI_IMPL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <sys/uio.h>

#include "kiln_status.h"
#include "kiln_wasi.h"
#include "wasi_abi.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the WASI layer reads guest memory as little-endian in place");

/** Returned by kiln_wasi_proc_exit: not an errno; the wrapper must trap
 * with kind "exit" and the code from kiln_wasi_exit_code(). */
#define KILN_WASI_EXITED (-1)

/** Highest number of guest fds open at once (fds are 0..KILN_WASI_MAX_FDS-1). */
#ifndef KILN_WASI_MAX_FDS
#define KILN_WASI_MAX_FDS 1024u
#endif
/** Longest guest path accepted, in bytes without NUL. */
#ifndef KILN_WASI_PATH_MAX
#define KILN_WASI_PATH_MAX 4096u
#endif
/** Most iovecs accepted in one call (Linux's IOV_MAX). */
#define KILN_WASI_IOV_MAX 1024u
/** Most subscriptions accepted by one poll_oneoff. */
#ifndef KILN_WASI_POLL_MAX
#define KILN_WASI_POLL_MAX 4096u
#endif
/** Most bytes moved by one read or write call (Linux's MAX_RW_COUNT), which
 * also keeps every count within the guest's u32 size type. */
#define KILN_WASI_RW_MAX 0x7ffff000u
/** Symlinks followed in one path resolution (Linux's MAXSYMLINKS). */
#define KILN_WASI_MAX_SYMLINKS 40
/** Directories deep that the fallback resolver walks. */
#define KILN_WASI_MAX_DEPTH 256
/** Total size of the argument or of the environment blob. */
#ifndef KILN_WASI_ARGS_MAX
#define KILN_WASI_ARGS_MAX (1u << 20)
#endif

/* Rights each kind of descriptor can hold (see runtime/README.md). */
#define WASI_RIGHTS_FILE                                                                           \
	(WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |                        \
	 WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |                \
	 WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |                     \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                            \
	 WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIR                                                                            \
	(WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_DATASYNC |            \
	 WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                          \
	 WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |        \
	 WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE |         \
	 WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                            \
	 WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                  \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | \
	 WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
/* Rights that change something on disk: never held on a read-only mount. */
#define WASI_RIGHTS_MUTATING                                                                       \
	(WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE |          \
	 WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_CREATE_DIRECTORY |                     \
	 WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | \
	 WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |                           \
	 WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                  \
	 WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
/* The rights wasi-libc asks for only when a file is opened for writing.
 * A read-only mount still advertises them as inheritable so that such an
 * open reaches path_open and is refused there with ENOTCAPABLE, instead of
 * being masked by the guest's libc into a read-only open. */
#define WASI_RIGHTS_WRITE_INTENT                                                                   \
	(WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE)
#define WASI_RIGHTS_STDIN                                                                          \
	(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET |        \
	 WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_STDOUT                                                                         \
	(WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET |       \
	 WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SYNC | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_SOCKET                                                                         \
	(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |               \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN |    \
	 WASI_RIGHT_SOCK_ACCEPT)

/** A view of the guest's linear memory, valid for the duration of one call. */
struct kiln_wasi_mem {
	uint8_t *base;
	uint64_t size;
};

/** How paths are resolved beneath their preopen. */
enum kiln_wasi_resolver {
	/** openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), falling back to
	 * the component walk when the kernel lacks openat2 (ENOSYS). */
	KILN_WASI_RESOLVE_AUTO = 0,
	/** The component-by-component walk only (tests, old kernels). */
	KILN_WASI_RESOLVE_FALLBACK = 1,
};

enum wasi_fd_kind {
	WASI_FD_FREE = 0,
	WASI_FD_STDIO, /* routed per struct wasi_stdio; host is -1 unless INHERIT/FILE */
	WASI_FD_FILE,  /* any non-directory opened by path_open */
	WASI_FD_DIR,
	WASI_FD_SOCKET,
};

struct wasi_fd {
	enum wasi_fd_kind kind;
	int host;          /* owned host descriptor, or -1 */
	uint8_t filetype;
	uint16_t fdflags;
	uint8_t stream;    /* STDIO: which of w->stdio */
	int mount;         /* FILE/DIR: index into w->mounts; -1 otherwise */
	bool preopen;      /* DIR: the mount's root as preopened (has a prestat) */
	uint64_t base;     /* rights */
	uint64_t inh;
	DIR *dir;          /* DIR: readdir stream, opened on first fd_readdir */
	uint64_t dir_pos;  /* DIR: index (cookie) of the entry readdir returns next */
};

struct wasi_stdio {
	enum kiln_wasi_stdio_kind kind;
	int host;          /* INHERIT/FILE: template descriptor, owned */
	uint8_t *buf;      /* CAPTURE: fd 0 input, fd 1/2 output */
	size_t len;
	size_t cap;
	size_t max;        /* CAPTURE on fd 1/2 */
	size_t pos;        /* CAPTURE on fd 0: read position */
	kiln_wasi_log_fn log;
	void *log_ctx;
};

struct wasi_mount {
	char *guest;       /* preopen name */
	int host;          /* template directory descriptor, owned */
	bool writable;
};

struct kiln_wasi {
	char *extension;
	struct wasi_fd *fds;      /* KILN_WASI_MAX_FDS slots */
	struct wasi_mount *mounts;
	size_t nmounts;
	int *sockets;             /* templates, owned */
	size_t nsockets;
	struct wasi_stdio stdio[3];
	char *args;               /* NUL-terminated strings, back to back */
	uint32_t args_size;
	uint32_t argc;
	char *env;
	uint32_t env_size;
	uint32_t envc;
	bool clock_realtime;
	bool clock_monotonic;
	bool random;
	struct kiln_audit_entry *audit; /* ring, grown up to KILN_WASI_AUDIT_MAX */
	size_t audit_cap;
	size_t audit_head;        /* index of the oldest entry */
	size_t audit_count;
	uint64_t audit_seq;
	uint64_t audit_dropped;
	uint64_t denials[KILN_WASI_NFUNCS];
	uint64_t denials_total;   /* sum of denials[], read by the runtime per call */
	bool exited;
	uint32_t exit_code;
	uint64_t deadline_ns;     /* CLOCK_MONOTONIC; 0 = none */
	enum kiln_wasi_resolver resolver;
};

/* ---- lifecycle (wasi_state.c) ---- */

/**
 * Create the WASI state of one instance of @extension_name under @grants.
 * Opens every mount's host directory and stdio file, duplicates inherited
 * stdio and granted sockets, reads inherited environment variables and
 * copies everything else it needs: @grants and @extension_name may be freed
 * when this returns.  On success *@out is owned by the caller (free it with
 * kiln_wasi_free).  Errors: KILN_EINVAL (malformed grant: bad KEY=VALUE,
 * empty guest path, LOG without callback, a socket fd that is not a
 * socket), KILN_ENOTFOUND / KILN_EIO (a mount or stdio file that cannot be
 * opened; the message names it), KILN_ELIMIT (arguments or environment too
 * large, too many fds), KILN_ENOMEM.
 */
int kiln_wasi_new(const struct kiln_wasi_grants *grants, const char *extension_name,
		  struct kiln_wasi **out, struct kiln_err *err)
	__attribute__((warn_unused_result));

/** Release @w and every host descriptor it holds; NULL is a no-op. */
void kiln_wasi_free(struct kiln_wasi *w);

/**
 * Put @w back in the state kiln_wasi_new left it in: guest fds closed and
 * the preopens, stdio and sockets re-created from the templates, captures
 * and stdin position cleared, audit log, denial counters and exit status
 * cleared.  Stdio files are not truncated again.  Returns a kiln_status.
 */
int kiln_wasi_reset(struct kiln_wasi *w, struct kiln_err *err)
	__attribute__((warn_unused_result));

/** Blocking calls (poll_oneoff, reads and writes on pipes, terminals and
 * sockets, sock_accept) return EINTR once CLOCK_MONOTONIC reaches
 * @monotonic_ns; 0 removes the deadline.  Set by the runtime per call. */
void kiln_wasi_set_deadline(struct kiln_wasi *w, uint64_t monotonic_ns);

/** Select the path resolver; tests use it to run both on one kernel. */
void kiln_wasi_set_resolver(struct kiln_wasi *w, enum kiln_wasi_resolver r);

/* ---- the 46 calls ---- */

int32_t kiln_wasi_args_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t argv,
			   uint32_t argv_buf);
int32_t kiln_wasi_args_sizes_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t argc_ptr,
				 uint32_t size_ptr);
int32_t kiln_wasi_environ_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t environ,
			      uint32_t environ_buf);
int32_t kiln_wasi_environ_sizes_get(struct kiln_wasi *w, struct kiln_wasi_mem m,
				    uint32_t count_ptr, uint32_t size_ptr);
int32_t kiln_wasi_clock_res_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t id,
				uint32_t res_ptr);
int32_t kiln_wasi_clock_time_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t id,
				 uint64_t precision, uint32_t time_ptr);
int32_t kiln_wasi_fd_advise(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint64_t offset, uint64_t len, uint32_t advice);
int32_t kiln_wasi_fd_allocate(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint64_t offset, uint64_t len);
int32_t kiln_wasi_fd_close(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd);
int32_t kiln_wasi_fd_datasync(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd);
int32_t kiln_wasi_fd_fdstat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				uint32_t buf);
int32_t kiln_wasi_fd_fdstat_set_flags(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				      uint32_t flags);
int32_t kiln_wasi_fd_fdstat_set_rights(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				       uint64_t base, uint64_t inheriting);
int32_t kiln_wasi_fd_filestat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				  uint32_t buf);
int32_t kiln_wasi_fd_filestat_set_size(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				       uint64_t size);
int32_t kiln_wasi_fd_filestat_set_times(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
					uint64_t atim, uint64_t mtim, uint32_t fst_flags);
int32_t kiln_wasi_fd_pread(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			   uint32_t iovs, uint32_t iovs_len, uint64_t offset, uint32_t nread_ptr);
int32_t kiln_wasi_fd_prestat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				 uint32_t buf);
int32_t kiln_wasi_fd_prestat_dir_name(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				      uint32_t path, uint32_t path_len);
int32_t kiln_wasi_fd_pwrite(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t iovs, uint32_t iovs_len, uint64_t offset,
			    uint32_t nwritten_ptr);
int32_t kiln_wasi_fd_read(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd, uint32_t iovs,
			  uint32_t iovs_len, uint32_t nread_ptr);
int32_t kiln_wasi_fd_readdir(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			     uint32_t buf, uint32_t buf_len, uint64_t cookie, uint32_t bufused_ptr);
int32_t kiln_wasi_fd_renumber(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint32_t to);
int32_t kiln_wasi_fd_seek(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			  uint64_t offset, uint32_t whence, uint32_t newoffset_ptr);
int32_t kiln_wasi_fd_sync(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd);
int32_t kiln_wasi_fd_tell(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			  uint32_t offset_ptr);
int32_t kiln_wasi_fd_write(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			   uint32_t iovs, uint32_t iovs_len, uint32_t nwritten_ptr);
int32_t kiln_wasi_path_create_directory(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
					uint32_t path, uint32_t path_len);
int32_t kiln_wasi_path_filestat_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				    uint32_t flags, uint32_t path, uint32_t path_len,
				    uint32_t buf);
int32_t kiln_wasi_path_filestat_set_times(struct kiln_wasi *w, struct kiln_wasi_mem m,
					  uint32_t fd, uint32_t flags, uint32_t path,
					  uint32_t path_len, uint64_t atim, uint64_t mtim,
					  uint32_t fst_flags);
int32_t kiln_wasi_path_link(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t old_fd,
			    uint32_t old_flags, uint32_t old_path, uint32_t old_path_len,
			    uint32_t new_fd, uint32_t new_path, uint32_t new_path_len);
int32_t kiln_wasi_path_open(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t dirflags, uint32_t path, uint32_t path_len, uint32_t oflags,
			    uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags,
			    uint32_t fd_ptr);
int32_t kiln_wasi_path_readlink(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				uint32_t path, uint32_t path_len, uint32_t buf, uint32_t buf_len,
				uint32_t bufused_ptr);
int32_t kiln_wasi_path_remove_directory(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
					uint32_t path, uint32_t path_len);
int32_t kiln_wasi_path_rename(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint32_t old_path, uint32_t old_path_len, uint32_t new_fd,
			      uint32_t new_path, uint32_t new_path_len);
int32_t kiln_wasi_path_symlink(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t old_path,
			       uint32_t old_path_len, uint32_t fd, uint32_t new_path,
			       uint32_t new_path_len);
int32_t kiln_wasi_path_unlink_file(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				   uint32_t path, uint32_t path_len);
int32_t kiln_wasi_poll_oneoff(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t in,
			      uint32_t out, uint32_t nsubscriptions, uint32_t nevents_ptr);
/** Records the exit code and returns KILN_WASI_EXITED (never an errno). */
int32_t kiln_wasi_proc_exit(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t code);
int32_t kiln_wasi_proc_raise(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t sig);
int32_t kiln_wasi_sched_yield(struct kiln_wasi *w, struct kiln_wasi_mem m);
int32_t kiln_wasi_random_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t buf,
			     uint32_t buf_len);
int32_t kiln_wasi_sock_accept(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			      uint32_t flags, uint32_t fd_ptr);
int32_t kiln_wasi_sock_recv(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t ri_data, uint32_t ri_data_len, uint32_t ri_flags,
			    uint32_t ro_datalen_ptr, uint32_t ro_flags_ptr);
int32_t kiln_wasi_sock_send(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
			    uint32_t si_data, uint32_t si_data_len, uint32_t si_flags,
			    uint32_t so_datalen_ptr);
int32_t kiln_wasi_sock_shutdown(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t fd,
				uint32_t how);

/* ---- shared helpers of the wasi_*.c files ---- */

/* Guest memory.  A range is valid when it lies wholly inside the view;
 * ptr and len are at most 2^32 + 2^32 so the u64 sums cannot wrap. */
static inline bool wasi_mem_ok(struct kiln_wasi_mem m, uint64_t ptr, uint64_t len)
{
	return len <= m.size && ptr <= m.size - len && (m.base != NULL || len == 0);
}
static inline uint8_t *wasi_mem_at(struct kiln_wasi_mem m, uint64_t ptr)
{
	return m.base == NULL ? NULL : m.base + ptr;
}
static inline uint16_t wasi_ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}
static inline uint32_t wasi_ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}
static inline uint64_t wasi_ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}
static inline void wasi_st8(uint8_t *p, uint8_t v)
{
	*p = v;
}
static inline void wasi_st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof v);
}
static inline void wasi_st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
}
static inline void wasi_st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof v);
}

/* wasi_args.c */
/** Build the argument and environment blobs from @g (kiln_wasi_new). */
int wasi_args_init(struct kiln_wasi *w, const struct kiln_wasi_grants *g, struct kiln_err *err);

/* wasi_errno.c */
/** The WASI errno for a host errno value (EIO for ones WASI lacks). */
uint16_t wasi_errno_from_host(int host_errno);

/* wasi_audit.c */
/**
 * Record a denial: append an audit entry for function @f with @decision and
 * the printf-formatted resource, bump the function's denial counter and
 * return @wasi_errno (so callers write `return wasi_deny(...)`).
 */
uint16_t wasi_deny(struct kiln_wasi *w, enum kiln_wasi_func f, enum kiln_audit_decision decision,
		   uint16_t wasi_errno, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** wasi_deny(KILN_AUDIT_FAULT, EFAULT) for an out-of-range guest range. */
uint16_t wasi_fault(struct kiln_wasi *w, enum kiln_wasi_func f, const char *what, uint64_t ptr,
		    uint64_t len, struct kiln_wasi_mem m);
/** Clear the audit log and counters (reset). */
void wasi_audit_clear(struct kiln_wasi *w);

/* wasi_fd.c, wasi_rw.c */
/** The open fd @fd, or NULL (then the caller returns EBADF). */
struct wasi_fd *wasi_fd_get(struct kiln_wasi *w, uint32_t fd);
/**
 * Check that @fd is open and holds every right in @rights.  Returns 0 and
 * the entry in *@out, EBADF, or ENOTCAPABLE after recording the denial.
 */
uint16_t wasi_fd_check(struct kiln_wasi *w, enum kiln_wasi_func f, uint32_t fd, uint64_t rights,
		       struct wasi_fd **out);
/** Take the lowest free guest fd (>= 3); -1 when the table is full. */
int64_t wasi_fd_alloc(struct kiln_wasi *w);
/** Close the host side of @e and mark it free. */
void wasi_fd_release(struct wasi_fd *e);
/** Map a host st_mode to a WASI filetype. */
uint8_t wasi_filetype_from_mode(mode_t mode);
/** Store @st as a WASI filestat (WASI_FILESTAT_SIZE bytes) at @p. */
void wasi_filestat_store(uint8_t *p, const struct stat *st);
/** Turn WASI timestamps and fstflags into utimensat's two timespecs;
 * EINVAL for unknown flags or a time both given and "now". */
uint16_t wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec ts[2]);
/** Guest iovecs translated to host ones. */
struct wasi_iovs {
	struct iovec small[8];
	struct iovec *v; /* small, or heap when more than 8 */
	size_t n;
	size_t total;    /* sum of lengths, clamped to KILN_WASI_RW_MAX */
};
/**
 * Translate the guest iovec array (@iovs, @n entries), checking the array
 * and every buffer against @m and clamping the total to KILN_WASI_RW_MAX
 * (later buffers shrink).  Returns 0, EINVAL (more than KILN_WASI_IOV_MAX
 * entries) or EFAULT, both recorded.  Release with wasi_iovs_free.
 */
uint16_t wasi_iovs_load(struct kiln_wasi *w, enum kiln_wasi_func f, struct kiln_wasi_mem m,
			uint32_t iovs, uint32_t n, struct wasi_iovs *out);
void wasi_iovs_free(struct wasi_iovs *v);
/** True when I/O on @e may block (pipes, terminals, sockets). */
bool wasi_fd_may_block(const struct wasi_fd *e);
/** writev that turns SIGPIPE into EPIPE for this call only. */
ssize_t wasi_writev_nosig(int fd, const struct iovec *iov, int n);
/**
 * Wait until host descriptor @host is ready for @events (POLLIN/POLLOUT),
 * honouring the deadline; @nonblock turns the wait into a check.  Returns 0,
 * EAGAIN or EINTR (deadline reached).
 */
uint16_t wasi_wait_fd(struct kiln_wasi *w, int host, short events, bool nonblock);
/** Current CLOCK_MONOTONIC time in nanoseconds. */
uint64_t wasi_now_ns(void);

/* wasi_stdio.c */
/** Set up fd 0..2 from the stdio routing (new and reset). */
int wasi_stdio_install(struct kiln_wasi *w, struct kiln_err *err);
/** fd_read on a STDIO entry whose routing is not a host descriptor. */
uint16_t wasi_stdio_read(struct kiln_wasi *w, struct wasi_fd *e, const struct iovec *iov,
			 size_t n, size_t *done);
/** fd_write on a STDIO entry whose routing is not a host descriptor. */
uint16_t wasi_stdio_write(struct kiln_wasi *w, struct wasi_fd *e, const struct iovec *iov,
			  size_t n, size_t total, size_t *done);

/* wasi_resolve.c */
/**
 * Open @path beneath directory @dirfd with host open(2) @flags and @mode,
 * following a symlink in the last component only when @follow.  Returns a
 * new host descriptor or -errno; -EXDEV means the path tried to leave
 * @dirfd (absolute path, "..", symlink or magic link pointing out).
 */
int wasi_resolve_open(const struct kiln_wasi *w, int dirfd, const char *path, int flags,
		      mode_t mode, bool follow);
/**
 * Resolve everything but the last component of @path beneath @dirfd and
 * return the parent directory (an O_PATH descriptor the caller closes) in
 * *@parent and the last component in @leaf (NAME_MAX + 1 bytes): never
 * empty, never "..", "." when the path names the directory itself, never
 * a symlink when @follow.  *@trailing tells whether the path ended in '/'
 * (the slash is not part of @leaf).  Returns 0 or -errno as above.
 */
int wasi_resolve_parent(const struct kiln_wasi *w, int dirfd, const char *path, bool follow,
			int *parent, char *leaf, bool *trailing);

#endif /* KILN_WASI_IMPL_H */
