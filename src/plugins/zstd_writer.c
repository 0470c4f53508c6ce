/* A zstd stream compressed and written on a thread of its own (zstd_writer.h). */
#include "zstd_writer.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <zstd.h>

#include "encore/errmsg.h"

struct zstd_writer {
	FILE *out;
	ZSTD_CCtx *cctx;
	u8 *bufs[2];
	size_t buf_size;
	unsigned filling;       /* the producer's buffer: bufs[filling] */
	void *zbuf;             /* compressed output on its way to out */
	size_t zcap;
	bool started;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock: the buffer handed over, if any */
	const u8 *job;
	size_t job_len;
	bool job_ends_frame, has_job, stopping;
	/* written by the thread alone until it is joined */
	bool failed;
	char failure[160];
};

static void fail(struct zstd_writer *w, const char *what, const char *detail)
{
	if (!w->failed)
		snprintf(w->failure, sizeof(w->failure), "%s%s", what, detail);
	w->failed = true;
}

static void compress(struct zstd_writer *w, const u8 *p, size_t n, bool end_frame)
{
	ZSTD_EndDirective mode = end_frame ? ZSTD_e_end : ZSTD_e_continue;
	ZSTD_inBuffer in = { p, n, 0 };
	bool done = false;
	while (!done && !w->failed) {
		ZSTD_outBuffer out = { w->zbuf, w->zcap, 0 };
		size_t left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
		if (ZSTD_isError(left))
			fail(w, "compression failed: zstd: ", ZSTD_getErrorName(left));
		else if (out.pos && fwrite(w->zbuf, 1, out.pos, w->out) != out.pos)
			fail(w, "cannot write the interval's output", "");
		done = end_frame ? left == 0 : in.pos == in.size;
	}
}

static void *compress_thread(void *opaque)
{
	struct zstd_writer *w = opaque;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->has_job && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->has_job)
			break;
		const u8 *p = w->job;
		size_t n = w->job_len;
		bool end_frame = w->job_ends_frame;
		pthread_mutex_unlock(&w->lock);
		compress(w, p, n, end_frame);
		pthread_mutex_lock(&w->lock);
		w->has_job = false;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static bool set_params(ZSTD_CCtx *c, int level)
{
	return !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, 0));
}

struct zstd_writer *zstd_writer__create(FILE *out, int level, size_t buf_size, char *err,
					size_t errlen)
{
	struct zstd_writer *w = calloc(1, sizeof(*w));
	if (w) {
		w->out = out;
		w->buf_size = buf_size;
		w->zcap = ZSTD_CStreamOutSize();
		w->cctx = ZSTD_createCCtx();
		w->bufs[0] = malloc(buf_size);
		w->bufs[1] = malloc(buf_size);
		w->zbuf = malloc(w->zcap);
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->cond, NULL);
	}
	if (!w || !w->cctx || !w->bufs[0] || !w->bufs[1] || !w->zbuf || !set_params(w->cctx, level)) {
		zstd_writer__destroy(w);
		errmsg(err, errlen, "cannot set up zstd compression (out of memory?)");
		return NULL;
	}
	return w;
}

void zstd_writer__start(struct zstd_writer *w)
{
	if (w->started)
		return;
	/* Signals stay with the threads that handle them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, compress_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w->started = rc == 0;
}

u8 *zstd_writer__buffer(const struct zstd_writer *w)
{
	return w->bufs[w->filling];
}

u8 *zstd_writer__submit(struct zstd_writer *w, size_t len, bool end_frame)
{
	const u8 *full = w->bufs[w->filling];
	if (!w->started) {
		/* No thread could be made: compress here. */
		compress(w, full, len, end_frame);
		return w->bufs[w->filling];
	}
	pthread_mutex_lock(&w->lock);
	while (w->has_job)
		pthread_cond_wait(&w->cond, &w->lock);
	w->job = full;
	w->job_len = len;
	w->job_ends_frame = end_frame;
	w->has_job = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	w->filling ^= 1;
	return w->bufs[w->filling];
}

static void stop(struct zstd_writer *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->started = false;
	w->stopping = false;
}

int zstd_writer__finish(struct zstd_writer *w, char *err, size_t errlen)
{
	stop(w);
	if (!w->failed && fflush(w->out))
		fail(w, "cannot write the interval's output", "");
	if (w->failed)
		return errmsg(err, errlen, "%s", w->failure);
	return 0;
}

void zstd_writer__destroy(struct zstd_writer *w)
{
	if (!w)
		return;
	stop(w);
	ZSTD_freeCCtx(w->cctx);
	free(w->bufs[0]);
	free(w->bufs[1]);
	free(w->zbuf);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
