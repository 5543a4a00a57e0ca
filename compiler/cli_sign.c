/*
 * cli_sign.c — `kiln keygen`, `kiln sign` and `kiln verify`: Ed25519
 * signatures in the cosign simple-signing format.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_oci.h"

static const char keygen_usage[] =
	"usage: kiln keygen [-o PREFIX]\n"
	"\n"
	"Make an Ed25519 key pair: PREFIX.key, the private key as unencrypted PKCS#8\n"
	"PEM (mode 0600), and PREFIX.pub, the public key as SPKI PEM (both the forms\n"
	"`openssl genpkey -algorithm ed25519` uses).  PREFIX defaults to \"kiln\".\n"
	"Existing files are never overwritten.  Prints the key id (the SHA-256 of\n"
	"the public key's DER).\n";

static const char sign_usage[] =
	"usage: kiln sign --key KEY [OPTIONS] REF\n"
	"\n"
	"Sign the manifest REF resolves to with the private key KEY (PKCS#8 PEM):\n"
	"a cosign-style simple-signing payload naming the manifest digest, signed\n"
	"with Ed25519, stored as a manifest tagged sha256-<hex>.sig next to the\n"
	"artifact (signatures by other keys already there are kept).\n"
	"\n"
	"options:\n"
	"  --key KEY                 the private key (required)\n" OCI_CLI_OPTIONS_HELP;

static const char verify_usage[] =
	"usage: kiln verify --key PUB [OPTIONS] REF\n"
	"\n"
	"Check that the manifest REF resolves to carries a valid signature by the\n"
	"public key PUB (SPKI PEM).  Exit status 0 only when it does; a missing or\n"
	"bad signature is reported as such.\n"
	"\n"
	"options:\n"
	"  --key PUB                 the public key (required)\n"
	"  --offline                 read only the store\n" OCI_CLI_OPTIONS_HELP;

int kiln_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *prefix = "kiln";
	char skp[4096], pkp[4096], id[KILN_DIGEST_STRLEN + 1];
	struct kiln_oci_pubkey pk;
	struct kiln_err err = {0};
	int opt;

	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(keygen_usage, stdout);
			return 0;
		}
		if (opt != 'o')
			return 2;
		prefix = optarg;
	}
	if (optind != argc) {
		fputs(keygen_usage, stderr);
		return 2;
	}
	if ((size_t)snprintf(skp, sizeof skp, "%s.key", prefix) >= sizeof skp ||
	    (size_t)snprintf(pkp, sizeof pkp, "%s.pub", prefix) >= sizeof pkp)
		return kiln_cli_fail("prefix too long");
	if (kiln_oci_global_init(&err) != KILN_OK || kiln_oci_keygen(skp, pkp, &err) != KILN_OK ||
	    kiln_oci_pubkey_load(pkp, &pk, &err) != KILN_OK)
		return kiln_cli_fail("%s", err.msg);
	kiln_digest_format(&pk.id, id);
	printf("private %s\npublic %s\nkey %s\n", skp, pkp, id);
	return 0;
}

static int sign_or_verify(int argc, char **argv, int sign)
{
	static const struct option opts[] = {
		OCI_CLI_OPTIONS,
		{"key", required_argument, NULL, OPT_KEY},
		{"offline", no_argument, NULL, OPT_OFFLINE},
		{NULL, 0, NULL, 0},
	};
	const char *usage = sign ? sign_usage : verify_usage;
	struct kiln_oci_signature_info info;
	struct kiln_oci_descriptor man;
	struct kiln_oci_client *c = NULL;
	struct kiln_oci_seckey *sk = NULL;
	struct kiln_oci_pubkey pk;
	struct kiln_oci_ref ref;
	struct kiln_err err = {0};
	struct oci_cli cli;
	const char *key_path = NULL;
	char d[KILN_DIGEST_STRLEN + 1], k[KILN_DIGEST_STRLEN + 1];
	int opt, rc = 1;

	oci_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int r = oci_cli_option(&cli, opt, optarg);
		if (r == 2)
			return 2;
		if (r == 1 && opt == OPT_KEY)
			key_path = optarg;
	}
	if (cli.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc - optind != 1 || key_path == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	if (oci_cli_ref(&cli, argv[optind], &ref) != 0 || oci_cli_client(&cli, &c) != 0)
		return 1;
	if (sign) {
		if (kiln_oci_seckey_load(key_path, &sk, &err) == KILN_OK &&
		    kiln_oci_sign(c, &ref, sk, &info, &err) == KILN_OK) {
			kiln_digest_format(&info.payload, d);
			kiln_digest_format(&info.key, k);
			printf("payload %s\nkey %s\n", d, k);
			rc = 0;
		}
	} else if (kiln_oci_pubkey_load(key_path, &pk, &err) == KILN_OK &&
		   kiln_oci_verify(c, &ref, &pk, &man, &info, &err) == KILN_OK) {
		kiln_digest_format(&man.digest, d);
		kiln_digest_format(&info.key, k);
		printf("verified %s\nkey %s\n", d, k);
		rc = 0;
	}
	if (rc != 0)
		kiln_cli_fail("%s", err.msg);
	kiln_oci_seckey_free(sk);
	kiln_oci_client_free(c);
	return rc;
}

int kiln_cmd_sign(int argc, char **argv)
{
	return sign_or_verify(argc, argv, 1);
}

int kiln_cmd_verify(int argc, char **argv)
{
	return sign_or_verify(argc, argv, 0);
}
