/* cosig.c — C2SP tlog-cosignature v1 (Ed25519, key type 0x04) and the
 * add-checkpoint messages and decision of C2SP tlog-witness.
 *
 * The key type byte 0x04 is what separates a cosignature from an ordinary
 * Ed25519 note signature (0x01): it enters the key ID, and the signed
 * message starts with the "cosignature/v1" header line, so a witness key
 * can never be tricked into making a signature that verifies as a log
 * signature or the other way round.
 *
 * Everything read from outside is bounded and parsed strictly, as in
 * note.c: canonical base64, decimals without leading zeros, every line
 * ending in a newline.
 */
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "internal.h"
#include "dipr/merkle.h"
#include "dipr/witness.h"

#define PUB_LEN 32
#define SEED_LEN 32
#define SIG_LEN 64
/* key ID || u64be(timestamp) || Ed25519 signature */
#define COSIG_LEN (4 + 8 + SIG_LEN)
#define KEYSTR_MAX 512

/* U+2014 EM DASH and a space start every signature line. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN 4

struct dipr_cosigner {
	char name[DIPR_KEY_NAME_MAX + 1];
	uint32_t keyid;
	uint8_t seed[SEED_LEN]; /* secret */
	uint8_t pub[PUB_LEN];
	EVP_PKEY *pkey;
};

struct dipr_cosig_verifier {
	char name[DIPR_KEY_NAME_MAX + 1];
	uint32_t keyid;
	EVP_PKEY *pkey;
};

/* ---- keys ---------------------------------------------------------------- */

/* tlog-cosignature §Format: key ID = SHA-256(name || "\n" || 0x04 || pub)[:4]. */
static int cosig_keyid(const char *name, size_t nlen, const uint8_t pub[PUB_LEN], uint32_t *out)
{
	uint8_t enc[1 + PUB_LEN], h[DIPR_HASH_LEN];
	enc[0] = DIPR_KEY_COSIGNATURE_V1;
	memcpy(enc + 1, pub, PUB_LEN);
	int rc = dipr_hash3(DIPR_HASH_SHA256, name, nlen, "\n", 1, enc, sizeof enc, h);
	if (rc)
		return rc;
	*out = dipr__get_u32be(h);
	return 0;
}

/* "<name>+<8 hex>+<base64(0x04 || 32 bytes)>" split and decoded; what
 * names the input in messages. */
static int keystr_parse(const char *what, const char *s, size_t len, char name[DIPR_KEY_NAME_MAX + 1],
			uint32_t *keyid, uint8_t key[32])
{
	const char *plus = memchr(s, '+', len);
	uint8_t enc[40], id[4];
	size_t enclen = 0;
	if (len > KEYSTR_MAX)
		return dipr__err(DIPR_EINVAL, "%s: longer than %d bytes", what, KEYSTR_MAX);
	if (!plus)
		return dipr__err(DIPR_EINVAL, "%s: expected <name>+<key ID>+<key>", what);
	size_t nlen = (size_t)(plus - s);
	if (!dipr__key_name_valid((const uint8_t *)s, nlen))
		return dipr__err(DIPR_EINVAL, "%s: invalid key name (non-empty, at most %d bytes of UTF-8, no "
				 "spaces, '+' or control characters)", what, DIPR_KEY_NAME_MAX);
	size_t rest = len - nlen - 1;
	const char *hex = plus + 1;
	if (rest < 9 || hex[8] != '+' || dipr_hex_decode(hex, 8, id, 4))
		return dipr__err(DIPR_EINVAL, "%s: expected an 8-digit hex key ID after the name", what);
	if (dipr_b64_decode(hex + 9, rest - 9, enc, sizeof enc, &enclen))
		return dipr__err(DIPR_EINVAL, "%s: key is not canonical base64", what);
	if (enclen >= 1 && enc[0] != DIPR_KEY_COSIGNATURE_V1)
		return dipr__err(DIPR_EINVAL, "%s: key type 0x%02x is not a witness cosignature key (expected "
				 "0x04, tlog-cosignature v1 Ed25519)%s", what, enc[0],
				 enc[0] == DIPR_KEY_ED25519 || enc[0] == DIPR_KEY_SM2 ? "; this is a log key" : "");
	if (enclen != 1 + 32)
		return dipr__err(DIPR_EINVAL, "%s: expected 0x04 and a 32-byte Ed25519 key, got %zu bytes", what,
				 enclen);
	memcpy(name, s, nlen);
	name[nlen] = 0;
	memcpy(key, enc + 1, 32);
	OPENSSL_cleanse(enc, sizeof enc);
	*keyid = dipr__get_u32be(id);
	return 0;
}

static int cosigner_complete(dipr_cosigner *s)
{
	size_t publen = PUB_LEN;
	s->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, s->seed, SEED_LEN);
	if (!s->pkey || EVP_PKEY_get_raw_public_key(s->pkey, s->pub, &publen) != 1 || publen != PUB_LEN) {
		ERR_clear_error();
		return DIPR_ECRYPTO;
	}
	return cosig_keyid(s->name, strlen(s->name), s->pub, &s->keyid);
}

int dipr_cosigner_generate(dipr_cosigner **out, const char *name)
{
	if (!name)
		return dipr__err(DIPR_EINVAL, "witness name is NULL");
	size_t nlen = strnlen(name, DIPR_KEY_NAME_MAX + 1);
	if (!dipr__key_name_valid((const uint8_t *)name, nlen))
		return dipr__err(DIPR_EINVAL, "witness name \"%.64s\" is invalid (non-empty, at most %d bytes of "
				 "UTF-8, no spaces, '+' or control characters)", name, DIPR_KEY_NAME_MAX);
	dipr_cosigner *s = calloc(1, sizeof *s);
	if (!s)
		return DIPR_ENOMEM;
	memcpy(s->name, name, nlen + 1);
	int rc = dipr_random(s->seed, SEED_LEN); /* any 32 bytes are a seed (RFC 8032 §5.1.5) */
	if (!rc)
		rc = cosigner_complete(s);
	if (rc) {
		dipr_cosigner_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int dipr_cosigner_from_skey(dipr_cosigner **out, const char *skey, size_t len)
{
	static const char prefix[] = "PRIVATE+KEY+";
	uint32_t want;
	if (len < sizeof prefix - 1 || memcmp(skey, prefix, sizeof prefix - 1))
		return dipr__err(DIPR_EINVAL, "witness skey: expected PRIVATE+KEY+<name>+<key ID>+<key>");
	dipr_cosigner *s = calloc(1, sizeof *s);
	if (!s)
		return DIPR_ENOMEM;
	int rc = keystr_parse("witness skey", skey + sizeof prefix - 1, len - (sizeof prefix - 1), s->name, &want,
			      s->seed);
	if (!rc)
		rc = cosigner_complete(s);
	if (!rc && s->keyid != want)
		rc = dipr__err(DIPR_EINVAL, "witness skey: key ID %08x does not match the key (expected %08x)",
			       (unsigned)want, (unsigned)s->keyid);
	if (rc) {
		dipr_cosigner_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* prefix || name || "+" || hex id || "+" || base64(0x04 || key).  Sized up
 * front so that no reallocation leaves a copy of a secret behind. */
static int keystr_format(const char *prefix, const char *name, uint32_t keyid, const uint8_t key[32], char **out)
{
	uint8_t enc[1 + 32];
	size_t total = strlen(prefix) + strlen(name) + 10 + 48 + 1;
	dipr_buf b;
	int rc;
	enc[0] = DIPR_KEY_COSIGNATURE_V1;
	memcpy(enc + 1, key, 32);
	static const uint8_t zeros[KEYSTR_MAX];
	dipr_buf_init(&b, total);
	/* Reserve: one add of the final length, then start over. */
	if ((rc = dipr_buf_add(&b, zeros, total))) {
		OPENSSL_cleanse(enc, sizeof enc);
		return rc;
	}
	dipr_buf_reset(&b);
	if ((rc = dipr_buf_adds(&b, prefix)) || (rc = dipr_buf_adds(&b, name)) ||
	    (rc = dipr_buf_addf(&b, "+%08x+", (unsigned)keyid)) || (rc = dipr_b64_encode(enc, sizeof enc, &b))) {
		if (b.p)
			OPENSSL_cleanse(b.p, b.cap);
		dipr_buf_free(&b);
	} else {
		*out = (char *)dipr_buf_detach(&b, NULL);
	}
	OPENSSL_cleanse(enc, sizeof enc);
	return rc;
}

int dipr_cosigner_skey(const dipr_cosigner *s, char **out)
{
	return keystr_format("PRIVATE+KEY+", s->name, s->keyid, s->seed, out);
}

int dipr_cosigner_vkey(const dipr_cosigner *s, char **out)
{
	return keystr_format("", s->name, s->keyid, s->pub, out);
}

const char *dipr_cosigner_name(const dipr_cosigner *s) { return s->name; }
uint32_t dipr_cosigner_keyid(const dipr_cosigner *s) { return s->keyid; }

void dipr_cosigner_free(dipr_cosigner *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

int dipr_cosig_verifier_from_vkey(dipr_cosig_verifier **out, const char *vkey, size_t len)
{
	uint8_t pub[PUB_LEN];
	uint32_t want, id;
	dipr_cosig_verifier *v = calloc(1, sizeof *v);
	if (!v)
		return DIPR_ENOMEM;
	int rc = keystr_parse("witness vkey", vkey, len, v->name, &want, pub);
	if (!rc)
		rc = cosig_keyid(v->name, strlen(v->name), pub, &id);
	if (!rc && id != want)
		rc = dipr__err(DIPR_EINVAL, "witness vkey: key ID %08x does not match the key (expected %08x)",
			       (unsigned)want, (unsigned)id);
	if (!rc) {
		v->keyid = id;
		v->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pub, PUB_LEN);
		if (!v->pkey) {
			ERR_clear_error();
			rc = dipr__err(DIPR_EINVAL, "witness vkey: not an Ed25519 public key");
		}
	}
	if (rc) {
		dipr_cosig_verifier_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

const char *dipr_cosig_verifier_name(const dipr_cosig_verifier *v) { return v->name; }
uint32_t dipr_cosig_verifier_keyid(const dipr_cosig_verifier *v) { return v->keyid; }

void dipr_cosig_verifier_free(dipr_cosig_verifier *v)
{
	if (!v)
		return;
	EVP_PKEY_free(v->pkey);
	free(v);
}

/* ---- cosignatures -------------------------------------------------------- */

int dipr_cosig_message(const uint8_t *text, size_t n, uint64_t t, dipr_buf *out)
{
	size_t start = out->n;
	int rc;
	if (t > DIPR_COSIG_TIME_MAX)
		return dipr__err(DIPR_EINVAL, "cosignature: timestamp above 2^63-1");
	/* tlog-cosignature "Ed25519 signed message": header line, time line,
	 * then the whole note text including its final newline. */
	if ((rc = dipr_buf_adds(out, DIPR_COSIG_HEADER "\n")) ||
	    (rc = dipr_buf_addf(out, "time %llu\n", (unsigned long long)t)) || (rc = dipr_buf_add(out, text, n))) {
		out->n = start;
		if (out->p)
			out->p[start] = 0;
	}
	return rc;
}

static int ed25519(EVP_PKEY *pkey, bool sign, const uint8_t *msg, size_t n, uint8_t sig[SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = SIG_LEN;
	int ok;
	if (!md)
		return DIPR_ENOMEM;
	/* PureEdDSA (RFC 8032 §5.1.6): no digest, the whole message. */
	if (sign)
		ok = EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, pkey, NULL) == 1 &&
		     EVP_DigestSign(md, sig, &len, msg, n) == 1 && len == SIG_LEN;
	else
		ok = EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, pkey, NULL) == 1 &&
		     EVP_DigestVerify(md, sig, SIG_LEN, msg, n) == 1;
	EVP_MD_CTX_free(md);
	if (!ok) {
		ERR_clear_error();
		return sign ? DIPR_ECRYPTO : DIPR_EVERIFY;
	}
	return 0;
}

int dipr_cosig_sign(const dipr_cosigner *s, const uint8_t *text, size_t n, uint64_t t, dipr_buf *out)
{
	uint8_t sig[COSIG_LEN];
	dipr_buf msg;
	size_t start = out->n;
	int rc;
	dipr_buf_init(&msg, DIPR_NOTE_MAX + 64);
	if ((rc = dipr_cosig_message(text, n, t, &msg)))
		goto done;
	sig[0] = (uint8_t)(s->keyid >> 24);
	sig[1] = (uint8_t)(s->keyid >> 16);
	sig[2] = (uint8_t)(s->keyid >> 8);
	sig[3] = (uint8_t)s->keyid;
	/* timestamped_signature: u64 big-endian timestamp, then the signature
	 * (RFC 8446 §3 serialisation). */
	dipr__put_u64be(sig + 4, t);
	if ((rc = ed25519(s->pkey, true, msg.p, msg.n, sig + 12)))
		goto done;
	if ((rc = dipr_buf_add(out, sig_prefix, SIG_PREFIX_LEN)) || (rc = dipr_buf_adds(out, s->name)) ||
	    (rc = dipr_buf_add(out, " ", 1)) || (rc = dipr_b64_encode(sig, sizeof sig, out)) ||
	    (rc = dipr_buf_add(out, "\n", 1))) {
		out->n = start;
		if (out->p)
			out->p[start] = 0;
	}
done:
	dipr_buf_free(&msg);
	return rc;
}

/* One signature line, pointers into the note. */
typedef struct {
	const char *name;
	size_t name_len;
	const char *b64;
	size_t b64_len;
} sigline;

/* Next line of a block of signature lines already checked by
 * dipr_note_parse (or by check_sigline): *pos advances past it. */
static bool next_sigline(const uint8_t *p, size_t n, size_t *pos, sigline *l)
{
	if (*pos >= n)
		return false;
	const uint8_t *s = p + *pos;
	const uint8_t *nl = memchr(s, '\n', n - *pos);
	size_t len = nl ? (size_t)(nl - s) : n - *pos;
	const uint8_t *sp = memchr(s + SIG_PREFIX_LEN, ' ', len - SIG_PREFIX_LEN);
	l->name = (const char *)s + SIG_PREFIX_LEN;
	l->name_len = (size_t)(sp - s) - SIG_PREFIX_LEN;
	l->b64 = (const char *)sp + 1;
	l->b64_len = len - SIG_PREFIX_LEN - l->name_len - 1;
	*pos += len + 1;
	return true;
}

/* Whether line l is by the key (name, keyid).  If so, sig holds its bytes
 * when they are a cosignature's length (*siglen = COSIG_LEN), else
 * *siglen is something else and the line cannot verify. */
static bool line_is_mine(const sigline *l, const char *name, uint32_t keyid, uint8_t sig[COSIG_LEN], size_t *siglen)
{
	size_t nlen = strlen(name);
	uint8_t buf[COSIG_LEN + 8];
	size_t got = 0;
	if (l->name_len != nlen || memcmp(l->name, name, nlen) != 0)
		return false;
	/* The key ID is in the first 4 bytes; decode at most a little more
	 * than a cosignature (a longer line is not ours unless its ID says
	 * so, which the first base64 quantum answers). */
	if (l->b64_len < 8 || dipr_b64_decode(l->b64, 8, buf, sizeof buf, &got) || got < 4 ||
	    dipr__get_u32be(buf) != keyid)
		return false;
	*siglen = 0;
	if (l->b64_len <= 4 * ((sizeof buf + 2) / 3) &&
	    dipr_b64_decode(l->b64, l->b64_len, buf, sizeof buf, siglen) == 0 && *siglen == COSIG_LEN)
		memcpy(sig, buf, COSIG_LEN);
	else
		*siglen = 1; /* ours by name and ID, but not a cosignature */
	return true;
}

static int verify_line(const dipr_cosig_verifier *v, const uint8_t sig[COSIG_LEN], size_t siglen, const uint8_t *text,
		       size_t tl, uint64_t *t)
{
	dipr_buf msg;
	if (siglen != COSIG_LEN)
		return DIPR_EVERIFY;
	uint64_t ts = 0;
	for (int i = 0; i < 8; i++)
		ts = ts << 8 | sig[4 + i];
	if (ts > DIPR_COSIG_TIME_MAX)
		return DIPR_EVERIFY;
	dipr_buf_init(&msg, DIPR_NOTE_MAX + 64);
	int rc = dipr_cosig_message(text, tl, ts, &msg);
	if (!rc)
		rc = ed25519(v->pkey, false, msg.p, msg.n, (uint8_t *)sig + 12);
	dipr_buf_free(&msg);
	if (!rc)
		*t = ts;
	return rc == DIPR_ENOMEM ? rc : rc ? DIPR_EVERIFY : 0;
}

int dipr_cosig_verify(const uint8_t *note, size_t n, const dipr_cosig_verifier *v, uint64_t *t)
{
	size_t tl, pos;
	sigline l;
	bool seen = false;
	uint64_t newest = 0;
	int rc = dipr_note_parse(note, n, &tl);
	if (rc)
		return rc;
	pos = tl + 1;
	for (size_t k = 1; next_sigline(note, n, &pos, &l); k++) {
		uint8_t sig[COSIG_LEN];
		size_t siglen;
		uint64_t ts;
		if (!line_is_mine(&l, v->name, v->keyid, sig, &siglen))
			continue;
		if ((rc = verify_line(v, sig, siglen, note, tl, &ts)))
			return rc == DIPR_ENOMEM ? rc
						 : dipr__err(DIPR_EVERIFY, "signature line %zu: cosignature of witness "
							     "%s+%08x does not verify", k, v->name, (unsigned)v->keyid);
		if (!seen || ts > newest)
			newest = ts;
		seen = true;
	}
	if (!seen)
		return dipr__err(DIPR_ENOTFOUND, "no cosignature of witness %s+%08x", v->name, (unsigned)v->keyid);
	if (t)
		*t = newest;
	return 0;
}

/* ---- add-checkpoint requests --------------------------------------------- */

int dipr_witness_req_parse(const uint8_t *body, size_t n, dipr_witness_req *out)
{
	dipr_witness_req r;
	size_t pos = 0;
	if (n > DIPR_WITNESS_REQ_MAX)
		return dipr__err(DIPR_EINVAL, "add-checkpoint: body of %zu bytes, more than %d", n,
				 DIPR_WITNESS_REQ_MAX);
	const uint8_t *nl = memchr(body, '\n', n);
	/* tlog-witness: "old", one space, the size without leading zeros. */
	if (!nl || nl - body < 5 || memcmp(body, "old ", 4) != 0 ||
	    dipr_parse_u64((const char *)body + 4, (size_t)(nl - body) - 4, DIPR_MERKLE_MAX_SIZE, &r.old_size))
		return dipr__err(DIPR_EINVAL, "add-checkpoint: line 1: expected \"old <size>\" (decimal, no leading "
				 "zeros) and a newline");
	pos = (size_t)(nl - body) + 1;
	r.proof_len = 0;
	for (;;) {
		const uint8_t *p = body + pos;
		nl = pos < n ? memchr(p, '\n', n - pos) : NULL;
		if (!nl)
			return dipr__err(DIPR_EINVAL, "add-checkpoint: line %zu: expected a proof hash or the empty line "
					 "before the checkpoint", r.proof_len + 2);
		size_t len = (size_t)(nl - p), got = 0;
		pos += len + 1;
		if (len == 0)
			break;
		if (r.proof_len == DIPR_WITNESS_MAX_PROOF)
			return dipr__err(DIPR_EINVAL, "add-checkpoint: more than %d consistency proof lines",
					 DIPR_WITNESS_MAX_PROOF);
		if (dipr_b64_decode((const char *)p, len, r.proof[r.proof_len], DIPR_HASH_LEN, &got) ||
		    got != DIPR_HASH_LEN)
			return dipr__err(DIPR_EINVAL, "add-checkpoint: line %zu: proof hash must be canonical base64 "
					 "of %d bytes", r.proof_len + 2, DIPR_HASH_LEN);
		r.proof_len++;
	}
	r.note = body + pos;
	r.note_len = n - pos;
	if (dipr_note_parse(r.note, r.note_len, NULL))
		return dipr__err(DIPR_EINVAL, "add-checkpoint: checkpoint: %s", dipr_errdetail());
	*out = r;
	return 0;
}

int dipr_witness_req_format(uint64_t old_size, const uint8_t (*proof)[DIPR_HASH_LEN], size_t proof_len,
			    const uint8_t *note, size_t note_len, dipr_buf *out)
{
	size_t start = out->n;
	int rc;
	if (proof_len > DIPR_WITNESS_MAX_PROOF)
		return dipr__err(DIPR_EINVAL, "add-checkpoint: more than %d proof hashes", DIPR_WITNESS_MAX_PROOF);
	rc = dipr_buf_addf(out, "old %llu\n", (unsigned long long)old_size);
	for (size_t i = 0; i < proof_len && !rc; i++)
		if (!(rc = dipr_b64_encode(proof[i], DIPR_HASH_LEN, out)))
			rc = dipr_buf_add(out, "\n", 1);
	if (!rc && !(rc = dipr_buf_add(out, "\n", 1)))
		rc = dipr_buf_add(out, note, note_len);
	if (rc) {
		out->n = start;
		if (out->p)
			out->p[start] = 0;
	}
	return rc;
}

/* ---- the witness's decision ---------------------------------------------- */

#define VERDICT(v, st, ...) (snprintf((v)->reason, sizeof (v)->reason, __VA_ARGS__), (v)->status = (st))

int dipr_witness_open(const uint8_t *body, size_t n, const dipr_witness_log *logs, size_t nlogs, dipr_witness_req *req,
		      dipr_witness_verdict *v)
{
	size_t tl, pos;
	sigline l;
	int good = 0;
	memset(v, 0, sizeof *v);
	v->log = -1;
	if (dipr_witness_req_parse(body, n, req)) {
		VERDICT(v, 400, "%s", dipr_errdetail());
		return 0;
	}
	if (dipr_note_parse(req->note, req->note_len, &tl) || dipr_checkpoint_parse(req->note, tl, &v->cp)) {
		VERDICT(v, 400, "add-checkpoint: %s", dipr_errdetail());
		return 0;
	}
	v->text_len = tl;
	for (size_t i = 0; i < nlogs && v->log < 0; i++)
		if (strcmp(logs[i].origin, v->cp.origin) == 0)
			v->log = (int)i;
	if (v->log < 0) {
		VERDICT(v, 404, "unknown log: this witness does not follow origin \"%.200s\"", v->cp.origin);
		return 0;
	}
	/* tlog-witness: signatures of unknown keys are ignored, at least one
	 * trusted key must have signed.  A line of a trusted key that fails
	 * is refused outright: it is either tampering or a broken log. */
	const dipr_witness_log *lg = &logs[v->log];
	pos = tl + 1;
	for (size_t k = 1; next_sigline(req->note, req->note_len, &pos, &l); k++) {
		for (size_t i = 0; i < lg->nkeys; i++) {
			const char *kn = dipr_verifier_name(lg->keys[i]);
			uint8_t sig[4 + 80];
			size_t siglen = 0;
			if (l.name_len != strlen(kn) || memcmp(l.name, kn, l.name_len) != 0)
				continue;
			if (l.b64_len < 8 || dipr_b64_decode(l.b64, 8, sig, sizeof sig, &siglen) ||
			    dipr__get_u32be(sig) != dipr_verifier_keyid(lg->keys[i]))
				continue;
			if (l.b64_len > 4 * ((sizeof sig + 2) / 3) ||
			    dipr_b64_decode(l.b64, l.b64_len, sig, sizeof sig, &siglen) || siglen < 5 ||
			    dipr_verifier_verify_raw(lg->keys[i], req->note, tl, sig + 4, siglen - 4)) {
				VERDICT(v, 403, "signature line %zu of log key %s+%08x does not verify", k, kn,
					(unsigned)dipr_verifier_keyid(lg->keys[i]));
				return 0;
			}
			good++;
		}
	}
	if (!good)
		VERDICT(v, 403, "the checkpoint of %.200s carries no signature of the log keys this witness trusts",
			v->cp.origin);
	return 0;
}

void dipr_witness_decide(const dipr_witness_req *req, const dipr_witness_log *log, const dipr_witness_state *st,
			 dipr_witness_verdict *v)
{
	uint64_t stored = st->has ? st->size : 0;
	v->size_for_409 = stored;
	v->fork = false;
	v->reason[0] = 0;
	/* The checks in the order tlog-witness gives them. */
	if (req->old_size > v->cp.size) {
		VERDICT(v, 400, "old size %llu is above the checkpoint size %llu", (unsigned long long)req->old_size,
			(unsigned long long)v->cp.size);
		return;
	}
	if (req->old_size != stored) {
		VERDICT(v, 409, "old size %llu is not %llu, the size of the last checkpoint this witness cosigned",
			(unsigned long long)req->old_size, (unsigned long long)stored);
		return;
	}
	if (req->old_size == 0) {
		/* Nothing to prove from the empty tree (RFC 9162 defines no
		 * proof from size 0); the proof must be empty. */
		if (req->proof_len != 0) {
			VERDICT(v, 422, "a consistency proof from size 0 must be empty, got %zu hashes", req->proof_len);
			return;
		}
		if (st->has && v->cp.size == 0 && memcmp(st->root, v->cp.root, DIPR_HASH_LEN) != 0) {
			v->fork = true;
			VERDICT(v, 409, "a different root for size 0 than the one this witness cosigned: refused (fork)");
			return;
		}
		v->status = 200;
		return;
	}
	if (req->old_size == v->cp.size) {
		if (memcmp(st->root, v->cp.root, DIPR_HASH_LEN) != 0) {
			v->fork = true;
			VERDICT(v, 409, "the log signed a second, different checkpoint of size %llu; this witness "
				"cosigned another root at that size: refused (fork)", (unsigned long long)v->cp.size);
			return;
		}
		if (req->proof_len != 0) {
			VERDICT(v, 422, "a consistency proof between equal sizes must be empty");
			return;
		}
		v->status = 200;
		return;
	}
	if (dipr_merkle_verify_consistency(log->alg, req->old_size, v->cp.size, st->root, v->cp.root,
					   (const uint8_t(*)[DIPR_HASH_LEN])req->proof, req->proof_len)) {
		v->fork = true;
		VERDICT(v, 422, "the consistency proof from size %llu to %llu does not verify against the root this "
			"witness cosigned: refused", (unsigned long long)req->old_size, (unsigned long long)v->cp.size);
		return;
	}
	v->status = 200;
}

/* ---- the log's side: answers ---------------------------------------------- */

int dipr_witness_size_parse(const uint8_t *body, size_t n, uint64_t *size)
{
	if (n < 2 || n > 21 || body[n - 1] != '\n' ||
	    dipr_parse_u64((const char *)body, n - 1, DIPR_MERKLE_MAX_SIZE, size))
		return dipr__err(DIPR_EINVAL, "witness 409 body: expected a tree size in decimal and a newline "
				 "(text/x.tlog.size)");
	return 0;
}

/* "— <valid key name> <canonical base64 of >= 5 bytes>" */
static bool check_sigline(const uint8_t *p, size_t len)
{
	if (len < SIG_PREFIX_LEN + 3 || memcmp(p, sig_prefix, SIG_PREFIX_LEN) != 0)
		return false;
	const uint8_t *name = p + SIG_PREFIX_LEN;
	const uint8_t *sp = memchr(name, ' ', len - SIG_PREFIX_LEN);
	if (!sp || !dipr__key_name_valid(name, (size_t)(sp - name)))
		return false;
	const char *b64 = (const char *)sp + 1;
	size_t bl = len - (size_t)(sp + 1 - p);
	/* Cosignatures are short; a longer line is refused rather than
	 * decoded in pieces (the body as a whole is bounded anyway). */
	uint8_t buf[3 * 512 / 4];
	size_t got;
	return bl <= 512 && dipr_b64_decode(b64, bl, buf, sizeof buf, &got) == 0 && got >= 5;
}

int dipr_witness_resp_take(const uint8_t *body, size_t n, const dipr_cosig_verifier *v, const uint8_t *text,
			   size_t tl, dipr_buf *out, uint64_t *t)
{
	size_t pos = 0, start = out->n;
	bool took = false;
	int rc = 0;
	if (n == 0 || n > DIPR_WITNESS_RESP_MAX || body[n - 1] != '\n' || !dipr__utf8_valid(body, n))
		return dipr__err(DIPR_EINVAL, "witness answer: expected 1 to %d bytes of UTF-8 signature lines, each "
				 "ending in a newline", DIPR_WITNESS_RESP_MAX);
	/* Every line must be a signature line before any is used. */
	for (size_t k = 1; pos < n; k++) {
		const uint8_t *nl = memchr(body + pos, '\n', n - pos);
		size_t len = (size_t)(nl - (body + pos));
		if (!check_sigline(body + pos, len))
			return dipr__err(DIPR_EINVAL, "witness answer: line %zu is not a signature line "
					 "(em dash, space, key name, space, base64)", k);
		pos += len + 1;
	}
	pos = 0;
	sigline l;
	uint64_t newest = 0;
	while (next_sigline(body, n, &pos, &l)) {
		uint8_t sig[COSIG_LEN];
		size_t siglen;
		uint64_t ts;
		if (!line_is_mine(&l, v->name, v->keyid, sig, &siglen) || verify_line(v, sig, siglen, text, tl, &ts))
			continue;
		if ((rc = dipr_buf_add(out, l.name - SIG_PREFIX_LEN, SIG_PREFIX_LEN + l.name_len + 1 + l.b64_len)) ||
		    (rc = dipr_buf_add(out, "\n", 1)))
			break;
		newest = !took || ts > newest ? ts : newest;
		took = true;
	}
	if (!rc && !took)
		rc = dipr__err(DIPR_EVERIFY, "witness answer: no valid cosignature of %s+%08x over this checkpoint",
			       v->name, (unsigned)v->keyid);
	if (rc) {
		out->n = start;
		if (out->p)
			out->p[start] = 0;
		return rc;
	}
	if (t)
		*t = newest;
	return 0;
}
