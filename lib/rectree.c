/* rectree.c — salted record trees, built in one pass with constant memory.
 *
 * Speed matters here: a 1 GiB file of short lines is tens of millions of
 * records, each costing an HMAC (the salt), a leaf hash and, amortised, one
 * node hash.  Through EVP every one of those small digests pays a fixed
 * setup cost larger than the hashing itself, so for SHA-256 we keep
 * precomputed HMAC inner/outer states and use OpenSSL's one-block SHA256
 * API (still exported in 3.0, and dispatched to SHA-NI where present).
 * SM3 has no such API in OpenSSL 3.0; it goes through EVP with the HMAC
 * states copied from precomputed contexts. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "internal.h"
#include "dipr/rectree.h"

struct dipr_rectree {
	dipr_hash_alg alg;
	uint64_t count;
	/* compact range: roots of the perfect subtrees of the count's binary
	 * decomposition, largest (leftmost) first */
	uint8_t stack[64][DIPR_HASH_LEN];
	int depth;
	/* HMAC states after absorbing the padded key (RFC 2104) */
	SHA256_CTX s_in, s_out;
	EVP_MD_CTX *e_in, *e_out, *e_tmp;
	const EVP_MD *md;
	dipr_rectree_node_fn fn;
	void *fn_ctx;
};

static void sm3_cat(dipr_rectree *t, const void *a, size_t an, const void *b, size_t bn, const void *c, size_t cn,
		    uint8_t out[DIPR_HASH_LEN])
{
	unsigned len;
	/* Failures here mean OpenSSL cannot compute SM3 at all; a wrong hash
	 * would be worse than stopping. */
	if (!EVP_DigestInit_ex2(t->e_tmp, t->md, NULL) || (an && !EVP_DigestUpdate(t->e_tmp, a, an)) ||
	    (bn && !EVP_DigestUpdate(t->e_tmp, b, bn)) || (cn && !EVP_DigestUpdate(t->e_tmp, c, cn)) ||
	    !EVP_DigestFinal_ex(t->e_tmp, out, &len))
		abort();
}

static void node(dipr_rectree *t, const uint8_t l[DIPR_HASH_LEN], const uint8_t r[DIPR_HASH_LEN],
		 uint8_t out[DIPR_HASH_LEN])
{
	static const uint8_t one = 0x01;
	if (t->alg == DIPR_HASH_SHA256) {
		SHA256_CTX c;
		SHA256_Init(&c);
		SHA256_Update(&c, &one, 1);
		SHA256_Update(&c, l, DIPR_HASH_LEN);
		SHA256_Update(&c, r, DIPR_HASH_LEN);
		SHA256_Final(out, &c);
	} else {
		sm3_cat(t, &one, 1, l, DIPR_HASH_LEN, r, DIPR_HASH_LEN, out);
	}
}

int dipr_rectree_new(dipr_rectree **out, dipr_hash_alg alg, const uint8_t *secret, size_t secret_len)
{
	uint8_t key[64], pad[64];
	dipr_rectree *t;
	if (alg != DIPR_HASH_SHA256 && alg != DIPR_HASH_SM3)
		return dipr__err(DIPR_EINVAL, "record tree: unknown hash algorithm");
	if (secret_len == 0 || secret_len > 64)
		return dipr__err(DIPR_EINVAL, "record tree: the dataset secret must be 1 to 64 bytes");
	t = calloc(1, sizeof *t);
	if (!t)
		return DIPR_ENOMEM;
	t->alg = alg;
	memset(key, 0, sizeof key);
	memcpy(key, secret, secret_len); /* keys up to the block size are zero-padded */
	if (alg == DIPR_HASH_SHA256) {
		for (int i = 0; i < 64; i++)
			pad[i] = key[i] ^ 0x36;
		SHA256_Init(&t->s_in);
		SHA256_Update(&t->s_in, pad, 64);
		for (int i = 0; i < 64; i++)
			pad[i] = key[i] ^ 0x5c;
		SHA256_Init(&t->s_out);
		SHA256_Update(&t->s_out, pad, 64);
	} else {
		t->md = EVP_sm3();
		t->e_in = EVP_MD_CTX_new();
		t->e_out = EVP_MD_CTX_new();
		t->e_tmp = EVP_MD_CTX_new();
		if (!t->md || !t->e_in || !t->e_out || !t->e_tmp) {
			dipr_rectree_free(t);
			return DIPR_ECRYPTO;
		}
		for (int i = 0; i < 64; i++)
			pad[i] = key[i] ^ 0x36;
		int ok = EVP_DigestInit_ex2(t->e_in, t->md, NULL) && EVP_DigestUpdate(t->e_in, pad, 64);
		for (int i = 0; i < 64; i++)
			pad[i] = key[i] ^ 0x5c;
		ok = ok && EVP_DigestInit_ex2(t->e_out, t->md, NULL) && EVP_DigestUpdate(t->e_out, pad, 64);
		if (!ok) {
			dipr_rectree_free(t);
			return DIPR_ECRYPTO;
		}
	}
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(pad, sizeof pad);
	*out = t;
	return 0;
}

void dipr_rectree_free(dipr_rectree *t)
{
	if (!t)
		return;
	EVP_MD_CTX_free(t->e_in);
	EVP_MD_CTX_free(t->e_out);
	EVP_MD_CTX_free(t->e_tmp);
	OPENSSL_cleanse(t, sizeof *t);
	free(t);
}

void dipr_rectree_on_node(dipr_rectree *t, dipr_rectree_node_fn fn, void *ctx)
{
	t->fn = fn;
	t->fn_ctx = ctx;
}

void dipr_rectree_salt(const dipr_rectree *t, uint64_t i, uint8_t out[DIPR_SALT_LEN])
{
	uint8_t msg[8], inner[DIPR_HASH_LEN], full[DIPR_HASH_LEN];
	dipr__put_u64be(msg, i);
	if (t->alg == DIPR_HASH_SHA256) {
		SHA256_CTX c = t->s_in;
		SHA256_Update(&c, msg, 8);
		SHA256_Final(inner, &c);
		c = t->s_out;
		SHA256_Update(&c, inner, DIPR_HASH_LEN);
		SHA256_Final(full, &c);
	} else {
		unsigned len;
		if (!EVP_MD_CTX_copy_ex(t->e_tmp, t->e_in) || !EVP_DigestUpdate(t->e_tmp, msg, 8) ||
		    !EVP_DigestFinal_ex(t->e_tmp, inner, &len) || !EVP_MD_CTX_copy_ex(t->e_tmp, t->e_out) ||
		    !EVP_DigestUpdate(t->e_tmp, inner, DIPR_HASH_LEN) || !EVP_DigestFinal_ex(t->e_tmp, full, &len))
			abort();
	}
	memcpy(out, full, DIPR_SALT_LEN);
}

void dipr_rectree_leaf(dipr_hash_alg alg, const uint8_t salt[DIPR_SALT_LEN], const uint8_t *rec, size_t n,
		       uint8_t out[DIPR_HASH_LEN])
{
	static const uint8_t zero = 0x00;
	if (alg == DIPR_HASH_SHA256) {
		SHA256_CTX c;
		SHA256_Init(&c);
		SHA256_Update(&c, &zero, 1);
		SHA256_Update(&c, salt, DIPR_SALT_LEN);
		SHA256_Update(&c, rec, n);
		SHA256_Final(out, &c);
	} else if (dipr_hash3(alg, &zero, 1, salt, DIPR_SALT_LEN, rec, n, out)) {
		abort();
	}
}

static void leaf_sm3(dipr_rectree *t, const uint8_t salt[DIPR_SALT_LEN], const uint8_t *rec, size_t n,
		     uint8_t out[DIPR_HASH_LEN])
{
	static const uint8_t zero = 0x00;
	sm3_cat(t, &zero, 1, salt, DIPR_SALT_LEN, rec, n, out);
}

int dipr_rectree_add(dipr_rectree *t, const uint8_t *rec, size_t n)
{
	uint8_t salt[DIPR_SALT_LEN], h[DIPR_HASH_LEN];
	uint64_t i = t->count;
	if (i >= DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_ERANGE, "record tree: more than 2^63-1 records");
	dipr_rectree_salt(t, i, salt);
	if (t->alg == DIPR_HASH_SHA256)
		dipr_rectree_leaf(t->alg, salt, rec, n, h);
	else
		leaf_sm3(t, salt, rec, n, h);
	if (t->fn)
		t->fn(t->fn_ctx, (dipr_node_id){0, i}, h);
	/* Binary-counter merge: every trailing 1 bit of i closes a perfect
	 * subtree (RFC 6962's split puts the largest power of two left). */
	uint8_t level = 0;
	for (uint64_t k = i; k & 1; k >>= 1) {
		node(t, t->stack[--t->depth], h, h);
		level++;
		if (t->fn)
			t->fn(t->fn_ctx, (dipr_node_id){level, i >> level}, h);
	}
	memcpy(t->stack[t->depth++], h, DIPR_HASH_LEN);
	t->count = i + 1;
	return 0;
}

uint64_t dipr_rectree_count(const dipr_rectree *t) { return t->count; }

void dipr_rectree_root(const dipr_rectree *t, uint8_t out[DIPR_HASH_LEN])
{
	if (t->depth == 0) {
		dipr_merkle_empty_root(t->alg, out);
		return;
	}
	/* Fold right to left: MTH of a non-perfect range is H(left perfect
	 * part, MTH(rest)). */
	uint8_t r[DIPR_HASH_LEN];
	memcpy(r, t->stack[t->depth - 1], DIPR_HASH_LEN);
	for (int k = t->depth - 2; k >= 0; k--)
		node((dipr_rectree *)t, t->stack[k], r, r);
	memcpy(out, r, DIPR_HASH_LEN);
}
