/* fuzz_jsonl.c — the jsonl record splitter (lib/records.c): the same input
 * fed whole, in pieces (sizes seeded by the first byte) and one byte at a
 * time gives the same records, error code and detail; records concatenate
 * to the input and are exactly its lines.  A one-line input is also checked
 * against Jansson: the splitter accepts what Jansson accepts, and rejects
 * only what Jansson rejects too, except where Jansson refuses on range
 * (numbers too big for a double or int64, nesting over its limit) or on
 * lone surrogate escapes, which RFC 8259 §8.2 leaves grammatical; a raw
 * NUL (never JSON, but Jansson stops reading at it) must be rejected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
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
static void split(struct run *r, const uint8_t *in, size_t n, size_t step, unsigned seed)
{
	dipr_rec_splitter *s;
	memset(r, 0, sizeof *r);
	dipr_buf_init(&r->ends, 1u << 24);
	dipr_buf_init(&r->all, 1u << 24);
	if (dipr_rec_splitter_new(&s, DIPR_REC_JSONL))
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

static void run_free(struct run *r)
{
	dipr_buf_free(&r->ends);
	dipr_buf_free(&r->all);
}

/* Jansson refuses these for range or policy, not grammar. */
static int jansson_range_refusal(const char *text)
{
	return strstr(text, "too big") || strstr(text, "overflow") || strstr(text, "depth") ||
	       strstr(text, "invalid Unicode");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, piece, bytes;
	split(&whole, data, size, size ? size : 1, 0);
	split(&piece, data, size, 0, size ? data[0] : 0);
	split(&bytes, data, size, 1, 0);
	same(&whole, &piece);
	same(&whole, &bytes);

	/* records are the input's lines, in order, up to the failing one */
	const size_t *ends = (const size_t *)whole.ends.p;
	size_t nrec = whole.ends.n / sizeof(size_t), start = 0;
	if (whole.count != nrec || whole.offset != whole.all.n || (whole.all.n && memcmp(whole.all.p, data, whole.all.n)))
		abort();
	for (size_t i = 0; i < nrec; start = ends[i++]) {
		const uint8_t *nl = memchr(data + start, '\n', ends[i] - start);
		if (ends[i] <= start || (nl && (size_t)(nl - data) + 1 != ends[i]) || (!nl && ends[i] != size))
			abort();
	}
	if (whole.rc == 0 && whole.all.n != size)
		abort();

	if (size && !memchr(data, '\n', size) && memchr(data, 0, size)) {
		/* a raw NUL is never JSON; Jansson stops reading at one */
		if (whole.rc == 0)
			abort();
	} else if (size && !memchr(data, '\n', size)) {
		json_error_t err;
		json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (v && whole.rc != 0)
			abort();
		if (!v && whole.rc == 0 && !jansson_range_refusal(err.text))
			abort();
		json_decref(v);
	}
	run_free(&whole);
	run_free(&piece);
	run_free(&bytes);
	return 0;
}
