/*
 * e2e_host.c — a small host for the end-to-end suite.  Linked with one
 * object compiled with `--name ext` and libkiln-rt, it calls exports through
 * the runtime's generic API (kiln_instance_export + kiln_instance_invoke),
 * with arguments parsed from the command line by the export's parameter
 * types:
 *
 *   e2e-host [--fuel N] [--show-fuel] EXPORT [ARG...]
 *       call EXPORT; print each result as TYPE:VALUE on its own line;
 *       a trap prints "trap: KIND" (kiln_trap_kind_name) and exits 3.  Each
 *       call starts with a budget of 10^9 fuel units unless --fuel says
 *       otherwise; --show-fuel prints what the call left as "fuel:N".
 *   e2e-host --exports     list the exports: NAME KIND NPARAMS NRESULTS
 *   e2e-host --imports     list the import modules, then the imports
 *   e2e-host --desc        print the descriptor's scalar fields
 *
 * Several calls can be chained with "--" between them (same instance).
 * The grants lift every limit but fuel, so that what a test sees is the
 * module's own (compiled-in) memory cap.
 *
 * Besides the runtime's own import modules it serves "env" and "zed", one
 * function each, add(i32, i32) -> i32, which traps (kind "host function")
 * unless it is called with its own module's context, and env.table, a
 * funcref table of 4 made by the host.  When instantiation traps, the host
 * prints "instantiate: trap: KIND" and how many entries of env.table are
 * set, and exits 4.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-rt.h>

#include "kiln_rt.h"

extern const struct kiln_module_desc kiln_module_ext;
#define DESC (&kiln_module_ext)
#define DEFAULT_FUEL 1000000000ull
#define MAX_VALUES 16

static const char *const type_names[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
static const char *const kind_names[] = {"func", "table", "memory", "global"};

/* ---- import modules "env" and "zed" ---- */

static char env_ctx, zed_ctx;
static wasm_rt_funcref_table_t env_table;

uint32_t Z_envZ_add(void *ctx, uint32_t a, uint32_t b);
uint32_t Z_zedZ_add(void *ctx, uint32_t a, uint32_t b);
wasm_rt_funcref_table_t *Z_envZ_table(void *ctx);

wasm_rt_funcref_table_t *Z_envZ_table(void *ctx)
{
	(void)ctx;
	return &env_table;
}

uint32_t Z_envZ_add(void *ctx, uint32_t a, uint32_t b)
{
	if (ctx != &env_ctx)
		kiln_trap_raise(KILN_TRAP_HOST);
	return a + b;
}

uint32_t Z_zedZ_add(void *ctx, uint32_t a, uint32_t b)
{
	if (ctx != &zed_ctx)
		kiln_trap_raise(KILN_TRAP_HOST);
	return a + b;
}

static void *resolve(void *user, struct kiln_instance *inst, const char *module,
		     struct kiln_err *err)
{
	(void)user;
	(void)inst;
	if (strcmp(module, "env") == 0)
		return &env_ctx;
	if (strcmp(module, "zed") == 0)
		return &zed_ctx;
	kiln_err_set(err, KILN_ELINK, "the e2e host has no module \"%s\"", module);
	return NULL;
}

static int parse_arg(const char *s, uint8_t type, struct kiln_val *out)
{
	char *end;
	errno = 0;
	out->type = (enum kiln_valtype)type;
	switch (type) {
	case KILN_I32:
		out->of.i32 = (uint32_t)strtoll(s, &end, 0);
		break;
	case KILN_I64:
		out->of.i64 = s[0] == '-' ? (uint64_t)strtoll(s, &end, 0) : strtoull(s, &end, 0);
		break;
	case KILN_F32:
		out->of.f32 = strtof(s, &end);
		break;
	case KILN_F64:
		out->of.f64 = strtod(s, &end);
		break;
	case KILN_EXTERNREF:
		if (strcmp(s, "null") == 0) {
			out->of.externref = NULL;
			return 0;
		}
		out->of.externref = (void *)(uintptr_t)strtoull(s, &end, 0);
		break;
	default:
		if (strcmp(s, "null") != 0)
			return -1;
		memset(&out->of.funcref, 0, sizeof out->of.funcref);
		return 0;
	}
	return *end != '\0' || errno != 0 ? -1 : 0;
}

static void print_result(const struct kiln_val *r)
{
	switch (r->type) {
	case KILN_I32: printf("i32:%" PRId32 "\n", (int32_t)r->of.i32); break;
	case KILN_I64: printf("i64:%" PRId64 "\n", (int64_t)r->of.i64); break;
	case KILN_F32: printf("f32:%g\n", (double)r->of.f32); break;
	case KILN_F64: printf("f64:%g\n", r->of.f64); break;
	case KILN_EXTERNREF:
		if (r->of.externref == NULL)
			puts("externref:null");
		else
			printf("externref:%" PRIuPTR "\n", (uintptr_t)r->of.externref);
		break;
	default:
		printf("funcref:%s\n", r->of.funcref.func == NULL ? "null" : "func");
		break;
	}
}

static void list(void)
{
	for (uint32_t i = 0; i < DESC->nexports; i++) {
		const struct kiln_export_desc *e = &DESC->exports[i];
		/* functions: params then results; globals and tables: one type */
		uint32_t ntypes = e->kind == KILN_EXTERN_FUNC ? e->nparams + e->nresults
							       : e->types != NULL;
		printf("%s %s %u %u", e->name, kind_names[e->kind], e->nparams, e->nresults);
		for (uint32_t k = 0; k < ntypes; k++)
			printf(" %s", type_names[e->types[k]]);
		putchar('\n');
	}
}

static void imports(void)
{
	for (uint32_t i = 0; i < DESC->nimport_modules; i++)
		printf("module %s\n", DESC->import_modules[i]);
	for (uint32_t i = 0; i < DESC->nimports; i++) {
		const struct kiln_import_desc *d = &DESC->imports[i];
		printf("import %s.%s %s %u %u\n", d->module, d->name, kind_names[d->kind],
		       d->nparams, d->nresults);
	}
}

static void desc(void)
{
	printf("name %s\nabi %u\nfuel %s\nmemory %s\ncap_pages %u\ninstance_size_nonzero %d\n",
	       DESC->name, DESC->abi_version, DESC->fuel ? "yes" : "no",
	       DESC->memory ? "yes" : "no", DESC->memory_cap_pages, DESC->instance_size > 0);
	printf("sha256 ");
	for (int i = 0; i < 32; i++)
		printf("%02x", DESC->wasm_sha256[i]);
	printf("\nmeta %s\n", DESC->meta_json);
}

/* Run the chain of calls in argv[i..]; returns the exit status. */
static int run(struct kiln_instance *inst, int i, int argc, char **argv)
{
	bool show_fuel = false;

	while (i < argc) {
		const struct kiln_export_desc *e;
		struct kiln_val args[MAX_VALUES], results[MAX_VALUES];
		struct kiln_err err;
		uint32_t np;
		int rc;

		for (; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0'; i++) {
			if (strcmp(argv[i], "--fuel") == 0 && i + 1 < argc) {
				if (!kiln_instance_fuel_metered(inst)) {
					fprintf(stderr, "e2e-host: no fuel counter\n");
					return 2;
				}
				kiln_instance_set_fuel(inst, strtoull(argv[++i], NULL, 0));
			} else if (strcmp(argv[i], "--show-fuel") == 0) {
				show_fuel = true;
			} else {
				fprintf(stderr, "e2e-host: bad option %s\n", argv[i]);
				return 2;
			}
		}
		if (i >= argc)
			break;
		e = kiln_instance_export(inst, argv[i]);
		if (e == NULL || e->kind != KILN_EXTERN_FUNC) {
			fprintf(stderr, "e2e-host: no function export \"%s\"\n", argv[i]);
			return 2;
		}
		i++;
		np = 0;
		for (; i < argc && strcmp(argv[i], "--") != 0; i++, np++) {
			if (np >= e->nparams || np >= MAX_VALUES ||
			    parse_arg(argv[i], e->types[np], &args[np]) != 0) {
				fprintf(stderr, "e2e-host: bad argument %s\n", argv[i]);
				return 2;
			}
		}
		if (np != e->nparams || e->nresults > MAX_VALUES) {
			fprintf(stderr, "e2e-host: %s takes %u arguments\n", e->name, e->nparams);
			return 2;
		}
		rc = kiln_instance_invoke(inst, e, args, np, results, e->nresults, &err);
		if (rc == KILN_ETRAP) {
			printf("trap: %s\n", kiln_trap_kind_name(kiln_instance_trap(inst, NULL)));
			return 3;
		}
		if (rc != KILN_OK) {
			fprintf(stderr, "e2e-host: %s\n", err.msg);
			return 2;
		}
		for (uint32_t k = 0; k < e->nresults; k++)
			print_result(&results[k]);
		if (show_fuel)
			printf("fuel:%" PRIu64 "\n", kiln_instance_fuel_remaining(inst));
		if (i < argc)
			i++; /* the "--" */
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct kiln_grants grants = {
		.fuel_per_call = DEFAULT_FUEL,
		.memory_cap_bytes = KILN_UNLIMITED,
		.soft_deadline_ns = KILN_UNLIMITED,
		.hard_deadline_ns = KILN_UNLIMITED,
	};
	static const struct kiln_extension ext = {.name = "ext", .module = DESC};
	const struct kiln_engine_config cfg = {.resolve_import = resolve};
	struct kiln_engine *eng = NULL;
	struct kiln_instance *inst = NULL;
	struct kiln_err err;
	int status = 2, rc;

	if (argc == 2 && strcmp(argv[1], "--exports") == 0) {
		list();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--imports") == 0) {
		imports();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--desc") == 0) {
		desc();
		return 0;
	}
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK) {
		fprintf(stderr, "e2e-host: %s\n", err.msg);
		return 2;
	}
	wasm_rt_allocate_funcref_table(&env_table, 4, 4);
	rc = kiln_instance_new(eng, &ext, &grants, &inst, &err);
	if (rc == KILN_ETRAP) {
		unsigned set = 0;
		for (uint32_t i = 0; i < env_table.size; i++)
			set += env_table.data[i].func != NULL;
		printf("instantiate: trap: %s\nenv.table: %u entries set\n",
		       kiln_trap_kind_name(kiln_trap_last(NULL)), set);
		status = 4;
	} else if (rc != KILN_OK) {
		fprintf(stderr, "e2e-host: %s\n", err.msg);
	} else {
		status = run(inst, 1, argc, argv);
	}
	kiln_instance_free(inst);
	wasm_rt_free_funcref_table(&env_table);
	kiln_engine_free(eng);
	return status;
}
