/* test_ident.c — unified social credit codes, identity numbers,
 * registration and certificate numbers (include/dipr/ident.h).
 *
 * Known answers come from outside dipr: the worked example of GB 32100-2015
 * (91350100M000100Y4 -> check '3'), codes published for well-known
 * companies (Huawei on Wikipedia, Alibaba Cloud in wenerme/wode's tests),
 * the list of real codes in python-stdnum's tests/test_cn_uscc.doctest, the
 * examples of GB 11643-1999 annex A and python-stdnum's
 * tests/test_cn_ric.doctest. */
#include "testutil.h"
#include <stdio.h>
#include <string.h>
#include "dipr/ident.h"
#include "internal.h"

static dipr_date day(const char *s)
{
	dipr_date d;
	assert_int_equal(dipr_date_parse(s, strlen(s), &d), 0);
	return d;
}

static void assert_detail_has(const char *needle)
{
	if (!strstr(dipr_errdetail(), needle))
		fail_msg("detail \"%s\" lacks \"%s\"", dipr_errdetail(), needle);
}

/* Published codes, each independently re-checked with python-stdnum's
 * algorithm while writing this test. */
static const char *real_uscc[] = {
	"914403001922038216", /* 华为技术有限公司 (zh.wikipedia.org infobox) */
	"91330106673959654P", /* 阿里云计算有限公司 (wenerme/wode uscc.test.ts) */
	"91350100M000100Y43", /* GB 32100-2015 worked example, check computed as '3' */
	"91110000600037341L", /* python-stdnum doctest */
	"121200004013590816", /* python-stdnum: authority 1 (机构编制) */
	"9144030071526726XG", /* python-stdnum: 'X' inside the organisation code */
	"91310115MA1K3BTP2B", /* python-stdnum: letters in the organisation code */
	"91340600MA2PBM9HXD", /* python-stdnum */
	"92340603MA2PBQBC2X", /* python-stdnum: type 2 (个体工商户), check 'X' */
	"91620105L015101280", /* python-stdnum: check '0' */
	"91512081MA62K0260E", /* the worked example on a Q&A page, sum 1495 */
};

static void test_uscc_real_codes_validate(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof real_uscc / sizeof *real_uscc; i++) {
		const char *c = real_uscc[i];
		if (dipr_ident_uscc_validate(c, strlen(c)) != 0)
			fail_msg("%s: %s", c, dipr_errdetail());
		char check = 0;
		assert_int_equal(dipr_ident_uscc_check_char(c, 17, &check), 0);
		assert_int_equal(check, c[17]);
		assert_int_equal(dipr_ident_uscc_check_char(c, 18, &check), 0);
		assert_int_equal(check, c[17]);
	}
}

static void test_uscc_standard_worked_example_z_is_wrong(void **st)
{
	(void)st;
	/* GB 32100's example: "91350100M000100Y4Z" fails, the check is '3'. */
	assert_int_equal(dipr_ident_uscc_validate("91350100M000100Y4Z", 18), DIPR_EINVAL);
	assert_detail_has("position 18: 'Z' is not in the code set");
	assert_detail_has("check character should be '3'");
	/* With a code-set character in place the detail names both. */
	assert_int_equal(dipr_ident_uscc_validate("91350100M000100Y4Y", 18), DIPR_EINVAL);
	assert_detail_has("check character (position 18) should be '3', got 'Y'");
}

static void test_uscc_pilot_era_codes_that_fail_the_check_are_refused(void **st)
{
	(void)st;
	/* Fujian codes issued before the standard, reported as not passing. */
	assert_int_equal(dipr_ident_uscc_validate("91350100M0001TGQXM", 18), DIPR_EINVAL);
	assert_detail_has("should be '1', got 'M'");
	assert_int_equal(dipr_ident_uscc_validate("91350211M0000XUF46", 18), DIPR_EINVAL);
	assert_detail_has("should be 'R', got '6'");
}

static void test_uscc_every_single_character_change_is_caught(void **st)
{
	(void)st;
	/* A weighted sum mod the prime 31 with weights not divisible by 31
	 * catches every single substitution within the code set. */
	static const char set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	for (size_t k = 0; k < sizeof real_uscc / sizeof *real_uscc; k++) {
		char c[19];
		memcpy(c, real_uscc[k], 19);
		for (int pos = 0; pos < 18; pos++) {
			char orig = c[pos];
			for (int j = 0; j < 31; j++) {
				if (set[j] == orig || (pos >= 2 && pos <= 7 && j > 9))
					continue;
				c[pos] = set[j];
				assert_int_equal(dipr_ident_uscc_validate(c, 18), DIPR_EINVAL);
			}
			c[pos] = orig;
		}
		assert_int_equal(dipr_ident_uscc_validate(c, 18), 0);
	}
}

static void test_uscc_rejects_excluded_letters_and_names_position(void **st)
{
	(void)st;
	const char *bad[] = {"I", "O", "Z", "S", "V"};
	for (size_t i = 0; i < 5; i++) {
		char c[19];
		memcpy(c, "91110000600037341L", 19);
		c[8] = bad[i][0];
		assert_int_equal(dipr_ident_uscc_validate(c, 18), DIPR_EINVAL);
		assert_detail_has("position 9");
		assert_detail_has("not in the code set");
	}
	assert_int_equal(dipr_ident_uscc_validate("91110000600037341l", 18), DIPR_EINVAL);
	assert_detail_has("position 18");
	assert_int_equal(dipr_ident_uscc_validate("9111000060003734iL", 18), DIPR_EINVAL);
	assert_detail_has("position 17");
}

static void test_uscc_division_must_be_digits(void **st)
{
	(void)st;
	/* 'A' is in the code set but positions 3-8 are digits only. */
	assert_int_equal(dipr_ident_uscc_validate("911A0000600037341L", 18), DIPR_EINVAL);
	assert_detail_has("position 4");
	assert_detail_has("administrative division");
	/* Positions 1-2 may be letters of the code set ('Y' = other). */
	char c[19], check;
	memcpy(c, "Y1110000600037341?", 19);
	assert_int_equal(dipr_ident_uscc_check_char(c, 17, &check), 0);
	c[17] = check;
	assert_int_equal(dipr_ident_uscc_validate(c, 18), 0);
}

static void test_uscc_length_and_bytes(void **st)
{
	(void)st;
	char check;
	assert_int_equal(dipr_ident_uscc_validate("91110000600037341", 17), DIPR_EINVAL);
	assert_detail_has("expected 18 characters, got 17");
	assert_int_equal(dipr_ident_uscc_validate("91110000600037341LL", 19), DIPR_EINVAL);
	assert_int_equal(dipr_ident_uscc_validate("", 0), DIPR_EINVAL);
	assert_int_equal(dipr_ident_uscc_check_char("9111000060003734", 16, &check), DIPR_EINVAL);
	/* A NUL or a control byte is shown escaped, not raw. */
	assert_int_equal(dipr_ident_uscc_validate("91110000600\00037341L", 18), DIPR_EINVAL);
	assert_detail_has("position 12: \\x00");
	assert_int_equal(dipr_ident_uscc_validate("91110000600037341\n", 18), DIPR_EINVAL);
	assert_detail_has("\\x0a");
	assert_int_equal(dipr_ident_uscc_validate(" 91110000600037341L", 18), DIPR_EINVAL);
	assert_detail_has("position 1");
}

static void test_idno_standard_and_published_examples(void **st)
{
	(void)st;
	dipr_ident_idno id;
	dipr_date today = day("2025-06-01");
	/* GB 11643-1999 annex A: 北京市朝阳区, born 1949-12-31, female. */
	assert_int_equal(dipr_ident_idno_parse("11010519491231002X", 18, today, &id), 0);
	assert_string_equal(id.text, "11010519491231002X");
	assert_int_equal(id.birth.days, day("1949-12-31").days);
	assert_true(id.female);
	/* python-stdnum test_cn_ric.doctest */
	assert_int_equal(dipr_ident_idno_parse("360426199101010071", 18, today, &id), 0);
	assert_false(id.female);
	assert_int_equal(id.birth.days, day("1991-01-01").days);
	char check;
	assert_int_equal(dipr_ident_idno_check_char("36042619910101007", 17, &check), 0);
	assert_int_equal(check, '1');
	assert_int_equal(dipr_ident_idno_check_char("11010519491231002", 17, &check), 0);
	assert_int_equal(check, 'X');
}

static void test_idno_lowercase_x_is_normalised(void **st)
{
	(void)st;
	dipr_ident_idno id;
	/* python-stdnum test_cn_ric.doctest: '44011320141005001x' is valid. */
	assert_int_equal(dipr_ident_idno_parse("44011320141005001x", 18, day("2025-01-01"), &id), 0);
	assert_string_equal(id.text, "44011320141005001X");
	assert_int_equal(id.birth.days, day("2014-10-05").days);
}

static void test_idno_wrong_check_names_expected(void **st)
{
	(void)st;
	/* python-stdnum: 36042619910102009X has a bad checksum ('3'). */
	assert_int_equal(dipr_ident_idno_parse("36042619910102009X", 18, day("2025-01-01"), NULL), DIPR_EINVAL);
	assert_detail_has("check character (position 18) should be '3', got 'X'");
	/* Every single-digit change in the body is caught (MOD 11-2). */
	char c[19];
	memcpy(c, "360426199101010071", 19);
	for (int pos = 0; pos < 17; pos++) {
		char orig = c[pos];
		for (char d = '0'; d <= '9'; d++) {
			if (d == orig)
				continue;
			c[pos] = d;
			assert_int_not_equal(dipr_ident_idno_parse(c, 18, day("2025-01-01"), NULL), 0);
		}
		c[pos] = orig;
	}
}

static void test_idno_birth_date_rules(void **st)
{
	(void)st;
	dipr_date today = day("2025-06-01");
	char c[19], check;
	/* python-stdnum: month 13 */
	assert_int_equal(dipr_ident_idno_parse("360426199113010079", 18, today, NULL), DIPR_EINVAL);
	assert_detail_has("positions 7-14: birth date 19911301 is not a real date");
	/* GB 11643 annex A's other example, born 1880 (check digit right):
	 * refused because dipr accepts years from 1900. */
	assert_int_equal(dipr_ident_idno_check_char("44052418800101001", 17, &check), 0);
	assert_int_equal(check, '4');
	assert_int_equal(dipr_ident_idno_parse("440524188001010014", 18, today, NULL), DIPR_EINVAL);
	assert_detail_has("18800101");
	/* 29 February only in leap years; the check digit made right each time
	 * so only the date can fail. */
	memcpy(c, "11010520000229001?", 19);
	assert_int_equal(dipr_ident_idno_check_char(c, 17, &c[17]), 0);
	assert_int_equal(dipr_ident_idno_parse(c, 18, today, NULL), 0);
	memcpy(c, "11010519000229001?", 19); /* 1900 is not a leap year */
	assert_int_equal(dipr_ident_idno_check_char(c, 17, &c[17]), 0);
	assert_int_equal(dipr_ident_idno_parse(c, 18, today, NULL), DIPR_EINVAL);
	/* Born today is fine, tomorrow is not. */
	memcpy(c, "11010520250601001?", 19);
	assert_int_equal(dipr_ident_idno_check_char(c, 17, &c[17]), 0);
	assert_int_equal(dipr_ident_idno_parse(c, 18, today, NULL), 0);
	memcpy(c, "11010520250602001?", 19);
	assert_int_equal(dipr_ident_idno_check_char(c, 17, &c[17]), 0);
	assert_int_equal(dipr_ident_idno_parse(c, 18, today, NULL), DIPR_EINVAL);
	assert_detail_has("after today (2025-06-01)");
	/* An invalid "today" is refused rather than trusted. */
	assert_int_equal(dipr_ident_idno_parse("360426199101010071", 18, (dipr_date){INT32_MAX}, NULL),
			 DIPR_EINVAL);
}

static void test_idno_format_errors(void **st)
{
	(void)st;
	dipr_date today = day("2025-06-01");
	assert_int_equal(dipr_ident_idno_parse("36042619910101007", 17, today, NULL), DIPR_EINVAL);
	assert_detail_has("expected 18 characters, got 17");
	assert_int_equal(dipr_ident_idno_parse("T60426199101010078", 18, today, NULL), DIPR_EINVAL);
	assert_detail_has("position 1: 'T' is not a digit");
	assert_int_equal(dipr_ident_idno_parse("3604261991010100X1", 18, today, NULL), DIPR_EINVAL);
	assert_detail_has("position 17");
	assert_int_equal(dipr_ident_idno_parse("36042619910101007Y", 18, today, NULL), DIPR_EINVAL);
	assert_detail_has("position 18: 'Y' is not a digit or 'X'");
	char check;
	assert_int_equal(dipr_ident_idno_check_char("3604261991010100x", 17, &check), DIPR_EINVAL);
}

static void test_regno_known_answer_and_round_trip(void **st)
{
	(void)st;
	char out[DIPR_REGNO_LEN + 1];
	dipr_regno r = {2025, DIPR_SOURCE_SELF, DIPR_APPLICANT_LEGAL_PERSON, 1}, back;
	assert_int_equal(dipr_regno_format(&r, out), 0);
	/* MOD 11-2 by hand: weights 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over
	 * 2 0 2 5 1 1 0 0 0 0 0 0 0 0 1: 20+0+16+20+2+1+2 = 61, 61 mod 11 = 6,
	 * (12 - 6) mod 11 = 6. */
	assert_string_equal(out, "2025110000000016");
	assert_int_equal(dipr_regno_parse(out, 16, &back), 0);
	assert_memory_equal(&r, &back, sizeof r);
	/* Every source, applicant and a spread of sequences, with both kinds
	 * of check character among them. */
	int sources[] = {1, 2, 3, 9}, seen_x = 0;
	for (int si = 0; si < 4; si++)
		for (int a = 1; a <= 3; a++)
			for (uint64_t seq = 1; seq <= DIPR_REGNO_SEQ_MAX; seq = seq * 7 + 3) {
				dipr_regno q = {2024, sources[si], a, (uint32_t)seq};
				assert_int_equal(dipr_regno_format(&q, out), 0);
				assert_int_equal(strlen(out), 16);
				seen_x += out[15] == 'X';
				assert_int_equal(dipr_regno_parse(out, 16, &back), 0);
				assert_memory_equal(&q, &back, sizeof q);
			}
	assert_true(seen_x > 0);
	dipr_regno max = {9999, 9, 3, DIPR_REGNO_SEQ_MAX};
	assert_int_equal(dipr_regno_format(&max, out), 0);
	assert_memory_equal(out, "999993999999999", 15);
}

static void test_regno_format_refuses_bad_fields(void **st)
{
	(void)st;
	char out[DIPR_REGNO_LEN + 1];
	dipr_regno bad[] = {
		{1899, 1, 1, 1}, {10000, 1, 1, 1}, {2025, 0, 1, 1}, {2025, 4, 1, 1},  {2025, 1, 0, 1},
		{2025, 1, 4, 1}, {2025, 1, 1, 0},  {2025, 1, 1, DIPR_REGNO_SEQ_MAX + 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(dipr_regno_format(&bad[i], out), DIPR_EINVAL);
		assert_string_equal(out, "");
	}
	dipr_regno s4 = {2025, 4, 1, 1};
	dipr_regno_format(&s4, out);
	assert_detail_has("data source code 4");
}

static void test_regno_parse_is_strict(void **st)
{
	(void)st;
	dipr_regno r;
	char c[17];
	assert_int_equal(dipr_regno_parse("2025110000000017", 16, &r), DIPR_EINVAL);
	assert_detail_has("should be '6', got '7'");
	assert_int_equal(dipr_regno_parse("202511000000001", 15, &r), DIPR_EINVAL);
	assert_detail_has("expected 16 characters, got 15");
	assert_int_equal(dipr_regno_parse("2025410000000016", 16, &r), DIPR_EINVAL);
	assert_detail_has("position 5");
	assert_int_equal(dipr_regno_parse("2025140000000016", 16, &r), DIPR_EINVAL);
	assert_detail_has("position 6");
	assert_int_equal(dipr_regno_parse("2025 10000000016", 16, &r), DIPR_EINVAL);
	assert_detail_has("position 5: ' ' is not a digit");
	assert_int_equal(dipr_regno_parse("1899110000000016", 16, &r), DIPR_EINVAL);
	/* Sequence 0 is refused whatever the check character. */
	memcpy(c, "202511000000000?", 17);
	const char *checks = "0123456789X";
	for (int i = 0; i < 11; i++) {
		c[15] = checks[i];
		assert_int_equal(dipr_regno_parse(c, 16, &r), DIPR_EINVAL);
	}
	assert_detail_has("sequence 000000000");
	/* Lowercase 'x' is not accepted in numbers dipr issues. */
	dipr_regno q;
	char out[17];
	for (uint32_t seq = 1;; seq++) {
		q = (dipr_regno){2025, 1, 1, seq};
		dipr_regno_format(&q, out);
		if (out[15] == 'X')
			break;
	}
	out[15] = 'x';
	assert_int_equal(dipr_regno_parse(out, 16, &r), DIPR_EINVAL);
}

static void test_certno_round_trip_and_defaults(void **st)
{
	(void)st;
	char out[DIPR_CERTNO_LEN + 1];
	dipr_certno c = {2025, 1, DIPR_CERTNO_BODY_DEFAULT, 1}, back;
	assert_int_equal(dipr_certno_format(&c, out), 0);
	assert_string_equal(out, "20250112000000001");
	assert_int_equal(dipr_certno_parse(out, 17, &back), 0);
	assert_memory_equal(&c, &back, sizeof c);
	dipr_certno max = {9999, 12, 9999, DIPR_CERTNO_SERIAL_MAX};
	assert_int_equal(dipr_certno_format(&max, out), 0);
	assert_string_equal(out, "99991299999999999");
	dipr_certno low = {1900, 10, 1, 42};
	assert_int_equal(dipr_certno_format(&low, out), 0);
	assert_string_equal(out, "19001000010000042");
	assert_int_equal(dipr_certno_parse(out, 17, &back), 0);
	assert_memory_equal(&low, &back, sizeof low);
}

static void test_certno_strict(void **st)
{
	(void)st;
	char out[DIPR_CERTNO_LEN + 1];
	dipr_certno c;
	assert_int_equal(dipr_certno_parse("20251312000000001", 17, &c), DIPR_EINVAL);
	assert_detail_has("positions 5-6: month 13");
	assert_int_equal(dipr_certno_parse("20250012000000001", 17, &c), DIPR_EINVAL);
	assert_detail_has("month 00");
	assert_int_equal(dipr_certno_parse("20250112000000000", 17, &c), DIPR_EINVAL);
	assert_detail_has("serial");
	assert_int_equal(dipr_certno_parse("20250100000000001", 17, &c), DIPR_EINVAL);
	assert_detail_has("body");
	assert_int_equal(dipr_certno_parse("18990112000000001", 17, &c), DIPR_EINVAL);
	assert_int_equal(dipr_certno_parse("2025011200000001", 16, &c), DIPR_EINVAL);
	assert_detail_has("expected 17 digits");
	assert_int_equal(dipr_certno_parse("2025011200000000a", 17, &c), DIPR_EINVAL);
	assert_detail_has("position 17");
	assert_int_equal(dipr_certno_parse("-2025011200000001", 17, &c), DIPR_EINVAL);
	dipr_certno bad[] = {
		{1899, 1, 1200, 1}, {2025, 0, 1200, 1}, {2025, 13, 1200, 1}, {2025, 1, 0, 1},
		{2025, 1, 10000, 1}, {2025, 1, 1200, 0}, {2025, 1, 1200, DIPR_CERTNO_SERIAL_MAX + 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(dipr_certno_format(&bad[i], out), DIPR_EINVAL);
		assert_string_equal(out, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uscc_real_codes_validate),
		cmocka_unit_test(test_uscc_standard_worked_example_z_is_wrong),
		cmocka_unit_test(test_uscc_pilot_era_codes_that_fail_the_check_are_refused),
		cmocka_unit_test(test_uscc_every_single_character_change_is_caught),
		cmocka_unit_test(test_uscc_rejects_excluded_letters_and_names_position),
		cmocka_unit_test(test_uscc_division_must_be_digits),
		cmocka_unit_test(test_uscc_length_and_bytes),
		cmocka_unit_test(test_idno_standard_and_published_examples),
		cmocka_unit_test(test_idno_lowercase_x_is_normalised),
		cmocka_unit_test(test_idno_wrong_check_names_expected),
		cmocka_unit_test(test_idno_birth_date_rules),
		cmocka_unit_test(test_idno_format_errors),
		cmocka_unit_test(test_regno_known_answer_and_round_trip),
		cmocka_unit_test(test_regno_format_refuses_bad_fields),
		cmocka_unit_test(test_regno_parse_is_strict),
		cmocka_unit_test(test_certno_round_trip_and_defaults),
		cmocka_unit_test(test_certno_strict),
	};
	return cmocka_run_group_tests_name("ident", tests, NULL, NULL);
}
