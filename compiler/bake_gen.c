/*
 * bake_gen.c — the files `kiln bake` generates: kiln_registry.c and kiln.mk.
 *
 * kiln_registry.c holds, per extension, its grants as static initialisers
 * of struct kiln_grants (runtime/kiln_rt.h), its struct kiln_extension
 * (name, reference, digests, module descriptor: the entry points) and a
 * .kiln.meta document that `kiln inspect` and `kiln verify-binary` read
 * back from the linked host.  Everything comes from kiln.yaml and the
 * verified artifacts, in kiln.yaml order, with no time, no path of this
 * machine and no random name: the same inputs give the same bytes.
 *
 * Strings reach the C text only as escaped literals (octal escapes for
 * anything but plain printable ASCII), so no value in kiln.yaml can inject
 * C; names are C identifiers, checked by the reader.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bake_impl.h"
#include "driver_impl.h"

/* A C string literal of @s. */
static void c_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?')
			putc(c, f);
		else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else
			fprintf(f, "\\%03o", c);
	}
	putc('"', f);
}

static void c_u64(FILE *f, uint64_t v)
{
	if (v == KILN_CONFIG_UNLIMITED)
		fputs("KILN_UNLIMITED", f);
	else
		fprintf(f, "%lluull", (unsigned long long)v);
}

static void string_array(FILE *f, const char *prefix, const char *what, char **v, size_t n)
{
	if (n == 0)
		return;
	fprintf(f, "static const char *const %s_%s[] = {\n", prefix, what);
	for (size_t i = 0; i < n; i++) {
		fputs("\t", f);
		c_str(f, v[i]);
		fputs(",\n", f);
	}
	fputs("};\n", f);
}

static const char *stdio_kind(enum kiln_wasi_stdio_kind k)
{
	switch (k) {
	case KILN_WASI_STDIO_NULL: return "KILN_WASI_STDIO_NULL";
	case KILN_WASI_STDIO_INHERIT: return "KILN_WASI_STDIO_INHERIT";
	case KILN_WASI_STDIO_FILE: return "KILN_WASI_STDIO_FILE";
	case KILN_WASI_STDIO_CAPTURE: return "KILN_WASI_STDIO_CAPTURE";
	case KILN_WASI_STDIO_LOG: return "KILN_WASI_STDIO_LOG";
	}
	return "KILN_WASI_STDIO_NULL";
}

static const char *stdio_word(enum kiln_wasi_stdio_kind k)
{
	switch (k) {
	case KILN_WASI_STDIO_NULL: return "null";
	case KILN_WASI_STDIO_INHERIT: return "inherit";
	case KILN_WASI_STDIO_FILE: return "file";
	case KILN_WASI_STDIO_CAPTURE: return "capture";
	case KILN_WASI_STDIO_LOG: return "log";
	}
	return "null";
}

/* The grants of one extension: arrays first, then the struct. */
static void grants(FILE *f, const char *p, const struct kiln_config_grants *g)
{
	string_array(f, p, "args", g->args, g->nargs);
	if (g->nenv > 0) {
		fprintf(f, "static const char *const %s_env[] = {\n", p);
		for (size_t i = 0; i < g->nenv; i++) {
			size_t n = strlen(g->env[i].key) + strlen(g->env[i].value) + 2;
			char *kv = malloc(n);
			fputs("\t", f);
			if (kv != NULL) {
				snprintf(kv, n, "%s=%s", g->env[i].key, g->env[i].value);
				c_str(f, kv);
				free(kv);
			} else {
				/* only under memory pressure: still a valid pair */
				c_str(f, g->env[i].key);
				fputs(" \"=\" ", f);
				c_str(f, g->env[i].value);
			}
			fputs(",\n", f);
		}
		fputs("};\n", f);
	}
	string_array(f, p, "env_inherit", g->env_inherit, g->nenv_inherit);
	if (g->nmounts > 0) {
		fprintf(f, "static const struct kiln_wasi_mount %s_mounts[] = {\n", p);
		for (size_t i = 0; i < g->nmounts; i++) {
			fputs("\t{", f);
			c_str(f, g->mounts[i].host);
			fputs(", ", f);
			c_str(f, g->mounts[i].guest);
			fprintf(f, ", %s},\n", g->mounts[i].writable ? "true" : "false");
		}
		fputs("};\n", f);
	}
	if (g->nconfig > 0) {
		/* The configuration values need the kiln host API of the runtime
		 * (struct kiln_config_entry, kiln.config_get). */
		fputs("#ifndef KILN_CONFIG_ENOTFOUND\n"
		      "#error \"kiln.yaml grants configuration values, but this kiln runtime has no "
		      "kiln.config_get\"\n"
		      "#else\n",
		      f);
		fprintf(f, "static const struct kiln_config_entry %s_config[] = {\n", p);
		for (size_t i = 0; i < g->nconfig; i++) {
			fputs("\t{", f);
			c_str(f, g->config[i].key);
			fputs(", ", f);
			c_str(f, g->config[i].value);
			fputs("},\n", f);
		}
		fputs("};\n#endif\n", f);
	}
	fprintf(f, "static const struct kiln_grants %s_grants = {\n", p);
	if (g->fuel_per_call != 0) {
		fputs("\t.fuel_per_call = ", f);
		c_u64(f, g->fuel_per_call);
		fputs(",\n", f);
	}
	if (g->fuel_instantiate != 0) {
		fputs("\t.fuel_instantiate = ", f);
		c_u64(f, g->fuel_instantiate);
		fputs(",\n", f);
	}
	if (g->memory != 0)
		fprintf(f, "\t.memory_cap_bytes = %lluull,\n", (unsigned long long)g->memory);
	if (g->soft_deadline_ns != 0) {
		fputs("\t.soft_deadline_ns = ", f);
		c_u64(f, g->soft_deadline_ns);
		fputs(",\n", f);
	}
	if (g->hard_deadline_ns != 0) {
		fputs("\t.hard_deadline_ns = ", f);
		c_u64(f, g->hard_deadline_ns);
		fputs(",\n", f);
	}
	fputs("\t.wasi = {\n", f);
	if (g->nmounts > 0)
		fprintf(f, "\t\t.mounts = %s_mounts,\n\t\t.nmounts = %zu,\n", p, g->nmounts);
	if (g->nargs > 0)
		fprintf(f, "\t\t.args = %s_args,\n\t\t.nargs = %zu,\n", p, g->nargs);
	if (g->nenv > 0)
		fprintf(f, "\t\t.env = %s_env,\n\t\t.nenv = %zu,\n", p, g->nenv);
	if (g->nenv_inherit > 0)
		fprintf(f, "\t\t.env_inherit = %s_env_inherit,\n\t\t.nenv_inherit = %zu,\n", p,
			g->nenv_inherit);
	fputs("\t\t.stdio = {\n", f);
	for (int fd = 0; fd < 3; fd++) {
		const struct kiln_config_stdio *s = &g->stdio[fd];
		fprintf(f, "\t\t\t{.kind = %s", stdio_kind(s->kind));
		if (s->kind == KILN_WASI_STDIO_FILE) {
			fputs(", .path = ", f);
			c_str(f, s->path);
		}
		if (s->kind == KILN_WASI_STDIO_LOG)
			fputs(", .log = kiln_wasi_log_to_engine", f);
		fputs("},\n", f);
	}
	fputs("\t\t},\n", f);
	if (g->clock_realtime)
		fputs("\t\t.clock_realtime = true,\n", f);
	if (g->clock_monotonic)
		fputs("\t\t.clock_monotonic = true,\n", f);
	if (g->random)
		fputs("\t\t.random = true,\n", f);
	fputs("\t},\n", f);
	if (g->nconfig > 0)
		fprintf(f, "#ifdef KILN_CONFIG_ENOTFOUND\n\t.config = %s_config,\n\t.nconfig = %zu,\n"
			   "#endif\n",
			p, g->nconfig);
	fputs("};\n", f);
}

int kiln_bake_registry(const struct kiln_bake_ext *exts, size_t n, char **out, size_t *len,
		       struct kiln_err *err)
{
	FILE *f;
	int rc = KILN_OK;

	*out = NULL;
	*len = 0;
	f = open_memstream(out, len);
	if (f == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	fputs("/*\n"
	      " * kiln_registry.c - generated by `kiln bake` from kiln.yaml; do not edit.\n"
	      " * The extensions baked into this program, their grants and where they\n"
	      " * came from; the runtime finds them with kiln_extension_find().\n"
	      " */\n"
	      "#include <stdbool.h>\n"
	      "#include <stddef.h>\n\n"
	      "#include \"kiln_rt.h\"\n\n"
	      "#if !defined(KILN_REGISTRY_VERSION) || KILN_REGISTRY_VERSION != 1\n"
	      "#error \"kiln_rt.h is not the header of the kiln that generated this file\"\n"
	      "#endif\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const struct kiln_bake_ext *e = &exts[i];
		char p[KILN_NAME_MAX + 16];
		char *meta = NULL;
		snprintf(p, sizeof p, "kiln_reg_%s", e->cfg->name);
		fprintf(f, "\n/* ---- %s ---- */\n\nextern const struct kiln_module_desc "
			   "kiln_module_%s;\n\n",
			e->cfg->name, e->cfg->name);
		grants(f, p, &e->cfg->grants);
		if ((rc = kiln_bake_meta(e, &meta, err)) != KILN_OK)
			break;
		/* NUL-terminated: the linker concatenates .kiln.meta sections and
		 * `kiln inspect` splits them on NUL. */
		fprintf(f, "\n__attribute__((section(\"" KILN_META_SECTION "\"), used))\n"
			   "static const char %s_meta[] =\n\t",
			p);
		c_str(f, meta);
		fputs(";\n", f);
		free(meta);
	}
	if (rc == KILN_OK && n > 0) {
		fputs("\nstatic const struct kiln_extension kiln_reg_extensions[] = {\n", f);
		for (size_t i = 0; i < n; i++) {
			const struct kiln_bake_ext *e = &exts[i];
			fputs("\t{\n\t\t.name = ", f);
			c_str(f, e->cfg->name);
			fprintf(f, ",\n\t\t.module = &kiln_module_%s,\n\t\t.reference = ", e->cfg->name);
			c_str(f, e->reference);
			fputs(",\n\t\t.manifest_digest = ", f);
			c_str(f, e->manifest);
			fputs(",\n\t\t.wasm_digest = ", f);
			c_str(f, e->wasm);
			fprintf(f, ",\n\t\t.grants = &kiln_reg_%s_grants,\n\t},\n", e->cfg->name);
		}
		fputs("};\n", f);
	}
	if (rc == KILN_OK)
		fprintf(f, "\nconst struct kiln_registry kiln_registry = {\n"
			   "\t.version = KILN_REGISTRY_VERSION,\n"
			   "\t.extensions = %s,\n"
			   "\t.count = %zu,\n};\n",
			n > 0 ? "kiln_reg_extensions" : "NULL", n);
	if (fclose(f) != 0 && rc == KILN_OK)
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory writing kiln_registry.c");
	if (rc != KILN_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- the metadata document ------------------------------------------------- */

static bool put(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0;
}

static json_t *u64_or_null(uint64_t v)
{
	if (v == 0)
		return json_null();
	if (v == KILN_CONFIG_UNLIMITED)
		return json_string("unlimited");
	return json_integer((json_int_t)v);
}

static json_t *strings(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *kv_object(const struct kiln_config_kv *kv, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < n; i++)
		if (!put(o, kv[i].key, json_string(kv[i].value))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *grants_json(const struct kiln_config_grants *g)
{
	json_t *o = json_object(), *mounts = json_array(), *clocks = json_array(), *stdio;
	bool ok = o != NULL && mounts != NULL && clocks != NULL;

	for (size_t i = 0; ok && i < g->nmounts; i++) {
		json_t *m = json_pack("{s:s, s:s, s:s}", "host", g->mounts[i].host, "guest",
				      g->mounts[i].guest, "mode", g->mounts[i].writable ? "rw" : "ro");
		ok = m != NULL && json_array_append_new(mounts, m) == 0;
	}
	if (ok && g->clock_realtime)
		ok = json_array_append_new(clocks, json_string("realtime")) == 0;
	if (ok && g->clock_monotonic)
		ok = json_array_append_new(clocks, json_string("monotonic")) == 0;
	ok = ok && put(o, "memory", u64_or_null(g->memory)) &&
	     put(o, "fuel_per_call", u64_or_null(g->fuel_per_call)) &&
	     put(o, "fuel_instantiate", u64_or_null(g->fuel_instantiate)) &&
	     put(o, "soft_deadline_ns", u64_or_null(g->soft_deadline_ns)) &&
	     put(o, "hard_deadline_ns", u64_or_null(g->hard_deadline_ns)) &&
	     put(o, "args", strings(g->args, g->nargs)) &&
	     put(o, "env", kv_object(g->env, g->nenv)) &&
	     put(o, "env_inherit", strings(g->env_inherit, g->nenv_inherit)) &&
	     json_object_set(o, "mounts", mounts) == 0;
	for (int fd = 0; ok && fd < 3; fd++) {
		static const char *const names[] = {"stdin", "stdout", "stderr"};
		const struct kiln_config_stdio *s = &g->stdio[fd];
		if (s->kind == KILN_WASI_STDIO_FILE) {
			size_t n = strlen(s->path) + 6;
			char *t = malloc(n);
			ok = t != NULL;
			if (ok) {
				snprintf(t, n, "file:%s", s->path);
				stdio = json_string(t);
				free(t);
				ok = put(o, names[fd], stdio);
			}
		} else {
			ok = put(o, names[fd], json_string(stdio_word(s->kind)));
		}
	}
	ok = ok && json_object_set(o, "clocks", clocks) == 0 &&
	     put(o, "random", json_boolean(g->random)) &&
	     put(o, "config", kv_object(g->config, g->nconfig));
	json_decref(mounts);
	json_decref(clocks);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int kiln_bake_meta(const struct kiln_bake_ext *e, char **json, struct kiln_err *err)
{
	json_t *doc = json_object();
	bool ok;

	*json = NULL;
	ok = doc != NULL && put(doc, "kiln_bake", json_integer(KILN_BAKE_META_VERSION)) &&
	     put(doc, "name", json_string(e->cfg->name)) &&
	     put(doc, "reference", json_string(e->reference)) &&
	     put(doc, "manifest_digest", json_string(e->manifest)) &&
	     put(doc, "config_digest", json_string(e->config_digest)) &&
	     put(doc, "wasm_digest", json_string(e->wasm)) &&
	     put(doc, "signed_by", e->signer[0] ? json_string(e->signer) : json_null()) &&
	     put(doc, "protocol", e->has_protocol ? json_integer(e->protocol) : json_null()) &&
	     put(doc, "grants", grants_json(&e->cfg->grants));
	if (ok)
		*json = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (*json == NULL)
		return kiln_err_set(err, KILN_ENOMEM,
				    "%s: cannot build the metadata (a value that is not UTF-8, or "
				    "out of memory)",
				    e->cfg->name);
	return KILN_OK;
}

/* ---- kiln.mk ------------------------------------------------------------------ */

/* A make word: paths with spaces or '$' are not representable; the caller
 * refuses them. */
static bool make_safe(const char *s)
{
	return strpbrk(s, " \t\n$#%\\:;") == NULL;
}

int kiln_bake_mk(const struct kiln_bake_ext *exts, size_t n, const struct kiln_toolchain *tc,
		 char *const *inputs, size_t ninputs, char **out, size_t *len,
		 struct kiln_err *err)
{
	FILE *f;

	*out = NULL;
	*len = 0;
	if (!make_safe(tc->include_dir) || !make_safe(tc->rt_lib))
		return kiln_err_set(err, KILN_EINVAL,
				    "kiln's runtime lives in a path make cannot spell (%s): move "
				    "it to a path without spaces, '$', '#', '%%', ':' or ';'",
				    tc->rt_lib);
	f = open_memstream(out, len);
	if (f == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	fputs("# kiln.mk - generated by `kiln bake` from kiln.yaml; do not edit.\n"
	      "# Include it (sdk/kiln.mk does) and link $(KILN_OBJS) $(KILN_LDLIBS).\n"
	      "KILN_BAKE_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))\n"
	      "KILN_EXTENSIONS :=",
	      f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", exts[i].cfg->name);
	fputs("\nKILN_OBJS :=", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " $(KILN_BAKE_DIR)/%s.o", exts[i].cfg->name);
	fprintf(f, " $(KILN_BAKE_DIR)/" KILN_BAKE_REGISTRY_O "\n"
		   "KILN_INCLUDE_DIR := %s\n"
		   "KILN_RT_LIB := %s\n"
		   "KILN_CFLAGS := -I$(KILN_INCLUDE_DIR)\n"
		   "KILN_LDLIBS := $(KILN_RT_LIB) -lsodium -lpthread -lm%s%s\n",
		tc->include_dir, tc->rt_lib, tc->san_flags[0] ? " " : "", tc->san_flags);
	fputs("# what the bake read: when one changes, sdk/kiln.mk bakes again\n"
	      "KILN_BAKE_INPUTS :=",
	      f);
	for (size_t i = 0; i < ninputs; i++)
		if (inputs[i] != NULL && inputs[i][0] == '/' && make_safe(inputs[i]))
			fprintf(f, " \\\n\t%s", inputs[i]);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return kiln_err_set(err, KILN_ENOMEM, "out of memory writing kiln.mk");
	}
	return KILN_OK;
}
