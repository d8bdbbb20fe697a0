/* test_tlogproof.c — C2SP tlog-proof encode, strict parse and offline
 * verification (lib/tlogproof.c).
 *
 * Trees and proofs come from a small recursive RFC 6962 §2.1 reference
 * written here (MTH and PATH), so the receipts checked do not depend on
 * the prover in lib/merkle.c; that prover is cross-checked against the
 * reference on the way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "dipr/dipr.h"
#include "dipr/merkle.h"
#include "dipr/note.h"

#define H DIPR_HASH_LEN
#define MAX_LEAVES 64

static const char origin[] = "registry.example.cn/dipr/test";

/* ---- RFC 6962 §2.1 reference ------------------------------------------ */

static void ref_leaf(dipr_hash_alg alg, const void *e, size_t n, uint8_t out[H])
{
	static const uint8_t zero = 0x00;
	assert_int_equal(dipr_hash3(alg, &zero, 1, e, n, NULL, 0, out), 0);
}

static size_t split(size_t n)
{
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[n]) over leaf hashes. */
static void ref_mth(dipr_hash_alg alg, const uint8_t (*l)[H], size_t n, uint8_t out[H])
{
	static const uint8_t one = 0x01;
	uint8_t a[H], b[H];
	if (n == 0) {
		assert_int_equal(dipr_hash3(alg, NULL, 0, NULL, 0, NULL, 0, out), 0);
		return;
	}
	if (n == 1) {
		memcpy(out, l[0], H);
		return;
	}
	size_t k = split(n);
	ref_mth(alg, l, k, a);
	ref_mth(alg, l + k, n - k, b);
	assert_int_equal(dipr_hash3(alg, &one, 1, a, H, b, H, out), 0);
}

/* PATH(m, D[n]): the sub-path first, then the sibling subtree's root. */
static size_t ref_path(dipr_hash_alg alg, size_t m, const uint8_t (*l)[H], size_t n,
		       uint8_t (*proof)[H])
{
	if (n <= 1)
		return 0;
	size_t k = split(n), len;
	if (m < k) {
		len = ref_path(alg, m, l, k, proof);
		ref_mth(alg, l + k, n - k, proof[len]);
	} else {
		len = ref_path(alg, m - k, l + k, n - k, proof);
		ref_mth(alg, l, k, proof[len]);
	}
	return len + 1;
}

/* A dipr_hash_reader over the reference, to cross-check lib/merkle.c. */
struct tree {
	dipr_hash_alg alg;
	uint8_t leaves[MAX_LEAVES][H];
	size_t n;
};

static int tree_read(void *ctx, const dipr_node_id *ids, size_t n, uint8_t (*out)[H])
{
	const struct tree *t = ctx;
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = ids[i].index << ids[i].level, cnt = (uint64_t)1 << ids[i].level;
		if (lo + cnt > t->n)
			return DIPR_ENOTFOUND;
		ref_mth(t->alg, (const uint8_t (*)[H])t->leaves + lo, (size_t)cnt, out[i]);
	}
	return 0;
}

static void entry(size_t i, char *buf, size_t cap, size_t *len)
{
	int n = snprintf(buf, cap, "{\"i\":%zu,\"type\":\"evidence\",\"v\":1}", i);
	assert_true(n > 0 && (size_t)n < cap);
	*len = (size_t)n;
}

static void build_tree(struct tree *t, dipr_hash_alg alg, size_t n)
{
	char e[64];
	size_t el;
	t->alg = alg;
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		entry(i, e, sizeof e, &el);
		ref_leaf(alg, e, el, t->leaves[i]);
	}
}

/* ---- keys and checkpoints ---------------------------------------------- */

struct keys {
	dipr_signer *ss[2];
	dipr_verifier *vs[2];
};

static dipr_verifier *verifier_of(const dipr_signer *s)
{
	char *vkey = NULL;
	dipr_verifier *v = NULL;
	assert_int_equal(dipr_signer_vkey(s, &vkey), 0);
	assert_int_equal(dipr_verifier_from_vkey(&v, vkey, strlen(vkey)), 0);
	free(vkey);
	return v;
}

static struct keys keys;

static int setup(void **state)
{
	assert_int_equal(dipr_signer_generate(&keys.ss[0], origin, DIPR_KEY_ED25519), 0);
	assert_int_equal(dipr_signer_generate(&keys.ss[1], origin, DIPR_KEY_SM2), 0);
	keys.vs[0] = verifier_of(keys.ss[0]);
	keys.vs[1] = verifier_of(keys.ss[1]);
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < 2; i++) {
		dipr_signer_free(keys.ss[i]);
		dipr_verifier_free(keys.vs[i]);
	}
	return 0;
}

static void signed_checkpoint(const char *orig, uint64_t size, const uint8_t root[H],
			      dipr_buf *note)
{
	dipr_checkpoint c;
	dipr_buf text;
	memset(&c, 0, sizeof c);
	memcpy(c.origin, orig, strlen(orig) + 1);
	c.size = size;
	memcpy(c.root, root, H);
	dipr_buf_init(&text, 1024);
	assert_int_equal(dipr_checkpoint_format(&c, &text), 0);
	dipr_buf_init(note, DIPR_NOTE_MAX);
	assert_int_equal(dipr_note_sign(text.p, text.n, keys.ss, 2, note), 0);
	dipr_buf_free(&text);
}

/* The receipt of entry `index` in a tree of `size`, via the reference. */
static void make_receipt(dipr_hash_alg alg, size_t size, size_t index, dipr_buf *out)
{
	struct tree t;
	uint8_t root[H], proof[64][H];
	char e[64];
	size_t el;
	dipr_buf note;
	build_tree(&t, alg, size);
	ref_mth(alg, (const uint8_t (*)[H])t.leaves, size, root);
	size_t len = ref_path(alg, index, (const uint8_t (*)[H])t.leaves, size, proof);
	signed_checkpoint(origin, size, root, &note);
	entry(index, e, sizeof e, &el);
	dipr_buf_init(out, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_tlog_proof_encode((const uint8_t *)e, el, true, index,
						(const uint8_t (*)[H])proof, len, note.p, note.n,
						out), 0);
	dipr_buf_free(&note);
}

static int parse(const void *p, size_t n, dipr_tlog_proof *out)
{
	return dipr_tlog_proof_parse(p, n, out);
}

/* ---- encoding and parsing ---------------------------------------------- */

/* The layout of the tlog-proof spec's example: header, extra, index, five
 * proof lines, empty line, checkpoint (here signed by our own keys; the
 * spec's signatures are elided there). */
static void spec_example_layout_round_trips(void **state)
{
	static const char *hashes[] = {
		"gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=",
		"B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=",
		"EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=",
		"RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=",
		"AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=",
	};
	static const char extra[] = "age-v1.2.1-darwin-arm64.tar.gz";
	uint8_t proof[5][H], root[H];
	size_t got;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(dipr_b64_decode(hashes[i], 44, proof[i], H, &got), 0);
		assert_int_equal(got, H);
	}
	assert_int_equal(dipr_b64_decode("sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=", 44, root, H,
					 &got), 0);
	dipr_buf note, out, want;
	signed_checkpoint("example.com/fancylog", 109482, root, &note);
	dipr_buf_init(&out, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_tlog_proof_encode((const uint8_t *)extra, strlen(extra), true, 73894,
						(const uint8_t (*)[H])proof, 5, note.p, note.n,
						&out), 0);
	dipr_buf_init(&want, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_buf_adds(&want, "c2sp.org/tlog-proof@v1\n"
				       "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6\n"
				       "index 73894\n"), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dipr_buf_addf(&want, "%s\n", hashes[i]), 0);
	assert_int_equal(dipr_buf_adds(&want, "\n"), 0);
	assert_int_equal(dipr_buf_add(&want, note.p, note.n), 0);
	assert_int_equal(out.n, want.n);
	assert_memory_equal(out.p, want.p, want.n);
	static const char cp_text[] = "example.com/fancylog\n109482\n"
				      "sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n";
	assert_memory_equal(note.p, cp_text, strlen(cp_text));

	dipr_tlog_proof p;
	assert_int_equal(parse(out.p, out.n, &p), 0);
	assert_true(p.has_extra);
	assert_int_equal(p.extra_len, strlen(extra));
	assert_memory_equal(p.extra, extra, p.extra_len);
	assert_int_equal(p.index, 73894);
	assert_int_equal(p.proof_len, 5);
	assert_memory_equal(p.proof, proof, sizeof proof);
	assert_int_equal(p.note_len, note.n);
	assert_memory_equal(p.note, note.p, note.n);
	dipr_tlog_proof_free(&p);
	dipr_buf_free(&note);
	dipr_buf_free(&out);
	dipr_buf_free(&want);
}

static void round_trip_one(const uint8_t *extra, size_t extra_len, bool has_extra,
			   uint64_t index, size_t nproof)
{
	uint8_t proof[DIPR_TLOG_PROOF_MAX_HASHES][H], root[H] = {1, 2, 3};
	dipr_buf note, out, again;
	dipr_tlog_proof p;
	for (size_t i = 0; i < nproof; i++)
		for (size_t j = 0; j < H; j++)
			proof[i][j] = (uint8_t)(i * 31 + j);
	signed_checkpoint(origin, 1000, root, &note);
	dipr_buf_init(&out, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_tlog_proof_encode(extra, extra_len, has_extra, index,
						(const uint8_t (*)[H])proof, nproof, note.p,
						note.n, &out), 0);
	assert_int_equal(parse(out.p, out.n, &p), 0);
	assert_int_equal(p.has_extra, has_extra);
	if (has_extra) {
		assert_non_null(p.extra);
		assert_int_equal(p.extra_len, extra_len);
		if (extra_len)
			assert_memory_equal(p.extra, extra, extra_len);
	} else {
		assert_null(p.extra);
		assert_false(memmem(out.p, out.n, "extra", 5));
	}
	assert_true(p.index == index);
	assert_int_equal(p.proof_len, nproof);
	if (nproof)
		assert_memory_equal(p.proof, proof, nproof * H);
	/* Re-encoding gives the same bytes: one spelling per proof. */
	dipr_buf_init(&again, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_tlog_proof_encode(p.extra, p.extra_len, p.has_extra, p.index,
						(const uint8_t (*)[H])p.proof, p.proof_len, p.note,
						p.note_len, &again), 0);
	assert_int_equal(again.n, out.n);
	assert_memory_equal(again.p, out.p, out.n);
	dipr_tlog_proof_free(&p);
	dipr_buf_free(&note);
	dipr_buf_free(&out);
	dipr_buf_free(&again);
}

static void encode_parse_round_trips(void **state)
{
	static const uint8_t bin[] = {0x00, 0xff, 0x0a, 0x20, 0x2b};
	round_trip_one((const uint8_t *)"entry", 5, true, 0, 0);
	round_trip_one(bin, sizeof bin, true, 999, 10);
	round_trip_one(NULL, 0, false, 7, 3);
	round_trip_one((const uint8_t *)"", 0, true, 1, 1);
	round_trip_one(NULL, 0, false, 9223372036854775806ull, DIPR_TLOG_PROOF_MAX_HASHES);
	uint8_t *big = malloc(DIPR_TLOG_PROOF_EXTRA_MAX);
	assert_non_null(big);
	for (size_t i = 0; i < DIPR_TLOG_PROOF_EXTRA_MAX; i++)
		big[i] = (uint8_t)(i * 7);
	round_trip_one(big, DIPR_TLOG_PROOF_EXTRA_MAX, true, 5, DIPR_TLOG_PROOF_MAX_HASHES);
	free(big);
}

static void encode_refuses_what_parse_would(void **state)
{
	uint8_t root[H] = {0}, proof[64][H] = {{0}};
	dipr_buf note, out;
	signed_checkpoint(origin, 10, root, &note);
	dipr_buf_init(&out, 4 * DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_buf_adds(&out, "kept"), 0);
	assert_int_equal(dipr_tlog_proof_encode(NULL, 0, false, 1, (const uint8_t (*)[H])proof, 64,
						note.p, note.n, &out), DIPR_EINVAL);
	uint8_t *big = calloc(1, DIPR_TLOG_PROOF_EXTRA_MAX + 1);
	assert_non_null(big);
	assert_int_equal(dipr_tlog_proof_encode(big, DIPR_TLOG_PROOF_EXTRA_MAX + 1, true, 1, NULL, 0,
						note.p, note.n, &out), DIPR_EINVAL);
	free(big);
	assert_int_equal(dipr_tlog_proof_encode(NULL, 0, false, 9223372036854775807ull, NULL, 0,
						note.p, note.n, &out), DIPR_EINVAL);
	/* Not a signed note; a signed note that is not a checkpoint. */
	assert_int_equal(dipr_tlog_proof_encode(NULL, 0, false, 1, NULL, 0, note.p, note.n - 1,
						&out), DIPR_EINVAL);
	dipr_buf other;
	dipr_buf_init(&other, DIPR_NOTE_MAX);
	assert_int_equal(dipr_note_sign((const uint8_t *)"hello\n", 6, keys.ss, 1, &other), 0);
	assert_int_equal(dipr_tlog_proof_encode(NULL, 0, false, 1, NULL, 0, other.p, other.n, &out),
			 DIPR_EINVAL);
	assert_string_equal((const char *)out.p, "kept");
	dipr_buf_free(&other);
	dipr_buf_free(&note);
	dipr_buf_free(&out);
}

static void strict_parse_rejects_malformed_proofs(void **state)
{
	uint8_t root[H] = {9};
	dipr_buf note;
	signed_checkpoint(origin, 10, root, &note);
	const char *N = (const char *)note.p;
	static const char P[] = "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n";
	struct {
		const char *head;
		bool with_note;
	} bad[] = {
		{"", true},
		{"index 1\n\n", true},                                   /* missing header */
		{"c2sp.org/tlog-proof@v2\nindex 1\n\n", true},           /* wrong version */
		{"c2sp.org/tlog-proof@v1 \nindex 1\n\n", true},          /* trailing space */
		{"C2SP.org/tlog-proof@v1\nindex 1\n\n", true},
		{"c2sp.org/tlog-proof@v1\r\nindex 1\n\n", true},         /* CRLF */
		{"c2sp.org/tlog-proof@v1\n\n", true},                    /* no index */
		{"c2sp.org/tlog-proof@v1\nindex\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex \n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 01\n\n", true},          /* leading zero */
		{"c2sp.org/tlog-proof@v1\nindex -1\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex +1\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex  1\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1 \n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1x\n\n", true},
		{"c2sp.org/tlog-proof@v1\nIndex 1\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 9223372036854775807\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n\n", true},
		{"c2sp.org/tlog-proof@v1\nextra ZW50cnk=\n\n", true},    /* extra, no index */
		{"c2sp.org/tlog-proof@v1\nindex 1\nextra ZW50cnk=\n\n", true}, /* order */
		{"c2sp.org/tlog-proof@v1\nextra ZW50cnk\nindex 1\n\n", true},  /* padding */
		{"c2sp.org/tlog-proof@v1\nextra ZW50cnl=\nindex 1\n\n", true}, /* trailing bits */
		{"c2sp.org/tlog-proof@v1\nextra ZW50 cnk=\nindex 1\n\n", true},
		{"c2sp.org/tlog-proof@v1\nextra\nindex 1\n\n", true},
		{"c2sp.org/tlog-proof@v1\nextra ZW50cnk=\nextra ZW50cnk=\nindex 1\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlR=\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPg==\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQA\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1\n gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1\n", true},             /* no empty line */
		{"c2sp.org/tlog-proof@v1\nindex 1\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n", true},
		{"c2sp.org/tlog-proof@v1\nindex 1\n\n\n", true},         /* two empty lines */
		{"c2sp.org/tlog-proof@v1\nindex 1\n\n", false},          /* no checkpoint */
		{"c2sp.org/tlog-proof@v1\nindex 1", false},
		{"c2sp.org/tlog-proof@v1", false},
	};
	dipr_tlog_proof p;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dipr_buf b;
		dipr_buf_init(&b, DIPR_TLOG_PROOF_MAX);
		assert_int_equal(dipr_buf_adds(&b, bad[i].head), 0);
		if (bad[i].with_note)
			assert_int_equal(dipr_buf_add(&b, N, note.n), 0);
		memset(&p, 0x55, sizeof p);
		if (parse(b.p, b.n, &p) != DIPR_EINVAL)
			fail_msg("malformed proof %zu accepted: %s", i, (const char *)b.p);
		/* Zeroed on failure, so free is safe. */
		assert_null(p.extra);
		assert_null(p.note);
		dipr_tlog_proof_free(&p);
		dipr_buf_free(&b);
	}

	/* 63 proof lines parse, 64 do not. */
	dipr_buf b;
	dipr_buf_init(&b, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_buf_adds(&b, "c2sp.org/tlog-proof@v1\nindex 1\n"), 0);
	for (int i = 0; i < DIPR_TLOG_PROOF_MAX_HASHES; i++)
		assert_int_equal(dipr_buf_adds(&b, P), 0);
	size_t mark = b.n;
	assert_int_equal(dipr_buf_adds(&b, "\n"), 0);
	assert_int_equal(dipr_buf_add(&b, N, note.n), 0);
	assert_int_equal(parse(b.p, b.n, &p), 0);
	assert_int_equal(p.proof_len, DIPR_TLOG_PROOF_MAX_HASHES);
	dipr_tlog_proof_free(&p);
	b.n = mark;
	assert_int_equal(dipr_buf_adds(&b, P), 0);
	assert_int_equal(dipr_buf_adds(&b, "\n"), 0);
	assert_int_equal(dipr_buf_add(&b, N, note.n), 0);
	assert_int_equal(parse(b.p, b.n, &p), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "line 66"));

	/* The checkpoint part must be a signed checkpoint. */
	static const char *notes[] = {
		"registry.example.cn/dipr/test\n10\n",              /* no signatures */
		"hello\n\n\xe2\x80\x94 k AQIDBAU=\n",               /* not a checkpoint */
		"o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 k AQIDBAU=\n",
	};
	for (size_t i = 0; i < 3; i++) {
		dipr_buf_reset(&b);
		assert_int_equal(dipr_buf_adds(&b, "c2sp.org/tlog-proof@v1\nindex 1\n\n"), 0);
		assert_int_equal(dipr_buf_adds(&b, notes[i]), 0);
		assert_int_equal(parse(b.p, b.n, &p), DIPR_EINVAL);
		assert_non_null(strstr(dipr_errdetail(), "checkpoint"));
	}
	/* Trailing bytes after the note are an unparsable signature line. */
	dipr_buf_reset(&b);
	assert_int_equal(dipr_buf_adds(&b, "c2sp.org/tlog-proof@v1\nindex 1\n\n"), 0);
	assert_int_equal(dipr_buf_add(&b, N, note.n), 0);
	assert_int_equal(dipr_buf_adds(&b, "junk\n"), 0);
	assert_int_equal(parse(b.p, b.n, &p), DIPR_EINVAL);

	/* Over the size limit. */
	uint8_t *huge = calloc(1, DIPR_TLOG_PROOF_MAX + 1);
	assert_non_null(huge);
	assert_int_equal(parse(huge, DIPR_TLOG_PROOF_MAX + 1, &p), DIPR_EINVAL);
	free(huge);
	dipr_buf_free(&b);
	dipr_buf_free(&note);
}

/* ---- verification ------------------------------------------------------ */

/* Every leaf of every tree up to 20 leaves (and a few larger), both tree
 * hashes: the receipt verifies, and the reference agrees with
 * lib/merkle.c's prover. */
static void receipts_verify_for_every_leaf(void **state)
{
	static const dipr_hash_alg algs[] = {DIPR_HASH_SHA256, DIPR_HASH_SM3};
	static const size_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				       17, 18, 19, 20, 31, 32, 33, 64};
	static struct tree t;
	for (size_t a = 0; a < 2; a++) {
		for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
			size_t size = sizes[si];
			dipr_hash_alg alg = algs[a];
			uint8_t root[H], mroot[H], proof[64][H], mproof[DIPR_MERKLE_MAX_PROOF][H];
			dipr_buf note;
			build_tree(&t, alg, size);
			dipr_hash_reader r = {tree_read, &t};
			ref_mth(alg, (const uint8_t (*)[H])t.leaves, size, root);
			assert_int_equal(dipr_merkle_root(alg, size, &r, mroot), 0);
			assert_memory_equal(root, mroot, H);
			signed_checkpoint(origin, size, root, &note);
			for (size_t i = 0; i < size; i++) {
				char e[64];
				size_t el, mlen = 0;
				size_t len = ref_path(alg, i, (const uint8_t (*)[H])t.leaves, size, proof);
				assert_int_equal(dipr_merkle_prove_inclusion(alg, i, size, &r, mproof,
									     &mlen), 0);
				assert_int_equal(mlen, len);
				if (len)
					assert_memory_equal(mproof, proof, len * H);
				entry(i, e, sizeof e, &el);
				dipr_buf out;
				dipr_tlog_proof p;
				dipr_checkpoint cp;
				dipr_buf_init(&out, DIPR_TLOG_PROOF_MAX);
				assert_int_equal(dipr_tlog_proof_encode((const uint8_t *)e, el, true, i,
									(const uint8_t (*)[H])proof,
									len, note.p, note.n, &out), 0);
				assert_int_equal(parse(out.p, out.n, &p), 0);
				/* Both keys on every fourth leaf, one key (alternating)
				 * on the others: keeps the test quick while every leaf
				 * still passes a real signature check. */
				size_t nv = i % 4 == 0 ? 2 : 1;
				dipr_verifier *const *vs = nv == 2 || i % 2 ? keys.vs : keys.vs + 1;
				if (dipr_tlog_proof_verify(&p, alg, vs, nv, origin, &cp))
					fail_msg("alg %d size %zu index %zu: %s", (int)alg, size, i,
						 dipr_errdetail());
				assert_string_equal(cp.origin, origin);
				assert_true(cp.size == size);
				assert_memory_equal(cp.root, root, H);
				/* The other tree hash never verifies. */
				assert_int_equal(dipr_tlog_proof_verify(&p, algs[1 - a], keys.vs, 1,
									origin, NULL), DIPR_EVERIFY);
				dipr_tlog_proof_free(&p);
				dipr_buf_free(&out);
			}
			dipr_buf_free(&note);
		}
	}
}

static void expect_fail(const dipr_tlog_proof *p, dipr_hash_alg alg, dipr_verifier *const *vs,
			size_t nv, const char *orig, int want, const char *what)
{
	dipr_checkpoint cp;
	memset(&cp, 0x55, sizeof cp);
	int rc = dipr_tlog_proof_verify(p, alg, vs, nv, orig, &cp);
	if (rc != want)
		fail_msg("%s: got %d, want %d (%s)", what, rc, want, dipr_errdetail());
	/* Nothing is handed out from a failed check. */
	assert_int_equal(cp.size, 0x5555555555555555ull);
}

static void tampered_receipts_fail(void **state)
{
	const dipr_hash_alg alg = DIPR_HASH_SHA256;
	dipr_buf out;
	dipr_tlog_proof p;
	make_receipt(alg, 13, 6, &out);
	assert_int_equal(parse(out.p, out.n, &p), 0);
	assert_int_equal(dipr_tlog_proof_verify(&p, alg, keys.vs, 2, origin, NULL), 0);
	assert_int_equal(p.proof_len, 4);

	/* Changed extra: every byte, one bit; shorter; longer. */
	for (size_t i = 0; i < p.extra_len; i++) {
		p.extra[i] ^= 0x01;
		expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EVERIFY, "changed extra");
		p.extra[i] ^= 0x01;
	}
	p.extra_len--;
	expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EVERIFY, "shortened extra");
	p.extra_len++;

	/* Changed proof: every bit of every hash. */
	for (size_t i = 0; i < p.proof_len * H; i++) {
		for (int bit = 0; bit < 8; bit++) {
			p.proof[i] ^= (uint8_t)(1u << bit);
			expect_fail(&p, alg, keys.vs + 1, 1, origin, DIPR_EVERIFY, "changed proof");
			p.proof[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* One hash fewer, one more, swapped. */
	p.proof_len--;
	expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EVERIFY, "short proof");
	p.proof_len += 2;
	expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EVERIFY, "long proof");
	p.proof_len--;
	uint8_t tmp[H];
	memcpy(tmp, p.proof, H);
	memcpy(p.proof, p.proof + H, H);
	memcpy(p.proof + H, tmp, H);
	expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EVERIFY, "swapped proof");
	memcpy(p.proof + H, p.proof, H);
	memcpy(p.proof, tmp, H);

	/* Another index; one past the tree. */
	p.index = 7;
	expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EVERIFY, "other index");
	p.index = 13;
	expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EVERIFY, "index == size");
	p.index = 6;

	/* Changed checkpoint: every byte of the signed note, one bit. */
	for (size_t i = 0; i < p.note_len; i++) {
		p.note[i] ^= 0x04;
		int rc = dipr_tlog_proof_verify(&p, alg, keys.vs, 2, origin, NULL);
		if (rc != DIPR_EVERIFY && rc != DIPR_EINVAL)
			fail_msg("changed note byte %zu gave %d", i, rc);
		p.note[i] ^= 0x04;
	}

	/* Wrong keys: another key of the same name and type; none. */
	dipr_signer *other = NULL;
	assert_int_equal(dipr_signer_generate(&other, origin, DIPR_KEY_ED25519), 0);
	dipr_verifier *ov = verifier_of(other);
	dipr_verifier *mixed[2] = {ov, keys.vs[1]};
	expect_fail(&p, alg, &ov, 1, origin, DIPR_EVERIFY, "wrong vkey");
	expect_fail(&p, alg, mixed, 2, origin, DIPR_EVERIFY, "one wrong vkey");
	expect_fail(&p, alg, keys.vs, 0, origin, DIPR_EINVAL, "no vkeys");
	dipr_verifier_free(ov);
	dipr_signer_free(other);

	/* Wrong origin; none asked for. */
	expect_fail(&p, alg, keys.vs, 2, "registry.example.cn/dipr/tes", DIPR_EVERIFY, "origin");
	expect_fail(&p, alg, keys.vs, 2, "registry.example.cn/dipr/test2", DIPR_EVERIFY, "origin");
	assert_int_equal(dipr_tlog_proof_verify(&p, alg, keys.vs, 2, NULL, NULL), 0);

	/* Wrong tree hash; unknown tree hash. */
	expect_fail(&p, DIPR_HASH_SM3, keys.vs, 2, origin, DIPR_EVERIFY, "tree hash");
	expect_fail(&p, (dipr_hash_alg)99, keys.vs, 2, origin, DIPR_EINVAL, "unknown tree hash");

	/* The leaf can be given instead of the extra. */
	uint8_t leaf[H];
	ref_leaf(alg, p.extra, p.extra_len, leaf);
	assert_int_equal(dipr_tlog_proof_verify_leaf(&p, alg, leaf, keys.vs, 2, origin, NULL), 0);
	leaf[0] ^= 1;
	assert_int_equal(dipr_tlog_proof_verify_leaf(&p, alg, leaf, keys.vs, 2, origin, NULL),
			 DIPR_EVERIFY);
	/* No extra: nothing to hash. */
	p.has_extra = false;
	expect_fail(&p, alg, keys.vs, 2, origin, DIPR_EINVAL, "no extra");
	p.has_extra = true;
	assert_int_equal(dipr_tlog_proof_verify(&p, alg, keys.vs, 2, origin, NULL), 0);
	dipr_tlog_proof_free(&p);
	dipr_buf_free(&out);
}

/* A correctly signed checkpoint of another tree (the same log one entry
 * later) does not prove the old proof. */
static void checkpoint_of_another_tree_fails(void **state)
{
	const dipr_hash_alg alg = DIPR_HASH_SM3;
	dipr_buf a, b;
	dipr_tlog_proof pa, pb;
	make_receipt(alg, 9, 4, &a);
	make_receipt(alg, 10, 4, &b);
	assert_int_equal(parse(a.p, a.n, &pa), 0);
	assert_int_equal(parse(b.p, b.n, &pb), 0);
	assert_int_equal(dipr_tlog_proof_verify(&pa, alg, keys.vs, 2, origin, NULL), 0);
	assert_int_equal(dipr_tlog_proof_verify(&pb, alg, keys.vs, 2, origin, NULL), 0);
	uint8_t *note = pa.note;
	size_t note_len = pa.note_len;
	pa.note = pb.note;
	pa.note_len = pb.note_len;
	expect_fail(&pa, alg, keys.vs, 2, origin, DIPR_EVERIFY, "other tree's checkpoint");
	pa.note = note;
	pa.note_len = note_len;
	dipr_tlog_proof_free(&pa);
	dipr_tlog_proof_free(&pb);
	dipr_buf_free(&a);
	dipr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_example_layout_round_trips),
		cmocka_unit_test(encode_parse_round_trips),
		cmocka_unit_test(encode_refuses_what_parse_would),
		cmocka_unit_test(strict_parse_rejects_malformed_proofs),
		cmocka_unit_test(receipts_verify_for_every_leaf),
		cmocka_unit_test(tampered_receipts_fail),
		cmocka_unit_test(checkpoint_of_another_tree_fails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
