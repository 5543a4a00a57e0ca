/*
 * wasi_args.c — arguments and environment.
 *
 * Both are built once, at creation, into one blob of NUL-terminated
 * strings each; the *_get calls copy the blob and write pointers into it.
 * The environment holds exactly the explicit KEY=VALUE pairs of the grant
 * and the allowlisted host variables that are set when the state is
 * created; nothing else of the host's environment is ever read.
 */
#include <stdlib.h>

#include "wasi_impl.h"

struct blob {
	char *buf;
	size_t len;
	size_t cap;
	uint32_t count;
};

static int blob_add(struct blob *b, const char *s1, const char *s2, struct kiln_err *err,
		    const char *what)
{
	size_t n1 = strlen(s1), n2 = s2 == NULL ? 0 : strlen(s2) + 1; /* "=" */
	size_t need = n1 + n2 + 1;
	if (need > KILN_WASI_ARGS_MAX - b->len)
		return kiln_err_set(err, KILN_ELIMIT, "%s: more than %u bytes in all", what,
				    KILN_WASI_ARGS_MAX);
	if (b->len + need > b->cap) {
		size_t ncap = b->cap == 0 ? 256 : b->cap;
		char *n;
		while (ncap < b->len + need)
			ncap *= 2;
		n = realloc(b->buf, ncap);
		if (n == NULL)
			return kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", what);
		b->buf = n;
		b->cap = ncap;
	}
	memcpy(b->buf + b->len, s1, n1);
	b->len += n1;
	if (s2 != NULL) {
		b->buf[b->len++] = '=';
		memcpy(b->buf + b->len, s2, n2 - 1);
		b->len += n2 - 1;
	}
	b->buf[b->len++] = '\0';
	b->count++;
	return KILN_OK;
}

/* Length of the key of "KEY=VALUE", or 0 when there is no '=' or no key. */
static size_t key_len(const char *pair)
{
	const char *eq = strchr(pair, '=');
	return eq == NULL ? 0 : (size_t)(eq - pair);
}

static bool explicit_has(const struct kiln_wasi_grants *g, const char *key, size_t klen,
			 size_t before)
{
	for (size_t i = 0; i < before; i++)
		if (key_len(g->env[i]) == klen && memcmp(g->env[i], key, klen) == 0)
			return true;
	return false;
}

int wasi_args_init(struct kiln_wasi *w, const struct kiln_wasi_grants *g, struct kiln_err *err)
{
	struct blob a = {0}, e = {0};
	int rc = KILN_OK;

	for (size_t i = 0; i < g->nargs; i++) {
		if (g->args == NULL || g->args[i] == NULL) {
			rc = kiln_err_set(err, KILN_EINVAL, "grants: args[%zu] is NULL", i);
			goto out;
		}
		if ((rc = blob_add(&a, g->args[i], NULL, err, "grants: args")) != KILN_OK)
			goto out;
	}
	for (size_t i = 0; i < g->nenv; i++) {
		const char *p = g->env == NULL ? NULL : g->env[i];
		size_t k;
		if (p == NULL || (k = key_len(p)) == 0) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "grants: env[%zu] is \"%s\", expected KEY=VALUE", i,
					  p == NULL ? "(null)" : p);
			goto out;
		}
		if (explicit_has(g, p, k, i)) {
			rc = kiln_err_set(err, KILN_EINVAL, "grants: env[%zu]: key \"%.*s\" given twice",
					  i, (int)k, p);
			goto out;
		}
		if ((rc = blob_add(&e, p, NULL, err, "grants: env")) != KILN_OK)
			goto out;
	}
	for (size_t i = 0; i < g->nenv_inherit; i++) {
		const char *name = g->env_inherit == NULL ? NULL : g->env_inherit[i];
		const char *val;
		bool dup = false;
		if (name == NULL || name[0] == '\0' || strchr(name, '=') != NULL) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "grants: env_inherit[%zu] is \"%s\", expected a variable name",
					  i, name == NULL ? "(null)" : name);
			goto out;
		}
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(g->env_inherit[j], name) == 0;
		if (dup || explicit_has(g, name, strlen(name), g->nenv))
			continue;
		if ((val = getenv(name)) == NULL)
			continue;
		if ((rc = blob_add(&e, name, val, err, "grants: env")) != KILN_OK)
			goto out;
	}
	w->args = a.buf;
	w->args_size = (uint32_t)a.len;
	w->argc = a.count;
	w->env = e.buf;
	w->env_size = (uint32_t)e.len;
	w->envc = e.count;
	a.buf = e.buf = NULL;
out:
	free(a.buf);
	free(e.buf);
	return rc;
}

/* Write the pointer array at @vec and the blob at @buf. */
static int32_t blob_get(struct kiln_wasi *w, enum kiln_wasi_func f, struct kiln_wasi_mem m,
			uint32_t vec, uint32_t buf, const char *blob, uint32_t count, uint32_t size)
{
	uint8_t *v, *b;
	uint32_t off = 0;
	if (!wasi_mem_ok(m, vec, (uint64_t)count * 4))
		return wasi_fault(w, f, "pointer array", vec, (uint64_t)count * 4, m);
	if (!wasi_mem_ok(m, buf, size))
		return wasi_fault(w, f, "string buffer", buf, size, m);
	v = wasi_mem_at(m, vec);
	b = wasi_mem_at(m, buf);
	for (uint32_t i = 0; i < count; i++) {
		wasi_st32(v + (uint64_t)i * 4, buf + off);
		off += (uint32_t)strlen(blob + off) + 1;
	}
	if (size > 0)
		memcpy(b, blob, size);
	return WASI_ESUCCESS;
}

static int32_t sizes_get(struct kiln_wasi *w, enum kiln_wasi_func f, struct kiln_wasi_mem m,
			 uint32_t count_ptr, uint32_t size_ptr, uint32_t count, uint32_t size)
{
	if (!wasi_mem_ok(m, count_ptr, 4))
		return wasi_fault(w, f, "count", count_ptr, 4, m);
	if (!wasi_mem_ok(m, size_ptr, 4))
		return wasi_fault(w, f, "size", size_ptr, 4, m);
	wasi_st32(wasi_mem_at(m, count_ptr), count);
	wasi_st32(wasi_mem_at(m, size_ptr), size);
	return WASI_ESUCCESS;
}

int32_t kiln_wasi_args_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t argv,
			   uint32_t argv_buf)
{
	return blob_get(w, KILN_WASI_FN_ARGS_GET, m, argv, argv_buf, w->args, w->argc,
			w->args_size);
}

int32_t kiln_wasi_args_sizes_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t argc_ptr,
				 uint32_t size_ptr)
{
	return sizes_get(w, KILN_WASI_FN_ARGS_SIZES_GET, m, argc_ptr, size_ptr, w->argc,
			 w->args_size);
}

int32_t kiln_wasi_environ_get(struct kiln_wasi *w, struct kiln_wasi_mem m, uint32_t environ,
			      uint32_t environ_buf)
{
	return blob_get(w, KILN_WASI_FN_ENVIRON_GET, m, environ, environ_buf, w->env, w->envc,
			w->env_size);
}

int32_t kiln_wasi_environ_sizes_get(struct kiln_wasi *w, struct kiln_wasi_mem m,
				    uint32_t count_ptr, uint32_t size_ptr)
{
	return sizes_get(w, KILN_WASI_FN_ENVIRON_SIZES_GET, m, count_ptr, size_ptr, w->envc,
			 w->env_size);
}
