/*
 * compile.c — the `kiln compile` pipeline:
 *
 *   read -> import check -> fuel pass -> memory cap -> write instrumented
 *   wasm -> wasm2c -> memory base rewrite -> glue (+ metadata) -> cc ->
 *   rename into place.
 *
 * Every temporary lives in one private directory (mkdtemp, or the
 * --keep-temps directory), which is removed on every exit path, including
 * SIGINT/SIGTERM/SIGHUP once kiln_compile_cleanup_on_signals() has been
 * called.  The object is first written to a temporary name beside the
 * output and renamed only when complete, so a failure never leaves a
 * partial output behind.
 *
 * The tools run with the temporary directory as their working directory and
 * only relative file names on their command lines, and without -g: nothing
 * in the object depends on the temporary directory's random name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "driver_impl.h"

/* ---- temporaries, and their removal on signals -------------------------- */

/* File names the driver creates in the work directory, after "NAME". */
static const char *const temp_suffixes[] = {
	".wasm", ".input.wasm", ".check.c", ".check.h", ".wasm2c.c", ".wasm2c.h", ".kiln.c", ".o",
};
#define NTEMPS (sizeof temp_suffixes / sizeof temp_suffixes[0])

/*
 * What a signal handler must remove: paths are built before they are
 * published, and `armed` is set only while they are valid, so the handler
 * sees either nothing or complete strings.  One compile at a time uses this
 * (the CLI runs one); kiln_compile is not meant to run concurrently in
 * threads that also want signal cleanup.
 */
static struct {
	volatile sig_atomic_t armed;
	volatile sig_atomic_t keep_dir;  /* --keep-temps: leave the directory */
	char dir[PATH_MAX];
	char files[NTEMPS][PATH_MAX];
	char out_tmp[PATH_MAX];          /* "" when none */
} temps;

static void remove_temps(void)
{
	if (temps.out_tmp[0] != '\0')
		unlink(temps.out_tmp);
	if (!temps.keep_dir && temps.dir[0] != '\0') {
		for (size_t i = 0; i < NTEMPS; i++)
			unlink(temps.files[i]);
		rmdir(temps.dir);
	}
}

static void on_signal(int sig)
{
	if (temps.armed) {
		kiln_spawn_kill_child();
		remove_temps();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void kiln_compile_cleanup_on_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		/* a signal ignored by our parent (nohup, a background job) stays
		 * ignored */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

/* ---- small helpers ------------------------------------------------------ */

struct ctx {
	const struct kiln_compile_opts *o;
	FILE *diag;                   /* tool diagnostics and -v output */
	struct kiln_err *err;
	const char *in;               /* the input's name for messages */
	char dir[PATH_MAX];           /* work directory */
	bool made_dir;
	char wasm2c_version[32];
	char wasm2c[PATH_MAX];        /* the programs, relative paths made absolute */
	char cc[PATH_MAX];
	const char *cc_name;          /* cc as given, for the metadata */
	struct timespec t0;
};

static double elapsed(const struct ctx *c)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - c->t0.tv_sec) + (double)(t.tv_nsec - c->t0.tv_nsec) / 1e9;
}

static void verbose(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void verbose(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (!c->o->verbose || c->diag == NULL)
		return;
	fprintf(c->diag, "kiln: %s: [%.3fs] ", c->in, elapsed(c));
	va_start(ap, fmt);
	vfprintf(c->diag, fmt, ap);
	va_end(ap);
	fputc('\n', c->diag);
}

static void verbose_argv(const struct ctx *c, char *const argv[])
{
	if (!c->o->verbose || c->diag == NULL)
		return;
	fprintf(c->diag, "kiln: %s: [%.3fs] run:", c->in, elapsed(c));
	for (size_t i = 0; argv[i] != NULL; i++)
		fprintf(c->diag, " %s", argv[i]);
	fprintf(c->diag, "  (in %s)\n", c->dir);
}

static int write_file(struct ctx *c, const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const uint8_t *p = data;
	int rc = KILN_OK;
	if (fd < 0)
		return kiln_err_set(c->err, KILN_EIO, "%s: cannot create %s: %s", c->in, path,
				    strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = kiln_err_set(c->err, KILN_EIO, "%s: cannot write %s: %s", c->in, path,
					  strerror(n < 0 ? errno : EIO));
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 && rc == KILN_OK)
		rc = kiln_err_set(c->err, KILN_EIO, "%s: cannot write %s: %s", c->in, path,
				  strerror(errno));
	return rc;
}

static int read_file(struct ctx *c, const char *path, uint8_t **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0;
	int rc = KILN_OK;

	*data = NULL;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = kiln_err_set(c->err, KILN_EIO, "%s: cannot read %s: %s", c->in, path,
				  strerror(errno));
		goto out;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		rc = kiln_err_set(c->err, KILN_ENOMEM, "%s: out of memory", c->in);
		goto out;
	}
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = kiln_err_set(c->err, KILN_EIO, "%s: cannot read %s: %s", c->in, path,
					  n < 0 ? strerror(errno) : "file shrank while reading");
			goto out;
		}
		have += (size_t)n;
	}
	*data = buf;
	*len = have;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Path of temporary NAME<suffix> in the work directory (see temp_suffixes). */
static const char *temp_path(size_t which)
{
	return temps.files[which];
}

enum { T_WASM, T_INPUT, T_CHECK_C, T_CHECK_H, T_W2C_C, T_W2C_H, T_GLUE, T_OBJ };

/* The bare file name of temporary @which ("NAME.wasm"), for tool command
 * lines, which run inside the work directory. */
static const char *temp_base(size_t which)
{
	const char *p = strrchr(temps.files[which], '/');
	return p != NULL ? p + 1 : temps.files[which];
}

/* ---- diagnostics -------------------------------------------------------- */

/*
 * Turn one line of wasm2c's stderr into kiln's form: "FILE:000001a: error:
 * MSG" and "000001a: error: MSG" become "offset 0x1a: MSG" (the file named
 * is the work copy, the input's name is added by the caller).
 */
static void clean_wasm2c_line(const char *line, size_t len, const char *work_name, char *out,
			      size_t size)
{
	size_t wl = strlen(work_name), i = 0, h;
	if (len > wl && memcmp(line, work_name, wl) == 0 && line[wl] == ':')
		i = wl + 1;
	for (h = i; h < len && ((line[h] >= '0' && line[h] <= '9') ||
				(line[h] >= 'a' && line[h] <= 'f'));
	     h++)
		;
	if (h - i >= 7 && h - i <= 16 && len - h >= 9 && memcmp(line + h, ": error: ", 9) == 0) {
		unsigned long long off = strtoull(line + i, NULL, 16);
		snprintf(out, size, "offset 0x%llx: %.*s", off, (int)(len - h - 9), line + h + 9);
		return;
	}
	snprintf(out, size, "%.*s", (int)(len - i), line + i);
}

/*
 * Report the non-empty lines of @text: every line goes to the diagnostics
 * stream prefixed with the input's name when there is more than one; the
 * first (or the first holding "error") becomes the error message, after
 * @what.  Returns @code.
 */
static int report_lines(struct ctx *c, int code, const char *what, const char *text,
			const char *work_name)
{
	char line[1024], first[1024] = "";
	size_t nlines = 0;
	bool first_is_error = false;

	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			if (work_name != NULL)
				clean_wasm2c_line(p, len, work_name, line, sizeof line);
			else
				snprintf(line, sizeof line, "%.*s", (int)len, p);
			if (nlines == 0 || (!first_is_error && strstr(line, "error") != NULL)) {
				snprintf(first, sizeof first, "%s", line);
				first_is_error = strstr(line, "error") != NULL;
			}
			nlines++;
		}
		p += len + (nl != NULL);
	}
	if (nlines > 1 && c->diag != NULL) {
		for (const char *p = text; *p != '\0';) {
			const char *nl = strchr(p, '\n');
			size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
			if (len > 0) {
				if (work_name != NULL)
					clean_wasm2c_line(p, len, work_name, line, sizeof line);
				else
					snprintf(line, sizeof line, "%.*s", (int)len, p);
				kiln_sanitize(line);
				fprintf(c->diag, "%s: %s\n", c->in, line);
			}
			p += len + (nl != NULL);
		}
	}
	if (nlines == 0)
		return kiln_err_set(c->err, code, "%s: %s", c->in, what);
	if (nlines == 1)
		return kiln_err_set(c->err, code, "%s: %s%s", c->in, what, first);
	return kiln_err_set(c->err, code, "%s: %s%s (%zu lines of diagnostics%s)", c->in, what,
			    first, nlines, c->diag != NULL ? " above" : "");
}

/* ---- the steps ---------------------------------------------------------- */

static int check_opts(struct ctx *c)
{
	const struct kiln_compile_opts *o = c->o;
	if (o->input == NULL || o->input[0] == '\0')
		return kiln_err_set(c->err, KILN_EINVAL, "no input file given");
	if (o->output == NULL || o->output[0] == '\0')
		return kiln_err_set(c->err, KILN_EINVAL, "%s: no output file given (-o)", c->in);
	if (!kiln_name_valid(o->name))
		return kiln_err_set(c->err, KILN_EINVAL,
				    "invalid --name \"%s\": expected a C identifier "
				    "([A-Za-z_][A-Za-z0-9_]*, at most %d characters)",
				    o->name != NULL ? o->name : "", KILN_NAME_MAX);
	if (o->opt_level != NULL && !kiln_opt_level_valid(o->opt_level))
		return kiln_err_set(c->err, KILN_EINVAL,
				    "invalid -O level \"%s\": expected 0, 1, 2, 3 or s", o->opt_level);
	if (o->max_memory != 0 &&
	    (o->max_memory < KILN_MAX_MEMORY_MIN || o->max_memory > KILN_MAX_MEMORY_MAX))
		return kiln_err_set(c->err, KILN_EINVAL,
				    "invalid --max-memory %llu: must be between 64KiB and 4GiB",
				    (unsigned long long)o->max_memory);
	return KILN_OK;
}

static int make_workdir(struct ctx *c)
{
	const struct kiln_compile_opts *o = c->o;
	int n;

	if (o->keep_temps != NULL) {
		if (mkdir(o->keep_temps, 0755) != 0 && errno != EEXIST)
			return kiln_err_set(c->err, KILN_EIO, "%s: cannot create %s: %s", c->in,
					    o->keep_temps, strerror(errno));
		if (realpath(o->keep_temps, c->dir) == NULL)
			return kiln_err_set(c->err, KILN_EIO, "%s: cannot use %s: %s", c->in,
					    o->keep_temps, strerror(errno));
		if (strlen(c->dir) + 2 + KILN_NAME_MAX + 16 > sizeof temps.files[0])
			return kiln_err_set(c->err, KILN_EIO, "%s: --keep-temps path too long",
					    c->in);
	} else {
		const char *tmp = getenv("TMPDIR");
		if (tmp == NULL || tmp[0] != '/')
			tmp = "/tmp";
		/* room for the files' names too, checked before anything exists */
		n = snprintf(c->dir, sizeof c->dir, "%s/kiln-compile-XXXXXX", tmp);
		if (n < 0 || (size_t)n + 2 + KILN_NAME_MAX + 16 > sizeof temps.files[0])
			return kiln_err_set(c->err, KILN_EIO, "%s: TMPDIR is too long", c->in);
		if (mkdtemp(c->dir) == NULL)
			return kiln_err_set(c->err, KILN_EIO,
					    "%s: cannot create a temporary directory in %s: %s",
					    c->in, tmp, strerror(errno));
		c->made_dir = true;
	}
	/* publish the temporaries for the signal handler (the lengths fit:
	 * checked above) */
	temps.armed = 0;
	temps.keep_dir = o->keep_temps != NULL;
	snprintf(temps.dir, sizeof temps.dir, "%s", c->dir);
	for (size_t i = 0; i < NTEMPS; i++)
		snprintf(temps.files[i], sizeof temps.files[i], "%s/%s%s", c->dir, o->name,
			 temp_suffixes[i]);
	temps.out_tmp[0] = '\0';
	temps.armed = 1;
	return KILN_OK;
}

static int check_imports(struct ctx *c, const struct kiln_wasm_module *m)
{
	struct kiln_import_report r;
	int rc = kiln_imports_check(m, &r, c->err);
	char mod[64], name[64], first[160] = "";
	const char *first_reason = NULL;

	if (rc != KILN_OK)
		return rc;
	for (uint32_t i = 0; i < r.count; i++) {
		const struct kiln_import_status *s = &r.items[i];
		if (s->provided)
			continue;
		kiln_escape((const uint8_t *)s->module, strlen(s->module), mod, sizeof mod);
		kiln_escape((const uint8_t *)s->name, strlen(s->name), name, sizeof name);
		if (first_reason == NULL) {
			snprintf(first, sizeof first, "%s import \"%s\".\"%s\"",
				 kiln_kind_name(s->kind), mod, name);
			first_reason = s->reason;
		}
		if (c->diag != NULL && (c->o->verbose || r.unprovided > 1))
			fprintf(c->diag, "%s: %s import \"%s\".\"%s\" is not provided: %s\n", c->in,
				kiln_kind_name(s->kind), mod, name, s->reason);
	}
	if (first_reason != NULL && !c->o->allow_unknown_imports) {
		rc = kiln_err_set(c->err, KILN_EIMPORT,
				  "%s: %s is not provided by the host world: %s%s", c->in, first,
				  first_reason, r.unprovided > 1 ? " (and more, listed above)" : "");
	} else if (first_reason != NULL) {
		verbose(c, "%u unprovided import(s) allowed by --allow-unknown-imports",
			r.unprovided);
	}
	kiln_import_report_release(&r);
	return rc;
}

/*
 * wasm2c 1.0.32 copies import and export names into C comments as they are
 * (a comment "export: 'NAME'" above each export): a name holding the two
 * bytes that end a comment would have the rest of it compiled as C, in the
 * host.  Such a module is refused.  No other byte can leave a comment (newlines and NULs
 * stay inside it, and the spec suite's names.wast exports all of them); the
 * name section's names only reach mangled identifiers.
 */
static int name_ends_comment(const struct kiln_wasm_bytes *b)
{
	return b->len >= 2 && memmem(b->data, b->len, "*/", 2) != NULL;
}

static int refuse_name(struct ctx *c, const char *what, uint32_t i,
		       const struct kiln_wasm_bytes *b)
{
	char esc[160];

	kiln_escape(b->data, b->len, esc, sizeof esc);
	return kiln_err_set(c->err, KILN_EUNSUPPORTED,
			    "%s: %s %u: the name \"%s\" holds \"*/\", which would end the C "
			    "comment wasm2c %s copies it into and have the rest compiled; refused",
			    c->in, what, i, esc, KILN_WASM2C_VERSION);
}

static int check_names(struct ctx *c, const struct kiln_wasm_module *m)
{
	for (uint32_t i = 0; i < m->nimports; i++) {
		if (name_ends_comment(&m->imports[i].module))
			return refuse_name(c, "import", i, &m->imports[i].module);
		if (name_ends_comment(&m->imports[i].name))
			return refuse_name(c, "import", i, &m->imports[i].name);
	}
	for (uint32_t i = 0; i < m->nexports; i++)
		if (name_ends_comment(&m->exports[i].name))
			return refuse_name(c, "export", i, &m->exports[i].name);
	return KILN_OK;
}

/*
 * The tools run inside the work directory, so a relative path naming a
 * program ("tools/wasm2c") is made absolute first; a bare name ("gcc") is
 * left for the PATH search.
 */
static int resolve_program(struct ctx *c, const char *prog, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;
	if (prog[0] == '/' || strchr(prog, '/') == NULL)
		n = snprintf(out, size, "%s", prog);
	else if (getcwd(cwd, sizeof cwd) == NULL)
		return kiln_err_set(c->err, KILN_EIO, "%s: cannot get the current directory: %s",
				    c->in, strerror(errno));
	else
		n = snprintf(out, size, "%s/%s", cwd, prog);
	if (n < 0 || (size_t)n >= size)
		return kiln_err_set(c->err, KILN_EINVAL, "%s: program path too long: %s", c->in,
				    prog);
	return KILN_OK;
}

/* wasm2c: opts->wasm2c, $KILN_WASM2C, or wasm2c on PATH; cc: opts->cc, $CC
 * or cc. */
static int find_programs(struct ctx *c)
{
	const char *w = c->o->wasm2c, *cc = c->o->cc;
	int rc;
	if (w == NULL || w[0] == '\0')
		w = getenv("KILN_WASM2C");
	if (w == NULL || w[0] == '\0')
		w = "wasm2c";
	if (cc == NULL || cc[0] == '\0')
		cc = getenv("CC");
	if (cc == NULL || cc[0] == '\0')
		cc = "cc";
	c->cc_name = cc;
	if ((rc = resolve_program(c, w, c->wasm2c, sizeof c->wasm2c)) != KILN_OK)
		return rc;
	return resolve_program(c, cc, c->cc, sizeof c->cc);
}

static int check_wasm2c(struct ctx *c)
{
	char *argv[] = {c->wasm2c, "--version", NULL};
	struct kiln_proc p;
	size_t n;
	int rc = kiln_spawn(argv, c->dir, &p, c->err);

	if (rc == KILN_ENOTFOUND)
		return kiln_err_set(c->err, KILN_ETOOL,
				    "%s: wasm2c not found (looked for \"%s\"%s); install WABT %s "
				    "(Debian package wabt) or set KILN_WASM2C",
				    c->in, argv[0], strchr(argv[0], '/') ? "" : " on PATH",
				    KILN_WASM2C_VERSION);
	if (rc != KILN_OK) {
		kiln_err_prefix(c->err, c->in);
		return rc;
	}
	n = strcspn(p.out, "\r\n");
	snprintf(c->wasm2c_version, sizeof c->wasm2c_version, "%.*s", (int)n, p.out);
	if (p.status != 0 || strcmp(c->wasm2c_version, KILN_WASM2C_VERSION) != 0)
		rc = kiln_err_set(c->err, KILN_ETOOL,
				  "%s: %s reports version \"%s\"%s; kiln needs wasm2c %s exactly "
				  "(its output and mangling are what the glue is written for)",
				  c->in, argv[0], c->wasm2c_version,
				  p.status ? " and failed" : "", KILN_WASM2C_VERSION);
	kiln_proc_release(&p);
	return rc;
}

/* Run wasm2c on the instrumented module.  When it fails, run it again on
 * the input as given, so that diagnostics point at the user's bytes, and
 * tell a module that is invalid from one kiln broke. */
static int run_wasm2c(struct ctx *c, const struct kiln_wasm_module *m)
{
	char *argv[] = {c->wasm2c, "-n", (char *)c->o->name,
			(char *)temp_base(T_WASM), "-o", (char *)temp_base(T_W2C_C), NULL};
	char *argv2[] = {c->wasm2c, (char *)temp_base(T_INPUT), "-o",
			 (char *)temp_base(T_CHECK_C), NULL};
	struct kiln_proc p, p2;
	int rc;

	verbose_argv(c, argv);
	if ((rc = kiln_spawn(argv, c->dir, &p, c->err)) != KILN_OK) {
		kiln_err_prefix(c->err, c->in);
		return rc;
	}
	if (p.status == 0)
		goto out;
	if (p.signaled) {
		rc = report_lines(c, KILN_ETOOL, "wasm2c crashed: ", p.errout, temp_base(T_WASM));
		goto out;
	}
	if ((rc = write_file(c, temp_path(T_INPUT), m->buf, m->len)) != KILN_OK)
		goto out;
	verbose_argv(c, argv2);
	if ((rc = kiln_spawn(argv2, c->dir, &p2, c->err)) != KILN_OK) {
		kiln_err_prefix(c->err, c->in);
		goto out;
	}
	if (p2.status != 0 && !p2.signaled)
		rc = report_lines(c, KILN_EINVALID, "", p2.errout, temp_base(T_INPUT));
	else
		rc = report_lines(c, KILN_EINTERNAL,
				  "the module is valid but its instrumented form is not "
				  "(a kiln bug): ",
				  p.errout, temp_base(T_WASM));
	kiln_proc_release(&p2);
out:
	kiln_proc_release(&p);
	return rc;
}

/*
 * Send the fuel pass's kiln.fuel_trap calls to the runtime's
 * kiln_fuel_trap(left), which takes no instance (see runtime/fuel.c): the
 * call wasm2c writes passes the import's context, which kept the instance
 * live in every fueled function for a cold call, and compilers drop an
 * instance that is only passed along (to recursive calls) only if nothing
 * else reads it before inlining.  A call of another shape is left alone and
 * reaches the runtime's Z_kilnZ_fuel_trap, which does the same.
 */
static const char w2c_fuel_trap[] = "(*Z_kilnZ_fuel_trap)(instance->Z_kiln_instance, ";
static const char w2c_fuel_trap_fixed[] = "kiln_fuel_trap(";

/* One literal replacement in wasm2c's output. */
struct w2c_subst {
	const char *from, *to; /* byte strings: wasm2c copies names into comments */
	size_t count;	       /* out: how many were replaced */
};

/* Replace every occurrence of each @subs[i].from in @src by its .to,
 * leftmost first, counting them.  *@out (malloc'd, the caller frees it) is
 * the result; returns the status. */
static int w2c_replace(struct ctx *c, const uint8_t *src, size_t len, struct w2c_subst *subs,
		       size_t nsubs, char **out, size_t *outlen)
{
	FILE *f = open_memstream(out, outlen);
	size_t pos = 0;

	if (f == NULL)
		return kiln_err_set(c->err, KILN_ENOMEM, "%s: out of memory", c->in);
	while (pos < len) {
		const uint8_t *at = NULL;
		struct w2c_subst *hit = NULL;
		for (size_t i = 0; i < nsubs; i++) {
			const uint8_t *m = memmem(src + pos, len - pos, subs[i].from,
						  strlen(subs[i].from));
			if (m != NULL && (at == NULL || m < at)) {
				at = m;
				hit = &subs[i];
			}
		}
		if (at == NULL) {
			fwrite(src + pos, 1, len - pos, f);
			break;
		}
		fwrite(src + pos, 1, (size_t)(at - (src + pos)), f);
		fputs(hit->to, f);
		pos = (size_t)(at - src) + strlen(hit->from);
		hit->count++;
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return kiln_err_set(c->err, KILN_ENOMEM, "%s: out of memory", c->in);
	}
	return KILN_OK;
}

static int route_fuel_trap(struct ctx *c, const uint8_t *src, size_t len, char **out,
			   size_t *outlen)
{
	struct w2c_subst sub = {w2c_fuel_trap, w2c_fuel_trap_fixed, 0};
	int rc;

	if (memmem(src, len, w2c_fuel_trap, sizeof w2c_fuel_trap - 1) == NULL)
		return KILN_OK;
	if ((rc = w2c_replace(c, src, len, &sub, 1, out, outlen)) == KILN_OK)
		verbose(c, "%zu fuel_trap calls go to kiln_fuel_trap without the instance",
			sub.count);
	return rc;
}

/* Let the functions wasm2c wrote read their memory's base pointer once
 * (membase.c). */
static int rewrite_membase(struct ctx *c, const uint8_t *src, size_t len, char **out,
			   size_t *outlen)
{
	uint8_t *hdr = NULL;
	size_t hlen = 0, modlen = 0;
	char *mod = NULL, type[KILN_NAME_MAX * 3 + 32];
	unsigned count = 0;
	FILE *f;
	int rc;

	f = open_memstream(&mod, &modlen);
	if (f == NULL ||
	    kiln_mangle(f, (const uint8_t *)c->o->name, strlen(c->o->name)) != 0 || fclose(f) != 0) {
		rc = kiln_err_set(c->err, KILN_ENOMEM, "%s: out of memory", c->in);
		goto out;
	}
	snprintf(type, sizeof type, "Z_%s_instance_t", mod);
	if ((rc = read_file(c, temp_path(T_W2C_H), &hdr, &hlen)) != KILN_OK)
		goto out;
	if ((rc = kiln_membase_rewrite((const char *)src, len, (const char *)hdr, hlen, type, out,
				       outlen, &count, c->err)) != KILN_OK)
		goto out;
	verbose(c, "%u loads and stores go through a base pointer held in a local", count);
out:
	free(mod);
	free(hdr);
	return rc;
}

/* Hand the fuel pass's charges to the glue's KILN_CHARGE (charge.c). */
static int rewrite_charges(struct ctx *c, const uint8_t *src, size_t len, char **out,
			   size_t *outlen)
{
	unsigned count = 0;
	int rc = kiln_charge_rewrite((const char *)src, len, out, outlen, &count, c->err);
	if (rc == KILN_OK)
		verbose(c, "%u fuel charges go through KILN_CHARGE", count);
	return rc;
}

/* Hide the float values clang could fold into an operation that must quiet
 * a signalling NaN (fpconst.c). */
static int hide_fp_values(struct ctx *c, const uint8_t *src, size_t len, char **out,
			  size_t *outlen)
{
	unsigned count = 0;
	int rc = kiln_fpconst_rewrite((const char *)src, len, out, outlen, &count, c->err);
	if (rc == KILN_OK)
		verbose(c, "%u float values go through KILN_FPIN", count);
	return rc;
}

/* Declare self-recursive functions inline (inline_hint.c). */
static int hint_inline(struct ctx *c, const uint8_t *src, size_t len, char **out, size_t *outlen)
{
	unsigned count = 0;
	int rc = kiln_inline_rewrite((const char *)src, len, out, outlen, &count, c->err);
	if (rc == KILN_OK && count > 0)
		verbose(c, "%u functions that call themselves are declared inline", count);
	return rc;
}

/*
 * wasm2c 1.0.32 initialises a funcref table entry from an element segment
 * with (char*)instance + module_offset, where module_offset is 0 for the
 * module's own functions and, for an imported function, the offset of the
 * field holding the import module's context: so an imported function
 * called through a table got the address of that field (or, for the first
 * import module, whose field is at offset 0, the importer's own instance)
 * instead of its context.  The fix, in the output itself: imported entries'
 * offsets are marked (KILN_W2C_IMPORT_OFFSET adds 1, so that no marked
 * offset is 0) and the helper dereferences them (kiln_w2c_elem_instance);
 * both are defined by the glue (glue.c).  Any other output is refused: the
 * glue is written for exactly this one.
 *
 * Its instantiate() also loads data segments (init_memories) before element
 * segments (init_tables), where wasm initialises tables first: a module
 * whose data segment traps must have filled the tables it imports.  The two
 * calls are swapped (their allocations do not depend on each other).
 */
static const char w2c_elem_line[] = "        (char*)module_instance + src_expr->module_offset};\n";
static const char w2c_elem_fixed[] =
	"        kiln_w2c_elem_instance(module_instance, src_expr->module_offset)};\n";
static const char w2c_offsetof[] = ", offsetof(";
static const char w2c_offsetof_fixed[] = ", KILN_W2C_IMPORT_OFFSET(";
static const char w2c_init_order[] = "  init_memories(instance);\n  init_tables(instance);\n";
static const char w2c_init_fixed[] = "  init_tables(instance);\n  init_memories(instance);\n";
_Static_assert(sizeof w2c_init_order == sizeof w2c_init_fixed, "swapped in place");

static int fix_wasm2c_output(struct ctx *c, const uint8_t *src, size_t len, char **out,
			     size_t *outlen)
{
	struct w2c_subst subs[] = {
		{w2c_elem_line, w2c_elem_fixed, 0},
		{w2c_offsetof, w2c_offsetof_fixed, 0},
	};
	char *order = NULL;
	int rc;

	if ((rc = w2c_replace(c, src, len, subs, 2, out, outlen)) != KILN_OK)
		return rc;
	if (subs[0].count != 1)
		return kiln_err_set(c->err, KILN_EINTERNAL,
				    "%s: wasm2c's output has %zu funcref_table_init bodies of the "
				    "form kiln knows, expected 1 (is it wasm2c %s?)",
				    c->in, subs[0].count, KILN_WASM2C_VERSION);
	if (subs[1].count != 0)
		verbose(c, "wasm2c output: %zu imported functions in element segments get their "
			   "context",
			subs[1].count);
	/* the last one: instantiate() comes after the exports, whose names,
	 * copied into comments, may hold any text */
	for (char *p = *out; (p = memmem(p, *outlen - (size_t)(p - *out), w2c_init_order,
					 sizeof w2c_init_order - 1)) != NULL;
	     p++)
		order = p;
	if (order != NULL)
		memcpy(order, w2c_init_fixed, sizeof w2c_init_fixed - 1);
	return KILN_OK;
}

/*
 * What kiln changes in wasm2c's output, in this order, read and written
 * once: each pass makes a new text (*out, malloc'd) or leaves *out NULL
 * when it has nothing to change.
 */
typedef int w2c_pass(struct ctx *c, const uint8_t *src, size_t len, char **out, size_t *outlen);
static w2c_pass *const w2c_passes[] = {fix_wasm2c_output, rewrite_membase, rewrite_charges,
				       route_fuel_trap, hide_fp_values, hint_inline};

static int rewrite_wasm2c_output(struct ctx *c)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = read_file(c, temp_path(T_W2C_C), &text, &len)) != KILN_OK)
		goto out;
	for (size_t i = 0; i < sizeof w2c_passes / sizeof w2c_passes[0]; i++) {
		char *next = NULL;
		size_t nlen = 0;
		rc = w2c_passes[i](c, text, len, &next, &nlen);
		if (rc != KILN_OK) {
			free(next);
			goto out;
		}
		if (next != NULL) {
			free(text);
			text = (uint8_t *)next;
			len = nlen;
		}
	}
	rc = write_file(c, temp_path(T_W2C_C), text, len);
out:
	free(text);
	return rc;
}

/* The directory holding kiln_abi.h: $KILN_INCLUDE, then <dir of the kiln
 * executable>/../include/kiln, then <dir of the kiln executable>/../runtime. */
static int find_include_dir(struct ctx *c, char *out, size_t size)
{
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	const char *env = getenv("KILN_INCLUDE");
	static const char *const rel[] = {"/../include/kiln", "/../runtime"};
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		/* absolute, since cc runs inside the work directory */
		if (realpath(env, out) == NULL || strlen(out) >= size)
			return kiln_err_set(c->err, KILN_ENOTFOUND,
					    "%s: KILN_INCLUDE=%s holds no kiln_abi.h", c->in, env);
		snprintf(probe, sizeof probe, "%s/kiln_abi.h", out);
		if (access(probe, R_OK) != 0)
			return kiln_err_set(c->err, KILN_ENOTFOUND,
					    "%s: KILN_INCLUDE=%s holds no kiln_abi.h", c->in, env);
		return KILN_OK;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
		for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			int k = snprintf(out, size, "%s%s", exe, rel[i]);
			if (k < 0 || (size_t)k >= size)
				continue;
			snprintf(probe, sizeof probe, "%s/kiln_abi.h", out);
			if (access(probe, R_OK) == 0)
				return KILN_OK;
		}
	}
	return kiln_err_set(c->err, KILN_ENOTFOUND,
			    "%s: cannot find kiln_abi.h (looked in $KILN_INCLUDE, "
			    "<kiln>/../include/kiln and <kiln>/../runtime); set KILN_INCLUDE",
			    c->in);
}

/*
 * cc flags: -fPIC so that the object links into Debian's default PIE
 * executables (and shared objects); -fstack-clash-protection so that no
 * stack frame of generated code (a function with thousands of locals) can
 * step over the guard page that turns deep recursion into a trap;
 * -fno-optimize-sibling-calls because wasm (without the tail-call proposal)
 * has no tail calls: left to itself, cc turns a recursive call in tail
 * position, or one under an accumulator (n * fac(n - 1)), into a loop, so
 * that unbounded recursion spins until fuel runs out instead of exhausting
 * the stack, and deep recursion returns a result where wasm traps;
 * -fsignaling-nans so that gcc keeps x - 0.0, x * 1.0, x / 1.0, x / -1.0,
 * -0.0 - x and -1.0 * x, which wasm requires to turn a signalling NaN into
 * a quiet one (clang ignores the flag: the glue sets its equivalent with a
 * pragma); -fno-semantic-interposition because the object is linked into
 * its host, never interposed, and gcc otherwise keeps every call of an
 * exported wasm2c function (the glue's trampolines call them) out of line
 * under -fPIC, one more call and return on each host->wasm call (clang
 * inlines them anyway); no -g and relative file names, so that
 * the object does not depend on the work directory.  wasm2c 1.0.32's output
 * does all its type punning through memcpy, so -fno-strict-aliasing is not
 * needed.  Warnings are the compiler's defaults: the generated C is not
 * ours to lint, and real errors are reported.
 */
static int run_cc(struct ctx *c)
{
	char inc[PATH_MAX], iflag[PATH_MAX + 8], oflag[8];
	const char *level = c->o->opt_level != NULL ? c->o->opt_level : "2";
	char *argv[] = {c->cc,
			"-c",
			oflag,
			"-fPIC",
			"-fstack-clash-protection",
			"-fno-optimize-sibling-calls",
			"-fsignaling-nans",
			"-fno-semantic-interposition",
			iflag,
			(char *)temp_base(T_GLUE),
			"-o",
			(char *)temp_base(T_OBJ),
			NULL};
	struct kiln_proc p;
	int rc;

	if ((rc = find_include_dir(c, inc, sizeof inc)) != KILN_OK)
		return rc;
	snprintf(iflag, sizeof iflag, "-I%s", inc);
	snprintf(oflag, sizeof oflag, "-O%s", level);
	verbose_argv(c, argv);
	rc = kiln_spawn(argv, c->dir, &p, c->err);
	if (rc == KILN_ENOTFOUND)
		return kiln_err_set(c->err, KILN_ETOOL, "%s: C compiler \"%s\" not found", c->in,
				    argv[0]);
	if (rc != KILN_OK) {
		kiln_err_prefix(c->err, c->in);
		return rc;
	}
	if (p.status != 0) {
		char what[128];
		if (p.signaled)
			snprintf(what, sizeof what, "%s was killed by signal %d: ", argv[0],
				 p.status - 128);
		else
			snprintf(what, sizeof what, "%s failed (exit status %d)%s", argv[0],
				 p.status, p.errout[0] || p.out[0] ? ": " : "");
		/* cc's diagnostics may be on either stream */
		rc = report_lines(c, KILN_ETOOL, what, p.errout[0] ? p.errout : p.out, NULL);
	} else if (c->o->verbose && c->diag != NULL && p.errout[0] != '\0') {
		fprintf(c->diag, "%s", p.errout);
	}
	kiln_proc_release(&p);
	return rc;
}

/* Copy the finished object beside the output under a temporary name, then
 * rename it over the output: readers never see a partial file. */
static int install_output(struct ctx *c)
{
	const char *out = c->o->output;
	const char *slash = strrchr(out, '/');
	uint8_t *data = NULL;
	size_t len = 0;
	mode_t mask;
	int fd = -1, rc, n;

	if (slash != NULL)
		n = snprintf(temps.out_tmp, sizeof temps.out_tmp, "%.*s/.%s.kiln-XXXXXX",
			     (int)(slash - out), out, slash + 1);
	else
		n = snprintf(temps.out_tmp, sizeof temps.out_tmp, ".%s.kiln-XXXXXX", out);
	if (n < 0 || (size_t)n >= sizeof temps.out_tmp) {
		temps.out_tmp[0] = '\0';
		return kiln_err_set(c->err, KILN_EIO, "%s: output path too long", c->in);
	}
	if ((rc = read_file(c, temp_path(T_OBJ), &data, &len)) != KILN_OK)
		goto out;
	fd = mkostemp(temps.out_tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = kiln_err_set(c->err, KILN_EIO, "%s: cannot create a file beside %s: %s",
				  c->in, out, strerror(errno));
		temps.out_tmp[0] = '\0';
		goto out;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		rc = kiln_err_set(c->err, KILN_EIO, "%s: cannot set the mode of %s: %s", c->in,
				  temps.out_tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if ((rc = write_file(c, temps.out_tmp, data, len)) != KILN_OK)
		goto out;
	if (rename(temps.out_tmp, out) != 0) {
		rc = kiln_err_set(c->err, KILN_EIO, "%s: cannot rename %s to %s: %s", c->in,
				  temps.out_tmp, out, strerror(errno));
		goto out;
	}
	temps.out_tmp[0] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (rc != KILN_OK && temps.out_tmp[0] != '\0') {
		unlink(temps.out_tmp);
		temps.out_tmp[0] = '\0';
	}
	free(data);
	return rc;
}

int kiln_compile_diag(const struct kiln_compile_opts *opts, FILE *diag, struct kiln_err *err)
{
	struct ctx c;
	struct kiln_wasm_module *m = NULL;
	struct kiln_meta_input mi;
	struct kiln_glue_input gi;
	uint8_t *wasm = NULL;
	size_t wasm_len = 0, glue_len = 0;
	char *meta = NULL, *glue = NULL;
	bool added_memory_export;
	int rc;

	memset(&c, 0, sizeof c);
	c.o = opts;
	c.diag = diag;
	c.err = err;
	c.in = opts->input != NULL ? opts->input : "(no input)";
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	if ((rc = check_opts(&c)) != KILN_OK || (rc = find_programs(&c)) != KILN_OK)
		goto out;
	if (sodium_init() < 0) {
		rc = kiln_err_set(err, KILN_EINTERNAL, "libsodium failed to initialise");
		goto out;
	}

	/* read and check */
	if ((rc = kiln_wasm_read_file(opts->input, &m, err)) != KILN_OK)
		goto out;
	verbose(&c, "read %zu bytes: %u types, %u imports, %u functions, %u exports", m->len,
		m->ntypes, m->nimports, m->nfuncs, m->nexports);
	if ((rc = check_imports(&c, m)) != KILN_OK || (rc = check_names(&c, m)) != KILN_OK)
		goto out;

	/* instrument */
	if (!opts->no_fuel) {
		if ((rc = kiln_fuel_instrument(m, err)) != KILN_OK) {
			goto out;
		}
		verbose(&c, "fuel pass done");
	}
	if (opts->max_memory != 0) {
		if ((rc = kiln_memcap_apply(m, opts->max_memory, err)) != KILN_OK)
			goto out;
		verbose(&c, "memory capped at %llu bytes", (unsigned long long)opts->max_memory);
	}
	if ((rc = kiln_glue_export_memory(m, &added_memory_export, err)) != KILN_OK)
		goto out;
	if (added_memory_export)
		verbose(&c, "memory exported as %s for the runtime", KILN_MEMORY_EXPORT);
	if ((rc = kiln_wasm_write(m, &wasm, &wasm_len, err)) != KILN_OK)
		goto out;

	/* wasm2c */
	if ((rc = make_workdir(&c)) != KILN_OK)
		goto out;
	if ((rc = write_file(&c, temp_path(T_WASM), wasm, wasm_len)) != KILN_OK)
		goto out;
	if ((rc = check_wasm2c(&c)) != KILN_OK)
		goto out;
	if ((rc = run_wasm2c(&c, m)) != KILN_OK || (rc = rewrite_wasm2c_output(&c)) != KILN_OK)
		goto out;

	/* glue */
	memset(&mi, 0, sizeof mi);
	mi.name = opts->name;
	crypto_hash_sha256(mi.input_sha256, m->buf, m->len);
	crypto_hash_sha256(mi.instrumented_sha256, wasm, wasm_len);
	mi.wasm2c_version = c.wasm2c_version;
	mi.fuel = !opts->no_fuel;
	mi.max_memory = opts->max_memory;
	mi.cc = c.cc_name; /* as given: no path of this machine */
	mi.opt_level = opts->opt_level != NULL ? opts->opt_level : "2";
	mi.m = m;
	if ((rc = kiln_meta_build(&mi, &meta, err)) != KILN_OK)
		goto out;
	memset(&gi, 0, sizeof gi);
	gi.m = m;
	gi.name = opts->name;
	gi.wasm2c_source = temp_base(T_W2C_C);
	gi.meta_json = meta;
	gi.fuel = !opts->no_fuel;
	gi.memory_cap_pages = (uint32_t)(opts->max_memory / 65536);
	memcpy(gi.wasm_sha256, mi.input_sha256, 32);
	if ((rc = kiln_glue_generate(&gi, &glue, &glue_len, err)) != KILN_OK)
		goto out;
	if ((rc = write_file(&c, temp_path(T_GLUE), glue, glue_len)) != KILN_OK)
		goto out;

	/* cc, then into place */
	if ((rc = run_cc(&c)) != KILN_OK)
		goto out;
	if ((rc = install_output(&c)) != KILN_OK)
		goto out;
	verbose(&c, "wrote %s", opts->output);
out:
	if (rc != KILN_OK && err != NULL && strncmp(err->msg, c.in, strlen(c.in)) != 0)
		kiln_err_prefix(err, c.in);
	if (temps.armed) {
		temps.armed = 0;
		if (c.made_dir)
			remove_temps();
		else if (temps.out_tmp[0] != '\0')
			unlink(temps.out_tmp);
		temps.dir[0] = '\0';
		temps.out_tmp[0] = '\0';
	}
	free(glue);
	free(meta);
	free(wasm);
	kiln_wasm_free(m);
	return rc;
}

int kiln_compile(const struct kiln_compile_opts *opts, struct kiln_err *err)
{
	return kiln_compile_diag(opts, NULL, err);
}
