/* test_merkle.c — lib/merkle.c against the transparency-dev vectors, a naive
 * RFC 6962 implementation written here, every proof of every tree up to 128
 * leaves, and synthetic trees near 2^63 leaves.  Run from the repo root. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "testutil.h"
#include "dipr/dipr.h"
#include "dipr/hash.h"
#include "dipr/merkle.h"

#define MERKLE_VECTORS "tests/vectors/merkle/testdata"
#define N 128u
/* Trees up to this size get a bit flipped in every byte of every proof
 * hash; above it, three bytes per hash (first, last, one that moves), which
 * keeps the file well under its time budget. */
#define FLIP_ALL_MAX 32

typedef uint8_t hash_t[DIPR_HASH_LEN];

/* ---- a naive RFC 6962 written from §2.1, sharing nothing with merkle.c -- */

static void nv_leaf(dipr_hash_alg alg, const void *p, size_t n, hash_t out)
{
	uint8_t z = 0;
	assert_int_equal(dipr_hash3(alg, &z, 1, p, n, NULL, 0, out), 0);
}

static void nv_node(dipr_hash_alg alg, const hash_t l, const hash_t r, hash_t out)
{
	uint8_t one = 1;
	assert_int_equal(dipr_hash3(alg, &one, 1, l, DIPR_HASH_LEN, r, DIPR_HASH_LEN, out), 0);
}

static uint64_t nv_split(uint64_t n) /* largest power of two < n, n >= 2 */
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[a:b]), recursively. */
static void nv_mth(dipr_hash_alg alg, const hash_t *leaves, uint64_t a, uint64_t b, hash_t out)
{
	if (b - a == 0) {
		assert_int_equal(dipr_hash(alg, NULL, 0, out), 0);
	} else if (b - a == 1) {
		memcpy(out, leaves[a], DIPR_HASH_LEN);
	} else {
		hash_t l, r;
		uint64_t k = nv_split(b - a);
		nv_mth(alg, leaves, a, a + k, l);
		nv_mth(alg, leaves, a + k, b, r);
		nv_node(alg, l, r, out);
	}
}

/* PATH(m, D[a:b]) of RFC 9162 §2.1.3.1, appended to out. */
static void nv_path(dipr_hash_alg alg, const hash_t *leaves, uint64_t m, uint64_t a, uint64_t b,
		    hash_t *out, size_t *n)
{
	if (b - a <= 1)
		return;
	uint64_t k = nv_split(b - a);
	if (m < k) {
		nv_path(alg, leaves, m, a, a + k, out, n);
		nv_mth(alg, leaves, a + k, b, out[(*n)++]);
	} else {
		nv_path(alg, leaves, m - k, a + k, b, out, n);
		nv_mth(alg, leaves, a, a + k, out[(*n)++]);
	}
}

/* SUBPROOF(m, D[a:b], whole) of RFC 9162 §2.1.4.1. */
static void nv_subproof(dipr_hash_alg alg, const hash_t *leaves, uint64_t m, uint64_t a, uint64_t b,
			bool whole, hash_t *out, size_t *n)
{
	if (m == b - a) {
		if (!whole)
			nv_mth(alg, leaves, a, b, out[(*n)++]);
		return;
	}
	uint64_t k = nv_split(b - a);
	if (m <= k) {
		nv_subproof(alg, leaves, m, a, a + k, whole, out, n);
		nv_mth(alg, leaves, a + k, b, out[(*n)++]);
	} else {
		nv_subproof(alg, leaves, m - k, a + k, b, false, out, n);
		nv_mth(alg, leaves, a, a + k, out[(*n)++]);
	}
}

/* ---- an in-memory reader over N leaves --------------------------------- */

struct mem {
	dipr_hash_alg alg;
	hash_t leaves[N];
	hash_t node[8][N]; /* node[l][i]: perfect subtree 2^l leaves at i << l */
	uint64_t limit;    /* the tree size of the current call */
	int calls;
	int fail;          /* return this from read when nonzero */
};

static int mem_read(void *ctx, const dipr_node_id *ids, size_t n, hash_t *out)
{
	struct mem *m = ctx;
	m->calls++;
	if (m->fail)
		return m->fail;
	for (size_t i = 0; i < n; i++) {
		/* The prover must only ask for nodes inside the tree. */
		assert_true(ids[i].level < 8);
		assert_true((ids[i].index + 1) << ids[i].level <= m->limit);
		memcpy(out[i], m->node[ids[i].level][ids[i].index], DIPR_HASH_LEN);
	}
	return 0;
}

static void mem_init(struct mem *m, dipr_hash_alg alg)
{
	memset(m, 0, sizeof *m);
	m->alg = alg;
	for (unsigned i = 0; i < N; i++) {
		char e[32];
		int len = snprintf(e, sizeof e, "entry %u", i);
		nv_leaf(alg, e, (size_t)len, m->leaves[i]);
		memcpy(m->node[0][i], m->leaves[i], DIPR_HASH_LEN);
	}
	for (unsigned l = 1; l < 8; l++)
		for (unsigned i = 0; i < (N >> l); i++)
			nv_node(alg, m->node[l - 1][2 * i], m->node[l - 1][2 * i + 1], m->node[l][i]);
}

static struct mem mem_sha, mem_sm3;

static int setup(void **state)
{
	mem_init(&mem_sha, DIPR_HASH_SHA256);
	mem_init(&mem_sm3, DIPR_HASH_SM3);
	return 0;
}

static void hex_to(const char *hex, hash_t out)
{
	assert_int_equal(dipr_hex_decode(hex, strlen(hex), out, DIPR_HASH_LEN), 0);
}

/* ---- known answers ------------------------------------------------------ */

static void test_known_answers(void **state)
{
	hash_t h, want, l, r;

	dipr_merkle_empty_root(DIPR_HASH_SHA256, h);
	hex_to("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
	assert_memory_equal(h, want, DIPR_HASH_LEN);
	/* GB/T 32905: SM3 of the empty string. */
	dipr_merkle_empty_root(DIPR_HASH_SM3, h);
	hex_to("1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b", want);
	assert_memory_equal(h, want, DIPR_HASH_LEN);
	/* SHA-256(0x00): the leaf hash of the empty entry. */
	dipr_merkle_leaf_hash(DIPR_HASH_SHA256, NULL, 0, h);
	hex_to("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", want);
	assert_memory_equal(h, want, DIPR_HASH_LEN);
	nv_leaf(DIPR_HASH_SHA256, "a", 1, l);
	dipr_merkle_leaf_hash(DIPR_HASH_SHA256, (const uint8_t *)"a", 1, h);
	assert_memory_equal(h, l, DIPR_HASH_LEN);
	nv_leaf(DIPR_HASH_SHA256, "b", 1, r);
	nv_node(DIPR_HASH_SHA256, l, r, want);
	dipr_merkle_node_hash(DIPR_HASH_SHA256, l, r, h);
	assert_memory_equal(h, want, DIPR_HASH_LEN);
	/* Output aliasing an input is allowed. */
	memcpy(h, l, DIPR_HASH_LEN);
	dipr_merkle_node_hash(DIPR_HASH_SHA256, h, r, h);
	assert_memory_equal(h, want, DIPR_HASH_LEN);
}

static void test_perfect_root(void **state)
{
	hash_t h, want;
	for (size_t count = 0; count <= N; count++) {
		nv_mth(DIPR_HASH_SHA256, (const hash_t *)mem_sha.leaves, 0, count, want);
		dipr_merkle_perfect_root(DIPR_HASH_SHA256, (const hash_t *)mem_sha.leaves, count, h);
		assert_memory_equal(h, want, DIPR_HASH_LEN);
	}
	/* Over subtree roots of equal height: 4 nodes of level 3 = node 5. */
	dipr_merkle_perfect_root(DIPR_HASH_SHA256, (const hash_t *)mem_sha.node[3], 4, h);
	assert_memory_equal(h, mem_sha.node[5][0], DIPR_HASH_LEN);
}

/* The classic CT test tree (RFC 6962 test data, as in the vectors'
 * happy paths): our provers must produce the vectors' proofs byte for
 * byte, which checks proof generation against an independent
 * implementation. */
static const char *const ct_entries[8] = {
	"", "\x00", "\x10", "\x20\x21", "\x30\x31", "\x40\x41\x42\x43",
	"\x50\x51\x52\x53\x54\x55\x56\x57",
	"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
};
static const size_t ct_len[8] = { 0, 1, 1, 2, 2, 4, 8, 16 };

struct ct {
	hash_t node[4][8];
	uint64_t limit;
};

static int ct_read(void *ctx, const dipr_node_id *ids, size_t n, hash_t *out)
{
	struct ct *c = ctx;
	for (size_t i = 0; i < n; i++) {
		assert_true(ids[i].level < 4);
		assert_true((ids[i].index + 1) << ids[i].level <= c->limit);
		memcpy(out[i], c->node[ids[i].level][ids[i].index], DIPR_HASH_LEN);
	}
	return 0;
}

/* Decodes a base64 hash field into 32 bytes, zero-padded; false if it is
 * not exactly 32 bytes long.  The API takes fixed 32-byte hashes, and the
 * vectors also hold shorter junk ("wrong-leaf", "preceding-garbage",
 * "don't care" roots).  The harness treats lengths as the reference
 * verifier does: a leaf, root or proof hash that is hashed must be 32 bytes,
 * so a vector with another length counts as rejected (as a caller decoding
 * untrusted input rejects it); consistency roots are only compared, so those
 * are passed zero-padded, which keeps a wrong root wrong and two equal
 * strings equal (additional/sizes-are-equal-one-and-proof-is-empty). */
static bool b64_hash(json_t *v, hash_t out)
{
	uint8_t buf[96];
	size_t n = 0;
	assert_true(json_is_string(v));
	assert_int_equal(dipr_b64_decode(json_string_value(v), json_string_length(v), buf,
					 sizeof buf, &n), 0);
	assert_true(n <= DIPR_HASH_LEN);
	memset(out, 0, DIPR_HASH_LEN);
	memcpy(out, buf, n);
	return n == DIPR_HASH_LEN;
}

/* Sizes and indexes, as numbers or (see load_vector) as decimal strings. */
static uint64_t json_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	uint64_t x;
	if (json_is_string(v)) {
		assert_int_equal(dipr_parse_u64(json_string_value(v), json_string_length(v), UINT64_MAX, &x), 0);
		return x;
	}
	assert_true(json_is_integer(v));
	assert_true(json_integer_value(v) >= 0);
	return (uint64_t)json_integer_value(v);
}

/* Jansson stops at INT64_MAX and the vectors go up to 2^64 - 1
 * ("leafIdx-sub-@1" wraps 0 - 1), so every bare number of 19 or more digits
 * is quoted before parsing. */
static json_t *load_vector(const char *path)
{
	static char in[1 << 16], out[1 << 17];
	json_error_t err;
	size_t n, o = 0;
	bool str = false;
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(in, 1, sizeof in, f);
	fclose(f);
	assert_true(n < sizeof in);
	for (size_t i = 0; i < n;) {
		if (str) {
			if (in[i] == '\\' && i + 1 < n)
				out[o++] = in[i++];
			else if (in[i] == '"')
				str = false;
			out[o++] = in[i++];
		} else if (in[i] == '"') {
			str = true;
			out[o++] = in[i++];
		} else if (in[i] >= '0' && in[i] <= '9') {
			size_t j = i;
			while (j < n && in[j] >= '0' && in[j] <= '9')
				j++;
			bool quote = j - i >= 19;
			if (quote)
				out[o++] = '"';
			memcpy(out + o, in + i, j - i);
			o += j - i;
			if (quote)
				out[o++] = '"';
			i = j;
		} else {
			out[o++] = in[i++];
		}
	}
	json_t *v = json_loadb(out, o, 0, &err);
	if (!v)
		fail_msg("%s: %s", path, err.text);
	return v;
}

static size_t json_proof(json_t *o, hash_t *proof, bool *ok)
{
	json_t *p = json_object_get(o, "proof");
	size_t n = 0, i;
	json_t *v;
	if (json_is_null(p))
		return 0;
	assert_true(json_is_array(p));
	assert_true(json_array_size(p) <= DIPR_MERKLE_MAX_PROOF);
	json_array_foreach(p, i, v) {
		if (!b64_hash(v, proof[n++]))
			*ok = false;
	}
	return n;
}

static void test_ct_tree_matches_vectors(void **state)
{
	static struct ct c;
	static const char *const files[] = {
		"inclusion/1/happy-path.json", "inclusion/2/happy-path.json",
		"inclusion/3/happy-path.json", "inclusion/4/happy-path.json",
		"consistency/1/happy-path.json", "consistency/2/happy-path.json",
		"consistency/3/happy-path.json", "consistency/4/happy-path.json",
	};
	dipr_hash_reader r = { ct_read, &c };

	for (unsigned i = 0; i < 8; i++)
		nv_leaf(DIPR_HASH_SHA256, ct_entries[i], ct_len[i], c.node[0][i]);
	for (unsigned l = 1; l < 4; l++)
		for (unsigned i = 0; i < (8u >> l); i++)
			nv_node(DIPR_HASH_SHA256, c.node[l - 1][2 * i], c.node[l - 1][2 * i + 1], c.node[l][i]);
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char path[PATH_MAX];
		json_error_t err;
		hash_t want[DIPR_MERKLE_MAX_PROOF], got[DIPR_MERKLE_MAX_PROOF], h;
		size_t wn, gn = 0;
		bool ok = true;
		snprintf(path, sizeof path, "%s/%s", MERKLE_VECTORS, files[f]);
		json_t *o = json_load_file(path, 0, &err);
		assert_non_null(o);
		assert_true(json_is_false(json_object_get(o, "wantErr")));
		wn = json_proof(o, want, &ok);
		assert_true(ok);
		if (json_object_get(o, "leafIdx")) {
			uint64_t idx = json_u64(o, "leafIdx"), size = json_u64(o, "treeSize");
			c.limit = size;
			assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, idx, size, &r, got, &gn), 0);
			assert_true(b64_hash(json_object_get(o, "root"), h));
			hash_t root;
			assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, size, &r, root), 0);
			assert_memory_equal(root, h, DIPR_HASH_LEN);
		} else {
			uint64_t s1 = json_u64(o, "size1"), s2 = json_u64(o, "size2");
			hash_t root;
			c.limit = s2;
			assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, s1, s2, &r, got, &gn), 0);
			assert_true(b64_hash(json_object_get(o, "root2"), h));
			assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, s2, &r, root), 0);
			assert_memory_equal(root, h, DIPR_HASH_LEN);
			c.limit = s1;
			assert_true(b64_hash(json_object_get(o, "root1"), h));
			assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, s1, &r, root), 0);
			assert_memory_equal(root, h, DIPR_HASH_LEN);
		}
		assert_int_equal(gn, wn);
		assert_memory_equal(got, want, wn * DIPR_HASH_LEN);
		json_decref(o);
	}
}

/* ---- the transparency-dev vectors --------------------------------------- */

static unsigned vec_files, vec_run, vec_ok, vec_err;

static void run_vector(const char *path)
{
	hash_t proof[DIPR_MERKLE_MAX_PROOF], a, b;
	size_t n;
	bool ok = true;
	int rc;
	json_t *o = load_vector(path);

	json_t *want = json_object_get(o, "wantErr");
	assert_true(json_is_boolean(want));
	n = json_proof(o, proof, &ok);
	if (json_object_get(o, "leafIdx")) {
		ok &= b64_hash(json_object_get(o, "leafHash"), a);
		ok &= b64_hash(json_object_get(o, "root"), b);
		rc = !ok ? DIPR_EVERIFY :
		     dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, json_u64(o, "leafIdx"),
						  json_u64(o, "treeSize"), a, (const hash_t *)proof, n, b);
	} else {
		(void)b64_hash(json_object_get(o, "root1"), a);
		(void)b64_hash(json_object_get(o, "root2"), b);
		rc = !ok ? DIPR_EVERIFY :
		     dipr_merkle_verify_consistency(DIPR_HASH_SHA256, json_u64(o, "size1"),
						    json_u64(o, "size2"), a, b, (const hash_t *)proof, n);
	}
	if (json_is_true(want)) {
		if (rc != DIPR_EVERIFY)
			fail_msg("%s: expected DIPR_EVERIFY, got %d", path, rc);
		vec_err++;
	} else {
		if (rc != 0)
			fail_msg("%s: expected success, got %d (%s)", path, rc, dipr_errdetail());
		vec_ok++;
	}
	vec_run++;
	json_decref(o);
}

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		fail_msg("cannot open %s (run the tests from the repo root)", dir);
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		assert_true((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < sizeof path);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk(path);
		} else if (S_ISREG(st.st_mode)) {
			vec_files++;
			run_vector(path);
		}
	}
	closedir(d);
}

static void test_vectors(void **state)
{
	walk(MERKLE_VECTORS "/inclusion");
	walk(MERKLE_VECTORS "/consistency");
	/* Every file is a vector and every vector ran. */
	assert_int_equal(vec_run, vec_files);
	assert_int_equal(vec_ok + vec_err, vec_files);
	assert_true(vec_files >= 196);
	print_message("merkle vectors: %u files, %u valid, %u rejected\n", vec_files, vec_ok, vec_err);
}

/* ---- every proof of every tree up to N leaves ----------------------------- */

static bool flip_byte(size_t n, size_t i, size_t b)
{
	return n <= FLIP_ALL_MAX || b == 0 || b == DIPR_HASH_LEN - 1 || b == (i * 7 + n) % DIPR_HASH_LEN;
}

/* Wrong indexes and sizes to try: all of them in trees up to FLIP_ALL_MAX,
 * above that the neighbours of the right value v, the ends, and one more
 * that moves with the tree. */
static bool try_other(uint64_t n, uint64_t v, uint64_t x)
{
	return n <= FLIP_ALL_MAX || (x + 2 >= v && x <= v + 2) || x <= 1 || x + 1 >= n ||
	       x == (v ^ 1) || x == (v * 5 + 3) % (n + 1);
}

static void inclusion_all(struct mem *m, uint64_t maxn, unsigned *proofs, unsigned *flips)
{
	dipr_hash_alg alg = m->alg;
	dipr_hash_reader r = { mem_read, m };
	hash_t roots[N + 1];

	for (uint64_t n = 0; n <= N; n++)
		nv_mth(alg, (const hash_t *)m->leaves, 0, n, roots[n]);
	for (uint64_t n = 1; n <= maxn; n++) {
		hash_t got;
		m->limit = n;
		m->calls = 0;
		assert_int_equal(dipr_merkle_root(alg, n, &r, got), 0);
		assert_int_equal(m->calls, 1);
		assert_memory_equal(got, roots[n], DIPR_HASH_LEN);
	}
	for (uint64_t n = 1; n <= maxn; n++) {
		const uint8_t *root = roots[n];
		for (uint64_t i = 0; i < n; i++) {
			hash_t proof[DIPR_MERKLE_MAX_PROOF], want[DIPR_MERKLE_MAX_PROOF], bad[DIPR_MERKLE_MAX_PROOF + 1];
			const uint8_t *leaf = m->leaves[i];
			size_t len = 99, wn = 0;

			m->limit = n;
			m->calls = 0;
			assert_int_equal(dipr_merkle_prove_inclusion(alg, i, n, &r, proof, &len), 0);
			assert_int_equal(m->calls, n > 1 ? 1 : 0);
			nv_path(alg, (const hash_t *)m->leaves, i, 0, n, want, &wn);
			assert_int_equal(len, wn);
			assert_memory_equal(proof, want, len * DIPR_HASH_LEN);
			assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, leaf, (const hash_t *)proof, len, root), 0);
			(*proofs)++;

			/* A bit flipped in each byte of the proof. */
			memcpy(bad, proof, len * DIPR_HASH_LEN);
			for (size_t k = 0; k < len; k++) {
				for (size_t b = 0; b < DIPR_HASH_LEN; b++) {
					if (!flip_byte(n, k, b))
						continue;
					bad[k][b] ^= (uint8_t)(1u << (b % 8));
					assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, leaf, (const hash_t *)bad,
										      len, root), DIPR_EVERIFY);
					bad[k][b] ^= (uint8_t)(1u << (b % 8));
					(*flips)++;
				}
			}
			/* Wrong leaf, wrong root. */
			assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, m->leaves[(i + 1) % N],
								      (const hash_t *)proof, len, root), DIPR_EVERIFY);
			assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, leaf, (const hash_t *)proof, len,
								      roots[n == 1 ? 2 : n - 1]), DIPR_EVERIFY);
			/* Wrong index: every other index of the tree, and
			 * indexes at and beyond the size. */
			for (uint64_t j = 0; j < n + 2; j++) {
				if (j == i || !try_other(n, i, j))
					continue;
				assert_int_equal(dipr_merkle_verify_inclusion(alg, j, n, leaf, (const hash_t *)proof,
									      len, root), DIPR_EVERIFY);
			}
			assert_int_equal(dipr_merkle_verify_inclusion(alg, i, 0, leaf, (const hash_t *)proof, len, root),
					 DIPR_EVERIFY);
			assert_int_equal(dipr_merkle_verify_inclusion(alg, UINT64_MAX, n, leaf, (const hash_t *)proof,
								      len, root), DIPR_EVERIFY);
			/* Wrong size, each with its own root.  (With the
			 * root of n a proof can pass for a bigger size: the
			 * proof of leaf 0 in a tree of 3 also "proves" it in
			 * a tree of 4 whose last sibling is MTH(D[2:3]),
			 * since RFC 6962 hashes do not encode height.  The
			 * root of the claimed size is what rules that out.) */
			for (uint64_t s = i + 1; s <= N; s++) {
				if (s == n || !try_other(n, n, s))
					continue;
				assert_int_equal(dipr_merkle_verify_inclusion(alg, i, s, leaf, (const hash_t *)proof,
									      len, roots[s]), DIPR_EVERIFY);
			}
			for (uint64_t s = 0; s <= i; s++)
				if (try_other(n, i, s))
					assert_int_equal(dipr_merkle_verify_inclusion(alg, i, s, leaf, (const hash_t *)proof,
									      len, root), DIPR_EVERIFY);
			assert_int_equal(dipr_merkle_verify_inclusion(alg, i, UINT64_MAX, leaf, (const hash_t *)proof,
								      len, root), DIPR_EVERIFY);
			/* Too short, too long (a copy of an element, or a
			 * junk element, at the end or the front). */
			if (len > 0) {
				assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, leaf, (const hash_t *)proof,
									      len - 1, root), DIPR_EVERIFY);
				assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, leaf, (const hash_t *)proof + 1,
									      len - 1, root), DIPR_EVERIFY);
			}
			memcpy(bad, proof, len * DIPR_HASH_LEN);
			memcpy(bad[len], len ? proof[len - 1] : root, DIPR_HASH_LEN);
			assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, leaf, (const hash_t *)bad, len + 1, root),
					 DIPR_EVERIFY);
			memset(bad[0], 0, DIPR_HASH_LEN);
			memcpy(bad + 1, proof, len * DIPR_HASH_LEN);
			assert_int_equal(dipr_merkle_verify_inclusion(alg, i, n, leaf, (const hash_t *)bad, len + 1, root),
					 DIPR_EVERIFY);
		}
	}
}

static void test_inclusion_all(void **state)
{
	unsigned proofs = 0, flips = 0;
	inclusion_all(&mem_sha, N, &proofs, &flips);
	assert_int_equal(proofs, N * (N + 1) / 2);
	print_message("inclusion: %u proofs, %u flipped proofs rejected\n", proofs, flips);
}

static void consistency_all(struct mem *m, uint64_t maxn, unsigned *proofs, unsigned *flips)
{
	dipr_hash_alg alg = m->alg;
	dipr_hash_reader r = { mem_read, m };
	hash_t roots[N + 1];

	for (uint64_t n = 0; n <= N; n++)
		nv_mth(alg, (const hash_t *)m->leaves, 0, n, roots[n]);
	for (uint64_t n = 1; n <= maxn; n++) {
		for (uint64_t s1 = 1; s1 <= n; s1++) {
			hash_t proof[DIPR_MERKLE_MAX_PROOF], want[DIPR_MERKLE_MAX_PROOF], bad[DIPR_MERKLE_MAX_PROOF + 1];
			const uint8_t *r1 = roots[s1], *r2 = roots[n];
			size_t len = 99, wn = 0;

			m->limit = n;
			m->calls = 0;
			assert_int_equal(dipr_merkle_prove_consistency(alg, s1, n, &r, proof, &len), 0);
			assert_int_equal(m->calls, s1 < n ? 1 : 0);
			nv_subproof(alg, (const hash_t *)m->leaves, s1, 0, n, true, want, &wn);
			assert_int_equal(len, wn);
			assert_memory_equal(proof, want, len * DIPR_HASH_LEN);
			assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r1, r2, (const hash_t *)proof, len), 0);
			(*proofs)++;

			memcpy(bad, proof, len * DIPR_HASH_LEN);
			for (size_t k = 0; k < len; k++) {
				for (size_t b = 0; b < DIPR_HASH_LEN; b++) {
					if (!flip_byte(n, k, b))
						continue;
					bad[k][b] ^= (uint8_t)(1u << (b % 8));
					assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r1, r2,
											(const hash_t *)bad, len),
							 DIPR_EVERIFY);
					bad[k][b] ^= (uint8_t)(1u << (b % 8));
					(*flips)++;
				}
			}
			/* Wrong roots. */
			if (s1 != n) {
				assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r2, r1, (const hash_t *)proof,
										len), DIPR_EVERIFY);
			}
			assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, roots[s1 - 1], r2,
									(const hash_t *)proof, len), DIPR_EVERIFY);
			if (n < N) {
				assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r1, roots[n + 1],
										(const hash_t *)proof, len), DIPR_EVERIFY);
			}
			/* Wrong sizes, each with its own roots (see the
			 * inclusion test for why), and size1 == 0. */
			for (uint64_t d = 1; d <= 3; d++) {
				uint64_t sz[4][2] = { { s1 + d, n }, { s1, n + d }, { s1 - d, n }, { s1, n - d } };
				for (int k = 0; k < 4; k++) {
					uint64_t a = sz[k][0], b = sz[k][1];
					if (a == 0 || a > b || b > N)
						continue;
					assert_int_equal(dipr_merkle_verify_consistency(alg, a, b, roots[a], roots[b],
											(const hash_t *)proof, len),
							 DIPR_EVERIFY);
				}
				assert_int_equal(dipr_merkle_verify_consistency(alg, s1 + d, n, r1, r2,
										(const hash_t *)proof, len), DIPR_EVERIFY);
			}
			assert_int_equal(dipr_merkle_verify_consistency(alg, 0, n, roots[0], r2, (const hash_t *)proof,
									len), DIPR_EVERIFY);
			assert_int_equal(dipr_merkle_verify_consistency(alg, s1, UINT64_MAX, r1, r2,
									(const hash_t *)proof, len), DIPR_EVERIFY);
			/* Too short, too long. */
			if (len > 0) {
				assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r1, r2, (const hash_t *)proof,
										len - 1), DIPR_EVERIFY);
				assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r1, r2,
										(const hash_t *)proof + 1, len - 1),
						 DIPR_EVERIFY);
			}
			memcpy(bad, proof, len * DIPR_HASH_LEN);
			memcpy(bad[len], len ? proof[len - 1] : r1, DIPR_HASH_LEN);
			assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r1, r2, (const hash_t *)bad, len + 1),
					 DIPR_EVERIFY);
			memset(bad[0], 0, DIPR_HASH_LEN);
			memcpy(bad + 1, proof, len * DIPR_HASH_LEN);
			assert_int_equal(dipr_merkle_verify_consistency(alg, s1, n, r1, r2, (const hash_t *)bad, len + 1),
					 DIPR_EVERIFY);
		}
	}
}

static void test_consistency_all(void **state)
{
	unsigned proofs = 0, flips = 0;
	consistency_all(&mem_sha, N, &proofs, &flips);
	assert_int_equal(proofs, N * (N + 1) / 2);
	print_message("consistency: %u proofs, %u flipped proofs rejected\n", proofs, flips);
}

/* The same code paths with SM3 (GB/T 32905), on the trees up to 24
 * leaves; and proofs of one hash never verify under the other. */
static void test_sm3(void **state)
{
	unsigned proofs = 0, flips = 0;
	dipr_hash_reader rs = { mem_read, &mem_sha }, rm = { mem_read, &mem_sm3 };
	hash_t proof[DIPR_MERKLE_MAX_PROOF], root_sha, root_sm3;
	size_t len;

	inclusion_all(&mem_sm3, 24, &proofs, &flips);
	consistency_all(&mem_sm3, 24, &proofs, &flips);
	assert_int_equal(proofs, 2 * 24 * 25 / 2);

	mem_sha.limit = mem_sm3.limit = 77;
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, 77, &rs, root_sha), 0);
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SM3, 77, &rm, root_sm3), 0);
	assert_memory_not_equal(root_sha, root_sm3, DIPR_HASH_LEN);
	assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SM3, 33, 77, &rm, proof, &len), 0);
	assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SM3, 33, 77, mem_sm3.leaves[33],
						      (const hash_t *)proof, len, root_sm3), 0);
	/* SM3 hashes, SHA-256 node hashing: must not verify. */
	assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, 33, 77, mem_sm3.leaves[33],
						      (const hash_t *)proof, len, root_sm3), DIPR_EVERIFY);
	assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SM3, 20, 77, &rm, proof, &len), 0);
	hash_t r20;
	nv_mth(DIPR_HASH_SM3, (const hash_t *)mem_sm3.leaves, 0, 20, r20);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SM3, 20, 77, r20, root_sm3,
							(const hash_t *)proof, len), 0);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 20, 77, r20, root_sm3,
							(const hash_t *)proof, len), DIPR_EVERIFY);
}

/* ---- arguments, reader errors -------------------------------------------- */

static void test_bad_arguments(void **state)
{
	dipr_hash_reader r = { mem_read, &mem_sha };
	hash_t proof[DIPR_MERKLE_MAX_PROOF], h;
	size_t len = 12345;

	mem_sha.limit = N;
	assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, 5, 5, &r, proof, &len), DIPR_EINVAL);
	assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, 0, 0, &r, proof, &len), DIPR_EINVAL);
	assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, 0, DIPR_MERKLE_MAX_SIZE + 1, &r, proof, &len),
			 DIPR_EINVAL);
	assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, 0, 5, NULL, proof, &len), DIPR_EINVAL);
	assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, 0, 5, &r, proof, &len), DIPR_EINVAL);
	assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, 6, 5, &r, proof, &len), DIPR_EINVAL);
	assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, 1, DIPR_MERKLE_MAX_SIZE + 1, &r, proof,
						       &len), DIPR_EINVAL);
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, DIPR_MERKLE_MAX_SIZE + 1, &r, h), DIPR_EINVAL);
	assert_int_equal(len, 12345); /* untouched on failure */

	/* Size 0: the empty root, no read; equal sizes: no read. */
	mem_sha.calls = 0;
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, 0, &r, h), 0);
	hash_t e;
	dipr_merkle_empty_root(DIPR_HASH_SHA256, e);
	assert_memory_equal(h, e, DIPR_HASH_LEN);
	assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, 9, 9, &r, proof, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(mem_sha.calls, 0);

	/* The reader's error comes back unchanged. */
	mem_sha.fail = DIPR_EIO;
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, 7, &r, h), DIPR_EIO);
	assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, 3, 7, &r, proof, &len), DIPR_EIO);
	assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, 3, 7, &r, proof, &len), DIPR_EIO);
	mem_sha.fail = DIPR_ENOTFOUND;
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, 7, &r, h), DIPR_ENOTFOUND);
	mem_sha.fail = 0;

	/* Too long and too short are caught by the RFC's sn checks, before
	 * the root comparison (which would catch them too). */
	hash_t root7, root3;
	mem_sha.limit = 7;
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, 7, &r, root7), 0);
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, 3, &r, root3), 0);
	assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, 3, 7, &r, proof, &len), 0);
	assert_int_equal(len, 3);
	assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, 3, 7, mem_sha.leaves[3],
						      (const hash_t *)proof, 4, root7), DIPR_EVERIFY);
	assert_non_null(strstr(dipr_errdetail(), "more than the tree needs"));
	assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, 3, 7, mem_sha.leaves[3],
						      (const hash_t *)proof, 2, root7), DIPR_EVERIFY);
	assert_non_null(strstr(dipr_errdetail(), "fewer than the tree needs"));
	assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, 3, 7, &r, proof, &len), 0);
	assert_int_equal(len, 4);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 3, 7, root3, root7,
							(const hash_t *)proof, 5), DIPR_EVERIFY);
	assert_non_null(strstr(dipr_errdetail(), "more than the trees need"));
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 3, 7, root3, root7,
							(const hash_t *)proof, 3), DIPR_EVERIFY);
	assert_non_null(strstr(dipr_errdetail(), "fewer than the trees need"));

	/* Verification limits. */
	memset(proof, 0, sizeof proof);
	assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, 0, 1, h, NULL, 0, h), 0);
	assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, 0, 1, h, (const hash_t *)proof,
						      DIPR_MERKLE_MAX_PROOF + 1, h), DIPR_EVERIFY);
	assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, 0, DIPR_MERKLE_MAX_SIZE + 1, h,
						      (const hash_t *)proof, 63, h), DIPR_EVERIFY);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 0, 0, h, h, NULL, 0), DIPR_EVERIFY);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 1, 1, h, h, NULL, 0), 0);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 1, 1, h, h, (const hash_t *)proof, 1),
			 DIPR_EVERIFY);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 2, 1, h, h, NULL, 0), DIPR_EVERIFY);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, DIPR_MERKLE_MAX_SIZE + 1,
							DIPR_MERKLE_MAX_SIZE + 1, h, h, NULL, 0), DIPR_EVERIFY);
	assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, 1, 3, h, h, (const hash_t *)proof,
							DIPR_MERKLE_MAX_PROOF + 1), DIPR_EVERIFY);
}

/* ---- trees near 2^63 leaves ---------------------------------------------- */

/* A consistent tree of any size, cheap to read: leaf i is F(0, i mod 7), so
 * node (l, i), covering leaves from i << l on, depends only on l and
 * (i << l) mod 7: F(l, r) = H(F(l - 1, r), F(l - 1, (r + 2^(l-1)) mod 7)),
 * 64 * 7 hashes in all.  Siblings still differ, so mixed-up indexes show. */
struct syn {
	uint64_t limit;
	int calls;
	size_t max_ids;
	hash_t f[64][7];
};

static unsigned syn_r(unsigned l, uint64_t i) /* (i << l) mod 7 */
{
	unsigned p = 1;
	for (unsigned k = 0; k < l; k++)
		p = p * 2 % 7;
	return (unsigned)(i % 7) * p % 7;
}

static void syn_init(struct syn *s)
{
	memset(s, 0, sizeof *s);
	for (unsigned r = 0; r < 7; r++)
		assert_int_equal(dipr_hash3(DIPR_HASH_SHA256, "syn", 3, &r, sizeof r, NULL, 0, s->f[0][r]), 0);
	for (unsigned l = 1; l < 64; l++)
		for (unsigned r = 0; r < 7; r++)
			nv_node(DIPR_HASH_SHA256, s->f[l - 1][r], s->f[l - 1][(r + syn_r(l - 1, 1)) % 7], s->f[l][r]);
}

static int syn_read(void *ctx, const dipr_node_id *ids, size_t n, hash_t *out)
{
	struct syn *s = ctx;
	s->calls++;
	if (n > s->max_ids)
		s->max_ids = n;
	for (size_t i = 0; i < n; i++) {
		/* Inside the tree, computed without overflow. */
		assert_true(ids[i].level < 64);
		assert_true(ids[i].index < (s->limit >> ids[i].level));
		memcpy(out[i], s->f[ids[i].level][syn_r(ids[i].level, ids[i].index)], DIPR_HASH_LEN);
	}
	return 0;
}

static void test_huge_trees(void **state)
{
	/* Proofs of the first, middle and last leaves and consistency from
	 * small and large old sizes, verified against dipr_merkle_root over
	 * the same reader; the reader checks every id lies in the tree. */
	static const uint64_t sizes[] = {
		DIPR_MERKLE_MAX_SIZE, DIPR_MERKLE_MAX_SIZE - 1, (uint64_t)1 << 62, ((uint64_t)1 << 62) + 1,
		0x5555555555555555ull, 0x2aaaaaaaaaaaaaabull, 1000000007ull,
	};
	static struct syn s;
	dipr_hash_reader r = { syn_read, &s };

	syn_init(&s);
	/* The period-7 tree is a real tree: small sizes match the naive MTH. */
	for (uint64_t n = 1; n <= 40; n++) {
		hash_t leaves[40], want, got;
		for (uint64_t i = 0; i < n; i++)
			memcpy(leaves[i], s.f[0][i % 7], DIPR_HASH_LEN);
		nv_mth(DIPR_HASH_SHA256, (const hash_t *)leaves, 0, n, want);
		s.limit = n;
		assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, n, &r, got), 0);
		assert_memory_equal(got, want, DIPR_HASH_LEN);
	}

	for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++) {
		uint64_t n = sizes[a];
		hash_t root, proof[DIPR_MERKLE_MAX_PROOF], leaf;
		size_t len;
		s.limit = n;
		assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, n, &r, root), 0);
		uint64_t idx[] = { 0, 1, n / 2, n / 3, n - 2, n - 1 };
		for (size_t b = 0; b < sizeof idx / sizeof idx[0]; b++) {
			memcpy(leaf, s.f[0][idx[b] % 7], DIPR_HASH_LEN);
			assert_int_equal(dipr_merkle_prove_inclusion(DIPR_HASH_SHA256, idx[b], n, &r, proof, &len), 0);
			assert_true(len <= 63);
			assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, idx[b], n, leaf,
								      (const hash_t *)proof, len, root), 0);
			proof[len / 2][5] ^= 1;
			assert_int_equal(dipr_merkle_verify_inclusion(DIPR_HASH_SHA256, idx[b], n, leaf,
								      (const hash_t *)proof, len, root), DIPR_EVERIFY);
		}
		uint64_t old[] = { 1, 2, 3, n / 2, n / 3 + 1, n - 1, n };
		for (size_t b = 0; b < sizeof old / sizeof old[0]; b++) {
			hash_t root1;
			s.limit = old[b];
			assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, old[b], &r, root1), 0);
			s.limit = n;
			assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, old[b], n, &r, proof, &len), 0);
			assert_true(len <= 64);
			assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, old[b], n, root1, root,
									(const hash_t *)proof, len), 0);
			if (len) {
				proof[len - 1][0] ^= 0x80;
				assert_int_equal(dipr_merkle_verify_consistency(DIPR_HASH_SHA256, old[b], n, root1, root,
										(const hash_t *)proof, len),
						 DIPR_EVERIFY);
			}
		}
	}
	print_message("huge trees: largest read %zu node ids\n", s.max_ids);
	assert_true(s.max_ids <= 2 * DIPR_MERKLE_MAX_PROOF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_perfect_root),
		cmocka_unit_test(test_ct_tree_matches_vectors),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_inclusion_all),
		cmocka_unit_test(test_consistency_all),
		cmocka_unit_test(test_sm3),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_huge_trees),
	};
	return cmocka_run_group_tests_name("merkle", tests, setup, NULL);
}
