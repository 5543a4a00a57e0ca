/*
 * cli.h — the verbs of the `kiln` command (internal to compiler/).
 *
 * Each verb is `int kiln_cmd_<verb>(int argc, char **argv)`: argv[0] is the
 * verb itself, the return value is the process exit status (0 success,
 * 1 failure of the work, 2 bad usage).  Every verb answers --help.
 */
#ifndef KILN_CLI_H
#define KILN_CLI_H

struct kiln_verb {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* The verb table, in compiler/kiln.c. */
extern const struct kiln_verb kiln_verbs[];

/* OCI verbs (cli_pull.c, cli_push.c, cli_sign.c, cli_store.c). */
int kiln_cmd_pull(int argc, char **argv);
int kiln_cmd_lock(int argc, char **argv);
int kiln_cmd_push(int argc, char **argv);
int kiln_cmd_mirror(int argc, char **argv);
int kiln_cmd_keygen(int argc, char **argv);
int kiln_cmd_sign(int argc, char **argv);
int kiln_cmd_verify(int argc, char **argv);
int kiln_cmd_store(int argc, char **argv);
/* Verbs of the compile driver (cli_compile.c, cli_inspect.c,
 * cli_check_imports.c). */
int kiln_cmd_compile(int argc, char **argv);
int kiln_cmd_inspect(int argc, char **argv);
int kiln_cmd_check_imports(int argc, char **argv);
/* The bake (cli_bake.c). */
int kiln_cmd_bake(int argc, char **argv);
int kiln_cmd_verify_binary(int argc, char **argv);
/* `kiln test` (cli_test.c): one CUnit suite per baked extension. */
int kiln_cmd_test(int argc, char **argv);
/* `kiln run` (cli_run.c): its exit status is the guest's, see kiln-run(1). */
int kiln_cmd_run(int argc, char **argv);

/** Print "kiln: " and the message to stderr; returns 1 for `return`. */
int kiln_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
