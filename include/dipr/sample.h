/* sample.h — sample proofs (*.sample.json): disclose chosen records of an
 * attested dataset and prove they belong to it (DESIGN.md "Dataset record
 * trees").
 *
 * {"v":1,"type":"sample","receipt":"<tlog-proof of the evidence entry>",
 *  "samples":[{"index":N,"bytes":"<base64 record>","salt":"<32 hex>",
 *              "proof":["<base64 hash>",...]},...]}
 *
 * Verification: the receipt verifies (checkpoint signatures, inclusion of
 * the evidence entry); the entry carries records {alg, root, count,
 * format}; each sample's leaf H(0x00 || salt || bytes) is included at its
 * index in the record tree of `count` leaves with that root.
 */
#ifndef DIPR_SAMPLE_H
#define DIPR_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "dipr.h"
#include "hash.h"
#include "note.h"
#include "rectree.h"
#include "merkle.h"

#define DIPR_SAMPLE_MAX (64u << 20)    /* sample file, bytes */
#define DIPR_SAMPLE_MAX_RECORDS 100000
#define DIPR_RECORD_BYTES_MAX (16u << 20) /* one disclosed record */

typedef struct {
	uint64_t index;
	uint8_t *bytes; /* owned */
	size_t n;
	uint8_t salt[DIPR_SALT_LEN];
	uint8_t proof[64][DIPR_HASH_LEN];
	size_t proof_len;
} dipr_sample_record;

typedef struct {
	uint8_t *receipt; /* owned, the tlog-proof text */
	size_t receipt_len;
	dipr_sample_record *recs; /* owned */
	size_t nrecs;
} dipr_sample;

/* The records commitment of an evidence entry. */
typedef struct {
	dipr_hash_alg alg;
	uint8_t root[DIPR_HASH_LEN];
	uint64_t count;
	char format[8];
} dipr_records_commitment;

int dipr_sample_parse(const uint8_t *in, size_t n, dipr_sample *out);
int dipr_sample_encode(const dipr_sample *s, dipr_buf *out);
void dipr_sample_free(dipr_sample *s);

/* Reads the "records" member of an evidence entry (canonical JSON).
 * DIPR_ENOTFOUND if the entry has none. */
int dipr_records_from_entry(const uint8_t *entry, size_t n, dipr_records_commitment *rc);

/* Checks every sample against a records commitment (already trusted).
 * 0, or DIPR_EVERIFY with a detail naming the sample. */
int dipr_sample_check_records(const dipr_sample *s, const dipr_records_commitment *rc);

/* ---- extension proofs (*.extension.json): a dataset that only grew ----
 *
 * {"v":1,"type":"extension","old":"<receipt>","new":"<receipt>",
 *  "proof":["<base64 hash>",...]}
 *
 * Both receipts verify; both entries' records use the same alg and format
 * (and so, when attested with the same secret, the same salts); the proof
 * is an RFC 6962 consistency proof from the old record tree (count, root)
 * to the new one: the old records are the first records of the new
 * dataset, unchanged. */
typedef struct {
	uint8_t *old_receipt, *new_receipt; /* owned */
	size_t old_len, new_len;
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t proof_len;
} dipr_extension;

int dipr_extension_parse(const uint8_t *in, size_t n, dipr_extension *out);
int dipr_extension_encode(const dipr_extension *e, dipr_buf *out);
void dipr_extension_free(dipr_extension *e);
/* 0, or DIPR_EVERIFY with a detail. */
int dipr_extension_check(const dipr_extension *e, const dipr_records_commitment *old_rc,
			 const dipr_records_commitment *new_rc);

#endif
