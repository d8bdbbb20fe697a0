/* records_bench.c — throughput of the record splitters (lib/records.c) on
 * ~200 MB of short records held in memory, fed in 1 MiB chunks as a file
 * reader would, with a callback that does nothing.  Not part of `make
 * bench`; build and run by hand:
 *
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Ilib bench/records_bench.c \
 *      lib/records.c lib/util.c -o /tmp/records_bench && /tmp/records_bench [MB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dipr/records.h"
#include "internal.h"

static int nop(void *ctx, uint64_t index, const uint8_t *rec, size_t n)
{
	(void)index;
	*(size_t *)ctx += n; /* touch nothing but a counter */
	(void)rec;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills buf with records made by fmt from a counter until size bytes. */
static size_t fill(uint8_t *buf, size_t size, int kind)
{
	size_t n = 0;
	for (unsigned i = 0;; i++) {
		char line[128];
		int len;
		switch (kind) {
		case 0: /* short plain lines / unquoted CSV */
			len = snprintf(line, sizeof line, "%u,user%u,2024-%02u-%02u,%u.%02u\n", i * 7919u, i % 1000u,
				       1 + i % 12, 1 + i % 28, i % 997u, i % 100u);
			break;
		case 1: /* CSV with quoted fields, some holding commas and "" */
			len = snprintf(line, sizeof line, "%u,\"user %u, x\",\"said \"\"hi\"\"\",%u\r\n", i, i % 1000u,
				       i % 97u);
			break;
		default: /* jsonl */
			len = snprintf(line, sizeof line, "{\"id\":%u,\"name\":\"user%u\",\"v\":%u.%02u,\"ok\":true}\n", i,
				       i % 1000u, i % 997u, i % 100u);
			break;
		}
		if (n + (size_t)len > size)
			return n;
		memcpy(buf + n, line, (size_t)len);
		n += (size_t)len;
	}
}

static void bench(const char *what, dipr_rec_format f, const uint8_t *buf, size_t n, size_t chunk)
{
	double best = 1e9;
	uint64_t count = 0;
	for (int run = 0; run < 3; run++) {
		dipr_rec_splitter *s;
		size_t bytes = 0;
		if (dipr_rec_splitter_new(&s, f))
			exit(1);
		double t0 = now();
		for (size_t at = 0; at < n; at += chunk) {
			size_t k = n - at < chunk ? n - at : chunk;
			if (dipr_rec_splitter_feed(s, buf + at, k, nop, &bytes))
				exit(1);
		}
		if (dipr_rec_splitter_finish(s, nop, &bytes) || bytes != n)
			exit(1);
		double t = now() - t0;
		count = dipr_rec_splitter_count(s);
		dipr_rec_splitter_free(s);
		if (t < best)
			best = t;
	}
	printf("%-28s %8.1f MB/s  %5.1f ns/record  (%llu records, %.1f bytes each)\n", what, (double)n / best / 1e6,
	       best * 1e9 / (double)count, (unsigned long long)count, (double)n / (double)count);
}

int main(int argc, char **argv)
{
	size_t size = (size_t)(argc > 1 ? atoi(argv[1]) : 200) << 20, chunk = 1 << 20;
	uint8_t *buf = malloc(size);
	if (!buf)
		return 1;
	size_t n = fill(buf, size, 0);
	bench("lines", DIPR_REC_LINES, buf, n, chunk);
	bench("csv (no quotes)", DIPR_REC_CSV, buf, n, chunk);
	n = fill(buf, size, 1);
	bench("csv (quoted fields, CRLF)", DIPR_REC_CSV, buf, n, chunk);
	n = fill(buf, size, 2);
	bench("jsonl", DIPR_REC_JSONL, buf, n, chunk);
	bench("lines (same jsonl data)", DIPR_REC_LINES, buf, n, chunk);
	free(buf);
	return 0;
}
