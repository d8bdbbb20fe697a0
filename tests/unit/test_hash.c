/* test_hash.c — SHA-256 and SM3 known answers, streaming against one-shot,
 * HMAC (lib/hash.c). */
#include <string.h>

#include "testutil.h"
#include "dipr/dipr.h"
#include "dipr/hash.h"

static void hex32(const char *hex, uint8_t out[DIPR_HASH_LEN])
{
	assert_int_equal(dipr_hex_decode(hex, strlen(hex), out, DIPR_HASH_LEN), 0);
}

static void check_digest(dipr_hash_alg alg, const void *msg, size_t n, const char *want_hex)
{
	uint8_t want[DIPR_HASH_LEN], got[DIPR_HASH_LEN];
	hex32(want_hex, want);
	assert_int_equal(dipr_hash(alg, msg, n, got), 0);
	assert_memory_equal(got, want, DIPR_HASH_LEN);
}

/* GB/T 32905-2016 Appendix A, examples 1 and 2. */
static void sm3_known_answers(void **state)
{
	char abcd16[65];
	for (int i = 0; i < 16; i++)
		memcpy(abcd16 + 4 * i, "abcd", 4);
	abcd16[64] = 0;
	check_digest(DIPR_HASH_SM3, "abc", 3,
		     "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
	check_digest(DIPR_HASH_SM3, abcd16, 64,
		     "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
	check_digest(DIPR_HASH_SM3, "", 0,
		     "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf"), and the empty string. */
static void sha256_known_answers(void **state)
{
	static const char two_block[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_digest(DIPR_HASH_SHA256, "abc", 3,
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_digest(DIPR_HASH_SHA256, two_block, strlen(two_block),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_digest(DIPR_HASH_SHA256, "", 0,
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* The streaming context must give the one-shot digest wherever the
 * message is split (block boundaries at 64 bytes for both algorithms),
 * and dipr_hash3 wherever it is cut in three. */
static void split_at_every_offset(dipr_hash_alg alg)
{
	uint8_t msg[300], want[DIPR_HASH_LEN], got[DIPR_HASH_LEN];
	dipr_hash_ctx *ctx = NULL;
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 131 + 7);
	assert_int_equal(dipr_hash(alg, msg, sizeof msg, want), 0);
	assert_int_equal(dipr_hash_new(&ctx, alg), 0);
	for (size_t cut = 0; cut <= sizeof msg; cut++) {
		assert_int_equal(dipr_hash_update(ctx, msg, cut), 0);
		assert_int_equal(dipr_hash_update(ctx, msg + cut, sizeof msg - cut), 0);
		/* final resets the context, so it is reused on the next turn. */
		assert_int_equal(dipr_hash_final(ctx, got), 0);
		assert_memory_equal(got, want, DIPR_HASH_LEN);

		size_t cut2 = cut + (sizeof msg - cut) / 2;
		assert_int_equal(dipr_hash3(alg, msg, cut, msg + cut, cut2 - cut, msg + cut2,
					    sizeof msg - cut2, got), 0);
		assert_memory_equal(got, want, DIPR_HASH_LEN);
	}
	/* Byte by byte. */
	for (size_t i = 0; i < sizeof msg; i++)
		assert_int_equal(dipr_hash_update(ctx, msg + i, 1), 0);
	assert_int_equal(dipr_hash_final(ctx, got), 0);
	assert_memory_equal(got, want, DIPR_HASH_LEN);
	dipr_hash_free(ctx);
}

static void sha256_streaming_equals_one_shot(void **state) { split_at_every_offset(DIPR_HASH_SHA256); }
static void sm3_streaming_equals_one_shot(void **state) { split_at_every_offset(DIPR_HASH_SM3); }

/* RFC 4231 §4.2, test case 1. */
static void hmac_sha256_rfc4231_case1(void **state)
{
	uint8_t key[20], want[DIPR_HASH_LEN], got[DIPR_HASH_LEN];
	memset(key, 0x0b, sizeof key);
	hex32("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want);
	assert_int_equal(dipr_hmac(DIPR_HASH_SHA256, key, sizeof key, (const uint8_t *)"Hi There", 8,
				   got), 0);
	assert_memory_equal(got, want, DIPR_HASH_LEN);
}

static void names_parse_exactly(void **state)
{
	dipr_hash_alg alg = 0;
	assert_string_equal(dipr_hash_name(DIPR_HASH_SHA256), "sha256");
	assert_string_equal(dipr_hash_name(DIPR_HASH_SM3), "sm3");
	assert_null(dipr_hash_name((dipr_hash_alg)99));
	assert_int_equal(dipr_hash_parse("sm3", 3, &alg), 0);
	assert_int_equal(alg, DIPR_HASH_SM3);
	assert_int_equal(dipr_hash_parse("sha256", 6, &alg), 0);
	assert_int_equal(alg, DIPR_HASH_SHA256);
	assert_int_equal(dipr_hash_parse("SM3", 3, &alg), DIPR_EINVAL);
	assert_int_equal(dipr_hash_parse("sha2566", 7, &alg), DIPR_EINVAL);
	assert_int_equal(dipr_hash_parse("", 0, &alg), DIPR_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sm3_known_answers),
		cmocka_unit_test(sha256_known_answers),
		cmocka_unit_test(sha256_streaming_equals_one_shot),
		cmocka_unit_test(sm3_streaming_equals_one_shot),
		cmocka_unit_test(hmac_sha256_rfc4231_case1),
		cmocka_unit_test(names_parse_exactly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
