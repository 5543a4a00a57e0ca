/*
 * bake.c — `kiln bake`: kiln.yaml -> pulled and verified modules -> cached
 * objects -> the output directory a host project links.
 *
 *   1. read kiln.yaml; read kiln.lock when there is one (--locked: it must
 *      hold exactly kiln.yaml's extensions, with the same references);
 *   2. pull each extension through libkiln-oci (digests, signature when
 *      `key` is set, the lock entry when there is one);
 *   3. check each module statically: its initial memory under the memory
 *      grant, its kiln_protocol_version() inside the runtime's range;
 *   4. key each object by the wasm digest, the compile options and the
 *      toolchain fingerprint (toolchain.c); compile the cache misses in
 *      forked child processes, -j at a time (kiln_compile keeps its
 *      temporaries in process-wide state, and a process per compile also
 *      isolates failures; the bake is single-threaded when it forks: libcurl
 *      has joined any resolver thread once its transfers are done);
 *   5. generate kiln_registry.c and compile it (cached the same way);
 *   6. only then touch the output directory: each file replaced atomically
 *      and only when its bytes change, kiln.mk last.
 *
 * Nothing the bake writes holds a time, a temporary name or a path of the
 * machine other than kiln.mk's pointers to the runtime.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bake_impl.h"
#include "driver_impl.h"
#include "kiln_rt.h"

/* The protocol range the runtime speaks is KILN_PROTOCOL_MIN..MAX
 * (kiln_rt.h, with the host API). */
#define PROTOCOL_EXPORT KILN_PROTOCOL_EXPORT

struct bake {
	const struct kiln_bake_opts *o;
	struct kiln_oci_client *c;
	struct kiln_err *err;
	FILE *out;
	struct kiln_config cfg;
	struct kiln_oci_lock lock;
	bool have_lock;
	char *lock_path;
	struct kiln_bake_ext *exts;
	struct kiln_toolchain tc;
	char *fingerprint;
	char cache[PATH_MAX];
	struct timespec t0;
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void say(struct bake *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct bake *b, const char *fmt, ...)
{
	va_list ap;
	if (b->out == NULL)
		return;
	fputs("bake: ", b->out);
	va_start(ap, fmt);
	vfprintf(b->out, fmt, ap);
	va_end(ap);
	fputc('\n', b->out);
	fflush(b->out);
}

/* "FILE:LINE:COL: " of @m in kiln.yaml, for messages made here. */
static int at(struct bake *b, int code, struct kiln_config_mark m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int at(struct bake *b, int code, struct kiln_config_mark m, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return kiln_err_set(b->err, code, "%s:%u:%u: %s", b->cfg.path, m.line, m.column, msg);
}

/* ---- files ------------------------------------------------------------------ */

static int read_all(const char *path, uint8_t **data, size_t *len, struct kiln_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = KILN_OK;
	struct stat st;
	size_t have = 0;

	*data = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = kiln_err_set(err, errno == ENOENT ? KILN_ENOTFOUND : KILN_EIO,
				  "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	*data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (*data == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, *data + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = kiln_err_set(err, KILN_EIO, "%s: cannot read: %s", path,
					  n < 0 ? strerror(errno) : "file shrank while reading");
			goto out;
		}
		have += (size_t)n;
	}
	*len = have;
out:
	if (fd >= 0)
		close(fd);
	if (rc != KILN_OK) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

/* Whether @path holds exactly @len bytes @data. */
static bool same_bytes(const char *path, const void *data, size_t len)
{
	uint8_t *have;
	size_t hlen;
	bool same;
	if (read_all(path, &have, &hlen, NULL) != KILN_OK)
		return false;
	same = hlen == len && (len == 0 || memcmp(have, data, len) == 0);
	free(have);
	return same;
}

/* Write @data to @path through a temporary file beside it and a rename:
 * readers see the old file or the new one, never a part. */
static int write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			struct kiln_err *err)
{
	char tmp[PATH_MAX];
	const uint8_t *p = data;
	int fd, rc = KILN_OK, n;

	n = snprintf(tmp, sizeof tmp, "%s.kiln-XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return kiln_err_set(err, KILN_EIO, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return kiln_err_set(err, KILN_EIO, "cannot create a file beside %s: %s", path,
				    strerror(errno));
	while (len > 0 && rc == KILN_OK) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = kiln_err_set(err, KILN_EIO, "cannot write %s: %s", tmp,
					  strerror(w < 0 ? errno : EIO));
		else {
			p += w;
			len -= (size_t)w;
		}
	}
	if (rc == KILN_OK && fchmod(fd, mode) != 0)
		rc = kiln_err_set(err, KILN_EIO, "cannot set the mode of %s: %s", tmp,
				  strerror(errno));
	if (close(fd) != 0 && rc == KILN_OK)
		rc = kiln_err_set(err, KILN_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (rc == KILN_OK && rename(tmp, path) != 0)
		rc = kiln_err_set(err, KILN_EIO, "cannot rename %s to %s: %s", tmp, path,
				  strerror(errno));
	if (rc != KILN_OK)
		unlink(tmp);
	return rc;
}

/* mkdir -p */
static int make_dirs(const char *path, struct kiln_err *err)
{
	char p[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof p)
		return kiln_err_set(err, KILN_EIO, "bad directory path \"%s\"", path);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return kiln_err_set(err, KILN_EIO, "cannot create %s: %s", p, strerror(errno));
		p[i] = path[i];
	}
	return KILN_OK;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* ---- kiln.lock ------------------------------------------------------------ */

static int canonical_ref(const char *text, char out[KILN_OCI_REF_STRMAX], struct kiln_err *err)
{
	struct kiln_oci_ref ref;
	int rc = kiln_oci_ref_parse(text, KILN_OCI_REF_ALLOW_LATEST, &ref, err);
	if (rc == KILN_OK)
		kiln_oci_ref_format(&ref, out, KILN_OCI_REF_STRMAX);
	return rc;
}

static int read_lock(struct bake *b)
{
	const struct kiln_bake_opts *o = b->o;
	int rc;

	b->lock_path = o->lock != NULL ? strdup(o->lock) : kiln_config_path(&b->cfg, "kiln.lock");
	if (b->lock_path == NULL)
		return kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	if (access(b->lock_path, F_OK) != 0) {
		if (o->locked)
			return kiln_err_set(b->err, KILN_ELOCK,
					    "%s: not found; --locked needs it (run kiln lock -f %s)",
					    b->lock_path, b->cfg.path);
		return KILN_OK;
	}
	if ((rc = kiln_oci_lock_read(b->lock_path, &b->lock, b->err)) != KILN_OK)
		return rc;
	b->have_lock = true;
	if (!o->locked)
		return KILN_OK;
	for (size_t i = 0; i < b->lock.count; i++)
		if (kiln_config_find(&b->cfg, b->lock.entries[i].name) == NULL)
			return kiln_err_set(b->err, KILN_ELOCK,
					    "--locked: %s has extension \"%s\", which %s does not "
					    "list (run kiln lock -f %s)",
					    b->lock_path, b->lock.entries[i].name, b->cfg.path,
					    b->cfg.path);
	for (size_t i = 0; i < b->cfg.count; i++) {
		const struct kiln_config_ext *e = &b->cfg.exts[i];
		const struct kiln_oci_lock_entry *le = kiln_oci_lock_find(&b->lock, e->name);
		char ref[KILN_OCI_REF_STRMAX];
		if (le == NULL)
			return at(b, KILN_ELOCK, e->mark,
				  "--locked: extension \"%s\" is not in %s (run kiln lock -f %s)",
				  e->name, b->lock_path, b->cfg.path);
		if ((rc = canonical_ref(e->ref, ref, b->err)) != KILN_OK)
			return rc;
		if (strcmp(ref, le->reference) != 0)
			return at(b, KILN_ELOCK, e->ref_mark,
				  "--locked: ref \"%.80s\" differs from \"%.80s\" in %s", ref,
				  le->reference, b->lock_path);
	}
	return KILN_OK;
}

/* The lock entry for @e when kiln.lock has one for the same reference; an
 * entry for another reference is out of date (said, and not used). */
static const struct kiln_oci_lock_entry *lock_entry(struct bake *b,
						     const struct kiln_config_ext *e)
{
	const struct kiln_oci_lock_entry *le;
	char ref[KILN_OCI_REF_STRMAX];
	if (!b->have_lock || (le = kiln_oci_lock_find(&b->lock, e->name)) == NULL ||
	    canonical_ref(e->ref, ref, NULL) != KILN_OK)
		return NULL;
	if (strcmp(ref, le->reference) != 0) {
		say(b, "warning: %s pins %s to another reference (%.80s); it is ignored: run "
		       "kiln lock -f %s",
		    b->lock_path, e->name, le->reference, b->cfg.path);
		return NULL;
	}
	return le;
}

/* ---- pull ---------------------------------------------------------------------- */

static int pull(struct bake *b, size_t i)
{
	const struct kiln_config_ext *e = &b->cfg.exts[i];
	struct kiln_bake_ext *x = &b->exts[i];
	const struct kiln_oci_lock_entry *le = lock_entry(b, e);
	struct kiln_oci_pubkey key;
	struct kiln_oci_artifact *art = NULL;
	struct kiln_oci_ref ref;
	int rc;

	x->cfg = e;
	if ((rc = canonical_ref(e->ref, x->reference, b->err)) != KILN_OK ||
	    (rc = kiln_config_ref(&b->cfg, e, &ref, b->err)) != KILN_OK)
		return rc;
	if (!ref.pinned && le == NULL && !e->allow_latest)
		return at(b, KILN_ELOCK, e->ref_mark,
			  "ref: \"%.100s\" is a tag and %s does not resolve it: run kiln lock -f "
			  "%s, or pin it by digest",
			  e->ref, b->lock_path, b->cfg.path);
	if (ref.kind == KILN_OCI_REF_LAYOUT &&
	    snprintf(x->layout_index, sizeof x->layout_index, "%s/index.json", ref.dir) >=
		    (int)sizeof x->layout_index)
		x->layout_index[0] = '\0';
	if (!ref.pinned && le != NULL) {
		/* the lock resolves the tag: fetch exactly what it names */
		ref.pinned = 1;
		ref.digest = le->has_index ? le->index.digest : le->manifest.digest;
	}
	if (e->key != NULL) {
		char *kp = kiln_config_path(&b->cfg, e->key);
		struct kiln_err kerr = {0, ""};
		rc = kp == NULL ? kiln_err_set(&kerr, KILN_ENOMEM, "out of memory")
				: kiln_oci_pubkey_load(kp, &key, &kerr);
		free(kp);
		if (rc != KILN_OK)
			return at(b, rc, e->key_mark, "key: %s", kerr.msg);
	}
	art = malloc(sizeof *art);
	if (art == NULL)
		return kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	rc = kiln_oci_pull(b->c, &ref, e->key != NULL ? &key : NULL, le, art, b->err);
	if (rc != KILN_OK) {
		kiln_err_prefix(b->err, e->name);
		goto out;
	}
	kiln_digest_format(&art->manifest.digest, x->manifest);
	kiln_digest_format(&art->config.digest, x->config_digest);
	kiln_digest_format(&art->layer.digest, x->wasm);
	if (art->signature.present)
		kiln_digest_format(&art->signature.key, x->signer);
	snprintf(x->wasm_path, sizeof x->wasm_path, "%s", art->path);
	if (b->o->verbose)
		say(b, "%s: %s -> %s%s", e->name, x->reference, x->manifest,
		    art->signature.present ? " (signature verified)" : "");
out:
	free(art);
	return rc;
}

/* ---- static checks ---------------------------------------------------------------- */

static void size_text(uint64_t v, char *out, size_t size)
{
	if (v % (1ull << 20) == 0)
		snprintf(out, size, "%lluMiB", (unsigned long long)(v >> 20));
	else if (v % 1024 == 0)
		snprintf(out, size, "%lluKiB", (unsigned long long)(v >> 10));
	else
		snprintf(out, size, "%llu bytes", (unsigned long long)v);
}

/* wasm-ld links a WASI command's exports (other than _start) as wrappers,
 * `call $f` then `call $__wasm_call_dtors`: the body of $f when @code is
 * such a wrapper (calls of defined functions, the first one returning the
 * result, the others () -> ()), else @code. */
static const struct kiln_wasm_expr *command_export_target(const struct kiln_wasm_module *m,
							  const struct kiln_wasm_expr *code)
{
	const struct kiln_wasm_functype *ft;
	if (code->ninsns < 2 || code->insns[code->ninsns - 1].op != 0x0b)
		return code;
	for (uint32_t i = 0; i + 1 < code->ninsns; i++) {
		uint32_t f = code->insns[i].imm.index;
		if (code->insns[i].op != 0x10 || f < m->nimported_funcs ||
		    f - m->nimported_funcs >= m->nbodies || (ft = kiln_wasm_func_type(m, f)) == NULL ||
		    ft->nparams != 0 || ft->nresults != (i == 0 ? 1u : 0u))
			return code;
	}
	return &m->bodies[code->insns[0].imm.index - m->nimported_funcs].code;
}

/* The constant kiln_protocol_version() returns: its body must be
 * `i32.const N` (then `return`) and `end`, as any optimising compiler
 * leaves it. */
static int protocol_of(struct bake *b, const struct kiln_config_ext *e,
		       const struct kiln_wasm_module *m, bool *has, int32_t *version)
{
	const struct kiln_wasm_export *x = NULL;
	const struct kiln_wasm_functype *ft;
	const struct kiln_wasm_expr *code;

	*has = false;
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].name.len == strlen(PROTOCOL_EXPORT) &&
		    memcmp(m->exports[i].name.data, PROTOCOL_EXPORT, strlen(PROTOCOL_EXPORT)) == 0)
			x = &m->exports[i];
	if (x == NULL)
		return KILN_OK;
	ft = x->kind == KILN_WASM_KIND_FUNC ? kiln_wasm_func_type(m, x->index) : NULL;
	if (ft == NULL || ft->nparams != 0 || ft->nresults != 1 || ft->types[0] != KILN_WASM_I32)
		return at(b, KILN_EVERSION, e->ref_mark,
			  "%s: export %s must be a function () -> i32", e->name, PROTOCOL_EXPORT);
	if (x->index < m->nimported_funcs)
		return at(b, KILN_EVERSION, e->ref_mark,
			  "%s: export %s is an imported function; it must return a constant",
			  e->name, PROTOCOL_EXPORT);
	code = &m->bodies[x->index - m->nimported_funcs].code;
	code = command_export_target(m, code);
	if (!((code->ninsns == 2 && code->insns[1].op == 0x0b) ||
	      (code->ninsns == 3 && code->insns[1].op == 0x0f && code->insns[2].op == 0x0b)) ||
	    code->insns[0].op != 0x41)
		return at(b, KILN_EVERSION, e->ref_mark,
			  "%s: %s() must return a constant (its body must be i32.const N): kiln "
			  "reads it when baking; build the guest with optimisation",
			  e->name, PROTOCOL_EXPORT);
	*has = true;
	*version = (int32_t)code->insns[0].imm.i64;
	return KILN_OK;
}

static int check_module(struct bake *b, size_t i)
{
	const struct kiln_config_ext *e = &b->cfg.exts[i];
	struct kiln_bake_ext *x = &b->exts[i];
	struct kiln_wasm_module *m = NULL;
	int rc;

	if ((rc = kiln_wasm_read_file(x->wasm_path, &m, b->err)) != KILN_OK) {
		kiln_err_prefix(b->err, e->name);
		goto out;
	}
	if (e->grants.memory != 0) {
		uint64_t cap_pages = e->grants.memory / 65536;
		for (uint32_t k = 0; k < m->nimports + m->nmems; k++) {
			uint32_t min;
			char cap[32], need[32];
			if (k < m->nimports) {
				if (m->imports[k].kind != KILN_WASM_KIND_MEMORY)
					continue;
				min = m->imports[k].desc.memory.min;
			} else {
				min = m->mems[k - m->nimports].min;
			}
			if (min <= cap_pages)
				continue;
			size_text(e->grants.memory, cap, sizeof cap);
			size_text((uint64_t)min * 65536, need, sizeof need);
			rc = at(b, KILN_EMEMCAP, e->grants.memory_mark,
				"grants.memory: %s is below the initial memory of %s: %s (%u pages "
				"of 64KiB)",
				cap, e->name, need, min);
			goto out;
		}
	}
	if ((rc = protocol_of(b, e, m, &x->has_protocol, &x->protocol)) != KILN_OK)
		goto out;
	if (x->has_protocol &&
	    (x->protocol < KILN_PROTOCOL_MIN || x->protocol > KILN_PROTOCOL_MAX)) {
		rc = at(b, KILN_EVERSION, e->ref_mark,
			"%s speaks kiln protocol %d (its kiln_protocol_version()); this runtime "
			"supports %d to %d",
			e->name, x->protocol, KILN_PROTOCOL_MIN, KILN_PROTOCOL_MAX);
		goto out;
	}
	if (e->has_protocol && !x->has_protocol) {
		rc = at(b, KILN_EVERSION, e->protocol_mark,
			"protocol: %d expected, but %s does not export %s()", e->protocol, e->name,
			PROTOCOL_EXPORT);
		goto out;
	}
	if (e->has_protocol && x->protocol != e->protocol) {
		rc = at(b, KILN_EVERSION, e->protocol_mark,
			"protocol: %d expected, but %s's %s() returns %d", e->protocol, e->name,
			PROTOCOL_EXPORT, x->protocol);
		goto out;
	}
out:
	kiln_wasm_free(m);
	return rc;
}

/* ---- the cache --------------------------------------------------------------------- */

static void key_of(struct bake *b, struct kiln_bake_ext *x)
{
	crypto_hash_sha256_state st;
	unsigned char d[32];
	char opts[256];
	static const char hex[] = "0123456789abcdef";
	int n = snprintf(opts, sizeof opts,
			 "object\nname %s\nwasm %s\nmax_memory %llu\nfuel 1\nopt %s\n",
			 x->cfg->name, x->wasm, (unsigned long long)x->cfg->grants.memory,
			 b->o->opt_level != NULL ? b->o->opt_level : "2");
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)b->fingerprint,
				  strlen(b->fingerprint));
	crypto_hash_sha256_update(&st, (const unsigned char *)opts,
				  n > 0 ? (size_t)n : 0);
	crypto_hash_sha256_final(&st, d);
	for (int i = 0; i < 32; i++) {
		x->key[2 * i] = hex[d[i] >> 4];
		x->key[2 * i + 1] = hex[d[i] & 15];
	}
	x->key[64] = '\0';
}

static char *cache_path(struct bake *b, const char *key)
{
	char name[80];
	snprintf(name, sizeof name, "%.64s.o", key);
	return join(b->cache, name);
}

/* A compile job, run in a child process. */
struct job {
	size_t ext;
	pid_t pid;
	int fd;                 /* read end of the result pipe */
	struct timespec t0;
};

static void child_compile(struct bake *b, size_t i, int fd)
{
	struct kiln_bake_ext *x = &b->exts[i];
	struct kiln_compile_opts co;
	struct kiln_err e = {0, ""};
	char *obj = cache_path(b, x->key);
	int rc;

	memset(&co, 0, sizeof co);
	co.input = x->wasm_path;
	co.output = obj;
	co.name = x->cfg->name;
	co.max_memory = x->cfg->grants.memory;
	co.cc = b->o->cc;
	co.opt_level = b->o->opt_level;
	co.verbose = b->o->verbose;
	rc = obj == NULL ? kiln_err_set(&e, KILN_ENOMEM, "out of memory")
			 : kiln_compile_diag(&co, stderr, &e);
	e.code = rc;
	if (write(fd, &e, sizeof e) != (ssize_t)sizeof e)
		rc = KILN_EIO;
	_exit(rc == KILN_OK ? 0 : 1);
}

/* Collect one finished job into *@first_err (the first failure in
 * kiln.yaml order wins).  Returns the slot index, or -1. */
static int reap(struct bake *b, struct job *jobs, size_t njobs, struct kiln_err *first,
		size_t *first_ext)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, 0)) < 0)
		if (errno != EINTR)
			return -1;
	for (size_t j = 0; j < njobs; j++) {
		struct job *jb = &jobs[j];
		struct kiln_bake_ext *x;
		struct kiln_err e = {0, ""};
		ssize_t n;
		if (jb->pid != pid)
			continue;
		x = &b->exts[jb->ext];
		n = read(jb->fd, &e, sizeof e);
		close(jb->fd);
		jb->pid = 0;
		if (n != (ssize_t)sizeof e || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			size_t plen = strlen(x->wasm_path);
			char msg[sizeof e.msg];
			if (n != (ssize_t)sizeof e || e.code == KILN_OK)
				snprintf(e.msg, sizeof e.msg, "the compile died (%s %d)",
					 WIFSIGNALED(status) ? "signal" : "exit status",
					 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			if (e.code == KILN_OK)
				e.code = KILN_ETOOL;
			/* messages name the store's blob path; name the extension */
			if (strncmp(e.msg, x->wasm_path, plen) == 0 && e.msg[plen] == ':')
				snprintf(msg, sizeof msg, "%s%s", x->cfg->name, e.msg + plen);
			else
				snprintf(msg, sizeof msg, "%s: %s", x->cfg->name, e.msg);
			if (first->code == KILN_OK || jb->ext < *first_ext) {
				first->code = e.code;
				memcpy(first->msg, msg, sizeof msg);
				*first_ext = jb->ext;
			}
		} else {
			say(b, "%-16s compiled (%.2fs)", x->cfg->name, since(&jb->t0));
		}
		return (int)j;
	}
	return -1;
}

static int compile_misses(struct bake *b, size_t *compiled)
{
	size_t n = b->cfg.count, next = 0, running = 0, first_ext = 0;
	unsigned jobs = b->o->jobs;
	struct job *slots;
	struct kiln_err first = {0, ""};
	int rc = KILN_OK;

	if (jobs == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cpus > 0 ? (unsigned)cpus : 1;
	}
	slots = calloc(jobs, sizeof *slots);
	if (slots == NULL)
		return kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	*compiled = 0;
	for (;;) {
		/* start jobs while there is room and no failure */
		while (running < jobs && first.code == KILN_OK) {
			int p[2];
			size_t s;
			while (next < n && b->exts[next].hit)
				next++;
			if (next == n)
				break;
			for (s = 0; slots[s].pid != 0; s++)
				;
			if (pipe2(p, O_CLOEXEC) != 0) {
				first.code = kiln_err_set(&first, KILN_EIO, "pipe: %s", strerror(errno));
				break;
			}
			if (b->out != NULL)
				fflush(b->out);
			fflush(stdout);
			fflush(stderr);
			clock_gettime(CLOCK_MONOTONIC, &slots[s].t0);
			slots[s].pid = fork();
			if (slots[s].pid == 0) {
				close(p[0]);
				child_compile(b, next, p[1]);
			}
			close(p[1]);
			if (slots[s].pid < 0) {
				slots[s].pid = 0;
				close(p[0]);
				kiln_err_set(&first, KILN_EIO, "fork: %s", strerror(errno));
				break;
			}
			slots[s].fd = p[0];
			slots[s].ext = next++;
			running++;
			(*compiled)++;
		}
		if (running == 0)
			break;
		if (reap(b, slots, jobs, &first, &first_ext) >= 0)
			running--;
		else if (errno == ECHILD)
			break;
	}
	free(slots);
	if (first.code != KILN_OK)
		rc = kiln_err_set(b->err, first.code, "%s", first.msg);
	return rc;
}

/* ---- the registry object ------------------------------------------------------------ */

/* Compile kiln_registry.c (@src) into the cache as @obj_path. */
static int compile_registry(struct bake *b, const char *src, size_t len, const char *obj_path)
{
	char dir[PATH_MAX], iflag[PATH_MAX + 4], *c_path = NULL, *o_path = NULL;
	const char *tmp = getenv("TMPDIR"), *level = b->o->opt_level ? b->o->opt_level : "2";
	const char *cc = b->o->cc;
	char oflag[8];
	char *argv[] = {NULL, "-c", oflag, "-fPIC", iflag, KILN_BAKE_REGISTRY_C, "-o",
			KILN_BAKE_REGISTRY_O, NULL};
	struct kiln_proc p;
	uint8_t *obj = NULL;
	size_t olen;
	int rc;

	if (cc == NULL || cc[0] == '\0')
		cc = getenv("CC");
	if (cc == NULL || cc[0] == '\0')
		cc = "cc";
	argv[0] = (char *)cc;
	snprintf(oflag, sizeof oflag, "-O%s", level);
	snprintf(iflag, sizeof iflag, "-I%s", b->tc.include_dir);
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(dir, sizeof dir, "%s/kiln-bake-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		return kiln_err_set(b->err, KILN_EIO, "cannot create a temporary directory in %s: %s",
				    tmp, strerror(errno));
	c_path = join(dir, KILN_BAKE_REGISTRY_C);
	o_path = join(dir, KILN_BAKE_REGISTRY_O);
	if (c_path == NULL || o_path == NULL) {
		rc = kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_atomic(c_path, src, len, 0644, b->err)) != KILN_OK)
		goto out;
	/* in the temporary directory with a relative name and no -g: the
	 * object does not depend on where it was made */
	rc = kiln_spawn(argv, dir, &p, b->err);
	if (rc == KILN_ENOTFOUND)
		rc = kiln_err_set(b->err, KILN_ETOOL, "C compiler \"%s\" not found", cc);
	if (rc != KILN_OK)
		goto out;
	if (p.status != 0) {
		/* the first line that says "error", else the first line */
		const char *text = p.errout[0] ? p.errout : p.out, *line = strstr(text, "error");
		while (line != NULL && line > text && line[-1] != '\n')
			line--;
		if (line == NULL)
			line = text;
		rc = kiln_err_set(b->err, KILN_ETOOL, "%s failed on the generated %s: %.*s", cc,
				  KILN_BAKE_REGISTRY_C, (int)strcspn(line, "\n"), line);
	}
	kiln_proc_release(&p);
	if (rc != KILN_OK)
		goto out;
	if ((rc = read_all(o_path, &obj, &olen, b->err)) != KILN_OK)
		goto out;
	rc = write_atomic(obj_path, obj, olen, 0644, b->err);
out:
	if (c_path != NULL)
		unlink(c_path);
	if (o_path != NULL)
		unlink(o_path);
	rmdir(dir);
	free(c_path);
	free(o_path);
	free(obj);
	return rc;
}

/* ---- the output directory --------------------------------------------------------------- */

/* Put @len bytes at @out_dir/@name unless it already holds them (or
 * @force); *@wrote (optional) says whether it was written. */
static int put_file(struct bake *b, const char *name, const void *data, size_t len, FILE *list,
		    bool force, bool *wrote)
{
	char *path = join(b->o->out_dir, name);
	bool w = false;
	int rc = KILN_OK;
	if (path == NULL)
		return kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	if (force || !same_bytes(path, data, len)) {
		rc = write_atomic(path, data, len, 0644, b->err);
		w = true;
	}
	if (rc == KILN_OK && list != NULL)
		fprintf(list, "%s\n", name);
	if (wrote != NULL)
		*wrote = w;
	free(path);
	return rc;
}

static int put_copy(struct bake *b, const char *name, const char *from, FILE *list, bool force)
{
	uint8_t *data;
	size_t len;
	int rc = read_all(from, &data, &len, b->err);
	if (rc == KILN_OK)
		rc = put_file(b, name, data, len, list, force, NULL);
	free(data);
	return rc;
}

/* Make @out_dir/@obj at least as new as @out_dir/@src (touch it). */
static int newer(struct bake *b, const char *obj, const char *src)
{
	char *o = join(b->o->out_dir, obj), *c = join(b->o->out_dir, src);
	struct stat so, sc;
	int rc = KILN_OK;
	if (o == NULL || c == NULL)
		rc = kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	else if (stat(o, &so) == 0 && stat(c, &sc) == 0 &&
		 (so.st_mtim.tv_sec < sc.st_mtim.tv_sec ||
		  (so.st_mtim.tv_sec == sc.st_mtim.tv_sec && so.st_mtim.tv_nsec < sc.st_mtim.tv_nsec)) &&
		 utimensat(AT_FDCWD, o, NULL, 0) != 0)
		rc = kiln_err_set(b->err, KILN_EIO, "cannot touch %s: %s", o, strerror(errno));
	free(o);
	free(c);
	return rc;
}

/* Remove what the previous bake wrote and this one did not. */
static void remove_stale(struct bake *b, const char *now)
{
	char *list_path = join(b->o->out_dir, KILN_BAKE_LIST);
	uint8_t *old = NULL;
	size_t len;
	if (list_path == NULL || read_all(list_path, &old, &len, NULL) != KILN_OK)
		goto out;
	for (char *p = (char *)old, *end = (char *)old + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), name[NAME_MAX + 1], *path;
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && n <= NAME_MAX && memchr(p, '/', n) == NULL) {
			bool kept = false;
			memcpy(name, p, n);
			name[n] = '\0';
			for (const char *q = now; *q != '\0';) {
				size_t m = strcspn(q, "\n");
				if (m == n && memcmp(q, name, n) == 0)
					kept = true;
				q += m + (q[m] == '\n');
			}
			path = kept ? NULL : join(b->o->out_dir, name);
			if (path != NULL) {
				unlink(path);
				free(path);
			}
		}
		p += n + 1;
	}
out:
	free(old);
	free(list_path);
}

/* kiln.mk, with the files this bake read as its inputs: kiln.yaml,
 * kiln.lock, keys, layouts' index.json (a tag that moved), the wasm blobs. */
static int bake_mk(struct bake *b, char **mk, size_t *mk_len)
{
	size_t cap = 2 + 3 * b->cfg.count, n = 0;
	char **in = calloc(cap, sizeof *in);
	int rc = KILN_OK;

	if (in == NULL)
		return kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	in[n++] = realpath(b->cfg.path, NULL);
	if (b->have_lock)
		in[n++] = realpath(b->lock_path, NULL);
	for (size_t i = 0; i < b->cfg.count; i++) {
		if (b->cfg.exts[i].key != NULL) {
			char *k = kiln_config_path(&b->cfg, b->cfg.exts[i].key);
			in[n++] = k != NULL ? realpath(k, NULL) : NULL;
			free(k);
		}
		if (b->exts[i].layout_index[0] != '\0')
			in[n++] = realpath(b->exts[i].layout_index, NULL);
		in[n++] = realpath(b->exts[i].wasm_path, NULL);
	}
	/* each once (extensions often share a layout) */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i && in[i] != NULL; j++)
			if (in[j] != NULL && strcmp(in[i], in[j]) == 0) {
				free(in[i]);
				in[i] = NULL;
			}
	rc = kiln_bake_mk(b->exts, b->cfg.count, &b->tc, in, n, mk, mk_len, b->err);
	for (size_t i = 0; i < n; i++)
		free(in[i]);
	free(in);
	return rc;
}

static int write_outputs(struct bake *b, const char *reg_c, size_t reg_len, const char *reg_obj)
{
	char *mk = NULL, *names = NULL;
	size_t mk_len, names_len = 0;
	FILE *list = NULL;
	bool reg_wrote = false;
	int rc;

	if ((rc = make_dirs(b->o->out_dir, b->err)) != KILN_OK)
		return rc;
	list = open_memstream(&names, &names_len);
	if (list == NULL)
		return kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	for (size_t i = 0; i < b->cfg.count && rc == KILN_OK; i++) {
		char name[KILN_NAME_MAX + 3], *from = cache_path(b, b->exts[i].key);
		snprintf(name, sizeof name, "%s.o", b->cfg.exts[i].name);
		rc = from == NULL ? kiln_err_set(b->err, KILN_ENOMEM, "out of memory")
				  : put_copy(b, name, from, list, false);
		free(from);
	}
	/* a new kiln_registry.c always gets a newer .o, or make's implicit
	 * rule would try to remake the object from the source */
	if (rc == KILN_OK)
		rc = put_file(b, KILN_BAKE_REGISTRY_C, reg_c, reg_len, list, false, &reg_wrote);
	if (rc == KILN_OK)
		rc = put_copy(b, KILN_BAKE_REGISTRY_O, reg_obj, list, reg_wrote);
	if (rc == KILN_OK)
		rc = newer(b, KILN_BAKE_REGISTRY_O, KILN_BAKE_REGISTRY_C);
	if (rc == KILN_OK)
		rc = bake_mk(b, &mk, &mk_len);
	fprintf(list, "%s\n", KILN_BAKE_MK);
	if (fclose(list) != 0 && rc == KILN_OK)
		rc = kiln_err_set(b->err, KILN_ENOMEM, "out of memory");
	if (rc == KILN_OK) {
		remove_stale(b, names);
		rc = put_file(b, KILN_BAKE_LIST, names, names_len, NULL, false, NULL);
	}
	/* kiln.mk last, and always (its time tells make the bake ran) */
	if (rc == KILN_OK) {
		char *path = join(b->o->out_dir, KILN_BAKE_MK);
		rc = path == NULL ? kiln_err_set(b->err, KILN_ENOMEM, "out of memory")
				  : write_atomic(path, mk, mk_len, 0644, b->err);
		free(path);
	}
	free(mk);
	free(names);
	return rc;
}

/* ---- the whole bake --------------------------------------------------------------------- */

int kiln_bake(const struct kiln_bake_opts *o, struct kiln_oci_client *c,
	      struct kiln_bake_report *report, struct kiln_err *err)
{
	struct bake b;
	char *reg_c = NULL, *reg_obj = NULL;
	size_t reg_len = 0, compiled = 0, hits = 0;
	bool reg_hit;
	int rc;

	memset(&b, 0, sizeof b);
	b.o = o;
	b.c = c;
	b.err = err;
	b.out = o->out;
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	if (sodium_init() < 0)
		return kiln_err_set(err, KILN_EINTERNAL, "libsodium failed to initialise");
	if (o->out_dir == NULL || o->out_dir[0] == '\0')
		return kiln_err_set(err, KILN_EINVAL, "no output directory given (-o DIR)");
	if ((rc = kiln_config_read(o->config, &b.cfg, err)) != KILN_OK ||
	    (rc = read_lock(&b)) != KILN_OK || (rc = kiln_toolchain_find(&b.tc, err)) != KILN_OK)
		goto out;
	if (b.have_lock && o->locked) {
		char *w2c[] = {NULL, "--version", NULL};
		const char *w = getenv("KILN_WASM2C");
		struct kiln_proc p;
		w2c[0] = (char *)(w != NULL && w[0] != '\0' ? w : "wasm2c");
		if (kiln_spawn(w2c, NULL, &p, NULL) == KILN_OK) {
			p.out[strcspn(p.out, "\r\n")] = '\0';
			rc = kiln_oci_lock_check_tool(&b.lock, p.out, err);
			kiln_proc_release(&p);
			if (rc != KILN_OK)
				goto out;
		}
	}
	b.exts = calloc(b.cfg.count + 1, sizeof *b.exts);
	if (b.exts == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}

	/* pull and check */
	for (size_t i = 0; i < b.cfg.count; i++)
		if ((rc = pull(&b, i)) != KILN_OK || (rc = check_module(&b, i)) != KILN_OK)
			goto out;

	/* the cache */
	if (o->cache != NULL) {
		snprintf(b.cache, sizeof b.cache, "%s", o->cache);
	} else if (snprintf(b.cache, sizeof b.cache, "%s/objects", kiln_oci_client_store(c)) >=
		   (int)sizeof b.cache) {
		rc = kiln_err_set(err, KILN_EIO, "the store path is too long");
		goto out;
	}
	if ((rc = make_dirs(b.cache, err)) != KILN_OK ||
	    (rc = kiln_toolchain_fingerprint(&b.tc, o->cc, NULL, &b.fingerprint, err)) != KILN_OK)
		goto out;
	for (size_t i = 0; i < b.cfg.count; i++) {
		char *p;
		key_of(&b, &b.exts[i]);
		p = cache_path(&b, b.exts[i].key);
		b.exts[i].hit = p != NULL && access(p, R_OK) == 0;
		free(p);
		if (b.exts[i].hit) {
			hits++;
			if (o->verbose)
				say(&b, "%-16s cached (%s.o)", b.cfg.exts[i].name, b.exts[i].key);
		}
	}
	if ((rc = compile_misses(&b, &compiled)) != KILN_OK)
		goto out;

	/* the registry, keyed by its text, the toolchain and the headers */
	if ((rc = kiln_bake_registry(b.exts, b.cfg.count, &reg_c, &reg_len, err)) != KILN_OK)
		goto out;
	{
		struct kiln_bake_ext tmp;
		crypto_hash_sha256_state st;
		unsigned char d[32];
		static const char hex[] = "0123456789abcdef";
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const unsigned char *)b.fingerprint,
					  strlen(b.fingerprint));
		crypto_hash_sha256_update(&st, (const unsigned char *)"registry\n", 9);
		crypto_hash_sha256_update(&st, (const unsigned char *)b.tc.include_dir,
					  strlen(b.tc.include_dir) + 1);
		crypto_hash_sha256_update(&st, (const unsigned char *)(o->opt_level ? o->opt_level : "2"),
					  strlen(o->opt_level ? o->opt_level : "2") + 1);
		crypto_hash_sha256_update(&st, (const unsigned char *)reg_c, reg_len);
		crypto_hash_sha256_final(&st, d);
		for (int k = 0; k < 32; k++) {
			tmp.key[2 * k] = hex[d[k] >> 4];
			tmp.key[2 * k + 1] = hex[d[k] & 15];
		}
		tmp.key[64] = '\0';
		reg_obj = cache_path(&b, tmp.key);
	}
	if (reg_obj == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	reg_hit = access(reg_obj, R_OK) == 0;
	if (!reg_hit && (rc = compile_registry(&b, reg_c, reg_len, reg_obj)) != KILN_OK)
		goto out;

	/* and only now the output directory */
	if ((rc = write_outputs(&b, reg_c, reg_len, reg_obj)) != KILN_OK)
		goto out;
	if (compiled == 0 && reg_hit)
		say(&b, "%zu extension%s, nothing to compile (all %zu objects cached) -> %s/%s (%.2fs)",
		    b.cfg.count, b.cfg.count == 1 ? "" : "s", b.cfg.count + 1, o->out_dir,
		    KILN_BAKE_MK, since(&b.t0));
	else
		say(&b, "%zu extension%s: %zu compiled, %zu cached%s -> %s/%s (%.2fs)", b.cfg.count,
		    b.cfg.count == 1 ? "" : "s", compiled, hits,
		    reg_hit ? "" : ", registry compiled", o->out_dir, KILN_BAKE_MK, since(&b.t0));
	if (report != NULL) {
		report->extensions = b.cfg.count;
		report->compiled = compiled;
		report->cached = hits;
		report->registry_compiled = !reg_hit;
	}
out:
	free(reg_obj);
	free(reg_c);
	free(b.fingerprint);
	free(b.exts);
	free(b.lock_path);
	kiln_oci_lock_release(&b.lock);
	kiln_config_release(&b.cfg);
	return rc;
}
