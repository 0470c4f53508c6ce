/*
 * Does the host have a PMU that counts the guest's retired branches?
 * Precise interrupt delivery on KVM (docs/kvm.md) needs one: a counter
 * of guest-only branches (exclude_host) that can interrupt on overflow.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "encore/kvm_pmu.h"

bool kvm_pmu__probe(char *why, size_t n)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_BRANCH_INSTRUCTIONS;
	a.exclude_host = 1;
	a.exclude_kernel = 0;
	a.disabled = 1;
	a.sample_period = 1u << 20; /* overflow interrupts must be possible too */
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		snprintf(why, n, "the host has no PMU that counts guest branches "
			 "(perf_event_open: %s)", strerror(errno));
		return false;
	}
	close(fd);
	snprintf(why, n, "the host's PMU counts guest branches");
	return true;
}
