/* scan.c — one pass over a file: its digest(s) and, optionally, its record
 * tree, on both cores.  The main thread reads a chunk and builds records
 * from it while a worker hashes the same chunk; two buffers alternate so
 * the read of the next chunk overlaps the worker's hashing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "cli/cli.h"

#define CHUNK (4u << 20)

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const uint8_t *p; /* chunk to hash, NULL when idle */
	size_t n;
	bool quit;
	dipr_hash_ctx *ctx[2];
	int nctx;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->p && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->p)
			break;
		const uint8_t *p = w->p;
		size_t n = w->n;
		pthread_mutex_unlock(&w->mu);
		for (int k = 0; k < w->nctx; k++)
			dipr_hash_update(w->ctx[k], p, n);
		pthread_mutex_lock(&w->mu);
		w->p = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void worker_wait(worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->p)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

static void worker_post(worker *w, const uint8_t *p, size_t n)
{
	pthread_mutex_lock(&w->mu);
	w->p = p;
	w->n = n;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cli_scan_file(const char *path, const dipr_hash_alg *algs, int nalg, uint8_t out[][DIPR_HASH_LEN],
		  uint64_t *size, dipr_rec_splitter *sp, dipr_rec_fn fn, void *ctx)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf[2] = {0};
	dipr_hash_ctx *own[2] = {0};
	worker w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, false, {0}, 0};
	pthread_t th;
	bool threaded = false, progress = false;
	uint64_t total = 0, fsize = 0;
	int rc = 0, nown = 0, k = 0;
	struct stat st;
	double last = now_s();
	if (fd < 0)
		return cli_fail(2, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		fsize = (uint64_t)st.st_size;
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		progress = isatty(2) && fsize > (256u << 20); /* long work on a terminal shows progress */
	}
	buf[0] = malloc(CHUNK);
	buf[1] = malloc(CHUNK);
	if (!buf[0] || !buf[1]) {
		rc = cli_fail(2, "%s: out of memory", path);
		goto done;
	}
	/* Work split: with records, the worker hashes the file and the main
	 * thread builds the record tree; with two digests, each thread takes
	 * one; with one digest, the worker hashes while this thread reads the
	 * next chunk (the copy out of the page cache is then off the hashing
	 * path: about 1.5x for SHA-256 with SHA-NI, docs/PERFORMANCE.md). */
	for (int a = 0; a < nalg; a++) {
		dipr_hash_ctx *c;
		if (dipr_hash_new(&c, algs[a])) {
			rc = cli_fail(2, "%s: hash setup failed", path);
			goto done;
		}
		if (sp || a == 1 || nalg == 1)
			w.ctx[w.nctx++] = c;
		else
			own[nown++] = c;
	}
	if (w.nctx) {
		if (pthread_create(&th, NULL, worker_main, &w) != 0) {
			rc = cli_fail(2, "%s: cannot start a thread", path);
			goto done;
		}
		threaded = true;
	}
	for (;; k ^= 1) {
		ssize_t r = read(fd, buf[k], CHUNK);
		if (r < 0 && errno == EINTR) {
			k ^= 1;
			continue;
		}
		if (r < 0) {
			rc = cli_fail(2, "%s: read failed: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if (threaded) {
			worker_wait(&w); /* done with buf[k ^ 1]; buf[k] was free */
			worker_post(&w, buf[k], (size_t)r);
		}
		for (int a = 0; a < nown; a++)
			dipr_hash_update(own[a], buf[k], (size_t)r);
		if (sp && (rc = dipr_rec_splitter_feed(sp, buf[k], (size_t)r, fn, ctx))) {
			rc = cli_fail(2, "%s: %s", path, dipr_errdetail());
			break;
		}
		total += (uint64_t)r;
		if (progress && now_s() - last > 0.5) {
			last = now_s();
			fprintf(stderr, "\r%s: %llu / %llu MiB", path, (unsigned long long)(total >> 20),
				(unsigned long long)(fsize >> 20));
		}
	}
	if (threaded) {
		worker_wait(&w);
		pthread_mutex_lock(&w.mu);
		w.quit = true;
		pthread_cond_broadcast(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(th, NULL);
	}
	if (!rc && sp && dipr_rec_splitter_finish(sp, fn, ctx))
		rc = cli_fail(2, "%s: %s", path, dipr_errdetail());
	if (progress)
		fprintf(stderr, "\r%s: %llu MiB done      \n", path, (unsigned long long)(total >> 20));
	if (!rc) {
		int oi = 0, wi = 0;
		for (int a = 0; a < nalg; a++)
			dipr_hash_final((sp || a == 1 || nalg == 1) ? w.ctx[wi++] : own[oi++], out[a]);
		*size = total;
	}
done:
	for (int a = 0; a < 2; a++) {
		dipr_hash_free(own[a]);
		dipr_hash_free(w.ctx[a]);
	}
	free(buf[0]);
	free(buf[1]);
	if (fd > 0)
		close(fd);
	return rc;
}

int cli_hash_file(const char *path, const dipr_hash_alg *algs, int nalg, uint8_t out[][DIPR_HASH_LEN], uint64_t *size)
{
	return cli_scan_file(path, algs, nalg, out, size, NULL, NULL, NULL);
}
