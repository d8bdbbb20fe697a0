/* test_rectree.c — salted record trees against an independent computation
 * through the generic hash and Merkle code. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "dipr/rectree.h"

static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";

typedef struct {
	uint8_t (*leaves)[DIPR_HASH_LEN];
	size_t n;
	dipr_hash_alg alg;
} mem_tree;

/* Reference: every perfect subtree hash from the leaves, recursively. */
static void perfect(const mem_tree *m, uint8_t level, uint64_t index, uint8_t out[DIPR_HASH_LEN])
{
	if (level == 0) {
		memcpy(out, m->leaves[index], DIPR_HASH_LEN);
		return;
	}
	uint8_t l[DIPR_HASH_LEN], r[DIPR_HASH_LEN];
	perfect(m, level - 1, 2 * index, l);
	perfect(m, level - 1, 2 * index + 1, r);
	dipr_merkle_node_hash(m->alg, l, r, out);
}

static int mem_read(void *ctx, const dipr_node_id *ids, size_t n, uint8_t (*out)[DIPR_HASH_LEN])
{
	for (size_t i = 0; i < n; i++)
		perfect(ctx, ids[i].level, ids[i].index, out[i]);
	return 0;
}

static void reference_leaf(dipr_hash_alg alg, uint64_t i, const uint8_t *rec, size_t n, uint8_t out[DIPR_HASH_LEN])
{
	uint8_t msg[8], mac[DIPR_HASH_LEN];
	static const uint8_t zero = 0;
	dipr__put_u64be(msg, i);
	assert_int_equal(dipr_hmac(alg, secret, sizeof secret, msg, 8, mac), 0);
	assert_int_equal(dipr_hash3(alg, &zero, 1, mac, DIPR_SALT_LEN, rec, n, out), 0);
}

static int seen_nodes;
static mem_tree *seen_tree;
static void check_node(void *ctx, dipr_node_id id, const uint8_t h[DIPR_HASH_LEN])
{
	uint8_t want[DIPR_HASH_LEN];
	(void)ctx;
	perfect(seen_tree, id.level, id.index, want);
	assert_memory_equal(h, want, DIPR_HASH_LEN);
	seen_nodes++;
}

static void run_alg(dipr_hash_alg alg)
{
	enum { N = 300 };
	mem_tree m = {calloc(N, DIPR_HASH_LEN), 0, alg};
	dipr_rectree *t;
	char rec[64];
	assert_int_equal(dipr_rectree_new(&t, alg, secret, sizeof secret), 0);
	uint8_t root[DIPR_HASH_LEN], want[DIPR_HASH_LEN];
	dipr_rectree_root(t, root);
	dipr_merkle_empty_root(alg, want);
	assert_memory_equal(root, want, DIPR_HASH_LEN);
	for (size_t i = 0; i < N; i++) {
		int n = snprintf(rec, sizeof rec, "record %zu,%s\n", i, i % 3 ? "x" : "a longer field, with commas");
		reference_leaf(alg, i, (const uint8_t *)rec, (size_t)n, m.leaves[i]);
		m.n = i + 1;
		seen_tree = &m;
		seen_nodes = 0;
		dipr_rectree_on_node(t, check_node, NULL);
		assert_int_equal(dipr_rectree_add(t, (const uint8_t *)rec, (size_t)n), 0);
		/* one leaf plus one node per trailing 1 bit of i */
		int want_nodes = 1;
		for (size_t k = i; k & 1; k >>= 1)
			want_nodes++;
		assert_int_equal(seen_nodes, want_nodes);
		dipr_hash_reader r = {mem_read, &m};
		assert_int_equal(dipr_merkle_root(alg, m.n, &r, want), 0);
		dipr_rectree_root(t, root);
		assert_memory_equal(root, want, DIPR_HASH_LEN);
		assert_true(dipr_rectree_count(t) == i + 1);
	}
	/* the salt is the first 16 bytes of the HMAC */
	uint8_t salt[DIPR_SALT_LEN], mac[DIPR_HASH_LEN], msg[8];
	dipr_rectree_salt(t, 77, salt);
	dipr__put_u64be(msg, 77);
	dipr_hmac(alg, secret, sizeof secret, msg, 8, mac);
	assert_memory_equal(salt, mac, DIPR_SALT_LEN);
	dipr_rectree_free(t);
	free(m.leaves);
}

static void test_sha256_tree_matches_reference(void **st) { (void)st; run_alg(DIPR_HASH_SHA256); }
static void test_sm3_tree_matches_reference(void **st) { (void)st; run_alg(DIPR_HASH_SM3); }

static void test_secret_changes_every_leaf(void **st)
{
	(void)st;
	dipr_rectree *a, *b;
	uint8_t other[32], ra[DIPR_HASH_LEN], rb[DIPR_HASH_LEN];
	memcpy(other, secret, 32);
	other[31] ^= 1;
	assert_int_equal(dipr_rectree_new(&a, DIPR_HASH_SHA256, secret, 32), 0);
	assert_int_equal(dipr_rectree_new(&b, DIPR_HASH_SHA256, other, 32), 0);
	dipr_rectree_add(a, (const uint8_t *)"same\n", 5);
	dipr_rectree_add(b, (const uint8_t *)"same\n", 5);
	dipr_rectree_root(a, ra);
	dipr_rectree_root(b, rb);
	assert_memory_not_equal(ra, rb, DIPR_HASH_LEN);
	/* knowing the record's bytes but not the salt gives nothing: the
	 * unsalted leaf H(0x00||record) is not the leaf */
	uint8_t plain[DIPR_HASH_LEN];
	dipr_merkle_leaf_hash(DIPR_HASH_SHA256, (const uint8_t *)"same\n", 5, plain);
	assert_memory_not_equal(ra, plain, DIPR_HASH_LEN);
	dipr_rectree_free(a);
	dipr_rectree_free(b);
}

static void test_rejects_bad_secret(void **st)
{
	(void)st;
	dipr_rectree *t = NULL;
	uint8_t big[65] = {0};
	assert_int_equal(dipr_rectree_new(&t, DIPR_HASH_SHA256, secret, 0), DIPR_EINVAL);
	assert_int_equal(dipr_rectree_new(&t, DIPR_HASH_SHA256, big, sizeof big), DIPR_EINVAL);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_tree_matches_reference),
		cmocka_unit_test(test_sm3_tree_matches_reference),
		cmocka_unit_test(test_secret_changes_every_leaf),
		cmocka_unit_test(test_rejects_bad_secret),
	};
	return cmocka_run_group_tests_name("rectree", tests, NULL, NULL);
}
