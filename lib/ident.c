/* ident.c — unified social credit codes (GB 32100-2015), resident
 * identity numbers (GB 11643-1999), registration and certificate numbers
 * (DOMAIN.md "Numbers").  See include/dipr/ident.h for the layouts.
 */
#include <stdio.h>

#include "internal.h"
#include "dipr/ident.h"

/* A byte for a message: printable ASCII as 'c', anything else as \xNN, so
 * that a detail never carries raw control bytes or broken UTF-8. */
static const char *show(char buf[8], char c)
{
	unsigned char u = (unsigned char)c;
	if (u >= 0x20 && u < 0x7f && u != '\'')
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", u);
	return buf;
}

/* --- GB 32100-2015 --- */

static const char uscc_set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
#define USCC_SET_DESC "0-9 A-H J-N P-R T U W-Y"

/* Value of c in the code set (GB 32100 table 1), -1 if not in it. */
static int uscc_value(char c)
{
	for (int i = 0; i < 31; i++)
		if (uscc_set[i] == c)
			return i;
	return -1;
}

/* Checks positions 1-17 and computes the check value (GB 32100-2015,
 * check character): C18 = MOD(31 - MOD(sum C_i * W_i, 31), 31) with
 * W_i = MOD(3^(i-1), 31), so a sum divisible by 31 gives '0'. */
static int uscc_body(const char *s, size_t len, int *check)
{
	static const char *what = "unified social credit code";
	if (len < 17)
		return dipr__err(DIPR_EINVAL, "%s: expected %d characters, got %zu", what, DIPR_USCC_LEN, len);
	int sum = 0, w = 1;
	for (int i = 0; i < 17; i++) {
		char b[8];
		int v = uscc_value(s[i]);
		if (i >= 2 && i <= 7 && !(s[i] >= '0' && s[i] <= '9'))
			return dipr__err(DIPR_EINVAL,
					 "%s: position %d: %s is not a digit (positions 3-8 are the "
					 "administrative division code)",
					 what, i + 1, show(b, s[i]));
		if (v < 0)
			return dipr__err(DIPR_EINVAL, "%s: position %d: %s is not in the code set " USCC_SET_DESC,
					 what, i + 1, show(b, s[i]));
		sum += v * w; /* at most 17 * 30 * 30 */
		w = w * 3 % 31;
	}
	*check = (31 - sum % 31) % 31;
	return 0;
}

int dipr_ident_uscc_check_char(const char *s, size_t len, char *check)
{
	int v;
	if (len != 17 && len != 18)
		return dipr__err(DIPR_EINVAL, "unified social credit code: expected 17 or 18 characters, got %zu",
				 len);
	int rc = uscc_body(s, len, &v);
	if (rc)
		return rc;
	*check = uscc_set[v];
	return 0;
}

int dipr_ident_uscc_validate(const char *s, size_t len)
{
	int v;
	char b[8];
	if (len != DIPR_USCC_LEN)
		return dipr__err(DIPR_EINVAL, "unified social credit code: expected %d characters, got %zu",
				 DIPR_USCC_LEN, len);
	int rc = uscc_body(s, len, &v);
	if (rc)
		return rc;
	if (s[17] != uscc_set[v]) {
		if (uscc_value(s[17]) < 0)
			return dipr__err(DIPR_EINVAL,
					 "unified social credit code: position 18: %s is not in the code set "
					 USCC_SET_DESC "; the check character should be '%c'",
					 show(b, s[17]), uscc_set[v]);
		return dipr__err(DIPR_EINVAL,
				 "unified social credit code: check character (position 18) should be '%c', got '%c'",
				 uscc_set[v], s[17]);
	}
	return 0;
}

/* --- ISO 7064 MOD 11-2 ---
 * Pure system, recursive form: P = 0; for each digit a: P = (P + a) * 2
 * mod 11.  That equals sum a_j 2^(n-j+1) mod 11 for n digits, i.e. the
 * weights 2^(i-1) of positions i counted from the right with the check
 * character at i = 1 (GB 11643-1999 §7.1).  Check = (12 - P) mod 11. */
static char mod11_2(const char *digits, size_t n)
{
	int p = 0;
	for (size_t i = 0; i < n; i++)
		p = (p + (digits[i] - '0')) * 2 % 11;
	int c = (12 - p) % 11;
	return c == 10 ? 'X' : (char)('0' + c);
}

static int all_digits(const char *what, const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		char b[8];
		if (s[i] < '0' || s[i] > '9')
			return dipr__err(DIPR_EINVAL, "%s: position %zu: %s is not a digit", what, i + 1,
					 show(b, s[i]));
	}
	return 0;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* --- GB 11643-1999 --- */

int dipr_ident_idno_check_char(const char *s, size_t len, char *check)
{
	if (len != 17 && len != 18)
		return dipr__err(DIPR_EINVAL, "identity number: expected 17 or 18 characters, got %zu", len);
	int rc = all_digits("identity number", s, 0, 17);
	if (rc)
		return rc;
	*check = mod11_2(s, 17);
	return 0;
}

int dipr_ident_idno_parse(const char *s, size_t len, dipr_date today, dipr_ident_idno *out)
{
	static const char *what = "identity number";
	char b[8];
	if (len != DIPR_IDNO_LEN)
		return dipr__err(DIPR_EINVAL, "%s: expected %d characters, got %zu", what, DIPR_IDNO_LEN, len);
	int rc = all_digits(what, s, 0, 17);
	if (rc)
		return rc;
	char last = s[17] == 'x' ? 'X' : s[17];
	if (!(last >= '0' && last <= '9') && last != 'X')
		return dipr__err(DIPR_EINVAL, "%s: position 18: %s is not a digit or 'X'", what, show(b, s[17]));
	dipr_date birth;
	int y = num(s + 6, 4), m = num(s + 10, 2), d = num(s + 12, 2);
	if (dipr_date_from_ymd(y, m, d, &birth) != 0)
		return dipr__err(DIPR_EINVAL, "%s: positions 7-14: birth date %.8s is not a real date in %d..%d",
				 what, s + 6, DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	if (!dipr_date_valid(today))
		return dipr__err(DIPR_EINVAL, "%s: today's date is not valid", what);
	if (birth.days > today.days) {
		char ts[DIPR_DATE_STRLEN];
		dipr_date_format(today, ts);
		return dipr__err(DIPR_EINVAL, "%s: positions 7-14: birth date %.8s is after today (%s)", what,
				 s + 6, ts);
	}
	char want = mod11_2(s, 17);
	if (last != want)
		return dipr__err(DIPR_EINVAL, "%s: check character (position 18) should be '%c', got %s", what,
				 want, show(b, s[17]));
	if (out) {
		memcpy(out->text, s, 17);
		out->text[17] = last;
		out->text[18] = 0;
		out->birth = birth;
		out->female = (s[16] - '0') % 2 == 0;
	}
	return 0;
}

/* --- registration numbers --- */

bool dipr_regno_source_valid(int source)
{
	return source == DIPR_SOURCE_SELF || source == DIPR_SOURCE_CONTRACT || source == DIPR_SOURCE_AUTHORISED ||
	       source == DIPR_SOURCE_OTHER;
}

bool dipr_regno_applicant_valid(int applicant)
{
	return applicant >= DIPR_APPLICANT_LEGAL_PERSON && applicant <= DIPR_APPLICANT_NATURAL_PERSON;
}

/* Writes v as exactly n decimal digits (v < 10^n checked by the caller). */
static void put_digits(char *out, uint32_t v, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

static int regno_check_fields(const dipr_regno *r)
{
	if (r->year < DIPR_DATE_MIN_YEAR || r->year > DIPR_DATE_MAX_YEAR)
		return dipr__err(DIPR_EINVAL, "registration number: year %d outside %d..%d", r->year,
				 DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	if (!dipr_regno_source_valid(r->source))
		return dipr__err(DIPR_EINVAL, "registration number: data source code %d is not 1, 2, 3 or 9",
				 r->source);
	if (!dipr_regno_applicant_valid(r->applicant))
		return dipr__err(DIPR_EINVAL, "registration number: applicant type code %d is not 1, 2 or 3",
				 r->applicant);
	if (r->seq < 1 || r->seq > DIPR_REGNO_SEQ_MAX)
		return dipr__err(DIPR_EINVAL, "registration number: sequence %lu outside 1..%lu",
				 (unsigned long)r->seq, (unsigned long)DIPR_REGNO_SEQ_MAX);
	return 0;
}

int dipr_regno_format(const dipr_regno *r, char out[DIPR_REGNO_LEN + 1])
{
	out[0] = 0;
	int rc = regno_check_fields(r);
	if (rc)
		return rc;
	put_digits(out, (uint32_t)r->year, 4);
	out[4] = (char)('0' + r->source);
	out[5] = (char)('0' + r->applicant);
	put_digits(out + 6, r->seq, 9);
	out[15] = mod11_2(out, 15);
	out[16] = 0;
	return 0;
}

int dipr_regno_parse(const char *s, size_t len, dipr_regno *out)
{
	static const char *what = "registration number";
	char b[8];
	if (len != DIPR_REGNO_LEN)
		return dipr__err(DIPR_EINVAL, "%s: expected %d characters, got %zu", what, DIPR_REGNO_LEN, len);
	int rc = all_digits(what, s, 0, 15);
	if (rc)
		return rc;
	dipr_regno r = {
		.year = num(s, 4),
		.source = s[4] - '0',
		.applicant = s[5] - '0',
		.seq = (uint32_t)num(s + 6, 9), /* < 10^9 fits an int */
	};
	if (r.year < DIPR_DATE_MIN_YEAR)
		return dipr__err(DIPR_EINVAL, "%s: positions 1-4: year %04d before %d", what, r.year,
				 DIPR_DATE_MIN_YEAR);
	if (!dipr_regno_source_valid(r.source))
		return dipr__err(DIPR_EINVAL, "%s: position 5: data source code '%c' is not 1, 2, 3 or 9", what,
				 s[4]);
	if (!dipr_regno_applicant_valid(r.applicant))
		return dipr__err(DIPR_EINVAL, "%s: position 6: applicant type code '%c' is not 1, 2 or 3", what,
				 s[5]);
	if (r.seq == 0)
		return dipr__err(DIPR_EINVAL, "%s: positions 7-15: sequence 000000000 is never issued", what);
	char want = mod11_2(s, 15);
	if (s[15] != want)
		return dipr__err(DIPR_EINVAL, "%s: check character (position 16) should be '%c', got %s", what,
				 want, show(b, s[15]));
	if (out)
		*out = r;
	return 0;
}

/* --- certificate numbers --- */

static int certno_check_fields(const dipr_certno *c)
{
	if (c->year < DIPR_DATE_MIN_YEAR || c->year > DIPR_DATE_MAX_YEAR)
		return dipr__err(DIPR_EINVAL, "certificate number: year %d outside %d..%d", c->year,
				 DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	if (c->month < 1 || c->month > 12)
		return dipr__err(DIPR_EINVAL, "certificate number: month %d outside 1..12", c->month);
	if (c->body < 1 || c->body > 9999)
		return dipr__err(DIPR_EINVAL, "certificate number: registration body code %d outside 1..9999",
				 c->body);
	if (c->serial < 1 || c->serial > DIPR_CERTNO_SERIAL_MAX)
		return dipr__err(DIPR_EINVAL, "certificate number: serial %lu outside 1..%lu",
				 (unsigned long)c->serial, (unsigned long)DIPR_CERTNO_SERIAL_MAX);
	return 0;
}

int dipr_certno_format(const dipr_certno *c, char out[DIPR_CERTNO_LEN + 1])
{
	out[0] = 0;
	int rc = certno_check_fields(c);
	if (rc)
		return rc;
	put_digits(out, (uint32_t)c->year, 4);
	put_digits(out + 4, (uint32_t)c->month, 2);
	put_digits(out + 6, (uint32_t)c->body, 4);
	put_digits(out + 10, c->serial, 7);
	out[17] = 0;
	return 0;
}

int dipr_certno_parse(const char *s, size_t len, dipr_certno *out)
{
	static const char *what = "certificate number";
	if (len != DIPR_CERTNO_LEN)
		return dipr__err(DIPR_EINVAL, "%s: expected %d digits, got %zu characters", what, DIPR_CERTNO_LEN,
				 len);
	int rc = all_digits(what, s, 0, 17);
	if (rc)
		return rc;
	dipr_certno c = {
		.year = num(s, 4),
		.month = num(s + 4, 2),
		.body = num(s + 6, 4),
		.serial = (uint32_t)num(s + 10, 7),
	};
	if (c.year < DIPR_DATE_MIN_YEAR)
		return dipr__err(DIPR_EINVAL, "%s: positions 1-4: year %04d before %d", what, c.year,
				 DIPR_DATE_MIN_YEAR);
	if (c.month < 1 || c.month > 12)
		return dipr__err(DIPR_EINVAL, "%s: positions 5-6: month %.2s is not 01..12", what, s + 4);
	if (c.body == 0)
		return dipr__err(DIPR_EINVAL, "%s: positions 7-10: registration body code 0000 is not a body",
				 what);
	if (c.serial == 0)
		return dipr__err(DIPR_EINVAL, "%s: positions 11-17: serial 0000000 is never issued", what);
	if (out)
		*out = c;
	return 0;
}
