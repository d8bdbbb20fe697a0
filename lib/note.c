/* note.c — C2SP signed-note with Ed25519 (type 0x01) and SM2 (type 0xff,
 * "sm2-sm3/1234567812345678", see DESIGN.md "The log"), and C2SP
 * tlog-checkpoint.
 *
 * Keys are held in OpenSSL 3 EVP_PKEY objects built from raw bytes.  A
 * signer or verifier never changes after construction and every operation
 * makes its own EVP_MD_CTX, so one may be shared by threads (OpenSSL 3
 * allows concurrent signing and verifying with one EVP_PKEY).
 *
 * Everything read from outside is parsed strictly and bounded: a note is
 * at most DIPR_NOTE_MAX bytes and DIPR_NOTE_MAX_SIGS signature lines, and
 * base64 must be canonical (otherwise one signature would have several
 * spellings and a changed note could still verify).
 */
#include <stdlib.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "internal.h"
#include "dipr/merkle.h"
#include "dipr/note.h"

#define ED25519_LEN 32
#define SM2_PRIV_LEN 32
#define SM2_PUB_LEN 65 /* 0x04 || x || y, SEC 1 §2.3.3 uncompressed */
#define SM2_IDENT_LEN (sizeof DIPR_SM2_IDENT - 1)
#define SM2_DISTID_LEN (sizeof DIPR_SM2_DISTID - 1)
/* Longest encoded key: type || identifier || 65-byte public key. */
#define KEY_ENC_MAX (1 + SM2_IDENT_LEN + SM2_PUB_LEN)
/* Longest raw signature we make or accept: Ed25519 64, SM2 DER <= 72. */
#define SIG_MAX 80
/* A vkey or skey is a name (<= 255), "+", 8 hex, "+", base64 of at most
 * KEY_ENC_MAX bytes, plus "PRIVATE+KEY+"; anything longer is garbage. */
#define KEYSTR_MAX 512

/* U+2014 EM DASH and a space start every signature line (signed-note
 * §Format). */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN 4

struct dipr_signer {
	int type;
	uint32_t keyid;
	char name[DIPR_KEY_NAME_MAX + 1];
	uint8_t priv[SM2_PRIV_LEN]; /* Ed25519 seed or SM2 scalar; secret */
	uint8_t pub[SM2_PUB_LEN];
	size_t publen;
	EVP_PKEY *pkey;
};

struct dipr_verifier {
	int type;
	uint32_t keyid;
	char name[DIPR_KEY_NAME_MAX + 1];
	EVP_PKEY *pkey;
};

/* ---- key names and encodings ---------------------------------------- */

/* Unicode White_Space as Go's unicode.IsSpace sees it, which is what the
 * reference implementation (golang.org/x/mod/sumdb/note) refuses in names. */
static bool is_unicode_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* signed-note §Format: key names are non-empty, contain no Unicode space
 * and no '+'.  We also refuse ASCII control characters (a note may not
 * contain them, so such a name could never appear in a signature line) and
 * names longer than DIPR_KEY_NAME_MAX bytes. */
bool dipr__key_name_valid(const uint8_t *p, size_t n)
{
	if (n == 0 || n > DIPR_KEY_NAME_MAX || !dipr__utf8_valid(p, n))
		return false;
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		uint32_t cp;
		size_t len;
		/* Already valid UTF-8, so the lead byte gives the length. */
		if (c < 0x80) { cp = c; len = 1; }
		else if ((c & 0xe0) == 0xc0) { cp = c & 0x1f; len = 2; }
		else if ((c & 0xf0) == 0xe0) { cp = c & 0x0f; len = 3; }
		else { cp = c & 0x07; len = 4; }
		for (size_t k = 1; k < len; k++)
			cp = cp << 6 | (p[i + k] & 0x3f);
		if (cp < 0x20 || cp == 0x7f || cp == '+' || is_unicode_space(cp))
			return false;
		i += len;
	}
	return true;
}

/* type || [identifier] || key bytes, the encoding inside vkeys and skeys
 * and (with the public key) the input to the key ID. */
static size_t key_encode(int type, const uint8_t *key, size_t keylen, uint8_t *out)
{
	size_t n = 0;
	out[n++] = (uint8_t)type;
	if (type == DIPR_KEY_SM2) {
		memcpy(out + n, DIPR_SM2_IDENT, SM2_IDENT_LEN);
		n += SM2_IDENT_LEN;
	}
	memcpy(out + n, key, keylen);
	return n + keylen;
}

/* signed-note §Signatures: key ID = SHA-256(name || 0x0A || type ||
 * public key)[:4], big-endian; for SM2 the identifier follows the type
 * byte (DESIGN.md "The log"). */
static int key_id(const char *name, size_t namelen, int type, const uint8_t *pub,
		  size_t publen, uint32_t *out)
{
	uint8_t enc[KEY_ENC_MAX], h[DIPR_HASH_LEN];
	size_t n = key_encode(type, pub, publen, enc);
	int rc = dipr_hash3(DIPR_HASH_SHA256, name, namelen, "\n", 1, enc, n, h);
	if (rc)
		return rc;
	*out = dipr__get_u32be(h);
	return 0;
}

/* Splits "<name>+<8 hex>+<base64>" and decodes it: the name is checked, the
 * key ID parsed, the base64 decoded into key (cap bytes). */
static int keystr_split(const char *what, const char *s, size_t len, char name[DIPR_KEY_NAME_MAX + 1],
			uint32_t *keyid, uint8_t *key, size_t cap, size_t *keylen)
{
	const char *plus = memchr(s, '+', len);
	if (!plus)
		return dipr__err(DIPR_EINVAL, "%s: expected <name>+<key ID>+<key>", what);
	size_t nlen = (size_t)(plus - s);
	if (!dipr__key_name_valid((const uint8_t *)s, nlen))
		return dipr__err(DIPR_EINVAL, "%s: invalid key name (non-empty, at most %d bytes of "
				 "UTF-8, no spaces, '+' or control characters)", what, DIPR_KEY_NAME_MAX);
	size_t rest = len - nlen - 1;
	const char *hex = plus + 1;
	if (rest < 9 || hex[8] != '+')
		return dipr__err(DIPR_EINVAL, "%s: expected an 8-digit hex key ID after the name", what);
	uint8_t id[4];
	if (dipr_hex_decode(hex, 8, id, 4))
		return dipr__err(DIPR_EINVAL, "%s: key ID is not 8 hex digits", what);
	if (dipr_b64_decode(hex + 9, rest - 9, key, cap, keylen))
		return dipr__err(DIPR_EINVAL, "%s: key is not canonical base64 of at most %zu bytes",
				 what, cap);
	memcpy(name, s, nlen);
	name[nlen] = 0;
	*keyid = dipr__get_u32be(id);
	return 0;
}

/* Checks the type byte, (SM2) identifier and length of an encoded key
 * (priv: a private key, else a public key) and returns where the raw key
 * starts. */
static int key_decode_type(const char *what, const uint8_t *enc, size_t n, bool priv, int *type,
			   const uint8_t **raw)
{
	if (n >= 1 && enc[0] == DIPR_KEY_ED25519) {
		if (n != 1 + ED25519_LEN)
			return dipr__err(DIPR_EINVAL, "%s: Ed25519 key must be %d bytes", what, ED25519_LEN);
		*type = DIPR_KEY_ED25519;
		*raw = enc + 1;
		return 0;
	}
	if (n >= 1 + SM2_IDENT_LEN && enc[0] == DIPR_KEY_SM2 &&
	    memcmp(enc + 1, DIPR_SM2_IDENT, SM2_IDENT_LEN) == 0) {
		size_t want = priv ? SM2_PRIV_LEN : SM2_PUB_LEN;
		if (n != 1 + SM2_IDENT_LEN + want)
			return dipr__err(DIPR_EINVAL, "%s: SM2 %s key must be %zu bytes", what,
					 priv ? "private" : "public", want);
		*type = DIPR_KEY_SM2;
		*raw = enc + 1 + SM2_IDENT_LEN;
		return 0;
	}
	return dipr__err(DIPR_EINVAL, "%s: unknown key type (expected 0x01 Ed25519 or 0xff "
			 DIPR_SM2_IDENT ")", what);
}

/* ---- OpenSSL keys ----------------------------------------------------- */

/* SM2 n - 2 (GB/T 32918.5 curve parameters). */
static const uint8_t sm2_n_minus_2[SM2_PRIV_LEN] = {
	0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x72, 0x03, 0xdf, 0x6b, 0x21, 0xc6, 0x05, 0x2b,
	0x53, 0xbb, 0xf4, 0x09, 0x39, 0xd5, 0x41, 0x21,
};

/* GB/T 32918.1 §6.1: an SM2 private key is in [1, n-2] (signing inverts
 * 1 + d).  Branch-free over the secret so the check leaks no key bits. */
static bool sm2_scalar_ok(const uint8_t d[SM2_PRIV_LEN])
{
	unsigned borrow = 0, nz = 0;
	for (int i = SM2_PRIV_LEN - 1; i >= 0; i--) {
		unsigned t = (unsigned)sm2_n_minus_2[i] - d[i] - borrow;
		borrow = (t >> 8) & 1;
		nz |= d[i];
	}
	return !borrow && nz;
}

static int ossl_fail(int rc)
{
	/* Leave no stale entries on this thread's OpenSSL error queue. */
	ERR_clear_error();
	return rc;
}

/* Builds an SM2 EVP_PKEY from parameters (group "SM2", optional private
 * scalar, public point). */
static int sm2_fromdata(const BIGNUM *priv, const uint8_t pub[SM2_PUB_LEN], EVP_PKEY **out)
{
	int rc = DIPR_ECRYPTO;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, SM2_PUB_LEN))
		goto fail;
	/* A secure BIGNUM makes the builder put it in memory that
	 * OSSL_PARAM_free clears. */
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc ? ossl_fail(rc) : 0;
}

/* Private scalar d -> EVP_PKEY and uncompressed public key d*G. */
static int sm2_from_priv(const uint8_t d[SM2_PRIV_LEN], EVP_PKEY **out, uint8_t pub[SM2_PUB_LEN])
{
	int rc = DIPR_ECRYPTO;
	EC_GROUP *g = NULL;
	BN_CTX *bnctx = NULL;
	BIGNUM *k = NULL;
	EC_POINT *pt = NULL;

	if (!sm2_scalar_ok(d))
		return dipr__err(DIPR_EINVAL, "SM2 private key is not in [1, n-2]");
	g = EC_GROUP_new_by_curve_name(NID_sm2);
	bnctx = BN_CTX_secure_new();
	k = BN_secure_new();
	if (!g || !bnctx || !k || !BN_bin2bn(d, SM2_PRIV_LEN, k))
		goto fail;
	pt = EC_POINT_new(g);
	if (!pt || !EC_POINT_mul(g, pt, k, NULL, NULL, bnctx) ||
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, SM2_PUB_LEN, bnctx) !=
		    SM2_PUB_LEN)
		goto fail;
	rc = sm2_fromdata(k, pub, out);
fail:
	EC_POINT_free(pt);
	BN_clear_free(k);
	BN_CTX_free(bnctx);
	EC_GROUP_free(g);
	return rc ? ossl_fail(rc) : 0;
}

static int sm2_from_pub(const uint8_t pub[SM2_PUB_LEN], EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	if (pub[0] != 0x04)
		return dipr__err(DIPR_EINVAL, "SM2 public key is not an uncompressed point");
	/* Import decodes the point (and refuses points off the curve); the
	 * public check adds the subgroup and infinity checks. */
	if (sm2_fromdata(NULL, pub, &pk))
		goto fail;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	if (!ctx || EVP_PKEY_public_check(ctx) != 1)
		goto fail;
	EVP_PKEY_CTX_free(ctx);
	*out = pk;
	return 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ossl_fail(dipr__err(DIPR_EINVAL, "SM2 public key is not a valid curve point"));
}

/* Fills s->pkey, s->pub and s->keyid from s->type, s->name, s->priv. */
static int signer_complete(dipr_signer *s)
{
	int rc;
	if (s->type == DIPR_KEY_ED25519) {
		s->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, s->priv, ED25519_LEN);
		s->publen = ED25519_LEN;
		if (!s->pkey || EVP_PKEY_get_raw_public_key(s->pkey, s->pub, &s->publen) != 1 ||
		    s->publen != ED25519_LEN)
			return ossl_fail(DIPR_ECRYPTO);
	} else {
		rc = sm2_from_priv(s->priv, &s->pkey, s->pub);
		if (rc)
			return rc;
		s->publen = SM2_PUB_LEN;
	}
	return key_id(s->name, strlen(s->name), s->type, s->pub, s->publen, &s->keyid);
}

/* ---- signers ---------------------------------------------------------- */

int dipr_signer_generate(dipr_signer **out, const char *name, int type)
{
	if (!name)
		return dipr__err(DIPR_EINVAL, "key name is NULL");
	size_t nlen = strnlen(name, DIPR_KEY_NAME_MAX + 1);
	if (!dipr__key_name_valid((const uint8_t *)name, nlen))
		return dipr__err(DIPR_EINVAL, "key name \"%.64s\" is invalid (non-empty, at most %d "
				 "bytes of UTF-8, no spaces, '+' or control characters)",
				 name, DIPR_KEY_NAME_MAX);
	if (type != DIPR_KEY_ED25519 && type != DIPR_KEY_SM2)
		return dipr__err(DIPR_EINVAL, "unknown key type %d", type);
	dipr_signer *s = calloc(1, sizeof *s);
	if (!s)
		return DIPR_ENOMEM;
	s->type = type;
	memcpy(s->name, name, nlen + 1);
	/* Ed25519: any 32 bytes are a seed (RFC 8032 §5.1.5).  SM2: rejection
	 * sampling into [1, n-2]; n is within 2^-32 of 2^256, so a retry
	 * almost never happens. */
	int rc;
	do {
		rc = dipr_random(s->priv, sizeof s->priv);
		if (rc)
			goto fail;
	} while (type == DIPR_KEY_SM2 && !sm2_scalar_ok(s->priv));
	rc = signer_complete(s);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	dipr_signer_free(s);
	return rc;
}

int dipr_signer_from_skey(dipr_signer **out, const char *skey, size_t len)
{
	static const char prefix[] = "PRIVATE+KEY+";
	uint8_t enc[KEY_ENC_MAX];
	size_t enclen = 0;
	const uint8_t *raw;
	uint32_t want_id;
	int rc;
	dipr_signer *s = NULL;

	if (len > KEYSTR_MAX || len < sizeof prefix - 1 || memcmp(skey, prefix, sizeof prefix - 1))
		return dipr__err(DIPR_EINVAL, "skey: expected PRIVATE+KEY+<name>+<key ID>+<key>");
	s = calloc(1, sizeof *s);
	if (!s)
		return DIPR_ENOMEM;
	rc = keystr_split("skey", skey + sizeof prefix - 1, len - (sizeof prefix - 1), s->name,
			  &want_id, enc, sizeof enc, &enclen);
	if (rc)
		goto fail;
	rc = key_decode_type("skey", enc, enclen, true, &s->type, &raw);
	if (rc)
		goto fail;
	memcpy(s->priv, raw, s->type == DIPR_KEY_ED25519 ? ED25519_LEN : SM2_PRIV_LEN);
	rc = signer_complete(s);
	if (rc) {
		if (rc == DIPR_EINVAL)
			rc = dipr__err(DIPR_EINVAL, "skey: SM2 private key is not in [1, n-2]");
		goto fail;
	}
	if (s->keyid != want_id) {
		rc = dipr__err(DIPR_EINVAL, "skey: key ID %08x does not match the key (expected %08x)",
			       (unsigned)want_id, (unsigned)s->keyid);
		goto fail;
	}
	OPENSSL_cleanse(enc, sizeof enc);
	*out = s;
	return 0;
fail:
	OPENSSL_cleanse(enc, sizeof enc);
	dipr_signer_free(s);
	return rc;
}

/* "<name>+<hex id>+base64(type || [ident] || key)" into a fresh string.
 * The buffer is sized up front so that it is never reallocated: a
 * realloc would leave a copy of a private key in freed memory. */
static int keystr_format(const char *prefix, const char *name, uint32_t keyid, int type,
			 const uint8_t *key, size_t keylen, char **out)
{
	uint8_t enc[KEY_ENC_MAX];
	size_t n = key_encode(type, key, keylen, enc);
	/* At most 12 + 255 + 10 + 120 bytes, below KEYSTR_MAX. */
	size_t total = strlen(prefix) + strlen(name) + 10 + (n + 2) / 3 * 4;
	static const uint8_t zeros[KEYSTR_MAX];
	dipr_buf b;
	int rc;

	dipr_buf_init(&b, total);
	/* Reserve: one add of the final length, then start over. */
	if ((rc = dipr_buf_add(&b, zeros, total)))
		goto fail;
	dipr_buf_reset(&b);
	if ((rc = dipr_buf_adds(&b, prefix)) || (rc = dipr_buf_adds(&b, name)) ||
	    (rc = dipr_buf_addf(&b, "+%08x+", (unsigned)keyid)) ||
	    (rc = dipr_b64_encode(enc, n, &b)))
		goto fail;
	OPENSSL_cleanse(enc, sizeof enc);
	*out = (char *)dipr_buf_detach(&b, NULL);
	return 0;
fail:
	OPENSSL_cleanse(enc, sizeof enc);
	if (b.p)
		OPENSSL_cleanse(b.p, b.cap);
	dipr_buf_free(&b);
	return rc;
}

int dipr_signer_skey(const dipr_signer *s, char **out)
{
	return keystr_format("PRIVATE+KEY+", s->name, s->keyid, s->type, s->priv,
			     s->type == DIPR_KEY_ED25519 ? ED25519_LEN : SM2_PRIV_LEN, out);
}

int dipr_signer_vkey(const dipr_signer *s, char **out)
{
	return keystr_format("", s->name, s->keyid, s->type, s->pub, s->publen, out);
}

const char *dipr_signer_name(const dipr_signer *s) { return s->name; }
int dipr_signer_type(const dipr_signer *s) { return s->type; }
uint32_t dipr_signer_keyid(const dipr_signer *s) { return s->keyid; }

void dipr_signer_free(dipr_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

/* ---- verifiers -------------------------------------------------------- */

int dipr_verifier_from_vkey(dipr_verifier **out, const char *vkey, size_t len)
{
	uint8_t enc[KEY_ENC_MAX];
	size_t enclen = 0;
	const uint8_t *raw;
	uint32_t want_id, id;
	int rc;
	dipr_verifier *v;

	if (len > KEYSTR_MAX)
		return dipr__err(DIPR_EINVAL, "vkey: longer than %d bytes", KEYSTR_MAX);
	v = calloc(1, sizeof *v);
	if (!v)
		return DIPR_ENOMEM;
	if ((rc = keystr_split("vkey", vkey, len, v->name, &want_id, enc, sizeof enc, &enclen)) ||
	    (rc = key_decode_type("vkey", enc, enclen, false, &v->type, &raw)))
		goto fail;
	size_t publen = v->type == DIPR_KEY_ED25519 ? ED25519_LEN : SM2_PUB_LEN;
	/* The key ID is checked before the key is decoded: it is cheap and a
	 * mismatch is the likelier mistake (a mangled vkey). */
	if ((rc = key_id(v->name, strlen(v->name), v->type, raw, publen, &id)))
		goto fail;
	if (id != want_id) {
		rc = dipr__err(DIPR_EINVAL, "vkey: key ID %08x does not match the key (expected %08x)",
			       (unsigned)want_id, (unsigned)id);
		goto fail;
	}
	v->keyid = id;
	if (v->type == DIPR_KEY_ED25519) {
		v->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, raw, ED25519_LEN);
		if (!v->pkey) {
			rc = ossl_fail(DIPR_ECRYPTO);
			goto fail;
		}
	} else if ((rc = sm2_from_pub(raw, &v->pkey))) {
		rc = dipr__err(rc, "vkey: SM2 public key is not a valid curve point");
		goto fail;
	}
	*out = v;
	return 0;
fail:
	dipr_verifier_free(v);
	return rc;
}

const char *dipr_verifier_name(const dipr_verifier *v) { return v->name; }
int dipr_verifier_type(const dipr_verifier *v) { return v->type; }
uint32_t dipr_verifier_keyid(const dipr_verifier *v) { return v->keyid; }

void dipr_verifier_free(dipr_verifier *v)
{
	if (!v)
		return;
	EVP_PKEY_free(v->pkey);
	free(v);
}

/* ---- raw signatures --------------------------------------------------- */

/* Ed25519 is PureEdDSA (RFC 8032 §5.1.6): no digest, whole message.
 * SM2 (GB/T 32918.2 §6.1) hashes Z_A || M with SM3, where Z_A covers the
 * distinguishing ID.  OpenSSL 3.0 defaults to an empty ID, so ours is set
 * explicitly.  It must be set after the init call: 3.0's SM2 refuses an ID
 * passed in the init parameters (it arms Z_A computation only after
 * applying them), which would otherwise fail every operation. */
static int sig_init(EVP_MD_CTX *md, int type, EVP_PKEY *pkey, bool sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	const char *mdname = type == DIPR_KEY_SM2 ? "SM3" : NULL;
	int ok = sign ? EVP_DigestSignInit_ex(md, &pctx, mdname, NULL, NULL, pkey, NULL)
		      : EVP_DigestVerifyInit_ex(md, &pctx, mdname, NULL, NULL, pkey, NULL);
	if (ok != 1)
		return DIPR_ECRYPTO;
	if (type == DIPR_KEY_SM2) {
		OSSL_PARAM params[2] = {
			OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_DIST_ID,
							  (void *)DIPR_SM2_DISTID, SM2_DISTID_LEN),
			OSSL_PARAM_construct_end(),
		};
		if (!pctx || EVP_PKEY_CTX_set_params(pctx, params) != 1)
			return DIPR_ECRYPTO;
	}
	return 0;
}

int dipr_signer_sign_raw(const dipr_signer *s, const uint8_t *msg, size_t n, uint8_t sig[80],
			 size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = SIG_MAX;
	int rc = DIPR_ECRYPTO;
	if (!md)
		return DIPR_ENOMEM;
	if (sig_init(md, s->type, s->pkey, true) || EVP_DigestSign(md, sig, &len, msg, n) != 1)
		goto fail;
	*siglen = len;
	rc = 0;
fail:
	EVP_MD_CTX_free(md);
	return rc ? ossl_fail(dipr__err(rc, "signing with key %s failed", s->name)) : 0;
}

int dipr_verifier_verify_raw(const dipr_verifier *v, const uint8_t *msg, size_t n,
			     const uint8_t *sig, size_t siglen)
{
	/* Lengths first: Ed25519 signatures are exactly 64 bytes, SM2 DER at
	 * most 72 (OpenSSL also insists on the canonical DER encoding). */
	if (siglen == 0 || (v->type == DIPR_KEY_ED25519 ? siglen != 64 : siglen > 72))
		return dipr__err(DIPR_EVERIFY, "signature for key %s has the wrong length %zu",
				 v->name, siglen);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md)
		return DIPR_ENOMEM;
	int rc = DIPR_EVERIFY;
	if (sig_init(md, v->type, v->pkey, false))
		rc = DIPR_ECRYPTO;
	else if (EVP_DigestVerify(md, sig, siglen, msg, n) == 1)
		rc = 0;
	EVP_MD_CTX_free(md);
	if (rc)
		return ossl_fail(dipr__err(rc, "signature for key %s does not verify", v->name));
	return 0;
}

/* ---- signed notes ----------------------------------------------------- */

/* One parsed signature line; pointers into the note. */
typedef struct {
	const char *name;
	size_t name_len;
	const char *b64;
	size_t b64_len;
	uint32_t keyid;
} sigline;

/* Validates base64 of any length without storing it all: decodes in
 * chunks, keeps the first four bytes (the key ID) and counts the rest.
 * Padding may only end the whole string, so a chunk other than the last
 * must not end in '='. */
static int b64_scan(const char *in, size_t n, uint8_t head[4], size_t *total)
{
	uint8_t buf[768];
	size_t got = 0;
	while (n > 0) {
		size_t take = n > 1024 ? 1024 : n, k;
		if (take < n && in[take - 1] == '=')
			return DIPR_EINVAL;
		if (dipr_b64_decode(in, take, buf, sizeof buf, &k))
			return DIPR_EINVAL;
		for (size_t i = 0; i < k && got + i < 4; i++)
			head[got + i] = buf[i];
		got += k;
		in += take;
		n -= take;
	}
	*total = got;
	return 0;
}

/* "— <name> <base64(keyid || sig)>" without its newline (signed-note
 * §Signatures).  lineno counts signature lines from 1, for messages. */
static int parse_sigline(const uint8_t *p, size_t n, size_t lineno, sigline *out)
{
	if (n < SIG_PREFIX_LEN || memcmp(p, sig_prefix, SIG_PREFIX_LEN))
		return dipr__err(DIPR_EINVAL, "note: signature line %zu does not start with an em "
				 "dash (U+2014) and a space", lineno);
	const uint8_t *name = p + SIG_PREFIX_LEN;
	const uint8_t *sp = memchr(name, ' ', n - SIG_PREFIX_LEN);
	if (!sp)
		return dipr__err(DIPR_EINVAL, "note: signature line %zu has no space after the key name",
				 lineno);
	size_t name_len = (size_t)(sp - name);
	if (!dipr__key_name_valid(name, name_len))
		return dipr__err(DIPR_EINVAL, "note: signature line %zu has an invalid key name", lineno);
	const char *b64 = (const char *)sp + 1;
	size_t b64_len = n - SIG_PREFIX_LEN - name_len - 1;
	uint8_t head[4] = {0};
	size_t siglen = 0;
	if (b64_scan(b64, b64_len, head, &siglen))
		return dipr__err(DIPR_EINVAL, "note: signature line %zu: signature is not canonical "
				 "base64", lineno);
	if (siglen < 5)
		return dipr__err(DIPR_EINVAL, "note: signature line %zu: signature shorter than a key "
				 "ID and one byte", lineno);
	out->name = (const char *)name;
	out->name_len = name_len;
	out->b64 = b64;
	out->b64_len = b64_len;
	out->keyid = dipr__get_u32be(head);
	return 0;
}

/* Text rules shared by notes and checkpoints (signed-note §Format): valid
 * UTF-8, no ASCII control character other than newline. */
static int text_chars_ok(const char *what, const uint8_t *p, size_t n)
{
	if (!dipr__utf8_valid(p, n))
		return dipr__err(DIPR_EINVAL, "%s: not valid UTF-8", what);
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\n')
			return dipr__err(DIPR_EINVAL, "%s: control character 0x%02x at byte %zu", what,
					 p[i], i);
	return 0;
}

static int note_split(const uint8_t *note, size_t n, size_t *text_len, sigline *lines,
		      size_t *nlines)
{
	int rc;
	if (n > DIPR_NOTE_MAX)
		return dipr__err(DIPR_EINVAL, "note: %zu bytes, more than the limit of %d", n,
				 DIPR_NOTE_MAX);
	if ((rc = text_chars_ok("note", note, n)))
		return rc;
	/* signed-note §Format: the text is separated from the signatures by
	 * the last empty line (the text itself may contain empty lines). */
	size_t split = n;
	for (size_t i = n; i >= 2; i--) {
		if (note[i - 2] == '\n' && note[i - 1] == '\n') {
			split = i - 2;
			break;
		}
	}
	if (split == n)
		return dipr__err(DIPR_EINVAL, "note: no blank line between the text and the signatures");
	const uint8_t *sigs = note + split + 2;
	size_t m = n - split - 2;
	if (m == 0)
		return dipr__err(DIPR_EINVAL, "note: no signature lines after the blank line");
	if (sigs[m - 1] != '\n')
		return dipr__err(DIPR_EINVAL, "note: the last signature line does not end in a newline");
	size_t k = 0;
	while (m > 0) {
		const uint8_t *nl = memchr(sigs, '\n', m);
		size_t len = (size_t)(nl - sigs);
		/* The reference implementation also stops at 100. */
		if (k == DIPR_NOTE_MAX_SIGS)
			return dipr__err(DIPR_EINVAL, "note: more than %d signature lines",
					 DIPR_NOTE_MAX_SIGS);
		if ((rc = parse_sigline(sigs, len, k + 1, &lines[k])))
			return rc;
		k++;
		sigs += len + 1;
		m -= len + 1;
	}
	*text_len = split + 1;
	*nlines = k;
	return 0;
}

int dipr_note_parse(const uint8_t *note, size_t n, size_t *text_len)
{
	sigline lines[DIPR_NOTE_MAX_SIGS];
	size_t nl, tl;
	int rc = note_split(note, n, &tl, lines, &nl);
	if (rc)
		return rc;
	if (text_len)
		*text_len = tl;
	return 0;
}

/* Strict reading of signed-note §Signatures: unknown keys are ignored
 * (MUST), and a line whose name and key ID match a trusted key must verify
 * or the whole note is rejected (the spec's SHOULD, made a MUST here).
 * That includes repeated lines of one key: every one of them must verify,
 * since a note carrying a bad signature from a trusted key is evidence of
 * tampering, not something to paper over. */
int dipr_note_verify(const uint8_t *note, size_t n, dipr_verifier *const *vs, size_t nv,
		     size_t *text_len)
{
	sigline lines[DIPR_NOTE_MAX_SIGS];
	size_t nl, tl;
	int rc;

	/* With no trusted key "every verifier signed" would hold vacuously;
	 * the spec requires at least one verified signature. */
	if (nv == 0 || !vs)
		return dipr__err(DIPR_EINVAL, "note: no trusted keys to verify against");
	for (size_t i = 0; i < nv; i++)
		if (!vs[i])
			return dipr__err(DIPR_EINVAL, "note: trusted key %zu is NULL", i);
	if ((rc = note_split(note, n, &tl, lines, &nl)))
		return rc;
	for (size_t i = 0; i < nv; i++) {
		const dipr_verifier *v = vs[i];
		size_t name_len = strlen(v->name);
		bool seen = false;
		for (size_t j = 0; j < nl; j++) {
			const sigline *l = &lines[j];
			if (l->keyid != v->keyid || l->name_len != name_len ||
			    memcmp(l->name, v->name, name_len))
				continue;
			uint8_t sig[4 + SIG_MAX];
			size_t siglen;
			/* Too long to decode into sig means not a signature of ours. */
			if (dipr_b64_decode(l->b64, l->b64_len, sig, sizeof sig, &siglen) ||
			    dipr_verifier_verify_raw(v, note, tl, sig + 4, siglen - 4))
				return dipr__err(DIPR_EVERIFY, "note: signature line %zu (key %s+%08x) "
						 "does not verify", j + 1, v->name, (unsigned)v->keyid);
			seen = true;
		}
		if (!seen)
			return dipr__err(DIPR_EVERIFY, "note: no signature from trusted key %s+%08x",
					 v->name, (unsigned)v->keyid);
	}
	if (text_len)
		*text_len = tl;
	return 0;
}

int dipr_note_sign(const uint8_t *text, size_t n, dipr_signer *const *signers, size_t nsigners,
		   dipr_buf *out)
{
	size_t start = out->n;
	int rc;

	if (nsigners == 0 || nsigners > DIPR_NOTE_MAX_SIGS)
		return dipr__err(DIPR_EINVAL, "note: need 1 to %d signers, got %zu",
				 DIPR_NOTE_MAX_SIGS, nsigners);
	if (n == 0 || text[n - 1] != '\n')
		return dipr__err(DIPR_EINVAL, "note: text must be non-empty and end in a newline");
	if (n > DIPR_NOTE_MAX)
		return dipr__err(DIPR_EINVAL, "note: text longer than %d bytes", DIPR_NOTE_MAX);
	if ((rc = text_chars_ok("note text", text, n)))
		return rc;
	if ((rc = dipr_buf_add(out, text, n)) || (rc = dipr_buf_add(out, "\n", 1)))
		goto fail;
	for (size_t i = 0; i < nsigners; i++) {
		const dipr_signer *s = signers[i];
		uint8_t sig[4 + SIG_MAX];
		size_t siglen;
		sig[0] = (uint8_t)(s->keyid >> 24);
		sig[1] = (uint8_t)(s->keyid >> 16);
		sig[2] = (uint8_t)(s->keyid >> 8);
		sig[3] = (uint8_t)s->keyid;
		if ((rc = dipr_signer_sign_raw(s, text, n, sig + 4, &siglen)) ||
		    (rc = dipr_buf_add(out, sig_prefix, SIG_PREFIX_LEN)) ||
		    (rc = dipr_buf_adds(out, s->name)) || (rc = dipr_buf_add(out, " ", 1)) ||
		    (rc = dipr_b64_encode(sig, 4 + siglen, out)) || (rc = dipr_buf_add(out, "\n", 1)))
			goto fail;
	}
	/* Never emit a note that our own parser (or a peer with the same
	 * limit) would refuse. */
	if (out->n - start > DIPR_NOTE_MAX) {
		rc = dipr__err(DIPR_ERANGE, "note: signed note longer than %d bytes", DIPR_NOTE_MAX);
		goto fail;
	}
	return 0;
fail:
	out->n = start;
	if (out->p)
		out->p[start] = 0;
	return rc;
}

/* ---- C2SP tlog-checkpoint --------------------------------------------- */

int dipr_checkpoint_format(const dipr_checkpoint *c, dipr_buf *out)
{
	size_t start = out->n;
	size_t olen = strnlen(c->origin, sizeof c->origin);
	int rc;

	/* tlog-checkpoint §Note text: a non-empty origin line. */
	if (olen == 0 || olen > DIPR_KEY_NAME_MAX || memchr(c->origin, '\n', olen) ||
	    text_chars_ok("checkpoint origin", (const uint8_t *)c->origin, olen))
		return dipr__err(DIPR_EINVAL, "checkpoint: origin must be 1 to %d bytes of UTF-8 "
				 "without control characters", DIPR_KEY_NAME_MAX);
	if (c->size > DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_EINVAL, "checkpoint: size above 2^63-1");
	if ((rc = dipr_buf_add(out, c->origin, olen)) ||
	    (rc = dipr_buf_addf(out, "\n%llu\n", (unsigned long long)c->size)) ||
	    (rc = dipr_b64_encode(c->root, DIPR_HASH_LEN, out)) || (rc = dipr_buf_add(out, "\n", 1))) {
		out->n = start;
		if (out->p)
			out->p[start] = 0;
		return rc;
	}
	return 0;
}

int dipr_checkpoint_parse(const uint8_t *text, size_t n, dipr_checkpoint *c)
{
	dipr_checkpoint cp;
	size_t pos = 0;
	int rc;

	if (n > DIPR_NOTE_MAX)
		return dipr__err(DIPR_EINVAL, "checkpoint: longer than %d bytes", DIPR_NOTE_MAX);
	if ((rc = text_chars_ok("checkpoint", text, n)))
		return rc;
	memset(&cp, 0, sizeof cp);
	/* tlog-checkpoint §Note text: origin, size, root hash, then optional
	 * non-empty extension lines; every line ends in a newline. */
	for (size_t line = 1; pos < n || line <= 3; line++) {
		const uint8_t *p = text + pos;
		const uint8_t *nl = pos < n ? memchr(p, '\n', n - pos) : NULL;
		if (!nl) {
			static const char *const what[] = {"", "origin", "tree size", "root hash"};
			return dipr__err(DIPR_EINVAL, "checkpoint: line %zu: %s", line,
					 pos < n ? "missing final newline" : what[line]);
		}
		size_t len = (size_t)(nl - p);
		pos += len + 1;
		if (len == 0)
			return dipr__err(DIPR_EINVAL, "checkpoint: line %zu is empty", line);
		if (line == 1) {
			if (len > DIPR_KEY_NAME_MAX)
				return dipr__err(DIPR_EINVAL, "checkpoint: line 1: origin longer than %d "
						 "bytes", DIPR_KEY_NAME_MAX);
			memcpy(cp.origin, p, len);
			cp.origin[len] = 0;
		} else if (line == 2) {
			if (dipr_parse_u64((const char *)p, len, DIPR_MERKLE_MAX_SIZE, &cp.size))
				return dipr__err(DIPR_EINVAL, "checkpoint: line 2: tree size must be a "
						 "decimal without leading zeros, at most 2^63-1");
		} else if (line == 3) {
			size_t got;
			if (dipr_b64_decode((const char *)p, len, cp.root, sizeof cp.root, &got) ||
			    got != DIPR_HASH_LEN)
				return dipr__err(DIPR_EINVAL, "checkpoint: line 3: root hash must be "
						 "canonical base64 of %d bytes", DIPR_HASH_LEN);
		}
		/* Later lines are extensions: opaque, only non-empty. */
	}
	*c = cp;
	return 0;
}
