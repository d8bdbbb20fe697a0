/* rectree.h — dataset record trees (DESIGN.md "Dataset record trees").
 *
 *   salt_i = HMAC-H(secret, u64be(i))[:16]
 *   leaf_i = H(0x00 || salt_i || record_i)
 *   tree   = RFC 6962 over the leaves (node = H(0x01 || left || right))
 *
 * H is the evidence's algorithm (SHA-256 or SM3).  The secret stays with
 * the data holder: without it nobody can compute a salt, so knowing a
 * record's exact bytes does not let anyone show it is in the tree, and a
 * disclosed salt says nothing about the others (HMAC is a PRF).
 *
 * The builder keeps only the compact range (one perfect-subtree root per
 * set bit of the count: at most 64 hashes), so memory is constant however
 * large the dataset.  Every node it completes can be reported to a
 * callback, which is how sample proofs are built in one streaming pass
 * without holding the tree.
 */
#ifndef DIPR_RECTREE_H
#define DIPR_RECTREE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "hash.h"
#include "merkle.h"

#define DIPR_SALT_LEN 16
#define DIPR_SECRET_LEN 32

typedef struct dipr_rectree dipr_rectree;

/* Called for every node the builder completes: leaves (level 0) and every
 * perfect subtree root, with its id and hash. */
typedef void (*dipr_rectree_node_fn)(void *ctx, dipr_node_id id, const uint8_t hash[DIPR_HASH_LEN]);

int dipr_rectree_new(dipr_rectree **out, dipr_hash_alg alg, const uint8_t *secret, size_t secret_len);
void dipr_rectree_free(dipr_rectree *t); /* wipes the key material; NULL is a no-op */
/* Reports completed nodes to fn (NULL to stop). */
void dipr_rectree_on_node(dipr_rectree *t, dipr_rectree_node_fn fn, void *ctx);

/* Appends record number dipr_rectree_count(t).  DIPR_ERANGE past 2^63-1. */
int dipr_rectree_add(dipr_rectree *t, const uint8_t *rec, size_t n);
uint64_t dipr_rectree_count(const dipr_rectree *t);
/* Root of the records so far (H("") for none). */
void dipr_rectree_root(const dipr_rectree *t, uint8_t out[DIPR_HASH_LEN]);

/* The salt of record i (needs the secret: use the builder's key). */
void dipr_rectree_salt(const dipr_rectree *t, uint64_t i, uint8_t out[DIPR_SALT_LEN]);
/* A record's leaf hash from its salt and bytes (what a verifier computes). */
void dipr_rectree_leaf(dipr_hash_alg alg, const uint8_t salt[DIPR_SALT_LEN], const uint8_t *rec, size_t n,
		       uint8_t out[DIPR_HASH_LEN]);

#endif
