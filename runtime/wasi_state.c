/*
 * wasi_state.c — creating, resetting and freeing one instance's WASI state.
 *
 * Grants are turned into "templates" once: an open descriptor per mount,
 * per stdio file or inherited stream and per granted socket.  The guest's
 * fd table is then built from the templates (a fresh open of each mount
 * directory, duplicates of the others), which is what lets kiln_wasi_reset
 * put an instance back to its initial state without touching any host path
 * again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wasi_impl.h"

static int open_mounts(struct kiln_wasi *w, const struct kiln_wasi_grants *g,
		       struct kiln_err *err)
{
	if (g->nmounts == 0)
		return KILN_OK;
	if (g->mounts == NULL)
		return kiln_err_set(err, KILN_EINVAL, "grants: %zu mounts but no array", g->nmounts);
	w->mounts = calloc(g->nmounts, sizeof *w->mounts);
	if (w->mounts == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "grants: out of memory for mounts");
	for (size_t i = 0; i < g->nmounts; i++) {
		const struct kiln_wasi_mount *gm = &g->mounts[i];
		struct wasi_mount *mt = &w->mounts[i];
		mt->host = -1;
		w->nmounts = i + 1;
		if (gm->host_path == NULL || gm->host_path[0] == '\0')
			return kiln_err_set(err, KILN_EINVAL, "grants: mount %zu: no host directory",
					    i);
		if (gm->guest_path == NULL || gm->guest_path[0] == '\0' ||
		    strlen(gm->guest_path) > KILN_WASI_PATH_MAX)
			return kiln_err_set(err, KILN_EINVAL,
					    "grants: mount %zu (\"%s\"): guest path must be 1 to %u bytes",
					    i, gm->host_path, KILN_WASI_PATH_MAX);
		mt->host = open(gm->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (mt->host < 0)
			return kiln_err_set(err,
					    errno == ENOENT || errno == ENOTDIR ? KILN_ENOTFOUND
										: KILN_EIO,
					    "grants: mount %zu: host directory \"%s\": %s", i,
					    gm->host_path, strerror(errno));
		mt->guest = strdup(gm->guest_path);
		if (mt->guest == NULL)
			return kiln_err_set(err, KILN_ENOMEM, "grants: out of memory for mounts");
		mt->writable = gm->writable;
	}
	return KILN_OK;
}

static int dup_sockets(struct kiln_wasi *w, const struct kiln_wasi_grants *g,
		       struct kiln_err *err)
{
	if (g->nsockets == 0)
		return KILN_OK;
	if (g->sockets == NULL)
		return kiln_err_set(err, KILN_EINVAL, "grants: %zu sockets but no array",
				    g->nsockets);
	w->sockets = malloc(g->nsockets * sizeof *w->sockets);
	if (w->sockets == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "grants: out of memory for sockets");
	for (size_t i = 0; i < g->nsockets; i++) {
		struct stat st;
		w->sockets[i] = -1;
		w->nsockets = i + 1;
		if (fstat(g->sockets[i], &st) != 0 || !S_ISSOCK(st.st_mode))
			return kiln_err_set(err, KILN_EINVAL,
					    "grants: socket %zu: host fd %d is not an open socket", i,
					    g->sockets[i]);
		w->sockets[i] = fcntl(g->sockets[i], F_DUPFD_CLOEXEC, 0);
		if (w->sockets[i] < 0)
			return kiln_err_set(err, KILN_EIO, "grants: socket %zu: cannot duplicate host fd %d: %s",
					    i, g->sockets[i], strerror(errno));
	}
	return KILN_OK;
}

static int open_stdio(struct kiln_wasi *w, const struct kiln_wasi_grants *g,
		      struct kiln_err *err)
{
	static const char *const names[3] = {"stdin", "stdout", "stderr"};
	for (int i = 0; i < 3; i++) {
		const struct kiln_wasi_stdio *gs = &g->stdio[i];
		struct wasi_stdio *s = &w->stdio[i];
		s->kind = gs->kind;
		switch (gs->kind) {
		case KILN_WASI_STDIO_NULL:
			break;
		case KILN_WASI_STDIO_INHERIT:
			s->host = fcntl(i, F_DUPFD_CLOEXEC, 0);
			if (s->host < 0)
				return kiln_err_set(err, KILN_EIO,
						    "grants: %s: inherit: host fd %d: %s", names[i],
						    i, strerror(errno));
			break;
		case KILN_WASI_STDIO_FILE: {
			int flags = i == 0 ? O_RDONLY
					   : O_WRONLY | O_CREAT | (gs->append ? O_APPEND : O_TRUNC);
			if (gs->path == NULL || gs->path[0] == '\0')
				return kiln_err_set(err, KILN_EINVAL, "grants: %s: file: no path",
						    names[i]);
			s->host = open(gs->path, flags | O_CLOEXEC | O_NOCTTY, 0644);
			if (s->host < 0)
				return kiln_err_set(err, errno == ENOENT ? KILN_ENOTFOUND : KILN_EIO,
						    "grants: %s: file \"%s\": %s", names[i],
						    gs->path, strerror(errno));
			break;
		}
		case KILN_WASI_STDIO_CAPTURE:
			if (i == 0) {
				if (gs->input_len > 0 && gs->input == NULL)
					return kiln_err_set(err, KILN_EINVAL,
							    "grants: stdin: %zu input bytes but no buffer",
							    gs->input_len);
				if (gs->input_len > 0) {
					s->buf = malloc(gs->input_len);
					if (s->buf == NULL)
						return kiln_err_set(err, KILN_ENOMEM,
								    "grants: stdin: out of memory for %zu bytes",
								    gs->input_len);
					memcpy(s->buf, gs->input, gs->input_len);
				}
				s->len = s->cap = gs->input_len;
			} else {
				s->max = gs->capture_max != 0 ? gs->capture_max
							      : KILN_WASI_CAPTURE_MAX;
			}
			break;
		case KILN_WASI_STDIO_LOG:
			if (i == 0)
				return kiln_err_set(err, KILN_EINVAL,
						    "grants: stdin cannot be routed to the log");
			if (gs->log == NULL)
				return kiln_err_set(err, KILN_EINVAL,
						    "grants: %s: log routing without a callback",
						    names[i]);
			s->log = gs->log;
			s->log_ctx = gs->log_ctx;
			break;
		default:
			return kiln_err_set(err, KILN_EINVAL, "grants: %s: unknown routing %d",
					    names[i], (int)gs->kind);
		}
	}
	return KILN_OK;
}

static uint8_t socket_filetype(int fd)
{
	int type = 0;
	socklen_t len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return WASI_FILETYPE_UNKNOWN;
	if (type == SOCK_STREAM)
		return WASI_FILETYPE_SOCKET_STREAM;
	if (type == SOCK_DGRAM)
		return WASI_FILETYPE_SOCKET_DGRAM;
	return WASI_FILETYPE_UNKNOWN;
}

/* Fill the fd table from the templates: stdio, then mounts, then sockets. */
static int install(struct kiln_wasi *w, struct kiln_err *err)
{
	int rc;
	uint32_t next = 3;
	if ((rc = wasi_stdio_install(w, err)) != KILN_OK)
		return rc;
	for (size_t i = 0; i < w->nmounts; i++, next++) {
		struct wasi_fd *e = &w->fds[next];
		const struct wasi_mount *mt = &w->mounts[i];
		/* A fresh open file description, so that the guest's
		 * readdir position and flags are its own. */
		e->host = openat(mt->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (e->host < 0)
			return kiln_err_set(err, KILN_EIO, "mount \"%s\": cannot reopen: %s",
					    mt->guest, strerror(errno));
		e->kind = WASI_FD_DIR;
		e->filetype = WASI_FILETYPE_DIRECTORY;
		e->mount = (int)i;
		e->preopen = true;
		if (mt->writable) {
			e->base = WASI_RIGHTS_DIR;
			e->inh = WASI_RIGHTS_DIR | WASI_RIGHTS_FILE;
		} else {
			e->base = WASI_RIGHTS_DIR & ~WASI_RIGHTS_MUTATING;
			e->inh = (WASI_RIGHTS_DIR | WASI_RIGHTS_FILE) &
				 ~(WASI_RIGHTS_MUTATING & ~WASI_RIGHTS_WRITE_INTENT);
		}
	}
	for (size_t i = 0; i < w->nsockets; i++, next++) {
		struct wasi_fd *e = &w->fds[next];
		e->host = fcntl(w->sockets[i], F_DUPFD_CLOEXEC, 0);
		if (e->host < 0)
			return kiln_err_set(err, KILN_EIO, "socket %zu: cannot duplicate: %s", i,
					    strerror(errno));
		e->kind = WASI_FD_SOCKET;
		e->filetype = socket_filetype(e->host);
		e->base = WASI_RIGHTS_SOCKET;
		e->inh = WASI_RIGHTS_SOCKET;
	}
	return KILN_OK;
}

static void clear_table(struct kiln_wasi *w)
{
	for (uint32_t i = 0; i < KILN_WASI_MAX_FDS; i++) {
		wasi_fd_release(&w->fds[i]);
		w->fds[i].mount = -1;
	}
}

int kiln_wasi_new(const struct kiln_wasi_grants *grants, const char *extension_name,
		  struct kiln_wasi **out, struct kiln_err *err)
{
	static const struct kiln_wasi_grants zero;
	const struct kiln_wasi_grants *g = grants != NULL ? grants : &zero;
	struct kiln_wasi *w;
	int rc;

	*out = NULL;
	/* random_get uses randombytes_buf; sodium_init is idempotent and
	 * thread-safe. */
	if (sodium_init() < 0)
		return kiln_err_set(err, KILN_EINTERNAL, "wasi: libsodium cannot initialise");
	w = calloc(1, sizeof *w);
	if (w == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "wasi: out of memory");
	for (int i = 0; i < 3; i++)
		w->stdio[i].host = -1;
	w->extension = strdup(extension_name != NULL ? extension_name : "");
	w->fds = calloc(KILN_WASI_MAX_FDS, sizeof *w->fds);
	if (w->extension == NULL || w->fds == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "wasi: out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < KILN_WASI_MAX_FDS; i++) {
		w->fds[i].host = -1;
		w->fds[i].mount = -1;
	}
	if (g->nmounts > KILN_WASI_MAX_FDS - 3 || g->nsockets > KILN_WASI_MAX_FDS - 3 - g->nmounts) {
		rc = kiln_err_set(err, KILN_ELIMIT,
				  "grants: %zu mounts and %zu sockets exceed the %u guest fds",
				  g->nmounts, g->nsockets, KILN_WASI_MAX_FDS - 3);
		goto out;
	}
	if ((rc = open_mounts(w, g, err)) != KILN_OK || (rc = dup_sockets(w, g, err)) != KILN_OK ||
	    (rc = open_stdio(w, g, err)) != KILN_OK || (rc = wasi_args_init(w, g, err)) != KILN_OK)
		goto out;
	w->clock_realtime = g->clock_realtime;
	w->clock_monotonic = g->clock_monotonic;
	w->random = g->random;
	if ((rc = install(w, err)) != KILN_OK)
		goto out;
	*out = w;
	w = NULL;
out:
	if (w != NULL && err != NULL && extension_name != NULL)
		kiln_err_prefix(err, extension_name);
	kiln_wasi_free(w);
	return rc;
}

void kiln_wasi_free(struct kiln_wasi *w)
{
	if (w == NULL)
		return;
	if (w->fds != NULL)
		clear_table(w);
	for (size_t i = 0; i < w->nmounts; i++) {
		if (w->mounts[i].host >= 0)
			close(w->mounts[i].host);
		free(w->mounts[i].guest);
	}
	for (size_t i = 0; i < w->nsockets; i++)
		if (w->sockets[i] >= 0)
			close(w->sockets[i]);
	for (int i = 0; i < 3; i++) {
		if (w->stdio[i].host >= 0)
			close(w->stdio[i].host);
		free(w->stdio[i].buf);
	}
	wasi_audit_clear(w);
	free(w->mounts);
	free(w->sockets);
	free(w->fds);
	free(w->args);
	free(w->env);
	free(w->extension);
	free(w);
}

int kiln_wasi_reset(struct kiln_wasi *w, struct kiln_err *err)
{
	clear_table(w);
	for (int i = 0; i < 3; i++) {
		struct wasi_stdio *s = &w->stdio[i];
		if (s->kind == KILN_WASI_STDIO_CAPTURE && i != 0) {
			free(s->buf);
			s->buf = NULL;
			s->len = s->cap = 0;
		}
		s->pos = 0;
	}
	wasi_audit_clear(w);
	w->exited = false;
	w->exit_code = 0;
	w->deadline_ns = 0;
	return install(w, err);
}

void kiln_wasi_set_deadline(struct kiln_wasi *w, uint64_t monotonic_ns)
{
	w->deadline_ns = monotonic_ns;
}

void kiln_wasi_set_resolver(struct kiln_wasi *w, enum kiln_wasi_resolver r)
{
	w->resolver = r;
}

bool kiln_wasi_exit_code(const struct kiln_wasi *w, uint32_t *code)
{
	if (w == NULL || !w->exited)
		return false;
	if (code != NULL)
		*code = w->exit_code;
	return true;
}
