/*
 * cli_bake.c — `kiln bake` (see bake.c) and `kiln verify-binary`: does a
 * host binary hold exactly the extensions kiln.lock pins?
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bake_impl.h"
#include "cli.h"
#include "cli_oci.h"
#include "driver_impl.h"

enum { OPT_LOCKED = OPT_VERB_FIRST, OPT_LOCK, OPT_CACHE, OPT_CC };

static const char bake_usage[] =
	"usage: kiln bake [-f kiln.yaml] -o DIR [-j N] [--store DIR] [--offline] [--locked]\n"
	"\n"
	"Pull every extension kiln.yaml lists (verifying digests, signatures and\n"
	"kiln.lock), compile each into a sandboxed object, and write into DIR what a\n"
	"host links: NAME.o per extension, kiln_registry.c/.o (names, references,\n"
	"digests, grants) and kiln.mk (KILN_OBJS, KILN_CFLAGS, KILN_LDLIBS).\n"
	"Objects are cached by wasm digest, compile options and toolchain, so a\n"
	"second bake with nothing changed compiles nothing.  On any error DIR is\n"
	"left as it was.\n"
	"\n"
	"options:\n"
	"  -f, --file FILE           kiln.yaml to read (default ./kiln.yaml)\n"
	"  -o, --output DIR          where to write (required; created if missing)\n"
	"  -j, --jobs N              compile N extensions at once (default: one per CPU)\n"
	"  --offline                 read only the store, never the network\n"
	"  --locked                  kiln.lock must list exactly these extensions with\n"
	"                            the same references, and everything must match it\n"
	"  --lock FILE               the lock file (default kiln.lock beside kiln.yaml)\n"
	"  --cache DIR               object cache (default STORE/objects)\n"
	"  --cc CC                   C compiler (default $CC or cc)\n"
	"  -O LEVEL                  optimisation level 0-3 or s (default 2)\n"
	"  -v, --verbose             say what is pulled, cached and run\n" OCI_CLI_OPTIONS_HELP
	"\nSee kiln-bake(1) and docs/kiln.yaml.md.\n";

int kiln_cmd_bake(int argc, char **argv)
{
	static const struct option opts[] = {
		OCI_CLI_OPTIONS,
		{"file", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"jobs", required_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"offline", no_argument, NULL, OPT_OFFLINE},
		{"locked", no_argument, NULL, OPT_LOCKED},
		{"lock", required_argument, NULL, OPT_LOCK},
		{"cache", required_argument, NULL, OPT_CACHE},
		{"cc", required_argument, NULL, OPT_CC},
		{NULL, 0, NULL, 0},
	};
	struct kiln_bake_opts o;
	struct oci_cli cli;
	struct kiln_oci_client *c = NULL;
	struct kiln_err err = {0, ""};
	int opt, rc;

	memset(&o, 0, sizeof o);
	o.config = "kiln.yaml";
	o.out = stdout;
	oci_cli_init(&cli);
	optind = 0;
	while ((opt = getopt_long(argc, argv, "f:o:j:O:vh", opts, NULL)) != -1) {
		int r = oci_cli_option(&cli, opt, optarg);
		char *end;
		unsigned long v;
		if (r == 2) {
			fputs(bake_usage, stderr);
			return 2;
		}
		if (r == 0)
			continue;
		switch (opt) {
		case 'f': o.config = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case 'O': o.opt_level = optarg; break;
		case 'v': o.verbose = true; break;
		case 'h': cli.help = 1; break;
		case OPT_LOCKED: o.locked = true; break;
		case OPT_LOCK: o.lock = optarg; break;
		case OPT_CACHE: o.cache = optarg; break;
		case OPT_CC: o.cc = optarg; break;
		case 'j':
			v = strtoul(optarg, &end, 10);
			if (optarg[0] < '1' || optarg[0] > '9' || *end != '\0' || v > 256) {
				kiln_cli_fail("bake: -j expects a number from 1 to 256, not \"%s\"",
					      optarg);
				return 2;
			}
			o.jobs = (unsigned)v;
			break;
		default:
			fputs(bake_usage, stderr);
			return 2;
		}
	}
	if (cli.help) {
		fputs(bake_usage, stdout);
		return 0;
	}
	if (optind != argc || o.out_dir == NULL) {
		kiln_cli_fail(optind != argc ? "bake: unexpected argument %s"
					     : "bake: no output directory given (-o DIR)%s",
			      optind != argc ? argv[optind] : "");
		fputs(bake_usage, stderr);
		return 2;
	}
	if (o.opt_level != NULL && !kiln_opt_level_valid(o.opt_level)) {
		kiln_cli_fail("bake: invalid -O level \"%s\": expected 0, 1, 2, 3 or s", o.opt_level);
		return 2;
	}
	if ((rc = oci_cli_client(&cli, &c)) != 0)
		return rc;
	kiln_compile_cleanup_on_signals();
	rc = kiln_bake(&o, c, NULL, &err) == KILN_OK ? 0 : 1;
	if (rc != 0) {
		kiln_sanitize(err.msg);
		kiln_cli_fail("%s", err.msg);
	}
	kiln_oci_client_free(c);
	return rc;
}

/* ---- verify-binary ---------------------------------------------------------- */

static const char verify_usage[] =
	"usage: kiln verify-binary HOST_BINARY [kiln.lock]\n"
	"\n"
	"Check that HOST_BINARY holds exactly the extensions kiln.lock pins: every\n"
	"locked extension baked in with the locked manifest and wasm digests (and\n"
	"signing key), its object compiled from that wasm, and nothing else.\n"
	"Prints one line per extension; exits 0 only when all match.\n"
	"\n"
	"See kiln-verify-binary(1).\n";

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Print a problem (escaped) and count it. */
static void problem(int *bad, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(int *bad, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kiln_sanitize(msg);
	printf("FAIL %s\n", msg);
	(*bad)++;
}

int kiln_cmd_verify_binary(int argc, char **argv)
{
	struct kiln_meta_docs docs = {NULL, 0};
	struct kiln_oci_lock lock = {0};
	struct kiln_err err = {0, ""};
	const char *bin = NULL, *lock_path = "kiln.lock";
	json_t **parsed = NULL;
	size_t nbake = 0;
	int bad = 0, rc = 1, nargs = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(verify_usage, stdout);
			return 0;
		}
		if (argv[i][0] == '-' || nargs == 2) {
			kiln_cli_fail("verify-binary: unexpected argument %s", argv[i]);
			fputs(verify_usage, stderr);
			return 2;
		}
		if (nargs++ == 0)
			bin = argv[i];
		else
			lock_path = argv[i];
	}
	if (bin == NULL) {
		fputs(verify_usage, stderr);
		return 2;
	}
	if (kiln_oci_lock_read(lock_path, &lock, &err) != KILN_OK) {
		kiln_cli_fail("%s", err.msg);
		goto out;
	}
	if (kiln_meta_read(bin, &docs, &err) != KILN_OK) {
		kiln_cli_fail("%s", err.msg);
		goto out;
	}
	parsed = calloc(docs.count + 1, sizeof *parsed);
	if (parsed == NULL) {
		kiln_cli_fail("out of memory");
		goto out;
	}
	for (size_t i = 0; i < docs.count; i++) {
		parsed[i] = json_loads(docs.docs[i], JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(parsed[i])) {
			kiln_cli_fail("%s: %s document %zu is not a JSON object", bin,
				      KILN_META_SECTION, i + 1);
			goto out;
		}
	}
	/* every baked extension: locked, same digests, object from that wasm */
	for (size_t i = 0; i < docs.count; i++) {
		const char *name = str(parsed[i], "name"), *man = str(parsed[i], "manifest_digest"),
			   *wasm = str(parsed[i], "wasm_digest");
		const struct kiln_oci_lock_entry *le;
		char lman[KILN_DIGEST_STRLEN + 1], lwasm[KILN_DIGEST_STRLEN + 1];
		bool have_obj = false;
		if (json_object_get(parsed[i], "kiln_bake") == NULL)
			continue;
		nbake++;
		if (name == NULL || man == NULL || wasm == NULL) {
			problem(&bad, "%s: a baked extension's document lacks name or digests", bin);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (json_object_get(parsed[j], "kiln_bake") != NULL && str(parsed[j], "name") &&
			    strcmp(str(parsed[j], "name"), name) == 0)
				problem(&bad, "%s: baked twice", name);
		le = kiln_oci_lock_find(&lock, name);
		if (le == NULL) {
			problem(&bad, "%s: extra: baked into %s (%s) but not in %s", name, bin, man,
				lock_path);
			continue;
		}
		kiln_digest_format(&le->manifest.digest, lman);
		kiln_digest_format(&le->layer.digest, lwasm);
		if (strcmp(man, lman) != 0) {
			problem(&bad, "%s: different manifest: %s holds %s, %s pins %s", name, bin, man,
				lock_path, lman);
			continue;
		}
		if (strcmp(wasm, lwasm) != 0) {
			problem(&bad, "%s: different wasm: %s holds %s, %s pins %s", name, bin, wasm,
				lock_path, lwasm);
			continue;
		}
		if (le->signature.present) {
			char key[KILN_DIGEST_STRLEN + 1];
			const char *signer = str(parsed[i], "signed_by");
			kiln_digest_format(&le->signature.key, key);
			if (signer == NULL || strcmp(signer, key) != 0) {
				problem(&bad, "%s: %s pins a signature by %s; the binary's was %s%s", name,
					lock_path, key, signer ? "by " : "", signer ? signer : "not checked");
				continue;
			}
		}
		for (size_t j = 0; j < docs.count; j++) {
			const char *n = str(parsed[j], "name"), *w = str(parsed[j], "wasm_sha256");
			if (json_object_get(parsed[j], "kiln_meta") != NULL && n != NULL && w != NULL &&
			    strcmp(n, name) == 0 && strcmp(w, lwasm + 7) == 0)
				have_obj = true;
		}
		if (!have_obj) {
			problem(&bad, "%s: no object compiled from %s is linked into %s", name, lwasm,
				bin);
			continue;
		}
		printf("ok   %s %s\n", name, lman);
	}
	/* every locked extension is there */
	for (size_t k = 0; k < lock.count; k++) {
		bool found = false;
		for (size_t i = 0; i < docs.count; i++)
			if (json_object_get(parsed[i], "kiln_bake") != NULL && str(parsed[i], "name") &&
			    strcmp(str(parsed[i], "name"), lock.entries[k].name) == 0)
				found = true;
		if (!found)
			problem(&bad, "%s: missing: %s pins it but %s does not hold it",
				lock.entries[k].name, lock_path, bin);
	}
	if (bad == 0 && nbake == 0 && lock.count == 0)
		printf("ok   no extensions, none locked\n");
	if (bad != 0)
		kiln_cli_fail("%s does not match %s: %d problem%s", bin, lock_path, bad,
			      bad == 1 ? "" : "s");
	else
		rc = 0;
out:
	for (size_t i = 0; parsed != NULL && i < docs.count; i++)
		json_decref(parsed[i]);
	free(parsed);
	kiln_meta_docs_release(&docs);
	kiln_oci_lock_release(&lock);
	return rc;
}
