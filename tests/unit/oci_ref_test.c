/* Tests for oci/ref.c: the reference grammar, table-driven. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "kiln_oci.h"
#include "unit.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG "sha256:" D64

struct good {
	const char *text;
	unsigned flags;
	int kind;
	const char *host, *repo, *dir, *tag;
	int pinned;
	const char *canonical; /* NULL: same as text */
};

static const struct good goods[] = {
	{"registry.example/acme/ext:1.0", 0, KILN_OCI_REF_REGISTRY, "registry.example", "acme/ext",
	 "", "1.0", 0, NULL},
	{"localhost:5000/ext:v1", 0, KILN_OCI_REF_REGISTRY, "localhost:5000", "ext", "", "v1", 0,
	 NULL},
	{"localhost/ext:v1", 0, KILN_OCI_REF_REGISTRY, "localhost", "ext", "", "v1", 0, NULL},
	{"127.0.0.1:5000/a/b/c:v1@" DG, 0, KILN_OCI_REF_REGISTRY, "127.0.0.1:5000", "a/b/c", "",
	 "v1", 1, NULL},
	{"registry.example/ext@" DG, 0, KILN_OCI_REF_REGISTRY, "registry.example", "ext", "", "", 1,
	 NULL},
	{"[::1]:5000/ext:v1", 0, KILN_OCI_REF_REGISTRY, "[::1]:5000", "ext", "", "v1", 0, NULL},
	{"[2001:db8::1]/ext:v1", 0, KILN_OCI_REF_REGISTRY, "[2001:db8::1]", "ext", "", "v1", 0,
	 NULL},
	{"Registry.Example.COM/ext:V1", 0, KILN_OCI_REF_REGISTRY, "Registry.Example.COM", "ext", "",
	 "V1", 0, NULL},
	{"registry:5000/ext:v1", 0, KILN_OCI_REF_REGISTRY, "registry:5000", "ext", "", "v1", 0,
	 NULL},
	{"r.example/a__b/c--d/e.f_g:T_ag-1.2", 0, KILN_OCI_REF_REGISTRY, "r.example",
	 "a__b/c--d/e.f_g", "", "T_ag-1.2", 0, NULL},
	{"r.example/ext:_underscore", 0, KILN_OCI_REF_REGISTRY, "r.example", "ext", "", "_underscore",
	 0, NULL},
	{"r.example/ext:latest", KILN_OCI_REF_ALLOW_LATEST, KILN_OCI_REF_REGISTRY, "r.example", "ext",
	 "", "latest", 0, NULL},
	{"r.example/ext", KILN_OCI_REF_ALLOW_LATEST, KILN_OCI_REF_REGISTRY, "r.example", "ext", "",
	 "latest", 0, "r.example/ext:latest"},
	{"r.example/ext:latest@" DG, 0, KILN_OCI_REF_REGISTRY, "r.example", "ext", "", "latest", 1,
	 NULL},
	{"oci-layout:/tmp/dir:v1", 0, KILN_OCI_REF_LAYOUT, "", "", "/tmp/dir", "v1", 0, NULL},
	{"oci-layout:./d", KILN_OCI_REF_ALLOW_LATEST, KILN_OCI_REF_LAYOUT, "", "", "./d", "latest",
	 0, "oci-layout:./d:latest"},
	{"oci-layout:d@" DG, 0, KILN_OCI_REF_LAYOUT, "", "", "d", "", 1, NULL},
	{"oci-layout:d:v2@" DG, 0, KILN_OCI_REF_LAYOUT, "", "", "d", "v2", 1, NULL},
	{"oci-layout:/a:b/c:v2", 0, KILN_OCI_REF_LAYOUT, "", "", "/a:b/c", "v2", 0, NULL},
	/* registry/principal/scope:revision[@provenance] */
	{"reg.example/acme/ext:1.2.0@" DG, KILN_OCI_REF_REVISION_FORM, KILN_OCI_REF_REGISTRY,
	 "reg.example", "acme/ext", "", "1.2.0", 1, NULL},
	{"reg.example/org/team/ext:2", KILN_OCI_REF_REVISION_FORM, KILN_OCI_REF_REGISTRY,
	 "reg.example", "org/team/ext", "", "2", 0, NULL},
};

struct bad {
	const char *text;
	unsigned flags;
	const char *needle; /* must appear in the message */
};

static const struct bad bads[] = {
	{"", 0, "empty reference"},
	{"ubuntu:22.04", 0, "no registry host"},
	{"library/ubuntu:1", 0, "no registry host"},
	{"ext", 0, "no registry host"},
	{"r.example/ext:latest", 0, "not pinned"},
	{"r.example/ext", 0, "not pinned"},
	{"oci-layout:d", 0, "not pinned"},
	{"r.example/Ext:v1", 0, "lowercase"},
	{"r.example//ext:v1", 0, "empty path segment"},
	{"r.example/ext/:v1", 0, "empty path segment"},
	{"r.example/:v1", 0, "empty repository"},
	{"r.example/a-/b:v1", 0, "path segment"},
	{"r.example/_a:v1", 0, "path segment"},
	{"r.example/a___b:v1", 0, "path segment"},
	{"r.example/a..b:v1", 0, "path segment"},
	{"r.example/ext:", 0, "empty tag"},
	{"r.example/ext:-bad", 0, "must match"},
	{"r.example/ext:.bad", 0, "must match"},
	{"r.example/ext:a+b", 0, "must match"},
	{"r.example/ext@sha512:" D64 D64, 0, "not supported"},
	{"r.example/ext@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 0,
	 "lowercase hex"},
	{"r.example/ext@sha256:abc", 0, "64 hex digits"},
	{"r.example/ext@" DG "0", 0, "64 hex digits"},
	{"r.example/ext@", 0, "sha256"},
	{"r.example:99999/ext:v1", 0, "port"},
	{"r.example:0/ext:v1", 0, "port"},
	{"r.example:/ext:v1", 0, "port"},
	{"r.example:80a/ext:v1", 0, "port"},
	{"-r.example/ext:v1", 0, "bad label"},
	{"r-.example/ext:v1", 0, "bad label"},
	{"r..example/ext:v1", 0, "bad label"},
	{"r_x.example/ext:v1", 0, "not allowed"},
	{"r.example/ext:v 1", 0, "space"},
	{"r.example/ext:v1\n", 0, "control"},
	{"r.example/\xc3\xa9xt:v1", 0, "non-ASCII"},
	{"[::g]:5000/ext:v1", 0, "IPv6"},
	{"[::1/ext:v1", 0, "unterminated"},
	{"[::1]x/ext:v1", 0, "port"},
	{"oci-layout:", 0, "directory is empty"},
	{"oci-layout::v1", 0, "directory is empty"},
	{"oci-layout:d:bad!", 0, "must match"},
	{"oci-layout:d@sha256:1", 0, "64 hex digits"},
	/* the revision form needs three segments and a revision */
	{"reg.example/ext:1", KILN_OCI_REF_REVISION_FORM, "two path segments"},
	{"reg.example/acme/ext@" DG, KILN_OCI_REF_REVISION_FORM, "revision is missing"},
	{"oci-layout:d:v1", KILN_OCI_REF_REVISION_FORM, "layout"},
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		const struct good *g = &goods[i];
		struct kiln_oci_ref ref, again;
		struct kiln_err err = {0};
		char text[KILN_OCI_REF_STRMAX];
		int rc = kiln_oci_ref_parse(g->text, g->flags, &ref, &err);
		if (rc != KILN_OK)
			fprintf(stderr, "\n  case %zu \"%s\": %s\n", i, g->text, err.msg);
		CU_ASSERT_EQUAL_FATAL(rc, KILN_OK);
		CU_ASSERT_EQUAL(ref.kind, g->kind);
		CU_ASSERT_STRING_EQUAL(ref.host, g->host);
		CU_ASSERT_STRING_EQUAL(ref.repository, g->repo);
		CU_ASSERT_STRING_EQUAL(ref.dir, g->dir);
		CU_ASSERT_STRING_EQUAL(ref.tag, g->tag);
		CU_ASSERT_EQUAL(ref.pinned, g->pinned);
		kiln_oci_ref_format(&ref, text, sizeof text);
		CU_ASSERT_STRING_EQUAL(text, g->canonical ? g->canonical : g->text);
		/* Printing and parsing again is the identity. */
		CU_ASSERT_EQUAL_FATAL(kiln_oci_ref_parse(text, g->flags, &again, NULL), KILN_OK);
		CU_ASSERT_EQUAL(memcmp(&again, &ref, sizeof ref), 0);
	}
}

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct kiln_oci_ref ref;
		struct kiln_err err = {0};
		int rc = kiln_oci_ref_parse(bads[i].text, bads[i].flags, &ref, &err);
		if (rc != KILN_EREF || strstr(err.msg, bads[i].needle) == NULL)
			fprintf(stderr, "\n  case %zu \"%s\": rc %d, \"%s\" lacks \"%s\"\n", i,
				bads[i].text, rc, err.msg, bads[i].needle);
		CU_ASSERT_EQUAL(rc, KILN_EREF);
		CU_ASSERT_EQUAL(err.code, KILN_EREF);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bads[i].needle));
	}
}

static void test_lengths(void)
{
	char text[600], tag[200];
	struct kiln_oci_ref ref;
	/* A tag of exactly 128 characters is fine, 129 is not. */
	memset(tag, 'a', 129);
	tag[128] = '\0';
	snprintf(text, sizeof text, "r.example/ext:%s", tag);
	CU_ASSERT_EQUAL(kiln_oci_ref_parse(text, 0, &ref, NULL), KILN_OK);
	tag[128] = 'a';
	tag[129] = '\0';
	snprintf(text, sizeof text, "r.example/ext:%s", tag);
	CU_ASSERT_EQUAL(kiln_oci_ref_parse(text, 0, &ref, NULL), KILN_EREF);
	/* A repository of 256 bytes is too long. */
	memset(text, 0, sizeof text);
	memcpy(text, "r.example/", 10);
	memset(text + 10, 'a', 256);
	memcpy(text + 266, ":v1", 3);
	CU_ASSERT_EQUAL(kiln_oci_ref_parse(text, 0, &ref, NULL), KILN_EREF);
	text[265] = '\0';
	memcpy(text + 265, ":v1", 4);
	CU_ASSERT_EQUAL(kiln_oci_ref_parse(text, 0, &ref, NULL), KILN_OK);
}

static void test_scope(void)
{
	struct kiln_oci_ref ref;
	size_t plen = 99;
	const char *scope;
	CU_ASSERT_EQUAL_FATAL(kiln_oci_ref_parse("reg.example/org/team/ext:2",
						 KILN_OCI_REF_REVISION_FORM, &ref, NULL),
			      KILN_OK);
	scope = kiln_oci_ref_scope(&ref, &plen);
	CU_ASSERT_STRING_EQUAL(scope, "ext");
	CU_ASSERT_EQUAL(plen, 8);
	CU_ASSERT_EQUAL(strncmp(ref.repository, "org/team", plen), 0);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_ref_parse("reg.example/ext:2", 0, &ref, NULL), KILN_OK);
	CU_ASSERT_STRING_EQUAL(kiln_oci_ref_scope(&ref, &plen), "ext");
	CU_ASSERT_EQUAL(plen, 0);
}

static void test_format_truncates(void)
{
	struct kiln_oci_ref ref;
	char small[8];
	CU_ASSERT_EQUAL_FATAL(kiln_oci_ref_parse("r.example/ext:v1", 0, &ref, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_oci_ref_format(&ref, small, sizeof small), strlen("r.example/ext:v1"));
	CU_ASSERT_STRING_EQUAL(small, "r.examp");
}

void kiln_test_oci_ref(void)
{
	CU_pSuite s = CU_add_suite("oci_ref", NULL, NULL);
	CU_add_test(s, "valid references", test_valid);
	CU_add_test(s, "invalid references", test_invalid);
	CU_add_test(s, "length limits", test_lengths);
	CU_add_test(s, "principal and scope", test_scope);
	CU_add_test(s, "format truncates like snprintf", test_format_truncates);
}
