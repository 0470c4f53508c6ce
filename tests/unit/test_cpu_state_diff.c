/*
 * Naming where two CPU states differ, as a divergence report does: equal
 * states, each named register in turn (the first in reading order wins),
 * a difference outside the named registers (by byte offset), and a buffer
 * too small for the message.
 */
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "encore/cpu_state.h"

static void test_equal(void)
{
	check_group("equal");
	struct encore_cpu_state a, b;
	memset(&a, 0x5a, sizeof(a));
	memcpy(&b, &a, sizeof(b));
	char out[128] = "untouched";
	CHECK(!cpu_state__first_difference(&a, &b, out, sizeof(out)), "equal states differ");
	CHECK(strcmp(out, "untouched") == 0, "wrote %s", out);
}

static void test_named(void)
{
	check_group("named registers");
	struct encore_cpu_state a, b;
	memset(&a, 0, sizeof(a));
	memcpy(&b, &a, sizeof(b));
	b.gpr[REG_R13] = 0x1234;
	char out[128];
	CHECK(cpu_state__first_difference(&a, &b, out, sizeof(out)), "R13 differs");
	CHECK(strcmp(out, "R13 is 0 in the recording, 0x1234 in the replay") == 0, "got %s", out);

	b.rip = 0xffffffff81000000ull;
	b.cr3 = 0x9000;
	CHECK(cpu_state__first_difference(&a, &b, out, sizeof(out)), "RIP differs");
	CHECK(strcmp(out, "RIP is 0 in the recording, 0xffffffff81000000 in the replay") == 0,
	      "RIP first: %s", out);

	memcpy(&b, &a, sizeof(b));
	b.efer = 0x500;
	CHECK(cpu_state__first_difference(&a, &b, out, sizeof(out)), "EFER differs");
	CHECK(strcmp(out, "EFER is 0 in the recording, 0x500 in the replay") == 0, "got %s", out);
}

static void test_unnamed(void)
{
	check_group("unnamed fields");
	struct encore_cpu_state a, b;
	memset(&a, 0, sizeof(a));
	memcpy(&b, &a, sizeof(b));
	b.seg[SEG_FS].base = 0x7f0000001000ull;
	size_t at = offsetof(struct encore_cpu_state, seg[SEG_FS].base);
	while (((const u8 *)&b)[at] == 0)
		at++;
	char out[160], want[160];
	snprintf(want, sizeof(want), "its state differs from byte %zu (segments, descriptor "
		 "tables, MSRs, FPU or pending events)", at);
	CHECK(cpu_state__first_difference(&a, &b, out, sizeof(out)), "FS base differs");
	CHECK(strcmp(out, want) == 0, "got %s, want %s", out, want);

	memcpy(&b, &a, sizeof(b));
	((u8 *)&b)[sizeof(b) - 1] = 1;
	CHECK(cpu_state__first_difference(&a, &b, out, sizeof(out)), "last byte differs");

	char tiny[8];
	b.rip = 1;
	CHECK(cpu_state__first_difference(&a, &b, tiny, sizeof(tiny)), "still reported");
	CHECK(strlen(tiny) == sizeof(tiny) - 1, "cut to the buffer: %s", tiny);
}

int main(void)
{
	test_equal();
	test_named();
	test_unnamed();
	check_group_end();
	return check_summary();
}
