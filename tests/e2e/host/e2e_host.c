/*
 * e2e_host.c — a small host for the end-to-end suite.  Linked with one
 * object compiled with `--name ext`, it calls exports through the
 * kiln_module_desc (examples/host/interim_rt.h), with arguments parsed from
 * the command line by the export's parameter types:
 *
 *   e2e-host [--fuel N] [--show-fuel] EXPORT [ARG...]
 *       call EXPORT; print each result as TYPE:VALUE on its own line;
 *       a trap prints "trap: REASON" and exits 3.  The fuel budget is
 *       10^9 unless --fuel says otherwise.
 *   e2e-host --exports     list the exports: NAME KIND NPARAMS NRESULTS
 *   e2e-host --imports     list the import modules, then the imports
 *   e2e-host --desc        print the descriptor's scalar fields
 *
 * Several calls can be chained with "--" between them (same instance).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interim_rt.h"

extern const struct kiln_module_desc kiln_module_ext;
#define DESC (&kiln_module_ext)

static const char *const type_names[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
static const char *const kind_names[] = {"func", "table", "memory", "global"};

static int parse_arg(const char *s, uint8_t type, union kiln_raw *out)
{
	char *end;
	errno = 0;
	switch (type) {
	case KILN_I32:
		out->i32 = (uint32_t)strtoll(s, &end, 0);
		break;
	case KILN_I64:
		out->i64 = s[0] == '-' ? (uint64_t)strtoll(s, &end, 0) : strtoull(s, &end, 0);
		break;
	case KILN_F32:
		out->f32 = strtof(s, &end);
		break;
	case KILN_F64:
		out->f64 = strtod(s, &end);
		break;
	case KILN_EXTERNREF:
		out->externref = strcmp(s, "null") == 0 ? NULL : (void *)(uintptr_t)strtoull(s, &end, 0);
		return strcmp(s, "null") == 0 ? 0 : (*end || errno ? -1 : 0);
	default:
		if (strcmp(s, "null") != 0)
			return -1;
		memset(&out->funcref, 0, sizeof out->funcref);
		return 0;
	}
	return *end != '\0' || errno != 0 ? -1 : 0;
}

static void print_result(uint8_t type, const union kiln_raw *r)
{
	switch (type) {
	case KILN_I32: printf("i32:%" PRId32 "\n", (int32_t)r->i32); break;
	case KILN_I64: printf("i64:%" PRId64 "\n", (int64_t)r->i64); break;
	case KILN_F32: printf("f32:%g\n", (double)r->f32); break;
	case KILN_F64: printf("f64:%g\n", r->f64); break;
	case KILN_EXTERNREF:
		if (r->externref == NULL)
			puts("externref:null");
		else
			printf("externref:%" PRIuPTR "\n", (uintptr_t)r->externref);
		break;
	default:
		printf("funcref:%s\n", r->funcref.func == NULL ? "null" : "func");
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

int main(int argc, char **argv)
{
	struct interim_instance *inst;
	int i = 1, status = 0;
	bool show_fuel = false;

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
	interim_init();
	inst = interim_instantiate(DESC);
	if (inst == NULL)
		return 2;
	if (interim_fuel(inst) != NULL)
		*interim_fuel(inst) = 1000000000; /* a default budget; --fuel sets another */
	while (i < argc) {
		const struct kiln_export_desc *e;
		union kiln_raw args[16], results[16];
		const char *trap;
		uint32_t np;

		for (; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0'; i++) {
			if (strcmp(argv[i], "--fuel") == 0 && i + 1 < argc) {
				uint64_t *fuel = interim_fuel(inst);
				if (fuel == NULL) {
					fprintf(stderr, "e2e-host: no fuel counter\n");
					status = 2;
					goto out;
				}
				*fuel = strtoull(argv[++i], NULL, 0);
			} else if (strcmp(argv[i], "--show-fuel") == 0) {
				show_fuel = true;
			} else {
				fprintf(stderr, "e2e-host: bad option %s\n", argv[i]);
				status = 2;
				goto out;
			}
		}
		if (i >= argc)
			break;
		e = interim_export(inst, argv[i]);
		if (e == NULL || e->kind != KILN_EXTERN_FUNC) {
			fprintf(stderr, "e2e-host: no function export \"%s\"\n", argv[i]);
			status = 2;
			goto out;
		}
		i++;
		np = 0;
		for (; i < argc && strcmp(argv[i], "--") != 0; i++, np++) {
			if (np >= e->nparams || np >= 16 || parse_arg(argv[i], e->types[np], &args[np]) != 0) {
				fprintf(stderr, "e2e-host: bad argument %s\n", argv[i]);
				status = 2;
				goto out;
			}
		}
		if (np != e->nparams || e->nresults > 16) {
			fprintf(stderr, "e2e-host: %s takes %u arguments\n", e->name, e->nparams);
			status = 2;
			goto out;
		}
		if (interim_call(inst, e, args, results, &trap) != 0) {
			printf("trap: %s\n", trap);
			status = 3;
			goto out;
		}
		for (uint32_t k = 0; k < e->nresults; k++)
			print_result(e->types[e->nparams + k], &results[k]);
		if (show_fuel)
			printf("fuel:%" PRId64 "\n", (int64_t)*interim_fuel(inst));
		if (i < argc)
			i++; /* the "--" */
	}
out:
	interim_free(inst);
	return status;
}
