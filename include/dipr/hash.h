/* hash.h — SHA-256 and SM3 (GB/T 32905) through OpenSSL 3 EVP.
 * Both digests are 32 bytes. */
#ifndef DIPR_HASH_H
#define DIPR_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define DIPR_HASH_LEN 32

typedef enum {
	DIPR_HASH_SHA256 = 1,
	DIPR_HASH_SM3 = 2,
} dipr_hash_alg;

/* "sha256" / "sm3"; NULL for an unknown alg. */
const char *dipr_hash_name(dipr_hash_alg alg);
/* Parses "sha256" or "sm3" (exact, lowercase). */
int dipr_hash_parse(const char *name, size_t len, dipr_hash_alg *alg);

/* Streaming context; heap allocated because EVP_MD_CTX is opaque.
 * Not thread safe; one per thread. */
typedef struct dipr_hash_ctx dipr_hash_ctx;

int dipr_hash_new(dipr_hash_ctx **ctx, dipr_hash_alg alg);
int dipr_hash_update(dipr_hash_ctx *ctx, const void *p, size_t n);
/* Writes the digest and resets the context for reuse with the same alg. */
int dipr_hash_final(dipr_hash_ctx *ctx, uint8_t out[DIPR_HASH_LEN]);
void dipr_hash_free(dipr_hash_ctx *ctx); /* NULL is a no-op */

/* One-shot digest of the concatenation of up to three parts (any part may
 * be NULL with length 0).  Thread safe (uses a per-thread context). */
int dipr_hash3(dipr_hash_alg alg, const void *a, size_t an, const void *b,
	       size_t bn, const void *c, size_t cn, uint8_t out[DIPR_HASH_LEN]);
int dipr_hash(dipr_hash_alg alg, const void *p, size_t n, uint8_t out[DIPR_HASH_LEN]);

/* HMAC with the given hash (RFC 2104). */
int dipr_hmac(dipr_hash_alg alg, const uint8_t *key, size_t keylen,
	      const uint8_t *msg, size_t n, uint8_t out[DIPR_HASH_LEN]);

#endif
