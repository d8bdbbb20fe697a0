/* calendar.c — dates and the working-day calendar (include/dipr/calendar.h).
 *
 * Dates are day numbers; conversion to and from year-month-day uses the
 * era-based algorithms of Howard Hinnant's "chrono-Compatible Low-Level
 * Date Algorithms" (days_from_civil / civil_from_days), exact for the
 * proleptic Gregorian calendar.  The calendar is a sorted array of the
 * listed dates: lookups are binary searches, counting is arithmetic on
 * whole weeks plus one pass over the listed dates in the range.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "dipr/calendar.h"

#define MIN_DAYS (-25567)  /* 1900-01-01 */
#define MAX_DAYS 2932896   /* 9999-12-31 */

bool dipr_date_valid(dipr_date d) { return d.days >= MIN_DAYS && d.days <= MAX_DAYS; }

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
	static const uint8_t len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Only called with 1900 <= y <= 9999, so every quantity is non-negative
 * and fits in int32_t. */
static int32_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int32_t era = y / 400;
	int32_t yoe = y - era * 400;
	int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Only called with a valid date: z + 719468 > 0. */
static void civil_from_days(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int32_t era = z / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int dipr_date_from_ymd(int year, int month, int day, dipr_date *out)
{
	if (year < DIPR_DATE_MIN_YEAR || year > DIPR_DATE_MAX_YEAR)
		return dipr__err(DIPR_EINVAL, "date: year %d outside %d..%d", year, DIPR_DATE_MIN_YEAR,
				 DIPR_DATE_MAX_YEAR);
	if (month < 1 || month > 12)
		return dipr__err(DIPR_EINVAL, "date: month %d outside 1..12", month);
	if (day < 1 || day > days_in_month(year, month))
		return dipr__err(DIPR_EINVAL, "date: day %d outside 1..%d for %04d-%02d", day,
				 days_in_month(year, month), year, month);
	out->days = days_from_civil(year, month, day);
	return 0;
}

int dipr_date_to_ymd(dipr_date d, int *year, int *month, int *day)
{
	int y, m, dd;
	if (!dipr_date_valid(d))
		return dipr__err(DIPR_ERANGE, "date: day number %ld outside 1900-01-01..9999-12-31", (long)d.days);
	civil_from_days(d.days, &y, &m, &dd);
	if (year)
		*year = y;
	if (month)
		*month = m;
	if (day)
		*day = dd;
	return 0;
}

static int digits(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int dipr_date_parse(const char *s, size_t len, dipr_date *out)
{
	if (len != 10)
		return dipr__err(DIPR_EINVAL, "date: expected YYYY-MM-DD (10 characters), got %zu characters", len);
	int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0 || s[4] != '-' || s[7] != '-')
		return dipr__err(DIPR_EINVAL, "date: expected YYYY-MM-DD with digits and '-'");
	return dipr_date_from_ymd(y, m, d, out);
}

int dipr_date_format(dipr_date d, char out[DIPR_DATE_STRLEN])
{
	int y, m, dd;
	out[0] = 0;
	int rc = dipr_date_to_ymd(d, &y, &m, &dd);
	if (rc)
		return rc;
	/* Fixed-width digits by hand: no snprintf truncation warnings to
	 * reason about, and the layout is the whole format. */
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + dd / 10);
	out[9] = (char)('0' + dd % 10);
	out[10] = 0;
	return 0;
}

/* Floor division and modulo by 7 for negative day numbers too. */
static int64_t floordiv7(int64_t x) { return x >= 0 ? x / 7 : -((-x + 6) / 7); }
static int mod7(int64_t x) { return (int)(x - 7 * floordiv7(x)); }

/* 1970-01-01 was a Thursday: day 0 has Monday-based index 3. */
static int weekday(int32_t days) { return mod7((int64_t)days + 3) + 1; }

int dipr_date_weekday(dipr_date d) { return dipr_date_valid(d) ? weekday(d.days) : 0; }

int dipr_date_add_days(dipr_date d, int64_t n, dipr_date *out)
{
	if (!dipr_date_valid(d))
		return dipr__err(DIPR_ERANGE, "date: day number %ld outside 1900-01-01..9999-12-31", (long)d.days);
	/* |n| beyond the whole range cannot give a valid date; checking first
	 * keeps the sum from overflowing. */
	if (n < (int64_t)MIN_DAYS - MAX_DAYS || n > (int64_t)MAX_DAYS - MIN_DAYS ||
	    d.days + n < MIN_DAYS || d.days + n > MAX_DAYS)
		return dipr__err(DIPR_ERANGE, "date: adding %lld days leaves 1900-01-01..9999-12-31", (long long)n);
	out->days = (int32_t)(d.days + n);
	return 0;
}

int dipr_date_add_months(dipr_date d, int64_t n, dipr_date *out)
{
	int y, m, dd;
	int rc = dipr_date_to_ymd(d, &y, &m, &dd);
	if (rc)
		return rc;
	/* Month index since year 0; n is bounded before adding so the sum
	 * cannot overflow (the valid range spans fewer than 100,000 months),
	 * and the index is range-checked before it is split, so nm is 1..12. */
	int64_t span = (int64_t)(DIPR_DATE_MAX_YEAR - DIPR_DATE_MIN_YEAR + 1) * 12;
	int64_t idx = (int64_t)y * 12 + (m - 1) + (n < -span ? -span : n > span ? span : n);
	if (idx < (int64_t)DIPR_DATE_MIN_YEAR * 12 || idx > (int64_t)DIPR_DATE_MAX_YEAR * 12 + 11)
		return dipr__err(DIPR_ERANGE, "date: adding %lld months leaves years %d..%d", (long long)n,
				 DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	int ny = (int)(idx / 12), nm = (int)(idx % 12) + 1;
	int dim = days_in_month(ny, nm);
	out->days = days_from_civil(ny, nm, dd < dim ? dd : dim);
	return 0;
}

int dipr_date_add_years(dipr_date d, int64_t n, dipr_date *out)
{
	if (n < -(DIPR_DATE_MAX_YEAR) || n > DIPR_DATE_MAX_YEAR)
		return dipr__err(DIPR_ERANGE, "date: adding %lld years leaves years %d..%d", (long long)n,
				 DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	return dipr_date_add_months(d, n * 12, out);
}

int dipr_date_cmp(dipr_date a, dipr_date b) { return (a.days > b.days) - (a.days < b.days); }

int dipr_date_from_unix(int64_t unix_seconds, int32_t utc_offset_seconds, dipr_date *out)
{
	if (utc_offset_seconds < -86400 || utc_offset_seconds > 86400)
		return dipr__err(DIPR_ERANGE, "date: UTC offset %ld s beyond 24 hours", (long)utc_offset_seconds);
	/* Bound before adding: outside this the date is out of range anyway. */
	const int64_t lim = (int64_t)4000000 * 86400;
	if (unix_seconds < -lim || unix_seconds > lim)
		return dipr__err(DIPR_ERANGE, "date: time %lld outside years %d..%d", (long long)unix_seconds,
				 DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	int64_t t = unix_seconds + utc_offset_seconds;
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	if (day < MIN_DAYS || day > MAX_DAYS)
		return dipr__err(DIPR_ERANGE, "date: time %lld outside years %d..%d", (long long)unix_seconds,
				 DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	out->days = (int32_t)day;
	return 0;
}

/* --- the working-day calendar --- */

struct entry {
	int32_t day;
	uint8_t work;  /* 1: "work", 0: "off" */
	uint32_t line; /* for the duplicate message */
};

struct dipr_calendar {
	struct entry *e; /* sorted by day, no duplicates */
	size_t n;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	return (x->line > y->line) - (x->line < y->line);
}

static bool blank(char c) { return c == ' ' || c == '\t'; }

/* One line without its LF.  Returns 1 for an entry (filled in), 0 for a
 * blank or comment line, or an error. */
static int parse_line(const char *p, size_t n, const char *name, uint32_t lineno, struct entry *e)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '#') {
			n = i;
			break;
		}
	}
	size_t a = 0;
	while (a < n && blank(p[a]))
		a++;
	while (n > a && blank(p[n - 1]))
		n--;
	if (a == n)
		return 0;
	p += a;
	n -= a;
	dipr_date d;
	if (n < 10 || dipr_date_parse(p, 10, &d) != 0)
		return dipr__err(DIPR_EINVAL,
				 "%s: line %lu: expected a date YYYY-MM-DD (a real date, years %d..%d) at the start",
				 name, (unsigned long)lineno, DIPR_DATE_MIN_YEAR, DIPR_DATE_MAX_YEAR);
	size_t k = 10;
	if (k == n || !blank(p[k]))
		return dipr__err(DIPR_EINVAL, "%s: line %lu: expected blanks and 'off' or 'work' after the date",
				 name, (unsigned long)lineno);
	while (k < n && blank(p[k]))
		k++;
	if (n - k == 3 && memcmp(p + k, "off", 3) == 0)
		e->work = 0;
	else if (n - k == 4 && memcmp(p + k, "work", 4) == 0)
		e->work = 1;
	else
		return dipr__err(DIPR_EINVAL, "%s: line %lu: expected 'off' or 'work' after the date", name,
				 (unsigned long)lineno);
	e->day = d.days;
	e->line = lineno;
	return 1;
}

int dipr_calendar_parse(const char *text, size_t len, const char *name, dipr_calendar **out)
{
	int rc;
	struct entry *e = NULL;
	size_t ne = 0, cap = 0;
	dipr_calendar *c = NULL;
	char label[128];
	uint32_t lineno = 0;

	*out = NULL;
	if (name)
		snprintf(label, sizeof label, "calendar %s", name);
	else
		snprintf(label, sizeof label, "calendar");
	if (len > 0 && !text) {
		rc = dipr__err(DIPR_EINVAL, "%s: no text", label);
		goto fail;
	}
	/* A UTF-8 byte order mark, as Windows editors write, starts line 1. */
	size_t at = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		if (++lineno > DIPR_CALENDAR_MAX_LINES) {
			rc = dipr__err(DIPR_ERANGE, "%s: more than %d lines", label, DIPR_CALENDAR_MAX_LINES);
			goto fail;
		}
		if (end - at > DIPR_CALENDAR_MAX_LINE) {
			rc = dipr__err(DIPR_ERANGE, "%s: line %lu: longer than %d bytes", label,
				       (unsigned long)lineno, DIPR_CALENDAR_MAX_LINE);
			goto fail;
		}
		if (memchr(text + at, 0, end - at)) {
			rc = dipr__err(DIPR_EINVAL, "%s: line %lu: NUL byte", label, (unsigned long)lineno);
			goto fail;
		}
		if (ne == cap) {
			/* At most DIPR_CALENDAR_MAX_LINES entries: no overflow. */
			size_t ncap = cap ? cap * 2 : 64;
			struct entry *ng = realloc(e, ncap * sizeof *e);
			if (!ng) {
				rc = DIPR_ENOMEM;
				goto fail;
			}
			e = ng;
			cap = ncap;
		}
		rc = parse_line(text + at, end - at, label, lineno, &e[ne]);
		if (rc < 0)
			goto fail;
		ne += (size_t)rc;
		at = nl ? end + 1 : len;
	}
	/* Sort by date, ties by line, so that a duplicate names its first
	 * and its second line in file order.  O(n log n), n <= 10,000. */
	if (ne > 1)
		qsort(e, ne, sizeof *e, entry_cmp);
	for (size_t i = 1; i < ne; i++) {
		if (e[i].day == e[i - 1].day) {
			char ds[DIPR_DATE_STRLEN];
			dipr_date_format((dipr_date){e[i].day}, ds);
			rc = dipr__err(DIPR_EINVAL, "%s: line %lu: date %s already listed on line %lu", label,
				       (unsigned long)e[i].line, ds, (unsigned long)e[i - 1].line);
			goto fail;
		}
	}
	c = malloc(sizeof *c);
	if (!c) {
		rc = DIPR_ENOMEM;
		goto fail;
	}
	c->e = e;
	c->n = ne;
	*out = c;
	return 0;
fail:
	free(e);
	return rc;
}

void dipr_calendar_free(dipr_calendar *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

size_t dipr_calendar_entries(const dipr_calendar *c) { return c ? c->n : 0; }

int dipr_calendar_span(const dipr_calendar *c, dipr_date *first, dipr_date *last)
{
	if (!c || c->n == 0)
		return dipr__err(DIPR_ENOTFOUND, "calendar: no dates listed");
	if (first)
		first->days = c->e[0].day;
	if (last)
		last->days = c->e[c->n - 1].day;
	return 0;
}

/* Index of the first entry with day >= d (c->n if none). */
static size_t lower_bound(const dipr_calendar *c, int32_t d)
{
	size_t lo = 0, hi = c ? c->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->e[mid].day < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool weekday_works(int32_t d) { return weekday(d) <= DIPR_FRIDAY; }

bool dipr_calendar_is_working_day(const dipr_calendar *c, dipr_date d)
{
	if (!dipr_date_valid(d))
		return false;
	size_t i = lower_bound(c, d.days);
	if (c && i < c->n && c->e[i].day == d.days)
		return c->e[i].work;
	return weekday_works(d.days);
}

/* Walks day by day with a cursor into the sorted entries: O(days walked +
 * entries passed), at most ~1.4 * DIPR_CALENDAR_MAX_N + 10,000 steps plus
 * whatever the listed "off" days add. */
int dipr_calendar_add_working_days(const dipr_calendar *c, dipr_date start, int32_t n, dipr_date *out)
{
	if (!dipr_date_valid(start))
		return dipr__err(DIPR_ERANGE, "calendar: start day number %ld outside 1900-01-01..9999-12-31",
				 (long)start.days);
	if (n < 0 || n > DIPR_CALENDAR_MAX_N)
		return dipr__err(DIPR_EINVAL, "calendar: working days %ld outside 0..%d", (long)n,
				 DIPR_CALENDAR_MAX_N);
	int32_t d = start.days;
	size_t i = lower_bound(c, d + 1);
	while (n > 0) {
		if (d >= MAX_DAYS)
			return dipr__err(DIPR_ERANGE, "calendar: working days run past 9999-12-31");
		d++;
		bool works;
		if (c && i < c->n && c->e[i].day == d)
			works = c->e[i++].work;
		else
			works = weekday_works(d);
		n -= works;
	}
	out->days = d;
	return 0;
}

/* Monday-to-Friday days with Monday-based index in [0, k): whole weeks
 * give five, the rest up to five.  Linear in k with floor semantics, so
 * g(b) - g(a) counts weekdays with index in [a, b) for negative a too. */
static int64_t weekdays_below(int64_t k)
{
	int64_t w = floordiv7(k);
	int r = mod7(k);
	return 5 * w + (r < 5 ? r : 5);
}

int dipr_calendar_count_working_days(const dipr_calendar *c, dipr_date from, dipr_date to, int64_t *out)
{
	if (!dipr_date_valid(from) || !dipr_date_valid(to))
		return dipr__err(DIPR_ERANGE, "calendar: date outside 1900-01-01..9999-12-31");
	if (to.days < from.days)
		return dipr__err(DIPR_EINVAL, "calendar: end date before start date");
	/* Days from+1 .. to have Monday-based indices from+4 .. to+3
	 * (day 0, 1970-01-01, has index 3). */
	int64_t count = weekdays_below((int64_t)to.days + 4) - weekdays_below((int64_t)from.days + 4);
	/* Then correct for the listed dates in (from, to]: an "off" weekday
	 * is one fewer, a "work" weekend day one more. */
	for (size_t i = lower_bound(c, from.days + 1); c && i < c->n && c->e[i].day <= to.days; i++) {
		bool wd = weekday_works(c->e[i].day);
		if (wd && !c->e[i].work)
			count--;
		else if (!wd && c->e[i].work)
			count++;
	}
	*out = count;
	return 0;
}

int dipr_calendar_notice_end(const dipr_calendar *c, dipr_date start, int32_t n, dipr_date *out)
{
	if (n < 1 || n > DIPR_CALENDAR_MAX_N)
		return dipr__err(DIPR_EINVAL, "calendar: notice period of %ld working days outside 1..%d", (long)n,
				 DIPR_CALENDAR_MAX_N);
	if (!dipr_date_valid(start))
		return dipr__err(DIPR_ERANGE, "calendar: start day number %ld outside 1900-01-01..9999-12-31",
				 (long)start.days);
	/* The day before 1900-01-01 is not a valid date, but the walk only
	 * needs it as a starting point; step from it by hand. */
	if (start.days == MIN_DAYS)
		return dipr_calendar_add_working_days(c, start, n - dipr_calendar_is_working_day(c, start), out);
	return dipr_calendar_add_working_days(c, (dipr_date){start.days - 1}, n, out);
}
