/* note.h — C2SP signed-note with Ed25519 and SM2 keys, C2SP tlog-checkpoint,
 * and C2SP tlog-proof.
 *
 * Key types (the byte that starts the encoded public key):
 *   0x01  Ed25519, exactly per C2SP signed-note.
 *   0xff  SM2 (GB/T 32918) with the identifier "sm2-sm3/1234567812345678":
 *         key ID = SHA-256(name || 0x0A || 0xff || identifier || 65-byte
 *         uncompressed public key)[:4]; signature = key ID || DER
 *         SEQUENCE{r,s} over the note text, SM3 digest, distinguishing ID
 *         "1234567812345678".
 * vkey: "<name>+<8 hex key ID>+base64(type || [identifier] || public key)".
 * skey: "PRIVATE+KEY+<name>+<8 hex key ID>+base64(type || [identifier] ||
 *        private key)" (Ed25519: 32-byte seed; SM2: 32-byte scalar).
 */
#ifndef DIPR_NOTE_H
#define DIPR_NOTE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "dipr.h"
#include "hash.h"

#define DIPR_KEY_ED25519 0x01
#define DIPR_KEY_SM2 0xff
#define DIPR_SM2_IDENT "sm2-sm3/1234567812345678"
#define DIPR_SM2_DISTID "1234567812345678"

/* Limits on outside bytes. */
#define DIPR_NOTE_MAX 65536        /* whole signed note */
#define DIPR_NOTE_MAX_SIGS 100     /* signature lines */
#define DIPR_KEY_NAME_MAX 255

/* Signers and verifiers are immutable once made, so one may be shared by
 * threads.  Errors from the functions below: DIPR_EINVAL for malformed
 * input (with a detail from dipr_errdetail()), DIPR_ENOMEM, DIPR_ECRYPTO
 * when OpenSSL fails. */
typedef struct dipr_signer dipr_signer;     /* private key, name, key ID */
typedef struct dipr_verifier dipr_verifier; /* public key, name, key ID */

/* New random key of type DIPR_KEY_ED25519 or DIPR_KEY_SM2.  name must be a
 * valid key name (non-empty, no Unicode whitespace, '+' or ASCII control
 * characters, valid UTF-8, <= 255 bytes). */
int dipr_signer_generate(dipr_signer **out, const char *name, int type);
/* Parses an skey (len bytes, no NUL needed).  The key ID in it must match
 * the key; an SM2 scalar must be in [1, n-2]. */
int dipr_signer_from_skey(dipr_signer **out, const char *skey, size_t len);
/* NUL-terminated malloc'd strings; the skey is secret (wipe before free). */
int dipr_signer_skey(const dipr_signer *s, char **out);
int dipr_signer_vkey(const dipr_signer *s, char **out);
/* Borrowed; lives as long as s. */
const char *dipr_signer_name(const dipr_signer *s);
int dipr_signer_type(const dipr_signer *s);
uint32_t dipr_signer_keyid(const dipr_signer *s);
/* Wipes the private key. NULL is a no-op. */
void dipr_signer_free(dipr_signer *s);

/* Parses a vkey (len bytes, no NUL needed).  The key ID must match the
 * key; an SM2 key must be a valid point of the curve. */
int dipr_verifier_from_vkey(dipr_verifier **out, const char *vkey, size_t len);
const char *dipr_verifier_name(const dipr_verifier *v);
int dipr_verifier_type(const dipr_verifier *v);
uint32_t dipr_verifier_keyid(const dipr_verifier *v);
void dipr_verifier_free(dipr_verifier *v);

/* Raw signature over msg (for Ed25519 64 bytes; for SM2 a DER SEQUENCE,
 * at most 72 bytes, SM3 and distinguishing ID DIPR_SM2_DISTID).  sig must
 * hold 80 bytes.  verify_raw returns 0 or DIPR_EVERIFY. */
int dipr_signer_sign_raw(const dipr_signer *s, const uint8_t *msg, size_t n,
			 uint8_t sig[80], size_t *siglen);
int dipr_verifier_verify_raw(const dipr_verifier *v, const uint8_t *msg, size_t n,
			     const uint8_t *sig, size_t siglen);

/* Appends text (which must be a valid note text: non-empty UTF-8, ends in
 * '\n', no other control characters; empty lines are allowed, as in
 * signed-note), a blank line, and one signature line per signer
 * ("\u2014 <name> base64(keyid || sig)\n") to out.  1..DIPR_NOTE_MAX_SIGS
 * signers; DIPR_ERANGE if the signed note would exceed DIPR_NOTE_MAX.  On
 * failure out is left as it was. */
int dipr_note_sign(const uint8_t *text, size_t n, dipr_signer *const *signers,
		   size_t nsigners, dipr_buf *out);

/* Splits a signed note: *text_len = length of the text including its final
 * '\n' (the blank line is not part of it; the text ends at the LAST blank
 * line).  Checks the syntax of every signature line: em dash, space, valid
 * key name, space, canonical base64 of at least 5 bytes, newline; at most
 * DIPR_NOTE_MAX bytes and DIPR_NOTE_MAX_SIGS lines, UTF-8, no control
 * characters but '\n'.  DIPR_EINVAL (with a detail) if malformed.
 * text_len may be NULL. */
int dipr_note_parse(const uint8_t *note, size_t n, size_t *text_len);

/* Verifies a signed note against trusted keys.  Returns 0 only if every one
 * of the nv verifiers has a valid signature line in the note; lines of
 * unknown keys (name or key ID differ) are ignored; EVERY line whose name
 * and key ID match a verifier must verify, so a repeated line with a bad
 * signature fails the note even if another line of that key is good.
 * nv == 0 is DIPR_EINVAL (nothing would be verified).  Malformed notes are
 * DIPR_EINVAL, failed checks DIPR_EVERIFY.  Sets *text_len (may be NULL)
 * like dipr_note_parse. */
int dipr_note_verify(const uint8_t *note, size_t n, dipr_verifier *const *vs,
		     size_t nv, size_t *text_len);

/* ---- C2SP tlog-checkpoint ------------------------------------------- */

typedef struct {
	char origin[DIPR_KEY_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[DIPR_HASH_LEN];
} dipr_checkpoint;

/* "<origin>\n<size>\n<base64 root>\n" appended to out.  DIPR_EINVAL for an
 * empty origin, one with control characters, or size > 2^63-1. */
int dipr_checkpoint_format(const dipr_checkpoint *c, dipr_buf *out);
/* Parses a checkpoint note text (not the signatures): origin (1..255
 * bytes), tree size (decimal, no leading zeros, <= 2^63-1), canonical
 * base64 of a 32-byte root, each line ending in '\n'.  Non-empty extension
 * lines after the root are allowed and ignored.  DIPR_EINVAL if malformed;
 * *c is written only on success. */
int dipr_checkpoint_parse(const uint8_t *text, size_t n, dipr_checkpoint *c);

/* ---- C2SP tlog-proof ------------------------------------------------ */

#define DIPR_TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"
/* Longest extra accepted (bytes, before base64). */
#define DIPR_TLOG_PROOF_EXTRA_MAX 65536
/* Most proof hashes: an inclusion proof in a tree of < 2^63 leaves. */
#define DIPR_TLOG_PROOF_MAX_HASHES 63
/* Longest tlog-proof: the note, the base64 of the longest extra, and room
 * for the header, index and proof lines. */
#define DIPR_TLOG_PROOF_MAX (DIPR_NOTE_MAX + 4 * (DIPR_TLOG_PROOF_EXTRA_MAX / 3 + 1) + 8192)

typedef struct {
	uint8_t *extra; /* owned; NULL when absent */
	size_t extra_len;
	bool has_extra;
	uint64_t index;
	uint8_t proof[DIPR_HASH_LEN * 64]; /* proof hashes, 32 bytes each */
	size_t proof_len;                  /* number of hashes */
	uint8_t *note;                     /* owned: the checkpoint, verbatim */
	size_t note_len;
} dipr_tlog_proof;

/* Appends a tlog-proof to out: the header line, "extra <base64>" if
 * has_extra (extra_len <= DIPR_TLOG_PROOF_EXTRA_MAX, may be 0), "index <N>",
 * proof_len (<= DIPR_TLOG_PROOF_MAX_HASHES) base64 hash lines, an empty
 * line, the note verbatim.  The note must parse as a signed note whose
 * text is a checkpoint (its signatures are not verified here).  On failure
 * out is left as it was. */
int dipr_tlog_proof_encode(const uint8_t *extra, size_t extra_len, bool has_extra,
			   uint64_t index, const uint8_t (*proof)[DIPR_HASH_LEN],
			   size_t proof_len, const uint8_t *note, size_t note_len,
			   dipr_buf *out);
/* Strict parse of a whole tlog-proof (n <= DIPR_TLOG_PROOF_MAX): exact
 * header, optional extra, index without leading zeros, each proof line
 * canonical base64 of 32 bytes, the empty line, then a signed note whose
 * text is a checkpoint.  Overwrites *out (without freeing what it held);
 * on failure *out is zeroed, so dipr_tlog_proof_free is always safe.
 * DIPR_EINVAL (detail names the line) or DIPR_ENOMEM. */
int dipr_tlog_proof_parse(const uint8_t *in, size_t n, dipr_tlog_proof *out);
void dipr_tlog_proof_free(dipr_tlog_proof *p); /* frees owned members only */

/* Full offline check: the checkpoint note verifies under all of vs (see
 * dipr_note_verify), its origin equals origin (if non-NULL), the leaf hash
 * of `extra` (the entry bytes) is included at index in the checkpoint's
 * tree.  Fills *cp (may be NULL) on success.  0, DIPR_EVERIFY (a check
 * failed) or DIPR_EINVAL (no extra, bad alg, no verifiers, malformed). */
int dipr_tlog_proof_verify(const dipr_tlog_proof *p, dipr_hash_alg tree_alg,
			   dipr_verifier *const *vs, size_t nv, const char *origin,
			   dipr_checkpoint *cp);
/* The same for a proof whose record hash comes from elsewhere (the extra
 * is not used): leaf is the RFC 6962 leaf hash to check at p->index. */
int dipr_tlog_proof_verify_leaf(const dipr_tlog_proof *p, dipr_hash_alg tree_alg,
				const uint8_t leaf[DIPR_HASH_LEN], dipr_verifier *const *vs,
				size_t nv, const char *origin, dipr_checkpoint *cp);

#endif
