/* Counters, throttled failure reports and the summary (see check.h). */
#include "check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

unsigned long check_passed, check_failed;
unsigned long check_report_limit = 25;

static const char *group_name;
static unsigned long group_failed, group_printed;
static bool limit_read;

static void read_limit(void)
{
	if (limit_read)
		return;
	limit_read = true;
	check_report_limit = check_env_u64("ENCORE_TEST_MAX_REPORT", check_report_limit);
}

void check_group_end(void)
{
	if (group_name && group_failed > group_printed)
		printf("  (%s: %lu failures, %lu not shown; ENCORE_TEST_MAX_REPORT=0 shows all)\n",
		       group_name, group_failed, group_failed - group_printed);
	group_name = NULL;
	group_failed = group_printed = 0;
}

void check_group(const char *name)
{
	check_group_end();
	read_limit();
	group_name = name;
}

void check_pass(void)
{
	check_passed++;
}

bool check_fail(void)
{
	read_limit();
	check_failed++;
	group_failed++;
	if (check_report_limit && group_printed >= check_report_limit)
		return false;
	group_printed++;
	return true;
}

void check_failf(const char *where, const char *fmt, ...)
{
	if (!check_fail())
		return;
	va_list ap;
	printf("FAIL %s: ", where);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int check_summary(void)
{
	check_group_end();
	printf("%lu passed, %lu failed\n", check_passed, check_failed);
	fflush(stdout);
	return check_failed ? 1 : 0;
}

void check_skip(const char *fmt, ...)
{
	va_list ap;
	printf("SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(77);
}

uint64_t check_env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	uint64_t x = strtoull(v, &end, 0);
	if (*end) {
		fprintf(stderr, "%s=%s: not a number, using %llu\n", name, v,
			(unsigned long long)dflt);
		return dflt;
	}
	return x;
}

uint64_t check_seed(uint64_t dflt)
{
	uint64_t s = check_env_u64("ENCORE_TEST_SEED", dflt);
	printf("seed: %llu (set ENCORE_TEST_SEED to change)\n", (unsigned long long)s);
	fflush(stdout);
	return s;
}
