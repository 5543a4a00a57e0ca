/*
 * args.c — parsing and checking of `kiln compile` arguments that are more
 * than a string: sizes, module names, optimisation levels.
 */
#include <strings.h>

#include "driver_impl.h"

int kiln_parse_size(const char *text, uint64_t *bytes, struct kiln_err *err)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}};
	uint64_t n = 0;
	const char *p = text;
	int rc = KILN_OK;
	size_t u;

	if (*p < '0' || *p > '9') {
		rc = kiln_err_set(err, KILN_EINVAL,
				  "invalid size \"%s\": expected a number of bytes, optionally "
				  "followed by KiB, MiB or GiB",
				  text);
		goto out;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10) {
			rc = kiln_err_set(err, KILN_EINVAL, "invalid size \"%s\": too large", text);
			goto out;
		}
		n = n * 10 + (uint64_t)(*p - '0');
	}
	for (u = 0; u < sizeof units / sizeof units[0]; u++)
		if (strcasecmp(p, units[u].suffix) == 0)
			break;
	if (u == sizeof units / sizeof units[0]) {
		rc = kiln_err_set(err, KILN_EINVAL,
				  "invalid size \"%s\": unknown unit \"%s\" (use KiB, MiB or GiB)",
				  text, p);
		goto out;
	}
	if (n > UINT64_MAX / units[u].mult) {
		rc = kiln_err_set(err, KILN_EINVAL, "invalid size \"%s\": too large", text);
		goto out;
	}
	n *= units[u].mult;
	if (n < KILN_MAX_MEMORY_MIN || n > KILN_MAX_MEMORY_MAX) {
		rc = kiln_err_set(err, KILN_EINVAL,
				  "invalid size \"%s\" (%llu bytes): must be between 64KiB (one "
				  "wasm page) and 4GiB",
				  text, (unsigned long long)n);
		goto out;
	}
	*bytes = n;
out:
	return rc;
}

bool kiln_name_valid(const char *name)
{
	size_t i;
	if (name == NULL || !((name[0] >= 'a' && name[0] <= 'z') ||
			      (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
		return false;
	for (i = 1; name[i] != '\0'; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return i <= KILN_NAME_MAX;
}

bool kiln_opt_level_valid(const char *level)
{
	return level != NULL && level[0] != '\0' && level[1] == '\0' &&
	       ((level[0] >= '0' && level[0] <= '3') || level[0] == 's');
}
