/* sdk_consts.h — what sdk_consts.c exports to hostapi_test.c. */
#ifndef KILN_SDK_CONSTS_H
#define KILN_SDK_CONSTS_H

#include <stddef.h>
#include <stdint.h>

/* protocol, health ok, config not found, config fault, 4 log levels,
 * line max */
#define KILN_SDK_NCONSTS 9
extern const int32_t kiln_sdk_consts[KILN_SDK_NCONSTS];
extern const char *const kiln_sdk_exports[2];
/* The guest helper kiln_config_get(), with the import answering @value
 * (NULL: not found). */
int32_t kiln_sdk_config_get(const char *value, char *buf, size_t size);

#endif
