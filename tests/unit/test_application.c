/* test_application.c — the application document (registry/application.h):
 * validation in draft and submit mode, the public view, change merging.
 *
 * Identity numbers in the documents are not hard-coded guesses: check
 * characters are computed with dipr/ident.h, whose own tests hold the
 * known answers from GB 32100 and GB 11643. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "dipr/dipr.h"
#include "dipr/ident.h"
#include "registry/application.h"

#define USCC "91350100M000100Y43" /* GB 32100-2015 worked example */

static dipr_date today;
static char idno[DIPR_IDNO_LEN + 1]; /* born 1949-12-31, computed check */
static char msg[512];

static const char legal_doc[] =
	"{\"data_name\":\"城市交通流量数据集\",\"industry\":\"交通运输\","
	"\"scenario\":\"交通信号优化\\n拥堵预测\","
	"\"source\":{\"type\":\"contract\",\"description\":\"与某市交管局签订的数据采购协议\","
	"\"agreement_end\":\"2027-12-31\"},"
	"\"scale\":{\"records\":1200000,\"bytes\":734003200},"
	"\"structure\":\"CSV\",\"update_frequency\":\"每日\","
	"\"processing_rules\":\"去标识化后按路口聚合\\t每5分钟\","
	"\"evidence\":[\"receipt one\\n\",\"receipt two\\n\"],"
	"\"sample\":{\"v\":1,\"rows\":[\"a\",\"b\"]},"
	"\"legality_commitment\":true,"
	"\"applicant\":{\"name\":\"某某数据科技有限公司\",\"type\":\"legal_person\",\"id\":\"" USCC "\","
	"\"contact\":{\"person\":\"张三\",\"phone\":\"+86 22 1234 5678\",\"email\":\"zhang@example.com\","
	"\"address\":\"天津市河西区\"}}}";

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *d = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (!d)
		fail_msg("test JSON: %s", err.text);
	return d;
}

static json_t *legal(void) { return load(legal_doc); }

static json_t *natural(void)
{
	json_t *d = legal();
	json_t *a = json_object_get(d, "applicant");
	json_object_set_new(a, "type", json_string("natural_person"));
	json_object_set_new(a, "id", json_string(idno));
	json_object_set_new(a, "name", json_string("李四"));
	json_object_set_new(json_object_get(d, "source"), "type", json_string("self"));
	json_object_del(json_object_get(d, "source"), "agreement_end");
	return d;
}

/* The parent object of a dotted path and its last component. */
static json_t *parent_of(json_t *d, const char *path, char last[128])
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	char *dot, *p = buf;
	while ((dot = strchr(p, '.'))) {
		*dot = 0;
		d = json_object_get(d, p);
		p = dot + 1;
	}
	snprintf(last, 128, "%s", p);
	return d;
}

static void set(json_t *d, const char *path, json_t *v)
{
	char last[128];
	json_t *o = parent_of(d, path, last);
	assert_non_null(o);
	assert_int_equal(json_object_set_new(o, last, v), 0);
}

static void del(json_t *d, const char *path)
{
	char last[128];
	assert_int_equal(json_object_del(parent_of(d, path, last), last), 0);
}

static void assert_ok(const json_t *d, dipr_app_mode mode)
{
	msg[0] = 'x';
	if (dipr_app_validate(d, mode, today, msg, sizeof msg) != 0)
		fail_msg("expected valid, got: %s", msg);
	assert_string_equal(msg, "");
}

/* Fails in mode with a message starting with want. */
static void assert_bad(const json_t *d, dipr_app_mode mode, const char *want)
{
	msg[0] = 0;
	if (dipr_app_validate(d, mode, today, msg, sizeof msg) != DIPR_EINVAL)
		fail_msg("expected \"%s\", got valid", want);
	if (strncmp(msg, want, strlen(want)))
		fail_msg("expected \"%s...\", got \"%s\"", want, msg);
	assert_null(strchr(msg, '\n'));
}

static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = malloc(u * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = 0;
	return s;
}

static int setup(void **st)
{
	(void)st;
	char c;
	assert_int_equal(dipr_date_parse("2025-06-01", 10, &today), 0);
	memcpy(idno, "11010519491231002", 17);
	assert_int_equal(dipr_ident_idno_check_char(idno, 17, &c), 0);
	idno[17] = c;
	idno[18] = 0;
	return 0;
}

static void test_valid_legal_and_natural_person_docs_pass_both_modes(void **st)
{
	(void)st;
	json_t *l = legal(), *n = natural();
	assert_ok(l, DIPR_APP_SUBMIT);
	assert_ok(l, DIPR_APP_DRAFT);
	assert_ok(n, DIPR_APP_SUBMIT);
	assert_ok(n, DIPR_APP_DRAFT);
	json_object_set_new(json_object_get(l, "applicant"), "type", json_string("unincorporated"));
	assert_ok(l, DIPR_APP_SUBMIT);
	/* optional members may go */
	del(l, "sample");
	del(l, "applicant.contact.email");
	del(l, "applicant.contact.address");
	assert_ok(l, DIPR_APP_SUBMIT);
	json_decref(l);
	json_decref(n);
}

static void test_each_required_member_missing_fails_submit_passes_draft(void **st)
{
	(void)st;
	static const char *required[] = {
		"data_name", "industry", "scenario", "source", "source.type", "source.description",
		"scale", "scale.records", "scale.bytes", "structure", "update_frequency", "processing_rules",
		"evidence", "legality_commitment", "applicant", "applicant.name", "applicant.type",
		"applicant.id", "applicant.contact", "applicant.contact.person", "applicant.contact.phone",
	};
	for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
		char want[128];
		json_t *d = legal();
		del(d, required[i]);
		snprintf(want, sizeof want, "application.%s: required", required[i]);
		assert_bad(d, DIPR_APP_SUBMIT, want);
		assert_ok(d, DIPR_APP_DRAFT);
		json_decref(d);
	}
	json_t *d = legal();
	del(d, "source.agreement_end");
	assert_bad(d, DIPR_APP_SUBMIT, "application.source.agreement_end: required when source.type is \"contract\"");
	assert_ok(d, DIPR_APP_DRAFT);
	json_decref(d);
	/* an empty object is a fine draft */
	d = json_object();
	assert_ok(d, DIPR_APP_DRAFT);
	assert_bad(d, DIPR_APP_SUBMIT, "application.data_name: required");
	json_decref(d);
}

static void test_legality_commitment_must_be_true_to_submit(void **st)
{
	(void)st;
	json_t *d = legal();
	set(d, "legality_commitment", json_false());
	assert_bad(d, DIPR_APP_SUBMIT, "application.legality_commitment: must be true");
	assert_ok(d, DIPR_APP_DRAFT);
	set(d, "legality_commitment", json_string("true"));
	assert_bad(d, DIPR_APP_DRAFT, "application.legality_commitment: expected true or false");
	json_decref(d);
}

static void test_wrong_types_and_values_are_named(void **st)
{
	(void)st;
	struct {
		const char *path, *json, *want;
	} cases[] = {
		{"data_name", "5", "expected a string of 1..200 characters, got an integer"},
		{"industry", "null", "expected a string"},
		{"scenario", "[\"a\"]", "expected a string"},
		{"source", "\"self\"", "expected an object, got a string"},
		{"source.type", "\"bought\"", "expected \"self\", \"contract\", \"authorised\" or \"other\""},
		{"source.type", "1", "expected \"self\""},
		{"source.agreement_end", "\"2025-13-01\"", "expected a date YYYY-MM-DD"},
		{"source.agreement_end", "\"2027-1-31\"", "expected a date"},
		{"scale", "[]", "expected an object"},
		{"scale.records", "\"10\"", "expected an integer in 1..9007199254740991"},
		{"scale.records", "0", "expected an integer in 1.."},
		{"scale.bytes", "-1", "expected an integer in 1.."},
		{"scale.bytes", "9007199254740992", "expected an integer in 1.."},
		{"scale.bytes", "1.5", "expected an integer in 1.."},
		{"evidence", "\"receipt\"", "expected an array of 1..16 receipts"},
		{"evidence", "[]", "expected an array of 1..16 receipts"},
		{"sample", "[]", "expected a sample proof (an object), got an array"},
		{"applicant", "\"me\"", "expected an object"},
		{"applicant.type", "\"company\"", "expected \"legal_person\", \"unincorporated\" or \"natural_person\""},
		{"applicant.id", "91350100", "expected a unified social credit code or an identity number, got an integer"},
		{"applicant.contact", "true", "expected an object, got a boolean"},
		{"applicant.contact.email", "\"a@b@example.com\"", "expected an e-mail address"},
		{"applicant.contact.email", "\"zhang.example.com\"", "expected an e-mail address"},
		{"applicant.contact.email", "\"@example.com\"", "expected an e-mail address"},
		{"applicant.contact.email", "\"zhang @example.com\"", "expected an e-mail address"},
		{"disclosure", "[\"sample\"]", "expected an object mapping"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char want[256];
		json_t *d = legal();
		set(d, cases[i].path, load(cases[i].json));
		snprintf(want, sizeof want, "application.%s: %s", cases[i].path, cases[i].want);
		assert_bad(d, DIPR_APP_SUBMIT, want);
		assert_bad(d, DIPR_APP_DRAFT, want);
		json_decref(d);
	}
	json_t *d = legal();
	json_t *ev = json_object_get(d, "evidence");
	json_array_append_new(ev, json_integer(1));
	assert_bad(d, DIPR_APP_DRAFT, "application.evidence[2]: expected a receipt");
	json_array_clear(ev);
	for (int i = 0; i < 17; i++)
		json_array_append_new(ev, json_string("r"));
	assert_bad(d, DIPR_APP_SUBMIT, "application.evidence: expected an array of 1..16");
	json_array_remove(ev, 0);
	assert_ok(d, DIPR_APP_SUBMIT);
	json_decref(d);
	/* not an object at all */
	const char *roots[] = {"[]", "\"application\"", "null", "42"};
	for (size_t i = 0; i < 4; i++) {
		d = json_loads(roots[i], JSON_DECODE_ANY, NULL);
		assert_bad(d, DIPR_APP_DRAFT, "application: expected a JSON object");
		json_decref(d);
	}
	assert_bad(NULL, DIPR_APP_SUBMIT, "application: expected a JSON object, got nothing");
	assert_int_equal(dipr_app_validate(NULL, DIPR_APP_SUBMIT, today, NULL, 0), DIPR_EINVAL);
}

static void test_lengths_count_characters(void **st)
{
	(void)st;
	json_t *d = legal();
	char *s = repeat("数", 200);
	set(d, "data_name", json_string(s));
	assert_ok(d, DIPR_APP_SUBMIT);
	free(s);
	s = repeat("数", 201);
	set(d, "data_name", json_string(s));
	assert_bad(d, DIPR_APP_SUBMIT, "application.data_name: 201 characters, at most 200 allowed");
	assert_bad(d, DIPR_APP_DRAFT, "application.data_name: 201 characters");
	free(s);
	json_decref(d);

	struct {
		const char *path;
		size_t max;
	} limits[] = {
		{"industry", 100}, {"scenario", 2000}, {"source.description", 2000}, {"structure", 100},
		{"update_frequency", 100}, {"processing_rules", 10000}, {"applicant.name", 200},
		{"applicant.contact.person", 100}, {"applicant.contact.phone", 40},
		{"applicant.contact.address", 500},
	};
	for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
		char want[128];
		d = legal();
		s = repeat("é", limits[i].max);
		set(d, limits[i].path, json_string(s));
		assert_ok(d, DIPR_APP_SUBMIT);
		free(s);
		s = repeat("é", limits[i].max + 1);
		set(d, limits[i].path, json_string(s));
		snprintf(want, sizeof want, "application.%s: %zu characters, at most %zu", limits[i].path,
			 limits[i].max + 1, limits[i].max);
		assert_bad(d, DIPR_APP_SUBMIT, want);
		free(s);
		set(d, limits[i].path, json_string(""));
		snprintf(want, sizeof want, "application.%s: empty", limits[i].path);
		assert_bad(d, DIPR_APP_DRAFT, want);
		json_decref(d);
	}

	/* e-mail: 200 characters */
	d = legal();
	s = repeat("a", 200);
	memcpy(s + 180, "@example.com", 12);
	set(d, "applicant.contact.email", json_string(s));
	assert_ok(d, DIPR_APP_SUBMIT);
	free(s);
	s = repeat("a", 201);
	memcpy(s + 180, "@example.com", 12);
	set(d, "applicant.contact.email", json_string(s));
	assert_bad(d, DIPR_APP_SUBMIT, "application.applicant.contact.email: 201 characters");
	free(s);

	/* receipts are bytes */
	s = repeat("r", DIPR_APP_RECEIPT_MAX);
	json_array_set_new(json_object_get(d, "evidence"), 0, json_string(s));
	set(d, "applicant.contact.email", json_string("z@example.com"));
	assert_ok(d, DIPR_APP_SUBMIT);
	free(s);
	s = repeat("r", DIPR_APP_RECEIPT_MAX + 1);
	json_array_set_new(json_object_get(d, "evidence"), 1, json_string(s));
	assert_bad(d, DIPR_APP_SUBMIT, "application.evidence[1]: expected a receipt of 1..65536 bytes");
	free(s);
	json_array_set_new(json_object_get(d, "evidence"), 1, json_stringn("a\0b", 3));
	assert_bad(d, DIPR_APP_SUBMIT, "application.evidence[1]: expected a receipt");
	json_array_set_new(json_object_get(d, "evidence"), 1, json_string(""));
	assert_bad(d, DIPR_APP_SUBMIT, "application.evidence[1]: expected a receipt");
	json_decref(d);
}

static void test_sample_limited_to_one_mebibyte(void **st)
{
	(void)st;
	json_t *d = legal();
	/* {"s":"..."} is 8 bytes around the string */
	char *s = repeat("x", DIPR_APP_SAMPLE_MAX - 8);
	set(d, "sample", json_pack("{s:s}", "s", s));
	assert_ok(d, DIPR_APP_SUBMIT);
	free(s);
	s = repeat("x", DIPR_APP_SAMPLE_MAX - 7);
	set(d, "sample", json_pack("{s:s}", "s", s));
	assert_bad(d, DIPR_APP_SUBMIT, "application.sample: more than 1048576 bytes");
	free(s);
	json_decref(d);
}

static void test_text_rules_controls_and_white_space(void **st)
{
	(void)st;
	struct {
		const char *path, *value, *want; /* want NULL: valid */
	} cases[] = {
		{"scenario", "line one\nline two\tend", NULL},
		{"processing_rules", "  indented\n", NULL},
		{"source.description", "\ta\n", NULL},
		{"data_name", "a\nb", "control character U+000A at character 2"},
		{"industry", "a\tb", "control character U+0009"},
		{"scenario", "a\rb", "control character U+000D at character 2 (only line feed and tab"},
		{"scenario", "数据\x7f", "control character U+007F at character 3"},
		{"structure", "CSV\xc2\x85", "control character U+0085 at character 4"},
		{"processing_rules", "\xc2\x9f", "control character U+009F"},
		{"data_name", " 名称", "leading or trailing white space"},
		{"data_name", "名称 ", "leading or trailing white space"},
		{"industry", "交通\xe3\x80\x80", "leading or trailing white space"}, /* U+3000 */
		{"structure", "\xc2\xa0" "CSV", "leading or trailing white space"},  /* U+00A0 */
		{"update_frequency", "\xef\xbb\xbf" "daily", "leading or trailing white space"}, /* U+FEFF */
		{"applicant.name", "某 公司", NULL},
		{"applicant.contact.person", "张三 ", "leading or trailing white space"},
		{"applicant.contact.phone", " 123", "leading or trailing white space"},
		{"applicant.contact.address", "天津 ", "leading or trailing white space"},
		{"applicant.contact.address", "天津\n河西", "control character U+000A"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char want[256];
		json_t *d = legal();
		set(d, cases[i].path, json_string(cases[i].value));
		if (!cases[i].want) {
			assert_ok(d, DIPR_APP_SUBMIT);
		} else {
			snprintf(want, sizeof want, "application.%s: %s", cases[i].path, cases[i].want);
			assert_bad(d, DIPR_APP_SUBMIT, want);
			assert_bad(d, DIPR_APP_DRAFT, want);
		}
		json_decref(d);
	}
	json_t *d = legal();
	set(d, "data_name", json_stringn("a\0b", 3));
	assert_bad(d, DIPR_APP_SUBMIT, "application.data_name: control character U+0000 at character 2");
	/* a string made without jansson's UTF-8 check */
	set(d, "data_name", json_string_nocheck("a\xff"));
	assert_bad(d, DIPR_APP_SUBMIT, "application.data_name: not valid UTF-8");
	json_decref(d);
}

static void test_uscc_check_character_is_checked_in_both_modes(void **st)
{
	(void)st;
	char code[DIPR_USCC_LEN + 1] = USCC, want[200], c;
	assert_int_equal(dipr_ident_uscc_check_char(code, 17, &c), 0);
	assert_int_equal(c, '3');
	code[17] = c == '4' ? '5' : '4';
	json_t *d = legal();
	set(d, "applicant.id", json_string(code));
	snprintf(want, sizeof want,
		 "application.applicant.id: unified social credit code: check character (position 18) "
		 "should be '%c', got '%c'", c, code[17]);
	assert_bad(d, DIPR_APP_SUBMIT, want);
	assert_bad(d, DIPR_APP_DRAFT, want);
	/* a person's number is no organisation's code */
	set(d, "applicant.id", json_string(idno));
	assert_bad(d, DIPR_APP_SUBMIT, "application.applicant.id: unified social credit code:");
	/* lowercase is refused for codes */
	set(d, "applicant.id", json_string("91350100m000100y43"));
	assert_bad(d, DIPR_APP_SUBMIT, "application.applicant.id: unified social credit code: position 9");
	/* draft without a type: either kind, if valid */
	del(d, "applicant.type");
	set(d, "applicant.id", json_string(USCC));
	assert_ok(d, DIPR_APP_DRAFT);
	set(d, "applicant.id", json_string(idno));
	assert_ok(d, DIPR_APP_DRAFT);
	set(d, "applicant.id", json_string(code));
	assert_bad(d, DIPR_APP_DRAFT,
		   "application.applicant.id: neither a unified social credit code nor an identity number");
	json_decref(d);
}

static void test_identity_number_check_character_and_birth_date(void **st)
{
	(void)st;
	char bad[DIPR_IDNO_LEN + 1], want[200];
	memcpy(bad, idno, sizeof bad);
	bad[17] = idno[17] == '0' ? '1' : '0';
	json_t *d = natural();
	set(d, "applicant.id", json_string(bad));
	snprintf(want, sizeof want,
		 "application.applicant.id: identity number: check character (position 18) should be '%c', got '%c'",
		 idno[17], bad[17]);
	assert_bad(d, DIPR_APP_SUBMIT, want);
	assert_bad(d, DIPR_APP_DRAFT, want);
	/* born after today */
	char later[DIPR_IDNO_LEN + 1] = "11010520250602001", c;
	assert_int_equal(dipr_ident_idno_check_char(later, 17, &c), 0);
	later[17] = c;
	set(d, "applicant.id", json_string(later));
	assert_bad(d, DIPR_APP_SUBMIT, "application.applicant.id: identity number: positions 7-14: birth date 20250602 is after today");
	/* an organisation's code is no person's number */
	set(d, "applicant.id", json_string(USCC));
	assert_bad(d, DIPR_APP_SUBMIT, "application.applicant.id: identity number:");
	json_decref(d);
}

static void test_agreement_end_by_source_type(void **st)
{
	(void)st;
	struct {
		const char *type;
		bool with_end;
		int submit, draft; /* 0 valid, 1 invalid */
		const char *want;
	} cases[] = {
		{"self", false, 0, 0, NULL},
		{"self", true, 1, 1, "application.source.agreement_end: not allowed when source.type is \"self\""},
		{"contract", true, 0, 0, NULL},
		{"contract", false, 1, 0, "application.source.agreement_end: required when source.type is \"contract\""},
		{"authorised", true, 0, 0, NULL},
		{"authorised", false, 1, 0, "application.source.agreement_end: required when source.type is \"authorised\""},
		{"other", true, 0, 0, NULL},
		{"other", false, 0, 0, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *d = legal();
		set(d, "source.type", json_string(cases[i].type));
		if (!cases[i].with_end)
			del(d, "source.agreement_end");
		if (cases[i].submit)
			assert_bad(d, DIPR_APP_SUBMIT, cases[i].want);
		else
			assert_ok(d, DIPR_APP_SUBMIT);
		if (cases[i].draft)
			assert_bad(d, DIPR_APP_DRAFT, cases[i].want);
		else
			assert_ok(d, DIPR_APP_DRAFT);
		dipr_date end;
		assert_int_equal(dipr_app_agreement_end(d, &end), cases[i].with_end);
		if (cases[i].with_end) {
			char s[DIPR_DATE_STRLEN];
			dipr_date_format(end, s);
			assert_string_equal(s, "2027-12-31");
		}
		json_decref(d);
	}
}

static void test_unknown_member_at_each_level(void **st)
{
	(void)st;
	static const char *where[] = {"colour", "source.colour", "scale.colour", "applicant.colour",
				      "applicant.contact.colour"};
	for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
		char want[128];
		json_t *d = legal();
		set(d, where[i], json_string("blue"));
		snprintf(want, sizeof want, "application.%s: unknown member", where[i]);
		assert_bad(d, DIPR_APP_SUBMIT, want);
		assert_bad(d, DIPR_APP_DRAFT, want);
		json_decref(d);
	}
	/* a misspelt member is named as unknown, not as the missing one */
	json_t *d = legal();
	json_t *v = json_object_get(d, "data_name");
	json_object_set(d, "dataname", v);
	json_object_del(d, "data_name");
	assert_bad(d, DIPR_APP_SUBMIT, "application.dataname: unknown member");
	json_object_del(d, "dataname");
	/* a key with a NUL is not the member it starts like */
	json_object_setn_new(d, "data_name\0x", 11, json_string("x"));
	assert_bad(d, DIPR_APP_DRAFT, "application.data_name?x: unknown member");
	json_object_deln(d, "data_name\0x", 11);
	/* control bytes and long names are cleaned in the message */
	json_object_set_new(d, "a\nb", json_true());
	assert_bad(d, DIPR_APP_DRAFT, "application.a?b: unknown member");
	json_object_del(d, "a\nb");
	char *longk = repeat("长", 100);
	json_object_set_new(d, longk, json_true());
	assert_bad(d, DIPR_APP_DRAFT, "application.长长长");
	assert_true(strlen(msg) < 12 + 64 + 20);
	free(longk);
	json_decref(d);
}

static void test_disclosure_keys_and_values(void **st)
{
	(void)st;
	json_t *d = legal();
	set(d, "disclosure", load("{\"structure\":\"public\",\"sample\":\"confidential\","
				  "\"source.description\":\"public\",\"source.agreement_end\":\"public\","
				  "\"processing_rules\":\"public\",\"update_frequency\":\"confidential\"}"));
	assert_ok(d, DIPR_APP_SUBMIT);
	set(d, "disclosure", load("{\"colour\":\"public\"}"));
	assert_bad(d, DIPR_APP_DRAFT, "application.disclosure.colour: unknown field (markable: update_frequency,");
	/* fixed fields are not markable */
	set(d, "disclosure", load("{\"applicant.contact\":\"public\"}"));
	assert_bad(d, DIPR_APP_SUBMIT, "application.disclosure.applicant.contact: unknown field");
	set(d, "disclosure", load("{\"data_name\":\"confidential\"}"));
	assert_bad(d, DIPR_APP_SUBMIT, "application.disclosure.data_name: unknown field");
	set(d, "disclosure", load("{\"sample\":\"secret\"}"));
	assert_bad(d, DIPR_APP_DRAFT, "application.disclosure.sample: expected \"public\" or \"confidential\"");
	set(d, "disclosure", load("{\"sample\":true}"));
	assert_bad(d, DIPR_APP_DRAFT, "application.disclosure.sample: expected \"public\" or \"confidential\"");
	set(d, "disclosure", json_object());
	assert_ok(d, DIPR_APP_SUBMIT);
	json_decref(d);
}

/* Fails if any object in v has a member named key. */
static bool has_member(const json_t *v, const char *key)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			if (!strcmp(k, key) || has_member(x, key))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (has_member(x, key))
				return true;
		}
	}
	return false;
}

static void test_public_view_defaults_hide_confidential_fields(void **st)
{
	(void)st;
	json_t *d = legal();
	json_t *pv = dipr_app_public_view(d);
	assert_non_null(pv);
	static const char *hidden[] = {"contact", "person", "phone", "email", "address", "processing_rules",
				       "sample", "structure", "description", "agreement_end",
				       "legality_commitment", "disclosure", "evidence"};
	for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++)
		if (has_member(pv, hidden[i]))
			fail_msg("public view shows %s", hidden[i]);
	json_t *want = load("{\"data_name\":\"城市交通流量数据集\",\"industry\":\"交通运输\","
			    "\"scenario\":\"交通信号优化\\n拥堵预测\",\"source\":{\"type\":\"contract\"},"
			    "\"scale\":{\"records\":1200000,\"bytes\":734003200},\"update_frequency\":\"每日\","
			    "\"applicant\":{\"name\":\"某某数据科技有限公司\",\"type\":\"legal_person\",\"id\":\"" USCC "\"},"
			    "\"evidence_count\":2}");
	if (!json_equal(pv, want)) {
		char *s = json_dumps(pv, 0);
		fail_msg("public view: %s", s);
	}
	/* a deep copy: changing it leaves doc alone */
	json_object_set_new(json_object_get(pv, "scale"), "records", json_integer(1));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "scale"), "records")), 1200000);
	json_decref(want);
	json_decref(pv);
	json_decref(d);
}

static void test_public_view_shows_fields_marked_public(void **st)
{
	(void)st;
	json_t *d = legal();
	set(d, "disclosure", load("{\"structure\":\"public\",\"sample\":\"public\","
				  "\"source.description\":\"public\",\"source.agreement_end\":\"public\","
				  "\"processing_rules\":\"public\",\"update_frequency\":\"confidential\"}"));
	json_t *pv = dipr_app_public_view(d);
	assert_non_null(pv);
	assert_true(json_equal(json_object_get(pv, "sample"), json_object_get(d, "sample")));
	assert_string_equal(json_string_value(json_object_get(pv, "structure")), "CSV");
	assert_non_null(json_object_get(pv, "processing_rules"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(pv, "source"), "agreement_end")),
			    "2027-12-31");
	assert_non_null(json_object_get(json_object_get(pv, "source"), "description"));
	assert_null(json_object_get(pv, "update_frequency"));
	assert_false(has_member(pv, "contact"));
	assert_false(has_member(pv, "legality_commitment"));
	json_decref(pv);
	json_decref(d);
}

static void test_public_view_masks_natural_person_id(void **st)
{
	(void)st;
	char want[DIPR_IDNO_LEN + 1];
	snprintf(want, sizeof want, "110105********002%c", idno[17]);
	json_t *d = natural();
	assert_ok(d, DIPR_APP_SUBMIT);
	json_t *pv = dipr_app_public_view(d);
	json_t *a = json_object_get(pv, "applicant");
	assert_string_equal(json_string_value(json_object_get(a, "id")), want);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "李四");
	assert_string_equal(json_string_value(json_object_get(a, "type")), "natural_person");
	char *dump = json_dumps(pv, 0);
	assert_null(strstr(dump, "19491231")); /* the birth date */
	free(dump);
	json_decref(pv);
	json_decref(d);

	/* an 'x' check character: accepted, shown as 'X' */
	char x[DIPR_IDNO_LEN + 1] = "11010519491231001", c = 0;
	for (char k = '0'; k <= '9' && c != 'X'; k++) {
		x[16] = k;
		assert_int_equal(dipr_ident_idno_check_char(x, 17, &c), 0);
	}
	assert_int_equal(c, 'X');
	x[17] = 'x';
	d = natural();
	set(d, "applicant.id", json_string(x));
	assert_ok(d, DIPR_APP_SUBMIT);
	pv = dipr_app_public_view(d);
	snprintf(want, sizeof want, "110105********00%cX", x[16]);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pv, "applicant"), "id")), want);
	json_decref(pv);
	/* without a known type the id is masked too */
	set(d, "applicant.type", json_string("alien"));
	pv = dipr_app_public_view(d);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pv, "applicant"), "id")), want);
	json_decref(pv);
	json_decref(d);
}

static void test_is_public_and_codes(void **st)
{
	(void)st;
	json_t *d = legal();
	static const char *pub[] = {"data_name", "industry", "scenario", "scale", "source.type",
				    "applicant.name", "applicant.type", "applicant.id", "evidence",
				    "update_frequency"};
	static const char *conf[] = {"applicant.contact", "legality_commitment", "structure", "processing_rules",
				     "source.description", "source.agreement_end", "sample", "colour", "", "source"};
	for (size_t i = 0; i < sizeof pub / sizeof *pub; i++)
		if (!dipr_app_is_public(d, pub[i]))
			fail_msg("%s should be public", pub[i]);
	for (size_t i = 0; i < sizeof conf / sizeof *conf; i++)
		if (dipr_app_is_public(d, conf[i]))
			fail_msg("%s should be confidential", conf[i]);
	assert_true(dipr_app_is_public(NULL, "update_frequency"));
	assert_false(dipr_app_is_public(NULL, "sample"));
	assert_false(dipr_app_is_public(d, NULL));
	set(d, "disclosure", load("{\"sample\":\"public\",\"update_frequency\":\"confidential\"}"));
	assert_true(dipr_app_is_public(d, "sample"));
	assert_false(dipr_app_is_public(d, "update_frequency"));

	assert_int_equal(dipr_app_source_code(d), DIPR_SOURCE_CONTRACT);
	assert_int_equal(dipr_app_applicant_code(d), DIPR_APPLICANT_LEGAL_PERSON);
	const char *src[] = {"self", "contract", "authorised", "other", "bought"};
	const int scode[] = {DIPR_SOURCE_SELF, DIPR_SOURCE_CONTRACT, DIPR_SOURCE_AUTHORISED, DIPR_SOURCE_OTHER, 0};
	for (int i = 0; i < 5; i++) {
		set(d, "source.type", json_string(src[i]));
		assert_int_equal(dipr_app_source_code(d), scode[i]);
	}
	const char *app[] = {"legal_person", "unincorporated", "natural_person", "person"};
	const int acode[] = {DIPR_APPLICANT_LEGAL_PERSON, DIPR_APPLICANT_UNINCORPORATED,
			     DIPR_APPLICANT_NATURAL_PERSON, 0};
	for (int i = 0; i < 4; i++) {
		set(d, "applicant.type", json_string(app[i]));
		assert_int_equal(dipr_app_applicant_code(d), acode[i]);
	}
	assert_int_equal(dipr_app_source_code(NULL), 0);
	assert_int_equal(dipr_app_applicant_code(NULL), 0);
	assert_false(dipr_app_agreement_end(NULL, NULL));
	set(d, "source.agreement_end", json_string("2027-02-30"));
	assert_false(dipr_app_agreement_end(d, NULL));
	json_decref(d);
}

static json_t *change_ok(const json_t *d, const char *change)
{
	json_t *c = load(change);
	msg[0] = 'x';
	json_t *out = dipr_app_apply_change(d, c, today, msg, sizeof msg);
	if (!out)
		fail_msg("change %s refused: %s", change, msg);
	json_decref(c);
	assert_int_equal(dipr_app_validate(out, DIPR_APP_SUBMIT, today, msg, sizeof msg), 0);
	return out;
}

static void test_apply_change_accepted(void **st)
{
	(void)st;
	json_t *d = legal(), *orig = json_deep_copy(d), *out;

	out = change_ok(d, "{\"data_name\":\"新名称\",\"industry\":\"金融\",\"scenario\":\"风控\","
			   "\"structure\":\"JSON\",\"update_frequency\":\"每周\",\"processing_rules\":\"规则\"}");
	assert_string_equal(json_string_value(json_object_get(out, "data_name")), "新名称");
	assert_string_equal(json_string_value(json_object_get(out, "structure")), "JSON");
	assert_true(json_equal(json_object_get(out, "applicant"), json_object_get(d, "applicant")));
	json_decref(out);

	/* scale replaced whole */
	out = change_ok(d, "{\"scale\":{\"records\":5,\"bytes\":6}}");
	json_t *scale = load("{\"records\":5,\"bytes\":6}");
	assert_true(json_equal(json_object_get(out, "scale"), scale));
	json_decref(scale);
	json_decref(out);

	/* applicant merged by member: id, type stay; contact replaced whole */
	out = change_ok(d, "{\"applicant\":{\"name\":\"新公司\",\"contact\":{\"person\":\"王五\",\"phone\":\"110\"}}}");
	json_t *a = json_object_get(out, "applicant");
	assert_string_equal(json_string_value(json_object_get(a, "name")), "新公司");
	assert_string_equal(json_string_value(json_object_get(a, "id")), USCC);
	assert_string_equal(json_string_value(json_object_get(a, "type")), "legal_person");
	assert_null(json_object_get(json_object_get(a, "contact"), "email"));
	json_decref(out);

	/* disclosure merged by key, also where doc had none */
	out = change_ok(d, "{\"disclosure\":{\"sample\":\"public\"}}");
	assert_true(dipr_app_is_public(out, "sample"));
	json_t *out2 = change_ok(out, "{\"disclosure\":{\"structure\":\"public\"}}");
	assert_true(dipr_app_is_public(out2, "sample"));
	assert_true(dipr_app_is_public(out2, "structure"));
	json_decref(out2);
	json_decref(out);

	/* doc itself untouched throughout */
	assert_true(json_equal(d, orig));
	json_decref(orig);
	json_decref(d);
}

static void change_bad(const json_t *d, const char *change, const char *want)
{
	json_t *c = json_loads(change, JSON_DECODE_ANY, NULL);
	assert_non_null(c);
	msg[0] = 0;
	json_t *out = dipr_app_apply_change(d, c, today, msg, sizeof msg);
	if (out)
		fail_msg("change %s accepted", change);
	if (strncmp(msg, want, strlen(want)))
		fail_msg("change %s: expected \"%s...\", got \"%s\"", change, want, msg);
	json_decref(c);
}

static void test_apply_change_refused(void **st)
{
	(void)st;
	json_t *d = legal();
	change_bad(d, "{}", "change: nothing to change");
	change_bad(d, "[]", "change: expected a JSON object");
	change_bad(d, "{\"evidence\":[\"r\"]}", "change.evidence: cannot be changed; ");
	change_bad(d, "{\"source\":{\"type\":\"self\",\"description\":\"x\"}}", "change.source: cannot be changed; ");
	change_bad(d, "{\"sample\":{}}", "change.sample: cannot be changed; ");
	change_bad(d, "{\"legality_commitment\":true}", "change.legality_commitment: cannot be changed; ");
	change_bad(d, "{\"applicant\":{\"id\":\"" USCC "\"}}", "change.applicant.id: cannot be changed; ");
	change_bad(d, "{\"applicant\":{\"type\":\"unincorporated\"}}", "change.applicant.type: cannot be changed; ");
	change_bad(d, "{\"applicant\":{\"name\":\"x\",\"colour\":1}}", "change.applicant.colour: unknown member");
	change_bad(d, "{\"applicant\":{}}", "change.applicant: expected an object with name and/or contact");
	change_bad(d, "{\"applicant\":\"x\"}", "change.applicant: expected an object");
	change_bad(d, "{\"disclosure\":{}}", "change.disclosure: expected an object");
	change_bad(d, "{\"colour\":\"blue\"}", "change.colour: unknown member");
	change_bad(d, "{\"data_name\":\"ok\",\"colour\":\"blue\"}", "change.colour: unknown member");
	/* the merged document must be valid */
	char *s = repeat("数", 201), buf[1024];
	snprintf(buf, sizeof buf, "{\"data_name\":\"%s\"}", s);
	change_bad(d, buf, "change.data_name: 201 characters");
	free(s);
	change_bad(d, "{\"scale\":{\"records\":5}}", "change.scale.bytes: required");
	change_bad(d, "{\"applicant\":{\"contact\":{\"person\":\"x\"}}}", "change.applicant.contact.phone: required");
	change_bad(d, "{\"disclosure\":{\"contact\":\"public\"}}", "change.disclosure.contact: unknown field");
	change_bad(d, "{\"industry\":null}", "change.industry: expected a string");
	/* an invalid doc is named as such */
	json_t *draft = legal();
	set(draft, "legality_commitment", json_false());
	change_bad(draft, "{\"data_name\":\"x\"}", "application.legality_commitment: must be true");
	json_decref(draft);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_legal_and_natural_person_docs_pass_both_modes),
		cmocka_unit_test(test_each_required_member_missing_fails_submit_passes_draft),
		cmocka_unit_test(test_legality_commitment_must_be_true_to_submit),
		cmocka_unit_test(test_wrong_types_and_values_are_named),
		cmocka_unit_test(test_lengths_count_characters),
		cmocka_unit_test(test_sample_limited_to_one_mebibyte),
		cmocka_unit_test(test_text_rules_controls_and_white_space),
		cmocka_unit_test(test_uscc_check_character_is_checked_in_both_modes),
		cmocka_unit_test(test_identity_number_check_character_and_birth_date),
		cmocka_unit_test(test_agreement_end_by_source_type),
		cmocka_unit_test(test_unknown_member_at_each_level),
		cmocka_unit_test(test_disclosure_keys_and_values),
		cmocka_unit_test(test_public_view_defaults_hide_confidential_fields),
		cmocka_unit_test(test_public_view_shows_fields_marked_public),
		cmocka_unit_test(test_public_view_masks_natural_person_id),
		cmocka_unit_test(test_is_public_and_codes),
		cmocka_unit_test(test_apply_change_accepted),
		cmocka_unit_test(test_apply_change_refused),
	};
	return cmocka_run_group_tests_name("application", tests, setup, NULL);
}
