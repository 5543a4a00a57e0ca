/*
 * host.c — the test host of the check-bake suite, linked with whatever
 * `kiln bake` produced.  It reaches extensions only through the registry:
 *
 *   host list                     every baked extension: name reference digests
 *   host grants NAME              the grants kiln.yaml gave NAME
 *   host call NAME EXPORT A B     call EXPORT(i32 A, i32 B) -> i32 under NAME's grants
 *   host spin NAME [FUEL]         call spin(); with FUEL, override the fuel grant in code
 *   host missing NAME             exit 0 when NAME is not baked in
 *   host hello NAME               call hello() and print the engine's log lines
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_rt.h"

static const char *stdio_name(enum kiln_wasi_stdio_kind k)
{
	switch (k) {
	case KILN_WASI_STDIO_NULL: return "null";
	case KILN_WASI_STDIO_INHERIT: return "inherit";
	case KILN_WASI_STDIO_FILE: return "file";
	case KILN_WASI_STDIO_CAPTURE: return "capture";
	case KILN_WASI_STDIO_LOG: return "log";
	}
	return "?";
}

static void print_grants(const struct kiln_extension *ext)
{
	const struct kiln_grants *g = ext->grants;
	const struct kiln_wasi_grants *w = &g->wasi;
	printf("fuel_per_call %llu\n", (unsigned long long)g->fuel_per_call);
	printf("fuel_instantiate %llu\n", (unsigned long long)g->fuel_instantiate);
	printf("memory %llu\n", (unsigned long long)g->memory_cap_bytes);
	printf("soft_ns %llu\n", (unsigned long long)g->soft_deadline_ns);
	printf("hard_ns %llu\n", (unsigned long long)g->hard_deadline_ns);
	for (size_t i = 0; i < w->nargs; i++)
		printf("arg %s\n", w->args[i]);
	for (size_t i = 0; i < w->nenv; i++)
		printf("env %s\n", w->env[i]);
	for (size_t i = 0; i < w->nenv_inherit; i++)
		printf("env_inherit %s\n", w->env_inherit[i]);
	for (size_t i = 0; i < w->nmounts; i++)
		printf("mount %s %s %s\n", w->mounts[i].host_path, w->mounts[i].guest_path,
		       w->mounts[i].writable ? "rw" : "ro");
	for (int fd = 0; fd < 3; fd++)
		printf("stdio %d %s%s%s\n", fd, stdio_name(w->stdio[fd].kind),
		       w->stdio[fd].path ? " " : "", w->stdio[fd].path ? w->stdio[fd].path : "");
	printf("clocks %d %d random %d\n", w->clock_realtime, w->clock_monotonic, w->random);
#ifdef KILN_CONFIG_ENOTFOUND /* the runtime has the kiln host API */
	for (size_t i = 0; i < g->nconfig; i++)
		printf("config %s=%s\n", g->config[i].key, g->config[i].value);
#endif
}

static void print_log(void *user, enum kiln_log_level level, const char *msg)
{
	(void)user;
	printf("log %d %s\n", (int)level, msg);
}

int main(int argc, char **argv)
{
	struct kiln_engine_config cfg = {.log = print_log};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst = NULL;
	struct kiln_err err = {0, ""};
	const struct kiln_extension *ext = NULL;
	int status = 1;

	if (argc < 2)
		return 2;
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK) {
		fprintf(stderr, "host: %s\n", err.msg);
		return 1;
	}
	if (strcmp(argv[1], "list") == 0) {
		printf("%zu\n", kiln_extension_count(eng));
		for (size_t i = 0; (ext = kiln_extension_at(eng, i)) != NULL; i++)
			printf("%s %s %s %s\n", ext->name, ext->reference, ext->manifest_digest,
			       ext->wasm_digest);
		status = kiln_extension_at(eng, kiln_extension_count(eng)) == NULL ? 0 : 1;
		goto out;
	}
	if (argc < 3)
		goto out;
	ext = kiln_extension_find(eng, argv[2]);
	if (strcmp(argv[1], "missing") == 0) {
		status = ext == NULL ? 0 : 1;
		goto out;
	}
	if (ext == NULL) {
		fprintf(stderr, "host: no extension %s\n", argv[2]);
		goto out;
	}
	if (strcmp(argv[1], "grants") == 0) {
		print_grants(ext);
		status = 0;
	} else if (strcmp(argv[1], "call") == 0 && argc == 6) {
		struct kiln_val args[2] = {{KILN_I32, {.i32 = (uint32_t)strtol(argv[4], NULL, 10)}},
					   {KILN_I32, {.i32 = (uint32_t)strtol(argv[5], NULL, 10)}}};
		struct kiln_val res;
		if (kiln_instance_new(eng, ext, NULL, &inst, &err) != KILN_OK ||
		    kiln_instance_call(inst, argv[3], args, 2, &res, 1, &err) != KILN_OK) {
			fprintf(stderr, "host: %s\n", err.msg);
			goto out;
		}
		printf("%s(%s, %s) = %d\n", argv[3], argv[4], argv[5], (int32_t)res.of.i32);
		status = 0;
	} else if (strcmp(argv[1], "hello") == 0) {
		if (kiln_instance_new(eng, ext, NULL, &inst, &err) != KILN_OK ||
		    kiln_instance_call(inst, "hello", NULL, 0, NULL, 0, &err) != KILN_OK) {
			fprintf(stderr, "host: %s\n", err.msg);
			goto out;
		}
		status = 0;
	} else if (strcmp(argv[1], "spin") == 0) {
		struct kiln_grants g = *ext->grants; /* kiln.yaml's, overridden in code */
		if (argc > 3)
			g.fuel_per_call = strtoull(argv[3], NULL, 10);
		if (kiln_instance_new(eng, ext, &g, &inst, &err) != KILN_OK) {
			fprintf(stderr, "host: %s\n", err.msg);
			goto out;
		}
		if (kiln_instance_call(inst, "spin", NULL, 0, NULL, 0, &err) == KILN_ETRAP) {
			printf("trap: %s after %llu fuel\n",
			       kiln_trap_kind_name(kiln_instance_trap(inst, NULL)),
			       (unsigned long long)kiln_instance_fuel_consumed(inst));
			status = 0;
		} else {
			fprintf(stderr, "host: spin did not trap: %s\n", err.msg);
		}
	}
out:
	kiln_instance_free(inst);
	kiln_engine_free(eng);
	return status;
}
