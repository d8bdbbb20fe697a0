/* fuzz_ident.c — every identifier parser (include/dipr/ident.h) on the
 * same bytes: nothing reads past len, anything accepted re-formats to the
 * same bytes, and a check character computed for the first 17 (or 15)
 * characters makes a number the validator accepts. */
#include <stdlib.h>
#include <string.h>
#include "dipr/ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	dipr_date today = {20240}; /* 2025-06-01 */
	char buf[32], check;

	/* Unified social credit code. */
	int ok = dipr_ident_uscc_validate(s, size) == 0;
	if (ok && (size != DIPR_USCC_LEN || dipr_ident_uscc_check_char(s, 17, &check) != 0 || check != s[17]))
		abort();
	if ((size == 17 || size == 18) && dipr_ident_uscc_check_char(s, size, &check) == 0) {
		memcpy(buf, s, 17);
		buf[17] = check;
		if (dipr_ident_uscc_validate(buf, 18) != 0)
			abort();
		/* the accepted code is exactly the input when its last char agrees */
		if (size == 18 && ok != (s[17] == check))
			abort();
	}

	/* Resident identity number. */
	dipr_ident_idno id;
	if (dipr_ident_idno_parse(s, size, today, &id) == 0) {
		if (size != DIPR_IDNO_LEN || memcmp(id.text, s, 17) != 0 || strlen(id.text) != 18 ||
		    (id.text[17] != s[17] && !(s[17] == 'x' && id.text[17] == 'X')) || id.birth.days > today.days)
			abort();
		dipr_ident_idno again;
		if (dipr_ident_idno_parse(id.text, 18, today, &again) != 0 || strcmp(id.text, again.text) != 0 ||
		    id.birth.days != again.birth.days || id.female != again.female)
			abort();
	}
	if ((size == 17 || size == 18) && dipr_ident_idno_check_char(s, size, &check) == 0) {
		memcpy(buf, s, 17);
		buf[17] = check;
		/* only the birth date may now be refused */
		dipr_date birth;
		int y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
		int m = (s[10] - '0') * 10 + (s[11] - '0'), d = (s[12] - '0') * 10 + (s[13] - '0');
		int date_ok = dipr_date_from_ymd(y, m, d, &birth) == 0 && birth.days <= today.days;
		if ((dipr_ident_idno_parse(buf, 18, today, NULL) == 0) != date_ok)
			abort();
	}

	/* Registration number. */
	dipr_regno r;
	if (dipr_regno_parse(s, size, &r) == 0) {
		if (dipr_regno_format(&r, buf) != 0 || size != DIPR_REGNO_LEN || memcmp(buf, s, size) != 0)
			abort();
	}

	/* Certificate number. */
	dipr_certno c;
	if (dipr_certno_parse(s, size, &c) == 0) {
		if (dipr_certno_format(&c, buf) != 0 || size != DIPR_CERTNO_LEN || memcmp(buf, s, size) != 0)
			abort();
	}

	/* The formatters on fields taken from the bytes: anything formatted
	 * parses back to the same fields. */
	if (size >= 16) {
		uint32_t a, b;
		memcpy(&a, data, 4);
		memcpy(&b, data + 4, 4);
		dipr_regno q = {(int)(int16_t)(a & 0xffff), (int8_t)(a >> 16), (int8_t)(a >> 24), b};
		if (dipr_regno_format(&q, buf) == 0 &&
		    (dipr_regno_parse(buf, strlen(buf), &r) != 0 || memcmp(&q, &r, sizeof q) != 0))
			abort();
		memcpy(&a, data + 8, 4);
		memcpy(&b, data + 12, 4);
		dipr_certno k = {(int)(int16_t)(a & 0xffff), (int8_t)(a >> 16), (int)(int16_t)(b & 0xffff),
				 (a >> 24) | (b >> 16) << 8};
		if (dipr_certno_format(&k, buf) == 0 &&
		    (dipr_certno_parse(buf, strlen(buf), &c) != 0 || memcmp(&k, &c, sizeof k) != 0))
			abort();
	}
	return 0;
}
