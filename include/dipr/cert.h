/* cert.h — the registration certificate (登记证书) file: build, sign,
 * strict parse, canonical encode and offline verification (DESIGN.md
 * "Certificates (contract)", DOMAIN.md "Certificate contents").
 *
 * The file is one JSON object with exactly three members:
 *
 *   {"certificate": BODY,
 *    "signatures": ["\u2014 <name> <base64(keyid || sig)>", ...],
 *    "tlog_proof": "<C2SP tlog-proof text of the certificate log entry>"}
 *
 * BODY = {"v":1, "certno":"<17 digits>", "regno":"<15 digits + 0-9|X>",
 *   "data_name":S, "holder":{"name":S,"id":S}, "industry":S,
 *   "source_type":S, "scenario":S, "scale":{"records":N,"bytes":N},
 *   "registered":"YYYY-MM-DD", "valid_until":"YYYY-MM-DD",
 *   "evidence":[{"index":N,"digests":{"sm3":HEX,"sha256":HEX}},...],
 *   "issuer":S, "record_url":"http(s)://..."}
 *
 * The signed bytes are the RFC 8785 canonical form of BODY (whatever the
 * spacing or member order in the file).  Each signature line is a C2SP
 * signed-note signature line without its newline; the key IDs and raw
 * signatures are those of note.h (Ed25519 type 0x01, SM2 type 0xff), made
 * with dipr_signer_sign_raw over the canonical body.
 *
 * The log entry (DESIGN.md "Log entries", type certificate) is canonical
 * JSON:
 *
 *   {"cert_hash":{"sha256":HEX,"sm3":HEX},"certno":..,"regno":..,
 *    "time":<ms>,"type":"certificate","v":1}
 *
 * Extension of DESIGN.md: there `cert_hash` is "the hash of the body's
 * canonical bytes", one hash.  Here it is a map alg -> lowercase hex, like
 * evidence `digests`, always holding BOTH SHA-256 and SM3 of the canonical
 * body, so that a verifier restricted to GM algorithms and one restricted
 * to SHA-256 can each check it; dipr's verifier requires and checks both.
 *
 * Limits (all outside input is bounded): file <= DIPR_CERT_MAX bytes,
 * 1..DIPR_CERT_MAX_SIGS signature lines of <= DIPR_CERT_SIGLINE_MAX bytes,
 * 1..DIPR_CERT_MAX_EVIDENCE evidence items, text members <=
 * DIPR_CERT_TEXT_MAX bytes, data_name <= DIPR_CERT_DATA_NAME_MAX
 * characters, holder.id <= DIPR_CERT_ID_MAX bytes.
 *
 * Nothing here does I/O or keeps global state; distinct objects may be
 * used on different threads at once.  Errors: DIPR_EINVAL (malformed, with
 * a detail from dipr_errdetail() naming the member, e.g.
 * "certificate: certificate.holder.id: expected ..."), DIPR_ERANGE (a
 * limit), DIPR_ENOMEM, DIPR_ECRYPTO; verification answers 0 or
 * DIPR_EVERIFY only.
 */
#ifndef DIPR_CERT_H
#define DIPR_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "dipr.h"
#include "hash.h"
#include "note.h"

#define DIPR_CERT_MAX (256u << 10)     /* whole certificate file, bytes */
#define DIPR_CERT_MAX_SIGS 16          /* signature lines */
#define DIPR_CERT_SIGLINE_MAX 512      /* one signature line, bytes */
#define DIPR_CERT_MAX_EVIDENCE 64      /* evidence items */
#define DIPR_CERT_TEXT_MAX 512         /* any text member, bytes */
#define DIPR_CERT_DATA_NAME_MAX 200    /* data_name, Unicode characters */
#define DIPR_CERT_ID_MAX 64            /* holder.id, bytes */
#define DIPR_CERT_CERTNO_LEN 17
#define DIPR_CERT_REGNO_LEN 16
#define DIPR_CERT_DATE_LEN 10          /* YYYY-MM-DD */

/* One evidence item: the log index of the evidence entry and the digests
 * it attests (at least one of the two). */
typedef struct {
	uint64_t index; /* <= 2^53 - 1 (JSON integer limit of entries) */
	bool has_sha256, has_sm3;
	uint8_t sha256[DIPR_HASH_LEN];
	uint8_t sm3[DIPR_HASH_LEN];
} dipr_cert_evidence;

/* The certificate body.  A plain value: fixed-size NUL-terminated strings
 * (UTF-8), no pointers, so it may be copied with memcpy and needs no free.
 * "v" is always 1 and is not stored.  Fill it (memset 0 first) and check it
 * with dipr_cert_body_check, or read it with dipr_cert_body_parse.
 *
 * Rules (dipr_cert_body_check; the parsers apply the same ones):
 *   certno       exactly 17 ASCII digits (format only)
 *   regno        15 ASCII digits and a check character 0-9 or X (format
 *                only; the MOD 11-2 check is the numbering module's job)
 *   text members (data_name, holder.name, industry, source_type, scenario,
 *                issuer) non-empty valid UTF-8, no control characters
 *                (U+0000-U+001F, U+007F-U+009F), <= DIPR_CERT_TEXT_MAX bytes;
 *                data_name also <= DIPR_CERT_DATA_NAME_MAX characters
 *   holder.id    1..DIPR_CERT_ID_MAX printable ASCII characters, no space
 *   scale        records and bytes <= 2^53 - 1
 *   registered, valid_until  "YYYY-MM-DD", a real Gregorian date of years
 *                0001-9999; valid_until not before registered
 *   evidence     1..DIPR_CERT_MAX_EVIDENCE items, no index twice, each with
 *                at least one digest; order is kept (it is signed)
 *   record_url   "https://" or "http://" followed by printable ASCII
 *                without spaces, <= DIPR_CERT_TEXT_MAX bytes */
typedef struct {
	char certno[DIPR_CERT_CERTNO_LEN + 1];
	char regno[DIPR_CERT_REGNO_LEN + 1];
	char data_name[4 * DIPR_CERT_DATA_NAME_MAX + 1];
	char holder_name[DIPR_CERT_TEXT_MAX + 1];
	char holder_id[DIPR_CERT_ID_MAX + 1];
	char industry[DIPR_CERT_TEXT_MAX + 1];
	char source_type[DIPR_CERT_TEXT_MAX + 1];
	char scenario[DIPR_CERT_TEXT_MAX + 1];
	uint64_t scale_records;
	uint64_t scale_bytes;
	char registered[DIPR_CERT_DATE_LEN + 1];
	char valid_until[DIPR_CERT_DATE_LEN + 1];
	dipr_cert_evidence evidence[DIPR_CERT_MAX_EVIDENCE];
	size_t nevidence;
	char issuer[DIPR_CERT_TEXT_MAX + 1];
	char record_url[DIPR_CERT_TEXT_MAX + 1];
} dipr_cert_body;

/* A whole certificate.  Zero-initialise (memset or `= {0}`) before first
 * use; release with dipr_cert_free.  Owns tlog_proof (malloc'd,
 * NUL-terminated, NULL when not set yet); everything else is inline. */
typedef struct {
	dipr_cert_body body;
	char sigs[DIPR_CERT_MAX_SIGS][DIPR_CERT_SIGLINE_MAX + 1]; /* no '\n' */
	size_t nsigs;
	char *tlog_proof;
	size_t tlog_proof_len;
} dipr_cert;

/* Frees tlog_proof and zeroes *c.  NULL is a no-op. */
void dipr_cert_free(dipr_cert *c);

/* ---- the body -------------------------------------------------------- */

/* Checks every rule above.  0 or DIPR_EINVAL with a detail naming the
 * member ("certificate.scale.bytes"). */
int dipr_cert_body_check(const dipr_cert_body *b);

/* Strict parse of a body alone (the JSON of the "certificate" member,
 * n <= DIPR_CERT_MAX): every member required, no other member, JSON types
 * as above, v == 1, then dipr_cert_body_check.  *out is written (zeroed
 * first); on failure its contents are unspecified. */
int dipr_cert_body_parse(const uint8_t *in, size_t n, dipr_cert_body *out);

/* Appends the RFC 8785 canonical bytes of the body (the signed message)
 * to out, no newline.  Checks the body first; on failure out is left as it
 * was. */
int dipr_cert_body_encode(const dipr_cert_body *b, dipr_buf *out);

/* SHA-256 and SM3 of the canonical body: the entry's cert_hash. */
int dipr_cert_body_hashes(const dipr_cert_body *b, uint8_t sha256[DIPR_HASH_LEN],
			  uint8_t sm3[DIPR_HASH_LEN]);

/* Appends the canonical log entry for the body WITHOUT "time" (the log adds
 * it when it sequences the entry):
 * {"cert_hash":{"sha256":..,"sm3":..},"certno":..,"regno":..,
 *  "type":"certificate","v":1}.  On failure out is left as it was. */
int dipr_cert_entry(const dipr_cert_body *b, dipr_buf *out);

/* Checks that entry (n bytes, as logged, so WITH "time") is exactly a
 * certificate entry for b: canonical JSON (RFC 8785) with just the members
 * cert_hash {sha256, sm3}, certno, regno, time (integer >= 0), type
 * "certificate", v 1; certno and regno equal b's; both cert_hash values
 * equal the hashes of b's canonical bytes.  *time_ms (may be NULL) gets the
 * entry's time.  0 or DIPR_EVERIFY with a detail naming the member (or
 * DIPR_EINVAL if b itself is invalid, DIPR_ENOMEM). */
int dipr_cert_entry_match(const dipr_cert_body *b, const uint8_t *entry, size_t n,
			  int64_t *time_ms);

/* ---- the certificate file -------------------------------------------- */

/* Signs the canonical body with each of the n signers (n >= 1) and
 * appends one signature line per signer to c->sigs (existing lines are
 * kept).  DIPR_ERANGE if c would hold more than DIPR_CERT_MAX_SIGS lines
 * or a line would exceed DIPR_CERT_SIGLINE_MAX; DIPR_EINVAL for an invalid
 * body; DIPR_ECRYPTO if signing fails.  On failure c is unchanged.  Call
 * it after the body is final: any change to the body voids the lines. */
int dipr_cert_sign(dipr_cert *c, dipr_signer *const *signers, size_t n);

/* Copies a tlog-proof (n <= DIPR_TLOG_PROOF_MAX) into c, replacing any
 * previous one.  It must parse (dipr_tlog_proof_parse) and carry an extra
 * (the entry).  Its signatures and inclusion are checked by
 * dipr_cert_verify, not here.  On failure c is unchanged. */
int dipr_cert_set_tlog_proof(dipr_cert *c, const uint8_t *proof, size_t n);

/* Appends the certificate file: the RFC 8785 canonical JSON of the whole
 * object and "\n".  Requires what dipr_cert_parse requires (a valid body,
 * 1..DIPR_CERT_MAX_SIGS well-formed lines, a tlog_proof), so that whatever
 * is encoded parses again.  On failure out is left as it was. */
int dipr_cert_encode(const dipr_cert *c, dipr_buf *out);

/* Strict parse of a certificate file (n <= DIPR_CERT_MAX, else
 * DIPR_ERANGE): one JSON object with exactly certificate, signatures and
 * tlog_proof (insignificant whitespace and member order are free; the
 * signatures cover the canonical body); the body as dipr_cert_body_parse;
 * 1..DIPR_CERT_MAX_SIGS signature lines, each "\u2014 <key name> <canonical
 * base64 of a key ID and at least one byte>" of at most
 * DIPR_CERT_SIGLINE_MAX bytes; tlog_proof as dipr_cert_set_tlog_proof.
 * Overwrites *out without freeing it; on failure *out is zeroed (so
 * dipr_cert_free is always safe).  Details name the member. */
int dipr_cert_parse(const uint8_t *in, size_t n, dipr_cert *out);

/* What a successful verification established (see dipr_cert_verify). */
typedef struct {
	uint64_t index;          /* the certificate entry's index in the log */
	int64_t time;            /* its "time", Unix milliseconds */
	dipr_hash_alg tree_alg;  /* the log's tree hash the proof verified under */
	dipr_checkpoint cp;      /* the signed checkpoint */
} dipr_cert_verified;

/* Offline verification against the log's keys vs[0..nv) (nv >= 1):
 *  1. every verifier has a valid signature line over the canonical body
 *     (as dipr_note_verify: lines of other keys are ignored; a line whose
 *     name and key ID match a verifier must verify, every one of them);
 *  2. the tlog_proof verifies (dipr_tlog_proof_verify) with the same keys
 *     and origin (NULL: the name of vs[0], the log's key name being its
 *     origin), under tree_alg, or if tree_alg is 0 under SHA-256 or SM3;
 *  3. its entry matches the body (dipr_cert_entry_match).
 * 0 (and *out filled, if out is non-NULL) or DIPR_EVERIFY with a detail
 * saying which check failed.  DIPR_EINVAL for nv == 0, a NULL verifier or
 * an unknown tree_alg; DIPR_ENOMEM. */
int dipr_cert_verify(const dipr_cert *c, dipr_verifier *const *vs, size_t nv,
		     const char *origin, int tree_alg, dipr_cert_verified *out);

#endif
