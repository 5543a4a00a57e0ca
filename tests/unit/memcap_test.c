/* Tests for compiler/instrument_memcap.c: clamping, refusal, rounding. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "kiln_compiler.h"
#include "unit.h"
#include "wasm_impl.h"

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00
#define MIB (1024ull * 1024ull)

static struct kiln_wasm_module *read_bytes(const uint8_t *b, size_t n)
{
	struct kiln_wasm_module *m = NULL;
	struct kiln_err err;
	CU_ASSERT_EQUAL(kiln_wasm_read(b, n, "mem.wasm", &m, &err), KILN_OK);
	return m;
}

/* memory min 2, no maximum */
static const uint8_t no_max[] = {HDR, 0x05, 0x03, 0x01, 0x00, 0x02};
/* memory min 2, max 4 */
static const uint8_t small_max[] = {HDR, 0x05, 0x04, 0x01, 0x01, 0x02, 0x04};
/* memory min 1, max 1000 */
static const uint8_t big_max[] = {HDR, 0x05, 0x05, 0x01, 0x01, 0x01, 0xe8, 0x07};
/* memory min 300 pages (18.75 MiB) */
static const uint8_t big_min[] = {HDR, 0x05, 0x04, 0x01, 0x00, 0xac, 0x02};
/* imported memory env.mem, min 1, no maximum */
static const uint8_t imported[] = {HDR, 0x02, 0x0c, 0x01, 0x03, 'e', 'n', 'v',
				   0x03, 'm', 'e', 'm', 0x02, 0x00, 0x01};

static void test_clamps(void)
{
	struct kiln_wasm_module *m;
	struct kiln_err err;

	m = read_bytes(no_max, sizeof no_max);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 16 * MIB, &err), KILN_OK);
	CU_ASSERT_TRUE(m->mems[0].has_max);
	CU_ASSERT_EQUAL(m->mems[0].max, 256);
	CU_ASSERT_EQUAL(m->mems[0].min, 2);
	kiln_wasm_free(m);

	m = read_bytes(small_max, sizeof small_max);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 16 * MIB, &err), KILN_OK);
	CU_ASSERT_EQUAL(m->mems[0].max, 4); /* already below the cap */
	kiln_wasm_free(m);

	m = read_bytes(big_max, sizeof big_max);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 16 * MIB, &err), KILN_OK);
	CU_ASSERT_EQUAL(m->mems[0].max, 256);
	kiln_wasm_free(m);

	m = read_bytes(imported, sizeof imported);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 1 * MIB, &err), KILN_OK);
	CU_ASSERT_TRUE(m->imports[0].desc.memory.has_max);
	CU_ASSERT_EQUAL(m->imports[0].desc.memory.max, 16);
	kiln_wasm_free(m);
}

static void test_rounding(void)
{
	struct kiln_wasm_module *m = read_bytes(no_max, sizeof no_max);
	struct kiln_err err;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* 3 pages minus one byte rounds down to 2 pages */
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 3 * 65536 - 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(m->mems[0].max, 2);
	/* beyond 4 GiB: a 32-bit memory cannot exceed 65536 pages */
	m->mems[0].has_max = false;
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 64ull * 1024 * MIB, &err), KILN_OK);
	CU_ASSERT_EQUAL(m->mems[0].max, 65536);
	kiln_wasm_free(m);
}

static void test_refuses_initial_above_cap(void)
{
	struct kiln_wasm_module *m = read_bytes(big_min, sizeof big_min);
	struct kiln_err err;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 16 * MIB, &err), KILN_EMEMCAP);
	CU_ASSERT_STRING_EQUAL(err.msg, "mem.wasm: memory 0 needs 300 pages (19660800 bytes) "
					"initially, more than the cap of 256 pages (16777216 "
					"bytes)");
	CU_ASSERT_FALSE(m->mems[0].has_max); /* unchanged */
	/* below one page, only an empty memory fits */
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 1000, &err), KILN_EMEMCAP);
	kiln_wasm_free(m);
}

static void test_no_memory(void)
{
	static const uint8_t empty[] = {HDR};
	struct kiln_wasm_module *m = read_bytes(empty, sizeof empty);
	struct kiln_err err;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 0, &err), KILN_OK);
	kiln_wasm_free(m);
}

/* The clamped module encodes the new maximum. */
static void test_written(void)
{
	static const uint8_t want[] = {HDR, 0x05, 0x05, 0x01, 0x01, 0x02, 0x80, 0x02};
	struct kiln_wasm_module *m = read_bytes(no_max, sizeof no_max);
	struct kiln_err err;
	uint8_t *out = NULL;
	size_t len = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(kiln_memcap_apply(m, 16 * MIB, &err), KILN_OK);
	CU_ASSERT_EQUAL_FATAL(kiln_wasm_write(m, &out, &len, &err), KILN_OK);
	CU_ASSERT_EQUAL(len, sizeof want);
	CU_ASSERT_EQUAL(memcmp(out, want, len < sizeof want ? len : sizeof want), 0);
	free(out);
	kiln_wasm_free(m);
}

void kiln_test_memcap(void)
{
	CU_pSuite s = CU_add_suite("memcap", NULL, NULL);
	CU_add_test(s, "clamps maxima", test_clamps);
	CU_add_test(s, "rounds down to pages", test_rounding);
	CU_add_test(s, "refuses an initial size above the cap", test_refuses_initial_above_cap);
	CU_add_test(s, "no memory", test_no_memory);
	CU_add_test(s, "clamped maximum is written", test_written);
}
