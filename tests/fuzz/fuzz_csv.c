/* fuzz_csv.c — the CSV record splitter (lib/records.c): the same input fed
 * whole, in pieces (sizes seeded by the first byte) and one byte at a time
 * gives the same records, error code and detail; records concatenate to the
 * input; record boundaries match a plain byte-by-byte model of the rules in
 * include/dipr/records.h.  The lines splitter rides along. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dipr/records.h"
#include "internal.h"

struct run {
	int rc;
	char detail[512];
	dipr_buf ends; /* size_t record end offsets */
	dipr_buf all;  /* records concatenated */
	uint64_t count, offset;
};

static int collect(void *ctx, uint64_t index, const uint8_t *rec, size_t n)
{
	struct run *r = ctx;
	if (index != r->ends.n / sizeof(size_t))
		abort();
	size_t end = r->all.n + n;
	if (dipr_buf_add(&r->ends, &end, sizeof end) || dipr_buf_add(&r->all, rec, n))
		abort();
	return 0;
}

/* step 0: pieces of sizes drawn from seed; otherwise fixed-size pieces */
static void split(struct run *r, dipr_rec_format f, const uint8_t *in, size_t n, size_t step, unsigned seed)
{
	dipr_rec_splitter *s;
	memset(r, 0, sizeof *r);
	dipr_buf_init(&r->ends, 1u << 24);
	dipr_buf_init(&r->all, 1u << 24);
	if (dipr_rec_splitter_new(&s, f))
		abort();
	uint32_t x = seed * 2654435761u + 1;
	size_t at = 0;
	while (r->rc == 0 && at < n) {
		size_t k = step;
		if (!step) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			k = (x >> 8) % (seed % 64 + 2); /* may be 0: empty feeds are legal */
		}
		if (k > n - at)
			k = n - at;
		r->rc = dipr_rec_splitter_feed(s, in + at, k, collect, r);
		at += k;
	}
	if (r->rc == 0)
		r->rc = dipr_rec_splitter_finish(s, collect, r);
	if (r->rc)
		snprintf(r->detail, sizeof r->detail, "%s", dipr_errdetail());
	r->count = dipr_rec_splitter_count(s);
	r->offset = dipr_rec_splitter_offset(s);
	dipr_rec_splitter_free(s);
}

static void same(const struct run *a, const struct run *b)
{
	if (a->rc != b->rc || strcmp(a->detail, b->detail) != 0 || a->count != b->count || a->offset != b->offset ||
	    a->ends.n != b->ends.n || a->all.n != b->all.n ||
	    (a->ends.n && memcmp(a->ends.p, b->ends.p, a->ends.n) != 0) ||
	    (a->all.n && memcmp(a->all.p, b->all.p, a->all.n) != 0))
		abort();
}

static void check_partition(const struct run *r, const uint8_t *in, size_t n)
{
	if (r->rc == 0 && (r->all.n != n || (n && memcmp(r->all.p, in, n) != 0) || r->offset != n))
		abort();
	if (r->rc != 0 && (r->offset != r->all.n || (r->all.n && memcmp(r->all.p, in, r->all.n) != 0)))
		abort();
	if (r->count != r->ends.n / sizeof(size_t))
		abort();
}

static void run_free(struct run *r)
{
	dipr_buf_free(&r->ends);
	dipr_buf_free(&r->all);
}

/* The rules byte by byte: only a '"' at a field start (record start, after
 * an unquoted ',', or after a leading BOM) opens a quoted field; "" inside
 * stays quoted; a record ends at an LF outside quotes. */
static size_t model(const uint8_t *in, size_t n, size_t *ends, bool *open_quote)
{
	enum { START, FIELD, QUOTED, PENDING } s = START;
	size_t nrec = 0, i = n >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	for (; i < n; i++) {
		uint8_t c = in[i];
		switch (s) {
		case START:
			s = c == '"' ? QUOTED : c == ',' || c == '\n' ? START : FIELD;
			break;
		case FIELD:
			s = c == ',' || c == '\n' ? START : FIELD;
			break;
		case QUOTED:
			s = c == '"' ? PENDING : QUOTED;
			break;
		case PENDING:
			s = c == '"' ? QUOTED : c == ',' || c == '\n' ? START : FIELD;
			break;
		}
		if (c == '\n' && s == START)
			ends[nrec++] = i + 1;
	}
	if (n && (nrec == 0 || ends[nrec - 1] != n))
		ends[nrec++] = n;
	*open_quote = s == QUOTED;
	return nrec;
}

static void check(dipr_rec_format f, const uint8_t *data, size_t size)
{
	struct run whole, piece, bytes;
	split(&whole, f, data, size, size ? size : 1, 0);
	split(&piece, f, data, size, 0, size ? data[0] : 0);
	split(&bytes, f, data, size, 1, 0);
	same(&whole, &piece);
	same(&whole, &bytes);
	check_partition(&whole, data, size);

	size_t *ends = malloc((size + 1) * sizeof *ends);
	bool open_quote = false;
	size_t nrec;
	if (!ends)
		abort();
	if (f == DIPR_REC_CSV) {
		nrec = model(data, size, ends, &open_quote);
	} else {
		nrec = 0;
		for (size_t i = 0; i < size; i++)
			if (data[i] == '\n')
				ends[nrec++] = i + 1;
		if (size && (nrec == 0 || ends[nrec - 1] != size))
			ends[nrec++] = size;
	}
	if (open_quote) {
		if (whole.rc != DIPR_EINVAL)
			abort();
	} else if (whole.rc != 0 || whole.ends.n != nrec * sizeof *ends ||
		   (nrec && memcmp(whole.ends.p, ends, nrec * sizeof *ends) != 0)) {
		abort();
	}
	free(ends);
	run_free(&whole);
	run_free(&piece);
	run_free(&bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(DIPR_REC_CSV, data, size);
	check(DIPR_REC_LINES, data, size);
	return 0;
}
