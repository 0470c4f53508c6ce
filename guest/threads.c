/*
 * threads: the default guest's multiprocessor workload, installed as
 * /bin/threads.  One thread per online CPU, each pinned to its CPU with
 * sched_setaffinity, doing work that must add up the same on every
 * machine (atomic adds, a mutex-protected count, a ping-pong over a
 * condition variable, a per-thread checksum), and one unsynchronised
 * counter whose final value depends on how the CPUs interleaved: on
 * encore it is the same in every replay of a recording; on QEMU or real
 * hardware it varies.  Results are printed one per line, prefixed
 * "threads: "; the racy line is the only one that may differ between
 * machines.
 *
 *   threads [ROUNDS]     (default 20000)
 *
 * Built statically against glibc (guest/build-guest.sh).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 64

static long rounds = 20000;
static long nthreads;

static atomic_long atomic_total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long locked_total;
static volatile long racy_total; /* no lock, no atomics: the interleaving shows */

/* The ping-pong: the ball goes to thread (holder + 1) % nthreads. */
static pthread_mutex_t ball_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ball_moved = PTHREAD_COND_INITIALIZER;
static long ball_holder, ball_passes, pass_limit;

struct worker {
	pthread_t thread;
	long index;
	int cpu_seen;     /* sched_getcpu() after pinning */
	int pinned;       /* sched_setaffinity succeeded */
	uint64_t checksum;
};

static int pin_to(long cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

/* Work that depends only on the thread's index (a multiply keeps it from
 * being linear, so the threads' results do not cancel out). */
static uint64_t checksum_work(long index)
{
	uint64_t x = 0x9e3779b97f4a7c15ull + (uint64_t)index;
	for (long k = 0; k < rounds; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		x ^= x >> 29;
	}
	return x;
}

static void play_ball(long index)
{
	pthread_mutex_lock(&ball_lock);
	for (;;) {
		while (ball_holder != index && ball_passes < pass_limit)
			pthread_cond_wait(&ball_moved, &ball_lock);
		if (ball_passes >= pass_limit)
			break;
		ball_passes++;
		ball_holder = (index + 1) % nthreads;
		pthread_cond_broadcast(&ball_moved);
	}
	pthread_mutex_unlock(&ball_lock);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	w->pinned = pin_to(w->index);
	w->cpu_seen = sched_getcpu();
	for (long k = 0; k < rounds; k++) {
		atomic_fetch_add(&atomic_total, 1);
		pthread_mutex_lock(&lock);
		locked_total += 2;
		pthread_mutex_unlock(&lock);
		long v = racy_total; /* read, add, write: updates can be lost */
		racy_total = v + 1;
	}
	w->checksum = checksum_work(w->index);
	play_ball(w->index);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rounds = strtol(argv[1], NULL, 10);
	nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	if (rounds < 1 || nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: threads [ROUNDS]  (ROUNDS > 0; at most %d CPUs)\n",
			MAX_THREADS);
		return 2;
	}
	pass_limit = 100 * nthreads;
	static struct worker w[MAX_THREADS];
	printf("threads: %ld threads, %ld rounds\n", nthreads, rounds);
	for (long k = 0; k < nthreads; k++) {
		w[k].index = k;
		if (pthread_create(&w[k].thread, NULL, work, &w[k])) {
			perror("threads: pthread_create");
			return 1;
		}
	}
	uint64_t checksum = 0;
	int pinned_right = 0;
	for (long k = 0; k < nthreads; k++) {
		pthread_join(w[k].thread, NULL);
		checksum += w[k].checksum;
		pinned_right += w[k].pinned && w[k].cpu_seen == k;
	}
	for (long k = 0; k < nthreads; k++)
		printf("threads: thread %ld ran on cpu %d\n", k, w[k].cpu_seen);
	printf("threads: pinned %d of %ld\n", pinned_right, nthreads);
	printf("threads: atomic %ld (want %ld)\n", (long)atomic_total, nthreads * rounds);
	printf("threads: mutex %ld (want %ld)\n", locked_total, 2 * nthreads * rounds);
	printf("threads: ball passes %ld\n", ball_passes);
	printf("threads: checksum %016llx\n", (unsigned long long)checksum);
	printf("threads: racy %ld of %ld\n", racy_total, nthreads * rounds);
	printf("threads: done\n");
	return atomic_total == nthreads * rounds && locked_total == 2 * nthreads * rounds &&
			       pinned_right == nthreads ? 0 : 1;
}
