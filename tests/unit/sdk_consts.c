/*
 * sdk_consts.c — the constants of the guest header sdk/include/kiln.h,
 * compiled for the host on their own (the guest header and kiln_rt.h
 * share names), so that hostapi_test.c can check both headers agree.
 */
#include <stdint.h>

#include "sdk/include/kiln.h"

#include "sdk_consts.h"

const int32_t kiln_sdk_consts[KILN_SDK_NCONSTS] = {
	KILN_PROTOCOL_VERSION, KILN_HEALTH_OK,  KILN_CONFIG_ENOTFOUND, KILN_CONFIG_EFAULT,
	KILN_LOG_ERROR,        KILN_LOG_WARN,   KILN_LOG_INFO,         KILN_LOG_DEBUG,
	KILN_LOG_LINE_MAX,
};
const char *const kiln_sdk_exports[2] = {KILN_PROTOCOL_EXPORT, KILN_HEALTH_EXPORT};

/* kiln_config_get(), the helper, against a stand-in for the import. */
static const char *fake_value;
int32_t kiln_config_get_raw(const char *key, size_t key_len, void *buf, size_t buf_len)
{
	size_t n;
	(void)key, (void)key_len;
	if (fake_value == NULL)
		return KILN_CONFIG_ENOTFOUND;
	n = __builtin_strlen(fake_value);
	if (n <= buf_len)
		__builtin_memcpy(buf, fake_value, n);
	return (int32_t)n;
}

int32_t kiln_sdk_config_get(const char *value, char *buf, size_t size)
{
	fake_value = value;
	return kiln_config_get("key", buf, size);
}

void kiln_log_raw(int32_t level, const char *msg, size_t len)
{
	(void)level, (void)msg, (void)len;
}
