/*
 * slow_disk.so: an LD_PRELOAD shim that makes write(2) behave like a slow,
 * briefly stalling disk or a signal-interrupted one, for the files encore
 * writes (descriptors above 2): some writes are cut short, some fail with
 * EINTR before writing anything, some wait 20 ms first.  Which ones
 * follows SLOW_DISK_SEED (default 1).  At exit it says how many of each
 * it made, on stderr: "slow-disk: N writes, S short, I interrupted, W
 * stalled".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);
static unsigned long long state;
static unsigned long writes, shorts, interrupted, stalls;

static unsigned next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (unsigned)(state >> 32);
}

static void report(void)
{
	fprintf(stderr, "slow-disk: %lu writes, %lu short, %lu interrupted, %lu stalled\n", writes,
		shorts, interrupted, stalls);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (!real_write) {
		real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
		const char *seed = getenv("SLOW_DISK_SEED");
		state = 0x9e3779b97f4a7c15ull * (seed ? strtoull(seed, NULL, 0) + 1 : 2);
		atexit(report);
	}
	if (fd <= 2 || n < 2)
		return real_write(fd, buf, n);
	writes++;
	switch (next() % 8) {
	case 0:
		interrupted++;
		errno = EINTR;
		return -1;
	case 1: {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		stalls++;
		nanosleep(&ts, NULL);
		break;
	}
	case 2:
	case 3:
		shorts++;
		n = 1 + next() % (n - 1);
		break;
	}
	return real_write(fd, buf, n);
}
