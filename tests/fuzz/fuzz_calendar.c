/* fuzz_calendar.c — the calendar file parser and the date parser
 * (include/dipr/calendar.h).  Dates: whatever parses formats back to the
 * same 10 bytes and month arithmetic stays in range.  Calendars: for a few
 * start dates, counting undoes adding, the deadline is a working day, and
 * the notice end agrees with adding from the day before. */
#include <stdlib.h>
#include <string.h>
#include "dipr/calendar.h"

static void check_date_bytes(const uint8_t *data, size_t size)
{
	dipr_date d, e;
	char s[DIPR_DATE_STRLEN];
	if (dipr_date_parse((const char *)data, size, &d) != 0)
		return;
	if (size != 10 || dipr_date_format(d, s) != 0 || memcmp(s, data, 10) != 0)
		abort();
	int w = dipr_date_weekday(d);
	if (w < DIPR_MONDAY || w > DIPR_SUNDAY)
		abort();
	/* The day number drives month arithmetic; the result is valid and
	 * its day of month never exceeds the original's. */
	int64_t n = (int64_t)(d.days % 2000) - 1000;
	if (dipr_date_add_months(d, n, &e) == 0) {
		int y0, m0, d0, y1, m1, d1;
		if (!dipr_date_valid(e) || dipr_date_to_ymd(d, &y0, &m0, &d0) != 0 ||
		    dipr_date_to_ymd(e, &y1, &m1, &d1) != 0 || d1 > d0 ||
		    (int64_t)y1 * 12 + m1 != (int64_t)y0 * 12 + m0 + n)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_date_bytes(data, size);
	if (size >= 10)
		check_date_bytes(data, 10);

	dipr_calendar *c = NULL;
	if (dipr_calendar_parse((const char *)data, size, "fuzz", &c) != 0) {
		if (c)
			abort();
		return 0;
	}
	dipr_date first = {0}, last = {0};
	if (dipr_calendar_span(c, &first, &last) == 0) {
		if (first.days > last.days || !dipr_date_valid(first) || !dipr_date_valid(last))
			abort();
	} else if (dipr_calendar_entries(c) != 0) {
		abort();
	}
	/* Start a few days before the first listed date, so the walks cross
	 * the listed ones; n from the input's length. */
	int32_t n = (int32_t)(size % 60);
	for (int k = 0; k < 3; k++) {
		dipr_date start = {first.days - 3 + k * 5}, end, ne;
		int64_t cnt;
		if (!dipr_date_valid(start))
			continue;
		if (dipr_calendar_add_working_days(c, start, n, &end) != 0)
			continue;
		if (dipr_calendar_count_working_days(c, start, end, &cnt) != 0 || cnt != n)
			abort();
		if (n > 0 && !dipr_calendar_is_working_day(c, end))
			abort();
		dipr_date next = {start.days + 1};
		if (n > 0 && dipr_date_valid(next) &&
		    (dipr_calendar_notice_end(c, next, n, &ne) != 0 || ne.days != end.days))
			abort();
	}
	dipr_calendar_free(c);
	return 0;
}
