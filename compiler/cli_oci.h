/*
 * cli_oci.h — what the OCI verbs (pull, push, mirror, lock, keygen, sign,
 * verify, store) share: registry options, the progress bar, and finding
 * the wasm2c version.  Internal to compiler/.
 */
#ifndef KILN_CLI_OCI_H
#define KILN_CLI_OCI_H

#include <getopt.h>

#include "kiln_oci.h"

#define OCI_CLI_MAX_LIST 32

/* Long-only option codes shared by the verbs. */
enum {
	OPT_STORE = 256,
	OPT_INSECURE,
	OPT_RESOLVE,
	OPT_AUTH_FILE,
	OPT_CA_FILE,
	OPT_RETRIES,
	OPT_TIMEOUT,
	OPT_MAX_BLOB,
	OPT_ALLOW_LATEST,
	OPT_OFFLINE,
	OPT_KEY,
	OPT_HELP,
	OPT_VERB_FIRST, /* verbs number their own options from here */
};

/* The options every verb that talks to registries accepts. */
#define OCI_CLI_OPTIONS                                                   \
	{"store", required_argument, NULL, OPT_STORE},                    \
	{"insecure-registry", required_argument, NULL, OPT_INSECURE},     \
	{"resolve", required_argument, NULL, OPT_RESOLVE},                \
	{"auth-file", required_argument, NULL, OPT_AUTH_FILE},            \
	{"ca-file", required_argument, NULL, OPT_CA_FILE},                \
	{"retries", required_argument, NULL, OPT_RETRIES},                \
	{"timeout", required_argument, NULL, OPT_TIMEOUT},                \
	{"max-blob-size", required_argument, NULL, OPT_MAX_BLOB},         \
	{"allow-latest", no_argument, NULL, OPT_ALLOW_LATEST},            \
	{"help", no_argument, NULL, OPT_HELP}

/* Help text for OCI_CLI_OPTIONS, for each verb's usage. */
#define OCI_CLI_OPTIONS_HELP                                                          \
	"  --store DIR               content-addressed store (default\n"                 \
	"                            $XDG_CACHE_HOME/kiln or ~/.cache/kiln)\n"            \
	"  --insecure-registry HOST  talk plain HTTP to HOST[:PORT] (loopback always may)\n" \
	"  --resolve HOST:PORT:ADDR  connect to ADDR for HOST:PORT (like curl --resolve)\n" \
	"  --auth-file FILE          credentials, {\"auths\":{HOST:{\"auth\":base64}}}\n"  \
	"                            (default $KILN_AUTH_FILE; or set\n"                  \
	"                            KILN_REGISTRY_USERNAME and KILN_REGISTRY_PASSWORD)\n" \
	"  --ca-file FILE            trust these CA certificates instead of the system's\n" \
	"  --retries N               retries on 429, 5xx and network errors (default 3)\n" \
	"  --timeout SECONDS         give up on a stalled transfer (default 30)\n"        \
	"  --max-blob-size BYTES     largest wasm layer accepted, K/M/G suffixes\n"       \
	"                            (default 256M)\n"                                     \
	"  --allow-latest            accept an unpinned \"latest\" reference\n"          \
	"  --help                    show this text\n"

struct oci_cli {
	struct kiln_oci_options o;
	const char *insecure[OCI_CLI_MAX_LIST];
	const char *resolve[OCI_CLI_MAX_LIST];
	unsigned ref_flags;
	int help;
	/* the progress bar's state */
	struct kiln_digest bar_blob;
	double bar_start, bar_last;
};

void oci_cli_init(struct oci_cli *cli);

/**
 * Handle option @opt (a getopt_long result) if it is one of
 * OCI_CLI_OPTIONS.  Returns 0 when handled, 1 when the verb must handle
 * it, 2 after printing a usage error.
 */
int oci_cli_option(struct oci_cli *cli, int opt, const char *arg);

/** Make the client (progress bar only when stderr is a terminal);
 *  prints the error and returns non-zero on failure. */
int oci_cli_client(struct oci_cli *cli, struct kiln_oci_client **out);

/** Parse a reference with the verb's flags; prints the error. */
int oci_cli_ref(const struct oci_cli *cli, const char *text, struct kiln_oci_ref *ref);

/** The version of wasm2c ($KILN_WASM2C or wasm2c on PATH); prints the
 *  error and returns non-zero when it cannot be run. */
int oci_cli_wasm2c_version(char *buf, size_t cap);

/** Print "manifest ...", "layer ..." and (if set) "path ..." lines. */
void oci_cli_print_artifact(const struct kiln_oci_artifact *a);

#endif
