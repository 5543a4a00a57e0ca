/*
 * kiln_oci.h — libkiln-oci: WebAssembly extensions as OCI artifacts, with
 * every byte verified.
 *
 * What is here, in pipeline order:
 *   references   kiln_oci_ref_parse / kiln_oci_ref_format
 *   a client     kiln_oci_client_new: registry (libcurl), image-layout
 *                directories and the content-addressed store behind one handle
 *   pull         kiln_oci_pull: resolve, fetch, verify, store
 *   push         kiln_oci_push_wasm, kiln_oci_copy (mirror)
 *   signatures   kiln_oci_keygen, kiln_oci_sign, kiln_oci_verify
 *   kiln.lock    kiln_oci_lock_resolve / _read / _write / _check
 *   the store    kiln_oci_store_verify
 *
 * Artifacts follow the CNCF wasm layout: an OCI manifest whose config is
 * application/vnd.wasm.config.v0+json and which has exactly one
 * application/wasm layer holding a core module.  Nothing unverified ever
 * reaches the store: blobs go to a temporary file while they are hashed,
 * and are renamed into place only when the whole artifact checked out.
 *
 * The library depends on libcurl, libsodium, jansson and libc only, and
 * never prints: progress goes through a callback, errors through
 * struct kiln_err.  Call kiln_oci_global_init() once before any thread
 * starts; everything else is safe to use from one thread per client.
 *
 *     struct kiln_oci_options o;
 *     struct kiln_oci_client *c;
 *     struct kiln_oci_ref ref;
 *     struct kiln_oci_artifact art;
 *     kiln_oci_options_init(&o);
 *     if (kiln_oci_ref_parse(text, 0, &ref, &err) == KILN_OK &&
 *         kiln_oci_client_new(&o, &c, &err) == KILN_OK &&
 *         kiln_oci_pull(c, &ref, NULL, NULL, &art, &err) == KILN_OK)
 *             puts(art.path);
 *     kiln_oci_client_free(c);
 */
#ifndef KILN_OCI_H
#define KILN_OCI_H

#include <stddef.h>
#include <stdint.h>

#include "kiln_status.h"

#define KILN_OCI_MUST_CHECK __attribute__((warn_unused_result))

/* ------------------------------------------------------------------ sizes */

#define KILN_DIGEST_BYTES 32
/** Length of "sha256:" followed by 64 lowercase hex digits. */
#define KILN_DIGEST_STRLEN (7 + 2 * KILN_DIGEST_BYTES)

/** Largest manifest or index accepted (the distribution spec's 4 MiB). */
#ifndef KILN_OCI_MANIFEST_MAX
#define KILN_OCI_MANIFEST_MAX (4u << 20)
#endif
/** Largest config blob accepted. */
#ifndef KILN_OCI_CONFIG_MAX
#define KILN_OCI_CONFIG_MAX (1u << 20)
#endif
/** Largest signature payload accepted. */
#ifndef KILN_OCI_PAYLOAD_MAX
#define KILN_OCI_PAYLOAD_MAX (64u << 10)
#endif
/** Default limit for the wasm layer; see kiln_oci_options.max_blob_size. */
#ifndef KILN_OCI_BLOB_MAX
#define KILN_OCI_BLOB_MAX (256ull << 20)
#endif

#define KILN_OCI_HOST_MAX 255      /* "host[:port]" */
#define KILN_OCI_REPO_MAX 255      /* "path/to/repo" */
#define KILN_OCI_TAG_MAX 128       /* the distribution spec's tag limit */
#define KILN_OCI_PATH_MAX 4096     /* file system paths */
#define KILN_OCI_MEDIATYPE_MAX 255 /* RFC 6838: 127 + "/" + 127 */
#define KILN_OCI_NAME_MAX 64       /* extension names in kiln.lock */
/** Room for any canonical reference text, with its NUL. */
#define KILN_OCI_REF_STRMAX (KILN_OCI_PATH_MAX + KILN_OCI_TAG_MAX + KILN_DIGEST_STRLEN + 16)

/* ------------------------------------------------------------ media types */

#define KILN_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define KILN_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define KILN_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define KILN_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define KILN_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define KILN_MT_WASM_CONFIG "application/vnd.wasm.config.v0+json"
/** The config type of the older wasm-to-oci artifacts. */
#define KILN_MT_WASM_CONFIG_V1 "application/vnd.wasm.config.v1+json"
#define KILN_MT_WASM_LAYER "application/wasm"
#define KILN_MT_WASM_LAYER_LEGACY "application/vnd.wasm.content.layer.v1+wasm"
#define KILN_MT_WASM_LAYER_MODULE "application/vnd.module.wasm.content.layer.v1+wasm"
#define KILN_MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define KILN_ANNOTATION_SIGNATURE "dev.cosignproject.cosign/signature"
#define KILN_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

/* ---------------------------------------------------------------- digests */

/** A SHA-256 digest; the only algorithm kiln accepts. */
struct kiln_digest {
	unsigned char bytes[KILN_DIGEST_BYTES];
};

/**
 * Parse "sha256:<64 lowercase hex>" into @out.  Anything else (another
 * algorithm, upper case, wrong length) is KILN_EDIGEST with a message
 * quoting what was found.
 */
KILN_OCI_MUST_CHECK int kiln_digest_parse(const char *text, struct kiln_digest *out,
					  struct kiln_err *err);

/** Write "sha256:<hex>" and a NUL into @out (KILN_DIGEST_STRLEN + 1 bytes). */
void kiln_digest_format(const struct kiln_digest *d, char out[KILN_DIGEST_STRLEN + 1]);

/** SHA-256 of @len bytes at @data. */
void kiln_digest_buffer(const void *data, size_t len, struct kiln_digest *out);

/**
 * SHA-256 and size of the file at @path, read in large chunks.
 * KILN_EIO with the path and errno text when it cannot be read.
 */
KILN_OCI_MUST_CHECK int kiln_digest_file(const char *path, struct kiln_digest *out,
					 uint64_t *size, struct kiln_err *err);

/** 1 when equal, 0 otherwise; constant time (sodium_memcmp). */
KILN_OCI_MUST_CHECK int kiln_digest_equal(const struct kiln_digest *a, const struct kiln_digest *b);

/* ------------------------------------------------------------- references */

enum kiln_oci_ref_kind {
	KILN_OCI_REF_REGISTRY = 1, /* host[:port]/path[:tag][@digest] */
	KILN_OCI_REF_LAYOUT = 2,   /* oci-layout:DIR[:tag][@digest] */
};

/**
 * A parsed reference.  Plain data, no heap: copy it freely.  Strings are
 * NUL-terminated; an absent tag is "".
 */
struct kiln_oci_ref {
	enum kiln_oci_ref_kind kind;
	char host[KILN_OCI_HOST_MAX + 1];       /* registry refs: "host[:port]" */
	char repository[KILN_OCI_REPO_MAX + 1]; /* registry refs: "a/b/c" */
	char dir[KILN_OCI_PATH_MAX];            /* layout refs: the directory */
	char tag[KILN_OCI_TAG_MAX + 1];         /* tag or revision, "" if none */
	int pinned;                             /* 1 when @digest is set */
	struct kiln_digest digest;              /* digest or provenance */
};

/** Accept an unpinned "latest" (explicit or implied). */
#define KILN_OCI_REF_ALLOW_LATEST 0x1u
/** Accept neither tag nor digest and leave the tag empty (destinations
 *  that take their tag from elsewhere, as `kiln mirror` does). */
#define KILN_OCI_REF_ALLOW_UNTAGGED 0x4u
/**
 * Require the registry/principal/scope:revision[@provenance] form: at
 * least three path segments counting the registry, and a revision.
 */
#define KILN_OCI_REF_REVISION_FORM 0x2u

/**
 * Parse @text into @ref.  Grammar (registry references):
 *
 *     host[:port] "/" component ("/" component)* [":" tag] ["@" digest]
 *     host      = a DNS name with at least one dot, "localhost", an IPv4
 *                 address or a bracketed IPv6 address; there is no default
 *                 registry, so the first segment must be one of these
 *     component = [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*
 *     tag       = [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
 *     digest    = sha256:[0-9a-f]{64}
 *
 * and "oci-layout:DIR[:tag][@digest]" for image-layout directories (the
 * tag is what follows the last ':' after the last '/').  A reference with
 * neither tag nor digest means "latest"; unless @flags has
 * KILN_OCI_REF_ALLOW_LATEST, an unpinned "latest" is KILN_EREF.  The
 * registry/principal/scope:revision@provenance form is the same grammar
 * read with more structure: see kiln_oci_ref_scope().
 *
 * Returns KILN_OK, or KILN_EREF with the offending part and its offset.
 * @ref is caller-owned; on error its contents are unspecified.
 */
KILN_OCI_MUST_CHECK int kiln_oci_ref_parse(const char *text, unsigned flags,
					   struct kiln_oci_ref *ref, struct kiln_err *err);

/**
 * Print the canonical form of @ref into @buf (@cap bytes, always
 * NUL-terminated when @cap > 0).  Returns the length the full text needs,
 * like snprintf; KILN_OCI_REF_STRMAX is always enough.  An implied
 * "latest" is printed explicitly.
 */
size_t kiln_oci_ref_format(const struct kiln_oci_ref *ref, char *buf, size_t cap);

/**
 * For the registry/principal/scope:revision form: the scope is the last
 * segment of @ref->repository (returned, pointing inside @ref) and the
 * principal is the @principal_len bytes before its '/'.  With a
 * one-segment repository the principal is empty.
 */
const char *kiln_oci_ref_scope(const struct kiln_oci_ref *ref, size_t *principal_len);

/* ----------------------------------------------------------------- client */

/** Progress of one blob transfer; @total is its declared size. */
typedef void kiln_oci_progress_fn(void *ctx, const struct kiln_digest *blob, uint64_t done,
				  uint64_t total);

/**
 * How a client talks to registries and where it keeps blobs.  Fill with
 * kiln_oci_options_init() and change what you need; every pointer is
 * borrowed until kiln_oci_client_new() returns (the client copies).
 */
struct kiln_oci_options {
	const char *store_dir;      /* NULL: $XDG_CACHE_HOME/kiln or ~/.cache/kiln */
	const char *const *insecure_hosts; /* "host" or "host:port": plain HTTP */
	size_t n_insecure_hosts;
	const char *const *resolve; /* curl-style "HOST:PORT:ADDRESS" pins */
	size_t n_resolve;
	const char *auth_file;      /* NULL: $KILN_AUTH_FILE if set */
	const char *ca_file;        /* NULL: the system CA store */
	unsigned retries;           /* extra attempts on 429/5xx/network errors */
	unsigned retry_base_ms;     /* first backoff; doubles each attempt */
	unsigned retry_after_max_s; /* longest Retry-After honoured */
	unsigned connect_timeout_s;
	unsigned stall_timeout_s;   /* abort when < 1 KiB/s for this long */
	uint64_t max_blob_size;     /* limit for the wasm layer */
	int offline;                /* 1: read the store only, no network */
	kiln_oci_progress_fn *progress; /* NULL: none; called for large blobs */
	void *progress_ctx;
	uint64_t progress_min;      /* report only blobs at least this large */
};

/** Defaults: 3 retries from 500 ms, 60 s Retry-After cap, 10 s connect,
 *  30 s stall, KILN_OCI_BLOB_MAX, no progress.  Reads no environment. */
void kiln_oci_options_init(struct kiln_oci_options *o);

struct kiln_oci_client;

/** Process-wide libcurl set-up; call once before threads start. */
KILN_OCI_MUST_CHECK int kiln_oci_global_init(struct kiln_err *err);

/**
 * Make a client.  Credentials are read from @o->auth_file (JSON,
 * {"auths":{"host:port":{"auth":"base64(user:password)"}}}) or from
 * KILN_REGISTRY_USERNAME / KILN_REGISTRY_PASSWORD.  The store directory is
 * created if missing.  *@out is owned by the caller: kiln_oci_client_free().
 * Errors: KILN_EINVAL (bad option), KILN_EIO (store), KILN_EFORMAT (auth
 * file), KILN_ENOMEM.
 */
KILN_OCI_MUST_CHECK int kiln_oci_client_new(const struct kiln_oci_options *o,
					    struct kiln_oci_client **out, struct kiln_err *err);

/** Free a client and wipe the credentials it held; NULL is a no-op. */
void kiln_oci_client_free(struct kiln_oci_client *c);

/** The absolute store directory of @c (owned by @c). */
const char *kiln_oci_client_store(const struct kiln_oci_client *c);

/* ------------------------------------------------------------ signatures */

/** An Ed25519 public key and its id, the SHA-256 of its SPKI DER. */
struct kiln_oci_pubkey {
	unsigned char key[32];
	struct kiln_digest id;
};

/** An Ed25519 private key, held in sodium_malloc'd memory. */
struct kiln_oci_seckey;

/**
 * Make a key pair: @seckey_path gets the PKCS#8 PEM private key (mode
 * 0600), @pubkey_path the SPKI PEM public key.  Neither may exist yet
 * (KILN_EEXIST); on failure neither is left behind.
 */
KILN_OCI_MUST_CHECK int kiln_oci_keygen(const char *seckey_path, const char *pubkey_path,
					struct kiln_err *err);

/** Read an SPKI PEM ("PUBLIC KEY") Ed25519 key.  KILN_EFORMAT when the
 *  PEM or DER is not exactly that. */
KILN_OCI_MUST_CHECK int kiln_oci_pubkey_parse(const char *pem, size_t len,
					      struct kiln_oci_pubkey *out, struct kiln_err *err);
/** kiln_oci_pubkey_parse() on a file's contents. */
KILN_OCI_MUST_CHECK int kiln_oci_pubkey_load(const char *path, struct kiln_oci_pubkey *out,
					     struct kiln_err *err);

/** Read an unencrypted PKCS#8 PEM ("PRIVATE KEY") Ed25519 key into
 *  sodium_malloc'd memory; free with kiln_oci_seckey_free(). */
KILN_OCI_MUST_CHECK int kiln_oci_seckey_parse(const char *pem, size_t len,
					      struct kiln_oci_seckey **out, struct kiln_err *err);
/** kiln_oci_seckey_parse() on a file's contents (wiped after use). */
KILN_OCI_MUST_CHECK int kiln_oci_seckey_load(const char *path, struct kiln_oci_seckey **out,
					     struct kiln_err *err);
/** Wipe and free; NULL is a no-op. */
void kiln_oci_seckey_free(struct kiln_oci_seckey *k);
/** The public half of @k. */
void kiln_oci_seckey_public(const struct kiln_oci_seckey *k, struct kiln_oci_pubkey *out);

/* --------------------------------------------------------------- artifacts */

/** An OCI content descriptor. */
struct kiln_oci_descriptor {
	char media_type[KILN_OCI_MEDIATYPE_MAX + 1];
	struct kiln_digest digest;
	uint64_t size;
};

/** What was checked about a signature (all zero when none was asked for). */
struct kiln_oci_signature_info {
	int present;
	struct kiln_digest key;      /* id of the key that signed */
	struct kiln_digest payload;  /* digest of the simple-signing payload */
	char signature[96];          /* base64 Ed25519 signature */
};

/** A pulled and verified artifact. */
struct kiln_oci_artifact {
	char reference[KILN_OCI_REF_STRMAX]; /* canonical form of what was asked */
	int has_index;                       /* resolved through an index */
	struct kiln_oci_descriptor index;
	struct kiln_oci_descriptor manifest;
	struct kiln_oci_descriptor config;
	struct kiln_oci_descriptor layer;
	struct kiln_oci_signature_info signature;
	char path[KILN_OCI_PATH_MAX];        /* the verified wasm, in the store */
};

struct kiln_oci_lock_entry;

/**
 * Resolve @ref, fetch its manifest (through an index if need be), config
 * and wasm layer, verify every digest and size and, when @key is given, a
 * simple-signing signature by that key; then move everything into the
 * store at once.  When @locked is given, any difference from it (manifest,
 * config or layer digest, size or media type, signing key) fails before
 * anything is stored.  With the client's offline option, only the store is
 * read.  On success *@out describes the artifact.  Nothing is stored on
 * failure.
 *
 * Errors: KILN_EDIGEST, KILN_EMEDIATYPE, KILN_EFORMAT, KILN_ELIMIT,
 * KILN_ESIGNATURE, KILN_ELOCK, KILN_EAUTH, KILN_EHTTP, KILN_ENETWORK,
 * KILN_ENOTFOUND, KILN_EOFFLINE, KILN_EIO.
 */
KILN_OCI_MUST_CHECK int kiln_oci_pull(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
				      const struct kiln_oci_pubkey *key,
				      const struct kiln_oci_lock_entry *locked,
				      struct kiln_oci_artifact *out, struct kiln_err *err);

/** Options for kiln_oci_push_wasm(); all may be NULL/0. */
struct kiln_oci_push_options {
	const char *const *annotations; /* "key=value", added to the manifest */
	size_t n_annotations;
	const char *created; /* RFC 3339; NULL: $SOURCE_DATE_EPOCH or now */
};

/**
 * Package the core module at @wasm_path as a CNCF wasm artifact and push
 * it to @dst (a registry or layout reference with a tag, no digest).  The
 * manifest carries org.opencontainers.image.{created,title,version}
 * annotations.  *@out (optional) describes what was pushed; its path is
 * empty.  Errors: KILN_EMALFORMED (not a core module), KILN_EREF, and the
 * transport errors of kiln_oci_pull().
 */
KILN_OCI_MUST_CHECK int kiln_oci_push_wasm(struct kiln_oci_client *c, const char *wasm_path,
					   const struct kiln_oci_ref *dst,
					   const struct kiln_oci_push_options *po,
					   struct kiln_oci_artifact *out, struct kiln_err *err);

/**
 * Mirror: pull @src (verified, into the store), then push the same bytes
 * to @dst under @dst's tag (or @src's tag when @dst has none), together
 * with @src's signature manifest if it has one.  Digests are unchanged.
 */
KILN_OCI_MUST_CHECK int kiln_oci_copy(struct kiln_oci_client *c, const struct kiln_oci_ref *src,
				      const struct kiln_oci_ref *dst, struct kiln_oci_artifact *out,
				      struct kiln_err *err);

/**
 * Sign the manifest @ref resolves to: build the cosign simple-signing
 * payload, sign it with @key and store it under the tag sha256-<hex>.sig
 * next to the artifact (adding to signatures already there).  *@out
 * (optional) describes the signature.
 */
KILN_OCI_MUST_CHECK int kiln_oci_sign(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
				      const struct kiln_oci_seckey *key,
				      struct kiln_oci_signature_info *out, struct kiln_err *err);

/**
 * Check that the manifest @ref resolves to carries a valid signature by
 * @key.  Fetches the manifest and the signature documents only, not the
 * layer.  *@manifest (optional) gets the verified manifest descriptor.
 * Errors: KILN_ESIGNATURE (missing, bad, or by another key), and the
 * transport errors of kiln_oci_pull().
 */
KILN_OCI_MUST_CHECK int kiln_oci_verify(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
					const struct kiln_oci_pubkey *key,
					struct kiln_oci_descriptor *manifest,
					struct kiln_oci_signature_info *out, struct kiln_err *err);

/* -------------------------------------------------------------- kiln.lock */

/** One extension in kiln.lock. */
struct kiln_oci_lock_entry {
	char name[KILN_OCI_NAME_MAX + 1];
	char reference[KILN_OCI_REF_STRMAX]; /* canonical reference text */
	int has_index;
	struct kiln_oci_descriptor index;
	struct kiln_oci_descriptor manifest;
	struct kiln_oci_descriptor config;
	struct kiln_oci_descriptor layer;
	struct kiln_oci_signature_info signature;
};

/** kiln.lock in memory.  Init with {0}; release with kiln_oci_lock_release(). */
struct kiln_oci_lock {
	char wasm2c_version[64];
	struct kiln_oci_lock_entry *entries; /* heap, @count of them */
	size_t count;
};

/** What to lock: an extension name, its reference, and optionally the key
 *  its signature must verify with.  All borrowed. */
struct kiln_oci_lock_request {
	const char *name;
	const char *reference;
	const struct kiln_oci_pubkey *key;
};

/**
 * Resolve every request (tags to digests, by a full verified pull into
 * the store) and fill *@out, which the caller releases.  Names must be
 * unique C-identifier-like words ([A-Za-z_][A-Za-z0-9_-]*, at most 64).
 * @ref_flags go to kiln_oci_ref_parse().  @wasm2c_version is recorded.
 */
KILN_OCI_MUST_CHECK int kiln_oci_lock_resolve(struct kiln_oci_client *c,
					      const struct kiln_oci_lock_request *reqs, size_t n,
					      unsigned ref_flags, const char *wasm2c_version,
					      struct kiln_oci_lock *out, struct kiln_err *err);

/** Read and strictly validate kiln.lock at @path into *@out (caller
 *  releases).  KILN_EFORMAT with the field at fault. */
KILN_OCI_MUST_CHECK int kiln_oci_lock_read(const char *path, struct kiln_oci_lock *out,
					   struct kiln_err *err);

/** Write @lock to @path atomically (temp file, fsync, rename): the old
 *  file is either untouched or wholly replaced.  Output is deterministic. */
KILN_OCI_MUST_CHECK int kiln_oci_lock_write(const char *path, const struct kiln_oci_lock *lock,
					    struct kiln_err *err);

/** Entry named @name, or NULL. */
const struct kiln_oci_lock_entry *kiln_oci_lock_find(const struct kiln_oci_lock *lock,
						     const char *name);
/** Entry whose reference text equals @reference, or NULL. */
const struct kiln_oci_lock_entry *kiln_oci_lock_find_ref(const struct kiln_oci_lock *lock,
							 const char *reference);

/** KILN_ELOCK when @lock records a wasm2c version other than @version. */
KILN_OCI_MUST_CHECK int kiln_oci_lock_check_tool(const struct kiln_oci_lock *lock,
						 const char *version, struct kiln_err *err);

/** Free what kiln_oci_lock_read/_resolve allocated; zeroes @lock. */
void kiln_oci_lock_release(struct kiln_oci_lock *lock);

/* -------------------------------------------------------------- the store */

struct kiln_oci_store_report {
	size_t blobs;   /* blobs re-hashed */
	size_t damaged; /* blobs whose content does not match their name */
	size_t strays;  /* files that are neither blobs nor records */
	size_t temps;   /* temporary files (pulls in progress or interrupted) */
};

/** Called once per problem with a path inside the store and what is wrong. */
typedef void kiln_oci_store_damage_fn(void *ctx, const char *path, const char *what);

/**
 * Re-hash every blob in the store of @c and check every tag record.
 * Damage is reported through @on_damage (optional) and counted in *@out.
 * Returns KILN_OK when nothing is damaged, KILN_EDIGEST otherwise.
 */
KILN_OCI_MUST_CHECK int kiln_oci_store_verify(struct kiln_oci_client *c,
					      kiln_oci_store_damage_fn *on_damage, void *ctx,
					      struct kiln_oci_store_report *out,
					      struct kiln_err *err);

#endif /* KILN_OCI_H */
