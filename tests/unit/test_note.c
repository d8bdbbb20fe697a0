/* test_note.c — keys, signed notes and checkpoints (lib/note.c).
 *
 * Independent references: the published Ed25519 vectors of
 * golang.org/x/mod/sumdb/note (note_test.go), the C2SP tlog-checkpoint
 * example, OpenSSL's own EVP API for SM2 with the ID set the old way, and
 * the openssl command-line tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslv.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "testutil.h"
#include "dipr/dipr.h"
#include "dipr/note.h"

/* From golang.org/x/mod/sumdb/note note_test.go (TestNewVerifier,
 * TestNewSigner, TestSign, TestOpen). */
static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_skey[] =
	"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char peter_text[] = "If you think cryptography is the answer to your problem,\n"
				 "then you don't know what your problem is.\n";
static const char peter_sig[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8"
				"pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] = "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCO"
				"Xm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/* C2SP tlog-checkpoint example text. */
static const char spec_checkpoint[] = "example.com/behind-the-sofa\n20852163\n"
				      "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

/* ---- helpers ---------------------------------------------------------- */

static dipr_verifier *verifier(const char *vkey)
{
	dipr_verifier *v = NULL;
	assert_int_equal(dipr_verifier_from_vkey(&v, vkey, strlen(vkey)), 0);
	return v;
}

static dipr_signer *signer_skey(const char *skey)
{
	dipr_signer *s = NULL;
	assert_int_equal(dipr_signer_from_skey(&s, skey, strlen(skey)), 0);
	return s;
}

static dipr_signer *generate(const char *name, int type)
{
	dipr_signer *s = NULL;
	assert_int_equal(dipr_signer_generate(&s, name, type), 0);
	return s;
}

static dipr_verifier *verifier_of(const dipr_signer *s)
{
	char *vkey = NULL;
	assert_int_equal(dipr_signer_vkey(s, &vkey), 0);
	dipr_verifier *v = verifier(vkey);
	free(vkey);
	return v;
}

/* text + "\n" + lines, in a malloc'd buffer. */
static char *cat3(const char *a, const char *b, const char *c)
{
	size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
	char *p = malloc(na + nb + nc + 1);
	assert_non_null(p);
	memcpy(p, a, na);
	memcpy(p + na, b, nb);
	memcpy(p + na + nb, c, nc + 1);
	return p;
}

/* "— <name> base64(keyid || 64 zero bytes)\n": a well-formed line whose
 * signature is garbage. */
static char *junk_line(const char *name, uint32_t keyid)
{
	uint8_t sig[68] = {(uint8_t)(keyid >> 24), (uint8_t)(keyid >> 16), (uint8_t)(keyid >> 8),
			   (uint8_t)keyid};
	dipr_buf b;
	dipr_buf_init(&b, 1024);
	assert_int_equal(dipr_buf_addf(&b, "\xe2\x80\x94 %s ", name), 0);
	assert_int_equal(dipr_b64_encode(sig, sizeof sig, &b), 0);
	assert_int_equal(dipr_buf_adds(&b, "\n"), 0);
	return (char *)dipr_buf_detach(&b, NULL);
}

static int verify_str(const char *note, dipr_verifier *const *vs, size_t nv)
{
	return dipr_note_verify((const uint8_t *)note, strlen(note), vs, nv, NULL);
}

static int parse_str(const char *note)
{
	return dipr_note_parse((const uint8_t *)note, strlen(note), NULL);
}

/* Decodes the base64 part of a vkey/skey: everything after the second '+'
 * past the name. */
static size_t key_bytes(const char *keystr, uint8_t *out, size_t cap)
{
	const char *p = strchr(keystr, '+');
	assert_non_null(p);
	if (strncmp(keystr, "PRIVATE+KEY+", 12) == 0)
		p = strchr(keystr + 12, '+');
	p += 10; /* "+" and 8 hex digits and "+" */
	size_t n = 0;
	assert_int_equal(dipr_b64_decode(p, strlen(p), out, cap, &n), 0);
	return n;
}

/* SHA-256(name || "\n" || enc)[:4] with OpenSSL directly, not lib/note.c. */
static uint32_t ref_keyid(const char *name, const uint8_t *enc, size_t n)
{
	uint8_t h[32];
	unsigned hl = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex2(md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, name, strlen(name)), 1);
	assert_int_equal(EVP_DigestUpdate(md, "\n", 1), 1);
	assert_int_equal(EVP_DigestUpdate(md, enc, n), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, h, &hl), 1);
	EVP_MD_CTX_free(md);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/* "<prefix><name>+<id>+base64(enc)" with the key ID computed here. */
static char *ref_keystr(const char *prefix, const char *name, const uint8_t *enc, size_t n,
			const uint8_t *idenc, size_t idn)
{
	dipr_buf b;
	dipr_buf_init(&b, 4096);
	assert_int_equal(dipr_buf_addf(&b, "%s%s+%08x+", prefix, name,
				       (unsigned)ref_keyid(name, idenc, idn)), 0);
	assert_int_equal(dipr_b64_encode(enc, n, &b), 0);
	return (char *)dipr_buf_detach(&b, NULL);
}

static EVP_PKEY *sm2_pkey(const uint8_t *priv, const uint8_t pub[65])
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *d = priv ? BN_bin2bn(priv, 32, NULL) : NULL;
	assert_non_null(bld);
	assert_true(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0));
	assert_true(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65));
	if (d)
		assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d));
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	EVP_PKEY *pk = NULL;
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
					   params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return pk;
}

/* The OpenSSL key for a signer, built from its skey and vkey bytes. */
static EVP_PKEY *ossl_key(const dipr_signer *s, bool priv)
{
	char *skey = NULL, *vkey = NULL;
	uint8_t sk[128], vk[128];
	assert_int_equal(dipr_signer_skey(s, &skey), 0);
	assert_int_equal(dipr_signer_vkey(s, &vkey), 0);
	size_t skn = key_bytes(skey, sk, sizeof sk), vkn = key_bytes(vkey, vk, sizeof vk);
	EVP_PKEY *pk;
	if (dipr_signer_type(s) == DIPR_KEY_ED25519) {
		assert_int_equal(skn, 33);
		assert_int_equal(vkn, 33);
		pk = priv ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk + 1, 32)
			  : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, vk + 1, 32);
	} else {
		assert_int_equal(skn, 1 + 24 + 32);
		assert_int_equal(vkn, 1 + 24 + 65);
		pk = sm2_pkey(priv ? sk + 25 : NULL, vk + 25);
	}
	assert_non_null(pk);
	memset(sk, 0, sizeof sk);
	free(skey);
	free(vkey);
	return pk;
}

/* SM2 with SM3 through OpenSSL's documented 3.0 route (EVP_PKEY_CTX_set1_id
 * on a context handed to the EVP_MD_CTX), not the route lib/note.c takes.
 * id == NULL means: do not set an ID at all. */
static size_t ossl_sm2_sign(EVP_PKEY *pk, const char *id, const uint8_t *msg, size_t n,
			    uint8_t sig[80])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	size_t len = 80;
	assert_non_null(md);
	assert_non_null(pc);
	if (id)
		assert_int_equal(EVP_PKEY_CTX_set1_id(pc, id, strlen(id)), 1);
	EVP_MD_CTX_set_pkey_ctx(md, pc);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sm3(), NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &len, msg, n), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pc);
	return len;
}

static int ossl_sm2_verify(EVP_PKEY *pk, const char *id, const uint8_t *msg, size_t n,
			   const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	assert_non_null(md);
	assert_non_null(pc);
	assert_int_equal(EVP_PKEY_CTX_set1_id(pc, id, strlen(id)), 1);
	EVP_MD_CTX_set_pkey_ctx(md, pc);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, pk), 1);
	int ok = EVP_DigestVerify(md, sig, siglen, msg, n);
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pc);
	return ok;
}

/* ---- the published Ed25519 vectors ------------------------------------ */

static void peter_vkey_parses_with_published_key_id(void **state)
{
	dipr_verifier *v = verifier(peter_vkey);
	assert_string_equal(dipr_verifier_name(v), "PeterNeumann");
	assert_int_equal(dipr_verifier_type(v), DIPR_KEY_ED25519);
	assert_int_equal(dipr_verifier_keyid(v), 0xc74f20a3);
	dipr_verifier_free(v);
	v = verifier(enoch_vkey);
	assert_int_equal(dipr_verifier_keyid(v), 0xaf0cfe78);
	dipr_verifier_free(v);
}

/* Ed25519 is deterministic, so signing the published text with the
 * published skey must give the published note byte for byte. */
static void peter_skey_signs_the_published_note(void **state)
{
	dipr_signer *s = signer_skey(peter_skey);
	char *vkey = NULL, *skey = NULL;
	dipr_buf out;
	assert_int_equal(dipr_signer_vkey(s, &vkey), 0);
	assert_string_equal(vkey, peter_vkey);
	assert_int_equal(dipr_signer_skey(s, &skey), 0);
	assert_string_equal(skey, peter_skey);
	assert_int_equal(dipr_signer_keyid(s), 0xc74f20a3);
	dipr_buf_init(&out, DIPR_NOTE_MAX);
	assert_int_equal(dipr_note_sign((const uint8_t *)peter_text, strlen(peter_text), &s, 1, &out),
			 0);
	char *want = cat3(peter_text, "\n", peter_sig);
	assert_int_equal(out.n, strlen(want));
	assert_memory_equal(out.p, want, out.n);
	free(want);
	free(vkey);
	free(skey);
	dipr_buf_free(&out);
	dipr_signer_free(s);
}

static void peter_note_verifies_and_unknown_lines_are_ignored(void **state)
{
	dipr_verifier *vs[2] = {verifier(peter_vkey), verifier(enoch_vkey)};
	char *note = cat3(peter_text, "\n", peter_sig);
	size_t tl = 0;
	assert_int_equal(dipr_note_verify((const uint8_t *)note, strlen(note), vs, 1, &tl), 0);
	assert_int_equal(tl, strlen(peter_text));
	free(note);

	/* Both lines; each key alone ignores the other's line. */
	char *both = cat3(peter_text, "\n", peter_sig);
	char *both2 = cat3(both, enoch_sig, "");
	assert_int_equal(verify_str(both2, vs, 2), 0);
	assert_int_equal(verify_str(both2, vs, 1), 0);
	assert_int_equal(verify_str(both2, vs + 1, 1), 0);
	free(both);
	free(both2);

	/* Enoch has not signed this one. */
	note = cat3(peter_text, "\n", peter_sig);
	assert_int_equal(verify_str(note, vs + 1, 1), DIPR_EVERIFY);
	assert_int_equal(verify_str(note, vs, 2), DIPR_EVERIFY);
	free(note);

	/* Lines that share only the name or only the key ID with a known key
	 * are other keys (signed-note §Signatures) and ignored, whatever
	 * their signature. */
	char *same_id_other_name = junk_line("PeterNeumannX", 0xc74f20a3);
	char *same_name_other_id = junk_line("PeterNeumann", 0xc74f20a4);
	static const char stranger[] = "\xe2\x80\x94 other.example/witness AQIDBAU=\n";
	char *a = cat3(peter_text, "\n", same_id_other_name);
	char *b = cat3(a, same_name_other_id, stranger);
	char *c = cat3(b, peter_sig, "");
	assert_int_equal(parse_str(c), 0);
	assert_int_equal(verify_str(c, vs, 1), 0);
	/* Without Peter's real line only ignored lines remain. */
	assert_int_equal(verify_str(b, vs, 1), DIPR_EVERIFY);
	free(a);
	free(b);
	free(c);
	free(same_id_other_name);
	free(same_name_other_id);
	dipr_verifier_free(vs[0]);
	dipr_verifier_free(vs[1]);
}

/* Every proper substring and every byte+1 of a vkey or skey is refused
 * (the reference implementation's mangling test). */
static void mangled_keys_are_rejected(void **state)
{
	dipr_signer *sm2 = generate("sm2.example/log", DIPR_KEY_SM2);
	char *sm2_vkey = NULL, *sm2_skey = NULL;
	assert_int_equal(dipr_signer_vkey(sm2, &sm2_vkey), 0);
	assert_int_equal(dipr_signer_skey(sm2, &sm2_skey), 0);
	const char *vkeys[] = {peter_vkey, sm2_vkey};
	const char *skeys[] = {peter_skey, sm2_skey};
	for (int k = 0; k < 2; k++) {
		char buf[600];
		size_t n = strlen(vkeys[k]);
		dipr_verifier *v = NULL;
		for (size_t i = 0; i <= n; i++)
			for (size_t j = i + 1; j <= n; j++)
				if (i != 0 || j != n)
					assert_int_equal(dipr_verifier_from_vkey(&v, vkeys[k] + i, j - i),
							 DIPR_EINVAL);
		memcpy(buf, vkeys[k], n);
		for (size_t i = 0; i < n; i++) {
			buf[i]++;
			assert_int_equal(dipr_verifier_from_vkey(&v, buf, n), DIPR_EINVAL);
			buf[i]--;
		}
		n = strlen(skeys[k]);
		dipr_signer *s = NULL;
		for (size_t i = 0; i <= n; i++)
			for (size_t j = i + 1; j <= n; j++)
				if (i != 0 || j != n)
					assert_int_equal(dipr_signer_from_skey(&s, skeys[k] + i, j - i),
							 DIPR_EINVAL);
		memcpy(buf, skeys[k], n);
		for (size_t i = 0; i < n; i++) {
			buf[i]++;
			assert_int_equal(dipr_signer_from_skey(&s, buf, n), DIPR_EINVAL);
			buf[i]--;
		}
		memset(buf, 0, sizeof buf);
	}
	/* From note_test.go: wrong key length, unknown algorithm (both with
	 * an adjusted key ID). */
	static const char *bad[] = {
		"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
		"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	};
	for (size_t i = 0; i < 2; i++) {
		dipr_verifier *v = NULL;
		assert_int_equal(dipr_verifier_from_vkey(&v, bad[i], strlen(bad[i])), DIPR_EINVAL);
	}
	free(sm2_vkey);
	free(sm2_skey);
	dipr_signer_free(sm2);
}

/* ---- generated keys --------------------------------------------------- */

static void round_trip(int type)
{
	dipr_signer *s = generate("dipr.test/\xe6\x97\xa5\xe5\xbf\x97", type), *s2 = NULL;
	dipr_signer *other = generate("dipr.test/\xe6\x97\xa5\xe5\xbf\x97", type);
	char *skey = NULL, *vkey = NULL, *skey2 = NULL, *vkey2 = NULL;
	assert_int_equal(dipr_signer_type(s), type);
	assert_string_equal(dipr_signer_name(s), "dipr.test/\xe6\x97\xa5\xe5\xbf\x97");
	assert_int_equal(dipr_signer_skey(s, &skey), 0);
	assert_int_equal(dipr_signer_vkey(s, &vkey), 0);
	assert_int_equal(dipr_signer_from_skey(&s2, skey, strlen(skey)), 0);
	assert_int_equal(dipr_signer_skey(s2, &skey2), 0);
	assert_int_equal(dipr_signer_vkey(s2, &vkey2), 0);
	assert_string_equal(skey, skey2);
	assert_string_equal(vkey, vkey2);
	assert_int_equal(dipr_signer_keyid(s), dipr_signer_keyid(s2));

	/* The key ID is SHA-256(name || 0x0A || encoded public key)[:4],
	 * recomputed here with OpenSSL. */
	uint8_t enc[128];
	size_t n = key_bytes(vkey, enc, sizeof enc);
	assert_int_equal(n, type == DIPR_KEY_ED25519 ? 33 : 90);
	assert_int_equal(enc[0], type);
	if (type == DIPR_KEY_SM2) {
		assert_memory_equal(enc + 1, DIPR_SM2_IDENT, 24);
		assert_int_equal(enc[25], 0x04);
	}
	assert_int_equal(dipr_signer_keyid(s), ref_keyid(dipr_signer_name(s), enc, n));

	dipr_verifier *v = verifier(vkey), *vo = verifier_of(other);
	assert_string_equal(dipr_verifier_name(v), dipr_signer_name(s));
	assert_int_equal(dipr_verifier_type(v), type);
	assert_int_equal(dipr_verifier_keyid(v), dipr_signer_keyid(s));

	uint8_t sig[80];
	size_t siglen = 0;
	const uint8_t msg[] = "hi\n";
	assert_int_equal(dipr_signer_sign_raw(s2, msg, 3, sig, &siglen), 0);
	if (type == DIPR_KEY_ED25519)
		assert_int_equal(siglen, 64);
	else
		assert_in_range(siglen, 8, 72);
	assert_int_equal(dipr_verifier_verify_raw(v, msg, 3, sig, siglen), 0);
	assert_int_equal(dipr_verifier_verify_raw(vo, msg, 3, sig, siglen), DIPR_EVERIFY);
	assert_int_equal(dipr_verifier_verify_raw(v, msg, 2, sig, siglen), DIPR_EVERIFY);
	assert_int_equal(dipr_verifier_verify_raw(v, msg, 3, sig, siglen - 1), DIPR_EVERIFY);
	for (size_t i = 0; i < siglen; i++) {
		sig[i] ^= 0x01;
		assert_int_equal(dipr_verifier_verify_raw(v, msg, 3, sig, siglen), DIPR_EVERIFY);
		sig[i] ^= 0x01;
	}
	dipr_verifier_free(v);
	dipr_verifier_free(vo);
	free(skey);
	free(vkey);
	free(skey2);
	free(vkey2);
	dipr_signer_free(s);
	dipr_signer_free(s2);
	dipr_signer_free(other);
}

static void ed25519_keys_round_trip(void **state) { round_trip(DIPR_KEY_ED25519); }
static void sm2_keys_round_trip(void **state) { round_trip(DIPR_KEY_SM2); }

static void key_names_are_checked(void **state)
{
	static const char *bad[] = {
		"", "a b", "a+b", "a\tb", "a\nb", "a\x01", "a\x7f",
		"a\xc2\xa0" "b",     /* U+00A0 no-break space */
		"a\xe3\x80\x80" "b", /* U+3000 ideographic space */
		"a\xe2\x80\xa8" "b", /* U+2028 line separator */
		"a\xff", "\xc0\xaf", /* not UTF-8 */
	};
	dipr_signer *s = NULL;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(dipr_signer_generate(&s, bad[i], DIPR_KEY_ED25519), DIPR_EINVAL);
	assert_int_equal(dipr_signer_generate(&s, "ok", 2), DIPR_EINVAL);
	char name[300];
	memset(name, 'x', sizeof name);
	name[256] = 0;
	assert_int_equal(dipr_signer_generate(&s, name, DIPR_KEY_ED25519), DIPR_EINVAL);
	name[255] = 0;
	assert_int_equal(dipr_signer_generate(&s, name, DIPR_KEY_ED25519), 0);
	dipr_signer_free(s);
}

/* An SM2 vkey whose point is off the curve, and skeys whose scalar is
 * outside [1, n-2], are refused even with a correct key ID. */
static void sm2_bad_points_and_scalars_are_rejected(void **state)
{
	dipr_signer *s = generate("sm2.example", DIPR_KEY_SM2);
	char *vkey = NULL;
	uint8_t enc[128];
	assert_int_equal(dipr_signer_vkey(s, &vkey), 0);
	size_t n = key_bytes(vkey, enc, sizeof enc);
	dipr_verifier *v = NULL;
	enc[n - 1] ^= 1; /* y changed: off the curve */
	char *bad = ref_keystr("", "sm2.example", enc, n, enc, n);
	assert_int_equal(dipr_verifier_from_vkey(&v, bad, strlen(bad)), DIPR_EINVAL);
	free(bad);
	enc[n - 1] ^= 1;
	enc[25] = 0x02; /* not uncompressed */
	bad = ref_keystr("", "sm2.example", enc, n, enc, n);
	assert_int_equal(dipr_verifier_from_vkey(&v, bad, strlen(bad)), DIPR_EINVAL);
	free(bad);

	static const uint8_t n_minus_1[32] = {
		0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0x72, 0x03, 0xdf, 0x6b, 0x21, 0xc6, 0x05, 0x2b,
		0x53, 0xbb, 0xf4, 0x09, 0x39, 0xd5, 0x41, 0x22,
	};
	uint8_t sk[57];
	sk[0] = 0xff;
	memcpy(sk + 1, DIPR_SM2_IDENT, 24);
	dipr_signer *s2 = NULL;
	memset(sk + 25, 0, 32);
	bad = ref_keystr("PRIVATE+KEY+", "sm2.example", sk, sizeof sk, enc, n);
	assert_int_equal(dipr_signer_from_skey(&s2, bad, strlen(bad)), DIPR_EINVAL);
	free(bad);
	memcpy(sk + 25, n_minus_1, 32);
	bad = ref_keystr("PRIVATE+KEY+", "sm2.example", sk, sizeof sk, enc, n);
	assert_int_equal(dipr_signer_from_skey(&s2, bad, strlen(bad)), DIPR_EINVAL);
	free(bad);
	memset(sk + 25, 0xff, 32);
	bad = ref_keystr("PRIVATE+KEY+", "sm2.example", sk, sizeof sk, enc, n);
	assert_int_equal(dipr_signer_from_skey(&s2, bad, strlen(bad)), DIPR_EINVAL);
	free(bad);

	/* The ends of the range are keys: d = 1 (public key G, GB/T 32918.5
	 * generator) and d = n - 2. */
	static const char G[] = "04"
		"32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7"
		"bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0";
	uint8_t vk[90];
	vk[0] = 0xff;
	memcpy(vk + 1, DIPR_SM2_IDENT, 24);
	assert_int_equal(dipr_hex_decode(G, 130, vk + 25, 65), 0);
	memset(sk + 25, 0, 32);
	sk[56] = 1;
	char *good = ref_keystr("PRIVATE+KEY+", "sm2.example", sk, sizeof sk, vk, sizeof vk);
	assert_int_equal(dipr_signer_from_skey(&s2, good, strlen(good)), 0);
	dipr_signer_free(s2);
	free(good);
	memcpy(sk + 25, n_minus_1, 32);
	sk[56]--; /* n - 2: public key -(2G) */
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_sm2);
	EC_POINT *pt = EC_POINT_new(grp);
	assert_non_null(pt);
	assert_int_equal(EC_POINT_oct2point(grp, pt, vk + 25, 65, NULL), 1);
	assert_int_equal(EC_POINT_dbl(grp, pt, pt, NULL), 1);
	assert_int_equal(EC_POINT_invert(grp, pt, NULL), 1);
	assert_int_equal(EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, vk + 25, 65,
					    NULL), 65);
	good = ref_keystr("PRIVATE+KEY+", "sm2.example", sk, sizeof sk, vk, sizeof vk);
	assert_int_equal(dipr_signer_from_skey(&s2, good, strlen(good)), 0);
	dipr_signer_free(s2);
	free(good);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	free(vkey);
	dipr_signer_free(s);
}

/* The SM2 distinguishing ID is really "1234567812345678": OpenSSL's other
 * API with that ID agrees with us both ways, and signatures made with any
 * other ID (empty, OpenSSL 3's default, a near miss) do not verify. */
static void sm2_uses_the_distinguishing_id(void **state)
{
	/* A key made by OpenSSL, imported through a reference-built skey. */
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	BIGNUM *d = NULL;
	uint8_t sk[57], vk[90];
	size_t publen = 0;
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
	sk[0] = vk[0] = 0xff;
	memcpy(sk + 1, DIPR_SM2_IDENT, 24);
	memcpy(vk + 1, DIPR_SM2_IDENT, 24);
	assert_int_equal(BN_bn2binpad(d, sk + 25, 32), 32);
	assert_int_equal(EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, vk + 25, 65,
							 &publen), 1);
	assert_int_equal(publen, 65);
	char *skey = ref_keystr("PRIVATE+KEY+", "gm.example/log", sk, sizeof sk, vk, sizeof vk);
	char *vkey = ref_keystr("", "gm.example/log", vk, sizeof vk, vk, sizeof vk);
	dipr_signer *s = signer_skey(skey);
	dipr_verifier *v = verifier(vkey);
	char *vkey2 = NULL;
	assert_int_equal(dipr_signer_vkey(s, &vkey2), 0);
	assert_string_equal(vkey, vkey2);

	const uint8_t *msg = (const uint8_t *)spec_checkpoint;
	size_t n = strlen(spec_checkpoint);
	uint8_t sig[80];
	size_t siglen;

	siglen = ossl_sm2_sign(pk, DIPR_SM2_DISTID, msg, n, sig);
	assert_int_equal(dipr_verifier_verify_raw(v, msg, n, sig, siglen), 0);
	siglen = ossl_sm2_sign(pk, "", msg, n, sig);
	assert_int_equal(dipr_verifier_verify_raw(v, msg, n, sig, siglen), DIPR_EVERIFY);
	siglen = ossl_sm2_sign(pk, "1234567812345679", msg, n, sig);
	assert_int_equal(dipr_verifier_verify_raw(v, msg, n, sig, siglen), DIPR_EVERIFY);
#if OPENSSL_VERSION_MAJOR < 4
	/* OpenSSL 3 signs with an empty ID unless told otherwise. */
	siglen = ossl_sm2_sign(pk, NULL, msg, n, sig);
	assert_int_equal(dipr_verifier_verify_raw(v, msg, n, sig, siglen), DIPR_EVERIFY);
#endif

	assert_int_equal(dipr_signer_sign_raw(s, msg, n, sig, &siglen), 0);
	assert_int_equal(ossl_sm2_verify(pk, DIPR_SM2_DISTID, msg, n, sig, siglen), 1);
	assert_int_not_equal(ossl_sm2_verify(pk, "", msg, n, sig, siglen), 1);

	BN_clear_free(d);
	memset(sk, 0, sizeof sk);
	EVP_PKEY_free(pk);
	free(skey);
	free(vkey);
	free(vkey2);
	dipr_signer_free(s);
	dipr_verifier_free(v);
}

/* ---- the openssl command-line tool -------------------------------------- */

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *dir, const char *name, uint8_t *p, size_t cap)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(p, 1, cap, f);
	fclose(f);
	return n;
}

static void write_pem(const char *dir, const char *name, EVP_PKEY *pk, bool priv)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(priv ? PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL)
			      : PEM_write_PUBKEY(f, pk), 1);
	assert_int_equal(fclose(f), 0);
}

/* Runs cmd with output captured; returns its exit status (or -1 if it
 * did not exit normally) and the output in out. */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void openssl_cli_cross_check(int type)
{
	char dir[] = "/tmp/dipr-test-note-XXXXXX";
	char cmd[1024], out[4096];
	const char *opts = type == DIPR_KEY_SM2 ? "-digest sm3 -pkeyopt distid:" DIPR_SM2_DISTID : "";
	assert_non_null(mkdtemp(dir));
	dipr_signer *s = generate("cli.example/k", type);
	dipr_verifier *v = verifier_of(s);
	EVP_PKEY *pub = ossl_key(s, false), *priv = ossl_key(s, true);
	write_pem(dir, "pub.pem", pub, false);
	write_pem(dir, "priv.pem", priv, true);
	write_file(dir, "text", spec_checkpoint, strlen(spec_checkpoint));

	/* Our signature, openssl's verification. */
	uint8_t sig[80];
	size_t siglen = 0;
	assert_int_equal(dipr_signer_sign_raw(s, (const uint8_t *)spec_checkpoint,
					      strlen(spec_checkpoint), sig, &siglen), 0);
	write_file(dir, "sig", sig, siglen);
	sig[siglen / 2] ^= 0x10;
	write_file(dir, "badsig", sig, siglen);
	snprintf(cmd, sizeof cmd, "openssl pkeyutl -verify -pubin -inkey %s/pub.pem -rawin %s "
		 "-in %s/text -sigfile %s/sig 2>&1", dir, opts, dir, dir);
	assert_int_equal(run(cmd, out, sizeof out), 0);
	/* The tool really ran (a missing binary also fails, but not so). */
	assert_non_null(strstr(out, "Signature Verified Successfully"));
	snprintf(cmd, sizeof cmd, "openssl pkeyutl -verify -pubin -inkey %s/pub.pem -rawin %s "
		 "-in %s/text -sigfile %s/badsig 2>&1", dir, opts, dir, dir);
	assert_int_equal(run(cmd, out, sizeof out), 1);
	assert_non_null(strstr(out, "Signature Verification Failure"));

	/* openssl's signature (key exported from our skey), our verification. */
	snprintf(cmd, sizeof cmd, "openssl pkeyutl -sign -inkey %s/priv.pem -rawin %s "
		 "-in %s/text -out %s/clisig 2>&1", dir, opts, dir, dir);
	assert_int_equal(run(cmd, out, sizeof out), 0);
	siglen = read_file(dir, "clisig", sig, sizeof sig);
	assert_int_equal(dipr_verifier_verify_raw(v, (const uint8_t *)spec_checkpoint,
						  strlen(spec_checkpoint), sig, siglen), 0);
	assert_int_equal(dipr_verifier_verify_raw(v, (const uint8_t *)spec_checkpoint,
						  strlen(spec_checkpoint) - 1, sig, siglen),
			 DIPR_EVERIFY);

	static const char *files[] = {"pub.pem", "priv.pem", "text", "sig", "badsig", "clisig"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	dipr_verifier_free(v);
	dipr_signer_free(s);
}

static void openssl_cli_agrees_ed25519(void **state) { openssl_cli_cross_check(DIPR_KEY_ED25519); }
static void openssl_cli_agrees_sm2(void **state) { openssl_cli_cross_check(DIPR_KEY_SM2); }

/* ---- signed notes ------------------------------------------------------ */

static void sign(dipr_signer *const *ss, size_t n, const char *text, dipr_buf *out)
{
	dipr_buf_init(out, DIPR_NOTE_MAX);
	assert_int_equal(dipr_note_sign((const uint8_t *)text, strlen(text), ss, n, out), 0);
}

static void notes_sign_and_verify_with_both_key_types(void **state)
{
	dipr_signer *ss[2] = {generate("log.example/ed", DIPR_KEY_ED25519),
			      generate("log.example/sm2", DIPR_KEY_SM2)};
	dipr_verifier *vs[2] = {verifier_of(ss[0]), verifier_of(ss[1])};
	dipr_verifier *stranger = verifier(peter_vkey);
	dipr_buf note;
	/* The text may contain empty lines; the last one separates. */
	static const char text[] = "line one\n\nline \xe4\xb8\x89\n";
	size_t tl = 0;
	sign(ss, 2, text, &note);
	assert_int_equal(dipr_note_parse(note.p, note.n, &tl), 0);
	assert_int_equal(tl, strlen(text));
	assert_int_equal(dipr_note_verify(note.p, note.n, vs, 2, &tl), 0);
	assert_int_equal(tl, strlen(text));
	assert_int_equal(dipr_note_verify(note.p, note.n, vs, 1, NULL), 0);
	assert_int_equal(dipr_note_verify(note.p, note.n, vs + 1, 1, NULL), 0);
	/* A wrong key finds no line of its own. */
	dipr_verifier *mixed[2] = {vs[0], stranger};
	assert_int_equal(dipr_note_verify(note.p, note.n, mixed, 2, NULL), DIPR_EVERIFY);
	assert_int_equal(dipr_note_verify(note.p, note.n, &stranger, 1, NULL), DIPR_EVERIFY);
	/* No trusted keys: nothing can be verified. */
	assert_int_equal(dipr_note_verify(note.p, note.n, vs, 0, NULL), DIPR_EINVAL);
	dipr_buf_free(&note);
	dipr_verifier_free(stranger);
	for (int i = 0; i < 2; i++) {
		dipr_verifier_free(vs[i]);
		dipr_signer_free(ss[i]);
	}
}

/* Any single-byte change anywhere (text, blank line, dash, name, key ID,
 * signature, base64 padding, newlines) and any deleted byte make the note
 * fail: malformed (EINVAL) or unverified (EVERIFY), never 0. */
static void every_single_byte_change_is_rejected(void **state)
{
	dipr_signer *ss[2] = {generate("log.example/ed", DIPR_KEY_ED25519),
			      generate("log.example/sm2", DIPR_KEY_SM2)};
	dipr_verifier *vs[2] = {verifier_of(ss[0]), verifier_of(ss[1])};
	dipr_buf note;
	static const uint8_t values[] = {0x00, '\n', ' ', '+', '=', 'A', 0x7f, 0xff};
	sign(ss, 2, "log.example\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", &note);
	assert_int_equal(dipr_note_verify(note.p, note.n, vs, 2, NULL), 0);
	uint8_t *m = malloc(note.n);
	assert_non_null(m);
	for (size_t i = 0; i < note.n; i++) {
		memcpy(m, note.p, note.n);
		for (int bit = 0; bit < 8; bit++) {
			m[i] = note.p[i] ^ (uint8_t)(1u << bit);
			int rc = dipr_note_verify(m, note.n, vs, 2, NULL);
			if (rc != DIPR_EINVAL && rc != DIPR_EVERIFY)
				fail_msg("flipping bit %d of byte %zu gave %d", bit, i, rc);
		}
		for (size_t k = 0; k < sizeof values; k++) {
			if (note.p[i] == values[k])
				continue;
			m[i] = values[k];
			int rc = dipr_note_verify(m, note.n, vs, 2, NULL);
			if (rc != DIPR_EINVAL && rc != DIPR_EVERIFY)
				fail_msg("setting byte %zu to 0x%02x gave %d", i, values[k], rc);
		}
		memcpy(m, note.p, i);
		memcpy(m + i, note.p + i + 1, note.n - i - 1);
		int rc = dipr_note_verify(m, note.n - 1, vs, 2, NULL);
		if (rc != DIPR_EINVAL && rc != DIPR_EVERIFY)
			fail_msg("deleting byte %zu gave %d", i, rc);
	}
	free(m);
	dipr_buf_free(&note);
	for (int i = 0; i < 2; i++) {
		dipr_verifier_free(vs[i]);
		dipr_signer_free(ss[i]);
	}
}

/* Our strict choice: every line of a trusted key must verify, so a
 * repeated line is fine only if it is good too. */
static void repeated_lines_of_a_key_must_all_verify(void **state)
{
	dipr_verifier *v = verifier(peter_vkey);
	char *two = cat3(peter_text, "\n", peter_sig);
	char *two2 = cat3(two, peter_sig, "");
	assert_int_equal(verify_str(two2, &v, 1), 0);

	/* A good signature of Peter's over another text, on a Peter line. */
	dipr_signer *s = signer_skey(peter_skey);
	dipr_buf other;
	sign(&s, 1, "another text\n", &other);
	const char *line = strstr((const char *)other.p, "\xe2\x80\x94");
	char *swapped = cat3(peter_text, "\n", line);
	assert_int_equal(verify_str(swapped, &v, 1), DIPR_EVERIFY);
	char *good_then_bad = cat3(two, line, "");
	assert_int_equal(verify_str(good_then_bad, &v, 1), DIPR_EVERIFY);
	char *bad_then_good = cat3(swapped, peter_sig, "");
	assert_int_equal(verify_str(bad_then_good, &v, 1), DIPR_EVERIFY);

	/* note_test.go "Invalid signature": four base64 characters inserted
	 * into Peter's signature (key ID kept). */
	char sig_abcd[200];
	snprintf(sig_abcd, sizeof sig_abcd, "%.60sABCD%s", peter_sig, peter_sig + 60);
	char *inserted = cat3(peter_text, "\n", sig_abcd);
	assert_int_equal(verify_str(inserted, &v, 1), DIPR_EVERIFY);

	free(two);
	free(two2);
	free(swapped);
	free(good_then_bad);
	free(bad_then_good);
	free(inserted);
	dipr_buf_free(&other);
	dipr_signer_free(s);
	dipr_verifier_free(v);
}

static void malformed_notes_are_rejected(void **state)
{
	dipr_verifier *v = verifier(peter_vkey);
	const char *T = peter_text;
	struct {
		const char *a, *b, *c;
	} bad[] = {
		/* From note_test.go's badMsgs. */
		{T, "", ""},
		{T, "\n", ""},
		{T, "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
		    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", ""},
		{"\x01", T, "\n"},
		{"\xff", T, "\n"},
		{T, "\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC"
		    "2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", ""},
		{T, "\n", "Unexpected line.\n"},
		/* Dashes: en dash, hyphen, no space, two spaces (empty name). */
		{T, "\n\xe2\x80\x93 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
		    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", ""},
		{T, "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
		    "qfqdngotpRZb6KE6RyyBwJnAM=\n", ""},
		{T, "\n\xe2\x80\x94PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFY"
		    "C2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", ""},
		{T, "\n\xe2\x80\x94  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
		    "fqdngotpRZb6KE6RyyBwJnAM=\n", ""},
		{T, "\n\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1"
		    "FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", ""},
		/* Base64: non-canonical last bits, no padding, bad character,
		 * trailing space, too short to hold a key ID and a byte. */
		{T, "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
		    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n", ""},
		{T, "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
		    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n", ""},
		{T, "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
		    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJn*M=\n", ""},
		{T, "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
		    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n", ""},
		{T, "\n\xe2\x80\x94 PeterNeumann x08gow==\n", ""},
		{T, "\n\xe2\x80\x94 PeterNeumann \n", ""},
		/* Control characters other than newline, in text or signatures. */
		{"If you think\r\n", "\n", peter_sig},
		{"If you\tthink\n", "\n", peter_sig},
		{T, "\n", "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUg"
			  "YN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\r\n"},
		/* A blank line among the signatures. */
		{T, "\n", "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUg"
			  "YN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\n"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *note = cat3(bad[i].a, bad[i].b, bad[i].c);
		if (parse_str(note) != DIPR_EINVAL || verify_str(note, &v, 1) != DIPR_EINVAL)
			fail_msg("malformed note %zu accepted or wrong error: %s", i, note);
		free(note);
	}

	/* 100 signature lines are fine (all good), 101 are not. */
	dipr_buf b;
	dipr_buf_init(&b, 2 * DIPR_NOTE_MAX);
	assert_int_equal(dipr_buf_adds(&b, T), 0);
	assert_int_equal(dipr_buf_adds(&b, "\n"), 0);
	for (int i = 0; i < DIPR_NOTE_MAX_SIGS; i++)
		assert_int_equal(dipr_buf_adds(&b, peter_sig), 0);
	assert_int_equal(dipr_note_verify(b.p, b.n, &v, 1, NULL), 0);
	assert_int_equal(dipr_buf_adds(&b, peter_sig), 0);
	assert_int_equal(dipr_note_parse(b.p, b.n, NULL), DIPR_EINVAL);
	assert_int_equal(dipr_note_verify(b.p, b.n, &v, 1, NULL), DIPR_EINVAL);

	/* Longer than DIPR_NOTE_MAX. */
	dipr_buf_reset(&b);
	for (int i = 0; i < DIPR_NOTE_MAX / 64; i++)
		assert_int_equal(dipr_buf_adds(&b, "0123456789012345678901234567890123456789012345"
						   "67890123456789012\n"), 0);
	assert_int_equal(dipr_buf_adds(&b, "\n"), 0);
	assert_int_equal(dipr_buf_adds(&b, peter_sig), 0);
	assert_true(b.n > DIPR_NOTE_MAX);
	assert_int_equal(dipr_note_parse(b.p, b.n, NULL), DIPR_EINVAL);
	dipr_buf_free(&b);
	dipr_verifier_free(v);
}

static void note_sign_refuses_bad_text_and_keeps_out(void **state)
{
	dipr_signer *s = signer_skey(peter_skey);
	dipr_buf out;
	dipr_buf_init(&out, DIPR_NOTE_MAX * 2);
	assert_int_equal(dipr_buf_adds(&out, "prefix"), 0);
	static const char *bad[] = {"", "no newline", "tab\there\n", "cr\r\n", "\xff\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(dipr_note_sign((const uint8_t *)bad[i], strlen(bad[i]), &s, 1, &out),
				 DIPR_EINVAL);
		assert_int_equal(out.n, 6);
		assert_string_equal((const char *)out.p, "prefix");
	}
	assert_int_equal(dipr_note_sign((const uint8_t *)"ok\n", 3, &s, 0, &out), DIPR_EINVAL);
	/* A text that fits but whose signed note would not. */
	uint8_t *big = malloc(DIPR_NOTE_MAX);
	assert_non_null(big);
	memset(big, 'a', DIPR_NOTE_MAX);
	big[DIPR_NOTE_MAX - 1] = '\n';
	assert_int_equal(dipr_note_sign(big, DIPR_NOTE_MAX, &s, 1, &out), DIPR_ERANGE);
	assert_int_equal(out.n, 6);
	free(big);
	dipr_buf_free(&out);
	dipr_signer_free(s);
}

/* ---- checkpoints -------------------------------------------------------- */

static void checkpoint_spec_example_parses_and_formats(void **state)
{
	dipr_checkpoint c;
	dipr_buf b;
	assert_int_equal(dipr_checkpoint_parse((const uint8_t *)spec_checkpoint,
					       strlen(spec_checkpoint), &c), 0);
	assert_string_equal(c.origin, "example.com/behind-the-sofa");
	assert_int_equal(c.size, 20852163);
	assert_int_equal(c.root[0], 0x0a);
	assert_int_equal(c.root[31], 0x62);
	dipr_buf_init(&b, 1024);
	assert_int_equal(dipr_checkpoint_format(&c, &b), 0);
	assert_string_equal((const char *)b.p, spec_checkpoint);

	/* Extension lines are allowed (and ignored). */
	char *ext = cat3(spec_checkpoint, "ext one\n", "\xe6\x89\xa9\xe5\xb1\x95\n");
	dipr_checkpoint c2;
	assert_int_equal(dipr_checkpoint_parse((const uint8_t *)ext, strlen(ext), &c2), 0);
	assert_memory_equal(&c, &c2, sizeof c);
	free(ext);

	/* The empty tree. */
	memset(&c, 0, sizeof c);
	memcpy(c.origin, "o", 2);
	dipr_buf_reset(&b);
	assert_int_equal(dipr_checkpoint_format(&c, &b), 0);
	assert_string_equal((const char *)b.p,
			    "o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	assert_int_equal(dipr_checkpoint_parse(b.p, b.n, &c2), 0);
	assert_int_equal(c2.size, 0);

	/* Largest size. */
	c.size = 9223372036854775807ull;
	dipr_buf_reset(&b);
	assert_int_equal(dipr_checkpoint_format(&c, &b), 0);
	assert_int_equal(dipr_checkpoint_parse(b.p, b.n, &c2), 0);
	assert_true(c2.size == 9223372036854775807ull);

	/* Format refuses what parse would. */
	c.size = 9223372036854775808ull;
	assert_int_equal(dipr_checkpoint_format(&c, &b), DIPR_EINVAL);
	c.size = 1;
	c.origin[0] = 0;
	assert_int_equal(dipr_checkpoint_format(&c, &b), DIPR_EINVAL);
	memcpy(c.origin, "a\nb", 4);
	assert_int_equal(dipr_checkpoint_format(&c, &b), DIPR_EINVAL);
	dipr_buf_free(&b);
}

static void malformed_checkpoints_are_rejected(void **state)
{
	static const char R[] = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	struct {
		const char *a, *b, *c;
	} bad[] = {
		{"", "", ""},
		{"o\n", "", ""},
		{"o\n1\n", "", ""},
		{"o\n01\n", R, ""},
		{"o\n-1\n", R, ""},
		{"o\n+1\n", R, ""},
		{"o\n 1\n", R, ""},
		{"o\n1 \n", R, ""},
		{"o\n0x1\n", R, ""},
		{"o\n\n", R, ""},
		{"o\n9223372036854775808\n", R, ""},
		{"o\n18446744073709551616\n", R, ""},
		{"\n1\n", R, ""},
		{"o\n1\n", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", ""},
		{"o\n1\n", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", ""},
		{"o\n1\n", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", ""},
		{"o\n1\n", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n", ""},
		{"o\n1\n", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=AAAA\n", ""},
		{"o\n1\n", R, "\n"},
		{"o\n1\n", R, "ext"},
		{"o\t\n1\n", R, ""},
		{"o\r\n1\n", R, ""},
		{"o\xff\n1\n", R, ""},
	};
	dipr_checkpoint c;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *t = cat3(bad[i].a, bad[i].b, bad[i].c);
		if (dipr_checkpoint_parse((const uint8_t *)t, strlen(t), &c) != DIPR_EINVAL)
			fail_msg("malformed checkpoint %zu accepted: %s", i, t);
		free(t);
	}
	/* Origins up to 255 bytes. */
	char origin[300];
	memset(origin, 'o', sizeof origin);
	memcpy(origin + 255, "\n1\n", 4);
	char *t = cat3(origin, R, "");
	assert_int_equal(dipr_checkpoint_parse((const uint8_t *)t, strlen(t), &c), 0);
	assert_int_equal(strlen(c.origin), 255);
	free(t);
	memset(origin, 'o', sizeof origin);
	memcpy(origin + 256, "\n1\n", 4);
	t = cat3(origin, R, "");
	assert_int_equal(dipr_checkpoint_parse((const uint8_t *)t, strlen(t), &c), DIPR_EINVAL);
	free(t);
}

/* A signed checkpoint, end to end: format, sign with both keys, verify,
 * parse the text back. */
static void signed_checkpoint_round_trip(void **state)
{
	dipr_signer *ss[2] = {generate("registry.example.cn/dipr/2026", DIPR_KEY_ED25519),
			      generate("registry.example.cn/dipr/2026", DIPR_KEY_SM2)};
	dipr_verifier *vs[2] = {verifier_of(ss[0]), verifier_of(ss[1])};
	dipr_checkpoint c, c2;
	dipr_buf text, note;
	memset(&c, 0, sizeof c);
	memcpy(c.origin, "registry.example.cn/dipr/2026", 30);
	c.size = 123456;
	for (int i = 0; i < 32; i++)
		c.root[i] = (uint8_t)(i * 7);
	dipr_buf_init(&text, 1024);
	assert_int_equal(dipr_checkpoint_format(&c, &text), 0);
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	assert_int_equal(dipr_note_sign(text.p, text.n, ss, 2, &note), 0);
	size_t tl = 0;
	assert_int_equal(dipr_note_verify(note.p, note.n, vs, 2, &tl), 0);
	assert_int_equal(tl, text.n);
	assert_int_equal(dipr_checkpoint_parse(note.p, tl, &c2), 0);
	assert_memory_equal(&c, &c2, sizeof c);
	dipr_buf_free(&text);
	dipr_buf_free(&note);
	for (int i = 0; i < 2; i++) {
		dipr_verifier_free(vs[i]);
		dipr_signer_free(ss[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peter_vkey_parses_with_published_key_id),
		cmocka_unit_test(peter_skey_signs_the_published_note),
		cmocka_unit_test(peter_note_verifies_and_unknown_lines_are_ignored),
		cmocka_unit_test(mangled_keys_are_rejected),
		cmocka_unit_test(ed25519_keys_round_trip),
		cmocka_unit_test(sm2_keys_round_trip),
		cmocka_unit_test(key_names_are_checked),
		cmocka_unit_test(sm2_bad_points_and_scalars_are_rejected),
		cmocka_unit_test(sm2_uses_the_distinguishing_id),
		cmocka_unit_test(openssl_cli_agrees_ed25519),
		cmocka_unit_test(openssl_cli_agrees_sm2),
		cmocka_unit_test(notes_sign_and_verify_with_both_key_types),
		cmocka_unit_test(every_single_byte_change_is_rejected),
		cmocka_unit_test(repeated_lines_of_a_key_must_all_verify),
		cmocka_unit_test(malformed_notes_are_rejected),
		cmocka_unit_test(note_sign_refuses_bad_text_and_keeps_out),
		cmocka_unit_test(checkpoint_spec_example_parses_and_formats),
		cmocka_unit_test(malformed_checkpoints_are_rejected),
		cmocka_unit_test(signed_checkpoint_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
