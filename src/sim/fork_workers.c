/* Worker processes on this host (fork_workers.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fork_workers.h"
#include "encore/host_clock.h"

struct worker {
	pid_t pid;
	int cmd_fd, rep_fd;
};

struct fork_workers {
	unsigned count;
	sim_run_fn run;
	void *opaque;
	struct worker *w;
	unsigned next_poll;            /* fairness: where the next wait starts looking */
};

/* ---- in a worker ---- */

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

static void pipe_progress(u32 job, u64 insns)
{
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

static _Noreturn void worker_main(struct fork_workers *fw, int cmd_fd, int rep_fd)
{
	_Static_assert(sizeof(struct sim_report) <= PIPE_BUF, "reports must be atomic");
	report_fd = rep_fd;
	sim_progress__set(pipe_progress);
	u32 job;
	while (read_all(cmd_fd, &job, sizeof(job)) && job != SIM_NO_JOB) {
		static struct sim_report r;
		memset(&r, 0, sizeof(r));
		double t0 = host_clock__seconds();
		last_progress = t0;
		fw->run(fw->opaque, job, &r);
		r.job = job;
		r.done = 1;
		r.seconds = host_clock__seconds() - t0;
		send_report(&r);
	}
	fflush(NULL);
	_exit(0);
}

/* ---- in the scheduler's process ---- */

static int spawn(struct fork_workers *fw, unsigned k)
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
		/* The other workers' pipes are theirs: an end kept open here
		 * would hide their death from the scheduler. */
		for (unsigned j = 0; j < fw->count; j++)
			if (fw->w[j].pid)
				close(fw->w[j].cmd_fd), close(fw->w[j].rep_fd);
		close(cmd[1]);
		close(rep[0]);
		worker_main(fw, cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	fw->w[k] = (struct worker){ pid, cmd[1], rep[0] };
	return 0;
}

/* Close worker k's pipes and reap it; its wait status. */
static int reap(struct worker *wk)
{
	int status = 0;
	close(wk->cmd_fd);
	close(wk->rep_fd);
	waitpid(wk->pid, &status, 0);
	wk->pid = 0;
	return status;
}

static int fw_start(void *self, unsigned k)
{
	struct fork_workers *fw = self;
	return spawn(fw, k);
}

static int fw_give(void *self, unsigned k, u32 job)
{
	struct fork_workers *fw = self;
	ssize_t rc = write(fw->w[k].cmd_fd, &job, sizeof(job));
	return rc == sizeof(job) ? 0 : -1;
}

static void describe_death(int status, char *why, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(why, n, "its process was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(why, n, "its process exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void take(struct fork_workers *fw, unsigned k, struct sim_event *ev)
{
	ev->worker = k;
	if (read_all(fw->w[k].rep_fd, &ev->report, sizeof(ev->report))) {
		ev->kind = SIM_EVENT_REPORT;
		return;
	}
	ev->kind = SIM_EVENT_LOST;
	describe_death(reap(&fw->w[k]), ev->why, sizeof(ev->why));
}

static void fw_wait(void *self, double timeout, struct sim_event *ev)
{
	struct fork_workers *fw = self;
	struct pollfd pfd[fw->count ? fw->count : 1];
	unsigned map[fw->count ? fw->count : 1], n = 0;
	ev->kind = SIM_EVENT_NONE;
	for (unsigned i = 0; i < fw->count; i++) {
		unsigned k = (fw->next_poll + i) % fw->count;
		if (fw->w[k].pid) {
			pfd[n] = (struct pollfd){ .fd = fw->w[k].rep_fd, .events = POLLIN };
			map[n++] = k;
		}
	}
	if (poll(pfd, n, (int)(timeout * 1000)) <= 0) {
		if (!n)
			usleep((useconds_t)(timeout * 1e6));
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if (pfd[i].revents) {
			fw->next_poll = map[i] + 1;
			take(fw, map[i], ev);
			return;
		}
}

static void fw_finish(void *self)
{
	struct fork_workers *fw = self;
	u32 stop = SIM_NO_JOB;
	for (unsigned k = 0; k < fw->count; k++)
		if (fw->w[k].pid) {
			ssize_t rc = write(fw->w[k].cmd_fd, &stop, sizeof(stop));
			(void)rc; /* a worker already gone needs no word */
			reap(&fw->w[k]);
		}
}

static void fw_name(void *self, unsigned k, char *buf, size_t n)
{
	(void)self;
	snprintf(buf, n, "worker %u", k);
}

struct fork_workers *fork_workers__new(unsigned count, sim_run_fn run, void *opaque)
{
	struct fork_workers *fw = calloc(1, sizeof(*fw));
	if (!fw || !(fw->w = calloc(count ? count : 1, sizeof(*fw->w)))) {
		free(fw);
		return NULL;
	}
	fw->count = count;
	fw->run = run;
	fw->opaque = opaque;
	signal(SIGPIPE, SIG_IGN);
	return fw;
}

struct sim_transport fork_workers__transport(struct fork_workers *fw)
{
	return (struct sim_transport){ .workers = fw->count, .start = fw_start, .give = fw_give,
				       .wait = fw_wait, .finish = fw_finish, .name = fw_name,
				       .self = fw };
}

unsigned fork_workers__fds(const struct fork_workers *fw, int *fds, unsigned max)
{
	unsigned n = 0;
	for (unsigned k = 0; k < fw->count && n < max; k++)
		if (fw->w[k].pid)
			fds[n++] = fw->w[k].rep_fd;
	return n;
}

void fork_workers__free(struct fork_workers *fw)
{
	if (fw)
		free(fw->w);
	free(fw);
}
