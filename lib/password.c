/* password.c — scrypt password hashes (RFC 7914) in the PHC string form
 * "$scrypt$ln=15,r=8,p=1$<salt>$<hash>" (see dipr/password.h).
 *
 * Why scrypt: it is memory-hard and OpenSSL 3 ships it, so no new
 * dependency.  ln=15, r=8, p=1 costs 32 MiB and tens of milliseconds per
 * guess.  That is a trade-off: Percival's 2009 paper used 2^14 for
 * interactive logins and OWASP now suggests 2^17 (128 MiB); 2^15 keeps a
 * burst of concurrent portal logins within a few hundred MiB.  Raising
 * PW_LN later is safe: verify reads ln, r, p from each stored string.
 */
#include <pthread.h>
#include <stdio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "internal.h"
#include "dipr/password.h"

/* Parameters of new hashes. */
#define PW_LN 15
#define PW_R 8
#define PW_P 1
#define PW_SALT 16
#define PW_DK 32
/* Unpadded base64 lengths of PW_SALT and PW_DK bytes. */
#define B64_LEN(n) (((n) * 4 + 2) / 3)

static EVP_KDF *kdf_scrypt;
static pthread_once_t kdf_once = PTHREAD_ONCE_INIT;

static void kdf_init(void) { kdf_scrypt = EVP_KDF_fetch(NULL, "SCRYPT", NULL); }

int dipr_scrypt(const uint8_t *pw, size_t n, const uint8_t *salt, size_t sn, uint64_t N, uint32_t r, uint32_t p,
		uint8_t *out, size_t outlen)
{
	static const uint8_t empty[1];
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[7], *q = params;
	int rc = 0;

	if (N < 2 || (N & (N - 1)) || r == 0 || p == 0)
		return dipr__err(DIPR_EINVAL, "scrypt: N must be a power of two above 1, r and p above 0");
	/* OpenSSL refuses to run above maxmem (its default is lower than
	 * ln=15,r=8 needs in some builds); it needs V = 128*r*(N+2) bytes plus
	 * B = 128*r*p.  Bound the product so it cannot wrap. */
	uint64_t blocks = N + 2 + p;
	if (blocks > UINT64_MAX / (128 * (uint64_t)r))
		return dipr__err(DIPR_EINVAL, "scrypt: N, r, p need more memory than can be addressed");
	uint64_t maxmem = 128 * (uint64_t)r * blocks + 65536;

	pthread_once(&kdf_once, kdf_init);
	if (!kdf_scrypt || !(ctx = EVP_KDF_CTX_new(kdf_scrypt))) {
		rc = dipr__err(DIPR_ECRYPTO, "scrypt: not available from OpenSSL");
		goto done;
	}
	/* OpenSSL copies the password into the context and wipes it on free. */
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(n ? pw : empty), n);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(sn ? salt : empty), sn);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &N);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		unsigned long e = ERR_peek_last_error();
		rc = dipr__err(DIPR_ECRYPTO, "scrypt: %s", e ? ERR_reason_error_string(e) : "derivation failed");
		OPENSSL_cleanse(out, outlen);
	}
done:
	ERR_clear_error();
	EVP_KDF_CTX_free(ctx);
	return rc;
}

/* Standard base64 of n bytes without padding into o (cap bytes incl. NUL). */
static int b64_nopad(const uint8_t *in, size_t n, char *o, size_t cap)
{
	dipr_buf b;
	int rc;
	dipr_buf_init(&b, 256);
	if ((rc = dipr_b64_encode(in, n, &b)))
		goto done;
	while (b.n && b.p[b.n - 1] == '=')
		b.n--;
	if (b.n + 1 > cap) {
		rc = DIPR_ERANGE;
		goto done;
	}
	memcpy(o, b.p, b.n);
	o[b.n] = 0;
done:
	dipr_buf_free(&b);
	return rc;
}

/* Decodes exactly want bytes from unpadded base64 of exactly B64_LEN(want)
 * characters.  Padding is restored and the strict decoder does the rest,
 * so non-canonical trailing bits are refused: one hash, one spelling. */
static int unb64_nopad(const char *in, size_t len, uint8_t *out, size_t want)
{
	char tmp[64];
	size_t got;
	if (len != B64_LEN(want) || len + 3 > sizeof tmp)
		return DIPR_EINVAL;
	memcpy(tmp, in, len);
	while (len % 4)
		tmp[len++] = '=';
	if (dipr_b64_decode(tmp, len, out, want, &got) || got != want)
		return DIPR_EINVAL;
	return 0;
}

int dipr_password_hash(const char *pw, size_t n, char out[DIPR_PASSWORD_HASH_MAX])
{
	uint8_t salt[PW_SALT], dk[PW_DK];
	int rc, len;

	if (n < DIPR_PASSWORD_MIN)
		return dipr__err(DIPR_EINVAL, "password: at least %d characters", DIPR_PASSWORD_MIN);
	if (n > DIPR_PASSWORD_MAX)
		return dipr__err(DIPR_EINVAL, "password: at most %d characters", DIPR_PASSWORD_MAX);
	if (dipr_random(salt, sizeof salt))
		return dipr__err(DIPR_ECRYPTO, "password: no randomness for the salt");
	if ((rc = dipr_scrypt((const uint8_t *)pw, n, salt, sizeof salt, (uint64_t)1 << PW_LN, PW_R, PW_P, dk,
			      sizeof dk)))
		goto done;
	len = snprintf(out, DIPR_PASSWORD_HASH_MAX, "$scrypt$ln=%d,r=%d,p=%d$", PW_LN, PW_R, PW_P);
	/* 22 + 22 + 1 + 43 + 1 = 89 bytes: the fixed format always fits. */
	if ((rc = b64_nopad(salt, sizeof salt, out + len, DIPR_PASSWORD_HASH_MAX - (size_t)len)))
		goto done;
	len += (int)strlen(out + len);
	out[len++] = '$';
	rc = b64_nopad(dk, sizeof dk, out + len, DIPR_PASSWORD_HASH_MAX - (size_t)len);
done:
	OPENSSL_cleanse(dk, sizeof dk);
	if (rc)
		out[0] = 0;
	return rc;
}

/* Cursor helpers for the stored string: each advances *c past what it
 * took, or returns false. */
static bool take_lit(const char **c, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*c, lit, n) != 0)
		return false;
	*c += n;
	return true;
}

static bool take_num(const char **c, char stop, uint64_t lo, uint64_t hi, uint64_t *v)
{
	const char *e = strchr(*c, stop);
	if (!e || dipr_parse_u64(*c, (size_t)(e - *c), hi, v) || *v < lo)
		return false;
	*c = e + 1;
	return true;
}

int dipr_password_verify(const char *pw, size_t n, const char *stored)
{
	static const char want[] = "stored password hash: expected $scrypt$ln=10..20,r=1..16,p=1..4$<salt>$<hash>";
	uint64_t ln, r, p;
	uint8_t salt[PW_SALT], expect[PW_DK], dk[PW_DK];
	const char *c = stored, *dollar;
	int rc;

	if (!stored || strnlen(stored, DIPR_PASSWORD_HASH_MAX) >= DIPR_PASSWORD_HASH_MAX)
		return dipr__err(DIPR_EINVAL, "%s", want);
	if (!take_lit(&c, "$scrypt$ln=") || !take_num(&c, ',', 10, 20, &ln) || !take_lit(&c, "r=") ||
	    !take_num(&c, ',', 1, 16, &r) || !take_lit(&c, "p=") || !take_num(&c, '$', 1, 4, &p))
		return dipr__err(DIPR_EINVAL, "%s", want);
	/* RFC 7914 §2: N < 2^(128 * r / 8). */
	if (ln >= 16 * r)
		return dipr__err(DIPR_EINVAL, "stored password hash: ln=%u needs r above %u (RFC 7914 §2)",
				 (unsigned)ln, (unsigned)(ln / 16));
	if (!(dollar = strchr(c, '$')) || unb64_nopad(c, (size_t)(dollar - c), salt, sizeof salt))
		return dipr__err(DIPR_EINVAL, "stored password hash: salt: expected %d bytes of unpadded base64",
				 PW_SALT);
	c = dollar + 1;
	if (unb64_nopad(c, strlen(c), expect, sizeof expect))
		return dipr__err(DIPR_EINVAL, "stored password hash: hash: expected %d bytes of unpadded base64",
				 PW_DK);
	/* Nothing longer was ever accepted by dipr_password_hash, and a
	 * megabyte password is a cheap way to make the server do work. */
	if (n > DIPR_PASSWORD_MAX)
		return dipr__err(DIPR_EVERIFY, "password: does not match");
	if ((rc = dipr_scrypt((const uint8_t *)pw, n, salt, sizeof salt, (uint64_t)1 << ln, (uint32_t)r,
			      (uint32_t)p, dk, sizeof dk)))
		goto done;
	rc = CRYPTO_memcmp(dk, expect, sizeof dk) == 0 ? 0 : dipr__err(DIPR_EVERIFY, "password: does not match");
done:
	OPENSSL_cleanse(dk, sizeof dk);
	OPENSSL_cleanse(expect, sizeof expect);
	return rc;
}
