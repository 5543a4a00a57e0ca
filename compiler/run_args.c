/*
 * run_args.c — checks of `kiln run` arguments: where its options end,
 * --timeout seconds, --fuel counts, --mount and --env specifications, and
 * the names derived from the module's path.
 */
#include <string.h>
#include <sys/stat.h>

#include "run_impl.h"

/* Options of kiln run that take their value in the next argument. */
static const char *const with_value[] = {
	"--mount", "--env", "--env-inherit", "--clock", "--fuel", "--max-memory", "--timeout", "--argv0",
};

int kiln_run_split(int argc, char *const *argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i;
		for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
			if (strcmp(argv[i], with_value[k]) == 0) {
				i++; /* its value, whatever it looks like */
				break;
			}
	}
	return argc;
}

int kiln_parse_seconds(const char *text, uint64_t *ns, struct kiln_err *err)
{
	uint64_t whole = 0, frac = 0, scale = 1000000000u;
	const char *p = text;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > KILN_RUN_TIMEOUT_MAX)
			return kiln_err_set(err, KILN_EINVAL,
					    "invalid timeout \"%s\": at most %llu seconds", text,
					    (unsigned long long)KILN_RUN_TIMEOUT_MAX);
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			goto bad;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
		}
	}
	if (*p != '\0')
		goto bad;
	if (whole == KILN_RUN_TIMEOUT_MAX && frac != 0)
		return kiln_err_set(err, KILN_EINVAL, "invalid timeout \"%s\": at most %llu seconds",
				    text, (unsigned long long)KILN_RUN_TIMEOUT_MAX);
	*ns = whole * 1000000000u + frac;
	return KILN_OK;
bad:
	return kiln_err_set(err, KILN_EINVAL,
			    "invalid timeout \"%s\": expected seconds, e.g. 10 or 0.5 (0: none)",
			    text);
}

int kiln_parse_fuel(const char *text, uint64_t *fuel, struct kiln_err *err)
{
	const uint64_t max = 1ull << 61;
	uint64_t n = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > max)
			return kiln_err_set(err, KILN_EINVAL, "invalid fuel \"%s\": at most %llu", text,
					    (unsigned long long)max);
	}
	if (*p != '\0' || n == 0)
		goto bad;
	*fuel = n;
	return KILN_OK;
bad:
	return kiln_err_set(err, KILN_EINVAL, "invalid fuel \"%s\": expected a positive number",
			    text);
}

int kiln_check_mount(const char *spec, struct kiln_err *err)
{
	char host[4096];
	size_t len = strlen(spec);
	const char *colon;
	struct stat st;

	if (len > 3 && (strcmp(spec + len - 3, ":ro") == 0 || strcmp(spec + len - 3, ":rw") == 0))
		len -= 3;
	colon = memrchr(spec, ':', len);
	if (colon == NULL || colon == spec || (size_t)(colon - spec) + 1 == len)
		return kiln_err_set(err, KILN_EINVAL,
				    "invalid mount \"%s\": expected HOST:GUEST or HOST:GUEST:ro", spec);
	if ((size_t)(colon - spec) >= sizeof host)
		return kiln_err_set(err, KILN_EINVAL, "invalid mount \"%s\": host path too long",
				    spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (stat(host, &st) != 0 || !S_ISDIR(st.st_mode))
		return kiln_err_set(err, KILN_ENOTFOUND, "mount \"%s\": %s is not a directory", spec,
				    host);
	return KILN_OK;
}

int kiln_check_env(const char *spec, bool inherit, struct kiln_err *err)
{
	if (inherit && (spec[0] == '\0' || strchr(spec, '=') != NULL))
		return kiln_err_set(err, KILN_EINVAL,
				    "invalid --env-inherit \"%s\": expected a variable name", spec);
	if (!inherit && (spec[0] == '=' || strchr(spec, '=') == NULL))
		return kiln_err_set(err, KILN_EINVAL, "invalid --env \"%s\": expected KEY=VALUE",
				    spec);
	return KILN_OK;
}

void kiln_run_names(const char *path, char *name, char *argv0, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base != NULL ? base + 1 : path;
	if (base[0] == '\0')
		base = "ext";
	len = strlen(base);
	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)base[i];
		argv0[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	argv0[len] = '\0';
	memcpy(name, argv0, len + 1);
	if (len > 5 && strcmp(name + len - 5, ".wasm") == 0)
		name[len - 5] = '\0';
}
