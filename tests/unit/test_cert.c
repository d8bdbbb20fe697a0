/* test_cert.c — the registration certificate file (lib/cert.c): body rules,
 * canonical bytes, the log entry, signing, strict parse, and offline
 * verification against a small log built here (leaf hashes, root and
 * inclusion proofs through lib/merkle.c, checkpoint signed with
 * dipr_note_sign, receipt made with dipr_tlog_proof_encode).
 *
 * With DIPR_CERT_SEEDS=DIR set, also writes the fuzz seed corpus (signed
 * with the fixed keys that tests/fuzz/fuzz_cert.c trusts) into DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "jcs.h"
#include "dipr/cert.h"
#include "dipr/merkle.h"
#include "dipr/note.h"

#define H DIPR_HASH_LEN

static const char origin[] = "registry.example.cn/dipr/test";

/* Fresh keys for the whole run (group setup). */
static dipr_signer *ed, *sm2, *ed_other;
static dipr_verifier *ved, *vsm2, *ved_other;
static dipr_signer *log_signers[2];
static dipr_verifier *log_verifiers[2];

static const char hex_a[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char hex_b[] = "2222222222222222222222222222222222222222222222222222222222222222";
static const char hex_c[] = "3333333333333333333333333333333333333333333333333333333333333333";

static void make_body(dipr_cert_body *b, const char *certno)
{
	memset(b, 0, sizeof *b);
	snprintf(b->certno, sizeof b->certno, "%s", certno);
	snprintf(b->regno, sizeof b->regno, "2026110000000427");
	snprintf(b->data_name, sizeof b->data_name, "天津港集装箱物流数据集 v2");
	snprintf(b->holder_name, sizeof b->holder_name, "天津示例科技有限公司");
	snprintf(b->holder_id, sizeof b->holder_id, "91120116MA05T6XK37");
	snprintf(b->industry, sizeof b->industry, "交通运输");
	snprintf(b->source_type, sizeof b->source_type, "自行采集");
	snprintf(b->scenario, sizeof b->scenario, "港口物流调度优化");
	b->scale_records = 1200000;
	b->scale_bytes = 734003200;
	snprintf(b->registered, sizeof b->registered, "2026-05-10");
	snprintf(b->valid_until, sizeof b->valid_until, "2029-05-09");
	b->nevidence = 2;
	b->evidence[0].index = 7;
	b->evidence[0].has_sha256 = b->evidence[0].has_sm3 = true;
	dipr_hex_decode(hex_a, 64, b->evidence[0].sha256, H);
	dipr_hex_decode(hex_b, 64, b->evidence[0].sm3, H);
	b->evidence[1].index = 12;
	b->evidence[1].has_sm3 = true;
	dipr_hex_decode(hex_c, 64, b->evidence[1].sm3, H);
	snprintf(b->issuer, sizeof b->issuer, "天津市数据知识产权登记机构");
	snprintf(b->record_url, sizeof b->record_url, "https://registry.example.cn/r/2026110000000427");
}

/* ---- a small log ----------------------------------------------------- */

typedef struct {
	dipr_hash_alg alg;
	uint8_t leaves[16][H];
	size_t n;
} tree;

/* Node (level, index) = the perfect root over its leaves. */
static int tree_read(void *ctx, const dipr_node_id *ids, size_t n, uint8_t (*out)[H])
{
	tree *t = ctx;
	for (size_t i = 0; i < n; i++) {
		size_t start = (size_t)ids[i].index << ids[i].level, count = (size_t)1 << ids[i].level;
		assert_true(start + count <= t->n);
		dipr_merkle_perfect_root(t->alg, (const uint8_t(*)[H])t->leaves + start, count, out[i]);
	}
	return 0;
}

/* The logged form of an entry made without "time". */
static void add_time(const dipr_buf *e, int64_t t, dipr_buf *out)
{
	json_t *v = NULL;
	assert_int_equal(dipr__json_parse(e->p, e->n, 8, "entry", &v), 0);
	assert_int_equal(json_object_set_new(v, "time", json_integer(t)), 0);
	dipr_buf_init(out, 65536);
	assert_int_equal(dipr__jcs_encode(v, out), 0);
	json_decref(v);
}

/* A tlog-proof of entries[idx] in the tree of all n entries, signed by
 * signers under name. */
static void make_proof(dipr_hash_alg alg, const dipr_buf *entries, size_t n, size_t idx,
		       dipr_signer *const *signers, size_t nsigners, const char *name, dipr_buf *out)
{
	tree t = {.alg = alg, .n = n};
	dipr_hash_reader r = {tree_read, &t};
	dipr_checkpoint cp = {.size = n};
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][H];
	size_t plen;
	dipr_buf text, note;
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		dipr_merkle_leaf_hash(alg, entries[i].p, entries[i].n, t.leaves[i]);
	snprintf(cp.origin, sizeof cp.origin, "%s", name);
	assert_int_equal(dipr_merkle_root(alg, n, &r, cp.root), 0);
	assert_int_equal(dipr_merkle_prove_inclusion(alg, idx, n, &r, proof, &plen), 0);
	dipr_buf_init(&text, 4096);
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	assert_int_equal(dipr_checkpoint_format(&cp, &text), 0);
	assert_int_equal(dipr_note_sign(text.p, text.n, signers, nsigners, &note), 0);
	dipr_buf_init(out, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_tlog_proof_encode(entries[idx].p, entries[idx].n, true, idx,
						(const uint8_t(*)[H])proof, plen, note.p, note.n, out), 0);
	dipr_buf_free(&text);
	dipr_buf_free(&note);
}

/* A log of four entries: an evidence entry, the certificates of b1 and b2
 * (b2 may be NULL: then another evidence entry), and one more.  Fills
 * proofs of entry 1 (b1) and entry 2 (b2, if given). */
static void make_log(dipr_hash_alg alg, const dipr_cert_body *b1, const dipr_cert_body *b2,
		     dipr_signer *const *signers, size_t nsigners, dipr_buf *p1, dipr_buf *p2)
{
	static const char ev0[] = "{\"digests\":{\"sm3\":\"aa\"},\"size\":1,\"time\":1,\"type\":\"evidence\",\"v\":1}";
	static const char ev3[] = "{\"digests\":{\"sm3\":\"bb\"},\"size\":2,\"time\":9,\"type\":\"evidence\",\"v\":1}";
	dipr_buf e[4], raw;
	dipr_buf_init(&e[0], 256);
	assert_int_equal(dipr_buf_adds(&e[0], ev0), 0);
	dipr_buf_init(&raw, 4096);
	assert_int_equal(dipr_cert_entry(b1, &raw), 0);
	add_time(&raw, 1778400000000, &e[1]);
	if (b2) {
		dipr_buf_reset(&raw);
		assert_int_equal(dipr_cert_entry(b2, &raw), 0);
		add_time(&raw, 1778400000001, &e[2]);
	} else {
		dipr_buf_init(&e[2], 256);
		assert_int_equal(dipr_buf_adds(&e[2], ev3), 0);
	}
	dipr_buf_init(&e[3], 256);
	assert_int_equal(dipr_buf_adds(&e[3], ev3), 0);
	make_proof(alg, e, 4, 1, signers, nsigners, origin, p1);
	if (b2 && p2)
		make_proof(alg, e, 4, 2, signers, nsigners, origin, p2);
	for (size_t i = 0; i < 4; i++)
		dipr_buf_free(&e[i]);
	dipr_buf_free(&raw);
}

/* A complete certificate for body b in a log of tree hash alg. */
static void issue(dipr_cert *c, const dipr_cert_body *b, dipr_hash_alg alg)
{
	dipr_buf p;
	memset(c, 0, sizeof *c);
	c->body = *b;
	assert_int_equal(dipr_cert_sign(c, log_signers, 2), 0);
	make_log(alg, b, NULL, log_signers, 2, &p, NULL);
	assert_int_equal(dipr_cert_set_tlog_proof(c, p.p, p.n), 0);
	dipr_buf_free(&p);
}

static void encode(const dipr_cert *c, dipr_buf *out)
{
	dipr_buf_init(out, DIPR_CERT_MAX);
	assert_int_equal(dipr_cert_encode(c, out), 0);
}

static int verify(const dipr_cert *c)
{
	return dipr_cert_verify(c, log_verifiers, 2, NULL, 0, NULL);
}

static void expect_fail(const dipr_cert *c, const char *detail)
{
	assert_int_equal(verify(c), DIPR_EVERIFY);
	if (!strstr(dipr_errdetail(), detail))
		fail_msg("detail \"%s\" does not mention \"%s\"", dipr_errdetail(), detail);
}

/* ---- tests ------------------------------------------------------------ */

static void body_canonical_bytes_are_known(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_buf out;
	make_body(&b, "20260512000000042");
	dipr_buf_init(&out, 65536);
	assert_int_equal(dipr_cert_body_encode(&b, &out), 0);
	/* Written out by hand from RFC 8785 §3.2.3: members sorted
	 * (record_url < registered < regno, v < valid_until), no spaces. */
	char want[4096];
	snprintf(want, sizeof want,
		 "{\"certno\":\"20260512000000042\",\"data_name\":\"天津港集装箱物流数据集 v2\","
		 "\"evidence\":[{\"digests\":{\"sha256\":\"%s\",\"sm3\":\"%s\"},\"index\":7},"
		 "{\"digests\":{\"sm3\":\"%s\"},\"index\":12}],"
		 "\"holder\":{\"id\":\"91120116MA05T6XK37\",\"name\":\"天津示例科技有限公司\"},"
		 "\"industry\":\"交通运输\",\"issuer\":\"天津市数据知识产权登记机构\","
		 "\"record_url\":\"https://registry.example.cn/r/2026110000000427\","
		 "\"registered\":\"2026-05-10\",\"regno\":\"2026110000000427\","
		 "\"scale\":{\"bytes\":734003200,\"records\":1200000},\"scenario\":\"港口物流调度优化\","
		 "\"source_type\":\"自行采集\",\"v\":1,\"valid_until\":\"2029-05-09\"}",
		 hex_a, hex_b, hex_c);
	assert_string_equal((const char *)out.p, want);

	/* The body parses back to the same value. */
	dipr_cert_body back;
	assert_int_equal(dipr_cert_body_parse(out.p, out.n, &back), 0);
	dipr_buf again;
	dipr_buf_init(&again, 65536);
	assert_int_equal(dipr_cert_body_encode(&back, &again), 0);
	assert_string_equal((const char *)again.p, want);

	/* cert_hash = SHA-256 and SM3 of exactly those bytes. */
	uint8_t s1[H], s2[H], w1[H], w2[H];
	assert_int_equal(dipr_cert_body_hashes(&b, s1, s2), 0);
	assert_int_equal(dipr_hash(DIPR_HASH_SHA256, want, strlen(want), w1), 0);
	assert_int_equal(dipr_hash(DIPR_HASH_SM3, want, strlen(want), w2), 0);
	assert_memory_equal(s1, w1, H);
	assert_memory_equal(s2, w2, H);
	dipr_buf_free(&out);
	dipr_buf_free(&again);
}

static void entry_is_canonical_without_time(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_buf out;
	uint8_t h1[H], h2[H];
	char x1[65], x2[65], want[512];
	make_body(&b, "20260512000000042");
	assert_int_equal(dipr_cert_body_hashes(&b, h1, h2), 0);
	dipr_hex_encode(h1, H, x1);
	dipr_hex_encode(h2, H, x2);
	snprintf(want, sizeof want,
		 "{\"cert_hash\":{\"sha256\":\"%s\",\"sm3\":\"%s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"type\":\"certificate\",\"v\":1}", x1, x2);
	dipr_buf_init(&out, 4096);
	assert_int_equal(dipr_buf_adds(&out, "keep:"), 0);
	assert_int_equal(dipr_cert_entry(&b, &out), 0);
	assert_int_equal(strncmp((const char *)out.p, "keep:", 5), 0);
	assert_string_equal((const char *)out.p + 5, want);

	/* The logged form (with time) matches; without time it does not. */
	dipr_buf raw, logged;
	dipr_buf_init(&raw, 4096);
	assert_int_equal(dipr_cert_entry(&b, &raw), 0);
	add_time(&raw, 1778400000000, &logged);
	int64_t t = -1;
	assert_int_equal(dipr_cert_entry_match(&b, logged.p, logged.n, &t), 0);
	assert_true(t == 1778400000000);
	assert_int_equal(dipr_cert_entry_match(&b, raw.p, raw.n, NULL), DIPR_EVERIFY);

	/* An invalid body has no entry, and out is left as it was. */
	size_t before = out.n;
	b.certno[3] = 'x';
	assert_int_equal(dipr_cert_entry(&b, &out), DIPR_EINVAL);
	assert_int_equal(out.n, before);
	assert_non_null(strstr(dipr_errdetail(), "certificate.certno"));
	dipr_buf_free(&out);
	dipr_buf_free(&raw);
	dipr_buf_free(&logged);
}

static void issued_certificate_round_trips_and_verifies(void **st)
{
	(void)st;
	static const dipr_hash_alg algs[] = {DIPR_HASH_SHA256, DIPR_HASH_SM3};
	for (size_t a = 0; a < 2; a++) {
		dipr_cert_body b;
		dipr_cert c, d;
		dipr_buf f1, f2;
		dipr_cert_verified info;
		make_body(&b, "20260512000000042");
		issue(&c, &b, algs[a]);
		assert_int_equal(c.nsigs, 2);
		assert_int_equal(dipr_cert_verify(&c, log_verifiers, 2, NULL, 0, &info), 0);
		assert_int_equal(info.index, 1);
		assert_true(info.time == 1778400000000);
		assert_int_equal(info.tree_alg, algs[a]);
		assert_int_equal(info.cp.size, 4);
		assert_string_equal(info.cp.origin, origin);
		/* told the right tree hash: ok; the wrong one: fails */
		assert_int_equal(dipr_cert_verify(&c, log_verifiers, 2, origin, algs[a], NULL), 0);
		assert_int_equal(dipr_cert_verify(&c, log_verifiers, 2, NULL, algs[1 - a], NULL), DIPR_EVERIFY);
		/* each key alone is enough when only it is trusted */
		assert_int_equal(dipr_cert_verify(&c, &ved, 1, NULL, 0, NULL), 0);
		assert_int_equal(dipr_cert_verify(&c, &vsm2, 1, NULL, 0, NULL), 0);

		encode(&c, &f1);
		assert_int_equal(f1.p[f1.n - 1], '\n');
		assert_int_equal(dipr_cert_parse(f1.p, f1.n, &d), 0);
		assert_memory_equal(&d.body, &c.body, sizeof c.body);
		assert_int_equal(d.nsigs, 2);
		assert_string_equal(d.sigs[0], c.sigs[0]);
		assert_string_equal(d.sigs[1], c.sigs[1]);
		assert_string_equal(d.tlog_proof, c.tlog_proof);
		assert_int_equal(verify(&d), 0);
		encode(&d, &f2);
		assert_int_equal(f1.n, f2.n);
		assert_memory_equal(f1.p, f2.p, f1.n);

		/* The file is canonical JSON: one line, sorted members. */
		assert_ptr_equal(memchr(f1.p, '\n', f1.n), f1.p + f1.n - 1);
		assert_int_equal(strncmp((const char *)f1.p, "{\"certificate\":{\"certno\":", 25), 0);
		assert_non_null(strstr((const char *)f1.p, "],\"tlog_proof\":\"c2sp.org/tlog-proof@v1\\nextra "));
		dipr_cert_free(&c);
		dipr_cert_free(&d);
		dipr_buf_free(&f1);
		dipr_buf_free(&f2);
	}
}

static void pretty_printed_file_verifies_the_same(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_cert c, d;
	dipr_buf f;
	make_body(&b, "20260512000000042");
	issue(&c, &b, DIPR_HASH_SHA256);
	encode(&c, &f);
	/* Re-indent the file: the signatures cover the canonical body, not the
	 * file's spelling. */
	json_t *v = json_loadb((const char *)f.p, f.n, 0, NULL);
	assert_non_null(v);
	char *pretty = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_non_null(pretty);
	assert_int_equal(dipr_cert_parse((const uint8_t *)pretty, strlen(pretty), &d), 0);
	assert_int_equal(verify(&d), 0);
	free(pretty);
	json_decref(v);
	dipr_cert_free(&c);
	dipr_cert_free(&d);
	dipr_buf_free(&f);
}

/* Changes the k-th leaf value below v (in iteration order) so that it is
 * still well formed; returns true when it did. */
static bool mutate_leaf(json_t *v, int *k, char *path, size_t cap)
{
	size_t len = strlen(path);
	if (json_is_object(v)) {
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x) {
			snprintf(path + len, cap - len, ".%s", key);
			if (mutate_leaf(x, k, path, cap))
				return true;
		}
		path[len] = 0;
		return false;
	}
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			snprintf(path + len, cap - len, "[%zu]", i);
			if (mutate_leaf(json_array_get(v, i), k, path, cap))
				return true;
		}
		path[len] = 0;
		return false;
	}
	if ((*k)-- != 0)
		return false;
	if (json_is_integer(v)) {
		json_integer_set(v, json_integer_value(v) + 1);
		return true;
	}
	char s[1024];
	snprintf(s, sizeof s, "%s", json_string_value(v));
	size_t n = strlen(s);
	char *c = &s[n - 1];
	if (*c == '9') *c = '8';
	else if (*c >= '0' && *c <= '8') (*c)++;
	else if (*c == 'f') *c = 'a';          /* hex stays hex */
	else if ((*c >= 'a' && *c < 'z') || (*c >= 'A' && *c < 'Z')) (*c)++;
	else if (*c == 'z' || *c == 'Z') (*c)--;
	else snprintf(s + n, sizeof s - n, "A");
	json_string_set(v, s);
	return true;
}

static void changing_any_body_value_fails(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_cert c;
	dipr_buf f;
	int changed = 0;
	make_body(&b, "20260512000000042");
	issue(&c, &b, DIPR_HASH_SHA256);
	encode(&c, &f);
	for (int k = 0;; k++) {
		json_t *doc = json_loadb((const char *)f.p, f.n, 0, NULL);
		char path[256] = "certificate";
		int left = k;
		dipr_buf g;
		dipr_cert d;
		assert_non_null(doc);
		if (!mutate_leaf(json_object_get(doc, "certificate"), &left, path, sizeof path)) {
			json_decref(doc);
			break;
		}
		dipr_buf_init(&g, DIPR_CERT_MAX);
		assert_int_equal(dipr__jcs_encode(doc, &g), 0);
		int rc = dipr_cert_parse(g.p, g.n, &d);
		if (strcmp(path, "certificate.v") == 0) {
			/* v is fixed at 1: a change does not even parse */
			assert_int_equal(rc, DIPR_EINVAL);
		} else {
			if (rc)
				fail_msg("%s: changed file does not parse: %s", path, dipr_errdetail());
			assert_memory_not_equal(&d.body, &c.body, sizeof c.body);
			if (verify(&d) != DIPR_EVERIFY)
				fail_msg("%s: changed body still verifies", path);
			assert_non_null(strstr(dipr_errdetail(), "signatures[0]"));
		}
		changed++;
		dipr_cert_free(&d);
		dipr_buf_free(&g);
		json_decref(doc);
	}
	/* v certno regno data_name holder.{name,id} industry source_type
	 * scenario scale.{records,bytes} registered valid_until
	 * evidence[0].{index,sha256,sm3} evidence[1].{index,sm3} issuer
	 * record_url */
	assert_int_equal(changed, 20);

	/* Structural changes: drop an evidence item, drop one digest,
	 * reorder the evidence.  Each still parses and fails to verify. */
	for (int m = 0; m < 3; m++) {
		json_t *doc = json_loadb((const char *)f.p, f.n, 0, NULL);
		json_t *ev = json_object_get(json_object_get(doc, "certificate"), "evidence");
		dipr_buf g;
		dipr_cert d;
		if (m == 0)
			json_array_remove(ev, 1);
		else if (m == 1)
			json_object_del(json_object_get(json_array_get(ev, 0), "digests"), "sha256");
		else {
			json_array_append(ev, json_array_get(ev, 0));
			json_array_remove(ev, 0);
		}
		dipr_buf_init(&g, DIPR_CERT_MAX);
		assert_int_equal(dipr__jcs_encode(doc, &g), 0);
		assert_int_equal(dipr_cert_parse(g.p, g.n, &d), 0);
		expect_fail(&d, "does not verify over the certificate body");
		dipr_cert_free(&d);
		dipr_buf_free(&g);
		json_decref(doc);
	}
	dipr_cert_free(&c);
	dipr_buf_free(&f);
}

static void resigned_body_with_old_proof_fails_on_the_entry(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_cert c;
	make_body(&b, "20260512000000042");
	issue(&c, &b, DIPR_HASH_SM3);

	/* Same numbers, other content, signed by the real keys: only the log
	 * entry's cert_hash catches it. */
	dipr_cert d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	d.nsigs = 0;
	snprintf(d.body.data_name, sizeof d.body.data_name, "另一个数据集");
	assert_int_equal(dipr_cert_sign(&d, log_signers, 2), 0);
	expect_fail(&d, "cert_hash.sha256 is not the SHA-256 of the certificate body");
	dipr_cert_free(&d);

	/* Another certificate number: the entry's certno differs. */
	d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	d.nsigs = 0;
	snprintf(d.body.certno, sizeof d.body.certno, "20260512000000043");
	assert_int_equal(dipr_cert_sign(&d, log_signers, 2), 0);
	expect_fail(&d, "log entry: certno \"20260512000000042\" is not the certificate's 20260512000000043");
	dipr_cert_free(&d);

	d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	d.nsigs = 0;
	snprintf(d.body.regno, sizeof d.body.regno, "202611000000042X");
	assert_int_equal(dipr_cert_sign(&d, log_signers, 2), 0);
	expect_fail(&d, "log entry: regno");
	dipr_cert_free(&d);
	dipr_cert_free(&c);
}

static void wrong_or_missing_keys_fail(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_cert c, d;
	make_body(&b, "20260512000000042");
	issue(&c, &b, DIPR_HASH_SHA256);

	/* A different key of the same name and type. */
	dipr_verifier *wrong[2] = {ved_other, vsm2};
	assert_int_equal(dipr_cert_verify(&c, wrong, 2, NULL, 0, NULL), DIPR_EVERIFY);
	assert_non_null(strstr(dipr_errdetail(), "no signature from key"));

	/* Only the Ed25519 line: the SM2 key's signature is missing. */
	d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	d.nsigs = 0;
	assert_int_equal(dipr_cert_sign(&d, &ed, 1), 0);
	expect_fail(&d, "no signature from key");
	assert_int_equal(dipr_cert_verify(&d, &ved, 1, NULL, 0, NULL), 0);
	dipr_cert_free(&d);

	/* Signed by a stranger (same name, other key): its line is ignored,
	 * so the trusted keys' signatures are missing. */
	d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	d.nsigs = 0;
	assert_int_equal(dipr_cert_sign(&d, &ed_other, 1), 0);
	expect_fail(&d, "no signature from key");
	dipr_cert_free(&d);

	/* Lines of unknown keys are ignored when the trusted ones are there. */
	d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	assert_int_equal(dipr_cert_sign(&d, &ed_other, 1), 0);
	assert_int_equal(d.nsigs, 3);
	assert_int_equal(verify(&d), 0);
	dipr_cert_free(&d);

	/* A second, bad line of a trusted key fails the certificate even
	 * though its good line is present (dipr_note_verify's rule). */
	d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	memcpy(d.sigs[2], c.sigs[0], sizeof c.sigs[0]);
	size_t n = strlen(d.sigs[2]);
	d.sigs[2][n - 3] = d.sigs[2][n - 3] == 'A' ? 'B' : 'A';
	d.nsigs = 3;
	expect_fail(&d, "signatures[2]");
	dipr_cert_free(&d);

	/* The log's keys under another name: origin and key names differ. */
	dipr_signer *s2[2];
	dipr_verifier *v2[2];
	char *vk;
	assert_int_equal(dipr_signer_generate(&s2[0], "other.example/log", DIPR_KEY_ED25519), 0);
	assert_int_equal(dipr_signer_generate(&s2[1], "other.example/log", DIPR_KEY_SM2), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dipr_signer_vkey(s2[i], &vk), 0);
		assert_int_equal(dipr_verifier_from_vkey(&v2[i], vk, strlen(vk)), 0);
		free(vk);
	}
	assert_int_equal(dipr_cert_verify(&c, v2, 2, NULL, 0, NULL), DIPR_EVERIFY);
	/* Body signed by the other keys but the proof from our log. */
	d = c;
	d.tlog_proof = strdup(c.tlog_proof);
	d.nsigs = 0;
	assert_int_equal(dipr_cert_sign(&d, s2, 2), 0);
	assert_int_equal(dipr_cert_verify(&d, v2, 2, NULL, 0, NULL), DIPR_EVERIFY);
	assert_non_null(strstr(dipr_errdetail(), "tlog-proof: checkpoint"));
	dipr_cert_free(&d);
	for (int i = 0; i < 2; i++) {
		dipr_signer_free(s2[i]);
		dipr_verifier_free(v2[i]);
	}

	/* API misuse is not a verification answer. */
	assert_int_equal(dipr_cert_verify(&c, log_verifiers, 0, NULL, 0, NULL), DIPR_EINVAL);
	dipr_verifier *nul[1] = {NULL};
	assert_int_equal(dipr_cert_verify(&c, nul, 1, NULL, 0, NULL), DIPR_EINVAL);
	assert_int_equal(dipr_cert_verify(&c, log_verifiers, 2, NULL, 7, NULL), DIPR_EINVAL);
	/* A wrong expected origin. */
	assert_int_equal(dipr_cert_verify(&c, log_verifiers, 2, "elsewhere.example/log", 0, NULL), DIPR_EVERIFY);
	dipr_cert_free(&c);
}

static void swapped_or_broken_proofs_fail(void **st)
{
	(void)st;
	dipr_cert_body b1, b2;
	dipr_cert c1, c2;
	dipr_buf p1, p2;
	make_body(&b1, "20260512000000042");
	make_body(&b2, "20260512000000043");
	snprintf(b2.regno, sizeof b2.regno, "2026110000000435");
	memset(&c1, 0, sizeof c1);
	memset(&c2, 0, sizeof c2);
	c1.body = b1;
	c2.body = b2;
	assert_int_equal(dipr_cert_sign(&c1, log_signers, 2), 0);
	assert_int_equal(dipr_cert_sign(&c2, log_signers, 2), 0);
	make_log(DIPR_HASH_SHA256, &b1, &b2, log_signers, 2, &p1, &p2);
	assert_int_equal(dipr_cert_set_tlog_proof(&c1, p1.p, p1.n), 0);
	assert_int_equal(dipr_cert_set_tlog_proof(&c2, p2.p, p2.n), 0);
	assert_int_equal(verify(&c1), 0);
	assert_int_equal(verify(&c2), 0);

	/* Swap the receipts: each proves the other certificate's entry. */
	assert_int_equal(dipr_cert_set_tlog_proof(&c1, p2.p, p2.n), 0);
	expect_fail(&c1, "log entry: certno");

	/* A proof with a flipped hash byte, or a checkpoint signed by a
	 * stranger, fails in the tlog-proof step. */
	dipr_tlog_proof tp;
	dipr_buf q;
	assert_int_equal(dipr_tlog_proof_parse(p1.p, p1.n, &tp), 0);
	tp.proof[5] ^= 1;
	dipr_buf_init(&q, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_tlog_proof_encode(tp.extra, tp.extra_len, true, tp.index,
						(const uint8_t(*)[H])tp.proof, tp.proof_len, tp.note,
						tp.note_len, &q), 0);
	assert_int_equal(dipr_cert_set_tlog_proof(&c1, q.p, q.n), 0);
	expect_fail(&c1, "tlog-proof");
	dipr_tlog_proof_free(&tp);
	dipr_buf_free(&q);

	dipr_signer *stranger[2] = {ed_other, sm2};
	make_log(DIPR_HASH_SHA256, &b1, NULL, stranger, 2, &q, NULL);
	assert_int_equal(dipr_cert_set_tlog_proof(&c1, q.p, q.n), 0);
	expect_fail(&c1, "checkpoint");
	dipr_buf_free(&q);

	/* A checkpoint signed by one of the two log keys only. */
	make_log(DIPR_HASH_SHA256, &b1, NULL, &sm2, 1, &q, NULL);
	assert_int_equal(dipr_cert_set_tlog_proof(&c1, q.p, q.n), 0);
	expect_fail(&c1, "no signature from trusted key");
	assert_int_equal(dipr_cert_verify(&c1, &vsm2, 1, NULL, 0, NULL), 0);
	dipr_buf_free(&q);

	dipr_cert_free(&c1);
	dipr_cert_free(&c2);
	dipr_buf_free(&p1);
	dipr_buf_free(&p2);
}

/* A receipt for a hand-made entry at index 0 of a one-leaf log. */
static void receipt_for(const char *entry, dipr_buf *out)
{
	dipr_buf e;
	dipr_buf_init(&e, 4096);
	assert_int_equal(dipr_buf_adds(&e, entry), 0);
	make_proof(DIPR_HASH_SHA256, &e, 1, 0, log_signers, 2, origin, out);
	dipr_buf_free(&e);
}

static void entry_must_be_exactly_this_certificate(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_cert c;
	uint8_t h1[H], h2[H];
	char x1[65], x2[65], bad[65], e[1024];
	make_body(&b, "20260512000000042");
	memset(&c, 0, sizeof c);
	c.body = b;
	assert_int_equal(dipr_cert_sign(&c, log_signers, 2), 0);
	assert_int_equal(dipr_cert_body_hashes(&b, h1, h2), 0);
	dipr_hex_encode(h1, H, x1);
	dipr_hex_encode(h2, H, x2);
	memcpy(bad, x2, sizeof bad);
	bad[0] = bad[0] == '0' ? '1' : '0';
	static const struct {
		const char *fmt; /* %1$s sha256, %2$s sm3, %3$s a wrong hash */
		const char *detail;
	} cases[] = {
		/* the right entry in a one-leaf log (index 0, no proof hashes) */
		{"{\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":1}", NULL},
		{"{\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%3$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":1}",
		 "cert_hash.sm3 is not the SM3"},
		{"{\"cert_hash\":{\"sha256\":\"%3$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":1}",
		 "cert_hash.sha256"},
		{"{\"cert_hash\":{\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":1}",
		 "cert_hash: expected {sha256, sm3}"},
		{"{\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"type\":\"certificate\",\"v\":1}", "time"},
		{"{\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"registration\",\"v\":1}",
		 "type is \"registration\""},
		{"{\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":2}", "v: expected 1"},
		{"{\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"extra\":1,\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":1}",
		 "unknown member \"extra\""},
		{"{\"certno\":\"20260512000000042\",\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},"
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":1}", "canonical"},
		{"{\"cert_hash\": {\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"regno\":\"2026110000000427\",\"time\":5,\"type\":\"certificate\",\"v\":1}", "canonical"},
		{"{\"cert_hash\":{\"sha256\":\"%1$s\",\"sm3\":\"%2$s\"},\"certno\":\"20260512000000042\","
		 "\"time\":5,\"type\":\"certificate\",\"v\":1}", "log entry: regno"},
		{"[\"certificate\"]", "log entry: expected a JSON object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dipr_buf r;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(e, sizeof e, cases[i].fmt, x1, x2, bad);
#pragma GCC diagnostic pop
		receipt_for(e, &r);
		assert_int_equal(dipr_cert_set_tlog_proof(&c, r.p, r.n), 0);
		if (!cases[i].detail) {
			assert_int_equal(verify(&c), 0);
		} else {
			expect_fail(&c, cases[i].detail);
		}
		dipr_buf_free(&r);
	}
	dipr_cert_free(&c);
}

/* ---- strict parsing --------------------------------------------------- */

/* The file of a freshly issued certificate as a Jansson document. */
static json_t *good_doc(dipr_buf *file)
{
	dipr_cert_body b;
	dipr_cert c;
	make_body(&b, "20260512000000042");
	issue(&c, &b, DIPR_HASH_SHA256);
	encode(&c, file);
	dipr_cert_free(&c);
	json_t *v = json_loadb((const char *)file->p, file->n, 0, NULL);
	assert_non_null(v);
	return v;
}

/* Sets doc[path] (dotted, "certificate.holder.id") to val (stolen), or
 * deletes it when val is NULL. */
static void doc_set(json_t *doc, const char *path, json_t *val)
{
	char p[128], *save = NULL, *tok, *next;
	json_t *o = doc;
	snprintf(p, sizeof p, "%s", path);
	tok = strtok_r(p, ".", &save);
	while ((next = strtok_r(NULL, ".", &save))) {
		json_t *child = json_is_array(o) ? json_array_get(o, (size_t)atoi(tok)) : json_object_get(o, tok);
		assert_non_null(child);
		o = child;
		tok = next;
	}
	if (json_is_array(o)) {
		assert_int_equal(json_array_set_new(o, (size_t)atoi(tok), val), 0);
	} else if (val) {
		assert_int_equal(json_object_set_new(o, tok, val), 0);
	} else {
		assert_int_equal(json_object_del(o, tok), 0);
	}
}

static int parse_doc(json_t *doc, dipr_cert *c)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	assert_non_null(s);
	int rc = dipr_cert_parse((const uint8_t *)s, strlen(s), c);
	free(s);
	return rc;
}

/* Applies one change to a good document and expects parse to refuse it
 * with a detail containing `detail`; checks *out is zeroed. */
static void expect_refused(const char *path, json_t *val, const char *detail)
{
	dipr_buf f;
	json_t *doc = good_doc(&f);
	dipr_cert c;
	doc_set(doc, path, val);
	int rc = parse_doc(doc, &c);
	if (rc == 0)
		fail_msg("%s: accepted", path);
	assert_int_equal(rc, DIPR_EINVAL);
	if (!strstr(dipr_errdetail(), detail))
		fail_msg("%s: detail \"%s\" does not mention \"%s\"", path, dipr_errdetail(), detail);
	assert_null(c.tlog_proof);
	assert_int_equal(c.nsigs, 0);
	json_decref(doc);
	dipr_buf_free(&f);
}

static void expect_accepted(const char *path, json_t *val)
{
	dipr_buf f;
	json_t *doc = good_doc(&f);
	dipr_cert c;
	doc_set(doc, path, val);
	if (parse_doc(doc, &c))
		fail_msg("%s: refused: %s", path, dipr_errdetail());
	dipr_cert_free(&c);
	json_decref(doc);
	dipr_buf_free(&f);
}

static void unknown_and_missing_members_are_refused(void **st)
{
	(void)st;
	expect_refused("extra", json_integer(1), "unknown member \"extra\"");
	expect_refused("certificate.note", json_string("x"), "certificate: unknown member \"note\"");
	expect_refused("certificate.holder.phone", json_string("x"), "certificate.holder: unknown member");
	expect_refused("certificate.scale.rows", json_integer(1), "certificate.scale: unknown member");
	expect_refused("certificate.evidence.0.size", json_integer(1), "certificate.evidence[0]: unknown member");
	expect_refused("certificate.evidence.0.digests.md5", json_string(hex_a), "digests: unknown member \"md5\"");
	static const char *const body[] = {"v", "certno", "regno", "data_name", "holder", "industry",
					   "source_type", "scenario", "scale", "registered",
					   "valid_until", "evidence", "issuer", "record_url"};
	for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
		char path[64], want[64];
		snprintf(path, sizeof path, "certificate.%s", body[i]);
		snprintf(want, sizeof want, "certificate.%s: missing", body[i]);
		expect_refused(path, NULL, want);
	}
	expect_refused("certificate.holder.id", NULL, "certificate.holder.id: missing");
	expect_refused("certificate.holder.name", NULL, "certificate.holder.name: missing");
	expect_refused("certificate.scale.bytes", NULL, "certificate.scale.bytes: missing");
	expect_refused("certificate.evidence.1.digests", NULL, "certificate.evidence[1].digests: missing");
	expect_refused("certificate.evidence.1.index", NULL, "certificate.evidence[1].index: missing");
	expect_refused("signatures", NULL, "file.signatures: missing");
	expect_refused("tlog_proof", NULL, "file.tlog_proof: missing");
	expect_refused("certificate", NULL, "file.certificate: missing");
}

static void wrong_types_are_refused(void **st)
{
	(void)st;
	expect_refused("certificate", json_string("x"), "certificate: expected a JSON object");
	expect_refused("certificate.v", json_string("1"), "certificate.v: expected 1");
	expect_refused("certificate.v", json_integer(2), "certificate.v: expected 1");
	expect_refused("certificate.v", json_true(), "certificate.v: expected 1");
	expect_refused("certificate.certno", json_integer(42), "certificate.certno: expected");
	expect_refused("certificate.data_name", json_null(), "certificate.data_name: expected");
	expect_refused("certificate.holder", json_string("x"), "certificate.holder: expected a JSON object");
	expect_refused("certificate.holder.name", json_array(), "certificate.holder.name: expected");
	expect_refused("certificate.holder.id", json_integer(5), "certificate.holder.id: expected");
	expect_refused("certificate.scale", json_integer(5), "certificate.scale: expected a JSON object");
	expect_refused("certificate.scale.records", json_string("5"), "certificate.scale.records: expected an integer");
	expect_refused("certificate.scale.bytes", json_integer(-1), "certificate.scale.bytes: expected an integer");
	expect_refused("certificate.scale.bytes", json_false(), "certificate.scale.bytes: expected an integer");
	expect_refused("certificate.evidence", json_object(), "certificate.evidence: expected an array");
	expect_refused("certificate.evidence", json_array(), "certificate.evidence: expected an array of 1");
	expect_refused("certificate.evidence.0", json_string("x"), "certificate.evidence[0]: expected a JSON object");
	expect_refused("certificate.evidence.0.index", json_string("7"), "certificate.evidence[0].index");
	expect_refused("certificate.evidence.0.index", json_integer(-7), "certificate.evidence[0].index");
	expect_refused("certificate.evidence.1.digests", json_object(), "certificate.evidence[1].digests");
	expect_refused("certificate.evidence.1.digests", json_string(hex_a), "certificate.evidence[1].digests");
	expect_refused("certificate.evidence.0.digests.sm3", json_integer(1), "evidence[0].digests.sm3: expected 64");
	expect_refused("signatures", json_string("x"), "signatures: expected an array");
	expect_refused("signatures", json_array(), "signatures: expected an array of 1 to 16");
	expect_refused("signatures.0", json_integer(1), "signatures[0]: expected a string");
	expect_refused("tlog_proof", json_integer(1), "tlog_proof: expected the tlog-proof text");
}

static void bad_values_are_refused(void **st)
{
	(void)st;
	/* dates: format and a real calendar date */
	static const char *const bad_dates[] = {"2025-02-30", "2023-02-29", "1900-02-29", "2024-13-01",
						"2024-00-10", "2024-04-31", "2024-06-00", "2024-1-01",
						"2024-01-1", "0000-01-01", "2024/01/01", "20240101",
						"2024-01-01T00:00", " 2024-01-01", "２０２４-01-01", "-202-01-01"};
	for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++)
		expect_refused("certificate.registered", json_string(bad_dates[i]),
			       "certificate.registered: expected a real date written YYYY-MM-DD");
	expect_refused("certificate.valid_until", json_string("2025-02-30"), "certificate.valid_until: expected a real date");
	expect_accepted("certificate.registered", json_string("2024-02-29"));
	expect_accepted("certificate.registered", json_string("2000-02-29"));
	expect_accepted("certificate.valid_until", json_string("2026-05-10")); /* same day as registered */
	expect_refused("certificate.valid_until", json_string("2026-05-09"), "not before registered (2026-05-10)");

	/* numbers */
	expect_refused("certificate.certno", json_string("2026051200000004"), "certificate.certno: expected a string of 17 digits");
	expect_refused("certificate.certno", json_string("202605120000000420"), "certificate.certno");
	expect_refused("certificate.certno", json_string("2026051200000004X"), "certificate.certno");
	expect_refused("certificate.certno", json_string("2026051200000004\xd9\xa3"), "certificate.certno");
	expect_refused("certificate.regno", json_string("202611000000042"), "certificate.regno: expected a string of 15 digits");
	expect_refused("certificate.regno", json_string("2026110000000427X"), "certificate.regno");
	expect_refused("certificate.regno", json_string("202611000000042x"), "certificate.regno");
	expect_refused("certificate.regno", json_string("2026X10000000427"), "certificate.regno");
	expect_accepted("certificate.regno", json_string("202611000000042X"));

	/* text lengths: 512 bytes, data_name 200 characters, id 64 */
	char s[1024];
	memset(s, 'a', 512);
	s[512] = 0;
	expect_accepted("certificate.issuer", json_string(s));
	s[512] = 'a';
	s[513] = 0;
	expect_refused("certificate.issuer", json_string(s), "certificate.issuer: expected non-empty UTF-8 text of at most 512 bytes");
	expect_refused("certificate.scenario", json_string(s), "certificate.scenario");
	expect_refused("certificate.holder.name", json_string(s), "certificate.holder.name");
	/* 200 characters in 600 bytes: more than 512 bytes is fine here */
	for (int i = 0; i < 200; i++)
		memcpy(s + 3 * i, "数", 3);
	s[600] = 0;
	expect_accepted("certificate.data_name", json_string(s));
	memcpy(s + 600, "据", 4);
	expect_refused("certificate.data_name", json_string(s), "certificate.data_name: expected non-empty UTF-8 text of at most 200 characters");
	expect_refused("certificate.data_name", json_string(""), "certificate.data_name");
	expect_refused("certificate.industry", json_string(""), "certificate.industry");
	expect_refused("certificate.industry", json_string("交通\n运输"), "certificate.industry");
	expect_refused("certificate.industry", json_string("交通\x7f"), "certificate.industry");
	expect_refused("certificate.industry", json_string("交通\xc2\x85"), "certificate.industry"); /* U+0085 */
	expect_accepted("certificate.industry", json_string("交通 \xc2\xa0运输")); /* NBSP is text */
	memset(s, '7', 64);
	s[64] = 0;
	expect_accepted("certificate.holder.id", json_string(s));
	s[64] = '7';
	s[65] = 0;
	expect_refused("certificate.holder.id", json_string(s), "certificate.holder.id: expected 1 to 64 printable ASCII");
	expect_refused("certificate.holder.id", json_string(""), "certificate.holder.id");
	expect_refused("certificate.holder.id", json_string("9112 0116"), "certificate.holder.id");
	expect_refused("certificate.holder.id", json_string("91120116MA05T6XK3７"), "certificate.holder.id");

	/* URL */
	expect_accepted("certificate.record_url", json_string("http://127.0.0.1:8080/r/1"));
	expect_refused("certificate.record_url", json_string("ftp://example.cn/r/1"), "certificate.record_url: expected an http:// or https:// URL");
	expect_refused("certificate.record_url", json_string("https://"), "certificate.record_url");
	expect_refused("certificate.record_url", json_string("https://example.cn/a b"), "certificate.record_url");
	expect_refused("certificate.record_url", json_string("https://例子.cn/"), "certificate.record_url");

	/* evidence */
	char up[65];
	memcpy(up, hex_a, sizeof up);
	up[10] = 'A';
	expect_refused("certificate.evidence.0.digests.sha256", json_string(up), "certificate.evidence[0].digests.sha256: expected 64 lowercase hex digits");
	expect_refused("certificate.evidence.0.digests.sha256", json_string("1111"), "certificate.evidence[0].digests.sha256");
	expect_refused("certificate.evidence.1.index", json_integer(7), "certificate.evidence[1].index: log index 7 is listed twice");
	expect_accepted("certificate.evidence.1.index", json_integer(9007199254740991LL));
	expect_accepted("certificate.scale.bytes", json_integer(0));

	/* 64 evidence items pass, 65 do not */
	json_t *many = json_array();
	for (int i = 0; i < 64; i++)
		json_array_append_new(many, json_pack("{s:i,s:{s:s}}", "index", i, "digests", "sm3", hex_b));
	expect_accepted("certificate.evidence", json_deep_copy(many));
	json_array_append_new(many, json_pack("{s:i,s:{s:s}}", "index", 64, "digests", "sm3", hex_b));
	expect_refused("certificate.evidence", many, "certificate.evidence: expected an array of 1 to 64 items");

	/* signature lines */
	expect_refused("signatures.0", json_string("- registry.example.cn/dipr/test AAAAAAA="), "signatures[0]: expected an em dash");
	expect_refused("signatures.0", json_string("\xe2\x80\x94 registry.example.cn/dipr/testAAAAAAA="), "signatures[0]: expected a key name");
	expect_refused("signatures.1", json_string("\xe2\x80\x94 bad+name AAAAAAA="), "signatures[1]: expected a key name");
	expect_refused("signatures.1", json_string("\xe2\x80\x94 name AAAA"), "signatures[1]: expected canonical base64");
	expect_refused("signatures.1", json_string("\xe2\x80\x94 name AAAAAAB="), "signatures[1]: expected canonical base64");
	expect_refused("signatures.1", json_string("\xe2\x80\x94 name AAAAAAA=\n"), "signatures[1]: expected canonical base64");
	expect_accepted("signatures.1", json_string("\xe2\x80\x94 name AAAAAAA="));
	memset(s, 'A', 600);
	memcpy(s, "\xe2\x80\x94 n ", 6);
	s[600] = 0;
	expect_refused("signatures.1", json_string(s), "signatures[1]: longer than 512 bytes");
	json_t *sigs = json_array();
	for (int i = 0; i < 17; i++)
		json_array_append_new(sigs, json_string("\xe2\x80\x94 name AAAAAAA="));
	expect_refused("signatures", sigs, "signatures: expected an array of 1 to 16");

	/* the tlog-proof must parse and carry the entry */
	expect_refused("tlog_proof", json_string("c2sp.org/tlog-proof@v1\nindex 0\n\nx\n"), "certificate: tlog_proof: ");
	dipr_buf noextra, f;
	json_t *doc = good_doc(&f);
	dipr_tlog_proof tp;
	const char *tps = json_string_value(json_object_get(doc, "tlog_proof"));
	assert_int_equal(dipr_tlog_proof_parse((const uint8_t *)tps, strlen(tps), &tp), 0);
	dipr_buf_init(&noextra, DIPR_TLOG_PROOF_MAX);
	assert_int_equal(dipr_tlog_proof_encode(NULL, 0, false, tp.index, (const uint8_t(*)[H])tp.proof,
						tp.proof_len, tp.note, tp.note_len, &noextra), 0);
	expect_refused("tlog_proof", json_string((const char *)noextra.p), "tlog_proof: no extra line");
	dipr_tlog_proof_free(&tp);
	dipr_buf_free(&noextra);
	dipr_buf_free(&f);
	json_decref(doc);
}

static void malformed_files_are_refused(void **st)
{
	(void)st;
	dipr_buf f;
	dipr_cert c;
	json_t *doc = good_doc(&f);
	json_decref(doc);

	/* nothing after the value, no duplicate keys, no fractions */
	dipr_buf g;
	dipr_buf_init(&g, DIPR_CERT_MAX * 2);
	assert_int_equal(dipr_buf_add(&g, f.p, f.n), 0);
	assert_int_equal(dipr_buf_adds(&g, "{}"), 0);
	assert_int_equal(dipr_cert_parse(g.p, g.n, &c), DIPR_EINVAL);
	assert_null(c.tlog_proof);

	static const char dup[] = "{\"certificate\":{},\"certificate\":{}}";
	assert_int_equal(dipr_cert_parse((const uint8_t *)dup, sizeof dup - 1, &c), DIPR_EINVAL);
	char *p = strstr((char *)f.p, "\"bytes\":734003200");
	assert_non_null(p);
	memcpy(p, "\"bytes\":7340032.0", 17);
	assert_int_equal(dipr_cert_parse(f.p, f.n, &c), DIPR_EINVAL);
	memcpy(p, "\"bytes\":734003200", 17);
	assert_int_equal(dipr_cert_parse(f.p, f.n, &c), 0);
	dipr_cert_free(&c);
	assert_int_equal(dipr_cert_parse((const uint8_t *)"[]", 2, &c), DIPR_EINVAL);
	assert_int_equal(dipr_cert_parse((const uint8_t *)"", 0, &c), DIPR_EINVAL);
	/* invalid UTF-8 */
	static const char badutf[] = "{\"certificate\":\"\xff\"}";
	assert_int_equal(dipr_cert_parse((const uint8_t *)badutf, sizeof badutf - 1, &c), DIPR_EINVAL);

	/* oversize: a valid certificate padded with whitespace past 256 KiB */
	dipr_buf_reset(&g);
	assert_int_equal(dipr_buf_add(&g, f.p, f.n), 0);
	while (g.n <= DIPR_CERT_MAX)
		assert_int_equal(dipr_buf_add(&g, "                ", 16), 0);
	assert_int_equal(dipr_cert_parse(g.p, g.n, &c), DIPR_ERANGE);
	assert_non_null(strstr(dipr_errdetail(), "larger than 262144 bytes"));
	assert_int_equal(dipr_cert_parse(g.p, DIPR_CERT_MAX, &c), 0);
	dipr_cert_free(&c);
	assert_int_equal(dipr_cert_body_parse(g.p, g.n, &c.body), DIPR_ERANGE);
	dipr_buf_free(&g);
	dipr_buf_free(&f);
}

static void body_check_refuses_bad_structs(void **st)
{
	(void)st;
	dipr_cert_body b;
	make_body(&b, "20260512000000042");
	assert_int_equal(dipr_cert_body_check(&b), 0);

	dipr_cert_body x = b;
	memset(x.holder_id, '1', sizeof x.holder_id); /* no NUL */
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "certificate.holder.id"));

	x = b;
	memset(x.data_name, 'a', sizeof x.data_name - 1);
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "certificate.data_name"));

	x = b;
	x.nevidence = 0;
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	x.nevidence = DIPR_CERT_MAX_EVIDENCE + 1;
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "certificate.evidence: expected 1 to 64"));

	x = b;
	x.evidence[1].has_sm3 = false;
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "certificate.evidence[1].digests"));

	x = b;
	x.evidence[1].index = 9007199254740992ULL;
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	x = b;
	x.scale_bytes = 9007199254740992ULL;
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "certificate.scale.bytes"));
	x = b;
	x.scale_records = UINT64_MAX;
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);

	x = b;
	snprintf(x.registered, sizeof x.registered, "2030-01-01");
	assert_int_equal(dipr_cert_body_check(&x), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "certificate.valid_until"));

	/* An invalid body is not signed and not encoded. */
	dipr_cert c = {0};
	c.body = x;
	assert_int_equal(dipr_cert_sign(&c, log_signers, 2), DIPR_EINVAL);
	assert_int_equal(c.nsigs, 0);
	dipr_buf out;
	dipr_buf_init(&out, 65536);
	assert_int_equal(dipr_cert_body_encode(&x, &out), DIPR_EINVAL);
	assert_int_equal(out.n, 0);
	dipr_buf_free(&out);
}

static void sign_and_encode_limits(void **st)
{
	(void)st;
	dipr_cert_body b;
	dipr_cert c = {0};
	dipr_buf out;
	make_body(&b, "20260512000000042");
	c.body = b;
	dipr_buf_init(&out, DIPR_CERT_MAX);

	/* Incomplete certificates are not written. */
	assert_int_equal(dipr_cert_encode(&c, &out), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "signatures"));
	assert_int_equal(dipr_cert_sign(&c, NULL, 0), DIPR_EINVAL);
	for (int i = 0; i < 8; i++)
		assert_int_equal(dipr_cert_sign(&c, log_signers, 2), 0);
	assert_int_equal(c.nsigs, 16);
	char last[DIPR_CERT_SIGLINE_MAX + 1];
	memcpy(last, c.sigs[15], sizeof last);
	assert_int_equal(dipr_cert_sign(&c, &ed, 1), DIPR_ERANGE);
	assert_int_equal(c.nsigs, 16);
	assert_string_equal(c.sigs[15], last);
	assert_int_equal(dipr_cert_encode(&c, &out), DIPR_EINVAL);
	assert_non_null(strstr(dipr_errdetail(), "tlog_proof: missing"));
	assert_int_equal(out.n, 0);

	/* A rejected proof leaves the old one in place. */
	dipr_buf p;
	make_log(DIPR_HASH_SHA256, &b, NULL, log_signers, 2, &p, NULL);
	assert_int_equal(dipr_cert_set_tlog_proof(&c, p.p, p.n), 0);
	assert_int_equal(dipr_cert_set_tlog_proof(&c, (const uint8_t *)"nonsense", 8), DIPR_EINVAL);
	assert_int_equal(c.tlog_proof_len, p.n);
	assert_int_equal(dipr_cert_encode(&c, &out), 0);
	assert_int_equal(verify(&c), 0);

	/* Ed25519 and SM2 lines have the documented shape. */
	assert_int_equal(strncmp(c.sigs[0], "\xe2\x80\x94 registry.example.cn/dipr/test ", 34), 0);
	assert_null(strchr(c.sigs[0], '\n'));
	dipr_cert_free(&c);
	dipr_cert_free(NULL);
	dipr_buf_free(&p);
	dipr_buf_free(&out);
}

/* ---- fuzz seeds --------------------------------------------------------- */

/* The fixed keys tests/fuzz/fuzz_cert.c trusts (test keys, public here on
 * purpose). */
static const char seed_skey_ed[] =
	"PRIVATE+KEY+registry.example.cn/dipr/fuzz+624fcca4+AVJU5LOB8CqisfJ+QjGu2gOZgSd1C1nViSPnjZx9uUHf";
static const char seed_skey_sm2[] =
	"PRIVATE+KEY+registry.example.cn/dipr/fuzz+fbb75e94+/3NtMi1zbTMvMTIzNDU2NzgxMjM0NTY3OHfx24EVwkP9eiX1VltWM3+jfjn54X5O/l8K7ABvNBZA";

static void write_file(const char *dir, const char *name, const dipr_buf *b)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b->p, 1, b->n, f), b->n);
	assert_int_equal(fclose(f), 0);
}

static void write_fuzz_seeds(void **st)
{
	(void)st;
	const char *dir = getenv("DIPR_CERT_SEEDS");
	dipr_signer *s[2];
	dipr_verifier *v[2];
	assert_int_equal(dipr_signer_from_skey(&s[0], seed_skey_ed, strlen(seed_skey_ed)), 0);
	assert_int_equal(dipr_signer_from_skey(&s[1], seed_skey_sm2, strlen(seed_skey_sm2)), 0);
	for (int i = 0; i < 2; i++) {
		char *vk;
		assert_int_equal(dipr_signer_vkey(s[i], &vk), 0);
		assert_int_equal(dipr_verifier_from_vkey(&v[i], vk, strlen(vk)), 0);
		free(vk);
	}
	static const dipr_hash_alg algs[] = {DIPR_HASH_SHA256, DIPR_HASH_SM3};
	for (int k = 0; k < 3; k++) {
		dipr_cert_body b;
		dipr_cert c = {0};
		dipr_buf p, f;
		char name[32];
		make_body(&b, k == 2 ? "20260512000000044" : "20260512000000042");
		if (k == 2) { /* short ASCII fields, one evidence item */
			snprintf(b.data_name, sizeof b.data_name, "d");
			b.nevidence = 1;
			b.evidence[0].has_sm3 = false;
		}
		c.body = b;
		assert_int_equal(dipr_cert_sign(&c, s, 2), 0);
		/* make_log names the checkpoint after the test origin; the
		 * seeds need the fuzz keys' name. */
		dipr_buf e[2], raw;
		dipr_buf_init(&raw, 4096);
		assert_int_equal(dipr_cert_entry(&b, &raw), 0);
		add_time(&raw, 1778400000000 + k, &e[0]);
		dipr_buf_init(&e[1], 64);
		assert_int_equal(dipr_buf_adds(&e[1], "{\"type\":\"evidence\",\"v\":1}"), 0);
		make_proof(algs[k % 2], e, k == 1 ? 1 : 2, 0, s, 2, "registry.example.cn/dipr/fuzz", &p);
		assert_int_equal(dipr_cert_set_tlog_proof(&c, p.p, p.n), 0);
		assert_int_equal(dipr_cert_verify(&c, v, 2, NULL, 0, NULL), 0);
		encode(&c, &f);
		snprintf(name, sizeof name, "cert%d.json", k + 1);
		write_file(dir, name, &f);
		dipr_cert_free(&c);
		dipr_buf_free(&p);
		dipr_buf_free(&f);
		dipr_buf_free(&e[0]);
		dipr_buf_free(&e[1]);
		dipr_buf_free(&raw);
	}
	for (int i = 0; i < 2; i++) {
		dipr_signer_free(s[i]);
		dipr_verifier_free(v[i]);
	}
}

/* ---- setup -------------------------------------------------------------- */

static dipr_verifier *verifier_of(dipr_signer *s)
{
	char *vk;
	dipr_verifier *v;
	assert_int_equal(dipr_signer_vkey(s, &vk), 0);
	assert_int_equal(dipr_verifier_from_vkey(&v, vk, strlen(vk)), 0);
	free(vk);
	return v;
}

static int setup(void **st)
{
	(void)st;
	if (dipr_signer_generate(&ed, origin, DIPR_KEY_ED25519) ||
	    dipr_signer_generate(&sm2, origin, DIPR_KEY_SM2) ||
	    dipr_signer_generate(&ed_other, origin, DIPR_KEY_ED25519))
		return -1;
	ved = verifier_of(ed);
	vsm2 = verifier_of(sm2);
	ved_other = verifier_of(ed_other);
	log_signers[0] = ed;
	log_signers[1] = sm2;
	log_verifiers[0] = ved;
	log_verifiers[1] = vsm2;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	dipr_signer_free(ed);
	dipr_signer_free(sm2);
	dipr_signer_free(ed_other);
	dipr_verifier_free(ved);
	dipr_verifier_free(vsm2);
	dipr_verifier_free(ved_other);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(body_canonical_bytes_are_known),
		cmocka_unit_test(entry_is_canonical_without_time),
		cmocka_unit_test(issued_certificate_round_trips_and_verifies),
		cmocka_unit_test(pretty_printed_file_verifies_the_same),
		cmocka_unit_test(changing_any_body_value_fails),
		cmocka_unit_test(resigned_body_with_old_proof_fails_on_the_entry),
		cmocka_unit_test(wrong_or_missing_keys_fail),
		cmocka_unit_test(swapped_or_broken_proofs_fail),
		cmocka_unit_test(entry_must_be_exactly_this_certificate),
		cmocka_unit_test(unknown_and_missing_members_are_refused),
		cmocka_unit_test(wrong_types_are_refused),
		cmocka_unit_test(bad_values_are_refused),
		cmocka_unit_test(malformed_files_are_refused),
		cmocka_unit_test(body_check_refuses_bad_structs),
		cmocka_unit_test(sign_and_encode_limits),
	};
	const struct CMUnitTest seeds[] = {cmocka_unit_test(write_fuzz_seeds)};
	if (getenv("DIPR_CERT_SEEDS"))
		return cmocka_run_group_tests(seeds, NULL, NULL);
	return cmocka_run_group_tests(tests, setup, teardown);
}
