/* Simulating while recording (record_simulate.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record_simulate.h"
#include "sim/plugin_host.h"

#define MAX_ARGS 64

static int redirect_output(const char *out)
{
	char log[4400];
	snprintf(log, sizeof(log), "%s/simulate.log", out);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int rc = dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ? -1 : 0;
	close(fd);
	return rc;
}

static _Noreturn void exec_simulate(const struct run_opts *o, const char *out)
{
	char jobs[16];
	const char *argv[MAX_ARGS];
	unsigned n = 0;
	argv[n++] = "encore";
	argv[n++] = "simulate";
	argv[n++] = o->output;
	argv[n++] = "--follow";
	argv[n++] = "-q";
	argv[n++] = "-o";
	argv[n++] = out;
	if (o->simulate_jobs) {
		snprintf(jobs, sizeof(jobs), "%u", o->simulate_jobs);
		argv[n++] = "-j";
		argv[n++] = jobs;
	}
	for (unsigned k = 0; k < o->nsimulate; k++) {
		argv[n++] = "--plugin";
		argv[n++] = o->simulate[k];
	}
	argv[n] = NULL;
	/* Its own process group: the terminal's Ctrl-C is the recorder's. */
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (redirect_output(out) == 0)
		execv("/proc/self/exe", (char *const *)argv);
	fprintf(stderr, "encore record: cannot start encore simulate: %s\n", strerror(errno));
	_exit(2);
}

/* A plugin that cannot load would fail only in the log, after the run:
 * try each one now. */
static int check_plugins(const struct run_opts *o)
{
	static struct plugin_set set;
	char err[1024];
	int rc = 0;
	for (unsigned k = 0; k < o->nsimulate && !rc; k++)
		if (plugin_set__add(&set, o->simulate[k], err, sizeof(err))) {
			fprintf(stderr, "encore record: --simulate %s: %s\n", o->simulate[k], err);
			rc = -1;
		}
	plugin_set__free(&set);
	return rc;
}

int follower__prepare(struct follower *f, const struct run_opts *o)
{
	f->pid = 0;
	if (check_plugins(o))
		return -1;
	if (o->simulate_out)
		snprintf(f->out, sizeof(f->out), "%s", o->simulate_out);
	else
		snprintf(f->out, sizeof(f->out), "%s.sim", o->output);
	if (mkdir(f->out, 0777) && errno != EEXIST) {
		fprintf(stderr, "encore record: cannot create %s for --simulate: %s\n", f->out,
			strerror(errno));
		return -1;
	}
	return 0;
}

int follower__start(struct follower *f, const struct run_opts *o)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "encore record: cannot start encore simulate (recording goes on "
			"without it): %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_simulate(o, f->out);
	f->pid = pid;
	return 0;
}

int follower__finish(struct follower *f)
{
	if (f->pid <= 0)
		return -1;
	fprintf(stderr, "encore record: waiting for the simulation (%s) to finish\n", f->out);
	int status;
	while (waitpid(f->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	f->pid = 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (code == 0)
		fprintf(stderr, "encore record: simulated every interval while recording: %s "
			"(report: %s/simulate.log)\n", f->out, f->out);
	else
		fprintf(stderr, "encore record: the simulation while recording FAILED (status "
			"%d): see %s/simulate.log\n", code, f->out);
	return code;
}
