/*
 * cli_push.c — `kiln push` (package a core module as an OCI artifact) and
 * `kiln mirror` (copy a verified artifact and its signature elsewhere).
 */
#include <stdio.h>

#include "cli.h"
#include "cli_oci.h"

enum { OPT_ANNOTATION = OPT_VERB_FIRST, OPT_CREATED };

static const char push_usage[] =
	"usage: kiln push [OPTIONS] EXT.wasm REF\n"
	"\n"
	"Package the WebAssembly core module EXT.wasm as an OCI artifact (CNCF wasm\n"
	"layout: an application/vnd.wasm.config.v0+json config and one\n"
	"application/wasm layer) and push it to REF, a registry reference\n"
	"HOST[:PORT]/REPOSITORY:TAG or an image-layout directory oci-layout:DIR:TAG.\n"
	"The manifest carries org.opencontainers.image.created, .title and .version\n"
	"annotations.  Prints the manifest and layer digests.\n"
	"\n"
	"options:\n"
	"  --annotation KEY=VALUE    add a manifest annotation (repeatable)\n"
	"  --created RFC3339         creation time (default $SOURCE_DATE_EPOCH or now)\n"
	OCI_CLI_OPTIONS_HELP;

static const char mirror_usage[] =
	"usage: kiln mirror [OPTIONS] SRC DST\n"
	"\n"
	"Pull SRC (verifying every digest), then copy the same bytes, and its\n"
	"signature if it has one, to DST: a registry or oci-layout:DIR reference.\n"
	"DST keeps SRC's tag unless it names its own.  Digests do not change.\n"
	"\n"
	"options:\n"
	"  --offline                 read SRC from the store only\n" OCI_CLI_OPTIONS_HELP;

int kiln_cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		OCI_CLI_OPTIONS,
		{"annotation", required_argument, NULL, OPT_ANNOTATION},
		{"created", required_argument, NULL, OPT_CREATED},
		{NULL, 0, NULL, 0},
	};
	const char *anns[OCI_CLI_MAX_LIST];
	struct kiln_oci_push_options po = {anns, 0, NULL};
	struct kiln_oci_artifact a;
	struct kiln_oci_client *c = NULL;
	struct kiln_oci_ref ref;
	struct kiln_err err = {0};
	struct oci_cli cli;
	int opt, rc;

	oci_cli_init(&cli);
	/* Pushing "latest" is fine: it is pulling it unpinned that is not. */
	cli.ref_flags |= KILN_OCI_REF_ALLOW_LATEST;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int r = oci_cli_option(&cli, opt, optarg);
		if (r == 2)
			return 2;
		if (r == 0)
			continue;
		if (opt == OPT_ANNOTATION) {
			if (po.n_annotations == OCI_CLI_MAX_LIST) {
				fprintf(stderr, "kiln: too many --annotation options\n");
				return 2;
			}
			anns[po.n_annotations++] = optarg;
		} else if (opt == OPT_CREATED) {
			po.created = optarg;
		}
	}
	if (cli.help) {
		fputs(push_usage, stdout);
		return 0;
	}
	if (argc - optind != 2) {
		fputs(push_usage, stderr);
		return 2;
	}
	if (oci_cli_ref(&cli, argv[optind + 1], &ref) != 0 || oci_cli_client(&cli, &c) != 0)
		return 1;
	rc = kiln_oci_push_wasm(c, argv[optind], &ref, &po, &a, &err);
	if (rc == KILN_OK)
		oci_cli_print_artifact(&a);
	else
		kiln_cli_fail("%s", err.msg);
	kiln_oci_client_free(c);
	return rc == KILN_OK ? 0 : 1;
}

int kiln_cmd_mirror(int argc, char **argv)
{
	static const struct option opts[] = {
		OCI_CLI_OPTIONS,
		{"offline", no_argument, NULL, OPT_OFFLINE},
		{NULL, 0, NULL, 0},
	};
	struct kiln_oci_artifact a;
	struct kiln_oci_client *c = NULL;
	struct kiln_oci_ref src, dst;
	struct kiln_err err = {0};
	struct oci_cli cli;
	int opt, rc;

	oci_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (oci_cli_option(&cli, opt, optarg) == 2)
			return 2;
	if (cli.help) {
		fputs(mirror_usage, stdout);
		return 0;
	}
	if (argc - optind != 2) {
		fputs(mirror_usage, stderr);
		return 2;
	}
	if (oci_cli_ref(&cli, argv[optind], &src) != 0)
		return 1;
	/* The destination is written, not read: its tag needs no pin, and
	 * without one it takes the source's. */
	cli.ref_flags |= KILN_OCI_REF_ALLOW_LATEST | KILN_OCI_REF_ALLOW_UNTAGGED;
	if (oci_cli_ref(&cli, argv[optind + 1], &dst) != 0 || oci_cli_client(&cli, &c) != 0)
		return 1;
	rc = kiln_oci_copy(c, &src, &dst, &a, &err);
	if (rc == KILN_OK) {
		a.path[0] = '\0';
		oci_cli_print_artifact(&a);
	} else {
		kiln_cli_fail("%s", err.msg);
	}
	kiln_oci_client_free(c);
	return rc == KILN_OK ? 0 : 1;
}
