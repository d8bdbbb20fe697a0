/* records.c — streaming record splitters for dataset record trees
 * (DESIGN.md "Dataset record trees"; the contract is include/dipr/records.h).
 *
 * One shape for all formats: search the chunk with memchr for the few bytes
 * that can end a record or change the CSV state, hand out every record that
 * lies inside the chunk as a pointer into it (no copy), and carry only the
 * open record across chunks.  All state between chunks is a handful of
 * integers plus that carry buffer, so any chunking gives the same records
 * and the same errors (tests/unit/test_records.c feeds every 2-chunk split
 * and single bytes; tests/fuzz/fuzz_{csv,jsonl}.c random chunkings).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dipr/records.h"
#include "internal.h"

/* CSV (RFC 4180 §2) state after the bytes seen so far.  Only '"' at the
 * start of a field opens a quoted field; a '"' anywhere else in an unquoted
 * field, and anything after a quoted field's closing quote, is data: the
 * lenient reading of spreadsheets and of Python's csv module (non-strict),
 * so `ab"c` and `"a"b` are single fields and never swallow the next line. */
enum csv_state {
	CSV_FIELD_START,   /* at a record start or just after an unquoted ',' */
	CSV_UNQUOTED,      /* inside an unquoted field, or after a closing quote */
	CSV_QUOTED,        /* inside a quoted field: ',', CR and LF are data */
	CSV_QUOTE_PENDING, /* quoted field, just after '"': a closing quote or
			    * the first of a doubled "" (decided by the next byte,
			    * which may be in the next chunk) */
};

#define BOM_DONE 4 /* s->bom once the file's first bytes are decided */

struct dipr_rec_splitter {
	dipr_rec_format fmt;
	int err;            /* first failure; sticky, returned by later calls */
	bool finished;
	uint64_t count;     /* records delivered */
	uint64_t offset;    /* bytes fed; during a feed, the offset of its chunk */
	uint64_t rec_start; /* file offset where the open record begins */
	dipr_buf carry;     /* the open record's bytes from earlier chunks */
	/* csv */
	enum csv_state st;
	uint8_t bom;        /* UTF-8 BOM bytes matched at file start, or BOM_DONE */
	uint64_t quote_at;  /* file offset of the open quoted field's opening quote */
	/* jsonl: one bit per open array (0) or object (1), grown on demand;
	 * depth is bounded by the line length, so at most DIPR_RECORD_MAX/8 bytes */
	uint64_t *nest;
	size_t nest_words;
};

static const char *const format_names[] = {
	[DIPR_REC_LINES] = "lines",
	[DIPR_REC_CSV] = "csv",
	[DIPR_REC_JSONL] = "jsonl",
};

const char *dipr_rec_format_name(dipr_rec_format f)
{
	if (f < DIPR_REC_LINES || f > DIPR_REC_JSONL)
		return NULL;
	return format_names[f];
}

int dipr_rec_format_parse(const char *s, size_t n, dipr_rec_format *f)
{
	for (int i = DIPR_REC_LINES; i <= DIPR_REC_JSONL; i++) {
		if (strlen(format_names[i]) == n && memcmp(format_names[i], s, n) == 0) {
			*f = (dipr_rec_format)i;
			return 0;
		}
	}
	return dipr__err(DIPR_EINVAL, "record format \"%.*s\": expected lines, csv or jsonl",
			 (int)(n > 32 ? 32 : n), s);
}

int dipr_rec_splitter_new(dipr_rec_splitter **out, dipr_rec_format f)
{
	*out = NULL;
	if (!dipr_rec_format_name(f))
		return dipr__err(DIPR_EINVAL, "record format %d: expected lines, csv or jsonl", (int)f);
	dipr_rec_splitter *s = calloc(1, sizeof *s);
	if (!s)
		return DIPR_ENOMEM;
	s->fmt = f;
	s->st = CSV_FIELD_START;
	dipr_buf_init(&s->carry, DIPR_RECORD_MAX);
	*out = s;
	return 0;
}

void dipr_rec_splitter_free(dipr_rec_splitter *s)
{
	if (!s)
		return;
	dipr_buf_free(&s->carry);
	free(s->nest);
	free(s);
}

uint64_t dipr_rec_splitter_count(const dipr_rec_splitter *s) { return s->count; }

/* After a failure the records delivered end exactly at rec_start: reporting
 * that (rather than the bytes fed) makes the value independent of chunking. */
uint64_t dipr_rec_splitter_offset(const dipr_rec_splitter *s) { return s->err ? s->rec_start : s->offset; }

static int too_long(const dipr_rec_splitter *s)
{
	/* No length in the message: a chunked feed notices the overflow before
	 * the record ends, a whole-file feed after, and both must say the same. */
	return dipr__err(DIPR_ERANGE, "%s: record %" PRIu64 " starting at byte %" PRIu64 " is longer than %u bytes",
			 format_names[s->fmt], s->count, s->rec_start, DIPR_RECORD_MAX);
}

/* ---- JSON validation for jsonl -------------------------------------------
 * A validator, not a parser: RFC 8259 §2-§8 grammar checked in one pass with
 * no allocation per line (only the nesting bitmap, kept between lines).
 * dipr__json_parse is deliberately not used: it refuses reals and integers
 * beyond 2^53 (right for dipr's own entries, wrong for arbitrary datasets)
 * and builds a Jansson tree per line.  tests/fuzz/fuzz_jsonl.c checks this
 * validator against Jansson. */

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool is_hex(uint8_t c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

static size_t skip_ws(const uint8_t *p, size_t n, size_t i)
{
	while (i < n && is_ws(p[i]))
		i++;
	return i;
}

/* Length of the UTF-8 sequence at p (RFC 3629 §4: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 if it is not one. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	if (c < 0xc2) /* continuation byte, or the lead of an overlong pair */
		return 0;
	if (c < 0xe0)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)) /* overlong; surrogate */
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)) /* overlong; > U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

/* p[*ip] is the opening '"'.  On success *ip is just past the closing one;
 * on failure it is the offending byte and *why says what was wrong. */
static bool json_string(const uint8_t *p, size_t n, size_t *ip, const char **why)
{
	size_t i = *ip + 1;
	for (;;) {
		/* fast path: printable ASCII other than '"' and '\\' */
		while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
			i++;
		if (i == n) {
			*why = "unterminated string";
			break;
		}
		uint8_t c = p[i];
		if (c == '"') {
			*ip = i + 1;
			return true;
		}
		if (c == '\\') {
			i++;
			if (i == n) {
				*why = "unterminated string";
				break;
			}
			if (p[i] && strchr("\"\\/bfnrt", p[i])) {
				i++;
				continue;
			}
			if (p[i] != 'u') {
				*why = "invalid escape";
				break;
			}
			/* \uXXXX: any four hex digits; a lone surrogate escape is
			 * grammatical (RFC 8259 §8.2 leaves its meaning open). */
			size_t k = 1;
			while (k <= 4 && i + k < n && is_hex(p[i + k]))
				k++;
			if (k <= 4) {
				i += k;
				*why = "expected four hex digits after \\u";
				break;
			}
			i += 5;
			continue;
		}
		if (c < 0x20) {
			*why = "control character in string (must be escaped)";
			break;
		}
		size_t len = utf8_seq(p + i, n - i);
		if (!len) {
			*why = "invalid UTF-8";
			break;
		}
		i += len;
	}
	*ip = i;
	return false;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? with no
 * limit on size or precision: range is the reader's business, not syntax. */
static bool json_number(const uint8_t *p, size_t n, size_t *ip, const char **why)
{
	size_t i = *ip;
	if (p[i] == '-')
		i++;
	if (i < n && p[i] == '0') {
		i++;
	} else if (i < n && is_digit(p[i])) {
		while (i < n && is_digit(p[i]))
			i++;
	} else {
		*why = "expected a digit";
		goto fail;
	}
	if (i < n && p[i] == '.') {
		i++;
		if (i == n || !is_digit(p[i])) {
			*why = "expected a digit after '.'";
			goto fail;
		}
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i == n || !is_digit(p[i])) {
			*why = "expected a digit in the exponent";
			goto fail;
		}
		while (i < n && is_digit(p[i]))
			i++;
	}
	*ip = i;
	return true;
fail:
	*ip = i;
	return false;
}

static int nest_set(dipr_rec_splitter *s, size_t depth, bool object)
{
	size_t w = depth / 64;
	if (w >= s->nest_words) {
		size_t words = s->nest_words ? s->nest_words * 2 : 16;
		uint64_t *q = realloc(s->nest, words * sizeof *q);
		if (!q)
			return DIPR_ENOMEM;
		s->nest = q;
		s->nest_words = words;
	}
	uint64_t bit = (uint64_t)1 << (depth % 64);
	s->nest[w] = object ? s->nest[w] | bit : s->nest[w] & ~bit;
	return 0;
}

static bool nest_is_object(const dipr_rec_splitter *s, size_t depth)
{
	return (s->nest[depth / 64] >> (depth % 64)) & 1;
}

/* 0 if p[0..n) is exactly one JSON text (RFC 8259 §2: ws value ws);
 * 1 with *at (offset in p) and *why if not; DIPR_ENOMEM.  Iterative, so a
 * deeply nested line cannot exhaust the stack. */
static int json_check(dipr_rec_splitter *s, const uint8_t *p, size_t n, size_t *at, const char **why)
{
	size_t i = skip_ws(p, n, 0), depth = 0;
	bool obj;
	int rc;
	if (i == n) {
		*why = "blank line, no JSON value";
		goto fail;
	}
value:
	i = skip_ws(p, n, i);
	if (i == n) {
		*why = "expected a value";
		goto fail;
	}
	switch (p[i]) {
	case '{':
	case '[':
		obj = p[i] == '{';
		if ((rc = nest_set(s, depth, obj)) != 0)
			return rc;
		depth++;
		i = skip_ws(p, n, i + 1);
		if (i < n && p[i] == (obj ? '}' : ']')) {
			i++;
			depth--;
			goto after;
		}
		if (obj)
			goto key;
		goto value;
	case '"':
		if (!json_string(p, n, &i, why))
			goto fail;
		goto after;
	case 't':
	case 'f':
	case 'n': {
		const char *lit = p[i] == 't' ? "true" : p[i] == 'f' ? "false" : "null";
		size_t len = strlen(lit);
		if (n - i < len || memcmp(p + i, lit, len) != 0) {
			*why = "expected a value";
			goto fail;
		}
		i += len;
		goto after;
	}
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (!json_number(p, n, &i, why))
			goto fail;
		goto after;
	default:
		*why = "expected a value";
		goto fail;
	}
key:
	if (i == n || p[i] != '"') {
		*why = "expected a string (object member name)";
		goto fail;
	}
	if (!json_string(p, n, &i, why))
		goto fail;
	i = skip_ws(p, n, i);
	if (i == n || p[i] != ':') {
		*why = "expected ':'";
		goto fail;
	}
	i++;
	goto value;
after:
	i = skip_ws(p, n, i);
	if (depth == 0) {
		if (i == n)
			return 0;
		*why = "unexpected data after the value";
		goto fail;
	}
	if (i == n) {
		*why = "line ends inside an array or object";
		goto fail;
	}
	obj = nest_is_object(s, depth - 1);
	if (p[i] == ',') {
		i = skip_ws(p, n, i + 1);
		if (obj)
			goto key;
		goto value;
	}
	if (p[i] == (obj ? '}' : ']')) {
		i++;
		depth--;
		goto after;
	}
	*why = obj ? "expected ',' or '}'" : "expected ',' or ']'";
fail:
	/* Outside strings the grammar is ASCII, so a non-ASCII byte here is
	 * either broken UTF-8 or a character out of place; say which. */
	if (i < n && p[i] >= 0x80) {
		if (!utf8_seq(p + i, n - i))
			*why = "invalid UTF-8";
		else if (n - i >= 3 && memcmp(p + i, "\xef\xbb\xbf", 3) == 0)
			*why = "byte order mark U+FEFF (not allowed, RFC 8259 section 8.1)";
	}
	*at = i;
	return 1;
}

static int jsonl_check(dipr_rec_splitter *s, const uint8_t *rec, size_t n)
{
	size_t len = n, at = 0;
	const char *why = "";
	/* The terminator is "\n" or "\r\n"; a CR left over (last line without
	 * LF) is JSON whitespace anyway. */
	if (len && rec[len - 1] == '\n') {
		len--;
		if (len && rec[len - 1] == '\r')
			len--;
	}
	if (len == 0)
		return dipr__err(DIPR_EINVAL, "jsonl: line at byte %" PRIu64 " (record %" PRIu64
			"): empty line; each line must hold one JSON value", s->rec_start, s->count);
	int rc = json_check(s, rec, len, &at, &why);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return dipr__err(DIPR_EINVAL, "jsonl: line at byte %" PRIu64 " (record %" PRIu64
			"): %s at byte %" PRIu64, s->rec_start, s->count, why, s->rec_start + at);
	return 0;
}

/* ---- record delivery ------------------------------------------------------ */

static int deliver(dipr_rec_splitter *s, const uint8_t *rec, size_t n, dipr_rec_fn fn, void *ctx)
{
	int rc;
	if (s->fmt == DIPR_REC_JSONL && (rc = jsonl_check(s, rec, n)) != 0)
		return rc;
	if (fn && (rc = fn(ctx, s->count, rec, n)) != 0)
		return rc;
	s->count++;
	s->rec_start += n;
	dipr_buf_reset(&s->carry);
	return 0;
}

/* Delivers the open record, which ends just before p[end]; p is the chunk
 * being fed (it starts at file offset s->offset). */
static int emit(dipr_rec_splitter *s, const uint8_t *p, size_t end, dipr_rec_fn fn, void *ctx)
{
	uint64_t stop = s->offset + end;
	if (stop - s->rec_start > DIPR_RECORD_MAX)
		return too_long(s);
	if (s->carry.n) {
		int rc = dipr_buf_add(&s->carry, p, end);
		if (rc)
			return rc;
		return deliver(s, s->carry.p, s->carry.n, fn, ctx);
	}
	assert(s->rec_start >= s->offset);
	return deliver(s, p + (size_t)(s->rec_start - s->offset), (size_t)(stop - s->rec_start), fn, ctx);
}

/* End of a chunk: keep the open record's bytes for the next one.  This is
 * the only copy, and it is bounded by DIPR_RECORD_MAX. */
static int keep_tail(dipr_rec_splitter *s, const uint8_t *p, size_t n)
{
	uint64_t stop = s->offset + n;
	if (stop == s->rec_start)
		return 0;
	if (stop - s->rec_start > DIPR_RECORD_MAX)
		return too_long(s);
	size_t from = s->carry.n ? 0 : (size_t)(s->rec_start - s->offset);
	return dipr_buf_add(&s->carry, p + from, n - from);
}

/* lines and jsonl: a record ends after each "\n" (a CR before it stays in
 * the record as part of a CRLF terminator). */
static int scan_lines(dipr_rec_splitter *s, const uint8_t *p, size_t n, dipr_rec_fn fn, void *ctx)
{
	const uint8_t *cur = p, *end = p + n, *nl;
	while ((nl = memchr(cur, '\n', (size_t)(end - cur))) != NULL) {
		cur = nl + 1;
		int rc = emit(s, p, (size_t)(cur - p), fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static const uint8_t *find(const uint8_t *cur, const uint8_t *end, uint8_t c)
{
	const uint8_t *q = memchr(cur, c, (size_t)(end - cur));
	return q ? q : end;
}

/* csv: a record ends at an LF outside quotes (so a CRLF record keeps both
 * bytes).  A CR not followed by LF is ordinary data: RFC 4180 only knows
 * CRLF, and old Mac CR-only files are rarer than CRs inside real values.
 *
 * The fast path never looks at every byte: it finds the next '"' and the
 * next '\n' with memchr and remembers both until passed, so a file without
 * quotes costs one memchr for '"' per chunk plus one for '\n' per record.
 * Commas matter only to tell whether a '"' starts a field, and for that the
 * byte before it is enough (everything since the last stop is unquoted
 * data), or the state if the '"' is the first byte looked at. */
static int scan_csv(dipr_rec_splitter *s, const uint8_t *p, size_t n, dipr_rec_fn fn, void *ctx)
{
	static const uint8_t bom[3] = {0xef, 0xbb, 0xbf};
	const uint8_t *cur = p, *end = p + n;
	const uint8_t *nq = NULL, *nl = NULL; /* next '"' / '\n' at or after cur, end if none */
	int rc;

	/* A UTF-8 BOM belongs to record 0 but is not field data: a '"' right
	 * after it still opens a quoted field (as in Excel's "CSV UTF-8"). */
	while (s->bom < 3 && cur < end) {
		if (*cur != bom[s->bom]) {
			if (s->bom > 0)
				s->st = CSV_UNQUOTED; /* EF or EF BB were field data */
			s->bom = BOM_DONE;
			break;
		}
		cur++;
		if (++s->bom == 3)
			s->bom = BOM_DONE;
	}

	while (cur < end) {
		switch (s->st) {
		case CSV_QUOTED:
			if (!nq || nq < cur)
				nq = find(cur, end, '"');
			cur = nq == end ? end : nq + 1;
			if (nq != end)
				s->st = CSV_QUOTE_PENDING;
			break;
		case CSV_QUOTE_PENDING: {
			uint8_t c = *cur++;
			if (c == '"') {
				s->st = CSV_QUOTED; /* "" is an escaped quote */
			} else if (c == ',') {
				s->st = CSV_FIELD_START;
			} else if (c == '\n') {
				s->st = CSV_FIELD_START;
				if ((rc = emit(s, p, (size_t)(cur - p), fn, ctx)) != 0)
					return rc;
			} else {
				s->st = CSV_UNQUOTED; /* `"a"b`: lenient, b is data */
			}
			break;
		}
		default: /* CSV_FIELD_START, CSV_UNQUOTED */
			if (!nq || nq < cur)
				nq = find(cur, end, '"');
			if (!nl || nl < cur)
				nl = find(cur, end, '\n');
			if (nq < nl) {
				bool opens = nq == cur ? s->st == CSV_FIELD_START : nq[-1] == ',';
				if (opens) {
					s->st = CSV_QUOTED;
					s->quote_at = s->offset + (uint64_t)(nq - p);
				} else {
					s->st = CSV_UNQUOTED; /* `ab"c`: lenient, data */
				}
				cur = nq + 1;
			} else if (nl < end) {
				cur = nl + 1;
				s->st = CSV_FIELD_START;
				if ((rc = emit(s, p, (size_t)(cur - p), fn, ctx)) != 0)
					return rc;
			} else {
				/* the rest is unquoted data without '"' or '\n' */
				s->st = end[-1] == ',' ? CSV_FIELD_START : CSV_UNQUOTED;
				cur = end;
			}
			break;
		}
	}
	return 0;
}

int dipr_rec_splitter_feed(dipr_rec_splitter *s, const uint8_t *p, size_t n, dipr_rec_fn fn, void *ctx)
{
	int rc;
	if (s->err)
		return s->err;
	if (s->finished)
		return dipr__err(DIPR_EINVAL, "%s: splitter fed after finish", format_names[s->fmt]);
	if (n == 0)
		return 0;
	rc = s->fmt == DIPR_REC_CSV ? scan_csv(s, p, n, fn, ctx) : scan_lines(s, p, n, fn, ctx);
	if (rc == 0)
		rc = keep_tail(s, p, n);
	if (rc) {
		s->err = rc;
		return rc;
	}
	s->offset += n;
	return 0;
}

int dipr_rec_splitter_finish(dipr_rec_splitter *s, dipr_rec_fn fn, void *ctx)
{
	int rc = 0;
	if (s->err)
		return s->err;
	if (s->finished)
		return dipr__err(DIPR_EINVAL, "%s: splitter finished twice", format_names[s->fmt]);
	s->finished = true;
	if (s->fmt == DIPR_REC_CSV && s->st == CSV_QUOTED) {
		rc = dipr__err(DIPR_EINVAL, "csv: record %" PRIu64 " starting at byte %" PRIu64
			       ": unterminated quote: the quoted field opened at byte %" PRIu64
			       " is never closed", s->count, s->rec_start, s->quote_at);
		goto fail;
	}
	/* keep_tail left the whole open record in carry */
	if (s->offset > s->rec_start && (rc = deliver(s, s->carry.p, s->carry.n, fn, ctx)) != 0)
		goto fail;
	return 0;
fail:
	s->err = rc;
	return rc;
}
