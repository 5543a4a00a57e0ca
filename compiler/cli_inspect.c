/*
 * cli_inspect.c — `kiln inspect`: print the .kiln.meta documents of an
 * object or a linked binary, as a table for people or a JSON array for
 * machines.  The documents come from a file that may be hostile: every
 * field is type-checked before use and every string escaped for display.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "driver_impl.h"

static void usage(FILE *out)
{
	fputs("usage: kiln inspect FILE [--json]\n"
	      "\n"
	      "Print the metadata kiln compile embedded (.kiln.meta sections) in an\n"
	      "object file or a linked binary: one entry per compiled module.\n"
	      "\n"
	      "  --json      print a JSON array of the documents instead of a table\n"
	      "  -h, --help  show this help\n"
	      "\n"
	      "See kiln-inspect(1).\n",
	      out);
}

/* A string field for display: escaped, or "?" when absent or not a string. */
static const char *field(json_t *obj, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return "?";
	kiln_escape((const uint8_t *)json_string_value(v), json_string_length(v), buf, size);
	return buf;
}

static void print_entries(json_t *doc, const char *key, bool imports)
{
	json_t *arr = json_object_get(doc, key), *e;
	size_t i;
	char a[256], b[256], k[16], s[512];

	if (!json_is_array(arr)) {
		printf("  %s: ?\n", key);
		return;
	}
	printf("  %s (%zu):\n", key, json_array_size(arr));
	json_array_foreach(arr, i, e)
	{
		if (imports)
			printf("    %-6s %s.%s  %s\n", field(e, "kind", k, sizeof k),
			       field(e, "module", a, sizeof a), field(e, "name", b, sizeof b),
			       field(e, "signature", s, sizeof s));
		else
			printf("    %-6s %s  %s\n", field(e, "kind", k, sizeof k),
			       field(e, "name", a, sizeof a), field(e, "signature", s, sizeof s));
	}
}

static void print_table(json_t *doc)
{
	char buf[256], buf2[64];
	json_t *mm = json_object_get(doc, "max_memory");
	json_t *fuel = json_object_get(doc, "fuel");

	printf("module %s\n", field(doc, "name", buf, sizeof buf));
	printf("  wasm sha256          %s\n", field(doc, "wasm_sha256", buf, sizeof buf));
	printf("  instrumented sha256  %s\n", field(doc, "instrumented_sha256", buf, sizeof buf));
	printf("  wasm2c               %s\n", field(doc, "wasm2c_version", buf, sizeof buf));
	printf("  fuel                 %s\n",
	       json_is_boolean(fuel) ? (json_is_true(fuel) ? "on" : "off") : "?");
	if (json_is_integer(mm))
		printf("  max memory           %lld bytes (%lld pages)\n",
		       (long long)json_integer_value(mm), (long long)json_integer_value(mm) / 65536);
	else
		printf("  max memory           %s\n", json_is_null(mm) ? "none" : "?");
	printf("  cc                   %s -O%s\n", field(doc, "cc", buf, sizeof buf),
	       field(doc, "opt_level", buf2, sizeof buf2));
	print_entries(doc, "imports", true);
	print_entries(doc, "exports", false);
}

int kiln_cmd_inspect(int argc, char **argv)
{
	struct kiln_meta_docs docs = {NULL, 0};
	struct kiln_err err = {0, ""};
	const char *path = NULL;
	bool as_json = false;
	json_t *all = NULL;
	int status = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			as_json = true;
		} else if (argv[i][0] == '-' || path != NULL) {
			kiln_cli_fail("inspect: unexpected argument %s", argv[i]);
			usage(stderr);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (path == NULL) {
		kiln_cli_fail("inspect: expected a file");
		usage(stderr);
		return 2;
	}
	if (kiln_meta_read(path, &docs, &err) != KILN_OK) {
		kiln_cli_fail("%s", err.msg);
		goto out;
	}
	all = json_array();
	if (all == NULL) {
		kiln_cli_fail("%s: out of memory", path);
		goto out;
	}
	for (size_t i = 0; i < docs.count; i++) {
		json_error_t jerr;
		json_t *doc = json_loads(docs.docs[i], JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
		if (!json_is_object(doc)) {
			kiln_cli_fail("%s: %s document %zu is not a JSON object%s%s", path,
				      KILN_META_SECTION, i + 1, doc == NULL ? ": " : "",
				      doc == NULL ? jerr.text : "");
			json_decref(doc);
			goto out;
		}
		if (json_array_append_new(all, doc) != 0) {
			kiln_cli_fail("%s: out of memory", path);
			goto out;
		}
	}
	if (docs.count == 0) {
		kiln_cli_fail("%s: the %s section holds no document", path, KILN_META_SECTION);
		goto out;
	}
	if (as_json) {
		if (json_dumpf(all, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0) {
			kiln_cli_fail("%s: cannot write the JSON", path);
			goto out;
		}
		putchar('\n');
	} else {
		for (size_t i = 0; i < json_array_size(all); i++) {
			if (i > 0)
				putchar('\n');
			print_table(json_array_get(all, i));
		}
	}
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	json_decref(all);
	kiln_meta_docs_release(&docs);
	return status;
}
