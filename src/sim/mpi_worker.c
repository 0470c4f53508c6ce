/* A worker rank of encore simulate --mpi (mpi_sim.h). */
#ifdef ENCORE_HAVE_MPI
#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpi_sim.h"
#include "encore/fd_write.h"
#include "encore/host_clock.h"
#include "encore/u64_table.h"

#define BEAT_SECONDS 1.0
#define WINDOW_SIZE (64u << 10)   /* page store bytes a job process asks for at once */

static u8 *chunk;                 /* MPI_CHUNK_MAX + header */

static int recv_from_rank0(void *buf, int count, int tag, MPI_Status *st)
{
	/* Poll rather than block: Open MPI's blocking receive spins a core
	 * that the job processes need. */
	for (;;) {
		int flag = 0;
		if (MPI_Iprobe(0, tag, MPI_COMM_WORLD, &flag, st) != MPI_SUCCESS)
			return -1;
		if (flag)
			return MPI_Recv(buf, count, MPI_BYTE, 0, tag, MPI_COMM_WORLD, st) ==
			       MPI_SUCCESS ? 0 : -1;
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
}

int mpi_worker__setup(struct mpi_setup *setup)
{
	MPI_Status st;
	chunk = malloc(MPI_CHUNK_MAX + sizeof(struct mpi_output) + 8);
	if (!chunk || recv_from_rank0(setup, sizeof(*setup), MPI_TAG_SETUP, &st))
		return -1;
	setup->out_token[sizeof(setup->out_token) - 1] = setup->build[MPI_BUILD_MAX - 1] = 0;
	return 0;
}

void mpi_worker__hello(const struct mpi_hello *hello)
{
	MPI_Send(hello, sizeof(*hello), MPI_BYTE, 0, MPI_TAG_HELLO, MPI_COMM_WORLD);
}

ssize_t mpi_worker__read(const char *name, void *buf, size_t len, u64 offset)
{
	struct mpi_read rq = { .offset = offset, .len = (u32)len };
	if (len > MPI_CHUNK_MAX || strlen(name) >= sizeof(rq.name))
		return -EINVAL;
	snprintf(rq.name, sizeof(rq.name), "%s", name);
	MPI_Status st;
	if (MPI_Send(&rq, sizeof(rq), MPI_BYTE, 0, MPI_TAG_READ, MPI_COMM_WORLD) != MPI_SUCCESS ||
	    recv_from_rank0(chunk, MPI_CHUNK_MAX + 8, MPI_TAG_DATA, &st))
		return -EIO;
	int count;
	MPI_Get_count(&st, MPI_BYTE, &count);
	i64 result;
	memcpy(&result, chunk, 8);
	if (!len)
		return (ssize_t)result; /* the size */
	if (result > 0 && (count < 8 || (u64)result > len || (u64)result != (u64)count - 8))
		return -EPROTO;
	if (result > 0)
		memcpy(buf, chunk + 8, (size_t)result);
	return (ssize_t)result;
}

int mpi_worker__fetch(const char *name, const char *local_path, char *err, size_t n)
{
	ssize_t size = mpi_worker__read(name, NULL, 0, 0);
	if (size < 0) {
		snprintf(err, n, "cannot read %s from rank 0: %s", name, strerror((int)-size));
		return -1;
	}
	int fd = open(local_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, n, "cannot create %s: %s", local_path, strerror(errno));
		return -1;
	}
	u8 *buf = malloc(MPI_CHUNK_MAX);
	int rc = buf ? 0 : -1;
	for (u64 at = 0; !rc && at < (u64)size;) {
		size_t want = (u64)size - at < MPI_CHUNK_MAX ? (size_t)((u64)size - at) : MPI_CHUNK_MAX;
		ssize_t got = mpi_worker__read(name, buf, want, at);
		rc = got <= 0 || fd_write_all(fd, buf, (size_t)got) ? -1 : 0;
		at += got > 0 ? (u64)got : 0;
	}
	free(buf);
	if (close(fd) || rc) {
		snprintf(err, n, "cannot copy %s from rank 0 into %s", name, local_path);
		return -1;
	}
	return 0;
}

int mpi_worker__ship_output(const char *local_path, const char *rel, char *err, size_t n)
{
	struct mpi_output o = { 0 };
	if (strlen(rel) >= sizeof(o.path) || !mpi_wire__output_path(rel, strlen(rel) + 1)) {
		snprintf(err, n, "%s: not an output path rank 0 takes", rel);
		return -1;
	}
	snprintf(o.path, sizeof(o.path), "%s", rel);
	int fd = open(local_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, n, "cannot open %s: %s", local_path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (bool first = true;; first = false) {
		ssize_t got = read(fd, chunk + sizeof(o), MPI_CHUNK_MAX);
		if (got < 0) {
			snprintf(err, n, "cannot read %s: %s", local_path, strerror(errno));
			rc = -1;
			break;
		}
		if (!got && !first)
			break;
		o.len = (u32)got;
		memcpy(chunk, &o, sizeof(o));
		MPI_Send(chunk, (int)(sizeof(o) + (size_t)got), MPI_BYTE, 0, MPI_TAG_OUTPUT,
			 MPI_COMM_WORLD);
		o.offset += (u64)got;
		if (!got)
			break;
	}
	close(fd);
	return rc;
}

/* ---- the page store for job processes ---- */

/* socketpair: [0] the supervisor's end, [1] the job processes'. */
static int page_channel[2] = { -1, -1 };

/* Made once, before the job processes are forked: they inherit [1]. */
static int open_page_channel(void)
{
	if (page_channel[0] >= 0)
		return 0;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, page_channel);
}

struct window_cache {
	struct u64_table windows;     /* window index -> pointer to WINDOW_SIZE bytes */
	u64 shipped;
};
static struct window_cache cache;
static struct snap_page_source page_source;

static pid_t supervisor_pid;

struct page_request {
	u64 offset;
	u32 len;
};

/* The reply: the request's offset (a reply meant for a job process that
 * died is skipped by the next), bytes read or -errno, then the bytes. */
struct page_reply {
	u64 offset;
	i64 got;
};

/* In a job process: ask the supervisor for `len` bytes at `offset` (len 0:
 * the store's size) into buf; the reply's byte count, or -1. */
static i64 ask_supervisor(u64 offset, u32 len, u8 *buf)
{
	const size_t head = sizeof(struct page_reply);
	struct page_request rq = { offset, len };
	struct page_reply rp = { .offset = ~0ull };
	if (fd_write_all(page_channel[1], &rq, sizeof(rq)))
		return -1;
	while (rp.offset != rq.offset) {
		if (read(page_channel[1], buf, WINDOW_SIZE + head) < (ssize_t)head)
			return -1;
		memcpy(&rp, buf, head);
	}
	return rp.got < 0 || (len && rp.got > (i64)len) ? -1 : rp.got;
}

/* In a job process: one window of the store.  Only whole windows are
 * kept: the store's last one grows while the recording is written. */
static const u8 *window(u64 index, u8 *scratch)
{
	u64 *slot = u64_table__value(&cache.windows, index);
	if (!slot)
		return NULL;
	if (*slot)
		return (const u8 *)(uintptr_t)*slot;
	const size_t head = sizeof(struct page_reply);
	u8 *buf = malloc(WINDOW_SIZE + head);
	i64 got = buf ? ask_supervisor(index * WINDOW_SIZE, WINDOW_SIZE, buf) : -1;
	if (got < 0) {
		free(buf);
		return NULL;
	}
	cache.shipped += (u64)got;
	if (got < WINDOW_SIZE) {
		memset(scratch, 0, WINDOW_SIZE);
		memcpy(scratch, buf + head, (size_t)got);
		free(buf);
		return scratch;
	}
	*slot = (u64)(uintptr_t)(buf + head);
	return buf + head;
}

static ssize_t read_pages(void *opaque, void *buf, size_t n, u64 offset)
{
	(void)opaque;
	if (getpid() == supervisor_pid) { /* it talks MPI itself */
		ssize_t got = mpi_worker__read("pages", buf, n, offset);
		return got < 0 ? -1 : got;
	}
	static u8 scratch[WINDOW_SIZE];
	for (size_t done = 0; done < n;) {
		u64 at = offset + done;
		const u8 *w = window(at / WINDOW_SIZE, scratch);
		if (!w)
			return -1;
		size_t in = (size_t)(at % WINDOW_SIZE), take = WINDOW_SIZE - in;
		if (take > n - done)
			take = n - done;
		memcpy((u8 *)buf + done, w + in, take);
		done += take;
	}
	return (ssize_t)n;
}

static i64 pages_size(void *opaque)
{
	(void)opaque;
	if (getpid() == supervisor_pid)
		return mpi_worker__read("pages", NULL, 0, 0);
	static u8 reply[WINDOW_SIZE + sizeof(struct page_reply)];
	return ask_supervisor(0, 0, reply);
}

const struct snap_page_source *mpi_worker__page_source(void)
{
	if (open_page_channel())
		return NULL;
	if (!cache.windows.slots && u64_table__init(&cache.windows))
		return NULL;
	supervisor_pid = getpid();
	page_source = (struct snap_page_source){ .read = read_pages, .size = pages_size };
	return &page_source;
}

u64 mpi_worker__shipped(void)
{
	return cache.shipped;
}

/* In the supervisor: answer a job process's request through rank 0. */
static void serve_page_request(void)
{
	struct page_request rq;
	if (read(page_channel[0], &rq, sizeof(rq)) != sizeof(rq))
		return;
	static u8 reply[WINDOW_SIZE + sizeof(struct page_reply)];
	struct page_reply rp = { .offset = rq.offset };
	rp.got = rq.len <= WINDOW_SIZE ? mpi_worker__read("pages", rq.len ? reply + sizeof(rp)
											   : NULL, rq.len,
							   rq.offset) : -EINVAL;
	memcpy(reply, &rp, sizeof(rp));
	size_t data = rq.len && rp.got > 0 ? (size_t)rp.got : 0;
	ssize_t rc = write(page_channel[0], reply, sizeof(rp) + data);
	(void)rc; /* a job process that died meanwhile is the report pipe's news */
}

/* ---- the supervisor's loop ---- */

struct supervisor {
	struct fork_workers *fw;
	struct sim_transport t;
	const struct mpi_worker_hooks *h;
	u32 job;                  /* the job its process runs, or SIM_NO_JOB */
	bool stop;
	double last_sent;
};

static void send_to_rank0(struct supervisor *s, const void *buf, size_t n, int tag)
{
	MPI_Send(buf, (int)n, MPI_BYTE, 0, tag, MPI_COMM_WORLD);
	s->last_sent = host_clock__seconds();
}

static void fail_job(struct supervisor *s, u32 job, const char *why)
{
	static struct sim_report r;
	memset(&r, 0, sizeof(r));
	r.job = job;
	r.done = 1;
	snprintf(r.message, sizeof(r.message), "%s", why);
	send_to_rank0(s, &r, sizeof(r), MPI_TAG_REPORT);
}

static void take_job(struct supervisor *s)
{
	u32 job;
	MPI_Status st;
	MPI_Recv(&job, 1, MPI_UINT32_T, 0, MPI_TAG_JOB, MPI_COMM_WORLD, &st);
	if (job == SIM_NO_JOB) {
		s->stop = true;
		return;
	}
	char why[SIM_MESSAGE_MAX];
	if (s->h->before && s->h->before(s->h->opaque, job, why, sizeof(why))) {
		fail_job(s, job, why);
		return;
	}
	s->job = job;
	if (s->t.give(s->t.self, 0, job))
		return; /* the LOST event says why */
}

static void job_event(struct supervisor *s, struct sim_event *ev)
{
	if (ev->kind == SIM_EVENT_LOST) {
		struct mpi_lost l = { .job = s->job };
		snprintf(l.why, sizeof(l.why), "the process running the job: %.200s", ev->why);
		if (s->job != SIM_NO_JOB)
			send_to_rank0(s, &l, sizeof(l), MPI_TAG_LOST);
		s->job = SIM_NO_JOB;
		if (s->t.start(s->t.self, 0))
			s->stop = true;
		return;
	}
	struct sim_report *r = &ev->report;
	if (r->done) {
		char why[SIM_MESSAGE_MAX];
		if (s->h->after && s->h->after(s->h->opaque, r->job, why, sizeof(why)) && r->ok) {
			r->ok = 0;
			snprintf(r->message, sizeof(r->message), "%s", why);
		}
		s->job = SIM_NO_JOB;
	}
	send_to_rank0(s, r, sizeof(*r), MPI_TAG_REPORT);
}

/* Wait a little for the job process (its reports, its page requests). */
static void wait_local(struct supervisor *s)
{
	struct pollfd pfd[2];
	int fds[1];
	unsigned n = fork_workers__fds(s->fw, fds, 1);
	pfd[0] = (struct pollfd){ .fd = page_channel[0], .events = POLLIN };
	for (unsigned k = 0; k < n; k++)
		pfd[1 + k] = (struct pollfd){ .fd = fds[k], .events = POLLIN };
	if (poll(pfd, 1 + n, 2) <= 0)
		return;
	if (pfd[0].revents & POLLIN)
		serve_page_request();
	if (n && pfd[1].revents) {
		struct sim_event ev;
		s->t.wait(s->t.self, 0, &ev);
		if (ev.kind != SIM_EVENT_NONE)
			job_event(s, &ev);
	}
}

void mpi_worker__serve(struct fork_workers *fw, const struct mpi_worker_hooks *h)
{
	struct supervisor s = { .fw = fw, .t = fork_workers__transport(fw), .h = h,
				.job = SIM_NO_JOB, .last_sent = host_clock__seconds() };
	if (open_page_channel())
		return;
	if (s.t.start(s.t.self, 0))
		return;
	while (!s.stop) {
		int flag = 0;
		MPI_Status st;
		if (s.job == SIM_NO_JOB &&
		    MPI_Iprobe(0, MPI_TAG_JOB, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS && flag) {
			take_job(&s);
			continue;
		}
		wait_local(&s);
		if (host_clock__seconds() - s.last_sent >= BEAT_SECONDS) {
			u8 beat = 0;
			send_to_rank0(&s, &beat, 1, MPI_TAG_BEAT);
		}
	}
	s.t.finish(s.t.self);
}

#endif
