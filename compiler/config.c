/*
 * config.c — the kiln.yaml reader (libyaml).
 *
 * Two passes over the text: the event parser first, only to refuse what
 * the schema has no use for and a loader would hide (aliases, several
 * documents), with the exact position; then libyaml's document loader, and
 * a walk of the node tree against the schema.  Every mapping is checked
 * against its list of known keys before any value is read, so an unknown
 * or repeated key is always reported, and values are read in a fixed
 * order so that one key may depend on another (allow_latest before ref).
 *
 * Every error is "FILE:LINE:COLUMN: KEY.PATH: what was expected, what was
 * found"; libyaml's marks are 0-based, kiln's 1-based.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config_impl.h"
#include "driver_impl.h"
#include "kiln_oci.h"

/* The spellings of runtime/trap.c's kind_names, by enum kiln_trap_kind
 * value; tests/unit/config_test.c checks that the two agree. */
static const char *const trap_names[] = {
	"none",
	"out of bounds",
	"integer divide by zero",
	"integer overflow",
	"invalid conversion to integer",
	"unreachable",
	"indirect call (null or type mismatch)",
	"stack exhaustion",
	"fuel exhausted",
	"deadline",
	"exit",
	"host function",
	"uncaught exception",
};
#define NTRAP_NAMES (sizeof trap_names / sizeof trap_names[0])

int kiln_config_trap_kind(const char *name)
{
	for (size_t i = 1; i < NTRAP_NAMES; i++)
		if (strcmp(name, trap_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *kiln_config_trap_name(int i)
{
	return i >= 1 && (size_t)i < NTRAP_NAMES ? trap_names[i] : NULL;
}

/* ---- the walker's state and error reporting ------------------------------ */

struct walk {
	yaml_document_t *doc;
	struct kiln_config *cfg;
	struct kiln_err *err;
};

#define KP_MAX 160 /* a key path: "grants.mounts[3].host" */

static struct kiln_config_mark mark_of(const yaml_node_t *n)
{
	struct kiln_config_mark m = {(uint32_t)n->start_mark.line + 1,
				     (uint32_t)n->start_mark.column + 1};
	return m;
}

static int fail(struct walk *w, const yaml_node_t *n, const char *kp, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Report "PATH:LINE:COL: KP: message" (no "KP: " when kp is empty). */
static int fail(struct walk *w, const yaml_node_t *n, const char *kp, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return kiln_err_set(w->err, KILN_ECONFIG, "%s:%zu:%zu: %s%s%s", w->cfg->path,
			    n->start_mark.line + 1, n->start_mark.column + 1, kp,
			    kp[0] != '\0' ? ": " : "", msg);
}

static int nomem(struct walk *w)
{
	return kiln_err_set(w->err, KILN_ENOMEM, "%s: out of memory", w->cfg->path);
}

static yaml_node_t *node(struct walk *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	if (!is_plain(n))
		return false;
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (strcmp(scalar(n), nulls[i]) == 0)
			return true;
	return false;
}

/* What a node is, for "found ..." in messages: the scalar quoted and
 * escaped (shortened), or "a list", "a mapping", "nothing". */
static const char *found(const yaml_node_t *n, char *buf, size_t size)
{
	char esc[64];
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (is_null(n))
		return "nothing";
	kiln_escape(n->data.scalar.value, n->data.scalar.length, esc, sizeof esc);
	snprintf(buf, size, "\"%s\"", esc);
	return buf;
}

static int wrong_type(struct walk *w, const yaml_node_t *n, const char *kp, const char *expected)
{
	char b[80];
	return fail(w, n, kp, "expected %s, found %s", expected, found(n, b, sizeof b));
}

/* Key path @parent + "." + @key (or @key alone when @parent is empty). */
/* (A path too long for the buffer is cut; it only appears in messages.) */
static void kp_key(char out[KP_MAX], const char *parent, const char *key)
{
	if (snprintf(out, KP_MAX, "%s%s%s", parent, parent[0] != '\0' ? "." : "", key) < 0)
		out[0] = '\0';
}

static void kp_index(char out[KP_MAX], const char *parent, size_t i)
{
	if (snprintf(out, KP_MAX, "%s[%zu]", parent, i) < 0)
		out[0] = '\0';
}

/* ---- mappings against a key list ------------------------------------------ */

/* Levenshtein distance of two short strings, capped: for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33], prev, tmp;
	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/*
 * Check mapping @n (at key path @kp) against @keys (NULL-terminated) and
 * store each value's node in @vals (same order, NULL when absent); the
 * keys' own paths are @prefix.KEY.  Unknown keys, repeated
 * keys and keys that are not plain strings are errors.
 */
static int lookup(struct walk *w, const yaml_node_t *n, const char *kp, const char *prefix,
		  const char *what, const char *const *keys, yaml_node_t **vals)
{
	size_t nkeys = 0;
	while (keys[nkeys] != NULL)
		vals[nkeys++] = NULL;
	if (n->type != YAML_MAPPING_NODE)
		return wrong_type(w, n, kp, what);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(w, p->key), *v = node(w, p->value);
		char sub[KP_MAX], b[80];
		size_t i, best = 0, bestd = 99;
		if (k == NULL || v == NULL)
			return kiln_err_set(w->err, KILN_EINTERNAL, "%s: libyaml lost a node",
					    w->cfg->path);
		if (k->type != YAML_SCALAR_NODE || is_null(k))
			return fail(w, k, kp, "expected a key, found %s", found(k, b, sizeof b));
		for (i = 0; i < nkeys; i++)
			if (strcmp(scalar(k), keys[i]) == 0)
				break;
		kp_key(sub, prefix, scalar(k));
		if (i < nkeys && vals[i] != NULL)
			return fail(w, k, sub, "key given twice (first at line %zu)",
				    vals[i]->start_mark.line + 1);
		if (i < nkeys) {
			vals[i] = v;
			continue;
		}
		for (size_t j = 0; j < nkeys; j++) {
			size_t d = distance(scalar(k), keys[j]);
			if (d < bestd) {
				bestd = d;
				best = j;
			}
		}
		if (bestd <= 2 && nkeys > 0)
			return fail(w, k, sub, "unknown key (did you mean \"%s\"?)", keys[best]);
		{
			char list[200] = "";
			size_t used = 0;
			for (size_t j = 0; j < nkeys && used < sizeof list; j++) {
				int m = snprintf(list + used, sizeof list - used, "%s%s",
						 j ? ", " : "", keys[j]);
				if (m < 0)
					break;
				used += (size_t)m;
			}
			return fail(w, k, sub, "unknown key (expected one of: %s)", list);
		}
	}
	return KILN_OK;
}

/* ---- scalars ------------------------------------------------------------- */

/* A string (any scalar style, not null, no NUL byte), malloc'd into *@out. */
static int get_string(struct walk *w, const yaml_node_t *n, const char *kp, char **out)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(w, n, kp, "a string");
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL)
		return fail(w, n, kp, "a NUL byte is not allowed here");
	*out = strndup(scalar(n), n->data.scalar.length);
	return *out != NULL ? KILN_OK : nomem(w);
}

/* Bytes (NUL allowed, for stdin and stdout of tests), malloc'd with a NUL. */
static int get_bytes(struct walk *w, const yaml_node_t *n, const char *kp, char **out,
		     size_t *len)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(w, n, kp, "a string");
	*out = malloc(n->data.scalar.length + 1);
	if (*out == NULL)
		return nomem(w);
	memcpy(*out, n->data.scalar.value, n->data.scalar.length);
	(*out)[n->data.scalar.length] = '\0';
	*len = n->data.scalar.length;
	return KILN_OK;
}

static int get_bool(struct walk *w, const yaml_node_t *n, const char *kp, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};
	if (is_plain(n)) {
		for (size_t i = 0; i < 3; i++) {
			if (strcmp(scalar(n), yes[i]) == 0) {
				*out = true;
				return KILN_OK;
			}
			if (strcmp(scalar(n), no[i]) == 0) {
				*out = false;
				return KILN_OK;
			}
		}
	}
	return wrong_type(w, n, kp, "true or false");
}

/* Decimal digits with optional '_' between them, into *@out; false on
 * anything else or overflow. */
static bool parse_digits(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || s[0] < '0' || s[0] > '9' || s[len - 1] == '_')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_' && s[i - 1] != '_')
			continue;
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* A plain integer in [@min, @max] (signed, for protocol and version). */
static int get_int(struct walk *w, const yaml_node_t *n, const char *kp, int64_t min,
		   int64_t max, int64_t *out)
{
	const char *s = scalar(n);
	bool neg;
	uint64_t v;
	if (!is_plain(n) || is_null(n))
		return wrong_type(w, n, kp, "a number");
	neg = s[0] == '-';
	if (!parse_digits(s + neg, n->data.scalar.length - neg, &v))
		return wrong_type(w, n, kp, "a number");
	if (v > (uint64_t)INT64_MAX || (neg ? -(int64_t)v : (int64_t)v) < min ||
	    (neg ? -(int64_t)v : (int64_t)v) > max)
		return fail(w, n, kp, "%s is out of range (%lld to %lld)", s, (long long)min,
			    (long long)max);
	*out = neg ? -(int64_t)v : (int64_t)v;
	return KILN_OK;
}

/* A fuel budget: a positive number up to KILN_CONFIG_FUEL_MAX, or
 * "unlimited". */
static int get_fuel(struct walk *w, const yaml_node_t *n, const char *kp, uint64_t *out)
{
	const char *s = scalar(n);
	uint64_t v;
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(w, n, kp, "a number of fuel units or \"unlimited\"");
	if (strcmp(s, "unlimited") == 0) {
		*out = KILN_CONFIG_UNLIMITED;
		return KILN_OK;
	}
	if (s[0] == '-')
		return fail(w, n, kp, "%s: a fuel budget must be greater than zero", s);
	if (!is_plain(n) || !parse_digits(s, n->data.scalar.length, &v))
		return wrong_type(w, n, kp, "a number of fuel units or \"unlimited\"");
	if (v == 0)
		return fail(w, n, kp,
			    "0: a fuel budget must be greater than zero (leave the key out "
			    "for the default)");
	if (v > KILN_CONFIG_FUEL_MAX)
		return fail(w, n, kp, "%s is above the largest budget, %llu (or use unlimited)", s,
			    (unsigned long long)KILN_CONFIG_FUEL_MAX);
	*out = v;
	return KILN_OK;
}

/* A memory size: bytes, or a number with KiB, MiB or GiB. */
static int get_size(struct walk *w, const yaml_node_t *n, const char *kp, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {{"", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}};
	const char *s = scalar(n);
	size_t digits = 0, u;
	uint64_t v;
	char b[80];

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(w, n, kp, "a size (bytes, KiB, MiB or GiB)");
	if (s[0] == '-')
		return fail(w, n, kp, "%s: a memory cap must be greater than zero",
			    found(n, b, sizeof b));
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	for (u = 0; u < sizeof units / sizeof units[0]; u++)
		if (strcmp(s + digits, units[u].unit) == 0)
			break;
	if (digits == 0 || u == sizeof units / sizeof units[0] ||
	    !parse_digits(s, digits, &v) || v > UINT64_MAX / units[u].mult)
		return fail(w, n, kp, "%s is not a size (use KiB, MiB or GiB)",
			    found(n, b, sizeof b));
	v *= units[u].mult;
	if (v < KILN_MAX_MEMORY_MIN)
		return fail(w, n, kp, "%s is below one wasm page (64KiB)", found(n, b, sizeof b));
	if (v > KILN_MAX_MEMORY_MAX)
		return fail(w, n, kp, "%s is above 4GiB, the most a 32-bit memory holds",
			    found(n, b, sizeof b));
	if (v % 65536 != 0)
		return fail(w, n, kp, "%s is not a whole number of wasm pages (64KiB each)",
			    found(n, b, sizeof b));
	*out = v;
	return KILN_OK;
}

/* A duration: a positive number with ms, s or m; or "unlimited". */
static int get_duration(struct walk *w, const yaml_node_t *n, const char *kp, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ms", 1000000ull}, {"s", 1000000000ull}, {"m", 60000000000ull}};
	const char *s = scalar(n);
	size_t digits = 0, u;
	uint64_t v;
	char b[80];

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(w, n, kp, "a duration (e.g. 500ms, 2s, 1m)");
	if (strcmp(s, "unlimited") == 0) {
		*out = KILN_CONFIG_UNLIMITED;
		return KILN_OK;
	}
	if (s[0] == '-')
		return fail(w, n, kp, "%s: a deadline must be greater than zero",
			    found(n, b, sizeof b));
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits > 0 && s[digits] == '\0')
		return fail(w, n, kp, "%s needs a unit (ms, s or m)", found(n, b, sizeof b));
	for (u = 0; u < sizeof units / sizeof units[0]; u++)
		if (strcmp(s + digits, units[u].unit) == 0)
			break;
	if (digits == 0 || u == sizeof units / sizeof units[0] || !parse_digits(s, digits, &v))
		return fail(w, n, kp, "%s is not a duration (use ms, s or m, e.g. 2s)",
			    found(n, b, sizeof b));
	if (v == 0)
		return fail(w, n, kp, "%s: a deadline must be greater than zero",
			    found(n, b, sizeof b));
	if (v > KILN_CONFIG_DEADLINE_MAX_NS / units[u].ns)
		return fail(w, n, kp, "%s is longer than a day", found(n, b, sizeof b));
	*out = v * units[u].ns;
	return KILN_OK;
}

/* "i32:5", "i64:-1", "f32:1.5", "f64:nan", "i32:0xff". */
static int get_value(struct walk *w, const yaml_node_t *n, const char *kp,
		     struct kiln_config_value *out)
{
	static const struct {
		const char *prefix;
		enum kiln_valtype type;
	} types[] = {{"i32:", KILN_I32}, {"i64:", KILN_I64}, {"f32:", KILN_F32}, {"f64:", KILN_F64}};
	const char *s, *v;
	char b[80], *end;
	size_t t;
	int rc;

	if ((rc = get_string(w, n, kp, &out->text)) != KILN_OK)
		return rc;
	s = out->text;
	for (t = 0; t < 4; t++)
		if (strncmp(s, types[t].prefix, 4) == 0)
			break;
	if (t == 4)
		return fail(w, n, kp, "%s is not a typed value (i32:N, i64:N, f32:X or f64:X)",
			    found(n, b, sizeof b));
	out->type = types[t].type;
	v = s + 4;
	if (out->type == KILN_I32 || out->type == KILN_I64) {
		bool neg = v[0] == '-';
		unsigned long long u;
		const char *digits = v + neg;
		if (digits[0] < '0' || digits[0] > '9')
			goto bad;
		errno = 0;
		u = strtoull(digits, &end, 0);
		if (*end != '\0' || errno != 0)
			goto bad;
		if (out->type == KILN_I32) {
			if ((neg && u > 2147483648ull) || (!neg && u > 4294967295ull))
				goto bad;
			out->of.i32 = neg ? (uint32_t)(0 - (uint32_t)u) : (uint32_t)u;
		} else {
			if (neg && u > 9223372036854775808ull)
				goto bad;
			out->of.i64 = neg ? 0 - (uint64_t)u : (uint64_t)u;
		}
		return KILN_OK;
	}
	if (v[0] == '\0' || isspace((unsigned char)v[0]))
		goto bad;
	errno = 0;
	if (out->type == KILN_F32)
		out->of.f32 = strtof(v, &end);
	else
		out->of.f64 = strtod(v, &end);
	if (*end != '\0' || (errno == ERANGE && (out->type == KILN_F32
						     ? isinf(out->of.f32)
						     : isinf(out->of.f64))))
		goto bad;
	return KILN_OK;
bad:
	return fail(w, n, kp, "%s: the value does not fit %.3s", found(n, b, sizeof b), s);
}

/* ---- lists and maps of strings --------------------------------------------- */

/* A list of strings (null: empty). */
static int get_strings(struct walk *w, const yaml_node_t *n, const char *kp, char ***out,
		       size_t *count)
{
	size_t len, i = 0;
	int rc = KILN_OK;
	if (is_null(n))
		return KILN_OK;
	if (n->type != YAML_SEQUENCE_NODE)
		return wrong_type(w, n, kp, "a list of strings");
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = calloc(len + 1, sizeof **out);
	if (*out == NULL)
		return nomem(w);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		char sub[KP_MAX];
		kp_index(sub, kp, i);
		if ((rc = get_string(w, node(w, *it), sub, &(*out)[i])) != KILN_OK)
			break;
		(*count)++;
	}
	return rc;
}

/* A mapping of strings to strings (null: empty); values may be any scalar
 * but not null.  @key_check rejects keys. */
static int get_kv(struct walk *w, const yaml_node_t *n, const char *kp,
		  struct kiln_config_kv **out, size_t *count, size_t value_max,
		  int (*key_check)(struct walk *, const yaml_node_t *, const char *, const char *))
{
	size_t len;
	int rc = KILN_OK;
	if (is_null(n))
		return KILN_OK;
	if (n->type != YAML_MAPPING_NODE)
		return wrong_type(w, n, kp, "a mapping of names to strings");
	len = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	*out = calloc(len + 1, sizeof **out);
	if (*out == NULL)
		return nomem(w);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(w, p->key), *v = node(w, p->value);
		struct kiln_config_kv *e = &(*out)[*count];
		char sub[KP_MAX];
		if ((rc = get_string(w, k, kp, &e->key)) != KILN_OK)
			break;
		kp_key(sub, kp, e->key);
		for (size_t j = 0; j < *count; j++)
			if (strcmp((*out)[j].key, e->key) == 0) {
				free(e->key);
				e->key = NULL;
				return fail(w, k, sub, "key given twice");
			}
		(*count)++;
		if ((rc = key_check(w, k, sub, e->key)) != KILN_OK ||
		    (rc = get_string(w, v, sub, &e->value)) != KILN_OK)
			break;
		if (strlen(e->value) > value_max)
			return fail(w, v, sub, "the value is longer than %zu bytes", value_max);
	}
	return rc;
}

static int env_key_check(struct walk *w, const yaml_node_t *k, const char *kp, const char *key)
{
	if (key[0] == '\0' || strchr(key, '=') != NULL)
		return fail(w, k, kp, "an environment variable name must be non-empty and "
			    "hold no '='");
	return KILN_OK;
}

static int config_key_check(struct walk *w, const yaml_node_t *k, const char *kp, const char *key)
{
	if (key[0] == '\0' || strlen(key) > KILN_CONFIG_KEY_MAX_LEN)
		return fail(w, k, kp, "a configuration key must be 1 to %u bytes",
			    KILN_CONFIG_KEY_MAX_LEN);
	return KILN_OK;
}

/* ---- paths -------------------------------------------------------------------- */

char *kiln_config_path(const struct kiln_config *cfg, const char *rel)
{
	char *out;
	size_t n;
	if (rel[0] == '/' || cfg->dir == NULL || strcmp(cfg->dir, ".") == 0)
		return strdup(rel);
	n = strlen(cfg->dir) + strlen(rel) + 2;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s/%s", cfg->dir, rel);
	return out;
}

/* stat() @rel (relative to kiln.yaml) into *@st; errno on failure. */
static int stat_rel(struct walk *w, const char *rel, struct stat *st)
{
	char *p = kiln_config_path(w->cfg, rel);
	int r;
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	r = stat(p, st);
	free(p);
	return r;
}

/* ---- grants ------------------------------------------------------------------- */

static int get_stdio(struct walk *w, const yaml_node_t *n, const char *kp, int fd,
		     struct kiln_config_stdio *out)
{
	static const struct {
		const char *name;
		enum kiln_wasi_stdio_kind kind;
	} kinds[] = {{"inherit", KILN_WASI_STDIO_INHERIT},
		     {"null", KILN_WASI_STDIO_NULL},
		     {"capture", KILN_WASI_STDIO_CAPTURE},
		     {"log", KILN_WASI_STDIO_LOG}};
	const char *s;
	char b[80];
	struct stat st;

	/* "null" is the YAML null too: accept the plain word here */
	if (n->type != YAML_SCALAR_NODE || (is_null(n) && strcmp(scalar(n), "null") != 0))
		return wrong_type(w, n, kp, "inherit, null, capture, log or file:PATH");
	s = scalar(n);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(s, kinds[i].name) == 0) {
			if (fd == 0 && kinds[i].kind == KILN_WASI_STDIO_LOG)
				return fail(w, n, kp, "stdin cannot be routed to the log");
			out->kind = kinds[i].kind;
			return KILN_OK;
		}
	}
	if (strncmp(s, "file:", 5) != 0)
		return fail(w, n, kp, "%s is not a routing (inherit, null, capture, log or "
			    "file:PATH)", found(n, b, sizeof b));
	if (s[5] == '\0' || memchr(s, '\0', n->data.scalar.length) != NULL)
		return fail(w, n, kp, "file: needs a path (file:PATH)");
	if (fd == 0 && stat_rel(w, s + 5, &st) != 0)
		return fail(w, n, kp, "%s: %s", s + 5, strerror(errno));
	if (fd == 0 && !S_ISREG(st.st_mode))
		return fail(w, n, kp, "%s: not a regular file", s + 5);
	out->kind = KILN_WASI_STDIO_FILE;
	out->path = strdup(s + 5);
	return out->path != NULL ? KILN_OK : nomem(w);
}

static int get_mounts(struct walk *w, const yaml_node_t *n, const char *kp,
		      struct kiln_config_grants *g)
{
	static const char *const keys[] = {"host", "guest", "mode", NULL};
	size_t len, i = 0;
	int rc = KILN_OK;
	if (is_null(n))
		return KILN_OK;
	if (n->type != YAML_SEQUENCE_NODE)
		return wrong_type(w, n, kp, "a list of mounts ({host: DIR, guest: /PATH})");
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	g->mounts = calloc(len + 1, sizeof *g->mounts);
	if (g->mounts == NULL)
		return nomem(w);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *m = node(w, *it), *v[3];
		struct kiln_config_mount *mt = &g->mounts[i];
		char sub[KP_MAX], sk[KP_MAX];
		struct stat st;
		kp_index(sub, kp, i);
		if ((rc = lookup(w, m, sub, sub, "a mount ({host: DIR, guest: /PATH, mode: ro})", keys,
				 v)) != KILN_OK)
			return rc;
		g->nmounts++;
		if (v[0] == NULL)
			return fail(w, m, sub, "missing key \"host\" (a host directory)");
		if (v[1] == NULL)
			return fail(w, m, sub, "missing key \"guest\" (the path the guest sees)");
		kp_key(sk, sub, "host");
		if ((rc = get_string(w, v[0], sk, &mt->host)) != KILN_OK)
			return rc;
		if (mt->host[0] == '\0')
			return fail(w, v[0], sk, "empty path");
		errno = 0;
		if (stat_rel(w, mt->host, &st) != 0)
			return fail(w, v[0], sk, "%s: %s%s", mt->host, strerror(errno),
				    mt->host[0] != '/' ? " (relative to the directory of kiln.yaml)"
						       : "");
		if (!S_ISDIR(st.st_mode))
			return fail(w, v[0], sk, "%s: not a directory", mt->host);
		kp_key(sk, sub, "guest");
		if ((rc = get_string(w, v[1], sk, &mt->guest)) != KILN_OK)
			return rc;
		if (mt->guest[0] != '/')
			return fail(w, v[1], sk, "\"%s\": the guest path must be absolute", mt->guest);
		for (size_t j = 0; j < i; j++)
			if (strcmp(g->mounts[j].guest, mt->guest) == 0)
				return fail(w, v[1], sk, "\"%s\" is mounted twice", mt->guest);
		if (v[2] != NULL) {
			kp_key(sk, sub, "mode");
			if (v[2]->type != YAML_SCALAR_NODE ||
			    (strcmp(scalar(v[2]), "ro") != 0 && strcmp(scalar(v[2]), "rw") != 0))
				return wrong_type(w, v[2], sk, "ro or rw");
			mt->writable = strcmp(scalar(v[2]), "rw") == 0;
		}
	}
	return rc;
}

static int get_clocks(struct walk *w, const yaml_node_t *n, const char *kp,
		      struct kiln_config_grants *g)
{
	size_t i = 0;
	if (is_null(n))
		return KILN_OK;
	if (n->type != YAML_SEQUENCE_NODE)
		return wrong_type(w, n, kp, "a list of clocks (realtime, monotonic)");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *c = node(w, *it);
		char sub[KP_MAX], b[80];
		kp_index(sub, kp, i);
		if (c->type == YAML_SCALAR_NODE && strcmp(scalar(c), "realtime") == 0)
			g->clock_realtime = true;
		else if (c->type == YAML_SCALAR_NODE && strcmp(scalar(c), "monotonic") == 0)
			g->clock_monotonic = true;
		else if (c->type == YAML_SCALAR_NODE && strstr(scalar(c), "cputime") != NULL)
			return fail(w, c, sub, "%s: CPU-time clocks are never granted",
				    found(c, b, sizeof b));
		else
			return wrong_type(w, c, sub, "realtime or monotonic");
	}
	return KILN_OK;
}

enum {
	G_MEMORY, G_FUEL_CALL, G_FUEL_INST, G_SOFT, G_HARD, G_ARGS, G_ENV, G_ENV_INHERIT,
	G_MOUNTS, G_STDIN, G_STDOUT, G_STDERR, G_CLOCKS, G_RANDOM, G_SOCKETS, G_CONFIG, G_COUNT
};

static int get_grants(struct walk *w, const yaml_node_t *n, struct kiln_config_grants *g)
{
	static const char *const keys[] = {
		"memory", "fuel_per_call", "fuel_instantiate", "soft_deadline", "hard_deadline",
		"args", "env", "env_inherit", "mounts", "stdin", "stdout", "stderr", "clocks",
		"random", "sockets", "config", NULL};
	yaml_node_t *v[G_COUNT];
	char kp[G_COUNT][KP_MAX];
	int rc;

	if (is_null(n))
		return KILN_OK;
	if ((rc = lookup(w, n, "grants", "grants", "a mapping of grants", keys, v)) != KILN_OK)
		return rc;
	for (int i = 0; i < G_COUNT; i++)
		kp_key(kp[i], "grants", keys[i]);
	if (v[G_MEMORY] != NULL) {
		g->memory_mark = mark_of(v[G_MEMORY]);
		if ((rc = get_size(w, v[G_MEMORY], kp[G_MEMORY], &g->memory)) != KILN_OK)
			return rc;
	}
	if ((v[G_FUEL_CALL] != NULL &&
	     (rc = get_fuel(w, v[G_FUEL_CALL], kp[G_FUEL_CALL], &g->fuel_per_call)) != KILN_OK) ||
	    (v[G_FUEL_INST] != NULL &&
	     (rc = get_fuel(w, v[G_FUEL_INST], kp[G_FUEL_INST], &g->fuel_instantiate)) != KILN_OK) ||
	    (v[G_SOFT] != NULL &&
	     (rc = get_duration(w, v[G_SOFT], kp[G_SOFT], &g->soft_deadline_ns)) != KILN_OK) ||
	    (v[G_HARD] != NULL &&
	     (rc = get_duration(w, v[G_HARD], kp[G_HARD], &g->hard_deadline_ns)) != KILN_OK))
		return rc;
	if (g->soft_deadline_ns != 0 && g->hard_deadline_ns != 0 &&
	    g->soft_deadline_ns > g->hard_deadline_ns)
		return fail(w, v[G_SOFT], kp[G_SOFT],
			    "the soft deadline must not be later than the hard deadline (%s at "
			    "line %zu)",
			    scalar(v[G_HARD]), v[G_HARD]->start_mark.line + 1);
	if ((v[G_ARGS] != NULL &&
	     (rc = get_strings(w, v[G_ARGS], kp[G_ARGS], &g->args, &g->nargs)) != KILN_OK) ||
	    (v[G_ENV] != NULL && (rc = get_kv(w, v[G_ENV], kp[G_ENV], &g->env, &g->nenv,
					      KILN_CONFIG_VALUE_MAX_LEN, env_key_check)) !=
				     KILN_OK) ||
	    (v[G_ENV_INHERIT] != NULL &&
	     (rc = get_strings(w, v[G_ENV_INHERIT], kp[G_ENV_INHERIT], &g->env_inherit,
			       &g->nenv_inherit)) != KILN_OK) ||
	    (v[G_MOUNTS] != NULL && (rc = get_mounts(w, v[G_MOUNTS], kp[G_MOUNTS], g)) != KILN_OK))
		return rc;
	for (size_t i = 0; i < g->nenv_inherit; i++) {
		if (g->env_inherit[i][0] == '\0' || strchr(g->env_inherit[i], '=') != NULL) {
			char sub[KP_MAX];
			yaml_node_t *it = node(w, v[G_ENV_INHERIT]->data.sequence.items.start[i]);
			kp_index(sub, kp[G_ENV_INHERIT], i);
			return fail(w, it, sub, "an environment variable name must be non-empty "
				    "and hold no '='");
		}
	}
	for (int fd = 0; fd < 3; fd++)
		if (v[G_STDIN + fd] != NULL &&
		    (rc = get_stdio(w, v[G_STDIN + fd], kp[G_STDIN + fd], fd, &g->stdio[fd])) !=
			    KILN_OK)
			return rc;
	if ((v[G_CLOCKS] != NULL && (rc = get_clocks(w, v[G_CLOCKS], kp[G_CLOCKS], g)) != KILN_OK) ||
	    (v[G_RANDOM] != NULL && (rc = get_bool(w, v[G_RANDOM], kp[G_RANDOM], &g->random)) !=
					    KILN_OK))
		return rc;
	if (v[G_SOCKETS] != NULL && !is_null(v[G_SOCKETS])) {
		if (v[G_SOCKETS]->type != YAML_SEQUENCE_NODE)
			return wrong_type(w, v[G_SOCKETS], kp[G_SOCKETS], "an empty list");
		if (v[G_SOCKETS]->data.sequence.items.top != v[G_SOCKETS]->data.sequence.items.start)
			return fail(w, v[G_SOCKETS], kp[G_SOCKETS],
				    "reserved: must be empty (sockets are granted by the host in "
				    "code)");
	}
	if (v[G_CONFIG] != NULL &&
	    (rc = get_kv(w, v[G_CONFIG], kp[G_CONFIG], &g->config, &g->nconfig,
			 KILN_CONFIG_VALUE_MAX_LEN, config_key_check)) != KILN_OK)
		return rc;
	return KILN_OK;
}

/* ---- tests -------------------------------------------------------------------- */

static int get_values(struct walk *w, const yaml_node_t *n, const char *kp,
		      struct kiln_config_value **out, size_t *count)
{
	size_t len, i = 0;
	int rc = KILN_OK;
	if (is_null(n))
		return KILN_OK;
	if (n->type != YAML_SEQUENCE_NODE)
		return wrong_type(w, n, kp, "a list of typed values (i32:N, i64:N, f32:X, f64:X)");
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = calloc(len + 1, sizeof **out);
	if (*out == NULL)
		return nomem(w);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		char sub[KP_MAX];
		kp_index(sub, kp, i);
		(*count)++;
		if ((rc = get_value(w, node(w, *it), sub, &(*out)[i])) != KILN_OK)
			break;
	}
	return rc;
}

static int get_test(struct walk *w, const yaml_node_t *n, const char *kp,
		    struct kiln_config_test *t)
{
	static const char *const keys[] = {"name", "export", "args", "results",
					   "trap", "stdin", "stdout", NULL};
	yaml_node_t *v[7];
	char sk[KP_MAX];
	int rc;

	t->mark = mark_of(n);
	if ((rc = lookup(w, n, kp, kp, "a test case (name, export, ...)", keys, v)) != KILN_OK)
		return rc;
	if (v[0] == NULL)
		return fail(w, n, kp, "missing key \"name\"");
	if (v[1] == NULL)
		return fail(w, n, kp, "missing key \"export\" (the function to call)");
	kp_key(sk, kp, "name");
	if ((rc = get_string(w, v[0], sk, &t->name)) != KILN_OK)
		return rc;
	kp_key(sk, kp, "export");
	if ((rc = get_string(w, v[1], sk, &t->export_name)) != KILN_OK)
		return rc;
	kp_key(sk, kp, "args");
	if (v[2] != NULL && (rc = get_values(w, v[2], sk, &t->args, &t->nargs)) != KILN_OK)
		return rc;
	kp_key(sk, kp, "results");
	if (v[3] != NULL) {
		t->has_results = true;
		if ((rc = get_values(w, v[3], sk, &t->results, &t->nresults)) != KILN_OK)
			return rc;
	}
	if (v[4] != NULL) {
		char b[80];
		kp_key(sk, kp, "trap");
		if ((rc = get_string(w, v[4], sk, &t->trap)) != KILN_OK)
			return rc;
		t->trap_kind = kiln_config_trap_kind(t->trap);
		if (t->trap_kind < 0)
			return fail(w, v[4], sk,
				    "%s is not a trap kind (out of bounds, integer divide by zero, "
				    "unreachable, stack exhaustion, fuel exhausted, deadline, exit, "
				    "...: see docs/kiln.yaml.md)",
				    found(v[4], b, sizeof b));
		if (t->has_results)
			return fail(w, v[4], sk, "a test expects either results or a trap, not both");
	}
	kp_key(sk, kp, "stdin");
	if (v[5] != NULL && (rc = get_bytes(w, v[5], sk, &t->stdin_data, &t->stdin_len)) != KILN_OK)
		return rc;
	kp_key(sk, kp, "stdout");
	if (v[6] != NULL &&
	    (rc = get_bytes(w, v[6], sk, &t->stdout_data, &t->stdout_len)) != KILN_OK)
		return rc;
	return KILN_OK;
}

static int get_tests(struct walk *w, const yaml_node_t *n, struct kiln_config_ext *e)
{
	size_t len, i = 0;
	int rc = KILN_OK;
	if (is_null(n))
		return KILN_OK;
	if (n->type != YAML_SEQUENCE_NODE)
		return wrong_type(w, n, "tests", "a list of test cases");
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	e->tests = calloc(len + 1, sizeof *e->tests);
	if (e->tests == NULL)
		return nomem(w);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *t = node(w, *it);
		char sub[KP_MAX];
		kp_index(sub, "tests", i);
		e->ntests++;
		if ((rc = get_test(w, t, sub, &e->tests[i])) != KILN_OK)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(e->tests[j].name, e->tests[i].name) == 0)
				return fail(w, t, sub, "test \"%s\" is named twice", e->tests[i].name);
	}
	return rc;
}

/* ---- extensions -------------------------------------------------------------- */

enum { E_NAME, E_REF, E_KEY, E_PROTOCOL, E_ALLOW_LATEST, E_GRANTS, E_TESTS, E_COUNT };

static int get_ext(struct walk *w, const yaml_node_t *n, size_t index, struct kiln_config_ext *e)
{
	static const char *const keys[] = {"name", "ref", "key", "protocol",
					   "allow_latest", "grants", "tests", NULL};
	yaml_node_t *v[E_COUNT];
	struct kiln_oci_ref ref;
	struct kiln_err rerr = {0, ""};
	struct stat st;
	char kp[KP_MAX];
	int64_t proto;
	int rc;

	kp_index(kp, "extensions", index);
	e->mark = mark_of(n);
	if ((rc = lookup(w, n, kp, "", "an extension (name, ref, grants...)", keys, v)) != KILN_OK)
		return rc;
	if (v[E_NAME] == NULL)
		return fail(w, n, kp, "missing key \"name\"");
	if (v[E_REF] == NULL)
		return fail(w, n, kp, "missing key \"ref\" (an OCI reference pinned by digest)");
	if ((rc = get_string(w, v[E_NAME], "name", &e->name)) != KILN_OK)
		return rc;
	if (!kiln_name_valid(e->name))
		return fail(w, v[E_NAME], "name",
			    "\"%.80s\" is not a C identifier ([A-Za-z_][A-Za-z0-9_]*, at most %d "
			    "characters)",
			    e->name, KILN_NAME_MAX);
	for (size_t j = 0; j < index; j++)
		if (strcmp(w->cfg->exts[j].name, e->name) == 0)
			return fail(w, v[E_NAME], "name", "\"%s\" is already the name of the "
				    "extension at line %u", e->name, w->cfg->exts[j].mark.line);
	if (v[E_ALLOW_LATEST] != NULL &&
	    (rc = get_bool(w, v[E_ALLOW_LATEST], "allow_latest", &e->allow_latest)) != KILN_OK)
		return rc;
	e->ref_mark = mark_of(v[E_REF]);
	if ((rc = get_string(w, v[E_REF], "ref", &e->ref)) != KILN_OK)
		return rc;
	if (kiln_oci_ref_parse(e->ref, KILN_OCI_REF_ALLOW_LATEST, &ref, &rerr) != KILN_OK)
		return fail(w, v[E_REF], "ref", "%s", rerr.msg);
	if (!ref.pinned && !e->allow_latest && strcmp(ref.tag, "latest") == 0)
		return fail(w, v[E_REF], "ref",
			    "\"%.100s\" means an unpinned \"latest\": pin it by digest "
			    "(@sha256:...) or set allow_latest: true",
			    e->ref);
	e->pinned = ref.pinned != 0;
	if (ref.kind == KILN_OCI_REF_LAYOUT && stat_rel(w, ref.dir, &st) != 0)
		return fail(w, v[E_REF], "ref", "layout directory %s: %s%s", ref.dir,
			    strerror(errno),
			    ref.dir[0] != '/' ? " (relative to the directory of kiln.yaml)" : "");
	if (v[E_KEY] != NULL) {
		e->key_mark = mark_of(v[E_KEY]);
		if ((rc = get_string(w, v[E_KEY], "key", &e->key)) != KILN_OK)
			return rc;
		if (stat_rel(w, e->key, &st) != 0)
			return fail(w, v[E_KEY], "key", "%s: %s", e->key, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return fail(w, v[E_KEY], "key", "%s: not a regular file", e->key);
	}
	if (v[E_PROTOCOL] != NULL) {
		e->protocol_mark = mark_of(v[E_PROTOCOL]);
		if ((rc = get_int(w, v[E_PROTOCOL], "protocol", 1, INT32_MAX, &proto)) != KILN_OK)
			return rc;
		e->has_protocol = true;
		e->protocol = (int32_t)proto;
	}
	e->grants.memory_mark = e->mark;
	if (v[E_GRANTS] != NULL && (rc = get_grants(w, v[E_GRANTS], &e->grants)) != KILN_OK)
		return rc;
	if (v[E_TESTS] != NULL && (rc = get_tests(w, v[E_TESTS], e)) != KILN_OK)
		return rc;
	return KILN_OK;
}

static int get_root(struct walk *w, yaml_node_t *root)
{
	static const char *const keys[] = {"version", "extensions", NULL};
	yaml_node_t *v[2];
	int64_t version;
	size_t len, i = 0;
	int rc;

	if ((rc = lookup(w, root, "", "", "a mapping with version and extensions", keys, v)) != KILN_OK)
		return rc;
	if (v[0] == NULL)
		return fail(w, root, "", "missing key \"version\" (version: %d)", KILN_CONFIG_VERSION);
	if ((rc = get_int(w, v[0], "version", 0, INT32_MAX, &version)) != KILN_OK)
		return rc;
	if (version != KILN_CONFIG_VERSION)
		return fail(w, v[0], "version", "%lld is not supported (this kiln reads version %d)",
			    (long long)version, KILN_CONFIG_VERSION);
	w->cfg->version = (uint32_t)version;
	if (v[1] == NULL)
		return fail(w, root, "", "missing key \"extensions\" (a list)");
	if (is_null(v[1]))
		return KILN_OK;
	if (v[1]->type != YAML_SEQUENCE_NODE)
		return wrong_type(w, v[1], "extensions", "a list of extensions");
	len = (size_t)(v[1]->data.sequence.items.top - v[1]->data.sequence.items.start);
	if (len > KILN_CONFIG_MAX_EXTENSIONS)
		return fail(w, v[1], "extensions", "%zu extensions; at most %u are supported", len,
			    KILN_CONFIG_MAX_EXTENSIONS);
	w->cfg->exts = calloc(len + 1, sizeof *w->cfg->exts);
	if (w->cfg->exts == NULL)
		return nomem(w);
	for (yaml_node_item_t *it = v[1]->data.sequence.items.start;
	     it < v[1]->data.sequence.items.top; it++, i++) {
		w->cfg->count++;
		if ((rc = get_ext(w, node(w, *it), i, &w->cfg->exts[i])) != KILN_OK)
			return rc;
	}
	return KILN_OK;
}

/* ---- the passes ------------------------------------------------------------- */

static int parser_error(const struct kiln_config *cfg, const yaml_parser_t *p,
			struct kiln_err *err)
{
	const yaml_mark_t *m = p->problem != NULL ? &p->problem_mark : &p->mark;
	if (p->error == YAML_MEMORY_ERROR)
		return kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", cfg->path);
	return kiln_err_set(err, KILN_ECONFIG, "%s:%zu:%zu: not valid YAML: %s%s%s", cfg->path,
			    m->line + 1, m->column + 1, p->problem ? p->problem : "parse error",
			    p->context ? " " : "", p->context ? p->context : "");
}

/* Deepest nesting of lists and mappings accepted: the schema needs 5, and
 * libyaml's loader recurses once per level. */
#define MAX_DEPTH 32

/* First pass: refuse aliases, extra documents, custom tags and deep
 * nesting where they are. */
static int prescan(const struct kiln_config *cfg, const char *text, size_t len,
		   struct kiln_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = KILN_OK, docs = 0, depth = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", cfg->path);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_error(cfg, &p, err);
			break;
		}
		if (ev.type == YAML_ALIAS_EVENT)
			rc = kiln_err_set(err, KILN_ECONFIG,
					  "%s:%zu:%zu: aliases (*%s) are not supported: write the "
					  "value out",
					  cfg->path, ev.start_mark.line + 1, ev.start_mark.column + 1,
					  (const char *)ev.data.alias.anchor);
		else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			rc = kiln_err_set(err, KILN_ECONFIG,
					  "%s:%zu:%zu: a second YAML document; kiln.yaml holds one",
					  cfg->path, ev.start_mark.line + 1, ev.start_mark.column + 1);
		else if ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.tag != NULL &&
			  strncmp((const char *)ev.data.scalar.tag, "tag:yaml.org,2002:", 18) != 0) ||
			 (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.tag != NULL &&
			  strncmp((const char *)ev.data.mapping_start.tag, "tag:yaml.org,2002:",
				  18) != 0) ||
			 (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.tag != NULL &&
			  strncmp((const char *)ev.data.sequence_start.tag, "tag:yaml.org,2002:",
				  18) != 0))
			rc = kiln_err_set(err, KILN_ECONFIG,
					  "%s:%zu:%zu: custom YAML tags are not supported", cfg->path,
					  ev.start_mark.line + 1, ev.start_mark.column + 1);
		else if ((ev.type == YAML_MAPPING_START_EVENT ||
			  ev.type == YAML_SEQUENCE_START_EVENT) && ++depth > MAX_DEPTH)
			rc = kiln_err_set(err, KILN_ECONFIG,
					  "%s:%zu:%zu: nested more than %d levels deep", cfg->path,
					  ev.start_mark.line + 1, ev.start_mark.column + 1, MAX_DEPTH);
		else if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		done = ev.type == YAML_STREAM_END_EVENT || rc != KILN_OK;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

int kiln_config_parse(const char *text, size_t len, const char *path, struct kiln_config *out,
		      struct kiln_err *err)
{
	yaml_parser_t p;
	yaml_document_t doc;
	bool have_parser = false, have_doc = false;
	struct walk w;
	const char *slash;
	yaml_node_t *root;
	int rc;

	memset(out, 0, sizeof *out);
	out->path = strdup(path);
	slash = strrchr(path, '/');
	out->dir = slash == NULL ? strdup(".")
				 : strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (out->path == NULL || out->dir == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
	if (len > KILN_CONFIG_MAX_BYTES)
		return kiln_err_set(err, KILN_ECONFIG, "%s: %zu bytes; at most %u are accepted",
				    path, len, KILN_CONFIG_MAX_BYTES);
	if ((rc = prescan(out, text, len, err)) != KILN_OK)
		goto out;
	if (!yaml_parser_initialize(&p)) {
		rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		rc = parser_error(out, &p, err);
		goto out;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = kiln_err_set(err, KILN_ECONFIG,
				  "%s:1:1: the file is empty (expected version: %d and extensions)",
				  path, KILN_CONFIG_VERSION);
		goto out;
	}
	w.doc = &doc;
	w.cfg = out;
	w.err = err;
	rc = get_root(&w, root);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&p);
	return rc;
}

int kiln_config_read(const char *path, struct kiln_config *out, struct kiln_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	struct stat st;
	char *buf = NULL;
	size_t have = 0;

	memset(out, 0, sizeof *out);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = kiln_err_set(err, KILN_EIO, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)KILN_CONFIG_MAX_BYTES) {
		rc = kiln_err_set(err, KILN_ECONFIG, "%s: %s", path,
				  S_ISREG(st.st_mode) ? "larger than 4 MiB" : "not a regular file");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = kiln_err_set(err, KILN_EIO, "%s: cannot read: %s", path,
					  n < 0 ? strerror(errno) : "file shrank while reading");
			goto out;
		}
		have += (size_t)n;
	}
	rc = kiln_config_parse(buf, have, path, out, err);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int kiln_config_ref(const struct kiln_config *cfg, const struct kiln_config_ext *e,
		    struct kiln_oci_ref *ref, struct kiln_err *err)
{
	char *dir;
	int rc = kiln_oci_ref_parse(e->ref, KILN_OCI_REF_ALLOW_LATEST, ref, err);
	if (rc != KILN_OK || ref->kind != KILN_OCI_REF_LAYOUT || ref->dir[0] == '/')
		return rc;
	dir = kiln_config_path(cfg, ref->dir);
	if (dir == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (strlen(dir) >= sizeof ref->dir)
		rc = kiln_err_set(err, KILN_EREF, "%s: layout path too long", e->name);
	else
		memcpy(ref->dir, dir, strlen(dir) + 1);
	free(dir);
	return rc;
}

const struct kiln_config_ext *kiln_config_find(const struct kiln_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->count; i++)
		if (cfg->exts[i].name != NULL && strcmp(cfg->exts[i].name, name) == 0)
			return &cfg->exts[i];
	return NULL;
}

/* ---- release ------------------------------------------------------------------ */

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_kv(struct kiln_config_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void free_values(struct kiln_config_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

void kiln_config_release(struct kiln_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->count; i++) {
		struct kiln_config_ext *e = &cfg->exts[i];
		struct kiln_config_grants *g = &e->grants;
		free(e->name);
		free(e->ref);
		free(e->key);
		free_strings(g->args, g->nargs);
		free_kv(g->env, g->nenv);
		free_strings(g->env_inherit, g->nenv_inherit);
		for (size_t j = 0; j < g->nmounts; j++) {
			free(g->mounts[j].host);
			free(g->mounts[j].guest);
		}
		free(g->mounts);
		for (int fd = 0; fd < 3; fd++)
			free(g->stdio[fd].path);
		free_kv(g->config, g->nconfig);
		for (size_t j = 0; j < e->ntests; j++) {
			struct kiln_config_test *t = &e->tests[j];
			free(t->name);
			free(t->export_name);
			free_values(t->args, t->nargs);
			free_values(t->results, t->nresults);
			free(t->trap);
			free(t->stdin_data);
			free(t->stdout_data);
		}
		free(e->tests);
	}
	free(cfg->exts);
	free(cfg->path);
	free(cfg->dir);
	memset(cfg, 0, sizeof *cfg);
}
