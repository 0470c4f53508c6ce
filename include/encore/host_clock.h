/*
 * The host's monotonic clock, for wall-time measurements (never for
 * guest time, which is virtual and deterministic).
 */
#ifndef ENCORE_HOST_CLOCK_H
#define ENCORE_HOST_CLOCK_H

#include <time.h>

#include "encore/types.h"

static inline u64 host_clock__ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static inline double host_clock__seconds(void)
{
	return host_clock__ns() / 1e9;
}

#endif
