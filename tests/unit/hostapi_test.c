/*
 * Tests for the kiln host API (runtime/host_api.c, runtime/host_config.c):
 * kiln.log routing, escaping, cutting and rate limit; kiln.config_get codes
 * and bounds; protocol version and health; hostile pointers and lengths.
 * The fixtures (tests/unit/fixtures/hostapi*.wat) are built by `kiln
 * compile`, so the imports are reached through real generated code.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "driver_impl.h"
#include "rt_support.h"
#include "sdk_consts.h"
#include "unit.h"

extern const struct kiln_module_desc kiln_module_hostapi, kiln_module_hostapi_badsig;
static const struct kiln_extension ext_hostapi = {.name = "greeter", .module = &kiln_module_hostapi};
static const struct kiln_extension ext_badsig = {.name = "badsig",
						 .module = &kiln_module_hostapi_badsig};

/* Offsets of the fixture's data segments. */
#define KEY_GREETING 0  /* "greeting" */
#define TEXT_HELLO 16   /* "hello, world\n" */
#define SCRATCH 4096    /* free memory for the tests */

/* What the log callbacks saw. */
#define LOG_KEEP 8
struct seen {
	unsigned count;
	struct kiln_instance *inst;
	char extension[32];
	enum kiln_log_level level[LOG_KEEP];
	char msg[LOG_KEEP][KILN_LOG_LINE_MAX + 64];
	unsigned sleep_ms; /* the callback sleeps this long */
};

static void on_extension_log(void *user, struct kiln_instance *inst, const char *extension,
			     enum kiln_log_level level, const char *msg)
{
	struct seen *s = user;
	unsigned i = s->count++ % LOG_KEEP;
	s->inst = inst;
	snprintf(s->extension, sizeof s->extension, "%s", extension);
	s->level[i] = level;
	snprintf(s->msg[i], sizeof s->msg[i], "%s", msg);
	if (s->sleep_ms != 0) {
		struct timespec ts = {0, (long)s->sleep_ms * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static void on_log(void *user, enum kiln_log_level level, const char *msg)
{
	on_extension_log(user, NULL, "", level, msg);
}

/* Runtime messages (soft deadlines) while the structured callback is on. */
static void quiet(void *user, enum kiln_log_level level, const char *msg)
{
	(void)user, (void)level, (void)msg;
}

static struct kiln_engine *engine_with(struct seen *s, bool structured)
{
	struct kiln_engine_config cfg = {.slots = 4, .user = s};
	struct kiln_engine *eng = NULL;
	struct kiln_err err;
	if (structured) {
		cfg.extension_log = on_extension_log;
		cfg.log = quiet;
	} else {
		cfg.log = on_log;
	}
	if (kiln_engine_new(&cfg, &eng, &err) != KILN_OK)
		fprintf(stderr, "engine_with: %s\n", err.msg);
	return eng;
}

static int call3(struct kiln_instance *inst, const char *name, uint32_t a, uint32_t b,
		 uint32_t c, struct kiln_err *err)
{
	uint32_t args[3] = {a, b, c};
	return rt_call_i32(inst, name, 3, args, NULL, err);
}

static int32_t config(struct kiln_instance *inst, uint32_t kp, uint32_t kl, uint32_t bp,
		      uint32_t bl)
{
	uint32_t args[4] = {kp, kl, bp, bl}, out = 0xdead;
	struct kiln_err err;
	CU_ASSERT_EQUAL(rt_call_i32(inst, "config", 4, args, &out, &err), KILN_OK);
	return (int32_t)out;
}

static const char *last(const struct seen *s)
{
	return s->count == 0 ? "" : s->msg[(s->count - 1) % LOG_KEEP];
}

static void test_log_reaches_the_callback_tagged(void)
{
	struct seen s = {0};
	struct kiln_engine *eng = engine_with(&s, true);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, NULL);
	struct kiln_stats st;
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, TEXT_HELLO, 13, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.count, 1);
	CU_ASSERT_PTR_EQUAL(s.inst, inst);
	CU_ASSERT_STRING_EQUAL(s.extension, "greeter");
	CU_ASSERT_EQUAL(s.level[0], KILN_LOG_INFO);
	CU_ASSERT_STRING_EQUAL(s.msg[0], "hello, world"); /* newline dropped */

	/* every level, and out-of-range levels as debug */
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_ERROR, TEXT_HELLO, 5, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.level[1], KILN_LOG_ERROR);
	CU_ASSERT_STRING_EQUAL(s.msg[1], "hello");
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_WARN, TEXT_HELLO, 5, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.level[2], KILN_LOG_WARN);
	CU_ASSERT_EQUAL(call3(inst, "log", 7, TEXT_HELLO, 5, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.level[3], KILN_LOG_DEBUG);
	CU_ASSERT_EQUAL(call3(inst, "log", 0xffffffffu, TEXT_HELLO, 5, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.level[4], KILN_LOG_DEBUG);
	/* an empty line is still a line */
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, 65536, 0, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.count, 6);
	CU_ASSERT_STRING_EQUAL(last(&s), "");

	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.log_lines, 6);
	CU_ASSERT_EQUAL(st.log_dropped, 0);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_log_without_structured_callback(void)
{
	static char big[900]; /* longer than the runtime's own messages */
	struct seen s = {0};
	struct kiln_engine *eng = engine_with(&s, false);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, NULL);
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_WARN, TEXT_HELLO, 13, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.count, 1);
	CU_ASSERT_EQUAL(s.level[0], KILN_LOG_WARN);
	CU_ASSERT_STRING_EQUAL(s.msg[0], "greeter: hello, world");
	/* a long line arrives whole, tag included */
	memset(big, 'B', sizeof big);
	CU_ASSERT_EQUAL_FATAL(kiln_instance_memory_write(inst, SCRATCH, big, sizeof big, &err),
			      KILN_OK);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, SCRATCH, sizeof big, &err), KILN_OK);
	CU_ASSERT_EQUAL(strlen(s.msg[1]), strlen("greeter: ") + sizeof big);
	CU_ASSERT_EQUAL(strspn(s.msg[1] + strlen("greeter: "), "B"), sizeof big);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* Table of guest bytes and the line the host must see. */
static void test_log_escapes_what_could_forge_lines(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{"plain text", 10, "plain text"},
		{"two\nlines\n", 10, "two\\nlines"},
		{"crlf\r\n\r\n", 8, "crlf"},
		{"\x1b[31mred\x1b[0m", 12, "\\x1b[31mred\\x1b[0m"},
		{"nul\0byte", 8, "nul\\x00byte"},
		{"tab\there", 8, "tab\there"},
		{"del\x7f", 4, "del\\x7f"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5"},
		{"csi\xc2\x9b" "2J", 7, "csi\\xc2\\x9b2J"},          /* C1 control */
		{"bare\x9b" "2J", 7, "bare\\x9b2J"},                /* lone continuation */
		{"over\xc0\xaflong", 10, "over\\xc0\\xaflong"},     /* overlong '/' */
		{"sur\xed\xa0\x80x", 7, "sur\\xed\\xa0\\x80x"},     /* surrogate */
		{"cut\xe2\x82", 5, "cut\\xe2\\x82"},                 /* truncated sequence */
		{"big\xf4\x90\x80\x80", 7, "big\\xf4\\x90\\x80\\x80"}, /* above U+10FFFF */
	};
	struct seen s = {0};
	struct kiln_engine *eng = engine_with(&s, true);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, NULL);
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CU_ASSERT_EQUAL_FATAL(
			kiln_instance_memory_write(inst, SCRATCH, cases[i].in, cases[i].len, &err),
			KILN_OK);
		CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, SCRATCH, (uint32_t)cases[i].len,
				      &err),
				KILN_OK);
		if (strcmp(last(&s), cases[i].out) != 0)
			fprintf(stderr, "\n  case %zu: got \"%s\"\n", i, last(&s));
		CU_ASSERT_STRING_EQUAL(last(&s), cases[i].out);
	}
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_log_cuts_long_lines(void)
{
	struct seen s = {0};
	struct kiln_engine *eng = engine_with(&s, true);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, NULL);
	struct kiln_err err;
	static char big[60000];
	char mark[32];
	const char *line;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	memset(big, 'A', sizeof big);
	CU_ASSERT_EQUAL_FATAL(kiln_instance_memory_write(inst, SCRATCH, big, sizeof big, &err),
			      KILN_OK);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, SCRATCH, sizeof big, &err), KILN_OK);
	line = last(&s);
	n = strlen(line);
	CU_ASSERT(n <= KILN_LOG_LINE_MAX);
	CU_ASSERT(n > KILN_LOG_LINE_MAX - 64);
	snprintf(mark, sizeof mark, " [+%zu bytes]", sizeof big - strspn(line, "A"));
	CU_ASSERT(n > strlen(mark) && strcmp(line + n - strlen(mark), mark) == 0);

	/* escapes expand 4 times: the cut still holds */
	memset(big, 0x01, sizeof big);
	CU_ASSERT_EQUAL_FATAL(kiln_instance_memory_write(inst, SCRATCH, big, sizeof big, &err),
			      KILN_OK);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, SCRATCH, sizeof big, &err), KILN_OK);
	CU_ASSERT(strlen(last(&s)) <= KILN_LOG_LINE_MAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(last(&s), "bytes]"));
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* Hostile pointers and lengths: each traps "out of bounds" and logs
 * nothing; the instance carries on. */
static void test_log_hostile_ranges_trap(void)
{
	static const uint32_t bad[][2] = {
		{65535, 2},           {65536, 1},          {0, 65537},
		{0xffffffffu, 1},     {1, 0xffffffffu},    {0xffffffffu, 0xffffffffu},
		{0x80000000u, 0x80000000u}, {65537, 0},
	};
	struct seen s = {0};
	struct kiln_engine *eng = engine_with(&s, true);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, NULL);
	struct kiln_err err;
	uint32_t one = 1, prev = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, bad[i][0], bad[i][1], &err),
				KILN_ETRAP);
		CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_OUT_OF_BOUNDS);
	}
	CU_ASSERT_EQUAL(s.count, 0);
	/* the whole last byte is fine */
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, 65535, 1, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.count, 1);
	/* the memory grows: the view is fetched again */
	CU_ASSERT_EQUAL(rt_call_i32(inst, "grow", 1, &one, &prev, &err), KILN_OK);
	CU_ASSERT_EQUAL(prev, 1);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, 65535, 2, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.count, 2);
	kiln_instance_free(inst);

	/* a module without memory: only the empty range at 0 */
	inst = rt_instance(eng, &ext_badsig, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, 0, 0, &err), KILN_OK);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, 0, 1, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, 8, 0, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(s.count, 3);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_log_rate_limit(void)
{
	struct seen s = {0};
	struct kiln_engine *eng = engine_with(&s, true);
	struct kiln_grants g = {.log_rate = 10, .log_burst = 5};
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, &g);
	struct kiln_stats st;
	struct kiln_err err;
	struct timespec pause = {0, 250 * 1000000L};

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	/* a burst of 5 goes through, the rest is dropped and counted */
	CU_ASSERT_EQUAL(call3(inst, "log_n", 40, TEXT_HELLO, 5, &err), KILN_OK);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(s.count, 5);
	CU_ASSERT_EQUAL(st.log_lines, 5);
	CU_ASSERT_EQUAL(st.log_dropped, 35);
	/* 250 ms later two lines' worth has come back: the first line is
	 * preceded by the count of lines dropped */
	nanosleep(&pause, NULL);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, TEXT_HELLO, 13, &err), KILN_OK);
	CU_ASSERT_EQUAL(s.count, 7);
	CU_ASSERT_EQUAL(s.level[5], KILN_LOG_WARN);
	CU_ASSERT_STRING_EQUAL(s.msg[5], "35 log lines dropped (rate limit)");
	CU_ASSERT_STRING_EQUAL(s.msg[6], "hello, world");
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.log_lines, 6);
	/* the limit is per instance: another one has its own bucket */
	{
		struct kiln_instance *other = rt_instance(eng, &ext_hostapi, &g);
		CU_ASSERT_PTR_NOT_NULL_FATAL(other);
		CU_ASSERT_EQUAL(call3(other, "log_n", 5, TEXT_HELLO, 5, &err), KILN_OK);
		kiln_instance_stats(other, &st);
		CU_ASSERT_EQUAL(st.log_lines, 5);
		CU_ASSERT_EQUAL(st.log_dropped, 0);
		kiln_instance_free(other);
	}
	kiln_instance_free(inst);

	/* the default: a burst of KILN_DEFAULT_LOG_BURST (the bucket refills
	 * at KILN_DEFAULT_LOG_RATE a second while the loop runs: allow a few) */
	inst = rt_instance(eng, &ext_hostapi, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call3(inst, "log_n", 3 * KILN_DEFAULT_LOG_BURST, TEXT_HELLO, 5, &err),
			KILN_OK);
	kiln_instance_stats(inst, &st);
	CU_ASSERT(st.log_lines >= KILN_DEFAULT_LOG_BURST &&
		  st.log_lines <= KILN_DEFAULT_LOG_BURST + 10);
	CU_ASSERT_EQUAL(st.log_lines + st.log_dropped, 3 * KILN_DEFAULT_LOG_BURST);
	kiln_instance_free(inst);

	/* no limit */
	g.log_rate = KILN_UNLIMITED;
	inst = rt_instance(eng, &ext_hostapi, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call3(inst, "log_n", 5000, TEXT_HELLO, 5, &err), KILN_OK);
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.log_lines, 5000);
	CU_ASSERT_EQUAL(st.log_dropped, 0);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* A log callback that outlives the hard deadline is not cut short: the call
 * traps with "deadline" once it returns. */
static void test_log_callback_is_not_interrupted(void)
{
	struct seen s = {.sleep_ms = 150};
	struct kiln_engine *eng = engine_with(&s, true);
	struct kiln_grants g = {.hard_deadline_ns = 30 * 1000000ull,
				.soft_deadline_ns = 20 * 1000000ull};
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, &g);
	struct kiln_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(call3(inst, "log", KILN_LOG_INFO, TEXT_HELLO, 5, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_DEADLINE);
	CU_ASSERT(s.count >= 1);
	CU_ASSERT_STRING_EQUAL(s.msg[0], "hello");
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_config_get_codes(void)
{
	static const struct kiln_config_entry cfg[] = {
		{"greeting", "hi there"}, {"empty", ""}, {"greet", "short key"}};
	struct kiln_grants g = {.config = cfg, .nconfig = 3};
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, &g);
	struct kiln_err err;
	uint8_t buf[32], fill[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	memset(fill, 0xaa, sizeof fill);
	CU_ASSERT_EQUAL_FATAL(kiln_instance_memory_write(inst, SCRATCH, fill, sizeof fill, &err),
			      KILN_OK);
	/* found, fits: copied without terminator, length returned */
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, SCRATCH, 16), 8);
	kiln_instance_memory_read(inst, SCRATCH, buf, sizeof buf, &err);
	CU_ASSERT(memcmp(buf, "hi there", 8) == 0);
	CU_ASSERT_EQUAL(buf[8], 0xaa);
	/* exactly the size */
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, SCRATCH + 16, 8), 8);
	/* too small: nothing written, the length says what is needed */
	CU_ASSERT_EQUAL_FATAL(kiln_instance_memory_write(inst, SCRATCH, fill, sizeof fill, &err),
			      KILN_OK);
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, SCRATCH, 7), 8);
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, 0, 0), 8);
	kiln_instance_memory_read(inst, SCRATCH, buf, sizeof buf, &err);
	CU_ASSERT(memcmp(buf, fill, sizeof buf) == 0);
	/* a prefix of a key is another key ("greet"); unknown and empty keys */
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 5, SCRATCH, 16), 9);
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 4, SCRATCH, 16), KILN_CONFIG_ENOTFOUND);
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 0, SCRATCH, 16), KILN_CONFIG_ENOTFOUND);
	CU_ASSERT_EQUAL(config(inst, TEXT_HELLO, 12, SCRATCH, 16), KILN_CONFIG_ENOTFOUND);
	/* an empty value is found, with length 0 */
	CU_ASSERT_EQUAL_FATAL(kiln_instance_memory_write(inst, SCRATCH, "empty", 5, &err),
			      KILN_OK);
	CU_ASSERT_EQUAL(config(inst, SCRATCH, 5, SCRATCH + 8, 0), 0);
	/* the host reads the same values */
	CU_ASSERT_STRING_EQUAL(kiln_instance_config(inst, "greeting"), "hi there");
	CU_ASSERT_PTR_NULL(kiln_instance_config(inst, "missing"));
	kiln_instance_free(inst);

	/* no configuration at all: everything is not found */
	inst = rt_instance(eng, &ext_hostapi, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, SCRATCH, 16), KILN_CONFIG_ENOTFOUND);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* Hostile ranges: -2, nothing written, checked before the key is looked up
 * (an unknown key with a bad buffer is still a fault). */
static void test_config_get_hostile_ranges(void)
{
	static const struct kiln_config_entry cfg[] = {{"greeting", "hi there"}};
	static const uint32_t bad[][4] = {
		{65530, 8, SCRATCH, 16},       /* key runs off the end */
		{0xffffffffu, 8, SCRATCH, 16},
		{KEY_GREETING, 0xffffffffu, SCRATCH, 16},
		{KEY_GREETING, 8, 65530, 16},  /* buffer runs off the end */
		{KEY_GREETING, 8, 0xfffffff0u, 0x20},
		{KEY_GREETING, 8, SCRATCH, 0xffffffffu},
		{KEY_GREETING, 8, 0xffffffffu, 0xffffffffu},
		{KEY_GREETING, 8, 65537, 0},
		{TEXT_HELLO, 3, 65530, 16},    /* unknown key, bad buffer */
	};
	struct kiln_grants g = {.config = cfg, .nconfig = 1};
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, &g);
	struct kiln_err err;
	uint8_t tail[6], zeros[6] = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CU_ASSERT_EQUAL(config(inst, bad[i][0], bad[i][1], bad[i][2], bad[i][3]),
				KILN_CONFIG_EFAULT);
	kiln_instance_memory_read(inst, 65530, tail, sizeof tail, &err);
	CU_ASSERT(memcmp(tail, zeros, sizeof tail) == 0);
	/* a buffer ending exactly at the end of memory is fine */
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, 65536 - 8, 8), 8);
	kiln_instance_free(inst);

	/* without memory */
	inst = rt_instance(eng, &ext_badsig, &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(config(inst, 0, 0, 0, 0), KILN_CONFIG_ENOTFOUND);
	CU_ASSERT_EQUAL(config(inst, 0, 8, 0, 0), KILN_CONFIG_EFAULT);
	CU_ASSERT_EQUAL(config(inst, 0, 0, 0, 1), KILN_CONFIG_EFAULT);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* The grant's strings are copied: the host may free them at once. */
static void test_config_is_copied_and_checked(void)
{
	struct kiln_config_entry e[2];
	struct kiln_grants g = {.config = e, .nconfig = 1};
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = NULL;
	struct kiln_err err;
	char *key = strdup("greeting"), *value = strdup("from the heap");
	char *long_value;

	e[0] = (struct kiln_config_entry){key, value};
	CU_ASSERT_EQUAL_FATAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_OK);
	memset(value, 'X', strlen(value));
	free(key);
	free(value);
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, SCRATCH, 32), 13);
	CU_ASSERT_STRING_EQUAL(kiln_instance_config(inst, "greeting"), "from the heap");
	/* a reset keeps the configuration */
	CU_ASSERT_EQUAL(kiln_instance_reset(inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(config(inst, KEY_GREETING, 8, SCRATCH, 32), 13);
	kiln_instance_free(inst);

	/* refused grants name what is wrong */
	e[0] = (struct kiln_config_entry){"a", NULL};
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "NULL value"));
	e[0] = (struct kiln_config_entry){"", "x"};
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "empty key"));
	e[0] = (struct kiln_config_entry){"k", "1"};
	e[1] = (struct kiln_config_entry){"k", "2"};
	g.nconfig = 2;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"k\" is given twice"));
	long_value = malloc(KILN_CONFIG_VALUE_MAX + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(long_value);
	memset(long_value, 'v', KILN_CONFIG_VALUE_MAX + 1);
	long_value[KILN_CONFIG_VALUE_MAX + 1] = '\0';
	e[1] = (struct kiln_config_entry){"big", long_value};
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "value too long"));
	long_value[KILN_CONFIG_VALUE_MAX] = '\0';
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(config(inst, 0, 0, 0, 0), KILN_CONFIG_ENOTFOUND);
	kiln_instance_free(inst);
	free(long_value);
	g.config = NULL;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_EINVAL);
	/* too many values: refused before anything is read */
	g.config = e;
	g.nconfig = KILN_CONFIG_ENTRIES_MAX + 1;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &ext_hostapi, &g, &inst, &err), KILN_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "at most 4096"));
	kiln_engine_free(eng);
}

static void test_protocol_version(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, NULL);
	struct kiln_err err;
	int32_t v = 0;
	uint32_t arg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT(KILN_PROTOCOL_MIN <= KILN_PROTOCOL_MAX);
	CU_ASSERT_EQUAL(kiln_instance_protocol(inst, &v, &err), KILN_OK);
	CU_ASSERT_EQUAL(v, 1);
	arg = KILN_PROTOCOL_MAX + 1;
	rt_call_i32(inst, "set_proto", 1, &arg, NULL, &err);
	CU_ASSERT_EQUAL(kiln_instance_protocol(inst, &v, &err), KILN_EVERSION);
	CU_ASSERT_EQUAL(v, KILN_PROTOCOL_MAX + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "greeter speaks kiln protocol 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "supports 1 to 1"));
	arg = 0;
	rt_call_i32(inst, "set_proto", 1, &arg, NULL, &err);
	CU_ASSERT_EQUAL(kiln_instance_protocol(inst, &v, &err), KILN_EVERSION);
	arg = (uint32_t)-1;
	rt_call_i32(inst, "set_proto", 1, &arg, NULL, &err);
	CU_ASSERT_EQUAL(kiln_instance_protocol(inst, &v, &err), KILN_EVERSION);
	CU_ASSERT_EQUAL(v, -1);
	kiln_instance_free(inst);

	inst = rt_instance(eng, &ext_badsig, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_protocol(inst, &v, &err), KILN_ETYPE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "kiln_protocol_version must be () -> i32"));
	kiln_instance_free(inst);
	kiln_engine_free(eng);

	eng = rt_engine(4);
	inst = rt_instance(eng, &rt_basic, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_protocol(inst, &v, &err), KILN_ENOTFOUND);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

static void test_health(void)
{
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_grants g = {.fuel_per_call = 1000};
	struct kiln_instance *inst = rt_instance(eng, &ext_hostapi, &g);
	struct kiln_err err;
	int32_t h = -1;
	uint32_t arg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_health(inst, &h, &err), KILN_OK);
	CU_ASSERT_EQUAL(h, KILN_HEALTH_OK);
	arg = 3;
	rt_call_i32(inst, "set_health", 1, &arg, NULL, &err);
	CU_ASSERT_EQUAL(kiln_instance_health(inst, &h, &err), KILN_OK);
	CU_ASSERT_EQUAL(h, 3);
	/* a trapping health check is a trap like any call; the instance
	 * carries on */
	arg = (uint32_t)-999;
	rt_call_i32(inst, "set_health", 1, &arg, NULL, &err);
	CU_ASSERT_EQUAL(kiln_instance_health(inst, &h, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_UNREACHABLE);
	arg = 0;
	rt_call_i32(inst, "set_health", 1, &arg, NULL, &err);
	CU_ASSERT_EQUAL(kiln_instance_health(inst, &h, &err), KILN_OK);
	CU_ASSERT_EQUAL(h, KILN_HEALTH_OK);
	/* it runs under the instance's fuel */
	kiln_instance_set_fuel(inst, 1);
	CU_ASSERT_EQUAL(kiln_instance_health(inst, &h, &err), KILN_ETRAP);
	CU_ASSERT_EQUAL(kiln_instance_trap(inst, NULL), KILN_TRAP_FUEL);
	kiln_instance_free(inst);

	inst = rt_instance(eng, &ext_badsig, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_health(inst, &h, &err), KILN_ETYPE);
	kiln_instance_free(inst);
	inst = rt_instance(eng, &rt_basic, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(kiln_instance_health(inst, &h, &err), KILN_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "does not export kiln_health()"));
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

extern const struct kiln_module_desc kiln_module_reactor, kiln_module_reactor_odd;

/* Reactors: `_initialize` runs at every instantiation and reset, inside
 * the instantiation's boundary and budget; a wrong-typed one is left alone. */
static void test_reactor_initialize(void)
{
	static const struct kiln_extension reactor = {.name = "reactor",
						      .module = &kiln_module_reactor};
	static const struct kiln_extension odd = {.name = "odd", .module = &kiln_module_reactor_odd};
	struct kiln_engine *eng = rt_engine(4);
	struct kiln_grants tiny = {.fuel_instantiate = 50};
	struct kiln_instance *inst = rt_instance(eng, &reactor, NULL);
	struct kiln_stats st;
	struct kiln_err err;
	uint32_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "inits", 0, NULL, &n, &err), KILN_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "spent", 0, NULL, &n, &err), KILN_OK);
	CU_ASSERT_EQUAL(n, 1000);
	/* counted as instantiation, not as a call */
	kiln_instance_stats(inst, &st);
	CU_ASSERT_EQUAL(st.instantiations, 1);
	CU_ASSERT_EQUAL(st.calls, 2);
	CU_ASSERT_EQUAL(kiln_instance_reset(inst, &err), KILN_OK);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "inits", 0, NULL, &n, &err), KILN_OK);
	CU_ASSERT_EQUAL(n, 1);
	kiln_instance_free(inst);

	/* its loop runs out of the instantiation budget */
	inst = NULL;
	CU_ASSERT_EQUAL(kiln_instance_new(eng, &reactor, &tiny, &inst, &err), KILN_ETRAP);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_EQUAL(kiln_trap_last(NULL), KILN_TRAP_FUEL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(instantiation)"));

	inst = rt_instance(eng, &odd, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	CU_ASSERT_EQUAL(rt_call_i32(inst, "inits", 0, NULL, &n, &err), KILN_OK);
	CU_ASSERT_EQUAL(n, 0);
	kiln_instance_free(inst);
	kiln_engine_free(eng);
}

/* The runtime, the host world of `kiln compile` and the guest header agree. */
static void test_headers_and_host_world_agree(void)
{
	const int32_t rt[KILN_SDK_NCONSTS] = {
		KILN_PROTOCOL_MAX, KILN_HEALTH_OK, KILN_CONFIG_ENOTFOUND, KILN_CONFIG_EFAULT,
		KILN_LOG_ERROR,    KILN_LOG_WARN,  KILN_LOG_INFO,         KILN_LOG_DEBUG,
		KILN_LOG_LINE_MAX,
	};
	const struct kiln_host_func *f;
	char buf[8];

	for (int i = 0; i < KILN_SDK_NCONSTS; i++)
		CU_ASSERT_EQUAL(kiln_sdk_consts[i], rt[i]);
	CU_ASSERT_STRING_EQUAL(kiln_sdk_exports[0], KILN_PROTOCOL_EXPORT);
	CU_ASSERT_STRING_EQUAL(kiln_sdk_exports[1], KILN_HEALTH_EXPORT);
	f = kiln_host_world_find((const uint8_t *)"kiln", 4, (const uint8_t *)"log", 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->sig, "iii:");
	f = kiln_host_world_find((const uint8_t *)"kiln", 4, (const uint8_t *)"config_get", 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->sig, "iiii:i");

	/* the guest helper's terminator and too-small rule */
	memset(buf, 'x', sizeof buf);
	CU_ASSERT_EQUAL(kiln_sdk_config_get("abc", buf, sizeof buf), 3);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
	CU_ASSERT_EQUAL(kiln_sdk_config_get("1234567", buf, sizeof buf), 7);
	CU_ASSERT_STRING_EQUAL(buf, "1234567");
	CU_ASSERT_EQUAL(kiln_sdk_config_get("12345678", buf, sizeof buf), 8);
	CU_ASSERT_STRING_EQUAL(buf, "");
	memset(buf, 'x', sizeof buf);
	CU_ASSERT_EQUAL(kiln_sdk_config_get(NULL, buf, sizeof buf), KILN_CONFIG_ENOTFOUND);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(kiln_sdk_config_get("abc", buf, 0), 3);
}

void kiln_test_hostapi(void)
{
	CU_pSuite s = CU_add_suite("hostapi", NULL, NULL);
	CU_add_test(s, "log reaches the callback tagged", test_log_reaches_the_callback_tagged);
	CU_add_test(s, "log without structured callback", test_log_without_structured_callback);
	CU_add_test(s, "log escapes what could forge lines",
		    test_log_escapes_what_could_forge_lines);
	CU_add_test(s, "log cuts long lines", test_log_cuts_long_lines);
	CU_add_test(s, "log hostile ranges trap", test_log_hostile_ranges_trap);
	CU_add_test(s, "log rate limit", test_log_rate_limit);
	CU_add_test(s, "log callback is not interrupted", test_log_callback_is_not_interrupted);
	CU_add_test(s, "config_get codes", test_config_get_codes);
	CU_add_test(s, "config_get hostile ranges", test_config_get_hostile_ranges);
	CU_add_test(s, "config is copied and checked", test_config_is_copied_and_checked);
	CU_add_test(s, "protocol version", test_protocol_version);
	CU_add_test(s, "health", test_health);
	CU_add_test(s, "reactor _initialize", test_reactor_initialize);
	CU_add_test(s, "headers and host world agree", test_headers_and_host_world_agree);
}
