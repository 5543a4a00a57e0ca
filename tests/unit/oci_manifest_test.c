/* Tests for oci/manifest.c: strict documents and the wasm artifact rules. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "oci_impl.h"
#include "unit.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define CFG(mt) "\"config\":{\"mediaType\":\"" mt "\",\"digest\":\"" DA "\",\"size\":10}"
#define LAYER(mt, d) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":8}"
#define WCFG CFG("application/vnd.wasm.config.v0+json")
#define WLAYER LAYER("application/wasm", DB)
#define OCI "\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","

struct mcase {
	const char *name;
	const char *body;
	const char *announced;
	int rc;             /* of doc_parse, then doc_check_wasm */
	const char *needle; /* in the message when rc != KILN_OK */
};

static const struct mcase mcases[] = {
	{"valid", "{" OCI WCFG ",\"layers\":[" WLAYER "]}", "", KILN_OK, NULL},
	{"valid with charset", "{" OCI WCFG ",\"layers\":[" WLAYER "]}",
	 "application/vnd.oci.image.manifest.v1+json; charset=utf-8", KILN_OK, NULL},
	{"no mediaType, announced", "{\"schemaVersion\":2," WCFG ",\"layers\":[" WLAYER "]}",
	 KILN_MT_OCI_MANIFEST, KILN_OK, NULL},
	{"no mediaType at all", "{\"schemaVersion\":2," WCFG ",\"layers\":[" WLAYER "]}",
	 "application/json", KILN_OK, NULL},
	{"legacy layer type",
	 "{" OCI WCFG ",\"layers\":[" LAYER("application/vnd.wasm.content.layer.v1+wasm", DB) "]}",
	 "", KILN_OK, NULL},
	{"module layer type",
	 "{" OCI WCFG ",\"layers\":[" LAYER("application/vnd.module.wasm.content.layer.v1+wasm",
					    DB) "]}",
	 "", KILN_OK, NULL},
	{"wasm-to-oci config",
	 "{" OCI CFG("application/vnd.wasm.config.v1+json") ",\"layers\":[" WLAYER "]}", "", KILN_OK,
	 NULL},
	{"docker v2",
	 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
	 WCFG ",\"layers\":[" WLAYER "]}",
	 KILN_MT_DOCKER_MANIFEST, KILN_OK, NULL},
	{"unknown fields ignored",
	 "{" OCI "\"artifactType\":\"x/y\",\"x-extra\":[1,2]," WCFG ",\"layers\":[" WLAYER "]}", "",
	 KILN_OK, NULL},
	{"two layers", "{" OCI WCFG ",\"layers\":[" WLAYER "," LAYER("application/wasm", DC) "]}", "",
	 KILN_EMEDIATYPE, "found 2 layers"},
	{"no layers", "{" OCI WCFG ",\"layers\":[]}", "", KILN_EMEDIATYPE, "found 0 layers"},
	{"tar layer",
	 "{" OCI WCFG ",\"layers\":[" LAYER("application/vnd.oci.image.layer.v1.tar+gzip", DB) "]}", "",
	 KILN_EMEDIATYPE, "tar+gzip"},
	{"wasm and tar",
	 "{" OCI WCFG ",\"layers\":[" WLAYER "," LAYER("application/vnd.oci.image.layer.v1.tar", DC)
	 "]}",
	 "", KILN_EMEDIATYPE, "layer 1"},
	{"image config",
	 "{" OCI CFG("application/vnd.oci.image.config.v1+json") ",\"layers\":[" WLAYER "]}", "",
	 KILN_EMEDIATYPE, "not a wasm config"},
	{"announced differs", "{" OCI WCFG ",\"layers\":[" WLAYER "]}", KILN_MT_DOCKER_MANIFEST,
	 KILN_EMEDIATYPE, "announced"},
	{"schema 1", "{\"schemaVersion\":1,\"name\":\"x\"}",
	 "application/vnd.docker.distribution.manifest.v1+prettyjws", KILN_EMEDIATYPE, "schema 1"},
	{"unknown type", "{" OCI WCFG ",\"layers\":[" WLAYER "]}", "text/html", KILN_EMEDIATYPE,
	 "text/html"},
	{"malformed JSON", "{\"schemaVersion\":2,\"config\":", "", KILN_EFORMAT, "not valid JSON"},
	{"trailing garbage", "{" OCI WCFG ",\"layers\":[" WLAYER "]} x", "", KILN_EFORMAT,
	 "not valid JSON"},
	{"empty", "", "", KILN_EFORMAT, "not valid JSON"},
	{"array", "[1]", "", KILN_EFORMAT, "JSON object"},
	{"duplicate key", "{" OCI WCFG "," WCFG ",\"layers\":[" WLAYER "]}", "", KILN_EFORMAT,
	 "duplicate"},
	{"schemaVersion 1", "{\"schemaVersion\":1," WCFG ",\"layers\":[" WLAYER "]}", "",
	 KILN_EFORMAT, "schemaVersion"},
	{"schemaVersion string", "{\"schemaVersion\":\"2\"," WCFG ",\"layers\":[" WLAYER "]}", "",
	 KILN_EFORMAT, "schemaVersion"},
	{"no config", "{" OCI "\"layers\":[" WLAYER "]}", "", KILN_EFORMAT, "config"},
	{"layers not array", "{" OCI WCFG ",\"layers\":{}}", "", KILN_EFORMAT, "array"},
	{"negative size",
	 "{" OCI WCFG ",\"layers\":[{\"mediaType\":\"application/wasm\",\"digest\":\"" DB
	 "\",\"size\":-1}]}",
	 "", KILN_EFORMAT, "non-negative"},
	{"float size",
	 "{" OCI WCFG ",\"layers\":[{\"mediaType\":\"application/wasm\",\"digest\":\"" DB
	 "\",\"size\":8.0}]}",
	 "", KILN_EFORMAT, "non-negative"},
	{"sha512 digest",
	 "{" OCI WCFG ",\"layers\":[{\"mediaType\":\"application/wasm\",\"digest\":\"sha512:ab\","
	 "\"size\":8}]}",
	 "", KILN_EFORMAT, "not supported"},
	{"bad media type", "{" OCI WCFG ",\"layers\":[" LAYER("wasm", DB) "]}", "", KILN_EFORMAT,
	 "mediaType"},
	{"NUL in string", "{" OCI WCFG ",\"layers\":[" WLAYER "],\"x\":\"a\\u0000b\"}", "",
	 KILN_EFORMAT, "not valid JSON"},
	{"annotations not object",
	 "{" OCI WCFG ",\"layers\":[{\"mediaType\":\"application/wasm\",\"digest\":\"" DB
	 "\",\"size\":8,\"annotations\":[]}]}",
	 "", KILN_EFORMAT, "annotations"},
};

static void test_manifests(void)
{
	for (size_t i = 0; i < sizeof mcases / sizeof mcases[0]; i++) {
		const struct mcase *m = &mcases[i];
		struct kiln_err err = {0};
		struct doc d;
		int rc = doc_parse(m->body, strlen(m->body), m->announced, &d, &err);
		if (rc == KILN_OK)
			rc = doc_check_wasm(&d, &err);
		if (rc != m->rc || (m->needle != NULL && strstr(err.msg, m->needle) == NULL))
			fprintf(stderr, "\n  case \"%s\": rc %d (want %d), \"%s\"\n", m->name, rc,
				m->rc, err.msg);
		CU_ASSERT_EQUAL(rc, m->rc);
		if (m->needle != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, m->needle));
		doc_release(&d);
	}
}

static void test_manifest_fields(void)
{
	static const char body[] = "{" OCI WCFG ",\"layers\":[" WLAYER "]}";
	struct doc d;
	char dg[KILN_DIGEST_STRLEN + 1];
	CU_ASSERT_EQUAL_FATAL(doc_parse(body, strlen(body), "", &d, NULL), KILN_OK);
	CU_ASSERT_EQUAL(d.kind, DOC_MANIFEST);
	CU_ASSERT_STRING_EQUAL(d.media_type, KILN_MT_OCI_MANIFEST);
	CU_ASSERT_STRING_EQUAL(d.config.media_type, KILN_MT_WASM_CONFIG);
	CU_ASSERT_EQUAL(d.config.size, 10);
	CU_ASSERT_EQUAL_FATAL(d.n_layers, 1);
	kiln_digest_format(&d.layers[0].digest, dg);
	CU_ASSERT_STRING_EQUAL(dg, DB);
	CU_ASSERT_EQUAL(d.layers[0].size, 8);
	doc_release(&d);
}

#define ENTRY(d, plat) \
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" d \
	"\",\"size\":100" plat "}"
#define PLAT(a, o) ",\"platform\":{\"architecture\":\"" a "\",\"os\":\"" o "\"}"
#define INDEX(...) "{\"schemaVersion\":2,\"mediaType\":\"" KILN_MT_OCI_INDEX "\",\"manifests\":[" \
	__VA_ARGS__ "]}"

static void check_select(const char *body, int want_rc, const char *want_digest)
{
	struct kiln_oci_descriptor out;
	struct kiln_err err = {0};
	char dg[KILN_DIGEST_STRLEN + 1];
	struct doc d;
	int rc;
	CU_ASSERT_EQUAL_FATAL(doc_parse(body, strlen(body), "", &d, &err), KILN_OK);
	CU_ASSERT_EQUAL(d.kind, DOC_INDEX);
	rc = doc_select_wasm(&d, &out, &err);
	CU_ASSERT_EQUAL(rc, want_rc);
	if (rc == KILN_OK && want_digest != NULL) {
		kiln_digest_format(&out.digest, dg);
		CU_ASSERT_STRING_EQUAL(dg, want_digest);
	}
	doc_release(&d);
}

static void test_index(void)
{
	check_select(INDEX(ENTRY(DA, PLAT("amd64", "linux")) "," ENTRY(DB, PLAT("wasm", "wasip1"))),
		     KILN_OK, DB);
	check_select(INDEX(ENTRY(DA, PLAT("wasm", "wasip2")) "," ENTRY(DB, PLAT("wasm", "wasip1"))),
		     KILN_OK, DB);
	check_select(INDEX(ENTRY(DC, "")), KILN_OK, DC);
	check_select(INDEX(ENTRY(DA, "") "," ENTRY(DB, "")), KILN_EMEDIATYPE, NULL);
	check_select(INDEX(ENTRY(DA, PLAT("amd64", "linux"))), KILN_OK, DA); /* sole entry */
	check_select(INDEX(ENTRY(DA, PLAT("amd64", "linux")) "," ENTRY(DB, PLAT("arm64", "linux"))),
		     KILN_EMEDIATYPE, NULL);
	check_select(INDEX(ENTRY(DA, PLAT("wasm", "wasip2")) "," ENTRY(DB, PLAT("wasm", "wasi"))),
		     KILN_EMEDIATYPE, NULL);
	check_select(INDEX(), KILN_EMEDIATYPE, NULL);
}

static int cfg(const char *body, const char *mt, const struct kiln_oci_descriptor *layer,
	       struct kiln_err *err)
{
	return config_check_wasm(body, strlen(body), mt, layer, err);
}

static void test_config(void)
{
	struct kiln_oci_descriptor layer;
	struct kiln_err err = {0};
	const char *w = KILN_MT_WASM_CONFIG;

	CU_ASSERT_EQUAL_FATAL(kiln_digest_parse(DB, &layer.digest, NULL), KILN_OK);
	CU_ASSERT_EQUAL(cfg("{\"architecture\":\"wasm\",\"os\":\"wasip1\",\"layerDigests\":[\"" DB
			    "\"]}",
			    w, &layer, NULL),
			KILN_OK);
	CU_ASSERT_EQUAL(cfg("{\"architecture\":\"wasm\"}", w, &layer, NULL), KILN_OK);
	CU_ASSERT_EQUAL(cfg("{\"architecture\":\"amd64\"}", w, &layer, &err), KILN_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "amd64"));
	CU_ASSERT_EQUAL(cfg("{}", w, &layer, &err), KILN_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "architecture"));
	CU_ASSERT_EQUAL(cfg("{\"architecture\":\"wasm\",\"os\":\"wasip2\"}", w, &layer, &err),
			KILN_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "wasip2"));
	CU_ASSERT_EQUAL(cfg("{\"architecture\":\"wasm\",\"layerDigests\":[\"" DC "\"]}", w, &layer,
			    &err),
			KILN_EDIGEST);
	CU_ASSERT_EQUAL(cfg("{\"architecture\":\"wasm\",\"layerDigests\":\"" DB "\"}", w, &layer,
			    &err),
			KILN_EFORMAT);
	CU_ASSERT_EQUAL(cfg("{", w, &layer, &err), KILN_EFORMAT);
	/* The older config type has no defined fields, but must be JSON. */
	CU_ASSERT_EQUAL(cfg("{}", KILN_MT_WASM_CONFIG_V1, &layer, NULL), KILN_OK);
	CU_ASSERT_EQUAL(cfg("x", KILN_MT_WASM_CONFIG_V1, &layer, NULL), KILN_EFORMAT);
}

static void test_wasm_header(void)
{
	static const unsigned char core[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	static const unsigned char component[8] = {0, 'a', 's', 'm', 0x0d, 0, 1, 0};
	static const unsigned char v2[8] = {0, 'a', 's', 'm', 2, 0, 0, 0};
	static const unsigned char elf[8] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
	struct kiln_err err = {0};
	CU_ASSERT_EQUAL(wasm_check_header(core, 8, NULL), KILN_OK);
	CU_ASSERT_EQUAL(wasm_check_header(component, 8, &err), KILN_EMALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "component"));
	CU_ASSERT_EQUAL(wasm_check_header(v2, 8, &err), KILN_EMALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "version"));
	CU_ASSERT_EQUAL(wasm_check_header(elf, 8, &err), KILN_EMALFORMED);
	CU_ASSERT_EQUAL(wasm_check_header(core, 7, &err), KILN_EMALFORMED);
}

static void test_build_round_trip(void)
{
	struct kiln_oci_descriptor layer, config;
	struct buf cfg = {0}, man = {0};
	json_t *ann = json_pack("{s:s}", "org.opencontainers.image.title", "ext.wasm");
	json_t *lann = json_pack("{s:s}", "org.opencontainers.image.title", "ext.wasm");
	struct doc d;

	memset(&layer, 0, sizeof layer);
	memcpy(layer.media_type, KILN_MT_WASM_LAYER, sizeof KILN_MT_WASM_LAYER);
	kiln_digest_buffer("x", 1, &layer.digest);
	layer.size = 1;
	CU_ASSERT_EQUAL_FATAL(build_wasm_config(&layer, "2024-01-01T00:00:00Z", &cfg, NULL), KILN_OK);
	CU_ASSERT_EQUAL(config_check_wasm(cfg.data, cfg.len, KILN_MT_WASM_CONFIG, &layer, NULL),
			KILN_OK);
	memset(&config, 0, sizeof config);
	memcpy(config.media_type, KILN_MT_WASM_CONFIG, sizeof KILN_MT_WASM_CONFIG);
	kiln_digest_buffer(cfg.data, cfg.len, &config.digest);
	config.size = cfg.len;
	CU_ASSERT_EQUAL_FATAL(build_manifest(&config, &layer, 1, &lann, ann, &man, NULL), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(doc_parse(man.data, man.len, KILN_MT_OCI_MANIFEST, &d, NULL), KILN_OK);
	CU_ASSERT_EQUAL(doc_check_wasm(&d, NULL), KILN_OK);
	CU_ASSERT_TRUE(kiln_digest_equal(&d.config.digest, &config.digest));
	CU_ASSERT_TRUE(kiln_digest_equal(&d.layers[0].digest, &layer.digest));
	/* Keys are sorted and compact, so the same inputs give the same bytes. */
	CU_ASSERT_PTR_NOT_NULL(memmem(man.data, man.len, "{\"annotations\":{", 16));
	doc_release(&d);
	buf_release(&cfg);
	buf_release(&man);
	json_decref(ann);
	json_decref(lann);
}

void kiln_test_oci_manifest(void)
{
	CU_pSuite s = CU_add_suite("oci_manifest", NULL, NULL);
	CU_add_test(s, "manifest table", test_manifests);
	CU_add_test(s, "manifest fields", test_manifest_fields);
	CU_add_test(s, "index selection", test_index);
	CU_add_test(s, "wasm config", test_config);
	CU_add_test(s, "wasm header", test_wasm_header);
	CU_add_test(s, "build and parse back", test_build_round_trip);
}
