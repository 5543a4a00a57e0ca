/*
 * cli_pull.c — `kiln pull` and `kiln lock`: fetch extensions into the
 * store with every digest checked, and pin what references resolved to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_oci.h"
#include "config_impl.h"

enum { OPT_LOCKED = OPT_VERB_FIRST, OPT_LOCK, OPT_OUTPUT, OPT_KEY_FOR, OPT_FILE };

static const char pull_usage[] =
	"usage: kiln pull [OPTIONS] REF\n"
	"       kiln pull --locked [--lock FILE] [OPTIONS] [REF...]\n"
	"\n"
	"Fetch a WebAssembly extension and verify every digest (and, with --key,\n"
	"its signature), then print where the verified module is:\n"
	"\n"
	"  manifest sha256:...\n"
	"  layer sha256:...\n"
	"  path /.../blobs/sha256/...\n"
	"\n"
	"REF is HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST] (there is no default\n"
	"registry) or oci-layout:DIR[:TAG][@sha256:DIGEST].  The exit status is 0\n"
	"only when every digest checked out.\n"
	"\n"
	"options:\n"
	"  --key PUB                 require a valid signature by this public key (PEM)\n"
	"  --locked                  fail unless the result matches kiln.lock; with no\n"
	"                            REF, pull every extension in kiln.lock\n"
	"  --lock FILE               the lock file (default kiln.lock)\n"
	"  --offline                 read only the store, never the network\n" OCI_CLI_OPTIONS_HELP;

static const char lock_usage[] =
	"usage: kiln lock [-o FILE] [OPTIONS] NAME=REF...\n"
	"       kiln lock -f kiln.yaml [-o FILE] [OPTIONS]\n"
	"\n"
	"Resolve each reference (tags to digests), pull and verify it, and write\n"
	"kiln.lock: per extension the reference, the manifest, config and layer\n"
	"digests, sizes and media types, the signature checked, and the wasm2c\n"
	"version ($KILN_WASM2C or wasm2c on PATH).  The file is replaced only when\n"
	"every extension resolved; on any error it is left as it was.\n"
	"\n"
	"With -f, the extensions, references and keys come from kiln.yaml (see\n"
	"docs/kiln.yaml.md) and the lock is written beside it.\n"
	"\n"
	"options:\n"
	"  -f, --file FILE           lock the extensions of this kiln.yaml\n"
	"  -o, --output FILE         where to write (default kiln.lock, beside\n"
	"                            kiln.yaml with -f)\n"
	"  --key PUB                 require signatures by this key for every extension\n"
	"  --key-for NAME=PUB        require a signature by PUB for extension NAME\n" OCI_CLI_OPTIONS_HELP;

static int pull_one(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
		    const struct kiln_oci_pubkey *key, const struct kiln_oci_lock_entry *locked)
{
	struct kiln_oci_artifact *a = malloc(sizeof *a);
	struct kiln_err err = {0};
	int rc;

	if (a == NULL)
		return kiln_cli_fail("out of memory");
	rc = kiln_oci_pull(c, ref, key, locked, a, &err);
	if (rc != KILN_OK) {
		if (locked != NULL)
			kiln_err_prefix(&err, locked->name);
		kiln_cli_fail("%s", err.msg);
	} else {
		oci_cli_print_artifact(a);
	}
	free(a);
	return rc == KILN_OK ? 0 : 1;
}

int kiln_cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		OCI_CLI_OPTIONS,
		{"key", required_argument, NULL, OPT_KEY},
		{"offline", no_argument, NULL, OPT_OFFLINE},
		{"locked", no_argument, NULL, OPT_LOCKED},
		{"lock", required_argument, NULL, OPT_LOCK},
		{NULL, 0, NULL, 0},
	};
	struct oci_cli cli;
	struct kiln_oci_client *c = NULL;
	struct kiln_oci_pubkey key;
	struct kiln_oci_lock lock = {0};
	struct kiln_err err = {0};
	const char *key_path = NULL, *lock_path = "kiln.lock";
	int locked = 0, opt, rc = 0;

	oci_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int r = oci_cli_option(&cli, opt, optarg);
		if (r == 2)
			return 2;
		if (r == 0)
			continue;
		if (opt == OPT_KEY)
			key_path = optarg;
		else if (opt == OPT_LOCKED)
			locked = 1;
		else if (opt == OPT_LOCK)
			lock_path = optarg;
	}
	if (cli.help) {
		fputs(pull_usage, stdout);
		return 0;
	}
	if (!locked && argc - optind != 1) {
		fputs(pull_usage, stderr);
		return 2;
	}
	if (key_path != NULL && kiln_oci_pubkey_load(key_path, &key, &err) != KILN_OK)
		return kiln_cli_fail("%s", err.msg);
	if (locked) {
		char version[64];
		if (kiln_oci_lock_read(lock_path, &lock, &err) != KILN_OK)
			return kiln_cli_fail("%s", err.msg);
		if (lock.wasm2c_version[0] != '\0' &&
		    (oci_cli_wasm2c_version(version, sizeof version) != 0 ||
		     kiln_oci_lock_check_tool(&lock, version, &err) != KILN_OK)) {
			rc = err.code ? kiln_cli_fail("%s", err.msg) : 1;
			goto out;
		}
		/* References in a lock are pinned by the lock itself. */
		cli.ref_flags |= KILN_OCI_REF_ALLOW_LATEST;
	}
	if ((rc = oci_cli_client(&cli, &c)) != 0)
		goto out;
	if (!locked) {
		struct kiln_oci_ref ref;
		rc = oci_cli_ref(&cli, argv[optind], &ref) != 0
			     ? 1
			     : pull_one(c, &ref, key_path ? &key : NULL, NULL);
		goto out;
	}
	if (optind == argc) {
		for (size_t i = 0; i < lock.count && rc == 0; i++) {
			struct kiln_oci_ref ref;
			printf("name %s\n", lock.entries[i].name);
			rc = oci_cli_ref(&cli, lock.entries[i].reference, &ref) != 0
				     ? 1
				     : pull_one(c, &ref, key_path ? &key : NULL, &lock.entries[i]);
		}
		goto out;
	}
	for (int i = optind; i < argc && rc == 0; i++) {
		struct kiln_oci_ref ref;
		char text[KILN_OCI_REF_STRMAX];
		const struct kiln_oci_lock_entry *e;
		if (oci_cli_ref(&cli, argv[i], &ref) != 0) {
			rc = 1;
			break;
		}
		kiln_oci_ref_format(&ref, text, sizeof text);
		e = kiln_oci_lock_find_ref(&lock, text);
		if (e == NULL) {
			rc = kiln_cli_fail("%s: not in %s (run kiln lock)", text, lock_path);
			break;
		}
		rc = pull_one(c, &ref, key_path ? &key : NULL, e);
	}
out:
	kiln_oci_lock_release(&lock);
	kiln_oci_client_free(c);
	return rc;
}

/* ------------------------------------------------------------------ lock */

struct key_for {
	const char *name;
	size_t name_len;
	struct kiln_oci_pubkey key;
};

int kiln_cmd_lock(int argc, char **argv)
{
	static const struct option opts[] = {
		OCI_CLI_OPTIONS,
		{"key", required_argument, NULL, OPT_KEY},
		{"key-for", required_argument, NULL, OPT_KEY_FOR},
		{"output", required_argument, NULL, OPT_OUTPUT},
		{"file", required_argument, NULL, OPT_FILE},
		{NULL, 0, NULL, 0},
	};
	struct oci_cli cli;
	struct kiln_oci_client *c = NULL;
	struct kiln_oci_pubkey all_key, *yaml_keys = NULL;
	struct key_for keys[OCI_CLI_MAX_LIST];
	struct kiln_oci_lock_request *reqs = NULL;
	struct kiln_oci_lock lock = {0};
	struct kiln_config cfg = {0};
	struct kiln_err err = {0};
	const char *out = NULL, *key_path = NULL, *file = NULL;
	char version[64], *dirs_out = NULL, **refs = NULL;
	size_t n_keys = 0, n;
	int opt, rc = 0;

	oci_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "o:f:", opts, NULL)) != -1) {
		int r = oci_cli_option(&cli, opt, optarg);
		if (r == 2)
			return 2;
		if (r == 0)
			continue;
		if (opt == 'o' || opt == OPT_OUTPUT) {
			out = optarg;
		} else if (opt == 'f' || opt == OPT_FILE) {
			file = optarg;
		} else if (opt == OPT_KEY) {
			key_path = optarg;
		} else if (opt == OPT_KEY_FOR) {
			const char *eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg || n_keys == OCI_CLI_MAX_LIST) {
				fprintf(stderr, "kiln: --key-for expects NAME=PUBKEY\n");
				return 2;
			}
			keys[n_keys].name = optarg;
			keys[n_keys].name_len = (size_t)(eq - optarg);
			if (kiln_oci_pubkey_load(eq + 1, &keys[n_keys].key, &err) != KILN_OK)
				return kiln_cli_fail("%s", err.msg);
			n_keys++;
		}
	}
	if (cli.help) {
		fputs(lock_usage, stdout);
		return 0;
	}
	n = file != NULL ? 0 : (size_t)(argc - optind);
	if ((file == NULL && n == 0) || (file != NULL && optind != argc)) {
		fputs(lock_usage, stderr);
		return 2;
	}
	if (key_path != NULL && kiln_oci_pubkey_load(key_path, &all_key, &err) != KILN_OK)
		return kiln_cli_fail("%s", err.msg);
	if (file != NULL) {
		if (kiln_config_read(file, &cfg, &err) != KILN_OK) {
			rc = kiln_cli_fail("%s", err.msg);
			goto out;
		}
		if (cfg.count == 0) {
			rc = kiln_cli_fail("%s: no extensions to lock", file);
			goto out;
		}
		n = cfg.count;
		if (out == NULL) {
			dirs_out = kiln_config_path(&cfg, "kiln.lock");
			if (dirs_out == NULL) {
				rc = kiln_cli_fail("out of memory");
				goto out;
			}
			out = dirs_out;
		}
	}
	if (out == NULL)
		out = "kiln.lock";
	reqs = calloc(n, sizeof *reqs);
	refs = calloc(n, sizeof *refs);
	yaml_keys = calloc(n, sizeof *yaml_keys);
	if (reqs == NULL || refs == NULL || yaml_keys == NULL) {
		rc = kiln_cli_fail("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && file != NULL; i++) {
		const struct kiln_config_ext *e = &cfg.exts[i];
		struct kiln_oci_ref ref;
		char *kp;
		if (kiln_config_ref(&cfg, e, &ref, &err) != KILN_OK) {
			rc = kiln_cli_fail("%s: %s", e->name, err.msg);
			goto out;
		}
		refs[i] = malloc(KILN_OCI_REF_STRMAX);
		if (refs[i] == NULL) {
			rc = kiln_cli_fail("out of memory");
			goto out;
		}
		kiln_oci_ref_format(&ref, refs[i], KILN_OCI_REF_STRMAX);
		reqs[i].name = e->name;
		reqs[i].reference = refs[i];
		reqs[i].key = key_path ? &all_key : NULL;
		if (e->allow_latest)
			cli.ref_flags |= KILN_OCI_REF_ALLOW_LATEST;
		if (e->key != NULL) {
			kp = kiln_config_path(&cfg, e->key);
			if (kp == NULL || kiln_oci_pubkey_load(kp, &yaml_keys[i], &err) != KILN_OK) {
				rc = kiln_cli_fail("%s:%u:%u: key: %s", cfg.path, e->key_mark.line,
						   e->key_mark.column,
						   kp == NULL ? "out of memory" : err.msg);
				free(kp);
				goto out;
			}
			free(kp);
			reqs[i].key = &yaml_keys[i];
		}
		for (size_t k = 0; k < n_keys; k++)
			if (strlen(e->name) == keys[k].name_len &&
			    strncmp(e->name, keys[k].name, keys[k].name_len) == 0)
				reqs[i].key = &keys[k].key;
	}
	for (size_t i = 0; i < n && file == NULL; i++) {
		char *arg = argv[optind + (int)i], *eq = strchr(arg, '=');
		if (eq == NULL || eq == arg) {
			fprintf(stderr, "kiln: \"%s\": expected NAME=REF\n", arg);
			rc = 2;
			goto out;
		}
		*eq = '\0';
		reqs[i].name = arg;
		reqs[i].reference = eq + 1;
		reqs[i].key = key_path ? &all_key : NULL;
		for (size_t k = 0; k < n_keys; k++)
			if (strlen(arg) == keys[k].name_len &&
			    strncmp(arg, keys[k].name, keys[k].name_len) == 0)
				reqs[i].key = &keys[k].key;
	}
	if ((rc = oci_cli_wasm2c_version(version, sizeof version)) != 0 ||
	    (rc = oci_cli_client(&cli, &c)) != 0)
		goto out;
	if (kiln_oci_lock_resolve(c, reqs, n, cli.ref_flags, version, &lock, &err) != KILN_OK) {
		rc = kiln_cli_fail("%s", err.msg);
		goto out;
	}
	/* The lock keeps references as kiln.yaml writes them, not as they were
	 * pulled from here (a layout directory relative to kiln.yaml). */
	for (size_t i = 0; i < lock.count && file != NULL; i++) {
		struct kiln_oci_ref ref;
		if (kiln_oci_ref_parse(cfg.exts[i].ref, KILN_OCI_REF_ALLOW_LATEST, &ref, &err) !=
		    KILN_OK) {
			rc = kiln_cli_fail("%s", err.msg);
			goto out;
		}
		kiln_oci_ref_format(&ref, lock.entries[i].reference,
				    sizeof lock.entries[i].reference);
	}
	if (kiln_oci_lock_write(out, &lock, &err) != KILN_OK) {
		rc = kiln_cli_fail("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < lock.count; i++) {
		char d[KILN_DIGEST_STRLEN + 1];
		kiln_digest_format(&lock.entries[i].manifest.digest, d);
		printf("%s %s %s\n", lock.entries[i].name, lock.entries[i].reference, d);
	}
out:
	kiln_oci_lock_release(&lock);
	kiln_oci_client_free(c);
	for (size_t i = 0; refs != NULL && i < n; i++)
		free(refs[i]);
	free(refs);
	free(yaml_keys);
	free(reqs);
	free(dirs_out);
	kiln_config_release(&cfg);
	return rc;
}
