/*
 * host_config.c — the host side of the kiln host API: each instance's copy
 * of its configuration values, the kiln.log rate limit, and the calls of an
 * extension's optional kiln_protocol_version() and kiln_health() exports.
 *
 * The guest side, the kiln.log and kiln.config_get imports, is host_api.c:
 * a host that links its own definitions of those two symbols (a test host,
 * say) then keeps everything here.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_impl.h"

static const char *ext_name(const struct kiln_instance *inst)
{
	return inst->ext->name != NULL ? inst->ext->name : inst->desc->name;
}

/* ---- Configuration ---- */

/* Copy the grant's configuration into one block owned by @inst: the
 * entries, then every key and value.  The host may free its own as soon as
 * kiln_instance_new returns. */
int kiln_rt_config_copy(struct kiln_instance *inst, const struct kiln_grants *g,
			struct kiln_err *err)
{
	struct kiln_config_entry *copy;
	size_t bytes, klen, vlen;
	char *p;
	int rc = KILN_OK;

	inst->config = NULL;
	inst->nconfig = 0;
	if (g->nconfig == 0)
		goto out;
	if (g->config == NULL) {
		rc = kiln_err_set(err, KILN_EINVAL,
				  "extension %s: grants.config is NULL with nconfig = %zu",
				  ext_name(inst), g->nconfig);
		goto out;
	}
	/* (the duplicate check below is quadratic) */
	if (g->nconfig > KILN_CONFIG_ENTRIES_MAX) {
		rc = kiln_err_set(err, KILN_EINVAL,
				  "extension %s: grants.config holds %zu values, at most %u are "
				  "allowed",
				  ext_name(inst), g->nconfig, KILN_CONFIG_ENTRIES_MAX);
		goto out;
	}
	bytes = g->nconfig * sizeof *copy;
	for (size_t i = 0; i < g->nconfig; i++) {
		const struct kiln_config_entry *e = &g->config[i];
		if (e->key == NULL || e->value == NULL) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "extension %s: grants.config[%zu] has a NULL %s",
					  ext_name(inst), i, e->key == NULL ? "key" : "value");
			goto out;
		}
		klen = strnlen(e->key, KILN_CONFIG_KEY_MAX + 1);
		vlen = strnlen(e->value, KILN_CONFIG_VALUE_MAX + 1);
		if (klen == 0 || klen > KILN_CONFIG_KEY_MAX || vlen > KILN_CONFIG_VALUE_MAX) {
			rc = kiln_err_set(err, KILN_EINVAL,
					  "extension %s: grants.config[%zu]: %s (keys take 1 to %u "
					  "bytes, values at most %u)",
					  ext_name(inst), i,
					  klen == 0 ? "empty key"
					  : klen > KILN_CONFIG_KEY_MAX ? "key too long"
								       : "value too long",
					  KILN_CONFIG_KEY_MAX, KILN_CONFIG_VALUE_MAX);
			goto out;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(g->config[j].key, e->key) == 0) {
				rc = kiln_err_set(err, KILN_EINVAL,
						  "extension %s: grants.config: key \"%.64s\" is "
						  "given twice ([%zu] and [%zu])",
						  ext_name(inst), e->key, j, i);
				goto out;
			}
		}
		bytes += klen + vlen + 2;
	}
	copy = malloc(bytes);
	if (copy == NULL) {
		rc = kiln_err_set(err, KILN_ENOMEM,
				  "extension %s: cannot copy %zu bytes of configuration",
				  ext_name(inst), bytes);
		goto out;
	}
	p = (char *)(copy + g->nconfig);
	for (size_t i = 0; i < g->nconfig; i++) {
		klen = strlen(g->config[i].key) + 1;
		vlen = strlen(g->config[i].value) + 1;
		copy[i].key = memcpy(p, g->config[i].key, klen);
		p += klen;
		copy[i].value = memcpy(p, g->config[i].value, vlen);
		p += vlen;
	}
	inst->config = copy;
	inst->nconfig = g->nconfig;
out:
	return rc;
}

void kiln_rt_config_free(struct kiln_instance *inst)
{
	free(inst->config);
	inst->config = NULL;
	inst->nconfig = 0;
}

const char *kiln_instance_config(const struct kiln_instance *inst, const char *key)
{
	for (size_t i = 0; i < inst->nconfig; i++)
		if (strcmp(inst->config[i].key, key) == 0)
			return inst->config[i].value;
	return NULL;
}

/* ---- The kiln.log rate limit ---- */

/* A token bucket kept in nanoseconds of credit: a line costs 1 s / rate,
 * the bucket holds burst lines' worth and starts full. */
void kiln_rt_log_limit_init(struct kiln_instance *inst, const struct kiln_grants *g)
{
	uint64_t rate = g->log_rate != 0 ? g->log_rate : KILN_DEFAULT_LOG_RATE;
	uint64_t burst = g->log_burst != 0 ? g->log_burst : KILN_DEFAULT_LOG_BURST;

	if (rate == KILN_UNLIMITED) {
		inst->log_cost_ns = 0;
		return;
	}
	if (rate > 1000000000u)
		rate = 1000000000u;
	inst->log_cost_ns = 1000000000u / rate;
	if (burst > UINT64_MAX / inst->log_cost_ns)
		burst = UINT64_MAX / inst->log_cost_ns;
	inst->log_credit_max = burst * inst->log_cost_ns;
	inst->log_credit = inst->log_credit_max;
	inst->log_last_ns = 0;
}

/* May @inst write one more line at @now_ns?  Counts the line either way. */
bool kiln_rt_log_admit(struct kiln_instance *inst, uint64_t now_ns)
{
	if (inst->log_cost_ns != 0) {
		if (inst->log_last_ns != 0 && now_ns > inst->log_last_ns) {
			uint64_t gain = now_ns - inst->log_last_ns;
			inst->log_credit = gain >= inst->log_credit_max - inst->log_credit
						   ? inst->log_credit_max
						   : inst->log_credit + gain;
		}
		inst->log_last_ns = now_ns;
		if (inst->log_credit < inst->log_cost_ns) {
			inst->log_dropped_run++;
			__atomic_store_n(&inst->stats.log_dropped, inst->stats.log_dropped + 1,
					 __ATOMIC_RELAXED);
			return false;
		}
		inst->log_credit -= inst->log_cost_ns;
	}
	__atomic_store_n(&inst->stats.log_lines, inst->stats.log_lines + 1, __ATOMIC_RELAXED);
	return true;
}

/* ---- Protocol version and health ---- */

/* Call the optional export @name, () -> i32, into *@out. */
static int call_i32(struct kiln_instance *inst, const char *name, int32_t *out,
		    struct kiln_err *err)
{
	const struct kiln_export_desc *fn = kiln_instance_export(inst, name);
	struct kiln_val res;
	int rc;

	if (fn == NULL || fn->kind != KILN_EXTERN_FUNC)
		return kiln_err_set(err, KILN_ENOTFOUND, "extension %s does not export %s()",
				    ext_name(inst), name);
	if (fn->nparams != 0 || fn->nresults != 1 || fn->types[0] != KILN_I32)
		return kiln_err_set(err, KILN_ETYPE,
				    "extension %s: %s must be () -> i32, it takes %u parameters "
				    "and returns %u results",
				    ext_name(inst), name, fn->nparams, fn->nresults);
	rc = kiln_instance_invoke(inst, fn, NULL, 0, &res, 1, err);
	if (rc == KILN_OK)
		*out = (int32_t)res.of.i32;
	return rc;
}

int kiln_instance_protocol(struct kiln_instance *inst, int32_t *version, struct kiln_err *err)
{
	int rc = call_i32(inst, KILN_PROTOCOL_EXPORT, version, err);
	if (rc == KILN_OK && (*version < KILN_PROTOCOL_MIN || *version > KILN_PROTOCOL_MAX))
		rc = kiln_err_set(err, KILN_EVERSION,
				  "extension %s speaks kiln protocol %d; this runtime supports "
				  "%d to %d",
				  ext_name(inst), *version, KILN_PROTOCOL_MIN, KILN_PROTOCOL_MAX);
	return rc;
}

int kiln_instance_health(struct kiln_instance *inst, int32_t *status, struct kiln_err *err)
{
	return call_i32(inst, KILN_HEALTH_EXPORT, status, err);
}
