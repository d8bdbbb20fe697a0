/* test_witness.c — cosignatures and the tlog-witness decision (lib/cosig.c).
 *
 * Independent checks: key IDs and cosignatures are recomputed here with
 * OpenSSL's EVP API directly from the formulas of C2SP tlog-cosignature;
 * the witness's verdicts follow C2SP tlog-witness case by case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "testutil.h"
#include "dipr/dipr.h"
#include "dipr/merkle.h"
#include "dipr/note.h"
#include "dipr/witness.h"

static const char origin[] = "example.com/log";

/* ---- a small in-memory log ---- */

#define NLEAVES 64
static uint8_t leaves[NLEAVES][DIPR_HASH_LEN];

static void make_leaves(void)
{
	for (int i = 0; i < NLEAVES; i++) {
		char e[32];
		int n = snprintf(e, sizeof e, "entry %d", i);
		dipr_merkle_leaf_hash(DIPR_HASH_SHA256, (const uint8_t *)e, (size_t)n, leaves[i]);
	}
}

static int leaf_reader(void *ctx, const dipr_node_id *ids, size_t n, uint8_t (*out)[DIPR_HASH_LEN])
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		dipr_merkle_perfect_root(DIPR_HASH_SHA256, (const uint8_t(*)[DIPR_HASH_LEN])leaves[ids[i].index << ids[i].level],
					 (size_t)1 << ids[i].level, out[i]);
	return 0;
}

static void root_of(uint64_t size, uint8_t out[DIPR_HASH_LEN])
{
	dipr_hash_reader r = {leaf_reader, NULL};
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, size, &r, out), 0);
}

/* The signed checkpoint of size (root given, or the tree's). */
static void signed_cp(dipr_signer *const *sg, size_t nsg, uint64_t size, const uint8_t *root, dipr_buf *out)
{
	dipr_checkpoint c;
	dipr_buf text;
	snprintf(c.origin, sizeof c.origin, "%s", origin);
	c.size = size;
	if (root)
		memcpy(c.root, root, DIPR_HASH_LEN);
	else
		root_of(size, c.root);
	dipr_buf_init(&text, 4096);
	assert_int_equal(dipr_checkpoint_format(&c, &text), 0);
	dipr_buf_init(out, DIPR_NOTE_MAX);
	assert_int_equal(dipr_note_sign(text.p, text.n, sg, nsg, out), 0);
	dipr_buf_free(&text);
}

static void request(uint64_t old, uint64_t size, const dipr_buf *note, dipr_buf *out)
{
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t plen = 0;
	dipr_hash_reader r = {leaf_reader, NULL};
	if (old > 0 && old < size)
		assert_int_equal(dipr_merkle_prove_consistency(DIPR_HASH_SHA256, old, size, &r, proof, &plen), 0);
	dipr_buf_init(out, DIPR_WITNESS_REQ_MAX);
	assert_int_equal(dipr_witness_req_format(old, (const uint8_t(*)[DIPR_HASH_LEN])proof, plen, note->p, note->n, out), 0);
}

/* ---- keys ---- */

static void test_keys_round_trip_and_key_id(void **state)
{
	(void)state;
	dipr_cosigner *s = NULL, *s2 = NULL;
	dipr_cosig_verifier *v = NULL;
	char *vk = NULL, *sk = NULL, *vk2 = NULL;
	assert_int_equal(dipr_cosigner_generate(&s, "witness.example/w1"), 0);
	assert_int_equal(dipr_cosigner_vkey(s, &vk), 0);
	assert_int_equal(dipr_cosigner_skey(s, &sk), 0);
	assert_int_equal(strncmp(sk, "PRIVATE+KEY+witness.example/w1+", 31), 0);
	assert_int_equal(dipr_cosigner_from_skey(&s2, sk, strlen(sk)), 0);
	assert_int_equal(dipr_cosigner_vkey(s2, &vk2), 0);
	assert_string_equal(vk, vk2);
	assert_int_equal(dipr_cosig_verifier_from_vkey(&v, vk, strlen(vk)), 0);
	assert_string_equal(dipr_cosig_verifier_name(v), "witness.example/w1");

	/* key ID = SHA-256(name || "\n" || 0x04 || pub)[:4], from the vkey's
	 * own bytes (tlog-cosignature §Format). */
	const char *p1 = strchr(vk, '+'), *p2 = strchr(p1 + 1, '+');
	uint8_t enc[64], h[32];
	size_t n = 0;
	assert_int_equal(dipr_b64_decode(p2 + 1, strlen(p2 + 1), enc, sizeof enc, &n), 0);
	assert_int_equal(n, 33);
	assert_int_equal(enc[0], 0x04);
	uint8_t pre[19 + 33];
	memcpy(pre, "witness.example/w1\n", 19);
	memcpy(pre + 19, enc, 33);
	assert_int_equal(EVP_Digest(pre, sizeof pre, h, NULL, EVP_sha256(), NULL), 1);
	char hex[9];
	snprintf(hex, sizeof hex, "%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
	assert_memory_equal(p1 + 1, hex, 8);
	assert_int_equal(dipr_cosig_verifier_keyid(v), (uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]);

	/* a changed key ID, a log key (type 0x01) and garbage are refused */
	char bad[600];
	snprintf(bad, sizeof bad, "%s", vk);
	bad[p1 + 1 - vk] = bad[p1 + 1 - vk] == '0' ? '1' : '0';
	dipr_cosig_verifier *x = NULL;
	assert_int_equal(dipr_cosig_verifier_from_vkey(&x, bad, strlen(bad)), DIPR_EINVAL);
	dipr_signer *lg = NULL;
	char *logvk = NULL;
	assert_int_equal(dipr_signer_generate(&lg, origin, DIPR_KEY_ED25519), 0);
	assert_int_equal(dipr_signer_vkey(lg, &logvk), 0);
	assert_int_equal(dipr_cosig_verifier_from_vkey(&x, logvk, strlen(logvk)), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "log key"));
	assert_int_equal(dipr_cosig_verifier_from_vkey(&x, "x+1234", 6), DIPR_EINVAL);
	assert_int_equal(dipr_cosigner_generate(&s2, "bad name"), DIPR_EINVAL);
	free(logvk);
	dipr_signer_free(lg);
	dipr_cosig_verifier_free(v);
	free(vk);
	free(vk2);
	free(sk);
	dipr_cosigner_free(s);
	dipr_cosigner_free(s2);
}

/* ---- cosignatures ---- */

static void test_cosignature_verifies_independently(void **state)
{
	(void)state;
	dipr_cosigner *s = NULL;
	dipr_signer *lg = NULL;
	dipr_cosig_verifier *v = NULL;
	char *vk = NULL;
	dipr_buf note, lines;
	assert_int_equal(dipr_cosigner_generate(&s, "witness.example/w1"), 0);
	assert_int_equal(dipr_cosigner_vkey(s, &vk), 0);
	assert_int_equal(dipr_cosig_verifier_from_vkey(&v, vk, strlen(vk)), 0);
	assert_int_equal(dipr_signer_generate(&lg, origin, DIPR_KEY_ED25519), 0);
	signed_cp(&lg, 1, 9, NULL, &note);
	size_t tl;
	assert_int_equal(dipr_note_parse(note.p, note.n, &tl), 0);
	dipr_buf_init(&lines, 4096);
	assert_int_equal(dipr_cosig_sign(s, note.p, tl, 1679315147, &lines), 0);
	assert_int_equal(dipr_buf_add(&note, lines.p, lines.n), 0);
	uint64_t t = 0;
	assert_int_equal(dipr_cosig_verify(note.p, note.n, v, &t), 0);
	assert_int_equal(t, 1679315147);

	/* The same signature checked with OpenSSL alone: base64 of key ID ||
	 * u64be(time) || sig over "cosignature/v1\ntime T\n" || text. */
	const char *sp = strrchr((const char *)lines.p, ' ');
	uint8_t raw[128];
	size_t rn = 0;
	assert_int_equal(dipr_b64_decode(sp + 1, lines.n - (size_t)(sp + 1 - (const char *)lines.p) - 1, raw, sizeof raw, &rn), 0);
	assert_int_equal(rn, 4 + 8 + 64);
	uint64_t ts = 0;
	for (int i = 0; i < 8; i++)
		ts = ts << 8 | raw[4 + i];
	assert_int_equal(ts, 1679315147);
	char msg[512];
	int mn = snprintf(msg, sizeof msg, "cosignature/v1\ntime 1679315147\n%.*s", (int)tl, (const char *)note.p);
	const char *p2 = strchr(strchr(vk, '+') + 1, '+');
	uint8_t enc[40];
	size_t en = 0;
	assert_int_equal(dipr_b64_decode(p2 + 1, strlen(p2 + 1), enc, sizeof enc, &en), 0);
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, enc + 1, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestVerify(md, raw + 12, 64, (const uint8_t *)msg, (size_t)mn), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);

	/* Flip every byte of the cosignature line's base64: never valid. */
	size_t start = note.n - lines.n;
	for (size_t i = start + 4 + strlen("witness.example/w1 "); i + 1 < note.n; i++) {
		uint8_t saved = note.p[i];
		note.p[i] = note.p[i] == 'A' ? 'B' : 'A';
		int rc = dipr_cosig_verify(note.p, note.n, v, NULL);
		assert_true(rc != 0);
		note.p[i] = saved;
	}
	/* A changed checkpoint text fails; a note without the line is
	 * ENOTFOUND; another witness's key finds nothing. */
	note.p[strlen(origin) + 1] = '8';
	assert_int_equal(dipr_cosig_verify(note.p, note.n, v, NULL), DIPR_EVERIFY);
	note.p[strlen(origin) + 1] = '9';
	assert_int_equal(dipr_cosig_verify(note.p, note.n - lines.n, v, NULL), DIPR_ENOTFOUND);
	dipr_cosigner *other = NULL;
	dipr_cosig_verifier *ov = NULL;
	char *ovk = NULL;
	assert_int_equal(dipr_cosigner_generate(&other, "witness.example/w1"), 0); /* same name, other key */
	assert_int_equal(dipr_cosigner_vkey(other, &ovk), 0);
	assert_int_equal(dipr_cosig_verifier_from_vkey(&ov, ovk, strlen(ovk)), 0);
	assert_int_equal(dipr_cosig_verify(note.p, note.n, ov, NULL), DIPR_ENOTFOUND);
	/* The log's own verifier still accepts the note with the line. */
	char *lvk = NULL;
	dipr_verifier *lv = NULL;
	assert_int_equal(dipr_signer_vkey(lg, &lvk), 0);
	assert_int_equal(dipr_verifier_from_vkey(&lv, lvk, strlen(lvk)), 0);
	assert_int_equal(dipr_note_verify(note.p, note.n, &lv, 1, NULL), 0);

	/* dipr_witness_resp_take: keeps only valid lines of its witness */
	dipr_buf resp, got;
	dipr_buf_init(&resp, 8192);
	dipr_buf_init(&got, 8192);
	dipr_buf_adds(&resp, "\xe2\x80\x94 somebody.else AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	dipr_buf_add(&resp, lines.p, lines.n);
	assert_int_equal(dipr_witness_resp_take(resp.p, resp.n, v, note.p, tl, &got, &t), 0);
	assert_int_equal(got.n, lines.n);
	assert_memory_equal(got.p, lines.p, lines.n);
	dipr_buf_reset(&got);
	assert_int_equal(dipr_witness_resp_take(resp.p, resp.n, ov, note.p, tl, &got, &t), DIPR_EVERIFY);
	assert_int_equal(got.n, 0);
	assert_int_equal(dipr_witness_resp_take((const uint8_t *)"garbage\n", 8, v, note.p, tl, &got, &t), DIPR_EINVAL);
	assert_int_equal(dipr_witness_resp_take(lines.p, lines.n - 1, v, note.p, tl, &got, &t), DIPR_EINVAL);

	dipr_buf_free(&resp);
	dipr_buf_free(&got);
	free(lvk);
	dipr_verifier_free(lv);
	free(ovk);
	dipr_cosig_verifier_free(ov);
	dipr_cosigner_free(other);
	dipr_buf_free(&note);
	dipr_buf_free(&lines);
	dipr_cosig_verifier_free(v);
	free(vk);
	dipr_cosigner_free(s);
	dipr_signer_free(lg);
}

/* ---- add-checkpoint ---- */

static void test_request_parse(void **state)
{
	(void)state;
	dipr_signer *lg = NULL;
	dipr_buf note, body;
	dipr_witness_req r;
	make_leaves();
	assert_int_equal(dipr_signer_generate(&lg, origin, DIPR_KEY_ED25519), 0);
	signed_cp(&lg, 1, 20, NULL, &note);
	request(13, 20, &note, &body);
	assert_int_equal(dipr_witness_req_parse(body.p, body.n, &r), 0);
	assert_int_equal(r.old_size, 13);
	assert_true(r.proof_len > 0);
	assert_int_equal(r.note_len, note.n);
	assert_memory_equal(r.note, note.p, note.n);
	/* the spec's example shape; malformed variants */
	static const char *const bad[] = {
		"old 01\n\n", "old\n\n", "old -1\n\n", "Old 1\n\n", "old 1", "old 1\nAAAA\n\n",
		"old 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", /* no empty line */
		"old 9223372036854775808\n\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		dipr_buf b;
		dipr_buf_init(&b, DIPR_WITNESS_REQ_MAX);
		dipr_buf_adds(&b, bad[i]);
		dipr_buf_add(&b, note.p, note.n);
		assert_int_equal(dipr_witness_req_parse(b.p, b.n, &r), DIPR_EINVAL);
		dipr_buf_free(&b);
	}
	/* 64 proof lines: one too many */
	dipr_buf b;
	dipr_buf_init(&b, DIPR_WITNESS_REQ_MAX + 100);
	dipr_buf_adds(&b, "old 5\n");
	for (int i = 0; i < 64; i++)
		dipr_buf_adds(&b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	dipr_buf_adds(&b, "\n");
	dipr_buf_add(&b, note.p, note.n);
	assert_int_equal(dipr_witness_req_parse(b.p, b.n, &r), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "63"));
	dipr_buf_free(&b);
	/* not a signed note after the empty line */
	assert_int_equal(dipr_witness_req_parse((const uint8_t *)"old 0\n\nhello\n", 13, &r), DIPR_EINVAL);

	uint64_t sz;
	assert_int_equal(dipr_witness_size_parse((const uint8_t *)"42\n", 3, &sz), 0);
	assert_int_equal(sz, 42);
	assert_int_equal(dipr_witness_size_parse((const uint8_t *)"0\n", 2, &sz), 0);
	assert_int_equal(dipr_witness_size_parse((const uint8_t *)"042\n", 4, &sz), DIPR_EINVAL);
	assert_int_equal(dipr_witness_size_parse((const uint8_t *)"42", 2, &sz), DIPR_EINVAL);
	assert_int_equal(dipr_witness_size_parse((const uint8_t *)"42\n\n", 4, &sz), DIPR_EINVAL);
	assert_int_equal(dipr_witness_size_parse((const uint8_t *)"\n", 1, &sz), DIPR_EINVAL);
	dipr_buf_free(&note);
	dipr_buf_free(&body);
	dipr_signer_free(lg);
}

/* One request through both halves, as the witness server runs them;
 * st is updated on 200. */
static int witness_step(const dipr_witness_log *logs, size_t nlogs, dipr_witness_state *st, const dipr_buf *body,
			dipr_witness_verdict *v)
{
	dipr_witness_req req;
	assert_int_equal(dipr_witness_open(body->p, body->n, logs, nlogs, &req, v), 0);
	if (v->status)
		return v->status;
	dipr_witness_decide(&req, &logs[v->log], st, v);
	if (v->status == 200) {
		st->has = true;
		st->size = v->cp.size;
		memcpy(st->root, v->cp.root, DIPR_HASH_LEN);
	}
	return v->status;
}

static void test_witness_decisions(void **state)
{
	(void)state;
	dipr_signer *sg[2] = {0}, *impostor = NULL, *other = NULL;
	dipr_verifier *keys[2] = {0};
	dipr_witness_state st = {0};
	dipr_witness_verdict v;
	dipr_buf note, body;
	char *vk;
	make_leaves();
	assert_int_equal(dipr_signer_generate(&sg[0], origin, DIPR_KEY_ED25519), 0);
	assert_int_equal(dipr_signer_generate(&sg[1], origin, DIPR_KEY_SM2), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dipr_signer_vkey(sg[i], &vk), 0);
		assert_int_equal(dipr_verifier_from_vkey(&keys[i], vk, strlen(vk)), 0);
		free(vk);
	}
	dipr_witness_log logs[1] = {{origin, keys, 2, DIPR_HASH_SHA256}};

#define STEP(old, size, root, signers, nsig, want)                                                   \
	do {                                                                                         \
		signed_cp(signers, nsig, size, root, &note);                                         \
		request(old, size, &note, &body);                                                    \
		assert_int_equal(witness_step(logs, 1, &st, &body, &v), want);                       \
		dipr_buf_free(&note);                                                                \
		dipr_buf_free(&body);                                                                \
	} while (0)

	/* first contact: old 0, any size; an SM2 signature alone suffices */
	STEP(0, 5, NULL, sg, 2, 200);
	assert_int_equal(st.size, 5);
	/* the client does not know: old 0 again -> 409 with the size */
	STEP(0, 9, NULL, sg, 1, 409);
	assert_int_equal(v.size_for_409, 5);
	assert_false(v.fork);
	/* with the right old size and proof */
	STEP(5, 9, NULL, &sg[1], 1, 200);
	assert_int_equal(st.size, 9);
	/* the same checkpoint again: fine (no proof between equal sizes) */
	STEP(9, 9, NULL, sg, 2, 200);
	/* a second, different checkpoint of size 9: refused as a fork */
	uint8_t forged[DIPR_HASH_LEN];
	root_of(9, forged);
	forged[0] ^= 1;
	STEP(9, 9, forged, sg, 2, 409);
	assert_true(v.fork);
	assert_int_equal(v.size_for_409, 9);
	assert_int_equal(st.size, 9);
	/* a bigger tree whose proof cannot connect to what was cosigned */
	STEP(9, 20, forged, sg, 2, 422);
	assert_true(v.fork);
	/* old above the size: 400; an unknown origin: 404 */
	STEP(20, 9, NULL, sg, 2, 400);
	assert_int_equal(dipr_signer_generate(&other, "other.example/log", DIPR_KEY_ED25519), 0);
	{
		dipr_checkpoint c = {.size = 1};
		dipr_buf text;
		snprintf(c.origin, sizeof c.origin, "other.example/log");
		root_of(1, c.root);
		dipr_buf_init(&text, 4096);
		dipr_buf_init(&note, DIPR_NOTE_MAX);
		dipr_checkpoint_format(&c, &text);
		assert_int_equal(dipr_note_sign(text.p, text.n, &other, 1, &note), 0);
		request(0, 1, &note, &body);
		assert_int_equal(witness_step(logs, 1, &st, &body, &v), 404);
		dipr_buf_free(&text);
		dipr_buf_free(&note);
		dipr_buf_free(&body);
	}
	/* signed by a key of the same name that is not trusted: 403 */
	assert_int_equal(dipr_signer_generate(&impostor, origin, DIPR_KEY_ED25519), 0);
	STEP(9, 20, NULL, &impostor, 1, 403);
	/* a trusted key's line that does not verify: 403, even next to a
	 * good one (the Ed25519 line re-encoded with one signature bit
	 * flipped, the SM2 line intact) */
	{
		dipr_buf ed, sm, fixed;
		size_t tl;
		signed_cp(&sg[0], 1, 20, NULL, &ed);
		signed_cp(&sg[1], 1, 20, NULL, &sm);
		assert_int_equal(dipr_note_parse(ed.p, ed.n, &tl), 0);
		const char *b64 = (const char *)ed.p + tl + 1 + 4 + strlen(origin) + 1;
		uint8_t raw[80];
		size_t rn = 0;
		assert_int_equal(dipr_b64_decode(b64, ed.n - (size_t)(b64 - (const char *)ed.p) - 1, raw, sizeof raw, &rn), 0);
		raw[10] ^= 1;
		dipr_buf_init(&fixed, DIPR_NOTE_MAX);
		dipr_buf_add(&fixed, ed.p, tl + 1 + 4 + strlen(origin) + 1);
		dipr_b64_encode(raw, rn, &fixed);
		dipr_buf_add(&fixed, "\n", 1);
		dipr_buf_add(&fixed, sm.p + tl + 1, sm.n - tl - 1); /* the SM2 line */
		assert_int_equal(dipr_note_parse(fixed.p, fixed.n, NULL), 0);
		request(9, 20, &fixed, &body);
		assert_int_equal(witness_step(logs, 1, &st, &body, &v), 403);
		assert_non_null(strstr(v.reason, "does not verify"));
		dipr_buf_free(&body);
		/* without the bad line the same note is fine */
		request(9, 20, &sm, &body);
		dipr_witness_state copy = st;
		assert_int_equal(witness_step(logs, 1, &copy, &body, &v), 200);
		dipr_buf_free(&body);
		dipr_buf_free(&ed);
		dipr_buf_free(&sm);
		dipr_buf_free(&fixed);
	}
	/* a non-empty proof from size 0 (a fresh state) is 422 */
	{
		dipr_witness_state fresh = {0};
		dipr_witness_req req;
		signed_cp(sg, 2, 20, NULL, &note);
		request(9, 20, &note, &body);
		body.p[4] = '0'; /* "old 9" -> "old 0", proof kept */
		assert_int_equal(dipr_witness_open(body.p, body.n, logs, 1, &req, &v), 0);
		assert_int_equal(v.status, 0);
		dipr_witness_decide(&req, &logs[0], &fresh, &v);
		assert_int_equal(v.status, 422);
		dipr_buf_free(&note);
		dipr_buf_free(&body);
	}
	/* and the honest continuation still works after all the refusals */
	STEP(9, 64, NULL, sg, 2, 200);
	assert_int_equal(st.size, 64);
	/* a malformed body: 400 */
	dipr_buf_init(&body, 64);
	dipr_buf_adds(&body, "old x\n\n");
	assert_int_equal(witness_step(logs, 1, &st, &body, &v), 400);
	dipr_buf_free(&body);
#undef STEP
	for (int i = 0; i < 2; i++) {
		dipr_signer_free(sg[i]);
		dipr_verifier_free(keys[i]);
	}
	dipr_signer_free(impostor);
	dipr_signer_free(other);
}

/* Every proof between every pair of sizes up to 40 leads to 200, and each
 * byte flipped in any proof hash to 422 (the core of fork detection). */
static void test_every_consistency_step(void **state)
{
	(void)state;
	dipr_signer *sg = NULL;
	dipr_verifier *key = NULL;
	char *vk;
	make_leaves();
	assert_int_equal(dipr_signer_generate(&sg, origin, DIPR_KEY_ED25519), 0);
	assert_int_equal(dipr_signer_vkey(sg, &vk), 0);
	assert_int_equal(dipr_verifier_from_vkey(&key, vk, strlen(vk)), 0);
	free(vk);
	dipr_witness_log logs[1] = {{origin, &key, 1, DIPR_HASH_SHA256}};
	for (uint64_t a = 1; a <= 40; a += 3) {
		for (uint64_t b = a + 1; b <= 40; b += 5) {
			dipr_buf note, body;
			dipr_witness_state st = {true, a, {0}};
			dipr_witness_verdict v;
			dipr_witness_req req;
			root_of(a, st.root);
			signed_cp(&sg, 1, b, NULL, &note);
			request(a, b, &note, &body);
			assert_int_equal(dipr_witness_open(body.p, body.n, logs, 1, &req, &v), 0);
			dipr_witness_decide(&req, &logs[0], &st, &v);
			assert_int_equal(v.status, 200);
			for (size_t h = 0; h < req.proof_len; h++) {
				req.proof[h][h % 32] ^= 0x80;
				dipr_witness_decide(&req, &logs[0], &st, &v);
				assert_int_equal(v.status, 422);
				req.proof[h][h % 32] ^= 0x80;
			}
			dipr_buf_free(&note);
			dipr_buf_free(&body);
		}
	}
	dipr_verifier_free(key);
	dipr_signer_free(sg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_round_trip_and_key_id),
		cmocka_unit_test(test_cosignature_verifies_independently),
		cmocka_unit_test(test_request_parse),
		cmocka_unit_test(test_witness_decisions),
		cmocka_unit_test(test_every_consistency_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
