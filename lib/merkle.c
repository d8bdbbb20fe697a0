/* merkle.c — RFC 6962 Merkle tree hashes, RFC 9162 proofs over a batched
 * stored-hash reader, and RFC 9162 proof verification.
 *
 * No I/O here: a prover first lists every Merkle Tree Hash the RFC's
 * recursion needs, breaks each into roots of perfect subtrees (the only
 * hashes storage keeps), reads them all in one reader call, and then only
 * hashes.  Nothing recurses and nothing allocates: a tree of at most 2^63 - 1
 * leaves has at most 63 levels, which bounds every loop and array below.
 */
#include <stdlib.h>

#include "internal.h"
#include "dipr/merkle.h"

/* Ranges a proof needs: at most one per level of the tree plus the base
 * range of a consistency proof (RFC 9162 §2.1.4.1), so 64 suffice. */
#define MAX_RANGES 64
/* Perfect subtrees covering those ranges.  Every range is perfect (one
 * subtree) except at most one per proof: below the first left turn of the
 * descent every range is perfect, and a range [a, b) breaks into at most
 * popcount(b - a) <= 63 subtrees, so 64 + 63 < 128. */
#define MAX_IDS (2 * DIPR_MERKLE_MAX_PROOF)

/* The void functions of merkle.h have no error channel, so a digest that
 * cannot be computed (an unknown alg, or OpenSSL without SM3 or out of
 * memory) ends the process rather than hand back a wrong tree hash.  The int
 * functions report it instead. */
static void must(int rc)
{
	if (rc)
		abort();
}

static int leaf_hash(dipr_hash_alg alg, const uint8_t *entry, size_t n,
		     uint8_t out[DIPR_HASH_LEN])
{
	static const uint8_t prefix = 0x00; /* RFC 6962 §2.1: leaf */
	return dipr_hash3(alg, &prefix, 1, entry, n, NULL, 0, out);
}

/* out may alias left or right: dipr_hash3 reads all input before writing. */
int dipr__node_hash(dipr_hash_alg alg, const uint8_t left[DIPR_HASH_LEN],
		    const uint8_t right[DIPR_HASH_LEN], uint8_t out[DIPR_HASH_LEN]);
int dipr__node_hash(dipr_hash_alg alg, const uint8_t left[DIPR_HASH_LEN],
		    const uint8_t right[DIPR_HASH_LEN], uint8_t out[DIPR_HASH_LEN])
{
	static const uint8_t prefix = 0x01; /* RFC 6962 §2.1: interior node */
	return dipr_hash3(alg, &prefix, 1, left, DIPR_HASH_LEN, right, DIPR_HASH_LEN, out);
}

/* Streams the hashes through a stack of perfect-subtree roots (at most 64
 * deep, since count < 2^64) and right-folds what is left.  For a power of two
 * the stack ends with one entry, the perfect root; for other counts the stack
 * holds the binary decomposition, largest first, and the fold gives RFC 6962
 * §2.1 MTH over the hashes. */
int dipr__perfect_root(dipr_hash_alg alg, const uint8_t (*hashes)[DIPR_HASH_LEN],
		       size_t count, uint8_t out[DIPR_HASH_LEN]);
int dipr__perfect_root(dipr_hash_alg alg, const uint8_t (*hashes)[DIPR_HASH_LEN],
		       size_t count, uint8_t out[DIPR_HASH_LEN])
{
	uint8_t stack[65][DIPR_HASH_LEN];
	size_t depth = 0;
	int rc;

	if (count == 0)
		return dipr_hash3(alg, NULL, 0, NULL, 0, NULL, 0, out);
	for (size_t i = 0; i < count; i++) {
		memcpy(stack[depth++], hashes[i], DIPR_HASH_LEN);
		/* i + 1 leaves seen: merge once per trailing zero bit. */
		for (size_t j = i + 1; !(j & 1); j >>= 1) {
			rc = dipr__node_hash(alg, stack[depth - 2], stack[depth - 1], stack[depth - 2]);
			if (rc)
				return rc;
			depth--;
		}
	}
	while (depth > 1) {
		rc = dipr__node_hash(alg, stack[depth - 2], stack[depth - 1], stack[depth - 2]);
		if (rc)
			return rc;
		depth--;
	}
	memcpy(out, stack[0], DIPR_HASH_LEN);
	return 0;
}

void dipr_merkle_leaf_hash(dipr_hash_alg alg, const uint8_t *entry, size_t n,
			   uint8_t out[DIPR_HASH_LEN])
{
	must(leaf_hash(alg, entry, n, out));
}

void dipr_merkle_node_hash(dipr_hash_alg alg, const uint8_t left[DIPR_HASH_LEN],
			   const uint8_t right[DIPR_HASH_LEN], uint8_t out[DIPR_HASH_LEN])
{
	must(dipr__node_hash(alg, left, right, out));
}

void dipr_merkle_empty_root(dipr_hash_alg alg, uint8_t out[DIPR_HASH_LEN])
{
	/* RFC 6962 §2.1: MTH({}) = HASH(). */
	must(dipr_hash3(alg, NULL, 0, NULL, 0, NULL, 0, out));
}

void dipr_merkle_perfect_root(dipr_hash_alg alg, const uint8_t (*hashes)[DIPR_HASH_LEN],
			      size_t count, uint8_t out[DIPR_HASH_LEN])
{
	must(dipr__perfect_root(alg, hashes, count, out));
}

/* ---- proofs over a reader ------------------------------------------- */

static unsigned top_bit(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* RFC 9162 §2.1.1: k, the largest power of two smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return (uint64_t)1 << top_bit(n - 1);
}

/* The hashes a proof needs, in proof order, as node ids for one read. */
struct plan {
	size_t nranges, nids;
	struct {
		size_t first, count; /* ids[first .. first + count) */
	} ranges[MAX_RANGES];
	dipr_node_id ids[MAX_IDS];
};

/* Adds MTH(D[a:b]) to the plan as the perfect subtrees the RFC 6962 §2.1
 * recursion bottoms out in: split off the largest power of two k < n on the
 * left until what remains is a power of two.  That is the binary
 * decomposition of b - a, largest first.  Every range the proof recursions
 * produce starts at a multiple of the largest power of two <= its length,
 * so each piece is an aligned subtree. */
static void plan_range(struct plan *p, uint64_t a, uint64_t b)
{
	if (p->nranges >= MAX_RANGES)
		abort(); /* broken invariant: the descent is at most 64 deep */
	p->ranges[p->nranges].first = p->nids;
	while (a < b) {
		unsigned level = top_bit(b - a);
		if (p->nids >= MAX_IDS || (a & (((uint64_t)1 << level) - 1)))
			abort(); /* broken invariant, see MAX_IDS and above */
		p->ids[p->nids].level = (uint8_t)level;
		p->ids[p->nids].index = a >> level;
		p->nids++;
		a += (uint64_t)1 << level;
	}
	p->ranges[p->nranges].count = p->nids - p->ranges[p->nranges].first;
	p->nranges++;
}

/* One reader call, then each range's hash: H(s0, H(s1, ... H(sn-2, sn-1)))
 * over its subtrees, the right fold that RFC 6962 §2.1's left-heavy split
 * produces. */
static int plan_run(dipr_hash_alg alg, const struct plan *p, const dipr_hash_reader *r,
		    uint8_t (*out)[DIPR_HASH_LEN])
{
	uint8_t got[MAX_IDS][DIPR_HASH_LEN];
	int rc;

	if (p->nids) {
		rc = r->read(r->ctx, p->ids, p->nids, got);
		if (rc)
			return rc < 0 ? rc : dipr__err(DIPR_EIO, "hash reader returned %d", rc);
	}
	for (size_t i = 0; i < p->nranges; i++) {
		size_t first = p->ranges[i].first, k = p->ranges[i].count;
		uint8_t acc[DIPR_HASH_LEN];
		memcpy(acc, got[first + k - 1], DIPR_HASH_LEN);
		for (size_t j = k - 1; j-- > 0;) {
			rc = dipr__node_hash(alg, got[first + j], acc, acc);
			if (rc)
				return rc;
		}
		memcpy(out[i], acc, DIPR_HASH_LEN);
	}
	return 0;
}

static int check_reader(const dipr_hash_reader *r)
{
	if (!r || !r->read)
		return dipr__err(DIPR_EINVAL, "merkle: no hash reader");
	return 0;
}

int dipr_merkle_root(dipr_hash_alg alg, uint64_t size, const dipr_hash_reader *r,
		     uint8_t out[DIPR_HASH_LEN])
{
	struct plan p = { 0 };
	int rc;

	if (size > DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_EINVAL, "merkle root: tree size %llu above 2^63 - 1",
				 (unsigned long long)size);
	if (size == 0)
		return dipr_hash3(alg, NULL, 0, NULL, 0, NULL, 0, out);
	if ((rc = check_reader(r)))
		return rc;
	plan_range(&p, 0, size);
	return plan_run(alg, &p, r, (uint8_t (*)[DIPR_HASH_LEN])out);
}

int dipr_merkle_prove_inclusion(dipr_hash_alg alg, uint64_t index, uint64_t size,
				const dipr_hash_reader *r,
				uint8_t (*proof)[DIPR_HASH_LEN], size_t *len)
{
	uint64_t lo = 0, hi = size, sib_lo[MAX_RANGES], sib_hi[MAX_RANGES];
	size_t n = 0;
	struct plan p = { 0 };
	int rc;

	if (size > DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_EINVAL, "inclusion proof: tree size %llu above 2^63 - 1",
				 (unsigned long long)size);
	if (index >= size)
		return dipr__err(DIPR_EINVAL, "inclusion proof: leaf index %llu not below tree size %llu",
				 (unsigned long long)index, (unsigned long long)size);
	if ((rc = check_reader(r)))
		return rc;
	/* RFC 9162 §2.1.3.1 PATH(m, D[n]), walked from the root down: the
	 * sibling range at each split is one proof element.  The recursion
	 * emits the deepest sibling first, so the list is reversed below. */
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		if (index < lo + k) {
			sib_lo[n] = lo + k;
			sib_hi[n] = hi;
			hi = lo + k;
		} else {
			sib_lo[n] = lo;
			sib_hi[n] = lo + k;
			lo += k;
		}
		n++;
	}
	for (size_t i = n; i-- > 0;)
		plan_range(&p, sib_lo[i], sib_hi[i]);
	rc = plan_run(alg, &p, r, proof);
	if (rc)
		return rc;
	*len = n;
	return 0;
}

int dipr_merkle_prove_consistency(dipr_hash_alg alg, uint64_t size1, uint64_t size2,
				  const dipr_hash_reader *r,
				  uint8_t (*proof)[DIPR_HASH_LEN], size_t *len)
{
	uint64_t lo = 0, hi = size2, sib_lo[MAX_RANGES], sib_hi[MAX_RANGES];
	size_t n = 0;
	bool whole = true; /* SUBPROOF's b: the old tree is the whole range */
	struct plan p = { 0 };
	int rc;

	if (size2 > DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_EINVAL, "consistency proof: tree size %llu above 2^63 - 1",
				 (unsigned long long)size2);
	if (size1 == 0 || size1 > size2)
		return dipr__err(DIPR_EINVAL, "consistency proof: need 0 < size1 <= size2, got %llu and %llu",
				 (unsigned long long)size1, (unsigned long long)size2);
	if ((rc = check_reader(r)))
		return rc;
	/* RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b), walked from the root
	 * down while the old tree [0, size1) does not end at hi.  Invariant:
	 * lo < size1 <= hi, and hi - lo shrinks every step. */
	while (hi != size1) {
		uint64_t k = split_point(hi - lo);
		if (size1 - lo <= k) {
			sib_lo[n] = lo + k;
			sib_hi[n] = hi;
			hi = lo + k;
		} else {
			sib_lo[n] = lo;
			sib_hi[n] = lo + k;
			lo += k;
			whole = false;
		}
		n++;
	}
	/* Base case m == n: {} when b is true, else {MTH(D[lo:hi])}; it comes
	 * first, then the siblings deepest first. */
	if (!whole)
		plan_range(&p, lo, hi);
	for (size_t i = n; i-- > 0;)
		plan_range(&p, sib_lo[i], sib_hi[i]);
	rc = plan_run(alg, &p, r, proof);
	if (rc)
		return rc;
	*len = p.nranges;
	return 0;
}

/* ---- verification ---------------------------------------------------- */

/* Comparison time independent of where the first difference is; roots are
 * public, this just costs nothing. */
static bool equal(const uint8_t a[DIPR_HASH_LEN], const uint8_t b[DIPR_HASH_LEN])
{
	uint8_t d = 0;
	for (size_t i = 0; i < DIPR_HASH_LEN; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

int dipr_merkle_verify_inclusion(dipr_hash_alg alg, uint64_t index, uint64_t size,
				 const uint8_t leaf[DIPR_HASH_LEN],
				 const uint8_t (*proof)[DIPR_HASH_LEN], size_t len,
				 const uint8_t root[DIPR_HASH_LEN])
{
	uint8_t r[DIPR_HASH_LEN];
	uint64_t fn, sn;

	if (size > DIPR_MERKLE_MAX_SIZE || len > DIPR_MERKLE_MAX_PROOF)
		return dipr__err(DIPR_EVERIFY, "inclusion proof: tree size or proof length out of range");
	/* RFC 9162 §2.1.3.2, step by step. */
	/* 1. leaf_index >= tree_size fails. */
	if (index >= size)
		return dipr__err(DIPR_EVERIFY, "inclusion proof: leaf index %llu not below tree size %llu",
				 (unsigned long long)index, (unsigned long long)size);
	/* 2, 3. */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, DIPR_HASH_LEN);
	/* 4.  sn loses at least one bit per element, so this loop runs at
	 * most 64 times before 4a fails a proof that is too long. */
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return dipr__err(DIPR_EVERIFY, "inclusion proof: %zu hashes, more than the tree needs", len);
		if ((fn & 1) || fn == sn) {
			if (dipr__node_hash(alg, proof[i], r, r))
				return dipr__err(DIPR_EVERIFY, "inclusion proof: hashing failed");
			if (!(fn & 1)) {
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			if (dipr__node_hash(alg, r, proof[i], r))
				return dipr__err(DIPR_EVERIFY, "inclusion proof: hashing failed");
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* 5.  sn != 0 means the proof was too short. */
	if (sn != 0)
		return dipr__err(DIPR_EVERIFY, "inclusion proof: %zu hashes, fewer than the tree needs", len);
	if (!equal(r, root))
		return dipr__err(DIPR_EVERIFY, "inclusion proof: computed root does not match");
	return 0;
}

int dipr_merkle_verify_consistency(dipr_hash_alg alg, uint64_t size1, uint64_t size2,
				   const uint8_t root1[DIPR_HASH_LEN],
				   const uint8_t root2[DIPR_HASH_LEN],
				   const uint8_t (*proof)[DIPR_HASH_LEN], size_t len)
{
	uint8_t fr[DIPR_HASH_LEN], sr[DIPR_HASH_LEN];
	uint64_t fn, sn;
	size_t total;
	bool pre;

	if (size2 > DIPR_MERKLE_MAX_SIZE || len > DIPR_MERKLE_MAX_PROOF)
		return dipr__err(DIPR_EVERIFY, "consistency proof: tree size or proof length out of range");
	if (size1 > size2)
		return dipr__err(DIPR_EVERIFY, "consistency proof: size1 %llu above size2 %llu",
				 (unsigned long long)size1, (unsigned long long)size2);
	/* RFC 9162 §2.1.4 defines proofs for 0 < m only; a check against the
	 * empty tree proves nothing, and the transparency-dev vectors expect
	 * it to fail. */
	if (size1 == 0)
		return dipr__err(DIPR_EVERIFY, "consistency proof: size1 is 0");
	/* SUBPROOF(m, D[m], true) = {}: equal sizes need equal roots. */
	if (size1 == size2) {
		if (len != 0)
			return dipr__err(DIPR_EVERIFY, "consistency proof: equal sizes need an empty proof");
		if (!equal(root1, root2))
			return dipr__err(DIPR_EVERIFY, "consistency proof: equal sizes, different roots");
		return 0;
	}
	/* RFC 9162 §2.1.4.2, step by step. */
	/* 1. */
	if (len == 0)
		return dipr__err(DIPR_EVERIFY, "consistency proof: empty");
	/* 2.  Prepending first_hash is done by indexing: element i of the
	 * path is root1 for i == 0 when pre, else proof[i - pre]. */
	pre = (size1 & (size1 - 1)) == 0;
	total = len + (pre ? 1 : 0);
	/* 3, 4. */
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* 5. */
	memcpy(fr, pre ? root1 : proof[0], DIPR_HASH_LEN);
	memcpy(sr, fr, DIPR_HASH_LEN);
	/* 6.  As for inclusion, sn bounds the loop to 64 rounds. */
	for (size_t i = 1; i < total; i++) {
		const uint8_t *c = proof[i - (pre ? 1 : 0)];
		if (sn == 0)
			return dipr__err(DIPR_EVERIFY, "consistency proof: %zu hashes, more than the trees need", len);
		if ((fn & 1) || fn == sn) {
			if (dipr__node_hash(alg, c, fr, fr) || dipr__node_hash(alg, c, sr, sr))
				return dipr__err(DIPR_EVERIFY, "consistency proof: hashing failed");
			if (!(fn & 1)) {
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			if (dipr__node_hash(alg, sr, c, sr))
				return dipr__err(DIPR_EVERIFY, "consistency proof: hashing failed");
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* 7. */
	if (sn != 0)
		return dipr__err(DIPR_EVERIFY, "consistency proof: %zu hashes, fewer than the trees need", len);
	if (!equal(fr, root1))
		return dipr__err(DIPR_EVERIFY, "consistency proof: computed old root does not match");
	if (!equal(sr, root2))
		return dipr__err(DIPR_EVERIFY, "consistency proof: computed new root does not match");
	return 0;
}
