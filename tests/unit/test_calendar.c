/* test_calendar.c — dates and working days (include/dipr/calendar.h).
 *
 * The holiday file is China's 2024 and 2025 arrangement as the State
 * Council published it: 国务院办公厅关于2024年部分节假日安排的通知 (2023-10-25)
 * and 关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12).
 * Expected deadlines were computed independently (a day-by-day Python
 * model of the same rules) while writing this test. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dipr/calendar.h"
#include "internal.h"

static const char holidays[] =
	"# China public holidays and adjusted working days (调休)\n"
	"# 2024: 国务院办公厅关于2024年部分节假日安排的通知\n"
	"2024-01-01 off   # New Year's Day\n"
	"2024-02-04 work  # Spring Festival: 2-10..2-17 off, Sun 2-4 and Sun 2-18 work\n"
	"2024-02-10 off\n2024-02-11 off\n2024-02-12 off\n2024-02-13 off\n"
	"2024-02-14 off\n2024-02-15 off\n2024-02-16 off\n2024-02-17 off\n"
	"2024-02-18 work\n"
	"\n"
	"2024-04-04 off   # Qingming: 4-4..4-6 off, Sun 4-7 works\n"
	"2024-04-05 off\n2024-04-06 off\n2024-04-07 work\n"
	"2024-04-28 work  # Labour Day: 5-1..5-5 off, Sun 4-28 and Sat 5-11 work\n"
	"2024-05-01 off\n2024-05-02 off\n2024-05-03 off\n2024-05-04 off\n2024-05-05 off\n"
	"2024-05-11 work\n"
	"2024-06-10 off   # Dragon Boat\n"
	"2024-09-14 work  # Mid-Autumn: 9-15..9-17 off, Sat 9-14 works\n"
	"2024-09-15 off\n2024-09-16 off\n2024-09-17 off\n"
	"2024-09-29 work  # National Day: 10-1..10-7 off, Sun 9-29 and Sat 10-12 work\n"
	"2024-10-01 off\n2024-10-02 off\n2024-10-03 off\n2024-10-04 off\n"
	"2024-10-05 off\n2024-10-06 off\n2024-10-07 off\n"
	"2024-10-12 work\n"
	"\n"
	"# 2025: 国办发明电〔2024〕12号\n"
	"2025-01-01 off\n"
	"2025-01-26 work  # Spring Festival: 1-28..2-4 off, Sun 1-26 and Sat 2-8 work\r\n"
	"2025-01-28 off\n2025-01-29 off\n2025-01-30 off\n2025-01-31 off\n"
	"2025-02-01 off\n2025-02-02 off\n2025-02-03 off\n2025-02-04 off\n"
	"2025-02-08 work\n"
	"2025-04-04 off\t# Qingming\n2025-04-05 off\n2025-04-06 off\n"
	"2025-04-27 work  # Labour Day: 5-1..5-5 off, Sun 4-27 works\n"
	"2025-05-01 off\n2025-05-02 off\n2025-05-03 off\n2025-05-04 off\n2025-05-05 off\n"
	"2025-05-31 off   # Dragon Boat\n2025-06-01 off\n2025-06-02 off\n"
	"2025-09-28 work  # National Day + Mid-Autumn: 10-1..10-8 off, Sun 9-28 and Sat 10-11 work\n"
	"2025-10-01 off\n2025-10-02 off\n2025-10-03 off\n2025-10-04 off\n"
	"2025-10-05 off\n2025-10-06 off\n2025-10-07 off\n2025-10-08 off\n"
	"  2025-10-11   work  \n";

static dipr_date day(const char *s)
{
	dipr_date d;
	if (dipr_date_parse(s, strlen(s), &d) != 0)
		fail_msg("%s: %s", s, dipr_errdetail());
	return d;
}

static void assert_day(dipr_date d, const char *want)
{
	char s[DIPR_DATE_STRLEN];
	assert_int_equal(dipr_date_format(d, s), 0);
	assert_string_equal(s, want);
}

static void assert_detail_has(const char *needle)
{
	if (!strstr(dipr_errdetail(), needle))
		fail_msg("detail \"%s\" lacks \"%s\"", dipr_errdetail(), needle);
}

static dipr_calendar *china(void)
{
	dipr_calendar *c = NULL;
	if (dipr_calendar_parse(holidays, sizeof holidays - 1, "china.txt", &c) != 0)
		fail_msg("%s", dipr_errdetail());
	return c;
}

/* --- dates --- */

static void test_date_known_day_numbers_and_weekdays(void **st)
{
	(void)st;
	assert_int_equal(day("1970-01-01").days, 0);
	assert_int_equal(day("1900-01-01").days, -25567);
	assert_int_equal(day("9999-12-31").days, 2932896);
	assert_int_equal(day("2000-03-01").days, 11017);
	assert_int_equal(dipr_date_weekday(day("1970-01-01")), DIPR_THURSDAY);
	assert_int_equal(dipr_date_weekday(day("1900-01-01")), DIPR_MONDAY);
	assert_int_equal(dipr_date_weekday(day("2025-01-28")), DIPR_TUESDAY); /* 除夕, 周二 */
	assert_int_equal(dipr_date_weekday(day("2025-02-08")), DIPR_SATURDAY);
	assert_int_equal(dipr_date_weekday(day("2025-01-26")), DIPR_SUNDAY);
	assert_int_equal(dipr_date_weekday(day("2025-10-01")), DIPR_WEDNESDAY);
	assert_int_equal(dipr_date_weekday(day("9999-12-31")), DIPR_FRIDAY);
	assert_int_equal(dipr_date_weekday((dipr_date){-25568}), 0);
}

static void test_date_every_day_round_trips(void **st)
{
	(void)st;
	/* Every day of the whole range: format, parse back, split, rebuild;
	 * consecutive days differ by one and weekdays cycle. */
	int py = 1899, pm = 12, pd = 31, pw = DIPR_SUNDAY;
	for (int32_t n = -25567; n <= 2932896; n++) {
		dipr_date d = {n}, back;
		char s[DIPR_DATE_STRLEN];
		int y, m, dd;
		assert_int_equal(dipr_date_format(d, s), 0);
		assert_int_equal(dipr_date_parse(s, 10, &back), 0);
		assert_int_equal(back.days, n);
		assert_int_equal(dipr_date_to_ymd(d, &y, &m, &dd), 0);
		if (!((y == py && m == pm && dd == pd + 1) || (y == py && m == pm + 1 && dd == 1 && pd >= 28) ||
		      (y == py + 1 && m == 1 && dd == 1 && pm == 12 && pd == 31)))
			fail_msg("%s follows %04d-%02d-%02d", s, py, pm, pd);
		int w = dipr_date_weekday(d);
		assert_int_equal(w, pw % 7 + 1);
		py = y, pm = m, pd = dd, pw = w;
	}
	assert_int_equal(py, 9999);
}

static void test_date_parse_is_strict(void **st)
{
	(void)st;
	dipr_date d;
	const char *bad[] = {
		"2025-1-05", "2025-01-5", "25-01-05", "2025/01/05", "2025-01-05 ", " 2025-01-05", "2025-01-05T00:00",
		"+025-01-05", "2025-00-10", "2025-13-01", "2025-01-00", "2025-01-32", "2025-02-29", "1900-02-29",
		"2100-02-29", "2024-04-31", "1899-12-31", "0000-01-01", "2025-0a-01", "2025--1-01", "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (dipr_date_parse(bad[i], strlen(bad[i]), &d) != DIPR_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(dipr_date_parse("2024-02-29", 10, &d), 0);
	assert_int_equal(dipr_date_parse("2000-02-29", 10, &d), 0);
	/* Exactly len bytes are read: a longer buffer is fine. */
	assert_int_equal(dipr_date_parse("2024-02-29xyz", 10, &d), 0);
	assert_int_equal(dipr_date_parse("2025-02-29", 10, &d), DIPR_EINVAL);
	assert_detail_has("day 29 outside 1..28 for 2025-02");
	assert_int_equal(dipr_date_parse("2025-13-01", 10, &d), DIPR_EINVAL);
	assert_detail_has("month 13");
}

static void test_date_format_refuses_invalid(void **st)
{
	(void)st;
	char s[DIPR_DATE_STRLEN] = "x";
	assert_int_equal(dipr_date_format((dipr_date){2932897}, s), DIPR_ERANGE);
	assert_string_equal(s, "");
	assert_int_equal(dipr_date_format((dipr_date){INT32_MIN}, s), DIPR_ERANGE);
	assert_false(dipr_date_valid((dipr_date){-25568}));
	int y = 7;
	assert_int_equal(dipr_date_to_ymd((dipr_date){INT32_MAX}, &y, NULL, NULL), DIPR_ERANGE);
	assert_int_equal(y, 7);
	dipr_date d;
	assert_int_equal(dipr_date_from_ymd(1899, 12, 31, &d), DIPR_EINVAL);
	assert_int_equal(dipr_date_from_ymd(10000, 1, 1, &d), DIPR_EINVAL);
}

static void test_date_add_days_and_range(void **st)
{
	(void)st;
	dipr_date d;
	assert_int_equal(dipr_date_add_days(day("2024-02-28"), 1, &d), 0);
	assert_day(d, "2024-02-29");
	assert_int_equal(dipr_date_add_days(day("2023-02-28"), 1, &d), 0);
	assert_day(d, "2023-03-01");
	assert_int_equal(dipr_date_add_days(day("2025-01-01"), -1, &d), 0);
	assert_day(d, "2024-12-31");
	assert_int_equal(dipr_date_add_days(day("9999-12-31"), 1, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_days(day("1900-01-01"), -1, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_days(day("2025-01-01"), INT64_MAX, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_days(day("2025-01-01"), INT64_MIN, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_days(day("1900-01-01"), 2932896 + 25567, &d), 0);
	assert_day(d, "9999-12-31");
	assert_int_equal(dipr_date_cmp(day("2025-01-01"), day("2025-01-02")), -1);
	assert_int_equal(dipr_date_cmp(day("2025-01-02"), day("2025-01-02")), 0);
	assert_int_equal(dipr_date_cmp(day("9999-12-31"), day("1900-01-01")), 1);
}

static void test_date_month_end_clamping(void **st)
{
	(void)st;
	struct {
		const char *from;
		int64_t months;
		const char *want;
	} cases[] = {
		{"2024-01-31", 1, "2024-02-29"},   {"2023-01-31", 1, "2023-02-28"},
		{"2024-03-31", -1, "2024-02-29"},  {"2024-03-31", 1, "2024-04-30"},
		{"2024-08-31", 1, "2024-09-30"},   {"2024-12-31", 2, "2025-02-28"},
		{"2025-01-15", -13, "2023-12-15"}, {"2025-11-30", 3, "2026-02-28"},
		{"2025-05-10", 0, "2025-05-10"},   {"1900-01-31", 1, "1900-02-28"},
		{"9999-11-30", 1, "9999-12-30"},   {"2024-02-29", 12, "2025-02-28"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		dipr_date d;
		assert_int_equal(dipr_date_add_months(day(cases[i].from), cases[i].months, &d), 0);
		assert_day(d, cases[i].want);
	}
	dipr_date d;
	/* 2024-02-29 + 3 years is clamped; + 4 years lands on a leap day. */
	assert_int_equal(dipr_date_add_years(day("2024-02-29"), 3, &d), 0);
	assert_day(d, "2027-02-28");
	assert_int_equal(dipr_date_add_years(day("2024-02-29"), 4, &d), 0);
	assert_day(d, "2028-02-29");
	assert_int_equal(dipr_date_add_years(day("2096-02-29"), 4, &d), 0);
	assert_day(d, "2100-02-28"); /* 2100 is not a leap year */
	assert_int_equal(dipr_date_add_years(day("2025-06-30"), 3, &d), 0);
	assert_day(d, "2028-06-30");
	/* Lossy: back one month does not return to the 31st. */
	assert_int_equal(dipr_date_add_months(day("2024-01-31"), 1, &d), 0);
	assert_int_equal(dipr_date_add_months(d, -1, &d), 0);
	assert_day(d, "2024-01-29");
	/* Range */
	assert_int_equal(dipr_date_add_months(day("9999-12-01"), 1, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_months(day("1900-01-31"), -1, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_years(day("2025-01-01"), INT64_MAX, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_years(day("2025-01-01"), INT64_MIN, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_months(day("2025-01-01"), INT64_MIN, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_add_years(day("1900-01-01"), 8099, &d), 0);
	assert_day(d, "9999-01-01");
	assert_int_equal(dipr_date_add_months((dipr_date){INT32_MAX}, 1, &d), DIPR_ERANGE);
}

static void test_date_from_unix_in_china(void **st)
{
	(void)st;
	dipr_date d;
	/* 2025-01-27 16:00:00 UTC is midnight 2025-01-28 in Beijing. */
	assert_int_equal(dipr_date_from_unix(1737993600, 8 * 3600, &d), 0);
	assert_day(d, "2025-01-28");
	assert_int_equal(dipr_date_from_unix(1737993599, 8 * 3600, &d), 0);
	assert_day(d, "2025-01-27");
	assert_int_equal(dipr_date_from_unix(1737993600, 0, &d), 0);
	assert_day(d, "2025-01-27");
	assert_int_equal(dipr_date_from_unix(-1, 0, &d), 0);
	assert_day(d, "1969-12-31");
	assert_int_equal(dipr_date_from_unix(-2208988800LL, 0, &d), 0);
	assert_day(d, "1900-01-01");
	assert_int_equal(dipr_date_from_unix(-2208988801LL, 0, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_from_unix(0, 86401, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_from_unix(INT64_MAX, 0, &d), DIPR_ERANGE);
	assert_int_equal(dipr_date_from_unix(INT64_MIN, 0, &d), DIPR_ERANGE);
}

/* --- working days --- */

static void test_calendar_parses_the_china_file(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	dipr_date first, last;
	assert_int_equal(dipr_calendar_entries(c), 69);
	assert_int_equal(dipr_calendar_span(c, &first, &last), 0);
	assert_day(first, "2024-01-01");
	assert_day(last, "2025-10-11");
	dipr_calendar_free(c);
	dipr_calendar_free(NULL);
}

static void test_calendar_working_days_in_2024_and_2025(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	int64_t n;
	/* Working days in each year under the published arrangement. */
	assert_int_equal(dipr_calendar_count_working_days(c, day("2023-12-31"), day("2024-12-31"), &n), 0);
	assert_int_equal(n, 251);
	assert_int_equal(dipr_calendar_count_working_days(c, day("2024-12-31"), day("2025-12-31"), &n), 0);
	assert_int_equal(n, 248);
	/* Plain weeks: 2025 has 261 weekdays. */
	assert_int_equal(dipr_calendar_count_working_days(NULL, day("2024-12-31"), day("2025-12-31"), &n), 0);
	assert_int_equal(n, 261);
	dipr_calendar_free(c);
}

static void test_calendar_is_working_day(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	assert_false(dipr_calendar_is_working_day(c, day("2025-01-28")));  /* 除夕, Tuesday, off */
	assert_true(dipr_calendar_is_working_day(c, day("2025-01-26")));   /* Sunday, adjusted */
	assert_true(dipr_calendar_is_working_day(c, day("2025-02-08")));   /* Saturday, adjusted */
	assert_false(dipr_calendar_is_working_day(c, day("2025-02-09")));  /* plain Sunday */
	assert_true(dipr_calendar_is_working_day(c, day("2024-02-09")));   /* 2024 除夕 was not a holiday */
	assert_false(dipr_calendar_is_working_day(c, day("2025-04-05")));  /* Saturday listed off */
	assert_true(dipr_calendar_is_working_day(c, day("2025-10-09")));   /* Thursday after National Day */
	assert_true(dipr_calendar_is_working_day(c, day("2026-01-02")));   /* past the file: plain weeks */
	assert_true(dipr_calendar_is_working_day(NULL, day("2025-01-28")));
	assert_false(dipr_calendar_is_working_day(c, (dipr_date){INT32_MAX}));
	dipr_calendar_free(c);
}

static void test_calendar_review_deadline_across_spring_festival(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	dipr_date d;
	int64_t n;
	/* Submitted Friday 2025-01-24; formal review within 15 working days.
	 * Day 1 is the adjusted Sunday 01-26, day 2 Monday 01-27, then the
	 * holiday week, day 6 the adjusted Saturday 02-08, day 15 02-20. */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-24"), 15, &d), 0);
	assert_day(d, "2025-02-20");
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-24"), 1, &d), 0);
	assert_day(d, "2025-01-26");
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-24"), 3, &d), 0);
	assert_day(d, "2025-02-05");
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-24"), 6, &d), 0);
	assert_day(d, "2025-02-08");
	assert_int_equal(dipr_calendar_count_working_days(c, day("2025-01-24"), day("2025-02-20"), &n), 0);
	assert_int_equal(n, 15);
	/* The start day never counts, even when it is a holiday. */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-29"), 1, &d), 0);
	assert_day(d, "2025-02-05");
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-29"), 0, &d), 0);
	assert_day(d, "2025-01-29");
	/* Without the file the same deadline is three weeks. */
	assert_int_equal(dipr_calendar_add_working_days(NULL, day("2025-01-24"), 15, &d), 0);
	assert_day(d, "2025-02-14");
	dipr_calendar_free(c);
}

static void test_calendar_weekends_and_adjusted_saturday(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	dipr_date d;
	/* Friday -> the next working day is Monday ... */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-03-07"), 1, &d), 0);
	assert_day(d, "2025-03-10");
	/* ... unless Saturday is an adjusted working day (2024-09-14). */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2024-09-13"), 1, &d), 0);
	assert_day(d, "2024-09-14");
	assert_int_equal(dipr_calendar_add_working_days(c, day("2024-09-13"), 2, &d), 0);
	assert_day(d, "2024-09-18"); /* then 9-15..9-17 off */
	/* Before Labour Day 2025: Friday 4-25 -> adjusted Sunday 4-27. */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-04-25"), 1, &d), 0);
	assert_day(d, "2025-04-27");
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-04-30"), 1, &d), 0);
	assert_day(d, "2025-05-06");
	/* Spring Festival 2024: Thursday 2-8 -> Friday 2-9 -> Sunday 2-18. */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2024-02-08"), 1, &d), 0);
	assert_day(d, "2024-02-09");
	assert_int_equal(dipr_calendar_add_working_days(c, day("2024-02-09"), 1, &d), 0);
	assert_day(d, "2024-02-18");
	/* 60 working days from New Year's Eve 2024. */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2024-12-31"), 60, &d), 0);
	assert_day(d, "2025-04-01");
	dipr_calendar_free(c);
}

static void test_calendar_notice_period_over_national_day(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	dipr_date d;
	/* A 10-working-day notice published Friday 2025-09-26: day 1 is the
	 * 26th itself, day 2 the adjusted Sunday 9-28, days 3-4 9-29/30, then
	 * 10-1..10-8 off, day 7 the adjusted Saturday 10-11, day 10 10-15. */
	assert_int_equal(dipr_calendar_notice_end(c, day("2025-09-26"), 10, &d), 0);
	assert_day(d, "2025-10-15");
	/* "10 working days after" the same date is one day later. */
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-09-26"), 10, &d), 0);
	assert_day(d, "2025-10-16");
	/* Starting on a working Saturday counts it; on a Sunday it does not. */
	assert_int_equal(dipr_calendar_notice_end(c, day("2024-10-12"), 1, &d), 0);
	assert_day(d, "2024-10-12");
	assert_int_equal(dipr_calendar_notice_end(c, day("2024-10-13"), 1, &d), 0);
	assert_day(d, "2024-10-14");
	assert_int_equal(dipr_calendar_notice_end(c, day("2024-10-08"), 10, &d), 0);
	assert_day(d, "2024-10-18");
	/* Starting inside the holiday: the first working day is day 1. */
	assert_int_equal(dipr_calendar_notice_end(c, day("2025-10-03"), 1, &d), 0);
	assert_day(d, "2025-10-09");
	assert_int_equal(dipr_calendar_notice_end(c, day("2025-10-03"), 0, &d), DIPR_EINVAL);
	dipr_calendar_free(c);
}

static void test_calendar_count_matches_add_everywhere(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	/* For every start day in 2023-12-01 .. 2026-01-31 and n up to 40:
	 * count(s, add(s, n)) == n, add lands on a working day, the day
	 * before it leaves n - 1, and notice_end agrees with add. */
	for (int32_t s = day("2023-12-01").days; s <= day("2026-01-31").days; s++) {
		dipr_date start = {s}, end, prev = start;
		for (int32_t n = 0; n <= 40; n++) {
			int64_t k;
			assert_int_equal(dipr_calendar_add_working_days(c, start, n, &end), 0);
			assert_int_equal(dipr_calendar_count_working_days(c, start, end, &k), 0);
			assert_int_equal(k, n);
			if (n > 0) {
				assert_true(dipr_calendar_is_working_day(c, end));
				assert_true(end.days > prev.days);
				dipr_date before = {end.days - 1};
				assert_int_equal(dipr_calendar_count_working_days(c, start, before, &k), 0);
				assert_int_equal(k, n - 1);
				dipr_date ne;
				assert_int_equal(dipr_calendar_notice_end(c, (dipr_date){s + 1}, n, &ne), 0);
				assert_int_equal(ne.days, end.days);
			}
			prev = end;
		}
	}
	dipr_calendar_free(c);
}

static void test_calendar_count_errors_and_edges(void **st)
{
	(void)st;
	dipr_calendar *c = china();
	int64_t n;
	dipr_date d;
	assert_int_equal(dipr_calendar_count_working_days(c, day("2025-02-01"), day("2025-01-01"), &n), DIPR_EINVAL);
	assert_int_equal(dipr_calendar_count_working_days(c, day("2025-02-01"), day("2025-02-01"), &n), 0);
	assert_int_equal(n, 0);
	/* The whole range, arithmetically. */
	assert_int_equal(dipr_calendar_count_working_days(NULL, day("1900-01-01"), day("9999-12-31"), &n), 0);
	assert_true(n > 2000000);
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-01"), -1, &d), DIPR_EINVAL);
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-01"), DIPR_CALENDAR_MAX_N + 1, &d),
			 DIPR_EINVAL);
	assert_int_equal(dipr_calendar_add_working_days(c, day("2025-01-01"), DIPR_CALENDAR_MAX_N, &d), 0);
	assert_int_equal(dipr_calendar_add_working_days(c, day("9999-12-30"), 1, &d), 0);
	assert_day(d, "9999-12-31"); /* a Friday */
	assert_int_equal(dipr_calendar_add_working_days(c, day("9999-12-30"), 2, &d), DIPR_ERANGE);
	assert_int_equal(dipr_calendar_add_working_days(c, (dipr_date){INT32_MIN}, 1, &d), DIPR_ERANGE);
	/* The first valid day as a notice start (its day before is invalid). */
	assert_int_equal(dipr_calendar_notice_end(NULL, day("1900-01-01"), 1, &d), 0);
	assert_day(d, "1900-01-01"); /* a Monday */
	assert_int_equal(dipr_calendar_notice_end(NULL, day("1900-01-01"), 6, &d), 0);
	assert_day(d, "1900-01-08");
	dipr_calendar_free(c);
}

static void parse_fails(const char *text, int code, const char *needle)
{
	dipr_calendar *c = (dipr_calendar *)1;
	int rc = dipr_calendar_parse(text, strlen(text), "t.txt", &c);
	if (rc != code)
		fail_msg("\"%s\": rc %d, want %d (%s)", text, rc, code, dipr_errdetail());
	assert_null(c);
	assert_detail_has(needle);
}

static void test_calendar_parse_rejects_bad_lines(void **st)
{
	(void)st;
	parse_fails("2025-01-01 off\n2025-01-02 holiday\n", DIPR_EINVAL,
		    "calendar t.txt: line 2: expected 'off' or 'work'");
	parse_fails("# c\n\n2025-1-2 off\n", DIPR_EINVAL, "line 3: expected a date YYYY-MM-DD");
	parse_fails("2025-02-29 off\n", DIPR_EINVAL, "line 1: expected a date");
	parse_fails("2025-01-01off\n", DIPR_EINVAL, "line 1: expected blanks");
	parse_fails("2025-01-01\n", DIPR_EINVAL, "line 1: expected blanks");
	parse_fails("2025-01-01 OFF\n", DIPR_EINVAL, "line 1");
	parse_fails("2025-01-01 off work\n", DIPR_EINVAL, "line 1");
	parse_fails("2025-01-01 off; x\n", DIPR_EINVAL, "line 1");
	parse_fails("off 2025-01-01\n", DIPR_EINVAL, "line 1");
	parse_fails("\n\n\n\nx\n", DIPR_EINVAL, "line 5");
	parse_fails("2025-01-01 off\r\r\n", DIPR_EINVAL, "line 1");
	parse_fails("1899-12-31 off\n", DIPR_EINVAL, "line 1");
	parse_fails("2025-01-01 off\n\xef\xbb\xbf" "2025-01-02 off\n", DIPR_EINVAL, "line 2"); /* BOM only first */
	/* A date twice is an error naming both lines, also with the same word. */
	parse_fails("2025-01-01 off\n# x\n2025-01-02 off\n2025-01-01 work\n", DIPR_EINVAL,
		    "line 4: date 2025-01-01 already listed on line 1");
	parse_fails("2025-01-01 off\n2025-01-01 off\n", DIPR_EINVAL,
		    "line 2: date 2025-01-01 already listed on line 1");
	/* NUL bytes */
	dipr_calendar *c = NULL;
	assert_int_equal(dipr_calendar_parse("2025-01-01 off\n2025-01-0\0 off\n", 30, NULL, &c), DIPR_EINVAL);
	assert_null(c);
	assert_detail_has("calendar: line 2: NUL byte");
}

static void test_calendar_parse_accepts_layout_variants(void **st)
{
	(void)st;
	dipr_calendar *c = NULL;
	const char *ok = "\xef\xbb\xbf# a byte order mark starts the file\n"
			 "\t2025-01-01\toff\t# tabs\r\n"
			 "   \n"
			 "#2025-01-02 off\n"
			 "2025-01-04 work # a Saturday\n"
			 "2025-01-03 off"; /* no final newline */
	assert_int_equal(dipr_calendar_parse(ok, strlen(ok), NULL, &c), 0);
	assert_int_equal(dipr_calendar_entries(c), 3);
	assert_false(dipr_calendar_is_working_day(c, day("2025-01-01")));
	assert_true(dipr_calendar_is_working_day(c, day("2025-01-02")));
	assert_false(dipr_calendar_is_working_day(c, day("2025-01-03")));
	assert_true(dipr_calendar_is_working_day(c, day("2025-01-04")));
	dipr_calendar_free(c);
	/* Empty text and comments only: plain weeks, no span. */
	assert_int_equal(dipr_calendar_parse("", 0, NULL, &c), 0);
	assert_int_equal(dipr_calendar_entries(c), 0);
	assert_int_equal(dipr_calendar_span(c, NULL, NULL), DIPR_ENOTFOUND);
	dipr_calendar_free(c);
	assert_int_equal(dipr_calendar_parse(NULL, 0, NULL, &c), 0);
	dipr_calendar_free(c);
	assert_int_equal(dipr_calendar_parse("# nothing\n\n", 11, NULL, &c), 0);
	dipr_calendar_free(c);
}

static void test_calendar_parse_bounds(void **st)
{
	(void)st;
	dipr_calendar *c = NULL;
	/* 10,000 lines are fine (each a distinct date); 10,001 are not,
	 * blank lines included. */
	dipr_buf b;
	dipr_buf_init(&b, 1 << 20);
	dipr_date d = day("2000-01-01");
	for (int i = 0; i < DIPR_CALENDAR_MAX_LINES; i++) {
		char s[DIPR_DATE_STRLEN];
		assert_int_equal(dipr_date_format(d, s), 0);
		assert_int_equal(dipr_buf_addf(&b, "%s %s\n", s, i % 2 ? "off" : "work"), 0);
		d.days++;
	}
	assert_int_equal(dipr_calendar_parse((const char *)b.p, b.n, NULL, &c), 0);
	assert_int_equal(dipr_calendar_entries(c), DIPR_CALENDAR_MAX_LINES);
	dipr_calendar_free(c);
	assert_int_equal(dipr_buf_adds(&b, "\n"), 0);
	assert_int_equal(dipr_calendar_parse((const char *)b.p, b.n, NULL, &c), DIPR_ERANGE);
	assert_null(c);
	assert_detail_has("more than 10000 lines");
	/* A long line, even a comment, is refused. */
	dipr_buf_reset(&b);
	assert_int_equal(dipr_buf_adds(&b, "2025-01-01 off #"), 0);
	while (b.n < DIPR_CALENDAR_MAX_LINE)
		assert_int_equal(dipr_buf_adds(&b, "x"), 0);
	assert_int_equal(dipr_calendar_parse((const char *)b.p, b.n, NULL, &c), 0);
	dipr_calendar_free(c);
	assert_int_equal(dipr_buf_adds(&b, "x\n"), 0);
	assert_int_equal(dipr_calendar_parse((const char *)b.p, b.n, NULL, &c), DIPR_ERANGE);
	assert_detail_has("line 1: longer than 1024 bytes");
	dipr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_known_day_numbers_and_weekdays),
		cmocka_unit_test(test_date_every_day_round_trips),
		cmocka_unit_test(test_date_parse_is_strict),
		cmocka_unit_test(test_date_format_refuses_invalid),
		cmocka_unit_test(test_date_add_days_and_range),
		cmocka_unit_test(test_date_month_end_clamping),
		cmocka_unit_test(test_date_from_unix_in_china),
		cmocka_unit_test(test_calendar_parses_the_china_file),
		cmocka_unit_test(test_calendar_working_days_in_2024_and_2025),
		cmocka_unit_test(test_calendar_is_working_day),
		cmocka_unit_test(test_calendar_review_deadline_across_spring_festival),
		cmocka_unit_test(test_calendar_weekends_and_adjusted_saturday),
		cmocka_unit_test(test_calendar_notice_period_over_national_day),
		cmocka_unit_test(test_calendar_count_matches_add_everywhere),
		cmocka_unit_test(test_calendar_count_errors_and_edges),
		cmocka_unit_test(test_calendar_parse_rejects_bad_lines),
		cmocka_unit_test(test_calendar_parse_accepts_layout_variants),
		cmocka_unit_test(test_calendar_parse_bounds),
	};
	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
