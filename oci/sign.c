/*
 * sign.c — Ed25519 keys and cosign-style "simple signing" payloads.
 *
 * Keys are PEM: public keys as SubjectPublicKeyInfo ("PUBLIC KEY"), private
 * keys as unencrypted PKCS#8 ("PRIVATE KEY", v1 or v2 with the public key),
 * the forms `openssl genpkey -algorithm ed25519` writes.  The DER for
 * Ed25519 is fixed-length, so it is matched against its exact prefix
 * rather than parsed by a general ASN.1 reader.
 *
 * A signature is pure Ed25519 over the payload bytes, base64 in the
 * dev.cosignproject.cosign/signature annotation of the payload's layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_impl.h"

/* SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (0 unused) <32 bytes> } */
static const unsigned char spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
					      0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
/* SEQUENCE { INTEGER 0, SEQUENCE { OID }, OCTET STRING { OCTET STRING <32> } } */
static const unsigned char pkcs8_prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
					       0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
/* The same as OneAsymmetricKey v2, followed by [1] publicKey. */
static const unsigned char pkcs8v2_prefix[16] = {0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06,
						 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
static const unsigned char pkcs8v2_pub[3] = {0x81, 0x21, 0x00};

#define PAYLOAD_TYPE "cosign container image signature"

struct kiln_oci_seckey {
	unsigned char sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

/* --------------------------------------------------------------------- PEM */

int pem_encode(const char *label, const unsigned char *der, size_t len, struct buf *out)
{
	size_t b64len = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64len);
	int rc = KILN_ENOMEM;

	if (b64 == NULL)
		return KILN_ENOMEM;
	sodium_bin2base64(b64, b64len, der, len, sodium_base64_VARIANT_ORIGINAL);
	if (buf_append(out, "-----BEGIN ", 11) || buf_append(out, label, strlen(label)) ||
	    buf_append(out, "-----\n", 6))
		goto out;
	for (size_t i = 0, n = strlen(b64); i < n; i += 64)
		if (buf_append(out, b64 + i, n - i < 64 ? n - i : 64) || buf_append(out, "\n", 1))
			goto out;
	if (buf_append(out, "-----END ", 9) || buf_append(out, label, strlen(label)) ||
	    buf_append(out, "-----\n", 6))
		goto out;
	rc = KILN_OK;
out:
	sodium_memzero(b64, b64len);
	free(b64);
	return rc;
}

static const char *find_mem(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

/* Decode the one PEM block labelled @label into @der (at most @cap bytes). */
static int pem_decode(const char *pem, size_t len, const char *label, unsigned char *der,
		      size_t cap, size_t *der_len, struct kiln_err *err)
{
	char begin[64], end[64];
	const char *b, *body, *e, *tail;
	int rc;

	fmt(begin, sizeof begin, "-----BEGIN %s-----", label);
	fmt(end, sizeof end, "-----END %s-----", label);
	b = find_mem(pem, len, begin);
	if (b == NULL) {
		if (find_mem(pem, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL)
			return kiln_err_set(err, KILN_EFORMAT,
					    "encrypted private keys are not supported; expected "
					    "an unencrypted PKCS#8 \"%s\"",
					    label);
		return kiln_err_set(err, KILN_EFORMAT, "expected a PEM \"%s\" block, found none",
				    label);
	}
	body = b + strlen(begin);
	e = find_mem(body, len - (size_t)(body - pem), end);
	if (e == NULL)
		return kiln_err_set(err, KILN_EFORMAT, "PEM \"%s\" block has no END line", label);
	for (tail = e + strlen(end); tail < pem + len; tail++)
		if (*tail != '\n' && *tail != '\r' && *tail != ' ' && *tail != '\t')
			return kiln_err_set(err, KILN_EFORMAT,
					    "unexpected text after the PEM END line");
	rc = sodium_base642bin(der, cap, body, (size_t)(e - body), " \t\r\n", der_len, NULL,
			       sodium_base64_VARIANT_ORIGINAL);
	if (rc != 0)
		return kiln_err_set(err, KILN_EFORMAT,
				    "PEM \"%s\" body is not valid base64 or is too long for an "
				    "Ed25519 key",
				    label);
	return KILN_OK;
}

/* ------------------------------------------------------------------- keys */

static void key_id(const unsigned char pk[32], struct kiln_digest *id)
{
	unsigned char der[44];
	memcpy(der, spki_prefix, sizeof spki_prefix);
	memcpy(der + sizeof spki_prefix, pk, 32);
	kiln_digest_buffer(der, sizeof der, id);
}

int pubkey_pem(const unsigned char pk[32], struct buf *out)
{
	unsigned char der[44];
	memcpy(der, spki_prefix, sizeof spki_prefix);
	memcpy(der + sizeof spki_prefix, pk, 32);
	return pem_encode("PUBLIC KEY", der, sizeof der, out);
}

int seckey_pem(const unsigned char seed[32], struct buf *out)
{
	unsigned char der[48];
	int rc;
	memcpy(der, pkcs8_prefix, sizeof pkcs8_prefix);
	memcpy(der + sizeof pkcs8_prefix, seed, 32);
	rc = pem_encode("PRIVATE KEY", der, sizeof der, out);
	sodium_memzero(der, sizeof der);
	return rc;
}

int kiln_oci_pubkey_parse(const char *pem, size_t len, struct kiln_oci_pubkey *out,
			  struct kiln_err *err)
{
	unsigned char der[128];
	size_t n = 0;
	int rc = pem_decode(pem, len, "PUBLIC KEY", der, sizeof der, &n, err);

	if (rc != KILN_OK)
		return rc;
	if (n != 44 || memcmp(der, spki_prefix, sizeof spki_prefix) != 0)
		return kiln_err_set(err, KILN_EFORMAT,
				    "public key is not an Ed25519 SubjectPublicKeyInfo "
				    "(OID 1.3.101.112, 44 bytes of DER; found %zu bytes)",
				    n);
	memcpy(out->key, der + sizeof spki_prefix, 32);
	key_id(out->key, &out->id);
	return KILN_OK;
}

int kiln_oci_pubkey_load(const char *path, struct kiln_oci_pubkey *out, struct kiln_err *err)
{
	struct buf b = {0};
	int rc = read_file(path, 64 << 10, &b, err);
	if (rc == KILN_OK)
		rc = kiln_oci_pubkey_parse((const char *)b.data, b.len, out, err);
	if (rc != KILN_OK)
		kiln_err_prefix(err, path);
	buf_release(&b);
	return rc;
}

static struct kiln_oci_seckey *seckey_from_seed(const unsigned char seed[32])
{
	struct kiln_oci_seckey *k = sodium_malloc(sizeof *k);
	if (k == NULL)
		return NULL;
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_mprotect_readonly(k);
	return k;
}

int kiln_oci_seckey_parse(const char *pem, size_t len, struct kiln_oci_seckey **out,
			  struct kiln_err *err)
{
	unsigned char *der;
	size_t n = 0;
	int rc;

	*out = NULL;
	/* Idempotent; sodium_malloc needs it, and callers may not have. */
	if (sodium_init() < 0)
		return kiln_err_set(err, KILN_EINTERNAL, "libsodium failed to initialise");
	der = sodium_malloc(512);
	if (der == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if ((rc = pem_decode(pem, len, "PRIVATE KEY", der, 512, &n, err)) != KILN_OK)
		goto out;
	if (n == 48 && memcmp(der, pkcs8_prefix, sizeof pkcs8_prefix) == 0) {
		*out = seckey_from_seed(der + 16);
	} else if (n == 83 && memcmp(der, pkcs8v2_prefix, sizeof pkcs8v2_prefix) == 0 &&
		   memcmp(der + 48, pkcs8v2_pub, sizeof pkcs8v2_pub) == 0) {
		*out = seckey_from_seed(der + 16);
		if (*out != NULL && sodium_memcmp((*out)->pk, der + 51, 32) != 0) {
			kiln_oci_seckey_free(*out);
			*out = NULL;
			rc = kiln_err_set(err, KILN_EFORMAT,
					  "private key's embedded public key does not match it");
			goto out;
		}
	} else {
		rc = kiln_err_set(err, KILN_EFORMAT,
				  "private key is not an unencrypted Ed25519 PKCS#8 key "
				  "(OID 1.3.101.112; found %zu bytes of DER)",
				  n);
		goto out;
	}
	if (*out == NULL)
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
out:
	sodium_free(der);
	return rc;
}

int kiln_oci_seckey_load(const char *path, struct kiln_oci_seckey **out, struct kiln_err *err)
{
	struct buf b = {0};
	int rc = read_file(path, 64 << 10, &b, err);
	if (rc == KILN_OK)
		rc = kiln_oci_seckey_parse((const char *)b.data, b.len, out, err);
	if (rc != KILN_OK)
		kiln_err_prefix(err, path);
	if (b.data != NULL)
		sodium_memzero(b.data, b.cap);
	buf_release(&b);
	return rc;
}

void kiln_oci_seckey_free(struct kiln_oci_seckey *k)
{
	if (k != NULL)
		sodium_free(k); /* sodium_free wipes */
}

void kiln_oci_seckey_public(const struct kiln_oci_seckey *k, struct kiln_oci_pubkey *out)
{
	memcpy(out->key, k->pk, 32);
	key_id(out->key, &out->id);
}

static int write_new(const char *path, const void *data, size_t len, unsigned mode,
		     struct kiln_err *err)
{
	const unsigned char *p = data;
	size_t done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return kiln_err_set(err, errno == EEXIST ? KILN_EEXIST : KILN_EIO,
				    "%s: cannot create: %s", path, strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		done += (size_t)w;
	}
	if (done < len || fsync(fd) != 0 || close(fd) != 0) {
		int e = errno;
		unlink(path);
		return kiln_err_set(err, KILN_EIO, "%s: write: %s", path, strerror(e));
	}
	return KILN_OK;
}

int kiln_oci_keygen(const char *seckey_path, const char *pubkey_path, struct kiln_err *err)
{
	unsigned char *sk;
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	struct buf spem = {0}, ppem = {0};
	int rc;

	if (sodium_init() < 0)
		return kiln_err_set(err, KILN_EINTERNAL, "libsodium failed to initialise");
	sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (sk == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory");
	if (access(pubkey_path, F_OK) == 0) {
		rc = kiln_err_set(err, KILN_EEXIST, "%s: already exists; not overwriting a key",
				  pubkey_path);
		goto out;
	}
	crypto_sign_keypair(pk, sk);
	if (seckey_pem(sk, &spem) != KILN_OK || pubkey_pem(pk, &ppem) != KILN_OK) {
		rc = kiln_err_set(err, KILN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_new(seckey_path, spem.data, spem.len, 0600, err)) != KILN_OK)
		goto out;
	if ((rc = write_new(pubkey_path, ppem.data, ppem.len, 0644, err)) != KILN_OK)
		unlink(seckey_path);
out:
	if (spem.data != NULL)
		sodium_memzero(spem.data, spem.cap);
	buf_release(&spem);
	buf_release(&ppem);
	sodium_free(sk);
	return rc;
}

/* -------------------------------------------------------------- payloads */

int sig_payload_build(const char *identity, const struct kiln_digest *digest, struct buf *out,
		      struct kiln_err *err)
{
	char dg[KILN_DIGEST_STRLEN + 1];
	json_t *j;
	int rc;

	kiln_digest_format(digest, dg);
	j = json_pack("{s:{s:{s:s}, s:{s:s}, s:s}, s:n}", "critical", "identity",
		      "docker-reference", identity, "image", "docker-manifest-digest", dg, "type",
		      PAYLOAD_TYPE, "optional");
	if (j == NULL)
		return kiln_err_set(err, KILN_ENOMEM, "out of memory building a payload");
	rc = json_emit(j, out, err);
	json_decref(j);
	return rc;
}

int sig_payload_check(const void *payload, size_t len, const struct kiln_digest *digest,
		      struct kiln_err *err)
{
	const json_t *crit, *type, *image, *md, *ident;
	json_t *root = json_parse_strict(payload, len, "signature payload", err);
	struct kiln_digest named;
	char want[KILN_DIGEST_STRLEN + 1];
	int rc = KILN_ESIGNATURE;

	if (root == NULL)
		return KILN_ESIGNATURE;
	crit = json_object_get(root, "critical");
	type = json_object_get(crit, "type");
	image = json_object_get(crit, "image");
	md = json_object_get(image, "docker-manifest-digest");
	ident = json_object_get(crit, "identity");
	if (!json_is_object(crit) || !json_is_object(image) || !json_is_string(md)) {
		kiln_err_set(err, rc,
			     "signature payload lacks critical.image.docker-manifest-digest");
		goto out;
	}
	if (!json_is_string(type) || strcmp(json_string_value(type), PAYLOAD_TYPE) != 0) {
		kiln_err_set(err, rc, "signature payload type is not \"%s\"", PAYLOAD_TYPE);
		goto out;
	}
	if (ident != NULL && !json_is_object(ident)) {
		kiln_err_set(err, rc, "signature payload: critical.identity must be an object");
		goto out;
	}
	if (kiln_digest_parse(json_string_value(md), &named, err) != KILN_OK) {
		kiln_err_prefix(err, "signature payload");
		goto out;
	}
	if (!kiln_digest_equal(&named, digest)) {
		kiln_digest_format(digest, want);
		kiln_err_set(err, rc,
			     "the signature is for another artifact: its payload names %.19s..., "
			     "not %s",
			     json_string_value(md), want);
		goto out;
	}
	rc = KILN_OK;
out:
	json_decref(root);
	return rc;
}

int sig_sign(const struct kiln_oci_seckey *key, const void *payload, size_t len, char *b64,
	     size_t cap, struct kiln_err *err)
{
	unsigned char sig[crypto_sign_BYTES];
	if (cap < sodium_base64_encoded_len(sizeof sig, sodium_base64_VARIANT_ORIGINAL))
		return kiln_err_set(err, KILN_EINTERNAL, "signature buffer too small");
	crypto_sign_detached(sig, NULL, payload, len, key->sk);
	sodium_bin2base64(b64, cap, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	return KILN_OK;
}

int sig_verify(const struct kiln_oci_pubkey *key, const void *payload, size_t len,
	       const char *b64)
{
	unsigned char sig[crypto_sign_BYTES];
	size_t n = 0;
	if (sodium_base642bin(sig, sizeof sig, b64, strlen(b64), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != sizeof sig)
		return 0;
	return crypto_sign_verify_detached(sig, payload, len, key->key) == 0;
}

void sig_tag(const struct kiln_digest *digest, char out[KILN_OCI_TAG_MAX + 1])
{
	char hex[2 * KILN_DIGEST_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, digest->bytes, sizeof digest->bytes);
	fmt(out, KILN_OCI_TAG_MAX + 1, "sha256-%s.sig", hex);
}
