/* Running jobs on forked worker processes (scheduler.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scheduler.h"
#include "encore/host_clock.h"

#define NO_JOB 0xffffffffu

/* In a worker: where its reports go. */
static int report_fd = -1;
static double last_progress;

/* One whole report per write(2): under PIPE_BUF, so never torn. */
static void send_report(const struct sim_report *r)
{
	ssize_t rc;
	do
		rc = write(report_fd, r, sizeof(*r));
	while (rc < 0 && errno == EINTR);
}

void sim_progress(u32 job, u64 insns)
{
	if (report_fd < 0)
		return;
	double now = host_clock__seconds();
	if (now - last_progress < 0.2)
		return;
	last_progress = now;
	struct sim_report r = { .job = job, .insns = insns };
	send_report(&r);
}

static bool read_all(int fd, void *buf, size_t n)
{
	u8 *p = buf;
	while (n) {
		ssize_t got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		n -= (size_t)got;
	}
	return true;
}

static _Noreturn void worker_main(int cmd_fd, int rep_fd, const struct sim_worker *w)
{
	_Static_assert(sizeof(struct sim_report) <= PIPE_BUF, "reports must be atomic");
	report_fd = rep_fd;
	u32 job;
	while (read_all(cmd_fd, &job, sizeof(job)) && job != NO_JOB) {
		static struct sim_report r;
		memset(&r, 0, sizeof(r));
		double t0 = host_clock__seconds();
		last_progress = t0;
		w->run(w->opaque, job, &r);
		r.job = job;
		r.done = 1;
		r.seconds = host_clock__seconds() - t0;
		send_report(&r);
	}
	fflush(NULL);
	_exit(0);
}

struct worker {
	pid_t pid;
	int cmd_fd, rep_fd;
	u32 slot;              /* index into jobs[] of the job it runs, or NO_JOB */
};

static int spawn(struct worker *wk, const struct sim_worker *w)
{
	int cmd[2], rep[2];
	if (pipe(cmd))
		return -1;
	if (pipe(rep)) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(cmd[0]), close(cmd[1]), close(rep[0]), close(rep[1]);
		return -1;
	}
	if (pid == 0) {
		close(cmd[1]);
		close(rep[0]);
		worker_main(cmd[0], rep[1], w);
	}
	close(cmd[0]);
	close(rep[1]);
	*wk = (struct worker){ pid, cmd[1], rep[0], NO_JOB };
	return 0;
}

static void retire(struct worker *wk)
{
	close(wk->cmd_fd);
	close(wk->rep_fd);
	waitpid(wk->pid, NULL, 0);
	wk->pid = 0;
}

struct sched {
	const u32 *jobs;
	u32 njobs, next, finished;
	struct sim_report *results;
	sim_observer_fn observe;
	void *observer_opaque;
	const struct sim_worker *w;
};

static void give_work(struct sched *s, struct worker *wk)
{
	u32 job = s->next < s->njobs ? s->jobs[s->next] : NO_JOB;
	wk->slot = job == NO_JOB ? NO_JOB : s->next++;
	/* A failed write means the worker is gone: its report pipe says so. */
	ssize_t rc = write(wk->cmd_fd, &job, sizeof(job));
	(void)rc;
}

/* A worker died: fail its job, and replace it if work remains. */
static void worker_lost(struct sched *s, struct worker *wk)
{
	int status = 0;
	close(wk->cmd_fd);
	close(wk->rep_fd);
	waitpid(wk->pid, &status, 0);
	wk->pid = 0;
	if (wk->slot != NO_JOB) {
		struct sim_report *r = &s->results[wk->slot];
		memset(r, 0, sizeof(*r));
		r->job = s->jobs[wk->slot];
		r->done = 1;
		if (WIFSIGNALED(status))
			snprintf(r->message, sizeof(r->message), "its worker process was killed by "
				 "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			snprintf(r->message, sizeof(r->message), "its worker process exited with "
				 "status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		s->finished++;
		if (s->observe)
			s->observe(s->observer_opaque, r);
	}
	if (s->next < s->njobs && spawn(wk, s->w) == 0)
		give_work(s, wk);
}

static void take_report(struct sched *s, struct worker *wk)
{
	static struct sim_report r;
	if (!read_all(wk->rep_fd, &r, sizeof(r))) {
		worker_lost(s, wk);
		return;
	}
	if (r.done && wk->slot != NO_JOB) {
		s->results[wk->slot] = r;
		s->finished++;
		wk->slot = NO_JOB;
		give_work(s, wk);
	}
	if (s->observe)
		s->observe(s->observer_opaque, &r);
	if (wk->slot == NO_JOB && r.done)
		retire(wk);
}

static void wait_reports(struct sched *s, struct worker *wk, unsigned n)
{
	struct pollfd pfd[n];
	unsigned map[n], count = 0;
	for (unsigned k = 0; k < n; k++) {
		if (!wk[k].pid)
			continue;
		pfd[count] = (struct pollfd){ .fd = wk[k].rep_fd, .events = POLLIN };
		map[count++] = k;
	}
	if (!count) { /* every worker is gone and none could be started */
		for (; s->next < s->njobs; s->next++, s->finished++) {
			struct sim_report *r = &s->results[s->next];
			*r = (struct sim_report){ .job = s->jobs[s->next], .done = 1 };
			snprintf(r->message, sizeof(r->message), "no worker process could be started");
		}
		return;
	}
	int rc = poll(pfd, count, 250);
	if (rc <= 0) {
		if (s->observe)
			s->observe(s->observer_opaque, NULL);
		return;
	}
	for (unsigned k = 0; k < count; k++)
		if (pfd[k].revents)
			take_report(s, &wk[map[k]]);
}

int scheduler__run(const u32 *jobs, u32 njobs, unsigned workers, const struct sim_worker *w,
		   sim_observer_fn observe, void *observer_opaque, struct sim_report *results)
{
	struct sched s = { jobs, njobs, 0, 0, results, observe, observer_opaque, w };
	if (workers > njobs)
		workers = njobs;
	if (!workers)
		return 0;
	struct worker *wk = calloc(workers, sizeof(*wk));
	if (!wk)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	for (unsigned k = 0; k < workers; k++) {
		if (spawn(&wk[k], w)) {
			for (unsigned j = 0; j < k; j++)
				kill(wk[j].pid, SIGKILL), retire(&wk[j]);
			free(wk);
			return -1;
		}
		give_work(&s, &wk[k]);
	}
	while (s.finished < njobs)
		wait_reports(&s, wk, workers);
	for (unsigned k = 0; k < workers; k++)
		if (wk[k].pid)
			retire(&wk[k]);
	free(wk);
	return 0;
}
