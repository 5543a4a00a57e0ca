/*
 * textfilter — a WASI command: reads stdin, writes the text transformed to
 * stdout, and logs a summary through the kiln host API.
 *
 *   textfilter [--upper | --lower | --rot13] [--number]
 *
 * --upper (the default) and --lower change ASCII letters, --rot13 rotates
 * them; --number puts a line number in front of each line.  The mode may
 * also come from the configuration value "mode" (arguments win).  Exit
 * status: 0, or 2 for an unknown argument (with a message on stderr).
 */
#include <stdio.h>
#include <string.h>

#include <kiln.h>

KILN_DEFINE_PROTOCOL_VERSION();

enum mode { UPPER, LOWER, ROT13 };

static int parse_mode(const char *s, enum mode *m)
{
	if (strcmp(s, "upper") == 0)
		*m = UPPER;
	else if (strcmp(s, "lower") == 0)
		*m = LOWER;
	else if (strcmp(s, "rot13") == 0)
		*m = ROT13;
	else
		return -1;
	return 0;
}

static int transform(int c, enum mode m)
{
	switch (m) {
	case UPPER:
		return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
	case LOWER:
		return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
	case ROT13:
		if (c >= 'a' && c <= 'z')
			return 'a' + (c - 'a' + 13) % 26;
		if (c >= 'A' && c <= 'Z')
			return 'A' + (c - 'A' + 13) % 26;
		return c;
	}
	return c;
}

int main(int argc, char **argv)
{
	enum mode mode = UPPER;
	char configured[16];
	unsigned long bytes = 0, lines = 0;
	int number = 0, at_line_start = 1, c;

	if (kiln_config_get("mode", configured, sizeof configured) > 0 &&
	    parse_mode(configured, &mode) != 0)
		kiln_log(KILN_LOG_WARN, "configuration: unknown mode \"%s\", using upper",
			 configured);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--number") == 0) {
			number = 1;
		} else if (strncmp(argv[i], "--", 2) != 0 || parse_mode(argv[i] + 2, &mode) != 0) {
			fprintf(stderr, "textfilter: unknown argument \"%s\"\n", argv[i]);
			return 2;
		}
	}
	while ((c = getchar()) != EOF) {
		if (number && at_line_start)
			printf("%6lu  ", lines + 1);
		putchar(transform(c, mode));
		bytes++;
		at_line_start = c == '\n';
		lines += at_line_start;
	}
	fflush(stdout);
	kiln_log(KILN_LOG_INFO, "filtered %lu bytes, %lu lines", bytes, lines);
	return 0;
}
