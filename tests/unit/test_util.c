/* test_util.c — buffers, base64, hex, decimal parsing, UTF-8. */
#include "testutil.h"
#include <string.h>
#include "internal.h"

static void test_b64_round_trip_every_length(void **st)
{
	(void)st;
	uint8_t in[64], out[64];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof in; n++) {
		dipr_buf b;
		size_t got = 0;
		dipr_buf_init(&b, 1000);
		assert_int_equal(dipr_b64_encode(in, n, &b), 0);
		assert_int_equal(b.n, (n + 2) / 3 * 4);
		assert_int_equal(dipr_b64_decode((const char *)b.p, b.n, out, sizeof out, &got), 0);
		assert_int_equal(got, n);
		assert_memory_equal(in, out, n);
		dipr_buf_free(&b);
	}
}

static void test_b64_rejects_non_canonical(void **st)
{
	(void)st;
	uint8_t out[16];
	size_t n;
	const char *bad[] = {"Zg", "Zg=", "Zh==", "Zm9=", "Z===", "Zg==Zg==", "Zm9v\n", " Zm9", "Zm-v", "=Zm9"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_not_equal(dipr_b64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n), 0);
	assert_int_equal(dipr_b64_decode("Zm9vYg==", 8, out, 3, &n), DIPR_ERANGE);
	assert_int_equal(dipr_b64_decode("Zm9vYg==", 8, out, 4, &n), 0);
	assert_int_equal(n, 4);
}

static void test_hex(void **st)
{
	(void)st;
	uint8_t b[3] = {0x00, 0xab, 0xff}, out[3];
	char hex[7];
	dipr_hex_encode(b, 3, hex);
	assert_string_equal(hex, "00abff");
	assert_int_equal(dipr_hex_decode("00ABff", 6, out, 3), 0);
	assert_memory_equal(out, b, 3);
	assert_int_not_equal(dipr_hex_decode("00abf", 5, out, 3), 0);
	assert_int_not_equal(dipr_hex_decode("00abfg", 6, out, 3), 0);
}

static void test_parse_u64(void **st)
{
	(void)st;
	uint64_t v;
	assert_int_equal(dipr_parse_u64("0", 1, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(dipr_parse_u64("18446744073709551615", 20, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_not_equal(dipr_parse_u64("18446744073709551616", 20, UINT64_MAX, &v), 0);
	assert_int_not_equal(dipr_parse_u64("01", 2, 10, &v), 0);
	assert_int_not_equal(dipr_parse_u64("", 0, 10, &v), 0);
	assert_int_not_equal(dipr_parse_u64("-1", 2, 10, &v), 0);
	assert_int_not_equal(dipr_parse_u64("11", 2, 10, &v), 0);
	assert_int_not_equal(dipr_parse_u64("1 ", 2, 10, &v), 0);
}

static void test_buf_cap(void **st)
{
	(void)st;
	dipr_buf b;
	dipr_buf_init(&b, 10);
	assert_int_equal(dipr_buf_adds(&b, "0123456789"), 0);
	assert_int_equal(dipr_buf_add(&b, "x", 1), DIPR_ERANGE);
	assert_int_equal(b.n, 10);
	dipr_buf_reset(&b);
	assert_int_equal(dipr_buf_addf(&b, "%d-%s", 42, "ab"), 0);
	assert_string_equal((const char *)b.p, "42-ab");
	dipr_buf_free(&b);
}

static void test_utf8(void **st)
{
	(void)st;
	assert_true(dipr__utf8_valid((const uint8_t *)"abc\xe4\xb8\xad\xf0\x9f\x98\x80", 10));
	assert_false(dipr__utf8_valid((const uint8_t *)"\xc0\x80", 2));     /* overlong */
	assert_false(dipr__utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
	assert_false(dipr__utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(dipr__utf8_valid((const uint8_t *)"\xe4\xb8", 2));     /* truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_round_trip_every_length), cmocka_unit_test(test_b64_rejects_non_canonical),
		cmocka_unit_test(test_hex), cmocka_unit_test(test_parse_u64), cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
