/*
 * oci_impl.h — the inside of libkiln-oci, shared by its files and by the
 * unit tests.  Nothing here is installed.
 *
 * The central idea is the endpoint: a place artifacts are read from and
 * written to.  A registry (registry.c), an image-layout directory
 * (layout.c) and the store in offline mode (store.c) each implement the
 * same few operations, so that pull, push, copy and signatures (pull.c,
 * push.c, signature.c) are written once.  Endpoints only move bytes;
 * every digest and size is checked by the common code above them.
 */
#ifndef KILN_OCI_IMPL_H
#define KILN_OCI_IMPL_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sodium.h>

#include "kiln_oci.h"

/* ---------------------------------------------------------------- buffers */

/** A growable byte buffer; zero-initialise, release with buf_release(). */
struct buf {
	unsigned char *data;
	size_t len, cap;
};

int buf_append(struct buf *b, const void *data, size_t len);
void buf_release(struct buf *b);

/* ------------------------------------------------------------------- sink */

/**
 * Where a blob's bytes go while they are hashed: a file descriptor or a
 * memory buffer.  Enforces @limit and, when @expect is known, that exactly
 * @expect bytes arrive.  sink_reset() starts over (for retries).  A large
 * blob going to a file is hashed on a second thread that reads the file
 * behind the writer, so hashing overlaps receiving; sink_finish() or
 * sink_release() ends that thread, and one of them must be called.
 */
struct sink {
	int fd;             /* >= 0: write here */
	struct buf *mem;    /* else: append here */
	uint64_t n;         /* bytes so far */
	uint64_t flushed;   /* bytes handed to platform_start_writeback */
	uint64_t expect;    /* declared size, UINT64_MAX when unknown */
	uint64_t limit;     /* most bytes accepted */
	const char *what;   /* "manifest", "layer", ... for messages */
	crypto_hash_sha256_state h;
	struct kiln_digest id; /* the blob's digest, for progress */
	kiln_oci_progress_fn *progress;
	void *progress_ctx;
	int overflow;       /* set when a write went past the limit */
	struct bg_hash *bg; /* the hashing thread, or NULL: hash inline */
};

/** Blobs at least this large are hashed on a thread (see struct sink). */
#ifndef KILN_OCI_HASH_THREAD_MIN
#define KILN_OCI_HASH_THREAD_MIN (4u << 20)
#endif

void sink_init_fd(struct sink *s, int fd, uint64_t expect, uint64_t limit, const char *what);
void sink_init_mem(struct sink *s, struct buf *mem, uint64_t expect, uint64_t limit,
		   const char *what);
int sink_reset(struct sink *s, struct kiln_err *err);
/** Append; KILN_ELIMIT past the limit, KILN_EIO on a write error. */
int sink_write(struct sink *s, const void *data, size_t len, struct kiln_err *err);
/** End the hashing thread, if any, without a verdict (error paths). */
void sink_release(struct sink *s);
/** Feed the file at @path into @s; KILN_ENOTFOUND when it does not exist. */
int sink_copy_file(struct sink *s, const char *path, struct kiln_err *err);
/** Check the count against @expect and the hash against @want. */
int sink_finish(struct sink *s, const struct kiln_digest *want, struct kiln_err *err);

/** Ask the kernel to start writing [@offset, @offset + @len) of @fd to
 *  disk now (platform.c; a no-op where there is no such call). */
void platform_start_writeback(int fd, uint64_t offset, uint64_t len);

/** Abbreviation "sha256:0123456789ab" for messages (20 chars + NUL). */
void digest_short(const struct kiln_digest *d, char out[24]);

/* ---------------------------------------------------------------- strings */

/** snprintf that reports truncation: KILN_ELIMIT when @cap was too small. */
int fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
/** Read a whole file of at most @limit bytes into *@out (caller frees). */
int read_file(const char *path, size_t limit, struct buf *out, struct kiln_err *err);
/** Write @len bytes to @path atomically: temp file in the same directory,
 *  fsync, rename, fsync of the directory.  @mode for the new file. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
		      struct kiln_err *err);
/** mkdir -p. */
int make_dirs(const char *path, struct kiln_err *err);
/** fsync a directory (after a rename into it). */
int sync_dir(const char *dir, struct kiln_err *err);
/** Whether @host ("name[:port]") is a loopback name or address. */
int host_is_loopback(const char *host);

/* ------------------------------------------------------------ references */

int ref_tag_valid(const char *tag, size_t len);
/** "host/repo" of a registry ref, or "oci-layout:DIR" of a layout ref. */
size_t ref_repo_text(const struct kiln_oci_ref *ref, char *buf, size_t cap);

/* -------------------------------------------------------------- documents */

enum doc_kind { DOC_MANIFEST = 1, DOC_INDEX = 2 };

/** One entry of an index. */
struct index_entry {
	struct kiln_oci_descriptor d;
	char arch[32], os[32]; /* platform, "" when absent */
};

/** A parsed manifest or index; zero-initialise, release with doc_release(). */
struct doc {
	enum doc_kind kind;
	char media_type[KILN_OCI_MEDIATYPE_MAX + 1];
	/* manifests */
	struct kiln_oci_descriptor config;
	struct kiln_oci_descriptor *layers; /* heap, n_layers */
	char **signatures;                  /* per layer: the signature annotation or NULL */
	size_t n_layers;
	/* indexes */
	struct index_entry *entries;        /* heap, n_entries */
	size_t n_entries;
};

/**
 * Parse a manifest or index strictly: JSON without duplicate keys,
 * schemaVersion 2, well-formed descriptors.  @announced is the media type
 * the source gave (Content-Type or descriptor, may be ""); it must agree
 * with the body's own mediaType.  KILN_EFORMAT or KILN_EMEDIATYPE.
 */
int doc_parse(const void *body, size_t len, const char *announced, struct doc *out,
	      struct kiln_err *err);
void doc_release(struct doc *d);
/** The wasm rules: a wasm config type, exactly one wasm layer. */
int doc_check_wasm(const struct doc *d, struct kiln_err *err);
/** The signature rules: simple-signing layers, each with a signature. */
int doc_check_signature(const struct doc *d, struct kiln_err *err);
/** Pick the one wasm manifest of an index (platform wasm, or sole entry). */
int doc_select_wasm(const struct doc *index, struct kiln_oci_descriptor *out,
		    struct kiln_err *err);
/** Check a config blob against its layer (wasm config rules). */
int config_check_wasm(const void *body, size_t len, const char *media_type,
		      const struct kiln_oci_descriptor *layer, struct kiln_err *err);
/** Check that @head (the first bytes of a layer) starts a core module. */
int wasm_check_header(const unsigned char *head, size_t len, struct kiln_err *err);

/** Parse a JSON object strictly (no duplicate keys); @what names it in errors. */
json_t *json_parse_strict(const void *body, size_t len, const char *what, struct kiln_err *err);
/** Serialise @j compactly with sorted keys into @out (appended). */
int json_emit(const json_t *j, struct buf *out, struct kiln_err *err);
json_t *descriptor_json(const struct kiln_oci_descriptor *d);
int descriptor_from_json(const json_t *j, const char *where, struct kiln_oci_descriptor *out,
			 struct kiln_err *err);

/** The wasm config and manifest documents kiln writes.  @layer_annotations
 *  may be NULL or hold one object (or NULL) per layer; references are
 *  borrowed. */
int build_wasm_config(const struct kiln_oci_descriptor *layer, const char *created,
		      struct buf *out, struct kiln_err *err);
int build_manifest(const struct kiln_oci_descriptor *config,
		   const struct kiln_oci_descriptor *layers, size_t n_layers,
		   json_t *const *layer_annotations, json_t *annotations, struct buf *out,
		   struct kiln_err *err);

/* ------------------------------------------------------------- signatures */

/** The cosign simple-signing payload for @identity at @digest. */
int sig_payload_build(const char *identity, const struct kiln_digest *digest, struct buf *out,
		      struct kiln_err *err);
/** Check a payload names @digest; KILN_ESIGNATURE otherwise. */
int sig_payload_check(const void *payload, size_t len, const struct kiln_digest *digest,
		      struct kiln_err *err);
/** Ed25519 over @payload; @b64 gets the base64 signature (>= 89 bytes). */
int sig_sign(const struct kiln_oci_seckey *key, const void *payload, size_t len, char *b64,
	     size_t cap, struct kiln_err *err);
/** 1 when @b64 is a valid signature of @payload by @key. */
int sig_verify(const struct kiln_oci_pubkey *key, const void *payload, size_t len,
	       const char *b64);
/** The tag "sha256-<hex>.sig" for @digest. */
void sig_tag(const struct kiln_digest *digest, char out[KILN_OCI_TAG_MAX + 1]);
/** PEM encoders, for keygen and tests. */
int pem_encode(const char *label, const unsigned char *der, size_t len, struct buf *out);
int pubkey_pem(const unsigned char pk[32], struct buf *out);
int seckey_pem(const unsigned char seed[32], struct buf *out);

/* -------------------------------------------------------------- endpoints */

/** What get_manifest returns. */
struct fetched {
	struct buf body;
	char media_type[KILN_OCI_MEDIATYPE_MAX + 1]; /* as announced, may be "" */
	int announced;                               /* @announced_digest is set */
	struct kiln_digest announced_digest;         /* Docker-Content-Digest etc. */
	const char *announced_by;                    /* "Docker-Content-Digest", ... */
};

/** A blob to upload: a file, or bytes in memory. */
struct blob_src {
	const char *path;
	const void *data;
	size_t len;
};

struct endpoint;

struct endpoint_ops {
	/** Read manifest @reference (a tag or "sha256:..."), at most
	 *  KILN_OCI_MANIFEST_MAX bytes.  KILN_ENOTFOUND when absent. */
	int (*get_manifest)(struct endpoint *ep, const char *reference, struct fetched *out,
			    struct kiln_err *err);
	/** Stream blob @desc into @s (set up by the caller). */
	int (*get_blob)(struct endpoint *ep, const struct kiln_oci_descriptor *desc, struct sink *s,
			struct kiln_err *err);
	/** Upload a blob unless already present. */
	int (*put_blob)(struct endpoint *ep, const struct kiln_oci_descriptor *desc,
			const struct blob_src *src, struct kiln_err *err);
	/** Store manifest @body under @tag ("" for by digest only). */
	int (*put_manifest)(struct endpoint *ep, const char *tag,
			    const struct kiln_oci_descriptor *desc, const void *body,
			    struct kiln_err *err);
	void (*free)(struct endpoint *ep);
};

struct endpoint {
	const struct endpoint_ops *ops;
	struct kiln_oci_client *client;
	char name[KILN_OCI_REF_STRMAX]; /* "host/repo" or "oci-layout:DIR", for messages */
};

/** Open the endpoint @ref names (the store when the client is offline and
 *  @ref is a registry ref).  @for_write creates a layout directory. */
int endpoint_open(struct kiln_oci_client *c, const struct kiln_oci_ref *ref, int for_write,
		  struct endpoint **out, struct kiln_err *err);
void endpoint_free(struct endpoint *ep);

int registry_open(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
		  struct endpoint **out, struct kiln_err *err);
int layout_open(struct kiln_oci_client *c, const char *dir, int for_write,
		struct endpoint **out, struct kiln_err *err);
int store_endpoint_open(struct kiln_oci_client *c, const struct kiln_oci_ref *ref,
			struct endpoint **out, struct kiln_err *err);

/* ------------------------------------------------------------------ store */

/** A blob being written into the store: temp file until committed. */
struct staged {
	char tmp[KILN_OCI_PATH_MAX];
	int fd;
	struct kiln_digest digest;
	int verified;
};

/** A set of staged blobs and tag records that land together or not at all. */
struct txn {
	struct kiln_oci_client *client;
	struct staged *blobs;
	size_t n, cap;
	struct {
		char ref[KILN_OCI_REF_STRMAX];
		struct kiln_digest digest;
	} *records;
	size_t n_records, cap_records;
};

int store_init(const char *dir, char *abs, size_t cap, struct kiln_err *err);
/** Path of blob @d in the store of @c. */
int store_blob_path(const struct kiln_oci_client *c, const struct kiln_digest *d, char *buf,
		    size_t cap);
/** 1 when the store holds @d with @size bytes and the right content. */
int store_has_verified(const struct kiln_oci_client *c, const struct kiln_digest *d,
		       uint64_t size);
/** Look up the manifest digest recorded for reference text @ref. */
int store_record_get(const struct kiln_oci_client *c, const char *ref, struct kiln_digest *out,
		     struct kiln_err *err);

void txn_init(struct txn *t, struct kiln_oci_client *c);
/** A new temp file in the store for a blob; *@out stays owned by @t. */
int txn_stage(struct txn *t, struct staged **out, struct kiln_err *err);
/** Stage bytes already in memory (verified by the caller). */
int txn_stage_mem(struct txn *t, const struct kiln_digest *d, const void *data, size_t len,
		  struct kiln_err *err);
/** Record that reference text @ref resolves to @d, on commit. */
int txn_record(struct txn *t, const char *ref, const struct kiln_digest *d, struct kiln_err *err);
/** fsync and rename every verified blob into place, then write records. */
int txn_commit(struct txn *t, struct kiln_err *err);
/** Remove every temp file; safe after commit. */
void txn_release(struct txn *t);

/* ------------------------------------------------------------------- HTTP */

#ifndef KILN_OCI_VERSION
#define KILN_OCI_VERSION "0.1.0"
#endif

/** One request (http.c); every pointer is borrowed for the call. */
struct http_req {
	const char *method;        /* "GET", "HEAD", "POST" or "PUT" */
	int head;                  /* 1 for HEAD */
	const char *url;
	const char *authz;         /* Authorization value, or NULL ... */
	const char *authz_url;     /* ... for this URL's origin only (NULL: @url) */
	const char *accept;        /* Accept header, or NULL */
	const char *content_type;  /* for PUT */
	const struct blob_src *body; /* PUT body, or NULL for none */
	uint64_t body_size;        /* size of a file body */
	struct sink *sink;         /* where a 2xx body goes; NULL: discarded */
	int follow;                /* follow redirects */
};

/** The answer that ended a request. */
struct http_resp {
	long status;
	char content_type[KILN_OCI_MEDIATYPE_MAX + 1];
	char docker_digest[KILN_DIGEST_STRLEN + 8];
	char location[2048];
	char www_auth[2048];
	char retry_after[64];
	int64_t content_length;    /* -1 when absent */
	char err_body[1024];       /* start of a non-2xx body */
	size_t err_len;
	char url[2048];            /* the URL that answered (after redirects) */
	char host[KILN_OCI_HOST_MAX + 8]; /* its host[:port] */
	int cross_origin;          /* that URL is on another origin */
	unsigned attempts;
	int transient;             /* the last failure was a transient one */
	int retry_after_exceeded;  /* gave up: Retry-After beyond the cap */
};

/**
 * Perform @req with redirects (Authorization kept to the first origin),
 * the plain-HTTP policy, and retries on 429/5xx/transient errors.
 * KILN_OK means an HTTP answer arrived: look at @resp->status.
 */
int http_request(struct kiln_oci_client *c, const struct http_req *req, struct http_resp *resp,
		 struct kiln_err *err);
/** KILN_EHTTP unless @url is https, or http to loopback/an insecure host. */
int http_url_allowed(const struct kiln_oci_client *c, const char *url, struct kiln_err *err);
/** Resolve @location (maybe relative) against @base. */
int http_url_resolve(const char *base, const char *location, char *out, size_t cap,
		     struct kiln_err *err);
/** The registry's error ("CODE: message") or the first line of the body. */
void http_error_text(const struct http_resp *resp, char *out, size_t cap);

/* ----------------------------------------------------------------- client */

/** Credentials for one registry, in sodium_malloc'd memory. */
struct creds {
	char user[256];
	char pass[1024];
};

struct kiln_oci_client {
	struct kiln_oci_options o;
	char store[KILN_OCI_PATH_MAX];
	char **insecure; /* copies of o.insecure_hosts */
	char *ca_file;
	void *curl;      /* CURL *, reused so that connections are kept alive */
	void *resolve_list; /* struct curl_slist * */
	json_t *auths;   /* parsed auth file, or NULL */
	struct creds *env_creds; /* from the environment, or NULL */
};

/** Credentials for @host from the auth file or the environment (sodium
 *  memory, caller frees with creds_free), or NULL when there are none. */
struct creds *creds_lookup(struct kiln_oci_client *c, const char *host);
void creds_free(struct creds *cr);
/** Whether plain HTTP may be used towards @host ("name[:port]"). */
int client_host_insecure(const struct kiln_oci_client *c, const char *host);

/* ---------------------------------------------------------- pull helpers */

/** A resolved, verified manifest and what it says. */
struct resolved {
	int has_index;
	struct kiln_oci_descriptor index;
	struct buf index_body;
	struct kiln_oci_descriptor manifest;
	struct buf body;
	struct doc m;
};
void resolved_release(struct resolved *r);

/** Fetch the manifest named by @reference (tag or digest text) from @ep;
 *  verify it against @want (if not NULL) and any announced digest. */
int fetch_manifest(struct endpoint *ep, const char *reference, const struct kiln_digest *want,
		   struct fetched *out, struct kiln_digest *digest, struct kiln_err *err);
/** Resolve @ref on @ep to a wasm manifest (through an index if need be). */
int resolve_wasm(struct endpoint *ep, const struct kiln_oci_ref *ref, struct resolved *out,
		 struct kiln_err *err);
/** Fetch blob @desc from @ep into memory, verified, at most @limit bytes. */
int fetch_blob_mem(struct endpoint *ep, const struct kiln_oci_descriptor *desc, uint64_t limit,
		   const char *what, struct buf *out, struct kiln_err *err);
/** Fetch blob @desc into a staged store file of @t, verified; reuses a
 *  verified copy already in the store.  *@path gets the final path. */
int fetch_blob_store(struct endpoint *ep, struct txn *t, const struct kiln_oci_descriptor *desc,
		     uint64_t limit, const char *what, char *path, size_t cap,
		     struct kiln_err *err);

/** Verify the signature of @signed_digest on @ep with @key; stage the
 *  signature documents in @t (optional) for offline use. */
int signature_check(struct endpoint *ep, const struct kiln_oci_ref *ref,
		    const struct kiln_digest *signed_digest, const struct kiln_oci_pubkey *key,
		    struct txn *t, struct kiln_oci_signature_info *out, struct kiln_err *err);

#endif /* KILN_OCI_IMPL_H */
