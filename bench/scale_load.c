/* scale_load.c — fills a dipr data directory with N evidence entries
 * through the real sequencer (durable batches, signed checkpoints), but
 * without HTTP, so that a 10^7-entry log can be built in minutes for
 * bench/scale.sh.  Usage: scale_load DIR N */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "log/log.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long pending, failed;

static void done(dipr_log_req *r)
{
	pthread_mutex_lock(&mu);
	if (r->rc)
		failed++;
	pending--;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: scale_load DIR N\n");
		return 2;
	}
	long n = atol(argv[2]), chunk = 4096;
	dipr_log *l;
	if (dipr_log_open(&l, argv[1]) || dipr_log_start(l)) {
		fprintf(stderr, "scale_load: %s\n", dipr_errdetail());
		return 1;
	}
	dipr_log_req *reqs = calloc((size_t)chunk, sizeof *reqs);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long done_n = 0; done_n < n && !failed;) {
		long k = n - done_n < chunk ? n - done_n : chunk;
		pending = k;
		for (long i = 0; i < k; i++) {
			uint8_t d[32];
			char hex[65];
			long id = done_n + i;
			dipr_hash(DIPR_HASH_SM3, &id, sizeof id, d);
			dipr_hex_encode(d, 32, hex);
			memset(&reqs[i], 0, sizeof reqs[i]);
			reqs[i].entry = json_pack("{s:i,s:s,s:{s:s},s:I}", "v", 1, "type", "evidence", "digests", "sm3", hex,
						  "size", (json_int_t)(id % 1000000));
			reqs[i].done = done;
			if (dipr_log_submit(l, &reqs[i])) {
				fprintf(stderr, "scale_load: submit failed\n");
				return 1;
			}
		}
		pthread_mutex_lock(&mu);
		while (pending)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		for (long i = 0; i < k; i++)
			dipr_log_req_clear(&reqs[i]);
		done_n += k;
		if (done_n % 1000000 < chunk)
			fprintf(stderr, "scale_load: %ld entries\n", done_n);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("loaded=%ld seconds=%.1f rate=%.0f failed=%ld\n", n, s, n / s, failed);
	free(reqs);
	dipr_log_close(l);
	return failed ? 1 : 0;
}
