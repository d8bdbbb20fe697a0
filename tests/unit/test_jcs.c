/* test_jcs.c — canonical JSON (RFC 8785) and the strict parser. */
#include "testutil.h"
#include <string.h>
#include "jcs.h"

static void expect_canon(const char *in, const char *want)
{
	json_t *v = NULL;
	dipr_buf b;
	dipr_buf_init(&b, 65536);
	assert_int_equal(dipr__json_parse((const uint8_t *)in, strlen(in), 16, "test", &v), 0);
	assert_int_equal(dipr__jcs_encode(v, &b), 0);
	assert_string_equal((const char *)b.p, want);
	json_decref(v);
	dipr_buf_free(&b);
}

static void test_sorts_keys_by_utf16_units(void **st)
{
	(void)st;
	/* RFC 8785 §3.2.3 example: sorted by UTF-16 code units, so the emoji
	 * (a surrogate pair, D83D) sorts before U+FB33 though its UTF-8 is larger. */
	expect_canon("{\"\\u20ac\":1,\"\\r\":2,\"\\ufb33\":3,\"1\":4,\"\\ud83d\\ude00\":5,\"\\u0080\":6,\"\\u00f6\":7}",
		     "{\"\\r\":2,\"1\":4,\"\xc2\x80\":6,\"\xc3\xb6\":7,\"\xe2\x82\xac\":1,\"\xf0\x9f\x98\x80\":5,\"\xef\xac\xb3\":3}");
}

static void test_escapes_only_what_is_required(void **st)
{
	(void)st;
	expect_canon("[\"a\\u000fb\",\"\\\"\\\\\\/\",\"\\b\\f\\n\\r\\t\",\"\\u4e2d\\u6587\"]",
		     "[\"a\\u000fb\",\"\\\"\\\\/\",\"\\b\\f\\n\\r\\t\",\"\xe4\xb8\xad\xe6\x96\x87\"]");
}

static void test_whitespace_and_nesting(void **st)
{
	(void)st;
	expect_canon(" { \"b\" : [ 1 , -2 , 0 ] , \"a\" : { \"z\" : null , \"y\" : true } , \"c\" : false } ",
		     "{\"a\":{\"y\":true,\"z\":null},\"b\":[1,-2,0],\"c\":false}");
	expect_canon("9007199254740991", "9007199254740991");
	expect_canon("{}", "{}"); /* regression: qsort(NULL, 0) found by fuzz_json */
	expect_canon("{\"a\":{}}", "{\"a\":{}}");
	expect_canon("[]", "[]");
}

static void expect_reject(const char *in, size_t depth)
{
	json_t *v = NULL;
	assert_int_not_equal(dipr__json_parse((const uint8_t *)in, strlen(in), depth, "test", &v), 0);
	assert_null(v);
	assert_true(strlen(dipr_errdetail()) > 0);
}

static void test_rejects_bad_input(void **st)
{
	(void)st;
	expect_reject("{\"a\":1,\"a\":2}", 8);   /* duplicate key */
	expect_reject("1.5", 8);                 /* fraction */
	expect_reject("1e3", 8);                 /* exponent form is a real */
	expect_reject("9007199254740992", 8);    /* beyond 2^53-1 */
	expect_reject("[[[[1]]]]", 3);           /* too deep */
	expect_reject("{\"a\":1} x", 8);         /* trailing garbage */
	expect_reject("\"\\u0000\"", 8);         /* NUL in a string */
	expect_reject("\"\xff\"", 8);            /* invalid UTF-8 */
	expect_reject("\"\\ud800\"", 8);         /* lone surrogate */
	expect_reject("", 8);
	expect_reject("{\"a\\u0000b\":1}", 8); /* NUL inside a key */
}

static void test_encoder_rejects_reals(void **st)
{
	(void)st;
	json_t *v = json_real(1.5);
	dipr_buf b;
	dipr_buf_init(&b, 100);
	assert_int_equal(dipr__jcs_encode(v, &b), DIPR_EINVAL);
	json_decref(v);
	dipr_buf_free(&b);
}

static void test_encoder_honours_buffer_cap(void **st)
{
	(void)st;
	json_t *v = json_string("0123456789");
	dipr_buf b;
	dipr_buf_init(&b, 8);
	assert_int_equal(dipr__jcs_encode(v, &b), DIPR_ERANGE);
	json_decref(v);
	dipr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorts_keys_by_utf16_units),
		cmocka_unit_test(test_escapes_only_what_is_required),
		cmocka_unit_test(test_whitespace_and_nesting),
		cmocka_unit_test(test_rejects_bad_input),
		cmocka_unit_test(test_encoder_rejects_reals),
		cmocka_unit_test(test_encoder_honours_buffer_cap),
	};
	return cmocka_run_group_tests_name("jcs", tests, NULL, NULL);
}
