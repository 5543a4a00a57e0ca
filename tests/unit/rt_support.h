/*
 * rt_support.h — what the runtime suites share: the fixture extensions
 * (tests/fixtures, linked into kiln-unit), the `env` host functions they
 * import, and helpers to run a check in a child process.
 */
#ifndef KILN_RT_SUPPORT_H
#define KILN_RT_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln_rt.h"

extern const struct kiln_module_desc kiln_module_basic, kiln_module_starter,
	kiln_module_bad_data, kiln_module_big, kiln_module_lib, kiln_module_user,
	kiln_module_small, kiln_module_partial;
extern const struct kiln_extension rt_basic, rt_starter, rt_bad_data, rt_big, rt_lib, rt_user,
	rt_small, rt_partial;

/* The spin fixtures, [0..3] without fuel, [4..7] metered, in the order of
 * rt_spin_names: gcc -O2, gcc -O3, clang -O2, clang -O3. */
#define RT_SPINS 8
extern const struct kiln_extension rt_spin[RT_SPINS];
extern const char *const rt_spin_names[RT_SPINS];

/* State of the env host functions (per thread where it matters). */
extern _Thread_local struct kiln_instance *rt_reenter_target; /* env.reenter calls its "inc" */
extern _Thread_local int rt_reenter_status;
extern _Thread_local struct kiln_instance *rt_seen_current;   /* kiln_instance_current() */
extern _Atomic int rt_start_mode;        /* env.start_mode */
extern _Atomic int rt_sleep_completed;   /* env.sleep_ms bodies that ran to the end */
extern _Atomic int rt_raw_completed;     /* env.sleep_raw bodies that ran to the end */

/* An engine config whose import resolver serves "env" (the context is the
 * instance) and "lib" (the instance in rt_lib_instance). */
extern struct kiln_instance *rt_lib_instance;
void *rt_resolve(void *user, struct kiln_instance *inst, const char *module,
		 struct kiln_err *err);
struct kiln_engine *rt_engine(uint32_t slots);
struct kiln_instance *rt_instance(struct kiln_engine *eng, const struct kiln_extension *ext,
				  const struct kiln_grants *grants);

/* Call export @name with up to 4 arguments given as 32-bit patterns (an
 * i32, or the bits of an f32 where the export takes one); returns the
 * status, *out (may be NULL) gets the low 32 bits of result 0. */
int rt_call_i32(struct kiln_instance *inst, const char *name, int nargs, const uint32_t *args,
		uint32_t *out, struct kiln_err *err);

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Fork; run @fn in the child; return the child's wait status, or -1 when it
 * did not finish within @timeout_ms (it is then killed). */
int rt_in_child(void (*fn)(void *), void *arg, unsigned timeout_ms);

uint64_t rt_now_ns(void);
/* Resident and virtual size of this process, in KiB. */
void rt_mem_usage(uint64_t *rss_kib, uint64_t *vsz_kib);

#endif
