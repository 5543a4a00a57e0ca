/*
 * kiln_wasi.h — what a host grants an extension through WASI preview1, and
 * what it can read back afterwards (captured output, exit code, audit log,
 * denial counters).  Included by kiln_rt.h; hosts do not include it alone.
 *
 * A zero-initialised `struct kiln_wasi_grants` denies everything: no
 * arguments, no environment, stdin/stdout/stderr connected to nothing (reads
 * see end-of-file, writes are discarded), no clocks, no random bytes, no
 * files, no sockets.  CPU and memory budgets are not WASI's business: they
 * belong to the instance (see kiln_rt.h).
 *
 *     struct kiln_wasi_mount m = { .host_path = "/srv/data", .guest_path = "/data" };
 *     struct kiln_wasi_grants g = { .mounts = &m, .nmounts = 1, .clock_monotonic = true };
 *
 * Every pointer inside a grants structure is borrowed: the runtime reads it
 * while it creates the instance's WASI state and keeps copies of what it
 * needs, so the caller may free or reuse the structure and everything it
 * points to as soon as that call returns.  The two exceptions are the log
 * callback's context pointer (kept for the life of the state) and the socket
 * descriptors, which are duplicated (the caller keeps and closes its own).
 */
#ifndef KILN_WASI_H
#define KILN_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The import module whose functions this layer provides. */
#define KILN_WASI_MODULE "wasi_snapshot_preview1"

/** Default cap on what one in-memory capture keeps (stdout or stderr). */
#ifndef KILN_WASI_CAPTURE_MAX
#define KILN_WASI_CAPTURE_MAX (16u << 20)
#endif
/** Entries the audit log keeps; older entries are dropped (and counted). */
#ifndef KILN_WASI_AUDIT_MAX
#define KILN_WASI_AUDIT_MAX 1024u
#endif
/** Bytes of the resource description kept in one audit entry, with NUL. */
#define KILN_AUDIT_RESOURCE_BYTES 192

/** One host directory made visible to the guest. */
struct kiln_wasi_mount {
	const char *host_path;  /* an existing directory; borrowed */
	const char *guest_path; /* the preopen name the guest sees, e.g. "/" or "/data"; borrowed */
	bool writable;          /* false (the zero value): read-only */
};

/** Where one of the guest's fds 0, 1, 2 goes. */
enum kiln_wasi_stdio_kind {
	/** Reads see end-of-file, writes succeed and are discarded. */
	KILN_WASI_STDIO_NULL = 0,
	/** The host process's own fd 0/1/2, duplicated at creation. */
	KILN_WASI_STDIO_INHERIT = 1,
	/** A host file, opened at creation (stdin read-only; stdout and
	 * stderr created 0644 and truncated, or appended to). */
	KILN_WASI_STDIO_FILE = 2,
	/** Memory: stdout and stderr are kept for the host to read
	 * (kiln_wasi_captured); stdin reads `input`. */
	KILN_WASI_STDIO_CAPTURE = 3,
	/** stdout/stderr only: every write is handed to `log`. */
	KILN_WASI_STDIO_LOG = 4,
};

/**
 * Receives what the guest writes to a stdio stream routed to the host's
 * log: @extension is the extension's name, @fd is 1 or 2, @data holds @len
 * bytes (not NUL-terminated, possibly not a whole line) and is only valid
 * during the call.  Called synchronously from inside the guest's fd_write, on
 * the thread running the guest; it must not call back into the instance.
 */
typedef void (*kiln_wasi_log_fn)(void *ctx, const char *extension, uint32_t fd, const char *data,
				 size_t len);

/** Routing of one stdio stream. */
struct kiln_wasi_stdio {
	enum kiln_wasi_stdio_kind kind;
	const char *path;      /* FILE: host path; borrowed */
	bool append;           /* FILE on fd 1/2: append instead of truncating */
	const void *input;     /* CAPTURE on fd 0: bytes to read; copied */
	size_t input_len;
	size_t capture_max;    /* CAPTURE on fd 1/2: 0 means KILN_WASI_CAPTURE_MAX */
	kiln_wasi_log_fn log;  /* LOG: required */
	void *log_ctx;         /* LOG: passed to log; kept, not owned */
};

/** Everything WASI may reach.  See the file comment for ownership. */
struct kiln_wasi_grants {
	/* Filesystem: preopened as guest fds 3, 4, ... in this order. */
	const struct kiln_wasi_mount *mounts;
	size_t nmounts;
	/* Arguments exactly as the guest sees them; args[0] is by convention
	 * the program name. */
	const char *const *args;
	size_t nargs;
	/* Environment: explicit "KEY=VALUE" pairs, then the names of host
	 * variables passed through when set (read once, at creation).  An
	 * explicit pair wins over an inherited variable of the same name. */
	const char *const *env;
	size_t nenv;
	const char *const *env_inherit;
	size_t nenv_inherit;
	/* fds 0, 1, 2. */
	struct kiln_wasi_stdio stdio[3];
	/* Clocks; the CPU-time clocks are never granted. */
	bool clock_realtime;
	bool clock_monotonic;
	/* random_get, filled by libsodium's randombytes_buf. */
	bool random;
	/* Already-open host sockets (listening or connected), duplicated and
	 * given to the guest as the fds after the mounts. */
	const int *sockets;
	size_t nsockets;
};

/** Why an audit entry was written. */
enum kiln_audit_decision {
	/** A grant is missing (no clock, no random, read-only mount, rights). */
	KILN_AUDIT_DENIED = 1,
	/** A path tried to leave its mount: "..", absolute path, symlink
	 * pointing out, magic link, rename or link across mounts. */
	KILN_AUDIT_CONTAINED = 2,
	/** A guest pointer or length lies outside the guest's memory, or a
	 * size overflows. */
	KILN_AUDIT_FAULT = 3,
	/** The call is refused on purpose whatever the grants (proc_raise,
	 * CPU-time clocks), or a budget is exhausted (capture full, fd table
	 * full). */
	KILN_AUDIT_REFUSED = 4,
};

/** One audit-log entry.  Strings live as long as the WASI state. */
struct kiln_audit_entry {
	uint64_t seq;            /* 0, 1, 2, ... since creation or reset */
	const char *extension;   /* the extension's name */
	const char *function;    /* the WASI function, e.g. "path_open" */
	enum kiln_audit_decision decision;
	uint16_t wasi_errno;     /* what the guest was told */
	char resource[KILN_AUDIT_RESOURCE_BYTES]; /* what was asked for; printable
						      ASCII, other bytes as \xNN */
};

/* The 46 functions of wasi_snapshot_preview1 (the witx list, which added
 * sock_accept to the 45 of the original snapshot). */
#define KILN_WASI_FUNCS(X)                                                                         \
	X(ARGS_GET, args_get)                                                                      \
	X(ARGS_SIZES_GET, args_sizes_get)                                                          \
	X(ENVIRON_GET, environ_get)                                                                \
	X(ENVIRON_SIZES_GET, environ_sizes_get)                                                    \
	X(CLOCK_RES_GET, clock_res_get)                                                            \
	X(CLOCK_TIME_GET, clock_time_get)                                                          \
	X(FD_ADVISE, fd_advise)                                                                    \
	X(FD_ALLOCATE, fd_allocate)                                                                \
	X(FD_CLOSE, fd_close)                                                                      \
	X(FD_DATASYNC, fd_datasync)                                                                \
	X(FD_FDSTAT_GET, fd_fdstat_get)                                                            \
	X(FD_FDSTAT_SET_FLAGS, fd_fdstat_set_flags)                                                \
	X(FD_FDSTAT_SET_RIGHTS, fd_fdstat_set_rights)                                              \
	X(FD_FILESTAT_GET, fd_filestat_get)                                                        \
	X(FD_FILESTAT_SET_SIZE, fd_filestat_set_size)                                              \
	X(FD_FILESTAT_SET_TIMES, fd_filestat_set_times)                                            \
	X(FD_PREAD, fd_pread)                                                                      \
	X(FD_PRESTAT_GET, fd_prestat_get)                                                          \
	X(FD_PRESTAT_DIR_NAME, fd_prestat_dir_name)                                                \
	X(FD_PWRITE, fd_pwrite)                                                                    \
	X(FD_READ, fd_read)                                                                        \
	X(FD_READDIR, fd_readdir)                                                                  \
	X(FD_RENUMBER, fd_renumber)                                                                \
	X(FD_SEEK, fd_seek)                                                                        \
	X(FD_SYNC, fd_sync)                                                                        \
	X(FD_TELL, fd_tell)                                                                        \
	X(FD_WRITE, fd_write)                                                                      \
	X(PATH_CREATE_DIRECTORY, path_create_directory)                                            \
	X(PATH_FILESTAT_GET, path_filestat_get)                                                    \
	X(PATH_FILESTAT_SET_TIMES, path_filestat_set_times)                                        \
	X(PATH_LINK, path_link)                                                                    \
	X(PATH_OPEN, path_open)                                                                    \
	X(PATH_READLINK, path_readlink)                                                            \
	X(PATH_REMOVE_DIRECTORY, path_remove_directory)                                            \
	X(PATH_RENAME, path_rename)                                                                \
	X(PATH_SYMLINK, path_symlink)                                                              \
	X(PATH_UNLINK_FILE, path_unlink_file)                                                      \
	X(POLL_ONEOFF, poll_oneoff)                                                                \
	X(PROC_EXIT, proc_exit)                                                                    \
	X(PROC_RAISE, proc_raise)                                                                  \
	X(SCHED_YIELD, sched_yield)                                                                \
	X(RANDOM_GET, random_get)                                                                  \
	X(SOCK_ACCEPT, sock_accept)                                                                \
	X(SOCK_RECV, sock_recv)                                                                    \
	X(SOCK_SEND, sock_send)                                                                    \
	X(SOCK_SHUTDOWN, sock_shutdown)

/** Index of each WASI function, for the denial counters. */
enum kiln_wasi_func {
#define KILN_WASI_FUNC_ENUM(up, low) KILN_WASI_FN_##up,
	KILN_WASI_FUNCS(KILN_WASI_FUNC_ENUM)
#undef KILN_WASI_FUNC_ENUM
	KILN_WASI_NFUNCS
};

/** Per-instance WASI state; created by the runtime with the instance. */
struct kiln_wasi;

/** The WASI name of @f ("fd_write"), or NULL when @f is out of range. */
const char *kiln_wasi_func_name(enum kiln_wasi_func f);

/**
 * Number of audit entries currently held (at most KILN_WASI_AUDIT_MAX).
 * Like every accessor below, read it from the thread that drives the
 * instance, or while no guest call is in progress.
 */
size_t kiln_wasi_audit_count(const struct kiln_wasi *w);

/**
 * The @i-th held audit entry, oldest first, or NULL when @i is out of range.
 * The entry is owned by @w and stays valid until the next guest call,
 * kiln_wasi_reset or kiln_wasi_free.
 */
const struct kiln_audit_entry *kiln_wasi_audit_get(const struct kiln_wasi *w, size_t i);

/** Entries dropped because the log was full (the oldest go first). */
uint64_t kiln_wasi_audit_dropped(const struct kiln_wasi *w);

/** Denials counted for one function (never reset by the ring dropping). */
uint64_t kiln_wasi_denials(const struct kiln_wasi *w, enum kiln_wasi_func f);

/** Denials counted over all functions. */
uint64_t kiln_wasi_denials_total(const struct kiln_wasi *w);

/**
 * What the guest wrote to fd 1 or 2 routed to KILN_WASI_STDIO_CAPTURE.
 * Stores the length in *@len and returns a pointer owned by @w, valid until
 * the next guest call, kiln_wasi_reset or kiln_wasi_free; returns NULL with
 * *@len = 0 for any other fd or routing.  The bytes are not NUL-terminated.
 */
const uint8_t *kiln_wasi_captured(const struct kiln_wasi *w, uint32_t fd, size_t *len);

/** True, with the code in *@code, once the guest has called proc_exit. */
bool kiln_wasi_exit_code(const struct kiln_wasi *w, uint32_t *code);

#endif /* KILN_WASI_H */
