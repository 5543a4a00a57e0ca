/*
 * cli_store.c — `kiln store verify`: re-hash everything in the store.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_oci.h"

static const char store_usage[] =
	"usage: kiln store verify [--store DIR]\n"
	"       kiln store path [--store DIR]\n"
	"\n"
	"verify  re-hash every blob in the content-addressed store and check every\n"
	"        tag record; print one line per damaged or stray file and a summary.\n"
	"        Exit status 1 when anything is damaged.\n"
	"path    print the store directory.\n"
	"\n"
	"options:\n"
	"  --store DIR   the store (default $XDG_CACHE_HOME/kiln or ~/.cache/kiln)\n";

static void report(void *ctx, const char *path, const char *what)
{
	(void)ctx;
	printf("damaged %s: %s\n", path, what);
}

int kiln_cmd_store(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, OPT_STORE},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	struct kiln_oci_store_report r;
	struct kiln_oci_client *c = NULL;
	struct kiln_err err = {0};
	struct oci_cli cli;
	const char *what;
	int opt, rc;

	oci_cli_init(&cli);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (oci_cli_option(&cli, opt, optarg) != 0)
			return 2;
	if (cli.help) {
		fputs(store_usage, stdout);
		return 0;
	}
	if (argc - optind != 1) {
		fputs(store_usage, stderr);
		return 2;
	}
	what = argv[optind];
	if (strcmp(what, "verify") != 0 && strcmp(what, "path") != 0) {
		fprintf(stderr, "kiln: store: unknown action \"%s\"\n\n%s", what, store_usage);
		return 2;
	}
	cli.o.offline = 1; /* the store needs no network */
	if (oci_cli_client(&cli, &c) != 0)
		return 1;
	if (strcmp(what, "path") == 0) {
		puts(kiln_oci_client_store(c));
		kiln_oci_client_free(c);
		return 0;
	}
	rc = kiln_oci_store_verify(c, report, NULL, &r, &err);
	printf("%zu blobs checked, %zu damaged, %zu stray, %zu temporary\n", r.blobs, r.damaged,
	       r.strays, r.temps);
	if (rc != KILN_OK)
		kiln_cli_fail("%s", err.msg);
	kiln_oci_client_free(c);
	return rc == KILN_OK ? 0 : 1;
}
