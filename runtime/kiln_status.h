/*
 * kiln_status.h — the one status enum shared by every part of kiln.
 *
 * Header-only on purpose: the runtime, the OCI library and the compiler all
 * report errors the same way, yet none of them may link another just to
 * spell an error.  Include it through the part's public header
 * (kiln_rt.h, kiln_oci.h, kiln_compiler.h).
 *
 * Numbers are never reused.  Ranges, so that parts grow independently:
 *   1-19 common, 20-39 compiler, 40-59 runtime, 60-79 oci, 80-99 bake.
 */
#ifndef KILN_STATUS_H
#define KILN_STATUS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum kiln_status {
	KILN_OK = 0,
	/* common */
	KILN_ENOMEM = 1,
	KILN_EINVAL = 2,
	KILN_EIO = 3,
	KILN_ENOTFOUND = 4,
	KILN_ELIMIT = 5,
	KILN_EFORMAT = 6,
	KILN_EEXIST = 7,
	KILN_EINTERNAL = 8,
	/* compiler */
	KILN_EMALFORMED = 20,
	KILN_EUNSUPPORTED = 21,
	KILN_EINVALID = 22,
	KILN_EIMPORT = 23,
	KILN_ETOOL = 24,
	KILN_EMEMCAP = 25,
	/* runtime */
	KILN_ETRAP = 40,
	KILN_ETYPE = 41,
	KILN_EDENIED = 42,
	KILN_ESTATE = 43,
	KILN_ENOSLOT = 44,
	KILN_ELINK = 45,
	/* oci */
	KILN_EREF = 60,
	KILN_EDIGEST = 61,
	KILN_ESIGNATURE = 62,
	KILN_ENETWORK = 63,
	KILN_EAUTH = 64,
	KILN_EHTTP = 65,
	KILN_EMEDIATYPE = 66,
	KILN_ELOCK = 67,
	KILN_EOFFLINE = 68,
	/* bake */
	KILN_ECONFIG = 80,
	KILN_EVERSION = 81,
};

/**
 * Detail for a failed call: the status and a message that says what was
 * expected, what was found and where.  Always caller-owned (usually on the
 * stack); every API that takes one accepts NULL.
 */
struct kiln_err {
	int code;
	char msg[256];
};

/** A static, human-readable description of a status.  Never NULL. */
static inline const char *kiln_strerror(int code)
{
	switch (code) {
	case KILN_OK: return "success";
	case KILN_ENOMEM: return "out of memory";
	case KILN_EINVAL: return "invalid argument";
	case KILN_EIO: return "input/output error";
	case KILN_ENOTFOUND: return "not found";
	case KILN_ELIMIT: return "size or count limit exceeded";
	case KILN_EFORMAT: return "malformed document";
	case KILN_EEXIST: return "already exists";
	case KILN_EINTERNAL: return "internal error";
	case KILN_EMALFORMED: return "malformed WebAssembly binary";
	case KILN_EUNSUPPORTED: return "unsupported WebAssembly feature";
	case KILN_EINVALID: return "invalid WebAssembly module";
	case KILN_EIMPORT: return "import not provided by the host world";
	case KILN_ETOOL: return "external tool failed";
	case KILN_EMEMCAP: return "memory exceeds the cap";
	case KILN_ETRAP: return "WebAssembly trap";
	case KILN_ETYPE: return "type mismatch";
	case KILN_EDENIED: return "denied by grants";
	case KILN_ESTATE: return "invalid state for this call";
	case KILN_ENOSLOT: return "no free memory slot";
	case KILN_ELINK: return "link error";
	case KILN_EREF: return "invalid reference";
	case KILN_EDIGEST: return "digest mismatch";
	case KILN_ESIGNATURE: return "signature missing or invalid";
	case KILN_ENETWORK: return "network error";
	case KILN_EAUTH: return "authentication failed";
	case KILN_EHTTP: return "unexpected HTTP response";
	case KILN_EMEDIATYPE: return "unexpected media type";
	case KILN_ELOCK: return "does not match kiln.lock";
	case KILN_EOFFLINE: return "not available offline";
	case KILN_ECONFIG: return "configuration error";
	case KILN_EVERSION: return "unsupported protocol version";
	}
	return "unknown status";
}

/**
 * Record @code and a printf-style message in @err (which may be NULL) and
 * return @code, so that callers can write `return kiln_err_set(err, ...)`.
 * An earlier message is overwritten.
 */
static inline __attribute__((format(printf, 3, 4))) int
kiln_err_set(struct kiln_err *err, int code, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}

/**
 * Put @prefix and ": " in front of the message already in @err, for callers
 * that add context (a file name, an extension name) on the way up.
 */
static inline void kiln_err_prefix(struct kiln_err *err, const char *prefix)
{
	size_t cap, plen, mlen, keep;
	if (err == NULL || prefix == NULL || prefix[0] == '\0')
		return;
	cap = sizeof err->msg - 1;
	plen = strlen(prefix);
	if (plen > cap - 2)
		plen = cap - 2;
	for (mlen = 0; mlen < cap && err->msg[mlen] != '\0'; mlen++)
		;
	keep = mlen < cap - plen - 2 ? mlen : cap - plen - 2;
	memmove(err->msg + plen + 2, err->msg, keep);
	memcpy(err->msg, prefix, plen);
	err->msg[plen] = ':';
	err->msg[plen + 1] = ' ';
	err->msg[plen + 2 + keep] = '\0';
}

/** Clear @err to "success"; NULL is allowed. */
static inline void kiln_err_clear(struct kiln_err *err)
{
	if (err != NULL) {
		err->code = KILN_OK;
		err->msg[0] = '\0';
	}
}

#endif /* KILN_STATUS_H */
