/* Rank 0 of encore simulate --mpi (mpi_sim.h). */
#ifdef ENCORE_HAVE_MPI
#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpi_sim.h"
#include "encore/fd_write.h"
#include "encore/host_clock.h"
#include "encore/rr_meta.h"

struct rank {
	bool greeted, ready, lost;
	double last_heard;
	struct mpi_hello hello;
};

struct mpi_coordinator {
	int size;
	const char *rec_dir, *out_dir;
	double timeout;
	struct rank *ranks;       /* [size]; 0 is this one */
	u64 bytes_served;
	u8 *buf;                  /* MPI_CHUNK_MAX + 8 */
	double idle_since;
	/* The file read last, kept open: workers read the page store one
	 * window after another.  Not meta, which the recorder replaces by
	 * renaming a new one over it. */
	char open_name[MPI_NAME_MAX];
	int open_fd;
};

static void nap(struct mpi_coordinator *c)
{
	/* Short naps while workers are asking (pages), longer when idle. */
	double idle = host_clock__seconds() - c->idle_since;
	struct timespec ts = { 0, idle < 0.1 ? 50000 : 1000000 };
	nanosleep(&ts, NULL);
}

/* ---- serving reads and outputs ---- */

#define BUF_SIZE (MPI_CHUNK_MAX + sizeof(struct mpi_output) + 8)

/* Receive the message `st` announced into c->buf; its size, or -1 for one
 * too big to be any of ours (received and dropped). */
static int receive(struct mpi_coordinator *c, const MPI_Status *st)
{
	int count;
	MPI_Get_count(st, MPI_BYTE, &count);
	if (count < 0 || (size_t)count > BUF_SIZE) {
		u8 *sink = malloc(count > 0 ? (size_t)count : 1);
		MPI_Recv(sink, sink ? count : 0, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG,
			 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		free(sink);
		fprintf(stderr, "encore simulate: rank %d sent a message of %d bytes with tag %d, "
			"none of encore's (ignored)\n", st->MPI_SOURCE, count, st->MPI_TAG);
		return -1;
	}
	MPI_Recv(c->buf, count, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
		 MPI_STATUS_IGNORE);
	return count;
}

/* The recording's file `name`, opened (or the one already open). */
static int file_fd(struct mpi_coordinator *c, const char *name)
{
	if (c->open_fd >= 0 && !strcmp(c->open_name, name))
		return c->open_fd;
	if (c->open_fd >= 0)
		close(c->open_fd);
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", c->rec_dir, name);
	c->open_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(c->open_name, sizeof(c->open_name), "%s",
		 c->open_fd >= 0 && strcmp(name, RR_META_FILE) ? name : "");
	return c->open_fd;
}

/* What a READ asks: the file's size (len 0), or its bytes into buf+8;
 * the count, or -errno. */
static i64 read_range(struct mpi_coordinator *c, const struct mpi_read *rq)
{
	int fd = file_fd(c, rq->name);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (!rq->len)
		return fstat(fd, &st) ? -errno : st.st_size;
	ssize_t r = pread(fd, c->buf + 8, rq->len, (off_t)rq->offset);
	return r < 0 ? -errno : r;
}

static void serve_read(struct mpi_coordinator *c, int src, int count)
{
	struct mpi_read rq;
	i64 result = mpi_wire__take_read(c->buf, (size_t)count, &rq) ? -EINVAL : read_range(c, &rq);
	size_t got = result > 0 && rq.len ? (size_t)result : 0;
	memcpy(c->buf, &result, 8);
	c->bytes_served += got;
	MPI_Send(c->buf, (int)(8 + got), MPI_BYTE, src, MPI_TAG_DATA, MPI_COMM_WORLD);
}

static void write_output(struct mpi_coordinator *c, int src, int count)
{
	struct mpi_output o;
	const u8 *data;
	if (!c->out_dir || mpi_wire__take_output(c->buf, (size_t)count, &o, &data)) {
		fprintf(stderr, "encore simulate: rank %d shipped an output that is not one "
			"(ignored)\n", src);
		return;
	}
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", c->out_dir, o.path);
	/* Its directories: OUT/intervals/LABEL (checked: no "..", no links made). */
	for (char *p = path + strlen(c->out_dir) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0777);
		*p = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (o.offset ? 0 : O_TRUNC), 0644);
	if (fd < 0 || pwrite(fd, data, o.len, (off_t)o.offset) != (ssize_t)o.len)
		fprintf(stderr, "encore simulate: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ---- the transport ---- */

/* Worker k is rank k + 1. */
static int mc_start(void *self, unsigned k)
{
	struct mpi_coordinator *c = self;
	const struct rank *r = &c->ranks[k + 1];
	return r->ready && !r->lost ? 0 : -1;
}

static int mc_give(void *self, unsigned k, u32 job)
{
	struct mpi_coordinator *c = self;
	if (c->ranks[k + 1].lost)
		return -1;
	c->ranks[k + 1].last_heard = host_clock__seconds();
	return MPI_Send(&job, 1, MPI_UINT32_T, (int)k + 1, MPI_TAG_JOB, MPI_COMM_WORLD) ==
	       MPI_SUCCESS ? 0 : -1;
}

/* A rank silent for too long is lost, whatever it is doing. */
static bool find_silent(struct mpi_coordinator *c, struct sim_event *ev)
{
	double now = host_clock__seconds();
	for (int r = 1; r < c->size; r++) {
		struct rank *rk = &c->ranks[r];
		if (!rk->ready || rk->lost || now - rk->last_heard < c->timeout)
			continue;
		rk->lost = true;
		ev->kind = SIM_EVENT_LOST;
		ev->worker = (unsigned)r - 1;
		snprintf(ev->why, sizeof(ev->why), "it sent nothing for %.0f seconds: dead or hung",
			 c->timeout);
		return true;
	}
	return false;
}

/* Take one message from `src`; true if it makes an event. */
static bool take_message(struct mpi_coordinator *c, const MPI_Status *st, struct sim_event *ev)
{
	int src = st->MPI_SOURCE, count = receive(c, st);
	struct rank *rk = &c->ranks[src];
	rk->last_heard = host_clock__seconds();
	c->idle_since = rk->last_heard;
	if (count < 0)
		return false;
	switch (st->MPI_TAG) {
	case MPI_TAG_READ:
		serve_read(c, src, count);
		return false;
	case MPI_TAG_OUTPUT:
		write_output(c, src, count);
		return false;
	case MPI_TAG_REPORT:
		if ((size_t)count != sizeof(ev->report))
			return false;
		memcpy(&ev->report, c->buf, sizeof(ev->report));
		ev->report.message[SIM_MESSAGE_MAX - 1] = 0;
		ev->kind = SIM_EVENT_REPORT;
		ev->worker = (unsigned)src - 1;
		return !rk->lost;
	case MPI_TAG_LOST: {
		struct mpi_lost l;
		if ((size_t)count != sizeof(l))
			return false;
		memcpy(&l, c->buf, sizeof(l));
		l.why[sizeof(l.why) - 1] = 0;
		ev->kind = SIM_EVENT_LOST;
		ev->worker = (unsigned)src - 1;
		snprintf(ev->why, sizeof(ev->why), "%s", l.why);
		return !rk->lost;
	}
	default: /* beats, and anything late */
		return false;
	}
}

static void mc_wait(void *self, double timeout, struct sim_event *ev)
{
	struct mpi_coordinator *c = self;
	double until = host_clock__seconds() + timeout;
	ev->kind = SIM_EVENT_NONE;
	do {
		int flag = 0;
		MPI_Status st;
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		if (flag) {
			if (take_message(c, &st, ev))
				return;
			continue;
		}
		if (find_silent(c, ev))
			return;
		nap(c);
	} while (host_clock__seconds() < until);
}

static void mc_finish(void *self)
{
	struct mpi_coordinator *c = self;
	u32 stop = SIM_NO_JOB;
	for (int r = 1; r < c->size; r++)
		if (c->ranks[r].ready && !c->ranks[r].lost)
			MPI_Send(&stop, 1, MPI_UINT32_T, r, MPI_TAG_JOB, MPI_COMM_WORLD);
}

static void mc_name(void *self, unsigned k, char *buf, size_t n)
{
	struct mpi_coordinator *c = self;
	const struct rank *r = &c->ranks[k + 1];
	snprintf(buf, n, "rank %u%s%s%s", k + 1, r->greeted ? " on " : "",
		 r->greeted ? r->hello.host : "", !r->greeted ? "" :
		 r->hello.reads_rec ? " (shared)" : " (shipped)");
}

struct sim_transport mpi_coordinator__transport(struct mpi_coordinator *c)
{
	return (struct sim_transport){ .workers = (unsigned)c->size - 1, .start = mc_start,
				       .give = mc_give, .wait = mc_wait, .finish = mc_finish,
				       .name = mc_name, .self = c };
}

/* ---- setting up ---- */

struct mpi_coordinator *mpi_coordinator__new(int size, const char *rec_dir, const char *out_dir,
					     double timeout)
{
	struct mpi_coordinator *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->size = size;
	c->rec_dir = rec_dir;
	c->out_dir = out_dir;
	c->timeout = timeout;
	c->open_fd = -1;
	c->ranks = calloc((size_t)size, sizeof(*c->ranks));
	c->buf = malloc(BUF_SIZE);
	if (!c->ranks || !c->buf) {
		mpi_coordinator__free(c);
		return NULL;
	}
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	return c;
}

static void take_hello(struct mpi_coordinator *c, const MPI_Status *st, const char *build)
{
	int src = st->MPI_SOURCE;
	struct rank *rk = &c->ranks[src];
	rk->greeted = true;
	if (receive(c, st) != (int)sizeof(rk->hello)) {
		fprintf(stderr, "encore simulate: rank %d's hello is not one of this encore's; it "
			"gets no work\n", src);
		return;
	}
	memcpy(&rk->hello, c->buf, sizeof(rk->hello));
	rk->hello.build[MPI_BUILD_MAX - 1] = rk->hello.host[MPI_NAME_MAX - 1] = 0;
	rk->hello.why[sizeof(rk->hello.why) - 1] = 0;
	rk->greeted = true;
	rk->last_heard = host_clock__seconds();
	if (strcmp(rk->hello.build, build))
		fprintf(stderr, "encore simulate: rank %d runs '%s', rank 0 '%s': every rank must "
			"run the same encore; rank %d gets no work\n", src, rk->hello.build, build,
			src);
	else if (!rk->hello.ok)
		fprintf(stderr, "encore simulate: rank %d on %s cannot work: %s\n", src,
			rk->hello.host, rk->hello.why);
	else
		rk->ready = true;
}

unsigned mpi_coordinator__greet(struct mpi_coordinator *c, const struct mpi_setup *setup)
{
	for (int r = 1; r < c->size; r++)
		MPI_Send(setup, sizeof(*setup), MPI_BYTE, r, MPI_TAG_SETUP, MPI_COMM_WORLD);
	if (!setup->ok)
		return 0;
	unsigned greeted = 0, ready = 0;
	double until = host_clock__seconds() + c->timeout;
	c->idle_since = host_clock__seconds();
	while (greeted < (unsigned)c->size - 1 && host_clock__seconds() < until) {
		int flag = 0;
		MPI_Status st;
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		if (!flag) {
			nap(c);
		} else if (st.MPI_TAG == MPI_TAG_HELLO && !c->ranks[st.MPI_SOURCE].greeted) {
			take_hello(c, &st, setup->build);
			greeted++;
			ready += c->ranks[st.MPI_SOURCE].ready;
		} else {
			struct sim_event ev; /* workers read the recording while they prepare */
			take_message(c, &st, &ev);
		}
	}
	for (int r = 1; r < c->size; r++)
		if (!c->ranks[r].greeted)
			fprintf(stderr, "encore simulate: rank %d did not answer within %.0f s; it "
				"gets no work\n", r, c->timeout);
	return ready;
}

void mpi_coordinator__modes(const struct mpi_coordinator *c, unsigned *shared, unsigned *shipped)
{
	*shared = *shipped = 0;
	for (int r = 1; r < c->size; r++)
		if (c->ranks[r].ready) {
			*shared += c->ranks[r].hello.reads_rec;
			*shipped += !c->ranks[r].hello.reads_rec;
		}
}

unsigned mpi_coordinator__silent(const struct mpi_coordinator *c)
{
	unsigned n = 0;
	for (int r = 1; r < c->size; r++)
		n += c->ranks[r].lost;
	return n;
}

_Noreturn void mpi_sim__abort(int status)
{
	fflush(NULL);
	MPI_Abort(MPI_COMM_WORLD, status);
	_exit(status);
}

u64 mpi_coordinator__bytes_served(const struct mpi_coordinator *c)
{
	return c->bytes_served;
}

void mpi_coordinator__free(struct mpi_coordinator *c)
{
	if (!c)
		return;
	if (c->open_fd >= 0)
		close(c->open_fd);
	free(c->ranks);
	free(c->buf);
	free(c);
}

/* ---- any rank ---- */

bool mpi_sim__under_mpirun(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int mpi_sim__init(int *rank, int *size)
{
	if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
		fprintf(stderr, "encore simulate: MPI_Init failed\n");
		return -1;
	}
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	return 0;
}

void mpi_sim__finalize(void)
{
	MPI_Finalize();
}

#endif
