/*
 * Tests for compiler/inspect.c: .kiln.meta documents read back from objects
 * built here with cc — padding between documents, several sections, no
 * section, and damaged files (which must be errors, never crashes).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "unit.h"

static char dir[] = "/tmp/kiln-inspect-test-XXXXXX";

static int run(char *const argv[])
{
	struct kiln_proc p;
	struct kiln_err err;
	int rc = kiln_spawn(argv, dir, &p, &err);
	if (rc != KILN_OK)
		return -1;
	if (p.status != 0)
		fprintf(stderr, "\n  %s: %s%s", argv[0], p.out, p.errout);
	rc = p.status;
	kiln_proc_release(&p);
	return rc;
}

static int write_text(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int setup(void)
{
	char *cc1[] = {"cc", "-c", "meta.c", "-o", "meta.o", NULL};
	char *cc2[] = {"cc", "-c", "plain.c", "-o", "plain.o", NULL};
	char *ld[] = {"cc", "-o", "linked", "meta.o", "main.c", NULL};
	if (mkdtemp(dir) == NULL)
		return -1;
	/* two documents in one object, over-aligned so that padding separates
	 * them, plus a section holding only NUL bytes */
	if (write_text("meta.c",
		       "__attribute__((section(\".kiln.meta\"), used, aligned(64)))\n"
		       "static const char a[] = \"{\\\"name\\\":\\\"a\\\"}\";\n"
		       "__attribute__((section(\".kiln.meta\"), used, aligned(64)))\n"
		       "static const char b[] = \"{\\\"name\\\":\\\"b\\\"}\";\n"
		       "__attribute__((section(\".kiln.meta\"), used))\n"
		       "static const char z[8] = {0};\n"
		       "int meta_anchor;\n") != 0 ||
	    write_text("plain.c", "int plain(void) { return 1; }\n") != 0 ||
	    write_text("main.c", "extern int meta_anchor;\n"
				 "int main(void) { return meta_anchor; }\n") != 0)
		return -1;
	return run(cc1) == 0 && run(cc2) == 0 && run(ld) == 0 ? 0 : -1;
}

static int teardown(void)
{
	char *rm[] = {"rm", "-rf", dir, NULL};
	return run(rm) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void test_object_and_binary(void)
{
	struct kiln_meta_docs d;
	struct kiln_err err;
	const char *files[] = {"meta.o", "linked"};
	for (size_t i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(kiln_meta_read(path_of(files[i]), &d, &err), KILN_OK);
		CU_ASSERT_EQUAL(d.count, 2);
		if (d.count == 2) {
			CU_ASSERT_STRING_EQUAL(d.docs[0], "{\"name\":\"a\"}");
			CU_ASSERT_STRING_EQUAL(d.docs[1], "{\"name\":\"b\"}");
		}
		kiln_meta_docs_release(&d);
		CU_ASSERT_PTR_NULL(d.docs);
	}
}

static void test_errors(void)
{
	struct kiln_meta_docs d;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_meta_read(path_of("plain.o"), &d, &err), KILN_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no .kiln.meta section"));
	CU_ASSERT_EQUAL(kiln_meta_read(path_of("meta.c"), &d, &err), KILN_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not an ELF file"));
	CU_ASSERT_EQUAL(kiln_meta_read(path_of("missing.o"), &d, &err), KILN_EIO);
	CU_ASSERT_EQUAL(kiln_meta_read(dir, &d, &err) != KILN_OK, 1);
	CU_ASSERT_EQUAL(d.count, 0);
}

/* Prefixes of an object and every single-byte corruption of it
 * is an error or a clean read, never a crash. */
static void test_damaged(void)
{
	FILE *f = fopen(path_of("meta.o"), "rb");
	uint8_t *buf;
	long len;
	char *dmg;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL_FATAL(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	dmg = strdup(path_of("damaged.o"));
	for (long cut = 0; cut < len; cut += len / 97 + 1) {
		struct kiln_meta_docs d;
		struct kiln_err err;
		FILE *o = fopen(dmg, "wb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		fwrite(buf, 1, (size_t)cut, o);
		fclose(o);
		if (kiln_meta_read(dmg, &d, &err) == KILN_OK)
			kiln_meta_docs_release(&d);
	}
	for (long at = 0; at < len; at++) {
		struct kiln_meta_docs d;
		struct kiln_err err;
		FILE *o = fopen(dmg, "wb");
		uint8_t saved = buf[at];
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		buf[at] = (uint8_t)(saved ^ 0xff);
		fwrite(buf, 1, (size_t)len, o);
		fclose(o);
		buf[at] = saved;
		if (kiln_meta_read(dmg, &d, &err) == KILN_OK)
			kiln_meta_docs_release(&d);
	}
	free(dmg);
	free(buf);
}

void kiln_test_inspect(void)
{
	CU_pSuite s = CU_add_suite("inspect", setup, teardown);
	CU_add_test(s, "object_and_binary", test_object_and_binary);
	CU_add_test(s, "errors", test_errors);
	CU_add_test(s, "damaged", test_damaged);
}
