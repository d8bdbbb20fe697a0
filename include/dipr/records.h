/* records.h — splitting a dataset into records, for record trees
 * (DESIGN.md "Dataset record trees").
 *
 * Records partition the file: record i is a byte range, the ranges are
 * consecutive and cover every byte, so the concatenation of all records is
 * the file itself and the record tree commits to exactly the file.  A
 * record keeps its terminator ("\n" or "\r\n"); the last record may have
 * none.  An empty file has no records.
 *   lines  each "\n"-terminated line is a record (split on "\n" only; a
 *          CR before it stays in the record).
 *   csv    RFC 4180 records: a line break inside a quoted field stays in
 *          the record; CRLF or LF; a UTF-8 BOM belongs to record 0 (the
 *          header row), and a '"' right after it still opens a quoted
 *          field; fields may be empty; a blank line is a record of its
 *          own (so "a\n\n" has two records).  A record ends at an LF
 *          outside quotes; a CR not followed by LF is ordinary data (no
 *          CR-only line endings).  Lenient like spreadsheets: only a '"'
 *          at the start of a field opens a quoted field, a '"' inside an
 *          unquoted field (ab"c) and data after a closing quote ("a"b) are
 *          field data.  An unterminated quote is an error at the byte
 *          offset of its opening quote.  A file holding only a BOM is one
 *          record (every byte belongs to some record).
 *   jsonl  each line is one JSON value in UTF-8 (the line's bytes without
 *          its "\n" or "\r\n" must be one RFC 8259 JSON text: whitespace
 *          around the value is allowed, any number of any size or
 *          precision, any nesting depth, no BOM).  An empty or blank line
 *          (a final "\n" only terminates the last line), invalid JSON or
 *          invalid UTF-8 is an error naming the byte offset of the line.
 *
 * The splitter is streaming: feed any chunking of the file, get the same
 * records.  It copies only a record that spans chunks (bounded by
 * DIPR_RECORD_MAX).  It does no I/O.
 */
#ifndef DIPR_RECORDS_H
#define DIPR_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define DIPR_RECORD_MAX (16u << 20) /* one record, bytes */

typedef enum {
	DIPR_REC_LINES = 1,
	DIPR_REC_CSV = 2,
	DIPR_REC_JSONL = 3,
} dipr_rec_format;

/* "lines", "csv", "jsonl"; NULL for unknown. */
const char *dipr_rec_format_name(dipr_rec_format f);
/* The inverse: s (n bytes, not NUL-terminated) must be one of those names
 * exactly (case-sensitive); DIPR_EINVAL otherwise. */
int dipr_rec_format_parse(const char *s, size_t n, dipr_rec_format *f);

/* Called once per record, in order. rec is borrowed for the call only.
 * A non-zero return stops the split and is returned by feed/finish (and by
 * every later call: the splitter is unusable afterwards). */
typedef int (*dipr_rec_fn)(void *ctx, uint64_t index, const uint8_t *rec, size_t n);

typedef struct dipr_rec_splitter dipr_rec_splitter;

/* DIPR_EINVAL for an unknown format.  Not thread-safe: one splitter per
 * thread (different splitters are independent). */
int dipr_rec_splitter_new(dipr_rec_splitter **out, dipr_rec_format f);
void dipr_rec_splitter_free(dipr_rec_splitter *s); /* NULL is a no-op */

/* Feeds the next n bytes of the file (n may be 0).  fn may be NULL to
 * only count and check records.  DIPR_EINVAL (detail names the byte
 * offset and what was expected) on malformed input, DIPR_ERANGE when a
 * record exceeds DIPR_RECORD_MAX (detail names the record and the byte
 * offset where it starts), DIPR_ENOMEM; the splitter is unusable
 * afterwards: every later call returns the same code.  Errors and records
 * do not depend on the chunking. */
int dipr_rec_splitter_feed(dipr_rec_splitter *s, const uint8_t *p, size_t n, dipr_rec_fn fn, void *ctx);
/* End of file: emits the last record (if it has no terminator) and checks
 * nothing is left open (an unterminated quote).  Call it once; feed and
 * finish fail with DIPR_EINVAL after it. */
int dipr_rec_splitter_finish(dipr_rec_splitter *s, dipr_rec_fn fn, void *ctx);
/* Records emitted so far (those fn accepted); bytes consumed so far.
 * After a failure, offset is where the records emitted end (the start of
 * the record that failed), so both are the same for any chunking. */
uint64_t dipr_rec_splitter_count(const dipr_rec_splitter *s);
uint64_t dipr_rec_splitter_offset(const dipr_rec_splitter *s);

#endif
