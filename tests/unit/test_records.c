/* test_records.c — record splitters (include/dipr/records.h): record counts
 * a spreadsheet would give for CSV edge cases, jsonl and lines, errors with
 * byte offsets, and the streaming promise: every case is also fed in every
 * 2-chunk split and one byte at a time, and must give the same records,
 * the same error and the same detail. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dipr/records.h"
#include "internal.h"

#define MAXREC 4096

/* What one split produced. */
struct run {
	int rc;
	char detail[512];
	size_t nrec;
	size_t len[MAXREC];
	dipr_buf all; /* the records, concatenated */
	uint64_t count, offset;
};

static int collect(void *ctx, uint64_t index, const uint8_t *rec, size_t n)
{
	struct run *r = ctx;
	if (index != r->nrec || r->nrec == MAXREC)
		return 99;
	r->len[r->nrec++] = n;
	return dipr_buf_add(&r->all, rec, n);
}

/* Feeds in[0..n) as a first chunk of `first` bytes, then chunks of `step`. */
static void run_split(struct run *r, dipr_rec_format f, const uint8_t *in, size_t n, size_t first, size_t step)
{
	dipr_rec_splitter *s = NULL;
	memset(r, 0, sizeof *r);
	dipr_buf_init(&r->all, 64u << 20);
	assert_int_equal(dipr_rec_splitter_new(&s, f), 0);
	size_t at = first < n ? first : n;
	r->rc = dipr_rec_splitter_feed(s, in, at, collect, r);
	while (r->rc == 0 && at < n) {
		size_t k = n - at < step ? n - at : step;
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

static void run_free(struct run *r) { dipr_buf_free(&r->all); }

static void assert_same_run(const struct run *a, const struct run *b)
{
	assert_int_equal(a->rc, b->rc);
	assert_string_equal(a->detail, b->detail);
	assert_int_equal(a->nrec, b->nrec);
	assert_memory_equal(a->len, b->len, a->nrec * sizeof a->len[0]);
	assert_int_equal(a->all.n, b->all.n);
	if (a->all.n)
		assert_memory_equal(a->all.p, b->all.p, a->all.n);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->offset, b->offset);
}

/* The whole input in one feed, then every 2-chunk split (including empty
 * first and last chunks) and single bytes must agree with it. */
static void run_every_chunking(struct run *whole, dipr_rec_format f, const uint8_t *in, size_t n)
{
	struct run r;
	run_split(whole, f, in, n, n, n ? n : 1);
	for (size_t k = 0; k <= n; k++) {
		run_split(&r, f, in, n, k, n ? n : 1);
		assert_same_run(whole, &r);
		run_free(&r);
	}
	run_split(&r, f, in, n, 0, 1);
	assert_same_run(whole, &r);
	run_free(&r);
}

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

/* Expects the records `want` (NULL-terminated, each a C string) for every
 * chunking, and that they concatenate to the input. */
static void expect_records_v(dipr_rec_format f, const uint8_t *in, size_t n, const char *const *want)
{
	struct run r;
	run_every_chunking(&r, f, in, n);
	if (r.rc)
		fail_msg("unexpected error %d: %s", r.rc, r.detail);
	size_t nwant = 0, off = 0;
	while (want[nwant])
		nwant++;
	assert_int_equal(r.nrec, nwant);
	for (size_t i = 0; i < nwant; i++) {
		assert_int_equal(r.len[i], strlen(want[i]));
		assert_memory_equal(r.all.p + off, want[i], r.len[i]);
		off += r.len[i];
	}
	assert_int_equal(r.all.n, n); /* concatenation == input */
	if (n)
		assert_memory_equal(r.all.p, in, n);
	assert_int_equal(r.count, nwant);
	assert_int_equal(r.offset, n);
	run_free(&r);
}
#define expect_records(f, in, ...) expect_records_v(f, B(in), (const char *const[]){__VA_ARGS__, NULL})
#define expect_no_records(f, in) expect_records_v(f, B(in), (const char *const[]){NULL})

/* Expects error `code` whose detail contains `needle`, after `nrec` records,
 * for every chunking. */
static void expect_error_v(dipr_rec_format f, const uint8_t *in, size_t n, int code, const char *needle, size_t nrec)
{
	struct run r;
	run_every_chunking(&r, f, in, n);
	assert_int_equal(r.rc, code);
	if (!strstr(r.detail, needle))
		fail_msg("detail \"%s\" does not contain \"%s\"", r.detail, needle);
	assert_int_equal(r.nrec, nrec);
	assert_int_equal(r.count, nrec);
	assert_int_equal(r.offset, r.all.n); /* where the emitted records end */
	if (r.all.n)
		assert_memory_equal(r.all.p, in, r.all.n);
	run_free(&r);
}
#define expect_error(f, in, code, needle, nrec) expect_error_v(f, B(in), code, needle, nrec)

/* ---- csv ----------------------------------------------------------------- */

static void test_csv_lf_ends_records(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "a,b\n1,2\n3,4\n", "a,b\n", "1,2\n", "3,4\n");
}

static void test_csv_crlf_terminator_stays_in_record(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "a,b\r\n1,2\r\n", "a,b\r\n", "1,2\r\n");
}

static void test_csv_mixed_crlf_and_lf(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "a\r\nb\nc\r\n", "a\r\n", "b\n", "c\r\n");
}

static void test_csv_quoted_lf_stays_inside_record(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "id,note\n1,\"line one\nline two\"\n2,x\n",
		       "id,note\n", "1,\"line one\nline two\"\n", "2,x\n");
}

static void test_csv_quoted_crlf_stays_inside_record(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "id,note\r\n1,\"a\r\nb\r\n\"\r\n2,\"\r\n\"\r\n",
		       "id,note\r\n", "1,\"a\r\nb\r\n\"\r\n", "2,\"\r\n\"\r\n");
}

static void test_csv_quoted_comma_is_data(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "\"a,b\",c\n\"x,\ny\"\n", "\"a,b\",c\n", "\"x,\ny\"\n");
}

static void test_csv_doubled_quotes_stay_quoted(void **st)
{
	(void)st;
	/* "" inside quotes is a quote: the LF after it is still inside. */
	expect_records(DIPR_REC_CSV, "\"he said \"\"hi\"\"\",x\n\"a\"\"\nb\"\n\"\"\"\"\n\"\"\n",
		       "\"he said \"\"hi\"\"\",x\n", "\"a\"\"\nb\"\n", "\"\"\"\"\n", "\"\"\n");
}

static void test_csv_bom_belongs_to_record0(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "\xef\xbb\xbf" "a,b\n1,2\n", "\xef\xbb\xbf" "a,b\n", "1,2\n");
}

static void test_csv_quote_after_bom_opens_field(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "\xef\xbb\xbf\"a\nb\",c\n1,2\n", "\xef\xbb\xbf\"a\nb\",c\n", "1,2\n");
}

static void test_csv_partial_bom_is_field_data(void **st)
{
	(void)st;
	/* EF BB without BF is data, so the '"' after it is mid-field: literal */
	expect_records(DIPR_REC_CSV, "\xef\xbb\"x\ny\"\n", "\xef\xbb\"x\n", "y\"\n");
	expect_records(DIPR_REC_CSV, "\xef,\"x\ny\"\n", "\xef,\"x\ny\"\n");
}

static void test_csv_bom_only_file_is_one_record(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "\xef\xbb\xbf", "\xef\xbb\xbf");
}

static void test_csv_bom_later_in_file_is_data(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "a\n\xef\xbb\xbf\"b\nc\"\n", "a\n", "\xef\xbb\xbf\"b\n", "c\"\n");
}

static void test_csv_empty_fields(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, ",,\n,\n\"\",\n,\"\"\n", ",,\n", ",\n", "\"\",\n", ",\"\"\n");
}

static void test_csv_no_final_newline(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "a,b\n1,2", "a,b\n", "1,2");
	expect_records(DIPR_REC_CSV, "a,b\r\n\"1\n\",2", "a,b\r\n", "\"1\n\",2");
}

static void test_csv_one_record_file(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "a,b,c\n", "a,b,c\n");
	expect_records(DIPR_REC_CSV, "a,b,c", "a,b,c");
	expect_records(DIPR_REC_CSV, "\"only\nrow\"", "\"only\nrow\"");
}

static void test_csv_empty_file_has_no_records(void **st)
{
	(void)st;
	expect_no_records(DIPR_REC_CSV, "");
}

static void test_csv_blank_line_is_a_record(void **st)
{
	(void)st;
	/* Spreadsheets (and Python's csv) show the blank line as an empty row;
	 * its "\n" must belong to some record anyway. */
	expect_records(DIPR_REC_CSV, "a\n\nb\n", "a\n", "\n", "b\n");
	expect_records(DIPR_REC_CSV, "a\r\n\r\nb\r\n", "a\r\n", "\r\n", "b\r\n");
}

static void test_csv_final_blank_line_is_a_record(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "a\nb\n\n", "a\n", "b\n", "\n");
	expect_records(DIPR_REC_CSV, "\n", "\n");
}

static void test_csv_lone_cr_is_data(void **st)
{
	(void)st;
	/* documented choice: no CR-only line endings */
	expect_records(DIPR_REC_CSV, "a\rb\nc\r", "a\rb\n", "c\r");
	expect_records(DIPR_REC_CSV, "\"x\"\r,y\n", "\"x\"\r,y\n");
}

static void test_csv_quote_inside_unquoted_field_is_data(void **st)
{
	(void)st;
	/* lenient like spreadsheets: ab"c is one field and opens nothing */
	expect_records(DIPR_REC_CSV, "ab\"c,d\ne\n", "ab\"c,d\n", "e\n");
	expect_records(DIPR_REC_CSV, "x,ab\"c\nd\"\n", "x,ab\"c\n", "d\"\n");
	expect_records(DIPR_REC_CSV, " \"a\nb\"\n", " \"a\n", "b\"\n"); /* space before '"': not a field start */
}

static void test_csv_data_after_closing_quote_is_data(void **st)
{
	(void)st;
	/* "a"b is one field (ab); the '"' after the b is literal too */
	expect_records(DIPR_REC_CSV, "\"a\"b,c\nd\n", "\"a\"b,c\n", "d\n");
	expect_records(DIPR_REC_CSV, "\"a\"b\"\nc\n", "\"a\"b\"\n", "c\n");
	expect_records(DIPR_REC_CSV, "\"a\",\"\nb\"\n", "\"a\",\"\nb\"\n");
}

static void test_csv_closing_quote_at_end_of_file(void **st)
{
	(void)st;
	expect_records(DIPR_REC_CSV, "\"a\"", "\"a\"");
	expect_records(DIPR_REC_CSV, "x,\"\"", "x,\"\"");
}

static void test_csv_unterminated_quote_names_opening_offset(void **st)
{
	(void)st;
	expect_error(DIPR_REC_CSV, "a,b\n1,\"x\ny\n", DIPR_EINVAL, "opened at byte 6", 1);
	expect_error(DIPR_REC_CSV, "\"", DIPR_EINVAL, "opened at byte 0", 0);
	/* the doubled quote does not close: the opening one is still named */
	expect_error(DIPR_REC_CSV, "h\n\"a\"\"", DIPR_EINVAL, "opened at byte 2", 1);
	expect_error(DIPR_REC_CSV, "\xef\xbb\xbf\"a\n", DIPR_EINVAL, "opened at byte 3", 0);
	expect_error(DIPR_REC_CSV, "\"a\",\"b\n\n", DIPR_EINVAL, "opened at byte 4", 0);
}

static void test_csv_records_span_many_chunks(void **st)
{
	(void)st;
	/* a quoted field of 100 KiB with line breaks and "" inside, fed in
	 * awkward chunk sizes */
	dipr_buf b;
	dipr_buf_init(&b, 1 << 20);
	assert_int_equal(dipr_buf_adds(&b, "h\n\""), 0);
	for (size_t k = 1; k < 100 * 1024; k++)
		assert_int_equal(dipr_buf_adds(&b, k % 13 == 0 ? "\"\"" : k % 7 == 0 ? "\n" : k % 11 == 0 ? "\r" : "x"), 0);
	assert_int_equal(dipr_buf_adds(&b, "\",z\r\nq"), 0);
	const uint8_t *in = b.p;
	size_t n = b.n;
	struct run whole, r;
	run_split(&whole, DIPR_REC_CSV, in, n, n, n);
	assert_int_equal(whole.rc, 0);
	assert_int_equal(whole.nrec, 3);
	assert_int_equal(whole.len[0], 2);
	assert_int_equal(whole.len[2], 1);
	size_t steps[] = {1, 2, 3, 7, 64, 4095, 65536};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		run_split(&r, DIPR_REC_CSV, in, n, steps[i] / 2, steps[i]);
		assert_same_run(&whole, &r);
		run_free(&r);
	}
	run_free(&whole);
	dipr_buf_free(&b);
}

/* The CSV rules byte by byte, written as plainly as possible: the memchr
 * fast path in lib/records.c must agree with it. */
static size_t csv_model(const uint8_t *in, size_t n, size_t *ends, size_t max, bool *open_quote)
{
	enum { START, FIELD, QUOTED, PENDING } s = START;
	size_t nrec = 0, i = 0;
	if (n >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* a BOM is skipped; anything else, a partial BOM too, is data */
	for (; i < n; i++) {
		uint8_t c = in[i];
		bool end = false;
		switch (s) {
		case START:
			s = c == '"' ? QUOTED : c == ',' ? START : FIELD;
			end = c == '\n';
			if (end)
				s = START;
			break;
		case FIELD:
			if (c == ',')
				s = START;
			if (c == '\n') {
				s = START;
				end = true;
			}
			break;
		case QUOTED:
			if (c == '"')
				s = PENDING;
			break;
		case PENDING:
			s = c == '"' ? QUOTED : c == ',' ? START : FIELD;
			if (c == '\n') {
				s = START;
				end = true;
			}
			break;
		}
		if (end && nrec < max)
			ends[nrec++] = i + 1;
	}
	if (n && (nrec == 0 || ends[nrec - 1] != n) && nrec < max)
		ends[nrec++] = n;
	*open_quote = s == QUOTED;
	return nrec;
}

static void test_csv_matches_bytewise_model_on_random_input(void **st)
{
	(void)st;
	static const uint8_t alphabet[] = {'a', ',', '"', '"', '\n', '\r', 0xef, 0xbb, 0xbf};
	uint64_t x = 0x9e3779b97f4a7c15u;
	uint8_t in[48];
	size_t ends[64];
	for (int t = 0; t < 3000; t++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = (size_t)(x % sizeof in);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			in[i] = alphabet[x % sizeof alphabet];
		}
		bool open_quote;
		size_t want = csv_model(in, n, ends, 64, &open_quote);
		struct run whole, r;
		run_split(&whole, DIPR_REC_CSV, in, n, n, n ? n : 1);
		if (open_quote) {
			assert_int_equal(whole.rc, DIPR_EINVAL);
		} else {
			assert_int_equal(whole.rc, 0);
			assert_int_equal(whole.nrec, want);
			size_t off = 0;
			for (size_t i = 0; i < want; i++) {
				off += whole.len[i];
				assert_int_equal(off, ends[i]);
			}
		}
		run_split(&r, DIPR_REC_CSV, in, n, (size_t)(x % 5), 1 + (size_t)(x >> 8) % 4);
		assert_same_run(&whole, &r);
		run_free(&r);
		run_free(&whole);
	}
}

/* ---- jsonl --------------------------------------------------------------- */

static void test_jsonl_valid_lines(void **st)
{
	(void)st;
	expect_records(DIPR_REC_JSONL, "{\"a\":1.5}\n[1,2]\r\n\"s\"\nnull\n", "{\"a\":1.5}\n", "[1,2]\r\n", "\"s\"\n",
		       "null\n");
	expect_records(DIPR_REC_JSONL, "{}\n{\"x\":[true,false,null]}", "{}\n", "{\"x\":[true,false,null]}");
	expect_records(DIPR_REC_JSONL, " {\"k\" : \"\xe4\xb8\xad\\u00e9\" } \t\r\n",
		       " {\"k\" : \"\xe4\xb8\xad\\u00e9\" } \t\r\n");
}

static void test_jsonl_empty_file_has_no_records(void **st)
{
	(void)st;
	expect_no_records(DIPR_REC_JSONL, "");
}

static void test_jsonl_final_newline_only_terminates(void **st)
{
	(void)st;
	expect_records(DIPR_REC_JSONL, "1\n2\n", "1\n", "2\n");
	expect_records(DIPR_REC_JSONL, "1\r\n2\r\n", "1\r\n", "2\r\n");
}

static void test_jsonl_accepts_every_json_value(void **st)
{
	(void)st;
	static const char *const ok[] = {
		"0", "-0", "12", "-1.5e-3", "1E+10", "2e5", "0.0", "123456789012345678901234567890",
		"1.7976931348623157e309", "true", "false", "null", "\"\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"\\u00e9\\uD83D\\ude00\"", "\"\\ud800\"", "\"\x7f\"", "\"\xf0\x9f\x98\x80\"", "[]", "{}",
		" [ ] ", "[[[]]]", "{\"a\":{\"b\":[1,{\"c\":null}]}}", "{\"a\":1,\"a\":2}", "\"\\u0000\"",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct run r;
		run_every_chunking(&r, DIPR_REC_JSONL, (const uint8_t *)ok[i], strlen(ok[i]));
		if (r.rc)
			fail_msg("%s: %s", ok[i], r.detail);
		assert_int_equal(r.nrec, 1);
		run_free(&r);
	}
}

static void test_jsonl_rejects_invalid_json(void **st)
{
	(void)st;
	static const char *const bad[] = {
		"01", "1.", ".5", "-", "+1", "1e", "1e+", "0x1", "tru", "nul", "True", "[1,]", "[,1]", "[1 2]",
		"{\"a\"}", "{\"a\":}", "{,}", "{\"a\":1,}", "{a:1}", "{'a':1}", "[", "]", "{", "}", "\"abc",
		"\"\\x\"", "\"\\u12g4\"", "\"\\u12\"", "\"\t\"", "{}{}", "1 2", "[1]]", "NaN", "Infinity", "/**/1",
		"\"a\" x", "\xef\xbb\xbf{}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct run r;
		char line[64];
		/* after a valid first line, so the offset must be 3 */
		int len = snprintf(line, sizeof line, "{}\n%s\n{}\n", bad[i]);
		run_every_chunking(&r, DIPR_REC_JSONL, (const uint8_t *)line, (size_t)len);
		if (r.rc != DIPR_EINVAL)
			fail_msg("%s: accepted", bad[i]);
		if (!strstr(r.detail, "line at byte 3 (record 1)"))
			fail_msg("%s: detail %s", bad[i], r.detail);
		assert_int_equal(r.nrec, 1);
		run_free(&r);
	}
}

static void test_jsonl_error_names_line_offset(void **st)
{
	(void)st;
	expect_error(DIPR_REC_JSONL, "{\"a\":1}\n[1,2]\n{\"b\":}\n", DIPR_EINVAL, "line at byte 14 (record 2)", 2);
	expect_error(DIPR_REC_JSONL, "{\"a\":1}\n[1,2]\n{\"b\":}\n", DIPR_EINVAL, "expected a value at byte 19", 2);
	expect_error(DIPR_REC_JSONL, "{}\n{\"a\":1", DIPR_EINVAL, "line at byte 3 (record 1)", 1);
}

static void test_jsonl_empty_line_is_an_error(void **st)
{
	(void)st;
	expect_error(DIPR_REC_JSONL, "{}\n\n{}\n", DIPR_EINVAL, "line at byte 3 (record 1): empty line", 1);
	expect_error(DIPR_REC_JSONL, "{}\r\n\r\n", DIPR_EINVAL, "line at byte 4 (record 1): empty line", 1);
	expect_error(DIPR_REC_JSONL, "\n", DIPR_EINVAL, "line at byte 0 (record 0): empty line", 0);
	expect_error(DIPR_REC_JSONL, "{}\n\n", DIPR_EINVAL, "line at byte 3", 1);
	expect_error(DIPR_REC_JSONL, "1\n \t\n", DIPR_EINVAL, "line at byte 2 (record 1): blank line", 1);
}

static void test_jsonl_invalid_utf8_names_line_offset(void **st)
{
	(void)st;
	expect_error(DIPR_REC_JSONL, "{}\n\"\xff\"\n", DIPR_EINVAL, "line at byte 3 (record 1): invalid UTF-8 at byte 4", 1);
	expect_error(DIPR_REC_JSONL, "\"\xc0\xaf\"", DIPR_EINVAL, "invalid UTF-8 at byte 1", 0);     /* overlong */
	expect_error(DIPR_REC_JSONL, "\"\xed\xa0\x80\"", DIPR_EINVAL, "invalid UTF-8 at byte 1", 0); /* surrogate */
	expect_error(DIPR_REC_JSONL, "\"\xf4\x90\x80\x80\"", DIPR_EINVAL, "invalid UTF-8", 0);       /* > U+10FFFF */
	expect_error(DIPR_REC_JSONL, "\"\xe4\xb8\"", DIPR_EINVAL, "invalid UTF-8", 0);               /* truncated */
	expect_error(DIPR_REC_JSONL, "1\n\xfe\n", DIPR_EINVAL, "line at byte 2 (record 1): invalid UTF-8", 1);
	expect_error(DIPR_REC_JSONL, "\xef\xbb\xbf{}\n", DIPR_EINVAL, "byte order mark", 0);
}

static void test_jsonl_deep_nesting_is_fine(void **st)
{
	(void)st;
	/* no depth limit beyond the record size, and no recursion */
	size_t depth = 100000, n = 2 * depth + 1;
	uint8_t *in = malloc(n);
	assert_non_null(in);
	memset(in, '[', depth);
	memset(in + depth, ']', depth);
	in[n - 1] = '\n';
	struct run r;
	run_split(&r, DIPR_REC_JSONL, in, n, n, n);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.nrec, 1);
	run_free(&r);
	in[n - 2] = '}';
	run_split(&r, DIPR_REC_JSONL, in, n, 1000, 333);
	assert_int_equal(r.rc, DIPR_EINVAL);
	run_free(&r);
	free(in);
}

/* ---- lines --------------------------------------------------------------- */

static void test_lines_split_on_lf(void **st)
{
	(void)st;
	expect_records(DIPR_REC_LINES, "a\nb\n", "a\n", "b\n");
	expect_records(DIPR_REC_LINES, "a\nb", "a\n", "b");
	expect_records(DIPR_REC_LINES, "a\r\nb\r\n", "a\r\n", "b\r\n");
	expect_records(DIPR_REC_LINES, "\n\n", "\n", "\n");
	expect_records(DIPR_REC_LINES, "\"a\nb\"\n", "\"a\n", "b\"\n"); /* quotes mean nothing */
	expect_records(DIPR_REC_LINES, "\xff\x01\n", "\xff\x01\n");
}

static void test_lines_lone_cr_is_data(void **st)
{
	(void)st;
	expect_records(DIPR_REC_LINES, "a\rb\rc", "a\rb\rc");
}

static void test_lines_empty_file_has_no_records(void **st)
{
	(void)st;
	expect_no_records(DIPR_REC_LINES, "");
}

/* ---- limits, errors, API ------------------------------------------------- */

static void test_record_over_max_is_erange(void **st)
{
	(void)st;
	static const dipr_rec_format fmts[] = {DIPR_REC_LINES, DIPR_REC_CSV, DIPR_REC_JSONL};
	size_t n = (size_t)DIPR_RECORD_MAX + 3;
	uint8_t *in = malloc(n);
	assert_non_null(in);
	/* "1\n" then a line of DIPR_RECORD_MAX + 1 bytes: ERANGE names record 1 */
	in[0] = '1';
	in[1] = '\n';
	memset(in + 2, '7', n - 2);
	for (size_t f = 0; f < 3; f++) {
		struct run whole, r;
		run_split(&whole, fmts[f], in, n, n, n);
		assert_int_equal(whole.rc, DIPR_ERANGE);
		assert_non_null(strstr(whole.detail, "record 1 starting at byte 2"));
		assert_int_equal(whole.nrec, 1);
		assert_int_equal(whole.offset, 2);
		run_split(&r, fmts[f], in, n, 1, 65536);
		assert_same_run(&whole, &r);
		run_free(&r);
		/* terminated: same error, whether the LF is seen or not */
		in[n - 1] = '\n';
		run_split(&r, fmts[f], in, n, n, n);
		assert_same_run(&whole, &r);
		run_free(&r);
		run_split(&r, fmts[f], in, n, 3, 1 << 20);
		assert_same_run(&whole, &r);
		run_free(&r);
		in[n - 1] = '7';
		run_free(&whole);
	}
	free(in);
}

static void test_record_of_exactly_max_is_fine(void **st)
{
	(void)st;
	size_t n = DIPR_RECORD_MAX + 1;
	uint8_t *in = malloc(n);
	assert_non_null(in);
	memset(in, '5', n);
	in[DIPR_RECORD_MAX - 1] = '\n';
	size_t steps[] = {1 << 16, n};
	for (size_t i = 0; i < 2; i++) {
		struct run r;
		run_split(&r, DIPR_REC_JSONL, in, n, steps[i], steps[i]);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.nrec, 2);
		assert_int_equal(r.len[0], DIPR_RECORD_MAX);
		run_free(&r);
		run_split(&r, DIPR_REC_CSV, in, n, steps[i], steps[i]);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.nrec, 2);
		run_free(&r);
	}
	free(in);
}

static int stop_at_1(void *ctx, uint64_t index, const uint8_t *rec, size_t n)
{
	(void)rec;
	(void)n;
	*(uint64_t *)ctx += 1;
	return index == 1 ? 42 : 0;
}

static void test_callback_error_stops_and_sticks(void **st)
{
	(void)st;
	dipr_rec_splitter *s = NULL;
	uint64_t calls = 0;
	assert_int_equal(dipr_rec_splitter_new(&s, DIPR_REC_CSV), 0);
	assert_int_equal(dipr_rec_splitter_feed(s, (const uint8_t *)"a\nbb\nc\n", 7, stop_at_1, &calls), 42);
	assert_int_equal(calls, 2);
	assert_int_equal(dipr_rec_splitter_count(s), 1);
	assert_int_equal(dipr_rec_splitter_offset(s), 2);
	assert_int_equal(dipr_rec_splitter_feed(s, (const uint8_t *)"d\n", 2, stop_at_1, &calls), 42);
	assert_int_equal(dipr_rec_splitter_finish(s, stop_at_1, &calls), 42);
	assert_int_equal(calls, 2);
	dipr_rec_splitter_free(s);
}

static void test_count_offset_and_null_callback(void **st)
{
	(void)st;
	dipr_rec_splitter *s = NULL;
	assert_int_equal(dipr_rec_splitter_new(&s, DIPR_REC_LINES), 0);
	assert_int_equal(dipr_rec_splitter_feed(s, (const uint8_t *)"ab\ncd", 5, NULL, NULL), 0);
	assert_int_equal(dipr_rec_splitter_count(s), 1);
	assert_int_equal(dipr_rec_splitter_offset(s), 5);
	assert_int_equal(dipr_rec_splitter_feed(s, NULL, 0, NULL, NULL), 0);
	assert_int_equal(dipr_rec_splitter_finish(s, NULL, NULL), 0);
	assert_int_equal(dipr_rec_splitter_count(s), 2);
	assert_int_equal(dipr_rec_splitter_offset(s), 5);
	/* unusable after finish */
	assert_int_equal(dipr_rec_splitter_feed(s, (const uint8_t *)"x", 1, NULL, NULL), DIPR_EINVAL);
	assert_int_equal(dipr_rec_splitter_finish(s, NULL, NULL), DIPR_EINVAL);
	dipr_rec_splitter_free(s);
	dipr_rec_splitter_free(NULL);
}

static void test_format_name_and_parse(void **st)
{
	(void)st;
	dipr_rec_format f;
	assert_string_equal(dipr_rec_format_name(DIPR_REC_LINES), "lines");
	assert_string_equal(dipr_rec_format_name(DIPR_REC_CSV), "csv");
	assert_string_equal(dipr_rec_format_name(DIPR_REC_JSONL), "jsonl");
	assert_null(dipr_rec_format_name((dipr_rec_format)0));
	assert_null(dipr_rec_format_name((dipr_rec_format)4));
	assert_int_equal(dipr_rec_format_parse("csv", 3, &f), 0);
	assert_int_equal(f, DIPR_REC_CSV);
	assert_int_equal(dipr_rec_format_parse("lines", 5, &f), 0);
	assert_int_equal(f, DIPR_REC_LINES);
	assert_int_equal(dipr_rec_format_parse("jsonlx", 5, &f), 0); /* n bytes only */
	assert_int_equal(f, DIPR_REC_JSONL);
	assert_int_equal(dipr_rec_format_parse("CSV", 3, &f), DIPR_EINVAL);
	assert_int_equal(dipr_rec_format_parse("cs", 2, &f), DIPR_EINVAL);
	assert_int_equal(dipr_rec_format_parse("", 0, &f), DIPR_EINVAL);
	assert_int_equal(dipr_rec_format_parse("json", 4, &f), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "expected lines, csv or jsonl"));
	dipr_rec_splitter *s = (dipr_rec_splitter *)1;
	assert_int_equal(dipr_rec_splitter_new(&s, (dipr_rec_format)9), DIPR_EINVAL);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_lf_ends_records),
		cmocka_unit_test(test_csv_crlf_terminator_stays_in_record),
		cmocka_unit_test(test_csv_mixed_crlf_and_lf),
		cmocka_unit_test(test_csv_quoted_lf_stays_inside_record),
		cmocka_unit_test(test_csv_quoted_crlf_stays_inside_record),
		cmocka_unit_test(test_csv_quoted_comma_is_data),
		cmocka_unit_test(test_csv_doubled_quotes_stay_quoted),
		cmocka_unit_test(test_csv_bom_belongs_to_record0),
		cmocka_unit_test(test_csv_quote_after_bom_opens_field),
		cmocka_unit_test(test_csv_partial_bom_is_field_data),
		cmocka_unit_test(test_csv_bom_only_file_is_one_record),
		cmocka_unit_test(test_csv_bom_later_in_file_is_data),
		cmocka_unit_test(test_csv_empty_fields),
		cmocka_unit_test(test_csv_no_final_newline),
		cmocka_unit_test(test_csv_one_record_file),
		cmocka_unit_test(test_csv_empty_file_has_no_records),
		cmocka_unit_test(test_csv_blank_line_is_a_record),
		cmocka_unit_test(test_csv_final_blank_line_is_a_record),
		cmocka_unit_test(test_csv_lone_cr_is_data),
		cmocka_unit_test(test_csv_quote_inside_unquoted_field_is_data),
		cmocka_unit_test(test_csv_data_after_closing_quote_is_data),
		cmocka_unit_test(test_csv_closing_quote_at_end_of_file),
		cmocka_unit_test(test_csv_unterminated_quote_names_opening_offset),
		cmocka_unit_test(test_csv_records_span_many_chunks),
		cmocka_unit_test(test_csv_matches_bytewise_model_on_random_input),
		cmocka_unit_test(test_jsonl_valid_lines),
		cmocka_unit_test(test_jsonl_empty_file_has_no_records),
		cmocka_unit_test(test_jsonl_final_newline_only_terminates),
		cmocka_unit_test(test_jsonl_accepts_every_json_value),
		cmocka_unit_test(test_jsonl_rejects_invalid_json),
		cmocka_unit_test(test_jsonl_error_names_line_offset),
		cmocka_unit_test(test_jsonl_empty_line_is_an_error),
		cmocka_unit_test(test_jsonl_invalid_utf8_names_line_offset),
		cmocka_unit_test(test_jsonl_deep_nesting_is_fine),
		cmocka_unit_test(test_lines_split_on_lf),
		cmocka_unit_test(test_lines_lone_cr_is_data),
		cmocka_unit_test(test_lines_empty_file_has_no_records),
		cmocka_unit_test(test_record_over_max_is_erange),
		cmocka_unit_test(test_record_of_exactly_max_is_fine),
		cmocka_unit_test(test_callback_error_stops_and_sticks),
		cmocka_unit_test(test_count_offset_and_null_callback),
		cmocka_unit_test(test_format_name_and_parse),
	};
	return cmocka_run_group_tests_name("records", tests, NULL, NULL);
}
