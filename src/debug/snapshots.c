/* In-memory checkpoints as forked processes (snapshots.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "debug/snapshots.h"

struct slot {
	struct snapshot_info info;
	pid_t pid;
	u64 last_used;
};

/* Shared by every process of the session (MAP_SHARED, made before the
 * first fork).  Only the serving process writes it, and one serves at a
 * time. */
struct shared {
	pid_t supervisor;
	pid_t runner;          /* the serving process; 0 while it hands over */
	bool done;
	int status;
	pid_t final_pid;
	u32 next_id;
	u64 clock;
	struct slot slots[SNAPSHOTS_MAX];
	size_t handoff_max;
	u8 handoff[];
};

static struct shared *sh;

bool snapshots__enabled(void)
{
	return sh != NULL;
}

/* Each waiting copy listens on an abstract Unix socket of its own. */
static void slot_address(int slot, u32 id, struct sockaddr_un *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "encore-snapshot-%d-%d-%u",
			 (int)sh->supervisor, slot, id);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* ---- the supervisor ---- */

static volatile sig_atomic_t supervisor_signal;

static void on_supervisor_signal(int sig)
{
	supervisor_signal = sig;
}

static void stop_all(void)
{
	for (int k = 0; k < SNAPSHOTS_MAX; k++)
		if (sh->slots[k].info.alive)
			kill(sh->slots[k].pid, SIGKILL);
	if (sh->runner > 0 && !sh->done)
		kill(sh->runner, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

static void slot_died(pid_t pid)
{
	for (int k = 0; k < SNAPSHOTS_MAX; k++)
		if (sh->slots[k].info.alive && sh->slots[k].pid == pid)
			sh->slots[k].info.alive = false;
}

static int supervise(void)
{
	struct sigaction sa = { .sa_handler = on_supervisor_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0 && errno == EINTR && supervisor_signal) {
			stop_all();
			return 128 + supervisor_signal;
		}
		if (p < 0 && errno != EINTR) {
			return sh->done ? sh->status : 2;
		}
		if (p < 0)
			continue;
		if (sh->done && p == sh->final_pid) {
			stop_all();
			return sh->status;
		}
		if (p == sh->runner && !sh->done) {
			fprintf(stderr, "encore replay: the replaying process died (%s %d)\n",
				WIFSIGNALED(st) ? "signal" : "status",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			stop_all();
			return 2;
		}
		slot_died(p);
	}
}

int snapshots__start(size_t handoff_max, bool *is_supervisor)
{
	size_t size = sizeof(struct shared) + handoff_max;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*is_supervisor = false;
	if (p == MAP_FAILED)
		return -1;
	sh = p;
	sh->supervisor = getpid();
	sh->handoff_max = handoff_max;
	sh->next_id = 1;
	/* Orphaned copies come to the supervisor, which can then reap and
	 * stop them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		munmap(p, size);
		sh = NULL;
		return -1;
	}
	if (pid == 0) {
		sh->runner = getpid();
		return -1;
	}
	*is_supervisor = true;
	return supervise();
}

/* ---- the serving process ---- */

void snapshots__finish(int status)
{
	if (!sh)
		return;
	sh->status = status;
	sh->final_pid = getpid();
	sh->done = true;
}

u8 *snapshots__handoff(size_t *max)
{
	*max = sh ? sh->handoff_max : 0;
	return sh ? sh->handoff : NULL;
}

int snapshots__before(u64 pos)
{
	int best = -1;
	for (int k = 0; sh && k < SNAPSHOTS_MAX; k++) {
		const struct slot *s = &sh->slots[k];
		if (s->info.alive && s->info.pos <= pos &&
		    (best < 0 || s->info.pos > sh->slots[best].info.pos))
			best = k;
	}
	return best;
}

const struct snapshot_info *snapshots__info(int slot)
{
	return slot >= 0 && slot < SNAPSHOTS_MAX ? &sh->slots[slot].info : NULL;
}

static int send_to(int slot, char what, int fd)
{
	struct sockaddr_un a;
	socklen_t alen;
	slot_address(slot, sh->slots[slot].info.id, &a, &alen);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &what, 1 };
	struct msghdr msg = { .msg_name = &a, .msg_namelen = alen, .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	int rc = sendmsg(s, &msg, 0) == 1 ? 0 : -1;
	close(s);
	return rc;
}

/* A slot for a new copy: a free one, else the least recently used
 * automatic one (told to exit); -1 when all are manual. */
static int free_slot(bool automatic)
{
	int victim = -1;
	for (int k = 0; k < SNAPSHOTS_MAX; k++) {
		const struct slot *s = &sh->slots[k];
		if (!s->info.alive)
			return k;
		if (automatic && s->info.automatic &&
		    (victim < 0 || s->last_used < sh->slots[victim].last_used))
			victim = k;
	}
	if (victim >= 0) {
		send_to(victim, 'x', -1);
		sh->slots[victim].info.alive = false;
	}
	return victim;
}

/* In the waiting copy: until told to resume (fork a process that takes
 * over) or to exit. */
static int wait_for_resume(int sock, int slot, int *fd_out)
{
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL); /* the supervisor stops copies */
	for (;;) {
		char what = 0, cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &what, 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(sock, &msg, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 1 || what != 'r')
			_exit(0);
		int fd = -1;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		if (c && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
		/* Forked twice, so that the process taking over is an orphan
		 * at once: the supervisor adopts it and sees how it ends. */
		pid_t pid = fork(), g = 0;
		if (pid == 0 && (g = fork()) != 0)
			_exit(g > 0 ? 0 : 1);
		int st = 1;
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (pid != 0) /* no copy left behind: this one takes over itself */
			sh->slots[slot].info.alive = false;
		close(sock);
		sigprocmask(SIG_UNBLOCK, &block, NULL);
		sh->runner = getpid();
		*fd_out = fd;
		return SNAPSHOT_RESUMED;
	}
}

int snapshots__take(u64 pos, bool automatic, int *fd)
{
	if (!sh)
		return SNAPSHOT_NONE;
	int slot = free_slot(automatic);
	if (slot < 0)
		return SNAPSHOT_NONE;
	struct slot *s = &sh->slots[slot];
	u32 id = sh->next_id++;
	struct sockaddr_un a;
	socklen_t alen;
	s->info.id = id;
	slot_address(slot, id, &a, &alen);
	int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&a, alen)) {
		if (sock >= 0)
			close(sock);
		return SNAPSHOT_NONE;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(sock);
		return SNAPSHOT_NONE;
	}
	if (pid == 0)
		return wait_for_resume(sock, slot, fd);
	close(sock);
	*s = (struct slot){ .info = { true, automatic, pos, id }, .pid = pid,
			    .last_used = ++sh->clock };
	return slot;
}

int snapshots__resume(int slot, int fd)
{
	sh->slots[slot].last_used = ++sh->clock;
	fflush(NULL);
	pid_t me = sh->runner;
	sh->runner = 0;
	if (send_to(slot, 'r', fd)) {
		sh->runner = me;
		sh->slots[slot].info.alive = false;
		return -1;
	}
	_exit(0);
}
