/* hash.c — SHA-256 and SM3 through OpenSSL 3 EVP.
 *
 * EVP_MD objects are fetched once (explicit fetch avoids the per-call
 * implicit fetch cost of EVP_sha256()/EVP_sm3() in OpenSSL 3.0). */
#include <pthread.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"
#include "dipr/hash.h"

struct dipr_hash_ctx {
	EVP_MD_CTX *md;
	const EVP_MD *type;
};

static EVP_MD *md_sha256, *md_sm3;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
}

static const EVP_MD *md_for(dipr_hash_alg alg)
{
	pthread_once(&md_once, md_init);
	switch (alg) {
	case DIPR_HASH_SHA256: return md_sha256;
	case DIPR_HASH_SM3: return md_sm3;
	}
	return NULL;
}

const char *dipr_hash_name(dipr_hash_alg alg)
{
	switch (alg) {
	case DIPR_HASH_SHA256: return "sha256";
	case DIPR_HASH_SM3: return "sm3";
	}
	return NULL;
}

int dipr_hash_parse(const char *name, size_t len, dipr_hash_alg *alg)
{
	if (len == 6 && memcmp(name, "sha256", 6) == 0) {
		*alg = DIPR_HASH_SHA256;
		return 0;
	}
	if (len == 3 && memcmp(name, "sm3", 3) == 0) {
		*alg = DIPR_HASH_SM3;
		return 0;
	}
	return dipr__err(DIPR_EINVAL, "unknown hash algorithm \"%.*s\" (expected sm3 or sha256)",
			 (int)(len > 32 ? 32 : len), name);
}

int dipr_hash_new(dipr_hash_ctx **out, dipr_hash_alg alg)
{
	const EVP_MD *type = md_for(alg);
	if (!type)
		return dipr__err(DIPR_EINVAL, "unknown hash algorithm %d", (int)alg);
	dipr_hash_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return DIPR_ENOMEM;
	c->md = EVP_MD_CTX_new();
	c->type = type;
	if (!c->md || !EVP_DigestInit_ex2(c->md, type, NULL)) {
		dipr_hash_free(c);
		return DIPR_ECRYPTO;
	}
	*out = c;
	return 0;
}

int dipr_hash_update(dipr_hash_ctx *c, const void *p, size_t n)
{
	return EVP_DigestUpdate(c->md, p, n) ? 0 : DIPR_ECRYPTO;
}

int dipr_hash_final(dipr_hash_ctx *c, uint8_t out[DIPR_HASH_LEN])
{
	unsigned len = 0;
	if (!EVP_DigestFinal_ex(c->md, out, &len) || len != DIPR_HASH_LEN)
		return DIPR_ECRYPTO;
	return EVP_DigestInit_ex2(c->md, c->type, NULL) ? 0 : DIPR_ECRYPTO;
}

void dipr_hash_free(dipr_hash_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

/* One reusable EVP_MD_CTX per thread: tree hashing does millions of tiny
 * digests and EVP_MD_CTX_new/free per call would dominate. Freed at thread
 * exit through a key destructor. */
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static void tls_free(void *p) { EVP_MD_CTX_free(p); }
static void tls_init(void) { pthread_key_create(&tls_key, tls_free); }

static EVP_MD_CTX *thread_ctx(void)
{
	pthread_once(&tls_once, tls_init);
	EVP_MD_CTX *c = pthread_getspecific(tls_key);
	if (!c) {
		c = EVP_MD_CTX_new();
		if (c)
			pthread_setspecific(tls_key, c);
	}
	return c;
}

int dipr_hash3(dipr_hash_alg alg, const void *a, size_t an, const void *b, size_t bn,
	       const void *c, size_t cn, uint8_t out[DIPR_HASH_LEN])
{
	const EVP_MD *type = md_for(alg);
	EVP_MD_CTX *ctx = thread_ctx();
	unsigned len = 0;
	if (!type || !ctx)
		return type ? DIPR_ENOMEM : DIPR_EINVAL;
	if (!EVP_DigestInit_ex2(ctx, type, NULL) || (an && !EVP_DigestUpdate(ctx, a, an)) ||
	    (bn && !EVP_DigestUpdate(ctx, b, bn)) || (cn && !EVP_DigestUpdate(ctx, c, cn)) ||
	    !EVP_DigestFinal_ex(ctx, out, &len))
		return DIPR_ECRYPTO;
	return 0;
}

int dipr_hash(dipr_hash_alg alg, const void *p, size_t n, uint8_t out[DIPR_HASH_LEN])
{
	return dipr_hash3(alg, p, n, NULL, 0, NULL, 0, out);
}

int dipr_hmac(dipr_hash_alg alg, const uint8_t *key, size_t keylen, const uint8_t *msg,
	      size_t n, uint8_t out[DIPR_HASH_LEN])
{
	const EVP_MD *type = md_for(alg);
	unsigned len = 0;
	if (!type)
		return DIPR_EINVAL;
	if (!HMAC(type, key, (int)keylen, msg, n, out, &len) || len != DIPR_HASH_LEN)
		return DIPR_ECRYPTO;
	return 0;
}
