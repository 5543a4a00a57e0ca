/* Tests for oci/sign.c: PEM keys, simple-signing payloads, Ed25519. */
#include <string.h>
#include <sys/stat.h>

#include <CUnit/CUnit.h>

#include "oci_fixture.h"
#include "oci_impl.h"
#include "unit.h"

/* Made with `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout`. */
static const char ossl_key[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MC4CAQAwBQYDK2VwBCIEIGlfEP6GESOLnDC8sVQGuR1u+Q6ZQlBDWkPRrW1MdtHw\n"
			       "-----END PRIVATE KEY-----\n";
static const char ossl_pub[] = "-----BEGIN PUBLIC KEY-----\n"
			       "MCowBQYDK2VwAyEAkZui+d5I59k9sOKskbNsbOGgd/KQbU+vNfEkYbpSIGI=\n"
			       "-----END PUBLIC KEY-----\n";
/* An EC P-256 key of each kind: right PEM labels, wrong algorithm. */
static const char ec_pub[] = "-----BEGIN PUBLIC KEY-----\n"
			     "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5SSty9kVCSYrhaJind/dglScQZLs\n"
			     "2UZGa9vmuSe1Jbk3yP9vLVS9E2lDI5sTgB0U/mzN4tXrk+q/f1fzW/9QOA==\n"
			     "-----END PUBLIC KEY-----\n";
static const char ec_key[] = "-----BEGIN PRIVATE KEY-----\n"
			     "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+gm96NFLkabXaOta\n"
			     "eUOfERrH0ID33bJv1LAbmF/7e0ShRANCAAQius+1okXWLz4JFn4ty5FlgqE3dONr\n"
			     "dMINFo0xrObT49v/aQR3rObgI5np/a+TWhyr0RvMxLIaK/cJFRBNSuS/\n"
			     "-----END PRIVATE KEY-----\n";

static const unsigned char ossl_pk[32] = {
	0x91, 0x9b, 0xa2, 0xf9, 0xde, 0x48, 0xe7, 0xd9, 0x3d, 0xb0, 0xe2, 0xac, 0x91, 0xb3, 0x6c, 0x6c,
	0xe1, 0xa0, 0x77, 0xf2, 0x90, 0x6d, 0x4f, 0xaf, 0x35, 0xf1, 0x24, 0x61, 0xba, 0x52, 0x20, 0x62};

static void test_openssl_keys(void)
{
	struct kiln_oci_seckey *sk = NULL;
	struct kiln_oci_pubkey pk, derived;
	struct buf pem = {0};

	CU_ASSERT_EQUAL_FATAL(kiln_oci_pubkey_parse(ossl_pub, strlen(ossl_pub), &pk, NULL), KILN_OK);
	CU_ASSERT_EQUAL(memcmp(pk.key, ossl_pk, 32), 0);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_seckey_parse(ossl_key, strlen(ossl_key), &sk, NULL), KILN_OK);
	kiln_oci_seckey_public(sk, &derived);
	CU_ASSERT_EQUAL(memcmp(derived.key, pk.key, 32), 0);
	CU_ASSERT_TRUE(kiln_digest_equal(&derived.id, &pk.id));
	/* Our encoder writes exactly what openssl wrote. */
	CU_ASSERT_EQUAL(pubkey_pem(pk.key, &pem), KILN_OK);
	CU_ASSERT_EQUAL(pem.len, strlen(ossl_pub));
	CU_ASSERT_EQUAL(memcmp(pem.data, ossl_pub, pem.len), 0);
	buf_release(&pem);
	kiln_oci_seckey_free(sk);
	kiln_oci_seckey_free(NULL);
}

struct badkey {
	const char *pem;
	int public_key;
	const char *needle;
};

static const struct badkey badkeys[] = {
	{ec_pub, 1, "not an Ed25519"},
	{ec_key, 0, "not an unencrypted Ed25519"},
	{ossl_key, 1, "expected a PEM \"PUBLIC KEY\""},
	{ossl_pub, 0, "expected a PEM \"PRIVATE KEY\""},
	{"", 1, "found none"},
	{"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAkZui+d5I59k9sOKskbNsbOGgd/KQbU+vNfEkYbpSIGI=\n", 1,
	 "no END line"},
	{"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAkZui+d5I59k9sOKskbNsbOGgd/KQbU+vNfEkYbpSIG*=\n"
	 "-----END PUBLIC KEY-----\n",
	 1, "not valid base64"},
	{"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAkZui+d5I59k9sOKskbNsbOGgd/KQbU+vNfEkYbpS\n"
	 "-----END PUBLIC KEY-----\n",
	 1, "not an Ed25519"},
	{"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAkZui+d5I59k9sOKskbNsbOGgd/KQbU+vNfEkYbpSIGI=\n"
	 "-----END PUBLIC KEY-----\nextra\n",
	 1, "after the PEM END"},
	{"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAg=\n"
	 "-----END ENCRYPTED PRIVATE KEY-----\n",
	 0, "encrypted"},
};

static void test_bad_keys(void)
{
	for (size_t i = 0; i < sizeof badkeys / sizeof badkeys[0]; i++) {
		struct kiln_err err = {0};
		struct kiln_oci_pubkey pk;
		struct kiln_oci_seckey *sk = NULL;
		int rc = badkeys[i].public_key
				 ? kiln_oci_pubkey_parse(badkeys[i].pem, strlen(badkeys[i].pem), &pk,
							 &err)
				 : kiln_oci_seckey_parse(badkeys[i].pem, strlen(badkeys[i].pem), &sk,
							 &err);
		if (rc != KILN_EFORMAT || strstr(err.msg, badkeys[i].needle) == NULL)
			fprintf(stderr, "\n  case %zu: rc %d \"%s\"\n", i, rc, err.msg);
		CU_ASSERT_EQUAL(rc, KILN_EFORMAT);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, badkeys[i].needle));
		CU_ASSERT_PTR_NULL(sk);
	}
}

/* RFC 8032 section 7.1, test 1: pure Ed25519 of the empty message. */
static void test_rfc8032(void)
{
	static const unsigned char seed[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
		0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
		0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
	static const unsigned char pub[32] = {
		0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
		0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
		0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
	static const unsigned char sig[64] = {
		0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80,
		0x6e, 0x82, 0x8a, 0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73,
		0xe0, 0x65, 0x22, 0x49, 0x01, 0x55, 0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b,
		0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b, 0xd2, 0x5b, 0xf5, 0xf0,
		0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b};
	struct kiln_oci_seckey *sk = NULL;
	struct kiln_oci_pubkey pk;
	struct buf pem = {0};
	char b64[96], want[96];

	CU_ASSERT_EQUAL_FATAL(seckey_pem(seed, &pem), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_seckey_parse((const char *)pem.data, pem.len, &sk, NULL),
			      KILN_OK);
	kiln_oci_seckey_public(sk, &pk);
	CU_ASSERT_EQUAL(memcmp(pk.key, pub, 32), 0);
	CU_ASSERT_EQUAL(sig_sign(sk, "", 0, b64, sizeof b64, NULL), KILN_OK);
	sodium_bin2base64(want, sizeof want, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	CU_ASSERT_STRING_EQUAL(b64, want);
	CU_ASSERT_TRUE(sig_verify(&pk, "", 0, b64));
	CU_ASSERT_FALSE(sig_verify(&pk, "x", 1, b64));
	buf_release(&pem);
	kiln_oci_seckey_free(sk);
}

/* PKCS#8 v2 (OneAsymmetricKey with the public key) is accepted when the
 * embedded public key matches, refused otherwise. */
static void test_pkcs8_v2(void)
{
	unsigned char der[83] = {0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b,
				 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
	unsigned char pk[32], sk64[64];
	struct kiln_oci_seckey *sk = NULL;
	struct kiln_oci_pubkey got;
	struct kiln_err err = {0};
	struct buf pem = {0};

	crypto_sign_keypair(pk, sk64);
	memcpy(der + 16, sk64, 32);
	der[48] = 0x81;
	der[49] = 0x21;
	der[50] = 0x00;
	memcpy(der + 51, pk, 32);
	CU_ASSERT_EQUAL_FATAL(pem_encode("PRIVATE KEY", der, sizeof der, &pem), KILN_OK);
	CU_ASSERT_EQUAL(kiln_oci_seckey_parse((const char *)pem.data, pem.len, &sk, NULL), KILN_OK);
	kiln_oci_seckey_public(sk, &got);
	CU_ASSERT_EQUAL(memcmp(got.key, pk, 32), 0);
	kiln_oci_seckey_free(sk);
	sk = NULL;
	der[60] ^= 1;
	pem.len = 0;
	CU_ASSERT_EQUAL_FATAL(pem_encode("PRIVATE KEY", der, sizeof der, &pem), KILN_OK);
	CU_ASSERT_EQUAL(kiln_oci_seckey_parse((const char *)pem.data, pem.len, &sk, &err),
			KILN_EFORMAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "does not match"));
	CU_ASSERT_PTR_NULL(sk);
	buf_release(&pem);
}

static void test_keygen(void)
{
	char *dir = fx_tmpdir(), sk_path[4200], pk_path[4200];
	struct kiln_oci_seckey *sk = NULL;
	struct kiln_oci_pubkey pk, derived;
	struct kiln_err err = {0};
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(sk_path, sizeof sk_path, "%s/k.key", dir);
	snprintf(pk_path, sizeof pk_path, "%s/k.pub", dir);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_keygen(sk_path, pk_path, &err), KILN_OK);
	CU_ASSERT_EQUAL(stat(sk_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(kiln_oci_pubkey_load(pk_path, &pk, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_oci_seckey_load(sk_path, &sk, NULL), KILN_OK);
	if (sk != NULL) {
		kiln_oci_seckey_public(sk, &derived);
		CU_ASSERT_EQUAL(memcmp(derived.key, pk.key, 32), 0);
	}
	/* Never overwrites, and leaves nothing half-made. */
	CU_ASSERT_EQUAL(kiln_oci_keygen(sk_path, pk_path, &err), KILN_EEXIST);
	snprintf(sk_path, sizeof sk_path, "%s/other.key", dir);
	CU_ASSERT_EQUAL(kiln_oci_keygen(sk_path, pk_path, &err), KILN_EEXIST);
	CU_ASSERT_NOT_EQUAL(stat(sk_path, &st), 0);
	/* Two key pairs differ. */
	snprintf(pk_path, sizeof pk_path, "%s/other.pub", dir);
	CU_ASSERT_EQUAL(kiln_oci_keygen(sk_path, pk_path, NULL), KILN_OK);
	CU_ASSERT_EQUAL(kiln_oci_pubkey_load(pk_path, &derived, NULL), KILN_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(derived.key, pk.key, 32), 0);
	kiln_oci_seckey_free(sk);
	fx_rmtree(dir);
	free(dir);
}

static void test_payload(void)
{
	static const char want[] =
		"{\"critical\":{\"identity\":{\"docker-reference\":\"r.example/acme/ext\"},"
		"\"image\":{\"docker-manifest-digest\":\"sha256:"
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"},"
		"\"type\":\"cosign container image signature\"},\"optional\":null}";
	struct kiln_digest d, other;
	struct kiln_err err = {0};
	struct buf p = {0};

	kiln_digest_buffer("hello", 5, &d);
	kiln_digest_buffer("world", 5, &other);
	CU_ASSERT_EQUAL_FATAL(sig_payload_build("r.example/acme/ext", &d, &p, NULL), KILN_OK);
	CU_ASSERT_EQUAL(p.len, strlen(want));
	CU_ASSERT_EQUAL(memcmp(p.data, want, p.len), 0);
	CU_ASSERT_EQUAL(sig_payload_check(p.data, p.len, &d, NULL), KILN_OK);
	CU_ASSERT_EQUAL(sig_payload_check(p.data, p.len, &other, &err), KILN_ESIGNATURE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "another artifact"));
	CU_ASSERT_EQUAL(sig_payload_check("{\"critical\":{}}", 15, &d, &err), KILN_ESIGNATURE);
	CU_ASSERT_EQUAL(sig_payload_check("{\"critical\":{\"type\":\"x\",\"image\":"
					  "{\"docker-manifest-digest\":\"sha256:00\"}}}",
					  69, &d, &err),
			KILN_ESIGNATURE);
	CU_ASSERT_EQUAL(sig_payload_check("not json", 8, &d, &err), KILN_ESIGNATURE);
	buf_release(&p);
}

static void test_sign_verify(void)
{
	struct kiln_oci_seckey *sk = NULL, *sk2 = NULL;
	struct kiln_oci_pubkey pk, pk2;
	unsigned char seed[32];
	struct buf pem = {0};
	char b64[96];

	CU_ASSERT_EQUAL_FATAL(kiln_oci_seckey_parse(ossl_key, strlen(ossl_key), &sk, NULL), KILN_OK);
	kiln_oci_seckey_public(sk, &pk);
	randombytes_buf(seed, sizeof seed);
	CU_ASSERT_EQUAL_FATAL(seckey_pem(seed, &pem), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_oci_seckey_parse((const char *)pem.data, pem.len, &sk2, NULL),
			      KILN_OK);
	kiln_oci_seckey_public(sk2, &pk2);
	CU_ASSERT_EQUAL(sig_sign(sk, "payload", 7, b64, sizeof b64, NULL), KILN_OK);
	CU_ASSERT_TRUE(sig_verify(&pk, "payload", 7, b64));
	CU_ASSERT_FALSE(sig_verify(&pk, "paylоad", 8, b64));
	CU_ASSERT_FALSE(sig_verify(&pk, "payloaD", 7, b64));
	CU_ASSERT_FALSE(sig_verify(&pk2, "payload", 7, b64));
	CU_ASSERT_FALSE(sig_verify(&pk, "payload", 7, "not base64!"));
	CU_ASSERT_FALSE(sig_verify(&pk, "payload", 7, "AAAA"));
	CU_ASSERT_EQUAL(sig_sign(sk, "payload", 7, b64, 10, NULL), KILN_EINTERNAL);
	buf_release(&pem);
	kiln_oci_seckey_free(sk);
	kiln_oci_seckey_free(sk2);
}

static void test_sig_tag(void)
{
	struct kiln_digest d;
	char tag[KILN_OCI_TAG_MAX + 1];
	kiln_digest_buffer("hello", 5, &d);
	sig_tag(&d, tag);
	CU_ASSERT_STRING_EQUAL(tag,
			       "sha256-2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.sig");
	CU_ASSERT_TRUE(ref_tag_valid(tag, strlen(tag)));
}

void kiln_test_oci_sign(void)
{
	CU_pSuite s = CU_add_suite("oci_sign", NULL, NULL);
	CU_add_test(s, "openssl keys", test_openssl_keys);
	CU_add_test(s, "malformed keys", test_bad_keys);
	CU_add_test(s, "RFC 8032 vector", test_rfc8032);
	CU_add_test(s, "PKCS#8 v2", test_pkcs8_v2);
	CU_add_test(s, "keygen", test_keygen);
	CU_add_test(s, "simple-signing payload", test_payload);
	CU_add_test(s, "sign and verify", test_sign_verify);
	CU_add_test(s, "signature tag", test_sig_tag);
}
