#include <kiln.h>

KILN_DEFINE_PROTOCOL_VERSION();

KILN_EXPORT("greet") int32_t greet(void)
{
	char name[64];
	int32_t n = kiln_config_get("name", name, sizeof name);
	if (n < 0)
		return -1;
	kiln_log(KILN_LOG_INFO, "hello, %s", name);
	return n;
}
