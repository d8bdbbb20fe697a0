/* fuzz_application.c — application documents (registry/application.h)
 * through the strict parser the server uses, validated in both modes; a
 * valid one's public view must hold no contact details. */
#include <stdlib.h>
#include <string.h>
#include "jcs.h"
#include "registry/application.h"

/* Fails (abort) if any object in v has a member named key. */
static void assert_no_member(const json_t *v, const char *key)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			if (!strcmp(k, key))
				abort();
			assert_no_member(x, key);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) assert_no_member(x, key);
	}
}

/* A valid filing the input is also applied to as a change. */
static const char base_text[] =
	"{\"data_name\":\"数据\",\"industry\":\"交通\",\"scenario\":\"预测\","
	"\"source\":{\"type\":\"contract\",\"description\":\"协议\",\"agreement_end\":\"2027-12-31\"},"
	"\"scale\":{\"records\":1,\"bytes\":2},\"structure\":\"CSV\",\"update_frequency\":\"每日\","
	"\"processing_rules\":\"聚合\",\"evidence\":[\"r\"],\"legality_commitment\":true,"
	"\"applicant\":{\"name\":\"公司\",\"type\":\"legal_person\",\"id\":\"91350100M000100Y43\","
	"\"contact\":{\"person\":\"张三\",\"phone\":\"1\"}}}";
static json_t *base;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL;
	char msg[600];
	dipr_date today;
	if (dipr_date_parse("2025-05-28", 10, &today) != 0)
		abort();
	if (!base && dipr__json_parse((const uint8_t *)base_text, strlen(base_text), 16, "base", &base) != 0)
		abort();
	if (size > (2u << 20) || dipr__json_parse(data, size, 16, "application", &doc) != 0)
		return 0;
	msg[0] = 0;
	if (dipr_app_validate(doc, DIPR_APP_DRAFT, today, msg, sizeof msg) != 0 && !msg[0])
		abort(); /* every rejection says why */
	msg[0] = 0;
	if (dipr_app_validate(doc, DIPR_APP_SUBMIT, today, msg, sizeof msg) == 0) {
		json_t *pv = dipr_app_public_view(doc);
		if (!pv)
			abort();
		assert_no_member(pv, "contact");
		assert_no_member(pv, "legality_commitment");
		if (!dipr_app_is_public(doc, "sample") && json_object_get(pv, "sample"))
			abort();
		if (!dipr_app_source_code(doc) || !dipr_app_applicant_code(doc))
			abort(); /* a valid document has both registration-number codes */
		json_decref(pv);
	} else if (!msg[0]) {
		abort();
	}
	/* the input as a change to a valid filing: refused with a reason, or
	 * a filing that is valid again */
	msg[0] = 0;
	json_t *changed = dipr_app_apply_change(base, doc, today, msg, sizeof msg);
	if (!changed && !msg[0])
		abort();
	if (changed && dipr_app_validate(changed, DIPR_APP_SUBMIT, today, msg, sizeof msg) != 0)
		abort();
	json_decref(changed);
	json_decref(doc);
	return 0;
}
