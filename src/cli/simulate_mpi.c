/*
 * encore simulate --mpi: rank 0 plans, schedules, serves the recording
 * and merges; every other rank runs intervals.  A worker rank that can
 * read the recording's directory (the same recording, by id) reads it
 * itself; one that cannot, or told --mpi-ship, is shipped what each job
 * needs: the small files once, the page store a window at a time as the
 * job touches it.  Likewise it writes its outputs into OUT where OUT is
 * shared, and ships them to rank 0 otherwise.
 */
#define _GNU_SOURCE /* nftw */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sim_state.h"
#include "rr/disk_journal.h"
#include "rr/rec_dir.h"
#include "sim/mpi_sim.h"

#ifdef ENCORE_HAVE_MPI

#define TOKEN_PREFIX ".encore-mpi-"

/* ---- rank 0 ---- */

static void token_path(const struct sim_state *s, const char *token, char *buf, size_t n)
{
	snprintf(buf, n, "%s/" TOKEN_PREFIX "%s", s->opts.out, token);
}

/* A file in OUT that only workers sharing OUT can see. */
static void make_token(const struct sim_state *s, struct mpi_setup *setup)
{
	snprintf(setup->out_token, sizeof(setup->out_token), "%08lx%08lx",
		 (unsigned long)getpid(), (unsigned long)time(NULL));
	if (!s->opts.out)
		return;
	char path[4200];
	token_path(s, setup->out_token, path, sizeof(path));
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

static void describe_mode(struct sim_state *s, struct mpi_coordinator *c, int size)
{
	unsigned shared, shipped;
	mpi_coordinator__modes(c, &shared, &shipped);
	snprintf(s->mode, sizeof(s->mode), "MPI: %d ranks, %u workers (%u read the recording, "
		 "%u were shipped it)", size, shared + shipped, shared, shipped);
}

static int coordinate(struct sim_state *s, int size)
{
	struct mpi_setup setup = { .ok = 1, .force_ship = s->opts.mpi_ship,
				   .force_shared = s->opts.mpi_shared };
	mpi_wire__build(setup.build, sizeof(setup.build), ENCORE_VERSION);
	if (sim_state__prepare(s, false)) {
		setup.ok = 0;
		struct mpi_coordinator *c = mpi_coordinator__new(size, s->opts.dir, NULL, 1);
		if (c)
			mpi_coordinator__greet(c, &setup);
		mpi_coordinator__free(c);
		return SIM_EXIT_USAGE;
	}
	setup.rec_id = s->rec.meta.id;
	make_token(s, &setup);
	struct mpi_coordinator *c = mpi_coordinator__new(size, s->opts.dir, s->opts.out,
							 s->opts.mpi_timeout);
	int status = SIM_EXIT_FAILED;
	if (!c) {
		fprintf(stderr, "encore simulate: out of memory\n");
	} else if (!mpi_coordinator__greet(c, &setup)) {
		fprintf(stderr, "encore simulate: no worker rank is ready (see above)\n");
		mpi_coordinator__transport(c).finish(c);
	} else {
		describe_mode(s, c, size);
		struct sim_transport t = mpi_coordinator__transport(c);
		if (!sim_run(s, &t))
			status = sim_output__finish(s);
		fprintf(stderr, "recording bytes shipped to workers: %llu\n",
			(unsigned long long)mpi_coordinator__bytes_served(c));
	}
	bool silent = c && mpi_coordinator__silent(c);
	if (s->opts.out) {
		char path[4200];
		token_path(s, setup.out_token, path, sizeof(path));
		unlink(path);
	}
	mpi_coordinator__free(c);
	if (silent) {
		fprintf(stderr, "encore simulate: ending every rank (a silent one may be hung and "
			"would never finish)\n");
		mpi_sim__abort(status);
	}
	return status;
}

/* ---- worker ranks ---- */

struct worker_rank {
	struct sim_state *s;
	bool reads_rec, writes_out;
	char local[4096];          /* a temporary directory: the shipped recording */
	char local_out[4200];
};

static bool same_recording(const char *dir, u64 id)
{
	static struct rr_meta m;
	char err[1024];
	return !rr_meta__read(dir, &m, err, sizeof(err)) && m.id == id;
}

static bool sees_token(const struct sim_state *s, const struct mpi_setup *setup)
{
	char path[4200];
	token_path(s, setup->out_token, path, sizeof(path));
	return s->opts.out && access(path, F_OK) == 0;
}

static int fetch(struct worker_rank *w, const char *name, bool again, char *err, size_t n)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", w->local, name);
	if (!name[0] || (!again && access(path, F_OK) == 0))
		return 0;
	return mpi_worker__fetch(name, path, err, n);
}

/* The recording's small files, as they are now (again, with --follow). */
static int fetch_small_files(struct worker_rank *w, bool again, char *err, size_t n)
{
	static const char *const files[] = { RR_META_FILE, RR_LOG_FILE, REC_CONSOLE_FILE,
					     SNAP_CKPTS_FILE };
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++)
		if (fetch(w, files[k], again, err, n))
			return -1;
	/* Only recordings with disks have a disk journal. */
	if (mpi_worker__read(DISK_JOURNAL_FILE, NULL, 0, 0) >= 0 &&
	    fetch(w, DISK_JOURNAL_FILE, again, err, n))
		return -1;
	return 0;
}

/* This rank's temporary directory: the shipped recording, outputs. */
static int make_local(struct worker_rank *w, char *err, size_t n)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(w->local, sizeof(w->local), "%s/encore-mpi-XXXXXX", tmp);
	if (!mkdtemp(w->local)) {
		snprintf(err, n, "cannot make a directory in %s: %s", tmp, strerror(errno));
		w->local[0] = 0;
		return -1;
	}
	return 0;
}

/* The recording's small files, here; its page store stays at rank 0. */
static int ship_recording(struct worker_rank *w, char *err, size_t n)
{
	if (fetch_small_files(w, false, err, n))
		return -1;
	const struct snap_page_source *src = mpi_worker__page_source();
	if (!src) {
		snprintf(err, n, "cannot reach rank 0's page store");
		return -1;
	}
	snap_reader__set_page_source(src);
	w->s->opts.dir = w->local;
	return 0;
}

static int local_outputs(struct worker_rank *w, char *err, size_t n)
{
	snprintf(w->local_out, sizeof(w->local_out), "%s/out", w->local);
	if (mkdir(w->local_out, 0777)) {
		snprintf(err, n, "cannot make %.200s: %s", w->local_out, strerror(errno));
		return -1;
	}
	w->s->opts.out = w->local_out;
	return 0;
}

/* The intervals job `job` analyses. */
static void job_range(const struct sim_plan *p, u32 job, u32 *first, u32 *last)
{
	*first = p->serial ? p->first_interval : job;
	*last = p->serial ? p->last_interval : job;
}

/* A job from the boot needs the guest's files; with --follow, one this
 * rank does not know yet needs the recording read again. */
static int before_job(void *opaque, u32 job, char *why, size_t n)
{
	struct worker_rank *w = opaque;
	if (w->s->opts.follow && job >= w->s->plan.intervals) {
		if (!w->reads_rec && fetch_small_files(w, true, why, n))
			return -1;
		if (sim_state__refresh(w->s)) {
			snprintf(why, n, "this rank cannot read the recording again (see above)");
			return -1;
		}
	}
	u32 first, last;
	job_range(&w->s->plan, job, &first, &last);
	const struct rr_meta *m = &w->s->rec.meta;
	if (w->reads_rec || first != 0 || m->branch_of[0])
		return 0;
	return fetch(w, m->kernel, false, why, n) || fetch(w, m->initrd, false, why, n);
}

static int after_job(void *opaque, u32 job, char *why, size_t n)
{
	struct worker_rank *w = opaque;
	const struct sim_state *s = w->s;
	if (w->writes_out || !s->opts.out)
		return 0;
	u32 first, last;
	job_range(&s->plan, job, &first, &last);
	for (unsigned k = 0; k < s->plugins.count; k++)
		for (u32 iv = first; iv <= last; iv++) {
			char local[4400], rel[4400];
			plugin_set__interval_path(&s->plugins.v[k], w->local_out, iv, local,
						  sizeof(local));
			plugin_set__interval_path(&s->plugins.v[k], "", iv, rel, sizeof(rel));
			if (access(local, F_OK))
				continue; /* a failed interval leaves none */
			if (mpi_worker__ship_output(local, rel + 1, why, n))
				return -1;
			unlink(local);
		}
	return 0;
}

static void run_job(void *opaque, u32 job, struct sim_report *out)
{
	struct worker_rank *w = opaque;
	u64 before = mpi_worker__shipped();
	sim_follow__run_job(w->s, job, out);
	out->bytes_shipped = mpi_worker__shipped() - before;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int get_ready(struct worker_rank *w, const struct mpi_setup *setup, char *why, size_t n)
{
	struct sim_state *s = w->s;
	w->reads_rec = !setup->force_ship && same_recording(s->opts.dir, setup->rec_id);
	w->writes_out = !setup->force_ship && sees_token(s, setup);
	if (setup->force_shared && (!w->reads_rec || (s->opts.out && !w->writes_out))) {
		snprintf(why, n, "--mpi-shared, but it cannot %s %s here", !w->reads_rec ? "read" :
			 "see", !w->reads_rec ? s->opts.dir : s->opts.out);
		return -1;
	}
	if ((!w->reads_rec || (s->opts.out && !w->writes_out)) && make_local(w, why, n))
		return -1;
	if (!w->reads_rec && ship_recording(w, why, n))
		return -1;
	if (s->opts.out && !w->writes_out && local_outputs(w, why, n))
		return -1;
	if (sim_state__prepare(s, true)) {
		snprintf(why, n, "it cannot prepare the recording (its message above says why)");
		return -1;
	}
	return 0;
}

static void work(struct sim_state *s)
{
	struct mpi_setup setup;
	if (mpi_worker__setup(&setup) || !setup.ok)
		return;
	struct worker_rank w = { .s = s };
	struct mpi_hello hello = { .ok = 1 };
	mpi_wire__build(hello.build, sizeof(hello.build), ENCORE_VERSION);
	gethostname(hello.host, sizeof(hello.host) - 1);
	if (strcmp(setup.build, hello.build)) {
		hello.ok = 0;
		snprintf(hello.why, sizeof(hello.why), "it runs '%s'", hello.build);
	} else if (get_ready(&w, &setup, hello.why, sizeof(hello.why))) {
		hello.ok = 0;
	}
	hello.reads_rec = w.reads_rec;
	hello.writes_out = w.writes_out;
	struct fork_workers *fw = hello.ok ? fork_workers__new(1, run_job, &w) : NULL;
	if (hello.ok && !fw) {
		hello.ok = 0;
		snprintf(hello.why, sizeof(hello.why), "out of memory");
	}
	mpi_worker__hello(&hello);
	if (fw) {
		struct mpi_worker_hooks hooks = { before_job, after_job, &w };
		mpi_worker__serve(fw, &hooks);
	}
	fork_workers__free(fw);
	if (w.local[0])
		nftw(w.local, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int simulate_mpi(struct sim_state *s)
{
	if (!mpi_sim__under_mpirun()) {
		fprintf(stderr, "encore simulate: --mpi runs under mpirun, one process per rank: "
			"mpirun -np N encore simulate REC --mpi ... (N-1 ranks work, rank 0 "
			"schedules)\n");
		return SIM_EXIT_USAGE;
	}
	int rank, size;
	if (mpi_sim__init(&rank, &size))
		return SIM_EXIT_USAGE;
	int status = 0;
	if (size < 2) {
		if (rank == 0)
			fprintf(stderr, "encore simulate: --mpi needs at least 2 ranks (rank 0 "
				"schedules, the others work): mpirun -np N with N >= 2\n");
		status = SIM_EXIT_USAGE;
	} else if (rank == 0) {
		status = coordinate(s, size);
	} else {
		work(s);
	}
	mpi_sim__finalize();
	return status;
}

#else

int simulate_mpi(struct sim_state *s)
{
	(void)s;
	fprintf(stderr, "encore simulate: this encore was built without MPI: install Open MPI "
		"(Debian: libopenmpi-dev openmpi-bin) and rebuild (make clean; make)\n");
	return SIM_EXIT_USAGE;
}

#endif
