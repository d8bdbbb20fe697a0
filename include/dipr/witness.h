/* witness.h — C2SP tlog-cosignature (cosignature/v1: Ed25519, key type
 * 0x04) and the messages and decision of C2SP tlog-witness
 * (add-checkpoint), without I/O.
 *
 * A witness keeps, per log (identified by its checkpoint origin), the last
 * checkpoint it cosigned.  A log asks it to cosign a new checkpoint with a
 * request
 *     old <size>\n  <base64 hash>\n ...  \n  <signed checkpoint note>
 * and the witness answers 200 with cosignature lines, or a status that
 * says why not (dipr_witness_decide).
 *
 * A cosignature line is a signed-note signature line
 *     "\u2014 <name> base64(key ID || u64be(timestamp) || Ed25519 sig)\n"
 * key ID = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]; the
 * signature is over "cosignature/v1\ntime <timestamp>\n" followed by the
 * checkpoint's note text (tlog-cosignature, "Ed25519 signed message").
 *
 * vkey: "<name>+<8 hex key ID>+base64(0x04 || public key)".
 * skey: "PRIVATE+KEY+<name>+<8 hex key ID>+base64(0x04 || 32-byte seed)"
 * (dipr's own storage format for the witness key; nobody else reads it).
 *
 * Cosigners and verifiers are immutable after construction and may be
 * shared by threads.  Errors: DIPR_EINVAL (malformed, with a detail from
 * dipr_errdetail()), DIPR_ENOMEM, DIPR_ECRYPTO, DIPR_EVERIFY.
 */
#ifndef DIPR_WITNESS_H
#define DIPR_WITNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "dipr.h"
#include "hash.h"
#include "note.h"

#define DIPR_KEY_COSIGNATURE_V1 0x04
#define DIPR_COSIG_HEADER "cosignature/v1"
/* tlog-witness: at most 63 consistency proof lines. */
#define DIPR_WITNESS_MAX_PROOF 63
/* Longest add-checkpoint body: "old " + 19 digits, 63 proof lines of 45
 * bytes, the empty line and the note. */
#define DIPR_WITNESS_REQ_MAX (DIPR_NOTE_MAX + 24 + DIPR_WITNESS_MAX_PROOF * 45 + 1)
/* Longest 200 answer accepted (cosignature lines). */
#define DIPR_WITNESS_RESP_MAX 16384
/* Largest timestamp (tlog-cosignature: at most 2^63 - 1). */
#define DIPR_COSIG_TIME_MAX ((uint64_t)INT64_MAX)

typedef struct dipr_cosigner dipr_cosigner;             /* witness key */
typedef struct dipr_cosig_verifier dipr_cosig_verifier; /* its public half */

/* A new random key named name (a valid key name, see dipr_signer_generate). */
int dipr_cosigner_generate(dipr_cosigner **out, const char *name);
/* Parses an skey as above (len bytes, no NUL needed); the key ID in it
 * must match the key. */
int dipr_cosigner_from_skey(dipr_cosigner **out, const char *skey, size_t len);
/* NUL-terminated malloc'd strings; the skey is secret (wipe, then free). */
int dipr_cosigner_skey(const dipr_cosigner *s, char **out);
int dipr_cosigner_vkey(const dipr_cosigner *s, char **out);
/* Borrowed; lives as long as s. */
const char *dipr_cosigner_name(const dipr_cosigner *s);
uint32_t dipr_cosigner_keyid(const dipr_cosigner *s);
/* Wipes the key.  NULL is a no-op. */
void dipr_cosigner_free(dipr_cosigner *s);

/* Parses a cosigner vkey (type 0x04; len bytes, no NUL needed).  A vkey of
 * another type (a log's 0x01 or 0xff key, say) is DIPR_EINVAL with a
 * detail that says so. */
int dipr_cosig_verifier_from_vkey(dipr_cosig_verifier **out, const char *vkey, size_t len);
const char *dipr_cosig_verifier_name(const dipr_cosig_verifier *v);
uint32_t dipr_cosig_verifier_keyid(const dipr_cosig_verifier *v);
void dipr_cosig_verifier_free(dipr_cosig_verifier *v);

/* The signed message: "cosignature/v1\ntime <t>\n" || text, appended to
 * out.  text is a checkpoint's note text (with its final newline, without
 * the blank line and signatures).  DIPR_EINVAL if t > DIPR_COSIG_TIME_MAX. */
int dipr_cosig_message(const uint8_t *text, size_t n, uint64_t t, dipr_buf *out);

/* Appends one cosignature line of s over text at time t to out.  On failure
 * out is left as it was. */
int dipr_cosig_sign(const dipr_cosigner *s, const uint8_t *text, size_t n, uint64_t t, dipr_buf *out);

/* Checks the cosignature of v in a signed note (a checkpoint with its
 * signature lines).  Lines of other keys (other name or key ID) are
 * ignored.  0 if v has at least one line and every line of v verifies;
 * *t (may be NULL) is the newest timestamp.  DIPR_ENOTFOUND if v has no
 * line; DIPR_EVERIFY if a line of v is malformed (not 4 + 8 + 64 bytes,
 * timestamp above 2^63 - 1) or does not verify; DIPR_EINVAL if the note
 * is malformed. */
int dipr_cosig_verify(const uint8_t *note, size_t n, const dipr_cosig_verifier *v, uint64_t *t);

/* ---- C2SP tlog-witness add-checkpoint ---------------------------------- */

typedef struct {
	uint64_t old_size;
	uint8_t proof[DIPR_WITNESS_MAX_PROOF][DIPR_HASH_LEN];
	size_t proof_len;
	const uint8_t *note; /* the signed checkpoint; borrowed from the body */
	size_t note_len;
} dipr_witness_req;

/* Strict parse of an add-checkpoint body (n <= DIPR_WITNESS_REQ_MAX): the
 * old size line ("old N", decimal without leading zeros), 0..63 lines of
 * canonical base64 of 32 bytes, an empty line, then a signed note (syntax
 * checked with dipr_note_parse; its signatures are not verified here).
 * DIPR_EINVAL with a detail naming the line; *out is written only on
 * success. */
int dipr_witness_req_parse(const uint8_t *body, size_t n, dipr_witness_req *out);

/* Appends an add-checkpoint body to out.  proof_len <= 63. */
int dipr_witness_req_format(uint64_t old_size, const uint8_t (*proof)[DIPR_HASH_LEN], size_t proof_len,
			    const uint8_t *note, size_t note_len, dipr_buf *out);

/* A log known to a witness: its origin (= the name of its keys), its
 * trusted keys (borrowed; any one valid signature suffices, as
 * tlog-witness says) and its tree hash. */
typedef struct {
	const char *origin;
	dipr_verifier *const *keys;
	size_t nkeys;
	dipr_hash_alg alg;
} dipr_witness_log;

/* What the witness holds for one log: the last checkpoint it cosigned. */
typedef struct {
	bool has; /* false: never cosigned for this log (size 0) */
	uint64_t size;
	uint8_t root[DIPR_HASH_LEN];
} dipr_witness_state;

/* The answer to one request. */
typedef struct {
	int status;       /* HTTP status: 200, 400, 403, 404, 409 or 422 */
	int log;          /* index into the logs given (-1 until known) */
	dipr_checkpoint cp; /* the submitted checkpoint (valid once log >= 0) */
	size_t text_len;  /* length of its note text */
	uint64_t size_for_409; /* the stored size, for the 409 body */
	bool fork;        /* same size, other root, or a consistency proof that
			   * fails: evidence that the log misbehaved */
	char reason[300]; /* for people: why (empty for 200) */
} dipr_witness_verdict;

/* First half of tlog-witness add-checkpoint, which needs no state: parses
 * the body (400), finds the log by the checkpoint's origin (404), checks
 * that at least one of its keys signed and no line of its keys fails
 * (403).  Returns 0 and v->status = 0 when the request may go on to
 * dipr_witness_decide; otherwise v->status is the answer.  The return
 * value is 0 in both cases (or DIPR_ENOMEM/DIPR_ECRYPTO). */
int dipr_witness_open(const uint8_t *body, size_t n, const dipr_witness_log *logs, size_t nlogs,
		      dipr_witness_req *req, dipr_witness_verdict *v);

/* Second half, against the stored state of v->log (the caller holds the
 * lock that makes check-and-store atomic): old size above the checkpoint
 * size (400); old size not the stored size (409); same size but another
 * root (409, fork); a consistency proof that does not verify, or a
 * non-empty one from size 0 (422, fork).  Sets v->status (200 when the
 * witness must store v->cp and cosign it). */
void dipr_witness_decide(const dipr_witness_req *req, const dipr_witness_log *log, const dipr_witness_state *st,
			 dipr_witness_verdict *v);

/* Parses a 409 body (Content-Type text/x.tlog.size): a decimal without
 * leading zeros and a newline, nothing else. */
int dipr_witness_size_parse(const uint8_t *body, size_t n, uint64_t *size);

/* Takes a 200 body (n <= DIPR_WITNESS_RESP_MAX: signature lines, each
 * "\u2014 name base64\n") and appends to out the lines of v that verify
 * over the checkpoint note text (text, tl); lines of other keys are
 * ignored (tlog-witness: the client MUST ignore unknown cosignatures).
 * 0 with *t the timestamp if at least one line of v verifies; DIPR_EINVAL
 * if the body is not signature lines; DIPR_EVERIFY if no line of v
 * verifies.  On failure out is left as it was. */
int dipr_witness_resp_take(const uint8_t *body, size_t n, const dipr_cosig_verifier *v, const uint8_t *text,
			   size_t tl, dipr_buf *out, uint64_t *t);

#endif
