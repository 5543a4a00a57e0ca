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
	      "Print the metadata kiln compile and kiln bake embedded (.kiln.meta\n"
	      "sections) in an object file or a linked binary: for a host binary, every\n"
	      "baked extension with its reference, manifest and wasm digests, wasm2c\n"
	      "version, fuel, grants and exports; for an object, its compiled module.\n"
	      "\n"
	      "  --json      print a JSON array of the documents instead of a table\n"
	      "              (bake documents have \"kiln_bake\", object ones \"kiln_meta\")\n"
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

/* A string value for display, escaped. */
static const char *field_text(json_t *v, char *buf, size_t size)
{
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

/* A number, "unlimited", or @none when absent or null. */
static void grant_num(json_t *g, const char *key, const char *label, const char *unit,
		      double div, const char *none)
{
	json_t *v = json_object_get(g, key);
	printf("    %-18s ", label);
	if (json_is_integer(v) && div > 1)
		printf("%g%s\n", (double)json_integer_value(v) / div, unit);
	else if (json_is_integer(v))
		printf("%lld%s\n", (long long)json_integer_value(v), unit);
	else if (json_is_string(v))
		printf("%s\n", json_string_value(v)[0] == 'u' ? "unlimited" : "?");
	else
		printf("%s\n", none);
}

/* A list of strings, or mapping of strings, on one line. */
static void grant_list(json_t *g, const char *key, const char *label)
{
	json_t *v = json_object_get(g, key), *e;
	const char *k;
	size_t i;
	char buf[256], kb[128], mb[16];
	bool first = true;
	printf("    %-18s", label);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (json_is_string(e))
				printf(" %s", field_text(e, buf, sizeof buf));
			else if (json_is_object(e))
				printf("%s %s -> %s (%s)", first ? "" : ",",
				       field(e, "host", buf, sizeof buf), field(e, "guest", kb, sizeof kb),
				       field(e, "mode", mb, sizeof mb));
			first = false;
		}
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e)
		{
			kiln_escape((const uint8_t *)k, strlen(k), kb, sizeof kb);
			printf(" %s=%s", kb, json_is_string(e) ? field_text(e, buf, sizeof buf) : "?");
			first = false;
		}
	}
	printf("%s\n", first ? " -" : "");
}

/* One baked extension: its bake document and, when linked, the metadata of
 * the object compiled for it (@mod, may be NULL). */
static void print_extension(json_t *doc, json_t *mod)
{
	char buf[256], buf2[64], buf3[64];
	json_t *g = json_object_get(doc, "grants"), *proto = json_object_get(doc, "protocol");
	json_t *fuel = mod != NULL ? json_object_get(mod, "fuel") : NULL;

	printf("extension %s\n", field(doc, "name", buf, sizeof buf));
	printf("  reference            %s\n", field(doc, "reference", buf, sizeof buf));
	printf("  manifest             %s\n", field(doc, "manifest_digest", buf, sizeof buf));
	printf("  wasm                 %s\n", field(doc, "wasm_digest", buf, sizeof buf));
	printf("  signed by            %s\n",
	       json_is_string(json_object_get(doc, "signed_by"))
		       ? field(doc, "signed_by", buf, sizeof buf)
		       : "(no signature required)");
	if (json_is_integer(proto))
		printf("  protocol             %lld\n", (long long)json_integer_value(proto));
	else
		printf("  protocol             (not exported)\n");
	if (mod == NULL) {
		printf("  object               MISSING: no object compiled from this wasm is linked\n");
	} else {
		printf("  wasm2c               %s\n", field(mod, "wasm2c_version", buf, sizeof buf));
		printf("  fuel                 %s\n",
		       json_is_boolean(fuel) ? (json_is_true(fuel) ? "on" : "off") : "?");
		printf("  cc                   %s -O%s\n", field(mod, "cc", buf, sizeof buf),
		       field(mod, "opt_level", buf2, sizeof buf2));
	}
	if (json_is_object(g)) {
		printf("  grants:\n");
		grant_num(g, "memory", "memory", " MiB", 1048576.0, "default (64 MiB)");
		grant_num(g, "fuel_per_call", "fuel per call", "", 1, "default");
		grant_num(g, "fuel_instantiate", "fuel instantiate", "", 1, "default");
		grant_num(g, "soft_deadline_ns", "soft deadline", " s", 1e9, "default (5 s)");
		grant_num(g, "hard_deadline_ns", "hard deadline", " s", 1e9, "default (30 s)");
		grant_list(g, "args", "args");
		grant_list(g, "env", "env");
		grant_list(g, "env_inherit", "env inherited");
		grant_list(g, "mounts", "mounts");
		printf("    %-18s %s / %s / %s\n", "stdin/out/err", field(g, "stdin", buf, sizeof buf),
		       field(g, "stdout", buf2, sizeof buf2), field(g, "stderr", buf3, sizeof buf3));
		grant_list(g, "clocks", "clocks");
		printf("    %-18s %s\n", "random",
		       json_is_true(json_object_get(g, "random")) ? "yes" : "no");
		grant_list(g, "config", "config");
	}
	if (mod != NULL)
		print_entries(mod, "exports", false);
}

/* The object metadata (kiln compile's document) of baked extension @doc. */
static json_t *object_of(json_t *all, json_t *doc)
{
	json_t *name = json_object_get(doc, "name"), *wasm = json_object_get(doc, "wasm_digest"), *m;
	size_t i;
	if (!json_is_string(name) || !json_is_string(wasm) ||
	    strncmp(json_string_value(wasm), "sha256:", 7) != 0)
		return NULL;
	json_array_foreach(all, i, m)
	{
		json_t *n = json_object_get(m, "name"), *w = json_object_get(m, "wasm_sha256");
		if (json_object_get(m, "kiln_meta") != NULL && json_is_string(n) && json_is_string(w) &&
		    json_equal(n, name) && strcmp(json_string_value(w), json_string_value(wasm) + 7) == 0)
			return m;
	}
	return NULL;
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
		size_t shown = 0, i;
		json_t *doc;
		/* baked extensions first, each with its object's metadata ... */
		json_array_foreach(all, i, doc)
		{
			if (json_object_get(doc, "kiln_bake") == NULL)
				continue;
			if (shown++ > 0)
				putchar('\n');
			print_extension(doc, object_of(all, doc));
		}
		/* ... then objects no bake claims (or a plain object file) */
		json_array_foreach(all, i, doc)
		{
			bool claimed = false;
			size_t j;
			json_t *b;
			if (json_object_get(doc, "kiln_bake") != NULL)
				continue;
			json_array_foreach(all, j, b)
				if (json_object_get(b, "kiln_bake") != NULL && object_of(all, b) == doc)
					claimed = true;
			if (claimed)
				continue;
			if (shown++ > 0)
				putchar('\n');
			print_table(doc);
		}
	}
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	json_decref(all);
	kiln_meta_docs_release(&docs);
	return status;
}
