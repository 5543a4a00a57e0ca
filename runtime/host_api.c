/*
 * host_api.c — the functions of import module "kiln" that extensions call
 * (besides fuel_exhausted, in fuel.c):
 *
 *   log(level i32, ptr i32, len i32)
 *   config_get(key_ptr i32, key_len i32, buf_ptr i32, buf_len i32) -> i32
 *
 * wasm2c passes the kiln instance as the context (instance.c resolves
 * module "kiln" to it).  Everything the guest hands over is a pointer and a
 * length into its own memory: both are checked in 64-bit arithmetic against
 * the memory's current size before a byte is read, and nothing is written
 * to the guest unless every range is good.
 *
 * log: always allowed.  The level is 0 error, 1 warning, 2 info, 3 debug
 * (enum kiln_log_level); larger values log as debug.  A range outside the
 * guest's memory traps with "out of bounds", as a load would.  The line is
 * cut at KILN_LOG_LINE_MAX bytes after escaping (marked "[+N bytes]"),
 * trailing newlines are dropped, other control bytes, C1 controls and
 * invalid UTF-8 are escaped (\n, \r, \xNN): a guest cannot forge or
 * colour the host's log lines.  Lines over the instance's rate limit are
 * dropped and counted; the next line let through is preceded by a warning
 * saying how many were dropped.
 *
 * config_get: returns KILN_CONFIG_EFAULT (-2) when the key or buffer range
 * lies outside the guest's memory, KILN_CONFIG_ENOTFOUND (-1) when the
 * grants hold no such key, else the value's length in bytes.  The value (no
 * NUL terminator) is copied only when it fits in buf_len; when it does not,
 * nothing is written and the length tells the guest what buffer to offer.
 */
#include <stdio.h>
#include <string.h>

#include <wasm-rt.h>

#include "rt_impl.h"
#include "rt_os.h"

struct Z_kiln_instance_t;
void Z_kilnZ_log(struct Z_kiln_instance_t *ctx, uint32_t level, uint32_t ptr, uint32_t len);
uint32_t Z_kilnZ_config_get(struct Z_kiln_instance_t *ctx, uint32_t key_ptr, uint32_t key_len,
			    uint32_t buf_ptr, uint32_t buf_len);

static const char *ext_name(const struct kiln_instance *inst)
{
	return inst->ext->name != NULL ? inst->ext->name : inst->desc->name;
}

/* The guest's bytes [@ptr, @ptr + @len), or NULL when the range is not all
 * inside its memory.  A zero-length range is good anywhere up to the end. */
static const uint8_t *guest_range(struct kiln_instance *inst, uint32_t ptr, uint32_t len)
{
	const wasm_rt_memory_t *mem;
	static const uint8_t none[1];

	if (inst->desc->memory == NULL)
		return ptr == 0 && len == 0 ? none : NULL;
	mem = inst->desc->memory(inst->mi);
	if ((uint64_t)ptr + len > mem->size)
		return NULL;
	return mem->data + ptr;
}

/* Length of the valid UTF-8 sequence at @p (at most @n bytes), 0 when the
 * bytes there are not one.  Overlong forms, surrogates and code points
 * above U+10FFFF are invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = p[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp <= 0x9f) /* C1 controls (CSI is U+009B) */
		return 0;
	return len;
}

/* Write the guest's @len bytes at @src into @out (KILN_LOG_LINE_MAX + 1
 * bytes) as one printable, NUL-terminated line. */
static void sanitise(const uint8_t *src, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const size_t room = KILN_LOG_LINE_MAX - 32; /* leaves room for the cut mark */
	size_t i = 0, o = 0, seq;

	while (len > 0 && (src[len - 1] == '\n' || src[len - 1] == '\r'))
		len--;
	while (i < len && o < room) {
		uint8_t c = src[i];
		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
			i++;
		} else if (c == '\t') {
			out[o++] = '\t';
			i++;
		} else if (c == '\n' || c == '\r') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : 'r';
			i++;
		} else if (c >= 0x80 && (seq = utf8_seq(src + i, len - i)) != 0) {
			memcpy(out + o, src + i, seq);
			o += seq;
			i += seq;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
			i++;
		}
	}
	if (i < len)
		o += (size_t)snprintf(out + o, KILN_LOG_LINE_MAX + 1 - o, " [+%zu bytes]", len - i);
	out[o] = '\0';
}

/* To the structured callback, else to the engine's log as "NAME: line"
 * (whole: kiln_rt_log's buffer is shorter than a line may be). */
static void emit(struct kiln_instance *inst, enum kiln_log_level level, const char *line)
{
	struct kiln_engine *eng = inst->engine;
	char tagged[KILN_LOG_LINE_MAX + 96];

	if (eng->cfg.extension_log != NULL) {
		eng->cfg.extension_log(eng->cfg.user, inst, ext_name(inst), level, line);
		return;
	}
	snprintf(tagged, sizeof tagged, "%.64s: %s", ext_name(inst), line);
	if (eng->cfg.log != NULL)
		eng->cfg.log(eng->cfg.user, level, tagged);
	else
		fprintf(stderr, "kiln: %s\n", tagged);
}

void Z_kilnZ_log(struct Z_kiln_instance_t *ctx, uint32_t level, uint32_t ptr, uint32_t len)
{
	struct kiln_instance *inst = (struct kiln_instance *)ctx;
	struct kiln_thread *t = &kiln_rt_thread;
	char line[KILN_LOG_LINE_MAX + 1];
	const uint8_t *src;

	kiln_rt_host_enter(t);
	src = guest_range(inst, ptr, len);
	if (src == NULL)
		kiln_rt_trap(t, KILN_TRAP_OUT_OF_BOUNDS);
	if (kiln_rt_log_admit(inst, kiln_os_now_ns())) {
		if (inst->log_dropped_run != 0) {
			snprintf(line, sizeof line, "%llu log lines dropped (rate limit)",
				 (unsigned long long)inst->log_dropped_run);
			inst->log_dropped_run = 0;
			emit(inst, KILN_LOG_WARN, line);
		}
		sanitise(src, len, line);
		emit(inst, level > KILN_LOG_DEBUG ? KILN_LOG_DEBUG : (enum kiln_log_level)level,
		     line);
	}
	kiln_rt_host_leave(t);
}

uint32_t Z_kilnZ_config_get(struct Z_kiln_instance_t *ctx, uint32_t key_ptr, uint32_t key_len,
			    uint32_t buf_ptr, uint32_t buf_len)
{
	struct kiln_instance *inst = (struct kiln_instance *)ctx;
	struct kiln_thread *t = &kiln_rt_thread;
	const uint8_t *key = guest_range(inst, key_ptr, key_len);
	uint8_t *buf = (uint8_t *)guest_range(inst, buf_ptr, buf_len);
	int32_t rc = KILN_CONFIG_ENOTFOUND;

	kiln_rt_host_enter(t);
	if (key == NULL || buf == NULL) {
		rc = KILN_CONFIG_EFAULT;
		goto out;
	}
	for (size_t i = 0; i < inst->nconfig; i++) {
		const struct kiln_config_entry *e = &inst->config[i];
		size_t vlen;
		if (strlen(e->key) != key_len || memcmp(e->key, key, key_len) != 0)
			continue;
		vlen = strlen(e->value);
		if (vlen <= buf_len && vlen != 0)
			memcpy(buf, e->value, vlen);
		rc = (int32_t)vlen;
		break;
	}
out:
	kiln_rt_host_leave(t);
	return (uint32_t)rc;
}
